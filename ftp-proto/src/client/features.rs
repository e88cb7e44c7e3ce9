//! The feature set a server announces in its `FEAT` reply (RFC 2389).

use alloc::vec::Vec;
use bytes::Bytes;

/// What `FEAT` said. Unknown features are kept raw in [`Features::lines`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Features {
    /// Whether `FEAT` was answered with a feature list at all (an error reply
    /// proves nothing about extensions, RFC 2389 §3).
    pub answered: bool,
    /// `MLST` (then `MLSD` is available too), with its fact list as sent
    /// (`type*;size*;modify*;`).
    pub mlst: Option<Bytes>,
    /// `UTF8`.
    pub utf8: bool,
    /// `EPSV`.
    pub epsv: bool,
    /// `EPRT`.
    pub eprt: bool,
    /// `REST STREAM`.
    pub rest_stream: bool,
    /// `SIZE`.
    pub size: bool,
    /// `MDTM`.
    pub mdtm: bool,
    /// `MFMT`.
    pub mfmt: bool,
    /// `AUTH` with its mechanism list (`TLS`, `SSL`...).
    pub auth: Option<Bytes>,
    /// `PBSZ`.
    pub pbsz: bool,
    /// `PROT`.
    pub prot: bool,
    /// `HOST` (RFC 7151).
    pub host: bool,
    /// `TVFS`.
    pub tvfs: bool,
    /// `CCC`.
    pub ccc: bool,
    /// Every feature line, leading space and line end removed.
    pub lines: Vec<Bytes>,
}

impl Features {
    /// Parses the text of a `211` FEAT reply (all lines). The first and last
    /// lines are the reply's own; feature lines start with one space.
    /// `text` is the reply text with line ends; `whole` is the `Bytes` it
    /// is a slice of (so feature lines are slices, not copies).
    #[must_use]
    pub fn parse(whole: &Bytes, max_lines: usize) -> Self {
        let mut f = Self {
            answered: true,
            ..Self::default()
        };
        for raw in whole.split(|&b| b == b'\n') {
            let line = trim_cr(raw);
            // Feature lines begin with exactly one space (RFC 2389 §3.2);
            // some servers indent more, so trim all leading blanks.
            let Some(first) = line.first() else { continue };
            if *first != b' ' {
                continue;
            }
            let feat = trim_blank(line);
            if feat.is_empty() || f.lines.len() >= max_lines {
                continue;
            }
            let feat = whole.slice_ref(feat);
            f.note(&feat);
            f.lines.push(feat);
        }
        f
    }

    fn note(&mut self, feat: &Bytes) {
        let (name, rest) = match feat.iter().position(|&b| b == b' ') {
            Some(i) => (&feat[..i], Some(feat.slice(i + 1..))),
            None => (&feat[..], None),
        };
        let is = |s: &[u8]| name.eq_ignore_ascii_case(s);
        if is(b"MLST") {
            self.mlst = Some(rest.unwrap_or_default());
        } else if is(b"UTF8") {
            self.utf8 = true;
        } else if is(b"EPSV") {
            self.epsv = true;
        } else if is(b"EPRT") {
            self.eprt = true;
        } else if is(b"REST") {
            self.rest_stream = rest.is_some_and(|r| r.eq_ignore_ascii_case(b"STREAM"));
        } else if is(b"SIZE") {
            self.size = true;
        } else if is(b"MDTM") {
            self.mdtm = true;
        } else if is(b"MFMT") {
            self.mfmt = true;
        } else if is(b"AUTH") {
            self.auth = Some(rest.unwrap_or_default());
        } else if is(b"PBSZ") {
            self.pbsz = true;
        } else if is(b"PROT") {
            self.prot = true;
        } else if is(b"HOST") {
            self.host = true;
        } else if is(b"TVFS") {
            self.tvfs = true;
        } else if is(b"CCC") {
            self.ccc = true;
        }
    }

    /// Whether `AUTH TLS` is advertised.
    #[must_use]
    pub fn auth_tls(&self) -> bool {
        self.auth.as_ref().is_some_and(|m| {
            m.split(|&b| b == b';' || b == b' ')
                .any(|w| w.eq_ignore_ascii_case(b"TLS") || w.eq_ignore_ascii_case(b"TLS-C"))
        })
    }

    /// Whether the raw feature `name` is listed (case-insensitive, first word).
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.lines.iter().any(|l| {
            let first = l.split(|&b| b == b' ').next().unwrap_or(&[]);
            first.eq_ignore_ascii_case(name.as_bytes())
        })
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_blank(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsftpd_and_proftpd_lists() {
        let text = Bytes::from_static(
            b"211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n AUTH TLS;SSL\r\n MLST modify*;perm*;size*;type*;\r\n211 End\r\n",
        );
        let f = Features::parse(&text, 100);
        assert!(
            f.answered && f.epsv && f.eprt && f.mdtm && f.rest_stream && f.size && f.tvfs && f.utf8
        );
        assert!(f.auth_tls());
        assert_eq!(f.mlst.as_deref(), Some(&b"modify*;perm*;size*;type*;"[..]));
        assert!(f.has("pasv"));
        assert!(!f.has("HOST"));
        assert_eq!(f.lines.len(), 10);
    }

    #[test]
    fn no_features_and_bounds() {
        let f = Features::parse(&Bytes::from_static(b"211 no features\r\n"), 10);
        assert!(f.answered && f.lines.is_empty());
        let f = Features::parse(&Bytes::from_static(b"211-x\n A\n B\n C\n211 End\n"), 2);
        assert_eq!(f.lines.len(), 2);
    }
}
