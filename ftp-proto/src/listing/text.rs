//! Small byte-text helpers the LIST parsers share: blanks, words, numbers.

use crate::number::decimal_u64;

/// Whether `b` separates columns (space or tab).
pub(crate) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits off the first word after leading blanks: `(word, rest)`, where
/// `rest` starts with the blank after the word (or is empty).
pub(crate) fn split_word(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = text.iter().position(|&b| !is_blank(b))?;
    let text = text.get(start..)?;
    let end = text.iter().position(|&b| is_blank(b)).unwrap_or(text.len());
    Some(text.split_at(end))
}

/// The text after leading blanks.
pub(crate) fn skip_blanks(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(text.len());
    text.get(start..).unwrap_or_default()
}

/// A decimal number of 1 to `max_len` digits as `u32` (`max_len` ≤ 9).
pub(crate) fn small_decimal(text: &[u8], max_len: usize) -> Option<u32> {
    if text.len() > max_len.min(9) {
        return None;
    }
    u32::try_from(decimal_u64(text)?).ok()
}

/// Unix permission bits from 1 to 4 octal digits (`644`, `0755`).
pub(crate) fn octal_mode(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 4 {
        return None;
    }
    text.iter().try_fold(0u32, |acc, &d| {
        matches!(d, b'0'..=b'7').then(|| (acc << 3) | u32::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(split_word(b"  ab\tcd"), Some((&b"ab"[..], &b"\tcd"[..])));
        assert_eq!(split_word(b" \t "), None);
        assert_eq!(skip_blanks(b" \t x y"), b"x y");
        assert_eq!(small_decimal(b"123", 2), None);
        assert_eq!(small_decimal(b"12", 2), Some(12));
        assert_eq!(octal_mode(b"0755"), Some(0o755));
        assert_eq!(octal_mode(b"8"), None);
        assert_eq!(octal_mode(b"07777"), None);
    }
}
