//! One story, every store: the same sequence of use cases against file-backed `SQLite` (always)
//! and `MongoDB` (when `FLASHSALE_TEST_MONGODB_URI` is set; required with
//! `FLASHSALE_REQUIRE_MONGODB=1`). Each run gets its own temp dir or database.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test file: a panic is the test failing, with its location"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use flashsale::ErrorKind;
use flashsale::clock::{Clock, SystemClock};
use flashsale::domain::{
    Actor, Applied, BucketWidth, Campaign, CampaignChange, CampaignId, CampaignState, Cents,
    ChangeRefusal, Claim, ClaimAttempt, ClaimKey, ClaimOutcome, ClaimRefusal, ClaimStatus,
    ClaimToken, Conflict, Currency, Ends, Event, EventQuery, ExportPage, Hold, MAX_INVENTORY,
    NewCampaign, OrderId, RedeemAttempt, Refusal, Stamp, Units, UserId, Verdict, VoidAttempt,
    VoidReason,
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
        starts_at: Some(now - TimeDelta::minutes(1)),
        ends: Ends::At(now + TimeDelta::hours(1)),
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
) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
    store
        .change_campaign(id, &CampaignChange::End, &stamp(at))
        .await
}

async fn restock<S: Store>(
    store: &S,
    id: &CampaignId,
    units: i64,
) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
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
        Ok(Err(ChangeRefusal::InventoryLimit))
    ));

    // Not found, everywhere.
    let ghost = CampaignId::parse("ghost").unwrap();
    assert_eq!(
        refusal(&*store, "ghost", "ana", "50", now).await,
        Refusal::NotFound
    );
    assert_eq!(store.campaign(&ghost).await.unwrap(), None);
    assert_eq!(
        end(&*store, &ghost, now).await.unwrap(),
        Err(ChangeRefusal::CampaignNotFound)
    );
    assert_eq!(
        restock(&*store, &ghost, 1).await.unwrap(),
        Err(ChangeRefusal::CampaignNotFound)
    );
    assert_eq!(
        store
            .reconcile(&ghost, ReconcileMode::Apply, &stamp(now))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.audit(&ghost).await.unwrap(), None);
    assert!(!store.delete_campaign(&ghost).await.unwrap());

    // A taken id: nothing written, and the campaign that holds it answered.
    assert!(matches!(
        store.create_campaign(&campaign(id, 1, now), &stamp(now)).await,
        Ok(Some(taken)) if taken.id == cid && taken.total() != 1
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
    assert_eq!(
        (ended.changed(), ended.campaign.ended_at),
        (true, Some(later))
    );
    let again = end(&*store, &cid, later + TimeDelta::seconds(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.changed(), again.campaign.ended_at),
        (false, Some(later))
    );
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
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn mongodb_store_follows_the_story() {
    let uri = mongo_uri();
    let database = unique_name("story");
    let url = database_url(&uri, &database);
    let store = MongoStore::open(&url).await.unwrap();
    // Concurrency 1: FerretDB's updates are not atomic; the in-memory
    // model tests prove the algorithm under concurrency.
    story(store.clone(), 1).await;
    drop_database(&url, &database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn mongodb_urls_open_the_mongodb_store() {
    let uri = mongo_uri();
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
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn a_mongodb_operation_past_its_timeout_is_unavailable_and_a_retry_is_safe() {
    let uri = mongo_uri();
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

// --- The claim's whole life, on every store -----------------------------------------

fn held_campaign(id: &str, inventory: i64, now: DateTime<Utc>, hold: i64) -> Campaign {
    NewCampaign {
        id: CampaignId::parse(id).unwrap(),
        name: format!("Life {id}"),
        inventory: Units::new(inventory).unwrap(),
        percent: "15".parse().unwrap(),
        max_discount: "10".parse().unwrap(),
        min_cart: "20".parse().unwrap(),
        currency: Currency::parse("JPY").unwrap(),
        starts_at: Some(now - TimeDelta::minutes(1)),
        ends: Ends::At(now + TimeDelta::hours(1)),
        hold: Some(Hold::from_seconds(hold).unwrap()),
    }
    .validate(now)
    .unwrap()
}

fn redeem_attempt(claim: &Claim, order: &str, cart: &str, at: DateTime<Utc>) -> RedeemAttempt {
    RedeemAttempt {
        campaign_id: claim.campaign_id.clone(),
        token: claim.token.clone(),
        owner: None,
        order_id: OrderId::parse(order).unwrap(),
        cart: cart.parse().unwrap(),
        stamp: stamp(at),
    }
}

fn void_attempt(id: &CampaignId, key: ClaimKey, at: DateTime<Utc>) -> VoidAttempt {
    VoidAttempt {
        campaign_id: id.clone(),
        key,
        reason: Some(VoidReason::parse("refund").unwrap()),
        stamp: stamp(at),
    }
}

fn user(name: &str) -> ClaimKey {
    ClaimKey::User(UserId::parse(name).unwrap())
}

fn conflict(verdict: Verdict) -> Conflict {
    match verdict {
        Verdict::Refuse(ClaimRefusal::Conflict(conflict)) => conflict,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn changed(verdict: Verdict) -> Claim {
    match verdict {
        Verdict::Change { after, .. } => after,
        other => panic!("expected a change, got {other:?}"),
    }
}

/// (total, held, remaining) as the store keeps them.
async fn counters<S: Store>(store: &S, id: &CampaignId) -> (i64, i64, i64) {
    let c = store.campaign(id).await.unwrap().unwrap();
    (c.total(), c.claimed(), c.remaining())
}

/// Every event of campaign `id`, read in pages of `page` (checks paging by sequence number).
async fn events_of<S: Store>(store: &S, id: &CampaignId, page: usize) -> Vec<Event> {
    let mut all: Vec<Event> = Vec::new();
    loop {
        let query = EventQuery {
            campaign: Some(id.clone()),
            after_seq: all.last().map_or(0, |e| e.seq),
            since: None,
            limit: page,
        };
        let batch = store.events(&query).await.unwrap();
        assert!(batch.len() <= page);
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

async fn actions<S: Store>(store: &S, id: &CampaignId) -> Vec<String> {
    events_of(store, id, 3)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// Every claim of `id` (of `status`), exported in pages of 2.
async fn export<S: Store>(store: &S, id: &CampaignId, status: Option<ClaimStatus>) -> Vec<Claim> {
    let mut all: Vec<Claim> = Vec::new();
    loop {
        let page = ExportPage {
            campaign: id.clone(),
            status,
            after: all.last().map(|c| c.user_id.clone()),
            limit: 2,
        };
        let batch = store.export_page(&page).await.unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

async fn lifecycle<S: Store>(store: S) {
    let now = SystemClock.now();
    let id = CampaignId::parse("life").unwrap();
    store
        .create_campaign(&held_campaign("life", 6, now, 60), &stamp(now))
        .await
        .unwrap();
    let other = CampaignId::parse("other").unwrap();
    store
        .create_campaign(&held_campaign("other", 1, now, 60), &stamp(now))
        .await
        .unwrap();
    let foreign = claim(&store, "other", "ana", now).await.claim().clone();
    let mut claims = Vec::new();
    for name in ["ana", "bo", "cy", "dee"] {
        let c = claim(&store, "life", name, now).await.claim().clone();
        assert_eq!(c.status, ClaimStatus::Claimed);
        assert_eq!(c.currency.as_str(), "JPY");
        // From the claim's own instant: the store's clock (`MongoDB` judges on the server's).
        assert_eq!(c.expires_at, Some(c.claimed_at + TimeDelta::seconds(60)));
        claims.push(c);
    }
    let [ana, bo, cy, dee] = <[Claim; 4]>::try_from(claims).unwrap();
    assert_eq!(counters(&store, &id).await, (6, 4, 2));

    // Look-ups by token: this campaign's only; a forged token finds nothing.
    assert_eq!(
        store.claim_by_token(&id, &ana.token).await.unwrap(),
        Some(ana.clone())
    );
    assert_eq!(
        store.claim_by_token(&id, &foreign.token).await.unwrap(),
        None
    );
    let forged = ClaimToken::from_stored("AAAAAAAAAAAAAAAAAAAAAAAA".into());
    assert_eq!(store.claim_by_token(&id, &forged).await.unwrap(), None);

    // Redeem: re-priced on the checkout cart; the same order replays; another is a conflict.
    let at = now + TimeDelta::seconds(5);
    let redeemed = changed(
        store
            .redeem(&redeem_attempt(&ana, "o-1", "40", at))
            .await
            .unwrap(),
    );
    let r = redeemed.redemption.clone().unwrap();
    assert_eq!(redeemed.status, ClaimStatus::Redeemed);
    assert_eq!(
        (r.order_id.as_str(), r.cart.get(), r.discount.get()),
        ("o-1", 4000, 600)
    );
    assert_eq!(r.redeemed_at, at);
    assert_eq!(
        store
            .redeem(&redeem_attempt(
                &ana,
                "o-1",
                "99",
                at + TimeDelta::seconds(1)
            ))
            .await
            .unwrap(),
        Verdict::Replay(redeemed.clone())
    );
    let before = (counters(&store, &id).await, actions(&store, &id).await);
    assert_eq!(
        conflict(
            store
                .redeem(&redeem_attempt(&ana, "o-2", "40", at))
                .await
                .unwrap()
        ),
        Conflict::RedeemedForAnotherOrder {
            order_id: OrderId::parse("o-1").unwrap()
        }
    );
    // Hostile cases: each refused, nothing written.
    let hostile = [
        store
            .redeem(&redeem_attempt(&bo, "o-3", "19.99", at))
            .await
            .unwrap(),
        store
            .redeem(&RedeemAttempt {
                token: forged.clone(),
                ..redeem_attempt(&bo, "o-3", "40", at)
            })
            .await
            .unwrap(),
        store
            .redeem(&RedeemAttempt {
                campaign_id: id.clone(),
                ..redeem_attempt(&foreign, "o-3", "40", at)
            })
            .await
            .unwrap(),
        store
            .redeem(&RedeemAttempt {
                owner: Some(UserId::parse("mallory").unwrap()),
                ..redeem_attempt(&bo, "o-3", "40", at)
            })
            .await
            .unwrap(),
        store
            .void(&void_attempt(&id, ClaimKey::Token(ana.token.clone()), at))
            .await
            .unwrap(),
        store
            .void(&void_attempt(&id, ClaimKey::Token(forged.clone()), at))
            .await
            .unwrap(),
    ];
    assert_eq!(
        hostile[0],
        Verdict::Refuse(ClaimRefusal::NotEligible {
            min_cart: "20".parse().unwrap()
        })
    );
    for verdict in &hostile[1..4] {
        assert_eq!(*verdict, Verdict::Refuse(ClaimRefusal::ClaimNotFound));
    }
    assert_eq!(
        hostile[4],
        Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidRedeemed {
            order_id: OrderId::parse("o-1").unwrap()
        }))
    );
    assert_eq!(hostile[5], Verdict::Refuse(ClaimRefusal::ClaimNotFound));
    assert_eq!(
        (counters(&store, &id).await, actions(&store, &id).await),
        before
    );
    assert_eq!(
        store.claim_by_token(&id, &bo.token).await.unwrap(),
        Some(bo.clone())
    );

    // Void: one unit back; a retried void replays and returns nothing; the user's claim stays
    // final (a new claim replays the voided one).
    let voided = changed(
        store
            .void(&void_attempt(&id, user("bo"), at))
            .await
            .unwrap(),
    );
    assert_eq!(voided.status, ClaimStatus::Voided);
    assert_eq!(counters(&store, &id).await, (6, 3, 3));
    // The void's instant and reason are on the claim as the store reads it back.
    let stored = store.claim_of(&id, &bo.user_id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.voided_at,
            stored.void_reason.as_ref().map(VoidReason::as_str)
        ),
        (Some(at), Some("refund"))
    );
    assert_eq!(stored.expired_at, None);
    assert_eq!(
        store
            .void(&void_attempt(&id, user("bo"), at))
            .await
            .unwrap(),
        Verdict::Replay(voided.clone())
    );
    assert_eq!(
        claim(&store, "life", "bo", at).await,
        ClaimOutcome::Replayed(voided.clone())
    );
    assert_eq!(counters(&store, &id).await, (6, 3, 3));
    assert_eq!(
        conflict(
            store
                .redeem(&redeem_attempt(&bo, "o-4", "40", at))
                .await
                .unwrap()
        ),
        Conflict::NotRedeemable {
            status: ClaimStatus::Voided
        }
    );

    // The hold: past it, a redeem is refused before any sweep; the sweep expires exactly the
    // claims still `claimed`, and a second sweep does nothing.
    let late = now + TimeDelta::seconds(61);
    assert_eq!(
        conflict(
            store
                .redeem(&redeem_attempt(&cy, "o-5", "40", late))
                .await
                .unwrap()
        ),
        Conflict::HoldRanOut {
            expires_at: cy.expires_at.unwrap()
        }
    );
    assert_eq!(
        store
            .expire_holds(&id, &stamp(cy.expires_at.unwrap()))
            .await
            .unwrap(),
        Some(0),
        "due only after its last instant"
    );
    assert_eq!(
        store.expire_holds(&id, &stamp(late)).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        store.expire_holds(&id, &stamp(late)).await.unwrap(),
        Some(0)
    );
    let ghost = CampaignId::parse("ghost").unwrap();
    assert_eq!(
        store.expire_holds(&ghost, &stamp(late)).await.unwrap(),
        None
    );
    assert_eq!(counters(&store, &id).await, (6, 1, 5));
    assert_eq!(
        conflict(
            store
                .void(&void_attempt(&id, user("cy"), late))
                .await
                .unwrap()
        ),
        Conflict::VoidExpired
    );
    let expired = store.claim_of(&id, &dee.user_id).await.unwrap().unwrap();
    assert_eq!(expired.status, ClaimStatus::Expired);
    // Expired when the sweep ran, which is what the store records, not when the hold ran out.
    assert_eq!((expired.expired_at, expired.voided_at), (Some(late), None));

    // Inventory removal never goes below what is held, nor to nothing.
    let remove = |n| CampaignChange::RemoveInventory(Units::new(n).unwrap());
    assert!(matches!(
        store.change_campaign(&id, &remove(6), &stamp(late)).await,
        Ok(Err(ChangeRefusal::Conflict(Conflict::BelowHeld {
            remaining: 5,
            ..
        })))
    ));
    let c = store
        .change_campaign(&id, &remove(4), &stamp(late))
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!((c.total(), c.claimed(), c.remaining()), (2, 1, 1));
    assert!(matches!(
        store
            .change_campaign(&other, &remove(1), &stamp(late))
            .await,
        Ok(Err(ChangeRefusal::Conflict(Conflict::BelowHeld { .. })))
    ));

    // Extend (later only), pause (new claims refused as paused; replays and redeems work),
    // resume, end (ended_at recorded; nothing more may change).
    let ends = now + TimeDelta::hours(1);
    let extend = |to| CampaignChange::Extend { ends_at: to };
    // The same end is already in effect; an earlier one contradicts it.
    let same = store
        .change_campaign(&id, &extend(ends), &stamp(late))
        .await
        .unwrap()
        .unwrap();
    assert!(!same.changed());
    assert!(matches!(
        store
            .change_campaign(&id, &extend(ends - TimeDelta::minutes(1)), &stamp(late))
            .await,
        Ok(Err(ChangeRefusal::Conflict(Conflict::NotLater { .. })))
    ));
    let c = store
        .change_campaign(&id, &extend(ends + TimeDelta::hours(1)), &stamp(late))
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!(c.window.ends_at, ends + TimeDelta::hours(1));
    let c = store
        .change_campaign(&id, &CampaignChange::Pause, &stamp(late))
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!(c.state(late), CampaignState::Paused);
    assert_eq!(
        refusal(&store, "life", "eve", "50", late).await,
        Refusal::NotLive(CampaignState::Paused)
    );
    assert_eq!(
        claim(&store, "life", "ana", late).await,
        ClaimOutcome::Replayed(redeemed.clone())
    );
    // Pausing a paused campaign is already in effect: unchanged, no event.
    let events_before = actions(&store, &id).await;
    let again = store
        .change_campaign(&id, &CampaignChange::Pause, &stamp(late))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.changed(), again.campaign.paused), (false, true));
    assert_eq!(actions(&store, &id).await, events_before);
    store
        .change_campaign(&id, &CampaignChange::Resume, &stamp(late))
        .await
        .unwrap()
        .unwrap();
    let eve = claim(&store, "life", "eve", late).await;
    assert!(matches!(eve, ClaimOutcome::Claimed(_)));
    let ended = store
        .change_campaign(&id, &CampaignChange::End, &stamp(late))
        .await
        .unwrap()
        .unwrap()
        .campaign;
    assert_eq!(ended.ended_at, Some(late));
    let before = (counters(&store, &id).await, actions(&store, &id).await);
    let again = store
        .change_campaign(
            &id,
            &CampaignChange::End,
            &stamp(late + TimeDelta::seconds(1)),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!again.changed());
    let again = again.campaign;
    assert_eq!(
        again.ended_at,
        Some(late),
        "the first stop is kept, and no event added"
    );
    for change in [
        CampaignChange::Pause,
        CampaignChange::Resume,
        extend(ends + TimeDelta::hours(3)),
        CampaignChange::ExtendBy(TimeDelta::hours(1)),
        CampaignChange::AddInventory(Units::new(1).unwrap()),
    ] {
        assert!(matches!(
            store.change_campaign(&id, &change, &stamp(late)).await,
            Ok(Err(ChangeRefusal::Conflict(Conflict::Ended { .. })))
        ));
    }
    // A redeem still works after the end, within the hold.
    let eve = eve.claim().clone();
    assert!(matches!(
        store
            // The hold's last instant (a store judging claims on its own clock, as `MongoDB`
            // does, may have granted it before `late`).
            .redeem(&redeem_attempt(&eve, "o-6", "20", eve.expires_at.unwrap()))
            .await
            .unwrap(),
        Verdict::Change { .. }
    ));
    assert_eq!(actions(&store, &id).await.len(), before.1.len() + 1);

    // The log: one event per action that happened, in order, with who and when.
    let log = events_of(&store, &id, 3).await;
    let names: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        names,
        [
            "campaign.created",
            "claim.redeemed",
            "claim.voided",
            "claim.expired",
            "claim.expired",
            "inventory.removed",
            "campaign.extended",
            "campaign.paused",
            "campaign.resumed",
            "campaign.ended",
            "claim.redeemed",
        ]
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(
        log.iter()
            .all(|e| e.actor == "ops" && e.campaign_id == "life")
    );
    assert_eq!(log[1].details["order_id"], "o-1");
    assert_eq!(log[2].details["reason"], "refund");
    assert_eq!(log[2].details["user_id"], "bo");
    assert_eq!(log[5].details["total_after"], 2);
    let since = store
        .events(&EventQuery {
            campaign: None,
            after_seq: 0,
            since: Some(late),
            limit: 100,
        })
        .await
        .unwrap();
    // From `late` on: the sweep and everything after it (the last redeem too, where the
    // store granted eve's claim at `late`).
    assert!(since.len() >= 7, "{since:?}");
    assert_eq!(
        since.len(),
        log.iter().filter(|e| e.at >= late).count(),
        "{since:?}"
    );

    // Export: every claim once, in user order, filtered by status on request.
    let all = export(&store, &id, None).await;
    let users: Vec<&str> = all.iter().map(|c| c.user_id.as_str()).collect();
    assert_eq!(users, ["ana", "bo", "cy", "dee", "eve"]);
    let expired: Vec<String> = export(&store, &id, Some(ClaimStatus::Expired))
        .await
        .into_iter()
        .map(|c| c.user_id.to_string())
        .collect();
    assert_eq!(expired, ["cy", "dee"]);

    // The audit and a reconcile count the claims holding a unit: no drift.
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert_eq!((audit.total, audit.claims, audit.remaining), (2, 2, 0));
    let report = store
        .reconcile(&id, ReconcileMode::Apply, &stamp(late))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.drift(), 0);
    assert_eq!(
        actions(&store, &id).await.len(),
        log.len(),
        "no drift, no event"
    );
}

/// Many operators and sweeps racing on the same claims: each claim changes once, each
/// returned unit is returned once, and each change has exactly one event.
async fn races<S: Store>(store: S) {
    let store = Arc::new(store);
    let now = SystemClock.now();
    let id = CampaignId::parse("race").unwrap();
    let n = 30;
    store
        .create_campaign(&held_campaign("race", n, now, 60), &stamp(now))
        .await
        .unwrap();
    let mut claims = Vec::new();
    for i in 0..n {
        claims.push(
            claim(&*store, "race", &format!("u{i:02}"), now)
                .await
                .claim()
                .clone(),
        );
    }
    let at = now + TimeDelta::seconds(1);

    // 20 voids of one claim: one change, 19 replays, one unit.
    let target = claims[0].clone();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, key) = (Arc::clone(&store), ClaimKey::Token(target.token.clone()));
            let id = id.clone();
            tokio::spawn(async move { store.void(&void_attempt(&id, key, at)).await.unwrap() })
        })
        .collect();
    let mut changes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Verdict::Change { .. } => changes += 1,
            Verdict::Replay(c) => assert_eq!(c.status, ClaimStatus::Voided),
            other @ Verdict::Refuse(_) => panic!("{other:?}"),
        }
    }
    assert_eq!(changes, 1);
    assert_eq!(counters(&*store, &id).await, (n, n - 1, 1));

    // Redeem against void, ten claims: exactly one winner each.
    let mut tasks = Vec::new();
    for c in &claims[1..11] {
        let (s1, s2) = (Arc::clone(&store), Arc::clone(&store));
        let (r, v) = (
            redeem_attempt(c, "order", "40", at),
            void_attempt(&id, ClaimKey::User(c.user_id.clone()), at),
        );
        tasks.push(tokio::spawn(async move {
            let (redeemed, voided) = tokio::join!(s1.redeem(&r), s2.void(&v));
            (redeemed.unwrap(), voided.unwrap())
        }));
    }
    let mut voided = 1;
    for task in tasks {
        match task.await.unwrap() {
            (Verdict::Change { .. }, Verdict::Refuse(ClaimRefusal::Conflict(c))) => {
                assert!(matches!(c, Conflict::VoidRedeemed { .. }));
            }
            (Verdict::Refuse(ClaimRefusal::Conflict(c)), Verdict::Change { .. }) => {
                assert_eq!(
                    c,
                    Conflict::NotRedeemable {
                        status: ClaimStatus::Voided
                    }
                );
                voided += 1;
            }
            other => panic!("no single winner: {other:?}"),
        }
    }
    assert_eq!(counters(&*store, &id).await, (n, n - voided, voided));

    // Sweeps against voids on the remaining claims, all past their hold: each claim ends
    // voided or expired, with one unit and one event.
    let late = now + TimeDelta::seconds(61);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, id) = (Arc::clone(&store), id.clone());
        tasks.push(tokio::spawn(async move {
            (
                store
                    .expire_holds(&id, &stamp(late))
                    .await
                    .unwrap()
                    .unwrap(),
                0,
            )
        }));
    }
    for c in &claims[11..] {
        let (store, v) = (
            Arc::clone(&store),
            void_attempt(&id, ClaimKey::User(c.user_id.clone()), late),
        );
        tasks.push(tokio::spawn(async move {
            match store.void(&v).await.unwrap() {
                Verdict::Change { .. } => (0, 1),
                Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidExpired)) => (0, 0),
                other => panic!("{other:?}"),
            }
        }));
    }
    let (mut expired, mut late_voids) = (0, 0);
    for task in tasks {
        let (e, v) = task.await.unwrap();
        expired += e;
        late_voids += v;
    }
    let rest = u64::try_from(claims.len() - 11).unwrap();
    assert_eq!(expired + late_voids, rest);
    let redeemed = 10 - (voided - 1);
    assert_eq!(counters(&*store, &id).await, (n, redeemed, n - redeemed));
    let log = events_of(&*store, &id, 7).await;
    let count =
        |action: &str| u64::try_from(log.iter().filter(|e| e.action == action).count()).unwrap();
    assert_eq!(count("claim.expired"), expired);
    assert_eq!(
        count("claim.voided"),
        u64::try_from(voided).unwrap() + late_voids
    );
    assert_eq!(count("claim.redeemed"), u64::try_from(redeemed).unwrap());
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert_eq!(audit.remaining, audit.total - audit.claims, "I3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_carries_out_the_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("flashsale.db"))
        .await
        .unwrap();
    Box::pin(lifecycle(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_lifecycle_transitions_have_one_winner_under_races() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("flashsale.db"))
        .await
        .unwrap();
    races(store).await;
}

/// The same lifecycle story on `MongoDB`, one request at a time (`FerretDB`'s updates are not
/// atomic under concurrency; the replica-set simulation proves the races).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn mongodb_store_carries_out_the_lifecycle() {
    let uri = mongo_uri();
    let database = unique_name("life");
    let url = database_url(&uri, &database);
    let store = MongoStore::open(&url).await.unwrap();
    Box::pin(lifecycle(store)).await;
    drop_database(&url, &database).await;
}

/// Two stores on one file (as two processes would be, each with its own writer): voids and
/// sweeps racing across them still change each claim once and return each unit once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_lifecycle_has_one_winner_across_two_writers_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flashsale.db");
    let (a, b) = (
        Arc::new(SqliteStore::open(&path).await.unwrap()),
        Arc::new(SqliteStore::open(&path).await.unwrap()),
    );
    let now = SystemClock.now();
    let id = CampaignId::parse("two").unwrap();
    let n = 12;
    a.create_campaign(&held_campaign("two", n, now, 60), &stamp(now))
        .await
        .unwrap();
    for i in 0..n {
        claim(&*a, "two", &format!("u{i:02}"), now).await;
    }
    let late = now + TimeDelta::seconds(61);
    let mut tasks = Vec::new();
    for i in 0..n {
        for store in [&a, &b] {
            let (store, id) = (Arc::clone(store), id.clone());
            let key = user(&format!("u{i:02}"));
            tasks.push(tokio::spawn(async move {
                match store.void(&void_attempt(&id, key, late)).await.unwrap() {
                    Verdict::Change { .. } => 1,
                    Verdict::Replay(_)
                    | Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidExpired)) => 0,
                    other @ Verdict::Refuse(_) => panic!("{other:?}"),
                }
            }));
        }
    }
    for store in [&a, &b] {
        let (store, id) = (Arc::clone(store), id.clone());
        tasks.push(tokio::spawn(async move {
            store
                .expire_holds(&id, &stamp(late))
                .await
                .unwrap()
                .unwrap()
        }));
    }
    let mut changes = 0;
    for task in tasks {
        changes += task.await.unwrap();
    }
    assert_eq!(changes, u64::try_from(n).unwrap());
    assert_eq!(counters(&*b, &id).await, (n, 0, n));
    let log = events_of(&*a, &id, 100).await;
    assert_eq!(log.len(), 1 + usize::try_from(n).unwrap(), "{log:?}");
}

/// The post-sale report's story: every claim counted once whatever became of it, money summed
/// in minor units, a refusal leaving no trace (I6), and the sold-out instant that of the claim
/// holding the last unit, gone while a voided unit is back on sale.
async fn report_story<S: Store>(store: S) {
    let now = SystemClock.now();
    let id = CampaignId::parse("rep").unwrap();
    store
        .create_campaign(&campaign("rep", 3, now), &stamp(now))
        .await
        .unwrap();
    let empty = store
        .report(&id, BucketWidth::Second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(empty.counts.claimed(), 0);
    assert_eq!(
        (empty.counts.first_claim_at, empty.sold_out_at()),
        (None, None)
    );
    let a = claim(&store, "rep", "ana", now).await.claim().clone();
    claim(&store, "rep", "bo", now).await;
    claim(&store, "rep", "cy", now).await;
    assert_eq!(
        refusal(&store, "rep", "di", "50", now).await,
        Refusal::SoldOut
    );
    let sold = store
        .report(&id, BucketWidth::Second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sold.counts.claimed(), 3);
    assert_eq!(sold.sold_out_at(), sold.counts.last_claim_at);
    let redeemed = changed(
        store
            .redeem(&redeem_attempt(&a, "order-1", "40", now))
            .await
            .unwrap(),
    );
    changed(
        store
            .void(&void_attempt(&id, user("cy"), now))
            .await
            .unwrap(),
    );
    let reopened = store
        .report(&id, BucketWidth::Minute)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reopened.sold_out_at(),
        None,
        "a voided unit is on sale again"
    );
    let d = claim(&store, "rep", "di", now + TimeDelta::seconds(2))
        .await
        .claim()
        .clone();
    let r = store
        .report(&id, BucketWidth::Second)
        .await
        .unwrap()
        .unwrap();
    let n = &r.counts;
    assert_eq!(
        (n.claimed(), n.open, n.redeemed, n.voided, n.expired),
        (4, 2, 1, 1, 0)
    );
    // 15 % of 50.00 is 7.50 per claim; the redeem re-priced 15 % of 40.00.
    assert_eq!((n.discount_granted, n.discount_redeemed), (4 * 750, 600));
    assert_eq!(r.redemption_rate_bps(), Some(2_500));
    assert_eq!(n.first_claim_at, Some(a.claimed_at));
    assert_eq!(r.sold_out_at(), Some(d.claimed_at));
    assert_eq!(n.claims.iter().map(|b| b.count).sum::<i64>(), 4);
    assert!(n.claims.windows(2).all(|w| w[0].start < w[1].start));
    let redeemed_at = redeemed.redemption.unwrap().redeemed_at;
    assert_eq!(n.redemptions.len(), 1);
    assert_eq!(
        n.redemptions[0].start.timestamp(),
        redeemed_at.timestamp(),
        "the redemption's second"
    );
    assert_eq!(r.remaining_over_time().last().map(|b| b.count), Some(0));
    let unknown = CampaignId::parse("nope").unwrap();
    assert!(
        store
            .report(&unknown, BucketWidth::Second)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn sqlite_store_reports_on_a_sale() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("flashsale.db"))
        .await
        .unwrap();
    report_story(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn mongodb_store_reports_on_a_sale() {
    let uri = mongo_uri();
    let database = unique_name("report");
    let url = database_url(&uri, &database);
    let store = MongoStore::open(&url).await.unwrap();
    report_story(store).await;
    drop_database(&url, &database).await;
}
