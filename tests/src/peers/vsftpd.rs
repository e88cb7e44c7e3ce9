//! vsftpd from Debian's package: the test user is a system account logging in
//! through PAM; anonymous maps to the `ftp` account (made by the package).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use super::process::ServerProcess;
use super::{
    PeerError, PeerKind, PeerOptions, PeerServer, Prepared, ServerLauncher, account, clients,
    is_root,
};

/// Launcher for vsftpd (`apt-get install vsftpd`; must run as root).
#[derive(Debug, Clone, Copy)]
pub struct Vsftpd;

fn binary() -> Option<PathBuf> {
    clients::find_program("vsftpd")
}

impl ServerLauncher for Vsftpd {
    const KIND: PeerKind = PeerKind::Vsftpd;

    fn check_installed() -> Result<(), PeerError> {
        binary().ok_or(PeerError::NotInstalled {
            peer: Self::KIND.name(),
            hint: Self::KIND.install_hint(),
        })?;
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
        let binary = binary().ok_or(PeerError::NotInstalled {
            peer,
            hint: Self::KIND.install_hint(),
        })?;
        let owner = account::ensure(peer)?;
        let prepared = Prepared::new(peer, options, Some(owner))?;
        let dir = prepared.dir.path();
        // vsftpd chroots sessions into an empty folder that no one may write.
        let empty = dir.join("empty");
        std::fs::create_dir(&empty)
            .and_then(|()| super::set_mode(&empty, 0o555))
            .map_err(|e| PeerError::setup(peer, e))?;
        // Anonymous sessions need the `ftp` account that the package creates.
        let anonymous = options.anonymous && user_exists("ftp");

        let mut conf = String::new();
        let mut line = |key: &str, value: &dyn std::fmt::Display| {
            let _ = writeln!(conf, "{key}={value}");
        };
        let yes_no = |b: bool| if b { "YES" } else { "NO" };
        line("listen", &"YES");
        line("listen_ipv6", &"NO");
        line("listen_address", &"127.0.0.1");
        line("listen_port", &prepared.port);
        line("background", &"NO");
        line("max_clients", &0);
        // Its per-address limit otherwise refuses the 51st session with 421.
        line("max_per_ip", &options.max_clients);
        line("local_enable", &"YES");
        line("write_enable", &"YES");
        line("local_umask", &"022");
        line("local_root", &prepared.root.display());
        line("chroot_local_user", &"YES");
        line("allow_writeable_chroot", &"YES");
        line("secure_chroot_dir", &empty.display());
        line("pam_service_name", &account::PAM_SERVICE);
        line("userlist_enable", &"NO");
        line("tcp_wrappers", &"NO");
        line("anonymous_enable", &yes_no(anonymous));
        line("anon_root", &prepared.root.display());
        line("no_anon_password", &"YES");
        line("anon_upload_enable", &"NO");
        line("anon_mkdir_write_enable", &"NO");
        line("anon_other_write_enable", &"NO");
        line("pasv_enable", &"YES");
        line("pasv_address", &"127.0.0.1");
        line("pasv_min_port", prepared.passive.start());
        line("pasv_max_port", prepared.passive.end());
        line("port_enable", &"YES");
        line("connect_from_port_20", &"NO");
        line("use_localtime", &"NO");
        line("xferlog_enable", &"NO");
        // The sandboxes need kernel features containers may lack.
        line("seccomp_sandbox", &"NO");
        line("isolate", &"NO");
        line("isolate_network", &"NO");
        line("ssl_enable", &yes_no(prepared.cert.is_some()));
        if let Some(cert) = &prepared.cert {
            line("rsa_cert_file", &cert.cert.display());
            line("rsa_private_key_file", &cert.key.display());
            line("ssl_ciphers", &"HIGH");
            line("ssl_tlsv1", &"NO");
            line("ssl_sslv2", &"NO");
            line("ssl_sslv3", &"NO");
            // Offered, not forced; require_ssl_reuse keeps its default (YES).
            line("force_local_logins_ssl", &"NO");
            line("force_local_data_ssl", &"NO");
            line("allow_anon_ssl", &"YES");
        }
        let conf_path = dir.join("vsftpd.conf");
        std::fs::write(&conf_path, conf).map_err(|e| PeerError::setup(peer, e))?;

        let mut command = Command::new(binary);
        command.arg(&conf_path);
        let process = ServerProcess::spawn(peer, command, &dir.join("vsftpd.log"))?;
        prepared.finish(Self::KIND, process, anonymous)
    }
}

fn user_exists(name: &str) -> bool {
    Command::new("getent")
        .args(["passwd", name])
        .output()
        .is_ok_and(|o| o.status.success())
}
