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
//!   MLSD is used when the server advertises it, LIST otherwise.
//! - `size`: the size in bytes; `mdtm`: `YYYY-MM-DDTHH:MM:SSZ`; `pwd`: the path.
//! - Other commands print nothing. `get`/`put` draw a progress bar on
//!   stderr when stderr is a terminal.
//!
//! `--resume`: `get` continues a partial LOCAL file (REST from its size);
//! `put` continues a partial REMOTE file (SIZE, then REST + STOR).
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

use ftp_proto_tokio::client::{Client, ClientOptions, Error, FileInfo};
use ftp_proto_tokio::tls::TlsClient;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

const USAGE: &str = "usage: client [--active] [--tls | --implicit-tls] [--insecure] [--resume] \
URL COMMAND [ARGS]
  URL: ftp://[USER[:PASSWORD]@]HOST[:PORT]
  COMMAND: ls [PATH] | get REMOTE LOCAL | put LOCAL REMOTE | rm PATH | mkdir PATH |
           rmdir PATH | mv FROM TO | size PATH | mdtm PATH | pwd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    None,
    Explicit,
    Implicit,
}

#[derive(Debug)]
struct Args {
    active: bool,
    tls: Tls,
    insecure: bool,
    resume: bool,
    url: Url,
    command: Command,
}

#[derive(Debug, PartialEq, Eq)]
struct Url {
    user: String,
    password: String,
    host: String,
    port: Option<u16>,
}

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Ls(Option<String>),
    Get(String, String),
    Put(String, String),
    Rm(String),
    Mkdir(String),
    Rmdir(String),
    Mv(String, String),
    Size(String),
    Mdtm(String),
    Pwd,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut active = false;
    let mut tls = Tls::None;
    let mut insecure = false;
    let mut resume = false;
    let mut rest = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--active" if rest.is_empty() => active = true,
            "--tls" if rest.is_empty() && tls == Tls::None => tls = Tls::Explicit,
            "--implicit-tls" if rest.is_empty() && tls == Tls::None => tls = Tls::Implicit,
            "--tls" | "--implicit-tls" if rest.is_empty() => {
                return Err("--tls and --implicit-tls exclude each other".into());
            }
            "--insecure" if rest.is_empty() => insecure = true,
            "--resume" if rest.is_empty() => resume = true,
            other if rest.is_empty() && other.starts_with('-') => {
                return Err(format!("unknown option {other}"));
            }
            _ => rest.push(arg.clone()),
        }
    }
    let mut rest = rest.into_iter();
    let url = parse_url(&rest.next().ok_or("missing URL")?)?;
    let verb = rest.next().ok_or("missing COMMAND")?;
    let operands: Vec<String> = rest.collect();
    let one = |name: &str| match operands.as_slice() {
        [a] => Ok(a.clone()),
        _ => Err(format!("{name} takes exactly one argument")),
    };
    let two = |name: &str| match operands.as_slice() {
        [a, b] => Ok((a.clone(), b.clone())),
        _ => Err(format!("{name} takes exactly two arguments")),
    };
    let command = match verb.as_str() {
        "ls" => match operands.as_slice() {
            [] => Command::Ls(None),
            [p] => Command::Ls(Some(p.clone())),
            _ => return Err("ls takes at most one argument".into()),
        },
        "get" => two("get").map(|(a, b)| Command::Get(a, b))?,
        "put" => two("put").map(|(a, b)| Command::Put(a, b))?,
        "mv" => two("mv").map(|(a, b)| Command::Mv(a, b))?,
        "rm" => Command::Rm(one("rm")?),
        "mkdir" => Command::Mkdir(one("mkdir")?),
        "rmdir" => Command::Rmdir(one("rmdir")?),
        "size" => Command::Size(one("size")?),
        "mdtm" => Command::Mdtm(one("mdtm")?),
        "pwd" if operands.is_empty() => Command::Pwd,
        "pwd" => return Err("pwd takes no argument".into()),
        other => return Err(format!("unknown command {other}")),
    };
    Ok(Args {
        active,
        tls,
        insecure,
        resume,
        url,
        command,
    })
}

fn parse_url(url: &str) -> Result<Url, String> {
    let rest = url
        .strip_prefix("ftp://")
        .ok_or_else(|| format!("URL must start with ftp://: {url}"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(format!("URL must not have a path: {url}"));
    }
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        None => ("anonymous".to_owned(), "anonymous@".to_owned()),
        Some(info) => {
            let (u, p) = info.split_once(':').unwrap_or((info, ""));
            (percent_decode(u)?, percent_decode(p)?)
        }
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed [ in {url}"))?;
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or("bad port")?)),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!("no host in {url}"));
    }
    let port = port
        .map(|p| p.parse::<u16>().map_err(|_| format!("bad port {p:?}")))
        .transpose()?;
    Ok(Url {
        user,
        password,
        host: host.to_owned(),
        port,
    })
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in {s:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("percent-decoded {s:?} is not UTF-8"))
}

/// What went wrong, for the exit status and stderr.
enum Failure {
    Ftp(Error),
    Local(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Ftp(e)
    }
}

fn local(context: &str) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| Failure::Local(format!("{context}: {e}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("client: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Ftp(e)) => {
            match e.reply() {
                Some(reply) => eprintln!(
                    "{} {}",
                    reply.code(),
                    String::from_utf8_lossy(reply.last_line()).trim_end()
                ),
                None => eprintln!("client: {e}"),
            }
            ExitCode::from(1)
        }
        Err(Failure::Local(e)) => {
            eprintln!("client: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let mut options = ClientOptions::default().active(args.active);
    if args.tls != Tls::None {
        let tls = if args.insecure {
            TlsClient::insecure()
        } else {
            TlsClient::webpki_roots()
        }
        .and_then(|t| t.with_server_name(&args.url.host))
        .map_err(|e| Failure::Local(e.to_string()))?;
        options = match args.tls {
            Tls::Implicit => options.implicit_tls(tls),
            _ => options.explicit_tls(tls),
        };
    }
    let default_port = if args.tls == Tls::Implicit { 990 } else { 21 };
    let port = args.url.port.unwrap_or(default_port);
    let mut client = Client::connect((args.url.host.as_str(), port), options).await?;
    client.login(&args.url.user, &args.url.password).await?;
    client.feat().await?;
    match &args.command {
        Command::Ls(path) => {
            for entry in client.list(path.as_deref()).await? {
                if let Some(line) = ls_line(&entry) {
                    println!("{line}");
                }
            }
        }
        Command::Get(remote, local_path) => {
            get(&mut client, remote, local_path, args.resume).await?
        }
        Command::Put(local_path, remote) => {
            put(&mut client, local_path, remote, args.resume).await?
        }
        Command::Rm(p) => drop(client.delete(p).await?),
        Command::Mkdir(p) => drop(client.mkdir(p).await?),
        Command::Rmdir(p) => drop(client.rmdir(p).await?),
        Command::Mv(from, to) => drop(client.rename(from, to).await?),
        Command::Size(p) => println!("{}", client.size(p).await?),
        Command::Mdtm(p) => println!("{}", client.mdtm(p).await?.iso8601()),
        Command::Pwd => println!("{}", String::from_utf8_lossy(&client.pwd().await?)),
    }
    client.quit().await?;
    Ok(())
}

/// `TYPE SIZE MODIFIED NAME`, or `None` for `.`/`..`.
fn ls_line(entry: &FileInfo) -> Option<String> {
    use ftp_proto::listing::FileKind;
    let name = String::from_utf8_lossy(&entry.name);
    if name == "."
        || name == ".."
        || matches!(
            entry.kind,
            FileKind::CurrentDirectory | FileKind::ParentDirectory
        )
    {
        return None;
    }
    let size = entry.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let modified = entry
        .modified
        .map_or_else(|| "-".to_owned(), |t| t.iso8601().to_string());
    Some(format!("{} {size} {modified} {name}", kind_char(entry)))
}

fn kind_char(entry: &FileInfo) -> char {
    use ftp_proto::listing::FileKind;
    match entry.kind {
        FileKind::Directory | FileKind::CurrentDirectory | FileKind::ParentDirectory => 'd',
        FileKind::Symlink { .. } => 'l',
        _ => '-',
    }
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
    let opened = async {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(offset == 0)
            .open(path)
            .await?;
        file.seek(std::io::SeekFrom::Start(offset)).await?;
        Ok::<_, std::io::Error>(file)
    }
    .await;
    let mut file = match opened {
        Ok(f) => f,
        Err(e) => {
            download.abort().await?;
            return Err(local(path)(e));
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
    download.finish().await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(())
}

async fn put(client: &mut Client, path: &str, remote: &str, resume: bool) -> Result<(), Failure> {
    let mut file = tokio::fs::File::open(path).await.map_err(local(path))?;
    let total = file.metadata().await.map_err(local(path))?.len();
    let offset = if resume {
        match client.size(remote).await {
            Ok(size) => size,
            // No such remote file yet: start from the beginning.
            Err(e) if e.reply().is_some_and(|r| r.code().as_u16() == 550) => 0,
            Err(e) => return Err(e.into()),
        }
    } else {
        0
    };
    if offset > total {
        return Err(Failure::Local(format!(
            "{remote} is larger ({offset} bytes) than {path} ({total} bytes)"
        )));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn urls() {
        let u = parse_url("ftp://example.org").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_str(),
                u.host.as_str(),
                u.port
            ),
            ("anonymous", "anonymous@", "example.org", None)
        );
        let u = parse_url("ftp://a%40b:p%3Aw%2F@[::1]:2121/").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_str(),
                u.host.as_str(),
                u.port
            ),
            ("a@b", "p:w/", "::1", Some(2121))
        );
        let u = parse_url("ftp://bob@127.0.0.1:21").unwrap();
        assert_eq!((u.user.as_str(), u.password.as_str()), ("bob", ""));
        for bad in [
            "http://x",
            "ftp://",
            "ftp://h:99999",
            "ftp://[::1",
            "ftp://u:%zz@h",
            "ftp://h/p",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arguments() {
        let a = args(&[
            "--active",
            "--tls",
            "--insecure",
            "ftp://h",
            "get",
            "a",
            "b",
        ])
        .unwrap();
        assert!(a.active && a.insecure && !a.resume);
        assert_eq!(a.tls, Tls::Explicit);
        assert_eq!(a.command, Command::Get("a".into(), "b".into()));
        assert_eq!(args(&["ftp://h", "ls"]).unwrap().command, Command::Ls(None));
        assert!(args(&["--tls", "--implicit-tls", "ftp://h", "pwd"]).is_err());
        assert!(args(&["--verbose", "ftp://h", "pwd"]).is_err());
        assert!(args(&["ftp://h", "get", "a"]).is_err());
        assert!(args(&["ftp://h", "frob"]).is_err());
        assert!(args(&["ftp://h"]).is_err());
    }
}
