//! Serve a folder over FTP.
//!
//! ```text
//! cargo run --release -p ftp-proto-tokio --example server -- [OPTIONS]
//! ```
//!
//! The options, output and exit codes are those of `ftp-proto-std`'s
//! `blocking_server` (the command line lives in `ftp_proto_std::cli`).
//!
//! Safe defaults: listens on loopback, anonymous read-only when no user is
//! given, bounce protection on. Logs one line per session event to stderr.

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a command-line tool"
)]

use std::process::ExitCode;
use std::time::Duration;

use ftp_proto_std::auth::{
    AnonymousOnly, Authenticator as BlockingAuthenticator, FirstOf, UserList,
};
use ftp_proto_std::cli::{ServerCommand, ServerOptions, parse_server_args, server_usage};
use ftp_proto_tokio::auth::Blocking;
use ftp_proto_tokio::server::{FilesystemRoots, Server, ServerSettings, TlsConfig};

const PROGRAM: &str = "server";

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

async fn run(o: ServerOptions) -> Result<(), String> {
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
    let server = Server::builder(
        Blocking::new(auth),
        FilesystemRoots::new(&root).offload_lookups(o.offload_lookups),
    )
    .settings(settings)
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
