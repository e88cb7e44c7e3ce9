//! Line framing and parsing throughput.
//!
//! Each pair compares the codec with a floor: `memchr_*` only finds every line
//! end with `memchr::memchr` over the same buffer; the codec id frames with
//! [`LineBuffer`] and parses every line. Goal: the codec within 3x of its floor.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ftp_proto::Command;
use ftp_proto::line::{LineBuffer, LineConfig};

#[path = "support/replies.rs"]
mod replies;

/// A realistic client session mix, repeated to a few thousand CRLF lines.
fn command_corpus() -> Vec<u8> {
    const LINES: &[&str] = &[
        "USER anonymous",
        "PASS guest@example.com",
        "SYST",
        "FEAT",
        "OPTS UTF8 ON",
        "PWD",
        "TYPE I",
        "CWD /pub/linux/kernel/v6.x",
        "EPSV",
        "MLSD",
        "PASV",
        "LIST -la",
        "SIZE linux-6.9.tar.xz",
        "MDTM linux-6.9.tar.xz",
        "REST 1048576",
        "RETR linux-6.9.tar.xz",
        "CDUP",
        "CWD /incoming/photos 2024",
        "EPSV",
        "STOR IMG_20240102_030405 holiday at the lake.jpg",
        "MFMT 20240102030405 IMG_20240102_030405 holiday at the lake.jpg",
        "PORT 192,168,1,20,195,80",
        "NLST",
        "MKD backup",
        "RNFR old name.txt",
        "RNTO new name.txt",
        "DELE tmp.part",
        "NOOP",
        "STAT",
        "QUIT",
    ];
    let mut out = Vec::new();
    while out.len() < 96 * 1024 {
        for line in LINES {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn commands(c: &mut Criterion) {
    let corpus = command_corpus();
    let mut group = c.benchmark_group("lines");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Bytes(corpus.len() as u64));

    group.bench_function("memchr_commands", |b| {
        b.iter(|| {
            let mut rest = black_box(&corpus[..]);
            let mut lines = 0usize;
            while let Some(i) = memchr::memchr(b'\n', rest) {
                rest = &rest[i + 1..];
                lines += 1;
            }
            black_box(lines)
        });
    });

    // The input buffer is filled outside the measurement; framing and parsing are measured.
    group.bench_function("commands", |b| {
        b.iter_batched_ref(
            || {
                let mut lb = LineBuffer::new(LineConfig::default());
                lb.extend_from_slice(&corpus);
                lb
            },
            |lb| {
                let mut parsed = 0usize;
                while let Some(line) = lb.next_line() {
                    if let Ok(line) = line {
                        parsed += usize::from(black_box(Command::parse(line.text())).is_ok());
                    }
                }
                black_box(parsed)
            },
            criterion::BatchSize::SmallInput,
        );
    });

    // The replies pair (`memchr_replies`, `framing_replies`, `replies`) is in `support/replies.rs`.

    group.finish();
}

criterion_group!(benches, commands, replies::bench_replies);
criterion_main!(benches);
