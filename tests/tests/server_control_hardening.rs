//! Our servers (both adapters, in-process on loopback) against the attacks
//! of a black-box campaign on the control connection: an `ABOR` sent as
//! TCP urgent data, password guessing across connections, and passive
//! ports held by sessions that never connect.
//!
//! Every test body takes a [`Flavor`] and runs once per server
//! (`tokio_server::*`, `std_server::*`).
#![allow(clippy::print_stderr, reason = "skipped tests say why")]

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_proto_tests::ours::{Flavor, PASSWORD, Setup, TestServer, USER};
use ftp_proto_tests::peers::{ClientKind, RawControl, require_or_skip};

/// A sparse file far larger than any test reads: an unaborted download of
/// it would take long enough to show.
const BIG: u64 = 256 * 1024 * 1024;

fn server_with_big_file(flavor: Flavor) -> TestServer {
    let server = TestServer::start(flavor, &Setup::default()).unwrap();
    let file = std::fs::File::create(server.root().join("big.bin")).unwrap();
    file.set_len(BIG).unwrap();
    server
}

/// Reads the data connection to its end on a thread (so the server is never
/// held up writing); gives the byte count.
fn drain(mut data: TcpStream) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let _ = data.set_read_timeout(Some(Duration::from_secs(30)));
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        while let Ok(n) = data.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    })
}

/// Starts `RETR big.bin` and reads a little of it.
fn start_download(c: &mut RawControl) -> TcpStream {
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let (_, data) = c.epsv().unwrap();
    let mut stream = TcpStream::connect(data.unwrap()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(c.command("RETR big.bin").unwrap().class(), 1);
    let mut some = vec![0u8; 64 * 1024];
    stream.read_exact(&mut some).unwrap();
    stream
}

/// After an urgent ABOR: `426` for the transfer, `226` for ABOR, the
/// download cut short, and the next command answered on its own.
fn assert_aborted(c: &mut RawControl, data: TcpStream) {
    let reading = drain(data);
    let first = c.read_reply().unwrap();
    let second = c.read_reply().unwrap();
    assert_eq!(
        (first.code, second.code),
        (426, 226),
        "{first:?} {second:?}"
    );
    let got = reading.join().unwrap();
    assert!(got < BIG, "the whole file arrived: the ABOR was not seen");
    assert_eq!(c.command("NOOP").unwrap().code, 200);
    assert_eq!(c.command("PWD").unwrap().code, 257);
}

/// Python's `ftplib.abort()`: all of `ABOR\r\n` urgent (its LF is the
/// urgent byte).
fn urgent_abor_as_ftplib_sends_it(flavor: Flavor) {
    let server = server_with_big_file(flavor);
    let mut c = server.raw_login();
    let data = start_download(&mut c);
    c.send_urgent(b"ABOR\r\n").unwrap();
    assert_aborted(&mut c, data);
}

/// BSD clients (tnftp): `IAC IP IAC` urgent (the second `IAC` is the
/// urgent byte), then `DM ABOR\r\n` in band.
fn urgent_abor_as_bsd_clients_send_it(flavor: Flavor) {
    let server = server_with_big_file(flavor);
    let mut c = server.raw_login();
    let data = start_download(&mut c);
    c.send_urgent(&[0xff, 0xf4, 0xff]).unwrap();
    c.send_raw(b"\xf2ABOR\r\n").unwrap();
    assert_aborted(&mut c, data);
}

/// A Python ftplib script: a large download read a little, `abort()`
/// (urgent), its `426`, then `226` and `NOOP`.
const FTPLIB_ABORT: &str = r#"
import ftplib, sys
ftp = ftplib.FTP(timeout=20)
ftp.connect(sys.argv[1], int(sys.argv[2]))
ftp.login(sys.argv[3], sys.argv[4])
ftp.voidcmd("TYPE I")
conn = ftp.transfercmd("RETR big.bin")
got = 0
while got < 1 << 20:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += len(chunk)
first = ftp.abort()
assert first[:3] == "426", first
second = ftp.getresp()
assert second[:3] == "226", second
rest = 0
while True:
    chunk = conn.recv(1 << 20)
    if not chunk:
        break
    rest += len(chunk)
conn.close()
assert got + rest < 256 * 1024 * 1024, got + rest
assert ftp.voidcmd("NOOP")[:3] == "200"
ftp.quit()
print("ok")
"#;

fn python_ftplib_abort_mid_download(flavor: Flavor) {
    if !require_or_skip(
        ClientKind::PythonFtplib.name(),
        ClientKind::PythonFtplib.install_hint(),
    ) {
        return;
    }
    let python: PathBuf = ClientKind::PythonFtplib.find().unwrap();
    let server = server_with_big_file(flavor);
    let port = server.addr.port().to_string();
    let child = Command::new(python)
        .args(["-c", FTPLIB_ABORT, "127.0.0.1", &port, USER, PASSWORD])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: ftplib's 20 s timeouts end the script.
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "ftplib abort failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    server.assert_healthy();
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
    urgent_abor_as_ftplib_sends_it,
    urgent_abor_as_bsd_clients_send_it,
    python_ftplib_abort_mid_download,
);
