//! Which reply codes RFC 959 §5.4 and the extension RFCs (2228, 2389, 2428,
//! 3659, 4217, 7151) allow for each command, and the deviations of real
//! servers that are accepted without a warning.
//!
//! The check never changes how a reply is handled (that is decided by its
//! first digit, RFC 1123 §4.1.2.11); it only decides whether the reply is
//! reported as [`Nonconformant`](super::ClientEvent::Nonconformant).
//!
//! Accepted for every command: `421` (closing, RFC 959 §5.4), `500`, `501`,
//! `502` (unrecognised / bad parameters / not implemented: what servers
//! answer to any verb they lack) and `530` (not logged in: every server
//! answers it to any command before login).

/// The verdict on one reply code for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Listed by the spec.
    Allowed,
    /// Not listed, but a documented deviation of real servers.
    Tolerated,
    /// Neither.
    Nonconformant,
}

const ALWAYS: &[u16] = &[421, 500, 501, 502, 530];

/// RFC 2228/4217 replies a transfer command may get.
const TRANSFER_SECURITY: &[u16] = &[521, 522, 534, 535];

/// `(allowed, tolerated, any 4yz allowed)` for a verb.
fn table(verb: &str) -> (&'static [u16], &'static [u16], bool) {
    match verb {
        "USER" => (&[230, 232, 530, 331, 332, 336], &[], false),
        "PASS" => (&[230, 202, 530, 503, 332], &[], false),
        "ACCT" => (&[230, 202, 530, 503], &[], false),
        "CWD" | "XCWD" => (&[250, 550], &[200], false),
        "CDUP" | "XCUP" => (&[200, 250, 550], &[], false),
        "SMNT" => (&[202, 250, 550], &[], false),
        // pyftpdlib answers REIN with 230.
        "REIN" => (&[120, 220], &[230], false),
        "QUIT" => (&[221], &[], false),
        // vsftpd 550 after EPSV ALL; RFC 2577 suggests 504 for bounce refusals.
        "PORT" => (&[200], &[504, 550], false),
        // 229 under NAT64 (python/cpython#127475), 425 from Pure-FTPd on IPv6.
        "PASV" => (&[227], &[229, 425, 550], false),
        // Some servers answer TYPE I with 226 (curl decides on the first digit).
        "TYPE" => (&[200, 504], &[226], false),
        "STRU" | "MODE" => (&[200, 504], &[], false),
        "EPRT" => (&[200, 522], &[504, 550], false),
        // EPSV ALL: 200 (vsftpd) or 220 (pyftpdlib).
        "EPSV" => (&[229, 522], &[200, 220, 425], false),
        "RETR" => (
            &[125, 150, 110, 226, 250, 425, 426, 451, 450, 550],
            &[554],
            false,
        ),
        "STOR" | "STOU" => (
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 551, 552, 532, 450, 452, 553,
            ],
            &[550, 554],
            false,
        ),
        "APPE" => (
            &[
                125, 150, 110, 226, 250, 425, 426, 451, 551, 552, 532, 450, 550, 452, 553,
            ],
            &[554],
            false,
        ),
        // Some servers answer 550 for an empty directory.
        "LIST" | "NLST" => (&[125, 150, 226, 250, 425, 426, 451, 450], &[550], false),
        "MLSD" => (&[125, 150, 226, 250, 425, 426, 451, 450, 550], &[], true),
        "ALLO" => (&[200, 202, 504], &[], false),
        "REST" => (&[350], &[554], false),
        "RNFR" => (&[350, 450, 550], &[], false),
        "RNTO" => (&[250, 532, 553, 503], &[550, 450], false),
        "ABOR" => (&[225, 226], &[], false),
        "DELE" => (&[250, 450, 550], &[], false),
        "RMD" | "XRMD" => (&[250, 550], &[450], false),
        "MKD" | "XMKD" => (&[257, 550, 521], &[], false),
        "PWD" | "XPWD" => (&[257, 550], &[], false),
        "SITE" => (&[200, 202], &[214, 250, 550], false),
        "SYST" => (&[215], &[], false),
        "STAT" => (&[211, 212, 213, 450], &[], false),
        "HELP" => (&[211, 214], &[], false),
        "NOOP" => (&[200], &[], false),
        "AUTH" => (&[234, 334, 504, 534, 431], &[503], false),
        "ADAT" => (&[235, 335, 503, 535], &[], false),
        "PBSZ" => (&[200, 503], &[], false),
        "PROT" => (&[200, 504, 536, 503, 534, 431], &[521], false),
        "CCC" => (&[200, 533, 534], &[], false),
        "MIC" | "CONF" | "ENC" => (&[535, 533, 503, 537, 631, 632, 633], &[], false),
        "FEAT" => (&[211], &[], false),
        // Pure-FTPd answers OPTS UTF8 ON with 504.
        "OPTS" => (&[200, 451], &[504], false),
        "SIZE" | "MDTM" => (&[213, 550], &[], true),
        "MLST" => (&[250, 550, 553, 503, 504], &[], true),
        "LANG" => (&[200, 504], &[], false),
        "HOST" => (&[220, 503, 504], &[], false),
        "MFMT" | "MFCT" | "MFF" => (&[213, 550], &[], true),
        "CLNT" => (&[200], &[], false),
        // Digest replies vary between servers (213, 250, 251).
        "HASH" | "MD5" | "XMD5" | "XCRC" | "XSHA1" | "XSHA256" | "XSHA512" => {
            (&[213, 251, 450, 553, 550], &[250], false)
        }
        "PRET" => (&[200], &[550], true),
        "LPRT" | "LPSV" => (&[200, 228], &[], false),
        _ => (&[], &[], true),
    }
}

fn is_transfer(verb: &str) -> bool {
    matches!(
        verb,
        "RETR" | "STOR" | "STOU" | "APPE" | "LIST" | "NLST" | "MLSD"
    )
}

/// Judges `code` as a reply to `verb`.
pub(crate) fn check(verb: &str, code: u16) -> Verdict {
    let (allowed, tolerated, any_4yz) = table(verb);
    if allowed.contains(&code) || ALWAYS.contains(&code) {
        return Verdict::Allowed;
    }
    if is_transfer(verb) && TRANSFER_SECURITY.contains(&code) {
        return Verdict::Allowed;
    }
    if any_4yz && (400..500).contains(&code) {
        return Verdict::Allowed;
    }
    if tolerated.contains(&code) {
        return Verdict::Tolerated;
    }
    // A verb the table does not know: any well-formed class is accepted.
    if allowed.is_empty() && tolerated.is_empty() {
        return Verdict::Allowed;
    }
    Verdict::Nonconformant
}

/// Whether `code` can be the final reply of a transfer command after its
/// `1yz` (used to tell a transfer's reply from a keep-alive `NOOP`'s).
pub(crate) fn ends_transfer(verb: &str, code: u16) -> bool {
    code != 200
        && (code == 421 || matches!(check(verb, code), Verdict::Allowed | Verdict::Tolerated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cases() {
        let cases: &[(&str, u16, Verdict)] = &[
            ("USER", 331, Verdict::Allowed),
            ("USER", 250, Verdict::Nonconformant),
            ("REIN", 230, Verdict::Tolerated),
            ("EPSV", 220, Verdict::Tolerated),
            ("CDUP", 250, Verdict::Allowed),
            ("CWD", 257, Verdict::Nonconformant),
            ("RETR", 150, Verdict::Allowed),
            ("RETR", 522, Verdict::Allowed),
            ("LIST", 550, Verdict::Tolerated),
            ("SIZE", 451, Verdict::Allowed),
            ("NOOP", 226, Verdict::Nonconformant),
            ("XYZZY", 299, Verdict::Allowed),
            ("ABOR", 426, Verdict::Nonconformant),
            ("QUIT", 421, Verdict::Allowed),
            // 1yz only to the transfer commands and REIN (RFC 959 §5.4).
            ("USER", 150, Verdict::Nonconformant),
            ("FEAT", 120, Verdict::Nonconformant),
            ("REIN", 120, Verdict::Allowed),
            ("LIST", 125, Verdict::Allowed),
            // Logging in: 230/232 to USER, 230/202 to PASS; 220 to nothing.
            ("USER", 202, Verdict::Nonconformant),
            ("USER", 220, Verdict::Nonconformant),
            ("PASS", 202, Verdict::Allowed),
            ("REIN", 220, Verdict::Allowed),
        ];
        for &(verb, code, want) in cases {
            assert_eq!(check(verb, code), want, "{verb} {code}");
        }
    }

    #[test]
    fn transfer_vs_noop() {
        assert!(ends_transfer("RETR", 226));
        assert!(ends_transfer("STOR", 552));
        assert!(!ends_transfer("RETR", 200));
        assert!(!ends_transfer("RETR", 503));
    }
}
