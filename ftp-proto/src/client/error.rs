//! Why a client operation failed.

use super::wire::Reply;

/// The failure of one operation, ending it.
///
/// Negative replies keep the server's reply (code and text), and say whether
/// the failure is transient (4yz: the same request may work later) or
/// permanent (5yz).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server refused with a 4yz reply: trying again later may work.
    #[error("transient failure: {}", reply_line(.0))]
    Transient(Reply),
    /// The server refused with a 5yz reply: do not repeat unchanged.
    #[error("permanent failure: {}", reply_line(.0))]
    Permanent(Reply),
    /// The data connection could not be set up or broke (425/426 or a local
    /// connect/accept/read/write failure reported by the adapter); the
    /// session stays usable.
    #[error("data connection failed")]
    DataConnection(Option<Reply>),
    /// The server needs an account (`332`/`532`) and none was given.
    #[error("server requires an account")]
    AccountRequired(Reply),
    /// The operation was aborted (`abort`).
    #[error("aborted")]
    Aborted,
    /// The data connection went quiet for `data_timeout`; the transfer was aborted.
    #[error("data connection timed out")]
    DataTimeout,
    /// A reply the spec does not allow for the command, under
    /// [`ConformancePolicy::Enforce`](super::ConformancePolicy::Enforce).
    #[error("nonconformant reply {code} to {verb}")]
    Nonconformant {
        /// The command verb.
        verb: &'static str,
        /// The reply code received.
        code: u16,
    },
    /// A positive reply whose text could not be understood (a `257` without a
    /// quoted path, a `213` without a number...), or that the operation
    /// cannot take as its success (a `200` to `USER`, which logs nobody in).
    #[error("unparseable {code} reply to {verb}")]
    UnexpectedReply {
        /// The command verb.
        verb: &'static str,
        /// The reply code received.
        code: u16,
    },
    /// A command of the operation could not be rendered (an argument holds
    /// CR, LF or NUL). Operations check their arguments when queued, so this
    /// only guards commands built later.
    #[error("command cannot be sent: {0}")]
    Unsendable(crate::command::EncodeError),
    /// The listing exceeded `max_listing_entries` or `max_listing_bytes`:
    /// the transfer was aborted there (`ABOR`, data connection closed).
    #[error("listing too large")]
    ListingTooLarge,
    /// The session ended before the operation could finish.
    #[error("session closed: {0}")]
    Closed(CloseReason),
}

fn reply_line(r: &Reply) -> ReplyLine<'_> {
    ReplyLine(r)
}

struct ReplyLine<'a>(&'a Reply);

impl core::fmt::Display for ReplyLine<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = self.0.text();
        let first = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
        write!(
            f,
            "{} {}",
            self.0.code(),
            core::str::from_utf8(first)
                .unwrap_or("<non-UTF-8 text>")
                .trim_end()
        )
    }
}

impl ClientError {
    /// Whether retrying later may succeed (a 4yz reply, a broken data
    /// connection, a timeout).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transient(_) | Self::DataConnection(_) | Self::Aborted | Self::DataTimeout => {
                true
            }
            Self::Closed(r) => matches!(
                r,
                CloseReason::ServiceClosing(_) | CloseReason::Timeout | CloseReason::ConnectionLost
            ),
            _ => false,
        }
    }

    /// The server's reply behind this error, if there is one.
    #[must_use]
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Transient(r) | Self::Permanent(r) | Self::AccountRequired(r) => Some(r),
            Self::DataConnection(r) => r.as_ref(),
            Self::Closed(CloseReason::ServiceClosing(r)) => Some(r),
            _ => None,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseReason {
    /// `QUIT` was answered (or the server closed after it).
    #[error("quit")]
    Quit,
    /// The server sent `421` (in reply or unsolicited) and closes.
    #[error("server closing: {}", reply_line(.0))]
    ServiceClosing(Reply),
    /// The server closed the control connection unexpectedly.
    #[error("connection lost")]
    ConnectionLost,
    /// No reply came within `reply_timeout`.
    #[error("reply timeout")]
    Timeout,
    /// The server broke the protocol in a way that desynchronises the session.
    #[error("protocol error: {0}")]
    Protocol(ProtocolError),
    /// The embedder closed the session ([`close`](super::ClientSession::close)),
    /// or the TLS handshake failed.
    #[error("closed locally")]
    Local,
}

/// A server mistake that ends the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reply could not be parsed (bad code, line or reply too long).
    #[error("malformed reply")]
    MalformedReply,
    /// The greeting was neither 120, 220 nor 421.
    #[error("unexpected greeting")]
    BadGreeting,
    /// Bytes arrived after `234` before the TLS handshake (possible injection).
    #[error("plaintext after AUTH TLS")]
    PlaintextAfterAuth,
    /// A protected (6yz) reply on a session without RFC 2228 security.
    #[error("unexpected protected reply")]
    ProtectedReply,
}
