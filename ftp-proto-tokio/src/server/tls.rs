//! FTPS for the server (feature `tls`): the rustls configuration
//! ([`TlsConfig`], shared with the blocking adapter: it is
//! [`ftp_proto_std::tls::TlsConfig`]). The control connection's switch to
//! TLS on `AUTH TLS` is the shared [`Transport`](crate::driver::Transport)'s.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;

pub use ftp_proto_std::tls::{TlsConfig, TlsConfigError};

/// A tokio-rustls acceptor on the configuration's shared rustls config
/// (and so its session cache and ticketer).
pub(crate) fn acceptor(tls: &TlsConfig) -> TlsAcceptor {
    TlsAcceptor::from(Arc::clone(tls.rustls_config()))
}
