//! Every code of the seed list (a published table of FTP status codes, kept in
//! `tests/data/reply-codes-seed.txt`) exists as a named [`ReplyCode`] constant
//! with the class of the section that lists it.

use std::path::Path;

use ftp_proto::reply::{ReplyClass, ReplyCode};

const COPY: &str = "tests/data/reply-codes-seed.txt";
/// The original, present in the project's shared folder (and on CI), not in a user's clone.
const ORIGINAL: &str = "../../shared/seeds/000_b4b9b536dbd72843.txt";

fn class_of_digit(digit: char) -> Option<ReplyClass> {
    Some(match digit {
        '1' => ReplyClass::Preliminary,
        '2' => ReplyClass::Completion,
        '3' => ReplyClass::Intermediate,
        '4' => ReplyClass::TransientNegative,
        '5' => ReplyClass::PermanentNegative,
        _ => return None,
    })
}

#[test]
fn every_seed_code_is_named_with_its_section_class() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(manifest.join(COPY)).expect("seed copy is readable");

    let mut section: Option<ReplyClass> = None;
    let mut checked = 0;
    for line in text.lines() {
        let line = line.trim();
        // Section headers look like "2xx — Positive Completion Reply".
        if line.get(1..).is_some_and(|rest| rest.starts_with("xx")) {
            section = line.chars().next().and_then(class_of_digit);
            continue;
        }
        // Code lines look like "• 110 — Restart marker reply.".
        let Some(entry) = line.strip_prefix('•') else {
            continue;
        };
        let digits = entry
            .trim_start()
            .get(..3)
            .expect("a code after the bullet");
        let code: ReplyCode = digits.parse().expect("a well-formed code");
        let class = section.expect("a code line inside a section");
        assert!(
            ReplyCode::ALL_NAMED.iter().any(|(named, _)| *named == code),
            "{code} is not a named constant"
        );
        assert_eq!(code.class(), class, "{code} is listed under {class:?}");
        assert!(code.is_rfc(), "{code} is an RFC code");
        checked += 1;
    }
    assert_eq!(checked, 39, "the seed lists 39 codes");
}

#[test]
fn seed_copy_matches_the_original_when_present() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let original = manifest.join(ORIGINAL);
    if !original.exists() {
        return;
    }
    let copy = std::fs::read(manifest.join(COPY)).expect("seed copy is readable");
    let original = std::fs::read(original).expect("original seed is readable");
    assert!(
        copy == original,
        "tests/data/reply-codes-seed.txt differs from {ORIGINAL}"
    );
}
