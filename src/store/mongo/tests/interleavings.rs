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
