//! The blocking client (`ftp_proto_std::client::Client`) against real FTP
//! servers on loopback: every client operation in passive and active mode
//! against vsftpd, pure-ftpd, proftpd and pyftpdlib, explicit FTPS against
//! the servers that offer it (vsftpd and proftpd with their default TLS
//! session-reuse requirement on), against our own servers (std and tokio;
//! plain, explicit and implicit FTPS with session reuse required), and the
//! `blocking_client` example binary's output format and exit codes. A
//! missing server is a skip, or a failure when `FTP_INTEROP_REQUIRED=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ftp_proto_tests::peers::{
    PeerKind, PeerOptions, PeerServer, TEST_TREE, require_or_skip, started_or_skip,
};
use std::io::{Read, Write};

use ftp_proto_std::client::{Client, ClientOptions, Error};
use ftp_proto_std::tls::TlsClient;
use ftp_proto_tests::ours::{self, Flavor, Setup, TestServer};

fn start(kind: PeerKind, options: &PeerOptions) -> Option<PeerServer> {
    if !require_or_skip(kind.name(), kind.install_hint()) {
        return None;
    }
    if options.tls && !kind.supports_tls() {
        // The launcher reports the missing TLS module as "not installed".
        return started_or_skip(kind.start(options));
    }
    started_or_skip(kind.start(options))
}

fn tree_file(path: &str) -> &'static [u8] {
    TEST_TREE
        .iter()
        .find(|e| e.path == path)
        .and_then(|e| e.contents)
        .unwrap_or_else(|| panic!("{path} is not a test-tree file"))
}

/// A payload larger than the client's data buffer and not a multiple of it.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

fn tls_for(server: &PeerServer) -> TlsClient {
    let pem = server.certificate_pem().expect("server has a certificate");
    TlsClient::with_ca_pem(pem.as_bytes())
        .and_then(|t| t.with_server_name("localhost"))
        .expect("TLS configuration")
}

/// Every operation of the client against `server`.
fn exercise(server: &PeerServer, options: ClientOptions) {
    let kind = server.kind().name();
    let root = server.root().to_path_buf();
    let secure = options.tls.is_some();
    let mut client =
        Client::connect(server.addr(), options).unwrap_or_else(|e| panic!("{kind}: connect: {e}"));
    assert_eq!(client.is_secure(), secure);
    let login = client.login(server.user(), server.password());
    login.unwrap_or_else(|e| panic!("{kind}: login: {e}"));
    let features = client.feat().expect("FEAT");
    assert_eq!(
        features.mlst.is_some(),
        server.supports_mlsd(),
        "{kind}: MLST in FEAT"
    );

    assert_eq!(&client.pwd().expect("PWD")[..], b"/", "{kind}");
    client.noop().expect("NOOP");
    let _ = client.system().expect("SYST");

    // Listing: MLSD or LIST, parsed.
    let entries = client.list(None::<&str>).expect("list");
    for expected in TEST_TREE.iter().filter(|e| !e.path.contains('/')) {
        let entry = entries
            .iter()
            .find(|e| &e.name[..] == expected.path.as_bytes())
            .unwrap_or_else(|| panic!("{kind}: {} missing from {entries:?}", expected.path));
        assert_eq!(
            entry.kind.is_dir(),
            expected.contents.is_none(),
            "{kind}: {entry:?}"
        );
        if let Some(contents) = expected.contents {
            assert_eq!(entry.size, Some(contents.len() as u64), "{kind}: {entry:?}");
        }
    }
    assert!(
        entries
            .iter()
            .all(|e| &e.name[..] != b"." && &e.name[..] != b".."),
        "{kind}: {entries:?}"
    );
    let nested = client.list(Some("sub dir")).expect("list sub dir");
    assert!(
        nested.iter().any(|e| &e.name[..] == b"nested.txt"),
        "{kind}: {nested:?}"
    );
    let empty = client.list(Some("empty")).expect("list empty");
    assert!(empty.is_empty(), "{kind}: {empty:?}");
    let names = client.nlst(None::<&str>).expect("NLST");
    assert!(
        names.iter().any(|n| &n[..] == b"hello.txt"),
        "{kind}: {names:?}"
    );
    if server.supports_mlsd() {
        let entry = client.mlst(Some("data.bin")).expect("MLST");
        assert_eq!(entry.size, Some(1024), "{kind}: {entry:?}");
    }

    // Downloads, whole and resumed.
    let mut download = client.retrieve("hello.txt", 0).expect("RETR");
    let mut got = Vec::new();
    download.read_to_end(&mut got).expect("read");
    download.finish().expect("RETR final reply");
    assert_eq!(got, tree_file("hello.txt"), "{kind}");
    let mut tail = Vec::new();
    let (n, _) = client
        .retrieve_to("data.bin", 1000, &mut tail)
        .expect("REST + RETR");
    assert_eq!(n, 24);
    assert_eq!(tail, tree_file("data.bin")[1000..], "{kind}");

    // Size and time.
    assert_eq!(client.size("data.bin").expect("SIZE"), 1024);
    let mtime = client.mdtm("hello.txt").expect("MDTM");
    assert_eq!(
        mtime.unix_seconds(),
        i64::try_from(ftp_proto_tests::peers::TEST_TREE_MTIME).unwrap(),
        "{kind}"
    );

    // Uploads: from a reader, as a writer, resumed, appended.
    let data = payload(600 * 1024 + 123);
    let (sent, _) = client.store("upload.bin", 0, &mut &data[..]).expect("STOR");
    assert_eq!(sent, data.len() as u64);
    assert_eq!(
        std::fs::read(root.join("upload.bin")).unwrap(),
        data,
        "{kind}"
    );
    assert_eq!(client.size("upload.bin").unwrap(), data.len() as u64);

    let half = data.len() / 2;
    let mut upload = client.store_writer("resumed.bin", 0).expect("STOR");
    upload.write_all(&data[..half]).unwrap();
    upload.finish().expect("STOR first half");
    let offset = client.size("resumed.bin").unwrap();
    assert_eq!(offset, half as u64);
    match client.store_writer("resumed.bin", offset) {
        Ok(mut upload) => {
            upload.write_all(&data[half..]).unwrap();
            upload.finish().expect("STOR second half");
            assert_eq!(
                std::fs::read(root.join("resumed.bin")).unwrap(),
                data,
                "{kind}"
            );
        }
        // ProFTPD refuses REST + STOR unless `AllowStoreRestart on`.
        Err(e) if server.kind() == PeerKind::Proftpd && reply_code(&e) == Some(451) => {
            client.delete("resumed.bin").expect("DELE");
            client
                .store("resumed.bin", 0, &mut &data[..])
                .unwrap_or_else(|e| panic!("{kind}: STOR: {e}"));
        }
        Err(e) => panic!("{kind}: REST + STOR: {e}"),
    }

    let appended = client.append("resumed.bin", &mut &b"+tail"[..]);
    match appended {
        Ok(_) => {
            let mut expected = data.clone();
            expected.extend_from_slice(b"+tail");
            assert_eq!(
                std::fs::read(root.join("resumed.bin")).unwrap(),
                expected,
                "{kind}"
            );
        }
        // ProFTPD refuses APPE too unless `AllowStoreRestart on`.
        Err(e) if server.kind() == PeerKind::Proftpd && reply_code(&e) == Some(451) => {}
        Err(e) => panic!("{kind}: APPE: {e}"),
    }

    // Names and folders.
    client.rename("upload.bin", "moved.bin").expect("RNFR/RNTO");
    assert!(root.join("moved.bin").is_file() && !root.join("upload.bin").exists());
    client.delete("moved.bin").expect("DELE");
    client.delete("resumed.bin").expect("DELE");
    assert!(!root.join("moved.bin").exists());
    client.mkdir("made").expect("MKD");
    assert!(root.join("made").is_dir());
    client.cwd("made").expect("CWD");
    assert_eq!(&client.pwd().unwrap()[..], b"/made", "{kind}");
    client.cdup().expect("CDUP");
    client.rmdir("made").expect("RMD");
    assert!(!root.join("made").exists());

    // Refusals carry the server's reply; the session goes on.
    let missing = client.retrieve("no-such-file", 0).map(drop);
    let err = missing.expect_err("RETR of a missing file");
    assert_eq!(reply_code(&err), Some(550), "{kind}: {err}");
    let err = client.delete("no-such-file").expect_err("DELE missing");
    assert_eq!(reply_code(&err), Some(550), "{kind}: {err}");
    let err = client.size("no-such-file").expect_err("SIZE missing");
    assert_eq!(reply_code(&err), Some(550), "{kind}: {err}");
    // SITE: a reply either way (support varies), never a broken session.
    let _ = client.site("HELP");

    // A download dropped half-way is aborted by the next call.
    {
        let mut download = client.retrieve("data.bin", 0).expect("RETR");
        let mut some = [0u8; 10];
        let _ = download.read(&mut some).expect("read");
    }
    client.noop().expect("NOOP after an abandoned download");
    let mut again = Vec::new();
    client
        .retrieve_to("hello.txt", 0, &mut again)
        .expect("RETR after abort");
    assert_eq!(again, tree_file("hello.txt"));

    client.quit().expect("QUIT");
}

fn reply_code(err: &Error) -> Option<u16> {
    err.reply().map(|r| r.code().as_u16())
}

fn run(kind: PeerKind, peer: PeerOptions, client: impl FnOnce(&PeerServer) -> ClientOptions) {
    let Some(server) = start(kind, &peer) else {
        return;
    };
    let options = client(&server);
    exercise(&server, options);
}

fn passive(kind: PeerKind) {
    run(kind, PeerOptions::default(), |_| ClientOptions::default());
}

fn active(kind: PeerKind) {
    run(kind, PeerOptions::default(), |_| {
        ClientOptions::default().active(true)
    });
}

fn explicit_tls(kind: PeerKind, active: bool) {
    explicit_tls_with(kind, active, false);
}

fn explicit_tls_with(kind: PeerKind, active: bool, tls13: bool) {
    if !kind.supports_tls() {
        // Same decision as a missing server: skip, or fail in CI.
        require_or_skip(&format!("{} with TLS", kind.name()), kind.install_hint());
        return;
    }
    run(kind, PeerOptions::with_tls(), |server| {
        ClientOptions::default()
            .active(active)
            .explicit_tls(tls_for(server).with_tls13(tls13).expect("TLS 1.3"))
    });
}

#[test]
fn vsftpd_passive() {
    passive(PeerKind::Vsftpd);
}

#[test]
fn vsftpd_active() {
    active(PeerKind::Vsftpd);
}

#[test]
fn vsftpd_explicit_tls() {
    explicit_tls(PeerKind::Vsftpd, false);
}

#[test]
fn vsftpd_explicit_tls_active() {
    explicit_tls(PeerKind::Vsftpd, true);
}

/// TLS 1.3 works with vsftpd because it sends new session tickets on every
/// data connection and the client reads them (uploads included).
#[test]
fn vsftpd_explicit_tls13() {
    explicit_tls_with(PeerKind::Vsftpd, false, true);
}

#[test]
fn pure_ftpd_passive() {
    passive(PeerKind::PureFtpd);
}

#[test]
fn pure_ftpd_active() {
    active(PeerKind::PureFtpd);
}

#[test]
fn pure_ftpd_explicit_tls() {
    explicit_tls(PeerKind::PureFtpd, false);
}

#[test]
fn proftpd_passive() {
    passive(PeerKind::Proftpd);
}

#[test]
fn proftpd_active() {
    active(PeerKind::Proftpd);
}

#[test]
fn proftpd_explicit_tls() {
    explicit_tls(PeerKind::Proftpd, false);
}

#[test]
fn pyftpdlib_passive() {
    passive(PeerKind::Pyftpdlib);
}

#[test]
fn pyftpdlib_active() {
    active(PeerKind::Pyftpdlib);
}

#[test]
fn pyftpdlib_explicit_tls() {
    explicit_tls(PeerKind::Pyftpdlib, false);
}

// ------------------------------------------------------------ the example

/// The `blocking_client` example binary, built once with the same profile and
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
                "ftp-proto-std",
                "--example",
                "blocking_client",
            ])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building the client example failed");
        let binary = profile_dir.join("examples").join("blocking_client");
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
        .expect("run the blocking_client example");
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

// ------------------------------------------------------------ our servers

/// Every operation against one of our servers (its test tree: `hello.txt`,
/// `data.bin`, `sub dir/nested.txt`).
fn exercise_ours(server: &TestServer, options: ClientOptions) {
    let who = format!("{:?}", server.flavor);
    let root = server.root();
    let mut client = Client::connect(server.addr, options).expect("connect");
    client.login(ours::USER, ours::PASSWORD).expect("login");
    let features = client.feat().expect("FEAT");
    assert!(features.mlst.is_some(), "{who}: MLST offered");
    assert_eq!(&client.pwd().unwrap()[..], b"/");
    client.noop().expect("NOOP");
    client.system().expect("SYST");
    let entries = client.list(None::<&str>).expect("MLSD");
    let data = entries
        .iter()
        .find(|e| &e.name[..] == b"data.bin")
        .expect("data.bin listed");
    assert_eq!(data.size, Some(3 * 1024 * 1024 + 17));
    assert!(
        entries
            .iter()
            .any(|e| &e.name[..] == b"sub dir" && e.kind.is_dir())
    );
    let names = client.nlst(Some("sub dir")).expect("NLST");
    assert!(
        names.iter().any(|n| n.ends_with(b"nested.txt")),
        "{names:?}"
    );
    assert_eq!(client.mlst(Some("hello.txt")).unwrap().size, Some(21));

    let expected = ours::pattern(3 * 1024 * 1024 + 17);
    let mut download = client.retrieve("data.bin", 0).expect("RETR");
    let mut got = Vec::new();
    download.read_to_end(&mut got).unwrap();
    download.finish().expect("226");
    assert!(got == expected, "{who}: download differs");
    let mut tail = Vec::new();
    let (n, _) = client
        .retrieve_to("data.bin", 3_000_000, &mut tail)
        .unwrap();
    assert_eq!(n as usize, expected.len() - 3_000_000);
    assert!(tail[..] == expected[3_000_000..]);
    assert_eq!(client.size("data.bin").unwrap(), expected.len() as u64);
    client.mdtm("hello.txt").expect("MDTM");

    let body = payload(900 * 1024 + 7);
    client.store("up.bin", 0, &mut &body[..]).expect("STOR");
    assert!(std::fs::read(root.join("up.bin")).unwrap() == body);
    let half = body.len() / 2;
    let mut upload = client.store_writer("resumed.bin", 0).unwrap();
    upload.write_all(&body[..half]).unwrap();
    upload.finish().unwrap();
    let mut upload = client.store_writer("resumed.bin", half as u64).unwrap();
    upload.write_all(&body[half..]).unwrap();
    upload.finish().unwrap();
    client
        .append("resumed.bin", &mut &b"+tail"[..])
        .expect("APPE");
    let mut whole = body.clone();
    whole.extend_from_slice(b"+tail");
    assert!(std::fs::read(root.join("resumed.bin")).unwrap() == whole);

    client
        .rename("up.bin", "sub dir/moved.bin")
        .expect("rename");
    client.delete("sub dir/moved.bin").expect("DELE");
    client.delete("resumed.bin").expect("DELE");
    client.mkdir("made").expect("MKD");
    client.cwd("made").expect("CWD");
    assert_eq!(&client.pwd().unwrap()[..], b"/made");
    client.cdup().expect("CDUP");
    client.rmdir("made").expect("RMD");
    assert!(!root.join("made").exists());
    let err = client.size("no-such").expect_err("SIZE missing");
    assert_eq!(reply_code(&err), Some(550));
    let _ = client.site("HELP");

    // Explicit abort, then an abandoned download: the session goes on.
    let mut download = client.retrieve("data.bin", 0).unwrap();
    let mut some = [0u8; 10];
    download.read_exact(&mut some).unwrap();
    download.abort().expect("ABOR");
    {
        let mut download = client.retrieve("data.bin", 0).unwrap();
        download.read_exact(&mut some).unwrap();
    }
    client.noop().expect("NOOP after an abandoned download");
    let mut hello = Vec::new();
    client.retrieve_to("hello.txt", 0, &mut hello).unwrap();
    assert_eq!(hello, b"hello from ftp-proto\n");
    client.quit().expect("QUIT");
}

fn ours_tls(server: &TestServer) -> TlsClient {
    TlsClient::with_ca_file(server.cert.as_ref().unwrap())
        .and_then(|t| t.with_server_name("localhost"))
        .unwrap()
}

fn against_ours(flavor: Flavor) {
    let plain = TestServer::start(flavor, &Setup::default()).unwrap();
    exercise_ours(&plain, ClientOptions::default());
    exercise_ours(&plain, ClientOptions::default().active(true));
    // FTPS with session reuse required on data connections.
    let tls = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            require_session_reuse: true,
            ..Setup::default()
        },
    )
    .unwrap();
    exercise_ours(&tls, ClientOptions::default().explicit_tls(ours_tls(&tls)));
    exercise_ours(
        &tls,
        ClientOptions::default()
            .active(true)
            .explicit_tls(ours_tls(&tls).with_tls13(true).unwrap()),
    );
    let implicit = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            implicit_tls: true,
            require_session_reuse: true,
            ..Setup::default()
        },
    )
    .unwrap();
    exercise_ours(
        &implicit,
        ClientOptions::default().implicit_tls(ours_tls(&implicit)),
    );
}

#[test]
fn our_std_server_plain_and_ftps() {
    against_ours(Flavor::Std);
}

#[test]
fn our_tokio_server_plain_and_ftps() {
    against_ours(Flavor::Tokio);
}
