//! A public server that hostile clients cannot starve: clients that never authenticate, send
//! a body a byte at a time, declare a huge body, flood headers or hold connections open get
//! bounded answers at once or are cut off at their deadline, and shoppers are served
//! meanwhile. Each test starts its own `flashsale serve` on 127.0.0.1 port 0, talks to it over
//! loopback only, and stops it by pid.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use flashsale::auth::JwtSigner;
use flashsale::clock::{Clock as _, SystemClock};
use flashsale::domain::UserId;
use support::TestEnv;

const SECRET: &str = "limits-test-secret-0123456789abcdef";

pub(crate) use support::server::Server;

/// Starts `serve` on a free port of 127.0.0.1 with this module's secret and `extra` arguments.
pub(crate) fn start(env: &TestEnv, extra: &[&str]) -> Server {
    Server::start_with(env, extra, &[("FLASHSALE_JWT_SECRET", SECRET)])
}

/// A connection to `server`, with a read timeout of `patience`.
fn connect(server: &Server, patience: Duration) -> TcpStream {
    let stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(patience)).unwrap();
    stream
}

/// Sends `request` (which asks for the connection to close) to `server` and reads the whole
/// answer: its status line's code and the rest of it.
pub(crate) fn ask(server: &Server, request: &str) -> (u16, String) {
    let mut stream = connect(server, Duration::from_secs(30));
    stream.write_all(request.as_bytes()).unwrap();
    answer_of(&mut stream)
}

/// Everything the server sends until it closes: its status code and the text.
fn answer_of(stream: &mut TcpStream) -> (u16, String) {
    let mut bytes = Vec::new();
    // A reset after the answer (the server closing with bytes unread) still leaves the answer.
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let code = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    (code, text)
}

fn token(user: &str) -> String {
    JwtSigner::hs256(SECRET.as_bytes())
        .unwrap()
        .mint(
            &UserId::parse(user).unwrap(),
            SystemClock.now(),
            TimeDelta::minutes(15),
        )
        .unwrap()
        .token
}

/// A whole claim request by `user`, on a connection that closes after it.
pub(crate) fn claim(user: &str) -> String {
    let body = r#"{"cart_cents":5000}"#;
    format!(
        "POST /v1/campaigns/spring/claim HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        token(user),
        body.len()
    )
}

/// A claim's headers (with `authorization`, if any) and the first byte of its 20-byte body.
fn stalled_claim(authorization: Option<&str>) -> String {
    let authorization = authorization
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /v1/campaigns/spring/claim HTTP/1.1\r\nHost: t\r\n{authorization}\
         Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{{"
    )
}

/// Clients that send a claim's headers and one byte of its body hold no slot: with four slots
/// and eight such clients (four without a token, four with one), shoppers still claim and read
/// the campaign. The unauthenticated are answered 401 at once, the others 408 at the body
/// deadline.
#[test]
fn stalled_bodies_hold_no_slot_and_meet_a_deadline() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    let server = start(
        &env,
        &[
            "--max-in-flight",
            "4",
            "--header-timeout",
            "2s",
            "--request-timeout",
            "20s",
        ],
    );
    let started = Instant::now();
    let mut anonymous = Vec::new();
    let mut stalled = Vec::new();
    for i in 0..4 {
        let mut stream = connect(&server, Duration::from_secs(15));
        stream.write_all(stalled_claim(None).as_bytes()).unwrap();
        anonymous.push(stream);
        let mut stream = connect(&server, Duration::from_secs(15));
        stream
            .write_all(stalled_claim(Some(&token(&format!("slow{i}")))).as_bytes())
            .unwrap();
        stalled.push(stream);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (code, text) = ask(&server, &claim("ana"));
    assert_eq!(code, 201, "{text}");
    let (code, text) = ask(
        &server,
        "GET /v1/campaigns/spring HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 200, "{text}");
    for mut stream in anonymous {
        let (code, text) = answer_of(&mut stream);
        assert_eq!(code, 401, "{text}");
    }
    for mut stream in stalled {
        let (code, text) = answer_of(&mut stream);
        assert_eq!(code, 408, "{text}");
        assert!(
            text.contains("the request body did not arrive within 2 s"),
            "{text}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "the stalled bodies were cut off after {:?}",
        started.elapsed()
    );
}

/// A declared body over 16 KiB is answered 413 at once, without waiting for the body.
#[test]
fn a_declared_body_over_the_limit_is_answered_413_at_once() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    let server = start(&env, &["--request-timeout", "20s"]);
    let mut stream = connect(&server, Duration::from_secs(10));
    let started = Instant::now();
    write!(
        stream,
        "POST /v1/campaigns/spring/claim HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 20000\r\n\r\n{{",
        token("ana")
    )
    .unwrap();
    let (code, text) = answer_of(&mut stream);
    assert_eq!(code, 413, "{text}");
    assert!(
        text.contains("the request body is larger than 16384 bytes"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A request with two `Authorization` headers is refused, whichever of them is valid.
#[test]
fn two_authorization_headers_are_refused() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    let server = start(&env, &[]);
    let body = r#"{"cart_cents":5000}"#;
    let (code, text) = ask(
        &server,
        &format!(
            "POST /v1/campaigns/spring/claim HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\n\
         Authorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            token("ana"),
            token("bo"),
            body.len()
        ),
    );
    assert_eq!(code, 401, "{text}");
    assert!(
        text.contains("more than one `Authorization` header; send one"),
        "{text}"
    );
    let claims = env
        .run([
            "claim",
            "export",
            "--campaign",
            "spring",
            "--format",
            "jsonl",
        ])
        .run();
    assert_eq!(claims.stdout, "", "nothing was claimed");
}

/// A client that sends header after header is answered 431 once its headers pass the bound,
/// long before its header deadline, and cut off.
#[test]
fn a_flood_of_headers_is_answered_431() {
    let env = TestEnv::new();
    let server = start(&env, &["--header-timeout", "30s"]);
    let mut stream = connect(&server, Duration::from_secs(10));
    let started = Instant::now();
    stream
        .write_all(b"GET /v1/campaigns/spring HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let filler = format!("X-Filler: {}\r\n", "a".repeat(8000));
    for _ in 0..48 {
        // The server may close the connection before the last of them.
        if stream.write_all(filler.as_bytes()).is_err() {
            break;
        }
    }
    let (code, text) = answer_of(&mut stream);
    assert_eq!(code, 431, "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Past `--max-connections`, a client waits until a connection closes: here until the idle
/// ones reach their header deadline.
#[test]
fn connections_past_the_cap_wait_for_one_to_close() {
    let env = TestEnv::new();
    let server = start(&env, &["--max-connections", "3", "--header-timeout", "2s"]);
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| connect(&server, Duration::from_secs(10)))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let (code, text) = ask(
        &server,
        "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 200, "{text}");
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_secs(1) && waited < Duration::from_secs(15),
        "answered after {waited:?} with three idle connections at a cap of three"
    );
    drop(idle);
}
