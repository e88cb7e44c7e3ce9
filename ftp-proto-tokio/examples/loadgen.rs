//! A raw-socket FTP load generator for benchmarks (any server, not only ours).
//!
//! ```text
//! cargo run --release -p ftp-proto-tokio --example loadgen -- MODE [OPTIONS]
//! ```
//!
//! Each session sends one command at a time and reads its reply with a
//! minimal reply-end check (a complete line that starts with three digits
//! and a space). Every loop is bounded in count and in time, and only
//! `127.0.0.1`/`::1` addresses are accepted. Prints one JSON object per run
//! on stdout.
//!
//! Modes:
//! - `noop`: `--sessions` logged-in sessions each repeat `NOOP`.
//! - `mix`: the same with `PWD`, `CWD /`, `TYPE I`, `SIZE --file` in turn.
//! - `login`: `--sessions` workers repeat connect, `USER`, `PASS`, `QUIT`.
//! - `retr`: one session downloads `--file` (passive, binary) with reads of
//!   `--chunk` bytes.
//! - `stor`: one session uploads `--bytes` bytes from memory to `--file`.
//! - `idle`: opens `--sessions` sessions and logs them in, prints
//!   `{"ready":N}`, holds them until a line (or EOF) on stdin or `--hold`
//!   seconds, then checks each with `NOOP` and reports how many were held.

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a command-line tool"
)]

use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USAGE: &str = "\
Usage: loadgen MODE [OPTIONS]

Modes: noop | mix | login | retr | stor | idle

Options:
  --addr ADDR        server control address, loopback only (default 127.0.0.1:2121)
  --user NAME        login name (default ftpproto)
  --pass PASSWORD    password (default ftp-proto-test-pw)
  --sessions N       concurrent sessions (default 16; login: 8; idle: 500)
  --duration SECS    measuring time of noop/mix/login (default 5)
  --max-ops N        stop after this many commands/logins in total (default 10000000)
  --file PATH        file for SIZE (mix), RETR, STOR (default hello.txt)
  --bytes N          bytes to upload with stor (default 1073741824)
  --chunk N          read/write size of transfers (default 262144)
  --hold SECS        idle: longest time to hold the sessions (default 60)
  --connect-parallel N  idle: sessions being opened at once (default 64)
  --threads N        runtime worker threads (default 1)
  --timeout SECS     per-reply and per-connect time limit (default 30)
";

#[derive(Debug, Clone)]
struct Options {
    mode: String,
    addr: SocketAddr,
    user: String,
    pass: String,
    sessions: Option<usize>,
    duration: Duration,
    max_ops: u64,
    file: String,
    bytes: u64,
    chunk: usize,
    hold: Duration,
    connect_parallel: usize,
    threads: usize,
    timeout: Duration,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        mode: String::new(),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 2121)),
        user: "ftpproto".to_owned(),
        pass: "ftp-proto-test-pw".to_owned(),
        sessions: None,
        duration: Duration::from_secs(5),
        max_ops: 10_000_000,
        file: "hello.txt".to_owned(),
        bytes: 1 << 30,
        chunk: 256 * 1024,
        hold: Duration::from_secs(60),
        connect_parallel: 64,
        threads: 1,
        timeout: Duration::from_secs(30),
    };
    fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
        v.parse().map_err(|_| format!("{name}: not a number: {v}"))
    }
    fn secs(name: &str, v: &str) -> Result<Duration, String> {
        let s: f64 = num(name, v)?;
        Duration::try_from_secs_f64(s).map_err(|_| format!("{name}: bad duration {v}"))
    }
    while let Some(arg) = args.next() {
        if !arg.starts_with("--") {
            if !o.mode.is_empty() {
                return Err(format!("unexpected argument: {arg}"));
            }
            o.mode = arg;
            continue;
        }
        if arg == "--help" {
            return Err(String::new());
        }
        let v = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--addr" => o.addr = num("--addr", &v)?,
            "--user" => o.user = v,
            "--pass" => o.pass = v,
            "--sessions" => o.sessions = Some(num("--sessions", &v)?),
            "--duration" => o.duration = secs("--duration", &v)?,
            "--max-ops" => o.max_ops = num("--max-ops", &v)?,
            "--file" => o.file = v,
            "--bytes" => o.bytes = num("--bytes", &v)?,
            "--chunk" => o.chunk = num::<usize>("--chunk", &v)?.max(1),
            "--hold" => o.hold = secs("--hold", &v)?,
            "--connect-parallel" => {
                o.connect_parallel = num::<usize>("--connect-parallel", &v)?.max(1)
            }
            "--threads" => o.threads = num::<usize>("--threads", &v)?.max(1),
            "--timeout" => o.timeout = secs("--timeout", &v)?,
            other => return Err(format!("unknown option: {other}")),
        }
    }
    if !o.addr.ip().is_loopback() {
        return Err(format!("{}: only loopback addresses are allowed", o.addr));
    }
    if !["noop", "mix", "login", "retr", "stor", "idle"].contains(&o.mode.as_str()) {
        return Err(format!("unknown mode: {:?}", o.mode));
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("loadgen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = if o.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(o.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(o)) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: Options) -> io::Result<String> {
    let o = Arc::new(o);
    match o.mode.as_str() {
        "noop" => commands(o, &[b"NOOP\r\n"]).await,
        "mix" => {
            let size = format!("SIZE {}\r\n", o.file).into_bytes().leak();
            let lines: Vec<&'static [u8]> = vec![b"PWD\r\n", b"CWD /\r\n", b"TYPE I\r\n", size];
            commands(Arc::clone(&o), lines.leak()).await
        }
        "login" => logins(o).await,
        "retr" => retrieve(&o).await,
        "stor" => store(&o).await,
        _ => idle(o).await,
    }
}

/// One control connection with a reply reader that keeps what follows a reply.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The final line of the last reply read.
    last: Vec<u8>,
    timeout: Duration,
}

impl Conn {
    async fn connect(o: &Options) -> io::Result<Self> {
        let stream = tokio::time::timeout(o.timeout, TcpStream::connect(o.addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        let mut conn = Self {
            stream,
            buf: vec![0; 4096],
            start: 0,
            end: 0,
            last: Vec::with_capacity(128),
            timeout: o.timeout,
        };
        let greeting = conn.reply().await?;
        if greeting != 220 {
            return Err(io::Error::other(format!("greeting {greeting}")));
        }
        Ok(conn)
    }

    async fn login(o: &Options) -> io::Result<Self> {
        let mut conn = Self::connect(o).await?;
        let user = conn
            .command(format!("USER {}\r\n", o.user).as_bytes())
            .await?;
        if user == 331 {
            let pass = conn
                .command(format!("PASS {}\r\n", o.pass).as_bytes())
                .await?;
            if pass != 230 {
                return Err(io::Error::other(format!("PASS: {pass}")));
            }
        } else if user != 230 {
            return Err(io::Error::other(format!("USER: {user}")));
        }
        Ok(conn)
    }

    async fn command(&mut self, line: &[u8]) -> io::Result<u16> {
        self.stream.write_all(line).await?;
        self.reply().await
    }

    /// Reads up to the end of the next reply; returns its code.
    async fn reply(&mut self) -> io::Result<u16> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, self.reply_untimed())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "reply timed out"))?
    }

    async fn reply_untimed(&mut self) -> io::Result<u16> {
        loop {
            // Complete lines in start..end: the first final line ends the reply.
            while let Some(nl) = self.buf[self.start..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let line = &self.buf[self.start..self.start + nl + 1];
                self.start += nl + 1;
                if line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit) && line[3] == b' ' {
                    let code = line[..3]
                        .iter()
                        .fold(0u16, |c, d| c * 10 + u16::from(d - b'0'));
                    self.last.clear();
                    self.last.extend_from_slice(line);
                    if self.start == self.end {
                        self.start = 0;
                        self.end = 0;
                    }
                    return Ok(code);
                }
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                if self.buf.len() >= 1 << 20 {
                    return Err(io::Error::other("reply longer than 1 MiB"));
                }
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = self.stream.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed",
                ));
            }
            self.end += n;
        }
    }

    /// `PASV`, then a connection to the announced port (only loopback).
    async fn passive(&mut self) -> io::Result<TcpStream> {
        self.stream.write_all(b"PASV\r\n").await?;
        let code = self.reply().await?;
        if code != 227 {
            return Err(io::Error::other(format!("PASV: {code}")));
        }
        let text = String::from_utf8_lossy(&self.last).into_owned();
        let open = text.rfind('(').map_or(4, |i| i + 1);
        let numbers: Vec<u16> = text
            .get(open..)
            .unwrap_or_default()
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .take(6)
            .filter_map(|s| s.parse().ok())
            .collect();
        let [h1, h2, h3, h4, p1, p2] = numbers[..] else {
            return Err(io::Error::other(format!("cannot parse {text:?}")));
        };
        let ip = IpAddr::from([h1, h2, h3, h4].map(|b| u8::try_from(b).unwrap_or(0)));
        if !ip.is_loopback() {
            return Err(io::Error::other(format!(
                "PASV announced {ip}, not loopback"
            )));
        }
        let addr = SocketAddr::new(ip, p1 * 256 + p2);
        let data = tokio::time::timeout(self.timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "data connect timed out"))??;
        Ok(data)
    }
}

fn json_rate(mode: &str, sessions: usize, done: u64, errors: u64, secs: f64) -> String {
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    format!(
        "{{\"mode\":\"{mode}\",\"sessions\":{sessions},\"ops\":{done},\"errors\":{errors},\"seconds\":{secs:.3},\"per_sec\":{rate:.1}}}"
    )
}

/// noop / mix: N logged-in sessions, each repeating `lines` in turn.
async fn commands(o: Arc<Options>, lines: &'static [&'static [u8]]) -> io::Result<String> {
    let sessions = o.sessions.unwrap_or(16);
    let mut conns = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        conns.push(Conn::login(&o).await?);
    }
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + o.duration;
    let mut tasks = Vec::with_capacity(sessions);
    for mut conn in conns {
        let (done, errors, max) = (Arc::clone(&done), Arc::clone(&errors), o.max_ops);
        tasks.push(tokio::spawn(async move {
            let mut i = 0usize;
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < max {
                let line = lines[i % lines.len()];
                i += 1;
                match conn.command(line).await {
                    Ok(code) if code < 400 => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
            conn
        }));
    }
    let mut conns = Vec::with_capacity(sessions);
    for t in tasks {
        conns.push(t.await.map_err(io::Error::other)?);
    }
    let secs = started.elapsed().as_secs_f64();
    for mut c in conns {
        let _ = c.command(b"QUIT\r\n").await;
    }
    Ok(json_rate(
        &o.mode,
        sessions,
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        secs,
    ))
}

/// login: workers repeating connect, USER, PASS, QUIT, wait for the close.
async fn logins(o: Arc<Options>) -> io::Result<String> {
    let workers = o.sessions.unwrap_or(8);
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + o.duration;
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (o, done, errors) = (Arc::clone(&o), Arc::clone(&done), Arc::clone(&errors));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline && done.load(Ordering::Relaxed) < o.max_ops {
                let result = async {
                    let mut c = Conn::login(&o).await?;
                    c.command(b"QUIT\r\n").await?;
                    // Let the server close first: its side keeps TIME_WAIT.
                    let mut sink = [0u8; 64];
                    let _ = tokio::time::timeout(o.timeout, c.stream.read(&mut sink)).await;
                    io::Result::Ok(())
                }
                .await;
                match result {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
                if errors.load(Ordering::Relaxed) > 1000 {
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(io::Error::other)?;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(json_rate(
        "login",
        workers,
        done.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        secs,
    ))
}

fn json_transfer(mode: &str, bytes: u64, secs: f64) -> String {
    let mbps = if secs > 0.0 {
        bytes as f64 / 1e6 / secs
    } else {
        0.0
    };
    format!(
        "{{\"mode\":\"{mode}\",\"bytes\":{bytes},\"seconds\":{secs:.3},\"mb_per_sec\":{mbps:.1}}}"
    )
}

async fn preliminary(c: &mut Conn, line: &[u8]) -> io::Result<()> {
    let code = c.command(line).await?;
    if code == 150 || code == 125 {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{}: {code}",
            String::from_utf8_lossy(line).trim()
        )))
    }
}

async fn completion(c: &mut Conn) -> io::Result<()> {
    let code = c.reply().await?;
    if code == 226 || code == 250 {
        Ok(())
    } else {
        Err(io::Error::other(format!("transfer ended with {code}")))
    }
}

async fn retrieve(o: &Options) -> io::Result<String> {
    let mut c = Conn::login(o).await?;
    c.command(b"TYPE I\r\n").await?;
    let mut data = c.passive().await?;
    let started = Instant::now();
    preliminary(&mut c, format!("RETR {}\r\n", o.file).as_bytes()).await?;
    let mut buf = vec![0u8; o.chunk];
    let mut total = 0u64;
    let limit = started + o.timeout.max(Duration::from_secs(120));
    loop {
        if Instant::now() > limit {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "RETR took too long",
            ));
        }
        let n = tokio::time::timeout(o.timeout, data.read(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "data read timed out"))??;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    drop(data);
    completion(&mut c).await?;
    let secs = started.elapsed().as_secs_f64();
    let _ = c.command(b"QUIT\r\n").await;
    Ok(json_transfer("retr", total, secs))
}

async fn store(o: &Options) -> io::Result<String> {
    let mut c = Conn::login(o).await?;
    c.command(b"TYPE I\r\n").await?;
    let mut data = c.passive().await?;
    let started = Instant::now();
    preliminary(&mut c, format!("STOR {}\r\n", o.file).as_bytes()).await?;
    let chunk: Vec<u8> = (0..o.chunk).map(|i| (i % 251) as u8).collect();
    let mut left = o.bytes;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(chunk.len());
        tokio::time::timeout(o.timeout, data.write_all(&chunk[..n]))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "data write timed out"))??;
        left -= n as u64;
    }
    data.shutdown().await?;
    drop(data);
    completion(&mut c).await?;
    let secs = started.elapsed().as_secs_f64();
    let _ = c.command(b"QUIT\r\n").await;
    Ok(json_transfer("stor", o.bytes, secs))
}

/// idle: open and log in N sessions, hold them, then check each with NOOP.
async fn idle(o: Arc<Options>) -> io::Result<String> {
    let wanted = o.sessions.unwrap_or(500);
    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(o.connect_parallel));
    let mut tasks = Vec::with_capacity(wanted);
    for _ in 0..wanted {
        let (o, limit) = (Arc::clone(&o), Arc::clone(&limit));
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.ok()?;
            match Conn::login(&o).await {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!("loadgen: a session failed to open: {e}");
                    None
                }
            }
        }));
    }
    let mut conns = Vec::with_capacity(wanted);
    for t in tasks {
        if let Some(c) = t.await.map_err(io::Error::other)? {
            conns.push(c);
        }
    }
    let open_secs = started.elapsed().as_secs_f64();
    let opened = conns.len();
    println!("{{\"ready\":{opened}}}");
    let _ = io::stdout().flush();
    // Hold until stdin says so (a line or EOF) or the hold time is over.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = io::stdin().read_line(&mut line);
        let _ = tx.send(());
    });
    let _ = tokio::time::timeout(o.hold, rx).await;
    // Check every session is still served.
    let mut tasks = Vec::with_capacity(conns.len());
    for mut c in conns {
        let limit = Arc::clone(&limit);
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.ok()?;
            let ok = matches!(c.command(b"NOOP\r\n").await, Ok(200));
            ok.then_some(c)
        }));
    }
    let mut held = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Some(c) = t.await.map_err(io::Error::other)? {
            held.push(c);
        }
    }
    let count = held.len();
    drop(held);
    Ok(format!(
        "{{\"mode\":\"idle\",\"sessions\":{wanted},\"opened\":{opened},\"held\":{count},\"open_seconds\":{open_secs:.3}}}"
    ))
}
