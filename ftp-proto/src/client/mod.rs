//! The client side of FTP as a Sans-IO state machine: [`ClientSession`].
//!
//! The session implements [`Session`](crate::Session) like the server engine,
//! so a driver loop written against that trait serves both (as
//! `ftp-proto-tokio`'s generic driver does). Work is queued as
//! **operations** (`login`, `list`, `retrieve`, `store`, `rename`, ... or a
//! raw [`send`](ClientSession::send)), each identified by an [`OpId`] and
//! ending exactly once with [`ClientEvent::Finished`]. Operations run one at
//! a time in queue order, one command in flight (FTP is lock-step); replies
//! are matched to commands in FIFO order, multi-line replies included, and
//! `1yz` replies are reported as [`ClientEvent::Preliminary`] progress.
//!
//! # On the wire
//! The engine uses the shared codec and nothing else: commands are rendered
//! by [`Command::encode`](crate::command::Command::encode) (0xFF doubled;
//! an argument holding CR, LF or NUL is refused when the operation is
//! queued, with [`UsageErrorKind::InvalidValue`](crate::UsageErrorKind::InvalidValue),
//! so no command can be injected); replies are framed by a
//! [`ReplyParser`](crate::reply::ReplyParser) whose quirks and limits come
//! from [`ClientConfig`] (strict same-code multi-line end unless
//! `lenient_multiline`; bare LF and bare-code lines accepted unless turned
//! off; `max_reply_bytes`, `max_reply_line`, `max_reply_lines`). A
//! multi-line reply over the limits is read to its end and handled by its
//! code with its text dropped (RFC 1123 §4.1.2.11); a line that cannot be
//! framed (over-long first line, bad code) ends the session with
//! [`ProtocolError::MalformedReply`]. `227`/`229` texts are read by
//! [`address`](crate::address), `257` paths by
//! [`path::parse_257`](crate::path::parse_257).
//!
//! # Data connections
//! The engine decides, the adapter moves bytes. Passive mode (default):
//! `EPSV`, falling back to `PASV` for the rest of the session when EPSV gets
//! a 5yz or an unparseable reply; the `227` host is replaced per
//! [`PassiveAddressPolicy`]. The engine emits [`DataRequest::Connect`] right
//! after `227`/`229` and sends the transfer command at once, without waiting
//! for the connection (some servers accept the connection before they send
//! `150`, and would wait forever). Active mode: [`DataRequest::Listen`], the
//! adapter answers [`data_listening`](ClientSession::data_listening), the
//! engine sends `PORT` (IPv4) or `EPRT`. [`ClientEvent::Transfer`] says when
//! to move the bytes (after the `1yz`). A transfer completes only when both
//! its final reply and the data end ([`data_finished`](ClientSession::data_finished))
//! are in, in either order (a `226` often arrives before the data's end).
//! File bytes never enter the engine.
//!
//! # Listings
//! Listing bytes are handed back with
//! [`listing_data`](ClientSession::listing_data) and parsed line by line
//! with bounded memory (`max_listing_line`, `max_listing_entries`) into the
//! shared [`FileInfo`]: [`list`](ClientSession::list) sends `MLSD` when the
//! last `FEAT` listed `MLST`, else `LIST`; [`list_with`](ClientSession::list_with)
//! and [`ListFormat`] force one. `MLSD` lines go through the MLSx parser,
//! `LIST` lines through [`listing::parse_list_line_bytes`](crate::listing::parse_list_line_bytes)
//! (Unix, MS-DOS, OS/2, EPLF and IBM i told apart per line, in the fixed
//! order documented there). The entries are kept compact in a
//! [`Listing`] (the lines that parsed as entries, in a few shared
//! buffers; entries parsed again when read, names sliced from those
//! buffers), so a listing costs about its bytes.
//! A Unix date without a year is placed with the caller's `wall_clock`, and
//! left unknown without one. The listed directory and its parent (`cdir`,
//! `pdir`, `.`, `..`) are dropped, from `NLST` names too; other lines that
//! are not entries (`total 12`, banners, a format no parser knows) are
//! counted as `skipped`, never turned into guessed entries.
//!
//! # Reply ordering during transfers
//! - **ABOR** (RFC 959 §4.1.3; servers answer `426` + `226`, or one `225`/`226`): after `ABOR` the next non-`225` reply belongs to
//!   the transfer (`426` or `226`) and the following one to ABOR (`225` or
//!   `226`); a `225` is always ABOR's, whatever its position.
//! - **Keep-alive NOOP** (config `keepalive`): servers that read commands
//!   during a transfer answer `200` at once, others after the transfer's
//!   `226`. While a transfer's final reply is pending, a reply that cannot end
//!   the transfer (`200`, `503`, ...) goes to the NOOP; one that can goes to
//!   the transfer.
//!
//! # Conformance check
//! Every reply is checked against the codes RFC 959 §5.4 and the extension
//! RFCs allow for its command,
//! with the documented deviations of real servers accepted (REIN→230, EPSV
//! ALL→200/220, CDUP→250, LIST→550 on an empty directory, ...). A code
//! outside both lists is reported as [`ClientEvent::Nonconformant`] and then
//! handled by its first digit (RFC 1123 §4.1.2.11); [`ConformancePolicy`]
//! can instead fail the operation or stay silent. `421` is terminal at any
//! time; a stray reply when nothing is in flight is reported and dropped,
//! and so is a `220` once the greeting is in, unless it answers a command
//! that allows it (`REIN`, `HOST`): an extra greeting line (`220 a`,
//! `220 b`) answers nothing, whether it comes before the next command is
//! sent or after, so it can neither log the client in nor shift later
//! replies. Only the 2yz that RFC 959 §5.4 lists for the login commands
//! log in (230 or RFC 2228's 232 to `USER`, 230 or 202 to `PASS` and
//! `ACCT`); another 2yz fails the login. A `1yz` never extends a
//! command's reply deadline ([`ClientConfig::reply_timeout`] has the rule).
//! One case waits: a `421` (or the control connection's close) that comes
//! after a transfer's positive final reply while its data is still being
//! read lets that transfer finish with its data (on a connection of its
//! own) before the session closes; nothing more is sent or read on the
//! control connection meanwhile.
//!
//! # TLS
//! `auth_tls`: `AUTH TLS` → `234` → [`ClientEvent::UpgradeTls`]; the engine
//! takes no input until [`tls_established`](ClientSession::tls_established)
//! (bytes already buffered after `234` end the session: they would be
//! plaintext injected before the handshake). Then `PBSZ 0` and `PROT P`; data
//! requests carry [`DataProtection`](crate::data::DataProtection). `CCC`
//! pauses likewise until [`tls_cleared`](ClientSession::tls_cleared).
//!
//! # A complete run loop
//! The drain contract of [`Session`](crate::Session): after every input,
//! drain transmits, then events (answering them is input again), then arm
//! the timer. Here the "server" is a script of reply bytes:
//!
//! ```
//! use ftp_proto::client::{ClientConfig, ClientEvent, ClientSession, OpId, Outcome};
//! use ftp_proto::Secret;
//! use ftp_proto::{Instant, Session};
//!
//! // What a server would answer, in order.
//! let mut server = std::collections::VecDeque::from([
//!     &b"220 Service ready\r\n"[..],
//!     b"331 Password required\r\n",
//!     b"230-Welcome\r\n 230 users online\r\n230 Logged in\r\n",
//!     b"257 \"/home/alice\" is the current directory\r\n",
//!     b"221 Bye\r\n",
//! ]);
//! let now = Instant::ZERO;
//! let mut client = ClientSession::new(now, ClientConfig::default(), "192.0.2.1:21".parse().unwrap());
//! let login = client.login(now, "alice", Secret::new("s3cret"), None).unwrap();
//! let pwd = client.pwd(now).unwrap();
//! client.quit(now).unwrap();
//!
//! let mut sent = Vec::new();
//! let mut results = Vec::new();
//! loop {
//!     // 1. frames to the socket
//!     while let Some(frame) = client.poll_transmit() {
//!         sent.extend_from_slice(&frame);
//!     }
//!     // 2. events (a real adapter also opens data connections, runs TLS...)
//!     while let Some(event) = client.poll_event() {
//!         if let ClientEvent::Finished { op, result } = event {
//!             results.push((op, result));
//!         }
//!     }
//!     if client.is_closed() {
//!         break;
//!     }
//!     // 3. the timer: a real loop would arm it and wait for it or the socket
//!     let _deadline = client.poll_timeout();
//!     // 4. the next input: socket bytes (only while the engine wants them)
//!     assert!(client.wants_input());
//!     match server.pop_front() {
//!         Some(bytes) => client.handle_input(now, bytes),
//!         None => client.handle_eof(now),
//!     }
//! }
//! assert_eq!(sent, b"USER alice\r\nPASS s3cret\r\nPWD\r\nQUIT\r\n");
//! assert!(matches!(results[0], (OpId::GREETING, Ok(Outcome::Connected(_)))));
//! assert!(matches!(&results[1], (op, Ok(Outcome::LoggedIn(_))) if *op == login));
//! assert!(matches!(&results[2], (op, Ok(Outcome::Path(p))) if *op == pwd && &p[..] == b"/home/alice"));
//! assert!(matches!(results[3], (_, Ok(Outcome::Quit))));
//! ```

mod config;
mod conformance;
mod error;
mod event;
mod features;
mod listing;
mod ops;
mod session;
mod wire;

pub use crate::listing::{FileInfo, FileKind};
pub use config::{ClientConfig, ConformancePolicy, DataConnectionMode, PassiveAddressPolicy};
pub use error::{ClientError, CloseReason, ProtocolError};
pub use event::{ClientEvent, DataRequest, Direction, OpId, Outcome, TransferStart};
pub use features::Features;
pub use listing::{ListFormat, Listing, ListingIntoIter, ListingIter};

pub use session::{AcceptedPeer, ClientSession, MAX_FOREIGN_DATA_PEERS};
pub use wire::Reply;
