//! [`Secret`]: a password or account name that is never printed.

use core::fmt;

use bytes::Bytes;

/// A password or account (or any other secret value), as both roles pass
/// it: the client queues it with a login, the server hands it to the
/// embedder in a login request. Its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub(crate) Bytes);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<Bytes>) -> Self {
        Self(value.into())
    }

    /// The secret bytes. Compare them in constant time; never log them.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new(&b"hunter2"[..]);
        assert_eq!(alloc::format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), b"hunter2");
    }
}
