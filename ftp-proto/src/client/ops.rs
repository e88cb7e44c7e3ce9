//! The operations: sub-state machines over the command queue. Each one is
//! started when it reaches the front of the queue, sends one command at a
//! time, and ends exactly once with a [`ClientEvent::Finished`].

use alloc::borrow::Cow;
use bytes::Bytes;
use core::net::{IpAddr, SocketAddr};

use super::config::{DataConnectionMode, PassiveAddressPolicy};
use super::conformance::Verdict;
use super::error::ClientError;
use super::event::{ClientEvent, DataRequest, Direction, OpId, Outcome, TransferStart};
use super::features::Features;
use super::listing::ListFormat;
use super::listing::{ListingCollector, ListingKind};
use super::session::{ClientSession, DataState};
use super::wire::{self, ListingFormat, Reply};
use crate::Secret;
use crate::command::{
    AuthMechanism, Command, EpsvArgument, OptsArgument, ProtectionLevel, TransferType,
};
use crate::data::{DataProtection, Representation};
use crate::error::UsageError;
use crate::time::Instant;
use crate::timestamp::Timestamp;

/// What the active operation wants next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Send this command and wait for its reply.
    Send(Command),
    /// The reply was not final for the operation (a tolerated early 2yz):
    /// keep waiting for another reply to the same command.
    KeepWaiting(&'static str),
    /// Wait for the adapter (data connection, TLS).
    Wait,
    /// Done.
    Finish(Result<Outcome, ClientError>),
}

/// One queued or running operation.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) id: OpId,
    pub(crate) kind: OpKind,
}

impl Op {
    /// A transfer whose final reply is in, waiting only for its data end.
    pub(crate) fn awaits_data_end(&self) -> bool {
        matches!(&self.kind, OpKind::Transfer(t) if t.final_reply.is_some())
    }
}

/// How a single-command operation reads its final 2yz reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parse {
    Completed,
    Path,
    Mkd,
    System,
    Size,
    Modified,
    Mlst,
}

#[derive(Debug)]
pub(crate) enum OpKind {
    Greeting,
    Raw(Option<Command>),
    Single {
        /// `TYPE I` before SIZE (servers refuse SIZE in ASCII mode, or count
        /// converted bytes); sent first when `Some`.
        prelude: Option<Command>,
        cmd: Option<Command>,
        parse: Parse,
    },
    Login {
        user: Option<Bytes>,
        pass: Option<Secret>,
        acct: Option<Secret>,
    },
    Feat {
        features: Option<Features>,
    },
    AuthTls {
        stage: TlsStage,
        /// Explicit TLS set up for the greeting operation: it ends with
        /// this greeting's `Connected` outcome.
        greeting: Option<Reply>,
    },
    ProtectData {
        stage: TlsStage,
        /// Data protection requested after a login: the login operation
        /// ends with this reply's `LoggedIn` outcome.
        login: Option<Reply>,
    },
    Ccc,
    Rename {
        to: Option<Bytes>,
        from: Option<Bytes>,
    },
    Transfer(alloc::boxed::Box<Transfer>),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsStage {
    Auth,
    Handshake,
    Pbsz,
    Prot,
}

/// What a transfer operation moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransferKind {
    Retrieve,
    Store,
    Append,
    StoreUnique,
    /// `Auto` until the operation starts, then what was chosen.
    List(ListFormat),
    Nlst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Type,
    Epsv,
    Pasv,
    Listen,
    Port,
    Rest,
    Command,
}

#[derive(Debug)]
pub(crate) struct Transfer {
    kind: TransferKind,
    path: Option<Bytes>,
    offset: u64,
    stage: Stage,
    preliminary: bool,
    early_2yz: bool,
    final_reply: Option<Reply>,
    unique_name: Option<Bytes>,
    wall_clock: Option<Timestamp>,
    pub(crate) listing: Option<ListingCollector>,
    /// Set once aborted: the abort operation waiting on this transfer.
    pub(crate) abort_op: Option<OpId>,
    aborted: Option<ClientError>,
}

impl Transfer {
    /// Whether an abort is already under way.
    pub(crate) fn is_aborting(&self) -> bool {
        self.aborted.is_some() || self.abort_op.is_some()
    }
}

impl Transfer {
    fn direction(&self) -> Direction {
        match self.kind {
            TransferKind::Retrieve => Direction::Download,
            TransferKind::Store | TransferKind::Append | TransferKind::StoreUnique => {
                Direction::Upload
            }
            TransferKind::List(_) | TransferKind::Nlst => Direction::Listing,
        }
    }

    /// Files move in TYPE I; listings in whatever TYPE is set (RFC 959 §3.1.1).
    fn representation(&self) -> Option<Representation> {
        match self.kind {
            TransferKind::List(_) | TransferKind::Nlst => None,
            _ => Some(Representation::Binary),
        }
    }

    fn command(&self) -> Command {
        let p = self.path.clone();
        match self.kind {
            TransferKind::Retrieve => Command::Retr(p.unwrap_or_default()),
            TransferKind::Store => Command::Stor(p.unwrap_or_default()),
            TransferKind::Append => Command::Appe(p.unwrap_or_default()),
            TransferKind::StoreUnique => Command::Stou(p),
            TransferKind::List(ListFormat::Mlsd) => Command::Mlsd(p),
            TransferKind::List(_) => Command::List(p),
            TransferKind::Nlst => Command::Nlst(p),
        }
    }
}

/// How a finished `AUTH TLS` operation ends: the greeting's outcome when
/// it secured the greeting (explicit TLS), else `Secured`.
fn secured(greeting: Option<Reply>) -> Outcome {
    match greeting {
        Some(reply) => Outcome::Connected(reply),
        None => Outcome::Secured,
    }
}

fn class(reply: &Reply) -> u16 {
    reply.code().as_u16() / 100
}

/// The error for a negative reply, by first digit.
pub(crate) fn negative(reply: Reply) -> ClientError {
    match reply.code().as_u16() {
        425 | 426 => ClientError::DataConnection(Some(reply)),
        532 | 332 => ClientError::AccountRequired(reply),
        c if c / 100 == 4 => ClientError::Transient(reply),
        _ => ClientError::Permanent(reply),
    }
}

fn unexpected(verb: &'static str, reply: &Reply) -> ClientError {
    ClientError::UnexpectedReply {
        verb,
        code: reply.code().as_u16(),
    }
}

fn unit<T>(r: Result<OpId, UsageError<T>>) -> Result<OpId, UsageError> {
    r.map_err(UsageError::without_value)
}

// ------------------------------------------------------------ public operations

impl ClientSession {
    fn single(&mut self, now: Instant, cmd: Command, parse: Parse) -> Result<OpId, UsageError> {
        let prelude = (parse == Parse::Size && self.representation != Some(Representation::Binary))
            .then_some(Command::Type(TransferType::Image));
        unit(self.enqueue(
            now,
            OpKind::Single {
                prelude,
                cmd: Some(cmd),
                parse,
            },
            (),
        ))
    }

    fn path_op(
        &mut self,
        now: Instant,
        path: Bytes,
        make: fn(Bytes) -> Command,
        parse: Parse,
    ) -> Result<OpId, UsageError> {
        let cmd = make(path);
        self.check_sendable(&cmd)?;
        self.single(now, cmd, parse)
    }

    /// Logs in: `USER`, then `PASS` on 331, then `ACCT` on 332 (failing with
    /// [`ClientError::AccountRequired`] if `acct` is `None`). Ends with
    /// [`Outcome::LoggedIn`].
    ///
    /// # Errors
    /// `InvalidValue` for CR/LF/NUL in a value, `LimitExceeded`, `Closed`.
    pub fn login(
        &mut self,
        now: Instant,
        user: impl Into<Bytes>,
        pass: Secret,
        acct: Option<Secret>,
    ) -> Result<OpId, UsageError> {
        let user = user.into();
        // Rendered by the codec now, so a CR/LF/NUL (which would inject
        // a second command) is refused
        // before anything is queued.
        self.check_sendable(&Command::User(user.clone()))?;
        self.check_sendable(&Command::Pass(pass.0.clone()))?;
        if let Some(a) = &acct {
            self.check_sendable(&Command::Acct(a.0.clone()))?;
        }
        unit(self.enqueue(
            now,
            OpKind::Login {
                user: Some(user),
                pass: Some(pass),
                acct,
            },
            (),
        ))
    }

    /// `FEAT`, then `OPTS UTF8 ON` when `UTF8` is listed (its failure is
    /// ignored: Pure-FTPd answers 504). Ends with [`Outcome::Features`]; the set is also
    /// kept ([`features`](Self::features)) and steers `list` (MLSD) later.
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn feat(&mut self, now: Instant) -> Result<OpId, UsageError> {
        unit(self.enqueue(now, OpKind::Feat { features: None }, ()))
    }

    /// `SYST`: [`Outcome::System`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn system(&mut self, now: Instant) -> Result<OpId, UsageError> {
        self.single(now, Command::Syst, Parse::System)
    }

    /// `PWD`: [`Outcome::Path`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn pwd(&mut self, now: Instant) -> Result<OpId, UsageError> {
        self.single(now, Command::Pwd, Parse::Path)
    }

    /// `CWD path`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn cwd(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Cwd, Parse::Completed)
    }

    /// `CDUP` (200 or 250): [`Outcome::Completed`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn cdup(&mut self, now: Instant) -> Result<OpId, UsageError> {
        self.single(now, Command::Cdup, Parse::Completed)
    }

    /// `MKD path`: [`Outcome::Path`] (the created path from `257`) or
    /// [`Outcome::Created`] when the text has no quoted path.
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn mkdir(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Mkd, Parse::Mkd)
    }

    /// `RMD path`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn rmdir(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Rmd, Parse::Completed)
    }

    /// `DELE path`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn delete(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Dele, Parse::Completed)
    }

    /// `TYPE I` (unless already binary), then `SIZE path`: [`Outcome::Size`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn size(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Size, Parse::Size)
    }

    /// `MDTM path`: [`Outcome::Modified`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn mdtm(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, path.into(), Command::Mdtm, Parse::Modified)
    }

    /// `MFMT time path`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn mfmt(
        &mut self,
        now: Instant,
        path: impl Into<Bytes>,
        time: Timestamp,
    ) -> Result<OpId, UsageError> {
        let cmd = Command::Mfmt {
            time,
            path: path.into(),
        };
        self.check_sendable(&cmd)?;
        self.single(now, cmd, Parse::Completed)
    }

    /// `MLST [path]`: [`Outcome::Entry`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn mlst(&mut self, now: Instant, path: Option<Bytes>) -> Result<OpId, UsageError> {
        let cmd = Command::Mlst(path);
        self.check_sendable(&cmd)?;
        self.single(now, cmd, Parse::Mlst)
    }

    /// `SITE args`: [`Outcome::Completed`] with the reply.
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn site(&mut self, now: Instant, args: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, args.into(), Command::Site, Parse::Completed)
    }

    /// `NOOP`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn noop(&mut self, now: Instant) -> Result<OpId, UsageError> {
        self.single(now, Command::Noop, Parse::Completed)
    }

    /// `HOST name` (RFC 7151, before login): [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn host(&mut self, now: Instant, name: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.path_op(now, name.into(), Command::Host, Parse::Completed)
    }

    /// `RNFR from` → 350 → `RNTO to`: [`Outcome::Completed`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn rename(
        &mut self,
        now: Instant,
        from: impl Into<Bytes>,
        to: impl Into<Bytes>,
    ) -> Result<OpId, UsageError> {
        let (from, to) = (from.into(), to.into());
        self.check_sendable(&Command::Rnfr(from.clone()))?;
        self.check_sendable(&Command::Rnto(to.clone()))?;
        unit(self.enqueue(
            now,
            OpKind::Rename {
                from: Some(from),
                to: Some(to),
            },
            (),
        ))
    }

    /// `AUTH TLS` → 234 → [`ClientEvent::UpgradeTls`] (pause until
    /// [`tls_established`](Self::tls_established)) → `PBSZ 0` → `PROT P`.
    /// Ends with [`Outcome::Secured`]. When PBSZ/PROT are refused (servers
    /// that want them after login) the control connection is still secured
    /// and data stays clear: check [`data_protection`](Self::data_protection)
    /// and call [`protect_data`](Self::protect_data) after login.
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn auth_tls(&mut self, now: Instant) -> Result<OpId, UsageError> {
        unit(self.enqueue(
            now,
            OpKind::AuthTls {
                stage: TlsStage::Auth,
                greeting: None,
            },
            (),
        ))
    }

    /// `PBSZ 0` → `PROT P`: [`Outcome::DataProtected`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn protect_data(&mut self, now: Instant) -> Result<OpId, UsageError> {
        unit(self.enqueue(
            now,
            OpKind::ProtectData {
                stage: TlsStage::Pbsz,
                login: None,
            },
            (),
        ))
    }

    /// `CCC` → 200 → [`ClientEvent::DowngradeTls`] (pause until
    /// [`tls_cleared`](Self::tls_cleared)): [`Outcome::ControlCleared`].
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn clear_control(&mut self, now: Instant) -> Result<OpId, UsageError> {
        unit(self.enqueue(now, OpKind::Ccc, ()))
    }

    /// `QUIT`: [`Outcome::Quit`] on 221 or EOF; the session then closes.
    ///
    /// # Errors
    /// `LimitExceeded`, `Closed`.
    pub fn quit(&mut self, now: Instant) -> Result<OpId, UsageError> {
        unit(self.enqueue(now, OpKind::Quit, ()))
    }

    fn transfer(
        &mut self,
        now: Instant,
        kind: TransferKind,
        path: Option<Bytes>,
        offset: u64,
        wall_clock: Option<Timestamp>,
    ) -> Result<OpId, UsageError> {
        let t = Transfer {
            kind,
            path,
            offset,
            stage: Stage::Type,
            preliminary: false,
            early_2yz: false,
            final_reply: None,
            unique_name: None,
            wall_clock,
            listing: None,
            abort_op: None,
            aborted: None,
        };
        self.check_sendable(&t.command())?;
        unit(self.enqueue(now, OpKind::Transfer(alloc::boxed::Box::new(t)), ()))
    }

    /// Downloads `path` from byte `offset` (`TYPE I`, data setup, `REST` when
    /// `offset > 0`, `RETR`): [`Outcome::Transferred`] once both the final
    /// reply and the data EOF are in.
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn retrieve(
        &mut self,
        now: Instant,
        path: impl Into<Bytes>,
        offset: u64,
    ) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::Retrieve, Some(path.into()), offset, None)
    }

    /// Uploads to `path`, writing from `offset` (`REST` + `STOR` resume).
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn store(
        &mut self,
        now: Instant,
        path: impl Into<Bytes>,
        offset: u64,
    ) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::Store, Some(path.into()), offset, None)
    }

    /// Appends to `path` (`APPE`).
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn append(&mut self, now: Instant, path: impl Into<Bytes>) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::Append, Some(path.into()), 0, None)
    }

    /// Uploads under a server-chosen name (`STOU`); the name from
    /// `150 FILE: name` comes back in [`Outcome::Transferred`].
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn store_unique(&mut self, now: Instant, hint: Option<Bytes>) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::StoreUnique, hint, 0, None)
    }

    /// Lists a directory: `MLSD` when the last `FEAT` listed `MLST`, else
    /// `LIST` (unix or DOS/IIS lines); [`list_with`](Self::list_with)
    /// forces one. `wall_clock` (UTC now) places LIST dates written without
    /// a year; without it their time is left unknown. An empty directory
    /// answered with 450 (or 550 without `path`) is an empty listing
    /// (servers differ on how they answer an empty directory). The listed directory itself and its parent (`cdir`,
    /// `pdir`, `.`, `..`) are not entries.
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn list(
        &mut self,
        now: Instant,
        path: Option<Bytes>,
        wall_clock: Option<Timestamp>,
    ) -> Result<OpId, UsageError> {
        self.list_with(now, path, ListFormat::Auto, wall_clock)
    }

    /// [`list`](Self::list) with the listing command chosen by `format`
    /// (`Auto` decides when the operation starts, so a `FEAT` queued just
    /// before counts).
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn list_with(
        &mut self,
        now: Instant,
        path: Option<Bytes>,
        format: ListFormat,
        wall_clock: Option<Timestamp>,
    ) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::List(format), path, 0, wall_clock)
    }

    /// `NLST`: [`Outcome::Names`] (a leading `./` removed, `.` and `..`
    /// left out).
    ///
    /// # Errors
    /// `InvalidValue`, `LimitExceeded`, `Closed`.
    pub fn nlst(&mut self, now: Instant, path: Option<Bytes>) -> Result<OpId, UsageError> {
        self.transfer(now, TransferKind::Nlst, path, 0, None)
    }
}

// ------------------------------------------------------------ state machines

impl ClientSession {
    /// The first step of an operation that reached the front of the queue.
    pub(crate) fn start_op(&mut self, op: &mut Op) -> Step {
        match &mut op.kind {
            OpKind::Greeting => Step::Wait,
            OpKind::Raw(cmd) => match cmd.take() {
                Some(c) => Step::Send(c),
                None => Step::Finish(Err(ClientError::Aborted)),
            },
            OpKind::Single { prelude, cmd, .. } => match prelude.take().or_else(|| cmd.take()) {
                Some(c) => Step::Send(c),
                None => Step::Finish(Err(ClientError::Aborted)),
            },
            OpKind::Login { user, .. } => {
                Step::Send(Command::User(user.take().unwrap_or_default()))
            }
            OpKind::Feat { .. } => Step::Send(Command::Feat),
            OpKind::AuthTls { .. } => Step::Send(Command::Auth(AuthMechanism::Tls)),
            OpKind::ProtectData { .. } => Step::Send(Command::Pbsz(0)),
            OpKind::Ccc => Step::Send(Command::Ccc),
            OpKind::Rename { from, .. } => {
                Step::Send(Command::Rnfr(from.take().unwrap_or_default()))
            }
            OpKind::Quit => Step::Send(Command::Quit),
            OpKind::Transfer(t) => {
                if t.kind == TransferKind::List(ListFormat::Auto) {
                    let mlsd = self.features.as_ref().is_some_and(|f| f.mlst.is_some());
                    t.kind = TransferKind::List(if mlsd {
                        ListFormat::Mlsd
                    } else {
                        ListFormat::List
                    });
                }
                if let TransferKind::List(_) | TransferKind::Nlst = t.kind {
                    let kind = match t.kind {
                        TransferKind::List(ListFormat::Mlsd) => {
                            ListingKind::Entries(ListingFormat::Mlsd)
                        }
                        TransferKind::List(_) => ListingKind::Entries(ListingFormat::List),
                        _ => ListingKind::Names,
                    };
                    t.listing = Some(ListingCollector::new(
                        kind,
                        t.wall_clock,
                        self.config.max_listing_line,
                        self.config.max_listing_entries,
                        self.config.max_listing_bytes,
                    ));
                }
                match t.representation() {
                    Some(r) if self.representation != Some(r) => {
                        t.stage = Stage::Type;
                        Step::Send(Command::Type(TransferType::Image))
                    }
                    _ => self.data_setup(t),
                }
            }
        }
    }

    /// The final (or, for some, preliminary) reply to the active operation's command.
    pub(crate) fn op_reply(&mut self, op: &mut Op, verb: &'static str, reply: Reply) -> Step {
        let step = self.op_reply_inner(op, verb, reply);
        // Explicit/implicit FTPS whose data protection was refused before
        // login: ask again now, and end the login after it.
        if matches!(op.kind, OpKind::Login { .. })
            && matches!(step, Step::Finish(Ok(Outcome::LoggedIn(_))))
            && (self.config.explicit_tls || self.config.implicit_tls)
            && self.control_tls
            && self.protection == DataProtection::Clear
            && let Step::Finish(Ok(Outcome::LoggedIn(reply))) = step
        {
            op.kind = OpKind::ProtectData {
                stage: TlsStage::Pbsz,
                login: Some(reply),
            };
            return Step::Send(Command::Pbsz(0));
        }
        step
    }

    fn op_reply_inner(&mut self, op: &mut Op, verb: &'static str, reply: Reply) -> Step {
        let c = class(&reply);
        let code = reply.code().as_u16();
        let id = op.id;
        if c == 1 && !matches!(op.kind, OpKind::Transfer(_)) {
            self.events
                .push_back(ClientEvent::Preliminary { op: id, reply });
            return Step::KeepWaiting(verb);
        }
        match &mut op.kind {
            OpKind::Greeting => Step::Wait,
            OpKind::Raw(_) => {
                self.raw_side_effects(verb, code);
                if verb == "QUIT" {
                    self.pending_quit_close();
                }
                match c {
                    2 | 3 => Step::Finish(Ok(Outcome::Reply(reply))),
                    _ => Step::Finish(Err(negative(reply))),
                }
            }
            OpKind::Single { cmd, parse, .. } => {
                if let Some(next) = cmd.take() {
                    // That was the TYPE I prelude; its failure does not stop SIZE.
                    if c == 2 {
                        self.representation = Some(Representation::Binary);
                    }
                    return Step::Send(next);
                }
                if c != 2 {
                    return Step::Finish(Err(if c == 3 {
                        unexpected(verb, &reply)
                    } else {
                        negative(reply)
                    }));
                }
                Step::Finish(parse_single(*parse, verb, reply))
            }
            OpKind::Login { pass, acct, .. } => match (code, verb) {
                // Only a 2yz that RFC 959 §5.4 (RFC 2228 for 232) lists for
                // the command logs in: 230 and 232 to USER, 230 and 202
                // ("superfluous": no password or account needed) to PASS
                // and ACCT. Any other 2yz (a second greeting's 220, a 200)
                // is not a login.
                _ if c == 2 && super::conformance::check(verb, code) == Verdict::Allowed => {
                    Step::Finish(Ok(Outcome::LoggedIn(reply)))
                }
                (331 | 336, "USER") => {
                    Step::Send(Command::Pass(pass.take().map(|s| s.0).unwrap_or_default()))
                }
                (332, "USER" | "PASS") => match acct.take() {
                    Some(a) => Step::Send(Command::Acct(a.0)),
                    None => Step::Finish(Err(ClientError::AccountRequired(reply))),
                },
                _ if c == 2 || c == 3 => Step::Finish(Err(unexpected(verb, &reply))),
                _ => Step::Finish(Err(negative(reply))),
            },
            OpKind::Feat { features } => {
                if verb == "FEAT" {
                    let f = if c == 2 {
                        Features::parse(reply.joined_text(), 256)
                    } else {
                        Features::default()
                    };
                    let utf8 = f.utf8 && self.config.utf8;
                    self.features = Some(f.clone());
                    if utf8 {
                        *features = Some(f);
                        return Step::Send(Command::Opts(OptsArgument::Utf8(true)));
                    }
                    return Step::Finish(Ok(Outcome::Features(f)));
                }
                // OPTS UTF8 ON: never fatal.
                Step::Finish(Ok(Outcome::Features(features.take().unwrap_or_default())))
            }
            OpKind::AuthTls { stage, greeting } => match (*stage, c) {
                (TlsStage::Auth, 2) => {
                    *stage = TlsStage::Handshake;
                    self.representation = None;
                    self.pause_for_tls(true);
                    Step::Wait
                }
                (TlsStage::Auth, _) => Step::Finish(Err(if c == 3 {
                    unexpected(verb, &reply)
                } else {
                    negative(reply)
                })),
                (TlsStage::Pbsz, 2) => {
                    *stage = TlsStage::Prot;
                    Step::Send(Command::Prot(ProtectionLevel::Private))
                }
                (TlsStage::Prot, 2) => {
                    self.protection = DataProtection::Private;
                    Step::Finish(Ok(secured(greeting.take())))
                }
                // PBSZ/PROT refused (often: "log in first"): the control
                // connection is still secured.
                _ => Step::Finish(Ok(secured(greeting.take()))),
            },
            OpKind::ProtectData { stage, login } => match (*stage, c) {
                (TlsStage::Pbsz, 2) => {
                    *stage = TlsStage::Prot;
                    Step::Send(Command::Prot(ProtectionLevel::Private))
                }
                (_, 2) => {
                    self.protection = DataProtection::Private;
                    Step::Finish(Ok(match login.take() {
                        Some(reply) => Outcome::LoggedIn(reply),
                        None => Outcome::DataProtected,
                    }))
                }
                _ => Step::Finish(Err(if c == 3 {
                    unexpected(verb, &reply)
                } else {
                    negative(reply)
                })),
            },
            OpKind::Ccc => {
                if c == 2 {
                    self.pause_for_tls(false);
                    Step::Wait
                } else {
                    Step::Finish(Err(if c == 3 {
                        unexpected(verb, &reply)
                    } else {
                        negative(reply)
                    }))
                }
            }
            OpKind::Rename { to, .. } => match (verb, c) {
                ("RNFR", 3) => Step::Send(Command::Rnto(to.take().unwrap_or_default())),
                ("RNTO", 2) => Step::Finish(Ok(Outcome::Completed(reply))),
                (_, 2 | 3) => Step::Finish(Err(unexpected(verb, &reply))),
                _ => Step::Finish(Err(negative(reply))),
            },
            OpKind::Quit => {
                self.pending_quit_close();
                Step::Finish(Ok(Outcome::Quit))
            }
            OpKind::Transfer(t) => self.transfer_reply(id, t, verb, reply),
        }
    }

    /// After `QUIT`'s reply the session is over: shut once the finish event is out.
    fn pending_quit_close(&mut self) {
        self.quit_pending = true;
    }

    fn raw_side_effects(&mut self, verb: &'static str, code: u16) {
        match (verb, code / 100) {
            ("TYPE", 2) => self.representation = None,
            ("REIN", 2) | ("USER", _) => {
                self.representation = None;
            }
            ("AUTH", 2) if code == 234 => {
                self.representation = None;
                self.pause_for_tls(true);
            }
            ("CCC", 2) => self.pause_for_tls(false),
            ("EPSV", 5) => self.epsv_refused = true,
            _ => {}
        }
    }

    /// The adapter finished the TLS switch the active operation waited for.
    pub(crate) fn op_resumed(&mut self, op: &mut Op) -> Step {
        match &mut op.kind {
            OpKind::AuthTls { stage, .. } if *stage == TlsStage::Handshake => {
                *stage = TlsStage::Pbsz;
                Step::Send(Command::Pbsz(0))
            }
            OpKind::Ccc => Step::Finish(Ok(Outcome::ControlCleared)),
            _ => Step::Wait,
        }
    }

    // ------------------------------------------------------------ transfers

    fn data_setup(&mut self, t: &mut Transfer) -> Step {
        match self.config.data_mode {
            DataConnectionMode::Active { .. } => {
                let id = self.alloc_data();
                self.data = Some(DataState {
                    id,
                    started: false,
                    finished: None,
                    awaiting_listen: true,
                    activity: self.now,
                    foreign_peers: 0,
                });
                t.stage = Stage::Listen;
                self.events
                    .push_back(ClientEvent::Data(DataRequest::Listen {
                        id,
                        ipv6: self.peer.is_ipv6(),
                        protection: self.protection,
                    }));
                Step::Wait
            }
            DataConnectionMode::Passive if !self.epsv_refused => {
                t.stage = Stage::Epsv;
                Step::Send(Command::Epsv(EpsvArgument::Default))
            }
            DataConnectionMode::Passive => self.pasv_or_fail(t, None),
        }
    }

    fn pasv_or_fail(&mut self, t: &mut Transfer, reply: Option<Reply>) -> Step {
        if self.peer.is_ipv4()
            || matches!(self.peer.ip(), IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
        {
            t.stage = Stage::Pasv;
            Step::Send(Command::Pasv)
        } else {
            Step::Finish(Err(ClientError::DataConnection(reply)))
        }
    }

    /// Passive: tell the adapter to connect now, then go on.
    fn connect_to(&mut self, t: &mut Transfer, addr: SocketAddr) -> Step {
        let id = self.alloc_data();
        self.data = Some(DataState {
            id,
            started: false,
            finished: None,
            awaiting_listen: false,
            activity: self.now,
            foreign_peers: 0,
        });
        self.events
            .push_back(ClientEvent::Data(DataRequest::Connect {
                id,
                addr,
                protection: self.protection,
            }));
        self.after_data_ready(t)
    }

    fn after_data_ready(&mut self, t: &mut Transfer) -> Step {
        if t.offset > 0 {
            t.stage = Stage::Rest;
            Step::Send(Command::Rest(t.offset))
        } else {
            t.stage = Stage::Command;
            Step::Send(t.command())
        }
    }

    fn passive_addr(&self, announced: core::net::SocketAddrV4) -> SocketAddr {
        let peer_ip = self.peer.ip();
        let ip = match self.config.passive_address {
            PassiveAddressPolicy::Trust => IpAddr::V4(*announced.ip()),
            PassiveAddressPolicy::UseControlPeer => peer_ip,
            PassiveAddressPolicy::FixUnroutable => {
                if wire::pasv_address_unusable(*announced.ip(), peer_ip) {
                    peer_ip
                } else {
                    IpAddr::V4(*announced.ip())
                }
            }
        };
        SocketAddr::new(ip, announced.port())
    }

    fn transfer_reply(
        &mut self,
        op: OpId,
        t: &mut Transfer,
        verb: &'static str,
        reply: Reply,
    ) -> Step {
        let c = class(&reply);
        if let Some(err) = t.aborted.take() {
            // Aborted while this command was out: whatever it says, stop here
            // (ABOR's own reply is matched separately).
            if c == 1 {
                t.aborted = Some(err);
                return Step::KeepWaiting(verb);
            }
            return Step::Finish(Err(err));
        }
        match t.stage {
            Stage::Type => {
                if c == 2 {
                    self.representation = Some(Representation::Binary);
                    self.data_setup(t)
                } else {
                    Step::Finish(Err(negative_or_unexpected(verb, reply)))
                }
            }
            Stage::Epsv => {
                let port = (c == 2).then(|| wire::epsv_port(reply.text())).flatten();
                match port {
                    Some(port) => self.connect_to(t, SocketAddr::new(self.peer.ip(), port)),
                    // 5yz or unparseable: PASV from now on (RFC 2428 §3: EPSV may be refused).
                    None if c == 5 || c == 2 => {
                        self.epsv_refused = true;
                        self.pasv_or_fail(t, Some(reply))
                    }
                    None => Step::Finish(Err(negative_or_unexpected(verb, reply))),
                }
            }
            Stage::Pasv => {
                let text = reply.text();
                if c != 2 {
                    return Step::Finish(Err(negative_or_unexpected(verb, reply)));
                }
                if let Some(a) = wire::pasv_address(text) {
                    let addr = self.passive_addr(a);
                    self.connect_to(t, addr)
                } else if let Some(port) = wire::epsv_port(text) {
                    self.connect_to(t, SocketAddr::new(self.peer.ip(), port))
                } else {
                    Step::Finish(Err(unexpected(verb, &reply)))
                }
            }
            Stage::Listen => Step::Wait,
            Stage::Port => {
                if c == 2 {
                    self.after_data_ready(t)
                } else {
                    Step::Finish(Err(negative_or_unexpected(verb, reply)))
                }
            }
            Stage::Rest => {
                if c == 3 {
                    t.stage = Stage::Command;
                    Step::Send(t.command())
                } else {
                    Step::Finish(Err(negative_or_unexpected(verb, reply)))
                }
            }
            Stage::Command => self.transfer_command_reply(op, t, verb, reply),
        }
    }

    fn start_transfer(&mut self, op: OpId, t: &Transfer, size_hint: Option<u64>) {
        let Some(d) = self.data.as_mut() else { return };
        if d.started {
            return;
        }
        d.started = true;
        d.activity = self.now;
        let id = d.id;
        self.keepalive_at = self.config.keepalive.map(|k| self.now + k);
        let representation = match t.representation() {
            Some(r) => r,
            None => self.representation.unwrap_or(Representation::Ascii),
        };
        self.events.push_back(ClientEvent::Transfer(TransferStart {
            op,
            id,
            direction: t.direction(),
            representation,
            protection: self.protection,
            offset: t.offset,
            size_hint,
        }));
    }

    fn transfer_command_reply(
        &mut self,
        op: OpId,
        t: &mut Transfer,
        verb: &'static str,
        reply: Reply,
    ) -> Step {
        let c = class(&reply);
        let code = reply.code().as_u16();
        match c {
            1 => {
                let text = reply.text();
                if t.preliminary {
                    // At most one 1yz per command (RFC 959 §4.2); ignore more.
                    return Step::KeepWaiting(verb);
                }
                t.preliminary = true;
                if t.kind == TransferKind::StoreUnique {
                    t.unique_name = wire::stou_name(reply.joined_text(), text);
                }
                let hint = wire::size_hint(text);
                self.events
                    .push_back(ClientEvent::Preliminary { op, reply });
                self.start_transfer(op, t, hint);
                Step::KeepWaiting(verb)
            }
            2 => {
                if !t.preliminary && !t.early_2yz && code != 226 && code != 250 {
                    // A stray 2yz before the 1yz (Python's ftplib tolerates one); read one more.
                    t.early_2yz = true;
                    return Step::KeepWaiting(verb);
                }
                self.start_transfer(op, t, None);
                t.final_reply = Some(reply);
                self.transfer_maybe_done(t)
            }
            _ => {
                // Refused or failed: the data connection is useless now.
                if matches!(t.kind, TransferKind::List(_) | TransferKind::Nlst)
                    && !t.preliminary
                    && (code == 450 || (code == 550 && t.path.is_none()))
                {
                    // An empty directory, answered 450 (or 550 without a path).
                    return Step::Finish(Ok(listing_outcome(t)));
                }
                if c == 3 {
                    return Step::Finish(Err(unexpected(verb, &reply)));
                }
                Step::Finish(Err(negative(reply)))
            }
        }
    }

    /// Ends the transfer if both the final reply and the data end are in.
    fn transfer_maybe_done(&mut self, t: &mut Transfer) -> Step {
        let Some(finished) = self.data.as_ref().map(|d| d.finished) else {
            return Step::Finish(Err(ClientError::DataConnection(t.final_reply.take())));
        };
        match (finished, t.final_reply.take()) {
            (Some(true), Some(reply)) => {
                if t.listing.is_some() {
                    if let Some(l) = t.listing.as_mut() {
                        l.finish();
                    }
                    if t.listing.as_ref().is_some_and(|l| l.overflow) {
                        return Step::Finish(Err(ClientError::ListingTooLarge));
                    }
                    return Step::Finish(Ok(listing_outcome(t)));
                }
                Step::Finish(Ok(Outcome::Transferred {
                    reply,
                    unique_name: t.unique_name.take(),
                }))
            }
            (Some(false), Some(reply)) => {
                Step::Finish(Err(ClientError::DataConnection(Some(reply))))
            }
            (_, reply) => {
                t.final_reply = reply;
                Step::Wait
            }
        }
    }

    /// The adapter reported the data connection's end (`ok`: clean EOF).
    pub(crate) fn op_data_end(&mut self, op: &mut Op, ok: bool) -> Step {
        let OpKind::Transfer(t) = &mut op.kind else {
            return Step::Wait;
        };
        if t.final_reply.is_some() {
            return self.transfer_maybe_done(t);
        }
        if !ok && t.stage == Stage::Listen {
            // Active mode: the adapter could not listen; nothing is in flight.
            return Step::Finish(Err(ClientError::DataConnection(None)));
        }
        // A command is in flight; its reply decides.
        Step::Wait
    }

    /// Active mode: the adapter listens on `addr`; announce it.
    pub(crate) fn op_listening(&mut self, op: &mut Op, addr: SocketAddr) -> Step {
        let OpKind::Transfer(t) = &mut op.kind else {
            return Step::Wait;
        };
        if t.stage != Stage::Listen {
            return Step::Wait;
        }
        t.stage = Stage::Port;
        let always_eprt = matches!(
            self.config.data_mode,
            DataConnectionMode::Active { always_eprt: true }
        );
        match addr {
            SocketAddr::V4(v4) if !always_eprt => Step::Send(Command::Port(v4)),
            other => Step::Send(Command::Eprt(other)),
        }
    }

    /// Aborts the active transfer (`abort_op`: the abort operation waiting).
    pub(crate) fn op_abort(
        &mut self,
        op: &mut Op,
        abort_op: Option<OpId>,
        err: ClientError,
    ) -> Step {
        let OpKind::Transfer(t) = &mut op.kind else {
            return Step::Wait;
        };
        t.abort_op = abort_op;
        let in_flight = self
            .inflight
            .iter()
            .any(|f| f.role == super::session::Role::Op);
        // Drop the data connection now; data arriving after ABOR is discarded.
        self.close_data();
        if !in_flight {
            // Listening or draining after the final reply: just stop.
            return Step::Finish(Err(err));
        }
        if t.stage == Stage::Command {
            self.send_abor(abort_op);
            // The abort operation now ends with ABOR's reply, not with the transfer.
            t.abort_op = None;
        }
        t.aborted = Some(err);
        // The in-flight command stays where it is; its reply ends the transfer.
        Step::Wait
    }
}

fn negative_or_unexpected(verb: &'static str, reply: Reply) -> ClientError {
    if class(&reply) >= 4 {
        negative(reply)
    } else {
        unexpected(verb, &reply)
    }
}

fn listing_outcome(t: &mut Transfer) -> Outcome {
    let Some(l) = t.listing.take() else {
        return Outcome::Listing {
            entries: super::listing::Listing::default(),
            skipped: 0,
        };
    };
    if t.kind == TransferKind::Nlst {
        Outcome::Names(l.names)
    } else {
        Outcome::Listing {
            entries: l.entries,
            skipped: l.skipped,
        }
    }
}

/// The path of a `257` reply, sharing the reply's buffer unless quotes
/// had to be undoubled.
fn path_257(reply: &Reply) -> Option<Bytes> {
    let raw = reply.joined_text();
    Some(match crate::path::parse_257(reply.text())? {
        Cow::Borrowed(p) if raw.as_ptr_range().contains(&p.as_ptr()) => raw.slice_ref(p),
        p => Bytes::from(p.into_owned()),
    })
}

fn parse_single(parse: Parse, verb: &'static str, reply: Reply) -> Result<Outcome, ClientError> {
    let text = reply.text();
    match parse {
        Parse::Completed => Ok(Outcome::Completed(reply)),
        Parse::Path => match path_257(&reply) {
            Some(p) => Ok(Outcome::Path(p)),
            None => Err(unexpected(verb, &reply)),
        },
        Parse::Mkd => match path_257(&reply) {
            Some(p) => Ok(Outcome::Path(p)),
            None => Ok(Outcome::Created(reply)),
        },
        Parse::System => Ok(Outcome::System(reply.joined_text().slice_ref(text))),
        Parse::Size => core::str::from_utf8(text)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Outcome::Size)
            .ok_or_else(|| unexpected(verb, &reply)),
        Parse::Modified => {
            let t = text.split(|&b| b == b' ').next().unwrap_or(&[]);
            Timestamp::parse_ftp(t)
                .map(Outcome::Modified)
                .map_err(|_| unexpected(verb, &reply))
        }
        Parse::Mlst => {
            let raw = reply.joined_text();
            // The fact line is the body line starting with one space.
            let entry = raw
                .split(|&b| b == b'\n')
                .skip(1)
                .find(|l| l.first() == Some(&b' '))
                .and_then(|l| wire::parse_mlsx(&raw.slice_ref(l.get(1..).unwrap_or(&[]))));
            match entry {
                Some(e) => Ok(Outcome::Entry(e)),
                None => Err(unexpected(verb, &reply)),
            }
        }
    }
}
