//! What the example programs of both adapters share: the command lines of
//! the `server` and `client` examples (parsing, usage text), what a server
//! command line means (root, logins, [`ServerSettings`]), what a client
//! command line means ([`ClientOptions`]), and the output, errors and exit
//! status of the client, so the tokio and the blocking programs behave
//! exactly alike.
//!
//! Not a general CLI library: small, dependency-free, and specific to those
//! programs. Feature `tls` (the programs take FTPS options).

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ftp_proto::listing::{FileInfo, FileKind};

use crate::auth::{AnonymousOnly, Authenticator, FirstOf, Permissions, UserList};
use crate::client::{ClientOptions, Error};
use crate::server::{BanPolicy, ServerSettings};
use crate::tls::{TlsClient, TlsConfig};

// ---------------------------------------------------------------------------
// server
// ---------------------------------------------------------------------------

/// The usage text of a server program called `program`.
#[must_use]
pub fn server_usage(program: &str) -> String {
    format!(
        "\
Usage: {program} [OPTIONS]

Serve a folder over FTP.

Options:
  --listen ADDR            address to listen on, IPv4 or [IPv6]:port (repeatable;
                           default 127.0.0.1:2121)
  --root DIR               folder to serve (default: the current folder)
  --user NAME:PASSWORD     a user who may read and write (repeatable)
  --drop-box-user NAME:PASSWORD
                           a user who may only upload new files: no listing,
                           download, overwrite or delete (repeatable)
  --anonymous              allow anonymous read-only login (the default when no
                           --user or --drop-box-user is given)
  --passive-ports LOW-HIGH passive data ports (default: any free port)
  --masquerade IP          IPv4 address announced in PASV replies (behind NAT)
  --tls-cert PEM           certificate chain for FTPS (with --tls-key)
  --tls-key PEM            private key for FTPS (enables AUTH TLS)
  --implicit-tls           TLS from the first byte (implicit FTPS)
  --require-tls            refuse login before AUTH TLS and transfers without PROT P
  --idle-timeout SECONDS   close idle sessions after this long (default 300; 0: never)
  --max-connections N      most simultaneous connections (default 1024)
  --max-connections-per-ip N
                           most simultaneous connections from one client address
                           (default: no limit but --max-connections)
  --max-login-failures N   ban a client address after N failed logins within
                           10 minutes, counted across its connections (default 10;
                           0: no bans)
  --ban-seconds S          how long such a ban lasts (default 900)
  --max-passive-per-ip N   most passive ports that sessions from one client
                           address may hold while waiting for their data
                           connection (default: a quarter of --passive-ports,
                           no cap without it; 0: no cap)
  --offload-lookups        tokio server: SIZE/MDTM/CWD lookups on the blocking pool
                           from the start (for a root on a network file system)
  --in-place-uploads       STOR writes into the file itself (a failed upload leaves
                           a partial file) instead of beside it, renamed into place
                           when complete (the default: a failed upload changes nothing)
  -h, --help               show this help
"
    )
}

/// The options of a server program.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOptions {
    /// `--listen` (default `127.0.0.1:2121`).
    pub listen: Vec<SocketAddr>,
    /// `--root` (default `.`).
    pub root: PathBuf,
    /// `--user NAME:PASSWORD`, in order.
    pub users: Vec<(String, String)>,
    /// `--drop-box-user NAME:PASSWORD`, in order: upload-only users
    /// ([`Permissions::DROP_BOX`](crate::auth::Permissions::DROP_BOX)).
    pub drop_box_users: Vec<(String, String)>,
    /// `--anonymous` (on when no user is given).
    pub anonymous: bool,
    /// `--passive-ports LOW-HIGH`.
    pub passive_ports: Option<RangeInclusive<u16>>,
    /// `--masquerade IP`.
    pub masquerade: Option<IpAddr>,
    /// `--tls-cert PEM`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key PEM`.
    pub tls_key: Option<PathBuf>,
    /// `--implicit-tls`.
    pub implicit_tls: bool,
    /// `--require-tls`.
    pub require_tls: bool,
    /// `--idle-timeout SECONDS` (default 300; 0: never).
    pub idle_timeout: u64,
    /// `--max-connections N` (default 1024).
    pub max_connections: usize,
    /// `--max-connections-per-ip N` (default: none).
    pub max_connections_per_ip: Option<usize>,
    /// `--max-login-failures N` (default 10; 0: no bans).
    pub max_login_failures: u32,
    /// `--ban-seconds S` (default 900).
    pub ban_seconds: u64,
    /// `--max-passive-per-ip N` (`None`: the default, a quarter of
    /// `--passive-ports`; `Some(0)`: no cap).
    pub max_passive_per_ip: Option<usize>,
    /// `--offload-lookups`: the tokio server runs metadata lookups on its
    /// blocking pool from the start instead of inline on the session's task
    /// until one is slow (the blocking server always runs them inline).
    pub offload_lookups: bool,
    /// `--in-place-uploads`: `STOR` empties the file and writes into it
    /// instead of writing beside it and renaming it into place when complete.
    pub in_place_uploads: bool,
}

/// What a server command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per program run; boxing would change the public API"
)]
pub enum ServerCommand {
    /// Serve with these options.
    Run(ServerOptions),
    /// Print the usage text and exit 0.
    Help,
}

/// Parses a server command line (without the program name).
///
/// # Errors
/// A message for a bad option (the program prints it with the usage text
/// and exits 2).
pub fn parse_server_args(mut args: impl Iterator<Item = String>) -> Result<ServerCommand, String> {
    let mut o = ServerOptions {
        listen: Vec::new(),
        root: PathBuf::from("."),
        users: Vec::new(),
        drop_box_users: Vec::new(),
        anonymous: false,
        passive_ports: None,
        masquerade: None,
        tls_cert: None,
        tls_key: None,
        implicit_tls: false,
        require_tls: false,
        idle_timeout: 300,
        max_connections: 1024,
        max_connections_per_ip: None,
        max_login_failures: BanPolicy::default().max_failures,
        ban_seconds: BanPolicy::default().ban.as_secs(),
        max_passive_per_ip: None,
        offload_lookups: false,
        in_place_uploads: false,
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(ServerCommand::Help),
            "--listen" => {
                let v = value()?;
                o.listen.push(
                    v.parse()
                        .map_err(|_| format!("--listen: not an address: {v}"))?,
                );
            }
            "--root" => o.root = PathBuf::from(value()?),
            "--user" | "--drop-box-user" => {
                let v = value()?;
                let (user, password) = v
                    .split_once(':')
                    .filter(|(u, _)| !u.is_empty())
                    .ok_or_else(|| format!("{name}: expected NAME:PASSWORD, got {v}"))?;
                let list = if name == "--user" {
                    &mut o.users
                } else {
                    &mut o.drop_box_users
                };
                list.push((user.to_owned(), password.to_owned()));
            }
            "--anonymous" => o.anonymous = true,
            "--offload-lookups" => o.offload_lookups = true,
            "--in-place-uploads" => o.in_place_uploads = true,
            "--passive-ports" => {
                let v = value()?;
                let range = v
                    .split_once('-')
                    .and_then(|(l, h)| Some((l.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
                    .filter(|(l, h)| *l > 0 && l <= h)
                    .ok_or_else(|| format!("--passive-ports: expected LOW-HIGH, got {v}"))?;
                o.passive_ports = Some(range.0..=range.1);
            }
            "--masquerade" => {
                let v = value()?;
                let ip: IpAddr = v
                    .parse()
                    .map_err(|_| format!("--masquerade: not an IP address: {v}"))?;
                // A 227 reply carries IPv4 only: an IPv6 address would
                // turn every PASV into 425.
                let IpAddr::V4(ip) = ip.to_canonical() else {
                    return Err(format!("--masquerade: PASV announces IPv4 only, got {v}"));
                };
                o.masquerade = Some(IpAddr::V4(ip));
            }
            "--tls-cert" => o.tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => o.tls_key = Some(PathBuf::from(value()?)),
            "--implicit-tls" => o.implicit_tls = true,
            "--require-tls" => o.require_tls = true,
            "--idle-timeout" => {
                let v = value()?;
                o.idle_timeout = v
                    .parse()
                    .map_err(|_| format!("--idle-timeout: not a number of seconds: {v}"))?;
            }
            "--max-connections" => {
                let v = value()?;
                o.max_connections = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--max-connections: not a positive number: {v}"))?;
            }
            "--max-connections-per-ip" => {
                o.max_connections_per_ip = Some(positive(&name, &value()?)?);
            }
            "--max-login-failures" => o.max_login_failures = number(&name, &value()?)?,
            "--ban-seconds" => {
                o.ban_seconds = u64::try_from(positive(&name, &value()?)?).unwrap_or(u64::MAX);
            }
            "--max-passive-per-ip" => o.max_passive_per_ip = Some(number(&name, &value()?)?),
            other => return Err(format!("unknown option: {other}")),
        }
        if inline.is_some()
            && matches!(
                name.as_str(),
                "--anonymous"
                    | "--implicit-tls"
                    | "--require-tls"
                    | "--offload-lookups"
                    | "--in-place-uploads"
            )
        {
            return Err(format!("{name} takes no value"));
        }
    }
    if o.tls_cert.is_some() != o.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".to_owned());
    }
    if (o.implicit_tls || o.require_tls) && o.tls_cert.is_none() {
        return Err("--implicit-tls and --require-tls need --tls-cert and --tls-key".to_owned());
    }
    if o.users.is_empty() && o.drop_box_users.is_empty() {
        o.anonymous = true;
    }
    if o.listen.is_empty() {
        o.listen.push(SocketAddr::from(([127, 0, 0, 1], 2121)));
    }
    Ok(ServerCommand::Run(o))
}

/// A number given to option `name`.
fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name}: not a number: {value}"))
}

/// A positive number given to option `name`.
fn positive(name: &str, value: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{name}: not a positive number: {value}"))
}

/// Reads this process's server command line: the options to run with, or
/// the exit status after the usage text was printed (`--help`: on stdout,
/// status 0; a bad option: the message and the usage on stderr, status 2).
///
/// # Errors
/// The exit status, when the program should stop.
#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the server programs' usage output"
)]
pub fn server_command_line(program: &str) -> Result<ServerOptions, ExitCode> {
    match parse_server_args(std::env::args().skip(1)) {
        Ok(ServerCommand::Run(o)) => Ok(o),
        Ok(ServerCommand::Help) => {
            print!("{}", server_usage(program));
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{program}: {message}\n\n{}", server_usage(program));
            Err(ExitCode::from(2))
        }
    }
}

impl ServerOptions {
    /// The folder to serve: `--root`, made absolute.
    ///
    /// # Errors
    /// `--root` does not exist or is not a folder.
    pub fn root_dir(&self) -> Result<PathBuf, String> {
        let root = std::fs::canonicalize(&self.root)
            .map_err(|e| format!("--root {}: {e}", self.root.display()))?;
        if !root.is_dir() {
            return Err(format!("--root {}: not a folder", root.display()));
        }
        Ok(root)
    }

    /// Who may log in: the `--user`s (read and write), the
    /// `--drop-box-user`s (upload new files only), and anonymous
    /// (read-only) with `--anonymous` or without any other user.
    #[must_use]
    pub fn authenticator(&self) -> Box<dyn Authenticator> {
        let mut users = UserList::new();
        for (name, password) in &self.drop_box_users {
            users = users.with_account(name, password, Permissions::DROP_BOX, None);
        }
        for (name, password) in &self.users {
            users = users.with_user(name, password);
        }
        match (self.anonymous, users.is_empty()) {
            (true, true) => Box::new(AnonymousOnly::new()),
            (true, false) => Box::new(FirstOf::new(AnonymousOnly::new(), users)),
            (false, _) => Box::new(users),
        }
    }

    /// The server settings these options ask for (the TLS certificate and
    /// key are read here).
    ///
    /// # Errors
    /// The certificate or the key cannot be read.
    pub fn settings(&self) -> Result<ServerSettings, String> {
        let mut settings = ServerSettings::new()
            .allow_anonymous(self.anonymous)
            .max_connections(self.max_connections)
            .idle_timeout((self.idle_timeout > 0).then(|| Duration::from_secs(self.idle_timeout)))
            .implicit_tls(self.implicit_tls)
            .require_tls(self.require_tls)
            .in_place_uploads(self.in_place_uploads)
            .login_bans((self.max_login_failures > 0).then(|| {
                BanPolicy::new(
                    self.max_login_failures,
                    BanPolicy::default().window,
                    Duration::from_secs(self.ban_seconds),
                )
            }));
        if let Some(max) = self.max_connections_per_ip {
            settings = settings.max_connections_per_ip(max);
        }
        if let Some(max) = self.max_passive_per_ip {
            settings = settings.max_passive_per_ip((max > 0).then_some(max));
        }
        for addr in &self.listen {
            settings = settings.listen(*addr);
        }
        if let Some(range) = &self.passive_ports {
            settings = settings.passive_ports(range.clone());
        }
        if let Some(ip) = self.masquerade {
            settings = settings.masquerade_address(ip);
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            let tls = TlsConfig::from_pem_files(cert, key).map_err(|e| e.to_string())?;
            settings = settings.tls(tls);
        }
        Ok(settings)
    }

    /// Logs the start of serving `root` on `addrs` (one line per address).
    pub fn log_serving(&self, root: &Path, addrs: &[SocketAddr]) {
        for addr in addrs {
            tracing::info!(
                %addr,
                root = %root.display(),
                anonymous = self.anonymous,
                users = self.users.len(),
                "serving"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// client
// ---------------------------------------------------------------------------

/// The usage text of a client program called `program`.
#[must_use]
pub fn client_usage(program: &str) -> String {
    format!(
        "usage: {program} [--active] [--tls | --implicit-tls] [--insecure] [--resume] \
URL COMMAND [ARGS]
  URL: ftp://[USER[:PASSWORD]@]HOST[:PORT]
  COMMAND: ls [PATH] | get REMOTE LOCAL | put LOCAL REMOTE | rm PATH | mkdir PATH |
           rmdir PATH | mv FROM TO | size PATH | mdtm PATH | pwd
  ls and pwd show control characters in server names as ls -b does (\\n, \\033, \\\\).
  get writes .LOCAL.part-* next to LOCAL and renames it when complete;
  --resume continues LOCAL (get) or REMOTE (put) in place"
    )
}

/// How long a client program waits for a quiet data connection (the
/// library's default is 300 s); replies keep the library's 60 s.
pub const CLIENT_DATA_TIMEOUT: Duration = Duration::from_secs(60);

/// Which TLS a client command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain FTP.
    None,
    /// `--tls`: `AUTH TLS` then `PROT P`.
    Explicit,
    /// `--implicit-tls`: TLS from the first byte (port 990 by default).
    Implicit,
}

/// A client command line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientArgs {
    /// `--active`: the server connects for data.
    pub active: bool,
    /// `--tls` / `--implicit-tls`.
    pub tls: TlsMode,
    /// `--insecure`: accept any server certificate.
    pub insecure: bool,
    /// `--resume`: continue partial files.
    pub resume: bool,
    /// Where to connect and as whom.
    pub url: FtpUrl,
    /// What to do.
    pub command: ClientCommand,
}

impl ClientArgs {
    /// The port to connect to: the URL's, else 21 (990 for implicit TLS).
    #[must_use]
    pub fn port(&self) -> u16 {
        let default = if self.tls == TlsMode::Implicit {
            990
        } else {
            21
        };
        self.url.port.unwrap_or(default)
    }
}

/// `ftp://[USER[:PASSWORD]@]HOST[:PORT]`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FtpUrl {
    /// The user (`anonymous` when the URL has none).
    pub user: String,
    /// The password (`anonymous@` for anonymous, empty when not given).
    pub password: String,
    /// The host name or IP address (IPv6 without brackets).
    pub host: String,
    /// The port, when given.
    pub port: Option<u16>,
}

/// A client command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// `ls [PATH]`.
    Ls(Option<String>),
    /// `get REMOTE LOCAL`.
    Get(String, String),
    /// `put LOCAL REMOTE`.
    Put(String, String),
    /// `rm PATH`.
    Rm(String),
    /// `mkdir PATH`.
    Mkdir(String),
    /// `rmdir PATH`.
    Rmdir(String),
    /// `mv FROM TO`.
    Mv(String, String),
    /// `size PATH`.
    Size(String),
    /// `mdtm PATH`.
    Mdtm(String),
    /// `pwd`.
    Pwd,
}

/// Parses a client command line (without the program name and without
/// `-h`/`--help`, which the program checks first).
///
/// # Errors
/// A message for a usage error (exit status 2).
pub fn parse_client_args(args: &[String]) -> Result<ClientArgs, String> {
    let mut active = false;
    let mut tls = TlsMode::None;
    let mut insecure = false;
    let mut resume = false;
    let mut rest = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--active" if rest.is_empty() => active = true,
            "--tls" if rest.is_empty() && tls == TlsMode::None => tls = TlsMode::Explicit,
            "--implicit-tls" if rest.is_empty() && tls == TlsMode::None => {
                tls = TlsMode::Implicit;
            }
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
            [] => ClientCommand::Ls(None),
            [p] => ClientCommand::Ls(Some(p.clone())),
            _ => return Err("ls takes at most one argument".into()),
        },
        "get" => two("get").map(|(a, b)| ClientCommand::Get(a, b))?,
        "put" => two("put").map(|(a, b)| ClientCommand::Put(a, b))?,
        "mv" => two("mv").map(|(a, b)| ClientCommand::Mv(a, b))?,
        "rm" => ClientCommand::Rm(one("rm")?),
        "mkdir" => ClientCommand::Mkdir(one("mkdir")?),
        "rmdir" => ClientCommand::Rmdir(one("rmdir")?),
        "size" => ClientCommand::Size(one("size")?),
        "mdtm" => ClientCommand::Mdtm(one("mdtm")?),
        "pwd" if operands.is_empty() => ClientCommand::Pwd,
        "pwd" => return Err("pwd takes no argument".into()),
        other => return Err(format!("unknown command {other}")),
    };
    Ok(ClientArgs {
        active,
        tls,
        insecure,
        resume,
        url,
        command,
    })
}

/// Parses `ftp://[USER[:PASSWORD]@]HOST[:PORT][/]` (percent-encoding in
/// USER and PASSWORD; IPv6 as `[::1]`).
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_url(url: &str) -> Result<FtpUrl, String> {
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
    Ok(FtpUrl {
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

/// Reads this process's client command line: the arguments to run with,
/// or the exit status after the usage text was printed (`--help`/`-h`
/// anywhere: on stdout, status 0; a bad command line: the message and the
/// usage on stderr, status 2).
///
/// # Errors
/// The exit status, when the program should stop.
#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the client programs' usage output"
)]
pub fn client_command_line(program: &str) -> Result<ClientArgs, ExitCode> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", client_usage(program));
        return Err(ExitCode::SUCCESS);
    }
    parse_client_args(&argv).map_err(|e| {
        eprintln!("{program}: {e}\n{}", client_usage(program));
        ExitCode::from(2)
    })
}

impl ClientArgs {
    /// The client options these arguments ask for: active mode, and FTPS
    /// verified with the Mozilla roots (or, with `--insecure`, not at all)
    /// for the URL's host.
    ///
    /// # Errors
    /// The TLS settings cannot be built (a host that is no valid name).
    pub fn options(&self) -> Result<ClientOptions, Failure> {
        let mut options = ClientOptions::default().active(self.active);
        // A command-line run should end soon when the server stops talking:
        // a transfer whose data connection is quiet this long is given up.
        options.engine.data_timeout = CLIENT_DATA_TIMEOUT;
        if self.tls == TlsMode::None {
            return Ok(options);
        }
        let tls = if self.insecure {
            TlsClient::insecure()
        } else {
            TlsClient::webpki_roots()
        }
        .and_then(|t| t.with_server_name(&self.url.host))
        .map_err(|e| Failure::Local(e.to_string()))?;
        Ok(match self.tls {
            TlsMode::Implicit => options.implicit_tls(tls),
            _ => options.explicit_tls(tls),
        })
    }
}

/// Why a client program failed: exit status 1, with the server's reply or
/// the error on stderr ([`exit_status`]).
#[derive(Debug)]
pub enum Failure {
    /// The FTP session failed (the server's refusal, a broken connection...).
    Ftp(Error),
    /// A local file or setting failed (the message names it).
    Local(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Ftp(e)
    }
}

/// A local I/O error as a [`Failure`], prefixed with `context` (the file).
pub fn local(context: &str) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| Failure::Local(format!("{context}: {e}"))
}

/// Where a resumed upload starts: the remote file's size, or 0 when there
/// is no such file yet (`550` to `SIZE`).
///
/// # Errors
/// Any other failure of `SIZE`.
pub fn upload_offset(remote_size: Result<u64, Error>) -> Result<u64, Failure> {
    match remote_size {
        Ok(size) => Ok(size),
        Err(e) if e.reply().is_some_and(|r| r.code().as_u16() == 550) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// Checks that a resumed upload of `path` (`total` bytes) can go on from
/// `offset`, the size of `remote`.
///
/// # Errors
/// The remote file is larger than the local one.
pub fn check_upload_offset(
    path: &str,
    remote: &str,
    offset: u64,
    total: u64,
) -> Result<(), Failure> {
    if offset > total {
        return Err(Failure::Local(format!(
            "{remote} is larger ({offset} bytes) than {path} ({total} bytes)"
        )));
    }
    Ok(())
}

/// The exit status of a client program's run, with its failure on stderr:
/// the server's reply line (`550 No such file`) when there is one, else
/// `PROGRAM: error`.
#[allow(clippy::print_stderr, reason = "the client programs' error output")]
pub fn exit_status(program: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Ftp(e)) => {
            eprintln!("{}", failure_line(program, &e));
            ExitCode::from(1)
        }
        Err(Failure::Local(e)) => {
            eprintln!("{program}: {e}");
            ExitCode::from(1)
        }
    }
}

/// The `ls` output line of an entry, `TYPE SIZE MODIFIED NAME`: TYPE `d`,
/// `l` or `-`; SIZE in bytes or `-`; MODIFIED `YYYY-MM-DDTHH:MM:SSZ` or
/// `-`. `None` for `.` and `..`.
#[must_use]
pub fn ls_line(entry: &FileInfo) -> Option<String> {
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
    let kind = match entry.kind {
        FileKind::Directory => 'd',
        FileKind::Symlink { .. } => 'l',
        _ => '-',
    };
    let size = entry.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let modified = entry
        .modified
        .map_or_else(|| "-".to_owned(), |t| t.iso8601().to_string());
    let name = escaped_name(&entry.name);
    Some(format!("{kind} {size} {modified} {name}"))
}

/// A name or path from the server (an `ls` entry, the `pwd` path) as GNU
/// `ls -b` shows it, so that it cannot drive the terminal and reads
/// unambiguously: a control character (C0, DEL, and C1 U+0080–U+009F)
/// becomes a backslash escape (`\a` `\b` `\t` `\n` `\v` `\f` `\r`,
/// others the octal value of each of their UTF-8 bytes: ESC is `\033`,
/// DEL `\177`, U+009B `\302\233`) and a backslash becomes `\\`.
/// Everything else stays as it is: spaces, printable UTF-8, and (as
/// before) U+FFFD for bytes that are not UTF-8.
#[must_use]
pub fn escaped_name(name: &[u8]) -> String {
    use std::fmt::Write as _;
    let text = String::from_utf8_lossy(name);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let short = match c {
            '\\' => "\\\\",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            c if c.is_control() => {
                let mut utf8 = [0u8; 4];
                for byte in c.encode_utf8(&mut utf8).bytes() {
                    let _ = write!(out, "\\{byte:03o}");
                }
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(short);
    }
    out
}

/// Where `get` writes a download, so that a failed one never leaves a
/// partial file under LOCAL's name: a new temporary file next to LOCAL
/// (`.NAME.part-PID-N`, in the same directory so the final rename stays on
/// one file system), renamed over LOCAL by [`commit`](Self::commit) once
/// the transfer is complete, and removed when dropped before that (LOCAL,
/// if it exists, stays untouched). The complete download replaces LOCAL
/// with a new file (default permissions, as a new LOCAL gets). With
/// `--resume` the download continues in LOCAL itself, which is then left
/// as far as it got. A program killed midway leaves its temporary file.
#[derive(Debug)]
pub struct DownloadTarget {
    path: PathBuf,
    /// The temporary file while the download is not committed.
    temp: Option<PathBuf>,
}

impl DownloadTarget {
    /// Opens the file a download to `path` writes: `path` itself at
    /// `offset` when `resume`, else a new temporary file next to it.
    ///
    /// # Errors
    /// The file cannot be created or opened (the message names `path`).
    pub fn open(path: &str, offset: u64, resume: bool) -> Result<(Self, std::fs::File), Failure> {
        use std::io::{Seek, SeekFrom};
        let final_path = PathBuf::from(path);
        if resume {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(offset == 0)
                .open(&final_path)
                .map_err(local(path))?;
            file.seek(SeekFrom::Start(offset)).map_err(local(path))?;
            let target = Self {
                path: final_path,
                temp: None,
            };
            return Ok((target, file));
        }
        if final_path.is_dir() {
            return Err(local(path)(std::io::ErrorKind::IsADirectory.into()));
        }
        let name = final_path
            .file_name()
            .ok_or_else(|| Failure::Local(format!("{path}: not a file name")))?;
        let dir = final_path.parent().unwrap_or(Path::new(""));
        let mut last = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
        for attempt in 0..100u32 {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".part-{}-{attempt}", std::process::id()));
            let temp = dir.join(temp_name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
            {
                Ok(file) => {
                    let target = Self {
                        path: final_path,
                        temp: Some(temp),
                    };
                    return Ok((target, file));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = e,
                Err(e) => return Err(local(path)(e)),
            }
        }
        Err(local(path)(last))
    }

    /// The download is complete (its file written and closed): the
    /// temporary file becomes LOCAL, replacing it.
    ///
    /// # Errors
    /// The rename failed (the temporary file is removed).
    pub fn commit(mut self) -> Result<(), Failure> {
        if let Some(temp) = self.temp.take()
            && let Err(e) = std::fs::rename(&temp, &self.path)
        {
            let _ = std::fs::remove_file(&temp);
            return Err(local(&self.path.to_string_lossy())(e));
        }
        Ok(())
    }
}

impl Drop for DownloadTarget {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// The stderr line of a failed FTP operation: the server's refusal
/// (`550 No such file`), else `PROGRAM: error` (a failed transfer that the
/// server still answered `226` says what failed, not `226 done`).
#[must_use]
pub fn failure_line(program: &str, error: &Error) -> String {
    match error.reply() {
        Some(reply) if reply.code().as_u16() >= 400 => reply_line(reply),
        _ => format!("{program}: {}", printable(&error.to_string())),
    }
}

/// How a client program reports a server's refusal on stderr: the code
/// and the last line of the reply's text (`550 No such file`).
#[must_use]
pub fn reply_line(reply: &ftp_proto::client::Reply) -> String {
    format!(
        "{} {}",
        reply.code(),
        printable(String::from_utf8_lossy(reply.last_line()).trim_end())
    )
}

/// `text` from a server, safe to show on a terminal: control characters
/// (escape sequences, bells, backspaces...) become `?`.
#[must_use]
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Whether `ls PATH` should ask again with `MLST`: the listing was refused
/// for good (`MLSD` of a file is an error, RFC 3659 §7.2.1, where `LIST`
/// would have shown the file).
#[must_use]
pub fn ls_may_be_a_file(refusal: &Error) -> bool {
    refusal
        .reply()
        .is_some_and(|r| r.code().as_u16() / 100 == 5)
}

/// The `ls PATH` line of the file `PATH` as `MLST` described it (named as
/// given); `None` for a folder, whose listing was refused.
#[must_use]
pub fn ls_file_line(entry: &FileInfo, path: &str) -> Option<String> {
    if matches!(
        entry.kind,
        FileKind::Directory | FileKind::CurrentDirectory | FileKind::ParentDirectory
    ) {
        return None;
    }
    let mut named = entry.clone();
    named.name = bytes::Bytes::copy_from_slice(path.as_bytes());
    ls_line(&named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(list: &[&str]) -> Result<ClientArgs, String> {
        parse_client_args(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    fn server(list: &[&str]) -> Result<ServerCommand, String> {
        parse_server_args(list.iter().map(|s| (*s).to_owned()))
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
    fn client_arguments() {
        let a = client(&[
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
        assert_eq!(a.tls, TlsMode::Explicit);
        assert_eq!(a.port(), 21);
        assert_eq!(a.command, ClientCommand::Get("a".into(), "b".into()));
        assert_eq!(
            client(&["--implicit-tls", "ftp://h", "pwd"])
                .unwrap()
                .port(),
            990
        );
        assert_eq!(
            client(&["ftp://h", "ls"]).unwrap().command,
            ClientCommand::Ls(None)
        );
        for bad in [
            &["--tls", "--implicit-tls", "ftp://h", "pwd"][..],
            &["--verbose", "ftp://h", "pwd"],
            &["ftp://h", "get", "a"],
            &["ftp://h", "frob"],
            &["ftp://h"],
            &["ftp://h", "pwd", "x"],
        ] {
            assert!(client(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn drop_box_users_may_only_upload() {
        let ServerCommand::Run(o) =
            server(&["--drop-box-user", "inbox:pw", "--user=alice:secret"]).unwrap()
        else {
            panic!("help")
        };
        assert!(!o.anonymous);
        assert_eq!(o.drop_box_users, [("inbox".to_owned(), "pw".to_owned())]);
        let auth = o.authenticator();
        let inbox = auth.authenticate(b"inbox", b"pw").unwrap();
        assert_eq!(inbox.permissions, Permissions::DROP_BOX);
        let alice = auth.authenticate(b"alice", b"secret").unwrap();
        assert_eq!(alice.permissions, Permissions::FULL);
        assert!(auth.authenticate(b"anonymous", b"x").is_err());
        let ServerCommand::Run(o) = server(&["--drop-box-user=inbox:pw"]).unwrap() else {
            panic!("help")
        };
        assert!(!o.anonymous);
        assert!(server(&["--drop-box-user", "nopassword"]).is_err());
    }

    #[test]
    fn server_arguments() {
        let ServerCommand::Run(o) = server(&[]).unwrap() else {
            panic!("help")
        };
        assert!(o.anonymous && !o.offload_lookups);
        assert_eq!(o.listen, [SocketAddr::from(([127, 0, 0, 1], 2121))]);
        let ServerCommand::Run(o) = server(&[
            "--user=a:b",
            "--listen",
            "[::1]:21",
            "--passive-ports",
            "5000-5010",
            "--idle-timeout=0",
            "--offload-lookups",
        ])
        .unwrap() else {
            panic!("help")
        };
        assert!(!o.anonymous && o.offload_lookups);
        assert_eq!(o.users, [("a".to_owned(), "b".to_owned())]);
        assert_eq!(o.passive_ports, Some(5000..=5010));
        assert_eq!(o.idle_timeout, 0);
        assert_eq!(server(&["-h"]).unwrap(), ServerCommand::Help);
        for bad in [
            &["--frob"][..],
            &["--user", "nopassword"],
            &["--passive-ports", "10-5"],
            &["--tls-cert", "c.pem"],
            &["--implicit-tls"],
            &["--anonymous=yes"],
            &["--offload-lookups=yes"],
            &["--inline-lookups"],
            &["--max-connections", "0"],
            &["--max-connections-per-ip", "0"],
            &["--max-login-failures", "-1"],
            &["--ban-seconds", "0"],
            &["--max-passive-per-ip", "x"],
            &["--listen"],
        ] {
            assert!(server(bad).is_err(), "{bad:?}");
        }
        let Ok(ServerCommand::Run(o)) = server(&[]) else {
            panic!("no options");
        };
        assert!(!o.in_place_uploads);
        let Ok(ServerCommand::Run(o)) = server(&["--in-place-uploads"]) else {
            panic!("--in-place-uploads");
        };
        assert!(o.in_place_uploads);
        assert!(o.settings().is_ok());
        assert!(server(&["--in-place-uploads=yes"]).is_err());
    }

    #[test]
    fn server_text_is_printable() {
        assert_eq!(
            printable("550 \u{1b}[2J\u{1b}[31mgone\u{7}"),
            "550 ?[2J?[31mgone?"
        );
        assert_eq!(
            printable("550 Datei fehlt \u{e9}"),
            "550 Datei fehlt \u{e9}"
        );
        assert_eq!(printable("a\u{9b}b\tc"), "a?b?c");
    }

    #[test]
    fn failure_lines() {
        use ftp_proto::client::{ClientError, Reply};
        use ftp_proto::reply::ReplyCode;
        let reply = |code, text| Reply::new(ReplyCode::new(code).unwrap(), text);
        let refused = Error::Ftp(ClientError::Permanent(reply(550, "No \u{1b}such")));
        assert_eq!(failure_line("c", &refused), "550 No ?such");
        // The server said 226, but the data connection failed.
        let broken = Error::Ftp(ClientError::DataConnection(Some(reply(226, "done"))));
        assert_eq!(failure_line("c", &broken), "c: data connection failed");
        assert_eq!(
            failure_line("c", &Error::ConnectTimeout),
            format!("c: {}", Error::ConnectTimeout)
        );
    }

    #[test]
    fn masquerade_is_ipv4() {
        let ServerCommand::Run(o) = server(&["--masquerade", "::ffff:192.0.2.7"]).unwrap() else {
            panic!("help")
        };
        assert_eq!(o.masquerade, Some(IpAddr::from([192, 0, 2, 7])));
        for bad in ["::1", "2001:db8::1", "example.org"] {
            assert!(server(&["--masquerade", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn ls_of_a_file() {
        let file =
            FileInfo::new(bytes::Bytes::from_static(b"/sub/a.txt"), FileKind::File).with_size(6);
        assert_eq!(ls_file_line(&file, "sub/a.txt").unwrap(), "- 6 - sub/a.txt");
        let dir = FileInfo::new(bytes::Bytes::from_static(b"/sub"), FileKind::Directory);
        assert!(ls_file_line(&dir, "sub").is_none());
    }

    #[test]
    fn names_are_escaped_as_ls_b_does() {
        assert_eq!(escaped_name(b"a b \xc3\xa9"), "a b \u{e9}");
        assert_eq!(
            escaped_name(b"x\x1b[2J\x07\x08\t\n\x0b\x0c\r\x7f\x00y"),
            "x\\033[2J\\a\\b\\t\\n\\v\\f\\r\\177\\000y"
        );
        assert_eq!(escaped_name("a\u{9b}b\\c".as_bytes()), "a\\302\\233b\\\\c");
        assert_eq!(escaped_name(b"bad\xff"), "bad\u{fffd}");
    }

    #[test]
    fn a_download_target_is_renamed_on_commit_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let path_s = path.to_str().unwrap();
        std::fs::write(&path, b"old").unwrap();
        let listing = || -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        // Failed (dropped): LOCAL untouched, nothing left over.
        let (target, mut file) = DownloadTarget::open(path_s, 0, false).unwrap();
        std::io::Write::write_all(&mut file, b"partial").unwrap();
        assert_eq!(listing().len(), 2);
        drop(file);
        drop(target);
        assert_eq!(listing(), ["f.bin"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        // Complete: replaces LOCAL.
        let (target, mut file) = DownloadTarget::open(path_s, 0, false).unwrap();
        std::io::Write::write_all(&mut file, b"new").unwrap();
        drop(file);
        target.commit().unwrap();
        assert_eq!(listing(), ["f.bin"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        // A folder is no target.
        let folder = dir.path().to_str().unwrap();
        assert!(DownloadTarget::open(folder, 0, false).is_err());
        assert_eq!(listing(), ["f.bin"]);
        // Resume: in place, kept as far as it got.
        let (target, mut file) = DownloadTarget::open(path_s, 3, true).unwrap();
        std::io::Write::write_all(&mut file, b"er").unwrap();
        drop(file);
        drop(target);
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
    }

    #[test]
    fn ls_lines() {
        let t = ftp_proto::timestamp::Timestamp::from_unix(0, 0);
        let file = FileInfo::new(bytes::Bytes::from_static(b"a b"), FileKind::File)
            .with_size(12)
            .with_modified(t);
        assert_eq!(ls_line(&file).unwrap(), "- 12 1970-01-01T00:00:00Z a b");
        let dir = FileInfo::new(bytes::Bytes::from_static(b"d"), FileKind::Directory);
        assert_eq!(ls_line(&dir).unwrap(), "d - - d");
        let dot = FileInfo::new(bytes::Bytes::from_static(b".."), FileKind::Directory);
        assert!(ls_line(&dot).is_none());
        let hostile = FileInfo::new(
            bytes::Bytes::from_static(b"a\x1b]0;pwned\x07"),
            FileKind::File,
        );
        assert_eq!(ls_line(&hostile).unwrap(), "- - - a\\033]0;pwned\\a");
    }

    #[test]
    fn server_options_become_settings() {
        let ServerCommand::Run(o) = server(&[
            "--listen=127.0.0.1:0",
            "--passive-ports=5000-5010",
            "--idle-timeout=0",
            "--max-connections=7",
            "--masquerade=192.0.2.1",
        ])
        .unwrap() else {
            panic!("help")
        };
        let r = o.settings().unwrap().resolve().unwrap();
        assert_eq!(r.listen, [SocketAddr::from(([127, 0, 0, 1], 0))]);
        assert_eq!(r.passive_ports, Some(5000..=5010));
        assert_eq!(r.limits.max_connections, 7);
        assert_eq!(r.engine.timeouts.idle, None);
        assert!(r.engine.security.allow_anonymous);
        assert_eq!(
            r.engine.masquerade_address,
            Some(IpAddr::from([192, 0, 2, 1]))
        );
        assert!(r.tls.is_none());
        // The hardening defaults, then each flag.
        assert_eq!(r.limits.max_per_ip, None);
        assert_eq!(r.login_bans, Some(BanPolicy::default()));
        assert_eq!(r.passive_per_ip, Some(2), "a quarter of 5000-5010");
        let ServerCommand::Run(o) = server(&[
            "--max-connections-per-ip=3",
            "--max-login-failures=5",
            "--ban-seconds=60",
            "--max-passive-per-ip=2",
        ])
        .unwrap() else {
            panic!("help")
        };
        let r = o.settings().unwrap().resolve().unwrap();
        assert_eq!(r.limits.max_per_ip, Some(3));
        let bans = r.login_bans.unwrap();
        assert_eq!((bans.max_failures, bans.ban), (5, Duration::from_secs(60)));
        assert_eq!(r.passive_per_ip, Some(2));
        let ServerCommand::Run(o) =
            server(&["--max-login-failures=0", "--max-passive-per-ip=0"]).unwrap()
        else {
            panic!("help")
        };
        let r = o.settings().unwrap().resolve().unwrap();
        assert_eq!((r.login_bans, r.passive_per_ip), (None, None));
        let ServerCommand::Run(o) =
            server(&["--tls-cert=/nonexistent", "--tls-key=/nonexistent"]).unwrap()
        else {
            panic!("help")
        };
        assert!(o.settings().is_err());
    }

    #[test]
    fn client_args_become_options() {
        let o = client(&["--active", "ftp://h", "pwd"])
            .unwrap()
            .options()
            .unwrap();
        assert!(o.is_active());
        assert_eq!(o.security, crate::client::Security::Plain);
        assert_eq!(o.engine.data_timeout, CLIENT_DATA_TIMEOUT);
        let o = client(&["--implicit-tls", "--insecure", "ftp://h", "pwd"])
            .unwrap()
            .options()
            .unwrap();
        assert_eq!(o.security, crate::client::Security::ImplicitTls);
        assert!(o.tls.is_some() && !o.is_active());
    }

    #[test]
    fn upload_offsets() {
        assert_eq!(upload_offset(Ok(5)).unwrap(), 5);
        assert!(upload_offset(Err(Error::ConnectTimeout)).is_err());
        assert!(check_upload_offset("l", "r", 5, 5).is_ok());
        let Err(Failure::Local(message)) = check_upload_offset("l", "r", 6, 5) else {
            panic!("larger remote accepted")
        };
        assert_eq!(message, "r is larger (6 bytes) than l (5 bytes)");
    }
}
