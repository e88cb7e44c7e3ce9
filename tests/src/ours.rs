//! Our own servers, in-process, for interop tests that run the same bodies
//! against the tokio server and the blocking (std) server: [`TestServer`]
//! starts either ([`Flavor`]) on `127.0.0.1:0` with a temporary root.
//!
//! The root holds `hello.txt`, `data.bin` (3 MiB + 17 bytes of
//! [`pattern`]), `sub dir/nested.txt`; beside it `outside/secret` must
//! stay unreachable. Users: [`USER`]/[`PASSWORD`] (every right),
//! [`READER`]/[`READER_PASSWORD`] ([`Permissions::READ_ONLY`]),
//! [`DROPPER`]/[`DROPPER_PASSWORD`] ([`Permissions::DROP_BOX`]),
//! [`KEEPER`]/[`KEEPER_PASSWORD`] (every right but overwriting) and
//! anonymous (read-only).
#![allow(clippy::print_stderr, reason = "skips say why")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ftp_proto_std::auth::{AnonymousOnly, FirstOf, Permissions, UserList};
use ftp_proto_std::server::{ServerSettings, TlsConfig};

use crate::peers::RawControl;

/// The read+write user of a [`TestServer`].
pub const USER: &str = "alice";
/// [`USER`]'s password.
pub const PASSWORD: &str = "wonderland";
/// A user with [`Permissions::READ_ONLY`] (list and download).
pub const READER: &str = "rita";
/// [`READER`]'s password.
pub const READER_PASSWORD: &str = "reads-only";
/// A user with [`Permissions::DROP_BOX`] (upload new files, nothing else).
pub const DROPPER: &str = "dora";
/// [`DROPPER`]'s password.
pub const DROPPER_PASSWORD: &str = "drops-only";
/// A user with every right but [`Permissions::overwrite`].
pub const KEEPER: &str = "kim";
/// [`KEEPER`]'s password.
pub const KEEPER_PASSWORD: &str = "overwrites-nothing";

/// Which of our servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `ftp_proto_tokio::server`.
    Tokio,
    /// `ftp_proto_std::server` (threads).
    Std,
}

/// Settings of one test server.
#[derive(Debug, Default, Clone)]
pub struct Setup {
    /// Listen here instead of `127.0.0.1:0`.
    pub listen: Option<SocketAddr>,
    /// Offer FTPS (a fresh self-signed certificate for localhost/127.0.0.1).
    pub tls: bool,
    /// Implicit FTPS.
    pub implicit_tls: bool,
    /// Refuse `PROT P` data connections that do not resume the session.
    pub require_session_reuse: bool,
    /// Accept `CCC` (clear the control connection after login).
    pub allow_clear_control: bool,
    /// Connection limit.
    pub max_connections: Option<usize>,
    /// Per-client-address connection limit.
    pub max_per_ip: Option<usize>,
    /// Shutdown grace (default 2 s).
    pub grace: Option<Duration>,
    /// Passive port range.
    pub passive_ports: Option<std::ops::RangeInclusive<u16>>,
    /// The data connections' stall limit (default 120 s).
    pub data_stall: Option<Duration>,
    /// `STOR` writes in place instead of beside the file.
    pub in_place_uploads: bool,
    /// The tokio server's transfer threads (default 256; 0: every transfer
    /// runs on the async pumps).
    pub transfer_threads: Option<usize>,
    /// Any other setting, applied last.
    pub configure: Option<fn(ServerSettings) -> ServerSettings>,
    /// Every user gets a read-write storage, whatever their permissions
    /// (as a custom storage that knows nothing of users does): only the
    /// servers' own permission checks then stand between a user and a
    /// change.
    pub writable_storage: bool,
}

/// The pattern file contents of length `len`.
#[must_use]
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i * 7 % 251).unwrap_or(0))
        .collect()
}

/// Creates the folder `dir` holding `count` empty entries named
/// `f000000`, `f000001`, ...: two files and hard links to them (a link is
/// many times faster to make than a file; two files keep each under ext4's
/// 65 000 links), for listings of large directories.
///
/// # Panics
/// When the folder cannot be made.
pub fn fill_directory(dir: &std::path::Path, count: usize) {
    std::fs::create_dir(dir).unwrap();
    let half = (count / 2).max(1);
    for i in 0..count {
        let path = dir.join(entry_name(i));
        if i % half == 0 {
            std::fs::File::create(path).unwrap();
        } else {
            std::fs::hard_link(dir.join(entry_name(i - i % half)), path).unwrap();
        }
    }
}

/// The name of entry `i` of a [`fill_directory`] folder.
#[must_use]
pub fn entry_name(i: usize) -> String {
    format!("f{i:06}")
}

enum Running {
    Tokio {
        handle: ftp_proto_tokio::server::ServerHandle,
        runtime: Option<tokio::runtime::Runtime>,
    },
    Std {
        handle: ftp_proto_std::server::ServerHandle,
        thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    },
}

/// A running server with its temporary folders; stopped when dropped.
pub struct TestServer {
    /// The listen address.
    pub addr: SocketAddr,
    /// Holds `root/` (served) and `outside/` (must stay unreachable).
    pub dir: tempfile::TempDir,
    /// The certificate (PEM) clients should trust, with [`Setup::tls`].
    pub cert: Option<PathBuf>,
    /// Which server this is.
    pub flavor: Flavor,
    running: Running,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

/// The [`Setup`] as either server's settings.
fn settings(setup: &Setup, tls: Option<TlsConfig>) -> ServerSettings {
    let mut s = ServerSettings::new()
        .allow_anonymous(true)
        .failed_login_delay(Some(Duration::from_millis(50)))
        .shutdown_grace(setup.grace.unwrap_or(Duration::from_secs(2)))
        .implicit_tls(setup.implicit_tls)
        .allow_clear_control(setup.allow_clear_control)
        .listen(
            setup
                .listen
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        );
    if let Some(max) = setup.max_connections {
        s = s.max_connections(max);
    }
    if let Some(max) = setup.max_per_ip {
        s = s.max_connections_per_ip(max);
    }
    if let Some(range) = setup.passive_ports.clone() {
        s = s.passive_ports(range);
    }
    if let Some(stall) = setup.data_stall {
        s = s.data_stall_timeout(stall);
    }
    s = s.in_place_uploads(setup.in_place_uploads);
    if let Some(tls) = tls {
        s = s.tls(tls);
    }
    if let Some(configure) = setup.configure {
        s = configure(s);
    }
    s
}

/// Binds a tokio server with `factory` and serves it on `runtime`.
fn start_tokio<A, F>(
    runtime: &tokio::runtime::Runtime,
    auth: A,
    factory: F,
    settings: ServerSettings,
    threads: Option<usize>,
) -> std::io::Result<(SocketAddr, ftp_proto_tokio::server::ServerHandle)>
where
    A: ftp_proto_tokio::auth::Authenticator,
    F: ftp_proto_tokio::server::StorageFactory,
{
    let mut builder = ftp_proto_tokio::server::Server::builder(auth, factory).settings(settings);
    if let Some(threads) = threads {
        builder = builder.max_transfer_threads(threads);
    }
    let server = runtime.block_on(builder.bind())?;
    let addr = *server.local_addrs().first().unwrap();
    let handle = server.handle();
    runtime.spawn(server.serve());
    Ok((addr, handle))
}

/// A running std server: its address, handle and serving thread.
type StdStarted = (
    SocketAddr,
    ftp_proto_std::server::ServerHandle,
    std::thread::JoinHandle<std::io::Result<()>>,
);

/// Binds a std server with `factory` and serves it on a thread.
fn start_std<A, F>(auth: A, factory: F, settings: ServerSettings) -> std::io::Result<StdStarted>
where
    A: ftp_proto_std::auth::Authenticator + 'static,
    F: ftp_proto_std::server::StorageFactory,
{
    let server = ftp_proto_std::server::Server::builder(auth, factory)
        .settings(settings)
        .bind()?;
    let addr = *server.local_addrs().first().unwrap();
    let handle = server.handle();
    let thread = std::thread::spawn(move || server.serve());
    Ok((addr, handle, thread))
}

/// A storage factory that gives every user a read-write `Filesystem`,
/// whatever their permissions ([`Setup::writable_storage`]).
#[derive(Debug)]
struct WritableStdRoots(PathBuf);

impl ftp_proto_std::server::StorageFactory for WritableStdRoots {
    type Storage = ftp_proto_std::storage::Filesystem;

    fn storage_for(
        &self,
        _identity: &ftp_proto_std::auth::Identity,
    ) -> Result<Self::Storage, ftp_proto_std::storage::StorageError> {
        Ok(ftp_proto_std::storage::Filesystem::open(&self.0)?)
    }
}

/// [`WritableStdRoots`] for the tokio server.
#[derive(Debug)]
struct WritableTokioRoots(PathBuf);

impl ftp_proto_tokio::server::StorageFactory for WritableTokioRoots {
    type Storage = ftp_proto_tokio::storage::Filesystem;

    async fn storage_for(
        &self,
        _identity: &ftp_proto_std::auth::Identity,
    ) -> Result<Self::Storage, ftp_proto_std::storage::StorageError> {
        Ok(ftp_proto_tokio::storage::Filesystem::open(self.0.clone()).await?)
    }
}

impl TestServer {
    /// Starts a server; `None` (with a message) when `setup.listen` cannot be bound.
    ///
    /// # Panics
    /// On any other failure (a test setup problem).
    #[must_use]
    pub fn start(flavor: Flavor, setup: &Setup) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub dir")).unwrap();
        std::fs::write(root.join("hello.txt"), b"hello from ftp-proto\n").unwrap();
        std::fs::write(root.join("data.bin"), pattern(3 * 1024 * 1024 + 17)).unwrap();
        std::fs::write(root.join("sub dir/nested.txt"), b"nested\n").unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/secret"), b"top secret").unwrap();
        let users = || {
            FirstOf::new(
                AnonymousOnly::new(),
                UserList::new()
                    .with_user(USER, PASSWORD)
                    .with_account(READER, READER_PASSWORD, Permissions::READ_ONLY, None)
                    .with_account(DROPPER, DROPPER_PASSWORD, Permissions::DROP_BOX, None)
                    .with_account(
                        KEEPER,
                        KEEPER_PASSWORD,
                        Permissions::FULL.without_overwrite(),
                        None,
                    ),
            )
        };
        let mut cert = None;
        let mut key = None;
        if setup.tls {
            let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
            let certified = rcgen::generate_simple_self_signed(names).unwrap();
            let cert_path = dir.path().join("cert.pem");
            let key_path = dir.path().join("key.pem");
            std::fs::write(&cert_path, certified.cert.pem()).unwrap();
            std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
            cert = Some(cert_path);
            key = Some(key_path);
        }
        let skip = |e: std::io::Error| {
            if setup.listen.is_some() {
                eprintln!("SKIPPED: cannot listen on {:?}: {e}", setup.listen);
                None
            } else {
                panic!("bind: {e}")
            }
        };
        let tls = cert.as_ref().zip(key.as_ref()).map(|(c, k)| {
            TlsConfig::from_pem_files(c, k)
                .unwrap()
                .require_session_reuse(setup.require_session_reuse)
        });
        let settings = settings(setup, tls);
        let (addr, running) = match flavor {
            Flavor::Tokio => {
                use ftp_proto_tokio::server::FilesystemRoots;
                let auth = ftp_proto_tokio::auth::Blocking::new(users());
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                let threads = setup.transfer_threads;
                let started = if setup.writable_storage {
                    let factory = WritableTokioRoots(root.clone());
                    start_tokio(&runtime, auth, factory, settings, threads)
                } else {
                    let factory = FilesystemRoots::new(&root);
                    start_tokio(&runtime, auth, factory, settings, threads)
                };
                let (addr, handle) = match started {
                    Ok(started) => started,
                    Err(e) => return skip(e),
                };
                (
                    addr,
                    Running::Tokio {
                        handle,
                        runtime: Some(runtime),
                    },
                )
            }
            Flavor::Std => {
                use ftp_proto_std::server::FilesystemRoots;
                let started = if setup.writable_storage {
                    let factory = WritableStdRoots(root.clone());
                    start_std(users(), factory, settings)
                } else {
                    start_std(users(), FilesystemRoots::new(&root), settings)
                };
                let (addr, handle, thread) = match started {
                    Ok(started) => started,
                    Err(e) => return skip(e),
                };
                (
                    addr,
                    Running::Std {
                        handle,
                        thread: Some(thread),
                    },
                )
            }
        };
        Some(Self {
            addr,
            dir,
            cert,
            flavor,
            running,
        })
    }

    /// Graceful shutdown (returns at once; the server winds down).
    pub fn shutdown(&self) {
        match &self.running {
            Running::Tokio { handle, .. } => handle.shutdown(),
            Running::Std { handle, .. } => handle.shutdown(),
        }
    }

    /// The served folder.
    #[must_use]
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// `ftp://{user}@addr{path}`.
    #[must_use]
    pub fn url(&self, user: &str, path: &str) -> String {
        format!("ftp://{user}@{}{path}", self.addr)
    }

    /// A raw control connection that has read the greeting.
    ///
    /// # Panics
    /// When the server does not greet with 220.
    #[must_use]
    pub fn raw(&self) -> RawControl {
        let mut c = RawControl::connect(self.addr).unwrap();
        assert_eq!(c.read_reply().unwrap().code, 220);
        c
    }

    /// [`raw`](Self::raw), logged in as [`USER`].
    ///
    /// # Panics
    /// When the login fails.
    #[must_use]
    pub fn raw_login(&self) -> RawControl {
        let mut c = self.raw();
        assert_eq!(c.login(USER, PASSWORD).unwrap().code, 230);
        c
    }

    /// The server still serves: a new session logs in and downloads.
    ///
    /// # Panics
    /// When it does not.
    pub fn assert_healthy(&self) {
        let mut c = self.raw_login();
        assert_eq!(c.command("TYPE I").unwrap().code, 200);
        let (_, data) = c.epsv().unwrap();
        let (first, bytes, last) = c.transfer_in(data.unwrap(), "RETR hello.txt").unwrap();
        assert_eq!(first.class(), 1, "{first:?}");
        assert_eq!(bytes, b"hello from ftp-proto\n");
        assert_eq!(last.unwrap().code, 226);
        assert_eq!(c.command("QUIT").unwrap().code, 221);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
        match &mut self.running {
            Running::Tokio { runtime, .. } => {
                if let Some(rt) = runtime.take() {
                    rt.shutdown_timeout(Duration::from_secs(3));
                }
            }
            Running::Std { thread, .. } => {
                // Sessions end within the grace period; don't wait longer.
                if let Some(t) = thread.take() {
                    let until = std::time::Instant::now() + Duration::from_secs(3);
                    while !t.is_finished() && std::time::Instant::now() < until {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }
        }
    }
}
