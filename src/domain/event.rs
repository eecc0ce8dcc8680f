//! The audit log: what each operator action records (I10).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Cents, OrderId, UserId, VoidReason, rfc3339};

/// What an event records: the action and its details (before and after where a value moved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A campaign was created.
    CampaignCreated {
        /// Its inventory.
        total: i64,
    },
    /// New claims stopped for now.
    CampaignPaused,
    /// New claims accepted again.
    CampaignResumed,
    /// The end moved later.
    CampaignExtended {
        /// The end before.
        ends_at_before: DateTime<Utc>,
        /// The end after.
        ends_at_after: DateTime<Utc>,
    },
    /// Stopped for good.
    CampaignEnded {
        /// When it ended.
        ended_at: DateTime<Utc>,
    },
    /// Restocked.
    InventoryAdded {
        /// Units added.
        units: i64,
        /// Total before.
        total_before: i64,
        /// Total after.
        total_after: i64,
    },
    /// Units taken off sale.
    InventoryRemoved {
        /// Units removed.
        units: i64,
        /// Total before.
        total_before: i64,
        /// Total after.
        total_after: i64,
    },
    /// `remaining` repaired from the claims.
    InventoryReconciled {
        /// Remaining before.
        remaining_before: i64,
        /// Remaining after.
        remaining_after: i64,
    },
    /// A claim used at checkout.
    ClaimRedeemed {
        /// Its user.
        user_id: UserId,
        /// The order.
        order_id: OrderId,
        /// The checkout cart.
        cart: Cents,
        /// The re-priced discount.
        discount: Cents,
    },
    /// A claim voided; its unit returned.
    ClaimVoided {
        /// Its user.
        user_id: UserId,
        /// The operator's reason.
        reason: Option<VoidReason>,
    },
    /// A claim expired; its unit returned.
    ClaimExpired {
        /// Its user.
        user_id: UserId,
        /// When its hold ran out.
        expires_at: DateTime<Utc>,
    },
}

impl EventKind {
    /// The action's name in the log (`campaign.paused`, `claim.voided`, ...).
    #[must_use]
    pub fn action(&self) -> &'static str {
        match self {
            EventKind::CampaignCreated { .. } => "campaign.created",
            EventKind::CampaignPaused => "campaign.paused",
            EventKind::CampaignResumed => "campaign.resumed",
            EventKind::CampaignExtended { .. } => "campaign.extended",
            EventKind::CampaignEnded { .. } => "campaign.ended",
            EventKind::InventoryAdded { .. } => "inventory.added",
            EventKind::InventoryRemoved { .. } => "inventory.removed",
            EventKind::InventoryReconciled { .. } => "inventory.reconciled",
            EventKind::ClaimRedeemed { .. } => "claim.redeemed",
            EventKind::ClaimVoided { .. } => "claim.voided",
            EventKind::ClaimExpired { .. } => "claim.expired",
        }
    }

    /// The details, as the JSON object the log stores and prints.
    #[must_use]
    pub fn details(&self) -> serde_json::Value {
        match self {
            EventKind::CampaignCreated { total } => json!({ "total": total }),
            EventKind::CampaignPaused | EventKind::CampaignResumed => json!({}),
            EventKind::CampaignExtended {
                ends_at_before,
                ends_at_after,
            } => json!({
                "ends_at_before": rfc3339(*ends_at_before),
                "ends_at_after": rfc3339(*ends_at_after),
            }),
            EventKind::CampaignEnded { ended_at } => json!({ "ended_at": rfc3339(*ended_at) }),
            EventKind::InventoryAdded {
                units,
                total_before,
                total_after,
            }
            | EventKind::InventoryRemoved {
                units,
                total_before,
                total_after,
            } => json!({
                "units": units,
                "total_before": total_before,
                "total_after": total_after,
            }),
            EventKind::InventoryReconciled {
                remaining_before,
                remaining_after,
            } => json!({
                "remaining_before": remaining_before,
                "remaining_after": remaining_after,
            }),
            EventKind::ClaimRedeemed {
                user_id,
                order_id,
                cart,
                discount,
            } => json!({
                "user_id": user_id,
                "status_before": "claimed",
                "status_after": "redeemed",
                "order_id": order_id,
                "cart_cents": cart.get(),
                "discount_cents": discount.get(),
            }),
            EventKind::ClaimVoided { user_id, reason } => json!({
                "user_id": user_id,
                "status_before": "claimed",
                "status_after": "voided",
                "reason": reason,
            }),
            EventKind::ClaimExpired {
                user_id,
                expires_at,
            } => json!({
                "user_id": user_id,
                "status_before": "claimed",
                "status_after": "expired",
                "expires_at": rfc3339(*expires_at),
            }),
        }
    }
}

/// One entry of the events log (I10).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Its position in the store's log: increasing, never reused.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// The campaign it changed.
    pub campaign_id: String,
    /// What was done ([`EventKind::action`]).
    pub action: String,
    /// Details ([`EventKind::details`]).
    pub details: serde_json::Value,
}
