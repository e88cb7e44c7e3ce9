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

use ftp_proto_std::cli::{ServerOptions, server_command_line};
use ftp_proto_std::server::{FilesystemRoots, Server};

const PROGRAM: &str = "blocking_server";

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
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{PROGRAM}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &ServerOptions) -> Result<(), String> {
    let root = o.root_dir()?;
    let server = Server::builder(o.authenticator(), FilesystemRoots::new(&root))
        .settings(o.settings()?)
        .bind()
        .map_err(|e| format!("cannot listen: {e}"))?;
    o.log_serving(&root, &server.local_addrs());
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
