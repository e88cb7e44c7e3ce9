//! Line framing and parsing throughput (group `lines`, throughput in input bytes).
//!
//! Two corpora (`support/corpus.rs`): client commands (~96 KiB, ~6,300 lines)
//! and server replies (~128 KiB, ~4,300 lines). For each, a floor and the codec:
//!
//! - `memchr_commands`, `memchr_replies`: the framing floor, a plain loop that
//!   only finds every line end with `memchr::memchr`.
//! - `commands`: [`LineBuffer`] framing + `Command::parse` of every line (server path).
//! - `framing_replies`: [`LineBuffer`] framing alone with the client's settings.
//! - `replies`: `ReplyParser::next_reply` over every reply, borrowed (client path).
//!
//! Goal: each codec id within 3x of its floor.
//!
//! Fairness: every id, floor included, runs over the same kind of input, a
//! [`BytesMut`] freshly filled with the whole corpus by the setup routine of
//! `iter_batched_ref` (for the codec ids, the `LineBuffer`'s own buffer, filled
//! with `extend_from_slice`, the path an adapter takes). Setup is outside the
//! measurement, and `BatchSize::PerIteration` makes every measured pass start
//! on a buffer just written, as after a socket read, for both sides alike (a
//! pass is 30 to 300 µs, so the per-iteration timer cost is negligible). The
//! measured loops are in `support/workloads.rs`, shared with
//! `examples/lines_profile.rs`, which counts their instructions under callgrind.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ftp_proto::line::{LineBuffer, LineConfig};
use ftp_proto::reply::ReplyParser;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/workloads.rs"]
mod workloads;

fn filled(corpus: &[u8]) -> BytesMut {
    BytesMut::from(corpus)
}

fn lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("lines");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));

    let commands = corpus::command_corpus();
    group.throughput(Throughput::Bytes(commands.len() as u64));
    group.bench_function("memchr_commands", |b| {
        b.iter_batched_ref(
            || filled(&commands),
            |buf| black_box(workloads::memchr_lines(buf)),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("commands", |b| {
        b.iter_batched_ref(
            || {
                let mut lb = LineBuffer::new(LineConfig::default());
                lb.extend_from_slice(&commands);
                lb
            },
            |lb| black_box(workloads::commands(lb)),
            BatchSize::PerIteration,
        );
    });

    let replies = corpus::reply_corpus();
    group.throughput(Throughput::Bytes(replies.len() as u64));
    group.bench_function("memchr_replies", |b| {
        b.iter_batched_ref(
            || filled(&replies),
            |buf| black_box(workloads::memchr_lines(buf)),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("framing_replies", |b| {
        b.iter_batched_ref(
            || {
                let mut lb = LineBuffer::new(LineConfig::default().with_max_line_len(8192));
                lb.extend_from_slice(&replies);
                lb
            },
            |lb| black_box(workloads::framing(lb)),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("replies", |b| {
        b.iter_batched_ref(
            || {
                let mut parser = ReplyParser::default();
                parser.extend_from_slice(&replies);
                parser
            },
            |parser| black_box(workloads::replies(parser)),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, lines);
criterion_main!(benches);
