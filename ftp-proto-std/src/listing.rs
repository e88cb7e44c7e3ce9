//! Directory listings served from a storage, as both servers send them:
//! entries are read from the storage as they are sent, rendered by the
//! engine's [`ListingStyle::write_line`] into one bounded buffer
//! ([`ListingWriter`]) and written to the data connection whenever it
//! fills, so a listing's memory is the same for ten entries or ten million.
//!
//! The blocking data path ([`crate::transfer`]) and the tokio server's
//! async one drive the same [`ListingWriter`]; only the way they wait for
//! the storage and the socket differs. `STAT path` answers on the control
//! connection, where the engine renders a bounded list of entries:
//! [`StatEntries`] gathers them, stopping as soon as they are more than
//! the engine will send.

use bytes::BytesMut;
use ftp_proto::listing::{Facts, FileInfo};
use ftp_proto::server::{ListFormat, ListingStyle, TransferOutcome};
use ftp_proto::timestamp::Timestamp;

use crate::auth::Permissions;
use crate::storage::{EntryInfo, StorageError};

/// The outcome of a listing whose directory could not be read to its end
/// (logged): [`TransferOutcome::LocalError`], `451`. Never a complete
/// transfer: a cut listing must not look whole.
pub fn read_error(error: &StorageError) -> TransferOutcome {
    tracing::warn!(%error, "reading the directory failed; listing cut, not completed");
    TransferOutcome::LocalError
}

/// How many bytes of rendered lines a listing gathers before it writes
/// them to the data connection: 32 KiB (a few hundred lines), the whole
/// buffer a listing holds besides the storage's directory reader.
pub const LISTING_BUFFER: usize = 32 * 1024;

/// How many entries an async listing asks its storage for at a time (the
/// tokio server's `EntryBatches`): a few tens of KiB of entries, and one
/// trip to a blocking thread for that many `stat` calls.
pub const LISTING_BATCH: usize = 128;

/// Renders the entries of a streamed listing into a bounded buffer.
///
/// [`push`](Self::push) each entry the storage yields; when it returns
/// `true` write [`pending`](Self::pending) out and [`clear`](Self::clear)
/// it; after the last entry write what is pending. The buffer holds
/// [`LISTING_BUFFER`] bytes plus at most one line.
#[derive(Debug)]
pub struct ListingWriter {
    style: ListingStyle,
    permissions: Permissions,
    buf: BytesMut,
    skipped: u64,
}

impl ListingWriter {
    /// A writer for lines in `style` (the engine's choice, from the
    /// transfer it started), for a user with `permissions` (MLSD `perm`
    /// facts show them, see [`EntryInfo::into_file_info`]).
    #[must_use]
    pub fn new(style: ListingStyle, permissions: Permissions) -> Self {
        Self {
            style,
            permissions,
            buf: BytesMut::with_capacity(LISTING_BUFFER + 1024),
            skipped: 0,
        }
    }

    /// Renders `entry` after the lines already pending; `true` when the
    /// pending lines fill the buffer and should be written out now. An
    /// entry whose name cannot be written safely (CR, LF, NUL) is skipped.
    pub fn push(&mut self, entry: EntryInfo) -> bool {
        let info = entry.into_file_info(&self.permissions);
        if self.style.write_line(&info, &mut self.buf).is_err() {
            self.skipped = self.skipped.saturating_add(1);
        }
        self.buf.len() >= LISTING_BUFFER
    }

    /// The rendered lines not written yet.
    #[must_use]
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the pending lines (after they were written); the buffer is
    /// kept for the next ones.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// How many entries were left out because of their names.
    #[must_use]
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

/// Gathers a directory's entries for a `STAT path` reply, which the engine
/// renders on the control connection and refuses (`450`) when its lines
/// come to more than
/// [`Limits::max_listing_bytes`](ftp_proto::server::Limits::max_listing_bytes):
/// so no more entries are kept than that many bytes of lines, plus the one
/// that goes over (which makes the engine refuse, as it would the whole
/// directory).
#[derive(Debug)]
pub struct StatEntries {
    style: ListingStyle,
    max_bytes: usize,
    rendered: usize,
    line: BytesMut,
    entries: Vec<FileInfo>,
}

impl StatEntries {
    /// Gathers entries whose `LIST` lines (dated against `wall_clock`)
    /// come to at most `max_bytes`.
    #[must_use]
    pub fn new(max_bytes: usize, wall_clock: Timestamp) -> Self {
        Self {
            style: ListingStyle::new(ListFormat::Long, Facts::DEFAULT, wall_clock),
            max_bytes,
            rendered: 0,
            line: BytesMut::with_capacity(256),
            entries: Vec::new(),
        }
    }

    /// Keeps `entry`; `false` once the entries kept are more than the
    /// engine will send (stop reading then).
    pub fn push(&mut self, entry: EntryInfo) -> bool {
        if self.is_full() {
            return false;
        }
        let info = FileInfo::from(entry);
        self.line.clear();
        if self.style.write_line(&info, &mut self.line).is_ok() {
            self.rendered = self.rendered.saturating_add(self.line.len());
            self.entries.push(info);
        }
        !self.is_full()
    }

    fn is_full(&self) -> bool {
        self.rendered > self.max_bytes
    }

    /// The entries kept, in the order they came.
    #[must_use]
    pub fn into_entries(self) -> Vec<FileInfo> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::storage::EntryKind;

    fn entry(name: &[u8]) -> EntryInfo {
        EntryInfo::new(Bytes::copy_from_slice(name), EntryKind::File)
    }

    fn names() -> ListingStyle {
        ListingStyle::new(ListFormat::Names, Facts::DEFAULT, Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn a_writer_fills_to_its_bound_and_skips_unsafe_names() {
        let mut writer = ListingWriter::new(names(), Permissions::FULL);
        assert!(!writer.push(entry(b"a")));
        assert!(!writer.push(entry(b"bad\r\n226 x")));
        assert_eq!(writer.pending(), b"a\r\n");
        assert_eq!(writer.skipped(), 1);
        let long = vec![b'x'; 1000];
        let mut pushes = 0;
        while !writer.push(entry(&long)) {
            pushes += 1;
            assert!(pushes < 100, "never full");
        }
        let full = writer.pending().len();
        assert!((LISTING_BUFFER..LISTING_BUFFER + 1003).contains(&full));
        let capacity = writer.buf.capacity();
        writer.clear();
        assert!(writer.pending().is_empty());
        // The buffer is reused, not grown, by the next lines.
        assert!(!writer.push(entry(b"z")));
        assert_eq!(writer.buf.capacity(), capacity);
    }

    #[test]
    fn stat_entries_stop_one_past_the_engines_limit() {
        // Each LIST line of these entries is well over 10 bytes.
        let mut stat = StatEntries::new(100, Timestamp::UNIX_EPOCH);
        let mut kept = 0;
        while stat.push(entry(b"f")) {
            kept += 1;
            assert!(kept < 100, "never full");
        }
        assert!(!stat.push(entry(b"g")));
        let entries = stat.into_entries();
        assert_eq!(entries.len(), kept + 1);
        assert!(entries.iter().all(|e| &e.name[..] == b"f"));
        // Under the limit every entry is kept.
        let mut stat = StatEntries::new(1 << 20, Timestamp::UNIX_EPOCH);
        assert!(stat.push(entry(b"a")) && stat.push(entry(b"b")));
        assert_eq!(stat.into_entries().len(), 2);
    }
}
