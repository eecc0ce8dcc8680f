//! `doctor`'s checks of the `SQLite` store, read-only.

use std::path::Path;

use rusqlite::Connection;

use super::{
    BUSY_TIMEOUT, Found, inspect, integrity_check, migrations, open_untouched, wal_in_header,
};

/// `doctor`'s checks of the `SQLite` store at `path`, each read-only: reachable (and a
/// flashsale store), schema version and columns, the unique keys of claims, a full
/// `quick_check`, the journal mode, clock (n/a) and free disk.
pub(in crate::store) fn diagnose(path: &Path) -> Vec<crate::store::doctor::Check> {
    use crate::store::doctor::{Check, Status};
    let mut checks = Vec::new();
    let shown = path.display();
    match inspect(path) {
        Ok(Found::Store) => checks.push(Check::new(
            "reachable",
            Status::Ok,
            format!("flashsale store at {shown}"),
        )),
        Ok(Found::Nothing | Found::Empty) => {
            checks.push(Check::new(
                "reachable",
                Status::Fail,
                format!("no store at {shown}: creating a campaign creates one"),
            ));
            return checks;
        }
        Err(err) => {
            checks.push(Check::new("reachable", Status::Fail, err.to_string()));
            return checks;
        }
    }
    // Read-only, and creating nothing beside the file: a read-write connection removes the
    // `-wal` and `-shm` it makes only if it closes cleanly, which a damaged file can prevent.
    let conn = match open_untouched(path) {
        Ok(conn) => conn,
        Err(err) => {
            checks.push(Check::new("reachable", Status::Fail, err.to_string()));
            return checks;
        }
    };
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    checks.push(schema(&conn));
    checks.push(match unique_keys(&conn) {
        Ok(missing) if missing.is_empty() => Check::new(
            "indexes",
            Status::Ok,
            "claims: primary key (campaign_id, user_id), unique (token)",
        ),
        Ok(missing) => Check::new(
            "indexes",
            Status::Fail,
            format!("claims lacks {}", missing.join(" and ")),
        ),
        Err(err) => Check::new("indexes", Status::Fail, err.to_string()),
    });
    checks.push(match integrity_check(&conn) {
        Ok(()) => Check::new("integrity", Status::Ok, "integrity_check: ok"),
        Err(err) => Check::new("integrity", Status::Fail, err.to_string()),
    });
    checks.push(match wal_in_header(path) {
        Ok(true) => Check::new(
            "write concern",
            Status::Ok,
            "WAL journal, synchronous=FULL on every connection flashsale opens",
        ),
        Ok(false) => Check::new(
            "write concern",
            Status::Warn,
            "journal mode is not WAL: flashsale switches it to WAL when it writes",
        ),
        Err(err) => Check::new("write concern", Status::Fail, err.to_string()),
    });
    checks.push(Check::new(
        "topology",
        Status::Ok,
        "n/a: an embedded file (several processes on one machine share it safely)",
    ));
    checks.push(Check::new(
        "clock skew",
        Status::Ok,
        "n/a: SQLite has no server clock; this machine's clock decides",
    ));
    checks.push(free_disk(path));
    checks
}

/// The schema's version and columns.
fn schema(conn: &Connection) -> crate::store::doctor::Check {
    use crate::store::doctor::{Check, Status};
    match migrations::version_check(conn) {
        Ok((found, latest)) if found == latest => match migrations::check_schema(conn) {
            Ok(()) => Check::new("schema", Status::Ok, format!("version {found}")),
            Err(err) => Check::new("schema", Status::Fail, err.to_string()),
        },
        Ok((found, latest)) if found < latest => Check::new(
            "schema",
            Status::Warn,
            format!("version {found}, this flashsale writes {latest}: the next write upgrades it"),
        ),
        Ok((found, latest)) => Check::new(
            "schema",
            Status::Fail,
            format!("version {found} was written by a newer flashsale (this one knows {latest})"),
        ),
        Err(err) => Check::new("schema", Status::Fail, err.to_string()),
    }
}

/// The free disk space in the store's folder.
fn free_disk(path: &Path) -> crate::store::doctor::Check {
    use crate::store::doctor::{Check, LOW_DISK_BYTES, Status};
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match fs4::available_space(folder) {
        Ok(free) if free < LOW_DISK_BYTES => Check::new(
            "free disk",
            Status::Warn,
            format!(
                "{} MiB free in {} (warns under {} MiB)",
                free / (1024 * 1024),
                folder.display(),
                LOW_DISK_BYTES / (1024 * 1024)
            ),
        ),
        Ok(free) => Check::new(
            "free disk",
            Status::Ok,
            format!("{} MiB free in {}", free / (1024 * 1024), folder.display()),
        ),
        Err(err) => Check::new("free disk", Status::Warn, format!("unknown: {err}")),
    }
}

/// The unique keys of `claims` that are not there exactly as the schema makes them: the
/// primary key on (`campaign_id`, `user_id`) (I2) and a unique index on (`token`).
fn unique_keys(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut found: Vec<(String, bool, Vec<String>)> = Vec::new();
    let mut list =
        conn.prepare("SELECT name, \"unique\", origin FROM pragma_index_list('claims')")?;
    let indexes: Vec<(String, bool, String)> = list
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut info = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
    for (name, unique, origin) in indexes {
        let columns: Vec<String> = info
            .query_map([&name], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        found.push((origin, unique, columns));
    }
    let has = |origin: &str, columns: &[&str]| {
        found.iter().any(|(o, unique, c)| {
            o == origin && *unique && c.iter().map(String::as_str).eq(columns.iter().copied())
        })
    };
    let mut missing = Vec::new();
    if !has("pk", &["campaign_id", "user_id"]) {
        missing.push("its primary key (campaign_id, user_id)");
    }
    if !has("u", &["token"]) {
        missing.push("its unique index on (token)");
    }
    Ok(missing)
}
