//! The admin API of `flashsale serve`, black-box over loopback HTTP: each route's answer is
//! the CLI's `-o json` document for the same action, repeats change nothing, refusals write
//! nothing, and a whole sale run through the API alone passes the store's audit.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::time::{Duration, Instant};

use flashsale::auth::Identity;
use flashsale::clock::SystemClock;
use flashsale::domain::{CampaignId, UserId};
use flashsale::service::ClaimService;
use flashsale::store::{SqliteStore, Store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::TestEnv;
use support::server::{Server, token};

/// The operator's token: its `scope` grants the admin API among other scopes.
fn admin() -> String {
    token("ops@example.com", Some("openid flashsale:admin profile"))
}

/// A shopper's token: no scope at all.
fn shopper(user: &str) -> String {
    token(user, None)
}

fn client() -> reqwest::Client {
    flashsale::outbound::client()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// What a request was answered: the status, `WWW-Authenticate`, and the body as JSON (or as a
/// JSON string when it is not JSON).
struct Answer {
    status: StatusCode,
    authenticate: Option<String>,
    body: Value,
}

async fn send(
    server: &Server,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let mut request = client().request(method, server.url(path));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let authenticate = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        authenticate,
        body,
    }
}

/// An admin's request.
async fn admin_send(server: &Server, method: Method, path: &str, body: Option<&Value>) -> Answer {
    send(server, method, path, Some(&admin()), body).await
}

/// The audit log as `events -o json` prints it.
fn events(env: &TestEnv) -> Vec<Value> {
    env.run(["events", "--output", "json"])
        .run()
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The body of a create of `id`: 12.5 % off, at most 5.00, from a 20.00 cart, for an hour.
fn campaign(id: &str, inventory: u32) -> Value {
    json!({
        "id": id,
        "name": format!("Campaign {id}"),
        "inventory": inventory,
        "percent_off": 12.5,
        "max_discount_cents": 500,
        "min_cart_cents": 2000,
        "duration": "1h",
    })
}

/// `campaign create` with the same terms as [`campaign`].
fn cli_create(env: &TestEnv, id: &str, inventory: u32) -> Value {
    env.run([
        "campaign",
        "create",
        "--id",
        id,
        "--name",
        &format!("Campaign {id}"),
        "--inventory",
        &inventory.to_string(),
        "--percent-off",
        "12.5",
        "--max-discount",
        "5",
        "--min-cart",
        "20",
        "--duration",
        "1h",
    ])
    .json()
}

/// `value` without its `changed` field.
fn without_changed(value: &Value) -> Value {
    let mut value = value.clone();
    value.as_object_mut().unwrap().remove("changed");
    value
}

/// A claim by `user` through the shopper's route.
async fn claim(server: &Server, id: &str, user: &str, cart_cents: i64) -> Answer {
    send(
        server,
        Method::POST,
        &format!("/v1/campaigns/{id}/claim"),
        Some(&shopper(user)),
        Some(&json!({"cart_cents": cart_cents})),
    )
    .await
}

/// Every admin route, with a body it would accept from an admin.
fn every_route() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::POST, "/v1/campaigns", Some(campaign("other", 1))),
        (Method::GET, "/v1/campaigns", None),
        (Method::GET, "/v1/campaigns?state=live", None),
        (Method::POST, "/v1/campaigns/spring/pause", None),
        (Method::POST, "/v1/campaigns/spring/resume", None),
        (
            Method::POST,
            "/v1/campaigns/spring/extend",
            Some(json!({"by": "1h"})),
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/inventory",
            Some(json!({"add": 1})),
        ),
        (Method::POST, "/v1/campaigns/spring/expire", None),
        (
            Method::POST,
            "/v1/campaigns/spring/reconcile",
            Some(json!({"apply": true})),
        ),
        (Method::GET, "/v1/campaigns/spring/claims?user=ana", None),
        (
            Method::POST,
            "/v1/campaigns/spring/claims/void",
            Some(json!({"user_id": "ana"})),
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims/export?format=csv",
            None,
        ),
        (Method::GET, "/v1/events", None),
        (Method::POST, "/v1/campaigns/spring/end", None),
    ]
}

/// Without a token, with a bad one, or with a token that does not grant `flashsale:admin`,
/// no admin route does anything: 401 (with `WWW-Authenticate`) or 403 `forbidden`, and the
/// store and its audit log are as they were. The same token with the scope is let through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_route_needs_a_verified_token_with_the_admin_scope() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    let server = Server::start(&env, &[]);
    assert_eq!(
        claim(&server, "spring", "ana", 5000).await.status,
        StatusCode::CREATED
    );
    let (state, log) = (env.store_state(), events(&env));
    let forged = {
        let key = jsonwebtoken::EncodingKey::from_secret(b"another-secret-0123456789abcdefXYZ");
        let claims =
            json!({"sub": "ops", "exp": support::unix_now() + 600, "scope": "flashsale:admin"});
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let unauthenticated = [None, Some("not-a-jwt".to_owned()), Some(forged)];
    let forbidden = [
        shopper("ana"),
        token("ops", Some("flashsale:admins flashsale")),
        token("ops", Some("FLASHSALE:ADMIN")),
        support::hs256(
            &json!({"sub": "ops", "exp": support::unix_now() + 600, "scope": ["flashsale:admin"]}),
        ),
    ];
    for (method, path, body) in every_route() {
        for bearer in &unauthenticated {
            let answer = send(
                &server,
                method.clone(),
                path,
                bearer.as_deref(),
                body.as_ref(),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(answer.body["error"]["kind"], "unauthenticated", "{path}");
            assert_eq!(answer.authenticate.as_deref(), Some("Bearer"), "{path}");
        }
        for bearer in &forbidden {
            let answer = send(&server, method.clone(), path, Some(bearer), body.as_ref()).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(answer.body["error"]["kind"], "forbidden", "{path}");
            assert_eq!(
                answer.body["error"]["message"],
                "the token does not grant the `flashsale:admin` scope",
                "{path}"
            );
        }
    }
    assert_eq!(env.store_state(), state, "a refused request wrote");
    assert_eq!(events(&env), log, "a refused request appended an event");
    // The same routes with the scope: none is refused for its token.
    for (method, path, body) in every_route() {
        let answer = admin_send(&server, method.clone(), path, body.as_ref()).await;
        assert!(
            answer.status.is_success(),
            "{method} {path}: {} {}",
            answer.status,
            answer.body
        );
    }
    let (_, status) = server.stop();
    assert!(status.success());
}

/// A key pair verifies admin tokens like shoppers' (the verifier is the same): an RS256
/// admin token signed with the fixture's private key is let through, its `sub` is the actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_signed_with_a_private_key_is_verified_by_its_public_key() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    let server = Server::start_with(
        &env,
        &["--jwt-public-key-file", support::RSA_PUBLIC_PEM],
        &[],
    );
    let pem = std::fs::read(support::RSA_PUBLIC_PEM.replace("rsa_public", "rsa_private")).unwrap();
    let rs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &json!({"sub": "rsa-ops", "exp": support::unix_now() + 600, "scope": "flashsale:admin"}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap();
    let paused = send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/pause",
        Some(&rs256),
        None,
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    // An HS256 token is refused by a public-key server, scope or not.
    let hs = admin_send(&server, Method::POST, "/v1/campaigns/spring/resume", None).await;
    assert_eq!(hs.status, StatusCode::UNAUTHORIZED, "{}", hs.body);
    let last = events(&env).pop().unwrap();
    assert_eq!(
        (last["action"].clone(), last["actor"].clone()),
        (json!("campaign.paused"), json!("rsa-ops"))
    );
}

/// `jwt mint --scope` makes an admin token for the server's secret; without the scope the
/// same user is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_minted_with_the_admin_scope_runs_the_admin_api() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    let server = Server::start(&env, &[]);
    let mint = |extra: &[&str]| {
        let mut args = vec!["jwt", "mint", "--user", "cli-ops"];
        args.extend(extra);
        env.run(args)
            .env("FLASHSALE_JWT_SECRET", support::JWT_SECRET)
            .run()
            .stdout
            .trim()
            .to_owned()
    };
    let plain = mint(&[]);
    let refused = send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/pause",
        Some(&plain),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let admin = mint(&["--scope", "flashsale:admin"]);
    let paused = send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/pause",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    let last = events(&env).pop().unwrap();
    assert_eq!(last["actor"], "cli-ops");
}

/// Creating, pausing, resuming, extending, restocking and ending answer the CLI's documents;
/// an action already in effect answers 200 `"changed": false` and appends no event, exactly
/// like the same command on the CLI; one the state contradicts is 409 `conflict` and writes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_actions_answer_the_clis_documents_and_repeats_change_nothing() {
    let env = TestEnv::new();
    let server = Server::start(&env, &[]);
    let created = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns",
        Some(&campaign("spring", 3)),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["changed"], true);
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(without_changed(&created.body), status);
    // The campaign document is public whole: an admin and anyone read the same one.
    for bearer in [None, Some(admin())] {
        let read = send(
            &server,
            Method::GET,
            "/v1/campaigns/spring",
            bearer.as_deref(),
            None,
        )
        .await;
        assert_eq!((read.status, &read.body), (StatusCode::OK, &status));
    }
    assert_eq!(created.body["percent_off"], 12.5);
    let log = events(&env);
    assert_eq!(log.last().unwrap()["actor"], "ops@example.com");
    // The same create again, by the API and by the CLI: unchanged, the same document.
    let again = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns",
        Some(&campaign("spring", 3)),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["changed"], false);
    assert_eq!(again.body, cli_create(&env, "spring", 3));
    let other = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns",
        Some(&campaign("spring", 4)),
    )
    .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    assert_eq!(other.body["error"]["kind"], "conflict");
    assert_eq!(events(&env), log, "repeats and conflicts appended events");

    let act = |path: &'static str, body: Option<Value>| {
        let server = &server;
        async move { admin_send(server, Method::POST, path, body.as_ref()).await }
    };
    // Each action, then its repeat (unchanged, no event) compared with the CLI's repeat.
    let ends_at = status["ends_at"].as_str().unwrap().to_owned();
    let cases: [(&str, Option<Value>, &[&str]); 3] = [
        (
            "/v1/campaigns/spring/pause",
            None,
            &["campaign", "pause", "spring"],
        ),
        (
            "/v1/campaigns/spring/resume",
            None,
            &["campaign", "resume", "spring"],
        ),
        (
            "/v1/campaigns/spring/extend",
            Some(json!({"ends_at": "2100-01-01T00:00:00Z"})),
            &[
                "campaign",
                "extend",
                "spring",
                "--ends-at",
                "2100-01-01T00:00:00Z",
            ],
        ),
    ];
    for (path, body, cli) in cases {
        let first = act(path, body.clone()).await;
        assert_eq!(
            (first.status, &first.body["changed"]),
            (StatusCode::OK, &json!(true)),
            "{path}: {}",
            first.body
        );
        let log = events(&env);
        let repeat = act(path, body).await;
        assert_eq!(
            (repeat.status, &repeat.body["changed"]),
            (StatusCode::OK, &json!(false)),
            "{path}: {}",
            repeat.body
        );
        assert_eq!(events(&env), log, "{path}: a repeat appended an event");
        assert_eq!(repeat.body, env.run(cli).json(), "{path}: the CLI's repeat");
    }
    assert_ne!(ends_at, "2100-01-01T00:00:00.000Z");
    let later = act("/v1/campaigns/spring/extend", Some(json!({"by": "30m"}))).await;
    assert_eq!(
        later.body["ends_at"], "2100-01-01T00:30:00.000Z",
        "{}",
        later.body
    );
    let earlier = act(
        "/v1/campaigns/spring/extend",
        Some(json!({"ends_at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(earlier.status, StatusCode::CONFLICT, "{}", earlier.body);

    // Inventory: the CLI's inventory document with `changed`.
    let added = act("/v1/campaigns/spring/inventory", Some(json!({"add": 2}))).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(
        added.body,
        json!({"campaign_id": "spring", "total": 5, "claimed": 0, "remaining": 5, "changed": true})
    );
    assert_eq!(
        claim(&server, "spring", "ana", 5000).await.status,
        StatusCode::CREATED
    );
    let log = events(&env);
    let too_many = act("/v1/campaigns/spring/inventory", Some(json!({"remove": 5}))).await;
    assert_eq!(too_many.status, StatusCode::CONFLICT, "{}", too_many.body);
    assert_eq!(events(&env), log);
    let removed = act("/v1/campaigns/spring/inventory", Some(json!({"remove": 4}))).await;
    assert_eq!(
        removed.body,
        json!({"campaign_id": "spring", "total": 1, "claimed": 1, "remaining": 0, "changed": true})
    );

    // The list: `campaign list`, filtered by state.
    let list = admin_send(&server, Method::GET, "/v1/campaigns", None).await;
    assert_eq!(list.body, env.run(["campaign", "list"]).json());
    let ended = admin_send(&server, Method::GET, "/v1/campaigns?state=ended", None).await;
    assert_eq!(ended.body, json!([]));

    // End, and what an ended campaign refuses.
    let end = act("/v1/campaigns/spring/end", None).await;
    assert_eq!(
        (end.status, &end.body["changed"]),
        (StatusCode::OK, &json!(true))
    );
    assert_eq!(end.body["state"], "ended");
    let log = events(&env);
    let repeat = act("/v1/campaigns/spring/end", None).await;
    assert_eq!(
        (repeat.status, &repeat.body["changed"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(
        repeat.body,
        env.run(["campaign", "end", "spring", "--yes"]).json()
    );
    for (path, body) in [
        ("/v1/campaigns/spring/pause", None),
        ("/v1/campaigns/spring/resume", None),
        ("/v1/campaigns/spring/inventory", Some(json!({"add": 1}))),
        ("/v1/campaigns/spring/extend", Some(json!({"by": "1h"}))),
    ] {
        let refused = act(path, body).await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{path}: {}",
            refused.body
        );
        assert_eq!(refused.body["error"]["kind"], "conflict", "{path}");
    }
    assert_eq!(events(&env), log, "repeats and conflicts appended events");
    let ended = admin_send(&server, Method::GET, "/v1/campaigns?state=ended", None).await;
    assert_eq!(ended.body.as_array().unwrap().len(), 1, "{}", ended.body);
    // An unknown campaign is 404 for every action.
    let ghost = act("/v1/campaigns/ghost/pause", None).await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND, "{}", ghost.body);
}

/// Bad bodies, paths and parameters are 400 `invalid_input` naming the field, and write
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_400_naming_the_field_and_write_nothing() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    let server = Server::start(&env, &[]);
    let (state, log) = (env.store_state(), events(&env));
    let with = |change: Value| {
        let mut body = campaign("fresh", 3);
        for (key, value) in change.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        body
    };
    let cases: Vec<(Method, &str, Option<Value>, &str)> = vec![
        (
            Method::POST,
            "/v1/campaigns",
            Some(json!([1])),
            "the body must be a JSON object",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"id": "Not A Slug"}))),
            "invalid id:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"id": null}))),
            "id is required",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"name": ""}))),
            "invalid name:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"inventory": 0}))),
            "invalid inventory:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"percent_off": 100.5}))),
            "invalid percent_off:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"percent_off": 12.345}))),
            "invalid percent_off:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"max_discount_cents": 0}))),
            "invalid max_discount_cents:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"min_cart_cents": -1}))),
            "invalid min_cart_cents:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"currency": "XXY"}))),
            "invalid currency:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"duration": "1 hour"}))),
            "invalid duration:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"duration": null}))),
            "invalid ends_at:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(
                json!({"ends_at": "2000-01-01T00:00:00Z", "duration": null}),
            )),
            "invalid ends_at:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"starts_at": "tomorrow"}))),
            "invalid starts_at:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"hold": "0s"}))),
            "invalid hold:",
        ),
        (
            Method::POST,
            "/v1/campaigns",
            Some(with(json!({"owner": "x"}))),
            "unknown field `owner`",
        ),
        (
            Method::GET,
            "/v1/campaigns?state=bogus",
            None,
            "invalid state:",
        ),
        (
            Method::GET,
            "/v1/campaigns?color=red",
            None,
            "invalid query:",
        ),
        (
            Method::GET,
            "/v1/campaigns?state=live&state=ended",
            None,
            "invalid state:",
        ),
        (
            Method::POST,
            "/v1/campaigns/Bad%20Id/pause",
            None,
            "invalid campaign id:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/pause",
            Some(json!({"now": true})),
            "unknown field `now`",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/extend",
            Some(json!({})),
            "invalid ends_at:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/extend",
            Some(json!({"by": "soon"})),
            "invalid by:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/extend",
            Some(json!({"ends_at": "2100-01-01"})),
            "invalid ends_at:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/inventory",
            Some(json!({"add": 0})),
            "invalid add:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/inventory",
            Some(json!({"remove": -2})),
            "invalid remove:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/inventory",
            Some(json!({"add": 1, "remove": 1})),
            "invalid add:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/inventory",
            Some(json!({"add": "5"})),
            "add must be a whole number, not a string",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/reconcile",
            Some(json!({"force": true})),
            "invalid force:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims",
            None,
            "invalid user:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims?user=a&token=b",
            None,
            "invalid user:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims?user=%07",
            None,
            "invalid user:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/claims/void",
            Some(json!({"reason": "fraud"})),
            "invalid user_id:",
        ),
        (
            Method::POST,
            "/v1/campaigns/spring/claims/void",
            Some(json!({"user_id": ""})),
            "invalid user_id:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims/export",
            None,
            "invalid format:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims/export?format=xlsx",
            None,
            "invalid format:",
        ),
        (
            Method::GET,
            "/v1/campaigns/spring/claims/export?format=csv&status=lost",
            None,
            "invalid status:",
        ),
        (Method::GET, "/v1/events?after=-1", None, "invalid after:"),
        (
            Method::GET,
            "/v1/events?campaign=NO",
            None,
            "invalid campaign:",
        ),
    ];
    for (method, path, body, message) in cases {
        let answer = admin_send(&server, method.clone(), path, body.as_ref()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body:?}: {}",
            answer.body
        );
        assert_eq!(answer.body["error"]["kind"], "invalid_input", "{path}");
        let text = answer.body["error"]["message"].as_str().unwrap();
        assert!(
            text.starts_with(message),
            "{method} {path} {body:?}: {text}"
        );
        // Refused in the words of the API, never serde's.
        assert!(
            !text.contains("i64") && !text.contains("line 1"),
            "{method} {path} {body:?}: {text}"
        );
    }
    assert_eq!(env.store_state(), state, "a malformed request wrote");
    assert_eq!(events(&env), log, "a malformed request appended an event");
}

/// Looking claims up, voiding (again: unchanged; a redeemed claim: 409), expiring and
/// reconciling answer the CLI's documents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_looked_up_voided_expired_and_reconciled_like_the_cli_does() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    let server = Server::start(&env, &[]);
    let ana = claim(&server, "spring", "ana", 5000).await.body;
    let bo = claim(&server, "spring", "bo", 5000).await.body;
    let token = ana["claim"]["token"].as_str().unwrap().to_owned();
    let by_user = admin_send(
        &server,
        Method::GET,
        "/v1/campaigns/spring/claims?user=ana",
        None,
    )
    .await;
    assert_eq!(by_user.status, StatusCode::OK);
    assert_eq!(by_user.body, ana["claim"]);
    assert_eq!(
        by_user.body,
        env.run(["claim", "show", "--campaign", "spring", "--user", "ana"])
            .json()
    );
    let by_token = admin_send(
        &server,
        Method::GET,
        &format!("/v1/campaigns/spring/claims?token={token}"),
        None,
    )
    .await;
    assert_eq!(by_token.body, ana["claim"]);
    let nobody = admin_send(
        &server,
        Method::GET,
        "/v1/campaigns/spring/claims?user=cy",
        None,
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{}", nobody.body);

    // A void, its repeat and a void of a redeemed claim.
    let void = json!({"user_id": "bo", "reason": "fraud"});
    let voided = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/claims/void",
        Some(&void),
    )
    .await;
    assert_eq!(voided.status, StatusCode::OK, "{}", voided.body);
    assert_eq!(
        (&voided.body["status"], &voided.body["changed"]),
        (&json!("voided"), &json!(true))
    );
    assert_eq!(voided.body["token"], bo["claim"]["token"]);
    let log = events(&env);
    let last = log.last().unwrap();
    assert_eq!(
        (&last["action"], &last["actor"], &last["details"]["reason"]),
        (
            &json!("claim.voided"),
            &json!("ops@example.com"),
            &json!("fraud")
        )
    );
    let again = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/claims/void",
        Some(&void),
    )
    .await;
    assert_eq!(
        (again.status, &again.body["changed"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(
        again.body,
        env.run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            "bo",
            "--yes"
        ])
        .json()
    );
    let redeem = json!({"token": token, "order_id": "o-1", "cart_cents": 5000});
    let redeemed = send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/redeem",
        Some(&shopper("ana")),
        Some(&redeem),
    )
    .await;
    assert_eq!(redeemed.status, StatusCode::OK, "{}", redeemed.body);
    let refused = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/claims/void",
        Some(&json!({"token": token})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(
        events(&env).len(),
        log.len() + 1,
        "only the redemption was appended"
    );
    // Each void answered is counted by its outcome, as redemptions are.
    let metrics = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (outcome, count) in [("voided", 1), ("replayed", 1), ("conflict", 1)] {
        let series = format!(
            "flashsale_claim_transitions_total{{action=\"void\",outcome=\"{outcome}\"}} {count}"
        );
        assert!(metrics.contains(&series), "{series} not in:\n{metrics}");
    }

    // Nothing is past a hold here: an expiry changes nothing and says so.
    let expired = admin_send(&server, Method::POST, "/v1/campaigns/spring/expire", None).await;
    assert_eq!(
        expired.body,
        json!({"campaign_id": "spring", "total": 3, "claimed": 1, "remaining": 2, "expired": 0})
    );
    assert_eq!(
        expired.body,
        env.run(["inventory", "expire", "spring"]).json()
    );
    let report = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/reconcile",
        None,
    )
    .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(
        report.body,
        env.run(["inventory", "reconcile", "spring"]).json()
    );
    assert_eq!(
        (&report.body["drift"], &report.body["applied"]),
        (&json!(0), &json!(false))
    );
    let applied = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/reconcile",
        Some(&json!({"apply": true})),
    )
    .await;
    assert_eq!(
        (&applied.body["drift"], &applied.body["applied"]),
        (&json!(0), &json!(true)),
        "{}",
        applied.body
    );
}

/// An export is the CLI's export, byte for byte, at any size: CSV with one header row and
/// formula cells made inert, and JSON lines, with or without a status filter; an unknown
/// campaign is 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_the_clis_bytes_page_after_page() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3_000);
    // More claims than one page holds (1,000), straight through the library.
    {
        let store = SqliteStore::open(&env.sqlite_file().unwrap())
            .await
            .unwrap();
        let claims = ClaimService::new(store.clone(), SystemClock);
        let id = CampaignId::parse("spring").unwrap();
        for n in 0..2_100 {
            let user =
                Identity::asserted_by_operator(UserId::parse(&format!("user-{n:04}")).unwrap());
            claims
                .claim(&user, &id, "50".parse().unwrap())
                .await
                .unwrap();
        }
        drop(store);
    }
    let server = Server::start(&env, &[]);
    assert_eq!(
        claim(&server, "spring", "=HYPERLINK(\"x\")", 5000)
            .await
            .status,
        StatusCode::CREATED
    );
    let voided = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/spring/claims/void",
        Some(&json!({"user_id": "user-0007"})),
    )
    .await;
    assert_eq!(voided.status, StatusCode::OK);
    for (query, cli) in [
        ("format=csv", vec!["--format", "csv"]),
        ("format=jsonl", vec!["--format", "jsonl"]),
        (
            "format=csv&status=voided",
            vec!["--format", "csv", "--status", "voided"],
        ),
        (
            "format=jsonl&status=claimed",
            vec!["--format", "jsonl", "--status", "claimed"],
        ),
    ] {
        let response = client()
            .get(server.url(&format!("/v1/campaigns/spring/claims/export?{query}")))
            .bearer_auth(admin())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let text = response.text().await.unwrap();
        let mut args = vec!["claim", "export", "--campaign", "spring"];
        args.extend(cli);
        let expected = env.run(args).run().stdout;
        assert_eq!(text, expected, "{query}");
    }
    let csv = client()
        .get(server.url("/v1/campaigns/spring/claims/export?format=csv"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2_102, "a header and every claim once");
    assert_eq!(
        csv.matches("campaign_id,user_id").count(),
        1,
        "one header row"
    );
    assert!(csv.contains("'=HYPERLINK"), "a formula cell is made inert");
    let ghost = admin_send(
        &server,
        Method::GET,
        "/v1/campaigns/ghost/claims/export?format=csv",
        None,
    )
    .await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND, "{}", ghost.body);
}

/// The audit log over HTTP: JSON lines after a position; as server-sent events, the log from
/// `Last-Event-ID` on and then an event appended after the client connected; and a shutdown
/// ends a live stream instead of waiting out the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_served_from_a_position_and_followed_live() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 3);
    cli_create(&env, "autumn", 3);
    let server = Server::start(&env, &["--grace", "25s"]);
    admin_send(&server, Method::POST, "/v1/campaigns/spring/pause", None).await;
    let log = events(&env);
    assert_eq!(log.len(), 3);
    let lines = |answer: Answer| -> Vec<Value> {
        let text = answer
            .body
            .as_str()
            .unwrap_or_else(|| panic!("not JSON lines: {}", answer.body));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let all = lines(admin_send(&server, Method::GET, "/v1/events", None).await);
    assert_eq!(all, log);
    let after = log[0]["seq"].as_i64().unwrap();
    let rest = lines(
        admin_send(
            &server,
            Method::GET,
            &format!("/v1/events?after={after}"),
            None,
        )
        .await,
    );
    assert_eq!(rest, log[1..]);
    let spring = lines(admin_send(&server, Method::GET, "/v1/events?campaign=spring", None).await);
    assert_eq!(spring, [log[0].clone(), log[2].clone()]);
    let ghost = admin_send(&server, Method::GET, "/v1/events?campaign=ghost", None).await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND);

    // Live: resumed after the first event, then the resume appended while connected.
    let mut live = client()
        .get(server.url("/v1/events?campaign=spring"))
        .bearer_auth(admin())
        .header("accept", "text/event-stream")
        .header("last-event-id", after.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    let mut received = String::new();
    read_until(&mut live, "campaign.paused", &mut received).await;
    assert!(!received.contains("campaign.created"), "{received}");
    let resumed = admin_send(&server, Method::POST, "/v1/campaigns/spring/resume", None).await;
    assert_eq!(resumed.status, StatusCode::OK);
    read_until(&mut live, "campaign.resumed", &mut received).await;
    let log = events(&env);
    let frames: Vec<(i64, Value)> = received
        .split("\n\n")
        .filter(|frame| frame.contains("data:"))
        .map(|frame| {
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .unwrap()
                    .trim()
                    .to_owned()
            };
            (
                field("id:").parse().unwrap(),
                serde_json::from_str(&field("data:")).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        frames,
        [log[2].clone(), log[3].clone()]
            .into_iter()
            .map(|event| (event["seq"].as_i64().unwrap(), event))
            .collect::<Vec<_>>()
    );
    // SIGTERM with the stream open: it ends, and the server exits 0 well inside its grace.
    let (took, status) = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        took < Duration::from_secs(10),
        "the stream held the shutdown for {took:?}"
    );
}

/// Reads `live` into `received` until it holds `needle` (at most 20 s).
async fn read_until(live: &mut reqwest::Response, needle: &str, received: &mut String) {
    let started = Instant::now();
    while !received.contains(needle) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {needle:?} in {received:?}"
        );
        let chunk = tokio::time::timeout(Duration::from_secs(20), live.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        received.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// A whole sale through the admin API alone, shoppers through theirs: create, claims by
/// several shoppers, a pause that refuses claims, a restock, a void, the end, the export and
/// the log; then the store's own audit holds every invariant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_sale_runs_through_the_admin_api_and_passes_the_audit() {
    let env = TestEnv::new();
    // `serve` opens an existing store; the sale itself is made over HTTP.
    let server = Server::start(&env, &[]);
    let post = |path: String, body: Option<Value>| {
        let server = &server;
        async move { admin_send(server, Method::POST, &path, body.as_ref()).await }
    };
    let created = post("/v1/campaigns".into(), Some(campaign("sale", 3))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let shoppers = ["ana", "bo", "cy", "dee", "eve"];
    let mut statuses = Vec::new();
    for user in &shoppers[..4] {
        statuses.push(claim(&server, "sale", user, 5000).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CONFLICT
        ]
    );
    assert_eq!(
        post("/v1/campaigns/sale/pause".into(), None).await.status,
        StatusCode::OK
    );
    let paused = claim(&server, "sale", "eve", 5000).await;
    assert_eq!(
        (paused.status, &paused.body["error"]["kind"]),
        (StatusCode::CONFLICT, &json!("not_live"))
    );
    let restocked = post(
        "/v1/campaigns/sale/inventory".into(),
        Some(json!({"add": 2})),
    )
    .await;
    assert_eq!(restocked.body["remaining"], 2, "{}", restocked.body);
    assert_eq!(
        post("/v1/campaigns/sale/resume".into(), None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        claim(&server, "sale", "dee", 5000).await.status,
        StatusCode::CREATED
    );
    let void = post(
        "/v1/campaigns/sale/claims/void".into(),
        Some(json!({"user_id": "bo", "reason": "refund"})),
    )
    .await;
    assert_eq!(void.body["changed"], true, "{}", void.body);
    assert_eq!(
        claim(&server, "sale", "eve", 5000).await.status,
        StatusCode::CREATED
    );
    let ended = post("/v1/campaigns/sale/end".into(), None).await;
    assert_eq!(ended.body["state"], "ended");
    assert_eq!(
        claim(&server, "sale", "cy", 5000).await.status,
        StatusCode::OK,
        "a replay after the end"
    );
    let export = client()
        .get(server.url("/v1/campaigns/sale/claims/export?format=jsonl"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let exported: Vec<(String, String)> = export
        .lines()
        .map(|line| {
            let claim: Value = serde_json::from_str(line).unwrap();
            (
                claim["user_id"].as_str().unwrap().to_owned(),
                claim["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("ana", "claimed"),
        ("bo", "voided"),
        ("cy", "claimed"),
        ("dee", "claimed"),
        ("eve", "claimed"),
    ]
    .iter()
    .map(|(u, s)| ((*u).to_owned(), (*s).to_owned()))
    .collect();
    assert_eq!(exported, expected);
    let log = admin_send(&server, Method::GET, "/v1/events?campaign=sale", None).await;
    let actions: Vec<(String, String)> = log
        .body
        .as_str()
        .unwrap()
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            (
                event["action"].as_str().unwrap().to_owned(),
                event["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ops = |action: &str| (action.to_owned(), "ops@example.com".to_owned());
    assert_eq!(
        actions,
        [
            ops("campaign.created"),
            ops("campaign.paused"),
            ops("inventory.added"),
            ops("campaign.resumed"),
            ops("claim.voided"),
            ops("campaign.ended"),
        ]
    );
    let (_, status) = server.stop();
    assert!(status.success());
    // The store's own audit: I1-I3 on the counters and the claim records.
    let store = SqliteStore::open(&env.sqlite_file().unwrap())
        .await
        .unwrap();
    let audit = store
        .audit(&CampaignId::parse("sale").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audit.total, 5, "{audit:?}");
    assert!(audit.claims <= audit.total, "I1 oversold: {audit:?}");
    assert_eq!(audit.claims, 4, "four claims hold a unit: {audit:?}");
    assert_eq!(audit.distinct_users, audit.claims, "I2: {audit:?}");
    assert_eq!(audit.distinct_tokens, audit.claims, "{audit:?}");
    assert_eq!(audit.remaining, audit.total - audit.claims, "I3: {audit:?}");
    drop(store);
    let reconciled = env.run(["inventory", "reconcile", "sale"]).json();
    assert_eq!(reconciled["drift"], 0, "{reconciled}");
}

/// A reconciliation over HTTP keeps the store's rules: a drift more than a crash can strand
/// is reported, refused on `apply` with nothing written, and repaired only with `force`; and
/// a hold that ran out is expired by `expire` with its unit returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_refuses_an_unexplained_drift_unless_forced_and_expire_returns_holds() {
    let env = TestEnv::new();
    cli_create(&env, "spring", 5);
    for user in ["ana", "bo"] {
        env.claim("spring", user, "50").json();
    }
    // Remaining edited behind the store's back: 1 where the claims say 3.
    let conn = rusqlite::Connection::open(env.sqlite_file().unwrap()).unwrap();
    conn.execute("UPDATE campaigns SET remaining = 1 WHERE id = 'spring'", [])
        .unwrap();
    drop(conn);
    let server = Server::start(&env, &[]);
    let path = "/v1/campaigns/spring/reconcile";
    let report = admin_send(&server, Method::POST, path, Some(&json!({}))).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(
        (
            &report.body["drift"],
            &report.body["expected_remaining"],
            &report.body["applied"]
        ),
        (&json!(2), &json!(3), &json!(false)),
        "{}",
        report.body
    );
    assert_eq!(
        report.body,
        env.run(["inventory", "reconcile", "spring"]).json()
    );
    let (state, log) = (env.store_state(), events(&env));
    let refused = admin_send(&server, Method::POST, path, Some(&json!({"apply": true}))).await;
    assert_eq!(
        refused.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        refused.body
    );
    // The CLI's kind, code and words (its exit 1 is `internal`), with the body's flag to force.
    assert_eq!(refused.body["error"]["kind"], "internal");
    assert_eq!(refused.body["error"]["code"], "drift_too_large");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "campaign `spring`: remaining is off by 2 units, more than a crash can strand"
        ) && message.contains("`\"force\": true`"),
        "{message}"
    );
    let cli = env
        .run([
            "inventory",
            "reconcile",
            "spring",
            "--apply",
            "--yes",
            "--output",
            "json",
        ])
        .code(1)
        .run();
    let cli: Value = serde_json::from_str(&cli.stdout).unwrap();
    assert_eq!(cli["error"]["kind"], refused.body["error"]["kind"]);
    let cli_message = cli["error"]["message"].as_str().unwrap();
    let (words, _) = cli_message.split_once(": if you know why").unwrap();
    assert!(message.starts_with(words), "{message} / {cli_message}");
    assert_eq!(
        (env.store_state(), events(&env)),
        (state, log),
        "a refused repair wrote"
    );
    let forced = admin_send(
        &server,
        Method::POST,
        path,
        Some(&json!({"apply": true, "force": true})),
    )
    .await;
    assert_eq!(forced.status, StatusCode::OK, "{}", forced.body);
    assert_eq!(forced.body["applied"], true, "{}", forced.body);
    let last = events(&env).pop().unwrap();
    assert_eq!(
        (&last["action"], &last["actor"]),
        (&json!("inventory.reconciled"), &json!("ops@example.com"))
    );
    let shown = env.run(["inventory", "show", "spring"]).json();
    assert_eq!(shown["remaining"], 3, "{shown}");

    // A hold of one second: the claim expires, and its unit comes back.
    let mut held = campaign("held", 2);
    held["hold"] = "1s".into();
    let created = admin_send(&server, Method::POST, "/v1/campaigns", Some(&held)).await;
    assert_eq!(created.body["hold_seconds"], 1, "{}", created.body);
    assert_eq!(
        claim(&server, "held", "ana", 5000).await.status,
        StatusCode::CREATED
    );
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let expired = admin_send(&server, Method::POST, "/v1/campaigns/held/expire", None).await;
    assert_eq!(
        expired.body,
        json!({"campaign_id": "held", "total": 2, "claimed": 0, "remaining": 2, "expired": 1})
    );
    let again = admin_send(
        &server,
        Method::POST,
        "/v1/campaigns/held/expire",
        Some(&json!({})),
    )
    .await;
    assert_eq!(again.body["expired"], 0, "{}", again.body);
}
