//! # ftp-proto
//!
//! A Sans-IO FTP protocol engine: the whole control-connection protocol of
//! FTP (RFC 959 and its extensions) as pure state machines that consume bytes
//! and emit replies, commands, events and deadlines, without ever touching a
//! socket, a clock, a thread or a file.
//!
//! The crate is `#![no_std]` with `alloc`. Its only dependencies are `bytes`,
//! `memchr`, `arrayvec` and `thiserror` (plus `arbitrary` behind the
//! off-by-default feature of that name).
//!
//! ## Layers
//! - The wire codec: [`line`](mod@line) (zero-copy line framing with Telnet handling),
//!   [`command`] (typed commands: parse and render), [`reply`] (reply codes,
//!   rendering and an incremental reply parser), [`address`] (PORT, EPRT, PASV
//!   and EPSV host-port forms), [`listing`] (LIST, MLSx and NLST lines both
//!   ways), [`path`] (virtual paths that cannot leave `/`), [`ascii`] (TYPE A
//!   line-end conversion for the data plane) and [`timestamp`] (FTP time values).
//! - The engines: [`server::ServerSession`] and [`client::ClientSession`],
//!   both implementing [`Session`] with one drain contract (see [`session`]),
//!   sharing the vocabulary of [`data`] connections and the [`error`] types.
//! - Testing what you build on them: the `testing` module (feature `testing`) runs
//!   the two engines against each other in memory, with a virtual clock,
//!   injected faults and generated sessions.
//! - Time as a value: [`Instant`] is a point on the caller's clock; the engines
//!   return deadlines and take `now` as an argument.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod address;
pub mod ascii;
pub mod client;
pub mod command;
pub mod data;
pub mod error;
pub mod line;
pub mod listing;
mod number;
pub mod path;
pub mod reply;
mod secret;
pub mod server;
pub mod session;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod timestamp;

pub use client::{ClientEvent, ClientSession};
pub use command::Command;
pub use error::{UsageError, UsageErrorKind};
pub use secret::Secret;
pub use server::{ServerEvent, ServerSession};
pub use session::Session;
pub use time::Instant;
pub use timestamp::Timestamp;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
