//! Storage: the file operations an FTP server performs, on virtual paths.
//!
//! The engine turns every path a peer names into a normalised absolute
//! *virtual path* (`/`-separated, no `..`, never above `/`). A [`Storage`]
//! maps such paths onto something real and performs the operations that the
//! server's commands need: metadata for SIZE/MDTM/MLST, directory listings
//! (streamed entry by entry, in directory order),
//! streaming reads and writes with REST offsets, STOU, DELE, MKD, RMD,
//! RNFR/RNTO, MFMT and the CWD check.
//!
//! [`Filesystem`] is the implementation over a real folder. Its security
//! model is *capabilities, not string checks*: it holds an open handle to its
//! root folder and resolves every path beneath that handle, so that the
//! operating system itself refuses `..`, absolute symlink targets and symlinks
//! leading out, at the moment of use (see [`Filesystem`] for the details).
//!
//! [`MemoryStorage`] is a whole file tree in memory, bounded by a capacity
//! and a per-file size, shared by its clones: for ephemeral drop-boxes and
//! for tests.
//!
//! Paths are given as the bytes of a virtual path (`VirtualPath::as_bytes`).
//! They are validated again here (defence in depth): a path that does not
//! start with `/`, holds a NUL byte or a `..` component is refused before the
//! file system is touched.
//!
//! # Uploads that replace a file
//!
//! An upload is an [`Upload`]: bytes go in with `Write`, and
//! [`Upload::commit`] makes them the file's content once the transfer has
//! every byte, before the final reply. A STOR that creates or replaces a
//! file ([`WriteMode::Replace`], what the servers ask for by default) must
//! leave the old file untouched until the commit: a failed or aborted
//! upload (disk full, connection lost, `ABOR`, the session's end) is
//! dropped without a commit and leaves no trace. [`Filesystem`] writes such
//! an upload to a temporary file beside the final one and renames it into
//! place on commit; an object store maps the same contract onto a multipart
//! upload (writes upload parts, `commit` completes it, a drop aborts it).
//! [`MemoryStorage`] buffers the upload and swaps the new content in on
//! commit.
//!
//! A STOR by a user who may not overwrite files opens
//! [`WriteMode::CreateNew`]: an exclusive create that fails when the name
//! exists, never a replacement.
//!
//! REST+STOR ([`WriteMode::Resume`]), APPE ([`WriteMode::Append`]), STOU,
//! [`WriteMode::CreateNew`] and the servers' in-place option
//! ([`WriteMode::Truncate`]) write into the file itself: a failed one leaves what was written, as vsftpd and
//! pure-ftpd do, so that the client can resume it with REST+STOR. (Resuming
//! a failed [`WriteMode::Replace`] upload is not possible: what is left is
//! the old file, not a prefix of the new one.)

mod error;
mod filesystem;
mod info;
mod memory;
mod vpath;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{Read, Seek, Write};

pub use error::{ErrorCategory, StorageError};
pub use filesystem::{DirectoryEntries, FileUpload, Filesystem, Placement};
pub use info::{EntryInfo, EntryKind};
pub use memory::{MemoryEntries, MemoryStorage, MemoryUpload};
pub use vpath::MAX_PATH_LEN;

// The types this module's signatures use, so that a storage implementation
// needs one `use` of this module.
pub use bytes::Bytes;
pub use ftp_proto::Timestamp;

/// How [`Storage::open_write`] treats existing content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// STOR (the servers' default): the upload creates the file or replaces
    /// it as a whole on [`Upload::commit`]; until then an existing file
    /// stays as it was, and an upload dropped without a commit leaves no
    /// trace. Needs the same permissions as [`WriteMode::Truncate`].
    Replace,
    /// STOR in place (the servers' in-place option): create the file, or
    /// empty it if it exists, and write into it.
    Truncate,
    /// REST *n* then STOR: keep the first *n* bytes of an existing file,
    /// drop the rest, and write from *n* on. An offset of 0 is the same as
    /// [`WriteMode::Truncate`]; an offset above 0 needs an existing file
    /// at least that long ([`StorageError::NotFound`] /
    /// [`StorageError::InvalidOffset`] otherwise).
    Resume(u64),
    /// APPE: create the file if needed and write at its end.
    Append,
    /// STOR by a user who may not overwrite
    /// ([`Permissions::overwrite`](crate::auth::Permissions::overwrite)):
    /// create the file exclusively and write into it;
    /// [`StorageError::AlreadyExists`] (`550`) when anything already has
    /// that name. The existence check and the creation must be one atomic
    /// step (an exclusive create, `O_CREAT | O_EXCL`), so that no upload
    /// replaces a file that appeared in between; nothing is ever renamed
    /// over an existing name. A failed upload leaves what was written, as
    /// [`WriteMode::Truncate`] does.
    CreateNew,
}

/// One entry of a directory being read, or the error that stopped the
/// reading (the item type of [`Storage::Entries`]).
pub type EntryResult = Result<EntryInfo, StorageError>;

/// A directory's entries as a boxed iterator, for code that handles the
/// directories of several storage types alike (the tokio server hands
/// them to transfer threads this way).
pub type BoxedEntries = Box<dyn Iterator<Item = EntryResult> + Send>;

/// A file being written by an upload (STOR, APPE, STOU): the bytes go in
/// with `Write`, then [`commit`](Self::commit) makes them the file's
/// content.
///
/// Dropping an upload without a commit abandons it: one opened with
/// [`WriteMode::Replace`] then leaves nothing behind (the old file, if any,
/// stays as it was); one that writes in place leaves what was written. An
/// object store maps this onto its multipart uploads: writes upload parts,
/// `commit` completes the upload, a drop aborts it.
pub trait Upload: Write + Send {
    /// Makes the upload the file's content (for a file written beside its
    /// final name, the rename into place). The servers call it once, after
    /// the last byte was written and flushed and before the final reply; on
    /// an error the transfer fails (`451`) and the upload is abandoned.
    ///
    /// # Errors
    /// What kept the content from taking its place.
    fn commit(self) -> Result<(), StorageError>
    where
        Self: Sized;
}

/// A file created under a fresh name by [`Storage::create_unique`] (STOU).
#[derive(Debug)]
pub struct UniqueFile<W> {
    /// The chosen name (one path component), for the `150 FILE: name` reply.
    pub name: Bytes,
    /// The virtual path of the new file.
    pub path: Bytes,
    /// The new, empty file, open for writing.
    pub writer: W,
}

/// The file operations a server needs, on virtual paths (blocking).
///
/// Every path is the byte form of an absolute virtual path. Implementations
/// must treat paths as hostile: validate them, and never act outside the
/// space they serve. Errors are [`StorageError`]s, whose
/// [`category`](StorageError::category) says which reply to send.
pub trait Storage: Send + Sync + fmt::Debug {
    /// A file open for reading (RETR), positioned at the requested offset.
    type Reader: Read + Seek + Send + 'static;
    /// A file open for writing (STOR, APPE, STOU), positioned where the
    /// data goes; the server commits it when the upload is complete.
    type Writer: Upload + 'static;
    /// The entries of a directory being listed, read as they are needed
    /// (see [`list`](Self::list)).
    type Entries: Iterator<Item = EntryResult> + Send + 'static;

    /// Facts about the file or directory at `path` (SIZE, MDTM, MLST, and
    /// existence checks such as the one for RNFR).
    fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError>;

    /// Opens the directory at `path` for listing (LIST, NLST, MLSD, STAT):
    /// its entries are then read one by one from the iterator, as the
    /// server sends them, so a listing's memory does not grow with the
    /// directory.
    ///
    /// Errors that keep the directory from being listed at all (missing,
    /// not readable, [`StorageError::NotADirectory`]) come from this call,
    /// before the server promises a transfer. The iterator:
    /// - yields the entries in the order the storage reads them (for a file
    ///   system, directory order): no sorting, since a sort needs every
    ///   name in memory at once;
    /// - never yields `.` and `..`;
    /// - may skip an entry that vanished while it was read;
    /// - yields an `Err` when reading fails midway (the transfer then ends
    ///   with `451`, never as a complete listing), and is not used after it.
    fn list(&self, path: &[u8]) -> Result<Self::Entries, StorageError>;

    /// Opens the regular file at `path` for reading from byte `offset` (REST).
    /// An offset equal to the size gives an empty read; a larger one is
    /// [`StorageError::InvalidOffset`].
    fn open_read(&self, path: &[u8], offset: u64) -> Result<Self::Reader, StorageError>;

    /// Opens the file at `path` for writing as `mode` says: an upload the
    /// server commits once it has every byte ([`WriteMode::Replace`] leaves
    /// an existing file untouched until then).
    fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<Self::Writer, StorageError>;

    /// Creates a new empty file in the directory `dir` under a name that did
    /// not exist (STOU). `hint`, if given, is tried first and then used as
    /// the stem of generated names. The upload writes into that file (its
    /// name was free, so no content is lost; creating it reserves the name
    /// against concurrent uploads); a failed one leaves what was written.
    fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<Self::Writer>, StorageError>;

    /// Deletes the file at `path` (DELE); a symlink is removed itself, not
    /// its target. [`StorageError::IsADirectory`] for a directory.
    fn remove_file(&self, path: &[u8]) -> Result<(), StorageError>;

    /// Creates the directory `path` (MKD); its parent must exist.
    fn make_dir(&self, path: &[u8]) -> Result<(), StorageError>;

    /// Removes the empty directory `path` (RMD).
    /// [`StorageError::DirectoryNotEmpty`] if it has entries.
    fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError>;

    /// Renames `from` to `to` (RNFR/RNTO). An existing file at `to` is
    /// replaced, as POSIX `rename` does; the root cannot be renamed.
    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError>;

    /// Sets the modification time of `path` (MFMT). A time the storage
    /// cannot represent is [`StorageError::Unsupported`].
    fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError>;

    /// Succeeds if `path` is an existing directory the server may enter
    /// (CWD, CDUP).
    fn check_dir(&self, path: &[u8]) -> Result<(), StorageError>;

    /// Whether the storage itself refuses every modifying operation (it
    /// must then do so in each of them). The servers do not rely on it: they
    /// check the user's [`Permissions`](crate::auth::Permissions) before any
    /// request reaches the storage, whatever this says.
    fn is_read_only(&self) -> bool;
}
