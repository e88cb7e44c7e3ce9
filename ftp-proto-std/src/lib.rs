//! # ftp-proto-std
//!
//! Drives the [`ftp_proto`] engines over blocking `std::net` sockets and
//! threads: an FTP server and client with `Read`/`Write` streams.
//!
//! - [`server`]: the blocking FTP server (threads per session, FTPS with rustls).
//! - [`client`]: the blocking FTP client (`Read`/`Write` transfer streams).
//! - [`storage`], [`auth`]: what the server serves (a folder, or a tree in
//!   memory) and who may log in.
//! - [`tls`], [`net`], [`transfer`], [`listing`], [`serving`]: pieces every
//!   adapter shares (rustls settings, passive-port selection, the wall clock,
//!   the blocking data path of a transfer, the streamed listing renderer, what a server session decides
//!   alike); the servers also share [`server::ServerSettings`] and the
//!   connection limits.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod cli;
pub mod client;
pub mod listing;
pub mod net;
pub mod server;
pub mod serving;
pub mod storage;
pub mod tls;
pub mod transfer;

pub use ftp_proto;
