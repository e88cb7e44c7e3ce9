//! The blocking server under load: 200 sessions held open at once, 16 of
//! them transferring concurrently (uploads and downloads of distinct
//! contents), every byte checked, and every idle session still answering
//! afterwards. Bounded in time by the raw clients' I/O timeouts.

use std::thread;

use ftp_proto_tests::ours::{Flavor, Setup, TestServer};
use ftp_proto_tests::peers::RawControl;

const SESSIONS: usize = 200;
const BUSY: usize = 16;

/// Distinct contents per transfer: `len` bytes seeded by `seed`.
fn contents(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 31 + seed * 17 + i / 251) % 256).unwrap())
        .collect()
}

fn transfer_round_trip(mut c: RawControl, i: usize) -> RawControl {
    assert_eq!(c.command("TYPE I").unwrap().code, 200);
    let body = contents(i, 512 * 1024 + i * 4099);
    let name = format!("load-{i}.bin");
    let (_, data) = c.epsv().unwrap();
    let (first, last) = c
        .transfer_out(data.unwrap(), &format!("STOR {name}"), &body)
        .unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    assert_eq!(last.unwrap().code, 226);
    let (_, data) = c.epsv().unwrap();
    let (first, got, last) = c
        .transfer_in(data.unwrap(), &format!("RETR {name}"))
        .unwrap();
    assert_eq!(first.class(), 1, "{first:?}");
    assert_eq!(last.unwrap().code, 226);
    assert!(got == body, "session {i}: downloaded bytes differ");
    c
}

#[test]
fn two_hundred_sessions_with_sixteen_concurrent_transfers() {
    let server = TestServer::start(Flavor::Std, &Setup::default()).unwrap();
    let mut sessions: Vec<RawControl> = (0..SESSIONS).map(|_| server.raw_login()).collect();
    let busy: Vec<RawControl> = sessions.drain(..BUSY).collect();
    let workers: Vec<_> = busy
        .into_iter()
        .enumerate()
        .map(|(i, c)| thread::spawn(move || transfer_round_trip(c, i)))
        .collect();
    // While those transfer, the idle sessions still answer.
    for c in sessions.iter_mut().step_by(8) {
        assert_eq!(c.command("NOOP").unwrap().code, 200);
    }
    let mut done: Vec<RawControl> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for i in 0..BUSY {
        let on_disk = std::fs::read(server.root().join(format!("load-{i}.bin"))).unwrap();
        assert!(
            on_disk == contents(i, 512 * 1024 + i * 4099),
            "file {i} differs"
        );
    }
    for c in sessions.iter_mut().chain(done.iter_mut()) {
        assert_eq!(c.command("NOOP").unwrap().code, 200);
    }
    for c in &mut done {
        assert_eq!(c.command("QUIT").unwrap().code, 221);
    }
    server.assert_healthy();
}
