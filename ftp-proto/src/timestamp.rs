//! Wall-clock timestamps in UTC, as FTP writes them.
//!
//! FTP carries times in one textual form, `YYYYMMDDHHMMSS[.F+]` in UTC (RFC 3659
//! §2.3: MDTM replies, MLSx `modify`/`create` facts, MFMT/MFCT arguments). LIST
//! lines and the example tools also need civil dates (`Mar 02 14:07`,
//! `2024-03-02T14:07:00Z`). [`Timestamp`] is seconds and nanoseconds since the
//! Unix epoch, with exact proleptic-Gregorian conversions and no clock reads.

use core::fmt;

/// Why a textual time value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Fewer than 14 digits, or a non-digit where a digit belongs.
    #[error("time value is not YYYYMMDDHHMMSS[.F]")]
    Syntax,
    /// A `.` with no digit after it, or a fraction longer than nine digits.
    #[error("bad fractional seconds")]
    Fraction,
    /// Digits that do not name a real date and time (month 13, February 30, hour 24...).
    #[error("date or time field out of range")]
    OutOfRange,
}

/// A UTC broken-down date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDateTime {
    /// Year (proleptic Gregorian; FTP time values use 1000..=9999).
    pub year: i32,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=60 (60 is accepted on input for leap seconds and folded into the next minute).
    pub second: u8,
}

/// A moment in UTC: seconds since 1970-01-01T00:00:00Z plus nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Shift the year so that it starts in March: the leap day is then the last day.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let m = i64::from(month);
    let month_from_march = if m > 2 { m - 3 } else { m + 9 }; // 0..=11
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // 0..=11, March-based
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The English three-letter month abbreviations used by `ls -l` style listings.
pub const MONTH_ABBREVIATIONS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self { secs: 0, nanos: 0 };

    /// A timestamp `secs` seconds and `nanos` nanoseconds after the epoch.
    /// Nanoseconds of a second or more carry into `secs`.
    #[must_use]
    pub const fn from_unix(secs: i64, nanos: u32) -> Self {
        let carry = (nanos / 1_000_000_000) as i64;
        Self {
            secs: secs.saturating_add(carry),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Whole seconds since the epoch (negative before 1970).
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Nanoseconds past [`Self::unix_seconds`], 0..1e9.
    #[must_use]
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The timestamp of a UTC civil date and time, or `None` if a field is out of range.
    /// A `second` of 60 (leap second) is folded into the next minute.
    #[must_use]
    pub fn from_civil(c: CivilDateTime) -> Option<Self> {
        let year = i64::from(c.year);
        if !(1..=12).contains(&c.month)
            || c.day == 0
            || c.day > days_in_month(year, c.month)
            || c.hour > 23
            || c.minute > 59
            || c.second > 60
        {
            return None;
        }
        let days = days_from_civil(year, u32::from(c.month), u32::from(c.day));
        let secs = days * 86_400
            + i64::from(c.hour) * 3600
            + i64::from(c.minute) * 60
            + i64::from(c.second);
        Some(Self { secs, nanos: 0 })
    }

    /// The UTC civil date and time of this timestamp (sub-second part dropped).
    #[must_use]
    pub fn to_civil(self) -> CivilDateTime {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            month: month as u8,
            day: day as u8,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// Parses an RFC 3659 time value, `YYYYMMDDHHMMSS[.F+]` (UTC).
    ///
    /// Up to nine fraction digits are kept; a year of 0000 or a `.` without a
    /// digit is refused. The Y2K bug form `19100...` is refused as out of range.
    pub fn parse_ftp(text: &[u8]) -> Result<Self, TimestampError> {
        if text.len() < 14 {
            return Err(TimestampError::Syntax);
        }
        let (main, rest) = text.split_at(14);
        if !main.iter().all(u8::is_ascii_digit) {
            return Err(TimestampError::Syntax);
        }
        let num = |range: core::ops::Range<usize>| -> u32 {
            main[range]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let year = num(0..4);
        if year == 0 {
            return Err(TimestampError::OutOfRange);
        }
        let civil = CivilDateTime {
            year: year as i32,
            month: num(4..6) as u8,
            day: num(6..8) as u8,
            hour: num(8..10) as u8,
            minute: num(10..12) as u8,
            second: num(12..14) as u8,
        };
        let mut ts = Self::from_civil(civil).ok_or(TimestampError::OutOfRange)?;
        match rest {
            [] => {}
            [b'.', frac @ ..] => {
                if frac.is_empty() || frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
                    return Err(TimestampError::Fraction);
                }
                let mut nanos = 0u32;
                for i in 0..9 {
                    nanos = nanos * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
                }
                ts.nanos = nanos;
            }
            _ => return Err(TimestampError::Syntax),
        }
        Ok(ts)
    }

    /// The RFC 3659 form `YYYYMMDDHHMMSS`, with `.fff` milliseconds appended
    /// when `with_millis` is set and the sub-second part is not zero.
    #[must_use]
    pub fn ftp(self, with_millis: bool) -> FtpTime {
        FtpTime {
            ts: self,
            with_millis,
        }
    }

    /// The ISO 8601 form `YYYY-MM-DDTHH:MM:SSZ` (seconds precision).
    #[must_use]
    pub fn iso8601(self) -> Iso8601 {
        Iso8601(self)
    }
}

/// Arbitrary timestamps in years 0001..=9999, the range FTP time values can
/// carry, with any nanoseconds.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Timestamp {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let secs = u.int_in_range(-62_135_596_800i64..=253_402_300_799)?;
        let nanos = u.int_in_range(0u32..=999_999_999)?;
        Ok(Self { secs, nanos })
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (12, Some(12))
    }
}

/// Display adapter for the RFC 3659 time value form; see [`Timestamp::ftp`].
#[derive(Debug, Clone, Copy)]
pub struct FtpTime {
    ts: Timestamp,
    with_millis: bool,
}

impl fmt::Display for FtpTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.ts.to_civil();
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )?;
        let millis = self.ts.nanos / 1_000_000;
        if self.with_millis && millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        Ok(())
    }
}

/// Display adapter for `YYYY-MM-DDTHH:MM:SSZ`; see [`Timestamp::iso8601`].
#[derive(Debug, Clone, Copy)]
pub struct Iso8601(Timestamp);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.to_civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
}

/// A system time (times before 1970 included; a time beyond `i64` seconds
/// saturates).
#[cfg(feature = "std")]
impl From<std::time::SystemTime> for Timestamp {
    fn from(time: std::time::SystemTime) -> Self {
        match time.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => Self::from_unix(
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                let before = before.duration();
                let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                if before.subsec_nanos() == 0 {
                    Self::from_unix(-secs, 0)
                } else {
                    Self::from_unix(
                        (-secs).saturating_sub(1),
                        1_000_000_000 - before.subsec_nanos(),
                    )
                }
            }
        }
    }
}

#[cfg(feature = "std")]
impl Timestamp {
    /// This time as a system time; `None` if the platform cannot represent
    /// it (a date far before 1970 or after 2262 on some platforms).
    #[must_use]
    pub fn to_system_time(self) -> Option<std::time::SystemTime> {
        let whole = core::time::Duration::from_secs(self.secs.unsigned_abs());
        let base = if self.secs >= 0 {
            std::time::UNIX_EPOCH.checked_add(whole)
        } else {
            std::time::UNIX_EPOCH.checked_sub(whole)
        }?;
        base.checked_add(core::time::Duration::from_nanos(u64::from(self.nanos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        let t = Timestamp::parse_ftp(b"19940916055648").unwrap();
        assert_eq!(t.unix_seconds(), 779_695_008);
        assert_eq!(t.ftp(true).to_string(), "19940916055648");
        assert_eq!(t.iso8601().to_string(), "1994-09-16T05:56:48Z");
        let leap = Timestamp::parse_ftp(b"20240229235959.5").unwrap();
        assert_eq!(leap.subsec_nanos(), 500_000_000);
        assert_eq!(leap.ftp(true).to_string(), "20240229235959.500");
        assert_eq!(leap.ftp(false).to_string(), "20240229235959");
        let pre = Timestamp::from_unix(-1, 0);
        assert_eq!(pre.iso8601().to_string(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn refuses_bad_values() {
        for bad in [
            &b""[..],
            b"2024010112000",
            b"2024010112000x",
            b"20240101120000.",
            b"20240101120000.1234567890",
            b"20240101120000x",
        ] {
            assert!(Timestamp::parse_ftp(bad).is_err(), "{bad:?}");
        }
        for range in [
            &b"20230229000000"[..],
            b"20241301000000",
            b"20240100000000",
            b"20240101240000",
            b"00000101000000",
            b"19100101000000x",
        ] {
            assert!(Timestamp::parse_ftp(range).is_err(), "{range:?}");
        }
        // Leap second folds into the next minute.
        let t = Timestamp::parse_ftp(b"20161231235960").unwrap();
        assert_eq!(t.iso8601().to_string(), "2017-01-01T00:00:00Z");
    }

    proptest! {
        #[test]
        fn civil_round_trip(secs in -62_135_596_800i64..253_402_300_799i64) {
            let t = Timestamp::from_unix(secs, 0);
            prop_assert_eq!(Timestamp::from_civil(t.to_civil()), Some(t));
        }

        #[test]
        fn ftp_text_round_trip(secs in -30_610_224_000i64..253_402_300_799i64, millis in 0u32..1000) {
            let t = Timestamp::from_unix(secs, millis * 1_000_000);
            let text = t.ftp(true).to_string();
            prop_assert_eq!(Timestamp::parse_ftp(text.as_bytes()), Ok(t));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = Timestamp::parse_ftp(&bytes);
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn system_time_round_trips_both_sides_of_the_epoch() {
        for (secs, nanos) in [
            (0, 0),
            (1_704_164_645, 123_456_789),
            (-1, 0),
            (-1, 999_999_999),
            (-86_400 * 365, 250_000_000),
        ] {
            let stamp = Timestamp::from_unix(secs, nanos);
            let system = stamp.to_system_time().expect("representable");
            assert_eq!(Timestamp::from(system), stamp, "{secs} {nanos}");
        }
    }
}
