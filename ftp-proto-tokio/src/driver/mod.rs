//! The control-connection driver shared by the async client and server.
//!
//! [`Driver`] moves bytes and time between one tokio transport and one
//! [`Session`] (either engine), following the drain contract of
//! [`ftp_proto::session`]: socket bytes are read straight into the engine's
//! input buffer (only while it [wants input](Session::wants_input)), every
//! frame the engine produces is written out and flushed, and one timer is
//! armed for the engine's [deadline](Session::poll_timeout). The driver knows
//! nothing about either role: it hands the session back for the role-specific
//! code to read events from and answer them.
//!
//! A role-specific loop looks like this:
//!
//! ```text
//! loop {
//!     driver.flush().await?;                        // 1. frames out
//!     while let Some(event) = driver.session_mut().poll_event() {
//!         handle(event).await?;                     // 2. events (answers are inputs)
//!         driver.flush().await?;
//!     }
//!     if driver.session().is_closed() { break }
//!     driver.next_input().await?;                   // 3+4. timer or socket bytes
//! }
//! ```
//!
//! The client runs exactly this loop, one operation at a time. The server
//! waits on more than the control connection (answers computed by storage
//! tasks, data connections, the transfer task, shutdown), so its step 3+4 is
//! a `select!` with [`Driver::input`] as one branch; [`Driver::input`] is
//! [`Driver::next_input`] that stays pending instead of reporting a stall,
//! since another branch is then what moves the session on.
//!
//! The transport is a type parameter; [`Transport`] is the one both roles
//! use: plain TCP that can be swapped for TLS mid-session (`AUTH TLS`, as
//! TLS client or server) and back (`CCC`). A transport that fails is marked
//! [broken](Driver::is_broken): nothing more is read, frames are dropped.

mod transport;

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use ftp_proto::Session;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Sleep;

pub use transport::Transport;

/// How many bytes the driver makes room for before each control read. The
/// engine bounds the buffer's growth through [`Session::wants_input`].
const READ_CHUNK: usize = 4096;

/// The adapter's clock: a tokio instant taken as origin, and conversions
/// to and from the engine's [`ftp_proto::Instant`] (time since that origin).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose origin is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The current time as the engine sees it.
    #[must_use]
    pub fn now(&self) -> ftp_proto::Instant {
        self.to_engine(tokio::time::Instant::now())
    }

    /// Converts a tokio instant to engine time (instants before the origin
    /// become the origin).
    #[must_use]
    pub fn to_engine(&self, at: tokio::time::Instant) -> ftp_proto::Instant {
        ftp_proto::Instant::from_duration(at.saturating_duration_since(self.origin))
    }

    /// Converts an engine instant back to a tokio instant (saturating far
    /// in the future).
    #[must_use]
    pub fn to_tokio(&self, at: ftp_proto::Instant) -> tokio::time::Instant {
        self.origin
            .checked_add(at.as_duration())
            .unwrap_or_else(far_future)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

fn far_future() -> tokio::time::Instant {
    // About 30 years, as tokio does for "never".
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
}

/// What [`Driver::next_input`] fed to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// This many bytes were read from the transport and processed.
    Read(usize),
    /// The peer closed its sending side; the session was told.
    Eof,
    /// The engine's deadline passed; [`Session::handle_timeout`] ran.
    Timeout,
    /// Nothing can come: the session takes no input (paused, closed or full)
    /// and has no deadline. The role-specific code must act (answer a pending
    /// event) or stop.
    Stalled,
}

/// Runs one [`Session`] over one transport `T`.
///
/// The driver owns the session, the transport and the timer. It is `Send`
/// when the session and the transport are, so it can live inside
/// `tokio::spawn`.
#[derive(Debug)]
pub struct Driver<S, T> {
    session: S,
    io: T,
    clock: Clock,
    timer: Pin<Box<Sleep>>,
    /// The engine deadline the timer is armed for.
    armed: Option<ftp_proto::Instant>,
    /// The transport reported EOF; no more reads.
    eof: bool,
    /// The transport failed (or was declared failed): no more reads, and
    /// frames are discarded instead of written.
    broken: bool,
    /// The rest of a frame the transport has not taken yet.
    unsent: Bytes,
    /// Bytes were written since the transport was last flushed.
    unflushed: bool,
}

impl<S, T> Driver<S, T>
where
    S: Session,
    T: AsyncRead + AsyncWrite + Unpin + Send,
{
    /// A driver for `session` over `io`. `clock` must be the clock whose
    /// [`now`](Clock::now) was used to create the session.
    pub fn new(session: S, io: T, clock: Clock) -> Self {
        Self {
            session,
            io,
            clock,
            timer: Box::pin(tokio::time::sleep_until(far_future())),
            armed: None,
            eof: false,
            broken: false,
            unsent: Bytes::new(),
            unflushed: false,
        }
    }

    /// The session.
    pub fn session(&self) -> &S {
        &self.session
    }

    /// The session, to queue work, take events and answer them. After any
    /// call that is an input, call [`flush`](Self::flush).
    pub fn session_mut(&mut self) -> &mut S {
        &mut self.session
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.io
    }

    /// The transport, for example to upgrade it to TLS when the engine asks.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Both at once (the session to answer, the transport to act on).
    pub fn parts_mut(&mut self) -> (&mut S, &mut T) {
        (&mut self.session, &mut self.io)
    }

    /// The driver's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The current engine time.
    pub fn now(&self) -> ftp_proto::Instant {
        self.clock.now()
    }

    /// Whether the transport reported end of stream.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Whether the transport failed: a read, write or flush returned an
    /// error, or [`mark_broken`](Self::mark_broken) was called.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Declares the transport unusable (for example after a write timeout
    /// the caller enforces, or a failed TLS handshake): from now on nothing
    /// is read, and [`flush`](Self::flush) discards the session's frames.
    /// The session is not told; the caller decides (typically
    /// [`Session::handle_eof`] or closing it).
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Takes the session and transport back.
    pub fn into_parts(self) -> (S, T) {
        (self.session, self.io)
    }

    /// Writes every frame the session has queued, then flushes the transport.
    /// Once the transport is [broken](Self::is_broken), frames are taken
    /// and dropped: there is nobody left to read them.
    ///
    /// # Errors
    /// The transport's write error; the driver is broken from then on (the
    /// frames still queued are dropped).
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_frames(cx)).await
    }

    /// Poll form of [`flush`](Self::flush), for code that drives the
    /// control connection from inside another `poll_*` function (a data
    /// stream sending the engine's keep-alive `NOOP`). A frame the
    /// transport took only in part is kept and finished first next time.
    ///
    /// # Errors
    /// As [`flush`](Self::flush).
    pub fn poll_flush_frames(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.broken {
                self.unsent.clear();
                while self.session.poll_transmit().is_some() {}
                return Poll::Ready(Ok(()));
            }
            if self.unsent.is_empty() {
                match self.session.poll_transmit() {
                    Some(frame) => self.unsent = frame,
                    None => break,
                }
            }
            while !self.unsent.is_empty() {
                match Pin::new(&mut self.io).poll_write(cx, &self.unsent) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(self.fail(io::ErrorKind::WriteZero.into())));
                    }
                    Poll::Ready(Ok(n)) => {
                        self.unsent.advance(n.min(self.unsent.len()));
                        self.unflushed = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        if self.unflushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Marks the transport broken after `e` (frames are dropped from now on).
    fn fail(&mut self, e: io::Error) -> io::Error {
        self.broken = true;
        self.unsent.clear();
        e
    }

    /// Waits for the next input (socket bytes while the session wants them,
    /// EOF, or the engine's deadline) and feeds it to the session. Cancel
    /// safe: bytes are only ever appended to the session's buffer.
    ///
    /// # Errors
    /// The transport's read error (the session is not told; the caller
    /// decides, typically by closing it); the driver is broken from then on.
    pub async fn next_input(&mut self) -> io::Result<Input> {
        poll_fn(|cx| self.poll_input(cx)).await
    }

    /// Like [`next_input`](Self::next_input), but never
    /// [`Stalled`](Input::Stalled): with nothing to read and no deadline it
    /// stays pending. For loops that also wait on other wake-ups (answers
    /// computed elsewhere, data transfers, a shutdown signal) in a
    /// `select!`, where one of those is what unblocks the session.
    ///
    /// # Errors
    /// As [`next_input`](Self::next_input).
    pub async fn input(&mut self) -> io::Result<Input> {
        poll_fn(|cx| match self.poll_input(cx) {
            Poll::Ready(Ok(Input::Stalled)) => Poll::Pending,
            other => other,
        })
        .await
    }

    /// Poll form of [`next_input`](Self::next_input), for code that drives
    /// the control connection from inside another `poll_*` function.
    ///
    /// # Errors
    /// As [`next_input`](Self::next_input).
    pub fn poll_input(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Input>> {
        self.poll_input_then(cx, true)
    }

    /// Like [`input`](Self::input), but bytes read are left in the
    /// session's input buffer: the caller calls
    /// [`Session::process_input`] after it brought the session up to date
    /// (the server reports a running transfer's progress first, so that a
    /// `STAT` read with these bytes shows it).
    ///
    /// # Errors
    /// As [`next_input`](Self::next_input).
    pub async fn input_unprocessed(&mut self) -> io::Result<Input> {
        poll_fn(|cx| match self.poll_input_then(cx, false) {
            Poll::Ready(Ok(Input::Stalled)) => Poll::Pending,
            other => other,
        })
        .await
    }

    fn poll_input_then(&mut self, cx: &mut Context<'_>, process: bool) -> Poll<io::Result<Input>> {
        if let Poll::Ready(()) = self.poll_timer(cx) {
            return Poll::Ready(Ok(Input::Timeout));
        }
        let reading = !self.eof && !self.broken && self.session.wants_input();
        if reading {
            let buffer = self.session.input_buffer();
            buffer.reserve(READ_CHUNK);
            let read = {
                let fut = self.io.read_buf(buffer);
                tokio::pin!(fut);
                fut.poll(cx)
            };
            match read {
                Poll::Ready(Ok(0)) => {
                    self.eof = true;
                    self.session.handle_eof(self.clock.now());
                    return Poll::Ready(Ok(Input::Eof));
                }
                Poll::Ready(Ok(n)) => {
                    if process {
                        self.session.process_input(self.clock.now());
                    }
                    return Poll::Ready(Ok(Input::Read(n)));
                }
                Poll::Ready(Err(e)) => {
                    self.broken = true;
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {}
            }
        }
        if !reading && self.armed.is_none() {
            return Poll::Ready(Ok(Input::Stalled));
        }
        Poll::Pending
    }

    /// Polls only the engine's timer: arms it for the session's current
    /// deadline (re-arming only when the deadline changed), and when it is
    /// due runs [`Session::handle_timeout`] and returns `Ready`. The clock
    /// is checked before the timer is polled, so a deadline already past
    /// fires at once.
    pub fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.session.poll_timeout();
        let Some(at) = deadline else {
            self.armed = None;
            return Poll::Pending;
        };
        let now = self.clock.now();
        if at <= now {
            self.armed = None;
            self.session.handle_timeout(now);
            return Poll::Ready(());
        }
        if self.armed != Some(at) {
            self.armed = Some(at);
            self.timer.as_mut().reset(self.clock.to_tokio(at));
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.armed = None;
                self.session.handle_timeout(self.clock.now());
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Flushes what the session still has to say, then shuts the
    /// transport's sending side down (TLS `close_notify` first). A broken
    /// transport is left alone.
    ///
    /// # Errors
    /// The transport's write error.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.flush().await?;
        if self.broken {
            return Ok(());
        }
        self.io.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftp_proto::Secret;
    use ftp_proto::client::OpId;
    use ftp_proto::client::{ClientConfig, ClientEvent, ClientSession, Outcome};
    use std::time::Duration;
    use tokio::io::AsyncBufReadExt;

    /// A scripted server on a duplex pipe: the driver logs in and runs PWD.
    #[tokio::test]
    async fn drives_a_session_over_a_duplex_pipe() {
        let (client_io, server_io) = tokio::io::duplex(64);
        let server = tokio::spawn(async move {
            let (r, mut w) = tokio::io::split(server_io);
            let mut lines = tokio::io::BufReader::new(r).lines();
            w.write_all(b"220 hi\r\n").await.unwrap();
            let mut seen = Vec::new();
            while let Some(line) = lines.next_line().await.unwrap() {
                let answer: &[u8] = match line.split(' ').next().unwrap() {
                    "USER" => b"331 pass?\r\n",
                    "PASS" => b"230-Welcome\r\n230 ok\r\n",
                    "PWD" => b"257 \"/x\"\r\n",
                    "QUIT" => b"221 bye\r\n",
                    _ => b"500 ?\r\n",
                };
                seen.push(line);
                w.write_all(answer).await.unwrap();
            }
            seen
        });
        let clock = Clock::new();
        let session = ClientSession::new(
            clock.now(),
            ClientConfig::default(),
            "127.0.0.1:21".parse().unwrap(),
        );
        let mut driver = Driver::new(session, client_io, clock);
        let now = driver.now();
        driver
            .session_mut()
            .login(now, "u", Secret::new("p"), None)
            .unwrap();
        let pwd = driver.session_mut().pwd(now).unwrap();
        driver.session_mut().quit(now).unwrap();
        let mut path = None;
        loop {
            driver.flush().await.unwrap();
            while let Some(event) = driver.session_mut().poll_event() {
                if let ClientEvent::Finished {
                    op,
                    result: Ok(Outcome::Path(p)),
                } = event
                {
                    assert_eq!(op, pwd);
                    path = Some(p);
                }
            }
            if driver.session().is_closed() {
                break;
            }
            let input = driver.next_input().await.unwrap();
            assert_ne!(input, Input::Stalled);
        }
        driver.shutdown().await.unwrap();
        assert_eq!(path.as_deref(), Some(&b"/x"[..]));
        let seen = server.await.unwrap();
        assert_eq!(seen, ["USER u", "PASS p", "PWD", "QUIT"]);
        let _ = OpId::GREETING;
    }

    /// A peer that is gone: the first flush fails and breaks the driver;
    /// later frames are dropped, nothing is read, and `input()` (unlike
    /// `next_input()`) waits instead of reporting the stall.
    #[tokio::test(start_paused = true)]
    async fn a_broken_transport_drops_frames_and_stops_reading() {
        let (client_io, server_io) = tokio::io::duplex(64);
        drop(server_io);
        let clock = Clock::new();
        let config = ClientConfig {
            reply_timeout: Duration::from_secs(5),
            ..ClientConfig::default()
        };
        let session = ClientSession::new(clock.now(), config, "127.0.0.1:21".parse().unwrap());
        let mut driver = Driver::new(session, client_io, clock);
        let now = driver.now();
        driver.session_mut().handle_input(now, b"220 hi\r\n");
        driver.session_mut().noop(now).unwrap();
        assert!(driver.flush().await.is_err());
        assert!(driver.is_broken());
        driver.session_mut().noop(now).unwrap();
        driver.flush().await.unwrap();
        assert!(driver.session_mut().poll_transmit().is_none());
        // Only the engine's deadline is left: it fires, then nothing can come.
        assert_eq!(driver.next_input().await.unwrap(), Input::Timeout);
        assert!(driver.session().is_closed());
        assert_eq!(driver.next_input().await.unwrap(), Input::Stalled);
        let waited = tokio::time::timeout(Duration::from_secs(3600), driver.input()).await;
        assert!(waited.is_err(), "input() must stay pending when stalled");
    }

    /// A silent server: the engine's reply deadline fires through the timer.
    #[tokio::test(start_paused = true)]
    async fn engine_deadline_fires() {
        let (client_io, _server_io) = tokio::io::duplex(64);
        let clock = Clock::new();
        let config = ClientConfig {
            reply_timeout: Duration::from_secs(5),
            ..ClientConfig::default()
        };
        let session = ClientSession::new(clock.now(), config, "127.0.0.1:21".parse().unwrap());
        let mut driver = Driver::new(session, client_io, clock);
        loop {
            match driver.next_input().await.unwrap() {
                Input::Timeout if driver.session().is_closed() => break,
                Input::Stalled => panic!("stalled"),
                _ => {}
            }
        }
    }
}
