//! [`DocOps`] and [`CampaignOps`] over the official driver: one command per operation.
//!
//! Nothing here decides anything; it only translates. Driver errors become [`StoreError`]s
//! here and go no further.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{
    Acknowledgment, ClientOptions, CollectionOptions, IndexOptions, ReadConcern, ReadPreference,
    ReturnDocument, SelectionCriteria, WriteConcern,
};
use mongodb::{Client, Collection, Database, IndexModel};

use super::docs::{CampaignDoc, ClaimDoc, Status};
use super::ops::{
    CampaignOps, Consistency, DocOps, Inserted, ReadFrom, ReadLevel, Seen, WriteLevel,
};
use crate::store::url::{scrub, secrets};
use crate::store::{StoreError, StoreUrl};

/// The two collections, with the client's pool behind them.
#[derive(Clone)]
pub(super) struct DriverOps {
    db: Database,
    campaigns: Collection<CampaignDoc>,
    claims: Collection<ClaimDoc>,
    consistency: Consistency,
}

/// The connection pool's size per server when the URL does not set `maxPoolSize`. A claim holds
/// a connection only while one of its round trips travels (two at once for its parallel
/// reads), so a few dozen connections carry thousands of claims in flight; past that, waiting
/// in the pool is cheaper than what the server pays per connection (a thread and about a
/// megabyte each, on every app server's behalf). The driver's default, 10, serialises a busy
/// server behind too few connections; 64 keeps a rush's round trips flowing without letting a
/// fleet of app servers exhaust the server's connection limit.
const MAX_POOL_SIZE: u32 = 64;

/// How long the server waits for a majority to acknowledge a write before it answers with a
/// write concern error instead (the driver's default is to wait forever). Shorter than the
/// default operation timeout (10 s), so a replica set that lost its majority is reported by
/// the server with an error rather than by our timeout with silence; long enough to ride out
/// an election (typically under 5 s with default settings plus the replication catch-up).
/// Either way the write's outcome is unknown, and every write of the store is built for that.
const MAJORITY_TIMEOUT: Duration = Duration::from_secs(5);

/// The collection options that give `consistency`, set on each collection so they override
/// whatever the URL put on the client (`w`, `journal`, `readPreference`, `readConcernLevel`).
fn collection_options(consistency: Consistency) -> CollectionOptions {
    let write = match consistency.write {
        WriteLevel::MajorityJournaled => WriteConcern::builder()
            .w(Acknowledgment::Majority)
            .journal(true)
            .w_timeout(MAJORITY_TIMEOUT)
            .build(),
        #[cfg(test)]
        WriteLevel::Primary => WriteConcern::builder()
            .w(Acknowledgment::Nodes(1))
            .journal(false)
            .build(),
    };
    let read_from = match consistency.read_from {
        ReadFrom::Primary => ReadPreference::Primary,
        #[cfg(test)]
        ReadFrom::Secondary => ReadPreference::Secondary { options: None },
    };
    let read_level = match consistency.read_level {
        ReadLevel::Majority => ReadConcern::majority(),
        #[cfg(test)]
        ReadLevel::Local => ReadConcern::local(),
    };
    CollectionOptions::builder()
        .write_concern(write)
        .selection_criteria(SelectionCriteria::ReadPreference(read_from))
        .read_concern(read_level)
        .build()
}

/// A driver error reduced to text, so the driver's type stays inside this module.
#[derive(Debug)]
struct DriverError(String);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

/// Server error codes that mean "not now" rather than "wrong": elections, shutdowns, a
/// primary stepping down.
const TRANSIENT_CODES: [i32; 8] = [6, 7, 89, 91, 189, 10107, 11600, 13435];

fn classify(context: &str, err: &mongodb::error::Error) -> StoreError {
    classify_scrubbed(context, err, &[])
}

/// [`classify`], with each of `secrets` blanked out of the driver's message: while connecting,
/// the driver words its errors from the URL it parsed (decoded), which flashsale's redaction
/// of the URL as written cannot reach.
fn classify_scrubbed(context: &str, err: &mongodb::error::Error, secrets: &[String]) -> StoreError {
    let unavailable = err.contains_label("RetryableWriteError")
        || match err.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => true,
            ErrorKind::Command(command) => TRANSIENT_CODES.contains(&command.code),
            _ => false,
        };
    let text = match err.kind.as_ref() {
        // The driver's message dumps the whole topology; the last error of a server is the
        // part an operator can act on (connection refused, TLS, authentication).
        ErrorKind::ServerSelection { message, .. } => match message
            .split("Error: Kind: ")
            .nth(1)
            .and_then(|rest| rest.split(", labels").next())
        {
            Some(cause) => format!("no server answered in time (last error: {cause})"),
            None => format!("no server answered in time ({message})"),
        },
        kind => kind.to_string(),
    };
    let text = scrub(&text, secrets);
    if unavailable {
        StoreError::unavailable(context, DriverError(text))
    } else {
        StoreError::backend(context, DriverError(text))
    }
}

/// How many restock operation ids a campaign keeps: a retry comes seconds after its
/// original, long before this many other restocks of one campaign.
const RECENT_OPS: i32 = 16;

/// Whether a unique index refused a write (`E11000`).
fn is_duplicate(err: &mongodb::error::Error) -> bool {
    const DUPLICATE_KEY: i32 = 11000;
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == DUPLICATE_KEY,
        ErrorKind::Command(command) => command.code == DUPLICATE_KEY,
        _ => false,
    }
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Reserving => "reserving",
        Status::Claimed => "claimed",
    }
}

impl DriverOps {
    /// Connects with [`Consistency::REQUIRED`]: see [`DriverOps::connect_with`].
    pub(super) async fn connect(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        Self::connect_with(url, timeout, Consistency::REQUIRED).await
    }

    /// Connects, with `timeout` as server selection and connect timeout unless the URL sets
    /// them and [`MAX_POOL_SIZE`] unless the URL sets a pool size, and with `consistency` on
    /// both collections whatever the URL says; then creates the indexes.
    pub(super) async fn connect_with(
        url: &str,
        timeout: Duration,
        consistency: Consistency,
    ) -> Result<Self, StoreError> {
        let shown = StoreUrl::Mongo(url.to_owned()).to_string();
        let context = format!("connecting to `{shown}`");
        let secrets = secrets(url);
        let classify = |err: &mongodb::error::Error| classify_scrubbed(&context, err, &secrets);
        let mut options = ClientOptions::parse(url).await.map_err(|err| {
            if matches!(err.kind.as_ref(), ErrorKind::InvalidArgument { .. }) {
                StoreError::InvalidUrl {
                    url: shown.clone(),
                    reason: scrub(&err.kind.to_string(), &secrets),
                }
            } else {
                classify(&err)
            }
        })?;
        options.server_selection_timeout.get_or_insert(timeout);
        options.connect_timeout.get_or_insert(timeout);
        options.max_pool_size.get_or_insert(MAX_POOL_SIZE);
        options
            .app_name
            .get_or_insert_with(|| "flashsale".to_owned());
        let database = options
            .default_database
            .clone()
            .unwrap_or_else(|| "flashsale".to_owned());
        let client = Client::with_options(options).map_err(|err| classify(&err))?;
        let db = client.database(&database);
        let settings = collection_options(consistency);
        let ops = DriverOps {
            campaigns: db.collection_with_options("campaigns", settings.clone()),
            claims: db.collection_with_options("claims", settings),
            db,
            consistency,
        };
        ops.ensure_indexes(&classify).await?;
        Ok(ops)
    }

    /// Makes the indexes of `claims` what the algorithms need, verified by their key
    /// specification and uniqueness, never by name alone:
    /// - (`campaign_id`, `user_id`) unique: one claim document per user and campaign (I2), the
    ///   serialisation point of a user's tabs;
    /// - (`campaign_id`, `token`), NOT unique: looking a claim up by its token. Tokens stay
    ///   unique without an index: each is 144 random bits, so the chance that two of even a
    ///   billion claims share one is below 10^-20; and a unique index that does not start
    ///   with the shard key (`campaign_id`, `user_id`) cannot exist on a sharded collection.
    ///
    /// The unique index on `token` alone that earlier versions created is dropped: nothing
    /// relies on it (see above), and keeping it would block sharding. Any other unique index,
    /// and an index whose name or keys we use with another shape, is refused with an error
    /// naming it: it could refuse claims the algorithm must be able to write, or fail to
    /// refuse those it relies on being refused. Other non-unique indexes are left alone.
    ///
    /// Creating an existing index is a no-op on `MongoDB`, but `FerretDB` v1 drops the
    /// connection on it, so we list first; two processes racing here both create, which
    /// `MongoDB` accepts for identical specifications.
    /// `classify` words the driver's errors (those of connecting, typically).
    async fn ensure_indexes(
        &self,
        classify: &impl Fn(&mongodb::error::Error) -> StoreError,
    ) -> Result<(), StoreError> {
        const CONTEXT: &str = "checking the indexes of claims";
        let existing = self.list_claim_indexes(classify).await?;
        let mut missing: Vec<&ClaimIndex> = CLAIM_INDEXES.iter().collect();
        for (name, keys, unique) in existing {
            let shape = IndexShape {
                keys: &keys,
                unique,
            };
            if shape.is(&["_id"], true) || shape.is(&["_id"], false) {
                continue;
            }
            if shape.is(LEGACY_TOKEN_INDEX, true) {
                self.claims
                    .drop_index(&name)
                    .await
                    .map_err(|err| classify(&err))?;
                continue;
            }
            let same_keys = CLAIM_INDEXES.iter().find(|w| shape.has_keys(w.keys));
            let same_name = CLAIM_INDEXES.iter().find(|w| w.name == name);
            let problem = match (same_keys, same_name) {
                (Some(wanted), _) if wanted.unique != unique => Some(format!(
                    "index `{name}` on ({}) is {}unique; flashsale needs it {}unique",
                    wanted.keys.join(", "),
                    if unique { "" } else { "not " },
                    if wanted.unique { "" } else { "not " },
                )),
                (Some(wanted), _) => {
                    missing.retain(|m| m.keys != wanted.keys);
                    None
                }
                (None, Some(wanted)) => Some(format!(
                    "index `{name}` has keys ({}); flashsale needs `{name}` on ({}){}",
                    describe_keys(&keys),
                    wanted.keys.join(", "),
                    if wanted.unique { ", unique" } else { "" },
                )),
                (None, None) if unique => Some(format!(
                    "unique index `{name}` on ({}) is not flashsale's: it could refuse claims \
                     flashsale must write, and a unique index not starting with (campaign_id, \
                     user_id) blocks sharding; drop it",
                    describe_keys(&keys),
                )),
                (None, None) => None,
            };
            if let Some(problem) = problem {
                return Err(StoreError::backend(CONTEXT, DriverError(problem)));
            }
        }
        let missing: Vec<IndexModel> = missing
            .into_iter()
            .map(|index| {
                let mut keys = Document::new();
                for key in index.keys {
                    keys.insert(*key, 1_i32);
                }
                IndexModel::builder()
                    .keys(keys)
                    .options(
                        IndexOptions::builder()
                            .unique(index.unique)
                            .name(index.name.to_owned())
                            .build(),
                    )
                    .build()
            })
            .collect();
        if !missing.is_empty() {
            self.claims
                .create_indexes(missing)
                .await
                .map_err(|err| classify(&err))?;
        }
        Ok(())
    }

    /// The indexes of `claims` as (name, keys, unique); none when there is no collection yet.
    async fn list_claim_indexes(
        &self,
        classify: &impl Fn(&mongodb::error::Error) -> StoreError,
    ) -> Result<Vec<(String, Document, bool)>, StoreError> {
        let models: Vec<IndexModel> = match self.claims.list_indexes().await {
            Ok(cursor) => cursor.try_collect().await.map_err(|err| classify(&err))?,
            // No collection yet (NamespaceNotFound): no index either.
            Err(err) if matches!(err.kind.as_ref(), ErrorKind::Command(c) if c.code == 26) => {
                Vec::new()
            }
            Err(err) => return Err(classify(&err)),
        };
        Ok(models
            .into_iter()
            .map(|model| {
                let options = model.options.unwrap_or_default();
                (
                    options.name.unwrap_or_default(),
                    model.keys,
                    options.unique == Some(true),
                )
            })
            .collect())
    }
}

/// An index the algorithms rely on.
pub(super) struct ClaimIndex {
    pub name: &'static str,
    /// Its keys, in order, each ascending.
    pub keys: &'static [&'static str],
    pub unique: bool,
}

/// The indexes of `claims` (see [`DriverOps::ensure_indexes`]).
pub(super) const CLAIM_INDEXES: [ClaimIndex; 2] = [
    ClaimIndex {
        name: "campaign_user",
        keys: &["campaign_id", "user_id"],
        unique: true,
    },
    ClaimIndex {
        name: "campaign_token",
        keys: &["campaign_id", "token"],
        unique: false,
    },
];

/// The keys of the unique index on `token` alone that versions before shard-ready addressing
/// created (named `token`).
pub(super) const LEGACY_TOKEN_INDEX: &[&str] = &["token"];

/// An existing index's keys and uniqueness.
pub(super) struct IndexShape<'a> {
    pub keys: &'a Document,
    pub unique: bool,
}

impl IndexShape<'_> {
    /// Whether the keys are exactly `keys`, in order, each ascending (the server may answer
    /// the direction as an int32, int64 or double).
    pub(super) fn has_keys(&self, keys: &[&str]) -> bool {
        self.keys.len() == keys.len()
            && self.keys.iter().zip(keys).all(|((name, direction), want)| {
                name == want
                    && match direction {
                        Bson::Int32(1) | Bson::Int64(1) => true,
                        Bson::Double(d) => (*d - 1.0).abs() < f64::EPSILON,
                        _ => false,
                    }
            })
    }

    /// Whether this is exactly the index on `keys` with this uniqueness.
    pub(super) fn is(&self, keys: &[&str], unique: bool) -> bool {
        self.unique == unique && self.has_keys(keys)
    }
}

/// An index key specification as an operator reads it: `a, b: -1`.
fn describe_keys(keys: &Document) -> String {
    keys.iter()
        .map(|(name, direction)| match direction {
            Bson::Int32(1) | Bson::Int64(1) => name.clone(),
            Bson::Double(d) if (*d - 1.0).abs() < f64::EPSILON => name.clone(),
            other => format!("{name}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl DriverOps {
    /// The settings both collections run with, as (w, journal, wtimeout, read preference,
    /// read concern), to compare with what a test asked for.
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
        vec![of(&self.campaigns), of(&self.claims)]
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
            "starts_at": {"$lte": now},
            "ends_at": {"$gte": now},
            "remaining": {"$gt": 0_i64},
        };
        let result = self
            .campaigns
            .update_one(filter, doc! {"$inc": {"remaining": -1_i64}})
            .await
            .map_err(|err| classify("reserving a unit", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": id,
            "remaining": seen.remaining,
            "total": seen.total,
            "epoch": seen.epoch,
        };
        let update = doc! {"$set": {"remaining": remaining}, "$inc": {"epoch": 1_i64}};
        let result = self
            .campaigns
            .update_one(filter, update)
            .await
            .map_err(|err| classify("repairing remaining inventory", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        self.claims
            .find_one(doc! {"campaign_id": campaign, "user_id": user})
            .await
            .map_err(|err| classify("reading a claim", &err))
    }

    async fn insert_claim(&self, doc: &ClaimDoc) -> Result<Inserted, StoreError> {
        match self.claims.insert_one(doc).await {
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
        let mut filter = doc! {"campaign_id": campaign};
        if let Some(only) = only {
            filter.insert("status", status(only));
        }
        let count = self
            .claims
            .count_documents(filter)
            .await
            .map_err(|err| classify("counting claims", &err))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }
}

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

    async fn end_campaign(&self, id: &str, now: bson::DateTime) -> Result<(), StoreError> {
        self.campaigns
            .update_one(
                doc! {"_id": id, "ended": false},
                doc! {"$set": {"ended": true, "ended_at": now}},
            )
            .await
            .map_err(|err| classify("ending a campaign", &err))?;
        Ok(())
    }

    async fn add_inventory(
        &self,
        id: &str,
        units: i64,
        max_total: i64,
        op: &str,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        self.campaigns
            .find_one_and_update(
                doc! {"_id": id, "total": {"$lte": max_total}, "ops": {"$ne": op}},
                doc! {
                    "$inc": {"total": units, "remaining": units},
                    "$push": {"ops": {"$each": [op], "$slice": -RECENT_OPS}},
                },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(|err| classify("adding inventory", &err))
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
            .find(doc! {"campaign_id": campaign, "status": status(Status::Claimed)})
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::mongo::ops::TimeSource;

    #[test]
    fn every_guarantee_maps_to_its_collection_option() {
        let options = collection_options(Consistency::REQUIRED);
        let write = options.write_concern.unwrap();
        assert_eq!(write.w, Some(Acknowledgment::Majority));
        assert_eq!(write.journal, Some(true));
        assert_eq!(write.w_timeout, Some(MAJORITY_TIMEOUT));
        assert!(matches!(
            options.selection_criteria,
            Some(SelectionCriteria::ReadPreference(ReadPreference::Primary))
        ));
        assert_eq!(options.read_concern, Some(ReadConcern::majority()));

        let weak = collection_options(Consistency {
            write: WriteLevel::Primary,
            read_from: ReadFrom::Secondary,
            read_level: ReadLevel::Local,
            time: TimeSource::Client,
        });
        assert_eq!(
            weak.write_concern.unwrap().w,
            Some(Acknowledgment::Nodes(1))
        );
        assert!(matches!(
            weak.selection_criteria,
            Some(SelectionCriteria::ReadPreference(
                ReadPreference::Secondary { .. }
            ))
        ));
        assert_eq!(weak.read_concern, Some(ReadConcern::local()));
    }
}
