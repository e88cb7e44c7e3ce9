//! Data connections: passive listeners within a port range, active
//! connects, TLS for `PROT P`, and the async byte pumps of a transfer that
//! runs as a task (rendered listings, storages without blocking handles, and
//! transfers beyond the thread limit; see [`super::transfer`]).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ftp_proto::ascii::{Inbound, Outbound};
use ftp_proto::data::Representation;
use ftp_proto::server::{ListingStyle, TransferOutcome};
use ftp_proto_std::auth::Permissions;
use ftp_proto_std::listing::{LISTING_BATCH, ListingWriter};
use ftp_proto_std::transfer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
#[cfg(feature = "tls")]
use tokio_rustls::rustls::HandshakeKind;

use super::ServerTls;
use crate::storage::{EntryBatches, Upload};

/// Size of the buffers an async transfer moves bytes through (two for a
/// download: one is read while the other is sent), allocated once per
/// transfer.
const TRANSFER_BUFFER: usize = 256 * 1024;

/// Binds a passive listener on `ip`: port 0 without a range; with one, from
/// a random port of the range, each port tried once (the shared
/// [`ftp_proto_std::net::bind_passive`]).
pub(crate) fn bind_passive(
    ip: IpAddr,
    range: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    ftp_proto_std::net::bind_passive(ip, range, bind_one)
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // SO_REUSEADDR: the server closes a data connection first, so the port
    // of each finished transfer sits in TIME_WAIT for a minute; without it
    // a passive range serves only that many transfers a minute. The kernel
    // still refuses a second listener on a port that has one.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1)
}

/// Connects to a client's active-mode address from the control
/// connection's local IP.
pub(crate) async fn connect_active(local: IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    let local = ftp_proto_std::net::active_bind_ip(local, addr);
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(addr).await
}

pub(crate) use ftp_proto_std::transfer::Job;

/// How a `PROT P` transfer asks the session whether its TLS handshake is
/// acceptable: it reports whether the handshake resumed the control
/// connection's session, and waits for the engine's verdict
/// ([`ServerSession::data_secured`](ftp_proto::server::ServerSession::data_secured)).
#[cfg_attr(
    not(feature = "tls"),
    allow(dead_code, reason = "no TLS transfer exists without the feature")
)]
pub(crate) struct TlsCheck {
    pub(crate) resumed: oneshot::Sender<bool>,
    pub(crate) verdict: oneshot::Receiver<bool>,
}

/// Runs one transfer on an established data connection: TLS first when
/// `tls` is given (with `check` asking the engine about the handshake),
/// then the bytes, then the close (TLS `close_notify` included) so the
/// final reply follows the close.
pub(crate) async fn run<R, W, D>(
    stream: TcpStream,
    tls: Option<(&ServerTls, TlsCheck)>,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    limits: transfer::Limits,
) -> TransferOutcome
where
    R: AsyncRead + Unpin,
    W: Upload,
    D: EntryBatches,
{
    let Some((tls, check)) = tls else {
        return pump(stream, job, progress, false, limits.stall).await;
    };
    #[cfg(feature = "tls")]
    {
        let acceptor = if matches!(job, Job::Receive { .. }) {
            super::tls::upload_acceptor(tls)
        } else {
            super::tls::acceptor(tls)
        };
        // A client that connects and never says ClientHello must not hold
        // the session.
        let handshake = tokio::time::timeout(limits.handshake, acceptor.accept(stream));
        let Ok(Ok(stream)) = handshake.await else {
            tracing::info!("data connection TLS handshake failed or timed out");
            return TransferOutcome::TlsFailed;
        };
        let resumed = stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
        tracing::debug!(resumed, "data connection secured");
        let _ = check.resumed.send(resumed);
        if !check.verdict.await.unwrap_or(false) {
            tracing::info!(resumed, "data connection refused after the TLS handshake");
            close_politely(stream).await;
            return TransferOutcome::TlsFailed;
        }
        pump(stream, job, progress, true, limits.stall).await
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = (check, limits);
        match *tls {}
    }
}

/// Closes a TLS data connection that carries no data: `close_notify`, then
/// waits (briefly) for the peer's, so the client sees a clean end and reads
/// the reply on the control connection.
#[cfg(feature = "tls")]
async fn close_politely<T: AsyncRead + AsyncWrite + Unpin>(mut stream: T) {
    let linger = async {
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 512];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), linger).await;
}

/// What a transfer has moved, under the stall rule of
/// [`transfer::StallWatch`] (measured across calls: no single wait on the
/// peer goes past the current stall period's end, and a period ends
/// without [`transfer::STALL_MIN_PROGRESS`] bytes in it ends the transfer).
struct Moved<'a> {
    total: u64,
    watch: transfer::StallWatch<tokio::time::Instant>,
    progress: &'a AtomicU64,
}

impl Moved<'_> {
    fn new(stall: Duration, progress: &AtomicU64) -> Moved<'_> {
        Moved {
            total: 0,
            watch: transfer::StallWatch::new(tokio::time::Instant::now(), stall),
            progress,
        }
    }

    /// `n` more bytes moved.
    fn add(&mut self, n: usize) -> Result<(), TransferOutcome> {
        self.total = self.total.saturating_add(n as u64);
        self.progress.store(self.total, Ordering::Relaxed);
        self.watch
            .check(tokio::time::Instant::now(), self.total)
            .map_err(|transfer::Stalled| stalled(self.total))
    }

    /// Runs one call on the data connection, until the stall period ends.
    async fn within<F, T>(&self, io: F) -> Result<T, TransferOutcome>
    where
        F: Future<Output = io::Result<T>>,
    {
        match tokio::time::timeout_at(self.watch.deadline(), io).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(TransferOutcome::ConnectionLost),
            Err(_) => Err(stalled(self.total)),
        }
    }

    /// `write_all`, one write at a time so each counts as progress.
    async fn write_all<T: AsyncWrite + Unpin>(
        &mut self,
        stream: &mut T,
        mut buf: &[u8],
    ) -> Result<(), TransferOutcome> {
        while !buf.is_empty() {
            let n = self.within(stream.write(buf)).await?;
            if n == 0 {
                return Err(TransferOutcome::ConnectionLost);
            }
            buf = buf.get(n..).unwrap_or_default();
            self.add(n)?;
        }
        Ok(())
    }
}

fn stalled(bytes: u64) -> TransferOutcome {
    tracing::info!(bytes, "data connection stalled");
    TransferOutcome::ConnectionLost
}

async fn pump<T, R, W, D>(
    mut stream: T,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    tls: bool,
    stall: Duration,
) -> TransferOutcome
where
    T: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
    W: Upload,
    D: EntryBatches,
{
    let upload = matches!(job, Job::Receive { .. });
    let mut moved = Moved::new(stall, progress);
    let result = match job {
        Job::Listing(bytes) => moved.write_all(&mut stream, &bytes).await,
        Job::Directory {
            entries,
            style,
            permissions,
        } => send_directory(&mut stream, entries, style, permissions, &mut moved).await,
        Job::Send {
            reader,
            representation,
        } => send(&mut stream, reader, representation, &mut moved).await,
        Job::Receive {
            writer,
            representation,
        } => receive(&mut stream, writer, representation, &mut moved, tls).await,
    };
    match result {
        Ok(()) => {
            let bytes = moved.total;
            // The close comes before the reply (a client may take the 226 as
            // the end of the data): for TLS
            // this sends close_notify, then the TCP FIN. After an upload
            // every byte is in, whatever the close meets (a client that
            // closed first may have reset the connection).
            if moved.within(stream.shutdown()).await.is_err() && !upload {
                return TransferOutcome::ConnectionLost;
            }
            TransferOutcome::Complete { bytes }
        }
        Err(outcome) => outcome,
    }
}

/// A directory's entries to the data connection: read from the storage a
/// batch at a time, rendered into one bounded buffer (the shared
/// [`ListingWriter`]) that is written out, within the stall limit, whenever
/// it fills.
async fn send_directory<T, D>(
    stream: &mut T,
    mut entries: D,
    style: ListingStyle,
    permissions: Permissions,
    moved: &mut Moved<'_>,
) -> Result<(), TransferOutcome>
where
    T: AsyncWrite + Unpin,
    D: EntryBatches,
{
    let mut lines = ListingWriter::new(style, permissions);
    let mut batch = Vec::with_capacity(LISTING_BATCH);
    loop {
        entries
            .next_batch(&mut batch, LISTING_BATCH)
            .await
            .map_err(|e| ftp_proto_std::listing::read_error(&e))?;
        let end = batch.is_empty();
        for entry in batch.drain(..) {
            if lines.push(entry) {
                moved.write_all(stream, lines.pending()).await?;
                lines.clear();
            }
        }
        if end {
            return moved.write_all(stream, lines.pending()).await;
        }
    }
}

async fn send<T, R>(
    stream: &mut T,
    mut reader: R,
    representation: Representation,
    moved: &mut Moved<'_>,
) -> Result<(), TransferOutcome>
where
    T: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    // Two buffers: the next chunk is read from the file while the current
    // one is written to the socket (a file read is a trip to the blocking
    // pool; done one after the other they halve the throughput).
    let mut current = vec![0u8; TRANSFER_BUFFER];
    let mut next = vec![0u8; TRANSFER_BUFFER];
    let mut outbound = Outbound::new(representation, TRANSFER_BUFFER);
    let read_error = |e: io::Error| {
        tracing::warn!(error = %e, "reading the file failed");
        TransferOutcome::LocalError
    };
    let mut n = reader.read(&mut current).await.map_err(read_error)?;
    while n > 0 {
        let out = outbound.convert(current.get(..n).unwrap_or_default());
        let (read, written) = tokio::join!(reader.read(&mut next), moved.write_all(stream, out));
        written?;
        n = read.map_err(read_error)?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok(())
}

async fn receive<T, W>(
    stream: &mut T,
    mut writer: W,
    representation: Representation,
    moved: &mut Moved<'_>,
    tls: bool,
) -> Result<(), TransferOutcome>
where
    T: AsyncRead + Unpin,
    W: Upload,
{
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut inbound = Inbound::new(representation, TRANSFER_BUFFER);
    let write_error = |e: io::Error| transfer::write_error(&e);
    let mut eof = false;
    while !eof {
        // Fill the buffer before handing it to the file: socket reads return
        // a few tens of KiB at a time, and each file write is a trip to the
        // blocking pool (while it runs, the next chunk is read).
        let mut n = 0;
        while let Some(free) = buf.get_mut(n..).filter(|free| !free.is_empty()) {
            let Ok(read) = tokio::time::timeout_at(moved.watch.deadline(), stream.read(free)).await
            else {
                return Err(stalled(moved.total));
            };
            match read {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(read) => {
                    n += read;
                    moved.add(read)?;
                }
                // A TLS peer that closes TCP without close_notify: accepted,
                // as vsftpd does by default (many clients never send it).
                Err(e) if tls && e.kind() == io::ErrorKind::UnexpectedEof => {
                    tracing::debug!("data connection closed without TLS close_notify");
                    eof = true;
                    break;
                }
                Err(_) => return Err(TransferOutcome::ConnectionLost),
            }
        }
        if n == 0 {
            break;
        }
        let out = inbound.convert(buf.get(..n).unwrap_or_default());
        writer.write_all(out).await.map_err(write_error)?;
    }
    writer
        .write_all(inbound.finish())
        .await
        .map_err(write_error)?;
    // The data is handed to the operating system before `226` (flushed, not
    // fsynced: the durability every common FTP server gives).
    writer.flush().await.map_err(write_error)?;
    writer.shutdown().await.map_err(write_error)?;
    // Every byte is in: the upload takes its place before the reply (a
    // stopped transfer never gets here, its task is dropped, and with it
    // the upload, abandoned).
    writer
        .commit()
        .await
        .map_err(|e| transfer::commit_error(&e))
}

#[cfg(test)]
mod tests {
    use ftp_proto::listing::Facts;
    use ftp_proto::server::ListFormat;
    use ftp_proto::timestamp::Timestamp;

    use super::*;
    use crate::storage::{EntryInfo, EntryKind, StorageError};

    /// A directory of `count` entries that fails after them when `fails`.
    struct FakeDirectory {
        entries: std::ops::Range<u32>,
        fails: bool,
    }

    impl EntryBatches for FakeDirectory {
        async fn next_batch(
            &mut self,
            batch: &mut Vec<EntryInfo>,
            max: usize,
        ) -> Result<(), StorageError> {
            let names = self.entries.by_ref().take(max);
            batch.extend(names.map(|i| EntryInfo::new(format!("entry-{i:06}"), EntryKind::File)));
            if batch.is_empty() && self.fails {
                return Err(StorageError::Io(io::Error::other("disk went away")));
            }
            Ok(())
        }
    }

    type NoFile = tokio::io::Empty;

    /// The writer of a listing job: never written to.
    struct NoUpload;

    impl AsyncWrite for NoUpload {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    impl Upload for NoUpload {
        async fn commit(self) -> Result<(), StorageError> {
            Ok(())
        }
    }

    async fn list(
        directory: FakeDirectory,
        read: bool,
        stall: Duration,
    ) -> (TransferOutcome, Vec<u8>) {
        let (ours, mut peer) = tokio::io::duplex(4096);
        let style = ListingStyle::new(ListFormat::Names, Facts::DEFAULT, Timestamp::UNIX_EPOCH);
        let job: Job<NoFile, NoUpload, _> = Job::Directory {
            entries: directory,
            style,
            permissions: Permissions::FULL,
        };
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            if read {
                let _ = peer.read_to_end(&mut got).await;
            } else {
                // Holds the connection open without reading a byte.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop(peer);
            }
            got
        });
        let outcome = pump(ours, job, &AtomicU64::new(0), false, stall).await;
        if !read {
            reader.abort();
            return (outcome, Vec::new());
        }
        (outcome, reader.await.unwrap())
    }

    #[tokio::test]
    async fn a_directory_streams_batch_by_batch_to_the_end() {
        let directory = FakeDirectory {
            entries: 0..20_000,
            fails: false,
        };
        let (outcome, got) = list(directory, true, Duration::from_secs(60)).await;
        // Every line is `entry-NNNNNN` CRLF: 14 bytes, in order.
        assert_eq!(got.len(), 20_000 * 14);
        assert_eq!(outcome, TransferOutcome::Complete { bytes: 280_000 });
        for (i, line) in got.chunks(14).enumerate() {
            assert_eq!(line, format!("entry-{i:06}\r\n").as_bytes());
        }
    }

    #[tokio::test]
    async fn a_directory_read_error_midway_is_a_local_error_never_complete() {
        let directory = FakeDirectory {
            entries: 0..10_000,
            fails: true,
        };
        let (outcome, _) = list(directory, true, Duration::from_secs(60)).await;
        assert_eq!(outcome, TransferOutcome::LocalError);
    }

    #[tokio::test(start_paused = true)]
    async fn a_listing_nobody_reads_ends_at_the_stall_limit() {
        let directory = FakeDirectory {
            entries: 0..20_000,
            fails: false,
        };
        let started = tokio::time::Instant::now();
        let (outcome, _) = list(directory, false, Duration::from_secs(5)).await;
        assert_eq!(outcome, TransferOutcome::ConnectionLost);
        // The paused clock moved by the stall limit, not the peer's hour.
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
