//! Vocabulary of data connections, shared by both engines.
//!
//! The engines never move data bytes: they decide when a data connection is
//! opened (listen or connect), with which protection, and when a transfer
//! starts and ends; the adapter performs it and reports back.

use core::fmt;

/// Identifies one data-connection setup (one PASV/EPSV/PORT/EPRT negotiation)
/// within a session. Ids are never reused within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DataId(u64);

impl DataId {
    /// The id with this number (engines hand them out in increasing order).
    #[must_use]
    pub const fn new(n: u64) -> Self {
        Self(n)
    }

    /// The number of this id.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for DataId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data#{}", self.0)
    }
}

/// How a data connection is protected (RFC 4217 `PROT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataProtection {
    /// No TLS on the data connection (`PROT C`).
    #[default]
    Clear,
    /// TLS on the data connection (`PROT P`); the FTP client is the TLS client,
    /// and servers may require the handshake to resume the control session.
    Private,
}

/// How file bytes are represented on the wire (`TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Representation {
    /// `TYPE A`: line ends are CRLF on the wire; see [`crate::ascii`].
    #[default]
    Ascii,
    /// `TYPE I` / `TYPE L 8`: bytes unchanged.
    Binary,
}
