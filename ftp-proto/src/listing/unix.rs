//! Unix `ls -l` style LIST lines.
//!
//! Rendering follows vsftpd (`ls.c`): permissions, link count right-aligned in
//! 4 columns, owner and group left-aligned in 8, size right-aligned in 8, the
//! date, the name, and ` -> target` for symlinks:
//!
//! ```text
//! -rw-r--r--    1 ftp      ftp          1830 Mar 02 14:07 hatch.c
//! drwxr-xr-x    2 ftp      ftp          4096 Jan 05  2019 old dir
//! ```
//!
//! The date is `Mon DD HH:MM` when the time is at most 182 days before `now`
//! and not after it, else `Mon DD  YYYY`. Times are written in UTC. The type
//! letter follows the [`FileKind`]: `d`, `l`, `c`, `b`, `p`, `s`, else `-`;
//! a device whose numbers are known shows `major, minor` instead of a size,
//! as `ls -l` does:
//!
//! ```text
//! crw-rw-rw-    1 0        0          1,   3 Jan 05  2019 null
//! ```
//!
//! Parsing ([`parse_unix_line`]) accepts what lftp accepts: a missing group
//! column (or owner and group both missing), a missing link count, device
//! files (`major, minor` or `major,minor` instead of a size; only for `c`
//! and `b` lines), ACL markers after the permissions (`+`, `.`, `@`), names
//! with spaces (leading and repeated ones kept), `name -> target` for
//! symlinks (only there: in other lines ` -> ` is part of the name), `Mon DD
//! HH:MM` (year guessed from `now`: this year unless that is more than 6
//! days ahead, else the year before) and `Mon DD YYYY`.
//!
//! The name starts after exactly one blank, with one exception: a year
//! preceded by a single blank (`Dec 24 2022  name`, servers that pad the year
//! to the width of `HH:MM` on the right) may be followed by one extra blank,
//! which is dropped. After the usual right-aligned year (`Dec 24  2022 name`)
//! a second blank belongs to the name.

use arrayvec::ArrayVec;
use bytes::BytesMut;
use core::fmt::Write as _;

use super::text::is_blank;
use super::{DeviceNumbers, FileInfo, FileKind, ListingError, Src, check_name};
use crate::Timestamp;
use crate::number::decimal_u64;
use crate::timestamp::{CivilDateTime, MONTH_ABBREVIATIONS};

/// How far back a time may lie and still be shown as `HH:MM` (vsftpd's rule).
const RECENT_SECS: i64 = 182 * 86_400;
/// How far ahead of `now` a yearless date may lie before it is taken as last year's.
const FUTURE_SLACK_SECS: i64 = 6 * 86_400;

/// The `ls -l` type letter of a kind.
fn type_char(kind: &FileKind) -> u8 {
    match kind {
        FileKind::Directory | FileKind::CurrentDirectory | FileKind::ParentDirectory => b'd',
        FileKind::Symlink { .. } => b'l',
        FileKind::CharDevice { .. } => b'c',
        FileKind::BlockDevice { .. } => b'b',
        FileKind::Fifo => b'p',
        FileKind::Socket => b's',
        // Unknown kinds are shown as plain files.
        FileKind::File | FileKind::Other => b'-',
    }
}

/// The ten-character permission column (`drwxr-xr-x`, with s/S/t/T).
fn perm_string(kind: &FileKind, mode: u32) -> [u8; 10] {
    let mut s = *b"----------";
    s[0] = type_char(kind);
    let bits = [
        (0o400, b'r'),
        (0o200, b'w'),
        (0o100, b'x'),
        (0o040, b'r'),
        (0o020, b'w'),
        (0o010, b'x'),
        (0o004, b'r'),
        (0o002, b'w'),
        (0o001, b'x'),
    ];
    for (i, (bit, c)) in bits.into_iter().enumerate() {
        if mode & bit != 0 {
            s[i + 1] = c;
        }
    }
    for (special, idx, set_exec, set_noexec) in [
        (0o4000, 3, b's', b'S'),
        (0o2000, 6, b's', b'S'),
        (0o1000, 9, b't', b'T'),
    ] {
        if mode & special != 0 {
            s[idx] = if s[idx] == b'x' { set_exec } else { set_noexec };
        }
    }
    s
}

/// Whether an owner/group name can go into a column: no blanks or controls,
/// and no trailing `,` (which would read as a device's major number).
fn is_column_safe(name: &[u8]) -> bool {
    !name.is_empty() && !name.ends_with(b",") && name.iter().all(|&b| b > b' ' && b != 0x7f)
}

fn put_padded(out: &mut BytesMut, text: &[u8], width: usize, right: bool) {
    let pad = width.saturating_sub(text.len());
    if right {
        out.extend(core::iter::repeat_n(b' ', pad));
    }
    out.extend_from_slice(text);
    if !right {
        out.extend(core::iter::repeat_n(b' ', pad));
    }
}

/// Appends the LIST line of `info` (vsftpd layout, CRLF-terminated) to `out`.
///
/// `now` decides between the `HH:MM` and the year form of the date. A
/// device with known [`DeviceNumbers`] shows them instead of the size.
/// Missing fields get defaults: mode `0644` (files) / `0755` (directories) /
/// `0777` (symlinks), 1 link (2 for directories), owner and group `ftp` (also
/// used when a name holds blanks or control bytes or ends with `,`), size 0,
/// date 1970-01-01. A symlink target that holds CR/LF/NUL is left out.
///
/// Refuses entries whose name is empty or holds CR, LF or NUL, writing nothing.
pub fn write_list_line(
    info: &FileInfo,
    now: Timestamp,
    out: &mut BytesMut,
) -> Result<(), ListingError> {
    check_name(&info.name)?;
    let is_dir = info.kind.is_dir();
    let mode = info.mode.unwrap_or(match info.kind {
        FileKind::Symlink { .. } => 0o777,
        _ if is_dir => 0o755,
        _ => 0o644,
    });
    out.reserve(64 + info.name.len());
    out.extend_from_slice(&perm_string(&info.kind, mode));
    let links = info.links.unwrap_or(if is_dir { 2 } else { 1 });
    let _ = write!(out, " {links:>4} ");
    let column = |v: &Option<bytes::Bytes>| -> bytes::Bytes {
        match v {
            Some(name) if is_column_safe(name) => name.clone(),
            _ => bytes::Bytes::from_static(b"ftp"),
        }
    };
    put_padded(out, &column(&info.owner), 8, false);
    out.extend_from_slice(b" ");
    put_padded(out, &column(&info.group), 8, false);
    match &info.kind {
        FileKind::CharDevice { device: Some(d) } | FileKind::BlockDevice { device: Some(d) } => {
            let _ = write!(out, " {:>3}, {:>3} ", d.major, d.minor);
        }
        _ => {
            let size = info.size.unwrap_or(0);
            let _ = write!(out, " {size:>8} ");
        }
    }
    let modified = info.modified.unwrap_or(Timestamp::UNIX_EPOCH);
    let c = modified.to_civil();
    let month = MONTH_ABBREVIATIONS
        .get(usize::from(c.month).wrapping_sub(1))
        .copied()
        .unwrap_or("Jan");
    let age = now.unix_seconds().saturating_sub(modified.unix_seconds());
    if (0..=RECENT_SECS).contains(&age) {
        let _ = write!(out, "{month} {:02} {:02}:{:02} ", c.day, c.hour, c.minute);
    } else {
        let _ = write!(out, "{month} {:02}  {:04} ", c.day, c.year);
    }
    out.extend_from_slice(&info.name);
    if let FileKind::Symlink {
        target: Some(target),
    } = &info.kind
        && check_name(target).is_ok()
    {
        out.extend_from_slice(b" -> ");
        out.extend_from_slice(target);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Parses one Unix `ls -l` style line (see the [module docs](self) for what is
/// tolerated). `now` is used to guess the year when the line shows a time.
///
/// The result's `modified` is in UTC as written (LIST gives no zone; servers
/// may use local time) with minute precision for `HH:MM` lines and midnight
/// for year lines. Returns `None` if the line is not such an entry.
#[must_use]
pub fn parse_unix_line(line: &[u8], now: Timestamp) -> Option<FileInfo> {
    parse(Src::borrowed(line), now)
}

/// Byte ranges of whitespace-separated words.
type Word = (usize, usize);

/// The next word at or after `from`, as a range into `line`.
fn next_word(line: &[u8], from: usize) -> Option<Word> {
    let rest = line.get(from..)?;
    let start = from + rest.iter().position(|&b| !is_blank(b))?;
    let len = line
        .get(start..)?
        .iter()
        .position(|&b| is_blank(b))
        .unwrap_or(line.len() - start);
    Some((start, start + len))
}

fn month_number(text: &[u8]) -> Option<u8> {
    let i = MONTH_ABBREVIATIONS
        .iter()
        .position(|m| text.eq_ignore_ascii_case(m.as_bytes()))?;
    u8::try_from(i + 1).ok()
}

/// The permission column: kind and mode, or `None` if `text` is not one.
fn parse_perms(text: &[u8]) -> Option<(FileKind, u32)> {
    let (head, extra) = text.split_at_checked(10)?;
    if !extra.iter().all(|b| matches!(b, b'+' | b'.' | b'@')) || extra.len() > 1 {
        return None;
    }
    let kind = match head.first()? {
        b'-' => FileKind::File,
        b'd' => FileKind::Directory,
        b'l' => FileKind::Symlink { target: None },
        b'c' => FileKind::CharDevice { device: None },
        b'b' => FileKind::BlockDevice { device: None },
        b'p' => FileKind::Fifo,
        b's' => FileKind::Socket,
        // Solaris door, HP-UX network special file.
        b'D' | b'n' => FileKind::Other,
        _ => return None,
    };
    let mut mode = 0u32;
    for (i, &c) in head.get(1..)?.iter().enumerate() {
        let bit = 1u32 << (8 - i);
        let exec_slot = i % 3 == 2;
        match (c, i % 3) {
            (b'-', _) => {}
            (b'r', 0) | (b'w', 1) | (b'x', 2) => mode |= bit,
            (b's' | b'S', 2) if i < 6 => {
                mode |= if i == 2 { 0o4000 } else { 0o2000 };
                if c == b's' {
                    mode |= bit;
                }
            }
            (b't' | b'T', 2) if i == 8 => {
                mode |= 0o1000;
                if c == b't' {
                    mode |= bit;
                }
            }
            // Mandatory locking shows as `l`/`L` in the group execute slot.
            (b'l' | b'L', _) if exec_slot => {}
            _ => return None,
        }
    }
    Some((kind, mode))
}

/// Device numbers from the `major` and `minor` texts: `None` if they are not
/// decimal numbers, `Some(None)` if they are but do not fit (the kind stays,
/// the numbers are dropped).
fn device_numbers(major: &[u8], minor: &[u8]) -> Option<Option<DeviceNumbers>> {
    let (major, minor) = (decimal_u64(major)?, decimal_u64(minor)?);
    Some(
        u32::try_from(major)
            .ok()
            .zip(u32::try_from(minor).ok())
            .map(|(major, minor)| DeviceNumbers { major, minor }),
    )
}

/// `HH:MM` → (hour, minute).
fn parse_clock(text: &[u8]) -> Option<(u8, u8)> {
    let colon = memchr::memchr(b':', text)?;
    let (h, m) = (text.get(..colon)?, text.get(colon + 1..)?);
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let hour = u8::try_from(decimal_u64(h)?).ok()?;
    let minute = u8::try_from(decimal_u64(m)?).ok()?;
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// The date from `Mon DD HH:MM` / `Mon DD YYYY` words; the bool says "year form".
fn parse_date(month: &[u8], day: &[u8], last: &[u8], now: Timestamp) -> Option<(Timestamp, bool)> {
    let month = month_number(month)?;
    if day.len() > 2 {
        return None;
    }
    let day = u8::try_from(decimal_u64(day)?).ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    if last.len() == 4 && last.iter().all(u8::is_ascii_digit) {
        let year = i32::try_from(decimal_u64(last)?).ok()?;
        let ts = Timestamp::from_civil(CivilDateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
        })?;
        return Some((ts, true));
    }
    let (hour, minute) = parse_clock(last)?;
    let latest = now.unix_seconds().saturating_add(FUTURE_SLACK_SECS);
    let this_year = now.to_civil().year;
    // This year unless that is too far ahead; Feb 29 walks back to a leap year.
    (0..8).find_map(|back| {
        let ts = Timestamp::from_civil(CivilDateTime {
            year: this_year.checked_sub(back)?,
            month,
            day,
            hour,
            minute,
            second: 0,
        })?;
        (ts.unix_seconds() <= latest).then_some((ts, false))
    })
}

/// Fills links, owner and group from the words between the permissions and the size.
fn fill_middle(src: &Src<'_>, middle: &[Word], info: &mut FileInfo) {
    let line = src.line;
    let word = |w: &Word| line.get(w.0..w.1).unwrap_or_default();
    let mut rest = middle;
    if let Some((first, tail)) = rest.split_first()
        && let Some(n) = decimal_u64(word(first))
    {
        info.links = Some(n);
        rest = tail;
    }
    if let Some(owner) = rest.first() {
        info.owner = Some(src.own(word(owner)));
    }
    if let Some(group) = rest.get(1) {
        info.group = Some(src.own(word(group)));
    }
}

pub(crate) fn parse(src: Src<'_>, now: Timestamp) -> Option<FileInfo> {
    let line = src.line;
    let word = |w: Word| line.get(w.0..w.1).unwrap_or_default();
    let perms_word = next_word(line, 0)?;
    if perms_word.0 != 0 {
        return None;
    }
    let (kind, mode) = parse_perms(word(perms_word))?;
    // Collect words until the last three read as a date after a size.
    let mut words: ArrayVec<Word, 10> = ArrayVec::new();
    words.push(perms_word);
    let mut at = perms_word.1;
    loop {
        let w = next_word(line, at)?;
        at = w.1;
        words.try_push(w).ok()?;
        let n = words.len();
        if n < 5 {
            continue;
        }
        let (size_w, month_w, day_w, last_w) =
            (words[n - 4], words[n - 3], words[n - 2], words[n - 1]);
        let Some((modified, year_form)) = parse_date(word(month_w), word(day_w), word(last_w), now)
        else {
            continue;
        };
        // Size, or (devices only) `major, minor` / `major,minor`.
        let size_text = word(size_w);
        let mut middle_end = n - 4;
        let mut size = None;
        let mut kind = kind.clone();
        let device_slot = match &mut kind {
            FileKind::CharDevice { device } | FileKind::BlockDevice { device } => Some(device),
            _ => None,
        };
        if let Some(comma) = memchr::memchr(b',', size_text) {
            let (major, minor) = (size_text.get(..comma)?, size_text.get(comma + 1..)?);
            let Some(slot) = device_slot else { continue };
            let Some(numbers) = device_numbers(major, minor) else {
                continue;
            };
            *slot = numbers;
        } else {
            let Some(n_size) = decimal_u64(size_text) else {
                continue;
            };
            size = Some(n_size);
            let major = n
                .checked_sub(5)
                .and_then(|i| words.get(i))
                .and_then(|w| word(*w).strip_suffix(b","));
            if let Some(numbers) = major.and_then(|major| device_numbers(major, size_text)) {
                // `major, minor` on a line that is no device: not a size.
                let Some(slot) = device_slot else { continue };
                *slot = numbers;
                size = None;
                middle_end = n - 5;
            }
        }
        // The name: after one blank; a year after a single blank may be
        // followed by one more (see the module docs).
        let mut name_start = last_w.1;
        if line.get(name_start).copied().is_some_and(is_blank) {
            name_start += 1;
        }
        let single_blank_before_year = last_w
            .0
            .checked_sub(2)
            .and_then(|i| line.get(i))
            .is_some_and(|&b| !is_blank(b));
        if year_form && single_blank_before_year && line.get(name_start) == Some(&b' ') {
            name_start += 1;
        }
        let mut name = line.get(name_start..).unwrap_or_default();
        if let FileKind::Symlink { target } = &mut kind
            && let Some(arrow) = memchr::memmem::find(name, b" -> ")
        {
            *target = Some(src.own(name.get(arrow + 4..).unwrap_or_default()));
            name = name.get(..arrow).unwrap_or_default();
        }
        if name.is_empty() {
            return None;
        }
        let mut info = FileInfo {
            name: src.own(name),
            kind,
            size,
            modified: Some(modified),
            mode: Some(mode),
            ..FileInfo::default()
        };
        fill_middle(
            &src,
            words.get(1..middle_end).unwrap_or_default(),
            &mut info,
        );
        return Some(info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_ftp(s.as_bytes()).unwrap()
    }

    fn render(info: &FileInfo, now: Timestamp) -> String {
        let mut out = BytesMut::new();
        write_list_line(info, now, &mut out).unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn renders_vsftpd_layout() {
        let now = ts("20240310120000");
        let f = FileInfo::new("notes.txt", FileKind::File)
            .with_size(4096)
            .with_mode(0o644)
            .with_owner("1000", "1000")
            .with_modified(ts("20240302140700"));
        assert_eq!(
            render(&f, now),
            "-rw-r--r--    1 1000     1000         4096 Mar 02 14:07 notes.txt\r\n"
        );
        let d = FileInfo::new("old dir", FileKind::Directory)
            .with_size(4096)
            .with_modified(ts("20190105000000"));
        assert_eq!(
            render(&d, now),
            "drwxr-xr-x    2 ftp      ftp          4096 Jan 05  2019 old dir\r\n"
        );
        let l = FileInfo::new(
            "cur",
            FileKind::Symlink {
                target: Some("target".into()),
            },
        )
        .with_size(7)
        .with_owner("0", "0")
        .with_links(1)
        .with_modified(ts("20240211090000"));
        assert_eq!(
            render(&l, now),
            "lrwxrwxrwx    1 0        0               7 Feb 11 09:00 cur -> target\r\n"
        );
        // In the future: year form.
        let future = f.clone().with_modified(ts("20240311000000"));
        assert!(render(&future, now).contains("Mar 11  2024 "));
        // Unsafe owner falls back to ftp; special bits.
        let s = FileInfo::new("x", FileKind::File)
            .with_mode(0o6755)
            .with_owner("a b", "g\n");
        assert!(render(&s, now).starts_with("-rwsr-sr-x    1 ftp      ftp      "));
        assert_eq!(perm_string(&FileKind::Directory, 0o1777), *b"drwxrwxrwt");
        assert_eq!(perm_string(&FileKind::File, 0o1666), *b"-rw-rw-rwT");
    }

    #[test]
    fn renders_special_kinds() {
        let now = ts("20240310120000");
        let at = ts("20190105000000");
        let line = |kind: FileKind| {
            let info = FileInfo::new("x", kind)
                .with_owner("0", "0")
                .with_modified(at);
            render(&info, now)
        };
        let dev = Some(DeviceNumbers::new(1, 3));
        assert_eq!(
            line(FileKind::CharDevice { device: dev }),
            "crw-r--r--    1 0        0          1,   3 Jan 05  2019 x\r\n"
        );
        assert_eq!(
            line(FileKind::BlockDevice {
                device: Some(DeviceNumbers::new(259, 65_536))
            }),
            "brw-r--r--    1 0        0        259, 65536 Jan 05  2019 x\r\n"
        );
        assert_eq!(
            line(FileKind::CharDevice { device: None }),
            "crw-r--r--    1 0        0               0 Jan 05  2019 x\r\n"
        );
        assert!(line(FileKind::Fifo).starts_with("prw-r--r-- "));
        assert!(line(FileKind::Socket).starts_with("srw-r--r-- "));
        assert!(line(FileKind::Other).starts_with("-rw-r--r-- "));
        // A group that ends with `,` would read as a major number.
        let g = FileInfo::new("x", FileKind::File).with_owner("u", "259,");
        assert!(render(&g, now).starts_with("-rw-r--r--    1 u        ftp  "));
    }

    #[test]
    fn refuses_unsafe_names() {
        let mut out = BytesMut::new();
        let now = Timestamp::UNIX_EPOCH;
        for name in [&b"a\nb"[..], b"a\rb", b"\0", b""] {
            let f = FileInfo::new(bytes::Bytes::copy_from_slice(name), FileKind::File);
            assert!(write_list_line(&f, now, &mut out).is_err());
        }
        assert!(out.is_empty());
    }

    #[test]
    fn perms_round_trip() {
        for mode in 0..0o10000u32 {
            for kind in [
                FileKind::File,
                FileKind::Directory,
                FileKind::Fifo,
                FileKind::Socket,
                FileKind::CharDevice { device: None },
                FileKind::BlockDevice { device: None },
            ] {
                let s = perm_string(&kind, mode);
                assert_eq!(parse_perms(&s), Some((kind.clone(), mode)), "{mode:o}");
            }
        }
    }
}
