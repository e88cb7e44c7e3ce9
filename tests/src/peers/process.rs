//! A spawned server process: output to a log file, a bounded wait for the
//! 220 greeting, and stopping it with its session processes.

use std::fs::File;
use std::io::BufReader;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::PeerError;

// A server that starts slowly on a loaded machine is waited for up to
// MAX_WAIT (a healthy start takes well under a second).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);
const MAX_POLLS: u32 = 1200;
const MAX_WAIT: Duration = Duration::from_secs(60);

/// A server started in its own process group.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    log: PathBuf,
    stopped: bool,
}

impl ServerProcess {
    /// Spawns `command` in a new process group, stdout and stderr to `log`.
    pub(crate) fn spawn(
        peer: &'static str,
        mut command: Command,
        log: &Path,
    ) -> Result<Self, PeerError> {
        use std::os::unix::process::CommandExt;
        let out = File::create(log).map_err(|e| PeerError::setup(peer, e))?;
        let err = out.try_clone().map_err(|e| PeerError::setup(peer, e))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| PeerError::setup(peer, format!("spawn {command:?}: {e}")))?;
        Ok(Self {
            child,
            log: log.to_path_buf(),
            stopped: false,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Connects until the server answers with a 220 reply (bounded in count
    /// and time); returns the greeting's lines.
    pub(crate) fn wait_for_greeting(
        &mut self,
        peer: &'static str,
        addr: SocketAddr,
    ) -> Result<Vec<String>, PeerError> {
        let started = Instant::now();
        let mut last_error = String::from("no attempt");
        for _ in 0..MAX_POLLS {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.startup_error(peer, format!("exited with {status}")));
            }
            if started.elapsed() > MAX_WAIT {
                break;
            }
            match greet(addr) {
                Ok(lines) if lines.last().is_some_and(|l| l.starts_with("220 ")) => {
                    return Ok(lines);
                }
                Ok(lines) => {
                    self.stop();
                    return Err(self.startup_error(peer, format!("greeted with {lines:?}")));
                }
                Err(e) => last_error = e.to_string(),
            }
            std::thread::sleep(POLL);
        }
        self.stop();
        Err(self.startup_error(
            peer,
            format!(
                "no 220 greeting on {addr} within {:?} (last error: {last_error})",
                started.elapsed()
            ),
        ))
    }

    fn startup_error(&self, peer: &'static str, message: String) -> PeerError {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = log.len().saturating_sub(4000);
        let tail = log.get(start..).unwrap_or(&log).to_string();
        PeerError::Startup {
            peer,
            message,
            log: tail,
        }
    }

    /// Kills the process group (the server and its session processes), then
    /// reaps the server.
    pub(crate) fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let pgid = self.child.id();
        // The group id is the server's pid (process_group(0)); the server is
        // not reaped yet, so the id cannot have been reused.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One connection: reads the whole greeting reply, then closes.
fn greet(addr: SocketAddr) -> std::io::Result<Vec<String>> {
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    Ok(super::raw::read_reply(&mut reader)?.lines)
}
