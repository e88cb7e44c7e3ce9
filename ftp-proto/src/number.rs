//! Decimal numbers in protocol text (`REST`, `PBSZ`, sizes and dates of
//! listings), parsed strictly: digits only, no sign, no blanks, and a value
//! that fits, or nothing.

/// A decimal number of one or more ASCII digits that fits in `u64`
/// (leading zeros allowed).
pub(crate) fn decimal_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_only_and_in_range() {
        assert_eq!(decimal_u64(b"0"), Some(0));
        assert_eq!(decimal_u64(b"000042"), Some(42));
        assert_eq!(decimal_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(decimal_u64(b"18446744073709551616"), None);
        assert_eq!(decimal_u64(b""), None);
        assert_eq!(decimal_u64(b"1a"), None);
        assert_eq!(decimal_u64(b"+1"), None);
        assert_eq!(decimal_u64(b" 1"), None);
    }
}
