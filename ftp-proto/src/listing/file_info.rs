//! [`FileInfo`]: what a listing line says about one directory entry.

use bytes::Bytes;
use core::fmt;

use crate::Timestamp;

/// What kind of object a directory entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file.
    #[default]
    File,
    /// A directory.
    Directory,
    /// The listed directory itself (MLSx `type=cdir`).
    CurrentDirectory,
    /// A parent of the listed directory (MLSx `type=pdir`).
    ParentDirectory,
    /// A symbolic link, with its target when the listing shows it.
    Symlink {
        /// The link's target as written in the link (`name -> target`).
        target: Option<Bytes>,
    },
    /// A character device (`ls -l` type `c`, MLSx `OS.unix=chr-M/N`), with
    /// its numbers when the listing shows them.
    CharDevice {
        /// Major and minor number (`1, 3` in the size column of `ls -l`).
        device: Option<DeviceNumbers>,
    },
    /// A block device (`ls -l` type `b`, MLSx `OS.unix=blk-M/N`), with its
    /// numbers when the listing shows them.
    BlockDevice {
        /// Major and minor number (`8, 0` in the size column of `ls -l`).
        device: Option<DeviceNumbers>,
    },
    /// A named pipe (`ls -l` type `p`, MLSx `OS.unix=fifo`).
    Fifo,
    /// A Unix-domain socket (`ls -l` type `s`, MLSx `OS.unix=socket`).
    Socket,
    /// Anything else (a Solaris door `D`, an IBM i object such as `*PGM`, an
    /// unknown MLSx `OS.` type), or a kind the listing did not state.
    Other,
}

/// The major and minor number of a device file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceNumbers {
    /// The major number (the driver).
    pub major: u32,
    /// The minor number (the unit).
    pub minor: u32,
}

impl DeviceNumbers {
    /// A major and minor number.
    #[must_use]
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl FileKind {
    /// Whether this is a directory of any sort (`Directory`, `CurrentDirectory`, `ParentDirectory`).
    #[must_use]
    pub fn is_dir(&self) -> bool {
        matches!(
            self,
            Self::Directory | Self::CurrentDirectory | Self::ParentDirectory
        )
    }

    /// Whether this is a device, FIFO or socket: a special file that is
    /// neither a directory, a regular file nor a link.
    #[must_use]
    pub fn is_special(&self) -> bool {
        matches!(
            self,
            Self::CharDevice { .. } | Self::BlockDevice { .. } | Self::Fifo | Self::Socket
        )
    }
}

/// The MLSx `perm` fact (RFC 3659 §7.5.5): which commands the user may apply to the entry.
///
/// A set of the letters `a c d e f l m p r w`; unknown letters are ignored on input.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Perms(u16);

/// The letters in the order we write them.
const PERM_LETTERS: [u8; 10] = *b"acdeflmprw";

impl Perms {
    /// No rights (`perm=`).
    pub const NONE: Self = Self(0);
    /// `a`: APPE may append to the file.
    pub const APPEND: Self = Self(1 << 0);
    /// `c`: files may be created in the directory (STOR, STOU, APPE).
    pub const CREATE: Self = Self(1 << 1);
    /// `d`: the entry may be deleted (DELE, RMD).
    pub const DELETE: Self = Self(1 << 2);
    /// `e`: CWD may enter the directory.
    pub const ENTER: Self = Self(1 << 3);
    /// `f`: the entry may be renamed (RNFR).
    pub const RENAME: Self = Self(1 << 4);
    /// `l`: the directory may be listed.
    pub const LIST: Self = Self(1 << 5);
    /// `m`: MKD may create directories inside.
    pub const MKDIR: Self = Self(1 << 6);
    /// `p`: the directory's contents may be purged.
    pub const PURGE: Self = Self(1 << 7);
    /// `r`: RETR may read the file.
    pub const READ: Self = Self(1 << 8);
    /// `w`: STOR may overwrite the file.
    pub const WRITE: Self = Self(1 << 9);

    /// Parses perm letters; unknown letters are ignored, case is folded.
    #[must_use]
    pub fn from_letters(letters: &[u8]) -> Self {
        let mut bits = 0u16;
        for b in letters {
            let lower = b.to_ascii_lowercase();
            if let Some(i) = PERM_LETTERS.iter().position(|&l| l == lower) {
                bits |= 1 << i;
            }
        }
        Self(bits)
    }

    /// The set for an entry of `kind` whose owner has the Unix rights in `mode`
    /// (read, write, execute bits of the owner), as a server reports them when
    /// it knows no better. Without a mode every right of the kind is granted.
    #[must_use]
    pub fn from_mode(kind: &FileKind, mode: Option<u32>) -> Self {
        let (read, write, exec) = match mode {
            Some(m) => (m & 0o400 != 0, m & 0o200 != 0, m & 0o100 != 0),
            None => (true, true, true),
        };
        let mut p = Self::NONE;
        if kind.is_dir() {
            if read {
                p = p | Self::LIST;
            }
            if exec {
                p = p | Self::ENTER;
            }
            if write {
                p = p | Self::CREATE | Self::DELETE | Self::RENAME | Self::MKDIR | Self::PURGE;
            }
        } else {
            if read {
                p = p | Self::READ;
            }
            if write {
                p = p | Self::APPEND | Self::DELETE | Self::RENAME | Self::WRITE;
            }
        }
        p
    }

    /// Whether every right in `other` is in `self`.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The letters, in the order `acdeflmprw` (at most 10).
    pub fn letters(self) -> impl Iterator<Item = u8> {
        PERM_LETTERS
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, l)| l)
    }
}

impl core::ops::BitOr for Perms {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl fmt::Debug for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Perms(\"")?;
        for l in self.letters() {
            fmt::Write::write_char(f, char::from(l))?;
        }
        f.write_str("\")")
    }
}

/// One directory entry as listings show it: the server fills it to render
/// LIST/MLSx/NLST lines, the client gets it from the parsers.
///
/// Every field but `name` and `kind` is optional because listings omit them
/// freely. Build one with [`FileInfo::new`] and the `with_*` methods; an
/// adapter fills it from `std::fs::Metadata` (`len`, `modified`, `mode`,
/// `nlink`, `dev`/`ino` for `unique`), the engine itself never touches a
/// filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct FileInfo {
    /// The entry's name (bare name in LIST/MLSD/NLST; a full path for MLST).
    pub name: Bytes,
    /// File, directory, link...
    pub kind: FileKind,
    /// Size in bytes (MLSx `size`/`sizd`, the LIST size column).
    pub size: Option<u64>,
    /// Last modification time (UTC; LIST times have minute precision).
    pub modified: Option<Timestamp>,
    /// Creation time (MLSx `create`).
    pub created: Option<Timestamp>,
    /// Unix permission bits (`0o7777` part of `st_mode`; file-type bits are ignored).
    pub mode: Option<u32>,
    /// Owner name or number as text (LIST owner column, MLSx `UNIX.owner`).
    pub owner: Option<Bytes>,
    /// Group name or number as text (LIST group column, MLSx `UNIX.group`).
    pub group: Option<Bytes>,
    /// Hard link count (LIST second column).
    pub links: Option<u64>,
    /// Explicit MLSx `perm` letters; when `None`, renderers derive them from
    /// `kind` and `mode` ([`Perms::from_mode`]).
    pub perms: Option<Perms>,
    /// The MLSx `unique` token (for example `<dev hex>g<inode hex>`).
    pub unique: Option<Bytes>,
}

impl FileInfo {
    /// An entry with a name and a kind and nothing else known.
    #[must_use]
    pub fn new(name: impl Into<Bytes>, kind: FileKind) -> Self {
        Self {
            name: name.into(),
            kind,
            ..Self::default()
        }
    }

    /// Sets the size.
    #[must_use]
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Sets the modification time.
    #[must_use]
    pub fn with_modified(mut self, t: Timestamp) -> Self {
        self.modified = Some(t);
        self
    }

    /// Sets the creation time.
    #[must_use]
    pub fn with_created(mut self, t: Timestamp) -> Self {
        self.created = Some(t);
        self
    }

    /// Sets the Unix permission bits (masked to `0o7777`).
    #[must_use]
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode & 0o7777);
        self
    }

    /// Sets owner and group names.
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<Bytes>, group: impl Into<Bytes>) -> Self {
        self.owner = Some(owner.into());
        self.group = Some(group.into());
        self
    }

    /// Sets the hard link count.
    #[must_use]
    pub fn with_links(mut self, links: u64) -> Self {
        self.links = Some(links);
        self
    }

    /// Sets explicit MLSx perm letters.
    #[must_use]
    pub fn with_perms(mut self, perms: Perms) -> Self {
        self.perms = Some(perms);
        self
    }

    /// Sets the MLSx unique token.
    #[must_use]
    pub fn with_unique(mut self, unique: impl Into<Bytes>) -> Self {
        self.unique = Some(unique.into());
        self
    }

    /// Sets the MLSx unique token in the common `<dev hex>g<inode hex>` form
    /// (pyftpdlib, Pure-FTPd).
    #[must_use]
    pub fn with_dev_inode(self, dev: u64, inode: u64) -> Self {
        use alloc::format;
        self.with_unique(Bytes::from(format!("{dev:x}g{inode:x}")))
    }

    /// The perm letters to report: the explicit ones, or those derived from kind and mode.
    #[must_use]
    pub fn effective_perms(&self) -> Perms {
        self.perms
            .unwrap_or_else(|| Perms::from_mode(&self.kind, self.mode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn perms_letters() {
        let p = Perms::from_letters(b"rwxADF");
        assert_eq!(p.letters().collect::<Vec<_>>(), b"adfrw");
        assert_eq!(
            Perms::from_mode(&FileKind::Directory, Some(0o755))
                .letters()
                .collect::<Vec<_>>(),
            b"cdeflmp"
        );
        assert_eq!(
            Perms::from_mode(&FileKind::File, Some(0o444))
                .letters()
                .collect::<Vec<_>>(),
            b"r"
        );
        assert!(Perms::from_mode(&FileKind::File, Some(0)).is_empty());
        assert!(p.contains(Perms::READ | Perms::WRITE));
    }

    #[test]
    fn builder() {
        let f = FileInfo::new("a", FileKind::File)
            .with_size(3)
            .with_mode(0o100644)
            .with_dev_inode(0x803, 0x1a);
        assert_eq!(f.mode, Some(0o644));
        assert_eq!(f.unique.as_deref(), Some(&b"803g1a"[..]));
        assert_eq!(f.effective_perms(), Perms::from_letters(b"adfrw"));
    }
}
