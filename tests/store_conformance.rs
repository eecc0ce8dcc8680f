//! One story, every store: the same sequence of use cases against file-backed `SQLite` (always)
//! and `MongoDB` (when `FLASHSALE_TEST_MONGODB_URI` is set; required with
//! `FLASHSALE_REQUIRE_MONGODB=1`). Each run gets its own temp dir or database.

#![allow(clippy::unwrap_used)] // helpers of a test file: a panic is the test failing, with its location

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use flashsale::ErrorKind;
use flashsale::clock::{Clock, SystemClock};
use flashsale::domain::{
    Actor, Campaign, CampaignChange, CampaignId, CampaignState, Cents, ClaimAttempt, ClaimOutcome,
    Currency, MAX_INVENTORY, NewCampaign, Refusal, Stamp, Units, UserId,
};
use flashsale::store::{
    AnyStore, MongoStore, ReconcileMode, SqliteStore, Store, StoreError, StoreUrl,
};

use crate::support::{mongo_database_url as database_url, mongo_uri, unique_name};

/// The kind a caller sees for a store error (the one table in `flashsale::ErrorKind`).
fn kind_of(err: StoreError) -> ErrorKind {
    flashsale::Error::from(err).kind()
}

fn campaign(id: &str, inventory: i64, now: DateTime<Utc>) -> Campaign {
    NewCampaign {
        id: CampaignId::parse(id).unwrap(),
        name: format!("Story {id}"),
        inventory: Units::new(inventory).unwrap(),
        percent: "15".parse().unwrap(),
        max_discount: "10".parse().unwrap(),
        min_cart: "20".parse().unwrap(),
        currency: Currency::default(),
        starts_at: now - TimeDelta::minutes(1),
        ends_at: now + TimeDelta::hours(1),
        hold: None,
    }
    .validate(now)
    .unwrap()
}

/// An operator acting at `at`.
fn stamp(at: DateTime<Utc>) -> Stamp {
    Stamp {
        actor: Actor::parse("ops").unwrap(),
        at,
    }
}

async fn end<S: Store>(
    store: &S,
    id: &CampaignId,
    at: DateTime<Utc>,
) -> Result<Option<Campaign>, StoreError> {
    store
        .change_campaign(id, &CampaignChange::End, &stamp(at))
        .await
}

async fn restock<S: Store>(
    store: &S,
    id: &CampaignId,
    units: i64,
) -> Result<Option<Campaign>, StoreError> {
    let change = CampaignChange::AddInventory(Units::new(units).unwrap());
    store
        .change_campaign(id, &change, &stamp(SystemClock.now()))
        .await
}

fn attempt(id: &str, user: &str, cart: &str, now: DateTime<Utc>) -> ClaimAttempt {
    ClaimAttempt {
        campaign_id: CampaignId::parse(id).unwrap(),
        user_id: UserId::parse(user).unwrap(),
        cart: cart.parse::<Cents>().unwrap(),
        now,
    }
}

async fn claim<S: Store>(store: &S, id: &str, user: &str, now: DateTime<Utc>) -> ClaimOutcome {
    store
        .claim(&attempt(id, user, "50", now))
        .await
        .unwrap()
        .into_outcome()
        .unwrap_or_else(|refusal| panic!("{user} was refused: {refusal:?}"))
}

async fn refusal<S: Store>(
    store: &S,
    id: &str,
    user: &str,
    cart: &str,
    now: DateTime<Utc>,
) -> Refusal {
    match store
        .claim(&attempt(id, user, cart, now))
        .await
        .unwrap()
        .into_outcome()
    {
        Ok(outcome) => panic!("{user} was granted {outcome:?}"),
        Err(refusal) => refusal,
    }
}

/// The whole story. `concurrency` is how many claims run at once in the min(N, K) check:
/// high for stores that are atomic under concurrency; 1 for `FerretDB`, whose updates are not.
#[allow(clippy::too_many_lines)] // one story, meant to be read top to bottom
async fn story<S: Store>(store: S, concurrency: usize) {
    let store = Arc::new(store);
    let now = SystemClock.now();
    let id = "spring";
    let cid = CampaignId::parse(id).unwrap();
    store
        .create_campaign(&campaign(id, 3, now), &stamp(now))
        .await
        .unwrap();

    // Claims until sold out.
    let mut tokens = Vec::new();
    for user in ["ana", "bo", "cy"] {
        match claim(&*store, id, user, now).await {
            ClaimOutcome::Claimed(c) => {
                assert_eq!(
                    (c.user_id.as_str(), c.discount.get(), c.cart.get()),
                    (user, 750, 5000)
                );
                tokens.push(c.token);
            }
            replayed @ ClaimOutcome::Replayed(_) => {
                panic!("expected a new claim, got {replayed:?}")
            }
        }
    }
    assert_eq!(
        refusal(&*store, id, "dee", "50", now).await,
        Refusal::SoldOut
    );
    let c = store.campaign(&cid).await.unwrap().unwrap();
    assert_eq!((c.total(), c.claimed(), c.remaining()), (3, 3, 0));
    assert_eq!(c.state(now), CampaignState::SoldOut);

    // A second claim by the same user replays the first, unchanged, and consumes nothing.
    let first = store
        .claim_of(&cid, &UserId::parse("ana").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.token, tokens[0]);
    assert_eq!(
        claim(&*store, id, "ana", now + TimeDelta::seconds(5)).await,
        ClaimOutcome::Replayed(first.clone())
    );
    assert_eq!(
        store
            .claim_of(&cid, &UserId::parse("dee").unwrap())
            .await
            .unwrap(),
        None
    );

    // Refusals write nothing.
    restock(&*store, &cid, 2).await.unwrap().unwrap();
    assert_eq!(
        refusal(&*store, id, "eve", "19.99", now).await,
        Refusal::NotEligible {
            min_cart: "20".parse().unwrap()
        }
    );
    assert_eq!(
        store
            .claim_of(&cid, &UserId::parse("eve").unwrap())
            .await
            .unwrap(),
        None
    );
    let c = store.campaign(&cid).await.unwrap().unwrap();
    assert_eq!((c.total(), c.claimed(), c.remaining()), (5, 3, 2));

    // Restocked: the next shopper gets a unit; a restock past the limit is refused.
    assert!(matches!(
        claim(&*store, id, "dee", now).await,
        ClaimOutcome::Claimed(_)
    ));
    assert!(matches!(
        restock(&*store, &cid, MAX_INVENTORY).await,
        Err(StoreError::InventoryLimit(_))
    ));

    // Not found, everywhere.
    let ghost = CampaignId::parse("ghost").unwrap();
    assert_eq!(
        refusal(&*store, "ghost", "ana", "50", now).await,
        Refusal::NotFound
    );
    assert_eq!(store.campaign(&ghost).await.unwrap(), None);
    assert_eq!(end(&*store, &ghost, now).await.unwrap(), None);
    assert_eq!(restock(&*store, &ghost, 1).await.unwrap(), None);
    assert_eq!(
        store
            .reconcile(&ghost, ReconcileMode::Apply, &stamp(now))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.audit(&ghost).await.unwrap(), None);
    assert!(!store.delete_campaign(&ghost).await.unwrap());

    // A taken id.
    assert!(matches!(
        store.create_campaign(&campaign(id, 1, now), &stamp(now)).await,
        Err(StoreError::CampaignExists(taken)) if taken == cid
    ));

    // Reconcile finds no drift; the audit agrees with the claims.
    for mode in [ReconcileMode::Report, ReconcileMode::Apply] {
        let report = store
            .reconcile(&cid, mode, &stamp(now))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                report.total,
                report.claimed,
                report.remaining,
                report.drift()
            ),
            (5, 4, 1, 0)
        );
    }
    let audit = store.audit(&cid).await.unwrap().unwrap();
    assert_eq!(
        (
            audit.total,
            audit.remaining,
            audit.claims,
            audit.distinct_users,
            audit.distinct_tokens
        ),
        (5, 1, 4, 4, 4)
    );

    // Ended by an operator: no new claim, replays still work, an earlier stop is kept.
    let later = now + TimeDelta::seconds(10);
    let ended = end(&*store, &cid, later).await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(later));
    let again = end(&*store, &cid, later + TimeDelta::seconds(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.ended_at, Some(later));
    assert_eq!(
        refusal(&*store, id, "fay", "50", later).await,
        Refusal::NotLive(CampaignState::Ended)
    );
    assert_eq!(
        claim(&*store, id, "ana", later).await,
        ClaimOutcome::Replayed(first)
    );
    assert_eq!(store.campaigns().await.unwrap().len(), 1);

    // N concurrent claims from distinct users against K units give exactly min(N, K) successes.
    let (n, k) = (40, 25);
    let rush = CampaignId::parse("rush").unwrap();
    store
        .create_campaign(
            &campaign("rush", k, now + TimeDelta::milliseconds(1)),
            &stamp(now),
        )
        .await
        .unwrap();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (store, semaphore) = (Arc::clone(&store), Arc::clone(&semaphore));
            tokio::spawn(async move {
                let _permit = semaphore.acquire().await.unwrap();
                store
                    .claim(&attempt("rush", &format!("user-{i}"), "50", now))
                    .await
                    .unwrap()
                    .into_outcome()
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(ClaimOutcome::Claimed(_)) => granted += 1,
            Err(Refusal::SoldOut) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(granted, n.min(k));
    let audit = store.audit(&rush).await.unwrap().unwrap();
    assert_eq!(
        (audit.claims, audit.remaining, audit.distinct_tokens),
        (k, 0, k)
    );
    let listed: Vec<String> = store
        .campaigns()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(listed, ["spring", "rush"]);

    // Clean-up removes the campaign and its claims.
    assert!(store.delete_campaign(&cid).await.unwrap());
    assert_eq!(store.campaign(&cid).await.unwrap(), None);
    assert_eq!(
        store
            .claim_of(&cid, &UserId::parse("ana").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_follows_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested").join("flashsale.db"))
        .await
        .unwrap();
    story(store, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_store_follows_the_story() {
    let Some(uri) = mongo_uri("the MongoDB store story") else {
        return;
    };
    let database = unique_name("story");
    let url = database_url(&uri, &database);
    let store = MongoStore::open(&url).await.unwrap();
    // Concurrency 1: FerretDB's updates are not atomic; the in-memory
    // model tests prove the algorithm under concurrency.
    story(store.clone(), 1).await;
    drop_database(&url, &database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_urls_open_the_mongodb_store() {
    let Some(uri) = mongo_uri("opening a MongoDB store URL") else {
        return;
    };
    let database = unique_name("open");
    let url = database_url(&uri, &database);
    let store = AnyStore::open(&url.parse::<StoreUrl>().unwrap())
        .await
        .unwrap();
    assert!(matches!(store, AnyStore::Mongo(_)));
    let now = SystemClock.now();
    store
        .create_campaign(&campaign("via-url", 1, now), &stamp(now))
        .await
        .unwrap();
    assert!(matches!(
        claim(&store, "via-url", "ana", now).await,
        ClaimOutcome::Claimed(_)
    ));
    // Opening again finds the indexes in place (creating them is idempotent).
    let again = MongoStore::open(&url).await.unwrap();
    assert!(matches!(
        claim(&again, "via-url", "ana", now).await,
        ClaimOutcome::Replayed(_)
    ));
    drop_database(&url, &database).await;
}

/// An unreachable server is reported as unavailable within seconds, naming the URL without
/// its password. Needs no server.
#[tokio::test]
async fn an_unreachable_mongodb_fails_fast_as_unavailable() {
    let started = Instant::now();
    let err = MongoStore::open("mongodb://ana:s3cret@127.0.0.1:1/flashsale")
        .await
        .err()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(kind_of(err.clone()), ErrorKind::StoreUnavailable, "{err:?}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            "store unavailable while connecting to `mongodb://ana:***@127.0.0.1:1/flashsale`"
        ),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    assert!(!format!("{err:?}").contains("s3cret"));
    let via_url = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"
        .parse::<StoreUrl>()
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        kind_of(AnyStore::open(&via_url).await.err().unwrap()),
        ErrorKind::StoreUnavailable
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the URL's timeout is honoured"
    );
}

async fn drop_database(url: &str, database: &str) {
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    client.database(database).drop().await.unwrap();
}

/// A server that accepts connections and never answers is reported as unavailable within
/// seconds (the driver alone would wait 30 s). Needs no server: a silent listener stands in.
#[tokio::test]
async fn a_mongodb_that_never_answers_is_unavailable_within_seconds() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold every connection, reading nothing and writing nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let err = MongoStore::open(&format!("mongodb://127.0.0.1:{port}/flashsale"))
        .await
        .err()
        .unwrap();
    assert_eq!(kind_of(err.clone()), ErrorKind::StoreUnavailable, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// A claim that outlives the operation timeout answers `store_unavailable` instead of hanging,
/// and because the algorithm is built for unknown outcomes, retrying is safe: each user ends
/// with at most one claim, and nothing oversells.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mongodb_operation_past_its_timeout_is_unavailable_and_a_retry_is_safe() {
    let Some(uri) = mongo_uri("the MongoDB operation timeout") else {
        return;
    };
    let database = unique_name("timeout");
    let url = database_url(&uri, &database);
    let patient = MongoStore::open(&url).await.unwrap();
    let now = SystemClock.now();
    patient
        .create_campaign(&campaign("hurry", 3, now), &stamp(now))
        .await
        .unwrap();
    let hasty = MongoStore::open_with(
        &url,
        flashsale::store::MongoSettings {
            operation_timeout: Duration::from_millis(1),
            ..flashsale::store::MongoSettings::default()
        },
    )
    .await
    .unwrap();
    let users = ["ana", "bo", "cy", "dee", "eve"];
    let mut timed_out = 0;
    for user in users {
        if let Err(err) = hasty.claim(&attempt("hurry", user, "50", now)).await {
            assert_eq!(kind_of(err.clone()), ErrorKind::StoreUnavailable, "{err:?}");
            assert!(
                matches!(&err, StoreError::TimedOut { context, after_ms: 1 } if context == "claiming"),
                "{err:?}"
            );
            assert!(!err.to_string().contains("FLASHSALE_"), "{err}");
            timed_out += 1;
        }
        // The claim goes on in its task after the caller stopped waiting. Let it finish before
        // the next one starts: FerretDB's updates are not atomic, so overlapping claims on it
        // would test FerretDB, not flashsale.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        timed_out > 0,
        "a 1 ms bound never fired over a real connection"
    );
    let mut tokens = Vec::new();
    for user in users {
        match patient
            .claim(&attempt("hurry", user, "50", now))
            .await
            .unwrap()
            .into_outcome()
        {
            Ok(outcome) => tokens.push(outcome.claim().token.clone()),
            Err(refusal) => assert_eq!(refusal, Refusal::SoldOut, "{user}"),
        }
    }
    let audit = patient
        .audit(&CampaignId::parse("hurry").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(audit.claims <= 3 && audit.remaining >= 0, "{audit:?}");
    assert_eq!(
        audit.claims,
        i64::try_from(tokens.len()).unwrap(),
        "{audit:?}"
    );
    assert_eq!(
        (audit.distinct_users, audit.distinct_tokens),
        (audit.claims, audit.claims)
    );
    drop_database(&url, &database).await;
}
