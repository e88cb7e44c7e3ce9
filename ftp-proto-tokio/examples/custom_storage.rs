//! An FTP server whose files live in memory: a drop-box that forgets
//! everything when it stops. Two users share one tree of at most 64 MiB
//! (16 MiB per file): `alice` (password `alice`) may read and write,
//! `guest` (password `guest`) may only read.
//!
//! Run it (the first argument, if any, is the address to listen on):
//!
//! ```text
//! cargo run -p ftp-proto-tokio --example custom_storage [127.0.0.1:2121]
//! ```
//!
//! and try it with curl:
//!
//! ```text
//! echo hello > hello.txt
//! curl -T hello.txt ftp://alice:alice@127.0.0.1:2121/           # upload
//! curl ftp://guest:guest@127.0.0.1:2121/                        # list
//! curl ftp://guest:guest@127.0.0.1:2121/hello.txt               # download
//! curl -T hello.txt ftp://guest:guest@127.0.0.1:2121/           # refused (550/553)
//! curl -Q 'RNFR hello.txt' -Q 'RNTO hi.txt' ftp://alice:alice@127.0.0.1:2121/  # rename, list
//! curl -Q 'DELE hi.txt' ftp://alice:alice@127.0.0.1:2121/       # delete, list
//! ```
//!
//! Stop it with ctrl-c. Everything here is public API: another storage
//! (an object store, a database) plugs in the same way, by implementing
//! `ftp_proto_tokio::storage::Storage` and `server::StorageFactory`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example program"
)]

use std::net::SocketAddr;
use std::process::ExitCode;

use ftp_proto_tokio::auth::{Blocking, Permissions, UserList};
use ftp_proto_tokio::server::{Server, ServerSettings};
use ftp_proto_tokio::storage::MemoryStorage;

const DEFAULT_ADDR: &str = "127.0.0.1:2121";
const CAPACITY: u64 = 64 * 1024 * 1024;
const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

#[tokio::main]
async fn main() -> ExitCode {
    let addr = std::env::args().nth(1);
    let addr: SocketAddr = match addr.as_deref().unwrap_or(DEFAULT_ADDR).parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("usage: custom_storage [ADDRESS:PORT] ({e})");
            return ExitCode::from(2);
        }
    };
    match serve(addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("custom_storage: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    // One tree for everyone: each login gets a clone of it, read-only for
    // users without the write permission.
    let tree = MemoryStorage::new(CAPACITY).with_max_file_size(MAX_FILE_SIZE);
    let users = UserList::new().with_user("alice", "alice").with_account(
        "guest",
        "guest",
        Permissions::READ_ONLY,
        None,
    );
    let server = Server::builder(Blocking::new(users), tree.clone())
        .settings(ServerSettings::new().listen(addr))
        .bind()
        .await?;
    for local in server.local_addrs() {
        println!("serving an in-memory tree on ftp://{local}/ (ctrl-c stops)");
    }
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    tokio::signal::ctrl_c().await?;
    handle.shutdown();
    serving.await.map_err(std::io::Error::other)??;
    println!("stopped; {} bytes of files forgotten", tree.used());
    Ok(())
}
