//! The client interop suite, written once and run for both clients: the
//! blocking `ftp_proto_std::client` and the async `ftp_proto_tokio::client`
//! (driven through a current-thread runtime). [`TestClient`] is the small
//! surface the suite needs; [`client_interop_tests!`](crate::client_interop_tests)
//! expands to the `#[test]` functions for one client: every operation in
//! passive and active mode against vsftpd, pure-ftpd, proftpd and pyftpdlib,
//! explicit FTPS where offered (TLS session reuse required by vsftpd and
//! proftpd), and our own std and tokio servers (plain, explicit and implicit
//! FTPS with session reuse required).

use std::fmt;
use std::net::SocketAddr;

use bytes::Bytes;
use ftp_proto::client::FileInfo;
use ftp_proto::timestamp::Timestamp;

use crate::ours::{self, Flavor, Setup, TestServer};
use crate::peers::{
    PeerKind, PeerOptions, PeerServer, TEST_TREE, TEST_TREE_MTIME, require_or_skip, started_or_skip,
};

/// A client operation that failed: the server's reply code when there was
/// one, and the client's error text.
#[derive(Debug)]
pub struct Failure {
    /// The code of the server's refusal, if the error carries a reply.
    pub code: Option<u16>,
    /// The client error, displayed.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Either client's error (both clients share `ftp_proto_std::client::Error`).
impl From<ftp_proto_std::client::Error> for Failure {
    fn from(e: ftp_proto_std::client::Error) -> Self {
        Self {
            code: e.reply().map(|r| r.code().as_u16()),
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self {
            code: None,
            message: e.to_string(),
        }
    }
}

/// What a client operation returns in the suite.
pub type Res<T> = Result<T, Failure>;

/// How the client under test connects.
#[derive(Debug, Clone, Default)]
pub struct Mode {
    /// Active mode (PORT/EPRT) instead of passive.
    pub active: bool,
    /// FTPS, if any.
    pub tls: Option<TlsMode>,
}

/// FTPS settings of a [`Mode`].
#[derive(Debug, Clone)]
pub struct TlsMode {
    /// The server certificate to trust, PEM.
    pub ca_pem: Vec<u8>,
    /// Allow TLS 1.3 (off: TLS 1.2 only).
    pub tls13: bool,
    /// Implicit FTPS instead of `AUTH TLS`.
    pub implicit: bool,
}

impl Mode {
    /// Passive, plain.
    pub fn passive() -> Self {
        Self::default()
    }

    /// Active, plain.
    pub fn active() -> Self {
        Self {
            active: true,
            tls: None,
        }
    }

    /// Explicit FTPS trusting `ca_pem`.
    pub fn explicit_tls(active: bool, ca_pem: &[u8], tls13: bool) -> Self {
        Self {
            active,
            tls: Some(TlsMode {
                ca_pem: ca_pem.to_vec(),
                tls13,
                implicit: false,
            }),
        }
    }

    /// Implicit FTPS trusting `ca_pem`, passive.
    pub fn implicit_tls(ca_pem: &[u8]) -> Self {
        Self {
            active: false,
            tls: Some(TlsMode {
                ca_pem: ca_pem.to_vec(),
                tls13: false,
                implicit: true,
            }),
        }
    }

    fn tls_client(tls: &TlsMode) -> ftp_proto_std::tls::TlsClient {
        ftp_proto_std::tls::TlsClient::with_ca_pem(&tls.ca_pem)
            .and_then(|t| t.with_server_name("localhost"))
            .and_then(|t| t.with_tls13(tls.tls13))
            .expect("TLS configuration")
    }
}

/// The operations the interop suite runs, for either client.
pub trait TestClient: Sized {
    /// Connects to `addr` as `mode` says (TLS handshake included).
    fn connect(addr: SocketAddr, mode: &Mode) -> Res<Self>;
    /// Whether the control connection is protected.
    fn is_secure(&self) -> bool;
    /// USER/PASS.
    fn login(&mut self, user: &str, password: &str) -> Res<()>;
    /// FEAT: whether MLST is offered.
    fn feat_mlst(&mut self) -> Res<bool>;
    /// PWD.
    fn pwd(&mut self) -> Res<Bytes>;
    /// NOOP.
    fn noop(&mut self) -> Res<()>;
    /// SYST.
    fn system(&mut self) -> Res<()>;
    /// MLSD or LIST, parsed.
    fn list(&mut self, path: Option<&str>) -> Res<Vec<FileInfo>>;
    /// NLST.
    fn nlst(&mut self, path: Option<&str>) -> Res<Vec<Bytes>>;
    /// MLST.
    fn mlst(&mut self, path: Option<&str>) -> Res<FileInfo>;
    /// `retrieve`, read the stream to its end, `finish`.
    fn retrieve_stream(&mut self, path: &str, offset: u64) -> Res<Vec<u8>>;
    /// `retrieve_to` into a vector: (bytes, contents).
    fn retrieve_to(&mut self, path: &str, offset: u64) -> Res<(u64, Vec<u8>)>;
    /// `retrieve`, read `n` bytes, drop the download unfinished.
    fn retrieve_abandoned(&mut self, path: &str, n: usize) -> Res<()>;
    /// `retrieve`, read `n` bytes, `abort` the download.
    fn retrieve_aborted(&mut self, path: &str, n: usize) -> Res<()>;
    /// SIZE.
    fn size(&mut self, path: &str) -> Res<u64>;
    /// MDTM.
    fn mdtm(&mut self, path: &str) -> Res<Timestamp>;
    /// `store` from a reader over `data`: bytes sent.
    fn store(&mut self, path: &str, offset: u64, data: &[u8]) -> Res<u64>;
    /// `store_writer`, write `data`, `finish`.
    fn store_writer(&mut self, path: &str, offset: u64, data: &[u8]) -> Res<()>;
    /// APPE from a reader over `data`.
    fn append(&mut self, path: &str, data: &[u8]) -> Res<()>;
    /// RNFR/RNTO.
    fn rename(&mut self, from: &str, to: &str) -> Res<()>;
    /// DELE.
    fn delete(&mut self, path: &str) -> Res<()>;
    /// MKD.
    fn mkdir(&mut self, path: &str) -> Res<()>;
    /// RMD.
    fn rmdir(&mut self, path: &str) -> Res<()>;
    /// CWD.
    fn cwd(&mut self, path: &str) -> Res<()>;
    /// CDUP.
    fn cdup(&mut self) -> Res<()>;
    /// SITE.
    fn site(&mut self, args: &str) -> Res<()>;
    /// QUIT.
    fn quit(self) -> Res<()>;
}

/// The blocking client under test.
pub struct StdClient(ftp_proto_std::client::Client);

impl TestClient for StdClient {
    fn connect(addr: SocketAddr, mode: &Mode) -> Res<Self> {
        use ftp_proto_std::client::{Client, ClientOptions};
        let mut options = ClientOptions::default().active(mode.active);
        if let Some(tls) = &mode.tls {
            let client = Mode::tls_client(tls);
            options = if tls.implicit {
                options.implicit_tls(client)
            } else {
                options.explicit_tls(client)
            };
        }
        Ok(Self(Client::connect(addr, options)?))
    }
    fn is_secure(&self) -> bool {
        self.0.is_secure()
    }
    fn login(&mut self, user: &str, password: &str) -> Res<()> {
        self.0.login(user, password)?;
        Ok(())
    }
    fn feat_mlst(&mut self) -> Res<bool> {
        Ok(self.0.feat()?.mlst.is_some())
    }
    fn pwd(&mut self) -> Res<Bytes> {
        Ok(self.0.pwd()?)
    }
    fn noop(&mut self) -> Res<()> {
        self.0.noop()?;
        Ok(())
    }
    fn system(&mut self) -> Res<()> {
        self.0.system()?;
        Ok(())
    }
    fn list(&mut self, path: Option<&str>) -> Res<Vec<FileInfo>> {
        Ok(self.0.list(path)?.to_vec())
    }
    fn nlst(&mut self, path: Option<&str>) -> Res<Vec<Bytes>> {
        Ok(self.0.nlst(path)?)
    }
    fn mlst(&mut self, path: Option<&str>) -> Res<FileInfo> {
        Ok(self.0.mlst(path)?)
    }
    fn retrieve_stream(&mut self, path: &str, offset: u64) -> Res<Vec<u8>> {
        use std::io::Read;
        let mut download = self.0.retrieve(path, offset)?;
        let mut got = Vec::new();
        download.read_to_end(&mut got)?;
        download.finish()?;
        Ok(got)
    }
    fn retrieve_to(&mut self, path: &str, offset: u64) -> Res<(u64, Vec<u8>)> {
        let mut got = Vec::new();
        let (n, _) = self.0.retrieve_to(path, offset, &mut got)?;
        Ok((n, got))
    }
    fn retrieve_abandoned(&mut self, path: &str, n: usize) -> Res<()> {
        use std::io::Read;
        let mut download = self.0.retrieve(path, 0)?;
        download.read_exact(&mut vec![0; n])?;
        Ok(())
    }
    fn retrieve_aborted(&mut self, path: &str, n: usize) -> Res<()> {
        use std::io::Read;
        let mut download = self.0.retrieve(path, 0)?;
        download.read_exact(&mut vec![0; n])?;
        download.abort()?;
        Ok(())
    }
    fn size(&mut self, path: &str) -> Res<u64> {
        Ok(self.0.size(path)?)
    }
    fn mdtm(&mut self, path: &str) -> Res<Timestamp> {
        Ok(self.0.mdtm(path)?)
    }
    fn store(&mut self, path: &str, offset: u64, mut data: &[u8]) -> Res<u64> {
        Ok(self.0.store(path, offset, &mut data)?.0)
    }
    fn store_writer(&mut self, path: &str, offset: u64, data: &[u8]) -> Res<()> {
        use std::io::Write;
        let mut upload = self.0.store_writer(path, offset)?;
        upload.write_all(data)?;
        upload.finish()?;
        Ok(())
    }
    fn append(&mut self, path: &str, mut data: &[u8]) -> Res<()> {
        self.0.append(path, &mut data)?;
        Ok(())
    }
    fn rename(&mut self, from: &str, to: &str) -> Res<()> {
        self.0.rename(from, to)?;
        Ok(())
    }
    fn delete(&mut self, path: &str) -> Res<()> {
        self.0.delete(path)?;
        Ok(())
    }
    fn mkdir(&mut self, path: &str) -> Res<()> {
        self.0.mkdir(path)?;
        Ok(())
    }
    fn rmdir(&mut self, path: &str) -> Res<()> {
        self.0.rmdir(path)?;
        Ok(())
    }
    fn cwd(&mut self, path: &str) -> Res<()> {
        self.0.cwd(path)?;
        Ok(())
    }
    fn cdup(&mut self) -> Res<()> {
        self.0.cdup()?;
        Ok(())
    }
    fn site(&mut self, args: &str) -> Res<()> {
        self.0.site(args)?;
        Ok(())
    }
    fn quit(self) -> Res<()> {
        Ok(self.0.quit()?)
    }
}

/// The async client under test, each call run to completion on its own
/// current-thread runtime.
pub struct TokioClient {
    rt: tokio::runtime::Runtime,
    client: ftp_proto_tokio::client::Client,
}

impl TestClient for TokioClient {
    fn connect(addr: SocketAddr, mode: &Mode) -> Res<Self> {
        use ftp_proto_tokio::client::{Client, ClientOptions};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut options = ClientOptions::default().active(mode.active);
        if let Some(tls) = &mode.tls {
            let client = Mode::tls_client(tls);
            options = if tls.implicit {
                options.implicit_tls(client)
            } else {
                options.explicit_tls(client)
            };
        }
        let client = rt.block_on(Client::connect(addr, options))?;
        Ok(Self { rt, client })
    }
    fn is_secure(&self) -> bool {
        self.client.is_secure()
    }
    fn login(&mut self, user: &str, password: &str) -> Res<()> {
        self.rt.block_on(self.client.login(user, password))?;
        Ok(())
    }
    fn feat_mlst(&mut self) -> Res<bool> {
        Ok(self.rt.block_on(self.client.feat())?.mlst.is_some())
    }
    fn pwd(&mut self) -> Res<Bytes> {
        Ok(self.rt.block_on(self.client.pwd())?)
    }
    fn noop(&mut self) -> Res<()> {
        self.rt.block_on(self.client.noop())?;
        Ok(())
    }
    fn system(&mut self) -> Res<()> {
        self.rt.block_on(self.client.system())?;
        Ok(())
    }
    fn list(&mut self, path: Option<&str>) -> Res<Vec<FileInfo>> {
        Ok(self.rt.block_on(self.client.list(path))?.to_vec())
    }
    fn nlst(&mut self, path: Option<&str>) -> Res<Vec<Bytes>> {
        Ok(self.rt.block_on(self.client.nlst(path))?)
    }
    fn mlst(&mut self, path: Option<&str>) -> Res<FileInfo> {
        Ok(self.rt.block_on(self.client.mlst(path))?)
    }
    fn retrieve_stream(&mut self, path: &str, offset: u64) -> Res<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let client = &mut self.client;
        self.rt.block_on(async move {
            let mut download = client.retrieve(path, offset).await?;
            let mut got = Vec::new();
            download.read_to_end(&mut got).await?;
            download.finish().await?;
            Ok(got)
        })
    }
    fn retrieve_to(&mut self, path: &str, offset: u64) -> Res<(u64, Vec<u8>)> {
        let mut got = Vec::new();
        let (n, _) = self
            .rt
            .block_on(self.client.retrieve_to(path, offset, &mut got))?;
        Ok((n, got))
    }
    fn retrieve_abandoned(&mut self, path: &str, n: usize) -> Res<()> {
        use tokio::io::AsyncReadExt;
        let client = &mut self.client;
        self.rt.block_on(async move {
            let mut download = client.retrieve(path, 0).await?;
            download.read_exact(&mut vec![0; n]).await?;
            Ok(())
        })
    }
    fn retrieve_aborted(&mut self, path: &str, n: usize) -> Res<()> {
        use tokio::io::AsyncReadExt;
        let client = &mut self.client;
        self.rt.block_on(async move {
            let mut download = client.retrieve(path, 0).await?;
            download.read_exact(&mut vec![0; n]).await?;
            download.abort().await?;
            Ok(())
        })
    }
    fn size(&mut self, path: &str) -> Res<u64> {
        Ok(self.rt.block_on(self.client.size(path))?)
    }
    fn mdtm(&mut self, path: &str) -> Res<Timestamp> {
        Ok(self.rt.block_on(self.client.mdtm(path))?)
    }
    fn store(&mut self, path: &str, offset: u64, mut data: &[u8]) -> Res<u64> {
        Ok(self
            .rt
            .block_on(self.client.store(path, offset, &mut data))?
            .0)
    }
    fn store_writer(&mut self, path: &str, offset: u64, data: &[u8]) -> Res<()> {
        use tokio::io::AsyncWriteExt;
        let client = &mut self.client;
        self.rt.block_on(async move {
            let mut upload = client.store_writer(path, offset).await?;
            upload.write_all(data).await?;
            upload.finish().await?;
            Ok(())
        })
    }
    fn append(&mut self, path: &str, mut data: &[u8]) -> Res<()> {
        self.rt.block_on(self.client.append(path, &mut data))?;
        Ok(())
    }
    fn rename(&mut self, from: &str, to: &str) -> Res<()> {
        self.rt.block_on(self.client.rename(from, to))?;
        Ok(())
    }
    fn delete(&mut self, path: &str) -> Res<()> {
        self.rt.block_on(self.client.delete(path))?;
        Ok(())
    }
    fn mkdir(&mut self, path: &str) -> Res<()> {
        self.rt.block_on(self.client.mkdir(path))?;
        Ok(())
    }
    fn rmdir(&mut self, path: &str) -> Res<()> {
        self.rt.block_on(self.client.rmdir(path))?;
        Ok(())
    }
    fn cwd(&mut self, path: &str) -> Res<()> {
        self.rt.block_on(self.client.cwd(path))?;
        Ok(())
    }
    fn cdup(&mut self) -> Res<()> {
        self.rt.block_on(self.client.cdup())?;
        Ok(())
    }
    fn site(&mut self, args: &str) -> Res<()> {
        self.rt.block_on(self.client.site(args))?;
        Ok(())
    }
    fn quit(self) -> Res<()> {
        Ok(self.rt.block_on(self.client.quit())?)
    }
}

impl fmt::Debug for StdClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StdClient").finish_non_exhaustive()
    }
}

impl fmt::Debug for TokioClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioClient").finish_non_exhaustive()
    }
}

// ------------------------------------------------------------ helpers

/// Starts a real peer, or skips (fails when `FTP_INTEROP_REQUIRED=1`).
pub fn start(kind: PeerKind, options: &PeerOptions) -> Option<PeerServer> {
    if !require_or_skip(kind.name(), kind.install_hint()) {
        return None;
    }
    started_or_skip(kind.start(options))
}

/// The contents of a file of the peers' test tree.
pub fn tree_file(path: &str) -> &'static [u8] {
    TEST_TREE
        .iter()
        .find(|e| e.path == path)
        .and_then(|e| e.contents)
        .unwrap_or_else(|| panic!("{path} is not a test-tree file"))
}

/// A payload larger than the clients' data buffers and not a multiple of them.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

// ------------------------------------------------------------ real peers

/// Every operation of client `C` against the real peer `server`.
pub fn exercise_peer<C: TestClient>(server: &PeerServer, mode: &Mode) {
    let kind = server.kind().name();
    let root = server.root().to_path_buf();
    let mut client =
        C::connect(server.addr(), mode).unwrap_or_else(|e| panic!("{kind}: connect: {e}"));
    assert_eq!(client.is_secure(), mode.tls.is_some());
    let login = client.login(server.user(), server.password());
    login.unwrap_or_else(|e| panic!("{kind}: login: {e}"));
    let mlst = client.feat_mlst().expect("FEAT");
    assert_eq!(mlst, server.supports_mlsd(), "{kind}: MLST in FEAT");

    assert_eq!(&client.pwd().expect("PWD")[..], b"/", "{kind}");
    client.noop().expect("NOOP");
    client.system().expect("SYST");

    // Listing: MLSD or LIST, parsed.
    let entries = client.list(None).expect("list");
    for expected in TEST_TREE.iter().filter(|e| !e.path.contains('/')) {
        let entry = entries
            .iter()
            .find(|e| &e.name[..] == expected.path.as_bytes())
            .unwrap_or_else(|| panic!("{kind}: {} missing from {entries:?}", expected.path));
        assert_eq!(
            entry.kind.is_dir(),
            expected.contents.is_none(),
            "{kind}: {entry:?}"
        );
        if let Some(contents) = expected.contents {
            assert_eq!(entry.size, Some(contents.len() as u64), "{kind}: {entry:?}");
        }
    }
    assert!(
        entries
            .iter()
            .all(|e| &e.name[..] != b"." && &e.name[..] != b".."),
        "{kind}: {entries:?}"
    );
    let nested = client.list(Some("sub dir")).expect("list sub dir");
    assert!(
        nested.iter().any(|e| &e.name[..] == b"nested.txt"),
        "{kind}: {nested:?}"
    );
    let empty = client.list(Some("empty")).expect("list empty");
    assert!(empty.is_empty(), "{kind}: {empty:?}");
    let names = client.nlst(None).expect("NLST");
    assert!(
        names.iter().any(|n| &n[..] == b"hello.txt"),
        "{kind}: {names:?}"
    );
    if server.supports_mlsd() {
        let entry = client.mlst(Some("data.bin")).expect("MLST");
        assert_eq!(entry.size, Some(1024), "{kind}: {entry:?}");
    }

    // Downloads, whole and resumed.
    let got = client.retrieve_stream("hello.txt", 0).expect("RETR");
    assert_eq!(got, tree_file("hello.txt"), "{kind}");
    let (n, tail) = client.retrieve_to("data.bin", 1000).expect("REST + RETR");
    assert_eq!(n, 24);
    assert_eq!(tail, tree_file("data.bin")[1000..], "{kind}");

    // Size and time.
    assert_eq!(client.size("data.bin").expect("SIZE"), 1024);
    let mtime = client.mdtm("hello.txt").expect("MDTM");
    assert_eq!(
        mtime.unix_seconds(),
        i64::try_from(TEST_TREE_MTIME).unwrap(),
        "{kind}"
    );

    // Uploads: from a reader, as a writer, resumed, appended.
    let data = payload(600 * 1024 + 123);
    let sent = client.store("upload.bin", 0, &data).expect("STOR");
    assert_eq!(sent, data.len() as u64);
    let uploaded = std::fs::read(root.join("upload.bin")).unwrap();
    assert!(uploaded == data, "{kind}: upload.bin differs");
    assert_eq!(client.size("upload.bin").unwrap(), data.len() as u64);

    let half = data.len() / 2;
    let first = client.store_writer("resumed.bin", 0, &data[..half]);
    first.expect("STOR first half");
    let offset = client.size("resumed.bin").unwrap();
    assert_eq!(offset, half as u64);
    // ProFTPD refuses REST + STOR and APPE unless `AllowStoreRestart on`.
    let proftpd_refusal = |e: &Failure| server.kind() == PeerKind::Proftpd && e.code == Some(451);
    match client.store_writer("resumed.bin", offset, &data[half..]) {
        Ok(()) => {
            let resumed = std::fs::read(root.join("resumed.bin")).unwrap();
            assert!(resumed == data, "{kind}: resumed.bin differs");
        }
        Err(e) if proftpd_refusal(&e) => {
            client.delete("resumed.bin").expect("DELE");
            let stored = client.store("resumed.bin", 0, &data);
            stored.unwrap_or_else(|e| panic!("{kind}: STOR: {e}"));
        }
        Err(e) => panic!("{kind}: REST + STOR: {e}"),
    }
    match client.append("resumed.bin", b"+tail") {
        Ok(()) => {
            let mut expected = data.clone();
            expected.extend_from_slice(b"+tail");
            let appended = std::fs::read(root.join("resumed.bin")).unwrap();
            assert!(appended == expected, "{kind}: appended file differs");
        }
        Err(e) if proftpd_refusal(&e) => {}
        Err(e) => panic!("{kind}: APPE: {e}"),
    }

    // Names and folders.
    client.rename("upload.bin", "moved.bin").expect("RNFR/RNTO");
    assert!(root.join("moved.bin").is_file() && !root.join("upload.bin").exists());
    client.delete("moved.bin").expect("DELE");
    client.delete("resumed.bin").expect("DELE");
    assert!(!root.join("moved.bin").exists());
    client.mkdir("made").expect("MKD");
    assert!(root.join("made").is_dir());
    client.cwd("made").expect("CWD");
    assert_eq!(&client.pwd().unwrap()[..], b"/made", "{kind}");
    client.cdup().expect("CDUP");
    client.rmdir("made").expect("RMD");
    assert!(!root.join("made").exists());

    // Refusals carry the server's reply; the session goes on.
    let err = client
        .retrieve_stream("no-such-file", 0)
        .expect_err("RETR of a missing file");
    assert_eq!(err.code, Some(550), "{kind}: {err}");
    let err = client.delete("no-such-file").expect_err("DELE missing");
    assert_eq!(err.code, Some(550), "{kind}: {err}");
    let err = client.size("no-such-file").expect_err("SIZE missing");
    assert_eq!(err.code, Some(550), "{kind}: {err}");
    // SITE: a reply either way (support varies), never a broken session.
    let _ = client.site("HELP");

    // A download dropped half-way is aborted by the next call.
    client.retrieve_abandoned("data.bin", 10).expect("RETR");
    client.noop().expect("NOOP after an abandoned download");
    let (_, again) = client
        .retrieve_to("hello.txt", 0)
        .expect("RETR after abort");
    assert_eq!(again, tree_file("hello.txt"));

    client.quit().expect("QUIT");
}

/// Starts `kind` with `peer` options and runs the suite with the mode
/// `mode` gives for that server.
pub fn run_peer<C: TestClient>(
    kind: PeerKind,
    peer: PeerOptions,
    mode: impl FnOnce(&PeerServer) -> Mode,
) {
    let Some(server) = start(kind, &peer) else {
        return;
    };
    exercise_peer::<C>(&server, &mode(&server));
}

/// The suite in passive mode against `kind`.
pub fn passive<C: TestClient>(kind: PeerKind) {
    run_peer::<C>(kind, PeerOptions::default(), |_| Mode::passive());
}

/// The suite in active mode against `kind`.
pub fn active<C: TestClient>(kind: PeerKind) {
    run_peer::<C>(kind, PeerOptions::default(), |_| Mode::active());
}

/// The suite over explicit FTPS against `kind`.
pub fn explicit_tls<C: TestClient>(kind: PeerKind, active: bool, tls13: bool) {
    if !kind.supports_tls() {
        // Same decision as a missing server: skip, or fail in CI.
        require_or_skip(&format!("{} with TLS", kind.name()), kind.install_hint());
        return;
    }
    run_peer::<C>(kind, PeerOptions::with_tls(), |server| {
        let pem = server.certificate_pem().expect("server has a certificate");
        Mode::explicit_tls(active, pem.as_bytes(), tls13)
    });
}

// ------------------------------------------------------------ our servers

/// Every operation against one of our servers (its test tree: `hello.txt`,
/// `data.bin`, `sub dir/nested.txt`).
pub fn exercise_ours<C: TestClient>(server: &TestServer, mode: &Mode) {
    let who = format!("{:?}", server.flavor);
    let root = server.root();
    let mut client = C::connect(server.addr, mode).expect("connect");
    client.login(ours::USER, ours::PASSWORD).expect("login");
    assert!(client.feat_mlst().expect("FEAT"), "{who}: MLST offered");
    assert_eq!(&client.pwd().unwrap()[..], b"/");
    client.noop().expect("NOOP");
    client.system().expect("SYST");
    let entries = client.list(None).expect("MLSD");
    let data = entries
        .iter()
        .find(|e| &e.name[..] == b"data.bin")
        .expect("data.bin listed");
    assert_eq!(data.size, Some(3 * 1024 * 1024 + 17));
    assert!(
        entries
            .iter()
            .any(|e| &e.name[..] == b"sub dir" && e.kind.is_dir())
    );
    let names = client.nlst(Some("sub dir")).expect("NLST");
    assert!(
        names.iter().any(|n| n.ends_with(b"nested.txt")),
        "{names:?}"
    );
    assert_eq!(client.mlst(Some("hello.txt")).unwrap().size, Some(21));

    let expected = ours::pattern(3 * 1024 * 1024 + 17);
    let got = client.retrieve_stream("data.bin", 0).expect("RETR");
    assert!(got == expected, "{who}: download differs");
    let (n, tail) = client.retrieve_to("data.bin", 3_000_000).unwrap();
    assert_eq!(n as usize, expected.len() - 3_000_000);
    assert!(tail[..] == expected[3_000_000..]);
    assert_eq!(client.size("data.bin").unwrap(), expected.len() as u64);
    client.mdtm("hello.txt").expect("MDTM");

    let body = payload(900 * 1024 + 7);
    client.store("up.bin", 0, &body).expect("STOR");
    assert!(std::fs::read(root.join("up.bin")).unwrap() == body);
    let half = body.len() / 2;
    client
        .store_writer("resumed.bin", 0, &body[..half])
        .unwrap();
    let resumed = client.store_writer("resumed.bin", half as u64, &body[half..]);
    resumed.expect("REST + STOR");
    client.append("resumed.bin", b"+tail").expect("APPE");
    let mut whole = body.clone();
    whole.extend_from_slice(b"+tail");
    assert!(std::fs::read(root.join("resumed.bin")).unwrap() == whole);

    client
        .rename("up.bin", "sub dir/moved.bin")
        .expect("rename");
    client.delete("sub dir/moved.bin").expect("DELE");
    client.delete("resumed.bin").expect("DELE");
    client.mkdir("made").expect("MKD");
    client.cwd("made").expect("CWD");
    assert_eq!(&client.pwd().unwrap()[..], b"/made");
    client.cdup().expect("CDUP");
    client.rmdir("made").expect("RMD");
    assert!(!root.join("made").exists());
    let err = client.size("no-such").expect_err("SIZE missing");
    assert_eq!(err.code, Some(550));
    let _ = client.site("HELP");

    // Explicit abort, then an abandoned download: the session goes on.
    client.retrieve_aborted("data.bin", 10).expect("ABOR");
    client.retrieve_abandoned("data.bin", 10).unwrap();
    client.noop().expect("NOOP after an abandoned download");
    let (_, hello) = client.retrieve_to("hello.txt", 0).unwrap();
    assert_eq!(hello, b"hello from ftp-proto\n");
    client.quit().expect("QUIT");
}

/// The suite against our `flavor` server: plain passive and active,
/// explicit FTPS (TLS 1.2 passive, TLS 1.3 active) and implicit FTPS, both
/// with TLS session reuse required on data connections.
pub fn against_ours<C: TestClient>(flavor: Flavor) {
    let plain = TestServer::start(flavor, &Setup::default()).unwrap();
    exercise_ours::<C>(&plain, &Mode::passive());
    exercise_ours::<C>(&plain, &Mode::active());
    let tls = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            require_session_reuse: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let pem = std::fs::read(tls.cert.as_ref().unwrap()).unwrap();
    exercise_ours::<C>(&tls, &Mode::explicit_tls(false, &pem, false));
    exercise_ours::<C>(&tls, &Mode::explicit_tls(true, &pem, true));
    let implicit = TestServer::start(
        flavor,
        &Setup {
            tls: true,
            implicit_tls: true,
            require_session_reuse: true,
            ..Setup::default()
        },
    )
    .unwrap();
    let pem = std::fs::read(implicit.cert.as_ref().unwrap()).unwrap();
    exercise_ours::<C>(&implicit, &Mode::implicit_tls(&pem));
}

/// The `#[test]` functions of the shared suite for one client type (a
/// [`TestClient`]): real peers in every mode they support, our servers, and
/// that client's example program (`example: "package", "name"`) run as a
/// tool against real peers.
#[macro_export]
macro_rules! client_interop_tests {
    ($client:ty, example: $package:literal, $example:literal) => {
        use $crate::client_interop as suite;
        use $crate::peers::{PeerKind, PeerOptions};

        /// The client's example program (`--example`), run as a tool.
        static EXAMPLE: $crate::client_example::Example =
            $crate::client_example::Example::new($package, $example);

        #[test]
        fn example_client_against_pyftpdlib() {
            EXAMPLE.against(PeerKind::Pyftpdlib, PeerOptions::default(), &[]);
        }

        #[test]
        fn example_client_against_vsftpd_active_tls() {
            EXAMPLE.against(
                PeerKind::Vsftpd,
                PeerOptions::with_tls(),
                &["--active", "--tls", "--insecure"],
            );
        }

        #[test]
        fn example_client_anonymous_listing() {
            let Some(server) = suite::start(PeerKind::Pyftpdlib, &PeerOptions::default()) else {
                return;
            };
            assert!(server.supports_anonymous());
            let url = format!("ftp://{}", server.addr());
            let out = EXAMPLE.ok(&[&url, "ls", "sub dir"]);
            assert_eq!(out, "- 19 2024-01-02T03:04:05Z nested.txt\n");
        }

        #[test]
        fn vsftpd_passive() {
            suite::passive::<$client>(PeerKind::Vsftpd);
        }

        #[test]
        fn vsftpd_active() {
            suite::active::<$client>(PeerKind::Vsftpd);
        }

        #[test]
        fn vsftpd_explicit_tls() {
            suite::explicit_tls::<$client>(PeerKind::Vsftpd, false, false);
        }

        #[test]
        fn vsftpd_explicit_tls_active() {
            suite::explicit_tls::<$client>(PeerKind::Vsftpd, true, false);
        }

        /// TLS 1.3 works with vsftpd because it sends new session tickets
        /// on every data connection and the client reads them (uploads
        /// included).
        #[test]
        fn vsftpd_explicit_tls13() {
            suite::explicit_tls::<$client>(PeerKind::Vsftpd, false, true);
        }

        #[test]
        fn pure_ftpd_passive() {
            suite::passive::<$client>(PeerKind::PureFtpd);
        }

        #[test]
        fn pure_ftpd_active() {
            suite::active::<$client>(PeerKind::PureFtpd);
        }

        #[test]
        fn pure_ftpd_explicit_tls() {
            suite::explicit_tls::<$client>(PeerKind::PureFtpd, false, false);
        }

        #[test]
        fn proftpd_passive() {
            suite::passive::<$client>(PeerKind::Proftpd);
        }

        #[test]
        fn proftpd_active() {
            suite::active::<$client>(PeerKind::Proftpd);
        }

        #[test]
        fn proftpd_explicit_tls() {
            suite::explicit_tls::<$client>(PeerKind::Proftpd, false, false);
        }

        #[test]
        fn pyftpdlib_passive() {
            suite::passive::<$client>(PeerKind::Pyftpdlib);
        }

        #[test]
        fn pyftpdlib_active() {
            suite::active::<$client>(PeerKind::Pyftpdlib);
        }

        #[test]
        fn pyftpdlib_explicit_tls() {
            suite::explicit_tls::<$client>(PeerKind::Pyftpdlib, false, false);
        }

        #[test]
        fn our_std_server_plain_and_ftps() {
            suite::against_ours::<$client>($crate::ours::Flavor::Std);
        }

        #[test]
        fn our_tokio_server_plain_and_ftps() {
            suite::against_ours::<$client>($crate::ours::Flavor::Tokio);
        }
    };
}
