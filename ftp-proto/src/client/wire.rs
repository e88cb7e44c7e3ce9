//! The client's glue to the codec: every use of command rendering, reply
//! parsing, address and path parsing and listing parsing goes through here.
//!
//! TEMPORARY: until the shared codec modules land on main, this file holds
//! minimal stand-ins (marked `stand-in`) so the engine compiles and is tested.

use alloc::vec::Vec;
use bytes::{BufMut, Bytes, BytesMut};
use core::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use crate::command::{
    AuthMechanism, Command, EpsvArgument, NetworkProtocol, OptsArgument, ProtectionLevel,
    TransferType,
};
use crate::timestamp::Timestamp;

// ---------------------------------------------------------------- replies

pub use crate::reply::Reply;
use crate::reply::ReplyCode;

pub(crate) fn reply_code(r: &Reply) -> u16 {
    r.code().as_u16()
}

/// The text of the first line.
pub(crate) fn reply_text(r: &Reply) -> &[u8] {
    r.text()
}

/// All lines joined by LF (body lines as sent, leading space kept).
pub(crate) fn reply_raw(r: &Reply) -> &Bytes {
    r.joined_text()
}

/// Why the reply stream could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyError {
    Malformed,
    TooLong,
}

/// Incremental reply parser (stand-in).
#[derive(Debug)]
pub(crate) struct ReplyReader {
    buf: BytesMut,
    scanned: usize,
    max: usize,
    lenient: bool,
    /// The code of an open multi-line reply.
    open: Option<u16>,
}

impl ReplyReader {
    pub(crate) fn new(max: usize, lenient: bool) -> Self {
        Self {
            buf: BytesMut::new(),
            scanned: 0,
            max,
            lenient,
            open: None,
        }
    }

    pub(crate) fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        self.open = None;
    }

    pub(crate) fn next_reply(&mut self) -> Option<Result<Reply, ReplyError>> {
        loop {
            let Some(nl) = memchr::memchr(b'\n', self.buf.get(self.scanned..)?) else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max {
                    return Some(Err(ReplyError::TooLong));
                }
                return None;
            };
            let end = self.scanned + nl + 1;
            let line_start = self.buf[..self.scanned]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let line = &self.buf[line_start..end];
            self.scanned = end;
            if end > self.max {
                return Some(Err(ReplyError::TooLong));
            }
            let code = line_code(line);
            let sep = line.get(3).copied();
            let final_line = matches!(sep, Some(b' ' | b'\r' | b'\n'));
            match self.open {
                None => {
                    let Some(code) = code else {
                        return Some(Err(ReplyError::Malformed));
                    };
                    if final_line {
                        return Some(Ok(self.take(code)));
                    }
                    if sep != Some(b'-') {
                        return Some(Err(ReplyError::Malformed));
                    }
                    self.open = Some(code);
                }
                Some(open) => {
                    if let Some(c) = code
                        && final_line
                        && (c == open || self.lenient)
                    {
                        self.open = None;
                        return Some(Ok(self.take(open)));
                    }
                }
            }
        }
    }

    fn take(&mut self, code: u16) -> Reply {
        let raw = self.buf.split_to(self.scanned).freeze();
        self.scanned = 0;
        let lines: Vec<&[u8]> = raw.split_inclusive(|&b| b == b'\n').collect();
        let n = lines.len();
        let own = ReplyCode::new(code).ok();
        let text = lines.iter().enumerate().map(|(i, l)| {
            let l = l.strip_suffix(b"\n").unwrap_or(l);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let prefixed =
                line_code(l) == Some(code) && matches!(l.get(3), Some(b'-' | b' ') | None);
            if i == 0 || i + 1 == n || prefixed {
                l.get(4..).unwrap_or(&[])
            } else {
                l
            }
        });
        // `line_code` only accepts 100..=699, all valid codes.
        Reply::multiline(own.unwrap_or(ReplyCode::SYNTAX_ERROR), text)
    }
}

fn line_code(line: &[u8]) -> Option<u16> {
    let d = line.get(..3)?;
    if !d.iter().all(u8::is_ascii_digit) || !(b'1'..=b'6').contains(&d[0]) {
        return None;
    }
    Some(u16::from(d[0] - b'0') * 100 + u16::from(d[1] - b'0') * 10 + u16::from(d[2] - b'0'))
}

// ---------------------------------------------------------------- commands

/// Why a command cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsendable;

/// Renders `cmd` (verb, argument, CRLF) into `out`; nothing is written on error.
pub(crate) fn encode(cmd: &Command, out: &mut BytesMut) -> Result<(), Unsendable> {
    let mut line = BytesMut::with_capacity(64);
    let verb = verb(cmd);
    line.put_slice(verb.as_bytes());
    let mut arg = |a: &[u8]| {
        line.put_u8(b' ');
        for &b in a {
            line.put_u8(b);
            if b == 0xFF {
                line.put_u8(0xFF);
            }
        }
    };
    match cmd {
        Command::User(a)
        | Command::Pass(a)
        | Command::Acct(a)
        | Command::Cwd(a)
        | Command::Xcwd(a)
        | Command::Retr(a)
        | Command::Stor(a)
        | Command::Appe(a)
        | Command::Rnfr(a)
        | Command::Rnto(a)
        | Command::Dele(a)
        | Command::Rmd(a)
        | Command::Xrmd(a)
        | Command::Mkd(a)
        | Command::Xmkd(a)
        | Command::Site(a)
        | Command::Size(a)
        | Command::Mdtm(a)
        | Command::Host(a)
        | Command::Allo(a)
        | Command::Smnt(a)
        | Command::Clnt(a) => arg(a),
        Command::Stou(a)
        | Command::List(a)
        | Command::Nlst(a)
        | Command::Stat(a)
        | Command::Help(a)
        | Command::Mlst(a)
        | Command::Mlsd(a)
        | Command::Lang(a) => {
            if let Some(a) = a {
                arg(a);
            }
        }
        Command::Cdup
        | Command::Xcup
        | Command::Rein
        | Command::Quit
        | Command::Pasv
        | Command::Abor
        | Command::Pwd
        | Command::Xpwd
        | Command::Syst
        | Command::Noop
        | Command::Ccc
        | Command::Feat
        | Command::Lpsv => {}
        Command::Rest(n) => arg(alloc::format!("{n}").as_bytes()),
        Command::Pbsz(n) => arg(alloc::format!("{n}").as_bytes()),
        Command::Type(t) => arg(match t {
            TransferType::Image => b"I",
            TransferType::Ascii => b"A",
            _ => return Err(Unsendable),
        }),
        Command::Prot(p) => arg(match p {
            ProtectionLevel::Clear => b"C",
            ProtectionLevel::Safe => b"S",
            ProtectionLevel::Confidential => b"E",
            ProtectionLevel::Private => b"P",
        }),
        Command::Auth(m) => match m {
            AuthMechanism::Tls => arg(b"TLS"),
            AuthMechanism::Ssl => arg(b"SSL"),
            AuthMechanism::TlsP => arg(b"TLS-P"),
            AuthMechanism::Other(a) => arg(a),
        },
        Command::Epsv(e) => match e {
            EpsvArgument::Default => {}
            EpsvArgument::All => arg(b"ALL"),
            EpsvArgument::Protocol(NetworkProtocol::Ipv4) => arg(b"1"),
            EpsvArgument::Protocol(NetworkProtocol::Ipv6) => arg(b"2"),
            EpsvArgument::Protocol(NetworkProtocol::Other(n)) => {
                arg(alloc::format!("{n}").as_bytes())
            }
        },
        Command::Port(sa) => {
            let [a, b, c, d] = sa.ip().octets();
            let p = sa.port();
            arg(alloc::format!("{a},{b},{c},{d},{},{}", p >> 8, p & 0xFF).as_bytes());
        }
        Command::Eprt(sa) => {
            let af = if sa.is_ipv4() { 1 } else { 2 };
            arg(alloc::format!("|{af}|{}|{}|", sa.ip(), sa.port()).as_bytes());
        }
        Command::Opts(o) => match o {
            OptsArgument::Utf8(on) => arg(if *on { b"UTF8 ON" } else { b"UTF8 OFF" }),
            OptsArgument::Mlst(a) => {
                let mut v = Vec::from(&b"MLST "[..]);
                v.extend_from_slice(a);
                arg(&v);
            }
            OptsArgument::Other { name, options } => {
                let mut v = Vec::from(&name[..]);
                if let Some(o) = options {
                    v.push(b' ');
                    v.extend_from_slice(o);
                }
                arg(&v);
            }
        },
        Command::Mfmt { time, path } => {
            let mut v = Vec::from(alloc::format!("{} ", time.ftp(false)).as_bytes());
            v.extend_from_slice(path);
            arg(&v);
        }
        _ => return Err(Unsendable),
    }
    if line.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Unsendable);
    }
    line.put_slice(b"\r\n");
    out.put_slice(&line);
    Ok(())
}

/// The verb of a command, for the conformance table and events.
pub(crate) fn verb(cmd: &Command) -> &'static str {
    match cmd {
        Command::User(_) => "USER",
        Command::Pass(_) => "PASS",
        Command::Acct(_) => "ACCT",
        Command::Cwd(_) => "CWD",
        Command::Xcwd(_) => "XCWD",
        Command::Cdup => "CDUP",
        Command::Xcup => "XCUP",
        Command::Smnt(_) => "SMNT",
        Command::Rein => "REIN",
        Command::Quit => "QUIT",
        Command::Port(_) => "PORT",
        Command::Pasv => "PASV",
        Command::Type(_) => "TYPE",
        Command::Stru(_) => "STRU",
        Command::Mode(_) => "MODE",
        Command::Eprt(_) => "EPRT",
        Command::Epsv(_) => "EPSV",
        Command::Lprt(_) => "LPRT",
        Command::Lpsv => "LPSV",
        Command::Retr(_) => "RETR",
        Command::Stor(_) => "STOR",
        Command::Stou(_) => "STOU",
        Command::Appe(_) => "APPE",
        Command::Allo(_) => "ALLO",
        Command::Rest(_) => "REST",
        Command::Rnfr(_) => "RNFR",
        Command::Rnto(_) => "RNTO",
        Command::Abor => "ABOR",
        Command::Dele(_) => "DELE",
        Command::Rmd(_) => "RMD",
        Command::Xrmd(_) => "XRMD",
        Command::Mkd(_) => "MKD",
        Command::Xmkd(_) => "XMKD",
        Command::Pwd => "PWD",
        Command::Xpwd => "XPWD",
        Command::List(_) => "LIST",
        Command::Nlst(_) => "NLST",
        Command::Site(_) => "SITE",
        Command::Syst => "SYST",
        Command::Stat(_) => "STAT",
        Command::Help(_) => "HELP",
        Command::Noop => "NOOP",
        Command::Auth(_) => "AUTH",
        Command::Adat(_) => "ADAT",
        Command::Pbsz(_) => "PBSZ",
        Command::Prot(_) => "PROT",
        Command::Ccc => "CCC",
        Command::Mic(_) => "MIC",
        Command::Conf(_) => "CONF",
        Command::Enc(_) => "ENC",
        Command::Feat => "FEAT",
        Command::Opts(_) => "OPTS",
        Command::Size(_) => "SIZE",
        Command::Mdtm(_) => "MDTM",
        Command::Mlst(_) => "MLST",
        Command::Mlsd(_) => "MLSD",
        Command::Lang(_) => "LANG",
        Command::Host(_) => "HOST",
        Command::Mfmt { .. } => "MFMT",
        Command::Mfct { .. } => "MFCT",
        Command::Mff { .. } => "MFF",
        Command::Clnt(_) => "CLNT",
        Command::Hash(_) => "HASH",
        Command::Md5(_) => "MD5",
        Command::XDigest { .. } => "XDIGEST",
        Command::Pret(_) => "PRET",
    }
}

// ---------------------------------------------------------------- addresses

/// The address of a `227` reply: the first six comma-separated decimals (stand-in).
pub(crate) fn parse_227(text: &[u8]) -> Option<SocketAddrV4> {
    let start = text.iter().position(u8::is_ascii_digit)?;
    let mut nums = [0u16; 6];
    let mut rest = &text[start..];
    for (i, n) in nums.iter_mut().enumerate() {
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 3 {
            return None;
        }
        let v: u16 = core::str::from_utf8(&rest[..len]).ok()?.parse().ok()?;
        if v > 255 {
            return None;
        }
        *n = v;
        rest = &rest[len..];
        if i < 5 {
            rest = rest.strip_prefix(b",")?;
        }
    }
    let ip = Ipv4Addr::new(nums[0] as u8, nums[1] as u8, nums[2] as u8, nums[3] as u8);
    Some(SocketAddrV4::new(ip, nums[4] * 256 + nums[5]))
}

/// The port of a `229` reply `(|||port|)` (stand-in).
pub(crate) fn parse_229(text: &[u8]) -> Option<u16> {
    let open = text.iter().position(|&b| b == b'(')?;
    let inner = &text[open + 1..];
    let d = *inner.first()?;
    let rest = inner.strip_prefix(&[d, d, d][..])?;
    let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || rest.get(len) != Some(&d) || rest.get(len + 1) != Some(&b')') {
        return None;
    }
    core::str::from_utf8(&rest[..len])
        .ok()?
        .parse()
        .ok()
        .filter(|&p| p != 0)
}

/// The path of a `257` reply (quotes removed, `""` undoubled).
pub(crate) fn parse_257(text: &[u8]) -> Option<Vec<u8>> {
    crate::path::parse_257(text).map(alloc::borrow::Cow::into_owned)
}

/// `(N bytes)` in a `150` text.
pub(crate) fn size_hint(text: &[u8]) -> Option<u64> {
    let open = text.iter().rposition(|&b| b == b'(')?;
    let inner = &text[open + 1..];
    let len = inner.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > 19 || !inner[len..].starts_with(b" bytes") {
        return None;
    }
    core::str::from_utf8(&inner[..len]).ok()?.parse().ok()
}

/// Whether an IPv4 address is private, loopback or link-local.
fn is_internal(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_shared_like()
}

trait SharedLike {
    fn is_shared_like(&self) -> bool;
}

impl SharedLike for Ipv4Addr {
    /// 100.64.0.0/10 (carrier-grade NAT).
    fn is_shared_like(&self) -> bool {
        let [a, b, ..] = self.octets();
        a == 100 && (b & 0xC0) == 64
    }
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

/// What kind of directory entry (stand-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Link,
    /// Anything else.
    Other,
}

/// One directory entry (stand-in for the shared listing type).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileInfo {
    /// The name.
    pub name: Bytes,
    /// The kind.
    pub kind: EntryKind,
    /// The size in bytes, when known.
    pub size: Option<u64>,
    /// The modification time, when known.
    pub modified: Option<Timestamp>,
}

/// Which listing grammar a data connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingFormat {
    /// `MLSD`: fact lines.
    Mlsd,
    /// `LIST`: unix or DOS/IIS, detected per line.
    List,
}

/// A parsed line: an entry, a `cdir`/`pdir` to drop, or nothing.
pub(crate) enum ParsedLine {
    Entry(FileInfo),
    Skip,
}

pub(crate) fn parse_listing_line(
    format: ListingFormat,
    line: &Bytes,
    _now: Option<Timestamp>,
) -> ParsedLine {
    match format {
        ListingFormat::Mlsd => parse_mlsx(line),
        ListingFormat::List => parse_list(line),
    }
}

/// An `MLST`/`MLSD` fact line (stand-in).
pub(crate) fn parse_mlsx(line: &Bytes) -> ParsedLine {
    let l = trim_line(line);
    let Some(sp) = l.iter().position(|&b| b == b' ') else {
        return ParsedLine::Skip;
    };
    let name = line.slice_ref(&l[sp + 1..]);
    let mut info = FileInfo {
        name,
        kind: EntryKind::File,
        size: None,
        modified: None,
    };
    for fact in l[..sp].split(|&b| b == b';') {
        let Some(eq) = fact.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (k, v) = (&fact[..eq], &fact[eq + 1..]);
        if k.eq_ignore_ascii_case(b"type") {
            if v.eq_ignore_ascii_case(b"cdir") || v.eq_ignore_ascii_case(b"pdir") {
                return ParsedLine::Skip;
            }
            info.kind = if v.eq_ignore_ascii_case(b"dir") {
                EntryKind::Dir
            } else if v.eq_ignore_ascii_case(b"file") {
                EntryKind::File
            } else if v.len() > 12 && v[..12].eq_ignore_ascii_case(b"OS.unix=slin") {
                EntryKind::Link
            } else {
                EntryKind::Other
            };
        } else if k.eq_ignore_ascii_case(b"size") || k.eq_ignore_ascii_case(b"sizd") {
            info.size = core::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
        } else if k.eq_ignore_ascii_case(b"modify") {
            info.modified = Timestamp::parse_ftp(v).ok();
        }
    }
    ParsedLine::Entry(info)
}

fn parse_list(line: &Bytes) -> ParsedLine {
    let l = trim_line(line);
    let words: Vec<(usize, &[u8])> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i < l.len() && v.len() < 9 {
            while i < l.len() && l[i] == b' ' {
                i += 1;
            }
            let s = i;
            while i < l.len() && l[i] != b' ' {
                i += 1;
            }
            if s < i {
                v.push((s, &l[s..i]));
            }
        }
        v
    };
    // DOS/IIS: MM-DD-YY hh:mmAM <DIR>|size name
    if let [(_, date), _, (_, what), (s, _), ..] = words[..]
        && date.len() >= 8
        && date[2] == b'-'
    {
        let name = line.slice_ref(&l[s..]);
        let (kind, size) = if what.eq_ignore_ascii_case(b"<DIR>") {
            (EntryKind::Dir, None)
        } else {
            (
                EntryKind::File,
                core::str::from_utf8(what).ok().and_then(|x| x.parse().ok()),
            )
        };
        return ParsedLine::Entry(FileInfo {
            name,
            kind,
            size,
            modified: None,
        });
    }
    // unix: perms links owner group size mon day time|year name
    if words.len() == 9 {
        let perms = words[0].1;
        let kind = match perms.first() {
            Some(b'd') => EntryKind::Dir,
            Some(b'-') => EntryKind::File,
            Some(b'l') => EntryKind::Link,
            _ => EntryKind::Other,
        };
        let size = core::str::from_utf8(words[4].1)
            .ok()
            .and_then(|x| x.parse().ok());
        let name_start = words[8].0;
        let mut name = &l[name_start..];
        if kind == EntryKind::Link
            && let Some(p) = name.windows(4).position(|w| w == b" -> ")
        {
            name = &name[..p];
        }
        return ParsedLine::Entry(FileInfo {
            name: line.slice_ref(name),
            kind,
            size,
            modified: None,
        });
    }
    ParsedLine::Skip
}

fn trim_line(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_and_epsv() {
        assert_eq!(
            parse_227(b"Entering Passive Mode (192,0,2,7,195,80)."),
            Some("192.0.2.7:50000".parse().unwrap())
        );
        assert_eq!(
            parse_227(b"Entering passive mode. 127,0,0,1,4,51"),
            Some("127.0.0.1:1075".parse().unwrap())
        );
        assert_eq!(parse_227(b"(1,2,3,4,5)"), None);
        assert_eq!(parse_227(b"(1,2,3,4,5,256)"), None);
        assert_eq!(
            parse_229(b"Entering Extended Passive Mode (|||6446|)"),
            Some(6446)
        );
        assert_eq!(parse_229(b"(!!!6446!)"), Some(6446));
        assert_eq!(parse_229(b"(|||x|)"), None);
        assert_eq!(parse_229(b"(||6446|)"), None);
    }

    #[test]
    fn quoted_path_and_size_hint() {
        assert_eq!(
            parse_257(br#""/a ""q"" dir" is current"#).as_deref(),
            Some(&br#"/a "q" dir"#[..])
        );
        assert_eq!(parse_257(b"no quotes"), None);
        assert_eq!(parse_257(br#""open"#), None);
        assert_eq!(
            size_hint(b"Opening BINARY mode data connection for a.bin (1048576 bytes)."),
            Some(1_048_576)
        );
        assert_eq!(size_hint(b"Here it comes"), None);
    }

    #[test]
    fn nat_rule() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        assert!(pasv_address_unusable(Ipv4Addr::new(10, 0, 0, 5), peer));
        assert!(pasv_address_unusable(Ipv4Addr::UNSPECIFIED, peer));
        assert!(!pasv_address_unusable(Ipv4Addr::new(198, 51, 100, 1), peer));
        let local: IpAddr = "192.168.1.2".parse().unwrap();
        assert!(!pasv_address_unusable(Ipv4Addr::new(192, 168, 1, 9), local));
    }

    #[test]
    fn reader_multiline_and_split() {
        let mut r = ReplyReader::new(1024, false);
        r.buffer_mut()
            .extend_from_slice(b"230-Welcome\r\n 200 users\r\n230-more\r\n23");
        assert!(r.next_reply().is_none());
        r.buffer_mut().extend_from_slice(b"0 Logged in.\r\n200 x\n");
        let a = r.next_reply().unwrap().unwrap();
        assert_eq!(a.code().as_u16(), 230);
        assert_eq!(a.last_line(), b"Logged in.");
        assert_eq!(a.line_count(), 4);
        assert_eq!(r.next_reply().unwrap().unwrap().code().as_u16(), 200);
        assert!(r.next_reply().is_none());
        r.buffer_mut().extend_from_slice(b"garbage\r\n");
        assert_eq!(r.next_reply(), Some(Err(ReplyError::Malformed)));
    }
}
