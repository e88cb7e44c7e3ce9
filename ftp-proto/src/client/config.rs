//! How a [`ClientSession`](super::ClientSession) behaves: timeouts, limits,
//! data-connection strategy and the written quirks policy.

use core::time::Duration;

/// Which address a passive (`227`) reply's host part is replaced with.
///
/// Servers behind NAT announce private addresses or `0,0,0,0`, and trusting the announced address lets a hostile server
/// point the client at a third host (curl CVE-2020-8284).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PassiveAddressPolicy {
    /// Always connect to the control connection's peer address and use only
    /// the port of the `227` reply (curl and Python ftplib default).
    #[default]
    UseControlPeer,
    /// Use the announced address unless it is unspecified, multicast,
    /// broadcast, or its private/loopback-ness differs from the control
    /// peer's; then use the control peer (lftp's `ftp:fix-pasv-address`).
    FixUnroutable,
    /// Use the announced address as it is (needed for FXP or proxy setups).
    Trust,
}

/// How data connections are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DataConnectionMode {
    /// The client connects: `EPSV` first, `PASV` when EPSV is refused with a
    /// 5yz or answered with an unparseable reply (remembered for the session).
    #[default]
    Passive,
    /// The server connects: the adapter listens and the engine sends `PORT`
    /// (IPv4) or `EPRT` (IPv6, or always when `always_eprt`).
    Active {
        /// Send `EPRT` for IPv4 addresses too.
        always_eprt: bool,
    },
}

/// What the engine does with a reply code that RFC 959 §5.4 (or the
/// command's extension RFC) does not list for the command it answers (after
/// the documented tolerances for real servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConformancePolicy {
    /// Emit [`ClientEvent::Nonconformant`](super::ClientEvent::Nonconformant)
    /// and go on, judging the reply by its first digit.
    #[default]
    Report,
    /// Fail the operation with
    /// [`ClientError::Nonconformant`](super::ClientError::Nonconformant).
    Enforce,
    /// Judge by first digit silently.
    Ignore,
}

/// Settings of one client session. Build it with struct-update syntax:
/// `ClientConfig { keepalive: Some(d), ..ClientConfig::default() }`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// How long to wait for a reply to a command (and for the greeting)
    /// before the session is given up. Default 60 s.
    ///
    /// The wait is bounded in total: it is counted from when the command
    /// was sent (the greeting's from the session's start), and only a reply
    /// that ends the command restarts it for the next one in flight.
    /// Nothing else extends it: not a `1yz` reply (RFC 959 §5.4 allows them
    /// only to the transfer commands, and `120` to the greeting and `REIN`;
    /// to any other command it is reported as nonconformant), not an extra
    /// `220` greeting line, not the bytes of a reply that never ends.
    /// Transfers are the one exception: once their `1yz` started the data
    /// transfer, `data_timeout` watches the data connection instead, and
    /// when that connection has ended the final reply is awaited for
    /// `reply_timeout` counted from that end. So no command waits longer
    /// than `reply_timeout`, plus for a transfer the time its data keeps
    /// moving.
    pub reply_timeout: Duration,
    /// How long a data transfer may go without any reported activity before
    /// it is aborted. Default 300 s.
    pub data_timeout: Duration,
    /// Send `NOOP` on the control connection every this often while a
    /// transfer runs (keeps NAT state alive). Default off.
    pub keepalive: Option<Duration>,
    /// Most operations (queued plus running) at one time. Default 64.
    pub max_queued_ops: usize,
    /// Most bytes of text kept for one reply (all lines). Default 64 KiB
    /// (curl's limit). A longer multi-line reply is still read to its end
    /// and handled by its code with its text dropped; a longer single line
    /// cannot be framed and ends the session.
    pub max_reply_bytes: usize,
    /// Longest reply line (capped at `max_reply_bytes`). Default 8 KiB
    /// (Python ftplib's limit).
    pub max_reply_line: usize,
    /// Most lines in one reply. Default 4096.
    pub max_reply_lines: usize,
    /// Accept reply lines ended by LF without CR. Default on (every common
    /// client does; some servers send bare LF).
    pub accept_bare_lf: bool,
    /// Accept a final reply line made of the bare code (`226` without a
    /// space, libunftp). Default on.
    pub accept_bare_code: bool,
    /// Longest listing line accepted from a data connection. Default 64 KiB.
    pub max_listing_line: usize,
    /// Most entries one listing may return. Default 1,000,000.
    pub max_listing_entries: usize,
    /// Most bytes of listing lines one listing may keep (the entries hold
    /// their lines). Default 64 MiB. With `max_listing_entries` it bounds a
    /// listing's memory even against a server that never stops sending: a
    /// [`Listing`](super::Listing) costs its lines plus 12 bytes per entry
    /// (an `NLST` result 32 bytes per name), so about twice this bound at
    /// most.
    pub max_listing_bytes: usize,
    /// Data-connection strategy.
    pub data_mode: DataConnectionMode,
    /// Which host to connect to after `227`.
    pub passive_address: PassiveAddressPolicy,
    /// Handling of reply codes the spec does not allow for a command.
    pub conformance: ConformancePolicy,
    /// Send `OPTS UTF8 ON` after `FEAT` when the server lists `UTF8`. Default on.
    pub utf8: bool,
    /// The control connection is TLS from the first byte (implicit FTPS,
    /// port 990): no `AUTH`, and data connections start protected.
    pub implicit_tls: bool,
    /// Explicit FTPS (RFC 4217): `AUTH TLS` right after the greeting (the
    /// greeting operation ends only once the control connection is secured,
    /// and fails if the server refuses `AUTH TLS`), then `PBSZ 0` and
    /// `PROT P`. If the server refused those before login, a successful
    /// login sends them again before it ends. Default off.
    pub explicit_tls: bool,
    /// Accept multi-line replies ended by any `ddd SP` line (glftpd), not only
    /// the same code (RFC 959's rule, the default). Risky: it mis-frames
    /// replies that quote other codes in their body. Off by default.
    pub lenient_multiline: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            reply_timeout: Duration::from_secs(60),
            data_timeout: Duration::from_secs(300),
            keepalive: None,
            max_queued_ops: 64,
            max_reply_bytes: 64 * 1024,
            max_reply_line: 8 * 1024,
            max_reply_lines: 4096,
            accept_bare_lf: true,
            accept_bare_code: true,
            max_listing_line: 64 * 1024,
            max_listing_entries: 1_000_000,
            max_listing_bytes: 64 * 1024 * 1024,
            data_mode: DataConnectionMode::Passive,
            passive_address: PassiveAddressPolicy::UseControlPeer,
            conformance: ConformancePolicy::Report,
            utf8: true,
            implicit_tls: false,
            explicit_tls: false,
            lenient_multiline: false,
        }
    }
}

impl ClientConfig {
    /// The [`ReplyParserConfig`](crate::reply::ReplyParserConfig) these
    /// settings give the session's reply parser.
    #[must_use]
    pub fn reply_parser_config(&self) -> crate::reply::ReplyParserConfig {
        super::wire::reply_parser_config(self)
    }
}
