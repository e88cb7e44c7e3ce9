//! The server's back end: which storage a logged-in user gets
//! ([`StorageFactory`], [`FilesystemRoots`]) and how the engine's file-system
//! requests become storage calls and typed answers. The one place where the
//! storage's [`EntryInfo`] becomes the engine's [`FileInfo`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ftp_proto::data::Representation;
use ftp_proto::listing::FileInfo;
use ftp_proto::path::VirtualPath;
use ftp_proto::server::{Answer, FsError, ListFormat, RequestKind};
use tokio::io::AsyncReadExt;

use ftp_proto_std::listing::{LISTING_BATCH, StatEntries};
pub(crate) use ftp_proto_std::serving::Opened;

use crate::auth::{Identity, Permissions};
use crate::storage::{
    EntryBatches, EntryInfo, Filesystem, Lookups, MemoryStorage, Storage, StorageError, WriteMode,
};
use ftp_proto_std::serving::store_mode;

/// Gives each logged-in user a storage (their own root, their permissions).
pub trait StorageFactory: Send + Sync + fmt::Debug + 'static {
    /// The storage type handed out.
    type Storage: Storage;

    /// The storage for `identity`, after a successful login. An error
    /// refuses the login (`530`) and is logged.
    fn storage_for(
        &self,
        identity: &Identity,
    ) -> impl Future<Output = Result<Self::Storage, StorageError>> + Send;
}

/// The usual factory: a [`Filesystem`] rooted at the identity's own root
/// or, without one, at the server's default root; read-only when no right
/// of the identity changes anything
/// ([`Permissions::may_modify`](crate::auth::Permissions::may_modify); so
/// anonymous users are read-only). The finer rights are enforced by the
/// server for every storage.
///
/// Each root folder is opened once (for the first login that needs it) and
/// shared by every later session with the same root and access, so a
/// logged-in session costs no file descriptor of its own (up to
/// 256 distinct roots; beyond them each login opens its
/// own). A root folder replaced while the server runs keeps being served
/// from the folder that was opened.
///
/// Metadata lookups (SIZE, MDTM, MLST, CWD) run inline on the session's
/// task until one is slow; then every storage this factory has handed out
/// or will hand out moves them to the blocking pool (see [`Filesystem`]
/// and [`offload_lookups`](Self::offload_lookups)).
#[derive(Debug, Clone)]
pub struct FilesystemRoots {
    default_root: PathBuf,
    opened: Arc<Mutex<HashMap<(PathBuf, bool), Filesystem>>>,
    lookups: Lookups,
}

/// How many distinct (root, read-only) storages [`FilesystemRoots`] keeps open.
const MAX_SHARED_ROOTS: usize = 256;

impl FilesystemRoots {
    /// Users without a root of their own get `default_root`.
    #[must_use]
    pub fn new(default_root: impl Into<PathBuf>) -> Self {
        Self {
            default_root: default_root.into(),
            opened: Arc::default(),
            lookups: Lookups::new(),
        }
    }

    /// Runs the storages' metadata lookups on the blocking pool from the
    /// start (`true`; for roots on a network or other slow file system)
    /// or inline with the slow-lookup safety net (`false`, the default).
    /// See [`Filesystem::offload_lookups`].
    #[must_use]
    pub fn offload_lookups(self, offload: bool) -> Self {
        self.lookups.set_offloaded(offload);
        self
    }

    /// How long an inline lookup may take before it counts as slow (50 ms
    /// by default); see [`Filesystem::slow_lookup_threshold`] for when the
    /// storages' lookups then move to the blocking pool.
    #[must_use]
    pub fn slow_lookup_threshold(mut self, threshold: Duration) -> Self {
        self.lookups.set_slow_threshold(threshold);
        self
    }

    /// Whether the storages' lookups run on the blocking pool now (forced,
    /// or after a slow lookup in any session).
    #[must_use]
    pub fn lookups_offloaded(&self) -> bool {
        self.lookups.offloaded()
    }

    fn shared(&self, key: &(PathBuf, bool)) -> Option<Filesystem> {
        let opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        opened.get(key).cloned()
    }

    fn remember(&self, key: (PathBuf, bool), fs: &Filesystem) {
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        if opened.len() < MAX_SHARED_ROOTS {
            opened.entry(key).or_insert_with(|| fs.clone());
        }
    }
}

impl StorageFactory for FilesystemRoots {
    type Storage = Filesystem;

    async fn storage_for(&self, identity: &Identity) -> Result<Filesystem, StorageError> {
        let root = identity
            .root
            .clone()
            .unwrap_or_else(|| self.default_root.clone());
        let read_only = !identity.permissions.may_modify();
        let key = (root, read_only);
        if let Some(fs) = self.shared(&key) {
            return Ok(fs);
        }
        let path = key.0.clone();
        let inner = tokio::task::spawn_blocking(move || {
            ftp_proto_std::storage::Filesystem::open(path).map(|fs| fs.with_read_only(read_only))
        })
        .await
        .map_err(|join| StorageError::Io(io::Error::other(join)))??;
        let fs = Filesystem::with_lookups(inner, self.lookups.clone());
        self.remember(key, &fs);
        Ok(fs)
    }
}

/// One in-memory tree for every user: each login gets a clone of this
/// storage (sharing its files), read-only unless the identity may write;
/// an identity with a root folder of its own is refused (see
/// [`ftp_proto_std::storage::MemoryStorage::view_for`]).
impl StorageFactory for MemoryStorage {
    type Storage = MemoryStorage;

    async fn storage_for(&self, identity: &Identity) -> Result<MemoryStorage, StorageError> {
        self.as_blocking()
            .view_for(identity)
            .map(MemoryStorage::from)
    }
}

/// A file opened by a RETR/STOR/APPE/STOU request, waiting for its transfer
/// (or a directory opened by a LIST/NLST/MLSD request).
pub(crate) type OpenedFile<S> =
    Opened<<S as Storage>::Reader, <S as Storage>::Writer, <S as Storage>::Entries>;

/// The storage's description of an entry as the engine's listing type
/// (the shared conversion, `impl From<EntryInfo> for FileInfo` in
/// [`ftp_proto_std::storage`]; the MLSx `perm` fact derived from the mode).
/// The server shows entries with the user's rights instead
/// ([`EntryInfo::into_file_info`]).
#[must_use]
pub fn file_info(entry: EntryInfo) -> FileInfo {
    FileInfo::from(entry)
}

/// Sorts a storage failure into the engine's vocabulary (the engine picks
/// the reply code the command allows); see [`StorageError::fs_error`].
#[must_use]
pub fn fs_error(error: &StorageError) -> FsError {
    error.fs_error()
}

pub(crate) use ftp_proto_std::net::wall_clock;

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
}

fn err<S: Storage>(e: &StorageError) -> Answered<S> {
    if let StorageError::Io(io) = e {
        tracing::warn!(error = %io, "storage failure");
    }
    Answered::plain(Answer::Error(fs_error(e)))
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
/// `Login`/`Account`/`Host`, which the session handles, and those the
/// user's `permissions` refuse, answered first by
/// [`serving::policy_answer`](ftp_proto_std::serving::policy_answer)).
/// `max_listing_bytes` is the engine's limit for a `STAT path` listing;
/// `in_place` writes a replacing STOR into the file itself instead of
/// beside it; `permissions` decide whether a STOR may replace a file and
/// which MLST `perm` facts to show.
pub(crate) async fn answer<S: Storage>(
    storage: &S,
    kind: &RequestKind,
    max_listing_bytes: usize,
    in_place: bool,
    permissions: &Permissions,
) -> Answered<S> {
    match kind {
        RequestKind::ChangeDir { path } => {
            tri!(storage.check_dir(path.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::MakeDir { path } => {
            tri!(storage.make_dir(path.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::RemoveDir { path } => {
            tri!(storage.remove_dir(path.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::Delete { path } => {
            tri!(storage.remove_file(path.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::RenameFrom { path } => {
            if storage.is_read_only() {
                return err(&StorageError::PermissionDenied);
            }
            tri!(storage.metadata(path.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::Rename { from, to } => {
            if !permissions.overwrite && storage.metadata(to.as_bytes()).await.is_ok() {
                return err(&StorageError::AlreadyExists);
            }
            tri!(storage.rename(from.as_bytes(), to.as_bytes()).await);
            Answered::plain(Answer::Done)
        }
        RequestKind::Size {
            path,
            representation,
        } => {
            let meta = tri!(storage.metadata(path.as_bytes()).await);
            if !meta.is_file() {
                return err(&StorageError::NotAFile);
            }
            let size = match representation {
                Representation::Binary => meta.size,
                _ => tri!(ascii_size(storage, path).await),
            };
            Answered::plain(Answer::Size(size))
        }
        RequestKind::ModifiedTime { path } => {
            let meta = tri!(storage.metadata(path.as_bytes()).await);
            match meta.modified {
                Some(t) => Answered::plain(Answer::Modified(t)),
                None => err(&StorageError::Unsupported),
            }
        }
        RequestKind::SetModifiedTime { path, time } => {
            tri!(storage.set_modified(path.as_bytes(), *time).await);
            let meta = tri!(storage.metadata(path.as_bytes()).await);
            Answered::plain(Answer::Modified(meta.modified.unwrap_or(*time)))
        }
        RequestKind::Retrieve {
            path,
            offset,
            representation,
        } => {
            let meta = tri!(storage.metadata(path.as_bytes()).await);
            if !meta.is_file() {
                return err(&StorageError::NotAFile);
            }
            let reader = tri!(storage.open_read(path.as_bytes(), *offset).await);
            let size = matches!(representation, Representation::Binary)
                .then(|| meta.size.saturating_sub(*offset));
            Answered {
                answer: Answer::Ready { size },
                opened: Some(Opened::Reader(reader)),
            }
        }
        RequestKind::Store { path, offset, .. } => {
            let mode = store_mode(*offset, in_place, permissions);
            let writer = tri!(storage.open_write(path.as_bytes(), mode).await);
            Answered {
                answer: Answer::Ready { size: None },
                opened: Some(Opened::Writer(writer)),
            }
        }
        RequestKind::Append { path, .. } => {
            let writer = tri!(storage.open_write(path.as_bytes(), WriteMode::Append).await);
            Answered {
                answer: Answer::Ready { size: None },
                opened: Some(Opened::Writer(writer)),
            }
        }
        RequestKind::StoreUnique { dir, hint, .. } => {
            let created = tri!(storage.create_unique(dir.as_bytes(), hint.as_deref()).await);
            let Ok(path) = VirtualPath::new(&created.path) else {
                return err(&StorageError::InvalidName);
            };
            Answered {
                answer: Answer::Unique(path),
                opened: Some(Opened::Writer(created.writer)),
            }
        }
        RequestKind::List { path, format } => match storage.list(path.as_bytes()).await {
            // The directory is open: its entries are read as they are sent.
            Ok(entries) => Answered {
                answer: Answer::DirectoryListing {
                    wall_clock: wall_clock(),
                },
                opened: Some(Opened::Directory(entries)),
            },
            Err(StorageError::NotADirectory) if *format != ListFormat::Machine => {
                let info = tri!(one_file(storage, path).await);
                Answered::plain(Answer::Listing {
                    entries: vec![info],
                    wall_clock: wall_clock(),
                })
            }
            Err(e) => err(&e),
        },
        RequestKind::Stat { path } => {
            let now = wall_clock();
            let entries = match storage.list(path.as_bytes()).await {
                Ok(entries) => tri!(stat_entries(entries, max_listing_bytes, now).await),
                Err(StorageError::NotADirectory) => vec![tri!(one_file(storage, path).await)],
                Err(e) => return err(&e),
            };
            Answered::plain(Answer::Listing {
                entries,
                wall_clock: now,
            })
        }
        RequestKind::MachineListOne { path } => {
            let meta = tri!(storage.metadata(path.as_bytes()).await);
            let mut info = meta.into_file_info(permissions);
            info.name = path.to_bytes();
            Answered::plain(Answer::Entry(Box::new(info)))
        }
        // SITE commands: none are offered.
        _ => Answered::plain(Answer::Error(FsError::NotSupported)),
    }
}

/// The listing entry of the file `path` names (`LIST file`, `STAT file`).
async fn one_file<S: Storage>(storage: &S, path: &VirtualPath) -> Result<FileInfo, StorageError> {
    let mut info = file_info(storage.metadata(path.as_bytes()).await?);
    info.name = path
        .file_name()
        .map_or_else(|| path.to_bytes(), |n| n.to_vec().into());
    Ok(info)
}

/// The entries a `STAT path` reply shows: read until they are more than the
/// engine sends (see [`StatEntries`]).
async fn stat_entries<D: EntryBatches>(
    mut entries: D,
    max_listing_bytes: usize,
    now: ftp_proto::timestamp::Timestamp,
) -> Result<Vec<FileInfo>, StorageError> {
    let mut kept = StatEntries::new(max_listing_bytes, now);
    let mut batch = Vec::with_capacity(LISTING_BATCH);
    loop {
        entries.next_batch(&mut batch, LISTING_BATCH).await?;
        if batch.is_empty() || !batch.drain(..).all(|entry| kept.push(entry)) {
            return Ok(kept.into_entries());
        }
    }
}

/// The size of a file in TYPE A (reads the whole file).
async fn ascii_size<S: Storage>(storage: &S, path: &VirtualPath) -> Result<u64, StorageError> {
    let mut reader = storage.open_read(path.as_bytes(), 0).await?;
    let mut size = ftp_proto::ascii::AsciiSize::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size.update(buf.get(..n).unwrap_or_default());
    }
    Ok(size.total())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(root: Option<PathBuf>, write: bool) -> Identity {
        Identity {
            user: "u".to_owned(),
            anonymous: !write,
            permissions: if write {
                Permissions::FULL
            } else {
                Permissions::READ_ONLY
            },
            root,
        }
    }

    #[tokio::test]
    async fn a_slow_lookup_moves_every_handed_out_storage_to_the_pool() {
        let temp = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let roots = FilesystemRoots::new(temp.path()).slow_lookup_threshold(Duration::ZERO);
        let reader = roots.storage_for(&identity(None, false)).await.unwrap();
        let writer = roots
            .storage_for(&identity(Some(other.path().into()), true))
            .await
            .unwrap();
        assert!(!roots.lookups_offloaded() && !writer.lookups_offloaded());
        reader.check_dir(b"/").await.unwrap();
        assert!(reader.lookups_offloaded() && writer.lookups_offloaded());
        assert!(roots.lookups_offloaded());
        let later = roots.storage_for(&identity(None, true)).await.unwrap();
        assert!(later.lookups_offloaded());
    }

    #[tokio::test]
    async fn lookups_inline_by_default_or_offloaded_on_request() {
        let temp = tempfile::tempdir().unwrap();
        let roots = FilesystemRoots::new(temp.path());
        let fs = roots.storage_for(&identity(None, true)).await.unwrap();
        assert!(!fs.lookups_offloaded());
        let roots = FilesystemRoots::new(temp.path()).offload_lookups(true);
        let fs = roots.storage_for(&identity(None, true)).await.unwrap();
        assert!(fs.lookups_offloaded());
        assert!(fs.metadata(b"/").await.unwrap().is_dir());
    }
}
