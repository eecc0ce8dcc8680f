//! The claim algorithm under thousands of concurrent requests with duplicate tabs, injected
//! faults and crashes, and concurrent reconciles and restocks, checked afterwards (and while it
//! runs) against the model's own state.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::SliceRandom as _;

use super::DocStore;
use super::claim::{self, Defects, Lease, ServerClock};
use super::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status, date};
use super::model::{CrashOps, Faults, MemoryOps, Snapshot};
use super::ops::{CampaignOps as _, DocOps as _, Seen};
use crate::clock::{Clock, SystemClock};
use crate::domain::{
    Campaign, CampaignChange, CampaignId, CampaignState, ChangeRefusal, ClaimAttempt, ClaimOutcome,
    Conflict, Currency, Decision, MAX_INVENTORY, NewCampaign, Refusal, Units, UserId,
};
use crate::store::{ReconcileMode, Store, StoreError};

/// A claim's answer as a caller sees it.
type Answer = Result<Result<ClaimOutcome, Refusal>, StoreError>;

const ID: &str = "rush";

fn campaign(total: i64, now: DateTime<Utc>) -> Campaign {
    new_campaign(total, now).validate(now).unwrap()
}

/// Campaign [`ID`] with `total` units, opened a minute before `now` for an hour, no hold.
fn new_campaign(total: i64, now: DateTime<Utc>) -> NewCampaign {
    NewCampaign {
        id: CampaignId::parse(ID).unwrap(),
        name: "Rush".into(),
        inventory: Units::new(total).unwrap(),
        percent: "10".parse().unwrap(),
        max_discount: "5".parse().unwrap(),
        min_cart: "10".parse().unwrap(),
        currency: Currency::default(),
        starts_at: now - TimeDelta::minutes(1),
        ends_at: now + TimeDelta::hours(1),
        hold: None,
    }
}

async fn seeded(ops: MemoryOps, total: i64, now: DateTime<Utc>) -> Arc<MemoryOps> {
    ops.insert_campaign(&CampaignDoc::new(&campaign(total, now)))
        .await
        .unwrap();
    Arc::new(ops)
}

fn attempt(user: usize, now: DateTime<Utc>) -> ClaimAttempt {
    ClaimAttempt {
        campaign_id: CampaignId::parse(ID).unwrap(),
        user_id: UserId::parse(&format!("user-{user}")).unwrap(),
        cart: "50".parse().unwrap(),
        now,
    }
}

/// The server's clock as the model keeps it, measured from this machine's.
fn clock() -> ServerClock<SystemClock> {
    ServerClock::new(SystemClock)
}

fn quick_lease() -> Lease {
    Lease {
        stale_after: Duration::from_millis(20),
        poll_min: Duration::from_millis(1),
        poll_max: Duration::from_millis(4),
    }
}

fn patient_lease() -> Lease {
    Lease {
        stale_after: Duration::from_secs(30),
        poll_min: Duration::from_millis(1),
        poll_max: Duration::from_millis(10),
    }
}

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

#[tokio::test]
async fn a_tab_waits_for_the_tab_in_flight_and_replays_its_claim() {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::default(), 5, now).await;
    let lease = patient_lease();
    let first = attempt(1, now).grant("5".parse().unwrap(), crate::random::token(now));
    let doc = ClaimDoc::reserving(&first, now);
    ops.put_claim(doc.clone());
    let waiting = {
        let ops = Arc::clone(&ops);
        tokio::spawn(async move {
            claim::claim(&*ops, &clock(), &lease, Defects::NONE, &attempt(1, now)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!waiting.is_finished(), "the tab did not wait");
    ops.set_status(&doc.token, Status::Claimed);
    let answer = waiting.await.unwrap().unwrap().into_outcome().unwrap();
    assert_eq!(answer, ClaimOutcome::Replayed(first));
    assert_eq!(ops.snapshot().campaigns[ID].remaining, 5);
}

#[tokio::test]
async fn a_crashed_reservation_is_cleared_once_its_lease_ran_out() {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::default(), 5, now).await;
    let old = attempt(1, now).grant("5".parse().unwrap(), crate::random::token(now));
    ops.put_claim(ClaimDoc::reserving(&old, now - TimeDelta::minutes(5)));
    let answer = claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap()
    .into_outcome()
    .unwrap();
    let ClaimOutcome::Claimed(new) = answer else {
        panic!("expected a new claim, got {answer:?}")
    };
    assert_ne!(new.token, old.token);
    let snapshot = ops.snapshot();
    assert_eq!(snapshot.claims.len(), 1);
    assert_eq!(snapshot.campaigns[ID].remaining, 4);
}

/// Issue 14: a repair trusts the claim documents only as far as a crash explains the drift.
/// A unit stranded by a crash between reserving and confirming is returned by a plain apply;
/// a unit missing with no reservation to account for it (a claim deleted behind the store's
/// back) is refused, writes nothing, and needs force.
#[tokio::test]
async fn a_repair_beyond_the_reservations_is_refused_unless_forced() {
    let now = SystemClock.now();
    let lease = quick_lease();
    let id = CampaignId::parse(ID).unwrap();
    let ops = seeded(MemoryOps::default(), 5, now).await;
    let grant = attempt(1, now).grant("5".parse().unwrap(), crate::random::token(now));
    ops.insert_claim(&ClaimDoc::reserving(&grant, now))
        .await
        .unwrap();
    assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    tokio::time::sleep(lease.stale_after * 2).await;
    let repaired = claim::reconcile(
        &*ops,
        &clock(),
        &lease,
        Defects::NONE,
        &id,
        ReconcileMode::Apply,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((repaired.drift(), repaired.crash_limit), (1, 1));
    assert_eq!(ops.snapshot().campaigns[ID].remaining, 5);

    // A unit gone with no document: nothing a crash leaves explains it.
    assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    let before = ops.snapshot();
    let refused = claim::reconcile(
        &*ops,
        &clock(),
        &lease,
        Defects::NONE,
        &id,
        ReconcileMode::Apply,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::DriftTooLarge {
                drift: 1,
                limit: 0,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(ops.snapshot().campaigns[ID], before.campaigns[ID]);
    let forced = claim::reconcile(
        &*ops,
        &clock(),
        &lease,
        Defects::NONE,
        &id,
        ReconcileMode::Force,
    )
    .await
    .unwrap()
    .unwrap();
    assert!(forced.applied && forced.drift() == 1);
    assert_eq!(ops.snapshot().campaigns[ID].remaining, 5);
}

#[tokio::test]
async fn a_reconcile_write_is_refused_once_anything_moved() {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::default(), 5, now).await;
    let before = ops.snapshot().campaigns[ID].clone();
    let seen = Seen {
        remaining: before.remaining,
        total: before.total,
        epoch: before.epoch,
    };
    // Another reconcile writes the same value back: `remaining` looks unchanged (ABA), but the
    // epoch moved, so the stale write is refused.
    assert!(ops.set_remaining(ID, seen, 5, None).await.unwrap());
    assert!(!ops.set_remaining(ID, seen, 4, None).await.unwrap());
    assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    assert_eq!(ops.snapshot().campaigns[ID].remaining, 4);
}

#[tokio::test]
async fn the_document_store_answers_like_a_store() {
    let now = SystemClock.now();
    let store = DocStore::new(MemoryOps::default(), SystemClock, patient_lease());
    let id = CampaignId::parse(ID).unwrap();
    let stamp = crate::domain::Stamp {
        actor: crate::domain::Actor::parse("test").unwrap(),
        at: now,
    };
    Store::create_campaign(&store, &campaign(2, now), &stamp)
        .await
        .unwrap();
    assert!(matches!(
        Store::create_campaign(&store, &campaign(2, now), &stamp).await,
        Ok(Some(existing)) if existing.id == id
    ));
    let first = Store::claim(&store, &attempt(1, now))
        .await
        .unwrap()
        .into_outcome()
        .unwrap();
    assert!(matches!(first, ClaimOutcome::Claimed(_)));
    let again = Store::claim(&store, &attempt(1, now))
        .await
        .unwrap()
        .into_outcome()
        .unwrap();
    assert_eq!(again, ClaimOutcome::Replayed(first.claim().clone()));
    let stored = store.campaign(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.total(), stored.claimed(), stored.remaining()),
        (2, 1, 1)
    );
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert_eq!((audit.claims, audit.distinct_tokens), (1, 1));
    assert_eq!(
        Store::reconcile(
            &store,
            &id,
            ReconcileMode::Apply,
            &crate::domain::Stamp {
                actor: crate::domain::Actor::parse("test").unwrap(),
                at: now,
            }
        )
        .await
        .unwrap()
        .unwrap()
        .drift(),
        0
    );
    assert!(matches!(
        store
            .change(
                &id,
                &CampaignChange::AddInventory(Units::new(MAX_INVENTORY).unwrap()),
                &stamp
            )
            .await,
        Ok(Err(ChangeRefusal::InventoryLimit))
    ));
    let ended = store
        .change(&id, &CampaignChange::End, &stamp)
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!(ended.state(now), CampaignState::Ended);
    assert_eq!(
        Store::claim(&store, &attempt(2, now)).await.unwrap(),
        Decision::Refuse(Refusal::NotLive(CampaignState::Ended))
    );
    assert!(
        store.ops.snapshot().claims.len() == 1,
        "a refusal wrote something"
    );
    assert!(matches!(
        store
            .change(
                &id,
                &CampaignChange::AddInventory(Units::new(1).unwrap()),
                &stamp
            )
            .await,
        Ok(Err(ChangeRefusal::Conflict(Conflict::Ended { .. })))
    ));
    assert!(Store::delete_campaign(&store, &id).await.unwrap());
    assert!(store.ops.snapshot().claims.is_empty());
}

/// Each driver operation, one request at a time, against the server named by
/// `FLASHSALE_TEST_MONGODB_URI` (skipped when unset, unless `FLASHSALE_REQUIRE_MONGODB=1`):
/// the filters, the unique indexes and the `E11000` mapping as a real server applies them.
#[tokio::test]
async fn driver_operations_behave_over_the_wire() {
    over_the_wire("driver", |url| async move {
        // A URL asking for weaker guarantees changes nothing: the store sets its own.
        let weak =
            format!("{url}?w=1&journal=false&readPreference=secondary&readConcernLevel=local");
        let ops = super::driver::DriverOps::connect(&weak, Duration::from_secs(3))
            .await
            .unwrap();
        let required = "w=Some(Majority) j=Some(true) wtimeout=Some(5s) \
                        read=Some(ReadPreference(Primary)) level=Some(Majority)";
        assert_eq!(ops.effective(), vec![required.to_owned(); 2]);
        exercise_driver(&ops).await;
    })
    .await;
}

/// The events log over the wire: a position is taken once, an entry is copied once (a
/// retried or racing copy is told so), and the log reads back in position order.
#[tokio::test]
async fn the_events_log_takes_each_position_and_each_entry_once() {
    use super::lifecycle_ops::{Appended, EventFilter, LifecycleOps as _};
    over_the_wire("events", |url| async move {
        let ops = super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let (a, b) = (PendingEvent::for_test(), PendingEvent::for_test());
        assert_eq!(ops.next_seq().await.unwrap(), 1);
        assert_eq!(
            ops.insert_event(&a.numbered(1)).await.unwrap(),
            Appended::Yes
        );
        assert_eq!(ops.next_seq().await.unwrap(), 2);
        // A racing copy of another entry that read the same end of the log.
        assert_eq!(
            ops.insert_event(&b.numbered(1)).await.unwrap(),
            Appended::PositionTaken
        );
        // A second copy of an entry already in the log, at whatever position.
        assert_eq!(
            ops.insert_event(&a.numbered(2)).await.unwrap(),
            Appended::AlreadyCopied
        );
        assert_eq!(
            ops.insert_event(&b.numbered(2)).await.unwrap(),
            Appended::Yes
        );
        let filter = EventFilter {
            campaign: None,
            after_seq: 0,
            since: None,
            limit: 10,
        };
        let log: Vec<(i64, String)> = ops
            .events(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.entry))
            .collect();
        assert_eq!(log, [(1, a.id), (2, b.id)]);
    })
    .await;
}

/// A void that crashed between its claim update and its unit's return leaves the unit out
/// (undersell, never oversell) and its event pending; reconcile `--apply` finishes the return
/// (once, however often it runs) and the event reaches the log; the void retried replays.
#[tokio::test]
async fn reconcile_finishes_a_return_a_crash_left_half_done() {
    use super::docs::ClaimDoc;
    use super::lifecycle_ops::LifecycleOps as _;
    use crate::domain::{Actor, ClaimKey, EventQuery, Stamp, Verdict, VoidAttempt};
    over_the_wire("halfreturn", |url| async move {
        let ops = super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let store = DocStore::new(ops, SystemClock, patient_lease());
        let now = SystemClock.now();
        let stamp = Stamp {
            actor: Actor::parse("ops").unwrap(),
            at: now,
        };
        let id = CampaignId::parse(ID).unwrap();
        Store::create_campaign(&store, &campaign(2, now), &stamp)
            .await
            .unwrap();
        let Decision::Grant(claim) = Store::claim(&store, &attempt(1, now)).await.unwrap() else {
            panic!("not granted");
        };
        let void = VoidAttempt {
            campaign_id: id.clone(),
            key: ClaimKey::User(claim.user_id.clone()),
            reason: None,
            stamp: stamp.clone(),
        };
        // The void's first write alone, as a crash right after it leaves it.
        let Verdict::Change { after, kind, .. } = void.decide(Some(&claim), true) else {
            panic!("no change");
        };
        let doc: ClaimDoc = store.ops.find_claim(ID, "user-1").await.unwrap().unwrap();
        let event = PendingEvent::new(&id, &kind, &stamp);
        assert!(
            store
                .ops
                .move_claim(&doc, Some(Status::Claimed), &doc.changed_to(&after), &event)
                .await
                .unwrap()
        );
        let stranded = store.campaign(&id).await.unwrap().unwrap();
        assert_eq!((stranded.claimed(), stranded.remaining()), (0, 1));
        for _ in 0..2 {
            Store::reconcile(&store, &id, ReconcileMode::Apply, &stamp)
                .await
                .unwrap();
            let repaired = store.campaign(&id).await.unwrap().unwrap();
            assert_eq!((repaired.claimed(), repaired.remaining()), (0, 2));
        }
        assert!(matches!(
            Store::void(&store, &void).await.unwrap(),
            Verdict::Replay(_)
        ));
        assert_eq!(store.campaign(&id).await.unwrap().unwrap().remaining(), 2);
        let query = EventQuery {
            campaign: Some(id.clone()),
            after_seq: 0,
            since: None,
            limit: 10,
        };
        let actions: Vec<String> = Store::events(&store, &query)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["campaign.created", "claim.voided"]);
    })
    .await;
}

/// Runs `test` with the URL of a fresh database on the server named by
/// `FLASHSALE_TEST_MONGODB_URI` (skipped when unset, unless `FLASHSALE_REQUIRE_MONGODB=1`),
/// and drops the database afterwards, whatever the test did.
async fn over_the_wire<F, Fut>(name: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Ok(uri) = std::env::var("FLASHSALE_TEST_MONGODB_URI") else {
        assert!(
            std::env::var("FLASHSALE_REQUIRE_MONGODB").as_deref() != Ok("1"),
            "FLASHSALE_REQUIRE_MONGODB=1 but FLASHSALE_TEST_MONGODB_URI is unset"
        );
        eprintln!("skipping the {name} test: FLASHSALE_TEST_MONGODB_URI is unset");
        return;
    };
    let database = format!("fs_{name}_{}_{}", std::process::id(), rand::random::<u32>());
    let base = uri.split('?').next().unwrap().trim_end_matches('/');
    let base = match base.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap()),
        None => base.to_owned(),
    };
    let url = format!("{base}/{database}");
    let outcome =
        futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(test(url.clone()))).await;
    mongodb::Client::with_uri_str(&url)
        .await
        .unwrap()
        .database(&database)
        .drop()
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The indexes of `claims` as (name, keys, unique), sorted by name.
async fn claim_indexes(url: &str) -> Vec<(String, String, bool)> {
    indexes(url, "claims").await
}

/// The indexes of `collection` as (name, keys, unique), sorted by name.
async fn indexes(url: &str, collection: &str) -> Vec<(String, String, bool)> {
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    let claims = client
        .default_database()
        .unwrap()
        .collection::<mongodb::bson::Document>(collection);
    let models: Vec<mongodb::IndexModel> =
        futures::TryStreamExt::try_collect(claims.list_indexes().await.unwrap())
            .await
            .unwrap();
    let mut found: Vec<_> = models
        .into_iter()
        .map(|m| {
            let options = m.options.unwrap_or_default();
            let keys: Vec<&str> = m.keys.keys().map(String::as_str).collect();
            (
                options.name.unwrap_or_default(),
                keys.join(","),
                options.unique == Some(true),
            )
        })
        .collect();
    found.sort();
    found
}

/// Creates `index` on `claims` directly, as another version or an operator would have.
async fn create_index(url: &str, keys: mongodb::bson::Document, name: &str, unique: bool) {
    create_index_on(url, "claims", keys, name, unique).await;
}

/// Creates `index` on `collection` directly.
async fn create_index_on(
    url: &str,
    collection: &str,
    keys: mongodb::bson::Document,
    name: &str,
    unique: bool,
) {
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    client
        .default_database()
        .unwrap()
        .collection::<mongodb::bson::Document>(collection)
        .create_index(
            mongodb::IndexModel::builder()
                .keys(keys)
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name(name.to_owned())
                        .unique(unique)
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
}

fn ours() -> Vec<(String, String, bool)> {
    vec![
        ("_id_".into(), "_id".into(), false),
        ("campaign_token".into(), "campaign_id,token".into(), false),
        ("campaign_user".into(), "campaign_id,user_id".into(), true),
    ]
}

#[tokio::test]
async fn a_store_of_the_previous_version_opens_without_its_unique_token_index() {
    over_the_wire("legacy_indexes", |url| async move {
        // What the previous version created.
        create_index(
            &url,
            mongodb::bson::doc! {"campaign_id": 1, "user_id": 1},
            "campaign_user",
            true,
        )
        .await;
        create_index(&url, mongodb::bson::doc! {"token": 1}, "token", true).await;
        super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(claim_indexes(&url).await, ours());
        // Opening again changes nothing.
        super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(claim_indexes(&url).await, ours());
    })
    .await;
}

/// The events get both their indexes when the store opens; a store of the previous version,
/// which had only the unique `entry` index, gets the (`campaign_id`, `_id`) one that
/// `events --campaign` reads through. Opening again changes nothing.
#[tokio::test]
async fn the_events_get_their_indexes_when_the_store_opens() {
    over_the_wire("event_indexes", |url| async move {
        create_index_on(
            &url,
            "events",
            mongodb::bson::doc! {"entry": 1},
            "entry_1",
            true,
        )
        .await;
        let expected: Vec<(String, String, bool)> = vec![
            ("_id_".into(), "_id".into(), false),
            (
                "campaign_id_1__id_1".into(),
                "campaign_id,_id".into(),
                false,
            ),
            ("entry_1".into(), "entry".into(), true),
        ];
        for _ in 0..2 {
            super::driver::DriverOps::connect(&url, Duration::from_secs(3))
                .await
                .unwrap();
            assert_eq!(indexes(&url, "events").await, expected);
        }
    })
    .await;
}

/// `doctor` reports the events' indexes: all there is ok; without (`campaign_id`, `_id`) a
/// warning (readers of one campaign are slow); without the unique `entry` a failure (a copied
/// entry could become two events).
#[tokio::test]
async fn doctor_checks_the_events_indexes() {
    over_the_wire("doctor_events", |url| async move {
        super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let indexes = || async {
            super::diagnose(&url, super::MongoSettings::default())
                .await
                .into_iter()
                .find(|check| check.check == "indexes")
                .unwrap()
        };
        let whole = indexes().await;
        assert_eq!(whole.status, crate::store::doctor::Status::Ok, "{whole:?}");
        assert!(
            whole.detail.ends_with(
                "events: entry_1 unique (entry), campaign_id_1__id_1 (campaign_id, _id)"
            ),
            "{whole:?}"
        );
        let events = mongodb::Client::with_uri_str(&url)
            .await
            .unwrap()
            .default_database()
            .unwrap()
            .collection::<mongodb::bson::Document>("events");
        events.drop_index("campaign_id_1__id_1").await.unwrap();
        let slow = indexes().await;
        assert_eq!(slow.status, crate::store::doctor::Status::Warn, "{slow:?}");
        assert!(
            slow.detail
                .contains("events lacks `campaign_id_1__id_1` on (campaign_id, _id)"),
            "{slow:?}"
        );
        events.drop_index("entry_1").await.unwrap();
        let unsafe_log = indexes().await;
        assert_eq!(
            (unsafe_log.status, unsafe_log.detail.as_str()),
            (
                crate::store::doctor::Status::Fail,
                "events lacks unique (entry): a command that opens the store creates it"
            )
        );
    })
    .await;
}

/// Opening a store whose `claims` has `index` fails, naming it and what differs.
async fn refused_index(
    name: &str,
    keys: mongodb::bson::Document,
    index: &str,
    unique: bool,
) -> String {
    let message = Arc::new(std::sync::Mutex::new(String::new()));
    let out = Arc::clone(&message);
    over_the_wire(name, |url| async move {
        create_index(&url, keys, index, unique).await;
        let err = super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .err()
            .expect("opened a store with a wrong index");
        *out.lock().unwrap() = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    })
    .await;
    message.lock().unwrap().clone()
}

#[tokio::test]
async fn an_index_is_verified_by_its_specification_not_its_name() {
    use mongodb::bson::doc;
    if std::env::var("FLASHSALE_TEST_MONGODB_URI").is_err() {
        return;
    }
    assert_eq!(
        refused_index(
            "idx_not_unique",
            doc! {"campaign_id": 1, "user_id": 1},
            "by_user",
            false
        )
        .await,
        "store error while checking the indexes of claims: index `by_user` on (campaign_id, \
         user_id) is not unique; flashsale needs it unique"
    );
    assert_eq!(
        refused_index("idx_other_keys", doc! {"user_id": 1}, "campaign_user", true).await,
        "store error while checking the indexes of claims: index `campaign_user` has keys \
         (user_id); flashsale needs `campaign_user` on (campaign_id, user_id), unique"
    );
    assert_eq!(
        refused_index(
            "idx_foreign_unique",
            doc! {"user_id": 1, "campaign_id": -1},
            "mine",
            true
        )
        .await,
        "store error while checking the indexes of claims: unique index `mine` on (user_id, \
         campaign_id: -1) is not flashsale's: it could refuse claims flashsale must write, and \
         a unique index not starting with (campaign_id, user_id) blocks sharding; drop it"
    );
}

async fn exercise_driver(ops: &super::driver::DriverOps) {
    use super::ops::Inserted;
    let now = SystemClock.now();
    let doc = CampaignDoc::new(&campaign(2, now));
    assert_eq!(ops.insert_campaign(&doc).await.unwrap(), Inserted::Yes);
    assert_eq!(
        ops.insert_campaign(&doc).await.unwrap(),
        Inserted::Duplicate
    );
    assert_eq!(ops.find_campaign(ID).await.unwrap(), Some(doc.clone()));
    assert_eq!(ops.find_campaign("ghost").await.unwrap(), None);

    // The unique index: one document per (campaign, user).
    let grant = |user| attempt(user, now).grant("5".parse().unwrap(), crate::random::token(now));
    let first = ClaimDoc::reserving(&grant(1), now);
    assert_eq!(ops.insert_claim(&first).await.unwrap(), Inserted::Yes);
    let same_user = ClaimDoc::reserving(&grant(1), now);
    assert_eq!(
        ops.insert_claim(&same_user).await.unwrap(),
        Inserted::Duplicate
    );
    assert_eq!(
        ops.find_claim(ID, "user-1").await.unwrap(),
        Some(first.clone())
    );

    // The guarded decrement: only while live and not sold out.
    assert!(
        !ops.reserve_unit(ID, date(now - TimeDelta::hours(1)))
            .await
            .unwrap()
    );
    assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    assert!(ops.confirm_claim(ID, "user-1", &first.token).await.unwrap());
    assert!(
        !ops.confirm_claim(ID, "user-1", &first.token).await.unwrap(),
        "confirm is conditional"
    );
    assert!(
        !ops.delete_reserving(ID, "user-1", &first.token)
            .await
            .unwrap(),
        "a claim is never deleted"
    );
    assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    assert!(!ops.reserve_unit(ID, date(now)).await.unwrap(), "sold out");
    assert_eq!(ops.find_campaign(ID).await.unwrap().unwrap().remaining, 0);

    // A stale reservation (holding the second unit, say) goes; a fresh one stays.
    let stale = ClaimDoc::reserving(&grant(2), now - TimeDelta::minutes(5));
    let fresh = ClaimDoc::reserving(&grant(3), now);
    for doc in [&stale, &fresh] {
        assert_eq!(ops.insert_claim(doc).await.unwrap(), Inserted::Yes);
    }
    assert_eq!(ops.count_claims(ID, None).await.unwrap(), 3);
    assert_eq!(
        ops.count_claims(ID, Some(Status::Claimed)).await.unwrap(),
        1
    );
    assert_eq!(
        ops.delete_stale(ID, date(now - TimeDelta::minutes(1)))
            .await
            .unwrap(),
        1
    );
    assert!(
        ops.delete_reserving(ID, "user-3", &fresh.token)
            .await
            .unwrap()
    );
    assert_eq!(ops.count_claims(ID, None).await.unwrap(), 1);

    // Reconcile's conditional repair, and the ABA guard.
    let seen = Seen {
        remaining: 0,
        total: 2,
        epoch: 0,
    };
    assert!(ops.set_remaining(ID, seen, 1, None).await.unwrap());
    assert!(!ops.set_remaining(ID, seen, 1, None).await.unwrap());
    let after = ops.find_campaign(ID).await.unwrap().unwrap();
    assert_eq!((after.remaining, after.epoch), (1, 1));

    // Restock with its limit; end once; the audit's pairs; delete.
    let restocked = ops
        .add_inventory(
            ID,
            3,
            MAX_INVENTORY - 3,
            "restock-1",
            &PendingEvent::for_test(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((restocked.total, restocked.remaining), (5, 4));
    assert_eq!(
        ops.add_inventory(ID, 3, 1, "restock-2", &PendingEvent::for_test())
            .await
            .unwrap(),
        None
    );
    ops.end_campaign(ID, date(now), &PendingEvent::for_test())
        .await
        .unwrap();
    ops.end_campaign(
        ID,
        date(now + TimeDelta::seconds(9)),
        &PendingEvent::for_test(),
    )
    .await
    .unwrap();
    let ended = ops.find_campaign(ID).await.unwrap().unwrap();
    assert_eq!((ended.ended, ended.ended_at), (true, Some(date(now))));
    assert!(!ops.reserve_unit(ID, date(now)).await.unwrap(), "ended");
    assert_eq!(
        ops.claimed_pairs(ID).await.unwrap(),
        vec![("user-1".to_owned(), first.token.clone())]
    );
    assert_eq!(ops.list_campaigns().await.unwrap().len(), 1);
    assert!(ops.delete_campaign(ID).await.unwrap());
    assert_eq!(ops.count_claims(ID, None).await.unwrap(), 0);

    claims_over_the_wire(ops, now, &stale).await;
}

/// The whole claim algorithm over the wire, one request at a time, through a stale reservation
/// left by a crashed request.
async fn claims_over_the_wire(
    ops: &super::driver::DriverOps,
    now: DateTime<Utc>,
    stale: &ClaimDoc,
) {
    use super::ops::Inserted;
    assert_eq!(
        ops.insert_campaign(&CampaignDoc::new(&campaign(1, now)))
            .await
            .unwrap(),
        Inserted::Yes
    );
    assert_eq!(ops.insert_claim(stale).await.unwrap(), Inserted::Yes);
    let lease = patient_lease();
    let answer = claim::claim(ops, &clock(), &lease, Defects::NONE, &attempt(2, now))
        .await
        .unwrap();
    let Decision::Grant(claim) = answer else {
        panic!("expected a claim, got {answer:?}")
    };
    assert_ne!(claim.token.as_str(), stale.token);
    let replay = claim::claim(ops, &clock(), &lease, Defects::NONE, &attempt(2, now))
        .await
        .unwrap();
    assert_eq!(replay, Decision::Replay(claim));
    let refused = claim::claim(ops, &clock(), &lease, Defects::NONE, &attempt(3, now))
        .await
        .unwrap();
    assert_eq!(refused, Decision::Refuse(Refusal::SoldOut));
    assert_eq!(
        ops.count_claims(ID, None).await.unwrap(),
        1,
        "the refusal left nothing"
    );
}

/// A `DocOps` call, as a test's [`Hooks`] see it go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    ServerTime,
    FindCampaign,
    ReserveUnit,
    SetRemaining,
    FindClaim,
    InsertClaim,
    ConfirmClaim,
    DeleteReserving,
    DeleteStale,
    CountClaims,
}

impl Call {
    /// Whether the call writes (every write is majority-acknowledged in production).
    fn writes(self) -> bool {
        matches!(
            self,
            Call::ReserveUnit
                | Call::SetRemaining
                | Call::InsertClaim
                | Call::ConfirmClaim
                | Call::DeleteReserving
                | Call::DeleteStale
        )
    }
}

/// What a test does around each call of the store: count it, or slip another request in.
trait Hooks: Send + Sync {
    fn before(&self, _call: Call) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }
    fn after(&self, _call: Call) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }
}

/// `inner` with `hooks` run before and after every call: one forwarding implementation of
/// `DocOps` for every test that needs to watch or reorder the algorithm's calls.
struct Intercepted<'a, O, H> {
    inner: &'a O,
    hooks: H,
}

impl<O, H: Hooks> Intercepted<'_, O, H> {
    async fn around<T>(&self, call: Call, op: impl std::future::Future<Output = T>) -> T {
        self.hooks.before(call).await;
        let result = op.await;
        self.hooks.after(call).await;
        result
    }
}

impl<O: super::ops::DocOps, H: Hooks> super::ops::DocOps for Intercepted<'_, O, H> {
    fn consistency(&self) -> super::ops::Consistency {
        self.inner.consistency()
    }
    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        self.around(Call::ServerTime, self.inner.server_time())
            .await
    }
    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        self.around(Call::FindCampaign, self.inner.find_campaign(id))
            .await
    }
    async fn reserve_unit(
        &self,
        id: &str,
        now: mongodb::bson::DateTime,
    ) -> Result<bool, StoreError> {
        self.around(Call::ReserveUnit, self.inner.reserve_unit(id, now))
            .await
    }
    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        let op = self.inner.set_remaining(id, seen, remaining, event);
        self.around(Call::SetRemaining, op).await
    }
    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        self.around(Call::FindClaim, self.inner.find_claim(campaign, user))
            .await
    }
    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<super::ops::Inserted, StoreError> {
        self.around(Call::InsertClaim, self.inner.insert_claim(doc))
            .await
    }
    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = self.inner.confirm_claim(campaign, user, token);
        self.around(Call::ConfirmClaim, op).await
    }
    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = self.inner.delete_reserving(campaign, user, token);
        self.around(Call::DeleteReserving, op).await
    }
    async fn delete_stale(
        &self,
        campaign: &str,
        before: mongodb::bson::DateTime,
    ) -> Result<u64, StoreError> {
        self.around(Call::DeleteStale, self.inner.delete_stale(campaign, before))
            .await
    }
    async fn count_claims(&self, campaign: &str, only: Option<Status>) -> Result<i64, StoreError> {
        self.around(Call::CountClaims, self.inner.count_claims(campaign, only))
            .await
    }
}

/// Claims the last unit for the same user from another tab between the first claim read and
/// the first campaign read of the request under test: the interleaving of issue 10's item 2,
/// which `tokio::join!` over the model otherwise never produces.
struct OtherTabBetweenReads<'a> {
    ops: &'a MemoryOps,
    now: DateTime<Utc>,
    claim_read: AtomicBool,
    other_tab_done: tokio::sync::Notify,
    campaign_read: AtomicBool,
}

impl Hooks for OtherTabBetweenReads<'_> {
    async fn before(&self, call: Call) {
        if call == Call::FindCampaign && !self.campaign_read.swap(true, Ordering::SeqCst) {
            self.other_tab_done.notified().await;
        }
    }
    async fn after(&self, call: Call) {
        if call == Call::FindClaim && !self.claim_read.swap(true, Ordering::SeqCst) {
            let other = claim::claim(
                self.ops,
                &clock(),
                &patient_lease(),
                Defects::NONE,
                &attempt(1, self.now),
            )
            .await;
            assert!(matches!(other, Ok(Decision::Grant(_))), "{other:?}");
            self.other_tab_done.notify_one();
        }
    }
}

/// Issue 10, item 2: the tab that read "no claim" before the other tab claimed the last unit,
/// and the campaign after, answers the other tab's claim, not "sold out".
async fn second_tab_answer(defects: Defects) -> Decision {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::default(), 1, now).await;
    let racing = Intercepted {
        inner: &*ops,
        hooks: OtherTabBetweenReads {
            ops: &ops,
            now,
            claim_read: AtomicBool::new(false),
            other_tab_done: tokio::sync::Notify::new(),
            campaign_read: AtomicBool::new(false),
        },
    };
    claim::claim(
        &racing,
        &clock(),
        &patient_lease(),
        defects,
        &attempt(1, now),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_refusal_rechecks_the_users_claim_after_the_campaign_read() {
    let answer = second_tab_answer(Defects::NONE).await;
    assert!(matches!(answer, Decision::Replay(_)), "{answer:?}");
}

#[tokio::test]
async fn without_the_recheck_a_user_holding_a_claim_is_told_sold_out() {
    let answer =
        second_tab_answer(Defects::NONE.with(claim::Defect::Item2RefuseWithoutRecheck)).await;
    assert_eq!(answer, Decision::Refuse(Refusal::SoldOut));
}

/// Issue 10, item 1: total 10, 9 claims, X reserving but not yet decremented; a reconcile
/// `--apply` now must leave X its unit. Returns whether X's decrement then matched, and the
/// repair the reconcile reported.
async fn reserve_after_reconcile(
    defect: Option<claim::Defect>,
) -> (bool, crate::store::Reconciliation) {
    let now = SystemClock.now();
    let mut store = DocStore::new(MemoryOps::default(), SystemClock, patient_lease());
    if let Some(defect) = defect {
        store = store.with_defect(defect);
    }
    let ops = &store.ops;
    ops.insert_campaign(&CampaignDoc::new(&campaign(10, now)))
        .await
        .unwrap();
    let grant = |user| attempt(user, now).grant("5".parse().unwrap(), crate::random::token(now));
    for user in 0..9 {
        let doc = ClaimDoc {
            status: Status::Claimed,
            ..ClaimDoc::reserving(&grant(user), now)
        };
        ops.put_claim(doc);
        assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
    }
    ops.put_claim(ClaimDoc::reserving(&grant(9), now));
    let id = CampaignId::parse(ID).unwrap();
    let stamp = crate::domain::Stamp {
        actor: crate::domain::Actor::parse("test").unwrap(),
        at: now,
    };
    let report = Store::reconcile(&store, &id, ReconcileMode::Apply, &stamp)
        .await
        .unwrap()
        .unwrap();
    let reserved = ops.reserve_unit(ID, date(now)).await.unwrap();
    (reserved, report)
}

#[tokio::test]
async fn reconcile_never_takes_the_unit_of_a_reservation_not_yet_decremented() {
    let (reserved, report) = reserve_after_reconcile(None).await;
    assert!(reserved, "X lost its unit to the reconcile: {report:?}");
    assert!(!report.applied, "nothing to repair: {report:?}");
}

#[tokio::test]
async fn a_reconcile_that_lowers_remaining_strands_the_unit_of_a_reservation_in_flight() {
    let (reserved, report) =
        reserve_after_reconcile(Some(claim::Defect::Item1ReconcileLowers)).await;
    assert!(!reserved && report.applied, "{report:?}");
}

/// Issue 10, item 5 (the clock): an app server whose clock runs 2 minutes ahead of the
/// server's sees a campaign that starts 1 minute from now (server time) as live.
async fn claim_with_a_fast_local_clock(time: super::ops::TimeSource) -> Decision {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::with_time(time), 1, now).await;
    ops.set_server_skew(TimeDelta::minutes(-2));
    claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_window_is_judged_on_the_servers_clock() {
    let answer = claim_with_a_fast_local_clock(super::ops::TimeSource::Server).await;
    assert_eq!(
        answer,
        Decision::Refuse(Refusal::NotLive(CampaignState::Scheduled))
    );
}

#[tokio::test]
async fn on_the_app_servers_clock_a_skewed_server_opens_the_sale_early() {
    let answer = claim_with_a_fast_local_clock(super::ops::TimeSource::Client).await;
    assert!(matches!(answer, Decision::Grant(_)), "{answer:?}");
}

/// This machine's clock, 2 minutes ahead of the server's.
#[derive(Clone, Copy)]
struct FastClock;

impl Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + TimeDelta::minutes(2)
    }
}

/// Ends a live sale through the operator's service from a machine running 2 minutes ahead of
/// the server (the model's server clock is held 2 minutes behind this one's); answers the
/// instant the end was recorded at and the server's clock then.
async fn end_from_a_fast_machine(time: super::ops::TimeSource) -> (DateTime<Utc>, DateTime<Utc>) {
    let server_now = SystemClock.now() - TimeDelta::minutes(2);
    let ops = MemoryOps::with_time(time);
    ops.set_server_skew(TimeDelta::minutes(-2));
    ops.insert_campaign(&CampaignDoc::new(&campaign(5, server_now)))
        .await
        .unwrap();
    let service = crate::service::CampaignService::new(
        DocStore::new(ops, SystemClock, patient_lease()),
        SystemClock,
    );
    let actor = crate::domain::Actor::parse("operator").unwrap();
    let ended = service
        .end(&CampaignId::parse(ID).unwrap(), &actor)
        .await
        .unwrap();
    (ended.value.campaign.ended_at.unwrap(), server_now)
}

/// Every stamp the services make (an operator's action, a redemption, a void, an expiry
/// sweep) is the server's clock through `Store::now`, the clock claims are judged on.
#[tokio::test]
async fn an_operator_action_is_stamped_with_the_servers_clock() {
    let (ended_at, server_now) = end_from_a_fast_machine(super::ops::TimeSource::Server).await;
    assert!(
        (ended_at - server_now).num_seconds().abs() < 5,
        "ended at {ended_at}, the server's clock read {server_now}"
    );
}

/// The control, with the test-only client time (every service stamp before `Store::now`):
/// the end is recorded 2 minutes in the server's future.
#[tokio::test]
async fn on_the_machines_clock_an_action_is_stamped_with_its_skew() {
    let (ended_at, server_now) = end_from_a_fast_machine(super::ops::TimeSource::Client).await;
    let skew = (ended_at - server_now).num_seconds();
    assert!((115..125).contains(&skew), "{ended_at} {server_now}");
}

/// Over the real driver: an expiry sweep by an app server whose clock runs 2 minutes fast
/// expires no hold early. A claim made now holds its unit for 90 s by the server's clock; by
/// the app server's it ran out 30 s ago. The sweep through the service is stamped with the
/// server's clock and expires nothing; stamped with the app server's own (as before
/// `Store::now`), the same sweep expires the claim.
#[tokio::test]
async fn a_sweep_by_a_fast_app_server_expires_no_hold_early() {
    over_the_wire("fast_sweep", |url| async move {
        let ops = super::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let now = SystemClock.now();
        let id = CampaignId::parse(ID).unwrap();
        let held = NewCampaign {
            hold: Some(crate::domain::Hold::from_seconds(90).unwrap()),
            ..new_campaign(1, now)
        }
        .validate(now)
        .unwrap();
        let store = DocStore::new(ops.clone(), SystemClock, patient_lease());
        let actor = crate::domain::Actor::parse("sweeper").unwrap();
        let stamp_at = |at| crate::domain::Stamp {
            actor: actor.clone(),
            at,
        };
        Store::create_campaign(&store, &held, &stamp_at(now))
            .await
            .unwrap();
        let granted = Store::claim(&store, &attempt(1, now)).await.unwrap();
        assert!(matches!(granted, Decision::Grant(_)), "{granted:?}");

        let fast = DocStore::new(ops, FastClock, patient_lease());
        let sweeps = crate::service::CampaignService::new(fast.clone(), FastClock);
        assert_eq!(sweeps.expire(&id, &actor).await.unwrap(), 0);
        assert_eq!(
            Store::expire_holds(&fast, &id, &stamp_at(FastClock.now()))
                .await
                .unwrap(),
            Some(1)
        );
    })
    .await;
}

/// Issue 10, item 5: a restock whose answer is lost is applied once, and answered.
#[tokio::test]
async fn a_restock_whose_answer_was_lost_is_applied_once() {
    let now = SystemClock.now();
    let store = DocStore::new(MemoryOps::default(), SystemClock, patient_lease());
    let id = CampaignId::parse(ID).unwrap();
    let stamp = crate::domain::Stamp {
        actor: crate::domain::Actor::parse("test").unwrap(),
        at: now,
    };
    Store::create_campaign(&store, &campaign(2, now), &stamp)
        .await
        .unwrap();
    store.ops.lose_next_restock_answer();
    let after = store
        .change(
            &id,
            &CampaignChange::AddInventory(Units::new(5).unwrap()),
            &stamp,
        )
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!((after.total(), after.remaining()), (7, 7));
    assert_eq!(store.ops.snapshot().campaigns[ID].total, 7);
}

/// Issue 10, item 5: an operation whose caller stopped waiting is not cut off at close.
#[tokio::test]
async fn close_lets_an_operation_that_timed_out_finish() {
    let in_flight = super::InFlight::new(Duration::from_millis(200));
    let finished = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&finished);
    let answer = in_flight
        .run("restocking", async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            done.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await;
    assert!(
        matches!(answer, Err(StoreError::TimedOut { .. })),
        "{answer:?}"
    );
    assert!(!finished.load(Ordering::SeqCst));
    in_flight.settle().await;
    assert!(finished.load(Ordering::SeqCst), "cut off mid-flight");
}

/// ... and is waited for at most one more timeout.
#[tokio::test]
async fn close_waits_for_an_operation_that_timed_out_only_so_long() {
    let in_flight = super::InFlight::new(Duration::from_millis(50));
    let answer = in_flight
        .run("claiming", async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
        .await;
    assert!(matches!(answer, Err(StoreError::TimedOut { .. })));
    let started = Instant::now();
    in_flight.settle().await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Issue 10, item 5: a claim made while its campaign is being deleted leaves nothing behind.
#[tokio::test]
async fn a_claim_between_the_two_writes_of_a_campaign_deletion_leaves_nothing() {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::default(), 10, now).await;
    let (paused, go_on) = (
        Arc::new(tokio::sync::Notify::new()),
        Arc::new(tokio::sync::Notify::new()),
    );
    ops.pause_next_delete(Arc::clone(&paused), Arc::clone(&go_on));
    let deleting = {
        let ops = Arc::clone(&ops);
        tokio::spawn(async move { ops.delete_campaign(ID).await })
    };
    paused.notified().await;
    let answer = claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap();
    go_on.notify_one();
    assert!(deleting.await.unwrap().unwrap());
    assert_eq!(answer, Decision::Refuse(Refusal::NotFound));
    let left = ops.snapshot().claims;
    assert!(left.is_empty(), "{left:?}");
}

/// Counts what the algorithms ask of the store: round trips in sequence (operations started
/// while none of the same request was in flight; the joined reads of steps a and b are one),
/// all operations, and writes (every one majority-acknowledged in production).
#[derive(Default)]
struct Counted {
    in_flight: std::sync::atomic::AtomicUsize,
    sequential: std::sync::atomic::AtomicUsize,
    operations: std::sync::atomic::AtomicUsize,
    writes: std::sync::atomic::AtomicUsize,
}

impl Counted {
    /// (round trips in sequence, operations, writes) since the last call.
    fn take(&self) -> (usize, usize, usize) {
        (
            self.sequential.swap(0, Ordering::SeqCst),
            self.operations.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

impl Hooks for Counted {
    async fn before(&self, call: Call) {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            self.sequential.fetch_add(1, Ordering::SeqCst);
        }
        self.operations.fetch_add(1, Ordering::SeqCst);
        if call.writes() {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
    }
    async fn after(&self, _call: Call) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Issue 10's cost of a claim, per kind of request, as (round trips in sequence, operations,
/// writes). The server's clock is measured once per minute per app server, so it is measured
/// before the counted requests, as in a running server.
#[tokio::test]
async fn round_trips_and_writes_per_claim() {
    let now = SystemClock.now();
    let ops = MemoryOps::default();
    let counted = Intercepted {
        inner: &ops,
        hooks: Counted::default(),
    };
    ops.insert_campaign(&CampaignDoc::new(&campaign(1, now)))
        .await
        .unwrap();
    let clock = clock();
    let lease = patient_lease();
    let attempts: Vec<ClaimAttempt> = (0..3).map(|user| attempt(user, now)).collect();
    let run = |user: usize| claim::claim(&counted, &clock, &lease, Defects::NONE, &attempts[user]);
    clock.now(&counted).await.unwrap();
    assert_eq!(
        counted.hooks.take(),
        (1, 1, 0),
        "measuring the server's clock"
    );

    assert!(matches!(run(1).await.unwrap(), Decision::Grant(_)));
    let new_claim = counted.hooks.take();
    assert!(matches!(run(1).await.unwrap(), Decision::Replay(_)));
    let replay = counted.hooks.take();
    assert_eq!(run(2).await.unwrap(), Decision::Refuse(Refusal::SoldOut));
    let after_sell_out = counted.hooks.take();

    // A loser before the sell-out: it read a unit left, and lost the decrement to another.
    ops.insert_campaign(&CampaignDoc {
        id: "late".into(),
        ..CampaignDoc::new(&campaign(1, now))
    })
    .await
    .unwrap();
    let racing = Intercepted {
        inner: &counted,
        hooks: OtherShopperTakesTheLastUnit {
            ops: &ops,
            campaign: "late",
            now,
            taken: AtomicBool::new(false),
        },
    };
    let late = ClaimAttempt {
        campaign_id: CampaignId::parse("late").unwrap(),
        ..attempt(3, now)
    };
    let answer = claim::claim(&racing, &clock, &lease, Defects::NONE, &late).await;
    assert_eq!(answer.unwrap(), Decision::Refuse(Refusal::SoldOut));
    let before_sell_out = counted.hooks.take();

    eprintln!(
        "(round trips in sequence, operations, majority writes): new claim {new_claim:?}, \
         replay {replay:?}, loser before sell-out {before_sell_out:?}, loser after sell-out \
         {after_sell_out:?}"
    );
    assert_eq!(new_claim, (4, 5, 3));
    assert_eq!(replay, (1, 2, 0));
    assert_eq!(before_sell_out, (5, 6, 3));
    assert_eq!(after_sell_out, (2, 3, 0));
}

/// Takes the last unit of the campaign just before the request's decrement (not counted).
struct OtherShopperTakesTheLastUnit<'a> {
    ops: &'a MemoryOps,
    campaign: &'a str,
    now: DateTime<Utc>,
    taken: AtomicBool,
}

impl Hooks for OtherShopperTakesTheLastUnit<'_> {
    async fn before(&self, call: Call) {
        if call == Call::ReserveUnit && !self.taken.swap(true, Ordering::SeqCst) {
            let taken = self.ops.reserve_unit(self.campaign, date(self.now)).await;
            assert!(taken.unwrap());
        }
    }
}

/// Issue 10, item 5 (the clock): an app server whose clock runs 40 s ahead of the server's
/// looks at another tab's reservation written 10 s ago (by the server's clock) with a 30 s
/// lease. Returns whether the reservation survived the look.
async fn reservation_survives_a_fast_app_server(time: super::ops::TimeSource) -> bool {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::with_time(time), 1, now).await;
    ops.set_server_skew(TimeDelta::seconds(-40));
    let server_now = now - TimeDelta::seconds(40);
    let other_tab =
        attempt(1, server_now).grant("5".parse().unwrap(), crate::random::token(server_now));
    let reservation = ClaimDoc::reserving(&other_tab, server_now - TimeDelta::seconds(10));
    ops.put_claim(reservation.clone());
    // The other tab finishes a moment later, unless its reservation was taken from it.
    let finisher = {
        let ops = Arc::clone(&ops);
        let token = reservation.token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            ops.set_status(&token, Status::Claimed);
        })
    };
    let answer = claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap();
    finisher.await.unwrap();
    let survived =
        matches!(&answer, Decision::Replay(claim) if claim.token.as_str() == reservation.token);
    assert!(
        survived || matches!(answer, Decision::Grant(_)),
        "{answer:?}"
    );
    survived
}

#[tokio::test]
async fn leases_run_on_the_servers_clock() {
    assert!(reservation_survives_a_fast_app_server(super::ops::TimeSource::Server).await);
}

#[tokio::test]
async fn on_the_app_servers_clock_a_fast_server_deletes_a_live_reservation() {
    assert!(!reservation_survives_a_fast_app_server(super::ops::TimeSource::Client).await);
}
