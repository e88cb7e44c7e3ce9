//! Replies: codes, the owned [`Reply`] value, server-side rendering and the
//! incremental client-side parser.
//!
//! - [`code`]: [`ReplyCode`] (any well-formed code, named constants for every
//!   code the RFCs define), its [`ReplyClass`] and [`ReplyCategory`].
//! - [`render`]: [`write_reply`] and [`write_multiline`] render into the
//!   caller's `BytesMut` (server side).
//! - [`parse`]: [`ReplyParser`] cuts control-connection bytes into complete
//!   replies (client side), borrowed as [`ReplyRef`] or owned as [`Reply`].
//!
//! # Quirks policy
//! What we **emit** is always strict: CRLF line ends, `ddd SP` on the final
//! line even with empty text, digit-led body lines indented by one space, CR,
//! LF and NUL in text replaced by spaces, 0xFF doubled.
//!
//! What we **accept** is lenient where that is safe and common, and strict
//! where leniency could mis-frame replies:
//!
//! | behaviour | default | setting |
//! |---|---|---|
//! | bare LF line end (not only CRLF) | accepted | [`ReplyParserConfig::accept_bare_lf`] |
//! | final line `ddd` without the space | accepted | [`ReplyParserConfig::accept_bare_code`] |
//! | body lines as `ddd-text`, ` text` (ProFTPD) or anything | accepted | always |
//! | unknown but well-formed codes (`299`, `430`) | accepted, interpret by first digit | always |
//! | multi-line end: only the same code + SP (RFC 959) | strict | [`ReplyParserConfig::lenient_multiline_end`] opts in to "any `ddd SP` line ends it" (curl, lftp default; needed by glftpd `553-`…`150 `) |
//! | CR or NUL inside a line | replaced by a space | always |
//! | over-long line, reply or line count | read to the terminator, then one [`ReplyError::TooLong`] | limits in [`ReplyParserConfig`] |
//!
//! # Text representation
//! A reply's text is held as its lines joined by LF, in one buffer (one
//! [`Bytes`] for [`Reply`], a borrowed slice for [`ReplyRef`]): no allocation
//! per line. The `ddd-`/`ddd SP` prefixes are removed from the first and last
//! lines, and from body lines that carry the reply's own code (`230-more`);
//! other body lines are kept as sent, including a leading space. Stored lines
//! never contain CR, LF or NUL.

use bytes::{Bytes, BytesMut};
use core::fmt;

pub mod code;
pub mod parse;
pub mod render;

pub use code::{ReplyCategory, ReplyClass, ReplyCode, ReplyCodeError};
pub use parse::{ReplyError, ReplyParser, ReplyParserConfig, parse_reply};
pub use render::{write_multiline, write_reply};

use render::{REPLACEMENT, is_unsafe_text_byte};

/// An owned reply: a code and one or more text lines, in a single [`Bytes`].
///
/// Constructors normalise text exactly as rendering does (CR, LF, NUL become
/// spaces; body lines beginning with a digit get a leading space), so
/// `Reply` → [`encode`](Reply::encode) → [`ReplyParser`] gives back an equal
/// value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    /// The text lines joined by LF; no CR, NUL, and LF only as the separator.
    text: Bytes,
}

impl Reply {
    /// A single-line reply.
    #[must_use]
    pub fn new(code: ReplyCode, text: impl AsRef<[u8]>) -> Self {
        let text = text.as_ref();
        let mut buf = BytesMut::with_capacity(text.len());
        push_normalized(&mut buf, text, false);
        Self {
            code,
            text: buf.freeze(),
        }
    }

    /// A single-line reply with the code's [default text](ReplyCode::default_text).
    #[must_use]
    pub fn with_default_text(code: ReplyCode) -> Self {
        Self {
            code,
            text: Bytes::from_static(code.default_text().as_bytes()),
        }
    }

    /// A reply of `lines`; one line (or none) gives a single-line reply.
    #[must_use]
    pub fn multiline<I>(code: ReplyCode, lines: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut buf = BytesMut::new();
        let mut lines = lines.into_iter().peekable();
        let mut first = true;
        while let Some(line) = lines.next() {
            let body = !first && lines.peek().is_some();
            if !first {
                buf.extend_from_slice(b"\n");
            }
            push_normalized(&mut buf, line.as_ref(), body);
            first = false;
        }
        Self {
            code,
            text: buf.freeze(),
        }
    }

    /// Builds a reply from already normalised text (lines joined by LF).
    pub(crate) fn from_normalized(code: ReplyCode, text: Bytes) -> Self {
        Self { code, text }
    }

    /// The reply code (of the final line).
    #[must_use]
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text lines, prefixes removed.
    pub fn lines(&self) -> Lines<'_> {
        Lines::new(&self.text)
    }

    /// How many text lines (at least one).
    #[must_use]
    pub fn line_count(&self) -> usize {
        memchr::memchr_iter(b'\n', &self.text).count() + 1
    }

    /// The first (or only) line's text.
    #[must_use]
    pub fn text(&self) -> &[u8] {
        first_line(&self.text)
    }

    /// The last line's text (the `ddd SP` line; equals [`text`](Self::text) for a single line).
    #[must_use]
    pub fn last_line(&self) -> &[u8] {
        last_line(&self.text)
    }

    /// Whether the reply has more than one line.
    #[must_use]
    pub fn is_multiline(&self) -> bool {
        memchr::memchr(b'\n', &self.text).is_some()
    }

    /// All text lines joined by LF, as one [`Bytes`] (cheap to clone).
    #[must_use]
    pub fn joined_text(&self) -> &Bytes {
        &self.text
    }

    /// Renders the reply in wire form (see [`write_multiline`]).
    pub fn encode(&self, out: &mut BytesMut) {
        write_multiline(out, self.code, self.lines());
    }

    /// A borrowed view of this reply.
    #[must_use]
    pub fn as_ref(&self) -> ReplyRef<'_> {
        ReplyRef {
            code: self.code,
            text: &self.text,
        }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

/// A complete reply borrowed from the parser (or from a [`Reply`]).
///
/// Same text layout as [`Reply`]; [`to_reply`](Self::to_reply) copies it into
/// an owned value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplyRef<'a> {
    code: ReplyCode,
    text: &'a [u8],
}

impl<'a> ReplyRef<'a> {
    /// The reply code (of the final line).
    #[must_use]
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text lines, prefixes removed.
    pub fn lines(&self) -> Lines<'a> {
        Lines::new(self.text)
    }

    /// The first (or only) line's text.
    #[must_use]
    pub fn text(&self) -> &'a [u8] {
        first_line(self.text)
    }

    /// The last line's text.
    #[must_use]
    pub fn last_line(&self) -> &'a [u8] {
        last_line(self.text)
    }

    /// Whether the reply has more than one line.
    #[must_use]
    pub fn is_multiline(&self) -> bool {
        memchr::memchr(b'\n', self.text).is_some()
    }

    /// All text lines joined by LF.
    #[must_use]
    pub fn joined_text(&self) -> &'a [u8] {
        self.text
    }

    /// Copies the reply into an owned [`Reply`] (one allocation).
    #[must_use]
    pub fn to_reply(&self) -> Reply {
        Reply::from_normalized(self.code, Bytes::copy_from_slice(self.text))
    }
}

impl fmt::Debug for ReplyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code.as_u16())
            .field("text", &self.text.escape_ascii())
            .finish()
    }
}

/// Iterator over a reply's text lines.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self { rest: Some(text) }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

fn first_line(text: &[u8]) -> &[u8] {
    match memchr::memchr(b'\n', text) {
        Some(i) => text.get(..i).unwrap_or_default(),
        None => text,
    }
}

fn last_line(text: &[u8]) -> &[u8] {
    match memchr::memrchr(b'\n', text) {
        Some(i) => text.get(i + 1..).unwrap_or_default(),
        None => text,
    }
}

/// Appends one stored line: CR/LF/NUL replaced; a body line beginning with
/// a digit gets a leading space (exactly what rendering does).
fn push_normalized(buf: &mut BytesMut, line: &[u8], body: bool) {
    if body && line.first().is_some_and(u8::is_ascii_digit) {
        buf.extend_from_slice(b" ");
    }
    let start = buf.len();
    buf.extend_from_slice(line);
    if let Some(added) = buf.get_mut(start..) {
        for byte in added {
            if is_unsafe_text_byte(*byte) {
                *byte = REPLACEMENT;
            }
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Reply {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let code = ReplyCode::arbitrary(u)?;
        let lines: alloc::vec::Vec<&[u8]> = u.arbitrary()?;
        Ok(Self::multiline(code, lines))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn constructors_normalise_like_rendering() {
        let r = Reply::multiline(
            ReplyCode::LOGGED_IN,
            ["Welcome", "200 users", "x\ry", "1 last"],
        );
        let lines: Vec<&[u8]> = r.lines().collect();
        assert_eq!(lines, [&b"Welcome"[..], b" 200 users", b"x y", b"1 last"]);
        assert!(r.is_multiline());
        assert_eq!(r.line_count(), 4);
        assert_eq!(r.text(), b"Welcome");
        assert_eq!(r.last_line(), b"1 last");
        let mut out = BytesMut::new();
        r.encode(&mut out);
        assert_eq!(
            &out[..],
            b"230-Welcome\r\n 200 users\r\nx y\r\n230 1 last\r\n"
        );

        let single = Reply::new(ReplyCode::COMMAND_OK, "a\nb\0");
        assert_eq!(single.text(), b"a b ");
        assert!(!single.is_multiline());
        assert_eq!(Reply::multiline(ReplyCode::COMMAND_OK, ["a\nb\0"]), single);
        assert_eq!(
            Reply::multiline(ReplyCode::COMMAND_OK, [""; 0]),
            Reply::new(ReplyCode::COMMAND_OK, "")
        );
        let mut out = BytesMut::new();
        Reply::with_default_text(ReplyCode::CLOSING_DATA).encode(&mut out);
        assert_eq!(&out[..], b"226 Transfer complete.\r\n");
    }

    #[test]
    fn lines_of_empty_lines() {
        let r = Reply::multiline(ReplyCode::HELP_MESSAGE, ["", "", ""]);
        assert_eq!(r.line_count(), 3);
        assert_eq!(r.lines().count(), 3);
        assert_eq!(r.as_ref().to_reply(), r);
    }
}
