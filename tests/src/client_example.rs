//! The client example binaries (`blocking_client` of ftp-proto-std,
//! `client` of ftp-proto-tokio) share one command line and output format;
//! [`Example`] builds one and checks it against a real peer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::client_interop::{payload, start, tree_file};
use crate::peers::{PeerKind, PeerOptions};

/// One client example binary, built once with the same profile and target
/// folder as the running test.
#[derive(Debug)]
pub struct Example {
    package: &'static str,
    name: &'static str,
    binary: OnceLock<PathBuf>,
}

impl Example {
    /// The example `name` of the crate `package`.
    pub const fn new(package: &'static str, name: &'static str) -> Self {
        Self {
            package,
            name,
            binary: OnceLock::new(),
        }
    }

    fn binary(&self) -> &Path {
        self.binary.get_or_init(|| {
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
                    self.package,
                    "--example",
                    self.name,
                ])
                .env("CARGO_TARGET_DIR", target_dir)
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("run cargo build");
            assert!(
                status.success(),
                "building the {} example failed",
                self.name
            );
            let binary = profile_dir.join("examples").join(self.name);
            assert!(binary.is_file(), "{} missing", binary.display());
            binary
        })
    }
}

/// What one run of the example printed and returned.
#[derive(Debug)]
pub struct Output {
    /// The exit status (-1 for a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Example {
    /// Runs the example with `args`.
    pub fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(self.binary())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run the {} example: {e}", self.name));
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the example with `args`; it must succeed with nothing on stderr.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert_eq!(out.code, 0, "{args:?}: stderr {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}: nothing extra on stderr");
        out.stdout
    }

    /// The example's commands, output format and exit codes against `kind`,
    /// with `flags` before the URL.
    pub fn against(&self, kind: PeerKind, peer: PeerOptions, flags: &[&str]) {
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
            self.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
        };
        let run = |rest: &[&str]| {
            let args = with(rest);
            self.cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
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
        // ls of a file shows the file (MLSD refuses files: MLST then).
        let file = run_ok(&["ls", "hello.txt"]);
        assert!(
            file.starts_with("- 35 ")
                && file.ends_with(" hello.txt\n")
                && file.lines().count() == 1,
            "{kind:?}: {file:?}"
        );
        // (vsftpd's LIST of a missing path is an empty listing.)
        if mlsd {
            let out = run(&["ls", "no-such-dir"]);
            assert_eq!(out.code, 1, "{kind:?}: {out:?}");
            assert!(out.stderr.starts_with('5'), "{kind:?}: {out:?}");
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
        let out = self.cli(&resumed.iter().map(String::as_str).collect::<Vec<_>>());
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
        let out = self.cli(&resumed.iter().map(String::as_str).collect::<Vec<_>>());
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
        assert_eq!(self.cli(&["ftp://127.0.0.1", "frobnicate"]).code, 2);
        assert_eq!(self.cli(&["--verbose", "ftp://127.0.0.1", "pwd"]).code, 2);
        assert_eq!(self.cli(&["http://127.0.0.1", "pwd"]).code, 2);
        assert_eq!(self.cli(&[&url, "get", "only-one"]).code, 2);
    }
}
