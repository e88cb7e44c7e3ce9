//! The server's hot path allocates nothing per command: NOOP, PWD, TYPE,
//! SYST reuse the engine's buffers, and a CWD to an absolute path costs only
//! the event payload (a shared slice of the input buffer).

use std::alloc::System;
use std::sync::Arc;

use ftp_proto::server::{Answer, ServerConfig, ServerEvent, ServerSession};
use ftp_proto::{Instant, Session};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn drive(s: &mut ServerSession) {
    loop {
        while let Some(frame) = s.poll_transmit() {
            drop(frame);
        }
        let mut answered = false;
        while let Some(e) = s.poll_event() {
            if let ServerEvent::Request(r) = e {
                let a = match r.kind() {
                    ftp_proto::server::RequestKind::Login { .. } => Answer::LoggedIn { home: None },
                    _ => Answer::Done,
                };
                s.answer(Instant::ZERO, r, a).unwrap();
                answered = true;
            }
        }
        if !answered {
            return;
        }
    }
}

/// Allocations per command after a warm-up, one command per read.
fn per_command(s: &mut ServerSession, line: &[u8], n: usize) -> f64 {
    for _ in 0..64 {
        s.handle_input(Instant::ZERO, line);
        drive(s);
    }
    let region = Region::new(GLOBAL);
    for _ in 0..n {
        s.handle_input(Instant::ZERO, line);
        drive(s);
    }
    let c = region.change();
    (c.allocations + c.reallocations) as f64 / n as f64
}

#[test]
fn hot_path_commands_do_not_allocate() {
    let mut s = ServerSession::new(
        Instant::ZERO,
        Arc::new(ServerConfig::default()),
        "192.0.2.9:40000".parse().unwrap(),
        "192.0.2.1:21".parse().unwrap(),
    );
    s.handle_input(Instant::ZERO, b"USER a\r\nPASS b\r\n");
    drive(&mut s);
    let mut report = Vec::new();
    for line in [
        &b"NOOP\r\n"[..],
        b"PWD\r\n",
        b"TYPE I\r\n",
        b"SYST\r\n",
        b"MODE S\r\n",
    ] {
        let a = per_command(&mut s, line, 2000);
        report.push((String::from_utf8_lossy(line).trim().to_string(), a));
        assert!(
            a < 0.01,
            "{} allocates {a} times per command",
            String::from_utf8_lossy(line)
        );
    }
    let cwd = per_command(&mut s, b"CWD /pub/linux\r\n", 2000);
    report.push(("CWD /abs (answered)".into(), cwd));
    assert!(cwd <= 2.0, "CWD allocates {cwd} times per command");
    #[allow(clippy::print_stderr, reason = "the figures are part of the report")]
    {
        eprintln!("allocations per command: {report:?}");
    }
}
