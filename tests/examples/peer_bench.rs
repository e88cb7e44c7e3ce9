//! Side-by-side benchmark of our tokio server against real FTP servers on
//! loopback, all started in the same run (a developer tool, never a test).
//!
//! ```sh
//! cargo build --release -p ftp-proto-tokio --example server --example loadgen
//! cargo run --release -p ftp-proto-tests --example peer_bench            # ours, vsftpd, pure-ftpd, pyftpdlib
//! cargo run --release -p ftp-proto-tests --example peer_bench -- --runs 5 --peers vsftpd,proftpd
//! ```
//!
//! Runs the `loadgen` example (found beside this binary, or in `--bin-dir`)
//! against our `server` example and each peer: NOOP and a PWD/CWD/TYPE
//! I/SIZE mix with 16 sessions, logins with 8 workers, RETR and STOR of a
//! 1 GiB file (256 KiB reads, STOR from memory), the PSS (summed over the
//! server's processes, from `/proc/PID/smaps_rollup`) of 500 idle
//! logged-in sessions, and how many idle sessions our server holds (10,000
//! by default). Prints the medians of `--runs` runs as a markdown table with
//! the goal of each row. vsftpd and pure-ftpd need root.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ftp_proto_tests::peers::{PeerKind, PeerOptions, PeerServer, TEST_PASSWORD, TEST_USER};

type Error = Box<dyn std::error::Error>;

const BIG_FILE: &str = "bench-1g.bin";
const BIG_SIZE: u64 = 1 << 30;
const UPLOAD_FILE: &str = "bench-upload.bin";

#[derive(Debug)]
struct Options {
    runs: usize,
    peers: Vec<PeerKind>,
    bin_dir: PathBuf,
    duration: f64,
    idle: usize,
    held: usize,
    transfers: bool,
}

fn parse() -> Result<Options, Error> {
    let exe = std::env::current_exe()?;
    let mut o = Options {
        runs: 3,
        peers: vec![PeerKind::Vsftpd, PeerKind::PureFtpd, PeerKind::Pyftpdlib],
        bin_dir: exe.parent().map(Path::to_path_buf).unwrap_or_default(),
        duration: 5.0,
        idle: 500,
        held: 10_000,
        transfers: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => o.runs = value()?.parse::<usize>()?.max(1),
            "--peers" => {
                o.peers = value()?
                    .split(',')
                    .filter(|n| !n.is_empty())
                    .map(|n| PeerKind::from_name(n).ok_or_else(|| format!("unknown peer {n}")))
                    .collect::<Result<_, _>>()?;
            }
            "--bin-dir" => o.bin_dir = PathBuf::from(value()?),
            "--duration" => o.duration = value()?.parse()?,
            "--idle" => o.idle = value()?.parse()?,
            "--held" => o.held = value()?.parse()?,
            "--no-transfers" => o.transfers = false,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(o)
}

/// What one server scored (medians).
#[derive(Debug, Default, Clone)]
struct Scores {
    noop: Option<f64>,
    mix: Option<f64>,
    login: Option<f64>,
    noop_cpu: Option<f64>,
    mix_cpu: Option<f64>,
    login_cpu: Option<f64>,
    retr: Option<f64>,
    stor: Option<f64>,
    pss_per_idle_kib: Option<f64>,
    pss_idle_mib: Option<f64>,
    held: Option<u64>,
    notes: Vec<String>,
}

/// A server under test: ours (a child process) or a peer.
enum Target {
    Ours {
        child: Child,
        addr: String,
        root: tempfile::TempDir,
    },
    Peer(PeerServer),
}

impl Target {
    fn pid(&self) -> u32 {
        match self {
            Self::Ours { child, .. } => child.id(),
            Self::Peer(p) => p.pid(),
        }
    }
    fn addr(&self) -> String {
        match self {
            Self::Ours { addr, .. } => addr.clone(),
            Self::Peer(p) => p.addr().to_string(),
        }
    }
    fn root(&self) -> &Path {
        match self {
            Self::Ours { root, .. } => root.path(),
            Self::Peer(p) => p.root(),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Self::Ours { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Wraps a command so its soft RLIMIT_NOFILE is raised to the hard limit.
fn with_nofile(program: &Path) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -n \"$(ulimit -H -n)\" 2>/dev/null; exec \"$@\"")
        .arg("sh")
        .arg(program);
    c
}

fn start_ours(o: &Options, extra: &[&str]) -> Result<Target, Error> {
    let root = tempfile::Builder::new()
        .prefix("ftp-proto-ours-")
        .tempdir()?;
    std::fs::write(
        root.path().join("hello.txt"),
        b"hello from the ftp-proto test tree\n",
    )?;
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let log = std::fs::File::create(root.path().with_extension("log"))?;
    let mut cmd = with_nofile(&o.bin_dir.join("server"));
    cmd.args(["--listen", &addr, "--root"])
        .arg(root.path())
        .args(["--user", &format!("{TEST_USER}:{TEST_PASSWORD}")])
        .args(["--max-connections", "30000"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let child = cmd.spawn()?;
    let target = Target::Ours { child, addr, root };
    // Wait (bounded) for the listener.
    for _ in 0..200 {
        if std::net::TcpStream::connect(target.addr()).is_ok() {
            return Ok(target);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err("our server did not start listening within 5 s".into())
}

fn start_peer(kind: PeerKind, o: &Options) -> Result<Target, Error> {
    let options = PeerOptions {
        tls: false,
        anonymous: false,
        // pure-ftpd admits half as many clients as it has passive ports.
        passive_ports: u16::try_from(2 * o.idle + 64).unwrap_or(u16::MAX / 4),
        max_clients: u32::try_from(o.idle.max(o.held) + 64).unwrap_or(u32::MAX),
    };
    Ok(Target::Peer(kind.start(&options)?))
}

/// Sum of PSS (KiB) over `root` and every process descending from it or in
/// its process group.
fn group_pids(root: u32) -> Result<Vec<u32>, Error> {
    let mut parent: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...
        let Some(after) = stat.rfind(')').and_then(|i| stat.get(i + 2..)) else {
            continue;
        };
        let fields: Vec<&str> = after.split(' ').collect();
        let (Some(ppid), Some(pgrp)) = (
            fields.get(1).and_then(|s| s.parse().ok()),
            fields.get(2).and_then(|s| s.parse().ok()),
        ) else {
            continue;
        };
        parent.insert(pid, (ppid, pgrp));
    }
    let belongs = |mut pid: u32| -> bool {
        if parent.get(&pid).is_some_and(|(_, g)| *g == root) {
            return true;
        }
        for _ in 0..64 {
            if pid == root {
                return true;
            }
            match parent.get(&pid) {
                Some((pp, _)) if *pp != 0 => pid = *pp,
                _ => return false,
            }
        }
        false
    };
    Ok(parent.keys().copied().filter(|&p| belongs(p)).collect())
}

/// Sum of PSS (KiB) over the server's processes.
fn pss_kib(root: u32) -> Result<u64, Error> {
    let mut total = 0;
    for pid in group_pids(root)? {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        if let Some(kib) = text
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            total += kib;
        }
    }
    Ok(total)
}

/// CPU time (clock ticks) used by the server's processes, with their reaped
/// children (utime + stime + cutime + cstime).
fn cpu_ticks(root: u32) -> Result<u64, Error> {
    let mut total = 0;
    for pid in group_pids(root)? {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(after) = stat.rfind(')').and_then(|i| stat.get(i + 2..)) else {
            continue;
        };
        // Fields 14..=17 of stat; `after` starts at field 3.
        total += after
            .split(' ')
            .skip(11)
            .take(4)
            .filter_map(|f| f.parse::<u64>().ok())
            .sum::<u64>();
    }
    Ok(total)
}

/// A rate run: the rate, and the server's CPU time per operation (µs)
/// pushed onto `cpu`.
fn rate(
    o: &Options,
    t: &Target,
    mode: &str,
    args: &[&str],
    cpu: &mut Vec<f64>,
) -> Result<f64, Error> {
    let before = cpu_ticks(t.pid())?;
    let json = loadgen(o, &t.addr(), mode, args)?;
    // Let session processes exit and be reaped.
    std::thread::sleep(Duration::from_millis(300));
    let after = cpu_ticks(t.pid())?;
    let ops = json_number(&json, "ops").unwrap_or(0.0);
    if ops > 0.0 {
        cpu.push(after.saturating_sub(before) as f64 * 1e6 / 100.0 / ops);
    }
    json_number(&json, "per_sec").ok_or_else(|| format!("no per_sec in {json}").into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Runs `loadgen MODE ARGS`; returns the number under `key` in its JSON.
fn loadgen(o: &Options, addr: &str, mode: &str, args: &[&str]) -> Result<String, Error> {
    let out = with_nofile(&o.bin_dir.join("loadgen"))
        .arg(mode)
        .args(["--addr", addr])
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "loadgen {mode} failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    eprintln!("    {mode}: {}", stdout.trim());
    if stdout.contains("\"errors\":") && !stdout.contains("\"errors\":0") {
        eprintln!("    warning: {mode} saw errors");
    }
    Ok(stdout.into_owned())
}

fn transfer(o: &Options, addr: &str, mode: &str, args: &[&str]) -> Result<f64, Error> {
    let json = loadgen(o, addr, mode, args)?;
    json_number(&json, "mb_per_sec").ok_or_else(|| format!("no mb_per_sec in {json}").into())
}

fn json_number(json: &str, key: &str) -> Option<f64> {
    let start = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json.get(start..)?;
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest.get(..end)?.trim().parse().ok()
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

/// `runs` times `f`, median of the successes (failures are noted).
fn repeat(
    o: &Options,
    notes: &mut Vec<String>,
    what: &str,
    mut f: impl FnMut() -> Result<f64, Error>,
) -> Option<f64> {
    let mut values = Vec::new();
    for _ in 0..o.runs {
        match f() {
            Ok(v) => values.push(v),
            Err(e) => {
                eprintln!("    {what} failed: {e}");
                notes.push(format!("{what}: {e}"));
            }
        }
    }
    median(values)
}

/// Opens `sessions` idle logged-in sessions, reads the PSS, lets them go;
/// returns (PSS delta KiB, sessions held).
fn idle(o: &Options, t: &Target, sessions: usize, measure: bool) -> Result<(u64, u64), Error> {
    std::thread::sleep(Duration::from_millis(300));
    let before = if measure { pss_kib(t.pid())? } else { 0 };
    let mut child = with_nofile(&o.bin_dir.join("loadgen"))
        .arg("idle")
        .args(["--addr", &t.addr()])
        .args(["--sessions", &sessions.to_string(), "--hold", "300"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let opened = json_number(&line, "ready").unwrap_or(0.0);
    // Let forked session processes settle.
    std::thread::sleep(Duration::from_millis(1000));
    let after = if measure { pss_kib(t.pid())? } else { 0 };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"go\n");
    }
    let mut last = String::new();
    stdout.read_line(&mut last)?;
    let _ = child.wait();
    eprintln!(
        "    idle {sessions}: opened {opened}, PSS {before} -> {after} KiB; {}",
        last.trim()
    );
    let held = json_number(&last, "held").unwrap_or(0.0) as u64;
    if measure && (opened as usize) < sessions {
        return Err(format!("only {opened} of {sessions} sessions opened").into());
    }
    Ok((after.saturating_sub(before), held))
}

fn measure(o: &Options, name: &str, t: &Target, ours: bool, big: &Path) -> Scores {
    let mut s = Scores::default();
    let addr = t.addr();
    eprintln!("== {name} at {addr} (load average {})", loadavg());
    match idle(o, t, o.idle, true) {
        Ok((delta, _)) => {
            s.pss_per_idle_kib = Some(delta as f64 / o.idle as f64);
            s.pss_idle_mib = Some(delta as f64 / 1024.0);
        }
        Err(e) => s.notes.push(format!("idle: {e}")),
    }
    if ours && o.held > 0 {
        match idle(o, t, o.held, false) {
            Ok((_, held)) => s.held = Some(held),
            Err(e) => s.notes.push(format!("held: {e}")),
        }
    }
    let dur = o.duration.to_string();
    let (notes, duration) = (&mut s.notes, dur.as_str());
    let (mut noop_cpu, mut mix_cpu, mut login_cpu) = (Vec::new(), Vec::new(), Vec::new());
    s.noop = repeat(o, notes, "noop", || {
        rate(
            o,
            t,
            "noop",
            &["--sessions", "16", "--duration", duration],
            &mut noop_cpu,
        )
    });
    s.mix = repeat(o, notes, "mix", || {
        let args = [
            "--sessions",
            "16",
            "--duration",
            duration,
            "--file",
            "hello.txt",
        ];
        rate(o, t, "mix", &args, &mut mix_cpu)
    });
    s.login = repeat(o, notes, "login", || {
        rate(
            o,
            t,
            "login",
            &["--sessions", "8", "--duration", duration],
            &mut login_cpu,
        )
    });
    s.noop_cpu = median(noop_cpu);
    s.mix_cpu = median(mix_cpu);
    s.login_cpu = median(login_cpu);
    if o.transfers {
        let link = t.root().join(BIG_FILE);
        if std::fs::hard_link(big, &link).is_err() {
            let _ = std::fs::copy(big, &link);
        }
        s.retr = repeat(o, notes, "retr", || {
            transfer(o, &addr, "retr", &["--file", BIG_FILE, "--chunk", "262144"])
        });
        s.stor = repeat(o, notes, "stor", || {
            let r = transfer(
                o,
                &addr,
                "stor",
                &[
                    "--file",
                    UPLOAD_FILE,
                    "--bytes",
                    &BIG_SIZE.to_string(),
                    "--chunk",
                    "262144",
                ],
            );
            let _ = std::fs::remove_file(t.root().join(UPLOAD_FILE));
            r
        });
        let _ = std::fs::remove_file(&link);
    }
    eprintln!("   done (load average {})", loadavg());
    s
}

fn make_big_file() -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix("ftp-proto-bench-")
        .tempdir()?;
    crate_set_mode(dir.path(), 0o755)?;
    let path = dir.path().join(BIG_FILE);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    for _ in 0..(BIG_SIZE >> 20) {
        f.write_all(&block)?;
    }
    f.flush()?;
    crate_set_mode(&path, 0o644)?;
    Ok(dir)
}

fn crate_set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn nofile_limits() -> String {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .map(str::to_owned)
        })
        .map(|l| {
            l.split_whitespace()
                .skip(3)
                .take(2)
                .collect::<Vec<_>>()
                .join(" (soft) / ")
                + " (hard)"
        })
        .unwrap_or_default()
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    match v {
        None => "—".to_owned(),
        Some(v) if decimals == 0 => group(v.round() as u64),
        Some(v) => format!("{v:.decimals$}"),
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> Result<(), Error> {
    let o = parse()?;
    for program in ["server", "loadgen"] {
        if !o.bin_dir.join(program).is_file() {
            return Err(format!(
                "{} not found: cargo build --release -p ftp-proto-tokio --example server --example loadgen",
                o.bin_dir.join(program).display()
            )
            .into());
        }
    }
    let started = Instant::now();
    eprintln!(
        "machine: {} cores, load average {}, RLIMIT_NOFILE {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        loadavg(),
        nofile_limits()
    );
    let big = if o.transfers {
        Some(make_big_file()?)
    } else {
        None
    };
    let big_path = big
        .as_ref()
        .map(|d| d.path().join(BIG_FILE))
        .unwrap_or_default();

    let mut results: Vec<(String, Scores)> = Vec::new();
    // Our server as configured by default (SIZE/CWD lookups inline), then
    // with them on tokio's blocking pool.
    for (name, extra, held) in [
        ("ours", &[][..], true),
        ("ours, offloaded lookups", &["--offload-lookups"][..], false),
    ] {
        let t = start_ours(&o, extra)?;
        results.push((name.to_owned(), measure(&o, name, &t, held, &big_path)));
    }
    for &kind in &o.peers {
        match start_peer(kind, &o) {
            Ok(t) => results.push((
                kind.name().to_owned(),
                measure(&o, kind.name(), &t, false, &big_path),
            )),
            Err(e) => {
                eprintln!("== {}: not started: {e}", kind.name());
                let mut s = Scores::default();
                s.notes.push(format!("not started: {e}"));
                results.push((kind.name().to_owned(), s));
            }
        }
    }
    print_table(&o, &results);
    eprintln!(
        "total {:.0} s, load average at the end {}",
        started.elapsed().as_secs_f64(),
        loadavg()
    );
    Ok(())
}

fn print_table(o: &Options, results: &[(String, Scores)]) {
    let ours: Vec<&Scores> = results
        .iter()
        .filter(|(n, _)| n.starts_with("ours"))
        .map(|(_, s)| s)
        .collect();
    let peer = |name: &str| results.iter().find(|(n, _)| n == name).map(|(_, s)| s);
    let best = |f: fn(&Scores) -> Option<f64>| {
        results
            .iter()
            .filter(|(n, _)| !n.starts_with("ours"))
            .filter_map(|(_, s)| f(s))
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let vsftpd = |f: fn(&Scores) -> Option<f64>| peer("vsftpd").and_then(f);
    let pyftpdlib = |f: fn(&Scores) -> Option<f64>| peer("pyftpdlib").and_then(f);
    type Row = (
        &'static str,
        fn(&Scores) -> Option<f64>,
        usize,
        String,
        Vec<Option<bool>>,
    );
    let at_least = |get: fn(&Scores) -> Option<f64>, goal: Option<f64>| -> Vec<Option<bool>> {
        ours.iter().map(|s| Some(get(s)? >= goal?)).collect()
    };
    let at_most = |get: fn(&Scores) -> Option<f64>, goal: f64| -> Vec<Option<bool>> {
        ours.iter().map(|s| Some(get(s)? <= goal)).collect()
    };
    let noop_goal = vsftpd(|s| s.noop).map(|v| v * 1.5);
    let mix_goal = vsftpd(|s| s.mix).map(|v| v * 1.5);
    let login_goal = pyftpdlib(|s| s.login);
    let retr_goal = best(|s| s.retr);
    let stor_goal = best(|s| s.stor);
    let rows: Vec<Row> = vec![
        (
            "NOOP, 16 sessions (cmds/s)",
            |s| s.noop,
            0,
            format!("≥ 1.5 × vsftpd = {}", fmt(noop_goal, 0)),
            at_least(|s| s.noop, noop_goal),
        ),
        (
            "PWD/CWD/TYPE I/SIZE, 16 sessions (cmds/s)",
            |s| s.mix,
            0,
            format!("≥ 1.5 × vsftpd = {}", fmt(mix_goal, 0)),
            at_least(|s| s.mix, mix_goal),
        ),
        (
            "logins/s, 8 concurrent",
            |s| s.login,
            0,
            format!("≥ pyftpdlib = {}", fmt(login_goal, 0)),
            at_least(|s| s.login, login_goal),
        ),
        (
            "RETR 1 GiB, 256 KiB reads (MB/s)",
            |s| s.retr,
            0,
            format!("≥ best peer = {}", fmt(retr_goal, 0)),
            at_least(|s| s.retr, retr_goal),
        ),
        (
            "STOR 1 GiB from memory (MB/s)",
            |s| s.stor,
            0,
            format!("≥ best peer = {}", fmt(stor_goal, 0)),
            at_least(|s| s.stor, stor_goal),
        ),
        (
            "server CPU per NOOP (µs)",
            |s| s.noop_cpu,
            1,
            "—".to_owned(),
            Vec::new(),
        ),
        (
            "server CPU per mix command (µs)",
            |s| s.mix_cpu,
            1,
            "—".to_owned(),
            Vec::new(),
        ),
        (
            "server CPU per login (µs)",
            |s| s.login_cpu,
            0,
            "—".to_owned(),
            Vec::new(),
        ),
        (
            "PSS of 500 idle sessions (MiB)",
            |s| s.pss_idle_mib,
            1,
            "—".to_owned(),
            Vec::new(),
        ),
        (
            "PSS per idle session (KiB)",
            |s| s.pss_per_idle_kib,
            1,
            "≤ 20 KiB".to_owned(),
            at_most(|s| s.pss_per_idle_kib, 20.0),
        ),
        (
            "idle sessions held",
            |s| s.held.map(|h| h as f64),
            0,
            format!("≥ {}", group(o.held as u64)),
            at_least(|s| s.held.map(|h| h as f64), Some(o.held as f64))
                .into_iter()
                .take(1)
                .collect(),
        ),
    ];
    let mut head = String::from("| metric |");
    let mut sep = String::from("|---|");
    for (name, _) in results {
        head.push_str(&format!(" {name} |"));
        sep.push_str("---:|");
    }
    println!("{head} goal (ours) | met |");
    println!("{sep}---|:---:|");
    for (label, get, decimals, goal, met) in rows {
        let mut line = format!("| {label} |");
        for (_, s) in results {
            line.push_str(&format!(" {} |", fmt(get(s), decimals)));
        }
        let met = if met.is_empty() {
            "—".to_owned()
        } else {
            met.iter()
                .map(|m| match m {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "—",
                })
                .collect::<Vec<_>>()
                .join(" / ")
        };
        println!("{line} {goal} | {met} |");
    }
    for (name, s) in results {
        for note in &s.notes {
            println!("\n- {name}: {note}");
        }
    }
    println!(
        "\nMedians of {} runs; {} s per rate run; idle PSS over {} sessions; load generator: `loadgen` (1 thread).",
        o.runs, o.duration, o.idle
    );
}
