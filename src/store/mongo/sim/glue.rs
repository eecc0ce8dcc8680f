//! The store's document operations over the simulated replica set: each call is one request
//! on the wire (see `world.rs`), sent with the ops object's `Consistency`. The only file that
//! knows the shape of `DocOps`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use mongodb::bson;

use super::super::docs::{CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status};
use super::super::lifecycle_ops::{Appended, EventFilter, LifecycleOps, Schedule, Source};
use super::super::ops::{CampaignOps, Consistency, DocOps, Inserted, Seen};
use super::world::{Op, Reply, World};
use crate::clock::Clock;
use crate::domain::{BucketWidth, SaleCounts};
use crate::store::StoreError;

/// The shared simulation state.
pub(super) type Shared = Arc<Mutex<World>>;

pub(super) fn lock(world: &Shared) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One client task's connection to the replica set.
#[derive(Clone)]
pub(super) struct SimOps {
    pub world: Shared,
    pub task: usize,
    pub consistency: Consistency,
}

/// One client task's machine clock: true time plus the machine's skew.
#[derive(Clone)]
pub(super) struct SimClock {
    pub world: Shared,
    pub skew_ms: i64,
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let now = lock(&self.world).now_ms + self.skew_ms;
        DateTime::from_timestamp_millis(now).unwrap_or_default()
    }
}

fn failed(why: String) -> StoreError {
    StoreError::unavailable("the simulation", std::io::Error::other(why))
}

fn unexpected(reply: &Reply) -> StoreError {
    failed(format!("simulation bug: unexpected reply {reply:?}"))
}

impl SimOps {
    async fn call(&self, op: Op) -> Result<Reply, StoreError> {
        let id = lock(&self.world).send(self.task, op, self.consistency);
        std::future::poll_fn(|cx| match lock(&self.world).receive(id, cx.waker()) {
            Some(answer) => std::task::Poll::Ready(answer.map_err(failed)),
            None => std::task::Poll::Pending,
        })
        .await
    }

    async fn matched(&self, op: Op) -> Result<bool, StoreError> {
        match self.call(op).await? {
            Reply::Matched(m) => Ok(m),
            other => Err(unexpected(&other)),
        }
    }

    async fn campaign(&self, op: Op) -> Result<Option<CampaignDoc>, StoreError> {
        match self.call(op).await? {
            Reply::Campaign(doc) => Ok(doc),
            other => Err(unexpected(&other)),
        }
    }

    async fn inserted(&self, op: Op) -> Result<Inserted, StoreError> {
        match self.call(op).await? {
            Reply::Inserted(i) => Ok(i),
            other => Err(unexpected(&other)),
        }
    }

    async fn count(&self, op: Op) -> Result<i64, StoreError> {
        match self.call(op).await? {
            Reply::Count(n) => Ok(n),
            other => Err(unexpected(&other)),
        }
    }
}

impl DocOps for SimOps {
    fn consistency(&self) -> Consistency {
        self.consistency
    }
    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        match self.call(Op::ServerTime).await? {
            Reply::Time(t) => {
                Ok(DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or_default())
            }
            other => Err(unexpected(&other)),
        }
    }
    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        self.campaign(Op::FindCampaign(id.to_owned())).await
    }
    async fn reserve_unit(&self, id: &str, now: bson::DateTime) -> Result<bool, StoreError> {
        self.matched(Op::ReserveUnit(id.to_owned(), now)).await
    }
    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        let op = Op::SetRemaining(id.to_owned(), seen, remaining, event.cloned());
        self.matched(op).await
    }
    async fn store_held(&self, id: &str, seen: Seen) -> Result<bool, StoreError> {
        self.matched(Op::StoreHeld(id.to_owned(), seen)).await
    }
    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        match self
            .call(Op::FindClaim(campaign.to_owned(), user.to_owned()))
            .await?
        {
            Reply::Claim(doc) => Ok(doc),
            other => Err(unexpected(&other)),
        }
    }
    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<Inserted, StoreError> {
        self.inserted(Op::InsertClaim(doc.clone())).await
    }
    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = Op::ConfirmClaim(campaign.to_owned(), user.to_owned(), token.to_owned());
        self.matched(op).await
    }
    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = Op::DeleteReserving(campaign.to_owned(), user.to_owned(), token.to_owned());
        self.matched(op).await
    }
    async fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> Result<u64, StoreError> {
        let n = self
            .count(Op::DeleteStale(campaign.to_owned(), before))
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
    async fn count_claims(
        &self,
        campaign: &str,
        status: Option<Status>,
    ) -> Result<i64, StoreError> {
        self.count(Op::CountClaims(campaign.to_owned(), status))
            .await
    }
}

impl CampaignOps for SimOps {
    async fn insert_campaign(&self, doc: &CampaignDoc) -> Result<Inserted, StoreError> {
        self.inserted(Op::InsertCampaign(doc.clone())).await
    }
    async fn list_campaigns(&self) -> Result<Vec<CampaignDoc>, StoreError> {
        match self.call(Op::ListCampaigns).await? {
            Reply::Campaigns(all) => Ok(all),
            other => Err(unexpected(&other)),
        }
    }
    async fn list_campaigns_ending_from(
        &self,
        since: bson::DateTime,
    ) -> Result<Vec<CampaignDoc>, StoreError> {
        match self.call(Op::ListCampaignsEndingFrom(since)).await? {
            Reply::Campaigns(all) => Ok(all),
            other => Err(unexpected(&other)),
        }
    }

    async fn end_campaign(
        &self,
        id: &str,
        now: bson::DateTime,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        self.matched(Op::EndCampaign(id.to_owned(), now, event.clone()))
            .await
    }
    async fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
        op: &str,
        event: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        let op = Op::AddInventory(
            id.to_owned(),
            units,
            max_total,
            op.to_owned(),
            event.clone(),
        );
        self.campaign(op).await
    }
    async fn delete_campaign(&self, id: &str) -> Result<bool, StoreError> {
        self.matched(Op::DeleteCampaign(id.to_owned())).await
    }
    async fn claimed_pairs(&self, campaign: &str) -> Result<Vec<(String, String)>, StoreError> {
        match self.call(Op::ClaimedPairs(campaign.to_owned())).await? {
            Reply::Pairs(pairs) => Ok(pairs),
            other => Err(unexpected(&other)),
        }
    }
}

impl SimOps {
    async fn claims(&self, op: Op, limit: i64) -> Result<Vec<ClaimDoc>, StoreError> {
        match self.call(op).await? {
            Reply::Claims(mut all) => {
                all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                Ok(all)
            }
            other => Err(unexpected(&other)),
        }
    }
}

impl LifecycleOps for SimOps {
    async fn find_claim_by_token(
        &self,
        campaign: &str,
        token: &str,
    ) -> Result<Option<ClaimDoc>, StoreError> {
        match self
            .call(Op::FindClaimByToken(campaign.to_owned(), token.to_owned()))
            .await?
        {
            Reply::Claim(doc) => Ok(doc),
            other => Err(unexpected(&other)),
        }
    }
    async fn move_claim(
        &self,
        before: &ClaimDoc,
        status: Option<Status>,
        after: &ClaimDoc,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let op = Op::MoveClaim(before.clone(), status, after.clone(), event.clone());
        self.matched(op).await
    }
    async fn return_unit(
        &self,
        campaign: &str,
        token: &str,
        keep_held: bool,
    ) -> Result<bool, StoreError> {
        let op = Op::ReturnUnit(campaign.to_owned(), token.to_owned(), keep_held);
        self.matched(op).await
    }
    async fn returned(&self, campaign: &str, user: &str, token: &str) -> Result<(), StoreError> {
        let op = Op::Returned(campaign.to_owned(), user.to_owned(), token.to_owned());
        self.matched(op).await.map(drop)
    }
    async fn returning(&self, campaign: &str, limit: i64) -> Result<Vec<ClaimDoc>, StoreError> {
        self.claims(Op::Returning(campaign.to_owned()), limit).await
    }
    async fn due(
        &self,
        campaign: &str,
        now: bson::DateTime,
        limit: i64,
    ) -> Result<Vec<ClaimDoc>, StoreError> {
        self.claims(Op::Due(campaign.to_owned(), now), limit).await
    }
    async fn reschedule(
        &self,
        id: &str,
        seen: Schedule,
        to: Schedule,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        self.matched(Op::Reschedule(id.to_owned(), seen, to, event.clone()))
            .await
    }
    async fn remove_inventory(
        &self,
        id: &str,
        units: i64,
        op: &str,
        event: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        let op = Op::RemoveInventory(id.to_owned(), units, op.to_owned(), event.clone());
        self.campaign(op).await
    }
    async fn claims_page(
        &self,
        campaign: &str,
        status: Option<Status>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ClaimDoc>, StoreError> {
        let size = usize::try_from(limit).unwrap_or(usize::MAX);
        let op = Op::ClaimsPage(campaign.to_owned(), status, after.map(str::to_owned), size);
        self.claims(op, limit).await
    }
    async fn tally(&self, campaign: &str, width: BucketWidth) -> Result<SaleCounts, StoreError> {
        match self.call(Op::Tally(campaign.to_owned(), width)).await? {
            Reply::Tally(counts) => Ok(counts),
            other => Err(unexpected(&other)),
        }
    }
    async fn pending(
        &self,
        campaign: Option<&str>,
    ) -> Result<Vec<(Source, PendingEvent)>, StoreError> {
        match self.call(Op::Pending(campaign.map(str::to_owned))).await? {
            Reply::Pending(all) => Ok(all),
            other => Err(unexpected(&other)),
        }
    }
    async fn next_seq(&self) -> Result<i64, StoreError> {
        self.count(Op::NextSeq).await
    }
    async fn insert_event(&self, doc: &EventDoc) -> Result<Appended, StoreError> {
        match self.call(Op::InsertEvent(doc.clone())).await? {
            Reply::Appended(a) => Ok(a),
            other => Err(unexpected(&other)),
        }
    }
    async fn unpend(&self, source: &Source, id: &str) -> Result<(), StoreError> {
        self.matched(Op::Unpend(source.clone(), id.to_owned()))
            .await
            .map(drop)
    }
    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventDoc>, StoreError> {
        match self.call(Op::Events(filter.clone())).await? {
            Reply::Events(all) => Ok(all),
            other => Err(unexpected(&other)),
        }
    }
}
