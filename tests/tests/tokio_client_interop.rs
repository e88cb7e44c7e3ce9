//! The async client (`ftp_proto_tokio::client::Client`) against real FTP
//! servers on loopback: every client operation in passive and active mode
//! against vsftpd, pure-ftpd, proftpd and pyftpdlib, explicit FTPS against
//! the servers that offer it (vsftpd and proftpd with their default TLS
//! session-reuse requirement on), against our own servers (std and tokio;
//! plain, explicit and implicit FTPS with session reuse required), and the
//! `client` example binary's output format and exit codes. A missing server
//! is a skip, or a failure when `FTP_INTEROP_REQUIRED=1`.
//!
//! The operation suite is shared with the other client's interop tests:
//! `ftp_proto_tests::client_interop`, instantiated here for `TokioClient`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ftp_proto_tests::client_interop::{TokioClient, payload, start, tree_file};
use ftp_proto_tests::peers::PeerOptions;

ftp_proto_tests::client_interop_tests!(TokioClient);

// ------------------------------------------------------------ the example

/// The `client` example binary, built once with the same profile and
/// target folder as this test.
fn example_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        // target/<profile>/deps/this-test → target/<profile>
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args([
                "build",
                "--quiet",
                "-p",
                "ftp-proto-tokio",
                "--example",
                "client",
            ])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the client example failed");
        let binary = profile_dir.join("examples").join("client");
        assert!(binary.is_file(), "{} missing", binary.display());
        binary
    })
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str]) -> Output {
    let out = Command::new(example_binary())
        .args(args)
        .output()
        .expect("run the client example");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert_eq!(out.code, 0, "{args:?}: stderr {}", out.stderr);
    assert_eq!(out.stderr, "", "{args:?}: nothing extra on stderr");
    out.stdout
}

fn example_against(kind: PeerKind, peer: PeerOptions, flags: &[&str]) {
    let Some(server) = start(kind, &peer) else {
        return;
    };
    let root = server.root().to_path_buf();
    let url = format!(
        "ftp://{}:{}@{}",
        server.user(),
        server.password().replace('-', "%2D"),
        server.addr()
    );
    let with = |rest: &[&str]| -> Vec<String> {
        flags
            .iter()
            .map(|s| (*s).to_owned())
            .chain(std::iter::once(url.clone()))
            .chain(rest.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let run_ok = |rest: &[&str]| {
        let args = with(rest);
        ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let run = |rest: &[&str]| {
        let args = with(rest);
        cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // ls: TYPE SIZE MODIFIED NAME. Folder sizes vary by server; MLSD
    // gives exact times, LIST (vsftpd) only dates for old files.
    let mlsd = server.supports_mlsd();
    let time = if mlsd { "2024-01-02T03:04:05Z" } else { "*" };
    let mut lines: Vec<Vec<String>> = run_ok(&["ls"])
        .lines()
        .map(|l| l.splitn(4, ' ').map(str::to_owned).collect())
        .collect();
    lines.sort_by(|a, b| a[3].cmp(&b[3]));
    let expected = [
        ("-", "1024", "data.bin"),
        ("d", "*", "empty"),
        ("-", "35", "hello.txt"),
        ("d", "*", "sub dir"),
    ];
    assert_eq!(lines.len(), expected.len(), "{kind:?}: {lines:?}");
    for (line, (kind_char, size, name)) in lines.iter().zip(expected) {
        assert_eq!(line[0], kind_char, "{line:?}");
        assert!(size == "*" || line[1] == size, "{line:?}");
        assert!(line[1] == "-" || line[1].parse::<u64>().is_ok(), "{line:?}");
        assert!(time == "*" || line[2] == time, "{line:?}");
        assert!(
            line[2] == "-" || line[2].len() == 20 && line[2].ends_with('Z'),
            "{line:?}"
        );
        assert_eq!(line[3], name);
    }
    if mlsd {
        assert_eq!(
            run_ok(&["ls", "sub dir"]),
            "- 19 2024-01-02T03:04:05Z nested.txt\n"
        );
    } else {
        assert!(run_ok(&["ls", "sub dir"]).starts_with("- 19 "));
    }
    assert_eq!(run_ok(&["pwd"]), "/\n");
    assert_eq!(run_ok(&["size", "data.bin"]), "1024\n");
    assert_eq!(run_ok(&["mdtm", "hello.txt"]), "2024-01-02T03:04:05Z\n");

    let local = tempfile::tempdir().unwrap();
    let got = local.path().join("got.bin");
    let got_s = got.to_str().unwrap();
    assert_eq!(run_ok(&["get", "data.bin", got_s]), "");
    assert_eq!(std::fs::read(&got).unwrap(), tree_file("data.bin"));

    // get --resume continues a partial file.
    std::fs::write(&got, &tree_file("data.bin")[..100]).unwrap();
    let resumed: Vec<String> = std::iter::once("--resume".to_owned())
        .chain(with(&["get", "data.bin", got_s]))
        .collect();
    let out = cli(&resumed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read(&got).unwrap(), tree_file("data.bin"));

    let big = local.path().join("big.bin");
    let data = payload(700 * 1024 + 5);
    std::fs::write(&big, &data).unwrap();
    assert_eq!(run_ok(&["put", big.to_str().unwrap(), "up.bin"]), "");
    assert_eq!(std::fs::read(root.join("up.bin")).unwrap(), data);

    // put --resume continues a partial remote file.
    std::fs::write(root.join("up.bin"), &data[..1000]).unwrap();
    let resumed: Vec<String> = std::iter::once("--resume".to_owned())
        .chain(with(&["put", big.to_str().unwrap(), "up.bin"]))
        .collect();
    let out = cli(&resumed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read(root.join("up.bin")).unwrap(), data);

    assert_eq!(run_ok(&["mv", "up.bin", "moved.bin"]), "");
    assert!(root.join("moved.bin").is_file());
    assert_eq!(run_ok(&["rm", "moved.bin"]), "");
    assert!(!root.join("moved.bin").exists());
    assert_eq!(run_ok(&["mkdir", "newdir"]), "");
    assert!(root.join("newdir").is_dir());
    assert_eq!(run_ok(&["rmdir", "newdir"]), "");
    assert!(!root.join("newdir").exists());

    // Failures: the server's reply on stderr, exit status 1; LOCAL untouched.
    let missing_local = local.path().join("never.bin");
    let out = run(&["get", "no-such-file", missing_local.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("550 "), "stderr: {:?}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(!missing_local.exists());
    let out = run(&["rm", "no-such-file"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("550 "), "stderr: {:?}", out.stderr);

    // Usage errors: exit status 2.
    assert_eq!(cli(&["ftp://127.0.0.1", "frobnicate"]).code, 2);
    assert_eq!(cli(&["--verbose", "ftp://127.0.0.1", "pwd"]).code, 2);
    assert_eq!(cli(&["http://127.0.0.1", "pwd"]).code, 2);
    assert_eq!(cli(&[&url, "get", "only-one"]).code, 2);
}

#[test]
fn example_client_against_pyftpdlib() {
    example_against(PeerKind::Pyftpdlib, PeerOptions::default(), &[]);
}

#[test]
fn example_client_against_vsftpd_active_tls() {
    example_against(
        PeerKind::Vsftpd,
        PeerOptions::with_tls(),
        &["--active", "--tls", "--insecure"],
    );
}

#[test]
fn example_client_anonymous_listing() {
    let Some(server) = start(PeerKind::Pyftpdlib, &PeerOptions::default()) else {
        return;
    };
    assert!(server.supports_anonymous());
    let url = format!("ftp://{}", server.addr());
    let out = ok(&[&url, "ls", "sub dir"]);
    assert_eq!(out, "- 19 2024-01-02T03:04:05Z nested.txt\n");
}
