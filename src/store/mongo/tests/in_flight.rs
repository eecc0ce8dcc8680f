//! Operations whose outcome the caller cannot see: a lost answer, an operation still running at
//! close, a claim racing a campaign's deletion.

use super::*;

/// A restock whose answer is lost is applied once, and answered.
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

/// An operation whose caller stopped waiting is not cut off at close.
#[tokio::test]
async fn close_lets_an_operation_that_timed_out_finish() {
    let in_flight = crate::store::mongo::InFlight::new(Duration::from_millis(200));
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
    let in_flight = crate::store::mongo::InFlight::new(Duration::from_millis(50));
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

/// A claim made while its campaign is being deleted leaves nothing behind.
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
