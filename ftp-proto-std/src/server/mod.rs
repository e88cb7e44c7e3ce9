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
//! Threads: one accept thread per listen address, and per session a
//! session thread, a control reader thread and, during a transfer, one
//! transfer thread (see the `session` module for the bound).
//!
//! ```no_run
//! use ftp_proto_std::auth::AnonymousOnly;
//! use ftp_proto_std::server::{FilesystemRoots, Server};
//!
//! # fn demo() -> std::io::Result<()> {
//! let server = Server::builder(AnonymousOnly::new(), FilesystemRoots::new("/srv/ftp"))
//!     .listen("127.0.0.1:2121".parse().unwrap())
//!     .passive_ports(50000..=50100)
//!     .bind()?;
//! let handle = server.handle();
//! // From another thread (a signal handler, a UI...):
//! // handle.shutdown(); // stop accepting; idle sessions get 421, transfers may finish
//! server.serve()
//! # }
//! ```
//!
//! [`ServerSession`]: ftp_proto::server::ServerSession

mod backend;
mod control;
mod data;
mod session;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use ftp_proto::server::{Refusal, ServerConfig, ServerSession, ShutdownPolicy, TlsPolicy};
use ftp_proto::{Instant, Session};

pub use backend::{FilesystemRoots, StorageFactory};

pub use crate::tls::{TlsConfig, TlsConfigError};

use crate::auth::Authenticator;
use session::{Driver, Msg};

/// What every session of one server shares.
#[derive(Debug)]
pub(crate) struct Shared<A, F> {
    pub(crate) auth: A,
    pub(crate) factory: F,
    pub(crate) engine: Arc<ServerConfig>,
    pub(crate) tls: Option<TlsConfig>,
    pub(crate) passive_ports: Option<RangeInclusive<u16>>,
    pub(crate) handshake_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) data_connect_timeout: Duration,
}

/// Connection counters for the limits, and the live sessions (to tell
/// them about a shutdown, and to know when all are gone).
#[derive(Debug, Default)]
struct Registry {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    sessions: HashMap<u64, Sender<Msg>>,
}

#[derive(Debug, Default)]
struct State {
    registry: Mutex<Registry>,
    /// Signalled whenever a session ends.
    ended: Condvar,
    shutdown: AtomicBool,
    next_id: AtomicU64,
}

impl State {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection's place in the [`Registry`], released when dropped.
#[derive(Debug)]
struct Slot {
    state: Arc<State>,
    ip: IpAddr,
    id: u64,
    /// Over a limit: not counted in, the connection gets `421`.
    refusal: Option<Refusal>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut r = self.state.lock();
        r.sessions.remove(&self.id);
        if self.refusal.is_none() {
            r.total = r.total.saturating_sub(1);
            if let Some(n) = r.per_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    r.per_ip.remove(&self.ip);
                }
            }
        }
        drop(r);
        self.state.ended.notify_all();
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
    tls: Option<TlsConfig>,
    implicit_tls: bool,
    require_tls: bool,
    passive_ports: Option<RangeInclusive<u16>>,
    max_connections: usize,
    max_per_ip: Option<usize>,
    grace: Duration,
    handshake_timeout: Duration,
    write_timeout: Duration,
}

impl<A: Authenticator + 'static, F: StorageFactory> ServerBuilder<A, F> {
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
    /// data connections.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Implicit FTPS: every connection starts with a TLS handshake (needs
    /// [`tls`](Self::tls)).
    pub fn implicit_tls(mut self, implicit: bool) -> Self {
        self.implicit_tls = implicit;
        self
    }

    /// Refuse login before `AUTH TLS` and transfers without `PROT P`.
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

    /// Any other engine setting (features, limits, security policy, texts).
    /// The builder's own settings are applied over it at [`bind`](Self::bind).
    pub fn configure(mut self, change: impl FnOnce(&mut ServerConfig)) -> Self {
        change(&mut self.config);
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
        config.require_tls_session_reuse =
            tls.as_ref().is_some_and(TlsConfig::session_reuse_required);
        // The engine lets transfers finish after `shutdown`, and aborts them
        // at the end of the grace period itself.
        config.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
        config.timeouts.shutdown_grace = Some(grace);
        let data_connect_timeout = config
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
                engine: Arc::new(config),
                tls,
                passive_ports,
                handshake_timeout,
                write_timeout,
                data_connect_timeout,
            }),
            implicit_tls,
            max_connections,
            max_per_ip,
            state: Arc::new(State::default()),
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
    state: Arc<State>,
}

/// Stops a running [`Server`]; cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    state: Arc<State>,
    /// Where to connect to wake each blocked `accept`.
    wake: Vec<SocketAddr>,
}

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
        let sessions: Vec<Sender<Msg>> = self.state.lock().sessions.values().cloned().collect();
        for s in sessions {
            let _ = s.send(Msg::Shutdown);
        }
    }
}

impl Server<(), ()> {
    /// Starts configuring a server with an authenticator and a storage factory.
    pub fn builder<A: Authenticator + 'static, F: StorageFactory>(
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
        }
    }
}

/// The loopback address of the same family, for a listener on "any".
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

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
        while !r.sessions.is_empty() {
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
        let ip = ip.to_canonical();
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = channel();
        let mut r = self.state.lock();
        let from_ip = r.per_ip.get(&ip).copied().unwrap_or(0);
        let refusal = if r.total >= self.max_connections {
            Some(Refusal::TooManyConnections)
        } else if self.max_per_ip.is_some_and(|m| from_ip >= m) {
            Some(Refusal::TooManyFromAddress)
        } else {
            None
        };
        if refusal.is_none() {
            r.total += 1;
            *r.per_ip.entry(ip).or_insert(0) += 1;
        }
        r.sessions.insert(id, tx.clone());
        drop(r);
        let slot = Slot {
            state: Arc::clone(&self.state),
            ip,
            id,
            refusal,
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
        let mut tls = None;
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
        let refusal = slot.refusal.or_else(|| {
            self.state
                .shutdown
                .load(Ordering::SeqCst)
                .then_some(Refusal::ShuttingDown)
        });
        if let Some(why) = refusal {
            tracing::info!(?why, "refused");
            let mut engine = ServerSession::refuse_because(
                Arc::clone(&self.shared.engine),
                peer,
                local,
                Instant::ZERO,
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

/// Sends every pending TLS record of `conn`.
fn write_tls(conn: &mut rustls::ServerConnection, stream: &mut TcpStream) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(stream)?;
    }
    Ok(())
}
