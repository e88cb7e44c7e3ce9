//! The server engine against arbitrary client bytes interleaved with
//! arbitrary embedder answers, adapter reports and timeouts: no panic,
//! bounded buffers, strict wire output, and usage errors instead of
//! state changes for answers that do not fit.
#![no_main]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use ftp_proto::data::DataId;
use ftp_proto::listing::{FileInfo, FileKind};
use ftp_proto::path::VirtualPath;
use ftp_proto::reply::{Reply, ReplyCode};
use ftp_proto::server::{
    Answer, DataAction, Denial, FsError, QuitPolicy, Request, ServerConfig, ServerEvent,
    ServerSession, ShutdownPolicy, TlsPolicy, TransferOutcome,
};
use ftp_proto::{Instant, Session, Timestamp};
use libfuzzer_sys::fuzz_target;

/// Command words, so that the fuzzer reaches deep states quickly.
const WORDS: &[&str] = &[
    "USER a", "PASS b", "ACCT c", "CWD d", "CDUP", "REIN", "QUIT", "PORT 192,0,2,9,4,1",
    "PORT 10,0,0,1,0,80", "PASV", "EPSV", "EPSV ALL", "EPRT |1|192.0.2.9|5000|", "TYPE I",
    "TYPE A", "MODE S", "STRU F", "RETR f", "STOR f", "STOU", "APPE f", "REST 10", "RNFR a",
    "RNTO b", "ABOR", "DELE f", "RMD d", "MKD d", "PWD", "LIST", "NLST", "MLSD", "MLST f",
    "SITE X", "SYST", "STAT", "STAT /", "HELP", "NOOP", "AUTH TLS", "PBSZ 0", "PROT P", "PROT C",
    "FEAT", "OPTS UTF8 ON", "OPTS MLST size;", "SIZE f", "MDTM f", "MFMT 20200101000000 f",
    "HOST h", "CLNT c", "USER anonymous", "CCC",
];

#[derive(Debug, Arbitrary)]
enum Action {
    Bytes(Vec<u8>),
    Word(u8),
    Answer(u8, u8),
    WrongAnswer(u8),
    Listening(u8, bool),
    Connected(u8, bool),
    Progress(u8, u64),
    Done(u8, u8),
    Advance(u16),
    TlsEstablished,
    TlsFailed,
    TlsCleared,
    Eof,
    Shutdown,
}

fn answer(pick: u8, u: u8) -> Answer {
    let info = || FileInfo::new(Bytes::from_static(b"f"), FileKind::File);
    match pick % 15 {
        0 => Answer::Done,
        1 => Answer::LoggedIn { home: None },
        2 => Answer::NeedAccount,
        3 => Answer::Denied(Denial::BadCredentials),
        4 => Answer::Size(u64::from(u)),
        5 => Answer::Modified(Timestamp::from_unix(i64::from(u) << 20, 0)),
        6 => Answer::Ready { size: Some(u64::from(u)) },
        7 => Answer::Unique(VirtualPath::new(&[b'/', u]).unwrap_or_default()),
        8 => Answer::Listing {
            entries: (0..u % 8)
                .map(|i| FileInfo::new(Bytes::from(vec![b'a' + i, u]), FileKind::File))
                .collect(),
            wall_clock: Timestamp::from_unix(0, 0),
        },
        9 => Answer::Entry(Box::new(info())),
        10 => Answer::Error(match u % 4 {
            0 => FsError::NotFound,
            1 => FsError::Busy,
            2 => FsError::QuotaExceeded,
            _ => FsError::InvalidOffset,
        }),
        11 => Answer::Reply(Reply::new(
            ReplyCode::new(100 + u16::from(u) * 2).unwrap_or(ReplyCode::FILE_UNAVAILABLE),
            "raw",
        )),
        12 => Answer::Reply(Reply::new(ReplyCode::SERVICE_NOT_AVAILABLE, "bye")),
        13 => Answer::DirectoryListing {
            wall_clock: Timestamp::from_unix(i64::from(u) << 24, 0),
        },
        _ => Answer::Done,
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
        _ => TransferOutcome::Complete { bytes: u64::from(o) },
    }
}

fn check_frame(frame: &[u8]) {
    assert!(frame.ends_with(b"\r\n"));
    for line in frame.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let body = line.strip_suffix(b"\r").expect("LF without CR");
        assert!(!body.contains(&b'\r') && !body.contains(&0));
        if body.len() >= 3 && body[..3].iter().all(u8::is_ascii_digit) {
            assert!(matches!(body.get(3), Some(b' ' | b'-')));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut config = ServerConfig::default();
    let flags: u8 = u.arbitrary().unwrap_or(0);
    if flags & 1 != 0 {
        config.tls = TlsPolicy::Available;
    }
    if flags & 2 != 0 {
        config.tls = TlsPolicy::RequiredForLoginAndData;
        config.implicit_tls = true;
    }
    if flags & 4 != 0 {
        config.limits.max_line_len = 32;
        config.limits.max_pipelined_bytes = 64;
        config.limits.max_pipelined_lines = 2;
    }
    if flags & 8 != 0 {
        config.quit_policy = QuitPolicy::AbortTransfer;
    }
    if flags & 16 != 0 {
        config.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
    }
    config.security.allow_anonymous = flags & 32 != 0;
    config.validate_hosts = flags & 64 != 0;
    config.allow_clear_control = flags & 8 != 0;
    let l = config.limits;
    let hard = 2 * (l.max_pipelined_bytes.max(l.max_line_len) + l.max_line_len + 4);
    let peer = if flags & 128 != 0 { "[2001:db8::9]:4000" } else { "192.0.2.9:4000" };
    let local = if flags & 128 != 0 { "[2001:db8::1]:21" } else { "192.0.2.1:21" };
    let mut s = ServerSession::new(
        Instant::ZERO,
        Arc::new(config),
        peer.parse().unwrap(),
        local.parse().unwrap(),
    );
    let mut now = Instant::ZERO;
    let mut requests: VecDeque<Request> = VecDeque::new();
    let mut ids: Vec<DataId> = Vec::new();

    while !u.is_empty() {
        let Ok(action) = u.arbitrary::<Action>() else {
            break;
        };
        match action {
            Action::Bytes(b) => s.handle_input(now, &b),
            Action::Word(w) => {
                let mut line = WORDS[usize::from(w) % WORDS.len()].as_bytes().to_vec();
                line.extend_from_slice(b"\r\n");
                s.handle_input(now, &line);
            }
            Action::Answer(p, x) => {
                if let Some(r) = requests.pop_front() {
                    if let Err(e) = s.answer(now, r, answer(p, x)) {
                        if !s.is_closed() {
                            requests.push_back(e.value.0);
                        }
                    }
                }
            }
            Action::WrongAnswer(p) => {
                // Answering the same token twice is impossible (moved), but a
                // second request or a closed session must be refused cleanly.
                if let Some(r) = requests.pop_back() {
                    let before = s.pending_output();
                    match s.answer(now, r, answer(p, p)) {
                        Ok(()) => {}
                        Err(e) => {
                            assert_eq!(s.pending_output(), before, "a refused answer changed output");
                            if !s.is_closed() {
                                requests.push_back(e.value.0);
                            }
                        }
                    }
                }
            }
            Action::Listening(i, ok) => {
                if let Some(&id) = ids.get(usize::from(i) % ids.len().max(1)) {
                    let bound = if ok { Ok("192.0.2.1:50000".parse().unwrap()) } else { Err(()) };
                    let _ = s.data_listening(now, id, bound);
                }
            }
            Action::Connected(i, foreign) => {
                if let Some(&id) = ids.get(usize::from(i) % ids.len().max(1)) {
                    let from = if foreign { "198.51.100.1:9" } else { peer };
                    let _ = s.data_connected(now, id, from.parse().unwrap());
                }
            }
            Action::Progress(i, n) => {
                if let Some(&id) = ids.get(usize::from(i) % ids.len().max(1)) {
                    let _ = s.transfer_progress(id, n);
                }
            }
            Action::Done(i, o) => {
                if let Some(&id) = ids.get(usize::from(i) % ids.len().max(1)) {
                    let _ = s.transfer_done(now, id, outcome(o));
                }
            }
            Action::Advance(secs) => {
                now = now + Duration::from_secs(u64::from(secs));
                s.handle_timeout(now);
            }
            Action::TlsEstablished => {
                let _ = s.tls_established(now);
            }
            Action::TlsFailed => {
                let _ = s.tls_failed(now);
            }
            Action::TlsCleared => {
                let _ = s.tls_cleared(now);
            }
            Action::Eof => s.handle_eof(now),
            Action::Shutdown => s.shutdown(now),
        }
        while let Some(frame) = s.poll_transmit() {
            check_frame(&frame);
        }
        while let Some(e) = s.poll_event() {
            match e {
                ServerEvent::Request(r) => requests.push_back(r),
                ServerEvent::Data(DataAction::Listen { id, .. } | DataAction::Connect { id, .. }) => {
                    ids.push(id)
                }
                ServerEvent::Transfer(t) => ids.push(t.id),
                _ => {}
            }
        }
        if ids.len() > 64 {
            ids.drain(..32);
        }
        assert!(s.buffered_input() <= hard, "input buffer over its limit");
        assert!(!s.is_closed() || s.poll_timeout().is_none());
    }
});
