//! Shared helpers for the cross-crate tests in `tests/tests/`: in-memory
//! harnesses with a virtual clock, the transcript runner, and launchers for
//! real FTP peers on loopback.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client_example;
pub mod client_interop;
pub mod loopback;
pub mod ours;
pub mod peers;
pub mod transcript;
