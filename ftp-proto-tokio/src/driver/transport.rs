//! A byte stream that is plain TCP or TLS, and can change between the two
//! without closing the TCP connection (`AUTH TLS`, `CCC`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[cfg(feature = "tls")]
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A connection that runs in clear text or under TLS (as TLS client or
/// server), used for control and data connections alike.
///
/// [`upgrade_client`](Self::upgrade_client) and
/// [`upgrade_server`](Self::upgrade_server) run the handshake on the same TCP
/// connection; [`downgrade`](Self::downgrade) shuts TLS down and keeps TCP
/// open. While one of those runs the transport is `Detached`; if it fails,
/// the transport stays `Detached` and every I/O call fails.
#[derive(Debug)]
#[non_exhaustive]
pub enum Transport<IO = TcpStream> {
    /// Clear text.
    Plain(IO),
    /// TLS, this end being the TLS client.
    #[cfg(feature = "tls")]
    ClientTls(Box<tokio_rustls::client::TlsStream<IO>>),
    /// TLS, this end being the TLS server.
    #[cfg(feature = "tls")]
    ServerTls(Box<tokio_rustls::server::TlsStream<IO>>),
    /// No connection: taken apart by a failed upgrade or downgrade.
    Detached,
}

fn detached() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "transport detached")
}

impl<IO> Transport<IO> {
    /// Whether the transport runs TLS.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_) | Self::Detached)
    }

    /// The TCP-level stream, whatever runs over it.
    pub fn get_ref(&self) -> Option<&IO> {
        match self {
            Self::Plain(io) => Some(io),
            #[cfg(feature = "tls")]
            Self::ClientTls(tls) => Some(tls.get_ref().0),
            #[cfg(feature = "tls")]
            Self::ServerTls(tls) => Some(tls.get_ref().0),
            Self::Detached => None,
        }
    }
}

#[cfg(feature = "tls")]
impl<IO> Transport<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Runs a TLS client handshake over the plain connection (`AUTH TLS`
    /// after `234`, implicit FTPS, a protected data connection).
    ///
    /// # Errors
    /// `InvalidInput` if the transport is not plain; the handshake's error
    /// (a [`rustls::Error`] inside an `io::Error` for TLS failures), after
    /// which the transport is `Detached`.
    pub async fn upgrade_client(
        &mut self,
        connector: tokio_rustls::TlsConnector,
        server_name: rustls_pki_types::ServerName<'static>,
    ) -> io::Result<()> {
        let io = self.take_plain()?;
        let tls = connector.connect(server_name, io).await?;
        *self = Self::ClientTls(Box::new(tls));
        Ok(())
    }

    /// Runs a TLS server handshake over the plain connection (after the
    /// server sent `234`).
    ///
    /// # Errors
    /// As [`upgrade_client`](Self::upgrade_client).
    pub async fn upgrade_server(&mut self, acceptor: tokio_rustls::TlsAcceptor) -> io::Result<()> {
        let io = self.take_plain()?;
        let tls = acceptor.accept(io).await?;
        *self = Self::ServerTls(Box::new(tls));
        Ok(())
    }

    fn take_plain(&mut self) -> io::Result<IO> {
        match std::mem::replace(self, Self::Detached) {
            Self::Plain(io) => Ok(io),
            other => {
                *self = other;
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "transport is not plain",
                ))
            }
        }
    }

    /// Shuts TLS down without closing TCP (`CCC`, RFC 4217 §5): sends
    /// `close_notify`, then reads TLS records one at a time until the peer's
    /// `close_notify`, so not one clear-text byte after it is consumed. A
    /// plain transport stays as it is.
    ///
    /// # Errors
    /// I/O and TLS errors, the peer closing TCP first, or more than 64
    /// records before the peer's `close_notify`; the transport is then
    /// `Detached`.
    pub async fn downgrade(&mut self) -> io::Result<()> {
        self.shut_tls(false).await.map(drop)
    }

    /// The server's side of `CCC`: as [`downgrade`](Self::downgrade), but
    /// a client that goes on in clear text without sending `close_notify`
    /// (curl's default CCC mode; ProFTPD expects no more) is accepted too.
    /// Returns the clear-text bytes already read (a byte that cannot start
    /// a TLS record ends the TLS part), which belong to the next command.
    ///
    /// # Errors
    /// As [`downgrade`](Self::downgrade).
    pub async fn downgrade_from_client(&mut self) -> io::Result<Vec<u8>> {
        self.shut_tls(true).await
    }

    async fn shut_tls(&mut self, tolerate_clear: bool) -> io::Result<Vec<u8>> {
        let clear = match std::mem::replace(self, Self::Detached) {
            Self::ClientTls(tls) => {
                let (mut io, mut conn) = (*tls).into_inner();
                let clear = close_tls(&mut io, &mut conn, tolerate_clear).await?;
                *self = Self::Plain(io);
                clear
            }
            Self::ServerTls(tls) => {
                let (mut io, mut conn) = (*tls).into_inner();
                let clear = close_tls(&mut io, &mut conn, tolerate_clear).await?;
                *self = Self::Plain(io);
                clear
            }
            other => {
                *self = other;
                Vec::new()
            }
        };
        Ok(clear)
    }
}

/// `close_notify` both ways over `io`, record by record. With
/// `tolerate_clear`, a first byte that is no TLS record type (20 to 23)
/// ends the exchange instead: it is returned, as clear text.
#[cfg(feature = "tls")]
async fn close_tls<IO, C, D>(io: &mut IO, conn: &mut C, tolerate_clear: bool) -> io::Result<Vec<u8>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
{
    const MAX_RECORDS: usize = 64;
    conn.send_close_notify();
    let mut out = Vec::new();
    while conn.wants_write() {
        out.clear();
        conn.write_tls(&mut out)?;
        io.write_all(&out).await?;
    }
    io.flush().await?;
    let state = conn.process_new_packets().map_err(io::Error::other)?;
    if state.peer_has_closed() {
        return Ok(Vec::new());
    }
    let mut record = Vec::new();
    for _ in 0..MAX_RECORDS {
        let mut header = [0u8; 5];
        io.read_exact(&mut header[..1]).await?;
        if tolerate_clear && !(20..=23).contains(&header[0]) {
            return Ok(vec![header[0]]);
        }
        io.read_exact(&mut header[1..]).await?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        record.clear();
        record.extend_from_slice(&header);
        record.resize(5 + len, 0);
        if let Some(body) = record.get_mut(5..) {
            io.read_exact(body).await?;
        }
        let mut slice = &record[..];
        while !slice.is_empty() {
            conn.read_tls(&mut slice)?;
        }
        let state = conn.process_new_packets().map_err(io::Error::other)?;
        if state.peer_has_closed() {
            return Ok(Vec::new());
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "no TLS close_notify from the peer",
    ))
}

impl<IO> AsyncRead for Transport<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Self::ClientTls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Self::ServerTls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            Self::Detached => Poll::Ready(Err(detached())),
        }
    }
}

impl<IO> AsyncWrite for Transport<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Self::ClientTls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Self::ServerTls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
            Self::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_flush(cx),
            #[cfg(feature = "tls")]
            Self::ClientTls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
            #[cfg(feature = "tls")]
            Self::ServerTls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
            Self::Detached => Poll::Ready(Err(detached())),
        }
    }

    /// Ends the sending side: TLS sends `close_notify` first, then the TCP
    /// write half is shut down (FIN).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Self::ClientTls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Self::ServerTls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
            Self::Detached => Poll::Ready(Ok(())),
        }
    }
}
