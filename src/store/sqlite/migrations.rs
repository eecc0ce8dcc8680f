//! The `SQLite` schema, as an append-only list of migrations; `PRAGMA user_version` records how
//! many have run. A shipped migration is never edited: add the next one instead.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::store::StoreError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: campaigns and claims. The CHECKs are a last line of defence for I1 and I3: no code
    // path may decrement below zero or hand out more than the total.
    "CREATE TABLE campaigns (
        id                 TEXT PRIMARY KEY NOT NULL,
        name               TEXT NOT NULL,
        starts_at          INTEGER NOT NULL,
        ends_at            INTEGER NOT NULL,
        ended_at           INTEGER,
        total              INTEGER NOT NULL CHECK (total > 0),
        claimed            INTEGER NOT NULL CHECK (claimed >= 0),
        remaining          INTEGER NOT NULL CHECK (remaining >= 0),
        percent_bps        INTEGER NOT NULL CHECK (percent_bps BETWEEN 1 AND 10000),
        max_discount_cents INTEGER NOT NULL CHECK (max_discount_cents > 0),
        min_cart_cents     INTEGER NOT NULL CHECK (min_cart_cents >= 0),
        currency           TEXT NOT NULL,
        created_at         INTEGER NOT NULL,
        CHECK (claimed + remaining <= total)
    ) STRICT;
    CREATE TABLE claims (
        campaign_id    TEXT NOT NULL REFERENCES campaigns (id),
        user_id        TEXT NOT NULL,
        token          TEXT NOT NULL UNIQUE,
        discount_cents INTEGER NOT NULL CHECK (discount_cents >= 0),
        cart_cents     INTEGER NOT NULL CHECK (cart_cents >= 0),
        claimed_at     INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, user_id)
    ) STRICT, WITHOUT ROWID;",
    // 2: the claim's lifecycle, the campaign's pause and hold, and the events log.
    // Existing claims stay `claimed` and take their campaign's currency. A claim's status moves
    // at most once (I7), so `claimed` in the campaign row now counts the claims holding a unit.
    // The partial index serves the expiry sweep: only unredeemed claims with a hold are in it.
    // The log's sequence is AUTOINCREMENT so a number is never reused, even after the newest
    // events were deleted by hand: a reader following by sequence never skips one.
    "ALTER TABLE campaigns ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
    ALTER TABLE campaigns ADD COLUMN hold_seconds INTEGER CHECK (hold_seconds > 0);
    ALTER TABLE claims ADD COLUMN currency TEXT NOT NULL DEFAULT '';
    UPDATE claims SET currency = (SELECT c.currency FROM campaigns c WHERE c.id = claims.campaign_id);
    ALTER TABLE claims ADD COLUMN status TEXT NOT NULL DEFAULT 'claimed'
        CHECK (status IN ('claimed', 'redeemed', 'voided', 'expired'));
    ALTER TABLE claims ADD COLUMN expires_at INTEGER;
    ALTER TABLE claims ADD COLUMN order_id TEXT;
    ALTER TABLE claims ADD COLUMN redeemed_cart_cents INTEGER CHECK (redeemed_cart_cents >= 0);
    ALTER TABLE claims ADD COLUMN redeemed_discount_cents INTEGER
        CHECK (redeemed_discount_cents >= 0);
    ALTER TABLE claims ADD COLUMN redeemed_at INTEGER;
    CREATE INDEX claims_due ON claims (campaign_id, expires_at)
        WHERE status = 'claimed' AND expires_at IS NOT NULL;
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,
        campaign_id TEXT NOT NULL,
        action      TEXT NOT NULL,
        details     TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_campaign ON events (campaign_id, seq);",
    // 3: the same claims table, its status CHECK spelled as comparisons. SQLite evaluates
    // `status IN (four values)` by building a temporary B-tree of the four values on every
    // row it checks (`OpenEphemeral`; lists of more than two values are done that way), so
    // every claim INSERT created and dropped a table: about a sixth of the writer thread's
    // time per claim. SQLite cannot change a CHECK in place, so the table is rebuilt (the
    // documented create-copy-drop-rename), its columns in the same order, then its index.
    // Nothing references `claims`, so dropping it is safe with foreign keys on.
    "CREATE TABLE claims_v3 (
        campaign_id             TEXT NOT NULL REFERENCES campaigns (id),
        user_id                 TEXT NOT NULL,
        token                   TEXT NOT NULL UNIQUE,
        discount_cents          INTEGER NOT NULL CHECK (discount_cents >= 0),
        cart_cents              INTEGER NOT NULL CHECK (cart_cents >= 0),
        claimed_at              INTEGER NOT NULL,
        currency                TEXT NOT NULL DEFAULT '',
        status                  TEXT NOT NULL DEFAULT 'claimed' CHECK (
            status = 'claimed' OR status = 'redeemed' OR status = 'voided'
            OR status = 'expired'),
        expires_at              INTEGER,
        order_id                TEXT,
        redeemed_cart_cents     INTEGER CHECK (redeemed_cart_cents >= 0),
        redeemed_discount_cents INTEGER CHECK (redeemed_discount_cents >= 0),
        redeemed_at             INTEGER,
        PRIMARY KEY (campaign_id, user_id)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO claims_v3 (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at,
        currency, status, expires_at, order_id, redeemed_cart_cents, redeemed_discount_cents,
        redeemed_at)
    SELECT campaign_id, user_id, token, discount_cents, cart_cents, claimed_at, currency, status,
        expires_at, order_id, redeemed_cart_cents, redeemed_discount_cents, redeemed_at
    FROM claims;
    DROP TABLE claims;
    ALTER TABLE claims_v3 RENAME TO claims;
    CREATE INDEX claims_due ON claims (campaign_id, expires_at)
        WHERE status = 'claimed' AND expires_at IS NOT NULL;",
    // 4: the post-sale report counts claims by time from their own timestamps, so a sale
    // writes no event per claim. `claims_by_time` serves the claims' timeline (a GROUP BY
    // that walks the index in order, reading no row), the first claim and the sold-out
    // instant (the index walked backwards). Its key grows with the clock, so a claim's insert
    // lands at the index's end. `claims_redeemed` holds only redeemed claims (a claim gets a
    // `redeemed_at` once, when redeemed, I7), for the redemptions' timeline.
    "CREATE INDEX claims_by_time ON claims (campaign_id, claimed_at);
    CREATE INDEX claims_redeemed ON claims (campaign_id, redeemed_at)
        WHERE redeemed_at IS NOT NULL;",
    // 5: the store's own id, drawn once when the store is made (or first opened by this
    // version). A running process pins it with the file's device and inode: another store
    // copied over the file in place keeps the inode, but not the id. The row is written once
    // and never updated, so its page never moves and can be read straight from the file
    // (see `Pin`), past any page cache or WAL frame.
    "CREATE TABLE store (id BLOB NOT NULL CHECK (length(id) = 16)) STRICT;
    INSERT INTO store (id) VALUES (randomblob(16));",
    // 6: `serve`'s metrics and expiry sweep list the campaigns whose window has not ended
    // (or ended recently), every few seconds; through this index they read those campaigns'
    // rows only, never every campaign ever created.
    "CREATE INDEX campaigns_by_end ON campaigns (ends_at);",
    // 7: when a claim was voided and why, and when it expired, each written by the very
    // UPDATE that changes its status. Claims voided or expired before this version keep NULL
    // there: the instant was never recorded, and no other column holds it.
    "ALTER TABLE claims ADD COLUMN voided_at INTEGER;
    ALTER TABLE claims ADD COLUMN void_reason TEXT;
    ALTER TABLE claims ADD COLUMN expired_at INTEGER;",
];

/// The schema version this build writes.
#[expect(clippy::cast_possible_wrap, reason = "a handful of migrations")]
const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`LATEST`].
///
/// A schema that is already current is only read: every command opens the store, and a
/// read-only command must not wait for (or block) another process's write transaction. Only
/// an older schema takes the write lock, in one `BEGIN IMMEDIATE` transaction, and reads the
/// version again inside it, so that several processes opening a fresh file at once migrate it
/// exactly once. The guard rolls back on every early return.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let classify = |err| super::classify("migrating the schema", err);
    // Outside any transaction: in WAL mode this read never waits for a writer.
    if checked_version(conn)? == LATEST {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(classify)?;
    let version = checked_version(&tx)?;
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(sql).map_err(classify)?;
        tx.pragma_update(None, "user_version", index + 1)
            .map_err(classify)?;
    }
    tx.commit().map_err(classify)
}

/// The columns of each table once every migration ran, in order. A migration that changes a
/// table changes its line here (and `schema_is_as_expected` fails until it does).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "campaigns",
        &[
            "id",
            "name",
            "starts_at",
            "ends_at",
            "ended_at",
            "total",
            "claimed",
            "remaining",
            "percent_bps",
            "max_discount_cents",
            "min_cart_cents",
            "currency",
            "created_at",
            "paused",
            "hold_seconds",
        ],
    ),
    (
        "claims",
        &[
            "campaign_id",
            "user_id",
            "token",
            "discount_cents",
            "cart_cents",
            "claimed_at",
            "currency",
            "status",
            "expires_at",
            "order_id",
            "redeemed_cart_cents",
            "redeemed_discount_cents",
            "redeemed_at",
            "voided_at",
            "void_reason",
            "expired_at",
        ],
    ),
    (
        "events",
        &["seq", "at", "actor", "campaign_id", "action", "details"],
    ),
    ("store", &["id"]),
];

/// Whether `table` is one of the tables the migrations make.
pub(super) fn is_ours(table: &str) -> bool {
    COLUMNS.iter().any(|(name, _)| *name == table)
}

/// The cheap check every open runs: the schema is the one this build writes (each table with
/// its columns). It reads only the schema pages, so it costs the same on an empty file and on
/// one with millions of claims, and it catches a file that is not flashsale's, a damaged
/// schema page (`SQLite` then fails to parse it) and tables changed behind the store's back.
/// A full `PRAGMA quick_check` would read every page of the file on every command, a claim
/// included: that belongs before a repair, not on the hot path.
pub(super) fn check_schema(conn: &Connection) -> Result<(), StoreError> {
    let mut columns_of = conn
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .map_err(|err| super::classify("checking the schema", err))?;
    for (table, expected) in COLUMNS {
        let found: Vec<String> = columns_of
            .query_map([table], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|err| super::classify("checking the schema", err))?;
        if found != *expected {
            return Err(StoreError::Damaged {
                findings: if found.is_empty() {
                    format!("table `{table}` is missing")
                } else {
                    format!(
                        "table `{table}` has columns ({}), expected ({})",
                        found.join(", "),
                        expected.join(", ")
                    )
                },
            });
        }
    }
    Ok(())
}

/// The schema version found and the one this build writes, for `doctor`.
pub(super) fn version_check(conn: &Connection) -> Result<(i64, i64), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| super::classify("reading the schema version", err))?;
    Ok((version, LATEST))
}

/// The schema version, refused when a newer flashsale wrote it.
fn checked_version(conn: &Connection) -> Result<i64, StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| super::classify("reading the schema version", err))?;
    if version > LATEST {
        return Err(StoreError::backend(
            "opening the store",
            std::io::Error::other(format!(
                "schema version {version} was written by a newer flashsale (this one knows {LATEST}): upgrade flashsale"
            )),
        ));
    }
    Ok(version)
}
