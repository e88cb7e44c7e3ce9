//! Self-signed certificates for the servers' FTPS, made with rcgen.

use std::path::{Path, PathBuf};

/// A certificate and its key written as PEM files.
#[derive(Debug)]
pub(crate) struct CertFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) cert_pem: String,
}

impl CertFiles {
    /// Generates an ECDSA P-256 certificate for `localhost` and `127.0.0.1`
    /// and writes it into `dir` (key files mode 600).
    pub(crate) fn write(dir: &Path) -> Result<Self, String> {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let certified =
            rcgen::generate_simple_self_signed(names).map_err(|e| format!("rcgen: {e}"))?;
        let cert_pem = certified.cert.pem();
        let key_pem = certified.signing_key.serialize_pem();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let write = |path: &Path, text: &str, mode: u32| {
            std::fs::write(path, text)
                .and_then(|()| super::set_mode(path, mode))
                .map_err(|e| format!("{}: {e}", path.display()))
        };
        write(&cert, &cert_pem, 0o644)?;
        write(&key, &key_pem, 0o600)?;
        Ok(Self {
            cert,
            key,
            cert_pem,
        })
    }
}
