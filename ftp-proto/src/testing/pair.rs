//! [`Pair`]: the client engine against the server engine in memory, with a
//! virtual clock and injected faults.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;

use super::tree::{MemoryTree, PASSWORD, Responder, USER};
use crate::client::{
    ClientConfig, ClientError, ClientEvent, ClientSession, DataRequest, Direction, OpId, Outcome,
};
use crate::data::{DataId, DataProtection};
use crate::server::{
    DataAction, Request, ServerConfig, ServerEvent, ServerSession, TransferKind, TransferOutcome,
};
use crate::{Instant, Session};

/// The server's control address in a [`Pair`] (loopback; nothing is bound).
pub const SERVER_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 21);
/// The client's control address in a [`Pair`].
pub const CLIENT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50_000);

/// Which end of a data transfer reports completion first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EofOrder {
    /// The client sees the data EOF, then the server's final reply arrives.
    #[default]
    EofFirst,
    /// The server's `226` reaches the client before the data EOF (as real servers often do).
    ReplyFirst,
}

/// Trouble to inject into a [`Pair`]. The default is none.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Faults {
    /// Control bytes are delivered at most this many at a time, in both
    /// directions (`Some(1)`: byte by byte), so every read boundary a real
    /// socket could produce is tried. `None`: all that is queued at once.
    pub control_chunk: Option<usize>,
    /// The control connection is cut once this many bytes have gone from
    /// the client to the server: nothing more is delivered either way, and
    /// both engines see the end of the connection.
    pub close_control_after: Option<usize>,
    /// Every data connection breaks after this many bytes.
    pub drop_data_after: Option<usize>,
    /// Order of the data EOF and the final reply on the client.
    pub eof_order: EofOrder,
    /// The storage answers each request this long after it was asked.
    pub storage_delay: Option<Duration>,
    /// The storage never answers.
    pub storage_dead: bool,
    /// The control connection is a black hole: nothing arrives either way.
    pub control_dead: bool,
    /// Data stays put (no bytes move) until cleared: lets a test act mid-transfer.
    pub hold_data: bool,
}

/// One data connection between the two engines.
#[derive(Debug)]
struct DataConn {
    client_id: DataId,
    server_id: DataId,
    client: Option<(OpId, Direction, u64, DataProtection)>,
    server: Option<(TransferKind, DataProtection)>,
    payload: Option<Vec<u8>>,
    moved: usize,
    /// The client's end is over (EOF, failure or closed).
    client_done: bool,
    /// The server's end is over (`transfer_done` reported).
    server_done: bool,
    /// `EofOrder::ReplyFirst`: the client EOF waits for the control pipe to drain.
    client_eof_pending: bool,
}

/// The client engine, the server engine and everything between them: both
/// adapters played in memory, following the drain contract on each side.
///
/// A `Pair` owns both sessions, the two directions of the control
/// connection (byte queues), the data connections (in-memory byte moves), a
/// [`Responder`] that answers the server's requests (by default a
/// [`MemoryTree`]) and a virtual clock. It performs both sides' data
/// requests and acknowledges TLS upgrades once both sides asked for one (the
/// handshake itself is not simulated), and records what happened.
///
/// - [`Pair::step`] does one round of work without moving the clock and says
///   whether anything happened; [`Pair::settle`] steps until nothing does.
/// - [`Pair::drive`] settles and, while client operations are pending and
///   nothing can happen, moves the clock to the next deadline (either
///   engine's timer, or a delayed answer) and fires it.
/// - [`Faults`] injects trouble.
///
/// The helpers that check outcomes ([`Pair::ok`], [`Pair::err`]) panic
/// with both sides' control traffic when the check fails: they are meant
/// for tests.
#[derive(Debug)]
pub struct Pair<R = MemoryTree> {
    /// The virtual clock.
    pub now: Instant,
    /// The client engine.
    pub client: ClientSession,
    /// The server engine.
    pub server: ServerSession,
    /// What answers the server's requests.
    pub responder: R,
    /// Injected trouble.
    pub faults: Faults,
    /// Bytes to upload, per operation (the client side's files).
    pub uploads: BTreeMap<OpId, Vec<u8>>,
    /// Bytes downloaded, per operation.
    pub downloads: BTreeMap<OpId, Vec<u8>>,
    /// Every client event, in order.
    pub client_log: Vec<ClientEvent>,
    /// Every server event, as text, in order.
    pub server_log: Vec<String>,
    /// Every byte the client sent on the control connection.
    pub client_wire: Vec<u8>,
    /// Every byte the server sent on the control connection.
    pub server_wire: Vec<u8>,
    /// Control-connection TLS upgrades completed.
    pub tls_upgrades: usize,
    /// Control-connection TLS shutdowns (`CCC`, `REIN`) completed.
    pub tls_downgrades: usize,
    /// (client, server) protection of every transfer both sides started.
    pub protections: Vec<(DataProtection, DataProtection)>,
    /// Harness-level anomalies (mismatched data addresses, refused
    /// answers, ...). A correct pair of engines leaves this empty.
    pub anomalies: Vec<String>,
    /// Control bytes delivered from the client to the server so far.
    c2s_delivered: usize,
    control_cut: bool,
    c2s: VecDeque<u8>,
    s2c: VecDeque<u8>,
    client_eof_sent: bool,
    server_eof_sent: bool,
    client_wants_tls: bool,
    server_wants_tls: bool,
    client_wants_clear: bool,
    server_wants_clear: bool,
    next_port: u16,
    /// Passive listeners: port → server data id.
    server_listeners: BTreeMap<u16, DataId>,
    /// Active listeners: port → client data id.
    client_listeners: BTreeMap<u16, DataId>,
    conns: Vec<DataConn>,
    pending: Vec<(Instant, Request)>,
}

/// The harness could not get the client's operations done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// Client operations still pending.
    pub pending_ops: usize,
    /// Why.
    pub reason: &'static str,
}

impl Pair<MemoryTree> {
    /// Both engines with default configurations and [`MemoryTree::sample`].
    #[must_use]
    pub fn new() -> Self {
        Self::with(ClientConfig::default(), ServerConfig::default())
    }

    /// Both engines with these configurations and [`MemoryTree::sample`].
    #[must_use]
    pub fn with(client: ClientConfig, server: ServerConfig) -> Self {
        Self::with_responder(client, server, MemoryTree::sample())
    }

    /// Logs in as [`USER`] and waits for it.
    ///
    /// # Panics
    /// If the login does not succeed.
    #[track_caller]
    pub fn login(&mut self) {
        self.login_as(USER, PASSWORD);
    }
}

impl<R: Responder> Pair<R> {
    /// Both engines with these configurations, the server's requests
    /// answered by `responder`. The clock starts at [`Instant::ZERO`].
    #[must_use]
    pub fn with_responder(client: ClientConfig, server: ServerConfig, responder: R) -> Self {
        let now = Instant::ZERO;
        Self {
            now,
            client: ClientSession::new(now, client, SERVER_ADDR),
            server: ServerSession::new(now, Arc::new(server), CLIENT_ADDR, SERVER_ADDR),
            responder,
            faults: Faults::default(),
            uploads: BTreeMap::new(),
            downloads: BTreeMap::new(),
            client_log: Vec::new(),
            server_log: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            tls_upgrades: 0,
            tls_downgrades: 0,
            protections: Vec::new(),
            anomalies: Vec::new(),
            c2s_delivered: 0,
            control_cut: false,
            c2s: VecDeque::new(),
            s2c: VecDeque::new(),
            client_eof_sent: false,
            server_eof_sent: false,
            client_wants_tls: false,
            server_wants_tls: false,
            client_wants_clear: false,
            server_wants_clear: false,
            next_port: 40_000,
            server_listeners: BTreeMap::new(),
            client_listeners: BTreeMap::new(),
            conns: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// How operation `op` ended, if it has.
    #[must_use]
    pub fn result(&self, op: OpId) -> Option<&Result<Outcome, ClientError>> {
        let mut it = self.client_log.iter().filter_map(|e| match e {
            ClientEvent::Finished { op: o, result } if *o == op => Some(result),
            _ => None,
        });
        let first = it.next();
        assert!(it.next().is_none(), "{op} finished twice");
        first
    }

    /// The outcome of `op`, which must have succeeded.
    #[track_caller]
    #[must_use]
    pub fn ok(&self, op: OpId) -> &Outcome {
        match self.result(op) {
            Some(Ok(o)) => o,
            other => panic!(
                "{op}: {other:?}\nclient sent: {}\nserver sent: {}",
                self.client_text(),
                self.server_text()
            ),
        }
    }

    /// The error of `op`, which must have failed.
    #[track_caller]
    #[must_use]
    pub fn err(&self, op: OpId) -> &ClientError {
        match self.result(op) {
            Some(Err(e)) => e,
            other => panic!("{op}: expected an error, got {other:?}"),
        }
    }

    /// The client's control bytes so far, as text.
    #[must_use]
    pub fn client_text(&self) -> String {
        String::from_utf8_lossy(&self.client_wire).into_owned()
    }

    /// The server's control bytes so far, as text.
    #[must_use]
    pub fn server_text(&self) -> String {
        String::from_utf8_lossy(&self.server_wire).into_owned()
    }

    /// Logs in as `user` and waits for it.
    ///
    /// # Panics
    /// If the login does not succeed.
    #[track_caller]
    pub fn login_as(&mut self, user: &str, password: &str) {
        let op = self
            .client
            .login(
                self.now,
                bytes::Bytes::copy_from_slice(user.as_bytes()),
                crate::Secret::new(bytes::Bytes::copy_from_slice(password.as_bytes())),
                None,
            )
            .expect("queued");
        if let Err(stuck) = self.drive() {
            panic!("login stuck: {stuck:?}");
        }
        assert!(
            matches!(self.ok(op), Outcome::LoggedIn(_)),
            "login: {:?}",
            self.result(op)
        );
    }

    /// Moves the clock by `d` and fires due timers on both sides.
    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        self.fire_timers();
    }

    fn fire_timers(&mut self) {
        let now = self.now;
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        if self.server.poll_timeout().is_some_and(|t| t <= now) {
            self.server.handle_timeout(now);
        }
    }

    /// One round of work at the current time; whether anything happened.
    pub fn step(&mut self) -> bool {
        let mut progress = false;
        progress |= self.pump_client();
        progress |= self.pump_server();
        progress |= self.answer_requests();
        progress |= self.deliver_control();
        progress |= self.move_data();
        progress |= self.control_eof();
        progress
    }

    /// Steps until nothing happens (at most `max` steps).
    pub fn settle_bounded(&mut self, max: usize) -> Result<(), Stuck> {
        for _ in 0..max {
            if !self.step() {
                return Ok(());
            }
        }
        Err(Stuck {
            pending_ops: self.client.pending_ops(),
            reason: "no quiescence within the step bound",
        })
    }

    /// Steps until nothing happens.
    pub fn settle(&mut self) -> Result<(), Stuck> {
        self.settle_bounded(1_000_000)
    }

    /// [`Pair::drive_bounded`] with generous bounds.
    pub fn drive(&mut self) -> Result<(), Stuck> {
        self.drive_bounded(1_000_000, 1_000)
    }

    /// Settles; while client operations are pending and nothing can happen,
    /// moves the clock to the next deadline and fires it. At most
    /// `max_steps` steps per settling and `max_jumps` clock moves.
    pub fn drive_bounded(&mut self, max_steps: usize, max_jumps: usize) -> Result<(), Stuck> {
        for _ in 0..=max_jumps {
            self.settle_bounded(max_steps)?;
            let waiting = self.client.pending_ops() > 0 && !self.client.is_closed();
            if !waiting {
                return Ok(());
            }
            let next = [
                self.client.poll_timeout(),
                self.server.poll_timeout(),
                self.pending.iter().map(|(t, _)| *t).min(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                return Err(Stuck {
                    pending_ops: self.client.pending_ops(),
                    reason: "operations pending and nothing scheduled",
                });
            };
            if next > self.now {
                self.now = next;
            }
            self.fire_timers();
        }
        Err(Stuck {
            pending_ops: self.client.pending_ops(),
            reason: "too many clock moves",
        })
    }

    // ------------------------------------------------------------ the client's adapter

    fn pump_client(&mut self) -> bool {
        let mut progress = false;
        while let Some(frame) = self.client.poll_transmit() {
            self.client_wire.extend_from_slice(&frame);
            if !self.faults.control_dead {
                self.c2s.extend(frame.iter());
            }
            progress = true;
        }
        while let Some(event) = self.client.poll_event() {
            progress = true;
            self.client_log.push(event.clone());
            self.on_client_event(event);
        }
        progress
    }

    fn on_client_event(&mut self, event: ClientEvent) {
        let now = self.now;
        match event {
            ClientEvent::Data(DataRequest::Connect { id, addr, .. }) => {
                if addr.ip() != SERVER_ADDR.ip() {
                    self.anomalies
                        .push(format!("client connects to {addr}, not the server"));
                }
                match self.server_listeners.remove(&addr.port()) {
                    Some(sid) => {
                        let remote = SocketAddr::new(CLIENT_ADDR.ip(), self.port());
                        let _ = self.server.data_connected(now, sid, remote);
                        let _ = self.client.data_connected(now, id);
                        self.conns.push(DataConn::new(id, sid));
                    }
                    None => {
                        let _ = self.client.data_failed(now, id);
                    }
                }
            }
            ClientEvent::Data(DataRequest::Listen { id, .. }) => {
                let port = self.port();
                self.client_listeners.insert(port, id);
                let addr = SocketAddr::new(CLIENT_ADDR.ip(), port);
                let _ = self.client.data_listening(now, id, addr);
            }
            ClientEvent::Data(DataRequest::Close { id }) => {
                self.client_listeners.retain(|_, c| *c != id);
                if let Some(i) = self.conns.iter().position(|c| c.client_id == id) {
                    let c = &mut self.conns[i];
                    c.client_done = true;
                    c.client_eof_pending = false;
                    if c.server.is_some() && !c.server_done {
                        // The server's adapter sees the connection break.
                        c.server_done = true;
                        let sid = c.server_id;
                        let _ =
                            self.server
                                .transfer_done(now, sid, TransferOutcome::ConnectionLost);
                    }
                }
            }
            ClientEvent::Transfer(t) => {
                match self.conns.iter_mut().find(|c| c.client_id == t.id) {
                    Some(c) => c.client = Some((t.op, t.direction, t.offset, t.protection)),
                    None => self
                        .anomalies
                        .push(format!("client transfer on unknown {:?}", t.id)),
                }
                if t.direction == Direction::Download {
                    self.downloads.entry(t.op).or_default();
                }
            }
            ClientEvent::UpgradeTls => self.client_wants_tls = true,
            ClientEvent::DowngradeTls => self.client_wants_clear = true,
            _ => {}
        }
        self.maybe_tls();
    }

    // ------------------------------------------------------------ the server's adapter

    fn pump_server(&mut self) -> bool {
        let mut progress = false;
        while let Some(frame) = self.server.poll_transmit() {
            self.server_wire.extend_from_slice(&frame);
            if !self.faults.control_dead {
                self.s2c.extend(frame.iter());
            }
            progress = true;
        }
        while let Some(event) = self.server.poll_event() {
            progress = true;
            self.server_log.push(format!("{event:?}"));
            self.on_server_event(event);
        }
        progress
    }

    fn on_server_event(&mut self, event: ServerEvent) {
        let now = self.now;
        match event {
            ServerEvent::Request(r) => {
                let due = match (self.faults.storage_dead, self.faults.storage_delay) {
                    (true, _) => None,
                    (false, Some(d)) => Some(now + d),
                    (false, None) => Some(now),
                };
                match due {
                    Some(due) => self.pending.push((due, r)),
                    // Never answered: the token is dropped on the floor.
                    None => drop(r),
                }
            }
            ServerEvent::Data(DataAction::Listen { id, ip }) => {
                let port = self.port();
                self.server_listeners.insert(port, id);
                let _ = self
                    .server
                    .data_listening(now, id, Ok(SocketAddr::new(ip, port)));
            }
            ServerEvent::Data(DataAction::Connect { id, addr }) => {
                match self.client_listeners.remove(&addr.port()) {
                    Some(cid) => {
                        let _ = self.server.data_connected(now, id, addr);
                        let _ = self.client.data_connected(now, cid);
                        self.conns.push(DataConn::new(cid, id));
                    }
                    None => {
                        let _ = self
                            .server
                            .transfer_done(now, id, TransferOutcome::NeverConnected);
                    }
                }
            }
            ServerEvent::Data(DataAction::Close { id }) => {
                self.server_listeners.retain(|_, s| *s != id);
                self.break_conn(id, false);
            }
            ServerEvent::Transfer(t) => match self.conns.iter_mut().find(|c| c.server_id == t.id) {
                Some(c) => c.server = Some((t.kind, t.protection)),
                None => {
                    self.anomalies
                        .push(format!("server transfer on unknown {:?}", t.id));
                }
            },
            ServerEvent::Abort { id, .. } => self.break_conn(id, true),
            ServerEvent::UpgradeTls { .. } => self.server_wants_tls = true,
            ServerEvent::DowngradeTls { .. } => self.server_wants_clear = true,
            _ => {}
        }
        self.maybe_tls();
    }

    /// The server's side of a data connection goes away.
    fn break_conn(&mut self, sid: DataId, report: bool) {
        let now = self.now;
        let Some(c) = self.conns.iter_mut().find(|c| c.server_id == sid) else {
            if report {
                let _ = self
                    .server
                    .transfer_done(now, sid, TransferOutcome::Aborted);
            }
            return;
        };
        if !c.client_done {
            c.client_done = true;
            c.client_eof_pending = false;
            let cid = c.client_id;
            let _ = self.client.data_failed(now, cid);
        }
        if report && !c.server_done {
            c.server_done = true;
            let _ = self
                .server
                .transfer_done(now, sid, TransferOutcome::Aborted);
        }
        c.server_done = c.server_done || c.server.is_none();
    }

    fn answer_requests(&mut self) -> bool {
        let now = self.now;
        let mut progress = false;
        while let Some(i) = self.pending.iter().position(|(t, _)| *t <= now) {
            let (_, request) = self.pending.remove(i);
            if self.server.is_closed() {
                // The session is over: an adapter drops what it still had.
                progress = true;
                continue;
            }
            let answer = self.responder.answer(now, request.kind());
            if let Err(e) = self.server.answer(now, request, answer) {
                self.anomalies.push(format!("answer refused: {:?}", e.kind));
            }
            progress = true;
        }
        progress
    }

    fn maybe_tls(&mut self) {
        if self.client_wants_tls && self.server_wants_tls {
            self.client_wants_tls = false;
            self.server_wants_tls = false;
            let now = self.now;
            let _ = self.server.tls_established(now);
            let _ = self.client.tls_established(now);
            self.tls_upgrades += 1;
        }
        // Both ends exchange close_notify; neither goes on before the other
        // is ready (the wire holds no TLS bytes in this harness).
        if self.client_wants_clear && self.server_wants_clear {
            self.client_wants_clear = false;
            self.server_wants_clear = false;
            let now = self.now;
            let _ = self.server.tls_cleared(now);
            let _ = self.client.tls_cleared(now);
            self.tls_downgrades += 1;
        }
    }

    fn port(&mut self) -> u16 {
        self.next_port = self.next_port.wrapping_add(1).max(1024);
        self.next_port
    }

    // ------------------------------------------------------------ the wires

    fn deliver_control(&mut self) -> bool {
        let now = self.now;
        let mut progress = false;
        let limit = self.faults.control_chunk.map_or(usize::MAX, |n| n.max(1));
        let take = |q: &mut VecDeque<u8>, most: usize| -> Vec<u8> {
            let n = q.len().min(most);
            q.drain(..n).collect()
        };
        if self.control_cut {
            return false;
        }
        if !self.c2s.is_empty() && !self.server.is_closed() && self.server.wants_input() {
            let left = self
                .faults
                .close_control_after
                .map_or(usize::MAX, |n| n.saturating_sub(self.c2s_delivered));
            let chunk = take(&mut self.c2s, limit.min(left));
            self.c2s_delivered += chunk.len();
            self.server.handle_input(now, &chunk);
            progress = true;
        }
        if !self.s2c.is_empty() {
            if self.client.is_closed() {
                self.s2c.clear();
            } else if self.client.wants_input() {
                let chunk = take(&mut self.s2c, limit);
                self.client.handle_input(now, &chunk);
                progress = true;
            }
        }
        if self
            .faults
            .close_control_after
            .is_some_and(|n| self.c2s_delivered >= n)
        {
            // The connection breaks: what is in flight is lost, and both
            // ends see it closed.
            self.control_cut = true;
            self.c2s.clear();
            self.s2c.clear();
            self.client_eof_sent = true;
            self.server_eof_sent = true;
            self.client.handle_eof(now);
            self.server.handle_eof(now);
            progress = true;
        }
        progress
    }

    fn control_eof(&mut self) -> bool {
        let now = self.now;
        let mut progress = false;
        if self.faults.control_dead {
            return false;
        }
        if self.server.is_closed() && self.s2c.is_empty() && !self.client_eof_sent {
            self.client_eof_sent = true;
            self.client.handle_eof(now);
            progress = true;
        }
        if self.client.is_closed() && self.c2s.is_empty() && !self.server_eof_sent {
            self.server_eof_sent = true;
            self.server.handle_eof(now);
            progress = true;
        }
        progress
    }

    fn move_data(&mut self) -> bool {
        let now = self.now;
        let mut progress = false;
        for i in 0..self.conns.len() {
            // A client EOF waiting for the final reply to be read first.
            if self.conns[i].client_eof_pending && self.s2c.is_empty() {
                let c = &mut self.conns[i];
                c.client_eof_pending = false;
                c.client_done = true;
                let cid = c.client_id;
                let _ = self.client.data_finished(now, cid);
                progress = true;
                continue;
            }
            let c = &self.conns[i];
            if c.client_done || c.server_done || self.faults.hold_data {
                continue;
            }
            let (Some((op, dir, offset, cprot)), Some((kind, sprot))) = (&c.client, &c.server)
            else {
                continue;
            };
            let (op, dir, offset, cprot, kind, sprot) =
                (*op, *dir, *offset, *cprot, kind.clone(), *sprot);
            if c.payload.is_none() {
                self.protections.push((cprot, sprot));
                let payload = match (&kind, dir) {
                    (TransferKind::Retrieve { path, offset }, Direction::Download) => {
                        self.responder.read(path, *offset)
                    }
                    (TransferKind::Listing(b), Direction::Listing) => b.to_vec(),
                    (TransferKind::DirectoryListing { path, style }, Direction::Listing) => {
                        // Rendered as an adapter does, line by line.
                        let mut out = bytes::BytesMut::new();
                        for entry in self.responder.entries(path) {
                            if style.write_line(&entry, &mut out).is_err() {
                                self.anomalies
                                    .push(format!("entry not renderable: {:?}", entry.name));
                            }
                        }
                        out.to_vec()
                    }
                    (_, Direction::Upload) if kind.is_upload() => {
                        let src = self.uploads.get(&op).cloned().unwrap_or_default();
                        src.get(offset as usize..).unwrap_or_default().to_vec()
                    }
                    _ => {
                        self.anomalies.push(format!(
                            "directions differ: client {dir:?}, server {kind:?}"
                        ));
                        Vec::new()
                    }
                };
                self.conns[i].payload = Some(payload);
            }
            let c = &mut self.conns[i];
            let payload = c.payload.as_deref().unwrap_or_default();
            let limit = self.faults.drop_data_after.unwrap_or(usize::MAX);
            let end = payload.len().min(limit);
            let chunk = payload[c.moved..end.max(c.moved)].to_vec();
            c.moved += chunk.len();
            let (cid, sid, moved, total) = (c.client_id, c.server_id, c.moved, payload.len());
            if !chunk.is_empty() {
                match dir {
                    Direction::Download => {
                        self.downloads
                            .entry(op)
                            .or_default()
                            .extend_from_slice(&chunk);
                        let _ = self.client.data_progress(now, cid);
                    }
                    Direction::Listing => {
                        let _ = self.client.listing_data(now, cid, &chunk);
                    }
                    Direction::Upload => {
                        let _ = self.client.data_progress(now, cid);
                    }
                }
            }
            if moved < total {
                // Dropped mid-transfer.
                let c = &mut self.conns[i];
                c.client_done = true;
                c.server_done = true;
                let _ = self.client.data_failed(now, cid);
                let _ = self
                    .server
                    .transfer_done(now, sid, TransferOutcome::ConnectionLost);
                progress = true;
                continue;
            }
            // Everything moved: both ends close.
            progress = true;
            let bytes = total as u64;
            if dir == Direction::Upload {
                let data = self.conns[i].payload.clone().unwrap_or_default();
                self.responder.write(&kind, &data);
                self.conns[i].client_done = true;
                self.conns[i].server_done = true;
                let _ = self.client.data_finished(now, cid);
                let _ = self
                    .server
                    .transfer_done(now, sid, TransferOutcome::Complete { bytes });
            } else {
                self.conns[i].server_done = true;
                match self.faults.eof_order {
                    EofOrder::EofFirst => {
                        self.conns[i].client_done = true;
                        let _ = self.client.data_finished(now, cid);
                        let _ = self.server.transfer_done(
                            now,
                            sid,
                            TransferOutcome::Complete { bytes },
                        );
                    }
                    EofOrder::ReplyFirst => {
                        self.conns[i].client_eof_pending = true;
                        let _ = self.server.transfer_done(
                            now,
                            sid,
                            TransferOutcome::Complete { bytes },
                        );
                    }
                }
            }
        }
        progress
    }
}

impl Default for Pair<MemoryTree> {
    fn default() -> Self {
        Self::new()
    }
}

impl DataConn {
    fn new(client_id: DataId, server_id: DataId) -> Self {
        Self {
            client_id,
            server_id,
            client: None,
            server: None,
            payload: None,
            moved: 0,
            client_done: false,
            server_done: false,
            client_eof_pending: false,
        }
    }
}
