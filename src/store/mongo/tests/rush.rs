//! Rushes over the model: thousands of concurrent claims with duplicate tabs, injected faults
//! and crashes, and concurrent reconciles and restocks, checked afterwards (and while they run)
//! against the model's own state.

use super::*;

/// One rush: `users` shoppers, each with 1 to `max_tabs` tabs claiming at once.
struct Rush {
    total: i64,
    users: usize,
    max_tabs: usize,
    faults: Option<Faults>,
    lease: Lease,
    /// Reconcile (with `--apply`) and restock in a loop while the claims run.
    operator_meddles: bool,
}

/// What happened in a rush.
struct Report {
    answers: Vec<(usize, Answer)>,
    died: usize,
    /// Violations seen by the monitor while the rush ran.
    during: Vec<String>,
    samples: usize,
    repairs: usize,
    elapsed: Duration,
}

impl Report {
    fn tally(&self) -> String {
        let mut claimed = 0;
        let mut replayed = 0;
        let mut sold_out = 0;
        let mut errors = 0;
        for (_, answer) in &self.answers {
            match answer {
                Ok(Ok(ClaimOutcome::Claimed(_))) => claimed += 1,
                Ok(Ok(ClaimOutcome::Replayed(_))) => replayed += 1,
                Ok(Err(Refusal::SoldOut)) => sold_out += 1,
                _ => errors += 1,
            }
        }
        format!(
            "{} tasks in {:?}: {claimed} claimed, {replayed} replayed, {sold_out} sold out, \
             {errors} errors ({} died); monitor took {} snapshots; {} reconcile repairs",
            self.answers.len(),
            self.elapsed,
            self.died,
            self.samples,
            self.repairs
        )
    }
}

/// The `claimed` documents: the claims.
fn claims_in(snapshot: &Snapshot) -> i64 {
    let claims = snapshot
        .claims
        .iter()
        .filter(|d| d.status == Status::Claimed)
        .count();
    i64::try_from(claims).unwrap()
}

/// I1 at one instant: no more claims than units, and claims plus what is left never exceed
/// what was put on sale.
fn oversold(snapshot: &Snapshot) -> Option<String> {
    let campaign = &snapshot.campaigns[ID];
    let claimed = claims_in(snapshot);
    (claimed > campaign.total
        || claimed + campaign.remaining > campaign.total
        || campaign.remaining < 0)
        .then(|| {
            format!(
                "I1: {claimed} claims + {} remaining > {} total",
                campaign.remaining, campaign.total
            )
        })
}

async fn rush(ops: &Arc<MemoryOps>, rush: &Rush, now: DateTime<Utc>) -> Report {
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let monitor = {
        let (ops, done) = (Arc::clone(ops), Arc::clone(&done));
        tokio::spawn(async move {
            let (mut seen, mut samples) = (Vec::new(), 0);
            while !done.load(Ordering::Relaxed) {
                seen.extend(oversold(&ops.snapshot()));
                samples += 1;
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            (seen, samples)
        })
    };
    let operator = rush.operator_meddles.then(|| {
        let (ops, done, lease) = (Arc::clone(ops), Arc::clone(&done), rush.lease);
        tokio::spawn(async move {
            let id = CampaignId::parse(ID).unwrap();
            let mut repairs = 0;
            let mut round = 0;
            while !done.load(Ordering::Relaxed) {
                round += 1;
                if round % 20 == 0 {
                    ops.add_inventory(
                        ID,
                        3,
                        MAX_INVENTORY - 3,
                        crate::random::token(SystemClock.now()).as_str(),
                        &PendingEvent::for_test(),
                    )
                    .await
                    .unwrap();
                }
                let report = claim::reconcile(
                    &*ops,
                    &clock(),
                    &lease,
                    Defects::NONE,
                    &id,
                    ReconcileMode::Force,
                )
                .await;
                if report.is_ok_and(|r| r.is_some_and(|r| r.drift() != 0)) {
                    repairs += 1;
                }
                tokio::task::yield_now().await;
            }
            repairs
        })
    });
    let mut tabs: Vec<usize> = (0..rush.users)
        .flat_map(|user| std::iter::repeat_n(user, 1 + (user * 7919) % rush.max_tabs))
        .collect();
    tabs.shuffle(&mut rand::rng());
    let tasks: Vec<_> = tabs
        .into_iter()
        .map(|user| {
            let (ops, faults, lease) = (Arc::clone(ops), rush.faults, rush.lease);
            tokio::spawn(async move {
                let attempt = attempt(user, now);
                match faults {
                    None => (
                        user,
                        claim::claim(&*ops, &clock(), &lease, Defects::NONE, &attempt).await,
                        false,
                    ),
                    Some(faults) => {
                        let crashing = CrashOps::new(&*ops, faults);
                        let answer =
                            claim::claim(&crashing, &clock(), &lease, Defects::NONE, &attempt)
                                .await;
                        (user, answer, crashing.died())
                    }
                }
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    let mut died = 0;
    for task in tasks {
        let (user, answer, dead) = task.await.unwrap();
        died += usize::from(dead);
        answers.push((user, answer.map(Decision::into_outcome)));
    }
    done.store(true, Ordering::Relaxed);
    let (during, samples) = monitor.await.unwrap();
    let repairs = match operator {
        Some(operator) => operator.await.unwrap(),
        None => 0,
    };
    Report {
        answers,
        died,
        during,
        samples,
        repairs,
        elapsed: started.elapsed(),
    }
}

/// Every invariant the final state and the answers must satisfy. `at_rest_exact` adds what
/// holds only without crashes and without an operator meddling: no errors, no leftover
/// reservation, I3 and I5.
fn violations(snapshot: &Snapshot, report: &Report, at_rest_exact: bool) -> Vec<String> {
    let mut found: Vec<String> = report.during.clone();
    found.extend(oversold(snapshot));
    let campaign = &snapshot.campaigns[ID];
    // I2: one document (so at most one claim) per user.
    let mut docs: HashMap<&str, Vec<&ClaimDoc>> = HashMap::new();
    for doc in &snapshot.claims {
        docs.entry(doc.user_id.as_str()).or_default().push(doc);
    }
    for (user, held) in &docs {
        if held.len() > 1 {
            found.push(format!("I2: {user} holds {} documents", held.len()));
        }
    }
    // I4: every tab of a user that got a claim saw the same token, the stored claimed one, and
    // at most one tab was told "claimed".
    let mut seen: HashMap<usize, (Vec<String>, usize)> = HashMap::new();
    for (user, answer) in &report.answers {
        if let Ok(Ok(outcome)) = answer {
            let entry = seen.entry(*user).or_default();
            entry.0.push(outcome.claim().token.to_string());
            entry.1 += usize::from(matches!(outcome, ClaimOutcome::Claimed(_)));
        }
    }
    for (user, (tokens, fresh)) in &seen {
        let name = format!("user-{user}");
        let stored = docs
            .get(name.as_str())
            .and_then(|held| held.iter().find(|d| d.status == Status::Claimed));
        match stored {
            Some(doc) if tokens.iter().all(|t| *t == doc.token) => {}
            _ => found.push(format!(
                "I4: {name} was answered {tokens:?}, store has {stored:?}"
            )),
        }
        if *fresh > 1 {
            found.push(format!("I4: {name} was told `claimed` {fresh} times"));
        }
    }
    if at_rest_exact {
        let claimed = claims_in(snapshot);
        if claimed + campaign.remaining != campaign.total {
            found.push(format!(
                "I3: {claimed} claims + {} remaining != {} total",
                campaign.remaining, campaign.total
            ));
        }
        let sold_out = report
            .answers
            .iter()
            .any(|(_, a)| matches!(a, Ok(Err(Refusal::SoldOut))));
        if sold_out && campaign.remaining != 0 {
            found.push(format!(
                "I5: someone was told sold out, {} units remain",
                campaign.remaining
            ));
        }
        for (user, answer) in &report.answers {
            if !matches!(answer, Ok(Ok(_) | Err(Refusal::SoldOut))) {
                found.push(format!("user-{user} was answered {answer:?}"));
            }
        }
        if snapshot
            .claims
            .iter()
            .any(|d| d.status == Status::Reserving)
        {
            found.push("a reservation was left behind".into());
        }
    }
    found
}

/// After a crashy rush: once every lease ran out, `reconcile --apply` restores I3 and leaves no
/// reservation behind, and a second reconcile finds no drift. Returns the drift it repaired.
async fn reconcile_restores_conservation(ops: &MemoryOps, lease: &Lease) -> i64 {
    tokio::time::sleep(lease.stale_after + Duration::from_millis(5)).await;
    let id = CampaignId::parse(ID).unwrap();
    let repaired = claim::reconcile(
        ops,
        &clock(),
        lease,
        Defects::NONE,
        &id,
        ReconcileMode::Force,
    )
    .await
    .unwrap()
    .unwrap();
    let snapshot = ops.snapshot();
    let campaign = &snapshot.campaigns[ID];
    assert!(
        snapshot.claims.iter().all(|d| d.status == Status::Claimed),
        "a stale reservation survived reconcile"
    );
    assert_eq!(
        campaign.remaining,
        campaign.total - claims_in(&snapshot),
        "I3 after reconcile"
    );
    let again = claim::reconcile(
        ops,
        &clock(),
        lease,
        Defects::NONE,
        &id,
        ReconcileMode::Force,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(again.drift(), 0);
    eprintln!("reconcile returned {} stranded units", repaired.drift());
    repaired.drift()
}

fn faults(rate: f64) -> Faults {
    Faults {
        fail_before: rate,
        fail_after: rate,
        die_before: rate,
        die_after: rate,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_tabs_under_contention_keep_every_invariant() {
    let now = SystemClock.now();
    for (total, users) in [(1_000, 3_000), (5_000, 3_000), (1, 300)] {
        let ops = seeded(MemoryOps::default(), total, now).await;
        let run = Rush {
            total,
            users,
            max_tabs: 3,
            faults: None,
            lease: patient_lease(),
            operator_meddles: false,
        };
        let report = rush(&ops, &run, now).await;
        eprintln!(
            "no faults, {total} units, {users} users: {}",
            report.tally()
        );
        let snapshot = ops.snapshot();
        assert_eq!(violations(&snapshot, &report, true), Vec::<String>::new());
        let claims = claims_in(&snapshot);
        assert_eq!(
            claims,
            run.total.min(i64::try_from(users).unwrap()),
            "min(N, K) claims"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crashes_never_oversell_and_reconcile_restores_conservation() {
    let now = SystemClock.now();
    let mut stranded = 0;
    for rate in [0.002, 0.01, 0.03] {
        let ops = seeded(MemoryOps::default(), 1_000, now).await;
        let run = Rush {
            total: 1_000,
            users: 3_000,
            max_tabs: 3,
            faults: Some(faults(rate)),
            lease: quick_lease(),
            operator_meddles: false,
        };
        let report = rush(&ops, &run, now).await;
        eprintln!("fault rate 4 x {rate} per operation: {}", report.tally());
        assert!(report.died > 0, "the run injected no crash");
        assert_eq!(
            violations(&ops.snapshot(), &report, false),
            Vec::<String>::new()
        );
        stranded += reconcile_restores_conservation(&ops, &run.lease).await;
    }
    assert!(
        stranded > 0,
        "no crash stranded a unit: the crash path went untested"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconcile_and_restocks_during_claims_never_oversell() {
    let now = SystemClock.now();
    for faults in [None, Some(faults(0.01))] {
        let ops = seeded(MemoryOps::default(), 1_000, now).await;
        let run = Rush {
            total: 1_000,
            users: 3_000,
            max_tabs: 3,
            faults,
            lease: quick_lease(),
            operator_meddles: true,
        };
        let report = rush(&ops, &run, now).await;
        eprintln!(
            "reconcile + restock during claims, faults {:?}: {}",
            faults.is_some(),
            report.tally()
        );
        assert!(report.samples > 0);
        assert_eq!(
            violations(&ops.snapshot(), &report, false),
            Vec::<String>::new()
        );
        reconcile_restores_conservation(&ops, &run.lease).await;
    }
}

/// The checks can fail: a reserve done as read-then-write (what `FerretDB` v1 does) oversells,
/// and the invariant checks say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_racy_reserve_is_caught_by_the_checks() {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::racy(), 300, now).await;
    let run = Rush {
        total: 300,
        users: 3_000,
        max_tabs: 1,
        faults: None,
        lease: patient_lease(),
        operator_meddles: false,
    };
    let report = rush(&ops, &run, now).await;
    let found = violations(&ops.snapshot(), &report, true);
    eprintln!("racy reserve: {} -> {:?}", report.tally(), found.first());
    assert!(
        found.iter().any(|v| v.starts_with("I1")),
        "a lost update went unnoticed"
    );
}
