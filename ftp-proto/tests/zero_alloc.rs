//! Framing and parsing a buffer of mixed commands allocates nothing per line.
//!
//! The whole input is appended first (that append may allocate); the measured
//! region is the `next_line` + `Command::parse` loop alone. The counters are
//! process-wide, so this test runs without the libtest harness (`harness =
//! false`): no other thread allocates while it measures.

use ftp_proto::Command;
use ftp_proto::line::{LineBuffer, LineConfig};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const LINES: &[&[u8]] = &[
    b"USER anonymous",
    b"PASS guest@example.com",
    b"SYST",
    b"FEAT",
    b"OPTS UTF8 ON",
    b"PWD",
    b"TYPE I",
    b"CWD /pub/linux/kernel/v6.x",
    b"EPSV",
    b"PASV",
    b"PORT 192,168,1,20,195,80",
    b"EPRT |2|2001:db8::1|5282|",
    b"LIST -la",
    b"MLSD /pub",
    b"SIZE linux-6.9.tar.xz",
    b"MDTM linux-6.9.tar.xz",
    b"REST 1048576",
    b"RETR linux-6.9.tar.xz",
    b"STOR upload/My Holiday Photo 0001.jpg",
    b"MFMT 20240102030405 upload/My Holiday Photo 0001.jpg",
    b"NOOP",
    b"mkd new dir",
    b"",
    b"QUIT",
];

fn framing_and_parsing_do_not_allocate() {
    let mut input = Vec::new();
    let mut count = 0usize;
    while count < 10_000 {
        for line in LINES {
            input.extend_from_slice(line);
            // Mostly CRLF, some bare LF.
            input.extend_from_slice(if count.is_multiple_of(7) {
                b"\n"
            } else {
                b"\r\n"
            });
            count += 1;
        }
    }
    let mut lb = LineBuffer::new(LineConfig::default());
    lb.extend_from_slice(&input);

    let region = Region::new(GLOBAL);
    let mut parsed = 0usize;
    let mut seen = 0usize;
    while let Some(line) = lb.next_line() {
        let line = line.expect("no overlong line");
        seen += 1;
        if let Ok(cmd) = Command::parse(line.text()) {
            parsed += usize::from(!matches!(cmd, Command::Quit)) + 1;
        }
    }
    let stats = region.change();

    assert_eq!(seen, count);
    assert!(parsed > count);
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
    assert_eq!(stats.deallocations, 0, "{stats:?}");
}

#[allow(clippy::print_stdout)] // The harness-less test reports its result.
fn main() {
    framing_and_parsing_do_not_allocate();
    println!("zero_alloc: framing + parsing 10,000+ lines made 0 allocations");
}
