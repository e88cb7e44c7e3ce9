//! MLSD and MLST fact lines (RFC 3659 §7).
//!
//! A line is `fact=value;fact=value; name`: each fact ends with `;`, exactly
//! one space separates the facts from the name, and the name is the rest of
//! the line (spaces included). MLSD lines (data connection) hold bare names
//! and end with CRLF; MLST lines (inside a `250` reply) start with a space and
//! carry the path that was asked about.
//!
//! # Rendering
//! [`write_mlsx_facts`] writes the facts selected by a [`Facts`] set in a
//! fixed order: `type`, `size`, `modify`, `create`, `perm`, `unique`,
//! `UNIX.mode` (octal, `0644`), `UNIX.owner`, `UNIX.group`. A fact whose value
//! is unknown is left out; so is one whose value could not be parsed back
//! (holding `;`, a blank or a control byte). Times are whole seconds in UTC.
//! Symlinks are `type=OS.unix=slink:<target>` (ProFTPD) or
//! `type=OS.unix=symlink` without a usable target; devices are
//! `type=OS.unix=chr-<major>/<minor>` and `type=OS.unix=blk-<major>/<minor>`
//! (RFC 3659's examples), or `OS.unix=chr` / `OS.unix=blk` when the numbers
//! are unknown; FIFOs and sockets are `OS.unix=fifo` and `OS.unix=socket`;
//! anything else is `type=OS.unix=other`.
//!
//! # Parsing
//! Following lftp, [`parse_mlsd_line`] splits at the first `"; "` (fallback:
//! the first space), splits the facts on `;` and each at its first `=`, and
//! compares fact names without regard to case. It tolerates a last fact
//! without `;` (NcFTPd), `UNIX.mode=0o644` (pyftpdlib) as well as `0644`,
//! `sizd` for directory sizes (Pure-FTPd), `perms` for `perm` (FileZilla
//! Server), fractional times, the Y2K `19100…` year form, `UNIX.ownername`,
//! `UNIX.uid` and the like, and ignores facts it does not know. An `OS.<name>`
//! type is read by its value whatever the system name: `slink[:target]` and
//! `symlink`; `chr`/`blk` with optional `-major/minor` (numbers that do not
//! parse are dropped, the kind kept); `fifo` or `pipe`; `socket` or `sock`;
//! any other value is [`FileKind::Other`].
//!
//! # Selection
//! [`Facts`] is the set of facts a session returns; `OPTS MLST` changes it
//! ([`Facts::parse_opts`], [`Facts::write_opts_reply`]) and FEAT advertises it
//! ([`Facts::write_feat_line`]).

use arrayvec::ArrayVec;
use bytes::BytesMut;
use core::fmt;
use core::fmt::Write as _;

use super::{DeviceNumbers, FileInfo, FileKind, ListingError, Perms, Src, check_name};
use crate::Timestamp;
use crate::number::decimal_u64;

/// A set of MLSx facts: the ones a server supports, or the ones a session selected.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facts(u16);

/// Each fact with its canonical name, in rendering order.
const FACT_NAMES: [(Facts, &str); 9] = [
    (Facts::TYPE, "type"),
    (Facts::SIZE, "size"),
    (Facts::MODIFY, "modify"),
    (Facts::CREATE, "create"),
    (Facts::PERM, "perm"),
    (Facts::UNIQUE, "unique"),
    (Facts::UNIX_MODE, "UNIX.mode"),
    (Facts::UNIX_OWNER, "UNIX.owner"),
    (Facts::UNIX_GROUP, "UNIX.group"),
];

/// Why an `OPTS MLST` argument was refused (answer 501, keep the old selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    /// The fact list holds a blank or a control byte (RFC 3659 §7.9).
    #[error("bad MLST fact list")]
    Syntax,
}

impl Facts {
    /// No facts (names only).
    pub const NONE: Self = Self(0);
    /// `type`: file, dir, cdir, pdir or `OS.unix=…`.
    pub const TYPE: Self = Self(1 << 0);
    /// `size` in octets.
    pub const SIZE: Self = Self(1 << 1);
    /// `modify`: last modification time.
    pub const MODIFY: Self = Self(1 << 2);
    /// `create`: creation time.
    pub const CREATE: Self = Self(1 << 3);
    /// `perm`: the letters of [`Perms`].
    pub const PERM: Self = Self(1 << 4);
    /// `unique`: an identifier of the underlying object.
    pub const UNIQUE: Self = Self(1 << 5);
    /// `UNIX.mode`: octal permission bits.
    pub const UNIX_MODE: Self = Self(1 << 6);
    /// `UNIX.owner`: owner name.
    pub const UNIX_OWNER: Self = Self(1 << 7);
    /// `UNIX.group`: group name.
    pub const UNIX_GROUP: Self = Self(1 << 8);
    /// Every fact this module can render.
    pub const ALL: Self = Self((1 << 9) - 1);
    /// The facts returned until `OPTS MLST` says otherwise: type, size, modify,
    /// perm, unique and UNIX.mode (RFC 3659 §7.5.10 asks for at least the first five).
    pub const DEFAULT: Self = Self(
        Self::TYPE.0
            | Self::SIZE.0
            | Self::MODIFY.0
            | Self::PERM.0
            | Self::UNIQUE.0
            | Self::UNIX_MODE.0,
    );

    /// The set with these bits (bit 0 = type … bit 8 = UNIX.group, in
    /// rendering order); bits beyond the known facts are dropped.
    #[must_use]
    pub const fn from_bits_truncate(bits: u16) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// The bits of this set (see [`from_bits_truncate`](Self::from_bits_truncate)).
    #[must_use]
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every fact in `other` is in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The facts in both sets.
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The facts in either set.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The fact with this name (any case), if this module knows it.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        FACT_NAMES
            .iter()
            .find(|(_, n)| name.eq_ignore_ascii_case(n.as_bytes()))
            .map(|&(f, _)| f)
    }

    /// The canonical names of the facts in this set, in rendering order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        FACT_NAMES
            .into_iter()
            .filter(move |&(f, _)| self.contains(f))
            .map(|(_, n)| n)
    }

    /// Parses the argument of `OPTS MLST` (`type;size;…`, possibly empty):
    /// the new selection is the named facts that are in `supported`; unknown
    /// names are dropped silently (RFC 3659 §7.9). A blank or control byte in
    /// the list is a syntax error (reply 501, selection unchanged).
    pub fn parse_opts(arg: &[u8], supported: Self) -> Result<Self, FactsError> {
        if arg.iter().any(|&b| b <= b' ' || b == 0x7f) {
            return Err(FactsError::Syntax);
        }
        let mut selected = Self::NONE;
        for name in arg.split(|&b| b == b';') {
            if let Some(f) = Self::from_name(name) {
                selected = selected.union(f);
            }
        }
        Ok(selected.intersection(supported))
    }

    /// Appends the text of the `200` reply to `OPTS MLST`: `MLST OPTS
    /// type;size;` (just `MLST OPTS` when nothing is selected). The caller
    /// adds the code and the line end.
    pub fn write_opts_reply(self, out: &mut BytesMut) {
        out.extend_from_slice(b"MLST OPTS");
        let mut first = true;
        for name in self.names() {
            if first {
                out.extend_from_slice(b" ");
                first = false;
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b";");
        }
    }

    /// Appends the FEAT line `MLST type*;size*;modify*;…` for the `supported`
    /// facts, with `*` on those `selected` (without the leading space or line
    /// end of a FEAT line).
    pub fn write_feat_line(supported: Self, selected: Self, out: &mut BytesMut) {
        out.extend_from_slice(b"MLST ");
        for name in supported.names() {
            out.extend_from_slice(name.as_bytes());
            if Self::from_name(name.as_bytes()).is_some_and(|f| selected.contains(f)) {
                out.extend_from_slice(b"*");
            }
            out.extend_from_slice(b";");
        }
    }
}

impl Default for Facts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// Whether `value` can be a fact value that parses back unchanged.
fn is_fact_safe(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(|&b| b > b' ' && b != b';' && b != 0x7f)
}

/// Appends the facts part of an MLSx line (`type=file;size=1830;…;`, no
/// space, no name) for the facts in `facts` (see the [module docs](self)).
pub fn write_mlsx_facts(info: &FileInfo, facts: Facts, out: &mut BytesMut) {
    for (fact, name) in FACT_NAMES {
        if !facts.contains(fact) {
            continue;
        }
        let start = out.len();
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=");
        let written = match fact {
            Facts::TYPE => {
                match &info.kind {
                    FileKind::File => out.extend_from_slice(b"file"),
                    FileKind::Directory => out.extend_from_slice(b"dir"),
                    FileKind::CurrentDirectory => out.extend_from_slice(b"cdir"),
                    FileKind::ParentDirectory => out.extend_from_slice(b"pdir"),
                    FileKind::Symlink { target: Some(t) } if is_fact_safe(t) => {
                        out.extend_from_slice(b"OS.unix=slink:");
                        out.extend_from_slice(t);
                    }
                    FileKind::Symlink { .. } => out.extend_from_slice(b"OS.unix=symlink"),
                    FileKind::CharDevice { device } => write_device(out, b"chr", *device),
                    FileKind::BlockDevice { device } => write_device(out, b"blk", *device),
                    FileKind::Fifo => out.extend_from_slice(b"OS.unix=fifo"),
                    FileKind::Socket => out.extend_from_slice(b"OS.unix=socket"),
                    FileKind::Other => out.extend_from_slice(b"OS.unix=other"),
                }
                true
            }
            Facts::SIZE => info.size.map(|s| write!(out, "{s}")).is_some(),
            Facts::MODIFY => info
                .modified
                .map(|t| write!(out, "{}", t.ftp(false)))
                .is_some(),
            Facts::CREATE => info
                .created
                .map(|t| write!(out, "{}", t.ftp(false)))
                .is_some(),
            Facts::PERM => {
                out.extend(info.effective_perms().letters());
                true
            }
            Facts::UNIQUE => put_safe(out, info.unique.as_deref()),
            Facts::UNIX_MODE => info
                .mode
                .map(|m| write!(out, "{:04o}", m & 0o7777))
                .is_some(),
            Facts::UNIX_OWNER => put_safe(out, info.owner.as_deref()),
            Facts::UNIX_GROUP => put_safe(out, info.group.as_deref()),
            _ => false,
        };
        if written {
            out.extend_from_slice(b";");
        } else {
            out.truncate(start);
        }
    }
}

/// `OS.unix=chr-1/3` (or without `-1/3` when the numbers are unknown).
fn write_device(out: &mut BytesMut, name: &[u8], device: Option<DeviceNumbers>) {
    out.extend_from_slice(b"OS.unix=");
    out.extend_from_slice(name);
    if let Some(d) = device {
        let _ = write!(out, "-{}/{}", d.major, d.minor);
    }
}

fn put_safe(out: &mut BytesMut, value: Option<&[u8]>) -> bool {
    match value {
        Some(v) if is_fact_safe(v) => {
            out.extend_from_slice(v);
            true
        }
        _ => false,
    }
}

/// Appends the MLSD line of `info`: facts, one space, the name, CRLF.
///
/// Refuses entries whose name is empty or holds CR, LF or NUL, writing nothing.
pub fn write_mlsd_line(
    info: &FileInfo,
    facts: Facts,
    out: &mut BytesMut,
) -> Result<(), ListingError> {
    check_name(&info.name)?;
    write_mlsx_facts(info, facts, out);
    out.extend_from_slice(b" ");
    out.extend_from_slice(&info.name);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends the MLST fact line for `info`: a space, the facts, a space and
/// `path` (the name as asked, or the full path). No line end: this is one
/// line of the `250` multi-line reply, which its renderer terminates.
///
/// Refuses a `path` that is empty or holds CR, LF or NUL, writing nothing.
pub fn write_mlst_line(
    info: &FileInfo,
    facts: Facts,
    path: &[u8],
    out: &mut BytesMut,
) -> Result<(), ListingError> {
    check_name(path)?;
    out.extend_from_slice(b" ");
    write_mlsx_facts(info, facts, out);
    out.extend_from_slice(b" ");
    out.extend_from_slice(path);
    Ok(())
}

/// Parses one MLSD line (see the [module docs](self) for the tolerances).
///
/// `None` if the name is empty or the facts part is not empty yet holds no
/// `=`. Without a `type` fact the kind is [`FileKind::Other`].
#[must_use]
pub fn parse_mlsd_line(line: &[u8]) -> Option<FileInfo> {
    parse(Src::borrowed(line))
}

/// Parses one fact line of an MLST reply: like [`parse_mlsd_line`] after the
/// single leading space (which is optional here).
#[must_use]
pub fn parse_mlst_line(line: &[u8]) -> Option<FileInfo> {
    let src = Src::borrowed(line);
    let skip = usize::from(src.line.first() == Some(&b' '));
    parse(src.skip(skip))
}

/// A time value, tolerating the Y2K form `19100…` (year 2000 as "19" + "100").
fn parse_time(value: &[u8]) -> Option<Timestamp> {
    if let Ok(t) = Timestamp::parse_ftp(value) {
        return Some(t);
    }
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 15 && value.starts_with(b"191") {
        let century = value.get(2..5)?;
        let years = century
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        let mut fixed: ArrayVec<u8, 32> = ArrayVec::new();
        write_year(&mut fixed, 1900 + years)?;
        fixed.try_extend_from_slice(value.get(5..)?).ok()?;
        return Timestamp::parse_ftp(&fixed).ok();
    }
    None
}

fn write_year(out: &mut ArrayVec<u8, 32>, year: u32) -> Option<()> {
    for div in [1000, 100, 10, 1] {
        let digit = u8::try_from(year / div % 10).ok()?;
        out.try_push(b'0' + digit).ok()?;
    }
    Some(())
}

fn parse_octal(value: &[u8]) -> Option<u32> {
    let digits = value
        .strip_prefix(b"0o")
        .or_else(|| value.strip_prefix(b"0O"))
        .unwrap_or(value);
    if digits.is_empty() || digits.len() > 11 {
        return None;
    }
    let mode = digits.iter().try_fold(0u32, |acc, &d| {
        matches!(d, b'0'..=b'7').then(|| (acc << 3) | u32::from(d - b'0'))
    })?;
    Some(mode & 0o7777)
}

fn parse_type(src: &Src<'_>, value: &[u8]) -> FileKind {
    if value.eq_ignore_ascii_case(b"file") {
        return FileKind::File;
    }
    if value.eq_ignore_ascii_case(b"dir") {
        return FileKind::Directory;
    }
    if value.eq_ignore_ascii_case(b"cdir") {
        return FileKind::CurrentDirectory;
    }
    if value.eq_ignore_ascii_case(b"pdir") {
        return FileKind::ParentDirectory;
    }
    // OS.unix=slink:/target, OS.unix=symlink, OS.unix=slink
    if let Some(eq) = memchr::memchr(b'=', value) {
        let os_type = value.get(eq + 1..).unwrap_or_default();
        let (head, target) = match memchr::memchr(b':', os_type) {
            Some(colon) => (
                os_type.get(..colon).unwrap_or_default(),
                os_type.get(colon + 1..),
            ),
            None => (os_type, None),
        };
        if head.eq_ignore_ascii_case(b"slink") || head.eq_ignore_ascii_case(b"symlink") {
            return FileKind::Symlink {
                target: target.filter(|t| !t.is_empty()).map(|t| src.own(t)),
            };
        }
        return parse_os_type(os_type);
    }
    FileKind::Other
}

/// The kind of an `OS.<name>=` type value other than a symlink.
fn parse_os_type(value: &[u8]) -> FileKind {
    let (head, numbers) = match memchr::memchr(b'-', value) {
        Some(dash) => (value.get(..dash).unwrap_or_default(), value.get(dash + 1..)),
        None => (value, None),
    };
    let is = |n: &[u8]| head.eq_ignore_ascii_case(n);
    let device = || numbers.and_then(parse_device_numbers);
    if is(b"chr") {
        FileKind::CharDevice { device: device() }
    } else if is(b"blk") {
        FileKind::BlockDevice { device: device() }
    } else if numbers.is_some() {
        FileKind::Other
    } else if is(b"fifo") || is(b"pipe") {
        FileKind::Fifo
    } else if is(b"socket") || is(b"sock") {
        FileKind::Socket
    } else {
        FileKind::Other
    }
}

/// `13/29` → major 13, minor 29.
fn parse_device_numbers(text: &[u8]) -> Option<DeviceNumbers> {
    let slash = memchr::memchr(b'/', text)?;
    let major = decimal_u64(text.get(..slash)?)?;
    let minor = decimal_u64(text.get(slash + 1..)?)?;
    Some(DeviceNumbers::new(
        u32::try_from(major).ok()?,
        u32::try_from(minor).ok()?,
    ))
}

pub(crate) fn parse(src: Src<'_>) -> Option<FileInfo> {
    let line = src.line;
    let (facts, name) = match memchr::memmem::find(line, b"; ") {
        // No facts: the line starts with the separating space.
        _ if line.first() == Some(&b' ') => (&b""[..], line.get(1..)?),
        Some(i) => (line.get(..=i)?, line.get(i + 2..)?),
        None => {
            let sp = memchr::memchr(b' ', line)?;
            (line.get(..sp)?, line.get(sp + 1..)?)
        }
    };
    if name.is_empty() || (!facts.is_empty() && !facts.contains(&b'=')) {
        return None;
    }
    let mut info = FileInfo {
        name: src.own(name),
        kind: FileKind::Other,
        ..FileInfo::default()
    };
    let mut owner_name_seen = false;
    let mut group_name_seen = false;
    for fact in facts.split(|&b| b == b';') {
        let Some(eq) = memchr::memchr(b'=', fact) else {
            continue;
        };
        let (key, value) = (fact.get(..eq)?, fact.get(eq + 1..)?);
        let is = |n: &[u8]| key.eq_ignore_ascii_case(n);
        if is(b"type") {
            info.kind = parse_type(&src, value);
        } else if is(b"size") || is(b"sizd") {
            info.size = decimal_u64(value).or(info.size);
        } else if is(b"modify") {
            info.modified = parse_time(value);
        } else if is(b"create") {
            info.created = parse_time(value);
        } else if is(b"perm") || is(b"perms") {
            info.perms = Some(Perms::from_letters(value));
        } else if is(b"unique") {
            info.unique = (!value.is_empty()).then(|| src.own(value));
        } else if is(b"UNIX.mode") {
            info.mode = parse_octal(value);
        } else if is(b"UNIX.ownername") || is(b"UNIX.owner") || is(b"UNIX.uid") {
            let named = is(b"UNIX.ownername");
            if !value.is_empty() && (named || !owner_name_seen) {
                info.owner = Some(src.own(value));
                owner_name_seen |= named;
            }
        } else if is(b"UNIX.groupname") || is(b"UNIX.group") || is(b"UNIX.gid") {
            let named = is(b"UNIX.groupname");
            if !value.is_empty() && (named || !group_name_seen) {
                info.group = Some(src.own(value));
                group_name_seen |= named;
            }
        }
    }
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opts_and_feat() {
        let sel = Facts::parse_opts(b"Type;SIZE;bogus;unix.mode;", Facts::ALL).unwrap();
        assert_eq!(sel, Facts::TYPE.union(Facts::SIZE).union(Facts::UNIX_MODE));
        let mut out = BytesMut::new();
        sel.write_opts_reply(&mut out);
        assert_eq!(&out[..], b"MLST OPTS type;size;UNIX.mode;");
        out.clear();
        Facts::NONE.write_opts_reply(&mut out);
        assert_eq!(&out[..], b"MLST OPTS");
        assert_eq!(Facts::parse_opts(b"", Facts::ALL), Ok(Facts::NONE));
        assert_eq!(
            Facts::parse_opts(b"type; size;", Facts::ALL),
            Err(FactsError::Syntax)
        );
        assert_eq!(
            Facts::parse_opts(b"type;create;", Facts::DEFAULT),
            Ok(Facts::TYPE)
        );
        out.clear();
        Facts::write_feat_line(Facts::ALL, Facts::DEFAULT, &mut out);
        assert_eq!(
            &out[..],
            &b"MLST type*;size*;modify*;create;perm*;unique*;UNIX.mode*;UNIX.owner;UNIX.group;"[..]
        );
    }

    #[test]
    fn renders() {
        let info = FileInfo::new("hatch.c", FileKind::File)
            .with_size(1830)
            .with_modified(Timestamp::parse_ftp(b"19940916055648").unwrap())
            .with_mode(0o644)
            .with_unique("803g1a");
        let mut out = BytesMut::new();
        write_mlsd_line(&info, Facts::DEFAULT, &mut out).unwrap();
        assert_eq!(
            &out[..],
            &b"type=file;size=1830;modify=19940916055648;perm=adfrw;unique=803g1a;UNIX.mode=0644; hatch.c\r\n"[..]
        );
        out.clear();
        write_mlst_line(
            &info,
            Facts::TYPE.union(Facts::SIZE),
            b"/pub/hatch.c",
            &mut out,
        )
        .unwrap();
        assert_eq!(&out[..], b" type=file;size=1830; /pub/hatch.c");
        out.clear();
        write_mlst_line(&info, Facts::NONE, b"/x", &mut out).unwrap();
        assert_eq!(&out[..], b"  /x");
        out.clear();
        let link = FileInfo::new(
            "l",
            FileKind::Symlink {
                target: Some("a b".into()),
            },
        )
        .with_owner("ann", "bad;group");
        write_mlsd_line(&link, Facts::ALL, &mut out).unwrap();
        assert_eq!(
            &out[..],
            b"type=OS.unix=symlink;perm=adfrw;UNIX.owner=ann; l\r\n"
        );
        let bad = FileInfo::new("a\nb", FileKind::File);
        out.clear();
        assert_eq!(
            write_mlsd_line(&bad, Facts::ALL, &mut out),
            Err(ListingError::UnsafeName)
        );
        assert_eq!(
            write_mlst_line(&info, Facts::ALL, b"/a\r\n250 x", &mut out),
            Err(ListingError::UnsafeName)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn renders_and_reads_special_types() {
        let dev = |major, minor| Some(DeviceNumbers::new(major, minor));
        for (kind, text) in [
            (
                FileKind::CharDevice {
                    device: dev(13, 29),
                },
                "OS.unix=chr-13/29",
            ),
            (
                FileKind::BlockDevice {
                    device: dev(11, 108),
                },
                "OS.unix=blk-11/108",
            ),
            (FileKind::CharDevice { device: None }, "OS.unix=chr"),
            (FileKind::BlockDevice { device: None }, "OS.unix=blk"),
            (FileKind::Fifo, "OS.unix=fifo"),
            (FileKind::Socket, "OS.unix=socket"),
            (FileKind::Other, "OS.unix=other"),
            (FileKind::CurrentDirectory, "cdir"),
            (FileKind::ParentDirectory, "pdir"),
        ] {
            let mut out = BytesMut::new();
            write_mlsd_line(&FileInfo::new("n", kind.clone()), Facts::TYPE, &mut out).unwrap();
            assert_eq!(out, alloc::format!("type={text}; n\r\n").as_bytes());
            assert_eq!(parse_mlsd_line(&out).map(|i| i.kind), Some(kind));
        }
    }

    #[test]
    fn y2k_times() {
        let t = parse_time(b"191000101000000").unwrap();
        assert_eq!(t.ftp(false).to_string(), "20000101000000");
        assert!(parse_time(b"19100").is_none());
    }

    use alloc::string::ToString;
}
