//! The embedded store: one `SQLite` file in WAL mode, the zero-setup default.
//!
//! Writes go through one writer thread that group-commits (see [`writer`]); each write runs in
//! `BEGIN IMMEDIATE`, so several flashsale processes on one file serialise on `SQLite`'s write
//! lock (waiting up to [`BUSY_TIMEOUT`]) and each claim is decided inside the transaction that
//! records it. Reads use a separate connection and see the last committed state.

mod migrations;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};

pub use migrations::LATEST as SCHEMA_VERSION;

use super::{Audit, ClaimDecision, CommitStats, Reconciliation, Store, StoreError};
use crate::domain::{
    Campaign, CampaignId, Cents, Claim, ClaimAttempt, ClaimOutcome, ClaimToken, Currency,
    DiscountRule, MAX_INVENTORY, Percent, Refusal, UserId, Window,
};

/// How long a write waits for another process's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Each connection's `PRAGMA cache_size`: negative means KiB, so 32 MiB. Public so that the
/// benchmark can give raw `SQLite` the same setting.
pub const CACHE_SIZE: i64 = -32 * 1024;

/// The embedded `SQLite` store. Cheap to clone; clones share the writer thread.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Option<writer::Queue>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    reader: Mutex<Connection>,
    path: PathBuf,
    commits: Arc<writer::Counters>,
}

/// Closing the writer's queue and waiting for its thread means the connections close before
/// the process exits, so the last one checkpoints the WAL into the database file. Without it,
/// whether a process left a WAL behind would depend on a race at exit, and the store's bytes
/// would change under commands that wrote nothing.
impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.writer.take());
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed, with its parent folders) the store at `path` and migrates its
    /// schema.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be created or opened.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(path))
            .await
            .map_err(|err| StoreError::backend("opening the store", err))?
    }

    fn open_blocking(path: PathBuf) -> Result<Self, StoreError> {
        let context = || format!("opening `{}`", path.display());
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError::unavailable(context(), err))?;
        }
        let writer_conn = Connection::open(&path).map_err(|err| classify(&context(), err))?;
        configure(&writer_conn).map_err(|err| classify(&context(), err))?;
        migrations::migrate(&writer_conn)?;
        let reader = Connection::open(&path).map_err(|err| classify(&context(), err))?;
        configure(&reader).map_err(|err| classify(&context(), err))?;
        let commits = Arc::new(writer::Counters::default());
        let (writer, writer_thread) = writer::spawn(writer_conn, Arc::clone(&commits))
            .map_err(|err| StoreError::unavailable(context(), err))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Some(writer),
                writer_thread: Some(writer_thread),
                reader: Mutex::new(reader),
                path,
                commits,
            }),
        })
    }

    /// The file this store lives in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` on the writer thread, in the next batch.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.submit(writer::job(work)).await
    }

    /// Queues `job` for the writer and waits for its answer.
    async fn submit<T>(
        &self,
        (job, answer): (Box<dyn writer::Job>, writer::Reply<T>),
    ) -> Result<T, StoreError> {
        let stopped = || {
            StoreError::backend(
                "writing",
                std::io::Error::other("the SQLite writer thread stopped"),
            )
        };
        let sender = self.inner.writer.as_ref().ok_or_else(stopped)?;
        sender.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs `work` on the read connection, off the async executor.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            work(&inner.reader.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .map_err(|err| StoreError::backend("reading", err))?
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::ToSqlConversionFailure(
            format!("journal_mode is `{mode}`, WAL is required").into(),
        ));
    }
    // FULL: a claim the caller was told about survives power loss, not only a process crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(32);
    // A batch of thousands of claims dirties thousands of pages (claims are keyed by user and
    // tokens are random, so inserts land all over both indexes). Beyond the default 2 MiB
    // cache SQLite spills dirty pages into the WAL mid-transaction and reads them back; 32 MiB
    // holds a full batch. It is a ceiling, not an allocation.
    conn.pragma_update(None, "cache_size", CACHE_SIZE)?;
    Ok(())
}

/// Maps a rusqlite error to a [`StoreError`]: contention and I/O faults mean the store is
/// unavailable; anything else is unexpected.
pub(crate) fn classify(context: &str, err: rusqlite::Error) -> StoreError {
    let unavailable = matches!(
        err.sqlite_error_code(),
        Some(
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::ReadOnly
                | ErrorCode::NotADatabase
                | ErrorCode::PermissionDenied
                | ErrorCode::FileLockingProtocolFailed
        )
    );
    if unavailable {
        StoreError::unavailable(context, err)
    } else {
        StoreError::backend(context, err)
    }
}

const CAMPAIGN_COLUMNS: &str = "id, name, starts_at, ends_at, ended_at, total, claimed, remaining, \
     percent_bps, max_discount_cents, min_cart_cents, currency, created_at";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("stored {what} is not valid").into())
}

fn instant(millis: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| corrupt("timestamp"))
}

fn cents(value: i64) -> rusqlite::Result<Cents> {
    Cents::new(value).map_err(|_| corrupt("amount"))
}

fn campaign_from_row(row: &Row<'_>) -> rusqlite::Result<Campaign> {
    let bps: i64 = row.get(8)?;
    Ok(Campaign {
        id: CampaignId::parse(&row.get::<_, String>(0)?).map_err(|_| corrupt("campaign id"))?,
        name: row.get(1)?,
        window: Window {
            starts_at: instant(row.get(2)?)?,
            ends_at: instant(row.get(3)?)?,
        },
        ended_at: row.get::<_, Option<i64>>(4)?.map(instant).transpose()?,
        total: row.get(5)?,
        claimed: row.get(6)?,
        remaining: row.get(7)?,
        rule: DiscountRule {
            percent: u16::try_from(bps)
                .ok()
                .and_then(|bps| Percent::from_bps(bps).ok())
                .ok_or_else(|| corrupt("percent"))?,
            max_discount: cents(row.get(9)?)?,
            min_cart: cents(row.get(10)?)?,
        },
        currency: Currency::parse(&row.get::<_, String>(11)?).map_err(|_| corrupt("currency"))?,
        created_at: instant(row.get(12)?)?,
    })
}

fn select_campaign(conn: &Connection, id: &CampaignId) -> rusqlite::Result<Option<Campaign>> {
    conn.prepare_cached(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?1"
    ))?
    .query_row([id.as_str()], campaign_from_row)
    .optional()
}

fn select_claim(
    conn: &Connection,
    id: &CampaignId,
    user: &UserId,
) -> rusqlite::Result<Option<Claim>> {
    conn.prepare_cached(
        "SELECT token, discount_cents, cart_cents, claimed_at FROM claims WHERE campaign_id = ?1 AND user_id = ?2",
    )?
    .query_row([id.as_str(), user.as_str()], |row| {
        Ok(Claim {
            campaign_id: id.clone(),
            user_id: user.clone(),
            token: ClaimToken::from_stored(row.get(0)?),
            discount: cents(row.get(1)?)?,
            cart: cents(row.get(2)?)?,
            claimed_at: instant(row.get(3)?)?,
        })
    })
    .optional()
}

/// The batch's copies of the campaign rows its claims read and decrement (see the
/// write-back note in [`writer`]). A copy is read on a campaign's first claim in the batch and
/// written back once; `taken` is what the batch's claims took from it so far.
#[derive(Default)]
pub(super) struct HotRows {
    rows: HashMap<CampaignId, HotRow>,
}

struct HotRow {
    campaign: Campaign,
    taken: i64,
}

impl HotRows {
    /// The batch's copy of campaign `id`, read from the database on first use.
    fn get(&mut self, conn: &Connection, id: &CampaignId) -> rusqlite::Result<Option<&mut HotRow>> {
        if !self.rows.contains_key(id) {
            let Some(campaign) = select_campaign(conn, id)? else {
                return Ok(None);
            };
            self.rows.insert(id.clone(), HotRow { campaign, taken: 0 });
        }
        Ok(self.rows.get_mut(id))
    }

    /// Writes every copy's decrement back and forgets the copies, so the next reader sees the
    /// database. The update is guarded like a single claim's (`remaining >= n`): it cannot
    /// fail while the batch holds the write lock, and if it ever did, the batch would not
    /// commit rather than oversell.
    pub(super) fn write_back(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for (id, row) in self.rows.drain() {
            if row.taken == 0 {
                continue;
            }
            let changed = conn
                .prepare_cached(
                    "UPDATE campaigns SET remaining = remaining - ?2, claimed = claimed + ?2 \
                     WHERE id = ?1 AND remaining >= ?2",
                )?
                .execute(params![id.as_str(), row.taken])?;
            if changed != 1 {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("campaign `{id}` changed under the batch's write lock").into(),
                ));
            }
        }
        Ok(())
    }
}

/// The whole claim decision, inside the writer's transaction, on the batch's copy of the
/// campaign row (as the claims before this one in the batch left it).
///
/// A user who already holds a claim gets it back whatever the campaign's state (I4): a refusal
/// is only answered after looking for one. An admitted claim goes straight to an
/// `INSERT ... ON CONFLICT (campaign_id, user_id) DO NOTHING`, and a conflict means the user
/// holds a claim, which is then replayed; so a new claim costs one index probe, not two. The
/// unit is taken from the copy only once the insert succeeded, and the copy is written back
/// before COMMIT, so a claim and its decrement commit together or not at all: a claim never
/// exists without its unit.
///
/// `token` is drawn by the caller, before the job is queued: the OS CSPRNG call then runs on
/// the caller's thread instead of the single writer thread every claim waits for.
fn claim_in_transaction(
    tx: &mut writer::Tx<'_>,
    attempt: &ClaimAttempt,
    token: ClaimToken,
) -> rusqlite::Result<ClaimDecision> {
    let conn = tx.conn;
    let replay = || select_claim(conn, &attempt.campaign_id, &attempt.user_id);
    let Some(row) = tx.hot.get(conn, &attempt.campaign_id)? else {
        // No campaign, so no claim on it either (claims reference their campaign).
        return Ok(Err(Refusal::NotFound));
    };
    let admitted = match row.campaign.admit(attempt.now, attempt.cart) {
        Ok(_) if row.campaign.remaining <= 0 => Err(Refusal::SoldOut),
        other => other,
    };
    let discount = match admitted {
        Ok(discount) => discount,
        Err(refusal) => {
            return Ok(match replay()? {
                Some(existing) => Ok(ClaimOutcome::Replayed(existing)),
                None => Err(refusal),
            });
        }
    };
    let mut insert = conn.prepare_cached(
        "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (campaign_id, user_id) DO NOTHING",
    )?;
    // A token collision (144 random bits) is astronomically unlikely; drawing again is the
    // whole remedy, and the bounded loop keeps a broken RNG from spinning forever.
    let mut attempts_left = 3;
    let mut token = Some(token);
    loop {
        let claim = attempt.grant(discount, token.take().unwrap_or_else(ClaimToken::random));
        let inserted = insert.execute(params![
            claim.campaign_id.as_str(),
            claim.user_id.as_str(),
            claim.token.as_str(),
            claim.discount.get(),
            claim.cart.get(),
            claim.claimed_at.timestamp_millis(),
        ]);
        match inserted {
            Ok(1) => {
                row.campaign.remaining -= 1;
                row.campaign.claimed += 1;
                row.taken += 1;
                return Ok(Ok(ClaimOutcome::Claimed(claim)));
            }
            Ok(_) => {
                let existing = replay()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                return Ok(Ok(ClaimOutcome::Replayed(existing)));
            }
            Err(err)
                if attempts_left > 0
                    && err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
            {
                attempts_left -= 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// A claim as a writer job, with its token drawn here, on the caller's thread.
fn claim_job(attempt: ClaimAttempt) -> (Box<dyn writer::Job>, writer::Reply<ClaimDecision>) {
    let token = ClaimToken::random();
    writer::hot_job(move |tx| {
        claim_in_transaction(tx, &attempt, token).map_err(|err| classify("claiming", err))
    })
}

fn reconcile_in(
    conn: &Connection,
    id: &CampaignId,
    apply: bool,
) -> rusqlite::Result<Option<Reconciliation>> {
    let Some((total, remaining)) = conn
        .query_row(
            "SELECT total, remaining FROM campaigns WHERE id = ?1",
            [id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let claimed: i64 = conn.query_row(
        "SELECT count(*) FROM claims WHERE campaign_id = ?1",
        [id.as_str()],
        |row| row.get(0),
    )?;
    let report = Reconciliation {
        campaign_id: id.clone(),
        total,
        claimed,
        remaining,
        expected_remaining: total - claimed,
        applied: apply,
    };
    if apply {
        conn.execute(
            "UPDATE campaigns SET remaining = ?2, claimed = ?3 WHERE id = ?1",
            params![id.as_str(), report.expected_remaining, claimed],
        )?;
    }
    Ok(Some(report))
}

impl Store for SqliteStore {
    async fn create_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        let c = campaign.clone();
        self.write(move |conn| {
            let inserted = conn.execute(
                &format!("INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
                params![
                    c.id.as_str(),
                    c.name,
                    c.window.starts_at.timestamp_millis(),
                    c.window.ends_at.timestamp_millis(),
                    c.ended_at.map(|t| t.timestamp_millis()),
                    c.total,
                    c.claimed,
                    c.remaining,
                    c.rule.percent.bps(),
                    c.rule.max_discount.get(),
                    c.rule.min_cart.get(),
                    c.currency.as_str(),
                    c.created_at.timestamp_millis(),
                ],
            );
            match inserted {
                Ok(_) => Ok(()),
                Err(err) if err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => Err(StoreError::CampaignExists(c.id)),
                Err(err) => Err(classify("creating a campaign", err)),
            }
        })
        .await
    }

    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        let id = id.clone();
        self.read(move |conn| {
            select_campaign(conn, &id).map_err(|err| classify("reading a campaign", err))
        })
        .await
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.read(|conn| {
            let read = || -> rusqlite::Result<Vec<Campaign>> {
                conn.prepare_cached(&format!(
                    "SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY created_at, id"
                ))?
                .query_map([], campaign_from_row)?
                .collect()
            };
            read().map_err(|err| classify("listing campaigns", err))
        })
        .await
    }

    async fn end_campaign(
        &self,
        id: &CampaignId,
        now: DateTime<Utc>,
    ) -> Result<Option<Campaign>, StoreError> {
        let id = id.clone();
        self.write(move |conn| {
            let run = || -> rusqlite::Result<Option<Campaign>> {
                conn.execute(
                    "UPDATE campaigns SET ended_at = COALESCE(ended_at, ?2) WHERE id = ?1",
                    params![id.as_str(), now.timestamp_millis()],
                )?;
                select_campaign(conn, &id)
            };
            run().map_err(|err| classify("ending a campaign", err))
        })
        .await
    }

    async fn add_inventory(
        &self,
        id: &CampaignId,
        units: i64,
    ) -> Result<Option<Campaign>, StoreError> {
        let id = id.clone();
        self.write(move |conn| {
            let run = || -> rusqlite::Result<(usize, Option<Campaign>)> {
                let changed = conn.execute(
                    "UPDATE campaigns SET total = total + ?2, remaining = remaining + ?2 WHERE id = ?1 AND total + ?2 <= ?3",
                    params![id.as_str(), units, MAX_INVENTORY],
                )?;
                Ok((changed, select_campaign(conn, &id)?))
            };
            match run().map_err(|err| classify("adding inventory", err))? {
                (0, Some(_)) => Err(StoreError::InventoryLimit(id)),
                (_, campaign) => Ok(campaign),
            }
        })
        .await
    }

    async fn claim(&self, attempt: &ClaimAttempt) -> Result<ClaimDecision, StoreError> {
        self.submit(claim_job(attempt.clone())).await
    }

    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        let (id, user) = (id.clone(), user.clone());
        self.read(move |conn| {
            select_claim(conn, &id, &user).map_err(|err| classify("reading a claim", err))
        })
        .await
    }

    async fn reconcile(
        &self,
        id: &CampaignId,
        apply: bool,
    ) -> Result<Option<Reconciliation>, StoreError> {
        let id = id.clone();
        // Through the writer even without --apply: the count and the counter are then read in
        // one transaction, never straddling a claim.
        self.write(move |conn| {
            reconcile_in(conn, &id, apply).map_err(|err| classify("reconciling", err))
        })
        .await
    }

    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        let id = id.clone();
        self.read(move |conn| {
            let run = || -> rusqlite::Result<Option<Audit>> {
                conn.execute_batch("BEGIN")?;
                let audit = conn
                    .query_row(
                        "SELECT c.total, c.remaining,
                                (SELECT count(*) FROM claims WHERE campaign_id = c.id),
                                (SELECT count(DISTINCT user_id) FROM claims WHERE campaign_id = c.id),
                                (SELECT count(DISTINCT token) FROM claims WHERE campaign_id = c.id)
                         FROM campaigns c WHERE c.id = ?1",
                        [id.as_str()],
                        |row| {
                            Ok(Audit {
                                total: row.get(0)?,
                                remaining: row.get(1)?,
                                claims: row.get(2)?,
                                distinct_users: row.get(3)?,
                                distinct_tokens: row.get(4)?,
                            })
                        },
                    )
                    .optional();
                conn.execute_batch("COMMIT")?;
                audit
            };
            run().map_err(|err| classify("auditing", err))
        })
        .await
    }

    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.write(move |conn| {
            let run = || -> rusqlite::Result<bool> {
                conn.execute("DELETE FROM claims WHERE campaign_id = ?1", [id.as_str()])?;
                Ok(conn.execute("DELETE FROM campaigns WHERE id = ?1", [id.as_str()])? > 0)
            };
            run().map_err(|err| classify("deleting a campaign", err))
        })
        .await
    }

    /// This store's writer thread's counts (shared by every clone; other processes writing
    /// to the same file are not counted).
    fn commit_stats(&self) -> Option<CommitStats> {
        Some(self.inner.commits.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use chrono::TimeDelta;

    use super::writer::Reply;
    use super::*;
    use crate::clock::{Clock, SystemClock};
    use crate::domain::{CampaignState, NewCampaign};

    /// The store's own claim job, for `user` with `cart` cents.
    fn user_claim(
        id: &CampaignId,
        user: &str,
        cart: i64,
        now: DateTime<Utc>,
    ) -> (Box<dyn writer::Job>, Reply<ClaimDecision>) {
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
                Ok(ClaimOutcome::Claimed(_)) => "claimed",
                Err(Refusal::SoldOut) => "sold out",
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
            (at_restock.total, at_restock.claimed, at_restock.remaining),
            (4, 2, 2)
        );
        ended.await.unwrap().unwrap();
        assert!(matches!(
            late.await.unwrap().unwrap(),
            Err(Refusal::NotLive(_))
        ));
        let stored = store.campaign(&id).await.unwrap().unwrap();
        assert_eq!((stored.total, stored.claimed, stored.remaining), (4, 4, 0));
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
        assert!(matches!(retried, Ok(ClaimOutcome::Claimed(_))));
    }

    /// Issue 6: group commit decides each claim on its own. Eight jobs are queued while the
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
                "INSERT INTO claims VALUES ('batch', 'mallory', 'forged', 0, 5000, 0)",
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

        let granted = |reply: Result<ClaimDecision, StoreError>| match reply.unwrap() {
            Ok(ClaimOutcome::Claimed(claim)) => claim,
            other => panic!("expected a new claim, got {other:?}"),
        };
        let ana = granted(ana.await.unwrap());
        assert_eq!(
            too_small.await.unwrap().unwrap(),
            Err(Refusal::NotEligible {
                min_cart: Cents::new(20_00).unwrap()
            })
        );
        assert!(failing.await.unwrap().is_err());
        // The failing job's unit was given back, so cy gets the second one.
        let cy = granted(cy.await.unwrap());
        assert_eq!(
            ana_again.await.unwrap().unwrap(),
            Ok(ClaimOutcome::Replayed(ana.clone()))
        );
        assert_eq!(dee.await.unwrap().unwrap(), Err(Refusal::SoldOut));
        assert_eq!(nobody.await.unwrap().unwrap(), Err(Refusal::NotFound));

        let stored = store.campaign(&id).await.unwrap().unwrap();
        assert_eq!((stored.claimed, stored.remaining), (2, 0));
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
            inventory,
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: Cents::new(10_00).unwrap(),
            min_cart: Cents::new(20_00).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            starts_at: now - TimeDelta::minutes(1),
            ends_at: now + TimeDelta::hours(1),
        }
        .validate(now)
        .unwrap();
        store.create_campaign(&campaign).await.unwrap();
        (store, id, now)
    }

    /// Issue 6: every concurrent claim is one counted job, granted or refused, and they never
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
            granted += u64::from(decision.unwrap().is_ok());
        }
        assert_eq!(granted, 100);
        let run = store.commit_stats().unwrap().since(before);
        assert_eq!(run.jobs, CLAIMS, "{run:?}");
        assert!((1..=CLAIMS).contains(&run.commits), "{run:?}");
    }

    /// Issue 6: the counts are per transaction, not per job. Claims queued while the writer is
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
            reply.await.unwrap().unwrap().ok();
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
}
