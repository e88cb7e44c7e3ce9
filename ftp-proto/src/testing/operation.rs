//! [`Operation`]: one step of a client session, for generating whole
//! sessions (with `arbitrary`, or by hand) and running them in a
//! [`Pair`](super::Pair).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;

use super::pair::Pair;
use super::tree::{MemoryTree, PASSWORD, Responder, USER};
use crate::Secret;
use crate::client::{OpId, Outcome};
use crate::error::UsageError;

/// The paths generated operations use: the files and folders of
/// [`MemoryTree::sample`](super::MemoryTree::sample), names that do not
/// exist yet, and hostile ones (a climb above the root, a NUL byte, spaces).
pub const PATHS: [&str; 12] = [
    "/hello.txt",
    "/data.bin",
    "/sub dir",
    "/sub dir/nested.txt",
    "/empty",
    "/new",
    "/new/file.txt",
    "upload.bin",
    "../../etc/passwd",
    "/a\0b",
    "  spaced  ",
    "/",
];

/// A path of [`PATHS`], chosen by index (modulo its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PathChoice(pub u8);

impl PathChoice {
    /// The path.
    #[must_use]
    pub fn path(self) -> &'static str {
        PATHS[usize::from(self.0) % PATHS.len()]
    }

    fn bytes(self) -> Bytes {
        Bytes::from_static(self.path().as_bytes())
    }
}

/// One client operation (or a move of the clock) in a generated session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Operation {
    /// Log in, with the responder's right password or a wrong one.
    Login {
        /// Whether the password is the right one.
        right_password: bool,
    },
    /// `PWD`.
    Pwd,
    /// `CWD`.
    Cwd(PathChoice),
    /// `CDUP`.
    Cdup,
    /// `MKD`.
    Mkdir(PathChoice),
    /// `RMD`.
    Rmdir(PathChoice),
    /// `DELE`.
    Delete(PathChoice),
    /// `RNFR` + `RNTO`.
    Rename(PathChoice, PathChoice),
    /// `SIZE`.
    Size(PathChoice),
    /// `MDTM`.
    Mdtm(PathChoice),
    /// `LIST`/`MLSD` of a path, or of the current directory.
    List(Option<PathChoice>),
    /// `NLST` of the current directory.
    Nlst,
    /// `RETR` from an offset (`REST` first when it is not 0).
    Retrieve(PathChoice, u16),
    /// `STOR` of these bytes.
    Store(PathChoice, Vec<u8>),
    /// `APPE` of these bytes.
    Append(PathChoice, Vec<u8>),
    /// `NOOP`.
    Noop,
    /// Let this many seconds pass (timeouts fire on both sides).
    Wait(u16),
    /// `QUIT`.
    Quit,
}

impl<R: Responder> Pair<R> {
    /// Queues `operation` on the client (with `password` for a right
    /// [`Operation::Login`]) and drives the pair until nothing more can
    /// happen. Returns the operation's id, or the client engine's refusal to
    /// queue it (a path with a NUL byte, a closed session, ...);
    /// [`Operation::Wait`] returns `Ok(None)`.
    ///
    /// # Errors
    /// The client engine's [`UsageError`] when it refuses the operation.
    pub fn run(
        &mut self,
        operation: &Operation,
        user: &str,
        password: &str,
    ) -> Result<Option<OpId>, UsageError> {
        let now = self.now;
        let c = &mut self.client;
        let op = match operation {
            Operation::Login { right_password } => {
                let pass = if *right_password {
                    Bytes::copy_from_slice(password.as_bytes())
                } else {
                    Bytes::from_static(b"wrong password")
                };
                c.login(
                    now,
                    Bytes::copy_from_slice(user.as_bytes()),
                    Secret::new(pass),
                    None,
                )?
            }
            Operation::Pwd => c.pwd(now)?,
            Operation::Cwd(p) => c.cwd(now, p.bytes())?,
            Operation::Cdup => c.cdup(now)?,
            Operation::Mkdir(p) => c.mkdir(now, p.bytes())?,
            Operation::Rmdir(p) => c.rmdir(now, p.bytes())?,
            Operation::Delete(p) => c.delete(now, p.bytes())?,
            Operation::Rename(from, to) => c.rename(now, from.bytes(), to.bytes())?,
            Operation::Size(p) => c.size(now, p.bytes())?,
            Operation::Mdtm(p) => c.mdtm(now, p.bytes())?,
            Operation::List(p) => c.list(now, p.map(PathChoice::bytes), None)?,
            Operation::Nlst => c.nlst(now, None)?,
            Operation::Retrieve(p, offset) => c.retrieve(now, p.bytes(), u64::from(*offset))?,
            Operation::Store(p, data) => {
                let op = c.store(now, p.bytes(), 0)?;
                self.uploads.insert(op, data.clone());
                op
            }
            Operation::Append(p, data) => {
                let op = c.append(now, p.bytes())?;
                self.uploads.insert(op, data.clone());
                op
            }
            Operation::Noop => c.noop(now)?,
            Operation::Wait(secs) => {
                self.advance(Duration::from_secs(u64::from(*secs)));
                let _ = self.drive();
                return Ok(None);
            }
            Operation::Quit => c.quit(now)?,
        };
        // A session that gets stuck is itself a finding: the caller sees
        // the operation unfinished (`Pair::result` is `None`).
        let _ = self.drive();
        Ok(Some(op))
    }
}

impl Pair<MemoryTree> {
    /// [`run`](Self::run) as [`USER`], checking what must hold whatever the
    /// session did: a queued operation ended (it is not left waiting), and
    /// a download that completed gave exactly the file's bytes from its
    /// offset, as the tree held them when it started. The properties every
    /// generated session is held to (the project's proptests and the
    /// `engine_pair` fuzz target).
    ///
    /// # Errors
    /// What did not hold, as text.
    pub fn run_checked(&mut self, operation: &Operation) -> Result<Option<OpId>, String> {
        let expected = match operation {
            Operation::Retrieve(path, offset) => self
                .responder
                .file(path.path())
                .map(|f| f.get(usize::from(*offset)..).unwrap_or_default().to_vec()),
            _ => None,
        };
        let Ok(Some(id)) = self.run(operation, USER, PASSWORD) else {
            return Ok(None);
        };
        match (self.result(id), expected) {
            (None, _) => Err(alloc::format!("{operation:?} never ended")),
            (Some(Ok(Outcome::Transferred { .. })), Some(want))
                if self.downloads.get(&id).map(Vec::as_slice) != Some(&want[..]) =>
            {
                Err(alloc::format!("{operation:?} downloaded other bytes"))
            }
            _ => Ok(Some(id)),
        }
    }
}
