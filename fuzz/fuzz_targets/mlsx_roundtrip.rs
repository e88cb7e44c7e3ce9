//! An arbitrary FileInfo rendered as MLSD and MLST lines parses back to the
//! same values for every fact that was written; unsafe names write nothing.
#![no_main]

use arbitrary::Arbitrary;
use bytes::{Bytes, BytesMut};
use ftp_proto::Timestamp;
use ftp_proto::listing::{
    DeviceNumbers, Facts, FileInfo, FileKind, Perms, parse_mlsd_line, parse_mlst_line,
    write_mlsd_line, write_mlst_line,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    name: Vec<u8>,
    kind: u8,
    target: Option<Vec<u8>>,
    size: Option<u64>,
    modified: Option<u32>,
    created: Option<u32>,
    mode: Option<u16>,
    owner: Option<Vec<u8>>,
    group: Option<Vec<u8>>,
    perms: Option<Vec<u8>>,
    unique: Option<Vec<u8>>,
    facts: u16,
    device: Option<(u32, u32)>,
}

/// What parsing may give back for a byte-string fact: nothing if the value
/// could not be written safely.
fn fact_value(v: &Option<Vec<u8>>) -> Option<&[u8]> {
    v.as_deref()
        .filter(|v| !v.is_empty() && v.iter().all(|&b| b > b' ' && b != b';' && b != 0x7f))
}

fuzz_target!(|input: Input| {
    let device = input
        .device
        .map(|(major, minor)| DeviceNumbers::new(major, minor));
    let kind = match input.kind % 10 {
        0 => FileKind::File,
        1 => FileKind::Directory,
        2 => FileKind::CurrentDirectory,
        3 => FileKind::ParentDirectory,
        4 => FileKind::Symlink {
            target: input.target.clone().map(Bytes::from),
        },
        5 => FileKind::CharDevice { device },
        6 => FileKind::BlockDevice { device },
        7 => FileKind::Fifo,
        8 => FileKind::Socket,
        _ => FileKind::Other,
    };
    // Times from 1970 to 2106, whole seconds (MLSx writes seconds).
    let time = |t: Option<u32>| t.map(|s| Timestamp::from_unix(i64::from(s), 0));
    let mut info = FileInfo::new(Bytes::from(input.name.clone()), kind.clone());
    info.size = input.size;
    info.modified = time(input.modified);
    info.created = time(input.created);
    info.mode = input.mode.map(|m| u32::from(m) & 0o7777);
    info.owner = input.owner.clone().map(Bytes::from);
    info.group = input.group.clone().map(Bytes::from);
    info.perms = input.perms.as_deref().map(Perms::from_letters);
    info.unique = input.unique.clone().map(Bytes::from);
    let facts = Facts::from_bits_truncate(input.facts);

    let mut out = BytesMut::new();
    let name_ok =
        !input.name.is_empty() && !input.name.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0));
    match write_mlsd_line(&info, facts, &mut out) {
        Err(_) => {
            assert!(!name_ok);
            assert!(out.is_empty());
            return;
        }
        Ok(()) => assert!(name_ok),
    }
    // Exactly one line.
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    let back = parse_mlsd_line(&out).expect("rendered line parses");
    assert_eq!(back.name, info.name);
    let pick = |f: Facts| facts.contains(f);
    if pick(Facts::TYPE) {
        let want = match &kind {
            FileKind::Symlink { target } => FileKind::Symlink {
                target: fact_value(&target.as_ref().map(|t| t.to_vec()))
                    .map(Bytes::copy_from_slice),
            },
            k => k.clone(),
        };
        assert_eq!(back.kind, want);
    }
    assert_eq!(back.size, info.size.filter(|_| pick(Facts::SIZE)));
    assert_eq!(back.modified, info.modified.filter(|_| pick(Facts::MODIFY)));
    assert_eq!(back.created, info.created.filter(|_| pick(Facts::CREATE)));
    assert_eq!(back.mode, info.mode.filter(|_| pick(Facts::UNIX_MODE)));
    assert_eq!(
        back.perms,
        pick(Facts::PERM).then(|| info.effective_perms())
    );
    let check = |got: &Option<Bytes>, sent: &Option<Vec<u8>>, f: Facts| {
        let want = fact_value(sent).filter(|_| pick(f));
        assert_eq!(got.as_deref(), want);
    };
    check(&back.owner, &input.owner, Facts::UNIX_OWNER);
    check(&back.group, &input.group, Facts::UNIX_GROUP);
    check(&back.unique, &input.unique, Facts::UNIQUE);

    let mut mlst = BytesMut::new();
    write_mlst_line(&info, facts, &input.name, &mut mlst).expect("same name rules");
    assert!(!mlst.contains(&b'\n'));
    let back2 = parse_mlst_line(&mlst).expect("rendered MLST line parses");
    assert_eq!(back2, back);
});
