//! Properties of the client engine: hostile bytes never panic it, its input
//! buffer stays bounded, every operation ends exactly once, and how replies
//! are cut into reads never changes what it does.

use std::collections::HashMap;
use std::net::SocketAddr;

use ftp_proto::Secret;
use ftp_proto::client::{ClientConfig, ClientEvent, ClientSession, DataRequest, OpId};
use ftp_proto::data::DataId;
use ftp_proto::{Instant, Session};
use proptest::prelude::*;

fn peer() -> SocketAddr {
    "192.0.2.1:21".parse().unwrap()
}

/// Queues one of each kind of operation.
fn queue_all(c: &mut ClientSession, now: Instant) -> Vec<OpId> {
    let mut ops = vec![OpId::GREETING];
    ops.extend(c.login(now, "u", Secret::new("p"), None));
    ops.extend(c.feat(now));
    ops.extend(c.pwd(now));
    ops.extend(c.list(now, None, None));
    ops.extend(c.retrieve(now, "f", 7));
    ops.extend(c.rename(now, "a", "b"));
    ops.extend(c.size(now, "f"));
    ops.extend(c.auth_tls(now));
    ops.extend(c.store_unique(now, None));
    ops.extend(c.quit(now));
    ops
}

/// Drains, answering data requests as a cooperative adapter would.
fn drain(
    c: &mut ClientSession,
    now: Instant,
    done: &mut HashMap<OpId, u32>,
    log: &mut Vec<String>,
) {
    loop {
        while let Some(t) = c.poll_transmit() {
            log.push(format!("T {}", String::from_utf8_lossy(&t)));
        }
        let mut data: Option<DataId> = None;
        let mut tls = false;
        while let Some(e) = c.poll_event() {
            log.push(format!("E {e:?}"));
            match e {
                ClientEvent::Finished { op, .. } => *done.entry(op).or_default() += 1,
                ClientEvent::Data(DataRequest::Connect { id, .. }) => data = Some(id),
                ClientEvent::UpgradeTls => tls = true,
                _ => {}
            }
        }
        let mut acted = false;
        if let Some(id) = data {
            c.listing_data(now, id, b"type=file;size=1; x\r\n").unwrap();
            c.data_finished(now, id).unwrap();
            acted = true;
        }
        if tls {
            c.tls_established(now).unwrap();
            acted = true;
        }
        if !acted {
            return;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hostile_bytes_never_panic_and_ops_end_once(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20), eof in any::<bool>()) {
        let now = Instant::ZERO;
        let cfg = ClientConfig { max_reply_bytes: 1024, ..ClientConfig::default() };
        let mut c = ClientSession::new(now, cfg, peer());
        let ops = queue_all(&mut c, now);
        let mut done = HashMap::new();
        let mut log = Vec::new();
        for chunk in chunks {
            if c.wants_input() {
                c.handle_input(now, &chunk);
            }
            drain(&mut c, now, &mut done, &mut log);
            prop_assert!(c.input_buffer().len() <= 1024 + 1);
        }
        if eof {
            c.handle_eof(now);
        }
        c.close(now);
        drain(&mut c, now, &mut done, &mut log);
        for op in ops {
            prop_assert_eq!(done.get(&op).copied(), Some(1), "{}", op);
        }
    }

    #[test]
    fn replies_mostly_well_formed_never_panic(codes in prop::collection::vec((100u16..600, any::<bool>()), 0..40)) {
        let now = Instant::ZERO;
        let mut c = ClientSession::new(now, ClientConfig::default(), peer());
        let ops = queue_all(&mut c, now);
        let mut done = HashMap::new();
        let mut log = Vec::new();
        for (code, multi) in codes {
            let text = if multi {
                format!("{code}-x\r\n 1,2,3,4,5,6 (|||7|)\r\n{code} \"/d\" FILE: n (3 bytes)\r\n")
            } else {
                format!("{code} (|||4000|) 127,0,0,1,4,1 \"/d\" 20240101000000\r\n")
            };
            if c.wants_input() {
                c.handle_input(now, text.as_bytes());
            }
            drain(&mut c, now, &mut done, &mut log);
        }
        c.close(now);
        drain(&mut c, now, &mut done, &mut log);
        for op in ops {
            prop_assert_eq!(done.get(&op).copied(), Some(1), "{}", op);
        }
    }

    #[test]
    fn read_boundaries_do_not_matter(cuts in prop::collection::vec(1usize..40, 1..200)) {
        let (whole, done) = converse(&[usize::MAX]);
        prop_assert!(done.values().all(|&n| n == 1));
        prop_assert_eq!(done.len(), 11);
        let (split, _) = converse(&cuts);
        prop_assert_eq!(whole, split);
    }
}

/// What a server answers to each verb.
fn answer(line: &str) -> &'static str {
    let verb = line.split(' ').next().unwrap_or("").trim_end();
    match verb {
        "USER" => "331 Password\r\n",
        "PASS" => "230-Motd\r\n 230 not the end\r\n230 Logged in\r\n",
        "FEAT" => "211-Features:\r\n MLST type*;size*;\r\n EPSV\r\n211 End\r\n",
        "PWD" => "257 \"/home\"\r\n",
        "EPSV" => "229 Entering Extended Passive Mode (|||5000|)\r\n",
        "MLSD" | "RETR" => "150 Here\r\n226 Done\r\n",
        "STOU" => "150 FILE: u1\r\n226 ok\r\n",
        "TYPE" | "PBSZ" | "PROT" => "200 ok\r\n",
        "REST" | "RNFR" => "350 go on\r\n",
        "RNTO" => "250 renamed\r\n",
        "SIZE" => "213 42\r\n",
        "AUTH" => "234 AUTH ok\r\n",
        "QUIT" => "221 Bye\r\n",
        _ => "502 ?\r\n",
    }
}

/// Runs a whole session against `answer`, delivering the server's bytes in
/// reads of the sizes in `cuts` (cycled); returns the event log.
fn converse(cuts: &[usize]) -> (String, HashMap<OpId, u32>) {
    let now = Instant::ZERO;
    let mut c = ClientSession::new(now, ClientConfig::default(), peer());
    let _ = queue_all(&mut c, now);
    let mut done = HashMap::new();
    let mut log = Vec::new();
    let mut pending: Vec<u8> = b"220-Welcome\r\n 220 indented\r\n220 ready\r\n".to_vec();
    let mut cut = cuts.iter().copied().cycle();
    let mut sent_seen = 0;
    for _ in 0..10_000 {
        if pending.is_empty() {
            break;
        }
        let n = cut.next().unwrap_or(1).min(pending.len());
        let piece: Vec<u8> = pending.drain(..n).collect();
        c.handle_input(now, &piece);
        drain(&mut c, now, &mut done, &mut log);
        // Answer every newly transmitted command.
        let sent: Vec<String> = log
            .iter()
            .filter(|l| l.starts_with("T "))
            .cloned()
            .collect();
        for t in &sent[sent_seen..] {
            for line in t[2..].split_inclusive("\r\n") {
                pending.extend_from_slice(answer(line).as_bytes());
            }
        }
        sent_seen = sent.len();
    }
    c.handle_eof(now);
    drain(&mut c, now, &mut done, &mut log);
    // Transmits may be grouped differently; compare the byte stream and the events.
    let sent: String = log.iter().filter_map(|l| l.strip_prefix("T ")).collect();
    let events: Vec<&String> = log.iter().filter(|l| l.starts_with("E ")).collect();
    (format!("{sent}\n{events:#?}"), done)
}
