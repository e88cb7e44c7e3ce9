//! Data connections of the blocking server: passive listeners within a
//! port range and active connects. The transfers themselves are
//! [`crate::transfer`]'s.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

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
