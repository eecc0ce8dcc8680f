//! The indexes the store creates, verifies and refuses, over the wire.

use super::*;

/// The indexes of `claims` as (name, keys, unique), sorted by name.
async fn claim_indexes(url: &str) -> Vec<(String, String, bool)> {
    indexes(url, "claims").await
}

/// The indexes of `collection` as (name, keys, unique), sorted by name.
async fn indexes(url: &str, collection: &str) -> Vec<(String, String, bool)> {
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    let claims = client
        .default_database()
        .unwrap()
        .collection::<mongodb::bson::Document>(collection);
    let models: Vec<mongodb::IndexModel> =
        futures::TryStreamExt::try_collect(claims.list_indexes().await.unwrap())
            .await
            .unwrap();
    let mut found: Vec<_> = models
        .into_iter()
        .map(|m| {
            let options = m.options.unwrap_or_default();
            let keys: Vec<&str> = m.keys.keys().map(String::as_str).collect();
            (
                options.name.unwrap_or_default(),
                keys.join(","),
                options.unique == Some(true),
            )
        })
        .collect();
    found.sort();
    found
}

/// Creates `index` on `claims` directly, as another version or an operator would have.
async fn create_index(url: &str, keys: mongodb::bson::Document, name: &str, unique: bool) {
    create_index_on(url, "claims", keys, name, unique).await;
}

/// Creates `index` on `collection` directly.
async fn create_index_on(
    url: &str,
    collection: &str,
    keys: mongodb::bson::Document,
    name: &str,
    unique: bool,
) {
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    client
        .default_database()
        .unwrap()
        .collection::<mongodb::bson::Document>(collection)
        .create_index(
            mongodb::IndexModel::builder()
                .keys(keys)
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name(name.to_owned())
                        .unique(unique)
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
}

fn ours() -> Vec<(String, String, bool)> {
    vec![
        ("_id_".into(), "_id".into(), false),
        (
            "campaign_claimed_at".into(),
            "campaign_id,claimed_at".into(),
            false,
        ),
        (
            "campaign_status_user".into(),
            "campaign_id,status,user_id".into(),
            false,
        ),
        ("campaign_token".into(), "campaign_id,token".into(), false),
        ("campaign_user".into(), "campaign_id,user_id".into(), true),
    ]
}

#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn a_store_with_a_unique_token_index_opens_without_it() {
    over_the_wire("legacy_indexes", |url| async move {
        // The indexes of a store created before shard-ready addressing.
        create_index(
            &url,
            mongodb::bson::doc! {"campaign_id": 1, "user_id": 1},
            "campaign_user",
            true,
        )
        .await;
        create_index(&url, mongodb::bson::doc! {"token": 1}, "token", true).await;
        crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(claim_indexes(&url).await, ours());
        // Opening again changes nothing.
        crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(claim_indexes(&url).await, ours());
    })
    .await;
}

/// The events get both their indexes when the store opens; a store with only the unique
/// `entry` index gets the (`campaign_id`, `_id`) one that
/// `events --campaign` reads through. Opening again changes nothing.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn the_events_get_their_indexes_when_the_store_opens() {
    over_the_wire("event_indexes", |url| async move {
        create_index_on(
            &url,
            "events",
            mongodb::bson::doc! {"entry": 1},
            "entry_1",
            true,
        )
        .await;
        let expected: Vec<(String, String, bool)> = vec![
            ("_id_".into(), "_id".into(), false),
            (
                "campaign_id_1__id_1".into(),
                "campaign_id,_id".into(),
                false,
            ),
            ("entry_1".into(), "entry".into(), true),
        ];
        for _ in 0..2 {
            crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
                .await
                .unwrap();
            assert_eq!(indexes(&url, "events").await, expected);
        }
    })
    .await;
}

/// `doctor` reports the events' indexes: all there is ok; without (`campaign_id`, `_id`) a
/// warning (readers of one campaign are slow); without the unique `entry` a failure (a copied
/// entry could become two events).
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn doctor_checks_the_events_indexes() {
    over_the_wire("doctor_events", |url| async move {
        crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let indexes = || async {
            crate::store::mongo::diagnose(&url, crate::store::mongo::MongoSettings::default())
                .await
                .into_iter()
                .find(|check| check.check == "indexes")
                .unwrap()
        };
        let whole = indexes().await;
        assert_eq!(whole.status, crate::store::doctor::Status::Ok, "{whole:?}");
        assert!(
            whole.detail.ends_with(
                "events: entry_1 unique (entry), campaign_id_1__id_1 (campaign_id, _id); \
                 campaigns: ends_at_1 (ends_at), created_at_1__id_1 (created_at, _id)"
            ),
            "{whole:?}"
        );
        let events = mongodb::Client::with_uri_str(&url)
            .await
            .unwrap()
            .default_database()
            .unwrap()
            .collection::<mongodb::bson::Document>("events");
        events.drop_index("campaign_id_1__id_1").await.unwrap();
        let slow = indexes().await;
        assert_eq!(slow.status, crate::store::doctor::Status::Warn, "{slow:?}");
        assert!(
            slow.detail
                .contains("events lacks `campaign_id_1__id_1` on (campaign_id, _id)"),
            "{slow:?}"
        );
        events.drop_index("entry_1").await.unwrap();
        let unsafe_log = indexes().await;
        assert_eq!(
            (unsafe_log.status, unsafe_log.detail.as_str()),
            (
                crate::store::doctor::Status::Fail,
                "events lacks unique (entry): a command that opens the store creates it"
            )
        );
    })
    .await;
}

/// Opening a store whose `claims` has `index` fails, naming it and what differs.
async fn refused_index(
    name: &str,
    keys: mongodb::bson::Document,
    index: &str,
    unique: bool,
) -> String {
    let message = Arc::new(std::sync::Mutex::new(String::new()));
    let out = Arc::clone(&message);
    over_the_wire(name, |url| async move {
        create_index(&url, keys, index, unique).await;
        let err = crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .err()
            .expect("opened a store with a wrong index");
        *out.lock().unwrap() = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    })
    .await;
    message.lock().unwrap().clone()
}

#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn an_index_is_verified_by_its_specification_not_its_name() {
    use mongodb::bson::doc;
    assert_eq!(
        refused_index(
            "idx_not_unique",
            doc! {"campaign_id": 1, "user_id": 1},
            "by_user",
            false
        )
        .await,
        "store error while checking the indexes of claims: index `by_user` on (campaign_id, \
         user_id) is not unique; flashsale needs it unique"
    );
    assert_eq!(
        refused_index("idx_other_keys", doc! {"user_id": 1}, "campaign_user", true).await,
        "store error while checking the indexes of claims: index `campaign_user` has keys \
         (user_id); flashsale needs `campaign_user` on (campaign_id, user_id), unique"
    );
    assert_eq!(
        refused_index(
            "idx_foreign_unique",
            doc! {"user_id": 1, "campaign_id": -1},
            "mine",
            true
        )
        .await,
        "store error while checking the indexes of claims: unique index `mine` on (user_id, \
         campaign_id: -1) is not flashsale's: it could refuse claims flashsale must write, and \
         a unique index not starting with (campaign_id, user_id) blocks sharding; drop it"
    );
}
