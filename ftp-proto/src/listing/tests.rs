//! Real-world lines from several servers, and round trips through render and parse.

use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use bytes::BytesMut;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_ftp(s.as_bytes()).unwrap()
}

/// What a table row expects of a parsed line.
struct Want {
    name: &'static str,
    kind: FileKind,
    size: Option<u64>,
    modified: Option<&'static str>,
}

fn want(
    name: &'static str,
    kind: FileKind,
    size: Option<u64>,
    modified: Option<&'static str>,
) -> Want {
    Want {
        name,
        kind,
        size,
        modified,
    }
}

fn chr(major: u32, minor: u32) -> FileKind {
    FileKind::CharDevice {
        device: Some(DeviceNumbers::new(major, minor)),
    }
}

fn blk(major: u32, minor: u32) -> FileKind {
    FileKind::BlockDevice {
        device: Some(DeviceNumbers::new(major, minor)),
    }
}

fn link(target: &'static str) -> FileKind {
    FileKind::Symlink {
        target: Some(Bytes::from_static(target.as_bytes())),
    }
}

#[test]
fn list_lines_from_real_servers() {
    let now = ts("20240310120000");
    let rows: &[(&str, Option<Want>)] = &[
        // vsftpd
        (
            "-rw-r--r--    1 1000     1000         4096 Mar 02 14:07 notes.txt",
            Some(want(
                "notes.txt",
                FileKind::File,
                Some(4096),
                Some("20240302140700"),
            )),
        ),
        (
            "drwxr-xr-x    2 ftp      ftp          4096 Jan 05  2019 old dir",
            Some(want(
                "old dir",
                FileKind::Directory,
                Some(4096),
                Some("20190105000000"),
            )),
        ),
        (
            "lrwxrwxrwx    1 0        0               7 Jun 11 09:00 cur -> target",
            Some(want("cur", link("target"), Some(7), Some("20230611090000"))),
        ),
        // proftpd (group names, 2-digit day with space padding)
        (
            "-rw-r--r--   1 proftpd  proftpd      1830 Sep  3 12:01 hatch.c\r\n",
            Some(want(
                "hatch.c",
                FileKind::File,
                Some(1830),
                Some("20230903120100"),
            )),
        ),
        // pure-ftpd
        (
            "drwxr-xr-x    5 1001       1001             4096 Mar  9 23:59 www",
            Some(want(
                "www",
                FileKind::Directory,
                Some(4096),
                Some("20240309235900"),
            )),
        ),
        // pyftpdlib
        (
            "-rw-rw-rw-   1 owner    group         52000 Mar 16 08:30 a b  c.txt",
            Some(want(
                "a b  c.txt",
                FileKind::File,
                Some(52000),
                Some("20240316083000"),
            )),
        ),
        // group column missing
        (
            "-rw-r--r--   1 ftp          12 Mar 01  2020 nogroup",
            Some(want(
                "nogroup",
                FileKind::File,
                Some(12),
                Some("20200301000000"),
            )),
        ),
        // device file
        (
            "crw-rw-rw-   1 root     root       1,   3 Feb 01 10:00 null",
            Some(want("null", chr(1, 3), None, Some("20240201100000"))),
        ),
        (
            "brw-rw----   1 root     disk       8,0 Feb 01 10:00 sda",
            Some(want("sda", blk(8, 0), None, Some("20240201100000"))),
        ),
        // ACL marker, extra space after a year that has a single blank before it
        (
            "-rw-r--r--+  1 u g 5 Dec 24 2022  spaced",
            Some(want(
                "spaced",
                FileKind::File,
                Some(5),
                Some("20221224000000"),
            )),
        ),
        // Date slightly ahead of now still this year; far ahead means last year.
        (
            "-rw-r--r-- 1 u g 5 Mar 14 00:00 soon",
            Some(want(
                "soon",
                FileKind::File,
                Some(5),
                Some("20240314000000"),
            )),
        ),
        (
            "-rw-r--r-- 1 u g 5 Dec 31 23:00 last-year",
            Some(want(
                "last-year",
                FileKind::File,
                Some(5),
                Some("20231231230000"),
            )),
        ),
        // IIS DOS format
        (
            "07-13-98  09:06PM       <DIR>          aix",
            Some(want(
                "aix",
                FileKind::Directory,
                None,
                Some("19980713210600"),
            )),
        ),
        (
            "03-18-98  06:01AM              2109440 nlxb318e.tar",
            Some(want(
                "nlxb318e.tar",
                FileKind::File,
                Some(2_109_440),
                Some("19980318060100"),
            )),
        ),
        (
            "01-02-2024  12:05AM                  10 with space.txt",
            Some(want(
                "with space.txt",
                FileKind::File,
                Some(10),
                Some("20240102000500"),
            )),
        ),
        (
            "11-30-05  01:00PM       <JUNCTION>     j [C:\\target]",
            Some(want("j", link("C:\\target"), None, Some("20051130130000"))),
        ),
        // MLSD lines through the auto-detector
        (
            "type=file;size=1830;modify=19940916055648;perm=adfrw;UNIX.mode=0644; hatch.c",
            Some(want(
                "hatch.c",
                FileKind::File,
                Some(1830),
                Some("19940916055648"),
            )),
        ),
        // Not entries
        ("total 12", None),
        ("Status of /pub:", None),
        ("", None),
        ("-rw-r--r-- 1 u g 5 Mar 02 14:07 a\nb", None),
        ("type=file; a\rb", None),
        ("\r\n", None),
        ("226 Transfer complete", None),
        ("garbage line here", None),
        ("-rw-r--r-- 1 u g 5 Foo 14 00:00 x", None),
        ("drwxr-xr-x 2 u g 4096 Mar 02 14:07 ", None),
    ];
    check_rows(rows, now);
}

/// Parses every row with the auto-detector (copied and shared) and compares.
fn check_rows(rows: &[(&str, Option<Want>)], now: Timestamp) {
    for (line, expected) in rows {
        let got = parse_list_line(line.as_bytes(), now);
        match expected {
            None => assert!(got.is_none(), "{line:?} gave {got:?}"),
            Some(w) => {
                let got = got.unwrap_or_else(|| panic!("{line:?} not parsed"));
                assert_eq!(&got.name[..], w.name.as_bytes(), "{line:?}");
                assert_eq!(got.kind, w.kind, "{line:?}");
                assert_eq!(got.size, w.size, "{line:?}");
                assert_eq!(got.modified, w.modified.map(ts), "{line:?}");
                let shared = parse_list_line_bytes(&Bytes::copy_from_slice(line.as_bytes()), now);
                assert_eq!(shared.as_ref(), Some(&got), "{line:?}");
            }
        }
    }
}

#[test]
fn unix_owner_group_links_mode() {
    let now = ts("20240310120000");
    let f = parse_unix_line(b"-rwsr-x--T    3 alice    staff    12 Mar 02 14:07 x", now).unwrap();
    assert_eq!(f.links, Some(3));
    assert_eq!(f.owner.as_deref(), Some(&b"alice"[..]));
    assert_eq!(f.group.as_deref(), Some(&b"staff"[..]));
    assert_eq!(f.mode, Some(0o5750));
    let g = parse_unix_line(b"-rw-r--r-- 1 ftp 12 Mar 02 14:07 x", now).unwrap();
    assert_eq!((g.owner.as_deref(), g.group), (Some(&b"ftp"[..]), None));
    // Feb 29 without a year in a non-leap year: the latest leap year that is not ahead.
    let leap = parse_unix_line(b"-rw-r--r-- 1 u g 1 Feb 29 10:00 x", ts("20250301000000")).unwrap();
    assert_eq!(leap.modified, Some(ts("20240229100000")));
}

/// Unix lines that naive parsers get wrong (names, columns, kinds).
#[test]
fn unix_variants() {
    let now = ts("20240310120000");
    let file = |name, size, at| Some(want(name, FileKind::File, Some(size), Some(at)));
    let rows: &[(&str, Option<Want>)] = &[
        // Names: leading, repeated and trailing-looking spaces are kept.
        (
            "-rw-r--r--    1 ftp      ftp          4096 Mar 02 14:07  leading space",
            file(" leading space", 4096, "20240302140700"),
        ),
        (
            "-rw-r--r--    1 ftp      ftp          4096 Mar 02 14:07 two  inner   spaces",
            file("two  inner   spaces", 4096, "20240302140700"),
        ),
        (
            "-rw-r--r--    1 ftp      ftp          4096 Jan 05  2019  after year",
            file(" after year", 4096, "20190105000000"),
        ),
        (
            "-rw-r--r--    1 ftp      ftp          4096 Jan  5 2019  padded year",
            file("padded year", 4096, "20190105000000"),
        ),
        // Names that look like columns (suppaftp#69).
        (
            "-rw-r--r--    1 ftp      ftp       3932160 Jun 12  2010 01 1234 foo.mp3",
            file("01 1234 foo.mp3", 3_932_160, "20100612000000"),
        ),
        (
            "-rw-r--r--    1 ftp      ftp       3932160 Feb 12 09:41 01 1234 foo.mp3",
            file("01 1234 foo.mp3", 3_932_160, "20240212094100"),
        ),
        (
            "-rw-r--r-- 1 u g 5 Mar 02 14:07 Mar 02 14:07 x",
            file("Mar 02 14:07 x", 5, "20240302140700"),
        ),
        (
            "-rw-r--r-- 1 u g 5 Jan 01  2020 12 Jan 01  2020 report",
            file("12 Jan 01  2020 report", 5, "20200101000000"),
        ),
        // Owner/group columns: only one, or none.
        (
            "-rw-r--r--   1 1000          12 Mar 01  2020 only owner",
            file("only owner", 12, "20200301000000"),
        ),
        (
            "-rw-r--r--   1        12 Mar 01  2020 neither",
            file("neither", 12, "20200301000000"),
        ),
        (
            "-rw-r--r-- 12 Mar 01  2020 no links",
            file("no links", 12, "20200301000000"),
        ),
        // Special files keep their kind; devices their numbers.
        (
            "crw-rw-rw- 1 root root 1, 3 Jan 1 2020 null",
            Some(want("null", chr(1, 3), None, Some("20200101000000"))),
        ),
        (
            "crw--w----   1 root     tty      136,   0 Mar 10 11:59 0",
            Some(want("0", chr(136, 0), None, Some("20240310115900"))),
        ),
        (
            "brw-rw----   1 root     disk     259,  65536 Feb 29 08:00 nvme0n1p1",
            Some(want(
                "nvme0n1p1",
                blk(259, 65_536),
                None,
                Some("20240229080000"),
            )),
        ),
        (
            "crw-rw-rw-    1 0        0               0 Jan 05  2019 vsftpd-null",
            Some(want(
                "vsftpd-null",
                FileKind::CharDevice { device: None },
                Some(0),
                Some("20190105000000"),
            )),
        ),
        (
            "crw-rw-rw- 1 root root 99999999999, 3 Jan 1 2020 huge",
            Some(want(
                "huge",
                FileKind::CharDevice { device: None },
                None,
                Some("20200101000000"),
            )),
        ),
        (
            "prw-r--r--    1 ftp      ftp             0 Mar 02 14:07 fifo",
            Some(want(
                "fifo",
                FileKind::Fifo,
                Some(0),
                Some("20240302140700"),
            )),
        ),
        (
            "srwxrwxrwx    1 ftp      ftp             0 Mar 02 14:07 mysql.sock",
            Some(want(
                "mysql.sock",
                FileKind::Socket,
                Some(0),
                Some("20240302140700"),
            )),
        ),
        (
            "Drw-r--r--    1 root     root            0 Mar 02 14:07 door",
            Some(want(
                "door",
                FileKind::Other,
                Some(0),
                Some("20240302140700"),
            )),
        ),
        // A comma size belongs to devices only.
        ("-rw-r--r-- 1 u g 1,234 Mar 02 14:07 thousands", None),
        ("-rw-r--r-- 1 u g 1, 234 Mar 02 14:07 thousands", None),
        // ACL and attribute markers.
        (
            "drwxr-xr-x+   3 u g 4096 Mar 02 14:07 acl",
            Some(want(
                "acl",
                FileKind::Directory,
                Some(4096),
                Some("20240302140700"),
            )),
        ),
        (
            "-rw-r--r--.   1 u g 7 Mar 02 14:07 selinux",
            file("selinux", 7, "20240302140700"),
        ),
        (
            "-rw-r--r--@   1 u g 7 Mar 02 14:07 xattr",
            file("xattr", 7, "20240302140700"),
        ),
        ("-rw-r--r--+@  1 u g 7 Mar 02 14:07 two-markers", None),
        // Symlinks split at the arrow; other kinds keep it in the name.
        (
            "lrwxrwxrwx 1 u g 11 Mar 02 14:07 link name -> ../target dir",
            Some(want(
                "link name",
                link("../target dir"),
                Some(11),
                Some("20240302140700"),
            )),
        ),
        (
            "-rw-r--r-- 1 u g 5 Mar 02 14:07 a -> b",
            file("a -> b", 5, "20240302140700"),
        ),
        (
            "drwxr-xr-x 2 u g 5 Mar 02 14:07 x -> y",
            Some(want(
                "x -> y",
                FileKind::Directory,
                Some(5),
                Some("20240302140700"),
            )),
        ),
        // Not entries.
        ("total 0", None),
        ("TOTAL 123456", None),
        ("-rw-r--r-- 1 u g 5 Mar 32 14:07 bad-day", None),
        ("-rw-r--r-- 1 u g 5 Mar 02 24:00 bad-hour", None),
        ("-rw-r--r-- 1 u g 5 Mar 02 1:5 bad-clock", None),
        ("-rw-r--r-- 1 u g 5 Mar 02 14:07", None),
        ("-rwxr-xr-q 1 u g 5 Mar 02 14:07 bad-perm", None),
        ("?rw-r--r-- 1 u g 5 Mar 02 14:07 bad-type", None),
    ];
    check_rows(rows, now);
}

#[test]
fn eplf_lines() {
    let now = ts("20240310120000");
    let rows: &[(&str, Option<Want>)] = &[
        (
            "+i8388621.29609,m824255902,/,\tdev",
            Some(want(
                "dev",
                FileKind::Directory,
                None,
                Some("19960213235822"),
            )),
        ),
        (
            "+i8388621.44468,m839956783,r,s10376,\tRFCEPLF",
            Some(want(
                "RFCEPLF",
                FileKind::File,
                Some(10376),
                Some("19960813171943"),
            )),
        ),
        (
            "+i8388621.48594,m825718503,r,s280,\tdjb.html\r\n",
            Some(want(
                "djb.html",
                FileKind::File,
                Some(280),
                Some("19960301221503"),
            )),
        ),
        (
            "+m1700000000,r,s0,up600,\t name with\ttab ",
            Some(want(
                " name with\ttab ",
                FileKind::File,
                Some(0),
                Some("20231114221320"),
            )),
        ),
        (
            "+s5,xunknown,\tno kind",
            Some(want("no kind", FileKind::Other, Some(5), None)),
        ),
        ("+\tbare", Some(want("bare", FileKind::Other, None, None))),
        // Not entries.
        ("+/,\t", None),
        ("+i1,m2\tunterminated", None),
        ("+r, no tab", None),
        ("i1,r,\tno plus", None),
    ];
    check_rows(rows, now);
    let f = parse_eplf_line(b"+i8388621.48594,m825718503,r,s280,up644,\tdjb.html").unwrap();
    assert_eq!(f.unique.as_deref(), Some(&b"8388621.48594"[..]));
    assert_eq!(f.mode, Some(0o644));
}

#[test]
fn ibmi_lines() {
    let now = ts("20240310120000");
    let rows: &[(&str, Option<Want>)] = &[
        (
            "QSYS           77824 02/23/00 15:09:55 *DIR       RCHSITES/",
            Some(want(
                "RCHSITES",
                FileKind::Directory,
                Some(77824),
                Some("20000223150955"),
            )),
        ),
        (
            "QDOC           24576 12/21/99 10:47:59 *FLR       QDLS/",
            Some(want(
                "QDLS",
                FileKind::Directory,
                Some(24576),
                Some("19991221104759"),
            )),
        ),
        (
            "QSYS           12288 01/05/24 09:00:00 *LIB       QGPL.LIB",
            Some(want(
                "QGPL.LIB",
                FileKind::Directory,
                Some(12288),
                Some("20240105090000"),
            )),
        ),
        (
            "WEBADM          5120 03/01/21 08:15:02 *STMF      index.html",
            Some(want(
                "index.html",
                FileKind::File,
                Some(5120),
                Some("20210301081502"),
            )),
        ),
        (
            "WEBADM          5120 03/01/21 08:15:02 *STMF      my report 2021.txt",
            Some(want(
                "my report 2021.txt",
                FileKind::File,
                Some(5120),
                Some("20210301081502"),
            )),
        ),
        (
            "PAYROLL        36864 06/15/04 08:10:11 *FILE      PAYFILE",
            Some(want(
                "PAYFILE",
                FileKind::File,
                Some(36864),
                Some("20040615081011"),
            )),
        ),
        // Members: owner, type and name only.
        (
            "PAYROLL                                *MEM       PAYFILE.JAN2004",
            Some(want("PAYFILE.JAN2004", FileKind::File, None, None)),
        ),
        (
            "PAYROLL                                *MEM       PAYFILE.FILE/FEB2004.MBR",
            Some(want("PAYFILE.FILE/FEB2004.MBR", FileKind::File, None, None)),
        ),
        (
            "QPGMR          45056 05/06/04 10:22:51 *PGM       MYPGM",
            Some(want(
                "MYPGM",
                FileKind::Other,
                Some(45056),
                Some("20040506102251"),
            )),
        ),
        (
            "QSYS            8192 23.02.2024 15.09.55 *STMF      euro.txt",
            Some(want(
                "euro.txt",
                FileKind::File,
                Some(8192),
                Some("20240223150955"),
            )),
        ),
        (
            "QSYS            8192 23/02/24 15:09:55 *STMF      dmy.txt",
            Some(want(
                "dmy.txt",
                FileKind::File,
                Some(8192),
                Some("20240223150955"),
            )),
        ),
        (
            "QSYS              32 2024-02-23 15:09:55 *SYMLNK    lnk",
            Some(want(
                "lnk",
                FileKind::Symlink { target: None },
                Some(32),
                Some("20240223150955"),
            )),
        ),
        (
            "QSYS               0 02/23/00 15:09:55 *FIFO      pipe",
            Some(want(
                "pipe",
                FileKind::Fifo,
                Some(0),
                Some("20000223150955"),
            )),
        ),
        // Not entries.
        ("QSYS 77824 02/23/00 15:09:55 DIR x", None),
        ("QSYS 77824 02/23/00 *DIR x", None),
        ("QSYS 77824 13/13/00 15:09:55 *DIR x", None),
        ("QSYS 77824 24-02-23 15:09:55 *DIR x", None),
        ("QSYS 77824 02/23/00 15:09 *DIR x", None),
        ("QSYS *DIR ", None),
        ("QSYS *DIR /", None),
        ("*DIR x", None),
        (" QSYS *DIR x", None),
        ("12345 *DIR x", None),
    ];
    check_rows(rows, now);
    let f = parse_ibmi_line(b"WEBADM 5120 03/01/21 08:15:02 *STMF index.html").unwrap();
    assert_eq!(f.owner.as_deref(), Some(&b"WEBADM"[..]));
}

#[test]
fn os2_lines() {
    let now = ts("20240310120000");
    let rows: &[(&str, Option<Want>)] = &[
        (
            "          0           DIR   08-20-98  16:55  DIRNAME",
            Some(want(
                "DIRNAME",
                FileKind::Directory,
                None,
                Some("19980820165500"),
            )),
        ),
        (
            "   345 A   02-03-04  12:00  file.txt",
            Some(want(
                "file.txt",
                FileKind::File,
                Some(345),
                Some("20040203120000"),
            )),
        ),
        (
            "     36611      A          05-12-97   16:44  README",
            Some(want(
                "README",
                FileKind::File,
                Some(36611),
                Some("19970512164400"),
            )),
        ),
        (
            "     73098      A    R     04-06-97  15:05  ADDRESS.LST",
            Some(want(
                "ADDRESS.LST",
                FileKind::File,
                Some(73098),
                Some("19970406150500"),
            )),
        ),
        (
            "       1024           01-15-2001  23:59  long name with spaces.txt",
            Some(want(
                "long name with spaces.txt",
                FileKind::File,
                Some(1024),
                Some("20010115235900"),
            )),
        ),
        (
            "          0      A    DIR   12-31-99  00:00  ARCHIVED DIR",
            Some(want(
                "ARCHIVED DIR",
                FileKind::Directory,
                None,
                Some("19991231000000"),
            )),
        ),
        // Not entries.
        ("          0           DIR   08-20-98  16:55  ", None),
        ("          0           DIR   08-20-98", None),
        ("          0           XYZ   08-20-98  16:55  x", None),
        ("          0           DIR   13-20-98  16:55  x", None),
        ("         -1           A     08-20-98  16:55  x", None),
    ];
    check_rows(rows, now);
}

#[test]
fn mlsd_lines_from_spec_and_quirks() {
    let rows: &[(&str, &str, FileKind, Option<u64>)] = &[
        (
            "type=cdir;modify=20240102030405;perm=flcdmpe; .",
            ".",
            FileKind::CurrentDirectory,
            None,
        ),
        (
            "type=pdir;perm=e; ..",
            "..",
            FileKind::ParentDirectory,
            None,
        ),
        (
            "type=dir;modify=20231111120000;perm=flcdmpe;unique=803g1a; sub dir",
            "sub dir",
            FileKind::Directory,
            None,
        ),
        // NcFTPd: last fact without ';'
        ("type=file;size=5 plain", "plain", FileKind::File, Some(5)),
        // pyftpdlib: lower case, 0o mode
        (
            "type=file;size=7;unix.mode=0o644;unique=8g2; py",
            "py",
            FileKind::File,
            Some(7),
        ),
        // Pure-FTPd sizd
        (
            "type=dir;sizd=4096;modify=20240101000000; pure",
            "pure",
            FileKind::Directory,
            Some(4096),
        ),
        // FileZilla Server: perms, fractional time, capitalised type
        (
            "Type=File;Size=3;Modify=20240101000000.123;Perms=awr; fz",
            "fz",
            FileKind::File,
            Some(3),
        ),
        (
            "type=OS.unix=slink:/etc/x;size=6; sl",
            "sl",
            link("/etc/x"),
            Some(6),
        ),
        (
            "type=OS.unix=symlink; sl2",
            "sl2",
            FileKind::Symlink { target: None },
            None,
        ),
        ("type=OS.unix=chr-13/29; tty", "tty", chr(13, 29), None),
        ("Type=OS.unix=blk-11/108; fd0", "fd0", blk(11, 108), None),
        (
            "type=OS.unix=chr; c",
            "c",
            FileKind::CharDevice { device: None },
            None,
        ),
        (
            "type=OS.unix=chr-x/1; c2",
            "c2",
            FileKind::CharDevice { device: None },
            None,
        ),
        (
            "type=OS.unix=blk-4294967296/0; b2",
            "b2",
            FileKind::BlockDevice { device: None },
            None,
        ),
        ("type=OS.unix=fifo; f", "f", FileKind::Fifo, None),
        ("type=OS.unix=PIPE; f2", "f2", FileKind::Fifo, None),
        ("type=OS.unix=socket; s", "s", FileKind::Socket, None),
        ("type=OS.unix=sock; s2", "s2", FileKind::Socket, None),
        ("type=OS.unix=fifo-1/2; f3", "f3", FileKind::Other, None),
        ("type=OS.unix=door; d", "d", FileKind::Other, None),
        (
            "type=file; name; with; semis",
            "name; with; semis",
            FileKind::File,
            None,
        ),
        (" nofacts", "nofacts", FileKind::Other, None),
        (
            "type=file;size=1;  two spaces",
            " two spaces",
            FileKind::File,
            Some(1),
        ),
        ("x.unknown=1;type=file; u", "u", FileKind::File, None),
    ];
    for &(line, name, ref kind, size) in rows {
        let got = parse_mlsd_line(line.as_bytes()).unwrap_or_else(|| panic!("{line:?}"));
        assert_eq!(&got.name[..], name.as_bytes(), "{line:?}");
        assert_eq!(&got.kind, kind, "{line:?}");
        assert_eq!(got.size, size, "{line:?}");
    }
    let py =
        parse_mlsd_line(b"type=file;unix.mode=0o644;UNIX.uid=1000;UNIX.ownername=ann; py").unwrap();
    assert_eq!(py.mode, Some(0o644));
    assert_eq!(py.owner.as_deref(), Some(&b"ann"[..]));
    let fz = parse_mlsd_line(b"Modify=20240101000000.123;Perms=awr; fz").unwrap();
    assert_eq!(fz.modified.map(|t| t.subsec_nanos()), Some(123_000_000));
    assert_eq!(fz.perms, Some(Perms::APPEND | Perms::WRITE | Perms::READ));
    let mlst =
        parse_mlst_line(b" type=file;size=1830;modify=19940916055648;perm=adfrw; /pub/hatch.c")
            .unwrap();
    assert_eq!(&mlst.name[..], b"/pub/hatch.c");
    let empty = parse_mlst_line(b"  /pub/x").unwrap();
    assert_eq!(&empty.name[..], b"/pub/x");
    for bad in [&b""[..], b"type=file;", b"nofacts", b"a b", b"type=file; "] {
        assert!(parse_mlsd_line(bad).is_none(), "{bad:?}");
    }
}

fn name_strategy() -> impl Strategy<Value = Vec<u8>> {
    // Names that every format can carry: no CR/LF/NUL (refused by the
    // renderers), but blanks anywhere, `;`, `->`, bytes above 0x7f.
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z').prop_map(|c| c as u8),
            1 => Just(b' '),
            1 => Just(b';'),
            1 => Just(b'.'),
            1 => Just(b'-'),
            1 => Just(b'>'),
            1 => 0x80u8..=0xff,
        ],
        1..24,
    )
}

fn device_strategy() -> impl Strategy<Value = Option<DeviceNumbers>> {
    proptest::option::of((any::<u32>(), any::<u32>()).prop_map(|(a, b)| DeviceNumbers::new(a, b)))
}

/// The kinds a LIST line can carry (its type letter tells them apart).
fn list_kind_strategy() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::File),
        Just(FileKind::Directory),
        Just(FileKind::Symlink { target: None }),
        "[a-z/]{1,10}".prop_map(|t| FileKind::Symlink {
            target: Some(Bytes::from(t.into_bytes()))
        }),
        device_strategy().prop_map(|device| FileKind::CharDevice { device }),
        device_strategy().prop_map(|device| FileKind::BlockDevice { device }),
        Just(FileKind::Fifo),
        Just(FileKind::Socket),
    ]
}

/// Every kind, for MLSx (which also has `cdir`, `pdir` and `OS.unix=other`).
fn kind_strategy() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        8 => list_kind_strategy(),
        1 => Just(FileKind::CurrentDirectory),
        1 => Just(FileKind::ParentDirectory),
        1 => Just(FileKind::Other),
    ]
}

prop_compose! {
    fn file_info_of(kinds: BoxedStrategy<FileKind>)(
        name in name_strategy(),
        kind in kinds,
        size in proptest::option::of(any::<u64>()),
        // 1900..2100
        modified in proptest::option::of(-2_208_988_800i64..4_102_444_800i64),
        created in proptest::option::of(-2_208_988_800i64..4_102_444_800i64),
        mode in proptest::option::of(0u32..0o10000),
        // Owner/group words that cannot pass for a month or a date (a known
        // ambiguity of LIST lines, shared with lftp).
        owner in proptest::option::of("u[a-z0-9_]{0,11}"),
        group in proptest::option::of("g[a-z0-9_]{0,11}"),
        links in proptest::option::of(1u64..100_000),
        perms in proptest::option::of("[acdeflmprw]{0,10}"),
        unique in proptest::option::of("[0-9a-fg]{1,16}"),
    ) -> FileInfo {
        FileInfo {
            name: Bytes::from(name),
            kind,
            size,
            modified: modified.map(|s| Timestamp::from_unix(s, 0)),
            created: created.map(|s| Timestamp::from_unix(s, 0)),
            mode,
            owner: owner.map(|o| Bytes::from(o.into_bytes())),
            group: group.map(|g| Bytes::from(g.into_bytes())),
            links,
            perms: perms.map(|p| Perms::from_letters(p.as_bytes())),
            unique: unique.map(|u| Bytes::from(u.into_bytes())),
        }
    }
}

fn minute(t: Timestamp) -> i64 {
    t.unix_seconds().div_euclid(60)
}

/// What the Unix parser must give back for the LIST line of `info`, minus
/// `modified` (checked apart: minute or day precision).
fn expected_from_list(info: &FileInfo) -> FileInfo {
    let is_dir = info.kind.is_dir();
    let ftp = || Bytes::from_static(b"ftp");
    let shows_numbers = matches!(
        info.kind,
        FileKind::CharDevice { device: Some(_) } | FileKind::BlockDevice { device: Some(_) }
    );
    FileInfo {
        name: info.name.clone(),
        kind: info.kind.clone(),
        size: (!shows_numbers).then(|| info.size.unwrap_or(0)),
        modified: None,
        created: None,
        mode: Some(info.mode.unwrap_or(match info.kind {
            FileKind::Symlink { .. } => 0o777,
            _ if is_dir => 0o755,
            _ => 0o644,
        })),
        owner: Some(info.owner.clone().unwrap_or_else(ftp)),
        group: Some(info.group.clone().unwrap_or_else(ftp)),
        links: Some(info.links.unwrap_or(if is_dir { 2 } else { 1 })),
        perms: None,
        unique: None,
    }
}

/// Whether `info` is a symlink whose LIST text `name -> target` would hold
/// an arrow before the one after the name (the parser splits at the first).
fn symlink_name_has_arrow(info: &FileInfo) -> bool {
    if !matches!(info.kind, FileKind::Symlink { .. }) {
        return false;
    }
    let mut text = info.name.to_vec();
    text.extend_from_slice(b" -> ");
    text.windows(4).position(|w| w == b" -> ") != Some(info.name.len())
}

/// An EPLF line written by the test from its parts.
fn eplf_line(
    dir: bool,
    file: bool,
    size: Option<u64>,
    mtime: Option<u32>,
    id: Option<&str>,
    name: &[u8],
) -> Vec<u8> {
    let mut line = b"+".to_vec();
    if let Some(id) = id {
        line.extend_from_slice(format!("i{id},").as_bytes());
    }
    if let Some(m) = mtime {
        line.extend_from_slice(format!("m{m},").as_bytes());
    }
    if dir {
        line.extend_from_slice(b"/,");
    }
    if file {
        line.extend_from_slice(b"r,");
    }
    if let Some(s) = size {
        line.extend_from_slice(format!("s{s},").as_bytes());
    }
    line.push(b'\t');
    line.extend_from_slice(name);
    line.extend_from_slice(b"\r\n");
    line
}

/// Names for the IBM i and OS/2 lines, whose names start after a run of
/// padding blanks: no leading blank.
fn padded_name_strategy() -> impl Strategy<Value = Vec<u8>> {
    name_strategy().prop_map(|mut name| {
        if let Some(first @ b' ') = name.first_mut() {
            *first = b'n';
        }
        name
    })
}

proptest! {
    #[test]
    fn list_line_round_trip(
        info in file_info_of(list_kind_strategy().boxed()),
        now_secs in 0i64..4_102_444_800i64,
    ) {
        // The one ambiguity left: a symlink whose own name holds the arrow.
        prop_assume!(!symlink_name_has_arrow(&info));
        let now = Timestamp::from_unix(now_secs, 0);
        let mut out = BytesMut::new();
        write_list_line(&info, now, &mut out).unwrap();
        prop_assert!(out.ends_with(b"\r\n"));
        prop_assert_eq!(memchr::memchr_iter(b'\n', &out).count(), 1);
        let mut back = parse_unix_line(&out, now).unwrap();
        prop_assert_eq!(parse_list_line(&out, now), Some(back.clone()));
        let m = info.modified.unwrap_or(Timestamp::UNIX_EPOCH);
        let back_m = back.modified.take().unwrap();
        let age = now.unix_seconds() - m.unix_seconds();
        if (0..=182 * 86_400).contains(&age) {
            prop_assert_eq!(minute(back_m), minute(m));
        } else {
            // Year form: the date survives, the time of day does not.
            prop_assert_eq!(back_m.unix_seconds().div_euclid(86_400), m.unix_seconds().div_euclid(86_400));
        }
        prop_assert_eq!(back, expected_from_list(&info));
    }

    #[test]
    fn mlsd_round_trip(info in file_info_of(kind_strategy().boxed()), bits in 0u16..512) {
        let facts = Facts::from_bits_truncate(bits);
        let mut out = BytesMut::new();
        write_mlsd_line(&info, facts, &mut out).unwrap();
        let back = parse_mlsd_line(&out).unwrap();
        prop_assert_eq!(&back.name, &info.name);
        if facts.contains(Facts::TYPE) {
            prop_assert_eq!(&back.kind, &info.kind);
        }
        let pick = |f: Facts| facts.contains(f);
        prop_assert_eq!(back.size, info.size.filter(|_| pick(Facts::SIZE)));
        prop_assert_eq!(back.modified, info.modified.filter(|_| pick(Facts::MODIFY)));
        prop_assert_eq!(back.created, info.created.filter(|_| pick(Facts::CREATE)));
        prop_assert_eq!(back.mode, info.mode.filter(|_| pick(Facts::UNIX_MODE)));
        prop_assert_eq!(&back.owner, &info.owner.clone().filter(|_| pick(Facts::UNIX_OWNER)));
        prop_assert_eq!(&back.group, &info.group.clone().filter(|_| pick(Facts::UNIX_GROUP)));
        prop_assert_eq!(&back.unique, &info.unique.clone().filter(|_| pick(Facts::UNIQUE)));
        prop_assert_eq!(back.perms, pick(Facts::PERM).then(|| info.effective_perms()));
        // MLST form carries the same facts.
        let mut mlst = BytesMut::new();
        write_mlst_line(&info, facts, b"/dir/x", &mut mlst).unwrap();
        let back2 = parse_mlst_line(&mlst).unwrap();
        prop_assert_eq!(&back2.name[..], b"/dir/x");
        prop_assert_eq!(back2.size, back.size);
        prop_assert_eq!(back2.kind, back.kind);
    }

    #[test]
    fn eplf_parts_round_trip(
        dir in any::<bool>(),
        file in any::<bool>(),
        size in proptest::option::of(any::<u64>()),
        mtime in proptest::option::of(any::<u32>()),
        id in proptest::option::of("[0-9a-z.]{1,12}"),
        name in name_strategy(),
    ) {
        let line = eplf_line(dir, file, size, mtime, id.as_deref(), &name);
        let back = parse_list_line(&line, Timestamp::UNIX_EPOCH).unwrap();
        let kind = match (dir, file) {
            (true, _) => FileKind::Directory,
            (false, true) => FileKind::File,
            (false, false) => FileKind::Other,
        };
        prop_assert_eq!(&back.name[..], &name[..]);
        prop_assert_eq!(back.kind, kind);
        prop_assert_eq!(back.size, size);
        prop_assert_eq!(back.modified, mtime.map(|m| Timestamp::from_unix(i64::from(m), 0)));
        prop_assert_eq!(back.unique.as_deref(), id.as_deref().map(str::as_bytes));
    }

    #[test]
    fn ibmi_parts_round_trip(
        owner in "Q[A-Z0-9]{0,9}",
        stamp in proptest::option::of(0i64..2_208_988_800i64), // 1970..2040
        size in any::<u64>(),
        object_type in prop_oneof![
            Just("*DIR"), Just("*STMF"), Just("*FILE"), Just("*MEM"), Just("*PGM"),
            Just("*SYMLNK"), Just("*FLR"), Just("*LIB"), Just("*DOC"), Just("*FIFO"),
        ],
        slash in any::<bool>(),
        name in padded_name_strategy(),
    ) {
        let mut line = format!("{owner:<10}").into_bytes();
        if let Some(s) = stamp {
            let c = Timestamp::from_unix(s, 0).to_civil();
            line.extend_from_slice(
                format!(
                    " {size:>10} {:02}/{:02}/{:02} {:02}:{:02}:{:02}",
                    c.month, c.day, c.year % 100, c.hour, c.minute, c.second
                )
                .as_bytes(),
            );
        } else {
            line.extend_from_slice(&[b' '; 29]);
        }
        line.extend_from_slice(format!(" {object_type:<10} ").as_bytes());
        line.extend_from_slice(&name);
        if slash {
            line.push(b'/');
        }
        let back = parse_list_line(&line, Timestamp::UNIX_EPOCH).unwrap();
        prop_assert_eq!(&back.name[..], &name[..]);
        prop_assert_eq!(back.owner.as_deref(), Some(owner.as_bytes()));
        prop_assert_eq!(back.size, stamp.map(|_| size));
        prop_assert_eq!(back.modified, stamp.map(|s| Timestamp::from_unix(s, 0)));
        let kind = match object_type {
            _ if slash => FileKind::Directory,
            "*DIR" | "*FLR" | "*LIB" => FileKind::Directory,
            "*STMF" | "*FILE" | "*MEM" | "*DOC" => FileKind::File,
            "*SYMLNK" => FileKind::Symlink { target: None },
            "*FIFO" => FileKind::Fifo,
            _ => FileKind::Other,
        };
        prop_assert_eq!(back.kind, kind);
    }

    #[test]
    fn os2_parts_round_trip(
        size in any::<u64>(),
        attributes in "[ARHS]{0,4}",
        dir in any::<bool>(),
        stamp in 0i64..3_155_760_000i64, // 1970..2070
        name in padded_name_strategy(),
    ) {
        let c = Timestamp::from_unix(stamp, 0).to_civil();
        let line = format!(
            "{size:>10} {attributes:>4} {} {:02}-{:02}-{:02}  {:02}:{:02}  ",
            if dir { "DIR" } else { "   " },
            c.month, c.day, c.year % 100, c.hour, c.minute
        );
        let mut line = line.into_bytes();
        line.extend_from_slice(&name);
        let back = parse_list_line(&line, Timestamp::UNIX_EPOCH).unwrap();
        prop_assert_eq!(&back.name[..], &name[..]);
        prop_assert_eq!(back.kind, if dir { FileKind::Directory } else { FileKind::File });
        prop_assert_eq!(back.size, (!dir).then_some(size));
        prop_assert_eq!(minute(back.modified.unwrap()), stamp.div_euclid(60));
    }

    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..120), now in any::<i64>()) {
        let now = Timestamp::from_unix(now, 0);
        let _ = parse_list_line(&line, now);
        let _ = parse_list_line_bytes(&Bytes::from(line.clone()), now);
        let _ = parse_unix_line(&line, now);
        let _ = parse_dos_line(&line);
        let _ = parse_os2_line(&line);
        let _ = parse_eplf_line(&line);
        let _ = parse_ibmi_line(&line);
        let _ = parse_mlsd_line(&line);
        let _ = parse_mlst_line(&line);
        if let Some(info) = parse_list_line(&line, now) {
            prop_assert!(!info.name.is_empty());
            prop_assert!(!info.name.iter().any(|&b| b == b'\r' || b == b'\n'));
        }
    }

    #[test]
    fn structured_garbage_never_panics(
        words in proptest::collection::vec(
            prop_oneof![
                Just("-rw-r--r--".to_string()), Just("crw-rw-rw-".to_string()),
                Just("1".to_string()), Just("Feb".to_string()),
                Just("29".to_string()), Just("00:00".to_string()), Just("2024".to_string()),
                Just("4,".to_string()), Just("4,5".to_string()), Just("->".to_string()),
                Just("<DIR>".to_string()), Just("DIR".to_string()), Just("A".to_string()),
                Just("12-31-99".to_string()), Just("12:00PM".to_string()), Just("type=file;".to_string()),
                Just("QSYS".to_string()), Just("*STMF".to_string()), Just("*MEM".to_string()),
                Just("02/29/00".to_string()), Just("23.59.60".to_string()), Just("x/".to_string()),
                Just("+i1,m0,/,\t".to_string()), Just("+r,s".to_string()), Just("\t".to_string()),
                "[ -~]{0,6}",
            ],
            0..12,
        ),
        now in any::<i64>(),
    ) {
        let line = words.join(" ");
        let now = Timestamp::from_unix(now, 0);
        let copied = parse_list_line(line.as_bytes(), now);
        let shared = parse_list_line_bytes(&Bytes::from(line.clone().into_bytes()), now);
        prop_assert_eq!(copied, shared);
    }
}
