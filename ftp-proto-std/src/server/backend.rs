//! The server's back end: which storage a logged-in user gets
//! ([`StorageFactory`], [`FilesystemRoots`]) and how the engine's
//! file-system requests become storage calls and typed answers.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use ftp_proto::data::Representation;
use ftp_proto::listing::FileInfo;
use ftp_proto::path::VirtualPath;
use ftp_proto::server::{Answer, FsError, ListFormat, RequestKind};

use crate::auth::{Identity, Permissions};
use crate::listing::StatEntries;
use crate::net::wall_clock;
pub(crate) use crate::serving::Opened;
use crate::serving::store_mode;
use crate::storage::{Filesystem, MemoryStorage, Storage, StorageError, WriteMode};

/// Gives each logged-in user a storage (their own root, their permissions).
pub trait StorageFactory: Send + Sync + fmt::Debug + 'static {
    /// The storage type handed out.
    type Storage: Storage + 'static;

    /// The storage for `identity`, after a successful login. An error
    /// refuses the login (`530`) and is logged.
    ///
    /// # Errors
    /// Whatever keeps the storage from opening.
    fn storage_for(&self, identity: &Identity) -> Result<Self::Storage, StorageError>;
}

/// The usual factory: a [`Filesystem`] rooted at the identity's own root
/// or, without one, at the server's default root; read-only
/// ([`Filesystem::with_read_only`]) when no right of the identity changes
/// anything ([`Permissions::may_modify`](crate::auth::Permissions::may_modify);
/// so anonymous users are read-only). The finer rights are enforced by the
/// servers for every storage.
#[derive(Debug, Clone)]
pub struct FilesystemRoots {
    default_root: PathBuf,
}

impl FilesystemRoots {
    /// Users without a root of their own get `default_root`.
    #[must_use]
    pub fn new(default_root: impl Into<PathBuf>) -> Self {
        Self {
            default_root: default_root.into(),
        }
    }
}

impl StorageFactory for FilesystemRoots {
    type Storage = Filesystem;

    fn storage_for(&self, identity: &Identity) -> Result<Filesystem, StorageError> {
        let root = identity.root.as_ref().unwrap_or(&self.default_root);
        Ok(Filesystem::open(root)?.with_read_only(!identity.permissions.may_modify()))
    }
}

/// One in-memory tree for every user: each login gets a clone of this
/// storage (sharing its files), read-only unless the identity may write;
/// an identity with a root folder of its own is refused (see
/// [`MemoryStorage::view_for`]).
impl StorageFactory for MemoryStorage {
    type Storage = MemoryStorage;

    fn storage_for(&self, identity: &Identity) -> Result<MemoryStorage, StorageError> {
        self.view_for(identity)
    }
}

/// A file opened by a RETR/STOR/APPE/STOU request, waiting for its transfer
/// (or a directory opened by a LIST/NLST/MLSD request).
pub(crate) type OpenedFile<S> =
    Opened<<S as Storage>::Reader, <S as Storage>::Writer, <S as Storage>::Entries>;

/// What answering one request produced.
pub(crate) struct Answered<S: Storage> {
    pub(crate) answer: Answer,
    pub(crate) opened: Option<OpenedFile<S>>,
}

impl<S: Storage> Answered<S> {
    fn plain(answer: Answer) -> Self {
        Self {
            answer,
            opened: None,
        }
    }

    fn opened(answer: Answer, opened: OpenedFile<S>) -> Self {
        Self {
            answer,
            opened: Some(opened),
        }
    }
}

fn err<S: Storage>(e: &StorageError) -> Answered<S> {
    if let StorageError::Io(io) = e {
        tracing::warn!(error = %io, "storage failure");
    }
    Answered::plain(Answer::Error(e.fs_error()))
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return err(&e),
        }
    };
}

/// Answers a file-system request with `storage` (every request but
/// `Login`/`Account`, which the session handles, and those the user's
/// `permissions` refuse, which [`serving::policy_answer`](crate::serving::policy_answer)
/// answers first). `max_listing_bytes` is the engine's limit for a
/// `STAT path` listing; `in_place` writes a replacing STOR into the file
/// itself instead of beside it; `permissions` decide whether a STOR may
/// replace a file and which MLST `perm` facts to show.
pub(crate) fn answer<S: Storage>(
    storage: &S,
    kind: &RequestKind,
    max_listing_bytes: usize,
    in_place: bool,
    permissions: &Permissions,
) -> Answered<S> {
    let done = |r: Result<(), StorageError>| match r {
        Ok(()) => Answered::plain(Answer::Done),
        Err(e) => err(&e),
    };
    match kind {
        RequestKind::ChangeDir { path } => done(storage.check_dir(path.as_bytes())),
        RequestKind::MakeDir { path } => done(storage.make_dir(path.as_bytes())),
        RequestKind::RemoveDir { path } => done(storage.remove_dir(path.as_bytes())),
        RequestKind::Delete { path } => done(storage.remove_file(path.as_bytes())),
        RequestKind::RenameFrom { path } => {
            if storage.is_read_only() {
                return err(&StorageError::PermissionDenied);
            }
            done(storage.metadata(path.as_bytes()).map(drop))
        }
        RequestKind::Rename { from, to } => {
            if !permissions.overwrite && storage.metadata(to.as_bytes()).is_ok() {
                return err(&StorageError::AlreadyExists);
            }
            done(storage.rename(from.as_bytes(), to.as_bytes()))
        }
        RequestKind::Size {
            path,
            representation,
        } => {
            let meta = tri!(storage.metadata(path.as_bytes()));
            if !meta.is_file() {
                return err(&StorageError::NotAFile);
            }
            let size = match representation {
                Representation::Binary => meta.size,
                _ => tri!(ascii_size(storage, path)),
            };
            Answered::plain(Answer::Size(size))
        }
        RequestKind::ModifiedTime { path } => {
            let meta = tri!(storage.metadata(path.as_bytes()));
            match meta.modified {
                Some(t) => Answered::plain(Answer::Modified(t)),
                None => err(&StorageError::Unsupported),
            }
        }
        RequestKind::SetModifiedTime { path, time } => {
            tri!(storage.set_modified(path.as_bytes(), *time));
            let meta = tri!(storage.metadata(path.as_bytes()));
            Answered::plain(Answer::Modified(meta.modified.unwrap_or(*time)))
        }
        RequestKind::Retrieve {
            path,
            offset,
            representation,
        } => {
            let meta = tri!(storage.metadata(path.as_bytes()));
            if !meta.is_file() {
                return err(&StorageError::NotAFile);
            }
            let reader = tri!(storage.open_read(path.as_bytes(), *offset));
            let size = matches!(representation, Representation::Binary)
                .then(|| meta.size.saturating_sub(*offset));
            Answered::opened(Answer::Ready { size }, Opened::Reader(reader))
        }
        RequestKind::Store { path, offset, .. } => {
            let mode = store_mode(*offset, in_place, permissions);
            let writer = tri!(storage.open_write(path.as_bytes(), mode));
            Answered::opened(Answer::Ready { size: None }, Opened::Writer(writer))
        }
        RequestKind::Append { path, .. } => {
            let writer = tri!(storage.open_write(path.as_bytes(), WriteMode::Append));
            Answered::opened(Answer::Ready { size: None }, Opened::Writer(writer))
        }
        RequestKind::StoreUnique { dir, hint, .. } => {
            let created = tri!(storage.create_unique(dir.as_bytes(), hint.as_deref()));
            let Ok(path) = VirtualPath::new(&created.path) else {
                return err(&StorageError::InvalidName);
            };
            Answered::opened(Answer::Unique(path), Opened::Writer(created.writer))
        }
        RequestKind::List { path, format } => match storage.list(path.as_bytes()) {
            // The directory is open: its entries are read as they are sent.
            Ok(entries) => Answered::opened(
                Answer::DirectoryListing {
                    wall_clock: wall_clock(),
                },
                Opened::Directory(entries),
            ),
            Err(StorageError::NotADirectory) if *format != ListFormat::Machine => {
                let info = tri!(one_file(storage, path));
                Answered::plain(Answer::Listing {
                    entries: vec![info],
                    wall_clock: wall_clock(),
                })
            }
            Err(e) => err(&e),
        },
        RequestKind::Stat { path } => {
            let now = wall_clock();
            let entries = match storage.list(path.as_bytes()) {
                Ok(entries) => {
                    let mut kept = StatEntries::new(max_listing_bytes, now);
                    for entry in entries {
                        if !kept.push(tri!(entry)) {
                            break;
                        }
                    }
                    kept.into_entries()
                }
                Err(StorageError::NotADirectory) => vec![tri!(one_file(storage, path))],
                Err(e) => return err(&e),
            };
            Answered::plain(Answer::Listing {
                entries,
                wall_clock: now,
            })
        }
        RequestKind::MachineListOne { path } => {
            let meta = tri!(storage.metadata(path.as_bytes()));
            let mut info = meta.into_file_info(permissions);
            info.name = path.to_bytes();
            Answered::plain(Answer::Entry(Box::new(info)))
        }
        RequestKind::Host { .. } => Answered::plain(Answer::Done),
        // SITE commands: none are offered.
        _ => Answered::plain(Answer::Error(FsError::NotSupported)),
    }
}

/// The listing entry of the file `path` names (`LIST file`, `STAT file`).
fn one_file<S: Storage>(storage: &S, path: &VirtualPath) -> Result<FileInfo, StorageError> {
    let mut info = FileInfo::from(storage.metadata(path.as_bytes())?);
    info.name = path
        .file_name()
        .map_or_else(|| path.to_bytes(), |n| n.to_vec().into());
    Ok(info)
}

/// The size of a file in TYPE A (reads the whole file).
fn ascii_size<S: Storage>(storage: &S, path: &VirtualPath) -> Result<u64, StorageError> {
    let mut reader = storage.open_read(path.as_bytes(), 0)?;
    let mut size = ftp_proto::ascii::AsciiSize::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size.update(buf.get(..n).unwrap_or_default());
    }
    Ok(size.total())
}
