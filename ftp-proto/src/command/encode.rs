//! Command rendering (client side): `VERB [SP argument] CRLF` into a [`BytesMut`].
//!
//! - The verb is written in upper case; typed parameters in their canonical
//!   form (`TYPE A T`, `TYPE L 8`, `EPSV ALL`, `OPTS UTF8 ON`).
//! - CR, LF and NUL are refused inside every argument
//!   ([`EncodeError::ForbiddenByte`]): a file name holding CR LF would inject a
//!   second command (python/cpython#74305). On error `out` is left unchanged.
//! - Data byte 0xFF is doubled (`IAC IAC`, RFC 3659 §2.2).
//! - Raw arguments are written as given, even when the parser would read them
//!   back differently (an empty path, `LIST -la` whose options the server
//!   drops, an `AUTH` mechanism given as `Other(b"TLS")`...).

use core::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use super::{
    AuthMechanism, Command, EpsvArgument, FileStructure, NetworkProtocol, OptsArgument,
    ProtectionLevel, TextFormat, TransferMode, TransferType,
};
use crate::address;
use crate::timestamp::Timestamp;

/// Why a command could not be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An argument holds CR, LF or NUL, which would end or corrupt the command line.
    #[error("argument contains CR, LF or NUL")]
    ForbiddenByte,
}

/// Appends `arg` doubling 0xFF; refuses CR, LF and NUL.
fn put_arg(out: &mut BytesMut, arg: &[u8]) -> Result<(), EncodeError> {
    if memchr::memchr3(b'\r', b'\n', 0, arg).is_some() {
        return Err(EncodeError::ForbiddenByte);
    }
    let mut rest = arg;
    while let Some(i) = memchr::memchr(0xFF, rest) {
        let (head, tail) = rest.split_at(i + 1);
        out.extend_from_slice(head);
        out.put_u8(0xFF);
        rest = tail;
    }
    out.extend_from_slice(rest);
    Ok(())
}

fn format_letter(f: TextFormat) -> &'static [u8] {
    match f {
        TextFormat::NonPrint => b"N",
        TextFormat::Telnet => b"T",
        TextFormat::CarriageControl => b"C",
    }
}

fn put_time(out: &mut BytesMut, time: Timestamp) {
    let _ = write!(out, "{}", time.ftp(false));
    let nanos = time.subsec_nanos();
    if nanos != 0 {
        let mut digits = 9;
        let mut n = nanos;
        while n.is_multiple_of(10) {
            n /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{n:0digits$}");
    }
}

impl<A: AsRef<[u8]>> Command<A> {
    /// Appends the command line, CR LF included, to `out`.
    ///
    /// Fails (leaving `out` as it was) when an argument holds CR, LF or NUL.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        let start = out.len();
        let result = self.encode_inner(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_inner(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        use Command as C;
        out.extend_from_slice(self.verb().as_bytes());
        let sp = |out: &mut BytesMut| out.put_u8(b' ');
        match self {
            C::User(a)
            | C::Pass(a)
            | C::Acct(a)
            | C::Cwd(a)
            | C::Xcwd(a)
            | C::Smnt(a)
            | C::Lprt(a)
            | C::Retr(a)
            | C::Stor(a)
            | C::Appe(a)
            | C::Allo(a)
            | C::Rnfr(a)
            | C::Rnto(a)
            | C::Dele(a)
            | C::Rmd(a)
            | C::Xrmd(a)
            | C::Mkd(a)
            | C::Xmkd(a)
            | C::Site(a)
            | C::Adat(a)
            | C::Mic(a)
            | C::Conf(a)
            | C::Enc(a)
            | C::Size(a)
            | C::Mdtm(a)
            | C::Host(a)
            | C::Clnt(a)
            | C::Hash(a)
            | C::Md5(a)
            | C::Pret(a)
            | C::XDigest { args: a, .. } => {
                sp(out);
                put_arg(out, a.as_ref())?;
            }
            C::Stou(a)
            | C::List(a)
            | C::Nlst(a)
            | C::Stat(a)
            | C::Help(a)
            | C::Mlst(a)
            | C::Mlsd(a)
            | C::Lang(a) => {
                if let Some(a) = a {
                    sp(out);
                    put_arg(out, a.as_ref())?;
                }
            }
            C::Cdup
            | C::Xcup
            | C::Rein
            | C::Quit
            | C::Pasv
            | C::Lpsv
            | C::Abor
            | C::Pwd
            | C::Xpwd
            | C::Syst
            | C::Noop
            | C::Ccc
            | C::Feat => {}
            C::Port(addr) => {
                sp(out);
                address::write_port_argument(*addr, out);
            }
            C::Eprt(addr) => {
                sp(out);
                address::write_eprt_argument(*addr, out);
            }
            C::Type(t) => {
                sp(out);
                match t {
                    TransferType::Ascii => out.put_u8(b'A'),
                    TransferType::AsciiFormat(f) => {
                        out.extend_from_slice(b"A ");
                        out.extend_from_slice(format_letter(*f));
                    }
                    TransferType::Ebcdic(f) => {
                        out.extend_from_slice(b"E ");
                        out.extend_from_slice(format_letter(*f));
                    }
                    TransferType::Image => out.put_u8(b'I'),
                    TransferType::Local(n) => {
                        let _ = write!(out, "L {n}");
                    }
                }
            }
            C::Stru(s) => {
                sp(out);
                out.put_u8(match s {
                    FileStructure::File => b'F',
                    FileStructure::Record => b'R',
                    FileStructure::Page => b'P',
                });
            }
            C::Mode(m) => {
                sp(out);
                out.put_u8(match m {
                    TransferMode::Stream => b'S',
                    TransferMode::Block => b'B',
                    TransferMode::Compressed => b'C',
                    TransferMode::Deflate => b'Z',
                });
            }
            C::Prot(p) => {
                sp(out);
                out.put_u8(match p {
                    ProtectionLevel::Clear => b'C',
                    ProtectionLevel::Safe => b'S',
                    ProtectionLevel::Confidential => b'E',
                    ProtectionLevel::Private => b'P',
                });
            }
            C::Epsv(e) => match e {
                EpsvArgument::Default => {}
                EpsvArgument::All => out.extend_from_slice(b" ALL"),
                EpsvArgument::Protocol(p) => {
                    let n = match p {
                        NetworkProtocol::Ipv4 => 1,
                        NetworkProtocol::Ipv6 => 2,
                        NetworkProtocol::Other(n) => *n,
                    };
                    let _ = write!(out, " {n}");
                }
            },
            C::Rest(n) | C::Pbsz(n) => {
                let _ = write!(out, " {n}");
            }
            C::Auth(m) => {
                sp(out);
                match m {
                    AuthMechanism::Tls => out.extend_from_slice(b"TLS"),
                    AuthMechanism::Ssl => out.extend_from_slice(b"SSL"),
                    AuthMechanism::TlsP => out.extend_from_slice(b"TLS-P"),
                    AuthMechanism::Other(a) => put_arg(out, a.as_ref())?,
                }
            }
            C::Opts(o) => {
                sp(out);
                match o {
                    OptsArgument::Utf8(true) => out.extend_from_slice(b"UTF8 ON"),
                    OptsArgument::Utf8(false) => out.extend_from_slice(b"UTF8 OFF"),
                    OptsArgument::Mlst(facts) => {
                        out.extend_from_slice(b"MLST ");
                        put_arg(out, facts.as_ref())?;
                    }
                    OptsArgument::Other { name, options } => {
                        put_arg(out, name.as_ref())?;
                        if let Some(o) = options {
                            sp(out);
                            put_arg(out, o.as_ref())?;
                        }
                    }
                }
            }
            C::Mfmt { time, path } | C::Mfct { time, path } => {
                sp(out);
                put_time(out, *time);
                sp(out);
                put_arg(out, path.as_ref())?;
            }
            C::Mff { facts, path } => {
                sp(out);
                put_arg(out, facts.as_ref())?;
                sp(out);
                put_arg(out, path.as_ref())?;
            }
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use core::net::SocketAddrV4;

    fn enc(c: Command<&[u8]>) -> Result<BytesMut, EncodeError> {
        let mut out = BytesMut::new();
        c.encode(&mut out).map(|()| out)
    }

    #[test]
    fn renders() {
        let cases: &[(Command<&[u8]>, &[u8])] = &[
            (Command::User(b"anonymous"), b"USER anonymous\r\n"),
            (Command::Pass(b""), b"PASS \r\n"),
            (Command::Pwd, b"PWD\r\n"),
            (Command::Stor(b"  x y "), b"STOR   x y \r\n"),
            (Command::Retr(b"a\xffb"), b"RETR a\xff\xffb\r\n"),
            (Command::List(None), b"LIST\r\n"),
            (Command::Type(TransferType::Local(8)), b"TYPE L 8\r\n"),
            (
                Command::Type(TransferType::AsciiFormat(TextFormat::Telnet)),
                b"TYPE A T\r\n",
            ),
            (Command::Epsv(EpsvArgument::All), b"EPSV ALL\r\n"),
            (Command::Rest(1234), b"REST 1234\r\n"),
            (Command::Auth(AuthMechanism::Tls), b"AUTH TLS\r\n"),
            (Command::Opts(OptsArgument::Utf8(true)), b"OPTS UTF8 ON\r\n"),
            (
                Command::Port(SocketAddrV4::new([10, 0, 0, 1].into(), 1025)),
                b"PORT 10,0,0,1,4,1\r\n",
            ),
            (
                Command::Mfmt {
                    time: Timestamp::from_unix(0, 120_000_000),
                    path: b"f",
                },
                b"MFMT 19700101000000.12 f\r\n",
            ),
        ];
        for (cmd, want) in cases {
            assert_eq!(&enc(cmd.clone()).unwrap()[..], *want, "{cmd:?}");
        }
    }

    #[test]
    fn refuses_injection_and_leaves_out_unchanged() {
        for bad in [&b"a\r\nDELE b"[..], b"a\nb", b"a\rb", b"a\0b"] {
            let mut out = BytesMut::from(&b"NOOP\r\n"[..]);
            assert_eq!(
                Command::Retr(bad).encode(&mut out),
                Err(EncodeError::ForbiddenByte)
            );
            let mff = Command::Mff {
                facts: &b"modify=1;"[..],
                path: bad,
            };
            assert_eq!(mff.encode(&mut out), Err(EncodeError::ForbiddenByte));
            assert_eq!(&out[..], b"NOOP\r\n");
        }
    }
}
