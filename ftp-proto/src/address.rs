//! Host-port forms of the data connection setup: `PORT` and `EPRT` arguments,
//! `227` (PASV) and `229` (EPSV) reply texts. Parsers take borrowed bytes and
//! never allocate; renderers append to a [`BytesMut`].
//!
//! - `PORT h1,h2,h3,h4,p1,p2` (RFC 959): six decimals 0..=255 (RFC 959 says
//!   1..=255 but 0 is everywhere); port = p1 * 256 + p2.
//! - `EPRT <d>1<d>a.b.c.d<d>port<d>` / `<d>2<d>ipv6<d>port<d>` (RFC 2428): `d`
//!   is any ASCII byte 33..=126; another family number is
//!   [`AddressError::UnsupportedFamily`] (the server answers 522). We render `|`.
//! - `227` text: parentheses are optional (RFC 1123 §4.1.2.6), so the parser
//!   scans for the first run of six comma-separated decimals, each at most
//!   255, wherever it is: `Entering Passive Mode (192,0,2,7,195,80).`,
//!   `Data transfer will passively listen to 127,0,0,1,4,51`, ...
//! - `229` text: `(<d><d><d>port<d>)` with three identical delimiters 33..=126;
//!   the host is always the control connection's peer.

use core::fmt::Write as _;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use bytes::BytesMut;

/// Why an address text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The text does not follow the form's syntax, or a number is out of range.
    #[error("malformed host-port")]
    Syntax,
    /// `EPRT` names a network protocol other than 1 (IPv4) or 2 (IPv6).
    #[error("unsupported network protocol")]
    UnsupportedFamily,
    /// No host-port (227) or port (229) could be found in a reply text.
    #[error("no address in reply text")]
    NotFound,
}

/// A decimal of 1..=`max_digits` digits.
fn decimal(text: &[u8], max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits {
        return None;
    }
    text.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn byte_field(text: &[u8]) -> Option<u8> {
    decimal(text, 3).and_then(|n| u8::try_from(n).ok())
}

fn from_six(f: [u8; 6]) -> SocketAddrV4 {
    let [a, b, c, d, p1, p2] = f;
    SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), u16::from_be_bytes([p1, p2]))
}

/// Parses a `PORT` argument `h1,h2,h3,h4,p1,p2`.
pub fn parse_port_argument(text: &[u8]) -> Result<SocketAddrV4, AddressError> {
    let mut fields = [0u8; 6];
    let mut parts = text.split(|&b| b == b',');
    for slot in &mut fields {
        *slot = parts
            .next()
            .and_then(byte_field)
            .ok_or(AddressError::Syntax)?;
    }
    if parts.next().is_some() {
        return Err(AddressError::Syntax);
    }
    Ok(from_six(fields))
}

fn write_six(addr: SocketAddrV4, out: &mut BytesMut) {
    let [a, b, c, d] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    // Writing to a BytesMut cannot fail.
    let _ = write!(out, "{a},{b},{c},{d},{p1},{p2}");
}

/// Appends a `PORT` argument `h1,h2,h3,h4,p1,p2`.
pub fn write_port_argument(addr: SocketAddrV4, out: &mut BytesMut) {
    write_six(addr, out);
}

/// Parses an `EPRT` argument `<d>af<d>addr<d>port<d>`.
pub fn parse_eprt_argument(text: &[u8]) -> Result<SocketAddr, AddressError> {
    let Some((&d, rest)) = text.split_first() else {
        return Err(AddressError::Syntax);
    };
    if !(33..=126).contains(&d) {
        return Err(AddressError::Syntax);
    }
    let Some((&last, body)) = rest.split_last() else {
        return Err(AddressError::Syntax);
    };
    if last != d {
        return Err(AddressError::Syntax);
    }
    let mut parts = body.split(|&b| b == d);
    let (Some(af), Some(host), Some(port), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AddressError::Syntax);
    };
    let port = decimal(port, 5)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(AddressError::Syntax)?;
    let host = core::str::from_utf8(host).map_err(|_| AddressError::Syntax)?;
    let ip = match decimal(af, 5) {
        Some(1) => IpAddr::V4(host.parse::<Ipv4Addr>().map_err(|_| AddressError::Syntax)?),
        Some(2) => IpAddr::V6(host.parse::<Ipv6Addr>().map_err(|_| AddressError::Syntax)?),
        Some(_) => return Err(AddressError::UnsupportedFamily),
        None => return Err(AddressError::Syntax),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Appends an `EPRT` argument `|1|a.b.c.d|port|` or `|2|ipv6|port|` (an IPv6
/// scope id or flow label cannot be carried and is left out).
pub fn write_eprt_argument(addr: SocketAddr, out: &mut BytesMut) {
    let family = if addr.is_ipv4() { 1 } else { 2 };
    let _ = write!(out, "|{family}|{}|{}|", addr.ip(), addr.port());
}

/// Finds the host-port of a `227` reply text: the first run of six
/// comma-separated decimals, each at most 255 (RFC 1123 §4.1.2.6).
pub fn parse_pasv_reply(text: &[u8]) -> Result<SocketAddrV4, AddressError> {
    let mut start = 0;
    while let Some(i) = text
        .get(start..)
        .and_then(|rest| rest.iter().position(u8::is_ascii_digit))
    {
        let at = start + i;
        if let Some(addr) = six_at(text.get(at..).unwrap_or_default()) {
            return Ok(addr);
        }
        // Skip the rest of this digit run: a run starts only after a non-digit.
        let run = text
            .get(at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        start = at + run.max(1);
    }
    Err(AddressError::NotFound)
}

/// Six comma-separated decimals at the start of `text`; the sixth must not be
/// followed by another digit.
fn six_at(text: &[u8]) -> Option<SocketAddrV4> {
    let mut fields = [0u8; 6];
    let mut rest = text;
    for (i, slot) in fields.iter_mut().enumerate() {
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        *slot = byte_field(rest.get(..len)?)?;
        rest = rest.get(len..)?;
        if i < 5 {
            rest = rest.strip_prefix(b",")?;
        }
    }
    Some(from_six(fields))
}

/// Appends the `227` text `Entering Passive Mode (h1,h2,h3,h4,p1,p2).` (the
/// reply code is added by the reply layer).
pub fn write_pasv_reply(addr: SocketAddrV4, out: &mut BytesMut) {
    out.extend_from_slice(b"Entering Passive Mode (");
    write_six(addr, out);
    out.extend_from_slice(b").");
}

/// Finds the port of a `229` reply text: `(<d><d><d>port<d>)`.
pub fn parse_epsv_reply(text: &[u8]) -> Result<u16, AddressError> {
    let mut start = 0;
    while let Some(i) = text
        .get(start..)
        .and_then(|rest| memchr::memchr(b'(', rest))
    {
        let at = start + i;
        if let Some(port) = text.get(at + 1..).and_then(epsv_at) {
            return Ok(port);
        }
        start = at + 1;
    }
    Err(AddressError::NotFound)
}

fn epsv_at(text: &[u8]) -> Option<u16> {
    let [d, d2, d3, rest @ ..] = text else {
        return None;
    };
    if !(33..=126).contains(d) || d2 != d || d3 != d || d.is_ascii_digit() {
        return None;
    }
    let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let port = decimal(rest.get(..len)?, 5).and_then(|p| u16::try_from(p).ok())?;
    match rest.get(len..)? {
        [end, b')', ..] if end == d => Some(port),
        _ => None,
    }
}

/// Appends the `229` text `Entering Extended Passive Mode (|||port|)`.
pub fn write_epsv_reply(port: u16, out: &mut BytesMut) {
    let _ = write!(out, "Entering Extended Passive Mode (|||{port}|)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::SocketAddrV6;
    use proptest::prelude::*;

    fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    #[test]
    fn port_argument() {
        assert_eq!(
            parse_port_argument(b"127,0,0,1,4,51"),
            Ok(v4([127, 0, 0, 1], 1075))
        );
        assert_eq!(parse_port_argument(b"0,0,0,0,0,0"), Ok(v4([0; 4], 0)));
        for bad in [
            &b""[..],
            b"1,2,3,4,5",
            b"1,2,3,4,5,6,7",
            b"1,2,3,4,5,256",
            b"1,2,3,4,5,",
            b"1,2,3,4,5, 6",
            b"1,2,3,4,5,0006",
            b"a,2,3,4,5,6",
        ] {
            assert_eq!(
                parse_port_argument(bad),
                Err(AddressError::Syntax),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn eprt_argument() {
        assert_eq!(
            parse_eprt_argument(b"|1|132.235.1.2|6275|"),
            Ok(SocketAddr::V4(v4([132, 235, 1, 2], 6275)))
        );
        assert_eq!(
            parse_eprt_argument(b"!2!1080::8:800:200C:417A!5282!"),
            Ok("[1080::8:800:200C:417A]:5282".parse().unwrap())
        );
        assert_eq!(
            parse_eprt_argument(b"|3|x|1|"),
            Err(AddressError::UnsupportedFamily)
        );
        for bad in [
            &b""[..],
            b"|",
            b"||",
            b"|1|1.2.3.4|5",
            b"|1|1.2.3.4|70000|",
            b"|1|::1|5|",
            b"|2|1.2.3.4|5|",
            b"|1|1.2.3.4|5|6|",
            b" 1 1.2.3.4 5 ",
            b"|x|1.2.3.4|5|",
        ] {
            assert_eq!(
                parse_eprt_argument(bad),
                Err(AddressError::Syntax),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn pasv_reply() {
        let want = Ok(v4([127, 0, 0, 1], 1075));
        for text in [
            &b"Entering Passive Mode (127,0,0,1,4,51)."[..],
            b"Entering passive mode (127,0,0,1,4,51)",
            b"Data transfer will passively listen to 127,0,0,1,4,51",
            b"Entering passive mode. 127,0,0,1,4,51",
            b"=127,0,0,1,4,51",
            b"1999 (300,1,2,3,4,5) 127,0,0,1,4,51",
            b"(1,2,3) 127,0,0,1,4,51",
        ] {
            assert_eq!(parse_pasv_reply(text), want, "{text:?}");
        }
        for bad in [
            &b""[..],
            b"Entering Passive Mode",
            b"(1,2,3,4,5)",
            b"1,2,3,4,5,256",
        ] {
            assert_eq!(
                parse_pasv_reply(bad),
                Err(AddressError::NotFound),
                "{bad:?}"
            );
        }
        let mut out = BytesMut::new();
        write_pasv_reply(v4([192, 0, 2, 7], 50000), &mut out);
        assert_eq!(&out[..], b"Entering Passive Mode (192,0,2,7,195,80).");
    }

    #[test]
    fn epsv_reply() {
        assert_eq!(
            parse_epsv_reply(b"Entering Extended Passive Mode (|||6446|)"),
            Ok(6446)
        );
        assert_eq!(parse_epsv_reply(b"x (!!!1!) (|||2|)"), Ok(1));
        assert_eq!(parse_epsv_reply(b"(|||) (###21#)"), Ok(21));
        for bad in [
            &b""[..],
            b"(|||6446)",
            b"(||6446|)",
            b"(|!|6446|)",
            b"(|||70000|)",
            b"(111)",
        ] {
            assert_eq!(
                parse_epsv_reply(bad),
                Err(AddressError::NotFound),
                "{bad:?}"
            );
        }
        let mut out = BytesMut::new();
        write_epsv_reply(6446, &mut out);
        assert_eq!(&out[..], b"Entering Extended Passive Mode (|||6446|)");
    }

    proptest! {
        #[test]
        fn round_trips(ip in any::<[u8; 4]>(), ip6 in any::<[u16; 8]>(), port in any::<u16>()) {
            let a = v4(ip, port);
            let mut out = BytesMut::new();
            write_port_argument(a, &mut out);
            prop_assert_eq!(parse_port_argument(&out), Ok(a));
            out.clear();
            write_pasv_reply(a, &mut out);
            prop_assert_eq!(parse_pasv_reply(&out), Ok(a));
            out.clear();
            write_epsv_reply(port, &mut out);
            prop_assert_eq!(parse_epsv_reply(&out), Ok(port));
            for sa in [SocketAddr::V4(a), SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip6), port, 0, 0))] {
                out.clear();
                write_eprt_argument(sa, &mut out);
                prop_assert_eq!(parse_eprt_argument(&out), Ok(sa));
            }
        }

        #[test]
        fn never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_port_argument(&bytes);
            let _ = parse_eprt_argument(&bytes);
            let _ = parse_pasv_reply(&bytes);
            let _ = parse_epsv_reply(&bytes);
        }
    }
}
