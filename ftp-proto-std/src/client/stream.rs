//! A blocking TCP stream that is plain or TLS (rustls as client), for the
//! control connection (swapped on `AUTH TLS`/`CCC`) and data connections.
//! Without the feature `tls` it is always plain.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "tls")]
use rustls::{ClientConnection, StreamOwned};

#[cfg(feature = "tls")]
use crate::tls::TlsClient;

/// Plain TCP, or TLS over it.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// After a failed upgrade: every operation fails.
    #[cfg_attr(not(feature = "tls"), allow(dead_code, reason = "upgrades need TLS"))]
    Gone,
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection is gone")
}

impl Stream {
    /// The TCP socket underneath.
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Self::Plain(s) => Some(s),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Some(&s.sock),
            Self::Gone => None,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return matches!(self, Self::Tls(_));
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Runs the client side of a TLS handshake on a plain stream, within
    /// `timeout`, with `tls`'s shared configuration (and so its session
    /// store: data connections resume the control connection's session).
    #[cfg(feature = "tls")]
    pub(crate) fn upgrade(
        &mut self,
        tls: &TlsClient,
        peer: std::net::IpAddr,
        timeout: Duration,
    ) -> io::Result<()> {
        let Self::Plain(mut tcp) = std::mem::replace(self, Self::Gone) else {
            return Err(io::Error::other("not a plain stream"));
        };
        let old = (tcp.read_timeout()?, tcp.write_timeout()?);
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        let mut conn = ClientConnection::new(Arc::clone(tls.config()), tls.name_for(peer))
            .map_err(io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        tcp.set_read_timeout(old.0)?;
        tcp.set_write_timeout(old.1)?;
        *self = Self::Tls(Box::new(StreamOwned::new(conn, tcp)));
        Ok(())
    }

    /// Leaves TLS (`CCC`, RFC 4217 §5): sends `close_notify`, then reads
    /// the server's one TLS record at a time (each read bounded by
    /// `timeout`), so not one clear-text byte after it is swallowed by the
    /// TLS layer; then plain TCP again.
    #[cfg(feature = "tls")]
    pub(crate) fn downgrade(&mut self, timeout: Duration) -> io::Result<()> {
        /// Records the server may send before its `close_notify`.
        const MAX_RECORDS: usize = 64;
        let Self::Tls(tls) = std::mem::replace(self, Self::Gone) else {
            return Err(io::Error::other("not a TLS stream"));
        };
        let StreamOwned { mut conn, mut sock } = *tls;
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut sock)?;
        }
        let old = sock.read_timeout()?;
        sock.set_read_timeout(Some(timeout))?;
        let mut closed = conn
            .process_new_packets()
            .map_err(io::Error::other)?
            .peer_has_closed();
        let mut record = Vec::new();
        for _ in 0..MAX_RECORDS {
            if closed {
                break;
            }
            let mut header = [0u8; 5];
            sock.read_exact(&mut header)?;
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            record.clear();
            record.extend_from_slice(&header);
            record.resize(5 + len, 0);
            if let Some(body) = record.get_mut(5..) {
                sock.read_exact(body)?;
            }
            let mut slice = &record[..];
            while !slice.is_empty() {
                conn.read_tls(&mut slice)?;
            }
            closed = conn
                .process_new_packets()
                .map_err(io::Error::other)?
                .peer_has_closed();
        }
        if !closed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no TLS close_notify from the server",
            ));
        }
        sock.set_read_timeout(old)?;
        *self = Self::Plain(sock);
        Ok(())
    }

    /// Leaves TLS: without the feature `tls` the stream never runs it.
    #[cfg(not(feature = "tls"))]
    pub(crate) fn downgrade(&mut self, _timeout: Duration) -> io::Result<()> {
        Err(io::Error::other("not a TLS stream"))
    }

    /// Sends TLS `close_notify` (when TLS) and the TCP FIN; reading stays possible.
    pub(crate) fn close_write(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.shutdown(Shutdown::Write),
            #[cfg(feature = "tls")]
            Self::Tls(s) => {
                s.conn.send_close_notify();
                s.flush()?;
                s.sock.shutdown(Shutdown::Write)
            }
            Self::Gone => Ok(()),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.read(buf),
            Self::Gone => Err(gone()),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.write(buf),
            Self::Gone => Err(gone()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.flush(),
            Self::Gone => Err(gone()),
        }
    }
}

/// A TLS peer that closed TCP without `close_notify` (many servers do after
/// a download); the final reply still says whether all was sent.
pub(crate) fn is_unclean_tls_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}
