//! Command parsing: one line of text (as [`LineRef::text`](crate::line::LineRef::text)
//! gives it) into a borrowed [`Command<&[u8]>`](Command), without allocation.
//!
//! Grammar and choices (RFC 959 §5.3):
//! - The verb is every byte up to the first SP, matched case-insensitively.
//!   Everything after that first SP is the argument, spaces included
//!   (RFC 2640 §3.1, RFC 3659 §2.2: `STOR   x` stores `"  x"`).
//! - Verbs without argument (`PWD`, `PASV`, `QUIT`...) refuse a non-blank
//!   argument with [`ParseError::UnexpectedArgument`] (501, as pyftpdlib). An
//!   argument made only of spaces (`NOOP ` from sloppy clients) is ignored.
//! - Verbs with a required argument refuse a missing or empty one with
//!   [`ParseError::MissingArgument`] (501). `PASS` alone is an empty password.
//! - Optional arguments (`LIST`, `STAT`, `MLSD`...) that are empty are `None`.
//! - `LIST`/`NLST` drop leading `-options` words (`LIST -la`, `LIST -a -l dir`)
//!   and the spaces after them, as servers do; a path starting with `-` can
//!   therefore not be listed.
//! - Typed parameters (`TYPE`, `MODE`, `STRU`, `PROT`, `EPSV`, `OPTS UTF8`,
//!   `AUTH`) are case-insensitive. An unknown parameter letter is
//!   [`ParseError::UnsupportedParameter`] (504); a malformed one is
//!   [`ParseError::BadArgument`] (501).
//! - `P@SW` is `PASV`: some NAT middleboxes rewrite the verb so that they
//!   can mangle the 227 reply themselves (Pure-FTPd accepts it too).

use core::ops::Range;

use bytes::Bytes;

use super::{
    AuthMechanism, Command, DigestAlgorithm, EpsvArgument, FileStructure, NetworkProtocol,
    OptsArgument, ProtectionLevel, TextFormat, TransferMode, TransferType,
};
use crate::address::{self, AddressError};
use crate::number::decimal_u64;
use crate::timestamp::Timestamp;

/// Why a command line was refused. [`ParseError::reply_code`] gives the reply to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The line is empty (servers ignore it).
    #[error("empty command line")]
    Empty,
    /// The verb is not a known command (500).
    #[error("unknown command")]
    UnknownVerb,
    /// A required argument is missing or empty (501).
    #[error("missing argument")]
    MissingArgument,
    /// An argument was given to a command that takes none (501).
    #[error("unexpected argument")]
    UnexpectedArgument,
    /// The argument does not follow the command's syntax (501).
    #[error("bad argument syntax")]
    BadArgument,
    /// The argument is well-formed but names an unknown parameter, such as `TYPE X` (504).
    #[error("parameter not implemented")]
    UnsupportedParameter,
    /// `EPRT` names a network protocol other than 1 (IPv4) or 2 (IPv6) (522).
    #[error("network protocol not supported")]
    UnsupportedProtocol,
}

impl ParseError {
    /// The FTP reply code a server answers with: 500, 501, 504 or 522.
    /// [`ParseError::Empty`] gives 500, though servers usually ignore empty lines.
    #[must_use]
    pub const fn reply_code(&self) -> u16 {
        match self {
            Self::Empty | Self::UnknownVerb => 500,
            Self::MissingArgument | Self::UnexpectedArgument | Self::BadArgument => 501,
            Self::UnsupportedParameter => 504,
            Self::UnsupportedProtocol => 522,
        }
    }
}

impl From<AddressError> for ParseError {
    fn from(e: AddressError) -> Self {
        match e {
            AddressError::UnsupportedFamily => Self::UnsupportedProtocol,
            _ => Self::BadArgument,
        }
    }
}

/// Longest verb we know (`XSHA256`, `XSHA512`) fits in this many bytes.
const MAX_VERB: usize = 8;

/// A verb of at most [`MAX_VERB`] bytes packed into a `u64` (zero padded), so
/// that matching it is one integer `match` (a jump table or binary search).
const fn verb_const(verb: &[u8]) -> u64 {
    let mut bytes = [0u8; MAX_VERB];
    let mut i = 0;
    while i < verb.len() {
        bytes[i] = verb[i];
        i += 1;
    }
    u64::from_le_bytes(bytes)
}

/// Repeats a byte in every lane of a `u64`.
const fn lanes(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// The first up to 8 bytes of `line` as a little-endian `u64`, zero padded,
/// read with at most two overlapping loads (no per-byte loop, no `memcpy`).
#[inline]
fn load_prefix(line: &[u8]) -> u64 {
    fn u16_at(bytes: &[u8], at: usize) -> u64 {
        bytes
            .get(at..at + 2)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u64::from(u16::from_le_bytes(b)))
    }
    fn u32_at(bytes: &[u8], at: usize) -> u64 {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    }
    let len = line.len();
    if let Some(Ok(eight)) = line.get(..8).map(<[u8; 8]>::try_from) {
        return u64::from_le_bytes(eight);
    }
    // The second load overlaps the first; overlapping lanes hold the same bytes.
    match len {
        4..=7 => u32_at(line, 0) | u32_at(line, len - 4) << (8 * (len - 4)),
        2..=3 => u16_at(line, 0) | u16_at(line, len - 2) << (8 * (len - 2)),
        1 => line.first().map_or(0, |&b| u64::from(b)),
        _ => 0,
    }
}

/// Marks (high bit of the lane) the lanes of `word` that are zero. Exact up to
/// the lowest zero lane; a lane above a zero lane may be marked falsely.
const fn zero_lanes(word: u64) -> u64 {
    word.wrapping_sub(lanes(0x01)) & !word & lanes(0x80)
}

/// Upper-cases the ASCII letters of every lane (other bytes unchanged).
const fn ascii_uppercase_lanes(word: u64) -> u64 {
    let low7 = word & lanes(0x7f);
    let at_least_a = low7 + lanes(0x80 - b'a');
    let above_z = low7 + lanes(0x80 - b'z' - 1);
    let lower = at_least_a & !above_z & !word & lanes(0x80);
    word - (lower >> 2)
}

/// Splits the verb off a non-empty line: its key (upper-cased, as
/// [`verb_const`] builds it) and its length. The verb is every byte up to the
/// first SP; one that is empty, longer than [`MAX_VERB`] or holds a NUL (which
/// would read as key padding) is [`ParseError::UnknownVerb`].
#[inline]
fn verb_key(line: &[u8]) -> Result<(u64, usize), ParseError> {
    let word = load_prefix(line);
    let spaces = zero_lanes(word ^ lanes(b' '));
    let len = if spaces != 0 {
        (spaces.trailing_zeros() / 8) as usize
    } else if line.len() <= MAX_VERB {
        line.len()
    } else if line.get(MAX_VERB) == Some(&b' ') {
        MAX_VERB
    } else {
        return Err(ParseError::UnknownVerb);
    };
    let mask = match len {
        0 => return Err(ParseError::UnknownVerb),
        MAX_VERB => u64::MAX,
        n => (1u64 << (8 * n)) - 1,
    };
    let verb = word & mask;
    if zero_lanes(verb | !mask) != 0 {
        return Err(ParseError::UnknownVerb);
    }
    Ok((ascii_uppercase_lanes(verb), len))
}

const V_USER: u64 = verb_const(b"USER");
const V_PASS: u64 = verb_const(b"PASS");
const V_ACCT: u64 = verb_const(b"ACCT");
const V_CWD: u64 = verb_const(b"CWD");
const V_XCWD: u64 = verb_const(b"XCWD");
const V_CDUP: u64 = verb_const(b"CDUP");
const V_XCUP: u64 = verb_const(b"XCUP");
const V_SMNT: u64 = verb_const(b"SMNT");
const V_REIN: u64 = verb_const(b"REIN");
const V_QUIT: u64 = verb_const(b"QUIT");
const V_PORT: u64 = verb_const(b"PORT");
const V_PASV: u64 = verb_const(b"PASV");
const V_PATSW: u64 = verb_const(b"P@SW");
const V_TYPE: u64 = verb_const(b"TYPE");
const V_STRU: u64 = verb_const(b"STRU");
const V_MODE: u64 = verb_const(b"MODE");
const V_EPRT: u64 = verb_const(b"EPRT");
const V_EPSV: u64 = verb_const(b"EPSV");
const V_LPRT: u64 = verb_const(b"LPRT");
const V_LPSV: u64 = verb_const(b"LPSV");
const V_RETR: u64 = verb_const(b"RETR");
const V_STOR: u64 = verb_const(b"STOR");
const V_STOU: u64 = verb_const(b"STOU");
const V_APPE: u64 = verb_const(b"APPE");
const V_ALLO: u64 = verb_const(b"ALLO");
const V_REST: u64 = verb_const(b"REST");
const V_RNFR: u64 = verb_const(b"RNFR");
const V_RNTO: u64 = verb_const(b"RNTO");
const V_ABOR: u64 = verb_const(b"ABOR");
const V_DELE: u64 = verb_const(b"DELE");
const V_RMD: u64 = verb_const(b"RMD");
const V_XRMD: u64 = verb_const(b"XRMD");
const V_MKD: u64 = verb_const(b"MKD");
const V_XMKD: u64 = verb_const(b"XMKD");
const V_PWD: u64 = verb_const(b"PWD");
const V_XPWD: u64 = verb_const(b"XPWD");
const V_LIST: u64 = verb_const(b"LIST");
const V_NLST: u64 = verb_const(b"NLST");
const V_SITE: u64 = verb_const(b"SITE");
const V_SYST: u64 = verb_const(b"SYST");
const V_STAT: u64 = verb_const(b"STAT");
const V_HELP: u64 = verb_const(b"HELP");
const V_NOOP: u64 = verb_const(b"NOOP");
const V_AUTH: u64 = verb_const(b"AUTH");
const V_ADAT: u64 = verb_const(b"ADAT");
const V_PBSZ: u64 = verb_const(b"PBSZ");
const V_PROT: u64 = verb_const(b"PROT");
const V_CCC: u64 = verb_const(b"CCC");
const V_MIC: u64 = verb_const(b"MIC");
const V_CONF: u64 = verb_const(b"CONF");
const V_ENC: u64 = verb_const(b"ENC");
const V_FEAT: u64 = verb_const(b"FEAT");
const V_OPTS: u64 = verb_const(b"OPTS");
const V_SIZE: u64 = verb_const(b"SIZE");
const V_MDTM: u64 = verb_const(b"MDTM");
const V_MLST: u64 = verb_const(b"MLST");
const V_MLSD: u64 = verb_const(b"MLSD");
const V_LANG: u64 = verb_const(b"LANG");
const V_HOST: u64 = verb_const(b"HOST");
const V_MFMT: u64 = verb_const(b"MFMT");
const V_MFCT: u64 = verb_const(b"MFCT");
const V_MFF: u64 = verb_const(b"MFF");
const V_CLNT: u64 = verb_const(b"CLNT");
const V_HASH: u64 = verb_const(b"HASH");
const V_MD5: u64 = verb_const(b"MD5");
const V_XMD5: u64 = verb_const(b"XMD5");
const V_XCRC: u64 = verb_const(b"XCRC");
const V_XSHA1: u64 = verb_const(b"XSHA1");
const V_XSHA256: u64 = verb_const(b"XSHA256");
const V_XSHA512: u64 = verb_const(b"XSHA512");
const V_PRET: u64 = verb_const(b"PRET");

fn required(arg: Option<&[u8]>) -> Result<&[u8], ParseError> {
    match arg {
        Some(a) if !a.is_empty() => Ok(a),
        _ => Err(ParseError::MissingArgument),
    }
}

fn optional(arg: Option<&[u8]>) -> Option<&[u8]> {
    arg.filter(|a| !a.is_empty())
}

fn none(arg: Option<&[u8]>) -> Result<(), ParseError> {
    match arg {
        Some(a) if a.iter().any(|&b| b != b' ') => Err(ParseError::UnexpectedArgument),
        _ => Ok(()),
    }
}

/// Splits at the first SP: (word, rest after the SP).
fn split_word(arg: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memchr(b' ', arg) {
        Some(i) => (arg.get(..i).unwrap_or_default(), arg.get(i + 1..)),
        None => (arg, None),
    }
}

fn upper_letter(arg: &[u8]) -> Result<u8, ParseError> {
    match arg {
        [b] => Ok(b.to_ascii_uppercase()),
        [] => Err(ParseError::MissingArgument),
        _ => Err(ParseError::BadArgument),
    }
}

fn text_format(rest: &[u8]) -> Result<TextFormat, ParseError> {
    match rest {
        [] => Ok(TextFormat::NonPrint),
        [f] => match f.to_ascii_uppercase() {
            b'N' => Ok(TextFormat::NonPrint),
            b'T' => Ok(TextFormat::Telnet),
            b'C' => Ok(TextFormat::CarriageControl),
            _ => Err(ParseError::UnsupportedParameter),
        },
        _ => Err(ParseError::BadArgument),
    }
}

fn trim_start_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    s
}

fn parse_type(arg: &[u8]) -> Result<TransferType, ParseError> {
    let Some((&code, rest)) = arg.split_first() else {
        return Err(ParseError::MissingArgument);
    };
    let rest = trim_start_spaces(rest);
    match code.to_ascii_uppercase() {
        b'A' => Ok(match text_format(rest)? {
            TextFormat::NonPrint => TransferType::Ascii,
            other => TransferType::AsciiFormat(other),
        }),
        b'E' => Ok(TransferType::Ebcdic(text_format(rest)?)),
        b'I' if rest.is_empty() => Ok(TransferType::Image),
        b'I' => Err(ParseError::BadArgument),
        b'L' => match decimal_u64(rest) {
            Some(0) => Err(ParseError::UnsupportedParameter),
            Some(n) => u8::try_from(n)
                .map(TransferType::Local)
                .map_err(|_| ParseError::UnsupportedParameter),
            None => Err(ParseError::BadArgument),
        },
        _ => Err(ParseError::UnsupportedParameter),
    }
}

fn parse_auth(arg: &[u8]) -> AuthMechanism<&[u8]> {
    if arg.eq_ignore_ascii_case(b"TLS") || arg.eq_ignore_ascii_case(b"TLS-C") {
        AuthMechanism::Tls
    } else if arg.eq_ignore_ascii_case(b"SSL") {
        AuthMechanism::Ssl
    } else if arg.eq_ignore_ascii_case(b"TLS-P") {
        AuthMechanism::TlsP
    } else {
        AuthMechanism::Other(arg)
    }
}

fn parse_epsv(arg: Option<&[u8]>) -> Result<EpsvArgument, ParseError> {
    let Some(arg) = optional(arg) else {
        return Ok(EpsvArgument::Default);
    };
    if arg.eq_ignore_ascii_case(b"ALL") {
        return Ok(EpsvArgument::All);
    }
    match decimal_u64(arg).map(u16::try_from) {
        Some(Ok(1)) => Ok(EpsvArgument::Protocol(NetworkProtocol::Ipv4)),
        Some(Ok(2)) => Ok(EpsvArgument::Protocol(NetworkProtocol::Ipv6)),
        Some(Ok(n)) => Ok(EpsvArgument::Protocol(NetworkProtocol::Other(n))),
        _ => Err(ParseError::BadArgument),
    }
}

fn parse_opts(arg: &[u8]) -> Result<OptsArgument<&[u8]>, ParseError> {
    let (name, options) = split_word(arg);
    if name.is_empty() {
        return Err(ParseError::BadArgument);
    }
    if name.eq_ignore_ascii_case(b"UTF8") || name.eq_ignore_ascii_case(b"UTF-8") {
        match options {
            Some(o) if o.eq_ignore_ascii_case(b"ON") => return Ok(OptsArgument::Utf8(true)),
            Some(o) if o.eq_ignore_ascii_case(b"OFF") => return Ok(OptsArgument::Utf8(false)),
            _ => {}
        }
    }
    if name.eq_ignore_ascii_case(b"MLST") {
        // An empty list selects names only; keep a slice of `arg` so spans stay valid.
        return Ok(OptsArgument::Mlst(
            options.unwrap_or(arg.get(arg.len()..).unwrap_or_default()),
        ));
    }
    Ok(OptsArgument::Other {
        name,
        options: optional(options),
    })
}

/// `LIST`/`NLST`: drop leading `-options` words and the spaces after each.
fn listing_argument(arg: Option<&[u8]>) -> Option<&[u8]> {
    let mut arg = optional(arg)?;
    while arg.first() == Some(&b'-') {
        let (_, rest) = split_word(arg);
        arg = trim_start_spaces(rest?);
    }
    optional(Some(arg))
}

fn parse_time_and_path(arg: Option<&[u8]>) -> Result<(Timestamp, &[u8]), ParseError> {
    let (time, path) = split_word(required(arg)?);
    let path = required(path)?;
    let time = Timestamp::parse_ftp(time).map_err(|_| ParseError::BadArgument)?;
    Ok((time, path))
}

impl<'a> Command<&'a [u8]> {
    /// Parses one command line (without CR LF, Telnet-decoded), borrowing it.
    /// See the [`command`](crate::command) module docs for the grammar and the error choices.
    pub fn parse(line: &'a [u8]) -> Result<Self, ParseError> {
        if line.is_empty() {
            return Err(ParseError::Empty);
        }
        let (key, verb_len) = verb_key(line)?;
        // Everything after the SP that ends the verb, if there is one.
        let arg = line.get(verb_len + 1..);
        use Command as C;
        Ok(match key {
            V_USER => C::User(required(arg)?),
            // An absent password is an empty one, pointing at the end of the line.
            V_PASS => C::Pass(arg.unwrap_or(line.get(line.len()..).unwrap_or_default())),
            V_ACCT => C::Acct(required(arg)?),
            V_CWD => C::Cwd(required(arg)?),
            V_XCWD => C::Xcwd(required(arg)?),
            V_CDUP => none(arg).map(|()| C::Cdup)?,
            V_XCUP => none(arg).map(|()| C::Xcup)?,
            V_SMNT => C::Smnt(required(arg)?),
            V_REIN => none(arg).map(|()| C::Rein)?,
            V_QUIT => none(arg).map(|()| C::Quit)?,
            V_PORT => C::Port(address::parse_port_argument(required(arg)?)?),
            V_PASV | V_PATSW => none(arg).map(|()| C::Pasv)?,
            V_TYPE => C::Type(parse_type(required(arg)?)?),
            V_STRU => C::Stru(match upper_letter(required(arg)?)? {
                b'F' => FileStructure::File,
                b'R' => FileStructure::Record,
                b'P' => FileStructure::Page,
                _ => return Err(ParseError::UnsupportedParameter),
            }),
            V_MODE => C::Mode(match upper_letter(required(arg)?)? {
                b'S' => TransferMode::Stream,
                b'B' => TransferMode::Block,
                b'C' => TransferMode::Compressed,
                b'Z' => TransferMode::Deflate,
                _ => return Err(ParseError::UnsupportedParameter),
            }),
            V_EPRT => C::Eprt(address::parse_eprt_argument(required(arg)?)?),
            V_EPSV => C::Epsv(parse_epsv(arg)?),
            V_LPRT => C::Lprt(required(arg)?),
            V_LPSV => none(arg).map(|()| C::Lpsv)?,
            V_RETR => C::Retr(required(arg)?),
            V_STOR => C::Stor(required(arg)?),
            V_STOU => C::Stou(optional(arg)),
            V_APPE => C::Appe(required(arg)?),
            V_ALLO => C::Allo(required(arg)?),
            V_REST => C::Rest(decimal_u64(required(arg)?).ok_or(ParseError::BadArgument)?),
            V_RNFR => C::Rnfr(required(arg)?),
            V_RNTO => C::Rnto(required(arg)?),
            V_ABOR => none(arg).map(|()| C::Abor)?,
            V_DELE => C::Dele(required(arg)?),
            V_RMD => C::Rmd(required(arg)?),
            V_XRMD => C::Xrmd(required(arg)?),
            V_MKD => C::Mkd(required(arg)?),
            V_XMKD => C::Xmkd(required(arg)?),
            V_PWD => none(arg).map(|()| C::Pwd)?,
            V_XPWD => none(arg).map(|()| C::Xpwd)?,
            V_LIST => C::List(listing_argument(arg)),
            V_NLST => C::Nlst(listing_argument(arg)),
            V_SITE => C::Site(required(arg)?),
            V_SYST => none(arg).map(|()| C::Syst)?,
            V_STAT => C::Stat(optional(arg)),
            V_HELP => C::Help(optional(arg)),
            V_NOOP => none(arg).map(|()| C::Noop)?,
            V_AUTH => C::Auth(parse_auth(required(arg)?)),
            V_ADAT => C::Adat(required(arg)?),
            V_PBSZ => C::Pbsz(decimal_u64(required(arg)?).ok_or(ParseError::BadArgument)?),
            V_PROT => C::Prot(match upper_letter(required(arg)?)? {
                b'C' => ProtectionLevel::Clear,
                b'S' => ProtectionLevel::Safe,
                b'E' => ProtectionLevel::Confidential,
                b'P' => ProtectionLevel::Private,
                _ => return Err(ParseError::UnsupportedParameter),
            }),
            V_CCC => none(arg).map(|()| C::Ccc)?,
            V_MIC => C::Mic(required(arg)?),
            V_CONF => C::Conf(required(arg)?),
            V_ENC => C::Enc(required(arg)?),
            V_FEAT => none(arg).map(|()| C::Feat)?,
            V_OPTS => C::Opts(parse_opts(required(arg)?)?),
            V_SIZE => C::Size(required(arg)?),
            V_MDTM => C::Mdtm(required(arg)?),
            V_MLST => C::Mlst(optional(arg)),
            V_MLSD => C::Mlsd(optional(arg)),
            V_LANG => C::Lang(optional(arg)),
            V_HOST => C::Host(required(arg)?),
            V_MFMT => {
                let (time, path) = parse_time_and_path(arg)?;
                C::Mfmt { time, path }
            }
            V_MFCT => {
                let (time, path) = parse_time_and_path(arg)?;
                C::Mfct { time, path }
            }
            V_MFF => {
                let (facts, path) = split_word(required(arg)?);
                C::Mff {
                    facts: required(Some(facts))?,
                    path: required(path)?,
                }
            }
            V_CLNT => C::Clnt(required(arg)?),
            V_HASH => C::Hash(required(arg)?),
            V_MD5 => C::Md5(required(arg)?),
            V_XMD5 => digest(DigestAlgorithm::Md5, arg)?,
            V_XCRC => digest(DigestAlgorithm::Crc, arg)?,
            V_XSHA1 => digest(DigestAlgorithm::Sha1, arg)?,
            V_XSHA256 => digest(DigestAlgorithm::Sha256, arg)?,
            V_XSHA512 => digest(DigestAlgorithm::Sha512, arg)?,
            V_PRET => C::Pret(required(arg)?),
            _ => return Err(ParseError::UnknownVerb),
        })
    }

    /// The byte ranges of every argument inside `line`, the slice this command
    /// was parsed from. Together with [`Command::resolve`] this turns a
    /// borrowed command into an owned one without copying:
    /// `Command::parse(line.text())?.to_spans(line.text()).resolve(&line.into_bytes())`.
    ///
    /// An argument that does not point into `line` (a caller error) maps to `0..0`.
    #[must_use]
    pub fn to_spans(&self, line: &[u8]) -> Command<Range<usize>> {
        let base = line.as_ptr() as usize;
        self.clone().map(|arg: &[u8]| {
            let start = (arg.as_ptr() as usize).checked_sub(base);
            match start {
                Some(s)
                    if s.checked_add(arg.len())
                        .is_some_and(|end| end <= line.len()) =>
                {
                    s..s + arg.len()
                }
                _ => {
                    debug_assert!(false, "argument does not point into the line");
                    0..0
                }
            }
        })
    }
}

fn digest(algorithm: DigestAlgorithm, arg: Option<&[u8]>) -> Result<Command<&[u8]>, ParseError> {
    Ok(Command::XDigest {
        algorithm,
        args: required(arg)?,
    })
}

impl Command<Range<usize>> {
    /// Slices the owned line into the arguments (`Bytes::slice`, no copy).
    /// `line` must hold the text the spans were computed on; a range outside it
    /// resolves to empty bytes.
    #[must_use]
    pub fn resolve(self, line: &Bytes) -> Command<Bytes> {
        self.map(|r| {
            if r.start <= r.end && r.end <= line.len() {
                line.slice(r)
            } else {
                Bytes::new()
            }
        })
    }
}

#[cfg(test)]
mod tests;
