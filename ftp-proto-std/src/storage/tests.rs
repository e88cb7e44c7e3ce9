//! Tests of [`Filesystem`] against a temporary folder: every escape attempt
//! is refused and leaves the outside untouched; ordinary operations work.
//!
//! Layout: `base/root` is the storage root, `base/outside` holds a `secret`
//! file that no operation may read, change or add to.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ftp_proto::timestamp::Timestamp;

use super::*;

const SECRET: &[u8] = b"outside secret";

struct Fixture {
    _temp: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    fs: Filesystem,
}

/// A whole listing (the servers stream it; the tests look at all of it).
fn listed(fs: &Filesystem, path: &[u8]) -> Result<Vec<EntryInfo>, StorageError> {
    fs.list(path)?.collect()
}

fn fixture() -> Fixture {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("root");
    let outside = temp.path().join("outside");
    fs::create_dir(&root).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), SECRET).unwrap();
    fs::write(root.join("file"), b"inside").unwrap();
    let fs = Filesystem::open(&root).unwrap();
    Fixture {
        _temp: temp,
        root,
        outside,
        fs,
    }
}

impl Fixture {
    /// The outside folder still holds exactly the secret, unchanged.
    fn assert_outside_untouched(&self) {
        let mut names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["secret"], "something appeared outside the root");
        assert_eq!(fs::read(self.outside.join("secret")).unwrap(), SECRET);
    }

    fn write(&self, path: &[u8], data: &[u8]) {
        let mut file = self.fs.open_write(path, WriteMode::Truncate).unwrap();
        file.write_all(data).unwrap();
    }

    fn read(&self, path: &[u8], offset: u64) -> Vec<u8> {
        let mut data = Vec::new();
        self.fs
            .open_read(path, offset)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        data
    }
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// The result is an escape refusal: `PermissionDenied` (what cap-std says
/// for a path leading outside) or `NotFound`.
#[track_caller]
fn assert_refused<T: fmt::Debug>(result: Result<T, StorageError>) {
    match result {
        Err(StorageError::PermissionDenied | StorageError::NotFound) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Every operation of the storage on `path`, each expected to be refused.
#[track_caller]
fn assert_all_refused(f: &Fixture, path: &[u8]) {
    assert_refused(f.fs.metadata(path));
    assert_refused(f.fs.list(path));
    assert_refused(f.fs.check_dir(path));
    assert_refused(f.fs.open_read(path, 0));
    assert_refused(f.fs.open_write(path, WriteMode::Truncate));
    assert_refused(f.fs.open_write(path, WriteMode::Replace));
    assert_refused(f.fs.open_write(path, WriteMode::Append));
    assert_refused(f.fs.open_write(path, WriteMode::Resume(3)));
    assert_refused(f.fs.create_unique(path, None));
    assert_refused(f.fs.remove_file(path));
    assert_refused(f.fs.make_dir(path));
    assert_refused(f.fs.remove_dir(path));
    assert_refused(f.fs.rename(path, b"/moved"));
    assert_refused(f.fs.rename(b"/file", path));
    assert_refused(f.fs.set_modified(path, Timestamp::UNIX_EPOCH));
    f.assert_outside_untouched();
    assert_eq!(fs::read(f.root.join("file")).unwrap(), b"inside");
}

mod escapes {
    use super::*;

    #[test]
    fn dot_dot_paths_are_refused() {
        let f = fixture();
        for path in [
            &b"/../etc/passwd"[..],
            b"/a/../../x",
            b"/../outside/secret",
            b"/../outside",
            b"/..",
            b"/file/..",
        ] {
            assert_all_refused(&f, path);
        }
    }

    #[test]
    fn relative_and_odd_paths_are_refused() {
        let f = fixture();
        for path in [&b""[..], b"file", b"../outside/secret", b"/fi\0le"] {
            assert!(matches!(
                f.fs.open_read(path, 0),
                Err(StorageError::InvalidName)
            ));
        }
    }

    #[cfg(unix)]
    #[test]
    fn absolute_symlink_to_etc_is_not_followed() {
        let f = fixture();
        symlink("/etc", f.root.join("link"));
        assert_all_refused(&f, b"/link/passwd");
        assert_refused(f.fs.list(b"/link"));
        assert_refused(f.fs.check_dir(b"/link"));
        assert_refused(f.fs.metadata(b"/link"));
    }

    #[cfg(unix)]
    #[test]
    fn absolute_symlink_even_to_the_inside_is_not_followed() {
        let f = fixture();
        symlink(f.root.join("file"), f.root.join("abs"));
        assert_refused(f.fs.open_read(b"/abs", 0));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_to_parent_is_not_followed() {
        let f = fixture();
        symlink("..", f.root.join("up"));
        assert_all_refused(&f, b"/up/outside/secret");
        assert_all_refused(&f, b"/up/outside/new");
        assert_refused(f.fs.list(b"/up"));
        assert_refused(f.fs.check_dir(b"/up"));
        // The listing shows the link as a link, with its text.
        let listing = listed(&f.fs, b"/").unwrap();
        let up = listing.iter().find(|e| &e.name[..] == b"up").unwrap();
        assert_eq!(
            up.kind,
            EntryKind::Symlink {
                target: Bytes::from_static(b"..")
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_to_an_outside_file_is_not_followed() {
        let f = fixture();
        symlink("../outside/secret", f.root.join("s"));
        let before = fs::metadata(f.outside.join("secret"))
            .unwrap()
            .modified()
            .unwrap();
        assert_refused(f.fs.metadata(b"/s"));
        assert_refused(f.fs.open_read(b"/s", 0));
        assert_refused(f.fs.open_write(b"/s", WriteMode::Truncate));
        assert_refused(f.fs.open_write(b"/s", WriteMode::Replace));
        assert_refused(f.fs.open_write(b"/s", WriteMode::Append));
        assert_refused(f.fs.open_write(b"/s", WriteMode::Resume(2)));
        assert_refused(f.fs.set_modified(b"/s", Timestamp::UNIX_EPOCH));
        let after = fs::metadata(f.outside.join("secret"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(before, after);
        f.assert_outside_untouched();
        // Deleting the link deletes the link, not its target.
        f.fs.remove_file(b"/s").unwrap();
        assert!(fs::symlink_metadata(f.root.join("s")).is_err());
        f.assert_outside_untouched();
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_directory_in_the_middle_of_a_path_is_not_followed() {
        let f = fixture();
        fs::create_dir(f.root.join("d")).unwrap();
        symlink("../../outside", f.root.join("d/mid"));
        assert_all_refused(&f, b"/d/mid/secret");
        assert_all_refused(&f, b"/d/mid/new");
        assert_all_refused(&f, b"/d/mid/sub/deeper");
    }

    #[cfg(unix)]
    #[test]
    fn creating_through_a_dangling_symlink_pointing_outside_is_refused() {
        let f = fixture();
        symlink("../outside/created", f.root.join("dangle"));
        symlink(f.outside.join("created_abs"), f.root.join("dangle_abs"));
        for path in [&b"/dangle"[..], b"/dangle_abs"] {
            assert_refused(f.fs.open_write(path, WriteMode::Truncate));
            assert_refused(f.fs.open_write(path, WriteMode::Append));
            // mkdir never follows a final symlink: the name is taken.
            assert!(matches!(
                f.fs.make_dir(path),
                Err(StorageError::AlreadyExists)
            ));
        }
        // STOU with the link's name as hint picks another name instead.
        let unique = f.fs.create_unique(b"/", Some(b"dangle")).unwrap();
        assert_ne!(&unique.name[..], b"dangle");
        f.assert_outside_untouched();
    }

    #[cfg(unix)]
    #[test]
    fn renaming_into_or_out_of_a_symlinked_directory_is_refused() {
        let f = fixture();
        symlink("../outside", f.root.join("mid"));
        assert_refused(f.fs.rename(b"/file", b"/mid/file"));
        assert_refused(f.fs.rename(b"/mid/secret", b"/stolen"));
        assert_refused(f.fs.rename(b"/mid/secret", b"/mid/renamed"));
        assert!(f.root.join("file").exists());
        assert!(!f.root.join("stolen").exists());
        f.assert_outside_untouched();
        // Renaming the link itself is an ordinary operation inside the root.
        f.fs.rename(b"/mid", b"/mid2").unwrap();
        f.assert_outside_untouched();
    }

    /// A directory is swapped for a symlink to the outside, over and over,
    /// while another thread reads and writes through it. The resolution is
    /// atomic with the use, so no operation ever lands outside. This is a
    /// best-effort demonstration (whether the race window is hit depends on
    /// scheduling); it asserts only safety, never timing.
    #[cfg(unix)]
    #[test]
    fn directory_swapped_for_a_symlink_never_leaks() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let f = fixture();
        let real = f.root.join("real");
        let evil = f.root.join("evil");
        let swap = f.root.join("swap");
        fs::create_dir(&real).unwrap();
        symlink("../outside", &evil);
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    fs::rename(&real, &swap).unwrap();
                    fs::rename(&swap, &real).unwrap();
                    fs::rename(&evil, &swap).unwrap();
                    fs::rename(&swap, &evil).unwrap();
                    swaps += 1;
                }
                swaps
            })
        };
        for _ in 0..3000 {
            if let Ok(mut file) = f.fs.open_read(b"/swap/secret", 0) {
                let mut data = Vec::new();
                let _ = file.read_to_end(&mut data);
                assert_ne!(data, SECRET, "read the outside file");
            }
            if let Ok(mut file) = f.fs.open_write(b"/swap/planted", WriteMode::Truncate) {
                file.write_all(b"x").unwrap();
            }
            let _ = f.fs.make_dir(b"/swap/plantdir");
            assert!(listed(&f.fs, b"/swap").map_or(true, |listing| {
                listing.iter().all(|e| &e.name[..] != b"secret")
            }));
        }
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 0);
        f.assert_outside_untouched();
    }
}

mod operations {
    use super::*;

    #[test]
    fn names_reach_the_disk_as_given() {
        let f = fixture();
        f.fs.make_dir("/dössier with spaces".as_bytes()).unwrap();
        f.write("/dössier with spaces/fïlé 日本.txt".as_bytes(), b"x");
        assert!(f.root.join("dössier with spaces/fïlé 日本.txt").exists());
        f.fs.make_dir(b"/d").unwrap();
        assert!(matches!(
            f.fs.open_read(b"/d", 0),
            Err(StorageError::IsADirectory)
        ));
        f.fs.remove_dir(b"/d").unwrap();
        assert!(!f.root.join("d").exists());
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_are_bytes() {
        let f = fixture();
        f.write(b"/caf\xe9", b"latin-1");
        let listing = listed(&f.fs, b"/").unwrap();
        assert!(listing.iter().any(|e| &e.name[..] == b"caf\xe9"));
    }

    #[test]
    fn modification_time() {
        let f = fixture();
        let when = Timestamp::from_unix(1_000_000_000, 0);
        f.fs.set_modified(b"/file", when).unwrap();
        assert_eq!(f.fs.metadata(b"/file").unwrap().modified, Some(when));
        // Times before 1970 are refused (the underlying call cannot set
        // them) without touching the file.
        assert!(matches!(
            f.fs.set_modified(b"/file", Timestamp::from_unix(-86_400, 0)),
            Err(StorageError::Unsupported)
        ));
        assert_eq!(f.fs.metadata(b"/file").unwrap().modified, Some(when));
        let precise = Timestamp::from_unix(1_700_000_000, 123_000_000);
        f.fs.set_modified(b"/file", precise).unwrap();
        assert_eq!(f.fs.metadata(b"/file").unwrap().modified, Some(precise));
        assert!(matches!(
            f.fs.set_modified(b"/missing", when),
            Err(StorageError::NotFound)
        ));
    }

    #[test]
    fn listing_is_streamed_in_directory_order_without_a_cap() {
        let f = fixture();
        // More entries than the old cap of 50 000 would be slow here; what
        // matters is that every entry comes, once, and `.`/`..` never.
        let mut expected = vec![Bytes::from_static(b"file")];
        for i in 0..3000 {
            let name = format!("n{i:05}");
            f.write(format!("/{name}").as_bytes(), b"");
            expected.push(Bytes::from(name));
        }
        let mut names: Vec<_> = listed(&f.fs, b"/")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        expected.sort();
        assert_eq!(names, expected);
        // The iterator reads as it goes: the first entry comes before the
        // directory is read to its end, and the rest follow.
        let mut entries = f.fs.list(b"/").unwrap();
        assert!(entries.next().unwrap().is_ok());
        assert_eq!(entries.count(), 3000);
        assert!(matches!(
            f.fs.list(b"/file"),
            Err(StorageError::NotADirectory)
        ));
        assert!(f.fs.metadata(b"/").unwrap().is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_inside_the_root_are_followed() {
        let f = fixture();
        f.fs.make_dir(b"/sub").unwrap();
        f.write(b"/sub/data", b"via link");
        symlink("sub", f.root.join("alias"));
        symlink("../file", f.root.join("sub/up_file"));
        assert_eq!(f.read(b"/alias/data", 0), b"via link");
        assert_eq!(f.read(b"/sub/up_file", 0), b"inside");
        f.fs.check_dir(b"/alias").unwrap();
        assert!(f.fs.metadata(b"/alias").unwrap().is_dir());
        let listing = listed(&f.fs, b"/").unwrap();
        let alias = listing.iter().find(|e| &e.name[..] == b"alias").unwrap();
        assert_eq!(
            alias.kind,
            EntryKind::Symlink {
                target: Bytes::from_static(b"sub")
            }
        );
        // Removing the directory link fails; deleting it removes only the link.
        assert!(f.fs.remove_dir(b"/alias").is_err());
        f.fs.remove_file(b"/alias").unwrap();
        assert_eq!(f.read(b"/sub/data", 0), b"via link");
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_never_opened() {
        let f = fixture();
        let status = std::process::Command::new("mkfifo")
            .arg(f.root.join("pipe"))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            return; // no mkfifo on this machine
        }
        assert!(matches!(
            f.fs.open_read(b"/pipe", 0),
            Err(StorageError::NotAFile)
        ));
        assert!(f.fs.open_write(b"/pipe", WriteMode::Truncate).is_err());
        let listing = listed(&f.fs, b"/").unwrap();
        let pipe = listing.iter().find(|e| &e.name[..] == b"pipe").unwrap();
        assert_eq!(pipe.kind, EntryKind::Fifo);
    }

    #[test]
    fn read_only_refuses_every_change() {
        let f = fixture();
        let ro = Filesystem::open(&f.root).unwrap().with_read_only(true);
        assert!(ro.is_read_only());
        let denied = |r: Result<(), StorageError>| {
            assert!(matches!(r, Err(StorageError::PermissionDenied)), "{r:?}");
        };
        denied(ro.open_write(b"/file", WriteMode::Truncate).map(drop));
        denied(ro.open_write(b"/new", WriteMode::Append).map(drop));
        denied(ro.create_unique(b"/", None).map(drop));
        denied(ro.remove_file(b"/file"));
        denied(ro.make_dir(b"/d"));
        denied(ro.remove_dir(b"/d"));
        denied(ro.rename(b"/file", b"/x"));
        denied(ro.set_modified(b"/file", Timestamp::UNIX_EPOCH));
        let mut data = Vec::new();
        ro.open_read(b"/file", 0)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert_eq!(data, b"inside");
        assert_eq!(listed(&ro, b"/").unwrap().len(), 1);
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"inside");
    }

    #[test]
    fn debug_shows_the_root_and_mode() {
        let f = fixture();
        let text = format!("{:?}", f.fs);
        assert!(text.contains("read_only: false"), "{text}");
    }
}

/// Random operations on random paths built from dangerous pieces (`..`,
/// links to the outside, NUL, empty components) never panic and never touch
/// anything outside the root.
#[cfg(unix)]
mod random_paths {
    use proptest::prelude::*;

    use super::*;

    fn piece() -> impl Strategy<Value = &'static [u8]> {
        prop::sample::select(vec![
            &b".."[..],
            b".",
            b"",
            b"up",
            b"out",
            b"abs",
            b"dangle",
            b"d",
            b"file",
            b"secret",
            b"new",
            b"\xc3\xbc",
            b"a\0b",
        ])
    }

    fn path() -> impl Strategy<Value = Vec<u8>> {
        (any::<bool>(), prop::collection::vec(piece(), 0..5)).prop_map(|(absolute, pieces)| {
            let mut path = if absolute { b"/".to_vec() } else { Vec::new() };
            path.extend(pieces.join(&b'/'));
            path
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn nothing_outside_is_touched(ops in prop::collection::vec((0u8..13, path(), path()), 1..12)) {
            let f = fixture();
            symlink("..", f.root.join("up"));
            symlink("../outside", f.root.join("out"));
            symlink(&f.outside, f.root.join("abs"));
            symlink("../outside/dangle", f.root.join("dangle"));
            fs::create_dir(f.root.join("d")).unwrap();
            for (op, a, b) in &ops {
                let (a, b) = (a.as_slice(), b.as_slice());
                let _ = match op {
                    0 => f.fs.metadata(a).map(drop),
                    1 => f.fs.list(a).map(drop),
                    2 => f.fs.open_read(a, 0).map(drop),
                    3 => f.fs.open_write(a, WriteMode::Truncate).map(drop),
                    11 => f.fs.open_write(a, WriteMode::Replace).and_then(Upload::commit),
                    4 => f.fs.open_write(a, WriteMode::Append).map(drop),
                    5 => f.fs.create_unique(a, None).map(drop),
                    6 => f.fs.remove_file(a),
                    7 => f.fs.make_dir(a),
                    8 => f.fs.remove_dir(a),
                    9 => f.fs.rename(a, b),
                    10 => f.fs.set_modified(a, Timestamp::UNIX_EPOCH),
                    _ => f.fs.check_dir(a),
                };
            }
            f.assert_outside_untouched();
        }
    }
}

/// `WriteMode::Replace`: the old file stays until the commit, nothing of
/// an abandoned upload remains, and the other modes still write in place.
mod replacing_uploads {
    use super::*;

    /// The names in `dir` (sorted).
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_old_file_stays_until_the_commit() {
        let f = fixture();
        let mut upload = f.fs.open_write(b"/file", WriteMode::Replace).unwrap();
        upload.write_all(b"the new contents").unwrap();
        upload.flush().unwrap();
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"inside");
        // The temporary file sits beside it, a dot file.
        let during = names(&f.root);
        assert_eq!(during.len(), 2, "{during:?}");
        assert!(
            during
                .iter()
                .any(|n| n.starts_with(".ftp-upload-") && n.ends_with(".part"))
        );
        upload.commit().unwrap();
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"the new contents");
        assert_eq!(names(&f.root), ["file"]);
    }

    #[test]
    fn an_abandoned_upload_leaves_no_trace() {
        let f = fixture();
        let mut upload = f.fs.open_write(b"/file", WriteMode::Replace).unwrap();
        upload.write_all(b"half of it").unwrap();
        drop(upload);
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"inside");
        // A new name is not created either.
        let mut upload = f.fs.open_write(b"/new", WriteMode::Replace).unwrap();
        upload.write_all(b"half").unwrap();
        drop(upload);
        assert_eq!(names(&f.root), ["file"]);
        let upload = f.fs.open_write(b"/new", WriteMode::Replace).unwrap();
        upload.commit().unwrap();
        assert_eq!(fs::read(f.root.join("new")).unwrap(), b"");
    }

    #[test]
    fn the_temporary_file_is_in_the_same_folder() {
        let f = fixture();
        fs::create_dir(f.root.join("sub")).unwrap();
        fs::write(f.root.join("sub/f"), b"old").unwrap();
        let mut upload = f.fs.open_write(b"/sub/f", WriteMode::Replace).unwrap();
        upload.write_all(b"new").unwrap();
        assert_eq!(names(&f.root), ["file", "sub"]);
        assert_eq!(names(&f.root.join("sub")).len(), 2);
        upload.commit().unwrap();
        assert_eq!(names(&f.root.join("sub")), ["f"]);
        assert_eq!(fs::read(f.root.join("sub/f")).unwrap(), b"new");
    }

    #[test]
    fn a_failed_rename_fails_the_commit_and_cleans_up() {
        let f = fixture();
        let mut upload = f.fs.open_write(b"/later", WriteMode::Replace).unwrap();
        upload.write_all(b"x").unwrap();
        // The name became a non-empty folder meanwhile: a file cannot
        // replace it.
        fs::create_dir(f.root.join("later")).unwrap();
        fs::write(f.root.join("later/inner"), b"keep").unwrap();
        assert!(upload.commit().is_err());
        assert_eq!(names(&f.root), ["file", "later"]);
        assert_eq!(fs::read(f.root.join("later/inner")).unwrap(), b"keep");
    }

    #[test]
    fn what_an_in_place_stor_refuses_is_refused() {
        let f = fixture();
        fs::create_dir(f.root.join("d")).unwrap();
        assert!(matches!(
            f.fs.open_write(b"/d", WriteMode::Replace),
            Err(StorageError::IsADirectory)
        ));
        assert!(matches!(
            f.fs.open_write(b"/", WriteMode::Replace),
            Err(StorageError::IsADirectory)
        ));
        assert!(matches!(
            f.fs.open_write(b"/missing/f", WriteMode::Replace),
            Err(StorageError::NotFound)
        ));
        let read_only = Filesystem::open(&f.root).unwrap().with_read_only(true);
        assert!(matches!(
            read_only.open_write(b"/file", WriteMode::Replace),
            Err(StorageError::PermissionDenied)
        ));
        assert_eq!(names(&f.root), ["d", "file"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_new_file_keeps_the_old_permission_bits() {
        use std::os::unix::fs::PermissionsExt;
        let f = fixture();
        fs::set_permissions(f.root.join("file"), fs::Permissions::from_mode(0o640)).unwrap();
        let mut upload = f.fs.open_write(b"/file", WriteMode::Replace).unwrap();
        upload.write_all(b"new").unwrap();
        upload.commit().unwrap();
        let mode = fs::metadata(f.root.join("file"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_replaced_not_written_through() {
        let f = fixture();
        symlink("file", f.root.join("link"));
        let mut upload = f.fs.open_write(b"/link", WriteMode::Replace).unwrap();
        upload.write_all(b"new").unwrap();
        upload.commit().unwrap();
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"inside");
        let link = fs::symlink_metadata(f.root.join("link")).unwrap();
        assert!(link.is_file());
        assert_eq!(fs::read(f.root.join("link")).unwrap(), b"new");
        // A dangling link leading out: never written through.
        symlink("../outside/new", f.root.join("dangle"));
        if let Ok(upload) = f.fs.open_write(b"/dangle", WriteMode::Replace) {
            upload.commit().unwrap();
        }
        f.assert_outside_untouched();
    }

    #[test]
    fn the_other_modes_write_in_place() {
        let f = fixture();
        let mut upload = f.fs.open_write(b"/file", WriteMode::Truncate).unwrap();
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"");
        upload.write_all(b"part").unwrap();
        drop(upload);
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"part");
        let mut upload = f.fs.open_write(b"/file", WriteMode::Resume(2)).unwrap();
        upload.write_all(b"XY").unwrap();
        drop(upload);
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"paXY");
        let mut upload = f.fs.open_write(b"/file", WriteMode::Append).unwrap();
        upload.write_all(b"!").unwrap();
        drop(upload);
        assert_eq!(fs::read(f.root.join("file")).unwrap(), b"paXY!");
        let mut unique = f.fs.create_unique(b"/", Some(b"u")).unwrap();
        unique.writer.write_all(b"unique").unwrap();
        drop(unique.writer);
        assert_eq!(fs::read(f.root.join("u")).unwrap(), b"unique");
        assert_eq!(names(&f.root), ["file", "u"]);
    }

    /// A STOR without the right to overwrite: an exclusive create in
    /// place, never a replacement, never through a symlink.
    #[test]
    fn create_new_never_replaces_anything() {
        let f = fixture();
        let mut upload = f.fs.open_write(b"/new", WriteMode::CreateNew).unwrap();
        upload.write_all(b"fresh").unwrap();
        upload.commit().unwrap();
        assert_eq!(fs::read(f.root.join("new")).unwrap(), b"fresh");
        assert!(matches!(
            f.fs.open_write(b"/new", WriteMode::CreateNew),
            Err(StorageError::AlreadyExists)
        ));
        assert_eq!(fs::read(f.root.join("new")).unwrap(), b"fresh");
        fs::create_dir(f.root.join("dir")).unwrap();
        assert!(f.fs.open_write(b"/dir", WriteMode::CreateNew).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("new", f.root.join("link")).unwrap();
            std::os::unix::fs::symlink("missing", f.root.join("dangling")).unwrap();
            for link in [&b"/link"[..], b"/dangling"] {
                assert!(matches!(
                    f.fs.open_write(link, WriteMode::CreateNew),
                    Err(StorageError::AlreadyExists)
                ));
            }
            assert!(!f.root.join("missing").exists());
        }
        assert!(matches!(
            f.fs.open_write(b"/other", WriteMode::CreateNew).map(drop),
            Ok(())
        ));
        let read_only = Filesystem::open(&f.root).unwrap().with_read_only(true);
        assert!(matches!(
            read_only.open_write(b"/third", WriteMode::CreateNew),
            Err(StorageError::PermissionDenied)
        ));
        f.assert_outside_untouched();
    }
}

/// The contract every storage keeps, as generic functions over
/// [`Storage`], run against [`Filesystem`] and [`MemoryStorage`] alike.
/// Each starts from a storage whose root holds one file, `/file`, with
/// the content `inside`.
mod contract {
    use super::*;

    fn write<S: Storage>(s: &S, path: &[u8], mode: WriteMode, data: &[u8]) {
        let mut file = s.open_write(path, mode).unwrap();
        file.write_all(data).unwrap();
        file.flush().unwrap();
        file.commit().unwrap();
    }

    fn read<S: Storage>(s: &S, path: &[u8], offset: u64) -> Vec<u8> {
        let mut data = Vec::new();
        s.open_read(path, offset)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        data
    }

    fn names<S: Storage>(s: &S, path: &[u8]) -> Vec<Bytes> {
        let mut names: Vec<_> = s.list(path).unwrap().map(|e| e.unwrap().name).collect();
        names.sort();
        names
    }

    pub(super) fn hostile_paths_are_refused<S: Storage>(s: &S) {
        for path in [&b"/../etc/passwd"[..], b"/a/../../x", b"/..", b"/file/.."] {
            assert_refused(s.metadata(path));
            assert_refused(s.list(path).map(drop));
            assert_refused(s.open_read(path, 0).map(drop));
            assert_refused(s.open_write(path, WriteMode::Replace).map(drop));
            assert_refused(s.make_dir(path));
            assert_refused(s.rename(b"/file", path));
        }
        for path in [&b""[..], b"file", b"../x", b"/fi\0le"] {
            assert!(matches!(
                s.open_read(path, 0).map(drop),
                Err(StorageError::InvalidName)
            ));
        }
        let long = [b"/".as_slice(), &[b'x'; MAX_PATH_LEN]].concat();
        assert!(s.metadata(&long).is_err());
        assert_eq!(read(s, b"/file", 0), b"inside");
    }

    pub(super) fn nested_directories<S: Storage>(s: &S) {
        s.make_dir(b"/a").unwrap();
        s.make_dir(b"/a/b").unwrap();
        s.make_dir(b"/a/b/c").unwrap();
        assert!(matches!(
            s.make_dir(b"/a/b"),
            Err(StorageError::AlreadyExists)
        ));
        assert!(matches!(s.make_dir(b"/x/y"), Err(StorageError::NotFound)));
        s.check_dir(b"/a/b/c").unwrap();
        s.check_dir(b"/").unwrap();
        assert!(matches!(
            s.check_dir(b"/file"),
            Err(StorageError::NotADirectory)
        ));
        assert!(matches!(s.check_dir(b"/nope"), Err(StorageError::NotFound)));
        write(s, b"/a/b/c/leaf", WriteMode::Truncate, b"leaf");
        assert!(s.metadata(b"/a/b").unwrap().is_dir());
        let leaf = s.metadata(b"/a/b/c/leaf").unwrap();
        assert!(leaf.is_file());
        assert_eq!(leaf.size, 4);
        assert_eq!(&leaf.name[..], b"leaf");
        assert!(matches!(
            s.remove_dir(b"/a/b/c"),
            Err(StorageError::DirectoryNotEmpty)
        ));
        assert!(matches!(
            s.remove_dir(b"/a/b/c/leaf"),
            Err(StorageError::NotADirectory)
        ));
        assert!(matches!(
            s.remove_file(b"/a/b/c"),
            Err(StorageError::IsADirectory)
        ));
        s.remove_file(b"/a/b/c/leaf").unwrap();
        s.remove_dir(b"/a/b/c").unwrap();
        assert!(matches!(
            s.check_dir(b"/a/b/c"),
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            s.remove_dir(b"/"),
            Err(StorageError::PermissionDenied)
        ));
        assert!(s.metadata(b"/").unwrap().is_dir());
    }

    pub(super) fn unicode_names_and_spaces<S: Storage>(s: &S) {
        let dir = "/dössier with spaces";
        let file = "/dössier with spaces/fïlé näme 日本.txt";
        s.make_dir(dir.as_bytes()).unwrap();
        write(s, file.as_bytes(), WriteMode::Replace, "contènt".as_bytes());
        assert_eq!(read(s, file.as_bytes(), 0), "contènt".as_bytes());
        assert_eq!(names(s, dir.as_bytes()), ["fïlé näme 日本.txt".as_bytes()]);
    }

    pub(super) fn restart_offsets<S: Storage>(s: &S) {
        write(s, b"/digits", WriteMode::Replace, b"0123456789");
        assert_eq!(read(s, b"/digits", 4), b"456789");
        assert_eq!(read(s, b"/digits", 10), b"");
        assert!(matches!(
            s.open_read(b"/digits", 11),
            Err(StorageError::InvalidOffset)
        ));
        assert!(matches!(
            s.open_read(b"/", 0),
            Err(StorageError::IsADirectory)
        ));
        assert!(matches!(
            s.open_read(b"/missing", 0),
            Err(StorageError::NotFound)
        ));
        write(s, b"/digits", WriteMode::Resume(4), b"xy");
        assert_eq!(read(s, b"/digits", 0), b"0123xy");
        assert!(matches!(
            s.open_write(b"/digits", WriteMode::Resume(7)),
            Err(StorageError::InvalidOffset)
        ));
        assert!(matches!(
            s.open_write(b"/absent", WriteMode::Resume(5)),
            Err(StorageError::NotFound)
        ));
        write(s, b"/absent", WriteMode::Resume(0), b"new");
        assert_eq!(read(s, b"/absent", 0), b"new");
        assert!(matches!(
            s.open_write(b"/", WriteMode::Truncate),
            Err(StorageError::IsADirectory)
        ));
        // An interrupted in-place upload leaves what was written.
        let mut file = s.open_write(b"/digits", WriteMode::Resume(2)).unwrap();
        file.write_all(b"ab").unwrap();
        file.flush().unwrap();
        drop(file);
        assert_eq!(read(s, b"/digits", 0), b"01ab");
    }

    pub(super) fn truncate_and_append<S: Storage>(s: &S) {
        write(s, b"/log", WriteMode::Truncate, b"first");
        write(s, b"/log", WriteMode::Truncate, b"ab");
        assert_eq!(read(s, b"/log", 0), b"ab");
        write(s, b"/log", WriteMode::Append, b"cd");
        assert_eq!(read(s, b"/log", 0), b"abcd");
        write(s, b"/fresh", WriteMode::Append, b"z");
        assert_eq!(read(s, b"/fresh", 0), b"z");
    }

    pub(super) fn replace_keeps_the_old_file_until_the_commit<S: Storage>(s: &S) {
        let mut upload = s.open_write(b"/file", WriteMode::Replace).unwrap();
        upload.write_all(b"the new contents").unwrap();
        upload.flush().unwrap();
        assert_eq!(read(s, b"/file", 0), b"inside");
        upload.commit().unwrap();
        assert_eq!(read(s, b"/file", 0), b"the new contents");
        // Abandoned: the old content stays, a new name is not created.
        let mut upload = s.open_write(b"/file", WriteMode::Replace).unwrap();
        upload.write_all(b"half").unwrap();
        upload.flush().unwrap();
        drop(upload);
        let mut upload = s.open_write(b"/new", WriteMode::Replace).unwrap();
        upload.write_all(b"half").unwrap();
        drop(upload);
        assert_eq!(read(s, b"/file", 0), b"the new contents");
        assert_eq!(names(s, b"/"), [&b"file"[..]]);
    }

    pub(super) fn unique_names<S: Storage>(s: &S) {
        s.make_dir(b"/in").unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let mut unique = s.create_unique(b"/in", None).unwrap();
            unique.writer.write_all(b"u").unwrap();
            assert_eq!(unique.path, [&b"/in/"[..], &unique.name].concat());
            assert!(seen.insert(unique.name.clone()));
            unique.writer.commit().unwrap();
        }
        assert_eq!(names(s, b"/in").len(), 20);
        let first = s.create_unique(b"/", Some(b"report.txt")).unwrap();
        assert_eq!(&first.name[..], b"report.txt");
        assert_eq!(&first.path[..], b"/report.txt");
        let second = s.create_unique(b"/", Some(b"report.txt")).unwrap();
        assert!(second.name.starts_with(b"report.txt."));
        for bad in [&b".."[..], b"a/b", b""] {
            assert!(matches!(
                s.create_unique(b"/", Some(bad)),
                Err(StorageError::InvalidName)
            ));
        }
        assert!(matches!(
            s.create_unique(b"/missing", None),
            Err(StorageError::NotFound)
        ));
    }

    /// `CreateNew` (a user who may not overwrite): an exclusive create that
    /// never replaces a file or a directory, and whose bytes count.
    pub(super) fn create_new_never_replaces<S: Storage>(s: &S) {
        let mut upload = s.open_write(b"/fresh", WriteMode::CreateNew).unwrap();
        upload.write_all(b"first").unwrap();
        upload.commit().unwrap();
        assert!(matches!(
            s.open_write(b"/fresh", WriteMode::CreateNew).map(drop),
            Err(StorageError::AlreadyExists)
        ));
        assert_eq!(s.metadata(b"/fresh").unwrap().size, 5);
        s.make_dir(b"/taken").unwrap();
        assert!(s.open_write(b"/taken", WriteMode::CreateNew).is_err());
    }

    pub(super) fn modification_time<S: Storage>(s: &S) {
        let when = Timestamp::from_unix(1_000_000_000, 0);
        s.set_modified(b"/file", when).unwrap();
        assert_eq!(s.metadata(b"/file").unwrap().modified, Some(when));
        let precise = Timestamp::from_unix(1_700_000_000, 123_000_000);
        s.set_modified(b"/file", precise).unwrap();
        assert_eq!(s.metadata(b"/file").unwrap().modified, Some(precise));
        assert!(matches!(
            s.set_modified(b"/missing", when),
            Err(StorageError::NotFound)
        ));
    }

    pub(super) fn rename_files_and_directories<S: Storage>(s: &S) {
        s.make_dir(b"/d").unwrap();
        s.rename(b"/file", b"/d/moved").unwrap();
        assert_eq!(read(s, b"/d/moved", 0), b"inside");
        write(s, b"/other", WriteMode::Replace, b"other");
        s.rename(b"/other", b"/d/moved").unwrap();
        assert_eq!(read(s, b"/d/moved", 0), b"other");
        s.rename(b"/d", b"/e").unwrap();
        s.check_dir(b"/e").unwrap();
        assert_eq!(read(s, b"/e/moved", 0), b"other");
        assert!(matches!(s.check_dir(b"/d"), Err(StorageError::NotFound)));
        assert!(matches!(
            s.rename(b"/missing", b"/x"),
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            s.rename(b"/", b"/x"),
            Err(StorageError::PermissionDenied)
        ));
        assert!(s.rename(b"/e", b"/e/inner").is_err());
        s.check_dir(b"/e").unwrap();
        s.make_dir(b"/f").unwrap();
        assert!(s.rename(b"/e/moved", b"/f").is_err());
        assert_eq!(read(s, b"/e/moved", 0), b"other");
    }

    pub(super) fn listing_streams_every_entry_once<S: Storage>(s: &S) {
        let mut expected = vec![Bytes::from_static(b"file")];
        for i in 0..300 {
            let name = format!("n{i:04}");
            write(s, format!("/{name}").as_bytes(), WriteMode::Replace, b"");
            expected.push(Bytes::from(name));
        }
        expected.sort();
        assert_eq!(names(s, b"/"), expected);
        let mut entries = s.list(b"/").unwrap();
        assert!(entries.next().unwrap().is_ok());
        assert_eq!(entries.count(), 300);
        assert!(matches!(s.list(b"/file"), Err(StorageError::NotADirectory)));
        assert!(matches!(s.list(b"/missing"), Err(StorageError::NotFound)));
    }
}

/// Runs each [`contract`] function against a fresh storage made by
/// `$make` (an expression giving a guard and the storage).
macro_rules! contract_tests {
    ($module:ident, $make:expr) => {
        mod $module {
            use super::*;

            contract_tests!(@each $make;
                hostile_paths_are_refused,
                nested_directories,
                unicode_names_and_spaces,
                restart_offsets,
                truncate_and_append,
                replace_keeps_the_old_file_until_the_commit,
                unique_names,
                create_new_never_replaces,
                modification_time,
                rename_files_and_directories,
                listing_streams_every_entry_once,
            );
        }
    };
    (@each $make:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let (_guard, storage) = $make;
                contract::$name(&storage);
            }
        )*
    };
}

contract_tests!(filesystem_contract, {
    let f = fixture();
    let fs = Filesystem::open(&f.root).unwrap();
    (f, fs)
});

contract_tests!(memory_contract, {
    let memory = MemoryStorage::new(1 << 20);
    let mut file = memory.open_write(b"/file", WriteMode::Replace).unwrap();
    file.write_all(b"inside").unwrap();
    file.commit().unwrap();
    ((), memory)
});

/// What only [`MemoryStorage`] has: limits, sharing, copy-on-read.
mod memory {
    use super::*;

    fn upload(s: &MemoryStorage, path: &[u8], mode: WriteMode, data: &[u8]) -> io::Result<()> {
        let mut file = s.open_write(path, mode).map_err(io::Error::other)?;
        file.write_all(data)?;
        file.flush()?;
        file.commit().map_err(io::Error::other)
    }

    fn content(s: &MemoryStorage, path: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        s.open_read(path, 0)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        data
    }

    /// The error a failed write turns into, as the servers see it.
    #[track_caller]
    fn assert_no_space(error: io::Error) {
        let error = StorageError::from(error);
        assert!(matches!(error, StorageError::NoSpace), "{error:?}");
        assert_eq!(error.category(), ErrorCategory::InsufficientStorage);
    }

    #[test]
    fn the_capacity_bounds_every_file_together() {
        let s = MemoryStorage::new(10);
        upload(&s, b"/a", WriteMode::Replace, b"12345678").unwrap();
        assert_eq!(s.used(), 8);
        let mut file = s.open_write(b"/b", WriteMode::Replace).unwrap();
        file.write_all(b"12").unwrap();
        assert_no_space(file.write_all(b"3").unwrap_err());
        drop(file);
        // Nothing half-written is visible, and the buffered bytes were
        // given back.
        assert!(matches!(s.metadata(b"/b"), Err(StorageError::NotFound)));
        assert_eq!(s.used(), 8);
        upload(&s, b"/b", WriteMode::Replace, b"12").unwrap();
        // Deleting frees the room; a rename over a file frees the old one.
        s.remove_file(b"/a").unwrap();
        assert_eq!(s.used(), 2);
        upload(&s, b"/c", WriteMode::Replace, b"1234").unwrap();
        s.rename(b"/c", b"/b").unwrap();
        assert_eq!(s.used(), 4);
        // Appending counts too.
        let mut file = s.open_write(b"/b", WriteMode::Append).unwrap();
        assert_no_space(file.write_all(b"1234567").unwrap_err());
        drop(file);
        assert_eq!(content(&s, b"/b"), b"1234");
    }

    #[test]
    fn the_per_file_limit_applies_from_where_the_upload_starts() {
        let s = MemoryStorage::new(1000).with_max_file_size(5);
        assert!(matches!(
            StorageError::from(upload(&s, b"/big", WriteMode::Replace, b"123456").unwrap_err()),
            StorageError::NoSpace
        ));
        assert!(matches!(s.metadata(b"/big"), Err(StorageError::NotFound)));
        upload(&s, b"/f", WriteMode::Replace, b"123").unwrap();
        let mut file = s.open_write(b"/f", WriteMode::Append).unwrap();
        file.write_all(b"45").unwrap();
        assert_no_space(file.write(b"6").unwrap_err());
        file.commit().unwrap();
        assert_eq!(content(&s, b"/f"), b"12345");
        upload(&s, b"/f", WriteMode::Resume(1), b"abcd").unwrap();
        assert_eq!(content(&s, b"/f"), b"1abcd");
        let mut unique = s.create_unique(b"/", None).unwrap();
        assert_no_space(unique.writer.write_all(b"123456").unwrap_err());
    }

    #[test]
    fn readers_keep_what_they_opened_while_the_file_is_replaced() {
        let s = MemoryStorage::new(1 << 20);
        upload(&s, b"/f", WriteMode::Replace, b"old content").unwrap();
        let mut early = s.open_read(b"/f", 4).unwrap();
        let mut upload_ = s.open_write(b"/f", WriteMode::Replace).unwrap();
        upload_.write_all(b"new content").unwrap();
        // Until the commit, new readers still get the old file.
        let mut during = s.open_read(b"/f", 0).unwrap();
        upload_.commit().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || content(&s, b"/f"))
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), b"new content");
        }
        let mut data = Vec::new();
        early.read_to_end(&mut data).unwrap();
        assert_eq!(data, b"content");
        data.clear();
        during.read_to_end(&mut data).unwrap();
        assert_eq!(data, b"old content");
    }

    #[test]
    fn a_replacing_upload_fails_its_commit_if_a_directory_took_the_name() {
        let s = MemoryStorage::new(100);
        let mut file = s.open_write(b"/later", WriteMode::Replace).unwrap();
        file.write_all(b"x").unwrap();
        s.make_dir(b"/later").unwrap();
        assert!(matches!(file.commit(), Err(StorageError::IsADirectory)));
        assert!(s.metadata(b"/later").unwrap().is_dir());
        assert_eq!(s.used(), 0);
        // The room the upload had buffered is free again.
        upload(&s, b"/full", WriteMode::Replace, &[7; 100]).unwrap();
    }

    #[test]
    fn clones_share_the_tree_and_a_read_only_view_refuses_changes() {
        let s = MemoryStorage::new(100);
        let ro = s.clone().with_read_only(true);
        upload(&s, b"/shared", WriteMode::Replace, b"seen").unwrap();
        assert_eq!(content(&ro, b"/shared"), b"seen");
        assert!(ro.is_read_only() && !s.is_read_only());
        let denied = |r: Result<(), StorageError>| {
            assert!(matches!(r, Err(StorageError::PermissionDenied)), "{r:?}");
        };
        denied(ro.open_write(b"/shared", WriteMode::Replace).map(drop));
        denied(ro.open_write(b"/new", WriteMode::Append).map(drop));
        denied(ro.create_unique(b"/", None).map(drop));
        denied(ro.remove_file(b"/shared"));
        denied(ro.make_dir(b"/d"));
        denied(ro.remove_dir(b"/d"));
        denied(ro.rename(b"/shared", b"/x"));
        denied(ro.set_modified(b"/shared", Timestamp::UNIX_EPOCH));
        assert_eq!(content(&s, b"/shared"), b"seen");
        let text = format!("{ro:?}");
        assert!(text.contains("read_only: true"), "{text}");
    }

    #[test]
    fn names_with_line_breaks_are_refused() {
        let s = MemoryStorage::new(100);
        for path in [&b"/a\rb"[..], b"/a\nb", b"/d\r\n/f"] {
            assert!(matches!(
                s.open_write(path, WriteMode::Replace).map(drop),
                Err(StorageError::InvalidName)
            ));
            assert!(matches!(s.make_dir(path), Err(StorageError::InvalidName)));
        }
        assert!(matches!(
            s.create_unique(b"/", Some(b"x\ny")).map(drop),
            Err(StorageError::InvalidName)
        ));
        let long_name = [b"/".as_slice(), &[b'n'; 256]].concat();
        assert!(matches!(
            s.make_dir(&long_name),
            Err(StorageError::InvalidName)
        ));
        assert_eq!(s.list(b"/").unwrap().count(), 0);
    }

    #[test]
    fn a_listing_looks_names_up_as_it_goes() {
        let s = MemoryStorage::new(100);
        s.make_dir(b"/d").unwrap();
        for name in [&b"/d/a"[..], b"/d/c"] {
            upload(&s, name, WriteMode::Replace, b"").unwrap();
        }
        let mut entries = s.list(b"/d").unwrap();
        assert_eq!(&entries.next().unwrap().unwrap().name[..], b"a");
        // Added behind the cursor: not seen; ahead of it: seen.
        upload(&s, b"/d/0", WriteMode::Replace, b"").unwrap();
        upload(&s, b"/d/b", WriteMode::Replace, b"").unwrap();
        assert_eq!(&entries.next().unwrap().unwrap().name[..], b"b");
        // The directory goes away: the listing ends with an error.
        s.rename(b"/d", b"/e").unwrap();
        assert!(matches!(entries.next(), Some(Err(StorageError::NotFound))));
        assert!(entries.next().is_none());
    }

    #[test]
    fn concurrent_uploads_never_overrun_the_capacity() {
        let s = MemoryStorage::new(5_000);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let s = s.clone();
                std::thread::spawn(move || {
                    (0..10)
                        .filter(|i| {
                            let path = format!("/t{t}-{i}");
                            upload(&s, path.as_bytes(), WriteMode::Replace, &[1; 100]).is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let stored: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(stored, 50, "exactly the capacity's worth got in");
        assert_eq!(s.used(), 5_000);
        assert_eq!(s.list(b"/").unwrap().count(), stored);
    }

    #[test]
    fn pre_epoch_times_are_kept() {
        let s = MemoryStorage::new(100);
        s.make_dir(b"/d").unwrap();
        let when = Timestamp::from_unix(-86_400, 0);
        s.set_modified(b"/d", when).unwrap();
        assert_eq!(s.metadata(b"/d").unwrap().modified, Some(when));
    }
}
