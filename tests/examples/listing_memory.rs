//! How much memory our servers hold for listings of a large directory read
//! slowly (a developer tool, never a test; loopback only, bounded in
//! sessions and time).
//!
//! ```sh
//! cargo build --release -p ftp-proto-tokio --example server -p ftp-proto-std --example blocking_server
//! cargo run --release -p ftp-proto-tests --example listing_memory
//! cargo run --release -p ftp-proto-tests --example listing_memory -- --sessions 40 --entries 100000 --hold 20
//! ```
//!
//! Makes a folder of `--entries` empty entries, then for each server
//! program (`server`, the tokio one, and `blocking_server`, found beside
//! this binary or in `--bin-dir`): starts it on `127.0.0.1` serving that
//! folder to anonymous users, takes its PSS (`/proc/PID/smaps_rollup`)
//! with `--sessions` sessions logged in and idle, then has every session
//! `MLSD` the folder and read the data connection slowly (2 KiB every 5 s,
//! within every stall limit), waits `--hold` seconds, and takes the PSS
//! again (the highest of three samples one second apart). Prints one
//! markdown row per server: PSS idle, PSS while the listings are held, and
//! the difference per session.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ftp_proto_tests::ours::fill_directory;
use ftp_proto_tests::peers::RawControl;

type Error = Box<dyn std::error::Error>;

/// The most sessions this tool opens (it stays a bounded load).
const MAX_SESSIONS: usize = 200;
/// How much a slow reader takes at a time, and how often.
const SLOW_READ: usize = 2 * 1024;
const SLOW_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Options {
    sessions: usize,
    entries: usize,
    hold: Duration,
    bin_dir: PathBuf,
    programs: Vec<String>,
}

fn parse() -> Result<Options, Error> {
    let exe = std::env::current_exe()?;
    let mut o = Options {
        sessions: 40,
        entries: 100_000,
        hold: Duration::from_secs(20),
        bin_dir: exe.parent().map(Path::to_path_buf).unwrap_or_default(),
        programs: vec!["server".into(), "blocking_server".into()],
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sessions" => o.sessions = value()?.parse::<usize>()?.clamp(1, MAX_SESSIONS),
            "--entries" => o.entries = value()?.parse::<usize>()?.clamp(1, 1_000_000),
            "--hold" => o.hold = Duration::from_secs(value()?.parse::<u64>()?.min(600)),
            "--bin-dir" => o.bin_dir = PathBuf::from(value()?),
            "--programs" => o.programs = value()?.split(',').map(str::to_owned).collect(),
            "-h" | "--help" => {
                println!(
                    "usage: listing_memory [--sessions N] [--entries N] [--hold SECONDS] \
                     [--bin-dir DIR] [--programs server,blocking_server]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(o)
}

/// The PSS of process `pid` in KiB.
fn pss_kib(pid: u32) -> Result<u64, Error> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    let line = rollup
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .ok_or("no Pss line")?;
    let kib = line
        .split_whitespace()
        .nth(1)
        .ok_or("no Pss value")?
        .parse()?;
    Ok(kib)
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server program we started; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(program: &Path, root: &Path) -> Result<Self, Error> {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let child = Command::new(program)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--root")
            .arg(root)
            .arg("--anonymous")
            .arg("--max-connections")
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let server = Self { child, addr };
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
            if Instant::now() > until {
                return Err(format!("{} did not start", program.display()).into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One anonymous session: logged in, then (when `go` is set) an MLSD of
/// `big` read slowly until `stop`.
fn session(
    addr: SocketAddr,
    ready: &AtomicUsize,
    listing: &AtomicUsize,
    go: &AtomicBool,
    stop: &AtomicBool,
) -> Result<(), Error> {
    let mut c = RawControl::connect(addr)?;
    if c.read_reply()?.code != 220 || c.login("anonymous", "bench@")?.code != 230 {
        return Err("login failed".into());
    }
    let (_, data) = c.epsv()?;
    let data = data.ok_or("no EPSV address")?;
    ready.fetch_add(1, Ordering::SeqCst);
    while !go.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stream = TcpStream::connect_timeout(&data, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let first = c.command("MLSD big")?;
    if first.class() != 1 {
        return Err(format!("MLSD: {}", first.text()).into());
    }
    let mut buf = [0u8; SLOW_READ];
    stream.read_exact(&mut buf)?;
    listing.fetch_add(1, Ordering::SeqCst);
    while !stop.load(Ordering::SeqCst) {
        let slept = Instant::now();
        while slept.elapsed() < SLOW_EVERY && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if stream.read(&mut buf)? == 0 {
            break;
        }
    }
    Ok(())
}

/// Waits (bounded) until `counter` reaches `n`.
fn wait_for(counter: &AtomicUsize, n: usize, what: &str) -> Result<(), Error> {
    let until = Instant::now() + Duration::from_secs(120);
    while counter.load(Ordering::SeqCst) < n {
        if Instant::now() > until {
            return Err(format!(
                "only {} of {n} sessions {what}",
                counter.load(Ordering::SeqCst)
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The highest of three PSS samples one second apart.
fn peak_pss(pid: u32) -> Result<u64, Error> {
    let mut peak = 0;
    for _ in 0..3 {
        peak = peak.max(pss_kib(pid)?);
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(peak)
}

fn measure(program: &Path, root: &Path, o: &Options) -> Result<(u64, u64), Error> {
    let server = Server::start(program, root)?;
    let pid = server.child.id();
    let ready = Arc::new(AtomicUsize::new(0));
    let listing = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..o.sessions)
        .map(|_| {
            let (ready, listing) = (Arc::clone(&ready), Arc::clone(&listing));
            let (go, stop) = (Arc::clone(&go), Arc::clone(&stop));
            let addr = server.addr;
            std::thread::spawn(move || {
                let done = session(addr, &ready, &listing, &go, &stop);
                if let Err(e) = &done {
                    eprintln!("session: {e}");
                }
                done.is_ok()
            })
        })
        .collect();
    let result = (|| {
        wait_for(&ready, o.sessions, "logged in")?;
        std::thread::sleep(Duration::from_secs(2));
        let idle = peak_pss(pid)?;
        go.store(true, Ordering::SeqCst);
        wait_for(&listing, o.sessions, "listing")?;
        std::thread::sleep(o.hold);
        let holding = peak_pss(pid)?;
        Ok((idle, holding))
    })();
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        let _ = t.join();
    }
    result
}

fn main() -> Result<(), Error> {
    let o = parse()?;
    let temp = tempfile::tempdir()?;
    let root = temp.path().join("root");
    std::fs::create_dir(&root)?;
    let made = Instant::now();
    fill_directory(&root.join("big"), o.entries);
    eprintln!(
        "{} entries made in {:.1} s",
        o.entries,
        made.elapsed().as_secs_f64()
    );
    println!(
        "| server | sessions | entries | PSS idle (MiB) | PSS holding (MiB) | per session (KiB) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for name in &o.programs {
        let program = o.bin_dir.join(name);
        let (idle, holding) = measure(&program, &root, &o)?;
        let per = holding.saturating_sub(idle) / o.sessions as u64;
        println!(
            "| {name} | {} | {} | {:.1} | {:.1} | {per} |",
            o.sessions,
            o.entries,
            idle as f64 / 1024.0,
            holding as f64 / 1024.0,
        );
    }
    Ok(())
}
