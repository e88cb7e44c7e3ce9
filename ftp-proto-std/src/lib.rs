//! # ftp-proto-std
//!
//! Drives the [`ftp_proto`] engines over blocking `std::net` sockets and
//! threads: an FTP server and client with `Read`/`Write` streams. It is
//! also the runtime-neutral std layer that `ftp-proto-tokio` builds on.
//!
//! - [`server`]: the blocking FTP server (threads per session, FTPS with rustls).
//! - [`client`]: the blocking FTP client (`Read`/`Write` transfer streams).
//! - [`storage`], [`auth`]: what the server serves (a folder, or a tree in
//!   memory) and who may log in.
//! - [`tls`], [`net`], [`transfer`], [`listing`], [`serving`]: pieces every
//!   adapter shares (rustls settings, passive-port selection, the wall clock,
//!   the blocking data path of a transfer, the streamed listing renderer, what a server session decides
//!   alike); the servers also share [`server::ServerSettings`] and the
//!   connection limits, the clients [`client::ClientOptions`] and
//!   [`client::Error`].
//! - [`cli`]: the command-line code of the example programs.
//!
//! ## Features
//! Both are on by default.
//! - `tls`: FTPS (explicit `AUTH TLS` and implicit), client and server, with
//!   rustls and its `ring` provider: the [`tls`] module, the TLS settings
//!   (`ServerSettings::tls`/`implicit_tls`/`require_tls`,
//!   `ClientOptions::explicit_tls`/`implicit_tls` and its `tls` field,
//!   `ResolvedSettings::tls`), the TLS data path [`transfer::run`]
//!   ([`transfer::run_plain`] exists either way), `client::Error::Tls`, and
//!   [`cli`]. Without it rustls is not built and FTPS cannot be configured:
//!   a client whose `security` still asks for it fails with
//!   `Error::TlsNotConfigured`, and the servers never offer `AUTH TLS`.
//! - `blocking`: the blocking adapter, `server::Server` (with
//!   `FilesystemRoots` and `StorageFactory`) and `client::Client` (with
//!   `Download` and `Upload`). Without it the crate is the runtime-neutral
//!   layer only: storage, auth, settings, serving decisions, the transfer
//!   pump, net helpers, as `ftp-proto-tokio` depends on it (`default-features
//!   = false`, plus `tls` through its own feature `tls`).
//!
//! The example programs `blocking_server` and `blocking_client` need both.
#![cfg_attr(
    not(all(feature = "tls", feature = "blocking")),
    allow(
        rustdoc::broken_intra_doc_links,
        reason = "the docs describe the default build; a reduced one lacks some items they link"
    )
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
#[cfg(feature = "tls")]
pub mod cli;
pub mod client;
pub mod listing;
pub mod net;
pub mod server;
pub mod serving;
pub mod storage;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transfer;

pub use ftp_proto;
