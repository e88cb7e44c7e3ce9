//! [`Filesystem`]: a [`Storage`] over a real folder that nothing escapes.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use ftp_proto::timestamp::Timestamp;

use super::vpath::{RelativePath, check_name, relative};
use super::{EntryInfo, EntryResult, Storage, StorageError, UniqueFile, Upload, WriteMode};

/// How many fresh names [`Storage::create_unique`] tries before giving up
/// with [`StorageError::Busy`].
const UNIQUE_ATTEMPTS: u32 = 32;

/// A [`Storage`] rooted in a real folder, confined to it by a capability.
///
/// # Security model
///
/// `Filesystem` holds an open directory handle for its root (a `cap_std`
/// [`Dir`]) and performs *every* operation relative to that handle; it never
/// builds an ambient path from a peer's input. The handle is the capability:
/// paths are resolved beneath it, by the kernel with `openat2` and
/// `RESOLVE_BENEATH` where Linux offers it and otherwise component by
/// component in user space with `O_NOFOLLOW` opens. Either way the check and
/// the use are the same system call on the same handle, so there is no window
/// between checking a path and opening it for a concurrent rename or symlink
/// swap to exploit. What is refused, with [`StorageError::PermissionDenied`]:
///
/// - `..` components (already refused by the virtual-path check);
/// - symbolic links whose target is an absolute path, even one that names a
///   place inside the root;
/// - symbolic links, anywhere in a path (parents included), whose relative
///   target climbs above the root;
/// - creating a file through a dangling symlink that points outside.
///
/// Symbolic links **inside** the root whose relative targets stay inside are
/// followed, like any file server does. Listings report symlinks as symlinks
/// with their target text and never follow them.
///
/// Listings are read from the directory as they are sent
/// ([`DirectoryEntries`]), in directory order, whatever the directory's
/// size: nothing caps them and nothing holds them whole in memory.
///
/// Not covered by path resolution: a *hard link* inside the root to a file
/// outside it (only someone with local access to the folder can make one) and
/// mount points inside the root. Keep the root's contents under the server's
/// control.
///
/// Opening never blocks on special files: FIFOs and devices are opened with
/// `O_NONBLOCK` and then refused ([`StorageError::NotAFile`]).
///
/// # Users and modes
///
/// A `Filesystem` serves one root; per-user roots are several `Filesystem`s.
/// [`Filesystem::with_read_only`] makes every modifying operation fail with
/// [`StorageError::PermissionDenied`] (for anonymous users). Files and
/// directories are created with the process's default modes (umask applies).
///
/// # Uploads
///
/// [`WriteMode::Replace`] (a STOR) writes a temporary file in the same
/// directory as the final name, so on the same file system, named
/// `.ftp-upload-<pid>-<counter>.part` (created exclusively; a leftover of
/// a crashed process is never reused), and renames it over the final name
/// on commit (atomic: readers see the old file or the new one, never a
/// mix). The temporary file is removed when the upload is dropped without
/// a commit or the rename fails. Both files are reached through the same
/// directory handle, opened beneath the root like any path (so its escape
/// rules apply to the directory), and the final name is checked as an
/// in-place STOR would open it: a directory, special file or symlink leading
/// out is refused, and a file the process may not write is refused. A
/// symlink at the final name (inside the root) is replaced by the new file,
/// never written through. The new file gets the old file's permission bits
/// (the owner becomes the server's user), a new name the default mode.
/// While it runs the temporary file shows in listings (a dot file), and it
/// takes space beside the old file until the rename; limits of the file
/// system (quotas, `RLIMIT_FSIZE`) apply to it as to the file itself.
///
/// The other modes write in place: a failed or aborted upload leaves its
/// partial file, so that the client can resume it ([`WriteMode::Resume`]).
/// [`WriteMode::CreateNew`] creates its file exclusively (`create_new`, one
/// system call beneath the root handle), so an existing file is never
/// replaced, not even one created a moment before.
pub struct Filesystem {
    root: Dir,
    root_path: PathBuf,
    read_only: bool,
    unique_counter: AtomicU64,
}

impl fmt::Debug for Filesystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filesystem")
            .field("root", &self.root_path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl Filesystem {
    /// Opens the folder `root` (an administrator-chosen path, resolved in the
    /// ordinary way exactly once, here) as a read-write storage.
    pub fn open(root: impl AsRef<Path>) -> io::Result<Self> {
        let root_path = root.as_ref().to_path_buf();
        let root = Dir::open_ambient_dir(&root_path, ambient_authority())?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ (u64::from(std::process::id()) << 32);
        Ok(Self {
            root,
            root_path,
            read_only: false,
            unique_counter: AtomicU64::new(seed),
        })
    }

    /// Refuses (`true`) or allows (`false`) every modifying operation.
    #[must_use]
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The folder this storage was opened on (for logs; it is not used to
    /// reach files).
    #[must_use]
    pub fn root_path(&self) -> &Path {
        &self.root_path
    }

    fn writable(&self) -> Result<(), StorageError> {
        if self.read_only {
            Err(StorageError::PermissionDenied)
        } else {
            Ok(())
        }
    }

    /// Opens `rel` with `options` and makes sure it is a regular file.
    fn open_file(
        &self,
        rel: &RelativePath,
        options: &mut OpenOptions,
    ) -> Result<File, StorageError> {
        if rel.is_root() {
            return Err(StorageError::IsADirectory);
        }
        never_block(options);
        let file = self.root.open_with(&rel.path, options)?.into_std();
        let file_type = file.metadata()?.file_type();
        if file_type.is_dir() {
            Err(StorageError::IsADirectory)
        } else if file_type.is_file() {
            Ok(file)
        } else {
            Err(StorageError::NotAFile)
        }
    }

    /// An upload that replaces `rel` (see the type's documentation).
    fn open_replacing(&self, rel: &RelativePath) -> Result<FileUpload, StorageError> {
        if rel.is_root() {
            return Err(StorageError::IsADirectory);
        }
        let name = rel
            .path
            .file_name()
            .ok_or(StorageError::InvalidName)?
            .to_os_string();
        let dir = match rel.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => self.root.open_dir(parent)?,
            _ => self.root.try_clone()?,
        };
        // The final name as an in-place STOR would open it (symlink rules,
        // file type, write permission), without changing it.
        let mode = match self.open_file(rel, OpenOptions::new().write(true)) {
            Ok(old) => Some(old.metadata()?.permissions()),
            Err(StorageError::NotFound) => None,
            Err(other) => return Err(other),
        };
        for _ in 0..UNIQUE_ATTEMPTS {
            let n = self.unique_counter.fetch_add(1, Ordering::Relaxed);
            let temp = OsString::from(format!(
                ".ftp-upload-{}-{:x}.part",
                std::process::id(),
                n & 0xFFFF_FFFF_FFFF
            ));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            never_block(&mut options);
            let file = match dir.open_with(&temp, &options) {
                Ok(file) => file.into_std(),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e.into()),
            };
            // Armed first: from here on a failure removes the file.
            let placement = Placement {
                pending: Some(Pending { dir, temp, name }),
            };
            if let Some(mode) = mode {
                file.set_permissions(mode)?;
            }
            return Ok(FileUpload::new(file, placement));
        }
        Err(StorageError::Busy)
    }

    fn next_unique_name(&self, stem: &[u8]) -> Vec<u8> {
        // A counter scrambled with a multiplicative hash: names differ at
        // every call and between processes (the seed mixes time and pid),
        // while `create_new` guarantees uniqueness whatever they are.
        let n = self.unique_counter.fetch_add(1, Ordering::Relaxed);
        let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        let mut name = stem.to_vec();
        name.extend_from_slice(format!(".{:012x}", mixed & 0xFFFF_FFFF_FFFF).as_bytes());
        name
    }
}

#[cfg(unix)]
fn never_block(options: &mut OpenOptions) {
    use cap_std::fs::OpenOptionsExt;
    // FIFOs would block an open until a peer appears; regular files ignore
    // the flag.
    let flags = rustix::fs::OFlags::NONBLOCK.bits();
    options.custom_flags(i32::try_from(flags).unwrap_or(0));
}

#[cfg(not(unix))]
fn never_block(_options: &mut OpenOptions) {}

/// Joins a directory's virtual path and a name into a virtual path.
fn join(dir: &[u8], name: &[u8]) -> Bytes {
    let mut path = dir.to_vec();
    if path.last() != Some(&b'/') {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    Bytes::from(path)
}

#[cfg(unix)]
fn os_bytes(name: &std::ffi::OsStr) -> Bytes {
    use std::os::unix::ffi::OsStrExt;
    Bytes::copy_from_slice(name.as_bytes())
}

#[cfg(not(unix))]
fn os_bytes(name: &std::ffi::OsStr) -> Bytes {
    Bytes::from(name.to_string_lossy().into_owned())
}

#[cfg(unix)]
fn os_name(name: &[u8]) -> &std::ffi::OsStr {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(name)
}

#[cfg(not(unix))]
fn os_name(name: &[u8]) -> &std::ffi::OsStr {
    // `check_name` has ensured UTF-8 before this is reached.
    std::ffi::OsStr::new(std::str::from_utf8(name).unwrap_or("_"))
}

/// The entries of a directory a [`Filesystem`] lists ([`Storage::list`]):
/// read from the operating system as they are taken, one `stat` each, in
/// directory order, without `.` and `..`. Holds the open directory and the
/// system's read buffer, nothing more.
pub struct DirectoryEntries {
    dir: Dir,
    entries: cap_std::fs::ReadDir,
    failed: bool,
}

impl fmt::Debug for DirectoryEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryEntries")
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Iterator for DirectoryEntries {
    type Item = EntryResult;

    fn next(&mut self) -> Option<EntryResult> {
        if self.failed {
            return None;
        }
        loop {
            let entry = match self.entries.next()? {
                Ok(entry) => entry,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.into()));
                }
            };
            let name = entry.file_name();
            // Entries can vanish between the read and the stat: skip them.
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            let target = if metadata.file_type().is_symlink() {
                self.dir
                    .read_link_contents(&name)
                    .ok()
                    .map(|target| os_bytes(target.as_os_str()))
            } else {
                None
            };
            return Some(Ok(EntryInfo::from_metadata(
                os_bytes(&name),
                &metadata,
                target,
            )));
        }
    }
}

/// Where the bytes of a [`FileUpload`] end up: in the file itself
/// ([`in_place`](Self::in_place)), or in a temporary file renamed over the
/// final name on [`commit`](Self::commit) and removed when dropped without
/// one. Kept apart from the file so that an async storage can wrap the file
/// in its own type and hand both back for a blocking transfer.
#[derive(Debug)]
pub struct Placement {
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    dir: Dir,
    temp: OsString,
    name: OsString,
}

impl Placement {
    /// Bytes written into the file itself: nothing to do on commit.
    #[must_use]
    pub fn in_place() -> Self {
        Self { pending: None }
    }

    /// Whether the upload writes into the file itself.
    #[must_use]
    pub fn is_in_place(&self) -> bool {
        self.pending.is_none()
    }

    /// Renames the temporary file over the final name (nothing in place).
    /// On failure the temporary file is removed.
    ///
    /// # Errors
    /// The rename's.
    pub fn commit(mut self) -> Result<(), StorageError> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let renamed = pending
            .dir
            .rename(&pending.temp, &pending.dir, &pending.name);
        if let Err(e) = renamed {
            tracing::warn!(error = %e, "renaming the upload into place failed");
            let _ = pending.dir.remove_file(&pending.temp);
            return Err(e.into());
        }
        Ok(())
    }
}

impl Drop for Placement {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take()
            && let Err(e) = pending.dir.remove_file(&pending.temp)
        {
            tracing::warn!(error = %e, "removing an abandoned upload failed");
        }
    }
}

/// The [`Upload`] of a [`Filesystem`]: a local file and its
/// [`Placement`].
#[derive(Debug)]
pub struct FileUpload {
    // Dropped in this order: the file is closed before its placement
    // removes it.
    file: File,
    placement: Placement,
}

impl FileUpload {
    /// An upload into `file`, ending where `placement` says.
    #[must_use]
    pub fn new(file: File, placement: Placement) -> Self {
        Self { file, placement }
    }

    /// An upload that writes into `file` itself.
    #[must_use]
    pub fn in_place(file: File) -> Self {
        Self::new(file, Placement::in_place())
    }

    /// The file the bytes go to.
    #[must_use]
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The file and its placement (to wrap the file, say in an async type,
    /// and put them back together with [`new`](Self::new)).
    #[must_use]
    pub fn into_parts(self) -> (File, Placement) {
        (self.file, self.placement)
    }
}

impl Write for FileUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Upload for FileUpload {
    fn commit(self) -> Result<(), StorageError> {
        let (file, placement) = self.into_parts();
        drop(file);
        placement.commit()
    }
}

impl Storage for Filesystem {
    type Reader = File;
    type Writer = FileUpload;
    type Entries = DirectoryEntries;

    fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        let rel = relative(path)?;
        if rel.is_root() {
            let metadata = self.root.dir_metadata()?;
            return Ok(EntryInfo::from_metadata(
                Bytes::from_static(b"/"),
                &metadata,
                None,
            ));
        }
        let metadata = self.root.metadata(&rel.path)?;
        Ok(EntryInfo::from_metadata(
            Bytes::from(rel.name),
            &metadata,
            None,
        ))
    }

    fn list(&self, path: &[u8]) -> Result<DirectoryEntries, StorageError> {
        let rel = relative(path)?;
        let dir = self.root.open_dir(&rel.path)?;
        let entries = dir.entries()?;
        Ok(DirectoryEntries {
            dir,
            entries,
            failed: false,
        })
    }

    fn open_read(&self, path: &[u8], offset: u64) -> Result<File, StorageError> {
        let rel = relative(path)?;
        let mut file = self.open_file(&rel, OpenOptions::new().read(true))?;
        if offset > file.metadata()?.len() {
            return Err(StorageError::InvalidOffset);
        }
        file.seek(SeekFrom::Start(offset))?;
        Ok(file)
    }

    fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<FileUpload, StorageError> {
        self.writable()?;
        let rel = relative(path)?;
        let file = match mode {
            WriteMode::Replace => return self.open_replacing(&rel),
            WriteMode::Truncate | WriteMode::Resume(0) => self.open_file(
                &rel,
                OpenOptions::new().write(true).create(true).truncate(true),
            ),
            WriteMode::Append => self.open_file(&rel, OpenOptions::new().append(true).create(true)),
            WriteMode::CreateNew => {
                self.open_file(&rel, OpenOptions::new().write(true).create_new(true))
            }
            WriteMode::Resume(offset) => {
                let mut file = self.open_file(&rel, OpenOptions::new().write(true))?;
                if offset > file.metadata()?.len() {
                    return Err(StorageError::InvalidOffset);
                }
                file.set_len(offset)?;
                file.seek(SeekFrom::Start(offset))?;
                Ok(file)
            }
        }?;
        Ok(FileUpload::in_place(file))
    }

    fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<FileUpload>, StorageError> {
        self.writable()?;
        let dir_rel = relative(dir)?;
        if let Some(hint) = hint {
            check_name(hint)?;
        }
        let stem = hint.unwrap_or(b"upload");
        let mut first = hint.map(<[u8]>::to_vec);
        for _ in 0..UNIQUE_ATTEMPTS {
            let name = first.take().unwrap_or_else(|| self.next_unique_name(stem));
            let rel = RelativePath {
                path: dir_rel.path.join(os_name(&name)),
                name: name.clone(),
            };
            match self.open_file(&rel, OpenOptions::new().write(true).create_new(true)) {
                Ok(writer) => {
                    return Ok(UniqueFile {
                        path: join(dir, &name),
                        name: Bytes::from(name),
                        writer: FileUpload::in_place(writer),
                    });
                }
                Err(StorageError::AlreadyExists) => {}
                Err(other) => return Err(other),
            }
        }
        Err(StorageError::Busy)
    }

    fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let rel = relative(path)?;
        if rel.is_root() {
            return Err(StorageError::IsADirectory);
        }
        Ok(self.root.remove_file(&rel.path)?)
    }

    fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let rel = relative(path)?;
        if rel.is_root() {
            return Err(StorageError::AlreadyExists);
        }
        Ok(self.root.create_dir(&rel.path)?)
    }

    fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let rel = relative(path)?;
        if rel.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        Ok(self.root.remove_dir(&rel.path)?)
    }

    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let from = relative(from)?;
        let to = relative(to)?;
        if from.is_root() || to.is_root() {
            return Err(StorageError::PermissionDenied);
        }
        Ok(self.root.rename(&from.path, &self.root, &to.path)?)
    }

    fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        self.writable()?;
        let rel = relative(path)?;
        // `fs-set-times` panics on times before the epoch: refuse them here.
        if time.unix_seconds() < 0 {
            return Err(StorageError::Unsupported);
        }
        let time = time.to_system_time().ok_or(StorageError::Unsupported)?;
        let time = SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(time));
        Ok(self.root.set_times(&rel.path, None, Some(time))?)
    }

    fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        let rel = relative(path)?;
        self.root.open_dir(&rel.path)?;
        Ok(())
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }
}
