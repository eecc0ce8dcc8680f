//! Where campaigns and claims live, and who owns atomicity.
//!
//! [`Store`] has one method per use case. Every implementation guarantees, under any number of
//! concurrent callers: a claim is granted only against a unit it reserved (I1), at most one
//! claim per (campaign, user) (I2), and a second claim by the same user returns the first (I4).
//! The backend is chosen at run time from a [`StoreUrl`]; both are always built.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{
    Campaign, CampaignId, Claim, ClaimAttempt, ClaimOutcome, Invalid, Refusal, UserId,
};

pub mod mongo;
pub mod sqlite;

pub use mongo::{MongoSettings, MongoStore};
pub use sqlite::SqliteStore;

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// A store failure, with the driver's error kept as the source (never exposed as its type).
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// `create_campaign` found the id taken.
    #[error("campaign `{0}` already exists: choose another `--id`")]
    CampaignExists(CampaignId),
    /// A restock would take the campaign past the inventory limit.
    #[error("campaign `{0}` would exceed the inventory limit of {max}", max = crate::domain::MAX_INVENTORY)]
    InventoryLimit(CampaignId),
    /// The store URL is malformed.
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, with any password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store could not be reached, or was too busy to answer in time.
    #[error("store unavailable while {context}")]
    Unavailable {
        /// What flashsale was doing.
        context: String,
        /// The driver's error (shown as the next link of the error chain).
        #[source]
        source: Source,
    },
    /// The store answered with something flashsale did not expect.
    #[error("store error while {context}")]
    Backend {
        /// What flashsale was doing.
        context: String,
        /// The driver's error (shown as the next link of the error chain).
        #[source]
        source: Source,
    },
}

impl StoreError {
    /// The store could not be reached while doing `context`.
    pub fn unavailable(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// The store failed unexpectedly while doing `context`.
    pub fn backend(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Backend {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// Whether the caller's input caused this error (exit code 2).
    #[must_use]
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            StoreError::CampaignExists(_)
                | StoreError::InventoryLimit(_)
                | StoreError::InvalidUrl { .. }
        )
    }

    /// Whether the store was unreachable or busy (JSON kind `store_unavailable`).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// What `inventory reconcile` found (and, with `apply`, repaired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Units ever put on sale.
    pub total: i64,
    /// Claims the store holds.
    pub claimed: i64,
    /// `remaining` as found.
    pub remaining: i64,
    /// `remaining` as the claims say it should be.
    pub expected_remaining: i64,
    /// Whether the repair was written.
    pub applied: bool,
}

impl Reconciliation {
    /// Units that `remaining` is short by (positive: stranded units; zero: no drift).
    #[must_use]
    pub fn drift(&self) -> i64 {
        self.expected_remaining - self.remaining
    }
}

/// Facts an audit reads straight from the store, to check the invariants against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Audit {
    /// Units ever put on sale.
    pub total: i64,
    /// The stored `remaining` counter.
    pub remaining: i64,
    /// Claim records held.
    pub claims: i64,
    /// Distinct users among the claim records.
    pub distinct_users: i64,
    /// Distinct tokens among the claim records.
    pub distinct_tokens: i64,
}

/// How a store grouped its writes into transactions (issue 6): with group commit, many jobs
/// share one transaction and so one fsync of the log.
///
/// A job is any write the store's writer ran, whatever it decided: a granted claim, a replay
/// and a refusal are one job each, as are campaign writes. Only jobs of committed transactions
/// count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Write transactions committed.
    pub commits: u64,
    /// Jobs those transactions carried.
    pub jobs: u64,
}

impl CommitStats {
    /// What was committed after `earlier` (a snapshot of the same store) up to `self`.
    #[must_use]
    pub fn since(self, earlier: CommitStats) -> CommitStats {
        CommitStats {
            commits: self.commits.saturating_sub(earlier.commits),
            jobs: self.jobs.saturating_sub(earlier.jobs),
        }
    }
}

/// A claim's answer from a store: granted (new or replayed), or refused.
pub type ClaimDecision = Result<ClaimOutcome, Refusal>;

/// The operations flashsale needs from a store; each is atomic on its own.
pub trait Store: Send + Sync + 'static {
    /// Saves a new campaign. [`StoreError::CampaignExists`] when the id is taken.
    fn create_campaign(
        &self,
        campaign: &Campaign,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The campaign with this id, if any.
    fn campaign(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;

    /// Every campaign, oldest first.
    fn campaigns(&self) -> impl Future<Output = Result<Vec<Campaign>, StoreError>> + Send;

    /// Stops a campaign at `now` (an earlier stop is kept). `None` when it does not exist.
    fn end_campaign(
        &self,
        id: &CampaignId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;

    /// Adds `units` to both the total and the remaining inventory. `None` when it does not exist.
    fn add_inventory(
        &self,
        id: &CampaignId,
        units: i64,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;

    /// Decides a claim atomically: replay an existing claim, or refuse, or reserve one unit and
    /// record the claim with a fresh random token.
    fn claim(
        &self,
        attempt: &ClaimAttempt,
    ) -> impl Future<Output = Result<ClaimDecision, StoreError>> + Send;

    /// The claim a user holds on a campaign, if any.
    fn claim_of(
        &self,
        id: &CampaignId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// Recomputes `remaining` from the claims; writes it when `apply`. `None` when the campaign
    /// does not exist.
    fn reconcile(
        &self,
        id: &CampaignId,
        apply: bool,
    ) -> impl Future<Output = Result<Option<Reconciliation>, StoreError>> + Send;

    /// Counts read from the store for an invariant audit. `None` when the campaign does not exist.
    fn audit(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<Option<Audit>, StoreError>> + Send;

    /// Deletes a campaign and its claims (simulate's clean-up). `false` when it did not exist.
    fn delete_campaign(
        &self,
        id: &CampaignId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Write transactions committed and jobs they carried since this store was opened, for a
    /// store that groups its writes (issue 6); `None` for one that does not count them. Cheap
    /// (no I/O), so `simulate` reads it before and after a run.
    fn commit_stats(&self) -> Option<CommitStats> {
        None
    }
}

/// Where the store is: `sqlite:PATH` or `mongodb://…` / `mongodb+srv://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An `SQLite` file (created with its parent folders).
    Sqlite(PathBuf),
    /// A `MongoDB` connection string.
    Mongo(String),
}

impl StoreUrl {
    /// The default store: `sqlite:<data dir>/flashsale/flashsale.db`.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`] when the platform has no data directory (no `$HOME`).
    pub fn default_location() -> Result<Self, StoreError> {
        dirs::data_dir()
            .map(|dir| StoreUrl::Sqlite(dir.join("flashsale").join("flashsale.db")))
            .ok_or_else(|| StoreError::InvalidUrl {
                url: String::new(),
                reason: "no data directory on this platform: pass `--store sqlite:PATH`".into(),
            })
    }
}

impl FromStr for StoreUrl {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| {
            Invalid::new(
                "store URL",
                format!("`{}` {reason}", redact(&crate::domain::shown(text))),
            )
        };
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(bad("has no path: use `sqlite:PATH`"));
            }
            if path.contains('\0') {
                return Err(bad("has a NUL byte in its path"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = text
            .strip_prefix("mongodb://")
            .or_else(|| text.strip_prefix("mongodb+srv://"))
        {
            if rest.is_empty() || rest.starts_with('/') {
                return Err(bad("has no host"));
            }
            if text.chars().any(char::is_control) {
                return Err(bad("contains a control character"));
            }
            return Ok(StoreUrl::Mongo(text.to_owned()));
        }
        Err(bad("must start with `sqlite:` or `mongodb://`"))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Mongo(url) => f.write_str(&redact(url)),
        }
    }
}

/// Debug output is the redacted URL too, so a password never reaches a log.
impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A store chosen at run time. Both variants are always compiled.
#[derive(Clone)]
pub enum AnyStore {
    /// The embedded `SQLite` store.
    Sqlite(SqliteStore),
    /// A `MongoDB` deployment.
    Mongo(MongoStore),
}

impl AnyStore {
    /// Opens the store `url` points at, creating its schema on first use.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be opened or reached.
    pub async fn open(url: &StoreUrl) -> Result<Self, StoreError> {
        Self::open_with(url, MongoSettings::default()).await
    }

    /// Like [`AnyStore::open`], with explicit settings for a `MongoDB` store.
    ///
    /// # Errors
    /// As [`AnyStore::open`].
    pub async fn open_with(url: &StoreUrl, mongo: MongoSettings) -> Result<Self, StoreError> {
        match url {
            StoreUrl::Sqlite(path) => Ok(AnyStore::Sqlite(SqliteStore::open(path).await?)),
            StoreUrl::Mongo(text) => Ok(AnyStore::Mongo(MongoStore::open_with(text, mongo).await?)),
        }
    }
}

macro_rules! forward {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call.await,
            AnyStore::Mongo($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn create_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        forward!(self, s => s.create_campaign(campaign))
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        forward!(self, s => s.campaign(id))
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        forward!(self, s => s.campaigns())
    }
    async fn end_campaign(
        &self,
        id: &CampaignId,
        now: DateTime<Utc>,
    ) -> Result<Option<Campaign>, StoreError> {
        forward!(self, s => s.end_campaign(id, now))
    }
    async fn add_inventory(
        &self,
        id: &CampaignId,
        units: i64,
    ) -> Result<Option<Campaign>, StoreError> {
        forward!(self, s => s.add_inventory(id, units))
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<ClaimDecision, StoreError> {
        forward!(self, s => s.claim(attempt))
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        forward!(self, s => s.claim_of(id, user))
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        apply: bool,
    ) -> Result<Option<Reconciliation>, StoreError> {
        forward!(self, s => s.reconcile(id, apply))
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        forward!(self, s => s.audit(id))
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        forward!(self, s => s.delete_campaign(id))
    }
    fn commit_stats(&self) -> Option<CommitStats> {
        match self {
            AnyStore::Sqlite(s) => s.commit_stats(),
            AnyStore::Mongo(s) => s.commit_stats(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_by_scheme() {
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            "sqlite://rel/x.db".parse::<StoreUrl>().unwrap(),
            StoreUrl::Sqlite("rel/x.db".into())
        );
        assert!(matches!(
            "mongodb://localhost:27017/fs".parse::<StoreUrl>().unwrap(),
            StoreUrl::Mongo(_)
        ));
        assert!(matches!(
            "mongodb+srv://cluster.example/fs"
                .parse::<StoreUrl>()
                .unwrap(),
            StoreUrl::Mongo(_)
        ));
        for bad in [
            "",
            "sqlite:",
            "postgres://x",
            "mongodb://",
            "mongodb:///db",
            "/tmp/x.db",
        ] {
            assert!(bad.parse::<StoreUrl>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_never_show_in_store_urls() {
        let url: StoreUrl = "mongodb://ana:s3cret@db.local:27017/fs?authSource=admin"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "mongodb://ana:***@db.local:27017/fs?authSource=admin"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        let bad = "mongodbx://ana:s3cret@host"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(!bad.contains("s3cret"), "{bad}");
    }
}
