//! Turning a virtual path from the engine into a path relative to a storage
//! root.
//!
//! The engine already hands out normalised absolute paths; this module checks
//! them again (defence in depth) so that a storage never depends on its caller
//! for safety. The check is deliberately strict and does not try to repair
//! anything: whatever is not a plain absolute path of plain names is refused.
//! Containment itself is *not* decided here: the capability-based directory
//! handle refuses escapes through symbolic links at the operating-system level.

use std::path::PathBuf;

use super::StorageError;

/// The longest virtual path accepted, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;

/// A checked virtual path, as a path relative to the storage root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelativePath {
    /// `.` for the root, else the components joined with `/`.
    pub(crate) path: PathBuf,
    /// The last component (empty for the root).
    pub(crate) name: Vec<u8>,
}

impl RelativePath {
    /// Whether this is the storage root itself.
    pub(crate) fn is_root(&self) -> bool {
        self.name.is_empty()
    }
}

/// Checks a virtual path and converts it to a path relative to the root.
///
/// Accepted: `/` followed by components separated by `/`. Empty components
/// and `.` are skipped (so `//a/./b/` is `a/b`). Refused with
/// [`StorageError::InvalidName`]: no leading `/`, a NUL byte, a path longer
/// than [`MAX_PATH_LEN`], a name that is not valid on this platform. Refused
/// with [`StorageError::PermissionDenied`]: any `..` component, since a
/// normalised path never has one and a raw one is an escape attempt.
pub(crate) fn relative(virtual_path: &[u8]) -> Result<RelativePath, StorageError> {
    if virtual_path.first() != Some(&b'/') || virtual_path.len() > MAX_PATH_LEN {
        return Err(StorageError::InvalidName);
    }
    if virtual_path.contains(&0) {
        return Err(StorageError::InvalidName);
    }
    let mut path = PathBuf::new();
    let mut name: &[u8] = b"";
    for component in virtual_path.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => return Err(StorageError::PermissionDenied),
            _ => {
                path.push(component_to_os(component)?);
                name = component;
            }
        }
    }
    if name.is_empty() {
        path.push(".");
    }
    Ok(RelativePath {
        path,
        name: name.to_vec(),
    })
}

/// Checks one name (as given for STOU hints and similar): no `/`, no NUL, not
/// `.` or `..`, not empty.
pub(crate) fn check_name(name: &[u8]) -> Result<(), StorageError> {
    if name.is_empty()
        || name == b"."
        || name == b".."
        || name.contains(&b'/')
        || name.contains(&0)
        || name.len() > 255
    {
        return Err(StorageError::InvalidName);
    }
    component_to_os(name).map(drop)
}

#[cfg(unix)]
fn component_to_os(component: &[u8]) -> Result<&std::ffi::OsStr, StorageError> {
    use std::os::unix::ffi::OsStrExt;
    Ok(std::ffi::OsStr::from_bytes(component))
}

#[cfg(not(unix))]
fn component_to_os(component: &[u8]) -> Result<&std::ffi::OsStr, StorageError> {
    // Elsewhere names must be UTF-8, and the characters that carry path
    // meaning on Windows (`\`, `:`) are refused outright.
    let text = std::str::from_utf8(component).map_err(|_| StorageError::InvalidName)?;
    if text.contains(['\\', ':']) {
        return Err(StorageError::InvalidName);
    }
    Ok(std::ffi::OsStr::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_paths_become_relative() {
        let cases: &[(&[u8], &str, &[u8])] = &[
            (b"/", ".", b""),
            (b"//", ".", b""),
            (b"/.", ".", b""),
            (b"/a", "a", b"a"),
            (b"/a/b c/", "a/b c", b"b c"),
            (b"//a/./b", "a/b", b"b"),
            ("/ünï/cödé".as_bytes(), "ünï/cödé", "cödé".as_bytes()),
            (b"/...", "...", b"..."),
        ];
        for &(input, path, name) in cases {
            let rel = relative(input).unwrap();
            assert_eq!(rel.path, PathBuf::from(path), "{input:?}");
            assert_eq!(rel.name, name, "{input:?}");
            assert_eq!(rel.is_root(), name.is_empty());
        }
    }

    #[test]
    fn refused_paths() {
        let long = [b'/'; MAX_PATH_LEN + 1];
        let invalid: &[&[u8]] = &[b"", b"a/b", b"/a\0b", &long];
        for input in invalid {
            let error = relative(input).unwrap_err();
            assert!(matches!(error, StorageError::InvalidName), "{input:?}");
        }
        let escaping: &[&[u8]] = &[b"/..", b"/../etc/passwd", b"/a/../../x", b"/a/.."];
        for input in escaping {
            let error = relative(input).unwrap_err();
            assert!(matches!(error, StorageError::PermissionDenied), "{input:?}");
        }
    }

    #[test]
    fn names() {
        assert!(check_name(b"upload.bin").is_ok());
        assert!(check_name("naïve name".as_bytes()).is_ok());
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0", &[b'x'; 256]] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
