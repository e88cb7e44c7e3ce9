//! FTP commands: one typed variant per verb, parsed from a line (server side)
//! and rendered to wire bytes (client side).
//!
//! [`Command`] is generic over how it holds its raw arguments (paths, user
//! names, SITE strings...). Parsing borrows: [`Command::parse`] returns a
//! `Command<&[u8]>` whose arguments point into the line, with no allocation.
//! Events own: `Command<Bytes>` (the default) holds [`Bytes`] slices of the
//! input buffer, made with `Bytes::slice_ref` (a reference-count bump, never a
//! copy). Paths are raw octets: RFC 2640 and RFC 3659 §2.2 make pathnames
//! 8-bit clean, and every byte after the first space belongs to the argument.

use bytes::Bytes;
use core::net::{SocketAddr, SocketAddrV4};

use crate::timestamp::Timestamp;

mod encode;
mod parse;

pub use encode::EncodeError;
pub use parse::ParseError;

/// A control-connection command.
///
/// `A` holds raw argument bytes: `&[u8]` when borrowed from a parsed line,
/// [`Bytes`] when owned. Verbs are case-insensitive on input and rendered in
/// upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Command<A = Bytes> {
    // --- Access control (RFC 959 §4.1.1) ---
    /// `USER name`: start (or restart) a login.
    User(A),
    /// `PASS password` (possibly empty).
    Pass(A),
    /// `ACCT account`.
    Acct(A),
    /// `CWD path`.
    Cwd(A),
    /// `XCWD path` (RFC 1123 alias of CWD).
    Xcwd(A),
    /// `CDUP`.
    Cdup,
    /// `XCUP` (RFC 1123 alias of CDUP).
    Xcup,
    /// `SMNT path` (structure mount; practically never implemented).
    Smnt(A),
    /// `REIN`: reset the session to the just-connected state.
    Rein,
    /// `QUIT`.
    Quit,

    // --- Transfer parameters (RFC 959 §4.1.2, RFC 2428, RFC 1639) ---
    /// `PORT h1,h2,h3,h4,p1,p2`: active mode, IPv4.
    Port(SocketAddrV4),
    /// `PASV` (also accepted as `P@SW`, a verb some middleboxes mangle PASV into).
    Pasv,
    /// `TYPE A|E [N|T|C]`, `TYPE I`, `TYPE L n`.
    Type(TransferType),
    /// `STRU F|R|P`.
    Stru(FileStructure),
    /// `MODE S|B|C|Z`.
    Mode(TransferMode),
    /// `EPRT |af|addr|port|` (RFC 2428): active mode, IPv4 or IPv6.
    Eprt(SocketAddr),
    /// `EPSV [af|ALL]` (RFC 2428).
    Epsv(EpsvArgument),
    /// `LPRT ...` (RFC 1639 long port; recognised so servers can answer 502).
    Lprt(A),
    /// `LPSV` (RFC 1639 long passive; recognised so servers can answer 502).
    Lpsv,

    // --- Service commands (RFC 959 §4.1.3) ---
    /// `RETR path`.
    Retr(A),
    /// `STOR path`.
    Stor(A),
    /// `STOU [name]` (store unique; the optional argument is a name hint some servers take).
    Stou(Option<A>),
    /// `APPE path`.
    Appe(A),
    /// `ALLO n [R m]` (kept raw; servers answer 202).
    Allo(A),
    /// `REST offset`: a decimal byte offset (stream-mode restart, RFC 3659 §5).
    Rest(u64),
    /// `RNFR path`.
    Rnfr(A),
    /// `RNTO path`.
    Rnto(A),
    /// `ABOR`.
    Abor,
    /// `DELE path`.
    Dele(A),
    /// `RMD path`.
    Rmd(A),
    /// `XRMD path` (alias of RMD).
    Xrmd(A),
    /// `MKD path`.
    Mkd(A),
    /// `XMKD path` (alias of MKD).
    Xmkd(A),
    /// `PWD`.
    Pwd,
    /// `XPWD` (alias of PWD).
    Xpwd,
    /// `LIST [path]`. Leading `-options` words (`LIST -la`) are dropped while parsing,
    /// as servers do; `None` means the current directory.
    List(Option<A>),
    /// `NLST [path]` (leading `-options` dropped as for LIST).
    Nlst(Option<A>),
    /// `SITE string` (the whole string, subcommand included).
    Site(A),
    /// `SYST`.
    Syst,
    /// `STAT [path]`.
    Stat(Option<A>),
    /// `HELP [string]`.
    Help(Option<A>),
    /// `NOOP`.
    Noop,

    // --- Security (RFC 2228, RFC 4217) ---
    /// `AUTH mechanism`.
    Auth(AuthMechanism<A>),
    /// `ADAT base64`.
    Adat(A),
    /// `PBSZ n` (TLS always uses 0).
    Pbsz(u64),
    /// `PROT C|S|E|P`.
    Prot(ProtectionLevel),
    /// `CCC`: clear the command channel.
    Ccc,
    /// `MIC base64`.
    Mic(A),
    /// `CONF base64`.
    Conf(A),
    /// `ENC base64`.
    Enc(A),

    // --- Feature negotiation (RFC 2389) ---
    /// `FEAT`.
    Feat,
    /// `OPTS command [options]`.
    Opts(OptsArgument<A>),

    // --- RFC 3659 ---
    /// `SIZE path`.
    Size(A),
    /// `MDTM path` (the whole rest of the line is the path, RFC 3659 §3.4).
    Mdtm(A),
    /// `MLST [path]`.
    Mlst(Option<A>),
    /// `MLSD [path]`.
    Mlsd(Option<A>),

    // --- RFC 2640, RFC 7151 ---
    /// `LANG [tag]`.
    Lang(Option<A>),
    /// `HOST name` (RFC 7151 virtual host, before login).
    Host(A),

    // --- Common non-RFC commands ---
    /// `MFMT YYYYMMDDHHMMSS[.F] path` (draft-somers-ftp-mfxx): set the modification time.
    Mfmt {
        /// The requested modification time (UTC).
        time: Timestamp,
        /// The file.
        path: A,
    },
    /// `MFCT YYYYMMDDHHMMSS[.F] path`: set the creation time.
    Mfct {
        /// The requested creation time (UTC).
        time: Timestamp,
        /// The file.
        path: A,
    },
    /// `MFF fact=value;... path`: modify facts.
    Mff {
        /// The raw `fact=value;` list.
        facts: A,
        /// The file.
        path: A,
    },
    /// `CLNT name` (client software identification).
    Clnt(A),
    /// `HASH path` (draft-bryan-ftp-hash).
    Hash(A),
    /// `MD5 path` (draft-twine-ftpmd5).
    Md5(A),
    /// `XMD5`, `XCRC`, `XSHA1`, `XSHA256`, `XSHA512` with `path [start end]`, kept raw.
    XDigest {
        /// Which digest verb.
        algorithm: DigestAlgorithm,
        /// The raw argument.
        args: A,
    },
    /// `PRET command-line` (announce the next transfer before PASV).
    Pret(A),
}

/// The `TYPE` argument (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TransferType {
    /// `A [format]`: ASCII with CRLF line ends on the wire (the RFC default, `A N`).
    #[default]
    Ascii,
    /// `A T` / `A C`: ASCII with a print-format other than non-print.
    AsciiFormat(TextFormat),
    /// `E [format]`: EBCDIC (servers answer 504).
    Ebcdic(TextFormat),
    /// `I`: image (binary), bytes unchanged.
    Image,
    /// `L n`: local byte size `n` (`L 8` equals `I` on 8-bit hosts).
    Local(u8),
}

/// The print-format second parameter of `TYPE A`/`TYPE E`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TextFormat {
    /// `N`: non-print (the default).
    #[default]
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: ASA carriage control.
    CarriageControl,
}

/// The `STRU` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum FileStructure {
    /// `F`: a byte stream (the default and the only one servers implement).
    #[default]
    File,
    /// `R`: records.
    Record,
    /// `P`: pages.
    Page,
}

/// The `MODE` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum TransferMode {
    /// `S`: stream (the default).
    #[default]
    Stream,
    /// `B`: block.
    Block,
    /// `C`: compressed.
    Compressed,
    /// `Z`: deflate (draft-preston-ftpext-deflate).
    Deflate,
}

/// The `PROT` argument (RFC 2228 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ProtectionLevel {
    /// `C`: clear, no protection on data connections (the default).
    #[default]
    Clear,
    /// `S`: safe (integrity only).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (TLS on every data connection, RFC 4217).
    Private,
}

/// The `AUTH` argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AuthMechanism<A = Bytes> {
    /// `TLS` (also `TLS-C`, its RFC 4217 §17 synonym).
    Tls,
    /// `SSL` (legacy; like TLS).
    Ssl,
    /// `TLS-P` (legacy: TLS with protected data).
    TlsP,
    /// Any other mechanism name (servers answer 504).
    Other(A),
}

/// The network protocol number of EPRT/EPSV (RFC 2428).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum NetworkProtocol {
    /// `1`: IPv4.
    Ipv4,
    /// `2`: IPv6.
    Ipv6,
    /// Any other number (servers answer 522).
    Other(u16),
}

/// The `EPSV` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum EpsvArgument {
    /// No argument: the control connection's protocol.
    #[default]
    Default,
    /// A requested network protocol.
    Protocol(NetworkProtocol),
    /// `ALL`: only EPSV from now on (RFC 2428 §4).
    All,
}

/// The `OPTS` argument (RFC 2389 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OptsArgument<A = Bytes> {
    /// `OPTS UTF8 ON` / `OPTS UTF8 OFF` (non-RFC, sent by many clients).
    Utf8(bool),
    /// `OPTS MLST fact;fact;...` (RFC 3659 §7.9); the raw list, possibly empty.
    Mlst(A),
    /// Any other `OPTS name [options]`.
    Other {
        /// The command name the options are for.
        name: A,
        /// The options, if any.
        options: Option<A>,
    },
}

/// The digest verbs kept as [`Command::XDigest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum DigestAlgorithm {
    /// `XMD5`.
    Md5,
    /// `XCRC`.
    Crc,
    /// `XSHA1`.
    Sha1,
    /// `XSHA256`.
    Sha256,
    /// `XSHA512`.
    Sha512,
}
