//! Replays recorded server transcripts against the client engine.
//!
//! Format (`tests/fixtures/servers/README.md`): `C: command`, `S: reply
//! line`, `D: data line received`, `#` comments. For every transcript the
//! replayer runs the operations the recorded client ran (USER → `login`,
//! LIST → `list`, RETR → `retrieve`, ...), answers each command the engine
//! sends with the recorded reply lines for the next unused command of the
//! same verb (data-setup commands the recording lacks get a generic
//! answer), hands the recorded `D:` lines over as data, and checks that
//! every operation ends once, with success exactly when the recorded final
//! reply was positive.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ftp_proto::client::{
    ClientConfig, ClientEvent, ClientSession, DataRequest, OpId, Outcome, Secret,
};
use ftp_proto::{Instant, Session};

#[derive(Debug, Default)]
struct Exchange {
    line: String,
    replies: String,
    data: Vec<u8>,
    used: bool,
}

fn verb(line: &str) -> String {
    line.split(' ').next().unwrap_or("").to_ascii_uppercase()
}

fn arg(line: &str) -> Option<String> {
    line.split_once(' ').map(|(_, a)| a.to_owned())
}

fn parse(text: &str) -> (String, Vec<Exchange>) {
    let mut greeting = String::new();
    let mut xs: Vec<Exchange> = Vec::new();
    for raw in text.lines() {
        if let Some(c) = raw.strip_prefix("C: ") {
            xs.push(Exchange {
                line: c.to_owned(),
                ..Exchange::default()
            });
        } else if let Some(s) = raw
            .strip_prefix("S: ")
            .or_else(|| (raw == "S:").then_some(""))
        {
            let target = xs.last_mut().map_or(&mut greeting, |x| &mut x.replies);
            target.push_str(s);
            target.push_str("\r\n");
        } else if let Some(d) = raw.strip_prefix("D: ")
            && let Some(x) = xs.last_mut()
        {
            x.data.extend_from_slice(d.as_bytes());
            x.data.extend_from_slice(b"\r\n");
        }
    }
    (greeting, xs)
}

/// Whether the last reply line's code is positive (1yz..3yz → 2yz final).
fn positive(replies: &str) -> bool {
    replies
        .lines()
        .last()
        .and_then(|l| l.as_bytes().first())
        .is_some_and(|&d| d == b'2' || d == b'3')
}

fn replay(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let (greeting, mut xs) = parse(&text);
    let now = Instant::ZERO;
    let mut c = ClientSession::new(
        ClientConfig::default(),
        "127.0.0.1:21".parse().unwrap(),
        now,
    );
    // The operations the recorded client ran, with the expected outcome.
    let mut expect: Vec<(OpId, bool, String)> = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let line = xs[i].line.clone();
        let v = verb(&line);
        let a = arg(&line).map(Bytes::from);
        let ok_of = |j: usize| positive(&xs[j].replies);
        let op = match v.as_str() {
            "USER" => {
                let pass = xs
                    .iter()
                    .skip(i + 1)
                    .find(|x| verb(&x.line) == "PASS")
                    .and_then(|x| arg(&x.line))
                    .unwrap_or_default();
                let end = xs
                    .iter()
                    .skip(i + 1)
                    .position(|x| verb(&x.line) != "PASS")
                    .map_or(i, |p| i + p);
                Some((
                    c.login(now, a.unwrap_or_default(), Secret::new(pass), None),
                    ok_of(end),
                ))
            }
            "SYST" => Some((c.system(now), ok_of(i))),
            "FEAT" => Some((c.feat(now), true)),
            "PWD" | "XPWD" => Some((c.pwd(now), ok_of(i))),
            "CWD" => Some((c.cwd(now, a.unwrap_or_default()), ok_of(i))),
            "CDUP" => Some((c.cdup(now), ok_of(i))),
            "MKD" => Some((c.mkdir(now, a.unwrap_or_default()), ok_of(i))),
            "RMD" => Some((c.rmdir(now, a.unwrap_or_default()), ok_of(i))),
            "DELE" => Some((c.delete(now, a.unwrap_or_default()), ok_of(i))),
            "SIZE" => Some((c.size(now, a.unwrap_or_default()), ok_of(i))),
            "MDTM" => Some((c.mdtm(now, a.unwrap_or_default()), ok_of(i))),
            "RNFR" => {
                let to = xs.get(i + 1).and_then(|x| arg(&x.line)).unwrap_or_default();
                let ok = ok_of(i) && xs.get(i + 1).is_some_and(|x| positive(&x.replies));
                Some((c.rename(now, a.unwrap_or_default(), to), ok))
            }
            "LIST" | "MLSD" => Some((
                c.list(now, a, None),
                ok_of(i) || xs[i].replies.starts_with("450"),
            )),
            "NLST" => Some((c.nlst(now, a), ok_of(i) || xs[i].replies.starts_with("450"))),
            "RETR" => Some((c.retrieve(now, a.unwrap_or_default(), 0), ok_of(i))),
            "STOR" => Some((c.store(now, a.unwrap_or_default(), 0), ok_of(i))),
            "QUIT" => Some((c.quit(now), true)),
            _ => None,
        };
        if let Some((id, ok)) = op {
            expect.push((id.unwrap(), ok, line.clone()));
        }
        i += 1;
    }
    let mut done: HashMap<OpId, bool> = HashMap::new();
    let mut pending: VecDeque<u8> = greeting.bytes().collect();
    let mut current_data: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let chunk: Vec<u8> = pending.drain(..).collect();
        if chunk.is_empty() {
            if c.is_closed() {
                break;
            }
            c.handle_eof(now);
        } else if c.wants_input() {
            c.handle_input(now, &chunk);
        }
        loop {
            let mut sent = Vec::new();
            while let Some(t) = c.poll_transmit() {
                sent.extend_from_slice(&t);
            }
            for line in String::from_utf8_lossy(&sent).split_terminator("\r\n") {
                let v = verb(line);
                match xs.iter_mut().find(|x| !x.used && verb(&x.line) == v) {
                    Some(x) => {
                        x.used = true;
                        pending.extend(x.replies.bytes());
                        current_data = std::mem::take(&mut x.data);
                    }
                    None => pending.extend(
                        match v.as_str() {
                            "EPSV" => "229 Entering Extended Passive Mode (|||30000|)\r\n",
                            "TYPE" => "200 ok\r\n",
                            _ => "502 not in transcript\r\n",
                        }
                        .bytes(),
                    ),
                }
            }
            let mut data = None;
            while let Some(e) = c.poll_event() {
                match e {
                    ClientEvent::Finished { op, result } => {
                        assert!(
                            done.insert(op, result.is_ok()).is_none(),
                            "{op} finished twice"
                        );
                        if let Ok(Outcome::Listing { entries, .. }) = &result {
                            assert!(!entries.is_empty() || current_data.is_empty());
                        }
                    }
                    ClientEvent::Transfer(t) => data = Some(t.id),
                    ClientEvent::Data(DataRequest::Connect { .. }) => {}
                    _ => {}
                }
            }
            let Some(id) = data else { break };
            let bytes = std::mem::take(&mut current_data);
            let _ = c.listing_data(now, id, &bytes);
            let _ = c.data_finished(now, id);
        }
    }
    for (op, ok, line) in &expect {
        assert_eq!(done.get(op), Some(ok), "{}: {line}", path.display());
    }
    expect.len()
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v: Vec<PathBuf> = ["servers", "client"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_transcript_replays() {
    let all = fixtures();
    assert!(!all.is_empty());
    for f in all {
        let n = replay(&f);
        assert!(n > 0, "{}: no operations", f.display());
    }
}
