//! Line framing and parsing throughput (filled in by the codec work).
fn main() {}
