//! The streams of a running file transfer: [`Download`] (`Read`) and
//! [`Upload`] (`Write`), each ended with `finish()` (or `abort()`).
//! Dropping one without either leaves the transfer to be aborted by the
//! client's next call.

use std::io::{self, Read, Write};

use ftp_proto::client::{OpId, Outcome, Reply, TransferStart};
use ftp_proto::data::DataId;

use super::stream::is_unclean_tls_eof;
use super::{Client, DataConn, Error};

/// A download in progress: read it to the end, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct Download<'a> {
    client: &'a mut Client,
    op: OpId,
    start: TransferStart,
    eof: bool,
    failed: bool,
}

/// An upload in progress: write into it, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a mut Client,
    op: OpId,
    start: TransferStart,
    failed: bool,
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "data connection closed")
}

/// Reports the end of the data to the engine.
fn end_data(client: &mut Client, id: DataId, ok: bool) {
    let now = client.now();
    let _ = if ok {
        client.session.data_finished(now, id)
    } else {
        client.session.data_failed(now, id)
    };
}

/// Waits for the transfer's final reply.
fn finish(client: &mut Client, op: OpId) -> Result<Reply, Error> {
    client.dangling = None;
    match client.run(op)? {
        Outcome::Transferred { reply, .. } => Ok(reply),
        _ => Err(Error::UnexpectedOutcome),
    }
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

    /// What the server announced: offset, size hint, protection.
    #[must_use]
    pub fn transfer(&self) -> &TransferStart {
        &self.start
    }

    /// Completes the transfer: reads what is left (discarding it), then
    /// waits for the final reply. Ok only when both the data EOF and a
    /// positive final reply are in.
    ///
    /// # Errors
    /// The server's failure reply, a broken data connection, a timeout.
    pub fn finish(mut self) -> Result<Reply, Error> {
        if !self.eof && !self.failed {
            let mut scratch = [0u8; 16 * 1024];
            while matches!(self.read(&mut scratch), Ok(n) if n > 0) {}
        }
        let id = self.start.id;
        self.client.data = DataConn::None;
        end_data(self.client, id, self.eof && !self.failed);
        finish(self.client, self.op)
    }

    /// Gives up on the transfer: `ABOR`, data connection closed, both
    /// replies consumed.
    ///
    /// # Errors
    /// A session failure.
    pub fn abort(self) -> Result<(), Error> {
        self.client.abort()
    }
}

impl Read for Download<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.eof {
            return Ok(0);
        }
        if self.failed {
            return Err(closed());
        }
        let id = self.start.id;
        let Some(data) = self.client.stream(id) else {
            self.failed = true;
            return Err(closed());
        };
        match data.read(buf) {
            Ok(0) => {
                self.eof = true;
                Ok(0)
            }
            Ok(n) => {
                let now = self.client.now();
                let _ = self.client.session.data_progress(now, id);
                self.client.tend_control();
                Ok(n)
            }
            Err(e) if is_unclean_tls_eof(&e) => {
                self.eof = true;
                Ok(0)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
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

    /// Completes the transfer: TLS `close_notify` and TCP FIN, then reads
    /// until the server closes (taking in its `close_notify` and any TLS
    /// session tickets), then waits for the final reply.
    ///
    /// # Errors
    /// The server's failure reply, a broken data connection, a timeout.
    pub fn finish(self) -> Result<Reply, Error> {
        let id = self.start.id;
        let mut ok = !self.failed;
        if let Some(data) = self.client.stream(id).filter(|_| ok) {
            ok = data.close_write().is_ok();
            if ok {
                let mut scratch = [0u8; 512];
                while matches!(data.read(&mut scratch), Ok(n) if n > 0) {}
            }
        }
        end_data(self.client, id, ok);
        let result = finish(self.client, self.op);
        self.client.data = DataConn::None;
        result
    }

    /// Gives up on the transfer: `ABOR`, data connection closed, both
    /// replies consumed.
    ///
    /// # Errors
    /// A session failure.
    pub fn abort(self) -> Result<(), Error> {
        self.client.abort()
    }
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(closed());
        }
        let id = self.start.id;
        let Some(data) = self.client.stream(id) else {
            self.failed = true;
            return Err(closed());
        };
        match data.write(buf) {
            Ok(n) => {
                let now = self.client.now();
                let _ = self.client.session.data_progress(now, id);
                self.client.tend_control();
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let id = self.start.id;
        match self.client.stream(id) {
            Some(data) => data.flush(),
            None => Err(closed()),
        }
    }
}
