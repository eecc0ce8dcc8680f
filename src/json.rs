//! The contract's JSON documents, shared by the CLI (`--output json`) and the HTTP API, so that
//! a claim or a campaign looks the same whichever way it was asked for.

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::{
    CampaignId, Claim, ClaimOutcome, ClaimToken, Currency, Event, Hold, OrderId, Transition,
    UserId, rfc3339,
};
use crate::error::ErrorKind;
use crate::service::{Acted, CampaignView, Reconciliation};

mod export;

pub(crate) use export::{ExportFormat, ExportRows};

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

/// What an operator's action on a campaign came to: the campaign after it, and whether the
/// action changed it (`"changed": false` for an action already in effect).
pub(crate) fn acted_campaign_json(acted: &Acted<CampaignView>) -> Value {
    let mut json = campaign_json(&acted.value);
    json["changed"] = acted.changed.into();
    json
}

/// The contract's inventory JSON.
pub(crate) fn inventory_json(view: &CampaignView) -> Value {
    let c = &view.campaign;
    json!({"campaign_id": c.id, "total": c.total(), "claimed": c.claimed(), "remaining": c.remaining()})
}

/// What an operator's action on an inventory came to, and whether it changed it.
pub(crate) fn acted_inventory_json(acted: &Acted<CampaignView>) -> Value {
    let mut json = inventory_json(&acted.value);
    json["changed"] = acted.changed.into();
    json
}

/// The inventory after expiring the holds past their time, with how many expired.
pub(crate) fn expired_json(view: &CampaignView, expired: u64) -> Value {
    let mut json = inventory_json(view);
    json["expired"] = expired.into();
    json
}

/// A reconciliation's findings: the drift, and whether the repair was written.
pub(crate) fn reconciliation_json(r: &Reconciliation) -> Value {
    json!({
        "campaign_id": r.campaign_id,
        "total": r.total,
        "claimed": r.claimed,
        "remaining": r.remaining,
        "expected_remaining": r.expected_remaining,
        "drift": r.drift(),
        "applied": r.applied,
    })
}

/// A voided claim, and whether this void changed it (`false` when it was already voided).
pub(crate) fn voided_json(voided: &Transition) -> Value {
    let mut json = claim_record_json(voided.claim());
    json["changed"] = (!voided.replayed()).into();
    json
}

/// The contract's claim JSON: the outcome and the claim.
pub(crate) fn claim_json(outcome: &ClaimOutcome) -> Value {
    value(&ClaimAnswer::of(outcome))
}

/// One claim as it is held, without an outcome (nothing was asked of it).
pub(crate) fn claim_record_json(c: &Claim) -> Value {
    value(&ClaimRecord::of(c))
}

/// The answer to a redemption: the outcome (`redeemed`, or `replayed` for a retry of the
/// same order) and the claim.
pub(crate) fn redemption_json(outcome: &Transition) -> Value {
    value(&ClaimAnswer::redemption(outcome))
}

/// A typed document as a JSON value. Serializing these never fails: every field is a string,
/// an integer or null.
fn value(document: &impl Serialize) -> Value {
    serde_json::to_value(document).unwrap_or(Value::Null)
}

/// An outcome and its claim, the answer to a claim or a redemption. A typed document rather
/// than a `json!` value: `serve` writes one per request, and building a map of owned keys and
/// values first cost about a twentieth of a claim's CPU there.
#[derive(Serialize)]
pub(crate) struct ClaimAnswer<'a> {
    outcome: &'static str,
    claim: ClaimRecord<'a>,
}

impl<'a> ClaimAnswer<'a> {
    pub(crate) fn of(outcome: &'a ClaimOutcome) -> Self {
        ClaimAnswer {
            outcome: outcome.as_str(),
            claim: ClaimRecord::of(outcome.claim()),
        }
    }

    pub(crate) fn redemption(outcome: &'a Transition) -> Self {
        ClaimAnswer {
            outcome: if outcome.replayed() {
                "replayed"
            } else {
                "redeemed"
            },
            claim: ClaimRecord::of(outcome.claim()),
        }
    }
}

/// One claim, the contract's fields in the contract's order. A redeemed claim also carries its
/// redemption; the other fields are always there (`expires_at` is null without a hold).
#[derive(Serialize)]
pub(crate) struct ClaimRecord<'a> {
    campaign_id: &'a CampaignId,
    user_id: &'a UserId,
    token: &'a ClaimToken,
    status: &'static str,
    discount_cents: i64,
    cart_cents: i64,
    currency: &'a Currency,
    claimed_at: String,
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<&'a OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeemed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeemed_cart_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeemed_discount_cents: Option<i64>,
}

impl<'a> ClaimRecord<'a> {
    pub(crate) fn of(c: &'a Claim) -> Self {
        let r = c.redemption.as_ref();
        ClaimRecord {
            campaign_id: &c.campaign_id,
            user_id: &c.user_id,
            token: &c.token,
            status: c.status.as_str(),
            discount_cents: c.discount.get(),
            cart_cents: c.cart.get(),
            currency: &c.currency,
            claimed_at: rfc3339(c.claimed_at),
            expires_at: c.expires_at.map(rfc3339),
            order_id: r.map(|r| &r.order_id),
            redeemed_at: r.map(|r| rfc3339(r.redeemed_at)),
            redeemed_cart_cents: r.map(|r| r.cart.get()),
            redeemed_discount_cents: r.map(|r| r.discount.get()),
        }
    }
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

/// The contract's error JSON. The HTTP API adds `code`, `field` and `request_id` to the same
/// object.
pub(crate) fn error_json(kind: ErrorKind, message: &str) -> Value {
    json!({"error": {"kind": kind.as_str(), "message": message}})
}
