//! A blocking FTP server: [`Server`] drives one [`ServerSession`] per
//! control connection on its own threads, with storage from a
//! [`StorageFactory`] and logins checked by an [`Authenticator`].
//!
//! The same server as `ftp_proto_tokio::server`, option for option, over
//! `std::net` and threads. Every protocol rule lives in the engine; this
//! module moves bytes, binds and connects data sockets, runs the TLS
//! handshakes (rustls), calls the storage and the authenticator, and logs
//! through `tracing` (a span per session and per transfer).
//!
//! Features: the server itself ([`Server`], [`ServerBuilder`],
//! [`ServerHandle`], [`FilesystemRoots`], [`StorageFactory`]) needs
//! `blocking`, its FTPS `tls`. The settings ([`ServerSettings`],
//! [`ResolvedSettings`]), login bans and connection limits, which the tokio
//! server shares, are always built.
//!
//! Threads: one accept thread per listen address, and per session a
//! session thread, a control reader thread and, during a transfer, one
//! transfer thread (see the `session` module for the bound).
//!
//! ```
//! # #[cfg(feature = "blocking")]
//! use ftp_proto_std::auth::AnonymousOnly;
//! # #[cfg(feature = "blocking")]
//! use ftp_proto_std::server::{FilesystemRoots, Server, ServerSettings};
//!
//! # #[cfg(not(feature = "blocking"))]
//! # fn main() {}
//! # #[cfg(feature = "blocking")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let folder = tempfile::tempdir()?;
//! # let root = folder.path();
//! let settings = ServerSettings::new()
//!     .listen("127.0.0.1:0".parse()?) // any free port: see `local_addrs`
//!     .passive_ports(50000..=50100)
//!     .allow_anonymous(true); // off by default: AnonymousOnly alone refuses everyone
//! let server = Server::builder(AnonymousOnly::new(), FilesystemRoots::new(root))
//!     .settings(settings)
//!     .bind()?;
//! # let addr = server.local_addrs()[0];
//! let handle = server.handle();
//! let serving = std::thread::spawn(move || server.serve());
//! # let mut client = ftp_proto_std::client::Client::connect(addr, Default::default())?;
//! # client.login("anonymous", "guest@example.org")?;
//! # client.quit()?;
//! // From any thread (a signal handler, a UI...): stop accepting; idle
//! // sessions get 421, transfers may finish.
//! handle.shutdown();
//! serving.join().expect("the server thread")?;
//! # Ok(())
//! # }
//! ```
//!
//! [`ServerSession`]: ftp_proto::server::ServerSession

#[cfg(feature = "blocking")]
mod backend;
mod bans;
#[cfg(feature = "blocking")]
mod control;
#[cfg(feature = "blocking")]
mod data;
mod limits;
#[cfg(feature = "blocking")]
mod session;
mod settings;

#[cfg(feature = "blocking")]
use std::collections::HashMap;
#[cfg(feature = "blocking")]
use std::io::{self, Write};
#[cfg(feature = "blocking")]
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
#[cfg(feature = "blocking")]
use std::ops::RangeInclusive;
#[cfg(feature = "blocking")]
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(feature = "blocking")]
use std::sync::mpsc::{Sender, channel};
#[cfg(feature = "blocking")]
use std::sync::{Arc, Condvar, Mutex, PoisonError};
#[cfg(feature = "blocking")]
use std::time::Duration;

#[cfg(feature = "blocking")]
use ftp_proto::server::{Refusal, ServerConfig, ServerSession};
#[cfg(feature = "blocking")]
use ftp_proto::{Instant, Session};

#[cfg(feature = "blocking")]
pub use backend::{FilesystemRoots, StorageFactory};
pub use bans::{BanPolicy, LoginBans};
pub use limits::{ConnectionCounter, ConnectionLimits, ConnectionSlot, PassiveClaim, PassiveLimit};
pub use settings::{ResolvedSettings, ServerSettings};

#[cfg(feature = "tls")]
pub use crate::tls::{TlsConfig, TlsConfigError};

#[cfg(feature = "blocking")]
use crate::auth::Authenticator;
#[cfg(feature = "blocking")]
use session::{Driver, Msg};

/// The server's TLS settings inside the crate (see
/// [`DataTls`](crate::transfer::DataTls)).
#[cfg(feature = "blocking")]
pub(crate) type ServerTls = crate::transfer::DataTls;

#[cfg(feature = "blocking")]
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
    pub(crate) data_connect_timeout: Duration,
    /// Failed logins per client address.
    pub(crate) bans: LoginBans,
    /// Passive listeners per client address.
    pub(crate) passive: PassiveLimit,
}

#[cfg(feature = "blocking")]
/// The live sessions (to tell them about a shutdown, and to know when all
/// are gone).
#[derive(Debug)]
struct State {
    sessions: Mutex<HashMap<u64, Sender<Msg>>>,
    /// Signalled whenever a session ends.
    ended: Condvar,
    shutdown: AtomicBool,
    next_id: AtomicU64,
    counter: Arc<ConnectionCounter>,
}

#[cfg(feature = "blocking")]
impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Sender<Msg>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(feature = "blocking")]
/// A connection's place among the live sessions, and in the connection
/// counts unless it is over a limit; released when dropped.
#[derive(Debug)]
struct Slot {
    state: Arc<State>,
    id: u64,
    /// Over a limit: not counted in, the connection gets `421`.
    admitted: Result<ConnectionSlot, Refusal>,
}

#[cfg(feature = "blocking")]
impl Drop for Slot {
    fn drop(&mut self) {
        // `admitted` gives its place in the counts back right after this.
        self.state.lock().remove(&self.id);
        self.state.ended.notify_all();
    }
}

#[cfg(feature = "blocking")]
/// Configures a [`Server`]: its [`ServerSettings`]; [`bind`](Self::bind)
/// opens its listeners.
#[derive(Debug)]
#[must_use]
pub struct ServerBuilder<A, F> {
    auth: A,
    factory: F,
    settings: ServerSettings,
}

#[cfg(feature = "blocking")]
impl<A: Authenticator + 'static, F: StorageFactory> ServerBuilder<A, F> {
    /// The server's settings (default: [`ServerSettings::default`]).
    pub fn settings(mut self, settings: ServerSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Opens the listeners.
    ///
    /// # Errors
    /// A listen address that cannot be bound, or implicit TLS without a
    /// TLS configuration.
    pub fn bind(self) -> io::Result<Server<A, F>> {
        let Self {
            auth,
            factory,
            settings,
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
        let data_connect_timeout = engine
            .timeouts
            .data_connect
            .unwrap_or(Duration::from_secs(60));
        let listeners = listen
            .into_iter()
            .map(TcpListener::bind)
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Server {
            listeners,
            shared: Arc::new(Shared {
                auth,
                factory,
                engine: Arc::new(engine),
                #[cfg(feature = "tls")]
                tls,
                #[cfg(not(feature = "tls"))]
                tls: None,
                passive_ports,
                handshake_timeout,
                write_timeout,
                data_stall_timeout,
                in_place_uploads,
                data_connect_timeout,
                bans: LoginBans::new(login_bans),
                passive: PassiveLimit::new(passive_per_ip),
            }),
            implicit_tls,
            state: Arc::new(State {
                sessions: Mutex::default(),
                ended: Condvar::new(),
                shutdown: AtomicBool::new(false),
                next_id: AtomicU64::new(0),
                counter: ConnectionCounter::new(limits),
            }),
        })
    }
}

#[cfg(feature = "blocking")]
/// A bound FTP server; [`serve`](Self::serve) runs it.
#[derive(Debug)]
pub struct Server<A, F> {
    listeners: Vec<TcpListener>,
    shared: Arc<Shared<A, F>>,
    #[cfg_attr(not(feature = "tls"), allow(dead_code, reason = "always false"))]
    implicit_tls: bool,
    state: Arc<State>,
}

#[cfg(feature = "blocking")]
/// Stops a running [`Server`]; cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    state: Arc<State>,
    /// Where to connect to wake each blocked `accept`.
    wake: Vec<SocketAddr>,
}

#[cfg(feature = "blocking")]
impl ServerHandle {
    /// Graceful shutdown: stop accepting, `421` to idle sessions, running
    /// transfers finish within the grace period (then `426`), and
    /// [`Server::serve`] returns once every session is over.
    pub fn shutdown(&self) {
        if self.state.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for addr in &self.wake {
            let _ = TcpStream::connect_timeout(addr, Duration::from_secs(1));
        }
        let sessions: Vec<Sender<Msg>> = self.state.lock().values().cloned().collect();
        for s in sessions {
            let _ = s.send(Msg::Shutdown);
        }
    }
}

#[cfg(feature = "blocking")]
impl Server<(), ()> {
    /// Starts configuring a server with an authenticator and a storage factory.
    pub fn builder<A: Authenticator + 'static, F: StorageFactory>(
        auth: A,
        factory: F,
    ) -> ServerBuilder<A, F> {
        ServerBuilder {
            auth,
            factory,
            settings: ServerSettings::default(),
        }
    }
}

#[cfg(feature = "blocking")]
/// The loopback address of the same family, for a listener on "any".
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

#[cfg(feature = "blocking")]
impl<A: Authenticator + 'static, F: StorageFactory> Server<A, F> {
    /// The bound addresses (with the real ports when port 0 was asked).
    #[must_use]
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// A handle to shut the server down.
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            state: Arc::clone(&self.state),
            wake: self.local_addrs().into_iter().map(wake_address).collect(),
        }
    }

    /// Accepts and serves connections until [`ServerHandle::shutdown`], then
    /// waits for every session to end.
    ///
    /// # Errors
    /// A thread that cannot be started.
    pub fn serve(self) -> io::Result<()> {
        let this = Arc::new(self);
        let mut acceptors = Vec::with_capacity(this.listeners.len());
        for index in 0..this.listeners.len() {
            let server = Arc::clone(&this);
            acceptors.push(
                std::thread::Builder::new()
                    .name("ftp-accept".into())
                    .spawn(move || server.accept_loop(index))?,
            );
        }
        for a in acceptors {
            let _ = a.join();
        }
        let mut r = this.state.lock();
        while !r.is_empty() {
            r = this
                .state
                .ended
                .wait(r)
                .unwrap_or_else(PoisonError::into_inner);
        }
        Ok(())
    }

    fn accept_loop(self: &Arc<Self>, index: usize) {
        let Some(listener) = self.listeners.get(index) else {
            return;
        };
        let local = listener.local_addr().ok();
        tracing::info!(?local, "listening");
        loop {
            let accepted = listener.accept();
            if self.state.shutdown.load(Ordering::SeqCst) {
                break;
            }
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            // An urgent ABOR (RFC 959 §4.1.3's Synch) must stay in the stream.
            if let Err(e) = crate::net::keep_urgent_data_inline(&stream) {
                tracing::debug!(error = %e, "cannot keep urgent data in line");
            }
            let (slot, tx, rx) = self.take_slot(peer.ip());
            let server = Arc::clone(self);
            let id = slot.id;
            let spawned = std::thread::Builder::new()
                .name("ftp-session".into())
                .spawn(move || {
                    let span = tracing::info_span!("ftp_session", id, %peer);
                    let _span = span.enter();
                    server.serve_connection(stream, peer, slot, (tx, rx));
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start a session thread");
            }
        }
        tracing::info!(?local, "stopped listening");
    }

    /// Registers the connection, counted in unless it is over a limit.
    fn take_slot(&self, ip: IpAddr) -> (Slot, Sender<Msg>, std::sync::mpsc::Receiver<Msg>) {
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = channel();
        let admitted = self
            .shared
            .bans
            .admit(std::time::Instant::now(), ip)
            .and_then(|()| self.state.counter.admit(ip));
        self.state.lock().insert(id, tx.clone());
        let slot = Slot {
            state: Arc::clone(&self.state),
            id,
            admitted,
        };
        (slot, tx, rx)
    }

    fn serve_connection(
        &self,
        mut stream: TcpStream,
        peer: SocketAddr,
        slot: Slot,
        channel: (Sender<Msg>, std::sync::mpsc::Receiver<Msg>),
    ) {
        let origin = std::time::Instant::now();
        let Ok(local) = stream.local_addr() else {
            return;
        };
        #[allow(unused_mut, reason = "only changed with TLS")]
        let mut tls: Option<control::ServerConnection> = None;
        #[cfg(feature = "tls")]
        if self.implicit_tls {
            let Some(config) = self.shared.tls.as_ref() else {
                return;
            };
            match control::accept_tls(
                &mut stream,
                config.rustls_config(),
                self.shared.handshake_timeout,
            ) {
                Ok(conn) => tls = Some(conn),
                Err(_) => {
                    tracing::info!("implicit TLS handshake failed");
                    return;
                }
            }
        }
        // A connection accepted as the shutdown began is refused outright.
        let refusal = slot.admitted.as_ref().err().copied().or_else(|| {
            self.state
                .shutdown
                .load(Ordering::SeqCst)
                .then_some(Refusal::ShuttingDown)
        });
        if let Some(why) = refusal {
            tracing::info!(?why, "refused");
            let mut engine = ServerSession::refuse_because(
                Instant::ZERO,
                Arc::clone(&self.shared.engine),
                peer,
                local,
                why,
            );
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            let mut conn = tls;
            while let Some(frame) = engine.poll_transmit() {
                let written = match conn.as_mut() {
                    None => stream.write_all(&frame),
                    Some(c) => c
                        .writer()
                        .write_all(&frame)
                        .and_then(|()| write_tls(c, &mut stream)),
                };
                if written.is_err() {
                    return;
                }
            }
            if let Some(c) = conn.as_mut() {
                c.send_close_notify();
                let _ = write_tls(c, &mut stream);
            }
            let _ = stream.shutdown(std::net::Shutdown::Write);
            return;
        }
        let go = match control::spawn_reader(&stream, channel.0.clone()) {
            Ok(go) => go,
            Err(e) => {
                tracing::warn!(error = %e, "cannot start a reader thread");
                return;
            }
        };
        let control = control::Control::new(stream, tls, go);
        let shutting_down = self.state.shutdown.load(Ordering::SeqCst);
        Driver::new(
            Arc::clone(&self.shared),
            control,
            channel,
            peer,
            local,
            origin,
        )
        .run(shutting_down);
        drop(slot);
    }
}

#[cfg(feature = "blocking")]
/// Sends every pending TLS record of `conn`.
fn write_tls(conn: &mut control::ServerConnection, stream: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(stream)?;
    }
    Ok(())
}
