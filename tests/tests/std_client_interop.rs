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

ftp_proto_tests::client_interop_tests!(StdClient, example: "ftp-proto-std", "blocking_client");

use ftp_proto_tests::client_interop::StdClient;
