//! Callgrind harness for the `lines` benchmark: runs one of its measured loops
//! over the same corpus, so instruction counts per line can be compared
//! without timing noise.
//!
//! ```text
//! cargo build --profile bench -p ftp-proto --example lines_profile
//! valgrind --tool=callgrind --toggle-collect='lines_profile::workloads::*' \
//!     target/release/examples/lines_profile commands 20
//! ```
//! Workloads: `memchr_commands`, `commands`, `memchr_replies`,
//! `framing_replies`, `replies`. Inputs are prepared outside the toggled
//! functions, as in the benchmark.

#![allow(clippy::print_stdout)] // A command-line tool reports on stdout.

use std::hint::black_box;

use bytes::BytesMut;
use ftp_proto::line::{LineBuffer, LineConfig};
use ftp_proto::reply::ReplyParser;

#[path = "../benches/support/corpus.rs"]
mod corpus;
#[path = "../benches/support/workloads.rs"]
mod workloads;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "commands".into());
    let passes: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let commands = corpus::command_corpus();
    let replies = corpus::reply_corpus();
    let input = match which.as_str() {
        "memchr_commands" | "commands" => &commands,
        _ => &replies,
    };
    // Counted outside the toggled workload functions.
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let mut total = 0usize;
    for _ in 0..passes {
        total += match which.as_str() {
            "memchr_commands" | "memchr_replies" => {
                let buf = BytesMut::from(&input[..]);
                black_box(workloads::memchr_lines(&buf))
            }
            "commands" => {
                let mut lb = LineBuffer::new(LineConfig::default());
                lb.extend_from_slice(input);
                black_box(workloads::commands(&mut lb))
            }
            "framing_replies" => {
                let mut lb = LineBuffer::new(LineConfig::default().with_max_line_len(8192));
                lb.extend_from_slice(input);
                black_box(workloads::framing(&mut lb))
            }
            "replies" => {
                let mut parser = ReplyParser::default();
                parser.extend_from_slice(input);
                black_box(workloads::replies(&mut parser)).0
            }
            other => panic!("unknown workload {other}"),
        };
    }
    println!(
        "{which}: {passes} passes over {} bytes, {lines} lines each (result {total})",
        input.len()
    );
}
