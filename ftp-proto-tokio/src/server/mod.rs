//! An async FTP server: [`Server`] drives one [`ServerSession`] per control
//! connection over tokio, with storage from a [`StorageFactory`] and logins
//! checked by an [`Authenticator`].
//!
//! Every protocol rule (replies, sequencing, timeouts, bounce protection,
//! the passive-peer check, TLS policy) lives in the engine; this module moves
//! bytes, binds and connects data sockets, runs the TLS handshakes, calls
//! the storage and the authenticator, and logs through `tracing` (a span
//! per session and per transfer; nothing is printed).
//!
//! ```no_run
//! use ftp_proto_tokio::auth::{AnonymousOnly, Blocking};
//! use ftp_proto_tokio::server::{FilesystemRoots, Server};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = Server::builder(Blocking::new(AnonymousOnly::new()), FilesystemRoots::new("/srv/ftp"))
//!     .listen("127.0.0.1:2121".parse().unwrap())
//!     .passive_ports(50000..=50100)
//!     .bind()
//!     .await?;
//! let handle = server.handle();
//! tokio::spawn(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     handle.shutdown(); // stop accepting; idle sessions get 421, transfers may finish
//! });
//! server.serve().await
//! # }
//! ```
//!
//! [`ServerSession`]: ftp_proto::server::ServerSession

mod backend;
mod data;
mod session;
#[cfg(feature = "tls")]
mod tls;
mod transfer;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ftp_proto::Session;
use ftp_proto::server::{Refusal, ServerConfig, ServerSession, ShutdownPolicy, TlsPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;

pub use backend::{FilesystemRoots, StorageFactory, file_info, fs_error};
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsConfigError};

use crate::auth::Authenticator;
use crate::driver::{Clock, Transport};

/// The server's TLS settings inside the crate: [`TlsConfig`] with the
/// `tls` feature, an empty type without it (so `Option<ServerTls>` is
/// always `None` and the TLS paths are unreachable).
#[cfg(feature = "tls")]
pub(crate) type ServerTls = TlsConfig;
/// The server's TLS settings inside the crate: none can exist, the crate
/// is built without `tls`.
#[cfg(not(feature = "tls"))]
#[derive(Debug, Clone)]
pub(crate) enum ServerTls {}

/// What every session of one server shares.
#[derive(Debug)]
pub(crate) struct Shared<A, F> {
    pub(crate) auth: A,
    pub(crate) factory: F,
    pub(crate) engine: Arc<ServerConfig>,
    pub(crate) tls: Option<ServerTls>,
    pub(crate) passive_ports: Option<RangeInclusive<u16>>,
    pub(crate) handshake_timeout: Duration,
    pub(crate) write_timeout: Duration,
    /// Permits for transfers on threads of their own.
    pub(crate) transfer_threads: Arc<Semaphore>,
}

/// Connection counters for the limits.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Releases a connection's place in [`Counts`] when dropped.
#[derive(Debug)]
struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Configures a [`Server`]; [`bind`](Self::bind) opens its listeners.
#[derive(Debug)]
#[must_use]
pub struct ServerBuilder<A, F> {
    auth: A,
    factory: F,
    listen: Vec<SocketAddr>,
    config: ServerConfig,
    tls: Option<ServerTls>,
    implicit_tls: bool,
    require_tls: bool,
    passive_ports: Option<RangeInclusive<u16>>,
    max_connections: usize,
    max_per_ip: Option<usize>,
    grace: Duration,
    handshake_timeout: Duration,
    write_timeout: Duration,
    max_transfer_threads: usize,
}

impl<A: Authenticator, F: StorageFactory> ServerBuilder<A, F> {
    /// Adds a listen address (IPv4 or IPv6; port 0 picks a free one). The
    /// default, when none is added, is `127.0.0.1:2121`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen.push(addr);
        self
    }

    /// Passive data ports come from this range (default: any free port).
    pub fn passive_ports(mut self, range: RangeInclusive<u16>) -> Self {
        self.passive_ports = Some(range);
        self
    }

    /// The IPv4 address announced in `227` replies (a server behind NAT).
    pub fn masquerade_address(mut self, ip: IpAddr) -> Self {
        self.config.masquerade_address = Some(ip);
        self
    }

    /// Offers FTPS with this certificate: explicit `AUTH TLS`, and `PROT P`
    /// data connections (feature `tls`).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Implicit FTPS: every connection starts with a TLS handshake (needs
    /// [`tls`](Self::tls); feature `tls`).
    #[cfg(feature = "tls")]
    pub fn implicit_tls(mut self, implicit: bool) -> Self {
        self.implicit_tls = implicit;
        self
    }

    /// Refuse login before `AUTH TLS` and transfers without `PROT P`
    /// (feature `tls`).
    #[cfg(feature = "tls")]
    pub fn require_tls(mut self, required: bool) -> Self {
        self.require_tls = required;
        self
    }

    /// Whether anonymous logins reach the authenticator (default: off).
    pub fn allow_anonymous(mut self, allowed: bool) -> Self {
        self.config.security.allow_anonymous = allowed;
        self
    }

    /// Most simultaneous connections; beyond it a connection gets `421`
    /// and is closed. Default 1024.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Most simultaneous connections from one client IP (default: no limit
    /// besides [`max_connections`](Self::max_connections)).
    pub fn max_connections_per_ip(mut self, max: usize) -> Self {
        self.max_per_ip = Some(max);
        self
    }

    /// No command for this long gives `421` (default 300 s; `None`: never).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.timeouts.idle = timeout;
        self
    }

    /// Not logged in this long after connecting gives `421` (default 60 s).
    pub fn login_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.timeouts.login = timeout;
        self
    }

    /// How long a data connection may take to come (default 60 s).
    pub fn data_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.timeouts.data_connect = timeout;
        self
    }

    /// Pause before answering a failed login (default 3 s).
    pub fn failed_login_delay(mut self, delay: Option<Duration>) -> Self {
        self.config.timeouts.failed_login_delay = delay;
        self
    }

    /// How long running transfers may go on after [`ServerHandle::shutdown`]
    /// (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Most transfers that run on threads of their own at once (default
    /// 256; 0: none).
    ///
    /// A file whose storage hands it over as a blocking handle
    /// ([`Storage::into_std_reader`](crate::storage::Storage::into_std_reader),
    /// as [`Filesystem`](crate::storage::Filesystem) does) is moved by a
    /// dedicated thread with blocking reads and writes, about twice as fast
    /// as async file I/O for local files. Beyond this many, transfers run
    /// as tasks on the runtime, as listings and other storages' files
    /// always do.
    pub fn max_transfer_threads(mut self, max: usize) -> Self {
        self.max_transfer_threads = max;
        self
    }

    /// Any other engine setting (features, limits, security policy, texts).
    /// The builder's own settings are applied over it at [`bind`](Self::bind).
    pub fn configure(mut self, change: impl FnOnce(&mut ServerConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Opens the listeners.
    pub async fn bind(self) -> io::Result<Server<A, F>> {
        let Self {
            auth,
            factory,
            mut listen,
            mut config,
            tls,
            implicit_tls,
            require_tls,
            passive_ports,
            max_connections,
            max_per_ip,
            grace,
            handshake_timeout,
            write_timeout,
            max_transfer_threads,
        } = self;
        if implicit_tls && tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "implicit TLS needs a TLS configuration",
            ));
        }
        if listen.is_empty() {
            listen.push(SocketAddr::from(([127, 0, 0, 1], 2121)));
        }
        config.tls = match (&tls, require_tls) {
            (None, _) => TlsPolicy::Disabled,
            (Some(_), false) => TlsPolicy::Available,
            (Some(_), true) => TlsPolicy::RequiredForLoginAndData,
        };
        config.implicit_tls = implicit_tls;
        #[cfg(feature = "tls")]
        {
            config.require_tls_session_reuse =
                tls.as_ref().is_some_and(TlsConfig::session_reuse_required);
        }
        // The engine lets transfers finish after `shutdown`, and aborts them
        // at the end of the grace period itself.
        config.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
        config.timeouts.shutdown_grace = Some(grace);
        let mut listeners = Vec::with_capacity(listen.len());
        for addr in listen {
            listeners.push(TcpListener::bind(addr).await?);
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Server {
            listeners,
            shared: Arc::new(Shared {
                auth,
                factory,
                engine: Arc::new(config),
                tls,
                passive_ports,
                handshake_timeout,
                write_timeout,
                transfer_threads: Arc::new(Semaphore::new(
                    max_transfer_threads.min(Semaphore::MAX_PERMITS),
                )),
            }),
            implicit_tls,
            max_connections,
            max_per_ip,
            shutdown: Arc::new(shutdown),
        })
    }
}

/// A bound FTP server; [`serve`](Self::serve) runs it.
#[derive(Debug)]
pub struct Server<A, F> {
    listeners: Vec<TcpListener>,
    shared: Arc<Shared<A, F>>,
    implicit_tls: bool,
    max_connections: usize,
    max_per_ip: Option<usize>,
    shutdown: Arc<watch::Sender<bool>>,
}

/// Stops a running [`Server`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    shutdown: Arc<watch::Sender<bool>>,
}

impl ServerHandle {
    /// Graceful shutdown: stop accepting, `421` to idle sessions, running
    /// transfers finish within the grace period (then `426`), and
    /// [`Server::serve`] returns once every session is over.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Server<(), ()> {
    /// Starts configuring a server with an authenticator and a storage factory.
    pub fn builder<A: Authenticator, F: StorageFactory>(
        auth: A,
        factory: F,
    ) -> ServerBuilder<A, F> {
        ServerBuilder {
            auth,
            factory,
            listen: Vec::new(),
            config: ServerConfig::default(),
            tls: None,
            implicit_tls: false,
            require_tls: false,
            passive_ports: None,
            max_connections: 1024,
            max_per_ip: None,
            grace: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(120),
            max_transfer_threads: 256,
        }
    }
}

impl<A: Authenticator, F: StorageFactory> Server<A, F> {
    /// The bound addresses (with the real ports when port 0 was asked).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// A handle to shut the server down.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shutdown: Arc::clone(&self.shutdown),
        }
    }

    /// Accepts and serves connections until [`ServerHandle::shutdown`], then
    /// waits for every session to end.
    pub async fn serve(self) -> io::Result<()> {
        let Self {
            listeners,
            shared,
            implicit_tls,
            max_connections,
            max_per_ip,
            shutdown,
        } = self;
        let counts = Arc::new(Mutex::new(Counts::default()));
        // Every session holds a sender; recv() gives None once all are gone.
        let (alive, mut all_done) = mpsc::channel::<()>(1);
        let mut acceptors = Vec::with_capacity(listeners.len());
        let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
        for listener in listeners {
            let accept = Acceptor {
                listener,
                shared: Arc::clone(&shared),
                implicit_tls,
                max_connections,
                max_per_ip,
                counts: Arc::clone(&counts),
                alive: alive.clone(),
                shutdown: shutdown.subscribe(),
                next_id: Arc::clone(&next_id),
            };
            acceptors.push(tokio::spawn(accept.run()));
        }
        drop(alive);
        for a in acceptors {
            let _ = a.await;
        }
        let _ = all_done.recv().await;
        Ok(())
    }
}

/// The accept loop of one listener.
struct Acceptor<A, F> {
    listener: TcpListener,
    shared: Arc<Shared<A, F>>,
    implicit_tls: bool,
    max_connections: usize,
    max_per_ip: Option<usize>,
    counts: Arc<Mutex<Counts>>,
    alive: mpsc::Sender<()>,
    shutdown: watch::Receiver<bool>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl<A: Authenticator, F: StorageFactory> Acceptor<A, F> {
    async fn run(mut self) {
        let local = self.listener.local_addr().ok();
        tracing::info!(?local, "listening");
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            let accepted = tokio::select! {
                r = self.listener.accept() => r,
                _ = self.shutdown.changed() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let id = self
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let slot = self.take_slot(peer.ip());
            let shared = Arc::clone(&self.shared);
            let shutdown = self.shutdown.clone();
            let alive = self.alive.clone();
            let implicit = self.implicit_tls;
            let span = tracing::info_span!("ftp_session", id, %peer);
            tokio::spawn(
                async move {
                    let _alive = alive;
                    serve_connection(shared, stream, peer, implicit, slot, shutdown).await;
                }
                .instrument(span),
            );
        }
        tracing::info!(?local, "stopped listening");
    }

    /// Counts the connection in, or says which limit it is over.
    fn take_slot(&self, ip: IpAddr) -> Result<Slot, Refusal> {
        let ip = ip.to_canonical();
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let from_ip = c.per_ip.get(&ip).copied().unwrap_or(0);
        if c.total >= self.max_connections {
            return Err(Refusal::TooManyConnections);
        }
        if self.max_per_ip.is_some_and(|m| from_ip >= m) {
            return Err(Refusal::TooManyFromAddress);
        }
        c.total += 1;
        *c.per_ip.entry(ip).or_insert(0) += 1;
        Ok(Slot {
            counts: Arc::clone(&self.counts),
            ip,
        })
    }
}

async fn serve_connection<A: Authenticator, F: StorageFactory>(
    shared: Arc<Shared<A, F>>,
    stream: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    slot: Result<Slot, Refusal>,
    shutdown: watch::Receiver<bool>,
) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    #[allow(unused_mut, reason = "only changed with TLS")]
    let mut control = Transport::Plain(stream);
    if implicit_tls {
        let Some(tls) = shared.tls.clone() else {
            return;
        };
        #[cfg(feature = "tls")]
        {
            let handshake = control.upgrade_server(tls::acceptor(&tls));
            if !matches!(
                tokio::time::timeout(shared.handshake_timeout, handshake).await,
                Ok(Ok(()))
            ) {
                tracing::info!("implicit TLS handshake failed");
                return;
            }
        }
        #[cfg(not(feature = "tls"))]
        match tls {}
    }
    let clock = Clock::new();
    // A connection accepted as the shutdown began is refused outright.
    let slot = slot.and_then(|s| {
        if *shutdown.borrow() {
            Err(Refusal::ShuttingDown)
        } else {
            Ok(s)
        }
    });
    let _slot = match slot {
        Ok(slot) => slot,
        Err(why) => {
            tracing::info!(?why, "refused");
            let engine = ServerSession::refuse_because(
                Arc::clone(&shared.engine),
                peer,
                local,
                clock.now(),
                why,
            );
            write_refusal(engine, control).await;
            return;
        }
    };
    let engine = ServerSession::new(Arc::clone(&shared.engine), peer, local, clock.now());
    session::SessionTask::new(shared, engine, control, clock, shutdown)
        .run()
        .await;
}

/// Sends a refusing session's `421` and closes the connection.
async fn write_refusal(mut engine: ServerSession, mut control: Transport) {
    while let Some(frame) = engine.poll_transmit() {
        let write = tokio::time::timeout(Duration::from_secs(5), control.write_all(&frame));
        if !matches!(write.await, Ok(Ok(()))) {
            return;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), control.shutdown()).await;
}
