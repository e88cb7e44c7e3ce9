//! NLST lines: one name per line (RFC 959 §4.1.3, RFC 1123 §4.1.2.7).

use bytes::BytesMut;

use super::{ListingError, check_name};

/// Appends `name` CRLF to `out`, the NLST line of one entry.
///
/// Names holding CR, LF or NUL, and empty names, are refused and nothing is
/// written (see the [module docs](super)); the server skips the entry.
pub fn write_nlst_line(name: &[u8], out: &mut BytesMut) -> Result<(), ListingError> {
    check_name(name)?;
    out.reserve(name.len() + 2);
    out.extend_from_slice(name);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nlst() {
        let mut out = BytesMut::new();
        write_nlst_line(b"a b.txt", &mut out).unwrap();
        assert_eq!(
            write_nlst_line(b"evil\r\n226 ok", &mut out),
            Err(ListingError::UnsafeName)
        );
        assert_eq!(write_nlst_line(b"", &mut out), Err(ListingError::EmptyName));
        assert_eq!(&out[..], b"a b.txt\r\n");
    }
}
