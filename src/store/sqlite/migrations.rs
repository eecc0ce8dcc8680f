//! The `SQLite` schema, as an append-only list of migrations; `PRAGMA user_version` records how
//! many have run. A shipped migration is never edited: add the next one instead.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::store::StoreError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
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
];

/// The schema version this build writes.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations
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
