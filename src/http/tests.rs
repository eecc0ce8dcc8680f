//! The router against a store that counts every call: requests refused for their credential,
//! path or body never reach it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::TimeDelta;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::{App, Limits, router};
use crate::auth::{JwtSigner, JwtVerifier};
use crate::clock::{Clock as _, SystemClock};
use chrono::{DateTime, Utc};

use crate::domain::{
    Actor, Applied, BucketWidth, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim,
    ClaimAttempt, ClaimToken, Currency, Decision, Event, EventQuery, ExportPage, NewCampaign,
    RedeemAttempt, SaleReport, Stamp, Units, UserId, Verdict, VoidAttempt,
};
use crate::store::{Audit, Reconciliation, SqliteStore, Store, StoreError};

const SECRET: &[u8] = b"k7Qm2xV9pL4tR8wZ3nB6yH1cF5jD0gSa";

/// A store that counts its calls, and fails every one while `failing`.
#[derive(Clone)]
struct Counting {
    inner: SqliteStore,
    calls: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
    /// Every claim first waits this long (to hold requests in flight).
    slow: Option<Duration>,
    /// Every read of campaigns first waits this long (reads queued behind others).
    slow_reads: Option<Duration>,
}

impl Counting {
    fn called(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable(
                "testing",
                std::io::Error::other("down"),
            ));
        }
        Ok(())
    }
}

impl Store for Counting {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        self.called()?;
        self.inner.create_campaign(campaign, stamp).await
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        self.called()?;
        if let Some(delay) = self.slow_reads {
            tokio::time::sleep(delay).await;
        }
        self.inner.campaign(id).await
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.called()?;
        if let Some(delay) = self.slow_reads {
            tokio::time::sleep(delay).await;
        }
        self.inner.campaigns().await
    }
    async fn ready(&self) -> Result<(), StoreError> {
        self.called()?;
        self.inner.ready().await
    }
    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        self.called()?;
        self.inner.change_campaign(id, change, stamp).await
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        self.called()?;
        if let Some(delay) = self.slow {
            tokio::time::sleep(delay).await;
        }
        self.inner.claim(attempt).await
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        self.called()?;
        self.inner.claim_of(id, user).await
    }
    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        self.called()?;
        self.inner.claim_by_token(id, token).await
    }
    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        self.called()?;
        self.inner.redeem(attempt).await
    }
    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        self.called()?;
        self.inner.void(attempt).await
    }
    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        self.called()?;
        self.inner.expire_holds(id, stamp).await
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: crate::store::ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        self.called()?;
        self.inner.reconcile(id, mode, stamp).await
    }
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.called()?;
        self.inner.events(query).await
    }
    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        self.called()?;
        self.inner.export_page(page).await
    }
    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        self.called()?;
        self.inner.report(id, width).await
    }
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        self.called()?;
        self.inner.now(local).await
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        self.called()?;
        self.inner.audit(id).await
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        self.called()?;
        self.inner.delete_campaign(id).await
    }
}

async fn fixture(dir: &tempfile::TempDir) -> Counting {
    let inner = SqliteStore::open(&dir.path().join("db")).await.unwrap();
    let now = SystemClock.now();
    let campaign = NewCampaign {
        id: CampaignId::parse("spring").unwrap(),
        name: "Spring".into(),
        inventory: Units::new(5).unwrap(),
        percent: "10".parse().unwrap(),
        max_discount: "5.00".parse().unwrap(),
        min_cart: "0".parse().unwrap(),
        currency: Currency::default(),
        starts_at: Some(now),
        ends: crate::domain::Ends::At(now + TimeDelta::hours(1)),
        hold: None,
    }
    .validate(now)
    .unwrap();
    let stamp = Stamp {
        actor: Actor::parse("ops").unwrap(),
        at: now,
    };
    inner.create_campaign(&campaign, &stamp).await.unwrap();
    Counting {
        inner,
        calls: Arc::new(AtomicUsize::new(0)),
        failing: Arc::new(AtomicBool::new(false)),
        slow: None,
        slow_reads: None,
    }
}

fn bearer(user: &str) -> String {
    let minted = JwtSigner::hs256(SECRET)
        .unwrap()
        .mint(
            &UserId::parse(user).unwrap(),
            SystemClock.now(),
            TimeDelta::minutes(5),
        )
        .unwrap();
    format!("Bearer {}", minted.token)
}

async fn send(
    store: &Counting,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    send_to(
        &router(
            App::new(store.clone(), JwtVerifier::hs256(SECRET).unwrap()),
            &Limits::default(),
        ),
        method,
        uri,
        auth,
        body,
    )
    .await
}

async fn send_to(
    router: &axum::Router,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let response = router
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn refused_requests_never_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(&dir).await;
    let ana = bearer("ana");
    let good = r#"{"cart_cents": 5000}"#;
    let claim = "/v1/campaigns/spring/claim";
    let redeem = "/v1/campaigns/spring/redeem";
    let redemption = r#"{"token": "t", "order_id": "o-1", "cart_cents": 5000}"#;
    let huge = format!(
        r#"{{"cart_cents": 1, "x": "{}"}}"#,
        "x".repeat(super::MAX_BODY_BYTES)
    );
    let cases: Vec<(&str, &str, Option<&str>, String, StatusCode)> = vec![
        ("POST", claim, None, good.into(), StatusCode::UNAUTHORIZED),
        (
            "POST",
            claim,
            Some("Basic YW5hOnB3"),
            good.into(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            claim,
            Some("Bearer x.y.z"),
            good.into(),
            StatusCode::UNAUTHORIZED,
        ),
        ("GET", claim, None, String::new(), StatusCode::UNAUTHORIZED),
        (
            "POST",
            "/v1/campaigns/Not_A_Slug/claim",
            Some(&ana),
            good.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/v1/campaigns/Not_A_Slug/claim",
            Some(&ana),
            String::new(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/v1/campaigns/Not_A_Slug",
            None,
            String::new(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            claim,
            Some(&ana),
            "{".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            claim,
            Some(&ana),
            "[5000]".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            claim,
            Some(&ana),
            r#"{"cart_cents": 1, "user_id": "eve"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            claim,
            Some(&ana),
            r#"{"cart_cents": -5}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            claim,
            Some(&ana),
            huge,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "DELETE",
            claim,
            Some(&ana),
            String::new(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        // A redemption is refused for its credential, path or body before the store.
        (
            "POST",
            redeem,
            None,
            redemption.into(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "POST",
            "/v1/campaigns/Not_A_Slug/redeem",
            Some(&ana),
            redemption.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "cart_cents": 5000}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "order_id": "", "cart_cents": 5000}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        // An order spelled with an invisible character or a space looks like another order.
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "order_id": "A\u200b1", "cart_cents": 5000}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "order_id": "A\u3000 1", "cart_cents": 5000}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "order_id": "o", "cart_cents": 5000, "user_id": "eve"}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            redeem,
            Some(&ana),
            r#"{"token": "t", "order_id": "o", "cart_cents": -1}"#.into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            redeem,
            Some(&ana),
            String::new(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (method, uri, auth, body, status) in cases {
        let (got, headers, json) = send(&store, method, uri, auth, body).await;
        assert_eq!(got, status, "{method} {uri} {auth:?}: {json}");
        assert!(json["error"]["kind"].is_string(), "{json}");
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        }
        assert_eq!(
            store.calls.load(Ordering::SeqCst),
            0,
            "{method} {uri} reached the store"
        );
    }
    // The counter can see a call: a good request reaches the store.
    let (status, _, json) = send(&store, "POST", claim, Some(&ana), good).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert!(store.calls.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn readiness_follows_the_store_and_503_says_when_to_retry() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(&dir).await;
    let (status, _, json) = send(&store, "GET", "/readyz", None, "").await;
    assert_eq!((status, json), (StatusCode::OK, json!({"status": "ready"})));
    store.failing.store(true, Ordering::SeqCst);
    let (status, headers, json) = send(&store, "GET", "/readyz", None, "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    let request_id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(
        json,
        json!({"error": {
            "kind": "store_unavailable",
            "code": "store_unavailable",
            "message": "the store does not answer",
            "request_id": request_id,
        }})
    );
    // A failing store during a claim: 503, and the store's own words stay in the log.
    let (status, headers, json) = send(
        &store,
        "POST",
        "/v1/campaigns/spring/claim",
        Some(&bearer("ana")),
        r#"{"cart_cents": 5000}"#,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(json["error"]["kind"], "store_unavailable");
    assert!(!json.to_string().contains("down"), "{json}");
    // Liveness does not depend on the store.
    let (status, _, _) = send(&store, "GET", "/healthz", None, "").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_past_the_timeout_is_answered_503() {
    let dir = tempfile::tempdir().unwrap();
    let store = Counting {
        slow: Some(Duration::from_secs(5)),
        ..fixture(&dir).await
    };
    let limits = Limits {
        request_timeout: Duration::from_millis(50),
        ..Limits::default()
    };
    let router = router(
        App::new(store, JwtVerifier::hs256(SECRET).unwrap()),
        &limits,
    );
    let (status, headers, json) = send_to(
        &router,
        "POST",
        "/v1/campaigns/spring/claim",
        Some(&bearer("ana")),
        r#"{"cart_cents": 5000}"#,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(json["error"]["kind"], "store_unavailable");
}

#[tokio::test]
async fn past_the_in_flight_limit_requests_are_shed_not_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = Counting {
        slow: Some(Duration::from_millis(500)),
        ..fixture(&dir).await
    };
    let limits = Limits {
        max_in_flight: 1,
        ..Limits::default()
    };
    let router = router(
        App::new(store.clone(), JwtVerifier::hs256(SECRET).unwrap()),
        &limits,
    );
    let (ana, bo) = (bearer("ana"), bearer("bo"));
    let body = r#"{"cart_cents": 5000}"#;
    let holding = send_to(
        &router,
        "POST",
        "/v1/campaigns/spring/claim",
        Some(&ana),
        body,
    );
    let late = async {
        // Once the first claim holds the only slot.
        while store.calls.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let started = std::time::Instant::now();
        let answer = send_to(
            &router,
            "POST",
            "/v1/campaigns/spring/claim",
            Some(&bo),
            body,
        )
        .await;
        (answer, started.elapsed())
    };
    let (first, ((status, headers, json), waited)) = tokio::join!(holding, late);
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.2);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(headers[header::RETRY_AFTER], "1");
    assert_eq!(json["error"]["kind"], "store_unavailable");
    assert!(
        waited < Duration::from_millis(250),
        "the shed request waited {waited:?}"
    );
    // Health is outside the limit.
    let (status, _, _) = send_to(&router, "GET", "/healthz", None, "").await;
    assert_eq!(status, StatusCode::OK);
}

/// The router of `store`, with the default limits.
fn app_router(store: &Counting) -> axum::Router {
    router(
        App::new(store.clone(), JwtVerifier::hs256(SECRET).unwrap()),
        &Limits::default(),
    )
}

/// The body of a `/metrics` answer.
async fn scrape(router: &axum::Router) -> String {
    let response = router
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A flood of scrapes reads the campaigns once per refresh interval, not once per scrape.
#[tokio::test]
async fn concurrent_scrapes_read_the_store_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(&dir).await;
    let router = app_router(&store);
    let scrapes = futures::future::join_all((0..20).map(|_| scrape(&router))).await;
    assert!(
        scrapes
            .iter()
            .all(|text| text.contains("flashsale_campaign_remaining_units{campaign=\"spring\"} 5")),
        "{scrapes:?}"
    );
    assert_eq!(store.calls.load(Ordering::SeqCst), 1);
}

/// `/metrics` and `GET /v1/campaigns/{id}` are public: a campaign that has not started, paused
/// or not, is not named by the one and is 404 like an unknown id on the other.
#[tokio::test]
async fn no_public_answer_reveals_a_campaign_before_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(&dir).await;
    let now = SystemClock.now();
    let stamp = Stamp {
        actor: Actor::parse("ops").unwrap(),
        at: now,
    };
    for id in ["secret-launch", "paused-launch"] {
        let later = NewCampaign {
            id: CampaignId::parse(id).unwrap(),
            name: "Launch".into(),
            inventory: Units::new(5).unwrap(),
            percent: "10".parse().unwrap(),
            max_discount: "5.00".parse().unwrap(),
            min_cart: "0".parse().unwrap(),
            currency: Currency::default(),
            starts_at: Some(now + TimeDelta::hours(1)),
            ends: crate::domain::Ends::At(now + TimeDelta::hours(2)),
            hold: None,
        }
        .validate(now)
        .unwrap();
        store.inner.create_campaign(&later, &stamp).await.unwrap();
    }
    let paused = CampaignId::parse("paused-launch").unwrap();
    store
        .inner
        .change_campaign(&paused, &crate::domain::CampaignChange::Pause, &stamp)
        .await
        .unwrap()
        .unwrap();
    let text = scrape(&app_router(&store)).await;
    assert!(text.contains("campaign=\"spring\""), "{text}");
    assert!(!text.contains("launch"), "{text}");
    let (status, _, json) = send(&store, "GET", "/v1/campaigns/spring", None, "").await;
    assert_eq!(
        (status, &json["state"]),
        (StatusCode::OK, &json!("live")),
        "{json}"
    );
    for id in ["secret-launch", "paused-launch", "no-such-campaign"] {
        let (status, _, json) = send(&store, "GET", &format!("/v1/campaigns/{id}"), None, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {json}");
        assert_eq!(
            (&json["error"]["kind"], &json["error"]["message"]),
            (
                &json!("not_found"),
                &json!(format!("campaign `{id}` not found"))
            ),
            "{id}: {json}"
        );
    }
    // An admin sees a campaign before its launch; a shopper's token does not; a bad token is
    // refused rather than taken for no token.
    let admin = JwtSigner::hs256(SECRET)
        .unwrap()
        .with_scope(crate::auth::ADMIN_SCOPE)
        .mint(
            &UserId::parse("ops").unwrap(),
            SystemClock.now(),
            TimeDelta::minutes(5),
        )
        .unwrap();
    let admin = format!("Bearer {}", admin.token);
    let uri = "/v1/campaigns/secret-launch";
    let (status, _, json) = send(&store, "GET", uri, Some(&admin), "").await;
    assert_eq!(
        (status, &json["state"]),
        (StatusCode::OK, &json!("scheduled")),
        "{json}"
    );
    let (status, _, json) = send(&store, "GET", uri, Some(&bearer("ana")), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    let (status, _, json) = send(&store, "GET", uri, Some("Bearer not.a.jwt"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{json}");
}

/// Readiness does not queue behind the reads that serve requests: with every campaign read
/// slow, `/readyz` still answers 200 at once.
#[tokio::test]
async fn readiness_answers_while_reads_are_slow() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixture(&dir).await;
    store.slow_reads = Some(Duration::from_secs(3));
    let router = app_router(&store);
    let busy: Vec<_> = (0..4)
        .map(|_| {
            let router = router.clone();
            tokio::spawn(async move { scrape(&router).await })
        })
        .collect();
    let started = std::time::Instant::now();
    let (status, _, json) = send_to(&router, "GET", "/readyz", None, "").await;
    assert_eq!((status, json), (StatusCode::OK, json!({"status": "ready"})));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    for task in busy {
        task.await.unwrap();
    }
}

/// The API's document and the router agree both ways: every route the router was given is in
/// the document, and every method and path the document names is served, answered by its
/// handler and not by the router's own 404 (`route_not_found`) or 405 (`method_not_allowed`).
#[tokio::test]
async fn the_document_names_every_route_served_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture(&dir).await;
    let (router, table) = super::routes::routed(
        App::new(store.clone(), JwtVerifier::hs256(SECRET).unwrap()),
        &Limits::default(),
    );
    let served: std::collections::BTreeSet<(String, String)> = table
        .iter()
        .map(|(method, path)| (method.as_str().to_owned(), (*path).to_owned()))
        .collect();
    let document: Value = serde_json::from_str(super::document_json()).unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    // Each route has its own label in `/metrics`, not `unmatched`.
    for (method, path) in &table {
        assert_eq!(
            super::routes::route_label(Some(path)),
            *path,
            "{method} {path} is counted in /metrics as another route"
        );
    }
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the API's document: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        unserved.is_empty(),
        "in the API's document but not routed: {unserved:?}"
    );
    // The table is only what was added to the router: the router itself must answer each
    // documented route through a handler.
    for (method, path) in &documented {
        let uri = path.replace("{id}", "spring");
        let (status, _, body) = send_to(&router, method, &uri, None, Body::empty()).await;
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            !matches!(code, "route_not_found" | "method_not_allowed"),
            "{method} {path} is documented, but the router answers {status} {code}"
        );
    }
}
