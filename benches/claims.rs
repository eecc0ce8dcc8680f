//! Claims per second: raw `SQLite` loops against flashsale's group-committing store.
//!
//! Every scenario runs in the same process, on the same machine, minutes apart at most, so the
//! ratios between them mean something even on a noisy shared box; the absolute figures do not
//! travel. Each scenario gets a fresh database file (WAL, `synchronous=FULL`) with the schema
//! flashsale itself creates, and one live campaign with exactly as many units as it will claim,
//! so every claim is granted and takes the full path: replay lookup, campaign read, guarded
//! decrement, insert (the raw loops per claim; the store reads and decrements the campaign row
//! once per batch).
//!
//! - (a) raw rusqlite, one claim per `BEGIN IMMEDIATE` transaction: what a naive store gets;
//! - (b) raw rusqlite, 1,000 claims per transaction: the engine's ceiling for this claim shape;
//! - (b') the same with a savepoint per claim, the shape group commit must have;
//! - (c) `SqliteStore::claim` from N concurrent tokio tasks (1, 64, 10,000 by default), each
//!   claim by a distinct user, latency measured by the caller from call to answer.
//!
//! Run: `cargo bench --bench claims`. Environment:
//! - `FLASHSALE_BENCH_CLAIMS`: claims per batched scenario and round (default 30,000);
//! - `FLASHSALE_BENCH_SERIAL_CLAIMS`: claims per round for the one-fsync-per-claim scenarios,
//!   (a) and (c) with one claimer (default 1,000);
//! - `FLASHSALE_BENCH_ROUNDS`: how many times the whole sequence runs (default 3); figures are
//!   summed over rounds;
//! - `FLASHSALE_BENCH_CLAIMERS`: comma-separated claimer counts for (c) (default `1,64,10000`);
//! - `FLASHSALE_BENCH_DIR`: where the database files go (default: cargo's target tmp dir, a real
//!   disk; a tmpfs would make fsync free and the comparison meaningless).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use flashsale::clock::{Clock, SystemClock};
use flashsale::domain::{
    CampaignId, Cents, ClaimAttempt, Currency, Decision, Ends, NewCampaign, Percent, Units, UserId,
};
use flashsale::store::{SqliteStore, Store};
use hdrhistogram::Histogram;
use rusqlite::{Connection, OptionalExtension, params};

/// The claims' cart: eligible (above the minimum), discount below the cap.
const CART_CENTS: i64 = 80_00;
/// Claims per transaction in the raw batched loops.
const RAW_BATCH: usize = 1_000;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Result<T> = std::result::Result<T, Error>;

fn main() -> Result<()> {
    let claims = env_usize("FLASHSALE_BENCH_CLAIMS", 30_000)?;
    let serial_claims = env_usize("FLASHSALE_BENCH_SERIAL_CLAIMS", 1_000)?;
    let rounds = env_usize("FLASHSALE_BENCH_ROUNDS", 3)?.max(1);
    let claimers = match std::env::var("FLASHSALE_BENCH_CLAIMERS") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse::<usize>())
            .collect::<std::result::Result<Vec<_>, _>>()?,
        Err(_) => vec![1, 64, 10_000],
    };
    let base = std::env::var_os("FLASHSALE_BENCH_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")), PathBuf::from);
    std::fs::create_dir_all(&base)?;
    let dir = tempfile::tempdir_in(&base)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bench = Bench {
        dir: dir.path().to_owned(),
        runtime,
        now: SystemClock.now(),
    };
    eprintln!(
        "flashsale claims bench: {rounds} rounds of {claims} claims per batched scenario and {serial_claims} per serial one, files in {}",
        base.display()
    );

    // The disk's fsync latency drifts by several times within a minute on a shared machine, so
    // every scenario runs once per round, rounds one after another: a slow spell then hits all
    // of them alike instead of whichever happened to run during it.
    let mut rows: Vec<Row> = Vec::new();
    for round in 0..rounds {
        let mut results = vec![
            bench.raw("(a) raw, 1 claim/txn", round, serial_claims, 1, false)?,
            bench.raw("(b) raw, 1,000 claims/txn", round, claims, RAW_BATCH, false)?,
            bench.raw(
                "(b') raw, 1,000/txn, savepoint each",
                round,
                claims,
                RAW_BATCH,
                true,
            )?,
        ];
        for &n in &claimers {
            let total = if n == 1 { serial_claims } else { claims.max(n) };
            results.push(bench.store(n, round, total)?);
        }
        if rows.is_empty() {
            rows = results;
        } else {
            for (row, result) in rows.iter_mut().zip(results) {
                row.absorb(&result)?;
            }
        }
        eprintln!("round {} of {rounds} done", round + 1);
    }
    print_report(&rows, &claimers);
    Ok(())
}

fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(value) => Ok(value
            .replace('_', "")
            .parse()
            .map_err(|err| format!("{name}={value}: {err}"))?),
        Err(_) => Ok(default),
    }
}

/// One scenario's figures.
struct Row {
    label: String,
    claimers: Option<usize>,
    claims: usize,
    elapsed: Duration,
    latency: Histogram<u64>,
}

impl Row {
    /// Adds another round of the same scenario.
    fn absorb(&mut self, round: &Row) -> Result<()> {
        self.claims += round.claims;
        self.elapsed += round.elapsed;
        self.latency.add(&round.latency)?;
        Ok(())
    }

    #[expect(
        clippy::cast_precision_loss,
        reason = "claim counts are far below 2^52"
    )]
    fn per_second(&self) -> f64 {
        self.claims as f64 / self.elapsed.as_secs_f64()
    }
}

struct Bench {
    dir: PathBuf,
    runtime: tokio::runtime::Runtime,
    now: DateTime<Utc>,
}

impl Bench {
    /// A fresh database file holding flashsale's schema and one live campaign of `units`.
    fn database(
        &self,
        name: &str,
        round: usize,
        units: usize,
    ) -> Result<(PathBuf, SqliteStore, CampaignId)> {
        let path = self.dir.join(format!("{name}-{round}.db"));
        let id = CampaignId::parse(name)?;
        let campaign = NewCampaign {
            id: id.clone(),
            name: format!("bench {name}"),
            inventory: Units::new(i64::try_from(units)?)?,
            percent: Percent::from_bps(1_500)?,
            max_discount: Cents::new(50_00)?,
            min_cart: Cents::new(20_00)?,
            currency: Currency::parse("EUR")?,
            starts_at: Some(self.now - TimeDelta::hours(1)),
            ends: Ends::At(self.now + TimeDelta::hours(1)),
            hold: None,
        }
        .validate(self.now)?;
        let stamp = flashsale::domain::Stamp {
            actor: flashsale::domain::Actor::parse("bench")?,
            at: self.now,
        };
        let store = self.runtime.block_on(async {
            let store = SqliteStore::open(&path).await?;
            store.create_campaign(&campaign, &stamp).await?;
            Ok::<_, flashsale::store::StoreError>(store)
        })?;
        Ok((path, store, id))
    }

    /// Raw rusqlite on flashsale's schema: `per_txn` claims per transaction. A claim's latency
    /// runs from its first statement to its transaction's COMMIT, as a caller would see it.
    fn raw(
        &self,
        label: &str,
        round: usize,
        claims: usize,
        per_txn: usize,
        savepoints: bool,
    ) -> Result<Row> {
        let name = format!("raw-{per_txn}-{}", if savepoints { "sp" } else { "plain" });
        let (path, store, id) = self.database(&name, round, claims)?;
        drop(store);
        settle();
        let conn = open_raw(&path)?;
        let now = self.now.timestamp_millis();
        let mut latency = histogram();
        let mut started = Vec::with_capacity(per_txn);
        let begun = Instant::now();
        let mut user = 0;
        while user < claims {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            started.clear();
            for _ in 0..per_txn.min(claims - user) {
                started.push(Instant::now());
                if savepoints {
                    conn.prepare_cached("SAVEPOINT claim")?.execute([])?;
                }
                let granted = raw_claim(&conn, id.as_str(), &format!("user-{user}"), now)?;
                assert!(granted, "raw claim {user} was refused");
                if savepoints {
                    conn.prepare_cached("RELEASE claim")?.execute([])?;
                }
                user += 1;
            }
            conn.execute_batch("COMMIT")?;
            let committed = Instant::now();
            for start in &started {
                record(&mut latency, committed - *start);
            }
        }
        let elapsed = begun.elapsed();
        check_sold(&conn, id.as_str(), claims)?;
        Ok(Row {
            label: label.to_owned(),
            claimers: None,
            claims,
            elapsed,
            latency,
        })
    }

    /// flashsale's store: `claimers` tasks claim concurrently, each claim by a distinct user,
    /// until `claims` have been made.
    fn store(&self, claimers: usize, round: usize, claims: usize) -> Result<Row> {
        let (path, store, id) = self.database(&format!("store-{claimers}"), round, claims)?;
        settle();
        let now = self.now;
        let next = Arc::new(AtomicUsize::new(0));
        let (elapsed, latencies) = self.runtime.block_on(async {
            let begun = Instant::now();
            let tasks: Vec<_> = (0..claimers)
                .map(|_| {
                    let (store, id, next) = (store.clone(), id.clone(), Arc::clone(&next));
                    tokio::spawn(claimer(store, id, next, claims, now))
                })
                .collect();
            let mut latencies = Vec::with_capacity(claims);
            for task in tasks {
                latencies.extend(task.await??);
            }
            Ok::<_, Error>((begun.elapsed(), latencies))
        })?;
        let mut latency = histogram();
        for sample in latencies {
            record(&mut latency, sample);
        }
        drop(store);
        check_sold(&open_raw(&path)?, id.as_str(), claims)?;
        Ok(Row {
            label: format!("(c) flashsale, {claimers} claimers"),
            claimers: Some(claimers),
            claims,
            elapsed,
            latency,
        })
    }
}

/// One concurrent claimer: takes the next user number until `claims` are taken.
async fn claimer(
    store: SqliteStore,
    campaign_id: CampaignId,
    next: Arc<AtomicUsize>,
    claims: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    loop {
        let user = next.fetch_add(1, Ordering::Relaxed);
        if user >= claims {
            return Ok(latencies);
        }
        let attempt = ClaimAttempt {
            campaign_id: campaign_id.clone(),
            user_id: UserId::parse(&format!("user-{user}"))?,
            cart: Cents::new(CART_CENTS)?,
            now,
        };
        let start = Instant::now();
        let decision = store.claim(&attempt).await?;
        latencies.push(start.elapsed());
        if !matches!(decision, Decision::Grant(_)) {
            return Err(format!("claim {user} was not granted: {decision:?}").into());
        }
    }
}

/// Flushes what earlier scenarios left in the kernel's dirty pages, so that a scenario's
/// fsyncs do not pay for the previous scenario's writeback (a bias against whichever runs
/// right after a big batched one).
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

fn open_raw(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    assert_eq!(mode, "wal");
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The store's own page cache setting: the raw loops are the engine's figures under the
    // same configuration, so the ratios measure group commit and nothing else.
    conn.pragma_update(None, "cache_size", flashsale::store::sqlite::CACHE_SIZE)?;
    Ok(conn)
}

/// The textbook claim transaction: replay lookup, campaign read and rules, guarded decrement
/// of the hot row, insert with a fresh random token, per claim. The store instead reads and
/// decrements the campaign row once per batch and probes the claim index once per new claim (see `claim_in_transaction` in
/// `src/store/sqlite/mod.rs`), which is why (c) can exceed (b).
fn raw_claim(conn: &Connection, campaign: &str, user: &str, now: i64) -> rusqlite::Result<bool> {
    let replay: Option<String> = conn
        .prepare_cached(
            "SELECT token, discount_cents, cart_cents, claimed_at FROM claims WHERE campaign_id = ?1 AND user_id = ?2",
        )?
        .query_row([campaign, user], |row| row.get(0))
        .optional()?;
    if replay.is_some() {
        return Ok(false);
    }
    let rule = conn
        .prepare_cached(
            "SELECT id, name, starts_at, ends_at, ended_at, total, claimed, remaining, \
             percent_bps, max_discount_cents, min_cart_cents, currency, created_at \
             FROM campaigns WHERE id = ?1",
        )?
        .query_row([campaign], |row| {
            Ok((
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<i64>>(4)?,
                row.get::<_, i64>(8)?,
                row.get::<_, i64>(9)?,
                row.get::<_, i64>(10)?,
            ))
        })
        .optional()?;
    let Some((starts, ends, ended, bps, max_discount, min_cart)) = rule else {
        return Ok(false);
    };
    if ended.is_some() || now < starts || now > ends || CART_CENTS < min_cart {
        return Ok(false);
    }
    let discount = (CART_CENTS * bps / 10_000).min(max_discount);
    let reserved = conn
        .prepare_cached(
            "UPDATE campaigns SET remaining = remaining - 1, claimed = claimed + 1 WHERE id = ?1 AND remaining > 0",
        )?
        .execute([campaign])?;
    if reserved == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO claims (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        campaign,
        user,
        flashsale::random::token(flashsale::clock::Clock::now(&flashsale::clock::SystemClock)).as_str(),
        discount,
        CART_CENTS,
        now
    ])?;
    Ok(true)
}

/// Every scenario must have granted exactly its claims: a fast wrong answer is no answer.
fn check_sold(conn: &Connection, campaign: &str, claims: usize) -> Result<()> {
    let (remaining, stored): (i64, i64) = conn.query_row(
        "SELECT remaining, (SELECT count(*) FROM claims WHERE campaign_id = ?1) FROM campaigns WHERE id = ?1",
        [campaign],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if remaining != 0 || usize::try_from(stored)? != claims {
        return Err(format!("{campaign}: {stored} claims stored, {remaining} units left").into());
    }
    Ok(())
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 10 minutes, 3 significant figures.
    #[expect(clippy::unwrap_used, reason = "constant, valid bounds")]
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap()
}

fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(micros.max(1));
}

#[expect(
    clippy::cast_precision_loss,
    reason = "microsecond latencies are far below 2^52"
)]
fn millis(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1_000.0)
}

fn print_report(rows: &[Row], claimers: &[usize]) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "scenario", "claims", "seconds", "claims/s", "p50 ms", "p99 ms", "max ms",
    ]);
    for row in rows {
        table.add_row(vec![
            Cell::new(&row.label),
            Cell::new(row.claims).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", row.elapsed.as_secs_f64()))
                .set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.0}", row.per_second())).set_alignment(CellAlignment::Right),
            Cell::new(millis(row.latency.value_at_quantile(0.50)))
                .set_alignment(CellAlignment::Right),
            Cell::new(millis(row.latency.value_at_quantile(0.99)))
                .set_alignment(CellAlignment::Right),
            Cell::new(millis(row.latency.max())).set_alignment(CellAlignment::Right),
        ]);
    }
    println!("{table}");

    let raw_single = rows[0].per_second();
    let raw_batched = rows[1].per_second();
    println!("\nratios (same run):");
    for row in rows.iter().filter(|row| row.claimers.is_some()) {
        println!(
            "  {:<32} (c)/(a) = {:>6.2}x   (c)/(b) = {:>5.1}%",
            row.label,
            row.per_second() / raw_single,
            100.0 * row.per_second() / raw_batched
        );
    }
    println!(
        "  (b')/(b) savepoint cost      = {:>5.1}%",
        100.0 * rows[2].per_second() / raw_batched
    );

    println!("\ntargets:");
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let find = |n: usize| rows.iter().find(|row| row.claimers == Some(n));
    if let Some(row) = find(10_000) {
        let ratio_a = row.per_second() / raw_single;
        let ratio_b = row.per_second() / raw_batched;
        #[expect(
            clippy::cast_precision_loss,
            reason = "microsecond latencies are far below 2^52"
        )]
        let p99 = row.latency.value_at_quantile(0.99) as f64 / 1_000.0;
        println!(
            "  {}  10,000 claimers >= 5x (a):          {ratio_a:.2}x",
            verdict(ratio_a >= 5.0)
        );
        println!(
            "  {}  10,000 claimers >= 50% of (b):      {:.1}%",
            verdict(ratio_b >= 0.5),
            100.0 * ratio_b
        );
        println!(
            "  {}  10,000 claimers p99 < 50 ms:        {p99:.2} ms",
            verdict(p99 < 50.0)
        );
    }
    if let Some(row) = find(1) {
        let ratio = row.per_second() / raw_single;
        println!(
            "  {}  1 claimer within 15% of (a):        {:.1}% of (a)",
            verdict(ratio >= 0.85),
            100.0 * ratio
        );
    }
    if !claimers.contains(&10_000) || !claimers.contains(&1) {
        println!("  (targets for claimer counts not run are skipped)");
    }
}
