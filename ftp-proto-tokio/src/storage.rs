//! Storage for the async server: the blocking rules, run off the runtime.
//!
//! The storage rules live in one place, [`ftp_proto_std::storage`]: this
//! module mirrors its [`Storage`](ftp_proto_std::storage::Storage) trait with
//! async methods and provides [`Filesystem`], which runs the blocking
//! [`Filesystem`](ftp_proto_std::storage::Filesystem) (and so its whole
//! security model) on tokio's blocking thread pool, except for single
//! metadata lookups, which run inline while they are fast (see
//! [`Filesystem`]). Opened files come back as
//! [`tokio::fs::File`] so the data path streams asynchronously, and listed
//! directories as [`FilesystemEntries`], read a batch at a time.
//! [`MemoryStorage`] is the blocking in-memory tree, called inline (its
//! operations never wait on anything but a short lock).
//!
//! Every future returned by [`Storage`] is `Send`, so generic server code can
//! call a storage from inside `tokio::spawn`.
//!
//! Cancellation: dropping one of these futures does not stop an operation
//! already handed to the blocking pool; it runs to completion and its result
//! (for example a just-opened file) is dropped.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ftp_proto_std::storage::Storage as _;
use tokio::io::{AsyncRead, AsyncWrite};

mod memory;

pub use memory::{MemoryEntries, MemoryStorage, MemoryUpload};

// With the types the trait signatures use (`Bytes`, `Timestamp`), so that a
// storage implementation needs one `use` of this module.
pub use ftp_proto_std::storage::{
    BoxedEntries, Bytes, EntryInfo, EntryKind, EntryResult, ErrorCategory, Placement, StorageError,
    Timestamp, UniqueFile, WriteMode,
};

/// The entries of a directory being listed (LIST, NLST, MLSD, STAT), read
/// a batch at a time as the server sends them, so a listing's memory does
/// not grow with the directory. The same contract as the blocking
/// [`Storage::list`](ftp_proto_std::storage::Storage::list)'s iterator:
/// the order the storage reads them in (no sorting), no `.` and `..`, an
/// error when reading fails midway (the transfer then ends with `451`);
/// after an error the batches are not asked for again.
pub trait EntryBatches: Send + 'static {
    /// Appends up to `max` of the next entries to `batch` (the server
    /// hands it in empty). Appending nothing means the directory has been
    /// read to its end.
    fn next_batch(
        &mut self,
        batch: &mut Vec<EntryInfo>,
        max: usize,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}

/// A file being written by an upload, async: the contract of the blocking
/// [`ftp_proto_std::storage::Upload`] (bytes in with `AsyncWrite`, then
/// [`commit`](Self::commit) makes them the file's content; dropped without
/// a commit, an upload is abandoned, and one opened with
/// [`WriteMode::Replace`] leaves no trace). An object store maps it onto a
/// multipart upload: `commit` completes it, a drop aborts it.
pub trait Upload: AsyncWrite + Unpin + Send + 'static {
    /// Makes the upload the file's content, after the last byte was written
    /// and the writer flushed and shut down, before the final reply; an
    /// error fails the transfer (`451`).
    fn commit(self) -> impl Future<Output = Result<(), StorageError>> + Send
    where
        Self: Sized;
}

/// The file operations a server needs, on virtual paths (async).
///
/// The same contract as the blocking
/// [`ftp_proto_std::storage::Storage`], method for method; see there for
/// each operation's meaning and errors.
pub trait Storage: Send + Sync + fmt::Debug + 'static {
    /// A file open for reading, positioned at the requested offset. The
    /// server only reads it front to back, so a stream that cannot seek
    /// (an HTTP body, a ranged object-store GET) fits.
    type Reader: AsyncRead + Unpin + Send + 'static;
    /// A file open for writing, positioned where the data goes. Writers may
    /// buffer: the server calls `flush` and `shutdown` after the last write
    /// and checks their results, then commits the upload, before reporting
    /// the transfer complete.
    type Writer: Upload;
    /// The entries of a directory being listed.
    type Entries: EntryBatches;

    /// Facts about the file or directory at `path` (SIZE, MDTM, MLST).
    fn metadata(&self, path: &[u8])
    -> impl Future<Output = Result<EntryInfo, StorageError>> + Send;

    /// Opens the directory at `path` for listing (LIST, NLST, MLSD, STAT);
    /// its entries are then read batch by batch ([`EntryBatches`]). A
    /// directory that cannot be listed at all (missing, unreadable,
    /// [`StorageError::NotADirectory`]) fails here, before the server
    /// promises a transfer.
    fn list(&self, path: &[u8])
    -> impl Future<Output = Result<Self::Entries, StorageError>> + Send;

    /// Opens the regular file at `path` for reading from `offset` (RETR).
    fn open_read(
        &self,
        path: &[u8],
        offset: u64,
    ) -> impl Future<Output = Result<Self::Reader, StorageError>> + Send;

    /// Opens the file at `path` for writing as `mode` says (STOR, APPE).
    fn open_write(
        &self,
        path: &[u8],
        mode: WriteMode,
    ) -> impl Future<Output = Result<Self::Writer, StorageError>> + Send;

    /// Creates a new empty file under a fresh name in `dir` (STOU).
    fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> impl Future<Output = Result<UniqueFile<Self::Writer>, StorageError>> + Send;

    /// Deletes the file at `path` (DELE).
    fn remove_file(&self, path: &[u8]) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Creates the directory `path` (MKD).
    fn make_dir(&self, path: &[u8]) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Removes the empty directory `path` (RMD).
    fn remove_dir(&self, path: &[u8]) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Renames `from` to `to` (RNFR/RNTO).
    fn rename(
        &self,
        from: &[u8],
        to: &[u8],
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Sets the modification time of `path` (MFMT).
    fn set_modified(
        &self,
        path: &[u8],
        time: Timestamp,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Succeeds if `path` is an existing directory the server may enter (CWD).
    fn check_dir(&self, path: &[u8]) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Whether the storage itself refuses every modifying operation (it
    /// must then do so in each of them). The servers do not rely on it: they
    /// check the user's [`Permissions`](crate::auth::Permissions) before any
    /// request reaches the storage, whatever this says.
    fn is_read_only(&self) -> bool;

    /// The local file behind a reader, when there is one.
    ///
    /// The server then moves the whole transfer to a thread of its own that
    /// reads the file and writes the data connection with blocking calls
    /// (on Linux a plain binary download goes through `sendfile(2)`, with
    /// no copy through user space): for local files about twice the
    /// throughput of async file I/O, which hands every chunk to tokio's
    /// blocking pool and back. The default keeps the reader (`Err`), and the
    /// transfer runs on the runtime. [`Filesystem`] hands over its files.
    fn into_std_reader(reader: Self::Reader) -> Result<std::fs::File, Self::Reader> {
        Err(reader)
    }

    /// The local file behind a writer, with where its bytes end up, when
    /// there is one; see [`into_std_reader`](Self::into_std_reader). The
    /// transfer flushes and commits it after the last byte and before the
    /// final reply. [`FileUpload`] hands its file over.
    fn into_std_writer(
        writer: Self::Writer,
    ) -> Result<ftp_proto_std::storage::FileUpload, Self::Writer> {
        Err(writer)
    }

    /// The directory's entries as a blocking iterator, when reading them
    /// blocks a thread anyway (a local file system): the listing then runs
    /// on a thread of its own, like a transfer of a local file (see
    /// [`into_std_reader`](Self::into_std_reader)), instead of one trip
    /// to the blocking pool per batch. The default keeps the batches.
    fn into_std_entries(entries: Self::Entries) -> Result<BoxedEntries, Self::Entries> {
        Err(entries)
    }
}

/// The entries of a directory a [`Filesystem`] lists: the blocking
/// [`DirectoryEntries`](ftp_proto_std::storage::DirectoryEntries), read on
/// tokio's blocking pool a batch at a time.
#[derive(Debug)]
pub struct FilesystemEntries {
    inner: Option<ftp_proto_std::storage::DirectoryEntries>,
}

impl EntryBatches for FilesystemEntries {
    async fn next_batch(
        &mut self,
        batch: &mut Vec<EntryInfo>,
        max: usize,
    ) -> Result<(), StorageError> {
        let Some(mut entries) = self.inner.take() else {
            return Err(StorageError::Io(io::Error::other("directory reader lost")));
        };
        let mut taken = std::mem::take(batch);
        let read = tokio::task::spawn_blocking(move || {
            let start = taken.len();
            let mut result = Ok(());
            while taken.len() - start < max {
                match entries.next() {
                    Some(Ok(entry)) => taken.push(entry),
                    Some(Err(e)) => {
                        result = Err(e);
                        break;
                    }
                    None => break,
                }
            }
            (entries, taken, result)
        });
        let (entries, taken, result) = read
            .await
            .map_err(|join| StorageError::Io(io::Error::other(join)))?;
        self.inner = Some(entries);
        *batch = taken;
        result
    }
}

/// A folder-backed storage for tokio: the blocking
/// [`ftp_proto_std::storage::Filesystem`] behind an `Arc`. Cloning is cheap
/// and shares the root handle.
///
/// All confinement guarantees are those of the blocking `Filesystem`
/// (capability-based resolution beneath the root; see its documentation).
///
/// # Where the work runs
///
/// Directory listings, opens and every modifying operation run on tokio's
/// blocking pool ([`tokio::task::spawn_blocking`]). The one-lookup
/// operations, `metadata` and `check_dir` (SIZE, MDTM, MLST, CWD), run
/// inline on the calling task by default: on a local disk they are a few
/// system calls that take microseconds, while a trip to the blocking pool
/// and back costs several times that in thread wake-ups (measured: about
/// 27 µs of CPU per SIZE/CWD on the pool, 4 µs inline).
///
/// On a slow or network file system an inline lookup would stall the
/// runtime thread it runs on, and every session on that thread with it. So
/// each inline lookup is timed against the
/// [`slow_lookup_threshold`](Self::slow_lookup_threshold) (50 ms by
/// default): three slow lookups within a minute, or one that takes twenty
/// times the threshold, switch this storage's lookups to the blocking pool
/// for good, for all its clones at once, and log one warning. (One slow
/// lookup alone is not enough: on a busy machine a lookup that was merely
/// preempted can take tens of milliseconds of wall time.) That net only
/// catches a lookup after it returns: the slow lookup itself has already
/// held its thread, and a lookup that hangs holds it until it returns. If
/// you know in advance that the folder is on a network file system, use
/// [`offload_lookups(true)`](Self::offload_lookups) to start on the pool.
#[derive(Debug, Clone)]
pub struct Filesystem {
    inner: Arc<ftp_proto_std::storage::Filesystem>,
    lookups: Lookups,
}

/// Where a [`Filesystem`]'s lookups run: the flag is shared by its clones
/// and by every storage one
/// [`FilesystemRoots`](crate::server::FilesystemRoots) hands out.
#[derive(Debug, Clone)]
pub(crate) struct Lookups {
    /// Set: lookups run on the blocking pool (forced, or after a slow one).
    offloaded: Arc<AtomicBool>,
    /// An inline lookup this long or longer counts as slow.
    slow_threshold: Duration,
    /// The slow lookups of the current window: when it began, how many.
    strikes: Arc<Mutex<Option<(Instant, u32)>>>,
}

impl Lookups {
    /// The default slow-lookup threshold.
    const SLOW_THRESHOLD: Duration = Duration::from_millis(50);
    /// This many slow lookups within [`Self::WINDOW`] offload the lookups.
    const STRIKES: u32 = 3;
    /// The window the slow lookups are counted in.
    const WINDOW: Duration = Duration::from_secs(60);
    /// A lookup this many times the threshold offloads them at once.
    const AT_ONCE: u32 = 20;

    pub(crate) fn new() -> Self {
        Self {
            offloaded: Arc::default(),
            slow_threshold: Self::SLOW_THRESHOLD,
            strikes: Arc::default(),
        }
    }

    pub(crate) fn set_offloaded(&self, offload: bool) {
        self.offloaded.store(offload, Ordering::Relaxed);
    }

    pub(crate) fn set_slow_threshold(&mut self, threshold: Duration) {
        self.slow_threshold = threshold;
    }

    pub(crate) fn offloaded(&self) -> bool {
        self.offloaded.load(Ordering::Relaxed)
    }

    /// Notes that an inline lookup that ended at `now` took `took`: the
    /// third slow one within the window, or a very slow one, moves the
    /// lookups to the blocking pool (the first to do so says it).
    fn took(&self, took: Duration, now: Instant) {
        if took < self.slow_threshold {
            return;
        }
        let at_once = took >= self.slow_threshold.saturating_mul(Self::AT_ONCE);
        let strikes = {
            let mut strikes = self.strikes.lock().unwrap_or_else(PoisonError::into_inner);
            let (since, count) = match *strikes {
                Some((since, count)) if now.saturating_duration_since(since) < Self::WINDOW => {
                    (since, count.saturating_add(1))
                }
                _ => (now, 1),
            };
            *strikes = Some((since, count));
            count
        };
        tracing::debug!(
            took_us = took.as_micros(),
            strikes,
            "slow file-system lookup"
        );
        if (at_once || strikes >= Self::STRIKES) && !self.offloaded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                took_us = took.as_micros(),
                threshold_us = self.slow_threshold.as_micros(),
                "a file-system lookup was slow: from now on this storage's lookups run on \
                 the blocking pool (offload_lookups / --offload-lookups starts there)"
            );
        }
    }
}

impl Filesystem {
    /// Wraps a blocking filesystem storage (lookups inline, see the type's
    /// documentation).
    #[must_use]
    pub fn new(inner: ftp_proto_std::storage::Filesystem) -> Self {
        Self::with_lookups(inner, Lookups::new())
    }

    /// Wraps a blocking filesystem storage whose lookups go where `lookups`
    /// says (shared with whoever else holds it).
    pub(crate) fn with_lookups(
        inner: ftp_proto_std::storage::Filesystem,
        lookups: Lookups,
    ) -> Self {
        Self {
            inner: Arc::new(inner),
            lookups,
        }
    }

    /// Runs the one-lookup operations (`metadata`, `check_dir`) on the
    /// blocking pool (`true`) or inline with the slow-lookup safety net
    /// (`false`, the default). Use `true` for a folder on a network or
    /// other slow file system. Applies to this storage and all its clones.
    #[must_use]
    pub fn offload_lookups(self, offload: bool) -> Self {
        self.lookups.set_offloaded(offload);
        self
    }

    /// How long an inline lookup may take before it counts as slow (50 ms
    /// by default): three slow lookups within a minute, or one of twenty
    /// times this, move the lookups to the blocking pool for good. Clones
    /// made afterwards share the setting.
    #[must_use]
    pub fn slow_lookup_threshold(mut self, threshold: Duration) -> Self {
        self.lookups.set_slow_threshold(threshold);
        self
    }

    /// Whether the lookups run on the blocking pool now (forced by
    /// [`offload_lookups`](Self::offload_lookups), or after a slow lookup).
    #[must_use]
    pub fn lookups_offloaded(&self) -> bool {
        self.lookups.offloaded()
    }

    /// Opens the folder `root` as a read-write storage, on the blocking pool.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let inner =
            tokio::task::spawn_blocking(move || ftp_proto_std::storage::Filesystem::open(root))
                .await
                .map_err(io::Error::other)??;
        Ok(Self::new(inner))
    }

    /// The wrapped blocking storage.
    #[must_use]
    pub fn blocking(&self) -> &Arc<ftp_proto_std::storage::Filesystem> {
        &self.inner
    }

    /// Runs `operation` on the blocking pool with the wrapped storage.
    async fn run<T, F>(&self, operation: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&ftp_proto_std::storage::Filesystem) -> Result<T, StorageError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || operation(&inner))
            .await
            .map_err(|join| StorageError::Io(io::Error::other(join)))?
    }

    /// Runs the lookup `operation` on `path`: inline and timed, or on the
    /// blocking pool once lookups are offloaded.
    async fn lookup<T: Send + 'static>(
        &self,
        path: &[u8],
        operation: fn(&ftp_proto_std::storage::Filesystem, &[u8]) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        if self.lookups.offloaded() {
            let path = path.to_vec();
            return self.run(move |fs| operation(fs, &path)).await;
        }
        let started = Instant::now();
        let result = operation(&self.inner, path);
        let now = Instant::now();
        self.lookups
            .took(now.saturating_duration_since(started), now);
        result
    }
}

impl From<ftp_proto_std::storage::Filesystem> for Filesystem {
    fn from(inner: ftp_proto_std::storage::Filesystem) -> Self {
        Self::new(inner)
    }
}

/// The [`Upload`] of a [`Filesystem`]: a [`tokio::fs::File`] and its
/// [`Placement`] (the blocking
/// [`FileUpload`](ftp_proto_std::storage::FileUpload) made async).
#[derive(Debug)]
pub struct FileUpload {
    file: tokio::fs::File,
    placement: Placement,
}

impl FileUpload {
    /// The blocking upload made async.
    #[must_use]
    pub fn new(upload: ftp_proto_std::storage::FileUpload) -> Self {
        let (file, placement) = upload.into_parts();
        Self {
            file: tokio::fs::File::from_std(file),
            placement,
        }
    }
}

impl AsyncWrite for FileUpload {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.file).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.file).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.file).poll_shutdown(cx)
    }
}

impl Upload for FileUpload {
    /// The rename into place, on the blocking pool.
    async fn commit(self) -> Result<(), StorageError> {
        let Self { file, placement } = self;
        drop(file);
        if placement.is_in_place() {
            return Ok(());
        }
        tokio::task::spawn_blocking(move || placement.commit())
            .await
            .map_err(|join| StorageError::Io(io::Error::other(join)))?
    }
}

impl Storage for Filesystem {
    type Reader = tokio::fs::File;
    type Writer = FileUpload;
    type Entries = FilesystemEntries;

    async fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        self.lookup(path, ftp_proto_std::storage::Filesystem::metadata)
            .await
    }

    async fn list(&self, path: &[u8]) -> Result<FilesystemEntries, StorageError> {
        let path = path.to_vec();
        let entries = self.run(move |fs| fs.list(&path)).await?;
        Ok(FilesystemEntries {
            inner: Some(entries),
        })
    }

    async fn open_read(&self, path: &[u8], offset: u64) -> Result<tokio::fs::File, StorageError> {
        let path = path.to_vec();
        let file = self.run(move |fs| fs.open_read(&path, offset)).await?;
        Ok(tokio::fs::File::from_std(file))
    }

    async fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<FileUpload, StorageError> {
        let path = path.to_vec();
        let upload = self.run(move |fs| fs.open_write(&path, mode)).await?;
        Ok(FileUpload::new(upload))
    }

    async fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<FileUpload>, StorageError> {
        let dir = dir.to_vec();
        let hint = hint.map(<[u8]>::to_vec);
        let created = self
            .run(move |fs| fs.create_unique(&dir, hint.as_deref()))
            .await?;
        Ok(UniqueFile {
            name: created.name,
            path: created.path,
            writer: FileUpload::new(created.writer),
        })
    }

    async fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        let path = path.to_vec();
        self.run(move |fs| fs.remove_file(&path)).await
    }

    async fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        let path = path.to_vec();
        self.run(move |fs| fs.make_dir(&path)).await
    }

    async fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        let path = path.to_vec();
        self.run(move |fs| fs.remove_dir(&path)).await
    }

    async fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        let from = from.to_vec();
        let to = to.to_vec();
        self.run(move |fs| fs.rename(&from, &to)).await
    }

    async fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        let path = path.to_vec();
        self.run(move |fs| fs.set_modified(&path, time)).await
    }

    async fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.lookup(path, ftp_proto_std::storage::Filesystem::check_dir)
            .await
    }

    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }

    /// The opened `std::fs::File` (a file this storage opened has no
    /// operation in flight; one that has stays async).
    fn into_std_reader(reader: tokio::fs::File) -> Result<std::fs::File, tokio::fs::File> {
        reader.try_into_std()
    }

    /// The blocking upload (file and placement), as for reading.
    fn into_std_writer(
        writer: FileUpload,
    ) -> Result<ftp_proto_std::storage::FileUpload, FileUpload> {
        let FileUpload { file, placement } = writer;
        match file.try_into_std() {
            Ok(file) => Ok(ftp_proto_std::storage::FileUpload::new(file, placement)),
            Err(file) => Err(FileUpload { file, placement }),
        }
    }

    /// The blocking directory reader: a listing reads it on a thread.
    fn into_std_entries(entries: FilesystemEntries) -> Result<BoxedEntries, FilesystemEntries> {
        match entries.inner {
            Some(inner) => Ok(Box::new(inner)),
            None => Err(FilesystemEntries { inner: None }),
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    use super::*;

    fn fixture() -> (tempfile::TempDir, Filesystem) {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp.path().join("root")).unwrap();
        std::fs::write(temp.path().join("secret"), b"outside").unwrap();
        let fs = ftp_proto_std::storage::Filesystem::open(temp.path().join("root")).unwrap();
        (temp, Filesystem::new(fs))
    }

    /// Generic server code can move storage calls into spawned tasks.
    fn spawn_metadata<S: Storage>(
        storage: Arc<S>,
    ) -> tokio::task::JoinHandle<Result<EntryInfo, StorageError>> {
        tokio::spawn(async move { storage.metadata(b"/").await })
    }

    #[tokio::test]
    async fn futures_are_send_and_spawnable() {
        let (_temp, fs) = fixture();
        let info = spawn_metadata(Arc::new(fs)).await.unwrap().unwrap();
        assert!(info.is_dir());
    }

    #[tokio::test]
    async fn streams_with_offsets() {
        let (_temp, fs) = fixture();
        let mut file = fs.open_write(b"/data", WriteMode::Truncate).await.unwrap();
        file.write_all(b"0123456789").await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        let mut file = fs.open_write(b"/data", WriteMode::Resume(4)).await.unwrap();
        file.write_all(b"ab").await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        let mut file = fs.open_write(b"/data", WriteMode::Append).await.unwrap();
        file.write_all(b"cd").await.unwrap();
        file.flush().await.unwrap();
        drop(file);
        let mut reader = fs.open_read(b"/data", 2).await.unwrap();
        let mut text = Vec::new();
        reader.read_to_end(&mut text).await.unwrap();
        assert_eq!(text, b"23abcd");
        reader.seek(io::SeekFrom::Start(0)).await.unwrap();
        text.clear();
        reader.read_to_end(&mut text).await.unwrap();
        assert_eq!(text, b"0123abcd");
        assert_eq!(fs.metadata(b"/data").await.unwrap().size, 8);
        assert!(matches!(
            fs.open_read(b"/data", 9).await,
            Err(StorageError::InvalidOffset)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replacing_upload_takes_its_place_only_on_commit() {
        let (temp, fs) = fixture();
        let file = temp.path().join("root/f");
        std::fs::write(&file, b"old").unwrap();
        let mut upload = fs.open_write(b"/f", WriteMode::Replace).await.unwrap();
        upload.write_all(b"new contents").await.unwrap();
        upload.shutdown().await.unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"old");
        // Handed to a blocking transfer and back, it is the same upload.
        let upload = FileUpload::new(Filesystem::into_std_writer(upload).unwrap());
        upload.commit().await.unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new contents");
        // Abandoned: the old file stays, nothing else remains.
        let mut upload = fs.open_write(b"/f", WriteMode::Replace).await.unwrap();
        upload.write_all(b"half").await.unwrap();
        upload.flush().await.unwrap();
        drop(upload);
        assert_eq!(std::fs::read(&file).unwrap(), b"new contents");
        let names: Vec<_> = std::fs::read_dir(temp.path().join("root"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn directory_operations() {
        let (_temp, fs) = Filesystem::open_fixture().await;
        fs.make_dir(b"/d").await.unwrap();
        fs.check_dir(b"/d").await.unwrap();
        let mut unique = fs.create_unique(b"/d", Some(b"up")).await.unwrap();
        assert_eq!(&unique.path[..], b"/d/up");
        unique.writer.write_all(b"x").await.unwrap();
        unique.writer.flush().await.unwrap();
        fs.rename(b"/d/up", b"/d/down").await.unwrap();
        let when = Timestamp::from_unix(1_234_567_890, 0);
        fs.set_modified(b"/d/down", when).await.unwrap();
        let mut entries = fs.list(b"/d").await.unwrap();
        let mut listing = Vec::new();
        entries.next_batch(&mut listing, 10).await.unwrap();
        assert_eq!(listing.len(), 1);
        assert_eq!(&listing[0].name[..], b"down");
        assert_eq!(listing[0].modified, Some(when));
        let mut rest = Vec::new();
        entries.next_batch(&mut rest, 10).await.unwrap();
        assert!(rest.is_empty(), "the end");
        assert!(matches!(
            fs.remove_dir(b"/d").await,
            Err(StorageError::DirectoryNotEmpty)
        ));
        fs.remove_file(b"/d/down").await.unwrap();
        fs.remove_dir(b"/d").await.unwrap();
        assert!(!fs.is_read_only());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn escapes_are_refused() {
        let (temp, fs) = fixture();
        std::os::unix::fs::symlink("..", temp.path().join("root/up")).unwrap();
        for path in [&b"/../secret"[..], b"/up/secret"] {
            assert!(matches!(
                fs.open_read(path, 0).await,
                Err(StorageError::PermissionDenied)
            ));
            assert!(matches!(
                fs.open_write(path, WriteMode::Truncate).await,
                Err(StorageError::PermissionDenied)
            ));
        }
        assert_eq!(
            std::fs::read(temp.path().join("secret")).unwrap(),
            b"outside"
        );
    }

    #[tokio::test]
    async fn read_only_is_passed_through() {
        let temp = tempfile::tempdir().unwrap();
        let inner = ftp_proto_std::storage::Filesystem::open(temp.path())
            .unwrap()
            .with_read_only(true);
        let fs = Filesystem::from(inner);
        assert!(fs.is_read_only());
        assert!(matches!(
            fs.make_dir(b"/d").await,
            Err(StorageError::PermissionDenied)
        ));
    }

    /// A runtime with one blocking thread, for [`runs_inline`].
    fn one_blocking_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .build()
            .unwrap()
    }

    /// Whether `lookup` finishes on its first poll while the runtime's only
    /// blocking thread is busy (so it ran inline: work sent to the pool
    /// waits in its queue), and its result once the pool is free.
    async fn runs_inline<T>(
        lookup: impl Future<Output = Result<T, StorageError>>,
    ) -> (bool, Result<T, StorageError>) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = tokio::task::spawn_blocking(move || released.recv());
        let mut lookup = std::pin::pin!(lookup);
        let first = std::future::poll_fn(|cx| Poll::Ready(lookup.as_mut().poll(cx))).await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        match first {
            Poll::Ready(result) => (true, result),
            Poll::Pending => (false, lookup.await),
        }
    }

    #[test]
    fn lookups_run_inline_by_default() {
        one_blocking_thread().block_on(async {
            let (_temp, fs) = fixture();
            assert!(!fs.lookups_offloaded());
            let (inline, info) = runs_inline(fs.metadata(b"/")).await;
            assert!(inline && info.unwrap().is_dir());
            // A threshold no lookup reaches: they stay inline, errors too.
            let fs = fs.slow_lookup_threshold(Duration::MAX);
            let (inline, found) = runs_inline(fs.check_dir(b"/")).await;
            assert!(inline && found.is_ok());
            let (inline, missing) = runs_inline(fs.metadata(b"/missing")).await;
            assert!(inline && matches!(missing, Err(StorageError::NotFound)));
            assert!(!fs.lookups_offloaded());
            // Everything else goes to the pool.
            let (inline, listing) = runs_inline(fs.list(b"/")).await;
            assert!(!inline && listing.is_ok());
        });
    }

    #[test]
    fn three_slow_lookups_in_a_minute_or_one_very_slow_offload() {
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        // Fast ones never count.
        let lookups = Lookups::new();
        for i in 0..10 {
            lookups.took(ms(49), t0 + ms(i));
        }
        assert!(!lookups.offloaded());
        // Two slow ones, then the window passes: the count starts again.
        lookups.took(ms(60), t0);
        lookups.took(ms(60), t0 + ms(10));
        assert!(!lookups.offloaded());
        lookups.took(ms(60), t0 + Duration::from_secs(61));
        lookups.took(ms(60), t0 + Duration::from_secs(62));
        assert!(!lookups.offloaded());
        // The third within the window.
        lookups.took(ms(60), t0 + Duration::from_secs(63));
        assert!(lookups.offloaded());
        // One of twenty times the threshold is enough alone.
        let lookups = Lookups::new();
        lookups.took(Duration::from_secs(1), t0);
        assert!(lookups.offloaded());
    }

    #[test]
    fn a_slow_lookup_moves_every_clone_to_the_pool() {
        one_blocking_thread().block_on(async {
            let (_temp, fs) = fixture();
            // Every lookup takes at least twenty times zero: the first one
            // offloads at once.
            let fs = fs.slow_lookup_threshold(Duration::ZERO);
            let clone = fs.clone();
            let (inline, info) = runs_inline(fs.metadata(b"/")).await;
            assert!(inline && info.unwrap().is_dir());
            assert!(fs.lookups_offloaded() && clone.lookups_offloaded());
            let (inline, found) = runs_inline(clone.check_dir(b"/")).await;
            assert!(!inline && found.is_ok());
            let (inline, info) = runs_inline(fs.metadata(b"/")).await;
            assert!(!inline && info.unwrap().is_dir());
        });
    }

    #[test]
    fn offloaded_lookups_start_on_the_pool() {
        one_blocking_thread().block_on(async {
            let (_temp, fs) = fixture();
            let fs = fs.offload_lookups(true);
            let clone = fs.clone();
            assert!(fs.lookups_offloaded() && clone.lookups_offloaded());
            let (inline, info) = runs_inline(fs.metadata(b"/")).await;
            assert!(!inline && info.unwrap().is_dir());
            let (inline, found) = runs_inline(clone.check_dir(b"/")).await;
            assert!(!inline && found.is_ok());
            let (inline, missing) = runs_inline(clone.check_dir(b"/missing")).await;
            assert!(!inline && missing.is_err());
        });
    }

    impl Filesystem {
        async fn open_fixture() -> (tempfile::TempDir, Self) {
            let temp = tempfile::tempdir().unwrap();
            let fs = Self::open(temp.path()).await.unwrap();
            (temp, fs)
        }
    }
}
