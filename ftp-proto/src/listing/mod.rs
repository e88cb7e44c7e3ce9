//! Directory listings both ways: rendering LIST, NLST and MLSx lines on the
//! server, parsing them on the client.
//!
//! # Formats
//! - **LIST** has no standard format (RFC 959 says "free format"). Servers
//!   write Unix `ls -l` lines ([`unix`]: vsftpd, ProFTPD, Pure-FTPd,
//!   pyftpdlib), MS-DOS lines ([`dos`]: IIS), and a few older systems their
//!   own: OS/2 ([`os2`]), IBM i / AS/400 ([`ibmi`]) and EPLF ([`eplf`],
//!   publicfile). We render the vsftpd layout ([`write_list_line`]) and
//!   parse all of them, one small parser each, chosen per line by
//!   [`parse_list_line`].
//! - **NLST** ([`write_nlst_line`]): one name per line, nothing else.
//! - **MLSD / MLST** ([`mlsx`], RFC 3659 §7): `fact=value;…; name`, the only
//!   machine-readable form. [`Facts`] is the fact selection `OPTS MLST` changes.
//!
//! # Names that could inject lines
//! A file name holding CR or LF written raw into a listing would end the line
//! early and let the rest of the name pose as a forged entry (or, in MLST, as a
//! reply line on the control connection). There is no escape for this in any
//! listing format, and an escaped name would name a different, usually
//! missing, file. So every renderer **refuses** such an entry
//! ([`ListingError::UnsafeName`], also for NUL and for empty names) and writes
//! nothing: the server skips it and goes on with the next entry. Owner and
//! group names and MLSx fact values that cannot be written safely are replaced
//! (`ftp`) or left out instead, since the entry itself is still fine.
//!
//! # Parsing tolerance
//! Parsers take one line (a trailing CR/LF is ignored; a CR or LF inside
//! makes the input no entry), never panic, and return `None` for lines that
//! are not entries (`total 12`, banners, garbage). A line no parser accepts
//! stays `None` rather than becoming a guessed entry; the client counts such
//! lines as `skipped` in its listing outcome.
//! See [`parse_list_line`] for the automatic choice of format, and each
//! parser for what it tolerates.
//!
//! # Entry kinds
//! [`FileKind`] keeps what the listing says: files, directories, links,
//! character and block devices (with [`DeviceNumbers`] when shown), FIFOs
//! and sockets, and [`FileKind::Other`] for anything else. Renderers write
//! the matching `ls -l` type letter (`- d l c b p s`) and MLSx type
//! (`file`, `dir`, `cdir`, `pdir`, `OS.unix=slink:…`/`symlink`,
//! `OS.unix=chr-M/N`, `OS.unix=blk-M/N`, `OS.unix=fifo`, `OS.unix=socket`,
//! `OS.unix=other`), and the parsers read them back. Entries named `.` and
//! `..` are returned like any other; MLSx `cdir`/`pdir` come back as
//! [`FileKind::CurrentDirectory`] and [`FileKind::ParentDirectory`] so the
//! caller can skip them.

use bytes::Bytes;

use crate::Timestamp;

pub mod dos;
pub mod eplf;
mod file_info;
pub mod ibmi;
pub mod mlsx;
mod nlst;
pub mod os2;
mod text;
pub mod unix;

pub use dos::parse_dos_line;
pub use eplf::parse_eplf_line;
pub use file_info::{DeviceNumbers, FileInfo, FileKind, Perms};
pub use ibmi::parse_ibmi_line;
pub use mlsx::{
    Facts, FactsError, parse_mlsd_line, parse_mlst_line, write_mlsd_line, write_mlst_line,
    write_mlsx_facts,
};
pub use nlst::write_nlst_line;
pub use os2::parse_os2_line;
pub use unix::{parse_unix_line, write_list_line};

/// Why an entry was not rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListingError {
    /// The name holds CR, LF or NUL: written raw it would inject a line, so the
    /// entry is skipped (see the [module docs](self)).
    #[error("file name contains CR, LF or NUL; entry not listed")]
    UnsafeName,
    /// The name is empty, which no listing line can carry.
    #[error("empty file name; entry not listed")]
    EmptyName,
}

/// Checks that `name` can be written into a listing line.
pub(crate) fn check_name(name: &[u8]) -> Result<(), ListingError> {
    if name.is_empty() {
        Err(ListingError::EmptyName)
    } else if memchr::memchr3(b'\r', b'\n', 0, name).is_some() {
        Err(ListingError::UnsafeName)
    } else {
        Ok(())
    }
}

/// A line being parsed, and the buffer it lives in when the caller has one:
/// parts of the line become `Bytes` by slicing that buffer instead of copying.
#[derive(Clone, Copy)]
pub(crate) struct Src<'a> {
    pub(crate) line: &'a [u8],
    shared: Option<&'a Bytes>,
}

impl<'a> Src<'a> {
    /// A line with its trailing CR/LF removed; parts will be copied.
    pub(crate) fn borrowed(line: &'a [u8]) -> Self {
        Self {
            line: single_line(line),
            shared: None,
        }
    }

    /// A line inside `shared`; parts will share its buffer.
    pub(crate) fn shared(shared: &'a Bytes) -> Self {
        Self {
            line: single_line(shared),
            shared: Some(shared),
        }
    }

    /// The same line minus its first `n` bytes.
    pub(crate) fn skip(self, n: usize) -> Self {
        Self {
            line: self.line.get(n..).unwrap_or_default(),
            shared: self.shared,
        }
    }

    /// An owned handle on `part`, which must be a subslice of `self.line`.
    pub(crate) fn own(&self, part: &[u8]) -> Bytes {
        match self.shared {
            Some(buf) if !part.is_empty() => buf.slice_ref(part),
            _ => Bytes::copy_from_slice(part),
        }
    }
}

/// The line without its trailing CR/LF bytes, or an empty line (which no
/// parser accepts) if a CR or LF remains inside: such input is not one line,
/// and a name holding CR/LF could never be used safely in a command.
fn single_line(line: &[u8]) -> &[u8] {
    let line = trim_line_end(line);
    if memchr::memchr2(b'\r', b'\n', line).is_some() {
        &[]
    } else {
        line
    }
}

/// Strips any trailing CR and LF bytes.
pub(crate) fn trim_line_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

/// Parses one line of a LIST (or MLSD) listing, whatever its format.
///
/// Tries, in this fixed order, and returns the first entry:
/// 1. Unix `ls -l` ([`parse_unix_line`]): the line starts with a permission
///    column such as `-rw-r--r--`;
/// 2. MS-DOS/IIS ([`parse_dos_line`]): it starts with a date `MM-DD-YY`;
/// 3. OS/2 ([`parse_os2_line`]): a size, attribute words, then a date;
/// 4. EPLF ([`parse_eplf_line`]): it starts with `+`;
/// 5. IBM i ([`parse_ibmi_line`]): an owner, then an `*TYPE` word after an
///    optional size, date and time;
/// 6. MLSD facts ([`parse_mlsd_line`]), only when the first word holds a `=`.
///
/// The first five want first words of different shapes (a permission
/// column, a date, a number, `+…`, a name that is neither a number nor a
/// `*TYPE`), so the order only settles lines no real server writes.
///
/// Returns `None` for empty lines, `total N`, `Status of …` and anything no
/// parser accepts. `now` is used to guess the year of Unix lines that show a
/// time instead of a year.
#[must_use]
pub fn parse_list_line(line: &[u8], now: Timestamp) -> Option<FileInfo> {
    parse_any(Src::borrowed(line), now)
}

/// Like [`parse_list_line`], but the names and other byte fields of the result
/// share `line`'s buffer instead of being copied.
#[must_use]
pub fn parse_list_line_bytes(line: &Bytes, now: Timestamp) -> Option<FileInfo> {
    parse_any(Src::shared(line), now)
}

fn parse_any(src: Src<'_>, now: Timestamp) -> Option<FileInfo> {
    let line = src.line;
    let first_word = line.split(|&b| b == b' ').next().unwrap_or_default();
    if line.is_empty()
        || first_word.eq_ignore_ascii_case(b"total")
        || line
            .get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"status of "))
    {
        return None;
    }
    if let Some(info) = unix::parse(src, now) {
        return Some(info);
    }
    if let Some(info) = dos::parse(src) {
        return Some(info);
    }
    if let Some(info) = os2::parse(src) {
        return Some(info);
    }
    if let Some(info) = eplf::parse(src) {
        return Some(info);
    }
    if let Some(info) = ibmi::parse(src) {
        return Some(info);
    }
    if first_word.contains(&b'=') {
        return mlsx::parse(src);
    }
    None
}

#[cfg(test)]
mod tests;
