//! Why a client call failed: [`Error`], the error of both clients (this
//! crate's blocking one and `ftp_proto_tokio`'s async one).

use std::io;

use ftp_proto::client::{ClientError, CloseReason, Reply};
use ftp_proto::{UsageError, UsageErrorKind};

/// The failure of one client call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation failed in the protocol: the server refused it (the
    /// error carries the server's reply, see [`Error::reply`]), a data
    /// connection broke, a timeout hit, or the session ended.
    #[error(transparent)]
    Ftp(#[from] ClientError),
    /// A socket error on the control connection (or while connecting).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The TLS handshake or TLS I/O on the control connection failed.
    #[error("TLS error: {0}")]
    #[cfg(feature = "tls")]
    Tls(rustls::Error),
    /// FTPS was asked for without a `TlsClient` (or from a client built
    /// without TLS support: the feature `tls`).
    #[error("FTPS requested but no TLS configuration given")]
    TlsNotConfigured,
    /// Connecting (TCP or the TLS handshake) took longer than the connect timeout.
    #[error("connect timed out")]
    ConnectTimeout,
    /// The engine refused the call (an argument with CR/LF/NUL, a full
    /// queue, a call in the wrong state, or a closed session).
    #[error("invalid call: {0}")]
    Usage(UsageErrorKind),
    /// The session is over.
    #[error("session closed: {0}")]
    Closed(CloseReason),
    /// The operation succeeded with an outcome this call did not expect.
    #[error("unexpected outcome")]
    UnexpectedOutcome,
}

impl Error {
    /// The server's reply behind this error, if there is one (for example
    /// `550 No such file` for a refused `RETR`).
    #[must_use]
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Ftp(e) => e.reply(),
            Self::Closed(CloseReason::ServiceClosing(r)) => Some(r),
            _ => None,
        }
    }

    /// Whether the error is the server's answer (or a protocol-level
    /// failure) rather than a local or network problem.
    #[must_use]
    pub fn is_ftp(&self) -> bool {
        matches!(self, Self::Ftp(_) | Self::Closed(_))
    }

    /// An I/O error from a TLS stream as `Error::Tls` when it carries a
    /// rustls error, else as [`Error::Io`] (always, without the feature
    /// `tls`).
    #[must_use]
    pub fn from_tls_io(e: io::Error) -> Self {
        #[cfg(feature = "tls")]
        if let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
            return Self::Tls(tls.clone());
        }
        Self::Io(e)
    }
}

impl<T> From<UsageError<T>> for Error {
    fn from(e: UsageError<T>) -> Self {
        Self::Usage(e.kind)
    }
}
