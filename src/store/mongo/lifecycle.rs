//! The claim's lifecycle and the operator's changes on `MongoDB`.
//!
//! Not carried out on `MongoDB` yet: the lifecycle transitions answer
//! [`StoreError::Unsupported`] (nothing is written), while creating, ending and restocking a
//! campaign and reconciling work as before, without appending their events yet.

use super::DocStore;
use super::ops::CampaignOps;
use crate::clock::Clock;
use crate::domain::{
    Campaign, CampaignChange, CampaignId, Claim, ClaimToken, Event, EventQuery, ExportPage,
    RedeemAttempt, Stamp, Verdict, VoidAttempt,
};
use crate::store::{Reconciliation, StoreError};

impl<O: CampaignOps, K: Clock> DocStore<O, K> {
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

    #[allow(clippy::unused_async)] // the event is written here once MongoDB keeps events
    pub(super) async fn record_created(
        &self,
        _campaign: &Campaign,
        _stamp: &Stamp,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    #[allow(clippy::unused_async)] // the event is written here once MongoDB keeps events
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
        Err(StoreError::Unsupported("looking a claim up by token"))
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
        Err(StoreError::Unsupported("reading events"))
    }

    #[allow(clippy::unused_async)]
    pub(super) async fn export_page(&self, _page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        Err(StoreError::Unsupported("exporting claims"))
    }
}
