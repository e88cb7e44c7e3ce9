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
//! ```
//! use ftp_proto_tokio::auth::{AnonymousOnly, Blocking};
//! use ftp_proto_tokio::server::{FilesystemRoots, Server, ServerSettings};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let folder = tempfile::tempdir()?;
//! # let root = folder.path();
//! let settings = ServerSettings::new()
//!     .listen("127.0.0.1:0".parse()?) // any free port: see `local_addrs`
//!     .passive_ports(50000..=50100)
//!     .allow_anonymous(true); // off by default: AnonymousOnly alone refuses everyone
//! let server = Server::builder(Blocking::new(AnonymousOnly::new()), FilesystemRoots::new(root))
//!     .settings(settings)
//!     .bind()
//!     .await?;
//! # let addr = server.local_addrs()[0];
//! let handle = server.handle();
//! let serving = tokio::spawn(server.serve());
//! # let mut client = ftp_proto_tokio::client::Client::connect(addr, Default::default()).await?;
//! # client.login("anonymous", "guest@example.org").await?;
//! # client.quit().await?;
//! // Later, on ctrl-c say: stop accepting; idle sessions get 421, transfers may finish.
//! handle.shutdown();
//! serving.await??;
//! # Ok(())
//! # }
//! ```
//!
//! [`ServerSession`]: ftp_proto::server::ServerSession

mod backend;
mod control;
mod data;
mod session;
#[cfg(feature = "tls")]
mod tls;
mod transfer;

use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use ftp_proto::Session;
use ftp_proto::server::{Refusal, ServerConfig, ServerSession};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;

pub use backend::{FilesystemRoots, StorageFactory, file_info, fs_error};
pub use ftp_proto_std::server::{BanPolicy, ServerSettings};
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsConfigError};

use ftp_proto_std::server::{
    ConnectionCounter, ConnectionSlot, LoginBans, PassiveLimit, ResolvedSettings,
};

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
    /// The data connections' stall limit.
    pub(crate) data_stall_timeout: Duration,
    /// `STOR` writes in place rather than beside the file.
    pub(crate) in_place_uploads: bool,
    /// Permits for transfers on threads of their own.
    pub(crate) transfer_threads: Arc<Semaphore>,
    /// Failed logins per client address.
    pub(crate) bans: LoginBans,
    /// Passive listeners per client address.
    pub(crate) passive: PassiveLimit,
}

/// Configures a [`Server`]: its [`ServerSettings`] and how many transfers
/// run on threads; [`bind`](Self::bind) opens its listeners.
#[derive(Debug)]
#[must_use]
pub struct ServerBuilder<A, F> {
    auth: A,
    factory: F,
    settings: ServerSettings,
    max_transfer_threads: usize,
}

impl<A: Authenticator, F: StorageFactory> ServerBuilder<A, F> {
    /// The server's settings (default: [`ServerSettings::default`]). FTPS
    /// ([`ServerSettings::tls`]) needs the feature `tls`.
    pub fn settings(mut self, settings: ServerSettings) -> Self {
        self.settings = settings;
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

    /// Opens the listeners.
    ///
    /// # Errors
    /// A listen address that cannot be bound, implicit TLS without a TLS
    /// configuration, or a TLS configuration without the feature `tls`.
    pub async fn bind(self) -> io::Result<Server<A, F>> {
        let Self {
            auth,
            factory,
            settings,
            max_transfer_threads,
        } = self;
        let ResolvedSettings {
            listen,
            engine,
            #[cfg(feature = "tls")]
            tls,
            implicit_tls,
            passive_ports,
            limits,
            passive_per_ip,
            login_bans,
            handshake_timeout,
            write_timeout,
            data_stall_timeout,
            in_place_uploads,
            ..
        } = settings.resolve()?;
        #[cfg(feature = "tls")]
        let tls = server_tls(tls)?;
        #[cfg(not(feature = "tls"))]
        let tls = server_tls(&engine, implicit_tls)?;
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
                engine: Arc::new(engine),
                tls,
                passive_ports,
                handshake_timeout,
                write_timeout,
                data_stall_timeout,
                in_place_uploads,
                transfer_threads: Arc::new(Semaphore::new(
                    max_transfer_threads.min(Semaphore::MAX_PERMITS),
                )),
                bans: LoginBans::new(login_bans),
                passive: PassiveLimit::new(passive_per_ip),
            }),
            implicit_tls,
            counter: ConnectionCounter::new(limits),
            shutdown: Arc::new(shutdown),
        })
    }
}

/// The settings' TLS configuration as this build can use it.
#[cfg(feature = "tls")]
fn server_tls(tls: Option<TlsConfig>) -> io::Result<Option<ServerTls>> {
    Ok(tls)
}

/// The settings' TLS configuration as this build can use it: none. The
/// settings can still name one when something else turned on
/// `ftp-proto-std/tls`: the engine's TLS policy then says so, and the
/// server does not bind.
#[cfg(not(feature = "tls"))]
fn server_tls(engine: &ServerConfig, implicit_tls: bool) -> io::Result<Option<ServerTls>> {
    if engine.tls == ftp_proto::server::TlsPolicy::Disabled && !implicit_tls {
        Ok(None)
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "FTPS needs the feature `tls` of ftp-proto-tokio",
        ))
    }
}

/// A bound FTP server; [`serve`](Self::serve) runs it.
#[derive(Debug)]
pub struct Server<A, F> {
    listeners: Vec<TcpListener>,
    shared: Arc<Shared<A, F>>,
    implicit_tls: bool,
    counter: Arc<ConnectionCounter>,
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
            settings: ServerSettings::default(),
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
            counter,
            shutdown,
        } = self;
        // Every session holds a sender; recv() gives None once all are gone.
        let (alive, mut all_done) = mpsc::channel::<()>(1);
        let mut acceptors = Vec::with_capacity(listeners.len());
        let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
        for listener in listeners {
            let accept = Acceptor {
                listener,
                shared: Arc::clone(&shared),
                implicit_tls,
                counter: Arc::clone(&counter),
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
    counter: Arc<ConnectionCounter>,
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
            // An urgent ABOR (RFC 959 §4.1.3's Synch) must stay in the stream.
            if let Err(e) = ftp_proto_std::net::keep_urgent_data_inline(&stream) {
                tracing::debug!(error = %e, "cannot keep urgent data in line");
            }
            let id = self
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let slot = self
                .shared
                .bans
                .admit(std::time::Instant::now(), peer.ip())
                .and_then(|()| self.counter.admit(peer.ip()));
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
}

async fn serve_connection<A: Authenticator, F: StorageFactory>(
    shared: Arc<Shared<A, F>>,
    stream: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    slot: Result<ConnectionSlot, Refusal>,
    shutdown: watch::Receiver<bool>,
) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    #[allow(unused_mut, reason = "only changed with TLS")]
    let mut control = Transport::Plain(control::ControlStream::new(stream));
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
                clock.now(),
                Arc::clone(&shared.engine),
                peer,
                local,
                why,
            );
            write_refusal(engine, control).await;
            return;
        }
    };
    let engine = ServerSession::new(clock.now(), Arc::clone(&shared.engine), peer, local);
    session::SessionTask::new(shared, engine, control, clock, shutdown)
        .run()
        .await;
}

/// Sends a refusing session's `421` and closes the connection.
async fn write_refusal(mut engine: ServerSession, mut control: Transport<control::ControlStream>) {
    while let Some(frame) = engine.poll_transmit() {
        let write = tokio::time::timeout(Duration::from_secs(5), control.write_all(&frame));
        if !matches!(write.await, Ok(Ok(()))) {
            return;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), control.shutdown()).await;
}

#[cfg(all(test, not(feature = "tls")))]
mod tests {
    use ftp_proto::server::TlsPolicy;

    use super::*;

    /// Without the feature `tls`, settings that ask for FTPS (possible when
    /// something else turned on `ftp-proto-std/tls`) do not bind.
    #[test]
    fn settings_asking_for_tls_are_refused_without_the_feature() {
        let plain = ServerConfig::default();
        assert!(matches!(server_tls(&plain, false), Ok(None)));
        let mut offered = ServerConfig::default();
        offered.tls = TlsPolicy::Available;
        for (engine, implicit) in [(&offered, false), (&plain, true)] {
            let refused = server_tls(engine, implicit).err().map(|e| e.kind());
            assert_eq!(refused, Some(io::ErrorKind::Unsupported));
        }
    }
}
