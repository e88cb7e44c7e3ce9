//! The measured loops of the `lines` benchmark, shared with
//! `examples/lines_profile.rs` so callgrind counts exactly what criterion times.
//!
//! Each loop takes an input that was prepared outside the measurement (a
//! buffer freshly filled with the whole corpus) and walks all of it.

use std::hint::black_box;

use ftp_proto::Command;
use ftp_proto::line::LineBuffer;
use ftp_proto::reply::ReplyParser;

/// The framing floor: find every line end with `memchr::memchr`, nothing else.
#[inline(never)]
pub(crate) fn memchr_lines(buf: &[u8]) -> usize {
    let mut rest = buf;
    let mut lines = 0usize;
    while let Some(i) = memchr::memchr(b'\n', rest) {
        rest = &rest[i + 1..];
        lines += 1;
    }
    lines
}

/// Server path: frame every line with [`LineBuffer`] and parse it as a command.
#[inline(never)]
pub(crate) fn commands(lb: &mut LineBuffer) -> usize {
    let mut parsed = 0usize;
    while let Some(line) = lb.next_line() {
        if let Ok(line) = line {
            parsed += usize::from(black_box(Command::parse(line.text())).is_ok());
        }
    }
    parsed
}

/// Framing only, with the client's reply settings.
#[inline(never)]
pub(crate) fn framing(lb: &mut LineBuffer) -> usize {
    let mut n = 0usize;
    while let Some(line) = lb.next_line() {
        n += line.map_or(0, |l| l.text().len());
    }
    n
}

/// Client path: frame and assemble every reply, borrowed.
#[inline(never)]
pub(crate) fn replies(parser: &mut ReplyParser) -> (usize, usize) {
    let mut replies = 0usize;
    let mut text = 0usize;
    while let Some(reply) = parser.next_reply() {
        let reply = reply.expect("corpus replies are well-formed");
        replies += 1;
        text += reply.joined_text().len() + usize::from(reply.code().as_u16());
    }
    (replies, text)
}
