//! Launchers for real FTP servers and finders for real FTP clients, for
//! interop tests on loopback.
//!
//! Each server ([`Vsftpd`], [`PureFtpd`], [`Proftpd`], [`Pyftpdlib`]) starts in
//! the foreground on a free `127.0.0.1` port, with a configuration generated in
//! a temporary folder, serving a fresh copy of the [test tree](TEST_TREE) with
//! a named read/write user ([`TEST_USER`]/[`TEST_PASSWORD`]), anonymous
//! read-only access where the server allows it per instance, a passive port
//! range and, on request, explicit FTPS (`AUTH TLS`) with a self-signed
//! certificate. The returned [`PeerServer`] stops the server (and its session
//! processes) when dropped.
//!
//! Where the servers come from: vsftpd from Debian (`apt-get install vsftpd`);
//! proftpd and pure-ftpd unpacked from their Debian packages under
//! `$FTP_PROTO_PEERS_DIR` (default [`DEFAULT_PEERS_DIR`]) because the three
//! packages conflict with each other; pyftpdlib from PyPI. `bash .ci/run
//! install` sets all of them up.
//!
//! Tests decide what a missing peer means with [`require_or_skip`] and
//! [`started_or_skip`]: a skip message by default, a failure when
//! `FTP_INTEROP_REQUIRED=1` (as in CI).

mod account;
mod clients;
mod ports;
mod process;
mod proftpd;
mod pure_ftpd;
mod pyftpdlib;
mod raw;
mod tls;
mod tree;
mod vsftpd;

use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

pub use clients::{ClientKind, find_program};
pub use proftpd::Proftpd;
pub use pure_ftpd::PureFtpd;
pub use pyftpdlib::Pyftpdlib;
pub use raw::{RawControl, RawReply, Record};
pub use tree::{TEST_TREE, TEST_TREE_MTIME, TreeEntry};
pub use vsftpd::Vsftpd;

use process::ServerProcess;

/// Name of the named test user on every server (a system account for vsftpd,
/// a virtual user elsewhere).
pub const TEST_USER: &str = "ftpproto";

/// Password of [`TEST_USER`]. Only ever used against servers on loopback.
pub const TEST_PASSWORD: &str = "ftp-proto-test-pw";

/// Default folder holding the unpacked proftpd and pure-ftpd packages
/// (`root/usr/sbin/proftpd`, ...); `$FTP_PROTO_PEERS_DIR` overrides it.
pub const DEFAULT_PEERS_DIR: &str = "/opt/ftp-proto-peers";

/// Environment variable that turns a missing peer from a skip into a failure.
pub const REQUIRED_ENV: &str = "FTP_INTEROP_REQUIRED";

/// Why a peer could not be started.
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerError {
    /// The program is not on this machine.
    NotInstalled {
        /// The peer's name.
        peer: &'static str,
        /// How to install it.
        hint: &'static str,
    },
    /// The peer can only be run as root here (system accounts, privilege drop).
    NeedsRoot {
        /// The peer's name.
        peer: &'static str,
    },
    /// Setting up the peer (files, accounts, ports) failed.
    Setup {
        /// The peer's name.
        peer: &'static str,
        /// What failed.
        message: String,
    },
    /// The server started but exited or never greeted with 220.
    Startup {
        /// The peer's name.
        peer: &'static str,
        /// What went wrong.
        message: String,
        /// The end of the server's own output.
        log: String,
    },
}

impl PeerError {
    /// True when the peer is merely absent (not installed, or needs root):
    /// the cases a test may skip.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::NotInstalled { .. } | Self::NeedsRoot { .. })
    }

    pub(crate) fn setup(peer: &'static str, message: impl fmt::Display) -> Self {
        Self::Setup {
            peer,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInstalled { peer, hint } => {
                write!(f, "{peer} is not installed (install it with: {hint})")
            }
            Self::NeedsRoot { peer } => write!(f, "{peer} can only be run by root here"),
            Self::Setup { peer, message } => write!(f, "setting up {peer} failed: {message}"),
            Self::Startup { peer, message, log } => {
                write!(f, "{peer} did not start: {message}; its output:\n{log}")
            }
        }
    }
}

impl std::error::Error for PeerError {}

/// What a launcher should configure beyond the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerOptions {
    /// Offer explicit FTPS (`AUTH TLS`) with a self-signed certificate for
    /// `localhost`/`127.0.0.1`. TLS is offered, not required: plain sessions
    /// still log in. Session reuse on data connections stays at each server's
    /// default (required by vsftpd and proftpd).
    pub tls: bool,
    /// Allow anonymous read-only logins where the server supports a
    /// per-instance anonymous root (not pure-ftpd).
    pub anonymous: bool,
    /// Number of passive ports to give the server (pure-ftpd admits half as
    /// many clients as it has passive ports).
    pub passive_ports: u16,
    /// Most simultaneous sessions where the server has a setting for it
    /// (pyftpdlib's `max_cons`, vsftpd's `max_per_ip`; pure-ftpd's follows
    /// `passive_ports`).
    pub max_clients: u32,
}

impl Default for PeerOptions {
    fn default() -> Self {
        Self {
            tls: false,
            anonymous: true,
            passive_ports: 16,
            max_clients: 64,
        }
    }
}

impl PeerOptions {
    /// The defaults with FTPS offered.
    pub fn with_tls() -> Self {
        Self {
            tls: true,
            ..Self::default()
        }
    }
}

/// The real FTP servers the tests know how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// vsftpd (Debian package, needs root and a system account).
    Vsftpd,
    /// Pure-FTPd (unpacked Debian package, virtual users).
    PureFtpd,
    /// ProFTPD (unpacked Debian package, virtual users, mod_tls).
    Proftpd,
    /// pyftpdlib (PyPI, run by python3).
    Pyftpdlib,
}

impl PeerKind {
    /// Every server kind, in a fixed order.
    pub const ALL: [PeerKind; 4] = [
        PeerKind::Vsftpd,
        PeerKind::PureFtpd,
        PeerKind::Proftpd,
        PeerKind::Pyftpdlib,
    ];

    /// Short lowercase name (also the transcript file stem).
    pub fn name(self) -> &'static str {
        match self {
            Self::Vsftpd => "vsftpd",
            Self::PureFtpd => "pure-ftpd",
            Self::Proftpd => "proftpd",
            Self::Pyftpdlib => "pyftpdlib",
        }
    }

    /// How to install this server on a Debian machine.
    pub fn install_hint(self) -> &'static str {
        match self {
            Self::Vsftpd => "apt-get install vsftpd",
            Self::PureFtpd => {
                "bash .ci/run install (apt-get download pure-ftpd pure-ftpd-common, dpkg-deb -x into $FTP_PROTO_PEERS_DIR/root)"
            }
            Self::Proftpd => {
                "bash .ci/run install (apt-get download proftpd-core proftpd-mod-crypto, dpkg-deb -x into $FTP_PROTO_PEERS_DIR/root)"
            }
            Self::Pyftpdlib => "python3 -m pip install pyftpdlib pyopenssl",
        }
    }

    /// Whether the server speaks MLSD/MLST.
    pub fn supports_mlsd(self) -> bool {
        !matches!(self, Self::Vsftpd)
    }

    /// Whether the server can offer FTPS as installed here.
    pub fn supports_tls(self) -> bool {
        match self {
            Self::Vsftpd | Self::PureFtpd => true,
            Self::Proftpd => proftpd::tls_module_installed(),
            Self::Pyftpdlib => pyftpdlib::tls_installed(),
        }
    }

    /// `Ok` when everything needed to start this server is on the machine.
    pub fn check_installed(self) -> Result<(), PeerError> {
        match self {
            Self::Vsftpd => Vsftpd::check_installed(),
            Self::PureFtpd => PureFtpd::check_installed(),
            Self::Proftpd => Proftpd::check_installed(),
            Self::Pyftpdlib => Pyftpdlib::check_installed(),
        }
    }

    /// Starts this server.
    pub fn start(self, options: &PeerOptions) -> Result<PeerServer, PeerError> {
        match self {
            Self::Vsftpd => Vsftpd::start(options),
            Self::PureFtpd => PureFtpd::start(options),
            Self::Proftpd => Proftpd::start(options),
            Self::Pyftpdlib => Pyftpdlib::start(options),
        }
    }

    /// The kind with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// A launcher for one kind of real FTP server.
pub trait ServerLauncher {
    /// Which server this launches.
    const KIND: PeerKind;

    /// `Ok` when the server can be started on this machine.
    fn check_installed() -> Result<(), PeerError>;

    /// Starts the server and waits (bounded) until it greets with 220.
    fn start(options: &PeerOptions) -> Result<PeerServer, PeerError>;
}

/// A running real FTP server on loopback; stopped (with its session
/// processes) and its folder removed when dropped.
#[derive(Debug)]
pub struct PeerServer {
    kind: PeerKind,
    addr: SocketAddr,
    root: PathBuf,
    passive: RangeInclusive<u16>,
    anonymous: bool,
    tls: bool,
    cert_pem: Option<String>,
    greeting: Vec<String>,
    process: ServerProcess,
    // Dropped last: holds the configuration, the served tree and the logs.
    _dir: tempfile::TempDir,
}

impl PeerServer {
    /// Which server this is.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// The control connection address (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The named read/write user.
    pub fn user(&self) -> &str {
        TEST_USER
    }

    /// The named user's password.
    pub fn password(&self) -> &str {
        TEST_PASSWORD
    }

    /// The served folder (the named user's root, and the anonymous root).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The passive port range the server was given.
    pub fn passive_ports(&self) -> RangeInclusive<u16> {
        self.passive.clone()
    }

    /// Whether the server speaks MLSD/MLST.
    pub fn supports_mlsd(&self) -> bool {
        self.kind.supports_mlsd()
    }

    /// Whether this instance offers `AUTH TLS`.
    pub fn supports_tls(&self) -> bool {
        self.tls
    }

    /// Whether this instance admits anonymous read-only logins.
    pub fn supports_anonymous(&self) -> bool {
        self.anonymous
    }

    /// The self-signed certificate (PEM) when TLS is on.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// The 220 greeting lines seen while waiting for the server.
    pub fn greeting(&self) -> &[String] {
        &self.greeting
    }

    /// The process id of the server's main process.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        self.process.stop();
    }
}

/// Everything a launcher prepared before spawning: the temp folder, the
/// served tree, ports and (optionally) a certificate.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) port: u16,
    pub(crate) passive: RangeInclusive<u16>,
    pub(crate) cert: Option<tls::CertFiles>,
}

impl Prepared {
    /// Makes the temp folder (searchable by everyone, so a server's session
    /// process running as the test account can reach the tree), fills the
    /// tree (owned by `owner` when given), reserves ports and writes a
    /// certificate when TLS is asked for.
    pub(crate) fn new(
        peer: &'static str,
        options: &PeerOptions,
        owner: Option<(u32, u32)>,
    ) -> Result<Self, PeerError> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("ftp-proto-{peer}-"))
            .tempdir()
            .map_err(|e| PeerError::setup(peer, format!("temp dir: {e}")))?;
        set_mode(dir.path(), 0o755).map_err(|e| PeerError::setup(peer, e))?;
        let root = dir.path().join("root");
        tree::populate(&root, owner).map_err(|e| PeerError::setup(peer, format!("tree: {e}")))?;
        let (port, passive) = ports::reserve(options.passive_ports.max(2))
            .map_err(|e| PeerError::setup(peer, format!("ports: {e}")))?;
        let cert = if options.tls {
            Some(tls::CertFiles::write(dir.path()).map_err(|e| PeerError::setup(peer, e))?)
        } else {
            None
        };
        Ok(Self {
            dir,
            root,
            port,
            passive,
            cert,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for the greeting and assembles the running server.
    pub(crate) fn finish(
        self,
        kind: PeerKind,
        mut process: ServerProcess,
        anonymous: bool,
    ) -> Result<PeerServer, PeerError> {
        let addr = self.addr();
        let greeting = process.wait_for_greeting(kind.name(), addr)?;
        Ok(PeerServer {
            kind,
            addr,
            root: self.root,
            passive: self.passive,
            anonymous,
            tls: self.cert.is_some(),
            cert_pem: self.cert.map(|c| c.cert_pem),
            greeting,
            process,
            _dir: self.dir,
        })
    }
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

pub(crate) fn is_root() -> bool {
    // No libc in this crate: ask `id -u` once.
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ROOT.get_or_init(|| {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|out| out.status.success() && out.stdout.trim_ascii() == b"0")
            .unwrap_or(false)
    })
}

/// Whether `FTP_INTEROP_REQUIRED=1` is set (CI): missing peers fail tests.
pub fn interop_required() -> bool {
    std::env::var(REQUIRED_ENV).is_ok_and(|v| v == "1")
}

/// Whether the named peer (a [`PeerKind::name`], a [`ClientKind::name`] or
/// any program name) is available. Returns `true` if it is; otherwise panics
/// with `install_hint` when `FTP_INTEROP_REQUIRED=1`, or prints a skip message
/// saying how to install it and returns `false` (the test should return).
pub fn require_or_skip(name: &str, install_hint: &str) -> bool {
    let available = if let Some(kind) = PeerKind::from_name(name) {
        kind.check_installed().is_ok()
    } else if let Some(client) = ClientKind::from_name(name) {
        client.find().is_ok()
    } else {
        find_program(name).is_some()
    };
    available || missing(name, install_hint)
}

/// Turns a launch result into "run" or "skip": `Some(server)` when it
/// started; `None` after a skip message when the peer is missing (unless
/// `FTP_INTEROP_REQUIRED=1`, then it panics); panics on any other failure.
pub fn started_or_skip(result: Result<PeerServer, PeerError>) -> Option<PeerServer> {
    match result {
        Ok(server) => Some(server),
        Err(PeerError::NotInstalled { peer, hint }) => {
            missing(peer, hint);
            None
        }
        Err(PeerError::NeedsRoot { peer }) => {
            missing(
                peer,
                "run the tests as root (the peer needs a system account)",
            );
            None
        }
        Err(other) => panic!("{other}"),
    }
}

/// The skip-or-fail decision for a missing peer; always `false`.
#[allow(clippy::print_stderr, reason = "a skipped test must say why")]
fn missing(name: &str, install_hint: &str) -> bool {
    if interop_required() {
        panic!(
            "{name} is required ({REQUIRED_ENV}=1) but not available; install it with: {install_hint}"
        );
    }
    eprintln!(
        "SKIPPED: {name} is not available; install it with `{install_hint}` (set {REQUIRED_ENV}=1 to make this a failure)"
    );
    false
}

/// The folder holding the unpacked proftpd/pure-ftpd packages.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("FTP_PROTO_PEERS_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_PEERS_DIR), PathBuf::from)
}

/// Path of a file inside the unpacked packages (`usr/sbin/proftpd`, ...).
pub(crate) fn unpacked(relative: &str) -> PathBuf {
    peers_dir().join("root").join(relative)
}
