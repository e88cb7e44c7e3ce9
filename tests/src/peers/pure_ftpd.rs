//! Pure-FTPd unpacked from Debian's package: the test user is a virtual user
//! in a PureDB file mapped to the test account's uid/gid. Anonymous logins
//! would map to the `ftp` account's home, not to a per-instance folder, so
//! they are turned off (`-E`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::process::ServerProcess;
use super::{
    PeerError, PeerKind, PeerOptions, PeerServer, Prepared, ServerLauncher, TEST_PASSWORD,
    TEST_USER, account, clients, is_root, unpacked,
};

/// Launcher for pure-ftpd (unpacked under `$FTP_PROTO_PEERS_DIR`; must run
/// as root).
#[derive(Debug, Clone, Copy)]
pub struct PureFtpd;

fn binaries() -> (PathBuf, PathBuf) {
    (unpacked("usr/sbin/pure-ftpd"), unpacked("usr/bin/pure-pw"))
}

impl ServerLauncher for PureFtpd {
    const KIND: PeerKind = PeerKind::PureFtpd;

    fn check_installed() -> Result<(), PeerError> {
        let (server, pure_pw) = binaries();
        if !clients::is_executable(&server)
            || !clients::is_executable(&pure_pw)
            || clients::find_program("openssl").is_none()
        {
            return Err(PeerError::NotInstalled {
                peer: Self::KIND.name(),
                hint: Self::KIND.install_hint(),
            });
        }
        if is_root() {
            Ok(())
        } else {
            Err(PeerError::NeedsRoot {
                peer: Self::KIND.name(),
            })
        }
    }

    fn start(options: &PeerOptions) -> Result<PeerServer, PeerError> {
        let peer = Self::KIND.name();
        Self::check_installed()?;
        let (server, pure_pw) = binaries();
        let (uid, gid) = account::ensure(peer)?;
        let prepared = Prepared::new(peer, options, Some((uid, gid)))?;
        let dir = prepared.dir.path();

        let hash = sha512_crypt(peer, TEST_PASSWORD)?;
        // name:hash:uid:gid:gecos:home(/./ = chroot here):then 12 unused fields.
        let passwd_line = format!(
            "{TEST_USER}:{hash}:{uid}:{gid}::{}/./::::::::::::\n",
            prepared.root.display()
        );
        let passwd = dir.join("pureftpd.passwd");
        let db = dir.join("pureftpd.pdb");
        std::fs::write(&passwd, passwd_line).map_err(|e| PeerError::setup(peer, e))?;
        let out = Command::new(&pure_pw)
            .arg("mkdb")
            .arg(&db)
            .arg("-f")
            .arg(&passwd)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| PeerError::setup(peer, format!("pure-pw: {e}")))?;
        if !out.status.success() {
            return Err(PeerError::setup(
                peer,
                format!("pure-pw mkdb: {}", String::from_utf8_lossy(&out.stderr)),
            ));
        }

        let ports = prepared.passive.end() - prepared.passive.start() + 1;
        // It admits at most half as many clients as it has passive ports.
        let clients = (ports / 2).max(1).to_string();
        let mut command = Command::new(server);
        command
            .arg("-S")
            .arg(format!("127.0.0.1,{}", prepared.port))
            .arg("-4")
            .arg("-l")
            .arg(format!("puredb:{}", db.display()))
            .args(["-E", "-A", "-H", "-f", "none"])
            .arg("-p")
            .arg(format!(
                "{}:{}",
                prepared.passive.start(),
                prepared.passive.end()
            ))
            .args(["-P", "127.0.0.1", "-c", &clients, "-C", &clients]);
        if let Some(cert) = &prepared.cert {
            // 1 = plain and TLS sessions both accepted.
            command.args(["-Y", "1", "-2"]).arg(format!(
                "{},{}",
                cert.cert.display(),
                cert.key.display()
            ));
        }
        let process = ServerProcess::spawn(peer, command, &dir.join("pure-ftpd.log"))?;
        prepared.finish(Self::KIND, process, false)
    }
}

/// `openssl passwd -6`: a SHA-512 crypt hash.
pub(crate) fn sha512_crypt(peer: &'static str, password: &str) -> Result<String, PeerError> {
    let out = Command::new("openssl")
        .args(["passwd", "-6", password])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PeerError::setup(peer, format!("openssl passwd: {e}")))?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && hash.starts_with("$6$") {
        Ok(hash)
    } else {
        Err(PeerError::setup(
            peer,
            format!(
                "openssl passwd -6: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        ))
    }
}
