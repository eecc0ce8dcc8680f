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

use super::docs::{CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status};
use super::lifecycle_ops::{Appended, EventFilter, LifecycleOps, Schedule, Source};
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
    events: Collection<EventDoc>,
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
    status.as_str()
}

/// A pending event as the BSON a `$push` carries.
fn entry(event: &PendingEvent, context: &str) -> Result<Bson, StoreError> {
    bson::to_bson(event).map_err(|err| StoreError::backend(context, err))
}

/// The filter of the documents that hold or may hold a unit (see `DocOps::count_claims`).
fn may_hold(campaign: &str) -> Document {
    doc! {
        "campaign_id": campaign,
        "$or": [
            {"status": {"$in": [
                status(Status::Reserving), status(Status::Claimed), status(Status::Redeemed),
            ]}},
            {"returning": true},
        ],
    }
}

/// How many returned tokens a campaign keeps: a return is finished again only after a crash
/// or an unknown outcome, seconds after the first try, long before this many other returns.
const RECENT_RETURNS: i32 = 256;

/// How many documents one look for pending events takes; the rest wait for the next reader.
const PENDING_BATCH: i64 = 1_000;

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
            claims: db.collection_with_options("claims", settings.clone()),
            events: db.collection_with_options("events", settings),
            db,
            consistency,
        };
        ops.ensure_indexes(&classify).await?;
        ops.ensure_event_index(&classify).await?;
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
        let mut missing: Vec<&WantedIndex> = CLAIM_INDEXES.iter().collect();
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

    /// The events' indexes ([`EVENT_INDEXES`]), each created when missing; listed first, like
    /// the claims' indexes, for `FerretDB`.
    async fn ensure_event_index(
        &self,
        classify: &impl Fn(&mongodb::error::Error) -> StoreError,
    ) -> Result<(), StoreError> {
        let models = index_models(&self.events)
            .await
            .map_err(|err| classify(&err))?
            .unwrap_or_default();
        for wanted in &EVENT_INDEXES {
            let present = models
                .iter()
                .any(|model| IndexShape::of(model).is(wanted.keys, wanted.unique));
            if present {
                continue;
            }
            let mut spec = Document::new();
            for key in wanted.keys {
                spec.insert(*key, 1_i32);
            }
            let index = IndexModel::builder()
                .keys(spec)
                .options(
                    IndexOptions::builder()
                        .unique(wanted.unique)
                        .name(wanted.name.to_owned())
                        .build(),
                )
                .build();
            self.events
                .create_index(index)
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
        let models = index_models(&self.claims)
            .await
            .map_err(|err| classify(&err))?
            .unwrap_or_default();
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

/// The indexes of `collection`; `None` when there is no such collection yet (the server
/// answers `NamespaceNotFound`: no collection, no index either).
pub(super) async fn index_models<T: Send + Sync>(
    collection: &Collection<T>,
) -> mongodb::error::Result<Option<Vec<IndexModel>>> {
    match collection.list_indexes().await {
        Ok(cursor) => cursor.try_collect().await.map(Some),
        Err(err) if matches!(err.kind.as_ref(), ErrorKind::Command(c) if c.code == 26) => Ok(None),
        Err(err) => Err(err),
    }
}

/// An index the algorithms rely on.
pub(super) struct WantedIndex {
    pub name: &'static str,
    /// Its keys, in order, each ascending.
    pub keys: &'static [&'static str],
    pub unique: bool,
}

/// The events' indexes: the unique `entry` (see `lifecycle.rs`: one entry, one event), and
/// (`campaign_id`, `_id`), which serves `events --campaign` and its follow (`_id` is the
/// sequence number): without it a reader of one campaign walks the log of every campaign past
/// its position, on every poll.
pub(super) const EVENT_INDEXES: [WantedIndex; 2] = [
    WantedIndex {
        name: "entry_1",
        keys: &["entry"],
        unique: true,
    },
    WantedIndex {
        name: "campaign_id_1__id_1",
        keys: &["campaign_id", "_id"],
        unique: false,
    },
];

/// The indexes of `claims` (see [`DriverOps::ensure_indexes`]).
pub(super) const CLAIM_INDEXES: [WantedIndex; 2] = [
    WantedIndex {
        name: "campaign_user",
        keys: &["campaign_id", "user_id"],
        unique: true,
    },
    WantedIndex {
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
    /// The shape of `model`, its name aside.
    pub(super) fn of(model: &IndexModel) -> IndexShape<'_> {
        IndexShape {
            keys: &model.keys,
            unique: model.options.as_ref().and_then(|o| o.unique) == Some(true),
        }
    }

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
            "paused": {"$ne": true},
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
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        let context = "repairing remaining inventory";
        let filter = doc! {
            "_id": id,
            "remaining": seen.remaining,
            "total": seen.total,
            "epoch": seen.epoch,
        };
        let mut update = doc! {"$set": {"remaining": remaining}, "$inc": {"epoch": 1_i64}};
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
                "status": {"$in": [status(Status::Claimed), status(Status::Redeemed)]},
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

impl LifecycleOps for DriverOps {
    async fn find_claim_by_token(
        &self,
        campaign: &str,
        token: &str,
    ) -> Result<Option<ClaimDoc>, StoreError> {
        self.claims
            .find_one(doc! {
                "campaign_id": campaign,
                "token": token,
                "status": {"$ne": status(Status::Reserving)},
            })
            .await
            .map_err(|err| classify("reading a claim", &err))
    }

    async fn move_claim(
        &self,
        before: &ClaimDoc,
        only: Option<Status>,
        after: &ClaimDoc,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let context = "changing a claim";
        let optional = |value: Option<Bson>| value.unwrap_or(Bson::Null);
        let mut filter = doc! {
            "campaign_id": &before.campaign_id,
            "user_id": &before.user_id,
            "token": &before.token,
        };
        if let Some(only) = only {
            filter.insert("status", status(only));
        }
        let result = self
            .claims
            .update_one(
                filter,
                doc! {
                    "$set": {
                        "status": status(after.status),
                        "order_id": optional(after.order_id.clone().map(Bson::String)),
                        "redeemed_cart_cents": optional(after.redeemed_cart_cents.map(Bson::Int64)),
                        "redeemed_discount_cents":
                            optional(after.redeemed_discount_cents.map(Bson::Int64)),
                        "redeemed_at": optional(after.redeemed_at.map(Bson::DateTime)),
                        "returning": after.returning,
                    },
                    "$push": {"pending": entry(event, context)?},
                },
            )
            .await
            .map_err(|err| classify(context, &err))?;
        Ok(result.matched_count == 1)
    }

    async fn return_unit(&self, campaign: &str, token: &str) -> Result<bool, StoreError> {
        let result = self
            .campaigns
            .update_one(
                doc! {"_id": campaign, "returns": {"$ne": token}},
                doc! {
                    "$inc": {"remaining": 1_i64, "epoch": 1_i64},
                    "$push": {"returns": {"$each": [token], "$slice": -RECENT_RETURNS}},
                },
            )
            .await
            .map_err(|err| classify("returning a unit", &err))?;
        Ok(result.matched_count == 1)
    }

    async fn returned(&self, campaign: &str, user: &str, token: &str) -> Result<(), StoreError> {
        self.claims
            .update_one(
                doc! {"campaign_id": campaign, "user_id": user, "token": token},
                doc! {"$set": {"returning": false}},
            )
            .await
            .map_err(|err| classify("returning a unit", &err))?;
        Ok(())
    }

    async fn returning(&self, campaign: &str, limit: i64) -> Result<Vec<ClaimDoc>, StoreError> {
        let context = "finishing returns";
        collect(
            self.claims
                .find(doc! {"campaign_id": campaign, "returning": true})
                .limit(limit)
                .await,
            context,
        )
        .await
    }

    async fn due(
        &self,
        campaign: &str,
        now: bson::DateTime,
        limit: i64,
    ) -> Result<Vec<ClaimDoc>, StoreError> {
        collect(
            self.claims
                .find(doc! {
                    "campaign_id": campaign,
                    "status": status(Status::Claimed),
                    "expires_at": {"$lt": now},
                })
                .limit(limit)
                .await,
            "expiring holds",
        )
        .await
    }

    async fn count_holding(&self, campaign: &str) -> Result<i64, StoreError> {
        let count = self
            .claims
            .count_documents(doc! {
                "campaign_id": campaign,
                "status": {"$in": [status(Status::Claimed), status(Status::Redeemed)]},
            })
            .await
            .map_err(|err| classify("counting claims", &err))?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    }

    async fn reschedule(
        &self,
        id: &str,
        seen: Schedule,
        to: Schedule,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let context = "changing a campaign";
        let result = self
            .campaigns
            .update_one(
                doc! {
                    "_id": id,
                    "ended": false,
                    "paused": seen.paused,
                    "ends_at": seen.ends_at,
                },
                doc! {
                    "$set": {"paused": to.paused, "ends_at": to.ends_at},
                    "$push": {"pending": entry(event, context)?},
                },
            )
            .await
            .map_err(|err| classify(context, &err))?;
        Ok(result.matched_count == 1)
    }

    async fn remove_inventory(
        &self,
        id: &str,
        units: i64,
        op: &str,
        event: &PendingEvent,
    ) -> Result<Option<CampaignDoc>, StoreError> {
        let context = "removing inventory";
        self.campaigns
            .find_one_and_update(
                doc! {
                    "_id": id,
                    "remaining": {"$gte": units},
                    "total": {"$gt": units},
                    "ops": {"$ne": op},
                },
                doc! {
                    "$inc": {"total": -units, "remaining": -units},
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

    async fn claims_page(
        &self,
        campaign: &str,
        only: Option<Status>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ClaimDoc>, StoreError> {
        let mut filter = doc! {"campaign_id": campaign};
        match only {
            Some(only) => filter.insert("status", status(only)),
            None => filter.insert("status", doc! {"$ne": status(Status::Reserving)}),
        };
        if let Some(after) = after {
            filter.insert("user_id", doc! {"$gt": after});
        }
        collect(
            self.claims
                .find(filter)
                .sort(doc! {"user_id": 1})
                .limit(limit)
                .await,
            "exporting claims",
        )
        .await
    }

    async fn pending(
        &self,
        campaign: Option<&str>,
    ) -> Result<Vec<(Source, PendingEvent)>, StoreError> {
        let context = "reading pending events";
        let mut claims = doc! {"pending.0": {"$exists": true}};
        let mut campaigns = claims.clone();
        if let Some(campaign) = campaign {
            claims.insert("campaign_id", campaign);
            campaigns.insert("_id", campaign);
        }
        let mut all = Vec::new();
        for doc in collect(
            self.campaigns.find(campaigns).limit(PENDING_BATCH).await,
            context,
        )
        .await?
        {
            let source = Source::Campaign(doc.id.clone());
            all.extend(doc.pending.into_iter().map(|e| (source.clone(), e)));
        }
        for doc in collect(self.claims.find(claims).limit(PENDING_BATCH).await, context).await? {
            let source = Source::Claim(doc.campaign_id.clone(), doc.user_id.clone());
            all.extend(doc.pending.into_iter().map(|e| (source.clone(), e)));
        }
        Ok(all)
    }

    async fn next_seq(&self) -> Result<i64, StoreError> {
        let last = self
            .events
            .find_one(doc! {})
            .sort(doc! {"_id": -1})
            .await
            .map_err(|err| classify("numbering an event", &err))?;
        Ok(last.map_or(1, |e| e.seq + 1))
    }

    async fn insert_event(&self, doc: &EventDoc) -> Result<Appended, StoreError> {
        let context = "recording an event";
        match self.events.insert_one(doc).await {
            Ok(_) => Ok(Appended::Yes),
            Err(err) if is_duplicate(&err) => {
                let copied = self
                    .events
                    .find_one(doc! {"entry": &doc.entry})
                    .await
                    .map_err(|err| classify(context, &err))?;
                Ok(if copied.is_some() {
                    Appended::AlreadyCopied
                } else {
                    Appended::PositionTaken
                })
            }
            Err(err) => Err(classify(context, &err)),
        }
    }

    async fn unpend(&self, source: &Source, id: &str) -> Result<(), StoreError> {
        let context = "recording an event";
        let update = doc! {"$pull": {"pending": {"id": id}}};
        let result = match source {
            Source::Campaign(campaign) => {
                self.campaigns
                    .update_one(doc! {"_id": campaign}, update)
                    .await
            }
            Source::Claim(campaign, user) => {
                self.claims
                    .update_one(doc! {"campaign_id": campaign, "user_id": user}, update)
                    .await
            }
        };
        result.map_err(|err| classify(context, &err))?;
        Ok(())
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventDoc>, StoreError> {
        let mut query = doc! {"_id": {"$gt": filter.after_seq}};
        if let Some(campaign) = &filter.campaign {
            query.insert("campaign_id", campaign.as_str());
        }
        if let Some(since) = filter.since {
            query.insert("at", doc! {"$gte": since});
        }
        collect(
            self.events
                .find(query)
                .sort(doc! {"_id": 1})
                .limit(filter.limit)
                .await,
            "reading events",
        )
        .await
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
