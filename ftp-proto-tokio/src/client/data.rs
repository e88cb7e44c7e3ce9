//! The client's data connection: its states. (Which peer an active-mode
//! listener may accept is the engine's decision: `data_accepted`.)

use std::io;

use ftp_proto::data::DataId;
use tokio::net::{TcpListener, TcpStream};

use crate::driver::Transport;

/// Where the current data connection is.
#[derive(Debug, Default)]
pub(super) enum DataConn {
    /// None.
    #[default]
    None,
    /// Passive mode: TCP connected, waiting for the transfer to start.
    Connected(DataId, TcpStream),
    /// Active mode: listening for the server's one connection.
    Listening(DataId, TcpListener),
    /// Ready to move bytes (accepted, TLS done when protected).
    Open(DataId, Transport),
}

impl DataConn {
    pub(super) fn id(&self) -> Option<DataId> {
        match self {
            Self::None => None,
            Self::Connected(id, _) | Self::Listening(id, _) | Self::Open(id, _) => Some(*id),
        }
    }
}

/// A TLS peer that closed TCP without `close_notify`. Many servers do that
/// after a download; the transfer's final reply (under TLS on the control
/// connection) still says whether everything was sent, so the data end is
/// taken as EOF and the engine waits for that reply.
pub(super) fn is_unclean_tls_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}
