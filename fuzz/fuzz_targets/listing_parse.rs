//! Arbitrary bytes through every listing parser: none may panic; whatever a
//! parser accepts has a non-empty name without CR/LF; the auto-detector
//! gives the same entry whether it copies or shares the buffer, and it is
//! the entry of the first parser in its documented order that accepts the
//! line. A Unix line that parses renders back to a line that parses to a
//! stable entry (render → parse is a fixed point after one round).
#![no_main]

use bytes::{Bytes, BytesMut};
use ftp_proto::Timestamp;
use ftp_proto::listing::{
    FileInfo, parse_dos_line, parse_eplf_line, parse_ibmi_line, parse_list_line,
    parse_list_line_bytes, parse_mlsd_line, parse_mlst_line, parse_os2_line, parse_unix_line,
    write_list_line,
};
use ftp_proto::timestamp::MONTH_ABBREVIATIONS;
use libfuzzer_sys::fuzz_target;

fn check_entry(info: &Option<FileInfo>) {
    if let Some(info) = info {
        assert!(!info.name.is_empty());
        assert!(!info.name.iter().any(|&b| b == b'\r' || b == b'\n'));
    }
}

fuzz_target!(|input: (i64, &[u8])| {
    let (now, line) = input;
    let now = Timestamp::from_unix(now, 0);
    let copied = parse_list_line(line, now);
    let shared = parse_list_line_bytes(&Bytes::copy_from_slice(line), now);
    assert_eq!(copied, shared);
    check_entry(&copied);

    let unix = parse_unix_line(line, now);
    let dos = parse_dos_line(line);
    let os2 = parse_os2_line(line);
    let eplf = parse_eplf_line(line);
    let ibmi = parse_ibmi_line(line);
    let mlsd = parse_mlsd_line(line);
    let _ = parse_mlst_line(line);
    for one in [&unix, &dos, &os2, &eplf, &ibmi, &mlsd] {
        check_entry(one);
    }
    // The documented order (listing::parse_list_line), for lines that are
    // not skipped as `total`/`Status of` before any parser runs.
    let mut trimmed = line;
    while let [rest @ .., b'\r' | b'\n'] = trimmed {
        trimmed = rest;
    }
    let first_word = trimmed.split(|&b| b == b' ').next().unwrap_or_default();
    let skipped_early = first_word.eq_ignore_ascii_case(b"total")
        || trimmed
            .get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"status of "));
    if !skipped_early {
        let mlsd = mlsd.filter(|_| first_word.contains(&b'='));
        let first = unix.clone().or(dos).or(os2).or(eplf).or(ibmi).or(mlsd);
        assert_eq!(copied, first);
    }

    // Unix render → parse reaches a fixed point (with a calendar-range clock),
    // unless the owner is a month name: `Feb 1` as owner and group then reads
    // as a date, a known ambiguity of LIST lines (shared with lftp).
    let sane_now = Timestamp::from_unix(now.unix_seconds().rem_euclid(4_102_444_800), 0);
    if let Some(a) = parse_unix_line(line, sane_now)
        && !a.owner.as_ref().is_some_and(|o| {
            MONTH_ABBREVIATIONS
                .iter()
                .any(|m| o.eq_ignore_ascii_case(m.as_bytes()))
        })
    {
        let mut out = BytesMut::new();
        if write_list_line(&a, sane_now, &mut out).is_ok() {
            let b = parse_unix_line(&out, sane_now).expect("a rendered line parses");
            out.clear();
            write_list_line(&b, sane_now, &mut out).expect("a parsed entry renders");
            let c = parse_unix_line(&out, sane_now).expect("a rendered line parses");
            assert_eq!(b, c);
        }
    }
});
