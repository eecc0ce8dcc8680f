//! The production store: `MongoDB`, through the official driver.
//!
//! Collections `campaigns` and `claims` in the database named by the URL's path (default
//! `flashsale`); on claims a unique index on (`campaign_id`, `user_id`) and a non-unique one on
//! (`campaign_id`, `token`), verified and created when the store is opened. The consistency
//! (majority journaled writes, primary majority reads, server time) is set in code, whatever
//! the URL says (`ops::Consistency`). No transaction is used: the claim algorithm
//! (`claim.rs`, read its module comment) needs only single-document atomicity and
//! unique indexes, and is proved against an in-memory model of exactly that (`model.rs`).
//!
//! A campaign's `claimed` is the `held` count on its own document, moved by the very
//! single-document updates that move `remaining` (a claim's decrement, a return, reconcile's
//! repair), so a campaign read is one `find` on `campaigns` and reads no claim, at any number of
//! claims. It counts the units taken and not given back: at rest without a crash exactly the
//! claims holding a unit (`claimed`, `redeemed`); after a crash also the units it stranded,
//! until `inventory reconcile --apply` returns them to `remaining` and takes them off `held` in
//! one update. A document written before the count was kept reads it as `total - remaining`
//! (what it would hold) and stores it before the first write that moves it
//! (`docs::CampaignDoc::held`). The claim's lifecycle, the
//! operator's changes and the events log (collections `events` and `counters`) follow the same
//! rule of one conditional single-document update per step (`lifecycle.rs`).

mod claim;
mod docs;
mod doctor;
mod driver;
mod lifecycle;
mod lifecycle_ops;
#[cfg(test)]
mod model;
mod ops;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

pub use claim::Lease;
use claim::{Defects, ServerClock};
pub(crate) use doctor::diagnose;

use self::docs::{CampaignDoc, Status};
use self::driver::DriverOps;
use self::lifecycle_ops::LifecycleOps;
use super::{Audit, ReconcileMode, Reconciliation, Store, StoreError};
use crate::clock::{Clock, SystemClock};
use crate::domain::{
    Applied, BucketWidth, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimAttempt,
    ClaimToken, Decision, Event, EventQuery, ExportPage, RedeemAttempt, SaleReport, Stamp, UserId,
    Verdict, VoidAttempt,
};

/// The longest [`MongoStore::close`] holds up a process's exit.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How a [`MongoStore`] connects and how long it trusts an in-flight claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MongoSettings {
    /// Server selection and connect timeout when the URL sets neither
    /// `serverSelectionTimeoutMS` nor `connectTimeoutMS`: short, so an unreachable server is
    /// reported within seconds instead of the driver's default 30 s.
    pub timeout: Duration,
    /// The longest any one store operation (a claim with all its steps, a read, a restock)
    /// may take before the caller gets `store_unavailable`. The driver has no socket timeout,
    /// so without this a server that accepts a request and never answers would hang the
    /// caller. The operation is not abandoned mid-flight: it runs on in its own task (dropping
    /// a driver future halfway is what the driver's README warns against), and
    /// [`MongoStore::close`] waits for it, for up to this long again. Its outcome is unknown
    /// to the caller: a claim retried replays the claim if it was made (a unit taken without
    /// a confirmed claim is only ever stranded), and a restock is applied at most once.
    pub operation_timeout: Duration,
    /// The lease of an in-flight claim (see [`Lease`]).
    pub lease: Lease,
}

impl Default for MongoSettings {
    fn default() -> Self {
        MongoSettings {
            timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(10),
            lease: Lease::default(),
        }
    }
}

/// The `MongoDB` store. Cheap to clone; clones share the driver's connection pool.
#[derive(Clone)]
pub struct MongoStore {
    inner: DocStore<DriverOps, SystemClock>,
    in_flight: InFlight,
}

impl MongoStore {
    /// Connects to `url` (a `mongodb://` or `mongodb+srv://` connection string) with the
    /// default settings and creates the indexes if they are missing.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`] for a URL the driver rejects, [`StoreError::Unavailable`]
    /// when no server answers in time.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, MongoSettings::default()).await
    }

    /// Like [`MongoStore::open`], with explicit settings.
    ///
    /// # Errors
    /// As [`MongoStore::open`].
    pub async fn open_with(url: &str, settings: MongoSettings) -> Result<Self, StoreError> {
        Ok(MongoStore {
            inner: DocStore::new(
                DriverOps::connect(url, settings.timeout).await?,
                SystemClock,
                settings.lease,
            ),
            in_flight: InFlight::new(settings.operation_timeout),
        })
    }

    /// Stops the driver's background work and closes its connections; every clone of this
    /// store refuses operations afterwards. A process calls it before its runtime shuts down:
    /// a runtime torn down under the driver's connection-pool workers can make an operation
    /// still finishing on another thread panic inside the driver.
    ///
    /// First it lets the operations whose callers stopped waiting (a timeout) finish, for at
    /// most one more operation timeout: cutting one off mid-flight is a crash at an arbitrary
    /// point, which the algorithms survive but which strands units and leaves the outcome
    /// unknown for longer. Then it ends the driver, bounded by the operation timeout and never
    /// more than [`CLOSE_TIMEOUT`], since ending the server's sessions is a round trip to a
    /// server that may not answer, and an operator who pressed Ctrl-C waits for it.
    pub async fn close(&self) {
        self.in_flight.settle().await;
        let ops = self.inner.ops.clone();
        let bound = self.in_flight.timeout.min(CLOSE_TIMEOUT);
        let _ = tokio::time::timeout(bound, async move { ops.shutdown().await }).await;
    }

    /// Runs `work` in its own task and waits at most the operation timeout for its answer
    /// (see [`MongoSettings::operation_timeout`] for why the task is left to finish).
    async fn bounded<T, Fut>(
        &self,
        doing: &'static str,
        work: impl FnOnce(DocStore<DriverOps, SystemClock>) -> Fut,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        self.in_flight.run(doing, work(self.inner.clone())).await
    }
}

/// Operations run with a time limit on the caller's wait, never on the operation: one whose
/// caller stopped waiting runs on, and [`InFlight::settle`] waits for it.
#[derive(Clone)]
struct InFlight {
    timeout: Duration,
    /// The operations whose callers stopped waiting.
    abandoned: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl InFlight {
    fn new(timeout: Duration) -> Self {
        InFlight {
            timeout,
            abandoned: Arc::default(),
        }
    }

    /// Runs `work` in its own task; [`StoreError::TimedOut`] when it has not answered within
    /// the timeout, and then it runs on.
    async fn run<T, Fut>(&self, doing: &'static str, work: Fut) -> Result<T, StoreError>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let mut task = tokio::spawn(work);
        match tokio::time::timeout(self.timeout, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(StoreError::backend(doing, join)),
            Err(_) => {
                let waiter = tokio::spawn(async move {
                    let _ = task.await;
                });
                self.abandoned
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(waiter);
                Err(StoreError::TimedOut {
                    context: doing.to_owned(),
                    after_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                })
            }
        }
    }

    /// Waits for the abandoned operations to finish, for at most one more timeout.
    async fn settle(&self) {
        let abandoned = std::mem::take(
            &mut *self
                .abandoned
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let _ = tokio::time::timeout(self.timeout, futures::future::join_all(abandoned)).await;
    }
}

/// The store logic over any [`LifecycleOps`]: the driver in production, the model and the
/// simulation in tests.
#[derive(Clone)]
struct DocStore<O, K> {
    ops: O,
    /// The server's clock, as this app server measures it.
    clock: ServerClock<K>,
    lease: Lease,
    /// Algorithm defects a test switched back on (never any outside tests).
    defects: Defects,
}

impl<O, K: Clock> DocStore<O, K> {
    /// The store over `ops`, with `clock` as this app server's own clock.
    fn new(ops: O, clock: K, lease: Lease) -> Self {
        DocStore {
            ops,
            clock: ServerClock::new(clock),
            lease,
            defects: Defects::NONE,
        }
    }

    /// `self` with `defect` switched back on (see [`Defect`]).
    #[cfg(test)]
    #[must_use]
    fn with_defect(mut self, defect: claim::Defect) -> Self {
        self.defects = self.defects.with(defect);
        self
    }
}

impl<O: LifecycleOps, K: Clock> DocStore<O, K> {
    /// One command, one document: the held count rides on the campaign (see
    /// [`CampaignDoc::held`]), so no claim is read.
    async fn read(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        self.ops
            .find_campaign(id.as_str())
            .await?
            .map(CampaignDoc::into_domain)
            .transpose()
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.ops
            .list_campaigns()
            .await?
            .into_iter()
            .map(CampaignDoc::into_domain)
            .collect()
    }

    async fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, StoreError> {
        self.ops
            .list_campaigns_ending_from(docs::date(since))
            .await?
            .into_iter()
            .map(CampaignDoc::into_domain)
            .collect()
    }

    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        match self.ops.find_claim(id.as_str(), user.as_str()).await? {
            // A reservation is no claim; every other status is.
            Some(doc) if doc.status != Status::Reserving => Ok(Some(doc.to_claim()?)),
            _ => Ok(None),
        }
    }

    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        let Some(campaign) = self.ops.find_campaign(id.as_str()).await? else {
            return Ok(None);
        };
        let pairs = self.ops.claimed_pairs(id.as_str()).await?;
        let users: HashSet<&str> = pairs.iter().map(|(user, _)| user.as_str()).collect();
        let tokens: HashSet<&str> = pairs.iter().map(|(_, token)| token.as_str()).collect();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(Some(Audit {
            total: campaign.total,
            remaining: campaign.remaining,
            claims: count(pairs.len()),
            distinct_users: count(users.len()),
            distinct_tokens: count(tokens.len()),
        }))
    }
}

impl<O, K> Store for DocStore<O, K>
where
    O: LifecycleOps + 'static,
    K: Clock,
{
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        self.create_recorded(campaign, stamp).await
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        self.read(id).await
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        DocStore::campaigns(self).await
    }
    async fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, StoreError> {
        DocStore::campaigns_ending_from(self, since).await
    }
    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        self.change(id, change, stamp).await
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        let result = claim::claim(&self.ops, &self.clock, &self.lease, self.defects, attempt).await;
        if result.is_err() {
            self.clock.forget();
        }
        result
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        DocStore::claim_of(self, id, user).await
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        self.reconcile_recorded(id, mode, stamp).await
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        DocStore::audit(self, id).await
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        // The log outlives the campaign: its pending events go to the log first.
        self.copy_pending(Some(id.as_str())).await?;
        self.ops.delete_campaign(id.as_str()).await
    }
    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        DocStore::claim_by_token(self, id, token).await
    }
    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        DocStore::redeem(self, attempt).await
    }
    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        DocStore::void(self, attempt).await
    }
    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        DocStore::expire_holds(self, id, stamp).await
    }
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        DocStore::events(self, query).await
    }
    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        DocStore::export_page(self, page).await
    }
    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        // Two reads, not one snapshot: a claim landing between them shows in one and not the
        // other. After the sale, nothing lands, and the report is what it reports on.
        let Some(campaign) = self.read(id).await? else {
            return Ok(None);
        };
        let counts = self.ops.tally(id.as_str(), width).await?;
        Ok(Some(SaleReport {
            campaign,
            width,
            counts,
        }))
    }
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let result = self.clock.judging(&self.ops, local).await;
        if result.is_err() {
            self.clock.forget();
        }
        result
    }
}

impl Store for MongoStore {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        let (campaign, stamp) = (campaign.clone(), stamp.clone());
        self.bounded("creating a campaign", |store| async move {
            Store::create_campaign(&store, &campaign, &stamp).await
        })
        .await
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        let id = id.clone();
        self.bounded("reading a campaign", |store| async move {
            store.read(&id).await
        })
        .await
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.bounded("listing campaigns", |store| async move {
            store.campaigns().await
        })
        .await
    }
    async fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, StoreError> {
        self.bounded("listing campaigns", |store| async move {
            store.campaigns_ending_from(since).await
        })
        .await
    }
    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        let (id, change, stamp) = (id.clone(), change.clone(), stamp.clone());
        self.bounded("changing a campaign", |store| async move {
            store.change(&id, &change, &stamp).await
        })
        .await
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        let attempt = attempt.clone();
        self.bounded("claiming", |store| async move {
            Store::claim(&store, &attempt).await
        })
        .await
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        let (id, user) = (id.clone(), user.clone());
        self.bounded("reading a claim", |store| async move {
            store.claim_of(&id, &user).await
        })
        .await
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        let (id, stamp) = (id.clone(), stamp.clone());
        self.bounded("reconciling", |store| async move {
            Store::reconcile(&store, &id, mode, &stamp).await
        })
        .await
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        let id = id.clone();
        self.bounded("auditing", |store| async move { store.audit(&id).await })
            .await
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.bounded("deleting a campaign", |store| async move {
            Store::delete_campaign(&store, &id).await
        })
        .await
    }
    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        let (id, token) = (id.clone(), token.clone());
        self.bounded("reading a claim", |store| async move {
            Store::claim_by_token(&store, &id, &token).await
        })
        .await
    }
    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        let attempt = attempt.clone();
        self.bounded("redeeming a claim", |store| async move {
            Store::redeem(&store, &attempt).await
        })
        .await
    }
    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        let attempt = attempt.clone();
        self.bounded("voiding a claim", |store| async move {
            Store::void(&store, &attempt).await
        })
        .await
    }
    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        let (id, stamp) = (id.clone(), stamp.clone());
        self.bounded("expiring holds", |store| async move {
            Store::expire_holds(&store, &id, &stamp).await
        })
        .await
    }
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let query = query.clone();
        self.bounded("reading events", |store| async move {
            Store::events(&store, &query).await
        })
        .await
    }
    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        let page = page.clone();
        self.bounded("exporting claims", |store| async move {
            Store::export_page(&store, &page).await
        })
        .await
    }
    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        let id = id.clone();
        self.bounded("reporting on a campaign", |store| async move {
            Store::report(&store, &id, width).await
        })
        .await
    }
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        self.bounded("reading the server's clock", |store| async move {
            Store::now(&store, local).await
        })
        .await
    }
}
