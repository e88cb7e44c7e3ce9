//! Line framing and parsing throughput of the control connection.
//!
//! - `replies` part (`support/replies.rs`): a realistic corpus of server
//!   replies; `memchr_replies` is the baseline that only finds line ends,
//!   `framing_replies` frames with `LineBuffer`, `replies` frames and parses
//!   every reply on the borrowed path.
//! - `commands` part: added by the command codec work.

use criterion::{criterion_group, criterion_main};

#[path = "support/replies.rs"]
mod replies;

criterion_group!(benches, replies::bench_replies);
criterion_main!(benches);
