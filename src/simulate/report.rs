//! The report of a run and its judgement: every verdict is read from the store's state after
//! the run; what the users were told is compared with it, never trusted instead of it.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::identities::IdentityKind;
use super::load::Load;
use super::progress::{Progress, read};
use crate::domain::CampaignId;
use crate::store::{Audit, CommitStats};

/// Upper bound of the latency histograms (an hour, in microseconds); slower requests are
/// recorded at the bound rather than dropped.
const LATENCY_MAX_MICROS: u64 = 3_600_000_000;

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

/// How the store grouped the run's writes into transactions (issue 6: group commit's gain).
///
/// Only for a store that counts its commits (the embedded `SQLite` store); read from the
/// store's own counters before and after the run, so other writes by this process during the
/// run would be included (a simulation makes none).
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
    /// The batching of the writes counted in `run`.
    pub(super) fn from_stats(run: CommitStats) -> Self {
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
    /// I5: nobody was told "sold out" while a unit was left (units handed back by voids and
    /// expiries during the run may remain).
    pub no_undersell: bool,
    /// I7: every claim has one status, only `claimed` and `redeemed` hold a unit, each void
    /// and expiry returned exactly one, and no claim was both redeemed and voided.
    pub one_status_per_claim: bool,
    /// I8: no token was redeemed twice; a retry of the same order replayed the first
    /// redemption and a second order was refused.
    pub redeemed_once: bool,
    /// I9: a user whose claim was voided got it back, voided, when claiming again, and no unit.
    pub final_after_void: bool,
    /// I10: every void and expiry of the run appended its event, and nothing else did.
    pub actions_logged: bool,
}

impl Invariants {
    /// Whether every invariant held.
    #[must_use]
    pub fn all_hold(&self) -> bool {
        self.broken().next().is_none()
    }

    /// The names of the invariants that did not hold, as the report's JSON spells them.
    pub fn broken(&self) -> impl Iterator<Item = &'static str> {
        [
            ("no_oversell", self.no_oversell),
            ("one_claim_per_user", self.one_claim_per_user),
            ("replays_consistent", self.replays_consistent),
            ("inventory_conserved", self.inventory_conserved),
            ("no_undersell", self.no_undersell),
            ("one_status_per_claim", self.one_status_per_claim),
            ("redeemed_once", self.redeemed_once),
            ("final_after_void", self.final_after_void),
            ("actions_logged", self.actions_logged),
        ]
        .into_iter()
        .filter_map(|(name, held)| (!held).then_some(name))
    }
}

/// What the store holds of the claims' lifecycle and its audit log (issue 12), read from its
/// own records before and after a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Claims holding a unit, not redeemed.
    pub claimed: i64,
    /// Claims redeemed at checkout (they still hold their unit).
    pub redeemed: i64,
    /// Claims voided by an operator (their unit returned).
    pub voided: i64,
    /// Claims expired past their hold (their unit returned).
    pub expired: i64,
    /// Events the log holds for the campaign's voids.
    pub void_events: i64,
    /// Claims the log's expiry events say were expired.
    pub expired_by_events: i64,
    /// Every event the log holds for the campaign.
    pub events: i64,
}

impl Lifecycle {
    /// Claims that hold a unit (I7): `claimed` and `redeemed`.
    #[must_use]
    pub fn held(&self) -> i64 {
        self.claimed + self.redeemed
    }

    /// Every claim record, whatever its status.
    #[must_use]
    pub fn claims(&self) -> i64 {
        self.held() + self.voided + self.expired
    }
}

/// The largest share of requests that may fail with an error (neither an answer nor a
/// refusal) before the run fails: 1 %. A sound store answers every request, so errors mean a
/// store that is full, read-only, unreachable or overloaded, and a pre-sale gate must not pass
/// it; the 1 % leaves room for a rare timeout on a busy shared store.
pub const MAX_ERROR_RATIO: f64 = 0.01;

/// The verdicts on the run itself, beside the store's invariants: a store that answers every
/// request with an error keeps every invariant, and must still fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RunChecks {
    /// At most [`MAX_ERROR_RATIO`] of the requests failed with an error.
    pub errors_below_threshold: bool,
    /// Some user got a claim, or none could have: no eligible user, no unit left after the
    /// run, or the campaign was not live for some request.
    pub claimed_when_possible: bool,
    /// The store could be read after the run (the audit, and every user's claim).
    pub audit_complete: bool,
}

impl RunChecks {
    /// The names of the checks that failed, as the report's JSON spells them.
    pub fn failed(&self) -> impl Iterator<Item = &'static str> {
        [
            ("errors_below_threshold", self.errors_below_threshold),
            ("claimed_when_possible", self.claimed_when_possible),
            ("audit_complete", self.audit_complete),
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
    /// `claimed` answers per second of `duration_ms`.
    pub claims_per_sec: f64,
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

/// The run's latencies in µs, in fixed-size histograms whatever the number of requests.
pub(super) struct Timings {
    /// Every request.
    requests: Histogram<u64>,
    /// Every token verification (empty without JWTs).
    identity: Histogram<u64>,
}

impl Timings {
    pub(super) fn new() -> Self {
        Timings {
            requests: new_histogram(),
            identity: new_histogram(),
        }
    }

    /// Records one request: its whole time, and its token verification when one was verified.
    pub(super) fn record(&mut self, request_micros: u64, identity_micros: Option<u64>) {
        self.requests.saturating_record(request_micros.max(1));
        if let Some(micros) = identity_micros {
            self.identity.saturating_record(micros.max(1));
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Three significant digits from 1 µs to an hour: about 200 KB, fixed whatever the run.
    Histogram::new_with_bounds(1, LATENCY_MAX_MICROS, 3)
        .expect("1 µs to an hour at 3 significant digits is a valid histogram")
}

/// What the driver saw of a run, for [`judge`].
pub(super) struct Run<'a> {
    pub(super) campaign: &'a CampaignId,
    pub(super) load: &'a Load,
    pub(super) user_prefix: &'a str,
    pub(super) identity: IdentityKind,
    pub(super) progress: &'a Progress,
    pub(super) timings: &'a Timings,
    /// From the first request to the last answer.
    pub(super) elapsed: Duration,
    /// The final audit's time.
    pub(super) audit_elapsed: Duration,
    /// The server's URL, when claims went over HTTP.
    pub(super) target: Option<String>,
    pub(super) group_commit: Option<GroupCommit>,
    /// Whether others may claim on the campaign during the run (an existing campaign).
    pub(super) shared: bool,
}

/// Judges the run: every verdict reads the store's state after the run (`after`); the users'
/// answers are compared with it, never trusted instead of it. A store that could not be read
/// after the run (`after` is an error) proves nothing, and the run fails.
pub(super) fn judge(
    run: &Run<'_>,
    (before, life_before): (Audit, Lifecycle),
    after: Result<(Audit, Lifecycle), String>,
) -> Report {
    let p = run.progress;
    let claimed = read(&p.claimed);
    let sold_out = read(&p.sold_out);
    let requests = read(&p.requests);
    let errors = read(&p.errors);
    let eligible_users = read(&p.eligible_users);
    let not_live = read(&p.not_live);
    let claimed_i64 = i64::try_from(claimed).unwrap_or(i64::MAX);
    let mut violations = Vec::new();

    let (invariants, claims_by_others, store_after, life_after, audit_error) = match after {
        Ok((after, life_after)) => {
            let facts = Facts {
                after: &after,
                life_before: &life_before,
                life_after: &life_after,
            };
            let (invariants, others) =
                judge_store(run, &facts, claimed_i64, sold_out, &mut violations);
            (invariants, others, Some(after), Some(life_after), None)
        }
        Err(err) => {
            violations.push(format!(
                "audit_complete: the store could not be read after the run: {err}"
            ));
            let unproven = Invariants {
                no_oversell: false,
                one_claim_per_user: false,
                replays_consistent: false,
                inventory_conserved: false,
                no_undersell: false,
                one_status_per_claim: false,
                redeemed_once: false,
                final_after_void: false,
                actions_logged: false,
            };
            (unproven, 0, None, None, Some(err))
        }
    };
    let lifecycle_errors = read(&p.lifecycle_errors);

    let mut holds = |ok: bool, why: String| {
        if !ok {
            violations.push(why);
        }
        ok
    };
    // errors / requests > MAX_ERROR_RATIO, in integers: errors * 100 > requests.
    let all_errors = errors + lifecycle_errors;
    let errors_below_threshold = holds(
        all_errors.saturating_mul(100) <= requests,
        format!(
            "errors_below_threshold: {all_errors} of {requests} requests failed with an error \
             (at most 1 % may)"
        ),
    );
    let units_left = store_after.as_ref().is_some_and(|a| a.remaining > 0);
    let claimed_when_possible = holds(
        claimed > 0 || eligible_users == 0 || !units_left || not_live > 0,
        format!(
            "claimed_when_possible: no claim was granted although {eligible_users} users were \
             eligible and {} units remained",
            store_after.as_ref().map_or(0, |a| a.remaining)
        ),
    );
    let unverified = read(&p.unverified);
    let audit_complete = holds(
        audit_error.is_some() || unverified == 0,
        format!("audit_complete: {unverified} users' claims could not be read back"),
    ) && audit_error.is_none();
    let checks = RunChecks {
        errors_below_threshold,
        claimed_when_possible,
        audit_complete,
    };
    let after = store_after.unwrap_or(before);

    Report {
        campaign_id: run.campaign.clone(),
        seed: run.load.seed,
        users: run.load.users,
        user_prefix: run.user_prefix.to_owned(),
        eligible_users,
        duplicate_users: read(&p.duplicate_users),
        tabs: run.load.tabs,
        concurrency: run.load.concurrency,
        inventory: after.total,
        requests,
        claimed,
        replayed: read(&p.replayed),
        sold_out,
        not_eligible: read(&p.not_eligible),
        not_live: read(&p.not_live),
        errors,
        redeem_ratio: run.load.redeem_ratio,
        void_ratio: run.load.void_ratio,
        redeemed: read(&p.redeemed),
        redeem_replayed: read(&p.redeem_replayed),
        redeem_conflicts: read(&p.redeem_conflicts),
        voided: read(&p.voided),
        void_conflicts: read(&p.void_conflicts),
        expired: read(&p.expired),
        lifecycle_errors,
        duration_ms: u64::try_from(run.elapsed.as_millis()).unwrap_or(u64::MAX),
        audit_ms: u64::try_from(run.audit_elapsed.as_millis()).unwrap_or(u64::MAX),
        target: run.target.clone(),
        http_status: run.target.as_ref().map(|_| p.http_statuses()),
        claims_per_sec: per_second(claimed, run.elapsed),
        requests_per_sec: per_second(requests, run.elapsed),
        latency_ms: latency(&run.timings.requests),
        identity: run.identity,
        // Over HTTP the server verifies the tokens, out of this process's sight.
        identity_ms: match run.identity {
            IdentityKind::Jwt if run.target.is_none() => Some(latency(&run.timings.identity)),
            _ => None,
        },
        group_commit: run.group_commit,
        store_before: before,
        store_after,
        lifecycle_before: life_before,
        lifecycle_after: life_after,
        claims_by_others,
        passed: invariants.all_hold() && checks.failed().next().is_none(),
        invariants,
        checks,
        max_error_ratio: MAX_ERROR_RATIO,
        audit_error,
        violations,
        peak_rss_mb: peak_rss_mb(),
    }
}

/// What the store held before and after the run.
struct Facts<'a> {
    after: &'a Audit,
    life_before: &'a Lifecycle,
    life_after: &'a Lifecycle,
}

/// The store invariants, read from the store after the run, and the claims others made
/// during the run. Each violation sentence states only the conditions that failed, with their
/// numbers.
fn judge_store(
    run: &Run<'_>,
    facts: &Facts<'_>,
    claimed: i64,
    sold_out: u64,
    violations: &mut Vec<String>,
) -> (Invariants, i64) {
    let Facts {
        after,
        life_before,
        life_after,
    } = *facts;
    let p = run.progress;
    let count =
        |counter: &std::sync::atomic::AtomicU64| i64::try_from(read(counter)).unwrap_or(i64::MAX);
    let (voided, expired, redeemed) = (count(&p.voided), count(&p.expired), count(&p.redeemed));
    // Units handed back during the run: a `claimed` answer may reuse one.
    let returned = voided + expired;
    // The claims holding a unit, by the lifecycle's tally. The audit and the tally are two
    // reads: on a campaign others claim on during the run they are two moments, so there the
    // unit accounting uses the audit's count, one snapshot with `remaining` (a comparison of
    // the two would report the claims made between the reads as a broken invariant).
    let held = if run.shared {
        after.claims
    } else {
        life_after.held()
    };
    let mut holds = |name: &str, failed: Vec<String>| {
        if failed.is_empty() {
            return true;
        }
        violations.push(format!("{name}: {}", failed.join("; ")));
        false
    };
    let mut failed = Vec::new();
    if held > after.total || after.remaining < 0 {
        failed.push(format!(
            "the store holds {held} claims holding a unit and remaining {} for {} units",
            after.remaining, after.total
        ));
    }
    if claimed > after.total + returned {
        failed.push(format!(
            "{claimed} users were told `claimed` for {} units ({returned} handed back)",
            after.total
        ));
    }
    let no_oversell = holds("no_oversell", failed);

    let (double_grants, token_mismatches, store_mismatches, unverified) = (
        read(&p.double_grants),
        read(&p.token_mismatches),
        read(&p.store_mismatches),
        read(&p.unverified),
    );
    let mut failed = Vec::new();
    if after.claims != after.distinct_users || after.claims != after.distinct_tokens {
        failed.push(format!(
            "{} claims for {} distinct users with {} distinct tokens",
            after.claims, after.distinct_users, after.distinct_tokens
        ));
    }
    if double_grants > 0 {
        failed.push(format!(
            "{double_grants} users were told `claimed` more than once"
        ));
    }
    let one_claim_per_user = holds("one_claim_per_user", failed);

    let mut failed = Vec::new();
    if token_mismatches > 0 {
        failed.push(format!("{token_mismatches} users got different tokens"));
    }
    if store_mismatches > 0 {
        failed.push(format!(
            "{store_mismatches} hold a token the store does not hold for them"
        ));
    }
    if unverified > 0 {
        failed.push(format!(
            "{unverified} could not be read back (a store error during the audit)"
        ));
    }
    let replays_consistent = holds("replays_consistent", failed);

    // On a shared campaign, claims beyond this run's answers are other shoppers'; the run's
    // own claims were each read back from the store by their user (replays_consistent).
    // Every claim record the run added, whatever its status now (a voided one was a claim).
    let added = life_after.claims() - life_before.claims();
    let others = if run.shared {
        (added - claimed).max(0)
    } else {
        0
    };
    let mut failed = Vec::new();
    if after.remaining != after.total - held {
        failed.push(format!(
            "remaining is {} but total {} - held {held} = {}",
            after.remaining,
            after.total,
            after.total - held
        ));
    }
    if added - others != claimed {
        failed.push(if run.shared {
            format!(
                "the store gained {added} claims during the run, fewer than the run's \
                 {claimed} `claimed` answers"
            )
        } else {
            format!("the run added {added} claims for {claimed} `claimed` answers")
        });
    }
    let inventory_conserved = holds("inventory_conserved", failed);

    let mut failed = Vec::new();
    if sold_out > 0 && after.remaining > returned {
        let back = if returned > 0 {
            format!(" ({returned} handed back during the run)")
        } else {
            String::new()
        };
        failed.push(format!(
            "{sold_out} requests were refused as sold out, yet {} units remain{back}",
            after.remaining
        ));
    }
    let no_undersell = holds("no_undersell", failed);

    let mut failed = Vec::new();
    if !run.shared && held != after.claims {
        failed.push(format!(
            "{held} claims `claimed` or `redeemed` for {} claim records holding a unit",
            after.claims
        ));
    }
    let double = read(&p.double_transitions);
    if double > 0 {
        failed.push(format!("{double} claims were both redeemed and voided"));
    }
    let store_voided = life_after.voided - life_before.voided;
    let store_expired = life_after.expired - life_before.expired;
    if !run.shared && (store_voided != voided || store_expired != expired) {
        failed.push(format!(
            "the store voided {store_voided} and expired {store_expired} claims; the run \
             voided {voided} and expired {expired}"
        ));
    }
    let one_status_per_claim = holds("one_status_per_claim", failed);

    let mut failed = Vec::new();
    let doubles = read(&p.double_redemptions);
    if doubles > 0 {
        failed.push(format!(
            "{doubles} tokens were redeemed twice or a retry got another redemption"
        ));
    }
    let store_redeemed = life_after.redeemed - life_before.redeemed;
    if !run.shared && store_redeemed != redeemed {
        failed.push(format!(
            "the store redeemed {store_redeemed} claims for {redeemed} `redeemed` answers"
        ));
    }
    let redeemed_once = holds("redeemed_once", failed);

    let mut failed = Vec::new();
    let not_final = read(&p.reclaims_not_final);
    if not_final > 0 {
        failed.push(format!(
            "{not_final} users claimed again after a void and did not get the voided claim back"
        ));
    }
    let final_after_void = holds("final_after_void", failed);

    let mut failed = Vec::new();
    let void_events = life_after.void_events - life_before.void_events;
    let expiry_events = life_after.expired_by_events - life_before.expired_by_events;
    let new_events = life_after.events - life_before.events;
    if !run.shared && (void_events != voided || expiry_events != expired) {
        failed.push(format!(
            "the log gained {void_events} void events and {expiry_events} expiries for the \
             run's {voided} voids and {expired} expiries"
        ));
    }
    let _ = new_events;
    let actions_logged = holds("actions_logged", failed);

    let invariants = Invariants {
        no_oversell,
        one_claim_per_user,
        replays_consistent,
        inventory_conserved,
        no_undersell,
        one_status_per_claim,
        redeemed_once,
        final_after_void,
        actions_logged,
    };
    (invariants, others)
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
fn peak_rss_mb() -> Option<f64> {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;

    fn audit(total: i64, remaining: i64, claims: i64) -> Audit {
        Audit {
            total,
            remaining,
            claims,
            distinct_users: claims,
            distinct_tokens: claims,
        }
    }

    /// Judges a run of 10 users who were told `claimed` `claimed` times and `sold out`
    /// `sold_out` times, against the store's `after` state (it held nothing before).
    fn judged(claimed: u64, sold_out: u64, after: Audit) -> Report {
        let life = Lifecycle {
            claimed: after.claims,
            ..Lifecycle::default()
        };
        judged_with(
            &Progress {
                claimed: AtomicU64::new(claimed),
                sold_out: AtomicU64::new(sold_out),
                requests: AtomicU64::new(10),
                ..Progress::default()
            },
            after,
            life,
        )
    }

    /// Judges a run that saw `progress` against the store's `after` state and lifecycle `life`
    /// (it held nothing before).
    fn judged_with(progress: &Progress, after: Audit, life: Lifecycle) -> Report {
        judged_on(progress, after, life, false)
    }

    /// As [`judged_with`], on a campaign others may claim on during the run when `shared`.
    fn judged_on(progress: &Progress, after: Audit, life: Lifecycle, shared: bool) -> Report {
        let run = Run {
            campaign: &CampaignId::parse("sim-test").expect("id"),
            load: &Load::new(10, 1),
            user_prefix: "sim-test",
            identity: IdentityKind::Operator,
            progress,
            timings: &Timings::new(),
            elapsed: Duration::from_secs(2),
            audit_elapsed: Duration::from_millis(3),
            target: None,
            group_commit: None,
            shared,
        };
        judge(
            &run,
            (audit(after.total, after.total, 0), Lifecycle::default()),
            Ok((after, life)),
        )
    }

    #[test]
    fn a_sound_run_passes_with_its_counts_and_rates() {
        let report = judged(4, 6, audit(4, 0, 4));
        assert!(report.passed, "{:?}", report.violations);
        assert_eq!(report.violations, Vec::<String>::new());
        assert_eq!(
            (report.claimed, report.sold_out, report.inventory),
            (4, 6, 4)
        );
        assert_eq!((report.claims_per_sec, report.requests_per_sec), (2.0, 5.0));
        assert_eq!(report.identity_ms, None);
        // No request was timed, so every percentile reads zero rather than failing.
        let untimed = Latency {
            p50: 0.0,
            p95: 0.0,
            p99: 0.0,
            max: 0.0,
        };
        assert_eq!(report.latency_ms, untimed);
    }

    #[test]
    fn each_invariant_is_judged_from_the_stores_numbers() {
        // The store says 5 claims for 4 units; the users were told 4 times.
        let oversold = judged(4, 0, audit(4, -1, 5));
        assert_eq!(
            oversold.invariants.broken().collect::<Vec<_>>(),
            ["no_oversell", "inventory_conserved"]
        );
        assert!(!oversold.passed);
        assert!(oversold.violations[0].starts_with("no_oversell: the store holds 5 claims"));

        // Two claim records for one user.
        let doubled = judged(
            2,
            0,
            Audit {
                distinct_users: 1,
                ..audit(4, 2, 2)
            },
        );
        assert_eq!(
            doubled.invariants.broken().collect::<Vec<_>>(),
            ["one_claim_per_user"]
        );

        // `remaining` drifted below what the claims leave, and someone was refused for it.
        let stranded = judged(2, 3, audit(4, 0, 2));
        assert_eq!(
            stranded.invariants.broken().collect::<Vec<_>>(),
            ["inventory_conserved"]
        );
        let undersold = judged(2, 3, audit(4, 2, 2));
        assert_eq!(
            undersold.invariants.broken().collect::<Vec<_>>(),
            ["no_undersell"]
        );
        assert_eq!(
            undersold.violations,
            ["no_undersell: 3 requests were refused as sold out, yet 2 units remain"]
        );
    }

    /// Issue 12: 4 units, 4 claims, one voided (its unit back) and one redeemed; the store and
    /// the answers agree, and then each lifecycle invariant is broken on its own.
    /// On a shared campaign another shopper's claim can land between the audit's read and the
    /// lifecycle's: the run still passes, judged on the audit's one snapshot, and a real break
    /// of that snapshot is still caught. Alone on its campaign, the same numbers are a break.
    #[test]
    fn a_claim_by_others_between_the_two_reads_is_not_a_violation_of_a_shared_run() {
        let progress = || Progress {
            claimed: AtomicU64::new(4),
            requests: AtomicU64::new(10),
            ..Progress::default()
        };
        // The audit saw the run's 4 claims; the tally, a moment later, one more.
        let later = Lifecycle {
            claimed: 5,
            ..Lifecycle::default()
        };
        let shared = judged_on(&progress(), audit(10, 6, 4), later, true);
        assert!(shared.passed, "{:?}", shared.violations);
        assert_eq!(shared.claims_by_others, 1);
        let broken = judged_on(&progress(), audit(10, 5, 4), later, true);
        assert_eq!(
            broken.invariants.broken().collect::<Vec<_>>(),
            ["inventory_conserved"]
        );
        let alone = judged_on(&progress(), audit(10, 6, 4), later, false);
        assert!(!alone.passed);
        assert!(
            alone
                .invariants
                .broken()
                .any(|name| name == "one_status_per_claim"),
            "{:?}",
            alone.violations
        );
    }

    #[test]
    fn each_lifecycle_invariant_is_judged_from_the_stores_numbers() {
        let progress = || Progress {
            claimed: AtomicU64::new(4),
            requests: AtomicU64::new(10),
            voided: AtomicU64::new(1),
            redeemed: AtomicU64::new(1),
            ..Progress::default()
        };
        let life = Lifecycle {
            claimed: 2,
            redeemed: 1,
            voided: 1,
            void_events: 1,
            events: 2,
            ..Lifecycle::default()
        };
        let sound = judged_with(&progress(), audit(4, 1, 3), life);
        assert!(sound.passed, "{:?}", sound.violations);

        // The void did not hand its unit back: remaining is 0, not total - held = 1.
        let kept = judged_with(&progress(), audit(4, 0, 3), life);
        assert_eq!(
            kept.invariants.broken().collect::<Vec<_>>(),
            ["inventory_conserved"]
        );
        // The store voided two claims for one void answer.
        let extra = Lifecycle {
            claimed: 1,
            voided: 2,
            void_events: 2,
            ..life
        };
        let twice = judged_with(&progress(), audit(4, 2, 2), extra);
        assert_eq!(
            twice.invariants.broken().collect::<Vec<_>>(),
            ["one_status_per_claim", "actions_logged"]
        );
        // A token redeemed for a second order.
        let doubled = Progress {
            double_redemptions: AtomicU64::new(1),
            ..progress()
        };
        let report = judged_with(&doubled, audit(4, 1, 3), life);
        assert_eq!(
            report.invariants.broken().collect::<Vec<_>>(),
            ["redeemed_once"]
        );
        // A voided user claimed again and got a unit.
        let reclaimed = Progress {
            reclaims_not_final: AtomicU64::new(1),
            ..progress()
        };
        let report = judged_with(&reclaimed, audit(4, 1, 3), life);
        assert_eq!(
            report.invariants.broken().collect::<Vec<_>>(),
            ["final_after_void"]
        );
        // The void left no event.
        let silent = Lifecycle {
            void_events: 0,
            ..life
        };
        let report = judged_with(&progress(), audit(4, 1, 3), silent);
        assert_eq!(
            report.invariants.broken().collect::<Vec<_>>(),
            ["actions_logged"]
        );
    }

    #[test]
    fn group_commit_rounds_requests_per_commit_to_one_decimal() {
        let batched = GroupCommit::from_stats(CommitStats {
            commits: 3,
            jobs: 10,
        });
        assert_eq!(
            batched,
            GroupCommit {
                commits: 3,
                requests: 10,
                requests_per_commit: 3.3,
            }
        );
        let idle = GroupCommit::from_stats(CommitStats::default());
        assert_eq!((idle.commits, idle.requests_per_commit), (0, 0.0));
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_mb().is_some_and(|mb| mb > 0.0));
        }
    }
}
