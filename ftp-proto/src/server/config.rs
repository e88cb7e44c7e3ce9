//! [`ServerConfig`]: features, limits, timeouts, texts and the security
//! policy of a server session. Secure by default.

use core::net::IpAddr;
use core::time::Duration;

use bytes::Bytes;

/// How TLS (RFC 4217) is offered on the control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// No TLS: `AUTH` is answered 502 and FEAT lists no `AUTH TLS`.
    #[default]
    Disabled,
    /// `AUTH TLS` is accepted; plaintext sessions are allowed too.
    Available,
    /// `AUTH TLS` is accepted and `USER` in clear is refused with 530.
    RequiredForLogin,
    /// As [`TlsPolicy::RequiredForLogin`], and every transfer needs
    /// `PROT P` (a transfer under `PROT C` is refused with 521).
    RequiredForLoginAndData,
}

impl TlsPolicy {
    /// Whether `AUTH TLS` is accepted at all.
    #[must_use]
    pub const fn available(self) -> bool {
        !matches!(self, Self::Disabled)
    }

    /// Whether login needs a secured control connection.
    #[must_use]
    pub const fn login_required(self) -> bool {
        matches!(self, Self::RequiredForLogin | Self::RequiredForLoginAndData)
    }

    /// Whether data connections need `PROT P`.
    #[must_use]
    pub const fn data_required(self) -> bool {
        matches!(self, Self::RequiredForLoginAndData)
    }
}

/// What `QUIT` does while a transfer runs (RFC 959 §4.1.1: the server
/// closes after the transfer's reply; aborting it first is allowed too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum QuitPolicy {
    /// Let the transfer finish, send its reply, then `221` and close (RFC 959 §4.1.1).
    #[default]
    WaitForTransfer,
    /// Abort the transfer (`426`), then `221` and close (ProFTPD).
    AbortTransfer,
}

/// What [`ServerSession::shutdown`](super::ServerSession::shutdown) does
/// while a transfer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ShutdownPolicy {
    /// Abort the transfer at once (`426`), then `421` and close.
    #[default]
    AbortTransfers,
    /// Let the transfer finish, then `421` and close. The grace period is
    /// [`Timeouts::shutdown_grace`]; without one, the adapter bounds it and
    /// calls `shutdown` again to abort.
    LetTransfersFinish,
}

/// Which extensions the server offers. A disabled one is answered `502` and
/// left out of FEAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// `SIZE` (RFC 3659).
    pub size: bool,
    /// `MDTM` (RFC 3659).
    pub mdtm: bool,
    /// `MFMT` (draft-somers-ftp-mfxx).
    pub mfmt: bool,
    /// `MLST`/`MLSD` (RFC 3659).
    pub mlst: bool,
    /// `REST STREAM` (RFC 3659).
    pub rest_stream: bool,
    /// `UTF8` (RFC 2640): `OPTS UTF8 ON` is accepted.
    pub utf8: bool,
    /// `HOST` (RFC 7151).
    pub host: bool,
    /// `SITE` commands are passed to the embedder.
    pub site: bool,
    /// `PORT`/`EPRT` (active mode). Off means 502 for both.
    pub active_mode: bool,
    /// The fact set `MLST`/`MLSD` may return (and FEAT advertises).
    pub mlst_facts: crate::listing::Facts,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            size: true,
            mdtm: true,
            mfmt: true,
            mlst: true,
            rest_stream: true,
            utf8: true,
            host: true,
            site: true,
            active_mode: true,
            mlst_facts: crate::listing::Facts::ALL,
        }
    }
}

/// Bounds on memory and on the peer's patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest command line (CR LF excluded); longer lines get `500`. Default 4096.
    pub max_line_len: usize,
    /// Most command lines held back while a request or transfer is outstanding. Default 256.
    pub max_pipelined_lines: usize,
    /// Most bytes held back while a request or transfer is outstanding
    /// (beyond it `wants_input()` is false; input past this plus one line
    /// length ends the session). Default 64 KiB.
    pub max_pipelined_bytes: usize,
    /// Failed `PASS` attempts before `421` and close. Default 3.
    pub max_login_attempts: u32,
    /// Largest rendered listing (LIST/NLST/MLSD/STAT) in bytes; bigger ones
    /// are refused with `451` before any data flows. Default 16 MiB.
    pub max_listing_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_len: 4096,
            max_pipelined_lines: 256,
            max_pipelined_bytes: 64 * 1024,
            max_login_attempts: 3,
            max_listing_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Timer settings. `None` disables a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// No command for this long (outside transfers and embedder requests)
    /// gives `421` and close. Default 300 s (RFC 1123 §4.1.3.2 asks ≥ 5 min).
    pub idle: Option<Duration>,
    /// Not logged in this long after connecting gives `421` and close. Default 60 s.
    pub login: Option<Duration>,
    /// A data connection that does not come within this long after a
    /// transfer started (`150`) is given up (`425`). Default 60 s.
    pub data_connect: Option<Duration>,
    /// A passive listener that nobody connects to within this long after
    /// `227`/`229`, while no transfer uses it yet, is closed
    /// ([`DataAction::Close`](super::DataAction::Close)); a later transfer
    /// command gets `425`. Default 30 s: clients connect at once (most
    /// before they send the transfer command, the others right after), and
    /// a session that asks for a port and never connects holds it only
    /// this long.
    pub passive_accept: Option<Duration>,
    /// Pause before answering a failed `PASS` (RFC 2577 §5). Default 3 s.
    pub failed_login_delay: Option<Duration>,
    /// With [`ShutdownPolicy::LetTransfersFinish`]: how long a running
    /// transfer may go on after [`shutdown`](super::ServerSession::shutdown);
    /// at this deadline (through `poll_timeout`) it is aborted (`426`) and
    /// the session closes with `421`. Default `None`: no deadline of the
    /// engine's (the adapter may call `shutdown` again to abort).
    pub shutdown_grace: Option<Duration>,
    /// An embedder [`Request`](super::Request) left unanswered this long
    /// fails: the command gets `451` (or `550` where RFC 959 §5.4 lists no
    /// 451 for it) and the session reads the next one; an unanswered login
    /// gets `421` and the session closes
    /// ([`CloseReason::AnswerTimeout`](super::CloseReason::AnswerTimeout)).
    /// A late answer is then refused with
    /// [`UsageErrorKind::UnknownId`](crate::UsageErrorKind::UnknownId).
    /// This keeps a session whose embedder lost a request from waiting
    /// forever (nothing else times out while a request is pending). Default
    /// 120 s; `None` waits for ever.
    pub answer: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            idle: Some(Duration::from_secs(300)),
            login: Some(Duration::from_secs(60)),
            data_connect: Some(Duration::from_secs(60)),
            passive_accept: Some(Duration::from_secs(30)),
            failed_login_delay: Some(Duration::from_secs(3)),
            shutdown_grace: None,
            answer: Some(Duration::from_secs(120)),
        }
    }
}

/// The security policy (RFC 2577). Every default is the safe choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SecurityPolicy {
    /// Allow `PORT`/`EPRT` to an address other than the control peer's (FTP
    /// bounce, FXP). Default `false`: refused with `501`, never attempted.
    pub allow_foreign_active: bool,
    /// Allow `PORT`/`EPRT` to ports below 1024. Default `false` (`501`).
    pub allow_privileged_active_ports: bool,
    /// Accept passive data connections from an address other than the
    /// control peer's. Default `false`: the connection is dropped and the
    /// transfer answered `425`.
    pub allow_foreign_passive: bool,
    /// Accept `anonymous`/`ftp` logins (the embedder still decides each one).
    /// Default `false`: such logins fail at `PASS` without asking the embedder.
    pub allow_anonymous: bool,
}

/// Human texts of some replies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Texts {
    /// The `220` greeting text. Default `FTP server ready.`
    pub greeting: Bytes,
    /// The `215` system type. Default `UNIX Type: L8` (what clients expect).
    pub system_type: Bytes,
}

impl Default for Texts {
    fn default() -> Self {
        Self {
            greeting: Bytes::from_static(b"FTP server ready."),
            system_type: Bytes::from_static(b"UNIX Type: L8"),
        }
    }
}

/// Everything a [`ServerSession`](super::ServerSession) needs to know up
/// front. Share one between sessions with an `Arc`.
///
/// The struct is `#[non_exhaustive]`: start from [`ServerConfig::default`]
/// and change fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Offered extensions.
    pub features: Features,
    /// Memory and attempt bounds.
    pub limits: Limits,
    /// Timers.
    pub timeouts: Timeouts,
    /// Security policy.
    pub security: SecurityPolicy,
    /// TLS on the control connection.
    pub tls: TlsPolicy,
    /// Refuse `PROT P` data connections whose TLS handshake did not resume
    /// the control connection's TLS session (RFC 4217 §10.2; what vsftpd and
    /// ProFTPD can require): the adapter reports each handshake with
    /// [`data_secured`](super::ServerSession::data_secured) and the transfer
    /// is answered `522`. Default `false` (Python's ftplib never resumes).
    pub require_tls_session_reuse: bool,
    /// Accept `CCC` (RFC 4217 §5): after `200` both ends shut TLS down on
    /// the control connection and go on in clear text on the same TCP
    /// connection (data connections keep the `PROT` in force; `PBSZ`/`PROT`
    /// are refused from then on). Some clients use it to let NAT helpers and
    /// firewalls read `PORT`/`PASV` replies.
    ///
    /// **Security:** every later command and reply, and a later login's
    /// password, crosses the network in clear and can be read, changed or
    /// injected by anyone on the path; only data connections stay
    /// protected. That is why it is off by default (`534`, refused by
    /// policy); `FEAT` lists `CCC` only when it is on. With
    /// [`TlsPolicy::RequiredForLogin`] or stricter, `CCC` before login is
    /// refused (`534`) and a new `USER` after it is refused (`530`), so the
    /// credentials always travel under TLS.
    pub allow_clear_control: bool,
    /// The session starts secured (implicit FTPS, port 990): the adapter did
    /// the handshake before creating the session. `PROT` then starts at `P`.
    pub implicit_tls: bool,
    /// The IPv4 address announced in `227` replies instead of the control
    /// connection's local address (servers behind NAT). Default none.
    pub masquerade_address: Option<IpAddr>,
    /// Ask the embedder about each `HOST` name ([`RequestKind::Host`](super::RequestKind::Host));
    /// otherwise every syntactically valid name is accepted with `220`.
    pub validate_hosts: bool,
    /// `QUIT` during a transfer.
    pub quit_policy: QuitPolicy,
    /// `shutdown` during a transfer.
    pub shutdown_policy: ShutdownPolicy,
    /// Reply texts.
    pub texts: Texts,
}
