//! [`DocOps`], [`CampaignOps`] and [`LifecycleOps`] over the official driver: one command
//! per operation.
//!
//! Nothing here decides anything; it only translates. Driver errors become [`StoreError`]s
//! here and go no further.
//!
//! [`DocOps`]: super::ops::DocOps
//! [`CampaignOps`]: super::ops::CampaignOps
//! [`LifecycleOps`]: super::lifecycle_ops::LifecycleOps

mod campaign_ops;
mod connection;
mod doc_ops;
mod error;
mod indexes;
mod lifecycle_ops;

use futures::TryStreamExt as _;
use mongodb::bson::{self, Bson};
use mongodb::{Collection, Database};

use self::error::classify;
use super::docs::{CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status};
use super::ops::Consistency;
use crate::store::StoreError;

pub(super) use self::indexes::{
    CAMPAIGN_INDEXES, CLAIM_INDEXES, EVENT_INDEXES, IndexShape, LEGACY_TOKEN_INDEX, WantedIndex,
    index_models,
};

/// The collections, with the client's pool behind them.
#[derive(Clone)]
pub(super) struct DriverOps {
    db: Database,
    campaigns: Collection<CampaignDoc>,
    claims: Collection<ClaimDoc>,
    /// `claims` again, with the reservation insert's acknowledgement
    /// ([`Consistency::reservation`]): the one operation sent through it.
    reservations: Collection<ClaimDoc>,
    events: Collection<EventDoc>,
    consistency: Consistency,
}

/// How many restock operation ids a campaign keeps: a retry comes seconds after its
/// original, long before this many other restocks of one campaign.
const RECENT_OPS: i32 = 16;

fn status(status: Status) -> &'static str {
    status.as_str()
}

/// The statuses of the claims holding a unit, for an `$in`: the domain's one list
/// ([`ClaimStatus::HOLDING`](crate::domain::ClaimStatus::HOLDING)).
fn holding() -> Vec<&'static str> {
    crate::domain::ClaimStatus::HOLDING
        .iter()
        .map(|held| status(Status::of(*held)))
        .collect()
}

/// The statuses of the claims that give their unit back (every status but the holding ones),
/// for an `$in`: a claim being returned is in one of them, and the `$in` lets the return's look
/// go through the (`campaign_id`, `status`, `user_id`) index.
fn returned() -> Vec<&'static str> {
    crate::domain::ClaimStatus::ALL
        .iter()
        .filter(|s| !s.holds_unit())
        .map(|s| status(Status::of(*s)))
        .collect()
}

/// A pending event as the BSON a `$push` carries.
fn entry(event: &PendingEvent, context: &str) -> Result<Bson, StoreError> {
    bson::to_bson(event).map_err(|err| StoreError::backend(context, err))
}

/// Collects a cursor, wording its errors with `context`.
async fn collect<T>(
    cursor: Result<mongodb::Cursor<T>, mongodb::error::Error>,
    context: &str,
) -> Result<Vec<T>, StoreError>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    cursor
        .map_err(|err| classify(context, &err))?
        .try_collect()
        .await
        .map_err(|err| classify(context, &err))
}

impl DriverOps {
    /// The settings the collections run with (`campaigns`, `claims`, then the reservation
    /// insert's `claims`), as (w, journal, wtimeout, read preference, read concern), to compare
    /// with what a test asked for.
    #[cfg(test)]
    pub(super) fn effective(&self) -> Vec<String> {
        fn of<T: Send + Sync>(collection: &Collection<T>) -> String {
            let write = collection.write_concern().cloned().unwrap_or_default();
            format!(
                "w={:?} j={:?} wtimeout={:?} read={:?} level={:?}",
                write.w,
                write.journal,
                write.w_timeout,
                collection.selection_criteria(),
                collection.read_concern().map(|r| &r.level),
            )
        }
        vec![
            of(&self.campaigns),
            of(&self.claims),
            of(&self.reservations),
        ]
    }

    /// Stops the driver's background workers and closes its connections: see
    /// [`super::MongoStore::close`].
    pub(super) async fn shutdown(&self) {
        self.campaigns
            .client()
            .clone()
            .shutdown()
            .immediate(true)
            .await;
    }
}
