//! The client engine against scripted server bytes: every operation, the
//! reply-ordering races, TLS pauses, timeouts and hostile input.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ftp_proto::Secret;
use ftp_proto::client::{
    AcceptedPeer, ClientConfig, ClientError, ClientEvent, ClientSession, CloseReason,
    ConformancePolicy, DataConnectionMode, DataRequest, Direction, MAX_FOREIGN_DATA_PEERS, OpId,
    Outcome, PassiveAddressPolicy, ProtocolError,
};
use ftp_proto::data::{DataId, DataProtection};
use ftp_proto::{Instant, Session, UsageErrorKind};

struct Script {
    c: ClientSession,
    now: Instant,
    sent: Vec<u8>,
    events: Vec<ClientEvent>,
}

impl Script {
    fn new(config: ClientConfig) -> Self {
        Self::with_peer(config, "203.0.113.5:21")
    }

    fn with_peer(config: ClientConfig, peer: &str) -> Self {
        let peer: SocketAddr = peer.parse().unwrap();
        let mut s = Self {
            c: ClientSession::new(Instant::ZERO, config, peer),
            now: Instant::ZERO,
            sent: Vec::new(),
            events: Vec::new(),
        };
        s.feed(b"220 hello\r\n");
        assert!(matches!(
            s.finished(OpId::GREETING),
            Some(Ok(Outcome::Connected(_)))
        ));
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

    /// What was sent since the last call, as text.
    fn sent(&mut self) -> String {
        self.drain();
        String::from_utf8(std::mem::take(&mut self.sent)).unwrap()
    }

    fn finished(&self, op: OpId) -> Option<&Result<Outcome, ClientError>> {
        let mut it = self.events.iter().filter_map(|e| match e {
            ClientEvent::Finished { op: o, result } if *o == op => Some(result),
            _ => None,
        });
        let first = it.next();
        assert!(it.next().is_none(), "{op} finished twice");
        first
    }

    fn data_request(&self) -> Option<DataRequest> {
        self.events.iter().rev().find_map(|e| match e {
            ClientEvent::Data(d @ (DataRequest::Connect { .. } | DataRequest::Listen { .. })) => {
                Some(d.clone())
            }
            _ => None,
        })
    }

    fn data_id(&self) -> DataId {
        match self.data_request() {
            Some(DataRequest::Connect { id, .. } | DataRequest::Listen { id, .. }) => id,
            other => panic!("no data request: {other:?}"),
        }
    }

    fn count(&self, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.events.iter().filter(|e| f(e)).count()
    }

    fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
        self.c.handle_timeout(self.now);
        self.drain();
    }
}

fn ok_reply(r: &Option<&Result<Outcome, ClientError>>) -> bool {
    matches!(r, Some(Ok(_)))
}

#[test]
fn greeting_120_then_220_and_421_and_garbage() {
    let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
    let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
    c.handle_input(Instant::ZERO, b"120 wait 5 minutes\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Preliminary {
            op: OpId::GREETING,
            ..
        })
    ));
    c.handle_input(Instant::ZERO, b"220-multi\r\n220 ready\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::Finished {
            op: OpId::GREETING,
            result: Ok(_)
        })
    ));

    let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
    let op = c.noop(Instant::ZERO).unwrap();
    c.handle_input(Instant::ZERO, b"421 too many users\r\n");
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(c.is_closed());
    assert!(evs.iter().any(|e| matches!(e, ClientEvent::Finished { op: o, result: Err(ClientError::Closed(CloseReason::ServiceClosing(_))) } if *o == op)));
    assert!(matches!(
        evs.last(),
        Some(ClientEvent::Closed(CloseReason::ServiceClosing(_)))
    ));

    let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
    c.handle_input(Instant::ZERO, b"SSH-2.0-OpenSSH\r\n");
    assert!(c.is_closed());
    let evs: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert!(matches!(
        evs.last(),
        Some(ClientEvent::Closed(CloseReason::Protocol(
            ProtocolError::MalformedReply
        )))
    ));
}

#[test]
fn login_variants() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.login(s.now, "alice", Secret::new("pw"), None).unwrap();
    assert_eq!(s.sent(), "USER alice\r\n");
    s.feed(b"331 pass please\r\n");
    assert_eq!(s.sent(), "PASS pw\r\n");
    s.feed(b"230 ok\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::LoggedIn(_)))));

    let op =
        s.c.login(s.now, "anonymous", Secret::new(""), None)
            .unwrap();
    s.feed(b"230 no password needed\r\n");
    assert_eq!(s.sent(), "USER anonymous\r\n");
    assert!(ok_reply(&s.finished(op)));

    let op =
        s.c.login(s.now, "bob", Secret::new("x"), Some(Secret::new("acct1")))
            .unwrap();
    s.feed(b"331 p\r\n332 account\r\n230 ok\r\n");
    assert_eq!(s.sent(), "USER bob\r\nPASS x\r\nACCT acct1\r\n");
    assert!(ok_reply(&s.finished(op)));

    let op = s.c.login(s.now, "bob", Secret::new("x"), None).unwrap();
    s.feed(b"331 p\r\n332 account\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::AccountRequired(_)))
    ));

    let op = s.c.login(s.now, "eve", Secret::new("bad"), None).unwrap();
    s.feed(b"331 p\r\n530 Login incorrect.\r\n");
    let r = s.finished(op).unwrap().as_ref().unwrap_err();
    assert!(matches!(r, ClientError::Permanent(_)) && !r.is_transient());
    assert!(r.to_string().contains("530 Login incorrect."), "{r}");
    assert!(!s.c.is_closed());

    // Secrets never show in Debug.
    assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    // CR/LF in values is refused before anything is queued.
    let e =
        s.c.login(s.now, "a\r\nDELE x", Secret::new("p"), None)
            .unwrap_err();
    assert_eq!(e.kind, UsageErrorKind::InvalidValue);
}

#[test]
fn feat_then_utf8_and_mlsd_choice() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.feat(s.now).unwrap();
    s.feed(b"211-Features:\r\n EPSV\r\n MLST type*;size*;modify*;\r\n UTF8\r\n211 End\r\n");
    assert_eq!(s.sent(), "FEAT\r\nOPTS UTF8 ON\r\n");
    s.feed(b"504 not understood\r\n");
    match s.finished(op) {
        Some(Ok(Outcome::Features(f))) => assert!(f.utf8 && f.epsv && f.mlst.is_some()),
        other => panic!("{other:?}"),
    }
    assert!(s.c.features().unwrap().mlst.is_some());
    let l = s.c.list(s.now, None, None).unwrap();
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 Entering Extended Passive Mode (|||50001|)\r\n");
    assert_eq!(s.sent(), "MLSD\r\n");
    let id = s.data_id();
    s.feed(b"150 here\r\n");
    s.c.listing_data(s.now, id, b"type=cdir;perm=el; .\r\ntype=file;size=12;modify=20240102030405; a.txt\r\ntype=dir; sub\r\n").unwrap();
    s.c.data_finished(s.now, id).unwrap();
    s.feed(b"226 done\r\n");
    match s.finished(l) {
        Some(Ok(Outcome::Listing { entries, .. })) => {
            let entries = entries.to_vec();
            assert_eq!(entries.len(), 2);
            assert_eq!(&entries[0].name[..], b"a.txt");
            assert_eq!(entries[0].size, Some(12));
        }
        other => panic!("{other:?}"),
    }

    // FEAT refused: empty features, not an error.
    let op = s.c.feat(s.now).unwrap();
    s.feed(b"502 no\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::Features(f))) if !f.answered));
}

#[test]
fn retrieve_passive_226_before_and_after_eof() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "a.bin", 0).unwrap();
    assert_eq!(s.sent(), "TYPE I\r\n");
    s.feed(b"200 Switching to Binary mode.\r\n");
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 Entering Extended Passive Mode (|||40000|)\r\n");
    // Connect right away and send RETR without waiting for the 150.
    assert_eq!(
        s.data_request(),
        Some(DataRequest::Connect {
            id: s.data_id(),
            addr: "203.0.113.5:40000".parse().unwrap(),
            protection: DataProtection::Clear
        })
    );
    assert_eq!(s.sent(), "RETR a.bin\r\n");
    let id = s.data_id();
    s.c.data_connected(s.now, id).unwrap();
    s.feed(b"150 Opening BINARY mode data connection for a.bin (1048576 bytes).\r\n");
    let start = s.events.iter().find_map(|e| match e {
        ClientEvent::Transfer(t) => Some(t.clone()),
        _ => None,
    });
    let start = start.unwrap();
    assert_eq!(
        (start.direction, start.size_hint, start.id),
        (Direction::Download, Some(1_048_576), id)
    );
    // 226 first: not done until EOF.
    s.feed(b"226 Transfer complete.\r\n");
    assert!(s.finished(op).is_none());
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(matches!(
        s.finished(op),
        Some(Ok(Outcome::Transferred { .. }))
    ));
    // Late duplicate report: a usage error, no panic.
    assert_eq!(
        s.c.data_finished(s.now, id).unwrap_err().kind,
        UsageErrorKind::UnknownId
    );

    // EOF first, then 226; TYPE I is remembered.
    let op = s.c.retrieve(s.now, "b", 0).unwrap();
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 (|||40001|)\r\n150 ok\r\n");
    let id = s.data_id();
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(s.finished(op).is_none());
    s.feed(b"226 ok\r\n");
    assert!(ok_reply(&s.finished(op)));
}

#[test]
fn epsv_refused_falls_back_to_pasv_with_nat_rule() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n500 EPSV not understood\r\n");
    assert_eq!(s.sent(), "TYPE I\r\nEPSV\r\nPASV\r\n");
    s.feed(b"227 Entering Passive Mode (10,0,0,7,195,80).\r\n");
    // The private announced address is replaced by the control peer.
    assert!(
        matches!(s.data_request(), Some(DataRequest::Connect { addr, .. }) if addr == "203.0.113.5:50000".parse().unwrap())
    );
    assert_eq!(s.sent(), "RETR f\r\n");
    s.feed(b"150 ok\r\n226 ok\r\n");
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.drain();
    assert!(ok_reply(&s.finished(op)));
    // Remembered: next time PASV directly.
    let _ = s.c.nlst(s.now, None).unwrap();
    assert_eq!(s.sent(), "PASV\r\n");

    // Trust policy keeps the announced address; FixUnroutable keeps a public one.
    let cfg = ClientConfig {
        passive_address: PassiveAddressPolicy::FixUnroutable,
        ..ClientConfig::default()
    };
    let mut s = Script::new(cfg);
    s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n502 no\r\n227 Entering Passive Mode (198,51,100,1,4,1)\r\n");
    assert!(
        matches!(s.data_request(), Some(DataRequest::Connect { addr, .. }) if addr == "198.51.100.1:1025".parse().unwrap())
    );
}

#[test]
fn rest_resume_and_stou_and_append() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "big", 1000).unwrap();
    s.feed(b"200 ok\r\n229 (|||1234|)\r\n");
    assert_eq!(s.sent(), "TYPE I\r\nEPSV\r\nREST 1000\r\n");
    s.feed(b"350 Restarting at 1000\r\n");
    assert_eq!(s.sent(), "RETR big\r\n");
    s.feed(b"150 ok\r\n226 ok\r\n");
    let t = s.events.iter().find_map(|e| match e {
        ClientEvent::Transfer(t) => Some(t.offset),
        _ => None,
    });
    assert_eq!(t, Some(1000));
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.drain();
    assert!(ok_reply(&s.finished(op)));

    let op = s.c.store_unique(s.now, None).unwrap();
    s.feed(b"229 (|||1235|)\r\n150 FILE: upload.1\r\n226 ok\r\n");
    assert_eq!(s.sent(), "EPSV\r\nSTOU\r\n");
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.drain();
    match s.finished(op) {
        Some(Ok(Outcome::Transferred {
            unique_name: Some(n),
            ..
        })) => assert_eq!(&n[..], b"upload.1"),
        other => panic!("{other:?}"),
    }

    let op = s.c.append(s.now, "log").unwrap();
    s.feed(b"229 (|||1236|)\r\n");
    assert_eq!(s.sent(), "EPSV\r\nAPPE log\r\n");
    s.feed(b"553 not allowed\r\n");
    // Refused before 1yz: the data connection is closed, the session lives on.
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Permanent(_)))
    ));
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Data(DataRequest::Close { .. })))
    );
    // Failure after 1yz: 426 typed as a data-connection error.
    let op = s.c.store(s.now, "x", 0).unwrap();
    s.feed(b"229 (|||1237|)\r\n150 ok\r\n426 broken\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::DataConnection(Some(_))))
    ));
    let op = s.c.store(s.now, "x", 0).unwrap();
    s.feed(b"229 (|||1238|)\r\n150 ok\r\n452 full\r\n");
    let e = s.finished(op).unwrap().as_ref().unwrap_err();
    assert!(e.is_transient() && e.reply().is_some());
}

#[test]
fn listings_unix_dos_nlst_and_empty_dirs() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.list(s.now, None, None).unwrap();
    s.feed(b"229 (|||1|)\r\n");
    assert_eq!(s.sent(), "EPSV\r\nLIST\r\n");
    let id = s.data_id();
    s.feed(b"150 here\r\n");
    s.c.listing_data(s.now, id, b"total 8\r\n-rw-r--r--    1 1000     1000         4096 Mar 02 14:07 notes.txt\r\ndrwxr-xr-x    2 ftp      ftp          4096 Jan 05  2019 old dir\r\n07-13-98  09:06PM       <DIR>          aix\r\n").unwrap();
    s.feed(b"226 ok\r\n");
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    match s.finished(op) {
        Some(Ok(Outcome::Listing { entries, skipped })) => {
            let entries = entries.to_vec();
            let names: Vec<&[u8]> = entries.iter().map(|e| &e.name[..]).collect();
            assert_eq!(names, [&b"notes.txt"[..], b"old dir", b"aix"]);
            assert_eq!(*skipped, 1);
        }
        other => panic!("{other:?}"),
    }
    let op = s.c.nlst(s.now, Some(Bytes::from_static(b"pub"))).unwrap();
    s.feed(b"229 (|||2|)\r\n125 open\r\n");
    assert_eq!(s.sent(), "EPSV\r\nNLST pub\r\n");
    let id = s.data_id();
    s.c.listing_data(s.now, id, b"pub/a\r\npub/b").unwrap();
    s.c.data_finished(s.now, id).unwrap();
    s.feed(b"226 ok\r\n");
    assert!(
        matches!(s.finished(op), Some(Ok(Outcome::Names(n))) if n.len() == 2 && &n[1][..] == b"pub/b")
    );
    // An empty directory answered 450 / 550.
    let op = s.c.list(s.now, None, None).unwrap();
    s.feed(b"229 (|||3|)\r\n550 No files found\r\n");
    assert!(
        matches!(s.finished(op), Some(Ok(Outcome::Listing { entries, .. })) if entries.is_empty())
    );
    let op = s.c.nlst(s.now, None).unwrap();
    s.feed(b"229 (|||4|)\r\n450 No files found\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::Names(n))) if n.is_empty()));
    // ...but 550 for a named path is an error.
    let op =
        s.c.list(s.now, Some(Bytes::from_static(b"nope")), None)
            .unwrap();
    s.feed(b"229 (|||5|)\r\n550 No such file\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Permanent(_)))
    ));
    // One stray 2yz before the 1yz is tolerated.
    let op = s.c.nlst(s.now, None).unwrap();
    s.feed(b"229 (|||6|)\r\n200 stray\r\n150 ok\r\n");
    assert!(s.finished(op).is_none());
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.feed(b"226 ok\r\n");
    assert!(ok_reply(&s.finished(op)));
}

#[test]
fn listing_bound() {
    let cfg = ClientConfig {
        max_listing_entries: 2,
        ..ClientConfig::default()
    };
    let mut s = Script::new(cfg);
    let op = s.c.nlst(s.now, None).unwrap();
    s.feed(b"229 (|||6|)\r\n150 ok\r\n226 ok\r\n");
    let id = s.data_id();
    s.c.listing_data(s.now, id, b"a\nb\nc\nd\n").unwrap();
    s.drain();
    // The final reply was in: the listing ends at once, its data
    // connection closed.
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::ListingTooLarge))
    ));
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Data(DataRequest::Close { id: c }) if *c == id)),
        1
    );
    assert!(s.c.data_finished(s.now, id).is_err());
    assert_eq!(s.sent(), "EPSV\r\nNLST\r\n");
}

#[test]
fn a_listing_that_never_ends_is_aborted_at_its_byte_bound() {
    let cfg = ClientConfig {
        max_listing_bytes: 1000,
        ..ClientConfig::default()
    };
    let mut s = Script::new(cfg);
    let op = s.c.list(s.now, None, None).unwrap();
    s.feed(b"229 (|||6|)\r\n150 here it comes\r\n");
    assert_eq!(s.sent(), "EPSV\r\nLIST\r\n");
    let id = s.data_id();
    let line = b"-rw-r--r-- 1 u g 6 Jan 01 2020 a-file-name-that-takes-some-room\r\n";
    let mut fed = 0;
    while s.finished(op).is_none() && s.sent().is_empty() {
        assert!(fed < 100, "still reading after {fed} lines");
        s.c.listing_data(s.now, id, line).unwrap();
        s.drain();
        fed += 1;
    }
    // Aborted where the bound was crossed: ABOR, the data connection closed.
    assert_eq!(fed, 1000 / line.len() + 1);
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Data(DataRequest::Close { id: c }) if *c == id)),
        1
    );
    assert!(s.c.listing_data(s.now, id, line).is_err());
    s.feed(b"426 aborted\r\n226 abor ok\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::ListingTooLarge))
    ));
    // The session goes on.
    let pwd = s.c.pwd(s.now).unwrap();
    assert_eq!(s.sent(), "PWD\r\n");
    s.feed(b"257 \"/\"\r\n");
    assert!(ok_reply(&s.finished(pwd)));
}

#[test]
fn abort_orders() {
    for (replies, note) in [
        (&b"426 aborted\r\n226 ABOR ok\r\n"[..], "426 then 226"),
        (b"226 done\r\n225 no transfer\r\n", "race: 226 then 225"),
        (b"225 ABOR ok\r\n426 aborted\r\n", "225 first"),
    ] {
        let mut s = Script::new(ClientConfig::default());
        let op = s.c.retrieve(s.now, "f", 0).unwrap();
        s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
        s.sent();
        let ab = s.c.abort(s.now).unwrap();
        assert_eq!(s.sent(), "ABOR\r\n", "{note}");
        assert!(
            s.events
                .iter()
                .any(|e| matches!(e, ClientEvent::Data(DataRequest::Close { .. })))
        );
        s.feed(replies);
        assert!(
            matches!(s.finished(op), Some(Err(ClientError::Aborted))),
            "{note}"
        );
        assert!(
            matches!(s.finished(ab), Some(Ok(Outcome::Aborted))),
            "{note}"
        );
        // The session is in sync: the next command gets its own reply.
        let n = s.c.pwd(s.now).unwrap();
        assert_eq!(s.sent(), "PWD\r\n");
        s.feed(b"257 \"/\"\r\n");
        assert!(
            matches!(s.finished(n), Some(Ok(Outcome::Path(_)))),
            "{note}"
        );
    }
    // Nothing to abort.
    let mut s = Script::new(ClientConfig::default());
    assert_eq!(
        s.c.abort(s.now).unwrap_err().kind,
        UsageErrorKind::WrongState
    );
    // Abort during setup: no ABOR, the transfer ends when EPSV is answered.
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n");
    let ab = s.c.abort(s.now).unwrap();
    assert_eq!(s.sent(), "TYPE I\r\nEPSV\r\n");
    s.feed(b"229 (|||9|)\r\n");
    assert!(matches!(s.finished(op), Some(Err(ClientError::Aborted))));
    assert!(matches!(s.finished(ab), Some(Ok(Outcome::Aborted))));
}

#[test]
fn keepalive_noop_either_order() {
    for early in [true, false] {
        let cfg = ClientConfig {
            keepalive: Some(Duration::from_secs(30)),
            ..ClientConfig::default()
        };
        let mut s = Script::new(cfg);
        let op = s.c.retrieve(s.now, "f", 0).unwrap();
        s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
        s.sent();
        s.advance(Duration::from_secs(31));
        assert_eq!(s.sent(), "NOOP\r\n");
        let next = s.c.pwd(s.now).unwrap();
        if early {
            s.feed(b"200 NOOP ok\r\n");
            assert!(s.finished(op).is_none());
            s.feed(b"226 done\r\n");
        } else {
            s.feed(b"226 done\r\n200 NOOP ok\r\n");
        }
        s.c.data_finished(s.now, s.data_id()).unwrap();
        s.drain();
        assert!(
            matches!(s.finished(op), Some(Ok(Outcome::Transferred { .. }))),
            "early={early}"
        );
        assert_eq!(s.sent(), "PWD\r\n");
        s.feed(b"257 \"/x\"\r\n");
        assert!(matches!(s.finished(next), Some(Ok(Outcome::Path(p))) if &p[..] == b"/x"));
        assert_eq!(
            s.count(|e| matches!(e, ClientEvent::Nonconformant { .. })),
            0
        );
    }
}

#[test]
fn auth_tls_pauses_and_protects_data() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.auth_tls(s.now).unwrap();
    let pwd = s.c.pwd(s.now).unwrap();
    assert_eq!(s.sent(), "AUTH TLS\r\n");
    s.feed(b"234 AUTH TLS ok\r\n");
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, ClientEvent::UpgradeTls))
    );
    assert!(!s.c.wants_input());
    assert_eq!(s.sent(), "");
    s.c.tls_established(s.now).unwrap();
    assert_eq!(s.sent(), "PBSZ 0\r\n");
    s.feed(b"200 PBSZ=0\r\n200 PROT now Private\r\n");
    assert_eq!(s.sent(), "PROT P\r\nPWD\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::Secured))));
    assert_eq!(s.c.data_protection(), DataProtection::Private);
    assert!(s.c.control_protected());
    s.feed(b"257 \"/\"\r\n");
    assert!(ok_reply(&s.finished(pwd)));
    s.c.nlst(s.now, None).unwrap();
    s.feed(b"229 (|||9|)\r\n");
    assert!(matches!(
        s.data_request(),
        Some(DataRequest::Connect {
            protection: DataProtection::Private,
            ..
        })
    ));
    // Answering out of turn is a usage error.
    assert_eq!(
        s.c.tls_established(s.now).unwrap_err().kind,
        UsageErrorKind::WrongState
    );

    // Plaintext after 234 is never processed.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.auth_tls(s.now).unwrap();
    s.feed(b"234 ok\r\n230 injected\r\n");
    assert!(s.c.is_closed());
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Protocol(
            ProtocolError::PlaintextAfterAuth
        ))))
    ));

    // CCC.
    let mut s = Script::new(ClientConfig {
        implicit_tls: true,
        ..ClientConfig::default()
    });
    assert_eq!(s.c.data_protection(), DataProtection::Private);
    let op = s.c.clear_control(s.now).unwrap();
    s.feed(b"200 CCC ok\r\n");
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, ClientEvent::DowngradeTls))
    );
    s.c.tls_cleared(s.now).unwrap();
    s.drain();
    assert!(matches!(s.finished(op), Some(Ok(Outcome::ControlCleared))));
    assert!(!s.c.control_protected());
}

#[test]
fn explicit_tls_setting_secures_the_greeting_and_protects_data_after_login() {
    let config = ClientConfig {
        explicit_tls: true,
        ..ClientConfig::default()
    };
    let mut s = Script {
        c: ClientSession::new(
            Instant::ZERO,
            config.clone(),
            "203.0.113.5:21".parse().unwrap(),
        ),
        now: Instant::ZERO,
        sent: Vec::new(),
        events: Vec::new(),
    };
    // A login queued early waits behind AUTH TLS.
    let login = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
    s.feed(b"220 hello\r\n");
    assert!(s.finished(OpId::GREETING).is_none());
    assert_eq!(s.sent(), "AUTH TLS\r\n");
    s.feed(b"234 go ahead\r\n");
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, ClientEvent::UpgradeTls))
    );
    s.c.tls_established(s.now).unwrap();
    assert_eq!(s.sent(), "PBSZ 0\r\n");
    // This server wants PBSZ/PROT after login.
    s.feed(b"503 login first\r\n");
    assert!(matches!(
        s.finished(OpId::GREETING),
        Some(Ok(Outcome::Connected(_)))
    ));
    assert_eq!(s.c.data_protection(), DataProtection::Clear);
    assert_eq!(s.sent(), "USER u\r\n");
    s.feed(b"331 pass\r\n");
    assert_eq!(s.sent(), "PASS p\r\n");
    s.feed(b"230 in\r\n");
    assert!(s.finished(login).is_none(), "login waits for PROT P");
    assert_eq!(s.sent(), "PBSZ 0\r\n");
    s.feed(b"200 PBSZ=0\r\n");
    assert_eq!(s.sent(), "PROT P\r\n");
    s.feed(b"200 Private\r\n");
    assert!(matches!(s.finished(login), Some(Ok(Outcome::LoggedIn(_)))));
    assert_eq!(s.c.data_protection(), DataProtection::Private);

    // PBSZ/PROT accepted before login: nothing is re-sent after it.
    let mut s = Script {
        c: ClientSession::new(
            Instant::ZERO,
            config.clone(),
            "203.0.113.5:21".parse().unwrap(),
        ),
        now: Instant::ZERO,
        sent: Vec::new(),
        events: Vec::new(),
    };
    s.feed(b"220 hello\r\n234 ok\r\n");
    s.c.tls_established(s.now).unwrap();
    s.feed(b"200 PBSZ=0\r\n200 Private\r\n");
    assert!(matches!(
        s.finished(OpId::GREETING),
        Some(Ok(Outcome::Connected(_)))
    ));
    let login = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
    s.feed(b"331 pass\r\n230 in\r\n");
    assert_eq!(
        s.sent(),
        "AUTH TLS\r\nPBSZ 0\r\nPROT P\r\nUSER u\r\nPASS p\r\n"
    );
    assert!(matches!(s.finished(login), Some(Ok(Outcome::LoggedIn(_)))));

    // AUTH TLS refused: the greeting operation fails, nothing in clear.
    let mut s = Script {
        c: ClientSession::new(Instant::ZERO, config, "203.0.113.5:21".parse().unwrap()),
        now: Instant::ZERO,
        sent: Vec::new(),
        events: Vec::new(),
    };
    s.feed(b"220 hello\r\n502 no TLS here\r\n");
    assert!(matches!(s.finished(OpId::GREETING), Some(Err(_))));
}

#[test]
fn active_mode_accepts_only_the_server_and_bounds_foreign_peers() {
    let cfg = ClientConfig {
        data_mode: DataConnectionMode::Active { always_eprt: false },
        ..ClientConfig::default()
    };
    let mut s = Script::new(cfg.clone());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n");
    let id = s.data_id();
    s.c.data_listening(s.now, id, "192.0.2.9:51210".parse().unwrap())
        .unwrap();
    s.feed(b"200 PORT ok\r\n");
    assert_eq!(s.sent(), "TYPE I\r\nPORT 192,0,2,9,200,10\r\nRETR f\r\n");
    let foreign: SocketAddr = "198.51.100.7:20".parse().unwrap();
    assert_eq!(
        s.c.data_accepted(s.now, id, foreign).unwrap(),
        AcceptedPeer::Refused
    );
    // The server's address, also in its IPv4-mapped IPv6 form, is accepted.
    let mapped: SocketAddr = "[::ffff:203.0.113.5]:20".parse().unwrap();
    assert_eq!(
        s.c.data_accepted(s.now, id, mapped).unwrap(),
        AcceptedPeer::Accepted
    );
    s.feed(b"150 ok\r\n226 ok\r\n");
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(ok_reply(&s.finished(op)));

    // A flood of foreign peers: the data connection fails after the bound.
    let mut s = Script::new(cfg);
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n");
    let id = s.data_id();
    s.c.data_listening(s.now, id, "192.0.2.9:51210".parse().unwrap())
        .unwrap();
    s.feed(b"200 PORT ok\r\n");
    for _ in 1..MAX_FOREIGN_DATA_PEERS {
        assert_eq!(
            s.c.data_accepted(s.now, id, foreign).unwrap(),
            AcceptedPeer::Refused
        );
    }
    assert_eq!(
        s.c.data_accepted(s.now, id, foreign).unwrap(),
        AcceptedPeer::GaveUp
    );
    assert_eq!(
        s.c.data_accepted(s.now, id, foreign).unwrap_err().kind,
        UsageErrorKind::UnknownId
    );
    s.feed(b"425 no data connection\r\n");
    assert!(
        matches!(s.finished(op), Some(Err(_))),
        "{:?}",
        s.finished(op)
    );
}

#[test]
fn active_mode_port_and_eprt() {
    let cfg = ClientConfig {
        data_mode: DataConnectionMode::Active { always_eprt: false },
        ..ClientConfig::default()
    };
    let mut s = Script::new(cfg.clone());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n");
    assert_eq!(s.sent(), "TYPE I\r\n");
    let id = s.data_id();
    assert!(matches!(
        s.data_request(),
        Some(DataRequest::Listen { ipv6: false, .. })
    ));
    s.c.data_listening(s.now, id, "192.0.2.9:51210".parse().unwrap())
        .unwrap();
    assert_eq!(s.sent(), "PORT 192,0,2,9,200,10\r\n");
    s.feed(b"200 PORT ok\r\n");
    assert_eq!(s.sent(), "RETR f\r\n");
    s.c.data_connected(s.now, id).unwrap(); // the server connects before 150
    s.feed(b"150 ok\r\n226 ok\r\n");
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(ok_reply(&s.finished(op)));

    let mut s = Script::with_peer(cfg, "[2001:db8::1]:21");
    s.c.nlst(s.now, None).unwrap();
    s.drain();
    let id = s.data_id();
    assert!(matches!(
        s.data_request(),
        Some(DataRequest::Listen { ipv6: true, .. })
    ));
    s.c.data_listening(s.now, id, "[2001:db8::2]:50000".parse().unwrap())
        .unwrap();
    assert_eq!(s.sent(), "EPRT |2|2001:db8::2|50000|\r\n");
    // Listening failed before anything was sent: the operation fails, no hang.
    let op = s.c.nlst(s.now, None).unwrap();
    s.feed(b"200 ok\r\n150 ok\r\n226 ok\r\n");
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    let id = s.data_id();
    s.c.data_failed(s.now, id).unwrap();
    s.drain();
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::DataConnection(None)))
    ));
}

#[test]
fn simple_operations() {
    let mut s = Script::new(ClientConfig::default());
    let ops = [
        s.c.system(s.now).unwrap(),
        s.c.pwd(s.now).unwrap(),
        s.c.cwd(s.now, "pub").unwrap(),
        s.c.cdup(s.now).unwrap(),
        s.c.mkdir(s.now, "new").unwrap(),
        s.c.rmdir(s.now, "old").unwrap(),
        s.c.delete(s.now, "f").unwrap(),
        s.c.rename(s.now, "a", "b").unwrap(),
        s.c.size(s.now, "f").unwrap(),
        s.c.mdtm(s.now, "f").unwrap(),
        s.c.site(s.now, "CHMOD 644 f").unwrap(),
        s.c.noop(s.now).unwrap(),
        s.c.mlst(s.now, Some(Bytes::from_static(b"f"))).unwrap(),
        s.c.mkdir(s.now, "x").unwrap(),
        s.c.host(s.now, "ftp.example.com").unwrap(),
        s.c.mfmt(
            s.now,
            "f",
            ftp_proto::Timestamp::parse_ftp(b"20240102030405").unwrap(),
        )
        .unwrap(),
    ];
    s.feed(
        concat!(
            "215 UNIX Type: L8\r\n",
            "257 \"/home/a \"\"q\"\"\" is current\r\n",
            "250 ok\r\n",
            "200 ok\r\n",
            "257 \"/new\" created\r\n",
            "250 ok\r\n",
            "250 ok\r\n",
            "350 ready\r\n250 renamed\r\n",
            "200 binary\r\n213 4096\r\n",
            "213 20240102030405\r\n",
            "200 SITE CHMOD ok\r\n",
            "200 ok\r\n",
            "250- Listing f\r\n type=file;size=5;modify=20240102030405; /f\r\n250 End\r\n",
            "257 created, no quoted path\r\n",
            "220 welcome to example\r\n",
            "213 Modify=20240102030405; f\r\n",
        )
        .as_bytes(),
    );
    assert_eq!(
        s.sent(),
        "SYST\r\nPWD\r\nCWD pub\r\nCDUP\r\nMKD new\r\nRMD old\r\nDELE f\r\nRNFR a\r\nRNTO b\r\nTYPE I\r\nSIZE f\r\nMDTM f\r\nSITE CHMOD 644 f\r\nNOOP\r\nMLST f\r\nMKD x\r\nHOST ftp.example.com\r\nMFMT 20240102030405 f\r\n"
    );
    let r: Vec<_> = ops
        .iter()
        .map(|&o| s.finished(o).unwrap().clone().unwrap())
        .collect();
    assert!(matches!(&r[0], Outcome::System(t) if &t[..] == b"UNIX Type: L8"));
    assert!(matches!(&r[1], Outcome::Path(p) if &p[..] == b"/home/a \"q\""));
    assert!(matches!(&r[4], Outcome::Path(p) if &p[..] == b"/new"));
    assert!(matches!(&r[8], Outcome::Size(4096)));
    assert!(matches!(&r[9], Outcome::Modified(t) if t.ftp(false).to_string() == "20240102030405"));
    assert!(matches!(&r[12], Outcome::Entry(e) if e.size == Some(5)));
    assert!(matches!(&r[13], Outcome::Created(_)));
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Nonconformant { .. })),
        0
    );
    // SIZE again: TYPE I is known now.
    s.c.size(s.now, "g").unwrap();
    assert_eq!(s.sent(), "SIZE g\r\n");
    let op = s.c.size(s.now, "h").unwrap();
    s.feed(b"213 4096\r\n213 not-a-number\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::UnexpectedReply {
            verb: "SIZE",
            code: 213
        }))
    ));
}

#[test]
fn conformance_report_enforce_and_unsolicited() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.cwd(s.now, "x").unwrap();
    s.feed(b"257 what\r\n");
    assert!(ok_reply(&s.finished(op)));
    assert!(s.events.iter().any(
        |e| matches!(e, ClientEvent::Nonconformant { op: Some(o), verb: "CWD", .. } if *o == op)
    ));
    // Documented deviations pass silently.
    let op = s.c.send(s.now, ftp_proto::Command::Rein).unwrap();
    s.feed(b"230 REIN ok\r\n");
    assert!(ok_reply(&s.finished(op)));
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Nonconformant { .. })),
        1
    );
    // Unsolicited: reported and dropped; matching stays right.
    s.feed(b"200 surprise\r\n");
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Nonconformant { op: None, .. })),
        1
    );
    let op = s.c.pwd(s.now).unwrap();
    s.feed(b"257 \"/\"\r\n");
    assert!(ok_reply(&s.finished(op)));

    let mut s = Script::new(ClientConfig {
        conformance: ConformancePolicy::Enforce,
        ..ClientConfig::default()
    });
    let op = s.c.cwd(s.now, "x").unwrap();
    s.feed(b"257 what\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Nonconformant {
            verb: "CWD",
            code: 257
        }))
    ));
}

#[test]
fn raw_commands_and_limits() {
    let mut s = Script::new(ClientConfig {
        max_queued_ops: 3,
        ..ClientConfig::default()
    });
    let a = s.c.send(s.now, ftp_proto::Command::Stat(None)).unwrap();
    let b = s.c.send(s.now, ftp_proto::Command::Help(None)).unwrap();
    let c = s.c.send(s.now, ftp_proto::Command::Noop).unwrap();
    let e = s.c.send(s.now, ftp_proto::Command::Noop).unwrap_err();
    assert_eq!(e.kind, UsageErrorKind::LimitExceeded);
    assert_eq!(e.value, ftp_proto::Command::Noop);
    let e =
        s.c.send(
            s.now,
            ftp_proto::Command::Dele(Bytes::from_static(b"a\r\nRMD /")),
        )
        .unwrap_err();
    assert_eq!(e.kind, UsageErrorKind::InvalidValue);
    // Lock-step: one command at a time.
    assert_eq!(s.sent(), "STAT\r\n");
    s.feed(b"211-status\r\n 211 indented\r\n211 end\r\n214 help\r\n502 no\r\n");
    assert!(matches!(s.finished(a), Some(Ok(Outcome::Reply(_)))));
    assert!(matches!(s.finished(b), Some(Ok(Outcome::Reply(_)))));
    assert!(matches!(
        s.finished(c),
        Some(Err(ClientError::Permanent(_)))
    ));
    assert_eq!(s.sent(), "HELP\r\nNOOP\r\n");
}

#[test]
fn quit_eof_and_connection_loss() {
    let mut s = Script::new(ClientConfig::default());
    let q = s.c.quit(s.now).unwrap();
    let after = s.c.noop(s.now).unwrap();
    s.feed(b"221 bye\r\n");
    assert!(matches!(s.finished(q), Some(Ok(Outcome::Quit))));
    assert!(matches!(
        s.finished(after),
        Some(Err(ClientError::Closed(CloseReason::Quit)))
    ));
    assert!(s.c.is_closed());
    assert_eq!(s.c.noop(s.now).unwrap_err().kind, UsageErrorKind::Closed);

    // Server closes instead of answering QUIT.
    let mut s = Script::new(ClientConfig::default());
    let q = s.c.quit(s.now).unwrap();
    s.c.handle_eof(s.now);
    s.drain();
    assert!(matches!(s.finished(q), Some(Ok(Outcome::Quit))));

    // EOF mid-transfer.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
    s.c.handle_eof(s.now);
    s.drain();
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::ConnectionLost)))
    ));
    assert!(
        s.events
            .iter()
            .any(|e| matches!(e, ClientEvent::Data(DataRequest::Close { .. })))
    );
}

#[test]
fn timeouts() {
    // A dead server: the reply deadline closes the session.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.pwd(s.now).unwrap();
    let d = s.c.poll_timeout().unwrap();
    assert_eq!(d, Instant::from_secs(60));
    s.advance(Duration::from_secs(59));
    assert!(!s.c.is_closed());
    s.advance(Duration::from_secs(1));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));
    assert_eq!(s.c.poll_timeout(), None);

    // A dead data connection: aborted after data_timeout, session usable.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
    s.sent();
    // No reply deadline while the transfer runs; the data deadline instead.
    assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(300)));
    s.advance(Duration::from_secs(100));
    s.c.data_progress(s.now, s.data_id()).unwrap();
    assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(400)));
    s.advance(Duration::from_secs(300));
    assert_eq!(s.sent(), "ABOR\r\n");
    s.feed(b"426 aborted\r\n226 ok\r\n");
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::DataTimeout))
    ));
    assert!(!s.c.is_closed());

    // 226 arrived but the data never ends.
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"229 (|||9|)\r\n150 ok\r\n226 ok\r\n");
    s.advance(Duration::from_secs(301));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::DataTimeout))
    ));
    assert_eq!(s.sent(), "EPSV\r\nRETR f\r\n");
    // Calling handle_timeout early or twice is harmless.
    s.c.handle_timeout(s.now);
    s.c.handle_timeout(s.now);
    assert!(!s.c.is_closed());
}

#[test]
fn the_final_reply_is_awaited_with_the_reply_timeout_once_the_data_ended() {
    // The data connection broke (a read timeout in the adapter) and the
    // server says nothing more: the reply timeout ends the wait.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
    s.advance(Duration::from_secs(10));
    s.c.data_failed(s.now, s.data_id()).unwrap();
    s.drain();
    assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(70)));
    s.advance(Duration::from_secs(60));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));

    // Same after a clean data EOF.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.drain();
    assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(60)));
    s.advance(Duration::from_secs(60));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));
}

#[test]
fn byte_by_byte_delivery() {
    let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
    let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
    let op = c.login(Instant::ZERO, "u", Secret::new("p"), None).unwrap();
    let pwd = c.pwd(Instant::ZERO).unwrap();
    let script = b"220-hi\r\n220 there\r\n331 p\r\n230-a\r\n230 b\r\n257 \"/\"\r\n";
    let mut events = Vec::new();
    for b in script {
        c.handle_input(Instant::ZERO, std::slice::from_ref(b));
        while c.poll_transmit().is_some() {}
        events.extend(std::iter::from_fn(|| c.poll_event()));
    }
    let done: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Finished { op, result } => Some((*op, result.is_ok())),
            _ => None,
        })
        .collect();
    assert_eq!(done, [(OpId::GREETING, true), (op, true), (pwd, true)]);
}

#[test]
fn a_close_after_the_final_reply_lets_the_transfer_data_finish() {
    // 226 then 421 (a server shutting down after the transfer) while the
    // data is still being read: the transfer completes once its data ends,
    // then the session closes for the 421; nothing more is sent.
    for (tail, reason_is_421) in [(&b"421 shutting down\r\n"[..], true), (&b""[..], false)] {
        let mut s = Script::new(ClientConfig::default());
        let op = s.c.retrieve(s.now, "f", 0).unwrap();
        s.feed(b"200 ok\r\n229 (|||40000|)\r\n");
        let id = s.data_id();
        s.c.data_connected(s.now, id).unwrap();
        s.feed(b"150 ok\r\n226 done\r\n");
        s.feed(tail);
        if !reason_is_421 {
            s.c.handle_eof(s.now);
        }
        s.drain();
        let queued = s.c.noop(s.now).unwrap();
        assert!(s.finished(op).is_none(), "the data is still open");
        assert!(!s.c.is_closed() && !s.c.wants_input());
        s.c.data_finished(s.now, id).unwrap();
        s.drain();
        assert!(matches!(
            s.finished(op),
            Some(Ok(Outcome::Transferred { .. }))
        ));
        assert!(s.c.is_closed());
        let closed = s.events.iter().find_map(|e| match e {
            ClientEvent::Closed(reason) => Some(reason.clone()),
            _ => None,
        });
        assert!(
            if reason_is_421 {
                matches!(closed, Some(CloseReason::ServiceClosing(_)))
            } else {
                matches!(closed, Some(CloseReason::ConnectionLost))
            },
            "{closed:?}"
        );
        assert!(matches!(
            s.finished(queued),
            Some(Err(ClientError::Closed(_)))
        ));
        assert_eq!(s.sent(), "TYPE I\r\nEPSV\r\nRETR f\r\n");
    }

    // The data failing instead: the transfer fails, then the close.
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||40000|)\r\n");
    let id = s.data_id();
    s.c.data_connected(s.now, id).unwrap();
    s.feed(b"150 ok\r\n226 done\r\n421 bye\r\n");
    s.c.data_failed(s.now, id).unwrap();
    s.drain();
    assert!(matches!(s.finished(op), Some(Err(_))));
    assert!(s.c.is_closed());
}

#[test]
fn preliminary_replies_never_extend_a_commands_reply_deadline() {
    // USER allows no 1yz: one every 20 s is reported and does not restart
    // the 60 s wait (it used to, forever).
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
    assert_eq!(s.sent(), "USER u\r\n");
    for _ in 0..2 {
        s.advance(Duration::from_secs(20));
        s.feed(b"150 still thinking\r\n");
        assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(60)));
    }
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Nonconformant { verb: "USER", .. })),
        2
    );
    s.advance(Duration::from_secs(19));
    s.feed(b"150 still thinking\r\n");
    assert!(!s.c.is_closed());
    s.advance(Duration::from_secs(1));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));

    // The greeting: 120 does not extend it either.
    let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
    let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
    c.handle_input(Instant::from_secs(50), b"120 in a minute\r\n");
    assert_eq!(c.poll_timeout(), Some(Instant::from_secs(60)));

    // A transfer: more 1yz after the data ended do not extend the wait for
    // the final reply (counted from the data end).
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "f", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||9|)\r\n150 ok\r\n");
    s.advance(Duration::from_secs(5));
    s.c.data_finished(s.now, s.data_id()).unwrap();
    s.drain();
    s.advance(Duration::from_secs(30));
    s.feed(b"150 more\r\n");
    assert_eq!(s.c.poll_timeout(), Some(Instant::from_secs(65)));
    s.advance(Duration::from_secs(30));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));
}

#[test]
fn a_multiline_reply_that_never_ends_times_out() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.feat(s.now).unwrap();
    s.feed(b"211-Features:\r\n");
    for _ in 0..59 {
        s.advance(Duration::from_secs(1));
        s.feed(b" SIZE\r\n");
    }
    assert!(!s.c.is_closed());
    s.advance(Duration::from_secs(1));
    assert!(matches!(
        s.finished(op),
        Some(Err(ClientError::Closed(CloseReason::Timeout)))
    ));
}

#[test]
fn an_extra_greeting_line_answers_nothing() {
    // Before the first command is sent (one read) or after (the second
    // 220 arrives while USER is in flight): the same result, a login with
    // every later reply matched right.
    for split in [false, true] {
        let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
        let mut c = ClientSession::new(Instant::ZERO, ClientConfig::default(), peer);
        let now = Instant::ZERO;
        if split {
            c.handle_input(now, b"220 a\r\n");
        } else {
            c.handle_input(now, b"220 a\r\n220 b\r\n");
        }
        let login = c.login(now, "u", Secret::new("p"), None).unwrap();
        let pwd = c.pwd(now).unwrap();
        let mut script: Vec<&[u8]> = vec![b"331 pw\r\n", b"230 in\r\n", b"257 \"/x\"\r\n"];
        if split {
            script.insert(0, b"220 b\r\n");
        }
        let mut sent = Vec::new();
        let mut events = Vec::new();
        for bytes in script {
            while let Some(f) = c.poll_transmit() {
                sent.extend_from_slice(&f);
            }
            c.handle_input(now, bytes);
            events.extend(std::iter::from_fn(|| c.poll_event()));
        }
        while let Some(f) = c.poll_transmit() {
            sent.extend_from_slice(&f);
        }
        assert_eq!(sent, b"USER u\r\nPASS p\r\nPWD\r\n", "split {split}");
        let finished = |op| {
            events.iter().find_map(|e| match e {
                ClientEvent::Finished { op: o, result } if *o == op => Some(result),
                _ => None,
            })
        };
        assert!(
            matches!(finished(login), Some(Ok(Outcome::LoggedIn(r))) if r.code().as_u16() == 230),
            "split {split}: {events:?}"
        );
        assert!(
            matches!(finished(pwd), Some(Ok(Outcome::Path(p))) if &p[..] == b"/x"),
            "split {split}: {events:?}"
        );
        assert!(events.iter().any(|e| matches!(
            e,
            ClientEvent::Nonconformant { op: None, reply, .. } if reply.code().as_u16() == 220
        )));
    }
}

#[test]
fn only_the_login_replies_rfc_959_lists_log_in() {
    let mut s = Script::new(ClientConfig::default());
    for reply in [&b"200 ok\r\n"[..], b"202 superfluous\r\n", b"250 fine\r\n"] {
        let op = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
        s.feed(reply);
        assert_eq!(s.sent(), "USER u\r\n");
        assert!(
            matches!(
                s.finished(op),
                Some(Err(ClientError::UnexpectedReply { verb: "USER", .. }))
            ),
            "{:?}",
            s.finished(op)
        );
    }
    // 202 to PASS: the password was superfluous, logged in.
    let op = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
    s.feed(b"331 pw\r\n202 no password needed\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::LoggedIn(_)))));
    // 232 to USER (RFC 2228): logged in.
    let op = s.c.login(s.now, "u", Secret::new("p"), None).unwrap();
    s.feed(b"232 authorized by security data\r\n");
    assert!(matches!(s.finished(op), Some(Ok(Outcome::LoggedIn(_)))));
}

// ------------------------------------------------ the drain contract's corners
// Each test checks a sentence of the docs (`ClientEvent::Transfer`, `Session`).

fn saw_transfer(s: &Script) -> bool {
    s.count(|e| matches!(e, ClientEvent::Transfer(_))) > 0
}

/// Listing bytes (and the data connection's end) may reach the client before
/// the `150` and so before `ClientEvent::Transfer`: they are handed to the
/// engine as they come and belong to the listing.
#[test]
fn listing_bytes_may_come_before_the_transfer_event() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.list(s.now, None, None).unwrap();
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 Entering Extended Passive Mode (|||40000|)\r\n");
    let id = s.data_id();
    assert_eq!(s.sent(), "LIST\r\n");
    s.c.data_connected(s.now, id).unwrap();
    s.drain();
    assert!(!saw_transfer(&s));
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
    assert!(saw_transfer(&s));
    match s.finished(op) {
        Some(Ok(Outcome::Listing { entries, .. })) => {
            let names: Vec<Vec<u8>> = entries.iter().map(|e| e.name.to_vec()).collect();
            assert_eq!(names, [b"a.txt".to_vec(), b"sub".to_vec()]);
        }
        other => panic!("{other:?}"),
    }
}

/// A download's data connection may end before the `150`; `data_finished`
/// is taken then, and the download completes with its final reply.
#[test]
fn a_download_may_end_before_the_transfer_event() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "a.bin", 0).unwrap();
    assert_eq!(s.sent(), "TYPE I\r\n");
    s.feed(b"200 ok\r\n");
    assert_eq!(s.sent(), "EPSV\r\n");
    s.feed(b"229 (|||40000|)\r\n");
    let id = s.data_id();
    assert_eq!(s.sent(), "RETR a.bin\r\n");
    s.c.data_connected(s.now, id).unwrap();
    s.c.data_finished(s.now, id).unwrap();
    s.drain();
    assert!(!saw_transfer(&s));
    s.feed(b"150 Opening.\r\n226 Done.\r\n");
    assert!(saw_transfer(&s));
    assert!(matches!(
        s.finished(op),
        Some(Ok(Outcome::Transferred { .. }))
    ));
}

/// A failed control write: `handle_eof`, keep draining; the running
/// operation ends with an error, its data connection is closed, and the
/// session is over.
#[test]
fn a_failed_control_write_is_handled_as_eof() {
    let mut s = Script::new(ClientConfig::default());
    let op = s.c.retrieve(s.now, "a.bin", 0).unwrap();
    s.feed(b"200 ok\r\n229 (|||40000|)\r\n");
    let id = s.data_id();
    s.c.data_connected(s.now, id).unwrap();
    s.c.handle_eof(s.now);
    s.drain();
    assert!(matches!(s.finished(op), Some(Err(_))));
    assert_eq!(
        s.count(|e| matches!(e, ClientEvent::Data(DataRequest::Close { id: i }) if *i == id)),
        1
    );
    assert!(s.c.is_closed());
}
