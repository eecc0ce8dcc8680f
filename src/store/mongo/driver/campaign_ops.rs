//! [`CampaignOps`] over the driver: creating, listing and changing campaigns.

use futures::TryStreamExt as _;
use mongodb::bson::{self, Document, doc};
use mongodb::options::ReturnDocument;

use super::error::{DriverError, classify, is_duplicate};
use super::{DriverOps, RECENT_OPS, entry, holding};
use crate::store::StoreError;
use crate::store::mongo::docs::{CampaignDoc, PendingEvent};
use crate::store::mongo::ops::{CampaignOps, Inserted};

impl CampaignOps for DriverOps {
    async fn insert_campaign(&self, doc: &CampaignDoc) -> Result<Inserted, StoreError> {
        match self.campaigns.insert_one(doc).await {
            Ok(_) => Ok(Inserted::Yes),
            Err(err) if is_duplicate(&err) => Ok(Inserted::Duplicate),
            Err(err) => Err(classify("creating a campaign", &err)),
        }
    }

    async fn list_campaigns(&self) -> Result<Vec<CampaignDoc>, StoreError> {
        let context = "listing campaigns";
        self.campaigns
            .find(doc! {})
            .sort(doc! {"created_at": 1, "_id": 1})
            .await
            .map_err(|err| classify(context, &err))?
            .try_collect()
            .await
            .map_err(|err| classify(context, &err))
    }

    async fn list_campaigns_ending_from(
        &self,
        since: bson::DateTime,
    ) -> Result<Vec<CampaignDoc>, StoreError> {
        let context = "listing campaigns";
        // Sorted here, not by the server: the filter goes through `ends_at_1`, and the
        // campaigns not yet ended are few, while a server sort by creation would walk every
        // campaign ever created in that order.
        let mut found: Vec<CampaignDoc> = self
            .campaigns
            .find(doc! {"ends_at": {"$gte": since}})
            .await
            .map_err(|err| classify(context, &err))?
            .try_collect()
            .await
            .map_err(|err| classify(context, &err))?;
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(found)
    }

    async fn end_campaign(
        &self,
        id: &str,
        now: bson::DateTime,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let context = "ending a campaign";
        let result = self
            .campaigns
            .update_one(
                doc! {"_id": id, "ended": false},
                doc! {
                    "$set": {"ended": true, "ended_at": now},
                    "$push": {"pending": entry(event, context)?},
                },
            )
            .await
            .map_err(|err| classify(context, &err))?;
        Ok(result.matched_count == 1)
    }

    async fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
        op: &str,
        event: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        let context = "adding inventory";
        self.campaigns
            .find_one_and_update(
                doc! {"_id": id, "total": {"$lte": max_total}, "ops": {"$ne": op}},
                doc! {
                    "$inc": {"total": units, "remaining": units},
                    "$push": {
                        "ops": {"$each": [op], "$slice": -RECENT_OPS},
                        "pending": entry(event, context)?,
                    },
                },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(|err| classify(context, &err))
    }

    async fn delete_campaign(&self, id: &str) -> Result<bool, StoreError> {
        let context = "deleting a campaign";
        let result = self
            .campaigns
            .delete_one(doc! {"_id": id})
            .await
            .map_err(|err| classify(context, &err))?;
        self.claims
            .delete_many(doc! {"campaign_id": id})
            .await
            .map_err(|err| classify(context, &err))?;
        Ok(result.deleted_count == 1)
    }

    async fn claimed_pairs(&self, campaign: &str) -> Result<Vec<(String, String)>, StoreError> {
        let context = "auditing claims";
        let docs: Vec<Document> = self
            .claims
            .clone_with_type::<Document>()
            .find(doc! {
                "campaign_id": campaign,
                "status": {"$in": holding()},
            })
            .projection(doc! {"_id": 0, "user_id": 1, "token": 1})
            .await
            .map_err(|err| classify(context, &err))?
            .try_collect()
            .await
            .map_err(|err| classify(context, &err))?;
        docs.iter()
            .map(|doc| match (doc.get_str("user_id"), doc.get_str("token")) {
                (Ok(user), Ok(token)) => Ok((user.to_owned(), token.to_owned())),
                _ => Err(StoreError::backend(
                    context,
                    DriverError("a claim document lacks its user_id or token".into()),
                )),
            })
            .collect()
    }
}
