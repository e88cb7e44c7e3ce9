//! A minimal FTP client on raw sockets, independent of the engine under
//! test: for smoke tests of the real servers and for capturing transcripts.
//! Every exchange is recorded as [`Record`]s.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

// Bounds for a stuck peer, generous for a loaded CI machine (a healthy
// exchange takes milliseconds; these only decide how long a failure takes).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_LINE: u64 = 8192;
const MAX_REPLY_LINES: usize = 1000;
const MAX_DATA: usize = 1 << 20;
const MAX_DATA_TIME: Duration = Duration::from_secs(60);

/// One line of a recorded exchange (the transcript format of
/// `tests/fixtures/servers/README.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A command line the client sent, without CRLF (`C: `).
    Client(String),
    /// A reply line as received, without CRLF (`S: `).
    Server(String),
    /// A line received on a data connection (`D: `).
    DataIn(String),
    /// A line sent on a data connection (`D> `).
    DataOut(String),
    /// A comment (`# `).
    Comment(String),
}

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Client(l) => write!(f, "C: {l}"),
            Self::Server(l) => write!(f, "S: {l}"),
            Self::DataIn(l) => write!(f, "D: {l}"),
            Self::DataOut(l) => write!(f, "D> {l}"),
            Self::Comment(l) => write!(f, "# {l}"),
        }
    }
}

/// A complete (possibly multi-line) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    /// The three-digit code.
    pub code: u16,
    /// Every line as received, without CRLF.
    pub lines: Vec<String>,
}

impl RawReply {
    /// The text of the last line after the code.
    pub fn text(&self) -> &str {
        self.lines
            .last()
            .and_then(|l| l.get(4..))
            .unwrap_or_default()
    }

    /// The code's first digit (1 to 5).
    pub fn class(&self) -> u16 {
        self.code / 100
    }
}

/// Reads one complete reply from `reader`.
pub(crate) fn read_reply(reader: &mut impl BufRead) -> io::Result<RawReply> {
    let mut lines = Vec::new();
    let mut code = None;
    while lines.len() < MAX_REPLY_LINES {
        let mut buf = Vec::new();
        let n = reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connection closed inside a reply after {lines:?}"),
            ));
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf).into_owned();
        let this = line_code(&line);
        let sep = line.as_bytes().get(3).copied();
        match code {
            None => {
                let Some(c) = this else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("reply does not start with a code: {line:?}"),
                    ));
                };
                code = Some(c);
                lines.push(line);
                if sep != Some(b'-') {
                    return Ok(RawReply { code: c, lines });
                }
            }
            Some(c) => {
                lines.push(line);
                if this == Some(c) && sep != Some(b'-') {
                    return Ok(RawReply { code: c, lines });
                }
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "reply too long"))
}

fn line_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match line.as_bytes().get(3) {
        None | Some(b' ' | b'-') => digits.parse().ok(),
        Some(_) => None,
    }
}

/// A control connection with a recorded transcript.
#[derive(Debug)]
pub struct RawControl {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    peer: SocketAddr,
    records: Vec<Record>,
}

impl RawControl {
    /// Connects (with timeouts) without reading anything.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        Self::over(TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?, addr)
    }

    /// A control connection over `stream`, connected to `addr`.
    fn over(stream: TcpStream, addr: SocketAddr) -> io::Result<Self> {
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let writer = stream.try_clone()?;
        Ok(Self {
            reader: BufReader::new(stream),
            writer,
            peer: addr,
            records: Vec::new(),
        })
    }

    /// Connects from `local` (an IP of this machine, e.g. `127.0.0.2`) to
    /// `addr`, with timeouts, without reading anything.
    pub fn connect_from(local: std::net::IpAddr, addr: SocketAddr) -> io::Result<Self> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.bind(&SocketAddr::new(local, 0).into())?;
        socket.connect_timeout(&addr.into(), CONNECT_TIMEOUT)?;
        Self::over(socket.into(), addr)
    }

    /// Sends `bytes` as TCP urgent data (`MSG_OOB`): the kernel marks its
    /// last byte as the urgent one, as a Telnet Synch does (RFC 959 §4.1.3).
    pub fn send_urgent(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.records.push(Record::Client(format!(
            "(urgent) {}",
            String::from_utf8_lossy(bytes)
        )));
        let sent = socket2::SockRef::from(&self.writer).send_out_of_band(bytes)?;
        if sent != bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "urgent data cut short",
            ));
        }
        Ok(())
    }

    /// Sends raw bytes (no CRLF added) and records them.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.records
            .push(Record::Client(String::from_utf8_lossy(bytes).into_owned()));
        self.writer.write_all(bytes)
    }

    /// The recorded exchange so far.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Takes the recorded exchange, leaving it empty.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// Adds a comment to the record.
    pub fn comment(&mut self, text: impl Into<String>) {
        self.records.push(Record::Comment(text.into()));
    }

    /// Reads one reply (e.g. the greeting) and records its lines.
    pub fn read_reply(&mut self) -> io::Result<RawReply> {
        let reply = read_reply(&mut self.reader)?;
        self.records
            .extend(reply.lines.iter().cloned().map(Record::Server));
        Ok(reply)
    }

    /// Sends one command line (CRLF added) and records it.
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        if line.contains(['\r', '\n']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "CR or LF inside a command line",
            ));
        }
        self.records.push(Record::Client(line.to_string()));
        self.writer.write_all(format!("{line}\r\n").as_bytes())
    }

    /// Sends a command and reads its reply.
    pub fn command(&mut self, line: &str) -> io::Result<RawReply> {
        self.send(line)?;
        self.read_reply()
    }

    /// `USER` then, on 331, `PASS`; returns the last reply.
    pub fn login(&mut self, user: &str, password: &str) -> io::Result<RawReply> {
        let reply = self.command(&format!("USER {user}"))?;
        if reply.code == 331 {
            self.command(&format!("PASS {password}"))
        } else {
            Ok(reply)
        }
    }

    /// `EPSV`; the data address is the control peer's host with the port
    /// from the 229 reply.
    pub fn epsv(&mut self) -> io::Result<(RawReply, Option<SocketAddr>)> {
        let reply = self.command("EPSV")?;
        let addr = (reply.code == 229)
            .then(|| parse_229(reply.text()))
            .flatten()
            .map(|port| SocketAddr::new(self.peer.ip(), port));
        Ok((reply, addr))
    }

    /// `PASV`; the data address is the control peer's host (the announced
    /// address is ignored, as curl and ftplib do) with the port from 227.
    pub fn pasv(&mut self) -> io::Result<(RawReply, Option<SocketAddr>)> {
        let reply = self.command("PASV")?;
        let addr = (reply.code == 227)
            .then(|| reply.lines.iter().find_map(|l| parse_227(l)))
            .flatten()
            .map(|port| SocketAddr::new(self.peer.ip(), port));
        Ok((reply, addr))
    }

    /// Connects to `data` (right away, as clients must), sends `command`,
    /// and on a 1yz reply reads the data connection to EOF before reading the
    /// final reply. Returns the first reply, the data, and the final reply.
    pub fn transfer_in(
        &mut self,
        data: SocketAddr,
        command: &str,
    ) -> io::Result<(RawReply, Vec<u8>, Option<RawReply>)> {
        let mut stream = TcpStream::connect_timeout(&data, CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        let first = self.command(command)?;
        if first.class() != 1 {
            return Ok((first, Vec::new(), None));
        }
        let bytes = read_to_eof(&mut stream)?;
        drop(stream);
        self.records.extend(data_lines(&bytes).map(Record::DataIn));
        let last = self.read_reply()?;
        Ok((first, bytes, Some(last)))
    }

    /// Connects to `data`, sends `command`, and on a 1yz reply sends `bytes`
    /// and closes the data connection before reading the final reply.
    pub fn transfer_out(
        &mut self,
        data: SocketAddr,
        command: &str,
        bytes: &[u8],
    ) -> io::Result<(RawReply, Option<RawReply>)> {
        let mut stream = TcpStream::connect_timeout(&data, CONNECT_TIMEOUT)?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let first = self.command(command)?;
        if first.class() != 1 {
            return Ok((first, None));
        }
        self.records.extend(data_lines(bytes).map(Record::DataOut));
        stream.write_all(bytes)?;
        stream.shutdown(Shutdown::Write)?;
        // Wait for the server to close its side, bounded by the read timeout.
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        let _ = read_to_eof(&mut stream);
        drop(stream);
        let last = self.read_reply()?;
        Ok((first, Some(last)))
    }
}

fn read_to_eof(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let started = Instant::now();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(bytes);
        }
        bytes.extend_from_slice(buf.get(..n).unwrap_or_default());
        if bytes.len() > MAX_DATA || started.elapsed() > MAX_DATA_TIME {
            return Err(io::Error::other("data connection sent too much"));
        }
    }
}

/// Splits data into lines at LF, dropping the LF and one CR before it.
fn data_lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes
        .split(|b| *b == b'\n')
        .filter(move |_| !bytes.is_empty())
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
}

/// The port of a 229 text: `... (|||port|)`.
fn parse_229(text: &str) -> Option<u16> {
    let start = text.find('(')?;
    let inner = text.get(start + 1..)?;
    let end = inner.find(')')?;
    let inner = inner.get(..end)?;
    let mut chars = inner.chars();
    let d = chars.next()?;
    let fields: Vec<&str> = inner.split(d).collect();
    match fields.as_slice() {
        ["", "", "", port, ""] => port.parse().ok(),
        _ => None,
    }
}

/// The port of a 227 line: the last two of six comma-separated numbers.
fn parse_227(line: &str) -> Option<u16> {
    let start = line.get(4..)?.find(|c: char| c.is_ascii_digit())? + 4;
    let rest = line.get(start..)?;
    let numbers: Vec<u16> = rest
        .split(',')
        .take(6)
        .map(|n| {
            let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect::<Option<_>>()?;
    match numbers.as_slice() {
        [_, _, _, _, hi, lo] if *hi < 256 && *lo < 256 => Some(hi * 256 + lo),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_multi_line_replies() {
        let input = b"220-Welcome\r\n  indented 220 text\r\n220-more\r\n220 ready\r\n230 next\r\n";
        let mut reader = &input[..];
        let reply = read_reply(&mut reader).unwrap();
        assert_eq!(reply.code, 220);
        assert_eq!(reply.lines.len(), 4);
        assert_eq!(reply.text(), "ready");
        let next = read_reply(&mut reader).unwrap();
        assert_eq!(next.code, 230);
    }

    #[test]
    fn parses_passive_replies() {
        assert_eq!(
            parse_229("Entering Extended Passive Mode (|||50123|)"),
            Some(50123)
        );
        assert_eq!(
            parse_229("Entering Extended Passive Mode (!!!21!)"),
            Some(21)
        );
        assert_eq!(parse_229("no parens"), None);
        assert_eq!(
            parse_227("227 Entering Passive Mode (127,0,0,1,195,80)."),
            Some(50000)
        );
        assert_eq!(
            parse_227("227 Entering passive mode. 127,0,0,1,4,51"),
            Some(1075)
        );
        assert_eq!(parse_227("227 nothing"), None);
    }

    #[test]
    fn splits_data_lines() {
        let lines: Vec<String> = data_lines(b"a\r\nb\nc").collect();
        assert_eq!(lines, ["a", "b", "c"]);
        assert_eq!(data_lines(b"").count(), 0);
    }
}
