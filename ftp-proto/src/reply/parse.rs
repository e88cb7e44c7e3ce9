//! Client side: an incremental parser that cuts control-connection bytes into
//! complete replies.
//!
//! [`ReplyParser`] takes bytes split anywhere, frames them into lines with a
//! [`LineBuffer`] (Telnet decoding included, so `IAC IAC` reads as 0xFF) and
//! assembles single and multi-line replies. [`ReplyParser::next_reply`] hands
//! out a borrowed [`ReplyRef`]; [`ReplyRef::to_reply`] makes it owned.
//!
//! A single-line reply whose text needs no sanitising (no CR or NUL, the
//! usual case) is borrowed straight from the input buffer, with no copy
//! ([`LineBuffer::last_line`]). A multi-line reply is copied, line by line,
//! into one scratch buffer that is reused from reply to reply (its lines must
//! be joined by LF without their prefixes). In steady state no reply, single
//! or multi-line, allocates.
//!
//! # End-of-reply rules
//! - A reply starts with a line `ddd SP text`, `ddd-text` or (by default) a
//!   bare `ddd`, where `ddd` is a well-formed [`ReplyCode`]. Anything else
//!   where a reply must start is [`ReplyError::Malformed`]; the line is
//!   consumed and what to do next (usually closing the session) is the
//!   engine's decision.
//! - After `ddd-`, body lines may be anything: `ddd-text` (its prefix is
//!   removed when `ddd` is the reply's own code), ` text` (ProFTPD), or plain
//!   text. Only line starts are examined, never digits inside text.
//! - Strict rule (default, RFC 959 §4.2): the reply ends at a line made of the
//!   **same** code followed by SP, or a bare line of that code.
//! - Lenient rule ([`ReplyParserConfig::lenient_multiline_end`]): any line
//!   that starts with a well-formed code followed by SP (or a bare code) ends
//!   the reply, and that last code is the reply's code (curl and lftp's
//!   default; glftpd ends a `553-` reply with a `150 ` line).
//!
//! # Limits
//! [`ReplyParserConfig::max_line_len`], [`ReplyParserConfig::max_reply_len`]
//! (bytes of text kept for one reply) and [`ReplyParserConfig::max_lines`]
//! bound memory. When a limit is hit inside a multi-line reply, the parser
//! stops keeping text, keeps reading to the terminating line, then reports
//! [`ReplyError::TooLong`] once with the final code (RFC 1123 §4.1.2.11), so
//! the next reply is framed correctly. Two cases cannot be framed exactly and
//! are reported as soon as they are seen: an over-long *first* line (its code
//! is unknown: `TooLong { code: None }`), and an over-long terminating line
//! (its bytes are discarded unseen, so the reply goes on until a later
//! terminator).

use alloc::vec::Vec;
use bytes::BytesMut;

use super::code::ReplyCode;
use super::render::{REPLACEMENT, has_unsafe_text_byte, is_unsafe_text_byte};
use super::{Reply, ReplyRef};
use crate::line::{LineBuffer, LineConfig, LineError};

/// Limits and quirks of a [`ReplyParser`].
///
/// `#[non_exhaustive]`: start from [`ReplyParserConfig::default`] and change
/// fields or chain the `with_*` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyParserConfig {
    /// Accept lines ended by LF alone. Default `true` (safe; curl, ftplib and
    /// most clients do).
    pub accept_bare_lf: bool,
    /// Accept a final line made of the bare code, without the space
    /// (libunftp sends `ddd CRLF` for empty text). Default `true`.
    pub accept_bare_code: bool,
    /// End a multi-line reply at any `ddd SP` line, whatever its code, instead
    /// of only at the same code. Default `false` (opt-in: it mis-frames
    /// `250-`…`550 `…`250 ` transcripts; glftpd needs it).
    pub lenient_multiline_end: bool,
    /// Most bytes of one line (before its LF). Default 8192 (Python ftplib's limit).
    pub max_line_len: usize,
    /// Most bytes of text kept for one reply (all lines). Default 65536 (curl's limit).
    pub max_reply_len: usize,
    /// Most lines in one reply. Default 4096.
    pub max_lines: usize,
}

impl Default for ReplyParserConfig {
    fn default() -> Self {
        Self {
            accept_bare_lf: true,
            accept_bare_code: true,
            lenient_multiline_end: false,
            max_line_len: 8192,
            max_reply_len: 65536,
            max_lines: 4096,
        }
    }
}

impl ReplyParserConfig {
    /// Sets [`ReplyParserConfig::accept_bare_lf`].
    #[must_use]
    pub const fn with_accept_bare_lf(mut self, accept: bool) -> Self {
        self.accept_bare_lf = accept;
        self
    }

    /// Sets [`ReplyParserConfig::accept_bare_code`].
    #[must_use]
    pub const fn with_accept_bare_code(mut self, accept: bool) -> Self {
        self.accept_bare_code = accept;
        self
    }

    /// Sets [`ReplyParserConfig::lenient_multiline_end`].
    #[must_use]
    pub const fn with_lenient_multiline_end(mut self, lenient: bool) -> Self {
        self.lenient_multiline_end = lenient;
        self
    }

    /// Sets [`ReplyParserConfig::max_line_len`].
    #[must_use]
    pub const fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }

    /// Sets [`ReplyParserConfig::max_reply_len`].
    #[must_use]
    pub const fn with_max_reply_len(mut self, max: usize) -> Self {
        self.max_reply_len = max;
        self
    }

    /// Sets [`ReplyParserConfig::max_lines`].
    #[must_use]
    pub const fn with_max_lines(mut self, max: usize) -> Self {
        self.max_lines = max;
        self
    }
}

/// Why the bytes received do not form a usable reply. The offending lines are
/// consumed and the parser stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line where a reply must start is not `ddd SP text`, `ddd-text` or an
    /// accepted bare `ddd` (with `ddd` a well-formed code).
    #[error("malformed reply line")]
    Malformed,
    /// A line, the reply's text or its line count exceeded a limit; the reply
    /// was read to its end (when it could be framed) and its text dropped.
    #[error("reply exceeds the configured limits")]
    TooLong {
        /// The reply's final code, `None` when the over-long line was its first.
        code: Option<ReplyCode>,
    },
    /// A line ended with LF alone while bare LF is not accepted.
    #[error("reply line ended with LF without CR")]
    BareLineFeed,
}

/// Where the parser is inside the reply stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between replies: the next line must start one.
    Idle,
    /// Inside a multi-line reply opened by `code-`.
    Multi {
        /// The opening line's code.
        code: ReplyCode,
        /// Lines seen so far, kept or not.
        lines: usize,
        /// A limit was hit: text is no longer kept.
        overflow: bool,
    },
}

/// What one framed line did to the reply being assembled.
enum Step {
    /// The line was absorbed; more lines are needed.
    Continue,
    /// A reply with this code is complete in `acc`.
    Done(ReplyCode),
    /// A single-line reply with this code is complete: its text is the last
    /// framed line after the `ddd SP` prefix, clean, still in the framer.
    DoneInLine(ReplyCode),
    /// A reply-level error.
    Failed(ReplyError),
}

/// Incremental reply parser for the client side of the control connection.
///
/// Feed bytes with [`extend_from_slice`](Self::extend_from_slice) (or read
/// into [`buffer_mut`](Self::buffer_mut)), then call
/// [`next_reply`](Self::next_reply) until it returns `None`.
///
/// ```
/// use ftp_proto::reply::{ReplyCode, ReplyParser};
///
/// let mut parser = ReplyParser::default();
/// parser.extend_from_slice(b"230-Welcome\r\n 230 users\r\n230 Logged");
/// assert!(parser.next_reply().is_none()); // the last line is incomplete
/// parser.extend_from_slice(b" in.\r\n");
/// let reply = parser.next_reply().unwrap().unwrap();
/// assert_eq!(reply.code(), ReplyCode::LOGGED_IN);
/// assert_eq!(reply.lines().collect::<Vec<_>>(), [&b"Welcome"[..], b" 230 users", b"Logged in."]);
/// ```
#[derive(Debug)]
pub struct ReplyParser {
    lines: LineBuffer,
    config: ReplyParserConfig,
    /// Text of the reply being assembled: lines joined by LF, sanitised.
    acc: Vec<u8>,
    state: State,
}

impl Default for ReplyParser {
    fn default() -> Self {
        Self::new(ReplyParserConfig::default())
    }
}

impl ReplyParser {
    /// A parser with the given limits and quirks.
    #[must_use]
    pub fn new(config: ReplyParserConfig) -> Self {
        let line_config = LineConfig::default()
            .with_max_line_len(config.max_line_len)
            .with_accept_bare_lf(config.accept_bare_lf)
            .with_decode_telnet(true);
        Self {
            lines: LineBuffer::new(line_config),
            config,
            acc: Vec::new(),
            state: State::Idle,
        }
    }

    /// The settings in use.
    #[must_use]
    pub fn config(&self) -> &ReplyParserConfig {
        &self.config
    }

    /// Appends bytes received on the control connection.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.lines.extend_from_slice(data);
    }

    /// The input buffer, for reading into directly. Only append to it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        self.lines.buffer_mut()
    }

    /// Bytes received and not yet consumed as lines.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.lines.buffered_len()
    }

    /// Whether a multi-line reply has started and not ended (at end of input
    /// this means the reply was cut short).
    #[must_use]
    pub fn is_mid_reply(&self) -> bool {
        matches!(self.state, State::Multi { .. })
    }

    /// Drops all buffered input and any partial reply, returning how many
    /// input bytes were dropped. Use it when the transport changes under the
    /// protocol: after `234` to `AUTH TLS`, plaintext that followed must never
    /// be read as if it came through TLS.
    pub fn discard_buffered(&mut self) -> usize {
        self.state = State::Idle;
        self.acc.clear();
        self.lines.discard_buffered()
    }

    /// The next complete reply, or `None` when more input is needed.
    ///
    /// The [`ReplyRef`] borrows the parser until the next call.
    pub fn next_reply(&mut self) -> Option<Result<ReplyRef<'_>, ReplyError>> {
        loop {
            match self.step()? {
                Step::Continue => {}
                Step::Done(code) => {
                    return Some(Ok(ReplyRef {
                        code,
                        text: &self.acc,
                    }));
                }
                Step::DoneInLine(code) => {
                    let line = self.lines.last_line().unwrap_or_default();
                    return Some(Ok(ReplyRef {
                        code,
                        text: line.get(4..).unwrap_or_default(),
                    }));
                }
                Step::Failed(error) => return Some(Err(error)),
            }
        }
    }

    /// [`next_reply`](Self::next_reply), copied into an owned [`Reply`].
    pub fn next_reply_owned(&mut self) -> Option<Result<Reply, ReplyError>> {
        self.next_reply().map(|r| r.map(|r| r.to_reply()))
    }

    /// Consumes one framed line.
    fn step(&mut self) -> Option<Step> {
        let Self {
            lines,
            config,
            acc,
            state,
        } = self;
        let line = match lines.next_line()? {
            Ok(line) => line,
            Err(LineError::BareLineFeed) => {
                *state = State::Idle;
                return Some(Step::Failed(ReplyError::BareLineFeed));
            }
            Err(_) => {
                return Some(match state {
                    State::Idle => Step::Failed(ReplyError::TooLong { code: None }),
                    State::Multi {
                        lines, overflow, ..
                    } => {
                        *lines = lines.saturating_add(1);
                        *overflow = true;
                        Step::Continue
                    }
                });
            }
        };
        let text = line.text();
        Some(match *state {
            State::Idle => {
                let Some((code, separator, rest)) = split_prefix(text) else {
                    return Some(Step::Failed(ReplyError::Malformed));
                };
                match separator {
                    None if config.accept_bare_code => Step::DoneInLine(code),
                    Some(b' ') if rest.len() > config.max_reply_len => {
                        Step::Failed(ReplyError::TooLong { code: Some(code) })
                    }
                    // The common case: borrowed, no copy.
                    Some(b' ') if !has_unsafe_text_byte(rest) => Step::DoneInLine(code),
                    Some(b' ') => {
                        acc.clear();
                        push_sanitized(acc, rest);
                        Step::Done(code)
                    }
                    Some(b'-') => {
                        acc.clear();
                        let kept = append(acc, rest, config.max_reply_len);
                        *state = State::Multi {
                            code,
                            lines: 1,
                            overflow: !kept,
                        };
                        Step::Continue
                    }
                    _ => Step::Failed(ReplyError::Malformed),
                }
            }
            State::Multi {
                code,
                lines,
                overflow,
            } => {
                let lines = lines.saturating_add(1);
                let mut overflow = overflow || lines > config.max_lines;
                let prefix = split_prefix(text);
                if let Some((last, rest)) = prefix.and_then(|p| terminator(p, code, config)) {
                    overflow = overflow || !append_line(acc, rest, config.max_reply_len);
                    *state = State::Idle;
                    return Some(if overflow {
                        Step::Failed(ReplyError::TooLong { code: Some(last) })
                    } else {
                        Step::Done(last)
                    });
                }
                if !overflow {
                    let body = match prefix {
                        Some((own, Some(b'-'), rest)) if own == code => rest,
                        _ => text,
                    };
                    overflow = !append_line(acc, body, config.max_reply_len);
                }
                *state = State::Multi {
                    code,
                    lines,
                    overflow,
                };
                Step::Continue
            }
        })
    }
}

/// Splits `ddd` + optional separator byte + rest, if the line starts with a
/// well-formed code.
#[inline]
fn split_prefix(text: &[u8]) -> Option<(ReplyCode, Option<u8>, &[u8])> {
    let code = ReplyCode::parse(text.get(..3)?).ok()?;
    let separator = text.get(3).copied();
    Some((code, separator, text.get(4..).unwrap_or_default()))
}

/// If a line with this [`split_prefix`] ends the multi-line reply opened with
/// `code`, its final code and text.
fn terminator<'t>(
    (last, separator, rest): (ReplyCode, Option<u8>, &'t [u8]),
    code: ReplyCode,
    config: &ReplyParserConfig,
) -> Option<(ReplyCode, &'t [u8])> {
    if !config.lenient_multiline_end && last != code {
        return None;
    }
    match separator {
        Some(b' ') => Some((last, rest)),
        None if config.accept_bare_code => Some((last, rest)),
        _ => None,
    }
}

/// Appends the first line of a reply if it fits; `false` when it does not.
fn append(acc: &mut Vec<u8>, line: &[u8], max: usize) -> bool {
    if acc.len().saturating_add(line.len()) > max {
        return false;
    }
    push_sanitized(acc, line);
    true
}

/// Appends LF + a further line if it fits; `false` when it does not.
#[inline]
fn append_line(acc: &mut Vec<u8>, line: &[u8], max: usize) -> bool {
    if acc.len().saturating_add(line.len()).saturating_add(1) > max {
        return false;
    }
    acc.push(b'\n');
    push_sanitized(acc, line);
    true
}

/// Copies a line, replacing the CR and NUL bytes left by framing: a plain
/// copy for clean lines (checked eight bytes at a time), a byte-wise pass
/// otherwise.
fn push_sanitized(acc: &mut Vec<u8>, line: &[u8]) {
    if !has_unsafe_text_byte(line) {
        acc.extend_from_slice(line);
        return;
    }
    acc.extend(line.iter().map(|&byte| {
        if is_unsafe_text_byte(byte) {
            REPLACEMENT
        } else {
            byte
        }
    }));
}

/// Parses a complete byte string holding exactly one reply (a convenience for
/// tests and tools; streaming code uses [`ReplyParser`]).
///
/// # Errors
/// The first [`ReplyError`], or [`ReplyError::Malformed`] when the input ends
/// before the reply does or holds more than one reply.
pub fn parse_reply(input: &[u8], config: ReplyParserConfig) -> Result<Reply, ReplyError> {
    let mut parser = ReplyParser::new(config);
    parser.extend_from_slice(input);
    let reply = parser.next_reply_owned().ok_or(ReplyError::Malformed)??;
    if parser.buffered_len() > 0 || parser.is_mid_reply() {
        return Err(ReplyError::Malformed);
    }
    Ok(reply)
}

impl From<ReplyRef<'_>> for Reply {
    fn from(r: ReplyRef<'_>) -> Self {
        r.to_reply()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// One parsed item: `Ok((code, lines))` or the error.
    type Item = Result<(u16, Vec<Vec<u8>>), ReplyError>;

    fn run(config: ReplyParserConfig, input: &[u8], chunk: usize) -> Vec<Item> {
        let mut parser = ReplyParser::new(config);
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            parser.extend_from_slice(piece);
            while let Some(item) = parser.next_reply() {
                out.push(
                    item.map(|r| (r.code().as_u16(), r.lines().map(<[u8]>::to_vec).collect())),
                );
            }
        }
        out
    }

    fn ok(code: u16, lines: &[&[u8]]) -> Item {
        Ok((code, lines.iter().map(|l| l.to_vec()).collect()))
    }

    fn strict() -> ReplyParserConfig {
        ReplyParserConfig::default()
    }

    fn lenient() -> ReplyParserConfig {
        ReplyParserConfig::default().with_lenient_multiline_end(true)
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, ReplyParserConfig, &[u8], Vec<Item>)> = vec![
            (
                "single",
                strict(),
                b"200 Command okay.\r\n",
                vec![ok(200, &[b"Command okay."])],
            ),
            ("empty text", strict(), b"226 \r\n", vec![ok(226, &[b""])]),
            ("bare code", strict(), b"226\r\n", vec![ok(226, &[b""])]),
            (
                "bare code refused",
                strict().with_accept_bare_code(false),
                b"226\r\n",
                vec![Err(ReplyError::Malformed)],
            ),
            (
                "bare lf",
                strict(),
                b"200 ok\n331 pw\n",
                vec![ok(200, &[b"ok"]), ok(331, &[b"pw"])],
            ),
            (
                "bare lf refused",
                strict().with_accept_bare_lf(false),
                b"200 ok\n331 pw\r\n",
                vec![Err(ReplyError::BareLineFeed), ok(331, &[b"pw"])],
            ),
            (
                "unknown codes",
                strict(),
                b"299 odd\r\n430 bad\r\n",
                vec![ok(299, &[b"odd"]), ok(430, &[b"bad"])],
            ),
            (
                "malformed",
                strict(),
                b"hello\r\n20 x\r\n700 x\r\n200x\r\n\r\n200 ok\r\n",
                vec![
                    Err(ReplyError::Malformed),
                    Err(ReplyError::Malformed),
                    Err(ReplyError::Malformed),
                    Err(ReplyError::Malformed),
                    Err(ReplyError::Malformed),
                    ok(200, &[b"ok"]),
                ],
            ),
            (
                "rfc 959 example",
                strict(),
                b"230-Welcome\r\n 200 users online\r\nPlease behave\r\n230 Logged in.\r\n",
                vec![ok(
                    230,
                    &[
                        b"Welcome",
                        b" 200 users online",
                        b"Please behave",
                        b"Logged in.",
                    ],
                )],
            ),
            (
                "ddd- continuation",
                strict(),
                b"211-Features:\r\n211-MDTM\r\n211-SIZE\r\n211 End\r\n",
                vec![ok(211, &[b"Features:", b"MDTM", b"SIZE", b"End"])],
            ),
            (
                "proftpd continuation",
                strict(),
                b"211-Features:\r\n MDTM\r\n UTF8\r\n211 End\r\n",
                vec![ok(211, &[b"Features:", b" MDTM", b" UTF8", b"End"])],
            ),
            (
                "banner then login",
                strict(),
                b"230-Hello\r\n230-\r\n230-Rules\r\n230 Logged in.\r\n",
                vec![ok(230, &[b"Hello", b"", b"Rules", b"Logged in."])],
            ),
            (
                "multi bare end",
                strict(),
                b"230-Hello\r\n230\r\n",
                vec![ok(230, &[b"Hello", b""])],
            ),
            (
                "other code dash lines kept",
                strict(),
                b"250-a\r\n150-b\r\n250 c\r\n",
                vec![ok(250, &[b"a", b"150-b", b"c"])],
            ),
            (
                "glftpd strict: 150 line is body",
                strict(),
                b"553-Warning\r\n150 Opening\r\n553 End\r\n",
                vec![ok(553, &[b"Warning", b"150 Opening", b"End"])],
            ),
            (
                "glftpd lenient: 150 ends it and wins",
                lenient(),
                b"553-Warning\r\n150 Opening\r\n226 Done\r\n",
                vec![ok(150, &[b"Warning", b"Opening"]), ok(226, &[b"Done"])],
            ),
            (
                "cyberduck transcript strict",
                strict(),
                b"250-x\r\n550 y\r\n250 z\r\n",
                vec![ok(250, &[b"x", b"550 y", b"z"])],
            ),
            (
                "digits inside text do not end",
                strict(),
                b"211-a 211 b\r\nx 211 y\r\n211 end\r\n",
                vec![ok(211, &[b"a 211 b", b"x 211 y", b"end"])],
            ),
            (
                "same code other 4th byte is body",
                strict(),
                b"211-a\r\n211x\r\n211 e\r\n",
                vec![ok(211, &[b"a", b"211x", b"e"])],
            ),
            (
                "iac undoubled",
                strict(),
                b"257 \"/\xff\xff\"\r\n",
                vec![ok(257, &[b"\"/\xff\""])],
            ),
            (
                "cr and nul replaced",
                strict(),
                b"200 a\rb\0c\r\n",
                vec![ok(200, &[b"a b c"])],
            ),
            (
                "pipelined",
                strict(),
                b"150 Opening\r\n226-Done\r\n226 ok\r\n221 Bye\r\n",
                vec![
                    ok(150, &[b"Opening"]),
                    ok(226, &[b"Done", b"ok"]),
                    ok(221, &[b"Bye"]),
                ],
            ),
            (
                "too many lines then next reply",
                strict().with_max_lines(3),
                b"211-a\r\nb\r\nc\r\nd\r\n211 e\r\n200 ok\r\n",
                vec![
                    Err(ReplyError::TooLong {
                        code: ReplyCode::new(211).ok(),
                    }),
                    ok(200, &[b"ok"]),
                ],
            ),
            (
                "max lines exactly",
                strict().with_max_lines(3),
                b"211-a\r\nb\r\n211 e\r\n",
                vec![ok(211, &[b"a", b"b", b"e"])],
            ),
            (
                "reply too long then next reply",
                strict().with_max_reply_len(8),
                b"211-abcd\r\nefgh\r\n211 i\r\n200 12345678\r\n200 123456789\r\n",
                vec![
                    Err(ReplyError::TooLong {
                        code: ReplyCode::new(211).ok(),
                    }),
                    ok(200, &[b"12345678"]),
                    Err(ReplyError::TooLong {
                        code: ReplyCode::new(200).ok(),
                    }),
                ],
            ),
            (
                "line too long inside multi-line",
                strict().with_max_line_len(16),
                b"211-a\r\n0123456789abcdefghij\r\n211 e\r\n200 ok\r\n",
                vec![
                    Err(ReplyError::TooLong {
                        code: ReplyCode::new(211).ok(),
                    }),
                    ok(200, &[b"ok"]),
                ],
            ),
            (
                "first line too long",
                strict().with_max_line_len(16),
                b"200 0123456789abcdefghij\r\n200 ok\r\n",
                vec![Err(ReplyError::TooLong { code: None }), ok(200, &[b"ok"])],
            ),
        ];
        for (name, config, input, want) in cases {
            for chunk in 1..=input.len() {
                assert_eq!(run(config, input, chunk), want, "{name}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn mid_reply_and_discard() {
        let mut parser = ReplyParser::default();
        parser.extend_from_slice(b"230-Welcome\r\n230-more\r\n");
        assert!(parser.next_reply().is_none());
        assert!(parser.is_mid_reply());
        parser.extend_from_slice(b"stray");
        assert_eq!(parser.discard_buffered(), 5);
        assert!(!parser.is_mid_reply());
        parser.extend_from_slice(b"234 AUTH TLS ok\r\n");
        let r = parser.next_reply_owned().unwrap().unwrap();
        assert_eq!(r, Reply::new(ReplyCode::SECURITY_ACCEPTED, "AUTH TLS ok"));
    }

    #[test]
    fn parse_reply_whole() {
        let r = parse_reply(b"211-a\r\n211 b\r\n", strict()).unwrap();
        assert_eq!(r, Reply::multiline(ReplyCode::SYSTEM_STATUS, ["a", "b"]));
        assert_eq!(
            parse_reply(b"211-a\r\n", strict()),
            Err(ReplyError::Malformed)
        );
        assert_eq!(
            parse_reply(b"200 a\r\n200 b\r\n", strict()),
            Err(ReplyError::Malformed)
        );
    }

    #[test]
    fn clean_single_line_replies_are_borrowed() {
        let mut parser = ReplyParser::default();
        parser.extend_from_slice(b"211-a\r\n211 b\r\n200 ok\r\n200 a\rb\r\n226\r\n");
        let multi = parser.next_reply().unwrap().unwrap();
        assert_eq!(multi.joined_text(), b"a\nb");
        assert_eq!(multi.joined_text().as_ptr(), parser.acc.as_ptr());
        let single = parser.next_reply().unwrap().unwrap();
        assert_eq!(single.joined_text(), b"ok");
        assert_ne!(single.joined_text().as_ptr(), parser.acc.as_ptr());
        // A CR inside the text is sanitised into the scratch buffer.
        let cr = parser.next_reply().unwrap().unwrap();
        assert_eq!(cr.joined_text(), b"a b");
        assert_eq!(cr.joined_text().as_ptr(), parser.acc.as_ptr());
        let bare = parser.next_reply().unwrap().unwrap();
        assert_eq!((bare.code().as_u16(), bare.joined_text()), (226, &b""[..]));
        assert!(parser.next_reply().is_none());
    }

    #[test]
    fn steady_state_reuses_the_buffer() {
        let mut parser = ReplyParser::default();
        parser
            .extend_from_slice(b"211-a\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n211 c\r\n");
        assert!(parser.next_reply().unwrap().is_ok());
        let cap = parser.acc.capacity();
        for _ in 0..100 {
            parser.extend_from_slice(b"211-a\r\nbbbb\r\n211 c\r\n200 x\r\n");
            assert!(parser.next_reply().unwrap().is_ok());
            assert!(parser.next_reply().unwrap().is_ok());
        }
        assert_eq!(parser.acc.capacity(), cap);
    }
}
