//! The API's OpenAPI 3.1 document, served at `GET /openapi.json` and committed as
//! `docs/openapi.json`: generated from the handlers' `#[utoipa::path]` attributes and the typed
//! documents of [`crate::json`] they answer with, so a route, its statuses and its shapes are
//! described where they are made.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::auth::ADMIN_SCOPE;
use crate::json::ErrorDocument;

/// The name of the bearer-token security scheme in the document.
pub(super) const BEARER: &str = "bearer";

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "flashsale serve",
        description = "Flash-sale discount claims over HTTP: the shopper's routes (a verified JWT's \
            `sub` is the shopper), the public campaign, the admin routes (a token whose `scope` \
            grants `flashsale:admin`), and health, readiness and metrics. Every answer carries \
            its request id in `x-request-id`; every error is the `Error` document, its status \
            following from its `kind`."
    ),
    paths(
        super::routes::post_claim,
        super::routes::get_claim,
        super::routes::post_redeem,
        super::routes::get_campaign,
        super::admin::create_campaign,
        super::admin::list_campaigns,
        super::admin::pause,
        super::admin::resume,
        super::admin::end,
        super::admin::extend,
        super::admin::inventory,
        super::admin::expire,
        super::admin::reconcile,
        super::admin::show_claim,
        super::admin::void,
        super::admin::export,
        super::admin::events,
        super::routes::healthz,
        super::routes::readyz,
        super::routes::metrics,
        openapi_json,
    ),
    modifiers(&Bearer),
    tags(
        (name = "shopper", description = "A shopper's claim, with the shopper's bearer token."),
        (name = "campaign", description = "A campaign, public once it started."),
        (name = "admin", description = "Operator actions: a bearer token granting `flashsale:admin`."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    )
)]
struct Api;

/// Adds the bearer-token scheme the routes' `security` names.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(format!(
                        "A JWT the server's key verifies; its `sub` is the shopper or the \
                         admin's actor. The admin routes need `{ADMIN_SCOPE}` in its `scope` \
                         claim (space-separated, as in OAuth 2)."
                    )))
                    .build(),
            ),
        );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    Api::openapi()
}

/// The document as the bytes `GET /openapi.json` answers and `docs/openapi.json` holds:
/// pretty JSON and a final newline, made once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = document()
            .to_pretty_json()
            .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
        text.push('\n');
        text
    })
}

/// `GET /openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This document",
    description = "The API's OpenAPI 3.1 document, generated from the server's code. No token needed.",
    responses((status = 200, description = "The document", content_type = "application/json", body = Object))
)]
pub(super) async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
        .into_response()
}

/// What any route that takes a token can refuse before the store is asked, and the server's
/// own refusals: the shopper's routes and, with [`AdminRefusals`], the admin's.
#[derive(IntoResponses)]
#[expect(dead_code, reason = "a description of answers, never built")]
pub(super) enum ShopperRefusals {
    /// `invalid_input`: a malformed path, query or body (`code` `invalid_value` with `field`
    /// naming the input at fault, `malformed_body`).
    #[response(status = 400)]
    InvalidInput(ErrorDocument<'static>),
    /// `unauthenticated`: no bearer token, or one that does not verify.
    #[response(status = 401, headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
    Unauthenticated(ErrorDocument<'static>),
    /// `invalid_input` `body_timeout`: the body did not arrive within the header timeout.
    #[response(status = 408)]
    BodyTimeout(ErrorDocument<'static>),
    /// `invalid_input` `body_too_large`: a body over 16 KiB.
    #[response(status = 413)]
    BodyTooLarge(ErrorDocument<'static>),
    /// `internal`.
    #[response(status = 500)]
    Internal(ErrorDocument<'static>),
    /// `store_unavailable` (`overloaded`, `request_timeout`, `store_unavailable`): retrying is
    /// safe.
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds")))]
    Unavailable(ErrorDocument<'static>),
}

/// What an admin route can refuse beyond [`ShopperRefusals`]: a token without the admin scope,
/// and an unknown campaign.
#[derive(IntoResponses)]
#[expect(dead_code, reason = "a description of answers, never built")]
pub(super) enum AdminRefusals {
    /// `forbidden` `scope_required`: the token does not grant `flashsale:admin`.
    #[response(status = 403)]
    Forbidden(ErrorDocument<'static>),
    /// `not_found`: no such campaign (or claim).
    #[response(status = 404)]
    NotFound(ErrorDocument<'static>),
}
