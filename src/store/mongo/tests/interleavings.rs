//! Interleavings the model alone never produces, forced through [`Intercepted`] hooks.

use super::intercepted::{Call, Hooks, Intercepted};
use super::*;

/// Claims the last unit for the same user from another tab between the first claim read and
/// the first campaign read of the request under test: the interleaving step b' exists for
/// (see `claim.rs`), which `tokio::join!` over the model otherwise never produces.
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

/// The tab that read "no claim" before the other tab claimed the last unit,
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
    let answer = second_tab_answer(Defects::NONE.with(claim::Defect::RefusalWithoutRecheck)).await;
    assert_eq!(answer, Decision::Refuse(Refusal::SoldOut));
}

/// Total 10, 9 claims, X reserving but not yet decremented; a reconcile
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
        reserve_after_reconcile(Some(claim::Defect::ReconcileLowersRemaining)).await;
    assert!(!reserved && report.applied, "{report:?}");
}

/// Removes the reservation of `user-1` just before the request under test sends `at`, as an
/// election rolling back its insert (acknowledged by the primary alone) would; then, when
/// `other_tab`, another tab of the same user claims to completion.
struct ReservationLost<'a> {
    ops: &'a MemoryOps,
    now: DateTime<Utc>,
    at: Call,
    other_tab: bool,
    lost: AtomicBool,
}

impl Hooks for ReservationLost<'_> {
    async fn before(&self, call: Call) {
        if call != self.at || self.lost.swap(true, Ordering::SeqCst) {
            return;
        }
        let user = attempt(1, self.now).user_id;
        let ours = self.ops.find_claim(ID, user.as_str()).await.unwrap();
        let ours = ours.expect("the reservation under test exists");
        let removed = self.ops.delete_reserving(ID, user.as_str(), &ours.token);
        assert!(removed.await.unwrap());
        if self.other_tab {
            let (lease, clock, same_user) = (patient_lease(), clock(), attempt(1, self.now));
            let other = claim::claim(self.ops, &clock, &lease, Defects::NONE, &same_user).await;
            assert!(matches!(other, Ok(Decision::Grant(_))), "{other:?}");
        }
    }
}

/// The request under test, on a campaign of one unit, with its reservation lost before `at`.
async fn with_reservation_lost(
    ops: &MemoryOps,
    at: Call,
    other_tab: bool,
    lease: &Lease,
    defects: Defects,
) -> Result<Decision, StoreError> {
    let now = SystemClock.now();
    ops.insert_campaign(&CampaignDoc::new(&campaign(1, now)))
        .await
        .unwrap();
    let losing = Intercepted {
        inner: ops,
        hooks: ReservationLost {
            ops,
            now,
            at,
            other_tab,
            lost: AtomicBool::new(false),
        },
    };
    claim::claim(&losing, &clock(), lease, defects, &attempt(1, now)).await
}

/// Its reservation lost before its decrement, and another tab of the user claiming the last
/// unit meanwhile: the request's decrement misses, and it answers the other tab's claim.
#[tokio::test]
async fn after_a_missed_decrement_a_lost_reservation_sends_the_request_to_the_users_claim() {
    let ops = MemoryOps::default();
    let answer = with_reservation_lost(
        &ops,
        Call::ReserveUnit,
        true,
        &patient_lease(),
        Defects::NONE,
    )
    .await;
    assert!(matches!(answer, Ok(Decision::Replay(_))), "{answer:?}");
}

#[tokio::test]
async fn refusing_after_a_lost_reservation_tells_a_user_holding_a_claim_sold_out() {
    let defects = Defects::NONE.with(claim::Defect::RefusalAfterLostReservation);
    let ops = MemoryOps::default();
    let answer =
        with_reservation_lost(&ops, Call::ReserveUnit, true, &patient_lease(), defects).await;
    assert_eq!(answer.unwrap(), Decision::Refuse(Refusal::SoldOut));
}

/// Its reservation lost after its decrement: the confirm misses and the request answers an
/// error, after putting its reservation back; reconcile `--apply` then finds the unit the
/// reservation stranded (once the lease ran out) and returns it. Returns the reconcile's
/// answer and the units remaining after it.
async fn reconcile_after_a_lost_confirm(defects: Defects) -> (Result<(), StoreError>, i64) {
    let ops = MemoryOps::default();
    let lease = quick_lease();
    let answer = with_reservation_lost(&ops, Call::ConfirmClaim, false, &lease, defects).await;
    assert!(answer.is_err(), "{answer:?}");
    tokio::time::sleep(lease.stale_after * 2).await;
    let id = CampaignId::parse(ID).unwrap();
    let repaired = claim::reconcile(
        &ops,
        &clock(),
        &lease,
        Defects::NONE,
        &id,
        ReconcileMode::Apply,
    )
    .await
    .map(|_| ());
    (repaired, ops.snapshot().campaigns[ID].remaining)
}

#[tokio::test]
async fn a_reservation_lost_before_its_confirm_is_put_back_for_reconcile_to_repair() {
    let (repaired, remaining) = reconcile_after_a_lost_confirm(Defects::NONE).await;
    assert!(repaired.is_ok(), "{repaired:?}");
    assert_eq!(remaining, 1);
}

#[tokio::test]
async fn a_lost_reservation_not_put_back_leaves_a_strand_only_force_repairs() {
    let defects = Defects::NONE.with(claim::Defect::LostReservationNotPutBack);
    let (repaired, remaining) = reconcile_after_a_lost_confirm(defects).await;
    assert!(
        matches!(repaired, Err(StoreError::DriftTooLarge { .. })),
        "{repaired:?}"
    );
    assert_eq!(remaining, 0);
}
