//! The claim's lifecycle and the operator's changes on `MongoDB`: NOT BUILT YET.
//!
//! # What works, what does not
//!
//! Creating a campaign, ending it, restocking it and reconciling it work as before; they do not
//! append their event yet (the events log is `SQLite`-only for now). Every other lifecycle
//! operation (look-up by token, redeem, void, the expiry sweep, pause, resume, extend, removal
//! of inventory, reading the events log, export) answers [`StoreError::Unsupported`] and
//! writes nothing, and a campaign with a claim hold is refused at creation: nothing here
//! could ever expire its claims, so accepting the hold would be a promise the store cannot
//! keep.
//!
//! # The design they are to follow
//!
//! No transaction, as for claims (`claim.rs`): each transition is ONE conditional
//! single-document update on the claim document, addressed by its shard key (`campaign_id`,
//! `user_id`) plus its token, with the status the domain decided on in the filter
//! (`{..., status: claimed}` -> `{$set: {status: voided, ...}}`). Two racing voids, a void
//! and a redeem, a void and the sweep: exactly one update matches, so exactly one caller
//! carries the change out, and the others re-read and get the domain's replay or conflict.
//! Where a unit moves (void, expire), the winner then does `$inc: {remaining: 1}` on the
//! campaign. A crash between the two strands a unit (undersell, never oversell); reconcile
//! repairs it once it counts only the documents holding a unit (`claimed` and `redeemed`).
//!
//! Events: the event rides IN the claim's (or campaign's) conditional update, as a pending
//! entry of that same document, so an action that did not happen (the update did not match)
//! records nothing and one that did cannot lose its event. A second step copies pending
//! entries to an `events` collection keyed by (`campaign_id`, `seq`) with an upsert (so a
//! retried copy is idempotent) and then pulls them from the document; a crash between the two
//! leaves the entry pending, and the next reader or reconcile copies it.

use super::DocStore;
use super::ops::CampaignOps;
use crate::clock::Clock;
use crate::domain::{
    Campaign, CampaignChange, CampaignId, Claim, ClaimToken, Event, EventQuery, ExportPage,
    RedeemAttempt, Stamp, Verdict, VoidAttempt,
};
use crate::store::{Reconciliation, StoreError};

impl<O: CampaignOps, K: Clock> DocStore<O, K> {
    /// Creates a campaign; one with a claim hold is refused (see the module comment).
    pub(super) async fn create_recorded(
        &self,
        campaign: &Campaign,
        _stamp: &Stamp,
    ) -> Result<(), StoreError> {
        if campaign.hold.is_some() {
            return Err(StoreError::Unsupported("a claim hold"));
        }
        self.create_campaign(campaign).await
    }

    pub(super) async fn change(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        match change {
            CampaignChange::End => self.end_campaign(id, stamp.at).await,
            CampaignChange::AddInventory(units) => self.add_inventory(id, *units).await,
            CampaignChange::Pause | CampaignChange::Resume => {
                Err(StoreError::Unsupported("pausing or resuming a campaign"))
            }
            CampaignChange::Extend { .. } => Err(StoreError::Unsupported("extending a campaign")),
            CampaignChange::RemoveInventory(_) => {
                Err(StoreError::Unsupported("removing inventory"))
            }
        }
    }

    #[allow(clippy::unused_async)] // the event is to be written here (see the module comment)
    pub(super) async fn record_reconciled(
        &self,
        report: Option<Reconciliation>,
        _stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        Ok(report)
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn claim_by_token(
        &self,
        _id: &CampaignId,
        _token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        Err(StoreError::Unsupported("looking a claim up by its token"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn redeem(&self, _attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        Err(StoreError::Unsupported("redeeming a claim"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn void(&self, _attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        Err(StoreError::Unsupported("voiding a claim"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn expire_holds(
        &self,
        _id: &CampaignId,
        _stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        Err(StoreError::Unsupported("expiring holds"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn events(&self, _query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        Err(StoreError::Unsupported("the events log"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn export_page(&self, _page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        Err(StoreError::Unsupported("exporting claims"))
    }
}
