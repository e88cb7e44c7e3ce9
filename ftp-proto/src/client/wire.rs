//! The client's glue to the shared codec: which codec function reads which
//! reply text or data line, plus the few reply-text conventions that belong
//! to the client alone (the `(N bytes)` size hint of a `150`, `FILE: name` of
//! a STOU `150`, and the passive-address NAT rule).
//!
//! Nothing here re-implements the codec: commands are rendered by
//! [`Command::encode`](crate::command::Command::encode), replies framed by
//! [`ReplyParser`], `227`/`229` texts read by [`address`], `257` paths by
//! [`path::parse_257`](crate::path::parse_257) and listing lines by
//! [`listing`].

use bytes::Bytes;
use core::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use super::config::ClientConfig;
use crate::address;
use crate::listing::{self, FileInfo, FileKind};
use crate::reply::{ReplyParser, ReplyParserConfig};
use crate::timestamp::Timestamp;

pub use crate::reply::Reply;

// ---------------------------------------------------------------- replies

/// The reply parser settings a client configuration asks for. One line may
/// never be longer than a whole reply.
pub(crate) fn reply_parser_config(config: &ClientConfig) -> ReplyParserConfig {
    ReplyParserConfig::default()
        .with_accept_bare_lf(config.accept_bare_lf)
        .with_accept_bare_code(config.accept_bare_code)
        .with_lenient_multiline_end(config.lenient_multiline)
        .with_max_reply_len(config.max_reply_bytes)
        .with_max_line_len(config.max_reply_line.min(config.max_reply_bytes))
        .with_max_lines(config.max_reply_lines)
}

/// A reply parser for `config`.
pub(crate) fn reply_parser(config: &ClientConfig) -> ReplyParser {
    ReplyParser::new(reply_parser_config(config))
}

// ---------------------------------------------------------------- addresses

/// The host-port of a `227` text.
pub(crate) fn pasv_address(text: &[u8]) -> Option<SocketAddrV4> {
    address::parse_pasv_reply(text).ok()
}

/// The port of a `229` text (port 0 cannot be connected to).
pub(crate) fn epsv_port(text: &[u8]) -> Option<u16> {
    address::parse_epsv_reply(text).ok().filter(|&p| p != 0)
}

/// `(N bytes)` in a `150` text.
pub(crate) fn size_hint(text: &[u8]) -> Option<u64> {
    let open = memchr::memrchr(b'(', text)?;
    let inner = text.get(open + 1..)?;
    let len = inner.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > 19 || !inner.get(len..)?.starts_with(b" bytes") {
        return None;
    }
    core::str::from_utf8(inner.get(..len)?).ok()?.parse().ok()
}

/// `FILE: name` in a STOU preliminary (RFC 1123 §4.1.2.9); `text` lies inside `raw`.
pub(crate) fn stou_name(raw: &Bytes, text: &[u8]) -> Option<Bytes> {
    let at = text
        .windows(5)
        .position(|w| w.eq_ignore_ascii_case(b"FILE:"))?;
    let rest = text.get(at + 5..)?;
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let end = rest
        .iter()
        .position(|&b| b == b' ' || b == b'\r')
        .unwrap_or(rest.len());
    let name = rest.get(..end)?;
    if name.is_empty() {
        return None;
    }
    Some(if raw.as_ptr_range().contains(&name.as_ptr()) {
        raw.slice_ref(name)
    } else {
        Bytes::copy_from_slice(name)
    })
}

/// Whether an IPv4 address is private, loopback, link-local or shared (CGNAT).
fn is_internal(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private() || ip.is_loopback() || ip.is_link_local() || (a == 100 && (b & 0xC0) == 64)
}

/// lftp's rule: the 227 address is unusable when unspecified, multicast,
/// broadcast, or on the other side of the private/public divide from `peer`.
pub(crate) fn pasv_address_unusable(announced: Ipv4Addr, peer: IpAddr) -> bool {
    if announced.is_unspecified() || announced.is_multicast() || announced.is_broadcast() {
        return true;
    }
    match peer {
        IpAddr::V4(p) => is_internal(p) != is_internal(announced),
        IpAddr::V6(p) => match p.to_ipv4_mapped() {
            Some(p) => is_internal(p) != is_internal(announced),
            None => true,
        },
    }
}

// ---------------------------------------------------------------- listings

/// Which listing grammar a data connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingFormat {
    /// `MLSD`: fact lines.
    Mlsd,
    /// `LIST`: Unix, MS-DOS, OS/2, EPLF or IBM i lines, detected per line.
    List,
}

/// One listing line: an entry, or a line that is none (`total N`, garbage,
/// the listed directory itself and its parent).
pub(crate) fn parse_listing_line(
    format: ListingFormat,
    line: &Bytes,
    wall_clock: Option<Timestamp>,
) -> Option<FileInfo> {
    let entry = match format {
        ListingFormat::Mlsd => parse_mlsx(line)?,
        ListingFormat::List => parse_list(line, wall_clock)?,
    };
    let own_dirs = matches!(
        entry.kind,
        FileKind::CurrentDirectory | FileKind::ParentDirectory
    ) || matches!(&entry.name[..], b"." | b"..");
    (!own_dirs).then_some(entry)
}

/// An `MLSD` line, or the fact line of an `MLST` reply without its leading
/// space; the name and other byte fields share `line`'s buffer.
pub(crate) fn parse_mlsx(line: &Bytes) -> Option<FileInfo> {
    listing::mlsx::parse(listing::Src::shared(line))
}

/// The reference "now" for year-less Unix dates when the caller gave no wall
/// clock, and a second one to tell guessed years from written ones.
const NO_CLOCK: Timestamp = Timestamp::from_unix(15_638_400, 0); // 1970-07-01
const NO_CLOCK_CHECK: Timestamp = Timestamp::from_unix(962_409_600, 0); // 2000-07-01
/// How far back of [`NO_CLOCK`] a guessed year can fall (Feb 29 walks back to a leap year).
const GUESS_SPAN_SECS: i64 = 9 * 366 * 86_400;

/// A `LIST` line. Year-less Unix dates (`Mon DD HH:MM`) are placed with
/// `wall_clock`; without one their time is left unknown rather than guessed.
fn parse_list(line: &Bytes, wall_clock: Option<Timestamp>) -> Option<FileInfo> {
    if let Some(now) = wall_clock {
        return listing::parse_list_line_bytes(line, now);
    }
    let mut entry = listing::parse_list_line_bytes(line, NO_CLOCK)?;
    let guessable = entry.modified.is_some_and(|m| {
        let s = m.unix_seconds();
        s > NO_CLOCK.unix_seconds() - GUESS_SPAN_SECS && s < NO_CLOCK.unix_seconds() + 86_400 * 7
    });
    // Dates this close to the reference may be a guess: a second parse with
    // another reference tells (a written year does not move).
    if guessable
        && listing::parse_list_line_bytes(line, NO_CLOCK_CHECK).map(|e| e.modified)
            != Some(entry.modified)
    {
        entry.modified = None;
    }
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_and_epsv() {
        assert_eq!(
            pasv_address(b"Entering Passive Mode (192,0,2,7,195,80)."),
            Some("192.0.2.7:50000".parse().unwrap())
        );
        assert_eq!(
            pasv_address(b"Entering passive mode. 127,0,0,1,4,51"),
            Some("127.0.0.1:1075".parse().unwrap())
        );
        assert_eq!(pasv_address(b"(1,2,3,4,5)"), None);
        assert_eq!(pasv_address(b"(1,2,3,4,5,256)"), None);
        assert_eq!(
            epsv_port(b"Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(epsv_port(b"(!!!6446!)"), Some(6446));
        assert_eq!(epsv_port(b"(|||x|)"), None);
        assert_eq!(epsv_port(b"(||6446|)"), None);
        assert_eq!(epsv_port(b"(|||0|)"), None);
    }

    #[test]
    fn size_hint_and_stou_name() {
        assert_eq!(
            size_hint(b"Opening BINARY mode data connection for a.bin (1048576 bytes)."),
            Some(1_048_576)
        );
        assert_eq!(size_hint(b"Here it comes"), None);
        assert_eq!(size_hint(b"x (99999999999999999999999 bytes)"), None);
        let raw = Bytes::from_static(b"FILE: u1.tmp");
        assert_eq!(stou_name(&raw, &raw).as_deref(), Some(&b"u1.tmp"[..]));
        assert_eq!(stou_name(&raw, b"no name"), None);
    }

    #[test]
    fn nat_rule() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        assert!(pasv_address_unusable(Ipv4Addr::new(10, 0, 0, 5), peer));
        assert!(pasv_address_unusable(Ipv4Addr::new(100, 64, 0, 1), peer));
        assert!(pasv_address_unusable(Ipv4Addr::UNSPECIFIED, peer));
        assert!(!pasv_address_unusable(Ipv4Addr::new(198, 51, 100, 1), peer));
        let local: IpAddr = "192.168.1.2".parse().unwrap();
        assert!(!pasv_address_unusable(Ipv4Addr::new(192, 168, 1, 9), local));
    }

    fn list(line: &'static [u8], clock: Option<Timestamp>) -> Option<FileInfo> {
        parse_listing_line(ListingFormat::List, &Bytes::from_static(line), clock)
    }

    #[test]
    fn list_year_guess_needs_a_wall_clock() {
        let line = b"-rw-r--r--    1 ftp ftp 35 Mar 02 14:07 hello.txt";
        let clock = Timestamp::parse_ftp(b"20240601000000").ok();
        let e = list(line, clock).unwrap();
        assert_eq!(e.modified, Timestamp::parse_ftp(b"20240302140700").ok());
        let e = list(line, None).unwrap();
        assert_eq!((&e.name[..], e.modified), (&b"hello.txt"[..], None));
        // A written year is kept, even an old one.
        let e = list(b"-rw-r--r-- 1 ftp ftp 0 Jan 01  1970 epoch", None).unwrap();
        assert_eq!(e.modified, Some(Timestamp::UNIX_EPOCH));
    }

    #[test]
    fn own_directories_are_not_entries() {
        assert!(list(b"drwxr-xr-x 2 ftp ftp 4096 Jan 02  2024 .", None).is_none());
        assert!(list(b"drwxr-xr-x 2 ftp ftp 4096 Jan 02  2024 ..", None).is_none());
        let mlsd = |l: &'static [u8]| {
            parse_listing_line(ListingFormat::Mlsd, &Bytes::from_static(l), None)
        };
        assert!(mlsd(b"type=cdir;perm=el; .").is_none());
        assert!(mlsd(b"type=pdir; ..").is_none());
        let e = mlsd(b"type=file;size=3; a b").unwrap();
        assert_eq!(
            (&e.name[..], e.kind, e.size),
            (&b"a b"[..], FileKind::File, Some(3))
        );
    }

    #[test]
    fn dos_lines() {
        let e = list(b"01-02-24  03:04AM       <DIR>          sub dir", None).unwrap();
        assert_eq!(
            (&e.name[..], e.kind),
            (&b"sub dir"[..], FileKind::Directory)
        );
        let e = list(b"01-02-24  03:04AM                 1024 data.bin", None).unwrap();
        assert_eq!(e.size, Some(1024));
    }
}
