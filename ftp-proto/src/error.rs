//! Errors that belong to no single codec module.
//!
//! Whose fault is it? The engines keep three kinds apart:
//! - the **peer's** mistakes become protocol replies (500/501/503...) or a
//!   close event, never an `Err` from an input method;
//! - the **embedder's** mistakes (answering a request twice, in the wrong
//!   state, with an unknown id) are a [`UsageError`], which changes no state
//!   and hands the offending value back;
//! - parse errors of the codec are small `Copy` enums in their own modules.

use core::fmt;

/// What the embedder did wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UsageErrorKind {
    /// The id does not name anything this session is waiting for (never issued, or already finished).
    #[error("unknown or finished id (answered already, timed out, or never issued); nothing to do")]
    UnknownId,
    /// The session is not in a state where this call makes sense.
    #[error("call not valid in the current state")]
    WrongState,
    /// The answer does not fit the request it was given for.
    #[error(
        "answer does not match the request; the request is handed back in `value`: answer it again with a fitting answer"
    )]
    MismatchedAnswer,
    /// The session has closed; it takes no more calls of this kind.
    #[error("session is closed")]
    Closed,
    /// A queue or buffer limit would be exceeded.
    #[error("limit exceeded")]
    LimitExceeded,
    /// The value cannot be sent (for example a command argument containing CR or LF).
    #[error("value cannot be sent")]
    InvalidValue,
}

/// The embedder called the engine wrongly. Nothing changed; the value passed in comes back in `value`.
///
/// Dropping one can leave work undone: a refused answer hands back the
/// request, which still waits for a fitting answer (until the engine's answer
/// timeout, if one is set, fails the command).
#[derive(Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind}")]
#[must_use = "a usage error hands back the value passed in (a refused answer returns its request, which still waits for an answer)"]
pub struct UsageError<T = ()> {
    /// What was wrong.
    pub kind: UsageErrorKind,
    /// The value the caller handed in, returned untouched.
    pub value: T,
}

impl<T> UsageError<T> {
    /// A usage error of `kind` carrying `value` back to the caller.
    pub const fn new(kind: UsageErrorKind, value: T) -> Self {
        Self { kind, value }
    }

    /// Drops the returned value, keeping only the kind.
    pub fn without_value(self) -> UsageError {
        UsageError {
            kind: self.kind,
            value: (),
        }
    }
}

impl<T> fmt::Debug for UsageError<T> {
    /// The value is not printed: it may hold a password or a large buffer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
