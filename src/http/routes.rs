//! The routes, their handlers and the middleware around them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::Method;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use axum::{Json, Router};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;

use super::body::{self, Fields};
use super::error::{ApiError, Outcome};
use super::metrics::{ClaimAction, Metrics, Transitions};
use super::openapi::ShopperRefusals;
use super::request_id;
use super::{Limits, MAX_BODY_BYTES};
use crate::auth::{AuthError, Identity, JwtVerifier};
use crate::clock::{Clock as _, SystemClock};
use crate::domain::{
    Actor, CampaignId, Cents, ClaimOutcome, ClaimToken, Invalid, OrderId, Transition,
};
use crate::error::ErrorKind;
use crate::json::{CampaignDocument, ClaimAnswer, ErrorDocument, Health, OwnClaim};
use crate::service::{CampaignService, ClaimService};
use crate::store::Store;

/// How long `/readyz` waits for the store before it answers 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the per-campaign gauges of `/metrics` stand before a scrape reads the store again:
/// a flood of scrapes costs the store one read per interval, not one per scrape.
const CAMPAIGNS_REFRESH: Duration = Duration::from_secs(5);

/// What every handler shares: the services, the verifier and the metrics.
pub struct App<S> {
    pub(super) claims: ClaimService<S, SystemClock>,
    pub(super) campaigns: CampaignService<S, SystemClock>,
    verifier: JwtVerifier,
    /// Ends the admin API's live event streams on shutdown (see [`App::stream_closer`]).
    pub(super) streams: super::admin::Streams,
    metrics: Metrics,
    /// Read by `/metrics` only, once per scrape.
    store: S,
    /// How long a shopper's request body may take to arrive.
    body_timeout: Duration,
    /// When `/metrics` last read the campaigns; held across the read, so concurrent scrapes
    /// wait for one read instead of each making its own.
    campaigns_read: tokio::sync::Mutex<Option<Instant>>,
    /// The web origins whose pages may call the API (`*` for any); none by default.
    cors_origins: Vec<header::HeaderValue>,
}

impl<S: Store + Clone> App<S> {
    /// The API over `store`, with shoppers verified by `verifier`.
    pub fn new(store: S, verifier: JwtVerifier) -> Self {
        App {
            claims: ClaimService::new(store.clone(), SystemClock),
            campaigns: CampaignService::new(store.clone(), SystemClock),
            verifier,
            metrics: Metrics::new(store.clone()),
            store,
            streams: super::admin::Streams::default(),
            body_timeout: Limits::default().header_timeout,
            campaigns_read: tokio::sync::Mutex::new(None),
            cors_origins: Vec::new(),
        }
    }

    /// Lets pages of `origins` (`https://shop.example`, or `*` for any) call the API from the
    /// browser: preflights answered, the answers readable. Origins that are not header values
    /// are skipped; the CLI checks them first.
    #[must_use]
    pub fn with_cors_origins(mut self, origins: &[String]) -> Self {
        self.cors_origins = origins
            .iter()
            .filter_map(|origin| header::HeaderValue::from_str(origin).ok())
            .collect();
        self
    }

    /// Reports in `/metrics` the request log lines dropped so far, as `dropped` counts them
    /// (a log written through a bounded queue drops lines rather than stall the server).
    #[must_use]
    pub fn with_log_drops(mut self, dropped: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.metrics.count_log_drops(Arc::new(dropped));
        self
    }

    /// What ends the live event streams (`GET /v1/events` as server-sent events), which
    /// would otherwise hold a graceful shutdown for its whole grace period: call it when the
    /// shutdown starts.
    #[must_use]
    pub fn stream_closer(&self) -> super::StreamCloser {
        self.streams.closer()
    }
}

impl<S> App<S> {
    /// The counter of claim transitions this server's `/metrics` reports, for a task outside
    /// the routes that carries transitions out (the expiry sweep).
    #[must_use]
    pub fn transitions(&self) -> Transitions {
        self.metrics.transitions().clone()
    }

    /// The shopper a request speaks for: its bearer token's verified `sub`. A request with two
    /// `Authorization` headers is refused: which one a proxy or a cache honours is not
    /// knowable, so neither is.
    async fn identity(&self, headers: &HeaderMap) -> Result<Identity, ApiError> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let value = values.next().ok_or(AuthError::Missing)?;
        if values.next().is_some() {
            return Err(AuthError::TwoCredentials.into());
        }
        let text = value.to_str().map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = text.split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Missing.into());
        }
        Ok(self.verifier.verify_fresh(token.trim()).await?)
    }
}

const CLAIM_ROUTE: &str = "/v1/campaigns/{id}/claim";
const REDEEM_ROUTE: &str = "/v1/campaigns/{id}/redeem";
const CAMPAIGN_ROUTE: &str = "/v1/campaigns/{id}";
const HEALTH_ROUTE: &str = "/healthz";
const READY_ROUTE: &str = "/readyz";
const METRICS_ROUTE: &str = "/metrics";
const OPENAPI_ROUTE: &str = "/openapi.json";

/// A request's route as a metrics label: its pattern, or `unmatched`.
pub(super) fn route_label(matched: Option<&str>) -> &'static str {
    [
        CLAIM_ROUTE,
        REDEEM_ROUTE,
        CAMPAIGN_ROUTE,
        HEALTH_ROUTE,
        READY_ROUTE,
        METRICS_ROUTE,
        OPENAPI_ROUTE,
    ]
    .into_iter()
    .chain(super::admin::ROUTES)
    .find(|route| matched == Some(route))
    .unwrap_or("unmatched")
}

/// A request's method as a metrics label: a standard method's name, or `other` (a client must
/// not be able to mint label values).
fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

/// The shopper that [`admit`] verified, for the handlers behind it.
pub(super) struct Shopper(Identity);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Shopper {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        // Only a route behind `admit` takes a shopper, and `admit` either inserts one or answers.
        parts
            .extensions
            .remove::<Identity>()
            .map(Shopper)
            .ok_or_else(|| AuthError::Missing.into())
    }
}

/// The whole API over `app`. The claim and campaign routes are bounded by `limits` (timeout,
/// load shedding) and [`MAX_BODY_BYTES`]; the health, readiness and metrics routes are not shed,
/// so that an overloaded server is not also reported dead.
///
/// A slot of [`Limits::max_in_flight`] is scarce, so a request takes one only once it is ready
/// to be served: a shopper's token is verified and its body read (within the body deadline)
/// first, by the `admit` middleware. A client that never authenticates, or sends a body a byte
/// at a time, holds no slot, and shoppers are not answered 503 on its account.
pub fn router<S: Store + Clone>(app: App<S>, limits: &Limits) -> Router {
    routed(app, limits).0
}

/// The router of [`router`], and its route table: each method and pattern it routes, as
/// they were added.
pub(super) fn routed<S: Store + Clone>(
    app: App<S>,
    limits: &Limits,
) -> (Router, Vec<(Method, &'static str)>) {
    let app = Arc::new(App {
        body_timeout: limits.header_timeout,
        ..app
    });
    // One semaphore for every route: a per-route limit would multiply the bound.
    let slots = GlobalConcurrencyLimitLayer::new(limits.max_in_flight);
    let admin = super::admin::routes(&app, limits, slots.clone());
    // Each `Router::layer` call boxes every route again (a clone of the boxed service and a
    // boxed future per request), so each router's layers go in as one stack, outermost first.
    let shopper = Table::default()
        .route(Method::GET, CLAIM_ROUTE, get_claim::<S>)
        .route(Method::POST, CLAIM_ROUTE, post_claim::<S>)
        .route(Method::POST, REDEEM_ROUTE, post_redeem::<S>)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(shed_or_timeout))
                .timeout(limits.request_timeout)
                .layer(middleware::from_fn_with_state(Arc::clone(&app), admit::<S>))
                .layer(HandleErrorLayer::new(shed_or_timeout))
                .load_shed()
                .layer(slots.clone()),
        );
    let public = Table::default()
        .route(Method::GET, CAMPAIGN_ROUTE, get_campaign::<S>)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(shed_or_timeout))
                .load_shed()
                .layer(slots)
                .timeout(limits.request_timeout),
        );
    let ops = Table::default()
        .route(Method::GET, HEALTH_ROUTE, healthz)
        .route(Method::GET, READY_ROUTE, readyz::<S>)
        .route(Method::GET, METRICS_ROUTE, metrics::<S>)
        .route(Method::GET, OPENAPI_ROUTE, super::openapi::openapi_json);
    let Table { router, routes } = shopper.merge(admin).merge(public).merge(ops);
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                // Outside the panic catcher: a panicked request is answered 500, and counted,
                // logged and given its request id like any other.
                .layer(middleware::from_fn_with_state(
                    Arc::clone(&app),
                    observe::<S>,
                ))
                // Before routing: a browser's preflight `OPTIONS` is answered here, for any
                // route, without a token.
                .option_layer(cors(&app.cors_origins))
                .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .with_state(app);
    (router, routes)
}

/// Routes, and the table of what they route: every route goes in through [`Table::route`], one
/// method at a time, so the table is what the router serves, for the test that holds it
/// against the API's document.
pub(super) struct Table<S> {
    router: Router<Arc<App<S>>>,
    routes: Vec<(Method, &'static str)>,
}

impl<S: Send + Sync + 'static> Default for Table<S> {
    fn default() -> Self {
        Table {
            router: Router::new(),
            routes: Vec::new(),
        }
    }
}

impl<S: Send + Sync + 'static> Table<S> {
    /// Routes `method` requests to `path` to `handler`.
    pub(super) fn route<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: axum::handler::Handler<T, Arc<App<S>>>,
        T: 'static,
    {
        // The routes name standard methods, each of which is a filter.
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self.router.route(path, on(filter, handler));
        self.routes.push((method, path));
        self
    }

    /// The same routes behind `layer`.
    pub(super) fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as tower::Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// These routes and `other`'s.
    pub(super) fn merge(mut self, other: Table<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }
}

/// Browser access for `origins`, none when there are none. Bearer tokens, not cookies, carry
/// identity, so credentials mode is never allowed; the headers a page may send are the ones the
/// API reads, and it may read the request id and the retry and authentication hints.
fn cors(origins: &[header::HeaderValue]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().cloned())
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                request_id::HEADER,
            ])
            .expose_headers([
                request_id::HEADER,
                header::RETRY_AFTER,
                header::WWW_AUTHENTICATE,
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// Lets a shopper's request through to the slots once it is ready to be served: its bearer
/// token verified (401 otherwise, before a byte of the body is read), and its body whole in
/// memory, read within the body deadline (408 otherwise) and at most [`MAX_BODY_BYTES`] (413,
/// at once when the declared `Content-Length` is already larger).
pub(super) async fn admit<S: Store>(
    State(app): State<Arc<App<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // A claim refused here is still a claim answered, counted by its outcome.
    let claim = parts.method == axum::http::Method::POST
        && parts
            .extensions
            .get::<MatchedPath>()
            .is_some_and(|matched| matched.as_str() == CLAIM_ROUTE);
    let refuse = |err: ApiError, close: bool| {
        if claim {
            app.metrics.claim(err.kind().as_str());
        }
        let mut response = err.into_response();
        if close {
            // The rest of the body is not read: the connection cannot carry another request.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    };
    match app.identity(&parts.headers).await {
        Ok(identity) => {
            parts.extensions.insert(identity);
        }
        Err(err) => return refuse(err, false),
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return refuse(body::too_large(), true);
    }
    match tokio::time::timeout(app.body_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(err)) if is_too_large(&err) => refuse(body::too_large(), true),
        Ok(Err(err)) => refuse(
            ApiError::new(
                ErrorKind::InvalidInput,
                format!("the request body could not be read: {err}"),
            )
            .code("malformed_body"),
            true,
        ),
        Err(_) => refuse(
            ApiError::new(
                ErrorKind::InvalidInput,
                format!(
                    "the request body did not arrive within {} s",
                    app.body_timeout.as_secs()
                ),
            )
            .with_status(StatusCode::REQUEST_TIMEOUT)
            .code("body_timeout"),
            true,
        ),
    }
}

/// Whether a body could not be read because it is over the limit `to_bytes` was given.
fn is_too_large(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Counts, times and logs every request, and gives it its id ([`request_id`]): one log line
/// each, with the request id, the method, the route's pattern, the path, the status, the
/// outcome (a claim's, or an error's code) and the time taken. Never a header, so never a
/// token.
async fn observe<S: Store>(
    State(app): State<Arc<App<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let _in_flight = app.metrics.start();
    let method = method_label(request.method());
    // A clone of the parsed URI shares its bytes: no copy of the path per request.
    let uri = request.uri().clone();
    let route = route_label(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let id = request_id::of(request.headers());
    let mut response = request_id::scope(id.clone(), next.run(request)).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    app.metrics
        .answered(method, route, status, elapsed.as_secs_f64());
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .map_or("ok", |outcome| outcome.0);
    tracing::info!(
        request_id = id.to_str().unwrap_or_default(),
        method,
        route,
        path = %crate::domain::shown(uri.path()),
        status,
        outcome,
        // Whole microseconds, so the line reads 0.038 and not 0.038105999999999994.
        duration_ms = f64::from(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)) / 1000.0,
        "request"
    );
    response.headers_mut().insert(request_id::HEADER, id);
    response
}

/// A JSON answer, written straight into a buffer that holds a claim's (axum's `Json` starts at
/// 128 bytes and grows it twice for every claim answered).
pub(super) fn json_answer(status: StatusCode, document: &impl serde::Serialize) -> Response {
    let mut body = Vec::with_capacity(512);
    match serde_json::to_writer(&mut body, document) {
        Ok(()) => (
            status,
            [(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "an answer could not be written as JSON");
            ApiError::new(ErrorKind::Internal, "internal error").into_response()
        }
    }
}

/// A campaign id from the path, checked before anything else uses it.
pub(super) fn campaign_id(
    path: Result<Path<String>, PathRejection>,
) -> Result<CampaignId, ApiError> {
    let Path(text) =
        path.map_err(|err| ApiError::from(Invalid::new("campaign id", err.body_text())))?;
    CampaignId::parse(&text).map_err(|err| ApiError::from(err).field("id"))
}

super::body::bodies!(ClaimBody, RedeemBody);

/// A claim's body: the cart, and nothing else (the user comes from the token).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(super) struct ClaimBody {
    /// The cart, in minor units of the campaign's currency.
    cart_cents: i64,
}

/// A redemption's body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(super) struct RedeemBody {
    /// The claim's token.
    token: String,
    /// The shop's order id.
    order_id: String,
    /// The checkout cart, in minor units.
    cart_cents: i64,
}

/// The cart of a claim body, a [`ClaimBody`] of at most [`MAX_BODY_BYTES`].
fn cart(body: Result<Bytes, BytesRejection>) -> Result<Cents, ApiError> {
    let body: ClaimBody = Fields::parse(body, r#"{"cart_cents": N}"#)?.typed()?;
    cents(body.cart_cents, "cart_cents")
}

/// An amount in minor units, checked by the domain's rule, refused as `field`.
fn cents(amount: i64, field: &'static str) -> Result<Cents, ApiError> {
    Cents::new(amount).map_err(|err| ApiError::from(Invalid { field, ..err }).field(field))
}

/// `POST /v1/campaigns/{id}/claim`: 201 for a new claim, 200 for a replay.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/claim", tag = "shopper", security(("bearer" = [])),
    summary = "Claim a discount",
    description = "Claims the campaign's discount for the token's `sub` on a cart. A repeat is the same claim, `replayed`: retrying is safe.",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = ClaimBody, description = "The cart; nothing else (the shopper is the token's `sub`)"),
    responses(
        (status = 201, description = "A new claim", body = ClaimAnswer<'static>),
        (status = 200, description = "The same claim again (`replayed`)", body = ClaimAnswer<'static>),
        (status = 404, description = "`not_found`: no such campaign, or one not started", body = ErrorDocument<'static>),
        (status = 409, description = "`sold_out`, or `not_live` (`campaign_not_started`, `campaign_paused`, `campaign_ended`)", body = ErrorDocument<'static>),
        (status = 422, description = "`not_eligible` `cart_below_minimum`", body = ErrorDocument<'static>),
        ShopperRefusals,
    )
)]
pub(super) async fn post_claim<S: Store>(
    State(app): State<Arc<App<S>>>,
    Shopper(identity): Shopper,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = async {
        let id = campaign_id(path)?;
        let cart = cart(body)?;
        Ok::<_, ApiError>(app.claims.claim(&identity, &id, cart).await?)
    }
    .await;
    match answer {
        Ok(outcome) => {
            app.metrics.claim(outcome.as_str());
            let status = match outcome {
                ClaimOutcome::Claimed(_) => StatusCode::CREATED,
                ClaimOutcome::Replayed(_) => StatusCode::OK,
            };
            let mut response = json_answer(status, &ClaimAnswer::of(&outcome));
            response.extensions_mut().insert(Outcome(outcome.as_str()));
            response
        }
        Err(err) => {
            app.metrics.claim(err.kind().as_str());
            err.into_response()
        }
    }
}

/// A redemption body, checked: a JSON object `{"token": T, "order_id": O, "cart_cents": N}` of
/// at most [`MAX_BODY_BYTES`].
fn redemption(
    body: Result<Bytes, BytesRejection>,
) -> Result<(ClaimToken, OrderId, Cents), ApiError> {
    let body: RedeemBody =
        Fields::parse(body, r#"{"token": T, "order_id": O, "cart_cents": N}"#)?.typed()?;
    let cart = cents(body.cart_cents, "cart_cents")?;
    let order =
        OrderId::parse(&body.order_id).map_err(|err| ApiError::from(err).field("order_id"))?;
    Ok((ClaimToken::from_stored(body.token), order, cart))
}

/// `POST /v1/campaigns/{id}/redeem`: redeems the caller's own claim (200), replays the same
/// order (200). A token that is not the caller's is answered exactly like an unknown one
/// (404, decided by the domain), so a stranger learns nothing about whose it is. Every
/// answer is counted by outcome in `flashsale_claim_transitions_total`.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/redeem", tag = "shopper", security(("bearer" = [])),
    summary = "Redeem the caller's claim",
    description = "Redeems the caller's own claim for an order, re-pricing the discount on the checkout cart. The same order again replays the redemption; a token that is not the caller's is 404 like an unknown one.",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = RedeemBody, description = "The claim's token, the order and the checkout cart"),
    responses(
        (status = 200, description = "`redeemed`, or `replayed` for the same order", body = ClaimAnswer<'static>),
        (status = 404, description = "`not_found`: no such campaign or claim", body = ErrorDocument<'static>),
        (status = 409, description = "`conflict` (`redeemed_for_another_order`, `claim_not_redeemable`, `hold_ran_out`)", body = ErrorDocument<'static>),
        (status = 422, description = "`not_eligible` `cart_below_minimum`", body = ErrorDocument<'static>),
        ShopperRefusals,
    )
)]
pub(super) async fn post_redeem<S: Store>(
    State(app): State<Arc<App<S>>>,
    Shopper(identity): Shopper,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let answer = redeem(&app, &identity, path, body).await;
    let outcome = match &answer {
        Ok(Transition::Changed(_)) => ClaimAction::Redeem.done(),
        Ok(Transition::Replayed(_)) => "replayed",
        Err(err) => err.kind().as_str(),
    };
    app.metrics
        .transitions()
        .count(ClaimAction::Redeem, outcome, 1);
    match answer {
        Ok(outcome) => json_answer(StatusCode::OK, &ClaimAnswer::redemption(&outcome)),
        Err(err) => err.into_response(),
    }
}

/// A redemption for the verified shopper.
async fn redeem<S: Store>(
    app: &App<S>,
    identity: &Identity,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Transition, ApiError> {
    let id = campaign_id(path)?;
    let (token, order, cart) = redemption(body)?;
    // The shopper redeems for themself: the verified user is the owner the domain requires,
    // and the one the audit log names.
    let user = identity.user();
    let actor = Actor::parse(user.as_str())?;
    Ok(app
        .claims
        .redeem(&id, &token, &order, cart, Some(user), &actor)
        .await?)
}

/// `GET /v1/campaigns/{id}/claim`: the caller's own claim, or 404. Never creates one.
#[utoipa::path(
    get, path = "/v1/campaigns/{id}/claim", tag = "shopper", security(("bearer" = [])),
    summary = "The caller's own claim",
    description = "The claim the token's `sub` holds on the campaign; never creates one.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The caller's claim", body = OwnClaim<'static>),
        (status = 404, description = "`not_found` (`claim_not_found`, `campaign_not_found`)", body = ErrorDocument<'static>),
        ShopperRefusals,
    )
)]
pub(super) async fn get_claim<S: Store>(
    State(app): State<Arc<App<S>>>,
    Shopper(identity): Shopper,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    match app.claims.claim_of(&identity, &id).await? {
        Some(claim) => Ok(json_answer(StatusCode::OK, &OwnClaim::of(&claim))),
        None => Err(ApiError::new(
            ErrorKind::NotFound,
            format!("you hold no claim on campaign `{id}`"),
        )
        .code("claim_not_found")),
    }
}

/// `GET /v1/campaigns/{id}`: the campaign, public; one not yet started answers 404 like an
/// unknown id.
#[utoipa::path(
    get, path = "/v1/campaigns/{id}", tag = "campaign",
    security((), ("bearer" = ["flashsale:admin"])),
    summary = "A campaign",
    description = "The campaign, public: no token needed. One before its start is 404 like an unknown id, except to an admin's token; a token that does not verify is 401.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign", body = CampaignDocument<'static>),
        (status = 400, description = "`invalid_input`: a bad campaign id", body = ErrorDocument<'static>),
        (status = 401, description = "`unauthenticated`: a token was sent and does not verify", body = ErrorDocument<'static>),
        (status = 404, description = "`not_found`: no such campaign, or one not started", body = ErrorDocument<'static>),
        (status = 500, description = "`internal`", body = ErrorDocument<'static>),
        (status = 503, description = "`store_unavailable`", body = ErrorDocument<'static>),
    )
)]
pub(super) async fn get_campaign<S: Store>(
    State(app): State<Arc<App<S>>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    // Anyone may ask, and gets nothing before the start; an admin's token (verified, like any
    // token presented: a bad one is 401, not silently the public answer) sees a campaign
    // before its launch too.
    let admin = headers.contains_key(header::AUTHORIZATION)
        && app
            .identity(&headers)
            .await?
            .grants(crate::auth::ADMIN_SCOPE);
    let view = if admin {
        app.campaigns.status(&id).await?
    } else {
        app.campaigns.public_status(&id).await?
    };
    Ok(json_answer(StatusCode::OK, &CampaignDocument::of(&view)))
}

/// `GET /healthz`: the process runs.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "The process runs", body = Health))
)]
pub(super) async fn healthz() -> Json<Health> {
    Json(Health::OK)
}

/// `GET /readyz`: 200 when the store answers its readiness probe within [`READY_TIMEOUT`],
/// 503 otherwise. The probe takes a path of its own ([`Store::ready`]), so requests queued on
/// the store's reads do not turn it 503.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    summary = "Readiness",
    description = "200 when the store answers its probe within 2 s; 503 otherwise, or once the store file was deleted or replaced.",
    responses(
        (status = 200, description = "The store answers", body = Health),
        (status = 503, description = "`store_unavailable`", body = ErrorDocument<'static>),
    )
)]
pub(super) async fn readyz<S: Store>(State(app): State<Arc<App<S>>>) -> Result<Response, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, app.store.ready()).await {
        Ok(Ok(())) => Ok(Json(Health::READY).into_response()),
        Ok(Err(err)) => {
            tracing::warn!(error = %super::error::Chain(&err), "readiness check failed");
            Err(ApiError::new(
                ErrorKind::StoreUnavailable,
                "the store does not answer",
            ))
        }
        Err(_) => Err(ApiError::new(
            ErrorKind::StoreUnavailable,
            format!(
                "the store did not answer within {} s",
                READY_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// `GET /metrics`: Prometheus' text format. Each campaign's remaining units come from one
/// read of the store per [`CAMPAIGNS_REFRESH`] at most, bounded by [`READY_TIMEOUT`]; a store
/// that does not answer leaves those gauges out rather than failing the scrape.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String))
)]
pub(super) async fn metrics<S: Store>(State(app): State<Arc<App<S>>>) -> Response {
    {
        let mut read = app.campaigns_read.lock().await;
        if !read.is_some_and(|at| at.elapsed() < CAMPAIGNS_REFRESH) {
            // Only campaigns not ended can be named (see `Metrics::campaigns`): the store
            // finds them through its index on the window's end, not among every campaign.
            let now = SystemClock.now();
            let open = app.store.campaigns_ending_from(now);
            match tokio::time::timeout(READY_TIMEOUT, open).await {
                Ok(Ok(campaigns)) => {
                    app.metrics.store_answered(true);
                    app.metrics.campaigns(&campaigns, SystemClock.now());
                }
                Ok(Err(err)) => {
                    app.metrics.store_answered(false);
                    tracing::warn!(
                        error = %super::error::Chain(&err),
                        "metrics could not read the campaigns"
                    );
                    app.metrics.campaigns(&[], SystemClock.now());
                }
                Err(_) => {
                    app.metrics.store_answered(false);
                    app.metrics.campaigns(&[], SystemClock.now());
                }
            }
            *read = Some(Instant::now());
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no such route").code("route_not_found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorKind::InvalidInput, "method not allowed on this route")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
        .code("method_not_allowed")
}

/// A request the server would not take now: too many in flight (shed at once, never queued), or
/// one that ran past the request timeout. Both are 503 with `Retry-After`; retrying a claim is
/// safe, since a claim that was made is replayed.
pub(super) async fn shed_or_timeout(err: tower::BoxError) -> ApiError {
    if err.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(
            ErrorKind::StoreUnavailable,
            "the server is at its limit of requests in flight; retry shortly",
        )
        .code("overloaded")
    } else if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            ErrorKind::StoreUnavailable,
            "the request timed out; retrying is safe: a claim that was made is replayed",
        )
        .code("request_timeout")
    } else {
        tracing::warn!(error = %err, "middleware failed");
        ApiError::new(ErrorKind::Internal, "internal error")
    }
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorKind::Internal, "internal error").into_response()
}
