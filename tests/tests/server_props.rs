//! Property tests of the server engine: random command streams with random
//! embedder answers and adapter reports never panic, keep every buffer under
//! its limit, produce only well-formed replies that RFC 959 §5.4 and the extension RFCs allow, and give
//! every command exactly one final reply.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ftp_proto::data::DataId;
use ftp_proto::listing::{FileInfo, FileKind};
use ftp_proto::path::VirtualPath;
use ftp_proto::reply::parse::{ReplyParser, ReplyParserConfig};
use ftp_proto::reply::{Reply, ReplyCode};
use ftp_proto::server::{
    Answer, DataAction, Denial, FsError, Request, RequestKind, ServerConfig, ServerEvent,
    ServerSession, TlsPolicy, TransferOutcome,
};
use ftp_proto::{Instant, Session, Timestamp};
use ftp_proto_tests::transcript::conformance::Checker;
use proptest::prelude::*;

const VERBS: &[&str] = &[
    "USER", "PASS", "ACCT", "CWD", "XCWD", "CDUP", "SMNT", "REIN", "QUIT", "PORT", "PASV", "TYPE",
    "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE",
    "RMD", "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP", "AUTH", "PBSZ",
    "PROT", "CCC", "FEAT", "OPTS", "EPRT", "EPSV", "SIZE", "MDTM", "MLST", "MLSD", "LANG", "HOST",
    "MFMT", "CLNT", "ADAT", "LPSV", "HASH", "XPWD", "BOGUS", "P@SW",
];

const ARGS: &[&str] = &[
    "",
    " f",
    " /a/b",
    " ..",
    " ../../etc/passwd",
    " a\rb",
    " x\0y",
    " 192,0,2,9,4,1",
    " 10,0,0,1,0,21",
    " 192,0,2,9,0,21",
    " |1|192.0.2.9|5000|",
    " |2|::1|5000|",
    " I",
    " A",
    " 100",
    " 0",
    " TLS",
    " P",
    " C",
    " ALL",
    " 2",
    " UTF8 ON",
    " MLST type;size;",
    " alice",
    " anonymous",
    " 20200101000000 f",
    " -la",
    "   ",
];

#[derive(Debug, Clone)]
enum Step {
    Line(usize, usize),
    Raw(Vec<u8>),
    Answer(u8),
    Listening(bool),
    Connected(bool),
    Done(u8),
    Progress(u64),
    Time(u16),
    TlsDone(bool),
    Eof,
    Shutdown,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => (0..VERBS.len(), 0..ARGS.len()).prop_map(|(v, a)| Step::Line(v, a)),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Step::Raw),
        6 => any::<u8>().prop_map(Step::Answer),
        2 => any::<bool>().prop_map(Step::Listening),
        2 => any::<bool>().prop_map(Step::Connected),
        2 => any::<u8>().prop_map(Step::Done),
        1 => any::<u64>().prop_map(Step::Progress),
        1 => any::<u16>().prop_map(Step::Time),
        1 => any::<bool>().prop_map(Step::TlsDone),
        1 => Just(Step::Eof),
        1 => Just(Step::Shutdown),
    ]
}

fn answer_for(kind: &RequestKind, pick: u8) -> Answer {
    let info = || FileInfo::new(Bytes::from_static(b"f"), FileKind::File).with_size(3);
    if pick.is_multiple_of(7) {
        return Answer::Error(match pick % 5 {
            0 => FsError::NotFound,
            1 => FsError::Busy,
            2 => FsError::NameNotAllowed,
            3 => FsError::LocalError,
            _ => FsError::InvalidOffset,
        });
    }
    if pick.is_multiple_of(11) {
        return Answer::Reply(Reply::new(ReplyCode::FILE_UNAVAILABLE, "raw refusal"));
    }
    match kind {
        RequestKind::Login { .. } => match pick % 3 {
            0 => Answer::LoggedIn { home: None },
            1 => Answer::NeedAccount,
            _ => Answer::Denied(Denial::BadCredentials),
        },
        RequestKind::Account { .. } => {
            if pick.is_multiple_of(2) {
                Answer::LoggedIn {
                    home: Some(VirtualPath::new(b"/home").unwrap()),
                }
            } else {
                Answer::Denied(Denial::NotAllowed)
            }
        }
        RequestKind::Size { .. } => Answer::Size(u64::from(pick)),
        RequestKind::ModifiedTime { .. } | RequestKind::SetModifiedTime { .. } => {
            Answer::Modified(Timestamp::from_unix(i64::from(pick) * 1000, 0))
        }
        RequestKind::Retrieve { .. } | RequestKind::Store { .. } | RequestKind::Append { .. } => {
            Answer::Ready {
                size: pick.is_multiple_of(2).then_some(u64::from(pick)),
            }
        }
        RequestKind::StoreUnique { .. } => Answer::Unique(VirtualPath::new(b"/u.1").unwrap()),
        RequestKind::List { .. } | RequestKind::Stat { .. } => Answer::Listing {
            entries: vec![
                info(),
                FileInfo::new(Bytes::from_static(b"123 dir"), FileKind::Directory),
            ],
            wall_clock: Timestamp::from_unix(1_700_000_000, 0),
        },
        RequestKind::MachineListOne { .. } => Answer::Entry(Box::new(info())),
        _ => Answer::Done,
    }
}

struct Driver {
    s: ServerSession,
    now: Instant,
    requests: VecDeque<Request>,
    listening: VecDeque<DataId>,
    transfers: VecDeque<DataId>,
    connectable: VecDeque<DataId>,
    tls: bool,
    checker: Checker,
    parser: ReplyParser,
    hard_limit: usize,
}

impl Driver {
    fn new(config: ServerConfig) -> Self {
        let l = config.limits;
        let hard_limit = 2 * (l.max_pipelined_bytes.max(l.max_line_len) + l.max_line_len + 4);
        let s = ServerSession::new(
            Instant::ZERO,
            Arc::new(config),
            "192.0.2.9:40000".parse().unwrap(),
            "192.0.2.1:21".parse().unwrap(),
        );
        let mut d = Self {
            s,
            now: Instant::ZERO,
            requests: VecDeque::new(),
            listening: VecDeque::new(),
            transfers: VecDeque::new(),
            connectable: VecDeque::new(),
            tls: false,
            checker: Checker::default(),
            parser: ReplyParser::new(ReplyParserConfig::default()),
            hard_limit,
        };
        d.drain().unwrap();
        d
    }

    fn drain(&mut self) -> Result<(), TestCaseError> {
        while let Some(frame) = self.s.poll_transmit() {
            check_wire(&frame)?;
            self.checker.on_output(&frame);
            self.parser.extend_from_slice(&frame);
            while let Some(r) = self.parser.next_reply() {
                prop_assert!(r.is_ok(), "reply parser refused our output");
            }
        }
        while let Some(e) = self.s.poll_event() {
            match e {
                ServerEvent::Request(r) => self.requests.push_back(r),
                ServerEvent::Data(DataAction::Listen { id, .. }) => self.listening.push_back(id),
                ServerEvent::Data(DataAction::Close { id }) => {
                    self.connectable.retain(|&i| i != id);
                }
                ServerEvent::Data(DataAction::Connect { .. }) => {}
                ServerEvent::Transfer(t) => self.transfers.push_back(t.id),
                ServerEvent::UpgradeTls { .. } => {
                    self.tls = true;
                    self.checker.forget_unanswered();
                }
                ServerEvent::InputDiscarded { .. } | ServerEvent::Closed(_) => {
                    self.checker.forget_unanswered();
                }
                _ => {}
            }
        }
        prop_assert!(
            self.s.buffered_input() <= self.hard_limit,
            "buffered {} > {}",
            self.s.buffered_input(),
            self.hard_limit
        );
        Ok(())
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), TestCaseError> {
        self.checker.on_input(bytes, self.s.is_closed() || self.tls);
        self.s.handle_input(self.now, bytes);
        self.drain()
    }

    fn apply(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::Line(v, a) => {
                let line = format!("{}{}\r\n", VERBS[*v], ARGS[*a]);
                self.feed(line.as_bytes())?;
            }
            Step::Raw(bytes) => {
                // Raw bytes end with a line end so that the checker and the
                // engine agree on line boundaries.
                let mut b: Vec<u8> = bytes
                    .iter()
                    .map(|&x| if x == b'\n' { b' ' } else { x })
                    .collect();
                b.extend_from_slice(b"\r\n");
                self.feed(&b)?;
            }
            Step::Answer(pick) => {
                if let Some(r) = self.requests.pop_front() {
                    let a = answer_for(r.kind(), *pick);
                    if let Err(e) = self.s.answer(self.now, r, a) {
                        let (r, _) = e.value;
                        if !self.s.is_closed() {
                            self.requests.push_front(r);
                        }
                    }
                    self.drain()?;
                }
            }
            Step::Listening(ok) => {
                if let Some(id) = self.listening.pop_front() {
                    let bound = if *ok {
                        Ok("192.0.2.1:50000".parse().unwrap())
                    } else {
                        Err(())
                    };
                    if self.s.data_listening(self.now, id, bound).is_ok() && *ok {
                        self.connectable.push_back(id);
                    }
                    self.drain()?;
                }
            }
            Step::Connected(foreign) => {
                if let Some(id) = self
                    .connectable
                    .pop_front()
                    .or(self.transfers.front().copied())
                {
                    let ip = if *foreign {
                        "198.51.100.1:1"
                    } else {
                        "192.0.2.9:50001"
                    };
                    let _ = self.s.data_connected(self.now, id, ip.parse().unwrap());
                    self.drain()?;
                }
            }
            Step::Done(o) => {
                if let Some(id) = self.transfers.pop_front() {
                    let outcome = outcome(*o);
                    let _ = self.s.transfer_done(self.now, id, outcome);
                    self.drain()?;
                }
            }
            Step::Progress(n) => {
                if let Some(&id) = self.transfers.front() {
                    let _ = self.s.transfer_progress(id, *n);
                }
            }
            Step::Time(secs) => {
                self.now = self.now + Duration::from_secs(u64::from(*secs));
                self.s.handle_timeout(self.now);
                self.drain()?;
            }
            Step::TlsDone(ok) => {
                if self.tls && !self.s.is_closed() {
                    if *ok {
                        self.s.tls_established(self.now).unwrap();
                    } else {
                        self.s.tls_failed(self.now).unwrap();
                    }
                    self.tls = false;
                    self.drain()?;
                }
            }
            Step::Eof => {
                self.s.handle_eof(self.now);
                self.drain()?;
            }
            Step::Shutdown => {
                self.s.shutdown(self.now);
                self.drain()?;
            }
        }
        Ok(())
    }

    /// Answers and completes everything outstanding with well-fitting values.
    fn settle(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..10_000 {
            if self.s.is_closed() {
                return Ok(());
            }
            if let Some(r) = self.requests.pop_front() {
                let a = answer_for(r.kind(), 1);
                self.s.answer(self.now, r, a).unwrap();
            } else if let Some(id) = self.listening.pop_front() {
                let _ = self
                    .s
                    .data_listening(self.now, id, Ok("192.0.2.1:50000".parse().unwrap()));
            } else if let Some(id) = self.transfers.pop_front() {
                let _ = self
                    .s
                    .transfer_done(self.now, id, TransferOutcome::Complete { bytes: 1 });
            } else if self.tls {
                self.s.tls_established(self.now).unwrap();
                self.tls = false;
            } else if self.checker.unanswered() > 0 {
                // A delayed login failure: let its timer fire.
                match self.s.poll_timeout() {
                    Some(t) => {
                        self.now = t;
                        self.s.handle_timeout(t);
                    }
                    None => break,
                }
            } else {
                break;
            }
            self.drain()?;
        }
        Ok(())
    }
}

fn outcome(o: u8) -> TransferOutcome {
    match o % 7 {
        0 => TransferOutcome::ConnectionLost,
        1 => TransferOutcome::NeverConnected,
        2 => TransferOutcome::LocalError,
        3 => TransferOutcome::StorageFull,
        4 => TransferOutcome::TlsFailed,
        5 => TransferOutcome::Aborted,
        _ => TransferOutcome::Complete {
            bytes: u64::from(o),
        },
    }
}

/// Strict checks of what we send: CRLF lines, no bare CR/LF/NUL, every line
/// that starts with three digits is `ddd SP` or `ddd-`.
fn check_wire(frame: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(frame.ends_with(b"\r\n"), "frame not ending in CRLF");
    for line in frame.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let body = line.strip_suffix(b"\r");
        prop_assert!(body.is_some(), "LF without CR");
        let body = body.unwrap();
        prop_assert!(
            !body.contains(&b'\r') && !body.contains(&0),
            "CR or NUL inside a line"
        );
        if body.len() >= 3 && body[..3].iter().all(u8::is_ascii_digit) {
            prop_assert!(
                matches!(body.get(3), Some(b' ' | b'-')),
                "digit-led line is not a reply line: {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
    Ok(())
}

fn config(tls: bool, small: bool, delay: bool) -> ServerConfig {
    let mut c = ServerConfig::default();
    if tls {
        c.tls = TlsPolicy::Available;
    }
    c.security.allow_anonymous = true;
    if small {
        c.limits.max_line_len = 48;
        c.limits.max_pipelined_bytes = 128;
        c.limits.max_pipelined_lines = 4;
    }
    c.timeouts.failed_login_delay = delay.then_some(Duration::from_secs(2));
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_hold_every_promise(
        steps in proptest::collection::vec(step(), 0..80),
        tls in any::<bool>(),
        small in any::<bool>(),
        delay in any::<bool>(),
    ) {
        let mut d = Driver::new(config(tls, small, delay));
        for s in &steps {
            d.apply(s)?;
        }
        d.settle()?;
        prop_assert!(d.checker.violations.is_empty(), "{:?}", d.checker.violations);
        if !d.s.is_closed() && !d.tls {
            prop_assert_eq!(d.checker.unanswered(), 0, "a command got no final reply");
        }
        prop_assert!(!d.parser.is_mid_reply(), "a reply was left unfinished");
    }

    /// The same stream of lines gives the same bytes whatever the read size.
    #[test]
    fn read_boundaries_do_not_matter(
        lines in proptest::collection::vec((0..VERBS.len(), 0..ARGS.len()), 0..30),
        chunk in 1usize..7,
    ) {
        let text: Vec<u8> = lines
            .iter()
            .flat_map(|(v, a)| format!("{}{}\r\n", VERBS[*v], ARGS[*a]).into_bytes())
            .collect();
        let run = |size: usize| {
            let mut s = ServerSession::new(
                Instant::ZERO,
                Arc::new(config(true, false, false)),
                "192.0.2.9:40000".parse().unwrap(),
                "192.0.2.1:21".parse().unwrap(),
            );
            let mut out = Vec::new();
            for piece in text.chunks(size) {
                s.handle_input(Instant::ZERO, piece);
                while let Some(b) = s.poll_transmit() {
                    out.extend_from_slice(&b);
                }
                while s.poll_event().is_some() {}
            }
            out
        };
        prop_assert_eq!(run(text.len().max(1)), run(chunk));
    }
}
