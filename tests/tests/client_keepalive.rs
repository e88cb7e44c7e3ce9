//! Both clients keep the control connection alive during a long transfer:
//! with `ClientConfig::keepalive` set, a download whose data trickles in
//! sends `NOOP`s on the control connection and reads their replies (a
//! second `NOOP` only goes out once the first one's `200` was read, so two
//! prove both directions).
//!
//! The server is a scripted one on loopback (its pacing, 200 ms between
//! data chunks, is what makes the keep-alive come due; nothing here
//! asserts a duration).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ftp_proto::client::ClientConfig;
use ftp_proto_std::client::ClientOptions;

const CHUNKS: usize = 5;
const CHUNK: &[u8] = b"0123456789abcdef";

/// What the scripted server saw.
#[derive(Default)]
struct Seen {
    /// `NOOP`s received while the data was still being sent.
    noops_during_transfer: AtomicUsize,
    data_done: AtomicBool,
    lines: Mutex<Vec<String>>,
}

/// Serves one session: login, EPSV/PASV, a `RETR` whose data comes in
/// `CHUNKS` pieces 200 ms apart, `NOOP`s answered at any time, `QUIT`.
fn scripted_server() -> (u16, Arc<Seen>, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let s = Arc::clone(&seen);
    let handle = std::thread::spawn(move || {
        let (control, _) = listener.accept().unwrap();
        control
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let writer = Arc::new(Mutex::new(control.try_clone().unwrap()));
        let say = |w: &Arc<Mutex<TcpStream>>, text: &str| {
            let _ = w.lock().unwrap().write_all(text.as_bytes());
        };
        say(&writer, "220 scripted\r\n");
        let data_listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let data_port = data_listener.local_addr().unwrap().port();
        let mut data_thread = None;
        let mut lines = BufReader::new(control);
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let command = line.trim_end().to_owned();
            s.lines.lock().unwrap().push(command.clone());
            let verb = command
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match verb.as_str() {
                "USER" => say(&writer, "331 password\r\n"),
                "PASS" => say(&writer, "230 in\r\n"),
                "TYPE" => say(&writer, "200 type\r\n"),
                "EPSV" => say(&writer, &format!("229 Entering (|||{data_port}|)\r\n")),
                "PASV" => say(
                    &writer,
                    &format!(
                        "227 Entering (127,0,0,1,{},{})\r\n",
                        data_port >> 8,
                        data_port & 0xff
                    ),
                ),
                "NOOP" => {
                    if !s.data_done.load(Ordering::SeqCst) {
                        s.noops_during_transfer.fetch_add(1, Ordering::SeqCst);
                    }
                    say(&writer, "200 ok\r\n");
                }
                "RETR" => {
                    say(&writer, "150 here it comes\r\n");
                    let (mut data, _) = data_listener.accept().unwrap();
                    let (w, s) = (Arc::clone(&writer), Arc::clone(&s));
                    data_thread = Some(std::thread::spawn(move || {
                        for _ in 0..CHUNKS {
                            std::thread::sleep(Duration::from_millis(200));
                            data.write_all(CHUNK).unwrap();
                        }
                        drop(data);
                        s.data_done.store(true, Ordering::SeqCst);
                        let _ = w.lock().unwrap().write_all(b"226 done\r\n");
                    }));
                }
                "QUIT" => {
                    say(&writer, "221 bye\r\n");
                    break;
                }
                _ => say(&writer, "502 not here\r\n"),
            }
        }
        if let Some(t) = data_thread {
            t.join().unwrap();
        }
    });
    (port, seen, handle)
}

fn options() -> ClientOptions {
    let mut options = ClientOptions::default();
    options.engine = ClientConfig {
        keepalive: Some(Duration::from_millis(20)),
        ..options.engine
    };
    options
}

fn check(seen: &Seen) {
    let noops = seen.noops_during_transfer.load(Ordering::SeqCst);
    assert!(
        noops >= 2,
        "{noops} NOOP(s) during the transfer; the server saw {:?}",
        seen.lines.lock().unwrap()
    );
}

#[test]
fn the_blocking_client_sends_keepalives_during_a_download() {
    let (port, seen, server) = scripted_server();
    let mut client =
        ftp_proto_std::client::Client::connect(("127.0.0.1", port), options()).unwrap();
    client.login("u", "p").unwrap();
    let mut download = client.retrieve("slow.bin", 0).unwrap();
    let mut got = Vec::new();
    download.read_to_end(&mut got).unwrap();
    download.finish().unwrap();
    assert_eq!(got, CHUNK.repeat(CHUNKS));
    client.quit().unwrap();
    server.join().unwrap();
    check(&seen);
}

#[tokio::test]
async fn the_tokio_client_sends_keepalives_during_a_download() {
    use tokio::io::AsyncReadExt;
    let (port, seen, server) = scripted_server();
    let mut client = ftp_proto_tokio::client::Client::connect(("127.0.0.1", port), options())
        .await
        .unwrap();
    client.login("u", "p").await.unwrap();
    let mut download = client.retrieve("slow.bin", 0).await.unwrap();
    let mut got = Vec::new();
    download.read_to_end(&mut got).await.unwrap();
    download.finish().await.unwrap();
    assert_eq!(got, CHUNK.repeat(CHUNKS));
    client.quit().await.unwrap();
    tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    check(&seen);
}
