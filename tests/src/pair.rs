//! A deterministic in-memory harness: the client engine against the server
//! engine, with no sockets, threads or clock.
//!
//! A [`Pair`] owns both sessions, the two directions of the control
//! connection (byte queues), the data connections (in-memory byte moves), a
//! fake storage ([`MemFs`]) that answers the server's requests from an
//! in-memory tree, and a virtual clock. It plays both adapters: it follows
//! the drain contract of [`Session`] on each side, performs their data
//! requests, acknowledges TLS upgrades once both sides asked for one (the
//! handshake itself is not simulated), and records what happened.
//!
//! - [`Pair::step`] does one round of work without moving the clock and says
//!   whether anything happened; [`Pair::settle`] steps until nothing does.
//! - [`Pair::drive`] settles, and while client operations are pending and
//!   nothing can happen, moves the clock to the next deadline (either
//!   engine's timer, or a delayed storage answer) and fires it.
//!   [`Pair::drive_bounded`] does the same with an explicit bound.
//! - [`Faults`] injects trouble: control bytes delivered one at a time, data
//!   connections dropped after N bytes, `226` delivered before the data EOF,
//!   slow storage, a dead (black-holed) control connection.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ftp_proto::client::{
    ClientConfig, ClientError, ClientEvent, ClientSession, DataRequest, Direction, OpId, Outcome,
};
use ftp_proto::data::{DataId, DataProtection};
use ftp_proto::listing::{FileInfo, FileKind};
use ftp_proto::path::VirtualPath;
use ftp_proto::server::{
    Answer, DataAction, Denial, FsError, Request, RequestKind, ServerConfig, ServerEvent,
    ServerSession, TransferKind, TransferOutcome,
};
use ftp_proto::{Instant, Session, Timestamp};

/// The user [`MemFs`] lets in.
pub const USER: &str = "alice";
/// [`USER`]'s password.
pub const PASSWORD: &str = "s3cret";

/// The server's control address (loopback; nothing is ever bound).
pub const SERVER_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 21);
/// The client's control address.
pub const CLIENT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50_000);

/// One node of the in-memory tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory.
    Dir,
    /// A file with its contents.
    File(Vec<u8>),
}

/// An in-memory file tree that answers the server engine's requests.
///
/// Keys are absolute paths (`/`, `/a`, `/a/b.txt`). Every node has the
/// modification time [`MemFs::mtime`] unless set with `MFMT`.
#[derive(Debug, Clone)]
pub struct MemFs {
    /// The nodes.
    pub nodes: BTreeMap<Vec<u8>, (Node, Timestamp)>,
    /// Modification time of new nodes.
    pub mtime: Timestamp,
    /// The wall clock handed to the server for LIST dates.
    pub wall_clock: Timestamp,
    unique: u32,
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty root.
    #[must_use]
    pub fn new() -> Self {
        let mtime = Timestamp::from_unix(1_704_164_645, 0); // 2024-01-02 03:04:05
        let mut nodes = BTreeMap::new();
        nodes.insert(b"/".to_vec(), (Node::Dir, mtime));
        Self {
            nodes,
            mtime,
            wall_clock: Timestamp::from_unix(1_732_492_800, 0), // 2024-11-25
            unique: 0,
        }
    }

    /// The test tree: `/hello.txt`, `/data.bin` (1000 bytes), `/sub dir/`,
    /// `/sub dir/nested.txt`, `/empty/`.
    #[must_use]
    pub fn sample() -> Self {
        let mut fs = Self::new();
        fs.add_file("/hello.txt", b"hello from the pair harness\n");
        fs.add_file("/data.bin", &sample_bytes(1000));
        fs.add_dir("/sub dir");
        fs.add_file("/sub dir/nested.txt", b"nested\r\n");
        fs.add_dir("/empty");
        fs
    }

    /// Adds (or replaces) a file.
    pub fn add_file(&mut self, path: &str, contents: &[u8]) {
        self.nodes.insert(
            path.as_bytes().to_vec(),
            (Node::File(contents.to_vec()), self.mtime),
        );
    }

    /// Adds a directory.
    pub fn add_dir(&mut self, path: &str) {
        self.nodes
            .insert(path.as_bytes().to_vec(), (Node::Dir, self.mtime));
    }

    /// A file's contents.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(path.as_bytes()) {
            Some((Node::File(c), _)) => Some(c),
            _ => None,
        }
    }

    /// Whether `path` is a directory.
    #[must_use]
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.nodes.get(path.as_bytes()), Some((Node::Dir, _)))
    }

    fn get(&self, p: &VirtualPath) -> Option<&(Node, Timestamp)> {
        self.nodes.get(p.as_bytes())
    }

    fn parent_is_dir(&self, p: &VirtualPath) -> bool {
        p.parent()
            .is_some_and(|d| matches!(self.get(&d), Some((Node::Dir, _))))
    }

    fn info(&self, path: &[u8], node: &(Node, Timestamp)) -> FileInfo {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path).to_vec();
        let name = if name.is_empty() { b"/".to_vec() } else { name };
        match &node.0 {
            Node::Dir => FileInfo::new(name, FileKind::Directory).with_modified(node.1),
            Node::File(c) => FileInfo::new(name, FileKind::File)
                .with_size(c.len() as u64)
                .with_modified(node.1),
        }
    }

    /// The children of directory `dir`, in name order.
    fn children(&self, dir: &[u8]) -> Vec<FileInfo> {
        let prefix: Vec<u8> = if dir == b"/" {
            b"/".to_vec()
        } else {
            [dir, b"/"].concat()
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains(&b'/'))
            .map(|(k, n)| self.info(k, n))
            .collect()
    }

    /// The answer to one request.
    pub fn answer(&mut self, kind: &RequestKind) -> Answer {
        use FsError::*;
        match kind {
            RequestKind::Login { user, password, .. } => {
                if &user[..] == USER.as_bytes() && password.expose() == PASSWORD.as_bytes() {
                    Answer::LoggedIn { home: None }
                } else {
                    Answer::Denied(Denial::BadCredentials)
                }
            }
            RequestKind::Account { .. } | RequestKind::Host { .. } => Answer::Done,
            RequestKind::ChangeDir { path } => match self.get(path) {
                Some((Node::Dir, _)) => Answer::Done,
                Some(_) => Answer::Error(NotADirectory),
                None => Answer::Error(NotFound),
            },
            RequestKind::MakeDir { path } => {
                if self.get(path).is_some() {
                    Answer::Error(AlreadyExists)
                } else if !self.parent_is_dir(path) {
                    Answer::Error(NotFound)
                } else {
                    self.nodes
                        .insert(path.as_bytes().to_vec(), (Node::Dir, self.mtime));
                    Answer::Done
                }
            }
            RequestKind::RemoveDir { path } => match self.get(path) {
                Some((Node::Dir, _)) if self.children(path.as_bytes()).is_empty() => {
                    self.nodes.remove(path.as_bytes());
                    Answer::Done
                }
                Some((Node::Dir, _)) => Answer::Error(Busy),
                Some(_) => Answer::Error(NotADirectory),
                None => Answer::Error(NotFound),
            },
            RequestKind::Delete { path } => match self.get(path) {
                Some((Node::File(_), _)) => {
                    self.nodes.remove(path.as_bytes());
                    Answer::Done
                }
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::RenameFrom { path } => match self.get(path) {
                Some(_) => Answer::Done,
                None => Answer::Error(NotFound),
            },
            RequestKind::Rename { from, to } => {
                if self.get(to).is_some() {
                    return Answer::Error(AlreadyExists);
                }
                let from_b = from.as_bytes().to_vec();
                let moved: Vec<Vec<u8>> = self
                    .nodes
                    .keys()
                    .filter(|k| **k == from_b || k.starts_with(&[&from_b[..], b"/"].concat()))
                    .cloned()
                    .collect();
                if moved.is_empty() {
                    return Answer::Error(NotFound);
                }
                for k in moved {
                    let node = self.nodes.remove(&k).expect("listed");
                    let mut nk = to.as_bytes().to_vec();
                    nk.extend_from_slice(&k[from_b.len()..]);
                    self.nodes.insert(nk, node);
                }
                Answer::Done
            }
            RequestKind::Size { path, .. } => match self.get(path) {
                Some((Node::File(c), _)) => Answer::Size(c.len() as u64),
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::ModifiedTime { path } => match self.get(path) {
                Some((_, t)) => Answer::Modified(*t),
                None => Answer::Error(NotFound),
            },
            RequestKind::SetModifiedTime { path, time } => {
                match self.nodes.get_mut(path.as_bytes()) {
                    Some(n) => {
                        n.1 = *time;
                        Answer::Modified(*time)
                    }
                    None => Answer::Error(NotFound),
                }
            }
            RequestKind::Retrieve { path, offset, .. } => match self.get(path) {
                Some((Node::File(c), _)) if *offset > c.len() as u64 => {
                    Answer::Error(InvalidOffset)
                }
                Some((Node::File(c), _)) => Answer::Ready {
                    size: Some(c.len() as u64 - offset),
                },
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::Store { path, .. } | RequestKind::Append { path, .. } => {
                match self.get(path) {
                    Some((Node::Dir, _)) => Answer::Error(NotAFile),
                    _ if !self.parent_is_dir(path) => Answer::Error(NotFound),
                    _ => Answer::Ready { size: None },
                }
            }
            RequestKind::StoreUnique { dir, .. } => loop {
                self.unique += 1;
                let name = format!("unique.{}", self.unique);
                let Ok(p) = dir.join(name.as_bytes()) else {
                    return Answer::Error(NameNotAllowed);
                };
                if self.get(&p).is_none() {
                    // Reserve the name now, as a real storage creates the file.
                    self.nodes
                        .insert(p.as_bytes().to_vec(), (Node::File(Vec::new()), self.mtime));
                    return Answer::Unique(p);
                }
            },
            RequestKind::List { path, .. } | RequestKind::Stat { path } => {
                let entries = match self.get(path) {
                    Some((Node::Dir, _)) => self.children(path.as_bytes()),
                    Some(n) => vec![self.info(path.as_bytes(), n)],
                    None => return Answer::Error(NotFound),
                };
                if matches!(
                    kind,
                    RequestKind::List {
                        format: ftp_proto::server::ListFormat::Machine,
                        ..
                    }
                ) && !self.is_dir(&String::from_utf8_lossy(path.as_bytes()))
                {
                    return Answer::Error(NotADirectory);
                }
                Answer::Listing {
                    entries,
                    now: self.wall_clock,
                }
            }
            RequestKind::MachineListOne { path } => match self.get(path) {
                Some(n) => {
                    let mut info = self.info(path.as_bytes(), n);
                    info.name = path.to_bytes();
                    Answer::Entry(Box::new(info))
                }
                None => Answer::Error(NotFound),
            },
            RequestKind::Site { command } => {
                if command.eq_ignore_ascii_case(b"HELP") {
                    Answer::Done
                } else {
                    Answer::Error(NotSupported)
                }
            }
            _ => Answer::Error(NotSupported),
        }
    }

    /// Stores an upload.
    fn write(&mut self, kind: &TransferKind, data: &[u8]) {
        let (path, offset, append) = match kind {
            TransferKind::Store { path, offset } => (path, *offset, false),
            TransferKind::Append { path } => (path, 0, true),
            _ => return,
        };
        let key = path.as_bytes().to_vec();
        let mut contents = match self.nodes.get(&key) {
            Some((Node::File(c), _)) => c.clone(),
            _ => Vec::new(),
        };
        if !append {
            contents.truncate(usize::try_from(offset).unwrap_or(usize::MAX));
        }
        contents.extend_from_slice(data);
        self.nodes.insert(key, (Node::File(contents), self.mtime));
    }
}

/// `n` bytes of a fixed pattern.
#[must_use]
pub fn sample_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Which end of a data transfer reports completion first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EofOrder {
    /// The client sees the data EOF, then the server's final reply arrives.
    #[default]
    EofFirst,
    /// The server's `226` reaches the client before the data EOF (as real servers often do).
    ReplyFirst,
}

/// Trouble to inject.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Control bytes are delivered one at a time (both directions).
    pub byte_by_byte: bool,
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

/// The client engine, the server engine and everything between them.
#[derive(Debug)]
pub struct Pair {
    /// The virtual clock.
    pub now: Instant,
    /// The client engine.
    pub client: ClientSession,
    /// The server engine.
    pub server: ServerSession,
    /// The storage behind the server.
    pub fs: MemFs,
    /// Injected trouble.
    pub faults: Faults,
    /// Bytes to upload, per operation (the client side's files).
    pub uploads: HashMap<OpId, Vec<u8>>,
    /// Bytes downloaded, per operation.
    pub downloads: HashMap<OpId, Vec<u8>>,
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
    /// Harness-level anomalies (mismatched data addresses, ...).
    pub anomalies: Vec<String>,
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
    server_listeners: HashMap<u16, DataId>,
    /// Active listeners: port → client data id.
    client_listeners: HashMap<u16, DataId>,
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

impl Pair {
    /// Both engines with default configurations and [`MemFs::sample`].
    #[must_use]
    pub fn new() -> Self {
        Self::with(ClientConfig::default(), ServerConfig::default())
    }

    /// Both engines with these configurations and [`MemFs::sample`].
    #[must_use]
    pub fn with(client: ClientConfig, server: ServerConfig) -> Self {
        let now = Instant::ZERO;
        Self {
            now,
            client: ClientSession::new(client, SERVER_ADDR, now),
            server: ServerSession::new(Arc::new(server), CLIENT_ADDR, SERVER_ADDR, now),
            fs: MemFs::sample(),
            faults: Faults::default(),
            uploads: HashMap::new(),
            downloads: HashMap::new(),
            client_log: Vec::new(),
            server_log: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            tls_upgrades: 0,
            tls_downgrades: 0,
            protections: Vec::new(),
            anomalies: Vec::new(),
            c2s: VecDeque::new(),
            s2c: VecDeque::new(),
            client_eof_sent: false,
            server_eof_sent: false,
            client_wants_tls: false,
            server_wants_tls: false,
            client_wants_clear: false,
            server_wants_clear: false,
            next_port: 40_000,
            server_listeners: HashMap::new(),
            client_listeners: HashMap::new(),
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

    /// Logs in as [`USER`] and waits for it.
    #[track_caller]
    pub fn login(&mut self) {
        let op = self
            .client
            .login(
                self.now,
                USER,
                ftp_proto::client::Secret::new(PASSWORD),
                None,
            )
            .expect("queued");
        self.drive().expect("login done");
        assert!(matches!(self.ok(op), Outcome::LoggedIn(_)));
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
                        let _ = self.server.data_connected(sid, remote, now);
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
                                .transfer_done(sid, TransferOutcome::ConnectionLost, now);
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
                    .data_listening(id, Ok(SocketAddr::new(ip, port)), now);
            }
            ServerEvent::Data(DataAction::Connect { id, addr }) => {
                match self.client_listeners.remove(&addr.port()) {
                    Some(cid) => {
                        let _ = self.server.data_connected(id, addr, now);
                        let _ = self.client.data_connected(now, cid);
                        self.conns.push(DataConn::new(cid, id));
                    }
                    None => {
                        let _ = self
                            .server
                            .transfer_done(id, TransferOutcome::NeverConnected, now);
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
                    .transfer_done(sid, TransferOutcome::Aborted, now);
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
                .transfer_done(sid, TransferOutcome::Aborted, now);
        }
        c.server_done = c.server_done || c.server.is_none();
    }

    fn answer_requests(&mut self) -> bool {
        let now = self.now;
        let mut progress = false;
        while let Some(i) = self.pending.iter().position(|(t, _)| *t <= now) {
            let (_, request) = self.pending.remove(i);
            let answer = self.fs.answer(request.kind());
            if let Err(e) = self.server.answer(request, answer, now) {
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
        let take = |q: &mut VecDeque<u8>, one: bool| -> Vec<u8> {
            let n = if one { 1.min(q.len()) } else { q.len() };
            q.drain(..n).collect()
        };
        if !self.c2s.is_empty() && !self.server.is_closed() && self.server.wants_input() {
            let chunk = take(&mut self.c2s, self.faults.byte_by_byte);
            self.server.handle_input(now, &chunk);
            progress = true;
        }
        if !self.s2c.is_empty() {
            if self.client.is_closed() {
                self.s2c.clear();
            } else if self.client.wants_input() {
                let chunk = take(&mut self.s2c, self.faults.byte_by_byte);
                self.client.handle_input(now, &chunk);
                progress = true;
            }
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
                    (TransferKind::Retrieve { path, offset }, Direction::Download) => self
                        .fs
                        .file(&String::from_utf8_lossy(path.as_bytes()))
                        .map(|f| f.get(*offset as usize..).unwrap_or_default().to_vec())
                        .unwrap_or_default(),
                    (TransferKind::Listing(b), Direction::Listing) => b.to_vec(),
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
                    .transfer_done(sid, TransferOutcome::ConnectionLost, now);
                progress = true;
                continue;
            }
            // Everything moved: both ends close.
            progress = true;
            let bytes = total as u64;
            if dir == Direction::Upload {
                let data = self.conns[i].payload.clone().unwrap_or_default();
                self.fs.write(&kind, &data);
                self.conns[i].client_done = true;
                self.conns[i].server_done = true;
                let _ = self.client.data_finished(now, cid);
                let _ = self
                    .server
                    .transfer_done(sid, TransferOutcome::Complete { bytes }, now);
            } else {
                self.conns[i].server_done = true;
                match self.faults.eof_order {
                    EofOrder::EofFirst => {
                        self.conns[i].client_done = true;
                        let _ = self.client.data_finished(now, cid);
                        let _ = self.server.transfer_done(
                            sid,
                            TransferOutcome::Complete { bytes },
                            now,
                        );
                    }
                    EofOrder::ReplyFirst => {
                        self.conns[i].client_eof_pending = true;
                        let _ = self.server.transfer_done(
                            sid,
                            TransferOutcome::Complete { bytes },
                            now,
                        );
                    }
                }
            }
        }
        progress
    }
}

impl Default for Pair {
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

/// Shorthand for a `Bytes` path.
#[must_use]
pub fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}
