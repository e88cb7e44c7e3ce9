//! The data path of both our servers, end to end over loopback: the stall
//! limit of a transfer whose peer stops taking bytes, and uploads that
//! replace a file only once complete.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use ftp_proto_tests::ours::{Flavor, Setup, TestServer};

/// The stall limit of these tests (the assertions allow three times it).
const STALL: Duration = Duration::from_secs(1);

/// Bigger than what loopback's socket buffers take without a reader.
const BIG: usize = 48 * 1024 * 1024;

/// A download to a peer that connects and never reads ends with `426`
/// within the stall limit (plus margin), and the server goes on serving.
fn download_nobody_reads(flavor: Flavor, transfer_threads: Option<usize>, type_command: &str) {
    let server = TestServer::start(
        flavor,
        &Setup {
            data_stall: Some(STALL),
            transfer_threads,
            ..Setup::default()
        },
    )
    .unwrap();
    std::fs::write(server.root().join("big.bin"), vec![b'x'; BIG]).unwrap();
    let mut control = server.raw_login();
    assert_eq!(control.command(type_command).unwrap().code, 200);
    let (_, data) = control.epsv().unwrap();
    let data = TcpStream::connect(data.unwrap()).unwrap();
    let first = control.command("RETR big.bin").unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    let started = Instant::now();
    let last = control.read_reply().unwrap();
    let took = started.elapsed();
    assert_eq!(last.code, 426, "{last:?}");
    assert!(took < STALL * 3, "{flavor:?} {type_command}: {took:?}");
    drop(data);
    server.assert_healthy();
}

#[test]
fn std_download_nobody_reads_ends_by_the_stall_limit_sendfile() {
    download_nobody_reads(Flavor::Std, None, "TYPE I");
}

#[test]
fn std_download_nobody_reads_ends_by_the_stall_limit_buffered() {
    download_nobody_reads(Flavor::Std, None, "TYPE A");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_sendfile() {
    download_nobody_reads(Flavor::Tokio, None, "TYPE I");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_buffered() {
    download_nobody_reads(Flavor::Tokio, None, "TYPE A");
}

#[test]
fn tokio_download_nobody_reads_ends_by_the_stall_limit_on_tasks() {
    download_nobody_reads(Flavor::Tokio, Some(0), "TYPE I");
}

/// The old contents of `big.bin`-style targets in the upload tests.
const OLD: &[u8] = b"the contents the user had\n";

/// Every server variant the upload tests run on: (flavor, transfer threads).
const VARIANTS: [(Flavor, Option<usize>); 3] = [
    (Flavor::Std, None),
    (Flavor::Tokio, None),
    (Flavor::Tokio, Some(0)),
];

fn start(flavor: Flavor, transfer_threads: Option<usize>, in_place_uploads: bool) -> TestServer {
    let server = TestServer::start(
        flavor,
        &Setup {
            data_stall: Some(STALL),
            transfer_threads,
            in_place_uploads,
            ..Setup::default()
        },
    )
    .unwrap();
    std::fs::write(server.root().join("f.txt"), OLD).unwrap();
    server
}

/// The names in the server's root that are not the fixture's.
fn extra_names(server: &TestServer) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(server.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["hello.txt", "data.bin", "sub dir", "f.txt"].contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// Waits (bounded) until [`extra_names`] is empty: a stopped transfer
/// cleans up on its own thread or task, which the reply does not wait for.
fn wait_for_no_extra_names(server: &TestServer) {
    let until = Instant::now() + STALL * 5;
    while !extra_names(server).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(extra_names(server).is_empty(), "{:?}", extra_names(server));
}

/// Closes `stream` with a reset (`SO_LINGER` 0): a connection that breaks.
fn reset(stream: TcpStream) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    runtime.block_on(async {
        stream.set_nonblocking(true).unwrap();
        let stream = tokio::net::TcpStream::from_std(stream).unwrap();
        stream.set_zero_linger().unwrap();
    });
}

/// Starts `command` (a STOR or APPE) on a fresh data connection and sends
/// `bytes` into it without closing it.
fn start_upload(
    control: &mut ftp_proto_tests::peers::RawControl,
    command: &str,
    bytes: &[u8],
) -> TcpStream {
    use std::io::Write;
    let (_, data) = control.epsv().unwrap();
    let mut data = TcpStream::connect(data.unwrap()).unwrap();
    let first = control.command(command).unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    data.write_all(bytes).unwrap();
    data
}

/// A whole upload with `command`: the final reply's code.
fn upload(control: &mut ftp_proto_tests::peers::RawControl, command: &str, bytes: &[u8]) -> u16 {
    let (_, data) = control.epsv().unwrap();
    let (first, last) = control.transfer_out(data.unwrap(), command, bytes).unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    last.unwrap().code
}

#[test]
fn a_stor_whose_data_connection_breaks_keeps_the_old_file() {
    for (flavor, threads) in VARIANTS {
        let server = start(flavor, threads, false);
        let mut control = server.raw_login();
        assert_eq!(control.command("TYPE I").unwrap().code, 200);
        // Reset mid-way.
        let data = start_upload(&mut control, "STOR f.txt", &vec![b'n'; 300_000]);
        reset(data);
        assert_eq!(control.read_reply().unwrap().code, 426, "{flavor:?}");
        assert_eq!(std::fs::read(server.root().join("f.txt")).unwrap(), OLD);
        // Stalled mid-way (the stall limit ends it).
        let data = start_upload(&mut control, "STOR f.txt", &vec![b'n'; 300_000]);
        assert_eq!(control.read_reply().unwrap().code, 426, "{flavor:?}");
        drop(data);
        assert_eq!(std::fs::read(server.root().join("f.txt")).unwrap(), OLD);
        // ABOR mid-way.
        let data = start_upload(&mut control, "STOR f.txt", &vec![b'n'; 300_000]);
        let abor = control.command("ABOR").unwrap();
        assert!([426, 226].contains(&abor.code), "{abor:?}");
        if abor.code == 426 {
            assert_eq!(control.read_reply().unwrap().code, 226);
        }
        drop(data);
        assert_eq!(std::fs::read(server.root().join("f.txt")).unwrap(), OLD);
        wait_for_no_extra_names(&server);
        // The session's end mid-way.
        let data = start_upload(&mut control, "STOR f.txt", &vec![b'n'; 300_000]);
        drop(control);
        wait_for_no_extra_names(&server);
        drop(data);
        assert_eq!(std::fs::read(server.root().join("f.txt")).unwrap(), OLD);
        server.assert_healthy();
    }
}

#[test]
fn a_complete_stor_replaces_the_file() {
    for (flavor, threads) in VARIANTS {
        let server = start(flavor, threads, false);
        let mut control = server.raw_login();
        assert_eq!(control.command("TYPE I").unwrap().code, 200);
        let new = vec![b'n'; 2_000_000];
        assert_eq!(upload(&mut control, "STOR f.txt", &new), 226, "{flavor:?}");
        assert!(std::fs::read(server.root().join("f.txt")).unwrap() == new);
        // A new name too.
        assert_eq!(upload(&mut control, "STOR new.txt", b"fresh"), 226);
        assert_eq!(
            std::fs::read(server.root().join("new.txt")).unwrap(),
            b"fresh"
        );
        assert_eq!(extra_names(&server), ["new.txt"]);
    }
}

#[test]
fn rest_stor_and_appe_write_in_place() {
    for (flavor, threads) in VARIANTS {
        let server = start(flavor, threads, false);
        let mut control = server.raw_login();
        assert_eq!(control.command("TYPE I").unwrap().code, 200);
        assert_eq!(control.command("REST 3").unwrap().code, 350);
        assert_eq!(upload(&mut control, "STOR f.txt", b"XYZ"), 226);
        assert_eq!(
            std::fs::read(server.root().join("f.txt")).unwrap(),
            b"theXYZ"
        );
        assert_eq!(upload(&mut control, "APPE f.txt", b"!"), 226);
        assert_eq!(
            std::fs::read(server.root().join("f.txt")).unwrap(),
            b"theXYZ!"
        );
        // A broken APPE keeps what came (in place), nothing beside it.
        let data = start_upload(&mut control, "APPE f.txt", b"more");
        std::thread::sleep(Duration::from_millis(100));
        reset(data);
        assert_eq!(control.read_reply().unwrap().code, 426, "{flavor:?}");
        let now = std::fs::read(server.root().join("f.txt")).unwrap();
        assert!(now == b"theXYZ!" || now == b"theXYZ!more", "{now:?}");
        assert!(
            extra_names(&server).is_empty(),
            "{:?}",
            extra_names(&server)
        );
    }
}

#[test]
fn in_place_uploads_keep_the_old_behaviour() {
    for (flavor, threads) in VARIANTS {
        let server = start(flavor, threads, true);
        let mut control = server.raw_login();
        assert_eq!(control.command("TYPE I").unwrap().code, 200);
        let data = start_upload(&mut control, "STOR f.txt", b"partial");
        std::thread::sleep(Duration::from_millis(100));
        reset(data);
        assert_eq!(control.read_reply().unwrap().code, 426, "{flavor:?}");
        // The old contents are gone: emptied, then what came.
        let now = std::fs::read(server.root().join("f.txt")).unwrap();
        assert!(now.is_empty() || now == b"partial", "{now:?}");
        assert_eq!(upload(&mut control, "STOR f.txt", b"whole"), 226);
        assert_eq!(
            std::fs::read(server.root().join("f.txt")).unwrap(),
            b"whole"
        );
        assert!(
            extra_names(&server).is_empty(),
            "{:?}",
            extra_names(&server)
        );
    }
}

/// A [`Filesystem`](ftp_proto_std::storage::Filesystem) whose disk fills up
/// after [`FULL_AFTER`] bytes of an upload.
mod full_disk {
    use std::io::{self, Write};
    use std::path::PathBuf;

    use ftp_proto::timestamp::Timestamp;
    use ftp_proto_std::auth::Identity;
    use ftp_proto_std::server::StorageFactory;
    use ftp_proto_std::storage::{
        DirectoryEntries, EntryInfo, FileUpload, Filesystem, Storage, StorageError, UniqueFile,
        Upload, WriteMode,
    };

    /// Bytes an upload may write before the disk is full.
    pub(crate) const FULL_AFTER: usize = 100_000;

    #[derive(Debug)]
    pub(crate) struct Roots(pub(crate) PathBuf);

    impl StorageFactory for Roots {
        type Storage = FullDisk;
        fn storage_for(&self, _identity: &Identity) -> Result<FullDisk, StorageError> {
            Ok(FullDisk(Filesystem::open(&self.0)?))
        }
    }

    #[derive(Debug)]
    pub(crate) struct FullDisk(Filesystem);

    pub(crate) struct FillingUp {
        upload: FileUpload,
        left: usize,
    }

    impl Write for FillingUp {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.left {
                return Err(io::ErrorKind::StorageFull.into());
            }
            self.left -= buf.len();
            self.upload.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.upload.flush()
        }
    }

    impl Upload for FillingUp {
        fn commit(self) -> Result<(), StorageError> {
            self.upload.commit()
        }
    }

    fn filling(upload: FileUpload) -> FillingUp {
        FillingUp {
            upload,
            left: FULL_AFTER,
        }
    }

    impl Storage for FullDisk {
        type Reader = std::fs::File;
        type Writer = FillingUp;
        type Entries = DirectoryEntries;
        fn metadata(&self, path: &[u8]) -> Result<EntryInfo, StorageError> {
            self.0.metadata(path)
        }
        fn list(&self, path: &[u8]) -> Result<DirectoryEntries, StorageError> {
            self.0.list(path)
        }
        fn open_read(&self, path: &[u8], offset: u64) -> Result<std::fs::File, StorageError> {
            self.0.open_read(path, offset)
        }
        fn open_write(&self, path: &[u8], mode: WriteMode) -> Result<FillingUp, StorageError> {
            self.0.open_write(path, mode).map(filling)
        }
        fn create_unique(
            &self,
            dir: &[u8],
            hint: Option<&[u8]>,
        ) -> Result<UniqueFile<FillingUp>, StorageError> {
            let created = self.0.create_unique(dir, hint)?;
            Ok(UniqueFile {
                name: created.name,
                path: created.path,
                writer: filling(created.writer),
            })
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
            self.0.is_read_only()
        }
    }
}

#[test]
fn a_stor_that_fills_the_disk_keeps_the_old_file() {
    use ftp_proto_std::auth::UserList;
    use ftp_proto_std::server::{Server, ServerSettings};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), OLD).unwrap();
    let server = Server::builder(
        UserList::new().with_user("u", "p"),
        full_disk::Roots(dir.path().to_path_buf()),
    )
    .settings(
        ServerSettings::new()
            .listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .shutdown_grace(Duration::from_secs(1)),
    )
    .bind()
    .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let serving = std::thread::spawn(move || server.serve());
    let mut control = ftp_proto_tests::peers::RawControl::connect(addr).unwrap();
    assert_eq!(control.read_reply().unwrap().code, 220);
    assert_eq!(control.login("u", "p").unwrap().code, 230);
    assert_eq!(control.command("TYPE I").unwrap().code, 200);
    // The server gives up while the data still comes: what it no longer
    // reads may fail on our side.
    let mut data = start_upload(&mut control, "STOR f.txt", &[]);
    let too_much = vec![b'n'; full_disk::FULL_AFTER * 20];
    let _ = std::io::Write::write_all(&mut data, &too_much);
    let _ = data.shutdown(std::net::Shutdown::Write);
    let code = control.read_reply().unwrap().code;
    drop(data);
    assert!([452, 552].contains(&code), "{code}");
    assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), OLD);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // What fits still replaces it.
    assert_eq!(upload(&mut control, "STOR f.txt", b"small"), 226);
    assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), b"small");
    drop(control);
    handle.shutdown();
    serving.join().unwrap().unwrap();
}

/// The server's shutdown in the middle of a `STOR` over `f.txt` (its grace
/// ends the upload): once the server has stopped, the old file is intact
/// and no temporary file remains. `serve` runs the server until its end.
fn shutdown_mid_upload(root: &std::path::Path, addr: std::net::SocketAddr, stop: impl FnOnce()) {
    let mut control = ftp_proto_tests::peers::RawControl::connect(addr).unwrap();
    assert_eq!(control.read_reply().unwrap().code, 220);
    assert_eq!(control.login("u", "p").unwrap().code, 230);
    assert_eq!(control.command("TYPE I").unwrap().code, 200);
    let data = start_upload(&mut control, "STOR f.txt", &vec![b'n'; 300_000]);
    stop();
    drop((data, control));
    assert_eq!(std::fs::read(root.join("f.txt")).unwrap(), OLD);
    let names: Vec<_> = std::fs::read_dir(root).unwrap().collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

fn shutdown_settings() -> ftp_proto_std::server::ServerSettings {
    ftp_proto_std::server::ServerSettings::new()
        .listen(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .shutdown_grace(Duration::from_millis(300))
}

#[test]
fn std_shutdown_mid_upload_keeps_the_old_file() {
    use ftp_proto_std::server::{FilesystemRoots, Server};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), OLD).unwrap();
    let users = ftp_proto_std::auth::UserList::new().with_user("u", "p");
    let server = Server::builder(users, FilesystemRoots::new(dir.path()))
        .settings(shutdown_settings())
        .bind()
        .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let serving = std::thread::spawn(move || server.serve());
    shutdown_mid_upload(dir.path(), addr, || {
        handle.shutdown();
        serving.join().unwrap().unwrap();
    });
}

#[test]
fn tokio_shutdown_mid_upload_keeps_the_old_file() {
    for threads in [256, 0] {
        use ftp_proto_tokio::server::{FilesystemRoots, Server};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.txt"), OLD).unwrap();
        let users = ftp_proto_std::auth::UserList::new().with_user("u", "p");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let builder = Server::builder(
            ftp_proto_tokio::auth::Blocking::new(users),
            FilesystemRoots::new(dir.path()),
        )
        .settings(shutdown_settings())
        .max_transfer_threads(threads);
        let server = runtime.block_on(builder.bind()).unwrap();
        let addr = server.local_addrs()[0];
        let handle = server.handle();
        let serving = runtime.spawn(server.serve());
        shutdown_mid_upload(dir.path(), addr, || {
            handle.shutdown();
            runtime.block_on(serving).unwrap().unwrap();
        });
    }
}
