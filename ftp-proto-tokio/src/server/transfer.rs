//! A running transfer: a task on the runtime, or a thread of its own.
//!
//! Files whose storage hands them over as blocking handles
//! ([`Storage::into_std_reader`](crate::storage::Storage::into_std_reader))
//! are moved by [`ftp_proto_std::transfer`] on a dedicated thread: one
//! thread that reads and writes with blocking calls moves a local file about
//! twice as fast as async file I/O, which hands each chunk to tokio's
//! blocking pool and back. Such threads are limited
//! ([`ServerBuilder::max_transfer_threads`](super::ServerBuilder::max_transfer_threads));
//! beyond the limit, and for every other storage and for listings the
//! engine rendered, transfers run as tasks ([`super::data`]). A directory
//! listing of such a storage
//! ([`Storage::into_std_entries`](crate::storage::Storage::into_std_entries))
//! runs on a thread the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};

use ftp_proto::server::TransferOutcome;
use ftp_proto_std::transfer::{self, Limits, Stopper};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;

use super::ServerTls;
use super::data::{Job, TlsCheck};
use crate::storage::{BoxedEntries, Storage};

/// Longest wait for a stopped transfer to end.
pub(crate) const END_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A transfer's job in its blocking form.
pub(crate) type BlockingJob = Job<std::fs::File, ftp_proto_std::storage::FileUpload, BoxedEntries>;

/// A transfer's job with the storage's own handles.
pub(crate) type StorageJob<S> =
    Job<<S as Storage>::Reader, <S as Storage>::Writer, <S as Storage>::Entries>;

/// Where a running transfer runs, and how to stop it.
pub(crate) enum TransferHandle {
    /// A task on the runtime (the async pumps of [`super::data`]).
    Task(JoinHandle<TransferOutcome>),
    /// A thread of its own; its outcome arrives on the channel.
    Thread {
        outcome: oneshot::Receiver<TransferOutcome>,
        stopper: Arc<Stopper>,
    },
}

impl TransferHandle {
    /// Stops the transfer without waiting for it: the task is cancelled,
    /// the thread's data connection shut down.
    pub(crate) fn abort(&self) {
        match self {
            Self::Task(handle) => handle.abort(),
            Self::Thread { stopper, .. } => stopper.stop(),
        }
    }

    /// The outcome if the transfer has already ended, else stops it and
    /// returns [`TransferOutcome::Aborted`] once it has ended, or after
    /// [`END_WAIT`] (a stopped transfer drops its upload, which removes an
    /// uncommitted temporary file; one blocked in the storage is not
    /// waited for longer).
    pub(crate) async fn finish_or_abort(&mut self) -> TransferOutcome {
        match self {
            Self::Task(handle) if handle.is_finished() => {
                handle.await.unwrap_or(TransferOutcome::Aborted)
            }
            Self::Thread { outcome, .. } if !outcome.is_empty() || outcome.is_terminated() => {
                outcome.try_recv().unwrap_or(TransferOutcome::Aborted)
            }
            _ => {
                self.abort();
                let _ = tokio::time::timeout(END_WAIT, &mut *self).await;
                TransferOutcome::Aborted
            }
        }
    }
}

impl Future for TransferHandle {
    /// `None`: the transfer died without an outcome (a panic).
    type Output = Option<TransferOutcome>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Task(handle) => Pin::new(handle).poll(cx).map(Result::ok),
            Self::Thread { outcome, .. } => Pin::new(outcome).poll(cx).map(Result::ok),
        }
    }
}

/// The blocking form of `job`, with the thread permit it runs under, or
/// the job back when it must run as a task (a listing the engine rendered,
/// a storage without blocking handles, or every thread permit in use).
pub(crate) fn blocking_job<S: Storage>(
    job: StorageJob<S>,
    threads: &Arc<Semaphore>,
) -> Result<(BlockingJob, OwnedSemaphorePermit), StorageJob<S>> {
    if matches!(job, Job::Listing(_)) {
        return Err(job);
    }
    let Ok(permit) = Arc::clone(threads).try_acquire_owned() else {
        return Err(job);
    };
    let blocking = match job {
        Job::Send {
            reader,
            representation,
        } => match S::into_std_reader(reader) {
            Ok(reader) => Job::Send {
                reader,
                representation,
            },
            Err(reader) => {
                return Err(Job::Send {
                    reader,
                    representation,
                });
            }
        },
        Job::Receive {
            writer,
            representation,
        } => match S::into_std_writer(writer) {
            Ok(writer) => Job::Receive {
                writer,
                representation,
            },
            Err(writer) => {
                return Err(Job::Receive {
                    writer,
                    representation,
                });
            }
        },
        Job::Directory {
            entries,
            style,
            permissions,
        } => match S::into_std_entries(entries) {
            Ok(entries) => Job::Directory {
                entries,
                style,
                permissions,
            },
            Err(entries) => {
                return Err(Job::Directory {
                    entries,
                    style,
                    permissions,
                });
            }
        },
        Job::Listing(bytes) => return Err(Job::Listing(bytes)),
    };
    Ok((blocking, permit))
}

/// What a transfer thread is given.
pub(crate) struct ThreadTransfer {
    pub(crate) job: BlockingJob,
    pub(crate) permit: OwnedSemaphorePermit,
    pub(crate) stream: oneshot::Receiver<TcpStream>,
    pub(crate) tls: Option<(ServerTls, TlsCheck)>,
    pub(crate) progress: Arc<AtomicU64>,
    pub(crate) limits: Limits,
    pub(crate) span: tracing::Span,
}

/// Starts `t` on a thread of its own: it waits for the data connection,
/// moves it off the runtime and runs the transfer with blocking calls.
pub(crate) fn spawn_thread(t: ThreadTransfer) -> std::io::Result<TransferHandle> {
    let stopper = Arc::new(Stopper::new());
    let (outcome_tx, outcome_rx) = oneshot::channel();
    let stop = Arc::clone(&stopper);
    std::thread::Builder::new()
        .name("ftp-transfer".into())
        .spawn(move || {
            let ThreadTransfer {
                job,
                permit,
                stream,
                tls,
                progress,
                limits,
                span,
            } = t;
            let _permit = permit;
            let _span = span.entered();
            let outcome = match stream.blocking_recv() {
                Ok(stream) => match blocking_stream(stream) {
                    Ok(stream) => run(stream, &stop, tls, job, &progress, limits),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot move the data connection off the runtime");
                        TransferOutcome::LocalError
                    }
                },
                Err(_) => TransferOutcome::NeverConnected,
            };
            let _ = outcome_tx.send(outcome);
        })?;
    Ok(TransferHandle::Thread {
        outcome: outcome_rx,
        stopper,
    })
}

/// The data connection as a blocking `std` socket.
fn blocking_stream(stream: TcpStream) -> std::io::Result<std::net::TcpStream> {
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// The TLS handshake report and the engine's verdict, from a thread.
#[cfg(feature = "tls")]
fn blocking_check(check: TlsCheck) -> impl FnOnce(bool) -> bool {
    move |resumed| {
        let TlsCheck {
            resumed: report,
            verdict,
        } = check;
        report.send(resumed).is_ok() && verdict.blocking_recv().unwrap_or(false)
    }
}

/// Runs the transfer with blocking calls: [`transfer::run`], TLS included,
/// with the `tls` feature; else [`transfer::run_plain`] (no TLS settings
/// can exist).
fn run(
    stream: std::net::TcpStream,
    stop: &Stopper,
    tls: Option<(ServerTls, TlsCheck)>,
    job: BlockingJob,
    progress: &AtomicU64,
    limits: Limits,
) -> TransferOutcome {
    #[cfg(feature = "tls")]
    {
        let (tls, check) = tls.unzip();
        let tls = tls.as_ref().zip(check.map(blocking_check));
        transfer::run(stream, stop, tls, job, progress, limits)
    }
    #[cfg(not(feature = "tls"))]
    {
        if let Some((tls, _)) = tls {
            match tls {}
        }
        transfer::run_plain(stream, stop, job, progress, limits)
    }
}
