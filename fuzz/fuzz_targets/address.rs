//! Every address parser on arbitrary bytes: no panic; parse → render → parse
//! gives the same value.
#![no_main]

use bytes::BytesMut;
use ftp_proto::address::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = BytesMut::new();
    if let Ok(a) = parse_port_argument(data) {
        write_port_argument(a, &mut out);
        assert_eq!(parse_port_argument(&out), Ok(a));
    }
    if let Ok(a) = parse_eprt_argument(data) {
        out.clear();
        write_eprt_argument(a, &mut out);
        assert_eq!(parse_eprt_argument(&out), Ok(a));
    }
    if let Ok(a) = parse_pasv_reply(data) {
        out.clear();
        write_pasv_reply(a, &mut out);
        assert_eq!(parse_pasv_reply(&out), Ok(a));
    }
    if let Ok(p) = parse_epsv_reply(data) {
        out.clear();
        write_epsv_reply(p, &mut out);
        assert_eq!(parse_epsv_reply(&out), Ok(p));
    }
});
