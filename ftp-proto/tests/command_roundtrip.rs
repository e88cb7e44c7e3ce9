//! Property tests across the codec: `encode` → `LineBuffer` → `parse` gives
//! back the command, and arbitrary input never panics the framer or parser.

use bytes::{Bytes, BytesMut};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use ftp_proto::command::{
    AuthMechanism, DigestAlgorithm, EpsvArgument, FileStructure, NetworkProtocol, OptsArgument,
    ProtectionLevel, TextFormat, TransferMode, TransferType,
};
use ftp_proto::line::{LineBuffer, LineConfig};
use ftp_proto::{Command, Timestamp};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

type Arg = Vec<u8>;

/// Any byte a command argument may carry: not CR, LF or NUL (0xFF included).
fn safe_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => proptest::char::range(' ', '~').prop_map(|c| c as u8),
        1 => any::<u8>().prop_filter("no CR LF NUL", |b| !matches!(b, b'\r' | b'\n' | 0)),
    ]
}

/// A non-empty argument (paths, names).
fn arg() -> BoxedStrategy<Arg> {
    proptest::collection::vec(safe_byte(), 1..24).boxed()
}

/// A possibly empty argument.
fn any_arg() -> BoxedStrategy<Arg> {
    proptest::collection::vec(safe_byte(), 0..24).boxed()
}

/// A non-empty word without SP.
fn word() -> BoxedStrategy<Arg> {
    proptest::collection::vec(safe_byte().prop_filter("no SP", |b| *b != b' '), 1..12).boxed()
}

/// A LIST/NLST path: non-empty, not starting with `-` (dropped as options).
fn listing_arg() -> BoxedStrategy<Arg> {
    arg()
        .prop_filter("no leading dash", |a| a.first() != Some(&b'-'))
        .boxed()
}

fn text_format() -> impl Strategy<Value = TextFormat> {
    prop_oneof![
        Just(TextFormat::NonPrint),
        Just(TextFormat::Telnet),
        Just(TextFormat::CarriageControl)
    ]
}

fn transfer_type() -> impl Strategy<Value = TransferType> {
    prop_oneof![
        Just(TransferType::Ascii),
        prop_oneof![Just(TextFormat::Telnet), Just(TextFormat::CarriageControl)]
            .prop_map(TransferType::AsciiFormat),
        text_format().prop_map(TransferType::Ebcdic),
        Just(TransferType::Image),
        (1u8..=255).prop_map(TransferType::Local),
    ]
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), p))),
        (any::<[u16; 8]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            p,
            0,
            0
        ))),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (-62_135_596_800i64..=253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(s, n)| Timestamp::from_unix(s, n))
}

fn is_keyword(a: &[u8], words: &[&[u8]]) -> bool {
    words.iter().any(|w| a.eq_ignore_ascii_case(w))
}

/// Commands in the canonical form the parser produces.
fn command() -> impl Strategy<Value = Command<Arg>> {
    use Command as C;
    let required: [fn(Arg) -> Command<Arg>; 30] = [
        C::User,
        C::Acct,
        C::Cwd,
        C::Xcwd,
        C::Smnt,
        C::Lprt,
        C::Retr,
        C::Stor,
        C::Appe,
        C::Allo,
        C::Rnfr,
        C::Rnto,
        C::Dele,
        C::Rmd,
        C::Xrmd,
        C::Mkd,
        C::Xmkd,
        C::Site,
        C::Adat,
        C::Mic,
        C::Conf,
        C::Enc,
        C::Size,
        C::Mdtm,
        C::Host,
        C::Clnt,
        C::Hash,
        C::Md5,
        C::Pret,
        C::Pass,
    ];
    let optional: [fn(Option<Arg>) -> Command<Arg>; 6] =
        [C::Stou, C::Stat, C::Help, C::Mlst, C::Mlsd, C::Lang];
    let bare = [
        C::Cdup,
        C::Xcup,
        C::Rein,
        C::Quit,
        C::Pasv,
        C::Lpsv,
        C::Abor,
        C::Pwd,
        C::Xpwd,
        C::Syst,
        C::Noop,
        C::Ccc,
        C::Feat,
    ];
    let mut arms: Vec<BoxedStrategy<Command<Arg>>> = Vec::new();
    arms.push(proptest::sample::select(bare.to_vec()).boxed());
    for f in required {
        arms.push(arg().prop_map(f).boxed());
    }
    arms.push(any_arg().prop_map(C::Pass).boxed());
    for f in optional {
        arms.push(proptest::option::of(arg()).prop_map(f).boxed());
    }
    arms.push(
        proptest::option::of(listing_arg())
            .prop_map(C::List)
            .boxed(),
    );
    arms.push(
        proptest::option::of(listing_arg())
            .prop_map(C::Nlst)
            .boxed(),
    );
    arms.push(
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, p)| C::Port(SocketAddrV4::new(Ipv4Addr::from(ip), p)))
            .boxed(),
    );
    arms.push(socket_addr().prop_map(C::Eprt).boxed());
    arms.push(transfer_type().prop_map(C::Type).boxed());
    arms.push(
        prop_oneof![
            Just(FileStructure::File),
            Just(FileStructure::Record),
            Just(FileStructure::Page)
        ]
        .prop_map(C::Stru)
        .boxed(),
    );
    arms.push(
        prop_oneof![
            Just(TransferMode::Stream),
            Just(TransferMode::Block),
            Just(TransferMode::Compressed),
            Just(TransferMode::Deflate)
        ]
        .prop_map(C::Mode)
        .boxed(),
    );
    arms.push(
        prop_oneof![
            Just(ProtectionLevel::Clear),
            Just(ProtectionLevel::Safe),
            Just(ProtectionLevel::Confidential),
            Just(ProtectionLevel::Private)
        ]
        .prop_map(C::Prot)
        .boxed(),
    );
    arms.push(
        prop_oneof![
            Just(EpsvArgument::Default),
            Just(EpsvArgument::All),
            Just(EpsvArgument::Protocol(NetworkProtocol::Ipv4)),
            Just(EpsvArgument::Protocol(NetworkProtocol::Ipv6)),
            (3u16..).prop_map(|n| EpsvArgument::Protocol(NetworkProtocol::Other(n))),
        ]
        .prop_map(C::Epsv)
        .boxed(),
    );
    arms.push(any::<u64>().prop_map(C::Rest).boxed());
    arms.push(any::<u64>().prop_map(C::Pbsz).boxed());
    arms.push(
        prop_oneof![
            Just(AuthMechanism::Tls),
            Just(AuthMechanism::Ssl),
            Just(AuthMechanism::TlsP),
            arg()
                .prop_filter("not a known mechanism", |a| {
                    !is_keyword(a, &[b"TLS", b"TLS-C", b"SSL", b"TLS-P"])
                })
                .prop_map(AuthMechanism::Other),
        ]
        .prop_map(C::Auth)
        .boxed(),
    );
    arms.push(
        prop_oneof![
            any::<bool>().prop_map(OptsArgument::Utf8),
            any_arg().prop_map(OptsArgument::Mlst),
            (
                word().prop_filter("not a typed OPTS", |w| {
                    !is_keyword(w, &[b"UTF8", b"UTF-8", b"MLST"])
                }),
                proptest::option::of(arg())
            )
                .prop_map(|(name, options)| OptsArgument::Other { name, options }),
        ]
        .prop_map(C::Opts)
        .boxed(),
    );
    arms.push(
        (timestamp(), arg())
            .prop_map(|(time, path)| C::Mfmt { time, path })
            .boxed(),
    );
    arms.push(
        (timestamp(), arg())
            .prop_map(|(time, path)| C::Mfct { time, path })
            .boxed(),
    );
    arms.push(
        (word(), arg())
            .prop_map(|(facts, path)| C::Mff { facts, path })
            .boxed(),
    );
    arms.push(
        (
            prop_oneof![
                Just(DigestAlgorithm::Md5),
                Just(DigestAlgorithm::Crc),
                Just(DigestAlgorithm::Sha1),
                Just(DigestAlgorithm::Sha256),
                Just(DigestAlgorithm::Sha512)
            ],
            arg(),
        )
            .prop_map(|(algorithm, args)| C::XDigest { algorithm, args })
            .boxed(),
    );
    Union::new(arms)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_frame_parse_round_trip(cmd in command(), chunk in 1usize..16) {
        let mut wire = BytesMut::new();
        cmd.encode(&mut wire).expect("safe arguments encode");
        let mut lb = LineBuffer::new(LineConfig::default());
        let mut got = None;
        for piece in wire.chunks(chunk) {
            lb.extend_from_slice(piece);
            if let Some(line) = lb.next_line() {
                prop_assert!(got.is_none(), "one line only");
                let line = line.expect("fits the line limit");
                let spans = Command::parse(line.text())
                    .map_err(|e| TestCaseError::fail(format!("{e:?} for {:?}", line.text())))?
                    .to_spans(line.text());
                got = Some(spans.resolve(&line.into_bytes()));
            }
        }
        prop_assert_eq!(lb.buffered_len(), 0);
        prop_assert_eq!(got, Some(cmd.map(Bytes::from)));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Command::parse(&bytes);
    }

    #[test]
    fn parse_known_verb_any_argument(
        verb in proptest::sample::select(vec![
            "USER", "PORT", "EPRT", "TYPE", "MODE", "STRU", "PROT", "EPSV", "REST", "PBSZ",
            "AUTH", "OPTS", "MFMT", "MFCT", "MFF", "LIST", "NLST", "PASS", "PWD", "XSHA256",
        ]),
        arg in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut line = verb.as_bytes().to_vec();
        line.push(b' ');
        line.extend_from_slice(&arg);
        if let Ok(cmd) = Command::parse(&line) {
            // Whatever parses re-encodes, unless a raw argument holds a forbidden byte.
            let mut out = BytesMut::new();
            let _ = cmd.encode(&mut out);
            prop_assert_eq!(cmd.to_spans(&line).resolve(&Bytes::from(line.clone())), cmd.into_owned());
        }
    }
}
