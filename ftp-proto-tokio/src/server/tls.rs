//! FTPS for the server: the rustls configuration ([`TlsConfig`], shared
//! with the blocking adapter in [`ftp_proto_std::tls`]) and the
//! control-connection stream that is swapped from plain TCP to TLS on
//! `AUTH TLS` ([`Control`]).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

pub use ftp_proto_std::tls::{TlsConfig, TlsConfigError};

/// A tokio-rustls acceptor on the configuration's shared rustls config
/// (and so its session cache and ticketer).
pub(crate) fn acceptor(tls: &TlsConfig) -> TlsAcceptor {
    TlsAcceptor::from(Arc::clone(tls.rustls_config()))
}

/// The control connection: plain TCP until `AUTH TLS` (or from the start
/// for implicit FTPS), TLS after.
#[derive(Debug)]
pub(crate) enum Control {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    /// Transient state while the stream is being upgraded, or after a failed
    /// handshake (every operation fails).
    Gone,
}

impl Control {
    /// Runs the server-side handshake on a plain stream.
    pub(crate) async fn upgrade(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let Self::Plain(tcp) = std::mem::replace(self, Self::Gone) else {
            return Err(io::Error::other("control connection is not plain TCP"));
        };
        let tls = acceptor.accept(tcp).await?;
        *self = Self::Tls(Box::new(tls));
        Ok(())
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "control connection is gone")
}

impl AsyncRead for Control {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Control {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Gone => Poll::Ready(Ok(())),
        }
    }
}
