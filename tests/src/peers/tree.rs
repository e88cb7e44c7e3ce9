//! The known tree every server serves.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// One file or folder of the test tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the served root, `/`-separated.
    pub path: &'static str,
    /// File contents, or `None` for a folder.
    pub contents: Option<&'static [u8]>,
}

/// The served tree, parents before children. Every entry's modification
/// time is [`TEST_TREE_MTIME`].
pub const TEST_TREE: &[TreeEntry] = &[
    TreeEntry {
        path: "hello.txt",
        contents: Some(b"hello from the ftp-proto test tree\n"),
    },
    TreeEntry {
        path: "data.bin",
        contents: Some(&DATA_BIN),
    },
    TreeEntry {
        path: "sub dir",
        contents: None,
    },
    TreeEntry {
        path: "sub dir/nested.txt",
        contents: Some(b"nested\r\nwith CRLF\r\n"),
    },
    TreeEntry {
        path: "empty",
        contents: None,
    },
];

/// Modification time of every tree entry: 2024-01-02 03:04:05 UTC, in
/// seconds since the Unix epoch.
pub const TEST_TREE_MTIME: u64 = 1_704_164_645;

const DATA_BIN: [u8; 1024] = {
    let mut bytes = [0u8; 1024];
    let mut i = 0;
    while i < bytes.len() {
        bytes[i] = (i % 251) as u8;
        i += 1;
    }
    bytes
};

/// Creates the tree under `root` (files 644, folders 755), owned by `owner`
/// when given, with fixed modification times.
pub(crate) fn populate(root: &Path, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    std::fs::create_dir(root)?;
    for entry in TEST_TREE {
        let path = root.join(entry.path);
        match entry.contents {
            Some(bytes) => std::fs::write(&path, bytes)?,
            None => std::fs::create_dir(&path)?,
        }
    }
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(TEST_TREE_MTIME);
    // Children first, so setting a folder's time is not undone by its
    // children's changes.
    let all = TEST_TREE
        .iter()
        .rev()
        .map(|e| (root.join(e.path), e.contents.is_some()))
        .chain(std::iter::once((root.to_path_buf(), false)));
    for (path, is_file) in all {
        super::set_mode(&path, if is_file { 0o644 } else { 0o755 })?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
        }
        std::fs::File::open(&path)?.set_modified(mtime)?;
    }
    Ok(())
}
