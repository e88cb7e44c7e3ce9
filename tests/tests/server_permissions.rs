//! Users' permissions hold, through both of our servers and for any
//! storage: a read-only user changes nothing, a drop-box user uploads new
//! files and sees, takes and replaces nothing, and MLSx `perm` facts tell
//! each user what they may do (RFC 3659 §7.5.5).
//!
//! The servers here give every user a read-write storage
//! ([`Setup::writable_storage`]), as a custom storage that knows nothing
//! of users does, so only the servers' own checks refuse.

use std::path::Path;

use ftp_proto_tests::ours::{
    DROPPER, DROPPER_PASSWORD, Flavor, KEEPER, KEEPER_PASSWORD, PASSWORD, READER, READER_PASSWORD,
    Setup, TestServer, USER,
};
use ftp_proto_tests::peers::{RawControl, require_or_skip};

const FLAVORS: [Flavor; 2] = [Flavor::Std, Flavor::Tokio];

fn writable() -> Setup {
    Setup {
        writable_storage: true,
        ..Setup::default()
    }
}

fn login(server: &TestServer, user: &str, password: &str) -> RawControl {
    let mut c = server.raw();
    assert_eq!(c.login(user, password).unwrap().code, 230, "{user}");
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    c
}

/// Whether an upload was refused: `550` or `553` (the engine picks the
/// code the command allows: RFC 959 lists `553` for STOR), and no
/// transfer.
fn refused(reply: (u16, Option<u16>)) -> bool {
    matches!(reply, (550 | 553, None))
}

/// A transfer that ran: its preliminary reply (`125` or `150`, shown as
/// `150`) and `226`.
const TRANSFERRED: (u16, Option<u16>) = (150, Some(226));

/// The first reply to an upload of `bytes` with `command` (`125` shown as
/// `150`), and the final one when the upload started.
fn upload(c: &mut RawControl, command: &str, bytes: &[u8]) -> (u16, Option<u16>) {
    let (_, data) = c.epsv().unwrap();
    let (first, last) = c.transfer_out(data.unwrap(), command, bytes).unwrap();
    (preliminary(first.code), last.map(|r| r.code))
}

fn preliminary(code: u16) -> u16 {
    if code == 125 { 150 } else { code }
}

/// The first reply to a download with `command`, the bytes, and the final
/// reply when it started.
fn download(c: &mut RawControl, command: &str) -> (u16, Vec<u8>, Option<u16>) {
    let (_, data) = c.epsv().unwrap();
    let (first, bytes, last) = c.transfer_in(data.unwrap(), command).unwrap();
    (preliminary(first.code), bytes, last.map(|r| r.code))
}

fn perm_of(listing: &str, name: &str) -> String {
    let line = listing
        .lines()
        .map(str::trim)
        .find(|line| line.contains("perm=") && line.ends_with(&format!(" {name}")))
        .unwrap_or_else(|| panic!("no {name} in {listing:?}"));
    let fact = line
        .split(';')
        .find_map(|fact| fact.strip_prefix("perm="))
        .unwrap_or_else(|| panic!("no perm fact in {line:?}"));
    fact.to_owned()
}

fn read_only_user_changes_nothing(server: &TestServer) {
    let flavor = server.flavor;
    let root = server.root();
    let mut c = login(server, READER, READER_PASSWORD);
    // Every change is refused before the storage is asked.
    assert!(refused(upload(&mut c, "STOR new.txt", b"x")), "{flavor:?}");
    assert!(
        refused(upload(&mut c, "STOR hello.txt", b"x")),
        "{flavor:?}"
    );
    assert!(
        refused(upload(&mut c, "APPE hello.txt", b"x")),
        "{flavor:?}"
    );
    assert!(refused(upload(&mut c, "STOU", b"x")), "{flavor:?}");
    for command in [
        "DELE hello.txt",
        "MKD newdir",
        "RMD sub dir",
        "RNFR hello.txt",
        "MFMT 20200101000000 hello.txt",
    ] {
        assert_eq!(
            c.command(command).unwrap().code,
            550,
            "{flavor:?} {command}"
        );
    }
    assert!(!root.join("new.txt").exists() && !root.join("newdir").exists());
    assert!(root.join("sub dir").is_dir());
    assert_eq!(
        std::fs::read(root.join("hello.txt")).unwrap(),
        b"hello from ftp-proto\n"
    );
    // Reading works.
    let (first, bytes, last) = download(&mut c, "RETR hello.txt");
    assert_eq!((first, last), TRANSFERRED, "{flavor:?}");
    assert_eq!(bytes, b"hello from ftp-proto\n");
    let (first, bytes, last) = download(&mut c, "NLST");
    assert_eq!((first, last), TRANSFERRED, "{flavor:?}");
    assert!(String::from_utf8(bytes).unwrap().contains("hello.txt"));
    assert_eq!(c.command("SIZE hello.txt").unwrap().code, 213, "{flavor:?}");
    assert_eq!(c.command("MDTM hello.txt").unwrap().code, 213, "{flavor:?}");
    assert_eq!(c.command("CWD sub dir").unwrap().code, 250, "{flavor:?}");
    assert_eq!(c.command("QUIT").unwrap().code, 221);
}

#[test]
fn a_read_only_user_lists_and_downloads_but_changes_nothing() {
    for flavor in FLAVORS {
        let server = TestServer::start(flavor, &writable()).unwrap();
        read_only_user_changes_nothing(&server);
    }
}

fn drop_box_takes_new_files_only(server: &TestServer) {
    let flavor = server.flavor;
    let root = server.root();
    let mut c = login(server, DROPPER, DROPPER_PASSWORD);
    // A new file lands.
    assert_eq!(
        upload(&mut c, "STOR dropped.bin", b"first"),
        TRANSFERRED,
        "{flavor:?}"
    );
    assert_eq!(std::fs::read(root.join("dropped.bin")).unwrap(), b"first");
    // An existing one is never replaced, changed or appended to.
    assert!(
        refused(upload(&mut c, "STOR dropped.bin", b"second")),
        "{flavor:?}"
    );
    assert!(
        refused(upload(&mut c, "STOR hello.txt", b"gone")),
        "{flavor:?}"
    );
    assert_eq!(c.command("REST 2").unwrap().code, 350);
    assert!(
        refused(upload(&mut c, "STOR hello.txt", b"gone")),
        "{flavor:?}"
    );
    assert!(
        refused(upload(&mut c, "APPE hello.txt", b"gone")),
        "{flavor:?}"
    );
    assert_eq!(std::fs::read(root.join("dropped.bin")).unwrap(), b"first");
    assert_eq!(
        std::fs::read(root.join("hello.txt")).unwrap(),
        b"hello from ftp-proto\n"
    );
    // Nothing is seen or taken.
    for command in ["LIST", "NLST", "MLSD", "RETR hello.txt", "RETR dropped.bin"] {
        let (first, bytes, _) = download(&mut c, command);
        assert_eq!(first, 550, "{flavor:?} {command}");
        assert!(bytes.is_empty());
    }
    for command in [
        "SIZE hello.txt",
        "MDTM hello.txt",
        "MLST hello.txt",
        "STAT hello.txt",
        "DELE dropped.bin",
        "RNFR dropped.bin",
        "MKD d",
    ] {
        assert_eq!(
            c.command(command).unwrap().code,
            550,
            "{flavor:?} {command}"
        );
    }
    // Moving about is allowed, and STOU makes a new file.
    assert_eq!(c.command("CWD sub dir").unwrap().code, 250, "{flavor:?}");
    assert_eq!(c.command("PWD").unwrap().code, 257, "{flavor:?}");
    let (first, last) = upload(&mut c, "STOU", b"unique");
    assert_eq!((first, last), TRANSFERRED, "{flavor:?}");
    assert_eq!(c.command("QUIT").unwrap().code, 221);
}

#[test]
fn a_drop_box_user_uploads_new_files_and_sees_nothing() {
    for flavor in FLAVORS {
        let server = TestServer::start(flavor, &writable()).unwrap();
        drop_box_takes_new_files_only(&server);
        // With the in-place option too (no temporary file to rename).
        let in_place = Setup {
            in_place_uploads: true,
            ..writable()
        };
        let server = TestServer::start(flavor, &in_place).unwrap();
        drop_box_takes_new_files_only(&server);
    }
}

/// Without `overwrite` a rename may not land on an existing name (which
/// would replace that file), but may move a file to a new one.
#[test]
fn a_user_who_may_not_overwrite_cannot_rename_onto_a_file() {
    for flavor in FLAVORS {
        let server = TestServer::start(flavor, &writable()).unwrap();
        let root = server.root();
        let mut c = login(&server, KEEPER, KEEPER_PASSWORD);
        assert_eq!(c.command("RNFR hello.txt").unwrap().code, 350, "{flavor:?}");
        let code = c.command("RNTO data.bin").unwrap().code;
        assert!(matches!(code, 550 | 553), "{flavor:?}: {code}");
        assert_eq!(
            std::fs::metadata(root.join("data.bin")).unwrap().len(),
            3 * 1024 * 1024 + 17
        );
        assert_eq!(c.command("RNFR hello.txt").unwrap().code, 350, "{flavor:?}");
        assert_eq!(c.command("RNTO moved.txt").unwrap().code, 250, "{flavor:?}");
        assert_eq!(
            std::fs::read(root.join("moved.txt")).unwrap(),
            b"hello from ftp-proto\n"
        );
        // And a STOR onto the moved file is refused too.
        assert!(
            refused(upload(&mut c, "STOR moved.txt", b"x")),
            "{flavor:?}"
        );
        assert_eq!(c.command("QUIT").unwrap().code, 221);
    }
}

#[test]
fn mlsx_perm_facts_tell_each_user_their_rights() {
    for flavor in FLAVORS {
        let server = TestServer::start(flavor, &Setup::default()).unwrap();
        for (user, password, file, dir) in [
            (READER, READER_PASSWORD, "r", "el"),
            (USER, PASSWORD, "adfrw", "cdeflmp"),
        ] {
            let mut c = login(&server, user, password);
            let (first, bytes, last) = download(&mut c, "MLSD");
            assert_eq!((first, last), TRANSFERRED, "{flavor:?} {user}");
            let listing = String::from_utf8(bytes).unwrap();
            assert_eq!(perm_of(&listing, "hello.txt"), file, "{flavor:?} {user}");
            assert_eq!(perm_of(&listing, "sub dir"), dir, "{flavor:?} {user}");
            let reply = c.command("MLST hello.txt").unwrap();
            assert_eq!(reply.code, 250, "{flavor:?} {user}");
            let text = reply.lines.join("\n");
            assert_eq!(perm_of(&text, "/hello.txt"), file, "{flavor:?}");
            let reply = c.command("MLST sub dir").unwrap();
            let text = reply.lines.join("\n");
            assert_eq!(perm_of(&text, "/sub dir"), dir, "{flavor:?}");
            assert_eq!(c.command("QUIT").unwrap().code, 221);
        }
    }
}

/// curl, a real client: the drop box refuses its listing and takes its
/// upload.
#[test]
fn curl_sees_the_drop_box_refuse_a_listing_and_take_an_upload() {
    let Ok(curl) = ftp_proto_tests::peers::ClientKind::Curl.find() else {
        require_or_skip("curl", "apt-get install curl");
        return;
    };
    for flavor in FLAVORS {
        let server = TestServer::start(flavor, &writable()).unwrap();
        let base = format!("ftp://{DROPPER}:{DROPPER_PASSWORD}@{}", server.addr);
        let listing = std::process::Command::new(&curl)
            .args(["-s", "-S", "--max-time", "20", "-l", &format!("{base}/")])
            .output()
            .unwrap();
        assert!(!listing.status.success(), "{flavor:?}: {listing:?}");
        assert!(listing.stdout.is_empty(), "{flavor:?}");
        let file = server.dir.path().join("upload.txt");
        std::fs::write(&file, b"via curl\n").unwrap();
        let stored = std::process::Command::new(&curl)
            .args(["-s", "-S", "--max-time", "20", "-T"])
            .arg(&file)
            .arg(format!("{base}/from-curl.txt"))
            .output()
            .unwrap();
        assert!(stored.status.success(), "{flavor:?}: {stored:?}");
        let root = server.root();
        assert_eq!(
            std::fs::read(Path::new(&root).join("from-curl.txt")).unwrap(),
            b"via curl\n"
        );
        // A second upload of the same name is refused.
        let again = std::process::Command::new(&curl)
            .args(["-s", "-S", "--max-time", "20", "-T"])
            .arg(&file)
            .arg(format!("{base}/hello.txt"))
            .output()
            .unwrap();
        assert!(!again.status.success(), "{flavor:?}: {again:?}");
        assert_eq!(
            std::fs::read(root.join("hello.txt")).unwrap(),
            b"hello from ftp-proto\n"
        );
    }
}
