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

use ftp_proto_std::cli::{ServerOptions, server_command_line};
use ftp_proto_tokio::auth::Blocking;
use ftp_proto_tokio::server::{FilesystemRoots, Server};

const PROGRAM: &str = "server";

fn main() -> ExitCode {
    let options = match server_command_line(PROGRAM) {
        Ok(o) => o,
        Err(code) => return code,
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
            eprintln!("{PROGRAM}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{PROGRAM}: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(o: &ServerOptions) -> Result<(), String> {
    let root = o.root_dir()?;
    let server = Server::builder(
        Blocking::new(o.authenticator()),
        FilesystemRoots::new(&root).offload_lookups(o.offload_lookups),
    )
    .settings(o.settings()?)
    .bind()
    .await
    .map_err(|e| format!("cannot listen: {e}"))?;
    o.log_serving(&root, &server.local_addrs());
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
