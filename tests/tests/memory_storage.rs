//! Both servers serving a `MemoryStorage` to our tokio client on loopback:
//! put, get, list, rename, delete; a read-only user of the same tree; the
//! capacity answered as insufficient storage.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use ftp_proto_std::auth::{Permissions, UserList};
use ftp_proto_std::server::ServerSettings;
use ftp_proto_tokio::client::{Client, ClientOptions, Error};

/// Room for the test's files, not for the oversized upload.
const CAPACITY: u64 = 64 * 1024;

fn users() -> UserList {
    UserList::new()
        .with_user("alice", "rw")
        .with_account("bob", "ro", Permissions::READ_ONLY, None)
        .with_account(
            "carol",
            "rooted",
            Permissions::READ_WRITE,
            Some("/srv/carol".into()),
        )
}

fn settings() -> ServerSettings {
    ServerSettings::new()
        .listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .failed_login_delay(None)
}

fn code(error: &Error) -> Option<u16> {
    error.reply().map(|r| r.code().as_u16())
}

async fn login(addr: SocketAddr, user: &str, password: &str) -> Client {
    let options = ClientOptions::default().connect_timeout(Duration::from_secs(20));
    let mut client = Client::connect(addr, options).await.expect("connect");
    client.login(user, password).await.expect("login");
    client
}

async fn get(client: &mut Client, path: &str) -> Vec<u8> {
    let mut data = Vec::new();
    client.retrieve_to(path, 0, &mut data).await.expect("RETR");
    data
}

async fn names(client: &mut Client) -> Vec<Bytes> {
    let mut names = client.nlst(None::<&str>).await.expect("NLST");
    names.sort();
    names
}

/// The same session against either server; `used` reads the tree's bytes.
async fn exercise(addr: SocketAddr, used: impl Fn() -> u64) {
    let mut alice = login(addr, "alice", "rw").await;
    let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
    alice.store("a.bin", 0, &mut &data[..]).await.expect("STOR");
    assert_eq!(get(&mut alice, "a.bin").await, data);
    assert_eq!(alice.size("a.bin").await.unwrap(), 40_000);
    alice.mkdir("dir").await.expect("MKD");
    alice.rename("a.bin", "dir/b.bin").await.expect("RNFR/RNTO");
    assert_eq!(names(&mut alice).await, [&b"dir"[..]]);
    let listing = alice.list(Some("dir")).await.expect("LIST").to_vec();
    assert_eq!(listing.len(), 1);
    assert_eq!(used(), 40_000);

    // A read-only user sees the same tree and may change nothing.
    let mut bob = login(addr, "bob", "ro").await;
    assert_eq!(get(&mut bob, "dir/b.bin").await, data);
    let refused = bob.store("c.bin", 0, &mut &b"no"[..]).await.unwrap_err();
    assert!(matches!(code(&refused), Some(550 | 553)), "{refused}");
    let refused = bob.delete("dir/b.bin").await.unwrap_err();
    assert_eq!(code(&refused), Some(550), "{refused}");
    bob.quit().await.unwrap();

    // An account confined to a folder of its own cannot be confined in a
    // memory tree: its login is refused rather than given the whole tree.
    let options = ClientOptions::default().connect_timeout(Duration::from_secs(20));
    let mut carol = Client::connect(addr, options).await.expect("connect");
    let refused = carol.login("carol", "rooted").await.unwrap_err();
    assert_eq!(code(&refused), Some(530), "{refused}");

    // Beyond the capacity: insufficient storage, and nothing half-written.
    let big = vec![7u8; 30_000];
    let full = alice.store("big.bin", 0, &mut &big[..]).await.unwrap_err();
    assert!(matches!(code(&full), Some(452 | 552)), "{full}");
    assert_eq!(names(&mut alice).await, [&b"dir"[..]]);
    assert_eq!(used(), 40_000);

    alice.delete("dir/b.bin").await.expect("DELE");
    alice.rmdir("dir").await.expect("RMD");
    assert!(names(&mut alice).await.is_empty());
    assert_eq!(used(), 0);
    alice.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokio_server_serves_a_memory_tree() {
    use ftp_proto_tokio::server::Server;
    use ftp_proto_tokio::storage::MemoryStorage;
    let memory = MemoryStorage::new(CAPACITY);
    let auth = ftp_proto_tokio::auth::Blocking::new(users());
    let server = Server::builder(auth, memory.clone())
        .settings(settings())
        .bind()
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let served = tokio::spawn(server.serve());
    exercise(addr, || memory.used()).await;
    handle.shutdown();
    let served = tokio::time::timeout(Duration::from_secs(30), served);
    served.await.expect("server stops").unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_server_serves_a_memory_tree() {
    use ftp_proto_std::server::Server;
    use ftp_proto_std::storage::MemoryStorage;
    let memory = MemoryStorage::new(CAPACITY);
    let server = Server::builder(users(), memory.clone())
        .settings(settings())
        .bind()
        .unwrap();
    let addr = server.local_addrs()[0];
    let handle = server.handle();
    let served = std::thread::spawn(move || server.serve());
    exercise(addr, || memory.used()).await;
    handle.shutdown();
    served.join().unwrap().unwrap();
}
