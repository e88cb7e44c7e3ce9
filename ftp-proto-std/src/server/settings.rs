//! The settings of an FTP server, shared by this crate's blocking server
//! and `ftp_proto_tokio`'s async one: [`ServerSettings`] holds every
//! option both take, and [`ServerSettings::resolve`] maps them, once, into
//! what binding needs ([`ResolvedSettings`]: the engine's [`ServerConfig`]
//! with its TLS and shutdown policies set, the listen addresses, the
//! limits).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

use ftp_proto::server::{ServerConfig, ShutdownPolicy, TlsPolicy};

use super::bans::BanPolicy;
use super::limits::ConnectionLimits;
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// Every option of a server (either adapter's): where it listens, FTPS,
/// limits, timeouts, the shutdown grace and any other engine setting.
///
/// ```
/// use std::time::Duration;
/// use ftp_proto_std::server::ServerSettings;
///
/// let settings = ServerSettings::new()
///     .listen("127.0.0.1:2121".parse().unwrap())
///     .passive_ports(50000..=50100)
///     .max_connections(100)
///     .idle_timeout(Some(Duration::from_secs(60)));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ServerSettings {
    listen: Vec<SocketAddr>,
    engine: ServerConfig,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
    #[cfg(feature = "tls")]
    implicit_tls: bool,
    #[cfg(feature = "tls")]
    require_tls: bool,
    passive_ports: Option<RangeInclusive<u16>>,
    limits: ConnectionLimits,
    /// `None`: the default (see `max_passive_per_ip`).
    passive_per_ip: Option<Option<usize>>,
    login_bans: Option<BanPolicy>,
    grace: Duration,
    data_stall: Duration,
    in_place_uploads: bool,
}

/// The default of [`ServerSettings::max_passive_per_ip`]: a quarter of the
/// passive range (at least 1); no cap without a range.
fn default_passive_per_ip(range: Option<&RangeInclusive<u16>>) -> Option<usize> {
    let range = range?;
    let ports = usize::from(range.end().saturating_sub(*range.start())) + 1;
    Some((ports / 4).max(1))
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            engine: ServerConfig::default(),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            implicit_tls: false,
            #[cfg(feature = "tls")]
            require_tls: false,
            passive_ports: None,
            limits: ConnectionLimits {
                max_connections: 1024,
                max_per_ip: None,
            },
            passive_per_ip: None,
            login_bans: Some(BanPolicy::default()),
            grace: Duration::from_secs(30),
            data_stall: Duration::from_secs(120),
            in_place_uploads: false,
        }
    }
}

impl ServerSettings {
    /// The defaults: `127.0.0.1:2121`, plain FTP, 1024 connections.
    pub fn new() -> Self {
        Self::default()
    }

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
        self.engine.masquerade_address = Some(ip);
        self
    }

    /// Offers FTPS with this certificate: explicit `AUTH TLS`, and `PROT P`
    /// data connections (for `ftp_proto_tokio`, with its feature `tls`).
    /// Feature `tls`: without it the settings can offer no FTPS.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Implicit FTPS: every connection starts with a TLS handshake (needs
    /// [`tls`](Self::tls)). Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn implicit_tls(mut self, implicit: bool) -> Self {
        self.implicit_tls = implicit;
        self
    }

    /// Refuse login before `AUTH TLS` and transfers without `PROT P`
    /// (with [`tls`](Self::tls); without it there is no TLS to require).
    /// Feature `tls`.
    #[cfg(feature = "tls")]
    pub fn require_tls(mut self, required: bool) -> Self {
        self.require_tls = required;
        self
    }

    /// Accept `CCC` (RFC 4217 §5): after a `200` under TLS the control
    /// connection goes on in clear text, while data connections keep their
    /// `PROT` level. Default off (`534`). Later commands and replies then
    /// cross the network unprotected, which is why it is off; with
    /// [`require_tls`](Self::require_tls) it is still refused before login.
    /// See [`ServerConfig::allow_clear_control`].
    pub fn allow_clear_control(mut self, allowed: bool) -> Self {
        self.engine.allow_clear_control = allowed;
        self
    }

    /// Whether anonymous logins reach the authenticator (default: off).
    pub fn allow_anonymous(mut self, allowed: bool) -> Self {
        self.engine.security.allow_anonymous = allowed;
        self
    }

    /// Most simultaneous connections; beyond it a connection gets `421`
    /// and is closed. Default 1024.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max;
        self
    }

    /// Most simultaneous connections from one client IP (default: no limit
    /// besides [`max_connections`](Self::max_connections)).
    pub fn max_connections_per_ip(mut self, max: usize) -> Self {
        self.limits.max_per_ip = Some(max);
        self
    }

    /// Most passive listeners that sessions from one client IP may hold at
    /// once while they wait for their data connection (`None`: no cap).
    /// Beyond it a `PASV`/`EPSV` gets `425`, so that one address cannot
    /// hold every port of the [`passive_ports`](Self::passive_ports) range.
    ///
    /// The default is a quarter of that range (at least 1: 2 of 10 ports,
    /// 25 of 100), and no cap without a range (any free port: there is
    /// nothing to exhaust but the connections, which have limits of their
    /// own). Clients behind one NAT address share the cap; a client that
    /// opens many transfers at once from one address may need more. See
    /// [`PassiveLimit`](super::PassiveLimit).
    pub fn max_passive_per_ip(mut self, max: Option<usize>) -> Self {
        self.passive_per_ip = Some(max);
        self
    }

    /// How long a passive listener waits for its data connection before a
    /// transfer command uses it; then it is closed and its port freed
    /// (default 30 s; `None`: until the session ends or asks for another).
    /// See [`Timeouts::passive_accept`](ftp_proto::server::Timeouts::passive_accept).
    pub fn passive_accept_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.engine.timeouts.passive_accept = timeout;
        self
    }

    /// Bans a client address for a while after too many failed logins,
    /// counted across all its connections (default
    /// [`BanPolicy::default`]: 10 failures within 10 minutes ban for 15
    /// minutes; `None`: no bans). A banned address gets `421` on connecting
    /// and `530` for a `PASS` on a connection it already has, without the
    /// authenticator being asked. See [`LoginBans`](super::LoginBans).
    pub fn login_bans(mut self, policy: Option<BanPolicy>) -> Self {
        self.login_bans = policy;
        self
    }

    /// No command for this long gives `421` (default 300 s; `None`: never).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.engine.timeouts.idle = timeout;
        self
    }

    /// Not logged in this long after connecting gives `421` (default 60 s).
    pub fn login_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.engine.timeouts.login = timeout;
        self
    }

    /// How long a data connection may take to come once a transfer
    /// command started (default 60 s; before that, a passive listener
    /// waits [`passive_accept_timeout`](Self::passive_accept_timeout)).
    pub fn data_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.engine.timeouts.data_connect = timeout;
        self
    }

    /// Pause before answering a failed login (default 3 s).
    pub fn failed_login_delay(mut self, delay: Option<Duration>) -> Self {
        self.engine.timeouts.failed_login_delay = delay;
        self
    }

    /// How long running transfers may go on after the server's `shutdown`
    /// (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The data connection's stall limit (default 120 s): a transfer that
    /// moves less than 64 KiB
    /// ([`STALL_MIN_PROGRESS`](crate::transfer::STALL_MIN_PROGRESS)) within
    /// this long ends with `426`, however the peer doles out its bytes
    /// (see [`StallWatch`](crate::transfer::StallWatch)).
    pub fn data_stall_timeout(mut self, stall: Duration) -> Self {
        self.data_stall = stall;
        self
    }

    /// Write uploads in place (`true`) instead of beside the file (`false`,
    /// the default).
    ///
    /// By default a `STOR` that creates or replaces a file writes a
    /// temporary file beside it and renames it into place only once every
    /// byte is in, before the `226`: a failed or aborted upload leaves the
    /// old file as it was (see
    /// [`WriteMode::Replace`](crate::storage::WriteMode::Replace)). In
    /// place
    /// ([`WriteMode::Truncate`](crate::storage::WriteMode::Truncate)), `STOR` empties the existing file first and writes into it, so
    /// a failed upload leaves a partial file (what many servers do; a
    /// client can resume it with `REST`). `REST`+`STOR`, `APPE` and `STOU`
    /// write in place either way.
    ///
    /// Resuming needs this option: by default a failed `STOR` over an
    /// existing file leaves the *old* file, and a client that resumes from
    /// its size (`SIZE`, then `REST`+`STOR`) would append the rest of the
    /// new upload to the old contents. Over a name that did not exist a
    /// failed upload leaves nothing, so a resume starts from 0.
    pub fn in_place_uploads(mut self, in_place: bool) -> Self {
        self.in_place_uploads = in_place;
        self
    }

    /// Any other engine setting (features, limits, security policy, texts).
    /// The settings' own options are applied over it at
    /// [`resolve`](Self::resolve).
    pub fn configure(mut self, change: impl FnOnce(&mut ServerConfig)) -> Self {
        change(&mut self.engine);
        self
    }

    /// What a server binds with: the default listen address when none was
    /// added, and the engine configuration with the TLS policy, implicit
    /// TLS, session-reuse requirement and shutdown policy (transfers may
    /// finish within the grace period) set from these settings.
    ///
    /// # Errors
    /// `InvalidInput`: implicit TLS without a TLS configuration.
    pub fn resolve(self) -> io::Result<ResolvedSettings> {
        let Self {
            mut listen,
            mut engine,
            #[cfg(feature = "tls")]
            tls,
            #[cfg(feature = "tls")]
            implicit_tls,
            #[cfg(feature = "tls")]
            require_tls,
            passive_ports,
            limits,
            passive_per_ip,
            login_bans,
            grace,
            data_stall,
            in_place_uploads,
        } = self;
        // Without the feature `tls`: plain FTP only.
        #[cfg(not(feature = "tls"))]
        let (tls, implicit_tls, require_tls) = (None::<std::convert::Infallible>, false, false);
        if implicit_tls && tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "implicit TLS needs a TLS configuration",
            ));
        }
        if listen.is_empty() {
            listen.push(SocketAddr::from(([127, 0, 0, 1], 2121)));
        }
        engine.tls = match (&tls, require_tls) {
            (None, _) => TlsPolicy::Disabled,
            (Some(_), false) => TlsPolicy::Available,
            (Some(_), true) => TlsPolicy::RequiredForLoginAndData,
        };
        engine.implicit_tls = implicit_tls;
        #[cfg(feature = "tls")]
        let session_reuse = tls.as_ref().is_some_and(TlsConfig::session_reuse_required);
        #[cfg(not(feature = "tls"))]
        let session_reuse = false;
        engine.require_tls_session_reuse = session_reuse;
        // The engine lets transfers finish after `shutdown`, and aborts them
        // at the end of the grace period itself.
        engine.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
        engine.timeouts.shutdown_grace = Some(grace);
        let passive_per_ip =
            passive_per_ip.unwrap_or_else(|| default_passive_per_ip(passive_ports.as_ref()));
        Ok(ResolvedSettings {
            listen,
            engine,
            #[cfg(feature = "tls")]
            tls,
            implicit_tls,
            passive_ports,
            limits,
            passive_per_ip,
            login_bans,
            handshake_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(120),
            data_stall_timeout: data_stall,
            in_place_uploads,
        })
    }
}

/// [`ServerSettings`] made ready to bind: what a server adapter needs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResolvedSettings {
    /// The addresses to listen on (at least one).
    pub listen: Vec<SocketAddr>,
    /// The engine's configuration, every session's.
    pub engine: ServerConfig,
    /// The FTPS certificate and rustls settings, if FTPS is offered.
    /// Feature `tls` (without it no FTPS is offered: `engine.tls` is
    /// [`TlsPolicy::Disabled`]).
    #[cfg(feature = "tls")]
    pub tls: Option<TlsConfig>,
    /// Whether every connection starts with a TLS handshake (then `tls`
    /// is set; always `false` without the feature `tls`).
    pub implicit_tls: bool,
    /// Where passive data ports come from (`None`: any free port).
    pub passive_ports: Option<RangeInclusive<u16>>,
    /// The connection limits.
    pub limits: ConnectionLimits,
    /// Most passive listeners per client address (`None`: no cap).
    pub passive_per_ip: Option<usize>,
    /// When failed logins ban an address (`None`: never).
    pub login_bans: Option<BanPolicy>,
    /// Longest wait for a TLS handshake (control or data connection).
    pub handshake_timeout: Duration,
    /// Longest a write to a peer may stall (the control connection).
    pub write_timeout: Duration,
    /// The data connections' stall limit
    /// ([`transfer::Limits::stall`](crate::transfer::Limits::stall)).
    pub data_stall_timeout: Duration,
    /// `STOR` writes into the file itself rather than beside it
    /// ([`ServerSettings::in_place_uploads`]).
    pub in_place_uploads: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve_to_loopback_plain_ftp() {
        let r = ServerSettings::new().resolve().unwrap();
        assert_eq!(r.listen, [SocketAddr::from(([127, 0, 0, 1], 2121))]);
        assert_eq!(r.engine.tls, TlsPolicy::Disabled);
        assert!(!r.engine.implicit_tls);
        assert!(!r.engine.require_tls_session_reuse);
        assert_eq!(r.engine.shutdown_policy, ShutdownPolicy::LetTransfersFinish);
        assert_eq!(
            r.engine.timeouts.shutdown_grace,
            Some(Duration::from_secs(30))
        );
        assert_eq!(r.limits.max_connections, 1024);
        assert_eq!(r.limits.max_per_ip, None);
        assert_eq!(r.data_stall_timeout, Duration::from_secs(120));
        assert!(!r.in_place_uploads);
        assert_eq!(r.passive_per_ip, None);
        let quarter = |range| {
            ServerSettings::new()
                .passive_ports(range)
                .resolve()
                .unwrap()
                .passive_per_ip
        };
        assert_eq!(quarter(50000..=50009), Some(2));
        assert_eq!(quarter(50000..=50099), Some(25));
        assert_eq!(quarter(50000..=50000), Some(1));
        let r = ServerSettings::new()
            .passive_ports(50000..=50099)
            .max_passive_per_ip(None)
            .resolve()
            .unwrap();
        assert_eq!(r.passive_per_ip, None);
        assert_eq!(r.login_bans, Some(BanPolicy::default()));
        assert_eq!(
            r.engine.timeouts.passive_accept,
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    #[cfg(feature = "tls")]
    fn require_tls_without_tls_is_plain_ftp() {
        let r = ServerSettings::new().require_tls(true).resolve().unwrap();
        assert_eq!(r.engine.tls, TlsPolicy::Disabled);
    }

    #[test]
    #[cfg(feature = "tls")]
    fn implicit_tls_needs_a_tls_configuration() {
        let err = ServerSettings::new()
            .implicit_tls(true)
            .resolve()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn own_options_win_over_configure() {
        let r = ServerSettings::new()
            .shutdown_grace(Duration::from_secs(5))
            .configure(|c| {
                c.implicit_tls = true;
                c.timeouts.shutdown_grace = None;
            })
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .resolve()
            .unwrap();
        assert!(!r.engine.implicit_tls);
        assert_eq!(
            r.engine.timeouts.shutdown_grace,
            Some(Duration::from_secs(5))
        );
        assert_eq!(r.listen, [SocketAddr::from(([127, 0, 0, 1], 0))]);
    }
}
