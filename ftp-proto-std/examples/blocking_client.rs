//! A command-line FTP client on top of `ftp_proto_std::client::Client`:
//! the blocking twin of `ftp-proto-tokio`'s `client` example, with the
//! same options, output and exit codes (the command line and the output
//! format live in `ftp_proto_std::cli`).
//!
//! ```text
//! blocking_client [--active] [--tls | --implicit-tls] [--insecure] [--resume] URL COMMAND [ARGS]
//!
//! URL      ftp://[USER[:PASSWORD]@]HOST[:PORT]   (anonymous without USER;
//!          percent-encoding in USER and PASSWORD; IPv6 as [::1];
//!          port 21, or 990 with --implicit-tls)
//! COMMAND  ls [PATH] | get REMOTE LOCAL | put LOCAL REMOTE | rm PATH |
//!          mkdir PATH | rmdir PATH | mv FROM TO | size PATH | mdtm PATH | pwd
//! ```
//!
//! Output (stdout): `ls` prints `TYPE SIZE MODIFIED NAME` per entry (TYPE
//! `d`/`l`/`-`, SIZE or `-`, MODIFIED `YYYY-MM-DDTHH:MM:SSZ` or `-`);
//! `size` the bytes; `mdtm` the time; `pwd` the path. Names and paths from
//! the server are shown as GNU `ls -b` does: control characters as
//! backslash escapes (`\n`, `\033`...), a backslash as `\\`; server
//! messages on stderr show control characters as `?`. `get`/`put` draw a
//! progress bar on stderr when it is a terminal. `get` writes to a
//! temporary file next to LOCAL and renames it to LOCAL once complete (a
//! failed download leaves LOCAL as it was). `--resume`: `get` continues a
//! partial LOCAL file in place, `put` a partial REMOTE one.
//!
//! `ls FILE` on a server that refuses to MLSD a file asks MLST for it.
//! Gives up on a server quiet for 60 s (reply or data connection).
//!
//! Exit status: 0 on success, 1 when the session or a file operation fails
//! (the server's reply, e.g. `550 No such file`, or the error on stderr),
//! 2 for a usage error.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool talks on stdout and stderr"
)]

use std::fs::File;
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::process::ExitCode;

use ftp_proto_std::cli::{
    ClientArgs, ClientCommand, DownloadTarget, Failure, check_upload_offset, client_command_line,
    escaped_name, exit_status, local, ls_file_line, ls_line, ls_may_be_a_file, upload_offset,
};
use ftp_proto_std::client::Client;
use indicatif::{ProgressBar, ProgressStyle};

const PROGRAM: &str = "blocking_client";

fn main() -> ExitCode {
    match client_command_line(PROGRAM) {
        Ok(args) => exit_status(PROGRAM, run(&args)),
        Err(code) => code,
    }
}

fn run(args: &ClientArgs) -> Result<(), Failure> {
    let mut client = Client::connect((args.url.host.as_str(), args.port()), args.options()?)?;
    client.login(&args.url.user, &args.url.password)?;
    client.feat()?;
    match &args.command {
        ClientCommand::Ls(path) => match (client.list(path.as_deref()), path) {
            (Ok(entries), _) => {
                for entry in entries {
                    if let Some(line) = ls_line(&entry) {
                        println!("{line}");
                    }
                }
            }
            (Err(e), Some(path)) if ls_may_be_a_file(&e) => {
                let file = client.mlst(Some(path)).ok();
                let line = file.and_then(|f| ls_file_line(&f, path)).ok_or(e)?;
                println!("{line}");
            }
            (Err(e), _) => return Err(e.into()),
        },
        ClientCommand::Get(remote, path) => get(&mut client, remote, path, args.resume)?,
        ClientCommand::Put(path, remote) => put(&mut client, path, remote, args.resume)?,
        ClientCommand::Rm(p) => drop(client.delete(p)?),
        ClientCommand::Mkdir(p) => drop(client.mkdir(p)?),
        ClientCommand::Rmdir(p) => drop(client.rmdir(p)?),
        ClientCommand::Mv(from, to) => drop(client.rename(from, to)?),
        ClientCommand::Size(p) => println!("{}", client.size(p)?),
        ClientCommand::Mdtm(p) => println!("{}", client.mdtm(p)?.iso8601()),
        ClientCommand::Pwd => println!("{}", escaped_name(&client.pwd()?)),
    }
    client.quit()?;
    Ok(())
}

fn progress(total: Option<u64>, position: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match total {
        Some(t) => ProgressBar::new(t).with_style(
            ProgressStyle::with_template(
                "{bytes}/{total_bytes} [{wide_bar}] {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_position(position);
    Some(bar)
}

fn get(client: &mut Client, remote: &str, path: &str, resume: bool) -> Result<(), Failure> {
    let offset = if resume {
        match std::fs::metadata(path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(local(path)(e)),
        }
    } else {
        0
    };
    // Ask the server first, so a refused download leaves LOCAL untouched.
    let mut download = client.retrieve(remote, offset)?;
    // A temporary file next to LOCAL (LOCAL itself with --resume): removed
    // if anything below fails, renamed to LOCAL once complete.
    let (target, mut file) = match DownloadTarget::open(path, offset, resume) {
        Ok(opened) => opened,
        Err(e) => {
            download.abort()?;
            return Err(e);
        }
    };
    let total = download.transfer().size_hint.map(|s| s + offset);
    let bar = progress(total, offset);
    let mut buf = vec![0u8; 256 * 1024];
    // On a read error the engine knows why: `finish` reports it.
    while let Ok(n) = download.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Err(e) = file.write_all(buf.get(..n).unwrap_or_default()) {
            download.abort()?;
            return Err(local(path)(e));
        }
        if let Some(bar) = &bar {
            bar.inc(n as u64);
        }
    }
    file.flush().map_err(local(path))?;
    drop(file);
    download.finish()?;
    target.commit()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}

fn put(client: &mut Client, path: &str, remote: &str, resume: bool) -> Result<(), Failure> {
    let mut file = File::open(path).map_err(local(path))?;
    let total = file.metadata().map_err(local(path))?.len();
    let offset = if resume {
        upload_offset(client.size(remote))?
    } else {
        0
    };
    check_upload_offset(path, remote, offset, total)?;
    file.seek(SeekFrom::Start(offset)).map_err(local(path))?;
    let bar = progress(Some(total), offset);
    let mut upload = client.store_writer(remote, offset)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                upload.abort()?;
                return Err(local(path)(e));
            }
        };
        if n == 0 {
            break;
        }
        if upload.write_all(buf.get(..n).unwrap_or_default()).is_err() {
            break;
        }
        if let Some(bar) = &bar {
            bar.inc(n as u64);
        }
    }
    upload.finish()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}
