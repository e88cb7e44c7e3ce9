//! The control connection of one session: a reader thread that moves raw
//! socket bytes into the session's channel one chunk at a time, and the
//! write half with the TLS state (a rustls `ServerConnection` driven by
//! hand, so the handshake bytes also travel through the channel).
//!
//! `CCC` (and `REIN` under TLS) shut TLS down without closing TCP:
//! [`Control::start_clear`] sends `close_notify`, then [`Control::feed`]
//! hands the client's bytes to rustls one whole TLS record at a time until
//! its `close_notify`, so the clear text that follows is never swallowed by
//! the TLS layer; it goes to the engine once it goes on in clear. A client
//! that sends no `close_notify` (curl's default CCC mode) is seen by its
//! first byte that cannot start a TLS record.
//!
//! Backpressure: the reader sends a chunk, then waits for a go-ahead that
//! the session gives once the engine took the whole chunk. So at most one
//! chunk ([`READ_CHUNK`] bytes) waits outside the engine.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::time::Duration;

use ftp_proto::{Instant, Session};
#[cfg(feature = "tls")]
pub(crate) use rustls::ServerConnection;

#[cfg(not(feature = "tls"))]
pub(crate) use self::no_tls::ServerConnection;
use super::ServerTls;
use super::session::Msg;

/// Most bytes one control read takes.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// A TLS record header: type, version, length.
const TLS_HEADER: usize = 5;

/// Largest TLS record body accepted while clearing (2^14 plus the most
/// expansion TLS 1.2 allows).
const MAX_TLS_RECORD: usize = 16 * 1024 + 2048;

/// Records the client may send after `CCC` before its `close_notify`.
const MAX_CLEAR_RECORDS: usize = 64;

/// Stack of the reader thread (it only reads and sends).
const READER_STACK: usize = 64 * 1024;

/// Starts the reader thread on a clone of `stream`.
pub(crate) fn spawn_reader(stream: &TcpStream, tx: Sender<Msg>) -> io::Result<SyncSender<()>> {
    let mut stream = stream.try_clone()?;
    let (go_tx, go_rx): (SyncSender<()>, Receiver<()>) = sync_channel(1);
    std::thread::Builder::new()
        .name("ftp-control-read".into())
        .stack_size(READER_STACK)
        .spawn(move || {
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                let n = match stream.read(&mut buf) {
                    Ok(0) => 0,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => 0,
                };
                if n == 0 {
                    let _ = tx.send(Msg::Eof);
                    return;
                }
                let chunk = buf.get(..n).unwrap_or_default().to_vec();
                if tx.send(Msg::Input(chunk)).is_err() || go_rx.recv().is_err() {
                    return;
                }
            }
        })?;
    Ok(go_tx)
}

/// What feeding input found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fed {
    /// Nothing could move.
    Idle,
    /// Bytes moved (into the engine or the TLS layer).
    Progressed,
    /// The TLS handshake just completed.
    Secured,
    /// The client's `close_notify` arrived: the connection is in clear now.
    Cleared,
    /// The TLS layer failed (bad record, failed handshake).
    TlsFailed,
}

/// The session's side of the control connection.
pub(crate) struct Control {
    tcp: TcpStream,
    tls: Option<ServerConnection>,
    go: Option<SyncSender<()>>,
    /// A chunk from the reader not yet (fully) handed on, and how much of
    /// it was.
    stash: Option<(Vec<u8>, usize)>,
    /// Shutting TLS down: the TLS record being gathered (header first).
    clearing: Option<Vec<u8>>,
    /// Whole records read while clearing (bounded by [`MAX_CLEAR_RECORDS`]).
    cleared_records: usize,
    /// The reader saw the end of the stream.
    pub(crate) eof: bool,
    /// A write failed or the connection was closed: nothing more is sent.
    pub(crate) broken: bool,
}

impl Control {
    /// `tls` is an already secured connection (implicit FTPS).
    pub(crate) fn new(tcp: TcpStream, tls: Option<ServerConnection>, go: SyncSender<()>) -> Self {
        Self {
            tcp,
            tls,
            go: Some(go),
            stash: None,
            clearing: None,
            cleared_records: 0,
            eof: false,
            broken: false,
        }
    }

    pub(crate) fn set_write_timeout(&self, timeout: Duration) {
        let _ = self.tcp.set_write_timeout(Some(timeout));
    }

    /// Starts the server side of a TLS handshake (after `AUTH TLS`); the
    /// client's bytes arrive through [`feed`](Self::feed).
    #[cfg(feature = "tls")]
    pub(crate) fn start_tls(&mut self, tls: &ServerTls) -> bool {
        match ServerConnection::new(Arc::clone(tls.rustls_config())) {
            Ok(conn) => {
                self.tls = Some(conn);
                true
            }
            Err(_) => false,
        }
    }

    /// Without the feature `tls` no TLS settings exist to start with.
    #[cfg(not(feature = "tls"))]
    pub(crate) fn start_tls(&mut self, tls: &ServerTls) -> bool {
        match *tls {}
    }

    /// Starts shutting TLS down on the connection (after `CCC`'s `200` went
    /// out under TLS): sends `close_notify`; [`feed`](Self::feed) then
    /// reads the client's. `false` when there is no TLS or the write fails.
    pub(crate) fn start_clear(&mut self) -> bool {
        let Some(conn) = self.tls.as_mut() else {
            return false;
        };
        conn.send_close_notify();
        if self.flush_tls().is_err() {
            self.broken = true;
            return false;
        }
        self.clearing = Some(Vec::with_capacity(TLS_HEADER));
        self.cleared_records = 0;
        true
    }

    /// While clearing: gathers whole TLS records from the stash into rustls
    /// until the client's `close_notify`.
    fn feed_clearing(&mut self) -> Fed {
        let mut any = false;
        loop {
            let (Some(record), Some((chunk, used)), Some(conn)) = (
                self.clearing.as_mut(),
                self.stash.as_mut(),
                self.tls.as_mut(),
            ) else {
                return if any { Fed::Progressed } else { Fed::Idle };
            };
            let rest = chunk.get(*used..).unwrap_or_default();
            if record.is_empty() && rest.first().is_some_and(|b| !(20..=23).contains(b)) {
                // No TLS record: the client went on in clear text without
                // close_notify (curl's default CCC mode). The bytes stay
                // for the engine.
                self.tls = None;
                self.clearing = None;
                return Fed::Cleared;
            }
            // The header says how long the record is.
            let want = match record.get(3..TLS_HEADER) {
                Some(&[hi, lo]) => TLS_HEADER + usize::from(u16::from_be_bytes([hi, lo])),
                _ => TLS_HEADER,
            };
            if want > TLS_HEADER + MAX_TLS_RECORD {
                return Fed::TlsFailed;
            }
            let take = want.saturating_sub(record.len()).min(rest.len());
            record.extend_from_slice(rest.get(..take).unwrap_or_default());
            *used += take;
            any |= take > 0;
            let done_chunk = *used >= chunk.len();
            if done_chunk {
                self.stash = None;
                if let Some(go) = &self.go {
                    let _ = go.send(());
                }
            }
            let whole = record.len() >= TLS_HEADER
                && record.len()
                    == TLS_HEADER
                        + usize::from(u16::from_be_bytes([
                            record.get(3).copied().unwrap_or(0),
                            record.get(4).copied().unwrap_or(0),
                        ]));
            if !whole {
                if done_chunk || take == 0 {
                    return if any { Fed::Progressed } else { Fed::Idle };
                }
                continue;
            }
            let mut slice = &record[..];
            while !slice.is_empty() {
                if conn.read_tls(&mut slice).is_err() {
                    return Fed::TlsFailed;
                }
            }
            record.clear();
            let Ok(state) = conn.process_new_packets() else {
                return Fed::TlsFailed;
            };
            if state.peer_has_closed() {
                self.tls = None;
                self.clearing = None;
                return Fed::Cleared;
            }
            self.cleared_records += 1;
            if self.cleared_records > MAX_CLEAR_RECORDS {
                return Fed::TlsFailed;
            }
        }
    }

    /// Takes a chunk from the reader.
    pub(crate) fn push(&mut self, chunk: Vec<u8>) {
        self.stash = Some((chunk, 0));
    }

    /// Moves what can be moved from the stash (through TLS) into the engine.
    pub(crate) fn feed<S: Session>(&mut self, engine: &mut S, now: Instant) -> Fed {
        if self.clearing.is_some() {
            return self.feed_clearing();
        }
        let mut any = false;
        loop {
            let mut progressed = false;
            // Decrypted bytes first, while the engine wants them.
            if let Some(conn) = self.tls.as_mut().filter(|c| !c.is_handshaking()) {
                while engine.wants_input() {
                    let buffer = engine.input_buffer();
                    let start = buffer.len();
                    buffer.resize(start + READ_CHUNK, 0);
                    // WouldBlock: nothing decrypted yet.
                    let n = conn
                        .reader()
                        .read(buffer.get_mut(start..).unwrap_or_default())
                        .unwrap_or(0);
                    buffer.truncate(start + n);
                    if n == 0 {
                        break;
                    }
                    progressed = true;
                    engine.process_input(now);
                }
            }
            any |= progressed;
            let idle = if any { Fed::Progressed } else { Fed::Idle };
            let Some((chunk, used)) = self.stash.as_mut() else {
                return idle;
            };
            let mut secured = false;
            match self.tls.as_mut() {
                None => {
                    if !engine.wants_input() {
                        return idle;
                    }
                    engine.handle_input(now, chunk.get(*used..).unwrap_or_default());
                    *used = chunk.len();
                    progressed = true;
                }
                Some(conn) => {
                    let handshaking = conn.is_handshaking();
                    if !handshaking && !engine.wants_input() {
                        // rustls would buffer plaintext the engine cannot take.
                        return idle;
                    }
                    let mut rest = chunk.get(*used..).unwrap_or_default();
                    let before = rest.len();
                    if conn.read_tls(&mut rest).is_err() {
                        return Fed::TlsFailed;
                    }
                    let taken = before - rest.len();
                    *used += taken;
                    progressed |= taken > 0;
                    let state = conn.process_new_packets();
                    let flushed = self.flush_tls();
                    if state.is_err() || flushed.is_err() {
                        return Fed::TlsFailed;
                    }
                    secured = handshaking && self.tls.as_ref().is_some_and(|c| !c.is_handshaking());
                }
            }
            if self.stash.as_ref().is_some_and(|(c, u)| *u >= c.len()) {
                self.stash = None;
                if let Some(go) = &self.go {
                    let _ = go.send(());
                }
            }
            if secured {
                return Fed::Secured;
            }
            any |= progressed;
            if !progressed {
                return if any { Fed::Progressed } else { Fed::Idle };
            }
        }
    }

    /// Whether a chunk from the reader still waits.
    pub(crate) fn has_stash(&self) -> bool {
        self.stash.is_some()
    }

    /// Writes one frame of the engine.
    pub(crate) fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        if self.broken {
            return Err(io::ErrorKind::NotConnected.into());
        }
        let result = match self.tls.as_mut() {
            None => self.tcp.write_all(frame),
            Some(conn) => conn
                .writer()
                .write_all(frame)
                .and_then(|()| self.flush_tls()),
        };
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Sends every pending TLS record.
    fn flush_tls(&mut self) -> io::Result<()> {
        if let Some(conn) = self.tls.as_mut() {
            while conn.wants_write() {
                conn.write_tls(&mut self.tcp)?;
            }
        }
        Ok(())
    }

    /// Ends the connection: TLS `close_notify`, FIN, and the reader stops.
    pub(crate) fn close(&mut self) {
        if let Some(conn) = self.tls.as_mut().filter(|_| !self.broken) {
            conn.send_close_notify();
            let _ = self.flush_tls();
        }
        self.broken = true;
        self.go = None;
        let _ = self.tcp.shutdown(Shutdown::Both);
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.close();
    }
}

/// Runs an implicit-FTPS handshake on a fresh connection (before any
/// reader thread exists), within `timeout`.
#[cfg(feature = "tls")]
pub(crate) fn accept_tls(
    tcp: &mut TcpStream,
    config: &Arc<rustls::ServerConfig>,
    timeout: Duration,
) -> io::Result<ServerConnection> {
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let mut conn = ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        conn.complete_io(tcp)?;
    }
    let _ = tcp.set_read_timeout(None);
    Ok(conn)
}

/// Without the feature `tls`: a stand-in for rustls' `ServerConnection`
/// that cannot exist, so `Control`'s TLS paths compile unchanged and are
/// unreachable (its `tls` is always `None`).
#[cfg(not(feature = "tls"))]
mod no_tls {
    use std::io::{self, Read, Write};

    /// No TLS connection can exist.
    #[derive(Debug)]
    pub(crate) enum ServerConnection {}

    impl ServerConnection {
        pub(crate) fn is_handshaking(&self) -> bool {
            match *self {}
        }
        pub(crate) fn wants_write(&self) -> bool {
            match *self {}
        }
        pub(crate) fn send_close_notify(&mut self) {
            match *self {}
        }
        pub(crate) fn reader(&mut self) -> &mut Self {
            self
        }
        pub(crate) fn writer(&mut self) -> &mut Self {
            self
        }
        pub(crate) fn read_tls(&mut self, _: &mut dyn Read) -> io::Result<usize> {
            match *self {}
        }
        pub(crate) fn write_tls(&mut self, _: &mut dyn Write) -> io::Result<usize> {
            match *self {}
        }
        pub(crate) fn process_new_packets(&mut self) -> io::Result<IoState> {
            match *self {}
        }
    }

    /// What `process_new_packets` tells (never, here).
    #[derive(Debug)]
    pub(crate) struct IoState;

    impl IoState {
        pub(crate) fn peer_has_closed(&self) -> bool {
            false
        }
    }

    impl Read for ServerConnection {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            match *self {}
        }
    }

    impl Write for ServerConnection {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            match *self {}
        }
        fn flush(&mut self) -> io::Result<()> {
            match *self {}
        }
    }
}
