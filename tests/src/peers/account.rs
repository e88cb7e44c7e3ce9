//! The system account vsftpd logs the test user into, and the uid/gid the
//! virtual users of the other servers map to (so all of them can write the
//! test tree). Created idempotently; needs root.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::{PeerError, TEST_PASSWORD, TEST_USER, is_root};

/// PAM service vsftpd uses for the test account: Debian's `vsftpd` service
/// also requires a login shell listed in `/etc/shells` (`pam_shells`), which
/// a `nologin` system account does not have.
pub(crate) const PAM_SERVICE: &str = "ftp-proto-test";

const PAM_CONFIG: &str = "\
# Written by ftp-proto's interop tests (tests/src/peers/account.rs):
# password check for the test account of the vsftpd launcher.
@include common-auth
@include common-account
@include common-session
";

/// uid and gid of the test account, creating it (and setting its password)
/// on first use in this process.
pub(crate) fn ensure(peer: &'static str) -> Result<(u32, u32), PeerError> {
    static DONE: OnceLock<(u32, u32)> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    if let Some(ids) = DONE.get() {
        return Ok(*ids);
    }
    if !is_root() {
        return Err(PeerError::NeedsRoot { peer });
    }
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(ids) = DONE.get() {
        return Ok(*ids);
    }
    let ids = create_account().map_err(|e| PeerError::setup(peer, e))?;
    set_password().map_err(|e| PeerError::setup(peer, e))?;
    write_pam_service().map_err(|e| PeerError::setup(peer, e))?;
    Ok(*DONE.get_or_init(|| ids))
}

/// uid, gid and home folder of the test account.
fn lookup() -> Option<(u32, u32, String)> {
    let out = Command::new("getent")
        .args(["passwd", TEST_USER])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8(out.stdout).ok()?;
    let mut fields = line.trim().split(':').skip(2);
    let uid = fields.next()?.parse().ok()?;
    let gid = fields.next()?.parse().ok()?;
    let home = fields.nth(1)?.to_string();
    Some((uid, gid, home))
}

fn create_account() -> Result<(u32, u32), String> {
    // Other test processes may race us: retry a few times, re-checking.
    for _ in 0..20 {
        if let Some((uid, gid, home)) = lookup() {
            if home != HOME {
                fix_home()?;
            }
            return Ok((uid, gid));
        }
        let status = Command::new("useradd")
            .args([
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                HOME,
                "--shell",
                "/usr/sbin/nologin",
                TEST_USER,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("useradd: {e}"))?;
        if status.success() {
            continue;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    lookup()
        .map(|(uid, gid, _)| (uid, gid))
        .ok_or_else(|| format!("could not create the system account {TEST_USER}"))
}

/// vsftpd changes into the account's home before its `local_root`, so the
/// home must exist; `/` always does (the session is chrooted anyway).
const HOME: &str = "/";

fn fix_home() -> Result<(), String> {
    let status = Command::new("usermod")
        .args(["--home", HOME, TEST_USER])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("usermod: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("usermod --home {HOME} {TEST_USER} failed"))
    }
}

fn set_password() -> Result<(), String> {
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("chpasswd: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{TEST_USER}:{TEST_PASSWORD}").map_err(|e| format!("chpasswd: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("chpasswd: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "chpasswd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn write_pam_service() -> Result<(), String> {
    let path = std::path::Path::new("/etc/pam.d").join(PAM_SERVICE);
    if std::fs::read_to_string(&path).is_ok_and(|current| current == PAM_CONFIG) {
        return Ok(());
    }
    // Write beside it and rename, so a concurrent reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, PAM_CONFIG).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}
