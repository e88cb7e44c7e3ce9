//! Data connections: passive listeners within a port range, active
//! connects, TLS for `PROT P`, and the byte pumps of a transfer.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use ftp_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftp_proto::server::TransferOutcome;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
#[cfg(feature = "tls")]
use tokio_rustls::rustls::HandshakeKind;

use super::ServerTls;

/// Size of the buffer a transfer moves bytes through (allocated once per
/// transfer, reused for every chunk).
pub(crate) const TRANSFER_BUFFER: usize = 256 * 1024;

/// A random-ish number without a dependency: std's per-process random hash keys.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// Binds a passive listener on `ip`: port 0 without a range; with one, from
/// a random port of the range, each port tried once.
pub(crate) fn bind_passive(
    ip: IpAddr,
    range: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    let Some(range) = range else {
        return bind_one(SocketAddr::new(ip, 0));
    };
    let (low, high) = (*range.start(), *range.end());
    let count = u64::from(high.saturating_sub(low)) + 1;
    let start = random_u64() % count;
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "passive port range exhausted");
    for i in 0..count {
        let offset = u16::try_from((start + i) % count).unwrap_or(0);
        let port = low.saturating_add(offset);
        match bind_one(SocketAddr::new(ip, port)) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // No SO_REUSEADDR: a port still in TIME_WAIT from a previous transfer
    // must not be handed to a second listener.
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
    let local = match (local.to_canonical(), addr.ip()) {
        (IpAddr::V4(l), IpAddr::V4(_)) => IpAddr::V4(l),
        (l @ IpAddr::V6(_), IpAddr::V6(_)) => l,
        (_, IpAddr::V4(_)) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        (_, IpAddr::V6(_)) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(addr).await
}

/// What a transfer moves.
pub(crate) enum Job<R, W> {
    /// File → socket.
    Send { reader: R, ascii: bool },
    /// Socket → file.
    Receive { writer: W, ascii: bool },
    /// Rendered listing → socket.
    Listing(Bytes),
}

/// Runs one transfer on an established data connection: TLS first when
/// `tls` is given, then the bytes, then the close (TLS `close_notify`
/// included) so the final reply follows the close.
pub(crate) async fn run<R, W>(
    stream: TcpStream,
    tls: Option<&ServerTls>,
    job: Job<R, W>,
    progress: &AtomicU64,
) -> TransferOutcome
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let Some(tls) = tls else {
        return pump(stream, job, progress, false).await;
    };
    #[cfg(feature = "tls")]
    {
        let Ok(stream) = tls.acceptor.accept(stream).await else {
            tracing::info!("data connection TLS handshake failed");
            return TransferOutcome::TlsFailed;
        };
        let resumed = stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
        tracing::debug!(resumed, "data connection secured");
        if tls.require_session_reuse && !resumed {
            tracing::info!("data connection refused: TLS session not resumed");
            close_politely(stream).await;
            return TransferOutcome::TlsFailed;
        }
        pump(stream, job, progress, true).await
    }
    #[cfg(not(feature = "tls"))]
    match *tls {}
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
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), linger).await;
}

async fn pump<T, R, W>(
    mut stream: T,
    job: Job<R, W>,
    progress: &AtomicU64,
    tls: bool,
) -> TransferOutcome
where
    T: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let moved = match job {
        Job::Listing(bytes) => match stream.write_all(&bytes).await {
            Ok(()) => Ok(bytes.len() as u64),
            Err(_) => Err(TransferOutcome::ConnectionLost),
        },
        Job::Send { reader, ascii } => send(&mut stream, reader, ascii, progress).await,
        Job::Receive { writer, ascii } => receive(&mut stream, writer, ascii, progress, tls).await,
    };
    match moved {
        Ok(bytes) => {
            progress.store(bytes, Ordering::Relaxed);
            // The close comes before the reply (spec pitfall 7): for TLS
            // this sends close_notify, then the TCP FIN.
            if stream.shutdown().await.is_err() {
                return TransferOutcome::ConnectionLost;
            }
            TransferOutcome::Complete { bytes }
        }
        Err(outcome) => outcome,
    }
}

async fn send<T, R>(
    stream: &mut T,
    mut reader: R,
    ascii: bool,
    progress: &AtomicU64,
) -> Result<u64, TransferOutcome>
where
    T: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    // Two buffers: the next chunk is read from the file while the current
    // one is written to the socket (a file read is a trip to the blocking
    // pool; done one after the other they halve the throughput).
    let mut current = vec![0u8; TRANSFER_BUFFER];
    let mut next = vec![0u8; TRANSFER_BUFFER];
    let mut encoded = if ascii {
        BytesMut::with_capacity(ftp_proto::ascii::max_encoded_len(TRANSFER_BUFFER))
    } else {
        BytesMut::new()
    };
    let mut encoder = AsciiEncoder::new();
    let mut total = 0u64;
    let read_error = |e: io::Error| {
        tracing::warn!(error = %e, "reading the file failed");
        TransferOutcome::LocalError
    };
    let mut n = reader.read(&mut current).await.map_err(read_error)?;
    while n > 0 {
        let chunk = current.get(..n).unwrap_or_default();
        let out: &[u8] = if ascii {
            encoded.clear();
            encoder.encode(chunk, &mut encoded);
            &encoded
        } else {
            chunk
        };
        let (read, written) = tokio::join!(reader.read(&mut next), stream.write_all(out));
        if written.is_err() {
            return Err(TransferOutcome::ConnectionLost);
        }
        total = total.saturating_add(out.len() as u64);
        progress.store(total, Ordering::Relaxed);
        n = read.map_err(read_error)?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok(total)
}

async fn receive<T, W>(
    stream: &mut T,
    mut writer: W,
    ascii: bool,
    progress: &AtomicU64,
    tls: bool,
) -> Result<u64, TransferOutcome>
where
    T: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut decoded = if ascii {
        BytesMut::with_capacity(ftp_proto::ascii::max_decoded_len(TRANSFER_BUFFER))
    } else {
        BytesMut::new()
    };
    let mut decoder = AsciiDecoder::new();
    let mut total = 0u64;
    let write_error = |e: io::Error| {
        tracing::warn!(error = %e, "writing the file failed");
        if matches!(
            e.kind(),
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
        ) {
            TransferOutcome::StorageFull
        } else {
            TransferOutcome::LocalError
        }
    };
    let mut eof = false;
    while !eof {
        // Fill the buffer before handing it to the file: socket reads return
        // a few tens of KiB at a time, and each file write is a trip to the
        // blocking pool (while it runs, the next chunk is read).
        let mut n = 0;
        while let Some(free) = buf.get_mut(n..).filter(|free| !free.is_empty()) {
            match stream.read(free).await {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(read) => {
                    n += read;
                    total = total.saturating_add(read as u64);
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
        progress.store(total, Ordering::Relaxed);
        let chunk = buf.get(..n).unwrap_or_default();
        let result = if ascii {
            decoded.clear();
            decoder.decode(chunk, &mut decoded);
            writer.write_all(&decoded).await
        } else {
            writer.write_all(chunk).await
        };
        result.map_err(write_error)?;
    }
    if ascii {
        decoded.clear();
        decoder.finish(&mut decoded);
        writer.write_all(&decoded).await.map_err(write_error)?;
    }
    // The data is handed to the operating system before `226` (flushed, not
    // fsynced: the durability every common FTP server gives).
    writer.flush().await.map_err(write_error)?;
    writer.shutdown().await.map_err(write_error)?;
    Ok(total)
}
