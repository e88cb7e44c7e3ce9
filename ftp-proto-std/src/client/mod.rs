//! A blocking FTP client: [`Client`] drives one [`ClientSession`] on the
//! calling thread, over `std::net` sockets, with FTPS through rustls.
//!
//! The same operations as `ftp_proto_tokio::client::Client`, as blocking
//! calls. FTP is lock-step, so no thread is needed: the control
//! connection is read with `set_read_timeout(deadline - now)` (at least
//! 1 ms) up to the engine's next deadline, which is checked before every
//! read, so bytes that keep coming cannot hold it off; data connections are read and
//! written by the caller through [`Download`] (`Read`) and [`Upload`]
//! (`Write`), each ended with `finish()`, with the engine's data timeout as
//! the socket timeout. Between two chunks, once the engine's deadline is
//! due, the control connection is tended: what the server said is read
//! without waiting, and the keep-alive `NOOP` of
//! [`ClientConfig::keepalive`](ftp_proto::client::ClientConfig::keepalive)
//! goes out.
//!
//! FTPS: one [`TlsClient`](crate::tls::TlsClient) (one rustls configuration, so one session
//! store) serves the control and every data connection under the same
//! server name, so data connections resume the control connection's
//! session, as vsftpd and ProFTPD require.
//!
//! Features: [`Client`], [`Download`] and [`Upload`] need `blocking`, FTPS
//! `tls`. [`ClientOptions`], [`Security`] and [`Error`], which the tokio
//! client shares, are always built.
//!
//! ```no_run
//! # #[cfg(feature = "blocking")]
//! use std::io::Read;
//! # #[cfg(feature = "blocking")]
//! use ftp_proto_std::client::{Client, ClientOptions};
//!
//! # #[cfg(feature = "blocking")]
//! # fn demo() -> Result<(), ftp_proto_std::client::Error> {
//! let mut client = Client::connect("127.0.0.1:21", ClientOptions::default())?;
//! client.login("anonymous", "anonymous@")?;
//! for entry in client.list(None::<&str>)? {
//!     println!("{}", String::from_utf8_lossy(&entry.name));
//! }
//! let mut download = client.retrieve("hello.txt", 0)?;
//! let mut text = String::new();
//! download.read_to_string(&mut text)?;
//! download.finish()?; // data EOF and the 226 are both in
//! client.quit()?;
//! # Ok(()) }
//! ```

mod error;
mod options;
#[cfg(feature = "blocking")]
mod stream;
#[cfg(feature = "blocking")]
mod transfer;

#[cfg(feature = "blocking")]
use std::collections::VecDeque;
#[cfg(feature = "blocking")]
use std::io::{self, Read, Write};
#[cfg(feature = "blocking")]
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
#[cfg(feature = "blocking")]
use std::time::Duration;

#[cfg(feature = "blocking")]
use bytes::Bytes;
#[cfg(feature = "blocking")]
use ftp_proto::Secret;
#[cfg(feature = "blocking")]
use ftp_proto::client::{
    AcceptedPeer, ClientError, ClientEvent, ClientSession, CloseReason, DataRequest, Direction,
    Features, FileInfo, Listing, OpId, Outcome, Reply, TransferStart,
};
#[cfg(feature = "blocking")]
use ftp_proto::data::{DataId, DataProtection};
#[cfg(feature = "blocking")]
use ftp_proto::timestamp::Timestamp;
#[cfg(feature = "blocking")]
use ftp_proto::{Instant, Session, UsageError, UsageErrorKind};

pub use error::Error;
pub use options::{ClientOptions, Security};
#[cfg(feature = "blocking")]
pub use transfer::{Download, Upload};

#[cfg(feature = "blocking")]
use stream::{Stream, is_unclean_tls_eof};

#[cfg(feature = "blocking")]
/// Size of the buffer for control reads, listings and whole-file copies.
const BUFFER_SIZE: usize = 256 * 1024;

#[cfg(feature = "blocking")]
/// Most finished results kept for operations nobody waits for.
const MAX_UNCLAIMED: usize = 64;

#[cfg(feature = "blocking")]
/// Maps an I/O error from a TLS stream to [`Error::Tls`] when it is one,
/// and a socket timeout to [`Error::ConnectTimeout`].
fn from_io(e: io::Error) -> Error {
    match Error::from_tls_io(e) {
        Error::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Error::ConnectTimeout
        }
        other => other,
    }
}

#[cfg(feature = "blocking")]
/// Where the current data connection is.
#[derive(Debug, Default)]
enum DataConn {
    #[default]
    None,
    /// Passive mode: TCP connected, waiting for the transfer to start.
    Connected(DataId, TcpStream),
    /// Active mode: listening for the server's one connection.
    Listening(DataId, TcpListener),
    /// Ready to move bytes (accepted, TLS done when protected).
    Open(DataId, Stream),
}

#[cfg(feature = "blocking")]
impl DataConn {
    fn id(&self) -> Option<DataId> {
        match self {
            Self::None => None,
            Self::Connected(id, _) | Self::Listening(id, _) | Self::Open(id, _) => Some(*id),
        }
    }
}

#[cfg(feature = "blocking")]
type EngineResult = Result<OpId, UsageError>;

#[cfg(feature = "blocking")]
/// A blocking FTP client session.
#[derive(Debug)]
pub struct Client {
    session: ClientSession,
    control: Stream,
    origin: std::time::Instant,
    options: ClientOptions,
    local: SocketAddr,
    peer: SocketAddr,
    data: DataConn,
    /// The started file transfer waiting for its `Download`/`Upload`.
    transfer: Option<TransferStart>,
    /// Results of operations not yet claimed by their waiter.
    finished: VecDeque<(OpId, Result<Outcome, ClientError>)>,
    closed: Option<CloseReason>,
    /// A transfer whose stream was dropped without `finish`: aborted next.
    dangling: Option<OpId>,
    buf: Box<[u8]>,
}

#[cfg(feature = "blocking")]
impl Client {
    /// Connects to `addr`, runs TLS first for implicit FTPS, waits for the
    /// `220` greeting, and for explicit FTPS runs `AUTH TLS`.
    ///
    /// # Errors
    /// Connect failures and timeouts, TLS failures, a refused greeting or
    /// `AUTH TLS`.
    pub fn connect(addr: impl ToSocketAddrs, options: ClientOptions) -> Result<Self, Error> {
        #[cfg(not(feature = "tls"))]
        if options.security != Security::Plain {
            return Err(Error::TlsNotConfigured);
        }
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        let mut tcp = None;
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, options.connect_timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or_else(|| from_io(last))?;
        tcp.set_nodelay(true)?;
        tcp.set_write_timeout(Some(options.engine.reply_timeout))?;
        let (peer, local) = (tcp.peer_addr()?, tcp.local_addr()?);
        #[allow(unused_mut, reason = "only changed with TLS")]
        let mut control = Stream::Plain(tcp);
        #[cfg(feature = "tls")]
        if options.security == Security::ImplicitTls {
            let tls = options.tls.as_ref().ok_or(Error::TlsNotConfigured)?;
            control
                .upgrade(tls, peer.ip(), options.connect_timeout)
                .map_err(from_io)?;
        }
        let mut engine = options.engine.clone();
        engine.implicit_tls = options.security == Security::ImplicitTls;
        #[cfg(feature = "tls")]
        if options.security == Security::ExplicitTls {
            if options.tls.is_none() {
                return Err(Error::TlsNotConfigured);
            }
            // The engine runs AUTH TLS, PBSZ 0 and PROT P as part of the
            // greeting, and again PBSZ/PROT after login when refused before.
            engine.explicit_tls = true;
        }
        let origin = std::time::Instant::now();
        let session = ClientSession::new(Instant::ZERO, engine, peer);
        let mut client = Self {
            session,
            control,
            origin,
            options,
            local,
            peer,
            data: DataConn::None,
            transfer: None,
            finished: VecDeque::new(),
            closed: None,
            dangling: None,
            buf: vec![0; BUFFER_SIZE].into_boxed_slice(),
        };
        client.run(OpId::GREETING)?;
        Ok(client)
    }

    /// The engine, for its getters (features, data protection...).
    #[must_use]
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// The server's address.
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the control connection runs TLS.
    #[must_use]
    pub fn is_secure(&self) -> bool {
        self.control.is_tls()
    }

    /// Logs in (`USER`, `PASS`). With FTPS, data protection (`PBSZ 0`,
    /// `PROT P`) is (re)requested afterwards if the server refused it
    /// before login (the engine does it).
    ///
    /// # Errors
    /// The server's refusal ([`Error::reply`] has it), or a session failure.
    pub fn login(&mut self, user: &str, password: &str) -> Result<Reply, Error> {
        let user = Bytes::copy_from_slice(user.as_bytes());
        let pass = Secret::new(Bytes::copy_from_slice(password.as_bytes()));
        let Outcome::LoggedIn(reply) = self.op(|s, now| s.login(now, user, pass, None))? else {
            return Err(Error::UnexpectedOutcome);
        };
        Ok(reply)
    }

    /// `FEAT` (then `OPTS UTF8 ON` when offered); steers [`list`](Self::list).
    ///
    /// # Errors
    /// Session failures (a refused FEAT gives an empty set).
    pub fn feat(&mut self) -> Result<Features, Error> {
        match self.op(ClientSession::feat)? {
            Outcome::Features(f) => Ok(f),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `PWD`: the current directory (quotes removed).
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn pwd(&mut self) -> Result<Bytes, Error> {
        match self.op(ClientSession::pwd)? {
            Outcome::Path(p) => Ok(p),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `SYST`: the system type text.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn system(&mut self) -> Result<Bytes, Error> {
        match self.op(ClientSession::system)? {
            Outcome::System(s) => Ok(s),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `CWD path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn cwd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.cwd(now, path))
    }

    /// `CDUP`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn cdup(&mut self) -> Result<Reply, Error> {
        self.completed(ClientSession::cdup)
    }

    /// `MKD path`: the created path when the server names it.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn mkdir(&mut self, path: impl AsRef<[u8]>) -> Result<Option<Bytes>, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.mkdir(now, path))? {
            Outcome::Path(p) => Ok(Some(p)),
            Outcome::Created(_) => Ok(None),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `RMD path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn rmdir(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.rmdir(now, path))
    }

    /// `DELE path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn delete(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.delete(now, path))
    }

    /// `RNFR from` + `RNTO to`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn rename(&mut self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let (from, to) = (bytes_of(from), bytes_of(to));
        self.completed(move |s, now| s.rename(now, from, to))
    }

    /// `SIZE path` (in binary type).
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.size(now, path))? {
            Outcome::Size(n) => Ok(n),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `MDTM path`: the modification time (UTC).
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn mdtm(&mut self, path: impl AsRef<[u8]>) -> Result<Timestamp, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.mdtm(now, path))? {
            Outcome::Modified(t) => Ok(t),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `MLST [path]`: the facts of one entry.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn mlst(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<FileInfo, Error> {
        let path = path.map(bytes_of);
        match self.op(move |s, now| s.mlst(now, path))? {
            Outcome::Entry(e) => Ok(e),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `SITE args`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub fn site(&mut self, args: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let args = bytes_of(args);
        self.completed(move |s, now| s.site(now, args))
    }

    /// `NOOP`.
    ///
    /// # Errors
    /// A session failure.
    pub fn noop(&mut self) -> Result<Reply, Error> {
        self.completed(ClientSession::noop)
    }

    /// The entries of `path` (or the current directory): `MLSD` when the
    /// server offers `MLST` (after [`feat`](Self::feat)), `LIST` otherwise.
    /// The entries come as a compact [`Listing`] (about the listing's bytes
    /// in memory); iterate it for [`FileInfo`]s, or
    /// [`to_vec`](Listing::to_vec) it.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, a session failure.
    pub fn list(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<Listing, Error> {
        let path = path.map(bytes_of);
        let clock = Some(crate::net::wall_clock());
        match self.op(move |s, now| s.list(now, path, clock))? {
            Outcome::Listing { entries, .. } => Ok(entries),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `NLST [path]`: names only.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, a session failure.
    pub fn nlst(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<Vec<Bytes>, Error> {
        let path = path.map(bytes_of);
        match self.op(move |s, now| s.nlst(now, path))? {
            Outcome::Names(n) => Ok(n),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// Starts downloading `path` from byte `offset` (`REST` when non-zero):
    /// read the returned [`Download`] to the end, then
    /// [`finish`](Download::finish) it.
    ///
    /// # Errors
    /// The server's refusal (`550` for a missing file), a data-connection
    /// failure, or a session failure.
    pub fn retrieve(&mut self, path: impl AsRef<[u8]>, offset: u64) -> Result<Download<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self.start_transfer(move |s, now| s.retrieve(now, path, offset))?;
        Ok(Download::new(self, op, start))
    }

    /// Downloads `path` from `offset` into `sink`; returns the bytes copied
    /// and the final reply.
    ///
    /// # Errors
    /// As [`retrieve`](Self::retrieve), plus `sink`'s write errors (the
    /// transfer is then aborted).
    pub fn retrieve_to(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
        sink: &mut (impl Write + ?Sized),
    ) -> Result<(u64, Reply), Error> {
        let mut buf = vec![0u8; BUFFER_SIZE];
        let mut download = self.retrieve(path, offset)?;
        let mut total = 0u64;
        loop {
            // On a read error the engine knows why: `finish` asks it.
            let Ok(n) = download.read(&mut buf) else {
                return download.finish().map(|r| (total, r));
            };
            if n == 0 {
                break;
            }
            if let Err(e) = sink.write_all(buf.get(..n).unwrap_or_default()) {
                download.abort()?;
                return Err(Error::Io(e));
            }
            total += n as u64;
        }
        sink.flush()?;
        download.finish().map(|r| (total, r))
    }

    /// Starts uploading to `path`, writing from byte `offset` (`REST` +
    /// `STOR` when non-zero): write into the returned [`Upload`], then
    /// [`finish`](Upload::finish) it.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, a session failure.
    pub fn store_writer(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<Upload<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self.start_transfer(move |s, now| s.store(now, path, offset))?;
        Ok(Upload::new(self, op, start))
    }

    /// Starts appending to `path` (`APPE`); see [`store_writer`](Self::store_writer).
    ///
    /// # Errors
    /// As [`store_writer`](Self::store_writer).
    pub fn append_writer(&mut self, path: impl AsRef<[u8]>) -> Result<Upload<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self.start_transfer(move |s, now| s.append(now, path))?;
        Ok(Upload::new(self, op, start))
    }

    /// Uploads everything `source` yields to `path` from byte `offset`;
    /// returns the bytes sent and the final reply.
    ///
    /// # Errors
    /// As [`store_writer`](Self::store_writer), plus `source`'s read errors
    /// (the transfer is then aborted).
    pub fn store(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
        source: &mut (impl Read + ?Sized),
    ) -> Result<(u64, Reply), Error> {
        let upload = self.store_writer(path, offset)?;
        copy_into(upload, source)
    }

    /// Appends everything `source` yields to `path` (`APPE`).
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub fn append(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut (impl Read + ?Sized),
    ) -> Result<(u64, Reply), Error> {
        let upload = self.append_writer(path)?;
        copy_into(upload, source)
    }

    /// Aborts a transfer whose [`Download`] or [`Upload`] was dropped
    /// without `finish` (`ABOR`, both replies consumed). Every other call
    /// does this first anyway.
    ///
    /// # Errors
    /// A session failure.
    pub fn abort(&mut self) -> Result<(), Error> {
        let Some(transfer_op) = self.dangling.take() else {
            return Ok(());
        };
        self.transfer = None;
        self.data = DataConn::None;
        if let Ok(op) = self.engine(ClientSession::abort) {
            self.run(op)?;
        }
        let _ = self.claim(transfer_op);
        Ok(())
    }

    /// `CCC`: shuts TLS down on the control connection.
    ///
    /// # Errors
    /// The server's refusal, TLS errors, or a session failure.
    pub fn clear_control(&mut self) -> Result<(), Error> {
        self.op(ClientSession::clear_control).map(drop)
    }

    /// `QUIT`, then closes the connection.
    ///
    /// # Errors
    /// A session failure before the goodbye.
    pub fn quit(mut self) -> Result<(), Error> {
        let result = self.op(ClientSession::quit);
        let _ = self.control.close_write();
        result.map(drop)
    }

    // ------------------------------------------------------------ machinery

    fn now(&self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    /// Calls an engine operation with the current time.
    fn engine<T>(
        &mut self,
        call: impl FnOnce(&mut ClientSession, Instant) -> Result<T, UsageError>,
    ) -> Result<T, Error> {
        let now = self.now();
        call(&mut self.session, now).map_err(|e| match &self.closed {
            Some(reason) if e.kind == UsageErrorKind::Closed => Error::Closed(reason.clone()),
            _ => Error::from(e),
        })
    }

    /// Runs one engine operation to its end.
    fn op(
        &mut self,
        call: impl FnOnce(&mut ClientSession, Instant) -> EngineResult,
    ) -> Result<Outcome, Error> {
        self.abort()?;
        let op = self.engine(call)?;
        self.run(op)
    }

    fn completed(
        &mut self,
        call: impl FnOnce(&mut ClientSession, Instant) -> EngineResult,
    ) -> Result<Reply, Error> {
        match self.op(call)? {
            Outcome::Completed(r) | Outcome::Reply(r) => Ok(r),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// Starts a file transfer and waits until its data connection is open
    /// and the server accepted it (or refused it).
    fn start_transfer(
        &mut self,
        call: impl FnOnce(&mut ClientSession, Instant) -> EngineResult,
    ) -> Result<(OpId, TransferStart), Error> {
        self.abort()?;
        let op = self.engine(call)?;
        loop {
            self.pump()?;
            if let Some(start) = self.transfer.take_if(|t| t.op == op) {
                self.dangling = Some(op);
                return Ok((op, start));
            }
            if let Some(result) = self.claim(op) {
                result?;
                return Err(Error::UnexpectedOutcome);
            }
            self.wait()?;
        }
    }

    /// Drives the session until operation `op` ends.
    fn run(&mut self, op: OpId) -> Result<Outcome, Error> {
        loop {
            self.pump()?;
            if let Some(result) = self.claim(op) {
                return result.map_err(|e| match e {
                    ClientError::Closed(reason) => Error::Closed(reason),
                    other => Error::Ftp(other),
                });
            }
            self.wait()?;
        }
    }

    fn claim(&mut self, op: OpId) -> Option<Result<Outcome, ClientError>> {
        let i = self.finished.iter().position(|(o, _)| *o == op)?;
        self.finished.remove(i).map(|(_, r)| r)
    }

    /// Writes every frame the engine has.
    fn flush(&mut self) -> Result<(), Error> {
        let mut wrote = false;
        while let Some(frame) = self.session.poll_transmit() {
            if let Err(e) = self.control.write_all(&frame) {
                self.fail_locally();
                return Err(from_io(e));
            }
            wrote = true;
        }
        if wrote {
            self.control.flush().map_err(|e| {
                self.fail_locally();
                from_io(e)
            })?;
        }
        Ok(())
    }

    /// While a data stream is read or written: once the engine's deadline
    /// is due, takes in what the server said meanwhile (without waiting: a
    /// keep-alive's `200`, an early reply), runs the timer (data timeout,
    /// keep-alive `NOOP`) and sends what the engine queued. Events wait for
    /// the transfer's `finish`; errors surface there too.
    fn tend_control(&mut self) {
        let now = self.now();
        if self.session.poll_timeout().is_none_or(|due| due > now) {
            return;
        }
        self.read_control_now();
        let now = self.now();
        self.session.handle_timeout(now);
        let _ = self.flush();
    }

    /// Reads what the control connection already has, without blocking.
    fn read_control_now(&mut self) {
        let Some(tcp) = self.control.tcp() else {
            return;
        };
        if tcp.set_nonblocking(true).is_err() {
            return;
        }
        while self.session.wants_input() {
            match self.control.read(&mut self.buf) {
                Ok(0) => {
                    let now = self.now();
                    self.session.handle_eof(now);
                    break;
                }
                Ok(n) => {
                    let now = self.now();
                    let chunk = self.buf.get(..n).unwrap_or_default();
                    self.session.handle_input(now, chunk);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if let Some(tcp) = self.control.tcp() {
            let _ = tcp.set_nonblocking(false);
        }
    }

    /// The drain contract: frames out, then every event.
    fn pump(&mut self) -> Result<(), Error> {
        loop {
            self.flush()?;
            let Some(event) = self.session.poll_event() else {
                return Ok(());
            };
            self.handle(event)?;
        }
    }

    /// Ends every operation after a local failure.
    fn fail_locally(&mut self) {
        let now = self.now();
        self.session.close(now);
        while let Some(event) = self.session.poll_event() {
            if let ClientEvent::Closed(reason) = event {
                self.closed = Some(reason);
            }
        }
    }

    /// Waits for one control input or the engine's next deadline.
    fn wait(&mut self) -> Result<(), Error> {
        let deadline = self.session.poll_timeout();
        // The deadline is checked before every read, not only when a read
        // times out: bytes that keep arriving (a reply that never ends)
        // must not hold it off.
        let now = self.now();
        if deadline.is_some_and(|d| d <= now) {
            self.session.handle_timeout(now);
            return Ok(());
        }
        if !self.session.wants_input() {
            let Some(deadline) = deadline else {
                // Nothing can arrive any more: end every operation.
                let now = self.now();
                self.session.close(now);
                return Ok(());
            };
            std::thread::sleep(deadline.saturating_duration_since(self.now()));
            let now = self.now();
            self.session.handle_timeout(now);
            return Ok(());
        }
        let timeout = deadline.map(|d| {
            d.saturating_duration_since(self.now())
                .max(Duration::from_millis(1))
        });
        if let Some(tcp) = self.control.tcp() {
            tcp.set_read_timeout(timeout)?;
        }
        match self.control.read(&mut self.buf) {
            Ok(0) => {
                let now = self.now();
                self.session.handle_eof(now);
            }
            Ok(n) => {
                let now = self.now();
                let chunk = self.buf.get(..n).unwrap_or_default();
                self.session.handle_input(now, chunk);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let now = self.now();
                self.session.handle_timeout(now);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_unclean_tls_eof(&e) || e.kind() == io::ErrorKind::ConnectionReset => {
                let now = self.now();
                self.session.handle_eof(now);
            }
            Err(e) => {
                self.fail_locally();
                return Err(from_io(e));
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: ClientEvent) -> Result<(), Error> {
        match event {
            ClientEvent::Finished { op, result } => {
                if self.finished.len() >= MAX_UNCLAIMED {
                    self.finished.pop_front();
                }
                self.finished.push_back((op, result));
            }
            ClientEvent::Data(request) => self.data_request(request),
            ClientEvent::Transfer(start) => {
                self.open_data(&start);
                if start.direction == Direction::Listing {
                    self.read_listing(start.id);
                } else if matches!(self.data, DataConn::Open(id, _) if id == start.id) {
                    self.transfer = Some(start);
                }
            }
            ClientEvent::UpgradeTls => self.upgrade_control()?,
            ClientEvent::DowngradeTls => {
                let result = self.control.downgrade(self.options.engine.reply_timeout);
                let now = self.now();
                match result {
                    Ok(()) => {
                        let _ = self.session.tls_cleared(now);
                    }
                    Err(e) => {
                        self.fail_locally();
                        return Err(from_io(e));
                    }
                }
            }
            ClientEvent::Closed(reason) => self.closed = Some(reason),
            _ => {}
        }
        Ok(())
    }

    #[cfg(feature = "tls")]
    fn upgrade_control(&mut self) -> Result<(), Error> {
        let Some(tls) = self.options.tls.clone() else {
            self.fail_locally();
            return Err(Error::TlsNotConfigured);
        };
        let result = self
            .control
            .upgrade(&tls, self.peer.ip(), self.options.connect_timeout);
        let now = self.now();
        match result {
            Ok(()) => {
                let _ = self.session.tls_established(now);
                Ok(())
            }
            Err(e) => {
                self.fail_locally();
                Err(from_io(e))
            }
        }
    }

    /// Without the feature `tls` the engine never asks for TLS (the
    /// options cannot name any); should it, the session ends.
    #[cfg(not(feature = "tls"))]
    fn upgrade_control(&mut self) -> Result<(), Error> {
        self.fail_locally();
        Err(Error::TlsNotConfigured)
    }

    fn data_request(&mut self, request: DataRequest) {
        match request {
            DataRequest::Connect { id, addr, .. } => {
                let connected = TcpStream::connect_timeout(&addr, self.options.connect_timeout);
                let now = self.now();
                match connected {
                    Ok(stream) => {
                        let _ = stream.set_nodelay(true);
                        self.data = DataConn::Connected(id, stream);
                        let _ = self.session.data_connected(now, id);
                    }
                    Err(_) => {
                        self.data = DataConn::None;
                        let _ = self.session.data_failed(now, id);
                    }
                }
            }
            DataRequest::Listen { id, .. } => {
                let bound =
                    TcpListener::bind((self.local.ip(), 0)).and_then(|l| Ok((l.local_addr()?, l)));
                let now = self.now();
                match bound {
                    Ok((addr, listener)) => {
                        self.data = DataConn::Listening(id, listener);
                        let _ = self.session.data_listening(now, id, addr);
                    }
                    Err(_) => {
                        let _ = self.session.data_failed(now, id);
                    }
                }
            }
            DataRequest::Close { id } => {
                if self.data.id() == Some(id) {
                    self.data = DataConn::None;
                }
                if self.transfer.as_ref().is_some_and(|t| t.id == id) {
                    self.transfer = None;
                }
            }
            _ => {}
        }
    }

    /// Turns the connected (or listening) data connection into an open
    /// stream for `start`: accept (active mode), then TLS when protected.
    fn open_data(&mut self, start: &TransferStart) {
        let id = start.id;
        let opened = match std::mem::take(&mut self.data) {
            DataConn::Connected(i, stream) if i == id => Ok(stream),
            DataConn::Listening(i, listener) if i == id => {
                let timeout = self.options.engine.data_timeout;
                match self.accept_data(id, &listener, timeout) {
                    Ok(Some(stream)) => {
                        let _ = stream.set_nodelay(true);
                        Ok(stream)
                    }
                    // The engine gave up (and failed the transfer itself).
                    Ok(None) => return,
                    Err(e) => Err(e),
                }
            }
            other => {
                self.data = other;
                return;
            }
        };
        let stream = opened.and_then(|tcp| {
            let timeout = Some(self.options.engine.data_timeout);
            tcp.set_read_timeout(timeout)?;
            tcp.set_write_timeout(timeout)?;
            #[allow(unused_mut, reason = "only changed with TLS")]
            let mut stream = Stream::Plain(tcp);
            if start.protection == DataProtection::Private {
                let no_tls = || io::Error::new(io::ErrorKind::Unsupported, "no TLS configuration");
                #[cfg(feature = "tls")]
                {
                    let tls = self.options.tls.as_ref().ok_or_else(no_tls)?;
                    stream.upgrade(tls, self.peer.ip(), self.options.connect_timeout)?;
                }
                #[cfg(not(feature = "tls"))]
                return Err(no_tls());
            }
            Ok(stream)
        });
        match stream {
            Ok(s) => self.data = DataConn::Open(id, s),
            Err(_) => {
                let now = self.now();
                let _ = self.session.data_failed(now, id);
            }
        }
    }

    /// Active mode: accepts connections until the engine takes one (it
    /// admits only the server, bounce protection) or gives up (`None`),
    /// within `timeout`.
    fn accept_data(
        &mut self,
        id: DataId,
        listener: &TcpListener,
        timeout: Duration,
    ) -> io::Result<Option<TcpStream>> {
        listener.set_nonblocking(true)?;
        let until = std::time::Instant::now() + timeout;
        loop {
            match listener.accept() {
                Ok((stream, from)) => {
                    let now = self.now();
                    match self.session.data_accepted(now, id, from) {
                        Ok(AcceptedPeer::Accepted) => {
                            stream.set_nonblocking(false)?;
                            return Ok(Some(stream));
                        }
                        Ok(AcceptedPeer::Refused) => {
                            tracing::debug!(%from, "data connection from a foreign host dropped");
                        }
                        _ => return Ok(None),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if std::time::Instant::now() >= until {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads a listing's data connection to EOF into the engine.
    fn read_listing(&mut self, id: DataId) {
        let DataConn::Open(_, mut stream) = std::mem::take(&mut self.data) else {
            return;
        };
        let ok = loop {
            match stream.read(&mut self.buf) {
                Ok(0) => break true,
                Ok(n) => {
                    let now = self.now();
                    let chunk = self.buf.get(..n).unwrap_or_default();
                    // An error: the engine gave this listing up (too
                    // large, aborted); stop reading it.
                    if self.session.listing_data(now, id, chunk).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_unclean_tls_eof(&e) => break true,
                Err(_) => break false,
            }
        };
        let now = self.now();
        let _ = if ok {
            self.session.data_finished(now, id)
        } else {
            self.session.data_failed(now, id)
        };
    }

    /// The open data stream of transfer `id`, if it is still open.
    fn stream(&mut self, id: DataId) -> Option<&mut Stream> {
        match &mut self.data {
            DataConn::Open(i, s) if *i == id => Some(s),
            _ => None,
        }
    }
}

#[cfg(feature = "blocking")]
fn copy_into(
    mut upload: Upload<'_>,
    source: &mut (impl Read + ?Sized),
) -> Result<(u64, Reply), Error> {
    let mut buf = vec![0u8; BUFFER_SIZE];
    let mut total = 0u64;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                upload.abort()?;
                return Err(Error::Io(e));
            }
        };
        if upload.write_all(buf.get(..n).unwrap_or_default()).is_err() {
            // The engine knows why (data failure, timeout): finish asks it.
            return upload.finish().map(|r| (total, r));
        }
        total += n as u64;
    }
    upload.finish().map(|r| (total, r))
}

#[cfg(feature = "blocking")]
fn bytes_of(value: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(value.as_ref())
}

#[cfg(all(test, feature = "blocking", not(feature = "tls")))]
mod tests {
    use super::*;

    /// Without the feature `tls`, options that still ask for FTPS fail at
    /// once rather than going on in clear text.
    #[test]
    fn ftps_is_refused_without_the_feature() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        for security in [Security::ExplicitTls, Security::ImplicitTls] {
            let mut options = ClientOptions {
                security,
                ..ClientOptions::default()
            };
            // Without the check, the client would wait this long for a
            // greeting that never comes, and fail otherwise.
            options.engine.reply_timeout = Duration::from_millis(200);
            let result = Client::connect(listener.local_addr().unwrap(), options);
            assert!(
                matches!(result, Err(Error::TlsNotConfigured)),
                "{security:?}"
            );
        }
    }
}
