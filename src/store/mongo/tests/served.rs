//! Every query the store sends is served by an index, judged on the commands every kind of
//! operation sends over the wire (recorded by the driver's command monitoring), against the
//! indexes the server lists once the store has opened: whatever queries a future version
//! sends, each is judged.
//!
//! A query is its collection, its filter's fields compared for equality (a plain value other
//! than a flag, `$eq` or `$in`), its other fields (ranges, `$ne`, `$exists`, an `$or`, a flag
//! such as `returning: true`, `ended: false`) and its sort. An index
//! serves it when either
//! - the index is unique (`_id` always is) and every one of its keys is an equality field: it
//!   picks out one document, whatever else the filter says; or
//! - its first keys are exactly the equality fields (in any order), followed by the sort's
//!   fields in order when it sorts, or, when it neither sorts nor has an equality field, by one
//!   of its range fields.
//!
//! So the server never walks a collection, nor sorts one in memory (a sort over more than
//! 100 MB without an index fails); a residual condition is checked only on the documents the
//! equality fields pick out (one campaign's claims in one status, say).

use std::collections::BTreeSet;

use mongodb::bson::{Bson, Document};

use super::concerns::{Sent, every_operation, recording};
use super::*;
use crate::store::mongo::driver::{DriverOps, index_models};

/// One query as the server plans it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Query {
    collection: String,
    equal: BTreeSet<String>,
    other: BTreeSet<String>,
    sort: Vec<String>,
}

/// The queries known to walk a whole collection, as (collection, exactly their filter's fields),
/// each with what sends it: `events` without `--campaign` first copies the events still
/// pending on any document, found by their presence, which no plain index serves (a sparse
/// index on `pending.id` with the filter on it would). Empty is the goal; the same query with
/// any other field, or a sort, is judged as any other.
const UNSERVED: [(&str, &[&str], &str); 2] = [
    (
        "campaigns",
        &["pending.0"],
        "events of every campaign: finds the documents still carrying pending events",
    ),
    (
        "claims",
        &["pending.0"],
        "events of every campaign: finds the documents still carrying pending events",
    ),
];

/// The queries of `command`: a read's filter and sort, each write's selector.
fn queries(command: &Document) -> Vec<Query> {
    let Some((name, Bson::String(collection))) = command.iter().next() else {
        return Vec::new();
    };
    let of = |filter: Option<&Document>, sort: Option<&Document>| {
        let mut query = Query {
            collection: collection.clone(),
            equal: BTreeSet::new(),
            other: BTreeSet::new(),
            sort: sort
                .map(|s| s.keys().cloned().collect())
                .unwrap_or_default(),
        };
        for (field, value) in filter.into_iter().flatten() {
            let equal = match value {
                Bson::Document(ops) => ops.keys().all(|op| op == "$eq" || op == "$in"),
                // A flag: checked on the documents the other fields pick out.
                Bson::Boolean(_) => false,
                _ => !field.starts_with('$'),
            };
            if equal {
                query.equal.insert(field.clone());
            } else {
                query.other.insert(field.clone());
            }
        }
        query
    };
    let selectors = |list: &str| -> Vec<Query> {
        command
            .get_array(list)
            .map(|all| {
                all.iter()
                    .filter_map(Bson::as_document)
                    .map(|one| of(one.get_document("q").ok(), None))
                    .collect()
            })
            .unwrap_or_default()
    };
    match name.as_str() {
        "find" => vec![of(
            command.get_document("filter").ok(),
            command.get_document("sort").ok(),
        )],
        "count" => vec![of(command.get_document("query").ok(), None)],
        "findAndModify" => vec![of(
            command.get_document("query").ok(),
            command.get_document("sort").ok(),
        )],
        "update" => selectors("updates"),
        "delete" => selectors("deletes"),
        "aggregate" => {
            let first = command
                .get_array("pipeline")
                .ok()
                .and_then(|p| p.first())
                .and_then(Bson::as_document)
                .and_then(|stage| stage.get_document("$match").ok());
            vec![of(first, None)]
        }
        _ => Vec::new(),
    }
}

/// An index as (keys in order, unique).
type Index = (Vec<String>, bool);

/// Whether `index` serves `query` (see the module comment).
fn serves(index: &Index, query: &Query) -> bool {
    let (keys, unique) = index;
    let unique = *unique || keys.as_slice() == ["_id"];
    if unique && keys.iter().all(|k| query.equal.contains(k)) {
        return true;
    }
    let n = query.equal.len();
    if keys.len() < n || keys[..n].iter().collect::<BTreeSet<_>>() != query.equal.iter().collect() {
        return false;
    }
    let rest = &keys[n..];
    if !query.sort.is_empty() {
        return rest.starts_with(&query.sort);
    }
    n > 0 || rest.first().is_some_and(|k| query.other.contains(k))
}

/// Every query sent by every kind of operation is served by an index of its collection.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn every_query_is_served_by_an_index() {
    over_the_wire("served", |url| async move {
        let sent = Sent::default();
        let ops = DriverOps::connect_watched(&url, Duration::from_secs(3), recording(&sent))
            .await
            .unwrap();
        let store = DocStore::new(ops, SystemClock, patient_lease());
        every_operation(&store).await;
        let db = mongodb::Client::with_uri_str(&url)
            .await
            .unwrap()
            .default_database()
            .unwrap();
        let mut indexes: HashMap<String, Vec<Index>> = HashMap::new();
        for collection in ["campaigns", "claims", "events"] {
            let models = index_models(&db.collection::<Document>(collection))
                .await
                .unwrap()
                .unwrap_or_default();
            let listed = models
                .iter()
                .map(|m| {
                    let unique = m.options.as_ref().and_then(|o| o.unique) == Some(true);
                    (m.keys.keys().cloned().collect(), unique)
                })
                .collect();
            indexes.insert(collection.to_owned(), listed);
        }
        let all: BTreeSet<Query> = sent.lock().unwrap().iter().flat_map(queries).collect();
        assert!(all.len() > 10, "{all:#?}");
        let mut unserved = Vec::new();
        for query in &all {
            let listed = indexes.get(&query.collection).cloned().unwrap_or_default();
            let by: Vec<&Index> = listed.iter().filter(|i| serves(i, query)).collect();
            eprintln!("{query:?} served by {by:?}");
            let excused = UNSERVED.iter().any(|(on, fields, _)| {
                *on == query.collection
                    && query.equal.is_empty()
                    && query.sort.is_empty()
                    && query.other.iter().eq(fields.iter().copied())
            });
            if by.is_empty() && !excused {
                unserved.push(query.clone());
            }
        }
        assert!(unserved.is_empty(), "no index serves {unserved:#?}");
    })
    .await;
}

#[test]
fn the_rule_judges_prefixes_sorts_and_point_lookups() {
    let query = |equal: &[&str], other: &[&str], sort: &[&str]| Query {
        collection: "claims".into(),
        equal: equal.iter().map(|s| (*s).to_owned()).collect(),
        other: other.iter().map(|s| (*s).to_owned()).collect(),
        sort: sort.iter().map(|s| (*s).to_owned()).collect(),
    };
    let index = |keys: &[&str], unique| -> Index {
        (keys.iter().map(|s| (*s).to_owned()).collect(), unique)
    };
    let by_user = index(&["campaign_id", "user_id"], true);
    let by_status = index(&["campaign_id", "status", "user_id"], false);
    // A point lookup through a unique index, whatever else the filter checks.
    assert!(serves(
        &by_user,
        &query(&["campaign_id", "user_id", "token", "status"], &[], &[])
    ));
    // Equality fields not all in the prefix: the rest would be walked.
    assert!(!serves(
        &by_user,
        &query(&["campaign_id", "status"], &[], &[])
    ));
    assert!(serves(
        &by_status,
        &query(&["status", "campaign_id"], &["expires_at"], &[])
    ));
    // The sort follows the equality fields, or the server sorts in memory.
    assert!(serves(
        &by_status,
        &query(&["campaign_id", "status"], &[], &["user_id"])
    ));
    assert!(!serves(
        &by_status,
        &query(&["campaign_id"], &[], &["user_id"])
    ));
    // No equality: a sort or a range must lead the index.
    assert!(serves(
        &index(&["_id"], false),
        &query(&[], &["_id"], &["_id"])
    ));
    assert!(serves(
        &index(&["ends_at"], false),
        &query(&[], &["ends_at"], &[])
    ));
    assert!(!serves(
        &index(&["ends_at"], false),
        &query(&[], &["ends_at"], &["created_at"])
    ));
    assert!(!serves(
        &index(&["_id"], false),
        &query(&[], &[], &["created_at", "_id"])
    ));
}
