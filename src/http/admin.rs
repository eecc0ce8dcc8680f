//! The admin API: every operator action of the CLI over HTTP, through the same
//! [`CampaignService`](crate::service::CampaignService) and
//! [`ClaimService`](crate::service::ClaimService) calls and the same JSON documents
//! ([`crate::json`]), so the CLI and the API cannot disagree on a rule or a shape.
//!
//! A request is the admin's when its bearer token is verified (401 otherwise, by the same
//! `admit` as a shopper's) and its `scope` claim grants [`ADMIN_SCOPE`] (403 `forbidden`
//! otherwise); both are checked before the request takes an in-flight slot. The token's `sub`
//! is the actor the audit log records. A malformed path, query or body is answered 400 naming
//! the field, before the store is touched.
//!
//! Repeats follow the one rule of the services: an action already in effect answers 200 with
//! `"changed": false` and appends no event; one the state contradicts is 409 `conflict`.
//! Exports and the events log are streamed a page at a time.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use utoipa::ToSchema;

use super::Limits;
use super::body::{Fields, RequestBody, bodies};
use super::error::ApiError;
use super::metrics::ClaimAction;
use super::openapi::{AdminRefusals, ShopperRefusals};
use super::routes::{App, Table, admit, campaign_id, json_answer, shed_or_timeout};
use crate::auth::{ADMIN_SCOPE, Identity};
use crate::domain::Transition;
use crate::domain::{
    Actor, CampaignChange, CampaignId, CampaignState, Cents, ClaimKey, ClaimStatus, ClaimToken,
    Currency, Ends, EventQuery, Invalid, NewCampaign, Percent, Units, UserId, VoidReason, parse,
};
use crate::json::{
    ActedCampaign, ActedInventory, CampaignDocument, ClaimRecord, ErrorDocument, EventDocument,
    ExpiredInventory, ExportFormat, ExportRows, ReconciliationDocument, VoidedClaim,
};
use crate::service::ReconcileMode;
use crate::store::Store;

const CAMPAIGNS_ROUTE: &str = "/v1/campaigns";
const PAUSE_ROUTE: &str = "/v1/campaigns/{id}/pause";
const RESUME_ROUTE: &str = "/v1/campaigns/{id}/resume";
const END_ROUTE: &str = "/v1/campaigns/{id}/end";
const EXTEND_ROUTE: &str = "/v1/campaigns/{id}/extend";
const INVENTORY_ROUTE: &str = "/v1/campaigns/{id}/inventory";
const EXPIRE_ROUTE: &str = "/v1/campaigns/{id}/expire";
const RECONCILE_ROUTE: &str = "/v1/campaigns/{id}/reconcile";
const CLAIMS_ROUTE: &str = "/v1/campaigns/{id}/claims";
const VOID_ROUTE: &str = "/v1/campaigns/{id}/claims/void";
const EXPORT_ROUTE: &str = "/v1/campaigns/{id}/claims/export";
const EVENTS_ROUTE: &str = "/v1/events";

/// The admin routes, as metrics label them.
pub(super) const ROUTES: [&str; 12] = [
    CAMPAIGNS_ROUTE,
    PAUSE_ROUTE,
    RESUME_ROUTE,
    END_ROUTE,
    EXTEND_ROUTE,
    INVENTORY_ROUTE,
    EXPIRE_ROUTE,
    RECONCILE_ROUTE,
    CLAIMS_ROUTE,
    VOID_ROUTE,
    EXPORT_ROUTE,
    EVENTS_ROUTE,
];

/// Claims per page of an export: what a response holds in memory at once.
const EXPORT_PAGE: usize = 1_000;

/// Events per read of the log.
const EVENTS_PAGE: usize = 500;

/// How often a live event stream asks the store for new events.
const EVENTS_POLL: Duration = Duration::from_millis(500);

/// How often a live event stream sends a comment when nothing happens, so that proxies keep
/// an idle stream open.
const EVENTS_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The admin routes over `app`, behind the same deadlines, body limit and slots as the
/// shopper's routes: token, scope and body are checked before a slot is taken.
pub(super) fn routes<S: Store + Clone>(
    app: &Arc<App<S>>,
    limits: &Limits,
    slots: GlobalConcurrencyLimitLayer,
) -> Table<S> {
    Table::default()
        .route(Method::GET, CAMPAIGNS_ROUTE, list_campaigns::<S>)
        .route(Method::POST, CAMPAIGNS_ROUTE, create_campaign::<S>)
        .route(Method::POST, PAUSE_ROUTE, pause::<S>)
        .route(Method::POST, RESUME_ROUTE, resume::<S>)
        .route(Method::POST, END_ROUTE, end::<S>)
        .route(Method::POST, EXTEND_ROUTE, extend::<S>)
        .route(Method::POST, INVENTORY_ROUTE, inventory::<S>)
        .route(Method::POST, EXPIRE_ROUTE, expire::<S>)
        .route(Method::POST, RECONCILE_ROUTE, reconcile::<S>)
        .route(Method::GET, CLAIMS_ROUTE, show_claim::<S>)
        .route(Method::POST, VOID_ROUTE, void::<S>)
        .route(Method::GET, EXPORT_ROUTE, export::<S>)
        .route(Method::GET, EVENTS_ROUTE, events::<S>)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(shed_or_timeout))
                .timeout(limits.request_timeout)
                .layer(middleware::from_fn_with_state(Arc::clone(app), admit::<S>))
                .layer(middleware::from_fn(require_admin))
                .layer(HandleErrorLayer::new(shed_or_timeout))
                .load_shed()
                .layer(slots),
        )
}

/// Lets a request through only when the token `admit` verified grants [`ADMIN_SCOPE`]: 403
/// `forbidden` otherwise, before a slot is taken.
async fn require_admin(request: Request, next: Next) -> Response {
    let granted = request
        .extensions()
        .get::<Identity>()
        .map(|identity| identity.require(ADMIN_SCOPE));
    match granted {
        Some(Ok(())) => next.run(request).await,
        Some(Err(err)) => ApiError::from(err).into_response(),
        // `admit` answers 401 rather than let a request without an identity through.
        None => ApiError::from(crate::auth::AuthError::Missing).into_response(),
    }
}

/// The admin `require_admin` let through, as the actor its actions are recorded under.
pub(super) struct Admin(Actor);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or(crate::auth::AuthError::Missing)?;
        identity.require(ADMIN_SCOPE)?;
        // A verified `sub` is a user id, which is always a valid actor name.
        Ok(Admin(Actor::parse(identity.user().as_str())?))
    }
}

/// Ends the live event streams when the server shuts down (see [`App::stream_closer`]).
#[derive(Debug, Clone)]
pub struct StreamCloser(Arc<tokio::sync::watch::Sender<bool>>);

impl StreamCloser {
    /// Ends every live event stream, now and from now on.
    pub fn close(&self) {
        self.0.send_replace(true);
    }
}

/// The signal live event streams watch.
#[derive(Debug)]
pub(super) struct Streams(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Streams {
    fn default() -> Self {
        Streams(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl Streams {
    pub(super) fn closer(&self) -> StreamCloser {
        StreamCloser(Arc::clone(&self.0))
    }

    fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// A JSON body of `T`: an object (never an array, which serde would also take for a struct)
/// of `T`'s fields, each of its kind. An empty body is `{}`, for the actions whose fields
/// are all optional. A refusal names the field ([`Fields::typed`]).
fn body<T: RequestBody>(
    raw: Result<Bytes, BytesRejection>,
    shape: &'static str,
) -> Result<T, ApiError> {
    Fields::parse_or_empty(raw, shape)?.typed()
}

bodies!(
    NoFields,
    CreateBody,
    ExtendBody,
    InventoryBody,
    ReconcileBody,
    VoidBody
);

/// An action that takes no fields: an empty body or `{}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoFields {}

/// The query string's parameters, each allowed once and each one of `known`.
fn query(uri: &Uri, known: &[&'static str]) -> Result<Vec<(&'static str, String)>, ApiError> {
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for (key, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        let Some(name) = known.iter().copied().find(|name| *name == key) else {
            return Err(Invalid::new(
                "query",
                format!(
                    "unknown parameter `{}`; this route takes {}",
                    crate::domain::shown(&key),
                    known.join(", ")
                ),
            )
            .into());
        };
        if found.iter().any(|(seen, _)| *seen == name) {
            return Err(Invalid::new(name, "is given more than once").into());
        }
        found.push((name, value.into_owned()));
    }
    Ok(found)
}

/// The value of `name` among `params`.
fn param<'p>(params: &'p [(&'static str, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
}

/// An [`Invalid`] renamed to the field of the request that carried the value.
fn field(name: &'static str) -> impl Fn(Invalid) -> Invalid {
    move |err| Invalid { field: name, ..err }
}

/// The body of `POST /v1/campaigns`: the flags of `campaign create`, as JSON with the
/// campaign document's names and units (cents, a percent number, RFC 3339 instants).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateBody {
    id: String,
    name: String,
    inventory: i64,
    /// A number: `15`, or `12.5`.
    #[schema(value_type = f64)]
    percent_off: serde_json::Number,
    max_discount_cents: i64,
    #[serde(default)]
    min_cart_cents: i64,
    currency: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    duration: Option<String>,
    hold: Option<String>,
}

const CREATE_SHAPE: &str = "{\"id\", \"name\", \"inventory\", \"percent_off\", \
     \"max_discount_cents\", \"ends_at\" or \"duration\", [\"min_cart_cents\", \"currency\", \
     \"starts_at\", \"hold\"]}";

impl CreateBody {
    /// The campaign asked for, each value checked by the domain's own parser; `now` stands
    /// for an RFC 3339 `starts_at` of `"now"` (as on the command line, the store's clock
    /// decides the start when none is given).
    fn campaign(self) -> Result<NewCampaign, Invalid> {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let ends = match (&self.ends_at, &self.duration) {
            (Some(_), Some(_)) => {
                return Err(Invalid::new(
                    "ends_at",
                    "give either ends_at or duration, not both",
                ));
            }
            (Some(text), None) => Ends::At(parse::instant(text, "ends_at", now, false)?),
            (None, Some(text)) => Ends::After(parse::duration(text, "duration")?),
            (None, None) => return Err(Invalid::new("ends_at", "give ends_at or duration")),
        };
        let starts_at = match self.starts_at.as_deref() {
            None | Some("now") => None,
            Some(text) => Some(parse::instant(text, "starts_at", now, true)?),
        };
        Ok(NewCampaign {
            id: CampaignId::parse(&self.id).map_err(field("id"))?,
            name: self.name,
            inventory: Units::new(self.inventory).map_err(field("inventory"))?,
            percent: self
                .percent_off
                .to_string()
                .parse::<Percent>()
                .map_err(field("percent_off"))?,
            max_discount: Cents::new(self.max_discount_cents)
                .map_err(field("max_discount_cents"))?,
            min_cart: Cents::new(self.min_cart_cents).map_err(field("min_cart_cents"))?,
            currency: self
                .currency
                .as_deref()
                .map_or_else(|| Ok(Currency::default()), Currency::parse)
                .map_err(field("currency"))?,
            starts_at,
            ends,
            hold: self
                .hold
                .as_deref()
                .map(|text| parse::hold(text, "hold"))
                .transpose()?,
        })
    }
}

/// The domain's name of a campaign field, as the body names it.
fn body_field(domain: &'static str) -> &'static str {
    match domain {
        "max discount" => "max_discount_cents",
        "min cart" => "min_cart_cents",
        "percent off" => "percent_off",
        "ends at" => "ends_at",
        "starts at" => "starts_at",
        "campaign id" => "id",
        other => other,
    }
}

/// `POST /v1/campaigns`: 201 and the campaign for a new one; 200 with `"changed": false` when
/// the id exists with the same terms; 409 when it exists with other terms.
#[utoipa::path(
    post, path = "/v1/campaigns", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Create a campaign",
    description = "`campaign create`. The same id with the same terms again is 200 with `changed: false`.",
    request_body(content = CreateBody),
    responses(
        (status = 201, description = "Created", body = ActedCampaign<'static>),
        (status = 200, description = "The id exists with the same terms (`changed: false`)", body = ActedCampaign<'static>),
        (status = 409, description = "`conflict` `exists_with_other_terms`", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn create_campaign<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let new = body::<CreateBody>(raw, CREATE_SHAPE)?.campaign()?;
    // Checked before the store, by the rule the service applies again with its own clock.
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    new.clone().validate(now).map_err(|err| Invalid {
        field: body_field(err.field),
        ..err
    })?;
    let acted = app.campaigns.create(new, &actor).await?;
    let status = if acted.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_answer(status, &ActedCampaign::of(&acted)))
}

/// A campaign state as `?state=` names it: the campaign document's names.
fn state_named(text: &str) -> Result<CampaignState, Invalid> {
    [
        CampaignState::Scheduled,
        CampaignState::Live,
        CampaignState::Paused,
        CampaignState::SoldOut,
        CampaignState::Ended,
    ]
    .into_iter()
    .find(|state| state.as_str() == text)
    .ok_or_else(|| {
        Invalid::new(
            "state",
            format!(
                "`{}` is not one of scheduled, live, paused, sold_out, ended",
                crate::domain::shown(text)
            ),
        )
    })
}

/// `GET /v1/campaigns[?state=S]`: every campaign, oldest first (`campaign list`).
#[utoipa::path(
    get, path = "/v1/campaigns", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Every campaign",
    description = "`campaign list`: the campaigns, oldest first.",
    params(("state" = Option<String>, Query, description = "Only the campaigns in this state: `scheduled`, `live`, `paused`, `sold_out` or `ended`")),
    responses(
        (status = 200, description = "The campaigns", body = Vec<CampaignDocument<'static>>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn list_campaigns<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(_): Admin,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = query(&uri, &["state"])?;
    let state = param(&params, "state").map(state_named).transpose()?;
    let mut views = app.campaigns.list().await?;
    if let Some(state) = state {
        views.retain(|view| view.state == state);
    }
    let list: Vec<_> = views.iter().map(CampaignDocument::of).collect();
    Ok(json_answer(StatusCode::OK, &list))
}

/// Carries out `change` on the path's campaign: 200 and the campaign, `changed` or not.
async fn change<S: Store>(
    app: &App<S>,
    actor: &Actor,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
    change: CampaignChange,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    body::<NoFields>(raw, "{} (this action takes no fields)")?;
    let acted = app.campaigns.change(&id, &change, actor).await?;
    Ok(json_answer(StatusCode::OK, &ActedCampaign::of(&acted)))
}

/// `POST /v1/campaigns/{id}/pause` (`campaign pause`).
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/pause", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Pause a campaign",
    description = "`campaign pause`. Takes an empty body or `{}`.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, `changed` or not", body = ActedCampaign<'static>),
        (status = 409, description = "`conflict`: the campaign ended", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn pause<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    change(&app, &actor, path, raw, CampaignChange::Pause).await
}

/// `POST /v1/campaigns/{id}/resume` (`campaign resume`).
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/resume", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Resume a campaign",
    description = "`campaign resume`. Takes an empty body or `{}`.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, `changed` or not", body = ActedCampaign<'static>),
        (status = 409, description = "`conflict`: the campaign ended", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn resume<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    change(&app, &actor, path, raw, CampaignChange::Resume).await
}

/// `POST /v1/campaigns/{id}/end` (`campaign end`).
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/end", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "End a campaign",
    description = "`campaign end`. Takes an empty body or `{}`.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The campaign, `changed` or not", body = ActedCampaign<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn end<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    change(&app, &actor, path, raw, CampaignChange::End).await
}

/// The body of an extension: a new end, or how much later from the end as it stands.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ExtendBody {
    ends_at: Option<String>,
    by: Option<String>,
}

/// `POST /v1/campaigns/{id}/extend` `{"ends_at": T}` or `{"by": "30m"}` (`campaign extend`).
/// A new end already in effect is unchanged; `by` moves the end each time it is sent.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/extend", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Move a campaign's end",
    description = "`campaign extend`: a new end (`ends_at`, a repeat is unchanged), or `by` a duration from the end as it stands (moves it each time).",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = ExtendBody),
    responses(
        (status = 200, description = "The campaign, `changed` or not", body = ActedCampaign<'static>),
        (status = 409, description = "`conflict` (`end_not_later`, or an ended campaign)", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn extend<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let body = body::<ExtendBody>(raw, "{\"ends_at\": T} or {\"by\": \"30m\"}")?;
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    let change = match (body.ends_at, body.by) {
        (Some(text), None) => CampaignChange::Extend {
            ends_at: parse::instant(&text, "ends_at", now, false)?,
        },
        (None, Some(text)) => CampaignChange::ExtendBy(parse::duration(&text, "by")?),
        _ => return Err(Invalid::new("ends_at", "give either ends_at or by").into()),
    };
    let acted = app.campaigns.change(&id, &change, &actor).await?;
    Ok(json_answer(StatusCode::OK, &ActedCampaign::of(&acted)))
}

/// The body of an inventory change: units to add, or to remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InventoryBody {
    add: Option<i64>,
    remove: Option<i64>,
}

/// `POST /v1/campaigns/{id}/inventory` `{"add": N}` or `{"remove": N}` (`inventory add`,
/// `inventory remove`): 200 and the inventory.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/inventory", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Add or remove units",
    description = "`inventory add` and `inventory remove`.",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = InventoryBody),
    responses(
        (status = 200, description = "The inventory, `changed`", body = ActedInventory<'static>),
        (status = 409, description = "`conflict` (`below_held`, `nothing_left`, a restock of an ended campaign; `inventory_limit`)", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn inventory<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let body = body::<InventoryBody>(raw, "{\"add\": N} or {\"remove\": N}")?;
    let change = match (body.add, body.remove) {
        (Some(units), None) => {
            CampaignChange::AddInventory(Units::new(units).map_err(field("add"))?)
        }
        (None, Some(units)) => {
            CampaignChange::RemoveInventory(Units::new(units).map_err(field("remove"))?)
        }
        _ => return Err(Invalid::new("add", "give either add or remove").into()),
    };
    let acted = app.campaigns.change(&id, &change, &actor).await?;
    Ok(json_answer(StatusCode::OK, &ActedInventory::of(&acted)))
}

/// `POST /v1/campaigns/{id}/expire` (`inventory expire`): the inventory after returning the
/// units of the claims past their hold, and how many expired.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/expire", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Expire the holds past their time",
    description = "`inventory expire`. Takes an empty body or `{}`.",
    params(("id" = String, Path, description = "The campaign id")),
    responses(
        (status = 200, description = "The inventory, and how many claims expired", body = ExpiredInventory<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn expire<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    body::<NoFields>(raw, "{} (this action takes no fields)")?;
    let expired = app.campaigns.expire(&id, &actor).await?;
    let view = app.campaigns.status(&id).await?;
    Ok(json_answer(
        StatusCode::OK,
        &ExpiredInventory::of(&view, expired),
    ))
}

/// The body of a reconciliation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReconcileBody {
    #[serde(default)]
    apply: bool,
    #[serde(default)]
    force: bool,
}

/// `POST /v1/campaigns/{id}/reconcile` `{"apply": bool, "force": bool}` (`inventory
/// reconcile`): without `apply` it only reports; `apply` checks the store's integrity first and
/// refuses a drift no crash explains unless `force` (the store's rules, as on the CLI).
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/reconcile", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Recount the remaining units",
    description = "`inventory reconcile`: without `apply` it only reports; `apply` checks the store's integrity first and refuses a drift no crash explains unless `force`.",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = ReconcileBody),
    responses(
        (status = 200, description = "The findings, and whether the repair was written", body = ReconciliationDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
        (status = 500, description = "`internal` `drift_too_large`: `apply` without `force` refused a drift no crash explains, and wrote nothing (or `internal`)", body = ErrorDocument<'static>),
    )
)]
pub(super) async fn reconcile<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let body = body::<ReconcileBody>(raw, "{\"apply\": bool, \"force\": bool}")?;
    let mode = match (body.apply, body.force) {
        (false, false) => ReconcileMode::Report,
        (true, false) => ReconcileMode::Apply,
        (true, true) => ReconcileMode::Force,
        (false, true) => {
            return Err(Invalid::new("force", "needs apply: true").into());
        }
    };
    let report = app.campaigns.reconcile(&id, mode, &actor).await?;
    Ok(json_answer(
        StatusCode::OK,
        &ReconciliationDocument::of(&report),
    ))
}

/// The claim `?user=` or `?token=` names (exactly one).
fn claim_key(
    user: Option<&str>,
    token: Option<&str>,
    field: &'static str,
) -> Result<ClaimKey, Invalid> {
    match (user, token) {
        (Some(user), None) => Ok(ClaimKey::User(UserId::parse(user)?)),
        (None, Some(token)) => Ok(ClaimKey::Token(ClaimToken::from_stored(token.to_owned()))),
        _ => Err(Invalid::new(
            field,
            "name the claim by either user or token",
        )),
    }
}

/// `GET /v1/campaigns/{id}/claims?user=U` or `?token=T` (`claim show`): the claim, or 404.
#[utoipa::path(
    get, path = "/v1/campaigns/{id}/claims", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "A claim",
    description = "`claim show`: the claim named by `user` or by `token` (exactly one).",
    params(("id" = String, Path, description = "The campaign id"),
        ("user" = Option<String>, Query, description = "The shopper"),
        ("token" = Option<String>, Query, description = "The claim's token")),
    responses(
        (status = 200, description = "The claim", body = ClaimRecord<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn show_claim<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(_): Admin,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let params = query(&uri, &["user", "token"])?;
    let key = claim_key(param(&params, "user"), param(&params, "token"), "user").map_err(
        |err| match err.field {
            "user id" => Invalid {
                field: "user",
                ..err
            },
            _ => err,
        },
    )?;
    let claim = app.claims.show(&id, &key).await?;
    Ok(json_answer(StatusCode::OK, &ClaimRecord::of(&claim)))
}

/// The body of a void.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct VoidBody {
    user_id: Option<String>,
    token: Option<String>,
    /// Why, for the audit log and the export: one line of 1 to 200 characters, no control
    /// or invisible characters.
    #[schema(min_length = 1, max_length = 200)]
    reason: Option<String>,
}

/// `POST /v1/campaigns/{id}/claims/void` `{"user_id": U | "token": T, "reason": R}`
/// (`claim void`): the voided claim, `changed` false when it already was.
#[utoipa::path(
    post, path = "/v1/campaigns/{id}/claims/void", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Void a claim",
    description = "`claim void`: its unit goes back to the inventory. A voided claim again is `changed: false`.",
    params(("id" = String, Path, description = "The campaign id")),
    request_body(content = VoidBody),
    responses(
        (status = 200, description = "The claim, `changed` or not", body = VoidedClaim<'static>),
        (status = 409, description = "`conflict` (`claim_redeemed`, `claim_expired`)", body = ErrorDocument<'static>),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn void<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(actor): Admin,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let body = body::<VoidBody>(raw, "{\"user_id\": U or \"token\": T, \"reason\": R}")?;
    let key =
        claim_key(body.user_id.as_deref(), body.token.as_deref(), "user_id").map_err(|err| {
            match err.field {
                "user id" => Invalid {
                    field: "user_id",
                    ..err
                },
                _ => err,
            }
        })?;
    let reason = body.reason.as_deref().map(VoidReason::parse).transpose()?;
    let voided = app.claims.void(&id, &key, reason, &actor).await;
    // Counted like a redemption: by what became of the claim, a repeat, or the refusal's kind.
    let outcome = match &voided {
        Ok(Transition::Changed(_)) => ClaimAction::Void.done(),
        Ok(Transition::Replayed(_)) => "replayed",
        Err(err) => err.kind().as_str(),
    };
    app.transitions().count(ClaimAction::Void, outcome, 1);
    Ok(json_answer(StatusCode::OK, &VoidedClaim::of(&voided?)))
}

/// A claim status as `?status=` names it.
fn status_named(text: &str) -> Result<ClaimStatus, Invalid> {
    [
        ClaimStatus::Claimed,
        ClaimStatus::Redeemed,
        ClaimStatus::Voided,
        ClaimStatus::Expired,
    ]
    .into_iter()
    .find(|status| status.as_str() == text)
    .ok_or_else(|| {
        Invalid::new(
            "status",
            format!(
                "`{}` is not one of claimed, redeemed, voided, expired",
                crate::domain::shown(text)
            ),
        )
    })
}

/// `GET /v1/campaigns/{id}/claims/export?format=csv|jsonl[&status=S]` (`claim export`): every
/// claim, in the CLI's bytes, streamed a page of [`EXPORT_PAGE`] claims at a time. A store
/// failure mid-way cuts the response off (no final chunk), so a client cannot take half an
/// export for all of it.
#[utoipa::path(
    get, path = "/v1/campaigns/{id}/claims/export", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "Every claim",
    description = "`claim export`: CSV (with spreadsheet formulas made inert) or one `Claim` per line, streamed. An export that fails midway is cut off without its final chunk.",
    params(("id" = String, Path, description = "The campaign id"),
        ("format" = String, Query, description = "`csv` or `jsonl`"),
        ("status" = Option<String>, Query, description = "Only the claims in this status: `claimed`, `redeemed`, `voided` or `expired`")),
    responses(
        (status = 200, description = "The claims", content(
            (String = "text/csv; charset=utf-8"),
            (ClaimRecord<'static> = "application/x-ndjson"),
        )),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn export<S: Store + Clone>(
    State(app): State<Arc<App<S>>>,
    Admin(_): Admin,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = campaign_id(path)?;
    let params = query(&uri, &["format", "status"])?;
    let format = match param(&params, "format") {
        Some("csv") => ExportFormat::Csv,
        Some("jsonl") => ExportFormat::Jsonl,
        Some(other) => {
            return Err(Invalid::new(
                "format",
                format!("`{}` is not csv or jsonl", crate::domain::shown(other)),
            )
            .into());
        }
        None => return Err(Invalid::new("format", "give csv or jsonl").into()),
    };
    let status = param(&params, "status").map(status_named).transpose()?;
    // Before the answer starts: an unknown campaign is a 404, not an empty export.
    app.campaigns.status(&id).await?;
    // The pages are read by a task of their own and handed over one at a time: the response
    // holds at most one page written and one being read, whatever the campaign's size. A
    // client that goes away drops the receiver, which ends the task at its next page.
    let (pages, received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
    tokio::spawn(async move {
        let mut cursor = app.claims.export(&id, status, EXPORT_PAGE);
        let mut first = true;
        loop {
            let page = match cursor.next().await {
                Ok(Some(page)) => page,
                Ok(None) if first => Vec::new(),
                Ok(None) => return,
                Err(err) => {
                    let message = err.to_string();
                    tracing::warn!(error = %message, "an export failed mid-way");
                    let _ = pages.send(Err(std::io::Error::other(message))).await;
                    return;
                }
            };
            let written = if first {
                ExportRows::new(format, Vec::new())
            } else {
                Ok(ExportRows::continuing(format, Vec::new()))
            }
            .and_then(|mut rows| {
                page.iter().try_for_each(|claim| rows.write(claim))?;
                rows.finish()
            });
            let last = page.is_empty();
            first = false;
            if pages.send(written.map(Bytes::from)).await.is_err() || last {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|page| (page, received))
    });
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Jsonl => "application/x-ndjson",
    };
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /v1/events?campaign=C&after=N` (`events`): the audit log after sequence number `N`
/// (0 when absent) as JSON lines, oldest first, read a page at a time. With
/// `Accept: text/event-stream`, the log from that position and then each new event as it is
/// appended, as server-sent events whose `id` is the event's `seq`: a client that reconnects
/// with `Last-Event-ID` resumes after the last event it received.
#[utoipa::path(
    get, path = "/v1/events", tag = "admin", security(("bearer" = ["flashsale:admin"])),
    summary = "The audit log",
    description = "`events`: the events after `after`, one per line. With `Accept: text/event-stream`, then every new event as it is appended, each message's `id` its `seq` (`Last-Event-ID` resumes).",
    params(
        ("campaign" = Option<String>, Query, description = "Only this campaign's events"),
        ("after" = Option<i64>, Query, description = "Only the events after this `seq`")),
    responses(
        (status = 200, description = "The events", content(
            (EventDocument<'static> = "application/x-ndjson"),
            (String = "text/event-stream"),
        )),
        ShopperRefusals,
        AdminRefusals,
    )
)]
pub(super) async fn events<S: Store>(
    State(app): State<Arc<App<S>>>,
    Admin(_): Admin,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = query(&uri, &["campaign", "after"])?;
    let campaign = param(&params, "campaign")
        .map(|text| CampaignId::parse(text).map_err(field("campaign")))
        .transpose()?;
    let mut after = param(&params, "after")
        .map(|text| sequence(text, "after"))
        .transpose()?
        .unwrap_or(0);
    if let Some(last) = headers.get("last-event-id") {
        let text = last
            .to_str()
            .map_err(|_| Invalid::new("Last-Event-ID", "is not a sequence number"))?;
        after = after.max(sequence(text, "Last-Event-ID")?);
    }
    if let Some(id) = &campaign {
        // An unknown campaign is an error, not an empty log: a typo must not look like quiet.
        app.campaigns.status(id).await?;
    }
    let query = EventQuery {
        campaign,
        after_seq: after,
        since: None,
        limit: EVENTS_PAGE,
    };
    let live = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/event-stream"));
    if live {
        return Ok(follow(app, query).into_response());
    }
    let stream = futures::stream::unfold(Some((app, query)), |state| async move {
        let (app, mut query) = state?;
        match app.campaigns.events(&query).await {
            Err(err) => {
                let message = err.to_string();
                tracing::warn!(error = %message, "reading the events log failed mid-way");
                Some((Err(std::io::Error::other(message)), None))
            }
            Ok(page) if page.is_empty() => None,
            Ok(page) => {
                let mut lines = Vec::new();
                for event in &page {
                    query.after_seq = query.after_seq.max(event.seq);
                    lines.extend_from_slice(&event_line(event));
                    lines.push(b'\n');
                }
                let more = page.len() == query.limit;
                Some((Ok(Bytes::from(lines)), more.then_some((app, query))))
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// One event as its JSON document.
fn event_line(event: &crate::domain::Event) -> Vec<u8> {
    // A document of strings, integers and a JSON value cannot fail to serialize.
    serde_json::to_vec(&EventDocument::of(event)).unwrap_or_default()
}

/// A sequence number of the events log (0 or more).
fn sequence(text: &str, name: &'static str) -> Result<i64, Invalid> {
    text.parse::<i64>()
        .ok()
        .filter(|seq| *seq >= 0)
        .ok_or_else(|| {
            Invalid::new(
                name,
                format!(
                    "`{}` is not a sequence number (0 or more)",
                    crate::domain::shown(text)
                ),
            )
        })
}

/// What a live event stream holds between polls: the events read and not yet sent.
struct Follow<S> {
    app: Arc<App<S>>,
    query: EventQuery,
    pending: VecDeque<SseEvent>,
    closing: tokio::sync::watch::Receiver<bool>,
}

/// The events of `query` and every later one as server-sent events, until the client goes
/// away or the server shuts down.
fn follow<S: Store>(
    app: Arc<App<S>>,
    query: EventQuery,
) -> Sse<impl futures::Stream<Item = Result<SseEvent, Infallible>>> {
    let closing = app.streams.watch();
    let state = Follow {
        app,
        query,
        pending: VecDeque::new(),
        closing,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.pending.pop_front() {
                return Some((Ok(event), state));
            }
            if *state.closing.borrow() {
                return None;
            }
            match state.app.campaigns.events(&state.query).await {
                Ok(page) if !page.is_empty() => {
                    for event in &page {
                        state.query.after_seq = state.query.after_seq.max(event.seq);
                        state.pending.push_back(
                            SseEvent::default()
                                .id(event.seq.to_string())
                                .data(String::from_utf8_lossy(&event_line(event))),
                        );
                    }
                    continue;
                }
                Ok(_) => {}
                // The store will be asked again at the next poll; the client keeps its place.
                Err(err) => tracing::warn!(error = %err, "a live event stream could not read"),
            }
            tokio::select! {
                () = tokio::time::sleep(EVENTS_POLL) => {}
                _ = state.closing.changed() => {}
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(EVENTS_KEEP_ALIVE))
}
