//! Serve a folder over FTP.
//!
//! ```text
//! cargo run --release -p ftp-proto-tokio --example server -- [OPTIONS]
//! ```
//!
//! Safe defaults: listens on loopback, anonymous read-only when no user is
//! given, bounce protection on. Logs one line per session event to stderr.

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a command-line tool"
)]

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ftp_proto_std::auth::{
    AnonymousOnly, Authenticator as BlockingAuthenticator, FirstOf, UserList,
};
use ftp_proto_tokio::auth::Blocking;
use ftp_proto_tokio::server::{FilesystemRoots, Server, TlsConfig};

const USAGE: &str = "\
Usage: server [OPTIONS]

Serve a folder over FTP.

Options:
  --listen ADDR            address to listen on, IPv4 or [IPv6]:port (repeatable;
                           default 127.0.0.1:2121)
  --root DIR               folder to serve (default: the current folder)
  --user NAME:PASSWORD     a user who may read and write (repeatable)
  --anonymous              allow anonymous read-only login (the default when no
                           --user is given)
  --passive-ports LOW-HIGH passive data ports (default: any free port)
  --masquerade IP          IPv4 address announced in PASV replies (behind NAT)
  --tls-cert PEM           certificate chain for FTPS (with --tls-key)
  --tls-key PEM            private key for FTPS (enables AUTH TLS)
  --implicit-tls           TLS from the first byte (implicit FTPS)
  --require-tls            refuse login before AUTH TLS and transfers without PROT P
  --idle-timeout SECONDS   close idle sessions after this long (default 300; 0: never)
  --max-connections N      most simultaneous connections (default 1024)
  --inline-lookups         SIZE/MDTM/CWD lookups on the session's task instead of
                           the blocking pool (for a root on a local disk)
  -h, --help               show this help
";

#[derive(Debug)]
struct Options {
    listen: Vec<SocketAddr>,
    root: PathBuf,
    users: Vec<(String, String)>,
    anonymous: bool,
    passive_ports: Option<RangeInclusive<u16>>,
    masquerade: Option<IpAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    implicit_tls: bool,
    require_tls: bool,
    idle_timeout: u64,
    max_connections: usize,
    inline_lookups: bool,
}

enum Parsed {
    Run(Options),
    Help,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut o = Options {
        listen: Vec::new(),
        root: PathBuf::from("."),
        users: Vec::new(),
        anonymous: false,
        passive_ports: None,
        masquerade: None,
        tls_cert: None,
        tls_key: None,
        implicit_tls: false,
        require_tls: false,
        idle_timeout: 300,
        max_connections: 1024,
        inline_lookups: false,
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listen" => {
                let v = value()?;
                o.listen.push(
                    v.parse()
                        .map_err(|_| format!("--listen: not an address: {v}"))?,
                );
            }
            "--root" => o.root = PathBuf::from(value()?),
            "--user" => {
                let v = value()?;
                let (user, password) = v
                    .split_once(':')
                    .filter(|(u, _)| !u.is_empty())
                    .ok_or_else(|| format!("--user: expected NAME:PASSWORD, got {v}"))?;
                o.users.push((user.to_owned(), password.to_owned()));
            }
            "--anonymous" => o.anonymous = true,
            "--inline-lookups" => o.inline_lookups = true,
            "--passive-ports" => {
                let v = value()?;
                let range = v
                    .split_once('-')
                    .and_then(|(l, h)| Some((l.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
                    .filter(|(l, h)| *l > 0 && l <= h)
                    .ok_or_else(|| format!("--passive-ports: expected LOW-HIGH, got {v}"))?;
                o.passive_ports = Some(range.0..=range.1);
            }
            "--masquerade" => {
                let v = value()?;
                o.masquerade = Some(
                    v.parse()
                        .map_err(|_| format!("--masquerade: not an IP address: {v}"))?,
                );
            }
            "--tls-cert" => o.tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => o.tls_key = Some(PathBuf::from(value()?)),
            "--implicit-tls" => o.implicit_tls = true,
            "--require-tls" => o.require_tls = true,
            "--idle-timeout" => {
                let v = value()?;
                o.idle_timeout = v
                    .parse()
                    .map_err(|_| format!("--idle-timeout: not a number of seconds: {v}"))?;
            }
            "--max-connections" => {
                let v = value()?;
                o.max_connections = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--max-connections: not a positive number: {v}"))?;
            }
            other => return Err(format!("unknown option: {other}")),
        }
        if inline.is_some()
            && matches!(
                name.as_str(),
                "--anonymous" | "--implicit-tls" | "--require-tls" | "--inline-lookups"
            )
        {
            return Err(format!("{name} takes no value"));
        }
    }
    if o.tls_cert.is_some() != o.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".to_owned());
    }
    if (o.implicit_tls || o.require_tls) && o.tls_cert.is_none() {
        return Err("--implicit-tls and --require-tls need --tls-cert and --tls-key".to_owned());
    }
    if o.users.is_empty() {
        o.anonymous = true;
    }
    if o.listen.is_empty() {
        o.listen.push(SocketAddr::from(([127, 0, 0, 1], 2121)));
    }
    Ok(Parsed::Run(o))
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .compact()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: Options) -> Result<(), String> {
    let root =
        std::fs::canonicalize(&o.root).map_err(|e| format!("--root {}: {e}", o.root.display()))?;
    if !root.is_dir() {
        return Err(format!("--root {}: not a folder", root.display()));
    }
    let mut users = UserList::new();
    for (name, password) in &o.users {
        users = users.with_user(name, password);
    }
    let auth: Box<dyn BlockingAuthenticator> = match (o.anonymous, o.users.is_empty()) {
        (true, true) => Box::new(AnonymousOnly::new()),
        (true, false) => Box::new(FirstOf::new(AnonymousOnly::new(), users)),
        (false, _) => Box::new(users),
    };
    let mut builder = Server::builder(
        Blocking::new(auth),
        FilesystemRoots::new(&root).inline_lookups(o.inline_lookups),
    )
    .allow_anonymous(o.anonymous)
    .max_connections(o.max_connections)
    .idle_timeout((o.idle_timeout > 0).then(|| Duration::from_secs(o.idle_timeout)))
    .implicit_tls(o.implicit_tls)
    .require_tls(o.require_tls);
    for addr in &o.listen {
        builder = builder.listen(*addr);
    }
    if let Some(range) = o.passive_ports {
        builder = builder.passive_ports(range);
    }
    if let Some(ip) = o.masquerade {
        builder = builder.masquerade_address(ip);
    }
    if let (Some(cert), Some(key)) = (&o.tls_cert, &o.tls_key) {
        builder = builder.tls(TlsConfig::from_pem_files(cert, key).map_err(|e| e.to_string())?);
    }
    let server = builder
        .bind()
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    for addr in server.local_addrs() {
        tracing::info!(%addr, root = %root.display(), anonymous = o.anonymous, users = o.users.len(), "serving");
    }
    let handle = server.handle();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        handle.shutdown();
    });
    server.serve().await.map_err(|e| e.to_string())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
