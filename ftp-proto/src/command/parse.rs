//! Command parsing (in progress).
/// A parse error (in progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {}
