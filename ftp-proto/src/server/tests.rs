//! Unit tests: one per command family and per sequencing rule.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use bytes::BytesMut;
use core::time::Duration;
use std::format;

use super::*;
use crate::Session;
use crate::data::{DataId, Representation};
use crate::listing::{FileInfo, FileKind};
use crate::path::VirtualPath;
use crate::time::Instant;
use crate::timestamp::Timestamp;

struct H {
    s: ServerSession,
    now: Instant,
    events: Vec<ServerEvent>,
}

fn config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.timeouts.failed_login_delay = None;
    c
}

impl H {
    fn new() -> Self {
        Self::with(config())
    }

    fn with(c: ServerConfig) -> Self {
        Self::at(c, "192.0.2.9:40000", "192.0.2.1:21")
    }

    fn at(c: ServerConfig, peer: &str, local: &str) -> Self {
        let s = ServerSession::new(
            Instant::ZERO,
            Arc::new(c),
            peer.parse().unwrap(),
            local.parse().unwrap(),
        );
        let mut h = Self {
            s,
            now: Instant::ZERO,
            events: Vec::new(),
        };
        assert_eq!(h.drain(), "220 FTP server ready.\r\n");
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
        String::from_utf8_lossy(&out).into_owned()
    }

    fn send(&mut self, line: &str) -> String {
        self.s
            .handle_input(self.now, format!("{line}\r\n").as_bytes());
        self.drain()
    }

    fn request(&mut self) -> Request {
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

    fn answer(&mut self, a: Answer) -> String {
        let r = self.request();
        self.s.answer(self.now, r, a).unwrap();
        self.drain()
    }

    fn login(&mut self) {
        assert!(self.send("USER alice").starts_with("331 "));
        assert!(self.send("PASS secret").is_empty());
        assert!(
            self.answer(Answer::LoggedIn { home: None })
                .starts_with("230 ")
        );
    }

    fn pasv(&mut self) -> DataId {
        assert_eq!(self.send("PASV"), "");
        let id = self.listen_id();
        let out = {
            self.s
                .data_listening(self.now, id, Ok("192.0.2.1:50000".parse().unwrap()))
                .unwrap();
            self.drain()
        };
        assert_eq!(out, "227 Entering Passive Mode (192,0,2,1,195,80).\r\n");
        id
    }

    fn listen_id(&mut self) -> DataId {
        let i = self
            .events
            .iter()
            .position(|e| matches!(e, ServerEvent::Data(DataAction::Listen { .. })))
            .expect("listen");
        match self.events.remove(i) {
            ServerEvent::Data(DataAction::Listen { id, .. }) => id,
            _ => unreachable!(),
        }
    }

    fn take_transfer(&mut self) -> TransferStart {
        let i = self
            .events
            .iter()
            .position(|e| matches!(e, ServerEvent::Transfer(_)))
            .expect("transfer");
        match self.events.remove(i) {
            ServerEvent::Transfer(t) => t,
            _ => unreachable!(),
        }
    }
}

fn code(out: &str) -> &str {
    out.get(..3).unwrap_or("")
}

#[test]
fn greeting_variants() {
    let c = Arc::new(config());
    let peer = "192.0.2.9:1".parse().unwrap();
    let local = "192.0.2.1:21".parse().unwrap();
    let mut s = ServerSession::new_delayed(Instant::ZERO, c.clone(), peer, local, 5);
    assert_eq!(
        &s.poll_transmit().unwrap()[..],
        b"120 Service ready in 5 minutes.\r\n"
    );
    s.handle_input(Instant::ZERO, b"NOOP\r\n");
    assert!(s.poll_transmit().is_none(), "commands wait for 220");
    s.service_ready(Instant::ZERO).unwrap();
    assert_eq!(
        &s.poll_transmit().unwrap()[..],
        b"220 FTP server ready.\r\n200 NOOP ok.\r\n"
    );
    assert!(s.service_ready(Instant::ZERO).is_err());

    let mut s = ServerSession::refuse(Instant::ZERO, c, peer, local);
    assert!(s.is_closed());
    assert!(s.poll_transmit().unwrap().starts_with(b"421 "));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Refused))
    );
}

#[test]
fn answered_alone() {
    let mut h = H::new();
    assert_eq!(h.send("NOOP"), "200 NOOP ok.\r\n");
    assert_eq!(h.send("SYST"), "215 UNIX Type: L8\r\n");
    assert_eq!(h.send("CLNT curl"), "200 Noted.\r\n");
    assert_eq!(code(&h.send("LANG en")), "502");
    assert_eq!(code(&h.send("SMNT /x")), "530");
    assert_eq!(code(&h.send("BOGUS")), "500");
    assert_eq!(code(&h.send("PWD x")), "501");
    assert_eq!(code(&h.send("OPTS UTF8 ON")), "200");
    assert_eq!(code(&h.send("OPTS FOO")), "501");
    let help = h.send("HELP");
    assert!(help.starts_with("214-") && help.ends_with("214 Help OK.\r\n"));
    assert_eq!(code(&h.send("HELP RETR")), "214");
    assert_eq!(code(&h.send("HELP XYZZY")), "502");
    assert_eq!(h.send(""), "", "empty lines are ignored");
}

#[test]
fn feat_lists_exactly_the_configuration() {
    let mut h = H::new();
    let feat = h.send("FEAT");
    assert!(feat.starts_with("211-Features:\r\n"));
    assert!(feat.ends_with("211 End\r\n"));
    for f in [
        " EPRT",
        " EPSV",
        " MDTM",
        " PASV",
        " REST STREAM",
        " SIZE",
        " TVFS",
        " UTF8",
        " MLST type*;",
        " HOST",
        " MFMT",
    ] {
        assert!(feat.contains(f), "{f} missing in {feat}");
    }
    assert!(!feat.contains("AUTH TLS"));
    let mut c = config();
    c.tls = TlsPolicy::Available;
    c.features.size = false;
    let mut h = H::with(c);
    let feat = h.send("FEAT");
    assert!(
        feat.contains(" AUTH TLS\r\n") && feat.contains(" PBSZ\r\n") && feat.contains(" PROT\r\n")
    );
    assert!(!feat.contains("SIZE"));
}

#[test]
fn login_needs_user_then_pass() {
    let mut h = H::new();
    assert_eq!(code(&h.send("PASS x")), "503");
    assert_eq!(code(&h.send("CWD /")), "530");
    assert_eq!(code(&h.send("PWD")), "530");
    assert_eq!(code(&h.send("USER nobody")), "331");
    assert_eq!(h.send("PASS pw"), "");
    let r = h.request();
    match r.kind() {
        RequestKind::Login {
            user,
            password,
            anonymous,
        } => {
            assert_eq!(&user[..], b"nobody");
            assert_eq!(password.expose(), b"pw");
            assert!(!anonymous);
            assert_eq!(format!("{password:?}"), "Secret(***)");
        }
        k => panic!("{k:?}"),
    }
    h.s.answer(h.now, r, Answer::Denied(Denial::BadCredentials))
        .unwrap();
    assert_eq!(code(&h.drain()), "530");
    h.login();
    assert_eq!(code(&h.send("PASS again")), "503");
    assert_eq!(code(&h.send("ACCT x")), "202");
    assert_eq!(h.s.user(), Some(&b"alice"[..]));
}

#[test]
fn account_step() {
    let mut h = H::new();
    h.send("USER bob");
    h.send("PASS pw");
    assert_eq!(code(&h.answer(Answer::NeedAccount)), "332");
    assert_eq!(h.send("ACCT acc"), "");
    let r = h.request();
    assert!(matches!(r.kind(), RequestKind::Account { .. }));
    h.s.answer(
        h.now,
        r,
        Answer::LoggedIn {
            home: Some(VirtualPath::new(b"/home/bob").unwrap()),
        },
    )
    .unwrap();
    assert_eq!(code(&h.drain()), "230");
    assert_eq!(
        h.send("PWD"),
        "257 \"/home/bob\" is the current directory.\r\n"
    );
}

#[test]
fn anonymous_refused_by_default_without_asking() {
    let mut h = H::new();
    assert_eq!(code(&h.send("USER anonymous")), "331");
    assert_eq!(code(&h.send("PASS me@")), "530");
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Request(_)))
    );
    let mut c = config();
    c.security.allow_anonymous = true;
    let mut h = H::with(c);
    h.send("USER FTP");
    h.send("PASS x");
    match h.request().kind() {
        RequestKind::Login { anonymous, .. } => assert!(anonymous),
        k => panic!("{k:?}"),
    }
}

#[test]
fn failed_logins_delay_then_limit() {
    let mut c = config();
    c.timeouts.failed_login_delay = Some(Duration::from_secs(3));
    c.limits.max_login_attempts = 2;
    let mut h = H::with(c);
    h.send("USER a");
    h.send("PASS b");
    assert_eq!(h.answer(Answer::Denied(Denial::BadCredentials)), "");
    assert_eq!(h.s.poll_timeout(), Some(Instant::from_secs(3)));
    // Pipelined input waits for the delayed reply.
    assert_eq!(h.send("NOOP"), "");
    h.s.handle_timeout(Instant::from_secs(3));
    assert_eq!(h.drain(), "530 Login incorrect.\r\n200 NOOP ok.\r\n");
    h.now = Instant::from_secs(3);
    h.send("USER a");
    h.send("PASS c");
    h.answer(Answer::Denied(Denial::BadCredentials));
    h.s.handle_timeout(Instant::from_secs(6));
    assert_eq!(code(&h.drain()), "421");
    assert!(h.s.is_closed());
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::TooManyFailedLogins))
    );
}

#[test]
fn tls_required_for_login() {
    let mut c = config();
    c.tls = TlsPolicy::RequiredForLogin;
    let mut h = H::with(c);
    assert_eq!(code(&h.send("USER a")), "530");
}

#[test]
fn cwd_updates_only_on_success() {
    let mut h = H::new();
    h.login();
    assert_eq!(h.send("CWD docs"), "");
    let r = h.request();
    assert_eq!(
        r.kind(),
        &RequestKind::ChangeDir {
            path: VirtualPath::new(b"/docs").unwrap()
        }
    );
    h.s.answer(h.now, r, Answer::Error(FsError::NotFound))
        .unwrap();
    assert_eq!(code(&h.drain()), "550");
    assert_eq!(h.s.cwd().as_bytes(), b"/");
    h.send("CWD /a/b/../c");
    assert_eq!(code(&h.answer(Answer::Done)), "250");
    assert_eq!(h.s.cwd().as_bytes(), b"/a/c");
    h.send("CDUP");
    assert_eq!(code(&h.answer(Answer::Done)), "250");
    assert_eq!(h.s.cwd().as_bytes(), b"/a");
    h.send("CWD ../../../..");
    match h.request().kind() {
        RequestKind::ChangeDir { path } => assert!(path.is_root()),
        k => panic!("{k:?}"),
    }
}

#[test]
fn forbidden_bytes_in_paths() {
    let mut h = H::new();
    h.login();
    h.s.handle_input(h.now, b"CWD a\rb\r\n");
    assert_eq!(code(&h.drain()), "501");
    h.s.handle_input(h.now, b"DELE a\0b\r\n");
    assert_eq!(code(&h.drain()), "501");
    h.pasv();
    h.s.handle_input(h.now, b"STOR a\rb\r\n");
    assert_eq!(code(&h.drain()), "553");
}

#[test]
fn pwd_doubles_quotes() {
    let mut h = H::new();
    h.login();
    h.send("CWD /a \"q\" dir");
    h.answer(Answer::Done);
    assert_eq!(
        h.send("PWD"),
        "257 \"/a \"\"q\"\" dir\" is the current directory.\r\n"
    );
}

#[test]
fn rename_sequence() {
    let mut h = H::new();
    h.login();
    assert_eq!(code(&h.send("RNTO b")), "503");
    h.send("RNFR a");
    assert_eq!(code(&h.answer(Answer::Done)), "350");
    h.send("RNTO b");
    let r = h.request();
    assert_eq!(
        r.kind(),
        &RequestKind::Rename {
            from: VirtualPath::new(b"/a").unwrap(),
            to: VirtualPath::new(b"/b").unwrap()
        }
    );
    h.s.answer(h.now, r, Answer::Done).unwrap();
    assert_eq!(code(&h.drain()), "250");
    // Another command between RNFR and RNTO cancels the pair.
    h.send("RNFR a");
    h.answer(Answer::Done);
    h.send("NOOP");
    assert_eq!(code(&h.send("RNTO b")), "503");
    // A failed RNFR leaves nothing pending.
    h.send("RNFR missing");
    assert_eq!(code(&h.answer(Answer::Error(FsError::NotFound))), "550");
    assert_eq!(code(&h.send("RNTO b")), "503");
}

#[test]
fn mkd_rmd_dele_size_mdtm_mfmt() {
    let mut h = H::new();
    h.login();
    h.send("MKD new \"dir\"");
    assert_eq!(
        h.answer(Answer::Done),
        "257 \"/new \"\"dir\"\"\" created.\r\n"
    );
    h.send("RMD x");
    assert_eq!(code(&h.answer(Answer::Done)), "250");
    h.send("DELE x");
    assert_eq!(code(&h.answer(Answer::Error(FsError::Busy))), "450");
    h.send("SIZE f");
    assert_eq!(h.answer(Answer::Size(1234)), "213 1234\r\n");
    let t = Timestamp::from_unix(937_982_380, 0);
    h.send("MDTM f");
    assert_eq!(h.answer(Answer::Modified(t)), "213 19990922063940\r\n");
    h.send("MFMT 19990922063940 f");
    assert_eq!(
        h.answer(Answer::Modified(t)),
        "213 Modify=19990922063940; /f\r\n"
    );
    // Mismatched answers come back unchanged.
    h.send("SIZE f");
    let r = h.request();
    let err = h.s.answer(h.now, r, Answer::Done).unwrap_err();
    assert_eq!(err.kind, crate::UsageErrorKind::MismatchedAnswer);
    let (r, _) = err.value;
    h.s.answer(h.now, r, Answer::Error(FsError::NotFound))
        .unwrap();
    assert_eq!(code(&h.drain()), "550");
}

#[test]
fn late_answers_are_usage_errors() {
    let mut h = H::new();
    h.login();
    h.send("CWD a");
    let r = h.request();
    let fake = Request {
        id: RequestId(99),
        kind: RequestKind::Delete {
            path: VirtualPath::root(),
        },
    };
    assert_eq!(
        h.s.answer(h.now, fake, Answer::Done).unwrap_err().kind,
        crate::UsageErrorKind::UnknownId
    );
    h.s.answer(h.now, r, Answer::Done).unwrap();
    h.s.shutdown(h.now);
    assert!(h.s.is_closed());
    let fake = Request {
        id: RequestId(1),
        kind: RequestKind::Delete {
            path: VirtualPath::root(),
        },
    };
    assert_eq!(
        h.s.answer(h.now, fake, Answer::Done).unwrap_err().kind,
        crate::UsageErrorKind::Closed
    );
}

#[test]
fn type_mode_stru() {
    let mut h = H::new();
    h.login();
    for (cmd, c) in [
        ("TYPE I", "200"),
        ("TYPE A", "200"),
        ("TYPE A N", "200"),
        ("TYPE L 8", "200"),
        ("TYPE E", "504"),
        ("TYPE L 7", "504"),
        ("MODE S", "200"),
        ("MODE B", "504"),
        ("MODE Z", "504"),
        ("STRU F", "200"),
        ("STRU R", "504"),
        ("ALLO 100", "202"),
    ] {
        assert_eq!(code(&h.send(cmd)), c, "{cmd}");
    }
}

#[test]
fn pasv_retr_with_rest() {
    let mut h = H::new();
    h.login();
    assert_eq!(code(&h.send("RETR f")), "425", "no data setup");
    let id = h.pasv();
    h.s.data_connected(h.now, id, "192.0.2.9:50001".parse().unwrap())
        .unwrap();
    assert_eq!(code(&h.send("TYPE I")), "200");
    assert_eq!(code(&h.send("REST 100")), "350");
    h.send("RETR f");
    let r = h.request();
    assert_eq!(
        r.kind(),
        &RequestKind::Retrieve {
            path: VirtualPath::new(b"/f").unwrap(),
            offset: 100,
            representation: Representation::Binary
        }
    );
    h.s.answer(h.now, r, Answer::Ready { size: Some(1000) })
        .unwrap();
    assert_eq!(h.drain(), "125 Opening data connection (1000 bytes).\r\n");
    let t = h.take_transfer();
    assert_eq!(t.id, id);
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 900 })
        .unwrap();
    assert_eq!(h.drain(), "226 Transfer complete.\r\n");
    // Single use: the setup is gone and REST was consumed.
    assert_eq!(code(&h.send("RETR f")), "425");
    assert!(
        h.s.transfer_done(h.now, id, TransferOutcome::Aborted)
            .is_err()
    );
}

#[test]
fn rest_is_cleared_by_other_commands() {
    let mut h = H::new();
    h.login();
    h.send("REST 10");
    h.send("PWD");
    h.pasv();
    h.send("RETR f");
    match h.request().kind() {
        RequestKind::Retrieve { offset, .. } => assert_eq!(*offset, 0),
        k => panic!("{k:?}"),
    }
}

#[test]
fn new_pasv_closes_the_old_listener() {
    let mut h = H::new();
    h.login();
    let a = h.pasv();
    let b = h.pasv();
    assert_ne!(a, b);
    assert!(
        h.events
            .contains(&ServerEvent::Data(DataAction::Close { id: a }))
    );
}

#[test]
fn new_pasv_closes_the_old_listener_before_it_asks_for_a_new_one() {
    let mut h = H::new();
    h.login();
    let a = h.pasv();
    h.events.clear();
    h.send("EPSV");
    let close = h
        .events
        .iter()
        .position(|e| *e == ServerEvent::Data(DataAction::Close { id: a }));
    let listen = h
        .events
        .iter()
        .position(|e| matches!(e, ServerEvent::Data(DataAction::Listen { .. })));
    assert!(close.is_some() && close < listen, "{:?}", h.events);
}

#[test]
fn a_passive_listener_nobody_connects_to_is_closed_after_the_accept_timeout() {
    let mut c = config();
    c.timeouts.passive_accept = Some(Duration::from_secs(30));
    c.timeouts.data_connect = Some(Duration::from_secs(60));
    let mut h = H::with(c);
    h.login();
    h.now = Instant::from_secs(100);
    let id = h.pasv();
    assert_eq!(h.s.poll_timeout(), Some(Instant::from_secs(130)));
    h.s.handle_timeout(Instant::from_secs(129));
    h.drain();
    assert!(
        !h.events
            .contains(&ServerEvent::Data(DataAction::Close { id }))
    );
    h.now = Instant::from_secs(130);
    h.s.handle_timeout(h.now);
    assert_eq!(h.drain(), "");
    assert!(
        h.events
            .contains(&ServerEvent::Data(DataAction::Close { id }))
    );
    assert_eq!(code(&h.send("RETR f")), "425");
}

#[test]
fn a_transfer_waits_data_connect_for_a_listener_of_its_own() {
    let mut c = config();
    c.timeouts.passive_accept = Some(Duration::from_secs(30));
    c.timeouts.data_connect = Some(Duration::from_secs(60));
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.now = Instant::from_secs(20);
    h.send("RETR f");
    assert_eq!(code(&h.answer(Answer::Ready { size: None })), "150");
    // The transfer started: its data connection may take data_connect.
    assert_eq!(h.s.poll_timeout(), Some(Instant::from_secs(80)));
    h.s.handle_timeout(Instant::from_secs(40));
    h.drain();
    assert!(!h.events.iter().any(|e| matches!(
        e,
        ServerEvent::Abort { .. } | ServerEvent::Data(DataAction::Close { .. })
    )));
    h.s.data_connected(h.now, id, "192.0.2.9:50001".parse().unwrap())
        .unwrap();
}

#[test]
fn epsv_and_epsv_all() {
    let mut h = H::new();
    h.login();
    h.send("EPSV");
    let id = h.listen_id();
    h.s.data_listening(h.now, id, Ok("192.0.2.1:6446".parse().unwrap()))
        .unwrap();
    assert_eq!(
        h.drain(),
        "229 Entering Extended Passive Mode (|||6446|)\r\n"
    );
    assert_eq!(code(&h.send("EPSV 2")), "522");
    assert_eq!(code(&h.send("EPSV ALL")), "200");
    assert_eq!(code(&h.send("PASV")), "501");
    assert_eq!(code(&h.send("PORT 192,0,2,9,4,1")), "501");
    assert_eq!(code(&h.send("EPRT |1|192.0.2.9|1025|")), "501");
    assert_eq!(h.send("EPSV"), "");
}

#[test]
fn pasv_on_ipv6_and_masquerade() {
    let mut h = H::at(config(), "[2001:db8::9]:4000", "[2001:db8::1]:21");
    h.login();
    assert_eq!(code(&h.send("PASV")), "425");
    h.send("EPSV");
    assert!(matches!(
        h.events.last(),
        Some(ServerEvent::Data(DataAction::Listen { .. }))
    ));
    let mut c = config();
    c.masquerade_address = Some("203.0.113.5".parse().unwrap());
    let mut h = H::with(c);
    h.login();
    h.send("PASV");
    let id = h.listen_id();
    h.s.data_listening(h.now, id, Ok("192.0.2.1:1025".parse().unwrap()))
        .unwrap();
    assert_eq!(
        h.drain(),
        "227 Entering Passive Mode (203,0,113,5,4,1).\r\n"
    );
}

#[test]
fn port_security() {
    let mut h = H::new();
    h.login();
    assert_eq!(code(&h.send("PORT 10,0,0,1,4,1")), "501", "foreign host");
    assert_eq!(
        code(&h.send("PORT 192,0,2,9,0,21")),
        "501",
        "privileged port"
    );
    assert_eq!(code(&h.send("EPRT |2|2001:db8::1|5000|")), "501");
    assert_eq!(code(&h.send("EPRT |3|x|5000|")), "522");
    assert_eq!(code(&h.send("PORT 192,0,2,9,4,1")), "200");
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Data(DataAction::Connect { .. })))
    );
    h.send("STOR up");
    h.answer(Answer::Ready { size: None });
    assert!(h.events.iter().any(
        |e| matches!(e, ServerEvent::Data(DataAction::Connect { addr, .. }) if addr.port() == 1025)
    ));
    let t = h.take_transfer();
    assert!(t.kind.is_upload());
    h.s.transfer_done(h.now, t.id, TransferOutcome::StorageFull)
        .unwrap();
    assert_eq!(code(&h.drain()), "552");
}

#[test]
fn foreign_passive_peer_is_refused() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("LIST");
    h.answer(Answer::Listing {
        entries: Vec::new(),
        wall_clock: Timestamp::from_unix(0, 0),
    });
    let t = h.take_transfer();
    h.s.data_connected(h.now, id, "198.51.100.7:5555".parse().unwrap())
        .unwrap();
    h.drain();
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Abort { id: i, .. } if *i == id))
    );
    h.s.transfer_done(h.now, t.id, TransferOutcome::Aborted)
        .unwrap();
    assert_eq!(code(&h.drain()), "425");
}

#[test]
fn listing_is_rendered_by_the_engine() {
    let mut h = H::new();
    h.login();
    h.pasv();
    h.send("NLST");
    let out = h.answer(Answer::Listing {
        entries: alloc::vec![
            FileInfo::new(&b"a.txt"[..], FileKind::File),
            FileInfo::new(&b"evil\r\n226 x"[..], FileKind::File),
            FileInfo::new(&b"sub"[..], FileKind::Directory),
        ],
        wall_clock: Timestamp::from_unix(0, 0),
    });
    assert_eq!(code(&out), "150");
    match h.take_transfer().kind {
        TransferKind::Listing(b) => assert_eq!(&b[..], b"a.txt\r\nsub\r\n"),
        k => panic!("{k:?}"),
    }
}

#[test]
fn a_directory_listing_is_streamed_by_the_adapter_in_the_sessions_style() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    // TYPE A does not apply to listings; OPTS MLST chooses the facts.
    assert_eq!(code(&h.send("TYPE A")), "200");
    assert_eq!(code(&h.send("OPTS MLST size;type;")), "200");
    assert_eq!(h.send("MLSD /pub"), "");
    let wall_clock = Timestamp::from_unix(1_700_000_000, 0);
    let out = h.answer(Answer::DirectoryListing { wall_clock });
    assert_eq!(code(&out), "150");
    let t = h.take_transfer();
    assert_eq!(t.id, id);
    assert_eq!(t.representation, Representation::Binary);
    let TransferKind::DirectoryListing { path, style } = t.kind else {
        panic!("{:?}", t.kind);
    };
    assert_eq!(path.as_bytes(), b"/pub");
    assert_eq!(
        style,
        ListingStyle::new(
            ListFormat::Machine,
            crate::listing::Facts::SIZE.union(crate::listing::Facts::TYPE),
            wall_clock
        )
    );
    // The adapter renders with the engine's helper, as the engine would.
    let mut line = BytesMut::new();
    let entry = FileInfo::new(&b"f"[..], FileKind::File).with_size(3);
    style.write_line(&entry, &mut line).unwrap();
    assert_eq!(&line[..], b"type=file;size=3; f\r\n");
    let evil = FileInfo::new(&b"evil\r\n226 x"[..], FileKind::File);
    assert!(style.write_line(&evil, &mut line).is_err());
    assert_eq!(&line[..], b"type=file;size=3; f\r\n");
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 20 })
        .unwrap();
    assert_eq!(code(&h.drain()), "226");
}

#[test]
fn a_directory_listing_that_fails_midway_is_451_never_226() {
    for (format, command) in [
        (ListFormat::Long, "LIST"),
        (ListFormat::Names, "NLST"),
        (ListFormat::Machine, "MLSD"),
    ] {
        let mut h = H::new();
        h.login();
        let id = h.pasv();
        h.send(command);
        let out = h.answer(Answer::DirectoryListing {
            wall_clock: Timestamp::from_unix(0, 0),
        });
        assert_eq!(code(&out), "150", "{command}");
        match h.take_transfer().kind {
            TransferKind::DirectoryListing { path, style } => {
                assert_eq!(path.as_bytes(), b"/");
                assert_eq!(style.format, format);
            }
            k => panic!("{k:?}"),
        }
        h.s.transfer_done(h.now, id, TransferOutcome::LocalError)
            .unwrap();
        assert_eq!(code(&h.drain()), "451", "{command}");
    }
}

#[test]
fn a_directory_listing_answers_only_data_listings() {
    let mut h = H::new();
    h.login();
    // STAT path stays on the control connection, bounded: entries only.
    h.send("STAT /");
    let r = h.request();
    let refused = h.s.answer(
        h.now,
        r,
        Answer::DirectoryListing {
            wall_clock: Timestamp::from_unix(0, 0),
        },
    );
    let Err(e) = refused else {
        panic!("STAT accepted a streamed listing");
    };
    assert_eq!(e.kind, crate::error::UsageErrorKind::MismatchedAnswer);
    let (r, _) = e.value;
    h.s.answer(
        h.now,
        r,
        Answer::Listing {
            entries: alloc::vec![FileInfo::new(&b"f"[..], FileKind::File)],
            wall_clock: Timestamp::from_unix(0, 0),
        },
    )
    .unwrap();
    assert!(h.drain().starts_with("213-Status of /:\r\n"));
}

#[test]
fn a_listing_over_the_byte_limit_is_refused_before_the_150() {
    let mut c = config();
    c.limits.max_listing_bytes = 10;
    let mut h = H::with(c);
    h.login();
    h.pasv();
    h.send("NLST");
    let out = h.answer(Answer::Listing {
        entries: alloc::vec![
            FileInfo::new(&b"first"[..], FileKind::File),
            FileInfo::new(&b"second"[..], FileKind::File),
        ],
        wall_clock: Timestamp::from_unix(0, 0),
    });
    assert_eq!(out, "450 Listing too large.\r\n");
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Transfer(_)))
    );
}

#[test]
fn mlst_and_stat_path_on_control() {
    let mut h = H::new();
    h.login();
    h.send("MLST f");
    let out = h.answer(Answer::Entry(alloc::boxed::Box::new(
        FileInfo::new(&b"f"[..], FileKind::File).with_size(3),
    )));
    assert!(out.starts_with("250-Listing /f\r\n "), "{out}");
    assert!(out.contains("size=3;"));
    assert!(out.ends_with("250 End\r\n"));
    h.send("STAT /");
    let out = h.answer(Answer::Listing {
        entries: alloc::vec![FileInfo::new(&b"f"[..], FileKind::File)],
        wall_clock: Timestamp::from_unix(0, 0),
    });
    assert!(out.starts_with("213-Status of /:\r\n"), "{out}");
    assert!(out.ends_with("213 End of status.\r\n"));
}

#[test]
fn abor_during_transfer_gives_426_then_226() {
    // Plain, and as BSD clients' Telnet Synch whose urgent IAC was lost
    // (IAC IP DM ABOR: a socket without SO_OOBINLINE took it out).
    for abor in [&b"ABOR\r\n"[..], b"\xff\xf4\xf2ABOR\r\n"] {
        let mut h = H::new();
        h.login();
        let id = h.pasv();
        h.send("RETR big");
        h.answer(Answer::Ready { size: None });
        h.take_transfer();
        h.s.handle_input(h.now, abor);
        assert_eq!(h.drain(), "");
        assert!(h.events.contains(&ServerEvent::Abort {
            id,
            incomplete_upload: false
        }));
        h.s.transfer_done(h.now, id, TransferOutcome::Aborted)
            .unwrap();
        assert_eq!(
            h.drain(),
            "426 Transfer aborted.\r\n226 ABOR successful.\r\n"
        );
        assert_eq!(code(&h.send("ABOR")), "226", "no transfer");
    }
}

#[test]
fn an_abor_that_lost_its_lf_merges_with_the_next_line() {
    // One reply for the two lines (a bare CR does not end a line, so a path
    // with a CR is never cut in two), and the session goes on.
    let mut h = H::new();
    h.login();
    h.s.handle_input(h.now, b"ABOR\r");
    assert_eq!(h.drain(), "");
    assert_eq!(code(&h.send("NOOP")), "500");
    assert_eq!(code(&h.send("NOOP")), "200");
}

#[test]
fn stat_noop_answered_during_transfer_others_held() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("RETR big");
    h.answer(Answer::Ready { size: None });
    h.s.transfer_progress(id, 42).unwrap();
    h.s.handle_input(h.now, b"PWD\r\nSTAT\r\nNOOP\r\n");
    let out = h.drain();
    assert!(out.starts_with("211-"), "{out}");
    assert!(out.contains("42 bytes"));
    assert!(out.ends_with("200 NOOP ok.\r\n"));
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 42 })
        .unwrap();
    assert_eq!(
        h.drain(),
        "226 Transfer complete.\r\n257 \"/\" is the current directory.\r\n"
    );
}

#[test]
fn quit_during_transfer_waits_or_aborts() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("STOR f");
    h.answer(Answer::Ready { size: None });
    assert_eq!(h.send("QUIT"), "");
    assert!(!h.s.is_closed());
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 1 })
        .unwrap();
    assert_eq!(h.drain(), "226 Transfer complete.\r\n221 Goodbye.\r\n");
    assert!(h.s.is_closed());

    let mut c = config();
    c.quit_policy = QuitPolicy::AbortTransfer;
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.send("QUIT");
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Abort { .. }))
    );
    h.s.transfer_done(h.now, id, TransferOutcome::Aborted)
        .unwrap();
    assert_eq!(code(&h.drain()), "426");
    assert!(h.s.is_closed());
}

#[test]
fn eof_during_upload_reports_incomplete() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("STOR f");
    h.answer(Answer::Ready { size: None });
    h.s.handle_eof(h.now);
    h.drain();
    assert!(h.events.contains(&ServerEvent::Abort {
        id,
        incomplete_upload: true
    }));
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::ConnectionLost))
    );
}

#[test]
fn idle_and_login_timeouts() {
    let mut h = H::new();
    assert_eq!(h.s.poll_timeout(), Some(Instant::from_secs(60)));
    h.s.handle_timeout(Instant::from_secs(60));
    assert_eq!(h.drain(), "421 Login timeout.\r\n");
    let mut h = H::new();
    h.login();
    assert_eq!(h.s.poll_timeout(), Some(Instant::from_secs(300)));
    h.s.handle_timeout(Instant::from_secs(299));
    assert_eq!(h.drain(), "");
    h.s.handle_timeout(Instant::from_secs(300));
    assert_eq!(h.drain(), "421 Timeout.\r\n");
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::IdleTimeout))
    );
}

#[test]
fn data_connect_timeout_gives_425() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.handle_timeout(Instant::from_secs(60));
    h.drain();
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Abort { id: i, .. } if *i == id))
    );
    h.s.transfer_done(h.now, id, TransferOutcome::NeverConnected)
        .unwrap();
    assert_eq!(code(&h.drain()), "425");
}

#[test]
fn auth_tls_pauses_and_discards_injected_plaintext() {
    let mut c = config();
    c.tls = TlsPolicy::Available;
    let mut h = H::with(c);
    assert_eq!(code(&h.send("PBSZ 0")), "503");
    h.s.handle_input(h.now, b"AUTH TLS\r\nUSER evil\r\n");
    assert!(
        h.s.poll_event().is_none(),
        "no upgrade before the 234 is out"
    );
    assert_eq!(
        &h.s.poll_transmit().unwrap()[..],
        b"234 AUTH TLS successful.\r\n"
    );
    assert_eq!(
        h.s.poll_event(),
        Some(ServerEvent::UpgradeTls {
            discarded_plaintext: 11
        })
    );
    assert!(!h.s.wants_input());
    h.s.handle_input(h.now, b"NOOP\r\n");
    assert!(h.s.poll_transmit().is_none());
    assert_eq!(
        h.s.poll_event(),
        Some(ServerEvent::InputDiscarded { bytes: 6 })
    );
    h.s.tls_established(h.now).unwrap();
    assert!(h.s.is_secured());
    assert_eq!(code(&h.send("PROT P")), "503");
    assert_eq!(h.send("PBSZ 0"), "200 PBSZ=0\r\n");
    assert_eq!(code(&h.send("PROT S")), "536");
    assert_eq!(code(&h.send("PROT P")), "200");
    assert_eq!(code(&h.send("AUTH TLS")), "534");
}

#[test]
fn prot_p_required_for_data() {
    let mut c = config();
    c.tls = TlsPolicy::RequiredForLoginAndData;
    c.implicit_tls = true;
    let mut h = H::with(c);
    h.login();
    h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    assert_eq!(
        h.take_transfer().protection,
        crate::data::DataProtection::Private
    );
    let mut c = config();
    c.tls = TlsPolicy::RequiredForLoginAndData;
    c.implicit_tls = true;
    let mut h = H::with(c);
    h.login();
    h.send("PBSZ 0");
    h.send("PROT C");
    h.pasv();
    assert_eq!(code(&h.send("RETR f")), "521");
}

#[test]
fn rein_resets_the_session() {
    let mut h = H::new();
    h.login();
    h.send("TYPE I");
    h.send("CWD x");
    h.answer(Answer::Done);
    let id = h.pasv();
    assert_eq!(code(&h.send("REIN")), "220");
    assert!(
        h.events
            .contains(&ServerEvent::Data(DataAction::Close { id }))
    );
    assert!(!h.s.is_logged_in());
    assert_eq!(h.s.cwd().as_bytes(), b"/");
    assert_eq!(code(&h.send("PWD")), "530");
}

#[test]
fn host_before_login_only() {
    let mut h = H::new();
    assert_eq!(code(&h.send("HOST ftp.example.com")), "220");
    assert_eq!(h.s.host(), Some(&b"ftp.example.com"[..]));
    assert_eq!(code(&h.send("HOST a.b:21")), "501");
    assert_eq!(code(&h.send("HOST [2001:db8::1]")), "220");
    h.login();
    assert_eq!(code(&h.send("HOST x")), "503");
    let mut c = config();
    c.validate_hosts = true;
    let mut h = H::with(c);
    h.send("HOST nope.example");
    assert_eq!(code(&h.answer(Answer::Error(FsError::NotFound))), "504");
}

#[test]
fn overlong_line_and_pipelining_limits() {
    let mut c = config();
    c.limits.max_line_len = 64;
    c.limits.max_pipelined_bytes = 256;
    let mut h = H::with(c);
    let long = "X".repeat(100);
    assert_eq!(code(&h.send(&long)), "500");
    assert_eq!(h.send("NOOP"), "200 NOOP ok.\r\n");
    h.login();
    h.send("CWD a");
    // The request is outstanding: pipelined lines wait in the buffer.
    let many = "NOOP\r\n".repeat(50);
    h.s.handle_input(h.now, many.as_bytes());
    assert_eq!(h.drain(), "");
    assert!(!h.s.wants_input());
    // Past the hard limit the session ends.
    h.s.handle_input(h.now, many.as_bytes());
    assert_eq!(code(&h.drain()), "421");
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::InputOverflow))
    );
}

#[test]
fn site_and_escape_hatch() {
    let mut h = H::new();
    h.login();
    h.send("SITE CHMOD 644 f");
    let r = h.request();
    assert!(matches!(r.kind(), RequestKind::Site { command } if &command[..] == b"CHMOD 644 f"));
    h.s.answer(
        h.now,
        r,
        Answer::Reply(crate::reply::Reply::new(
            crate::reply::ReplyCode::COMMAND_OK,
            "CHMOD done.",
        )),
    )
    .unwrap();
    assert_eq!(h.drain(), "200 CHMOD done.\r\n");
    h.send("DELE f");
    let r = h.request();
    let ok = Answer::Reply(crate::reply::Reply::new(
        crate::reply::ReplyCode::COMMAND_OK,
        "x",
    ));
    assert!(
        h.s.answer(h.now, r, ok).is_err(),
        "positive raw replies only for SITE"
    );
}

#[test]
fn stou_names_the_file_in_150() {
    let mut h = H::new();
    h.login();
    h.pasv();
    h.send("STOU");
    let out = h.answer(Answer::Unique(VirtualPath::new(b"/u.1").unwrap()));
    assert_eq!(out, "150 FILE: u.1\r\n");
}

#[test]
fn shutdown_aborts_or_lets_finish() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.shutdown(h.now);
    assert_eq!(
        h.drain(),
        "426 Transfer aborted: server shutting down.\r\n421 Server shutting down.\r\n"
    );
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Abort { id: i, .. } if *i == id))
    );

    let mut c = config();
    c.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.shutdown(h.now);
    assert_eq!(h.drain(), "");
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 1 })
        .unwrap();
    assert_eq!(
        h.drain(),
        "226 Transfer complete.\r\n421 Server shutting down.\r\n"
    );
}

#[test]
fn opts_mlst_selects_facts() {
    let mut h = H::new();
    assert_eq!(
        h.send("OPTS MLST size;type;bogus;"),
        "200 MLST OPTS type;size;\r\n"
    );
    assert!(h.send("FEAT").contains(" MLST type*;size*;modify;"));
    assert_eq!(code(&h.send("OPTS MLST a b")), "501");
}

#[test]
fn hot_path_commands_need_no_request() {
    let mut h = H::new();
    h.login();
    for _ in 0..3 {
        assert_eq!(code(&h.send("TYPE I")), "200");
        assert_eq!(code(&h.send("PWD")), "257");
        assert_eq!(code(&h.send("NOOP")), "200");
    }
    assert!(h.events.is_empty());
}

#[test]
fn refusal_text_says_why() {
    let c = Arc::new(config());
    let peer = "192.0.2.9:1".parse().unwrap();
    let local = "192.0.2.1:21".parse().unwrap();
    let mut s =
        ServerSession::refuse_because(Instant::ZERO, c, peer, local, Refusal::TooManyFromAddress);
    assert!(s.is_closed());
    assert_eq!(
        &s.poll_transmit().unwrap()[..],
        b"421 Too many connections from your address, try again later.\r\n"
    );
}

#[test]
fn login_answered_421_closes_the_session() {
    let mut h = H::new();
    assert!(h.send("USER alice").starts_with("331 "));
    assert!(h.send("PASS secret").is_empty());
    let out = h.answer(Answer::Reply(crate::reply::Reply::new(
        crate::reply::ReplyCode::SERVICE_NOT_AVAILABLE,
        "Authentication service unavailable.",
    )));
    assert_eq!(out, "421 Authentication service unavailable.\r\n");
    assert!(h.s.is_closed());
}

#[test]
fn rmd_of_a_non_empty_directory_is_550() {
    let mut h = H::new();
    h.login();
    assert_eq!(h.send("RMD /full"), "");
    assert_eq!(
        h.answer(Answer::Error(FsError::DirectoryNotEmpty)),
        "550 Directory not empty.\r\n"
    );
}

#[test]
fn data_tls_session_reuse_is_the_engines_decision() {
    // Not required: either handshake goes on.
    let mut c = config();
    c.tls = TlsPolicy::Available;
    c.implicit_tls = true;
    let mut h = H::with(c.clone());
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.data_connected(h.now, id, "192.0.2.9:50001".parse().unwrap())
        .unwrap();
    assert_eq!(h.s.data_secured(h.now, id, false).ok(), Some(true));
    // Required: a fresh handshake is refused with 522, a resumed one is not.
    c.require_tls_session_reuse = true;
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    assert!(
        h.s.data_secured(h.now, DataId::new(99), true).is_err(),
        "unknown transfer"
    );
    assert_eq!(h.s.data_secured(h.now, id, true).ok(), Some(true));
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 3 })
        .unwrap();
    assert_eq!(h.drain(), "226 Transfer complete.\r\n");
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    assert_eq!(h.s.data_secured(h.now, id, false).ok(), Some(false));
    h.s.transfer_done(h.now, id, TransferOutcome::TlsFailed)
        .unwrap();
    assert_eq!(
        h.drain(),
        "522 TLS session resumption required on the data connection.\r\n"
    );
    assert_eq!(code(&h.send("NOOP")), "200");
}

#[test]
fn shutdown_grace_deadline_aborts_the_transfer() {
    let mut c = config();
    c.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
    c.timeouts.shutdown_grace = Some(Duration::from_secs(30));
    c.timeouts.idle = None;
    c.timeouts.data_connect = None;
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.data_connected(h.now, id, "192.0.2.9:50001".parse().unwrap())
        .unwrap();
    h.s.shutdown(h.now);
    assert_eq!(h.drain(), "");
    let deadline = h.s.poll_timeout().expect("the grace deadline");
    assert_eq!(deadline, h.now + Duration::from_secs(30));
    // Early wake-ups change nothing.
    h.s.handle_timeout(h.now + Duration::from_secs(10));
    assert_eq!(h.drain(), "");
    assert!(!h.s.is_closed());
    h.s.handle_timeout(deadline);
    assert_eq!(
        h.drain(),
        "426 Transfer aborted: server shutting down.\r\n421 Server shutting down.\r\n"
    );
    assert!(h.s.is_closed());
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Abort { id: i, .. } if *i == id))
    );
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::Shutdown))
    );
}

#[test]
fn shutdown_grace_is_moot_when_the_transfer_ends_in_time() {
    let mut c = config();
    c.shutdown_policy = ShutdownPolicy::LetTransfersFinish;
    c.timeouts.shutdown_grace = Some(Duration::from_secs(30));
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.shutdown(h.now);
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 1 })
        .unwrap();
    assert_eq!(
        h.drain(),
        "226 Transfer complete.\r\n421 Server shutting down.\r\n"
    );
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn no_file_system_request_before_login() {
    // Every command, before login, either gets a reply from the engine or
    // asks only about the login (and HOST when validate_hosts is on).
    let lines = [
        "CWD /",
        "CDUP",
        "PWD",
        "LIST",
        "NLST",
        "MLSD",
        "MLST x",
        "STAT /",
        "RETR f",
        "STOR f",
        "APPE f",
        "STOU",
        "DELE f",
        "RMD d",
        "MKD d",
        "RNFR a",
        "RNTO b",
        "SIZE f",
        "MDTM f",
        "MFMT 20200101000000 f",
        "SITE CHMOD 644 f",
        "PASV",
        "EPSV",
        "PORT 192,0,2,9,200,1",
        "HOST ftp.example.com",
        "ACCT x",
        "PASS x",
        "NOOP",
        "FEAT",
        "SYST",
        "STAT",
    ];
    for validate_hosts in [false, true] {
        let mut c = config();
        c.validate_hosts = validate_hosts;
        for line in lines {
            let mut h = H::with(c.clone());
            let out = h.send(line);
            let requests: Vec<&RequestKind> = h
                .events
                .iter()
                .filter_map(|e| match e {
                    ServerEvent::Request(r) => Some(r.kind()),
                    _ => None,
                })
                .collect();
            match requests.as_slice() {
                [] => assert!(!out.is_empty(), "{line}: no reply"),
                [RequestKind::Host { .. }] => {
                    assert!(validate_hosts, "{line}: HOST asked without validate_hosts");
                }
                other => panic!("{line}: {other:?}"),
            }
            assert!(
                !h.events
                    .iter()
                    .any(|e| matches!(e, ServerEvent::Data(_) | ServerEvent::Transfer(_))),
                "{line}: data action before login"
            );
        }
    }
}

/// A session with explicit TLS up (AUTH TLS, PBSZ 0, PROT P).
fn secured(c: ServerConfig) -> H {
    let mut h = H::with(c);
    assert_eq!(code(&h.send("AUTH TLS")), "234");
    h.events.clear();
    h.s.tls_established(h.now).unwrap();
    assert_eq!(code(&h.send("PBSZ 0")), "200");
    assert_eq!(code(&h.send("PROT P")), "200");
    h
}

fn ccc_config(tls: TlsPolicy, allow: bool) -> ServerConfig {
    let mut c = config();
    c.tls = tls;
    c.allow_clear_control = allow;
    c
}

#[test]
fn ccc_refusals() {
    // Not under TLS: 533, whatever the policy.
    let mut h = H::with(ccc_config(TlsPolicy::Available, true));
    assert_eq!(code(&h.send("CCC")), "533");
    let mut h = H::new();
    assert_eq!(code(&h.send("CCC")), "533");
    // Under TLS, refused by default (534), and FEAT does not offer it.
    let mut h = secured(ccc_config(TlsPolicy::Available, false));
    assert_eq!(h.send("CCC"), "534 CCC refused by policy.\r\n");
    assert!(h.s.is_secured());
    assert!(!h.send("FEAT").contains(" CCC\r\n"));
    // TLS required for login: refused before login, allowed after.
    let mut h = secured(ccc_config(TlsPolicy::RequiredForLogin, true));
    assert!(h.send("FEAT").contains(" CCC\r\n"));
    assert_eq!(code(&h.send("CCC")), "534");
    assert!(h.s.is_secured() && h.s.wants_input());
    h.login();
    assert_eq!(code(&h.send("CCC")), "200");
    assert!(matches!(
        h.events.last(),
        Some(ServerEvent::DowngradeTls { .. })
    ));
}

#[test]
fn ccc_pauses_until_tls_is_cleared() {
    let mut h = secured(ccc_config(TlsPolicy::Available, true));
    h.login();
    h.s.handle_input(h.now, b"CCC\r\nPWD\r\n");
    assert!(
        h.s.poll_event().is_none(),
        "no downgrade before the 200 is out"
    );
    assert!(!h.s.wants_input());
    assert_eq!(
        &h.s.poll_transmit().unwrap()[..],
        b"200 Control connection cleared; TLS shut down.\r\n"
    );
    assert_eq!(
        h.s.poll_event(),
        Some(ServerEvent::DowngradeTls {
            discarded_protected: 5
        })
    );
    // Input while the adapter shuts TLS down is dropped.
    h.s.handle_input(h.now, b"NOOP\r\n");
    assert!(h.s.poll_transmit().is_none());
    assert_eq!(
        h.s.poll_event(),
        Some(ServerEvent::InputDiscarded { bytes: 6 })
    );
    assert!(h.s.tls_established(h.now).is_err());
    h.s.tls_cleared(h.now).unwrap();
    assert!(h.s.tls_cleared(h.now).is_err());
    assert!(!h.s.is_secured() && h.s.is_control_cleared());
    assert!(h.s.is_logged_in());
    // PBSZ/PROT are refused; data keeps PROT P.
    assert_eq!(code(&h.send("PBSZ 0")), "503");
    assert_eq!(code(&h.send("PROT C")), "503");
    assert_eq!(code(&h.send("CCC")), "533");
    h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    let start = h
        .events
        .iter()
        .find_map(|e| match e {
            ServerEvent::Transfer(t) => Some(t.protection),
            _ => None,
        })
        .unwrap();
    assert_eq!(start, crate::data::DataProtection::Private);
}

#[test]
fn ccc_keeps_the_tls_login_policy() {
    let mut h = secured(ccc_config(TlsPolicy::RequiredForLoginAndData, true));
    h.login();
    assert_eq!(code(&h.send("CCC")), "200");
    h.s.tls_cleared(h.now).unwrap();
    // A new login in clear is refused; data still needs (and has) PROT P.
    assert_eq!(code(&h.send("USER bob")), "530");
    assert!(h.s.is_logged_in());
    h.pasv();
    h.send("RETR f");
    assert_eq!(code(&h.answer(Answer::Ready { size: None })), "150");
    // REIN, then only AUTH TLS again leads to a login.
    let mut h = secured(ccc_config(TlsPolicy::RequiredForLogin, true));
    h.login();
    h.send("CCC");
    h.s.tls_cleared(h.now).unwrap();
    assert_eq!(code(&h.send("REIN")), "220");
    assert!(h.s.wants_input(), "REIN in clear needs no TLS shutdown");
    assert_eq!(code(&h.send("USER a")), "530");
    assert_eq!(code(&h.send("AUTH TLS")), "234");
    h.s.tls_established(h.now).unwrap();
    assert!(!h.s.is_control_cleared());
    assert_eq!(code(&h.send("PBSZ 0")), "200");
    h.login();
}

#[test]
fn ccc_downgrade_failure_closes() {
    let mut h = secured(ccc_config(TlsPolicy::Available, true));
    h.login();
    h.send("CCC");
    h.s.tls_failed(h.now).unwrap();
    assert!(h.s.is_closed());
    h.drain();
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::TlsFailed))
    );
}

#[test]
fn rein_under_tls_drops_control_tls() {
    let mut h = secured(ccc_config(TlsPolicy::Available, false));
    h.login();
    h.s.handle_input(h.now, b"REIN\r\nUSER x\r\n");
    assert_eq!(
        &h.s.poll_transmit().unwrap()[..],
        b"220 Session reset; ready for a new user.\r\n"
    );
    assert_eq!(
        h.s.poll_event(),
        Some(ServerEvent::DowngradeTls {
            discarded_protected: 8
        })
    );
    assert!(!h.s.wants_input());
    h.s.tls_cleared(h.now).unwrap();
    assert!(!h.s.is_secured() && !h.s.is_control_cleared());
    // Back to the start: no PBSZ, PROT C, AUTH TLS accepted again.
    assert_eq!(code(&h.send("PBSZ 0")), "503");
    h.login();
    h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    assert!(h.events.iter().any(|e| matches!(
        e,
        ServerEvent::Transfer(t) if t.protection == crate::data::DataProtection::Clear
    )));
    // Under implicit TLS, REIN keeps TLS and goes back to PROT P.
    let mut c = ccc_config(TlsPolicy::Available, false);
    c.implicit_tls = true;
    let mut h = H::with(c);
    h.login();
    assert_eq!(code(&h.send("REIN")), "220");
    assert!(h.s.is_secured() && h.s.wants_input());
    assert_eq!(code(&h.send("PROT C")), "503");
}

#[test]
fn lines_held_during_a_transfer_never_cross_auth_tls() {
    let mut c = config();
    c.tls = TlsPolicy::Available;
    let mut h = H::with(c);
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    h.s.data_connected(h.now, id, "192.0.2.9:50001".parse().unwrap())
        .unwrap();
    h.s.handle_input(h.now, b"AUTH TLS\r\nDELE x\r\n");
    assert_eq!(h.drain(), "");
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 1 })
        .unwrap();
    assert_eq!(
        h.drain(),
        "226 Transfer complete.\r\n234 AUTH TLS successful.\r\n"
    );
    assert!(h.events.iter().any(|e| matches!(
        e,
        ServerEvent::UpgradeTls { discarded_plaintext } if *discarded_plaintext > 0
    )));
    h.s.tls_established(h.now).unwrap();
    assert_eq!(h.drain(), "");
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(e, ServerEvent::Request(_)))
    );
}

// ------------------------------------------------ the drain contract's corners
// Each test checks a sentence of the docs (`Session`, `ServerEvent::Transfer`,
// `TransferOutcome::NeverConnected`, `Timeouts::answer`).

/// `ServerEvent::Transfer` for a passive setup comes with the `150`, before
/// the client's data connection is accepted; the adapter reports the
/// connection afterwards with `data_connected`.
#[test]
fn a_passive_transfer_starts_before_its_connection() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    assert!(
        h.answer(Answer::Ready { size: Some(3) })
            .starts_with("150 ")
    );
    assert_eq!(
        h.take_transfer().id,
        id,
        "Transfer comes before data_connected"
    );
    h.s.data_connected(h.now, id, "192.0.2.9:50123".parse().unwrap())
        .unwrap();
    h.s.transfer_done(h.now, id, TransferOutcome::Complete { bytes: 3 })
        .unwrap();
    assert_eq!(code(&h.drain()), "226");
}

/// ABOR of a transfer whose data connection never came, reported
/// `NeverConnected`: still `426` then `226` (RFC 959 §4.1.3; Python's
/// `ftplib.abort()` refuses anything else as ABOR's first reply).
#[test]
fn abor_before_the_data_connection_is_426_then_226() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("RETR f");
    h.answer(Answer::Ready { size: None });
    assert_eq!(h.send("ABOR"), "");
    assert!(h.events.contains(&ServerEvent::Abort {
        id,
        incomplete_upload: false
    }));
    h.s.transfer_done(h.now, id, TransferOutcome::NeverConnected)
        .unwrap();
    assert_eq!(
        h.drain(),
        "426 Transfer aborted.\r\n226 ABOR successful.\r\n"
    );
    assert_eq!(code(&h.send("NOOP")), "200");
}

/// A failed control write means the connection is gone: the adapter calls
/// `handle_eof` and keeps draining; the engine stops the transfer (an upload
/// marked incomplete), closes, and needs no `transfer_done` afterwards.
#[test]
fn a_failed_control_write_is_handled_as_eof() {
    let mut h = H::new();
    h.login();
    let id = h.pasv();
    h.send("STOR f");
    h.answer(Answer::Ready { size: None });
    h.s.data_connected(h.now, id, "192.0.2.9:50123".parse().unwrap())
        .unwrap();
    h.drain();
    h.s.handle_eof(h.now);
    h.drain();
    assert!(h.events.contains(&ServerEvent::Abort {
        id,
        incomplete_upload: true
    }));
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::ConnectionLost))
    );
    assert!(h.s.is_closed() && h.s.poll_timeout().is_none());
    let late =
        h.s.transfer_done(h.now, id, TransferOutcome::Aborted)
            .unwrap_err();
    assert_eq!(late.kind, crate::UsageErrorKind::Closed);
}

/// A request nobody answers fails after `Timeouts::answer` (`451`, or
/// `550` where RFC 959 lists no 451), the session reads on, and a late
/// answer is refused with the request handed back; an unanswered login
/// closes with `421`; `None` waits for ever.
#[test]
fn an_unanswered_request_times_out() {
    let mut c = config();
    c.timeouts.data_connect = None;
    c.timeouts.passive_accept = None;
    let mut h = H::with(c);
    h.login();
    h.pasv();
    h.send("RETR f");
    let lost = h.request();
    let deadline =
        h.s.poll_timeout()
            .expect("a deadline while a request waits");
    assert_eq!(
        deadline.saturating_duration_since(h.now),
        Duration::from_secs(120)
    );
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert_eq!(code(&h.drain()), "451");
    assert_eq!(code(&h.send("NOOP")), "200");
    let late =
        h.s.answer(h.now, lost, Answer::Ready { size: None })
            .unwrap_err();
    assert_eq!(late.kind, crate::UsageErrorKind::UnknownId);
    h.send("CWD /x");
    let _lost = h.request();
    let deadline = h.s.poll_timeout().unwrap();
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert_eq!(code(&h.drain()), "550");

    let mut c = config();
    c.timeouts.login = None;
    let mut h = H::with(c);
    h.send("USER alice");
    h.send("PASS secret");
    let _lost = h.request();
    let deadline = h.s.poll_timeout().unwrap();
    h.now = deadline;
    h.s.handle_timeout(deadline);
    assert_eq!(code(&h.drain()), "421");
    assert!(
        h.events
            .contains(&ServerEvent::Closed(CloseReason::AnswerTimeout))
    );

    let mut c = config();
    c.timeouts.login = None;
    c.timeouts.answer = None;
    let mut h = H::with(c);
    h.send("USER alice");
    h.send("PASS secret");
    let _lost = h.request();
    assert_eq!(h.s.poll_timeout(), None);
}
