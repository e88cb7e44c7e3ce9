//! Listing bytes from a data connection, cut into lines and parsed as they
//! arrive, with bounded memory: one partial line (at most
//! `max_listing_line` bytes) and at most `max_listing_entries` results
//! holding at most `max_listing_bytes` of lines.

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};

use super::wire::{self, ListingFormat};
use crate::listing::FileInfo;
use crate::timestamp::Timestamp;

/// Which command [`list_with`](super::ClientSession::list_with) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ListFormat {
    /// `MLSD` when the last answered `FEAT` listed `MLST`, else `LIST`.
    #[default]
    Auto,
    /// `MLSD` (RFC 3659 fact lines), whatever `FEAT` said.
    Mlsd,
    /// `LIST` (Unix `ls -l`, MS-DOS, OS/2, EPLF or IBM i lines, told apart
    /// per line), even when the server has `MLSD`.
    List,
}

/// What a listing data connection is parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingKind {
    /// Entries (`MLSD` or `LIST`).
    Entries(ListingFormat),
    /// Names (`NLST`).
    Names,
}

/// Collects one listing.
#[derive(Debug)]
pub(crate) struct ListingCollector {
    kind: ListingKind,
    wall_clock: Option<Timestamp>,
    partial: BytesMut,
    /// The current line is too long: drop bytes up to the next LF.
    discarding: bool,
    max_line: usize,
    max_entries: usize,
    max_bytes: usize,
    /// Bytes of the lines the results hold.
    kept: usize,
    pub(crate) entries: Vec<FileInfo>,
    pub(crate) names: Vec<Bytes>,
    pub(crate) skipped: usize,
    pub(crate) overflow: bool,
}

impl ListingCollector {
    pub(crate) fn new(
        kind: ListingKind,
        wall_clock: Option<Timestamp>,
        max_line: usize,
        max_entries: usize,
        max_bytes: usize,
    ) -> Self {
        Self {
            kind,
            wall_clock,
            partial: BytesMut::new(),
            discarding: false,
            max_line,
            max_entries,
            max_bytes,
            kept: 0,
            entries: Vec::new(),
            names: Vec::new(),
            skipped: 0,
            overflow: false,
        }
    }

    /// Takes the next chunk of listing bytes.
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let (line, rest) = data.split_at(i + 1);
                    data = rest;
                    if self.discarding {
                        self.discarding = false;
                        self.skipped = self.skipped.saturating_add(1);
                        continue;
                    }
                    if self.partial.len() + line.len() > self.max_line {
                        self.partial.clear();
                        self.skipped = self.skipped.saturating_add(1);
                        continue;
                    }
                    self.partial.extend_from_slice(line);
                    let line = self.partial.split().freeze();
                    self.line(&line);
                }
                None => {
                    if !self.discarding {
                        if self.partial.len() + data.len() > self.max_line {
                            self.partial.clear();
                            self.discarding = true;
                        } else {
                            self.partial.extend_from_slice(data);
                        }
                    }
                    return;
                }
            }
        }
    }

    /// The data connection reached EOF: a last line without LF counts.
    pub(crate) fn finish(&mut self) {
        if !self.partial.is_empty() && !self.discarding {
            let line = self.partial.split().freeze();
            self.line(&line);
        }
        self.partial = BytesMut::new();
    }

    fn line(&mut self, line: &Bytes) {
        let trimmed = {
            let l = line.strip_suffix(b"\n").unwrap_or(line);
            l.strip_suffix(b"\r").unwrap_or(l)
        };
        if trimmed.is_empty() {
            return;
        }
        if self.overflow || self.entries.len() + self.names.len() >= self.max_entries {
            self.overflow = true;
            return;
        }
        match self.kind {
            ListingKind::Names => {
                // Some servers prefix NLST names with `./`; drop it.
                let name = trimmed.strip_prefix(b"./").unwrap_or(trimmed);
                // Pure-FTPd lists the directory itself and its parent.
                if !matches!(name, b"." | b"..") && self.room_for(line) {
                    self.names.push(line.slice_ref(name));
                }
            }
            ListingKind::Entries(format) => {
                match wire::parse_listing_line(format, line, self.wall_clock) {
                    Some(e) if self.room_for(line) => self.entries.push(e),
                    Some(_) => {}
                    None => self.skipped = self.skipped.saturating_add(1),
                }
            }
        }
    }

    /// Counts `line` against `max_bytes` (a result holds its line), or
    /// marks the overflow.
    fn room_for(&mut self, line: &[u8]) -> bool {
        match self.kept.checked_add(line.len()) {
            Some(kept) if kept <= self.max_bytes => {
                self.kept = kept;
                true
            }
            _ => {
                self.overflow = true;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_chunks_and_bounds() {
        let mut c = ListingCollector::new(ListingKind::Names, None, 16, 3, usize::MAX);
        c.push(b".\r\n..\r\na\r\n./b");
        c.push(b"\r\n0123456789012345678901234\r\nc\r\nd\r\ne");
        c.finish();
        assert_eq!(c.names, [&b"a"[..], b"b", b"c"]);
        assert_eq!(c.skipped, 1);
        assert!(c.overflow);
    }

    #[test]
    fn byte_bound() {
        // Three lines of 4 bytes fit in 12; the fourth overflows, and so
        // does everything after it, short or not.
        let mut c = ListingCollector::new(ListingKind::Names, None, 64, 100, 12);
        c.push(b"ab\r\ncd\r\nef\r\ngh\r\ni\r\n");
        c.finish();
        assert_eq!(c.names, [&b"ab"[..], b"cd", b"ef"]);
        assert!(c.overflow);
        // Skipped lines cost nothing.
        let mut c =
            ListingCollector::new(ListingKind::Entries(ListingFormat::List), None, 64, 100, 8);
        c.push(b"total 12\r\nnot a listing line\r\n");
        c.finish();
        assert!(!c.overflow);
    }

    #[test]
    fn mlsd_drops_cdir() {
        let mut c = ListingCollector::new(
            ListingKind::Entries(ListingFormat::Mlsd),
            None,
            1024,
            10,
            usize::MAX,
        );
        c.push(b"type=cdir;perm=el; .\r\ntype=file;size=3; a b\r\n");
        c.finish();
        assert_eq!(c.entries.len(), 1);
        assert_eq!(&c.entries[0].name[..], b"a b");
        assert_eq!(c.skipped, 1);
    }
}
