//! The surface both engines share, so an adapter writes one driver loop.
//!
//! # The drain contract
//! After **every** input (`process_input`, `handle_input`, `handle_eof`,
//! `handle_timeout`, or any answer method of a role), the caller:
//! 1. writes out every frame from [`Session::poll_transmit`] until `None`;
//! 2. handles every event from [`Session::poll_event`] until `None`
//!    (answering an event is an input, so go back to step 1 afterwards);
//! 3. reads [`Session::poll_timeout`] and arms one timer for it;
//! 4. waits for the next input: socket bytes (only while
//!    [`Session::wants_input`]), the timer, or an answer from elsewhere.
//!
//! Every event that asks a decision (a server `Request`) gets its answer, in
//! any order the protocol allows; nothing else of the session times out
//! while one is pending, so the server engine bounds the wait itself
//! (`Timeouts::answer`, default 120 s: the command then fails with `451` or
//! `550`, a login with `421`) and refuses a late answer.
//!
//! When writing a frame to the control connection fails, the connection is
//! gone: call [`Session::handle_eof`] and keep draining, dropping the frames.
//! The engine stops a running transfer (a server emits `Abort`, a client a
//! data `Close` and the operation's error), reports its close, and
//! [`Session::is_closed`] turns true; no transfer report is due after that.
//!
//! The order matters where the protocol demands it: for example a server
//! emits its `UpgradeTls` event only after the `234` reply to `AUTH TLS` has
//! left through `poll_transmit`. Calling `handle_timeout` early or twice is
//! harmless.

use bytes::{Bytes, BytesMut};

use crate::time::Instant;

/// One FTP control connection, seen from either end.
pub trait Session {
    /// What this role reports to its embedder.
    type Event;

    /// The engine's input buffer, for reading socket bytes straight into it
    /// (for example with tokio's `read_buf`). Only **append** to it, then call
    /// [`Session::process_input`]; never remove or rewrite bytes.
    fn input_buffer(&mut self) -> &mut BytesMut;

    /// Processes what was appended to [`Session::input_buffer`].
    fn process_input(&mut self, now: Instant);

    /// Copies `data` into the input buffer and processes it.
    fn handle_input(&mut self, now: Instant, data: &[u8]) {
        self.input_buffer().extend_from_slice(data);
        self.process_input(now);
    }

    /// The peer closed its sending side of the control connection.
    fn handle_eof(&mut self, now: Instant);

    /// The next frame to write to the control connection, if any.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Bytes>;

    /// The next event for the embedder, if any.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// The earliest moment [`Session::handle_timeout`] must be called, if any.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;

    /// Fires every timer that is due at `now`.
    fn handle_timeout(&mut self, now: Instant);

    /// Whether the engine takes more input now. It says no while it is paused
    /// for a TLS handshake and while enough pipelined input is buffered to
    /// reach its limit; an adapter then stops reading the socket (backpressure).
    #[must_use]
    fn wants_input(&self) -> bool;

    /// Whether the session is over: no more input is taken, and once
    /// `poll_transmit` is drained the adapter closes the connection.
    #[must_use]
    fn is_closed(&self) -> bool;
}
