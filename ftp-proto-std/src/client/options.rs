//! How a client connects: [`ClientOptions`] (engine settings, connect
//! timeout, data-connection mode and FTPS) and [`Security`], shared by both
//! clients (this crate's blocking one and `ftp_proto_tokio`'s async one).

use std::time::Duration;

use ftp_proto::client::{ClientConfig, DataConnectionMode};

#[cfg(feature = "tls")]
use crate::tls::TlsClient;

/// Whether and how the control connection runs TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Security {
    /// Clear text only.
    #[default]
    Plain,
    /// Explicit FTPS (RFC 4217): `AUTH TLS` right after the greeting, then
    /// `PBSZ 0` and `PROT P` (repeated after login if the server wanted
    /// them later), so data connections run TLS too.
    ExplicitTls,
    /// Implicit FTPS (usually port 990): TLS from the first byte, data
    /// connections protected.
    ImplicitTls,
}

/// Settings of a client.
///
/// ```
/// use ftp_proto_std::client::ClientOptions;
/// use std::time::Duration;
///
/// let options = ClientOptions::default()
///     .active(true)
///     .connect_timeout(Duration::from_secs(5));
/// assert!(options.is_active());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The engine's settings: reply and data timeouts, keep-alive, limits,
    /// passive-address policy, data-connection mode...
    pub engine: ClientConfig,
    /// Longest wait for a TCP connect (control and data) and for a TLS
    /// handshake. Default 30 s.
    pub connect_timeout: Duration,
    /// Plain, explicit or implicit FTPS.
    pub security: Security,
    /// Certificates, verification and session store for FTPS (feature
    /// `tls`; without it a [`security`](Self::security) other than
    /// [`Security::Plain`] fails to connect with
    /// [`Error::TlsNotConfigured`](super::Error::TlsNotConfigured)).
    #[cfg(feature = "tls")]
    pub tls: Option<TlsClient>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            engine: ClientConfig::default(),
            connect_timeout: Duration::from_secs(30),
            security: Security::Plain,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientOptions {
    /// Active mode (`EPRT`/`PORT`: the server connects to us) when `true`,
    /// passive mode (`EPSV`, falling back to `PASV`) when `false` (default).
    #[must_use]
    pub fn active(mut self, active: bool) -> Self {
        self.engine.data_mode = if active {
            DataConnectionMode::Active { always_eprt: false }
        } else {
            DataConnectionMode::Passive
        };
        self
    }

    /// Whether active mode is selected.
    #[must_use]
    pub fn is_active(&self) -> bool {
        matches!(self.engine.data_mode, DataConnectionMode::Active { .. })
    }

    /// Sets the connect (and handshake) timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Explicit FTPS (`AUTH TLS`, `PBSZ 0`, `PROT P`) with `tls`.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn explicit_tls(mut self, tls: TlsClient) -> Self {
        self.security = Security::ExplicitTls;
        self.engine.implicit_tls = false;
        self.tls = Some(tls);
        self
    }

    /// Implicit FTPS (TLS from the first byte) with `tls`.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn implicit_tls(mut self, tls: TlsClient) -> Self {
        self.security = Security::ImplicitTls;
        self.engine.implicit_tls = true;
        self.tls = Some(tls);
        self
    }
}
