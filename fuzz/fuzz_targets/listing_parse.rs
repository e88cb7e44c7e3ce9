//! Arbitrary bytes through every listing parser: none may panic, and whatever
//! the auto-detector accepts has a non-empty name without CR/LF.
#![no_main]

use bytes::Bytes;
use ftp_proto::Timestamp;
use ftp_proto::listing::{
    parse_dos_line, parse_list_line, parse_list_line_bytes, parse_mlsd_line, parse_mlst_line,
    parse_unix_line,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (i64, &[u8])| {
    let (now, line) = input;
    let now = Timestamp::from_unix(now, 0);
    let copied = parse_list_line(line, now);
    let shared = parse_list_line_bytes(&Bytes::copy_from_slice(line), now);
    assert_eq!(copied, shared);
    if let Some(info) = copied {
        assert!(!info.name.is_empty());
        assert!(!info.name.iter().any(|&b| b == b'\r' || b == b'\n'));
    }
    let _ = parse_unix_line(line, now);
    let _ = parse_dos_line(line);
    let _ = parse_mlsd_line(line);
    let _ = parse_mlst_line(line);
});
