//! `LIST` replies in every format the engine reads come back from the client
//! engine as typed entries: Unix (with special files), MS-DOS, OS/2, EPLF and
//! IBM i. Lines no parser knows are counted as skipped, never guessed. The
//! `ls` line of the client examples shows special kinds as `-`.

use std::net::SocketAddr;

use bytes::Bytes;
use ftp_proto::client::{
    ClientConfig, ClientEvent, ClientSession, DataRequest, FileInfo, FileKind, ListFormat, Outcome,
};
use ftp_proto::listing::DeviceNumbers;
use ftp_proto::{Instant, Session, Timestamp};

/// Runs one forced `LIST` whose data connection carries `data`; returns the
/// entries and the skipped-line count.
fn list(data: &[u8]) -> (Vec<FileInfo>, usize) {
    let now = Instant::ZERO;
    let peer: SocketAddr = "192.0.2.1:21".parse().unwrap();
    let mut c = ClientSession::new(now, ClientConfig::default(), peer);
    c.handle_input(now, b"220 hi\r\n");
    let clock = Timestamp::parse_ftp(b"20240601000000").ok();
    let op = c.list_with(now, None, ListFormat::List, clock).unwrap();
    let mut events = Vec::new();
    let drain = |c: &mut ClientSession, events: &mut Vec<ClientEvent>| {
        let mut sent = Vec::new();
        while let Some(f) = c.poll_transmit() {
            sent.extend_from_slice(&f);
        }
        while let Some(e) = c.poll_event() {
            events.push(e);
        }
        String::from_utf8(sent).unwrap()
    };
    assert_eq!(drain(&mut c, &mut events), "EPSV\r\n");
    c.handle_input(now, b"229 ok (|||4000|)\r\n");
    assert_eq!(drain(&mut c, &mut events), "LIST\r\n");
    let id = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Data(DataRequest::Connect { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("a data connection is asked for");
    c.handle_input(now, b"150 here\r\n");
    // Two chunks, split inside a line.
    let (a, b) = data.split_at(data.len() / 2);
    c.listing_data(now, id, a).unwrap();
    c.listing_data(now, id, b).unwrap();
    c.data_finished(now, id).unwrap();
    c.handle_input(now, b"226 done\r\n");
    drain(&mut c, &mut events);
    let result = events.into_iter().find_map(|e| match e {
        ClientEvent::Finished { op: o, result } if o == op => Some(result),
        _ => None,
    });
    match result {
        Some(Ok(Outcome::Listing { entries, skipped })) => (entries.to_vec(), skipped),
        other => panic!("{other:?}"),
    }
}

fn ts(s: &str) -> Option<Timestamp> {
    Timestamp::parse_ftp(s.as_bytes()).ok()
}

/// (name, kind, size, modified) of each entry.
type Row = (String, FileKind, Option<u64>, Option<Timestamp>);

fn rows(entries: &[FileInfo]) -> Vec<Row> {
    entries
        .iter()
        .map(|e| {
            (
                String::from_utf8_lossy(&e.name).into_owned(),
                e.kind.clone(),
                e.size,
                e.modified,
            )
        })
        .collect()
}

fn row(name: &str, kind: FileKind, size: Option<u64>, modified: &str) -> Row {
    (name.to_owned(), kind, size, ts(modified))
}

#[test]
fn unix_special_files_keep_their_kind() {
    let (entries, skipped) = list(
        b"total 4\r\n\
          crw-rw-rw-   1 root     root       1,   3 Jan 01  2020 null\r\n\
          brw-rw----   1 root     disk       8,   0 Jan 01  2020 sda\r\n\
          prw-r--r--   1 ftp      ftp             0 May 02 14:07 fifo\r\n\
          srwxrwxrwx   1 ftp      ftp             0 May 02 14:07 sock\r\n\
          -rw-r--r--   1 ftp      ftp             5 May 02 14:07 01 1234 foo.mp3\r\n",
    );
    assert_eq!(skipped, 1, "total");
    let dev = |major, minor| Some(DeviceNumbers::new(major, minor));
    assert_eq!(
        rows(&entries),
        [
            row(
                "null",
                FileKind::CharDevice { device: dev(1, 3) },
                None,
                "20200101000000"
            ),
            row(
                "sda",
                FileKind::BlockDevice { device: dev(8, 0) },
                None,
                "20200101000000"
            ),
            row("fifo", FileKind::Fifo, Some(0), "20240502140700"),
            row("sock", FileKind::Socket, Some(0), "20240502140700"),
            row("01 1234 foo.mp3", FileKind::File, Some(5), "20240502140700"),
        ]
    );
}

#[test]
fn os2_listing() {
    let (entries, skipped) = list(
        b"          0           DIR   08-20-98  16:55  DIRNAME\r\n\
          \x20    36611      A          05-12-97  16:44  README\r\n\
          \x20      345      A    R     02-03-04  12:00  with space.txt\r\n",
    );
    assert_eq!(skipped, 0);
    assert_eq!(
        rows(&entries),
        [
            row("DIRNAME", FileKind::Directory, None, "19980820165500"),
            row("README", FileKind::File, Some(36611), "19970512164400"),
            row(
                "with space.txt",
                FileKind::File,
                Some(345),
                "20040203120000"
            ),
        ]
    );
}

#[test]
fn eplf_listing() {
    let (entries, skipped) = list(
        b"+i8388621.29609,m824255902,/,\tdev\r\n\
          +i8388621.44468,m839956783,r,s10376,\tRFCEPLF\r\n\
          +i8388621.48594,m825718503,r,s280,\tdjb.html\r\n",
    );
    assert_eq!(skipped, 0);
    assert_eq!(
        rows(&entries),
        [
            row("dev", FileKind::Directory, None, "19960213235822"),
            row("RFCEPLF", FileKind::File, Some(10376), "19960813171943"),
            row("djb.html", FileKind::File, Some(280), "19960301221503"),
        ]
    );
    assert_eq!(
        entries[0].unique,
        Some(Bytes::from_static(b"8388621.29609"))
    );
}

#[test]
fn ibmi_listing() {
    let (entries, skipped) = list(
        b"QSYS           77824 02/23/00 15:09:55 *DIR       RCHSITES/\r\n\
          QDOC           24576 12/21/99 10:47:59 *FLR       QDLS/\r\n\
          WEBADM          5120 03/01/21 08:15:02 *STMF      index.html\r\n\
          PAYROLL        36864 06/15/04 08:10:11 *FILE      PAYFILE\r\n\
          PAYROLL                                *MEM       PAYFILE.FILE/JAN2004.MBR\r\n\
          QPGMR          45056 05/06/04 10:22:51 *PGM       MYPGM\r\n",
    );
    assert_eq!(skipped, 0);
    assert_eq!(
        rows(&entries),
        [
            row(
                "RCHSITES",
                FileKind::Directory,
                Some(77824),
                "20000223150955"
            ),
            row("QDLS", FileKind::Directory, Some(24576), "19991221104759"),
            row("index.html", FileKind::File, Some(5120), "20210301081502"),
            row("PAYFILE", FileKind::File, Some(36864), "20040615081011"),
            // A member line has no size and no date.
            row("PAYFILE.FILE/JAN2004.MBR", FileKind::File, None, "-"),
            row("MYPGM", FileKind::Other, Some(45056), "20040506102251"),
        ]
    );
    assert_eq!(entries[2].owner, Some(Bytes::from_static(b"WEBADM")));
}

#[test]
fn formats_mix_per_line_and_unknown_lines_are_skipped() {
    let (entries, skipped) = list(
        b"-rw-r--r-- 1 u g 35 Jan 02  2024 unix.txt\r\n\
          07-13-98  09:06PM       <DIR>          dos dir\r\n\
          \x20       345      A          02-03-04  12:00  os2.txt\r\n\
          +r,s7,\teplf.txt\r\n\
          QSYS 12 02/23/00 15:09:55 *STMF ibmi.txt\r\n\
          ?rw-r--r-- 1 u g 35 Jan 02  2024 unknown type\r\n\
          -rw-r--r-- 1 u g 1,234 Jan 02  2024 comma size\r\n\
          QSYS 12 2000/02/23 15:09:55 *STMF unknown date form\r\n\
          Windows_NT version 10\r\n",
    );
    let names: Vec<String> = rows(&entries).into_iter().map(|r| r.0).collect();
    assert_eq!(
        names,
        ["unix.txt", "dos dir", "os2.txt", "eplf.txt", "ibmi.txt"]
    );
    assert_eq!(skipped, 4);
}

#[test]
fn example_ls_lines_show_special_kinds_as_plain_files() {
    use ftp_proto_std::cli::ls_line;
    let line = |kind: FileKind| {
        let entry = FileInfo::new(Bytes::from_static(b"x"), kind).with_size(0);
        ls_line(&entry).unwrap()
    };
    for kind in [
        FileKind::CharDevice {
            device: Some(DeviceNumbers::new(1, 3)),
        },
        FileKind::BlockDevice { device: None },
        FileKind::Fifo,
        FileKind::Socket,
        FileKind::Other,
        FileKind::File,
    ] {
        assert!(line(kind.clone()).starts_with("- "), "{kind:?}");
    }
    assert!(line(FileKind::Directory).starts_with("d "));
    assert!(line(FileKind::Symlink { target: None }).starts_with("l "));
}
