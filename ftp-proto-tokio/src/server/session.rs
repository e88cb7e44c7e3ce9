//! One control connection: a task that drives a [`ServerSession`] over the
//! socket, answers its requests with the authenticator and the storage,
//! and performs its data connections and transfers.
//!
//! The control connection itself (reading into the engine while it wants
//! input, writing its frames, its timer, the TLS swap) is the shared
//! [`Driver`](crate::driver::Driver), the same loop the client runs. This
//! module adds what is the server's own: it follows the engine's drain
//! contract (frames, then events, then the deadline) and waits on
//! everything at once with `select!`: the driver's next input (control
//! bytes or the engine's timer), the one outstanding storage or login
//! request, a passive accept, an active connect, the running transfer (its
//! own task, so a transfer never blocks ABOR/STAT/QUIT), and the server's
//! shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ftp_proto::data::DataId;
use ftp_proto::server::{
    Answer, DataAction, Denial, Request, RequestKind, ServerEvent, ServerSession, TransferOutcome,
    TransferStart,
};
use ftp_proto::{Instant, Session};
use ftp_proto_std::server::PassiveClaim;
use ftp_proto_std::serving::{self, PlannedTransfer, TransferLabel};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tracing::Instrument;

use super::Shared;
use super::backend::{self, Answered, OpenedFile, StorageFactory};
use super::control::ControlStream;
use super::data;
use super::transfer::{self, ThreadTransfer, TransferHandle};
use crate::auth::{Authenticator, Permissions};
use crate::driver::{Clock, Driver, Input, Transport};
use crate::storage::Storage;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What a request future hands back.
enum Reply<S: Storage> {
    Fs(Request, Answered<S>),
    /// With the storage and rights of an accepted login.
    Login(Request, Answer, Option<(Arc<S>, Permissions)>),
}

/// The running transfer of the session (at most one).
struct Running {
    id: DataId,
    handle: TransferHandle,
    stream_tx: Option<oneshot::Sender<TcpStream>>,
    /// A `PROT P` transfer's TLS handshake report (resumed or not).
    tls_report: Option<oneshot::Receiver<bool>>,
    /// Where the engine's verdict on that handshake goes.
    tls_verdict: Option<oneshot::Sender<bool>>,
    progress: Arc<AtomicU64>,
    label: TransferLabel,
}

/// What woke the loop up.
enum Wake<S: Storage> {
    Control(io::Result<Input>),
    Answer(Reply<S>),
    Accepted(io::Result<(TcpStream, SocketAddr)>),
    Connected(io::Result<TcpStream>),
    TransferEnded(Option<TransferOutcome>),
    TlsHandshake(Result<bool, oneshot::error::RecvError>),
    Shutdown,
}

/// Awaits `f` if there is one, else never completes.
async fn maybe<F: Future + Unpin>(f: Option<&mut F>) -> F::Output {
    match f {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn maybe_accept(l: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// The server side of one control connection: the shared driver plus
/// what is in flight for it.
pub(crate) struct SessionTask<A: Authenticator, F: StorageFactory> {
    shared: Arc<Shared<A, F>>,
    driver: Driver<ServerSession, Transport<ControlStream>>,
    shutdown: watch::Receiver<bool>,
    shutdown_seen: bool,

    storage: Option<Arc<F::Storage>>,
    /// The logged-in user's rights ([`Permissions::NONE`] before a login).
    permissions: Permissions,
    pending: Option<BoxFuture<Reply<F::Storage>>>,
    opened: Option<OpenedFile<F::Storage>>,

    /// A passive listener, with its place among the client address's.
    listener: Option<(DataId, TcpListener, PassiveClaim)>,
    connecting: Option<(DataId, BoxFuture<io::Result<TcpStream>>)>,
    data_conn: Option<(DataId, TcpStream)>,
    running: Option<Running>,
}

impl<A: Authenticator, F: StorageFactory> SessionTask<A, F> {
    /// `clock` is the one `engine` was created with.
    pub(crate) fn new(
        shared: Arc<Shared<A, F>>,
        engine: ServerSession,
        control: Transport<ControlStream>,
        clock: Clock,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            shared,
            driver: Driver::new(engine, control, clock),
            shutdown,
            shutdown_seen: false,
            storage: None,
            permissions: Permissions::NONE,
            pending: None,
            opened: None,
            listener: None,
            connecting: None,
            data_conn: None,
            running: None,
        }
    }

    fn now(&self) -> Instant {
        self.driver.now()
    }

    fn engine(&mut self) -> &mut ServerSession {
        self.driver.session_mut()
    }

    /// Runs the session to its end.
    pub(crate) async fn run(mut self) {
        tracing::info!("connected");
        if *self.shutdown.borrow() {
            self.begin_shutdown();
        }
        loop {
            self.report_progress();
            // 1. frames, 2. events (each may produce more frames).
            self.flush().await;
            if let Some(event) = self.engine().poll_event() {
                self.on_event(event).await;
                continue;
            }
            if self.driver.session().is_closed() {
                break;
            }
            self.deliver_data_connection();
            // 3. the deadline, 4. wait.
            let wake = self.wait().await;
            self.on_wake(wake).await;
        }
        self.finish().await;
    }

    /// Tells the engine how many bytes the running transfer moved.
    fn report_progress(&mut self) {
        if let Some(r) = &self.running {
            let (id, moved) = (r.id, r.progress.load(Ordering::Relaxed));
            let _ = self.engine().transfer_progress(id, moved);
        }
    }

    /// Writes every queued frame within the write timeout. A control
    /// connection that fails (or a client that stops reading) counts as
    /// gone: the engine is told, and later frames are dropped.
    async fn flush(&mut self) {
        if self.driver.is_broken() {
            let _ = self.driver.flush().await; // drops the frames
            return;
        }
        let flush = tokio::time::timeout(self.shared.write_timeout, self.driver.flush());
        if !matches!(flush.await, Ok(Ok(()))) {
            self.driver.mark_broken();
            let now = self.now();
            self.engine().handle_eof(now);
        }
    }

    async fn wait(&mut self) -> Wake<F::Storage> {
        let Self {
            driver,
            pending,
            listener,
            connecting,
            running,
            shutdown,
            shutdown_seen,
            ..
        } = self;
        let (transfer, tls_report) = match running.as_mut() {
            Some(r) => (Some(&mut r.handle), r.tls_report.as_mut()),
            None => (None, None),
        };
        tokio::select! {
            r = driver.input_unprocessed() => Wake::Control(r),
            r = maybe(pending.as_mut()) => Wake::Answer(r),
            r = maybe_accept(listener.as_ref().map(|(_, l, _)| l)) => Wake::Accepted(r),
            r = maybe(connecting.as_mut().map(|(_, f)| f)) => Wake::Connected(r),
            r = maybe(transfer) => Wake::TransferEnded(r),
            r = maybe(tls_report) => Wake::TlsHandshake(r),
            _ = shutdown.changed(), if !*shutdown_seen => Wake::Shutdown,
        }
    }

    async fn on_wake(&mut self, wake: Wake<F::Storage>) {
        let now = self.now();
        match wake {
            // EOF and the timer went into the engine already; bytes are
            // processed once the engine knows how far a transfer got (for
            // a STAT among them).
            Wake::Control(Ok(Input::Read(_))) => {
                self.report_progress();
                self.engine().process_input(now);
            }
            Wake::Control(Ok(_)) => {}
            Wake::Control(Err(e)) => {
                tracing::debug!(error = %e, "control connection read failed");
                self.engine().handle_eof(now);
            }
            Wake::Answer(reply) => {
                self.pending = None;
                self.on_reply(reply, now);
            }
            Wake::Accepted(result) => {
                let Some((id, _, _)) = self.listener.take() else {
                    return;
                };
                match result {
                    Ok((stream, remote)) => {
                        if self.engine().data_connected(now, id, remote).is_ok() {
                            let _ = stream.set_nodelay(true);
                            self.data_conn = Some((id, stream));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "passive accept failed"),
                }
            }
            Wake::Connected(result) => {
                let Some((id, _)) = self.connecting.take() else {
                    return;
                };
                match result {
                    Ok(stream) => {
                        let remote = stream.peer_addr();
                        match remote {
                            Ok(remote) if self.engine().data_connected(now, id, remote).is_ok() => {
                                self.data_conn = Some((id, stream));
                            }
                            _ => {
                                self.fail_transfer(id, TransferOutcome::NeverConnected)
                                    .await
                            }
                        }
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "active data connection failed");
                        self.fail_transfer(id, TransferOutcome::NeverConnected)
                            .await;
                    }
                }
            }
            Wake::TransferEnded(result) => {
                let Some(r) = self.running.take() else {
                    return;
                };
                let outcome = result.unwrap_or(TransferOutcome::LocalError);
                r.label.log_end(outcome, &r.progress);
                let _ = self.engine().transfer_done(now, r.id, outcome);
            }
            Wake::TlsHandshake(report) => {
                let Some(r) = self.running.as_mut() else {
                    return;
                };
                r.tls_report = None;
                let (id, verdict) = (r.id, r.tls_verdict.take());
                // The engine decides (session reuse policy); a transfer it
                // no longer knows is refused.
                let go = match report {
                    Ok(resumed) => self
                        .engine()
                        .data_secured(now, id, resumed)
                        .unwrap_or(false),
                    Err(_) => false,
                };
                if let Some(v) = verdict {
                    let _ = v.send(go);
                }
            }
            Wake::Shutdown => self.begin_shutdown(),
        }
    }

    /// The engine lets a running transfer finish and aborts it at the end
    /// of the grace period (its `shutdown_grace` timer).
    fn begin_shutdown(&mut self) {
        self.shutdown_seen = true;
        let now = self.now();
        self.engine().shutdown(now);
    }

    /// Ends a transfer that never got its data connection.
    async fn fail_transfer(&mut self, id: DataId, outcome: TransferOutcome) {
        if let Some(mut r) = self.running.take_if(|r| r.id == id) {
            // Without its data connection a transfer thread ends at once.
            r.stream_tx = None;
            r.handle.abort();
            let _ = (&mut r.handle).await;
            r.label.log_end(outcome, &r.progress);
            let now = self.now();
            let _ = self.engine().transfer_done(now, id, outcome);
        }
    }

    /// Hands an established data connection to the transfer waiting for it.
    fn deliver_data_connection(&mut self) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        if r.stream_tx.is_none() || self.data_conn.as_ref().is_none_or(|(id, _)| *id != r.id) {
            return;
        }
        if let (Some(tx), Some((_, stream))) = (r.stream_tx.take(), self.data_conn.take()) {
            let _ = tx.send(stream);
        }
    }

    fn on_reply(&mut self, reply: Reply<F::Storage>, now: Instant) {
        let (request, answer) = match reply {
            Reply::Fs(request, answered) => {
                self.opened = answered.opened;
                (request, answered.answer)
            }
            Reply::Login(request, answer, login) => {
                let (storage, permissions) = login.unzip();
                self.storage = storage;
                self.permissions = permissions.unwrap_or(Permissions::NONE);
                (request, answer)
            }
        };
        if let Err(e) = self.engine().answer(now, request, answer) {
            // A late answer (the engine's answer timeout failed the command
            // already) or a bug: either way no transfer follows, so a file
            // opened for it is closed now.
            self.opened = None;
            tracing::warn!(error = %e.kind, "the engine refused an answer");
        }
    }

    async fn on_event(&mut self, event: ServerEvent) {
        serving::log_event(&event);
        match event {
            ServerEvent::Request(request) => self.start_request(request),
            ServerEvent::Data(action) => self.on_data_action(action),
            ServerEvent::Transfer(start) => self.start_transfer(start),
            ServerEvent::Abort { id, .. } => {
                self.drop_data(id);
                if let Some(mut r) = self.running.take_if(|r| r.id == id) {
                    r.stream_tx = None;
                    let outcome = r.handle.finish_or_abort().await;
                    r.label.log_end(outcome, &r.progress);
                    if !self.engine().is_closed() {
                        let now = self.now();
                        let _ = self.engine().transfer_done(now, id, outcome);
                    }
                }
            }
            ServerEvent::UpgradeTls { .. } => {
                self.upgrade_tls().await;
            }
            ServerEvent::DowngradeTls { .. } => self.downgrade_tls().await,
            _ => {}
        }
    }

    async fn upgrade_tls(&mut self) {
        let Some(tls) = self.shared.tls.clone() else {
            let now = self.now();
            let _ = self.engine().tls_failed(now);
            return;
        };
        #[cfg(feature = "tls")]
        {
            let handshake = self
                .driver
                .transport_mut()
                .upgrade_server(super::tls::acceptor(&tls));
            let ok = matches!(
                tokio::time::timeout(self.shared.handshake_timeout, handshake).await,
                Ok(Ok(()))
            );
            let now = self.now();
            if ok {
                tracing::debug!("control connection secured");
                let _ = self.engine().tls_established(now);
            } else {
                tracing::info!("control TLS handshake failed");
                self.driver.mark_broken();
                let _ = self.engine().tls_failed(now);
            }
        }
        #[cfg(not(feature = "tls"))]
        match tls {}
    }

    /// After `CCC`'s `200` (or REIN's `220`) went out under TLS: our
    /// `close_notify`, the client's (or its first clear-text bytes), then
    /// clear text on the same TCP connection.
    async fn downgrade_tls(&mut self) {
        #[cfg(feature = "tls")]
        let cleared = {
            let shutdown = self.driver.transport_mut().downgrade_from_client();
            match tokio::time::timeout(self.shared.handshake_timeout, shutdown).await {
                Ok(Ok(clear)) => Some(clear),
                _ => None,
            }
        };
        #[cfg(not(feature = "tls"))]
        let cleared: Option<Vec<u8>> = None;
        let now = self.now();
        if let Some(clear) = cleared {
            tracing::debug!("control connection cleared");
            let engine = self.engine();
            let _ = engine.tls_cleared(now);
            if !clear.is_empty() {
                // The start of the client's next command, read while
                // looking for its close_notify.
                engine.input_buffer().extend_from_slice(&clear);
                engine.process_input(now);
            }
        } else {
            tracing::info!("control TLS shutdown failed");
            self.driver.mark_broken();
            let _ = self.engine().tls_failed(now);
        }
    }

    fn start_request(&mut self, request: Request) {
        // The login-stage requests are the embedder's decisions: the
        // authenticator, and this server's fixed policy for the others.
        if let RequestKind::Login { .. } = request.kind() {
            let shared = Arc::clone(&self.shared);
            let peer = self.driver.session().peer().ip();
            self.pending = Some(Box::pin(login(shared, peer, request)));
            return;
        }
        let now_answer = serving::policy_answer(request.kind(), &self.permissions);
        // The engine asks about files only after a login, which gave a
        // storage; the refusal below is a defence, not a path in use.
        let storage = self.storage.clone();
        let (Some(storage), None) = (storage, &now_answer) else {
            let answer =
                now_answer.unwrap_or(Answer::Error(ftp_proto::server::FsError::PermissionDenied));
            let answered = Answered {
                answer,
                opened: None,
            };
            self.pending = Some(Box::pin(std::future::ready(Reply::Fs(request, answered))));
            return;
        };
        let max_listing_bytes = self.shared.engine.limits.max_listing_bytes;
        let in_place = self.shared.in_place_uploads;
        let permissions = self.permissions;
        self.pending = Some(Box::pin(async move {
            let answered = backend::answer(
                &*storage,
                request.kind(),
                max_listing_bytes,
                in_place,
                &permissions,
            )
            .await;
            Reply::Fs(request, answered)
        }));
    }

    fn on_data_action(&mut self, action: DataAction) {
        let now = self.now();
        match action {
            DataAction::Listen { id, ip } => {
                self.drop_data(id);
                let peer = self.driver.session().peer().ip();
                let bound = self
                    .shared
                    .passive
                    .bind(peer, || {
                        data::bind_passive(ip, self.shared.passive_ports.as_ref())
                    })
                    .and_then(|(l, claim)| Ok((l.local_addr()?, l, claim)));
                match bound {
                    Ok((addr, listener, claim)) => {
                        self.listener = Some((id, listener, claim));
                        let _ = self.engine().data_listening(now, id, Ok(addr));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, %ip, "cannot bind a passive port");
                        let _ = self.engine().data_listening(now, id, Err(()));
                    }
                }
            }
            DataAction::Connect { id, addr } => {
                let local = self.engine().local().ip();
                self.connecting = Some((id, Box::pin(data::connect_active(local, addr))));
            }
            DataAction::Close { id } => self.drop_data(id),
            _ => {}
        }
    }

    /// Drops the listener, connect or idle connection of setup `id`.
    fn drop_data(&mut self, id: DataId) {
        if self.listener.as_ref().is_some_and(|(l, _, _)| *l == id) {
            self.listener = None;
        }
        if self.connecting.as_ref().is_some_and(|(c, _)| *c == id) {
            self.connecting = None;
        }
        if self.data_conn.as_ref().is_some_and(|(c, _)| *c == id) {
            self.data_conn = None;
        }
    }

    fn start_transfer(&mut self, start: TransferStart) {
        let id = start.id;
        let opened = self.opened.take();
        let cwd = self.driver.session().cwd();
        let tls = self.shared.tls.as_ref();
        let planned = serving::plan_transfer(start, opened, cwd, tls, self.permissions);
        let Ok(PlannedTransfer { label, job, tls }) = planned else {
            let now = self.now();
            let _ = self
                .engine()
                .transfer_done(now, id, TransferOutcome::LocalError);
            return;
        };
        // A `PROT P` transfer reports its handshake and waits for the verdict.
        let (tls, tls_report, tls_verdict) = match tls {
            Some(tls) => {
                let (report_tx, report_rx) = oneshot::channel::<bool>();
                let (verdict_tx, verdict_rx) = oneshot::channel::<bool>();
                let check = data::TlsCheck {
                    resumed: report_tx,
                    verdict: verdict_rx,
                };
                (Some((tls, check)), Some(report_rx), Some(verdict_tx))
            }
            None => (None, None, None),
        };
        let (tx, rx) = oneshot::channel::<TcpStream>();
        let progress = Arc::new(AtomicU64::new(0));
        let span = label.span(id);
        let limits = ftp_proto_std::transfer::Limits {
            handshake: self.shared.handshake_timeout,
            stall: self.shared.data_stall_timeout,
        };
        let handle = match transfer::blocking_job::<F::Storage>(job, &self.shared.transfer_threads)
        {
            Ok((job, permit)) => {
                let started = transfer::spawn_thread(ThreadTransfer {
                    job,
                    permit,
                    stream: rx,
                    tls,
                    progress: Arc::clone(&progress),
                    limits,
                    span,
                });
                match started {
                    Ok(handle) => handle,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot start a transfer thread");
                        let now = self.now();
                        let _ = self
                            .engine()
                            .transfer_done(now, id, TransferOutcome::LocalError);
                        return;
                    }
                }
            }
            Err(job) => {
                let counter = Arc::clone(&progress);
                TransferHandle::Task(tokio::spawn(
                    async move {
                        let Ok(stream) = rx.await else {
                            return TransferOutcome::NeverConnected;
                        };
                        let (tls, check) = tls.unzip();
                        data::run(stream, tls.as_ref().zip(check), job, &counter, limits).await
                    }
                    .instrument(span),
                ))
            }
        };
        self.running = Some(Running {
            id,
            handle,
            stream_tx: Some(tx),
            tls_report,
            tls_verdict,
            progress,
            label,
        });
    }

    /// After the engine closed: last frames, TLS close, every data task stopped.
    async fn finish(mut self) {
        self.flush().await;
        if let Some(mut r) = self.running.take() {
            r.stream_tx = None;
            r.handle.abort();
            // The stopped transfer drops its upload, which removes an
            // uncommitted temporary file: waited for, briefly, so that a
            // server whose sessions have all ended leaves none behind.
            let _ = tokio::time::timeout(transfer::END_WAIT, &mut r.handle).await;
        }
        let close = tokio::time::timeout(self.shared.handshake_timeout, self.driver.shutdown());
        let _ = close.await;
    }
}

async fn login<A: Authenticator, F: StorageFactory>(
    shared: Arc<Shared<A, F>>,
    peer: std::net::IpAddr,
    request: Request,
) -> Reply<F::Storage> {
    let RequestKind::Login { user, password, .. } = request.kind() else {
        return Reply::Login(request, Answer::Denied(Denial::NotAllowed), None);
    };
    if let Some(banned) = serving::banned_login(&shared.bans, peer, user) {
        return Reply::Login(request, banned, None);
    }
    let identity = match shared.auth.authenticate(user, password.expose()).await {
        Ok(identity) => identity,
        Err(e) => {
            let answer = serving::login_failed(&shared.bans, peer, user, &e);
            return Reply::Login(request, answer, None);
        }
    };
    match shared.factory.storage_for(&identity).await {
        Ok(storage) => {
            serving::login_accepted(user, &identity);
            Reply::Login(
                request,
                Answer::LoggedIn { home: None },
                Some((Arc::new(storage), identity.permissions)),
            )
        }
        Err(e) => {
            let answer = serving::storage_unavailable(&identity, &e);
            Reply::Login(request, answer, None)
        }
    }
}
