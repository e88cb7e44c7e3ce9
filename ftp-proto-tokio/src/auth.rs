//! Authentication for the async server: the blocking authenticators, run
//! off the runtime.
//!
//! The rules live in [`ftp_proto_std::auth`]; [`Blocking`] runs any of its
//! authenticators on tokio's blocking thread pool (a real backend may do
//! slow I/O or deliberately slow password hashing), and returns `Send`
//! futures so callers can use it inside `tokio::spawn`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use ftp_proto_std::auth::{
    AnonymousOnly, AuthError, FirstOf, Identity, Permissions, UserList, UserListError,
    is_anonymous_name,
};

/// Checks a user's credentials (async).
pub trait Authenticator: Send + Sync + fmt::Debug + 'static {
    /// Checks `user` and `password` (both as the peer sent them); see
    /// [`ftp_proto_std::auth::Authenticator::authenticate`].
    fn authenticate(
        &self,
        user: &[u8],
        password: &[u8],
    ) -> impl Future<Output = Result<Identity, AuthError>> + Send;
}

/// A blocking [`ftp_proto_std::auth::Authenticator`] run with
/// [`tokio::task::spawn_blocking`]. Cloning is cheap (an `Arc`).
///
/// The password is copied for the blocking task and the copy is overwritten
/// with zeros afterwards (best effort: earlier copies made by the caller or
/// the allocator are out of its reach).
pub struct Blocking<A> {
    inner: Arc<A>,
}

impl<A> Blocking<A> {
    /// Wraps a blocking authenticator.
    #[must_use]
    pub fn new(inner: A) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The wrapped blocking authenticator.
    #[must_use]
    pub fn blocking(&self) -> &Arc<A> {
        &self.inner
    }
}

impl<A> Clone for Blocking<A> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A: fmt::Debug> fmt::Debug for Blocking<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Blocking").field(&self.inner).finish()
    }
}

impl<A> Authenticator for Blocking<A>
where
    A: ftp_proto_std::auth::Authenticator + 'static,
{
    async fn authenticate(&self, user: &[u8], password: &[u8]) -> Result<Identity, AuthError> {
        let inner = Arc::clone(&self.inner);
        let user = user.to_vec();
        let mut password = password.to_vec();
        tokio::task::spawn_blocking(move || {
            let answer = inner.authenticate(&user, &password);
            password.fill(0);
            std::hint::black_box(&password);
            answer
        })
        .await
        .map_err(|_| AuthError::Unavailable("authenticator task failed".to_owned()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawn_login<A: Authenticator>(
        auth: A,
        user: &'static [u8],
        password: &'static [u8],
    ) -> tokio::task::JoinHandle<Result<Identity, AuthError>> {
        tokio::spawn(async move { auth.authenticate(user, password).await })
    }

    #[tokio::test]
    async fn blocking_authenticators_run_in_spawned_tasks() {
        let auth = Blocking::new(FirstOf::new(
            AnonymousOnly::new(),
            UserList::new().with_user("alice", "pw"),
        ));
        let anon = spawn_login(auth.clone(), b"ftp", b"me@example.org")
            .await
            .unwrap()
            .unwrap();
        assert!(anon.anonymous);
        assert_eq!(anon.permissions, Permissions::READ_ONLY);
        let alice = spawn_login(auth.clone(), b"alice", b"pw")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(alice.permissions, Permissions::FULL);
        assert!(matches!(
            auth.authenticate(b"alice", b"wrong").await,
            Err(AuthError::WrongPassword)
        ));
        assert!(matches!(
            auth.authenticate(b"bob", b"pw").await,
            Err(AuthError::UnknownUser)
        ));
    }

    #[test]
    fn debug_keeps_passwords_out() {
        let auth = Blocking::new(UserList::new().with_user("alice", "hunter2"));
        let text = format!("{auth:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
