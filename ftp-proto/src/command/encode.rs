//! Command rendering (in progress).
/// An encode error (in progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {}
