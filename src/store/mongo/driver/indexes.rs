//! The indexes the algorithms rely on: wanted, compared with what exists, created.

use futures::TryStreamExt as _;
use mongodb::bson::{Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

use super::DriverOps;
use super::error::DriverError;
use crate::store::StoreError;

impl DriverOps {
    /// Makes the indexes of `claims` what the algorithms need, verified by their key
    /// specification and uniqueness, never by name alone:
    /// - (`campaign_id`, `user_id`) unique: one claim document per user and campaign (I2), the
    ///   serialisation point of a user's tabs;
    /// - (`campaign_id`, `token`), NOT unique: looking a claim up by its token. Tokens stay
    ///   unique without an index: each is 144 random bits, so the chance that two of even a
    ///   billion claims share one is below 10^-20; and a unique index that does not start
    ///   with the shard key (`campaign_id`, `user_id`) cannot exist on a sharded collection;
    /// - (`campaign_id`, `claimed_at`), NOT unique: the post-sale report reads a campaign's
    ///   claims in time order through it, so the server sorts nothing in memory;
    /// - (`campaign_id`, `status`, `user_id`), NOT unique: every look at one campaign's claims
    ///   in some statuses goes through it (the expiry sweep's due claims, reconcile's count and
    ///   removal of reservations, the audit, the unfinished returns), and an export of one
    ///   status pages through it in user order.
    ///
    /// A unique index on `token` alone ([`LEGACY_TOKEN_INDEX`]) is dropped: nothing
    /// relies on it (see above), and keeping it would block sharding. Any other unique index,
    /// and an index whose name or keys we use with another shape, is refused with an error
    /// naming it: it could refuse claims the algorithm must be able to write, or fail to
    /// refuse those it relies on being refused. Other non-unique indexes are left alone.
    ///
    /// Creating an existing index is a no-op on `MongoDB`, but `FerretDB` v1 drops the
    /// connection on it, so we list first; two processes racing here both create, which
    /// `MongoDB` accepts for identical specifications.
    /// `classify` words the driver's errors (those of connecting, typically).
    pub(super) async fn ensure_indexes(
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

    /// The events' indexes ([`EVENT_INDEXES`]) and the campaigns' ([`CAMPAIGN_INDEXES`]),
    /// each created when missing.
    pub(super) async fn ensure_event_index(
        &self,
        classify: &impl Fn(&mongodb::error::Error) -> StoreError,
    ) -> Result<(), StoreError> {
        ensure_plain(&self.events, &EVENT_INDEXES, classify).await?;
        ensure_plain(&self.campaigns, &CAMPAIGN_INDEXES, classify).await
    }
}

/// `wanted`, each created on `collection` when missing; listed first, like the claims'
/// indexes, for `FerretDB`.
async fn ensure_plain<T: Send + Sync>(
    collection: &Collection<T>,
    wanted: &[WantedIndex],
    classify: &impl Fn(&mongodb::error::Error) -> StoreError,
) -> Result<(), StoreError> {
    {
        let models = index_models(collection)
            .await
            .map_err(|err| classify(&err))?
            .unwrap_or_default();
        for wanted in wanted {
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
            collection
                .create_index(index)
                .await
                .map_err(|err| classify(&err))?;
        }
        Ok(())
    }
}

impl DriverOps {
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
pub(in crate::store::mongo) async fn index_models<T: Send + Sync>(
    collection: &Collection<T>,
) -> mongodb::error::Result<Option<Vec<IndexModel>>> {
    match collection.list_indexes().await {
        Ok(cursor) => cursor.try_collect().await.map(Some),
        Err(err) if matches!(err.kind.as_ref(), ErrorKind::Command(c) if c.code == 26) => Ok(None),
        Err(err) => Err(err),
    }
}

/// An index the algorithms rely on.
pub(in crate::store::mongo) struct WantedIndex {
    pub name: &'static str,
    /// Its keys, in order, each ascending.
    pub keys: &'static [&'static str],
    pub unique: bool,
}

/// The events' indexes: the unique `entry` (see `lifecycle.rs`: one entry, one event), and
/// (`campaign_id`, `_id`), which serves `events --campaign` and its follow (`_id` is the
/// sequence number): without it a reader of one campaign walks the log of every campaign past
/// its position, on every poll.
pub(in crate::store::mongo) const EVENT_INDEXES: [WantedIndex; 2] = [
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

/// The campaigns' indexes: on the end of their window, through which `serve`'s metrics and
/// expiry sweep list the campaigns not yet ended (`Store::campaigns_ending_from`) every few
/// seconds, so they never read every campaign ever created; and on their creation order, which
/// `campaign list` walks instead of having the server sort every campaign in memory (a sort
/// the server refuses past 100 MB).
pub(in crate::store::mongo) const CAMPAIGN_INDEXES: [WantedIndex; 2] = [
    WantedIndex {
        name: "ends_at_1",
        keys: &["ends_at"],
        unique: false,
    },
    WantedIndex {
        name: "created_at_1__id_1",
        keys: &["created_at", "_id"],
        unique: false,
    },
];

/// The indexes of `claims` (see [`DriverOps::ensure_indexes`]).
pub(in crate::store::mongo) const CLAIM_INDEXES: [WantedIndex; 4] = [
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
    WantedIndex {
        name: "campaign_claimed_at",
        keys: &["campaign_id", "claimed_at"],
        unique: false,
    },
    WantedIndex {
        name: "campaign_status_user",
        keys: &["campaign_id", "status", "user_id"],
        unique: false,
    },
];

/// The keys of a unique index on `token` alone (named `token`), which stores created before
/// shard-ready addressing carry: dropped on open.
pub(in crate::store::mongo) const LEGACY_TOKEN_INDEX: &[&str] = &["token"];

/// An existing index's keys and uniqueness.
pub(in crate::store::mongo) struct IndexShape<'a> {
    pub keys: &'a Document,
    pub unique: bool,
}

impl IndexShape<'_> {
    /// The shape of `model`, its name aside.
    pub(in crate::store::mongo) fn of(model: &IndexModel) -> IndexShape<'_> {
        IndexShape {
            keys: &model.keys,
            unique: model.options.as_ref().and_then(|o| o.unique) == Some(true),
        }
    }

    /// Whether the keys are exactly `keys`, in order, each ascending (the server may answer
    /// the direction as an int32, int64 or double).
    pub(in crate::store::mongo) fn has_keys(&self, keys: &[&str]) -> bool {
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
    pub(in crate::store::mongo) fn is(&self, keys: &[&str], unique: bool) -> bool {
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
