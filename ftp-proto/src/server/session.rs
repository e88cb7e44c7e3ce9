//! [`ServerSession`]: the state machine of one server control connection.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::fmt::Write as _;
use core::net::{IpAddr, SocketAddr};

use bytes::{Bytes, BytesMut};

use super::config::{QuitPolicy, ServerConfig, ShutdownPolicy};
use super::event::{
    Answer, CloseReason, DataAction, ListFormat, ListingStyle, Refusal, Request, RequestId,
    RequestKind, ServerEvent, TransferKind, TransferOutcome, TransferStart,
};
use super::replies::{self, Verb};
use crate::command::{
    AuthMechanism, Command, EpsvArgument, FileStructure, NetworkProtocol, OptsArgument, ParseError,
    ProtectionLevel, TextFormat, TransferMode, TransferType,
};
use crate::data::{DataId, DataProtection, Representation};
use crate::error::{UsageError, UsageErrorKind};
use crate::line::{LineBuffer, LineConfig, LineError};
use crate::listing::Facts;
use crate::path::{VirtualPath, quote_for_257};
use crate::reply::{ReplyCode, write_multiline, write_reply};
use crate::session::Session;
use crate::time::Instant;

/// Where the login stands.
#[derive(Debug, Clone)]
enum Login {
    NeedUser,
    NeedPass { user: Bytes },
    NeedAcct { user: Bytes },
    LoggedIn { user: Bytes },
}

/// TLS on the control connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Plain,
    /// `234` queued; the upgrade event follows once it is transmitted.
    Upgrading {
        discarded: usize,
    },
    /// Waiting for `tls_established`.
    Handshake,
    Secured,
    /// `200` to `CCC` (or `220` to `REIN`) queued under TLS; the downgrade
    /// event follows once it is transmitted.
    Downgrading {
        discarded: usize,
        /// After `REIN`: data protection goes back to the start state.
        rein: bool,
    },
    /// Waiting for `tls_cleared`.
    Clearing {
        rein: bool,
    },
}

impl Tls {
    /// Paused for a TLS switch: nothing is read.
    fn switching(self) -> bool {
        !matches!(self, Self::Plain | Self::Secured)
    }
}

/// The negotiated data connection (single use).
#[derive(Debug, Clone, Copy)]
enum Setup {
    None,
    Passive {
        id: DataId,
        /// The client connected from here (already checked).
        connected: bool,
    },
    Active {
        id: DataId,
        addr: SocketAddr,
    },
}

impl Setup {
    fn id(&self) -> Option<DataId> {
        match *self {
            Self::None => None,
            Self::Passive { id, .. } | Self::Active { id, .. } => Some(id),
        }
    }
}

/// What the engine waits for before it reads the next command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    None,
    /// An embedder decision, asked at `since` about a command of `verb`.
    Request {
        id: RequestId,
        verb: Verb,
        since: Instant,
    },
    /// The adapter binding a passive listener.
    Listening {
        id: DataId,
        extended: bool,
    },
    /// The pause before answering a failed login; then `530`, or `421` and close.
    LoginDelay {
        until: Instant,
        last: bool,
    },
    /// The `120` greeting was sent; `service_ready` sends `220`.
    Greeting,
}

/// A running transfer.
#[derive(Debug, Clone, Copy)]
struct Transfer {
    id: DataId,
    verb: Verb,
    upload: bool,
    /// Passive (the client connects to us) rather than active.
    passive: bool,
    connected: bool,
    progress: u64,
    /// ABOR arrived: answer the transfer, then `226` to ABOR.
    abor: bool,
    /// QUIT arrived: `221` and close after the transfer's reply.
    quit: bool,
    /// `shutdown` while the transfer may finish: `421` and close after it.
    shutdown: bool,
    /// The data connection was refused or never came: the reply is `425`.
    failed_connect: bool,
    /// The data connection's TLS handshake did not resume the session
    /// while that is required: the reply is `522`.
    tls_refused: bool,
}

/// A line held back while a transfer runs.
#[derive(Debug)]
enum Held {
    Line(Bytes),
    TooLong,
}

/// The server side of one FTP control connection, as a Sans-IO state machine.
///
/// Every protocol rule lives here; the embedder handles storage,
/// authentication and sockets. See the [module docs](super) for a complete
/// run loop.
///
/// # Method groups
/// - **Create**: [`new`](Self::new) (queues `220`),
///   [`new_delayed`](Self::new_delayed) (`120`, then
///   [`service_ready`](Self::service_ready) sends `220`),
///   [`refuse`](Self::refuse) (`421` and close: too many connections).
/// - **Inputs** (the [`Session`] trait): control bytes through
///   [`Session::input_buffer`] + [`Session::process_input`] or
///   [`Session::handle_input`]; [`Session::handle_eof`];
///   [`Session::handle_timeout`].
/// - **Answers** from the embedder: [`answer`](Self::answer) for each
///   [`Request`]; from the adapter: [`data_listening`](Self::data_listening),
///   [`data_connected`](Self::data_connected),
///   [`transfer_progress`](Self::transfer_progress),
///   [`transfer_done`](Self::transfer_done),
///   [`tls_established`](Self::tls_established),
///   [`tls_cleared`](Self::tls_cleared),
///   [`tls_failed`](Self::tls_failed), and [`shutdown`](Self::shutdown).
///   Each returns a [`UsageError`] (carrying the value back, nothing
///   changed) when it does not fit the current state.
/// - **Outputs**: [`Session::poll_transmit`] (reply frames),
///   [`Session::poll_event`] ([`ServerEvent`]s), [`Session::poll_timeout`];
///   drain them in that order after every input.
/// - **Getters**: [`cwd`](Self::cwd), [`user`](Self::user),
///   [`is_logged_in`](Self::is_logged_in), [`is_secured`](Self::is_secured),
///   [`is_control_cleared`](Self::is_control_cleared),
///   [`peer`](Self::peer), [`local`](Self::local).
///
/// # Pipelining and backpressure
/// While a request or a passive bind is outstanding, the engine reads no
/// further command: later lines stay in the input buffer, so their replies
/// keep their order. While a transfer runs, it reads on and answers `ABOR`,
/// `STAT` (no argument), `QUIT` and `NOOP` at once (RFC 959 §4.1.3, RFC 1123
/// §4.1.3.3); other lines are held and run after the transfer's reply. Held
/// and buffered input is bounded by [`Limits`](super::Limits): beyond
/// `max_pipelined_bytes`/`max_pipelined_lines` [`Session::wants_input`] is
/// false, and input past that plus one line ends the session with `421`.
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    peer: SocketAddr,
    local: SocketAddr,
    now: Instant,
    lines: LineBuffer,
    out: BytesMut,
    scratch: BytesMut,
    events: VecDeque<ServerEvent>,
    closed: bool,

    login: Login,
    failed_logins: u32,
    cwd: VirtualPath,
    representation: Representation,
    tls: Tls,
    /// `CCC` cleared the control connection: `PBSZ`/`PROT` are refused
    /// until a new `AUTH TLS` (or `REIN`).
    control_cleared: bool,
    pbsz: bool,
    protection: DataProtection,
    epsv_all: bool,
    rest: Option<u64>,
    rename_from: Option<VirtualPath>,
    mlst_facts: Facts,
    host: Option<Bytes>,

    setup: Setup,
    transfer: Option<Transfer>,
    wait: Wait,
    held: VecDeque<Held>,
    held_bytes: usize,
    next_request: u64,
    next_data: u64,

    last_activity: Instant,
    login_deadline: Option<Instant>,
    data_deadline: Option<Instant>,
    /// When a transfer let to finish by `shutdown` is aborted.
    grace_deadline: Option<Instant>,
    shutting_down: bool,
}

impl ServerSession {
    /// A session for a new control connection from `peer` to `local`; queues
    /// the `220` greeting.
    #[must_use]
    pub fn new(
        now: Instant,
        config: Arc<ServerConfig>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Self {
        let mut s = Self::blank(now, config, peer, local);
        let greeting = s.config.texts.greeting.clone();
        s.reply(ReplyCode::SERVICE_READY, &greeting);
        s
    }

    /// A session that is not ready yet: queues `120 Service ready in
    /// {minutes} minutes.`; [`service_ready`](Self::service_ready) later
    /// sends `220`. Commands wait until then.
    #[must_use]
    pub fn new_delayed(
        now: Instant,
        config: Arc<ServerConfig>,
        peer: SocketAddr,
        local: SocketAddr,
        minutes: u16,
    ) -> Self {
        let mut s = Self::blank(now, config, peer, local);
        s.reply_fmt(
            ReplyCode::SERVICE_READY_IN,
            format_args!("Service ready in {minutes} minutes."),
        );
        s.wait = Wait::Greeting;
        s
    }

    /// A session that refuses the connection because the server is full:
    /// queues `421` and is closed at once. See [`Self::refuse_because`].
    #[must_use]
    pub fn refuse(
        now: Instant,
        config: Arc<ServerConfig>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Self {
        Self::refuse_because(now, config, peer, local, Refusal::TooManyConnections)
    }

    /// A session that refuses the connection for `why`: queues `421` with a
    /// text that says why, and is closed at once.
    #[must_use]
    pub fn refuse_because(
        now: Instant,
        config: Arc<ServerConfig>,
        peer: SocketAddr,
        local: SocketAddr,
        why: Refusal,
    ) -> Self {
        let mut s = Self::blank(now, config, peer, local);
        let text: &[u8] = match why {
            Refusal::TooManyConnections => b"Too many connections, try again later.",
            Refusal::TooManyFromAddress => {
                b"Too many connections from your address, try again later."
            }
            Refusal::TooManyFailedLogins => {
                b"Too many failed logins from your address, try again later."
            }
            Refusal::ShuttingDown => b"Server shutting down.",
        };
        s.reply(ReplyCode::SERVICE_NOT_AVAILABLE, text);
        s.close(CloseReason::Refused);
        s
    }

    fn blank(now: Instant, config: Arc<ServerConfig>, peer: SocketAddr, local: SocketAddr) -> Self {
        let limits = config.limits;
        let lines = LineBuffer::new(
            LineConfig::default()
                .with_max_line_len(limits.max_line_len.max(16))
                .with_accept_bare_lf(true)
                .with_decode_telnet(true),
        );
        let implicit = config.implicit_tls;
        let mlst_facts = Facts::DEFAULT.intersection(config.features.mlst_facts);
        let login_deadline = config.timeouts.login.map(|d| now + d);
        Self {
            peer,
            local,
            now,
            lines,
            out: BytesMut::with_capacity(1024),
            scratch: BytesMut::with_capacity(256),
            events: VecDeque::new(),
            closed: false,
            login: Login::NeedUser,
            failed_logins: 0,
            cwd: VirtualPath::root(),
            representation: Representation::Ascii,
            tls: if implicit { Tls::Secured } else { Tls::Plain },
            control_cleared: false,
            pbsz: false,
            protection: if implicit {
                DataProtection::Private
            } else {
                DataProtection::Clear
            },
            epsv_all: false,
            rest: None,
            rename_from: None,
            mlst_facts,
            host: None,
            setup: Setup::None,
            transfer: None,
            wait: Wait::None,
            held: VecDeque::new(),
            held_bytes: 0,
            next_request: 0,
            next_data: 0,
            last_activity: now,
            login_deadline,
            data_deadline: None,
            grace_deadline: None,
            shutting_down: false,
            config,
        }
    }

    // ------------------------------------------------------------------
    // Getters
    // ------------------------------------------------------------------

    /// The current directory.
    #[must_use]
    pub fn cwd(&self) -> &VirtualPath {
        &self.cwd
    }

    /// The logged-in user's name, if logged in.
    #[must_use]
    pub fn user(&self) -> Option<&[u8]> {
        match &self.login {
            Login::LoggedIn { user } => Some(user),
            _ => None,
        }
    }

    /// Whether a user is logged in.
    #[must_use]
    pub fn is_logged_in(&self) -> bool {
        matches!(self.login, Login::LoggedIn { .. })
    }

    /// Whether the control connection is under TLS.
    #[must_use]
    pub fn is_secured(&self) -> bool {
        self.tls == Tls::Secured
    }

    /// Whether `CCC` cleared TLS from the control connection (data
    /// connections keep the protection level in force then).
    #[must_use]
    pub fn is_control_cleared(&self) -> bool {
        self.control_cleared
    }

    /// The `HOST` the client asked for, if any (RFC 7151).
    #[must_use]
    pub fn host(&self) -> Option<&[u8]> {
        self.host.as_deref()
    }

    /// The client's control address.
    #[must_use]
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The server's control address.
    #[must_use]
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The id of the outstanding request, if one is outstanding.
    #[must_use]
    pub fn pending_request(&self) -> Option<RequestId> {
        match self.wait {
            Wait::Request { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Bytes queued for `poll_transmit`.
    #[must_use]
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Input bytes buffered or held back (bounded by the limits).
    #[must_use]
    pub fn buffered_input(&self) -> usize {
        self.lines.buffered_len() + self.held_bytes
    }

    // ------------------------------------------------------------------
    // Answers
    // ------------------------------------------------------------------

    /// `120` was sent by [`new_delayed`](Self::new_delayed): the service is
    /// ready now; sends `220` and starts reading commands.
    pub fn service_ready(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open(())?;
        if self.wait != Wait::Greeting {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        self.now = now;
        self.last_activity = now;
        self.wait = Wait::None;
        let greeting = self.config.texts.greeting.clone();
        self.reply(ReplyCode::SERVICE_READY, &greeting);
        self.pump();
        Ok(())
    }

    /// Answers `request` (moved back in). On a mismatch, an unknown or late
    /// request, or a closed session, both values come back in the error and
    /// nothing changes.
    #[allow(
        clippy::result_large_err,
        reason = "a cold path; returning by value avoids an allocation"
    )]
    pub fn answer(
        &mut self,
        now: Instant,
        request: Request,
        answer: Answer,
    ) -> Result<(), UsageError<(Request, Answer)>> {
        if self.closed {
            return Err(UsageError::new(UsageErrorKind::Closed, (request, answer)));
        }
        if !matches!(self.wait, Wait::Request { id, .. } if id == request.id) {
            return Err(UsageError::new(
                UsageErrorKind::UnknownId,
                (request, answer),
            ));
        }
        if !answer_fits(&request.kind, &answer) {
            return Err(UsageError::new(
                UsageErrorKind::MismatchedAnswer,
                (request, answer),
            ));
        }
        self.now = now;
        self.last_activity = now;
        self.wait = Wait::None;
        self.apply_answer(request.kind, answer);
        self.pump();
        Ok(())
    }

    /// The adapter bound the passive listener of `id` (after
    /// [`DataAction::Listen`]): the engine replies `227`/`229`. `Err(())`
    /// means binding failed (`425`).
    pub fn data_listening(
        &mut self,
        now: Instant,
        id: DataId,
        bound: Result<SocketAddr, ()>,
    ) -> Result<(), UsageError> {
        self.check_open(())?;
        let Wait::Listening {
            id: waiting,
            extended,
        } = self.wait
        else {
            return Err(UsageError::new(UsageErrorKind::UnknownId, ()));
        };
        if waiting != id {
            return Err(UsageError::new(UsageErrorKind::UnknownId, ()));
        }
        self.now = now;
        self.last_activity = now;
        self.wait = Wait::None;
        match bound {
            Ok(addr) => {
                if extended {
                    self.scratch.clear();
                    crate::address::write_epsv_reply(addr.port(), &mut self.scratch);
                    write_reply(
                        &mut self.out,
                        ReplyCode::ENTERING_EXTENDED_PASSIVE,
                        &self.scratch,
                    );
                } else {
                    let Some(ip) = self.passive_ipv4() else {
                        self.events
                            .push_back(ServerEvent::Data(DataAction::Close { id }));
                        self.reply(ReplyCode::CANT_OPEN_DATA, b"No IPv4 address; use EPSV.");
                        self.pump();
                        return Ok(());
                    };
                    self.scratch.clear();
                    crate::address::write_pasv_reply(
                        core::net::SocketAddrV4::new(ip, addr.port()),
                        &mut self.scratch,
                    );
                    write_reply(&mut self.out, ReplyCode::ENTERING_PASSIVE, &self.scratch);
                }
                self.setup = Setup::Passive {
                    id,
                    connected: false,
                };
                self.data_deadline = self.config.timeouts.passive_accept.map(|d| now + d);
            }
            Err(()) => {
                self.reply(
                    ReplyCode::CANT_OPEN_DATA,
                    b"Cannot open passive connection.",
                );
            }
        }
        self.pump();
        Ok(())
    }

    /// A data connection of `id` is up: for passive mode the adapter
    /// accepted one from `remote` (the engine checks it is the control
    /// peer's address, else it emits [`DataAction::Close`] and a waiting
    /// transfer gets `425`); for active mode it connected.
    pub fn data_connected(
        &mut self,
        now: Instant,
        id: DataId,
        remote: SocketAddr,
    ) -> Result<(), UsageError> {
        self.check_open(())?;
        self.now = now;
        let foreign = !self.config.security.allow_foreign_passive
            && remote.ip().to_canonical() != self.peer.ip().to_canonical();
        if let Some(t) = self.transfer.as_mut().filter(|t| t.id == id) {
            if t.connected {
                return Err(UsageError::new(UsageErrorKind::WrongState, ()));
            }
            if foreign && t.passive {
                // Active transfers connect to an address checked at PORT time.
                t.failed_connect = true;
                let upload = t.upload;
                self.events.push_back(ServerEvent::Abort {
                    id,
                    incomplete_upload: upload,
                });
                self.data_deadline = None;
                return Ok(());
            }
            t.connected = true;
            self.data_deadline = None;
            return Ok(());
        }
        match self.setup {
            Setup::Passive {
                id: sid,
                connected: false,
            } if sid == id => {
                if foreign {
                    self.events
                        .push_back(ServerEvent::Data(DataAction::Close { id }));
                    self.setup = Setup::None;
                } else {
                    self.setup = Setup::Passive {
                        id,
                        connected: true,
                    };
                }
                self.data_deadline = None;
                Ok(())
            }
            _ => Err(UsageError::new(UsageErrorKind::UnknownId, ())),
        }
    }

    /// The TLS handshake on the data connection of the running transfer
    /// `id` finished (`PROT P`); `resumed` says whether it resumed the
    /// control connection's TLS session. `Ok(true)`: go on with the
    /// transfer. `Ok(false)`: the session refuses it
    /// ([`ServerConfig::require_tls_session_reuse`](super::ServerConfig::require_tls_session_reuse)):
    /// close the data connection without moving bytes and report
    /// [`transfer_done`](Self::transfer_done) (any outcome); the reply is `522`.
    pub fn data_secured(
        &mut self,
        now: Instant,
        id: DataId,
        resumed: bool,
    ) -> Result<bool, UsageError> {
        self.check_open(())?;
        let require = self.config.require_tls_session_reuse;
        let Some(t) = self.transfer.as_mut().filter(|t| t.id == id) else {
            return Err(UsageError::new(UsageErrorKind::UnknownId, ()));
        };
        self.now = now;
        if require && !resumed {
            t.tls_refused = true;
            return Ok(false);
        }
        Ok(true)
    }

    /// Reports how many bytes the transfer on `id` has moved so far (shown by
    /// `STAT` during the transfer). Optional.
    pub fn transfer_progress(&mut self, id: DataId, bytes: u64) -> Result<(), UsageError> {
        self.check_open(())?;
        match self.transfer.as_mut() {
            Some(t) if t.id == id => {
                t.progress = bytes;
                Ok(())
            }
            _ => Err(UsageError::new(UsageErrorKind::UnknownId, ())),
        }
    }

    /// The transfer on `id` ended; the engine sends its final reply (and
    /// the replies of an ABOR or QUIT that waited for it).
    pub fn transfer_done(
        &mut self,
        now: Instant,
        id: DataId,
        outcome: TransferOutcome,
    ) -> Result<(), UsageError<TransferOutcome>> {
        if self.closed {
            return Err(UsageError::new(UsageErrorKind::Closed, outcome));
        }
        let Some(t) = self.transfer.filter(|t| t.id == id) else {
            return Err(UsageError::new(UsageErrorKind::UnknownId, outcome));
        };
        self.now = now;
        self.last_activity = now;
        self.transfer = None;
        self.data_deadline = None;
        self.finish_transfer(t, outcome);
        self.pump();
        Ok(())
    }

    /// The TLS handshake after [`ServerEvent::UpgradeTls`] succeeded: the
    /// session continues secured, with an empty input buffer.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open(())?;
        if self.tls != Tls::Handshake {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        self.now = now;
        self.last_activity = now;
        self.tls = Tls::Secured;
        self.control_cleared = false;
        self.pbsz = false;
        self.protection = DataProtection::Clear;
        self.lines.discard_buffered();
        self.pump();
        Ok(())
    }

    /// TLS was shut down on the control connection after
    /// [`ServerEvent::DowngradeTls`] (both `close_notify`s exchanged, TCP
    /// still open): the session goes on in clear text, with an empty input
    /// buffer. After `CCC` data connections keep the protection level in
    /// force and `PBSZ`/`PROT` are refused; after `REIN` the session is back
    /// to its state at connection time (`PROT C`, no `PBSZ`).
    pub fn tls_cleared(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open(())?;
        let Tls::Clearing { rein } = self.tls else {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        };
        self.now = now;
        self.last_activity = now;
        self.tls = Tls::Plain;
        if rein {
            self.control_cleared = false;
            self.pbsz = false;
            self.protection = DataProtection::Clear;
        } else {
            self.control_cleared = true;
        }
        self.lines.discard_buffered();
        self.pump();
        Ok(())
    }

    /// The TLS handshake after [`ServerEvent::UpgradeTls`], or the TLS
    /// shutdown after [`ServerEvent::DowngradeTls`], failed: the session
    /// closes (nothing more can be sent safely on the connection).
    pub fn tls_failed(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open(())?;
        if !matches!(self.tls, Tls::Handshake | Tls::Clearing { .. }) {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        self.now = now;
        self.close(CloseReason::TlsFailed);
        Ok(())
    }

    /// Ends the session: `421` to the client, then close. A running transfer
    /// is aborted (`426` first) or, with
    /// [`ShutdownPolicy::LetTransfersFinish`], allowed to finish first (call
    /// `shutdown` again to abort it when the grace period is over).
    pub fn shutdown(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.now = now;
        if let Some(t) = self.transfer.as_mut() {
            if self.config.shutdown_policy == ShutdownPolicy::LetTransfersFinish && !t.shutdown {
                t.shutdown = true;
                self.shutting_down = true;
                self.grace_deadline = self.config.timeouts.shutdown_grace.map(|d| now + d);
                return;
            }
            let t = *t;
            self.abort_running(t);
        }
        self.grace_deadline = None;
        self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Server shutting down.");
        self.close(CloseReason::Shutdown);
    }

    // ------------------------------------------------------------------
    // Internals: plumbing
    // ------------------------------------------------------------------

    fn check_open<T>(&self, value: T) -> Result<T, UsageError<T>> {
        if self.closed {
            Err(UsageError::new(UsageErrorKind::Closed, value))
        } else {
            Ok(value)
        }
    }

    fn reply(&mut self, code: ReplyCode, text: &[u8]) {
        write_reply(&mut self.out, code, text);
    }

    fn reply_fmt(&mut self, code: ReplyCode, args: core::fmt::Arguments<'_>) {
        self.scratch.clear();
        let _ = self.scratch.write_fmt(args);
        write_reply(&mut self.out, code, &self.scratch);
    }

    fn close(&mut self, reason: CloseReason) {
        if self.closed {
            return;
        }
        if let Some(t) = self.transfer.take() {
            self.events.push_back(ServerEvent::Abort {
                id: t.id,
                incomplete_upload: t.upload,
            });
        }
        if let Some(id) = self.setup.id() {
            self.events
                .push_back(ServerEvent::Data(DataAction::Close { id }));
        }
        if let Wait::Listening { id, .. } = self.wait {
            self.events
                .push_back(ServerEvent::Data(DataAction::Close { id }));
        }
        self.setup = Setup::None;
        self.wait = Wait::None;
        self.closed = true;
        self.lines.discard_buffered();
        self.held.clear();
        self.held_bytes = 0;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    fn drop_setup(&mut self) {
        if let Some(id) = self.setup.id() {
            self.events
                .push_back(ServerEvent::Data(DataAction::Close { id }));
        }
        self.setup = Setup::None;
        self.data_deadline = None;
    }

    /// The embedder left a request unanswered for `Timeouts::answer`: the
    /// command fails as if the storage had failed (`451` where the command
    /// allows it, else `550`), and the session goes on; a login that nobody
    /// checks ends the session with `421`, as an unavailable authenticator
    /// does. A late answer is refused with `UnknownId`.
    fn answer_timed_out(&mut self, verb: Verb) {
        self.wait = Wait::None;
        if matches!(verb, Verb::Pass | Verb::Acct) {
            self.reply(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                b"Login check timed out; closing.",
            );
            self.close(CloseReason::AnswerTimeout);
            return;
        }
        let (code, text) = replies::fs_error(verb, super::FsError::LocalError);
        self.reply(code, text);
    }

    fn new_request(&mut self, kind: RequestKind) {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.wait = Wait::Request {
            id,
            verb: verb_of(&kind),
            since: self.now,
        };
        self.events
            .push_back(ServerEvent::Request(Request { id, kind }));
    }

    fn new_data_id(&mut self) -> DataId {
        let id = DataId::new(self.next_data);
        self.next_data += 1;
        id
    }

    fn passive_ipv4(&self) -> Option<core::net::Ipv4Addr> {
        let ip = self.config.masquerade_address.unwrap_or(self.local.ip());
        match ip.to_canonical() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        }
    }

    fn can_read(&self) -> bool {
        !self.closed && self.wait == Wait::None && !self.tls.switching() && !self.shutting_down
    }

    fn limits_reached(&self) -> bool {
        let l = &self.config.limits;
        self.held.len() >= l.max_pipelined_lines
            || self.held_bytes >= l.max_pipelined_bytes.max(l.max_line_len)
    }

    /// Reads and runs commands for as long as the state allows.
    fn pump(&mut self) {
        while self.can_read() {
            if self.transfer.is_some() {
                if self.limits_reached() {
                    break;
                }
                let Some(next) = self.lines.next_line() else {
                    break;
                };
                let held = match next {
                    Err(_) => Held::TooLong,
                    Ok(line) => Held::Line(line.into_bytes()),
                };
                let abor_pending = self.transfer.is_some_and(|t| t.abor);
                match held {
                    Held::Line(bytes) if is_urgent(&bytes, abor_pending) => {
                        self.run_line(Ok(&bytes));
                    }
                    Held::Line(bytes) if is_blank(&bytes) => {}
                    Held::Line(bytes) => {
                        self.held_bytes += bytes.len() + 2;
                        self.held.push_back(Held::Line(bytes));
                    }
                    Held::TooLong => {
                        self.held_bytes += 2;
                        self.held.push_back(Held::TooLong);
                    }
                }
                continue;
            }
            if let Some(held) = self.held.pop_front() {
                match held {
                    Held::Line(bytes) => {
                        self.held_bytes = self.held_bytes.saturating_sub(bytes.len() + 2);
                        self.run_line(Ok(&bytes));
                    }
                    Held::TooLong => {
                        self.held_bytes = self.held_bytes.saturating_sub(2);
                        self.run_line(Err(()));
                    }
                }
                continue;
            }
            // The common path: parse in place, take owned bytes only when the
            // command has an argument.
            let parsed = {
                let Some(next) = self.lines.next_line() else {
                    break;
                };
                match next {
                    Err(LineError::TooLong | _) => Err(None),
                    Ok(line) if is_blank(line.text()) => continue,
                    Ok(line) => {
                        let text = line.text();
                        match Command::parse(text) {
                            Err(e) => Err(Some(e)),
                            Ok(cmd) => {
                                let mut has_args = false;
                                let spans = cmd.to_spans(text);
                                let _ = spans.clone().map(|_| has_args = true);
                                let bytes = if has_args {
                                    line.into_bytes()
                                } else {
                                    Bytes::new()
                                };
                                Ok((spans, bytes))
                            }
                        }
                    }
                }
            };
            match parsed {
                Ok((spans, bytes)) => {
                    let cmd = spans.resolve(&bytes);
                    self.run_command(cmd);
                }
                Err(None) => self.run_line(Err(())),
                Err(Some(e)) => self.run_parse_error(e),
            }
        }
    }

    /// Runs one whole line (`Err` = too long).
    fn run_line(&mut self, line: Result<&Bytes, ()>) {
        let Ok(bytes) = line else {
            self.touch();
            self.rest = None;
            self.rename_from = None;
            self.reply(ReplyCode::SYNTAX_ERROR, b"Command line too long.");
            return;
        };
        if is_blank(bytes) {
            return;
        }
        match Command::parse(bytes) {
            Ok(cmd) => {
                let cmd = cmd.to_spans(bytes).resolve(bytes);
                self.run_command(cmd);
            }
            Err(e) => self.run_parse_error(e),
        }
    }

    fn touch(&mut self) {
        self.last_activity = self.now;
    }

    fn run_parse_error(&mut self, e: ParseError) {
        if e == ParseError::Empty {
            return; // NAT devices inject empty lines: no reply.
        }
        self.touch();
        self.rest = None;
        self.rename_from = None;
        let (code, text): (ReplyCode, &[u8]) = match e {
            ParseError::UnknownVerb => (ReplyCode::SYNTAX_ERROR, b"Unknown command."),
            ParseError::MissingArgument => (ReplyCode::SYNTAX_ERROR_ARGS, b"Missing argument."),
            ParseError::UnexpectedArgument => (
                ReplyCode::SYNTAX_ERROR_ARGS,
                b"This command takes no argument.",
            ),
            ParseError::UnsupportedParameter => (
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAM,
                b"Parameter not supported.",
            ),
            ParseError::UnsupportedProtocol => (
                ReplyCode::PROTOCOL_NOT_SUPPORTED,
                replies::supported_families(self.local),
            ),
            _ => (ReplyCode::SYNTAX_ERROR_ARGS, b"Syntax error in arguments."),
        };
        self.reply(code, text);
    }

    // ------------------------------------------------------------------
    // Commands
    // ------------------------------------------------------------------

    fn run_command(&mut self, cmd: Command<Bytes>) {
        use Command as C;
        self.touch();
        let rest = self.rest.take();
        if keeps_rest(&cmd) {
            self.rest = rest;
        }
        let rename_from = self.rename_from.take();

        if !self.is_logged_in() && !allowed_before_login(&cmd) {
            self.reply(
                ReplyCode::NOT_LOGGED_IN,
                b"Please login with USER and PASS.",
            );
            return;
        }

        match cmd {
            C::User(user) => self.cmd_user(user),
            C::Pass(pass) => self.cmd_pass(pass),
            C::Acct(acct) => self.cmd_acct(acct),
            C::Cwd(path) | C::Xcwd(path) => {
                if let Some(path) = self.resolve(&path, Verb::Cwd) {
                    self.new_request(RequestKind::ChangeDir { path });
                }
            }
            C::Cdup | C::Xcup => {
                let path = self.cwd.parent().unwrap_or_else(VirtualPath::root);
                self.new_request(RequestKind::ChangeDir { path });
            }
            C::Smnt(_) => self.reply(ReplyCode::NOT_IMPLEMENTED, b"SMNT not implemented."),
            C::Rein => self.cmd_rein(),
            C::Quit => self.cmd_quit(),
            C::Port(addr) => self.cmd_active(SocketAddr::V4(addr)),
            C::Eprt(addr) => self.cmd_active(addr),
            C::Pasv => self.cmd_pasv(),
            C::Epsv(arg) => self.cmd_epsv(arg),
            C::Lprt(_) | C::Lpsv => {
                self.reply(ReplyCode::NOT_IMPLEMENTED, b"Use EPRT or EPSV.");
            }
            C::Type(t) => self.cmd_type(t),
            C::Stru(s) => match s {
                FileStructure::File => self.reply(ReplyCode::COMMAND_OK, b"Structure set to F."),
                _ => self.reply(
                    ReplyCode::NOT_IMPLEMENTED_FOR_PARAM,
                    b"Only file structure is supported.",
                ),
            },
            C::Mode(m) => match m {
                TransferMode::Stream => self.reply(ReplyCode::COMMAND_OK, b"Mode set to S."),
                _ => self.reply(
                    ReplyCode::NOT_IMPLEMENTED_FOR_PARAM,
                    b"Only stream mode is supported.",
                ),
            },
            C::Retr(path) => {
                if let Some(path) = self.transfer_path(&path, Verb::Retr) {
                    self.new_request(RequestKind::Retrieve {
                        path,
                        offset: rest.unwrap_or(0),
                        representation: self.representation,
                    });
                }
            }
            C::Stor(path) => {
                if let Some(path) = self.transfer_path(&path, Verb::Stor) {
                    self.new_request(RequestKind::Store {
                        path,
                        offset: rest.unwrap_or(0),
                        representation: self.representation,
                    });
                }
            }
            C::Appe(path) => {
                if let Some(path) = self.transfer_path(&path, Verb::Appe) {
                    let representation = self.representation;
                    // RFC 3659 §5.3: APPE after REST behaves like STOR at the offset.
                    self.new_request(match rest {
                        Some(offset) if offset > 0 => RequestKind::Store {
                            path,
                            offset,
                            representation,
                        },
                        _ => RequestKind::Append {
                            path,
                            representation,
                        },
                    });
                }
            }
            C::Stou(hint) => {
                if self.transfer_ready(Verb::Stou) {
                    if let Some(h) = &hint
                        && (memchr::memchr3(0, b'\r', b'\n', h).is_some() || h.contains(&b'/'))
                    {
                        self.reply(ReplyCode::FILE_NAME_NOT_ALLOWED, b"File name not allowed.");
                        return;
                    }
                    self.new_request(RequestKind::StoreUnique {
                        dir: self.cwd.clone(),
                        hint,
                        representation: self.representation,
                    });
                }
            }
            C::Allo(_) => self.reply(ReplyCode::SUPERFLUOUS, b"No storage allocation necessary."),
            C::Rest(offset) => {
                if !self.config.features.rest_stream {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"REST not implemented.");
                } else {
                    self.rest = (offset > 0).then_some(offset);
                    self.reply_fmt(
                        ReplyCode::PENDING_FURTHER_INFO,
                        format_args!("Restarting at {offset}. Send RETR or STOR."),
                    );
                }
            }
            C::Rnfr(path) => {
                if let Some(path) = self.resolve(&path, Verb::Rnfr) {
                    self.new_request(RequestKind::RenameFrom { path });
                }
            }
            C::Rnto(path) => match rename_from {
                None => self.reply(ReplyCode::BAD_SEQUENCE, b"RNFR required first."),
                Some(from) => {
                    if let Some(to) = self.resolve(&path, Verb::Rnto) {
                        self.new_request(RequestKind::Rename { from, to });
                    }
                }
            },
            C::Abor => self.cmd_abor(),
            C::Dele(path) => {
                if let Some(path) = self.resolve(&path, Verb::Dele) {
                    self.new_request(RequestKind::Delete { path });
                }
            }
            C::Rmd(path) | C::Xrmd(path) => {
                if let Some(path) = self.resolve(&path, Verb::Rmd) {
                    self.new_request(RequestKind::RemoveDir { path });
                }
            }
            C::Mkd(path) | C::Xmkd(path) => {
                if let Some(path) = self.resolve(&path, Verb::Mkd) {
                    self.new_request(RequestKind::MakeDir { path });
                }
            }
            C::Pwd | C::Xpwd => {
                self.scratch.clear();
                quote_for_257(&self.cwd, &mut self.scratch);
                self.scratch
                    .extend_from_slice(b" is the current directory.");
                write_reply(&mut self.out, ReplyCode::PATH_CREATED, &self.scratch);
            }
            C::List(path) => self.cmd_list(path, ListFormat::Long, Verb::List),
            C::Nlst(path) => self.cmd_list(path, ListFormat::Names, Verb::Nlst),
            C::Mlsd(path) => {
                if self.config.features.mlst {
                    self.cmd_list(path, ListFormat::Machine, Verb::Mlsd);
                } else {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"MLSD not implemented.");
                }
            }
            C::Mlst(path) => {
                if !self.config.features.mlst {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"MLST not implemented.");
                } else if let Some(path) = self.resolve_opt(path.as_ref(), Verb::Mlst) {
                    self.new_request(RequestKind::MachineListOne { path });
                }
            }
            C::Site(command) => {
                if self.config.features.site {
                    self.new_request(RequestKind::Site { command });
                } else {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"SITE not implemented.");
                }
            }
            C::Syst => {
                let text = self.config.texts.system_type.clone();
                self.reply(ReplyCode::SYSTEM_TYPE, &text);
            }
            C::Stat(None) => self.cmd_stat(),
            C::Stat(Some(path)) => {
                if let Some(path) = self.resolve(&path, Verb::Stat) {
                    self.new_request(RequestKind::Stat { path });
                }
            }
            C::Help(arg) => replies::write_help(&mut self.out, arg.as_deref()),
            C::Noop => self.reply(ReplyCode::COMMAND_OK, b"NOOP ok."),
            C::Auth(mech) => self.cmd_auth(&mech),
            C::Pbsz(_) => {
                if self.control_cleared {
                    self.reply(
                        ReplyCode::BAD_SEQUENCE,
                        b"PBSZ not accepted after CCC; data protection stays as set.",
                    );
                } else if self.tls != Tls::Secured {
                    self.reply(ReplyCode::BAD_SEQUENCE, b"PBSZ needs AUTH TLS first.");
                } else {
                    self.pbsz = true;
                    self.reply(ReplyCode::COMMAND_OK, b"PBSZ=0");
                }
            }
            C::Prot(level) => self.cmd_prot(level),
            C::Ccc => self.cmd_ccc(),
            // RFC 2228: ADAT only follows an AUTH answered 334, which TLS never is.
            C::Adat(_) => self.reply(
                ReplyCode::BAD_SEQUENCE,
                b"ADAT needs AUTH with a 334 reply first.",
            ),
            C::Mic(_) | C::Conf(_) | C::Enc(_) => {
                self.reply(ReplyCode::NOT_IMPLEMENTED, b"Only AUTH TLS is supported.");
            }
            C::Feat => {
                let selected = self.mlst_facts;
                replies::write_feat(&mut self.out, &self.config, selected);
            }
            C::Opts(arg) => self.cmd_opts(arg),
            C::Size(path) => {
                if !self.config.features.size {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"SIZE not implemented.");
                } else if let Some(path) = self.resolve(&path, Verb::Size) {
                    self.new_request(RequestKind::Size {
                        path,
                        representation: self.representation,
                    });
                }
            }
            C::Mdtm(path) => {
                if !self.config.features.mdtm {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"MDTM not implemented.");
                } else if let Some(path) = self.resolve(&path, Verb::Mdtm) {
                    self.new_request(RequestKind::ModifiedTime { path });
                }
            }
            C::Mfmt { time, path } => {
                if !self.config.features.mfmt {
                    self.reply(ReplyCode::NOT_IMPLEMENTED, b"MFMT not implemented.");
                } else if let Some(path) = self.resolve(&path, Verb::Mfmt) {
                    self.new_request(RequestKind::SetModifiedTime { path, time });
                }
            }
            C::Lang(_) => self.reply(ReplyCode::NOT_IMPLEMENTED, b"LANG not implemented."),
            C::Host(name) => self.cmd_host(name),
            C::Clnt(_) => self.reply(ReplyCode::COMMAND_OK, b"Noted."),
            _ => self.reply(ReplyCode::NOT_IMPLEMENTED, b"Command not implemented."),
        }
    }

    /// Resolves a path argument; replies `553`/`501` and returns `None` when refused.
    fn resolve(&mut self, arg: &Bytes, verb: Verb) -> Option<VirtualPath> {
        match self.cwd.join_bytes(arg) {
            Ok(p) => Some(p),
            Err(_) => {
                let code = if replies::allows(verb, 553) {
                    ReplyCode::FILE_NAME_NOT_ALLOWED
                } else {
                    ReplyCode::SYNTAX_ERROR_ARGS
                };
                self.reply(code, b"File name not allowed.");
                None
            }
        }
    }

    fn resolve_opt(&mut self, arg: Option<&Bytes>, verb: Verb) -> Option<VirtualPath> {
        match arg {
            None => Some(self.cwd.clone()),
            Some(a) => self.resolve(a, verb),
        }
    }

    /// Checks the data-connection preconditions of a transfer command;
    /// replies and returns `false` when they fail.
    fn transfer_ready(&mut self, verb: Verb) -> bool {
        let _ = verb;
        if self.config.tls.data_required() && self.protection != DataProtection::Private {
            self.reply(
                ReplyCode::DATA_PROT_REFUSED,
                b"Data protection level P required (PROT P).",
            );
            return false;
        }
        if matches!(self.setup, Setup::None) {
            self.reply(
                ReplyCode::CANT_OPEN_DATA,
                b"Use PORT, EPRT, PASV or EPSV first.",
            );
            return false;
        }
        true
    }

    fn transfer_path(&mut self, arg: &Bytes, verb: Verb) -> Option<VirtualPath> {
        let path = self.resolve(arg, verb)?;
        self.transfer_ready(verb).then_some(path)
    }

    fn cmd_list(&mut self, arg: Option<Bytes>, format: ListFormat, verb: Verb) {
        let Some(path) = self.resolve_opt(arg.as_ref(), verb) else {
            return;
        };
        if self.transfer_ready(verb) {
            self.new_request(RequestKind::List { path, format });
        }
    }

    fn cmd_user(&mut self, user: Bytes) {
        if self.config.tls.login_required() && self.tls != Tls::Secured {
            self.reply(
                ReplyCode::NOT_LOGGED_IN,
                b"TLS required: send AUTH TLS first.",
            );
            return;
        }
        // A copy: the parsed name is a slice of the input buffer, and the
        // session keeps the name for its whole life; the slice would pin
        // the whole read buffer (a few KiB per idle session).
        let user = Bytes::copy_from_slice(&user);
        self.login = Login::NeedPass { user };
        if self.login_deadline.is_none() {
            self.login_deadline = self.config.timeouts.login.map(|d| self.now + d);
        }
        // RFC 2577 §7: the same answer for every name.
        self.reply(ReplyCode::NEED_PASSWORD, b"Password required.");
    }

    fn cmd_pass(&mut self, pass: Bytes) {
        match &self.login {
            Login::NeedPass { user } => {
                let user = user.clone();
                let anonymous = is_anonymous(&user);
                if anonymous && !self.config.security.allow_anonymous {
                    self.login = Login::NeedUser;
                    self.login_failed(None);
                    return;
                }
                self.login = Login::NeedUser;
                self.new_request(RequestKind::Login {
                    user,
                    password: crate::Secret::new(pass),
                    anonymous,
                });
            }
            Login::LoggedIn { .. } => self.reply(ReplyCode::BAD_SEQUENCE, b"Already logged in."),
            Login::NeedUser | Login::NeedAcct { .. } => {
                self.reply(ReplyCode::BAD_SEQUENCE, b"Login with USER first.");
            }
        }
    }

    fn cmd_acct(&mut self, account: Bytes) {
        match &self.login {
            Login::NeedAcct { user } => {
                let user = user.clone();
                self.login = Login::NeedUser;
                self.new_request(RequestKind::Account { user, account });
            }
            Login::LoggedIn { .. } => self.reply(ReplyCode::SUPERFLUOUS, b"ACCT not needed."),
            _ => self.reply(ReplyCode::BAD_SEQUENCE, b"Login with USER first."),
        }
    }

    /// A failed login: count it, then `530` (after the delay), or `421` and
    /// close at the limit. `raw` replaces the `530`.
    fn login_failed(&mut self, raw: Option<crate::reply::Reply>) {
        self.failed_logins = self.failed_logins.saturating_add(1);
        let last = self.failed_logins >= self.config.limits.max_login_attempts.max(1);
        if let Some(r) = raw {
            r.encode(&mut self.out);
            if last {
                self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Too many failed logins.");
                self.close(CloseReason::TooManyFailedLogins);
            }
            return;
        }
        match self.config.timeouts.failed_login_delay {
            Some(d) if !d.is_zero() => {
                self.wait = Wait::LoginDelay {
                    until: self.now + d,
                    last,
                };
            }
            _ => self.login_failure_reply(last),
        }
    }

    fn login_failure_reply(&mut self, last: bool) {
        if last {
            self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Too many failed logins.");
            self.close(CloseReason::TooManyFailedLogins);
        } else {
            self.reply(ReplyCode::NOT_LOGGED_IN, b"Login incorrect.");
        }
    }

    fn cmd_rein(&mut self) {
        self.drop_setup();
        self.login = Login::NeedUser;
        self.cwd = VirtualPath::root();
        self.representation = Representation::Ascii;
        self.epsv_all = false;
        self.rest = None;
        self.rename_from = None;
        self.host = None;
        self.mlst_facts = Facts::DEFAULT.intersection(self.config.features.mlst_facts);
        self.login_deadline = self.config.timeouts.login.map(|d| self.now + d);
        self.reply(
            ReplyCode::SERVICE_READY,
            b"Session reset; ready for a new user.",
        );
        self.control_cleared = false;
        if self.config.implicit_tls {
            // Implicit FTPS: TLS is the connection's start state; REIN
            // keeps it and goes back to `PROT P`.
            self.pbsz = false;
            self.protection = DataProtection::Private;
        } else if self.tls == Tls::Secured {
            // RFC 4217 §13: the reply goes under TLS, then TLS is removed
            // from control and data (`tls_cleared` resets PBSZ/PROT).
            self.begin_downgrade(true);
        } else {
            self.pbsz = false;
            self.protection = DataProtection::Clear;
        }
    }

    fn cmd_quit(&mut self) {
        if let Some(t) = self.transfer.as_mut() {
            t.quit = true;
            if self.config.quit_policy == QuitPolicy::AbortTransfer {
                let t = *t;
                self.request_abort(t);
            }
            // The reply comes after the transfer's (RFC 959 §4.1.1).
            self.shutting_down = true;
            return;
        }
        self.reply(ReplyCode::CLOSING_CONTROL, b"Goodbye.");
        self.close(CloseReason::Quit);
    }

    fn cmd_abor(&mut self) {
        if let Some(t) = self.transfer.as_mut() {
            t.abor = true;
            let t = *t;
            self.request_abort(t);
            return;
        }
        let had_setup = !matches!(self.setup, Setup::None);
        self.drop_setup();
        if had_setup {
            self.reply(
                ReplyCode::CLOSING_DATA,
                b"Data connection closed; no transfer to abort.",
            );
        } else {
            self.reply(ReplyCode::CLOSING_DATA, b"No transfer to abort.");
        }
    }

    /// Tells the adapter to stop; the replies follow its `transfer_done`.
    fn request_abort(&mut self, t: Transfer) {
        self.events.push_back(ServerEvent::Abort {
            id: t.id,
            incomplete_upload: false,
        });
    }

    /// Aborts at once without waiting for the adapter (shutdown).
    fn abort_running(&mut self, t: Transfer) {
        self.transfer = None;
        self.events.push_back(ServerEvent::Abort {
            id: t.id,
            incomplete_upload: t.upload,
        });
        self.reply(
            ReplyCode::TRANSFER_ABORTED,
            b"Transfer aborted: server shutting down.",
        );
        if t.abor {
            self.reply(ReplyCode::CLOSING_DATA, b"ABOR successful.");
        }
    }

    fn finish_transfer(&mut self, t: Transfer, outcome: TransferOutcome) {
        let (code, text): (ReplyCode, &[u8]) = if t.tls_refused {
            (
                ReplyCode::PROTOCOL_NOT_SUPPORTED,
                b"TLS session resumption required on the data connection.",
            )
        } else if t.failed_connect {
            (
                ReplyCode::CANT_OPEN_DATA,
                b"Data connection refused or timed out.",
            )
        } else {
            match outcome {
                TransferOutcome::Complete { .. } => {
                    (ReplyCode::CLOSING_DATA, b"Transfer complete.")
                }
                TransferOutcome::ConnectionLost => (
                    ReplyCode::TRANSFER_ABORTED,
                    b"Connection closed; transfer aborted.",
                ),
                TransferOutcome::Aborted => (ReplyCode::TRANSFER_ABORTED, b"Transfer aborted."),
                TransferOutcome::NeverConnected => {
                    (ReplyCode::CANT_OPEN_DATA, b"Can't open data connection.")
                }
                TransferOutcome::StorageFull if t.upload => {
                    (ReplyCode::EXCEEDED_STORAGE, b"Storage full.")
                }
                TransferOutcome::LocalError | TransferOutcome::StorageFull => {
                    (ReplyCode::LOCAL_ERROR, b"Local error in processing.")
                }
                TransferOutcome::TlsFailed => (
                    ReplyCode::PROTOCOL_NOT_SUPPORTED,
                    b"TLS negotiation on the data connection failed.",
                ),
            }
        };
        let (code, text) = if t.abor
            && code != ReplyCode::TRANSFER_ABORTED
            && !matches!(outcome, TransferOutcome::Complete { .. })
        {
            // The client's ABOR stopped it, whatever the adapter saw (a data
            // connection that never came included): RFC 959 §4.1.3 answers
            // an aborted transfer with 426, and clients such as Python's
            // ftplib refuse any other first reply to ABOR.
            (ReplyCode::TRANSFER_ABORTED, &b"Transfer aborted."[..])
        } else {
            (code, text)
        };
        let _ = t.verb;
        self.reply(code, text);
        if t.abor {
            self.reply(ReplyCode::CLOSING_DATA, b"ABOR successful.");
        }
        if t.quit {
            self.reply(ReplyCode::CLOSING_CONTROL, b"Goodbye.");
            self.close(CloseReason::Quit);
        } else if t.shutdown {
            self.grace_deadline = None;
            self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Server shutting down.");
            self.close(CloseReason::Shutdown);
        }
    }

    fn cmd_active(&mut self, addr: SocketAddr) {
        let verb = if addr.is_ipv4() { "PORT" } else { "EPRT" };
        let _ = verb;
        if !self.config.features.active_mode {
            self.reply(
                ReplyCode::NOT_IMPLEMENTED,
                b"Active mode is disabled; use EPSV or PASV.",
            );
            return;
        }
        if self.epsv_all {
            self.reply(
                ReplyCode::SYNTAX_ERROR_ARGS,
                b"Only EPSV is allowed after EPSV ALL.",
            );
            return;
        }
        let sec = self.config.security;
        if !sec.allow_foreign_active && addr.ip().to_canonical() != self.peer.ip().to_canonical() {
            // RFC 2577 §3 suggests 504, which RFC 959 §5.4 does not list for
            // PORT; 501 is in both PORT's and EPRT's lists.
            self.reply(
                ReplyCode::SYNTAX_ERROR_ARGS,
                b"Rejected: data connection to a foreign address.",
            );
            return;
        }
        if !sec.allow_privileged_active_ports && addr.port() < 1024 {
            self.reply(
                ReplyCode::SYNTAX_ERROR_ARGS,
                b"Rejected: privileged data port.",
            );
            return;
        }
        self.drop_setup();
        let id = self.new_data_id();
        self.setup = Setup::Active { id, addr };
        self.reply(ReplyCode::COMMAND_OK, b"Active data connection set.");
    }

    fn cmd_pasv(&mut self) {
        if self.epsv_all {
            self.reply(
                ReplyCode::SYNTAX_ERROR_ARGS,
                b"Only EPSV is allowed after EPSV ALL.",
            );
            return;
        }
        let Some(ip) = self.passive_ipv4() else {
            // Pitfall 12: no IPv4 address to announce on an IPv6 connection.
            self.reply(ReplyCode::CANT_OPEN_DATA, b"PASV needs IPv4; use EPSV.");
            return;
        };
        let _ = ip;
        let bind = self.local.ip().to_canonical();
        self.listen(bind, false);
    }

    fn cmd_epsv(&mut self, arg: EpsvArgument) {
        let local_v6 = matches!(self.local.ip().to_canonical(), IpAddr::V6(_));
        match arg {
            EpsvArgument::All => {
                self.epsv_all = true;
                self.reply(ReplyCode::COMMAND_OK, b"EPSV ALL ok.");
            }
            EpsvArgument::Protocol(p) => {
                let fits = matches!(
                    (p, local_v6),
                    (NetworkProtocol::Ipv4, false) | (NetworkProtocol::Ipv6, true)
                );
                if fits {
                    self.listen(self.local.ip().to_canonical(), true);
                } else {
                    self.reply(
                        ReplyCode::PROTOCOL_NOT_SUPPORTED,
                        replies::supported_families(self.local),
                    );
                }
            }
            EpsvArgument::Default => self.listen(self.local.ip().to_canonical(), true),
        }
    }

    fn listen(&mut self, ip: IpAddr, extended: bool) {
        self.drop_setup();
        let id = self.new_data_id();
        self.wait = Wait::Listening { id, extended };
        self.events
            .push_back(ServerEvent::Data(DataAction::Listen { id, ip }));
    }

    fn cmd_type(&mut self, t: TransferType) {
        match t {
            TransferType::Ascii
            | TransferType::AsciiFormat(TextFormat::NonPrint | TextFormat::Telnet) => {
                self.representation = Representation::Ascii;
                self.reply(ReplyCode::COMMAND_OK, b"Switching to ASCII mode.");
            }
            TransferType::Image | TransferType::Local(8) => {
                self.representation = Representation::Binary;
                self.reply(ReplyCode::COMMAND_OK, b"Switching to Binary mode.");
            }
            _ => self.reply(ReplyCode::NOT_IMPLEMENTED_FOR_PARAM, b"Type not supported."),
        }
    }

    fn cmd_stat(&mut self) {
        self.scratch.clear();
        let s = &mut self.scratch;
        let _ = write!(s, "FTP server status:\n Connected to {}\n", self.peer.ip());
        match &self.login {
            Login::LoggedIn { user } => {
                s.extend_from_slice(b" Logged in as ");
                s.extend_from_slice(user);
                s.extend_from_slice(b"\n");
            }
            _ => s.extend_from_slice(b" Not logged in\n"),
        }
        let _ = write!(
            s,
            " TYPE: {}, STRU: File, MODE: Stream\n Control connection: {}\n",
            match self.representation {
                Representation::Ascii => "ASCII",
                Representation::Binary => "BINARY",
            },
            if self.tls == Tls::Secured {
                "TLS"
            } else {
                "plain text"
            }
        );
        match (&self.transfer, &self.setup) {
            (Some(t), _) => {
                let _ = writeln!(s, " Transfer in progress: {} bytes moved", t.progress);
            }
            (None, Setup::Passive { .. }) => s.extend_from_slice(b" Data connection: passive\n"),
            (None, Setup::Active { .. }) => s.extend_from_slice(b" Data connection: active\n"),
            (None, Setup::None) => s.extend_from_slice(b" No data connection\n"),
        }
        s.extend_from_slice(b"End of status.");
        write_multiline(
            &mut self.out,
            ReplyCode::SYSTEM_STATUS,
            self.scratch[..].split(|&b| b == b'\n'),
        );
    }

    fn cmd_auth(&mut self, mech: &AuthMechanism<Bytes>) {
        if !self.config.tls.available() {
            self.reply(ReplyCode::NOT_IMPLEMENTED, b"TLS is not available.");
            return;
        }
        if matches!(mech, AuthMechanism::Other(_)) {
            self.reply(
                ReplyCode::NOT_IMPLEMENTED_FOR_PARAM,
                b"Unknown mechanism; use AUTH TLS.",
            );
            return;
        }
        if self.tls == Tls::Secured {
            self.reply(ReplyCode::POLICY_DENIED, b"Already using TLS.");
            return;
        }
        self.reply(ReplyCode::SECURITY_ACCEPTED, b"AUTH TLS successful.");
        // RFC 4217 §4.2: a new security context means a new login.
        self.login = Login::NeedUser;
        self.drop_setup();
        let discarded = self.discard_pending_input();
        self.tls = Tls::Upgrading { discarded };
    }

    /// `CCC` (RFC 4217 §5): `533` without TLS, `534` when the policy
    /// refuses it, else `200` and the downgrade.
    fn cmd_ccc(&mut self) {
        if self.tls != Tls::Secured {
            self.reply(
                ReplyCode::COMMAND_PROTECTION_DENIED,
                b"Control connection is not under TLS.",
            );
            return;
        }
        if !self.config.allow_clear_control {
            self.reply(ReplyCode::POLICY_DENIED, b"CCC refused by policy.");
            return;
        }
        if self.config.tls.login_required() && !self.is_logged_in() {
            // The credentials must travel under TLS: clearing first would
            // let them through in clear.
            self.reply(
                ReplyCode::POLICY_DENIED,
                b"CCC refused before login: TLS is required for login.",
            );
            return;
        }
        self.reply(
            ReplyCode::COMMAND_OK,
            b"Control connection cleared; TLS shut down.",
        );
        self.begin_downgrade(false);
    }

    /// Pauses for a TLS shutdown on the control connection once the queued
    /// reply is out. Lines already read after the command were sent under
    /// TLS for a connection about to change: they are dropped and counted,
    /// as after `AUTH TLS`.
    fn begin_downgrade(&mut self, rein: bool) {
        let discarded = self.discard_pending_input();
        self.tls = Tls::Downgrading { discarded, rein };
    }

    /// Drops every line read but not run yet (buffered, or held back
    /// during a transfer that just ended): none of it may cross a TLS
    /// switch. Returns how many bytes.
    fn discard_pending_input(&mut self) -> usize {
        let held = self.held_bytes;
        self.held.clear();
        self.held_bytes = 0;
        self.lines.discard_buffered().saturating_add(held)
    }

    fn cmd_prot(&mut self, level: ProtectionLevel) {
        if self.control_cleared {
            self.reply(
                ReplyCode::BAD_SEQUENCE,
                b"PROT not accepted after CCC; data protection stays as set.",
            );
            return;
        }
        if self.tls != Tls::Secured {
            self.reply(ReplyCode::BAD_SEQUENCE, b"PROT needs AUTH TLS first.");
            return;
        }
        if !self.pbsz {
            self.reply(ReplyCode::BAD_SEQUENCE, b"PROT needs PBSZ first.");
            return;
        }
        match level {
            ProtectionLevel::Clear => {
                self.protection = DataProtection::Clear;
                self.reply(ReplyCode::COMMAND_OK, b"Protection set to Clear.");
            }
            ProtectionLevel::Private => {
                self.protection = DataProtection::Private;
                self.reply(ReplyCode::COMMAND_OK, b"Protection set to Private.");
            }
            _ => self.reply(
                ReplyCode::DATA_PROT_NOT_SUPPORTED,
                b"PROT level not supported by TLS.",
            ),
        }
    }

    fn cmd_opts(&mut self, arg: OptsArgument<Bytes>) {
        match arg {
            OptsArgument::Utf8(on) => {
                if self.config.features.utf8 {
                    self.reply(
                        ReplyCode::COMMAND_OK,
                        if on {
                            b"UTF8 mode on."
                        } else {
                            b"UTF8 mode off."
                        },
                    );
                } else {
                    self.reply(ReplyCode::SYNTAX_ERROR_ARGS, b"UTF8 not supported.");
                }
            }
            OptsArgument::Mlst(list) => {
                if !self.config.features.mlst {
                    self.reply(ReplyCode::SYNTAX_ERROR_ARGS, b"MLST not supported.");
                    return;
                }
                match Facts::parse_opts(&list, self.config.features.mlst_facts) {
                    Ok(sel) => {
                        self.mlst_facts = sel;
                        self.scratch.clear();
                        sel.write_opts_reply(&mut self.scratch);
                        write_reply(&mut self.out, ReplyCode::COMMAND_OK, &self.scratch);
                    }
                    Err(_) => self.reply(ReplyCode::SYNTAX_ERROR_ARGS, b"Bad MLST fact list."),
                }
            }
            _ => self.reply(ReplyCode::SYNTAX_ERROR_ARGS, b"Option not understood."),
        }
    }

    fn cmd_host(&mut self, name: Bytes) {
        if !self.config.features.host {
            self.reply(ReplyCode::NOT_IMPLEMENTED, b"HOST not implemented.");
            return;
        }
        if self.is_logged_in() {
            self.reply(ReplyCode::BAD_SEQUENCE, b"HOST must come before login.");
            return;
        }
        if !replies::valid_host(&name) {
            self.reply(ReplyCode::SYNTAX_ERROR_ARGS, b"Bad host name.");
            return;
        }
        self.login = Login::NeedUser;
        if self.config.validate_hosts {
            self.new_request(RequestKind::Host { name });
        } else {
            self.host = Some(name);
            self.reply(ReplyCode::SERVICE_READY, b"Host accepted.");
        }
    }

    // ------------------------------------------------------------------
    // Answers → replies
    // ------------------------------------------------------------------

    fn apply_answer(&mut self, kind: RequestKind, answer: Answer) {
        let verb = verb_of(&kind);
        if let Answer::Reply(r) = answer {
            // 421 ends the session whatever the command (RFC 959 §5.4), also
            // when an authenticator is unavailable during a login.
            let is_421 = r.code() == ReplyCode::SERVICE_NOT_AVAILABLE;
            if !is_421
                && matches!(
                    kind,
                    RequestKind::Login { .. } | RequestKind::Account { .. }
                )
            {
                self.login_failed(Some(r));
                return;
            }
            r.encode(&mut self.out);
            if is_421 {
                self.close(CloseReason::Shutdown);
            }
            return;
        }
        if let Answer::Error(e) = answer {
            let (code, text) = replies::fs_error(verb, e);
            self.reply(code, text);
            return;
        }
        match (kind, answer) {
            (RequestKind::Login { user, .. } | RequestKind::Account { user, .. }, a) => match a {
                Answer::LoggedIn { home } => {
                    self.login = Login::LoggedIn { user };
                    self.cwd = home.unwrap_or_else(VirtualPath::root);
                    self.login_deadline = None;
                    self.failed_logins = 0;
                    self.reply(ReplyCode::LOGGED_IN, b"Login successful.");
                }
                Answer::NeedAccount => {
                    self.login = Login::NeedAcct { user };
                    self.reply(ReplyCode::NEED_ACCOUNT, b"Account required.");
                }
                _ => self.login_failed(None),
            },
            (RequestKind::Host { name }, _) => {
                self.host = Some(name);
                self.reply(ReplyCode::SERVICE_READY, b"Host accepted.");
            }
            (RequestKind::ChangeDir { path }, _) => {
                self.cwd = path;
                self.reply(ReplyCode::FILE_ACTION_OK, b"Directory changed.");
            }
            (RequestKind::MakeDir { path }, _) => {
                self.scratch.clear();
                quote_for_257(&path, &mut self.scratch);
                self.scratch.extend_from_slice(b" created.");
                write_reply(&mut self.out, ReplyCode::PATH_CREATED, &self.scratch);
            }
            (RequestKind::RemoveDir { .. }, _) => {
                self.reply(ReplyCode::FILE_ACTION_OK, b"Directory removed.");
            }
            (RequestKind::Delete { .. }, _) => {
                self.reply(ReplyCode::FILE_ACTION_OK, b"File deleted.")
            }
            (RequestKind::RenameFrom { path }, _) => {
                self.rename_from = Some(path);
                self.reply(ReplyCode::PENDING_FURTHER_INFO, b"Ready for RNTO.");
            }
            (RequestKind::Rename { .. }, _) => {
                self.reply(ReplyCode::FILE_ACTION_OK, b"Rename successful.")
            }
            (RequestKind::Size { .. }, Answer::Size(n)) => {
                self.reply_fmt(ReplyCode::FILE_STATUS, format_args!("{n}"));
            }
            (RequestKind::ModifiedTime { .. }, Answer::Modified(t)) => {
                self.reply_fmt(ReplyCode::FILE_STATUS, format_args!("{}", t.ftp(false)));
            }
            (RequestKind::SetModifiedTime { path, .. }, Answer::Modified(t)) => {
                self.scratch.clear();
                let _ = write!(self.scratch, "Modify={}; ", t.ftp(false));
                self.scratch.extend_from_slice(path.as_bytes());
                write_reply(&mut self.out, ReplyCode::FILE_STATUS, &self.scratch);
            }
            (RequestKind::Site { .. }, _) => {
                self.reply(ReplyCode::COMMAND_OK, b"SITE command successful.")
            }
            (
                RequestKind::Retrieve {
                    path,
                    offset,
                    representation,
                },
                Answer::Ready { size },
            ) => {
                self.start_transfer(
                    verb,
                    TransferKind::Retrieve { path, offset },
                    representation,
                    size,
                    None,
                );
            }
            (
                RequestKind::Store {
                    path,
                    offset,
                    representation,
                },
                _,
            ) => {
                self.start_transfer(
                    verb,
                    TransferKind::Store { path, offset },
                    representation,
                    None,
                    None,
                );
            }
            (
                RequestKind::Append {
                    path,
                    representation,
                },
                _,
            ) => {
                self.start_transfer(
                    verb,
                    TransferKind::Append { path },
                    representation,
                    None,
                    None,
                );
            }
            (RequestKind::StoreUnique { representation, .. }, Answer::Unique(path)) => {
                let name = Bytes::copy_from_slice(path.file_name().unwrap_or(b"/"));
                self.start_transfer(
                    verb,
                    TransferKind::Store { path, offset: 0 },
                    representation,
                    None,
                    Some(name),
                );
            }
            (RequestKind::List { path, format }, Answer::DirectoryListing { wall_clock }) => {
                let style = ListingStyle::new(format, self.mlst_facts, wall_clock);
                self.start_transfer(
                    verb,
                    TransferKind::DirectoryListing { path, style },
                    Representation::Binary,
                    None,
                    None,
                );
            }
            (
                RequestKind::List { format, .. },
                Answer::Listing {
                    entries,
                    wall_clock,
                },
            ) => {
                let style = ListingStyle::new(format, self.mlst_facts, wall_clock);
                match replies::render_listing(&entries, style, self.config.limits.max_listing_bytes)
                {
                    Some(bytes) => self.start_transfer(
                        verb,
                        TransferKind::Listing(bytes),
                        Representation::Binary,
                        None,
                        None,
                    ),
                    None => self.reply(ReplyCode::FILE_UNAVAILABLE_BUSY, b"Listing too large."),
                }
            }
            (
                RequestKind::Stat { path },
                Answer::Listing {
                    entries,
                    wall_clock,
                },
            ) => {
                let style = ListingStyle::new(ListFormat::Long, self.mlst_facts, wall_clock);
                match replies::render_listing(&entries, style, self.config.limits.max_listing_bytes)
                {
                    Some(bytes) => {
                        self.scratch.clear();
                        self.scratch.extend_from_slice(b"Status of ");
                        self.scratch.extend_from_slice(path.as_bytes());
                        self.scratch.extend_from_slice(b":");
                        let head = self.scratch.split().freeze();
                        let body = bytes
                            .split(|&b| b == b'\n')
                            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                            .filter(|l| !l.is_empty());
                        write_multiline(
                            &mut self.out,
                            ReplyCode::FILE_STATUS,
                            core::iter::once(&head[..])
                                .chain(body)
                                .chain(core::iter::once(&b"End of status."[..])),
                        );
                    }
                    None => self.reply(ReplyCode::FILE_UNAVAILABLE_BUSY, b"Listing too large."),
                }
            }
            (RequestKind::MachineListOne { path }, Answer::Entry(info)) => {
                self.scratch.clear();
                let facts = self.mlst_facts;
                let ok = crate::listing::write_mlst_line(
                    &info,
                    facts,
                    path.as_bytes(),
                    &mut self.scratch,
                )
                .is_ok();
                if ok {
                    let line = self.scratch.split().freeze();
                    let mut head = BytesMut::new();
                    head.extend_from_slice(b"Listing ");
                    head.extend_from_slice(path.as_bytes());
                    write_multiline(
                        &mut self.out,
                        ReplyCode::FILE_ACTION_OK,
                        [&head[..], &line[..], b"End"],
                    );
                } else {
                    self.reply(ReplyCode::FILE_UNAVAILABLE, b"Cannot list this object.");
                }
            }
            // answer_fits rules out every other pair.
            _ => self.reply(ReplyCode::LOCAL_ERROR, b"Internal error."),
        }
    }

    fn start_transfer(
        &mut self,
        verb: Verb,
        kind: TransferKind,
        representation: Representation,
        size: Option<u64>,
        unique_name: Option<Bytes>,
    ) {
        let passive = matches!(self.setup, Setup::Passive { .. });
        let (id, connected) = match self.setup {
            Setup::None => {
                // The passive listener timed out or was refused meanwhile.
                self.reply(
                    ReplyCode::CANT_OPEN_DATA,
                    b"Data connection is gone; use PASV or EPSV again.",
                );
                return;
            }
            Setup::Passive { id, connected } => (id, connected),
            Setup::Active { id, addr } => {
                self.events
                    .push_back(ServerEvent::Data(DataAction::Connect { id, addr }));
                (id, false)
            }
        };
        self.setup = Setup::None;
        let code = if connected {
            ReplyCode::DATA_ALREADY_OPEN
        } else {
            ReplyCode::FILE_STATUS_OK
        };
        self.scratch.clear();
        match (&unique_name, size) {
            (Some(name), _) => {
                self.scratch.extend_from_slice(b"FILE: ");
                self.scratch.extend_from_slice(name);
            }
            (None, Some(n)) => {
                let _ = write!(self.scratch, "Opening data connection ({n} bytes).");
            }
            (None, None) => self.scratch.extend_from_slice(b"Opening data connection."),
        }
        write_reply(&mut self.out, code, &self.scratch);
        let upload = kind.is_upload();
        self.data_deadline = if connected {
            None
        } else {
            self.config.timeouts.data_connect.map(|d| self.now + d)
        };
        self.transfer = Some(Transfer {
            id,
            verb,
            upload,
            passive,
            connected,
            progress: 0,
            abor: false,
            quit: false,
            shutdown: false,
            failed_connect: false,
            tls_refused: false,
        });
        self.events.push_back(ServerEvent::Transfer(TransferStart {
            id,
            kind,
            representation,
            protection: self.protection,
        }));
    }

    fn idle_deadline(&self) -> Option<Instant> {
        if self.transfer.is_some() || self.wait != Wait::None || self.shutting_down {
            return None;
        }
        self.config.timeouts.idle.map(|d| self.last_activity + d)
    }
}

/// Whether a line is empty or only spaces (NAT devices inject such
/// lines): it gets no reply.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ')
}

/// Whether a line read during a transfer must run at once. A second ABOR
/// while the first waits for the adapter is held, so that its reply comes
/// after the transfer's.
fn is_urgent(line: &[u8], abor_pending: bool) -> bool {
    match Command::parse(line) {
        Ok(Command::Abor) => !abor_pending,
        Ok(Command::Quit | Command::Noop | Command::Stat(None)) => true,
        _ => false,
    }
}

/// Commands that leave a pending `REST` in place (they do not conflict with
/// it; RFC 3659 §5.3 leaves other placements undefined).
fn keeps_rest<A>(cmd: &Command<A>) -> bool {
    matches!(
        cmd,
        Command::Rest(_)
            | Command::Type(_)
            | Command::Mode(_)
            | Command::Stru(_)
            | Command::Port(_)
            | Command::Eprt(_)
            | Command::Pasv
            | Command::Epsv(_)
            | Command::Noop
            | Command::Stat(None)
    )
}

/// Commands a client may send before logging in (RFC 959 §4.1.1 and
/// §5.4, RFC 2228/4217 for the security commands, RFC 2389 for FEAT).
fn allowed_before_login<A>(cmd: &Command<A>) -> bool {
    use Command as C;
    matches!(
        cmd,
        C::User(_)
            | C::Pass(_)
            | C::Acct(_)
            | C::Quit
            | C::Rein
            | C::Abor
            | C::Feat
            | C::Opts(_)
            | C::Help(_)
            | C::Syst
            | C::Noop
            | C::Stat(None)
            | C::Auth(_)
            | C::Pbsz(_)
            | C::Prot(_)
            | C::Ccc
            | C::Adat(_)
            | C::Host(_)
            | C::Lang(_)
            | C::Clnt(_)
    )
}

fn is_anonymous(user: &[u8]) -> bool {
    user.eq_ignore_ascii_case(b"anonymous") || user.eq_ignore_ascii_case(b"ftp")
}

fn verb_of(kind: &RequestKind) -> Verb {
    match kind {
        RequestKind::Login { .. } => Verb::Pass,
        RequestKind::Account { .. } => Verb::Acct,
        RequestKind::Host { .. } => Verb::Host,
        RequestKind::ChangeDir { .. } => Verb::Cwd,
        RequestKind::MakeDir { .. } => Verb::Mkd,
        RequestKind::RemoveDir { .. } => Verb::Rmd,
        RequestKind::Delete { .. } => Verb::Dele,
        RequestKind::RenameFrom { .. } => Verb::Rnfr,
        RequestKind::Rename { .. } => Verb::Rnto,
        RequestKind::Size { .. } => Verb::Size,
        RequestKind::ModifiedTime { .. } => Verb::Mdtm,
        RequestKind::SetModifiedTime { .. } => Verb::Mfmt,
        RequestKind::Retrieve { .. } => Verb::Retr,
        RequestKind::Store { .. } => Verb::Stor,
        RequestKind::Append { .. } => Verb::Appe,
        RequestKind::StoreUnique { .. } => Verb::Stou,
        RequestKind::List { format, .. } => match format {
            ListFormat::Long => Verb::List,
            ListFormat::Names => Verb::Nlst,
            ListFormat::Machine => Verb::Mlsd,
        },
        RequestKind::Stat { .. } => Verb::Stat,
        RequestKind::MachineListOne { .. } => Verb::Mlst,
        RequestKind::Site { .. } => Verb::Site,
    }
}

/// Whether `answer` is one of the answers `kind` takes.
fn answer_fits(kind: &RequestKind, answer: &Answer) -> bool {
    use RequestKind as K;
    if let Answer::Reply(r) = answer {
        let code = r.code();
        return (code.is_negative() && replies::raw_allowed(verb_of(kind), code.as_u16()))
            || (matches!(kind, K::Site { .. }) && code.is_completion());
    }
    match kind {
        K::Login { .. } => matches!(
            answer,
            Answer::LoggedIn { .. } | Answer::NeedAccount | Answer::Denied(_)
        ),
        K::Account { .. } => matches!(answer, Answer::LoggedIn { .. } | Answer::Denied(_)),
        K::Host { .. }
        | K::ChangeDir { .. }
        | K::MakeDir { .. }
        | K::RemoveDir { .. }
        | K::Delete { .. }
        | K::RenameFrom { .. }
        | K::Rename { .. }
        | K::Site { .. } => matches!(answer, Answer::Done | Answer::Error(_)),
        K::Size { .. } => matches!(answer, Answer::Size(_) | Answer::Error(_)),
        K::ModifiedTime { .. } | K::SetModifiedTime { .. } => {
            matches!(answer, Answer::Modified(_) | Answer::Error(_))
        }
        K::Retrieve { .. } | K::Store { .. } | K::Append { .. } => {
            matches!(answer, Answer::Ready { .. } | Answer::Error(_))
        }
        K::StoreUnique { .. } => matches!(answer, Answer::Unique(_) | Answer::Error(_)),
        K::List { .. } => matches!(
            answer,
            Answer::Listing { .. } | Answer::DirectoryListing { .. } | Answer::Error(_)
        ),
        K::Stat { .. } => matches!(answer, Answer::Listing { .. } | Answer::Error(_)),
        K::MachineListOne { .. } => matches!(answer, Answer::Entry(_) | Answer::Error(_)),
    }
}

impl Session for ServerSession {
    type Event = ServerEvent;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.lines.buffer_mut()
    }

    fn process_input(&mut self, now: Instant) {
        self.now = now;
        if self.closed {
            self.lines.discard_buffered();
            return;
        }
        if self.tls.switching() {
            let bytes = self.lines.discard_buffered();
            if bytes > 0 {
                self.events.push_back(ServerEvent::InputDiscarded { bytes });
            }
            return;
        }
        self.pump();
        let l = &self.config.limits;
        let hard = l
            .max_pipelined_bytes
            .max(l.max_line_len)
            .saturating_add(l.max_line_len)
            .saturating_add(2);
        if !self.closed && self.lines.buffered_len() > hard {
            self.reply(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                b"Too much pipelined input.",
            );
            self.close(CloseReason::InputOverflow);
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = now;
        if self.closed {
            return;
        }
        // RFC 959 §4.1.1: an unexpected close is ABOR + QUIT.
        if let Some(t) = self.transfer.take() {
            self.events.push_back(ServerEvent::Abort {
                id: t.id,
                incomplete_upload: t.upload,
            });
        }
        self.close(CloseReason::ConnectionLost);
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() {
            return None;
        }
        let frame = self.out.split().freeze();
        match self.tls {
            Tls::Upgrading { discarded } => {
                // The 234 is on its way: now the handshake may start.
                self.tls = Tls::Handshake;
                self.events.push_back(ServerEvent::UpgradeTls {
                    discarded_plaintext: discarded,
                });
            }
            Tls::Downgrading { discarded, rein } => {
                // The 200 (or REIN's 220) goes out under TLS: then TLS ends.
                self.tls = Tls::Clearing { rein };
                self.events.push_back(ServerEvent::DowngradeTls {
                    discarded_protected: discarded,
                });
            }
            _ => {}
        }
        Some(frame)
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let delay = match self.wait {
            Wait::LoginDelay { until, .. } => Some(until),
            Wait::Request { since, .. } => self.config.timeouts.answer.map(|d| since + d),
            _ => None,
        };
        let login = if self.is_logged_in() {
            None
        } else {
            self.login_deadline
        };
        [
            delay,
            self.data_deadline,
            login,
            self.idle_deadline(),
            self.grace_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.closed {
            return;
        }
        if self.grace_deadline.is_some_and(|d| now >= d) {
            // The grace period after `shutdown` is over: abort and close.
            self.grace_deadline = None;
            self.shutdown(now);
            return;
        }
        if let Wait::LoginDelay { until, last } = self.wait
            && now >= until
        {
            self.wait = Wait::None;
            self.login_failure_reply(last);
            if self.closed {
                return;
            }
        }
        if let Wait::Request { verb, since, .. } = self.wait
            && self
                .config
                .timeouts
                .answer
                .is_some_and(|d| now >= since + d)
        {
            self.answer_timed_out(verb);
            if self.closed {
                return;
            }
        }
        if self.data_deadline.is_some_and(|d| now >= d) {
            self.data_deadline = None;
            match self.transfer.as_mut() {
                Some(t) if !t.connected => {
                    t.failed_connect = true;
                    let (id, upload) = (t.id, t.upload);
                    self.events.push_back(ServerEvent::Abort {
                        id,
                        incomplete_upload: upload,
                    });
                }
                Some(_) => {}
                None => {
                    if matches!(
                        self.setup,
                        Setup::Passive {
                            connected: false,
                            ..
                        }
                    ) {
                        self.drop_setup();
                    }
                }
            }
        }
        if !self.is_logged_in() && self.login_deadline.is_some_and(|d| now >= d) {
            self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Login timeout.");
            self.close(CloseReason::LoginTimeout);
            return;
        }
        if self.idle_deadline().is_some_and(|d| now >= d) {
            self.reply(ReplyCode::SERVICE_NOT_AVAILABLE, b"Timeout.");
            self.close(CloseReason::IdleTimeout);
            return;
        }
        self.pump();
    }

    fn wants_input(&self) -> bool {
        if self.closed || self.tls.switching() {
            return false;
        }
        let l = &self.config.limits;
        self.buffered_input() < l.max_pipelined_bytes.max(l.max_line_len)
            && self.held.len() < l.max_pipelined_lines
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}
