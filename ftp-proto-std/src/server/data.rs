//! Data connections of the blocking server: passive listeners within a
//! port range and active connects. The transfers themselves are
//! [`crate::transfer`]'s.

use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use ftp_proto::server::TransferOutcome;
use socket2::{Domain, Protocol, Socket, Type};

use super::ServerTls;
use crate::storage::{EntryResult, Upload};
use crate::transfer::{self, Job, Limits, Stopper};

/// Runs a transfer on its data connection: [`transfer::run`], TLS
/// included, with the feature `tls`; else [`transfer::run_plain`] (no TLS
/// settings can exist).
pub(crate) fn run_transfer<R, W, D, C>(
    stream: TcpStream,
    stopper: &Stopper,
    tls: Option<(&ServerTls, C)>,
    job: Job<R, W, D>,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome
where
    R: Read + 'static,
    W: Upload,
    D: Iterator<Item = EntryResult>,
    C: FnOnce(bool) -> bool,
{
    #[cfg(feature = "tls")]
    return transfer::run(stream, stopper, tls, job, progress, limits);
    #[cfg(not(feature = "tls"))]
    {
        if let Some((tls, _)) = tls {
            match *tls {}
        }
        transfer::run_plain(stream, stopper, job, progress, limits)
    }
}

fn socket_for(addr: &SocketAddr) -> io::Result<Socket> {
    Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
}

/// Binds a passive listener on `ip` (a random free port of `range`, or any
/// port without one).
pub(crate) fn bind_passive(
    ip: IpAddr,
    range: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    crate::net::bind_passive(ip, range, |addr| {
        let socket = socket_for(&addr)?;
        // SO_REUSEADDR: the server closes a data connection first, so the
        // port of each finished transfer sits in TIME_WAIT for a minute;
        // without it a passive range serves only that many transfers a
        // minute. The kernel still refuses a second listener on a port
        // that has one.
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1)?;
        Ok(socket.into())
    })
}

/// Connects to a client's active-mode address from the control
/// connection's local IP.
pub(crate) fn connect_active(
    local: IpAddr,
    addr: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = socket_for(&addr)?;
    let from = SocketAddr::new(crate::net::active_bind_ip(local, addr), 0);
    socket.bind(&from.into())?;
    socket.connect_timeout(&addr.into(), timeout)?;
    Ok(socket.into())
}
