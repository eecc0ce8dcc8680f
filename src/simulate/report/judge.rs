//! The judgement: the store's invariants and the run's checks, read from the store's state
//! after the run, with what the users were told as a second witness.

use std::time::Duration;

use super::measure::{GroupCommit, Timings, latency, peak_rss_mb, per_second};
use super::timeline::millis;
use super::{Invariants, Lifecycle, MAX_ERROR_RATIO, Report, RunChecks};
use crate::domain::CampaignId;
use crate::simulate::identities::IdentityKind;
use crate::simulate::load::Load;
use crate::simulate::progress::{Progress, read};
use crate::store::Audit;

/// What the driver saw of a run, for [`judge`].
pub(in crate::simulate) struct Run<'a> {
    pub(in crate::simulate) campaign: &'a CampaignId,
    pub(in crate::simulate) load: &'a Load,
    pub(in crate::simulate) user_prefix: &'a str,
    pub(in crate::simulate) identity: IdentityKind,
    pub(in crate::simulate) progress: &'a Progress,
    pub(in crate::simulate) timings: &'a Timings,
    /// From the first request to the last answer.
    pub(in crate::simulate) elapsed: Duration,
    /// The final audit's time.
    pub(in crate::simulate) audit_elapsed: Duration,
    /// The server's URL, when claims went over HTTP.
    pub(in crate::simulate) target: Option<String>,
    pub(in crate::simulate) group_commit: Option<GroupCommit>,
    /// Whether others may claim on the campaign during the run (an existing campaign).
    pub(in crate::simulate) shared: bool,
}

/// Judges the run: every verdict reads the store's state after the run (`after`); the users'
/// answers are compared with it, never trusted instead of it. A store that could not be read
/// after the run (`after` is an error) proves nothing, and the run fails.
#[expect(
    clippy::too_many_lines,
    reason = "the report's fields one by one, in its order"
)]
pub(in crate::simulate) fn judge(
    run: &Run<'_>,
    (before, life_before): (Audit, Lifecycle),
    after: Result<(Audit, Lifecycle), String>,
) -> Report {
    let p = run.progress;
    let timeline = &run.timings.timeline;
    let claimed = read(&p.claimed);
    let sold_out = read(&p.sold_out);
    let requests = read(&p.requests);
    let errors = read(&p.errors);
    let eligible_users = read(&p.eligible_users);
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

    let checks = judge_run(
        p,
        store_after.as_ref(),
        audit_error.is_some(),
        &mut violations,
    );
    let after = store_after.unwrap_or(before);

    Report {
        campaign_id: run.campaign.clone(),
        seed: run.load.seed,
        users: run.load.users,
        user_prefix: run.user_prefix.to_owned(),
        eligible_users,
        duplicate_users: read(&p.duplicate_users),
        tabs: run.load.tabs,
        concurrency: run.load.in_flight_bound(),
        arrivals: run
            .load
            .arrivals
            .map(|arrivals| timeline.arrivals(arrivals, run.load.users)),
        peak_in_flight: read(&p.peak_in_flight),
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
        // No timed grant (a user task that panicked), no window to measure the claims over.
        claims_per_sec: if timeline.claims_window().is_zero() {
            0.0
        } else {
            per_second(claimed, timeline.claims_window())
        },
        claims_window_ms: millis(timeline.claims_window()),
        requests_per_sec: per_second(requests, run.elapsed),
        latency_ms: latency(&run.timings.requests),
        identity: run.identity,
        // Over HTTP the server verifies the tokens, out of this process's sight.
        identity_ms: match run.identity {
            IdentityKind::Jwt if run.target.is_none() => Some(latency(&run.timings.identity)),
            _ => None,
        },
        group_commit: run.group_commit,
        per_second: timeline.seconds(before.remaining, run.load.arrivals.is_some()),
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

/// The verdicts on the run itself, from what it counted and what the store holds after it
/// (`None` when it could not be read, `unreadable`); each failed check adds its violation.
fn judge_run(
    p: &Progress,
    store_after: Option<&Audit>,
    unreadable: bool,
    violations: &mut Vec<String>,
) -> RunChecks {
    let (claimed, requests, errors, eligible_users, not_live) = (
        read(&p.claimed),
        read(&p.requests),
        read(&p.errors),
        read(&p.eligible_users),
        read(&p.not_live),
    );
    let mut holds = |ok: bool, why: String| {
        if !ok {
            violations.push(why);
        }
        ok
    };
    // errors / requests > MAX_ERROR_RATIO, in integers: errors * 100 > requests.
    let all_errors = errors + read(&p.lifecycle_errors);
    let errors_below_threshold = holds(
        all_errors.saturating_mul(100) <= requests,
        format!(
            "errors_below_threshold: {all_errors} of {requests} requests failed with an error \
             (at most 1 % may)"
        ),
    );
    let units_left = store_after.is_some_and(|a| a.remaining > 0);
    let claimed_when_possible = holds(
        claimed > 0 || eligible_users == 0 || !units_left || not_live > 0,
        format!(
            "claimed_when_possible: no claim was granted although {eligible_users} users were \
             eligible and {} units remained",
            store_after.map_or(0, |a| a.remaining)
        ),
    );
    let unverified = read(&p.unverified);
    let audit_complete = holds(
        unreadable || unverified == 0,
        format!("audit_complete: {unverified} users' claims could not be read back"),
    ) && !unreadable;
    RunChecks {
        errors_below_threshold,
        claimed_when_possible,
        audit_complete,
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
    let evidence = Evidence::gather(run, facts, claimed, sold_out);
    let mut holds = |name: &str, failed: Vec<String>| {
        if failed.is_empty() {
            return true;
        }
        violations.push(format!("{name}: {}", failed.join("; ")));
        false
    };
    let invariants = Invariants {
        no_oversell: holds("no_oversell", evidence.oversell()),
        one_claim_per_user: holds("one_claim_per_user", evidence.double_claims()),
        replays_consistent: holds("replays_consistent", evidence.inconsistent_replays()),
        inventory_conserved: holds("inventory_conserved", evidence.unconserved_inventory()),
        no_undersell: holds("no_undersell", evidence.undersell()),
        one_status_per_claim: holds("one_status_per_claim", evidence.status_breaks()),
        redeemed_once: holds("redeemed_once", evidence.double_redemptions()),
        final_after_void: holds("final_after_void", evidence.reclaims_after_void()),
        actions_logged: holds("actions_logged", evidence.unlogged_actions()),
    };
    (invariants, evidence.others)
}

/// The numbers the store invariants are judged on: the store's state and tally after the run
/// (and its tally before), and what the run counted. Each check returns the sentences of
/// the conditions that failed, empty when the invariant held.
struct Evidence<'a> {
    after: &'a Audit,
    life_before: &'a Lifecycle,
    life_after: &'a Lifecycle,
    progress: &'a Progress,
    /// Whether others may claim on the campaign during the run.
    shared: bool,
    /// `claimed` answers.
    claimed: i64,
    /// `sold out` refusals.
    sold_out: u64,
    voided: i64,
    expired: i64,
    redeemed: i64,
    /// Units handed back during the run: a `claimed` answer may reuse one.
    returned: i64,
    /// The claims holding a unit.
    held: i64,
    /// Claim records the run added, whatever their status now (a voided one was a claim).
    added: i64,
    /// Claims beyond this run's answers: other shoppers' on a shared campaign.
    others: i64,
}

impl<'a> Evidence<'a> {
    fn gather(run: &Run<'a>, facts: &Facts<'a>, claimed: i64, sold_out: u64) -> Self {
        let Facts {
            after,
            life_before,
            life_after,
        } = *facts;
        let progress = run.progress;
        let count = |counter: &std::sync::atomic::AtomicU64| {
            i64::try_from(read(counter)).unwrap_or(i64::MAX)
        };
        let (voided, expired, redeemed) = (
            count(&progress.voided),
            count(&progress.expired),
            count(&progress.redeemed),
        );
        // The claims holding a unit, by the lifecycle's tally. The audit and the tally are two
        // reads: on a campaign others claim on during the run they are two moments, so there
        // the unit accounting uses the audit's count, one snapshot with `remaining` (a
        // comparison of the two would report the claims made between the reads as a broken
        // invariant).
        let held = if run.shared {
            after.claims
        } else {
            life_after.held()
        };
        // On a shared campaign, claims beyond this run's answers are other shoppers'; the
        // run's own claims were each read back from the store by their user
        // (replays_consistent).
        let added = life_after.claims() - life_before.claims();
        let others = if run.shared {
            (added - claimed).max(0)
        } else {
            0
        };
        Evidence {
            after,
            life_before,
            life_after,
            progress,
            shared: run.shared,
            claimed,
            sold_out,
            voided,
            expired,
            redeemed,
            returned: voided + expired,
            held,
            added,
            others,
        }
    }

    /// I1.
    fn oversell(&self) -> Vec<String> {
        let Evidence {
            after,
            claimed,
            returned,
            held,
            ..
        } = *self;
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
        failed
    }

    /// I2.
    fn double_claims(&self) -> Vec<String> {
        let after = self.after;
        let double_grants = read(&self.progress.double_grants);
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
        failed
    }

    /// I4.
    fn inconsistent_replays(&self) -> Vec<String> {
        let p = self.progress;
        let (token_mismatches, store_mismatches, unverified) = (
            read(&p.token_mismatches),
            read(&p.store_mismatches),
            read(&p.unverified),
        );
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
        failed
    }

    /// I3.
    fn unconserved_inventory(&self) -> Vec<String> {
        let Evidence {
            after,
            claimed,
            held,
            added,
            others,
            ..
        } = *self;
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
            failed.push(if self.shared {
                format!(
                    "the store gained {added} claims during the run, fewer than the run's \
                     {claimed} `claimed` answers"
                )
            } else {
                format!("the run added {added} claims for {claimed} `claimed` answers")
            });
        }
        failed
    }

    /// I5.
    fn undersell(&self) -> Vec<String> {
        let Evidence {
            after,
            sold_out,
            returned,
            ..
        } = *self;
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
        failed
    }

    /// I7.
    fn status_breaks(&self) -> Vec<String> {
        let Evidence {
            after,
            life_before,
            life_after,
            shared,
            voided,
            expired,
            held,
            ..
        } = *self;
        let mut failed = Vec::new();
        if !shared && held != after.claims {
            failed.push(format!(
                "{held} claims `claimed` or `redeemed` for {} claim records holding a unit",
                after.claims
            ));
        }
        let double = read(&self.progress.double_transitions);
        if double > 0 {
            failed.push(format!("{double} claims were both redeemed and voided"));
        }
        let store_voided = life_after.voided - life_before.voided;
        let store_expired = life_after.expired - life_before.expired;
        if !shared && (store_voided != voided || store_expired != expired) {
            failed.push(format!(
                "the store voided {store_voided} and expired {store_expired} claims; the run \
                 voided {voided} and expired {expired}"
            ));
        }
        failed
    }

    /// I8.
    fn double_redemptions(&self) -> Vec<String> {
        let mut failed = Vec::new();
        let doubles = read(&self.progress.double_redemptions);
        if doubles > 0 {
            failed.push(format!(
                "{doubles} tokens were redeemed twice or a retry got another redemption"
            ));
        }
        let store_redeemed = self.life_after.redeemed - self.life_before.redeemed;
        let redeemed = self.redeemed;
        if !self.shared && store_redeemed != redeemed {
            failed.push(format!(
                "the store redeemed {store_redeemed} claims for {redeemed} `redeemed` answers"
            ));
        }
        failed
    }

    /// I9.
    fn reclaims_after_void(&self) -> Vec<String> {
        let mut failed = Vec::new();
        let not_final = read(&self.progress.reclaims_not_final);
        if not_final > 0 {
            failed.push(format!(
                "{not_final} users claimed again after a void and did not get the voided claim back"
            ));
        }
        failed
    }

    /// I10.
    fn unlogged_actions(&self) -> Vec<String> {
        let Evidence {
            life_before,
            life_after,
            voided,
            expired,
            ..
        } = *self;
        let mut failed = Vec::new();
        let void_events = life_after.void_events - life_before.void_events;
        let expiry_events = life_after.expired_by_events - life_before.expired_by_events;
        if !self.shared && (void_events != voided || expiry_events != expired) {
            failed.push(format!(
                "the log gained {void_events} void events and {expiry_events} expiries for the \
                 run's {voided} voids and {expired} expiries"
            ));
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::simulate::report::Latency;

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
        // No grant was timed: there is no window to measure the claims over.
        assert_eq!((report.claims_per_sec, report.requests_per_sec), (0.0, 5.0));
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

    /// 4 units granted in the first half second of a two-second run: 8 claims a second while
    /// they were granted, not 2 over the whole run.
    #[test]
    fn claims_per_second_are_measured_over_the_granting_window() {
        use crate::simulate::report::Outcome;
        let mut timings = Timings::new();
        for (sent, took) in [(0, 100), (50, 100), (200, 150), (400, 100)] {
            let (sent, took) = (Duration::from_millis(sent), Duration::from_millis(took));
            timings.timeline.answered(sent, took, Outcome::Claimed);
        }
        let late = Duration::from_millis(1_900);
        timings
            .timeline
            .answered(late, Duration::from_millis(1), Outcome::SoldOut);
        let progress = Progress {
            claimed: AtomicU64::new(4),
            sold_out: AtomicU64::new(1),
            requests: AtomicU64::new(5),
            ..Progress::default()
        };
        let after = audit(4, 0, 4);
        let run = Run {
            campaign: &CampaignId::parse("sim-test").expect("id"),
            load: &Load::new(5, 1),
            user_prefix: "sim-test",
            identity: IdentityKind::Operator,
            progress: &progress,
            timings: &timings,
            elapsed: Duration::from_secs(2),
            audit_elapsed: Duration::from_millis(3),
            target: None,
            group_commit: None,
            shared: false,
        };
        let life = Lifecycle {
            claimed: 4,
            ..Lifecycle::default()
        };
        let report = judge(
            &run,
            (audit(4, 4, 0), Lifecycle::default()),
            Ok((after, life)),
        );
        assert_eq!(
            (
                report.claims_window_ms,
                report.claims_per_sec,
                report.requests_per_sec
            ),
            (500.0, 8.0, 2.5)
        );
        let seconds: Vec<(u64, u64, i64)> = report
            .per_second
            .iter()
            .map(|s| (s.claimed, s.sold_out, s.remaining))
            .collect();
        assert_eq!(seconds, [(4, 0, 0), (0, 1, 0)]);
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

    /// 4 units, 4 claims, one voided (its unit back) and one redeemed; the store and
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
}
