//! Arbitrary path arguments joined from several working directories: the
//! result is always absolute and normalised, and resolving it again is a no-op.
#![no_main]

use bytes::Bytes;
use ftp_proto::path::{MAX_PATH_LEN, VirtualPath, parse_257, quote_for_257};
use libfuzzer_sys::fuzz_target;

fn check(p: &VirtualPath) {
    let b = p.as_bytes();
    assert_eq!(b.first(), Some(&b'/'));
    assert!(b.len() <= MAX_PATH_LEN);
    assert!(!b.iter().any(|&c| matches!(c, 0 | b'\r' | b'\n')));
    if b.len() > 1 {
        assert!(b.last() != Some(&b'/'));
        for c in b[1..].split(|&c| c == b'/') {
            assert!(!c.is_empty() && c != b"." && c != b"..", "{b:?}");
        }
    }
    assert_eq!(p.as_str().is_some(), std::str::from_utf8(b).is_ok());
    assert_eq!(&VirtualPath::new(b).unwrap(), p);
}

fuzz_target!(|input: (&[u8], &[u8])| {
    let (cwd_arg, arg) = input;
    let mut cwds = vec![VirtualPath::root()];
    if let Ok(c) = VirtualPath::new(cwd_arg) {
        check(&c);
        cwds.push(c);
    }
    if let Ok(c) = VirtualPath::new(b"/a/b/c") {
        cwds.push(c);
    }
    for cwd in &cwds {
        let joined = cwd.join(arg);
        let shared = cwd.join_bytes(&Bytes::copy_from_slice(arg));
        assert_eq!(joined, shared);
        if let Ok(p) = joined {
            check(&p);
            assert_eq!(cwd.join(p.as_bytes()).as_ref(), Ok(&p));
            if let Some(parent) = p.parent() {
                check(&parent);
                assert!(p.starts_with(&parent));
            }
            let mut quoted = bytes::BytesMut::new();
            quote_for_257(&p, &mut quoted);
            if !p.as_bytes().iter().any(|&b| b < 0x20 || b == 0x7f) {
                assert_eq!(parse_257(&quoted).as_deref(), Some(p.as_bytes()));
            }
        }
    }
    let _ = parse_257(arg);
});
