//! The corner cases of the drain contract that the engines' docs promise an
//! embedder, each checked on the engine itself: what to do when a control
//! write fails, a server `Transfer` that comes before its passive connection,
//! the outcome to report for an abort whose data connection never came, and
//! data bytes that reach a client before its `Transfer` event.

use std::net::SocketAddr;
use std::sync::Arc;

use ftp_proto::client::{ClientConfig, ClientEvent, ClientSession, DataRequest, OpId, Outcome};
use ftp_proto::data::DataId;
use ftp_proto::server::{
    Answer, CloseReason, DataAction, Request, ServerConfig, ServerEvent, ServerSession,
    TransferOutcome,
};
use ftp_proto::{Instant, Session, UsageErrorKind};

const PEER: &str = "192.0.2.9:40000";

struct Server {
    s: ServerSession,
    now: Instant,
    events: Vec<ServerEvent>,
}

impl Server {
    fn new() -> Self {
        Self::with(ServerConfig::default())
    }

    fn with(mut config: ServerConfig) -> Self {
        config.timeouts.failed_login_delay = None;
        let s = ServerSession::new(
            Instant::ZERO,
            Arc::new(config),
            PEER.parse().unwrap(),
            "192.0.2.1:21".parse().unwrap(),
        );
        let mut h = Self {
            s,
            now: Instant::ZERO,
            events: Vec::new(),
        };
        assert!(h.drain().starts_with("220 "));
        h
    }

    fn drain(&mut self) -> String {
        let mut out = Vec::new();
        while let Some(b) = self.s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
        String::from_utf8(out).unwrap()
    }

    fn send(&mut self, line: &str) -> String {
        self.s
            .handle_input(self.now, format!("{line}\r\n").as_bytes());
        self.drain()
    }

    fn take_request(&mut self) -> Request {
        let i = self
            .events
            .iter()
            .position(|e| matches!(e, ServerEvent::Request(_)))
            .expect("a request");
        match self.events.remove(i) {
            ServerEvent::Request(r) => r,
            _ => unreachable!(),
        }
    }

    fn answer(&mut self, answer: Answer) -> String {
        let r = self.take_request();
        self.s.answer(self.now, r, answer).unwrap();
        self.drain()
    }

    fn login(&mut self) {
        assert!(self.send("USER alice").starts_with("331 "));
        self.send("PASS secret");
        assert!(
            self.answer(Answer::LoggedIn { home: None })
                .starts_with("230 ")
        );
    }

    /// `PASV`, with the listener bound; returns the data id.
    fn pasv(&mut self) -> DataId {
        self.send("PASV");
        let id = self
            .events
            .iter()
            .find_map(|e| match e {
                ServerEvent::Data(DataAction::Listen { id, .. }) => Some(*id),
                _ => None,
            })
            .expect("listen");
        self.s
            .data_listening(self.now, id, Ok("192.0.2.1:50000".parse().unwrap()))
            .unwrap();
        assert!(self.drain().starts_with("227 "));
        id
    }

    fn saw_transfer(&self, id: DataId) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Transfer(t) if t.id == id))
    }

    fn saw_abort(&self, id: DataId) -> Option<bool> {
        self.events.iter().find_map(|e| match e {
            ServerEvent::Abort {
                id: i,
                incomplete_upload,
            } if *i == id => Some(*incomplete_upload),
            _ => None,
        })
    }
}

/// `ServerEvent::Transfer` for a passive setup comes with the `150`, before
/// the client's data connection is accepted; the adapter accepts it
/// afterwards and reports it with `data_connected`.
#[test]
fn server_transfer_comes_before_the_passive_connection() {
    let mut h = Server::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    let out = h.answer(Answer::Ready { size: Some(3) });
    assert!(out.starts_with("150 "), "{out}");
    assert!(h.saw_transfer(id), "Transfer comes before data_connected");
    h.s.data_connected(h.now, id, "192.0.2.9:50123".parse().unwrap())
        .unwrap();
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 3 })
        .unwrap();
    assert!(h.drain().starts_with("226 "));
}

/// ABOR of a transfer whose data connection never came: the adapter stops
/// waiting and reports `NeverConnected`; the client still gets the `426`
/// then `226` that RFC 959 §4.1.3 gives an aborted transfer (Python's
/// `ftplib.abort()` refuses anything else as ABOR's first reply).
#[test]
fn abort_before_the_data_connection_came_is_426_then_226() {
    let mut h = Server::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    assert!(h.answer(Answer::Ready { size: None }).starts_with("150 "));
    assert_eq!(h.send("ABOR"), "");
    assert_eq!(h.saw_abort(id), Some(false));
    h.s.transfer_done(h.now, id, TransferOutcome::NeverConnected)
        .unwrap();
    let out = h.drain();
    let codes: Vec<&str> = out.lines().map(|l| &l[..3]).collect();
    assert_eq!(codes, ["426", "226"], "{out}");
    // The session goes on.
    assert!(h.send("NOOP").starts_with("200 "));
}

/// Without ABOR, a data connection that never came is `425`.
#[test]
fn never_connected_without_abor_is_425() {
    let mut h = Server::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    let timeout = h.s.poll_timeout().expect("the data-connect deadline");
    h.now = timeout;
    h.s.handle_timeout(timeout);
    h.drain();
    assert_eq!(h.saw_abort(id), Some(false));
    h.s.transfer_done(h.now, id, TransferOutcome::NeverConnected)
        .unwrap();
    assert!(h.drain().starts_with("425 "));
}

/// A failed control write means the connection is gone: the adapter calls
/// `handle_eof` and keeps draining; the engine stops the transfer (an upload
/// marked incomplete), closes, and needs no `transfer_done` afterwards.
#[test]
fn server_control_write_failure_is_handled_as_eof() {
    let mut h = Server::new();
    h.login();
    let id = h.pasv();
    h.send("STOR f");
    h.answer(Answer::Ready { size: None });
    h.s.data_connected(h.now, id, "192.0.2.9:50123".parse().unwrap())
        .unwrap();
    h.drain();
    // The adapter's write of some frame failed here.
    h.s.handle_eof(h.now);
    h.drain();
    assert_eq!(h.saw_abort(id), Some(true));
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::ConnectionLost))
    );
    assert!(h.s.is_closed());
    assert!(h.s.poll_timeout().is_none());
    let late =
        h.s.transfer_done(h.now, id, TransferOutcome::Aborted)
            .unwrap_err();
    assert_eq!(late.kind, UsageErrorKind::Closed);
}

struct Client {
    c: ClientSession,
    now: Instant,
    sent: Vec<u8>,
    events: Vec<ClientEvent>,
}

impl Client {
    fn new() -> Self {
        let peer: SocketAddr = "203.0.113.5:21".parse().unwrap();
        let mut s = Self {
            c: ClientSession::new(Instant::ZERO, ClientConfig::default(), peer),
            now: Instant::ZERO,
            sent: Vec::new(),
            events: Vec::new(),
        };
        s.feed(b"220 hello\r\n");
        s
    }

    fn drain(&mut self) {
        while let Some(f) = self.c.poll_transmit() {
            self.sent.extend_from_slice(&f);
        }
        while let Some(e) = self.c.poll_event() {
            self.events.push(e);
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.c.handle_input(self.now, bytes);
        self.drain();
    }

    fn sent(&mut self) -> String {
        self.drain();
        String::from_utf8(std::mem::take(&mut self.sent)).unwrap()
    }

    fn connect_id(&self) -> DataId {
        self.events
            .iter()
            .rev()
            .find_map(|e| match e {
                ClientEvent::Data(DataRequest::Connect { id, .. }) => Some(*id),
                _ => None,
            })
            .expect("a passive connect request")
    }

    fn saw_transfer(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Transfer(_)))
    }

    fn finished(&self, op: OpId) -> Option<&Outcome> {
        self.events.iter().find_map(|e| match e {
            ClientEvent::Finished { op: o, result } if *o == op => result.as_ref().ok(),
            _ => None,
        })
    }
}

/// Listing bytes (and the data connection's end) may reach the client before
/// the `150` and so before `ClientEvent::Transfer`: a server that writes as
/// soon as the passive connection is up does that. They are handed to the
/// engine as they come and belong to the listing.
#[test]
fn client_listing_bytes_may_come_before_the_transfer_event() {
    let mut s = Client::new();
    let op = s.c.list(s.now, None, None).unwrap();
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 Entering Extended Passive Mode (|||40000|)\r\n");
    let id = s.connect_id();
    assert_eq!(s.sent(), "LIST\r\n");
    s.c.data_connected(s.now, id).unwrap();
    s.drain();
    assert!(!s.saw_transfer());
    s.c.listing_data(
        s.now,
        id,
        b"-rw-r--r--   1 ftp  ftp   3 Jan 01  2024 a.txt\r\n\
          drwxr-xr-x   2 ftp  ftp   0 Jan 01  2024 sub\r\n",
    )
    .unwrap();
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(s.finished(op).is_none(), "not done before the final reply");
    s.feed(b"150 Here comes the listing.\r\n226 Done.\r\n");
    assert!(s.saw_transfer());
    match s.finished(op) {
        Some(Outcome::Listing { entries, .. }) => {
            let names: Vec<Vec<u8>> = entries.iter().map(|e| e.name.to_vec()).collect();
            assert_eq!(names, [b"a.txt".to_vec(), b"sub".to_vec()]);
        }
        other => panic!("{other:?}"),
    }
}

/// A download's data connection may end before the `150` (a small file sent
/// at once); `data_finished` is taken then, and the download completes with
/// its final reply.
#[test]
fn client_download_may_end_before_the_transfer_event() {
    let mut s = Client::new();
    let op = s.c.retrieve(s.now, "a.bin", 0).unwrap();
    assert_eq!(s.sent(), "TYPE I\r\n");
    s.feed(b"200 ok\r\n");
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 (|||40000|)\r\n");
    let id = s.connect_id();
    assert_eq!(s.sent(), "RETR a.bin\r\n");
    s.c.data_connected(s.now, id).unwrap();
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(!s.saw_transfer());
    s.feed(b"150 Opening.\r\n226 Done.\r\n");
    assert!(s.saw_transfer());
    assert!(matches!(s.finished(op), Some(Outcome::Transferred { .. })));
}

/// A failed control write on the client: `handle_eof`, keep draining; the
/// running operation ends with an error, the data connection is closed, and
/// the session is over.
#[test]
fn client_control_write_failure_is_handled_as_eof() {
    let mut s = Client::new();
    let op = s.c.retrieve(s.now, "a.bin", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||40000|)\r\n");
    let id = s.connect_id();
    s.c.data_connected(s.now, id).unwrap();
    s.c.handle_eof(s.now);
    s.drain();
    assert!(s.events.iter().any(|e| matches!(
        e,
        ClientEvent::Finished { op: o, result: Err(_) } if *o == op
    )));
    assert!(s.events.iter().any(|e| matches!(
        e,
        ClientEvent::Data(DataRequest::Close { id: i }) if *i == id
    )));
    assert!(s.c.is_closed());
}

/// A request the embedder never answers does not wedge the session: after
/// `Timeouts::answer` the command fails (`451`, or `550` where RFC 959 lists
/// no 451 for it), the next command is read, and a late answer is refused
/// with the request handed back.
#[test]
fn an_unanswered_request_times_out_and_the_session_goes_on() {
    let mut config = ServerConfig::default();
    // Only the answer timeout runs.
    config.timeouts.data_connect = None;
    config.timeouts.passive_accept = None;
    let mut h = Server::with(config);
    h.login();
    h.pasv();
    h.send("RETR f");
    let lost = h.take_request(); // the embedder drops it on the floor
    let deadline =
        h.s.poll_timeout()
            .expect("a deadline while a request waits");
    assert_eq!(
        deadline.saturating_duration_since(h.now),
        std::time::Duration::from_secs(120)
    );
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert!(h.drain().starts_with("451 "));
    assert!(h.send("NOOP").starts_with("200 "));
    let late =
        h.s.answer(h.now, lost, Answer::Ready { size: None })
            .unwrap_err();
    assert_eq!(late.kind, UsageErrorKind::UnknownId);

    // CWD lists no 451 in RFC 959 §5.4: 550.
    h.send("CWD /x");
    let _lost = h.take_request();
    let deadline = h.s.poll_timeout().unwrap();
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert!(h.drain().starts_with("550 "));
    assert!(!h.s.is_closed());
}

/// An unanswered login ends the session with `421`, as an unavailable
/// authenticator does; `Timeouts::answer = None` waits for ever.
#[test]
fn an_unanswered_login_closes_with_421() {
    let mut h = Server::new();
    h.send("USER alice");
    h.send("PASS secret");
    let _lost = h.take_request();
    // The login timeout (60 s) comes first by default; without it the
    // answer timeout ends the wait.
    let mut config = ServerConfig::default();
    config.timeouts.login = None;
    let mut h = Server::with(config);
    h.send("USER alice");
    h.send("PASS secret");
    let _lost = h.take_request();
    let deadline = h.s.poll_timeout().unwrap();
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert!(h.drain().starts_with("421 "));
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::AnswerTimeout))
    );

    let mut config = ServerConfig::default();
    config.timeouts.login = None;
    config.timeouts.answer = None;
    let mut h = Server::with(config);
    h.send("USER alice");
    h.send("PASS secret");
    let _lost = h.take_request();
    assert_eq!(h.s.poll_timeout(), None);
}
