//! Arbitrary bytes, cut into arbitrary chunks, fed to the reply parser under
//! arbitrary limits: no panic, and memory stays within the limits.
#![no_main]

use arbitrary::Arbitrary;
use ftp_proto::reply::{ReplyParser, ReplyParserConfig};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    lenient: bool,
    bare_lf: bool,
    bare_code: bool,
    max_line_len: u8,
    max_reply_len: u16,
    max_lines: u8,
    /// Chunk lengths, cycled.
    cuts: Vec<u8>,
    data: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let config = ReplyParserConfig::default()
        .with_lenient_multiline_end(input.lenient)
        .with_accept_bare_lf(input.bare_lf)
        .with_accept_bare_code(input.bare_code)
        .with_max_line_len(usize::from(input.max_line_len) + 1)
        .with_max_reply_len(usize::from(input.max_reply_len))
        .with_max_lines(usize::from(input.max_lines) + 1);
    let mut parser = ReplyParser::new(config);
    let mut rest = input.data;
    let mut cuts = input.cuts.iter().cycle();
    while !rest.is_empty() {
        let cut = cuts
            .next()
            .map_or(rest.len(), |&c| usize::from(c).max(1))
            .min(rest.len());
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        parser.extend_from_slice(piece);
        assert!(parser.buffered_len() <= config.max_line_len + 1 + piece.len());
        while let Some(item) = parser.next_reply() {
            if let Ok(reply) = item {
                assert!(reply.joined_text().len() <= config.max_reply_len);
                assert!(reply.lines().count() <= config.max_lines);
                let _ = reply.to_reply();
            }
        }
    }
});
