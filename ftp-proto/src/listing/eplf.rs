//! EPLF, the Easily Parsed LIST Format (D. J. Bernstein's publicfile, some
//! anonymous archives):
//!
//! ```text
//! +i8388621.29609,m824255902,/,<TAB>dev
//! +i8388621.44468,m839956783,r,s10376,up644,<TAB>RFCEPLF
//! ```
//!
//! A line is `+`, then facts each ending with `,`, then a tab, then the name
//! (the rest of the line). [`parse_eplf_line`] reads the facts `/` (CWD may
//! work: a directory), `r` (RETR may work: a file), `s` + decimal size, `m` +
//! decimal Unix time (UTC, seconds), `i` + an identifier (kept as
//! [`FileInfo::unique`]) and `up` + octal permission bits; other facts are
//! ignored, as the format asks. A line with `/` is a directory even if it
//! also has `r`; one with neither is [`FileKind::Other`]. A known fact with
//! a malformed value is dropped, the entry kept.
//!
//! Strict where a line could be something else: it must start with `+`, the
//! facts part must be empty or end with `,`, and the name must not be empty.

use super::text::octal_mode;
use super::{FileInfo, FileKind, Src};
use crate::Timestamp;
use crate::number::decimal_u64;

/// Parses one EPLF line; `None` if the line is not one.
#[must_use]
pub fn parse_eplf_line(line: &[u8]) -> Option<FileInfo> {
    parse(Src::borrowed(line))
}

pub(crate) fn parse(src: Src<'_>) -> Option<FileInfo> {
    let rest = src.line.strip_prefix(b"+")?;
    let tab = memchr::memchr(b'\t', rest)?;
    let (facts, name) = (rest.get(..tab)?, rest.get(tab + 1..)?);
    if name.is_empty() || !(facts.is_empty() || facts.ends_with(b",")) {
        return None;
    }
    let mut info = FileInfo {
        name: src.own(name),
        kind: FileKind::Other,
        ..FileInfo::default()
    };
    let (mut dir, mut file) = (false, false);
    for fact in facts.split(|&b| b == b',') {
        match fact {
            b"/" => dir = true,
            b"r" => file = true,
            [b's', size @ ..] => info.size = decimal_u64(size),
            [b'm', secs @ ..] => {
                info.modified = decimal_u64(secs)
                    .and_then(|s| i64::try_from(s).ok())
                    .map(|s| Timestamp::from_unix(s, 0));
            }
            [b'i', id @ ..] if !id.is_empty() => info.unique = Some(src.own(id)),
            [b'u', b'p', mode @ ..] => info.mode = octal_mode(mode),
            _ => {}
        }
    }
    if dir {
        info.kind = FileKind::Directory;
    } else if file {
        info.kind = FileKind::File;
    }
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts() {
        let f =
            parse_eplf_line(b"+i8388621.44468,m839956783,r,s10376,up644,\tRFCEPLF\r\n").unwrap();
        assert_eq!(&f.name[..], b"RFCEPLF");
        assert_eq!(f.kind, FileKind::File);
        assert_eq!(f.size, Some(10376));
        assert_eq!(f.modified, Some(Timestamp::from_unix(839_956_783, 0)));
        assert_eq!(f.unique.as_deref(), Some(&b"8388621.44468"[..]));
        assert_eq!(f.mode, Some(0o644));
        let d = parse_eplf_line(b"+/,r,\tboth").unwrap();
        assert_eq!(d.kind, FileKind::Directory);
        let bad = parse_eplf_line(b"+m99999999999999999999,sX,up9,i,\tbad values").unwrap();
        assert_eq!(
            (bad.kind, bad.size, bad.modified, bad.mode, bad.unique),
            (FileKind::Other, None, None, None, None)
        );
    }
}
