//! ProFTPD unpacked from Debian's package (proftpd-core, plus mod_tls from
//! proftpd-mod-crypto): the test user is a virtual user in an `AuthUserFile`
//! mapped to the test account's uid/gid; anonymous maps to the `ftp` account
//! with a per-instance root, read-only.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use super::process::ServerProcess;
use super::pure_ftpd::sha512_crypt;
use super::{
    PeerError, PeerKind, PeerOptions, PeerServer, Prepared, ServerLauncher, TEST_PASSWORD,
    TEST_USER, account, clients, is_root, unpacked,
};

/// Launcher for proftpd (unpacked under `$FTP_PROTO_PEERS_DIR`; must run as
/// root).
#[derive(Debug, Clone, Copy)]
pub struct Proftpd;

fn binary() -> PathBuf {
    unpacked("usr/sbin/proftpd")
}

fn module_dir() -> PathBuf {
    unpacked("usr/lib/proftpd")
}

/// Whether mod_tls (package proftpd-mod-crypto) is unpacked beside proftpd.
pub(crate) fn tls_module_installed() -> bool {
    module_dir().join("mod_tls.so").is_file()
}

impl ServerLauncher for Proftpd {
    const KIND: PeerKind = PeerKind::Proftpd;

    fn check_installed() -> Result<(), PeerError> {
        if !clients::is_executable(&binary()) || clients::find_program("openssl").is_none() {
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
        if options.tls && !tls_module_installed() {
            return Err(PeerError::NotInstalled {
                peer: "proftpd mod_tls",
                hint: Self::KIND.install_hint(),
            });
        }
        let (uid, gid) = account::ensure(peer)?;
        let prepared = Prepared::new(peer, options, Some((uid, gid)))?;
        let dir = prepared.dir.path();
        let root = prepared.root.display().to_string();

        let hash = sha512_crypt(peer, TEST_PASSWORD)?;
        let passwd = dir.join("proftpd.passwd");
        let group = dir.join("proftpd.group");
        let files = [
            (
                &passwd,
                format!("{TEST_USER}:{hash}:{uid}:{gid}::{root}:/bin/sh\n"),
            ),
            (&group, format!("{TEST_USER}:x:{gid}:\n")),
        ];
        for (path, text) in files {
            std::fs::write(path, text)
                .and_then(|()| super::set_mode(path, 0o600))
                .map_err(|e| PeerError::setup(peer, e))?;
        }
        let anonymous = options.anonymous;

        let mut c = String::new();
        let mut line = |text: &str| {
            let _ = writeln!(c, "{text}");
        };
        line("ServerName \"ftp-proto test proftpd\"");
        line("ServerType standalone");
        line("DefaultServer on");
        line("UseIPv6 off");
        line("DefaultAddress 127.0.0.1");
        line("SocketBindTight on");
        line(&format!("Port {}", prepared.port));
        line(&format!(
            "PassivePorts {} {}",
            prepared.passive.start(),
            prepared.passive.end()
        ));
        line("User nobody");
        line("Group nogroup");
        line(&format!(
            "ScoreboardFile {}/proftpd.scoreboard",
            dir.display()
        ));
        line(&format!("PidFile {}/proftpd.pid", dir.display()));
        line(&format!("SystemLog {}/proftpd.system.log", dir.display()));
        line("TransferLog NONE");
        line("WtmpLog off");
        line("UseReverseDNS off");
        // Debian enables a deliberate delay on failed and successful logins.
        line("DelayEngine off");
        line("MaxInstances 64");
        line("Umask 022");
        line("AllowOverwrite on");
        // REST + STOR and APPE resume uploads (both refused with 451 by default).
        line("AllowStoreRestart on");
        line("TimesGMT on");
        line(&format!("AuthUserFile {}", passwd.display()));
        line(&format!("AuthGroupFile {}", group.display()));
        // File users first; the system database for the anonymous `ftp` account.
        line("AuthOrder mod_auth_file.c mod_auth_unix.c");
        line("RequireValidShell off");
        line("DefaultRoot ~");
        line(&format!("ModulePath {}", module_dir().display()));
        if let Some(cert) = &prepared.cert {
            line("LoadModule mod_tls.c");
            line("<IfModule mod_tls.c>");
            line("  TLSEngine on");
            line(&format!("  TLSLog {}/proftpd.tls.log", dir.display()));
            line("  TLSProtocol TLSv1.2 TLSv1.3");
            line(&format!("  TLSECCertificateFile {}", cert.cert.display()));
            line(&format!("  TLSECCertificateKeyFile {}", cert.key.display()));
            line("  TLSVerifyClient off");
            // Offered, not required; session reuse stays required (default).
            line("  TLSRequired off");
            line("</IfModule>");
        }
        if anonymous {
            line(&format!("<Anonymous {root}>"));
            line("  User ftp");
            line("  Group nogroup");
            line("  UserAlias anonymous ftp");
            line("  RequireValidShell off");
            line("  <Limit WRITE>");
            line("    DenyAll");
            line("  </Limit>");
            line("</Anonymous>");
        }
        let conf = dir.join("proftpd.conf");
        std::fs::write(&conf, c).map_err(|e| PeerError::setup(peer, e))?;

        let mut command = Command::new(binary());
        command.arg("-n").arg("-c").arg(&conf);
        let process = ServerProcess::spawn(peer, command, &dir.join("proftpd.log"))?;
        prepared.finish(Self::KIND, process, anonymous)
    }
}
