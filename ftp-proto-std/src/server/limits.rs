//! Connection counting for the limits of both servers (this crate's and
//! `ftp_proto_tokio`'s): a [`ConnectionCounter`] admits a connection, or
//! says which limit it is over, and a [`ConnectionSlot`] gives the place
//! back when the connection ends. [`PassiveLimit`] counts passive listeners
//! per client address the same way.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ftp_proto::server::Refusal;

/// How many connections a server takes at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Most simultaneous connections from one client IP (`None`: no limit
    /// besides `max_connections`).
    pub max_per_ip: Option<usize>,
}

/// The connections a server holds, counted against its
/// [`ConnectionLimits`]; shared by its accept loops.
#[derive(Debug)]
pub struct ConnectionCounter {
    limits: ConnectionLimits,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl ConnectionCounter {
    /// A counter with no connection yet.
    #[must_use]
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            counts: Mutex::default(),
        })
    }

    /// Counts a connection from `ip` in (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address), or says which limit it is over.
    ///
    /// # Errors
    /// [`Refusal::TooManyConnections`] or [`Refusal::TooManyFromAddress`]:
    /// the connection is not counted and should get `421`.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionSlot, Refusal> {
        let ip = ip.to_canonical();
        let mut c = self.lock();
        let from_ip = c.per_ip.get(&ip).copied().unwrap_or(0);
        if c.total >= self.limits.max_connections {
            return Err(Refusal::TooManyConnections);
        }
        if self.limits.max_per_ip.is_some_and(|m| from_ip >= m) {
            return Err(Refusal::TooManyFromAddress);
        }
        c.total += 1;
        *c.per_ip.entry(ip).or_insert(0) += 1;
        Ok(ConnectionSlot {
            counter: Arc::clone(self),
            ip,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An admitted connection's place in its [`ConnectionCounter`], given
/// back when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    counter: Arc<ConnectionCounter>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut c = self.counter.lock();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

/// The passive listeners waiting for their data connection, counted per
/// client address across sessions, so that one address cannot hold every
/// port of a passive range: a [`PassiveClaim`] per listener, given back
/// when it is dropped (the listener accepted or was closed).
///
/// Each session has at most one such listener (a new `PASV`/`EPSV` closes
/// the old one first), so the cap is the number of sessions of one address
/// that may wait for a passive connection at once. Clients connect within
/// moments of the `227`/`229`, so legitimate sessions rarely overlap;
/// clients behind one NAT address share the cap, which is why a refused
/// listener is `425` (transient, clients retry) rather than taken from
/// another session.
#[derive(Debug)]
pub struct PassiveLimit {
    counter: Arc<ConnectionCounter>,
}

/// A passive listener's place in its [`PassiveLimit`], given back when
/// dropped.
#[derive(Debug)]
pub struct PassiveClaim {
    _slot: ConnectionSlot,
}

impl PassiveLimit {
    /// At most `per_ip` listeners per client address (`None`: no cap).
    #[must_use]
    pub fn new(per_ip: Option<usize>) -> Self {
        Self {
            counter: ConnectionCounter::new(ConnectionLimits {
                max_connections: usize::MAX,
                max_per_ip: per_ip,
            }),
        }
    }

    /// A place for one more listener for the client at `ip` (an
    /// IPv4-mapped IPv6 address counts as its IPv4 address); `None` when
    /// that address holds its cap (the `PASV`/`EPSV` should get `425`).
    #[must_use]
    pub fn claim(&self, ip: IpAddr) -> Option<PassiveClaim> {
        self.counter
            .admit(ip)
            .ok()
            .map(|slot| PassiveClaim { _slot: slot })
    }

    /// Binds a passive listener for the client at `ip` with `bind`, within
    /// the cap: the listener, and its place to keep as long as it is open.
    ///
    /// # Errors
    /// `QuotaExceeded` when the address holds its cap (nothing is bound),
    /// or the error of `bind`. Either way the `PASV`/`EPSV` gets `425`.
    pub fn bind<L>(
        &self,
        ip: IpAddr,
        bind: impl FnOnce() -> io::Result<L>,
    ) -> io::Result<(L, PassiveClaim)> {
        let claim = self.claim(ip).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::QuotaExceeded,
                "the client's address holds its cap of passive listeners",
            )
        })?;
        Ok((bind()?, claim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn total_limit_then_release() {
        let counter = ConnectionCounter::new(ConnectionLimits {
            max_connections: 2,
            max_per_ip: None,
        });
        let a = counter.admit(ip(1)).unwrap();
        let _b = counter.admit(ip(2)).unwrap();
        assert_eq!(
            counter.admit(ip(3)).unwrap_err(),
            Refusal::TooManyConnections
        );
        drop(a);
        assert!(counter.admit(ip(3)).is_ok());
    }

    #[test]
    fn per_ip_limit_counts_mapped_addresses_as_ipv4() {
        let counter = ConnectionCounter::new(ConnectionLimits {
            max_connections: 10,
            max_per_ip: Some(1),
        });
        let _a = counter.admit(ip(1)).unwrap();
        let mapped = IpAddr::from(std::net::Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(
            counter.admit(mapped).unwrap_err(),
            Refusal::TooManyFromAddress
        );
        assert!(counter.admit(ip(2)).is_ok());
    }

    #[test]
    fn passive_listeners_per_address() {
        let limit = PassiveLimit::new(Some(2));
        let a = limit.claim(ip(1)).unwrap();
        let _b = limit.claim(ip(1)).unwrap();
        assert!(limit.claim(ip(1)).is_none());
        let mapped = IpAddr::from(std::net::Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert!(limit.claim(mapped).is_none());
        // Another address has places of its own.
        assert!(limit.claim(ip(2)).is_some());
        drop(a);
        assert!(limit.claim(ip(1)).is_some());
        let unbounded = PassiveLimit::new(None);
        let held: Vec<_> = (0..100).filter_map(|_| unbounded.claim(ip(1))).collect();
        assert_eq!(held.len(), 100);
    }
}
