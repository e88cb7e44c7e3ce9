//! Captures the transcripts in `tests/fixtures/servers/` from the real
//! servers on loopback (a developer tool; the tests replay its output).
//!
//! ```sh
//! cargo run -p ftp-proto-tests --example capture_transcripts            # all servers
//! cargo run -p ftp-proto-tests --example capture_transcripts -- proftpd # some
//! ```
//!
//! Writes `tests/fixtures/servers/<server>.txt` in the format described in
//! `tests/fixtures/servers/README.md`, running one fixed script per server.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use ftp_proto_tests::peers::{
    PeerKind, PeerOptions, PeerServer, RawControl, Record, TEST_TREE_MTIME, peers_dir,
};

/// Small upload used by the STOR step.
const UPLOAD: &[u8] = b"uploaded by capture_transcripts\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/servers");
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let kinds: Vec<PeerKind> = if wanted.is_empty() {
        PeerKind::ALL.to_vec()
    } else {
        wanted
            .iter()
            .map(|n| PeerKind::from_name(n).ok_or_else(|| format!("unknown server {n}")))
            .collect::<Result<_, _>>()?
    };
    for kind in kinds {
        let server = kind.start(&PeerOptions::default())?;
        let records = capture(&server)?;
        let path = out_dir.join(format!("{}.txt", kind.name()));
        let mut text = header(kind).join("\n");
        text.push('\n');
        for record in &records {
            text.push_str(&record.to_string());
            text.push('\n');
        }
        std::fs::write(&path, text)?;
        println!(
            "{}: {} records -> {}",
            kind.name(),
            records.len(),
            path.display()
        );
    }
    Ok(())
}

fn header(kind: PeerKind) -> Vec<String> {
    vec![
        format!("# server: {} {}", kind.name(), version(kind)),
        format!("# captured: {} on 127.0.0.1 by `cargo run -p ftp-proto-tests --example capture_transcripts`", today()),
        format!(
            "# tree: tests/src/peers/tree.rs (every mtime {TEST_TREE_MTIME} = 2024-01-02 03:04:05 UTC); user ftpproto"
        ),
        "# ports in 227/229 replies are the capture run's; replay the D: lines instead of connecting".to_string(),
    ]
}

fn capture(server: &PeerServer) -> io::Result<Vec<Record>> {
    let mut c = RawControl::connect(server.addr())?;
    c.comment("greeting");
    c.read_reply()?;
    c.comment("login");
    c.send(&format!("USER {}", server.user()))?;
    c.read_reply()?;
    // The password is recorded as sent: it is the fixed test password.
    c.command(&format!("PASS {}", server.password()))?;
    c.command("SYST")?;
    c.command("FEAT")?;
    c.command("PWD")?;
    c.command("TYPE I")?;
    c.comment("error: CWD to a missing folder");
    c.command("CWD no-such-dir")?;
    c.command("SIZE hello.txt")?;
    c.comment("error: SIZE of a missing file");
    c.command("SIZE no-such-file")?;
    c.command("MDTM hello.txt")?;

    c.comment("EPSV then LIST");
    let data = passive(&mut c, "EPSV")?;
    c.transfer_in(data, "LIST")?;
    c.comment("PASV then LIST");
    let data = passive(&mut c, "PASV")?;
    c.transfer_in(data, "LIST")?;
    if server.supports_mlsd() {
        c.comment("MLSD (EPSV)");
        let data = passive(&mut c, "EPSV")?;
        c.transfer_in(data, "MLSD")?;
        c.command("MLST hello.txt")?;
    }
    c.comment("NLST (EPSV)");
    let data = passive(&mut c, "EPSV")?;
    c.transfer_in(data, "NLST")?;
    c.comment("RETR of a small file (EPSV)");
    let data = passive(&mut c, "EPSV")?;
    c.transfer_in(data, "RETR hello.txt")?;
    c.comment("STOR of a small file (EPSV)");
    let data = passive(&mut c, "EPSV")?;
    c.transfer_out(data, "STOR upload.txt", UPLOAD)?;
    c.comment("rename, delete");
    c.command("RNFR upload.txt")?;
    c.command("RNTO renamed.txt")?;
    c.command("DELE renamed.txt")?;
    c.comment("folders");
    c.command("MKD new-dir")?;
    c.command("RMD new-dir")?;
    c.comment("error: unknown command");
    c.command("XYZZY")?;
    c.command("QUIT")?;
    Ok(c.take_records())
}

fn passive(c: &mut RawControl, command: &str) -> io::Result<std::net::SocketAddr> {
    let (reply, addr) = if command == "PASV" {
        c.pasv()?
    } else {
        c.epsv()?
    };
    addr.ok_or_else(|| io::Error::other(format!("unusable {command} reply {reply:?}")))
}

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            s.trim().to_string()
        })
        .unwrap_or_default()
}

fn stamp(package: &str) -> String {
    let path: PathBuf = peers_dir().join("debs").join(format!("{package}.unpacked"));
    std::fs::read_to_string(path)
        .map(|s| format!("(Debian {})", s.trim()))
        .unwrap_or_default()
}

fn version(kind: PeerKind) -> String {
    match kind {
        PeerKind::Vsftpd => format!(
            "(Debian {})",
            run("dpkg-query", &["-W", "-f=${Version}", "vsftpd"])
        ),
        PeerKind::PureFtpd => stamp("pure-ftpd"),
        PeerKind::Proftpd => stamp("proftpd-core"),
        PeerKind::Pyftpdlib => run(
            "python3",
            &["-c", "import pyftpdlib; print(pyftpdlib.__ver__)"],
        ),
    }
}

fn today() -> String {
    run("date", &["-u", "+%Y-%m-%d"])
}
