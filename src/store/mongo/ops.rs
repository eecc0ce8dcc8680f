//! The narrow set of single-document operations the `MongoDB` store is written against.
//!
//! Each operation is atomic on its own, exactly as one `MongoDB` command on one document is,
//! and nothing more: no operation spans two documents. The claim algorithm (`claim.rs`) is
//! proved against an in-memory implementation with these semantics (`model.rs`, tests only)
//! and runs in production against the driver (`driver.rs`).

use std::future::Future;

use mongodb::bson;

use super::docs::{CampaignDoc, ClaimDoc, Status};
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

/// The operations the claim and reconcile algorithms use.
pub(super) trait DocOps: Send + Sync {
    /// `campaigns.findOne({_id})`.
    fn find_campaign(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<CampaignDoc>, StoreError>> + Send;

    /// Takes one unit: `campaigns.updateOne({_id, ended: false, starts_at <= now,
    /// ends_at >= now, remaining > 0}, {$inc: {remaining: -1}})`. `true` when it matched.
    fn reserve_unit(
        &self,
        id: &str,
        now: bson::DateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Reconcile's repair: `campaigns.updateOne({_id, remaining, total, epoch} = seen,
    /// {$set: {remaining}, $inc: {epoch: 1}})`. `true` when it matched.
    fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.findOne({campaign_id, user_id})`, whatever its status.
    fn find_claim(
        &self,
        campaign: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<ClaimDoc>, StoreError>> + Send;

    /// `claims.insertOne(doc)`, refused by the unique indexes on (`campaign_id`, `user_id`)
    /// and on `token`.
    fn insert_claim(
        &self,
        doc: &ClaimDoc,
    ) -> impl Future<Output = Result<Inserted, StoreError>> + Send;

    /// `claims.updateOne({token, status: reserving}, {$set: {status: claimed}})`. `true` when it
    /// matched. Idempotent: repeating it after an unknown outcome changes nothing.
    fn confirm_claim(&self, token: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.deleteOne({token, status: reserving})`. `true` when it deleted. A token is
    /// never reused, so it names one document for its whole life; a `claimed` document is
    /// never deleted by this.
    fn delete_reserving(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// `claims.deleteMany({campaign_id, status: reserving, created_at < before})`: the stale
    /// reservations of crashed requests. Returns how many went.
    fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// `claims.countDocuments({campaign_id[, status]})`: one query, so a document switching
    /// status during the count is counted once.
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

    /// `campaigns.updateOne({_id, ended: false}, {$set: {ended: true, ended_at: now}})`.
    fn end_campaign(
        &self,
        id: &str,
        now: bson::DateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `campaigns.findOneAndUpdate({_id, total <= max_total}, {$inc: {total: units,
    /// remaining: units}})`, returning the document after; `None` when nothing matched.
    fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
    ) -> impl Future<Output = Result<Option<CampaignDoc>, StoreError>> + Send;

    /// Deletes the campaign's claims, then the campaign. `true` when the campaign existed.
    fn delete_campaign(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The `claimed` documents of a campaign as (user, token) pairs, for an audit.
    fn claimed_pairs(
        &self,
        campaign: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
}
