//! A failed-login budget per client address, across connections, for both
//! servers: [`LoginBans`] and its [`BanPolicy`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ftp_proto::server::Refusal;

/// When failed logins get an address banned, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BanPolicy {
    /// This many failed logins within [`window`](Self::window) ban the
    /// address (at least 1). Default 10.
    pub max_failures: u32,
    /// The window the failures are counted in, from the first one.
    /// Default 10 minutes.
    pub window: Duration,
    /// How long a ban lasts. Default 15 minutes.
    pub ban: Duration,
    /// Most addresses remembered at once. Default 10 000 (about a
    /// megabyte at most).
    pub max_addresses: usize,
}

impl Default for BanPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_secs(600),
            ban: Duration::from_secs(900),
            max_addresses: 10_000,
        }
    }
}

impl BanPolicy {
    /// `max_failures` failed logins within `window` ban for `ban` (the
    /// default table size).
    #[must_use]
    pub fn new(max_failures: u32, window: Duration, ban: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            ban,
            ..Self::default()
        }
    }

    /// The same policy remembering at most `max` addresses (at least 1).
    #[must_use]
    pub fn with_max_addresses(mut self, max: usize) -> Self {
        self.max_addresses = max.max(1);
        self
    }
}

/// What is known of one address.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// The first failure of the current count.
    since: Instant,
    failures: u32,
    banned_until: Option<Instant>,
}

impl Record {
    fn banned(&self, now: Instant) -> bool {
        self.banned_until.is_some_and(|until| now < until)
    }

    /// Nothing left to remember: no ban in force and the count's window over.
    fn stale(&self, now: Instant, window: Duration) -> bool {
        !self.banned(now) && now.saturating_duration_since(self.since) >= window
    }
}

/// A failed-login budget per client address, across connections, for both
/// servers (this crate's and `ftp_proto_tokio`'s): after
/// [`BanPolicy::max_failures`] failed logins within
/// [`BanPolicy::window`], the address is banned for [`BanPolicy::ban`].
///
/// The engine already slows each connection down (a pause before every
/// `530`, a few attempts per connection, then `421`), but a guesser with
/// many parallel connections is not slowed by that: forty connections
/// with a 3 s pause still try more than ten passwords a second. The budget
/// counts every connection from an address together, as proftpd's
/// `mod_ban` or a fail2ban rule on an FTP log do.
///
/// What a banned address gets: a new connection is refused with `421`
/// before any login ([`LoginBans::admit`]), and a `PASS` on a connection
/// it already has is refused with the same `530` as a wrong password,
/// without asking the authenticator (so nothing tells whether the user
/// exists, or whether the password was right). Sessions already logged in
/// go on. A successful login does not clear the count: a guesser who owns
/// one account could otherwise reset it between guesses.
///
/// The table is bounded ([`BanPolicy::max_addresses`]): when it is full, a
/// new address first makes room among the entries that no longer count,
/// then takes the place of the unbanned address whose count started
/// longest ago, and only when every entry is a ban, of the ban that ends
/// first. An attacker with many addresses can thus shorten bans, never
/// grow the table. An IPv4-mapped IPv6 address counts as its IPv4 address.
///
/// Time comes in as `now` ([`std::time::Instant`]), so tests drive it.
///
/// One per server, shared by its sessions.
#[derive(Debug)]
pub struct LoginBans {
    policy: Option<BanPolicy>,
    table: Mutex<HashMap<IpAddr, Record>>,
}

impl LoginBans {
    /// Bans by `policy`; `None`: never ban.
    #[must_use]
    pub fn new(policy: Option<BanPolicy>) -> Self {
        Self {
            policy: policy.map(|p| BanPolicy {
                max_failures: p.max_failures.max(1),
                max_addresses: p.max_addresses.max(1),
                ..p
            }),
            table: Mutex::default(),
        }
    }

    /// The policy in force (`None`: bans are off).
    #[must_use]
    pub fn policy(&self) -> Option<&BanPolicy> {
        self.policy.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Record>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `ip` is banned at `now`.
    #[must_use]
    pub fn is_banned(&self, now: Instant, ip: IpAddr) -> bool {
        self.policy.is_some()
            && self
                .lock()
                .get(&ip.to_canonical())
                .is_some_and(|r| r.banned(now))
    }

    /// A new connection from `ip`: refused while the address is banned.
    ///
    /// # Errors
    /// [`Refusal::TooManyFailedLogins`]: the connection should get `421`.
    pub fn admit(&self, now: Instant, ip: IpAddr) -> Result<(), Refusal> {
        if self.is_banned(now, ip) {
            Err(Refusal::TooManyFailedLogins)
        } else {
            Ok(())
        }
    }

    /// Counts a failed login from `ip`. Returns `true` when it bans the
    /// address (logged once, here).
    pub fn record_failure(&self, now: Instant, ip: IpAddr) -> bool {
        let Some(policy) = self.policy else {
            return false;
        };
        let ip = ip.to_canonical();
        let mut table = self.lock();
        if !table.contains_key(&ip) && table.len() >= policy.max_addresses {
            make_room(&mut table, now, &policy);
        }
        let record = table.entry(ip).or_insert(Record {
            since: now,
            failures: 0,
            banned_until: None,
        });
        if record.banned(now) {
            return false;
        }
        if record.stale(now, policy.window) || record.banned_until.is_some() {
            // The window is over, or a ban ended: count afresh.
            *record = Record {
                since: now,
                failures: 0,
                banned_until: None,
            };
        }
        record.failures = record.failures.saturating_add(1);
        if record.failures < policy.max_failures {
            return false;
        }
        record.banned_until = Some(now + policy.ban);
        tracing::warn!(
            %ip,
            failures = record.failures,
            ban_seconds = policy.ban.as_secs(),
            "address banned after failed logins"
        );
        true
    }

    /// How many addresses are remembered (for tests and metrics).
    #[must_use]
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// Frees at least one place in a full table (see the module docs).
fn make_room(table: &mut HashMap<IpAddr, Record>, now: Instant, policy: &BanPolicy) {
    table.retain(|_, r| !r.stale(now, policy.window));
    if table.len() < policy.max_addresses {
        return;
    }
    let victim = table
        .iter()
        .min_by_key(|(_, r)| match r.banned_until.filter(|_| r.banned(now)) {
            // Unbanned entries go first (oldest count first), then bans
            // (the one ending first).
            None => (0, r.since),
            Some(until) => (1, until),
        })
        .map(|(ip, _)| *ip);
    if let Some(ip) = victim {
        table.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn policy() -> BanPolicy {
        BanPolicy::new(3, secs(60), secs(300))
    }

    #[test]
    fn the_nth_failure_within_the_window_bans_for_a_while() {
        let t0 = Instant::now();
        let bans = LoginBans::new(Some(policy()));
        assert!(!bans.record_failure(t0, ip(1)));
        assert!(!bans.record_failure(t0 + secs(10), ip(1)));
        assert!(bans.admit(t0 + secs(10), ip(1)).is_ok());
        assert!(bans.record_failure(t0 + secs(20), ip(1)));
        assert_eq!(
            bans.admit(t0 + secs(20), ip(1)),
            Err(Refusal::TooManyFailedLogins)
        );
        // Another address is not concerned.
        assert!(bans.admit(t0 + secs(20), ip(2)).is_ok());
        // Failures during the ban neither extend nor repeat it.
        assert!(!bans.record_failure(t0 + secs(100), ip(1)));
        assert!(bans.is_banned(t0 + secs(319), ip(1)));
        assert!(!bans.is_banned(t0 + secs(320), ip(1)));
        // After the ban the count starts afresh.
        assert!(!bans.record_failure(t0 + secs(321), ip(1)));
        assert!(!bans.is_banned(t0 + secs(321), ip(1)));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_ban() {
        let t0 = Instant::now();
        let bans = LoginBans::new(Some(policy()));
        for i in 0..10 {
            assert!(
                !bans.record_failure(t0 + secs(40 * i), ip(1)),
                "failure {i}"
            );
        }
        assert!(!bans.is_banned(t0 + secs(400), ip(1)));
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let t0 = Instant::now();
        let bans = LoginBans::new(Some(policy()));
        let mapped = IpAddr::from(std::net::Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        bans.record_failure(t0, ip(1));
        bans.record_failure(t0, mapped);
        assert!(bans.record_failure(t0, ip(1)));
        assert!(bans.is_banned(t0, mapped));
    }

    #[test]
    fn no_policy_never_bans() {
        let t0 = Instant::now();
        let bans = LoginBans::new(None);
        for _ in 0..100 {
            assert!(!bans.record_failure(t0, ip(1)));
        }
        assert!(bans.admit(t0, ip(1)).is_ok());
        assert_eq!(bans.tracked(), 0);
    }

    #[test]
    fn the_table_is_bounded_and_keeps_bans_longest() {
        let t0 = Instant::now();
        let bans = LoginBans::new(Some(policy().with_max_addresses(4)));
        // Two bans, then unbanned counts from many addresses.
        for _ in 0..3 {
            bans.record_failure(t0, ip(1));
            bans.record_failure(t0 + secs(1), ip(2));
        }
        for last in 10..200 {
            bans.record_failure(t0 + secs(2) + secs(u64::from(last) / 10), ip(last));
            assert!(bans.tracked() <= 4);
        }
        assert!(bans.is_banned(t0 + secs(30), ip(1)));
        assert!(bans.is_banned(t0 + secs(30), ip(2)));
        // Only bans left: a new address replaces the ban that ends first.
        for _ in 0..3 {
            bans.record_failure(t0 + secs(40), ip(3));
            bans.record_failure(t0 + secs(40), ip(4));
        }
        bans.record_failure(t0 + secs(50), ip(5));
        assert_eq!(bans.tracked(), 4);
        assert!(!bans.is_banned(t0 + secs(50), ip(1)));
        assert!(bans.is_banned(t0 + secs(50), ip(2)));
        // Entries whose window is over make room first.
        let bans = LoginBans::new(Some(policy().with_max_addresses(2)));
        bans.record_failure(t0, ip(1));
        bans.record_failure(t0 + secs(30), ip(2));
        bans.record_failure(t0 + secs(70), ip(3));
        assert_eq!(bans.tracked(), 2);
        assert!(!bans.record_failure(t0 + secs(71), ip(2)));
        assert!(bans.record_failure(t0 + secs(72), ip(2)));
    }
}
