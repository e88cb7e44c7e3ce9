//! What a [`ClientSession`](super::ClientSession) reports to its embedder.

use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::net::SocketAddr;

use super::error::ClientError;
use super::features::Features;
use super::wire::Reply;
use crate::data::{DataId, DataProtection, Representation};
use crate::listing::FileInfo;
use crate::timestamp::Timestamp;

/// Identifies one operation (or raw command) of a session. Every id handed
/// out ends with exactly one [`ClientEvent::Finished`]. Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub(crate) u64);

impl OpId {
    /// The operation that waits for the server greeting, started by
    /// [`ClientSession::new`](super::ClientSession::new).
    pub const GREETING: Self = Self(0);

    /// The number of this id.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op#{}", self.0)
    }
}

/// Which way file bytes flow on a data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Server to client (`RETR`): the adapter reads to EOF into its sink.
    Download,
    /// Client to server (`STOR`, `APPE`, `STOU`): the adapter writes its
    /// source, then closes its sending side (after TLS `close_notify`).
    Upload,
    /// A listing (`LIST`, `NLST`, `MLSD`): the adapter reads to EOF and hands
    /// every chunk to [`ClientSession::listing_data`](super::ClientSession::listing_data).
    Listing,
}

/// A request about a data connection; the adapter performs it and reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataRequest {
    /// Passive mode: connect to `addr` now (before the transfer's `150`:
    /// servers that accept before they send it would wait forever),
    /// then call `data_connected` or `data_failed`.
    Connect {
        /// The data-connection id.
        id: DataId,
        /// Where to connect (after the passive-address policy).
        addr: SocketAddr,
        /// Whether to run TLS (as client) once connected.
        protection: DataProtection,
    },
    /// Active mode: listen on the control connection's local address
    /// (IPv6 when `ipv6`), report it with `data_listening`, then accept one
    /// connection and report it with `data_accepted` (which checks that it
    /// comes from the control peer's address).
    Listen {
        /// The data-connection id.
        id: DataId,
        /// Whether the control connection is IPv6 (the engine then sends `EPRT`).
        ipv6: bool,
        /// Whether to run TLS (as client, even in active mode) once accepted.
        protection: DataProtection,
    },
    /// Close the data connection (or listener) now, discarding what is left:
    /// the transfer failed or was aborted.
    Close {
        /// The data-connection id.
        id: DataId,
    },
}

/// A transfer has been accepted by the server (its `1yz` arrived, or its
/// final reply did without one): move the bytes now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferStart {
    /// The operation doing the transfer.
    pub op: OpId,
    /// The data connection.
    pub id: DataId,
    /// Which way the bytes flow.
    pub direction: Direction,
    /// How bytes are represented (ASCII needs CRLF conversion, see [`crate::ascii`]).
    pub representation: Representation,
    /// Whether the data connection runs TLS.
    pub protection: DataProtection,
    /// The byte offset the transfer starts at (`REST`).
    pub offset: u64,
    /// The size the server announced in its `150 ... (N bytes)` text, if any.
    pub size_hint: Option<u64>,
}

/// What an operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The server greeted with `220`.
    Connected(Reply),
    /// The command completed; the final reply is kept for its text.
    Completed(Reply),
    /// A raw command got its final reply (any class).
    Reply(Reply),
    /// Login succeeded (`230`/`202`/`232`).
    LoggedIn(Reply),
    /// `FEAT` was answered (an error reply gives an empty set).
    Features(Features),
    /// The `215` system type text.
    System(Bytes),
    /// A path from a `257` reply (`PWD`, `MKD`): quotes removed, `""` undoubled.
    Path(Bytes),
    /// `MKD` succeeded but its `257` text had no quoted path.
    Created(Reply),
    /// `SIZE`: the byte count.
    Size(u64),
    /// `MDTM`: the modification time (UTC).
    Modified(Timestamp),
    /// `MLST`: the facts of one entry.
    Entry(FileInfo),
    /// A parsed listing (`MLSD` or `LIST`); lines that parsed as nothing
    /// (`total N`, garbage) are counted in `skipped`.
    Listing {
        /// The entries, in server order (`cdir`/`pdir` entries dropped),
        /// kept compact (see [`Listing`](super::Listing)).
        entries: super::Listing,
        /// Lines that were not entries.
        skipped: usize,
    },
    /// `NLST`: one name per line.
    Names(Vec<Bytes>),
    /// A file transfer completed: the final reply and the data EOF were both seen.
    Transferred {
        /// The transfer's final reply.
        reply: Reply,
        /// The server-chosen name (`STOU`'s `FILE: name`).
        unique_name: Option<Bytes>,
    },
    /// `AUTH TLS` succeeded and the adapter finished the handshake.
    Secured,
    /// `PBSZ 0` + `PROT P` succeeded: data connections now run TLS.
    DataProtected,
    /// `CCC` succeeded and the adapter shut TLS down on the control connection.
    ControlCleared,
    /// `abort` finished: the transfer (if any) ended and the replies were consumed.
    Aborted,
    /// `QUIT` was answered or the server closed.
    Quit,
}

/// An event for the embedder of a [`ClientSession`](super::ClientSession).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An operation ended. Exactly once per [`OpId`].
    Finished {
        /// The operation.
        op: OpId,
        /// What it produced, or why it failed.
        result: Result<Outcome, ClientError>,
    },
    /// A `1yz` reply (progress, not completion): `120` during the greeting,
    /// `150`/`125` of a transfer, or of a raw command.
    Preliminary {
        /// The operation it belongs to.
        op: OpId,
        /// The reply.
        reply: Reply,
    },
    /// A data connection must be opened or closed.
    Data(DataRequest),
    /// A transfer starts: move the bytes. In passive mode the data
    /// connection is opened before the command is answered, so a server may
    /// send listing or download bytes, and even close the connection, before
    /// this event: hand them to the engine as they come
    /// ([`listing_data`](super::ClientSession::listing_data),
    /// [`data_finished`](super::ClientSession::data_finished)); they belong
    /// to the transfer, which completes once its final reply is in too.
    Transfer(TransferStart),
    /// `234` arrived and was the last thing read: start the TLS handshake
    /// (as client) on the control connection, then call `tls_established`.
    /// The engine takes no input and sends nothing until then.
    UpgradeTls,
    /// `CCC` was accepted: shut TLS down on the control connection without
    /// closing TCP, then call `tls_cleared`.
    DowngradeTls,
    /// The server answered with a code RFC 959 §5.4 (or the command's
    /// extension RFC) does not list for the command
    /// (warning only under the default [`ConformancePolicy::Report`](super::ConformancePolicy)).
    Nonconformant {
        /// The operation it was matched to, if any (`None`: an unsolicited reply, discarded).
        op: Option<OpId>,
        /// The command verb it answered.
        verb: &'static str,
        /// The reply.
        reply: Reply,
    },
    /// The session is over; every operation has been finished.
    Closed(super::error::CloseReason),
}
