//! FTPS settings shared by every adapter (rustls with the `ring` provider;
//! feature `tls`):
//! [`TlsConfig`] for servers, [`TlsClient`] for clients.
//!
//! Both are plain rustls configurations, free of any I/O runtime: the
//! blocking adapter drives them with `rustls::StreamOwned` or by hand, the
//! tokio adapter wraps the same `Arc`s in `tokio-rustls`.
//!
//! # Session reuse on data connections
//! RFC 4217 §10.2: a data connection should resume the control connection's
//! TLS session, which vsftpd (`require_ssl_reuse`) and ProFTPD enforce. A
//! server [`TlsConfig`] keeps a session cache and issues tickets so clients
//! can resume, and can insist on it
//! ([`require_session_reuse`](TlsConfig::require_session_reuse)). A
//! [`TlsClient`] holds **one** `Arc<rustls::ClientConfig>` (and so one
//! resumption store) used for the control and every data connection of a
//! session, always under the same server name.
//!
//! # No TLS 1.3 tickets on upload data connections
//! A TLS 1.3 server sends its session tickets right after the handshake.
//! A client that uploads never reads its data connection, so those
//! tickets are still unread when it closes the socket; the kernel (Linux,
//! RFC 2525 §2.17) then resets the connection instead of closing it and
//! drops whatever of the upload it had not yet sent. lftp (GnuTLS) loses
//! the end of its uploads this way, more often the busier the machine.
//! So a server [`TlsConfig`] sends no tickets on the data connections of
//! uploads ([`upload_rustls_config`](TlsConfig::upload_rustls_config));
//! the control connection and downloads still issue them.
//!
//! # Why clients run TLS 1.2 by default
//! rustls uses each TLS 1.3 ticket once and keeps a handful per server;
//! servers that send tickets only on the control connection (ProFTPD 1.3.8)
//! then refuse the data connection after those run out. Under TLS 1.2 a
//! session id is resumed as often as needed. [`TlsClient::with_tls13`] opts
//! in to TLS 1.3.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

pub use rustls;

/// How many TLS sessions a server remembers for resumption (TLS 1.2
/// session ids and TLS 1.3 stateful tickets).
const SESSION_CACHE_SIZE: usize = 4096;

/// Why a TLS configuration could not be built.
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
    /// CA certificates could not be read or none was found.
    #[error("CA certificates: {0}")]
    Certificates(String),
    /// The name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// rustls refused the certificate/key pair or the settings.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn pem_error(path: &Path, message: impl fmt::Display) -> TlsConfigError {
    TlsConfigError::Pem {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// A server's FTPS settings: certificate chain and key in a rustls
/// [`ServerConfig`](rustls::ServerConfig), plus the session-reuse policy.
///
/// Data connections under `PROT P` use the same configuration; it keeps a
/// server-side session cache and issues session tickets, so clients can
/// resume the control connection's session on each data connection.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<rustls::ServerConfig>,
    /// `config` without TLS 1.3 tickets, for the data connections of
    /// uploads (same certificate, session cache and ticketer).
    upload: Arc<rustls::ServerConfig>,
    require_session_reuse: bool,
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
    ///
    /// # Errors
    /// [`TlsConfigError::Pem`] for unreadable or empty files,
    /// [`TlsConfigError::Rustls`] for a key that does not fit.
    pub fn from_pem_files(
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsConfigError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| pem_error(cert, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(cert, e))?;
        if chain.is_empty() {
            return Err(pem_error(cert, "no certificate found"));
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e))?;
        Self::from_der(chain, key_der)
    }

    /// Builds from a DER certificate chain and private key.
    ///
    /// # Errors
    /// [`TlsConfigError::Rustls`] when rustls refuses the pair.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsConfigError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        Ok(Self::from_rustls(Arc::new(config)))
    }

    /// Uses a rustls configuration as it is (bring your own certificate
    /// resolver, versions, resumption settings), except that the data
    /// connections of uploads get no TLS 1.3 tickets (see the
    /// [module docs](self)).
    #[must_use]
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        let mut upload = (*config).clone();
        upload.send_tls13_tickets = 0;
        upload.max_tls13_tickets = 0;
        Self {
            config,
            upload: Arc::new(upload),
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

    /// Whether data connections must resume the session.
    #[must_use]
    pub fn session_reuse_required(&self) -> bool {
        self.require_session_reuse
    }

    /// The rustls configuration (control connections, and data
    /// connections that send to the client).
    #[must_use]
    pub fn rustls_config(&self) -> &Arc<rustls::ServerConfig> {
        &self.config
    }

    /// The rustls configuration for the data connection of an upload: the
    /// same, but sending no TLS 1.3 session tickets, which a client that
    /// only writes would leave unread (see the [module docs](self)).
    #[must_use]
    pub fn upload_rustls_config(&self) -> &Arc<rustls::ServerConfig> {
        &self.upload
    }
}

/// Client-side FTPS: one rustls configuration (so one session-resumption
/// store) and the server name to verify and resume under.
#[derive(Clone, Debug)]
pub struct TlsClient {
    config: Arc<rustls::ClientConfig>,
    server_name: Option<ServerName<'static>>,
    /// How the configuration was built, to rebuild it for TLS 1.3.
    verify: Option<Verify>,
}

/// How server certificates are checked.
#[derive(Clone, Debug)]
enum Verify {
    Roots(Arc<RootCertStore>),
    Insecure,
}

fn client_config(verify: &Verify, tls13: bool) -> Result<rustls::ClientConfig, rustls::Error> {
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        rustls::DEFAULT_VERSIONS
    } else {
        &[&rustls::version::TLS12]
    };
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder =
        rustls::ClientConfig::builder_with_provider(provider).with_protocol_versions(versions)?;
    Ok(match verify {
        Verify::Roots(roots) => builder.with_root_certificates(Arc::clone(roots)),
        Verify::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { algorithms })),
    }
    .with_no_client_auth())
}

impl TlsClient {
    /// Verifies servers against the Mozilla root store (`webpki-roots`).
    ///
    /// # Errors
    /// rustls refusing the configuration (not expected).
    pub fn webpki_roots() -> Result<Self, TlsConfigError> {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Self::built(Verify::Roots(Arc::new(roots)))
    }

    /// Verifies servers against the `CERTIFICATE` blocks of `pem` (a private
    /// CA or a self-signed server certificate).
    ///
    /// # Errors
    /// [`TlsConfigError::Certificates`] if no certificate could be parsed.
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self, TlsConfigError> {
        let bad = |e: &dyn fmt::Display| TlsConfigError::Certificates(e.to_string());
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        }
        if roots.is_empty() {
            return Err(bad(&"no certificate found"));
        }
        Self::built(Verify::Roots(Arc::new(roots)))
    }

    /// [`with_ca_pem`](Self::with_ca_pem) from a file.
    ///
    /// # Errors
    /// [`TlsConfigError::Certificates`] if the file cannot be read or holds
    /// no certificate.
    pub fn with_ca_file(path: impl AsRef<Path>) -> Result<Self, TlsConfigError> {
        let path = path.as_ref();
        let pem = std::fs::read(path)
            .map_err(|e| TlsConfigError::Certificates(format!("{}: {e}", path.display())))?;
        Self::with_ca_pem(&pem)
    }

    /// **Dangerous**: accepts any server certificate (signatures are still
    /// checked, chain and name are not). For self-signed test servers only.
    ///
    /// # Errors
    /// rustls refusing the configuration (not expected).
    pub fn insecure() -> Result<Self, TlsConfigError> {
        Self::built(Verify::Insecure)
    }

    fn built(verify: Verify) -> Result<Self, TlsConfigError> {
        Ok(Self {
            config: Arc::new(client_config(&verify, false)?),
            server_name: None,
            verify: Some(verify),
        })
    }

    /// Uses a rustls configuration built elsewhere; keep an in-memory
    /// resumption store in it (data connections rely on it).
    #[must_use]
    pub fn from_config(config: Arc<rustls::ClientConfig>) -> Self {
        Self {
            config,
            server_name: None,
            verify: None,
        }
    }

    /// Allows TLS 1.3 (`true`) or keeps TLS 1.2 (`false`, the default; see
    /// the [module docs](self)). Rebuilds the configuration with the same
    /// verification and a fresh session store; one given to
    /// [`from_config`](Self::from_config) is left as it is.
    ///
    /// # Errors
    /// rustls refusing the configuration (not expected).
    pub fn with_tls13(mut self, tls13: bool) -> Result<Self, TlsConfigError> {
        if let Some(verify) = &self.verify {
            self.config = Arc::new(client_config(verify, tls13)?);
        }
        Ok(self)
    }

    /// Verifies (and resumes sessions) under `name` instead of the address
    /// connected to: give the host name of the URL here.
    ///
    /// # Errors
    /// [`TlsConfigError::ServerName`] for a name that is neither a DNS name
    /// nor an IP address.
    pub fn with_server_name(mut self, name: &str) -> Result<Self, TlsConfigError> {
        let parsed = ServerName::try_from(name.to_owned())
            .map_err(|_| TlsConfigError::ServerName(name.to_owned()))?;
        self.server_name = Some(parsed);
        Ok(self)
    }

    /// The rustls configuration.
    #[must_use]
    pub fn config(&self) -> &Arc<rustls::ClientConfig> {
        &self.config
    }

    /// The name set with [`with_server_name`](Self::with_server_name).
    #[must_use]
    pub fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// The name to use against `ip`: the configured one, else the address.
    #[must_use]
    pub fn name_for(&self, ip: IpAddr) -> ServerName<'static> {
        self.server_name
            .clone()
            .unwrap_or_else(|| ServerName::IpAddress(ip.into()))
    }
}

/// The verifier behind [`TlsClient::insecure`].
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
