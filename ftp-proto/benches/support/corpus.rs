//! The inputs of the `lines` benchmark, shared with `examples/lines_profile.rs`
//! (the callgrind harness) so both measure the same bytes.

/// A realistic client session's commands, repeated to ~96 KiB of CRLF lines
/// (about 6,300 lines, 15.7 bytes each on average).
pub(crate) fn command_corpus() -> Vec<u8> {
    const LINES: &[&str] = &[
        "USER anonymous",
        "PASS guest@example.com",
        "SYST",
        "FEAT",
        "OPTS UTF8 ON",
        "PWD",
        "TYPE I",
        "CWD /pub/linux/kernel/v6.x",
        "EPSV",
        "MLSD",
        "PASV",
        "LIST -la",
        "SIZE linux-6.9.tar.xz",
        "MDTM linux-6.9.tar.xz",
        "REST 1048576",
        "RETR linux-6.9.tar.xz",
        "CDUP",
        "CWD /incoming/photos 2024",
        "EPSV",
        "STOR IMG_20240102_030405 holiday at the lake.jpg",
        "MFMT 20240102030405 IMG_20240102_030405 holiday at the lake.jpg",
        "PORT 192,168,1,20,195,80",
        "NLST",
        "MKD backup",
        "RNFR old name.txt",
        "RNTO new name.txt",
        "DELE tmp.part",
        "NOOP",
        "STAT",
        "QUIT",
    ];
    let mut out = Vec::new();
    while out.len() < 96 * 1024 {
        for line in LINES {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// One client session's worth of server replies, repeated to ~128 KiB:
/// greeting banner, login with a multi-line 230, FEAT, SYST, TYPE, PWD/CWD,
/// passive transfers, SIZE, MDTM, STAT and HELP (about 4,300 lines).
pub(crate) fn reply_corpus() -> Vec<u8> {
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
