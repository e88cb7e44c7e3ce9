//! The blocking client (`ftp_proto_std::client::Client`) against real FTP
//! servers on loopback: every client operation in passive and active mode
//! against vsftpd, pure-ftpd, proftpd and pyftpdlib, explicit FTPS against
//! the servers that offer it (vsftpd and proftpd with their default TLS
//! session-reuse requirement on), against our own servers (std and tokio;
//! plain, explicit and implicit FTPS with session reuse required), and the
//! `blocking_client` example binary's output format and exit codes. A
//! missing server is a skip, or a failure when `FTP_INTEROP_REQUIRED=1`.
//!
//! The operation suite is shared with the other client's interop tests:
//! `ftp_proto_tests::client_interop`, instantiated here for `StdClient`.

use ftp_proto_tests::client_example::Example;
use ftp_proto_tests::client_interop::{StdClient, start};
use ftp_proto_tests::peers::PeerOptions;

ftp_proto_tests::client_interop_tests!(StdClient);

// ------------------------------------------------------------ the example

static EXAMPLE: Example = Example::new("ftp-proto-std", "blocking_client");

#[test]
fn example_client_against_pyftpdlib() {
    EXAMPLE.against(PeerKind::Pyftpdlib, PeerOptions::default(), &[]);
}

#[test]
fn example_client_against_vsftpd_active_tls() {
    EXAMPLE.against(
        PeerKind::Vsftpd,
        PeerOptions::with_tls(),
        &["--active", "--tls", "--insecure"],
    );
}

#[test]
fn example_client_anonymous_listing() {
    let Some(server) = start(PeerKind::Pyftpdlib, &PeerOptions::default()) else {
        return;
    };
    assert!(server.supports_anonymous());
    let url = format!("ftp://{}", server.addr());
    let out = EXAMPLE.ok(&[&url, "ls", "sub dir"]);
    assert_eq!(out, "- 19 2024-01-02T03:04:05Z nested.txt\n");
}
