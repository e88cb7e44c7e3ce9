//! Line framing for the control connection, in both directions.
//!
//! [`LineBuffer`] splits the control-connection byte stream into lines: the
//! server frames commands with it, the client frames replies. It is the
//! memory bound of the control connection, so it is careful about three things.
//!
//! ## Zero-copy contract
//! Input accumulates in one [`BytesMut`]. [`LineBuffer::next_line`] searches
//! for LF with `memchr`, resuming where the previous search stopped (no byte is
//! scanned twice), and returns a [`LineRef`] that *borrows* the buffer:
//!
//! - [`LineRef::text`] is the line without its CR LF, with Telnet decoding
//!   applied. On the plain path (no 0xFF and no NUL in the line) it is a slice
//!   of the input buffer.
//! - Dropping the `LineRef` consumes the line lazily: the buffer only moves
//!   its read offset; the bytes of returned lines are dropped from the front
//!   of the buffer (one O(1) `BytesMut::advance`) when it is next appended to.
//!   Framing a plain line therefore allocates nothing, touches no reference
//!   count and moves no byte.
//! - [`LineRef::into_text`] gives the same text with the lifetime of the
//!   buffer borrow, and [`LineBuffer::last_line`] gives it again after the
//!   `LineRef` is gone (until the framer is used again): a caller can decide
//!   from the text, then keep it borrowed without copying it.
//! - [`LineRef::into_bytes`] turns the line into an owned [`Bytes`] of exactly
//!   `text()`: `split_to(..).freeze()` plus a slice (no copy) on the plain path,
//!   a copy of the decoded text otherwise.
//!
//! The intended server flow, which compiles without clones:
//! ```
//! use ftp_proto::line::{LineBuffer, LineConfig};
//! use ftp_proto::Command;
//!
//! let mut lb = LineBuffer::new(LineConfig::default());
//! lb.extend_from_slice(b"RETR my file.txt\r\n");
//! let line = lb.next_line().unwrap().unwrap();
//! let spans = Command::parse(line.text()).unwrap().to_spans(line.text());
//! let owned: Command = spans.resolve(&line.into_bytes());
//! assert_eq!(owned, Command::Retr(bytes::Bytes::from_static(b"my file.txt")));
//! ```
//!
//! ## Telnet (RFC 854, RFC 959 §4.1.3) and RFC 2640
//! With [`LineConfig::decode_telnet`] set (the default), each line is decoded:
//! `IAC IAC` becomes 0xFF; two-byte Telnet commands (`IAC IP`, `IAC DM`,
//! `IAC NOP`, ...) are removed; option negotiations (`IAC WILL/WONT/DO/DONT x`)
//! are skipped; `IAC` followed by a byte that is not a Telnet command is
//! dropped and the byte kept (so `IAC IP IAC ABOR`, sent by clients whose
//! urgent `DM` byte was lost, still reads `ABOR`); a `DM` byte right after
//! `IAC IP` is dropped too (`IAC IP DM ABOR`: the urgent `IAC` before the
//! `DM` was lost, as happens to BSD clients' Synch on a socket without
//! `SO_OOBINLINE`); `CR NUL` becomes CR
//! (RFC 2640 §3.1). A NUL not preceded by CR stays in the text: the parser and
//! path layers refuse it. Decoding happens only when the LF search (one `memchr3` for LF,
//! 0xFF and NUL) met 0xFF or NUL, into a scratch buffer that is reused from line to line.
//! Telnet sequences are decoded per line: an option byte equal to LF (never
//! sent by real peers) would end the line.
//!
//! [`LineRef::telnet_sync`] reports whether `IAC IP` or `IAC DM` was seen, so
//! a server can treat `IAC IP IAC DM ABOR` as an urgent ABOR.
//!
//! ## Quirks
//! - Bare LF: a line may end with LF alone when [`LineConfig::accept_bare_lf`]
//!   is set (the default, as vsftpd, Pure-FTPd, curl and most peers do);
//!   [`LineRef::bare_lf`] tells when it happened. Otherwise such a line is
//!   consumed and reported as [`LineError::BareLineFeed`].
//! - Empty lines are returned as empty text (servers ignore them; NAT devices
//!   inject them).
//!
//! ## Bounded memory
//! A line may hold at most [`LineConfig::max_line_len`] bytes before its LF
//! (the CR counts). When more accumulate, [`LineError::TooLong`] is reported
//! once, the buffered bytes are dropped, and all further input up to and
//! including the next LF is discarded as it arrives, without being buffered.
//! The buffer therefore never holds more than `max_line_len` bytes of an
//! unfinished line plus what the latest append added (lines already returned
//! from that append are dropped at the next append).

use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};

const IAC: u8 = 255;
const DONT: u8 = 254;
const WILL: u8 = 251;
const SE: u8 = 240;
const IP: u8 = 244;
const DM: u8 = 242;
const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;

/// Settings of a [`LineBuffer`].
///
/// The struct is `#[non_exhaustive]`: start from [`LineConfig::default`] and
/// change fields, or chain the `with_*` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineConfig {
    /// Most bytes a line may hold before its LF (its CR included). Default 4096.
    pub max_line_len: usize,
    /// Accept a line ended by LF alone (a documented quirk of many peers). Default `true`.
    pub accept_bare_lf: bool,
    /// Decode Telnet sequences and RFC 2640 `CR NUL`. Default `true`.
    pub decode_telnet: bool,
}

impl Default for LineConfig {
    fn default() -> Self {
        Self {
            max_line_len: 4096,
            accept_bare_lf: true,
            decode_telnet: true,
        }
    }
}

impl LineConfig {
    /// Sets [`LineConfig::max_line_len`].
    #[must_use]
    pub const fn with_max_line_len(mut self, max_line_len: usize) -> Self {
        self.max_line_len = max_line_len;
        self
    }

    /// Sets [`LineConfig::accept_bare_lf`].
    #[must_use]
    pub const fn with_accept_bare_lf(mut self, accept: bool) -> Self {
        self.accept_bare_lf = accept;
        self
    }

    /// Sets [`LineConfig::decode_telnet`].
    #[must_use]
    pub const fn with_decode_telnet(mut self, decode: bool) -> Self {
        self.decode_telnet = decode;
        self
    }
}

/// Why a line was refused. The offending bytes are consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// More than `max_line_len` bytes arrived without an LF; input is skipped through the next LF.
    #[error("line too long")]
    TooLong,
    /// The line ended with LF alone while bare LF is not accepted.
    #[error("line ended with LF without CR")]
    BareLineFeed,
}

/// A line framer over one growing input buffer. See the [module docs](self).
#[derive(Debug)]
pub struct LineBuffer {
    buf: BytesMut,
    config: LineConfig,
    /// Bytes at the front of `buf` already returned as lines. They are dropped
    /// lazily, when the buffer is next appended to, so framing a line costs no
    /// `BytesMut::advance`.
    start: usize,
    /// Offset in `buf` (at least `start`) up to which the current line was
    /// searched for LF without success.
    scanned: usize,
    /// An IAC or NUL byte was seen in the current line (decoding needed).
    special: bool,
    /// Skipping input through the next LF after a [`LineError::TooLong`].
    discarding: bool,
    /// Decoded text of the current line when Telnet decoding changed it.
    scratch: Vec<u8>,
    /// The line most recently returned by [`LineBuffer::next_line`], while it
    /// is still buffered.
    current: Option<LineSpan>,
    /// The LF/IAC/NUL search, prepared once.
    searcher: LfSearcher,
}

/// A `memchr3` for LF, IAC and NUL whose CPU dispatch and needle broadcast are
/// done once, when the framer is built, instead of on every line (about a
/// sixth of the cost of framing a short line).
#[derive(Debug, Clone, Copy)]
enum LfSearcher {
    /// AVX2 (x86_64, detected at run time with `std`).
    #[cfg(target_arch = "x86_64")]
    Avx2(memchr::arch::x86_64::avx2::memchr::Three),
    /// SSE2 (every x86_64).
    #[cfg(target_arch = "x86_64")]
    Sse2(memchr::arch::x86_64::sse2::memchr::Three),
    /// Elsewhere: `memchr::memchr3`, which dispatches per call.
    Generic,
}

impl LfSearcher {
    fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use memchr::arch::x86_64::{avx2, sse2};
            if let Some(three) = avx2::memchr::Three::new(LF, IAC, NUL) {
                return Self::Avx2(three);
            }
            if let Some(three) = sse2::memchr::Three::new(LF, IAC, NUL) {
                return Self::Sse2(three);
            }
        }
        Self::Generic
    }

    #[inline]
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx2(three) => three.find(haystack),
            #[cfg(target_arch = "x86_64")]
            Self::Sse2(three) => three.find(haystack),
            Self::Generic => memchr::memchr3(LF, IAC, NUL, haystack),
        }
    }
}

/// Where the most recently returned line is.
#[derive(Debug, Clone, Copy)]
struct LineSpan {
    /// Offset of its text in `buf`.
    start: usize,
    /// Length of its text in `buf` (CR LF excluded).
    len: usize,
    /// The text is in `scratch`, decoded.
    decoded: bool,
    bare_lf: bool,
    telnet_sync: bool,
}

impl LineBuffer {
    /// An empty framer with the given settings.
    #[must_use]
    pub fn new(config: LineConfig) -> Self {
        Self {
            buf: BytesMut::new(),
            config,
            start: 0,
            scanned: 0,
            special: false,
            discarding: false,
            scratch: Vec::new(),
            current: None,
            searcher: LfSearcher::new(),
        }
    }

    /// The settings in use.
    #[must_use]
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Drops the lines already returned from the front of the buffer.
    fn compact(&mut self) {
        self.current = None;
        if self.start > 0 {
            let n = self.start.min(self.buf.len());
            self.buf.advance(n);
            self.scanned = self.scanned.saturating_sub(n);
            self.start = 0;
        }
    }

    /// Appends received bytes.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(data);
    }

    /// The input buffer, so an adapter can read into it directly (for example
    /// with tokio's `read_buf`). Only **append** to it: removing or changing
    /// bytes already there breaks framing (the scan resumes at an offset).
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        self.compact();
        &mut self.buf
    }

    /// How many received bytes are buffered and not yet returned as lines.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Drops every buffered byte and returns how many there were. Used when
    /// the transport changes under the protocol (after `234` to `AUTH TLS`,
    /// plaintext that followed the command must never be replayed inside TLS).
    /// Also ends any discarding of an overlong line.
    pub fn discard_buffered(&mut self) -> usize {
        let n = self.buffered_len();
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        self.special = false;
        self.discarding = false;
        self.current = None;
        n
    }

    /// The offset in `buf` of the next LF, searched from `scanned`. When
    /// decoding is on, one `memchr3` pass also notes IAC and NUL bytes in
    /// `special`, so plain lines are scanned once.
    #[inline]
    fn find_lf(&mut self) -> Option<usize> {
        let pos = self.scanned;
        let rest = self.buf.get(pos..)?;
        if !self.config.decode_telnet {
            return memchr::memchr(LF, rest).map(|i| pos + i);
        }
        let i = self.searcher.find(rest)?;
        if rest.get(i) == Some(&LF) {
            return Some(pos + i);
        }
        self.find_lf_special(pos + i)
    }

    /// [`find_lf`](Self::find_lf) after an IAC or NUL at `at`.
    #[cold]
    #[inline(never)]
    fn find_lf_special(&mut self, at: usize) -> Option<usize> {
        self.special = true;
        let mut pos = at + 1;
        loop {
            let rest = self.buf.get(pos..)?;
            let i = self.searcher.find(rest)?;
            if rest.get(i) == Some(&LF) {
                return Some(pos + i);
            }
            pos += i + 1;
        }
    }

    /// Skips input through the next LF after an overlong line; `false` when
    /// all buffered input was dropped and more is needed.
    #[cold]
    #[inline(never)]
    fn skip_discarded(&mut self) -> bool {
        match memchr::memchr(LF, self.buf.get(self.start..).unwrap_or_default()) {
            None => {
                self.buf.clear();
                self.start = 0;
                self.scanned = 0;
                false
            }
            Some(i) => {
                self.start += i + 1;
                self.scanned = self.start;
                self.discarding = false;
                true
            }
        }
    }

    /// No LF buffered: either wait for more input or refuse an overlong line.
    #[cold]
    #[inline(never)]
    fn incomplete(&mut self) -> Option<Result<LineRef<'_>, LineError>> {
        if self.buffered_len() > self.config.max_line_len {
            self.buf.clear();
            self.start = 0;
            self.scanned = 0;
            self.special = false;
            self.discarding = true;
            return Some(Err(LineError::TooLong));
        }
        self.scanned = self.buf.len();
        None
    }

    /// The next complete line, `None` when more input is needed.
    ///
    /// Errors are reported once per offending line and the framer stays usable.
    #[inline]
    pub fn next_line(&mut self) -> Option<Result<LineRef<'_>, LineError>> {
        self.current = None;
        if self.discarding && !self.skip_discarded() {
            return None;
        }
        let Some(lf) = self.find_lf() else {
            return self.incomplete();
        };
        let start = self.start;
        self.start = lf + 1;
        self.scanned = lf + 1;
        let special = core::mem::take(&mut self.special);
        let raw = self.buf.get(start..lf).unwrap_or_default();
        if raw.len() > self.config.max_line_len {
            return Some(Err(LineError::TooLong));
        }
        let (len, bare_lf) = match raw.last() {
            Some(&CR) => (raw.len() - 1, false),
            _ => (raw.len(), true),
        };
        if bare_lf && !self.config.accept_bare_lf {
            return Some(Err(LineError::BareLineFeed));
        }
        let mut span = LineSpan {
            start,
            len,
            decoded: false,
            bare_lf,
            telnet_sync: false,
        };
        if special {
            span.telnet_sync = self.decode_current(start, len);
            span.decoded = true;
        }
        self.current = Some(span);
        Some(Ok(LineRef { owner: self }))
    }

    /// Decodes the line at `start..start + len` into `scratch`.
    #[cold]
    #[inline(never)]
    fn decode_current(&mut self, start: usize, len: usize) -> bool {
        let raw = self.buf.get(start..start + len).unwrap_or_default();
        decode_telnet(raw, &mut self.scratch)
    }

    /// The text of the current line (see [`LineBuffer::last_line`]).
    #[inline]
    fn current_text(&self) -> &[u8] {
        match self.current {
            Some(LineSpan { decoded: true, .. }) => &self.scratch,
            Some(LineSpan { start, len, .. }) => {
                self.buf.get(start..start + len).unwrap_or_default()
            }
            None => &[],
        }
    }

    /// The text of the line most recently returned by
    /// [`next_line`](Self::next_line), exactly as [`LineRef::text`] gave it,
    /// borrowed from the buffer; `None` when that call returned no line, or
    /// when the line is no longer buffered ([`LineRef::into_bytes`] took it,
    /// or the buffer was appended to or discarded since).
    ///
    /// Lines are consumed lazily, so a caller can decide what to do with a
    /// line through its [`LineRef`], drop it, and still borrow its text for
    /// as long as it borrows the framer (this is how [`ReplyParser`] returns
    /// single-line replies without copying them).
    ///
    /// [`ReplyParser`]: crate::reply::ReplyParser
    #[must_use]
    #[inline]
    pub fn last_line(&self) -> Option<&[u8]> {
        self.current.map(|_| self.current_text())
    }
}

/// Decodes Telnet sequences and `CR NUL` from `raw` into `out` (cleared first).
/// Returns whether `IAC IP` or `IAC DM` was seen.
fn decode_telnet(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut sync = false;
    let mut pos = 0;
    while let Some(found) = raw
        .get(pos..)
        .and_then(|rest| memchr::memchr2(IAC, NUL, rest))
    {
        let at = pos + found;
        out.extend_from_slice(raw.get(pos..at).unwrap_or_default());
        let tail = raw.get(at..).unwrap_or_default();
        pos = at
            + match tail {
                [NUL, ..] => {
                    // RFC 2640: CR NUL is a CR; a NUL elsewhere is kept for the parser to refuse.
                    let after_cr = at.checked_sub(1).and_then(|i| raw.get(i)) == Some(&CR);
                    if !after_cr {
                        out.push(NUL);
                    }
                    1
                }
                [IAC, IAC, ..] => {
                    out.push(IAC);
                    2
                }
                [IAC, WILL..=DONT, _option, ..] => 3,
                // An option negotiation cut by the end of the line.
                [IAC, WILL..=DONT] => 2,
                // `IAC IP` then a `DM` without its `IAC`: the Synch's urgent
                // byte (that `IAC`, as BSD clients send it) was lost to a
                // socket without SO_OOBINLINE. `DM` starts no command: drop it.
                [IAC, IP, DM, ..] => {
                    sync = true;
                    3
                }
                [IAC, cmd @ SE..=250, ..] => {
                    sync |= *cmd == IP || *cmd == DM;
                    2
                }
                // IAC before a byte that is no Telnet command: drop the IAC, keep the byte.
                [IAC, _, ..] => 1,
                // IAC (or IAC WILL...) cut by the end of the line.
                _ => tail.len(),
            };
    }
    out.extend_from_slice(raw.get(pos..).unwrap_or_default());
    sync
}

/// One framed line, borrowing its [`LineBuffer`]. Dropping it consumes the line.
#[derive(Debug)]
#[must_use = "dropping a LineRef consumes the line"]
pub struct LineRef<'a> {
    owner: &'a mut LineBuffer,
}

impl<'a> LineRef<'a> {
    #[inline]
    fn span(&self) -> Option<LineSpan> {
        self.owner.current
    }

    /// The line without CR LF, Telnet-decoded.
    #[must_use]
    #[inline]
    pub fn text(&self) -> &[u8] {
        self.owner.current_text()
    }

    /// [`text`](Self::text) with the lifetime of the buffer rather than of
    /// this `LineRef`: the line stays borrowed from the [`LineBuffer`] until
    /// the framer is used again (zero-copy on the plain path).
    #[must_use]
    #[inline]
    pub fn into_text(self) -> &'a [u8] {
        let owner: &'a LineBuffer = self.owner;
        owner.current_text()
    }

    /// Whether the line ended with LF alone (no CR).
    #[must_use]
    #[inline]
    pub fn bare_lf(&self) -> bool {
        self.span().is_some_and(|s| s.bare_lf)
    }

    /// Whether a Telnet Interrupt Process (`IAC IP`) or Synch mark (`IAC DM`)
    /// was removed from the line: the command is urgent (ABOR, STAT).
    #[must_use]
    #[inline]
    pub fn telnet_sync(&self) -> bool {
        self.span().is_some_and(|s| s.telnet_sync)
    }

    /// Whether Telnet or `CR NUL` decoding changed the line (then
    /// [`LineRef::into_bytes`] copies).
    #[must_use]
    #[inline]
    pub fn was_decoded(&self) -> bool {
        self.span().is_some_and(|s| s.decoded)
    }

    /// The line as owned bytes, exactly [`LineRef::text`]: a zero-copy slice
    /// of the input buffer on the plain path, a copy when decoding changed it.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        let owner = self.owner;
        let Some(span) = owner.current else {
            return Bytes::new();
        };
        if span.decoded {
            return Bytes::copy_from_slice(&owner.scratch);
        }
        // Drop the lines before this one, then split this one (through its LF) off.
        let end = owner.start;
        if span.start > end || end > owner.buf.len() {
            // Cannot happen: the LineRef borrows the buffer mutably since next_line.
            return Bytes::new();
        }
        owner.buf.advance(span.start);
        let whole = owner.buf.split_to(end - span.start).freeze();
        owner.start = 0;
        owner.scanned = 0;
        owner.current = None;
        whole.slice(..span.len.min(whole.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    type Framed = Vec<Result<Vec<u8>, LineError>>;

    /// All lines (or errors) framed from `input` fed in chunks of `chunk` bytes.
    fn frame(config: LineConfig, input: &[u8], chunk: usize) -> Framed {
        let mut lb = LineBuffer::new(config);
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            lb.extend_from_slice(piece);
            while let Some(r) = lb.next_line() {
                out.push(r.map(|l| l.text().to_vec()));
            }
        }
        out
    }

    fn ok(lines: &[&[u8]]) -> Framed {
        lines.iter().map(|l| Ok(l.to_vec())).collect()
    }

    #[test]
    fn table() {
        let d = LineConfig::default();
        let cases: &[(&[u8], Framed)] = &[
            (b"USER a\r\n", ok(&[b"USER a"])),
            (b"USER a\n", ok(&[b"USER a"])),
            (b"USER a", ok(&[])),
            (b"\r\n\n", ok(&[b"", b""])),
            (b"A\r\nB\r\nC", ok(&[b"A", b"B"])),
            (b"A\rB\r\n", ok(&[b"A\rB"])),
            (b"X \xff\xff y\r\n", ok(&[b"X \xff y"])),
            (b"\xff\xf4\xff\xf2ABOR\r\n", ok(&[b"ABOR"])),
            (b"\xff\xf4\xffABOR\r\n", ok(&[b"ABOR"])),
            (b"\xff\xf4\xf2ABOR\r\n", ok(&[b"ABOR"])),
            // A bare CR inside a line (an urgent LF lost) is not a line end.
            (b"ABOR\rNOOP\r\n", ok(&[b"ABOR\rNOOP"])),
            (b"NO\xff\xf1OP\r\n", ok(&[b"NOOP"])),
            (b"\xff\xfb\x01NOOP\r\n", ok(&[b"NOOP"])),
            (b"\xff\xfdNOOP\r\n", ok(&[b"OOP"])),
            (b"A\r\x00B\r\n", ok(&[b"A\rB"])),
            (b"A\x00B\r\n", ok(&[b"A\x00B"])),
            (b"AB\xff\r\n", ok(&[b"AB"])),
            (b"AB\xff\xfb\r\n", ok(&[b"AB"])),
            (b"\xff\xff\x00\r\n", ok(&[b"\xff\x00"])),
            (b"A\r\x00\x00\r\n", ok(&[b"A\r\x00"])),
        ];
        for (input, want) in cases {
            for chunk in 1..=input.len().max(1) {
                assert_eq!(&frame(d, input, chunk), want, "{input:?} chunk {chunk}");
            }
        }
    }

    #[test]
    fn flags() {
        let mut lb = LineBuffer::new(LineConfig::default());
        lb.extend_from_slice(b"A\nB\r\n\xff\xf4\xff\xf2ABOR\r\n");
        let l = lb.next_line().unwrap().unwrap();
        assert!(l.bare_lf() && !l.telnet_sync() && !l.was_decoded());
        drop(l);
        let l = lb.next_line().unwrap().unwrap();
        assert!(!l.bare_lf() && !l.telnet_sync());
        drop(l);
        let l = lb.next_line().unwrap().unwrap();
        assert!(l.telnet_sync() && l.was_decoded());
        assert_eq!(l.into_bytes(), Bytes::from_static(b"ABOR"));
        assert!(lb.next_line().is_none());
        assert_eq!(lb.buffered_len(), 0);
    }

    #[test]
    fn strict_crlf_and_no_telnet() {
        let strict = LineConfig::default()
            .with_accept_bare_lf(false)
            .with_decode_telnet(false);
        assert_eq!(
            frame(strict, b"A\nB\r\n\xff\xffC\r\n", 3),
            vec![
                Err(LineError::BareLineFeed),
                Ok(b"B".to_vec()),
                Ok(b"\xff\xffC".to_vec())
            ]
        );
    }

    #[test]
    fn into_bytes_zero_copy() {
        let mut lb = LineBuffer::new(LineConfig::default());
        lb.extend_from_slice(b"RETR a\r\nSTOR b\r\npartial");
        let first = lb.next_line().unwrap().unwrap().into_bytes();
        let second = lb.next_line().unwrap().unwrap().into_bytes();
        assert_eq!(first, Bytes::from_static(b"RETR a"));
        assert_eq!(second, Bytes::from_static(b"STOR b"));
        assert!(lb.next_line().is_none());
        assert_eq!(lb.buffered_len(), 7);
        assert_eq!(lb.discard_buffered(), 7);
        assert_eq!(lb.buffered_len(), 0);
    }

    #[test]
    fn too_long_reported_once_and_bounded() {
        let cfg = LineConfig::default().with_max_line_len(16);
        let mut lb = LineBuffer::new(cfg);
        let mut errors = 0;
        for _ in 0..100_000 {
            lb.extend_from_slice(b"xxxxxxx");
            while let Some(r) = lb.next_line() {
                assert_eq!(r.err(), Some(LineError::TooLong));
                errors += 1;
            }
            assert!(lb.buffered_len() <= 16 + 7);
        }
        assert_eq!(errors, 1);
        lb.extend_from_slice(b"yyy\r\nNOOP\r\n");
        assert_eq!(lb.next_line().unwrap().unwrap().text(), b"NOOP");
        assert!(lb.next_line().is_none());
        // A complete overlong line in one append is also refused.
        lb.extend_from_slice(b"0123456789abcdefgh\r\nPWD\r\n");
        assert_eq!(lb.next_line().unwrap().err(), Some(LineError::TooLong));
        assert_eq!(lb.next_line().unwrap().unwrap().text(), b"PWD");
        // Exactly at the limit (CR counted) is fine.
        lb.extend_from_slice(b"0123456789abcde\r\n");
        assert_eq!(lb.next_line().unwrap().unwrap().text(), b"0123456789abcde");
    }

    #[test]
    fn text_outlives_the_line_ref() {
        let mut lb = LineBuffer::new(LineConfig::default());
        lb.extend_from_slice(b"200 ok\r\nX\xff\xffY\r\n");
        let plain = lb.next_line().unwrap().unwrap().into_text();
        assert_eq!(plain, b"200 ok");
        let line = lb.next_line().unwrap().unwrap();
        assert!(line.was_decoded());
        drop(line);
        assert_eq!(lb.last_line(), Some(&b"X\xffY"[..]));
        assert!(lb.next_line().is_none());
        assert_eq!(lb.last_line(), None);
        // The line stays readable until the framer is used again.
        lb.extend_from_slice(b"PWD\r\n");
        let _ = lb.next_line().unwrap().unwrap();
        let text = lb.last_line().unwrap();
        assert_eq!(text, b"PWD");
        lb.extend_from_slice(b"NO");
        assert_eq!(lb.last_line(), None);
        assert_eq!(lb.buffered_len(), 2);
        // into_bytes takes the line: nothing left to borrow.
        lb.extend_from_slice(b"OP\r\n");
        let b = lb.next_line().unwrap().unwrap().into_bytes();
        assert_eq!(b, Bytes::from_static(b"NOOP"));
        assert_eq!(lb.last_line(), None);
        assert_eq!(lb.buffered_len(), 0);
    }

    #[test]
    fn buffer_mut_appends() {
        let mut lb = LineBuffer::new(LineConfig::default());
        lb.buffer_mut().extend_from_slice(b"NO");
        assert!(lb.next_line().is_none());
        lb.buffer_mut().extend_from_slice(b"OP\r\n");
        assert_eq!(lb.next_line().unwrap().unwrap().text(), b"NOOP");
    }

    proptest! {
        #[test]
        fn never_panics_and_bounded(input in proptest::collection::vec(any::<u8>(), 0..600),
                                    chunk in 1usize..40, max in 1usize..64) {
            let mut lb = LineBuffer::new(LineConfig::default().with_max_line_len(max));
            for piece in input.chunks(chunk) {
                lb.extend_from_slice(piece);
                while let Some(r) = lb.next_line() {
                    if let Ok(l) = r {
                        prop_assert!(l.text().len() <= max);
                    }
                }
                prop_assert!(lb.buffered_len() <= max + chunk);
            }
        }

        #[test]
        fn chunking_does_not_matter(lines in proptest::collection::vec(
            proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..20), 0..10),
            chunk in 1usize..30) {
            let mut input = Vec::new();
            for l in &lines {
                input.extend_from_slice(l);
                input.extend_from_slice(b"\r\n");
            }
            let whole = frame(LineConfig::default(), &input, input.len().max(1));
            prop_assert_eq!(whole.len(), lines.len());
            prop_assert_eq!(frame(LineConfig::default(), &input, chunk), whole);
        }
    }
}
