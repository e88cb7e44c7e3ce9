//! Why a storage operation failed, sorted into the few categories an FTP
//! server can answer with.

use std::io;

use ftp_proto::server::FsError;

/// A storage operation failed.
///
/// The variants say *what* went wrong in terms a server can act on; the
/// reply to send is [`StorageError::category`]. Operating-system messages
/// stay inside [`StorageError::Io`] and are meant for logs, not for peers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The path (or one of its parent directories) does not exist.
    #[error("no such file or directory")]
    NotFound,
    /// The operation is not allowed: a read-only storage, file-system
    /// permissions, or a path that would lead outside the storage root.
    #[error("permission denied")]
    PermissionDenied,
    /// Something already exists under the target name.
    #[error("already exists")]
    AlreadyExists,
    /// A directory was expected but the path names something else (also when
    /// a parent component of the path is not a directory).
    #[error("not a directory")]
    NotADirectory,
    /// A file was expected but the path names a directory.
    #[error("is a directory")]
    IsADirectory,
    /// The path names something that is neither a regular file nor a
    /// directory (a FIFO, socket or device), which is never opened.
    #[error("not a regular file")]
    NotAFile,
    /// A directory could not be removed because it still has entries.
    #[error("directory not empty")]
    DirectoryNotEmpty,
    /// The name is not acceptable: not an absolute virtual path, a `..`
    /// component, a NUL byte, too long, or refused by the file system.
    #[error("file name not allowed")]
    InvalidName,
    /// The storage cannot do what was asked (for example set a modification
    /// time before 1970).
    #[error("not supported by this storage")]
    Unsupported,
    /// A restart offset lies beyond the end of the file.
    #[error("restart offset beyond end of file")]
    InvalidOffset,
    /// The device is full or a quota is exhausted.
    #[error("no space left")]
    NoSpace,
    /// The resource is busy or the operation was interrupted; retrying later
    /// may succeed.
    #[error("resource busy, try again")]
    Busy,
    /// Any other input/output failure.
    #[error("i/o error: {0}")]
    Io(#[source] io::Error),
}

/// The kind of FTP reply a [`StorageError`] calls for.
///
/// Each category names one reply code the server would normally send; the
/// server may pick a neighbour where a command has a more specific one (for
/// example 553 instead of 550 for [`StorageError::AlreadyExists`] on STOU,
/// or 552 instead of 452 for [`StorageError::NoSpace`] during a STOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCategory {
    /// 550: requested action not taken; file unavailable (not found, no
    /// access, wrong kind of file).
    Unavailable,
    /// 553: requested action not taken; file name not allowed.
    NameNotAllowed,
    /// 452: requested action not taken; insufficient storage space.
    InsufficientStorage,
    /// 450: requested file action not taken; file busy (transient).
    Busy,
    /// 451: requested action aborted; local error in processing.
    LocalError,
    /// 554: requested action not taken; invalid REST parameter (RFC 3659).
    InvalidRestart,
}

impl ErrorCategory {
    /// The reply code this category is normally answered with.
    #[must_use]
    pub const fn reply_code(self) -> u16 {
        match self {
            Self::Unavailable => 550,
            Self::NameNotAllowed => 553,
            Self::InsufficientStorage => 452,
            Self::Busy => 450,
            Self::LocalError => 451,
            Self::InvalidRestart => 554,
        }
    }
}

impl StorageError {
    /// Which reply this error calls for.
    #[must_use]
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::NotFound
            | Self::PermissionDenied
            | Self::AlreadyExists
            | Self::NotADirectory
            | Self::IsADirectory
            | Self::NotAFile
            | Self::DirectoryNotEmpty
            | Self::Unsupported => ErrorCategory::Unavailable,
            Self::InvalidName => ErrorCategory::NameNotAllowed,
            Self::InvalidOffset => ErrorCategory::InvalidRestart,
            Self::NoSpace => ErrorCategory::InsufficientStorage,
            Self::Busy => ErrorCategory::Busy,
            Self::Io(_) => ErrorCategory::LocalError,
        }
    }

    /// This failure in the engine's vocabulary (the engine then picks the
    /// reply code the command allows). Every adapter answers with it.
    #[must_use]
    pub fn fs_error(&self) -> FsError {
        match self {
            Self::NotFound => FsError::NotFound,
            Self::PermissionDenied => FsError::PermissionDenied,
            Self::DirectoryNotEmpty => FsError::DirectoryNotEmpty,
            Self::AlreadyExists => FsError::AlreadyExists,
            Self::NotADirectory => FsError::NotADirectory,
            Self::IsADirectory | Self::NotAFile => FsError::NotAFile,
            Self::InvalidName => FsError::NameNotAllowed,
            Self::Unsupported => FsError::NotSupported,
            Self::InvalidOffset => FsError::InvalidOffset,
            Self::NoSpace => FsError::InsufficientStorage,
            Self::Busy => FsError::Busy,
            Self::Io(_) => FsError::LocalError,
        }
    }

    /// Whether retrying the same request later may succeed (a 4xx reply).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self.category(),
            ErrorCategory::Busy | ErrorCategory::LocalError | ErrorCategory::InsufficientStorage
        )
    }
}

impl From<io::Error> for StorageError {
    /// Sorts an operating-system error into a variant. Errors that fit no
    /// variant are kept whole in [`StorageError::Io`].
    fn from(error: io::Error) -> Self {
        use io::ErrorKind as K;
        match error.kind() {
            K::NotFound => Self::NotFound,
            K::PermissionDenied | K::ReadOnlyFilesystem => Self::PermissionDenied,
            K::AlreadyExists => Self::AlreadyExists,
            K::NotADirectory => Self::NotADirectory,
            K::IsADirectory => Self::IsADirectory,
            K::DirectoryNotEmpty => Self::DirectoryNotEmpty,
            K::InvalidFilename => Self::InvalidName,
            K::StorageFull | K::QuotaExceeded | K::FileTooLarge => Self::NoSpace,
            K::ResourceBusy | K::WouldBlock | K::Interrupted | K::TimedOut => Self::Busy,
            _ => Self::Io(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_sorted_into_reply_categories() {
        let cases = [
            (io::ErrorKind::NotFound, 550),
            (io::ErrorKind::PermissionDenied, 550),
            (io::ErrorKind::ReadOnlyFilesystem, 550),
            (io::ErrorKind::AlreadyExists, 550),
            (io::ErrorKind::NotADirectory, 550),
            (io::ErrorKind::IsADirectory, 550),
            (io::ErrorKind::DirectoryNotEmpty, 550),
            (io::ErrorKind::InvalidFilename, 553),
            (io::ErrorKind::StorageFull, 452),
            (io::ErrorKind::QuotaExceeded, 452),
            (io::ErrorKind::ResourceBusy, 450),
            (io::ErrorKind::Interrupted, 450),
            (io::ErrorKind::UnexpectedEof, 451),
            (io::ErrorKind::Other, 451),
        ];
        for (kind, code) in cases {
            let error = StorageError::from(io::Error::from(kind));
            assert_eq!(error.category().reply_code(), code, "{kind:?}");
        }
        assert_eq!(StorageError::InvalidOffset.category().reply_code(), 554);
        assert!(StorageError::Busy.is_transient());
        assert!(!StorageError::NotFound.is_transient());
    }
}
