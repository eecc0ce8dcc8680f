//! [`DocOps`] over the driver: campaigns' counters and claim documents on the claim path.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, Document, doc};
use mongodb::options::{ReadPreference, SelectionCriteria};

use super::error::{DriverError, classify, is_duplicate};
use super::{DriverOps, entry, holding, status};
use crate::store::StoreError;
use crate::store::mongo::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status};
use crate::store::mongo::ops::{Consistency, DocOps, Inserted, Seen};

/// The filter of the documents that hold or may hold a unit (see `DocOps::count_claims`).
fn may_hold(campaign: &str) -> Document {
    let mut statuses = holding();
    statuses.push(status(Status::Reserving));
    doc! {
        "campaign_id": campaign,
        "$or": [
            {"status": {"$in": statuses}},
            {"returning": true},
        ],
    }
}

impl DocOps for DriverOps {
    fn consistency(&self) -> Consistency {
        self.consistency
    }

    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        let context = "reading the server's clock";
        let hello = self
            .db
            .run_command(doc! {"hello": 1})
            .selection_criteria(SelectionCriteria::ReadPreference(ReadPreference::Primary))
            .await
            .map_err(|err| classify(context, &err))?;
        let local = hello.get_datetime("localTime").map_err(|_| {
            StoreError::backend(
                context,
                DriverError("the server's `hello` answer has no `localTime`".into()),
            )
        })?;
        DateTime::from_timestamp_millis(local.timestamp_millis()).ok_or_else(|| {
            StoreError::backend(
                context,
                DriverError("the server's `localTime` is out of range".into()),
            )
        })
    }

    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        self.campaigns
            .find_one(doc! {"_id": id})
            .await
            .map_err(|err| classify("reading a campaign", &err))
    }

    async fn reserve_unit(&self, id: &str, now: bson::DateTime) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": id,
            "ended": false,
            "paused": {"$ne": true},
            "starts_at": {"$lte": now},
            "ends_at": {"$gte": now},
            "remaining": {"$gt": 0_i64},
        };
        let result = self
            .campaigns
            .update_one(filter, doc! {"$inc": {"remaining": -1_i64, "held": 1_i64}})
            .await
            .map_err(|err| classify("reserving a unit", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        let context = "repairing remaining inventory";
        let filter = doc! {
            "_id": id,
            "remaining": seen.remaining,
            "total": seen.total,
            "epoch": seen.epoch,
        };
        let mut update = doc! {
            "$set": {"remaining": remaining, "held": seen.total - remaining},
            "$inc": {"epoch": 1_i64},
        };
        if let Some(event) = event {
            update.insert("$push", doc! {"pending": entry(event, context)?});
        }
        let result = self
            .campaigns
            .update_one(filter, update)
            .await
            .map_err(|err| classify(context, &err))?;
        Ok(result.matched_count == 1)
    }

    async fn store_held(&self, id: &str, seen: Seen) -> Result<bool, StoreError> {
        let result = self
            .campaigns
            .update_one(
                doc! {
                    "_id": id,
                    "held": {"$exists": false},
                    "remaining": seen.remaining,
                    "total": seen.total,
                    "epoch": seen.epoch,
                },
                doc! {"$set": {"held": seen.total - seen.remaining}},
            )
            .await
            .map_err(|err| classify("storing a campaign's held count", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        self.claims
            .find_one(doc! {"campaign_id": campaign, "user_id": user})
            .await
            .map_err(|err| classify("reading a claim", &err))
    }

    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<Inserted, StoreError> {
        match self.reservations.insert_one(doc).await {
            Ok(_) => Ok(Inserted::Yes),
            Err(err) if is_duplicate(&err) => Ok(Inserted::Duplicate),
            Err(err) => Err(classify("recording a claim", &err)),
        }
    }

    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .claims
            .update_one(
                doc! {
                    "campaign_id": campaign,
                    "user_id": user,
                    "token": token,
                    "status": status(Status::Reserving),
                },
                doc! {"$set": {"status": status(Status::Claimed)}},
            )
            .await
            .map_err(|err| classify("confirming a claim", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .claims
            .delete_one(doc! {
                "campaign_id": campaign,
                "user_id": user,
                "token": token,
                "status": status(Status::Reserving),
            })
            .await
            .map_err(|err| classify("removing a reservation", &err))?;
        Ok(result.deleted_count == 1)
    }

    async fn delete_stale(
        &self,
        campaign: &str,
        before: bson::DateTime,
    ) -> Result<u64, StoreError> {
        let result = self
            .claims
            .delete_many(doc! {
                "campaign_id": campaign,
                "status": status(Status::Reserving),
                "created_at": {"$lt": before},
            })
            .await
            .map_err(|err| classify("removing stale reservations", &err))?;
        Ok(result.deleted_count)
    }

    async fn count_claims(&self, campaign: &str, only: Option<Status>) -> Result<i64, StoreError> {
        let filter = match only {
            Some(only) => doc! {"campaign_id": campaign, "status": status(only)},
            None => may_hold(campaign),
        };
        let count = self
            .claims
            .count_documents(filter)
            .await
            .map_err(|err| classify("counting claims", &err))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}
