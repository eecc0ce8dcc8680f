//! Refusals of a well-formed request whose record's state forbids it (`conflict`).

use chrono::{DateTime, Utc};

use super::{CampaignId, ClaimStatus, OrderId, rfc3339};

/// Why a request on a claim or a campaign is refused although it is well formed: the record's
/// state forbids it. Nothing is written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// Redeem of a claim redeemed for another order.
    #[error("the claim was already redeemed for another order (`{order_id}`); nothing was written")]
    RedeemedForAnotherOrder {
        /// The order it was redeemed for.
        order_id: OrderId,
    },
    /// Redeem of a claim that no longer holds a unit.
    #[error("the claim is {status} and can no longer be redeemed; nothing was written")]
    NotRedeemable {
        /// Its status.
        status: ClaimStatus,
    },
    /// Redeem past the claim's hold, even before the expiry sweep marked it.
    #[error("the claim's hold ran out at {expires_at} and it can no longer be redeemed; nothing was written", expires_at = rfc3339(*expires_at))]
    HoldRanOut {
        /// When it ran out.
        expires_at: DateTime<Utc>,
    },
    /// Void of a claim that was used at checkout.
    #[error(
        "the claim was redeemed for order `{order_id}` and cannot be voided; nothing was written"
    )]
    VoidRedeemed {
        /// The order.
        order_id: OrderId,
    },
    /// Void of a claim that expired (its unit went back already).
    #[error(
        "the claim has expired (its unit is back in inventory) and cannot be voided; nothing was written"
    )]
    VoidExpired,
    /// Removal of more units than are free.
    #[error(
        "campaign `{id}` cannot lose {units} units: only {remaining} are not held by claims; nothing was written"
    )]
    BelowHeld {
        /// The campaign.
        id: CampaignId,
        /// Units asked to remove.
        units: i64,
        /// Units not held.
        remaining: i64,
    },
    /// An extension that does not move the end later.
    #[error("campaign `{id}` ends at {ends_at}: an extension must end later; nothing was written", ends_at = rfc3339(*ends_at))]
    NotLater {
        /// The campaign.
        id: CampaignId,
        /// Its current end.
        ends_at: DateTime<Utc>,
    },
    /// A removal that would leave the campaign no unit at all.
    #[error(
        "campaign `{id}` cannot lose all of its {total} units; end it instead; nothing was written"
    )]
    NothingLeft {
        /// The campaign.
        id: CampaignId,
        /// Its total.
        total: i64,
    },
    /// Pause, resume, extend or restock of an ended campaign.
    #[error("campaign `{id}` has ended and cannot be {action}; nothing was written")]
    Ended {
        /// The campaign.
        id: CampaignId,
        /// What was asked (`paused`, `resumed`, `extended`, `restocked`).
        action: &'static str,
    },
    /// A create of an id that exists with other terms (a create with the same terms is already
    /// in effect, and succeeds unchanged).
    #[error("campaign `{id}` already exists with other terms ({differences}); nothing was written")]
    ExistsWithOtherTerms {
        /// The campaign.
        id: CampaignId,
        /// What differs, e.g. `inventory 500, not 400`.
        differences: String,
    },
}

impl Conflict {
    /// The stable reason a client can branch on, finer than the `conflict` kind.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Conflict::RedeemedForAnotherOrder { .. } => "redeemed_for_another_order",
            Conflict::NotRedeemable { .. } => "claim_not_redeemable",
            Conflict::HoldRanOut { .. } => "hold_ran_out",
            Conflict::VoidRedeemed { .. } => "claim_redeemed",
            Conflict::VoidExpired => "claim_expired",
            Conflict::BelowHeld { .. } => "below_held",
            Conflict::NotLater { .. } => "end_not_later",
            Conflict::NothingLeft { .. } => "nothing_left",
            Conflict::Ended { .. } => "campaign_ended",
            Conflict::ExistsWithOtherTerms { .. } => "exists_with_other_terms",
        }
    }
}
