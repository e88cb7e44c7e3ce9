//! What a storage tells about one file: the facts SIZE, MDTM, MLST/MLSD and
//! LIST lines are made of.
//!
//! This is the storage's own description of an entry; it converts into the
//! engine's listing type field by field (same names, same meaning).

use bytes::Bytes;
use ftp_proto::listing::{DeviceNumbers, FileInfo, FileKind, Perms};
use ftp_proto::timestamp::Timestamp;

use crate::auth::Permissions;

/// What kind of object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link, reported as itself (listings never follow links).
    Symlink {
        /// The link's target text exactly as stored, which may name
        /// something outside the storage root: it is shown, never followed
        /// there.
        target: Bytes,
    },
    /// A character device, with its major and minor number where the
    /// platform tells them.
    CharDevice {
        /// Major and minor number.
        device: Option<DeviceNumbers>,
    },
    /// A block device, with its major and minor number where the platform
    /// tells them.
    BlockDevice {
        /// Major and minor number.
        device: Option<DeviceNumbers>,
    },
    /// A named pipe (FIFO).
    Fifo,
    /// A Unix-domain socket.
    Socket,
    /// Anything else the platform reports.
    Other,
}

/// The facts about one entry of a storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// The entry's own name (the last path component; `/` for the root).
    pub name: Bytes,
    /// What kind of object this is.
    pub kind: EntryKind,
    /// Size in bytes (for a symlink in a listing: the length of the link).
    pub size: u64,
    /// Last modification time, when the file system knows it.
    pub modified: Option<Timestamp>,
    /// Unix permission bits (`0o7777` mask), when the platform has them.
    pub mode: Option<u32>,
    /// Numeric owner id, when the platform has one.
    pub uid: Option<u32>,
    /// Numeric group id, when the platform has one.
    pub gid: Option<u32>,
    /// Number of hard links, when the platform knows it.
    pub links: Option<u64>,
}

impl EntryInfo {
    /// An entry named `name` of `kind`, size 0, with no other facts known
    /// (for storages that build entries themselves; set the fields they
    /// know).
    #[must_use]
    pub fn new(name: impl Into<Bytes>, kind: EntryKind) -> Self {
        Self {
            name: name.into(),
            kind,
            size: 0,
            modified: None,
            mode: None,
            uid: None,
            gid: None,
            links: None,
        }
    }

    /// Whether this entry is a directory.
    #[must_use]
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, EntryKind::Directory)
    }

    /// Whether this entry is a regular file.
    #[must_use]
    pub fn is_file(&self) -> bool {
        matches!(self.kind, EntryKind::File)
    }

    /// The entry as the engine's listing type for a user with
    /// `permissions`: [`FileInfo::from`], with the MLSx `perm` fact set to
    /// what this user may do with it (RFC 3659 §7.5.5), within what the
    /// entry's mode allows ([`Permissions::perm_fact`]). The servers show
    /// entries this way (MLSD, MLST), so a read-only user is never told
    /// that a file is writable.
    #[must_use]
    pub fn into_file_info(self, permissions: &Permissions) -> FileInfo {
        let info = FileInfo::from(self);
        let possible = Perms::from_mode(&info.kind, info.mode);
        let perms = permissions.perm_fact(&info.kind, possible);
        info.with_perms(perms)
    }

    /// Builds the facts from file-system metadata. `target` is the link text
    /// when `metadata` describes a symbolic link itself.
    pub(crate) fn from_metadata(
        name: Bytes,
        metadata: &cap_std::fs::Metadata,
        target: Option<Bytes>,
    ) -> Self {
        let file_type = metadata.file_type();
        let kind = if file_type.is_dir() {
            EntryKind::Directory
        } else if file_type.is_file() {
            EntryKind::File
        } else if file_type.is_symlink() {
            EntryKind::Symlink {
                target: target.unwrap_or_default(),
            }
        } else {
            special_kind(metadata)
        };
        let modified = metadata
            .modified()
            .ok()
            .map(|time| Timestamp::from(time.into_std()));
        let (mode, uid, gid, links) = unix_facts(metadata);
        Self {
            name,
            kind,
            size: metadata.len(),
            modified,
            mode,
            uid,
            gid,
            links,
        }
    }
}

/// The kind of an entry that is no file, directory or link: a device (with
/// its numbers), a FIFO, a socket, or else [`EntryKind::Other`].
#[cfg(unix)]
fn special_kind(metadata: &cap_std::fs::Metadata) -> EntryKind {
    use cap_std::fs::{FileTypeExt, MetadataExt};
    let file_type = metadata.file_type();
    let device = || {
        #[allow(
            clippy::unnecessary_fallible_conversions,
            clippy::useless_conversion,
            reason = "`Dev` is `u64` on Linux but narrower elsewhere"
        )]
        let dev = rustix::fs::Dev::try_from(metadata.rdev()).ok()?;
        Some(DeviceNumbers::new(
            rustix::fs::major(dev),
            rustix::fs::minor(dev),
        ))
    };
    if file_type.is_char_device() {
        EntryKind::CharDevice { device: device() }
    } else if file_type.is_block_device() {
        EntryKind::BlockDevice { device: device() }
    } else if file_type.is_fifo() {
        EntryKind::Fifo
    } else if file_type.is_socket() {
        EntryKind::Socket
    } else {
        EntryKind::Other
    }
}

#[cfg(not(unix))]
fn special_kind(_metadata: &cap_std::fs::Metadata) -> EntryKind {
    EntryKind::Other
}

#[cfg(unix)]
fn unix_facts(
    metadata: &cap_std::fs::Metadata,
) -> (Option<u32>, Option<u32>, Option<u32>, Option<u64>) {
    use cap_std::fs::MetadataExt;
    (
        Some(metadata.mode() & 0o7777),
        Some(metadata.uid()),
        Some(metadata.gid()),
        Some(metadata.nlink()),
    )
}

#[cfg(not(unix))]
fn unix_facts(
    _metadata: &cap_std::fs::Metadata,
) -> (Option<u32>, Option<u32>, Option<u32>, Option<u64>) {
    (None, None, None, None)
}

/// The storage's description of an entry as the engine's listing type (the
/// one place where [`EntryInfo`] becomes [`FileInfo`]; every adapter uses it).
impl From<EntryInfo> for FileInfo {
    fn from(entry: EntryInfo) -> Self {
        let kind = match entry.kind {
            EntryKind::File => FileKind::File,
            EntryKind::Directory => FileKind::Directory,
            EntryKind::Symlink { target } => FileKind::Symlink {
                target: Some(target),
            },
            EntryKind::CharDevice { device } => FileKind::CharDevice { device },
            EntryKind::BlockDevice { device } => FileKind::BlockDevice { device },
            EntryKind::Fifo => FileKind::Fifo,
            EntryKind::Socket => FileKind::Socket,
            EntryKind::Other => FileKind::Other,
        };
        let mut info = FileInfo::new(entry.name, kind).with_size(entry.size);
        if let Some(t) = entry.modified {
            info = info.with_modified(t);
        }
        if let Some(mode) = entry.mode {
            info = info.with_mode(mode);
        }
        if let Some(links) = entry.links {
            info = info.with_links(links);
        }
        if let (Some(uid), Some(gid)) = (entry.uid, entry.gid) {
            info = info.with_owner(uid.to_string(), gid.to_string());
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/dev/null` becomes a character device 1,3 and is listed as one.
    #[cfg(target_os = "linux")]
    #[test]
    fn devices_keep_their_kind_and_numbers() {
        let dev = cap_std::fs::Dir::open_ambient_dir("/dev", cap_std::ambient_authority()).unwrap();
        let metadata = dev.symlink_metadata("null").unwrap();
        let entry = EntryInfo::from_metadata(Bytes::from_static(b"null"), &metadata, None);
        let numbers = Some(DeviceNumbers::new(1, 3));
        assert_eq!(entry.kind, EntryKind::CharDevice { device: numbers });
        let info = FileInfo::from(entry);
        assert_eq!(info.kind, FileKind::CharDevice { device: numbers });
        let mut line = bytes::BytesMut::new();
        ftp_proto::listing::write_list_line(&info, Timestamp::UNIX_EPOCH, &mut line).unwrap();
        assert!(line.starts_with(b"crw"), "{line:?}");
        assert!(line.windows(7).any(|w| w == b"1,   3 "), "{line:?}");
        let mut mlsd = bytes::BytesMut::new();
        ftp_proto::listing::write_mlsd_line(&info, ftp_proto::listing::Facts::TYPE, &mut mlsd)
            .unwrap();
        assert_eq!(&mlsd[..], b"type=OS.unix=chr-1/3; null\r\n");
    }
}
