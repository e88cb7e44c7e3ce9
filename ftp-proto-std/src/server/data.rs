//! Data connections of the blocking server: passive listeners within a
//! port range, active connects, TLS for `PROT P`, and the byte pumps that
//! run on a session's transfer thread.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ftp_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftp_proto::server::TransferOutcome;
use rustls::{HandshakeKind, ServerConnection, StreamOwned};
use socket2::{Domain, Protocol, Socket, Type};

use crate::tls::TlsConfig;

/// Size of the buffer a transfer moves bytes through (allocated once per
/// transfer, reused for every chunk).
pub(crate) const TRANSFER_BUFFER: usize = 256 * 1024;

fn socket_for(addr: &SocketAddr) -> io::Result<Socket> {
    Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
}

/// Binds a passive listener on `ip` (a random free port of `range`, or any
/// port without one).
pub(crate) fn bind_passive(
    ip: IpAddr,
    range: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    crate::net::bind_passive(ip, range, |addr| {
        let socket = socket_for(&addr)?;
        // No SO_REUSEADDR: a port still in TIME_WAIT from a previous
        // transfer must not be handed to a second listener.
        socket.bind(&addr.into())?;
        socket.listen(1)?;
        Ok(socket.into())
    })
}

/// Connects to a client's active-mode address from the control
/// connection's local IP.
pub(crate) fn connect_active(
    local: IpAddr,
    addr: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = socket_for(&addr)?;
    let from = SocketAddr::new(crate::net::active_bind_ip(local, addr), 0);
    socket.bind(&from.into())?;
    socket.connect_timeout(&addr.into(), timeout)?;
    Ok(socket.into())
}

/// What a transfer moves.
pub(crate) enum Job<R, W> {
    /// File → socket.
    Send { reader: R, ascii: bool },
    /// Socket → file.
    Receive { writer: W, ascii: bool },
    /// Rendered listing → socket.
    Listing(bytes::Bytes),
}

/// Time limits of a data connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// For the TLS handshake and the polite close.
    pub(crate) handshake: Duration,
    /// Longest wait for the peer to take or give bytes.
    pub(crate) stall: Duration,
}

/// Runs one transfer on an established data connection: TLS first when
/// `tls` is given, then the bytes, then the close (TLS `close_notify`
/// included) so the final reply follows the close.
///
/// With TLS, the check is told whether the handshake resumed the control
/// connection's session and answers whether the transfer may go on: the
/// engine's verdict
/// ([`ServerSession::data_secured`](ftp_proto::server::ServerSession::data_secured)).
pub(crate) fn run<R: Read, W: Write>(
    stream: TcpStream,
    tls: Option<(&TlsConfig, &dyn Fn(bool) -> bool)>,
    job: Job<R, W>,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome {
    let timeouts = |stream: &TcpStream, d: Duration| {
        let _ = stream.set_read_timeout(Some(d));
        let _ = stream.set_write_timeout(Some(d));
    };
    let Some((tls, check)) = tls else {
        timeouts(&stream, limits.stall);
        return pump(Plain(stream), job, progress);
    };
    timeouts(&stream, limits.handshake);
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
    timeouts(&secured.sock, limits.stall);
    pump(Secured(secured), job, progress)
}

/// A data connection, plain or TLS, with the close the protocol needs.
trait DataStream: Read + Write {
    /// `close_notify` (TLS) then the TCP FIN.
    fn close(&mut self) -> io::Result<()>;
    /// Whether a TCP close without `close_notify` is a clean end here.
    fn lenient_eof(&self) -> bool;
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
}

struct Secured(StreamOwned<ServerConnection, TcpStream>);

impl Read for Secured {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Secured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

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
}

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

fn pump<T: DataStream, R: Read, W: Write>(
    mut stream: T,
    job: Job<R, W>,
    progress: &AtomicU64,
) -> TransferOutcome {
    let upload = matches!(job, Job::Receive { .. });
    let moved = match job {
        Job::Listing(bytes) => match stream.write_all(&bytes) {
            Ok(()) => Ok(bytes.len() as u64),
            Err(_) => Err(TransferOutcome::ConnectionLost),
        },
        Job::Send { reader, ascii } => send(&mut stream, reader, ascii, progress),
        Job::Receive { writer, ascii } => receive(&mut stream, writer, ascii, progress),
    };
    match moved {
        Ok(bytes) => {
            progress.store(bytes, Ordering::Relaxed);
            // The close comes before the reply (spec pitfall 7). After an
            // upload every byte is in, whatever the close meets: a client
            // that closed with unread TLS session tickets resets the
            // connection, and our close_notify then fails.
            if stream.close().is_err() && !upload {
                return TransferOutcome::ConnectionLost;
            }
            TransferOutcome::Complete { bytes }
        }
        Err(outcome) => outcome,
    }
}

fn send<T: Write, R: Read>(
    stream: &mut T,
    mut reader: R,
    ascii: bool,
    progress: &AtomicU64,
) -> Result<u64, TransferOutcome> {
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut encoded = if ascii {
        BytesMut::with_capacity(ftp_proto::ascii::max_encoded_len(TRANSFER_BUFFER))
    } else {
        BytesMut::new()
    };
    let mut encoder = AsciiEncoder::new();
    let mut total = 0u64;
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
        let chunk = buf.get(..n).unwrap_or_default();
        let out: &[u8] = if ascii {
            encoded.clear();
            encoder.encode(chunk, &mut encoded);
            &encoded
        } else {
            chunk
        };
        if stream.write_all(out).is_err() {
            return Err(TransferOutcome::ConnectionLost);
        }
        total = total.saturating_add(out.len() as u64);
        progress.store(total, Ordering::Relaxed);
    }
    stream
        .flush()
        .map_err(|_| TransferOutcome::ConnectionLost)?;
    Ok(total)
}

fn write_error(e: &io::Error) -> TransferOutcome {
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

fn receive<T: DataStream, W: Write>(
    stream: &mut T,
    mut writer: W,
    ascii: bool,
    progress: &AtomicU64,
) -> Result<u64, TransferOutcome> {
    let mut buf = vec![0u8; TRANSFER_BUFFER];
    let mut decoded = if ascii {
        BytesMut::with_capacity(ftp_proto::ascii::max_decoded_len(TRANSFER_BUFFER))
    } else {
        BytesMut::new()
    };
    let mut decoder = AsciiDecoder::new();
    let mut total = 0u64;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if stream.lenient_eof() && e.kind() == io::ErrorKind::UnexpectedEof => {
                tracing::debug!("data connection closed without TLS close_notify");
                break;
            }
            Err(_) => return Err(TransferOutcome::ConnectionLost),
        };
        total = total.saturating_add(n as u64);
        progress.store(total, Ordering::Relaxed);
        let chunk = buf.get(..n).unwrap_or_default();
        let result = if ascii {
            decoded.clear();
            decoder.decode(chunk, &mut decoded);
            writer.write_all(&decoded)
        } else {
            writer.write_all(chunk)
        };
        result.map_err(|e| write_error(&e))?;
    }
    if ascii {
        decoded.clear();
        decoder.finish(&mut decoded);
        writer.write_all(&decoded).map_err(|e| write_error(&e))?;
    }
    // Handed to the operating system before `226` (flushed, not fsynced:
    // the durability every common FTP server gives).
    writer.flush().map_err(|e| write_error(&e))?;
    Ok(total)
}
