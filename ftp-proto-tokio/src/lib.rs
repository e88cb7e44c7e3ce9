//! # ftp-proto-tokio
//!
//! Drives the [`ftp_proto`] engines over tokio sockets: an async FTP server
//! and client that do the sockets, storage, TLS and timers, while every
//! protocol rule stays in the engine.
//!
//! This crate is being built; see the project's issue tracker.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod server;
pub mod storage;

pub use ftp_proto;
