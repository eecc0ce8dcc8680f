//! `flashsale serve`, black-box over loopback HTTP. Each test starts its own server
//! on 127.0.0.1 port 0 (it prints the bound address), and stops it by pid.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use flashsale::auth::JwtSigner;
use flashsale::clock::{Clock as _, SystemClock};
use flashsale::domain::{CampaignId, UserId};
use flashsale::store::{SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::TestEnv;

const SECRET: &str = "serve-test-secret-0123456789abcdef";

pub(crate) use support::server::Server;

/// Starts `serve` on a free port of 127.0.0.1 with the test secret and `extra` arguments.
pub(crate) fn start(env: &TestEnv, extra: &[&str]) -> Server {
    start_with(env, extra, &[])
}

/// The same, with `vars` in the server's environment.
fn start_with(env: &TestEnv, extra: &[&str], vars: &[(&str, &str)]) -> Server {
    let mut all = vec![("FLASHSALE_JWT_SECRET", SECRET)];
    all.extend_from_slice(vars);
    Server::start_with(env, extra, &all)
}

/// A token of the test secret for `user`.
pub(crate) fn token(user: &str) -> String {
    token_signed(SECRET, user)
}

fn token_signed(secret: &str, user: &str) -> String {
    JwtSigner::hs256(secret.as_bytes())
        .unwrap()
        .mint(
            &UserId::parse(user).unwrap(),
            SystemClock.now(),
            TimeDelta::minutes(15),
        )
        .unwrap()
        .token
}

/// An HTTP client with a 30 s timeout.
pub(crate) fn client() -> reqwest::Client {
    flashsale::outbound::client()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A request's status, `WWW-Authenticate` and `Retry-After`, and its body as JSON. Every answer
/// carries an `x-request-id`; an error body carries the same id, checked here and then taken
/// out, so the tests compare the rest exactly.
async fn answer(
    request: reqwest::RequestBuilder,
) -> (StatusCode, Option<String>, Option<String>, Value) {
    let response = request.send().await.unwrap();
    let request_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .expect("every answer has an x-request-id");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (auth, retry) = (header("www-authenticate"), header("retry-after"));
    let status = response.status();
    let text = response.text().await.unwrap();
    let mut body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
        assert_eq!(error.remove("request_id"), Some(json!(request_id)));
    }
    (status, auth, retry, body)
}

fn error(kind: &str, code: &str, message: &str) -> Value {
    json!({"error": {"kind": kind, "code": code, "message": message}})
}

/// Why a claim is refused, as a client can branch on it (`code`), and one request id tying the
/// answer, its error body and its log line together: the proxy's, or a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_a_code_and_every_answer_a_request_id_its_log_line_names() {
    let env = TestEnv::new();
    env.create_campaign("paused", 5);
    env.run(["campaign", "pause", "paused"]).code(0).json();
    env.create_campaign("ended", 5);
    env.run(["campaign", "end", "ended", "--yes"])
        .code(0)
        .json();
    env.create_campaign("open", 5);
    let later = (SystemClock.now() + TimeDelta::hours(1)).to_rfc3339();
    env.run([
        "campaign",
        "create",
        "--id",
        "later",
        "--name",
        "Later",
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--starts-at",
        &later,
        "--duration",
        "1h",
    ])
    .code(0)
    .json();
    let server = start(&env, &[]);
    let http = client();
    let ana = token("ana");
    let claim = |campaign: &str, cart: i64| {
        http.post(server.url(&format!("/v1/campaigns/{campaign}/claim")))
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": cart}))
    };
    for (campaign, cart, status, code) in [
        ("paused", 5000, StatusCode::CONFLICT, "campaign_paused"),
        ("ended", 5000, StatusCode::CONFLICT, "campaign_ended"),
        (
            "open",
            1000,
            StatusCode::UNPROCESSABLE_ENTITY,
            "cart_below_minimum",
        ),
        ("gone", 5000, StatusCode::NOT_FOUND, "campaign_not_found"),
    ] {
        let (got, _, _, body) = answer(claim(campaign, cart)).await;
        assert_eq!(
            (got, &body["error"]["code"]),
            (status, &json!(code)),
            "{body}"
        );
    }
    // A campaign not yet started is a campaign not yet announced, or not live.
    let (_, _, _, body) = answer(claim("later", 5000)).await;
    let code = body["error"]["code"].as_str().unwrap();
    assert!(
        matches!(code, "campaign_not_started" | "campaign_not_found"),
        "{body}"
    );

    // A proxy's id is kept, on success and on refusal alike.
    let response = claim("open", 5000)
        .header("x-request-id", "edge-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["x-request-id"], "edge-4711");
    let response = claim("paused", 5000)
        .header("x-request-id", "edge-4712")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "edge-4712");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "edge-4712");
    // One that cannot be echoed safely is replaced.
    let response = claim("open", 5000)
        .header("x-request-id", "two words")
        .send()
        .await
        .unwrap();
    let fresh = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(fresh.len(), 24, "{fresh}");

    let log = server.log().to_path_buf();
    assert!(server.stop().1.success());
    let lines = log_lines(&log);
    let line = |id: &str| {
        lines
            .iter()
            .find(|line| line["request_id"] == id)
            .unwrap_or_else(|| panic!("no log line for {id}: {lines:?}"))
    };
    let claimed = line("edge-4711");
    assert_eq!(claimed["route"], "/v1/campaigns/{id}/claim");
    assert_eq!(claimed["status"], 201);
    assert_eq!(claimed["outcome"], "claimed");
    assert!(claimed["duration_ms"].is_number());
    let refused = line("edge-4712");
    assert_eq!(
        (&refused["status"], &refused["outcome"]),
        (&json!(409), &json!("campaign_paused"))
    );
    assert_eq!(line(&fresh)["outcome"], "replayed");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&ana), "a token in the log");
}

/// A browser's page may call the API only from an origin `--cors-origin` names: its preflight is
/// answered and its answers are readable; any other origin's are not, and without the flag a
/// preflight is refused like any `OPTIONS`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_reach_the_api_only_from_the_cors_origins() {
    let env = TestEnv::new();
    env.create_campaign("drop", 5);
    let shop = "https://shop.example";
    let http = client();
    let preflight = |server: &Server, origin: &str| {
        http.request(
            reqwest::Method::OPTIONS,
            server.url("/v1/campaigns/drop/claim"),
        )
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };

    let server = start_with(
        &env,
        &["--cors-origin", "http://localhost:3000"],
        &[("FLASHSALE_CORS_ORIGIN", "https://ignored.example")],
    );
    // The flag wins over the variable, as for every flag.
    let response = preflight(&server, shop).await.unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert!(server.stop().1.success());

    let server = start_with(&env, &[], &[("FLASHSALE_CORS_ORIGIN", shop)]);
    let response = preflight(&server, shop).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some(shop)
    );
    let allowed = header(&response, "access-control-allow-headers").unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    let other = preflight(&server, "https://evil.example").await.unwrap();
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    let claimed = http
        .post(server.url("/v1/campaigns/drop/claim"))
        .header("origin", shop)
        .bearer_auth(token("ana"))
        .json(&json!({"cart_cents": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), StatusCode::CREATED);
    assert_eq!(
        header(&claimed, "access-control-allow-origin").as_deref(),
        Some(shop)
    );
    let exposed = header(&claimed, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert!(server.stop().1.success());

    let server = start(&env, &[]);
    let response = preflight(&server, shop).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert!(server.stop().1.success());
}

/// The page a shop's storefront would serve: it claims through the API named in its query
/// string, with the token given there, and writes what the browser let it read into the body's
/// `data-result`.
const STOREFRONT: &str = r"<!DOCTYPE html><html><head><title>shop</title></head><body><script>
const query = new URLSearchParams(location.search);
fetch(query.get('api') + '/v1/campaigns/drop/claim', {
  method: 'POST',
  headers: {'Authorization': 'Bearer ' + query.get('token'), 'Content-Type': 'application/json'},
  body: JSON.stringify({cart_cents: 5000}),
})
  .then(r => r.json().then(j => document.body.setAttribute('data-result',
    r.status + ' ' + j.outcome + ' ' + r.headers.get('x-request-id'))))
  .catch(e => document.body.setAttribute('data-result', 'blocked ' + e));
</script></body></html>";

/// In a real browser: a storefront page served from an origin `--cors-origin` names claims
/// through the API and reads the answer and its request id; the same page from another origin
/// is blocked by the browser before its claim is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storefront_in_a_real_browser_claims_only_from_an_allowed_origin() {
    let Some(browser) = support::chromium() else {
        eprintln!("skipped: no chromium installed (apt-get install chromium to run this test)");
        return;
    };
    let env = TestEnv::new();
    env.create_campaign("drop", 5);
    let shop = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_port = shop.local_addr().unwrap().port();
    let (close_shop, shop_closed) = tokio::sync::oneshot::channel::<()>();
    let shop_task = tokio::spawn(async move {
        let page = axum::Router::new().route(
            "/page.html",
            axum::routing::get(|| async { axum::response::Html(STOREFRONT) }),
        );
        axum::serve(shop, page)
            .with_graceful_shutdown(async {
                let _ = shop_closed.await;
            })
            .await
            .unwrap();
    });
    let allowed = format!("http://127.0.0.1:{shop_port}");
    let server = start(&env, &["--cors-origin", &allowed]);
    let profile = env.path().join("browser-profile");
    let open = |origin: String, user: &str| {
        let url = format!(
            "{origin}/page.html?api={}&token={}",
            server.base(),
            token(user)
        );
        let profile = profile.clone();
        async move {
            let out = tokio::process::Command::new(browser)
                .args(["--headless", "--no-sandbox", "--disable-gpu"])
                .arg(format!("--user-data-dir={}", profile.display()))
                .args(["--virtual-time-budget=10000", "--dump-dom"])
                .arg(url)
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{browser}: {out:?}");
            let dom = String::from_utf8_lossy(&out.stdout).into_owned();
            let start = dom
                .find("data-result=\"")
                .unwrap_or_else(|| panic!("the page did not finish: {dom}"));
            let rest = &dom[start + "data-result=\"".len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        }
    };
    let result = open(allowed.clone(), "ana").await;
    let words: Vec<&str> = result.split(' ').collect();
    assert_eq!(words[..2], ["201", "claimed"], "{result}");
    assert_eq!(words[2].len(), 24, "the request id is readable: {result}");
    // `localhost` is another origin than `127.0.0.1`, though the same server.
    let result = open(format!("http://localhost:{shop_port}"), "bo").await;
    assert!(result.starts_with("blocked"), "{result}");
    assert!(server.stop().1.success());
    let _ = close_shop.send(());
    shop_task.await.unwrap();
    // The blocked page's claim was never sent: the browser stopped at the preflight.
    let inventory = env.run(["inventory", "show", "drop"]).json();
    assert_eq!(inventory["claimed"], 1, "{inventory}");
}

/// The log's format is chosen apart from `--output`, and its level by `FLASHSALE_LOG`; a filter
/// that does not parse is a usage error before anything starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_format_and_level_are_the_operators_choice() {
    let env = TestEnv::new();
    env.create_campaign("drop", 5);
    let http = client();
    let get = |server: &Server| http.get(server.url("/v1/campaigns/drop")).send();

    let server = start(&env, &["--log-format", "text"]);
    assert_eq!(get(&server).await.unwrap().status(), StatusCode::OK);
    let log = server.log().to_path_buf();
    assert!(server.stop().1.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let request = text
        .lines()
        .find(|line| line.contains("request"))
        .unwrap_or_else(|| panic!("no request line: {text}"));
    assert!(serde_json::from_str::<Value>(request).is_err(), "{request}");
    assert!(
        request.contains(r#"route="/v1/campaigns/{id}""#),
        "{request}"
    );

    let server = start_with(&env, &[], &[("FLASHSALE_LOG", "warn")]);
    assert_eq!(get(&server).await.unwrap().status(), StatusCode::OK);
    let log = server.log().to_path_buf();
    assert!(server.stop().1.success());
    let lines = log_lines(&log);
    assert!(
        lines.iter().all(|line| line["message"] != "request"),
        "{lines:?}"
    );

    env.run(["serve", "--listen", "127.0.0.1:0"])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .env("FLASHSALE_LOG", "info,[")
        .code(2)
        .stderr(
            "error: invalid FLASHSALE_LOG: `info,[` is not a log filter like `info`, `warn` or \
             `flashsale=debug`: invalid filter directive\n",
        )
        .check();
}

/// A server's JSON log lines, from its log file.
fn log_lines(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `--listen` takes a host name as well as an address: `localhost:0` listens on loopback.
#[test]
fn serve_listens_on_a_host_name() {
    let env = TestEnv::new();
    let mut child = env
        .std_cmd(["serve", "--listen", "localhost:0", "--output", "json"])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let json: Value = serde_json::from_str(&line)
        .unwrap_or_else(|err| panic!("not the listening line ({err}): {line:?}"));
    let address: std::net::SocketAddr = json["listening"].as_str().unwrap().parse().unwrap();
    assert!(address.ip().is_loopback(), "{address}");
}

#[test]
fn serve_refuses_to_start_without_a_key_and_opens_nothing() {
    let env = TestEnv::without_store();
    env.run(["serve", "--listen", "127.0.0.1:0"])
        .code(2)
        .stderr(
            "error: no JWT key configured: set FLASHSALE_JWT_SECRET, or pass \
             `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`\n",
        )
        .check();
    let json = env.run(["serve", "--listen", "127.0.0.1:0"]).code(2).json();
    assert_eq!(json["error"]["kind"], "invalid_input", "{json}");
    env.run(["serve", "--listen", "nowhere"])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .code(2)
        .stderr(
            "error: invalid --listen: `nowhere` is not an address like 127.0.0.1:8080 or \
             localhost:8080\n",
        )
        .check();
    assert!(
        env.store_bytes().is_empty(),
        "a refused start created the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_answer_the_contract_and_refused_requests_never_reach_the_store() {
    let env = TestEnv::new();
    env.create_campaign("drop", 1);
    let server = start(&env, &[]);
    let http = client();
    let claim_url = server.url("/v1/campaigns/drop/claim");
    let before = env.store_bytes();

    // Refused before the service is called: no credential, a bad or foreign one, a bad path,
    // a malformed, hostile or oversized body.
    let (status, auth, _, body) =
        answer(http.post(&claim_url).json(&json!({"cart_cents": 5000}))).await;
    assert_eq!(
        (status, auth.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    assert_eq!(
        body,
        error("unauthenticated", "token_missing", "no identity given")
    );
    let (status, auth, _, body) = answer(
        http.post(&claim_url)
            .bearer_auth("not.a.jwt")
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(
        (status, auth.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    assert_eq!(
        body,
        error(
            "unauthenticated",
            "token_malformed",
            "token is not a well-formed JWT"
        )
    );
    let foreign = token_signed("another-secret-0123456789abcdefghij", "ana");
    let (status, _, _, body) = answer(
        http.post(&claim_url)
            .bearer_auth(&foreign)
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        error(
            "unauthenticated",
            "bad_signature",
            "token signature is invalid"
        )
    );
    let ana = token("ana");
    let (status, _, _, body) = answer(
        http.post(server.url("/v1/campaigns/NOT%20A%20SLUG/claim"))
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["kind"], "invalid_input", "{body}");
    assert_eq!(body["error"]["field"], "id", "{body}");
    // Each refusal names the field at fault, never the parser's position in the text.
    for (bad, code, field) in [
        ("", "malformed_body", None),
        ("{", "malformed_body", None),
        ("[5000]", "malformed_body", None),
        ("{}", "invalid_value", Some("cart_cents")),
        (
            r#"{"cart_cents": "50.00"}"#,
            "invalid_value",
            Some("cart_cents"),
        ),
        (
            r#"{"cart_cents": 50.5}"#,
            "invalid_value",
            Some("cart_cents"),
        ),
        (
            r#"{"cart_cents": 5000, "user_id": "eve"}"#,
            "malformed_body",
            Some("user_id"),
        ),
    ] {
        let (status, _, _, body) = answer(http.post(&claim_url).bearer_auth(&ana).body(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["kind"], "invalid_input", "{bad}: {body}");
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
        assert_eq!(
            body["error"].get("field").and_then(Value::as_str),
            field,
            "{bad}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.contains("line"), "{bad}: {body}");
        assert!(
            message.contains(r#"{"cart_cents": N}"#) || message.starts_with("cart_cents must"),
            "{bad}: {body}"
        );
    }
    let (status, _, _, body) = answer(
        http.post(&claim_url)
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": -1})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["kind"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_input")),
        "{body}"
    );
    let huge = format!(
        r#"{{"cart_cents": 5000, "pad": "{}"}}"#,
        "x".repeat(17 * 1024)
    );
    let (status, _, _, body) = answer(http.post(&claim_url).bearer_auth(&ana).body(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        error(
            "invalid_input",
            "body_too_large",
            "the request body is larger than 16384 bytes"
        )
    );
    // Reading one's own claim before there is one: 404, and nothing is created.
    let (status, _, _, body) = answer(http.get(&claim_url).bearer_auth(&ana)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        error(
            "not_found",
            "claim_not_found",
            "you hold no claim on campaign `drop`"
        )
    );
    assert_eq!(
        env.store_bytes(),
        before,
        "a refused request wrote to the store"
    );

    // The claim flow: 201 for the claim, 200 for its replay, 409 once sold out; the user is
    // the token's `sub`.
    let (status, _, _, first) = answer(
        http.post(&claim_url)
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["outcome"], "claimed");
    assert_eq!(first["claim"]["user_id"], "ana");
    assert_eq!(first["claim"]["campaign_id"], "drop");
    assert_eq!(first["claim"]["discount_cents"], 500);
    assert_eq!(first["claim"]["cart_cents"], 5000);
    let (status, _, _, replay) = answer(
        http.post(&claim_url)
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": 9000})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay["outcome"], "replayed");
    assert_eq!(
        replay["claim"], first["claim"],
        "a replay is the first claim unchanged"
    );
    let (status, _, _, own) = answer(http.get(&claim_url).bearer_auth(&ana)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own, json!({"claim": first["claim"]}));
    let (status, _, _, body) = answer(
        http.post(&claim_url)
            .bearer_auth(token("bo"))
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body,
        error("sold_out", "sold_out", "campaign `drop` is sold out")
    );
    let (status, _, _, body) = answer(
        http.post(server.url("/v1/campaigns/nope/claim"))
            .bearer_auth(&ana)
            .json(&json!({"cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        error(
            "not_found",
            "campaign_not_found",
            "campaign `nope` not found"
        )
    );

    // The campaign is public, and the same JSON as the CLI's.
    let (status, _, _, campaign) = answer(http.get(server.url("/v1/campaigns/drop"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(campaign, env.run(["campaign", "status", "drop"]).json());
    assert_eq!(
        (campaign["claimed"].clone(), campaign["state"].clone()),
        (json!(1), json!("sold_out"))
    );
    let (status, _, _, body) = answer(http.get(server.url("/v1/campaigns/nope"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error(
                "not_found",
                "campaign_not_found",
                "campaign `nope` not found"
            )
        )
    );
    let (status, _, _, body) = answer(http.get(server.url("/nowhere"))).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error("not_found", "route_not_found", "no such route")
        )
    );
    // A method a client made up is answered, and counted as `other`: a client cannot mint
    // metric series.
    let brew = reqwest::Method::from_bytes(b"BREW").unwrap();
    let (status, _, _, _) = answer(http.request(brew, server.url("/v1/campaigns/drop"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    // Health, readiness, metrics.
    let (status, _, _, body) = answer(http.get(server.url("/healthz"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, _, _, body) = answer(http.get(server.url("/readyz"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ready"})));
    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "flashsale_claims_total{outcome=\"claimed\"} 1",
        "flashsale_claims_total{outcome=\"replayed\"} 1",
        "flashsale_claims_total{outcome=\"sold_out\"} 1",
        "flashsale_claims_total{outcome=\"unauthenticated\"} 3",
        "flashsale_http_requests_total{method=\"POST\",route=\"/v1/campaigns/{id}/claim\",status=\"201\"} 1",
        "flashsale_http_requests_total{method=\"other\",route=\"/v1/campaigns/{id}\",status=\"405\"} 1",
        "flashsale_http_requests_in_flight 1",
        // Read from the store at the scrape: the one unit is gone.
        "flashsale_campaign_remaining_units{campaign=\"drop\"} 0",
        "# TYPE flashsale_http_request_duration_seconds histogram",
        "# TYPE flashsale_store_commits counter",
        "# TYPE flashsale_store_commit_jobs counter",
        "flashsale_log_lines_dropped_total 0",
        "flashsale_store_up 1",
        // Every transition is there at zero before the first one.
        "flashsale_claim_transitions_total{action=\"redeem\",outcome=\"redeemed\"} 0",
        "flashsale_claim_transitions_total{action=\"void\",outcome=\"voided\"} 0",
        "flashsale_claim_transitions_total{action=\"expire\",outcome=\"expired\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }
    assert!(!metrics.contains("BREW"), "{metrics}");
    // The claim was committed in at least one transaction.
    let commits = metrics
        .lines()
        .find_map(|l| l.strip_prefix("flashsale_store_commits_total "))
        .unwrap_or_else(|| panic!("no store commits in\n{metrics}"));
    assert!(commits.parse::<u64>().unwrap() >= 1, "{metrics}");

    let status = server.stop().1;
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    // One JSON line per request, and never a token.
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "request"
            && l["status"] == 201
            && l["path"] == "/v1/campaigns/drop/claim"),
        "{log}"
    );
    assert!(
        !log.contains(&ana) && !log.contains(first["claim"]["token"].as_str().unwrap()),
        "{log}"
    );
}

/// Hammers `claim_url` with one claim per user from `users` concurrent tasks, recording every
/// 2xx answer's token, until every user has had an answer or the server went away.
async fn claim_rush(
    base: Vec<String>,
    users: usize,
    concurrency: usize,
    answered: Arc<AtomicUsize>,
) -> BTreeMap<String, String> {
    let http = client();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, next, answered, base) = (
                http.clone(),
                Arc::clone(&next),
                Arc::clone(&answered),
                base.clone(),
            );
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= users {
                        return acknowledged;
                    }
                    let user = format!("u{i}");
                    let url = format!("{}/v1/campaigns/rush/claim", base[i % base.len()]);
                    let Ok(response) = http
                        .post(&url)
                        .bearer_auth(token(&user))
                        .json(&json!({"cart_cents": 5000}))
                        .send()
                        .await
                    else {
                        continue; // refused or cut: the server is stopping or gone
                    };
                    let status = response.status();
                    let Ok(body) = response.json::<Value>().await else {
                        continue;
                    };
                    answered.fetch_add(1, Ordering::Relaxed);
                    if status.is_success() {
                        assert_eq!(body["claim"]["user_id"], user.as_str(), "{body}");
                        acknowledged
                            .push((user, body["claim"]["token"].as_str().unwrap().to_owned()));
                    } else {
                        assert!(matches!(status.as_u16(), 409 | 503), "{status}: {body}");
                    }
                }
            })
        })
        .collect();
    let mut all = BTreeMap::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// Every acknowledged claim is in the store with its token, and I1-I3 hold.
async fn check_store(env: &TestEnv, acknowledged: &BTreeMap<String, String>) -> i64 {
    let store = SqliteStore::open(&env.sqlite_file().unwrap())
        .await
        .unwrap();
    let id = CampaignId::parse("rush").unwrap();
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert!(audit.claims <= audit.total, "I1 oversold: {audit:?}");
    assert_eq!(audit.distinct_users, audit.claims, "I2: {audit:?}");
    assert_eq!(audit.distinct_tokens, audit.claims, "tokens: {audit:?}");
    assert_eq!(audit.remaining, audit.total - audit.claims, "I3: {audit:?}");
    for (user, token) in acknowledged {
        let claim = store
            .claim_of(&id, &UserId::parse(user).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the answered claim of {user} is not in the store"));
        assert_eq!(claim.token.as_str(), token, "{user}");
    }
    audit.claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_in_flight_claims_and_exits_0() {
    let env = TestEnv::new();
    env.create_campaign("rush", 400);
    let mut server = start(&env, &[]);
    let answered = Arc::new(AtomicUsize::new(0));
    let rush = tokio::spawn(claim_rush(
        vec![server.base().to_owned()],
        2000,
        64,
        Arc::clone(&answered),
    ));
    while answered.load(Ordering::Relaxed) < 200 {
        assert!(!rush.is_finished(), "the rush ended before the signal");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.signal(support::Signal::Term);
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status:?}");
    let acknowledged = rush.await.unwrap();
    eprintln!(
        "{} answered, {} acknowledged claims",
        answered.load(Ordering::Relaxed),
        acknowledged.len()
    );
    assert!(
        answered.load(Ordering::Relaxed) < 2000,
        "every request was answered: the signal came too late to prove anything"
    );
    assert!(!acknowledged.is_empty());
    check_store(&env, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_answered_claim() {
    let env = TestEnv::new();
    env.create_campaign("rush", 400);
    let mut server = start(&env, &[]);
    let answered = Arc::new(AtomicUsize::new(0));
    let rush = tokio::spawn(claim_rush(
        vec![server.base().to_owned()],
        2000,
        64,
        Arc::clone(&answered),
    ));
    while answered.load(Ordering::Relaxed) < 200 {
        assert!(!rush.is_finished(), "the rush ended before the kill");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill(); // SIGKILL, by pid
    let status = server.wait(Duration::from_secs(10));
    assert_eq!(status.signal(), Some(9), "{status:?}");
    let acknowledged = rush.await.unwrap();
    assert!(!acknowledged.is_empty());
    let claims = check_store(&env, &acknowledged).await;
    assert!(claims >= i64::try_from(acknowledged.len()).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_sqlite_file_never_oversell() {
    let env = TestEnv::new();
    env.create_campaign("rush", 150);
    let (a, b) = (start(&env, &[]), start(&env, &[]));
    let bases = vec![a.base().to_owned(), b.base().to_owned()];
    // Every user claims twice, once on each server (a second tab behind a load balancer).
    let answered = Arc::new(AtomicUsize::new(0));
    let (first, second) = tokio::join!(
        claim_rush(bases.clone(), 400, 32, Arc::clone(&answered)),
        claim_rush(
            bases.into_iter().rev().collect(),
            400,
            32,
            Arc::clone(&answered)
        ),
    );
    assert_eq!(
        answered.load(Ordering::Relaxed),
        800,
        "every request is answered"
    );
    for (user, token) in &second {
        if let Some(other) = first.get(user) {
            assert_eq!(other, token, "{user} got two different claims");
        }
    }
    let mut acknowledged = first;
    acknowledged.extend(second);
    assert_eq!(
        acknowledged.len(),
        150,
        "every unit went to exactly one user"
    );
    assert_eq!(a.stop().1.code(), Some(0));
    assert_eq!(b.stop().1.code(), Some(0));
    assert_eq!(
        check_store(&env, &acknowledged).await,
        150,
        "I5: nothing left while users were refused"
    );
}

#[test]
fn idle_and_slow_clients_are_disconnected() {
    let env = TestEnv::new();
    let server = start(&env, &["--header-timeout", "1s"]);
    let closed_within = |sent: &[u8]| {
        let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(sent).unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        // EOF (or a reset) once the server gives up on the client.
        let _ = stream.read_to_end(&mut rest);
        started.elapsed()
    };
    let idle = closed_within(b"");
    let slow = closed_within(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
    assert!(
        idle < Duration::from_secs(5),
        "an idle client held its connection {idle:?}"
    );
    assert!(
        slow < Duration::from_secs(5),
        "a slow client held its connection {slow:?}"
    );
    assert_eq!(server.stop().1.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overloaded_server_sheds_load_with_503_and_retry_after() {
    let env = TestEnv::new();
    env.create_campaign("rush", 1000);
    let server = start(&env, &["--max-in-flight", "1"]);
    let http = client();
    let requests = (0..200).map(|i| {
        let request = http
            .post(server.url("/v1/campaigns/rush/claim"))
            .bearer_auth(token(&format!("u{i}")))
            .json(&json!({"cart_cents": 5000}));
        answer(request)
    });
    let answers = futures::future::join_all(requests).await;
    let shed: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !shed.is_empty(),
        "200 concurrent claims against a limit of 1: none was shed"
    );
    for (_, _, retry, body) in &shed {
        assert_eq!(retry.as_deref(), Some("1"));
        assert_eq!(body["error"]["kind"], "store_unavailable", "{body}");
    }
    assert!(
        answers.iter().all(|a| matches!(a.0.as_u16(), 201 | 503)),
        "{answers:?}"
    );
    // Health is never shed.
    let (status, _, _, _) = answer(http.get(server.url("/healthz"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.stop().1.code(), Some(0));
}

#[test]
fn ctrl_c_stops_the_server_like_sigterm() {
    let env = TestEnv::new();
    let mut server = start(&env, &[]);
    server.signal(support::Signal::Int);
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// On `MongoDB` (one request at a time: the FerretDB this runs against is not atomic under
/// concurrency) the server claims, replays and refuses, and a SIGTERM closes the driver
/// cleanly (exit 0, nothing on stderr but log lines).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn serve_on_mongodb_claims_and_stops_cleanly() {
    let env = TestEnv::mongo("serve");
    env.create_campaign("drop", 1);
    let server = start(&env, &[]);
    let http = client();
    let url = server.url("/v1/campaigns/drop/claim");
    let cart = json!({"cart_cents": 5000});
    let (status, _, _, first) = answer(http.post(&url).bearer_auth(token("ana")).json(&cart)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, _, _, replay) =
        answer(http.post(&url).bearer_auth(token("ana")).json(&cart)).await;
    assert_eq!(
        (status, &replay["claim"]),
        (StatusCode::OK, &first["claim"])
    );
    let (status, _, _, body) = answer(http.post(&url).bearer_auth(token("bo")).json(&cart)).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::CONFLICT,
            error("sold_out", "sold_out", "campaign `drop` is sold out")
        )
    );
    let (status, _, _, own) = answer(http.get(&url).bearer_auth(token("ana"))).await;
    assert_eq!(
        (status, own),
        (StatusCode::OK, json!({"claim": first["claim"]}))
    );
    let (status, _, _, _) = answer(http.get(server.url("/readyz"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.stop().1.code(), Some(0));
    let log = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    for line in log.lines() {
        let line: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a log line: {line}\n{log}"));
        assert_ne!(line["level"], "ERROR", "{log}");
    }
    assert_eq!(env.run(["inventory", "show", "drop"]).json()["claimed"], 1);
}

/// `simulate --target` drives a running server over keep-alive HTTP, one JWT per
/// shopper signed with the server's key, then audits the server's store and reports the
/// statuses it was answered.
#[test]
fn simulate_through_a_server_passes_its_audit_and_counts_statuses() {
    let env = TestEnv::new();
    let server = start(&env, &[]);
    let report = simulate_through(
        &env,
        &server,
        &[
            "--users",
            "400",
            "--inventory",
            "60",
            "--tabs",
            "3",
            "--duplicate-ratio",
            "0.3",
            "--seed",
            "3",
            "--concurrency",
            "64",
        ],
    );
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["target"], server.base());
    assert_eq!(report["claimed"], 60, "{report}");
    assert_eq!(report["store_after"]["claims"], 60, "{report}");
    let statuses = report["http_status"].as_object().unwrap();
    let count = |status: &str| statuses.get(status).and_then(Value::as_u64).unwrap_or(0);
    // Every request got an answer, and the statuses tell the same story as the outcomes.
    assert_eq!(
        answered(&report),
        report["requests"].as_u64().unwrap(),
        "{report}"
    );
    assert_eq!(count("0"), 0, "{report}");
    assert_eq!(count("201"), 60, "{report}");
    assert_eq!(count("200"), report["replayed"].as_u64().unwrap());
    assert_eq!(count("409"), report["sold_out"].as_u64().unwrap());
    assert_eq!(count("422"), report["not_eligible"].as_u64().unwrap());
    assert!(report["replayed"].as_u64().unwrap() > 0, "{report}");
    // Checkout went over the wire too (the default redeem ratio): the redemptions the shoppers
    // were answered are the store's, and each retry of an order got the first one back.
    assert!(report["redeemed"].as_u64().unwrap() > 0, "{report}");
    assert!(report["redeem_replayed"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(
        report["lifecycle_after"]["redeemed"], report["redeemed"],
        "{report}"
    );
    assert!(report["audit_ms"].is_u64(), "{report}");
    // The server's writer committed, not the simulator's: no group-commit numbers of its own.
    assert!(report.get("group_commit").is_none(), "{report}");
    assert!(server.stop().1.success());
}

/// Through a server, the simulated operator voids claims in the store while their shoppers
/// redeem over the wire, and each voided shopper claims again over the wire: one of the void
/// and the redemption wins, and the claim again answers the voided claim with no unit (I9).
#[test]
fn simulate_through_a_server_voids_and_claims_again_over_the_wire() {
    let env = TestEnv::new();
    let server = start(&env, &[]);
    let report = simulate_through(
        &env,
        &server,
        &[
            "--users",
            "120",
            "--inventory",
            "500",
            "--void-ratio",
            "0.5",
            "--redeem-ratio",
            "0.5",
            "--seed",
            "5",
        ],
    );
    assert_eq!(report["passed"], true, "{report}");
    let count = |field: &str| report[field].as_u64().unwrap();
    assert!(count("voided") > 0 && count("redeemed") > 0, "{report}");
    assert_eq!(count("lifecycle_errors"), 0, "{report}");
    assert_eq!(report["invariants"]["final_after_void"], true, "{report}");
    assert_eq!(
        report["lifecycle_after"]["voided"], report["voided"],
        "{report}"
    );
    // The claims again after a void are not claim-phase requests: every status counted is one
    // of `requests`.
    assert_eq!(answered(&report), count("requests"), "{report}");
    assert!(server.stop().1.success());
}

/// `simulate` with `flags` through `server`, with the server's key; its JSON report (exit 0).
fn simulate_through(env: &TestEnv, server: &Server, flags: &[&str]) -> Value {
    let mut args = vec!["simulate", "--target", server.base()];
    args.extend_from_slice(flags);
    env.run(args).env("FLASHSALE_JWT_SECRET", SECRET).json()
}

/// The answers a `simulate --target` report counts in `http_status`.
fn answered(report: &Value) -> u64 {
    report["http_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

/// Tokens signed with another key than the server's are all refused with 401: nothing is
/// claimed and the run fails (exit 8) with the statuses in its report.
#[test]
fn simulate_through_a_server_with_the_wrong_key_claims_nothing_and_fails() {
    let env = TestEnv::new();
    let server = start(&env, &[]);
    let report = env
        .run([
            "simulate",
            "--users",
            "20",
            "--inventory",
            "5",
            "--target",
            server.base(),
        ])
        .env(
            "FLASHSALE_JWT_SECRET",
            "another-secret-0123456789abcdef-xyz",
        )
        .code(8)
        .json();
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["claimed"], 0);
    assert_eq!(report["errors"], report["requests"]);
    assert_eq!(report["http_status"], json!({"401": report["requests"]}));
    assert!(server.stop().1.success());
}

/// A target that is not `http://HOST:PORT`, or no key to sign with, is a usage error that
/// touches no store.
#[test]
fn simulate_refuses_a_bad_target_or_no_key_before_touching_the_store() {
    let env = TestEnv::without_store();
    for url in [
        "https://127.0.0.1:8080",
        "http://127.0.0.1",
        "http://127.0.0.1:1/v1",
    ] {
        let json = env
            .run([
                "simulate",
                "--users",
                "5",
                "--inventory",
                "5",
                "--target",
                url,
            ])
            .env("FLASHSALE_JWT_SECRET", SECRET)
            .code(2)
            .json();
        assert_eq!(json["error"]["kind"], "invalid_input", "{url}: {json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--target"),
            "{json}"
        );
    }
    let json = env
        .run([
            "simulate",
            "--users",
            "5",
            "--inventory",
            "5",
            "--target",
            "http://127.0.0.1:1",
        ])
        .code(2)
        .json();
    assert_eq!(json["error"]["kind"], "invalid_input", "{json}");
    assert!(
        !env.sqlite_file().unwrap().exists(),
        "no store may be created"
    );
}

/// `POST /v1/campaigns/{id}/redeem` redeems the caller's own claim only; a retry
/// with the same order replays; another order, a stranger's token or a small cart is refused
/// and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeem_over_http_is_for_the_tokens_owner_only() {
    let env = TestEnv::new();
    env.create_campaign("drop", 3);
    let ana_claim = env.claim("drop", "ana", "30").json();
    let code = ana_claim["claim"]["token"].as_str().unwrap().to_owned();
    let server = start(&env, &[]);
    let http = client();
    let url = server.url("/v1/campaigns/drop/redeem");
    let body =
        |order: &str, cart: i64| json!({"token": code, "order_id": order, "cart_cents": cart});

    // Not ana: a valid JWT of another shopper is refused, and so is no JWT at all.
    let before = env
        .run(["claim", "show", "--campaign", "drop", "--user", "ana"])
        .json();
    let (status, _, _, answer_body) = answer(
        http.post(&url)
            .bearer_auth(token("eve"))
            .json(&body("o-1", 5000)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer_body}");
    assert_eq!(
        answer_body,
        error(
            "not_found",
            "claim_not_found",
            "campaign `drop` has no claim with that token"
        )
    );
    let (status, auth, _, _) = answer(http.post(&url).json(&body("o-1", 5000))).await;
    assert_eq!(
        (status, auth.as_deref()),
        (StatusCode::UNAUTHORIZED, Some("Bearer"))
    );
    // Below the minimum cart: 422, nothing written.
    let (status, _, _, answer_body) = answer(
        http.post(&url)
            .bearer_auth(token("ana"))
            .json(&body("o-1", 1999)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer_body}");
    assert_eq!(
        env.run(["claim", "show", "--campaign", "drop", "--user", "ana"])
            .json(),
        before
    );
    // A malformed body never reaches the store.
    let (status, _, _, answer_body) = answer(
        http.post(&url)
            .bearer_auth(token("ana"))
            .json(&json!({"token": code, "cart_cents": 5000})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer_body}");

    // The owner redeems; the same order replays; another order conflicts.
    let (status, _, _, redeemed) = answer(
        http.post(&url)
            .bearer_auth(token("ana"))
            .json(&body("o-1", 5000)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{redeemed}");
    assert_eq!(redeemed["outcome"], "redeemed");
    assert_eq!(redeemed["claim"]["order_id"], "o-1");
    let (status, _, _, replayed) = answer(
        http.post(&url)
            .bearer_auth(token("ana"))
            .json(&body("o-1", 5000)),
    )
    .await;
    assert_eq!(
        (status, replayed["outcome"].clone()),
        (StatusCode::OK, json!("replayed"))
    );
    assert_eq!(replayed["claim"], redeemed["claim"]);
    let (status, _, _, conflict) = answer(
        http.post(&url)
            .bearer_auth(token("ana"))
            .json(&body("o-2", 5000)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"]["kind"], "conflict");
    // Each answer counted once by its outcome; the unauthenticated one never reached the route.
    let metrics = scrape(&server).await;
    for (outcome, n) in [
        ("redeemed", 1),
        ("replayed", 1),
        ("conflict", 1),
        ("not_found", 1),
        ("not_eligible", 1),
        ("invalid_input", 1),
    ] {
        let line = format!(
            "flashsale_claim_transitions_total{{action=\"redeem\",outcome=\"{outcome}\"}} {n}"
        );
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }
    assert!(
        !metrics.contains("outcome=\"unauthenticated\""),
        "{metrics}"
    );
    assert_eq!(server.stop().1.code(), Some(0));
}

/// The server's `/metrics` text.
pub(crate) async fn scrape(server: &Server) -> String {
    client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Serve expires claims past their hold by itself, and stops its sweep on SIGTERM.
#[test]
fn serve_expires_holds_periodically() {
    let env = TestEnv::new();
    env.run([
        "campaign",
        "create",
        "--id",
        "drop",
        "--name",
        "Drop",
        "--inventory",
        "2",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
        "--hold",
        "1s",
    ])
    .json();
    env.claim("drop", "ana", "30").json();
    let server = start(&env, &["--expire-every", "1s"]);
    let started = Instant::now();
    loop {
        let shown = env
            .run(["claim", "show", "--campaign", "drop", "--user", "ana"])
            .json();
        if shown["status"] == "expired" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never expired: {shown}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        env.run(["inventory", "show", "drop"]).json()["remaining"],
        2
    );
    let metrics = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(scrape(&server));
    let line = "flashsale_claim_transitions_total{action=\"expire\",outcome=\"expired\"} 1";
    assert!(
        metrics.lines().any(|l| l == line),
        "no `{line}` in\n{metrics}"
    );
    assert_eq!(server.stop().1.code(), Some(0));
}
