//! The contract's JSON documents, shared by the CLI (`--output json`) and the HTTP API, so that
//! a claim or a campaign looks the same whichever way it was asked for.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::domain::{Claim, ClaimOutcome};
use crate::error::ErrorKind;
use crate::service::CampaignView;

/// An instant as the contract writes it: RFC 3339, UTC, millisecond precision.
pub(crate) fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The contract's campaign JSON.
pub(crate) fn campaign_json(view: &CampaignView) -> Value {
    let c = &view.campaign;
    json!({
        "id": c.id,
        "name": c.name,
        "state": view.state,
        "starts_at": rfc3339(c.window.starts_at),
        "ends_at": rfc3339(c.window.ends_at),
        "total_inventory": c.total(),
        "claimed": c.claimed(),
        "remaining": c.remaining(),
        "percent_off": c.rule.percent.to_json_number(),
        "max_discount_cents": c.rule.max_discount.get(),
        "min_cart_cents": c.rule.min_cart.get(),
        "currency": c.currency,
        "created_at": rfc3339(c.created_at),
    })
}

/// The contract's claim JSON: the outcome and the claim.
pub(crate) fn claim_json(outcome: &ClaimOutcome) -> Value {
    json!({
        "outcome": outcome.as_str(),
        "claim": claim_record_json(outcome.claim()),
    })
}

/// One claim as it is held, without an outcome (nothing was asked of it).
pub(crate) fn claim_record_json(c: &Claim) -> Value {
    json!({
        "campaign_id": c.campaign_id,
        "user_id": c.user_id,
        "token": c.token,
        "discount_cents": c.discount.get(),
        "cart_cents": c.cart.get(),
        "claimed_at": rfc3339(c.claimed_at),
    })
}

/// The contract's error JSON.
pub(crate) fn error_json(kind: ErrorKind, message: &str) -> Value {
    json!({"error": {"kind": kind.as_str(), "message": message}})
}
