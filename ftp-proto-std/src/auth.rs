//! Authentication: checking USER/PASS and deciding what a user may do.
//!
//! An [`Authenticator`] turns a user name and password into an [`Identity`]:
//! who the user is, whether they may read and write, and optionally which
//! folder is their root (the server opens a
//! [`Filesystem`](crate::storage::Filesystem) there, read-only unless
//! [`Permissions::write`] is set).
//!
//! Implementations here: [`AnonymousOnly`] (the `anonymous`/`ftp` account,
//! read-only), [`UserList`] (named users with passwords, read-write), and
//! [`FirstOf`], which asks one authenticator and then another (anonymous plus
//! a user list is `FirstOf::new(AnonymousOnly::new(), users)`).
//!
//! Passwords are compared in constant time and never appear in `Debug`
//! output. [`UserList`] keeps them in memory as given (plain text): it is
//! meant for tests, demos and small deployments; a hashing authenticator
//! belongs in a crate with a password-hashing dependency.

use std::fmt;
use std::path::PathBuf;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions {
    /// May list and download.
    pub read: bool,
    /// May upload, delete, rename, make and remove directories, set times.
    pub write: bool,
}

impl Permissions {
    /// Read but not write (anonymous users).
    pub const READ_ONLY: Self = Self {
        read: true,
        write: false,
    };
    /// Read and write.
    pub const READ_WRITE: Self = Self {
        read: true,
        write: true,
    };
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
/// password) with read-only permissions; every other name is
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

/// Named users with passwords. Users get read-write permissions unless
/// added with others.
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

    /// Adds (or replaces) a read-write user with the default root.
    #[must_use]
    pub fn with_user(self, name: impl AsRef<[u8]>, password: impl AsRef<[u8]>) -> Self {
        self.with_account(name, password, Permissions::READ_WRITE, None)
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
        assert_eq!(alice.permissions, Permissions::READ_WRITE);
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
}
