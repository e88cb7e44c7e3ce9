//! # ftp-proto-std
//!
//! Drives the [`ftp_proto`] engines over blocking `std::net` sockets and
//! threads: an FTP server and client with `Read`/`Write` streams.
//!
//! This crate is being built; see the project's issue tracker.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod storage;

pub use ftp_proto;
