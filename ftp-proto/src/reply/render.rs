//! Server-side rendering of replies into the caller's output buffer.
//!
//! What we send is always strict, whatever the peer sends us:
//! - every line ends with CRLF;
//! - the final line is `ddd SP text`, with the space even when the text is
//!   empty (curl only recognises a final line by its fourth byte being SP);
//! - a multi-line reply starts with `ddd-text`; its body lines are sent as
//!   they are, except that a body line beginning with a digit gets one
//!   leading space, so it can never be taken for a final line (RFC 959 §4.2);
//! - text can never inject a line: CR, LF and NUL inside text become spaces;
//! - a 0xFF byte is doubled (`IAC IAC`, RFC 3659 §2.2).
//!
//! Rendering allocates nothing beyond growing the caller's [`BytesMut`].

use bytes::{BufMut, BytesMut};

use super::code::ReplyCode;

/// The byte a CR, LF or NUL inside reply text is replaced with.
pub(crate) const REPLACEMENT: u8 = b' ';

/// Telnet "interpret as command": doubled when it is a data byte.
const IAC: u8 = 0xFF;

/// Whether `byte` cannot appear as itself in a stored text line.
#[inline]
pub(crate) const fn is_unsafe_text_byte(byte: u8) -> bool {
    matches!(byte, b'\r' | b'\n' | 0)
}

/// Whether `text` holds a byte that [`is_unsafe_text_byte`]. Clean text, the
/// usual case, is cleared eight bytes at a time (SWAR) by looking for any byte
/// below 0x0E (CR, LF and NUL all are); only text that has one (a TAB, say)
/// is checked byte by byte.
pub(crate) fn has_unsafe_text_byte(text: &[u8]) -> bool {
    const LANES: u64 = u64::from_le_bytes([0x01; 8]);
    /// High bit of the lanes of `word` below 0x0E (exact for "any").
    const fn low_lanes(word: u64) -> u64 {
        word.wrapping_sub(LANES * 0x0E) & !word & (LANES * 0x80)
    }
    fn word(bytes: &[u8]) -> u64 {
        <[u8; 8]>::try_from(bytes).map_or(0, u64::from_le_bytes)
    }
    let maybe = match text.len() {
        0..8 => text.iter().any(|&b| b < 0x0E),
        len => {
            let mut chunks = text.chunks_exact(8);
            let mut found = 0u64;
            for chunk in &mut chunks {
                found |= low_lanes(word(chunk));
            }
            if !chunks.remainder().is_empty() {
                // The last eight bytes, overlapping the last full chunk.
                found |= low_lanes(word(text.get(len - 8..).unwrap_or_default()));
            }
            found != 0
        }
    };
    maybe && text.iter().any(|&b| is_unsafe_text_byte(b))
}

/// Writes a single-line reply: `ddd SP text CRLF`.
///
/// CR, LF and NUL in `text` become spaces and 0xFF is doubled.
pub fn write_reply(out: &mut BytesMut, code: ReplyCode, text: &[u8]) {
    out.reserve(text.len() + 6);
    write_line(out, code, b' ', text);
}

/// Writes a reply made of `lines`: `ddd-first CRLF`, the body lines, then
/// `ddd SP last CRLF`.
///
/// A single line renders as [`write_reply`] does; no line at all renders
/// `ddd SP CRLF`. Body lines beginning with an ASCII digit get one leading
/// space; every line is sanitised as in [`write_reply`].
pub fn write_multiline<I>(out: &mut BytesMut, code: ReplyCode, lines: I)
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut lines = lines.into_iter().peekable();
    let Some(first) = lines.next() else {
        write_line(out, code, b' ', b"");
        return;
    };
    if lines.peek().is_none() {
        write_reply(out, code, first.as_ref());
        return;
    }
    write_line(out, code, b'-', first.as_ref());
    while let Some(line) = lines.next() {
        let line = line.as_ref();
        if lines.peek().is_none() {
            write_line(out, code, b' ', line);
        } else {
            out.reserve(line.len() + 3);
            if line.first().is_some_and(u8::is_ascii_digit) {
                out.put_u8(b' ');
            }
            put_text(out, line);
            out.put_slice(b"\r\n");
        }
    }
}

/// `ddd` + `separator` + text + CRLF.
fn write_line(out: &mut BytesMut, code: ReplyCode, separator: u8, text: &[u8]) {
    out.put_slice(&code.to_ascii());
    out.put_u8(separator);
    put_text(out, text);
    out.put_slice(b"\r\n");
}

/// Appends `text` in wire form: CR/LF/NUL replaced, 0xFF doubled.
fn put_text(out: &mut BytesMut, text: &[u8]) {
    if !text.iter().any(|&b| is_unsafe_text_byte(b) || b == IAC) {
        out.put_slice(text);
        return;
    }
    for &byte in text {
        if is_unsafe_text_byte(byte) {
            out.put_u8(REPLACEMENT);
        } else if byte == IAC {
            out.put_slice(&[IAC, IAC]);
        } else {
            out.put_u8(byte);
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn unsafe_byte_detection_matches_the_byte_rule() {
        for len in 0..40 {
            for at in 0..len {
                for byte in 0u8..=255 {
                    let mut text = alloc::vec![b'x'; len];
                    text[at] = byte;
                    assert_eq!(
                        has_unsafe_text_byte(&text),
                        is_unsafe_text_byte(byte),
                        "len {len} at {at} byte {byte}"
                    );
                }
            }
        }
    }

    use super::*;
    use alloc::vec::Vec;

    fn multi(code: u16, lines: &[&[u8]]) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_multiline(&mut out, ReplyCode::new(code).unwrap(), lines);
        out.to_vec()
    }

    #[test]
    fn single_lines() {
        let cases: &[(u16, &[u8], &[u8])] = &[
            (200, b"Command okay.", b"200 Command okay.\r\n"),
            (226, b"", b"226 \r\n"),
            (550, b"a\r\nb", b"550 a  b\r\n"),
            (550, b"a\n230 pwned", b"550 a 230 pwned\r\n"),
            (550, b"nul\0here", b"550 nul here\r\n"),
            (257, b"\"/\xff\" created", b"257 \"/\xff\xff\" created\r\n"),
            (299, b"unknown", b"299 unknown\r\n"),
        ];
        for (code, text, want) in cases {
            let mut out = BytesMut::new();
            write_reply(&mut out, ReplyCode::new(*code).unwrap(), text);
            assert_eq!(&out[..], *want, "{code} {text:?}");
        }
    }

    #[test]
    fn multi_lines() {
        type Case<'a> = (u16, &'a [&'a [u8]], &'a [u8]);
        let cases: &[Case<'_>] = &[
            (211, &[], b"211 \r\n"),
            (211, &[b"only"], b"211 only\r\n"),
            (
                211,
                &[b"Features:", b" UTF8", b"End"],
                b"211-Features:\r\n UTF8\r\n211 End\r\n",
            ),
            (
                230,
                &[
                    b"Welcome",
                    b"200 users online",
                    b"Please behave",
                    b"Logged in.",
                ],
                b"230-Welcome\r\n 200 users online\r\nPlease behave\r\n230 Logged in.\r\n",
            ),
            (
                214,
                &[b"1st", b"2nd", b"3rd"],
                b"214-1st\r\n 2nd\r\n214 3rd\r\n",
            ),
            (214, &[b"a", b"", b"b"], b"214-a\r\n\r\n214 b\r\n"),
            (
                214,
                &[b"a\rb", b"c\nd", b"\xffe"],
                b"214-a b\r\nc d\r\n214 \xff\xffe\r\n",
            ),
        ];
        for (code, lines, want) in cases {
            assert_eq!(multi(*code, lines), *want, "{code} {lines:?}");
        }
        // A body line whose LF would hide a final line: the LF is replaced,
        // the line starts with a space and nothing is injected.
        assert_eq!(
            multi(214, &[b"a", b"\n230 x", b"b"]),
            b"214-a\r\n 230 x\r\n214 b\r\n"
        );
    }
}
