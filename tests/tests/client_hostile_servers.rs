//! Both clients (the blocking one and the tokio one) against the same
//! hostile fake servers on loopback: each scenario is written once, and
//! both clients must get the same result from it.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a fake server goes on before giving up (far above the
/// clients' 1 s reply timeout: a client that stops in time closes the
/// connection long before).
const PATIENCE: Duration = Duration::from_secs(20);

/// The clients' reply timeout in these tests.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// What a fake server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    /// `FEAT` answered with a multi-line reply that never ends (lines
    /// written as fast as the client reads them).
    EndlessFeat,
    /// `USER` answered with `150` every 50 ms, never with a final reply.
    EndlessPreliminary,
    /// Two greeting lines in one write: `220 a`, `220 b`.
    DoubledGreeting,
    /// `220 a`, and `220 b` only once `USER` came (so it arrives while
    /// `USER` waits for its reply).
    LateSecondGreeting,
    /// `USER` answered with this 2yz that RFC 959 does not list for it.
    UserAnswered(&'static str),
}

/// What the fake server saw.
#[derive(Debug, Default)]
struct Seen {
    commands: Vec<String>,
    /// A write failed: the client closed the connection while the server
    /// was still talking.
    client_stopped: bool,
}

fn accept(listener: &TcpListener) -> Option<TcpStream> {
    ftp_proto_tests::loopback::accept_within(listener, PATIENCE)
}

/// Writes `line` every `every` until a write fails (the client is gone)
/// or [`PATIENCE`] ran out.
fn repeat(out: &mut TcpStream, line: &[u8], every: Duration, seen: &mut Seen) {
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        if out.write_all(line).is_err() {
            seen.client_stopped = true;
            return;
        }
        thread::sleep(every);
    }
}

fn fake_server(scenario: Scenario) -> (SocketAddr, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let mut seen = Seen::default();
        let Some(control) = accept(&listener) else {
            return seen;
        };
        control.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut out = control.try_clone().unwrap();
        let mut lines = BufReader::new(control);
        let greeting: &[u8] = match scenario {
            Scenario::DoubledGreeting => b"220 a\r\n220 b\r\n",
            _ => b"220 a\r\n",
        };
        let _ = out.write_all(greeting);
        let mut line = String::new();
        while matches!(lines.read_line(&mut line), Ok(n) if n > 0) {
            let command = line.trim_end().to_owned();
            line.clear();
            let verb = command.split(' ').next().unwrap_or("").to_owned();
            seen.commands.push(command);
            let reply: &[u8] = match (verb.as_str(), scenario) {
                ("USER", Scenario::EndlessPreliminary) => {
                    let every = Duration::from_millis(50);
                    repeat(&mut out, b"150 wait\r\n", every, &mut seen);
                    break;
                }
                ("USER", Scenario::LateSecondGreeting) => b"220 b\r\n331 password\r\n",
                ("USER", Scenario::UserAnswered(reply)) => reply.as_bytes(),
                ("USER", _) => b"331 password\r\n",
                ("PASS", _) => b"230 in\r\n",
                ("FEAT", Scenario::EndlessFeat) => {
                    let _ = out.write_all(b"211-Features:\r\n");
                    // Without a pause: a read never waits long enough to
                    // time out.
                    let lines = b" SIZE\r\n".repeat(512);
                    repeat(&mut out, &lines, Duration::ZERO, &mut seen);
                    break;
                }
                ("FEAT", _) => b"211-Features:\r\n SIZE\r\n211 End\r\n",
                ("PWD", _) => b"257 \"/x\" is current\r\n",
                ("QUIT", _) => {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                }
                _ => b"502 no\r\n",
            };
            if out.write_all(reply).is_err() {
                break;
            }
        }
        seen
    });
    (addr, handle)
}

/// What a client made of a session: each step's result, as text (both
/// clients share one error type, so the texts compare).
type Steps = Vec<String>;

fn step<T: std::fmt::Debug, E: std::fmt::Display>(
    steps: &mut Steps,
    name: &str,
    r: Result<T, E>,
) -> bool {
    let ok = r.is_ok();
    steps.push(match r {
        Ok(v) => format!("{name}: ok {v:?}"),
        Err(e) => format!("{name}: error {e}"),
    });
    ok
}

/// connect, login, feat, pwd, quit with the blocking client.
fn run_std(addr: SocketAddr) -> Steps {
    use ftp_proto_std::client::{Client, ClientOptions};
    let mut options = ClientOptions::default();
    options.engine.reply_timeout = REPLY_TIMEOUT;
    let mut steps = Steps::new();
    let client = Client::connect(addr, options);
    let ok = client.is_ok();
    let Ok(mut client) = client else {
        step(&mut steps, "connect", client.map(drop));
        return steps;
    };
    steps.push(format!("connect: {ok}"));
    let _ = step(
        &mut steps,
        "login",
        client.login("u", "p").map(|r| r.code().as_u16()),
    ) && step(&mut steps, "feat", client.feat().map(|f| f.size))
        && step(&mut steps, "pwd", client.pwd())
        && step(&mut steps, "quit", client.quit());
    steps
}

/// The same with the tokio client.
fn run_tokio(addr: SocketAddr) -> Steps {
    use ftp_proto_tokio::client::{Client, ClientOptions};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut options = ClientOptions::default();
        options.engine.reply_timeout = REPLY_TIMEOUT;
        let mut steps = Steps::new();
        let client = Client::connect(addr, options).await;
        let ok = client.is_ok();
        let Ok(mut client) = client else {
            step(&mut steps, "connect", client.map(drop));
            return steps;
        };
        steps.push(format!("connect: {ok}"));
        if step(
            &mut steps,
            "login",
            client.login("u", "p").await.map(|r| r.code().as_u16()),
        ) && step(&mut steps, "feat", client.feat().await.map(|f| f.size))
            && step(&mut steps, "pwd", client.pwd().await)
        {
            step(&mut steps, "quit", client.quit().await);
        }
        steps
    })
}

/// Runs `scenario` against both clients; returns what they did (the same)
/// and what the server saw of each.
fn both(scenario: Scenario) -> (Steps, [Seen; 2]) {
    let (addr, server) = fake_server(scenario);
    let std_steps = run_std(addr);
    let std_seen = server.join().unwrap();
    let (addr, server) = fake_server(scenario);
    let tokio_steps = run_tokio(addr);
    let tokio_seen = server.join().unwrap();
    assert_eq!(std_steps, tokio_steps, "{scenario:?}: the clients differ");
    (std_steps, [std_seen, tokio_seen])
}

/// A `FEAT` reply that never ends: the reply timeout ends the session
/// while lines still arrive (the blocking client checked its deadline
/// only when a read timed out, and read on for as long as the server
/// talked).
#[test]
fn a_reply_that_never_ends_times_out_on_both_clients() {
    let (steps, seen) = both(Scenario::EndlessFeat);
    assert_eq!(steps[1], "login: ok 230");
    assert_eq!(steps[2], "feat: error session closed: reply timeout");
    assert_eq!(steps.len(), 3, "{steps:?}");
    for seen in seen {
        assert!(seen.client_stopped, "{seen:?}");
    }
}

/// `150` after `USER` (which allows no `1yz`), again and again: the reply
/// deadline is not restarted by them.
#[test]
fn endless_preliminary_replies_time_out_on_both_clients() {
    let (steps, seen) = both(Scenario::EndlessPreliminary);
    assert_eq!(steps[1], "login: error session closed: reply timeout");
    for seen in seen {
        assert!(seen.client_stopped, "{seen:?}");
    }
}

/// A second greeting line answers nothing, whether it comes with the
/// first or while `USER` waits: both clients log in with `PASS` and every
/// later reply matched right.
#[test]
fn a_doubled_greeting_shifts_nothing_on_both_clients() {
    for scenario in [Scenario::DoubledGreeting, Scenario::LateSecondGreeting] {
        let (steps, seen) = both(scenario);
        assert_eq!(
            steps,
            [
                "connect: true",
                "login: ok 230",
                "feat: ok true",
                "pwd: ok b\"/x\"",
                "quit: ok ()",
            ],
            "{scenario:?}"
        );
        for seen in seen {
            assert_eq!(seen.commands, ["USER u", "PASS p", "FEAT", "PWD", "QUIT"]);
        }
    }
}

/// A 2yz to `USER` other than 230 (and RFC 2228's 232) does not log in.
#[test]
fn an_unlisted_2yz_to_user_is_no_login_on_both_clients() {
    for reply in ["200 ok\r\n", "202 superfluous\r\n", "220 again\r\n"] {
        let (steps, _) = both(Scenario::UserAnswered(reply));
        let code = &reply[..3];
        let want = if code == "220" {
            // An extra greeting line: dropped, USER's reply still awaited.
            "login: error session closed: reply timeout".to_owned()
        } else {
            format!("login: error unparseable {code} reply to USER")
        };
        assert_eq!(steps.get(1), Some(&want), "{reply:?}: {steps:?}");
        assert_eq!(steps.len(), 2, "{steps:?}");
    }
}
