//! The narrow set of single-document operations the `MongoDB` store is written against.
//!
//! Each operation is atomic on its own, exactly as one `MongoDB` command on one document is,
//! and nothing more: no operation spans two documents. The claim algorithm (`claim.rs`) is
//! proved against an in-memory implementation with these semantics (`model.rs`, tests only)
//! and runs in production against the driver (`driver.rs`).

use std::future::Future;

use chrono::{DateTime, Utc};
use mongodb::bson;

use super::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status};
use crate::store::StoreError;

/// What an insert into a collection with unique indexes did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Inserted {
    /// The document was written.
    Yes,
    /// A unique index refused it (`E11000`); nothing was written.
    Duplicate,
}

/// The counters a reconcile read, which its write is conditional on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Seen {
    pub remaining: i64,
    pub total: i64,
    pub epoch: i64,
}

/// How a write is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WriteLevel {
    /// `w: majority, j: true`: acknowledged once a majority of the replica set has it in its
    /// journal, so no election can roll it back.
    MajorityJournaled,
    /// `w: 1`: acknowledged by the primary alone, so an election can roll back a write the
    /// caller was told about. Production uses it for the reservation insert only
    /// ([`Consistency::reservation`], argued in `claim.rs`); tests put it on every write to
    /// show what `majority` prevents.
    Primary,
}

/// Which member answers a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadFrom {
    /// The primary: the member every write goes to.
    Primary,
    /// Any secondary (tests only): possibly lagging, and two reads may go to two
    /// different members.
    #[cfg(test)]
    Secondary,
}

/// What a read may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadLevel {
    /// `readConcern: majority`: only majority-committed data, which no rollback undoes.
    Majority,
    /// `readConcern: local` (tests only): the member's latest data, which a
    /// rollback after an election can undo.
    #[cfg(test)]
    Local,
}

/// Whose clock says "now" for the sale window and the leases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeSource {
    /// The primary's clock ([`DocOps::server_time`]): one clock for every app server.
    Server,
    /// Each app server's own clock (tests only): skewed app
    /// servers disagree about the window and about whose lease ran out.
    #[cfg(test)]
    Client,
}

/// The guarantees the store's operations run with. Set in code, never taken from the
/// connection URL: the algorithms' proofs (`claim.rs`) assume exactly [`Consistency::REQUIRED`],
/// whose one acknowledgement by the primary alone (the reservation insert) is part of the proof,
/// and a URL that asked for less (`w=1`, `readPreference=secondary`, `readConcernLevel=local`)
/// would silently void them. The weaker values exist only in test builds, so a test can show
/// what each guarantee prevents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Consistency {
    /// Every write but the reservation insert.
    pub write: WriteLevel,
    /// The reservation insert of a claim ([`DocOps::insert_claim`]): a later `majority` write
    /// of the same request (its decrement, or the removal of the reservation) makes it
    /// durable, and one lost before that only strands a unit (`claim.rs`).
    pub reservation: WriteLevel,
    /// Every read.
    pub read_from: ReadFrom,
    /// Every read (all of them feed a decision: a claim, a refusal, a repair, a report).
    pub read_level: ReadLevel,
    /// The window and lease checks.
    pub time: TimeSource,
}

impl Consistency {
    /// The one production value: majority journaled writes but for the reservation insert
    /// (`w: 1`), primary reads with majority read concern, server time.
    pub(super) const REQUIRED: Consistency = Consistency {
        write: WriteLevel::MajorityJournaled,
        reservation: WriteLevel::Primary,
        read_from: ReadFrom::Primary,
        read_level: ReadLevel::Majority,
        time: TimeSource::Server,
    };
}

/// The operations the claim and reconcile algorithms use.
///
/// Shard-ready addressing: every single-document write on `claims` names the document by
/// (`campaign_id`, `user_id`), the shard key a sharded deployment would use, plus the token
/// where it must be that very document; no write is addressed by token alone.
pub(super) trait DocOps: Send + Sync {
    /// The guarantees every operation of this object runs with (a property of the object, not
    /// of each call).
    fn consistency(&self) -> Consistency;

    /// The primary's clock, read in one round trip (`hello`'s `localTime` on the driver).
    /// Callers cache the offset to their own clock rather than asking per claim (`claim.rs`).
    fn server_time(&self) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send;

    /// `campaigns.findOne({_id})`.
    fn find_campaign(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<CampaignDoc>, StoreError>> + Send;

    /// Takes one unit: `campaigns.updateOne({_id, ended: false, starts_at <= now,
    /// ends_at >= now, remaining > 0}, {$inc: {remaining: -1, held: 1}})`. `true` when it
    /// matched. The unit moves from `remaining` to `held` in the one update, so a campaign
    /// read counts it without reading a claim.
    fn reserve_unit(
        &self,
        id: &str,
        now: bson::DateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Reconcile's repair: `campaigns.updateOne({_id, remaining, total, epoch} = seen,
    /// {$set: {remaining, held: total - remaining}, $inc: {epoch: 1}[, $push: {pending:
    /// event}]})`. `true` when it matched. `held` is written with `remaining`, so the repair
    /// returns a stranded unit to both counts at once.
    fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores the held count of a document written before it was kept, as derived from the
    /// counters read (`CampaignDoc::held`): `campaigns.updateOne({_id, held: {$exists: false},
    /// remaining, total, epoch} = seen, {$set: {held: total - remaining}})`. `true` when it
    /// matched. Conditional on the counters read, so a unit moved since the read makes it
    /// miss (the caller reads again) rather than store a stale count; every write that moves
    /// `held` runs after a read that found it stored.
    fn store_held(
        &self,
        id: &str,
        seen: Seen,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.findOne({campaign_id, user_id})`, whatever its status.
    fn find_claim(
        &self,
        campaign: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<ClaimDoc>, StoreError>> + Send;

    /// `claims.insertOne(doc)`, refused by the unique index on (`campaign_id`, `user_id`),
    /// acknowledged as [`Consistency::reservation`] says.
    fn insert_claim(
        &self,
        doc: &ClaimDoc,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// `claims.updateOne({campaign_id, user_id, token, status: reserving}, {$set: {status:
    /// claimed}})`. `true` when it matched. Idempotent: repeating it after an unknown outcome
    /// changes nothing.
    fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.deleteOne({campaign_id, user_id, token, status: reserving})`. `true` when it
    /// deleted. A token is never reused, so with the user it names one document for its whole
    /// life; a `claimed` document is never deleted by this.
    fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.deleteMany({campaign_id, status: reserving, created_at < before})`: the stale
    /// reservations of crashed requests. Returns how many went.
    fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// `claims.countDocuments({campaign_id, status})`, or without a status every document that
    /// holds or may hold a unit (`{campaign_id, $or: [{status: {$in: [reserving, claimed,
    /// redeemed]}}, {returning: true}]}`): one query, so a document switching status during
    /// the count is counted once.
    fn count_claims(
        &self,
        campaign: &str,
        status: Option<Status>,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// The operator's operations, which need no proof beyond single-document atomicity.
pub(super) trait CampaignOps: DocOps {
    /// `campaigns.insertOne(doc)`; `Duplicate` when the id is taken.
    fn insert_campaign(
        &self,
        doc: &CampaignDoc,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// Every campaign, by `created_at` then `_id`.
    fn list_campaigns(&self) -> impl Future<Output = Result<Vec<CampaignDoc>, StoreError>> + Send;

    /// `campaigns.find({ends_at: {$gte: since}}).sort({created_at: 1, _id: 1})`, through the
    /// index on `ends_at`: the campaigns whose window ends at `since` or later.
    fn list_campaigns_ending_from(
        &self,
        since: bson::DateTime,
    ) -> impl Future<Output = Result<Vec<CampaignDoc>, StoreError>> + Send;

    /// `campaigns.updateOne({_id, ended: false}, {$set: {ended: true, ended_at: now}, $push:
    /// {pending: event}})`. `true` when it matched.
    fn end_campaign(
        &self,
        id: &str,
        now: bson::DateTime,
        event: &PendingEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `campaigns.findOneAndUpdate({_id, total <= max_total, ops != op}, {$inc: {total: units,
    /// remaining: units}, $push: {ops: op (the last few kept), pending: event}})`, returning the document
    /// after; `None` when nothing matched. `op` is the restock's operation id: recorded in the
    /// same update, so a retry after an unknown outcome cannot apply it twice, and reading
    /// the campaign back tells whether it was applied.
    fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
        op: &str,
        event: &PendingEvent,
    ) -> impl Future<Output = Result<Option<CampaignDoc>, StoreError>> + Send;

    /// Deletes the campaign, then its claims, so a claim racing the delete cannot be left
    /// behind for a campaign that is gone (its decrement no longer matches anything).
    /// `true` when the campaign existed.
    fn delete_campaign(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The documents of a campaign holding a unit (`claimed`, `redeemed`) as (user, token)
    /// pairs, for an audit.
    fn claimed_pairs(
        &self,
        campaign: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
}
