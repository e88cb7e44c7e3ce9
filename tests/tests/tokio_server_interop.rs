//! Our servers (in-process, 127.0.0.1:0, a temporary root), the tokio one
//! and the blocking (std) one, driven by real FTP clients (curl, lftp,
//! Python ftplib, tnftp) and by hostile input on raw sockets. Every test
//! body takes a [`Flavor`] and runs once per server (`tokio_server::*`,
//! `std_server::*`).
//!
//! A missing client is a skip with a message, or a failure with
//! `FTP_INTEROP_REQUIRED=1` (CI).
#![allow(clippy::print_stderr, reason = "skipped tests say why")]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ftp_proto_tests::ours::{Flavor, PASSWORD, Setup, TestServer, USER, pattern};
use ftp_proto_tests::peers::{ClientKind, RawControl, require_or_skip};

fn available(client: ClientKind) -> Option<PathBuf> {
    require_or_skip(client.name(), client.install_hint()).then(|| client.find().unwrap())
}

fn run(program: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}\nstdout: {}\nstderr: {}",
        program.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// lftp retries a failed transfer and then succeeds, hiding the failure:
/// its debug log (`debug -t 5`) must show no transient (4xx) reply.
/// Runs an lftp script as the named user against our server on
/// 127.0.0.1:`port` and fails on any transient (4xx) reply in its debug log.
fn run_lftp(lftp: &Path, port: u16, script: &str) {
    let port = port.to_string();
    let login = format!("{USER},{PASSWORD}");
    let out = run(
        lftp,
        &["-u", &login, "-p", &port, "-e", script, "127.0.0.1"],
        None,
    );
    assert_lftp_had_no_transient_failure(&out);
}

fn assert_lftp_had_no_transient_failure(out: &Output) {
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.lines().any(|l| l.contains("<--- 4")),
        "lftp met a transient failure (and retried):\n{log}"
    );
}

/// Every file under `dir`, by relative path, with its contents.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------

fn curl_list_get_put_resume_and_every_data_mode(flavor: Flavor) {
    let Some(curl) = available(ClientKind::Curl) else {
        return;
    };
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let user = format!("{USER}:{PASSWORD}");
    let local = tempfile::tempdir().unwrap();

    let list = run(&curl, &["-sS", &server.url(&user, "/")], None);
    let text = String::from_utf8_lossy(&list.stdout);
    for name in ["hello.txt", "data.bin", "sub dir"] {
        assert!(text.contains(name), "{text}");
    }

    // Download in every data mode: EPSV (default), PASV, active (EPRT/PORT).
    let expected = std::fs::read(server.root().join("data.bin")).unwrap();
    for mode in [
        &[][..],
        &["--disable-epsv"],
        &["-P", "-"],
        &["-P", "-", "--disable-eprt"],
    ] {
        let out = local.path().join("data.bin");
        let mut args = vec!["-sS", "-o", out.to_str().unwrap()];
        args.extend_from_slice(mode);
        let url = server.url(&user, "/data.bin");
        args.push(&url);
        run(&curl, &args, None);
        assert!(
            std::fs::read(&out).unwrap() == expected,
            "download {mode:?}"
        );
    }

    // Upload, then a resumed upload of a longer file (-C -: SIZE + APPE).
    let upload = local.path().join("up.bin");
    let full = pattern(2 * 1024 * 1024 + 5);
    std::fs::write(&upload, &full[..700_000]).unwrap();
    let url = server.url(&user, "/sub%20dir/up.bin");
    run(&curl, &["-sS", "-T", upload.to_str().unwrap(), &url], None);
    assert_eq!(
        std::fs::read(server.root().join("sub dir/up.bin")).unwrap(),
        &full[..700_000]
    );
    std::fs::write(&upload, &full).unwrap();
    run(
        &curl,
        &["-sS", "-C", "-", "-T", upload.to_str().unwrap(), &url],
        None,
    );
    assert!(std::fs::read(server.root().join("sub dir/up.bin")).unwrap() == full);

    // A resumed download (REST + RETR) of a partial local copy.
    let partial = local.path().join("partial.bin");
    std::fs::write(&partial, &expected[..1_000_000]).unwrap();
    let url = server.url(&user, "/data.bin");
    run(
        &curl,
        &["-sS", "-C", "-", "-o", partial.to_str().unwrap(), &url],
        None,
    );
    assert!(std::fs::read(&partial).unwrap() == expected);

    // Anonymous users may read but not write.
    let anon = run(
        &curl,
        &[
            "-sS",
            &server.url("anonymous:me%40example.org", "/hello.txt"),
        ],
        None,
    );
    assert_eq!(anon.stdout, b"hello from ftp-proto\n");
    let refused = Command::new(&curl)
        .args([
            "-sS",
            "-T",
            upload.to_str().unwrap(),
            &server.url("anonymous:x", "/nope.bin"),
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(!server.root().join("nope.bin").exists());
    server.assert_healthy();
}

// ---------------------------------------------------------------------------
// lftp
// ---------------------------------------------------------------------------

fn lftp_mirrors_a_tree_of_200_files_both_ways(flavor: Flavor) {
    let Some(lftp) = available(ClientKind::Lftp) else {
        return;
    };
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let local = tempfile::tempdir().unwrap();
    let source = local.path().join("source");
    for i in 0..200 {
        let dir = source
            .join(format!("d{}", i % 7))
            .join(format!("e{}", i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let mut body = pattern(i * 997 % 70_000);
        body.extend_from_slice(format!("file {i}\n").as_bytes());
        std::fs::write(dir.join(format!("f{i:03}.dat")), body).unwrap();
    }
    let back = local.path().join("back");
    let script = format!(
        "debug -t 5; set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 20; set cmd:fail-exit yes; \
         mirror -R --parallel=4 {src} /tree; mirror --parallel=4 /tree {back}; quit",
        src = source.display(),
        back = back.display()
    );
    run_lftp(&lftp, server.addr.port(), &script);
    let original = tree(&source);
    assert_eq!(original.len(), 200);
    assert!(
        tree(&server.root().join("tree")) == original,
        "uploaded tree differs"
    );
    assert!(tree(&back) == original, "downloaded tree differs");
    server.assert_healthy();
}

// ---------------------------------------------------------------------------
// Python ftplib
// ---------------------------------------------------------------------------

const FTPLIB_SCRIPT: &str = r#"
import ftplib, io, ssl, sys
host, port, user, password, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
if mode == "tls":
    ctx = ssl.create_default_context(cafile=sys.argv[6])
    ftp = ftplib.FTP_TLS(context=ctx, timeout=20)
else:
    ftp = ftplib.FTP(timeout=20)
ftp.connect(host, port)
ftp.login(user, password)
if mode == "tls":
    ftp.prot_p()
names = ftp.nlst()
assert "hello.txt" in names and "data.bin" in names, names
entries = dict(ftp.mlsd())
assert entries["data.bin"]["type"] == "file", entries
assert int(entries["data.bin"]["size"]) == 3 * 1024 * 1024 + 17, entries["data.bin"]
lines = []
ftp.retrlines("LIST", lines.append)
assert any("hello.txt" in l for l in lines), lines
payload = bytes((i * 13) % 256 for i in range(1_500_000))
ftp.storbinary("STOR py.bin", io.BytesIO(payload))
assert ftp.size("py.bin") == len(payload)
got = io.BytesIO()
ftp.retrbinary("RETR py.bin", got.write)
assert got.getvalue() == payload
text = []
ftp.retrlines("RETR hello.txt", text.append)
assert text == ["hello from ftp-proto"], text
ftp.storlines("STOR lines.txt", io.BytesIO(b"one\r\ntwo\r\n"))
ftp.mkd("made")
ftp.cwd("made")
assert ftp.pwd() == "/made"
ftp.cwd("/")
ftp.rename("py.bin", "made/moved.bin")
ftp.delete("made/moved.bin")
ftp.rmd("made")
ftp.quit()
print("ok")
"#;

fn ftplib(server: &TestServer, mode: &str) {
    let Some(python) = available(ClientKind::PythonFtplib) else {
        return;
    };
    let port = server.addr.port().to_string();
    let mut args = vec!["-", "127.0.0.1", &port, USER, PASSWORD, mode];
    let cert = server
        .cert
        .as_ref()
        .map(|c| c.to_string_lossy().into_owned());
    if let Some(cert) = &cert {
        args.push(cert);
    }
    let out = run(&python, &args, Some(FTPLIB_SCRIPT));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    assert_eq!(
        std::fs::read(server.root().join("lines.txt")).unwrap(),
        b"one\ntwo\n"
    );
    server.assert_healthy();
}

fn python_ftplib_plain(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    ftplib(&server, "plain");
}

fn python_ftplib_tls_with_prot_p(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            ..Setup::default()
        },
    )
    .unwrap();
    ftplib(&server, "tls");
}

fn curl_and_lftp_over_explicit_tls(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let expected = std::fs::read(server.root().join("data.bin")).unwrap();
    if let Some(curl) = available(ClientKind::Curl) {
        let cert = server.cert.as_ref().unwrap().to_str().unwrap();
        let out = run(
            &curl,
            &[
                "-sS",
                "--ssl-reqd",
                "--cacert",
                cert,
                &server.url(&format!("{USER}:{PASSWORD}"), "/data.bin"),
            ],
            None,
        );
        assert!(out.stdout == expected);
    }
    if let Some(lftp) = available(ClientKind::Lftp) {
        let local = tempfile::tempdir().unwrap();
        let script = format!(
            "debug -t 5; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no; \
             set net:max-retries 1; set cmd:fail-exit yes; get data.bin -o {dst}; put {dst} -o tls-up.bin; quit",
            dst = local.path().join("d.bin").display()
        );
        run_lftp(&lftp, server.addr.port(), &script);
        assert!(std::fs::read(local.path().join("d.bin")).unwrap() == expected);
        assert!(std::fs::read(server.root().join("tls-up.bin")).unwrap() == expected);
    }
}

// ---------------------------------------------------------------------------
// tnftp
// ---------------------------------------------------------------------------

fn tnftp_get_and_put_from_a_here_document(flavor: Flavor) {
    let Some(tnftp) = available(ClientKind::Tnftp) else {
        return;
    };
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let local = tempfile::tempdir().unwrap();
    let got = local.path().join("got.bin");
    let put = local.path().join("put.bin");
    std::fs::write(&put, pattern(400_000)).unwrap();
    let script = format!(
        "user {USER} {PASSWORD}\nbinary\nget data.bin {got}\nput {put} tn.bin\nls\nquit\n",
        got = got.display(),
        put = put.display()
    );
    let port = server.addr.port().to_string();
    run(&tnftp, &["-n", "-p", "127.0.0.1", &port], Some(&script));
    assert!(std::fs::read(&got).unwrap() == std::fs::read(server.root().join("data.bin")).unwrap());
    assert!(std::fs::read(server.root().join("tn.bin")).unwrap() == pattern(400_000));
}

// ---------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------

fn traversal_and_symlink_escapes_stay_inside_the_root(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let root = server.root();
    std::os::unix::fs::symlink("../outside", root.join("escape-dir")).unwrap();
    std::os::unix::fs::symlink(
        server.dir.path().join("outside/secret"),
        root.join("escape-file"),
    )
    .unwrap();
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    for path in [
        "../outside/secret",
        "../../../../etc/passwd",
        "escape-file",
        "escape-dir/secret",
    ] {
        let (_, data) = c.epsv().unwrap();
        let (first, bytes, _) = c
            .transfer_in(data.unwrap(), &format!("RETR {path}"))
            .unwrap();
        assert!(first.code >= 500, "RETR {path}: {first:?}");
        assert!(bytes.is_empty());
    }
    assert!(c.command("CWD escape-dir").unwrap().code >= 500);
    assert_eq!(c.command("CWD ../../..").unwrap().code, 250);
    let pwd = c.command("PWD").unwrap();
    assert!(pwd.text().starts_with("\"/\""), "{pwd:?}");
    // Writing through the links is refused too, and nothing outside changes.
    let (_, data) = c.epsv().unwrap();
    let (first, _) = c
        .transfer_out(data.unwrap(), "STOR escape-dir/secret", b"pwned")
        .unwrap();
    assert!(first.code >= 500, "{first:?}");
    assert_eq!(
        std::fs::read(server.dir.path().join("outside/secret")).unwrap(),
        b"top secret"
    );
    server.assert_healthy();
}

fn bounce_port_commands_are_refused(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let mut c = server.raw_login();
    for cmd in [
        "PORT 192,0,2,1,19,137",
        "PORT 127,0,0,1,0,21",
        "EPRT |1|192.0.2.1|5000|",
        "EPRT |1|127.0.0.1|25|",
    ] {
        let reply = c.command(cmd).unwrap();
        assert_eq!(reply.code, 501, "{cmd}: {reply:?}");
    }
    // With no accepted data address, a transfer cannot start.
    assert_eq!(c.command("RETR hello.txt").unwrap().code, 425);
    assert_eq!(c.command("NOOP").unwrap().code, 200);
}

fn an_overlong_line_gets_500_and_the_session_goes_on(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let mut c = server.raw_login();
    let long = format!("NOOP {}", "A".repeat(20_000));
    assert_eq!(c.command(&long).unwrap().code, 500);
    assert_eq!(c.command("NOOP").unwrap().code, 200);
    assert_eq!(c.command("PWD").unwrap().code, 257);
}

fn a_client_vanishing_mid_transfer_leaves_the_server_healthy(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    std::fs::write(server.root().join("huge.bin"), pattern(64 * 1024 * 1024)).unwrap();
    // Mid-download.
    {
        let mut c = server.raw_login();
        assert_eq!(c.command("TYPE I").unwrap().code, 200);
        let (_, data) = c.epsv().unwrap();
        let mut stream = TcpStream::connect(data.unwrap()).unwrap();
        assert_eq!(c.command("RETR huge.bin").unwrap().class(), 1);
        let mut buf = [0u8; 4096];
        stream.read_exact(&mut buf).unwrap();
        // Both connections vanish without QUIT or ABOR.
    }
    // Mid-upload.
    {
        let mut c = server.raw_login();
        assert_eq!(c.command("TYPE I").unwrap().code, 200);
        let (_, data) = c.epsv().unwrap();
        let mut stream = TcpStream::connect(data.unwrap()).unwrap();
        assert_eq!(c.command("STOR partial.bin").unwrap().class(), 1);
        stream.write_all(&pattern(100_000)).unwrap();
    }
    server.assert_healthy();
    // ABOR during a download: 426 then 226, and the session goes on.
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let (_, data) = c.epsv().unwrap();
    let stream = TcpStream::connect(data.unwrap()).unwrap();
    assert_eq!(c.command("RETR huge.bin").unwrap().class(), 1);
    let abor = c.command("ABOR").unwrap();
    let second = c.read_reply().unwrap();
    assert!(
        matches!(abor.code, 426 | 226) && second.code == 226,
        "{abor:?} {second:?}"
    );
    drop(stream);
    assert_eq!(c.command("NOOP").unwrap().code, 200);
}

/// STAT during a download reports how far it got: the client reads 1 MiB
/// and then asks; the count the server gives is at least that (the bytes
/// are in flight or read), and the transfer goes on to its 226.
fn stat_during_a_download_shows_its_progress(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let len = 16 * 1024 * 1024;
    std::fs::write(server.root().join("big.bin"), pattern(len)).unwrap();
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let (_, data) = c.epsv().unwrap();
    let mut stream = TcpStream::connect(data.unwrap()).unwrap();
    assert_eq!(c.command("RETR big.bin").unwrap().class(), 1);
    let mut got = vec![0u8; 1024 * 1024];
    stream.read_exact(&mut got).unwrap();
    let stat = c.command("STAT").unwrap();
    let moved: u64 = stat
        .lines
        .iter()
        .find_map(|l| {
            let (_, rest) = l.split_once("Transfer in progress: ")?;
            rest.split(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no progress line in {stat:?}"));
    assert!(
        moved >= got.len() as u64,
        "{moved} bytes reported: {stat:?}"
    );
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert_eq!(got.len() + rest.len(), len);
    assert_eq!(c.read_reply().unwrap().code, 226);
}

fn five_hundred_idle_connections_then_clean_close(flavor: Flavor) {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let mut held = Vec::with_capacity(500);
    for _ in 0..500 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut greeting = [0u8; 3];
        s.read_exact(&mut greeting).unwrap();
        assert_eq!(&greeting, b"220");
        held.push(s);
    }
    server.assert_healthy();
    // Half quit politely, half just vanish.
    for (i, mut s) in held.into_iter().enumerate() {
        if i % 2 == 0 {
            s.write_all(b"QUIT\r\n").unwrap();
        }
    }
    server.assert_healthy();
}

fn connections_over_the_limit_get_421(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            max_connections: Some(2),
            ..Setup::default()
        },
    )
    .unwrap();
    let a = server.raw_login();
    let b = server.raw();
    let mut c = RawControl::connect(server.addr).unwrap();
    assert_eq!(c.read_reply().unwrap().code, 421);
    drop((a, b, c));
    // The places free up once those sessions end (a bounded wait, generous
    // for a loaded machine: the servers notice the closes asynchronously).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut c = RawControl::connect(server.addr).unwrap();
        let code = c.read_reply().unwrap().code;
        if code == 220 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "slots never freed (last reply {code})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn the_per_address_limit_says_why_and_rmd_of_a_full_directory_is_550(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            max_per_ip: Some(1),
            ..Setup::default()
        },
    )
    .unwrap();
    let mut a = server.raw_login();
    let mut b = RawControl::connect(server.addr).unwrap();
    let refused = b.read_reply().unwrap();
    assert_eq!(refused.code, 421);
    assert!(
        format!("{refused:?}").contains("from your address"),
        "{refused:?}"
    );
    // The storage's "directory not empty" reaches the client as such.
    let rmd = a.command("RMD sub dir").unwrap();
    assert_eq!(rmd.code, 550);
    assert!(format!("{rmd:?}").contains("not empty"), "{rmd:?}");
}

fn ipv6_loopback_smoke(flavor: Flavor) {
    let Ok(probe) = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) else {
        eprintln!("SKIPPED: ::1 is not available on this machine");
        return;
    };
    drop(probe);
    let Some(server) = TestServer::start(
        flavor,
        &Setup {
            listen: Some(SocketAddr::from((Ipv6Addr::LOCALHOST, 0))),
            ..Setup::default()
        },
    ) else {
        return;
    };
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let (reply, data) = c.epsv().unwrap();
    assert_eq!(reply.code, 229);
    let (first, bytes, last) = c.transfer_in(data.unwrap(), "RETR hello.txt").unwrap();
    assert_eq!(first.class(), 1);
    assert_eq!(bytes, b"hello from ftp-proto\n");
    assert_eq!(last.unwrap().code, 226);
    // PASV has no IPv4 address to announce on an IPv6 connection.
    assert_eq!(c.command("PASV").unwrap().code, 425);
}

/// A server over explicit TLS that accepts `CCC`.
fn ccc_server(flavor: Flavor) -> TestServer {
    TestServer::start(
        flavor,
        &Setup {
            tls: true,
            allow_clear_control: true,
            ..Setup::default()
        },
    )
    .unwrap()
}

/// curl clears the control connection after login (`--ftp-ssl-ccc`) in
/// both of its shutdown modes: `passive` sends no `close_notify` and waits
/// for ours, `active` sends its own first. Downloads and listings still
/// arrive, the data under `PROT P`.
///
/// lftp (`ftp:ssl-use-ccc`) is left out: it takes our `close_notify`, when
/// it arrives in the same read as the `200`, for the connection's end
/// ("Peer closed connection", 4.9.2) and reconnects; whether it does
/// depends on timing, as with ProFTPD, which also sends `close_notify`
/// right after the `200`.
fn curl_clears_the_control_connection(flavor: Flavor) {
    let Some(curl) = available(ClientKind::Curl) else {
        return;
    };
    let server = ccc_server(flavor);
    let expected = std::fs::read(server.root().join("data.bin")).unwrap();
    let cert = server.cert.as_ref().unwrap().to_str().unwrap().to_owned();
    let user = format!("{USER}:{PASSWORD}");
    for mode in ["passive", "active"] {
        let base = [
            "-sS",
            "-v",
            "--ssl-reqd",
            "--cacert",
            &cert,
            "--ftp-ssl-ccc",
            "--ftp-ssl-ccc-mode",
            mode,
        ];
        let url = server.url(&user, "/data.bin");
        let mut args = base.to_vec();
        args.push(&url);
        let out = run(&curl, &args, None);
        assert!(out.stdout == expected, "curl CCC {mode}: RETR differs");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(log.contains("< 200 Control connection cleared"), "{log}");
        let url = server.url(&user, "/");
        let mut args = base.to_vec();
        args.push(&url);
        let list = String::from_utf8(run(&curl, &args, None).stdout).unwrap();
        assert!(list.contains("hello.txt"), "curl CCC {mode}: {list}");
    }
    server.assert_healthy();
}

/// Our clients (tokio and blocking) against our server over explicit TLS:
/// `CCC` is refused by default (534, TLS stays); allowed, the control
/// connection goes on in clear while LIST, RETR and STOR run under `PROT P`.
fn our_clients_clear_the_control_connection(flavor: Flavor) {
    use ftp_proto_std::client::{Client as StdClient, ClientOptions};
    use ftp_proto_std::tls::TlsClient;
    use ftp_proto_tokio::client::Client as TokioClient;

    let refusing = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let server = ccc_server(flavor);
    let expected = std::fs::read(server.root().join("data.bin")).unwrap();
    let options = |s: &TestServer| {
        let tls = TlsClient::with_ca_file(s.cert.as_ref().unwrap())
            .and_then(|t| t.with_server_name("localhost"))
            .unwrap();
        ClientOptions::default()
            .explicit_tls(tls)
            .connect_timeout(Duration::from_secs(20))
    };

    // Blocking client.
    let mut c = StdClient::connect(refusing.addr, options(&refusing)).unwrap();
    c.login(USER, PASSWORD).unwrap();
    let err = c.clear_control().unwrap_err();
    assert_eq!(err.reply().map(|r| r.code().as_u16()), Some(534));
    assert!(c.is_secure());
    assert_eq!(c.list(Some("sub dir")).unwrap().len(), 1);
    c.quit().unwrap();
    let mut c = StdClient::connect(server.addr, options(&server)).unwrap();
    c.login(USER, PASSWORD).unwrap();
    c.clear_control().unwrap();
    assert!(!c.is_secure());
    assert!(
        c.list(None::<&str>)
            .unwrap()
            .iter()
            .any(|e| &e.name[..] == b"hello.txt")
    );
    let mut got = Vec::new();
    c.retrieve_to("data.bin", 0, &mut got).unwrap();
    assert!(got == expected, "std client: RETR after CCC differs");
    c.store("std-ccc.bin", 0, &mut &expected[..]).unwrap();
    c.quit().unwrap();
    assert!(std::fs::read(server.root().join("std-ccc.bin")).unwrap() == expected);

    // Tokio client.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut c = TokioClient::connect(refusing.addr, options(&refusing))
            .await
            .unwrap();
        c.login(USER, PASSWORD).await.unwrap();
        let err = c.clear_control().await.unwrap_err();
        assert_eq!(err.reply().map(|r| r.code().as_u16()), Some(534));
        assert!(c.is_secure());
        c.quit().await.unwrap();
        let mut c = TokioClient::connect(server.addr, options(&server))
            .await
            .unwrap();
        c.login(USER, PASSWORD).await.unwrap();
        c.clear_control().await.unwrap();
        assert!(!c.is_secure());
        let entries = c.list(None::<&str>).await.unwrap();
        assert!(entries.iter().any(|e| &e.name[..] == b"hello.txt"));
        let mut got = Vec::new();
        c.retrieve_to("data.bin", 0, &mut got).await.unwrap();
        assert!(got == expected, "tokio client: RETR after CCC differs");
        c.store("tokio-ccc.bin", 0, &mut &expected[..])
            .await
            .unwrap();
        c.quit().await.unwrap();
    });
    assert!(std::fs::read(server.root().join("tokio-ccc.bin")).unwrap() == expected);
    refusing.assert_healthy();
    server.assert_healthy();
}

fn implicit_tls_with_curl(flavor: Flavor) {
    let Some(curl) = available(ClientKind::Curl) else {
        return;
    };
    let server = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            implicit_tls: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let cert = server.cert.as_ref().unwrap().to_str().unwrap();
    let url = format!("ftps://{USER}:{PASSWORD}@{}/hello.txt", server.addr);
    let out = run(&curl, &["-sS", "--cacert", cert, &url], None);
    assert_eq!(out.stdout, b"hello from ftp-proto\n");
}

fn required_session_reuse_admits_resuming_clients_and_refuses_others(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            require_session_reuse: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let expected = std::fs::read(server.root().join("data.bin")).unwrap();
    let cert = server.cert.as_ref().unwrap().to_str().unwrap();
    if let Some(curl) = available(ClientKind::Curl) {
        let url = server.url(&format!("{USER}:{PASSWORD}"), "/data.bin");
        let out = run(&curl, &["-sS", "--ssl-reqd", "--cacert", cert, &url], None);
        assert!(out.stdout == expected, "curl resumes the control session");
    }
    if let Some(lftp) = available(ClientKind::Lftp) {
        let local = tempfile::tempdir().unwrap();
        let script = format!(
            "debug -t 5; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:ca-file {cert}; \
             set net:max-retries 1; set cmd:fail-exit yes; get data.bin -o {dst}; quit",
            dst = local.path().join("d.bin").display()
        );
        run_lftp(&lftp, server.addr.port(), &script);
        assert!(
            std::fs::read(local.path().join("d.bin")).unwrap() == expected,
            "lftp resumes"
        );
    }
    if let Some(python) = available(ClientKind::PythonFtplib) {
        // ftplib never resumes: its PROT P transfer gets 522.
        let script = r#"
import ftplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ftp = ftplib.FTP_TLS(context=ctx, timeout=20)
ftp.connect("127.0.0.1", int(sys.argv[1]))
ftp.login(sys.argv[3], sys.argv[4])
ftp.prot_p()
try:
    ftp.retrbinary("RETR hello.txt", lambda b: None)
    print("transferred")
except ftplib.all_errors as e:
    print(str(e)[:3])
"#;
        let port = server.addr.port().to_string();
        let out = run(&python, &["-", &port, cert, USER, PASSWORD], Some(script));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "522");
    }
}

fn graceful_shutdown_lets_a_transfer_finish_and_says_421(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            grace: Some(Duration::from_secs(60)),
            ..Setup::default()
        },
    )
    .unwrap();
    let mut idle = server.raw_login();
    let mut busy = server.raw_login();
    assert_eq!(busy.command("TYPE I").unwrap().code, 200);
    let (_, data) = busy.epsv().unwrap();
    let mut stream = TcpStream::connect(data.unwrap()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(busy.command("RETR data.bin").unwrap().class(), 1);
    let mut first = [0u8; 4096];
    stream.read_exact(&mut first).unwrap();

    server.shutdown();
    assert_eq!(idle.read_reply().unwrap().code, 421);
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert_eq!(first.len() + rest.len(), 3 * 1024 * 1024 + 17);
    assert_eq!(busy.read_reply().unwrap().code, 226);
    assert_eq!(busy.read_reply().unwrap().code, 421);
}

fn a_transfer_still_running_when_the_grace_ends_gets_426_then_421(flavor: Flavor) {
    let server = TestServer::start(
        flavor,
        &Setup {
            grace: Some(Duration::from_millis(200)),
            ..Setup::default()
        },
    )
    .unwrap();
    let mut busy = server.raw_login();
    assert_eq!(busy.command("TYPE I").unwrap().code, 200);
    let (_, data) = busy.epsv().unwrap();
    let mut stream = TcpStream::connect(data.unwrap()).unwrap();
    assert_eq!(busy.command("STOR stalled.bin").unwrap().class(), 1);
    // The upload never ends: the data connection stays open and quiet.
    stream.write_all(&pattern(1000)).unwrap();
    server.shutdown();
    assert_eq!(busy.read_reply().unwrap().code, 426);
    assert_eq!(busy.read_reply().unwrap().code, 421);
    drop(stream);
}

/// A passive range of one port serves transfer after transfer: the port of
/// a finished transfer (the server closes first, so its side sits in
/// TIME_WAIT) and of a cancelled listener can be listened on again.
fn one_passive_port_serves_transfer_after_transfer(flavor: Flavor) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let setup = Setup {
        passive_ports: Some(port..=port),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    for round in 0..3 {
        let (reply, data) = c.epsv().unwrap();
        assert_eq!(reply.code, 229, "transfer {round}: {reply:?}");
        assert_eq!(data.unwrap().port(), port);
        let (first, bytes, last) = c.transfer_in(data.unwrap(), "RETR hello.txt").unwrap();
        assert_eq!(first.class(), 1, "{first:?}");
        assert_eq!(bytes, b"hello from ftp-proto\n");
        assert_eq!(last.unwrap().code, 226);
    }
    // A listener given up by ABOR frees its port too.
    assert_eq!(c.epsv().unwrap().0.code, 229);
    assert_eq!(c.command("ABOR").unwrap().code, 226);
    let (reply, data) = c.epsv().unwrap();
    assert_eq!(reply.code, 229, "{reply:?}");
    let (_, bytes, last) = c.transfer_in(data.unwrap(), "RETR hello.txt").unwrap();
    assert_eq!(bytes, b"hello from ftp-proto\n");
    assert_eq!(last.unwrap().code, 226);
    assert_eq!(c.command("QUIT").unwrap().code, 221);
}

/// Runs every test body against both servers.
macro_rules! for_both_servers {
    ($($name:ident),* $(,)?) => {
        mod tokio_server {
            $(#[test] fn $name() { super::$name(super::Flavor::Tokio) })*
        }
        mod std_server {
            $(#[test] fn $name() { super::$name(super::Flavor::Std) })*
        }
    };
}

for_both_servers!(
    curl_list_get_put_resume_and_every_data_mode,
    lftp_mirrors_a_tree_of_200_files_both_ways,
    python_ftplib_plain,
    python_ftplib_tls_with_prot_p,
    curl_and_lftp_over_explicit_tls,
    tnftp_get_and_put_from_a_here_document,
    traversal_and_symlink_escapes_stay_inside_the_root,
    bounce_port_commands_are_refused,
    an_overlong_line_gets_500_and_the_session_goes_on,
    a_client_vanishing_mid_transfer_leaves_the_server_healthy,
    stat_during_a_download_shows_its_progress,
    five_hundred_idle_connections_then_clean_close,
    connections_over_the_limit_get_421,
    ipv6_loopback_smoke,
    implicit_tls_with_curl,
    curl_clears_the_control_connection,
    our_clients_clear_the_control_connection,
    required_session_reuse_admits_resuming_clients_and_refuses_others,
    graceful_shutdown_lets_a_transfer_finish_and_says_421,
    a_transfer_still_running_when_the_grace_ends_gets_426_then_421,
    the_per_address_limit_says_why_and_rmd_of_a_full_directory_is_550,
    one_passive_port_serves_transfer_after_transfer,
);

/// An authenticator whose back end is down (blocking; `Blocking` adapts
/// it for the tokio server).
#[derive(Debug)]
struct Down;

impl ftp_proto_std::auth::Authenticator for Down {
    fn authenticate(
        &self,
        _user: &[u8],
        _password: &[u8],
    ) -> Result<ftp_proto_std::auth::Identity, ftp_proto_std::auth::AuthError> {
        Err(ftp_proto_std::auth::AuthError::Unavailable(
            "directory offline".to_owned(),
        ))
    }
}

/// The settings of a server with [`Down`].
fn down_settings() -> ftp_proto_std::server::ServerSettings {
    ftp_proto_std::server::ServerSettings::new()
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .failed_login_delay(None)
}

/// A login at `addr` (a server with [`Down`]) gets `421`, then the session ends.
fn assert_unavailable_authenticator_gets_421(addr: SocketAddr) {
    let mut c = RawControl::connect(addr).unwrap();
    assert_eq!(c.read_reply().unwrap().code, 220);
    assert_eq!(c.command(&format!("USER {USER}")).unwrap().code, 331);
    assert_eq!(c.command(&format!("PASS {PASSWORD}")).unwrap().code, 421);
    // The server closed the session: no reply follows.
    assert!(c.command("NOOP").is_err());
}

#[test]
fn tokio_unavailable_authenticator_gets_421_and_the_session_ends() {
    let root = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(
            ftp_proto_tokio::server::Server::builder(
                ftp_proto_tokio::auth::Blocking::new(Down),
                ftp_proto_tokio::server::FilesystemRoots::new(root.path()),
            )
            .settings(down_settings())
            .bind(),
        )
        .unwrap();
    let addr = server.local_addrs()[0];
    runtime.spawn(server.serve());
    assert_unavailable_authenticator_gets_421(addr);
}

#[test]
fn std_unavailable_authenticator_gets_421_and_the_session_ends() {
    let root = tempfile::tempdir().unwrap();
    let server = ftp_proto_std::server::Server::builder(
        Down,
        ftp_proto_std::server::FilesystemRoots::new(root.path()),
    )
    .settings(down_settings())
    .bind()
    .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let serving = std::thread::spawn(move || server.serve());
    assert_unavailable_authenticator_gets_421(addr);
    handle.shutdown();
    serving.join().unwrap().unwrap();
}
