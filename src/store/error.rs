//! Store failures: typed, and worded for any caller (they never name a CLI flag or an
//! environment variable; the CLI adds those as hints).

use std::sync::Arc;

use crate::domain::CampaignId;

type Source = Arc<dyn std::error::Error + Send + Sync>;

/// A store failure, with the driver's error kept as the source (never exposed as its type).
///
/// It means the store failed (unreachable, damaged, misconfigured, answering nonsense), never
/// that the domain refused a request: refusals come back as values ([`Decision`],
/// [`Verdict`], [`ChangeRefusal`]).
///
/// [`Decision`]: crate::domain::Decision
/// [`Verdict`]: crate::domain::Verdict
/// [`ChangeRefusal`]: crate::domain::ChangeRefusal
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store URL is malformed.
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, with any password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The default store location needs a data directory, and the platform has none (no
    /// `$HOME`).
    #[error("no data directory on this platform")]
    NoDataDir,
    /// An `SQLite` store was asked for where there is no file, by an operation that only
    /// uses an existing store: nothing was created.
    #[error("there is no store at `{}`; a store is created by creating a campaign in it", path.display())]
    Missing {
        /// The path that was asked for.
        path: std::path::PathBuf,
    },
    /// An `SQLite` store was asked for in a folder that does not exist: a mistyped path, which
    /// no command creates (a store is only created in a folder that exists, but for the
    /// default location); nothing was created.
    #[error("there is no store at `{}`: its folder `{}` does not exist", path.display(), folder.display())]
    NoFolder {
        /// The path that was asked for.
        path: std::path::PathBuf,
        /// Its folder, which is missing.
        folder: std::path::PathBuf,
    },
    /// The path holds something that is not a flashsale store (another application's
    /// database, a device, a folder); it was left untouched.
    #[error("store unavailable: `{}` is not a flashsale store ({reason}); it was left untouched", path.display())]
    NotAStore {
        /// The path that was asked for.
        path: std::path::PathBuf,
        /// What was found there instead.
        reason: String,
    },
    /// An operation got no answer within its time limit. Its outcome is unknown: it may still
    /// complete (the store lets it finish, up to a bound, before the process exits). A claim
    /// can be retried (one that was made is replayed); an operator action cannot blindly: a
    /// second restock is a second restock, so the campaign is read back first.
    #[error(
        "store unavailable while {context}: no answer within {after_ms} ms; the outcome is \
         unknown: it may still take effect, so read the campaign back before repeating an \
         operator action (a claim retried is replayed if it was made)"
    )]
    TimedOut {
        /// What flashsale was doing.
        context: String,
        /// The limit that ran out, in milliseconds.
        after_ms: u64,
    },
    /// The store's integrity check failed: its file or its claims are damaged, so nothing read
    /// from it can be trusted and no repair may be written from it. Not transient: retrying
    /// gives the same answer; the store must be restored from a backup.
    #[error("the store is damaged ({findings}): restore it from a backup")]
    Damaged {
        /// What the check found (the first few problems).
        findings: String,
    },
    /// A repair was refused: `remaining` is off by more than any crash can explain, so the
    /// claims or the counter were damaged or edited, and trusting the claims could oversell.
    #[error(
        "campaign `{id}`: remaining is off by {drift} units, more than a crash can strand \
         (at most {limit} on this store); nothing was written: the claims or the counter were \
         damaged or edited"
    )]
    DriftTooLarge {
        /// The campaign.
        id: CampaignId,
        /// The drift found ([`Reconciliation::drift`](super::Reconciliation::drift)).
        drift: i64,
        /// The largest drift a crash explains on this store.
        limit: i64,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Library errors are read by any caller (an HTTP API too): the CLI adds flag hints.
    #[test]
    fn store_errors_name_no_flag_and_no_environment_variable() {
        let errors = [
            StoreError::NoDataDir,
            StoreError::TimedOut {
                context: "claiming".into(),
                after_ms: 250,
            },
            StoreError::Damaged {
                findings: "row 3 missing from index".into(),
            },
            StoreError::DriftTooLarge {
                id: CampaignId::parse("spring").unwrap(),
                drift: 4403,
                limit: 0,
            },
        ];
        for err in &errors {
            let text = err.to_string();
            assert!(
                !text.contains("--") && !text.contains("FLASHSALE_"),
                "{text}"
            );
        }
        assert_eq!(errors[0].to_string(), "no data directory on this platform");
        assert_eq!(
            errors[1].to_string(),
            "store unavailable while claiming: no answer within 250 ms; the outcome is unknown: \
             it may still take effect, so read the campaign back before repeating an operator \
             action (a claim retried is replayed if it was made)"
        );
    }
}
