//! The HTTP API's OpenAPI document: the committed `docs/openapi.json` is what the code
//! generates and what `GET /openapi.json` serves, and real answers of a running server, success
//! and error, validate against the schema it gives for their route and status.
//! Regenerate the committed copy with `FLASHSALE_BLESS=1 cargo test --test integration openapi`.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::server::{Server, token};
use crate::support::{TestEnv, bless};

const CLAIM: &str = "/v1/campaigns/{id}/claim";
const REDEEM: &str = "/v1/campaigns/{id}/redeem";
const CAMPAIGN: &str = "/v1/campaigns/{id}";

/// The command to run when the committed document is stale.
const BLESS: &str = "FLASHSALE_BLESS=1 cargo test --test integration openapi";

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = flashsale::http::document_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if bless() {
        std::fs::write(&path, generated).expect("write docs/openapi.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `{BLESS}`"
    );
}

/// The schema the document gives for answers of `method` `route` with `status` in
/// `content_type`, with the document's components beside it so that its `$ref`s resolve.
fn schema_of(
    document: &Value,
    method: &str,
    route: &str,
    status: u16,
    content_type: &str,
) -> Result<Value, String> {
    let answers = &document["paths"][route][method.to_lowercase()]["responses"];
    if answers.is_null() {
        return Err(format!("{method} {route} is not in the document"));
    }
    let answer = &answers[status.to_string()];
    if answer.is_null() {
        return Err(format!(
            "{method} {route} answered {status}, which the document does not list"
        ));
    }
    let Some(schema) = answer["content"][content_type]["schema"].as_object() else {
        return Err(format!(
            "{method} {route} {status}: the document gives no {content_type} schema"
        ));
    };
    let mut schema = schema.clone();
    schema.insert("components".into(), document["components"].clone());
    Ok(Value::Object(schema))
}

/// Whether `body` fits `schema`, formats (`date-time`) included; the errors otherwise.
fn check(schema: &Value, body: &Value) -> Result<(), String> {
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|err| format!("the schema does not compile: {err}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|err| format!("{err} at {}", err.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// A request to a running server, and what it was answered.
struct Exchange {
    method: Method,
    route: &'static str,
    path: String,
    bearer: Option<String>,
    body: Option<Value>,
}

/// What came back: the status, the media type and the body.
struct Answered {
    status: u16,
    content_type: String,
    text: String,
}

impl Exchange {
    fn new(method: Method, route: &'static str, path: impl Into<String>) -> Self {
        Exchange {
            method,
            route,
            path: path.into(),
            bearer: None,
            body: None,
        }
    }

    fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    async fn send(&self, server: &Server) -> Answered {
        let client = flashsale::outbound::client()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut request = client.request(self.method.clone(), server.url(&self.path));
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = &self.body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Answered {
            status,
            content_type,
            text: response.text().await.unwrap(),
        }
    }
}

/// `answered` against the document's schema for its route and status: a JSON body whole, a
/// JSON lines body line by line.
fn validate(document: &Value, exchange: &Exchange, answered: &Answered) -> Result<(), String> {
    let method = exchange.method.as_str();
    let route = exchange.route;
    let what = |err: String| format!("{method} {} {}: {err}", exchange.path, answered.status);
    let media = answered.content_type.split(';').next().unwrap_or_default();
    let schema = schema_of(document, method, route, answered.status, media).map_err(what)?;
    let bodies: Vec<Value> = if media == "application/x-ndjson" {
        answered
            .text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    } else {
        vec![serde_json::from_str(&answered.text).map_err(|err| what(err.to_string()))?]
    };
    for body in &bodies {
        check(&schema, body).map_err(|err| what(format!("{err}\n{body}")))?;
    }
    Ok(())
}

/// Success and error answers of the shopper's, the public and the admin routes, from a real
/// server, each as the document says its route answers with its status.
#[tokio::test]
async fn real_answers_fit_the_documents_schemas() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let server = Server::start(&env, &[]);
    let fetched: Value = serde_json::from_str(
        &Exchange::new(Method::GET, "/openapi.json", "/openapi.json")
            .send(&server)
            .await
            .text,
    )
    .unwrap();
    let document: Value = serde_json::from_str(flashsale::http::document_json()).unwrap();
    assert_eq!(
        fetched, document,
        "GET /openapi.json serves the generated document"
    );

    let ana = token("ana@example.com", None);
    let bob = token("bob@example.com", None);
    let admin = token("ops@example.com", Some("flashsale:admin"));
    let claim = |user: &str, path: &str, cart: Value| {
        Exchange::new(Method::POST, CLAIM, path)
            .bearer(user)
            .body(json!({"cart_cents": cart}))
    };
    let act = |action: &'static str, id: &str| {
        Exchange::new(
            Method::POST,
            match action {
                "pause" => "/v1/campaigns/{id}/pause",
                "resume" => "/v1/campaigns/{id}/resume",
                "end" => "/v1/campaigns/{id}/end",
                _ => "/v1/campaigns/{id}/expire",
            },
            format!("/v1/campaigns/{id}/{action}"),
        )
        .bearer(&admin)
        .body(json!({}))
    };

    let mut statuses = Vec::new();
    let mut failures = Vec::new();
    let mut exchange = async |exchange: Exchange, expected: u16| -> Answered {
        let answered = exchange.send(&server).await;
        assert_eq!(
            answered.status, expected,
            "{} {}: {}",
            exchange.method, exchange.path, answered.text
        );
        statuses.push((exchange.method.to_string(), exchange.route, expected));
        if let Err(err) = validate(&document, &exchange, &answered) {
            failures.push(err);
        }
        answered
    };

    // The shopper's routes.
    let claimed = exchange(claim(&ana, "/v1/campaigns/spring/claim", json!(3000)), 201).await;
    let claimed: Value = serde_json::from_str(&claimed.text).unwrap();
    exchange(claim(&ana, "/v1/campaigns/spring/claim", json!(3000)), 200).await;
    exchange(
        claim(&bob, "/v1/campaigns/spring/claim", json!("3000")),
        400,
    )
    .await;
    exchange(claim(&bob, "/v1/campaigns/spring/claim", json!(100)), 422).await;
    exchange(claim(&bob, "/v1/campaigns/none/claim", json!(3000)), 404).await;
    exchange(
        Exchange::new(Method::POST, CLAIM, "/v1/campaigns/spring/claim")
            .body(json!({"cart_cents": 3000})),
        401,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, CLAIM, "/v1/campaigns/spring/claim").bearer(&ana),
        200,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, CLAIM, "/v1/campaigns/spring/claim").bearer(&bob),
        404,
    )
    .await;
    let redeem = |order: &str| {
        Exchange::new(Method::POST, REDEEM, "/v1/campaigns/spring/redeem")
            .bearer(&ana)
            .body(json!({
                "token": claimed["claim"]["token"],
                "order_id": order,
                "cart_cents": 3000,
            }))
    };
    exchange(redeem("order-1"), 200).await;
    exchange(redeem("order-1"), 200).await;
    exchange(redeem("order-2"), 409).await;
    exchange(
        Exchange::new(Method::GET, CAMPAIGN, "/v1/campaigns/spring"),
        200,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, CAMPAIGN, "/v1/campaigns/none"),
        404,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, CAMPAIGN, "/v1/campaigns/NO%20PE"),
        400,
    )
    .await;
    exchange(Exchange::new(Method::GET, "/healthz", "/healthz"), 200).await;
    exchange(Exchange::new(Method::GET, "/readyz", "/readyz"), 200).await;

    // The admin routes.
    let create = |inventory: u32| {
        Exchange::new(Method::POST, "/v1/campaigns", "/v1/campaigns")
            .bearer(&admin)
            .body(json!({
                "id": "summer", "name": "Summer", "inventory": inventory, "percent_off": 12.5,
                "max_discount_cents": 500, "duration": "2h", "hold": "15m",
            }))
    };
    exchange(create(3), 201).await;
    exchange(create(3), 200).await;
    exchange(create(4), 409).await;
    exchange(
        Exchange::new(Method::GET, "/v1/campaigns", "/v1/campaigns").bearer(&admin),
        200,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, "/v1/campaigns", "/v1/campaigns").bearer(&ana),
        403,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, "/v1/campaigns", "/v1/campaigns"),
        401,
    )
    .await;
    exchange(
        claim(
            &bob,
            "/v1/campaigns/spring/claim",
            json!("x".repeat(20_000)),
        ),
        413,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, "/v1/campaigns", "/v1/campaigns?state=bogus").bearer(&admin),
        400,
    )
    .await;
    exchange(claim(&bob, "/v1/campaigns/summer/claim", json!(3000)), 201).await;
    exchange(act("pause", "summer"), 200).await;
    exchange(claim(&ana, "/v1/campaigns/summer/claim", json!(3000)), 409).await;
    exchange(act("resume", "summer"), 200).await;
    exchange(act("expire", "summer"), 200).await;
    exchange(act("pause", "none"), 404).await;
    let inventory = |body: Value| {
        Exchange::new(
            Method::POST,
            "/v1/campaigns/{id}/inventory",
            "/v1/campaigns/summer/inventory",
        )
        .bearer(&admin)
        .body(body)
    };
    exchange(inventory(json!({"add": 2})), 200).await;
    exchange(inventory(json!({"remove": 100})), 409).await;
    exchange(
        Exchange::new(
            Method::POST,
            "/v1/campaigns/{id}/reconcile",
            "/v1/campaigns/summer/reconcile",
        )
        .bearer(&admin)
        .body(json!({"apply": true})),
        200,
    )
    .await;
    exchange(
        Exchange::new(
            Method::GET,
            "/v1/campaigns/{id}/claims",
            "/v1/campaigns/summer/claims?user=bob@example.com",
        )
        .bearer(&admin),
        200,
    )
    .await;
    let void = || {
        Exchange::new(
            Method::POST,
            "/v1/campaigns/{id}/claims/void",
            "/v1/campaigns/summer/claims/void",
        )
        .bearer(&admin)
        .body(json!({"user_id": "bob@example.com", "reason": "test"}))
    };
    exchange(void(), 200).await;
    exchange(void(), 200).await;
    exchange(
        Exchange::new(
            Method::POST,
            "/v1/campaigns/{id}/claims/void",
            "/v1/campaigns/spring/claims/void",
        )
        .bearer(&admin)
        .body(json!({"user_id": "ana@example.com"})),
        409,
    )
    .await;
    exchange(
        Exchange::new(
            Method::GET,
            "/v1/campaigns/{id}/claims/export",
            "/v1/campaigns/spring/claims/export?format=jsonl",
        )
        .bearer(&admin),
        200,
    )
    .await;
    exchange(
        Exchange::new(Method::GET, "/v1/events", "/v1/events").bearer(&admin),
        200,
    )
    .await;
    let extend = |body: Value| {
        Exchange::new(
            Method::POST,
            "/v1/campaigns/{id}/extend",
            "/v1/campaigns/summer/extend",
        )
        .bearer(&admin)
        .body(body)
    };
    exchange(extend(json!({"by": "30m"})), 200).await;
    exchange(act("end", "summer"), 200).await;
    exchange(extend(json!({"by": "30m"})), 409).await;

    exchange(
        Exchange::new(Method::GET, "/openapi.json", "/openapi.json"),
        200,
    )
    .await;

    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every JSON route of the document was driven (`/metrics` is Prometheus text).
    for (route, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            assert!(
                route == "/metrics" || statuses.iter().any(|(m, r, _)| *m == method && r == route),
                "{method} {route} was not driven"
            );
        }
    }
}
