//! The `SQLite` store's own tests: group commit and the batch's hot-row copies.

use std::sync::mpsc;

use chrono::TimeDelta;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::claim::claim_job;
use super::rows::select_campaign;
use super::writer::Reply;
use super::{SqliteStore, classify, writer};
use crate::clock::{Clock, SystemClock};
use crate::domain::{
    CampaignId, CampaignState, Cents, ClaimAttempt, Currency, Decision, NewCampaign, Percent,
    Refusal, Units, UserId,
};
use crate::store::{CommitStats, Store, StoreError};

/// The store's own claim job, for `user` with `cart` cents.
fn user_claim(
    id: &CampaignId,
    user: &str,
    cart: i64,
    now: DateTime<Utc>,
) -> (Box<dyn writer::Job>, Reply<Decision>) {
    claim_job(ClaimAttempt {
        campaign_id: id.clone(),
        user_id: UserId::parse(user).unwrap(),
        cart: Cents::new(cart).unwrap(),
        now,
    })
}

/// Holds the writer inside a gate job (its batch formed before anything else was queued)
/// until `open` is sent, so every job queued meanwhile lands in the next batch together.
fn hold_writer(queue: &writer::Queue) -> (mpsc::Sender<()>, Reply<()>) {
    let (started, on_started) = mpsc::channel();
    let (open, gate) = mpsc::channel::<()>();
    let (gate_job, gate_done) = writer::job(move |_conn| {
        started.send(()).unwrap();
        gate.recv().unwrap();
        Ok(())
    });
    queue.send(gate_job).unwrap();
    on_started.recv().unwrap();
    (open, gate_done)
}

/// Claims work on the batch's copy of the campaign row; a restock and an operator stop in
/// the same batch must see the claims before them and be seen by the claims after them.
#[tokio::test(flavor = "multi_thread")]
async fn other_jobs_in_a_batch_see_and_are_seen_by_its_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id, now) = store_with_campaign(&dir, "stats", 2).await;
    let queue = store.inner.writer.as_ref().unwrap();
    let (open, gate_done) = hold_writer(queue);

    let mut claims = Vec::new();
    for user in ["ana", "bo", "cy"] {
        let (job, reply) = user_claim(&id, user, 50_00, now);
        queue.send(job).unwrap();
        claims.push(reply);
    }
    let restock_id = id.clone();
    let (job, restocked) = writer::job(move |conn| {
        conn.execute(
            "UPDATE campaigns SET total = total + 2, remaining = remaining + 2 WHERE id = ?1",
            [restock_id.as_str()],
        )
        .map_err(|err| classify("restocking", err))?;
        select_campaign(conn, &restock_id).map_err(|err| classify("reading", err))
    });
    queue.send(job).unwrap();
    for user in ["dee", "ed"] {
        let (job, reply) = user_claim(&id, user, 50_00, now);
        queue.send(job).unwrap();
        claims.push(reply);
    }
    let end_id = id.clone();
    let (job, ended) = writer::job(move |conn| {
        conn.execute(
            "UPDATE campaigns SET ended_at = ?2 WHERE id = ?1",
            params![end_id.as_str(), now.timestamp_millis()],
        )
        .map(drop)
        .map_err(|err| classify("ending", err))
    });
    queue.send(job).unwrap();
    let (job, late) = user_claim(&id, "fay", 50_00, now);
    queue.send(job).unwrap();
    open.send(()).unwrap();
    gate_done.await.unwrap().unwrap();

    let mut outcomes = Vec::new();
    for reply in claims {
        outcomes.push(match reply.await.unwrap().unwrap() {
            Decision::Grant(_) => "claimed",
            Decision::Refuse(Refusal::SoldOut) => "sold out",
            other => panic!("unexpected {other:?}"),
        });
    }
    assert_eq!(
        outcomes,
        ["claimed", "claimed", "sold out", "claimed", "claimed"]
    );
    // The restock saw the two claims before it: 2 - 2 + 2 remaining.
    let at_restock = restocked.await.unwrap().unwrap().unwrap();
    assert_eq!(
        (
            at_restock.total(),
            at_restock.claimed(),
            at_restock.remaining()
        ),
        (4, 2, 2)
    );
    ended.await.unwrap().unwrap();
    assert!(matches!(
        late.await.unwrap().unwrap(),
        Decision::Refuse(Refusal::NotLive(_))
    ));
    let stored = store.campaign(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.total(), stored.claimed(), stored.remaining()),
        (4, 4, 0)
    );
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert_eq!((audit.claims, audit.remaining), (4, 0));
}

/// A job that panics rolls its batch back and leaves the writer alive for the next one.
#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_job_rolls_its_batch_back_and_the_writer_lives_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id, now) = store_with_campaign(&dir, "panic", 2).await;
    let queue = store.inner.writer.as_ref().unwrap();
    let (open, gate_done) = hold_writer(queue);
    let (job, ana) = user_claim(&id, "ana", 50_00, now);
    queue.send(job).unwrap();
    let (job, panicked) = writer::job(|_conn| -> Result<(), StoreError> {
        panic!("injected bug");
    });
    queue.send(job).unwrap();
    open.send(()).unwrap();
    gate_done.await.unwrap().unwrap();
    assert!(ana.await.unwrap().is_err(), "the batch was rolled back");
    assert!(
        panicked.await.is_err(),
        "the panicking job's reply was dropped"
    );
    assert_eq!(store.audit(&id).await.unwrap().unwrap().claims, 0);
    // The writer thread is still there: the retry goes through.
    let retry = ClaimAttempt {
        campaign_id: id.clone(),
        user_id: UserId::parse("ana").unwrap(),
        cart: Cents::new(50_00).unwrap(),
        now,
    };
    let retried = store.claim(&retry).await.unwrap();
    assert!(matches!(retried, Decision::Grant(_)));
}

/// Group commit decides each claim on its own. Eight jobs are queued while the
/// writer is held inside a gate job, so all of them form the next batch together; among
/// them a refusal, a sell-out, a replay of a claim made earlier in the same batch, and a job
/// that writes and then fails. Only the failing job's writes are rolled back.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_or_failing_job_does_not_affect_the_rest_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id, now) = store_with_campaign(&dir, "batch", 2).await;
    let queue = store.inner.writer.as_ref().unwrap();
    let (open, gate_done) = hold_writer(queue);

    let (job, ana) = user_claim(&id, "ana", 50_00, now);
    queue.send(job).unwrap();
    let (job, too_small) = user_claim(&id, "bo", 10_00, now);
    queue.send(job).unwrap();
    // Writes a claim of its own and takes a unit, then fails: both must be undone.
    let (job, failing) = writer::job(move |conn: &Connection| -> Result<(), StoreError> {
        conn.execute(
            "UPDATE campaigns SET remaining = remaining - 1, claimed = claimed + 1 WHERE id = 'batch'",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at, currency) VALUES ('batch', 'mallory', 'forged', 0, 5000, 0, 'EUR')",
            [],
        )
        .unwrap();
        Err(StoreError::backend(
            "testing",
            std::io::Error::other("injected failure"),
        ))
    });
    queue.send(job).unwrap();
    let (job, cy) = user_claim(&id, "cy", 50_00, now);
    queue.send(job).unwrap();
    let (job, ana_again) = user_claim(&id, "ana", 90_00, now);
    queue.send(job).unwrap();
    let (job, dee) = user_claim(&id, "dee", 50_00, now);
    queue.send(job).unwrap();
    let (job, nobody) = user_claim(&CampaignId::parse("nope").unwrap(), "ed", 50_00, now);
    queue.send(job).unwrap();
    open.send(()).unwrap();
    gate_done.await.unwrap().unwrap();

    let granted = |reply: Result<Decision, StoreError>| match reply.unwrap() {
        Decision::Grant(claim) => claim,
        other => panic!("expected a new claim, got {other:?}"),
    };
    let ana = granted(ana.await.unwrap());
    assert_eq!(
        too_small.await.unwrap().unwrap(),
        Decision::Refuse(Refusal::NotEligible {
            min_cart: Cents::new(20_00).unwrap()
        })
    );
    assert!(failing.await.unwrap().is_err());
    // The failing job's unit was given back, so cy gets the second one.
    let cy = granted(cy.await.unwrap());
    assert_eq!(
        ana_again.await.unwrap().unwrap(),
        Decision::Replay(ana.clone())
    );
    assert_eq!(
        dee.await.unwrap().unwrap(),
        Decision::Refuse(Refusal::SoldOut)
    );
    assert_eq!(
        nobody.await.unwrap().unwrap(),
        Decision::Refuse(Refusal::NotFound)
    );

    let stored = store.campaign(&id).await.unwrap().unwrap();
    assert_eq!((stored.claimed(), stored.remaining()), (2, 0));
    assert_eq!(stored.state(now), CampaignState::SoldOut);
    assert_eq!(store.claim_of(&id, &ana.user_id).await.unwrap(), Some(ana));
    assert_eq!(store.claim_of(&id, &cy.user_id).await.unwrap(), Some(cy));
    for absent in ["bo", "mallory", "dee"] {
        let user = UserId::parse(absent).unwrap();
        assert_eq!(store.claim_of(&id, &user).await.unwrap(), None, "{absent}");
    }
}

/// A store in `dir` with one live campaign `id` of `inventory` units: 10 % off, at most
/// 10.00, carts from 20.00.
async fn store_with_campaign(
    dir: &tempfile::TempDir,
    id: &str,
    inventory: i64,
) -> (SqliteStore, CampaignId, DateTime<Utc>) {
    let store = SqliteStore::open(&dir.path().join("store.db"))
        .await
        .unwrap();
    let now = SystemClock.now();
    let id = CampaignId::parse(id).unwrap();
    let campaign = NewCampaign {
        id: id.clone(),
        name: id.to_string(),
        inventory: Units::new(inventory).unwrap(),
        percent: Percent::from_bps(1_000).unwrap(),
        max_discount: Cents::new(10_00).unwrap(),
        min_cart: Cents::new(20_00).unwrap(),
        currency: Currency::parse("EUR").unwrap(),
        starts_at: Some(now - TimeDelta::minutes(1)),
        ends: crate::domain::Ends::At(now + TimeDelta::hours(1)),
        hold: None,
    }
    .validate(now)
    .unwrap();
    store
        .create_campaign(
            &campaign,
            &crate::domain::Stamp {
                actor: crate::domain::Actor::parse("test").unwrap(),
                at: now,
            },
        )
        .await
        .unwrap();
    (store, id, now)
}

/// Every concurrent claim is one counted job, granted or refused, and they never
/// need more transactions than there are claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_are_all_counted_in_at_most_as_many_commits() {
    const CLAIMS: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    // Fewer units than claimers, so refusals are among the counted jobs.
    let (store, id, now) = store_with_campaign(&dir, "stats", 100).await;
    let before = store.commit_stats().unwrap();
    let mut claims = tokio::task::JoinSet::new();
    for i in 0..CLAIMS {
        let (store, attempt) = (
            store.clone(),
            ClaimAttempt {
                campaign_id: id.clone(),
                user_id: UserId::parse(&format!("user-{i}")).unwrap(),
                cart: Cents::new(50_00).unwrap(),
                now,
            },
        );
        claims.spawn(async move { store.claim(&attempt).await.unwrap() });
    }
    let mut granted = 0;
    while let Some(decision) = claims.join_next().await {
        granted += u64::from(matches!(decision.unwrap(), Decision::Grant(_)));
    }
    assert_eq!(granted, 100);
    let run = store.commit_stats().unwrap().since(before);
    assert_eq!(run.jobs, CLAIMS, "{run:?}");
    assert!((1..=CLAIMS).contains(&run.commits), "{run:?}");
}

/// The counts are per transaction, not per job. Claims queued while the writer is
/// busy form one batch, which is one commit.
#[tokio::test(flavor = "multi_thread")]
async fn claims_queued_behind_a_busy_writer_are_counted_as_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id, now) = store_with_campaign(&dir, "stats", 10).await;
    let before = store.commit_stats().unwrap();
    let queue = store.inner.writer.as_ref().unwrap();
    let (open, gate_done) = hold_writer(queue);
    let replies: Vec<_> = (0..50)
        .map(|i| {
            let (job, reply) = user_claim(&id, &format!("user-{i}"), 50_00, now);
            queue.send(job).unwrap();
            reply
        })
        .collect();
    open.send(()).unwrap();
    gate_done.await.unwrap().unwrap();
    for reply in replies {
        reply.await.unwrap().unwrap();
    }
    let run = store.commit_stats().unwrap().since(before);
    // The gate's own batch, then the fifty claims (ten granted, forty sold out) together.
    assert_eq!(
        run,
        CommitStats {
            commits: 2,
            jobs: 51
        }
    );
}

/// A store written by schema version 1 (before the lifecycle) opens, migrates once,
/// and keeps every claim as `claimed`, in its campaign's currency, holding its unit; the
/// lifecycle then works on those claims.
#[tokio::test]
async fn a_version_1_store_migrates_and_keeps_its_claims_as_claimed() {
    use crate::domain::{Actor, ClaimKey, ClaimStatus, EventQuery, Stamp, Verdict, VoidAttempt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let now = SystemClock.now();
    let millis = now.timestamp_millis();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(super::migrations::MIGRATIONS[0])
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO campaigns VALUES ('old', 'Old', ?1, ?2, NULL, 3, 2, 1, 1000, 500, 0, \
             'JPY', ?1)",
            params![millis - 60_000, millis + 3_600_000],
        )
        .unwrap();
        for (user, token) in [("ana", "tok-ana"), ("bo", "tok-bo")] {
            conn.execute(
                "INSERT INTO claims VALUES ('old', ?1, ?2, 100, 2000, ?3)",
                params![user, token, millis - 1_000],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let id = CampaignId::parse("old").unwrap();
    let campaign = store.campaign(&id).await.unwrap().unwrap();
    assert_eq!(
        (campaign.total(), campaign.claimed(), campaign.remaining()),
        (3, 2, 1)
    );
    assert!(!campaign.paused);
    assert_eq!(campaign.hold, None);
    let ana = store
        .claim_of(&id, &UserId::parse("ana").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ana.status, ClaimStatus::Claimed);
    assert_eq!(ana.currency.as_str(), "JPY");
    assert_eq!((ana.token.as_str(), ana.expires_at), ("tok-ana", None));
    let query = EventQuery {
        campaign: None,
        after_seq: 0,
        since: None,
        limit: 10,
    };
    assert!(store.events(&query).await.unwrap().is_empty());
    let void = VoidAttempt {
        campaign_id: id.clone(),
        key: ClaimKey::User(UserId::parse("bo").unwrap()),
        reason: None,
        stamp: Stamp {
            actor: Actor::parse("ops").unwrap(),
            at: now,
        },
    };
    assert!(matches!(
        store.void(&void).await.unwrap(),
        Verdict::Change { .. }
    ));
    assert_eq!(store.events(&query).await.unwrap().len(), 1);
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        version,
        i64::try_from(super::migrations::MIGRATIONS.len()).unwrap()
    );
    let remaining: i64 = conn
        .query_row("SELECT remaining FROM campaigns", [], |row| row.get(0))
        .unwrap();
    assert_eq!(remaining, 2);
}

/// A store of schema version 2 opens, rebuilds its claims table once (migration 3), and keeps
/// every claim exactly, in every status, with the same constraints: a bad status, a second
/// claim of a user and a reused token are still refused.
#[tokio::test]
async fn a_version_2_store_migrates_and_keeps_every_claim_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    let rows = |conn: &Connection| -> Vec<String> {
        conn.prepare("SELECT * FROM claims ORDER BY user_id")
            .unwrap()
            .query_map([], |row| {
                Ok((0..13)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(super::migrations::MIGRATIONS[0])
            .unwrap();
        conn.execute_batch(super::migrations::MIGRATIONS[1])
            .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO campaigns VALUES ('c', 'C', 0, 9999999999999, NULL, 10, 2, 8, 1000, \
             500, 0, 'EUR', 0, 0, 60)",
            [],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO claims VALUES ('c', 'ana', 't-ana', 100, 2000, 5, 'EUR', 'claimed', 65, \
                 NULL, NULL, NULL, NULL);
             INSERT INTO claims VALUES ('c', 'bo', 't-bo', 100, 2000, 6, 'EUR', 'redeemed', NULL, \
                 'order-1', 1900, 90, 7);
             INSERT INTO claims VALUES ('c', 'cy', 't-cy', 100, 2000, 8, 'EUR', 'voided', NULL, \
                 NULL, NULL, NULL, NULL);
             INSERT INTO claims VALUES ('c', 'di', 't-di', 100, 2000, 9, 'EUR', 'expired', 69, \
                 NULL, NULL, NULL, NULL);",
        )
        .unwrap();
        rows(&conn)
    };
    assert_eq!(before.len(), 4);
    drop(SqliteStore::open(&path).await.unwrap());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(rows(&conn), before);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        version,
        i64::try_from(super::migrations::MIGRATIONS.len()).unwrap()
    );
    let refused = |sql: &str| {
        let err = conn.execute(sql, []).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ConstraintViolation),
            "{sql}: {err}"
        );
    };
    refused(
        "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at, \
         status) VALUES ('c', 'ed', 't-ed', 1, 1, 1, 'lost')",
    );
    refused(
        "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at) \
         VALUES ('c', 'ana', 't-new', 1, 1, 1)",
    );
    refused(
        "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at) \
         VALUES ('c', 'ed', 't-ana', 1, 1, 1)",
    );
    let due: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'claims_due'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(due, 1);
}

/// A claim's INSERT builds no temporary table: schema 2's `status IN (...)` CHECK made SQLite
/// create and drop one for every claim (migration 3).
#[tokio::test]
async fn a_claim_insert_builds_no_temporary_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    drop(SqliteStore::open(&path).await.unwrap());
    let conn = Connection::open(&path).unwrap();
    let opcodes: Vec<String> = conn
        .prepare(&format!("EXPLAIN {}", super::rows::INSERT_CLAIM))
        .unwrap()
        .query_map([rusqlite::types::Null; 9], |row| row.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(opcodes.iter().any(|op| op == "Insert" || op == "IdxInsert"));
    assert!(
        !opcodes.iter().any(|op| op == "OpenEphemeral"),
        "{opcodes:?}"
    );
}

/// A store of schema 3 gains the report's time indexes when it opens, keeps its claims, and
/// reports on them: claims by `claimed_at`, redemptions by `redeemed_at`, read through the
/// new indexes.
#[tokio::test]
async fn a_schema_3_store_migrates_and_reports_through_its_time_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &super::migrations::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute(
            "INSERT INTO campaigns VALUES ('c', 'C', 0, 9999999999999, NULL, 3, 2, 1, 1000, \
             500, 0, 'EUR', 0, 0, NULL)",
            [],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO claims VALUES ('c', 'ana', 't-ana', 100, 2000, 1500, 'EUR', 'claimed', \
                 NULL, NULL, NULL, NULL, NULL);
             INSERT INTO claims VALUES ('c', 'bo', 't-bo', 200, 2000, 1900, 'EUR', 'redeemed', \
                 NULL, 'order-1', 1900, 150, 7200);
             INSERT INTO claims VALUES ('c', 'cy', 't-cy', 50, 2000, 3100, 'EUR', 'voided', \
                 NULL, NULL, NULL, NULL, NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let id = CampaignId::parse("c").unwrap();
    let report = store
        .report(&id, crate::domain::BucketWidth::Second)
        .await
        .unwrap()
        .unwrap();
    let n = &report.counts;
    assert_eq!((n.open, n.redeemed, n.voided, n.expired), (1, 1, 1, 0));
    assert_eq!((n.discount_granted, n.discount_redeemed), (350, 150));
    let at = |ms| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    assert_eq!(n.first_claim_at, Some(at(1_500)));
    assert_eq!(n.last_claim_at, Some(at(3_100)));
    assert_eq!(n.last_held_claim_at, Some(at(1_900)));
    let claims: Vec<(i64, i64)> = n
        .claims
        .iter()
        .map(|b| (b.start.timestamp_millis(), b.count))
        .collect();
    assert_eq!(claims, [(1_000, 2), (3_000, 1)]);
    let redemptions: Vec<(i64, i64)> = n
        .redemptions
        .iter()
        .map(|b| (b.start.timestamp_millis(), b.count))
        .collect();
    assert_eq!(redemptions, [(7_000, 1)]);
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let indexes: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'claims_%' \
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["claims_by_time", "claims_due", "claims_redeemed"]);
}

/// The report's timelines and sold-out instant walk the time indexes in order: no sorter, no
/// pass over the whole table.
#[tokio::test]
async fn the_report_reads_claims_by_time_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    drop(SqliteStore::open(&path).await.unwrap());
    let conn = Connection::open(&path).unwrap();
    let plan = |sql: &str| -> String {
        conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([], |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("; ")
    };
    let timeline = plan(
        "SELECT claimed_at FROM claims INDEXED BY claims_by_time WHERE campaign_id = 'c' \
         ORDER BY claimed_at",
    );
    assert!(
        timeline.contains("USING COVERING INDEX claims_by_time"),
        "{timeline}"
    );
    assert!(!timeline.contains("TEMP B-TREE"), "{timeline}");
    let last = plan(
        "SELECT claimed_at FROM claims WHERE campaign_id = 'c' AND status IN ('claimed', \
         'redeemed') ORDER BY claimed_at DESC LIMIT 1",
    );
    assert!(last.contains("claims_by_time"), "{last}");
    assert!(!last.contains("TEMP B-TREE"), "{last}");
    let redeemed = plan(
        "SELECT redeemed_at FROM claims INDEXED BY claims_redeemed WHERE campaign_id = 'c' \
         AND redeemed_at IS NOT NULL ORDER BY redeemed_at",
    );
    assert!(
        redeemed.contains("COVERING INDEX claims_redeemed"),
        "{redeemed}"
    );
    assert!(!redeemed.contains("TEMP B-TREE"), "{redeemed}");
}

/// A pause takes effect when its job runs: claims stamped after the operator asked, but
/// granted ahead of the pause in the writer's queue, are before it in the log too. The
/// pause's event is never earlier than a claim the pause did not stop, and every claim after
/// it in the queue is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_pause_is_recorded_no_earlier_than_the_claims_granted_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id, now) = store_with_campaign(&dir, "paused", 10).await;
    let queue = store.inner.writer.as_ref().unwrap();
    let (open, gate_done) = hold_writer(queue);
    // The operator's stamp, then claims stamped later that reach the queue first: what a
    // group commit in progress does to a pause.
    let stamp = crate::domain::Stamp {
        actor: crate::domain::Actor::parse("ops").unwrap(),
        at: now,
    };
    let mut before = Vec::new();
    for (n, user) in ["ana", "bo", "cy"].into_iter().enumerate() {
        let later = now + TimeDelta::milliseconds(100 * (i64::try_from(n).unwrap() + 1));
        let (job, reply) = user_claim(&id, user, 50_00, later);
        queue.send(job).unwrap();
        before.push(reply);
    }
    let (pause_id, pause) = (id.clone(), stamp.clone());
    let (job, paused) = writer::job(move |conn| {
        super::lifecycle::change_campaign(
            conn,
            &pause_id,
            &crate::domain::CampaignChange::Pause,
            &pause,
        )
    });
    queue.send(job).unwrap();
    let (job, after) = user_claim(&id, "dee", 50_00, now + TimeDelta::milliseconds(400));
    queue.send(job).unwrap();
    open.send(()).unwrap();
    gate_done.await.unwrap().unwrap();
    for reply in before {
        assert!(matches!(reply.await.unwrap().unwrap(), Decision::Grant(_)));
    }
    paused.await.unwrap().unwrap().unwrap();
    assert_eq!(
        after.await.unwrap().unwrap(),
        Decision::Refuse(Refusal::NotLive(CampaignState::Paused))
    );

    let conn = Connection::open(dir.path().join("store.db")).unwrap();
    let paused_at: i64 = conn
        .query_row(
            "SELECT at FROM events WHERE campaign_id = 'paused' AND action = 'campaign.paused'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let later: i64 = conn
        .query_row(
            "SELECT count(*) FROM claims WHERE campaign_id = 'paused' AND claimed_at > ?1",
            [paused_at],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        later, 0,
        "claims granted after the pause's recorded instant"
    );
    assert_eq!(
        paused_at,
        (now + TimeDelta::milliseconds(300)).timestamp_millis()
    );
}

/// The campaigns still to end are read through the index on `ends_at` (never a scan of every
/// campaign), and only they are.
#[tokio::test]
async fn the_campaigns_still_to_end_are_read_through_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SqliteStore::open(&path).await.unwrap();
    let now = SystemClock.now();
    for (id, hours) in [("first", 1), ("second", 2), ("third", 3)] {
        let campaign = NewCampaign {
            id: CampaignId::parse(id).unwrap(),
            name: id.into(),
            inventory: Units::new(1).unwrap(),
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: Cents::new(10_00).unwrap(),
            min_cart: Cents::new(20_00).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            starts_at: Some(now),
            ends: crate::domain::Ends::At(now + TimeDelta::hours(hours)),
            hold: None,
        }
        .validate(now)
        .unwrap();
        let stamp = crate::domain::Stamp {
            actor: crate::domain::Actor::parse("test").unwrap(),
            at: now,
        };
        store.create_campaign(&campaign, &stamp).await.unwrap();
    }
    let since = now + TimeDelta::minutes(90);
    let ids: Vec<String> = store
        .campaigns_ending_from(since)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["second", "third"]);
    let conn = Connection::open(&path).unwrap();
    let plan: Vec<String> = conn
        .prepare("EXPLAIN QUERY PLAN SELECT id FROM campaigns WHERE ends_at >= ?1")
        .unwrap()
        .query_map([since.timestamp_millis()], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.contains("campaigns_by_end")),
        "{plan:?}"
    );
}

/// Every store draws its own id once: a schema 4 store gains one when it opens, keeps it on
/// the next open, and two stores never share one. The id's page reaches the file at open, so
/// the pin reads it from there.
#[tokio::test]
async fn each_store_draws_its_own_id_once_and_pins_it_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let id_of = |path: &std::path::Path| -> Vec<u8> {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT id FROM store", [], |row| row.get(0))
            .unwrap()
    };
    let old = dir.path().join("v4.db");
    {
        let conn = Connection::open(&old).unwrap();
        for sql in &super::migrations::MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
    }
    let store = SqliteStore::open(&old).await.unwrap();
    assert!(
        store.inner.pin.id_page.is_some(),
        "the id was not found in the file"
    );
    drop(store);
    let first = id_of(&old);
    assert_eq!(first.len(), 16);
    drop(SqliteStore::open(&old).await.unwrap());
    assert_eq!(id_of(&old), first, "a second open drew another id");
    let new = dir.path().join("new.db");
    drop(SqliteStore::open(&new).await.unwrap());
    assert_ne!(id_of(&new), first, "two stores share an id");
}

/// A store of schema version 6 opens and gains the void's instant and reason and the
/// expiry's instant (migration 7): claims voided or expired before keep none (nothing
/// recorded them), and a void after the migration records both in the same UPDATE.
#[tokio::test]
async fn a_version_6_store_migrates_and_records_voids_from_then_on() {
    use crate::domain::{Actor, ClaimKey, ClaimStatus, Stamp, VoidAttempt, VoidReason};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &super::migrations::MIGRATIONS[..6] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.execute_batch(
            "INSERT INTO campaigns VALUES ('c', 'C', 0, 9999999999999, NULL, 10, 1, 9, 1000, \
                 500, 0, 'EUR', 0, 0, 60);
             INSERT INTO claims VALUES ('c', 'ana', 't-ana', 100, 2000, 5, 'EUR', 'claimed', \
                 99999999999, NULL, NULL, NULL, NULL);
             INSERT INTO claims VALUES ('c', 'cy', 't-cy', 100, 2000, 8, 'EUR', 'voided', NULL, \
                 NULL, NULL, NULL, NULL);
             INSERT INTO claims VALUES ('c', 'di', 't-di', 100, 2000, 9, 'EUR', 'expired', 69, \
                 NULL, NULL, NULL, NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let id = CampaignId::parse("c").unwrap();
    let of = |user: &str| UserId::parse(user).unwrap();
    for user in ["cy", "di"] {
        let old = store.claim_of(&id, &of(user)).await.unwrap().unwrap();
        assert_eq!(
            (old.voided_at, old.void_reason, old.expired_at),
            (None, None, None),
            "{user}"
        );
    }
    let at = DateTime::from_timestamp_millis(1_800_000_000_123).unwrap();
    store
        .void(&VoidAttempt {
            campaign_id: id.clone(),
            key: ClaimKey::User(of("ana")),
            reason: Some(VoidReason::parse("chargeback 1042").unwrap()),
            stamp: Stamp {
                actor: Actor::parse("ops").unwrap(),
                at,
            },
        })
        .await
        .unwrap();
    let voided = store.claim_of(&id, &of("ana")).await.unwrap().unwrap();
    assert_eq!(voided.status, ClaimStatus::Voided);
    assert_eq!(voided.voided_at, Some(at));
    assert_eq!(
        voided.void_reason.as_ref().map(VoidReason::as_str),
        Some("chargeback 1042")
    );
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let stored: (Option<i64>, Option<String>, Option<i64>) = conn
        .query_row(
            "SELECT voided_at, void_reason, expired_at FROM claims WHERE user_id = 'ana'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        stored,
        (
            Some(1_800_000_000_123),
            Some("chargeback 1042".into()),
            None
        )
    );
}

/// The threads of this process, as the kernel counts them.
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

/// Reads queued behind a busy reader wait on the async side, not each on a blocking thread of
/// its own: 200 of them waiting together start at most a thread or two (other tests running
/// alongside start some too, hence the margin), where each once started its own.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::await_holding_lock,
    reason = "the test holds the reader busy while the reads queue, on purpose"
)]
async fn queued_reads_wait_without_a_thread_each() {
    const READS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let (store, id, _) = store_with_campaign(&dir, "reads", 1).await;
    let user = UserId::parse("nobody").unwrap();
    let before = threads();
    let busy = store.inner.reader.lock().unwrap();
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..READS {
        let (store, id, user) = (store.clone(), id.clone(), user.clone());
        reads.spawn(async move { store.claim_of(&id, &user).await.unwrap() });
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let waiting = threads();
    drop(busy);
    while let Some(read) = reads.join_next().await {
        assert_eq!(read.unwrap(), None);
    }
    assert!(
        waiting < before + READS / 2,
        "{READS} queued reads took the process from {before} to {waiting} threads"
    );
}
