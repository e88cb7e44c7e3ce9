//! The blocking data path of a transfer: one thread moves a file to or
//! from an established data connection (TLS for `PROT P` included) with
//! blocking reads and writes, then closes the connection so the final reply
//! can follow.
//!
//! Both servers use it: the blocking server runs every transfer this way,
//! and the tokio server runs transfers of files its storage can hand over
//! as blocking handles on a thread of their own (one thread doing `read`
//! then `write` moves a local file about twice as fast as async file I/O,
//! which hands every chunk to a thread pool and back).
//!
//! A transfer is stopped from another thread with a [`Stopper`]: it shuts
//! the data connection down, and the blocked read or write returns.

use std::any::Any;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ftp_proto::ascii::{Inbound, Outbound};
use ftp_proto::data::Representation;
use ftp_proto::server::{ListingStyle, TransferOutcome};
#[cfg(feature = "tls")]
use rustls::{HandshakeKind, ServerConnection, StreamOwned};

use crate::auth::Permissions;
use crate::listing::ListingWriter;
use crate::storage::{EntryResult, StorageError, Upload};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// Size of the buffer a blocking transfer moves bytes through (allocated
/// once per transfer, reused for every chunk). 1 MiB: measured against
/// 256 KiB, uploads of 1 GiB ran about 12 % faster (fewer, larger writes
/// into the page cache); downloads of files mostly go through `sendfile`.
pub const TRANSFER_BUFFER: usize = 1024 * 1024;

/// What a transfer moves. `D` is what a directory listing reads its
/// entries from (a storage's [`Entries`](crate::storage::Storage::Entries)).
#[derive(Debug)]
pub enum Job<R, W, D = std::iter::Empty<EntryResult>> {
    /// File → socket.
    Send {
        /// The file, positioned where the transfer starts.
        reader: R,
        /// `TYPE A`: line ends converted to CRLF on the way out.
        representation: Representation,
    },
    /// Socket → file.
    Receive {
        /// The file, positioned where the data goes; committed once every
        /// byte is in ([`Upload::commit`]), before the final reply.
        writer: W,
        /// `TYPE A`: CRLF converted to local line ends on the way in.
        representation: Representation,
    },
    /// Rendered listing → socket.
    Listing(bytes::Bytes),
    /// Directory → socket: the entries are read from the storage as they
    /// are sent, rendered into one bounded buffer
    /// ([`ListingWriter`]). A failed read ends the transfer as
    /// [`TransferOutcome::LocalError`].
    Directory {
        /// The directory's entries.
        entries: D,
        /// How the engine wants them rendered.
        style: ListingStyle,
        /// The user's rights, shown as MLSD `perm` facts.
        permissions: Permissions,
    },
}

/// Time limits of a data connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For the TLS handshake and the polite close.
    pub handshake: Duration,
    /// The stall limit: a transfer that moves less than
    /// [`STALL_MIN_PROGRESS`] bytes within this long has stalled and ends
    /// as [`TransferOutcome::ConnectionLost`] (see [`StallWatch`]).
    pub stall: Duration,
}

/// The least a transfer must move within one stall period to count as
/// progressing: 64 KiB (with the default 120 s limit, about 550 bytes a
/// second). A peer that takes or gives a byte now and then does not keep a
/// transfer (and its connection slot, thread and descriptors) alive.
pub const STALL_MIN_PROGRESS: u64 = 64 * 1024;

/// The stall rule of a transfer, measured across calls, not per call.
///
/// A transfer has stalled when, for a whole stall limit, it moved less than
/// [`STALL_MIN_PROGRESS`] bytes: each time it has moved that much since the
/// current period began, a new period begins. Progress is what the
/// operating system took or gave (bytes written into or read from the
/// socket). A single read or write is never waited for longer than the
/// rest of the current period, so however a peer doles out its bytes, a
/// transfer that falls below that rate ends within one stall limit of the
/// last period's start (plus one [`wake`](Self::wake) interval for the
/// blocking pump). Generic over the clock (`std` or tokio instants, so
/// tests can pause time).
#[derive(Debug, Clone, Copy)]
pub struct StallWatch<I = Instant> {
    stall: Duration,
    since: I,
    moved_at_since: u64,
}

/// A transfer moved too little for a whole stall limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the data connection stalled")]
pub struct Stalled;

impl<I> StallWatch<I>
where
    I: Copy + Ord + std::ops::Add<Duration, Output = I>,
{
    /// A watch whose first period begins `now`, with the stall limit `stall`.
    #[must_use]
    pub fn new(now: I, stall: Duration) -> Self {
        Self {
            stall,
            since: now,
            moved_at_since: 0,
        }
    }

    /// Notes that the transfer has moved `total` bytes by `now` (`total`
    /// never decreases). [`Stalled`] once the period has lasted the stall
    /// limit without [`STALL_MIN_PROGRESS`] bytes moved in it.
    ///
    /// # Errors
    /// [`Stalled`] as said.
    pub fn check(&mut self, now: I, total: u64) -> Result<(), Stalled> {
        if total.saturating_sub(self.moved_at_since) >= STALL_MIN_PROGRESS {
            self.since = now;
            self.moved_at_since = total;
            return Ok(());
        }
        if now >= self.deadline() {
            return Err(Stalled);
        }
        Ok(())
    }

    /// When the transfer counts as stalled unless it moves
    /// [`STALL_MIN_PROGRESS`] bytes before then: no wait on the peer goes
    /// past this.
    #[must_use]
    pub fn deadline(&self) -> I {
        self.since + self.stall
    }

    /// How often a blocking pump wakes up to check the watch when the peer
    /// takes or gives nothing (its socket timeout): a quarter of the stall
    /// limit, between 10 ms and 5 s.
    #[must_use]
    pub fn wake(&self) -> Duration {
        (self.stall / 4).clamp(Duration::from_millis(10), Duration::from_secs(5))
    }
}

/// Stops a transfer that runs on another thread.
///
/// The transfer registers its data connection with [`arm`](Self::arm)
/// (done by [`run`]); [`stop`](Self::stop) shuts that connection down in
/// both directions, so a read or write blocked on it returns at once and the
/// transfer ends. A stop that comes before the connection is registered is
/// remembered: the transfer then ends before it moves a byte.
#[derive(Debug, Default)]
pub struct Stopper {
    slot: Mutex<StopSlot>,
}

#[derive(Debug, Default)]
struct StopSlot {
    stopped: bool,
    socket: Option<TcpStream>,
}

impl Stopper {
    /// A stopper with nothing registered and no stop yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the data connection a stop must shut down. Returns
    /// `false` when the transfer was already stopped (nothing is registered
    /// then). When the handle cannot be duplicated (no descriptors left),
    /// the transfer goes on unregistered: a stop then ends it only through
    /// the data connection's time limits.
    pub fn arm(&self, stream: &TcpStream) -> bool {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.stopped {
            return false;
        }
        match stream.try_clone() {
            Ok(socket) => slot.socket = Some(socket),
            Err(e) => tracing::warn!(error = %e, "transfer cannot be stopped early"),
        }
        true
    }

    /// Whether [`stop`](Self::stop) was called.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped
    }

    /// Stops the transfer: shuts its data connection down (if registered)
    /// and makes every later [`arm`](Self::arm) fail. Does not wait.
    pub fn stop(&self) {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.stopped = true;
        if let Some(socket) = slot.socket.take() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Runs one transfer on an established data connection, blocking the
/// calling thread: TLS first when `tls` is given, then the bytes, then the
/// close (TLS `close_notify` included) so the final reply follows the
/// close. An upload is committed ([`Upload::commit`]: a file written beside
/// its final name is renamed into place) after its last byte and before
/// the close, unless `stopper` stopped it (a stop reads as the end of the
/// data; the upload is then dropped, abandoned). A binary download of a [`File`] over a plain connection goes
/// through `sendfile(2)` on Linux (no copy through user space). `progress` holds the bytes moved so far;
/// `stopper` can end the
/// transfer from another thread ([`TransferOutcome::Aborted`] when it did
/// so before the first byte).
///
/// With TLS, `check` is told whether the handshake resumed the control
/// connection's session and answers whether the transfer may go on: the
/// engine's verdict
/// ([`ServerSession::data_secured`](ftp_proto::server::ServerSession::data_secured)).
/// Feature `tls`; [`run_plain`] is the same without TLS.
#[cfg(feature = "tls")]
pub fn run<R, W, D, C>(
    stream: TcpStream,
    stopper: &Stopper,
    tls: Option<(&TlsConfig, C)>,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome
where
    R: Read + 'static,
    W: Upload,
    D: Iterator<Item = EntryResult>,
    C: FnOnce(bool) -> bool,
{
    let Some((tls, check)) = tls else {
        return run_plain(stream, stopper, job, progress, limits);
    };
    if !stopper.arm(&stream) {
        return TransferOutcome::Aborted;
    }
    // The socket timeouts only wake the pump up to check the stall rule,
    // which is measured across calls (see `StallWatch`).
    let wake = StallWatch::new(Instant::now(), limits.stall).wake();
    set_timeouts(&stream, limits.handshake);
    let config = if matches!(job, Job::Receive { .. }) {
        tls.upload_rustls_config()
    } else {
        tls.rustls_config()
    };
    let Ok(conn) = ServerConnection::new(std::sync::Arc::clone(config)) else {
        return TransferOutcome::LocalError;
    };
    let mut secured = StreamOwned::new(conn, stream);
    while secured.conn.is_handshaking() {
        if secured.conn.complete_io(&mut secured.sock).is_err() {
            tracing::info!("data connection TLS handshake failed");
            return TransferOutcome::TlsFailed;
        }
    }
    let resumed = secured.conn.handshake_kind() == Some(HandshakeKind::Resumed);
    tracing::debug!(resumed, "data connection secured");
    if !check(resumed) {
        tracing::info!(resumed, "data connection refused after the TLS handshake");
        close_politely(secured, limits.handshake);
        return TransferOutcome::TlsFailed;
    }
    set_timeouts(&secured.sock, wake);
    pump(Secured(secured), job, progress, limits.stall, stopper)
}

/// A data connection's TLS settings inside the crate: [`TlsConfig`] with
/// the feature `tls`, an empty type without it (so an `Option` of it is
/// always `None` and the TLS paths are unreachable).
#[cfg(all(feature = "blocking", feature = "tls"))]
pub(crate) type DataTls = TlsConfig;
/// A data connection's TLS settings inside the crate: none can exist, the
/// crate is built without the feature `tls`.
#[cfg(all(any(feature = "blocking", test), not(feature = "tls")))]
#[derive(Debug, Clone)]
pub(crate) enum DataTls {}

/// [`run`] in every build: with TLS when the feature `tls` gives settings,
/// else [`run_plain`].
#[cfg(any(feature = "blocking", all(test, not(feature = "tls"))))]
pub(crate) fn run_any<R, W, D, C>(
    stream: TcpStream,
    stopper: &Stopper,
    tls: Option<(&DataTls, C)>,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome
where
    R: Read + 'static,
    W: Upload,
    D: Iterator<Item = EntryResult>,
    C: FnOnce(bool) -> bool,
{
    #[cfg(feature = "tls")]
    return run(stream, stopper, tls, job, progress, limits);
    #[cfg(not(feature = "tls"))]
    {
        if let Some((tls, _)) = tls {
            match *tls {}
        }
        run_plain(stream, stopper, job, progress, limits)
    }
}

/// Runs one transfer on a plain (clear-text) data connection: [`run`]
/// without TLS, the one form that exists without the feature `tls`.
pub fn run_plain<R, W, D>(
    stream: TcpStream,
    stopper: &Stopper,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome
where
    R: Read + 'static,
    W: Upload,
    D: Iterator<Item = EntryResult>,
{
    if !stopper.arm(&stream) {
        return TransferOutcome::Aborted;
    }
    // The socket timeouts only wake the pump up to check the stall rule,
    // which is measured across calls (see `StallWatch`).
    set_timeouts(
        &stream,
        StallWatch::new(Instant::now(), limits.stall).wake(),
    );
    pump(Plain(stream), job, progress, limits.stall, stopper)
}

/// Sets both socket timeouts of `stream` to `d`.
fn set_timeouts(stream: &TcpStream, d: Duration) {
    let _ = stream.set_read_timeout(Some(d));
    let _ = stream.set_write_timeout(Some(d));
}

/// A data connection, plain or TLS, with the close the protocol needs.
trait DataStream: Read + Write {
    /// `close_notify` (TLS) then the TCP FIN.
    fn close(&mut self) -> io::Result<()>;
    /// Whether a TCP close without `close_notify` is a clean end here.
    fn lenient_eof(&self) -> bool;
    /// The socket itself when the bytes go to it unchanged (no TLS).
    fn plain_socket(&mut self) -> Option<&mut TcpStream>;
    /// The socket under the stream (for its timeouts).
    fn socket(&self) -> &TcpStream;
}

struct Plain(TcpStream);

impl Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Plain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl DataStream for Plain {
    fn close(&mut self) -> io::Result<()> {
        self.0.shutdown(std::net::Shutdown::Write)
    }
    fn lenient_eof(&self) -> bool {
        false
    }
    fn plain_socket(&mut self) -> Option<&mut TcpStream> {
        Some(&mut self.0)
    }
    fn socket(&self) -> &TcpStream {
        &self.0
    }
}

#[cfg(feature = "tls")]
struct Secured(StreamOwned<ServerConnection, TcpStream>);

#[cfg(feature = "tls")]
impl Read for Secured {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(feature = "tls")]
impl Write for Secured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(feature = "tls")]
impl DataStream for Secured {
    fn close(&mut self) -> io::Result<()> {
        self.0.conn.send_close_notify();
        self.0.flush()?;
        self.0.sock.shutdown(std::net::Shutdown::Write)
    }
    fn lenient_eof(&self) -> bool {
        // A TLS peer that closes TCP without close_notify: accepted, as
        // vsftpd does by default (many clients never send it).
        true
    }
    fn plain_socket(&mut self) -> Option<&mut TcpStream> {
        None
    }
    fn socket(&self) -> &TcpStream {
        &self.0.sock
    }
}

#[cfg(feature = "tls")]
/// Closes a TLS data connection that carries no data: `close_notify`, then
/// waits (briefly) for the peer's, so the client sees a clean end and reads
/// the reply on the control connection.
fn close_politely(stream: StreamOwned<ServerConnection, TcpStream>, limit: Duration) {
    let mut stream = Secured(stream);
    let _ = stream.close();
    let until = Instant::now() + limit;
    let mut sink = [0u8; 512];
    while Instant::now() < until && matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// What a transfer has moved, checked against the stall rule after every
/// call on the data connection.
struct Moved<'a> {
    total: u64,
    watch: StallWatch,
    progress: &'a AtomicU64,
}

impl Moved<'_> {
    /// `n` more bytes moved.
    fn add(&mut self, n: usize) -> Result<(), TransferOutcome> {
        self.total = self.total.saturating_add(n as u64);
        self.progress.store(self.total, Ordering::Relaxed);
        self.waited()
    }

    /// A call on the data connection returned (maybe by its timeout):
    /// [`TransferOutcome::ConnectionLost`] once the transfer has stalled.
    fn waited(&mut self) -> Result<(), TransferOutcome> {
        self.watch
            .check(Instant::now(), self.total)
            .map_err(|Stalled| {
                tracing::info!(bytes = self.total, "data connection stalled");
                TransferOutcome::ConnectionLost
            })
    }

    /// The rest of the current stall period (at least 1 ms).
    fn remaining(&self) -> Duration {
        self.watch
            .deadline()
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    }
}

/// Whether a call on the data connection returned by its socket timeout.
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// `write_all` under the stall rule: a write that times out is retried
/// until the transfer has stalled.
fn write_all<T: DataStream>(
    stream: &mut T,
    mut buf: &[u8],
    moved: &mut Moved<'_>,
) -> Result<(), TransferOutcome> {
    while !buf.is_empty() {
        match stream.write(buf) {
            Ok(0) => return Err(TransferOutcome::ConnectionLost),
            Ok(n) => {
                buf = buf.get(n..).unwrap_or_default();
                moved.add(n)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => moved.waited()?,
            Err(_) => return Err(TransferOutcome::ConnectionLost),
        }
    }
    Ok(())
}

/// `flush` under the stall rule (TLS records still to go out).
fn flush<T: DataStream>(stream: &mut T, moved: &mut Moved<'_>) -> Result<(), TransferOutcome> {
    loop {
        match stream.flush() {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if timed_out(&e) => moved.waited()?,
            Err(_) => return Err(TransferOutcome::ConnectionLost),
        }
    }
}

fn pump<T: DataStream, R: Read + 'static, W: Upload, D: Iterator<Item = EntryResult>>(
    mut stream: T,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    stall: Duration,
    stopper: &Stopper,
) -> TransferOutcome {
    let upload = matches!(job, Job::Receive { .. });
    let mut moved = Moved {
        total: 0,
        watch: StallWatch::new(Instant::now(), stall),
        progress,
    };
    let result = match job {
        Job::Listing(bytes) => write_all(&mut stream, &bytes, &mut moved),
        Job::Directory {
            entries,
            style,
            permissions,
        } => send_directory(&mut stream, entries, style, permissions, &mut moved),
        Job::Send {
            reader,
            representation,
        } => send(&mut stream, reader, representation, &mut moved),
        Job::Receive {
            writer,
            representation,
        } => receive(&mut stream, writer, representation, &mut moved).and_then(|writer| {
            // A stop (ABOR, the session's end) shuts the connection down,
            // which reads as the end of the data: such an upload is not
            // complete and must not replace anything.
            if stopper.is_stopped() {
                return Err(TransferOutcome::Aborted);
            }
            writer.commit().map_err(|e| commit_error(&e))
        }),
    };
    match result {
        Ok(()) => {
            let bytes = moved.total;
            // The close comes before the reply (a client may take the 226 as
            // the end of the data). After an
            // upload every byte is in, whatever the close meets: a client
            // that closed with unread TLS session tickets resets the
            // connection, and our close_notify then fails. The close too
            // waits no longer than the stall period's rest.
            let rest = Some(moved.remaining());
            let _ = stream.socket().set_read_timeout(rest);
            let _ = stream.socket().set_write_timeout(rest);
            if stream.close().is_err() && !upload {
                return TransferOutcome::ConnectionLost;
            }
            TransferOutcome::Complete { bytes }
        }
        Err(outcome) => outcome,
    }
}

/// A directory's entries to the data connection, rendered into one bounded
/// buffer that is written out whenever it fills.
fn send_directory<T: DataStream, D: Iterator<Item = EntryResult>>(
    stream: &mut T,
    entries: D,
    style: ListingStyle,
    permissions: Permissions,
    moved: &mut Moved<'_>,
) -> Result<(), TransferOutcome> {
    let mut lines = ListingWriter::new(style, permissions);
    for entry in entries {
        let entry = entry.map_err(|e| crate::listing::read_error(&e))?;
        if lines.push(entry) {
            write_all(stream, lines.pending(), moved)?;
            lines.clear();
        }
    }
    write_all(stream, lines.pending(), moved)?;
    flush(stream, moved)
}

fn send<T: DataStream, R: Read + 'static>(
    stream: &mut T,
    mut reader: R,
    representation: Representation,
    moved: &mut Moved<'_>,
) -> Result<(), TransferOutcome> {
    if representation == Representation::Binary {
        let file = (&mut reader as &mut dyn Any).downcast_mut::<File>();
        if let (Some(socket), Some(file)) = (stream.plain_socket(), file)
            && let Some(sent) = send_file(socket, file, moved)
        {
            return sent;
        }
    }
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut outbound = Outbound::new(representation, TRANSFER_BUFFER);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(error = %e, "reading the file failed");
                return Err(TransferOutcome::LocalError);
            }
        };
        let out = outbound.convert(buf.get(..n).unwrap_or_default());
        write_all(stream, out, moved)?;
    }
    flush(stream, moved)
}

/// How much of a file one `sendfile(2)` call is asked for (the progress is
/// updated between two).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEND_FILE_CHUNK: usize = TRANSFER_BUFFER;

/// A local file to a plain data connection in binary with `sendfile(2)`:
/// the bytes go from the page cache to the socket without a copy through
/// user space, from the file's current position (where `REST` put it).
/// `None` when the file system cannot do it (nothing was sent then): the
/// caller copies through a buffer instead.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_file(
    socket: &mut TcpStream,
    file: &mut File,
    moved: &mut Moved<'_>,
) -> Option<Result<(), TransferOutcome>> {
    let mut sent = 0u64;
    loop {
        // The socket timeout (the watch's wake interval) ends a call that
        // waits on the peer: with what it sent so far, or with EAGAIN.
        match rustix::fs::sendfile(&*socket, &*file, None, SEND_FILE_CHUNK) {
            Ok(0) => return Some(Ok(())),
            Ok(n) => {
                sent = sent.saturating_add(n as u64);
                if let Err(stalled) = moved.add(n) {
                    return Some(Err(stalled));
                }
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => {
                if let Err(stalled) = moved.waited() {
                    return Some(Err(stalled));
                }
            }
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) if sent == 0 => return None,
            // One call moves both ways: the error says which side failed.
            Err(errno) => {
                let e = io::Error::from(errno);
                if is_connection_error(&e) {
                    return Some(Err(TransferOutcome::ConnectionLost));
                }
                tracing::warn!(error = %e, "reading the file failed");
                return Some(Err(TransferOutcome::LocalError));
            }
        }
    }
}

/// Elsewhere files are copied through a buffer like any reader.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn send_file(
    _socket: &mut TcpStream,
    _file: &mut File,
    _moved: &mut Moved<'_>,
) -> Option<Result<(), TransferOutcome>> {
    None
}

/// Whether `e` is the data connection's failure (the peer left, reset or
/// stalled past the limit) rather than the file's.
fn is_connection_error(e: &io::Error) -> bool {
    use io::ErrorKind::{
        BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected, TimedOut, WouldBlock,
        WriteZero,
    };
    matches!(
        e.kind(),
        BrokenPipe
            | ConnectionAborted
            | ConnectionReset
            | NotConnected
            | TimedOut
            | WouldBlock
            | WriteZero
    )
}

/// The outcome of a transfer whose file write failed with `e` (logged):
/// [`TransferOutcome::StorageFull`] for a full disk, quota or file size
/// limit, else [`TransferOutcome::LocalError`].
pub fn write_error(e: &io::Error) -> TransferOutcome {
    tracing::warn!(error = %e, "writing the file failed");
    if matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    ) {
        TransferOutcome::StorageFull
    } else {
        TransferOutcome::LocalError
    }
}

/// The outcome of a transfer whose upload could not be committed (logged):
/// as for a write error ([`write_error`]).
pub fn commit_error(e: &StorageError) -> TransferOutcome {
    match e {
        StorageError::Io(io) => write_error(io),
        StorageError::NoSpace => TransferOutcome::StorageFull,
        other => {
            tracing::warn!(error = %other, "committing the upload failed");
            TransferOutcome::LocalError
        }
    }
}

/// The file's bytes from the data connection; the writer back, flushed.
fn receive<T: DataStream, W: Write>(
    stream: &mut T,
    mut writer: W,
    representation: Representation,
    moved: &mut Moved<'_>,
) -> Result<W, TransferOutcome> {
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut inbound = Inbound::new(representation, TRANSFER_BUFFER);
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if timed_out(&e) => {
                moved.waited()?;
                continue;
            }
            Err(e) if stream.lenient_eof() && e.kind() == io::ErrorKind::UnexpectedEof => {
                tracing::debug!("data connection closed without TLS close_notify");
                break;
            }
            Err(_) => return Err(TransferOutcome::ConnectionLost),
        };
        moved.add(n)?;
        let out = inbound.convert(buf.get(..n).unwrap_or_default());
        writer.write_all(out).map_err(|e| write_error(&e))?;
    }
    writer
        .write_all(inbound.finish())
        .map_err(|e| write_error(&e))?;
    // Handed to the operating system before `226` (flushed, not fsynced:
    // the durability every common FTP server gives).
    writer.flush().map_err(|e| write_error(&e))?;
    Ok(writer)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::Arc;

    use super::*;

    const LIMITS: Limits = Limits {
        handshake: Duration::from_secs(60),
        stall: Duration::from_secs(60),
    };

    /// A connected pair on loopback: (the transfer's end, the peer's end).
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (ours, _) = listener.accept().unwrap();
        (ours, peer)
    }

    type NoCheck = fn(bool) -> bool;

    /// Without the feature `tls`, the tests call [`run_any`] as `run`: no
    /// TLS settings exist, so the plain transfer.
    #[cfg(not(feature = "tls"))]
    use super::{DataTls as TlsConfig, run_any as run};

    fn receive_into(
        stream: TcpStream,
        stopper: &Stopper,
        out: &mut Vec<u8>,
        representation: Representation,
    ) -> TransferOutcome {
        let job: Job<io::Empty, _> = Job::Receive {
            writer: out,
            representation,
        };
        run(
            stream,
            stopper,
            None::<(&TlsConfig, NoCheck)>,
            job,
            &AtomicU64::new(0),
            LIMITS,
        )
    }

    #[test]
    fn receives_every_byte_then_completes() {
        let (ours, mut peer) = pair();
        let sender = std::thread::spawn(move || {
            let chunk: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
            for _ in 0..20 {
                peer.write_all(&chunk).unwrap();
            }
        });
        let mut out = Vec::new();
        let outcome = receive_into(ours, &Stopper::new(), &mut out, Representation::Binary);
        sender.join().unwrap();
        assert_eq!(outcome, TransferOutcome::Complete { bytes: 2_000_000 });
        assert_eq!(out.len(), 2_000_000);
        assert!(
            out.chunks(100_000)
                .all(|c| c.iter().copied().eq((0..=255u8).cycle().take(100_000)))
        );
    }

    #[test]
    fn ascii_uploads_get_local_line_ends() {
        let (ours, mut peer) = pair();
        peer.write_all(b"one\r\ntwo\r\n").unwrap();
        drop(peer);
        let mut out = Vec::new();
        let outcome = receive_into(ours, &Stopper::new(), &mut out, Representation::Ascii);
        assert!(matches!(outcome, TransferOutcome::Complete { .. }));
        assert_eq!(out, b"one\ntwo\n");
    }

    fn send_and_collect<R: Read + 'static>(
        reader: R,
        representation: Representation,
    ) -> (TransferOutcome, u64, Vec<u8>) {
        let (ours, mut peer) = pair();
        let collector = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).unwrap();
            got
        });
        let job: Job<R, io::Sink> = Job::Send {
            reader,
            representation,
        };
        let progress = AtomicU64::new(0);
        let outcome = run(
            ours,
            &Stopper::new(),
            None::<(&TlsConfig, NoCheck)>,
            job,
            &progress,
            LIMITS,
        );
        (
            outcome,
            progress.load(Ordering::Relaxed),
            collector.join().unwrap(),
        )
    }

    #[test]
    fn sends_a_reader_and_closes() {
        let file = vec![7u8; 300_000];
        let (outcome, progress, got) =
            send_and_collect(io::Cursor::new(file.clone()), Representation::Binary);
        assert_eq!(outcome, TransferOutcome::Complete { bytes: 300_000 });
        assert_eq!(progress, 300_000);
        assert_eq!(got, file);
        let (outcome, _, got) =
            send_and_collect(io::Cursor::new(b"a\nb\n".to_vec()), Representation::Ascii);
        assert_eq!(outcome, TransferOutcome::Complete { bytes: 6 });
        assert_eq!(got, b"a\r\nb\r\n");
    }

    #[test]
    fn sends_a_file_in_binary_whole_and_from_an_offset() {
        // More than one sendfile chunk, not a multiple of it.
        let len = 9 * 1024 * 1024 + 123;
        let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, &content).unwrap();
        let (outcome, progress, got) =
            send_and_collect(File::open(&path).unwrap(), Representation::Binary);
        assert_eq!(outcome, TransferOutcome::Complete { bytes: len as u64 });
        assert_eq!(progress, len as u64);
        assert!(got == content);
        // A file positioned by REST is sent from there.
        let mut file = File::open(&path).unwrap();
        io::Seek::seek(&mut file, io::SeekFrom::Start(1_000_000)).unwrap();
        let (outcome, _, got) = send_and_collect(file, Representation::Binary);
        assert_eq!(
            outcome,
            TransferOutcome::Complete {
                bytes: len as u64 - 1_000_000
            }
        );
        assert!(got[..] == content[1_000_000..]);
        // In ASCII the file goes through the converter.
        std::fs::write(&path, b"x\ny\n").unwrap();
        let (_, _, got) = send_and_collect(File::open(&path).unwrap(), Representation::Ascii);
        assert_eq!(got, b"x\r\ny\r\n");
    }

    #[test]
    fn a_file_download_to_a_vanished_peer_is_a_lost_connection() {
        let (ours, peer) = pair();
        drop(peer);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![1u8; 8 * 1024 * 1024]).unwrap();
        let job: Job<File, io::Sink> = Job::Send {
            reader: File::open(&path).unwrap(),
            representation: Representation::Binary,
        };
        let outcome = run(
            ours,
            &Stopper::new(),
            None::<(&TlsConfig, NoCheck)>,
            job,
            &AtomicU64::new(0),
            LIMITS,
        );
        assert_eq!(outcome, TransferOutcome::ConnectionLost);
    }

    fn entry(name: String) -> EntryResult {
        let kind = crate::storage::EntryKind::File;
        Ok(crate::storage::EntryInfo::new(name, kind))
    }

    fn send_directory_and_collect(
        entries: impl Iterator<Item = EntryResult> + 'static,
    ) -> (TransferOutcome, Vec<u8>) {
        let (ours, mut peer) = pair();
        let collector = std::thread::spawn(move || {
            let mut got = Vec::new();
            let _ = peer.read_to_end(&mut got);
            got
        });
        let style = ListingStyle::new(
            ftp_proto::server::ListFormat::Names,
            ftp_proto::listing::Facts::DEFAULT,
            ftp_proto::timestamp::Timestamp::UNIX_EPOCH,
        );
        let job: Job<io::Empty, io::Sink, _> = Job::Directory {
            entries,
            style,
            permissions: Permissions::FULL,
        };
        let outcome = run(
            ours,
            &Stopper::new(),
            None::<(&TlsConfig, NoCheck)>,
            job,
            &AtomicU64::new(0),
            LIMITS,
        );
        (outcome, collector.join().unwrap())
    }

    #[test]
    fn a_directory_is_sent_whole_through_a_bounded_buffer() {
        let (outcome, got) =
            send_directory_and_collect((0..20_000).map(|i| entry(format!("entry-{i:06}"))));
        let expected: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("entry-{i:06}\r\n").into_bytes())
            .collect();
        assert_eq!(
            outcome,
            TransferOutcome::Complete {
                bytes: expected.len() as u64
            }
        );
        assert!(got == expected, "{} bytes", got.len());
    }

    #[test]
    fn a_directory_read_error_midway_is_a_local_error_never_complete() {
        let failing = (0..10_000)
            .map(|i| entry(format!("entry-{i:06}")))
            .chain(std::iter::once(Err(StorageError::Io(io::Error::other(
                "disk went away",
            )))));
        let (outcome, got) = send_directory_and_collect(failing);
        assert_eq!(outcome, TransferOutcome::LocalError);
        // What was rendered before the error may have gone out; the
        // outcome (451) says the listing is not whole.
        assert!(got.len() < 10_000 * 14);
    }

    /// The stall limit of the stall tests (short; the assertions allow
    /// three times it).
    const SHORT: Limits = Limits {
        handshake: Duration::from_secs(5),
        stall: Duration::from_secs(1),
    };

    /// Runs a download of `reader` to a peer that connects and never reads:
    /// the outcome and how long it took.
    fn download_to_a_peer_that_never_reads<R: Read + 'static>(
        reader: R,
        representation: Representation,
    ) -> (TransferOutcome, Duration) {
        let (ours, peer) = pair();
        let job: Job<R, io::Sink> = Job::Send {
            reader,
            representation,
        };
        let timed = timed_run(ours, job);
        drop(peer);
        timed
    }

    /// Runs `job` on `stream` with the short limits: the outcome and how
    /// long it took.
    fn timed_run<R: Read + 'static, W: Upload>(
        stream: TcpStream,
        job: Job<R, W>,
    ) -> (TransferOutcome, Duration) {
        let started = Instant::now();
        let outcome = run(
            stream,
            &Stopper::new(),
            None::<(&TlsConfig, NoCheck)>,
            job,
            &AtomicU64::new(0),
            SHORT,
        );
        (outcome, started.elapsed())
    }

    #[test]
    fn a_download_nobody_reads_ends_within_the_stall_limit() {
        // More than loopback's socket buffers take (a few MiB each way).
        let len = 48 * 1024 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![3u8; len]).unwrap();
        // sendfile, then the buffered path (ASCII goes through the
        // converter), then a reader that is no file.
        let outcomes = [
            (
                "sendfile",
                download_to_a_peer_that_never_reads(
                    File::open(&path).unwrap(),
                    Representation::Binary,
                ),
            ),
            (
                "ascii",
                download_to_a_peer_that_never_reads(
                    File::open(&path).unwrap(),
                    Representation::Ascii,
                ),
            ),
            (
                "buffered",
                download_to_a_peer_that_never_reads(
                    io::Cursor::new(vec![3u8; len]),
                    Representation::Binary,
                ),
            ),
        ];
        for (name, (outcome, took)) in outcomes {
            assert_eq!(outcome, TransferOutcome::ConnectionLost, "{name}");
            assert!(took < SHORT.stall * 3, "{name}: {took:?}");
        }
    }

    #[test]
    fn an_upload_trickled_a_byte_at_a_time_stalls() {
        // One byte every 50 ms: each read makes progress, but far less
        // than the stall rule asks for. Under a per-call limit the upload
        // would run as long as the trickle (4 s) and then complete.
        let (ours, mut peer) = pair();
        let trickle = std::thread::spawn(move || {
            for _ in 0..80 {
                if peer.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let job: Job<io::Empty, _> = Job::Receive {
            writer: Vec::new(),
            representation: Representation::Binary,
        };
        let (outcome, took) = timed_run(ours, job);
        trickle.join().unwrap();
        assert_eq!(outcome, TransferOutcome::ConnectionLost);
        assert!(took < SHORT.stall * 3, "{took:?}");
    }

    #[test]
    fn the_stall_rule_asks_for_enough_bytes_per_period() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut watch = StallWatch::new(t0, s(10));
        assert_eq!(watch.deadline(), t0 + s(10));
        // Trickles do not move the period on.
        assert_eq!(watch.check(t0 + s(5), 10), Ok(()));
        assert_eq!(watch.check(t0 + s(9), STALL_MIN_PROGRESS - 1), Ok(()));
        assert_eq!(
            watch.check(t0 + s(10), STALL_MIN_PROGRESS - 1),
            Err(Stalled)
        );
        // Enough bytes start a new period.
        let mut watch = StallWatch::new(t0, s(10));
        assert_eq!(watch.check(t0 + s(9), STALL_MIN_PROGRESS), Ok(()));
        assert_eq!(watch.deadline(), t0 + s(19));
        assert_eq!(watch.check(t0 + s(18), STALL_MIN_PROGRESS + 1), Ok(()));
        assert_eq!(
            watch.check(t0 + s(19), STALL_MIN_PROGRESS + 1),
            Err(Stalled)
        );
        assert_eq!(watch.wake(), Duration::from_millis(2500));
        assert_eq!(StallWatch::new(t0, s(120)).wake(), s(5));
    }

    #[test]
    fn a_stop_before_the_start_ends_it_unmoved() {
        let (ours, _peer) = pair();
        let stopper = Stopper::new();
        stopper.stop();
        let mut out = Vec::new();
        assert_eq!(
            receive_into(ours, &stopper, &mut out, Representation::Binary),
            TransferOutcome::Aborted
        );
    }

    #[test]
    fn a_stop_unblocks_a_transfer_waiting_for_bytes() {
        // The peer sends a little, then nothing: without the stop the
        // transfer would wait for the 60 s stall limit.
        let (ours, mut peer) = pair();
        peer.write_all(b"partial").unwrap();
        let stopper = Arc::new(Stopper::new());
        let stop = Arc::clone(&stopper);
        let transfer = std::thread::spawn(move || {
            let mut out = Vec::new();
            let outcome = receive_into(ours, &stop, &mut out, Representation::Binary);
            (outcome, out)
        });
        // Wait (bounded) until the transfer has registered its connection.
        for _ in 0..1000 {
            if stopper.slot.lock().unwrap().socket.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        stopper.stop();
        let (outcome, out) = transfer.join().unwrap();
        // A shut-down socket reads as an end of data, but a stopped upload
        // is not complete: it is not committed. Without the stop the
        // transfer would have ended by the 60 s stall limit instead, as
        // ConnectionLost.
        assert_eq!(outcome, TransferOutcome::Aborted);
        assert!(out.is_empty() || out == b"partial");
        drop(peer);
    }

    /// An upload that records whether it was committed, and can refuse.
    struct Recorded {
        committed: Arc<std::sync::atomic::AtomicBool>,
        refuse: bool,
    }

    impl Write for Recorded {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Upload for Recorded {
        fn commit(self) -> Result<(), StorageError> {
            if self.refuse {
                return Err(StorageError::Io(io::Error::other("rename failed")));
            }
            self.committed.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    fn upload_recorded(peer_sends: &'static [u8], refuse: bool) -> (TransferOutcome, bool) {
        let (ours, mut peer) = pair();
        peer.write_all(peer_sends).unwrap();
        drop(peer);
        let committed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let job: Job<io::Empty, _> = Job::Receive {
            writer: Recorded {
                committed: Arc::clone(&committed),
                refuse,
            },
            representation: Representation::Binary,
        };
        let (outcome, _) = timed_run(ours, job);
        (outcome, committed.load(Ordering::SeqCst))
    }

    #[test]
    fn a_complete_upload_is_committed_before_the_outcome() {
        assert_eq!(
            upload_recorded(b"all of it", false),
            (TransferOutcome::Complete { bytes: 9 }, true)
        );
    }

    #[test]
    fn an_upload_that_cannot_take_its_place_is_a_local_error() {
        assert_eq!(
            upload_recorded(b"all of it", true),
            (TransferOutcome::LocalError, false)
        );
    }

    // The tests' writers: nothing to commit.
    impl Upload for &mut Vec<u8> {
        fn commit(self) -> Result<(), StorageError> {
            Ok(())
        }
    }

    impl Upload for Vec<u8> {
        fn commit(self) -> Result<(), StorageError> {
            Ok(())
        }
    }

    impl Upload for io::Sink {
        fn commit(self) -> Result<(), StorageError> {
            Ok(())
        }
    }
}
