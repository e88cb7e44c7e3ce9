//! IBM i (OS/400, AS/400) LIST lines, the server's `LISTFMT 0` layout: owner,
//! size, date, time, object type, name.
//!
//! ```text
//! QSYS           77824 02/23/00 15:09:55 *DIR       RCHSITES/
//! QDOC           24576 12/21/99 10:47:59 *FLR       QDLS/
//! WEBADM          5120 03/01/21 08:15:02 *STMF      index.html
//! PAYROLL        36864 06/15/04 08:10:11 *FILE      PAYFILE
//! PAYROLL                                *MEM       PAYFILE.JAN2004
//! PAYROLL                                *MEM       PAYFILE.FILE/FEB2004.MBR
//! ```
//!
//! [`parse_ibmi_line`] reads:
//! - the owner (the first word, at the start of the line);
//! - size, date and time, all three or none: database file members (`*MEM`)
//!   are listed on their own lines after their `*FILE`, with only owner,
//!   type and name. Such a member line is an entry by itself: its name
//!   (`FILE.MEMBER`, or `FILE.FILE/MEMBER.MBR` with `NAMEFMT 1`) is kept as
//!   written, which is the name `RETR` takes in that directory;
//! - the date as `MM/DD/YY` (the shipped `*MDY` format; read as `DD/MM/YY`
//!   when the first number cannot be a month), `DD.MM.YY` (`*DMY` with `.`)
//!   or `YYYY-MM-DD`, each also with a four-digit year; two-digit years
//!   40..=99 are 19xx and 00..=39 are 20xx, as on IBM i; other date forms
//!   are refused rather than guessed;
//! - the time `HH:MM:SS` (`:` or `.` between the parts), taken as UTC;
//! - the object type, `*` and 1 to 10 capitals or digits: `*DIR`, `*DDIR`,
//!   `*LIB` and `*FLR` are directories; `*STMF`, `*DSTMF`, `*DOC`, `*FILE`
//!   and `*MEM` files; `*SYMLNK` a link, `*FIFO`, `*SOCKET`, `*CHRSF` and
//!   `*BLKSF` the special kinds; anything else (`*PGM`, `*DTAARA`, …) is
//!   [`FileKind::Other`];
//! - the name, the rest of the line after the blanks. A name ending in `/`
//!   is a directory whatever the type says, and loses the `/`.

use super::text::{is_blank, skip_blanks, small_decimal, split_word};
use super::{FileInfo, FileKind, Src};
use crate::Timestamp;
use crate::number::decimal_u64;
use crate::timestamp::CivilDateTime;

/// Parses one IBM i (OS/400) style line; `None` if the line is not one.
#[must_use]
pub fn parse_ibmi_line(line: &[u8]) -> Option<FileInfo> {
    parse(Src::borrowed(line))
}

/// The kind an object type stands for.
fn object_kind(object_type: &[u8]) -> FileKind {
    match object_type {
        b"*DIR" | b"*DDIR" | b"*LIB" | b"*FLR" => FileKind::Directory,
        b"*STMF" | b"*DSTMF" | b"*DOC" | b"*FILE" | b"*MEM" => FileKind::File,
        b"*SYMLNK" => FileKind::Symlink { target: None },
        b"*FIFO" => FileKind::Fifo,
        b"*SOCKET" => FileKind::Socket,
        b"*CHRSF" => FileKind::CharDevice { device: None },
        b"*BLKSF" => FileKind::BlockDevice { device: None },
        _ => FileKind::Other,
    }
}

/// Whether `word` is an object type: `*` and 1 to 10 capitals or digits.
fn is_object_type(word: &[u8]) -> bool {
    match word.split_first() {
        Some((b'*', rest)) => {
            (1..=10).contains(&rest.len())
                && rest
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
        _ => false,
    }
}

/// A two-digit year on IBM i: 40..=99 are 19xx, 00..=39 are 20xx.
fn full_year(text: &[u8]) -> Option<u32> {
    let y = small_decimal(text, 4)?;
    match text.len() {
        2 if y >= 40 => Some(1900 + y),
        2 => Some(2000 + y),
        4 => Some(y),
        _ => None,
    }
}

/// The date forms described in the [module docs](self) → (year, month, day).
fn parse_date(text: &[u8]) -> Option<(i32, u8, u8)> {
    let sep = *text.iter().find(|b| !b.is_ascii_digit())?;
    let mut parts = text.split(|&b| b == sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (year, month, day) = match sep {
        b'/' => {
            let (first, second) = (small_decimal(a, 2)?, small_decimal(b, 2)?);
            if first > 12 {
                (full_year(c)?, second, first)
            } else {
                (full_year(c)?, first, second)
            }
        }
        b'.' => (full_year(c)?, small_decimal(b, 2)?, small_decimal(a, 2)?),
        b'-' if a.len() == 4 => (full_year(a)?, small_decimal(b, 2)?, small_decimal(c, 2)?),
        _ => return None,
    };
    Some((
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    ))
}

/// `HH:MM:SS` (or with `.`) → (hour, minute, second).
fn parse_time(text: &[u8]) -> Option<(u8, u8, u8)> {
    let sep = *text.get(2)?;
    if sep != b':' && sep != b'.' {
        return None;
    }
    let mut parts = text.split(|&b| b == sep);
    let mut next = || -> Option<u8> {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        u8::try_from(small_decimal(part, 2)?).ok()
    };
    let (h, m, s) = (next()?, next()?, next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((h, m, s))
}

pub(crate) fn parse(src: Src<'_>) -> Option<FileInfo> {
    let line = src.line;
    // The owner starts the line; it is a name, never a number or a type.
    if line.first().is_none_or(|&b| is_blank(b) || b == b'*') {
        return None;
    }
    let (owner, rest) = split_word(line)?;
    if decimal_u64(owner).is_some() {
        return None;
    }
    let (word, mut rest) = split_word(rest)?;
    let (size, modified, object_type) = if is_object_type(word) {
        (None, None, word)
    } else {
        let size = decimal_u64(word)?;
        let (date, after) = split_word(rest)?;
        let (time, after) = split_word(after)?;
        let (object_type, after) = split_word(after)?;
        rest = after;
        let (year, month, day) = parse_date(date)?;
        let (hour, minute, second) = parse_time(time)?;
        let modified = Timestamp::from_civil(CivilDateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })?;
        (Some(size), Some(modified), object_type)
    };
    if !is_object_type(object_type) {
        return None;
    }
    let mut name = skip_blanks(rest);
    let mut kind = object_kind(object_type);
    if let Some(dir) = name.strip_suffix(b"/") {
        name = dir;
        kind = FileKind::Directory;
    }
    if name.is_empty() {
        return None;
    }
    Some(FileInfo {
        name: src.own(name),
        kind,
        size,
        modified,
        owner: Some(src.own(owner)),
        ..FileInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date(b"02/23/00"), Some((2000, 2, 23)));
        assert_eq!(parse_date(b"12/21/99"), Some((1999, 12, 21)));
        assert_eq!(parse_date(b"23/02/39"), Some((2039, 2, 23)));
        assert_eq!(parse_date(b"23.02.40"), Some((1940, 2, 23)));
        assert_eq!(parse_date(b"23.02.2024"), Some((2024, 2, 23)));
        assert_eq!(parse_date(b"2024-02-23"), Some((2024, 2, 23)));
        // Forms that would need a guess are refused.
        assert_eq!(parse_date(b"24-02-23"), None);
        assert_eq!(parse_date(b"02/23-00"), None);
        assert_eq!(parse_date(b"02/23/0"), None);
        assert_eq!(parse_date(b"02/23/00/1"), None);
        assert_eq!(parse_time(b"15:09:55"), Some((15, 9, 55)));
        assert_eq!(parse_time(b"15.09.55"), Some((15, 9, 55)));
        assert_eq!(parse_time(b"15:09"), None);
        assert_eq!(parse_time(b"5:09:55"), None);
        assert_eq!(parse_time(b"15:09:55:1"), None);
    }

    #[test]
    fn object_types() {
        assert!(is_object_type(b"*STMF"));
        assert!(is_object_type(b"*USRPRF"));
        assert!(!is_object_type(b"*"));
        assert!(!is_object_type(b"*stmf"));
        assert!(!is_object_type(b"*ABCDEFGHIJK"));
        assert!(!is_object_type(b"STMF"));
        assert_eq!(object_kind(b"*PGM"), FileKind::Other);
        assert_eq!(object_kind(b"*LIB"), FileKind::Directory);
    }
}
