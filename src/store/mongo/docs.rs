//! The BSON documents the `MongoDB` store keeps, and their translation to domain types.
//!
//! These types never leave `store::mongo`: the rest of the crate sees only domain types.

use chrono::{DateTime, Utc};
use mongodb::bson;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Campaign, CampaignId, Cents, Claim, ClaimToken, Currency, DiscountRule, Percent, UserId, Window,
};
use crate::store::StoreError;

/// A document of the `campaigns` collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct CampaignDoc {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub starts_at: bson::DateTime,
    pub ends_at: bson::DateTime,
    /// Stopped by an operator; kept next to `ended_at` so the reserve filter is an equality.
    pub ended: bool,
    pub ended_at: Option<bson::DateTime>,
    pub total: i64,
    pub remaining: i64,
    /// Bumped by every repair `inventory reconcile` writes, so a reconcile can tell "nothing
    /// changed since I read" from "someone put `remaining` back to the value I read" (ABA).
    #[serde(default)]
    pub epoch: i64,
    pub percent_bps: i32,
    pub max_discount_cents: i64,
    pub min_cart_cents: i64,
    pub currency: String,
    pub created_at: bson::DateTime,
}

/// Where a claim document stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Status {
    /// Written before the unit is reserved; may or may not hold a unit. Not a claim.
    Reserving,
    /// Holds a unit; the claim the user was (or will be, on replay) told about.
    Claimed,
}

/// A document of the `claims` collection. `_id` is left to the server (an `ObjectId`);
/// documents are addressed by their unique `token`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ClaimDoc {
    pub campaign_id: String,
    pub user_id: String,
    pub token: String,
    pub discount_cents: i64,
    pub cart_cents: i64,
    pub claimed_at: bson::DateTime,
    pub status: Status,
    /// Wall-clock instant the document was written, by the writer's clock: the start of its
    /// lease (see `claim.rs`).
    pub created_at: bson::DateTime,
}

/// A chrono instant as a BSON date (millisecond precision, like every store).
pub(super) fn date(instant: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_millis(instant.timestamp_millis())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::backend(
        "reading a document",
        std::io::Error::other(format!("stored {what} is not valid")),
    )
}

fn instant(value: bson::DateTime) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(value.timestamp_millis()).ok_or_else(|| corrupt("timestamp"))
}

fn cents(value: i64) -> Result<Cents, StoreError> {
    Cents::new(value).map_err(|_| corrupt("amount"))
}

impl CampaignDoc {
    /// The document a new campaign is stored as.
    pub fn new(campaign: &Campaign) -> Self {
        CampaignDoc {
            id: campaign.id.as_str().to_owned(),
            name: campaign.name.clone(),
            starts_at: date(campaign.window.starts_at),
            ends_at: date(campaign.window.ends_at),
            ended: campaign.ended_at.is_some(),
            ended_at: campaign.ended_at.map(date),
            total: campaign.total,
            remaining: campaign.remaining,
            epoch: 0,
            percent_bps: i32::from(campaign.rule.percent.bps()),
            max_discount_cents: campaign.rule.max_discount.get(),
            min_cart_cents: campaign.rule.min_cart.get(),
            currency: campaign.currency.as_str().to_owned(),
            created_at: date(campaign.created_at),
        }
    }

    /// The domain campaign, with `claimed` counted by the caller (the number of `claimed`
    /// claim documents; see `mod.rs`).
    pub fn into_domain(self, claimed: i64) -> Result<Campaign, StoreError> {
        Ok(Campaign {
            id: CampaignId::parse(&self.id).map_err(|_| corrupt("campaign id"))?,
            name: self.name,
            window: Window {
                starts_at: instant(self.starts_at)?,
                ends_at: instant(self.ends_at)?,
            },
            rule: DiscountRule {
                percent: u16::try_from(self.percent_bps)
                    .ok()
                    .and_then(|bps| Percent::from_bps(bps).ok())
                    .ok_or_else(|| corrupt("percent"))?,
                max_discount: cents(self.max_discount_cents)?,
                min_cart: cents(self.min_cart_cents)?,
            },
            currency: Currency::parse(&self.currency).map_err(|_| corrupt("currency"))?,
            total: self.total,
            claimed,
            remaining: self.remaining,
            ended_at: match (self.ended, self.ended_at) {
                (true, Some(at)) => Some(instant(at)?),
                (true, None) => Some(instant(self.ends_at)?),
                (false, _) => None,
            },
            created_at: instant(self.created_at)?,
        })
    }
}

impl ClaimDoc {
    /// A `reserving` document for `claim`, whose lease starts at `now`.
    pub fn reserving(claim: &Claim, now: DateTime<Utc>) -> Self {
        ClaimDoc {
            campaign_id: claim.campaign_id.as_str().to_owned(),
            user_id: claim.user_id.as_str().to_owned(),
            token: claim.token.as_str().to_owned(),
            discount_cents: claim.discount.get(),
            cart_cents: claim.cart.get(),
            claimed_at: date(claim.claimed_at),
            status: Status::Reserving,
            created_at: date(now),
        }
    }

    /// The domain claim this document records.
    pub fn to_claim(&self) -> Result<Claim, StoreError> {
        Ok(Claim {
            campaign_id: CampaignId::parse(&self.campaign_id)
                .map_err(|_| corrupt("campaign id"))?,
            user_id: UserId::parse(&self.user_id).map_err(|_| corrupt("user id"))?,
            token: ClaimToken::from_stored(self.token.clone()),
            discount: cents(self.discount_cents)?,
            cart: cents(self.cart_cents)?,
            claimed_at: instant(self.claimed_at)?,
        })
    }
}
