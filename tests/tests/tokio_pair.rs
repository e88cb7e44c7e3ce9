//! Our tokio client against our tokio server, in-process on loopback: every
//! client operation, plain and FTPS (explicit and implicit, with the server
//! requiring TLS session reuse on data connections), passive and active,
//! over 127.0.0.1 and [::1] (skipped with a message when the host has no
//! ::1); 64 MiB transfers both ways compared by checksum; a graceful
//! shutdown while a transfer runs.
#![allow(clippy::print_stderr, reason = "skipped tests say why")]

use std::hash::{DefaultHasher, Hasher};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use ftp_proto_std::auth::UserList;
use ftp_proto_tokio::auth::Blocking;
use ftp_proto_tokio::client::{Client, ClientOptions, Error, ListFormat};
use ftp_proto_tokio::server::{FilesystemRoots, Server, ServerHandle, ServerSettings, TlsConfig};
use ftp_proto_tokio::tls::TlsClient;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";
/// Larger than the client's and the server's 256 KiB buffers, not a multiple.
const DATA_LEN: usize = 1024 * 1024 + 4321;
const LARGE: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    Explicit,
    Implicit,
}

#[derive(Debug, Clone, Copy)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn ip(self) -> IpAddr {
        match self {
            Self::V4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Self::V6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }
    }
}

/// A byte pattern that is not periodic in any buffer size used here.
fn byte_at(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ (i % 251) as u8
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len as u64).map(byte_at).collect()
}

/// An `AsyncRead` of `len` pattern bytes, generated on the fly.
struct PatternReader {
    at: u64,
    len: u64,
}

impl AsyncRead for PatternReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (self.len - self.at).min(buf.remaining() as u64);
        for i in self.at..self.at + n {
            buf.put_slice(&[byte_at(i)]);
        }
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

fn pattern_checksum(len: u64) -> u64 {
    let mut h = DefaultHasher::new();
    let mut chunk = Vec::with_capacity(64 * 1024);
    let mut at = 0;
    while at < len {
        chunk.clear();
        let end = (at + 64 * 1024).min(len);
        chunk.extend((at..end).map(byte_at));
        h.write(&chunk);
        at = end;
    }
    h.finish()
}

fn file_checksum(path: &Path) -> (u64, u64) {
    let mut file = std::fs::File::open(path).unwrap();
    let mut h = DefaultHasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.write(&buf[..n]);
        total += n as u64;
    }
    (total, h.finish())
}

/// Where the server moves file bytes: on threads of their own (the
/// default for `FilesystemRoots`) or as tasks on the runtime (the path of
/// storages without blocking handles, and of transfers over the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pumps {
    Threads,
    Tasks,
}

/// A running server over a temporary root.
struct TestServer {
    addr: SocketAddr,
    dir: tempfile::TempDir,
    cert_pem: Option<String>,
    handle: ServerHandle,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// `None` (with a message) when `family` cannot be bound on this host.
    async fn start(
        family: Family,
        security: Security,
        grace: Duration,
        pumps: Pumps,
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub dir")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("hello.txt"), b"hello from ftp-proto\n").unwrap();
        std::fs::write(root.join("data.bin"), pattern(DATA_LEN)).unwrap();
        std::fs::write(root.join("sub dir/nested.txt"), b"nested\n").unwrap();

        let auth = Blocking::new(UserList::new().with_user(USER, PASSWORD));
        let mut settings = ServerSettings::new()
            .listen(SocketAddr::new(family.ip(), 0))
            .failed_login_delay(None)
            .shutdown_grace(grace);
        let mut cert_pem = None;
        if security != Security::Plain {
            let names = ["localhost", "127.0.0.1", "::1"]
                .map(str::to_owned)
                .to_vec();
            let certified = rcgen::generate_simple_self_signed(names).unwrap();
            let cert_path = dir.path().join("cert.pem");
            let key_path = dir.path().join("key.pem");
            std::fs::write(&cert_path, certified.cert.pem()).unwrap();
            std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
            let tls = TlsConfig::from_pem_files(&cert_path, &key_path)
                .unwrap()
                .require_session_reuse(true);
            settings = settings
                .tls(tls)
                .implicit_tls(security == Security::Implicit);
            cert_pem = Some(certified.cert.pem());
        }
        let builder = Server::builder(auth, FilesystemRoots::new(&root))
            .settings(settings)
            .max_transfer_threads(match pumps {
                Pumps::Threads => 256,
                Pumps::Tasks => 0,
            });
        let server = match builder.bind().await {
            Ok(server) => server,
            Err(e) if matches!(family, Family::V6) => {
                eprintln!("SKIPPED: this host has no usable ::1 ({e})");
                return None;
            }
            Err(e) => panic!("bind: {e}"),
        };
        let addr = server.local_addrs()[0];
        let handle = server.handle();
        let served = tokio::spawn(server.serve());
        Some(Self {
            addr,
            dir,
            cert_pem,
            handle,
            served,
        })
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn options(&self, security: Security, active: bool) -> ClientOptions {
        let options = ClientOptions::default()
            .active(active)
            .connect_timeout(Duration::from_secs(20));
        let tls = || {
            TlsClient::with_ca_pem(self.cert_pem.as_deref().unwrap().as_bytes())
                .and_then(|t| t.with_server_name("localhost"))
                .unwrap()
        };
        match security {
            Security::Plain => options,
            Security::Explicit => options.explicit_tls(tls()),
            Security::Implicit => options.implicit_tls(tls()),
        }
    }

    async fn login(&self, security: Security, active: bool) -> Client {
        let mut client = Client::connect(self.addr, self.options(security, active))
            .await
            .expect("connect");
        assert_eq!(client.is_secure(), security != Security::Plain);
        client.login(USER, PASSWORD).await.expect("login");
        client
    }

    async fn stop(self) {
        self.handle.shutdown();
        let served = tokio::time::timeout(Duration::from_secs(30), self.served);
        served.await.expect("server stops").unwrap().unwrap();
    }
}

fn reply_code(err: &Error) -> Option<u16> {
    err.reply().map(|r| r.code().as_u16())
}

fn unix_mtime(path: &Path) -> i64 {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    i64::try_from(modified.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// Every client operation against the server.
async fn exercise(server: &TestServer, security: Security, active: bool) {
    let root = server.root();
    let data = pattern(DATA_LEN);
    let mut client = server.login(security, active).await;

    let features = client.feat().await.expect("FEAT");
    assert!(features.mlst.is_some(), "{features:?}");
    assert_eq!(&client.pwd().await.expect("PWD")[..], b"/");
    client.noop().await.expect("NOOP");
    let system = client.system().await.expect("SYST");
    assert!(system.starts_with(b"UNIX"), "{system:?}");

    // Listings: MLSD and LIST agree on names, kinds and sizes.
    let mlsd = client.list_with(None::<&str>, ListFormat::Mlsd).await;
    let list = client.list_with(None::<&str>, ListFormat::List).await;
    let auto = client.list(None::<&str>).await.expect("list");
    for entries in [mlsd.expect("MLSD"), list.expect("LIST"), auto] {
        let mut seen: Vec<_> = entries
            .iter()
            .map(|e| {
                let size = if e.kind.is_dir() { None } else { e.size };
                (String::from_utf8_lossy(&e.name).into_owned(), size)
            })
            .collect();
        seen.sort();
        let expected = [
            ("data.bin", Some(DATA_LEN as u64)),
            ("empty", None),
            ("hello.txt", Some(21)),
            ("sub dir", None),
        ]
        .map(|(n, s)| (n.to_owned(), s));
        assert_eq!(seen, expected);
    }
    let nested = client.list(Some("sub dir")).await.expect("list sub dir");
    assert_eq!(nested.len(), 1);
    assert_eq!(&nested.get(0).unwrap().name[..], b"nested.txt");
    assert!(client.list(Some("empty")).await.expect("empty").is_empty());
    let mut names = client.nlst(None::<&str>).await.expect("NLST");
    names.sort();
    assert_eq!(names, ["data.bin", "empty", "hello.txt", "sub dir"]);
    let entry = client.mlst(Some("data.bin")).await.expect("MLST");
    assert_eq!(entry.size, Some(DATA_LEN as u64));
    assert!(!entry.kind.is_dir());
    let entry = client.mlst(Some("sub dir")).await.expect("MLST dir");
    assert!(entry.kind.is_dir(), "{entry:?}");

    // Downloads: whole, streamed, resumed.
    let mut got = Vec::new();
    let (n, reply) = client.retrieve_to("data.bin", 0, &mut got).await.unwrap();
    assert_eq!((n, reply.code().as_u16()), (DATA_LEN as u64, 226));
    assert!(got == data, "RETR data.bin differs");
    let mut download = client.retrieve("hello.txt", 0).await.expect("RETR");
    let mut text = Vec::new();
    download.read_to_end(&mut text).await.unwrap();
    download.finish().await.expect("RETR final reply");
    assert_eq!(text, b"hello from ftp-proto\n");
    for offset in [1, 1000, DATA_LEN as u64 - 1, DATA_LEN as u64] {
        let mut tail = Vec::new();
        let (n, _) = client
            .retrieve_to("data.bin", offset, &mut tail)
            .await
            .unwrap_or_else(|e| panic!("REST {offset} + RETR: {e}"));
        assert_eq!(n, DATA_LEN as u64 - offset);
        assert!(
            tail == data[offset as usize..],
            "REST {offset} + RETR differs"
        );
    }

    // Size and time.
    assert_eq!(
        client.size("data.bin").await.expect("SIZE"),
        DATA_LEN as u64
    );
    let mtime = client.mdtm("hello.txt").await.expect("MDTM");
    assert_eq!(mtime.unix_seconds(), unix_mtime(&root.join("hello.txt")));

    // Uploads: from a reader, as a writer, resumed, appended both ways.
    let (sent, reply) = client
        .store("upload.bin", 0, &mut &data[..])
        .await
        .expect("STOR");
    assert_eq!((sent, reply.code().as_u16()), (DATA_LEN as u64, 226));
    assert!(std::fs::read(root.join("upload.bin")).unwrap() == data);
    let half = DATA_LEN / 2;
    let mut upload = client.store_writer("resumed.bin", 0).await.expect("STOR");
    upload.write_all(&data[..half]).await.unwrap();
    upload.finish().await.expect("STOR first half");
    let offset = client.size("resumed.bin").await.unwrap();
    assert_eq!(offset, half as u64);
    let mut upload = client
        .store_writer("resumed.bin", offset)
        .await
        .expect("REST + STOR");
    upload.write_all(&data[half..]).await.unwrap();
    upload.finish().await.expect("STOR second half");
    assert!(std::fs::read(root.join("resumed.bin")).unwrap() == data);
    client
        .append("resumed.bin", &mut &b"+tail"[..])
        .await
        .expect("APPE");
    let mut upload = client.append_writer("resumed.bin").await.expect("APPE");
    upload.write_all(b"+more").await.unwrap();
    upload.finish().await.expect("APPE writer");
    let mut expected = data.clone();
    expected.extend_from_slice(b"+tail+more");
    assert!(std::fs::read(root.join("resumed.bin")).unwrap() == expected);
    client
        .append("new-by-append.txt", &mut &b"fresh"[..])
        .await
        .expect("APPE creates");
    assert_eq!(
        std::fs::read(root.join("new-by-append.txt")).unwrap(),
        b"fresh"
    );

    // Names and folders.
    client
        .rename("upload.bin", "moved.bin")
        .await
        .expect("RNFR/RNTO");
    assert!(root.join("moved.bin").is_file() && !root.join("upload.bin").exists());
    for name in ["moved.bin", "resumed.bin", "new-by-append.txt"] {
        client.delete(name).await.expect("DELE");
        assert!(!root.join(name).exists());
    }
    let made = client.mkdir("made").await.expect("MKD");
    assert_eq!(made.as_deref(), Some(&b"/made"[..]));
    assert!(root.join("made").is_dir());
    client.cwd("made").await.expect("CWD");
    assert_eq!(&client.pwd().await.unwrap()[..], b"/made");
    client.store("inside.txt", 0, &mut &b"x"[..]).await.unwrap();
    assert!(root.join("made/inside.txt").is_file());
    client.delete("inside.txt").await.unwrap();
    client.cdup().await.expect("CDUP");
    assert_eq!(&client.pwd().await.unwrap()[..], b"/");
    client.rmdir("made").await.expect("RMD");
    assert!(!root.join("made").exists());
    client.cwd("sub dir").await.expect("CWD with a space");
    let mut nested = Vec::new();
    client
        .retrieve_to("nested.txt", 0, &mut nested)
        .await
        .unwrap();
    assert_eq!(nested, b"nested\n");
    client.cwd("/").await.unwrap();

    // Refusals carry the server's reply; the session goes on.
    let err = client
        .retrieve("no-such-file", 0)
        .await
        .map(drop)
        .unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    let err = client.delete("no-such-file").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    let err = client.size("no-such-file").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    let err = client.cwd("no-such-dir").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    let err = client.rmdir("sub dir").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    let err = client.rename("no-such-file", "x").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(550), "{err}");
    // No SITE command is offered: 502, and the session goes on.
    let err = client.site("CHMOD 644 hello.txt").await.unwrap_err();
    assert_eq!(reply_code(&err), Some(502), "{err}");

    // ABOR: explicitly, and for a download dropped half-way.
    let mut download = client.retrieve("data.bin", 0).await.expect("RETR");
    let mut some = [0u8; 10];
    let _ = download.read(&mut some).await.unwrap();
    download.abort().await.expect("ABOR");
    client.noop().await.expect("NOOP after ABOR");
    {
        let mut download = client.retrieve("data.bin", 0).await.expect("RETR");
        let _ = download.read(&mut some).await.unwrap();
    }
    client.abort().await.expect("ABOR of a dropped download");
    {
        let mut upload = client.store_writer("partial.bin", 0).await.unwrap();
        upload.write_all(&data[..1000]).await.unwrap();
    }
    client.noop().await.expect("NOOP after a dropped upload");
    let mut again = Vec::new();
    client
        .retrieve_to("hello.txt", 0, &mut again)
        .await
        .unwrap();
    assert_eq!(again, b"hello from ftp-proto\n");

    client.quit().await.expect("QUIT");
}

async fn pair(family: Family, security: Security, active: bool, pumps: Pumps) {
    let Some(server) = TestServer::start(family, security, Duration::from_secs(5), pumps).await
    else {
        return;
    };
    exercise(&server, security, active).await;
    server.stop().await;
}

macro_rules! pairs {
    ($($name:ident: $family:ident, $security:ident, $active:expr, $pumps:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            pair(Family::$family, Security::$security, $active, Pumps::$pumps).await;
        }
    )*};
}

pairs! {
    plain_passive_v4: V4, Plain, false, Threads;
    plain_active_v4: V4, Plain, true, Threads;
    plain_passive_v6: V6, Plain, false, Threads;
    plain_active_v6: V6, Plain, true, Threads;
    explicit_tls_passive_v4: V4, Explicit, false, Threads;
    explicit_tls_active_v4: V4, Explicit, true, Threads;
    explicit_tls_passive_v6: V6, Explicit, false, Threads;
    explicit_tls_active_v6: V6, Explicit, true, Threads;
    implicit_tls_passive_v4: V4, Implicit, false, Threads;
    implicit_tls_active_v4: V4, Implicit, true, Threads;
    implicit_tls_passive_v6: V6, Implicit, false, Threads;
    implicit_tls_active_v6: V6, Implicit, true, Threads;
    plain_passive_v4_on_tasks: V4, Plain, false, Tasks;
    explicit_tls_active_v4_on_tasks: V4, Explicit, true, Tasks;
}

/// 64 MiB up and down, compared by checksum (never held in memory).
async fn large(security: Security, active: bool, pumps: Pumps) {
    let Some(server) = TestServer::start(Family::V4, security, Duration::from_secs(5), pumps).await
    else {
        return;
    };
    let mut client = server.login(security, active).await;
    let mut source = PatternReader { at: 0, len: LARGE };
    let (sent, _) = client.store("large.bin", 0, &mut source).await.unwrap();
    assert_eq!(sent, LARGE);
    let stored = server.root().join("large.bin");
    assert_eq!(file_checksum(&stored), (LARGE, pattern_checksum(LARGE)));

    let mut download = client.retrieve("large.bin", 0).await.unwrap();
    let mut h = DefaultHasher::new();
    let mut buf = vec![0u8; 200 * 1024];
    let mut total = 0u64;
    loop {
        let n = download.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        h.write(&buf[..n]);
        total += n as u64;
    }
    download.finish().await.unwrap();
    assert_eq!((total, h.finish()), (LARGE, pattern_checksum(LARGE)));
    client.quit().await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_both_ways_plain() {
    large(Security::Plain, false, Pumps::Threads).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_both_ways_plain_on_tasks() {
    large(Security::Plain, false, Pumps::Tasks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_both_ways_explicit_tls_active() {
    large(Security::Explicit, true, Pumps::Threads).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_file_both_ways_explicit_tls_active_on_tasks() {
    large(Security::Explicit, true, Pumps::Tasks).await;
}

/// Sends NOOPs until the session reports an error (its close after a server
/// shutdown), at most 200 times, 25 ms apart.
async fn closed_after_shutdown(client: &mut Client) -> Error {
    for _ in 0..200 {
        match client.noop().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            Err(err) => return err,
        }
    }
    panic!("the session was not closed within 200 NOOPs after the shutdown");
}

/// Shutdown while a download runs: an idle session gets 421 at once, the
/// transfer completes within the grace period (226), then that session
/// gets 421 too, and `serve` returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_while_a_transfer_runs() {
    let server = TestServer::start(
        Family::V4,
        Security::Plain,
        Duration::from_secs(60),
        Pumps::Threads,
    )
    .await
    .unwrap();
    let mut idle = server.login(Security::Plain, false).await;
    let mut busy = server.login(Security::Plain, false).await;
    let mut download = busy.retrieve("data.bin", 0).await.unwrap();
    let mut first = vec![0u8; 4096];
    download.read_exact(&mut first).await.unwrap();

    server.handle.shutdown();
    // The shutdown signal reaches each session task asynchronously: a NOOP
    // sent before it arrives is still answered, so poll (bounded) until the
    // session reports its close.
    let err = closed_after_shutdown(&mut idle).await;
    assert!(matches!(err, Error::Closed(_)), "{err:?}");

    let mut rest = Vec::new();
    download.read_to_end(&mut rest).await.unwrap();
    let reply = download.finish().await.expect("transfer finishes");
    assert_eq!(reply.code().as_u16(), 226);
    first.extend_from_slice(&rest);
    assert!(first == pattern(DATA_LEN), "download differs");
    let err = closed_after_shutdown(&mut busy).await;
    assert!(matches!(err, Error::Closed(_)), "{err:?}");

    let served = tokio::time::timeout(Duration::from_secs(30), server.served);
    served.await.expect("serve returns").unwrap().unwrap();
}
