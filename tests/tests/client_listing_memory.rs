//! What a listing costs in memory: a fake server on loopback sends `MLSD`
//! and `LIST` listings of short lines (the worst case: the most entries
//! per byte), and the peak resident memory of this process (`VmHWM` of
//! `/proc/self/status`, reset between cases) must stay within about twice
//! the listing's byte bound (`ClientConfig::max_listing_bytes`), both for
//! a listing over the bound ("listing too large") and for one just under
//! it that the caller gets and reads. It cost six times the bound and
//! more when every entry was a `FileInfo` with a line of its own.
//!
//! The bound is 16 MiB here; `FTP_LISTING_BOUND_MIB=64` measures the
//! default bound (BENCHMARKS.md). One test, so that nothing else runs in
//! the process meanwhile. Linux only (`/proc`).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(60);

fn accept(listener: &TcpListener) -> Option<TcpStream> {
    ftp_proto_tests::loopback::accept_within(listener, PATIENCE)
}

/// Listing lines of about 30 bytes, numbered.
fn lines(mlsd: bool, bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 64);
    let mut n = 0u64;
    while out.len() < bytes {
        if mlsd {
            let _ = write!(out, "type=file;size=1; f{n:08}\r\n");
        } else {
            let _ = write!(out, "-rw-r--r-- 1 u g 1 Jan 01 2020 f{n:08}\r\n");
        }
        n += 1;
    }
    out
}

/// A one-session server whose `MLSD`/`LIST` sends `listing`.
fn fake_server(mlsd: bool, listing: Vec<u8>) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let Some(control) = accept(&listener) else {
            return;
        };
        control.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut out = control.try_clone().unwrap();
        let mut commands = BufReader::new(control);
        let mut passive = None;
        let _ = out.write_all(b"220 fake\r\n");
        let mut line = String::new();
        while matches!(commands.read_line(&mut line), Ok(n) if n > 0) {
            let verb = line.split([' ', '\r']).next().unwrap_or("").to_owned();
            line.clear();
            let reply: &[u8] = match verb.as_str() {
                "USER" => b"331 password\r\n",
                "PASS" => b"230 in\r\n",
                "FEAT" if mlsd => b"211-Features:\r\n MLST type*;size*;\r\n211 End\r\n",
                "FEAT" => b"211-Features:\r\n SIZE\r\n211 End\r\n",
                "EPSV" => {
                    passive = Some(ftp_proto_tests::loopback::epsv(&mut out));
                    continue;
                }
                "MLSD" | "LIST" => {
                    let _ = out.write_all(b"150 here\r\n");
                    if let Some(mut data) = passive.take().as_ref().and_then(accept) {
                        let _ = data.write_all(&listing);
                    }
                    b"226 done\r\n"
                }
                "ABOR" => b"226 aborted\r\n",
                "QUIT" => {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                }
                _ => b"200 ok\r\n",
            };
            let _ = out.write_all(reply);
        }
    });
    (addr, handle)
}

/// A field of `/proc/self/status` in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    let kib: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// Lists `listing_bytes` of lines under `bound` with the blocking client
/// (`tokio`: the tokio one); returns the listing's entry count (`None`:
/// too large) and the peak memory it added.
fn measure(tokio: bool, mlsd: bool, listing_bytes: usize, bound: usize) -> (Option<usize>, u64) {
    let listing = lines(mlsd, listing_bytes);
    let (addr, server) = fake_server(mlsd, listing);
    // Peak from here (Linux: writing 5 resets VmHWM to the current RSS).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_bytes("VmRSS");
    let mut options = ftp_proto_std::client::ClientOptions::default();
    options.engine.max_listing_bytes = bound;
    let listed = if tokio {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use ftp_proto_tokio::client::Client;
            let mut client = Client::connect(addr, options).await.unwrap();
            client.login("u", "p").await.unwrap();
            client.feat().await.unwrap();
            client.list(None::<&str>).await
        })
    } else {
        let mut client = ftp_proto_std::client::Client::connect(addr, options).unwrap();
        client.login("u", "p").unwrap();
        client.feat().unwrap();
        client.list(None::<&str>)
    };
    let count = match listed {
        // Read every entry, as a caller would.
        Ok(listing) => Some(listing.into_iter().filter(|e| e.size == Some(1)).count()),
        Err(e) => {
            assert!(e.to_string().contains("listing too large"), "{e}");
            None
        }
    };
    let peak = status_bytes("VmHWM").saturating_sub(before);
    server.join().unwrap();
    (count, peak)
}

/// The environment variable that makes this test binary measure one
/// case (`std-MLSD-over`, `tokio-LIST-over`...) in a process of its own.
const CASE: &str = "FTP_LISTING_MEMORY_CASE";

#[test]
#[allow(
    clippy::print_stdout,
    reason = "the child reports, the parent shows the figures"
)]
fn a_listing_costs_about_its_bytes() {
    if !std::path::Path::new("/proc/self/clear_refs").exists() {
        return;
    }
    let mib: usize = std::env::var("FTP_LISTING_BOUND_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let bound = mib << 20;
    let bytes_for = |what: &str| {
        if what == "over" {
            bound + bound / 2
        } else {
            bound * 9 / 10
        }
    };
    if let Ok(case) = std::env::var(CASE) {
        // The child: one measurement, reported on stdout.
        let mut parts = case.split('-');
        let (client, format, what) = (parts.next(), parts.next(), parts.next());
        let (client, format, what) = (client.unwrap(), format.unwrap(), what.unwrap());
        let (count, peak) = measure(client == "tokio", format == "MLSD", bytes_for(what), bound);
        let count = count.map_or(-1, |c| i64::try_from(c).unwrap_or(i64::MAX));
        println!("RESULT {count} {peak}");
        return;
    }
    // At 16 MiB the listing has fewer entries than the 1,000,000 entry
    // bound, so the byte bound is what stops it.
    let cases = [
        ("std", "MLSD", "over"),
        ("std", "MLSD", "under"),
        ("std", "LIST", "over"),
        ("std", "LIST", "under"),
        ("tokio", "MLSD", "over"),
        ("tokio", "LIST", "over"),
    ];
    for (client, format, what) in cases {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "a_listing_costs_about_its_bytes", "--nocapture"])
            .env(CASE, format!("{client}-{format}-{what}"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let result = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT "))
            .map(|(_, r)| r.to_owned())
            .unwrap_or_else(|| panic!("{client}-{format}-{what}: {stdout} {out:?}"));
        let (count, peak) = result.split_once(' ').unwrap();
        let (count, peak): (i64, u64) = (count.parse().unwrap(), peak.parse().unwrap());
        println!(
            "{client} {format} {what} the bound: {} MiB of lines, bound {mib} MiB: {count} entries \
                 (-1: too large), peak +{:.1} MiB",
            bytes_for(what) >> 20,
            peak as f64 / f64::from(1 << 20)
        );
        // (Over 16 MiB these short lines also pass the entry bound.)
        if mib <= 16 || what == "over" {
            assert_eq!(count < 0, what == "over", "{format} {what}");
        }
        assert!(
            peak <= 2 * bound as u64 + (8 << 20),
            "{format} {what}: peak +{peak} bytes for a bound of {bound}"
        );
    }
}
