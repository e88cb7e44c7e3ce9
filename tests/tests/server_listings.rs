//! Listings of large directories through both of our servers: every entry
//! comes, and `226` only for a whole listing (issue 13: a listing used to
//! be cut at 50 000 entries and still end in `226`).

use std::collections::HashSet;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use ftp_proto::timestamp::Timestamp;
use ftp_proto_std::auth::{AnonymousOnly, Identity};
use ftp_proto_std::server::ServerSettings;
use ftp_proto_std::storage::{
    BoxedEntries, EntryInfo, Filesystem, StorageError, UniqueFile, WriteMode,
};
use ftp_proto_tokio::storage::EntryBatches;

use ftp_proto_tests::ours::{Flavor, Setup, TestServer, entry_name, fill_directory};
use ftp_proto_tests::peers::RawControl;

/// Entries in the big directory: twice the old cap.
const ENTRIES: usize = 100_000;

/// Sends `command` and reads its data connection to the end (bounded in
/// size and time), then the final reply.
fn list(c: &mut RawControl, command: &str) -> (u16, Vec<u8>, u16) {
    let (_, data) = c.epsv().unwrap();
    let mut stream = TcpStream::connect_timeout(&data.unwrap(), Duration::from_secs(10)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let first = c.command(command).unwrap();
    if first.class() != 1 {
        return (first.code, Vec::new(), 0);
    }
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        assert!(bytes.len() < 64 << 20, "{command}: too much data");
    }
    (first.code, bytes, c.read_reply().unwrap().code)
}

/// The names in a listing's lines: NLST lines are names, MLSD names follow
/// the facts and one space, LIST names are the last field (these have no
/// blanks).
fn names(command: &str, data: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(data).unwrap();
    assert!(
        text.is_empty() || text.ends_with("\r\n"),
        "{command}: unterminated"
    );
    text.split_terminator("\r\n")
        .map(|line| {
            let name = match command {
                "MLSD" => line.split_once("; ").unwrap().1,
                "LIST" => line.rsplit(' ').next().unwrap(),
                _ => line,
            };
            name.to_owned()
        })
        .collect()
}

/// Lists the directory `big` of `server` with NLST, LIST and MLSD.
fn lists_every_entry(server: &TestServer) {
    let flavor = server.flavor;
    let expected: HashSet<String> = (0..ENTRIES).map(entry_name).collect();
    for command in ["NLST", "LIST", "MLSD"] {
        let mut c = server.raw_login();
        let (first, bytes, last) = list(&mut c, &format!("{command} big"));
        assert!(matches!(first, 125 | 150), "{flavor:?} {command}: {first}");
        assert_eq!(last, 226, "{flavor:?} {command}");
        let listed = names(command, &bytes);
        assert_eq!(listed.len(), ENTRIES, "{flavor:?} {command}");
        let listed: HashSet<String> = listed.into_iter().collect();
        assert!(listed == expected, "{flavor:?} {command}: names differ");
        assert_eq!(c.command("QUIT").unwrap().code, 221);
    }
    // A missing directory is still refused before any 150.
    let mut c = server.raw_login();
    let (first, _, _) = list(&mut c, "MLSD missing");
    assert_eq!(first, 550, "{flavor:?}");
}

#[test]
fn both_servers_list_a_100000_entry_directory_whole() {
    let std_server = TestServer::start(Flavor::Std, &Setup::default()).unwrap();
    let tokio_server = TestServer::start(Flavor::Tokio, &Setup::default()).unwrap();
    fill_directory(&std_server.root().join("big"), ENTRIES);
    lists_every_entry(&std_server);
    // The same directory, moved (both roots are on one file system).
    std::fs::rename(
        std_server.root().join("big"),
        tokio_server.root().join("big"),
    )
    .unwrap();
    lists_every_entry(&tokio_server);
}

/// Entries a [`Failing`] storage lists before its directory read fails.
const GOOD: usize = 3000;

fn disk_failure() -> StorageError {
    StorageError::Io(std::io::Error::other("disk went away"))
}

/// A folder whose listings fail after [`GOOD`] entries; every other
/// operation is the `Filesystem`'s.
#[derive(Debug)]
struct Failing(Filesystem);

impl ftp_proto_std::storage::Storage for Failing {
    type Reader = std::fs::File;
    type Writer = ftp_proto_std::storage::FileUpload;
    type Entries = BoxedEntries;

    fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        self.0.metadata(path)
    }
    fn list(&self, path: &[u8]) -> Result<BoxedEntries, StorageError> {
        let entries = self.0.list(path)?.take(GOOD);
        Ok(Box::new(
            entries.chain(std::iter::once(Err(disk_failure()))),
        ))
    }
    fn open_read(&self, path: &[u8], offset: u64) -> Result<Self::Reader, StorageError> {
        self.0.open_read(path, offset)
    }
    fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<Self::Writer, StorageError> {
        self.0.open_write(path, mode)
    }
    fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<Self::Writer>, StorageError> {
        self.0.create_unique(dir, hint)
    }
    fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.remove_file(path)
    }
    fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.make_dir(path)
    }
    fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.remove_dir(path)
    }
    fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        self.0.rename(from, to)
    }
    fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        self.0.set_modified(path, time)
    }
    fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.check_dir(path)
    }
    fn is_read_only(&self) -> bool {
        true
    }
}

/// The same failure for the tokio server: its directory batches fail after
/// [`GOOD`] entries (and stay async: no blocking iterator is offered).
#[derive(Debug)]
struct FailingAsync(ftp_proto_tokio::storage::Filesystem);

/// The batches of a [`FailingAsync`] listing.
struct FailingBatches {
    inner: ftp_proto_tokio::storage::FilesystemEntries,
    given: usize,
}

impl EntryBatches for FailingBatches {
    async fn next_batch(
        &mut self,
        batch: &mut Vec<EntryInfo>,
        max: usize,
    ) -> Result<(), StorageError> {
        let room = GOOD - self.given;
        if room == 0 {
            return Err(disk_failure());
        }
        self.inner.next_batch(batch, max.min(room)).await?;
        self.given += batch.len();
        Ok(())
    }
}

impl ftp_proto_tokio::storage::Storage for FailingAsync {
    type Reader = tokio::fs::File;
    type Writer = ftp_proto_tokio::storage::FileUpload;
    type Entries = FailingBatches;

    async fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
        self.0.metadata(path).await
    }
    async fn list(&self, path: &[u8]) -> Result<FailingBatches, StorageError> {
        let inner = self.0.list(path).await?;
        Ok(FailingBatches { inner, given: 0 })
    }
    async fn open_read(&self, path: &[u8], offset: u64) -> Result<Self::Reader, StorageError> {
        self.0.open_read(path, offset).await
    }
    async fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<Self::Writer, StorageError> {
        self.0.open_write(path, mode).await
    }
    async fn create_unique(
        &self,
        dir: &[u8],
        hint: Option<&[u8]>,
    ) -> Result<UniqueFile<Self::Writer>, StorageError> {
        self.0.create_unique(dir, hint).await
    }
    async fn remove_file(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.remove_file(path).await
    }
    async fn make_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.make_dir(path).await
    }
    async fn remove_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.remove_dir(path).await
    }
    async fn rename(&self, from: &[u8], to: &[u8]) -> Result<(), StorageError> {
        self.0.rename(from, to).await
    }
    async fn set_modified(&self, path: &[u8], time: Timestamp) -> Result<(), StorageError> {
        self.0.set_modified(path, time).await
    }
    async fn check_dir(&self, path: &[u8]) -> Result<(), StorageError> {
        self.0.check_dir(path).await
    }
    fn is_read_only(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct FailingRoots(PathBuf);

impl ftp_proto_std::server::StorageFactory for FailingRoots {
    type Storage = Failing;

    fn storage_for(&self, _: &Identity) -> Result<Failing, StorageError> {
        Ok(Failing(Filesystem::open(&self.0)?))
    }
}

impl ftp_proto_tokio::server::StorageFactory for FailingRoots {
    type Storage = FailingAsync;

    async fn storage_for(&self, _: &Identity) -> Result<FailingAsync, StorageError> {
        let fs = Filesystem::open(&self.0)?;
        Ok(FailingAsync(ftp_proto_tokio::storage::Filesystem::new(fs)))
    }
}

fn settings() -> ServerSettings {
    ServerSettings::new()
        .allow_anonymous(true)
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Every listing command of `big` gets its 150, some lines, then 451.
fn listings_end_in_451(addr: SocketAddr, server: &str) {
    for command in ["NLST", "LIST", "MLSD"] {
        let mut c = RawControl::connect(addr).unwrap();
        assert_eq!(c.read_reply().unwrap().code, 220);
        assert_eq!(c.login("anonymous", "test@").unwrap().code, 230);
        let (first, bytes, last) = list(&mut c, &format!("{command} big"));
        assert!(matches!(first, 125 | 150), "{server} {command}: {first}");
        assert_eq!(
            last, 451,
            "{server} {command}: a cut listing must not be 226"
        );
        assert!(names(command, &bytes).len() <= GOOD, "{server} {command}");
    }
}

#[test]
fn a_directory_that_fails_midway_is_451_on_both_servers() {
    let temp = tempfile::tempdir().unwrap();
    fill_directory(&temp.path().join("big"), 2 * GOOD);
    let root = temp.path().to_path_buf();

    let server =
        ftp_proto_std::server::Server::builder(AnonymousOnly::new(), FailingRoots(root.clone()))
            .settings(settings())
            .bind()
            .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let thread = std::thread::spawn(move || server.serve());
    listings_end_in_451(addr, "std");
    handle.shutdown();
    thread.join().unwrap().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let auth = ftp_proto_tokio::auth::Blocking::new(AnonymousOnly::new());
    let builder =
        ftp_proto_tokio::server::Server::builder(auth, FailingRoots(root)).settings(settings());
    let server = runtime.block_on(builder.bind()).unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let serving = runtime.spawn(server.serve());
    listings_end_in_451(addr, "tokio");
    handle.shutdown();
    runtime.block_on(serving).unwrap().unwrap();
}
