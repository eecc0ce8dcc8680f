//! The contract's JSON documents, shared by the CLI (`--output json`) and the HTTP API, so that
//! a claim or a campaign looks the same whichever way it was asked for.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::domain::{
    CampaignId, CampaignState, Claim, ClaimOutcome, ClaimStatus, ClaimToken, Currency, Event, Hold,
    OrderId, Transition, UserId, VoidReason, rfc3339,
};
use crate::error::ErrorKind;
use crate::service::{Acted, CampaignView, Reconciliation};

mod export;

pub(crate) use export::{ExportFormat, ExportRows};

/// The contract's campaign JSON.
pub(crate) fn campaign_json(view: &CampaignView) -> Value {
    value(&CampaignDocument::of(view))
}

/// What an operator's action on a campaign came to: the campaign after it, and whether the
/// action changed it (`"changed": false` for an action already in effect).
pub(crate) fn acted_campaign_json(acted: &Acted<CampaignView>) -> Value {
    value(&ActedCampaign::of(acted))
}

/// The contract's inventory JSON.
pub(crate) fn inventory_json(view: &CampaignView) -> Value {
    value(&InventoryDocument::of(view))
}

/// What an operator's action on an inventory came to, and whether it changed it.
pub(crate) fn acted_inventory_json(acted: &Acted<CampaignView>) -> Value {
    value(&ActedInventory::of(acted))
}

/// The inventory after expiring the holds past their time, with how many expired.
pub(crate) fn expired_json(view: &CampaignView, expired: u64) -> Value {
    value(&ExpiredInventory::of(view, expired))
}

/// A reconciliation's findings: the drift, and whether the repair was written.
pub(crate) fn reconciliation_json(r: &Reconciliation) -> Value {
    value(&ReconciliationDocument::of(r))
}

/// A voided claim, and whether this void changed it (`false` when it was already voided).
pub(crate) fn voided_json(voided: &Transition) -> Value {
    value(&VoidedClaim::of(voided))
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
/// a number, a boolean, null or (an event's details) a JSON value already.
fn value(document: &impl Serialize) -> Value {
    serde_json::to_value(document).unwrap_or(Value::Null)
}

/// An outcome and its claim, the answer to a claim or a redemption. A typed document rather
/// than a `json!` value: `serve` writes one per request, and building a map of owned keys and
/// values first cost about a twentieth of a claim's CPU there.
#[derive(Serialize, ToSchema)]
#[schema(as = Claimed)]
pub(crate) struct ClaimAnswer<'a> {
    /// `claimed` for a new claim, `replayed` for a repeat of one (the same claim); a
    /// redemption's: `redeemed`, or `replayed` for the same order again.
    #[schema(schema_with = claim_outcomes)]
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
/// redemption, a voided one when it was voided and, if the operator gave one, why, an expired
/// one when it expired (a claim voided or expired before the store recorded these has none);
/// the other fields are always there (`expires_at` is null without a hold).
#[derive(Serialize, ToSchema)]
#[schema(as = Claim)]
pub(crate) struct ClaimRecord<'a> {
    #[schema(value_type = String)]
    campaign_id: &'a CampaignId,
    /// The shopper: the `sub` of the token that claimed.
    #[schema(value_type = String)]
    user_id: &'a UserId,
    /// What the shopper redeems at checkout.
    #[schema(value_type = String)]
    token: &'a ClaimToken,
    #[schema(schema_with = claim_statuses)]
    status: &'static str,
    /// The discount on the cart it was claimed with, in minor units.
    discount_cents: i64,
    cart_cents: i64,
    /// ISO 4217.
    #[schema(value_type = String)]
    currency: &'a Currency,
    #[schema(format = DateTime)]
    claimed_at: String,
    /// When its hold runs out; null without a hold.
    #[schema(required = true, format = DateTime)]
    expires_at: Option<String>,
    /// A redeemed claim's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    order_id: Option<&'a OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    redeemed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeemed_cart_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redeemed_discount_cents: Option<i64>,
    /// When an operator voided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    voided_at: Option<String>,
    /// The operator's reason for the void, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    void_reason: Option<&'a VoidReason>,
    /// When the expiry sweep expired it (after `expires_at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    expired_at: Option<String>,
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
            voided_at: c.voided_at.map(rfc3339),
            void_reason: c.void_reason.as_ref(),
            expired_at: c.expired_at.map(rfc3339),
        }
    }
}

/// One event of the audit log.
pub(crate) fn event_json(e: &Event) -> Value {
    value(&EventDocument::of(e))
}

/// The contract's error JSON. The HTTP API adds `code`, `field` and `request_id` to the same
/// object ([`ErrorFields`]).
pub(crate) fn error_json(kind: ErrorKind, message: &str) -> Value {
    value(&ErrorDocument {
        error: ErrorFields::new(kind, message),
    })
}

/// The contract's campaign document: its terms, its counts and its state when it was read.
#[derive(Serialize, ToSchema)]
#[schema(as = Campaign)]
pub(crate) struct CampaignDocument<'a> {
    #[schema(value_type = String)]
    id: &'a CampaignId,
    name: &'a str,
    #[schema(schema_with = campaign_states)]
    state: &'static str,
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
    /// Units ever put on sale.
    total_inventory: i64,
    claimed: i64,
    remaining: i64,
    /// A number: `15`, or `12.5`.
    #[schema(value_type = f64)]
    percent_off: serde_json::Number,
    max_discount_cents: i64,
    min_cart_cents: i64,
    /// ISO 4217: the `*_cents` fields are in its minor unit.
    #[schema(value_type = String)]
    currency: &'a Currency,
    #[schema(format = DateTime)]
    created_at: String,
    paused: bool,
    /// When an operator ended it; null otherwise.
    #[schema(required = true, format = DateTime)]
    ended_at: Option<String>,
    /// How long a claim holds its unit unredeemed; null for no limit.
    #[schema(required = true)]
    hold_seconds: Option<i64>,
}

impl<'a> CampaignDocument<'a> {
    pub(crate) fn of(view: &'a CampaignView) -> Self {
        let c = &view.campaign;
        CampaignDocument {
            id: &c.id,
            name: &c.name,
            state: view.state.as_str(),
            starts_at: rfc3339(c.window.starts_at),
            ends_at: rfc3339(c.window.ends_at),
            total_inventory: c.total(),
            claimed: c.claimed(),
            remaining: c.remaining(),
            percent_off: c.rule.percent.to_json_number(),
            max_discount_cents: c.rule.max_discount.get(),
            min_cart_cents: c.rule.min_cart.get(),
            currency: &c.currency,
            created_at: rfc3339(c.created_at),
            paused: c.paused,
            ended_at: c.ended_at.map(rfc3339),
            hold_seconds: c.hold.map(Hold::seconds),
        }
    }
}

/// A campaign after an operator's action, and whether the action changed it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActedCampaign<'a> {
    #[serde(flatten)]
    campaign: CampaignDocument<'a>,
    /// False for an action already in effect (nothing was written).
    changed: bool,
}

impl<'a> ActedCampaign<'a> {
    pub(crate) fn of(acted: &'a Acted<CampaignView>) -> Self {
        ActedCampaign {
            campaign: CampaignDocument::of(&acted.value),
            changed: acted.changed,
        }
    }
}

/// A campaign's inventory.
#[derive(Serialize, ToSchema)]
#[schema(as = Inventory)]
pub(crate) struct InventoryDocument<'a> {
    #[schema(value_type = String)]
    campaign_id: &'a CampaignId,
    total: i64,
    claimed: i64,
    remaining: i64,
}

impl<'a> InventoryDocument<'a> {
    pub(crate) fn of(view: &'a CampaignView) -> Self {
        let c = &view.campaign;
        InventoryDocument {
            campaign_id: &c.id,
            total: c.total(),
            claimed: c.claimed(),
            remaining: c.remaining(),
        }
    }
}

/// An inventory after an operator's change, and whether the change changed it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ActedInventory<'a> {
    #[serde(flatten)]
    inventory: InventoryDocument<'a>,
    changed: bool,
}

impl<'a> ActedInventory<'a> {
    pub(crate) fn of(acted: &'a Acted<CampaignView>) -> Self {
        ActedInventory {
            inventory: InventoryDocument::of(&acted.value),
            changed: acted.changed,
        }
    }
}

/// The inventory after the holds past their time expired, and how many did.
#[derive(Serialize, ToSchema)]
pub(crate) struct ExpiredInventory<'a> {
    #[serde(flatten)]
    inventory: InventoryDocument<'a>,
    expired: u64,
}

impl<'a> ExpiredInventory<'a> {
    pub(crate) fn of(view: &'a CampaignView, expired: u64) -> Self {
        ExpiredInventory {
            inventory: InventoryDocument::of(view),
            expired,
        }
    }
}

/// A reconciliation's findings: the remaining units as stored and as the claims say, the
/// drift between them, and whether the repair was written.
#[derive(Serialize, ToSchema)]
#[schema(as = Reconciliation)]
pub(crate) struct ReconciliationDocument<'a> {
    #[schema(value_type = String)]
    campaign_id: &'a CampaignId,
    total: i64,
    claimed: i64,
    remaining: i64,
    expected_remaining: i64,
    /// `expected_remaining - remaining`.
    drift: i64,
    applied: bool,
}

impl<'a> ReconciliationDocument<'a> {
    pub(crate) fn of(r: &'a Reconciliation) -> Self {
        ReconciliationDocument {
            campaign_id: &r.campaign_id,
            total: r.total,
            claimed: r.claimed,
            remaining: r.remaining,
            expected_remaining: r.expected_remaining,
            drift: r.drift(),
            applied: r.applied,
        }
    }
}

/// A voided claim, and whether this void changed it (`false` when it was already voided).
#[derive(Serialize, ToSchema)]
pub(crate) struct VoidedClaim<'a> {
    #[serde(flatten)]
    claim: ClaimRecord<'a>,
    changed: bool,
}

impl<'a> VoidedClaim<'a> {
    pub(crate) fn of(voided: &'a Transition) -> Self {
        VoidedClaim {
            claim: ClaimRecord::of(voided.claim()),
            changed: !voided.replayed(),
        }
    }
}

/// The caller's own claim.
#[derive(Serialize, ToSchema)]
pub(crate) struct OwnClaim<'a> {
    claim: ClaimRecord<'a>,
}

impl<'a> OwnClaim<'a> {
    pub(crate) fn of(claim: &'a Claim) -> Self {
        OwnClaim {
            claim: ClaimRecord::of(claim),
        }
    }
}

/// One event of the audit log.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub(crate) struct EventDocument<'a> {
    /// Its position in the log: increasing, never reused.
    seq: i64,
    #[schema(format = DateTime)]
    at: String,
    /// Who did it: a token's `sub`, or the CLI's operator.
    actor: &'a str,
    campaign_id: &'a str,
    action: &'a str,
    /// What the action was given and changed; its fields depend on the action.
    #[schema(value_type = Object)]
    details: &'a Value,
}

impl<'a> EventDocument<'a> {
    pub(crate) fn of(e: &'a Event) -> Self {
        EventDocument {
            seq: e.seq,
            at: rfc3339(e.at),
            actor: &e.actor,
            campaign_id: &e.campaign_id,
            action: &e.action,
            details: &e.details,
        }
    }
}

/// The contract's error document.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorDocument<'a> {
    error: ErrorFields<'a>,
}

impl<'a> ErrorDocument<'a> {
    /// The document of `error`.
    pub(crate) fn new(error: ErrorFields<'a>) -> Self {
        ErrorDocument { error }
    }
}

/// An error's fields. The CLI writes the kind and the message; the HTTP API also the code,
/// the field at fault when there is one, and the request's id.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorFields<'a> {
    /// The contract's kind; the status follows from it.
    #[schema(schema_with = error_kinds)]
    kind: &'static str,
    message: &'a str,
    /// A stable reason finer than the kind, for a client to branch on (`sold_out`,
    /// `token_expired`, `invalid_value`): codes are added, never renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = true, value_type = String)]
    code: Option<&'a str>,
    /// The input at fault, by its name in the request (`cart_cents`, `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    field: Option<&'a str>,
    /// The request's id, as its `x-request-id` header and its log line give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = true, value_type = String)]
    request_id: Option<&'a str>,
}

impl<'a> ErrorFields<'a> {
    /// An error of `kind` saying `message`.
    pub(crate) fn new(kind: ErrorKind, message: &'a str) -> Self {
        ErrorFields {
            kind: kind.as_str(),
            message,
            code: None,
            field: None,
            request_id: None,
        }
    }

    /// With the HTTP API's code, field and request id.
    pub(crate) fn answered(
        mut self,
        code: &'a str,
        field: Option<&'a str>,
        request_id: Option<&'a str>,
    ) -> Self {
        self.code = Some(code);
        self.field = field;
        self.request_id = request_id;
        self
    }
}

/// A health or readiness answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    status: &'static str,
}

impl Health {
    /// The process runs.
    pub(crate) const OK: Health = Health { status: "ok" };
    /// The store answers.
    pub(crate) const READY: Health = Health { status: "ready" };
}

/// A string schema of the values `values`.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Object {
    let mut seen: Vec<&str> = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(seen))
        .build()
}

fn campaign_states() -> Object {
    one_of(
        [
            CampaignState::Scheduled,
            CampaignState::Live,
            CampaignState::Paused,
            CampaignState::SoldOut,
            CampaignState::Ended,
        ]
        .map(CampaignState::as_str),
    )
}

fn claim_statuses() -> Object {
    one_of(ClaimStatus::ALL.map(ClaimStatus::as_str))
}

fn claim_outcomes() -> Object {
    one_of(["claimed", "replayed", "redeemed"])
}

/// The kinds an HTTP answer can carry: every kind but the CLI's interruption.
fn error_kinds() -> Object {
    one_of(
        ErrorKind::ALL
            .into_iter()
            .filter(|kind| *kind != ErrorKind::Interrupted)
            .map(ErrorKind::as_str),
    )
}
