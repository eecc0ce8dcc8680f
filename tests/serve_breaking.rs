//! `simulate --target` audits what a server answered against what the store holds,
//! so a server that lies is caught. Each test puts a small HTTP server of its own on a free
//! port of 127.0.0.1 (in this process, stopped when the test ends) in front of the store, and
//! checks that `simulate` exits 8 naming the broken invariant; the same run through an honest
//! path exits 0, so the failure is the lie's and not the harness's.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use support::TestEnv;
use tokio::sync::Mutex;

const SECRET: &str = "breaking-test-secret-0123456789abcdef";

/// A real `flashsale serve` on the test's store, killed by pid when dropped.
struct RealServer {
    child: Child,
    base: String,
}

impl RealServer {
    fn start(env: &TestEnv) -> RealServer {
        let log = std::fs::File::create(env.path().join("serve.log")).unwrap();
        let mut child = env
            .std_cmd(["serve", "--listen", "127.0.0.1:0", "--output", "json"])
            .env("FLASHSALE_JWT_SECRET", SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let json: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("not the listening line ({err}): {line:?}"));
        RealServer {
            child,
            base: format!("http://{}", json["listening"].as_str().unwrap()),
        }
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the test's server answers a claim or a redemption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    /// Passes every request to the real server and its answer back.
    Honest,
    /// Answers 201 with a fresh token and stores nothing.
    Phantom,
    /// Passes claims on, but answers every other first claim with the previous shopper's 201:
    /// one unit handed to two shoppers.
    HandsOutTwice,
    /// Passes requests on, but answers a redemption retried with the same order as a second
    /// redemption (`redeemed`) instead of the replay of the first: a token redeemed twice.
    RedeemsTwice,
}

struct Proxy {
    behaviour: Behaviour,
    upstream: Option<String>,
    client: reqwest::Client,
    count: AtomicU64,
    last_granted: Mutex<Option<Bytes>>,
}

/// Starts the test's server on a free port of 127.0.0.1 on its own runtime thread; returns its
/// base URL. It stops with the test process (every test here ends by then).
fn start(behaviour: Behaviour, upstream: Option<String>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let proxy = Arc::new(Proxy {
        behaviour,
        upstream,
        client: flashsale::outbound::client().build().unwrap(),
        count: AtomicU64::new(0),
        last_granted: Mutex::new(None),
    });
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = Router::new()
                .route("/v1/campaigns/{id}/claim", post(claim))
                .route("/v1/campaigns/{id}/redeem", post(redeem))
                .with_state(proxy);
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

async fn claim(
    State(proxy): State<Arc<Proxy>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = proxy.count.fetch_add(1, Ordering::Relaxed);
    if proxy.behaviour == Behaviour::Phantom {
        let claim = json!({"claim": {"campaign_id": id, "token": format!("phantom-{n}")}});
        return (StatusCode::CREATED, axum::Json(claim)).into_response();
    }
    if proxy.behaviour == Behaviour::HandsOutTwice && n % 2 == 1 {
        // The unit the previous shopper was granted, granted again.
        if let Some(granted) = proxy.last_granted.lock().await.take() {
            return (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                granted,
            )
                .into_response();
        }
    }
    let (status, bytes) =
        forward(&proxy, &format!("/v1/campaigns/{id}/claim"), &headers, body).await;
    if status == StatusCode::CREATED {
        *proxy.last_granted.lock().await = Some(bytes.clone());
    }
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

async fn redeem(
    State(proxy): State<Arc<Proxy>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, mut bytes) = forward(
        &proxy,
        &format!("/v1/campaigns/{id}/redeem"),
        &headers,
        body,
    )
    .await;
    if proxy.behaviour == Behaviour::RedeemsTwice {
        let mut answer: Value = serde_json::from_slice(&bytes).unwrap();
        if answer["outcome"] == "replayed" {
            answer["outcome"] = json!("redeemed");
            bytes = Bytes::from(answer.to_string());
        }
    }
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// Sends the request on to the real server, with the shopper's token; its status and body.
async fn forward(
    proxy: &Proxy,
    path: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> (StatusCode, Bytes) {
    let upstream = proxy.upstream.as_deref().unwrap();
    let mut request = proxy
        .client
        .post(format!("{upstream}{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let answer = request.send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    (status, answer.bytes().await.unwrap())
}

/// `simulate` of 60 shoppers (no tabs, no duplicates, units for all) through `target`, with
/// the server's key; its report and exit code checked by `code`.
fn simulate(env: &TestEnv, target: &str, code: i32) -> Value {
    simulate_with(env, target, &[], code)
}

/// [`simulate`] with `extra` flags.
fn simulate_with(env: &TestEnv, target: &str, extra: &[&str], code: i32) -> Value {
    let mut args = vec![
        "simulate",
        "--users",
        "60",
        "--inventory",
        "100",
        "--tabs",
        "1",
        "--duplicate-ratio",
        "0",
        "--concurrency",
        "4",
        "--seed",
        "11",
        "--target",
        target,
    ];
    args.extend_from_slice(extra);
    env.run(args)
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .code(code)
        .json()
}

fn violations(report: &Value) -> Vec<String> {
    report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// A server that answers 201 for claims it never stores: every shopper was told `claimed`,
/// the store holds none of it, and the audit says so.
#[test]
fn simulate_catches_a_server_that_grants_claims_it_never_stores() {
    let env = TestEnv::new();
    let report = simulate(&env, &start(Behaviour::Phantom, None), 8);
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["claimed"], 60, "{report}");
    assert_eq!(report["store_after"]["claims"], 0, "{report}");
    assert_eq!(report["http_status"], json!({"201": 60}), "{report}");
    let violations = violations(&report);
    assert!(
        violations
            .iter()
            .any(|v| v.starts_with("inventory_conserved:")),
        "{violations:?}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v == "replays_consistent: 60 hold a token the store does not hold for them"),
        "{violations:?}"
    );
}

/// A server in front of a correct store that hands one unit to two shoppers: the second one
/// holds a token the store gave someone else, and the audit says so; the same run through the
/// same server passing answers on unchanged passes.
#[test]
fn simulate_catches_a_server_that_hands_the_same_unit_twice() {
    let env = TestEnv::new();
    let real = RealServer::start(&env);

    let honest = simulate(&env, &start(Behaviour::Honest, Some(real.base.clone())), 0);
    assert_eq!(honest["passed"], true, "{honest}");
    assert!(honest["claimed"].as_u64().unwrap() > 30, "{honest}");
    assert_eq!(honest["claimed"], honest["eligible_users"], "{honest}");
    assert_eq!(
        honest["store_after"]["claims"], honest["claimed"],
        "{honest}"
    );
    assert_eq!(violations(&honest), Vec::<String>::new());

    let report = simulate(
        &env,
        &start(Behaviour::HandsOutTwice, Some(real.base.clone())),
        8,
    );
    assert_eq!(report["passed"], false, "{report}");
    // Some `claimed` answers were another shopper's unit: more answers than claims stored.
    let claimed = report["claimed"].as_u64().unwrap();
    let stored = report["store_after"]["claims"].as_u64().unwrap();
    assert!(stored > 0 && stored < claimed, "{report}");
    let violations = violations(&report);
    assert!(
        violations
            .iter()
            .any(|v| v.starts_with("inventory_conserved:")),
        "{violations:?}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v.starts_with("replays_consistent:")
                && v.contains("hold a token the store does not hold for them")),
        "{violations:?}"
    );
}

/// The control: the same run straight against a correct `flashsale serve` passes (exit 0).
#[test]
fn simulate_passes_against_a_correct_server() {
    let env = TestEnv::new();
    let real = RealServer::start(&env);
    let report = simulate(&env, &real.base, 0);
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["claimed"], report["eligible_users"], "{report}");
    assert_eq!(
        report["store_after"]["claims"], report["claimed"],
        "{report}"
    );
}

/// A server that answers a redemption retried with the same order as a second redemption: the
/// shoppers who retry are told `redeemed` twice for one token, and the run fails naming I8.
/// The same run through the honest proxy redeems over the wire, replays the retries and passes.
#[test]
fn simulate_catches_a_server_that_redeems_a_token_twice() {
    let env = TestEnv::new();
    let real = RealServer::start(&env);
    let every_shopper_redeems = ["--redeem-ratio", "1"];

    let honest = simulate_with(
        &env,
        &start(Behaviour::Honest, Some(real.base.clone())),
        &every_shopper_redeems,
        0,
    );
    assert_eq!(honest["passed"], true, "{honest}");
    let count = |report: &Value, field: &str| report[field].as_u64().unwrap();
    assert_eq!(
        count(&honest, "redeemed"),
        count(&honest, "claimed"),
        "{honest}"
    );
    assert!(count(&honest, "redeem_replayed") > 0, "{honest}");
    assert_eq!(
        honest["lifecycle_after"]["redeemed"], honest["redeemed"],
        "{honest}"
    );

    let report = simulate_with(
        &env,
        &start(Behaviour::RedeemsTwice, Some(real.base.clone())),
        &every_shopper_redeems,
        8,
    );
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["invariants"]["redeemed_once"], false, "{report}");
    assert_eq!(count(&report, "redeem_replayed"), 0, "{report}");
    let violations = violations(&report);
    assert!(
        violations.iter().any(|v| v.starts_with("redeemed_once:")),
        "{violations:?}"
    );
}
