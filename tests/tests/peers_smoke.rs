//! Smoke tests of the real-server launchers: each server starts, greets,
//! logs the test user in, answers PWD, lists over an EPSV data connection and
//! says goodbye; with FTPS on, `AUTH TLS` gets 234. Skipped with a message
//! when a server is missing, unless `FTP_INTEROP_REQUIRED=1`.

use ftp_proto_tests::peers::{
    ClientKind, PeerKind, PeerOptions, PeerServer, RawControl, TEST_TREE, require_or_skip,
    started_or_skip,
};

fn start(kind: PeerKind, options: &PeerOptions) -> Option<PeerServer> {
    if !require_or_skip(kind.name(), kind.install_hint()) {
        return None;
    }
    started_or_skip(kind.start(options))
}

fn plain_session(kind: PeerKind) {
    let Some(server) = start(kind, &PeerOptions::default()) else {
        return;
    };
    let mut control = RawControl::connect(server.addr()).expect("connect");
    let greeting = control.read_reply().expect("greeting");
    assert_eq!(greeting.code, 220, "{greeting:?}");

    let login = control
        .login(server.user(), server.password())
        .expect("login");
    assert_eq!(login.code, 230, "{login:?}");

    let pwd = control.command("PWD").expect("PWD");
    assert_eq!(pwd.code, 257, "{pwd:?}");
    assert!(pwd.text().starts_with("\"/\""), "{pwd:?}");

    let (epsv, data) = control.epsv().expect("EPSV");
    let data = data.unwrap_or_else(|| panic!("unusable EPSV reply {epsv:?}"));
    assert!(
        server.passive_ports().contains(&data.port()),
        "{data} outside {:?}",
        server.passive_ports()
    );
    let (first, bytes, last) = control.transfer_in(data, "LIST").expect("LIST");
    assert_eq!(first.class(), 1, "{first:?}");
    let last = last.expect("final LIST reply");
    assert_eq!(last.code, 226, "{last:?}");
    let listing = String::from_utf8_lossy(&bytes);
    for entry in TEST_TREE.iter().filter(|e| !e.path.contains('/')) {
        assert!(
            listing.contains(entry.path),
            "{} missing from LIST:\n{listing}",
            entry.path
        );
    }

    let quit = control.command("QUIT").expect("QUIT");
    assert_eq!(quit.code, 221, "{quit:?}");
}

fn anonymous_session(kind: PeerKind) {
    let Some(server) = start(kind, &PeerOptions::default()) else {
        return;
    };
    if !server.supports_anonymous() {
        return;
    }
    let mut control = RawControl::connect(server.addr()).expect("connect");
    assert_eq!(control.read_reply().expect("greeting").code, 220);
    let login = control
        .login("anonymous", "test@example.invalid")
        .expect("login");
    assert_eq!(login.code, 230, "{login:?}");
    assert_eq!(control.command("TYPE I").expect("TYPE").class(), 2);
    let size = control.command("SIZE hello.txt").expect("SIZE");
    assert_eq!(size.class(), 2, "{size:?}");
    let mkd = control.command("MKD nope").expect("MKD");
    assert_eq!(mkd.class(), 5, "anonymous must be read-only: {mkd:?}");
    assert_eq!(control.command("QUIT").expect("QUIT").code, 221);
}

fn auth_tls(kind: PeerKind) {
    if !kind.supports_tls() {
        require_or_skip(&format!("{} FTPS", kind.name()), kind.install_hint());
        return;
    }
    let Some(server) = start(kind, &PeerOptions::with_tls()) else {
        return;
    };
    assert!(server.supports_tls());
    assert!(
        server
            .certificate_pem()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );
    let mut control = RawControl::connect(server.addr()).expect("connect");
    assert_eq!(control.read_reply().expect("greeting").code, 220);
    let auth = control.command("AUTH TLS").expect("AUTH TLS");
    assert_eq!(auth.code, 234, "{auth:?}");
}

macro_rules! per_server {
    ($($module:ident => $kind:expr;)*) => {$(
        mod $module {
            use super::*;

            #[test]
            fn plain_session_lists_the_tree() {
                plain_session($kind);
            }

            #[test]
            fn anonymous_is_read_only() {
                anonymous_session($kind);
            }

            #[test]
            fn auth_tls_is_accepted() {
                auth_tls($kind);
            }
        }
    )*};
}

per_server! {
    vsftpd => PeerKind::Vsftpd;
    pure_ftpd => PeerKind::PureFtpd;
    proftpd => PeerKind::Proftpd;
    pyftpdlib => PeerKind::Pyftpdlib;
}

#[test]
fn clients_are_found() {
    for client in ClientKind::ALL {
        if require_or_skip(client.name(), client.install_hint()) {
            let path = client.find().expect("found");
            assert!(path.is_absolute(), "{}", path.display());
        }
    }
}

/// The recorded transcripts keep the format of `tests/fixtures/servers/README.md`.
#[test]
fn recorded_transcripts_are_well_formed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/servers");
    let names = PeerKind::ALL.map(PeerKind::name);
    for name in names.iter().copied().chain(["iis"]) {
        let path = dir.join(format!("{name}.txt"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.starts_with("# server: "), "{name}: no header");
        let mut commands = 0;
        let mut pending_reply: Option<&str> = None;
        for (number, line) in text.lines().enumerate() {
            let at = || format!("{name}.txt:{}: {line:?}", number + 1);
            let (prefix, rest) = line.split_at_checked(3).unwrap_or((line, ""));
            match prefix {
                "C: " => {
                    assert!(pending_reply.is_none(), "reply left open before {}", at());
                    commands += 1;
                }
                "S: " => {
                    let code = rest
                        .get(..3)
                        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
                    match pending_reply {
                        None => {
                            let code = code.unwrap_or_else(|| panic!("no code at {}", at()));
                            if rest.as_bytes().get(3) == Some(&b'-') {
                                pending_reply = Some(code);
                            }
                        }
                        Some(open) => {
                            if code == Some(open) && rest.as_bytes().get(3) != Some(&b'-') {
                                pending_reply = None;
                            }
                        }
                    }
                }
                "D: " | "D> " => {
                    assert!(pending_reply.is_none(), "data inside a reply at {}", at())
                }
                _ => assert!(line.starts_with('#'), "unknown record at {}", at()),
            }
        }
        assert!(pending_reply.is_none(), "{name}: unterminated reply");
        assert!(commands >= 20, "{name}: only {commands} commands");
        assert!(text.contains("C: QUIT\nS: 221"), "{name}: no QUIT exchange");
    }
}
