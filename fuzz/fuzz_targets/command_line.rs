//! Arbitrary bytes, fed in arbitrary chunk sizes, through the line framer and
//! the command parser: no panic, lines and buffer stay within the bound.
#![no_main]

use ftp_proto::Command;
use ftp_proto::line::{LineBuffer, LineConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, u8, bool, &[u8])| {
    let (chunk, max, bare_lf, data) = input;
    let chunk = usize::from(chunk).max(1);
    let max = usize::from(max).max(1) * 4;
    let config = LineConfig::default()
        .with_max_line_len(max)
        .with_accept_bare_lf(bare_lf);
    let mut lb = LineBuffer::new(config);
    for piece in data.chunks(chunk) {
        lb.extend_from_slice(piece);
        while let Some(line) = lb.next_line() {
            if let Ok(line) = line {
                assert!(line.text().len() <= max);
                if let Ok(cmd) = Command::parse(line.text()) {
                    let _ = cmd.to_spans(line.text());
                }
            }
        }
        assert!(lb.buffered_len() <= max + chunk);
    }
});
