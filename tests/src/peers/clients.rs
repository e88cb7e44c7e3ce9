//! Finding real FTP client programs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PeerError;

/// Real FTP clients the interop tests can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// curl (`ftp://`, `--ssl-reqd`).
    Curl,
    /// lftp.
    Lftp,
    /// tnftp (NetBSD ftp).
    Tnftp,
    /// python3 with its standard `ftplib`.
    PythonFtplib,
}

impl ClientKind {
    /// Every client kind, in a fixed order.
    pub const ALL: [ClientKind; 4] = [
        ClientKind::Curl,
        ClientKind::Lftp,
        ClientKind::Tnftp,
        ClientKind::PythonFtplib,
    ];

    /// Short name (`curl`, `lftp`, `tnftp`, `ftplib`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Curl => "curl",
            Self::Lftp => "lftp",
            Self::Tnftp => "tnftp",
            Self::PythonFtplib => "ftplib",
        }
    }

    /// How to install it on a Debian machine.
    pub fn install_hint(self) -> &'static str {
        match self {
            Self::Curl => "apt-get install curl",
            Self::Lftp => "apt-get install lftp",
            Self::Tnftp => "apt-get install tnftp",
            Self::PythonFtplib => "apt-get install python3",
        }
    }

    /// The kind with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The program to run (for ftplib: the python3 that can import it).
    pub fn find(self) -> Result<PathBuf, PeerError> {
        let missing = PeerError::NotInstalled {
            peer: self.name(),
            hint: self.install_hint(),
        };
        let program = match self {
            Self::Curl => "curl",
            Self::Lftp => "lftp",
            Self::Tnftp => "tnftp",
            Self::PythonFtplib => "python3",
        };
        let path = find_program(program).ok_or(missing)?;
        if self == Self::PythonFtplib && !python_imports(&path, "ftplib") {
            return Err(PeerError::NotInstalled {
                peer: self.name(),
                hint: self.install_hint(),
            });
        }
        Ok(path)
    }
}

/// Finds an executable by name in `$PATH`, then in `/usr/sbin` and `/sbin`
/// (where servers live but a non-root `$PATH` may not look).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `python` can import `module`.
pub(crate) fn python_imports(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
