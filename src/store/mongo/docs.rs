//! The BSON documents the `MongoDB` store keeps, and their translation to domain types.
//!
//! These types never leave `store::mongo`: the rest of the crate sees only domain types.

use chrono::{DateTime, Utc};
use mongodb::bson;
use serde::{Deserialize, Serialize};

use super::ops::Seen;
use crate::domain::{
    Campaign, CampaignId, CampaignRecord, Claim, ClaimRecord, ClaimStatus, Corrupt, Event,
    EventKind, SaleTally, Stamp,
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
    /// Units taken from `remaining` and not given back: claims holding a unit, plus units a
    /// claim in flight has taken before its confirmation or a crash has stranded (until
    /// `inventory reconcile --apply`). Moved by the very updates that move `remaining` (a
    /// claim's decrement, a return, reconcile's repair), so a campaign read needs no count of
    /// the claims. Absent in documents written before it existed: read as `total - remaining`,
    /// which is what it would hold (see [`CampaignDoc::held`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<i64>,
    /// Bumped by every repair `inventory reconcile` writes, so a reconcile can tell "nothing
    /// changed since I read" from "someone put `remaining` back to the value I read" (ABA).
    #[serde(default)]
    pub epoch: i64,
    /// The operation ids of the latest restocks, recorded by the restock's own update so a
    /// retry of one can tell that it was already applied (see `CampaignOps::add_inventory`).
    #[serde(default)]
    pub ops: Vec<String>,
    pub percent_bps: i32,
    pub max_discount_cents: i64,
    pub min_cart_cents: i64,
    pub currency: String,
    pub created_at: bson::DateTime,
    /// Paused by an operator (absent in documents written before pausing existed).
    #[serde(default)]
    pub paused: bool,
    /// The hold of its claims, in seconds.
    #[serde(default)]
    pub hold_seconds: Option<i64>,
    /// The tokens of the latest voided or expired claims whose unit came back, recorded by the
    /// return's own update so that finishing a return twice cannot add two units (see
    /// `lifecycle.rs`).
    #[serde(default)]
    pub returns: Vec<String>,
    /// Events of changes to this document not yet copied to the `events` collection (see
    /// `lifecycle.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingEvent>,
}

/// An event riding in the update of the document it describes, until it is copied to the
/// `events` collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct PendingEvent {
    /// Unique; the copy's `_id`, so copying it twice stores it once.
    pub id: String,
    pub at: bson::DateTime,
    pub actor: String,
    pub campaign_id: String,
    pub action: String,
    /// The details as JSON text, read back exactly as written.
    pub details: String,
}

/// A document of the `events` collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct EventDoc {
    /// Its position in the log, taken when it is copied: the `_id`, so no two events share one.
    #[serde(rename = "_id")]
    pub seq: i64,
    /// The pending entry's id, unique (an index): one entry is copied once.
    pub entry: String,
    pub at: bson::DateTime,
    pub actor: String,
    pub campaign_id: String,
    pub action: String,
    pub details: String,
}

impl PendingEvent {
    /// The entry for `kind` on campaign `campaign`, done by `stamp`.
    pub(super) fn new(campaign: &CampaignId, kind: &EventKind, stamp: &Stamp) -> Self {
        PendingEvent {
            id: crate::random::token(stamp.at).as_str().to_owned(),
            at: date(stamp.at),
            actor: stamp.actor.as_str().to_owned(),
            campaign_id: campaign.as_str().to_owned(),
            action: kind.action().to_owned(),
            details: kind.details().to_string(),
        }
    }

    /// Its copy in the log, at position `seq`.
    pub(super) fn numbered(&self, seq: i64) -> EventDoc {
        EventDoc {
            seq,
            entry: self.id.clone(),
            at: self.at,
            actor: self.actor.clone(),
            campaign_id: self.campaign_id.clone(),
            action: self.action.clone(),
            details: self.details.clone(),
        }
    }
}

#[cfg(test)]
impl PendingEvent {
    /// Any entry, for tests of single operations.
    pub(super) fn for_test() -> Self {
        PendingEvent {
            id: crate::random::token(chrono::DateTime::UNIX_EPOCH)
                .as_str()
                .to_owned(),
            at: bson::DateTime::from_millis(0),
            actor: "test".to_owned(),
            campaign_id: "test".to_owned(),
            action: "test".to_owned(),
            details: "{}".to_owned(),
        }
    }
}

impl EventDoc {
    /// The domain event.
    pub(super) fn to_event(&self) -> Result<Event, StoreError> {
        let details = serde_json::from_str(&self.details)
            .map_err(|err| StoreError::backend("reading an event", err))?;
        Ok(Event {
            seq: self.seq,
            at: DateTime::from_timestamp_millis(self.at.timestamp_millis()).unwrap_or_default(),
            actor: self.actor.clone(),
            campaign_id: self.campaign_id.clone(),
            action: self.action.clone(),
            details,
        })
    }
}

/// Where a claim document stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Status {
    /// Written before the unit is reserved; may or may not hold a unit. Not a claim.
    Reserving,
    /// Holds a unit; the claim the user was (or will be, on replay) told about.
    Claimed,
    /// Used at checkout; holds its unit for good.
    Redeemed,
    /// Voided by an operator; its unit goes back (see `returning`).
    Voided,
    /// Past its hold unredeemed; its unit goes back (see `returning`).
    Expired,
}

impl Status {
    /// The document status of a claim status.
    pub(super) fn of(status: ClaimStatus) -> Self {
        match status {
            ClaimStatus::Claimed => Status::Claimed,
            ClaimStatus::Redeemed => Status::Redeemed,
            ClaimStatus::Voided => Status::Voided,
            ClaimStatus::Expired => Status::Expired,
        }
    }

    /// The claim status; `None` for a reservation, which is no claim.
    pub(super) fn claim_status(self) -> Option<ClaimStatus> {
        match self {
            Status::Reserving => None,
            Status::Claimed => Some(ClaimStatus::Claimed),
            Status::Redeemed => Some(ClaimStatus::Redeemed),
            Status::Voided => Some(ClaimStatus::Voided),
            Status::Expired => Some(ClaimStatus::Expired),
        }
    }

    /// Its name in the documents.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Reserving => "reserving",
            Status::Claimed => "claimed",
            Status::Redeemed => "redeemed",
            Status::Voided => "voided",
            Status::Expired => "expired",
        }
    }
}

/// Whether `doc` holds or may hold a unit: what reconcile counts (see
/// `DocOps::count_claims`).
#[cfg(test)]
pub(super) fn may_hold(doc: &ClaimDoc) -> bool {
    doc.returning
        || matches!(
            doc.status,
            Status::Reserving | Status::Claimed | Status::Redeemed
        )
}

/// `$inc: {held: by}` as the server applies it: a missing field counts from 0.
#[cfg(test)]
pub(super) fn inc_held(doc: &mut CampaignDoc, by: i64) {
    doc.held = Some(doc.held.unwrap_or(0) + by);
}

/// Whether `doc` is a claim holding a unit.
#[cfg(test)]
pub(super) fn holding(doc: &ClaimDoc) -> bool {
    ClaimStatus::HOLDING
        .iter()
        .any(|s| Status::of(*s) == doc.status)
}

/// A document of the `claims` collection. `_id` is left to the server (an `ObjectId`);
/// documents are addressed by (`campaign_id`, `user_id`), unique, plus the `token` where a
/// write must hit one generation of the document and no later one.
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
    /// The campaign's currency, copied when the claim is made.
    #[serde(default)]
    pub currency: Option<String>,
    /// When the claim's hold runs out.
    #[serde(default)]
    pub expires_at: Option<bson::DateTime>,
    /// The redemption: the order, the checkout cart, the discount on it, when.
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub redeemed_cart_cents: Option<i64>,
    #[serde(default)]
    pub redeemed_discount_cents: Option<i64>,
    #[serde(default)]
    pub redeemed_at: Option<bson::DateTime>,
    /// When it was voided and why, and when it expired: set by the transition's own update
    /// (see `LifecycleOps::move_claim`), so a claim voided or expired before they were kept
    /// has none. Absent rather than null until then, so a claim costs no more bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<bson::DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<bson::DateTime>,
    /// Voided or expired, and its unit not yet back in `remaining` (see `lifecycle.rs`).
    #[serde(default)]
    pub returning: bool,
    /// Events of changes to this claim not yet copied to the `events` collection.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingEvent>,
}

/// The fields of a claim document the report reads: the driver's projection, and what the
/// model and the simulation fold from whole documents.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct TallyRow {
    pub status: Status,
    pub claimed_at: bson::DateTime,
    pub discount_cents: i64,
    #[serde(default)]
    pub redeemed_at: Option<bson::DateTime>,
    #[serde(default)]
    pub redeemed_discount_cents: Option<i64>,
}

impl TallyRow {
    /// The fields the driver asks for.
    pub(super) const FIELDS: [&'static str; 5] = [
        "status",
        "claimed_at",
        "discount_cents",
        "redeemed_at",
        "redeemed_discount_cents",
    ];

    /// Counts this claim; a reservation is no claim and counts for nothing.
    pub(super) fn add_to(&self, tally: &mut SaleTally) {
        let Some(status) = self.status.claim_status() else {
            return;
        };
        let instant = |at: bson::DateTime| {
            DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or_default()
        };
        let redeemed = self
            .redeemed_at
            .map(|at| (instant(at), self.redeemed_discount_cents.unwrap_or(0)));
        tally.add(
            status,
            instant(self.claimed_at),
            self.discount_cents,
            redeemed,
        );
    }
}

impl From<&ClaimDoc> for TallyRow {
    fn from(doc: &ClaimDoc) -> Self {
        TallyRow {
            status: doc.status,
            claimed_at: doc.claimed_at,
            discount_cents: doc.discount_cents,
            redeemed_at: doc.redeemed_at,
            redeemed_discount_cents: doc.redeemed_discount_cents,
        }
    }
}

/// A chrono instant as a BSON date (millisecond precision, like every store).
pub(super) fn date(instant: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_millis(instant.timestamp_millis())
}

/// A document the domain refuses to read back (see [`Corrupt`]).
fn corrupt(err: Corrupt) -> StoreError {
    StoreError::backend("reading a document", err)
}

impl CampaignDoc {
    /// The document a new campaign is stored as.
    pub(super) fn new(campaign: &Campaign) -> Self {
        let r = CampaignRecord::from(campaign);
        CampaignDoc {
            id: r.id,
            name: r.name,
            starts_at: bson::DateTime::from_millis(r.starts_at),
            ends_at: bson::DateTime::from_millis(r.ends_at),
            ended: r.ended_at.is_some(),
            ended_at: r.ended_at.map(bson::DateTime::from_millis),
            total: r.total,
            remaining: r.remaining,
            held: Some(r.claimed),
            epoch: 0,
            ops: Vec::new(),
            percent_bps: i32::try_from(r.percent_bps).unwrap_or(i32::MAX),
            max_discount_cents: r.max_discount_cents,
            min_cart_cents: r.min_cart_cents,
            currency: r.currency,
            created_at: bson::DateTime::from_millis(r.created_at),
            paused: r.paused,
            hold_seconds: r.hold_seconds,
            returns: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Units held: the stored count, or for a document written before it was kept,
    /// `total - remaining`. Every update that moves one moves the other (a decrement takes
    /// from `remaining` what it adds to `held`, a return the reverse, a restock or a removal
    /// moves `total` and `remaining` together, reconcile writes both), so `held + remaining ==
    /// total` holds of every document, and the missing value is derived exactly; the first
    /// write that moves it stores it (`DocOps::store_held`).
    pub(super) fn held(&self) -> i64 {
        self.held.unwrap_or(self.total - self.remaining)
    }

    /// The counters a conditional write on this document filters on.
    pub(super) fn seen(&self) -> Seen {
        Seen {
            remaining: self.remaining,
            total: self.total,
            epoch: self.epoch,
        }
    }

    /// The domain campaign, its `claimed` the units held ([`CampaignDoc::held`]): read from
    /// this one document, whatever the number of claims.
    pub(super) fn into_domain(self) -> Result<Campaign, StoreError> {
        let claimed = self.held();
        let ended_at = match (self.ended, self.ended_at) {
            (true, Some(at)) => Some(at.timestamp_millis()),
            (true, None) => Some(self.ends_at.timestamp_millis()),
            (false, _) => None,
        };
        Campaign::try_from(CampaignRecord {
            id: self.id,
            name: self.name,
            starts_at: self.starts_at.timestamp_millis(),
            ends_at: self.ends_at.timestamp_millis(),
            ended_at,
            total: self.total,
            claimed,
            remaining: self.remaining,
            percent_bps: i64::from(self.percent_bps),
            max_discount_cents: self.max_discount_cents,
            min_cart_cents: self.min_cart_cents,
            currency: self.currency,
            created_at: self.created_at.timestamp_millis(),
            paused: self.paused,
            hold_seconds: self.hold_seconds,
        })
        .map_err(corrupt)
    }
}

impl ClaimDoc {
    /// A `reserving` document for `claim`, whose lease starts at `now`.
    pub(super) fn reserving(claim: &Claim, now: DateTime<Utc>) -> Self {
        let r = ClaimRecord::from(claim);
        ClaimDoc {
            campaign_id: r.campaign_id,
            user_id: r.user_id,
            token: r.token,
            discount_cents: r.discount_cents,
            cart_cents: r.cart_cents,
            claimed_at: bson::DateTime::from_millis(r.claimed_at),
            status: Status::Reserving,
            created_at: date(now),
            currency: Some(r.currency),
            expires_at: r.expires_at.map(bson::DateTime::from_millis),
            order_id: None,
            redeemed_cart_cents: None,
            redeemed_discount_cents: None,
            redeemed_at: None,
            voided_at: None,
            void_reason: None,
            expired_at: None,
            returning: false,
            pending: Vec::new(),
        }
    }

    /// `self` changed into `after` (status, redemption, void and expiry; nothing else of a
    /// claim moves).
    pub(super) fn changed_to(&self, after: &Claim) -> Self {
        let r = ClaimRecord::from(after);
        ClaimDoc {
            status: Status::of(after.status),
            order_id: r.order_id,
            redeemed_cart_cents: r.redeemed_cart_cents,
            redeemed_discount_cents: r.redeemed_discount_cents,
            redeemed_at: r.redeemed_at.map(bson::DateTime::from_millis),
            voided_at: r.voided_at.map(bson::DateTime::from_millis),
            void_reason: r.void_reason,
            expired_at: r.expired_at.map(bson::DateTime::from_millis),
            returning: self.returning || !after.status.holds_unit(),
            pending: Vec::new(),
            ..self.clone()
        }
    }

    /// The domain claim this document records.
    pub(super) fn to_claim(&self) -> Result<Claim, StoreError> {
        Claim::try_from(ClaimRecord {
            campaign_id: self.campaign_id.clone(),
            user_id: self.user_id.clone(),
            token: self.token.clone(),
            discount_cents: self.discount_cents,
            cart_cents: self.cart_cents,
            claimed_at: self.claimed_at.timestamp_millis(),
            // A claim document written before claims carried their currency has none: it
            // reads as damaged rather than in a currency it may not be in.
            currency: self.currency.clone().unwrap_or_default(),
            status: self
                .status
                .claim_status()
                .unwrap_or(ClaimStatus::Claimed)
                .as_str()
                .to_owned(),
            expires_at: self.expires_at.map(bson::DateTime::timestamp_millis),
            order_id: self.order_id.clone(),
            redeemed_cart_cents: self.redeemed_cart_cents,
            redeemed_discount_cents: self.redeemed_discount_cents,
            redeemed_at: self.redeemed_at.map(bson::DateTime::timestamp_millis),
            voided_at: self.voided_at.map(bson::DateTime::timestamp_millis),
            void_reason: self.void_reason.clone(),
            expired_at: self.expired_at.map(bson::DateTime::timestamp_millis),
        })
        .map_err(corrupt)
    }
}
