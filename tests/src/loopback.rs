//! Pieces of the hand-written fake servers of the client tests: accepting
//! with a time limit, and the passive data listener behind `229`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Accepts one connection on `listener` within `patience` (polling every
/// 5 ms), as a blocking stream.
pub fn accept_within(listener: &TcpListener, patience: Duration) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if let Ok((stream, _)) = listener.accept() {
            stream.set_nonblocking(false).ok()?;
            return Some(stream);
        }
        thread::sleep(Duration::from_millis(5));
    }
    None
}

/// Answers `EPSV` on `control`: binds a data listener on 127.0.0.1 and
/// writes its `229` reply.
pub fn epsv(control: &mut TcpStream) -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a data listener");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let _ = write!(
        control,
        "229 Entering Extended Passive Mode (|||{port}|)\r\n"
    );
    listener
}
