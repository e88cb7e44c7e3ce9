//! Server engine throughput: commands per second through `ServerSession`.
//!
//! - `noop_pipelined`: 1000 `NOOP` lines in one read, replies drained.
//! - `mix_answered`: a realistic logged-in mix (CWD, PWD, TYPE, SIZE, MDTM),
//!   one command per read, every request answered, as a driver loop would.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ftp_proto::server::{Answer, ServerConfig, ServerEvent, ServerSession};
use ftp_proto::{Instant, Session, Timestamp};

fn session() -> ServerSession {
    let mut s = ServerSession::new(
        Instant::ZERO,
        Arc::new(ServerConfig::default()),
        "192.0.2.9:40000".parse().unwrap(),
        "192.0.2.1:21".parse().unwrap(),
    );
    s.handle_input(Instant::ZERO, b"USER alice\r\nPASS secret\r\n");
    drive(&mut s);
    s
}

/// Drains frames and answers every request; returns bytes written.
fn drive(s: &mut ServerSession) -> usize {
    let mut written = 0;
    loop {
        while let Some(frame) = s.poll_transmit() {
            written += frame.len();
        }
        let mut answered = false;
        while let Some(e) = s.poll_event() {
            if let ServerEvent::Request(r) = e {
                use ftp_proto::server::RequestKind as K;
                let a = match r.kind() {
                    K::Login { .. } => Answer::LoggedIn { home: None },
                    K::Size { .. } => Answer::Size(1_048_576),
                    K::ModifiedTime { .. } => {
                        Answer::Modified(Timestamp::from_unix(1_700_000_000, 0))
                    }
                    _ => Answer::Done,
                };
                s.answer(Instant::ZERO, r, a).unwrap();
                answered = true;
            }
        }
        if !answered {
            return written;
        }
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("server");
    g.measurement_time(Duration::from_secs(3));

    let noops = "NOOP\r\n".repeat(1000);
    g.throughput(Throughput::Elements(1000));
    g.bench_function("noop_pipelined", |b| {
        let mut s = session();
        b.iter(|| {
            s.handle_input(Instant::ZERO, noops.as_bytes());
            black_box(drive(&mut s));
        });
    });

    const MIX: &[&[u8]] = &[
        b"CWD /pub/linux/kernel\r\n",
        b"PWD\r\n",
        b"TYPE I\r\n",
        b"SIZE linux-6.9.tar.xz\r\n",
        b"MDTM linux-6.9.tar.xz\r\n",
        b"CWD ../photos 2024\r\n",
        b"PWD\r\n",
        b"TYPE A\r\n",
        b"CDUP\r\n",
        b"NOOP\r\n",
    ];
    g.throughput(Throughput::Elements(MIX.len() as u64 * 100));
    g.bench_function("mix_answered", |b| {
        let mut s = session();
        b.iter(|| {
            for _ in 0..100 {
                for line in MIX {
                    s.handle_input(Instant::ZERO, line);
                    black_box(drive(&mut s));
                }
            }
        });
    });
    g.finish();
}

criterion_group!(server, benches);
criterion_main!(server);
