//! pyftpdlib (PyPI) run by python3 from a small generated script: a
//! `DummyAuthorizer` with the test user (all permissions) and anonymous
//! (read-only), and `TLS_FTPHandler` when TLS is asked for (needs pyopenssl).

use std::path::PathBuf;
use std::process::Command;

use super::process::ServerProcess;
use super::{
    PeerError, PeerKind, PeerOptions, PeerServer, Prepared, ServerLauncher, TEST_PASSWORD,
    TEST_USER, clients,
};

/// Launcher for pyftpdlib (`python3 -m pip install pyftpdlib pyopenssl`).
#[derive(Debug, Clone, Copy)]
pub struct Pyftpdlib;

const SCRIPT: &str = r#"
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

port, root, user, password, low, high, anonymous, cert, key, max_cons = sys.argv[1:11]
logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
if anonymous == "1":
    authorizer.add_anonymous(root, perm="elr")
if cert:
    from pyftpdlib.handlers import TLS_FTPHandler
    class Handler(TLS_FTPHandler):
        pass
    Handler.certfile = cert
    Handler.keyfile = key
    Handler.tls_control_required = False
    Handler.tls_data_required = False
else:
    class Handler(FTPHandler):
        pass
Handler.authorizer = authorizer
Handler.passive_ports = range(int(low), int(high) + 1)
Handler.permit_foreign_addresses = False
Handler.permit_privileged_ports = False
server = FTPServer(("127.0.0.1", int(port)), Handler)
server.max_cons = int(max_cons)
server.serve_forever()
"#;

fn python() -> Option<PathBuf> {
    clients::find_program("python3")
}

/// Whether pyftpdlib's FTPS handler can run (pyopenssl importable).
pub(crate) fn tls_installed() -> bool {
    python().is_some_and(|p| clients::python_imports(&p, "OpenSSL"))
}

impl ServerLauncher for Pyftpdlib {
    const KIND: PeerKind = PeerKind::Pyftpdlib;

    fn check_installed() -> Result<(), PeerError> {
        match python() {
            Some(p) if clients::python_imports(&p, "pyftpdlib") => Ok(()),
            _ => Err(PeerError::NotInstalled {
                peer: Self::KIND.name(),
                hint: Self::KIND.install_hint(),
            }),
        }
    }

    fn start(options: &PeerOptions) -> Result<PeerServer, PeerError> {
        let peer = Self::KIND.name();
        Self::check_installed()?;
        if options.tls && !tls_installed() {
            return Err(PeerError::NotInstalled {
                peer: "pyftpdlib FTPS (pyopenssl)",
                hint: Self::KIND.install_hint(),
            });
        }
        let python = python().ok_or(PeerError::NotInstalled {
            peer,
            hint: Self::KIND.install_hint(),
        })?;
        // Runs as the current user: no account, files keep their owner.
        let prepared = Prepared::new(peer, options, None)?;
        let dir = prepared.dir.path();
        let script = dir.join("server.py");
        std::fs::write(&script, SCRIPT).map_err(|e| PeerError::setup(peer, e))?;
        let (cert, key) = prepared
            .cert
            .as_ref()
            .map(|c| (c.cert.display().to_string(), c.key.display().to_string()))
            .unwrap_or_default();
        let mut command = Command::new(python);
        command
            .arg("-u")
            .arg(&script)
            .arg(prepared.port.to_string())
            .arg(&prepared.root)
            .args([TEST_USER, TEST_PASSWORD])
            .arg(prepared.passive.start().to_string())
            .arg(prepared.passive.end().to_string())
            .arg(if options.anonymous { "1" } else { "0" })
            .args([cert, key])
            .arg(options.max_clients.to_string());
        let process = ServerProcess::spawn(peer, command, &dir.join("pyftpdlib.log"))?;
        prepared.finish(Self::KIND, process, options.anonymous)
    }
}
