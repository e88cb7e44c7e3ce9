//! File transfers as streams: [`Download`] and [`Upload`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ftp_proto::Session;
use ftp_proto::client::{ClientEvent, DataRequest, OpId, Outcome, Reply, TransferStart};
use ftp_proto::data::DataId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::data::{DataConn, is_unclean_tls_eof};
use super::{Client, Error};
use crate::driver::Input;

/// A download in progress: read it to the end, then call
/// [`finish`](Self::finish) for the server's final reply. Dropping it
/// without `finish` leaves the transfer to be aborted by the client's next
/// call.
#[derive(Debug)]
pub struct Download<'a> {
    client: &'a mut Client,
    op: OpId,
    start: TransferStart,
    eof: bool,
    failed: bool,
}

/// An upload in progress: write the bytes, then call
/// [`finish`](Self::finish), which closes the data connection (TLS
/// `close_notify` first) and waits for the server's final reply. Dropping it
/// without `finish` leaves the transfer to be aborted by the client's next
/// call.
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a mut Client,
    op: OpId,
    start: TransferStart,
    failed: bool,
}

impl<'a> Download<'a> {
    pub(super) fn new(client: &'a mut Client, op: OpId, start: TransferStart) -> Self {
        Self {
            client,
            op,
            start,
            eof: false,
            failed: false,
        }
    }

    /// What the server announced: offset, size hint (`150 ... (N bytes)`),
    /// protection.
    #[must_use]
    pub fn transfer(&self) -> &TransferStart {
        &self.start
    }

    /// Completes the transfer: reads what is left to EOF (discarding it),
    /// then waits for the final reply. Ok only when both the data EOF and a
    /// positive final reply are in.
    ///
    /// # Errors
    /// The server's failure reply, a broken data connection, a timeout.
    pub async fn finish(mut self) -> Result<Reply, Error> {
        if !self.eof && !self.failed {
            let mut scratch = std::mem::take(&mut self.client.buf);
            loop {
                match self.read(&mut scratch).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            self.client.buf = scratch;
        }
        let id = self.start.id;
        end_data(self.client, id, self.eof && !self.failed);
        finish(self.client, self.op).await
    }

    /// Gives up on the transfer: `ABOR`, data connection closed, both
    /// replies consumed.
    ///
    /// # Errors
    /// A session failure.
    pub async fn abort(self) -> Result<(), Error> {
        self.client.abort().await
    }
}

impl<'a> Upload<'a> {
    pub(super) fn new(client: &'a mut Client, op: OpId, start: TransferStart) -> Self {
        Self {
            client,
            op,
            start,
            failed: false,
        }
    }

    /// What the server announced: offset and protection.
    #[must_use]
    pub fn transfer(&self) -> &TransferStart {
        &self.start
    }

    /// Completes the transfer: shuts the data connection's sending side
    /// down (TLS `close_notify`, then TCP FIN), then waits for the final
    /// reply. The connection stays open until the reply is in, so the
    /// server's own `close_notify` is not answered with a reset.
    ///
    /// # Errors
    /// The server's failure reply, a broken data connection, a timeout.
    pub async fn finish(mut self) -> Result<Reply, Error> {
        let id = self.start.id;
        let mut ok = !self.failed;
        if ok {
            ok = self.shutdown().await.is_ok();
        }
        if ok {
            // Read until the server closes its side: under TLS this takes in
            // its close_notify and the TLS 1.3 session tickets it sent after
            // the handshake, which the next data connection resumes with
            // (an upload never reads otherwise, and tickets are single-use:
            // vsftpd refused the third upload with 522 without this).
            let limit = self.client.options.engine.reply_timeout;
            let mut scratch = [0u8; 512];
            if let Some(data) = stream(self.client, id) {
                let drain = async {
                    while let Ok(n) = data.read(&mut scratch).await {
                        if n == 0 {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(limit, drain).await;
            }
        }
        let now = self.client.driver.now();
        let session = self.client.driver.session_mut();
        let _ = if ok {
            session.data_finished(now, id)
        } else {
            session.data_failed(now, id)
        };
        let result = finish(self.client, self.op).await;
        self.client.data = DataConn::None;
        result
    }

    /// Gives up on the transfer: `ABOR`, data connection closed, both
    /// replies consumed.
    ///
    /// # Errors
    /// A session failure.
    pub async fn abort(self) -> Result<(), Error> {
        self.client.abort().await
    }
}

/// Reports the end of a download's data to the engine and closes it.
fn end_data(client: &mut Client, id: DataId, ok: bool) {
    client.data = DataConn::None;
    let now = client.driver.now();
    let session = client.driver.session_mut();
    let _ = if ok {
        session.data_finished(now, id)
    } else {
        session.data_failed(now, id)
    };
}

async fn finish(client: &mut Client, op: OpId) -> Result<Reply, Error> {
    client.dangling = None;
    match client.run(op).await? {
        Outcome::Transferred { reply, .. } => Ok(reply),
        _ => Err(Error::UnexpectedOutcome),
    }
}

/// The open data stream of transfer `id`, if it is still open.
fn stream(client: &mut Client, id: DataId) -> Option<&mut crate::driver::Transport> {
    match &mut client.data {
        DataConn::Open(i, s) if *i == id => Some(s),
        _ => None,
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "data connection closed")
}

/// How a transfer stands after [`tend_control`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// Still running.
    Running,
    /// The engine's timer ended it (the data timeout).
    TimedOut,
    /// A reply ended it (the server gave up on the transfer).
    Ended,
}

/// Keeps the control connection going while a data stream is read or
/// written: runs the engine's timer (data timeout, keep-alive `NOOP`),
/// writes what the engine queued, and reads what the server says (a
/// keep-alive's `200`, an early final reply). Events are kept for the
/// client.
fn tend_control(client: &mut Client, op: OpId, id: DataId, cx: &mut Context<'_>) -> Control {
    let fired = client.driver.poll_timer(cx).is_ready();
    // A write or read error marks the driver broken; the client's next
    // call reports it.
    let _ = client.driver.poll_flush_frames(cx);
    let mut read = false;
    while let Poll::Ready(Ok(Input::Read(_) | Input::Timeout)) = client.driver.poll_input(cx) {
        read = true;
    }
    if read {
        let _ = client.driver.poll_flush_frames(cx);
    }
    let mut ended = false;
    while let Some(event) = client.driver.session_mut().poll_event() {
        ended |= matches!(&event, ClientEvent::Finished { op: o, .. } if *o == op)
            || matches!(&event, ClientEvent::Data(DataRequest::Close { id: i }) if *i == id);
        client.backlog.push_back(event);
    }
    match (ended, fired) {
        (true, true) => Control::TimedOut,
        (true, false) => Control::Ended,
        (false, fired) => {
            if fired {
                // Re-arm for the next deadline on the next poll.
                cx.waker().wake_by_ref();
            }
            Control::Running
        }
    }
}

/// The error a data stream reports when the transfer ended under it.
fn ended_error(control: Control) -> io::Error {
    if control == Control::TimedOut {
        io::ErrorKind::TimedOut.into()
    } else {
        io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the server ended the transfer",
        )
    }
}

impl AsyncRead for Download<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.eof {
            return Poll::Ready(Ok(()));
        }
        if this.failed {
            return Poll::Ready(Err(closed()));
        }
        let id = this.start.id;
        let Some(data) = stream(this.client, id) else {
            this.failed = true;
            return Poll::Ready(Err(closed()));
        };
        let before = buf.filled().len();
        match Pin::new(data).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() == before {
                    this.eof = true;
                } else {
                    let now = this.client.driver.now();
                    let _ = this.client.driver.session_mut().data_progress(now, id);
                    let _ = tend_control(this.client, this.op, id, cx);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) if is_unclean_tls_eof(&e) => {
                this.eof = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                this.failed = true;
                Poll::Ready(Err(e))
            }
            Poll::Pending => match tend_control(this.client, this.op, id, cx) {
                Control::Running => Poll::Pending,
                ended => {
                    this.failed = true;
                    Poll::Ready(Err(ended_error(ended)))
                }
            },
        }
    }
}

impl AsyncWrite for Upload<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(Err(closed()));
        }
        let id = this.start.id;
        let Some(data) = stream(this.client, id) else {
            this.failed = true;
            return Poll::Ready(Err(closed()));
        };
        match Pin::new(data).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                let now = this.client.driver.now();
                let _ = this.client.driver.session_mut().data_progress(now, id);
                let _ = tend_control(this.client, this.op, id, cx);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                this.failed = true;
                Poll::Ready(Err(e))
            }
            Poll::Pending => match tend_control(this.client, this.op, id, cx) {
                Control::Running => Poll::Pending,
                ended => {
                    this.failed = true;
                    Poll::Ready(Err(ended_error(ended)))
                }
            },
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let id = this.start.id;
        match stream(this.client, id) {
            Some(data) => Pin::new(data).poll_flush(cx),
            None => Poll::Ready(Err(closed())),
        }
    }

    /// Sends TLS `close_notify` (when protected) and the TCP FIN; the
    /// connection itself stays open until [`Upload::finish`] has the reply.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let id = this.start.id;
        match stream(this.client, id) {
            Some(data) => Pin::new(data).poll_shutdown(cx),
            None => Poll::Ready(Err(closed())),
        }
    }
}
