//! `doctor`: whether a store is set up right, one check at a time, without writing to it.

use serde::Serialize;

use super::{MongoSettings, StoreUrl};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As it should be.
    Ok,
    /// Works, but weaker than it should be (or worth a look).
    Warn,
    /// Broken: flashsale cannot keep its guarantees on this store.
    Fail,
}

impl Status {
    /// The status as shown: `ok`, `warn` or `fail`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`reachable`, `schema`, `indexes`, …).
    pub check: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was found, for a person.
    pub detail: String,
}

impl Check {
    pub(crate) fn new(check: &'static str, status: Status, detail: impl Into<String>) -> Self {
        Check {
            check,
            status,
            detail: detail.into(),
        }
    }
}

/// Free space below which the `SQLite` store's folder gets a warning: 1 GiB, room for
/// millions of claims and for the WAL of a large batch, with margin for the rest of the disk's
/// users.
pub const LOW_DISK_BYTES: u64 = 1024 * 1024 * 1024;

/// Runs every check that applies to the store at `url`. Never creates or changes the store
/// (a missing `SQLite` file fails `reachable`, and nothing after it runs).
pub async fn diagnose(url: &StoreUrl, mongo: MongoSettings) -> Vec<Check> {
    match url {
        StoreUrl::Sqlite(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || super::sqlite::diagnose(&path))
                .await
                .unwrap_or_else(|err| vec![Check::new("reachable", Status::Fail, err.to_string())])
        }
        StoreUrl::Mongo(text) => super::mongo::diagnose(text, mongo).await,
    }
}
