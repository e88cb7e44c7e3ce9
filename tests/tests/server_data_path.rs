//! The data path of both our servers, end to end over loopback: the stall
//! limit of a transfer whose peer stops taking bytes, and uploads that
//! replace a file only once complete.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use ftp_proto_tests::ours::{Flavor, Setup, TestServer};

/// The stall limit of these tests (the assertions allow three times it).
const STALL: Duration = Duration::from_secs(1);

/// Bigger than what loopback's socket buffers take without a reader.
const BIG: usize = 48 * 1024 * 1024;

/// A download to a peer that connects and never reads ends with `426`
/// within the stall limit (plus margin), and the server goes on serving.
fn download_nobody_reads(flavor: Flavor, transfer_threads: Option<usize>, type_command: &str) {
    let server = TestServer::start(
        flavor,
        &Setup {
            data_stall: Some(STALL),
            transfer_threads,
            ..Setup::default()
        },
    )
    .unwrap();
    std::fs::write(server.root().join("big.bin"), vec![b'x'; BIG]).unwrap();
    let mut control = server.raw_login();
    assert_eq!(control.command(type_command).unwrap().code, 200);
    let (_, data) = control.epsv().unwrap();
    let data = TcpStream::connect(data.unwrap()).unwrap();
    let first = control.command("RETR big.bin").unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    let started = Instant::now();
    let last = control.read_reply().unwrap();
    let took = started.elapsed();
    assert_eq!(last.code, 426, "{last:?}");
    assert!(took < STALL * 3, "{flavor:?} {type_command}: {took:?}");
    drop(data);
    server.assert_healthy();
}

#[test]
fn std_download_nobody_reads_ends_by_the_stall_limit_sendfile() {
    download_nobody_reads(Flavor::Std, None, "TYPE I");
}

#[test]
fn std_download_nobody_reads_ends_by_the_stall_limit_buffered() {
    download_nobody_reads(Flavor::Std, None, "TYPE A");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_sendfile() {
    download_nobody_reads(Flavor::Tokio, None, "TYPE I");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_buffered() {
    download_nobody_reads(Flavor::Tokio, None, "TYPE A");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_on_tasks() {
    download_nobody_reads(Flavor::Tokio, Some(0), "TYPE I");
}
