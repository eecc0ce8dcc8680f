//! The report of a run and its judgement: every verdict is read from the store's state after
//! the run; what the users were told is compared with it, never trusted instead of it.
//!
//! [`Report`] is the outcome; `judge` reaches it from what the run saw and what the store
//! holds; [`Invariants`] and [`RunChecks`] are its verdicts, [`Lifecycle`] the store's tally of
//! the claims, and `measure` the run's latency, batching and memory.

mod judge;
mod lifecycle;
mod measure;
mod timeline;
mod verdict;

use std::collections::BTreeMap;

use serde::Serialize;

use super::identities::IdentityKind;
use crate::domain::CampaignId;
use crate::store::Audit;

pub(super) use self::judge::{Run, judge};
pub use self::lifecycle::Lifecycle;
pub(super) use self::measure::Timings;
pub use self::measure::{GroupCommit, Latency};
pub(super) use self::timeline::Outcome;
pub use self::timeline::{ArrivalsReport, Percentiles, Second};
pub use self::verdict::{Invariants, MAX_ERROR_RATIO, RunChecks};

/// The outcome of a simulation: what was sent, what came back, and what the store holds.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The campaign the users claimed from.
    pub campaign_id: CampaignId,
    /// The seed; the same seed repeats the run.
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
    /// The most users in flight at once: `--concurrency` in a closed loop; with `arrivals`,
    /// the open loop's cap.
    pub concurrency: usize,
    /// With an open loop: how the users arrived. Absent in a closed loop, where each user
    /// starts when another finishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<ArrivalsReport>,
    /// The most users that were in flight at once.
    pub peak_in_flight: u64,
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
    /// Share of users who redeem at checkout once granted.
    pub redeem_ratio: f64,
    /// Share of users whose claim an operator voids once granted.
    pub void_ratio: f64,
    /// Redemptions granted.
    pub redeemed: u64,
    /// Retries of the same order answered with the first redemption (`replayed`).
    pub redeem_replayed: u64,
    /// Redemptions refused as a conflict: second orders, and claims voided or expired first.
    pub redeem_conflicts: u64,
    /// Claims the operator voided.
    pub voided: u64,
    /// Voids refused as a conflict (the user had redeemed first).
    pub void_conflicts: u64,
    /// Claims the operator's expiry sweeps expired.
    pub expired: u64,
    /// Redemptions, voids, sweeps and claims after a void that failed with an error.
    pub lifecycle_errors: u64,
    /// Wall time of the claim phase: from the first request to the last answer (each user's
    /// read-back of its own claim included, the final audit not).
    pub duration_ms: u64,
    /// Wall time of the final audit of the store, after the claim phase.
    pub audit_ms: u64,
    /// The server the claims went to (`simulate --target`); absent when they were made in
    /// this process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// With a target: the HTTP answers to the claim requests (`requests`) by status (`"0"`
    /// counts requests that got no answer). Redemptions and claims again after a void go over
    /// HTTP too; their outcomes are the lifecycle's counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<BTreeMap<u16, u64>>,
    /// `claimed` answers per second of `claims_window_ms`: the pace at which units went while
    /// they were being granted, not diluted by the refusals after the stock ran out.
    pub claims_per_sec: f64,
    /// The span the claims were made over: from sending the first request that was granted
    /// to the answer of the last grant, in ms to the µs (0 without a grant).
    pub claims_window_ms: f64,
    /// Answers of any kind per second of `duration_ms` (the store's decision rate; with a small
    /// inventory most answers are refusals).
    pub requests_per_sec: f64,
    /// Request latency (with JWT identities, token verification included, as a server sees
    /// it).
    pub latency_ms: Latency,
    /// How the users proved who they are.
    pub identity: IdentityKind,
    /// Time spent verifying tokens, per request, when the users claimed through JWTs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_ms: Option<Latency>,
    /// How the store batched the run's writes, when it counts them (`SQLite`; not `MongoDB`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_commit: Option<GroupCommit>,
    /// The run second by second from its start: offered and started users, users finished,
    /// answers by outcome, latency percentiles and units left.
    pub per_second: Vec<Second>,
    /// What the store held before the run.
    pub store_before: Audit,
    /// What the store held after the run; the invariants are checked against it. `None`
    /// when the store could not be read after the run (see `audit_error`).
    pub store_after: Option<Audit>,
    /// The claims by status and the campaign's events before the run.
    pub lifecycle_before: Lifecycle,
    /// The same after the run (`None` when the store could not be read).
    pub lifecycle_after: Option<Lifecycle>,
    /// Claims the store gained during the run beyond this run's `claimed` answers: other
    /// shoppers on a campaign the run shares (an existing campaign). Always 0 on a campaign the run
    /// created, where any would be a violation.
    pub claims_by_others: i64,
    /// The verdicts on the store. Each is `false` when the audit could not be read: nothing
    /// was proven.
    pub invariants: Invariants,
    /// The verdicts on the run.
    pub checks: RunChecks,
    /// [`MAX_ERROR_RATIO`], the share of errors `checks.errors_below_threshold` allows.
    pub max_error_ratio: f64,
    /// Why the store could not be read after the run, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_error: Option<String>,
    /// One sentence per broken invariant or failed check, with the numbers that broke it.
    pub violations: Vec<String>,
    /// Whether every invariant held and every check passed.
    pub passed: bool,
    /// The process's peak resident memory, when the platform reports it (Linux).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
}
