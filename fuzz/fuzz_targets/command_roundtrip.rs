//! Arbitrary commands: encode → frame → parse. Whatever encodes must frame to
//! exactly one line; whatever then parses must be a fixpoint of
//! encode/parse, and commands in canonical form must come back equal.
#![no_main]

use bytes::BytesMut;
use ftp_proto::Command;
use ftp_proto::command::{AuthMechanism, OptsArgument, TextFormat, TransferType};
use ftp_proto::line::{LineBuffer, LineConfig};
use libfuzzer_sys::fuzz_target;

fn frame_and_parse(wire: &[u8]) -> Option<Command<Vec<u8>>> {
    let mut lb = LineBuffer::new(LineConfig::default().with_max_line_len(usize::MAX));
    lb.extend_from_slice(wire);
    let line = lb.next_line().expect("one line").expect("no framing error");
    let parsed = Command::parse(line.text()).ok().map(|c| c.map(<[u8]>::to_vec));
    drop(line);
    assert!(lb.next_line().is_none(), "exactly one line");
    parsed
}

/// Whether `parse(encode(c)) == c` is expected: arguments the grammar can carry.
fn canonical(c: &Command<Vec<u8>>) -> bool {
    use Command as C;
    let word = |a: &[u8]| !a.is_empty() && !a.contains(&b' ');
    let is = |a: &[u8], words: &[&[u8]]| words.iter().any(|w| a.eq_ignore_ascii_case(w));
    match c {
        C::Pass(_) => true,
        C::Stou(a) | C::Stat(a) | C::Help(a) | C::Mlst(a) | C::Mlsd(a) | C::Lang(a) => {
            a.as_ref().is_none_or(|a| !a.is_empty())
        }
        C::List(a) | C::Nlst(a) => {
            a.as_ref().is_none_or(|a| !a.is_empty() && a.first() != Some(&b'-'))
        }
        C::Type(TransferType::AsciiFormat(TextFormat::NonPrint)) | C::Type(TransferType::Local(0)) => false,
        C::Epsv(ftp_proto::command::EpsvArgument::Protocol(
            ftp_proto::command::NetworkProtocol::Other(1 | 2),
        )) => false,
        C::Eprt(core::net::SocketAddr::V6(a)) => a.scope_id() == 0 && a.flowinfo() == 0,
        C::Auth(AuthMechanism::Other(a)) => !a.is_empty() && !is(a, &[b"TLS", b"TLS-C", b"SSL", b"TLS-P"]),
        C::Opts(OptsArgument::Other { name, options }) => {
            word(name)
                && !is(name, &[b"UTF8", b"UTF-8", b"MLST"])
                && options.as_ref().is_none_or(|o| !o.is_empty())
        }
        C::Opts(_) => true,
        C::Mff { facts, path } => word(facts) && !path.is_empty(),
        C::Mfmt { path, .. } | C::Mfct { path, .. } => !path.is_empty(),
        other => {
            let mut ok = true;
            other.clone().map(|a| ok &= !a.is_empty());
            ok
        }
    }
}

fuzz_target!(|cmd: Command<Vec<u8>>| {
    let mut wire = BytesMut::new();
    if cmd.encode(&mut wire).is_err() {
        assert!(wire.is_empty(), "out unchanged on error");
        return;
    }
    let parsed = frame_and_parse(&wire);
    if canonical(&cmd) {
        assert_eq!(parsed.as_ref(), Some(&cmd), "wire {:?}", wire);
    }
    if let Some(first) = parsed {
        let mut again = BytesMut::new();
        first.encode(&mut again).expect("a parsed command encodes");
        assert_eq!(frame_and_parse(&again), Some(first));
    }
});
