//! Server transcripts: a text format for conversations with a
//! [`ServerSession`], and the runner that replays them.
//!
//! The format is documented in `tests/transcripts/README.md`. The runner
//! plays a transcript twice, once feeding each `C:` line in one read and
//! once byte by byte, and checks that the wire output is identical. Every
//! reply is also checked against the reply codes RFC 959 §5.4 and the extension RFCs allow for the
//! command it answers ([`conformance`]).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ftp_proto::data::DataId;
use ftp_proto::listing::{FileInfo, FileKind};
use ftp_proto::path::VirtualPath;
use ftp_proto::reply::Reply;
use ftp_proto::reply::ReplyCode;
use ftp_proto::server::{
    Answer, DataAction, Denial, FsError, ListFormat, QuitPolicy, Request, RequestKind,
    ServerConfig, ServerEvent, ServerSession, ShutdownPolicy, TlsPolicy, TransferKind,
    TransferOutcome,
};
use ftp_proto::{Instant, Session, Timestamp};

/// How `C:` lines reach the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Each `C:` directive in one `handle_input` call.
    Whole,
    /// One byte per `handle_input` call (read boundaries must not matter).
    ByteByByte,
}

/// What a transcript run produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every byte the server sent.
    pub wire: Vec<u8>,
    /// Replies whose code RFC 959 §5.4 (or the extension RFCs) does not allow for their command.
    pub violations: Vec<String>,
}

/// Parses `@config` words into a [`ServerConfig`] plus session options.
#[derive(Debug, Clone)]
struct Setup {
    config: ServerConfig,
    peer: std::net::SocketAddr,
    local: std::net::SocketAddr,
    delayed: Option<u16>,
}

fn setup(lines: &[&str]) -> Result<Setup, String> {
    let mut config = ServerConfig::default();
    config.timeouts.failed_login_delay = None;
    let mut s = Setup {
        config,
        peer: "192.0.2.9:40000".parse().unwrap(),
        local: "192.0.2.1:21".parse().unwrap(),
        delayed: None,
    };
    for line in lines {
        let Some(rest) = line.strip_prefix("@config") else {
            continue;
        };
        for word in rest.split_whitespace() {
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            let secs = || -> Result<Option<Duration>, String> {
                if v == "off" {
                    Ok(None)
                } else {
                    v.parse::<u64>()
                        .map(|n| Some(Duration::from_secs(n)))
                        .map_err(|e| format!("{word}: {e}"))
                }
            };
            let num = || v.parse::<usize>().map_err(|e| format!("{word}: {e}"));
            let c = &mut s.config;
            match k {
                "tls" => {
                    c.tls = match v {
                        "available" => TlsPolicy::Available,
                        "login" => TlsPolicy::RequiredForLogin,
                        "data" => TlsPolicy::RequiredForLoginAndData,
                        _ => TlsPolicy::Disabled,
                    }
                }
                "implicit-tls" => c.implicit_tls = true,
                "ccc" => c.allow_clear_control = true,
                "anonymous" => c.security.allow_anonymous = true,
                "foreign-active" => c.security.allow_foreign_active = true,
                "active" => c.features.active_mode = v != "off",
                "login-delay" => c.timeouts.failed_login_delay = secs()?,
                "idle" => c.timeouts.idle = secs()?,
                "login-timeout" => c.timeouts.login = secs()?,
                "data-timeout" => c.timeouts.data_connect = secs()?,
                "passive-accept-timeout" => c.timeouts.passive_accept = secs()?,
                "max-login-attempts" => c.limits.max_login_attempts = num()? as u32,
                "max-line-len" => c.limits.max_line_len = num()?,
                "max-pipelined-bytes" => c.limits.max_pipelined_bytes = num()?,
                "max-pipelined-lines" => c.limits.max_pipelined_lines = num()?,
                "max-listing-bytes" => c.limits.max_listing_bytes = num()?,
                "masquerade" => {
                    c.masquerade_address = Some(v.parse().map_err(|_| word.to_string())?)
                }
                "validate-hosts" => c.validate_hosts = true,
                "quit" => {
                    c.quit_policy = if v == "abort" {
                        QuitPolicy::AbortTransfer
                    } else {
                        QuitPolicy::WaitForTransfer
                    }
                }
                "shutdown" => {
                    c.shutdown_policy = if v == "finish" {
                        ShutdownPolicy::LetTransfersFinish
                    } else {
                        ShutdownPolicy::AbortTransfers
                    }
                }
                "peer" => s.peer = v.parse().map_err(|_| word.to_string())?,
                "local" => s.local = v.parse().map_err(|_| word.to_string())?,
                "delayed-greeting" => s.delayed = Some(num()? as u16),
                _ => return Err(format!("unknown @config word {word}")),
            }
        }
    }
    Ok(s)
}

/// Decodes `\r`, `\n`, `\\`, `\xNN` escapes of a `C+` line.
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match b.get(i + 1) {
                Some(b'r') => out.push(b'\r'),
                Some(b'n') => out.push(b'\n'),
                Some(b'0') => out.push(0),
                Some(b'\\') => out.push(b'\\'),
                Some(b'x') => {
                    let hex = text.get(i + 2..i + 4).ok_or("short \\x escape")?;
                    out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                    i += 2;
                }
                _ => return Err(format!("bad escape in {text}")),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// A compact, stable rendering of an event for `E:` lines.
pub fn render_event(e: &ServerEvent, feed: Feed) -> Option<String> {
    let path = |p: &VirtualPath| String::from_utf8_lossy(p.as_bytes()).into_owned();
    let bytes = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
    Some(match e {
        ServerEvent::Request(r) => match r.kind() {
            RequestKind::Login {
                user, anonymous, ..
            } => format!(
                "request login {}{}",
                bytes(user),
                if *anonymous { " anonymous" } else { "" }
            ),
            RequestKind::Account { user, account } => {
                format!("request acct {} {}", bytes(user), bytes(account))
            }
            RequestKind::Host { name } => format!("request host {}", bytes(name)),
            RequestKind::ChangeDir { path: p } => format!("request cwd {}", path(p)),
            RequestKind::MakeDir { path: p } => format!("request mkd {}", path(p)),
            RequestKind::RemoveDir { path: p } => format!("request rmd {}", path(p)),
            RequestKind::Delete { path: p } => format!("request dele {}", path(p)),
            RequestKind::RenameFrom { path: p } => format!("request rnfr {}", path(p)),
            RequestKind::Rename { from, to } => {
                format!("request rename {} {}", path(from), path(to))
            }
            RequestKind::Size { path: p, .. } => format!("request size {}", path(p)),
            RequestKind::ModifiedTime { path: p } => format!("request mdtm {}", path(p)),
            RequestKind::SetModifiedTime { path: p, time } => {
                format!("request mfmt {} {}", path(p), time.ftp(false))
            }
            RequestKind::Retrieve {
                path: p, offset, ..
            } => format!("request retr {} offset={offset}", path(p)),
            RequestKind::Store {
                path: p, offset, ..
            } => format!("request stor {} offset={offset}", path(p)),
            RequestKind::Append { path: p, .. } => format!("request appe {}", path(p)),
            RequestKind::StoreUnique { dir, .. } => format!("request stou {}", path(dir)),
            RequestKind::List { path: p, format } => format!(
                "request {} {}",
                match format {
                    ListFormat::Long => "list",
                    ListFormat::Names => "nlst",
                    ListFormat::Machine => "mlsd",
                },
                path(p)
            ),
            RequestKind::Stat { path: p } => format!("request stat {}", path(p)),
            RequestKind::MachineListOne { path: p } => format!("request mlst {}", path(p)),
            RequestKind::Site { command } => format!("request site {}", bytes(command)),
            other => format!("request {other:?}"),
        },
        ServerEvent::Data(DataAction::Listen { id, ip }) => format!("listen {} {ip}", id.get()),
        ServerEvent::Data(DataAction::Connect { id, addr }) => {
            format!("connect {} {addr}", id.get())
        }
        ServerEvent::Data(DataAction::Close { id }) => format!("close {}", id.get()),
        ServerEvent::Transfer(t) => {
            let what = match &t.kind {
                TransferKind::Retrieve { path: p, offset } => {
                    format!("retr {} offset={offset}", path(p))
                }
                TransferKind::Store { path: p, offset } => {
                    format!("stor {} offset={offset}", path(p))
                }
                TransferKind::Append { path: p } => format!("appe {}", path(p)),
                TransferKind::Listing(b) => format!("listing {:?}", bytes(b)),
                TransferKind::DirectoryListing { path: p, style } => {
                    let format = match style.format {
                        ListFormat::Long => "list",
                        ListFormat::Names => "nlst",
                        ListFormat::Machine => "mlsd",
                    };
                    let facts: Vec<_> = style.facts.names().collect();
                    format!(
                        "directory {} {format} facts={} wall-clock={}",
                        path(p),
                        facts.join(";"),
                        style.wall_clock.ftp(false)
                    )
                }
                other => format!("{other:?}"),
            };
            format!(
                "transfer {} {what} {:?} {:?}",
                t.id.get(),
                t.representation,
                t.protection
            )
        }
        ServerEvent::Abort {
            id,
            incomplete_upload,
        } => format!(
            "abort {}{}",
            id.get(),
            if *incomplete_upload {
                " incomplete-upload"
            } else {
                ""
            }
        ),
        ServerEvent::UpgradeTls {
            discarded_plaintext,
        } => match feed {
            Feed::Whole => format!("upgrade-tls discarded={discarded_plaintext}"),
            Feed::ByteByByte => "upgrade-tls".to_string(),
        },
        ServerEvent::DowngradeTls {
            discarded_protected,
        } => match feed {
            Feed::Whole => format!("downgrade-tls discarded={discarded_protected}"),
            Feed::ByteByByte => "downgrade-tls".to_string(),
        },
        ServerEvent::InputDiscarded { bytes } => match feed {
            Feed::Whole => format!("input-discarded {bytes}"),
            Feed::ByteByByte => return None,
        },
        ServerEvent::Closed(reason) => format!("closed {reason:?}"),
        other => format!("{other:?}"),
    })
}

fn parse_answer(text: &str) -> Result<Answer, String> {
    let mut words = text.split_whitespace();
    let kind = words.next().ok_or("empty answer")?;
    let rest: Vec<&str> = words.collect();
    let arg = |i: usize| {
        rest.get(i)
            .copied()
            .ok_or(format!("{text}: missing argument"))
    };
    Ok(match kind {
        "ok" => Answer::Done,
        "logged-in" => Answer::LoggedIn {
            home: match rest.first() {
                Some(p) => Some(VirtualPath::new(p.as_bytes()).map_err(|e| e.to_string())?),
                None => None,
            },
        },
        "need-account" => Answer::NeedAccount,
        "denied" => Answer::Denied(Denial::BadCredentials),
        "size" => Answer::Size(arg(0)?.parse().map_err(|_| text.to_string())?),
        "modified" => {
            Answer::Modified(Timestamp::parse_ftp(arg(0)?.as_bytes()).map_err(|e| e.to_string())?)
        }
        "ready" => Answer::Ready {
            size: rest.first().and_then(|s| s.parse().ok()),
        },
        "unique" => {
            Answer::Unique(VirtualPath::new(arg(0)?.as_bytes()).map_err(|e| e.to_string())?)
        }
        "listing" => Answer::Listing {
            entries: rest
                .iter()
                .map(|n| {
                    let (name, kind) = match n.strip_suffix('/') {
                        Some(d) => (d, FileKind::Directory),
                        None => (*n, FileKind::File),
                    };
                    let name = unescape(name).unwrap_or_default();
                    FileInfo::new(Bytes::from(name), kind)
                        .with_size(1)
                        .with_modified(Timestamp::from_unix(1_700_000_000, 0))
                })
                .collect(),
            wall_clock: Timestamp::from_unix(1_700_000_000, 0),
        },
        "directory" => Answer::DirectoryListing {
            wall_clock: Timestamp::from_unix(1_700_000_000, 0),
        },
        "entry" => Answer::Entry(Box::new(
            FileInfo::new(Bytes::copy_from_slice(arg(0)?.as_bytes()), FileKind::File)
                .with_size(rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(0)),
        )),
        "error" => Answer::Error(match arg(0)? {
            "not-found" => FsError::NotFound,
            "denied" => FsError::PermissionDenied,
            "exists" => FsError::AlreadyExists,
            "not-dir" => FsError::NotADirectory,
            "not-file" => FsError::NotAFile,
            "busy" => FsError::Busy,
            "name" => FsError::NameNotAllowed,
            "storage" => FsError::InsufficientStorage,
            "quota" => FsError::QuotaExceeded,
            "offset" => FsError::InvalidOffset,
            "local" => FsError::LocalError,
            "unsupported" => FsError::NotSupported,
            e => return Err(format!("unknown error {e}")),
        }),
        "reply" => {
            let code: u16 = arg(0)?.parse().map_err(|_| text.to_string())?;
            let code = ReplyCode::new(code).map_err(|e| e.to_string())?;
            Answer::Reply(Reply::new(code, rest[1..].join(" ")))
        }
        other => return Err(format!("unknown answer {other}")),
    })
}

fn parse_outcome(words: &[&str]) -> Result<TransferOutcome, String> {
    Ok(match words.first().copied() {
        Some("complete") => TransferOutcome::Complete {
            bytes: words.get(1).and_then(|s| s.parse().ok()).unwrap_or(0),
        },
        Some("lost") => TransferOutcome::ConnectionLost,
        Some("never") => TransferOutcome::NeverConnected,
        Some("local") => TransferOutcome::LocalError,
        Some("full") => TransferOutcome::StorageFull,
        Some("tls") => TransferOutcome::TlsFailed,
        Some("aborted") => TransferOutcome::Aborted,
        other => return Err(format!("unknown outcome {other:?}")),
    })
}

/// Plays a transcript; `Err` describes the first mismatch.
pub fn run(text: &str, feed: Feed) -> Result<Outcome, String> {
    let lines: Vec<&str> = text.lines().collect();
    let s = setup(&lines)?;
    let mut now = Instant::ZERO;
    let config = Arc::new(s.config);
    let mut session = match s.delayed {
        Some(m) => ServerSession::new_delayed(now, config, s.peer, s.local, m),
        None => ServerSession::new(now, config, s.peer, s.local),
    };
    let mut out = Outcome::default();
    let mut pending_text = Vec::<u8>::new();
    let mut events: VecDeque<String> = VecDeque::new();
    let mut requests: VecDeque<Request> = VecDeque::new();
    let mut checker = conformance::Checker::default();

    macro_rules! drain {
        () => {{
            while let Some(b) = session.poll_transmit() {
                out.wire.extend_from_slice(&b);
                pending_text.extend_from_slice(&b);
                checker.on_output(&b);
            }
            while let Some(e) = session.poll_event() {
                if matches!(
                    e,
                    ServerEvent::UpgradeTls { .. }
                        | ServerEvent::DowngradeTls { .. }
                        | ServerEvent::InputDiscarded { .. }
                        | ServerEvent::Closed(_)
                ) {
                    checker.forget_unanswered();
                }
                if let Some(r) = render_event(&e, feed) {
                    events.push_back(r);
                }
                if let ServerEvent::Request(r) = e {
                    requests.push_back(r);
                }
            }
        }};
    }
    drain!();

    for (n, raw) in lines.iter().enumerate() {
        let ctx = |msg: String| format!("line {}: `{raw}`: {msg}", n + 1);
        let line = raw.trim_end();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let (tag, body) = line.split_at(2.min(line.len()));
        let body = body.strip_prefix(' ').unwrap_or(body);
        match tag {
            "C:" | "C+" => {
                let bytes = if tag == "C:" {
                    let mut b = body.as_bytes().to_vec();
                    b.extend_from_slice(b"\r\n");
                    b
                } else {
                    unescape(body).map_err(ctx)?
                };
                checker.on_input(&bytes, session.is_closed());
                match feed {
                    Feed::Whole => {
                        session.handle_input(now, &bytes);
                        drain!();
                    }
                    Feed::ByteByByte => {
                        for b in bytes {
                            session.handle_input(now, &[b]);
                            drain!();
                        }
                    }
                }
            }
            "S:" => {
                let want = format!("{body}\r\n");
                let got = take_line(&mut pending_text)
                    .ok_or_else(|| ctx(format!("no more output; wanted {want:?}")))?;
                if got != want.as_bytes() {
                    return Err(ctx(format!("got {:?}", String::from_utf8_lossy(&got))));
                }
            }
            "S~" => {
                let code = body.trim();
                let got = take_reply(&mut pending_text)
                    .ok_or_else(|| ctx("no more output".to_string()))?;
                if !got.starts_with(code.as_bytes()) {
                    return Err(ctx(format!("got {:?}", String::from_utf8_lossy(&got))));
                }
            }
            "E:" => {
                if feed == Feed::ByteByByte && body.starts_with("input-discarded") {
                    continue;
                }
                let want = if feed == Feed::ByteByByte && body.starts_with("upgrade-tls") {
                    "upgrade-tls"
                } else if feed == Feed::ByteByByte && body.starts_with("downgrade-tls") {
                    "downgrade-tls"
                } else {
                    body
                };
                let got = events
                    .pop_front()
                    .ok_or_else(|| ctx("no more events".to_string()))?;
                let ok = match want.strip_suffix('*') {
                    Some(prefix) => got.starts_with(prefix),
                    None => got == want,
                };
                if !ok {
                    return Err(ctx(format!("got event `{got}`")));
                }
            }
            "A:" => {
                let answer = parse_answer(body).map_err(ctx)?;
                let r = requests
                    .pop_front()
                    .ok_or_else(|| ctx("no request to answer".to_string()))?;
                session
                    .answer(now, r, answer)
                    .map_err(|e| ctx(format!("answer refused: {:?}", e.kind)))?;
                drain!();
            }
            "T:" => {
                let secs: u64 = body
                    .trim()
                    .trim_start_matches('+')
                    .parse()
                    .map_err(|_| ctx("bad time".to_string()))?;
                now = now + Duration::from_secs(secs);
                session.handle_timeout(now);
                drain!();
            }
            "D:" => {
                let words: Vec<&str> = body.split_whitespace().collect();
                let id = |i: usize| -> Result<DataId, String> {
                    words
                        .get(i)
                        .and_then(|s| s.parse().ok())
                        .map(DataId::new)
                        .ok_or_else(|| ctx("missing data id".to_string()))
                };
                let r = match words.first().copied() {
                    Some("listening") => {
                        let addr = words.get(2).ok_or_else(|| ctx("missing addr".into()))?;
                        session
                            .data_listening(
                                now,
                                id(1)?,
                                Ok(addr.parse().map_err(|_| ctx("addr".into()))?),
                            )
                            .map_err(|e| format!("{:?}", e.kind))
                    }
                    Some("listen-failed") => session
                        .data_listening(now, id(1)?, Err(()))
                        .map_err(|e| format!("{:?}", e.kind)),
                    Some("connected") => {
                        let addr = words.get(2).ok_or_else(|| ctx("missing addr".into()))?;
                        session
                            .data_connected(
                                now,
                                id(1)?,
                                addr.parse().map_err(|_| ctx("addr".into()))?,
                            )
                            .map_err(|e| format!("{:?}", e.kind))
                    }
                    Some("progress") => session
                        .transfer_progress(
                            id(1)?,
                            words.get(2).and_then(|s| s.parse().ok()).unwrap_or(0),
                        )
                        .map_err(|e| format!("{:?}", e.kind)),
                    Some("done") => session
                        .transfer_done(now, id(1)?, parse_outcome(&words[2..]).map_err(ctx)?)
                        .map_err(|e| format!("{:?}", e.kind)),
                    other => return Err(ctx(format!("unknown D: {other:?}"))),
                };
                if let Err(e) = r
                    && !body.ends_with("!refused")
                {
                    return Err(ctx(format!("refused: {e}")));
                }
                drain!();
            }
            "X:" => {
                let r = match body.trim() {
                    "eof" => {
                        session.handle_eof(now);
                        Ok(())
                    }
                    "shutdown" => {
                        session.shutdown(now);
                        Ok(())
                    }
                    "ready" => session.service_ready(now).map_err(|e| e.kind),
                    "tls-established" => session.tls_established(now).map_err(|e| e.kind),
                    "tls-failed" => session.tls_failed(now).map_err(|e| e.kind),
                    "tls-cleared" => session.tls_cleared(now).map_err(|e| e.kind),
                    other => return Err(ctx(format!("unknown X: {other}"))),
                };
                r.map_err(|e| ctx(format!("refused: {e:?}")))?;
                drain!();
            }
            "Z:" => {
                // Expect the session state.
                let ok = match body.trim() {
                    "closed" => session.is_closed(),
                    "open" => !session.is_closed(),
                    "no-input" => !session.wants_input(),
                    "wants-input" => session.wants_input(),
                    other => return Err(ctx(format!("unknown Z: {other}"))),
                };
                if !ok {
                    return Err(ctx("state mismatch".to_string()));
                }
            }
            _ => return Err(ctx("unknown directive".to_string())),
        }
    }
    if !pending_text.is_empty() {
        return Err(format!(
            "unchecked output at the end: {:?}",
            String::from_utf8_lossy(&pending_text)
        ));
    }
    if let Some(e) = events.front() {
        return Err(format!("unchecked event at the end: `{e}`"));
    }
    out.violations = checker.violations;
    Ok(out)
}

fn take_line(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let i = buf.windows(2).position(|w| w == b"\r\n")?;
    Some(buf.drain(..i + 2).collect())
}

/// Takes one whole reply (multi-line aware).
fn take_reply(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let first = take_line(buf)?;
    let mut all = first.clone();
    if first.get(3) == Some(&b'-') {
        let code = first[..3].to_vec();
        loop {
            let l = take_line(buf)?;
            all.extend_from_slice(&l);
            if l.starts_with(&code) && l.get(3) == Some(&b' ') {
                break;
            }
        }
    }
    Some(all)
}

/// The reply codes RFC 959 §5.4 and the extension RFCs allow per command, and a checker that
/// attributes each reply to the command it answers.
pub mod conformance {
    use std::collections::VecDeque;

    /// Codes allowed for every command: 421 (RFC 959: any command), 500 and
    /// 501 (syntax), 530 (not logged in; RFC 959 §5.4 lists them for most commands).
    const GLOBAL: &[u16] = &[421, 500, 501, 530];

    /// Allowed codes per verb (RFC 959 §5.4 and the extension
    /// RFCs), in the order of the spec's `R:` lists.
    const TABLE: &[(&str, &[u16])] = &[
        ("<greeting>", &[120, 220, 421]),
        ("<too-long>", &[500]),
        ("USER", &[230, 530, 500, 501, 421, 331, 332, 232, 336]),
        ("PASS", &[230, 202, 530, 500, 501, 503, 421, 332]),
        ("ACCT", &[230, 202, 530, 500, 501, 503, 421]),
        ("CWD", &[250, 500, 501, 502, 421, 530, 550]),
        ("XCWD", &[250, 500, 501, 502, 421, 530, 550]),
        ("CDUP", &[200, 250, 500, 501, 502, 421, 530, 550]),
        ("XCUP", &[200, 250, 500, 501, 502, 421, 530, 550]),
        ("SMNT", &[202, 250, 500, 501, 502, 421, 530, 550]),
        ("REIN", &[120, 220, 421, 500, 502]),
        ("QUIT", &[221, 500]),
        ("PORT", &[200, 500, 501, 421, 530]),
        ("PASV", &[227, 500, 501, 502, 421, 530]),
        ("TYPE", &[200, 500, 501, 504, 421, 530]),
        ("STRU", &[200, 500, 501, 504, 421, 530]),
        ("MODE", &[200, 500, 501, 504, 421, 530]),
        (
            "RETR",
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 450, 550, 500, 501, 421, 530, 534, 535,
                521, 522, 554,
            ],
        ),
        (
            "STOR",
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501,
                421, 530, 534, 535, 521, 522, 554,
            ],
        ),
        (
            "STOU",
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 551, 552, 532, 450, 452, 553, 500, 501,
                421, 530, 534, 535, 521, 522,
            ],
        ),
        (
            "APPE",
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553, 500,
                501, 502, 421, 530, 534, 535, 521, 522, 554,
            ],
        ),
        ("ALLO", &[200, 202, 500, 501, 504, 421, 530]),
        ("REST", &[500, 501, 502, 421, 530, 350]),
        ("RNFR", &[450, 550, 500, 501, 502, 421, 530, 350]),
        ("RNTO", &[250, 532, 553, 500, 501, 502, 503, 421, 530]),
        ("ABOR", &[225, 226, 500, 501, 502, 421]),
        ("DELE", &[250, 450, 550, 500, 501, 502, 421, 530]),
        ("RMD", &[250, 500, 501, 502, 421, 530, 550]),
        ("XRMD", &[250, 500, 501, 502, 421, 530, 550]),
        ("MKD", &[257, 500, 501, 502, 421, 530, 550]),
        ("XMKD", &[257, 500, 501, 502, 421, 530, 550]),
        ("PWD", &[257, 500, 501, 502, 421, 550]),
        ("XPWD", &[257, 500, 501, 502, 421, 550]),
        (
            "LIST",
            &[
                125, 150, 226, 250, 425, 426, 451, 450, 500, 501, 502, 421, 530, 534, 535, 521, 522,
            ],
        ),
        (
            "NLST",
            &[
                125, 150, 226, 250, 425, 426, 451, 450, 500, 501, 502, 421, 530, 534, 535, 521, 522,
            ],
        ),
        (
            "MLSD",
            &[
                125, 150, 226, 250, 425, 426, 451, 450, 550, 500, 501, 502, 421, 530, 534, 535,
                521, 522,
            ],
        ),
        ("SITE", &[200, 202, 500, 501, 530]),
        ("SYST", &[215, 500, 501, 502, 421]),
        ("STAT", &[211, 212, 213, 450, 500, 501, 502, 421, 530]),
        ("HELP", &[211, 214, 500, 501, 502, 421]),
        ("NOOP", &[200, 500, 421]),
        ("AUTH", &[234, 334, 502, 504, 534, 431, 500, 501, 421]),
        ("ADAT", &[235, 335, 503, 501, 535, 500, 421]),
        ("PBSZ", &[200, 503, 500, 501, 421, 530]),
        ("PROT", &[200, 504, 536, 503, 534, 431, 500, 501, 421, 530]),
        ("CCC", &[200, 533, 534, 500, 502]),
        ("MIC", &[535, 533, 500, 501, 421, 502, 503, 537]),
        ("CONF", &[535, 533, 500, 501, 421, 502, 503, 537]),
        ("ENC", &[535, 533, 500, 501, 421, 502, 503, 537]),
        ("FEAT", &[211, 500, 502, 501]),
        ("OPTS", &[200, 451, 501, 500, 502]),
        ("EPRT", &[200, 500, 501, 522]),
        ("EPSV", &[229, 500, 501, 522]),
        ("SIZE", &[213, 550, 500, 501, 421, 450, 451, 452]),
        ("MDTM", &[213, 550, 500, 501, 421, 450, 451, 452]),
        (
            "MLST",
            &[250, 501, 550, 500, 530, 553, 503, 504, 421, 450, 451, 452],
        ),
        ("LANG", &[200, 500, 502, 501, 504]),
        ("HOST", &[220, 421, 500, 502, 501, 503, 504]),
        ("MFMT", &[213, 550, 500, 501, 421, 450, 451, 452]),
        ("CLNT", &[200]),
        ("LPRT", &[200, 500, 501, 502, 421, 530]),
        ("LPSV", &[228, 500, 501, 502, 421, 530]),
    ];

    /// Documented deviations (see the server module docs): codes outside
    /// the RFC lists that the engine sends on purpose.
    const DEVIATIONS: &[(&str, &[u16])] = &[
        // PASV/EPSV: no IPv4 address on an IPv6 connection, or the listener
        // could not be bound (Pure-FTPd answers 425 to PASV on IPv6).
        ("PASV", &[425]),
        ("EPSV", &[425, 200]), // 200: EPSV ALL (the RFC leaves the code open).
        // Active mode disabled by configuration.
        ("PORT", &[502]),
        ("EPRT", &[502]),
        // Extensions disabled by configuration.
        ("SIZE", &[502]),
        ("MDTM", &[502]),
        ("MFMT", &[502]),
        ("MLST", &[502]),
        ("MLSD", &[502]),
        ("REST", &[]),
        // Listing a missing directory (every server does).
        ("LIST", &[550]),
        ("NLST", &[550]),
        ("STAT", &[550]),
        // SITE subcommands fail with 550 or 502 when off.
        ("SITE", &[550, 502]),
        ("STOU", &[550]),
        ("RETR", &[]),
    ];

    /// Verbs the server answers while a transfer runs.
    const URGENT: &[&str] = &["ABOR", "STAT", "NOOP", "QUIT"];

    /// Whether `code` may answer `verb` (RFC lists, the global codes, or a
    /// documented deviation). Unknown verbs may get 500/502.
    #[must_use]
    pub fn allowed(verb: &str, code: u16) -> bool {
        if GLOBAL.contains(&code) {
            return true;
        }
        let listed = TABLE
            .iter()
            .chain(DEVIATIONS)
            .filter(|(v, _)| *v == verb)
            .any(|(_, codes)| codes.contains(&code));
        if listed {
            return true;
        }
        // Verbs without a table row: unknown, or recognised but not implemented.
        !TABLE.iter().any(|(v, _)| *v == verb) && matches!(code, 500 | 502 | 504)
    }

    #[derive(Debug)]
    struct Pending {
        verb: String,
        preliminary: bool,
    }

    /// Attributes replies to commands (FIFO, with the urgent commands a
    /// running transfer answers first) and records every code outside
    /// [`allowed`].
    #[derive(Debug, Default)]
    pub struct Checker {
        queue: VecDeque<Pending>,
        partial_in: Vec<u8>,
        partial_out: Vec<u8>,
        greeted: bool,
        /// Mismatches found.
        pub violations: Vec<String>,
        /// Final replies seen per command answered.
        pub finals: usize,
        /// Commands seen.
        pub commands: usize,
    }

    impl Checker {
        /// Client bytes (they are split into command lines here).
        pub fn on_input(&mut self, bytes: &[u8], closed: bool) {
            if closed {
                return;
            }
            self.partial_in.extend_from_slice(bytes);
            while let Some(i) = self.partial_in.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.partial_in.drain(..=i).collect();
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let verb_bytes = text.split(|&b| b == b' ').next().unwrap_or_default();
                // Telnet IAC sequences before the verb (urgent ABOR) are dropped.
                let verb: String = String::from_utf8_lossy(verb_bytes)
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .collect::<String>()
                    .to_ascii_uppercase();
                if text.iter().all(|&b| b == b' ') && text.len() < 4096 {
                    continue; // empty lines get no reply
                }
                let verb = if text.len() > 4096 {
                    "<too-long>".to_string()
                } else if verb == "P@SW" {
                    "PASV".to_string()
                } else {
                    verb
                };
                self.commands += 1;
                self.queue.push_back(Pending {
                    verb,
                    preliminary: false,
                });
            }
        }

        /// The engine stopped reading (TLS pause, close): lines still queued
        /// will never be answered.
        pub fn forget_unanswered(&mut self) {
            self.queue.clear();
            self.partial_in.clear();
        }

        /// Server bytes.
        pub fn on_output(&mut self, bytes: &[u8]) {
            self.partial_out.extend_from_slice(bytes);
            while let Some(i) = self.partial_out.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.partial_out.drain(..i + 2).collect();
                if line.len() < 4 || !line[..3].iter().all(u8::is_ascii_digit) {
                    continue; // body line of a multi-line reply
                }
                if line[3] != b' ' {
                    continue; // first line of a multi-line reply: wait for the last
                }
                let code: u16 = std::str::from_utf8(&line[..3])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                self.on_reply(code);
            }
        }

        fn on_reply(&mut self, code: u16) {
            if !self.greeted {
                if !allowed("<greeting>", code) {
                    self.violations.push(format!("greeting got {code}"));
                }
                if code != 120 {
                    self.greeted = true;
                }
                return;
            }
            let Some(head) = self.queue.front() else {
                if code != 421 {
                    self.violations.push(format!("unsolicited {code}"));
                }
                return;
            };
            let mut index = 0;
            if head.preliminary
                && !allowed(&head.verb, code)
                && let Some(i) = self
                    .queue
                    .iter()
                    .position(|p| URGENT.contains(&p.verb.as_str()) && allowed(&p.verb, code))
            {
                index = i;
            }
            let Some(p) = self.queue.get_mut(index) else {
                return;
            };
            if !allowed(&p.verb, code) {
                self.violations.push(format!("{} got {code}", p.verb));
            }
            if (100..200).contains(&code) {
                if p.preliminary {
                    self.violations
                        .push(format!("{} got a second preliminary {code}", p.verb));
                }
                p.preliminary = true;
            } else {
                self.finals += 1;
                self.queue.remove(index);
            }
        }

        /// Commands still waiting for a final reply.
        #[must_use]
        pub fn unanswered(&self) -> usize {
            self.queue.len()
        }
    }
}

/// Renders the first `n` bytes of output as text for error messages.
#[must_use]
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if b == b'\n' || (b.is_ascii() && !b.is_ascii_control()) || b == b'\r' {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}
