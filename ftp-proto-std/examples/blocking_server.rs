//! Serve a folder over FTP, on threads (the blocking twin of
//! `ftp-proto-tokio`'s `server` example: same options, output and exit
//! codes; see `ftp_proto_std::cli`).
//!
//! ```text
//! cargo run --release -p ftp-proto-std --example blocking_server -- [OPTIONS]
//! ```
//!
//! Safe defaults: listens on loopback, anonymous read-only when no user is
//! given, bounce protection on. Logs one line per session event to stderr.
//! SIGINT/SIGTERM: graceful shutdown, then exit 0.

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a command-line tool"
)]

use std::process::ExitCode;
use std::time::Duration;

use ftp_proto_std::auth::{AnonymousOnly, Authenticator, FirstOf, UserList};
use ftp_proto_std::cli::{ServerCommand, ServerOptions, parse_server_args, server_usage};
use ftp_proto_std::server::{FilesystemRoots, Server, ServerSettings, TlsConfig};

const PROGRAM: &str = "blocking_server";

fn main() -> ExitCode {
    let options = match parse_server_args(std::env::args().skip(1)) {
        Ok(ServerCommand::Run(o)) => o,
        Ok(ServerCommand::Help) => {
            print!("{}", server_usage(PROGRAM));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{PROGRAM}: {message}\n\n{}", server_usage(PROGRAM));
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
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{PROGRAM}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: ServerOptions) -> Result<(), String> {
    let root =
        std::fs::canonicalize(&o.root).map_err(|e| format!("--root {}: {e}", o.root.display()))?;
    if !root.is_dir() {
        return Err(format!("--root {}: not a folder", root.display()));
    }
    let mut users = UserList::new();
    for (name, password) in &o.users {
        users = users.with_user(name, password);
    }
    let auth: Box<dyn Authenticator> = match (o.anonymous, o.users.is_empty()) {
        (true, true) => Box::new(AnonymousOnly::new()),
        (true, false) => Box::new(FirstOf::new(AnonymousOnly::new(), users)),
        (false, _) => Box::new(users),
    };
    let mut settings = ServerSettings::new()
        .allow_anonymous(o.anonymous)
        .max_connections(o.max_connections)
        .idle_timeout((o.idle_timeout > 0).then(|| Duration::from_secs(o.idle_timeout)))
        .implicit_tls(o.implicit_tls)
        .require_tls(o.require_tls);
    for addr in &o.listen {
        settings = settings.listen(*addr);
    }
    if let Some(range) = o.passive_ports {
        settings = settings.passive_ports(range);
    }
    if let Some(ip) = o.masquerade {
        settings = settings.masquerade_address(ip);
    }
    if let (Some(cert), Some(key)) = (&o.tls_cert, &o.tls_key) {
        settings = settings.tls(TlsConfig::from_pem_files(cert, key).map_err(|e| e.to_string())?);
    }
    let server = Server::builder(auth, FilesystemRoots::new(&root))
        .settings(settings)
        .bind()
        .map_err(|e| format!("cannot listen: {e}"))?;
    for addr in server.local_addrs() {
        tracing::info!(%addr, root = %root.display(), anonymous = o.anonymous, users = o.users.len(), "serving");
    }
    let handle = server.handle();
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .map_err(|e| format!("cannot watch signals: {e}"))?;
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                tracing::info!("shutting down");
                handle.shutdown();
            }
        });
    }
    #[cfg(not(unix))]
    drop(handle);
    server.serve().map_err(|e| e.to_string())
}
