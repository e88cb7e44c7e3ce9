//! The TCP stream of a server's control connection: a tokio [`TcpStream`]
//! whose reads cannot stall on urgent data.
//!
//! A client aborts a transfer with TCP urgent data (RFC 959 §4.1.3's
//! Synch; the server keeps it in line, see
//! [`ftp_proto_std::net::keep_urgent_data_inline`]). The kernel ends a
//! read at the urgent mark, so the bytes from the mark on (the `\n` of
//! Python's urgent `ABOR\r\n`) come only with the next read. Tokio takes a
//! read that did not fill the buffer as proof that the socket is drained
//! and waits for the next readiness event, which never comes for bytes
//! already queued: the `ABOR` would wait for the client's next command.
//! [`ControlStream`] reads on, directly from the socket, after every such
//! short read until the socket has nothing more.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A control connection's TCP stream (see the [module docs](self)).
#[derive(Debug)]
pub(crate) struct ControlStream {
    tcp: TcpStream,
    /// Bytes may be queued that no readiness event will announce (the last
    /// direct read filled the buffer or met the end): read directly first.
    unannounced: bool,
}

/// How a run of direct reads ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    /// The socket has nothing more for now.
    Drained,
    /// The peer closed its side.
    Eof,
    /// The buffer is full; more may be queued.
    Full,
}

impl ControlStream {
    pub(crate) fn new(tcp: TcpStream) -> Self {
        Self {
            tcp,
            unannounced: false,
        }
    }

    /// Reads what the socket holds, without waiting, into `buf`.
    fn read_queued(&self, buf: &mut ReadBuf<'_>) -> io::Result<Queue> {
        let socket = socket2::SockRef::from(&self.tcp);
        while buf.remaining() > 0 {
            match (&*socket).read(buf.initialize_unfilled()) {
                Ok(0) => return Ok(Queue::Eof),
                Ok(n) => buf.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Queue::Drained),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Queue::Full)
    }
}

impl AsyncRead for ControlStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unannounced {
            let before = buf.filled().len();
            let queue = this.read_queued(buf)?;
            this.unannounced = queue != Queue::Drained;
            if buf.filled().len() > before || queue == Queue::Eof {
                return Poll::Ready(Ok(()));
            }
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.tcp).poll_read(cx, buf))?;
        // Tokio now waits for a readiness event; bytes past an urgent mark
        // are already queued and would not raise one. A read stops at the
        // mark, just before the urgent byte, so it ends inside a line (the
        // `\r` of ftplib's urgent `ABOR\r\n`, the `IAC` of a BSD Synch): a
        // read that ends a line needs no second look, which spares a
        // syscall for every ordinary command.
        let got = buf.filled().len() > before;
        if got && buf.remaining() > 0 && buf.filled().last() != Some(&b'\n') {
            this.unannounced = !matches!(this.read_queued(buf), Ok(Queue::Drained));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ControlStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
