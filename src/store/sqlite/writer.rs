//! Group commit: one thread owns the `SQLite` write connection and commits queued work in batches.
//!
//! Why one writer: `SQLite` admits one writer at a time, and several writer connections only
//! take turns through the busy handler, which sleeps and polls instead of queueing (claims then
//! wait for seconds under a spike). A single thread that drains its queue into one transaction
//! pays one fsync per batch instead of one per claim, with `synchronous=FULL` intact.
//!
//! How a batch forms: the thread blocks for the first job, then takes whatever else is already
//! queued (up to [`MAX_BATCH`]). No timer: a lone claim is committed at once, and batches grow
//! only when callers are already waiting, which is exactly when amortising the fsync pays.
//!
//! Each job is rolled back alone when it fails, so the others in the batch are unaffected: a
//! claim's only write is one INSERT, which SQLite undoes by itself when it fails; any other job
//! runs inside its own savepoint. A refusal (sold out, not live) writes nothing anyway.
//!
//! Write-back of the hot row: every claim of a batch reads and decrements the same campaign
//! row. Claims therefore work on the batch's copy of that row (`HotRows` in `claim.rs`): it is read
//! once per batch, each claim is still decided on its own against the copy as the claims
//! before it left it, and the copy is written back once, before COMMIT, as one guarded
//! `remaining = remaining - n` update. That is safe because the batch holds SQLite's write lock
//! (`BEGIN IMMEDIATE`) from its first read to COMMIT, so no other process can change the row
//! in between; and any other kind of job (end, restock, reconcile...) first gets the copy
//! written back, outside every savepoint, so it sees and changes the real row, and a job rolled
//! back to its savepoint can never undo another job's decrement.
//! Every caller is answered only after COMMIT returned, i.e. after its write is durable. If the
//! COMMIT itself fails, nothing of the batch was written and every caller gets the error.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::{CommitStats, StoreError};

/// The largest batch one transaction takes.
///
/// Bigger batches pay fewer fsyncs and write each hot page (the campaign row, the index leaves)
/// once per batch instead of once per thousand claims. Measured with `cargo bench --bench
/// claims` at 10,000 concurrent claimers, 100,000 claims: 1,024 took 99 commits costing 1.26 s
/// of the writer's time, 8,192 took 21 commits costing 0.32 s, for 1.3x to 1.5x the claims per
/// second. Batching cannot hurt a caller's latency much: a job in a full batch was queued behind
/// that many others anyway. The bound keeps one transaction (and the write lock other processes
/// wait on) to tens of milliseconds.
const MAX_BATCH: usize = 8192;

/// The write transaction a batch runs in.
pub(super) struct Tx<'c> {
    /// The write connection, inside `BEGIN IMMEDIATE`.
    pub(super) conn: &'c Connection,
    /// The batch's copies of hot campaign rows (see the module comment).
    pub(super) hot: super::claim::HotRows,
}

/// A unit of work for the writer.
pub(super) trait Job: Send {
    /// Runs inside the batch's transaction (and, unless it is a claim, its own savepoint).
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Box<dyn Answer>;
    /// Whether the job works on the batch's hot-row copies (claims). Any other job gets them
    /// written back before it runs.
    fn uses_hot_rows(&self) -> bool;
    /// Answers the caller with `err` without running (the transaction could not start).
    fn abort(self: Box<Self>, err: &StoreError);
}

/// The answer of one job, held until its batch commits or fails.
pub(super) trait Answer: Send {
    /// Whether the job failed (a job with a savepoint is then rolled back to it).
    fn failed(&self) -> bool;
    /// Sends the job's result, or `commit_error` when the batch did not commit.
    fn send(self: Box<Self>, commit_error: Option<&StoreError>);
}

struct Work<F, T> {
    body: F,
    hot: bool,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<F, T> Job for Work<F, T>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send,
    T: Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Box<dyn Answer> {
        let result = (self.body)(tx);
        Box::new(Pending {
            reply: self.reply,
            result,
        })
    }

    fn uses_hot_rows(&self) -> bool {
        self.hot
    }

    fn abort(self: Box<Self>, err: &StoreError) {
        let _ = self.reply.send(Err(err.clone()));
    }
}

struct Pending<T> {
    reply: oneshot::Sender<Result<T, StoreError>>,
    result: Result<T, StoreError>,
}

impl<T: Send> Answer for Pending<T> {
    fn failed(&self) -> bool {
        self.result.is_err()
    }

    fn send(self: Box<Self>, commit_error: Option<&StoreError>) {
        let result = match commit_error {
            Some(err) => Err(err.clone()),
            None => self.result,
        };
        // The caller may have gone away (a dropped future); its write is durable regardless.
        let _ = self.reply.send(result);
    }
}

/// What the writer has committed since it started: two relaxed counters bumped once per batch,
/// so counting costs nothing next to the fsync it describes.
#[derive(Debug, Default)]
pub(super) struct Counters {
    commits: AtomicU64,
    jobs: AtomicU64,
}

impl Counters {
    /// A batch of `jobs` jobs committed.
    fn committed(&self, jobs: usize) {
        // Relaxed is enough: the writer bumps these before it answers the batch's callers, and
        // the answer's channel orders the bump before anything a caller does next (such as
        // reading the counters once its requests are all answered).
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.jobs
            .fetch_add(u64::try_from(jobs).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The counts so far. The two are read one after the other, so a batch committing at that
    /// moment may show in one and not yet in the other; read them when the writes you measure
    /// have all been answered.
    pub(super) fn snapshot(&self) -> CommitStats {
        CommitStats {
            commits: self.commits.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }
}

/// The receiving end of a job's answer.
pub(super) type Reply<T> = oneshot::Receiver<Result<T, StoreError>>;

/// Wraps `work`, which sees the real rows, as a job; returns the receiver its result arrives on.
pub(super) fn job<T: Send + 'static>(
    work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
) -> (Box<dyn Job>, Reply<T>) {
    let (reply, receiver) = oneshot::channel();
    let work = move |tx: &mut Tx<'_>| work(tx.conn);
    (
        Box::new(Work {
            body: work,
            hot: false,
            reply,
        }),
        receiver,
    )
}

/// Wraps `work`, which works on the batch's hot-row copies, as a job.
pub(super) fn hot_job<T: Send + 'static>(
    work: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError> + Send + 'static,
) -> (Box<dyn Job>, Reply<T>) {
    let (reply, receiver) = oneshot::channel();
    (
        Box::new(Work {
            body: work,
            hot: true,
            reply,
        }),
        receiver,
    )
}

/// The writer's queue: callers send jobs, the thread drains them in batches.
pub(super) type Queue = mpsc::Sender<Box<dyn Job>>;

/// Starts the writer thread on `conn`; it ends, closing `conn`, when every sender is dropped.
/// Every batch it commits is counted in `counters`.
/// Every batch is checked against `pin` before it commits: a batch written to a file that is
/// no longer the store (deleted, or replaced by another) is rolled back and refused.
pub(super) fn spawn(
    conn: Connection,
    counters: Arc<Counters>,
    pin: super::Pin,
) -> std::io::Result<(Queue, thread::JoinHandle<()>)> {
    let (sender, receiver) = mpsc::channel::<Box<dyn Job>>();
    let handle = thread::Builder::new()
        .name("flashsale-sqlite-writer".into())
        .spawn(move || {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Ok(first) = receiver.recv() {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                commit_batch(&conn, &mut batch, &counters, &pin);
            }
            pin.before_close(&conn);
        })?;
    Ok((sender, handle))
}

fn commit_batch(
    conn: &Connection,
    batch: &mut Vec<Box<dyn Job>>,
    counters: &Counters,
    pin: &super::Pin,
) {
    // BEGIN and COMMIT run from the statement cache, not through rusqlite's `Transaction`
    // guard, which parses them afresh (`execute_batch`) for every batch; the same change for
    // the per-job savepoints saved a tenth of the writer's time (see `run_cached`). The
    // guard's one service, rolling back on every exit, is the explicit ROLLBACK below, which
    // also skips the case where SQLite already rolled back on its own.
    if let Err(err) = run_cached(conn, "BEGIN IMMEDIATE") {
        let err = super::classify("starting a write transaction", err);
        for job in batch.drain(..) {
            job.abort(&err);
        }
        return;
    }
    let mut answers: Vec<Box<dyn Answer>> = Vec::with_capacity(batch.len());
    let mut broken = None;
    let mut tx = Tx {
        conn,
        hot: super::claim::HotRows::default(),
    };
    for job in batch.drain(..) {
        let hot = job.uses_hot_rows();
        if broken.is_none() && !hot {
            // Outside any savepoint: a rollback of this job must not undo earlier claims.
            if let Err(err) = tx.hot.write_back(conn) {
                broken = Some(super::classify("writing back a campaign", err));
            }
        }
        if let Some(err) = &broken {
            job.abort(err);
            continue;
        }
        // A claim needs no savepoint: its one write is a single INSERT, which SQLite undoes by
        // itself when it fails, and it touches the hot-row copy only after that INSERT
        // succeeded. Savepoints cost about a seventh of a claim's time (bench (b') against (b)).
        if !hot && let Err(err) = run_cached(conn, "SAVEPOINT job") {
            let err = super::classify("opening a savepoint", err);
            job.abort(&err);
            broken = Some(err);
            continue;
        }
        // A panicking job (a bug) must not take the writer thread, and with it every later
        // write of the process, down: its caller sees its reply dropped, and the batch, whose
        // state is now unknown, is rolled back whole.
        let Ok(answer) = panic::catch_unwind(AssertUnwindSafe(|| job.run(&mut tx))) else {
            broken = Some(StoreError::backend(
                "writing",
                std::io::Error::other("a write job panicked; its batch was rolled back"),
            ));
            continue;
        };
        let closed = match (hot, answer.failed()) {
            (true, _) => Ok(()),
            (false, true) => {
                run_cached(conn, "ROLLBACK TO job").and_then(|()| run_cached(conn, "RELEASE job"))
            }
            (false, false) => run_cached(conn, "RELEASE job"),
        };
        if let Err(err) = closed {
            broken = Some(super::classify("closing a savepoint", err));
        } else if conn.is_autocommit() {
            // Some errors (I/O, disk full) make SQLite roll the whole transaction back on its
            // own; what follows would then run outside any transaction. Stop here.
            broken = Some(StoreError::unavailable(
                "writing",
                std::io::Error::other("SQLite rolled the transaction back after an error"),
            ));
        }
        answers.push(answer);
    }
    // A broken savepoint leaves the transaction in an unknown state: nothing of it may commit.
    let outcome = match broken {
        Some(err) => Err(err),
        None => tx
            .hot
            .write_back(conn)
            .map_err(|err| super::classify("writing back a campaign", err))
            // Checked under the write lock, right before the commit: after it, nothing
            // granted here can land in a file that is not the store.
            .and_then(|()| pin.check("writing to"))
            .and_then(|()| {
                run_cached(conn, "COMMIT").map_err(|err| super::classify("committing", err))
            }),
    };
    if outcome.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    if outcome.is_ok() {
        // Counted before any caller hears back, so a caller who has its answer sees its batch.
        counters.committed(answers.len());
    }
    let commit_error = outcome.err();
    for answer in answers {
        answer.send(commit_error.as_ref());
    }
}

/// Runs one of the per-job savepoint statements from the connection's statement cache: parsing
/// them afresh for every job (as `execute_batch` does) cost about a tenth of the writer's time
/// at 10,000 concurrent claimers.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}
