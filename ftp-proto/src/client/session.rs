//! The client engine: the command queue, reply matching, timers, data
//! connections and TLS pauses. The operations themselves live in `ops`.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::net::SocketAddr;

use super::config::{ClientConfig, ConformancePolicy};
use super::conformance::{self, Verdict};
use super::error::{ClientError, CloseReason, ProtocolError};
use super::event::{ClientEvent, DataRequest, OpId, Outcome};
use super::features::Features;
use super::ops::{Op, OpKind, Step};
use super::wire::{self, Reply};
use crate::command::Command;
use crate::data::{DataId, DataProtection, Representation};
use crate::error::{UsageError, UsageErrorKind};
use crate::reply::{ReplyError, ReplyParser};
use crate::session::Session;
use crate::time::Instant;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for the `220` greeting.
    Greeting,
    /// Running commands.
    Ready,
    /// `234` arrived; waiting for `tls_established`.
    TlsUpgrade,
    /// `CCC` was accepted; waiting for `tls_cleared`.
    TlsDowngrade,
    /// The control connection is ending (`421`, or its close) after a
    /// transfer's positive final reply: only that transfer's data is still
    /// being read; then the session closes (the reason is in `draining`).
    Draining,
    /// Over.
    Closed,
}

/// Whose reply an in-flight command awaits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The command of the active operation.
    Op,
    /// A keep-alive `NOOP` sent during a transfer.
    KeepAlive,
    /// An `ABOR`, for the abort operation (if any).
    Abort(Option<OpId>),
}

/// A command sent and not yet answered with a final reply.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    pub(crate) verb: &'static str,
    pub(crate) role: Role,
}

/// The data connection of the active transfer.
#[derive(Debug)]
pub(crate) struct DataState {
    pub(crate) id: DataId,
    /// The transfer was started (`TransferStart` emitted).
    pub(crate) started: bool,
    /// EOF (`Some(true)`) or failure (`Some(false)`) reported by the adapter.
    pub(crate) finished: Option<bool>,
    /// Active mode: waiting for `data_listening`.
    pub(crate) awaiting_listen: bool,
    /// Last reported activity (data deadline base).
    pub(crate) activity: Instant,
    /// Active mode: connections from hosts other than the server refused
    /// so far (see [`ClientSession::data_accepted`]).
    pub(crate) foreign_peers: u32,
}

/// Most connections from hosts other than the server that an active-mode
/// listener refuses before its data connection fails
/// ([`ClientSession::data_accepted`]).
pub const MAX_FOREIGN_DATA_PEERS: u32 = 16;

/// What the engine makes of a connection accepted on an active-mode
/// listener ([`ClientSession::data_accepted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptedPeer {
    /// It comes from the server: it is the data connection (as
    /// [`ClientSession::data_connected`]); stop listening.
    Accepted,
    /// It comes from another host (a hijack or bounce attempt): close it
    /// and keep listening.
    Refused,
    /// Too many foreign connections ([`MAX_FOREIGN_DATA_PEERS`]): the data
    /// connection failed (as [`ClientSession::data_failed`]); stop
    /// listening.
    GaveUp,
}

/// A Sans-IO FTP client: one control connection.
///
/// See the [module docs](super) for the run loop. Methods fall in four
/// groups: operations (`login`, `list`, `retrieve`, ... and the raw
/// [`send`](Self::send)) that queue work and return an [`OpId`]; answers to
/// events (`data_*`, `listing_data`, `tls_*`); getters; and the [`Session`]
/// trait methods that move bytes, events and time.
#[derive(Debug)]
pub struct ClientSession {
    pub(crate) config: ClientConfig,
    pub(crate) peer: SocketAddr,
    pub(crate) reader: ReplyParser,
    pub(crate) out: BytesMut,
    pub(crate) events: VecDeque<ClientEvent>,
    /// Operations; the front one is active (started).
    pub(crate) ops: VecDeque<Op>,
    pub(crate) front_started: bool,
    pub(crate) inflight: VecDeque<InFlight>,
    pub(crate) phase: Phase,
    pub(crate) next_op: u64,
    pub(crate) next_data: u64,
    pub(crate) features: Option<Features>,
    pub(crate) epsv_refused: bool,
    pub(crate) protection: DataProtection,
    pub(crate) representation: Option<Representation>,
    pub(crate) control_tls: bool,
    pub(crate) data: Option<DataState>,
    /// Abort operations waiting for their `ABOR` reply.
    pub(crate) aborts: Vec<OpId>,
    /// When the last command was sent or reply received (reply deadline base).
    pub(crate) last_exchange: Instant,
    pub(crate) keepalive_at: Option<Instant>,
    pub(crate) now: Instant,
    /// `QUIT` was answered: close once its operation has finished.
    pub(crate) quit_pending: bool,
    pub(crate) close_reason: Option<CloseReason>,
    /// Why the session closes once the draining transfer's data ends.
    pub(crate) draining: Option<CloseReason>,
}

impl ClientSession {
    /// A session on a fresh control connection to `peer` (the server's
    /// address: needed for EPSV and the passive-address policy). It waits for
    /// the greeting, which ends operation [`OpId::GREETING`].
    #[must_use]
    pub fn new(now: Instant, config: ClientConfig, peer: SocketAddr) -> Self {
        let reader = wire::reply_parser(&config);
        let implicit = config.implicit_tls;
        let mut ops = VecDeque::new();
        ops.push_back(Op {
            id: OpId::GREETING,
            kind: OpKind::Greeting,
        });
        Self {
            config,
            peer,
            reader,
            out: BytesMut::new(),
            events: VecDeque::new(),
            ops,
            front_started: true,
            inflight: VecDeque::new(),
            phase: Phase::Greeting,
            next_op: 1,
            next_data: 0,
            features: None,
            epsv_refused: false,
            protection: if implicit {
                DataProtection::Private
            } else {
                DataProtection::Clear
            },
            representation: None,
            control_tls: implicit,
            data: None,
            aborts: Vec::new(),
            last_exchange: now,
            keepalive_at: None,
            now,
            quit_pending: false,
            close_reason: None,
            draining: None,
        }
    }

    // ------------------------------------------------------------ getters

    /// The features of the last answered `FEAT`, if any.
    #[must_use]
    pub fn features(&self) -> Option<&Features> {
        self.features.as_ref()
    }

    /// Whether data connections are protected (`PROT P` or implicit TLS).
    #[must_use]
    pub fn data_protection(&self) -> DataProtection {
        self.protection
    }

    /// Whether the control connection runs TLS (as far as the engine knows).
    #[must_use]
    pub fn control_protected(&self) -> bool {
        self.control_tls
    }

    /// Operations queued or running (the greeting included while it waits).
    #[must_use]
    pub fn pending_ops(&self) -> usize {
        self.ops.len() + self.aborts.len()
    }

    /// The control connection's peer.
    #[must_use]
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    // ------------------------------------------------------------ queueing

    pub(crate) fn alloc_op(&mut self) -> OpId {
        let id = OpId(self.next_op);
        self.next_op += 1;
        id
    }

    pub(crate) fn alloc_data(&mut self) -> DataId {
        let id = DataId::new(self.next_data);
        self.next_data += 1;
        id
    }

    /// Queues an operation; it starts when every earlier one has finished.
    pub(crate) fn enqueue<T>(
        &mut self,
        now: Instant,
        kind: OpKind,
        value: T,
    ) -> Result<OpId, UsageError<T>> {
        if self.phase == Phase::Closed {
            return Err(UsageError::new(UsageErrorKind::Closed, value));
        }
        if self.pending_ops() >= self.config.max_queued_ops {
            return Err(UsageError::new(UsageErrorKind::LimitExceeded, value));
        }
        let id = self.alloc_op();
        self.ops.push_back(Op { id, kind });
        self.advance(now);
        Ok(id)
    }

    /// Sends one raw command (queued behind earlier operations). Its `1yz`
    /// replies come as [`ClientEvent::Preliminary`]; the final reply ends the
    /// operation with [`Outcome::Reply`] (2yz, 3yz) or a
    /// [`ClientError::Transient`]/[`ClientError::Permanent`] (4yz, 5yz).
    /// A raw command orchestrates no data connection, but the engine keeps
    /// track of its effects on TYPE and PROT, pauses for TLS after a `234`
    /// to `AUTH`, and closes after `QUIT`.
    ///
    /// # Errors
    /// `InvalidValue` if the command cannot be rendered (CR, LF or NUL in an
    /// argument), `LimitExceeded` if the queue is full, `Closed` after the
    /// session ended; the command comes back in the error.
    pub fn send(&mut self, now: Instant, cmd: Command) -> Result<OpId, UsageError<Command>> {
        if self.check_sendable(&cmd).is_err() {
            return Err(UsageError::new(UsageErrorKind::InvalidValue, cmd));
        }
        if self.phase == Phase::Closed {
            return Err(UsageError::new(UsageErrorKind::Closed, cmd));
        }
        if self.pending_ops() >= self.config.max_queued_ops {
            return Err(UsageError::new(UsageErrorKind::LimitExceeded, cmd));
        }
        let id = self.alloc_op();
        self.ops.push_back(Op {
            id,
            kind: OpKind::Raw(Some(cmd)),
        });
        self.advance(now);
        Ok(id)
    }

    /// Checks that `cmd` can be rendered (no CR, LF or NUL in an argument),
    /// with the codec itself: rendered at the end of the output buffer and
    /// taken back.
    pub(crate) fn check_sendable(&mut self, cmd: &Command) -> Result<(), UsageError> {
        let start = self.out.len();
        let result = cmd.encode(&mut self.out);
        self.out.truncate(start);
        result.map_err(|_| UsageError::new(UsageErrorKind::InvalidValue, ()))
    }

    /// Ends the session locally: every operation finishes with
    /// [`CloseReason::Local`]. The adapter then closes the connection.
    pub fn close(&mut self, now: Instant) {
        self.now = now;
        self.shut(CloseReason::Local, false);
    }

    // ------------------------------------------------------------ the driver

    /// Starts operations while nothing is in flight.
    pub(crate) fn advance(&mut self, now: Instant) {
        self.now = now;
        while self.phase == Phase::Ready && self.inflight.is_empty() && !self.front_started {
            let Some(mut op) = self.ops.pop_front() else {
                return;
            };
            self.front_started = true;
            let step = self.start_op(&mut op);
            self.apply(op, step);
        }
    }

    /// Carries out what an operation asked for; `op` is the active one,
    /// taken out of the queue.
    pub(crate) fn apply(&mut self, op: Op, step: Step) {
        if self.phase == Phase::Closed {
            // The session ended while this operation was out of the queue.
            let result = match step {
                Step::Finish(r) => r,
                _ => Err(ClientError::Closed(
                    self.close_reason.clone().unwrap_or(CloseReason::Local),
                )),
            };
            self.events
                .push_back(ClientEvent::Finished { op: op.id, result });
            return;
        }
        match step {
            Step::Send(cmd) => {
                let verb = cmd.verb();
                if let Err(e) = cmd.encode(&mut self.out) {
                    // Arguments are checked when operations are queued, so
                    // this cannot happen; fail the operation, not the session.
                    self.finish_active(op, Err(ClientError::Unsendable(e)));
                    return;
                }
                self.inflight.push_back(InFlight {
                    verb,
                    role: Role::Op,
                });
                self.last_exchange = self.now;
                self.ops.push_front(op);
            }
            Step::KeepWaiting(verb) => {
                self.inflight.push_front(InFlight {
                    verb,
                    role: Role::Op,
                });
                self.ops.push_front(op);
            }
            Step::Wait => self.ops.push_front(op),
            Step::Finish(result) => self.finish_active(op, result),
        }
    }

    /// Ends the active operation and starts the next.
    pub(crate) fn finish_active(&mut self, op: Op, result: Result<Outcome, ClientError>) {
        self.front_started = false;
        self.close_data();
        // An abort that waited for this operation ends with it.
        if let OpKind::Transfer(t) = &op.kind
            && let Some(abort) = t.abort_op
            && !self
                .inflight
                .iter()
                .any(|f| f.role == Role::Abort(Some(abort)))
        {
            self.events.push_back(ClientEvent::Finished {
                op: abort,
                result: Ok(Outcome::Aborted),
            });
            self.aborts.retain(|&a| a != abort);
        }
        self.events
            .push_back(ClientEvent::Finished { op: op.id, result });
        if self.quit_pending {
            self.shut(CloseReason::Quit, true);
            return;
        }
        let now = self.now;
        self.advance(now);
    }

    /// Tells the adapter to drop the data connection if one is open.
    pub(crate) fn close_data(&mut self) {
        if let Some(d) = self.data.take()
            && d.finished.is_none()
        {
            self.events
                .push_back(ClientEvent::Data(DataRequest::Close { id: d.id }));
        }
        self.keepalive_at = None;
    }

    /// Ends the session: every operation finishes, `Closed` is emitted.
    pub(crate) fn shut(&mut self, reason: CloseReason, quit_ok: bool) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.close_reason = Some(reason.clone());
        self.inflight.clear();
        self.reader.discard_buffered();
        self.close_data();
        let ops: Vec<Op> = self.ops.drain(..).collect();
        for op in ops {
            let result = if quit_ok && matches!(op.kind, OpKind::Quit) {
                Ok(Outcome::Quit)
            } else {
                Err(ClientError::Closed(reason.clone()))
            };
            self.events
                .push_back(ClientEvent::Finished { op: op.id, result });
        }
        for abort in core::mem::take(&mut self.aborts) {
            self.events.push_back(ClientEvent::Finished {
                op: abort,
                result: Err(ClientError::Closed(reason.clone())),
            });
        }
        self.events.push_back(ClientEvent::Closed(reason));
    }

    // ------------------------------------------------------------ replies

    fn on_reply(&mut self, reply: Reply) {
        let code = reply.code().as_u16();
        // When the wait for the front command's reply began: only a reply
        // that ends a command restarts it (see `ClientConfig::reply_timeout`).
        let waited_since = self.last_exchange;
        if code / 100 == 6 {
            self.shut(CloseReason::Protocol(ProtocolError::ProtectedReply), false);
            return;
        }
        if self.phase == Phase::Greeting {
            self.on_greeting(reply);
            return;
        }
        if code == 421 {
            // Whatever it answers, the server is closing (RFC 959 §5.4: 421 may answer any command).
            let quitting = matches!(self.ops.front().map(|o| &o.kind), Some(OpKind::Quit))
                && self.front_started;
            if !quitting && self.awaiting_data_end() {
                self.drain(CloseReason::ServiceClosing(reply));
            } else {
                self.shut(CloseReason::ServiceClosing(reply), quitting);
            }
            return;
        }
        if code == 220 && self.is_extra_greeting() {
            // A second greeting line (`220 a`, `220 b`): answers nothing,
            // whether it arrives before the next command is sent or after.
            // Dropped, so that it can neither log the client in nor shift
            // the matching of later replies.
            self.events.push_back(ClientEvent::Nonconformant {
                op: None,
                verb: "",
                reply,
            });
            return;
        }
        let Some(index) = self.route(code) else {
            // Unsolicited: report and drop (nothing waits for it, so the
            // matching of later replies is not disturbed).
            self.events.push_back(ClientEvent::Nonconformant {
                op: None,
                verb: "",
                reply,
            });
            return;
        };
        let Some(entry) = self.inflight.remove(index) else {
            return;
        };
        let preliminary = code / 100 == 1;
        if preliminary && entry.role != Role::Op {
            self.inflight.insert(index, entry);
        }
        if !preliminary {
            self.last_exchange = self.now;
        }
        // Conformance check.
        let verdict = conformance::check(entry.verb, code);
        let op_id = match entry.role {
            Role::Op => self.ops.front().map(|o| o.id),
            Role::Abort(a) => a,
            Role::KeepAlive => None,
        };
        if verdict == Verdict::Nonconformant && self.config.conformance != ConformancePolicy::Ignore
        {
            self.events.push_back(ClientEvent::Nonconformant {
                op: op_id,
                verb: entry.verb,
                reply: reply.clone(),
            });
            if self.config.conformance == ConformancePolicy::Enforce
                && entry.role == Role::Op
                && !preliminary
            {
                if let Some(op) = self.ops.pop_front() {
                    let err = ClientError::Nonconformant {
                        verb: entry.verb,
                        code,
                    };
                    self.finish_active(op, Err(err));
                }
                return;
            }
        }
        match entry.role {
            Role::KeepAlive => {}
            Role::Abort(abort) => {
                if !preliminary && let Some(abort) = abort {
                    self.aborts.retain(|&a| a != abort);
                    self.events.push_back(ClientEvent::Finished {
                        op: abort,
                        result: Ok(Outcome::Aborted),
                    });
                }
            }
            Role::Op => {
                let Some(mut op) = self.ops.pop_front() else {
                    return;
                };
                let step = self.op_reply(&mut op, entry.verb, reply);
                if matches!(step, Step::KeepWaiting(_)) {
                    // Not the command's final reply (a `1yz`, a stray early
                    // `2yz`): its wait goes on from where it began.
                    self.last_exchange = waited_since;
                }
                self.apply(op, step);
            }
        }
        let now = self.now;
        self.advance(now);
    }

    /// Which in-flight command a reply with `code` answers (see the module
    /// docs on ABOR and keep-alive ordering).
    fn route(&self, code: u16) -> Option<usize> {
        let front = self.inflight.front()?;
        if code == 225
            && let Some(i) = self
                .inflight
                .iter()
                .position(|f| matches!(f.role, Role::Abort(_)))
        {
            return Some(i);
        }
        if front.role == Role::Op
            && code / 100 != 1
            && !conformance::ends_transfer(front.verb, code)
            && is_transfer_verb(front.verb)
            && let Some(i) = self.inflight.iter().position(|f| f.role == Role::KeepAlive)
        {
            return Some(i);
        }
        Some(0)
    }

    /// Whether a `220` (once the greeting is in) is an extra greeting line:
    /// nothing is in flight, or the command in flight is not one that
    /// `220` answers (`REIN`, `HOST`, `EPSV ALL`, a verb the conformance
    /// table does not know).
    fn is_extra_greeting(&self) -> bool {
        self.inflight
            .front()
            .is_none_or(|f| conformance::check(f.verb, 220) == Verdict::Nonconformant)
    }

    fn on_greeting(&mut self, reply: Reply) {
        let code = reply.code().as_u16();
        match code / 100 {
            1 => self.events.push_back(ClientEvent::Preliminary {
                op: OpId::GREETING,
                reply,
            }),
            2 => {
                if code != 220 {
                    self.events.push_back(ClientEvent::Nonconformant {
                        op: Some(OpId::GREETING),
                        verb: "",
                        reply: reply.clone(),
                    });
                }
                self.ops.pop_front();
                self.front_started = false;
                self.phase = Phase::Ready;
                if self.config.explicit_tls && !self.control_tls {
                    // The greeting operation goes on with AUTH TLS, ahead
                    // of anything queued (nothing goes out in clear).
                    self.ops.push_front(Op {
                        id: OpId::GREETING,
                        kind: OpKind::AuthTls {
                            stage: super::ops::TlsStage::Auth,
                            greeting: Some(reply),
                        },
                    });
                } else {
                    self.events.push_back(ClientEvent::Finished {
                        op: OpId::GREETING,
                        result: Ok(Outcome::Connected(reply)),
                    });
                }
                let now = self.now;
                self.advance(now);
            }
            4 if code == 421 => self.shut(CloseReason::ServiceClosing(reply), false),
            _ => self.shut(CloseReason::Protocol(ProtocolError::BadGreeting), false),
        }
    }

    // ------------------------------------------------------------ answers

    fn data_mut(&mut self, id: DataId) -> Result<&mut DataState, UsageError> {
        match self.data.as_mut() {
            Some(d) if d.id == id => Ok(d),
            _ => Err(UsageError::new(UsageErrorKind::UnknownId, ())),
        }
    }

    /// The data connection `id` is connected (passive) or accepted (active).
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection.
    pub fn data_connected(&mut self, now: Instant, id: DataId) -> Result<(), UsageError> {
        self.now = now;
        let d = self.data_mut(id)?;
        d.activity = now;
        Ok(())
    }

    /// Active mode: the listener of data connection `id` accepted a
    /// connection from `remote`. Only the server (the control connection's
    /// peer address, IPv4-mapped forms included) may connect; see
    /// [`AcceptedPeer`] for what to do with the connection.
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection (or already
    /// ended).
    pub fn data_accepted(
        &mut self,
        now: Instant,
        id: DataId,
        remote: SocketAddr,
    ) -> Result<AcceptedPeer, UsageError> {
        self.now = now;
        let server = self.peer.ip().to_canonical();
        let d = self.data_mut(id)?;
        if d.finished.is_some() {
            return Err(UsageError::new(UsageErrorKind::UnknownId, ()));
        }
        if remote.ip().to_canonical() == server {
            d.activity = now;
            return Ok(AcceptedPeer::Accepted);
        }
        // A refused peer does not count as activity: a flood cannot keep
        // the data timer from firing.
        d.foreign_peers = d.foreign_peers.saturating_add(1);
        if d.foreign_peers < MAX_FOREIGN_DATA_PEERS {
            return Ok(AcceptedPeer::Refused);
        }
        self.data_end(now, id, false)?;
        Ok(AcceptedPeer::GaveUp)
    }

    /// Bytes moved on data connection `id` (optional; resets the data timeout).
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection.
    pub fn data_progress(&mut self, now: Instant, id: DataId) -> Result<(), UsageError> {
        self.now = now;
        self.data_mut(id)?.activity = now;
        Ok(())
    }

    /// Active mode: the adapter listens on `addr` for data connection `id`.
    ///
    /// # Errors
    /// `UnknownId` for another id, `WrongState` if no listen was requested.
    pub fn data_listening(
        &mut self,
        now: Instant,
        id: DataId,
        addr: SocketAddr,
    ) -> Result<(), UsageError> {
        self.now = now;
        let d = self.data_mut(id)?;
        if !d.awaiting_listen {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        d.awaiting_listen = false;
        d.activity = now;
        if let Some(mut op) = self.ops.pop_front() {
            let step = self.op_listening(&mut op, addr);
            self.apply(op, step);
        }
        self.flush_advance();
        Ok(())
    }

    /// Listing bytes read from data connection `id` (`Direction::Listing`).
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection.
    pub fn listing_data(
        &mut self,
        now: Instant,
        id: DataId,
        bytes: &[u8],
    ) -> Result<(), UsageError> {
        self.now = now;
        self.data_mut(id)?.activity = now;
        let mut overflowed = false;
        if let Some(Op {
            kind: OpKind::Transfer(t),
            ..
        }) = self.ops.front_mut()
            && let Some(c) = t.listing.as_mut()
        {
            c.push(bytes);
            overflowed = c.overflow && !t.is_aborting();
        }
        if overflowed {
            // Nothing more of this listing can be kept: stop it now rather
            // than read a server that may never stop sending.
            if let Some(mut op) = self.ops.pop_front() {
                let step = self.op_abort(&mut op, None, ClientError::ListingTooLarge);
                self.apply(op, step);
            }
            self.flush_advance();
        }
        Ok(())
    }

    /// Data connection `id` reached EOF (download, listing) or was closed
    /// cleanly after the upload (after TLS `close_notify`).
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection (or was
    /// already finished).
    pub fn data_finished(&mut self, now: Instant, id: DataId) -> Result<(), UsageError> {
        self.data_end(now, id, true)
    }

    /// Data connection `id` could not be opened, or broke.
    ///
    /// # Errors
    /// `UnknownId` if `id` is not the current data connection (or was
    /// already finished).
    pub fn data_failed(&mut self, now: Instant, id: DataId) -> Result<(), UsageError> {
        self.data_end(now, id, false)
    }

    fn data_end(&mut self, now: Instant, id: DataId, ok: bool) -> Result<(), UsageError> {
        self.now = now;
        let d = self.data_mut(id)?;
        if d.finished.is_some() {
            return Err(UsageError::new(UsageErrorKind::UnknownId, ()));
        }
        d.finished = Some(ok);
        d.awaiting_listen = false;
        // The final reply is now awaited with the reply timeout, counted
        // from here (the transfer may have run for hours).
        self.last_exchange = now;
        if let Some(mut op) = self.ops.pop_front() {
            let step = self.op_data_end(&mut op, ok);
            self.apply(op, step);
        }
        self.end_draining();
        self.flush_advance();
        Ok(())
    }

    /// The TLS handshake on the control connection completed after
    /// [`ClientEvent::UpgradeTls`]; the engine resumes.
    ///
    /// # Errors
    /// `WrongState` if no upgrade was requested.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), UsageError> {
        self.now = now;
        if self.phase != Phase::TlsUpgrade {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        self.phase = Phase::Ready;
        self.control_tls = true;
        self.last_exchange = now;
        self.resume_after_tls();
        Ok(())
    }

    /// TLS was shut down on the control connection after
    /// [`ClientEvent::DowngradeTls`]; the engine resumes in clear text.
    ///
    /// # Errors
    /// `WrongState` if no downgrade was requested.
    pub fn tls_cleared(&mut self, now: Instant) -> Result<(), UsageError> {
        self.now = now;
        if self.phase != Phase::TlsDowngrade {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        self.phase = Phase::Ready;
        self.control_tls = false;
        self.last_exchange = now;
        self.resume_after_tls();
        Ok(())
    }

    fn resume_after_tls(&mut self) {
        if self.front_started
            && self.inflight.is_empty()
            && let Some(mut op) = self.ops.pop_front()
        {
            let step = self.op_resumed(&mut op);
            self.apply(op, step);
        }
        self.flush_advance();
    }

    fn flush_advance(&mut self) {
        let now = self.now;
        self.advance(now);
    }

    /// Pauses the engine for a TLS switch (after `234` or `CCC`'s `200`).
    pub(crate) fn pause_for_tls(&mut self, upgrade: bool) {
        if upgrade && self.reader.buffered_len() > 0 {
            // Bytes after 234 and before the handshake: never replay them
            // inside TLS (STARTTLS injection).
            self.shut(
                CloseReason::Protocol(ProtocolError::PlaintextAfterAuth),
                false,
            );
            return;
        }
        self.phase = if upgrade {
            Phase::TlsUpgrade
        } else {
            Phase::TlsDowngrade
        };
        self.events.push_back(if upgrade {
            ClientEvent::UpgradeTls
        } else {
            ClientEvent::DowngradeTls
        });
    }

    // ------------------------------------------------------------ timers

    fn reply_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Greeting => Some(self.last_exchange + self.config.reply_timeout),
            Phase::Ready => {
                let front = self.inflight.front()?;
                if front.role == Role::Op && self.transfer_running() {
                    return None;
                }
                Some(self.last_exchange + self.config.reply_timeout)
            }
            _ => None,
        }
    }

    /// A transfer's `1yz` arrived, its data connection has not ended, and
    /// its final reply has not arrived.
    pub(crate) fn transfer_running(&self) -> bool {
        self.data
            .as_ref()
            .is_some_and(|d| d.started && d.finished.is_none())
            && self
                .inflight
                .front()
                .is_some_and(|f| f.role == Role::Op && is_transfer_verb(f.verb))
    }

    fn data_deadline(&self) -> Option<Instant> {
        let d = self.data.as_ref()?;
        (d.started && d.finished.is_none()).then(|| d.activity + self.config.data_timeout)
    }

    /// Data went quiet for too long: abort the transfer.
    fn data_timed_out(&mut self) {
        let Some(mut op) = self.ops.pop_front() else {
            return;
        };
        let step = self.op_abort(&mut op, None, ClientError::DataTimeout);
        self.apply(op, step);
        self.end_draining();
    }

    /// Whether the active operation is a transfer whose positive final
    /// reply is in and whose data the adapter is still reading.
    fn awaiting_data_end(&self) -> bool {
        self.front_started
            && self.ops.front().is_some_and(|op| op.awaits_data_end())
            && self.data.as_ref().is_some_and(|d| d.finished.is_none())
    }

    /// The control connection ends under a transfer that the server
    /// already reported complete: its data (on its own connection) may
    /// still be read to the end, and the transfer finishes as usual; then
    /// the session closes for `reason`. Nothing more is sent or read on the
    /// control connection.
    fn drain(&mut self, reason: CloseReason) {
        self.phase = Phase::Draining;
        self.draining = Some(reason);
        self.inflight.clear();
        self.reader.discard_buffered();
    }

    /// After the draining transfer ended: the close it was waiting for.
    fn end_draining(&mut self) {
        if self.phase == Phase::Draining {
            let reason = self.draining.take().unwrap_or(CloseReason::ConnectionLost);
            self.shut(reason, false);
        }
    }

    /// Sends a keep-alive `NOOP` if one is due and none is in flight.
    fn keepalive(&mut self, now: Instant) {
        let Some(interval) = self.config.keepalive else {
            return;
        };
        if !self.transfer_running() {
            self.keepalive_at = None;
            return;
        }
        match self.keepalive_at {
            None => self.keepalive_at = Some(now + interval),
            Some(at) if at <= now => {
                if !self.inflight.iter().any(|f| f.role == Role::KeepAlive)
                    && Command::<Bytes>::Noop.encode(&mut self.out).is_ok()
                {
                    self.inflight.push_back(InFlight {
                        verb: "NOOP",
                        role: Role::KeepAlive,
                    });
                }
                self.keepalive_at = Some(now + interval);
            }
            Some(_) => {}
        }
    }

    // ------------------------------------------------------------ abort

    /// Aborts the running transfer: sends `ABOR` if its command is with the
    /// server (and consumes both the transfer's reply and ABOR's, in either
    /// order, since servers answer `426` + `226` or one `225`/`226`), tells the adapter to close the data connection,
    /// and ends the transfer with [`ClientError::Aborted`]. The returned
    /// operation ends with [`Outcome::Aborted`] once all that is done.
    ///
    /// # Errors
    /// `WrongState` if the active operation is not a transfer; `Closed`.
    pub fn abort(&mut self, now: Instant) -> Result<OpId, UsageError> {
        self.now = now;
        if self.phase == Phase::Closed {
            return Err(UsageError::new(UsageErrorKind::Closed, ()));
        }
        let active_transfer = self.front_started
            && matches!(self.ops.front(), Some(Op { kind: OpKind::Transfer(t), .. }) if !t.is_aborting());
        if !active_transfer {
            return Err(UsageError::new(UsageErrorKind::WrongState, ()));
        }
        let id = self.alloc_op();
        self.aborts.push(id);
        if let Some(mut op) = self.ops.pop_front() {
            let step = self.op_abort(&mut op, Some(id), ClientError::Aborted);
            self.apply(op, step);
        }
        self.flush_advance();
        Ok(id)
    }

    /// Sends `ABOR` outside the queue, answered to `abort_op`.
    pub(crate) fn send_abor(&mut self, abort_op: Option<OpId>) {
        if Command::<Bytes>::Abor.encode(&mut self.out).is_ok() {
            self.inflight.push_back(InFlight {
                verb: "ABOR",
                role: Role::Abort(abort_op),
            });
            self.last_exchange = self.now;
        }
    }
}

pub(crate) fn is_transfer_verb(verb: &str) -> bool {
    matches!(
        verb,
        "RETR" | "STOR" | "STOU" | "APPE" | "LIST" | "NLST" | "MLSD"
    )
}

impl Session for ClientSession {
    type Event = ClientEvent;

    fn input_buffer(&mut self) -> &mut BytesMut {
        self.reader.buffer_mut()
    }

    fn process_input(&mut self, now: Instant) {
        self.now = now;
        while matches!(self.phase, Phase::Greeting | Phase::Ready) {
            match self.reader.next_reply_owned() {
                None => break,
                Some(Ok(reply)) => self.on_reply(reply),
                // Framed, text dropped (RFC 1123 §4.1.2.11: act on the code).
                Some(Err(ReplyError::TooLong { code: Some(code) })) => {
                    self.on_reply(Reply::new(code, b""));
                }
                Some(Err(_)) => {
                    self.shut(CloseReason::Protocol(ProtocolError::MalformedReply), false);
                }
            }
        }
        if self.phase == Phase::Closed {
            self.reader.discard_buffered();
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.now = now;
        if matches!(self.phase, Phase::Closed | Phase::Draining) {
            return;
        }
        // Parse what is complete first.
        self.process_input(now);
        if self.phase == Phase::Ready && self.awaiting_data_end() {
            self.drain(CloseReason::ConnectionLost);
            return;
        }
        let quitting =
            self.front_started && matches!(self.ops.front().map(|o| &o.kind), Some(OpKind::Quit));
        self.shut(
            if quitting {
                CloseReason::Quit
            } else {
                CloseReason::ConnectionLost
            },
            quitting,
        );
    }

    fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.out.is_empty()).then(|| self.out.split().freeze())
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        [
            self.reply_deadline(),
            self.data_deadline(),
            self.keepalive_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.phase == Phase::Closed {
            return;
        }
        if self.reply_deadline().is_some_and(|d| d <= now) {
            self.shut(CloseReason::Timeout, false);
            return;
        }
        if self.data_deadline().is_some_and(|d| d <= now) {
            self.data_timed_out();
        }
        self.keepalive(now);
        self.flush_advance();
    }

    fn wants_input(&self) -> bool {
        matches!(self.phase, Phase::Greeting | Phase::Ready)
            && self.reader.buffered_len() <= self.reader.config().max_line_len
    }

    fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }
}
