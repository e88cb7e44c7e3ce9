//! Listings of large directories through both of our servers: every entry
//! comes, and `226` only for a whole listing (issue 13: a listing used to
//! be cut at 50 000 entries and still end in `226`).

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use ftp_proto_tests::ours::{Flavor, Setup, TestServer};
use ftp_proto_tests::peers::RawControl;

/// Entries in the big directory: twice the old cap.
const ENTRIES: usize = 100_000;

fn name(i: usize) -> String {
    format!("f{i:06}")
}

/// `count` entries in a new `dir`: two empty files and hard links to them
/// (a link is many times faster to make than a file; two files keep each
/// under ext4's 65 000 links).
fn fill(dir: &Path, count: usize) {
    std::fs::create_dir(dir).unwrap();
    let half = count / 2;
    for i in 0..count {
        let path = dir.join(name(i));
        if i % half == 0 {
            std::fs::File::create(path).unwrap();
        } else {
            std::fs::hard_link(dir.join(name(i - i % half)), path).unwrap();
        }
    }
}

/// Sends `command` and reads its data connection to the end (bounded in
/// size and time), then the final reply.
fn list(c: &mut RawControl, command: &str) -> (u16, Vec<u8>, u16) {
    let (_, data) = c.epsv().unwrap();
    let mut stream = TcpStream::connect_timeout(&data.unwrap(), Duration::from_secs(10)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let first = c.command(command).unwrap();
    if first.class() != 1 {
        return (first.code, Vec::new(), 0);
    }
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        assert!(bytes.len() < 64 << 20, "{command}: too much data");
    }
    (first.code, bytes, c.read_reply().unwrap().code)
}

/// The names in a listing's lines: NLST lines are names, MLSD names follow
/// the facts and one space, LIST names are the last field (these have no
/// blanks).
fn names(command: &str, data: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(data).unwrap();
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "{command}: unterminated"
    );
    text.split_terminator("\r\n")
        .map(|line| {
            let name = match command {
                "MLSD" => line.split_once("; ").unwrap().1,
                "LIST" => line.rsplit(' ').next().unwrap(),
                _ => line,
            };
            name.to_owned()
        })
        .collect()
}

/// Lists the directory `big` of `server` with NLST, LIST and MLSD.
fn lists_every_entry(server: &TestServer) {
    let flavor = server.flavor;
    let expected: HashSet<String> = (0..ENTRIES).map(name).collect();
    for command in ["NLST", "LIST", "MLSD"] {
        let mut c = server.raw_login();
        let (first, bytes, last) = list(&mut c, &format!("{command} big"));
        assert!(matches!(first, 125 | 150), "{flavor:?} {command}: {first}");
        assert_eq!(last, 226, "{flavor:?} {command}");
        let listed = names(command, &bytes);
        assert_eq!(listed.len(), ENTRIES, "{flavor:?} {command}");
        let listed: HashSet<String> = listed.into_iter().collect();
        assert!(listed == expected, "{flavor:?} {command}: names differ");
        assert_eq!(c.command("QUIT").unwrap().code, 221);
    }
    // A missing directory is still refused before any 150.
    let mut c = server.raw_login();
    let (first, _, _) = list(&mut c, "MLSD missing");
    assert_eq!(first, 550, "{flavor:?}");
}

#[test]
fn both_servers_list_a_100000_entry_directory_whole() {
    let std_server = TestServer::start(Flavor::Std, &Setup::default()).unwrap();
    let tokio_server = TestServer::start(Flavor::Tokio, &Setup::default()).unwrap();
    fill(&std_server.root().join("big"), ENTRIES);
    lists_every_entry(&std_server);
    // The same directory, moved (both roots are on one file system).
    std::fs::rename(
        std_server.root().join("big"),
        tokio_server.root().join("big"),
    )
    .unwrap();
    lists_every_entry(&tokio_server);
}
