//! One story at a time over the model: a tab waiting for another, a crashed reservation, a
//! reconcile's repair, and the document store answering like any store.

use super::*;

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

/// A repair trusts the claim documents only as far as a crash explains the drift.
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
