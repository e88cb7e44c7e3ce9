//! One control connection: the session thread drives a [`ServerSession`]
//! and answers its requests with the authenticator and the storage.
//!
//! # Threads of a session (the bound)
//! - the **session thread** (this module): owns the engine, writes replies,
//!   answers requests (storage and login calls run here; the engine reads
//!   no further command while one is outstanding, so nothing waits on it
//!   but the engine's own timers, which it checks after the call);
//! - the **reader thread** ([`control`](super::control)): reads the control
//!   socket, one chunk at a time, into the session's channel;
//! - at most one **transfer thread** for the running transfer, and at most
//!   one short-lived **data helper** (a passive accept or an active
//!   connect). An aborted transfer thread is waited for up to 2 s: its
//!   socket is shut down so it ends at once (and its abandoned upload is
//!   removed before the reply), unless it is blocked in the storage.
//!
//! So a session runs 2 threads idle and 3 or 4 during a transfer. The
//! session thread blocks on one channel with `recv_timeout` up to the
//! engine's next deadline (clamped to at least 1 ms), so ABOR, STAT, QUIT,
//! idle timeouts and the server's shutdown are all seen during a transfer.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use ftp_proto::data::DataId;
use ftp_proto::server::{
    Answer, DataAction, Denial, FsError, Request, RequestKind, ServerEvent, ServerSession,
    TransferOutcome, TransferStart,
};
use ftp_proto::{Instant, Session};

use super::backend::{self, OpenedFile, StorageFactory};
use super::control::{Control, Fed};
use super::data;
use super::{PassiveClaim, Shared};
use crate::auth::{Authenticator, Permissions};
use crate::serving::{self, PlannedTransfer, TransferLabel};
use crate::transfer::{self, Stopper};

/// Longest wait for a stopped transfer thread to end.
const TRANSFER_END_WAIT: Duration = Duration::from_secs(2);

/// What wakes the session thread.
#[derive(Debug)]
pub(crate) enum Msg {
    /// Raw control bytes from the reader thread.
    Input(Vec<u8>),
    /// The control connection's reading side ended.
    Eof,
    /// The passive listener of a setup accepted (or failed).
    Accepted(DataId, io::Result<(TcpStream, SocketAddr)>),
    /// The active connect of a setup finished.
    Connected(DataId, io::Result<TcpStream>),
    /// The transfer thread of a setup ended (its outcome is in its handle).
    TransferEnded(DataId),
    /// The TLS handshake of transfer `DataId`'s data connection finished
    /// (`bool`: it resumed the control connection's session); the engine's
    /// verdict goes back on the sender (`true`: go on).
    Secured(DataId, bool, SyncSender<bool>),
    /// The server is shutting down.
    Shutdown,
}

/// The transfer thread of the session (at most one).
struct Running {
    id: DataId,
    handle: JoinHandle<TransferOutcome>,
    stream_tx: Option<SyncSender<TcpStream>>,
    stopper: Arc<Stopper>,
    progress: Arc<AtomicU64>,
    label: TransferLabel,
}

impl Running {
    /// Stops the transfer thread and waits, up to [`TRANSFER_END_WAIT`],
    /// for it to end: a stopped transfer ends at once (its socket is shut
    /// down) and drops its upload, which removes an uncommitted temporary
    /// file. One blocked in the storage is left to end on its own.
    fn stop(&mut self) {
        self.stream_tx = None;
        self.stopper.stop();
        let until = std::time::Instant::now() + TRANSFER_END_WAIT;
        while !self.handle.is_finished() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A passive listener whose accept thread is running.
struct Listening {
    id: DataId,
    addr: SocketAddr,
    cancelled: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    /// Its place among the client address's listeners.
    _claim: PassiveClaim,
}

impl Listening {
    /// Ends the accept thread: flag, then a connection to wake `accept`,
    /// then waits for the thread, so the port is free when this returns (a
    /// `PASV` right after `ABOR` may need it again).
    fn cancel(self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
            let _ = self.thread.join();
        }
    }
}

pub(crate) struct Driver<A: Authenticator, F: StorageFactory> {
    shared: Arc<Shared<A, F>>,
    engine: ServerSession,
    control: Control,
    rx: Receiver<Msg>,
    tx: Sender<Msg>,
    origin: std::time::Instant,
    shutdown_seen: bool,
    handshake_until: Option<std::time::Instant>,
    eof_delivered: bool,

    storage: Option<Arc<F::Storage>>,
    /// The logged-in user's rights ([`Permissions::NONE`] before a login).
    permissions: Permissions,
    opened: Option<OpenedFile<F::Storage>>,

    listener: Option<Listening>,
    connecting: Option<DataId>,
    data_conn: Option<(DataId, TcpStream)>,
    running: Option<Running>,
}

impl<A: Authenticator, F: StorageFactory> Driver<A, F> {
    pub(crate) fn new(
        shared: Arc<Shared<A, F>>,
        control: Control,
        (tx, rx): (Sender<Msg>, Receiver<Msg>),
        peer: SocketAddr,
        local: SocketAddr,
        origin: std::time::Instant,
    ) -> Self {
        let now = Instant::from_duration(origin.elapsed());
        let engine = ServerSession::new(now, Arc::clone(&shared.engine), peer, local);
        control.set_write_timeout(shared.write_timeout);
        Self {
            shared,
            engine,
            control,
            rx,
            tx,
            origin,
            shutdown_seen: false,
            handshake_until: None,
            eof_delivered: false,
            storage: None,
            permissions: Permissions::NONE,
            opened: None,
            listener: None,
            connecting: None,
            data_conn: None,
            running: None,
        }
    }

    fn now(&self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    /// Tells the engine how many bytes the running transfer moved.
    fn report_progress(&mut self) {
        if let Some(r) = &self.running {
            let moved = r.progress.load(Ordering::Relaxed);
            let _ = self.engine.transfer_progress(r.id, moved);
        }
    }

    /// Runs the session to its end.
    pub(crate) fn run(mut self, shutting_down: bool) {
        tracing::info!("connected");
        if shutting_down {
            self.begin_shutdown();
        }
        loop {
            self.report_progress();
            // 1. frames, 2. events (each may produce more frames).
            if !self.flush() {
                let now = self.now();
                self.engine.handle_eof(now);
            }
            if let Some(event) = self.engine.poll_event() {
                self.on_event(event);
                continue;
            }
            if self.engine.is_closed() {
                break;
            }
            self.deliver_data_connection();
            // Input already here that the engine can take now.
            let now = self.now();
            match self.control.feed(&mut self.engine, now) {
                Fed::Idle => {}
                Fed::Progressed => continue,
                Fed::Secured => {
                    self.handshake_until = None;
                    tracing::debug!("control connection secured");
                    let _ = self.engine.tls_established(now);
                    continue;
                }
                Fed::Cleared => {
                    self.handshake_until = None;
                    tracing::debug!("control connection cleared");
                    let _ = self.engine.tls_cleared(now);
                    continue;
                }
                Fed::TlsFailed => {
                    self.tls_failed();
                    continue;
                }
            }
            if self.control.eof && !self.eof_delivered && !self.control.has_stash() {
                self.eof_delivered = true;
                self.engine.handle_eof(now);
                continue;
            }
            // 3. the deadline, 4. wait.
            let msg = self.wait();
            self.on_msg(msg);
        }
        self.finish();
    }

    /// Writes every queued frame; `false` when the control connection failed.
    fn flush(&mut self) -> bool {
        let mut ok = true;
        while let Some(frame) = self.engine.poll_transmit() {
            if ok && !self.control.broken && self.control.write(&frame).is_err() {
                ok = false;
            }
        }
        ok
    }

    /// The earliest of the engine's deadline (the shutdown grace included)
    /// and the TLS handshake's, as a wait from now (at least 1 ms).
    fn wait(&mut self) -> Option<Msg> {
        let origin = self.origin;
        let deadlines = [
            self.engine.poll_timeout().map(|d| origin + d.as_duration()),
            self.handshake_until,
        ];
        match deadlines.into_iter().flatten().min() {
            None => self.rx.recv().ok(),
            Some(deadline) => {
                let wait = deadline
                    .saturating_duration_since(std::time::Instant::now())
                    .max(Duration::from_millis(1));
                self.rx.recv_timeout(wait).ok()
            }
        }
    }

    /// Handles one message (`None`: a deadline passed).
    fn on_msg(&mut self, msg: Option<Msg>) {
        let now = self.now();
        let Some(msg) = msg else {
            let wall = std::time::Instant::now();
            if self.handshake_until.is_some_and(|d| d <= wall) {
                tracing::info!("control TLS handshake timed out");
                self.tls_failed();
            }
            self.engine.handle_timeout(now);
            return;
        };
        match msg {
            Msg::Input(chunk) => {
                // The engine learns how far a transfer got before it reads
                // these bytes (a STAT among them shows it).
                self.report_progress();
                self.control.push(chunk);
            }
            Msg::Eof => self.control.eof = true,
            Msg::Accepted(id, result) => {
                if self.listener.as_ref().is_none_or(|l| l.id != id) {
                    return;
                }
                self.listener = None;
                match result {
                    Ok((stream, remote)) => {
                        if self.engine.data_connected(now, id, remote).is_ok() {
                            let _ = stream.set_nodelay(true);
                            self.data_conn = Some((id, stream));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "passive accept failed"),
                }
            }
            Msg::Connected(id, result) => {
                if self.connecting != Some(id) {
                    return;
                }
                self.connecting = None;
                match result.and_then(|s| Ok((s.peer_addr()?, s))) {
                    Ok((remote, stream)) if self.engine.data_connected(now, id, remote).is_ok() => {
                        self.data_conn = Some((id, stream));
                    }
                    Ok(_) => self.fail_transfer(id, TransferOutcome::NeverConnected),
                    Err(e) => {
                        tracing::info!(error = %e, "active data connection failed");
                        self.fail_transfer(id, TransferOutcome::NeverConnected);
                    }
                }
            }
            Msg::TransferEnded(id) => {
                let Some(r) = self.running.take_if(|r| r.id == id) else {
                    return;
                };
                let outcome = r.handle.join().unwrap_or(TransferOutcome::LocalError);
                r.label.log_end(outcome, &r.progress);
                let now = self.now();
                let _ = self.engine.transfer_done(now, id, outcome);
            }
            Msg::Secured(id, resumed, verdict) => {
                // The engine decides (session reuse policy); a transfer it
                // no longer knows is refused.
                let go = self.running.as_ref().is_some_and(|r| r.id == id)
                    && self.engine.data_secured(now, id, resumed).unwrap_or(false);
                let _ = verdict.send(go);
            }
            Msg::Shutdown => {
                if !self.shutdown_seen {
                    self.begin_shutdown();
                }
            }
        }
    }

    /// The engine lets a running transfer finish and aborts it at the end
    /// of the grace period (its `shutdown_grace` deadline).
    pub(crate) fn begin_shutdown(&mut self) {
        self.shutdown_seen = true;
        let now = self.now();
        self.engine.shutdown(now);
    }

    fn tls_failed(&mut self) {
        tracing::info!("control TLS handshake or shutdown failed");
        self.handshake_until = None;
        self.control.close();
        let now = self.now();
        let _ = self.engine.tls_failed(now);
    }

    /// Ends a transfer that never got its data connection.
    fn fail_transfer(&mut self, id: DataId, outcome: TransferOutcome) {
        if let Some(mut r) = self.running.take_if(|r| r.id == id) {
            r.stop();
            r.label.log_end(outcome, &r.progress);
            let now = self.now();
            let _ = self.engine.transfer_done(now, id, outcome);
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

    fn on_event(&mut self, event: ServerEvent) {
        serving::log_event(&event);
        match event {
            ServerEvent::Request(request) => self.answer(request),
            ServerEvent::Data(action) => self.on_data_action(action),
            ServerEvent::Transfer(start) => self.start_transfer(start),
            ServerEvent::Abort { id, .. } => {
                self.drop_data(id);
                if let Some(mut r) = self.running.take_if(|r| r.id == id) {
                    let outcome = if r.handle.is_finished() {
                        r.handle.join().unwrap_or(TransferOutcome::Aborted)
                    } else {
                        r.stop();
                        TransferOutcome::Aborted
                    };
                    r.label.log_end(outcome, &r.progress);
                    if !self.engine.is_closed() {
                        let now = self.now();
                        let _ = self.engine.transfer_done(now, id, outcome);
                    }
                }
            }
            ServerEvent::UpgradeTls { .. } => {
                let started = self
                    .shared
                    .tls
                    .as_ref()
                    .is_some_and(|tls| self.control.start_tls(tls));
                if started {
                    self.handshake_until =
                        Some(std::time::Instant::now() + self.shared.handshake_timeout);
                } else {
                    self.tls_failed();
                }
            }
            // The 200 to CCC (or REIN's 220) went out under TLS.
            ServerEvent::DowngradeTls { .. } => {
                if self.control.start_clear() {
                    self.handshake_until =
                        Some(std::time::Instant::now() + self.shared.handshake_timeout);
                } else {
                    self.tls_failed();
                }
            }
            _ => {}
        }
    }

    fn answer(&mut self, request: Request) {
        let answer = if let RequestKind::Login { .. } = request.kind() {
            self.login(&request)
        } else if let Some(answer) = serving::policy_answer(request.kind(), &self.permissions) {
            answer
        } else if let Some(storage) = &self.storage {
            let max_listing_bytes = self.shared.engine.limits.max_listing_bytes;
            let answered = backend::answer(
                &**storage,
                request.kind(),
                max_listing_bytes,
                self.shared.in_place_uploads,
                &self.permissions,
            );
            self.opened = answered.opened;
            answered.answer
        } else {
            // The engine asks about files only after a login, which gave a
            // storage; this refusal is a defence, not a path in use.
            Answer::Error(FsError::PermissionDenied)
        };
        let now = self.now();
        if let Err(e) = self.engine.answer(now, request, answer) {
            // A late answer (the engine's answer timeout failed the command
            // already) or a bug: either way no transfer follows, so a file
            // opened for it is closed now.
            self.opened = None;
            tracing::warn!(error = %e.kind, "the engine refused an answer");
        }
    }

    fn login(&mut self, request: &Request) -> Answer {
        let RequestKind::Login { user, password, .. } = request.kind() else {
            return Answer::Denied(Denial::NotAllowed);
        };
        let ip = self.engine.peer().ip();
        if let Some(banned) = serving::banned_login(&self.shared.bans, ip, user) {
            return banned;
        }
        let identity = match self.shared.auth.authenticate(user, password.expose()) {
            Ok(identity) => identity,
            Err(e) => return serving::login_failed(&self.shared.bans, ip, user, &e),
        };
        match self.shared.factory.storage_for(&identity) {
            Ok(storage) => {
                serving::login_accepted(user, &identity);
                self.storage = Some(Arc::new(storage));
                self.permissions = identity.permissions;
                Answer::LoggedIn { home: None }
            }
            Err(e) => serving::storage_unavailable(&identity, &e),
        }
    }

    fn on_data_action(&mut self, action: DataAction) {
        let now = self.now();
        match action {
            DataAction::Listen { id, ip } => {
                self.drop_data(id);
                let peer = self.engine.peer().ip();
                let bound = self
                    .shared
                    .passive
                    .bind(peer, || {
                        data::bind_passive(ip, self.shared.passive_ports.as_ref())
                    })
                    .and_then(|(l, claim)| Ok((l.local_addr()?, l, claim)));
                let spawned = bound.and_then(|(addr, l, claim)| {
                    self.spawn_accept(id, addr, l, claim).map(|()| addr)
                });
                match spawned {
                    Ok(addr) => {
                        let _ = self.engine.data_listening(now, id, Ok(addr));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, %ip, "cannot bind a passive port");
                        let _ = self.engine.data_listening(now, id, Err(()));
                    }
                }
            }
            DataAction::Connect { id, addr } => {
                let local = self.engine.local().ip();
                let tx = self.tx.clone();
                let timeout = self.shared.data_connect_timeout;
                self.connecting = Some(id);
                let spawned = std::thread::Builder::new()
                    .name("ftp-data-connect".into())
                    .spawn(move || {
                        let r = data::connect_active(local, addr, timeout);
                        let _ = tx.send(Msg::Connected(id, r));
                    });
                if let Err(e) = spawned {
                    self.connecting = None;
                    tracing::warn!(error = %e, "cannot start a data thread");
                    self.fail_transfer(id, TransferOutcome::LocalError);
                }
            }
            DataAction::Close { id } => self.drop_data(id),
            _ => {}
        }
    }

    fn spawn_accept(
        &mut self,
        id: DataId,
        addr: SocketAddr,
        l: TcpListener,
        claim: PassiveClaim,
    ) -> io::Result<()> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancelled);
        let tx = self.tx.clone();
        let thread = std::thread::Builder::new()
            .name("ftp-data-accept".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let accepted = l.accept();
                // The port is free again before the session hears of it.
                drop(l);
                if !flag.load(Ordering::SeqCst) {
                    let _ = tx.send(Msg::Accepted(id, accepted));
                }
            })?;
        self.listener = Some(Listening {
            id,
            addr,
            cancelled,
            thread,
            _claim: claim,
        });
        Ok(())
    }

    /// Drops the listener, connect or idle connection of setup `id`.
    fn drop_data(&mut self, id: DataId) {
        if let Some(l) = self.listener.take_if(|l| l.id == id) {
            l.cancel();
        }
        if self.connecting == Some(id) {
            self.connecting = None;
        }
        if self.data_conn.as_ref().is_some_and(|(c, _)| *c == id) {
            self.data_conn = None;
        }
    }

    fn start_transfer(&mut self, start: TransferStart) {
        let id = start.id;
        let opened = self.opened.take();
        let planned = serving::plan_transfer(
            start,
            opened,
            self.engine.cwd(),
            self.shared.tls.as_ref(),
            self.permissions,
        );
        let Ok(PlannedTransfer { label, job, tls }) = planned else {
            let now = self.now();
            let _ = self
                .engine
                .transfer_done(now, id, TransferOutcome::LocalError);
            return;
        };
        let (stream_tx, stream_rx) = sync_channel::<TcpStream>(1);
        let progress = Arc::new(AtomicU64::new(0));
        let stopper = Arc::new(Stopper::new());
        let (counter, stop, tx) = (Arc::clone(&progress), Arc::clone(&stopper), self.tx.clone());
        let limits = transfer::Limits {
            handshake: self.shared.handshake_timeout,
            stall: self.shared.data_stall_timeout,
        };
        let span = label.span(id);
        let spawned = std::thread::Builder::new()
            .name("ftp-transfer".into())
            .spawn(move || {
                let _span = span.entered();
                let check = |resumed: bool| {
                    let (verdict_tx, verdict_rx) = sync_channel(1);
                    tx.send(Msg::Secured(id, resumed, verdict_tx)).is_ok()
                        && verdict_rx.recv().unwrap_or(false)
                };
                let tls = tls.as_ref().map(|t| (t, check));
                let outcome = match stream_rx.recv() {
                    Ok(stream) => transfer::run_any(stream, &stop, tls, job, &counter, limits),
                    Err(_) => TransferOutcome::NeverConnected,
                };
                let _ = tx.send(Msg::TransferEnded(id));
                outcome
            });
        match spawned {
            Ok(handle) => {
                self.running = Some(Running {
                    id,
                    handle,
                    stream_tx: Some(stream_tx),
                    stopper,
                    progress,
                    label,
                });
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot start a transfer thread");
                let now = self.now();
                let _ = self
                    .engine
                    .transfer_done(now, id, TransferOutcome::LocalError);
            }
        }
    }

    /// After the engine closed: last frames, TLS close, every data thread stopped.
    fn finish(mut self) {
        let _ = self.flush();
        if let Some(mut r) = self.running.take() {
            r.stop();
        }
        if let Some(l) = self.listener.take() {
            l.cancel();
        }
        self.control.close();
    }
}
