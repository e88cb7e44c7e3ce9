//! The `replies` part of the `lines` benchmark: a realistic corpus of server
//! replies (a few thousand lines), framed and parsed on the client's borrowed
//! path, against a loop that only finds each line end with memchr.

use std::hint::black_box;

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput};
use ftp_proto::line::{LineBuffer, LineConfig};
use ftp_proto::reply::ReplyParser;

/// One client session's worth of replies, repeated: greeting banner, login
/// with a multi-line 230, FEAT, SYST, TYPE, PWD/CWD, passive transfers, SIZE,
/// MDTM, STAT and HELP.
pub(crate) fn corpus() -> Vec<u8> {
    let session: &[&[u8]] = &[
        b"220-Welcome to the example FTP archive.\r\n",
        b"220-All transfers are logged. Disconnect if you do not agree.\r\n",
        b"220 ProFTPD Server (Example) [192.0.2.10]\r\n",
        b"331 Password required for anonymous\r\n",
        b"230-Welcome, archive user anonymous@192.0.2.99 !\r\n",
        b"230-\r\n",
        b"230-The local time is: Tue Jun 11 12:00:00 2024\r\n",
        b"230-This is an experimental FTP server.  If you have any unusual problems,\r\n",
        b"230-please report them via e-mail to <root@example.org>.\r\n",
        b"230 Anonymous login ok, restrictions apply.\r\n",
        b"211-Features:\r\n",
        b" AUTH TLS\r\n EPRT\r\n EPSV\r\n HOST\r\n LANG en-US*\r\n MDTM\r\n MFF modify;UNIX.group;UNIX.mode;\r\n",
        b" MFMT\r\n MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;\r\n",
        b" PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n SSCN\r\n TVFS\r\n UTF8\r\n",
        b"211 End\r\n",
        b"215 UNIX Type: L8\r\n",
        b"200 Type set to I\r\n",
        b"257 \"/pub\" is the current directory\r\n",
        b"250 CWD command successful\r\n",
        b"229 Entering Extended Passive Mode (|||50123|)\r\n",
        b"150 Opening BINARY mode data connection for file list\r\n",
        b"226 Transfer complete\r\n",
        b"213 1048576\r\n",
        b"213 20240611120000\r\n",
        b"227 Entering Passive Mode (192,0,2,10,195,149).\r\n",
        b"150 Opening BINARY mode data connection for linux-6.9.tar.xz (1048576 bytes)\r\n",
        b"226 Transfer complete\r\n",
        b"211-Status of 'ProFTPD'\r\n",
        b" Connected from 192.0.2.99 (192.0.2.99)\r\n",
        b" Logged in as ftp\r\n",
        b" TYPE: BINARY, STRUcture: File, Mode: Stream\r\n",
        b" No data connection\r\n",
        b"211 End of status\r\n",
        b"214-The following commands are recognized (* =>'s unimplemented):\r\n",
        b" CWD     XCWD    CDUP    XCUP    SMNT*   QUIT    PORT    PASV    \r\n",
        b" EPRT    EPSV    ALLO*   RNFR    RNTO    DELE    MDTM    RMD     \r\n",
        b" XRMD    MKD     XMKD    PWD     XPWD    SIZE    SYST    HELP    \r\n",
        b" NOOP    FEAT    OPTS    HOST    CLNT    AUTH    CCC*    CONF*   \r\n",
        b"214 Direct comments to root@example.org\r\n",
        b"250 DELE command successful\r\n",
        b"257 \"/pub/new dir\" - Directory successfully created\r\n",
        b"350 File or directory exists, ready for destination name\r\n",
        b"250 Rename successful\r\n",
        b"550 missing.txt: No such file or directory\r\n",
        b"221 Goodbye.\r\n",
    ];
    let one: Vec<u8> = session.concat();
    let mut out = Vec::new();
    while out.len() < 128 * 1024 {
        out.extend_from_slice(&one);
    }
    out
}

/// Registers `memchr_replies` (baseline: find line ends only),
/// `framing_replies` (LineBuffer framing only) and `replies` (framing and
/// reply parsing, borrowed path).
pub(crate) fn bench_replies(c: &mut Criterion) {
    let input = corpus();
    let mut group = c.benchmark_group("lines");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Bytes(input.len() as u64));

    group.bench_function("memchr_replies", |b| {
        b.iter(|| {
            let mut lines = 0usize;
            let mut rest = black_box(&input[..]);
            while let Some(i) = memchr::memchr(b'\n', rest) {
                lines += 1;
                rest = &rest[i + 1..];
            }
            black_box(lines)
        });
    });

    // The input buffer is filled outside the measurement; framing and parsing are measured.
    group.bench_function("framing_replies", |b| {
        b.iter_batched_ref(
            || {
                let mut framer = LineBuffer::new(LineConfig::default().with_max_line_len(8192));
                framer.extend_from_slice(&input);
                framer
            },
            |framer| {
                let mut n = 0usize;
                while let Some(line) = framer.next_line() {
                    n += line.map_or(0, |l| l.text().len());
                }
                black_box(n)
            },
            BatchSize::SmallInput,
        );
    });

    group.bench_function("replies", |b| {
        b.iter_batched_ref(
            || {
                let mut parser = ReplyParser::default();
                parser.extend_from_slice(&input);
                parser
            },
            |parser| {
                let mut replies = 0usize;
                let mut text = 0usize;
                while let Some(reply) = parser.next_reply() {
                    let reply = reply.expect("corpus replies are well-formed");
                    replies += 1;
                    text += reply.joined_text().len() + usize::from(reply.code().as_u16());
                }
                black_box((replies, text))
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}
