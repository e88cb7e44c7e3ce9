use super::*;
use core::net::{Ipv4Addr, SocketAddrV4};

fn ok(line: &[u8]) -> Command<&[u8]> {
    match Command::parse(line) {
        Ok(c) => c,
        Err(e) => panic!("{:?}: {e:?}", core::str::from_utf8(line)),
    }
}

fn check(line: &[u8], want: Command<&[u8]>) {
    assert_eq!(ok(line), want, "{:?}", core::str::from_utf8(line));
}

fn err(line: &[u8]) -> u16 {
    match Command::parse(line) {
        Ok(c) => panic!("{:?} parsed as {c:?}", core::str::from_utf8(line)),
        Err(e) => e.reply_code(),
    }
}

#[test]
fn every_verb() {
    use Command as C;
    let addr = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 1075);
    let ts = Timestamp::parse_ftp(b"20240102030405").unwrap();
    let cases: &[(&[u8], Command<&[u8]>)] = &[
        (b"USER anonymous", C::User(b"anonymous")),
        (b"PASS secret word", C::Pass(b"secret word")),
        (b"PASS", C::Pass(b"")),
        (b"ACCT acc", C::Acct(b"acc")),
        (b"CWD /a b", C::Cwd(b"/a b")),
        (b"XCWD x", C::Xcwd(b"x")),
        (b"CDUP", C::Cdup),
        (b"XCUP", C::Xcup),
        (b"SMNT /mnt", C::Smnt(b"/mnt")),
        (b"REIN", C::Rein),
        (b"QUIT", C::Quit),
        (b"PORT 127,0,0,1,4,51", C::Port(addr)),
        (b"PASV", C::Pasv),
        (b"P@SW", C::Pasv),
        (b"TYPE I", C::Type(TransferType::Image)),
        (b"STRU F", C::Stru(FileStructure::File)),
        (b"MODE S", C::Mode(TransferMode::Stream)),
        (b"EPRT |1|127.0.0.1|1075|", C::Eprt(addr.into())),
        (b"EPSV", C::Epsv(EpsvArgument::Default)),
        (b"LPRT 4,4,1,2,3,4,2,0,20", C::Lprt(b"4,4,1,2,3,4,2,0,20")),
        (b"LPSV", C::Lpsv),
        (b"RETR f", C::Retr(b"f")),
        (b"STOR f", C::Stor(b"f")),
        (b"STOU", C::Stou(None)),
        (b"STOU hint", C::Stou(Some(b"hint"))),
        (b"APPE f", C::Appe(b"f")),
        (b"ALLO 10 R 2", C::Allo(b"10 R 2")),
        (b"REST 100", C::Rest(100)),
        (b"RNFR a", C::Rnfr(b"a")),
        (b"RNTO b", C::Rnto(b"b")),
        (b"ABOR", C::Abor),
        (b"DELE f", C::Dele(b"f")),
        (b"RMD d", C::Rmd(b"d")),
        (b"XRMD d", C::Xrmd(b"d")),
        (b"MKD d", C::Mkd(b"d")),
        (b"XMKD d", C::Xmkd(b"d")),
        (b"PWD", C::Pwd),
        (b"XPWD", C::Xpwd),
        (b"LIST", C::List(None)),
        (b"NLST d", C::Nlst(Some(b"d"))),
        (b"SITE CHMOD 755  f", C::Site(b"CHMOD 755  f")),
        (b"SYST", C::Syst),
        (b"STAT", C::Stat(None)),
        (b"HELP SITE", C::Help(Some(b"SITE"))),
        (b"NOOP", C::Noop),
        (b"AUTH TLS", C::Auth(AuthMechanism::Tls)),
        (b"ADAT AAAA", C::Adat(b"AAAA")),
        (b"PBSZ 0", C::Pbsz(0)),
        (b"PROT P", C::Prot(ProtectionLevel::Private)),
        (b"CCC", C::Ccc),
        (b"MIC x", C::Mic(b"x")),
        (b"CONF x", C::Conf(b"x")),
        (b"ENC x", C::Enc(b"x")),
        (b"FEAT", C::Feat),
        (b"OPTS UTF8 ON", C::Opts(OptsArgument::Utf8(true))),
        (b"SIZE f", C::Size(b"f")),
        (
            b"MDTM 19990929043300 File6",
            C::Mdtm(b"19990929043300 File6"),
        ),
        (b"MLST", C::Mlst(None)),
        (b"MLSD d", C::Mlsd(Some(b"d"))),
        (b"LANG", C::Lang(None)),
        (b"LANG fr", C::Lang(Some(b"fr"))),
        (b"HOST ftp.example.com", C::Host(b"ftp.example.com")),
        (
            b"MFMT 20240102030405 a b",
            C::Mfmt {
                time: ts,
                path: b"a b",
            },
        ),
        (
            b"MFCT 20240102030405 f",
            C::Mfct {
                time: ts,
                path: b"f",
            },
        ),
        (
            b"MFF modify=20240102030405; f",
            C::Mff {
                facts: b"modify=20240102030405;",
                path: b"f",
            },
        ),
        (b"CLNT curl", C::Clnt(b"curl")),
        (b"HASH f", C::Hash(b"f")),
        (b"MD5 f", C::Md5(b"f")),
        (
            b"XMD5 f",
            C::XDigest {
                algorithm: DigestAlgorithm::Md5,
                args: b"f",
            },
        ),
        (
            b"XCRC f 0 10",
            C::XDigest {
                algorithm: DigestAlgorithm::Crc,
                args: b"f 0 10",
            },
        ),
        (
            b"XSHA1 f",
            C::XDigest {
                algorithm: DigestAlgorithm::Sha1,
                args: b"f",
            },
        ),
        (
            b"XSHA256 f",
            C::XDigest {
                algorithm: DigestAlgorithm::Sha256,
                args: b"f",
            },
        ),
        (
            b"XSHA512 f",
            C::XDigest {
                algorithm: DigestAlgorithm::Sha512,
                args: b"f",
            },
        ),
        (b"PRET RETR f", C::Pret(b"RETR f")),
    ];
    for (line, want) in cases {
        assert_eq!(&ok(line), want, "{:?}", core::str::from_utf8(line));
        // Case-insensitive verbs.
        let mut lower = line.to_vec();
        let verb_len = lower.iter().position(|&b| b == b' ').unwrap_or(lower.len());
        lower[..verb_len].make_ascii_lowercase();
        assert_eq!(&ok(&lower), want);
        // The verb is what `verb()` says (P@SW renders as PASV).
        if !line.starts_with(b"P@SW") {
            assert!(line.starts_with(want.verb().as_bytes()), "{want:?}");
        }
    }
}

#[test]
fn typed_parameters() {
    use TransferType as T;
    for (arg, want) in [
        (&b"I"[..], T::Image),
        (b"i", T::Image),
        (b"A", T::Ascii),
        (b"A N", T::Ascii),
        (b"AN", T::Ascii),
        (b"a n", T::Ascii),
        (b"A T", T::AsciiFormat(TextFormat::Telnet)),
        (b"A C", T::AsciiFormat(TextFormat::CarriageControl)),
        (b"E", T::Ebcdic(TextFormat::NonPrint)),
        (b"E T", T::Ebcdic(TextFormat::Telnet)),
        (b"L 8", T::Local(8)),
        (b"L8", T::Local(8)),
        (b"l 7", T::Local(7)),
    ] {
        let mut line = b"TYPE ".to_vec();
        line.extend_from_slice(arg);
        assert_eq!(ok(&line), Command::Type(want), "{arg:?}");
    }
    for (line, code) in [
        (&b"TYPE X"[..], 504),
        (b"TYPE A X", 504),
        (b"TYPE L 0", 504),
        (b"TYPE L 300", 504),
        (b"TYPE L", 501),
        (b"TYPE L x", 501),
        (b"TYPE I X", 501),
        (b"TYPE A NN", 501),
        (b"TYPE", 501),
        (b"TYPE ", 501),
        (b"MODE X", 504),
        (b"MODE SS", 501),
        (b"STRU X", 504),
        (b"PROT X", 504),
        (b"EPSV x", 501),
    ] {
        assert_eq!(err(line), code, "{:?}", core::str::from_utf8(line));
    }
    check(b"MODE z", Command::Mode(TransferMode::Deflate));
    check(b"PROT c", Command::Prot(ProtectionLevel::Clear));
    check(b"EPSV all", Command::Epsv(EpsvArgument::All));
    check(
        b"EPSV 2",
        Command::Epsv(EpsvArgument::Protocol(NetworkProtocol::Ipv6)),
    );
    check(
        b"EPSV 7",
        Command::Epsv(EpsvArgument::Protocol(NetworkProtocol::Other(7))),
    );
    check(b"AUTH tls-c", Command::Auth(AuthMechanism::Tls));
    check(b"AUTH SSL", Command::Auth(AuthMechanism::Ssl));
    check(b"AUTH TLS-P", Command::Auth(AuthMechanism::TlsP));
    check(
        b"AUTH KERBEROS_V4",
        Command::Auth(AuthMechanism::Other(b"KERBEROS_V4")),
    );
    check(b"OPTS utf8 off", Command::Opts(OptsArgument::Utf8(false)));
    check(
        b"OPTS MLST type;size;",
        Command::Opts(OptsArgument::Mlst(b"type;size;")),
    );
    check(b"OPTS MLST", Command::Opts(OptsArgument::Mlst(b"")));
    check(
        b"OPTS MODE Z LEVEL 9",
        Command::Opts(OptsArgument::Other {
            name: b"MODE",
            options: Some(b"Z LEVEL 9"),
        }),
    );
    check(
        b"OPTS HASH",
        Command::Opts(OptsArgument::Other {
            name: b"HASH",
            options: None,
        }),
    );
}

#[test]
fn arguments_keep_spaces_and_options_dropped() {
    check(b"STOR   x ", Command::Stor(b"  x "));
    check(b"CWD  ", Command::Cwd(b" "));
    check(b"LIST -la", Command::List(None));
    check(b"LIST -a -l", Command::List(None));
    check(b"LIST -la  /pub dir", Command::List(Some(b"/pub dir")));
    check(b"NLST -a x", Command::Nlst(Some(b"x")));
    check(b"LIST x -la", Command::List(Some(b"x -la")));
    check(b"LIST ", Command::List(None));
    check(b"NOOP  ", Command::Noop);
}

#[test]
fn errors_and_codes() {
    for (line, code) in [
        (&b"FOO"[..], 500),
        (b"XSHA1024 x", 500),
        (b" USER x", 500),
        (b"USER\0 x", 500),
        (b"PWD\0", 500),
        (b"USER", 501),
        (b"USER ", 501),
        (b"RETR", 501),
        (b"PWD x", 501),
        (b"PASV 1", 501),
        (b"QUIT now", 501),
        (b"REST -1", 501),
        (b"REST 12a", 501),
        (b"REST 99999999999999999999999", 501),
        (b"PBSZ x", 501),
        (b"PORT 1,2,3,4,5", 501),
        (b"PORT 1,2,3,4,5,256", 501),
        (b"EPRT |3|x|1|", 522),
        (b"EPRT |1|1.2.3|1|", 501),
        (b"MFMT 2024 f", 501),
        (b"MFMT 20240102030405", 501),
        (b"MFMT 20240102030405 ", 501),
        (b"MFF facts", 501),
        (b"OPTS", 501),
        (b"OPTS  x", 501),
        (b"XMD5", 501),
    ] {
        assert_eq!(err(line), code, "{:?}", core::str::from_utf8(line));
    }
    assert_eq!(Command::parse(b""), Err(ParseError::Empty));
    assert_eq!(
        Command::parse(b"EPRT |9|x|1|"),
        Err(ParseError::UnsupportedProtocol)
    );
}

#[test]
fn spans_resolve_without_copy() {
    let line = Bytes::from_static(b"MFF modify=1; some file");
    let spans = Command::parse(&line).unwrap().to_spans(&line);
    assert_eq!(
        spans,
        Command::Mff {
            facts: 4..13,
            path: 14..23
        }
    );
    let owned = spans.resolve(&line);
    let Command::Mff { path, .. } = &owned else {
        panic!()
    };
    assert_eq!(path.as_ptr(), line[14..].as_ptr());
    assert_eq!(owned, Command::parse(&line).unwrap().into_owned());
    // Arguments synthesised by the parser still point into the line.
    for l in [&b"PASS"[..], b"OPTS MLST", b"OPTS MLST "] {
        let b = Bytes::copy_from_slice(l);
        let c = Command::parse(&b).unwrap();
        assert_eq!(c.to_spans(&b).resolve(&b), c.into_owned());
    }
}

/// The plain definition of [`verb_key`]: split at the first SP, refuse empty,
/// overlong or NUL-holding verbs, upper-case, zero-pad.
fn verb_key_reference(line: &[u8]) -> Result<(u64, usize), ParseError> {
    let verb = line.split(|&b| b == b' ').next().unwrap_or_default();
    if verb.is_empty() || verb.len() > MAX_VERB || verb.contains(&0) {
        return Err(ParseError::UnknownVerb);
    }
    let mut bytes = [0u8; MAX_VERB];
    bytes[..verb.len()].copy_from_slice(verb);
    bytes.make_ascii_uppercase();
    Ok((u64::from_le_bytes(bytes), verb.len()))
}

#[test]
fn verb_key_edges() {
    for line in [
        &b"a"[..],
        b"ab",
        b"abc",
        b"pwd",
        b"Xsha256 x",
        b"XSHA2567",
        b"XSHA2567 x",
        b"XSHA25678",
        b"\xe1\xfa{@`[ z",
        b"A\0",
        b"\0",
        b" ",
        b"  USER",
        b"user\tx y",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
    ] {
        assert_eq!(verb_key(line), verb_key_reference(line), "{line:?}");
    }
}

proptest::proptest! {
    #[test]
    fn verb_key_matches_reference(line in proptest::collection::vec(
        proptest::prop_oneof![
            proptest::prelude::Just(b' '),
            proptest::prelude::Just(0u8),
            b'`'..=b'{',
            b'@'..=b'[',
            proptest::prelude::any::<u8>(),
        ],
        1..14,
    )) {
        proptest::prop_assert_eq!(verb_key(&line), verb_key_reference(&line));
    }
}
