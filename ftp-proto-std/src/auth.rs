//! Authentication: checking USER/PASS and deciding what a user may do.
//!
//! An [`Authenticator`] turns a user name and password into an [`Identity`]:
//! who the user is, what they may do ([`Permissions`]: list, download,
//! upload, overwrite, delete, ...; the servers enforce them for every
//! storage), and optionally which folder is their root (the server opens a
//! [`Filesystem`](crate::storage::Filesystem) there, read-only when no
//! right of the user changes anything).
//!
//! Implementations here: [`AnonymousOnly`] (the `anonymous`/`ftp` account,
//! [`Permissions::READ_ONLY`]), [`UserList`] (named users with passwords,
//! [`Permissions::FULL`] unless given others), and
//! [`FirstOf`], which asks one authenticator and then another (anonymous plus
//! a user list is `FirstOf::new(AnonymousOnly::new(), users)`).
//!
//! Passwords are compared in constant time and never appear in `Debug`
//! output. [`UserList`] keeps them in memory as given (plain text): it is
//! meant for tests, demos and small deployments; a hashing authenticator
//! belongs in a crate with a password-hashing dependency.

use std::fmt;
use std::path::PathBuf;

use ftp_proto::listing::{FileKind, Perms};
use ftp_proto::server::RequestKind;

/// What a user may do: one right per kind of command. The servers check
/// them before a request reaches the storage, for every storage, and answer
/// `550` when the right is missing; MLSx `perm` facts (RFC 3659 §7.5.5)
/// show them.
///
/// The fields are public: a drop box where uploads may land but nothing
/// can be seen or taken is one line, [`Permissions::DROP_BOX`], and any
/// other set is `Permissions { delete: false, ..Permissions::FULL }` or
/// the `with_*`/`without_*` builders.
///
/// Which command needs which right ([`Permissions::allows`]):
///
/// | Command | Right |
/// |---|---|
/// | `LIST`, `NLST`, `MLSD`, `STAT path`, `MLST`, `SIZE`, `MDTM` | [`list`](Self::list) |
/// | `RETR` | [`download`](Self::download) |
/// | `STOR`, `STOU` | [`upload`](Self::upload) |
/// | `STOR` over an existing file, `REST`+`STOR` | [`upload`](Self::upload) and [`overwrite`](Self::overwrite) |
/// | `APPE` | [`append`](Self::append) and [`upload`](Self::upload) (it creates a missing file) |
/// | `DELE` | [`delete`](Self::delete) |
/// | `RNFR`, `RNTO` | [`rename`](Self::rename) |
/// | `RNTO` onto an existing name | [`rename`](Self::rename) and [`overwrite`](Self::overwrite) |
/// | `MKD` | [`make_dir`](Self::make_dir) |
/// | `RMD` | [`remove_dir`](Self::remove_dir) |
/// | `MFMT` | [`set_time`](Self::set_time) |
/// | `CWD`, `CDUP`, `PWD` | none (always allowed) |
///
/// A `STOR` without [`overwrite`](Self::overwrite) creates its file
/// exclusively ([`WriteMode::CreateNew`](crate::storage::WriteMode::CreateNew)):
/// it fails (`550`) when the file exists, without a window in which a
/// concurrent upload could be replaced. An `RNTO` without
/// [`overwrite`](Self::overwrite) is refused when its target exists (a
/// check before the rename: a target created between the two is replaced,
/// as storages offer no rename that refuses to replace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one independent right per field, set by name"
)]
pub struct Permissions {
    /// May list directories and see a file's facts (`LIST`, `NLST`,
    /// `MLSD`, `STAT path`, `MLST`, `SIZE`, `MDTM`).
    pub list: bool,
    /// May download files (`RETR`).
    pub download: bool,
    /// May upload new files (`STOR`, `STOU`; `APPE` with
    /// [`append`](Self::append)).
    pub upload: bool,
    /// May replace or change an existing file's content (`STOR` over an
    /// existing file, `REST`+`STOR`, `RNTO` onto an existing name).
    pub overwrite: bool,
    /// May append to files (`APPE`, with [`upload`](Self::upload)).
    pub append: bool,
    /// May delete files (`DELE`).
    pub delete: bool,
    /// May rename files and directories (`RNFR`/`RNTO`).
    pub rename: bool,
    /// May create directories (`MKD`).
    pub make_dir: bool,
    /// May remove directories (`RMD`).
    pub remove_dir: bool,
    /// May set modification times (`MFMT`).
    pub set_time: bool,
}

/// Builder methods: `with_NAME` grants a right, `without_NAME` takes it
/// away.
macro_rules! rights_builders {
    ($($field:ident $with:ident $without:ident),* $(,)?) => {
        impl Permissions {
            $(
                #[doc = concat!("These permissions with [`", stringify!($field), "`](Self::", stringify!($field), ") granted.")]
                #[must_use]
                pub const fn $with(mut self) -> Self {
                    self.$field = true;
                    self
                }

                #[doc = concat!("These permissions without [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                #[must_use]
                pub const fn $without(mut self) -> Self {
                    self.$field = false;
                    self
                }
            )*
        }
    };
}

rights_builders!(
    list with_list without_list,
    download with_download without_download,
    upload with_upload without_upload,
    overwrite with_overwrite without_overwrite,
    append with_append without_append,
    delete with_delete without_delete,
    rename with_rename without_rename,
    make_dir with_make_dir without_make_dir,
    remove_dir with_remove_dir without_remove_dir,
    set_time with_set_time without_set_time,
);

impl Permissions {
    /// No right at all (a session before its login).
    pub const NONE: Self = Self {
        list: false,
        download: false,
        upload: false,
        overwrite: false,
        append: false,
        delete: false,
        rename: false,
        make_dir: false,
        remove_dir: false,
        set_time: false,
    };
    /// List and download, nothing else (anonymous users).
    pub const READ_ONLY: Self = Self::NONE.with_list().with_download();
    /// Every right.
    pub const FULL: Self = Self {
        list: true,
        download: true,
        upload: true,
        overwrite: true,
        append: true,
        delete: true,
        rename: true,
        make_dir: true,
        remove_dir: true,
        set_time: true,
    };
    /// An upload-only drop box: new files may be uploaded, but nothing can
    /// be listed, downloaded, overwritten, appended to, deleted or renamed.
    pub const DROP_BOX: Self = Self::NONE.with_upload();
    /// The former name of [`FULL`](Self::FULL), kept as an alias; use
    /// `FULL` in new code.
    pub const READ_WRITE: Self = Self::FULL;

    /// Whether any right changes the storage (everything but
    /// [`list`](Self::list) and [`download`](Self::download)); without one
    /// a user's storage can be opened read-only.
    #[must_use]
    pub const fn may_modify(&self) -> bool {
        self.upload
            || self.overwrite
            || self.append
            || self.delete
            || self.rename
            || self.make_dir
            || self.remove_dir
            || self.set_time
    }

    /// Whether these permissions allow the request `kind` (see the table
    /// on [`Permissions`]). Requests about no file (login, `HOST`, `SITE`)
    /// and `CWD`/`CDUP` are always allowed here; the server decides them
    /// otherwise.
    #[must_use]
    pub fn allows(&self, kind: &RequestKind) -> bool {
        match kind {
            RequestKind::List { .. }
            | RequestKind::Stat { .. }
            | RequestKind::MachineListOne { .. }
            | RequestKind::Size { .. }
            | RequestKind::ModifiedTime { .. } => self.list,
            RequestKind::Retrieve { .. } => self.download,
            RequestKind::Store { offset: 0, .. } | RequestKind::StoreUnique { .. } => self.upload,
            RequestKind::Store { .. } => self.upload && self.overwrite,
            RequestKind::Append { .. } => self.append && self.upload,
            RequestKind::Delete { .. } => self.delete,
            RequestKind::RenameFrom { .. } | RequestKind::Rename { .. } => self.rename,
            RequestKind::MakeDir { .. } => self.make_dir,
            RequestKind::RemoveDir { .. } => self.remove_dir,
            RequestKind::SetModifiedTime { .. } => self.set_time,
            // Moving around, the login itself and site commands (which the
            // servers answer themselves) need no right.
            RequestKind::ChangeDir { .. }
            | RequestKind::Login { .. }
            | RequestKind::Account { .. }
            | RequestKind::Host { .. }
            | RequestKind::Site { .. } => true,
            // A request kind this table does not know yet is refused until
            // someone decides which right it needs (fail closed).
            _ => false,
        }
    }

    /// The MLSx `perm` fact (RFC 3659 §7.5.5: what this user may do with
    /// the entry) of an entry of `kind`, within `possible` (what the entry
    /// itself allows, say [`Perms::from_mode`]; [`Perms::from_letters`]
    /// of every letter when nothing limits it).
    ///
    /// For a directory: `e` (enter, always), `l` ([`list`](Self::list)),
    /// `c` ([`upload`](Self::upload)), `m` ([`make_dir`](Self::make_dir)),
    /// `p` ([`delete`](Self::delete): its files may be deleted), `d`
    /// ([`remove_dir`](Self::remove_dir)), `f` ([`rename`](Self::rename)).
    /// For anything else: `r` ([`download`](Self::download)), `w`
    /// ([`overwrite`](Self::overwrite)), `a` ([`append`](Self::append)),
    /// `d` ([`delete`](Self::delete)), `f` ([`rename`](Self::rename)).
    #[must_use]
    pub fn perm_fact(&self, kind: &FileKind, possible: Perms) -> Perms {
        let rights: [(bool, Perms); 7] = if kind.is_dir() {
            [
                (true, Perms::ENTER),
                (self.list, Perms::LIST),
                (self.upload, Perms::CREATE),
                (self.make_dir, Perms::MKDIR),
                (self.delete, Perms::PURGE),
                (self.remove_dir, Perms::DELETE),
                (self.rename, Perms::RENAME),
            ]
        } else {
            [
                (self.download, Perms::READ),
                (self.overwrite, Perms::WRITE),
                (self.append, Perms::APPEND),
                (self.delete, Perms::DELETE),
                (self.rename, Perms::RENAME),
                (false, Perms::NONE),
                (false, Perms::NONE),
            ]
        };
        rights
            .into_iter()
            .filter(|&(granted, letter)| granted && possible.contains(letter))
            .fold(Perms::NONE, |all, (_, letter)| all | letter)
    }
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user name as the account knows it (`anonymous` for anonymous
    /// logins, whichever alias was typed).
    pub user: String,
    /// Whether this is an anonymous login (the password was only a courtesy
    /// e-mail address and proves nothing).
    pub anonymous: bool,
    /// What the user may do.
    pub permissions: Permissions,
    /// The folder that is this user's `/`, chosen by the administrator; `None`
    /// means the server's default root.
    pub root: Option<PathBuf>,
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No account has this name (answer 530, the same as a wrong password,
    /// so that peers cannot probe for names).
    #[error("unknown user")]
    UnknownUser,
    /// The account exists but the password does not match (530).
    #[error("wrong password")]
    WrongPassword,
    /// The account exists but may not log in (530).
    #[error("account disabled")]
    Disabled,
    /// The authenticator could not decide, e.g. its backend is unreachable
    /// (answer 421 or 451; the peer may try again later).
    #[error("authentication unavailable: {0}")]
    Unavailable(String),
}

impl AuthError {
    /// The reply code a server normally answers with: 530 for refusals,
    /// 421 when the authenticator itself failed.
    #[must_use]
    pub fn reply_code(&self) -> u16 {
        match self {
            Self::Unavailable(_) => 421,
            Self::UnknownUser | Self::WrongPassword | Self::Disabled => 530,
        }
    }
}

/// Checks a user's credentials (blocking).
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Checks `user` and `password` (both as the peer sent them).
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError>;
}

impl<A: Authenticator + ?Sized> Authenticator for std::sync::Arc<A> {
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError> {
        (**self).authenticate(user, password)
    }
}

impl<A: Authenticator + ?Sized> Authenticator for Box<A> {
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError> {
        (**self).authenticate(user, password)
    }
}

/// Whether `user` is one of the anonymous account names (`anonymous`, `ftp`,
/// any case).
#[must_use]
pub fn is_anonymous_name(user: &[u8]) -> bool {
    user.eq_ignore_ascii_case(b"anonymous") || user.eq_ignore_ascii_case(b"ftp")
}

/// Accepts the anonymous account (`anonymous` or `ftp`, any case, any
/// password) with [`Permissions::READ_ONLY`]; every other name is
/// [`AuthError::UnknownUser`].
#[derive(Debug, Clone, Default)]
pub struct AnonymousOnly {
    root: Option<PathBuf>,
}

impl AnonymousOnly {
    /// Anonymous access to the server's default root.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Anonymous users get `root` as their `/`.
    #[must_use]
    pub fn with_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }
}

impl Authenticator for AnonymousOnly {
    fn authenticate(&self, user: &[u8], _password: &[u8]) -> Result<Identity, AuthError> {
        if !is_anonymous_name(user) {
            return Err(AuthError::UnknownUser);
        }
        Ok(Identity {
            user: "anonymous".to_owned(),
            anonymous: true,
            permissions: Permissions::READ_ONLY,
            root: self.root.clone(),
        })
    }
}

/// A password held in memory; its `Debug` output is redacted.
#[derive(Clone)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone)]
struct Account {
    name: Vec<u8>,
    password: Secret,
    permissions: Permissions,
    root: Option<PathBuf>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("password", &self.password)
            .field("permissions", &self.permissions)
            .field("root", &self.root)
            .finish()
    }
}

/// Named users with passwords. Users get [`Permissions::FULL`] unless
/// added with others ([`UserList::with_account`]).
///
/// The password check takes the same time whether the name exists or not
/// and whatever the password's content (a constant-time comparison, run
/// against a dummy when the name is unknown), so timing reveals neither.
#[derive(Debug, Clone, Default)]
pub struct UserList {
    accounts: Vec<Account>,
}

/// A line of a user list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("user list line {line}: expected `name:password`")]
pub struct UserListError {
    /// The 1-based number of the offending line.
    pub line: usize,
}

impl UserList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a user with every right
    /// ([`Permissions::FULL`]) and the default root.
    #[must_use]
    pub fn with_user(self, name: impl AsRef<[u8]>, password: impl AsRef<[u8]>) -> Self {
        self.with_account(name, password, Permissions::FULL, None)
    }

    /// Adds (or replaces) a user with the given permissions and root folder.
    #[must_use]
    pub fn with_account(
        mut self,
        name: impl AsRef<[u8]>,
        password: impl AsRef<[u8]>,
        permissions: Permissions,
        root: Option<PathBuf>,
    ) -> Self {
        let name = name.as_ref().to_vec();
        self.accounts.retain(|a| a.name != name);
        self.accounts.push(Account {
            name,
            password: Secret(password.as_ref().to_vec()),
            permissions,
            root,
        });
        self
    }

    /// Reads `name:password` lines (the password is everything after the
    /// first `:`). Empty lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self, UserListError> {
        let mut list = Self::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((name, password)) if !name.is_empty() => {
                    list = list.with_user(name, password);
                }
                _ => return Err(UserListError { line: index + 1 }),
            }
        }
        Ok(list)
    }

    /// How many users the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the list holds no user.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

impl Authenticator for UserList {
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError> {
        let Some(account) = self.accounts.iter().find(|a| a.name == user) else {
            // Spend the same work as a real check before refusing.
            let _ = constant_time_eq(password, b"\0dummy password for unknown users\0");
            return Err(AuthError::UnknownUser);
        };
        if !constant_time_eq(password, &account.password.0) {
            return Err(AuthError::WrongPassword);
        }
        Ok(Identity {
            user: String::from_utf8_lossy(&account.name).into_owned(),
            anonymous: false,
            permissions: account.permissions,
            root: account.root.clone(),
        })
    }
}

/// Compares two byte strings in time that depends only on their lengths,
/// not on where they first differ.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    // Walk the expected length whatever was given, so that the time does not
    // tell how long a prefix matched; length differences are folded into
    // the accumulator rather than returned early.
    let mut difference = u8::from(given.len() != expected.len());
    for (index, &byte) in expected.iter().enumerate() {
        let other = given.get(index).copied().unwrap_or(!byte);
        difference |= byte ^ other;
    }
    std::hint::black_box(difference) == 0
}

/// Asks `first`; if it does not know the user ([`AuthError::UnknownUser`]),
/// asks `second`. Any other answer of `first` (success, wrong password,
/// failure) is final.
#[derive(Debug, Clone, Default)]
pub struct FirstOf<A, B> {
    first: A,
    second: B,
}

impl<A, B> FirstOf<A, B> {
    /// Combines two authenticators; `first` has priority.
    #[must_use]
    pub fn new(first: A, second: B) -> Self {
        Self { first, second }
    }
}

impl<A: Authenticator, B: Authenticator> Authenticator for FirstOf<A, B> {
    fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError> {
        match self.first.authenticate(user, password) {
            Err(AuthError::UnknownUser) => self.second.authenticate(user, password),
            answer => answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_names_any_password_read_only() {
        let auth = AnonymousOnly::new();
        for name in [&b"anonymous"[..], b"ANONYMOUS", b"ftp", b"Ftp"] {
            let id = auth.authenticate(name, b"me@example.org").unwrap();
            assert!(id.anonymous);
            assert_eq!(id.permissions, Permissions::READ_ONLY);
            assert_eq!(id.user, "anonymous");
        }
        assert!(auth.authenticate(b"anonymous", b"").is_ok());
        assert!(matches!(
            auth.authenticate(b"root", b"x"),
            Err(AuthError::UnknownUser)
        ));
        let rooted = AnonymousOnly::new().with_root("/srv/pub");
        assert_eq!(
            rooted.authenticate(b"ftp", b"").unwrap().root,
            Some(PathBuf::from("/srv/pub"))
        );
    }

    #[test]
    fn user_list_checks_passwords() {
        let users = UserList::new().with_user("alice", "s3cret").with_account(
            "bob",
            "pw",
            Permissions::READ_ONLY,
            Some(PathBuf::from("/home/bob")),
        );
        let alice = users.authenticate(b"alice", b"s3cret").unwrap();
        assert_eq!(alice.user, "alice");
        assert!(!alice.anonymous);
        assert_eq!(alice.permissions, Permissions::FULL);
        assert_eq!(alice.root, None);
        let bob = users.authenticate(b"bob", b"pw").unwrap();
        assert_eq!(bob.permissions, Permissions::READ_ONLY);
        assert_eq!(bob.root, Some(PathBuf::from("/home/bob")));
        for wrong in [&b""[..], b"s3cre", b"s3crett", b"S3cret", b"s3cret\0"] {
            assert!(matches!(
                users.authenticate(b"alice", wrong),
                Err(AuthError::WrongPassword)
            ));
        }
        assert!(matches!(
            users.authenticate(b"carol", b"s3cret"),
            Err(AuthError::UnknownUser)
        ));
        assert!(matches!(
            users.authenticate(b"ALICE", b"s3cret"),
            Err(AuthError::UnknownUser)
        ));
        assert_eq!(AuthError::WrongPassword.reply_code(), 530);
        assert_eq!(AuthError::Unavailable("db down".into()).reply_code(), 421);
    }

    #[test]
    fn constant_time_comparison() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"", b"", true),
            (b"a", b"a", true),
            (b"abc", b"abc", true),
            (b"abc", b"abd", false),
            (b"ab", b"abc", false),
            (b"abc", b"ab", false),
            (b"", b"a", false),
            (b"\xff", b"\x00", false),
            (b"\xff", b"", false),
        ];
        for &(given, expected, equal) in cases {
            assert_eq!(
                constant_time_eq(given, expected),
                equal,
                "{given:?} {expected:?}"
            );
        }
    }

    #[test]
    fn parse_user_lines() {
        let users = UserList::parse("# users\nalice:pa:ss\n\nbob:\r\n").unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.authenticate(b"alice", b"pa:ss").is_ok());
        assert!(users.authenticate(b"bob", b"").is_ok());
        assert_eq!(
            UserList::parse("ok:1\nnocolon\n").unwrap_err(),
            UserListError { line: 2 }
        );
        assert_eq!(
            UserList::parse(":pw").unwrap_err(),
            UserListError { line: 1 }
        );
    }

    #[test]
    fn passwords_never_appear_in_debug_output() {
        let users = UserList::new().with_user("alice", "hunter2-very-secret");
        let text = format!("{users:?} {users:#?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("alice") && text.contains("<redacted>"),
            "{text}"
        );
        let both = FirstOf::new(AnonymousOnly::new(), users);
        assert!(!format!("{both:?}").contains("hunter2"));
    }

    #[test]
    fn anonymous_plus_users() {
        let auth = FirstOf::new(
            AnonymousOnly::new(),
            UserList::new().with_user("alice", "pw"),
        );
        assert!(auth.authenticate(b"anonymous", b"x").unwrap().anonymous);
        assert!(!auth.authenticate(b"alice", b"pw").unwrap().anonymous);
        assert!(matches!(
            auth.authenticate(b"alice", b"nope"),
            Err(AuthError::WrongPassword)
        ));
        assert!(matches!(
            auth.authenticate(b"mallory", b"pw"),
            Err(AuthError::UnknownUser)
        ));
        let boxed: Box<dyn Authenticator> = Box::new(auth);
        assert!(boxed.authenticate(b"ftp", b"").is_ok());
    }

    fn vpath(p: &str) -> ftp_proto::path::VirtualPath {
        ftp_proto::path::VirtualPath::new(p.as_bytes()).unwrap()
    }

    /// Every request kind against every single right: exactly the rights
    /// the table on `Permissions` names are needed.
    #[test]
    fn each_request_needs_its_rights() {
        use ftp_proto::data::Representation::Binary;
        use ftp_proto::server::ListFormat;
        use ftp_proto::timestamp::Timestamp;
        let p = vpath("/f");
        let cases: Vec<(RequestKind, &[&str])> = vec![
            (
                RequestKind::List {
                    path: p.clone(),
                    format: ListFormat::Long,
                },
                &["list"],
            ),
            (
                RequestKind::List {
                    path: p.clone(),
                    format: ListFormat::Names,
                },
                &["list"],
            ),
            (
                RequestKind::List {
                    path: p.clone(),
                    format: ListFormat::Machine,
                },
                &["list"],
            ),
            (RequestKind::Stat { path: p.clone() }, &["list"]),
            (RequestKind::MachineListOne { path: p.clone() }, &["list"]),
            (
                RequestKind::Size {
                    path: p.clone(),
                    representation: Binary,
                },
                &["list"],
            ),
            (RequestKind::ModifiedTime { path: p.clone() }, &["list"]),
            (
                RequestKind::Retrieve {
                    path: p.clone(),
                    offset: 0,
                    representation: Binary,
                },
                &["download"],
            ),
            (
                RequestKind::Store {
                    path: p.clone(),
                    offset: 0,
                    representation: Binary,
                },
                &["upload"],
            ),
            (
                RequestKind::Store {
                    path: p.clone(),
                    offset: 5,
                    representation: Binary,
                },
                &["upload", "overwrite"],
            ),
            (
                RequestKind::StoreUnique {
                    dir: vpath("/"),
                    hint: None,
                    representation: Binary,
                },
                &["upload"],
            ),
            (
                RequestKind::Append {
                    path: p.clone(),
                    representation: Binary,
                },
                &["append", "upload"],
            ),
            (RequestKind::Delete { path: p.clone() }, &["delete"]),
            (RequestKind::RenameFrom { path: p.clone() }, &["rename"]),
            (
                RequestKind::Rename {
                    from: p.clone(),
                    to: vpath("/g"),
                },
                &["rename"],
            ),
            (RequestKind::MakeDir { path: p.clone() }, &["make_dir"]),
            (RequestKind::RemoveDir { path: p.clone() }, &["remove_dir"]),
            (
                RequestKind::SetModifiedTime {
                    path: p.clone(),
                    time: Timestamp::UNIX_EPOCH,
                },
                &["set_time"],
            ),
            (RequestKind::ChangeDir { path: p.clone() }, &[]),
        ];
        let single: [(&str, Permissions); 10] = [
            ("list", Permissions::NONE.with_list()),
            ("download", Permissions::NONE.with_download()),
            ("upload", Permissions::NONE.with_upload()),
            ("overwrite", Permissions::NONE.with_overwrite()),
            ("append", Permissions::NONE.with_append()),
            ("delete", Permissions::NONE.with_delete()),
            ("rename", Permissions::NONE.with_rename()),
            ("make_dir", Permissions::NONE.with_make_dir()),
            ("remove_dir", Permissions::NONE.with_remove_dir()),
            ("set_time", Permissions::NONE.with_set_time()),
        ];
        for (kind, needed) in &cases {
            assert!(Permissions::FULL.allows(kind), "{kind:?}");
            assert_eq!(
                Permissions::NONE.allows(kind),
                needed.is_empty(),
                "{kind:?}"
            );
            for (name, _) in single {
                // All rights but this one: refused exactly when it is needed.
                let without = single
                    .iter()
                    .filter(|(other, _)| *other != name)
                    .fold(Permissions::NONE, |all, (_, one)| union(all, *one));
                assert_eq!(
                    without.allows(kind),
                    !needed.contains(&name),
                    "{kind:?} without {name}"
                );
            }
        }
        // The named sets.
        let retr = &cases[7].0;
        let stor = &cases[8].0;
        assert!(Permissions::READ_ONLY.allows(&cases[0].0) && Permissions::READ_ONLY.allows(retr));
        assert!(!Permissions::READ_ONLY.allows(stor));
        assert!(Permissions::DROP_BOX.allows(stor));
        // A drop box may STOR, STOU and CWD, nothing else.
        for (index, (kind, _)) in cases.iter().enumerate() {
            let allowed = [8, 10, 18].contains(&index);
            assert_eq!(Permissions::DROP_BOX.allows(kind), allowed, "{kind:?}");
        }
        assert!(!Permissions::READ_ONLY.may_modify() && Permissions::DROP_BOX.may_modify());
        assert_eq!(Permissions::READ_WRITE, Permissions::FULL);
    }

    fn union(a: Permissions, b: Permissions) -> Permissions {
        Permissions {
            list: a.list || b.list,
            download: a.download || b.download,
            upload: a.upload || b.upload,
            overwrite: a.overwrite || b.overwrite,
            append: a.append || b.append,
            delete: a.delete || b.delete,
            rename: a.rename || b.rename,
            make_dir: a.make_dir || b.make_dir,
            remove_dir: a.remove_dir || b.remove_dir,
            set_time: a.set_time || b.set_time,
        }
    }

    #[test]
    fn perm_facts_follow_the_rights() {
        let all = Perms::from_letters(b"acdeflmprw");
        let facts = |p: Permissions, kind: FileKind| {
            let letters: Vec<u8> = p.perm_fact(&kind, all).letters().collect();
            String::from_utf8(letters).unwrap()
        };
        assert_eq!(facts(Permissions::READ_ONLY, FileKind::File), "r");
        assert_eq!(facts(Permissions::READ_ONLY, FileKind::Directory), "el");
        assert_eq!(facts(Permissions::FULL, FileKind::File), "adfrw");
        assert_eq!(facts(Permissions::FULL, FileKind::Directory), "cdeflmp");
        assert_eq!(facts(Permissions::DROP_BOX, FileKind::File), "");
        assert_eq!(facts(Permissions::DROP_BOX, FileKind::Directory), "ce");
        assert_eq!(
            facts(Permissions::NONE.with_delete(), FileKind::Directory),
            "ep"
        );
        assert_eq!(
            facts(Permissions::NONE.with_remove_dir(), FileKind::Directory),
            "de"
        );
        // Never more than the entry itself allows.
        let read_only_file = Perms::from_mode(&FileKind::File, Some(0o444));
        let letters: Vec<u8> = Permissions::FULL
            .perm_fact(&FileKind::File, read_only_file)
            .letters()
            .collect();
        assert_eq!(letters, b"r");
    }
}
