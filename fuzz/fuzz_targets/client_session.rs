//! The client engine against arbitrary server bytes and arbitrary adapter
//! reports: no panic, bounded input buffer, every operation ends exactly once.
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use ftp_proto::client::{ClientConfig, ClientEvent, ClientSession, DataConnectionMode, DataRequest, OpId};
use ftp_proto::Secret;
use ftp_proto::data::DataId;
use ftp_proto::{Instant, Session};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Op {
    Login,
    Feat,
    Pwd,
    Cwd,
    List,
    Nlst,
    Retrieve(u16),
    Store,
    StoreUnique,
    Rename,
    Size,
    Mdtm,
    Mlst,
    AuthTls,
    ProtectData,
    Ccc,
    Quit,
    Noop,
    Raw(u8),
}

#[derive(Debug, Arbitrary)]
enum Action {
    Feed(Vec<u8>),
    /// Well-formed replies with this code, to get deeper than garbage does.
    Reply(u16, bool),
    Eof,
    Advance(u16),
    Op(Op),
    DataConnected,
    DataFinished,
    DataFailed,
    DataListening(u16),
    Listing(Vec<u8>),
    TlsEstablished,
    TlsCleared,
    Abort,
    Close,
}

#[derive(Debug, Arbitrary)]
struct Input {
    active: bool,
    keepalive: bool,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let config = ClientConfig {
        max_reply_bytes: 4096,
        max_listing_entries: 64,
        max_listing_line: 256,
        max_queued_ops: 16,
        keepalive: input.keepalive.then_some(Duration::from_secs(5)),
        data_mode: if input.active {
            DataConnectionMode::Active { always_eprt: false }
        } else {
            DataConnectionMode::Passive
        },
        ..ClientConfig::default()
    };
    let max = config.max_reply_bytes;
    let mut now = Instant::ZERO;
    let mut c = ClientSession::new(now, config, "192.0.2.1:21".parse().unwrap());
    let mut ops: HashMap<OpId, u32> = HashMap::from([(OpId::GREETING, 0)]);
    let mut data: Option<DataId> = None;
    let drain = |c: &mut ClientSession, ops: &mut HashMap<OpId, u32>, data: &mut Option<DataId>| {
        while c.poll_transmit().is_some() {}
        while let Some(e) = c.poll_event() {
            match e {
                ClientEvent::Finished { op, .. } => {
                    let n = ops.get_mut(&op).expect("finished an op never issued");
                    *n += 1;
                    assert_eq!(*n, 1, "{op} finished twice");
                }
                ClientEvent::Data(
                    DataRequest::Connect { id, .. } | DataRequest::Listen { id, .. },
                ) => *data = Some(id),
                _ => {}
            }
        }
    };
    for action in input.actions.into_iter().take(256) {
        match action {
            Action::Feed(b) => {
                if c.wants_input() {
                    c.handle_input(now, &b);
                }
            }
            Action::Reply(code, multi) => {
                let code = 100 + code % 500;
                let text = if multi {
                    format!(
                        "{code}-start\r\n (|||{}|) 1,2,3,4,5,6\r\n{code} end\r\n",
                        code
                    )
                } else {
                    format!("{code} (|||2000|) \"/p\" FILE: u 20240102030405 (5 bytes)\r\n")
                };
                if c.wants_input() {
                    c.handle_input(now, text.as_bytes());
                }
            }
            Action::Eof => c.handle_eof(now),
            Action::Advance(s) => {
                now = now + Duration::from_secs(u64::from(s));
                c.handle_timeout(now);
            }
            Action::Op(op) => {
                let r = match op {
                    Op::Login => c.login(now, "u", Secret::new("p"), None),
                    Op::Feat => c.feat(now),
                    Op::Pwd => c.pwd(now),
                    Op::Cwd => c.cwd(now, "d"),
                    Op::List => c.list(now, None, None),
                    Op::Nlst => c.nlst(now, None),
                    Op::Retrieve(o) => c.retrieve(now, "f", u64::from(o)),
                    Op::Store => c.store(now, "f", 0),
                    Op::StoreUnique => c.store_unique(now, None),
                    Op::Rename => c.rename(now, "a", "b"),
                    Op::Size => c.size(now, "f"),
                    Op::Mdtm => c.mdtm(now, "f"),
                    Op::Mlst => c.mlst(now, Some(Bytes::from_static(b"f"))),
                    Op::AuthTls => c.auth_tls(now),
                    Op::ProtectData => c.protect_data(now),
                    Op::Ccc => c.clear_control(now),
                    Op::Quit => c.quit(now),
                    Op::Noop => c.noop(now),
                    Op::Raw(v) => c
                        .send(
                            now,
                            match v % 4 {
                                0 => ftp_proto::Command::Abor,
                                1 => {
                                    ftp_proto::Command::Auth(ftp_proto::command::AuthMechanism::Tls)
                                }
                                2 => ftp_proto::Command::Quit,
                                _ => ftp_proto::Command::Pasv,
                            },
                        )
                        .map_err(|e| e.without_value()),
                };
                if let Ok(id) = r {
                    assert!(ops.insert(id, 0).is_none(), "id reused");
                }
            }
            Action::DataConnected => {
                if let Some(id) = data {
                    let _ = c.data_connected(now, id);
                }
            }
            Action::DataFinished => {
                if let Some(id) = data {
                    let _ = c.data_finished(now, id);
                }
            }
            Action::DataFailed => {
                if let Some(id) = data {
                    let _ = c.data_failed(now, id);
                }
            }
            Action::DataListening(p) => {
                if let Some(id) = data {
                    let _ =
                        c.data_listening(now, id, std::net::SocketAddr::from(([192, 0, 2, 9], p)));
                }
            }
            Action::Listing(b) => {
                if let Some(id) = data {
                    let _ = c.listing_data(now, id, &b);
                }
            }
            Action::TlsEstablished => {
                let _ = c.tls_established(now);
            }
            Action::TlsCleared => {
                let _ = c.tls_cleared(now);
            }
            Action::Abort => {
                if let Ok(id) = c.abort(now) {
                    assert!(ops.insert(id, 0).is_none(), "id reused");
                }
            }
            Action::Close => c.close(now),
        }
        drain(&mut c, &mut ops, &mut data);
        assert!(
            c.input_buffer().len() <= max + 1,
            "input buffer grew to {}",
            c.input_buffer().len()
        );
    }
    // Ending the session ends every operation exactly once.
    c.close(now);
    drain(&mut c, &mut ops, &mut data);
    for (op, n) in &ops {
        assert_eq!(*n, 1, "{op} finished {n} times");
    }
    assert!(c.is_closed() && c.poll_timeout().is_none());
});
