//! The client's data connection: its states and the active-mode accept.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

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

/// Most connections from a foreign address dropped while waiting for the
/// server's (bounds a flood).
const MAX_FOREIGN: usize = 16;

/// Accepts the server's data connection: only one coming from `server_ip`
/// (the control peer's address; others are dropped, bounce protection),
/// within `timeout`. The listener is dropped by the caller right after.
pub(super) async fn accept_from(
    listener: &TcpListener,
    server_ip: IpAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let accept = async {
        for _ in 0..MAX_FOREIGN {
            let (stream, from) = listener.accept().await?;
            if same_host(from.ip(), server_ip) {
                return Ok(stream);
            }
            drop(stream);
        }
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "data connections from foreign addresses only",
        ))
    };
    tokio::time::timeout(timeout, accept)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A TLS peer that closed TCP without `close_notify`. Many servers do that
/// after a download; the transfer's final reply (under TLS on the control
/// connection) still says whether everything was sent, so the data end is
/// taken as EOF and the engine waits for that reply.
pub(super) fn is_unclean_tls_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_are_the_same_host() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(same_host(v4, mapped));
        assert!(!same_host(v4, "127.0.0.2".parse().unwrap()));
    }
}
