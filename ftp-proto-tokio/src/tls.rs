//! TLS settings for FTPS clients (rustls with the `ring` provider).
//!
//! One [`TlsClient`] holds one `Arc<rustls::ClientConfig>`, and so one
//! in-memory session-resumption store, used for the control connection and
//! every data connection of a session, always with the same server name.
//! That is what lets data connections resume the control connection's TLS
//! session, which vsftpd (`require_ssl_reuse`) and ProFTPD require by
//! default (spec pitfall 24).
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

use std::io;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A CA file could not be read or held no certificate.
    #[error("CA certificates: {0}")]
    Certificates(String),
    /// The name is not a valid DNS name or IP address.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// rustls refused the configuration.
    #[error(transparent)]
    Rustls(#[from] rustls::Error),
}

/// Client-side TLS for FTPS: the rustls configuration and the server name
/// to verify (and to key session resumption by).
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

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build(verify: &Verify, tls13: bool) -> Result<rustls::ClientConfig, rustls::Error> {
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
        Verify::Roots(roots) => builder.with_root_certificates(roots.clone()),
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

    /// Verifies servers against the certificates in `pem` (one or more
    /// `CERTIFICATE` blocks), for example a private CA or a self-signed
    /// server certificate.
    ///
    /// # Errors
    /// [`TlsConfigError::Certificates`] if no certificate could be parsed.
    pub fn with_ca_pem(pem: &[u8]) -> Result<Self, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TlsConfigError::Certificates(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| TlsConfigError::Certificates(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(TlsConfigError::Certificates("no certificate found".into()));
        }
        Self::built(Verify::Roots(Arc::new(roots)))
    }

    /// Reads [`with_ca_pem`](Self::with_ca_pem) input from a file.
    ///
    /// # Errors
    /// [`TlsConfigError::Certificates`] if the file cannot be read or holds
    /// no certificate.
    pub fn with_ca_file(path: &std::path::Path) -> Result<Self, TlsConfigError> {
        let pem = std::fs::read(path)
            .map_err(|e| TlsConfigError::Certificates(format!("{}: {e}", path.display())))?;
        Self::with_ca_pem(&pem)
    }

    /// **Dangerous**: accepts any server certificate (signatures are still
    /// checked, the chain and name are not). For self-signed test servers
    /// only; it gives no protection against an active attacker.
    ///
    /// # Errors
    /// rustls refusing the configuration (not expected).
    pub fn insecure() -> Result<Self, TlsConfigError> {
        Self::built(Verify::Insecure)
    }

    fn built(verify: Verify) -> Result<Self, TlsConfigError> {
        Ok(Self {
            config: Arc::new(build(&verify, false)?),
            server_name: None,
            verify: Some(verify),
        })
    }

    /// Uses a rustls configuration built elsewhere. Keep its default
    /// resumption store (or another that holds sessions in memory): data
    /// connections rely on it. Mind the TLS 1.3 limits in the
    /// [module docs](self).
    #[must_use]
    pub fn from_config(config: Arc<rustls::ClientConfig>) -> Self {
        Self {
            config,
            server_name: None,
            verify: None,
        }
    }

    /// Allows TLS 1.3 (`true`) or keeps FTPS at TLS 1.2 (`false`, the
    /// default; see the [module docs](self) for why). Rebuilds the
    /// configuration with the same verification and a fresh session store;
    /// a configuration given to [`from_config`](Self::from_config) is left
    /// as it is.
    ///
    /// # Errors
    /// rustls refusing the configuration (not expected).
    pub fn with_tls13(mut self, tls13: bool) -> Result<Self, TlsConfigError> {
        if let Some(verify) = &self.verify {
            self.config = Arc::new(build(verify, tls13)?);
        }
        Ok(self)
    }

    /// Verifies (and resumes sessions) under `name` instead of the address
    /// connected to. Give the host name of the URL here.
    ///
    /// # Errors
    /// [`TlsConfigError::ServerName`] for a name that is neither a DNS name
    /// nor an IP address.
    pub fn with_server_name(mut self, name: &str) -> Result<Self, TlsConfigError> {
        let name = ServerName::try_from(name.to_owned())
            .map_err(|_| TlsConfigError::ServerName(name.to_owned()))?;
        self.server_name = Some(name);
        Ok(self)
    }

    /// The rustls configuration.
    #[must_use]
    pub fn config(&self) -> &Arc<rustls::ClientConfig> {
        &self.config
    }

    /// The server name set with [`with_server_name`](Self::with_server_name).
    #[must_use]
    pub fn server_name(&self) -> Option<&ServerName<'static>> {
        self.server_name.as_ref()
    }

    /// A connector sharing this configuration (and its resumption store).
    #[must_use]
    pub fn connector(&self) -> tokio_rustls::TlsConnector {
        tokio_rustls::TlsConnector::from(self.config.clone())
    }

    /// The name to use against `ip`: the configured one, else the address.
    #[must_use]
    pub fn name_for(&self, ip: std::net::IpAddr) -> ServerName<'static> {
        self.server_name
            .clone()
            .unwrap_or_else(|| ServerName::IpAddress(ip.into()))
    }
}

/// Whether `err` (from a handshake or TLS I/O) carries a rustls error.
pub(crate) fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
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
