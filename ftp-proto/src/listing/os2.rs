//! OS/2 style LIST lines (the IBM OS/2 FTP server and its descendants):
//!
//! ```text
//!           0           DIR   08-20-98  16:55  DIRNAME
//!         345      A          02-03-04  12:00  file.txt
//!       73098      A    R     04-06-97  15:05  ADDRESS.LST
//! ```
//!
//! [`parse_os2_line`] reads the size, up to three attribute words made of the
//! letters `A` (archive), `R` (read-only), `H` (hidden) and `S` (system),
//! at most one `DIR` marker among them, then the date (`MM-DD-YY` or
//! `MM-DD-YYYY`, two-digit years as in the MS-DOS format), the 24-hour time
//! `HH:MM` and the name (the rest of the line after the blanks, spaces inside
//! kept). Directories are [`FileKind::Directory`] without a size (the `0`
//! shown is meaningless); the time is taken as UTC.

use super::dos::{parse_date, parse_time};
use super::text::{skip_blanks, split_word};
use super::{FileInfo, FileKind, Src};
use crate::Timestamp;
use crate::number::decimal_u64;
use crate::timestamp::CivilDateTime;

/// Parses one OS/2 style line; `None` if the line is not one.
#[must_use]
pub fn parse_os2_line(line: &[u8]) -> Option<FileInfo> {
    parse(Src::borrowed(line))
}

/// Whether `word` is a set of OS/2 file attribute letters.
fn is_attributes(word: &[u8]) -> bool {
    (1..=4).contains(&word.len()) && word.iter().all(|b| matches!(b, b'A' | b'R' | b'H' | b'S'))
}

pub(crate) fn parse(src: Src<'_>) -> Option<FileInfo> {
    let (size_word, mut rest) = split_word(src.line)?;
    let size = decimal_u64(size_word)?;
    let mut dir = false;
    let mut word;
    let mut words_seen = 0;
    loop {
        (word, rest) = split_word(rest)?;
        if word == b"DIR" && !dir {
            dir = true;
        } else if !is_attributes(word) {
            break;
        }
        words_seen += 1;
        if words_seen > 3 {
            return None;
        }
    }
    let (year, month, day) = parse_date(word)?;
    let (time, rest) = split_word(rest)?;
    // 24-hour only: an AM/PM time belongs to the MS-DOS format.
    if !time.last().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let (hour, minute) = parse_time(time, None)?;
    let modified = Timestamp::from_civil(CivilDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
    })?;
    let name = skip_blanks(rest);
    if name.is_empty() {
        return None;
    }
    let (kind, size) = if dir {
        (FileKind::Directory, None)
    } else {
        (FileKind::File, Some(size))
    };
    Some(FileInfo {
        name: src.own(name),
        kind,
        size,
        modified: Some(modified),
        ..FileInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_and_markers() {
        assert!(is_attributes(b"A"));
        assert!(is_attributes(b"RA"));
        assert!(!is_attributes(b"DIR"));
        assert!(!is_attributes(b"a"));
        assert!(!is_attributes(b""));
        // DIR once only; at most three marker words.
        assert!(parse_os2_line(b"0 DIR DIR 08-20-98 16:55 x").is_none());
        assert!(parse_os2_line(b"0 A R H S 08-20-98 16:55 x").is_none());
        assert!(parse_os2_line(b"0 A R H 08-20-98 16:55 x").is_some());
        // 12-hour times belong to the MS-DOS format, not here.
        assert!(parse_os2_line(b"5 A 08-20-98 04:55PM x").is_none());
    }
}
