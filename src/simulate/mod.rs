//! `flashsale simulate`'s engine: N concurrent users against the claim service, then an audit
//! of what the store holds.
//!
//! The simulation proves the invariants of DESIGN.md section 3 from the store's own state after
//! the run (I1 no oversell, I2 one claim per user, I3 conservation, I4 replay, I5 no undersell),
//! and uses the outcomes the users saw only as a second witness. A store that double-grants, or
//! reserves with a read followed by a write, is caught by the audit (see
//! `tests/simulate_broken_store.rs`).
//!
//! Memory is bounded whatever the number of users: each user's cart and tab count are derived
//! from `(seed, user index)` when the user starts, at most [`Load::concurrency`] users are in
//! flight at once, each user holds its own token (with `--jwt`) and checks its own answers
//! against the store before it ends, and the only things that grow with the run are counters
//! and two fixed-size histograms (request latency and token verification).
//!
//! No clap and no progress bar here: the caller polls [`Progress`] from another task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::auth::{AuthError, Identity, JwtSigner, JwtVerifier};
use crate::clock::{Clock, SystemClock};
use crate::domain::{
    CampaignId, CampaignState, Cents, ClaimOutcome, ClaimToken, Currency, DiscountRule, Invalid,
    NewCampaign, Percent, Units, UserId,
};
use crate::error::Error;
use crate::service::{CampaignService, ClaimService};
use crate::store::{Audit, CommitStats, Store};

/// The most users one run may simulate; far above any real sale, and it keeps every count
/// comfortably inside `i64` and exact in the report's floating-point rates.
pub const MAX_USERS: u64 = 1_000_000_000;

/// The most tabs one user may open: a person with more tabs is a bot, and a bound keeps one
/// user's fan-out (tasks in flight) small.
pub const MAX_TABS: u32 = 64;

/// The most users in flight at once.
pub const MAX_CONCURRENCY: usize = 100_000;

/// Users in flight at once when `--concurrency` is not given: enough to keep the embedded
/// store's group commit batching full, few enough that memory stays small.
pub const DEFAULT_CONCURRENCY: usize = 1_000;

/// Tabs a duplicating user opens when `--tabs` is not given.
pub const DEFAULT_TABS: u32 = 2;

/// Share of duplicating users when `--duplicate-ratio` is not given: the headline check is one
/// claim per user, so the default run exercises tabs and retries.
pub const DEFAULT_DUPLICATE_RATIO: f64 = 0.1;

/// Upper bound of the latency histogram (an hour, in microseconds); slower requests are
/// recorded at the bound rather than dropped.
const LATENCY_MAX_MICROS: u64 = 3_600_000_000;

/// The range carts are drawn from, inclusive at both ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CartRange {
    /// Smallest cart.
    pub min: Cents,
    /// Largest cart.
    pub max: Cents,
}

impl Default for CartRange {
    /// 10.00 to 150.00: against the 20.00 minimum of the campaign [`Simulator::create_campaign`]
    /// makes, about 93 % of users are eligible and a few are refused, so both paths run.
    fn default() -> Self {
        CartRange {
            min: cents(1_000),  // 10.00
            max: cents(15_000), // 150.00
        }
    }
}

/// A constant amount; only ever called with non-negative literals.
fn cents(minor_units: i64) -> Cents {
    Cents::new(minor_units).unwrap_or(Cents::ZERO)
}

/// The load a simulation applies.
#[derive(Clone, Debug)]
pub struct Load {
    /// Simulated users, each one a task.
    pub users: u64,
    /// Concurrent requests a duplicating user sends.
    pub tabs: u32,
    /// Share of users, in `[0, 1]`, who duplicate: they send `tabs` concurrent requests, then
    /// one retry after those answered (a refresh).
    pub duplicate_ratio: f64,
    /// Users in flight at once.
    pub concurrency: usize,
    /// Seed of every user's cart and tab count; the same seed repeats the same run.
    pub seed: u64,
    /// Where carts are drawn from.
    pub carts: CartRange,
}

/// What one user does, derived from `(seed, user index)` alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserPlan {
    /// The user's cart.
    pub cart: Cents,
    /// Concurrent first requests (1 for a user who does not duplicate).
    pub tabs: u32,
    /// Whether the user claims once more after the first requests answered.
    pub retry: bool,
}

impl Load {
    /// A load of `users` users with the defaults for everything else and the given `seed`.
    #[must_use]
    pub fn new(users: u64, seed: u64) -> Self {
        Load {
            users,
            tabs: DEFAULT_TABS,
            duplicate_ratio: DEFAULT_DUPLICATE_RATIO,
            concurrency: DEFAULT_CONCURRENCY,
            seed,
            carts: CartRange::default(),
        }
    }

    /// Checks every bound, naming the command-line flag that sets it.
    ///
    /// # Errors
    /// [`Invalid`] for users, tabs or concurrency out of range, a ratio outside `[0, 1]`, or
    /// a cart range whose minimum is above its maximum.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=MAX_USERS).contains(&self.users) {
            return Err(Invalid::new(
                "--users",
                format!("must be from 1 to {MAX_USERS}"),
            ));
        }
        if !(1..=MAX_TABS).contains(&self.tabs) {
            return Err(Invalid::new(
                "--tabs",
                format!("must be from 1 to {MAX_TABS}"),
            ));
        }
        if !(0.0..=1.0).contains(&self.duplicate_ratio) {
            return Err(Invalid::new(
                "--duplicate-ratio",
                "must be a number from 0 to 1, e.g. 0.2",
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Invalid::new(
                "--concurrency",
                format!("must be from 1 to {MAX_CONCURRENCY}"),
            ));
        }
        if self.carts.min > self.carts.max {
            return Err(Invalid::new(
                "--cart-min",
                format!("{} is above --cart-max {}", self.carts.min, self.carts.max),
            ));
        }
        Ok(())
    }

    /// The plan of user `index`: a pure function of the seed and the index, so a run repeats
    /// and no plan is ever stored.
    #[must_use]
    pub fn plan(&self, index: u64) -> UserPlan {
        // The key holds seed and index side by side, so every (seed, index) pair has its own
        // ChaCha stream and no two users' draws are correlated.
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.seed.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        let mut rng = StdRng::from_seed(key);
        let cart = rng.random_range(self.carts.min.get()..=self.carts.max.get());
        let duplicates = rng.random_bool(self.duplicate_ratio.clamp(0.0, 1.0));
        UserPlan {
            // cart lies between two valid amounts, so it is a valid amount.
            cart: Cents::new(cart).unwrap_or(self.carts.min),
            tabs: if duplicates { self.tabs } else { 1 },
            retry: duplicates,
        }
    }
}

/// How long a simulated user's token lives: far longer than any user's few requests, and well
/// inside [`crate::auth::MAX_MINT_TTL_HOURS`].
const TOKEN_TTL_MINUTES: i64 = 60;

/// How simulated users prove who they are (issue 5).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // one value per run, cloned once into the run's shared state
pub enum Identities {
    /// The operator running the simulation vouches for every user, as `claim --user` does;
    /// nothing is verified.
    Operator,
    /// Every user claims through a JWT, as a shopper behind an identity provider would: the
    /// token is minted once per user before its first request (untimed, the provider's work),
    /// and every request, each tab and the retry, verifies it (timed, the server's work).
    Jwt {
        /// Mints each user's token.
        signer: JwtSigner,
        /// Verifies the token on every request; a token it refuses is an error, not a claim.
        verifier: JwtVerifier,
    },
}

impl Identities {
    /// JWTs signed by `signer` and verified by its own [`JwtSigner::verifier`].
    #[must_use]
    pub fn jwt(signer: JwtSigner) -> Self {
        Identities::Jwt {
            verifier: signer.verifier(),
            signer,
        }
    }

    /// How the report names this way of proving identity.
    #[must_use]
    pub fn kind(&self) -> IdentityKind {
        match self {
            Identities::Operator => IdentityKind::Operator,
            Identities::Jwt { .. } => IdentityKind::Jwt,
        }
    }

    /// What `user` will present with each of its requests.
    fn credential(&self, user: &UserId) -> Credential {
        match self {
            Identities::Operator => Credential::Operator,
            Identities::Jwt { signer, .. } => {
                // The verifier checks `nbf` and `exp` against the system clock, not the
                // simulator's (which tests may fix anywhere), so the token is minted by it too.
                match signer.mint(
                    user,
                    SystemClock.now(),
                    TimeDelta::minutes(TOKEN_TTL_MINUTES),
                ) {
                    Ok(minted) => Credential::Token(minted.token.into()),
                    Err(_) => Credential::Unminted,
                }
            }
        }
    }

    /// The identity one request establishes from `credential`, and how long verifying its
    /// token took in µs (`None` when nothing was verified).
    fn identify(
        &self,
        user: &UserId,
        credential: &Credential,
    ) -> (Result<Identity, Error>, Option<u64>) {
        match (self, credential) {
            (Identities::Jwt { verifier, .. }, Credential::Token(token)) => {
                let started = Instant::now();
                let verified = verifier.verify(token);
                (
                    verified.map_err(Error::from),
                    Some(micros(started.elapsed())),
                )
            }
            (_, Credential::Operator) => (Ok(Identity::asserted_by_operator(user.clone())), None),
            // A user who was given no token has nothing to present.
            _ => (Err(AuthError::Missing.into()), None),
        }
    }
}

/// How a run's users proved who they are, as the report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// Asserted by the operator ([`Identities::Operator`]).
    Operator,
    /// A verified JWT per request ([`Identities::Jwt`]).
    Jwt,
}

/// What one user presents with each request. Lives in the user's task only, so no token
/// outlives its user.
#[derive(Clone)]
enum Credential {
    /// Nothing: the operator vouches.
    Operator,
    /// The user's token (shared by its tabs without copying).
    Token(Arc<str>),
    /// Minting failed, so every request of this user is refused as unauthenticated.
    Unminted,
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

/// Live counters of a running simulation; the caller may poll them from another task (e.g.
/// for a progress bar) while [`Simulator::run`] fills them.
#[derive(Debug, Default)]
pub struct Progress {
    users_done: AtomicU64,
    requests: AtomicU64,
    claimed: AtomicU64,
    replayed: AtomicU64,
    sold_out: AtomicU64,
    not_eligible: AtomicU64,
    not_live: AtomicU64,
    errors: AtomicU64,
    eligible_users: AtomicU64,
    duplicate_users: AtomicU64,
    /// Users who got more than one `claimed` answer (I2 broken in front of their eyes).
    double_grants: AtomicU64,
    /// Users whose answers carried different tokens (I4).
    token_mismatches: AtomicU64,
    /// Users holding a token the store does not hold for them (I4).
    store_mismatches: AtomicU64,
    /// Users whose claim could not be read back, so nothing proves it (I4 unproven).
    unverified: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    // Relaxed: each counter is an independent tally; the report reads them only after every
    // task has been joined, which orders all the increments before the reads.
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Progress {
    /// Users who have finished (all their requests answered and checked).
    pub fn users_done(&self) -> u64 {
        read(&self.users_done)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        read(&self.requests)
    }

    /// `claimed` answers so far.
    pub fn claimed(&self) -> u64 {
        read(&self.claimed)
    }
}

/// Latency percentiles of every request, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest request.
    pub max: f64,
}

/// What the store held, as read by [`Store::audit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StoreFacts {
    /// Units ever put on sale.
    pub total: i64,
    /// The stored `remaining` counter.
    pub remaining: i64,
    /// Claim records.
    pub claims: i64,
    /// Distinct users among the claim records.
    pub distinct_users: i64,
    /// Distinct tokens among the claim records.
    pub distinct_tokens: i64,
}

impl From<Audit> for StoreFacts {
    fn from(a: Audit) -> Self {
        StoreFacts {
            total: a.total,
            remaining: a.remaining,
            claims: a.claims,
            distinct_users: a.distinct_users,
            distinct_tokens: a.distinct_tokens,
        }
    }
}

/// How the store grouped the run's writes into transactions (issue 6: group commit's gain).
///
/// Only for a store that counts its commits (the embedded `SQLite` store); read from the
/// store's own counters before and after the run, so other writes by this process during the
/// run would be included (`simulate` makes none).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GroupCommit {
    /// Write transactions committed during the run; each costs one fsync of the log.
    pub commits: u64,
    /// Claim requests those transactions decided: every request that reached the store is
    /// one, whether it was granted, replayed or refused.
    pub requests: u64,
    /// `requests / commits`, to one decimal: how many requests shared each fsync (1 would
    /// mean no batching at all).
    pub requests_per_commit: f64,
}

impl GroupCommit {
    fn from_stats(run: CommitStats) -> Self {
        GroupCommit {
            commits: run.commits,
            requests: run.jobs,
            requests_per_commit: ratio(run.jobs, run.commits),
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts stay far below 2^52, where f64 is exact
fn ratio(count: u64, per: u64) -> f64 {
    if per == 0 {
        return 0.0;
    }
    (count as f64 / per as f64 * 10.0).round() / 10.0
}

/// The verdict on each invariant; `true` means it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[allow(clippy::struct_excessive_bools)] // one flag per invariant is the report's contract
pub struct Invariants {
    /// I1: the store holds no more claims than units, and no more `claimed` answers went out.
    pub no_oversell: bool,
    /// I2: one claim record per user, one token per claim, one `claimed` answer per user.
    pub one_claim_per_user: bool,
    /// I4: every answer a user got carries the one token the store holds for that user.
    pub replays_consistent: bool,
    /// I3: `remaining == total - claims`, and the run added exactly one claim per `claimed`
    /// answer.
    pub inventory_conserved: bool,
    /// I5: nobody was told "sold out" while a unit was left.
    pub no_undersell: bool,
}

impl Invariants {
    /// Whether every invariant held.
    #[must_use]
    pub fn all_hold(&self) -> bool {
        self.no_oversell
            && self.one_claim_per_user
            && self.replays_consistent
            && self.inventory_conserved
            && self.no_undersell
    }

    /// The names of the invariants that did not hold, as the report's JSON spells them.
    pub fn broken(&self) -> impl Iterator<Item = &'static str> {
        [
            ("no_oversell", self.no_oversell),
            ("one_claim_per_user", self.one_claim_per_user),
            ("replays_consistent", self.replays_consistent),
            ("inventory_conserved", self.inventory_conserved),
            ("no_undersell", self.no_undersell),
        ]
        .into_iter()
        .filter_map(|(name, held)| (!held).then_some(name))
    }
}

/// The outcome of a simulation: what was sent, what came back, and what the store holds.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The campaign the users claimed from.
    pub campaign_id: CampaignId,
    /// The seed; pass it again as `--seed` to repeat the run.
    pub seed: u64,
    /// Simulated users (their ids are `<user_prefix>-<index>`).
    pub users: u64,
    /// Prefix of this run's user ids, fresh for every run.
    pub user_prefix: String,
    /// Users whose cart met the campaign's minimum.
    pub eligible_users: u64,
    /// Users who sent tabs and a retry.
    pub duplicate_users: u64,
    /// Tabs per duplicating user.
    pub tabs: u32,
    /// Users in flight at once.
    pub concurrency: usize,
    /// Units of the campaign (its total after the run).
    pub inventory: i64,
    /// Claim requests sent.
    pub requests: u64,
    /// `claimed` answers.
    pub claimed: u64,
    /// `replayed` answers.
    pub replayed: u64,
    /// `sold out` refusals.
    pub sold_out: u64,
    /// `not eligible` refusals.
    pub not_eligible: u64,
    /// `not live` refusals.
    pub not_live: u64,
    /// Requests that failed otherwise (store errors, a missing campaign, …).
    pub errors: u64,
    /// Wall time from the first request to the last answer.
    pub duration_ms: u64,
    /// `claimed` answers per second of `duration_ms`.
    pub claims_per_sec: f64,
    /// Answers of any kind per second of `duration_ms` (the store's decision rate; with a small
    /// inventory most answers are refusals).
    pub requests_per_sec: f64,
    /// Request latency (with `--jwt`, token verification included, as a server sees it).
    pub latency_ms: Latency,
    /// How the users proved who they are.
    pub identity: IdentityKind,
    /// Time spent verifying tokens, per request, when the users claimed through JWTs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_ms: Option<Latency>,
    /// How the store batched the run's writes, when it counts them (`SQLite`; not `MongoDB`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_commit: Option<GroupCommit>,
    /// What the store held before the run.
    pub store_before: StoreFacts,
    /// What the store held after the run; the invariants are checked against it.
    pub store_after: StoreFacts,
    /// The verdicts.
    pub invariants: Invariants,
    /// One sentence per broken invariant, with the numbers that broke it.
    pub violations: Vec<String>,
    /// Whether every invariant held.
    pub passed: bool,
    /// The process's peak resident memory, when the platform reports it (Linux).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
}

/// Runs simulations on a store, reading time from a clock.
pub struct Simulator<S, C> {
    store: S,
    clock: C,
    identities: Identities,
}

impl<S: Store + Clone, C: Clock + Clone> Simulator<S, C> {
    /// A simulator whose users are asserted by the operator.
    pub fn new(store: S, clock: C) -> Self {
        Simulator {
            store,
            clock,
            identities: Identities::Operator,
        }
    }

    /// Makes users prove who they are with `identities` instead.
    #[must_use]
    pub fn with_identities(mut self, identities: Identities) -> Self {
        self.identities = identities;
        self
    }

    /// Creates a fresh live campaign for a run: `inventory` units, 10 % off capped at 5.00,
    /// carts of 20.00 or more, open from now for an hour, id `sim-<random>`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for inventory out of range, [`Error::Store`].
    pub async fn create_campaign(&self, inventory: Units) -> Result<CampaignId, Error> {
        let service = CampaignService::new(self.store.clone(), self.clock.clone());
        let now = service.now();
        let id = CampaignId::parse(&format!("sim-{}", random_tag()))?;
        let new = NewCampaign {
            id: id.clone(),
            name: "flashsale simulate".to_owned(),
            inventory,
            percent: Percent::from_bps(1_000)?,
            max_discount: cents(500), // 5.00
            min_cart: cents(2_000),   // 20.00
            currency: Currency::default(),
            starts_at: now,
            ends_at: now + TimeDelta::hours(1),
        };
        service.create(new).await?;
        Ok(id)
    }

    /// Deletes a campaign and its claims (the clean-up after a run). `false` when it was gone.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn remove_campaign(&self, id: &CampaignId) -> Result<bool, Error> {
        Ok(self.store.delete_campaign(id).await?)
    }

    /// Fires `load` at the live campaign `id`, then audits the store and returns the report.
    ///
    /// The campaign should see no other traffic during the run: the audit attributes every
    /// claim added meanwhile to the simulation.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a load out of bounds, [`Error::NotFound`], [`Error::NotLive`] for
    /// a campaign that is not live now, [`Error::Store`] when the audit cannot be read. A
    /// broken invariant is not an error here: it is in the report.
    pub async fn run(
        &self,
        load: &Load,
        id: &CampaignId,
        progress: Arc<Progress>,
    ) -> Result<Report, Error> {
        load.validate()?;
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let state = campaign.state(self.clock.now());
        if state != CampaignState::Live {
            return Err(Error::NotLive {
                id: id.clone(),
                state,
            });
        }
        let before = self.audit(id).await?;
        let shared = Arc::new(Shared {
            service: ClaimService::new(self.store.clone(), self.clock.clone()),
            store: self.store.clone(),
            campaign: id.clone(),
            rule: campaign.rule,
            identities: self.identities.clone(),
            load: load.clone(),
            prefix: format!("sim-{}", random_tag()),
            progress: Arc::clone(&progress),
        });

        let commits_before = self.store.commit_stats();
        let started = Instant::now();
        let timings = drive(&shared).await;
        let elapsed = started.elapsed();
        // Every request has been answered, and the writer counts a batch before it answers,
        // so this snapshot holds every commit of the run.
        let group_commit = commits_before
            .zip(self.store.commit_stats())
            .map(|(before, after)| GroupCommit::from_stats(after.since(before)));

        let after = self.audit(id).await?;
        let mut report = report(&shared, &timings, elapsed, before, after);
        report.group_commit = group_commit;
        Ok(report)
    }

    async fn audit(&self, id: &CampaignId) -> Result<StoreFacts, Error> {
        self.store
            .audit(id)
            .await?
            .map(StoreFacts::from)
            .ok_or_else(|| Error::NotFound(id.clone()))
    }
}

/// What every user task shares.
struct Shared<S, C> {
    service: ClaimService<S, C>,
    store: S,
    campaign: CampaignId,
    rule: DiscountRule,
    identities: Identities,
    load: Load,
    prefix: String,
    progress: Arc<Progress>,
}

/// How long one request took, in µs.
#[derive(Clone, Copy, Debug)]
struct Timing {
    /// The whole request, identity included.
    request: u64,
    /// Verifying its token, when one was verified.
    identity: Option<u64>,
}

/// The run's timings.
struct Timings {
    /// Every request.
    requests: Histogram<u64>,
    /// Every token verification (empty without JWTs).
    identity: Histogram<u64>,
}

/// Runs every user, at most `concurrency` at a time, and merges their timings.
///
/// Each user is its own task; this loop alone owns the histograms, so recording needs no lock.
/// It starts user `i + concurrency` only when some earlier user finished, so the number of live
/// tasks (and of unjoined results) never exceeds `concurrency`.
async fn drive<S: Store, C: Clock>(shared: &Arc<Shared<S, C>>) -> Timings {
    let mut timings = Timings {
        requests: new_histogram(),
        identity: new_histogram(),
    };
    let mut users = JoinSet::new();
    let mut merge = |joined: Result<Vec<Timing>, tokio::task::JoinError>| match joined {
        Ok(user_timings) => {
            for timing in user_timings {
                timings.requests.saturating_record(timing.request.max(1));
                if let Some(micros) = timing.identity {
                    timings.identity.saturating_record(micros.max(1));
                }
            }
        }
        // A user task that panicked answered nobody; count it so the run cannot pass silently
        // with fewer requests than it planned.
        Err(_) => bump(&shared.progress.errors),
    };
    for index in 0..shared.load.users {
        if users.len() >= shared.load.concurrency
            && let Some(joined) = users.join_next().await
        {
            merge(joined);
        }
        users.spawn(simulate_user(Arc::clone(shared), index));
    }
    while let Some(joined) = users.join_next().await {
        merge(joined);
    }
    timings
}

fn new_histogram() -> Histogram<u64> {
    // Three significant digits from 1 µs to an hour: about 200 KB, fixed whatever the run.
    Histogram::new_with_bounds(1, LATENCY_MAX_MICROS, 3)
        .expect("1 µs to an hour at 3 significant digits is a valid histogram")
}

/// One answer a user received.
#[derive(Debug)]
enum Answer {
    Granted { fresh: bool, token: ClaimToken },
    Refused,
}

/// One user: it gets its credential, its tabs race each other, then it retries once if it
/// duplicates, then it checks what it was told against the store. Returns each request's
/// timing.
async fn simulate_user<S: Store, C: Clock>(shared: Arc<Shared<S, C>>, index: u64) -> Vec<Timing> {
    let plan = shared.load.plan(index);
    let progress = &shared.progress;
    if shared.rule.is_eligible(plan.cart) {
        bump(&progress.eligible_users);
    }
    if plan.retry {
        bump(&progress.duplicate_users);
    }
    let Ok(user) = UserId::parse(&format!("{}-{index}", shared.prefix)) else {
        // The prefix is ASCII and short, so this cannot happen; if it did, it is an error.
        bump(&progress.errors);
        bump(&progress.users_done);
        return Vec::new();
    };

    // Handed out before the user's first request and outside its timing, as an identity
    // provider would have done before the sale.
    let credential = shared.identities.credential(&user);

    let mut answers = Vec::with_capacity(plan.tabs as usize + 1);
    if plan.tabs == 1 {
        answers.push(request(&shared, &user, &credential, plan.cart).await);
    } else {
        // Each tab is its own task, so they reach the store as concurrently as real tabs.
        let mut tabs = JoinSet::new();
        for _ in 0..plan.tabs {
            let (shared, user, credential) =
                (Arc::clone(&shared), user.clone(), credential.clone());
            tabs.spawn(async move { request(&shared, &user, &credential, plan.cart).await });
        }
        while let Some(joined) = tabs.join_next().await {
            match joined {
                Ok(answer) => answers.push(answer),
                Err(_) => bump(&progress.errors),
            }
        }
    }
    if plan.retry {
        answers.push(request(&shared, &user, &credential, plan.cart).await);
    }

    check_user(&shared, &user, &answers).await;
    bump(&progress.users_done);
    answers.into_iter().map(|(_, timing)| timing).collect()
}

/// Checks one user's answers among themselves and against the claim the store holds for them,
/// inside the user's task, so no token outlives its user.
async fn check_user<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    answers: &[(Answer, Timing)],
) {
    let progress = &shared.progress;
    let mut token: Option<&ClaimToken> = None;
    let mut fresh = 0;
    let mut mismatch = false;
    for (answer, _) in answers {
        if let Answer::Granted { fresh: f, token: t } = answer {
            fresh += usize::from(*f);
            match token {
                None => token = Some(t),
                Some(first) => mismatch |= first != t,
            }
        }
    }
    if fresh > 1 {
        bump(&progress.double_grants);
    }
    if mismatch {
        bump(&progress.token_mismatches);
    }
    if let Some(token) = token {
        match shared.store.claim_of(&shared.campaign, user).await {
            Ok(Some(held)) if &held.token == token => {}
            Ok(_) => bump(&progress.store_mismatches),
            Err(_) => bump(&progress.unverified),
        }
    }
}

/// Establishes the user's identity from `credential`, sends one claim and tallies its outcome;
/// returns the answer and its timing. A token that fails verification is an error, and no
/// claim is sent.
async fn request<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    credential: &Credential,
    cart: Cents,
) -> (Answer, Timing) {
    let progress = &shared.progress;
    let started = Instant::now();
    let (identity, identity_micros) = shared.identities.identify(user, credential);
    let outcome = match identity {
        Ok(identity) => {
            shared
                .service
                .claim(&identity, &shared.campaign, cart)
                .await
        }
        Err(err) => Err(err),
    };
    let timing = Timing {
        request: micros(started.elapsed()),
        identity: identity_micros,
    };
    bump(&progress.requests);
    let answer = match outcome {
        Ok(ClaimOutcome::Claimed(claim)) => {
            bump(&progress.claimed);
            Answer::Granted {
                fresh: true,
                token: claim.token,
            }
        }
        Ok(ClaimOutcome::Replayed(claim)) => {
            bump(&progress.replayed);
            Answer::Granted {
                fresh: false,
                token: claim.token,
            }
        }
        Err(err) => {
            bump(match err {
                Error::SoldOut(_) => &progress.sold_out,
                Error::NotEligible { .. } => &progress.not_eligible,
                Error::NotLive { .. } => &progress.not_live,
                _ => &progress.errors,
            });
            Answer::Refused
        }
    };
    (answer, timing)
}

/// Judges the run: every verdict reads the store's state after the run; the users' answers
/// are compared with it, never trusted instead of it.
fn report<S, C>(
    shared: &Shared<S, C>,
    timings: &Timings,
    elapsed: Duration,
    before: StoreFacts,
    after: StoreFacts,
) -> Report {
    let p = &shared.progress;
    let claimed = read(&p.claimed);
    let sold_out = read(&p.sold_out);
    let claimed_i64 = i64::try_from(claimed).unwrap_or(i64::MAX);
    let mut violations = Vec::new();
    let mut holds = |ok: bool, why: String| {
        if !ok {
            violations.push(why);
        }
        ok
    };

    let no_oversell = holds(
        after.claims <= after.total && after.remaining >= 0 && claimed_i64 <= after.total,
        format!(
            "no_oversell: the store holds {} claims and remaining {} for {} units; {claimed} \
             users were told `claimed`",
            after.claims, after.remaining, after.total
        ),
    );
    let (double_grants, token_mismatches, store_mismatches, unverified) = (
        read(&p.double_grants),
        read(&p.token_mismatches),
        read(&p.store_mismatches),
        read(&p.unverified),
    );
    let one_claim_per_user = holds(
        after.claims == after.distinct_users
            && after.claims == after.distinct_tokens
            && double_grants == 0,
        format!(
            "one_claim_per_user: {} claims for {} distinct users with {} distinct tokens; \
             {double_grants} users were told `claimed` more than once",
            after.claims, after.distinct_users, after.distinct_tokens
        ),
    );
    let replays_consistent = holds(
        token_mismatches == 0 && store_mismatches == 0 && unverified == 0,
        format!(
            "replays_consistent: {token_mismatches} users got different tokens, \
             {store_mismatches} hold a token the store does not hold for them, {unverified} \
             could not be read back"
        ),
    );
    let added = after.claims - before.claims;
    let inventory_conserved = holds(
        after.remaining == after.total - after.claims && added == claimed_i64,
        format!(
            "inventory_conserved: remaining {} but total {} - claims {} = {}; the run added \
             {added} claims for {claimed} `claimed` answers",
            after.remaining,
            after.total,
            after.claims,
            after.total - after.claims
        ),
    );
    let no_undersell = holds(
        sold_out == 0 || after.remaining == 0,
        format!(
            "no_undersell: {sold_out} requests were refused as sold out, yet {} units remain",
            after.remaining
        ),
    );
    let invariants = Invariants {
        no_oversell,
        one_claim_per_user,
        replays_consistent,
        inventory_conserved,
        no_undersell,
    };

    Report {
        campaign_id: shared.campaign.clone(),
        seed: shared.load.seed,
        users: shared.load.users,
        user_prefix: shared.prefix.clone(),
        eligible_users: read(&p.eligible_users),
        duplicate_users: read(&p.duplicate_users),
        tabs: shared.load.tabs,
        concurrency: shared.load.concurrency,
        inventory: after.total,
        requests: read(&p.requests),
        claimed,
        replayed: read(&p.replayed),
        sold_out,
        not_eligible: read(&p.not_eligible),
        not_live: read(&p.not_live),
        errors: read(&p.errors),
        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        claims_per_sec: per_second(claimed, elapsed),
        requests_per_sec: per_second(read(&p.requests), elapsed),
        latency_ms: latency(&timings.requests),
        identity: shared.identities.kind(),
        identity_ms: match shared.identities {
            Identities::Operator => None,
            Identities::Jwt { .. } => Some(latency(&timings.identity)),
        },
        group_commit: None,
        store_before: before,
        store_after: after,
        passed: invariants.all_hold(),
        invariants,
        violations,
        peak_rss_mb: peak_rss_mb(),
    }
}

#[allow(clippy::cast_precision_loss)] // counts stay far below 2^52, where f64 is exact
fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64().max(1e-6);
    (count as f64 / seconds * 10.0).round() / 10.0
}

#[allow(clippy::cast_precision_loss)] // microseconds below an hour are exact in f64
fn latency(histogram: &Histogram<u64>) -> Latency {
    let ms = |micros: u64| (micros as f64 / 1_000.0 * 1_000.0).round() / 1_000.0;
    if histogram.is_empty() {
        return Latency {
            p50: 0.0,
            p95: 0.0,
            p99: 0.0,
            max: 0.0,
        };
    }
    Latency {
        p50: ms(histogram.value_at_quantile(0.50)),
        p95: ms(histogram.value_at_quantile(0.95)),
        p99: ms(histogram.value_at_quantile(0.99)),
        max: ms(histogram.max()),
    }
}

/// The process's peak resident set size in MiB (`VmHWM` on Linux), if the platform says.
#[must_use]
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib / 1_024.0 * 10.0).round() / 10.0)
}

/// Eight random hex digits: fresh campaign ids and user prefixes, so runs never collide.
fn random_tag() -> String {
    let mut bytes = [0u8; 4];
    // Only uniqueness matters here, not secrecy; should the OS refuse, the clock will do.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        bytes = nanos.to_le_bytes();
    }
    format!("{:08x}", u32::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_plan_depends_only_on_seed_and_index() {
        let load = Load {
            duplicate_ratio: 0.5,
            tabs: 3,
            ..Load::new(1_000, 42)
        };
        let first: Vec<UserPlan> = (0..1_000).map(|i| load.plan(i)).collect();
        let again: Vec<UserPlan> = (0..1_000).rev().map(|i| load.plan(i)).rev().collect();
        assert_eq!(first, again);
        let other_seed = Load {
            seed: 43,
            ..load.clone()
        };
        let different = (0..1_000)
            .filter(|&i| other_seed.plan(i) != load.plan(i))
            .count();
        assert!(
            different > 900,
            "only {different} plans changed with the seed"
        );
    }

    #[test]
    fn plans_follow_the_cart_range_and_the_duplicate_ratio() {
        let load = Load {
            duplicate_ratio: 0.2,
            tabs: 4,
            ..Load::new(10_000, 7)
        };
        let plans: Vec<UserPlan> = (0..10_000).map(|i| load.plan(i)).collect();
        assert!(
            plans
                .iter()
                .all(|p| load.carts.min <= p.cart && p.cart <= load.carts.max)
        );
        let duplicating = plans.iter().filter(|p| p.retry).count();
        assert!((1_700..=2_300).contains(&duplicating), "{duplicating}");
        assert!(
            plans
                .iter()
                .all(|p| if p.retry { p.tabs == 4 } else { p.tabs == 1 })
        );
        let none = Load {
            duplicate_ratio: 0.0,
            ..load.clone()
        };
        assert!((0..1_000).all(|i| !none.plan(i).retry));
        let all = Load {
            duplicate_ratio: 1.0,
            ..load
        };
        assert!((0..1_000).all(|i| all.plan(i).retry));
    }

    #[test]
    fn out_of_bounds_loads_name_their_flag() {
        let ok = Load::new(10, 1);
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (
                Load {
                    users: 0,
                    ..ok.clone()
                },
                "--users",
            ),
            (
                Load {
                    tabs: 0,
                    ..ok.clone()
                },
                "--tabs",
            ),
            (
                Load {
                    tabs: MAX_TABS + 1,
                    ..ok.clone()
                },
                "--tabs",
            ),
            (
                Load {
                    duplicate_ratio: 1.5,
                    ..ok.clone()
                },
                "--duplicate-ratio",
            ),
            (
                Load {
                    duplicate_ratio: -0.1,
                    ..ok.clone()
                },
                "--duplicate-ratio",
            ),
            (
                Load {
                    duplicate_ratio: f64::NAN,
                    ..ok.clone()
                },
                "--duplicate-ratio",
            ),
            (
                Load {
                    concurrency: 0,
                    ..ok.clone()
                },
                "--concurrency",
            ),
            (
                Load {
                    carts: CartRange {
                        min: cents(2),
                        max: cents(1),
                    },
                    ..ok.clone()
                },
                "--cart-min",
            ),
        ];
        for (load, flag) in cases {
            assert_eq!(load.validate().map_err(|e| e.field), Err(flag), "{load:?}");
        }
    }

    /// Issue 5: a token the server's verifier refuses is an error, never a claim, on every
    /// tab and retry, and the refused verifications are still timed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_user_whose_token_fails_verification_is_an_error_and_claims_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(&dir.path().join("sim.db"))
            .await
            .unwrap();
        // Tokens signed with one key, checked with another: every signature is bad.
        let identities = Identities::Jwt {
            signer: JwtSigner::random_hs256(),
            verifier: JwtSigner::random_hs256().verifier(),
        };
        let simulator = Simulator::new(store, SystemClock).with_identities(identities);
        let campaign = simulator
            .create_campaign(Units::new(10).unwrap())
            .await
            .unwrap();
        let load = Load {
            tabs: 3,
            duplicate_ratio: 0.5,
            ..Load::new(40, 1)
        };
        let report = simulator
            .run(&load, &campaign, Arc::new(Progress::default()))
            .await
            .unwrap();
        assert!(report.duplicate_users > 0, "{report:?}");
        assert_eq!(report.requests, 40 + 3 * report.duplicate_users);
        assert_eq!(report.errors, report.requests, "{report:?}");
        assert_eq!((report.claimed, report.replayed), (0, 0));
        assert_eq!(report.store_after.claims, 0);
        assert_eq!(report.store_after.remaining, 10);
        assert_eq!(report.identity, IdentityKind::Jwt);
        assert!(
            report.identity_ms.is_some_and(|v| v.p50 > 0.0),
            "{report:?}"
        );
        // No request reached the store, so its writer committed nothing.
        assert_eq!(
            report.group_commit.map(|g| (g.commits, g.requests)),
            Some((0, 0))
        );
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_mb().is_some_and(|mb| mb > 0.0));
        }
    }
}
