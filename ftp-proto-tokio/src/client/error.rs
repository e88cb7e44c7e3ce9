//! Why a [`Client`](super::Client) call failed.

use std::io;

use ftp_proto::UsageErrorKind;
use ftp_proto::client::{ClientError, CloseReason, Reply};

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
    #[cfg(feature = "tls")]
    #[error("TLS error: {0}")]
    Tls(rustls::Error),
    /// FTPS was asked for without a [`TlsClient`](crate::tls::TlsClient).
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
}

impl<T> From<ftp_proto::UsageError<T>> for Error {
    fn from(e: ftp_proto::UsageError<T>) -> Self {
        Self::Usage(e.kind)
    }
}

/// Maps an I/O error from a TLS stream to [`Error::Tls`] when it is one.
pub(crate) fn from_io(e: io::Error) -> Error {
    #[cfg(feature = "tls")]
    if let Some(tls) = crate::tls::rustls_error(&e) {
        return Error::Tls(tls.clone());
    }
    Error::Io(e)
}
