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
use ftp_proto::Secret;
use ftp_proto::client::{
    ClientConfig, ClientEvent, ClientSession, DataRequest, FileKind, ListFormat, OpId, Outcome,
};
use ftp_proto::{Instant, Session, Timestamp};
use ftp_proto_tests::peers::{TEST_TREE, TEST_TREE_MTIME};

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

/// One expected directory entry: name, directory or not, size (files only).
type TreeItem = (String, bool, Option<u64>);

/// The top level of the tree the recorded servers served.
fn served_tree() -> Vec<TreeItem> {
    let mut v: Vec<TreeItem> = TEST_TREE
        .iter()
        .filter(|e| !e.path.contains('/'))
        .map(|e| {
            (
                e.path.to_owned(),
                e.contents.is_none(),
                e.contents.map(|c| c.len() as u64),
            )
        })
        .collect();
    v.sort();
    v
}

/// What a finished operation must have produced.
#[derive(Debug)]
enum Expect {
    Fail,
    LoggedIn,
    System,
    Features,
    Path(String),
    /// `MKD`: the created path, or `Created` when the text has none.
    Made,
    Completed,
    Size(u64),
    Modified(Timestamp),
    /// A listing: the served tree, or (hand-made fixtures) this many entries.
    Listing(Option<Vec<TreeItem>>, usize),
    Names(Vec<String>),
    Entry(String, u64),
    Transferred,
    Quit,
}

fn quoted(replies: &str) -> String {
    let first = replies.lines().last().unwrap_or("");
    first.split('"').nth(1).unwrap_or("").to_owned()
}

fn final_text(replies: &str) -> &str {
    replies
        .lines()
        .last()
        .and_then(|l| l.get(4..))
        .unwrap_or("")
}

fn data_lines(x: &Exchange) -> Vec<String> {
    String::from_utf8_lossy(&x.data)
        .split_terminator("\r\n")
        .map(str::to_owned)
        .collect()
}

/// Checks a successful outcome against the expectation.
fn check(expect: &Expect, outcome: &Outcome, what: &str) {
    let tree_date = Timestamp::from_unix(TEST_TREE_MTIME as i64, 0).to_civil();
    match (expect, outcome) {
        (Expect::LoggedIn, Outcome::LoggedIn(_))
        | (Expect::Completed, Outcome::Completed(_))
        | (Expect::Made, Outcome::Path(_) | Outcome::Created(_))
        | (Expect::Transferred, Outcome::Transferred { .. })
        | (Expect::Quit, Outcome::Quit) => {}
        (Expect::System, Outcome::System(s)) => assert!(!s.is_empty(), "{what}"),
        (Expect::Features, Outcome::Features(f)) => assert!(f.answered, "{what}"),
        (Expect::Path(p), Outcome::Path(got)) => assert_eq!(&got[..], p.as_bytes(), "{what}"),
        (Expect::Size(n), Outcome::Size(got)) => assert_eq!(got, n, "{what}"),
        (Expect::Modified(t), Outcome::Modified(got)) => assert_eq!(got, t, "{what}"),
        (Expect::Entry(name, size), Outcome::Entry(e)) => {
            assert!(e.name.ends_with(name.as_bytes()), "{what}: {e:?}");
            assert_eq!((e.size, &e.kind), (Some(*size), &FileKind::File), "{what}");
        }
        (Expect::Names(names), Outcome::Names(got)) => {
            let mut got: Vec<String> = got
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            got.sort();
            assert_eq!(&got, names, "{what}");
        }
        (Expect::Listing(tree, count), Outcome::Listing { entries, .. }) => {
            let entries = entries.to_vec();
            let Some(tree) = tree else {
                assert_eq!(entries.len(), *count, "{what}: {entries:?}");
                return;
            };
            let mut got: Vec<TreeItem> = entries
                .iter()
                .map(|e| {
                    let dir = e.kind.is_dir();
                    assert!(
                        dir || e.kind == FileKind::File,
                        "{what}: kind of {:?}",
                        e.name
                    );
                    let date = e.modified.map(|m| m.to_civil());
                    assert_eq!(
                        date.map(|d| (d.year, d.month, d.day)),
                        Some((tree_date.year, tree_date.month, tree_date.day)),
                        "{what}: date of {:?}",
                        e.name
                    );
                    (
                        String::from_utf8_lossy(&e.name).into_owned(),
                        dir,
                        if dir { None } else { e.size },
                    )
                })
                .collect();
            got.sort();
            assert_eq!(&got, tree, "{what}");
        }
        _ => panic!("{what}: expected {expect:?}, got {outcome:?}"),
    }
}

fn replay(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    // Recorded real servers served the known tree; hand-made ones did not.
    let tree = path
        .parent()
        .is_some_and(|d| d.ends_with("servers"))
        .then(served_tree);
    let (greeting, mut xs) = parse(&text);
    let now = Instant::ZERO;
    // The capture date: LIST lines without a year are placed before it.
    let wall_clock = Timestamp::parse_ftp(b"20261125000000").ok();
    let mut c = ClientSession::new(
        now,
        ClientConfig::default(),
        "127.0.0.1:21".parse().unwrap(),
    );
    // The operations the recorded client ran, with the expected outcome.
    let mut expect: Vec<(OpId, Expect, String)> = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let line = xs[i].line.clone();
        let v = verb(&line);
        let a = arg(&line).map(Bytes::from);
        let replies = xs[i].replies.clone();
        let ok = positive(&replies);
        let typed = |e: Expect| if ok { e } else { Expect::Fail };
        let listing = |names: Vec<String>| {
            let count = names.len();
            Expect::Listing(tree.clone(), count)
        };
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
                let e = if positive(&xs[end].replies) {
                    Expect::LoggedIn
                } else {
                    Expect::Fail
                };
                Some((
                    c.login(now, a.unwrap_or_default(), Secret::new(pass), None),
                    e,
                ))
            }
            "SYST" => Some((c.system(now), typed(Expect::System))),
            "FEAT" => Some((c.feat(now), Expect::Features)),
            "PWD" | "XPWD" => Some((c.pwd(now), typed(Expect::Path(quoted(&replies))))),
            "CWD" => Some((c.cwd(now, a.unwrap_or_default()), typed(Expect::Completed))),
            "CDUP" => Some((c.cdup(now), typed(Expect::Completed))),
            "MKD" => Some((c.mkdir(now, a.unwrap_or_default()), typed(Expect::Made))),
            "RMD" => Some((
                c.rmdir(now, a.unwrap_or_default()),
                typed(Expect::Completed),
            )),
            "DELE" => Some((
                c.delete(now, a.unwrap_or_default()),
                typed(Expect::Completed),
            )),
            "SIZE" => {
                let n = final_text(&replies).trim().parse().unwrap_or(u64::MAX);
                Some((c.size(now, a.unwrap_or_default()), typed(Expect::Size(n))))
            }
            "MDTM" => {
                let t = Timestamp::parse_ftp(final_text(&replies).trim().as_bytes());
                let e = match t {
                    Ok(t) => typed(Expect::Modified(t)),
                    Err(_) => Expect::Fail,
                };
                Some((c.mdtm(now, a.unwrap_or_default()), e))
            }
            "MLST" => {
                let name = line.split(' ').nth(1).unwrap_or("").to_owned();
                let size = tree
                    .as_ref()
                    .and_then(|t| t.iter().find(|e| e.0 == name))
                    .and_then(|e| e.2)
                    .unwrap_or(0);
                Some((c.mlst(now, a), typed(Expect::Entry(name, size))))
            }
            "RNFR" => {
                let to = xs.get(i + 1).and_then(|x| arg(&x.line)).unwrap_or_default();
                let both = ok && xs.get(i + 1).is_some_and(|x| positive(&x.replies));
                let e = if both {
                    Expect::Completed
                } else {
                    Expect::Fail
                };
                Some((c.rename(now, a.unwrap_or_default(), to), e))
            }
            // The recorded client chose the command: force the same one.
            "LIST" | "MLSD" => {
                let format = if v == "LIST" {
                    ListFormat::List
                } else {
                    ListFormat::Mlsd
                };
                let empty = replies.starts_with("450");
                let e = if ok {
                    listing(data_lines(&xs[i]))
                } else if empty {
                    Expect::Listing(None, 0)
                } else {
                    Expect::Fail
                };
                Some((c.list_with(now, a, format, wall_clock), e))
            }
            "NLST" => {
                let names = match &tree {
                    Some(t) => t.iter().map(|e| e.0.clone()).collect(),
                    None => {
                        let mut n = data_lines(&xs[i]);
                        n.sort();
                        n
                    }
                };
                Some((c.nlst(now, a), typed(Expect::Names(names))))
            }
            "RETR" => Some((
                c.retrieve(now, a.unwrap_or_default(), 0),
                typed(Expect::Transferred),
            )),
            "STOR" => Some((
                c.store(now, a.unwrap_or_default(), 0),
                typed(Expect::Transferred),
            )),
            "QUIT" => Some((c.quit(now), Expect::Quit)),
            _ => None,
        };
        if let Some((id, e)) = op {
            expect.push((id.unwrap(), e, line.clone()));
        }
        i += 1;
    }
    let mut done: HashMap<OpId, Result<Outcome, String>> = HashMap::new();
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
                        let r = result.map_err(|e| e.to_string());
                        assert!(done.insert(op, r).is_none(), "{op} finished twice");
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
    for (op, e, line) in &expect {
        let what = format!("{}: {line}", path.display());
        match (done.get(op), e) {
            (Some(Err(_)), Expect::Fail) => {}
            (Some(Ok(outcome)), e) if !matches!(e, Expect::Fail) => check(e, outcome, &what),
            (got, e) => panic!("{what}: expected {e:?}, got {got:?}"),
        }
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
