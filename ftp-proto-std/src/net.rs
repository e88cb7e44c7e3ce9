//! Small socket and clock helpers every adapter shares (blocking or not):
//! passive-port selection, the local address of an active connect, urgent
//! data kept in line on control connections, and the wall clock as an FTP
//! timestamp.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::SystemTime;

use ftp_proto::timestamp::Timestamp;

/// A random-ish number without a dependency: std's per-process random hash keys.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// The ports of `range`, each once, starting from a random one (so
/// concurrent sessions rarely race for the same port).
pub fn passive_port_order(range: &RangeInclusive<u16>) -> impl Iterator<Item = u16> + use<> {
    let (low, high) = (*range.start(), *range.end());
    let count = if low > high {
        0
    } else {
        u64::from(high - low) + 1
    };
    let start = if count == 0 { 0 } else { random_u64() % count };
    (0..count).map(move |i| {
        let offset = u16::try_from((start + i) % count).unwrap_or(0);
        low.saturating_add(offset)
    })
}

/// Binds a passive listener on `ip` with `bind`: port 0 without a range;
/// with one, from a random port of the range, each port tried once.
///
/// # Errors
/// The last bind error, or `AddrInUse` when the range is empty.
pub fn bind_passive<L>(
    ip: IpAddr,
    range: Option<&RangeInclusive<u16>>,
    mut bind: impl FnMut(SocketAddr) -> io::Result<L>,
) -> io::Result<L> {
    let Some(range) = range else {
        return bind(SocketAddr::new(ip, 0));
    };
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "passive port range exhausted");
    for port in passive_port_order(range) {
        match bind(SocketAddr::new(ip, port)) {
            Ok(l) => return Ok(l),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The local address to bind before connecting to `target` for an active
/// data connection: the control connection's local IP when the families
/// match (so the peer sees the address it talks to), else "any".
#[must_use]
pub fn active_bind_ip(control_local: IpAddr, target: SocketAddr) -> IpAddr {
    match (control_local.to_canonical(), target.ip()) {
        (IpAddr::V4(l), IpAddr::V4(_)) => IpAddr::V4(l),
        (l @ IpAddr::V6(_), IpAddr::V6(_)) => l,
        (_, IpAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (_, IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// Sets `SO_OOBINLINE` on an accepted control connection, so urgent data
/// stays in the byte stream.
///
/// Clients abort a transfer with the Telnet Synch of RFC 959 §4.1.3: the
/// last byte they send with TCP's urgent flag (Python's `ftplib` sends
/// all of `ABOR\r\n` urgent, BSD clients the `IAC` before `DM`) is, by
/// default, taken out of the stream and kept apart for a special read. The
/// line then lacks its LF (or its `IAC`), the `ABOR` is never seen and
/// the next command merges with it. In line (as RFC 6093 advises
/// applications that use urgent data), the bytes arrive in order and the
/// engine's line framer reads `ABOR` (it removes the Telnet `IAC IP` and
/// `IAC DM` around it).
///
/// # Errors
/// The socket option cannot be set.
#[cfg(unix)]
pub fn keep_urgent_data_inline(socket: &impl std::os::fd::AsFd) -> io::Result<()> {
    socket2::SockRef::from(socket).set_out_of_band_inline(true)
}

/// Sets `SO_OOBINLINE` on an accepted control connection, so urgent data
/// stays in the byte stream (see the Unix version of this function).
///
/// # Errors
/// The socket option cannot be set.
#[cfg(windows)]
pub fn keep_urgent_data_inline(socket: &impl std::os::windows::io::AsSocket) -> io::Result<()> {
    socket2::SockRef::from(socket).set_out_of_band_inline(true)
}

/// The wall clock as an FTP timestamp (for the LIST date column and the
/// year guess of client-side LIST parsing).
#[must_use]
pub fn wall_clock() -> Timestamp {
    match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => Timestamp::from_unix(
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(_) => Timestamp::UNIX_EPOCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_of_the_range_once() {
        let mut ports: Vec<u16> = passive_port_order(&(50000..=50009)).collect();
        ports.sort_unstable();
        assert_eq!(ports, (50000..=50009).collect::<Vec<_>>());
        assert_eq!(
            passive_port_order(&(65535..=65535)).collect::<Vec<_>>(),
            [65535]
        );
        #[allow(clippy::reversed_empty_ranges, reason = "the empty case")]
        let empty = passive_port_order(&(10..=9)).count();
        assert_eq!(empty, 0);
    }

    #[test]
    fn active_bind_follows_the_target_family() {
        let v4: SocketAddr = "192.0.2.1:2000".parse().unwrap();
        let v6: SocketAddr = "[2001:db8::1]:2000".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(active_bind_ip(mapped, v4), IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            active_bind_ip(mapped, v6),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
        assert_eq!(
            active_bind_ip(IpAddr::from([10, 0, 0, 1]), v6),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
    }

    #[test]
    fn bind_passive_tries_each_port_then_gives_up() {
        let mut tried = Vec::new();
        let r: io::Result<()> = bind_passive(IpAddr::from([127, 0, 0, 1]), Some(&(7..=9)), |a| {
            tried.push(a.port());
            Err(io::Error::new(io::ErrorKind::AddrInUse, "busy"))
        });
        assert!(r.is_err());
        tried.sort_unstable();
        assert_eq!(tried, [7, 8, 9]);
    }
}
