//! MS-DOS style LIST lines, as written by Microsoft IIS:
//!
//! ```text
//! 07-13-98  09:06PM       <DIR>          aix
//! 03-18-98  06:01AM              2109440 nlxb318e.tar
//! ```
//!
//! [`parse_dos_line`] accepts `MM-DD-YY` or `MM-DD-YYYY` (also with `/`),
//! two-digit years 70..=99 as 19xx and 00..=69 as 20xx, `hh:mmAM`/`hh:mmPM`
//! (also with a space before AM/PM) or a 24-hour `HH:MM`, then `<DIR>`,
//! `<JUNCTION>`/`<SYMLINK>`/`<SYMLINKD>` (a link) or the size (thousands
//! separators `,` tolerated), then the name, which may hold spaces (leading
//! blanks before the name are dropped).

use super::text::{is_blank, small_decimal as small_number, split_word};
use super::{FileInfo, FileKind, Src};
use crate::Timestamp;
use crate::timestamp::CivilDateTime;

/// Parses one MS-DOS/IIS style line; `None` if the line is not one.
///
/// The time is taken as UTC (IIS writes server-local time; there is no zone).
#[must_use]
pub fn parse_dos_line(line: &[u8]) -> Option<FileInfo> {
    parse(Src::borrowed(line))
}

/// `MM-DD-YY`, `MM-DD-YYYY` (or with `/`) → (year, month, day); two-digit
/// years 70..=99 are 19xx, 00..=69 are 20xx. Also used for OS/2 lines.
pub(crate) fn parse_date(text: &[u8]) -> Option<(i32, u8, u8)> {
    let mut parts = text.split(|&b| b == b'-' || b == b'/');
    let month = small_number(parts.next()?, 2)?;
    let day = small_number(parts.next()?, 2)?;
    let year_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = match year_text.len() {
        2 => {
            let y = small_number(year_text, 2)?;
            if y >= 70 { 1900 + y } else { 2000 + y }
        }
        4 => small_number(year_text, 4)?,
        _ => return None,
    };
    Some((
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    ))
}

/// `hh:mm[AM|PM]` → (hour, minute); `suffix` is a separate `AM`/`PM` word if any.
/// Also used for the 24-hour times of OS/2 lines.
pub(crate) fn parse_time(text: &[u8], suffix: Option<&[u8]>) -> Option<(u8, u8)> {
    let (clock, meridiem) = match text.len().checked_sub(2).map(|i| text.split_at(i)) {
        Some((clock, m)) if m.eq_ignore_ascii_case(b"AM") || m.eq_ignore_ascii_case(b"PM") => {
            (clock, Some(m))
        }
        _ => (text, suffix),
    };
    let colon = memchr::memchr(b':', clock)?;
    let hour = small_number(clock.get(..colon)?, 2)?;
    let minute_text = clock.get(colon + 1..)?;
    if minute_text.len() != 2 {
        return None;
    }
    let minute = small_number(minute_text, 2)?;
    let hour = match meridiem {
        Some(m) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            let pm = m.eq_ignore_ascii_case(b"PM");
            (hour % 12) + if pm { 12 } else { 0 }
        }
        None => hour,
    };
    if hour > 23 || minute > 59 {
        return None;
    }
    Some((u8::try_from(hour).ok()?, u8::try_from(minute).ok()?))
}

fn parse_size(text: &[u8]) -> Option<u64> {
    let mut digits = 0usize;
    let mut value = 0u64;
    for &b in text {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            }
            b',' if digits > 0 => {}
            _ => return None,
        }
    }
    (digits > 0).then_some(value)
}

pub(crate) fn parse(src: Src<'_>) -> Option<FileInfo> {
    let line = src.line;
    if line.first().is_none_or(|b| !b.is_ascii_digit()) {
        return None;
    }
    let (date, rest) = split_word(line)?;
    let (year, month, day) = parse_date(date)?;
    let (time, mut rest) = split_word(rest)?;
    let mut suffix = None;
    if let Some((word, after)) = split_word(rest)
        && (word.eq_ignore_ascii_case(b"AM") || word.eq_ignore_ascii_case(b"PM"))
    {
        suffix = Some(word);
        rest = after;
    }
    let (hour, minute) = parse_time(time, suffix)?;
    let modified = Timestamp::from_civil(CivilDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
    })?;
    let (what, rest) = split_word(rest)?;
    let (kind, size) = if what.eq_ignore_ascii_case(b"<DIR>") {
        (FileKind::Directory, None)
    } else if what.eq_ignore_ascii_case(b"<JUNCTION>")
        || what.eq_ignore_ascii_case(b"<SYMLINK>")
        || what.eq_ignore_ascii_case(b"<SYMLINKD>")
    {
        (FileKind::Symlink { target: None }, None)
    } else {
        (FileKind::File, Some(parse_size(what)?))
    };
    let start = rest.iter().position(|&b| !is_blank(b))?;
    let mut name = rest.get(start..)?;
    let mut kind = kind;
    // `dir/junction [target]` — IIS shows the junction target in brackets.
    if let FileKind::Symlink { target } = &mut kind
        && let (Some(open), Some(b']')) = (memchr::memrchr(b'[', name), name.last())
        && open > 0
        && name.get(open - 1) == Some(&b' ')
    {
        *target = Some(src.own(name.get(open + 1..name.len() - 1)?));
        name = name.get(..open - 1)?;
    }
    if name.is_empty() {
        return None;
    }
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
    fn time_forms() {
        assert_eq!(parse_time(b"12:00AM", None), Some((0, 0)));
        assert_eq!(parse_time(b"12:30PM", None), Some((12, 30)));
        assert_eq!(parse_time(b"09:06PM", None), Some((21, 6)));
        assert_eq!(parse_time(b"09:06", Some(b"pm")), Some((21, 6)));
        assert_eq!(parse_time(b"21:06", None), Some((21, 6)));
        assert_eq!(parse_time(b"13:00PM", None), None);
        assert_eq!(parse_time(b"1:5", None), None);
        assert_eq!(parse_date(b"07-13-98"), Some((1998, 7, 13)));
        assert_eq!(parse_date(b"01-02-2024"), Some((2024, 1, 2)));
        assert_eq!(parse_date(b"01/02/05"), Some((2005, 1, 2)));
        assert_eq!(parse_date(b"01-02-123"), None);
    }
}
