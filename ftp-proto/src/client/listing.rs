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

/// The entries of a listing (`MLSD` or `LIST`), kept compact: the lines
/// that parsed as entries, copied into a few large shared buffers, and
/// for each entry only where its line is (12 bytes). An entry is parsed
/// again when it is read ([`iter`](Self::iter), [`get`](Self::get)): its
/// name and other byte fields are slices of those buffers, never copies.
/// So a listing costs about its bytes, however many entries it has,
/// rather than a [`FileInfo`] (a few hundred bytes) per entry.
///
/// ```
/// # use ftp_proto::client::{Listing, FileInfo};
/// # fn show(listing: &Listing) {
/// for entry in listing {
///     println!("{}", String::from_utf8_lossy(&entry.name));
/// }
/// let all: Vec<FileInfo> = listing.to_vec();
/// # }
/// ```
///
/// Two listings are equal when their entries are.
#[derive(Clone)]
pub struct Listing {
    format: ListingFormat,
    wall_clock: Option<Timestamp>,
    /// The kept lines, end to end (no line spans two buffers).
    buffers: Vec<Bytes>,
    /// Each entry's line: buffer index, start, end.
    lines: Vec<[u32; 3]>,
}

impl Default for Listing {
    fn default() -> Self {
        Self {
            format: ListingFormat::List,
            wall_clock: None,
            buffers: Vec::new(),
            lines: Vec::new(),
        }
    }
}

impl PartialEq for Listing {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Listing {}

impl core::fmt::Debug for Listing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Listing {
    /// How many entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Entry `index` (in server order), parsed from its line.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<FileInfo> {
        let &[buffer, start, end] = self.lines.get(index)?;
        let buffer = self.buffers.get(buffer as usize)?;
        let range = start as usize..end as usize;
        buffer.get(range.clone())?;
        let line = buffer.slice(range);
        wire::parse_listing_line(self.format, &line, self.wall_clock)
    }

    /// The entries in server order.
    #[must_use]
    pub fn iter(&self) -> ListingIter<'_> {
        ListingIter {
            listing: self,
            next: 0,
        }
    }

    /// Every entry as a [`FileInfo`] (a few hundred bytes each: for a
    /// large listing, prefer reading it with [`iter`](Self::iter)).
    #[must_use]
    pub fn to_vec(&self) -> Vec<FileInfo> {
        self.iter().collect()
    }
}

/// The entries of a [`Listing`], parsed one by one ([`Listing::iter`]).
#[derive(Debug, Clone)]
pub struct ListingIter<'a> {
    listing: &'a Listing,
    next: usize,
}

impl Iterator for ListingIter<'_> {
    type Item = FileInfo;

    fn next(&mut self) -> Option<FileInfo> {
        while self.next < self.listing.len() {
            let entry = self.listing.get(self.next);
            self.next += 1;
            if entry.is_some() {
                return entry;
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.listing.len().saturating_sub(self.next)))
    }
}

impl<'a> IntoIterator for &'a Listing {
    type Item = FileInfo;
    type IntoIter = ListingIter<'a>;

    fn into_iter(self) -> ListingIter<'a> {
        self.iter()
    }
}

/// The entries of a [`Listing`], parsed one by one, owning it.
#[derive(Debug, Clone)]
pub struct ListingIntoIter {
    listing: Listing,
    next: usize,
}

impl Iterator for ListingIntoIter {
    type Item = FileInfo;

    fn next(&mut self) -> Option<FileInfo> {
        let mut iter = ListingIter {
            listing: &self.listing,
            next: self.next,
        };
        let entry = iter.next();
        self.next = iter.next;
        entry
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.listing.len().saturating_sub(self.next)))
    }
}

impl IntoIterator for Listing {
    type Item = FileInfo;
    type IntoIter = ListingIntoIter;

    fn into_iter(self) -> ListingIntoIter {
        ListingIntoIter {
            listing: self,
            next: 0,
        }
    }
}

/// Smallest and largest buffer a listing's kept lines are copied into
/// (each new buffer twice the last, so a small listing stays small and a
/// large one wastes at most one line's length per megabyte).
const MIN_BUFFER: usize = 4 * 1024;
const MAX_BUFFER: usize = 1024 * 1024;

/// Collects one listing.
#[derive(Debug)]
pub(crate) struct ListingCollector {
    kind: ListingKind,
    partial: BytesMut,
    /// The current line is too long: drop bytes up to the next LF.
    discarding: bool,
    max_line: usize,
    max_entries: usize,
    max_bytes: usize,
    /// Bytes of the lines the results hold.
    kept: usize,
    /// `Entries`: the listing being built, and the buffer its lines go to
    /// (moved into it when full).
    pub(crate) entries: Listing,
    buffer: Vec<u8>,
    /// `Names`: the names, slices of `name_buffer`'s allocations.
    pub(crate) names: Vec<Bytes>,
    name_buffer: BytesMut,
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
        let format = match kind {
            ListingKind::Entries(format) => format,
            ListingKind::Names => ListingFormat::List,
        };
        Self {
            kind,
            partial: BytesMut::new(),
            discarding: false,
            max_line,
            max_entries,
            max_bytes,
            kept: 0,
            entries: Listing {
                format,
                wall_clock,
                buffers: Vec::new(),
                lines: Vec::new(),
            },
            buffer: Vec::new(),
            names: Vec::new(),
            name_buffer: BytesMut::new(),
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
        self.seal_buffer();
    }

    /// Moves the filled line buffer into the listing.
    fn seal_buffer(&mut self) {
        if !self.buffer.is_empty() {
            let full = core::mem::take(&mut self.buffer);
            self.entries.buffers.push(Bytes::from(full));
        }
    }

    /// The size of the next line buffer: twice the last, within bounds,
    /// and at least `need`.
    fn next_buffer_size(last: usize, need: usize) -> usize {
        last.saturating_mul(2)
            .clamp(MIN_BUFFER, MAX_BUFFER)
            .max(need)
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
                    // Copied into a shared buffer: no allocation per name.
                    if self.name_buffer.capacity() - self.name_buffer.len() < name.len() {
                        let last = self.name_buffer.capacity();
                        self.name_buffer =
                            BytesMut::with_capacity(Self::next_buffer_size(last, name.len()));
                    }
                    self.name_buffer.extend_from_slice(name);
                    self.names.push(self.name_buffer.split().freeze());
                }
            }
            ListingKind::Entries(format) => {
                if wire::parse_listing_line(format, line, self.entries.wall_clock).is_none() {
                    self.skipped = self.skipped.saturating_add(1);
                    return;
                }
                if !self.room_for(line) {
                    return;
                }
                if self.buffer.capacity() - self.buffer.len() < line.len() {
                    let last = self.buffer.capacity();
                    self.seal_buffer();
                    self.buffer = Vec::with_capacity(Self::next_buffer_size(last, line.len()));
                }
                let start = self.buffer.len();
                self.buffer.extend_from_slice(line);
                let place = (
                    u32::try_from(self.entries.buffers.len()),
                    u32::try_from(start),
                    u32::try_from(self.buffer.len()),
                );
                match place {
                    (Ok(b), Ok(s), Ok(e)) => self.entries.lines.push([b, s, e]),
                    // A line of 4 GiB (only with such a `max_listing_line`).
                    _ => {
                        self.buffer.truncate(start);
                        self.skipped = self.skipped.saturating_add(1);
                    }
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
    fn entries_span_several_buffers_and_read_back_alike() {
        let mut c = ListingCollector::new(
            ListingKind::Entries(ListingFormat::Mlsd),
            None,
            1024,
            100_000,
            usize::MAX,
        );
        let mut sent = alloc::string::String::new();
        for n in 0..2000 {
            sent.push_str(&alloc::format!("type=file;size={n}; file {n}\r\n"));
        }
        // In odd chunks, so lines straddle pushes.
        for chunk in sent.as_bytes().chunks(333) {
            c.push(chunk);
        }
        c.finish();
        let listing = core::mem::take(&mut c.entries);
        assert!(listing.buffers.len() > 2, "{}", listing.buffers.len());
        assert_eq!(listing.len(), 2000);
        for (n, entry) in listing.iter().enumerate() {
            assert_eq!(entry.size, Some(n as u64));
            assert_eq!(entry.name, alloc::format!("file {n}").as_bytes());
        }
        assert_eq!(listing.get(1999).unwrap().size, Some(1999));
        assert!(listing.get(2000).is_none());
        let all = listing.to_vec();
        assert_eq!(all.len(), 2000);
        assert_eq!(listing.clone().into_iter().collect::<Vec<_>>(), all);
        assert_eq!(listing, listing.clone());
        assert_ne!(listing, Listing::default());
        // Names are slices of the listing's buffers, not copies.
        let first = listing.get(0).unwrap();
        assert!(
            listing.buffers[0]
                .as_ptr_range()
                .contains(&first.name.as_ptr())
        );
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
        assert_eq!(&c.entries.get(0).unwrap().name[..], b"a b");
        assert_eq!(c.skipped, 1);
    }
}
