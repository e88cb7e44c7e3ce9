//! The clients and their examples (`client`, `blocking_client`) against
//! hostile fake servers on loopback: they must fail with an error (exit
//! status 1 and a message), in bounded time and memory.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ftp_proto_tests::client_example::Example;

static TOKIO: Example = Example::new("ftp-proto-tokio", "client");
static STD: Example = Example::new("ftp-proto-std", "blocking_client");

/// How long a fake server waits for anything before giving up.
const PATIENCE: Duration = Duration::from_secs(20);

/// What the fake server saw of one session.
#[derive(Debug, Default)]
struct Seen {
    /// The command lines, in order.
    commands: Vec<String>,
    /// Bytes written on the data connection before it failed or the cap.
    data_sent: u64,
    /// The data connection failed (the client closed it) before the cap.
    client_stopped: bool,
}

fn accept(listener: &TcpListener) -> Option<TcpStream> {
    ftp_proto_tests::loopback::accept_within(listener, PATIENCE)
}

/// What the fake server does with the data connection of a `LIST`.
#[derive(Debug, Clone, Copy)]
enum Listing {
    /// Listing lines that never end (up to this many bytes).
    Endless(u64),
    /// Nothing at all, the connection held open until the client closes it.
    Silent,
    /// These bytes, then the data connection closed and this final reply
    /// (also what `RETR` gets; `PWD` is answered with the third field).
    Bytes(&'static [u8], &'static [u8], &'static [u8]),
}

/// A one-session fake server that answers the login, `FEAT` and `EPSV`,
/// and `LIST` with `150` and `listing` on the data connection.
fn fake_server(listing: Listing) -> (SocketAddr, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let mut seen = Seen::default();
        let Some(control) = accept(&listener) else {
            return seen;
        };
        control.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut out = control.try_clone().unwrap();
        let mut lines = BufReader::new(control);
        let mut passive: Option<TcpListener> = None;
        let _ = out.write_all(b"220 fake\r\n");
        let mut line = String::new();
        while matches!(lines.read_line(&mut line), Ok(n) if n > 0) {
            let command = line.trim_end().to_owned();
            line.clear();
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            seen.commands.push(command);
            let reply: &[u8] = match verb.as_str() {
                "USER" => b"331 password\r\n",
                "PASS" => b"230 in\r\n",
                "FEAT" => b"211-Features:\r\n SIZE\r\n211 End\r\n",
                "EPSV" => {
                    passive = Some(ftp_proto_tests::loopback::epsv(&mut out));
                    continue;
                }
                "PWD" => match listing {
                    Listing::Bytes(_, _, pwd) => pwd,
                    _ => b"257 \"/\"\r\n",
                },
                "LIST" | "RETR" => {
                    let _ = out.write_all(b"150 here it comes\r\n");
                    if let Some(mut data) = passive.take().as_ref().and_then(accept) {
                        match listing {
                            Listing::Endless(cap) => endless(&mut data, cap, &mut seen),
                            Listing::Bytes(bytes, reply, _) => {
                                let _ = data.write_all(bytes);
                                drop(data);
                                let _ = out.write_all(reply);
                                continue;
                            }
                            Listing::Silent => {
                                // Closed by the client (EOF or reset), not
                                // our own patience running out.
                                data.set_read_timeout(Some(PATIENCE)).unwrap();
                                seen.client_stopped = match data.read(&mut [0u8; 1]) {
                                    Ok(n) => n == 0,
                                    Err(e) => !matches!(
                                        e.kind(),
                                        ErrorKind::WouldBlock | ErrorKind::TimedOut
                                    ),
                                };
                            }
                        }
                    }
                    b"226 done\r\n"
                }
                "QUIT" => {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                }
                "ABOR" => b"226 nothing to abort\r\n",
                "REST" => b"350 restarting\r\n",
                _ => b"200 ok\r\n",
            };
            let _ = out.write_all(reply);
        }
        seen
    });
    (addr, handle)
}

/// Writes listing lines to `data` until it fails or `cap` bytes went.
fn endless(data: &mut TcpStream, cap: u64, seen: &mut Seen) {
    let mut chunk = Vec::new();
    while chunk.len() < 1 << 20 {
        chunk.extend_from_slice(b"-rw-r--r-- 1 u g 6 Jan 01 2020 ");
        chunk.extend_from_slice(&[b'x'; 1000]);
        chunk.extend_from_slice(b"\r\n");
    }
    while seen.data_sent < cap {
        if data.write_all(&chunk).is_err() {
            seen.client_stopped = true;
            return;
        }
        seen.data_sent += chunk.len() as u64;
    }
}

/// `ls` against a listing that never ends stops at the client's bound
/// (64 MiB of lines): the client closes the data connection, says why and
/// exits with 1, instead of reading (and keeping) everything.
fn a_listing_that_never_ends(example: &Example) {
    const CAP: u64 = 512 << 20;
    // Built (and started once) before the fake server waits for it.
    assert_eq!(example.cli(&["--help"]).code, 0);
    let (addr, server) = fake_server(Listing::Endless(CAP));
    let out = example.cli(&[&format!("ftp://u:p@{addr}"), "ls"]);
    let seen = server.join().unwrap();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("listing too large"), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(seen.client_stopped, "{seen:?}");
    assert!(seen.data_sent < 128 << 20, "{seen:?}");
    assert!(seen.commands.iter().any(|c| c == "ABOR"), "{seen:?}");
}

#[test]
fn tokio_client_stops_a_listing_that_never_ends() {
    a_listing_that_never_ends(&TOKIO);
}

#[test]
fn std_client_stops_a_listing_that_never_ends() {
    a_listing_that_never_ends(&STD);
}

/// A listing whose data connection opens and then says nothing: the
/// client gives it up after its data timeout (the tokio client read it
/// with no timeout at all, forever).
#[test]
fn tokio_client_gives_up_a_listing_whose_data_goes_quiet() {
    let (addr, server) = fake_server(Listing::Silent);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listed = runtime.block_on(async {
        let mut options = ftp_proto_tokio::client::ClientOptions::default();
        options.engine.data_timeout = Duration::from_secs(1);
        let mut client = ftp_proto_tokio::client::Client::connect(addr, options)
            .await
            .unwrap();
        client.login("u", "p").await.unwrap();
        client.list(None::<&str>).await
    });
    assert!(listed.is_err(), "{listed:?}");
    let seen = server.join().unwrap();
    assert!(seen.client_stopped, "{seen:?}");
}

#[test]
fn std_client_gives_up_a_listing_whose_data_goes_quiet() {
    let (addr, server) = fake_server(Listing::Silent);
    let mut options = ftp_proto_std::client::ClientOptions::default();
    options.engine.data_timeout = Duration::from_secs(1);
    let mut client = ftp_proto_std::client::Client::connect(addr, options).unwrap();
    client.login("u", "p").unwrap();
    let listed = client.list(None::<&str>);
    assert!(listed.is_err(), "{listed:?}");
    drop(client);
    let seen = server.join().unwrap();
    assert!(seen.client_stopped, "{seen:?}");
}

/// Names with escape sequences, a backslash and a C1 control: `ls` (and
/// `pwd`) show them as `ls -b` does, never raw (a hostile server could
/// drive the terminal); spaces and UTF-8 stay as they are.
fn names_that_drive_a_terminal(example: &Example) {
    assert_eq!(example.cli(&["--help"]).code, 0);
    let listing = Listing::Bytes(
        b"-rw-r--r-- 1 u g 6 Jan 01 2020 a\x1b[2J\x1b]0;pwned\x07b\r\n\
          -rw-r--r-- 1 u g 7 Jan 01 2020 back\\slash \xc3\xa9 \xc2\x9b31m\r\n",
        b"226 done\r\n",
        // (The engine refuses C0 controls in a 257 path; a C1 CSI passes.)
        b"257 \"/home/\xc2\x9b31mred\\x\"\r\n",
    );
    let (addr, server) = fake_server(listing);
    let out = example.cli(&[&format!("ftp://u:p@{addr}"), "ls"]);
    server.join().unwrap();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "- 6 2020-01-01T00:00:00Z a\\033[2J\\033]0;pwned\\ab\n\
         - 7 2020-01-01T00:00:00Z back\\\\slash \u{e9} \\302\\23331m\n"
    );
    let (addr, server) = fake_server(listing);
    let out = example.cli(&[&format!("ftp://u:p@{addr}"), "pwd"]);
    server.join().unwrap();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "/home/\\302\\23331mred\\\\x\n");
}

#[test]
fn tokio_client_escapes_control_characters_in_names() {
    names_that_drive_a_terminal(&TOKIO);
}

#[test]
fn std_client_escapes_control_characters_in_names() {
    names_that_drive_a_terminal(&STD);
}

/// A download that fails midway (data cut, `426`): no partial file under
/// LOCAL's name, an existing LOCAL untouched, nothing left next to it; a
/// complete one replaces LOCAL.
fn failed_downloads_leave_no_partial_file(example: &Example) {
    assert_eq!(example.cli(&["--help"]).code, 0);
    let dir = tempfile::tempdir().unwrap();
    let files = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let new = dir.path().join("new.bin");
    let old = dir.path().join("old.bin");
    std::fs::write(&old, b"old contents").unwrap();
    let broken = Listing::Bytes(b"partial", b"426 connection broken\r\n", b"");
    for local in [&new, &old] {
        let (addr, server) = fake_server(broken);
        let url = format!("ftp://u:p@{addr}");
        let out = example.cli(&[&url, "get", "f", local.to_str().unwrap()]);
        server.join().unwrap();
        assert_eq!(out.code, 1, "{out:?}");
        assert!(out.stderr.starts_with("426 "), "{out:?}");
        assert_eq!(files(), ["old.bin"]);
        assert_eq!(std::fs::read(&old).unwrap(), b"old contents");
    }
    let complete = Listing::Bytes(b"new contents", b"226 done\r\n", b"");
    let (addr, server) = fake_server(complete);
    let url = format!("ftp://u:p@{addr}");
    let out = example.cli(&[&url, "get", "f", old.to_str().unwrap()]);
    server.join().unwrap();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(files(), ["old.bin"]);
    assert_eq!(std::fs::read(&old).unwrap(), b"new contents");
    // --resume continues LOCAL in place, and keeps what came on failure.
    let (addr, server) = fake_server(broken);
    let url = format!("ftp://u:p@{addr}");
    let out = example.cli(&["--resume", &url, "get", "f", old.to_str().unwrap()]);
    server.join().unwrap();
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(files(), ["old.bin"]);
    assert_eq!(std::fs::read(&old).unwrap(), b"new contentspartial");
}

#[test]
fn tokio_client_leaves_no_partial_download() {
    failed_downloads_leave_no_partial_file(&TOKIO);
}

#[test]
fn std_client_leaves_no_partial_download() {
    failed_downloads_leave_no_partial_file(&STD);
}
