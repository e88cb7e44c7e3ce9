//! Whole generated sessions, client engine against server engine in
//! memory (`ftp_proto::testing::Pair`), with fuzzer-chosen read boundaries,
//! a cut control connection and dropped data connections. Every queued
//! operation must end, downloads must be exact, and the harness must see
//! nothing odd between the engines.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use ftp_proto::testing::{Operation, Pair};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    chunk: Option<u8>,
    cut: Option<u16>,
    drop_data: Option<u16>,
    ops: Vec<Operation>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut pair = Pair::new();
    pair.faults.control_chunk = input.chunk.map(usize::from);
    pair.faults.close_control_after = input.cut.map(usize::from);
    pair.faults.drop_data_after = input.drop_data.map(usize::from);
    for op in input.ops.iter().take(64) {
        if let Err(broken) = pair.run_checked(op) {
            panic!("{broken}");
        }
    }
    assert!(pair.anomalies.is_empty(), "{:?}", pair.anomalies);
});
