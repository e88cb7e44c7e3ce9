//! # ftp-proto-tokio
//!
//! Drives the [`ftp_proto`] engines over tokio sockets: an async FTP server
//! and client that do the sockets, storage, TLS and timers, while every
//! protocol rule stays in the engine.
//!
//! ## Parts
//! - [`driver`]: the control-connection loop shared by both roles
//!   ([`Driver`](driver::Driver), generic over any [`ftp_proto::Session`] and
//!   any tokio transport), and [`Transport`](driver::Transport), a TCP
//!   connection that can switch to TLS and back mid-session.
//! - [`client`]: the async FTP client ([`Client`](client::Client)).
//! - [`server`]: the async FTP server.
//! - [`tls`] (feature `tls`, on by default): rustls settings for FTPS
//!   clients, with TLS session resumption on data connections.
//! - [`storage`] and [`auth`]: what the async server serves and whom it lets in.
//!
//! ## Feature `tls`
//! On by default. It gates every use of rustls and tokio-rustls: client
//! FTPS ([`tls`], given with `ClientOptions::explicit_tls`/`implicit_tls`),
//! server FTPS (`server::TlsConfig`, given with `ServerSettings::tls`), and
//! the TLS variants of [`Transport`](driver::Transport). Without it the
//! crate speaks plain FTP only: a client whose options ask for FTPS fails
//! to connect (`Error::TlsNotConfigured`), a server whose settings name a
//! TLS configuration does not bind, and the engine refuses `AUTH TLS` and
//! `PROT P` for the server. The feature turns on `ftp-proto-std/tls`
//! (the option and settings types are `ftp-proto-std`'s, shared with the
//! blocking adapter); without it neither crate builds rustls, unless
//! something else in the build turns on `ftp-proto-std/tls`, and then the
//! TLS settings exist but this crate still refuses them as above. This
//! crate uses `ftp-proto-std` without its default features: the blocking
//! server and client are not built for it.
//!
//! ## Client example
//! ```no_run
//! use ftp_proto_tokio::client::{Client, ClientOptions};
//! # #[cfg(feature = "tls")]
//! use ftp_proto_tokio::tls::TlsClient;
//!
//! # #[cfg(feature = "tls")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Explicit FTPS (AUTH TLS, PBSZ 0, PROT P), verified with the Mozilla roots.
//! let tls = TlsClient::webpki_roots()?.with_server_name("ftp.example.org")?;
//! let options = ClientOptions::default().explicit_tls(tls);
//! let mut client = Client::connect("ftp.example.org:21", options).await?;
//! client.login("alice", "secret").await?;
//! client.feat().await?; // MLSD is used for listings when offered
//!
//! for entry in client.list(Some("/pub")).await? {
//!     println!("{} {:?}", String::from_utf8_lossy(&entry.name), entry.size);
//! }
//!
//! // Download to a file, resuming after what is already there.
//! let mut file = tokio::fs::OpenOptions::new().append(true).create(true).open("big.iso").await?;
//! let offset = file.metadata().await?.len();
//! let (bytes, reply) = client.retrieve_to("/pub/big.iso", offset, &mut file).await?;
//! println!("{bytes} bytes, {}", reply.code());
//!
//! // Upload from any AsyncRead.
//! client.store("/incoming/notes.txt", 0, &mut &b"hello"[..]).await?;
//! client.quit().await?;
//! # Ok(()) }
//! ```
//!
//! The `client` example (`cargo run -p ftp-proto-tokio --example client --
//! ftp://host ls`) is a complete command-line tool built on this API.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod driver;
pub mod server;
pub mod storage;
#[cfg(feature = "tls")]
pub mod tls;

pub use ftp_proto;
