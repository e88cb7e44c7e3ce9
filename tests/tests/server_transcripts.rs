//! Replays every transcript in `tests/transcripts/server/` (format:
//! `tests/transcripts/README.md`), whole and byte by byte, and checks each
//! reply against the codes RFC 959 §5.4 and the extension RFCs allow.

use std::fmt::Write as _;
use std::path::Path;

use ftp_proto_tests::transcript::{Feed, run, show};

fn transcripts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("transcripts/server");
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .expect("transcripts folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    all.sort();
    all
}

#[test]
fn every_transcript_passes_whole_and_byte_by_byte() {
    let all = transcripts();
    assert!(all.len() >= 40, "only {} transcripts", all.len());
    let mut failures = String::new();
    for (name, text) in &all {
        let whole = run(text, Feed::Whole);
        let split = run(text, Feed::ByteByByte);
        match (whole, split) {
            (Ok(a), Ok(b)) => {
                if a.wire != b.wire {
                    let _ = writeln!(
                        failures,
                        "{name}: byte-by-byte output differs:\n{}\n---\n{}",
                        show(&a.wire),
                        show(&b.wire)
                    );
                }
                for v in a.violations.iter().chain(&b.violations) {
                    let _ = writeln!(
                        failures,
                        "{name}: reply not allowed by RFC 959 §5.4 or its extension RFCs: {v}"
                    );
                }
            }
            (Err(e), _) => {
                let _ = writeln!(failures, "{name} (whole): {e}");
            }
            (_, Err(e)) => {
                let _ = writeln!(failures, "{name} (byte by byte): {e}");
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// 1000 pipelined commands in one read: every one answered, in order.
#[test]
fn thousand_pipelined_commands() {
    let mut t = String::from("@config\nS: 220 FTP server ready.\n");
    let mut burst = String::new();
    for i in 0..1000 {
        burst.push_str(match i % 4 {
            0 => "NOOP\\r\\n",
            1 => "SYST\\r\\n",
            2 => "TYPE I\\r\\n",
            _ => "PWD\\r\\n",
        });
    }
    t.push_str(&format!("C+ {burst}\n"));
    for i in 0..1000 {
        t.push_str(match i % 4 {
            0 => "S: 200 NOOP ok.\n",
            1 => "S: 215 UNIX Type: L8\n",
            2 => "S: 530 Please login with USER and PASS.\n",
            _ => "S: 530 Please login with USER and PASS.\n",
        });
    }
    for feed in [Feed::Whole, Feed::ByteByByte] {
        let out = run(&t, feed).unwrap();
        assert!(out.violations.is_empty(), "{:?}", out.violations);
    }
}

/// 1000 pipelined requests after login: each waits for its answer, and the
/// replies keep their order.
#[test]
fn thousand_pipelined_requests_wait_for_answers() {
    let mut t = String::from(
        "@config max-pipelined-bytes=65536\nS: 220 FTP server ready.\nC: USER u\nS: 331 Password required.\nC: PASS p\nE: request login u\nA: logged-in\nS: 230 Login successful.\n",
    );
    let mut burst = String::new();
    for i in 0..1000 {
        burst.push_str(&format!("CWD /d{i}\\r\\n"));
    }
    t.push_str(&format!("C+ {burst}\n"));
    for i in 0..1000 {
        t.push_str(&format!(
            "E: request cwd /d{i}\nA: ok\nS: 250 Directory changed.\n"
        ));
    }
    let out = run(&t, Feed::Whole).unwrap();
    assert!(out.violations.is_empty(), "{:?}", out.violations);
}

/// The conformance table rejects what the RFCs do not list.
#[test]
fn conformance_table_rejects_unlisted_codes() {
    use ftp_proto_tests::transcript::conformance::allowed;
    assert!(allowed("CWD", 250) && allowed("CWD", 550) && allowed("CWD", 421));
    assert!(!allowed("CWD", 257));
    assert!(!allowed("PWD", 250));
    assert!(!allowed("RNTO", 350));
    assert!(!allowed("QUIT", 200));
    assert!(
        !allowed("PORT", 504),
        "RFC 959 §5.4 does not list 504 for PORT"
    );
    assert!(!allowed("NOOP", 502));
    assert!(allowed("XYZZY", 500) && !allowed("XYZZY", 200));
}
