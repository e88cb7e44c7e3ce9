//! Property tests of the reply codec through the public API: rendering then
//! parsing gives the same value, and the parser's output does not depend on
//! how the input was split.

use bytes::BytesMut;
use ftp_proto::reply::{Reply, ReplyCode, ReplyError, ReplyParser, ReplyParserConfig, parse_reply};
use proptest::prelude::*;

fn code() -> impl Strategy<Value = ReplyCode> {
    (100u16..=699).prop_map(|v| ReplyCode::new(v).unwrap())
}

/// Text lines biased toward what can confuse a parser: digits, dashes,
/// spaces, CR, LF, NUL and 0xFF.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>(),
        3 => prop::sample::select(b"0123456789- \r\n\0\xff\xfbx".to_vec()),
    ];
    prop::collection::vec(byte, 0..24)
}

fn reply() -> impl Strategy<Value = Reply> {
    (code(), prop::collection::vec(line(), 0..6))
        .prop_map(|(code, lines)| Reply::multiline(code, lines))
}

/// Reply-like byte streams: tokens that open, continue and end replies.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::sample::select(vec![
            &b"230-"[..],
            b"230 ",
            b"230",
            b"211-",
            b"211 ",
            b"150 ",
            b"553-",
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"text",
            b"\xff\xff",
            b"\xff",
            b"\0",
            b"999 ",
            b"12",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn config() -> impl Strategy<Value = ReplyParserConfig> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        4usize..40,
        4usize..80,
        1usize..6,
    )
        .prop_map(|(bare_lf, bare_code, lenient, line, reply, lines)| {
            ReplyParserConfig::default()
                .with_accept_bare_lf(bare_lf)
                .with_accept_bare_code(bare_code)
                .with_lenient_multiline_end(lenient)
                .with_max_line_len(line)
                .with_max_reply_len(reply)
                .with_max_lines(lines)
        })
}

type Outcome = Vec<Result<Reply, ReplyError>>;

fn feed(config: ReplyParserConfig, pieces: &[&[u8]]) -> Outcome {
    let mut parser = ReplyParser::new(config);
    let mut out = Vec::new();
    for piece in pieces {
        parser.extend_from_slice(piece);
        while let Some(item) = parser.next_reply_owned() {
            out.push(item);
        }
    }
    out
}

proptest! {
    #[test]
    fn render_then_parse_is_identity(reply in reply(), lenient in any::<bool>()) {
        let mut wire = BytesMut::new();
        reply.encode(&mut wire);
        let config = ReplyParserConfig::default().with_lenient_multiline_end(lenient);
        prop_assert_eq!(parse_reply(&wire, config), Ok(reply));
    }

    #[test]
    fn rendered_sequences_parse_back(replies in prop::collection::vec(reply(), 0..5)) {
        let mut wire = BytesMut::new();
        for r in &replies {
            r.encode(&mut wire);
        }
        let got = feed(ReplyParserConfig::default(), &[&wire]);
        let want: Outcome = replies.into_iter().map(Ok).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn split_points_do_not_matter(input in stream(), config in config()) {
        let whole = feed(config, &[&input]);
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            prop_assert_eq!(&feed(config, &[a, b]), &whole, "split at {}", at);
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&feed(config, &bytes), &whole, "byte by byte");
    }

    #[test]
    fn replies_respect_limits(input in prop::collection::vec(any::<u8>(), 0..400), config in config(),
                              chunk in 1usize..50) {
        let mut parser = ReplyParser::new(config);
        for piece in input.chunks(chunk) {
            parser.extend_from_slice(piece);
            prop_assert!(parser.buffered_len() <= config.max_line_len + 1 + piece.len());
            while let Some(item) = parser.next_reply() {
                if let Ok(r) = item {
                    prop_assert!(r.joined_text().len() <= config.max_reply_len);
                    prop_assert!(r.lines().count() <= config.max_lines.max(1));
                    prop_assert!(!r.joined_text().iter().any(|&b| b == b'\r' || b == 0));
                }
            }
        }
    }
}
