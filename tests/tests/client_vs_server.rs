//! The client engine against the server engine through the in-memory
//! `ftp_proto::testing::Pair`: every client operation, passive and active, plain and with TLS
//! signalling, and injected faults.

use std::time::Duration;

use bytes::Bytes;
use ftp_proto::client::{
    ClientConfig, ClientError, ClientEvent, CloseReason, DataConnectionMode, Direction, FileKind,
    ListFormat, OpId, Outcome,
};
use ftp_proto::data::DataProtection;
use ftp_proto::server::{ServerConfig, TlsPolicy};
use ftp_proto::testing::{EofOrder, MemoryTree, Pair, sample_bytes};
use ftp_proto::{Session, Timestamp};

/// Shorthand for a `Bytes` path.
fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[derive(Debug, Clone, Copy)]
struct Setup {
    active: bool,
    tls: bool,
    byte_by_byte: bool,
    eof_order: EofOrder,
}

fn pair(setup: Setup) -> Pair {
    let client = ClientConfig {
        data_mode: if setup.active {
            DataConnectionMode::Active { always_eprt: false }
        } else {
            DataConnectionMode::Passive
        },
        ..ClientConfig::default()
    };
    let mut server = ServerConfig::default();
    if setup.tls {
        server.tls = TlsPolicy::RequiredForLoginAndData;
    }
    let mut p = Pair::with(client, server);
    p.faults.control_chunk = setup.byte_by_byte.then_some(1);
    p.faults.eof_order = setup.eof_order;
    p
}

/// (name, is dir, file size) of listing entries, sorted.
fn tree(entries: &[ftp_proto::listing::FileInfo]) -> Vec<(String, bool, Option<u64>)> {
    let mut v: Vec<_> = entries
        .iter()
        .map(|e| {
            let dir = e.kind.is_dir();
            (
                String::from_utf8_lossy(&e.name).into_owned(),
                dir,
                if dir { None } else { e.size },
            )
        })
        .collect();
    v.sort();
    v
}

fn root_tree() -> Vec<(String, bool, Option<u64>)> {
    let fs = MemoryTree::sample();
    vec![
        ("data.bin".into(), false, Some(1000)),
        ("empty".into(), true, None),
        (
            "hello.txt".into(),
            false,
            Some(fs.file("/hello.txt").unwrap().len() as u64),
        ),
        ("sub dir".into(), true, None),
    ]
}

fn listing(p: &Pair, op: OpId) -> Vec<(String, bool, Option<u64>)> {
    match p.ok(op) {
        Outcome::Listing { entries, .. } => {
            let entries = entries.to_vec();
            // LIST shows old dates to the day, MLSD to the second.
            let day = |t: Timestamp| t.unix_seconds().div_euclid(86_400);
            for e in &entries {
                assert_eq!(e.modified.map(day), Some(day(p.responder.mtime)), "{e:?}");
            }
            tree(&entries)
        }
        other => panic!("{other:?}"),
    }
}

/// Every operation once, checking each typed result and the storage.
fn full_session(setup: Setup) {
    let mut p = pair(setup);
    let now = p.now;
    if setup.tls {
        let op = p.client.auth_tls(now).unwrap();
        p.drive().unwrap();
        assert_eq!(p.ok(op), &Outcome::Secured);
        assert_eq!(p.tls_upgrades, 1);
        assert!(p.client.control_protected());
    }
    p.login();
    if setup.tls {
        // PBSZ/PROT were refused before login by this policy? Then ask again.
        if p.client.data_protection() != DataProtection::Private {
            let op = p.client.protect_data(now).unwrap();
            p.drive().unwrap();
            assert_eq!(p.ok(op), &Outcome::DataProtected);
        }
    }

    // Session information.
    let feat = p.client.feat(now).unwrap();
    let syst = p.client.system(now).unwrap();
    let pwd = p.client.pwd(now).unwrap();
    let noop = p.client.noop(now).unwrap();
    p.drive().unwrap();
    match p.ok(feat) {
        Outcome::Features(f) => assert!(f.mlst.is_some() && f.size && f.mdtm && f.utf8),
        other => panic!("{other:?}"),
    }
    assert!(matches!(p.ok(syst), Outcome::System(s) if s.starts_with(b"UNIX")));
    assert_eq!(p.ok(pwd), &Outcome::Path(b("/")));
    assert!(matches!(p.ok(noop), Outcome::Completed(_)));

    // Navigation.
    let cwd = p.client.cwd(now, "sub dir").unwrap();
    let pwd = p.client.pwd(now).unwrap();
    let cdup = p.client.cdup(now).unwrap();
    let pwd2 = p.client.pwd(now).unwrap();
    let bad_cwd = p.client.cwd(now, "no-such-dir").unwrap();
    p.drive().unwrap();
    assert!(matches!(p.ok(cwd), Outcome::Completed(_)));
    assert_eq!(p.ok(pwd), &Outcome::Path(b("/sub dir")));
    assert!(matches!(p.ok(cdup), Outcome::Completed(_)));
    assert_eq!(p.ok(pwd2), &Outcome::Path(b("/")));
    assert!(matches!(p.err(bad_cwd), ClientError::Permanent(r) if r.code().as_u16() == 550));

    // Listings: MLSD (chosen after FEAT), forced LIST, NLST, an empty
    // directory, a missing one.
    let clock = Timestamp::parse_ftp(b"20241125000000").ok();
    let mlsd = p.client.list(now, None, clock).unwrap();
    let list = p
        .client
        .list_with(now, None, ListFormat::List, clock)
        .unwrap();
    let nlst = p.client.nlst(now, None).unwrap();
    let empty = p.client.list(now, Some(b("empty")), None).unwrap();
    let sub = p
        .client
        .list_with(now, Some(b("sub dir")), ListFormat::List, clock)
        .unwrap();
    let missing = p.client.list(now, Some(b("nope")), None).unwrap();
    p.drive().unwrap();
    assert_eq!(listing(&p, mlsd), root_tree());
    assert_eq!(listing(&p, list), root_tree());
    match p.ok(nlst) {
        Outcome::Names(n) => {
            let mut n: Vec<_> = n
                .iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect();
            n.sort();
            assert_eq!(n, ["data.bin", "empty", "hello.txt", "sub dir"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(listing(&p, empty), []);
    assert_eq!(
        listing(&p, sub),
        [("nested.txt".to_owned(), false, Some(8))]
    );
    assert!(matches!(p.err(missing), ClientError::Permanent(_)));
    let c2s = p.client_text();
    assert!(c2s.contains("MLSD\r\n") && c2s.contains("LIST\r\n") && c2s.contains("NLST\r\n"));
    if setup.active {
        assert!(c2s.contains("PORT 127,0,0,1,"), "{c2s}");
    } else {
        assert!(c2s.contains("EPSV\r\n"), "{c2s}");
    }

    // Facts.
    let size = p.client.size(now, "data.bin").unwrap();
    let mdtm = p.client.mdtm(now, "hello.txt").unwrap();
    let t = Timestamp::parse_ftp(b"20200304050607").unwrap();
    let mfmt = p.client.mfmt(now, "hello.txt", t).unwrap();
    let mdtm2 = p.client.mdtm(now, "hello.txt").unwrap();
    let mlst = p.client.mlst(now, Some(b("data.bin"))).unwrap();
    let site = p.client.site(now, "HELP").unwrap();
    let bad_size = p.client.size(now, "nope").unwrap();
    p.drive().unwrap();
    assert_eq!(p.ok(size), &Outcome::Size(1000));
    assert_eq!(p.ok(mdtm), &Outcome::Modified(p.responder.mtime));
    assert!(matches!(p.ok(mfmt), Outcome::Completed(_)));
    assert_eq!(p.ok(mdtm2), &Outcome::Modified(t));
    match p.ok(mlst) {
        Outcome::Entry(e) => {
            assert!(e.name.ends_with(b"data.bin"), "{e:?}");
            assert_eq!((e.size, &e.kind), (Some(1000), &FileKind::File));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(p.ok(site), Outcome::Completed(_)));
    assert!(matches!(p.err(bad_size), ClientError::Permanent(_)));

    // Transfers: download, resumed download, upload, resumed upload, append, STOU.
    let data = sample_bytes(1000);
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    let get_rest = p.client.retrieve(now, "data.bin", 600).unwrap();
    let put = p.client.store(now, "up.bin", 0).unwrap();
    p.uploads.insert(put, b"0123456789".to_vec());
    p.drive().unwrap();
    assert!(matches!(p.ok(get), Outcome::Transferred { .. }));
    assert_eq!(p.downloads[&get], data);
    assert!(matches!(p.ok(get_rest), Outcome::Transferred { .. }));
    assert_eq!(p.downloads[&get_rest], data[600..]);
    assert!(matches!(p.ok(put), Outcome::Transferred { .. }));
    assert_eq!(p.responder.file("/up.bin"), Some(&b"0123456789"[..]));

    let resume = p.client.store(now, "up.bin", 4).unwrap();
    p.uploads.insert(resume, b"0123ABCDEF".to_vec());
    let app = p.client.append(now, "up.bin").unwrap();
    p.uploads.insert(app, b"++".to_vec());
    let stou = p.client.store_unique(now, None).unwrap();
    p.uploads.insert(stou, b"unique bytes".to_vec());
    let missing_get = p.client.retrieve(now, "nope", 0).unwrap();
    p.drive().unwrap();
    assert!(matches!(p.ok(resume), Outcome::Transferred { .. }));
    assert!(matches!(p.ok(app), Outcome::Transferred { .. }));
    assert_eq!(p.responder.file("/up.bin"), Some(&b"0123ABCDEF++"[..]));
    match p.ok(stou) {
        Outcome::Transferred {
            unique_name: Some(n),
            ..
        } => {
            let path = format!("/{}", String::from_utf8_lossy(n).trim_start_matches('/'));
            assert_eq!(
                p.responder.file(&path),
                Some(&b"unique bytes"[..]),
                "{path}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(p.err(missing_get), ClientError::Permanent(_)));

    // Changes.
    let mkd = p.client.mkdir(now, "new dir").unwrap();
    let ren = p.client.rename(now, "up.bin", "new dir/moved.bin").unwrap();
    let dele = p.client.delete(now, "new dir/moved.bin").unwrap();
    let rmd = p.client.rmdir(now, "new dir").unwrap();
    let bad_ren = p.client.rename(now, "nope", "x").unwrap();
    p.drive().unwrap();
    assert_eq!(p.ok(mkd), &Outcome::Path(b("/new dir")));
    assert!(matches!(p.ok(ren), Outcome::Completed(_)));
    assert!(matches!(p.ok(dele), Outcome::Completed(_)));
    assert!(matches!(p.ok(rmd), Outcome::Completed(_)));
    assert!(matches!(p.err(bad_ren), ClientError::Permanent(_)));
    assert!(!p.responder.is_dir("/new dir") && p.responder.file("/up.bin").is_none());

    // Every transfer ran with the same protection on both sides.
    let want = if setup.tls {
        DataProtection::Private
    } else {
        DataProtection::Clear
    };
    assert!(p.protections.len() >= 10, "{:?}", p.protections);
    assert!(
        p.protections.iter().all(|&(c, s)| c == want && s == want),
        "{:?}",
        p.protections
    );

    let quit = p.client.quit(now).unwrap();
    p.drive().unwrap();
    assert_eq!(p.ok(quit), &Outcome::Quit);
    p.settle().unwrap();
    assert!(p.client.is_closed() && p.server.is_closed());
    assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
    // No reply was judged nonconformant.
    let odd: Vec<_> = p
        .client_log
        .iter()
        .filter(|e| matches!(e, ClientEvent::Nonconformant { .. }))
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
}

const PLAIN: Setup = Setup {
    active: false,
    tls: false,
    byte_by_byte: false,
    eof_order: EofOrder::EofFirst,
};

#[test]
fn every_operation_passive() {
    full_session(PLAIN);
}

#[test]
fn every_operation_active() {
    full_session(Setup {
        active: true,
        ..PLAIN
    });
}

#[test]
fn every_operation_with_tls_passive_and_active() {
    full_session(Setup { tls: true, ..PLAIN });
    full_session(Setup {
        tls: true,
        active: true,
        ..PLAIN
    });
}

#[test]
fn every_operation_byte_by_byte() {
    full_session(Setup {
        byte_by_byte: true,
        ..PLAIN
    });
}

#[test]
fn every_operation_with_226_before_data_eof() {
    full_session(Setup {
        eof_order: EofOrder::ReplyFirst,
        ..PLAIN
    });
    full_session(Setup {
        eof_order: EofOrder::ReplyFirst,
        active: true,
        byte_by_byte: true,
        ..PLAIN
    });
}

fn transfer_started(p: &Pair, op: OpId) -> bool {
    p.client_log
        .iter()
        .any(|e| matches!(e, ClientEvent::Transfer(t) if t.op == op))
}

#[test]
fn abort_a_running_download() {
    for active in [false, true] {
        let mut p = pair(Setup { active, ..PLAIN });
        p.login();
        p.faults.hold_data = true;
        let now = p.now;
        let get = p.client.retrieve(now, "data.bin", 0).unwrap();
        p.settle().unwrap();
        assert!(transfer_started(&p, get));
        let abort = p.client.abort(now).unwrap();
        p.faults.hold_data = false;
        p.drive().unwrap();
        assert_eq!(p.err(get), &ClientError::Aborted);
        assert_eq!(p.ok(abort), &Outcome::Aborted);
        assert!(p.client_text().contains("ABOR\r\n"));
        // The control connection is still in step.
        let noop = p.client.noop(now).unwrap();
        let pwd = p.client.pwd(now).unwrap();
        p.drive().unwrap();
        assert!(matches!(p.ok(noop), Outcome::Completed(_)));
        assert_eq!(p.ok(pwd), &Outcome::Path(b("/")));
        assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
    }
}

#[test]
fn data_connection_dropped_mid_transfer() {
    for (active, dir) in [(false, Direction::Download), (true, Direction::Upload)] {
        let mut p = pair(Setup { active, ..PLAIN });
        p.login();
        p.faults.drop_data_after = Some(100);
        let now = p.now;
        let op = match dir {
            Direction::Download => p.client.retrieve(now, "data.bin", 0).unwrap(),
            _ => {
                let op = p.client.store(now, "big.bin", 0).unwrap();
                p.uploads.insert(op, sample_bytes(5000));
                op
            }
        };
        p.drive().unwrap();
        assert!(
            matches!(p.err(op), ClientError::DataConnection(_)),
            "{:?}",
            p.result(op)
        );
        p.faults.drop_data_after = None;
        let size = p.client.size(now, "data.bin").unwrap();
        p.drive().unwrap();
        assert_eq!(p.ok(size), &Outcome::Size(1000));
    }
}

#[test]
fn server_shutdown_421_mid_session() {
    // Idle: the next operation fails with the server's 421.
    let mut p = Pair::new();
    p.login();
    let now = p.now;
    p.server.shutdown(now);
    let noop = p.client.noop(now).unwrap();
    p.drive().unwrap();
    match p.err(noop) {
        ClientError::Closed(CloseReason::ServiceClosing(r)) => {
            assert_eq!(r.code().as_u16(), 421);
        }
        other => panic!("{other:?}"),
    }
    assert!(p.client.is_closed());

    // During a transfer: the transfer and everything queued end.
    let mut p = Pair::new();
    p.login();
    p.faults.hold_data = true;
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    let later = p.client.pwd(now).unwrap();
    p.settle().unwrap();
    assert!(transfer_started(&p, get));
    p.server.shutdown(now);
    p.drive().unwrap();
    assert!(
        p.result(get).is_some_and(Result::is_err),
        "{:?}",
        p.result(get)
    );
    assert!(matches!(
        p.err(later),
        ClientError::Closed(CloseReason::ServiceClosing(_))
    ));
    assert!(p.client.is_closed());
}

#[test]
fn slow_storage_within_the_reply_timeout() {
    let mut p = Pair::new();
    p.faults.storage_delay = Some(Duration::from_secs(20));
    p.login();
    let now = p.now;
    let size = p.client.size(now, "data.bin").unwrap();
    let list = p.client.list(now, None, None).unwrap();
    p.drive().unwrap();
    assert_eq!(p.ok(size), &Outcome::Size(1000));
    assert_eq!(listing(&p, list), root_tree());
    assert!(p.now >= ftp_proto::Instant::from_secs(60), "{:?}", p.now);
}

#[test]
fn dead_storage_times_the_client_out() {
    let mut p = Pair::new();
    p.login();
    p.faults.storage_dead = true;
    let now = p.now;
    let size = p.client.size(now, "data.bin").unwrap();
    p.drive().unwrap();
    assert_eq!(p.err(size), &ClientError::Closed(CloseReason::Timeout));
    assert!(p.client.is_closed());
}

#[test]
fn dead_control_connection_times_the_client_out() {
    let mut p = Pair::new();
    p.login();
    p.faults.control_dead = true;
    let start = p.now;
    let noop = p.client.noop(start).unwrap();
    p.drive().unwrap();
    assert_eq!(p.err(noop), &ClientError::Closed(CloseReason::Timeout));
    assert_eq!(
        p.now.saturating_duration_since(start),
        ClientConfig::default().reply_timeout
    );
}

#[test]
fn stalled_data_connection_times_out() {
    let mut p = Pair::with(
        ClientConfig {
            data_timeout: Duration::from_secs(30),
            ..ClientConfig::default()
        },
        ServerConfig::default(),
    );
    p.login();
    p.faults.hold_data = true;
    let now = p.now;
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    p.drive().unwrap();
    assert_eq!(p.err(get), &ClientError::DataTimeout);
    // ABOR consumed both replies: the session goes on.
    p.faults.hold_data = false;
    let now = p.now;
    let size = p.client.size(now, "hello.txt").unwrap();
    p.drive().unwrap();
    assert!(matches!(p.ok(size), Outcome::Size(_)));
}

#[test]
fn refused_login_and_raw_commands() {
    let mut p = Pair::new();
    let now = p.now;
    let bad = p
        .client
        .login(now, "alice", ftp_proto::Secret::new("wrong"), None)
        .unwrap();
    p.drive().unwrap();
    assert!(matches!(p.err(bad), ClientError::Permanent(r) if r.code().as_u16() == 530));
    p.login();
    let raw = p
        .client
        .send(
            now,
            ftp_proto::Command::Stat(Some(Bytes::from_static(b"/"))),
        )
        .unwrap();
    let help = p.client.send(now, ftp_proto::Command::Help(None)).unwrap();
    p.drive().unwrap();
    assert!(matches!(p.ok(raw), Outcome::Reply(r) if r.code().as_u16() == 213));
    assert!(matches!(p.ok(help), Outcome::Reply(r) if r.code().as_u16() == 214));
}

#[test]
fn keepalive_noop_during_a_transfer() {
    let mut p = Pair::with(
        ClientConfig {
            keepalive: Some(Duration::from_secs(10)),
            ..ClientConfig::default()
        },
        ServerConfig::default(),
    );
    p.login();
    p.faults.hold_data = true;
    let now = p.now;
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    p.settle().unwrap();
    for _ in 0..3 {
        p.advance(Duration::from_secs(10));
        p.settle().unwrap();
    }
    assert!(
        p.client_text().matches("NOOP\r\n").count() >= 2,
        "{}",
        p.client_text()
    );
    p.faults.hold_data = false;
    p.drive().unwrap();
    assert!(matches!(p.ok(get), Outcome::Transferred { .. }));
    assert_eq!(p.downloads[&get], sample_bytes(1000));
    let pwd = p.client.pwd(p.now).unwrap();
    p.drive().unwrap();
    assert_eq!(p.ok(pwd), &Outcome::Path(b("/")));
    let odd: Vec<_> = p
        .client_log
        .iter()
        .filter(|e| matches!(e, ClientEvent::Nonconformant { .. }))
        .collect();
    assert!(odd.is_empty(), "{odd:?}");
}

#[test]
fn abort_a_running_upload_and_eprt_and_ccc() {
    let mut p = pair(Setup {
        active: true,
        ..PLAIN
    });
    p.login();
    p.faults.hold_data = true;
    let now = p.now;
    let put = p.client.store(now, "part.bin", 0).unwrap();
    p.uploads.insert(put, sample_bytes(3000));
    p.settle().unwrap();
    assert!(transfer_started(&p, put));
    let abort = p.client.abort(now).unwrap();
    p.faults.hold_data = false;
    p.drive().unwrap();
    assert_eq!(p.err(put), &ClientError::Aborted);
    assert_eq!(p.ok(abort), &Outcome::Aborted);
    // CCC without TLS on the control connection: 533, session goes on.
    let ccc = p.client.clear_control(now).unwrap();
    let noop = p.client.noop(now).unwrap();
    p.drive().unwrap();
    assert!(matches!(p.err(ccc), ClientError::Permanent(_)));
    assert!(matches!(p.ok(noop), Outcome::Completed(_)));

    // EPRT for IPv4 when asked.
    let mut p = Pair::with(
        ClientConfig {
            data_mode: DataConnectionMode::Active { always_eprt: true },
            ..ClientConfig::default()
        },
        ServerConfig::default(),
    );
    p.login();
    let get = p.client.retrieve(p.now, "hello.txt", 0).unwrap();
    p.drive().unwrap();
    assert!(matches!(p.ok(get), Outcome::Transferred { .. }));
    assert!(
        p.client_text().contains("EPRT |1|127.0.0.1|"),
        "{}",
        p.client_text()
    );
}

#[test]
fn odd_names_survive_the_round_trip() {
    let mut p = Pair::new();
    p.responder.add_file("/sp  ace.txt", b"1");
    p.responder.add_file("/caf\u{e9} \u{2603}.txt", b"22");
    p.responder.add_file("/-rw-r--r-- fake", b"333");
    p.responder.add_file("/semi;colon=x", b"4444");
    p.login();
    let now = p.now;
    let clock = Timestamp::parse_ftp(b"20241125000000").ok();
    let mlsd = p
        .client
        .list_with(now, None, ListFormat::Mlsd, clock)
        .unwrap();
    let list = p
        .client
        .list_with(now, None, ListFormat::List, clock)
        .unwrap();
    let nlst = p.client.nlst(now, None).unwrap();
    let get = p.client.retrieve(now, "caf\u{e9} \u{2603}.txt", 0).unwrap();
    p.drive().unwrap();
    let want: Vec<(String, bool, Option<u64>)> = {
        let mut v = root_tree();
        v.extend([
            ("sp  ace.txt".to_owned(), false, Some(1)),
            ("caf\u{e9} \u{2603}.txt".to_owned(), false, Some(2)),
            ("-rw-r--r-- fake".to_owned(), false, Some(3)),
            ("semi;colon=x".to_owned(), false, Some(4)),
        ]);
        v.sort();
        v
    };
    assert_eq!(listing(&p, mlsd), want);
    assert_eq!(listing(&p, list), want);
    match p.ok(nlst) {
        Outcome::Names(n) => assert_eq!(n.len(), want.len()),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.downloads[&get], b"22");
}

#[test]
fn server_timers_reach_the_client() {
    // Not logged in within the server's login timeout: 421, then close.
    let mut p = Pair::new();
    p.settle().unwrap();
    p.advance(Duration::from_secs(61));
    p.settle().unwrap();
    assert!(p.server.is_closed());
    assert!(p.client.is_closed());
    assert!(p.client_log.iter().any(|e| matches!(
        e,
        ClientEvent::Closed(CloseReason::ServiceClosing(r)) if r.code().as_u16() == 421
    )));
}

#[test]
fn abort_before_the_transfer_starts() {
    // ABOR while the server still waits for its storage to open the file:
    // the server reads ABOR only after answering RETR.
    let mut p = Pair::new();
    p.login();
    p.faults.storage_delay = Some(Duration::from_secs(5));
    p.faults.hold_data = true;
    let now = p.now;
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    p.settle().unwrap();
    assert!(
        p.client_text().ends_with("RETR data.bin\r\n"),
        "{}",
        p.client_text()
    );
    let abort = p.client.abort(now).unwrap();
    p.drive().unwrap();
    assert_eq!(p.err(get), &ClientError::Aborted);
    assert_eq!(p.ok(abort), &Outcome::Aborted);
    // While the data setup is in flight: no ABOR is needed.
    p.faults.hold_data = false;
    let now = p.now;
    let get = p.client.retrieve(now, "data.bin", 0).unwrap();
    let abort = p.client.abort(now).unwrap();
    let size = p.client.size(now, "data.bin").unwrap();
    p.drive().unwrap();
    assert_eq!(p.err(get), &ClientError::Aborted);
    assert_eq!(p.ok(abort), &Outcome::Aborted);
    assert_eq!(p.ok(size), &Outcome::Size(1000));
    assert_eq!(p.client_text().matches("ABOR\r\n").count(), 1);
}

/// `CCC` from our client to our server: refused by default (534, TLS stays),
/// accepted with `allow_clear_control`; afterwards listings and downloads
/// still work, their data connections under the `PROT P` in force.
#[test]
fn clear_control_against_our_server() {
    for (allow, byte_by_byte) in [(false, false), (true, false), (true, true)] {
        let mut server = ServerConfig::default();
        server.tls = TlsPolicy::RequiredForLoginAndData;
        server.allow_clear_control = allow;
        let mut p = Pair::with(ClientConfig::default(), server);
        p.faults.control_chunk = byte_by_byte.then_some(1);
        let now = p.now;
        let auth = p.client.auth_tls(now).unwrap();
        p.drive().unwrap();
        assert_eq!(p.ok(auth), &Outcome::Secured);
        p.login();
        if p.client.data_protection() != DataProtection::Private {
            let op = p.client.protect_data(now).unwrap();
            p.drive().unwrap();
            assert_eq!(p.ok(op), &Outcome::DataProtected);
        }
        let ccc = p.client.clear_control(now).unwrap();
        let pwd = p.client.pwd(now).unwrap();
        p.drive().unwrap();
        assert_eq!(p.ok(pwd), &Outcome::Path(b("/")));
        if !allow {
            assert!(matches!(p.err(ccc), ClientError::Permanent(_)));
            assert!(p.client.control_protected() && p.server.is_secured());
            assert_eq!(p.tls_downgrades, 0);
            continue;
        }
        assert_eq!(p.ok(ccc), &Outcome::ControlCleared);
        assert_eq!(p.tls_downgrades, 1);
        assert!(!p.client.control_protected());
        assert!(!p.server.is_secured() && p.server.is_control_cleared());
        assert_eq!(p.client.data_protection(), DataProtection::Private);
        let list = p
            .client
            .list_with(now, None, ListFormat::Mlsd, None)
            .unwrap();
        let get = p.client.retrieve(now, "data.bin", 0).unwrap();
        p.drive().unwrap();
        assert_eq!(listing(&p, list), root_tree());
        assert!(matches!(p.ok(get), Outcome::Transferred { .. }));
        assert_eq!(p.downloads[&get], sample_bytes(1000));
        assert!(!p.protections.is_empty());
        assert!(
            p.protections
                .iter()
                .all(|pair| *pair == (DataProtection::Private, DataProtection::Private)),
            "{:?}",
            p.protections
        );
        assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
        let odd: Vec<_> = p
            .client_log
            .iter()
            .filter(|e| matches!(e, ClientEvent::Nonconformant { .. }))
            .collect();
        assert!(odd.is_empty(), "{odd:?}");
    }
}
