//! A command-line FTP client on top of `ftp_proto_tokio::client::Client`.
//!
//! ```text
//! client [--active] [--tls | --implicit-tls] [--insecure] [--resume] URL COMMAND [ARGS]
//!
//! URL      ftp://[USER[:PASSWORD]@]HOST[:PORT]   (anonymous without USER;
//!          percent-encoding in USER and PASSWORD; IPv6 as [::1];
//!          port 21, or 990 with --implicit-tls)
//! COMMAND  ls [PATH] | get REMOTE LOCAL | put LOCAL REMOTE | rm PATH |
//!          mkdir PATH | rmdir PATH | mv FROM TO | size PATH | mdtm PATH | pwd
//! ```
//!
//! Output (stdout):
//! - `ls`: one line per entry, `TYPE SIZE MODIFIED NAME`: TYPE is `d`
//!   (directory), `l` (symbolic link) or `-` (anything else); SIZE in bytes
//!   or `-` when the listing does not say; MODIFIED as
//!   `YYYY-MM-DDTHH:MM:SSZ` (UTC) or `-`. `.` and `..` are not listed.
//!   MLSD is used when the server advertises it, LIST otherwise; `ls FILE`
//!   on a server that refuses to MLSD a file asks MLST for that one entry.
//! - `size`: the size in bytes; `mdtm`: `YYYY-MM-DDTHH:MM:SSZ`; `pwd`: the path.
//! - Other commands print nothing. `get`/`put` draw a progress bar on
//!   stderr when stderr is a terminal.
//!
//! `get` writes to a temporary file next to LOCAL (`.LOCAL.part-…`) and
//! renames it to LOCAL once the download is complete: a failed download
//! leaves no partial file, and an existing LOCAL as it was.
//! `--resume`: `get` continues a partial LOCAL file in place (REST from its
//! size); `put` continues a partial REMOTE file (SIZE, then REST + STOR).
//!
//! Gives up on a server that says nothing for 60 s (a reply, or a data
//! connection during a transfer). Names and paths from the server (`ls`,
//! `pwd`) are shown as GNU `ls -b` does: control characters as backslash
//! escapes (`\n`, `\033`...) and a backslash as `\\`, so they cannot
//! drive the terminal; server messages on stderr show control characters
//! as `?`.
//!
//! Exit status: 0 on success, 1 when the FTP session or a file operation
//! fails (the server's reply, e.g. `550 No such file`, or the error on
//! stderr), 2 for a usage error.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool talks on stdout and stderr"
)]

use std::io::IsTerminal;
use std::process::ExitCode;

use ftp_proto_std::cli::{
    ClientArgs, ClientCommand, DownloadTarget, Failure, check_upload_offset, client_command_line,
    escaped_name, exit_status, local, ls_file_line, ls_line, ls_may_be_a_file, upload_offset,
};
use ftp_proto_tokio::client::Client;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

const PROGRAM: &str = "client";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match client_command_line(PROGRAM) {
        Ok(args) => exit_status(PROGRAM, run(args).await),
        Err(code) => code,
    }
}

async fn run(args: ClientArgs) -> Result<(), Failure> {
    let port = args.port();
    let mut client = Client::connect((args.url.host.as_str(), port), args.options()?).await?;
    client.login(&args.url.user, &args.url.password).await?;
    client.feat().await?;
    match &args.command {
        ClientCommand::Ls(path) => match (client.list(path.as_deref()).await, path) {
            (Ok(entries), _) => {
                for entry in entries {
                    if let Some(line) = ls_line(&entry) {
                        println!("{line}");
                    }
                }
            }
            (Err(e), Some(path)) if ls_may_be_a_file(&e) => {
                let file = client.mlst(Some(path)).await.ok();
                let line = file.and_then(|f| ls_file_line(&f, path)).ok_or(e)?;
                println!("{line}");
            }
            (Err(e), _) => return Err(e.into()),
        },
        ClientCommand::Get(remote, local_path) => {
            get(&mut client, remote, local_path, args.resume).await?
        }
        ClientCommand::Put(local_path, remote) => {
            put(&mut client, local_path, remote, args.resume).await?
        }
        ClientCommand::Rm(p) => drop(client.delete(p).await?),
        ClientCommand::Mkdir(p) => drop(client.mkdir(p).await?),
        ClientCommand::Rmdir(p) => drop(client.rmdir(p).await?),
        ClientCommand::Mv(from, to) => drop(client.rename(from, to).await?),
        ClientCommand::Size(p) => println!("{}", client.size(p).await?),
        ClientCommand::Mdtm(p) => println!("{}", client.mdtm(p).await?.iso8601()),
        ClientCommand::Pwd => println!("{}", escaped_name(&client.pwd().await?)),
    }
    client.quit().await?;
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

async fn get(client: &mut Client, remote: &str, path: &str, resume: bool) -> Result<(), Failure> {
    let offset = if resume {
        match tokio::fs::metadata(path).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(local(path)(e)),
        }
    } else {
        0
    };
    // Ask the server first, so a refused download leaves LOCAL untouched.
    let mut download = client.retrieve(remote, offset).await?;
    // A temporary file next to LOCAL (LOCAL itself with --resume): removed
    // if anything below fails, renamed to LOCAL once complete.
    let (target, mut file) = match DownloadTarget::open(path, offset, resume) {
        Ok((target, file)) => (target, tokio::fs::File::from_std(file)),
        Err(e) => {
            download.abort().await?;
            return Err(e);
        }
    };
    let total = download.transfer().size_hint.map(|s| s + offset);
    let bar = progress(total, offset);
    let mut buf = vec![0u8; 256 * 1024];
    // On a read error the engine knows why (a broken connection, a
    // timeout): `finish` reports it.
    while let Ok(n) = download.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Err(e) = file.write_all(buf.get(..n).unwrap_or_default()).await {
            download.abort().await?;
            return Err(local(path)(e));
        }
        if let Some(bar) = &bar {
            bar.inc(n as u64);
        }
    }
    file.flush().await.map_err(local(path))?;
    drop(file);
    download.finish().await?;
    target.commit()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}

async fn put(client: &mut Client, path: &str, remote: &str, resume: bool) -> Result<(), Failure> {
    let mut file = tokio::fs::File::open(path).await.map_err(local(path))?;
    let total = file.metadata().await.map_err(local(path))?.len();
    let offset = if resume {
        upload_offset(client.size(remote).await)?
    } else {
        0
    };
    check_upload_offset(path, remote, offset, total)?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(local(path))?;
    let bar = progress(Some(total), offset);
    let mut upload = client.store_writer(remote, offset).await?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match file.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                upload.abort().await?;
                return Err(local(path)(e));
            }
        };
        if n == 0 {
            break;
        }
        if upload
            .write_all(buf.get(..n).unwrap_or_default())
            .await
            .is_err()
        {
            break;
        }
        if let Some(bar) = &bar {
            bar.inc(n as u64);
        }
    }
    upload.finish().await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}
