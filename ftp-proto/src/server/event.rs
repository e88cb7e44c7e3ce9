//! What the server engine hands out: [`ServerEvent`]s, the [`Request`]
//! tokens that need the embedder's decision, and the data-connection and
//! transfer instructions for the adapter.

use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};

use bytes::{Bytes, BytesMut};

use crate::Secret;
use crate::data::{DataId, DataProtection, Representation};
use crate::listing::{Facts, FileInfo, ListingError};
use crate::path::VirtualPath;
use crate::timestamp::Timestamp;

/// Identifies one [`Request`] within a session. Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// The number of this id (increasing within a session).
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request#{}", self.0)
    }
}

/// Which listing format a [`RequestKind::List`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListFormat {
    /// `LIST`: `ls -l` style lines.
    Long,
    /// `NLST`: names only.
    Names,
    /// `MLSD`: RFC 3659 fact lines.
    Machine,
}

/// How the lines of a listing are written: everything an adapter needs to
/// render the entries of a [`TransferKind::DirectoryListing`] itself, one
/// line at a time, exactly as the engine renders an [`Answer::Listing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ListingStyle {
    /// `LIST`, `NLST` or `MLSD` lines.
    pub format: ListFormat,
    /// The MLSD facts the session selected (`OPTS MLST`).
    pub facts: Facts,
    /// The wall-clock time: the `LIST` date column shows the year instead
    /// of the time for entries older than six months.
    pub wall_clock: Timestamp,
}

impl ListingStyle {
    /// A style: lines of `format`, MLSD `facts`, `LIST` dates relative to
    /// `wall_clock`.
    #[must_use]
    pub const fn new(format: ListFormat, facts: Facts, wall_clock: Timestamp) -> Self {
        Self {
            format,
            facts,
            wall_clock,
        }
    }

    /// Appends the line of `info` (CRLF included) to `out`. Allocates
    /// nothing when `out` has room for the line (a few hundred bytes plus
    /// the name).
    ///
    /// # Errors
    /// An entry whose name is empty or holds CR, LF or NUL is refused and
    /// nothing is written (see [`crate::listing`]): skip it and go on.
    pub fn write_line(&self, info: &FileInfo, out: &mut BytesMut) -> Result<(), ListingError> {
        match self.format {
            ListFormat::Long => crate::listing::write_list_line(info, self.wall_clock, out),
            ListFormat::Names => crate::listing::write_nlst_line(&info.name, out),
            ListFormat::Machine => crate::listing::write_mlsd_line(info, self.facts, out),
        }
    }
}

/// A decision the embedder owns. Paths are absolute, normalised and cannot
/// leave `/` (see [`VirtualPath`]).
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// `USER` + `PASS`: check the credentials. Answers: [`Answer::LoggedIn`],
    /// [`Answer::NeedAccount`], [`Answer::Denied`].
    Login {
        /// The user name as sent.
        user: Bytes,
        /// The password as sent (possibly empty).
        password: Secret,
        /// Whether the name is `anonymous` or `ftp` (only asked when the
        /// policy allows anonymous logins).
        anonymous: bool,
    },
    /// `ACCT` after a `332`. Answers: [`Answer::LoggedIn`], [`Answer::Denied`].
    Account {
        /// The user name.
        user: Bytes,
        /// The account as sent.
        account: Bytes,
    },
    /// `HOST` (only when [`ServerConfig::validate_hosts`](super::ServerConfig::validate_hosts)).
    /// Answers: [`Answer::Done`] (220) or [`Answer::Error`] (504).
    Host {
        /// The host name or address literal as sent.
        name: Bytes,
    },
    /// `CWD`/`CDUP`: may the user enter `path`? [`Answer::Done`] makes it the
    /// current directory (250).
    ChangeDir {
        /// The directory.
        path: VirtualPath,
    },
    /// `MKD`: create a directory. [`Answer::Done`] → `257 "path" created`.
    MakeDir {
        /// The new directory.
        path: VirtualPath,
    },
    /// `RMD`: remove a directory. [`Answer::Done`] → 250.
    RemoveDir {
        /// The directory.
        path: VirtualPath,
    },
    /// `DELE`: delete a file. [`Answer::Done`] → 250.
    Delete {
        /// The file.
        path: VirtualPath,
    },
    /// `RNFR`: does the source exist and may it be renamed? [`Answer::Done`] → 350.
    RenameFrom {
        /// The source.
        path: VirtualPath,
    },
    /// `RNTO`: rename. [`Answer::Done`] → 250.
    Rename {
        /// The source (from the preceding `RNFR`).
        from: VirtualPath,
        /// The destination.
        to: VirtualPath,
    },
    /// `SIZE`: [`Answer::Size`] → `213 n` (the bytes `RETR` would send in `representation`).
    Size {
        /// The file.
        path: VirtualPath,
        /// The current `TYPE`.
        representation: Representation,
    },
    /// `MDTM`: [`Answer::Modified`] → `213 YYYYMMDDHHMMSS`.
    ModifiedTime {
        /// The file.
        path: VirtualPath,
    },
    /// `MFMT`: set the modification time; [`Answer::Modified`] with the time
    /// actually set → `213 Modify=...; path`.
    SetModifiedTime {
        /// The file.
        path: VirtualPath,
        /// The requested time (UTC).
        time: Timestamp,
    },
    /// `RETR`: open the file for reading. [`Answer::Ready`] starts the
    /// transfer (150/125 then [`ServerEvent::Transfer`]).
    Retrieve {
        /// The file.
        path: VirtualPath,
        /// Where to start (a `REST` offset, 0 without).
        offset: u64,
        /// The current `TYPE`.
        representation: Representation,
    },
    /// `STOR` (or `APPE` after `REST`, RFC 3659 §5.3): open the file for
    /// writing at `offset` (0: create or truncate). [`Answer::Ready`] starts the transfer.
    Store {
        /// The file.
        path: VirtualPath,
        /// Where to write (a `REST` offset, 0 without).
        offset: u64,
        /// The current `TYPE`.
        representation: Representation,
    },
    /// `APPE`: open the file for appending (created if missing).
    /// [`Answer::Ready`] starts the transfer.
    Append {
        /// The file.
        path: VirtualPath,
        /// The current `TYPE`.
        representation: Representation,
    },
    /// `STOU`: create a file with a new unique name in `dir`.
    /// [`Answer::Unique`] names it (`150 FILE: name`) and starts the transfer.
    StoreUnique {
        /// The current directory.
        dir: VirtualPath,
        /// The optional name hint some clients send.
        hint: Option<Bytes>,
        /// The current `TYPE`.
        representation: Representation,
    },
    /// `LIST`/`NLST`/`MLSD`: the entries of `path`. Either
    /// [`Answer::DirectoryListing`] (the directory is open and readable: the
    /// adapter streams its entries itself, in bounded memory, as
    /// [`TransferKind::DirectoryListing`] says) or [`Answer::Listing`] (the
    /// entries themselves, rendered by the engine, at most
    /// [`Limits::max_listing_bytes`](super::Limits::max_listing_bytes) of
    /// them). For `LIST` and `NLST` a file path lists that one file.
    List {
        /// The directory (or file).
        path: VirtualPath,
        /// The format the engine will render.
        format: ListFormat,
    },
    /// `STAT path`: a listing over the control connection ([`Answer::Listing`] → 213).
    Stat {
        /// The directory (or file).
        path: VirtualPath,
    },
    /// `MLST [path]`: facts of one object ([`Answer::Entry`] → 250).
    MachineListOne {
        /// The object.
        path: VirtualPath,
    },
    /// `SITE string`. [`Answer::Done`] → 200, or any reply via [`Answer::Reply`].
    Site {
        /// Everything after `SITE `.
        command: Bytes,
    },
}

impl RequestKind {
    /// The path this request is about, if it has exactly one.
    #[must_use]
    pub fn path(&self) -> Option<&VirtualPath> {
        match self {
            Self::ChangeDir { path }
            | Self::MakeDir { path }
            | Self::RemoveDir { path }
            | Self::Delete { path }
            | Self::RenameFrom { path }
            | Self::Size { path, .. }
            | Self::ModifiedTime { path }
            | Self::SetModifiedTime { path, .. }
            | Self::Retrieve { path, .. }
            | Self::Store { path, .. }
            | Self::Append { path, .. }
            | Self::List { path, .. }
            | Self::Stat { path }
            | Self::MachineListOne { path } => Some(path),
            Self::StoreUnique { dir, .. } => Some(dir),
            Self::Rename { to, .. } => Some(to),
            Self::Login { .. } | Self::Account { .. } | Self::Host { .. } | Self::Site { .. } => {
                None
            }
        }
    }
}

/// A decision token: moved back into
/// [`ServerSession::answer`](super::ServerSession::answer) together with an
/// [`Answer`]. Not `Clone`, so it cannot be answered twice.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "every request must be answered, or the session waits forever"]
pub struct Request {
    pub(crate) id: RequestId,
    pub(crate) kind: RequestKind,
}

impl Request {
    /// This request's id.
    #[must_use]
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// What is asked.
    #[must_use]
    pub fn kind(&self) -> &RequestKind {
        &self.kind
    }
}

/// Why an adapter refuses a connection before any session starts
/// ([`ServerSession::refuse_because`](crate::server::ServerSession::refuse_because)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The server-wide connection limit is reached.
    TooManyConnections,
    /// The per-client-address connection limit is reached.
    TooManyFromAddress,
    /// The client's address is banned for a while after too many failed
    /// logins.
    TooManyFailedLogins,
    /// The server is shutting down.
    ShuttingDown,
}

/// Why a file-system request failed. The engine picks the reply code that
/// the command allows (RFC 959 §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FsError {
    /// The object does not exist (550).
    NotFound,
    /// Not allowed for this user (550).
    PermissionDenied,
    /// The object exists already (MKD: 550).
    AlreadyExists,
    /// Expected a directory (MLSD: 501, else 550).
    NotADirectory,
    /// Expected a plain file (550).
    NotAFile,
    /// RMD of a directory that still has entries (550).
    DirectoryNotEmpty,
    /// The object is busy; try later (450 where allowed, else 550).
    Busy,
    /// The name is not acceptable (553 where allowed, else 550).
    NameNotAllowed,
    /// Not enough storage (452 where allowed, else 451/550).
    InsufficientStorage,
    /// A quota was exceeded (552 where allowed, else 550).
    QuotaExceeded,
    /// The `REST` offset is beyond the file (554, RFC 1123).
    InvalidOffset,
    /// The storage failed (451 where allowed, else 550).
    LocalError,
    /// The embedder does not support this operation (502).
    NotSupported,
}

/// Why the embedder refused a login (always `530`; kept for the embedder's logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Denial {
    /// Wrong user name or password.
    BadCredentials,
    /// The account exists but may not log in now.
    NotAllowed,
}

/// The embedder's answer to a [`Request`]. Which answers fit which request
/// is listed on each [`RequestKind`] variant; a misfit comes back as a
/// [`UsageError`](crate::UsageError) with nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Done, nothing to report (CWD, DELE, RMD, MKD, RNFR, RNTO, HOST, SITE).
    Done,
    /// Login accepted (230). `home` becomes the current directory (default `/`).
    LoggedIn {
        /// The user's start directory.
        home: Option<VirtualPath>,
    },
    /// The password is right but an account is needed (332).
    NeedAccount,
    /// Login refused (530, after the configured delay; the attempt counts).
    Denied(Denial),
    /// `SIZE` result.
    Size(u64),
    /// `MDTM`/`MFMT` result.
    Modified(Timestamp),
    /// `RETR`/`STOR`/`APPE`: the file is open; start the transfer. A known
    /// size is shown in the `150` text.
    Ready {
        /// Size of the file to send, if known.
        size: Option<u64>,
    },
    /// `STOU`: the file created, with its new name; start the transfer.
    Unique(VirtualPath),
    /// `LIST`/`NLST`/`MLSD`/`STAT path` entries, rendered by the engine.
    /// A listing longer than
    /// [`Limits::max_listing_bytes`](super::Limits::max_listing_bytes)
    /// rendered is refused (`450`) before any transfer starts; for large
    /// directories answer [`Answer::DirectoryListing`] instead.
    Listing {
        /// The entries, in the order to show them.
        entries: Vec<FileInfo>,
        /// The current wall-clock time (the `LIST` date column shows the
        /// year for entries older than six months).
        wall_clock: Timestamp,
    },
    /// `LIST`/`NLST`/`MLSD`: the directory is open and readable, and the
    /// adapter will stream its entries: the engine replies `150`/`125` and
    /// emits [`TransferKind::DirectoryListing`] with the
    /// [`ListingStyle`] to render them in. (Check the directory before
    /// answering: a missing one is an [`Answer::Error`], with no `150`.)
    DirectoryListing {
        /// The current wall-clock time (the `LIST` date column shows the
        /// year for entries older than six months).
        wall_clock: Timestamp,
    },
    /// `MLST`: the object's facts.
    Entry(alloc::boxed::Box<FileInfo>),
    /// The request failed; the engine chooses the code.
    Error(FsError),
    /// Escape hatch: this exact reply. Allowed with a negative (4yz/5yz)
    /// code that RFC 959 §5.4 (or the command's extension RFC) lists for
    /// the command (for example 530 for a
    /// login, 550 for CWD), and for `SITE` with a 2yz code too; any other
    /// code is refused as a mismatched answer.
    Reply(crate::reply::Reply),
}

/// How a data connection is set up. The adapter performs it and reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataAction {
    /// `PASV`/`EPSV`: bind a listener on the control connection's local
    /// address with this family, then call
    /// [`data_listening`](super::ServerSession::data_listening). Accept one
    /// connection only and report it with
    /// [`data_connected`](super::ServerSession::data_connected).
    Listen {
        /// The setup.
        id: DataId,
        /// The address to bind (port 0 or one from the adapter's passive
        /// range): the control connection's local address, in IPv4 form for
        /// `PASV` (RFC 1123 §4.1.2.12: multi-homed servers use the control
        /// connection's address).
        ip: IpAddr,
    },
    /// Active mode: connect to `addr` (sent only when a transfer starts),
    /// then report with `data_connected` or a failed `transfer_done`.
    Connect {
        /// The setup.
        id: DataId,
        /// The client's listening address (checked against the policy).
        addr: SocketAddr,
    },
    /// Drop the listener or connection of this setup (replaced, timed out,
    /// refused, or the session ended).
    Close {
        /// The setup.
        id: DataId,
    },
}

/// What flows over the data connection of a [`TransferStart`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferKind {
    /// Send the file from `offset` (as answered to [`RequestKind::Retrieve`]).
    Retrieve {
        /// The file.
        path: VirtualPath,
        /// Start offset.
        offset: u64,
    },
    /// Receive into the file at `offset` (0: from the start).
    Store {
        /// The file.
        path: VirtualPath,
        /// Write offset.
        offset: u64,
    },
    /// Receive and append to the file.
    Append {
        /// The file.
        path: VirtualPath,
    },
    /// Send these listing bytes (rendered by the engine, CRLF line ends,
    /// bounded by [`Limits::max_listing_bytes`](super::Limits::max_listing_bytes)).
    Listing(Bytes),
    /// Send the entries of the directory `path` (answered with
    /// [`Answer::DirectoryListing`]), each rendered with
    /// [`ListingStyle::write_line`] into a bounded buffer that is written
    /// out whenever it fills: the listing's memory stays the same whatever
    /// the directory's size. Entries whose names [`ListingStyle::write_line`]
    /// refuses are skipped. If reading the directory fails midway, report
    /// [`TransferOutcome::LocalError`] (451), never `Complete`: a cut
    /// listing must not look whole.
    DirectoryListing {
        /// The directory.
        path: VirtualPath,
        /// How to render each entry.
        style: ListingStyle,
    },
}

impl TransferKind {
    /// Whether the adapter receives (STOR, APPE, STOU) rather than sends.
    #[must_use]
    pub fn is_upload(&self) -> bool {
        matches!(self, Self::Store { .. } | Self::Append { .. })
    }
}

/// Start moving bytes on the data connection `id` (after its `150`/`125`
/// was queued). The adapter streams, closes the data connection (TLS
/// `close_notify` first), then calls
/// [`transfer_done`](super::ServerSession::transfer_done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStart {
    /// The data connection.
    pub id: DataId,
    /// What to move.
    pub kind: TransferKind,
    /// `TYPE A` (convert line ends, see [`crate::ascii`]) or binary.
    /// Listings are always sent as they are.
    pub representation: Representation,
    /// Wrap the data connection in TLS (`PROT P`).
    pub protection: DataProtection,
}

/// How a transfer ended, as the adapter saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferOutcome {
    /// Every byte moved and the data connection is closed (226).
    Complete {
        /// Bytes moved on the data connection.
        bytes: u64,
    },
    /// The data connection broke or was closed early (426).
    ConnectionLost,
    /// The data connection never came (425): the passive listener accepted
    /// nothing, or the active connect failed. Report it after an
    /// [`Abort`](ServerEvent::Abort) too when nothing had connected yet; an
    /// abort the client asked for with `ABOR` is answered `426` then `226`
    /// whatever the outcome, as RFC 959 §4.1.3 wants.
    NeverConnected,
    /// Storage failed while reading or writing (451).
    LocalError,
    /// The storage is full or a quota was hit (552).
    StorageFull,
    /// The TLS handshake on the data connection failed (522).
    TlsFailed,
    /// The adapter stopped after an [`ServerEvent::Abort`] (426).
    Aborted,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent `QUIT`.
    Quit,
    /// The client closed the control connection.
    ConnectionLost,
    /// No command within the idle timeout (421 sent).
    IdleTimeout,
    /// Not logged in within the login timeout (421 sent).
    LoginTimeout,
    /// Too many failed logins (421 sent).
    TooManyFailedLogins,
    /// [`ServerSession::shutdown`](super::ServerSession::shutdown) or a
    /// refused connection (421 sent).
    Shutdown,
    /// The client sent more pipelined input than the limits allow.
    InputOverflow,
    /// The TLS handshake (or the TLS shutdown after `CCC`/`REIN`) failed.
    TlsFailed,
    /// The session was created with [`ServerSession::refuse`](super::ServerSession::refuse) (421 sent).
    Refused,
    /// A login request was not answered within
    /// [`Timeouts::answer`](super::Timeouts::answer) (421 sent).
    AnswerTimeout,
}

impl CloseReason {
    /// A short lower-case text for logs (`"quit"`, `"idle timeout"`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::ConnectionLost => "connection lost",
            Self::IdleTimeout => "idle timeout",
            Self::LoginTimeout => "login timeout",
            Self::TooManyFailedLogins => "too many failed logins",
            Self::Shutdown => "server shutdown",
            Self::InputOverflow => "input overflow",
            Self::TlsFailed => "TLS failed",
            Self::Refused => "refused",
            Self::AnswerTimeout => "answer timeout",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the engine tells its embedder.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A decision is needed: answer it with
    /// [`ServerSession::answer`](super::ServerSession::answer).
    Request(Request),
    /// Set up or tear down a data connection.
    Data(DataAction),
    /// Move the bytes of a transfer. For a passive setup this comes with the
    /// `150`, usually before the client has connected: keep accepting on the
    /// setup's listener and report the connection with
    /// [`data_connected`](super::ServerSession::data_connected) (the engine
    /// answers `125` instead only when it was connected first). If none
    /// comes, the engine's data-connect deadline emits
    /// [`Abort`](ServerEvent::Abort); report
    /// [`TransferOutcome::NeverConnected`] then.
    Transfer(TransferStart),
    /// Stop the transfer on `id` now (ABOR, QUIT/shutdown policy, data
    /// timeout, control connection lost); then report `transfer_done`
    /// unless the session is closed.
    Abort {
        /// The data connection.
        id: DataId,
        /// The control connection ended during an upload: the stored file
        /// is incomplete (keep it only if partial uploads are wanted).
        incomplete_upload: bool,
    },
    /// Start the TLS handshake on the control connection now (the `234` has
    /// been handed out by `poll_transmit`). Call
    /// [`tls_established`](super::ServerSession::tls_established) when done.
    UpgradeTls {
        /// Plaintext bytes that followed the `AUTH` line and were dropped
        /// (never replayed inside TLS). Non-zero means a client bug or an
        /// injection attempt.
        discarded_plaintext: usize,
    },
    /// Shut TLS down on the control connection now, keeping TCP open: the
    /// `200` to `CCC` (or the `220` to `REIN` under explicit TLS, RFC 4217
    /// §13) has been handed out by `poll_transmit` and must be written
    /// under TLS first. Send `close_notify`, read the client's, then go on
    /// in clear text on the same socket and call
    /// [`tls_cleared`](super::ServerSession::tls_cleared) (or
    /// [`tls_failed`](super::ServerSession::tls_failed)). The engine reads
    /// nothing until then.
    DowngradeTls {
        /// Bytes (sent under TLS) that followed the `CCC`/`REIN` line and
        /// were dropped rather than run after the switch. Non-zero means
        /// the client did not wait for the reply.
        discarded_protected: usize,
    },
    /// Input arrived while the engine waits for a TLS handshake or shutdown
    /// on the control connection and was dropped (the adapter should not read then; see `wants_input`).
    InputDiscarded {
        /// How many bytes.
        bytes: usize,
    },
    /// The session is over. Write out what `poll_transmit` still has, then
    /// close the control connection and every data connection.
    Closed(CloseReason),
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::CloseReason;

    #[test]
    fn close_reasons_read_as_short_distinct_texts() {
        let all = [
            CloseReason::Quit,
            CloseReason::ConnectionLost,
            CloseReason::IdleTimeout,
            CloseReason::LoginTimeout,
            CloseReason::TooManyFailedLogins,
            CloseReason::Shutdown,
            CloseReason::InputOverflow,
            CloseReason::TlsFailed,
            CloseReason::Refused,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.to_string(), a.as_str());
            assert!(!a.as_str().is_empty());
            for b in all.get(i + 1..).unwrap_or_default() {
                assert_ne!(a.as_str(), b.as_str());
            }
        }
        assert_eq!(CloseReason::IdleTimeout.to_string(), "idle timeout");
    }
}
