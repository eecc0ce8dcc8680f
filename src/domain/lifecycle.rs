//! A claim's life after it is granted, and the operator's changes to a campaign: every
//! transition is decided here, once, on what a store read inside its atomic step; the store
//! only carries the answer out (with its event, see [`EventKind`]).
//!
//! ```text
//! claimed --redeem--> redeemed          (holds its unit for good)
//!    |  \--void-----> voided            (unit back to inventory)
//!     \----expire---> expired           (past expires_at; unit back to inventory)
//! ```
//!
//! A claim changes status at most once (I7); a retried redeem with the same order id and a
//! retried void replay the first answer (I8); a voided or expired claim stays the user's claim
//! for the campaign, so a new claim by that user replays it (I9).

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::json;

use super::money::shown;
use super::{
    Campaign, CampaignId, CampaignState, Cents, Claim, ClaimToken, Invalid, Units, UserId,
};

/// Where a claim stands. Only [`ClaimStatus::Claimed`] and [`ClaimStatus::Redeemed`] hold a
/// unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Granted, holding a unit, not yet used at checkout.
    Claimed,
    /// Used at checkout for one order; holds its unit for good.
    Redeemed,
    /// Cancelled by an operator; its unit went back to inventory.
    Voided,
    /// Not redeemed within the campaign's hold; its unit went back to inventory.
    Expired,
}

impl ClaimStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Claimed,
        ClaimStatus::Redeemed,
        ClaimStatus::Voided,
        ClaimStatus::Expired,
    ];

    /// The contract's name (`claimed`, `redeemed`, `voided`, `expired`); also what stores keep.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Claimed => "claimed",
            ClaimStatus::Redeemed => "redeemed",
            ClaimStatus::Voided => "voided",
            ClaimStatus::Expired => "expired",
        }
    }

    /// Whether a claim in this status holds a unit of the campaign (I7).
    #[must_use]
    pub fn holds_unit(self) -> bool {
        matches!(self, ClaimStatus::Claimed | ClaimStatus::Redeemed)
    }

    /// Reads a status by its contract name.
    ///
    /// # Errors
    /// [`Invalid`] (field `status`) for any other text.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                Invalid::new(
                    "status",
                    format!(
                        "`{}` is not one of claimed, redeemed, voided, expired",
                        shown(text)
                    ),
                )
            })
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks an opaque identifier: 1 to 128 characters, no control characters, no white space at
/// either end (it could not be told apart on a screen or in a log).
fn opaque(field: &'static str, text: &str) -> Result<String, Invalid> {
    if text.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if text.chars().count() > 128 {
        return Err(Invalid::new(
            field,
            format!("`{}` is longer than 128 characters", shown(text)),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("`{}` contains a control character", shown(text)),
        ));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(Invalid::new(
            field,
            format!("`{}` starts or ends with white space", shown(text)),
        ));
    }
    Ok(text.to_owned())
}

/// The shop's order a claim is redeemed for: 1 to 128 characters, compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    /// Checks an order id.
    ///
    /// # Errors
    /// [`Invalid`] (field `order id`) when empty, over 128 characters, holding a control
    /// character or white space at either end.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        opaque("order id", text).map(OrderId)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did an operator action, as the events log records it: 1 to 128 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// Checks an actor name.
    ///
    /// # Errors
    /// [`Invalid`] (field `actor`) when empty, over 128 characters, holding a control character
    /// or white space at either end.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        opaque("actor", text).map(Actor)
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who acts and when: what every change records in its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Who.
    pub actor: Actor,
    /// When (also the instant the change is decided at).
    pub at: DateTime<Utc>,
}

/// How long a granted claim holds its unit without being redeemed: from 1 second to 366 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hold(i64);

impl Hold {
    /// The longest hold, in seconds (366 days).
    pub const MAX_SECONDS: i64 = 366 * 24 * 3600;

    /// A hold of `seconds`.
    ///
    /// # Errors
    /// [`Invalid`] (field `hold`) outside 1 second to 366 days.
    pub fn from_seconds(seconds: i64) -> Result<Self, Invalid> {
        if (1..=Self::MAX_SECONDS).contains(&seconds) {
            Ok(Hold(seconds))
        } else {
            Err(Invalid::new("hold", "must be from 1 second to 366 days"))
        }
    }

    /// The hold in seconds.
    #[must_use]
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// When a claim granted at `claimed_at` expires.
    #[must_use]
    pub fn expiry(self, claimed_at: DateTime<Utc>) -> DateTime<Utc> {
        claimed_at
            .checked_add_signed(TimeDelta::seconds(self.0))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// A claim's use at checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// The order it paid for.
    pub order_id: OrderId,
    /// The checkout cart.
    pub cart: Cents,
    /// The discount re-priced on that cart with the campaign's rule.
    pub discount: Cents,
    /// When.
    pub redeemed_at: DateTime<Utc>,
}

/// How an operator names a claim: by its user or by its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimKey {
    /// The claim of this user.
    User(UserId),
    /// The claim carrying this token.
    Token(ClaimToken),
}

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
    #[error("the claim's hold ran out at {expires_at} and it can no longer be redeemed; nothing was written", expires_at = expires_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))]
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
    #[error("campaign `{id}` ends at {ends_at}: an extension must end later; nothing was written", ends_at = ends_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))]
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
    /// Pause, resume or extend of an ended campaign.
    #[error("campaign `{id}` has ended and cannot be {action}; nothing was written")]
    Ended {
        /// The campaign.
        id: CampaignId,
        /// What was asked (`paused`, `resumed`, `extended`).
        action: &'static str,
    },
    /// Pause of a paused campaign, resume of a running one.
    #[error("campaign `{id}` is {state}; nothing was written")]
    AlreadyThere {
        /// The campaign.
        id: CampaignId,
        /// `already paused` or `not paused`.
        state: &'static str,
    },
}

/// Why a request on a claim is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// No campaign has that id.
    CampaignNotFound,
    /// The campaign has no such claim (an unknown token, another campaign's token, a user
    /// without a claim, or a token that is not the caller's).
    ClaimNotFound,
    /// The checkout cart is below the campaign's minimum.
    NotEligible {
        /// The minimum.
        min_cart: Cents,
    },
    /// The claim's state forbids it.
    Conflict(Conflict),
}

/// What a request on a claim comes to, decided by the domain, carried out by a store.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per request, moved a few times: boxing buys nothing
pub enum Verdict {
    /// Write the claim as it is now (`after`), with the event `kind`; the claim was `before`.
    Change {
        /// The claim as read.
        before: Claim,
        /// The claim to write.
        after: Claim,
        /// The event to append with it.
        kind: EventKind,
    },
    /// The same request already happened: answer this claim, write nothing.
    Replay(Claim),
    /// Write nothing and answer the refusal.
    Refuse(ClaimRefusal),
}

impl Verdict {
    /// Whether a unit goes back to inventory when this verdict is carried out.
    #[must_use]
    pub fn returns_unit(&self) -> bool {
        match self {
            Verdict::Change { before, after, .. } => {
                before.status.holds_unit() && !after.status.holds_unit()
            }
            _ => false,
        }
    }

    /// The answer a caller sees.
    ///
    /// # Errors
    /// The [`ClaimRefusal`] of a [`Verdict::Refuse`].
    pub fn into_outcome(self) -> Result<Transition, ClaimRefusal> {
        match self {
            Verdict::Change { after, .. } => Ok(Transition::Changed(after)),
            Verdict::Replay(claim) => Ok(Transition::Replayed(claim)),
            Verdict::Refuse(refusal) => Err(refusal),
        }
    }
}

/// A carried-out request on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The claim changed; this is it now.
    Changed(Claim),
    /// The same request had already been carried out; this is the claim, unchanged.
    Replayed(Claim),
}

impl Transition {
    /// The claim.
    #[must_use]
    pub fn claim(&self) -> &Claim {
        match self {
            Transition::Changed(claim) | Transition::Replayed(claim) => claim,
        }
    }

    /// Whether it replayed.
    #[must_use]
    pub fn replayed(&self) -> bool {
        matches!(self, Transition::Replayed(_))
    }
}

/// A redeem at checkout.
#[derive(Clone, Debug)]
pub struct RedeemAttempt {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The token presented.
    pub token: ClaimToken,
    /// When a shopper redeems through the API, the verified user: a token of anyone else is
    /// answered as unknown. `None` for an operator.
    pub owner: Option<UserId>,
    /// The order.
    pub order_id: OrderId,
    /// The checkout cart.
    pub cart: Cents,
    /// Who and when.
    pub stamp: Stamp,
}

impl RedeemAttempt {
    /// Decides the redeem from the claim the token names on the campaign (if any) and the
    /// campaign. Order: not found, replay (same order), conflicts, eligibility, then redeem.
    #[must_use]
    pub fn decide(&self, claim: Option<&Claim>, campaign: Option<&Campaign>) -> Verdict {
        let Some(campaign) = campaign else {
            return Verdict::Refuse(ClaimRefusal::CampaignNotFound);
        };
        let Some(claim) = claim.filter(|c| {
            c.token == self.token
                && c.campaign_id == self.campaign_id
                && self.owner.as_ref().is_none_or(|owner| *owner == c.user_id)
        }) else {
            return Verdict::Refuse(ClaimRefusal::ClaimNotFound);
        };
        match (&claim.status, &claim.redemption) {
            (ClaimStatus::Redeemed, Some(r)) if r.order_id == self.order_id => {
                return Verdict::Replay(claim.clone());
            }
            (ClaimStatus::Redeemed, Some(r)) => {
                return Verdict::Refuse(ClaimRefusal::Conflict(
                    Conflict::RedeemedForAnotherOrder {
                        order_id: r.order_id.clone(),
                    },
                ));
            }
            (ClaimStatus::Claimed, _) => {}
            (status, _) => {
                return Verdict::Refuse(ClaimRefusal::Conflict(Conflict::NotRedeemable {
                    status: *status,
                }));
            }
        }
        if let Some(expires_at) = claim.expires_at.filter(|at| self.stamp.at > *at) {
            return Verdict::Refuse(ClaimRefusal::Conflict(Conflict::HoldRanOut { expires_at }));
        }
        let Some(discount) = campaign.rule.discount_for(self.cart) else {
            return Verdict::Refuse(ClaimRefusal::NotEligible {
                min_cart: campaign.rule.min_cart,
            });
        };
        let mut after = claim.clone();
        after.status = ClaimStatus::Redeemed;
        after.redemption = Some(Redemption {
            order_id: self.order_id.clone(),
            cart: self.cart,
            discount,
            redeemed_at: self.stamp.at,
        });
        let kind = EventKind::ClaimRedeemed {
            user_id: claim.user_id.clone(),
            order_id: self.order_id.clone(),
            cart: self.cart,
            discount,
        };
        Verdict::Change {
            before: claim.clone(),
            after,
            kind,
        }
    }
}

/// An operator's void.
#[derive(Clone, Debug)]
pub struct VoidAttempt {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Which claim.
    pub key: ClaimKey,
    /// Why (recorded in the event).
    pub reason: Option<String>,
    /// Who and when.
    pub stamp: Stamp,
}

impl VoidAttempt {
    /// Decides the void from the claim the key names (if any) and whether the campaign exists.
    /// A voided claim replays (a retried void returns no second unit).
    #[must_use]
    pub fn decide(&self, claim: Option<&Claim>, campaign_exists: bool) -> Verdict {
        if !campaign_exists {
            return Verdict::Refuse(ClaimRefusal::CampaignNotFound);
        }
        let Some(claim) = claim.filter(|c| {
            c.campaign_id == self.campaign_id
                && match &self.key {
                    ClaimKey::User(user) => c.user_id == *user,
                    ClaimKey::Token(token) => c.token == *token,
                }
        }) else {
            return Verdict::Refuse(ClaimRefusal::ClaimNotFound);
        };
        match claim.status {
            ClaimStatus::Voided => Verdict::Replay(claim.clone()),
            ClaimStatus::Expired => Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidExpired)),
            ClaimStatus::Redeemed => {
                Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidRedeemed {
                    order_id: claim
                        .redemption
                        .as_ref()
                        .map_or_else(|| OrderId(String::from("?")), |r| r.order_id.clone()),
                }))
            }
            ClaimStatus::Claimed => {
                let mut after = claim.clone();
                after.status = ClaimStatus::Voided;
                Verdict::Change {
                    before: claim.clone(),
                    after,
                    kind: EventKind::ClaimVoided {
                        user_id: claim.user_id.clone(),
                        reason: self.reason.clone(),
                    },
                }
            }
        }
    }
}

impl Claim {
    /// The expiry sweep's decision on this claim at `now`: the expired claim and its event
    /// when it is `claimed` and past its hold, `None` otherwise (a sweep that finds nothing
    /// writes nothing, so running it twice is harmless).
    #[must_use]
    pub fn expire(&self, now: DateTime<Utc>) -> Option<Verdict> {
        let expires_at = self.expires_at?;
        if self.status != ClaimStatus::Claimed || now <= expires_at {
            return None;
        }
        let mut after = self.clone();
        after.status = ClaimStatus::Expired;
        Some(Verdict::Change {
            before: self.clone(),
            after,
            kind: EventKind::ClaimExpired {
                user_id: self.user_id.clone(),
                expires_at,
            },
        })
    }
}

/// An operator's change to a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CampaignChange {
    /// Stop new claims for now (replays and redeems still work).
    Pause,
    /// Accept new claims again.
    Resume,
    /// Move the end later.
    Extend {
        /// The new end.
        ends_at: DateTime<Utc>,
    },
    /// Stop the campaign for good, from now on (an earlier stop is kept).
    End,
    /// Restock.
    AddInventory(Units),
    /// Take units off sale; never below what claims hold.
    RemoveInventory(Units),
}

impl CampaignChange {
    /// Decides the change on `campaign` as read inside the store's atomic step: the campaign
    /// as it must be written, and the event to append with it; no event when nothing changes
    /// (ending an ended campaign), and then the store writes nothing.
    ///
    /// # Errors
    /// [`Conflict`] when the campaign's state forbids it; [`Invalid`] is never returned here
    /// (values are checked where they enter).
    pub fn apply(
        &self,
        campaign: &Campaign,
        now: DateTime<Utc>,
    ) -> Result<(Campaign, Option<EventKind>), ChangeRefusal> {
        let id = &campaign.id;
        let ended = campaign.state(now) == CampaignState::Ended;
        let mut after = campaign.clone();
        let kind = match self {
            CampaignChange::Pause | CampaignChange::Resume => {
                let pause = *self == CampaignChange::Pause;
                if ended {
                    return Err(ChangeRefusal::Conflict(Conflict::Ended {
                        id: id.clone(),
                        action: if pause { "paused" } else { "resumed" },
                    }));
                }
                if campaign.paused == pause {
                    return Err(ChangeRefusal::Conflict(Conflict::AlreadyThere {
                        id: id.clone(),
                        state: if pause {
                            "already paused"
                        } else {
                            "not paused"
                        },
                    }));
                }
                after.paused = pause;
                if pause {
                    EventKind::CampaignPaused
                } else {
                    EventKind::CampaignResumed
                }
            }
            CampaignChange::Extend { ends_at } => {
                if ended {
                    return Err(ChangeRefusal::Conflict(Conflict::Ended {
                        id: id.clone(),
                        action: "extended",
                    }));
                }
                if *ends_at <= campaign.window.ends_at {
                    return Err(ChangeRefusal::Conflict(Conflict::NotLater {
                        id: id.clone(),
                        ends_at: campaign.window.ends_at,
                    }));
                }
                after.window.ends_at = *ends_at;
                EventKind::CampaignExtended {
                    ends_at_before: campaign.window.ends_at,
                    ends_at_after: *ends_at,
                }
            }
            CampaignChange::End => {
                if campaign.ended_at.is_some() {
                    // Already stopped: the first stop is kept and nothing changes.
                    return Ok((after, None));
                }
                after.ended_at = Some(now);
                EventKind::CampaignEnded { ended_at: now }
            }
            CampaignChange::AddInventory(units) => {
                if campaign.total > units.restock_ceiling() {
                    return Err(ChangeRefusal::InventoryLimit);
                }
                after.total += units.get();
                after.remaining += units.get();
                EventKind::InventoryAdded {
                    units: units.get(),
                    total_before: campaign.total,
                    total_after: after.total,
                }
            }
            CampaignChange::RemoveInventory(units) => {
                if campaign.remaining < units.get() {
                    return Err(ChangeRefusal::Conflict(Conflict::BelowHeld {
                        id: id.clone(),
                        units: units.get(),
                        remaining: campaign.remaining,
                    }));
                }
                if campaign.total <= units.get() {
                    return Err(ChangeRefusal::Conflict(Conflict::NothingLeft {
                        id: id.clone(),
                        total: campaign.total,
                    }));
                }
                after.total -= units.get();
                after.remaining -= units.get();
                EventKind::InventoryRemoved {
                    units: units.get(),
                    total_before: campaign.total,
                    total_after: after.total,
                }
            }
        };
        Ok((after, Some(kind)))
    }
}

/// Why a [`CampaignChange`] is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// The state forbids it.
    Conflict(Conflict),
    /// A restock would pass [`MAX_INVENTORY`](super::MAX_INVENTORY).
    InventoryLimit,
}

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
        reason: Option<String>,
    },
    /// A claim expired; its unit returned.
    ClaimExpired {
        /// Its user.
        user_id: UserId,
        /// When its hold ran out.
        expires_at: DateTime<Utc>,
    },
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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

/// Which events to read: after a sequence number, optionally of one campaign and from an
/// instant on, at most `limit` of them, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this campaign's.
    pub campaign: Option<CampaignId>,
    /// Only events with a larger sequence number (0 for all).
    pub after_seq: i64,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: usize,
}

/// Which claims an export page holds: a campaign's claims in user id order (bytewise), after
/// `after` (exclusive), optionally of one status, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPage {
    /// The campaign.
    pub campaign: CampaignId,
    /// Only this status.
    pub status: Option<ClaimStatus>,
    /// The last user id of the previous page.
    pub after: Option<UserId>,
    /// Page size.
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClaimAttempt, Currency, NewCampaign, Percent};

    const START: i64 = 1_800_000_000_000;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(START + millis).unwrap()
    }

    fn stamp(now: i64) -> Stamp {
        Stamp {
            actor: Actor::parse("ops").unwrap(),
            at: at(now),
        }
    }

    fn campaign(hold: Option<i64>) -> Campaign {
        NewCampaign {
            id: CampaignId::parse("spring").unwrap(),
            name: "Spring".into(),
            inventory: Units::new(3).unwrap(),
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: Cents::new(50_00).unwrap(),
            min_cart: Cents::new(20_00).unwrap(),
            currency: Currency::default(),
            starts_at: at(0),
            ends_at: at(100_000),
            hold: hold.map(|s| Hold::from_seconds(s).unwrap()),
        }
        .validate(at(-1))
        .unwrap()
    }

    fn claim(campaign: &Campaign) -> Claim {
        let attempt = ClaimAttempt {
            campaign_id: campaign.id.clone(),
            user_id: UserId::parse("ana").unwrap(),
            cart: Cents::new(30_00).unwrap(),
            now: at(10),
        };
        attempt.grant_in(campaign, Cents::new(3_00).unwrap(), ClaimToken::random())
    }

    fn redeem(claim: &Claim, order: &str, cart: i64, now: i64) -> RedeemAttempt {
        RedeemAttempt {
            campaign_id: claim.campaign_id.clone(),
            token: claim.token.clone(),
            owner: None,
            order_id: OrderId::parse(order).unwrap(),
            cart: Cents::new(cart).unwrap(),
            stamp: stamp(now),
        }
    }

    fn after(verdict: Verdict) -> Claim {
        match verdict {
            Verdict::Change { after, .. } => after,
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn redeem_reprices_replays_the_same_order_and_refuses_another() {
        let c = campaign(None);
        let claimed = claim(&c);
        let redeemed = after(redeem(&claimed, "o-1", 40_00, 20).decide(Some(&claimed), Some(&c)));
        assert_eq!(redeemed.status, ClaimStatus::Redeemed);
        let r = redeemed.redemption.clone().unwrap();
        assert_eq!(
            (r.cart.get(), r.discount.get(), r.redeemed_at),
            (40_00, 4_00, at(20))
        );
        assert_eq!(
            redeem(&redeemed, "o-1", 99_00, 30).decide(Some(&redeemed), Some(&c)),
            Verdict::Replay(redeemed.clone())
        );
        assert_eq!(
            redeem(&redeemed, "o-2", 40_00, 30).decide(Some(&redeemed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::RedeemedForAnotherOrder {
                order_id: OrderId::parse("o-1").unwrap()
            }))
        );
        assert_eq!(
            redeem(&claimed, "o-1", 19_99, 20).decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::NotEligible {
                min_cart: Cents::new(20_00).unwrap()
            })
        );
    }

    #[test]
    fn redeem_refuses_unknown_foreign_and_released_claims() {
        let c = campaign(None);
        let claimed = claim(&c);
        let mut forged = redeem(&claimed, "o", 40_00, 20);
        forged.token = ClaimToken::from_stored("forged".into());
        assert_eq!(
            forged.decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        let mut stranger = redeem(&claimed, "o", 40_00, 20);
        stranger.owner = Some(UserId::parse("bob").unwrap());
        assert_eq!(
            stranger.decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            redeem(&claimed, "o", 40_00, 20).decide(None, Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            redeem(&claimed, "o", 40_00, 20).decide(Some(&claimed), None),
            Verdict::Refuse(ClaimRefusal::CampaignNotFound)
        );
        for status in [ClaimStatus::Voided, ClaimStatus::Expired] {
            let mut gone = claimed.clone();
            gone.status = status;
            assert_eq!(
                redeem(&gone, "o", 40_00, 20).decide(Some(&gone), Some(&c)),
                Verdict::Refuse(ClaimRefusal::Conflict(Conflict::NotRedeemable { status }))
            );
        }
    }

    #[test]
    fn a_hold_runs_out_after_its_last_instant_before_any_sweep() {
        let c = campaign(Some(60));
        let claimed = claim(&c);
        let expires_at = claimed.expires_at.unwrap();
        assert_eq!(expires_at, at(10 + 60_000));
        let last = 10 + 60_000;
        assert!(matches!(
            redeem(&claimed, "o", 40_00, last).decide(Some(&claimed), Some(&c)),
            Verdict::Change { .. }
        ));
        assert_eq!(
            redeem(&claimed, "o", 40_00, last + 1).decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::HoldRanOut { expires_at }))
        );
        assert_eq!(claimed.expire(at(last)), None);
        let expired = after(claimed.expire(at(last + 1)).unwrap());
        assert_eq!(expired.status, ClaimStatus::Expired);
        assert_eq!(
            expired.expire(at(last + 2)),
            None,
            "a second sweep does nothing"
        );
        assert_eq!(claim(&campaign(None)).expire(at(i64::from(i32::MAX))), None);
    }

    #[test]
    fn void_returns_one_unit_once_and_never_touches_a_redeemed_claim() {
        let c = campaign(None);
        let claimed = claim(&c);
        let void = |key: ClaimKey| VoidAttempt {
            campaign_id: c.id.clone(),
            key,
            reason: Some("fraud".into()),
            stamp: stamp(20),
        };
        let by_user = void(ClaimKey::User(claimed.user_id.clone()));
        let verdict = by_user.decide(Some(&claimed), true);
        assert!(verdict.returns_unit());
        let voided = after(verdict);
        assert_eq!(voided.status, ClaimStatus::Voided);
        let again = by_user.decide(Some(&voided), true);
        assert!(!again.returns_unit());
        assert_eq!(again, Verdict::Replay(voided));
        let redeemed = after(redeem(&claimed, "o-9", 40_00, 20).decide(Some(&claimed), Some(&c)));
        assert_eq!(
            void(ClaimKey::Token(claimed.token.clone())).decide(Some(&redeemed), true),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidRedeemed {
                order_id: OrderId::parse("o-9").unwrap()
            }))
        );
        assert_eq!(
            void(ClaimKey::Token(ClaimToken::from_stored("x".into()))).decide(Some(&claimed), true),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            by_user.decide(Some(&claimed), false),
            Verdict::Refuse(ClaimRefusal::CampaignNotFound)
        );
    }

    #[test]
    fn campaign_changes_refuse_what_the_state_forbids() {
        let c = campaign(None);
        let (paused, kind) = CampaignChange::Pause.apply(&c, at(5)).unwrap();
        assert!(paused.paused);
        assert_eq!(kind, Some(EventKind::CampaignPaused));
        assert_eq!(paused.state(at(5)), CampaignState::Paused);
        assert!(matches!(
            CampaignChange::Pause.apply(&paused, at(5)),
            Err(ChangeRefusal::Conflict(Conflict::AlreadyThere { .. }))
        ));
        let (ended, _) = CampaignChange::End.apply(&c, at(5)).unwrap();
        assert_eq!(ended.ended_at, Some(at(5)));
        let (still, nothing) = CampaignChange::End.apply(&ended, at(9)).unwrap();
        assert_eq!(still.ended_at, Some(at(5)), "an earlier stop is kept");
        assert_eq!((still, nothing), (ended.clone(), None));
        for change in [
            CampaignChange::Pause,
            CampaignChange::Resume,
            CampaignChange::Extend {
                ends_at: at(200_000),
            },
        ] {
            assert!(matches!(
                change.apply(&ended, at(6)),
                Err(ChangeRefusal::Conflict(Conflict::Ended { .. }))
            ));
        }
        assert!(matches!(
            CampaignChange::Extend {
                ends_at: at(100_000)
            }
            .apply(&c, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::NotLater { .. }))
        ));
        let (longer, _) = CampaignChange::Extend {
            ends_at: at(100_001),
        }
        .apply(&c, at(6))
        .unwrap();
        assert_eq!(longer.window.ends_at, at(100_001));
        let mut held = c.clone();
        held.take_unit();
        held.take_unit();
        assert!(matches!(
            CampaignChange::RemoveInventory(Units::new(2).unwrap()).apply(&held, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::BelowHeld {
                remaining: 1,
                ..
            }))
        ));
        assert!(matches!(
            CampaignChange::RemoveInventory(Units::new(3).unwrap()).apply(&c, at(6)),
            Err(ChangeRefusal::Conflict(Conflict::NothingLeft {
                total: 3,
                ..
            }))
        ));
        let (fewer, _) = CampaignChange::RemoveInventory(Units::new(1).unwrap())
            .apply(&held, at(6))
            .unwrap();
        assert_eq!(
            (fewer.total(), fewer.remaining(), fewer.claimed()),
            (2, 0, 2)
        );
    }

    #[test]
    fn a_paused_campaign_refuses_new_claims_as_not_live_paused() {
        let mut c = campaign(None);
        c.paused = true;
        assert_eq!(
            c.admit(at(5), Cents::new(30_00).unwrap()),
            Err(crate::domain::Refusal::NotLive(CampaignState::Paused))
        );
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(OrderId::parse("o-1").is_ok());
        assert!(OrderId::parse("").is_err());
        assert!(OrderId::parse(" o").is_err());
        assert!(OrderId::parse(&"o".repeat(129)).is_err());
        assert!(Actor::parse("a\u{7}").is_err());
        assert!(Hold::from_seconds(0).is_err());
        assert!(Hold::from_seconds(Hold::MAX_SECONDS + 1).is_err());
        assert_eq!(ClaimStatus::parse("voided"), Ok(ClaimStatus::Voided));
        assert!(ClaimStatus::parse("Voided").is_err());
    }
}
