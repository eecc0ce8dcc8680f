//! The embedded store: one `SQLite` file in WAL mode, the zero-setup default.
//!
//! Writes go through one writer thread that group-commits (see `writer.rs`); each write runs in
//! `BEGIN IMMEDIATE`, so several flashsale processes on one file serialise on `SQLite`'s write
//! lock (waiting up to [`BUSY_TIMEOUT`]) and each claim is decided inside the transaction that
//! records it. Reads use a separate connection and see the last committed state.

mod claim;
mod doctor;
mod lifecycle;
mod migrations;
mod report;
mod rows;
#[cfg(test)]
mod tests;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use self::claim::claim_job;
pub(super) use self::doctor::diagnose;
use self::rows::{
    CAMPAIGN_COLUMNS, campaign_from_row, insert_event, select_campaign, select_claim,
    select_claim_by_token,
};
use super::{Audit, CommitStats, OpenMode, ReconcileMode, Reconciliation, Store, StoreError};
use chrono::{DateTime, Utc};

use crate::domain::{
    Applied, BucketWidth, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimAttempt,
    ClaimToken, Decision, Event, EventKind, EventQuery, ExportPage, RedeemAttempt, SaleReport,
    Stamp, UserId, Verdict, VoidAttempt,
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
    /// One permit: the turn at the reader, waited for on the async side. Without it, every
    /// read handed to the blocking pool at once takes a thread of its own just to wait on the
    /// reader's lock: the thousand shoppers granted in a rehearsal's first milliseconds,
    /// checking their claims together, made the pool start about 500 threads, and the
    /// rehearsal's peak memory went from 18 MiB to 60 MiB.
    reads: Arc<tokio::sync::Semaphore>,
    /// The readiness probe's own connection, opened at the first probe: behind the reader's
    /// lock, a probe would wait for every queued read and report load as an outage.
    probe: Mutex<Option<Connection>>,
    path: PathBuf,
    /// The file this store opened, checked by the probe and before every commit.
    pin: Pin,
    commits: Arc<writer::Counters>,
    created: bool,
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
        self.pin
            .before_close(&self.reader.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some(probe) = self
            .probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            self.pin.before_close(probe);
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed, with its parent folders) the store at `path` and migrates its
    /// schema. A file that is not a flashsale store is refused untouched
    /// ([`StoreError::NotAStore`]).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be created or opened;
    /// [`StoreError::NotAStore`] when `path` holds something else.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_as(path, OpenMode::CreateWithFolders).await
    }

    /// Opens the store at `path`, creating it only under [`OpenMode::Create`] (in a folder that
    /// exists) or [`OpenMode::CreateWithFolders`]; under [`OpenMode::Existing`] a missing (or
    /// empty) file is [`StoreError::Missing`] and nothing is written.
    ///
    /// # Errors
    /// As [`SqliteStore::open`], [`StoreError::Missing`] and [`StoreError::NoFolder`].
    pub async fn open_as(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, mode))
            .await
            .map_err(|err| StoreError::backend("opening the store", err))?
    }

    /// Whether this open created the store (a new file, or an empty one given its schema).
    #[must_use]
    pub fn created(&self) -> bool {
        self.inner.created
    }

    fn open_blocking(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        let context = || format!("opening `{}`", path.display());
        // Inspected before anything opens it for writing: opening read-write would already
        // switch another application's file to WAL and add our tables to it.
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        let created = match inspect(path)? {
            Found::Store => false,
            Found::Nothing
                if mode != OpenMode::CreateWithFolders
                    && folder.is_some_and(|folder| !folder.is_dir()) =>
            {
                return Err(StoreError::NoFolder {
                    path: path.to_owned(),
                    folder: folder.unwrap_or(path).to_owned(),
                });
            }
            Found::Nothing | Found::Empty if mode == OpenMode::Existing => {
                return Err(StoreError::Missing {
                    path: path.to_owned(),
                });
            }
            Found::Nothing | Found::Empty => true,
        };
        if let Some(folder) = folder.filter(|_| mode == OpenMode::CreateWithFolders) {
            std::fs::create_dir_all(folder)
                .map_err(|err| StoreError::unavailable(context(), err))?;
        }
        let writer_conn = Connection::open(path).map_err(|err| classify(&context(), err))?;
        configure(&writer_conn).map_err(|err| classify(&context(), err))?;
        migrations::migrate(&writer_conn)?;
        migrations::check_schema(&writer_conn)?;
        let reader = Connection::open(path).map_err(|err| classify(&context(), err))?;
        configure(&reader).map_err(|err| classify(&context(), err))?;
        let commits = Arc::new(writer::Counters::default());
        let pin = Pin::of(path, &writer_conn)?;
        let (writer, writer_thread) = writer::spawn(writer_conn, Arc::clone(&commits), pin.clone())
            .map_err(|err| StoreError::unavailable(context(), err))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Some(writer),
                writer_thread: Some(writer_thread),
                reader: Mutex::new(reader),
                reads: Arc::new(tokio::sync::Semaphore::new(1)),
                probe: Mutex::new(None),
                path: path.to_owned(),
                pin,
                commits,
                created,
            }),
        })
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
        let turn = Arc::clone(&inner.reads)
            .acquire_owned()
            .await
            .map_err(|err| StoreError::backend("reading", err))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work(&inner.reader.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .map_err(|err| StoreError::backend("reading", err))?
    }
}

/// The identity of the file a store opened: a file deleted or replaced under a running process
/// leaves it writing to a file no one else sees, or granting against another store's counts,
/// so what it grants would be lost or handed out twice.
///
/// Two things are pinned. The file's device and inode catch `rm` and a copy renamed over the
/// path. The store's id (migration 5) catches another store copied over the file in place,
/// which keeps the inode. The id cannot be read through `SQLite` for this: the writer's
/// connection keeps the page in its cache, and nothing tells it the file changed (in WAL mode
/// it watches the WAL index, which an overwrite of the main file leaves alone). So the id's
/// bytes are read straight from the file. Its row is written once and never updated, so once a
/// checkpoint has copied it into the file it stays at the same place: the page is searched
/// once at open, and each commit reads the 16 bytes where the id was found (a positioned read
/// from the operating system's cache; a whole page scanned per commit cost a percent of a
/// sold-out rehearsal's time).
#[derive(Clone, Debug)]
pub(crate) struct Pin {
    path: PathBuf,
    device: u64,
    inode: u64,
    /// The file, its id and where the id's page lies in it; `None` when the page had not
    /// reached the file at open (another process holding the WAL back): then only device and
    /// inode are checked.
    id_page: Option<Arc<IdPage>>,
}

#[derive(Debug)]
struct IdPage {
    file: std::fs::File,
    /// Where the id's 16 bytes lie in the file: inside the page of the `store` table, at the
    /// place found at open.
    at: u64,
    id: [u8; 16],
}

impl IdPage {
    /// Finds `id` in the page of `size` bytes at `offset` of `file`, if it is there.
    fn find(file: std::fs::File, offset: u64, size: usize, id: [u8; 16]) -> Option<IdPage> {
        use std::os::unix::fs::FileExt as _;
        let mut page = vec![0_u8; size];
        file.read_exact_at(&mut page, offset).ok()?;
        let within = page.windows(id.len()).position(|window| window == id)?;
        Some(IdPage {
            file,
            at: offset + u64::try_from(within).ok()?,
            id,
        })
    }

    /// Whether the file still holds the id where it was found.
    fn holds_id(&self) -> std::io::Result<bool> {
        use std::os::unix::fs::FileExt as _;
        let mut found = [0_u8; 16];
        match self.file.read_exact_at(&mut found, self.at) {
            Ok(()) => Ok(found == self.id),
            // A file cut shorter than the page is not the store either.
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl Pin {
    /// The identity of the store `conn` has open at `path`, now.
    fn of(path: &Path, conn: &Connection) -> Result<Pin, StoreError> {
        use std::os::unix::fs::MetadataExt as _;
        let context = || format!("opening `{}`", path.display());
        let meta =
            std::fs::metadata(path).map_err(|err| StoreError::unavailable(context(), err))?;
        let (id, root, page_size): (Vec<u8>, u64, u64) = conn
            .query_row(
                "SELECT (SELECT id FROM store), \
                        (SELECT rootpage FROM sqlite_schema WHERE name = 'store'), \
                        (SELECT page_size FROM pragma_page_size)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .map_err(|err| classify(&context(), err))?;
        let id: [u8; 16] = id.try_into().map_err(|_| StoreError::Damaged {
            findings: "the store's id is not 16 bytes".into(),
        })?;
        let offset = root.saturating_sub(1) * page_size;
        let size = usize::try_from(page_size).unwrap_or(4096);
        let open =
            || std::fs::File::open(path).map_err(|err| StoreError::unavailable(context(), err));
        let mut page = IdPage::find(open()?, offset, size, id);
        if page.is_none() {
            // A store just made (or migrated) has the page in the WAL only. A passive
            // checkpoint copies it without waiting for anyone; a reader elsewhere holding an
            // older snapshot can keep it back, and then the id is not checked this run.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            page = IdPage::find(open()?, offset, size, id);
        }
        if page.is_none() {
            tracing::debug!(path = %path.display(), "the store's id has not reached the file yet; only its device and inode are pinned");
        }
        Ok(Pin {
            path: path.to_owned(),
            device: meta.dev(),
            inode: meta.ino(),
            id_page: page.map(Arc::new),
        })
    }

    /// Whether `meta` is the file opened: the same device and inode.
    fn is(&self, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        meta.dev() == self.device && meta.ino() == self.inode
    }

    /// Readies `conn` to close. The last connection to close checkpoints the WAL into the
    /// file at the inode it opened. After `rm` or a rename over the path that inode is the
    /// old store's, so the checkpoint is right (and it removes the WAL, which would otherwise
    /// lie beside the new file). After another store was copied over the file in place, it
    /// would write this store's pages into that one: the WAL is left as it is instead.
    fn before_close(&self, conn: &Connection) {
        let same_inode = std::fs::metadata(&self.path).is_ok_and(|meta| self.is(&meta));
        let overwritten = self
            .id_page
            .as_deref()
            .is_some_and(|page| matches!(page.holds_id(), Ok(false)));
        if same_inode && overwritten {
            let _ = conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            );
        }
    }

    /// Whether the file at the store's path is still the one opened, before `doing`
    /// (`writing to`, `reading`) it.
    pub(crate) fn check(&self, doing: &str) -> Result<(), StoreError> {
        let context = || format!("{doing} `{}`", self.path.display());
        let gone = |what: &str| {
            let err = std::io::Error::other(format!(
                "the store file was {what} after this process opened it; nothing is read from \
                 or written to a file that is not the store: restart flashsale on the store"
            ));
            tracing::error!(path = %self.path.display(), "the store file was {what} under this process");
            StoreError::unavailable(context(), err)
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) if self.is(&meta) => {}
            Ok(_) => return Err(gone("replaced by another file")),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(gone("deleted"));
            }
            Err(err) => return Err(StoreError::unavailable(context(), err)),
        }
        match self.id_page.as_deref().map(IdPage::holds_id) {
            None | Some(Ok(true)) => Ok(()),
            Some(Ok(false)) => Err(gone("overwritten in place by another store")),
            Some(Err(err)) => Err(StoreError::unavailable(context(), err)),
        }
    }
}

/// What [`inspect`] found at a store's path.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// No file.
    Nothing,
    /// An empty file, or an `SQLite` database with no tables and no schema version.
    Empty,
    /// A flashsale store (its schema is checked in full once it is opened).
    Store,
}

/// The `SQLite` file header, the first 16 bytes of every database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Looks at `path` without writing to it: a regular file with the `SQLite` header, opened
/// read-only, whose tables are flashsale's and whose schema version is set. Anything else is
/// [`StoreError::NotAStore`], so that a mistyped `--store` never migrates another
/// application's database or writes a journal beside a device.
fn inspect(path: &Path) -> Result<Found, StoreError> {
    let context = || format!("opening `{}`", path.display());
    let not_a_store = |reason: String| {
        Err(StoreError::NotAStore {
            path: path.to_owned(),
            reason,
        })
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(err) => return Err(StoreError::unavailable(context(), err)),
    };
    if meta.is_dir() {
        return not_a_store("it is a folder".into());
    }
    if !meta.is_file() {
        return not_a_store("it is not a regular file but a device, pipe or socket".into());
    }
    if meta.len() == 0 {
        return Ok(Found::Empty);
    }
    let mut header = [0_u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header));
    match read {
        Ok(()) if &header == SQLITE_HEADER => {}
        Ok(()) => return not_a_store("it is not an SQLite database".into()),
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            return not_a_store("it is not an SQLite database".into());
        }
        Err(err) => return Err(StoreError::unavailable(context(), err)),
    }
    let conn = open_untouched(path).map_err(|err| classify(&context(), err))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| classify(&context(), err))?;
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .map_err(|err| classify(&context(), err))?;
    let foreign: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|name| !migrations::is_ours(name))
        .collect();
    if !foreign.is_empty() {
        let shown: Vec<String> = foreign.iter().take(3).map(|t| format!("`{t}`")).collect();
        return not_a_store(format!(
            "it is another application's database, with tables {}{}",
            shown.join(", "),
            if foreign.len() > 3 { ", …" } else { "" }
        ));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| classify(&context(), err))?;
    match (tables.is_empty(), version) {
        (true, 0) => Ok(Found::Empty),
        (false, 0) => not_a_store("its tables carry no flashsale schema version".into()),
        _ => Ok(Found::Store),
    }
}

/// A read-only connection to the file at `path` that creates nothing beside it, for looking
/// at a file that may not be a store, or a damaged one: a plain read-only connection to a WAL
/// file makes its `-wal` and `-shm` and, being read-only, cannot remove them when it closes.
///
/// With both beside the file, a connection has it open (or one crashed): the WAL may hold
/// committed pages the file does not yet, so it is read through them, which are left as they
/// were. Without them, every committed page is in the file itself, and it is opened
/// `immutable`: no lock, no WAL index, no journal, nothing created. A writer starting
/// meanwhile writes to its WAL, not to the file, until a checkpoint.
fn open_untouched(path: &Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let beside = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if beside("-wal").exists() && beside("-shm").exists() {
        return Connection::open_with_flags(path, flags);
    }
    let invalid = || rusqlite::Error::InvalidPath(path.to_owned());
    // A URI, so that the parameter applies; `url` escapes what SQLite would read as one
    // (`?`, `#`, `%`) in the path.
    let absolute = std::path::absolute(path).map_err(|_| invalid())?;
    let mut uri = url::Url::from_file_path(absolute).map_err(|()| invalid())?;
    uri.set_query(Some("immutable=1"));
    Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)
}

/// Whether the file's header says WAL (its read and write versions are 2): the journal mode
/// persists there, and an `immutable` connection reports `delete` whatever it is.
fn wal_in_header(path: &Path) -> std::io::Result<bool> {
    let mut header = [0_u8; 20];
    std::io::Read::read_exact(&mut std::fs::File::open(path)?, &mut header)?;
    Ok(header[18] == 2 && header[19] == 2)
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
    // A batch of thousands of claims can dirty thousands of pages (claims are keyed by user,
    // and user ids can be random, so inserts may land all over the primary key; tokens start
    // with the time they were drawn, so their index grows at one end). Beyond the default 2 MiB
    // cache SQLite spills dirty pages into the WAL mid-transaction and reads them back; 32 MiB
    // holds a full batch. It is a ceiling, not an allocation.
    conn.pragma_update(None, "cache_size", CACHE_SIZE)?;
    Ok(())
}

/// Maps a rusqlite error to a [`StoreError`]: a page `SQLite` found malformed means the store
/// is damaged (never data, and not worth a retry); contention and I/O faults mean it is
/// unavailable; anything else is unexpected.
pub(crate) fn classify(context: &str, err: rusqlite::Error) -> StoreError {
    if err.sqlite_error_code() == Some(ErrorCode::DatabaseCorrupt) {
        return StoreError::Damaged {
            findings: format!("{err}, while {context}"),
        };
    }
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

/// How many problems a [`StoreError::Damaged`] quotes: enough to tell what broke, short
/// enough for one line.
const FINDINGS_SHOWN: usize = 3;

/// Recounts a campaign inside the writer's transaction and, when `mode` applies, checks the
/// whole file and the campaign before writing the repair.
fn reconcile_in(
    conn: &Connection,
    id: &CampaignId,
    mode: ReconcileMode,
    stamp: &Stamp,
) -> Result<Option<Reconciliation>, StoreError> {
    let classify = |err| classify("reconciling", err);
    if mode.applies() {
        integrity_check(conn)?;
    }
    let Some((total, claimed_column, remaining)) = conn
        .query_row(
            "SELECT total, claimed, remaining FROM campaigns WHERE id = ?1",
            [id.as_str()],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(classify)?
    else {
        return Ok(None);
    };
    let (claims, tokens): (i64, i64) = conn
        .query_row(
            &format!(
                "SELECT count(*), count(DISTINCT token) FROM claims \
                 WHERE campaign_id = ?1 AND {}",
                rows::holding()
            ),
            [id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(classify)?;
    // A crash strands nothing here: a claim, its unit and both counters move in one
    // transaction. Any drift is damage or an edit behind the store's back.
    let report = Reconciliation::new(id.clone(), total, claims, remaining, 0, mode.applies());
    if mode.applies() {
        if tokens != claims {
            return Err(StoreError::Damaged {
                findings: format!(
                    "campaign `{id}` holds {claims} claims but only {tokens} distinct tokens"
                ),
            });
        }
        // The `claimed` counter moves with `remaining`, so it is held to the same limit.
        let counter_drift = (claimed_column - claims).abs();
        if let Some(refusal) = report.refusal(mode) {
            return Err(refusal);
        }
        if mode == ReconcileMode::Apply && counter_drift > report.crash_limit {
            return Err(StoreError::DriftTooLarge {
                id: id.clone(),
                drift: claims - claimed_column,
                limit: report.crash_limit,
            });
        }
        conn.execute(
            "UPDATE campaigns SET remaining = ?2, claimed = ?3 WHERE id = ?1",
            params![id.as_str(), report.expected_remaining, claims],
        )
        .map_err(classify)?;
        // A repair that changed nothing is no action on the inventory: no event.
        if report.drift() != 0 || counter_drift != 0 {
            let kind = EventKind::InventoryReconciled {
                remaining_before: remaining,
                remaining_after: report.expected_remaining,
            };
            insert_event(conn, stamp, id, &kind).map_err(classify)?;
        }
    }
    Ok(Some(report))
}

/// `PRAGMA integrity_check` over the whole file: every page, every index against its table,
/// every CHECK and NOT NULL. O(file size), so it runs before a repair, not at every open.
fn integrity_check(conn: &Connection) -> Result<(), StoreError> {
    let run = || -> rusqlite::Result<Vec<String>> {
        conn.prepare("PRAGMA integrity_check")?
            .query_map([], |row| row.get::<_, String>(0))?
            .collect()
    };
    let findings = run().map_err(|err| classify("checking the store's integrity", err))?;
    if findings.len() == 1 && findings[0] == "ok" {
        return Ok(());
    }
    let shown: Vec<&str> = findings
        .iter()
        .take(FINDINGS_SHOWN)
        .map(|finding| finding.trim())
        .collect();
    // The pragma stops at 100 problems, so a count there is a lower bound.
    let more = match findings.len().saturating_sub(FINDINGS_SHOWN) {
        0 => String::new(),
        more if findings.len() >= 100 => format!("; and at least {more} more problems"),
        more => format!("; and {more} more problems"),
    };
    Err(StoreError::Damaged {
        findings: format!("{}{more}", shown.join("; ")),
    })
}

impl Store for SqliteStore {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        let (c, stamp) = (campaign.clone(), stamp.clone());
        self.write(move |conn| lifecycle::create_campaign(conn, &c, &stamp))
            .await
    }

    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        let id = id.clone();
        self.read(move |conn| {
            select_campaign(conn, &id).map_err(|err| classify("reading a campaign", err))
        })
        .await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            inner.pin.check("probing")?;
            let context = || format!("probing `{}`", inner.path.display());
            let mut probe = inner.probe.lock().unwrap_or_else(PoisonError::into_inner);
            if probe.is_none() {
                // Never created here: a store that vanished is not ready, not made anew.
                let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&inner.path, flags)
                    .map_err(|err| classify(&context(), err))?;
                conn.busy_timeout(BUSY_TIMEOUT)
                    .map_err(|err| classify(&context(), err))?;
                *probe = Some(conn);
            }
            let conn = probe.as_ref().ok_or_else(|| {
                StoreError::backend(context(), std::io::Error::other("no probe connection"))
            })?;
            conn.query_row("SELECT count(*) FROM campaigns WHERE 0", [], |_| Ok(()))
                .map_err(|err| classify(&context(), err))
        })
        .await
        .map_err(|err| StoreError::backend("probing the store", err))?
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

    async fn campaigns_ending_from(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<Campaign>, StoreError> {
        let since = since.timestamp_millis();
        self.read(move |conn| {
            let read = || -> rusqlite::Result<Vec<Campaign>> {
                conn.prepare_cached(&format!(
                    "SELECT {CAMPAIGN_COLUMNS} FROM campaigns INDEXED BY campaigns_by_end \
                     WHERE ends_at >= ?1 ORDER BY created_at, id"
                ))?
                .query_map([since], campaign_from_row)?
                .collect()
            };
            read().map_err(|err| classify("listing campaigns", err))
        })
        .await
    }

    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        let (id, change, stamp) = (id.clone(), change.clone(), stamp.clone());
        self.write(move |conn| lifecycle::change_campaign(conn, &id, &change, &stamp))
            .await
    }

    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        self.submit(claim_job(attempt.clone())).await
    }

    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        let (id, user) = (id.clone(), user.clone());
        self.read(move |conn| {
            select_claim(conn, &id, &user).map_err(|err| classify("reading a claim", err))
        })
        .await
    }

    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        let (id, token) = (id.clone(), token.clone());
        self.read(move |conn| {
            select_claim_by_token(conn, &id, &token).map_err(|err| classify("reading a claim", err))
        })
        .await
    }

    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        let attempt = attempt.clone();
        self.write(move |conn| lifecycle::redeem(conn, &attempt))
            .await
    }

    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        let attempt = attempt.clone();
        self.write(move |conn| lifecycle::void(conn, &attempt))
            .await
    }

    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        let (id, stamp) = (id.clone(), stamp.clone());
        self.write(move |conn| lifecycle::expire_holds(conn, &id, &stamp))
            .await
    }

    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let query = query.clone();
        // `events --follow` reads for as long as it runs: a file deleted or replaced meanwhile
        // would leave it reading a log that no longer grows, silently.
        let pin = self.inner.pin.clone();
        self.read(move |conn| {
            pin.check("reading")?;
            lifecycle::events(conn, &query)
        })
        .await
    }

    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        let page = page.clone();
        self.read(move |conn| lifecycle::export_page(conn, &page))
            .await
    }

    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        let (id, stamp) = (id.clone(), stamp.clone());
        // Through the writer even without a repair: the count and the counter are then read
        // in one transaction, never straddling a claim. A refusal returns before the UPDATE,
        // and the writer commits nothing else for this job.
        self.write(move |conn| reconcile_in(conn, &id, mode, &stamp))
            .await
    }

    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        let id = id.clone();
        self.read(move |conn| {
            let run = || -> rusqlite::Result<Option<Audit>> {
                // One read transaction: the counter and the counts are one snapshot.
                let tx = conn.unchecked_transaction()?;
                let audit = tx
                    .query_row(
                        &format!(
                            "SELECT c.total, c.remaining,
                                (SELECT count(*) FROM claims WHERE campaign_id = c.id AND {held}),
                                (SELECT count(DISTINCT user_id) FROM claims
                                    WHERE campaign_id = c.id AND {held}),
                                (SELECT count(DISTINCT token) FROM claims
                                    WHERE campaign_id = c.id AND {held})
                             FROM campaigns c WHERE c.id = ?1",
                            held = rows::holding()
                        ),
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
                    .optional()?;
                tx.commit()?;
                Ok(audit)
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

    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        let id = id.clone();
        self.read(move |conn| report::report(conn, &id, width))
            .await
    }

    /// This store's writer thread's counts (shared by every clone; other processes writing
    /// to the same file are not counted).
    fn commit_stats(&self) -> Option<CommitStats> {
        Some(self.inner.commits.snapshot())
    }

    /// The file is on this machine: its clock is the caller's.
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        Ok(local)
    }
}
