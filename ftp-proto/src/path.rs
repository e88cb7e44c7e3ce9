//! Virtual path arithmetic for servers, and the quoting rules of reply 257.
//!
//! A server shows each user a virtual tree rooted at `/`. Every path argument a
//! client sends (CWD, RETR, MKD...) is resolved against the current directory
//! with [`VirtualPath::join`], which yields an absolute, normalised
//! [`VirtualPath`]:
//!
//! - it starts with `/`; `/` alone is the root;
//! - it has no empty, `.` or `..` components and no trailing slash (TVFS, RFC
//!   3659 §6);
//! - `..` at the root stays at the root, so no argument can climb out of `/`;
//! - backslashes are ordinary bytes (a name may contain `\`), repeated slashes
//!   collapse into one;
//! - the bytes are opaque (RFC 2640: UTF-8 when valid, raw otherwise), except
//!   that NUL, CR and LF are refused anywhere ([`PathError::ForbiddenByte`]);
//! - it is at most [`MAX_PATH_LEN`] bytes long.
//!
//! The storage layer maps a `VirtualPath` onto its real root with
//! [`VirtualPath::relative`]; it still has to refuse symlinks leading out of
//! its root, which path arithmetic cannot see.
//!
//! [`quote_for_257`] writes a path the way RFC 959 Appendix II wants it in a
//! `257` reply (`"name"`, inner quotes doubled) and [`parse_257`] is the client
//! side inverse.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

/// Longest [`VirtualPath`] in bytes; longer results are refused with [`PathError::TooLong`].
///
/// It matches Linux `PATH_MAX`. Command lines are bounded by the line codec,
/// but a path grows with every relative `CWD`, so the bound is checked here.
pub const MAX_PATH_LEN: usize = 4096;

/// Why a path argument was refused.
///
/// A server answers both with `553 File name not allowed.` (RFC 959: "Requested
/// action not taken. File name not allowed."); `501` is for arguments whose
/// syntax is wrong, which a path never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The argument holds NUL, CR or LF, which no file name may contain (they
    /// would cut or inject lines in replies and listings).
    #[error("file name not allowed: contains byte {byte:#04x}")]
    ForbiddenByte {
        /// The refused byte (0x00, 0x0d or 0x0a).
        byte: u8,
    },
    /// The resolved path would be longer than [`MAX_PATH_LEN`] bytes.
    #[error("file name not allowed: path longer than {MAX_PATH_LEN} bytes")]
    TooLong,
}

/// An absolute, normalised path in the server's virtual tree (see the [module docs](self)).
///
/// Cheap to clone (it is a [`Bytes`]). Equality, ordering and hashing are
/// those of the bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualPath {
    bytes: Bytes,
    /// Whether `bytes` is valid UTF-8, decided once when the path is made.
    utf8: bool,
}

fn check_bytes(arg: &[u8]) -> Result<(), PathError> {
    match memchr::memchr3(0, b'\r', b'\n', arg) {
        Some(i) => Err(PathError::ForbiddenByte {
            byte: arg.get(i).copied().unwrap_or(0),
        }),
        None => Ok(()),
    }
}

/// Whether `arg` is already an absolute normalised path (so it can be used as is).
fn is_normalised_absolute(arg: &[u8]) -> bool {
    let Some(rest) = arg.strip_prefix(b"/") else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    rest.split(|&b| b == b'/')
        .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

impl VirtualPath {
    /// The root directory `/`.
    #[must_use]
    pub fn root() -> Self {
        Self {
            bytes: Bytes::from_static(b"/"),
            utf8: true,
        }
    }

    /// Resolves `path` from the root: the same as `VirtualPath::root().join(path)`.
    pub fn new(path: &[u8]) -> Result<Self, PathError> {
        Self::root().join(path)
    }

    fn from_normalised(bytes: Bytes) -> Self {
        let utf8 = core::str::from_utf8(&bytes).is_ok();
        Self { bytes, utf8 }
    }

    /// The path as bytes, always starting with `/`.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The path as a shared [`Bytes`] (no copy).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        self.bytes.clone()
    }

    /// The path as UTF-8 text, or `None` if it is raw bytes (answered in O(1) for raw bytes).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        if self.utf8 {
            core::str::from_utf8(&self.bytes).ok()
        } else {
            None
        }
    }

    /// Whether this is the root `/`.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.bytes.len() == 1
    }

    /// The path without its leading `/` (empty for the root): what a storage
    /// layer appends to its real root directory.
    #[must_use]
    pub fn relative(&self) -> &[u8] {
        self.bytes.get(1..).unwrap_or_default()
    }

    /// Resolves a client's path argument against this directory.
    ///
    /// An argument starting with `/` starts from the root; otherwise it starts
    /// here. Empty and `.` components are dropped, `..` removes the previous
    /// component and does nothing at the root. An empty argument yields this
    /// path.
    pub fn join(&self, arg: &[u8]) -> Result<Self, PathError> {
        check_bytes(arg)?;
        if arg.is_empty() {
            return Ok(self.clone());
        }
        let mut out = BytesMut::with_capacity(self.bytes.len() + arg.len() + 1);
        if arg.first() == Some(&b'/') {
            out.put_u8(b'/');
        } else {
            out.extend_from_slice(&self.bytes);
        }
        for component in arg.split(|&b| b == b'/') {
            match component {
                b"" | b"." => {}
                b".." => {
                    // Drop the last component; the leading '/' always stays.
                    let cut = memchr::memrchr(b'/', &out).unwrap_or(0).max(1);
                    out.truncate(cut);
                }
                name => {
                    if out.len() > 1 {
                        out.put_u8(b'/');
                    }
                    out.extend_from_slice(name);
                    if out.len() > MAX_PATH_LEN {
                        return Err(PathError::TooLong);
                    }
                }
            }
        }
        Ok(Self::from_normalised(out.freeze()))
    }

    /// Like [`join`](Self::join), but when `arg` is already absolute and
    /// normalised the result shares `arg`'s buffer instead of copying it.
    pub fn join_bytes(&self, arg: &Bytes) -> Result<Self, PathError> {
        if is_normalised_absolute(arg) {
            check_bytes(arg)?;
            if arg.len() > MAX_PATH_LEN {
                return Err(PathError::TooLong);
            }
            return Ok(Self::from_normalised(arg.clone()));
        }
        self.join(arg)
    }

    /// The directory containing this path, or `None` for the root (no copy).
    #[must_use]
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        let cut = memchr::memrchr(b'/', &self.bytes).unwrap_or(0).max(1);
        Some(Self {
            bytes: self.bytes.slice(..cut),
            utf8: self.utf8 || core::str::from_utf8(self.bytes.get(..cut)?).is_ok(),
        })
    }

    /// The last component, or `None` for the root.
    #[must_use]
    pub fn file_name(&self) -> Option<&[u8]> {
        if self.is_root() {
            return None;
        }
        let start = memchr::memrchr(b'/', &self.bytes).map_or(0, |i| i + 1);
        self.bytes.get(start..)
    }

    /// The components from the root down (none for the root itself).
    pub fn components(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.relative()
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
    }

    /// Whether `self` is `ancestor` or lies below it (component-wise, so
    /// `/ab` is not below `/a`).
    #[must_use]
    pub fn starts_with(&self, ancestor: &VirtualPath) -> bool {
        if ancestor.is_root() {
            return true;
        }
        match self.bytes.strip_prefix(ancestor.as_bytes()) {
            Some(rest) => rest.is_empty() || rest.first() == Some(&b'/'),
            None => false,
        }
    }
}

impl Default for VirtualPath {
    fn default() -> Self {
        Self::root()
    }
}

impl AsRef<[u8]> for VirtualPath {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl TryFrom<&[u8]> for VirtualPath {
    type Error = PathError;
    fn try_from(value: &[u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for VirtualPath {
    type Error = PathError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value.as_bytes())
    }
}

/// Writes bytes as text, with U+FFFD for bytes that are not UTF-8.
fn write_lossy(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        f.write_str(chunk.valid())?;
        if !chunk.invalid().is_empty() {
            f.write_str("\u{FFFD}")?;
        }
    }
    Ok(())
}

impl fmt::Display for VirtualPath {
    /// The path as text; bytes that are not UTF-8 show as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(f, &self.bytes)
    }
}

impl fmt::Debug for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VirtualPath(")?;
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f)?,
            None => fmt::Debug::fmt(&self.bytes, f)?,
        }
        f.write_str(")")
    }
}

/// Writes `path` as RFC 959 Appendix II wants it in a `257` reply: between
/// double quotes, each `"` inside doubled (`/a"b` → `"/a""b"`).
///
/// It takes a [`VirtualPath`] so CR, LF and NUL cannot reach the reply. The
/// reply renderer still doubles 0xFF (Telnet IAC) on the way out.
pub fn quote_for_257(path: &VirtualPath, out: &mut BytesMut) {
    let bytes = path.as_bytes();
    out.reserve(bytes.len() + 2);
    out.put_u8(b'"');
    let mut rest = bytes;
    while let Some(i) = memchr::memchr(b'"', rest) {
        let (head, tail) = rest.split_at(i + 1);
        out.extend_from_slice(head);
        out.put_u8(b'"');
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.put_u8(b'"');
}

/// Extracts the directory name from the text of a `257` reply (client side).
///
/// Following curl: skip to the first `"`, turn each `""` into `"`, stop at the
/// next single `"`. Returns `None` when there is no opening or closing quote or
/// when the name holds a control character (below 0x20, or 0x7F), which no
/// well-formed reply carries. Borrowed when no quote had to be undoubled.
#[must_use]
pub fn parse_257(text: &[u8]) -> Option<Cow<'_, [u8]>> {
    let start = memchr::memchr(b'"', text)? + 1;
    let body = text.get(start..)?;
    let mut owned: Option<Vec<u8>> = None;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        if b < 0x20 || b == 0x7f {
            return None;
        }
        if b == b'"' {
            if body.get(i + 1) == Some(&b'"') {
                let buf = owned.get_or_insert_with(|| body.get(..i).unwrap_or_default().to_vec());
                buf.push(b'"');
                i += 2;
                continue;
            }
            return Some(match owned {
                Some(buf) => Cow::Owned(buf),
                None => Cow::Borrowed(body.get(..i)?),
            });
        }
        if let Some(buf) = owned.as_mut() {
            buf.push(b);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    fn is_forbidden(b: u8) -> bool {
        matches!(b, 0 | b'\r' | b'\n')
    }

    fn p(s: &str) -> VirtualPath {
        VirtualPath::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn join_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("/", "", "/"),
            ("/", "a", "/a"),
            ("/a", "b/c", "/a/b/c"),
            ("/a/b", "..", "/a"),
            ("/a/b", "../..", "/"),
            ("/a/b", "../../../..", "/"),
            ("/a", "/x/y", "/x/y"),
            ("/a", "//x//y//", "/x/y"),
            ("/a", "./b/./", "/a/b"),
            ("/a", "..\\..", "/a/..\\.."),
            ("/", "/../../etc/passwd", "/etc/passwd"),
            ("/a/b", "c/../../d", "/a/d"),
            ("/a", "...", "/a/..."),
            ("/a", ".hidden", "/a/.hidden"),
            ("/a b", "c d", "/a b/c d"),
            ("/", "/", "/"),
            ("/x", ".", "/x"),
        ];
        for &(cwd, arg, want) in cases {
            let got = p(cwd).join(arg.as_bytes()).unwrap();
            assert_eq!(got.as_str(), Some(want), "{cwd} + {arg}");
        }
    }

    #[test]
    fn refuses_control_bytes_and_length() {
        for bad in [&b"a\0b"[..], b"a\rb", b"a\nb", b"\n"] {
            assert!(matches!(
                VirtualPath::root().join(bad),
                Err(PathError::ForbiddenByte { .. })
            ));
            assert!(
                VirtualPath::root()
                    .join_bytes(&Bytes::copy_from_slice(bad))
                    .is_err()
            );
        }
        let long = alloc::vec![b'a'; MAX_PATH_LEN];
        assert_eq!(VirtualPath::root().join(&long), Err(PathError::TooLong));
        let ok = alloc::vec![b'a'; MAX_PATH_LEN - 1];
        assert!(VirtualPath::root().join(&ok).is_ok());
        let mut abs = alloc::vec![b'/'];
        abs.extend_from_slice(&long);
        assert_eq!(
            VirtualPath::root().join_bytes(&Bytes::from(abs)),
            Err(PathError::TooLong)
        );
    }

    #[test]
    fn join_bytes_shares_normalised_input() {
        let arg = Bytes::from_static(b"/pub/file.txt");
        let got = p("/x").join_bytes(&arg).unwrap();
        assert_eq!(got.as_bytes().as_ptr(), arg.as_ptr());
        let rel = Bytes::from_static(b"pub/../f");
        assert_eq!(p("/x").join_bytes(&rel).unwrap(), p("/x/f"));
    }

    #[test]
    fn accessors() {
        let a = p("/a/b/c");
        assert_eq!(a.parent(), Some(p("/a/b")));
        assert_eq!(p("/a").parent(), Some(VirtualPath::root()));
        assert_eq!(VirtualPath::root().parent(), None);
        assert_eq!(a.file_name(), Some(&b"c"[..]));
        assert_eq!(VirtualPath::root().file_name(), None);
        assert_eq!(a.components().collect::<Vec<_>>(), [b"a", b"b", b"c"]);
        assert_eq!(VirtualPath::root().components().count(), 0);
        assert_eq!(a.relative(), b"a/b/c");
        assert!(a.starts_with(&p("/a/b")));
        assert!(a.starts_with(&a));
        assert!(!p("/ab").starts_with(&p("/a")));
        assert!(a.starts_with(&VirtualPath::root()));
        assert!(VirtualPath::root().is_root());
    }

    #[test]
    fn raw_bytes_and_display() {
        let raw = VirtualPath::new(b"/caf\xe9").unwrap();
        assert_eq!(raw.as_str(), None);
        assert_eq!(raw.to_string(), "/caf\u{FFFD}");
        assert_eq!(raw.parent(), Some(VirtualPath::root()));
        assert_eq!(raw.parent().unwrap().as_str(), Some("/"));
        assert_eq!(p("/café").as_str(), Some("/café"));
    }

    #[test]
    fn quote_257() {
        let mut out = BytesMut::new();
        quote_for_257(&p("/a\"b/\"\""), &mut out);
        assert_eq!(&out[..], b"\"/a\"\"b/\"\"\"\"\"");
        assert_eq!(parse_257(&out).as_deref(), Some(&b"/a\"b/\"\""[..]));
    }

    #[test]
    fn parse_257_table() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"\"/home/user\" is current directory.", Some(b"/home/user")),
            (b"\"/\"", Some(b"/")),
            (b"MKD command successful \"/new\"", Some(b"/new")),
            (b"\"a\"\"b\" created", Some(b"a\"b")),
            (b"\"\"", Some(b"")),
            (b"no quotes", None),
            (b"\"unterminated", None),
            (b"\"bad\x01\"", None),
            (b"\"C:\\dir with space\"", Some(b"C:\\dir with space")),
        ];
        for &(text, want) in cases {
            assert_eq!(parse_257(text).as_deref(), want, "{text:?}");
        }
        assert!(matches!(parse_257(b"\"plain\""), Some(Cow::Borrowed(_))));
    }

    fn assert_invariants(v: &VirtualPath) {
        let b = v.as_bytes();
        assert_eq!(b.first(), Some(&b'/'));
        assert!(is_normalised_absolute(b), "{b:?}");
        assert!(!b.iter().any(|&c| is_forbidden(c)));
        assert!(b.len() <= MAX_PATH_LEN);
        assert_eq!(v.as_str().is_some(), core::str::from_utf8(b).is_ok());
    }

    fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"/".to_vec()),
            Just(b"..".to_vec()),
            Just(b".".to_vec()),
            Just(b"a".to_vec()),
            Just(b"\\".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..4),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn join_invariants(cwd in path_bytes(), arg in path_bytes()) {
            let Ok(cwd) = VirtualPath::new(&cwd) else { return Ok(()); };
            assert_invariants(&cwd);
            match cwd.join(&arg) {
                Ok(joined) => {
                    assert_invariants(&joined);
                    // Idempotent: resolving a normalised path again changes nothing.
                    prop_assert_eq!(&VirtualPath::new(joined.as_bytes()).unwrap(), &joined);
                    prop_assert_eq!(&cwd.join(joined.as_bytes()).unwrap(), &joined);
                    let shared = cwd.join_bytes(&Bytes::copy_from_slice(&arg)).unwrap();
                    prop_assert_eq!(&shared, &joined);
                    if let Some(parent) = joined.parent() {
                        assert_invariants(&parent);
                        prop_assert!(joined.starts_with(&parent));
                    }
                }
                Err(_) => prop_assert!(arg.iter().any(|&c| is_forbidden(c))),
            }
        }

        #[test]
        fn quote_round_trip(arg in path_bytes()) {
            let Ok(path) = VirtualPath::new(&arg) else { return Ok(()); };
            let mut out = BytesMut::from(&b"257 "[..]);
            quote_for_257(&path, &mut out);
            out.extend_from_slice(b" created");
            let has_control = path.as_bytes().iter().any(|&b| b < 0x20 || b == 0x7f);
            let parsed = parse_257(&out);
            if has_control {
                prop_assert!(parsed.is_none());
            } else {
                prop_assert_eq!(parsed.as_deref(), Some(path.as_bytes()));
            }
        }

        #[test]
        fn parse_257_never_panics(text in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_257(&text);
        }
    }
}
