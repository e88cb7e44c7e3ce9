//! An arbitrary `Reply`, rendered and parsed back (strict and lenient end
//! rules), is the same value.
#![no_main]

use bytes::BytesMut;
use ftp_proto::reply::{Reply, ReplyParserConfig, parse_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Reply, bool)| {
    let (reply, lenient) = input;
    let mut wire = BytesMut::new();
    reply.encode(&mut wire);
    let config = ReplyParserConfig::default()
        .with_lenient_multiline_end(lenient)
        .with_max_line_len(usize::MAX / 4)
        .with_max_reply_len(usize::MAX / 4)
        .with_max_lines(usize::MAX / 4);
    assert_eq!(parse_reply(&wire, config), Ok(reply));
});
