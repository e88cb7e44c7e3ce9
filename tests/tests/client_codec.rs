//! The client engine on the shared codec: argument refusal by the command
//! encoder, reply-parser quirks and limits from `ClientConfig`, forced
//! listing formats.

use std::net::SocketAddr;

use bytes::Bytes;
use ftp_proto::Secret;
use ftp_proto::client::{
    ClientConfig, ClientError, ClientEvent, ClientSession, CloseReason, DataRequest, FileKind,
    ListFormat, OpId, Outcome, ProtocolError,
};
use ftp_proto::{Instant, Session, Timestamp, UsageErrorKind};

fn session(config: ClientConfig) -> ClientSession {
    let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
    let mut c = ClientSession::new(Instant::ZERO, config, peer);
    c.handle_input(Instant::ZERO, b"220 hi\r\n");
    c
}

fn drain(c: &mut ClientSession) -> (String, Vec<ClientEvent>) {
    let mut sent = Vec::new();
    while let Some(f) = c.poll_transmit() {
        sent.extend_from_slice(&f);
    }
    let mut events = Vec::new();
    while let Some(e) = c.poll_event() {
        events.push(e);
    }
    (String::from_utf8(sent).unwrap(), events)
}

fn result(events: &[ClientEvent], op: OpId) -> &Result<Outcome, ClientError> {
    events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Finished { op: o, result } if *o == op => Some(result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{op} not finished: {events:?}"))
}

#[test]
fn forbidden_bytes_are_refused_before_queueing() {
    let now = Instant::ZERO;
    let mut c = session(ClientConfig::default());
    drain(&mut c);
    let bad = [&b"a\r\nDELE x"[..], b"a\nb", b"nul\0"];
    for arg in bad {
        let arg = Bytes::from_static(arg);
        let kinds = [
            c.cwd(now, arg.clone()).unwrap_err().kind,
            c.delete(now, arg.clone()).unwrap_err().kind,
            c.rename(now, "ok", arg.clone()).unwrap_err().kind,
            c.rename(now, arg.clone(), "ok").unwrap_err().kind,
            c.retrieve(now, arg.clone(), 0).unwrap_err().kind,
            c.list(now, Some(arg.clone()), None).unwrap_err().kind,
            c.mlst(now, Some(arg.clone())).unwrap_err().kind,
            c.login(now, arg.clone(), Secret::new("p"), None)
                .unwrap_err()
                .kind,
            c.login(now, "u", Secret::new(arg.clone()), None)
                .unwrap_err()
                .kind,
            c.mfmt(now, arg.clone(), Timestamp::UNIX_EPOCH)
                .unwrap_err()
                .kind,
            c.site(now, arg.clone()).unwrap_err().kind,
        ];
        assert!(kinds.iter().all(|&k| k == UsageErrorKind::InvalidValue));
    }
    // Nothing was queued or sent; 0xFF is doubled, not refused.
    assert_eq!(c.pending_ops(), 0);
    c.cwd(now, Bytes::from_static(b"caf\xff")).unwrap();
    let mut sent = Vec::new();
    while let Some(f) = c.poll_transmit() {
        sent.extend_from_slice(&f);
    }
    assert_eq!(sent, b"CWD caf\xff\xff\r\n");
}

#[test]
fn list_with_forces_the_command() {
    let now = Instant::ZERO;
    let mut c = session(ClientConfig::default());
    let f = c.feat(now).unwrap();
    c.handle_input(
        now,
        b"211-Features:\r\n MLST type*;size*;\r\n EPSV\r\n211 End\r\n",
    );
    let (_, ev) = drain(&mut c);
    assert!(matches!(result(&ev, f), Ok(Outcome::Features(_))));
    let clock = Timestamp::parse_ftp(b"20240601000000").ok();
    let l = c.list_with(now, None, ListFormat::List, clock).unwrap();
    let (sent, _) = drain(&mut c);
    assert_eq!(sent, "EPSV\r\n");
    c.handle_input(now, b"229 ok (|||4000|)\r\n");
    let (sent, ev) = drain(&mut c);
    assert_eq!(sent, "LIST\r\n");
    let id = ev
        .iter()
        .find_map(|e| match e {
            ClientEvent::Data(DataRequest::Connect { id, .. }) => Some(*id),
            _ => None,
        })
        .unwrap();
    c.handle_input(now, b"150 here\r\n");
    c.listing_data(
        now,
        id,
        b"total 2\r\ndrwxr-xr-x 2 u g 4096 Mar 02 14:07 .\r\nlrwxrwxrwx 1 u g 7 Mar 02 14:07 ln -> target\r\n-rw-r--r-- 1 u g 35 Jan 02  2024 hello.txt\r\n",
    )
    .unwrap();
    c.data_finished(now, id).unwrap();
    c.handle_input(now, b"226 done\r\n");
    let (_, ev) = drain(&mut c);
    match result(&ev, l) {
        Ok(Outcome::Listing { entries, skipped }) => {
            let entries = entries.to_vec();
            assert_eq!(*skipped, 2, "total and .");
            assert_eq!(&entries[0].name[..], b"ln");
            assert!(
                matches!(&entries[0].kind, FileKind::Symlink { target: Some(t) } if &t[..] == b"target")
            );
            // The year-less date is placed with the wall clock.
            assert_eq!(
                entries[0].modified,
                Timestamp::parse_ftp(b"20240302140700").ok()
            );
            assert_eq!(
                (&entries[1].name[..], entries[1].size),
                (&b"hello.txt"[..], Some(35))
            );
        }
        other => panic!("{other:?}"),
    }
    // MLSD forced on a server whose FEAT said nothing.
    let mut c = session(ClientConfig::default());
    c.list_with(now, Some(Bytes::from_static(b"d")), ListFormat::Mlsd, None)
        .unwrap();
    drain(&mut c);
    c.handle_input(now, b"229 ok (|||4000|)\r\n");
    assert_eq!(drain(&mut c).0, "MLSD d\r\n");
}

#[test]
fn overlong_multiline_reply_is_handled_by_its_code() {
    let now = Instant::ZERO;
    let mut c = session(ClientConfig {
        max_reply_bytes: 64,
        ..ClientConfig::default()
    });
    let op = c.noop(now).unwrap();
    drain(&mut c);
    let mut reply = b"200-start\r\n".to_vec();
    for _ in 0..20 {
        reply.extend_from_slice(b" filler line of text\r\n");
    }
    reply.extend_from_slice(b"200 end\r\n");
    c.handle_input(now, &reply);
    let (_, ev) = drain(&mut c);
    assert!(matches!(result(&ev, op), Ok(Outcome::Completed(r)) if r.code().as_u16() == 200));
    assert!(!c.is_closed());
    // An over-long single line cannot be framed: the session ends.
    let op = c.noop(now).unwrap();
    c.handle_input(now, &[b'2'; 100]);
    let (_, ev) = drain(&mut c);
    assert!(matches!(
        result(&ev, op),
        Err(ClientError::Closed(CloseReason::Protocol(
            ProtocolError::MalformedReply
        )))
    ));
    assert!(c.input_buffer().len() <= 65);
}

#[test]
fn parser_quirks_come_from_the_config() {
    let now = Instant::ZERO;
    // Strict same-code rule by default: `550 ` inside a 250- reply is text.
    let mut c = session(ClientConfig::default());
    let op = c.noop(now).unwrap();
    c.handle_input(now, b"250-a\r\n550 not the end\r\n250 end\r\n");
    let (_, ev) = drain(&mut c);
    assert!(matches!(result(&ev, op), Ok(Outcome::Completed(r)) if r.code().as_u16() == 250));
    // Lenient: the first `ddd SP` line ends it (glftpd).
    let mut c = session(ClientConfig {
        lenient_multiline: true,
        ..ClientConfig::default()
    });
    let op = c.noop(now).unwrap();
    c.handle_input(now, b"553-a\r\n200 ok\r\n");
    let (_, ev) = drain(&mut c);
    assert!(matches!(result(&ev, op), Ok(Outcome::Completed(r)) if r.code().as_u16() == 200));
    // Bare LF refused when asked.
    let mut c = session(ClientConfig {
        accept_bare_lf: false,
        ..ClientConfig::default()
    });
    let op = c.noop(now).unwrap();
    c.handle_input(now, b"200 ok\n");
    let (_, ev) = drain(&mut c);
    assert!(matches!(result(&ev, op), Err(ClientError::Closed(_))));
    let cfg = ClientConfig {
        max_reply_line: 1 << 20,
        ..ClientConfig::default()
    }
    .reply_parser_config();
    assert_eq!(
        cfg.max_line_len,
        64 * 1024,
        "a line is capped by the reply limit"
    );
}
