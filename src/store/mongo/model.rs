//! An in-memory stand-in for `MongoDB` with exactly the guarantees the claim algorithm may rely
//! on, and a fault injector. Tests only.
//!
//! Semantics kept from `MongoDB`: every operation is atomic on one document (one short lock of
//! its collection), unique indexes are enforced at insert, and nothing spans two operations:
//! no lock is held across an `.await`, and each operation yields to the scheduler before and
//! after it runs (the network round trip), so concurrent requests interleave between any two
//! steps.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use chrono::{DateTime, TimeDelta, Utc};
use mongodb::bson;

use super::docs::{
    CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status, TallyRow, holding, inc_held, may_hold,
};
use super::lifecycle_ops::{Appended, EventFilter, LifecycleOps, Schedule, Source};
use super::ops::{CampaignOps, Consistency, DocOps, Inserted, Seen, TimeSource};
use crate::clock::{Clock, SystemClock};
use crate::domain::{BucketWidth, SaleCounts, SaleTally};
use crate::store::StoreError;

#[derive(Default)]
struct Claims {
    by_token: HashMap<String, ClaimDoc>,
    /// The unique index on (`campaign_id`, `user_id`), pointing at the token.
    by_user: HashMap<(String, String), String>,
}

/// The two collections.
#[derive(Default)]
pub(super) struct MemoryOps {
    campaigns: Mutex<HashMap<String, CampaignDoc>>,
    claims: Mutex<Claims>,
    /// Test of the tests: reserve as read-then-write (like `FerretDB` v1's updates), which the
    /// invariant checks must catch.
    racy_reserve: bool,
    /// How far the server's clock is ahead of this machine's.
    server_skew: Mutex<TimeDelta>,
    /// Whose clock the algorithms are to use; every other guarantee the model always gives.
    time: Option<TimeSource>,
    /// Lose the answer of the next restock after applying it (an unknown outcome).
    lose_restock_answer: AtomicBool,
    /// Where a campaign deletion pauses between its two writes, for a test to run a claim
    /// there: (told when paused, waited on to go on).
    delete_pause: Mutex<Option<(Arc<Notify>, Arc<Notify>)>>,
}

/// Both collections at one instant.
pub(super) struct Snapshot {
    pub campaigns: HashMap<String, CampaignDoc>,
    pub claims: Vec<ClaimDoc>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The network: other requests run while ours travels.
async fn round_trip() {
    tokio::task::yield_now().await;
}

fn live(doc: &CampaignDoc, now: bson::DateTime) -> bool {
    !doc.ended && !doc.paused && doc.starts_at <= now && doc.ends_at >= now && doc.remaining > 0
}

impl MemoryOps {
    /// An empty model whose reserve is a broken read-then-write.
    pub(super) fn racy() -> Self {
        MemoryOps {
            racy_reserve: true,
            ..MemoryOps::default()
        }
    }

    /// Both collections, consistently: the locks are taken in a fixed order, and no operation
    /// holds two, so this cannot deadlock and sees no operation half done.
    pub(super) fn snapshot(&self) -> Snapshot {
        let campaigns = lock(&self.campaigns);
        let claims = lock(&self.claims);
        Snapshot {
            campaigns: campaigns.clone(),
            claims: claims.by_token.values().cloned().collect(),
        }
    }

    /// An empty model whose users read time from `time` (the other guarantees of
    /// [`Consistency::REQUIRED`] it gives whatever is asked: one node applies everything at
    /// once).
    pub(super) fn with_time(time: TimeSource) -> Self {
        MemoryOps {
            time: Some(time),
            ..MemoryOps::default()
        }
    }

    /// Makes the next campaign deletion pause between its two writes: it notifies the first
    /// and waits for the second.
    pub(super) fn pause_next_delete(&self, paused: Arc<Notify>, go_on: Arc<Notify>) {
        *lock(&self.delete_pause) = Some((paused, go_on));
    }

    /// Makes the next restock apply and then fail as if its answer was lost.
    pub(super) fn lose_next_restock_answer(&self) {
        self.lose_restock_answer.store(true, Ordering::SeqCst);
    }

    /// Sets how far the server's clock runs ahead of this machine's (negative: behind).
    pub(super) fn set_server_skew(&self, skew: TimeDelta) {
        *lock(&self.server_skew) = skew;
    }

    /// Puts a claim document in place directly (a request from the past).
    pub(super) fn put_claim(&self, doc: ClaimDoc) {
        let mut claims = lock(&self.claims);
        claims.by_user.insert(
            (doc.campaign_id.clone(), doc.user_id.clone()),
            doc.token.clone(),
        );
        claims.by_token.insert(doc.token.clone(), doc);
    }

    /// Sets a claim's status directly (the request from the past finishing).
    pub(super) fn set_status(&self, token: &str, status: Status) {
        if let Some(doc) = lock(&self.claims).by_token.get_mut(token) {
            doc.status = status;
        }
    }

    async fn racy_reserve_unit(&self, id: &str, now: bson::DateTime) -> bool {
        let seen = lock(&self.campaigns)
            .get(id)
            .filter(|d| live(d, now))
            .map(|d| d.remaining);
        let Some(seen) = seen else { return false };
        round_trip().await;
        if let Some(doc) = lock(&self.campaigns).get_mut(id) {
            doc.remaining = seen - 1;
            inc_held(doc, 1);
        }
        true
    }
}

impl DocOps for MemoryOps {
    fn consistency(&self) -> Consistency {
        Consistency {
            time: self.time.unwrap_or(Consistency::REQUIRED.time),
            ..Consistency::REQUIRED
        }
    }

    /// Without a round trip: a measured offset is off by up to half the round trip it was
    /// measured with, and a round trip among thousands of model tasks can take longer than the
    /// tests' short leases. The measurement error is the simulation's to explore.
    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        Ok(SystemClock.now() + *lock(&self.server_skew))
    }

    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        round_trip().await;
        let found = lock(&self.campaigns).get(id).cloned();
        round_trip().await;
        Ok(found)
    }

    async fn reserve_unit(&self, id: &str, now: bson::DateTime) -> Result<bool, StoreError> {
        round_trip().await;
        if self.racy_reserve {
            return Ok(self.racy_reserve_unit(id, now).await);
        }
        let matched = match lock(&self.campaigns).get_mut(id) {
            Some(doc) if live(doc, now) => {
                doc.remaining -= 1;
                inc_held(doc, 1);
                true
            }
            _ => false,
        };
        round_trip().await;
        Ok(matched)
    }

    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        round_trip().await;
        let matched = match lock(&self.campaigns).get_mut(id) {
            Some(doc)
                if doc.remaining == seen.remaining
                    && doc.total == seen.total
                    && doc.epoch == seen.epoch =>
            {
                doc.remaining = remaining;
                doc.held = Some(seen.total - remaining);
                doc.epoch += 1;
                doc.pending.extend(event.cloned());
                true
            }
            _ => false,
        };
        round_trip().await;
        Ok(matched)
    }

    async fn store_held(&self, id: &str, seen: Seen) -> Result<bool, StoreError> {
        round_trip().await;
        let matched = match lock(&self.campaigns).get_mut(id) {
            Some(doc)
                if doc.held.is_none()
                    && doc.remaining == seen.remaining
                    && doc.total == seen.total
                    && doc.epoch == seen.epoch =>
            {
                doc.held = Some(seen.total - seen.remaining);
                true
            }
            _ => false,
        };
        round_trip().await;
        Ok(matched)
    }

    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        round_trip().await;
        let found = {
            let claims = lock(&self.claims);
            claims
                .by_user
                .get(&(campaign.to_owned(), user.to_owned()))
                .and_then(|token| claims.by_token.get(token))
                .cloned()
        };
        round_trip().await;
        Ok(found)
    }

    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<Inserted, StoreError> {
        round_trip().await;
        let inserted = {
            let mut claims = lock(&self.claims);
            let key = (doc.campaign_id.clone(), doc.user_id.clone());
            // The server has no unique index on the token (tokens are 144 random bits); this
            // map is keyed by it, so a repeat is refused here rather than overwriting a doc.
            if claims.by_user.contains_key(&key) || claims.by_token.contains_key(&doc.token) {
                Inserted::Duplicate
            } else {
                claims.by_user.insert(key, doc.token.clone());
                claims.by_token.insert(doc.token.clone(), doc.clone());
                Inserted::Yes
            }
        };
        round_trip().await;
        Ok(inserted)
    }

    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        round_trip().await;
        let matched = match lock(&self.claims).by_token.get_mut(token) {
            Some(doc)
                if doc.campaign_id == campaign
                    && doc.user_id == user
                    && doc.status == Status::Reserving =>
            {
                doc.status = Status::Claimed;
                true
            }
            _ => false,
        };
        round_trip().await;
        Ok(matched)
    }

    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        round_trip().await;
        let deleted = {
            let mut claims = lock(&self.claims);
            match claims.by_token.get(token) {
                Some(doc)
                    if doc.campaign_id == campaign
                        && doc.user_id == user
                        && doc.status == Status::Reserving =>
                {
                    let key = (doc.campaign_id.clone(), doc.user_id.clone());
                    claims.by_user.remove(&key);
                    claims.by_token.remove(token);
                    true
                }
                _ => false,
            }
        };
        round_trip().await;
        Ok(deleted)
    }

    async fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> Result<u64, StoreError> {
        round_trip().await;
        let deleted = {
            let mut claims = lock(&self.claims);
            let stale: Vec<ClaimDoc> = claims
                .by_token
                .values()
                .filter(|d| {
                    d.campaign_id == campaign
                        && d.status == Status::Reserving
                        && d.created_at < before
                })
                .cloned()
                .collect();
            for doc in &stale {
                claims.by_token.remove(&doc.token);
                claims
                    .by_user
                    .remove(&(doc.campaign_id.clone(), doc.user_id.clone()));
            }
            stale.len() as u64
        };
        round_trip().await;
        Ok(deleted)
    }

    async fn count_claims(&self, campaign: &str, only: Option<Status>) -> Result<i64, StoreError> {
        round_trip().await;
        let count = lock(&self.claims)
            .by_token
            .values()
            .filter(|d| {
                d.campaign_id == campaign && only.map_or_else(|| may_hold(d), |s| d.status == s)
            })
            .count();
        round_trip().await;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}

impl CampaignOps for MemoryOps {
    async fn insert_campaign(&self, doc: &CampaignDoc) -> Result<Inserted, StoreError> {
        round_trip().await;
        let mut campaigns = lock(&self.campaigns);
        if campaigns.contains_key(&doc.id) {
            return Ok(Inserted::Duplicate);
        }
        campaigns.insert(doc.id.clone(), doc.clone());
        Ok(Inserted::Yes)
    }

    async fn list_campaigns(&self) -> Result<Vec<CampaignDoc>, StoreError> {
        round_trip().await;
        let mut all: Vec<CampaignDoc> = lock(&self.campaigns).values().cloned().collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    async fn list_campaigns_ending_from(
        &self,
        since: bson::DateTime,
    ) -> Result<Vec<CampaignDoc>, StoreError> {
        let mut all = self.list_campaigns().await?;
        all.retain(|d| d.ends_at >= since);
        Ok(all)
    }

    async fn end_campaign(
        &self,
        id: &str,
        now: bson::DateTime,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        round_trip().await;
        let mut campaigns = lock(&self.campaigns);
        let Some(doc) = campaigns.get_mut(id).filter(|d| !d.ended) else {
            return Ok(false);
        };
        doc.ended = true;
        doc.ended_at = Some(now);
        doc.pending.push(event.clone());
        Ok(true)
    }

    async fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
        op: &str,
        event: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        round_trip().await;
        let after = lock(&self.campaigns)
            .get_mut(id)
            .filter(|d| d.total <= max_total && !d.ops.iter().any(|o| o == op))
            .map(|doc| {
                doc.total += units;
                doc.remaining += units;
                doc.ops.push(op.to_owned());
                let keep = doc.ops.len().saturating_sub(16);
                doc.ops.drain(..keep);
                doc.pending.push(event.clone());
                doc.clone()
            });
        if self.lose_restock_answer.swap(false, Ordering::SeqCst) {
            return Err(StoreError::unavailable(
                "a test",
                std::io::Error::other("injected fault: the answer was lost"),
            ));
        }
        Ok(after)
    }

    async fn delete_campaign(&self, id: &str) -> Result<bool, StoreError> {
        round_trip().await;
        let existed = lock(&self.campaigns).remove(id).is_some();
        let pause = lock(&self.delete_pause).take();
        if let Some((paused, go_on)) = pause {
            paused.notify_one();
            go_on.notified().await;
        }
        round_trip().await;
        {
            let mut claims = lock(&self.claims);
            claims.by_token.retain(|_, d| d.campaign_id != id);
            claims.by_user.retain(|(c, _), _| c != id);
        }
        Ok(existed)
    }

    async fn claimed_pairs(&self, campaign: &str) -> Result<Vec<(String, String)>, StoreError> {
        round_trip().await;
        Ok(lock(&self.claims)
            .by_token
            .values()
            .filter(|d| d.campaign_id == campaign && holding(d))
            .map(|d| (d.user_id.clone(), d.token.clone()))
            .collect())
    }
}

/// The model carries the claim algorithm only; the lifecycle is proved in the replica-set
/// simulation (`sim/`), which carries every operation.
fn not_modelled() -> StoreError {
    StoreError::backend(
        "the in-memory model",
        std::io::Error::other("the lifecycle is not modelled here; see sim/"),
    )
}

impl LifecycleOps for MemoryOps {
    async fn find_claim_by_token(&self, _: &str, _: &str) -> Result<Option<ClaimDoc>, StoreError> {
        Err(not_modelled())
    }
    async fn move_claim(
        &self,
        _: &ClaimDoc,
        _: Option<Status>,
        _: &ClaimDoc,
        _: &PendingEvent,
    ) -> Result<bool, StoreError> {
        Err(not_modelled())
    }
    async fn return_unit(&self, _: &str, _: &str, _: bool) -> Result<bool, StoreError> {
        Err(not_modelled())
    }
    async fn returned(&self, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
        Err(not_modelled())
    }
    async fn returning(&self, _: &str, _: i64) -> Result<Vec<ClaimDoc>, StoreError> {
        // Nothing is ever voided or expired here: no return is ever left half done.
        Ok(Vec::new())
    }
    async fn due(&self, _: &str, _: bson::DateTime, _: i64) -> Result<Vec<ClaimDoc>, StoreError> {
        Err(not_modelled())
    }
    async fn reschedule(
        &self,
        _: &str,
        _: Schedule,
        _: Schedule,
        _: &PendingEvent,
    ) -> Result<bool, StoreError> {
        Err(not_modelled())
    }
    async fn remove_inventory(
        &self,
        _: &str,
        _: i64,
        _: &str,
        _: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        Err(not_modelled())
    }
    async fn claims_page(
        &self,
        _: &str,
        _: Option<Status>,
        _: Option<&str>,
        _: i64,
    ) -> Result<Vec<ClaimDoc>, StoreError> {
        Err(not_modelled())
    }
    async fn tally(&self, campaign: &str, width: BucketWidth) -> Result<SaleCounts, StoreError> {
        round_trip().await;
        let mut tally = SaleTally::new(width);
        for doc in lock(&self.claims).by_token.values() {
            if doc.campaign_id == campaign {
                TallyRow::from(doc).add_to(&mut tally);
            }
        }
        Ok(tally.finish())
    }
    async fn pending(&self, _: Option<&str>) -> Result<Vec<(Source, PendingEvent)>, StoreError> {
        // Events are not modelled: nothing is ever pending.
        Ok(Vec::new())
    }
    async fn next_seq(&self) -> Result<i64, StoreError> {
        Err(not_modelled())
    }
    async fn insert_event(&self, _: &EventDoc) -> Result<Appended, StoreError> {
        Err(not_modelled())
    }
    async fn unpend(&self, _: &Source, _: &str) -> Result<(), StoreError> {
        Err(not_modelled())
    }
    async fn events(&self, _: &EventFilter) -> Result<Vec<EventDoc>, StoreError> {
        Err(not_modelled())
    }
}

/// How often each kind of fault strikes one operation (probabilities, summed < 1).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Faults {
    /// The operation fails without being applied (the request never reached the server).
    pub fail_before: f64,
    /// The operation is applied but its answer is lost (an unknown outcome).
    pub fail_after: f64,
    /// The process dies before the operation: it is not applied, and nothing else of this
    /// request runs.
    pub die_before: f64,
    /// The process dies after the operation was applied.
    pub die_after: f64,
}

/// One request's view of the store, with faults injected. Once dead, every later operation
/// of the request fails unapplied, so no clean-up of a dead request ever reaches the store.
pub(super) struct CrashOps<'a, O> {
    inner: &'a O,
    faults: Faults,
    dead: AtomicBool,
}

impl<'a, O: DocOps> CrashOps<'a, O> {
    /// `inner` as seen by one request suffering `faults`.
    pub(super) fn new(inner: &'a O, faults: Faults) -> Self {
        CrashOps {
            inner,
            faults,
            dead: AtomicBool::new(false),
        }
    }

    /// Whether the request died.
    pub(super) fn died(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    async fn step<T>(
        &self,
        op: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let fault = |what: &str| {
            Err(StoreError::unavailable(
                "a test",
                std::io::Error::other(format!("injected fault: {what}")),
            ))
        };
        if self.died() {
            return fault("the process is dead");
        }
        let f = self.faults;
        let roll: f64 = rand::random();
        if roll < f.fail_before {
            return fault("failed before applying");
        }
        if roll < f.fail_before + f.die_before {
            self.dead.store(true, Ordering::Relaxed);
            return fault("died before applying");
        }
        let result = op.await;
        let after = f.fail_before + f.die_before;
        if roll < after + f.fail_after {
            return fault("failed after applying");
        }
        if roll < after + f.fail_after + f.die_after {
            self.dead.store(true, Ordering::Relaxed);
            return fault("died after applying");
        }
        result
    }
}

impl<O: DocOps> DocOps for CrashOps<'_, O> {
    fn consistency(&self) -> Consistency {
        self.inner.consistency()
    }
    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        self.step(self.inner.server_time()).await
    }
    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        self.step(self.inner.find_campaign(id)).await
    }
    async fn reserve_unit(&self, id: &str, now: bson::DateTime) -> Result<bool, StoreError> {
        self.step(self.inner.reserve_unit(id, now)).await
    }
    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        self.step(self.inner.set_remaining(id, seen, remaining, event))
            .await
    }
    async fn store_held(&self, id: &str, seen: Seen) -> Result<bool, StoreError> {
        self.step(self.inner.store_held(id, seen)).await
    }
    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        self.step(self.inner.find_claim(campaign, user)).await
    }
    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<Inserted, StoreError> {
        self.step(self.inner.insert_claim(doc)).await
    }
    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        self.step(self.inner.confirm_claim(campaign, user, token))
            .await
    }
    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        self.step(self.inner.delete_reserving(campaign, user, token))
            .await
    }
    async fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> Result<u64, StoreError> {
        self.step(self.inner.delete_stale(campaign, before)).await
    }
    async fn count_claims(&self, campaign: &str, only: Option<Status>) -> Result<i64, StoreError> {
        self.step(self.inner.count_claims(campaign, only)).await
    }
}
