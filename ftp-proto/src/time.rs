//! Monotonic time as a value.
//!
//! The engine never reads a clock. The caller picks an origin (for example the
//! moment its process started, or zero in a simulation) and passes every "now"
//! as an [`Instant`]: a [`Duration`] since that origin. Deadlines come back out
//! as `Instant`s on the same scale.

use core::fmt;
use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on the caller's monotonic clock, measured from an origin the caller chose.
///
/// Adapters typically keep a `std::time::Instant` origin and convert with
/// [`Instant::from_duration`]`(std_now - origin)`; simulations start at
/// [`Instant::ZERO`] and advance by hand.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The origin of the caller's clock.
    pub const ZERO: Self = Self(Duration::ZERO);

    /// The instant `since_origin` after the caller's origin.
    #[must_use]
    pub const fn from_duration(since_origin: Duration) -> Self {
        Self(since_origin)
    }

    /// The instant `millis` milliseconds after the origin (handy in tests).
    #[must_use]
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    /// The instant `secs` seconds after the origin (handy in tests).
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// How long after the origin this instant is.
    #[must_use]
    pub const fn as_duration(self) -> Duration {
        self.0
    }

    /// `self + d`, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        self.0.checked_add(d).map(Self)
    }

    /// `self + d`, clamped at the largest representable instant.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Self;
    /// Saturating addition: deadlines far in the future clamp instead of overflowing.
    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl Sub for Instant {
    type Output = Duration;
    /// Saturating difference: an earlier `self` gives zero.
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let a = Instant::from_secs(5);
        assert_eq!(a + Duration::from_secs(2), Instant::from_secs(7));
        assert_eq!(a - Instant::from_secs(7), Duration::ZERO);
        assert_eq!(Instant::from_secs(7) - a, Duration::from_secs(2));
        let max = Instant::from_duration(Duration::MAX);
        assert_eq!(max + Duration::from_secs(1), max);
        assert_eq!(max.checked_add(Duration::from_secs(1)), None);
        assert!(Instant::ZERO < Instant::from_millis(1));
    }
}
