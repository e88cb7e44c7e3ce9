//! TLS settings for FTPS clients (rustls with the `ring` provider). The
//! settings themselves are [`ftp_proto_std::tls::TlsClient`], shared with
//! the blocking adapter; this module adds the tokio-rustls [`connector`].
//!
//! One [`TlsClient`] holds one `Arc<rustls::ClientConfig>`, and so one
//! in-memory session-resumption store, used for the control connection and
//! every data connection of a session, always with the same server name.
//! That is what lets data connections resume the control connection's TLS
//! session, which vsftpd (`require_ssl_reuse`) and ProFTPD require by
//! default.
//!
//! # Why TLS 1.2 by default
//! Under TLS 1.2 rustls keeps the control connection's session and resumes
//! it on every data connection, as many times as needed. Under TLS 1.3,
//! resumption goes through session tickets, which rustls uses **once each**
//! (RFC 8446 §C.4; its ticket type cannot even be cloned), keeping at most
//! 8 per server, and which arrive *after* the handshake (curl/curl#4654).
//! Measured here: vsftpd sends fresh tickets on each data connection, so
//! TLS 1.3 works as long as the client reads them (it does, uploads
//! included); ProFTPD 1.3.8 sends tickets only on the control connection,
//! so the 9th data connection of a session cannot resume and is refused
//! ("client did not reuse TLS session"). OpenSSL-based clients (curl, lftp)
//! do not hit this because OpenSSL lets a client reuse one TLS 1.3 session.
//! So FTPS runs TLS 1.2 unless [`TlsClient::with_tls13`] opts in.

use std::sync::Arc;

pub use ftp_proto_std::tls::{TlsClient, TlsConfigError};

/// A tokio-rustls connector sharing `tls`'s configuration (and so its
/// session-resumption store).
#[must_use]
pub fn connector(tls: &TlsClient) -> tokio_rustls::TlsConnector {
    tokio_rustls::TlsConnector::from(Arc::clone(tls.config()))
}
