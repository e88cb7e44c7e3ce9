//! FTPS for the server (feature `tls`): the rustls configuration
//! ([`TlsConfig`]). The control connection's switch to TLS on `AUTH TLS` is
//! the shared [`Transport`](crate::driver::Transport)'s.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// How many TLS sessions the server remembers for resumption (TLS 1.2
/// session ids and TLS 1.3 stateful tickets).
const SESSION_CACHE_SIZE: usize = 4096;

/// Why a [`TlsConfig`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// rustls refused the certificate/key pair or the settings.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The server's FTPS settings: certificate chain and key, wrapped in a
/// rustls [`ServerConfig`](rustls::ServerConfig) (crypto from `ring`).
///
/// Data connections under `PROT P` use the same configuration. It keeps a
/// server-side session cache and issues session tickets, so clients can
/// resume the control connection's TLS session on each data connection
/// (RFC 4217 §10.2 and what vsftpd/proftpd require);
/// [`require_session_reuse`](Self::require_session_reuse) makes that
/// mandatory.
#[derive(Clone)]
pub struct TlsConfig {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) require_session_reuse: bool,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("require_session_reuse", &self.require_session_reuse)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Loads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1
    /// or SEC1).
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsConfigError> {
        let cert = cert.as_ref();
        let key = key.as_ref();
        let pem_error = |path: &Path, message: String| TlsConfigError::Pem {
            path: path.display().to_string(),
            message,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| pem_error(cert, e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(cert, e.to_string()))?;
        if chain.is_empty() {
            return Err(pem_error(cert, "no certificate found".to_owned()));
        }
        let key_der =
            PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e.to_string()))?;
        Self::from_der(chain, key_der)
    }

    /// Builds from a DER certificate chain and private key.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsConfigError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        Ok(Self::from_rustls(Arc::new(config)))
    }

    /// Uses a rustls configuration as it is (bring your own certificate
    /// resolver, versions, resumption settings).
    #[must_use]
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            acceptor: TlsAcceptor::from(config),
            require_session_reuse: false,
        }
    }

    /// Refuse `PROT P` data connections whose TLS handshake did not resume
    /// the session (the transfer fails with `522`). Off by default: Python's
    /// ftplib, for one, never resumes.
    #[must_use]
    pub fn require_session_reuse(mut self, required: bool) -> Self {
        self.require_session_reuse = required;
        self
    }
}
