//! [`MemoryStorage`]: a whole file tree held in memory, for ephemeral
//! drop-boxes and for tests.
//!
//! The tree lives behind one `Arc<Mutex<_>>`: clones of a storage share it,
//! so every session (and every user handed a clone) sees the same files.
//! The lock is held only for the short tree operations themselves, never
//! while a transfer runs: a reader gets a cheap clone of the file's
//! [`Bytes`] when it opens the file, and an upload buffers its bytes and
//! takes the lock again to put them in place.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use ftp_proto::timestamp::Timestamp;

use super::vpath::{check_name, relative};
use super::{
    EntryInfo, EntryKind, EntryResult, Storage, StorageError, UniqueFile, Upload, WriteMode,
};

/// How many generated names STOU tries before giving up (`Busy`).
const UNIQUE_ATTEMPTS: u32 = 100;

/// A file tree in memory, shared by its clones: for ephemeral drop-boxes
/// and for tests.
///
/// The tree lives behind one `Arc<Mutex<_>>`, so every clone (every
/// session, every user handed one) sees the same files. The lock is held
/// only for the short tree operations, never while a transfer runs: a
/// reader gets a cheap clone of the file's [`Bytes`] when it opens the
/// file (a file replaced meanwhile keeps being read as it was), and an
/// upload buffers its bytes and takes the lock again to put them in place.
///
/// # Limits
///
/// Every byte an upload sends is held in memory, so the tree is bounded:
/// a total `capacity` in bytes (the contents of every file, plus the bytes
/// uploads in progress have buffered) and a per-file maximum size. A write
/// beyond either fails with an `io::Error` of kind `StorageFull` or
/// `FileTooLarge`, which the servers turn into [`StorageError::NoSpace`]
/// (reply `452`/`552`, insufficient storage). An upload that replaces a
/// file ([`WriteMode::Replace`]) needs room for the new content while the
/// old one is still there, as on a disk. Names, directories and
/// bookkeeping are not counted.
///
/// # Paths
///
/// Paths are checked like [`Filesystem`](super::Filesystem)'s: absolute
/// virtual paths only, no `..` component ([`StorageError::PermissionDenied`]),
/// no NUL, CR or LF byte, names of at most 255 bytes, paths of at most
/// [`MAX_PATH_LEN`](super::MAX_PATH_LEN) bytes
/// ([`StorageError::InvalidName`]). Nothing can lie outside the tree.
///
/// # Listings
///
/// Entries come in byte order of their names. The listing iterator keeps
/// only the directory's path and the last name it returned, and looks up
/// the next name under the lock at each step, so a listing costs no copy
/// of the directory; entries added or removed while it runs show up or not
/// depending on where it is. If the directory itself disappears midway,
/// the iterator yields [`StorageError::NotFound`].
#[derive(Clone)]
pub struct MemoryStorage {
    tree: Arc<Mutex<Tree>>,
    read_only: bool,
}

impl fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tree = self.lock();
        f.debug_struct("MemoryStorage")
            .field("used", &tree.used)
            .field("capacity", &tree.capacity)
            .field("max_file_size", &tree.max_file_size)
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// The shared state: the root directory and the byte accounting.
struct Tree {
    root: Dir,
    /// Bytes held by the files.
    used: u64,
    /// Bytes buffered by uploads in progress (counted against the capacity).
    reserved: u64,
    capacity: u64,
    max_file_size: u64,
    unique_counter: u64,
}

struct Dir {
    entries: BTreeMap<Bytes, Node>,
    modified: Timestamp,
}

enum Node {
    File { data: Bytes, modified: Timestamp },
    Dir(Dir),
}

fn now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

impl Dir {
    fn new(modified: Timestamp) -> Self {
        Self {
            entries: BTreeMap::new(),
            modified,
        }
    }
}

impl Node {
    fn info(&self, name: Bytes) -> EntryInfo {
        match self {
            Self::File { data, modified } => {
                let mut info = EntryInfo::new(name, EntryKind::File);
                info.size = data.len() as u64;
                info.modified = Some(*modified);
                info.mode = Some(0o644);
                info
            }
            Self::Dir(dir) => {
                let mut info = EntryInfo::new(name, EntryKind::Directory);
                info.modified = Some(dir.modified);
                info.mode = Some(0o755);
                info
            }
        }
    }
}

/// Checks a virtual path and splits it into its names (empty for the root).
fn components(path: &[u8]) -> Result<Vec<Bytes>, StorageError> {
    relative(path)?;
    if path.contains(&b'\r') || path.contains(&b'\n') {
        return Err(StorageError::InvalidName);
    }
    let mut names = Vec::new();
    for name in path.split(|&b| b == b'/') {
        if name.is_empty() || name == b"." {
            continue;
        }
        check_name(name)?;
        names.push(Bytes::copy_from_slice(name));
    }
    Ok(names)
}

/// A path split into its parent's names and its own (`None` for the root).
fn split(path: &[u8]) -> Result<(Vec<Bytes>, Option<Bytes>), StorageError> {
    let mut names = components(path)?;
    let name = names.pop();
    Ok((names, name))
}

fn join(dir: &[u8], name: &[u8]) -> Bytes {
    let mut path = dir.to_vec();
    if path.last() != Some(&b'/') {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    Bytes::from(path)
}

impl Tree {
    fn dir(&self, names: &[Bytes]) -> Result<&Dir, StorageError> {
        let mut dir = &self.root;
        for name in names {
            match dir.entries.get(name) {
                Some(Node::Dir(sub)) => dir = sub,
                Some(Node::File { .. }) => return Err(StorageError::NotADirectory),
                None => return Err(StorageError::NotFound),
            }
        }
        Ok(dir)
    }

    fn dir_mut(&mut self, names: &[Bytes]) -> Result<&mut Dir, StorageError> {
        let mut dir = &mut self.root;
        for name in names {
            match dir.entries.get_mut(name) {
                Some(Node::Dir(sub)) => dir = sub,
                Some(Node::File { .. }) => return Err(StorageError::NotADirectory),
                None => return Err(StorageError::NotFound),
            }
        }
        Ok(dir)
    }

    /// The content of the regular file `name` in `parent`.
    fn file(&self, parent: &[Bytes], name: &Bytes) -> Result<&Bytes, StorageError> {
        match self.dir(parent)?.entries.get(name) {
            Some(Node::File { data, .. }) => Ok(data),
            Some(Node::Dir(_)) => Err(StorageError::IsADirectory),
            None => Err(StorageError::NotFound),
        }
    }

    /// Makes `data` the content of the file `name` in `parent`, creating
    /// it if needed, and keeps the accounting.
    fn put_file(
        &mut self,
        parent: &[Bytes],
        name: &Bytes,
        data: Bytes,
    ) -> Result<(), StorageError> {
        let time = now();
        let dir = self.dir_mut(parent)?;
        let old = match dir.entries.get(name) {
            Some(Node::Dir(_)) => return Err(StorageError::IsADirectory),
            Some(Node::File { data, .. }) => Some(data.len() as u64),
            None => None,
        };
        if old.is_none() {
            dir.modified = time;
        }
        let new = data.len() as u64;
        dir.entries.insert(
            name.clone(),
            Node::File {
                data,
                modified: time,
            },
        );
        self.used = self.used - old.unwrap_or(0) + new;
        Ok(())
    }

    /// Takes `n` more bytes of the capacity for an upload's buffer.
    fn reserve(&mut self, n: u64) -> io::Result<()> {
        if self.used.saturating_add(self.reserved).saturating_add(n) > self.capacity {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "memory storage capacity exhausted",
            ));
        }
        self.reserved += n;
        Ok(())
    }
}

impl MemoryStorage {
    /// An empty tree (just the root directory) holding at most `capacity`
    /// bytes of file content; a single file may use all of it until
    /// [`with_max_file_size`](Self::with_max_file_size) says otherwise.
    #[must_use]
    pub fn new(capacity: u64) -> Self {
        Self {
            tree: Arc::new(Mutex::new(Tree {
                root: Dir::new(now()),
                used: 0,
                reserved: 0,
                capacity,
                max_file_size: capacity,
                unique_counter: 0,
            })),
            read_only: false,
        }
    }

    /// Sets the largest size a single file may reach, for this storage and
    /// every clone of it (they share the tree).
    #[must_use]
    pub fn with_max_file_size(self, max_file_size: u64) -> Self {
        self.lock().max_file_size = max_file_size;
        self
    }

    /// The same tree, refusing every change (`true`) with
    /// [`StorageError::PermissionDenied`]: the view for users who may only
    /// read. Other clones keep their own mode.
    #[must_use]
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The view of this tree a logged-in user gets (what both servers'
    /// `StorageFactory` for a `MemoryStorage` hands out): a clone, read-only
    /// if this storage is or the identity may not write.
    ///
    /// # Errors
    /// [`StorageError::PermissionDenied`] for an identity with a root folder
    /// of its own: a tree in memory cannot confine it there, and handing it
    /// the whole tree would give it more than its account allows (the
    /// server then refuses the login).
    pub fn view_for(&self, identity: &crate::auth::Identity) -> Result<Self, StorageError> {
        if identity.root.is_some() {
            return Err(StorageError::PermissionDenied);
        }
        let read_only = self.read_only || !identity.permissions.may_modify();
        Ok(self.clone().with_read_only(read_only))
    }

    /// The bytes the files hold now.
    #[must_use]
    pub fn used(&self) -> u64 {
        self.lock().used
    }

    /// The total capacity in bytes.
    #[must_use]
    pub fn capacity(&self) -> u64 {
        self.lock().capacity
    }

    fn lock(&self) -> MutexGuard<'_, Tree> {
        // The tree is changed only by complete steps, so a panic elsewhere
        // never leaves it half-changed.
        self.tree.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn writable(&self) -> Result<(), StorageError> {
        if self.read_only {
            Err(StorageError::PermissionDenied)
        } else {
            Ok(())
        }
    }

    fn upload(&self, parent: Vec<Bytes>, name: Bytes, target: Target, limit: u64) -> MemoryUpload {
        MemoryUpload {
            tree: Arc::clone(&self.tree),
            parent,
            name,
            target,
            buffer: Vec::new(),
            limit,
        }
    }
}

impl Storage for MemoryStorage {
    type Reader = io::Cursor<Bytes>;
    type Writer = MemoryUpload;
    type Entries = MemoryEntries;

    fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        let (parent, name) = split(path)?;
        let tree = self.lock();
        let Some(name) = name else {
            return Ok(Node::Dir(Dir::new(tree.root.modified)).info(Bytes::from_static(b"/")));
        };
        match tree.dir(&parent)?.entries.get(&name) {
            Some(node) => Ok(node.info(name)),
            None => Err(StorageError::NotFound),
        }
    }

    fn list(&self, path: &[u8]) -> Result<MemoryEntries, StorageError> {
        let dir = components(path)?;
        self.lock().dir(&dir)?;
        Ok(MemoryEntries {
            tree: Arc::clone(&self.tree),
            dir,
            after: None,
            done: false,
        })
    }

    fn open_read(&self, path: &[u8], offset: u64) -> Result<io::Cursor<Bytes>, StorageError> {
        let (parent, name) = split(path)?;
        let name = name.ok_or(StorageError::IsADirectory)?;
        let data = self.lock().file(&parent, &name)?.clone();
        if offset > data.len() as u64 {
            return Err(StorageError::InvalidOffset);
        }
        let mut reader = io::Cursor::new(data);
        reader.set_position(offset);
        Ok(reader)
    }

    fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<MemoryUpload, StorageError> {
        self.writable()?;
        let (parent, name) = split(path)?;
        let name = name.ok_or(StorageError::IsADirectory)?;
        let mut tree = self.lock();
        let existing = match tree.file(&parent, &name) {
            Ok(data) => Some(data.clone()),
            Err(StorageError::NotFound) => {
                tree.dir(&parent)?;
                None
            }
            Err(other) => return Err(other),
        };
        let max = tree.max_file_size;
        let (target, start) = match mode {
            WriteMode::Replace => (Target::Replace, 0),
            // An exclusive create, in place: never over an existing name.
            WriteMode::CreateNew => {
                if existing.is_some() {
                    return Err(StorageError::AlreadyExists);
                }
                tree.put_file(&parent, &name, Bytes::new())?;
                (Target::At(0), 0)
            }
            WriteMode::Truncate | WriteMode::Resume(0) => {
                tree.put_file(&parent, &name, Bytes::new())?;
                (Target::At(0), 0)
            }
            WriteMode::Resume(offset) => {
                let data = existing.ok_or(StorageError::NotFound)?;
                let len = data.len() as u64;
                if offset > len {
                    return Err(StorageError::InvalidOffset);
                }
                // `offset <= len`, a length in memory: it fits a usize.
                let kept = data.slice(..usize::try_from(offset).unwrap_or(data.len()));
                tree.put_file(&parent, &name, kept)?;
                (Target::At(offset), offset)
            }
            WriteMode::Append => {
                let len = existing.as_ref().map_or(0, |data| data.len() as u64);
                if existing.is_none() {
                    tree.put_file(&parent, &name, Bytes::new())?;
                }
                (Target::End, len)
            }
        };
        drop(tree);
        Ok(self.upload(parent, name, target, max.saturating_sub(start)))
    }

    fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<MemoryUpload>, StorageError> {
        self.writable()?;
        let parent = components(dir)?;
        if let Some(hint) = hint {
            check_name(hint)?;
            if hint.contains(&b'\r') || hint.contains(&b'\n') {
                return Err(StorageError::InvalidName);
            }
        }
        let stem = hint.unwrap_or(b"upload");
        let mut first = hint.map(Bytes::copy_from_slice);
        let mut tree = self.lock();
        let max = tree.max_file_size;
        for _ in 0..UNIQUE_ATTEMPTS {
            let name = match first.take() {
                Some(name) => name,
                None => {
                    tree.unique_counter += 1;
                    let mut name = stem.to_vec();
                    name.extend_from_slice(format!(".{}", tree.unique_counter).as_bytes());
                    if check_name(&name).is_err() {
                        return Err(StorageError::InvalidName);
                    }
                    Bytes::from(name)
                }
            };
            if tree.dir(&parent)?.entries.contains_key(&name) {
                continue;
            }
            tree.put_file(&parent, &name, Bytes::new())?;
            drop(tree);
            return Ok(UniqueFile {
                path: join(dir, &name),
                writer: self.upload(parent, name.clone(), Target::At(0), max),
                name,
            });
        }
        Err(StorageError::Busy)
    }

    fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let (parent, name) = split(path)?;
        let name = name.ok_or(StorageError::IsADirectory)?;
        let mut tree = self.lock();
        let dir = tree.dir_mut(&parent)?;
        let size = match dir.entries.get(&name) {
            Some(Node::File { data, .. }) => data.len() as u64,
            Some(Node::Dir(_)) => return Err(StorageError::IsADirectory),
            None => return Err(StorageError::NotFound),
        };
        dir.entries.remove(&name);
        dir.modified = now();
        tree.used -= size;
        Ok(())
    }

    fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let (parent, name) = split(path)?;
        let name = name.ok_or(StorageError::AlreadyExists)?;
        let mut tree = self.lock();
        let dir = tree.dir_mut(&parent)?;
        if dir.entries.contains_key(&name) {
            return Err(StorageError::AlreadyExists);
        }
        let time = now();
        dir.entries.insert(name, Node::Dir(Dir::new(time)));
        dir.modified = time;
        Ok(())
    }

    fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let (parent, name) = split(path)?;
        let name = name.ok_or(StorageError::PermissionDenied)?;
        let mut tree = self.lock();
        let dir = tree.dir_mut(&parent)?;
        match dir.entries.get(&name) {
            Some(Node::Dir(sub)) if sub.entries.is_empty() => {}
            Some(Node::Dir(_)) => return Err(StorageError::DirectoryNotEmpty),
            Some(Node::File { .. }) => return Err(StorageError::NotADirectory),
            None => return Err(StorageError::NotFound),
        }
        dir.entries.remove(&name);
        dir.modified = now();
        Ok(())
    }

    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        self.writable()?;
        let (from_parent, from_name) = split(from)?;
        let (to_parent, to_name) = split(to)?;
        let (Some(from_name), Some(to_name)) = (from_name, to_name) else {
            return Err(StorageError::PermissionDenied);
        };
        let mut tree = self.lock();
        let moving_dir = match tree.dir(&from_parent)?.entries.get(&from_name) {
            Some(node) => matches!(node, Node::Dir(_)),
            None => return Err(StorageError::NotFound),
        };
        // What is at the target decides, as POSIX `rename` does.
        let replaced = match tree.dir(&to_parent)?.entries.get(&to_name) {
            None => 0,
            Some(_) if from_parent == to_parent && from_name == to_name => return Ok(()),
            Some(Node::File { data, .. }) if !moving_dir => data.len() as u64,
            Some(Node::File { .. }) => return Err(StorageError::NotADirectory),
            Some(Node::Dir(_)) if !moving_dir => return Err(StorageError::IsADirectory),
            Some(Node::Dir(dir)) if dir.entries.is_empty() => 0,
            Some(Node::Dir(_)) => return Err(StorageError::DirectoryNotEmpty),
        };
        // A directory cannot move into itself or below itself.
        if moving_dir
            && to_parent.len() > from_parent.len()
            && to_parent[..from_parent.len()] == from_parent[..]
            && to_parent[from_parent.len()] == from_name
        {
            return Err(StorageError::InvalidName);
        }
        let time = now();
        let source = tree.dir_mut(&from_parent)?;
        let node = source
            .entries
            .remove(&from_name)
            .ok_or(StorageError::NotFound)?;
        source.modified = time;
        let target = tree.dir_mut(&to_parent)?;
        target.entries.insert(to_name, node);
        target.modified = time;
        tree.used -= replaced;
        Ok(())
    }

    fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        self.writable()?;
        let (parent, name) = split(path)?;
        let mut tree = self.lock();
        let Some(name) = name else {
            tree.root.modified = time;
            return Ok(());
        };
        match tree.dir_mut(&parent)?.entries.get_mut(&name) {
            Some(Node::File { modified, .. }) => *modified = time,
            Some(Node::Dir(dir)) => dir.modified = time,
            None => return Err(StorageError::NotFound),
        }
        Ok(())
    }

    fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        let dir = components(path)?;
        self.lock().dir(&dir).map(drop)
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// The entries of a directory of a [`MemoryStorage`], in byte order of
/// their names, looked up one at a time (see [`MemoryStorage`]'s
/// "Listings"): it holds the directory's path and the last name returned,
/// never a copy of the directory.
pub struct MemoryEntries {
    tree: Arc<Mutex<Tree>>,
    dir: Vec<Bytes>,
    after: Option<Bytes>,
    done: bool,
}

impl fmt::Debug for MemoryEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryEntries")
            .field("after", &self.after)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Iterator for MemoryEntries {
    type Item = EntryResult;

    fn next(&mut self) -> Option<EntryResult> {
        if self.done {
            return None;
        }
        let tree = self.tree.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(dir) = tree.dir(&self.dir) else {
            self.done = true;
            return Some(Err(StorageError::NotFound));
        };
        let lower = match &self.after {
            Some(name) => Bound::Excluded(name),
            None => Bound::Unbounded,
        };
        let Some((name, node)) = dir
            .entries
            .range::<Bytes, _>((lower, Bound::Unbounded))
            .next()
        else {
            self.done = true;
            return None;
        };
        let info = node.info(name.clone());
        self.after = Some(name.clone());
        Some(Ok(info))
    }
}

/// Where an upload's bytes go.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Beside the file: they replace it on commit (`WriteMode::Replace`).
    Replace,
    /// Into the file from this offset on (truncating there), at each flush.
    At(u64),
    /// At the file's end, at each flush (APPE).
    End,
}

/// An upload into a [`MemoryStorage`]: the bytes are buffered (counted
/// against the capacity as they come) and put into the tree, under its
/// lock, by a flush or the commit.
///
/// For [`WriteMode::Replace`] the bytes become the file only at
/// [`commit`](Upload::commit); dropped without it, the upload leaves
/// nothing. The in-place modes put what was buffered into the file at each
/// `flush`, the commit, and a drop (so a failed one leaves what was
/// written, ready for REST+STOR).
pub struct MemoryUpload {
    tree: Arc<Mutex<Tree>>,
    parent: Vec<Bytes>,
    name: Bytes,
    target: Target,
    buffer: Vec<u8>,
    /// How many more bytes this upload may write (the per-file maximum
    /// less where it starts).
    limit: u64,
}

impl fmt::Debug for MemoryUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryUpload")
            .field("name", &self.name)
            .field("target", &self.target)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl MemoryUpload {
    fn lock(&self) -> MutexGuard<'_, Tree> {
        self.tree.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts the buffered bytes of an in-place upload into the file.
    fn apply(&mut self) -> Result<(), StorageError> {
        if matches!(self.target, Target::Replace) {
            return Ok(());
        }
        let buffered = std::mem::take(&mut self.buffer);
        let n = buffered.len() as u64;
        let tree = Arc::clone(&self.tree);
        let mut tree = tree.lock().unwrap_or_else(PoisonError::into_inner);
        tree.reserved -= n;
        if n == 0 {
            return Ok(());
        }
        let old = tree.file(&self.parent, &self.name)?;
        let mut data = match self.target {
            Target::At(offset) => {
                let keep = usize::try_from(offset).unwrap_or(usize::MAX).min(old.len());
                old[..keep].to_vec()
            }
            _ => old.to_vec(),
        };
        data.extend_from_slice(&buffered);
        if let Target::At(offset) = &mut self.target {
            *offset += n;
        }
        tree.put_file(&self.parent, &self.name, Bytes::from(data))
    }
}

impl Write for MemoryUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len() as u64;
        if (self.buffer.len() as u64).saturating_add(n) > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "file larger than the memory storage allows",
            ));
        }
        self.lock().reserve(n)?;
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let written = self.buffer.len() as u64;
        self.apply().map_err(io::Error::other)?;
        self.limit -= written.min(self.limit);
        Ok(())
    }
}

impl Upload for MemoryUpload {
    fn commit(mut self) -> Result<(), StorageError> {
        if matches!(self.target, Target::At(_) | Target::End) {
            return self.apply();
        }
        let buffered = std::mem::take(&mut self.buffer);
        let mut tree = self.lock();
        tree.reserved -= buffered.len() as u64;
        tree.put_file(&self.parent, &self.name, Bytes::from(buffered))
    }
}

impl Drop for MemoryUpload {
    fn drop(&mut self) {
        if matches!(self.target, Target::Replace) {
            let n = self.buffer.len() as u64;
            self.lock().reserved -= n;
        } else if let Err(error) = self.apply() {
            // The file went away meanwhile: its bytes have nowhere to go.
            tracing::debug!(%error, "abandoned in-memory upload dropped its bytes");
        }
    }
}
