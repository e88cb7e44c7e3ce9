//! Our servers (both adapters, in-process on loopback) against the attacks
//! of a black-box campaign on the control connection: an `ABOR` sent as
//! TCP urgent data, password guessing across connections, and passive
//! ports held by sessions that never connect.
//!
//! Every test body takes a [`Flavor`] and runs once per server
//! (`tokio_server::*`, `std_server::*`).
#![allow(clippy::print_stderr, reason = "skipped tests say why")]

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_proto_std::server::{BanPolicy, ServerSettings};
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

// ---------------------------------------------------------------------------
// Password guessing across connections
// ---------------------------------------------------------------------------

/// Three failed logins within a minute ban an address for a minute.
fn ban_after_three(s: ServerSettings) -> ServerSettings {
    s.login_bans(Some(BanPolicy::new(
        3,
        Duration::from_secs(60),
        Duration::from_secs(60),
    )))
}

fn failed_logins_across_connections_ban_the_address_only(flavor: Flavor) {
    let setup = Setup {
        configure: Some(ban_after_three),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let other: IpAddr = [127, 0, 0, 2].into();
    // Sessions opened before the ban: one logged in, one not yet.
    let mut logged_in = server.raw_login();
    let mut waiting = server.raw();
    for attempt in 0..3 {
        let mut c = server.raw();
        let reply = c.login(USER, "guess").unwrap();
        assert_eq!(reply.code, 530, "attempt {attempt}: {reply:?}");
    }
    // New connections from the address are refused before any login.
    let mut refused = RawControl::connect(server.addr).unwrap();
    let reply = refused.read_reply().unwrap();
    assert_eq!(reply.code, 421, "{reply:?}");
    assert!(reply.text().contains("failed logins"), "{reply:?}");
    // A session it already has cannot log in, not even with the password,
    // and is told nothing else than for a wrong one.
    assert_eq!(waiting.login(USER, PASSWORD).unwrap().code, 530);
    // A session logged in before goes on.
    assert_eq!(logged_in.command("NOOP").unwrap().code, 200);
    // Another address is not concerned.
    let mut c = RawControl::connect_from(other, server.addr).unwrap();
    assert_eq!(c.read_reply().unwrap().code, 220);
    assert_eq!(c.login(USER, PASSWORD).unwrap().code, 230);
}

// ---------------------------------------------------------------------------
// Passive ports
// ---------------------------------------------------------------------------

/// A free port of 127.0.0.1 (free when probed).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A session logged in as [`USER`], in binary mode.
fn binary(server: &TestServer) -> RawControl {
    let mut c = server.raw_login();
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    c
}

/// One session asking again and again holds one listener: each `EPSV`
/// closes the one before, so a range of one port serves them all.
fn a_new_epsv_frees_the_port_of_the_last(flavor: Flavor) {
    let port = free_port();
    let setup = Setup {
        passive_ports: Some(port..=port),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let mut c = binary(&server);
    for round in 0..10 {
        let (reply, data) = c.epsv().unwrap();
        assert_eq!(reply.code, 229, "EPSV {round}: {reply:?}");
        assert_eq!(data.unwrap().port(), port);
    }
    let (reply, data) = c.pasv().unwrap();
    assert_eq!(reply.code, 227, "{reply:?}");
    let (_, bytes, last) = c.transfer_in(data.unwrap(), "RETR hello.txt").unwrap();
    assert_eq!(bytes, b"hello from ftp-proto\n");
    assert_eq!(last.unwrap().code, 226);
}

/// [`binary`] from another loopback address, 127.0.0.2.
fn binary_from_elsewhere(server: &TestServer) -> RawControl {
    let other: IpAddr = [127, 0, 0, 2].into();
    let mut c = RawControl::connect_from(other, server.addr).unwrap();
    assert_eq!(c.read_reply().unwrap().code, 220);
    assert_eq!(c.login(USER, PASSWORD).unwrap().code, 230);
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    c
}

/// `EPSV` until it is `229` rather than `425` (a bounded wait, generous
/// for a loaded machine, for another session's listener to be closed).
fn epsv_once_free(c: &mut RawControl) -> SocketAddr {
    for _ in 0..200 {
        let (reply, data) = c.epsv().unwrap();
        if reply.code == 229 {
            return data.unwrap();
        }
        assert_eq!(reply.code, 425, "{reply:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no passive port came free");
}

fn short_accept_timeout(s: ServerSettings) -> ServerSettings {
    s.passive_accept_timeout(Some(Duration::from_millis(200)))
}

/// A listener nobody connects to is closed after the accept timeout, and
/// its port serves another session.
fn an_unused_listener_is_closed_after_the_accept_timeout(flavor: Flavor) {
    let port = free_port();
    let setup = Setup {
        passive_ports: Some(port..=port),
        configure: Some(short_accept_timeout),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let mut idle = binary(&server);
    assert_eq!(idle.epsv().unwrap().0.code, 229);
    let mut c = binary(&server);
    // The port comes free once the idle session's listener times out.
    let data = epsv_once_free(&mut c);
    let (_, bytes, reply) = c.transfer_in(data, "RETR hello.txt").unwrap();
    assert_eq!(bytes, b"hello from ftp-proto\n");
    assert_eq!(reply.unwrap().code, 226);
    // The idle session was told nothing; its next transfer needs a new EPSV.
    assert_eq!(idle.command("NOOP").unwrap().code, 200);
    assert_eq!(idle.command("RETR hello.txt").unwrap().code, 425);
}

fn two_passive_per_address(s: ServerSettings) -> ServerSettings {
    s.max_passive_per_ip(Some(2))
}

/// One address holds at most its cap of waiting listeners across
/// sessions; another address is not concerned, and a listener given up
/// frees a place.
fn passive_listeners_are_capped_per_address(flavor: Flavor) {
    let setup = Setup {
        configure: Some(two_passive_per_address),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let mut a = binary(&server);
    let mut b = binary(&server);
    let mut c = binary(&server);
    assert_eq!(a.epsv().unwrap().0.code, 229);
    assert_eq!(b.pasv().unwrap().0.code, 227);
    assert_eq!(c.epsv().unwrap().0.code, 425);
    // The same session asking again keeps its one place.
    assert_eq!(a.epsv().unwrap().0.code, 229);
    assert_eq!(binary_from_elsewhere(&server).epsv().unwrap().0.code, 229);
    // ABOR gives a's listener up (its 226 leaves first, the listener is
    // closed right after): c gets its place and its transfer.
    assert_eq!(a.command("ABOR").unwrap().code, 226);
    let data = epsv_once_free(&mut c);
    let (_, bytes, last) = c.transfer_in(data, "RETR hello.txt").unwrap();
    assert_eq!(bytes, b"hello from ftp-proto\n");
    assert_eq!(last.unwrap().code, 226);
    // An accepted listener gives its place back too.
    assert_eq!(c.epsv().unwrap().0.code, 229);
}

/// `n` consecutive ports of 127.0.0.1 that were free when probed.
fn free_ports(n: u16) -> std::ops::RangeInclusive<u16> {
    for _ in 0..100 {
        let base = free_port();
        let Some(end) = base.checked_add(n - 1) else {
            continue;
        };
        let held: Vec<_> = (base..=end)
            .map_while(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == usize::from(n) {
            return base..=end;
        }
    }
    panic!("no {n} consecutive free ports");
}

/// With a passive range, one address holds at most a quarter of it by
/// default: here 1 of 4 ports, and the other address still gets one.
fn one_address_cannot_take_the_passive_range_from_another(flavor: Flavor) {
    let setup = Setup {
        passive_ports: Some(free_ports(4)),
        ..Setup::default()
    };
    let server = TestServer::start(flavor, &setup).unwrap();
    let mut a = binary(&server);
    let mut b = binary(&server);
    assert_eq!(a.epsv().unwrap().0.code, 229);
    assert_eq!(b.epsv().unwrap().0.code, 425);
    assert_eq!(binary_from_elsewhere(&server).epsv().unwrap().0.code, 229);
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
    failed_logins_across_connections_ban_the_address_only,
    a_new_epsv_frees_the_port_of_the_last,
    an_unused_listener_is_closed_after_the_accept_timeout,
    passive_listeners_are_capped_per_address,
    one_address_cannot_take_the_passive_range_from_another,
);
