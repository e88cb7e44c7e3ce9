//! The async FTP client: [`Client`].
//!
//! Every protocol decision is the engine's ([`ftp_proto::client::ClientSession`]);
//! this module connects sockets, runs TLS handshakes, moves data bytes and
//! waits. One operation runs at a time (FTP is lock-step), so every method
//! takes `&mut self`.
//!
//! # Transfers
//! [`Client::retrieve`] returns a [`Download`] (an [`AsyncRead`])
//! and [`Client::store_writer`] an [`Upload`] (an [`AsyncWrite`]).
//! A transfer is complete only when its data reached EOF **and** the
//! server's final reply arrived: call `finish().await` to get that reply.
//! A stream dropped without `finish` is aborted (`ABOR`) by the next call
//! on the client. [`Client::store`] and [`Client::retrieve_to`] do the whole
//! thing with the client's reusable 256 KiB buffer.
//!
//! While a [`Download`] or [`Upload`] is being read or written, the control
//! connection is tended too: the engine's data timeout runs, the keep-alive
//! `NOOP`s of [`ClientConfig::keepalive`](ftp_proto::client::ClientConfig::keepalive)
//! go out, and what the server says (their `200`s, an early final reply)
//! is read into the engine.

mod data;
mod transfer;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use ftp_proto::Session;
use ftp_proto::client::{ClientEvent, ClientSession, DataRequest, Direction, OpId, Outcome};
use ftp_proto::timestamp::Timestamp;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::driver::{Clock, Driver, Input, Transport};
use data::DataConn;

pub use ftp_proto::client::{
    ClientConfig, ClientError, CloseReason, Features, FileInfo, ListFormat, Listing, Reply,
    TransferStart,
};
// The error, settings and FTPS modes are the blocking client's: both
// clients take the same options and fail the same ways.
pub use ftp_proto_std::client::{ClientOptions, Error, Security};
pub use transfer::{Download, Upload};

/// Size of the reusable data buffer (listings, [`Client::store`],
/// [`Client::retrieve_to`], draining a download in `finish`).
pub const DATA_BUFFER_SIZE: usize = 256 * 1024;

/// Most finished-operation results kept for operations nobody waits for.
const MAX_UNCLAIMED: usize = 64;

/// An FTP client over one control connection.
///
/// ```no_run
/// # async fn run() -> Result<(), ftp_proto_tokio::client::Error> {
/// use ftp_proto_tokio::client::{Client, ClientOptions};
/// use tokio::io::AsyncReadExt;
///
/// let mut client = Client::connect("127.0.0.1:21", ClientOptions::default()).await?;
/// client.login("anonymous", "anonymous@").await?;
/// for entry in client.list(None::<&str>).await? {
///     println!("{}", String::from_utf8_lossy(&entry.name));
/// }
/// let mut download = client.retrieve("hello.txt", 0).await?;
/// let mut text = String::new();
/// download.read_to_string(&mut text).await?;
/// download.finish().await?; // data EOF and the 226 are both in
/// client.quit().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    driver: Driver<ClientSession, Transport>,
    options: ClientOptions,
    /// The control connection's addresses.
    local: SocketAddr,
    peer: SocketAddr,
    data: DataConn,
    /// The started file transfer (download or upload) waiting for its stream.
    transfer: Option<TransferStart>,
    /// Results of operations not yet claimed by their waiter.
    finished: VecDeque<(OpId, Result<Outcome, ClientError>)>,
    /// Events taken out of the engine from inside a `poll_*` function.
    backlog: VecDeque<ClientEvent>,
    closed: Option<CloseReason>,
    /// A transfer whose stream was dropped without `finish`: aborted next.
    dangling: Option<OpId>,
    buf: Box<[u8]>,
}

impl Client {
    /// Connects to `addr`, runs TLS first for implicit FTPS, waits for the
    /// `220` greeting, and for explicit FTPS runs `AUTH TLS`, `PBSZ 0`,
    /// `PROT P`.
    ///
    /// # Errors
    /// Connect failures and timeouts, TLS failures, a refused greeting or
    /// `AUTH TLS`.
    pub async fn connect(addr: impl ToSocketAddrs, options: ClientOptions) -> Result<Self, Error> {
        #[cfg(not(feature = "tls"))]
        if options.security != Security::Plain {
            return Err(Error::TlsNotConfigured);
        }
        let tcp = tokio::time::timeout(options.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| Error::ConnectTimeout)??;
        tcp.set_nodelay(true)?;
        let peer = tcp.peer_addr()?;
        let local = tcp.local_addr()?;
        #[allow(unused_mut, reason = "only changed with TLS")]
        let mut transport = Transport::Plain(tcp);
        #[cfg(feature = "tls")]
        if options.security == Security::ImplicitTls {
            let tls = options.tls.as_ref().ok_or(Error::TlsNotConfigured)?;
            let handshake =
                transport.upgrade_client(crate::tls::connector(tls), tls.name_for(peer.ip()));
            tokio::time::timeout(options.connect_timeout, handshake)
                .await
                .map_err(|_| Error::ConnectTimeout)?
                .map_err(Error::from_tls_io)?;
        }
        #[allow(unused_mut, reason = "only changed with TLS")]
        let mut engine = options.engine.clone();
        #[cfg(feature = "tls")]
        if options.security == Security::ExplicitTls {
            if options.tls.is_none() {
                return Err(Error::TlsNotConfigured);
            }
            // The engine runs AUTH TLS, PBSZ 0 and PROT P as part of the
            // greeting, and again PBSZ/PROT after login when refused before.
            engine.explicit_tls = true;
        }
        let clock = Clock::new();
        let session = ClientSession::new(clock.now(), engine, peer);
        let mut client = Self {
            driver: Driver::new(session, transport, clock),
            options,
            local,
            peer,
            data: DataConn::None,
            transfer: None,
            finished: VecDeque::new(),
            backlog: VecDeque::new(),
            closed: None,
            dangling: None,
            buf: vec![0; DATA_BUFFER_SIZE].into_boxed_slice(),
        };
        client.run(OpId::GREETING).await?;
        Ok(client)
    }

    /// The engine, for its getters ([`features`](ClientSession::features),
    /// [`data_protection`](ClientSession::data_protection), ...).
    #[must_use]
    pub fn session(&self) -> &ClientSession {
        self.driver.session()
    }

    /// The server's address.
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the control connection runs TLS.
    #[must_use]
    pub fn is_secure(&self) -> bool {
        self.driver.transport().is_tls()
    }

    /// Logs in (`USER`, `PASS`). With FTPS, data protection (`PBSZ 0`,
    /// `PROT P`) is (re)requested afterwards if the server refused it
    /// before login.
    ///
    /// # Errors
    /// The server's refusal ([`Error::reply`] has it), or any session failure.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<Reply, Error> {
        let user = Bytes::copy_from_slice(user.as_bytes());
        let pass = ftp_proto::Secret::new(Bytes::copy_from_slice(password.as_bytes()));
        let op = self.engine(|s, now| s.login(now, user, pass, None))?;
        let Outcome::LoggedIn(reply) = self.run(op).await? else {
            return Err(Error::UnexpectedOutcome);
        };
        Ok(reply)
    }

    /// `FEAT` (then `OPTS UTF8 ON` when offered). The features also steer
    /// [`list`](Self::list) (MLSD when `MLST` is listed).
    ///
    /// # Errors
    /// Session failures (a refused FEAT gives an empty set).
    pub async fn feat(&mut self) -> Result<Features, Error> {
        match self.op(ClientSession::feat).await? {
            Outcome::Features(f) => Ok(f),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `PWD`: the current directory (quotes removed).
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn pwd(&mut self) -> Result<Bytes, Error> {
        match self.op(ClientSession::pwd).await? {
            Outcome::Path(p) => Ok(p),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `SYST`: the system type text.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn system(&mut self) -> Result<Bytes, Error> {
        match self.op(ClientSession::system).await? {
            Outcome::System(s) => Ok(s),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `CWD path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn cwd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.cwd(now, path)).await
    }

    /// `CDUP`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn cdup(&mut self) -> Result<Reply, Error> {
        self.completed(ClientSession::cdup).await
    }

    /// `MKD path`: the created path when the server names it.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn mkdir(&mut self, path: impl AsRef<[u8]>) -> Result<Option<Bytes>, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.mkdir(now, path)).await? {
            Outcome::Path(p) => Ok(Some(p)),
            _ => Ok(None),
        }
    }

    /// `RMD path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn rmdir(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.rmdir(now, path)).await
    }

    /// `DELE path`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn delete(&mut self, path: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let path = bytes_of(path);
        self.completed(move |s, now| s.delete(now, path)).await
    }

    /// `RNFR from`, `RNTO to`.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn rename(
        &mut self,
        from: impl AsRef<[u8]>,
        to: impl AsRef<[u8]>,
    ) -> Result<Reply, Error> {
        let (from, to) = (bytes_of(from), bytes_of(to));
        self.completed(move |s, now| s.rename(now, from, to)).await
    }

    /// `SIZE path` (after `TYPE I`): the size in bytes.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.size(now, path)).await? {
            Outcome::Size(n) => Ok(n),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `MDTM path`: the modification time (UTC).
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn mdtm(&mut self, path: impl AsRef<[u8]>) -> Result<Timestamp, Error> {
        let path = bytes_of(path);
        match self.op(move |s, now| s.mdtm(now, path)).await? {
            Outcome::Modified(t) => Ok(t),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `MLST [path]`: the facts of one entry.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn mlst(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<FileInfo, Error> {
        let path = path.map(bytes_of);
        match self.op(move |s, now| s.mlst(now, path)).await? {
            Outcome::Entry(e) => Ok(e),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `SITE args`: the server's reply.
    ///
    /// # Errors
    /// The server's refusal or a session failure.
    pub async fn site(&mut self, args: impl AsRef<[u8]>) -> Result<Reply, Error> {
        let args = bytes_of(args);
        self.completed(move |s, now| s.site(now, args)).await
    }

    /// `NOOP`.
    ///
    /// # Errors
    /// A session failure.
    pub async fn noop(&mut self) -> Result<Reply, Error> {
        self.completed(ClientSession::noop).await
    }

    /// Lists a directory (the current one for `None`): `MLSD` when the
    /// last [`feat`](Self::feat) listed `MLST`, else `LIST` parsed (unix or
    /// DOS lines). `.`/`..` (`cdir`/`pdir`) entries are dropped. An empty
    /// directory answered with 450/550 is an empty list. The entries come
    /// as a compact [`Listing`] (about the listing's bytes in memory);
    /// iterate it for [`FileInfo`]s, or [`to_vec`](Listing::to_vec) it.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, or a session failure.
    pub async fn list(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<Listing, Error> {
        self.list_with(path, ListFormat::Auto).await
    }

    /// Lists a directory in a chosen format: `MLSD` or `LIST` whatever
    /// `FEAT` said, or [`ListFormat::Auto`] as [`list`](Self::list) does.
    ///
    /// # Errors
    /// As [`list`](Self::list).
    pub async fn list_with(
        &mut self,
        path: Option<impl AsRef<[u8]>>,
        format: ListFormat,
    ) -> Result<Listing, Error> {
        let path = path.map(bytes_of);
        let wall_clock = wall_clock();
        let list = move |s: &mut ClientSession, now| s.list_with(now, path, format, wall_clock);
        match self.op(list).await? {
            Outcome::Listing { entries, .. } => Ok(entries),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// `NLST`: names only.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, or a session failure.
    pub async fn nlst(&mut self, path: Option<impl AsRef<[u8]>>) -> Result<Vec<Bytes>, Error> {
        let path = path.map(bytes_of);
        match self.op(move |s, now| s.nlst(now, path)).await? {
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
    pub async fn retrieve(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<Download<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self
            .start_transfer(move |s, now| s.retrieve(now, path, offset))
            .await?;
        Ok(Download::new(self, op, start))
    }

    /// Downloads `path` from `offset` into `sink` with the reusable buffer;
    /// returns the bytes copied and the final reply.
    ///
    /// # Errors
    /// As [`retrieve`](Self::retrieve), plus `sink`'s write errors (the
    /// transfer is then aborted).
    pub async fn retrieve_to<W>(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
        sink: &mut W,
    ) -> Result<(u64, Reply), Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut buf = std::mem::take(&mut self.buf);
        let result = async {
            let mut download = self.retrieve(path, offset).await?;
            let mut total = 0u64;
            loop {
                // On a read error the engine knows why: `finish` asks it.
                let Ok(n) = download.read(&mut buf).await else {
                    return download.finish().await.map(|r| (total, r));
                };
                if n == 0 {
                    break;
                }
                if let Err(e) = sink.write_all(buf.get(..n).unwrap_or_default()).await {
                    download.abort().await?;
                    return Err(Error::Io(e));
                }
                total += n as u64;
            }
            sink.flush().await?;
            download.finish().await.map(|r| (total, r))
        }
        .await;
        self.buf = buf;
        result
    }

    /// Starts uploading to `path`, writing from byte `offset` (`REST` +
    /// `STOR` resume when non-zero): write into the returned [`Upload`],
    /// then [`finish`](Upload::finish) it.
    ///
    /// # Errors
    /// The server's refusal, a data-connection failure, or a session failure.
    pub async fn store_writer(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<Upload<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self
            .start_transfer(move |s, now| s.store(now, path, offset))
            .await?;
        Ok(Upload::new(self, op, start))
    }

    /// Starts appending to `path` (`APPE`); see [`store_writer`](Self::store_writer).
    ///
    /// # Errors
    /// As [`store_writer`](Self::store_writer).
    pub async fn append_writer(&mut self, path: impl AsRef<[u8]>) -> Result<Upload<'_>, Error> {
        let path = bytes_of(path);
        let (op, start) = self
            .start_transfer(move |s, now| s.append(now, path))
            .await?;
        Ok(Upload::new(self, op, start))
    }

    /// Uploads everything `source` yields to `path` from byte `offset`,
    /// with the reusable buffer; returns the bytes sent and the final reply.
    ///
    /// # Errors
    /// As [`store_writer`](Self::store_writer), plus `source`'s read errors
    /// (the transfer is then aborted).
    pub async fn store<R>(
        &mut self,
        path: impl AsRef<[u8]>,
        offset: u64,
        source: &mut R,
    ) -> Result<(u64, Reply), Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let path = bytes_of(path);
        self.upload_from(source, move |s, now| s.store(now, path, offset))
            .await
    }

    /// Appends everything `source` yields to `path` (`APPE`).
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub async fn append<R>(
        &mut self,
        path: impl AsRef<[u8]>,
        source: &mut R,
    ) -> Result<(u64, Reply), Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let path = bytes_of(path);
        self.upload_from(source, move |s, now| s.append(now, path))
            .await
    }

    async fn upload_from<R>(
        &mut self,
        source: &mut R,
        start: impl FnOnce(&mut ClientSession, ftp_proto::Instant) -> EngineResult,
    ) -> Result<(u64, Reply), Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let mut buf = std::mem::take(&mut self.buf);
        let result = async {
            let (op, transfer) = self.start_transfer(start).await?;
            let mut upload = Upload::new(self, op, transfer);
            let mut total = 0u64;
            loop {
                let n = match source.read(&mut buf).await {
                    Ok(n) => n,
                    Err(e) => {
                        upload.abort().await?;
                        return Err(Error::Io(e));
                    }
                };
                if n == 0 {
                    break;
                }
                if upload
                    .write_all(buf.get(..n).unwrap_or_default())
                    .await
                    .is_err()
                {
                    // The engine knows why (data failure, timeout): finish asks it.
                    return upload.finish().await.map(|r| (total, r));
                }
                total += n as u64;
            }
            upload.finish().await.map(|r| (total, r))
        }
        .await;
        self.buf = buf;
        result
    }

    /// Aborts a transfer whose [`Download`] or [`Upload`] was dropped
    /// without `finish` (`ABOR`, both replies consumed). Every other call
    /// does this first anyway; nothing happens when no transfer is left.
    ///
    /// # Errors
    /// A session failure.
    pub async fn abort(&mut self) -> Result<(), Error> {
        let Some(transfer_op) = self.dangling.take() else {
            return Ok(());
        };
        self.transfer = None;
        self.data = DataConn::None;
        if let Ok(op) = self.engine(ClientSession::abort) {
            self.run(op).await?;
        }
        // The transfer itself ended with `Aborted` (or its own result).
        let _ = self.claim(transfer_op);
        Ok(())
    }

    /// `CCC`: shuts TLS down on the control connection (data protection
    /// stays as it is).
    ///
    /// # Errors
    /// The server's refusal, TLS errors, or a session failure.
    pub async fn clear_control(&mut self) -> Result<(), Error> {
        self.op(ClientSession::clear_control).await.map(drop)
    }

    /// `QUIT`, then closes the connection.
    ///
    /// # Errors
    /// A session failure before the goodbye.
    pub async fn quit(mut self) -> Result<(), Error> {
        let result = self.op(ClientSession::quit).await;
        let _ = self.driver.shutdown().await;
        result.map(drop)
    }

    // ------------------------------------------------------------ machinery

    /// Calls an engine operation with the current time.
    fn engine<T>(
        &mut self,
        call: impl FnOnce(&mut ClientSession, ftp_proto::Instant) -> Result<T, ftp_proto::UsageError>,
    ) -> Result<T, Error> {
        let now = self.driver.now();
        call(self.driver.session_mut(), now).map_err(|e| match &self.closed {
            Some(reason) if e.kind == ftp_proto::UsageErrorKind::Closed => {
                Error::Closed(reason.clone())
            }
            _ => Error::from(e),
        })
    }

    /// Runs one engine operation to its end.
    async fn op(
        &mut self,
        call: impl FnOnce(&mut ClientSession, ftp_proto::Instant) -> EngineResult,
    ) -> Result<Outcome, Error> {
        self.abort().await?;
        let op = self.engine(call)?;
        self.run(op).await
    }

    async fn completed(
        &mut self,
        call: impl FnOnce(&mut ClientSession, ftp_proto::Instant) -> EngineResult,
    ) -> Result<Reply, Error> {
        match self.op(call).await? {
            Outcome::Completed(r) | Outcome::Reply(r) => Ok(r),
            _ => Err(Error::UnexpectedOutcome),
        }
    }

    /// Starts a file transfer and waits until its data connection is open
    /// and the server accepted it (or refused it).
    async fn start_transfer(
        &mut self,
        call: impl FnOnce(&mut ClientSession, ftp_proto::Instant) -> EngineResult,
    ) -> Result<(OpId, TransferStart), Error> {
        self.abort().await?;
        let op = self.engine(call)?;
        loop {
            self.pump().await?;
            if let Some(start) = self.transfer.take_if(|t| t.op == op) {
                self.dangling = Some(op);
                return Ok((op, start));
            }
            if let Some(result) = self.claim(op) {
                // Ended before any byte could move: a refusal, or (odd) a
                // completed transfer without a Transfer event.
                result?;
                return Err(Error::UnexpectedOutcome);
            }
            self.wait().await?;
        }
    }

    /// Drives the session until operation `op` ends.
    async fn run(&mut self, op: OpId) -> Result<Outcome, Error> {
        loop {
            self.pump().await?;
            if let Some(result) = self.claim(op) {
                return result.map_err(|e| match e {
                    ClientError::Closed(reason) => Error::Closed(reason),
                    other => Error::Ftp(other),
                });
            }
            self.wait().await?;
        }
    }

    fn claim(&mut self, op: OpId) -> Option<Result<Outcome, ClientError>> {
        let i = self.finished.iter().position(|(o, _)| *o == op)?;
        self.finished.remove(i).map(|(_, r)| r)
    }

    /// Waits for one control input.
    async fn wait(&mut self) -> Result<(), Error> {
        match self.driver.next_input().await {
            Ok(Input::Stalled) => {
                // Nothing can arrive any more: end every operation.
                let now = self.driver.now();
                self.driver.session_mut().close(now);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                let now = self.driver.now();
                self.driver.session_mut().close(now);
                self.pump_events_only();
                Err(Error::from_tls_io(e))
            }
        }
    }

    /// Drops the events of a session that just failed locally (their
    /// results are superseded by the I/O error being returned).
    fn pump_events_only(&mut self) {
        while let Some(event) = self.driver.session_mut().poll_event() {
            if let ClientEvent::Closed(reason) = event {
                self.closed = Some(reason);
            }
        }
        self.backlog.clear();
    }

    /// The drain contract: frames out, then every event (answering is
    /// input again, so frames out after each).
    async fn pump(&mut self) -> Result<(), Error> {
        loop {
            if let Err(e) = self.driver.flush().await {
                // The control connection is gone: end every operation.
                let now = self.driver.now();
                self.driver.session_mut().close(now);
                self.pump_events_only();
                return Err(Error::from_tls_io(e));
            }
            let event = match self.backlog.pop_front() {
                Some(e) => e,
                None => match self.driver.session_mut().poll_event() {
                    Some(e) => e,
                    None => return Ok(()),
                },
            };
            self.handle(event).await?;
        }
    }

    async fn handle(&mut self, event: ClientEvent) -> Result<(), Error> {
        match event {
            ClientEvent::Finished { op, result } => {
                if self.finished.len() >= MAX_UNCLAIMED {
                    self.finished.pop_front();
                }
                self.finished.push_back((op, result));
            }
            ClientEvent::Data(request) => self.data_request(request).await,
            ClientEvent::Transfer(start) => {
                self.open_data(&start).await;
                if start.direction == Direction::Listing {
                    self.read_listing(start.id).await;
                } else if matches!(self.data, DataConn::Open(id, _) if id == start.id) {
                    self.transfer = Some(start);
                }
            }
            ClientEvent::UpgradeTls => self.upgrade_control().await?,
            ClientEvent::DowngradeTls => self.downgrade_control().await?,
            ClientEvent::Closed(reason) => self.closed = Some(reason),
            // Progress and warnings: nothing to do.
            _ => {}
        }
        Ok(())
    }

    async fn data_request(&mut self, request: DataRequest) {
        let now = self.driver.now();
        match request {
            DataRequest::Connect { id, addr, .. } => {
                let timeout = self.options.connect_timeout;
                let connected = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
                let now = self.driver.now();
                let session = self.driver.session_mut();
                match connected {
                    Ok(Ok(stream)) => {
                        let _ = stream.set_nodelay(true);
                        self.data = DataConn::Connected(id, stream);
                        let _ = session.data_connected(now, id);
                    }
                    _ => {
                        self.data = DataConn::None;
                        let _ = session.data_failed(now, id);
                    }
                }
            }
            DataRequest::Listen { id, .. } => {
                match tokio::net::TcpListener::bind((self.local.ip(), 0)).await {
                    Ok(listener) => match listener.local_addr() {
                        Ok(addr) => {
                            self.data = DataConn::Listening(id, listener);
                            let _ = self.driver.session_mut().data_listening(now, id, addr);
                        }
                        Err(_) => {
                            let _ = self.driver.session_mut().data_failed(now, id);
                        }
                    },
                    Err(_) => {
                        let _ = self.driver.session_mut().data_failed(now, id);
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
    /// Failures are reported to the engine.
    async fn open_data(&mut self, start: &TransferStart) {
        let id = start.id;
        let opened = match std::mem::replace(&mut self.data, DataConn::None) {
            DataConn::Connected(i, stream) if i == id => Ok(stream),
            DataConn::Listening(i, listener) if i == id => {
                let timeout = self.options.engine.data_timeout;
                match tokio::time::timeout(timeout, self.accept_data(id, &listener)).await {
                    Ok(Ok(Some(stream))) => {
                        let _ = stream.set_nodelay(true);
                        Ok(stream)
                    }
                    // The engine gave up (and failed the transfer itself).
                    Ok(Ok(None)) => return,
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
                }
            }
            DataConn::Open(i, stream) if i == id => {
                self.data = DataConn::Open(i, stream);
                return;
            }
            other => {
                // Not ours (already failed and reported).
                self.data = other;
                return;
            }
        };
        let transport = match opened {
            Ok(stream) => self.protect_data(start, stream).await,
            Err(e) => Err(e),
        };
        match transport {
            Ok(t) => self.data = DataConn::Open(id, t),
            Err(_) => {
                let now = self.driver.now();
                let _ = self.driver.session_mut().data_failed(now, id);
            }
        }
    }

    /// Active mode: accepts connections until the engine takes one (it
    /// admits only the server, bounce protection) or gives up (`None`).
    async fn accept_data(
        &mut self,
        id: ftp_proto::data::DataId,
        listener: &tokio::net::TcpListener,
    ) -> io::Result<Option<TcpStream>> {
        loop {
            let (stream, from) = listener.accept().await?;
            let now = self.driver.now();
            match self.driver.session_mut().data_accepted(now, id, from) {
                Ok(ftp_proto::client::AcceptedPeer::Accepted) => return Ok(Some(stream)),
                Ok(ftp_proto::client::AcceptedPeer::Refused) => {
                    tracing::debug!(%from, "data connection from a foreign host dropped");
                }
                _ => return Ok(None),
            }
        }
    }

    #[cfg_attr(not(feature = "tls"), allow(clippy::unused_async))]
    async fn protect_data(
        &mut self,
        start: &TransferStart,
        stream: TcpStream,
    ) -> io::Result<Transport> {
        #[allow(unused_mut, reason = "only changed with TLS")]
        let mut transport = Transport::Plain(stream);
        if start.protection == ftp_proto::data::DataProtection::Private {
            #[cfg(feature = "tls")]
            {
                let tls = self.options.tls.as_ref().ok_or_else(|| {
                    io::Error::new(io::ErrorKind::Unsupported, "no TLS configuration")
                })?;
                let handshake = transport
                    .upgrade_client(crate::tls::connector(tls), tls.name_for(self.peer.ip()));
                tokio::time::timeout(self.options.connect_timeout, handshake)
                    .await
                    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            }
            #[cfg(not(feature = "tls"))]
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "built without TLS",
            ));
        }
        Ok(transport)
    }

    /// Reads a listing's data connection to EOF into the engine.
    async fn read_listing(&mut self, id: ftp_proto::data::DataId) {
        let DataConn::Open(_, mut stream) = std::mem::replace(&mut self.data, DataConn::None)
        else {
            return;
        };
        // Nothing drives the engine's data timer while this reads: a data
        // connection quiet for `data_timeout` fails here (as the blocking
        // client's read timeout does).
        let quiet = self.options.engine.data_timeout;
        let ok = loop {
            let Ok(read) = tokio::time::timeout(quiet, stream.read(&mut self.buf)).await else {
                break false;
            };
            match read {
                Ok(0) => break true,
                Ok(n) => {
                    let now = self.driver.now();
                    let chunk = self.buf.get(..n).unwrap_or_default();
                    // An error: the engine gave this listing up (too
                    // large, aborted); stop reading it.
                    if self
                        .driver
                        .session_mut()
                        .listing_data(now, id, chunk)
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) if data::is_unclean_tls_eof(&e) => break true,
                Err(_) => break false,
            }
        };
        let now = self.driver.now();
        let session = self.driver.session_mut();
        let _ = if ok {
            session.data_finished(now, id)
        } else {
            session.data_failed(now, id)
        };
    }

    #[cfg(feature = "tls")]
    async fn upgrade_control(&mut self) -> Result<(), Error> {
        let Some(tls) = self.options.tls.clone() else {
            let now = self.driver.now();
            self.driver.session_mut().close(now);
            return Err(Error::TlsNotConfigured);
        };
        let name = tls.name_for(self.peer.ip());
        let handshake = self
            .driver
            .transport_mut()
            .upgrade_client(crate::tls::connector(&tls), name);
        let result = tokio::time::timeout(self.options.connect_timeout, handshake).await;
        let now = self.driver.now();
        match result {
            Ok(Ok(())) => {
                let _ = self.driver.session_mut().tls_established(now);
                Ok(())
            }
            Ok(Err(e)) => {
                self.driver.session_mut().close(now);
                Err(Error::from_tls_io(e))
            }
            Err(_) => {
                self.driver.session_mut().close(now);
                Err(Error::ConnectTimeout)
            }
        }
    }

    #[cfg(feature = "tls")]
    async fn downgrade_control(&mut self) -> Result<(), Error> {
        let timeout = self.options.engine.reply_timeout;
        let result = tokio::time::timeout(timeout, self.driver.transport_mut().downgrade()).await;
        let now = self.driver.now();
        match result {
            Ok(Ok(())) => {
                let _ = self.driver.session_mut().tls_cleared(now);
                Ok(())
            }
            Ok(Err(e)) => {
                self.driver.session_mut().close(now);
                Err(Error::from_tls_io(e))
            }
            Err(_) => {
                self.driver.session_mut().close(now);
                Err(Error::Io(io::ErrorKind::TimedOut.into()))
            }
        }
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_async)]
    async fn upgrade_control(&mut self) -> Result<(), Error> {
        let now = self.driver.now();
        self.driver.session_mut().close(now);
        Err(Error::TlsNotConfigured)
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_async)]
    async fn downgrade_control(&mut self) -> Result<(), Error> {
        self.upgrade_control().await
    }
}

type EngineResult = Result<OpId, ftp_proto::UsageError>;

fn bytes_of(value: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(value.as_ref())
}

/// UTC now, for placing LIST dates without a year.
fn wall_clock() -> Option<Timestamp> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(Timestamp::from_unix(
        i64::try_from(since.as_secs()).ok()?,
        0,
    ))
}
