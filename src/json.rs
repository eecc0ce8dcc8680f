//! The contract's JSON documents, shared by the CLI (`--output json`) and the HTTP API, so that
//! a claim or a campaign looks the same whichever way it was asked for.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::domain::{Claim, ClaimOutcome, Event, Hold, Transition};
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
        "paused": c.paused,
        "ended_at": c.ended_at.map(rfc3339),
        "hold_seconds": c.hold.map(Hold::seconds),
    })
}

/// The contract's claim JSON: the outcome and the claim.
pub(crate) fn claim_json(outcome: &ClaimOutcome) -> Value {
    json!({
        "outcome": outcome.as_str(),
        "claim": claim_record_json(outcome.claim()),
    })
}

/// One claim as it is held, without an outcome (nothing was asked of it). A redeemed claim
/// also carries its redemption; the other fields are always there (`expires_at` is null
/// without a hold).
pub(crate) fn claim_record_json(c: &Claim) -> Value {
    let mut json = json!({
        "campaign_id": c.campaign_id,
        "user_id": c.user_id,
        "token": c.token,
        "status": c.status.as_str(),
        "discount_cents": c.discount.get(),
        "cart_cents": c.cart.get(),
        "currency": c.currency,
        "claimed_at": rfc3339(c.claimed_at),
        "expires_at": c.expires_at.map(rfc3339),
    });
    if let (Some(r), Value::Object(fields)) = (&c.redemption, &mut json) {
        fields.insert("order_id".into(), json!(r.order_id));
        fields.insert("redeemed_at".into(), json!(rfc3339(r.redeemed_at)));
        fields.insert("redeemed_cart_cents".into(), json!(r.cart.get()));
        fields.insert("redeemed_discount_cents".into(), json!(r.discount.get()));
    }
    json
}

/// The answer to a redemption: the outcome (`redeemed`, or `replayed` for a retry of the
/// same order) and the claim.
pub(crate) fn redemption_json(outcome: &Transition) -> Value {
    json!({
        "outcome": if outcome.replayed() { "replayed" } else { "redeemed" },
        "claim": claim_record_json(outcome.claim()),
    })
}

/// One event of the audit log.
pub(crate) fn event_json(e: &Event) -> Value {
    json!({
        "seq": e.seq,
        "at": rfc3339(e.at),
        "actor": e.actor,
        "campaign_id": e.campaign_id,
        "action": e.action,
        "details": e.details,
    })
}

/// The contract's error JSON.
pub(crate) fn error_json(kind: ErrorKind, message: &str) -> Value {
    json!({"error": {"kind": kind.as_str(), "message": message}})
}
