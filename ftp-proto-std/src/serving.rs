//! What both servers' session drivers (this crate's blocking one and
//! `ftp_proto_tokio`'s async one) decide alike, without I/O: the job of a
//! transfer the engine starts ([`plan_transfer`]), how a transfer is named
//! in the log ([`TransferLabel`]), the answers and log lines of a login
//! ([`login_accepted`], [`login_refused`], [`storage_unavailable`]), the
//! failed-login budget of the client's address ([`banned_login`],
//! [`login_failed`]), the
//! requests answered by fixed policy ([`policy_answer`]), and the log lines
//! of session events ([`log_event`]).

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use ftp_proto::data::DataProtection;
use ftp_proto::path::VirtualPath;
use ftp_proto::server::{
    Answer, Denial, FsError, RequestKind, ServerEvent, TransferKind, TransferOutcome, TransferStart,
};

use crate::auth::{AuthError, Identity, Permissions};
use crate::server::LoginBans;
use crate::storage::WriteMode;
use crate::transfer::Job;

/// A file the storage opened for a `RETR`/`STOR`/`APPE`/`STOU` request,
/// or a directory it opened for a `LIST`/`NLST`/`MLSD`, waiting for its
/// transfer.
pub enum Opened<R, W, D = std::iter::Empty<crate::storage::EntryResult>> {
    /// To send (`RETR`).
    Reader(R),
    /// To receive into (`STOR`, `APPE`, `STOU`).
    Writer(W),
    /// The entries to list (answered with
    /// [`Answer::DirectoryListing`]).
    Directory(D),
}

impl<R, W, D> fmt::Debug for Opened<R, W, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reader(_) => "Opened::Reader",
            Self::Writer(_) => "Opened::Writer",
            Self::Directory(_) => "Opened::Directory",
        })
    }
}

/// How a `STOR` opens its file: from `offset` (`REST`) in place; else, for
/// a user who may not overwrite ([`Permissions::overwrite`]), created
/// exclusively ([`WriteMode::CreateNew`], refused when the file exists);
/// else as a replacement committed when complete ([`WriteMode::Replace`])
/// or, with the servers' in-place option, emptied and written in place
/// ([`WriteMode::Truncate`]). (A `REST`+`STOR` without the right to
/// overwrite never gets here: [`policy_answer`] refuses it.)
#[must_use]
pub fn store_mode(offset: u64, in_place: bool, permissions: &Permissions) -> WriteMode {
    match (offset, in_place) {
        (0, _) if !permissions.overwrite => WriteMode::CreateNew,
        (0, false) => WriteMode::Replace,
        (0, true) => WriteMode::Truncate,
        (offset, _) => WriteMode::Resume(offset),
    }
}

/// A transfer as the log names it: what it does and on which path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLabel {
    /// `retrieve`, `store`, `append`, `listing` (or `transfer`).
    pub what: &'static str,
    /// The file, or the working folder for a listing.
    pub path: String,
}

impl TransferLabel {
    /// The transfer's `tracing` span (`transfer`, with `id`, `what`, `path`).
    #[must_use]
    pub fn span(&self, id: ftp_proto::data::DataId) -> tracing::Span {
        tracing::info_span!("transfer", id = id.get(), what = self.what, path = %self.path)
    }

    /// Logs how the transfer ended; `progress` holds the bytes it moved
    /// (logged when it did not complete).
    pub fn log_end(&self, outcome: TransferOutcome, progress: &AtomicU64) {
        let (what, path) = (self.what, &self.path);
        match outcome {
            TransferOutcome::Complete { bytes } => {
                tracing::info!(what, %path, bytes, "transfer complete");
            }
            other => {
                let bytes = progress.load(Ordering::Relaxed);
                tracing::info!(what, %path, bytes, outcome = ?other, "transfer failed");
            }
        }
    }
}

/// A transfer ready to run: its job, and the TLS settings of a `PROT P`
/// data connection.
#[derive(Debug)]
pub struct PlannedTransfer<R, W, T, D = std::iter::Empty<crate::storage::EntryResult>> {
    /// For the log.
    pub label: TransferLabel,
    /// What to move.
    pub job: Job<R, W, D>,
    /// `Some` for a `PROT P` data connection.
    pub tls: Option<T>,
}

/// The transfer the engine `start`ed, from the file or directory the
/// storage `opened` for it (a listing the engine rendered needs none; `cwd`
/// names it), the server's `tls` settings (needed for `PROT P`) and the
/// user's `permissions` (a streamed `MLSD` shows them as `perm` facts).
///
/// # Errors
/// The transfer's label when it cannot run: no open file of the right kind,
/// or `PROT P` without TLS settings (logged; the adapter then reports
/// [`TransferOutcome::LocalError`] to the engine).
pub fn plan_transfer<R, W, D, T: Clone>(
    start: TransferStart,
    opened: Option<Opened<R, W, D>>,
    cwd: &VirtualPath,
    tls: Option<&T>,
    permissions: Permissions,
) -> Result<PlannedTransfer<R, W, T, D>, TransferLabel> {
    let TransferStart {
        kind,
        representation,
        protection,
        ..
    } = start;
    let (what, path, job) = match (kind, opened) {
        (TransferKind::Retrieve { path, .. }, Some(Opened::Reader(reader))) => (
            "retrieve",
            path,
            Some(Job::Send {
                reader,
                representation,
            }),
        ),
        (TransferKind::Store { path, .. }, Some(Opened::Writer(writer))) => (
            "store",
            path,
            Some(Job::Receive {
                writer,
                representation,
            }),
        ),
        (TransferKind::Append { path }, Some(Opened::Writer(writer))) => (
            "append",
            path,
            Some(Job::Receive {
                writer,
                representation,
            }),
        ),
        (TransferKind::Listing(bytes), _) => ("listing", cwd.clone(), Some(Job::Listing(bytes))),
        (TransferKind::DirectoryListing { path, style }, Some(Opened::Directory(entries))) => {
            let job = Job::Directory {
                entries,
                style,
                permissions,
            };
            ("listing", path, Some(job))
        }
        (_, _) => ("transfer", cwd.clone(), None),
    };
    let label = TransferLabel {
        what,
        path: String::from_utf8_lossy(path.as_bytes()).into_owned(),
    };
    let tls = match protection {
        DataProtection::Private => tls.cloned(),
        _ => None,
    };
    match job {
        Some(job) if protection != DataProtection::Private || tls.is_some() => {
            Ok(PlannedTransfer { label, job, tls })
        }
        _ => {
            tracing::error!(what, "transfer without an open file or TLS configuration");
            Err(label)
        }
    }
}

/// Logs what a session event tells by itself: plaintext dropped after
/// `AUTH TLS` or during its handshake, and the session's end with its
/// reason. Every other event is the driver's to act on (and log).
pub fn log_event(event: &ServerEvent) {
    match event {
        ServerEvent::UpgradeTls {
            discarded_plaintext,
        } if *discarded_plaintext > 0 => {
            tracing::warn!(
                bytes = discarded_plaintext,
                "plaintext after AUTH TLS dropped"
            );
        }
        ServerEvent::InputDiscarded { bytes } => {
            tracing::debug!(bytes, "input during the TLS handshake dropped");
        }
        ServerEvent::Closed(reason) => {
            tracing::info!(reason = reason.as_str(), "disconnected");
        }
        _ => {}
    }
}

/// The answer to a request this server decides by fixed policy, not with
/// the authenticator or the storage: `HOST` (with `validate_hosts`; there
/// are no virtual hosts, every name is welcome), `ACCT` (the
/// authenticators know no accounts), and every file request the user's
/// `permissions` do not allow ([`Permissions::allows`]), refused with
/// [`FsError::PermissionDenied`] (`550`) before it reaches the storage,
/// whatever the storage is. Both servers ask this first, with the
/// permissions of the session's login ([`Permissions::NONE`] before one).
#[must_use]
pub fn policy_answer(kind: &RequestKind, permissions: &Permissions) -> Option<Answer> {
    match kind {
        RequestKind::Host { .. } => Some(Answer::Done),
        RequestKind::Account { .. } => Some(Answer::Denied(Denial::NotAllowed)),
        RequestKind::Login { .. } => None,
        kind if !permissions.allows(kind) => {
            tracing::info!(request = ?kind, "refused: the user lacks the right");
            Some(Answer::Error(FsError::PermissionDenied))
        }
        _ => None,
    }
}

/// Logs a login the authenticator accepted and the storage opened for.
pub fn login_accepted(user: &[u8], identity: &Identity) {
    tracing::info!(
        user = %String::from_utf8_lossy(user),
        anonymous = identity.anonymous,
        write = identity.permissions.may_modify(),
        "login ok"
    );
}

/// The engine's answer to a login the authenticator refused, logged: `530`
/// for a refusal, `421` (the engine then closes the session) when the
/// authenticator is unavailable.
#[must_use]
pub fn login_refused(user: &[u8], error: &AuthError) -> Answer {
    tracing::info!(user = %String::from_utf8_lossy(user), "login failed");
    match error {
        AuthError::UnknownUser | AuthError::WrongPassword => Answer::Denied(Denial::BadCredentials),
        AuthError::Unavailable(why) => {
            tracing::warn!(%why, "authenticator unavailable");
            Answer::Reply(ftp_proto::reply::Reply::new(
                ftp_proto::reply::ReplyCode::SERVICE_NOT_AVAILABLE,
                "Authentication service unavailable.",
            ))
        }
        other => {
            tracing::info!(error = %other, "authenticator refused");
            Answer::Denied(Denial::NotAllowed)
        }
    }
}

/// Before a login reaches the authenticator: the answer when the client's
/// address `ip` is banned for failed logins. It is the `530` of a wrong
/// password (the engine's pause before it included), so a banned guesser
/// learns nothing, not even that it is banned.
#[must_use]
pub fn banned_login(bans: &LoginBans, ip: IpAddr, user: &[u8]) -> Option<Answer> {
    bans.is_banned(std::time::Instant::now(), ip).then(|| {
        tracing::info!(
            user = %String::from_utf8_lossy(user),
            "login refused: the address is banned"
        );
        Answer::Denied(Denial::BadCredentials)
    })
}

/// [`login_refused`], after counting the failure against the client's
/// address `ip` (an authenticator that is unavailable does not count).
#[must_use]
pub fn login_failed(bans: &LoginBans, ip: IpAddr, user: &[u8], error: &AuthError) -> Answer {
    if !matches!(error, AuthError::Unavailable(_)) {
        bans.record_failure(std::time::Instant::now(), ip);
    }
    login_refused(user, error)
}

/// The engine's answer (`530`) to a login whose storage cannot open, logged.
#[must_use]
pub fn storage_unavailable(identity: &Identity, error: &dyn fmt::Display) -> Answer {
    tracing::error!(%error, user = %identity.user, "cannot open the user's storage");
    Answer::Denied(Denial::NotAllowed)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use ftp_proto::data::{DataId, Representation};
    use ftp_proto::listing::Facts;
    use ftp_proto::server::{ListFormat, ListingStyle};
    use ftp_proto::timestamp::Timestamp;

    use super::*;

    type Plan =
        Result<PlannedTransfer<&'static str, &'static str, (), &'static str>, TransferLabel>;

    fn start(kind: TransferKind, protection: DataProtection) -> TransferStart {
        TransferStart {
            id: DataId::new(1),
            kind,
            representation: Representation::Binary,
            protection,
        }
    }

    fn path(p: &str) -> VirtualPath {
        VirtualPath::new(p.as_bytes()).unwrap()
    }

    fn plan(
        kind: TransferKind,
        opened: Option<Opened<&'static str, &'static str, &'static str>>,
        protection: DataProtection,
        tls: Option<&()>,
    ) -> Plan {
        plan_transfer(
            start(kind, protection),
            opened,
            &path("/home"),
            tls,
            Permissions::FULL,
        )
    }

    #[test]
    fn jobs_follow_the_kind_and_the_opened_file() {
        let retrieve = TransferKind::Retrieve {
            path: path("/a"),
            offset: 0,
        };
        let p = plan(
            retrieve.clone(),
            Some(Opened::Reader("r")),
            DataProtection::Clear,
            None,
        )
        .unwrap();
        assert_eq!((p.label.what, p.label.path.as_str()), ("retrieve", "/a"));
        assert!(matches!(p.job, Job::Send { reader: "r", .. }));
        let store = TransferKind::Store {
            path: path("/b"),
            offset: 0,
        };
        let p = plan(
            store,
            Some(Opened::Writer("w")),
            DataProtection::Clear,
            None,
        )
        .unwrap();
        assert_eq!(p.label.what, "store");
        assert!(matches!(p.job, Job::Receive { writer: "w", .. }));
        let append = TransferKind::Append { path: path("/c") };
        let p = plan(
            append,
            Some(Opened::Writer("w")),
            DataProtection::Clear,
            None,
        )
        .unwrap();
        assert_eq!(p.label.what, "append");
        let listing = TransferKind::Listing(Bytes::from_static(b"x\r\n"));
        let p = plan(listing, None, DataProtection::Clear, None).unwrap();
        assert_eq!((p.label.what, p.label.path.as_str()), ("listing", "/home"));
        assert!(p.tls.is_none());
        let style = ListingStyle::new(ListFormat::Names, Facts::DEFAULT, Timestamp::UNIX_EPOCH);
        let directory = TransferKind::DirectoryListing {
            path: path("/pub"),
            style,
        };
        let p = plan(
            directory.clone(),
            Some(Opened::Directory("d")),
            DataProtection::Clear,
            None,
        )
        .unwrap();
        assert_eq!((p.label.what, p.label.path.as_str()), ("listing", "/pub"));
        assert!(matches!(
            p.job,
            Job::Directory { entries: "d", style: s, permissions: Permissions::FULL } if s == style
        ));
        // A streamed listing needs its opened directory.
        assert!(plan(directory, None, DataProtection::Clear, None).is_err());
        // A file opened for the other direction, or none, cannot run.
        let label = plan(
            retrieve,
            Some(Opened::Writer("w")),
            DataProtection::Clear,
            None,
        )
        .unwrap_err();
        assert_eq!((label.what, label.path.as_str()), ("transfer", "/home"));
    }

    #[test]
    fn prot_p_needs_tls_settings() {
        let listing = || TransferKind::Listing(Bytes::new());
        assert!(plan(listing(), None, DataProtection::Private, None).is_err());
        let p = plan(listing(), None, DataProtection::Private, Some(&())).unwrap();
        assert!(p.tls.is_some());
        let p = plan(listing(), None, DataProtection::Clear, Some(&())).unwrap();
        assert!(p.tls.is_none());
    }

    #[test]
    fn refused_logins() {
        let code = |e: AuthError| match login_refused(b"u", &e) {
            Answer::Denied(Denial::BadCredentials) => 530,
            Answer::Denied(_) => 531,
            Answer::Reply(r) => r.code().as_u16(),
            _ => 0,
        };
        assert_eq!(code(AuthError::UnknownUser), 530);
        assert_eq!(code(AuthError::WrongPassword), 530);
        assert_eq!(code(AuthError::Disabled), 531);
        assert_eq!(code(AuthError::Unavailable("down".into())), 421);
    }
}
