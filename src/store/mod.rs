//! Where campaigns and claims live, and who owns atomicity.
//!
//! [`Store`] has one method per use case. Every implementation guarantees, under any number of
//! concurrent callers: a claim is granted only against a unit it reserved (I1), at most one
//! claim per (campaign, user) (I2), and a second claim by the same user returns the first (I4).
//! The backend is chosen at run time from a [`StoreUrl`]; both are always built.
//!
//! Stores decide nothing: every claim is decided by the domain ([`ClaimAttempt::decide`]) on
//! what the store read inside its atomic step, and the store carries the [`Decision`] out; so
//! are a claim's later transitions ([`RedeemAttempt::decide`], [`VoidAttempt::decide`],
//! [`Claim::expire`]) and an operator's changes ([`CampaignChange::apply`]). Each of those is
//! written together with its event (I10): in the same transaction on `SQLite`.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{
    Applied, BucketWidth, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimAttempt,
    ClaimToken, Decision, Event, EventQuery, ExportPage, RedeemAttempt, SaleReport, Stamp, UserId,
    Verdict, VoidAttempt,
};

pub mod doctor;
mod error;
pub mod mongo;
pub mod sqlite;
mod url;

pub use error::StoreError;
pub use mongo::{MongoSettings, MongoStore};
pub use sqlite::SqliteStore;
pub use url::StoreUrl;

/// Whether opening a store may create it.
///
/// Only what makes a store's first record (creating a campaign) creates one: every other
/// operation opens an existing store, so that a mistyped location is an error, never a new
/// empty store that reads as "no campaigns".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Open a store that exists; a missing `SQLite` file is [`StoreError::Missing`], a missing
    /// folder [`StoreError::NoFolder`].
    Existing,
    /// Create the store when it does not exist yet, in a folder that exists: a missing folder
    /// is [`StoreError::NoFolder`], since a mistyped `sqlite:/srv/flashsle/x.db` must not
    /// start a second, empty store beside the real one.
    Create,
    /// Create the store and its parent folders when they do not exist yet: for the default
    /// location under the platform's data directory, which nobody typed.
    CreateWithFolders,
}

/// What a reconcile may write.
///
/// A repair trusts the claims over the counter, so it must first make sure the claims can be
/// trusted: [`ReconcileMode::Apply`] and [`ReconcileMode::Force`] run the store's full
/// integrity check first and write nothing when it fails ([`StoreError::Damaged`]), whatever
/// the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileMode {
    /// Recount and report; write nothing.
    Report,
    /// Check the store's integrity, then write the repair, unless the drift is larger than
    /// what a crash can strand ([`StoreError::DriftTooLarge`]): a larger drift means the claims
    /// or the counter were damaged or edited, and trusting the claims could oversell.
    Apply,
    /// Check the store's integrity, then write the repair whatever the drift: for an operator
    /// who knows why the counter is off (a restored backup, a manual edit).
    Force,
}

impl ReconcileMode {
    /// Whether this mode writes the repair.
    #[must_use]
    pub fn applies(self) -> bool {
        !matches!(self, ReconcileMode::Report)
    }
}

/// What a recount of a campaign's claims found (and, when the mode allowed it, repaired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Units ever put on sale.
    pub total: i64,
    /// Claims the store holds.
    pub claimed: i64,
    /// `remaining` as found.
    pub remaining: i64,
    /// `remaining` as the claims say it should be.
    pub expected_remaining: i64,
    /// The largest drift a crash can explain on this store, in units: 0 on `SQLite` (whose
    /// transactions are atomic, so a crash strands nothing), the claims still reserving on
    /// `MongoDB` (requests in flight or crashed mid-claim). [`ReconcileMode::Apply`] refuses a
    /// larger drift.
    pub crash_limit: i64,
    /// Whether the repair was written.
    pub applied: bool,
}

impl Reconciliation {
    /// What a recount found: `held` claims (for `MongoDB`, every claim document, since a
    /// reservation may hold a unit) against `total` units, with `remaining` as stored.
    ///
    /// The expected remainder is `max(0, total - held)` on every store. A store never holds
    /// negative stock (the guarded decrement and `SQLite`'s CHECK stop at zero), so a count
    /// above `total` (possible only on `MongoDB`, whose count includes reservations that hold
    /// no unit) means no unit is left to hand out, not a debt; `SQLite`, whose claims can
    /// never exceed `total`, gets the same answer from the same rule.
    #[must_use]
    pub fn new(
        campaign_id: CampaignId,
        total: i64,
        held: i64,
        remaining: i64,
        crash_limit: i64,
        applied: bool,
    ) -> Self {
        Reconciliation {
            campaign_id,
            total,
            claimed: held,
            remaining,
            expected_remaining: (total - held).max(0),
            crash_limit,
            applied,
        }
    }

    /// Units that `remaining` is short by (positive: stranded units; zero: no drift).
    #[must_use]
    pub fn drift(&self) -> i64 {
        self.expected_remaining - self.remaining
    }

    /// Whether a crash can explain the drift, in either direction (`MongoDB` counts a
    /// reservation before it takes its unit, so a drift there can also be negative).
    #[must_use]
    pub fn within_crash_limit(&self) -> bool {
        self.drift().abs() <= self.crash_limit
    }

    /// The refusal of a repair under [`ReconcileMode::Apply`] when the drift is beyond what a
    /// crash explains; `None` when the repair may go ahead.
    #[must_use]
    pub fn refusal(&self, mode: ReconcileMode) -> Option<StoreError> {
        (mode == ReconcileMode::Apply && !self.within_crash_limit()).then(|| {
            StoreError::DriftTooLarge {
                id: self.campaign_id.clone(),
                drift: self.drift(),
                limit: self.crash_limit,
            }
        })
    }
}

/// Facts an audit reads straight from the store, to check the invariants against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Units ever put on sale.
    pub total: i64,
    /// The stored `remaining` counter.
    pub remaining: i64,
    /// Claim records holding a unit (`claimed` and `redeemed`).
    pub claims: i64,
    /// Distinct users among the claim records.
    pub distinct_users: i64,
    /// Distinct tokens among the claim records.
    pub distinct_tokens: i64,
}

/// How a store grouped its writes into transactions: with group commit, many jobs
/// share one transaction and so one fsync of the log.
///
/// A job is any write the store's writer ran, whatever it decided: a granted claim, a replay
/// and a refusal are one job each, as are campaign writes. Only jobs of committed transactions
/// count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Write transactions committed.
    pub commits: u64,
    /// Jobs those transactions carried.
    pub jobs: u64,
}

impl CommitStats {
    /// What was committed after `earlier` (a snapshot of the same store) up to `self`.
    #[must_use]
    pub fn since(self, earlier: CommitStats) -> CommitStats {
        CommitStats {
            commits: self.commits.saturating_sub(earlier.commits),
            jobs: self.jobs.saturating_sub(earlier.jobs),
        }
    }
}

/// The operations flashsale needs from a store; each is atomic on its own.
pub trait Store: Send + Sync + 'static {
    /// Saves a new campaign and appends its `campaign.created` event; answers `None`. When
    /// the id is taken, writes nothing and answers the campaign stored under it, for the
    /// domain to tell a repeated create from a contradicting one.
    fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;

    /// The campaign with this id, if any.
    fn campaign(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;

    /// Every campaign, oldest first.
    fn campaigns(&self) -> impl Future<Output = Result<Vec<Campaign>, StoreError>> + Send;

    /// The campaigns whose window ends at `since` or later (stopped early by an operator or
    /// not), oldest first: at `since` = now, those that can still sell; a little earlier, also
    /// those whose claims' holds may still run out. Both stores read them through an index on
    /// the window's end, so a campaign that ended before `since` is never read: `serve`'s
    /// metrics and expiry sweep, which ask every few seconds, cost the same after a thousand
    /// sales as after one. The default filters [`Store::campaigns`], for wrappers in tests.
    fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Campaign>, StoreError>> + Send {
        async move {
            let all = self.campaigns().await?;
            Ok(all
                .into_iter()
                .filter(|c| c.window.ends_at >= since)
                .collect())
        }
    }

    /// Carries out an operator's change atomically: reads the campaign, has the domain decide
    /// ([`CampaignChange::apply`]) at `stamp.at`, writes the result with its event (nothing
    /// when the change was already in effect). Answers what the domain decided; a refusal
    /// ([`ChangeRefusal`], an unknown campaign included) writes nothing.
    fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Result<Applied, ChangeRefusal>, StoreError>> + Send;

    /// Carries out a claim atomically: reads the user's claim and the campaign, has the domain
    /// decide ([`ClaimAttempt::decide`]), and performs the decision (a grant takes one unit and
    /// records the claim with a fresh random token). Answers the decision carried out.
    fn claim(
        &self,
        attempt: &ClaimAttempt,
    ) -> impl Future<Output = Result<Decision, StoreError>> + Send;

    /// The claim a user holds on a campaign, if any, in whatever status. Never writes.
    fn claim_of(
        &self,
        id: &CampaignId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// The claim carrying `token` on campaign `id`, if any (another campaign's token is not
    /// found). Never writes.
    fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// Carries out a redeem atomically: reads the claim the token names and the campaign, has
    /// the domain decide ([`RedeemAttempt::decide`]) and carries the [`Verdict`] out with its
    /// event. Answers the verdict carried out.
    fn redeem(
        &self,
        attempt: &RedeemAttempt,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// Carries out a void atomically ([`VoidAttempt::decide`]); a voided claim's unit returns
    /// to inventory in the same step, exactly once however many callers race.
    fn void(
        &self,
        attempt: &VoidAttempt,
    ) -> impl Future<Output = Result<Verdict, StoreError>> + Send;

    /// Expires every claim of campaign `id` past its hold at `stamp.at` ([`Claim::expire`]):
    /// each one's unit returns and its event is appended with it. Answers how many expired
    /// (0 when none was due: running it again writes nothing); `None` when the campaign does
    /// not exist.
    fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// Recomputes `remaining` from the claims holding a unit; writes it when `mode` applies,
    /// after checking the store's integrity ([`StoreError::Damaged`]) and, under
    /// [`ReconcileMode::Apply`], that a crash explains the drift ([`StoreError::DriftTooLarge`]);
    /// a written repair that changed `remaining` appends its event; a refused repair writes
    /// nothing. `None` when the campaign does not exist.
    fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> impl Future<Output = Result<Option<Reconciliation>, StoreError>> + Send;

    /// Counts read from the store for an invariant audit. `None` when the campaign does not exist.
    fn audit(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<Option<Audit>, StoreError>> + Send;

    /// Deletes a campaign and its claims (simulate's clean-up). `false` when it did not exist.
    /// Its events stay: the log is append-only.
    fn delete_campaign(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The events matching `query`, in sequence order (at most `query.limit`). Never writes.
    fn events(
        &self,
        query: &EventQuery,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// One page of a campaign's claims in a stable order (user id, bytewise), after
    /// `page.after`: a caller exporting every claim asks page after page, so memory stays
    /// bounded by the page size at any number of claims. Never writes.
    fn export_page(
        &self,
        page: &ExportPage,
    ) -> impl Future<Output = Result<Vec<Claim>, StoreError>> + Send;

    /// A campaign's post-sale report: the campaign and the counts of its claims, read in one
    /// snapshot, the timeline in buckets of `width` taken from the claims' own timestamps
    /// through the store's (`campaign_id`, `claimed_at`) index. Memory grows with the number
    /// of buckets, never with the number of claims. `None` when the campaign does not exist.
    /// Never writes.
    fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> impl Future<Output = Result<Option<SaleReport>, StoreError>> + Send;

    /// Write transactions committed and jobs they carried since this store was opened, for a
    /// store that groups its writes; `None` for one that does not count them. Cheap
    /// (no I/O), so `simulate` reads it before and after a run.
    fn commit_stats(&self) -> Option<CommitStats> {
        None
    }

    /// Whether the store answers, asked on a path of its own where the store has one: a
    /// readiness probe must not queue behind the reads that serve requests, or load on the
    /// public routes would be reported as an outage. The default reads a campaign no one can
    /// create (ids are slugs; this one is only ever looked up): any answer is the store
    /// answering.
    fn ready(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async {
            let probe = CampaignId::parse("readyz-probe")
                .map_err(|err| StoreError::backend("probing the store", err))?;
            self.campaign(&probe).await.map(|_| ())
        }
    }

    /// The instant the store's time-dependent decisions are to be made at, for a caller whose
    /// clock reads `local`: the services stamp every operator and lifecycle action with it
    /// (when a hold ran out, when a campaign ended). A store on this machine answers `local`
    /// itself. `MongoDB` answers its primary's clock, as it already judges claims: app servers
    /// with skewed clocks must agree on when a hold runs out, or one running fast expires
    /// every shopper's hold early by its skew. Required of every store (no default), so a
    /// wrapper cannot silently judge on its own machine's clock.
    fn now(
        &self,
        local: DateTime<Utc>,
    ) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send;
}

/// A store chosen at run time. Both variants are always compiled.
#[derive(Clone)]
pub enum AnyStore {
    /// The embedded `SQLite` store.
    Sqlite(SqliteStore),
    /// A `MongoDB` deployment.
    Mongo(MongoStore),
}

impl AnyStore {
    /// Opens the store `url` points at, creating its schema on first use.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be opened or reached.
    pub async fn open(url: &StoreUrl) -> Result<Self, StoreError> {
        Self::open_with(url, MongoSettings::default()).await
    }

    /// Like [`AnyStore::open`], with explicit settings for a `MongoDB` store.
    ///
    /// # Errors
    /// As [`AnyStore::open`].
    pub async fn open_with(url: &StoreUrl, mongo: MongoSettings) -> Result<Self, StoreError> {
        Self::open_as(url, mongo, OpenMode::CreateWithFolders).await
    }

    /// Like [`AnyStore::open_with`], creating an `SQLite` store only under
    /// [`OpenMode::Create`]. (A `MongoDB` database is the server's to create: its collections
    /// and indexes are set up on first use either way.)
    ///
    /// # Errors
    /// As [`AnyStore::open`], [`StoreError::Missing`] for a missing `SQLite` file under
    /// [`OpenMode::Existing`], and [`StoreError::NoFolder`] for a missing folder unless under
    /// [`OpenMode::CreateWithFolders`].
    pub async fn open_as(
        url: &StoreUrl,
        mongo: MongoSettings,
        mode: OpenMode,
    ) -> Result<Self, StoreError> {
        match url {
            StoreUrl::Sqlite(path) => Ok(AnyStore::Sqlite(SqliteStore::open_as(path, mode).await?)),
            StoreUrl::Mongo(text) => Ok(AnyStore::Mongo(MongoStore::open_with(text, mongo).await?)),
        }
    }

    /// Whether this open created a new `SQLite` store (always `false` for `MongoDB`).
    #[must_use]
    pub fn created(&self) -> bool {
        match self {
            AnyStore::Sqlite(store) => store.created(),
            AnyStore::Mongo(_) => false,
        }
    }

    /// Closes the store before the process ends: a `MongoDB` client stops its background
    /// workers (see [`MongoStore::close`]); an `SQLite` store needs nothing here, since dropping
    /// its last clone joins its writer thread.
    pub async fn close(&self) {
        if let AnyStore::Mongo(store) = self {
            store.close().await;
        }
    }
}

/// Forwards a call to the store inside. The `MongoDB` store's futures are boxed: they hold
/// the driver's state across several round trips (a claim's is about 3.5 KiB, against a few
/// dozen bytes for `SQLite`'s), and inlined, every future that awaits a store call (a request
/// handler, a simulated shopper's task) would be that large for either store and be copied
/// whole each time it is spawned or moved: 9 % of a million-shopper rehearsal's time on
/// `SQLite` went to that copying. One allocation per `MongoDB` call is nothing next to its
/// network round trip.
macro_rules! forward {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Mongo($store) => Box::pin($call).await,
        }
    };
}

impl Store for AnyStore {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        forward!(self, s => s.create_campaign(campaign, stamp))
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        forward!(self, s => s.campaign(id))
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        forward!(self, s => s.campaigns())
    }
    async fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, StoreError> {
        forward!(self, s => s.campaigns_ending_from(since))
    }
    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        forward!(self, s => s.change_campaign(id, change, stamp))
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        forward!(self, s => s.claim(attempt))
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        forward!(self, s => s.claim_of(id, user))
    }
    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        forward!(self, s => s.claim_by_token(id, token))
    }
    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        forward!(self, s => s.redeem(attempt))
    }
    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        forward!(self, s => s.void(attempt))
    }
    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        forward!(self, s => s.expire_holds(id, stamp))
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        forward!(self, s => s.reconcile(id, mode, stamp))
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        forward!(self, s => s.audit(id))
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        forward!(self, s => s.delete_campaign(id))
    }
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        forward!(self, s => s.events(query))
    }
    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        forward!(self, s => s.export_page(page))
    }
    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        forward!(self, s => s.report(id, width))
    }
    fn commit_stats(&self) -> Option<CommitStats> {
        match self {
            AnyStore::Sqlite(s) => s.commit_stats(),
            AnyStore::Mongo(s) => s.commit_stats(),
        }
    }
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        forward!(self, s => s.now(local))
    }
    async fn ready(&self) -> Result<(), StoreError> {
        forward!(self, s => s.ready())
    }
}
