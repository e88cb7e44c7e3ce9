//! The server side of FTP as a Sans-IO state machine: [`ServerSession`].
//!
//! WIP docs.

mod config;
mod event;
mod replies;
mod session;

pub use config::{
    Features, Limits, QuitPolicy, SecurityPolicy, ServerConfig, ShutdownPolicy, Texts, Timeouts,
    TlsPolicy,
};
pub use event::{
    Answer, CloseReason, DataAction, Denial, FsError, ListFormat, Request, RequestId, RequestKind,
    Secret, ServerEvent, TransferKind, TransferOutcome, TransferStart,
};
pub use session::ServerSession;
