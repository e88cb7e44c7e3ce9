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

impl<A> AuthMechanism<A> {
    /// Converts the raw argument type.
    pub fn map<B>(self, f: impl FnOnce(A) -> B) -> AuthMechanism<B> {
        match self {
            Self::Tls => AuthMechanism::Tls,
            Self::Ssl => AuthMechanism::Ssl,
            Self::TlsP => AuthMechanism::TlsP,
            Self::Other(a) => AuthMechanism::Other(f(a)),
        }
    }
}

impl<A> OptsArgument<A> {
    /// Converts the raw argument type.
    pub fn map<B>(self, mut f: impl FnMut(A) -> B) -> OptsArgument<B> {
        match self {
            Self::Utf8(on) => OptsArgument::Utf8(on),
            Self::Mlst(facts) => OptsArgument::Mlst(f(facts)),
            Self::Other { name, options } => OptsArgument::Other {
                name: f(name),
                options: options.map(f),
            },
        }
    }
}

impl<A> Command<A> {
    /// Converts every raw argument with `f`, keeping everything else.
    ///
    /// This is how to build commands of other argument types, for example an
    /// arbitrary `Command<Bytes>` for fuzzing (`Bytes` has no `Arbitrary`
    /// impl): `Command::<Vec<u8>>::arbitrary(u)?.map(Bytes::from)`.
    pub fn map<B>(self, mut f: impl FnMut(A) -> B) -> Command<B> {
        use Command as C;
        match self {
            C::User(a) => C::User(f(a)),
            C::Pass(a) => C::Pass(f(a)),
            C::Acct(a) => C::Acct(f(a)),
            C::Cwd(a) => C::Cwd(f(a)),
            C::Xcwd(a) => C::Xcwd(f(a)),
            C::Cdup => C::Cdup,
            C::Xcup => C::Xcup,
            C::Smnt(a) => C::Smnt(f(a)),
            C::Rein => C::Rein,
            C::Quit => C::Quit,
            C::Port(p) => C::Port(p),
            C::Pasv => C::Pasv,
            C::Type(t) => C::Type(t),
            C::Stru(s) => C::Stru(s),
            C::Mode(m) => C::Mode(m),
            C::Eprt(e) => C::Eprt(e),
            C::Epsv(e) => C::Epsv(e),
            C::Lprt(a) => C::Lprt(f(a)),
            C::Lpsv => C::Lpsv,
            C::Retr(a) => C::Retr(f(a)),
            C::Stor(a) => C::Stor(f(a)),
            C::Stou(a) => C::Stou(a.map(f)),
            C::Appe(a) => C::Appe(f(a)),
            C::Allo(a) => C::Allo(f(a)),
            C::Rest(n) => C::Rest(n),
            C::Rnfr(a) => C::Rnfr(f(a)),
            C::Rnto(a) => C::Rnto(f(a)),
            C::Abor => C::Abor,
            C::Dele(a) => C::Dele(f(a)),
            C::Rmd(a) => C::Rmd(f(a)),
            C::Xrmd(a) => C::Xrmd(f(a)),
            C::Mkd(a) => C::Mkd(f(a)),
            C::Xmkd(a) => C::Xmkd(f(a)),
            C::Pwd => C::Pwd,
            C::Xpwd => C::Xpwd,
            C::List(a) => C::List(a.map(f)),
            C::Nlst(a) => C::Nlst(a.map(f)),
            C::Site(a) => C::Site(f(a)),
            C::Syst => C::Syst,
            C::Stat(a) => C::Stat(a.map(f)),
            C::Help(a) => C::Help(a.map(f)),
            C::Noop => C::Noop,
            C::Auth(m) => C::Auth(m.map(f)),
            C::Adat(a) => C::Adat(f(a)),
            C::Pbsz(n) => C::Pbsz(n),
            C::Prot(p) => C::Prot(p),
            C::Ccc => C::Ccc,
            C::Mic(a) => C::Mic(f(a)),
            C::Conf(a) => C::Conf(f(a)),
            C::Enc(a) => C::Enc(f(a)),
            C::Feat => C::Feat,
            C::Opts(o) => C::Opts(o.map(f)),
            C::Size(a) => C::Size(f(a)),
            C::Mdtm(a) => C::Mdtm(f(a)),
            C::Mlst(a) => C::Mlst(a.map(f)),
            C::Mlsd(a) => C::Mlsd(a.map(f)),
            C::Lang(a) => C::Lang(a.map(f)),
            C::Host(a) => C::Host(f(a)),
            C::Mfmt { time, path } => C::Mfmt {
                time,
                path: f(path),
            },
            C::Mfct { time, path } => C::Mfct {
                time,
                path: f(path),
            },
            C::Mff { facts, path } => {
                let facts = f(facts);
                C::Mff {
                    facts,
                    path: f(path),
                }
            }
            C::Clnt(a) => C::Clnt(f(a)),
            C::Hash(a) => C::Hash(f(a)),
            C::Md5(a) => C::Md5(f(a)),
            C::XDigest { algorithm, args } => C::XDigest {
                algorithm,
                args: f(args),
            },
            C::Pret(a) => C::Pret(f(a)),
        }
    }

    /// The verb in upper case, as rendered on the wire (`PASV` for `P@SW`).
    #[must_use]
    pub fn verb(&self) -> &'static str {
        use Command as C;
        match self {
            C::User(_) => "USER",
            C::Pass(_) => "PASS",
            C::Acct(_) => "ACCT",
            C::Cwd(_) => "CWD",
            C::Xcwd(_) => "XCWD",
            C::Cdup => "CDUP",
            C::Xcup => "XCUP",
            C::Smnt(_) => "SMNT",
            C::Rein => "REIN",
            C::Quit => "QUIT",
            C::Port(_) => "PORT",
            C::Pasv => "PASV",
            C::Type(_) => "TYPE",
            C::Stru(_) => "STRU",
            C::Mode(_) => "MODE",
            C::Eprt(_) => "EPRT",
            C::Epsv(_) => "EPSV",
            C::Lprt(_) => "LPRT",
            C::Lpsv => "LPSV",
            C::Retr(_) => "RETR",
            C::Stor(_) => "STOR",
            C::Stou(_) => "STOU",
            C::Appe(_) => "APPE",
            C::Allo(_) => "ALLO",
            C::Rest(_) => "REST",
            C::Rnfr(_) => "RNFR",
            C::Rnto(_) => "RNTO",
            C::Abor => "ABOR",
            C::Dele(_) => "DELE",
            C::Rmd(_) => "RMD",
            C::Xrmd(_) => "XRMD",
            C::Mkd(_) => "MKD",
            C::Xmkd(_) => "XMKD",
            C::Pwd => "PWD",
            C::Xpwd => "XPWD",
            C::List(_) => "LIST",
            C::Nlst(_) => "NLST",
            C::Site(_) => "SITE",
            C::Syst => "SYST",
            C::Stat(_) => "STAT",
            C::Help(_) => "HELP",
            C::Noop => "NOOP",
            C::Auth(_) => "AUTH",
            C::Adat(_) => "ADAT",
            C::Pbsz(_) => "PBSZ",
            C::Prot(_) => "PROT",
            C::Ccc => "CCC",
            C::Mic(_) => "MIC",
            C::Conf(_) => "CONF",
            C::Enc(_) => "ENC",
            C::Feat => "FEAT",
            C::Opts(_) => "OPTS",
            C::Size(_) => "SIZE",
            C::Mdtm(_) => "MDTM",
            C::Mlst(_) => "MLST",
            C::Mlsd(_) => "MLSD",
            C::Lang(_) => "LANG",
            C::Host(_) => "HOST",
            C::Mfmt { .. } => "MFMT",
            C::Mfct { .. } => "MFCT",
            C::Mff { .. } => "MFF",
            C::Clnt(_) => "CLNT",
            C::Hash(_) => "HASH",
            C::Md5(_) => "MD5",
            C::XDigest { algorithm, .. } => match algorithm {
                DigestAlgorithm::Md5 => "XMD5",
                DigestAlgorithm::Crc => "XCRC",
                DigestAlgorithm::Sha1 => "XSHA1",
                DigestAlgorithm::Sha256 => "XSHA256",
                DigestAlgorithm::Sha512 => "XSHA512",
            },
            C::Pret(_) => "PRET",
        }
    }
}

impl<A: AsRef<[u8]>> Command<A> {
    /// An owned copy whose arguments are fresh [`Bytes`] (copies; for the
    /// zero-copy path use [`Command::to_spans`] and [`Command::resolve`]).
    #[must_use]
    pub fn into_owned(self) -> Command<Bytes> {
        self.map(|a| Bytes::copy_from_slice(a.as_ref()))
    }
}
