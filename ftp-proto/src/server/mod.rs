//! The server side of FTP as a Sans-IO state machine: [`ServerSession`].
//!
//! One session is one control connection. Every protocol rule lives here:
//! login sequencing, reply codes, REST/RNFR pairing, data-connection
//! negotiation, transfer replies, ABOR/STAT/QUIT during transfers, AUTH TLS,
//! timeouts and the security policy. Someone who writes a server on it
//! handles storage, authentication and sockets only.
//!
//! # What the engine answers by itself
//! NOOP, SYST, FEAT (exactly what [`ServerConfig`] enables), HELP, STAT
//! without argument, TYPE/MODE/STRU, OPTS UTF8/MLST, PWD (it tracks the
//! current directory), ALLO (202), CLNT, PBSZ/PROT, EPSV ALL, REIN, and every
//! syntax (500/501/504), sequencing (503), login (530) and "not implemented"
//! (502: SMNT, LANG, MIC/CONF/ENC, LPRT/LPSV, HASH...) reply. CCC is
//! answered by policy (see [TLS](#tls)).
//!
//! # What it asks the embedder
//! A [`ServerEvent::Request`] carries a [`Request`] token whose
//! [`RequestKind`] says what is asked (login, CWD, MKD, RETR, LIST...). Move
//! it back into [`ServerSession::answer`] with a typed [`Answer`]; the engine
//! turns it into the reply code the command allows (for example
//! [`FsError::Busy`] becomes `450` for DELE but `550` for CWD). Paths are
//! absolute normalised [`VirtualPath`](crate::path::VirtualPath)s that cannot
//! leave `/`; arguments with NUL/CR/LF are refused (`553`/`501`) before any
//! request is made. While a request is outstanding no further command is
//! read (pipelined input waits, bounded by [`Limits`]).
//!
//! Logins: `USER` always gets `331` (RFC 2577: no user enumeration); the
//! embedder sees user and password together in [`RequestKind::Login`], the
//! password wrapped in a [`Secret`](crate::Secret). A refused login is answered `530` after
//! [`Timeouts::failed_login_delay`] (the engine's own timer, via
//! `poll_timeout`), and after [`Limits::max_login_attempts`] with `421` and
//! close. `anonymous`/`ftp` logins fail without a request unless
//! [`SecurityPolicy::allow_anonymous`]. `HOST` is answered `220` by the
//! engine unless [`ServerConfig::validate_hosts`] asks for a
//! [`RequestKind::Host`] decision.
//!
//! # Data connections and transfers
//! The engine orchestrates, the adapter moves the bytes:
//! - `PASV`/`EPSV` emit [`DataAction::Listen`]; the adapter binds and calls
//!   [`ServerSession::data_listening`]; the engine replies `227`/`229`
//!   (with [`ServerConfig::masquerade_address`] if set). The adapter accepts
//!   one connection and reports it with [`ServerSession::data_connected`];
//!   a peer other than the control peer is refused (the listener is closed
//!   and a waiting transfer gets `425`). A listener nobody connects to
//!   within [`Timeouts::passive_accept`] is closed ([`DataAction::Close`]),
//!   and a new `PASV`/`EPSV` closes the old one before it asks for another.
//! - `PORT`/`EPRT` are checked (control peer's address, port ≥ 1024, else
//!   `501`, never attempted) and remembered; [`DataAction::Connect`] is
//!   emitted when a transfer starts.
//! - A transfer command needs a prepared data connection (`425` otherwise)
//!   and, with [`TlsPolicy::RequiredForLoginAndData`], `PROT P` (`521`).
//!   After a positive answer the engine replies `150` (`125` when the data
//!   connection is already open) and emits [`ServerEvent::Transfer`]. The
//!   adapter streams, closes the data connection, and calls
//!   [`ServerSession::transfer_done`]; the engine replies `226`, `426`,
//!   `425`, `451`, `552` or `522`. A listing comes in one of two forms: an
//!   embedder that answers [`Answer::DirectoryListing`] streams the
//!   directory itself ([`TransferKind::DirectoryListing`]), rendering each
//!   entry with the engine's [`ListingStyle::write_line`] into a bounded
//!   buffer, so a listing's memory does not grow with the directory; one
//!   that answers [`Answer::Listing`] with the entries gets them rendered by
//!   the engine into [`TransferKind::Listing`] bytes (bounded by
//!   [`Limits::max_listing_bytes`]; a longer listing is refused with `450`
//!   before any `150`, never cut). Each setup serves one transfer; a new
//!   one closes the old ([`DataAction::Close`]).
//! - During a transfer, `ABOR` emits [`ServerEvent::Abort`] and, once the
//!   adapter reports, replies `426` (the transfer) then `226` (ABOR); `STAT`
//!   and `NOOP` are answered at once; `QUIT` waits or aborts per
//!   [`QuitPolicy`]; other commands run after the transfer's reply. A lost
//!   control connection aborts the transfer and says whether an upload is
//!   incomplete.
//!
//! # TLS
//! `AUTH TLS` (with [`TlsPolicy`] other than `Disabled`) queues `234` and
//! stops reading. Plaintext that followed the AUTH line is dropped, never
//! replayed inside TLS, and counted in [`ServerEvent::UpgradeTls`], which is
//! emitted only once the `234` has left through `poll_transmit`. The
//! adapter runs the handshake and calls [`ServerSession::tls_established`].
//! Lines held back during a transfer are dropped the same way.
//!
//! `CCC` (RFC 4217 §5) is `533` when the control connection is not under
//! TLS and `534` unless [`ServerConfig::allow_clear_control`] (off by
//! default: later commands, replies and logins cross the network in clear;
//! FEAT lists `CCC` only when it is on). With
//! [`TlsPolicy::RequiredForLogin`] or stricter it is also `534` before
//! login, and a `USER` after it is `530`: credentials never travel in clear.
//! Accepted, it queues `200` and stops reading; once the `200` has left
//! through `poll_transmit` (to be written under TLS),
//! [`ServerEvent::DowngradeTls`] asks the adapter to exchange
//! `close_notify` and go on in clear on the same TCP connection, then call
//! [`ServerSession::tls_cleared`] (or [`ServerSession::tls_failed`]).
//! Lines read after `CCC` are dropped and counted, as after AUTH. From then
//! on data connections keep the `PROT` level in force, `PBSZ`/`PROT` get
//! `503`, and a new `AUTH TLS` starts over (and resets the login).
//!
//! `REIN` under explicit TLS does the same after its `220` (RFC 4217 §13):
//! TLS is removed from the control connection and data goes back to
//! `PROT C`; the client may send `AUTH TLS` again. Under implicit TLS
//! ([`ServerConfig::implicit_tls`]) TLS stays and data goes back to
//! `PROT P`, the connection's start state.
//!
//! # Choices and deviations (each on purpose)
//! - **Pipelining while a request is outstanding**: nothing is read, not even
//!   ABOR/STAT/QUIT; they run right after the answer. Answering STAT or NOOP
//!   first would reorder replies for a pipelining client, and an embedder
//!   answers promptly. During a *transfer* (after `150`), ABOR, STAT, QUIT
//!   and NOOP are answered at once (RFC 959 §4.1.3, RFC 1123 §4.1.3.3).
//! - **PORT/EPRT refusals are `501`**: RFC 2577 suggests 504, which RFC 959
//!   §5.4 does not list for PORT; 501 is in the lists of both PORT and EPRT.
//!   `PASV`/`EPSV` that cannot bind, and `PASV` on an IPv6 connection, get
//!   `425` (Pure-FTPd; no listed code fits). `EPSV ALL` gets `200`.
//! - **STOR/STOU/RNTO refusals are `553`**, since RFC 959 lists no 550 for
//!   them; listings of a missing directory and SITE failures are `550` as
//!   every server does; raw [`Answer::Reply`] codes must be in the command's
//!   list in RFC 959 §5.4 or its extension RFC (or these deviations).
//! - **REST** survives TYPE/MODE/STRU/PORT/PASV/EPRT/EPSV/NOOP/STAT (which
//!   cannot conflict with it; RFC 3659 §5.3 leaves it undefined) and is
//!   cleared by anything else and consumed by RETR/STOR/APPE. **RNFR** is
//!   cleared by any other command (RFC 959).
//! - **ABOR without a transfer** answers `226` (RFC 959 §4.1.3), closing an
//!   idle data setup. **ADAT** is `503` (no AUTH answered 334); LANG,
//!   SMNT, MIC/CONF/ENC, LPRT/LPSV, MODE B/C/Z are not implemented.
//! - **REIN** resets login, TYPE, cwd, REST, RNFR, HOST, EPSV ALL, MLST
//!   facts, the data setup, PBSZ/PROT and (explicit TLS) control TLS.
//! - **CCC refused before login** when TLS is required for login (RFC 4217
//!   lets a server refuse CCC; `534`). **PBSZ/PROT after CCC** are `503`
//!   (the protection level can no longer be negotiated under TLS).
//! - **AUTH TLS after login** resets the login (RFC 4217 §4.2).
//! - Empty and blank command lines are ignored: NAT devices inject them, and
//!   answering each would desynchronise the client's replies.
//!
//! # A complete run loop
//! The drain contract of [`Session`](crate::Session): after every input,
//! drain transmits, then events (answering one is input again), then arm the
//! timer. Here a fake in-memory driver answers a login and a PWD:
//!
//! ```
//! use std::sync::Arc;
//! use ftp_proto::server::{Answer, RequestKind, ServerConfig, ServerEvent, ServerSession};
//! use ftp_proto::{Instant, Session};
//!
//! let config = Arc::new(ServerConfig::default());
//! let now = Instant::ZERO;
//! let mut session = ServerSession::new(
//!     now,
//!     config,
//!     "192.0.2.9:40000".parse().unwrap(),
//!     "192.0.2.1:21".parse().unwrap(),
//! );
//! // What the client sends, one read at a time.
//! let mut client = std::collections::VecDeque::from([
//!     &b"USER alice\r\nPASS s3cret\r\n"[..],
//!     b"PWD\r\n",
//!     b"QUIT\r\n",
//! ]);
//! let mut wire = Vec::new();
//! loop {
//!     // 1. frames to the socket
//!     while let Some(frame) = session.poll_transmit() {
//!         wire.extend_from_slice(&frame);
//!     }
//!     // 2. events; answering one is an input, so drain again afterwards
//!     let mut answered = false;
//!     while let Some(event) = session.poll_event() {
//!         match event {
//!             ServerEvent::Request(request) => {
//!                 let answer = match request.kind() {
//!                     RequestKind::Login { user, password, .. }
//!                         if &user[..] == b"alice" && password.expose() == b"s3cret" =>
//!                     {
//!                         Answer::LoggedIn { home: None }
//!                     }
//!                     RequestKind::Login { .. } => {
//!                         Answer::Denied(ftp_proto::server::Denial::BadCredentials)
//!                     }
//!                     _ => Answer::Error(ftp_proto::server::FsError::NotSupported),
//!                 };
//!                 session.answer(now, request, answer).expect("a fitting answer");
//!                 answered = true;
//!             }
//!             ServerEvent::Closed(_) => {}
//!             other => unreachable!("no data connections here: {other:?}"),
//!         }
//!     }
//!     if answered {
//!         continue;
//!     }
//!     if session.is_closed() {
//!         break;
//!     }
//!     // 3. the timer: a real loop arms it and waits for it or the socket
//!     let _deadline = session.poll_timeout();
//!     // 4. the next input (only while the engine wants it)
//!     assert!(session.wants_input());
//!     match client.pop_front() {
//!         Some(bytes) => session.handle_input(now, bytes),
//!         None => session.handle_eof(now),
//!     }
//! }
//! assert_eq!(
//!     String::from_utf8(wire).unwrap(),
//!     "220 FTP server ready.\r\n\
//!      331 Password required.\r\n\
//!      230 Login successful.\r\n\
//!      257 \"/\" is the current directory.\r\n\
//!      221 Goodbye.\r\n"
//! );
//! ```

mod config;
mod event;
mod replies;
mod session;

pub use config::{
    Features, Limits, QuitPolicy, SecurityPolicy, ServerConfig, ShutdownPolicy, Texts, Timeouts,
    TlsPolicy,
};
pub use event::{
    Answer, CloseReason, DataAction, Denial, FsError, ListFormat, ListingStyle, Refusal, Request,
    RequestId, RequestKind, ServerEvent, TransferKind, TransferOutcome, TransferStart,
};
pub use session::ServerSession;

#[cfg(test)]
mod tests;
