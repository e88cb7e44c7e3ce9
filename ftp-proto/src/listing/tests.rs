//! Real-world lines from several servers, and round trips through render and parse.

use super::*;
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
            Some(want("null", FileKind::Other, None, Some("20240201100000"))),
        ),
        (
            "brw-rw----   1 root     disk       8,0 Feb 01 10:00 sda",
            Some(want("sda", FileKind::Other, None, Some("20240201100000"))),
        ),
        // ACL marker, extra space after year
        (
            "-rw-r--r--+  1 u g 5 Dec 24  2022  spaced",
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
        ("type=OS.unix=chr-13/29; tty", "tty", FileKind::Other, None),
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
    // Names that every format can carry: no CR/LF/NUL, no leading/trailing blank,
    // no " -> " (LIST symlink marker), not starting with a blank.
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z').prop_map(|c| c as u8),
            1 => Just(b' '),
            1 => Just(b';'),
            1 => Just(b'.'),
            1 => 0x80u8..=0xff,
        ],
        1..24,
    )
    .prop_filter("no edge blanks, no arrow", |n| {
        n.first() != Some(&b' ') && n.last() != Some(&b' ') && !n.windows(4).any(|w| w == b" -> ")
    })
}

fn kind_strategy() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        Just(FileKind::File),
        Just(FileKind::Directory),
        Just(FileKind::Symlink { target: None }),
        "[a-z/]{1,10}".prop_map(|t| FileKind::Symlink {
            target: Some(Bytes::from(t.into_bytes()))
        }),
    ]
}

prop_compose! {
    fn file_info()(
        name in name_strategy(),
        kind in kind_strategy(),
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

proptest! {
    #[test]
    fn list_line_round_trip(info in file_info(), now_secs in 0i64..4_102_444_800i64) {
        let now = Timestamp::from_unix(now_secs, 0);
        let mut out = BytesMut::new();
        write_list_line(&info, now, &mut out).unwrap();
        prop_assert!(out.ends_with(b"\r\n"));
        prop_assert_eq!(memchr::memchr_iter(b'\n', &out).count(), 1);
        let back = parse_list_line(&out, now).unwrap();
        prop_assert_eq!(&back.name, &info.name);
        let want_kind = match &info.kind {
            FileKind::Symlink { target } => FileKind::Symlink { target: target.clone() },
            k => k.clone(),
        };
        prop_assert_eq!(&back.kind, &want_kind);
        prop_assert_eq!(back.size, Some(info.size.unwrap_or(0)));
        let m = info.modified.unwrap_or(Timestamp::UNIX_EPOCH);
        let back_m = back.modified.unwrap();
        let age = now.unix_seconds() - m.unix_seconds();
        if (0..=182 * 86_400).contains(&age) {
            prop_assert_eq!(minute(back_m), minute(m));
        } else {
            // Year form: the date survives, the time of day does not.
            prop_assert_eq!(back_m.unix_seconds().div_euclid(86_400), m.unix_seconds().div_euclid(86_400));
        }
        if let Some(mode) = info.mode {
            prop_assert_eq!(back.mode, Some(mode));
        }
    }

    #[test]
    fn mlsd_round_trip(info in file_info(), bits in 0u16..512) {
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
    }

    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..120), now in any::<i64>()) {
        let now = Timestamp::from_unix(now, 0);
        let _ = parse_list_line(&line, now);
        let _ = parse_list_line_bytes(&Bytes::from(line.clone()), now);
        let _ = parse_unix_line(&line, now);
        let _ = parse_dos_line(&line);
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
                Just("-rw-r--r--".to_string()), Just("1".to_string()), Just("Feb".to_string()),
                Just("29".to_string()), Just("00:00".to_string()), Just("2024".to_string()),
                Just("4,".to_string()), Just("->".to_string()), Just("<DIR>".to_string()),
                Just("12-31-99".to_string()), Just("12:00PM".to_string()), Just("type=file;".to_string()),
                "[ -~]{0,6}",
            ],
            0..12,
        ),
        now in any::<i64>(),
    ) {
        let line = words.join(" ");
        let _ = parse_list_line(line.as_bytes(), Timestamp::from_unix(now, 0));
    }
}
