//! [`Responder`]: what answers a server engine's requests in a [`Pair`](super::Pair),
//! and [`MemoryTree`], an in-memory file tree that does.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::Instant;
use crate::listing::{FileInfo, FileKind};
use crate::path::VirtualPath;
use crate::server::{Answer, Denial, FsError, ListFormat, RequestKind, TransferKind};
use crate::timestamp::Timestamp;

/// The embedder side of a server engine, as a [`Pair`](super::Pair) asks it:
/// answers to requests, the bytes of downloads, the bytes of uploads.
///
/// Implement it over your own storage and authentication logic to run them
/// against the real client engine in memory, with a virtual clock and
/// injected faults. [`MemoryTree`] is a complete implementation.
pub trait Responder {
    /// The answer to a request the server engine asked at `now`.
    fn answer(&mut self, now: Instant, request: &RequestKind) -> Answer;

    /// The bytes a `RETR` of `path` sends from `offset`, asked once when the
    /// transfer starts (after [`Answer::Ready`]).
    fn read(&mut self, path: &VirtualPath, offset: u64) -> Vec<u8>;

    /// An upload (`STOR`, `APPE`, `STOU`) completed with `data`.
    fn write(&mut self, kind: &TransferKind, data: &[u8]);

    /// The entries of the directory `path`, asked when a listing you
    /// answered with [`Answer::DirectoryListing`] starts (the pair renders
    /// them as an adapter does, with the engine's
    /// [`ListingStyle`](crate::server::ListingStyle)). The default lists
    /// nothing: implement it if you answer listings that way.
    fn entries(&mut self, path: &VirtualPath) -> Vec<FileInfo> {
        let _ = path;
        Vec::new()
    }
}

/// The user [`MemoryTree`] lets in (with [`PASSWORD`]).
pub const USER: &str = "alice";
/// [`USER`]'s password.
pub const PASSWORD: &str = "s3cret";

/// One node of a [`MemoryTree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory.
    Dir,
    /// A file with its contents.
    File(Vec<u8>),
}

/// An in-memory file tree that answers every request of the server engine:
/// logins ([`USER`]/[`PASSWORD`]), directories, files, renames, unique
/// names, times, listings.
///
/// Keys are absolute paths (`/`, `/a`, `/a/b.txt`). Every node has the
/// modification time [`MemoryTree::mtime`] unless set with `MFMT`.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    /// The nodes.
    pub nodes: BTreeMap<Vec<u8>, (Node, Timestamp)>,
    /// Modification time of new nodes.
    pub mtime: Timestamp,
    /// The wall clock handed to the server for LIST dates.
    pub wall_clock: Timestamp,
    /// Answer directory listings with [`Answer::DirectoryListing`] (the
    /// entries streamed by the adapter, here the pair) rather than
    /// [`Answer::Listing`] (rendered by the engine). Default `false`.
    pub stream_listings: bool,
    unique: u32,
}

impl Default for MemoryTree {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryTree {
    /// An empty root.
    #[must_use]
    pub fn new() -> Self {
        let mtime = Timestamp::from_unix(1_704_164_645, 0); // 2024-01-02 03:04:05
        let mut nodes = BTreeMap::new();
        nodes.insert(b"/".to_vec(), (Node::Dir, mtime));
        Self {
            nodes,
            mtime,
            wall_clock: Timestamp::from_unix(1_732_492_800, 0), // 2024-11-25
            stream_listings: false,
            unique: 0,
        }
    }

    /// A small tree: `/hello.txt`, `/data.bin` (1000 bytes of
    /// [`sample_bytes`]), `/sub dir/`, `/sub dir/nested.txt`, `/empty/`.
    #[must_use]
    pub fn sample() -> Self {
        let mut fs = Self::new();
        fs.add_file("/hello.txt", b"hello from the pair harness\n");
        fs.add_file("/data.bin", &sample_bytes(1000));
        fs.add_dir("/sub dir");
        fs.add_file("/sub dir/nested.txt", b"nested\r\n");
        fs.add_dir("/empty");
        fs
    }

    /// Adds (or replaces) a file.
    pub fn add_file(&mut self, path: &str, contents: &[u8]) {
        self.nodes.insert(
            path.as_bytes().to_vec(),
            (Node::File(contents.to_vec()), self.mtime),
        );
    }

    /// Adds a directory.
    pub fn add_dir(&mut self, path: &str) {
        self.nodes
            .insert(path.as_bytes().to_vec(), (Node::Dir, self.mtime));
    }

    /// A file's contents.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(path.as_bytes()) {
            Some((Node::File(c), _)) => Some(c),
            _ => None,
        }
    }

    /// Whether `path` is a directory.
    #[must_use]
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.nodes.get(path.as_bytes()), Some((Node::Dir, _)))
    }

    fn get(&self, p: &VirtualPath) -> Option<&(Node, Timestamp)> {
        self.nodes.get(p.as_bytes())
    }

    fn parent_is_dir(&self, p: &VirtualPath) -> bool {
        p.parent()
            .is_some_and(|d| matches!(self.get(&d), Some((Node::Dir, _))))
    }

    fn info(path: &[u8], node: &(Node, Timestamp)) -> FileInfo {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path).to_vec();
        let name = if name.is_empty() { b"/".to_vec() } else { name };
        match &node.0 {
            Node::Dir => FileInfo::new(name, FileKind::Directory).with_modified(node.1),
            Node::File(c) => FileInfo::new(name, FileKind::File)
                .with_size(c.len() as u64)
                .with_modified(node.1),
        }
    }

    /// The children of directory `dir`, in name order.
    fn children(&self, dir: &[u8]) -> Vec<FileInfo> {
        let prefix: Vec<u8> = if dir == b"/" {
            b"/".to_vec()
        } else {
            [dir, b"/"].concat()
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains(&b'/'))
            .map(|(k, n)| Self::info(k, n))
            .collect()
    }

    fn rename(&mut self, from: &VirtualPath, to: &VirtualPath) -> Answer {
        if self.get(to).is_some() {
            return Answer::Error(FsError::AlreadyExists);
        }
        let from_b = from.as_bytes().to_vec();
        let below = [&from_b[..], b"/"].concat();
        let moved: Vec<Vec<u8>> = self
            .nodes
            .keys()
            .filter(|k| **k == from_b || k.starts_with(&below))
            .cloned()
            .collect();
        if moved.is_empty() {
            return Answer::Error(FsError::NotFound);
        }
        for k in moved {
            if let Some(node) = self.nodes.remove(&k) {
                let mut nk = to.as_bytes().to_vec();
                nk.extend_from_slice(&k[from_b.len()..]);
                self.nodes.insert(nk, node);
            }
        }
        Answer::Done
    }

    fn list(&self, request: &RequestKind, path: &VirtualPath) -> Answer {
        let entries = match self.get(path) {
            Some((Node::Dir, _)) => self.children(path.as_bytes()),
            Some(n) => vec![Self::info(path.as_bytes(), n)],
            None => return Answer::Error(FsError::NotFound),
        };
        if matches!(
            request,
            RequestKind::List {
                format: ListFormat::Machine,
                ..
            }
        ) && !matches!(self.get(path), Some((Node::Dir, _)))
        {
            return Answer::Error(FsError::NotADirectory);
        }
        if self.stream_listings
            && matches!(request, RequestKind::List { .. })
            && matches!(self.get(path), Some((Node::Dir, _)))
        {
            return Answer::DirectoryListing {
                wall_clock: self.wall_clock,
            };
        }
        Answer::Listing {
            entries,
            wall_clock: self.wall_clock,
        }
    }
}

impl Responder for MemoryTree {
    fn answer(&mut self, _now: Instant, request: &RequestKind) -> Answer {
        use FsError::*;
        match request {
            RequestKind::Login { user, password, .. } => {
                if &user[..] == USER.as_bytes() && password.expose() == PASSWORD.as_bytes() {
                    Answer::LoggedIn { home: None }
                } else {
                    Answer::Denied(Denial::BadCredentials)
                }
            }
            RequestKind::Account { .. } | RequestKind::Host { .. } => Answer::Done,
            RequestKind::ChangeDir { path } => match self.get(path) {
                Some((Node::Dir, _)) => Answer::Done,
                Some(_) => Answer::Error(NotADirectory),
                None => Answer::Error(NotFound),
            },
            RequestKind::MakeDir { path } => {
                if self.get(path).is_some() {
                    Answer::Error(AlreadyExists)
                } else if !self.parent_is_dir(path) {
                    Answer::Error(NotFound)
                } else {
                    self.nodes
                        .insert(path.as_bytes().to_vec(), (Node::Dir, self.mtime));
                    Answer::Done
                }
            }
            RequestKind::RemoveDir { path } => match self.get(path) {
                Some((Node::Dir, _)) if self.children(path.as_bytes()).is_empty() => {
                    self.nodes.remove(path.as_bytes());
                    Answer::Done
                }
                Some((Node::Dir, _)) => Answer::Error(DirectoryNotEmpty),
                Some(_) => Answer::Error(NotADirectory),
                None => Answer::Error(NotFound),
            },
            RequestKind::Delete { path } => match self.get(path) {
                Some((Node::File(_), _)) => {
                    self.nodes.remove(path.as_bytes());
                    Answer::Done
                }
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::RenameFrom { path } => match self.get(path) {
                Some(_) => Answer::Done,
                None => Answer::Error(NotFound),
            },
            RequestKind::Rename { from, to } => self.rename(from, to),
            RequestKind::Size { path, .. } => match self.get(path) {
                Some((Node::File(c), _)) => Answer::Size(c.len() as u64),
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::ModifiedTime { path } => match self.get(path) {
                Some((_, t)) => Answer::Modified(*t),
                None => Answer::Error(NotFound),
            },
            RequestKind::SetModifiedTime { path, time } => {
                match self.nodes.get_mut(path.as_bytes()) {
                    Some(n) => {
                        n.1 = *time;
                        Answer::Modified(*time)
                    }
                    None => Answer::Error(NotFound),
                }
            }
            RequestKind::Retrieve { path, offset, .. } => match self.get(path) {
                Some((Node::File(c), _)) if *offset > c.len() as u64 => {
                    Answer::Error(InvalidOffset)
                }
                Some((Node::File(c), _)) => Answer::Ready {
                    size: Some(c.len() as u64 - offset),
                },
                Some(_) => Answer::Error(NotAFile),
                None => Answer::Error(NotFound),
            },
            RequestKind::Store { path, .. } | RequestKind::Append { path, .. } => {
                match self.get(path) {
                    Some((Node::Dir, _)) => Answer::Error(NotAFile),
                    _ if !self.parent_is_dir(path) => Answer::Error(NotFound),
                    _ => Answer::Ready { size: None },
                }
            }
            RequestKind::StoreUnique { dir, .. } => loop {
                self.unique += 1;
                let name = format!("unique.{}", self.unique);
                let Ok(p) = dir.join(name.as_bytes()) else {
                    return Answer::Error(NameNotAllowed);
                };
                if self.get(&p).is_none() {
                    // Reserve the name now, as a real storage creates the file.
                    self.nodes
                        .insert(p.as_bytes().to_vec(), (Node::File(Vec::new()), self.mtime));
                    return Answer::Unique(p);
                }
            },
            RequestKind::List { path, .. } | RequestKind::Stat { path } => self.list(request, path),
            RequestKind::MachineListOne { path } => match self.get(path) {
                Some(n) => {
                    let mut info = Self::info(path.as_bytes(), n);
                    info.name = path.to_bytes();
                    Answer::Entry(Box::new(info))
                }
                None => Answer::Error(NotFound),
            },
            RequestKind::Site { command } => {
                if command.eq_ignore_ascii_case(b"HELP") {
                    Answer::Done
                } else {
                    Answer::Error(NotSupported)
                }
            }
        }
    }

    fn read(&mut self, path: &VirtualPath, offset: u64) -> Vec<u8> {
        match self.get(path) {
            Some((Node::File(c), _)) => usize::try_from(offset)
                .ok()
                .and_then(|o| c.get(o..))
                .unwrap_or_default()
                .to_vec(),
            _ => Vec::new(),
        }
    }

    fn entries(&mut self, path: &VirtualPath) -> Vec<FileInfo> {
        self.children(path.as_bytes())
    }

    fn write(&mut self, kind: &TransferKind, data: &[u8]) {
        let (path, offset, append) = match kind {
            TransferKind::Store { path, offset } => (path, *offset, false),
            TransferKind::Append { path } => (path, 0, true),
            _ => return,
        };
        let key = path.as_bytes().to_vec();
        let mut contents = match self.nodes.get(&key) {
            Some((Node::File(c), _)) => c.clone(),
            _ => Vec::new(),
        };
        if !append {
            contents.truncate(usize::try_from(offset).unwrap_or(usize::MAX));
        }
        contents.extend_from_slice(data);
        self.nodes.insert(key, (Node::File(contents), self.mtime));
    }
}

/// `n` bytes of a fixed pattern (`i % 251`), for transfers whose every byte
/// is checked.
#[must_use]
pub fn sample_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
