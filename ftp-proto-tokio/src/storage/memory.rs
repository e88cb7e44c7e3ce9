//! [`MemoryStorage`] for tokio: the blocking
//! [`ftp_proto_std::storage::MemoryStorage`] called inline.
//!
//! Everything it does is a short operation on memory under a lock that is
//! never held across a transfer, so its calls run on the calling task (no
//! trip to the blocking pool), and its readers and uploads are the
//! blocking ones behind async traits.

use std::io::{self, Write as _};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use ftp_proto::timestamp::Timestamp;
use ftp_proto_std::storage::{Storage as _, Upload as _};
use tokio::io::AsyncWrite;

use super::{EntryBatches, EntryInfo, Storage, StorageError, UniqueFile, Upload, WriteMode};

/// A file tree in memory for the async server, shared by its clones: the
/// blocking [`ftp_proto_std::storage::MemoryStorage`] (see there for its
/// limits, path rules and listing order) behind the async [`Storage`]
/// trait. Both servers can serve the same tree:
/// [`as_blocking`](Self::as_blocking) gives the blocking storage.
#[derive(Debug, Clone)]
pub struct MemoryStorage {
    inner: ftp_proto_std::storage::MemoryStorage,
}

impl MemoryStorage {
    /// An empty tree holding at most `capacity` bytes of file content
    /// (see [`ftp_proto_std::storage::MemoryStorage::new`]).
    #[must_use]
    pub fn new(capacity: u64) -> Self {
        Self::from(ftp_proto_std::storage::MemoryStorage::new(capacity))
    }

    /// Sets the largest size a single file may reach (for every clone).
    #[must_use]
    pub fn with_max_file_size(self, max_file_size: u64) -> Self {
        Self::from(self.inner.with_max_file_size(max_file_size))
    }

    /// The same tree, refusing every change (`true`): the view for users
    /// who may only read.
    #[must_use]
    pub fn with_read_only(self, read_only: bool) -> Self {
        Self::from(self.inner.with_read_only(read_only))
    }

    /// The bytes the files hold now.
    #[must_use]
    pub fn used(&self) -> u64 {
        self.inner.used()
    }

    /// The blocking storage over the same tree.
    #[must_use]
    pub fn as_blocking(&self) -> &ftp_proto_std::storage::MemoryStorage {
        &self.inner
    }
}

impl From<ftp_proto_std::storage::MemoryStorage> for MemoryStorage {
    fn from(inner: ftp_proto_std::storage::MemoryStorage) -> Self {
        Self { inner }
    }
}

/// The entries of a directory of a [`MemoryStorage`], in byte order of
/// their names, looked up as they are asked for.
#[derive(Debug)]
pub struct MemoryEntries {
    inner: ftp_proto_std::storage::MemoryEntries,
}

impl EntryBatches for MemoryEntries {
    async fn next_batch(
        &mut self,
        batch: &mut Vec<EntryInfo>,
        max: usize,
    ) -> Result<(), StorageError> {
        for _ in 0..max {
            match self.inner.next() {
                Some(Ok(entry)) => batch.push(entry),
                Some(Err(error)) => return Err(error),
                None => break,
            }
        }
        Ok(())
    }
}

/// An upload into a [`MemoryStorage`]: the blocking
/// [`ftp_proto_std::storage::MemoryUpload`] (buffered in memory, put in
/// place on flush or commit as its mode says) behind `AsyncWrite`.
#[derive(Debug)]
pub struct MemoryUpload {
    inner: ftp_proto_std::storage::MemoryUpload,
}

impl AsyncWrite for MemoryUpload {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.inner.write(buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl Upload for MemoryUpload {
    async fn commit(self) -> Result<(), StorageError> {
        self.inner.commit()
    }
}

impl Storage for MemoryStorage {
    type Reader = io::Cursor<Bytes>;
    type Writer = MemoryUpload;
    type Entries = MemoryEntries;

    async fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        self.inner.metadata(path)
    }

    async fn list(&self, path: &[u8]) -> Result<MemoryEntries, StorageError> {
        let inner = self.inner.list(path)?;
        Ok(MemoryEntries { inner })
    }

    async fn open_read(&self, path: &[u8], offset: u64) -> Result<io::Cursor<Bytes>, StorageError> {
        self.inner.open_read(path, offset)
    }

    async fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<MemoryUpload, StorageError> {
        let inner = self.inner.open_write(path, mode)?;
        Ok(MemoryUpload { inner })
    }

    async fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<MemoryUpload>, StorageError> {
        let created = self.inner.create_unique(dir, hint)?;
        Ok(UniqueFile {
            name: created.name,
            path: created.path,
            writer: MemoryUpload {
                inner: created.writer,
            },
        })
    }

    async fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        self.inner.remove_file(path)
    }

    async fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.inner.make_dir(path)
    }

    async fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.inner.remove_dir(path)
    }

    async fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        self.inner.rename(from, to)
    }

    async fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        self.inner.set_modified(path, time)
    }

    async fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.inner.check_dir(path)
    }

    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn the_async_face_delegates_to_the_one_tree() {
        let memory = MemoryStorage::new(64).with_max_file_size(16);
        memory.make_dir(b"/d").await.unwrap();
        let mut upload = memory
            .open_write(b"/d/f", WriteMode::Replace)
            .await
            .unwrap();
        upload.write_all(b"0123456789").await.unwrap();
        upload.shutdown().await.unwrap();
        assert!(matches!(
            memory.metadata(b"/d/f").await,
            Err(StorageError::NotFound)
        ));
        upload.commit().await.unwrap();
        // The blocking face sees the same tree.
        let blocking = memory.as_blocking();
        assert_eq!(
            ftp_proto_std::storage::Storage::metadata(blocking, b"/d/f")
                .unwrap()
                .size,
            10
        );
        let mut reader = memory.open_read(b"/d/f", 4).await.unwrap();
        let mut text = Vec::new();
        reader.read_to_end(&mut text).await.unwrap();
        assert_eq!(text, b"456789");
        reader.seek(io::SeekFrom::Start(8)).await.unwrap();
        text.clear();
        reader.read_to_end(&mut text).await.unwrap();
        assert_eq!(text, b"89");
        let mut upload = memory.open_write(b"/d/f", WriteMode::Append).await.unwrap();
        let error = upload.write_all(&[0; 7]).await.unwrap_err();
        assert!(matches!(StorageError::from(error), StorageError::NoSpace));
        let mut entries = memory.list(b"/d").await.unwrap();
        let mut batch = Vec::new();
        entries.next_batch(&mut batch, 10).await.unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(&batch[0].name[..], b"f");
        batch.clear();
        entries.next_batch(&mut batch, 10).await.unwrap();
        assert!(batch.is_empty(), "the end");
        let read_only = memory.clone().with_read_only(true);
        assert!(matches!(
            read_only.remove_file(b"/d/f").await,
            Err(StorageError::PermissionDenied)
        ));
        assert_eq!(memory.used(), 10);
    }
}
