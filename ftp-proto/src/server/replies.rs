//! Reply texts and choices that need no state: FEAT, HELP, the code for a
//! file-system error, listing rendering.

use bytes::{Bytes, BytesMut};
use core::net::SocketAddr;

use super::config::ServerConfig;
use super::event::{FsError, ListingStyle};
use crate::listing::{Facts, FileInfo};
use crate::reply::{ReplyCode, write_multiline, write_reply};

/// The commands whose replies depend on an embedder answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Pass,
    Acct,
    Host,
    Cwd,
    Mkd,
    Rmd,
    Dele,
    Rnfr,
    Rnto,
    Size,
    Mdtm,
    Mfmt,
    Retr,
    Stor,
    Appe,
    Stou,
    List,
    Nlst,
    Mlsd,
    Stat,
    Mlst,
    Site,
}

/// Whether RFC 959 §5.4 (and the extension RFCs) list `code` for `verb`,
/// for the few codes the engine chooses between.
pub(crate) fn allows(verb: Verb, code: u16) -> bool {
    use Verb as V;
    match code {
        553 => matches!(verb, V::Stor | V::Appe | V::Stou | V::Rnto | V::Mlst),
        450 => matches!(
            verb,
            V::Retr
                | V::Stor
                | V::Appe
                | V::Stou
                | V::Dele
                | V::Rnfr
                | V::List
                | V::Nlst
                | V::Mlsd
                | V::Stat
                | V::Size
                | V::Mdtm
                | V::Mfmt
                | V::Mlst
        ),
        451 => matches!(
            verb,
            V::Retr
                | V::Stor
                | V::Appe
                | V::Stou
                | V::List
                | V::Nlst
                | V::Mlsd
                | V::Size
                | V::Mdtm
                | V::Mfmt
                | V::Mlst
        ),
        452 | 552 => matches!(verb, V::Stor | V::Appe | V::Stou),
        554 => matches!(verb, V::Retr | V::Stor | V::Appe),
        502 => !matches!(
            verb,
            V::Retr | V::Stor | V::Stou | V::Size | V::Mdtm | V::Mfmt | V::Pass | V::Acct
        ),
        _ => false,
    }
}

/// Whether an embedder's raw negative reply may answer `verb`: the 4yz/5yz
/// codes RFC 959 §5.4 and the extension RFCs list for it (plus 421/500/501/530, valid everywhere, and
/// the documented deviations: 550 for listings, STAT, SITE and STOU; 502 for
/// SITE and the RFC 3659 commands).
pub(crate) fn raw_allowed(verb: Verb, code: u16) -> bool {
    use Verb as V;
    if matches!(code, 421 | 500 | 501 | 530) {
        return true;
    }
    let list: &[u16] = match verb {
        V::Pass | V::Acct => &[503],
        V::Host => &[502, 503, 504],
        V::Cwd | V::Mkd | V::Rmd => &[502, 550],
        V::Dele | V::Rnfr => &[450, 502, 550],
        V::Rnto => &[502, 503, 532, 553],
        V::Size | V::Mdtm | V::Mfmt => &[450, 451, 452, 502, 550],
        V::Retr => &[425, 426, 450, 451, 521, 522, 534, 535, 550, 554],
        V::Stor => &[
            425, 426, 450, 451, 452, 521, 522, 532, 534, 535, 551, 552, 553, 554,
        ],
        V::Stou => &[
            425, 426, 450, 451, 452, 521, 522, 532, 534, 535, 550, 551, 552, 553,
        ],
        V::Appe => &[
            425, 426, 450, 451, 452, 502, 521, 522, 532, 534, 535, 550, 551, 552, 553, 554,
        ],
        V::List | V::Nlst | V::Mlsd => &[425, 426, 450, 451, 502, 521, 522, 534, 535, 550],
        V::Stat => &[450, 502, 550],
        V::Mlst => &[450, 451, 452, 502, 503, 504, 550, 553],
        V::Site => &[502, 550],
    };
    list.contains(&code)
}

/// The reply for a failed file-system request.
pub(crate) fn fs_error(verb: Verb, e: FsError) -> (ReplyCode, &'static [u8]) {
    let (code, text) = fs_error_code(verb, e);
    // RFC 959 lists no 550 for STOR, STOU and RNTO: their refusal is 553.
    if code == ReplyCode::FILE_UNAVAILABLE && matches!(verb, Verb::Stor | Verb::Stou | Verb::Rnto) {
        return (ReplyCode::FILE_NAME_NOT_ALLOWED, text);
    }
    (code, text)
}

fn fs_error_code(verb: Verb, e: FsError) -> (ReplyCode, &'static [u8]) {
    if verb == Verb::Host {
        return (ReplyCode::NOT_IMPLEMENTED_FOR_PARAM, b"Unknown host.");
    }
    let or_550 = |code: u16, rc: ReplyCode, text: &'static [u8]| {
        if allows(verb, code) {
            (rc, text)
        } else {
            (ReplyCode::FILE_UNAVAILABLE, text)
        }
    };
    match e {
        FsError::NotFound => (ReplyCode::FILE_UNAVAILABLE, b"No such file or directory."),
        FsError::PermissionDenied => (ReplyCode::FILE_UNAVAILABLE, b"Permission denied."),
        FsError::AlreadyExists => (ReplyCode::FILE_UNAVAILABLE, b"Already exists."),
        FsError::NotAFile => (ReplyCode::FILE_UNAVAILABLE, b"Not a plain file."),
        FsError::DirectoryNotEmpty => (ReplyCode::FILE_UNAVAILABLE, b"Directory not empty."),
        FsError::NotADirectory if verb == Verb::Mlsd => {
            (ReplyCode::SYNTAX_ERROR_ARGS, b"Not a directory.")
        }
        FsError::NotADirectory => (ReplyCode::FILE_UNAVAILABLE, b"Not a directory."),
        FsError::Busy => or_550(450, ReplyCode::FILE_UNAVAILABLE_BUSY, b"File busy."),
        FsError::NameNotAllowed => or_550(
            553,
            ReplyCode::FILE_NAME_NOT_ALLOWED,
            b"File name not allowed.",
        ),
        FsError::InsufficientStorage => or_550(
            452,
            ReplyCode::INSUFFICIENT_STORAGE,
            b"Insufficient storage.",
        ),
        FsError::QuotaExceeded => or_550(552, ReplyCode::EXCEEDED_STORAGE, b"Quota exceeded."),
        FsError::InvalidOffset => or_550(554, ReplyCode::INVALID_REST, b"Invalid REST offset."),
        FsError::LocalError => or_550(451, ReplyCode::LOCAL_ERROR, b"Local error."),
        FsError::NotSupported => or_550(502, ReplyCode::NOT_IMPLEMENTED, b"Not supported."),
    }
}

/// The `522` text naming the families EPRT/EPSV may use (RFC 2428 §2).
pub(crate) fn supported_families(local: SocketAddr) -> &'static [u8] {
    if local.ip().to_canonical().is_ipv4() {
        b"Network protocol not supported, use (1)"
    } else {
        b"Network protocol not supported, use (2)"
    }
}

/// Writes the FEAT reply: exactly the extensions the configuration enables.
pub(crate) fn write_feat(out: &mut BytesMut, config: &ServerConfig, selected: Facts) {
    let f = &config.features;
    let tls = config.tls.available();
    out.extend_from_slice(b"211-Features:\r\n");
    let mut line = |on: bool, text: &[u8]| {
        if on {
            out.extend_from_slice(b" ");
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
    };
    line(tls, b"AUTH TLS");
    line(tls && config.allow_clear_control, b"CCC");
    line(true, b"CLNT");
    line(f.active_mode, b"EPRT");
    line(true, b"EPSV");
    line(f.host, b"HOST");
    line(f.mdtm, b"MDTM");
    line(f.mfmt, b"MFMT");
    if f.mlst {
        out.extend_from_slice(b" ");
        Facts::write_feat_line(f.mlst_facts, selected, out);
        out.extend_from_slice(b"\r\n");
    }
    let mut line = |on: bool, text: &[u8]| {
        if on {
            out.extend_from_slice(b" ");
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
    };
    line(true, b"PASV");
    line(tls, b"PBSZ");
    line(tls, b"PROT");
    line(f.rest_stream, b"REST STREAM");
    line(f.size, b"SIZE");
    line(true, b"TVFS");
    line(f.utf8, b"UTF8");
    out.extend_from_slice(b"211 End\r\n");
}

const HELP_VERBS: &[&str] = &[
    "ABOR", "ACCT", "ALLO", "APPE", "AUTH", "CDUP", "CLNT", "CWD", "DELE", "EPRT", "EPSV", "FEAT",
    "HELP", "HOST", "LIST", "MDTM", "MFMT", "MKD", "MLSD", "MLST", "MODE", "NLST", "NOOP", "OPTS",
    "PASS", "PASV", "PBSZ", "PORT", "PROT", "PWD", "QUIT", "REIN", "REST", "RETR", "RMD", "RNFR",
    "RNTO", "SITE", "SIZE", "STAT", "STOR", "STOU", "STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD",
    "XMKD", "XPWD", "XRMD",
];

/// Writes the HELP reply: the verb list, or whether one verb is known.
pub(crate) fn write_help(out: &mut BytesMut, arg: Option<&[u8]>) {
    match arg {
        None => {
            let rows = HELP_VERBS.chunks(12).map(|row| {
                let mut line = BytesMut::with_capacity(64);
                for v in row {
                    line.extend_from_slice(b" ");
                    line.extend_from_slice(v.as_bytes());
                }
                line.freeze()
            });
            let head = Bytes::from_static(b"The following commands are recognized:");
            let tail = Bytes::from_static(b"Help OK.");
            write_multiline(
                out,
                ReplyCode::HELP_MESSAGE,
                core::iter::once(head)
                    .chain(rows)
                    .chain(core::iter::once(tail)),
            );
        }
        Some(verb) => {
            let verb = verb.split(|&b| b == b' ').next().unwrap_or_default();
            if HELP_VERBS
                .iter()
                .any(|v| v.as_bytes().eq_ignore_ascii_case(verb))
            {
                write_reply(out, ReplyCode::HELP_MESSAGE, b"Command is implemented.");
            } else {
                write_reply(out, ReplyCode::NOT_IMPLEMENTED, b"Unknown command.");
            }
        }
    }
}

/// Whether `name` is a syntactically valid HOST argument (RFC 7151 §3: a
/// domain name, an IPv4 literal, or `[IPv6]`; no port).
pub(crate) fn valid_host(name: &[u8]) -> bool {
    if let Some(inner) = name.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) {
        return !inner.is_empty()
            && inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !name.is_empty()
        && name.len() <= 255
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// Renders a listing for the data connection; `None` when it would exceed `max` bytes.
/// Entries whose names could inject lines are skipped.
pub(crate) fn render_listing(
    entries: &[FileInfo],
    style: ListingStyle,
    max: usize,
) -> Option<Bytes> {
    let mut out = BytesMut::with_capacity(entries.len().saturating_mul(64).min(max).max(64));
    for info in entries {
        let _ = style.write_line(info, &mut out);
        if out.len() > max {
            return None;
        }
    }
    Some(out.freeze())
}
