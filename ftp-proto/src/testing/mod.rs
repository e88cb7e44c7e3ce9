//! A kit for testing protocol handling built on the engines, with no
//! sockets, threads or clock (feature `testing`).
//!
//! - [`Pair`]: the client engine against the server engine in memory, both
//!   adapters played by the kit, time a value it moves ([`Pair::drive`]
//!   jumps to the next deadline, [`Pair::advance`] moves by a duration).
//! - [`Responder`]: the embedder side of the server (answers to requests,
//!   the bytes of downloads and uploads). Implement it over your own logic;
//!   [`MemoryTree`] is a complete in-memory one.
//! - [`Faults`]: control bytes delivered in chunks of any size (every read
//!   boundary a socket could produce), data connections dropped after N
//!   bytes, the control connection cut after N bytes, the `226` before or
//!   after the data's end, slow or dead answers, a black-holed control
//!   connection, data held mid-transfer.
//! - [`Operation`]: one step of a client session; with the `arbitrary`
//!   feature, `Vec<Operation>` is a whole generated session for fuzzers and
//!   property tests ([`Pair::run`] plays one step).
//!
//! The kit is what the project's own engine-against-engine tests run on.
//!
//! # Property-testing your server
//!
//! Write your server's decisions as a [`Responder`] (or wrap a
//! [`MemoryTree`] to change some of them), generate sessions, and state what
//! must hold whatever the client does. Here, a read-only server: whatever a
//! session tries, nothing in the tree changes, every operation ends (none
//! is left waiting), and the harness saw nothing odd between the engines.
//!
//! ```
//! use ftp_proto::client::ClientConfig;
//! use ftp_proto::path::VirtualPath;
//! use ftp_proto::server::{Answer, FsError, RequestKind, ServerConfig, TransferKind};
//! use ftp_proto::testing::{
//!     MemoryTree, Operation, PASSWORD, Pair, PathChoice, Responder, USER,
//! };
//! use ftp_proto::Instant;
//! use proptest::prelude::*;
//!
//! /// The embedder's logic under test: a read-only view of a tree.
//! struct ReadOnly(MemoryTree);
//!
//! impl Responder for ReadOnly {
//!     fn answer(&mut self, now: Instant, request: &RequestKind) -> Answer {
//!         match request {
//!             RequestKind::MakeDir { .. }
//!             | RequestKind::RemoveDir { .. }
//!             | RequestKind::Delete { .. }
//!             | RequestKind::RenameFrom { .. }
//!             | RequestKind::Rename { .. }
//!             | RequestKind::SetModifiedTime { .. }
//!             | RequestKind::Store { .. }
//!             | RequestKind::Append { .. }
//!             | RequestKind::StoreUnique { .. } => Answer::Error(FsError::PermissionDenied),
//!             _ => self.0.answer(now, request),
//!         }
//!     }
//!     fn read(&mut self, path: &VirtualPath, offset: u64) -> Vec<u8> {
//!         self.0.read(path, offset)
//!     }
//!     fn write(&mut self, _: &TransferKind, _: &[u8]) {
//!         panic!("a read-only server accepted an upload");
//!     }
//! }
//!
//! fn operation() -> impl Strategy<Value = Operation> {
//!     let path = any::<u8>().prop_map(PathChoice);
//!     prop_oneof![
//!         Just(Operation::Pwd),
//!         path.clone().prop_map(Operation::Cwd),
//!         path.clone().prop_map(Operation::Mkdir),
//!         path.clone().prop_map(Operation::Delete),
//!         (path.clone(), path.clone()).prop_map(|(a, b)| Operation::Rename(a, b)),
//!         path.clone().prop_map(|p| Operation::List(Some(p))),
//!         (path.clone(), any::<u16>()).prop_map(|(p, o)| Operation::Retrieve(p, o)),
//!         (path, proptest::collection::vec(any::<u8>(), 0..64))
//!             .prop_map(|(p, d)| Operation::Store(p, d)),
//!         (0u16..400).prop_map(Operation::Wait),
//!     ]
//! }
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(32))]
//!     // In your crate's tests, put `#[test]` here.
//!     fn a_read_only_server_changes_nothing(ops in proptest::collection::vec(operation(), 1..12)) {
//!         let before = MemoryTree::sample().nodes;
//!         let mut pair = Pair::with_responder(
//!             ClientConfig::default(),
//!             ServerConfig::default(),
//!             ReadOnly(MemoryTree::sample()),
//!         );
//!         pair.login_as(USER, PASSWORD);
//!         for op in &ops {
//!             if let Ok(Some(id)) = pair.run(op, USER, PASSWORD) {
//!                 // Every queued operation ends, even after a long wait
//!                 // (the idle timeout may end the session: that is an end).
//!                 prop_assert!(pair.result(id).is_some(), "{op:?} never ended");
//!             }
//!         }
//!         prop_assert_eq!(&pair.responder.0.nodes, &before);
//!         prop_assert!(pair.anomalies.is_empty(), "{:?}", pair.anomalies);
//!     }
//! }
//! # fn main() { a_read_only_server_changes_nothing(); }
//! ```
//!
//! The same generated sessions can drive a fuzzer: with the `arbitrary`
//! feature, `Vec<Operation>` comes from the fuzzer's bytes through
//! `arbitrary::Unstructured`, and [`Faults::control_chunk`] from one of them.

mod operation;
mod pair;
mod tree;

pub use operation::{Operation, PATHS, PathChoice};
pub use pair::{CLIENT_ADDR, EofOrder, Faults, Pair, SERVER_ADDR, Stuck};
pub use tree::{MemoryTree, Node, PASSWORD, Responder, USER, sample_bytes};
