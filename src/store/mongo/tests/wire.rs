//! The driver over the wire, one request at a time, against the server named by
//! `FLASHSALE_TEST_MONGODB_URI`.

use super::*;
use crate::domain::{Actor, ClaimKey, Stamp, Verdict, VoidAttempt};

/// Each driver operation, one request at a time, against the server named by
/// `FLASHSALE_TEST_MONGODB_URI`:
/// the filters, the unique indexes and the `E11000` mapping as a real server applies them.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn driver_operations_behave_over_the_wire() {
    over_the_wire("driver", |url| async move {
        // A URL asking for weaker guarantees changes nothing: the store sets its own.
        let weak =
            format!("{url}?w=1&journal=false&readPreference=secondary&readConcernLevel=local");
        let ops = crate::store::mongo::driver::DriverOps::connect(&weak, Duration::from_secs(3))
            .await
            .unwrap();
        let required = "w=Some(Majority) j=Some(true) wtimeout=Some(5s) \
                        read=Some(ReadPreference(Primary)) level=Some(Majority)";
        // The reservation insert alone is acknowledged by the primary (see `claim.rs`).
        let reservation = "w=Some(Nodes(1)) j=Some(false) wtimeout=None \
                           read=Some(ReadPreference(Primary)) level=Some(Majority)";
        assert_eq!(
            ops.effective(),
            [required, required, reservation].map(str::to_owned)
        );
        exercise_driver(&ops).await;
    })
    .await;
}

/// The events log over the wire: a position is taken once, an entry is copied once (a
/// retried or racing copy is told so), and the log reads back in position order.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn the_events_log_takes_each_position_and_each_entry_once() {
    use crate::store::mongo::lifecycle_ops::{Appended, EventFilter, LifecycleOps as _};
    over_the_wire("events", |url| async move {
        let ops = crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
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
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn reconcile_finishes_a_return_a_crash_left_half_done() {
    use crate::domain::{Actor, ClaimKey, EventQuery, Stamp, Verdict, VoidAttempt};
    use crate::store::mongo::docs::ClaimDoc;
    use crate::store::mongo::lifecycle_ops::LifecycleOps as _;
    over_the_wire("halfreturn", |url| async move {
        let ops = crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
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
        // The unit is out until its return: still held, not yet remaining.
        let stranded = store.campaign(&id).await.unwrap().unwrap();
        assert_eq!((stranded.claimed(), stranded.remaining()), (1, 1));
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

async fn exercise_driver(ops: &crate::store::mongo::driver::DriverOps) {
    use crate::store::mongo::ops::Inserted;
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
    ops: &crate::store::mongo::driver::DriverOps,
    now: DateTime<Utc>,
    stale: &ClaimDoc,
) {
    use crate::store::mongo::ops::Inserted;
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

/// The commands a client sends, as (command, collection), from the driver's command
/// monitoring.
type Sent = Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A store over `url` whose every command is recorded in the returned [`Sent`] as it starts.
async fn watched(
    url: &str,
) -> (
    Sent,
    crate::store::mongo::driver::DriverOps,
    DocStore<crate::store::mongo::driver::DriverOps, SystemClock>,
) {
    let sent = Sent::default();
    let ops = crate::store::mongo::driver::DriverOps::connect_watched(
        url,
        Duration::from_secs(3),
        watching(&sent),
    )
    .await
    .unwrap();
    let store = DocStore::new(ops.clone(), SystemClock, Lease::default());
    (sent, ops, store)
}

fn watching(sent: &Sent) -> mongodb::event::EventHandler<mongodb::event::command::CommandEvent> {
    let sent = Arc::clone(sent);
    mongodb::event::EventHandler::callback(move |event| {
        if let mongodb::event::command::CommandEvent::Started(started) = event {
            let collection = started
                .command
                .get_str(&started.command_name)
                .unwrap_or_default()
                .to_owned();
            sent.lock()
                .unwrap()
                .push((started.command_name.clone(), collection));
        }
    })
}

/// How many claims the wire read is measured at (beside none).
const MANY_CLAIMS: usize = 100_000;

/// A campaign read over the wire (`GET /v1/campaigns/{id}` and every list) is one command,
/// `find` on `campaigns`, with no claim and with many: the held count rides on the campaign
/// document, so no claim is counted.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn a_campaign_read_is_one_command_on_campaigns() {
    over_the_wire("read_cost", |url| async move {
        let (sent, ops, store) = watched(&url).await;
        let now = SystemClock.now();
        let claims = mongodb::Client::with_uri_str(&url)
            .await
            .unwrap()
            .default_database()
            .unwrap()
            .collection::<ClaimDoc>("claims");
        for many in [0, MANY_CLAIMS] {
            let total = i64::try_from(many).unwrap() + 1;
            let id = format!("read-{many}");
            let base = campaign(total, now);
            let docs: Vec<ClaimDoc> = (0..many)
                .map(|user| {
                    let token = crate::random::token(now);
                    let Decision::Grant(claim) =
                        attempt(user, now).decide(None, Some(&base), token)
                    else {
                        unreachable!("a live campaign with units grants a claim")
                    };
                    ClaimDoc {
                        campaign_id: id.clone(),
                        status: Status::Claimed,
                        ..ClaimDoc::reserving(&claim, now)
                    }
                })
                .collect();
            if !docs.is_empty() {
                claims.insert_many(docs).await.unwrap();
            }
            let taken = total - 1;
            ops.insert_campaign(&CampaignDoc {
                id: id.clone(),
                remaining: 1,
                held: Some(taken),
                ..CampaignDoc::new(&base)
            })
            .await
            .unwrap();
            sent.lock().unwrap().clear();
            let read = Store::campaign(&store, &CampaignId::parse(&id).unwrap())
                .await
                .unwrap()
                .unwrap();
            let commands = sent.lock().unwrap().clone();
            eprintln!("a campaign read with {many} claims sent {commands:?}");
            assert_eq!(commands, [("find".to_owned(), "campaigns".to_owned())]);
            assert_eq!((read.claimed(), read.remaining()), (taken, 1));
        }
    })
    .await;
}

/// A campaign document written before the held count was kept works over the wire: read as
/// `total - remaining`, stored by the first claim before its decrement, then moved by each
/// claim and each return.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn a_campaign_from_before_the_held_count_keeps_working() {
    over_the_wire("older_held", |url| async move {
        let ops = crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let store = DocStore::new(ops.clone(), SystemClock, Lease::default());
        let now = SystemClock.now();
        let id = CampaignId::parse("rush").unwrap();
        // Three units, one of them claimed by an older version, which kept no `held`.
        let older = CampaignDoc {
            remaining: 2,
            held: None,
            ..CampaignDoc::new(&campaign(3, now))
        };
        ops.insert_campaign(&older).await.unwrap();
        let counts = |c: Campaign| (c.claimed(), c.remaining());
        let read = || Store::campaign(&store, &id);
        assert_eq!(counts(read().await.unwrap().unwrap()), (1, 2));
        assert_eq!(ops.find_campaign("rush").await.unwrap().unwrap().held, None);
        let granted = Store::claim(&store, &attempt(1, now)).await.unwrap();
        let Decision::Grant(claim) = granted else {
            panic!("a claim on the older campaign was answered {granted:?}")
        };
        assert_eq!(
            ops.find_campaign("rush").await.unwrap().unwrap().held,
            Some(2)
        );
        assert_eq!(counts(read().await.unwrap().unwrap()), (2, 1));
        let void = VoidAttempt {
            campaign_id: id.clone(),
            key: ClaimKey::Token(claim.token),
            reason: None,
            stamp: Stamp {
                actor: Actor::parse("operator").unwrap(),
                at: now,
            },
        };
        assert!(matches!(
            Store::void(&store, &void).await.unwrap(),
            Verdict::Change { .. }
        ));
        assert_eq!(counts(read().await.unwrap().unwrap()), (1, 2));
    })
    .await;
}

/// The campaigns still to end are listed by one `find` on `campaigns` filtered on `ends_at`,
/// which opening the store indexes: `serve`'s metrics and expiry sweep never read every
/// campaign ever created.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn the_campaigns_still_to_end_are_found_through_an_index() {
    over_the_wire("ending", |url| async move {
        let (sent, ops, store) = watched(&url).await;
        let now = SystemClock.now();
        for (id, hours) in [("first", 1), ("second", 2), ("third", 3)] {
            let base = CampaignDoc::new(&campaign(1, now));
            ops.insert_campaign(&CampaignDoc {
                id: id.to_owned(),
                ends_at: date(now + TimeDelta::hours(hours)),
                ..base
            })
            .await
            .unwrap();
        }
        sent.lock().unwrap().clear();
        let since = now + TimeDelta::minutes(90);
        let found = Store::campaigns_ending_from(&store, since).await.unwrap();
        let ids: Vec<String> = found.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ids, ["second", "third"]);
        assert_eq!(
            sent.lock().unwrap().clone(),
            [("find".to_owned(), "campaigns".to_owned())]
        );
        let indexes = crate::store::mongo::driver::index_models(
            &mongodb::Client::with_uri_str(&url)
                .await
                .unwrap()
                .default_database()
                .unwrap()
                .collection::<mongodb::bson::Document>("campaigns"),
        )
        .await
        .unwrap()
        .unwrap_or_default();
        assert!(
            indexes
                .iter()
                .any(|m| crate::store::mongo::driver::IndexShape::of(m).is(&["ends_at"], false)),
            "no index on ends_at"
        );
    })
    .await;
}
