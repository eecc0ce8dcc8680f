//! The operations the claim's lifecycle, the operator's changes and the events log use, over
//! and above [`CampaignOps`]: each one command on one document (or one query), nothing
//! decided here.

use std::future::Future;

use mongodb::bson;

use super::docs::{CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status};
use super::ops::CampaignOps;
use crate::domain::{BucketWidth, SaleCounts};
use crate::store::StoreError;

/// The document a pending event rides in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// A campaign document, by id.
    Campaign(String),
    /// A claim document, by its shard key (`campaign_id`, `user_id`).
    Claim(String, String),
}

/// A campaign's schedule as an operator's pause, resume or extend sees and writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Schedule {
    pub paused: bool,
    pub ends_at: bson::DateTime,
}

/// Which events a read takes (see [`LifecycleOps::events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct EventFilter {
    pub campaign: Option<String>,
    pub after_seq: i64,
    pub since: Option<bson::DateTime>,
    pub limit: i64,
}

/// What appending an event to the log did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Appended {
    /// It is in the log now.
    Yes,
    /// Another event took that position first: take the next one.
    PositionTaken,
    /// The entry was copied before (a retried or concurrent copy): nothing to do.
    AlreadyCopied,
}

/// The lifecycle's operations. Claim writes are addressed like the claim algorithm's: by
/// (`campaign_id`, `user_id`) plus the token, never by token alone.
pub(super) trait LifecycleOps: CampaignOps {
    /// `claims.findOne({campaign_id, token})` (the non-unique index on (`campaign_id`,
    /// `token`)); a reservation is no claim and reads as `None`.
    fn find_claim_by_token(
        &self,
        campaign: &str,
        token: &str,
    ) -> impl Future<Output = Result<Option<ClaimDoc>, StoreError>> + Send;

    /// A claim's transition: `claims.updateOne({campaign_id, user_id, token, status}, {$set:
    /// {status, order_id, redeemed_*, voided_at, void_reason, expired_at, returning} of after,
    /// $push: {pending: event}})` with
    /// `status` the one read (`None`, without it, only for the test-only
    /// `Defect::TransitionWithoutStatus`). `true` when it matched: exactly one of racing
    /// callers gets it.
    fn move_claim(
        &self,
        before: &ClaimDoc,
        status: Option<Status>,
        after: &ClaimDoc,
        event: &PendingEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A voided or expired claim's unit back: `campaigns.updateOne({_id, returns: {$ne:
    /// token}}, {$inc: {remaining: 1, held: -1, epoch: 1}, $push: {returns: token (the last
    /// few kept)}})`. `true` when it matched; a second call for one token matches nothing.
    /// `keep_held` (true only for the test-only `Defect::ReturnKeepsHeld`) leaves `held` out
    /// of the update.
    fn return_unit(
        &self,
        campaign: &str,
        token: &str,
        keep_held: bool,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The return is done: `claims.updateOne({campaign_id, user_id, token}, {$set:
    /// {returning: false}})`.
    fn returned(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `claims.find({campaign_id, returning: true}).limit(limit)`: returns a crash left
    /// unfinished.
    fn returning(
        &self,
        campaign: &str,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ClaimDoc>, StoreError>> + Send;

    /// `claims.find({campaign_id, status: claimed, expires_at < now}).limit(limit)`.
    fn due(
        &self,
        campaign: &str,
        now: bson::DateTime,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ClaimDoc>, StoreError>> + Send;

    /// Pause, resume, extend: `campaigns.updateOne({_id, ended: false, paused, ends_at} =
    /// seen, {$set: {paused, ends_at} = to, $push: {pending: event}})`. `true` when it matched.
    fn reschedule(
        &self,
        id: &str,
        seen: Schedule,
        to: Schedule,
        event: &PendingEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `campaigns.findOneAndUpdate({_id, remaining >= units, total > units, ops != op},
    /// {$inc: {total: -units, remaining: -units}, $push: {ops: op, pending: event}})`, the
    /// document after; `None` when nothing matched. Like a restock, `op` makes a retry safe.
    fn remove_inventory(
        &self,
        id: &str,
        units: i64,
        op: &str,
        event: &PendingEvent,
    ) -> impl Future<Output = Result<Option<CampaignDoc>, StoreError>> + Send;

    /// `claims.find({campaign_id, status (any claim's when none), user_id > after})
    /// .sort({user_id: 1}).limit(limit)`: one page of an export, by the unique index.
    fn claims_page(
        &self,
        campaign: &str,
        status: Option<Status>,
        after: Option<&str>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ClaimDoc>, StoreError>> + Send;

    /// The report's counts of a campaign's claims: `claims.find({campaign_id, status: {$ne:
    /// reserving}}, {projection: TallyRow::FIELDS}).sort({claimed_at: 1})`, through the
    /// (`campaign_id`, `claimed_at`) index (so the server sorts nothing in memory), folded
    /// into a [`SaleTally`](crate::domain::SaleTally) as the cursor goes: no claim is held beyond the one being counted.
    fn tally(
        &self,
        campaign: &str,
        width: BucketWidth,
    ) -> impl Future<Output = Result<SaleCounts, StoreError>> + Send;

    /// The pending events of a campaign (of every campaign when `None`), with the document
    /// each rides in.
    fn pending(
        &self,
        campaign: Option<&str>,
    ) -> impl Future<Output = Result<Vec<(Source, PendingEvent)>, StoreError>> + Send;

    /// The position after the log's last event: `events.find().sort({_id: -1}).limit(1)`, plus
    /// one (1 for an empty log).
    fn next_seq(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// `events.insertOne(doc)`, refused by the unique `_id` (the position) or the unique
    /// `entry`; which one, a look at `entry` tells.
    fn insert_event(
        &self,
        doc: &EventDoc,
    ) -> impl Future<Output = Result<Appended, StoreError>> + Send;

    /// Removes a copied entry from its document: `updateOne(source, {$pull: {pending: {id}}})`.
    fn unpend(
        &self,
        source: &Source,
        id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `events.find({_id > after_seq[, campaign_id][, at >= since]}).sort({_id: 1})
    /// .limit(limit)`.
    fn events(
        &self,
        filter: &EventFilter,
    ) -> impl Future<Output = Result<Vec<EventDoc>, StoreError>> + Send;
}
