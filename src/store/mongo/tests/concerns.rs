//! Every command the store sends, as the driver's command monitoring records it over the wire:
//! each carries the guarantees `ops::Consistency` promises, whatever the URL asks for, on every
//! collection, through every kind of operation.
//!
//! The rule is judged per command by its name and collection, never against a list of the
//! commands an operation is expected to send, so it holds for whatever commands a future
//! version of an operation sends:
//! - a command that writes (`insert`, `update`, `delete`, `findAndModify`, `createIndexes`,
//!   `dropIndexes`) carries write concern majority, journaled; but for the claim's reservation
//!   (an insert into `claims` of a `reserving` document), which the primary alone
//!   acknowledges (`claim.rs` says why a rolled-back reservation costs at most a stranded unit),
//!   and which `claim_concerns` pins exactly;
//! - a command that reads documents (`find`, `aggregate`, `count`, `distinct`) carries read
//!   concern majority, on every collection: each of the store's reads on `campaigns` and
//!   `claims` feeds a decision (a claim's, a transition's, reconcile's count), and the reads of
//!   `events` hand out positions a follower resumes from, which a rollback must not take back;
//!   only the catalogue reads (`listIndexes`, `listCollections`), which take no read concern,
//!   are exempt;
//! - every command goes to the primary: its read preference, if any, is `primary`.
//!
//! The scenario runs through [`DocStore`] over the real driver (as `MongoStore` does), plus
//! `doctor`, against `FerretDB` or `MongoDB`, with a URL asking for weaker guarantees.

use std::sync::Mutex;

use mongodb::bson::{Bson, Document};

use super::*;
use crate::domain::{
    Actor, BucketWidth, ClaimKey, ClaimStatus, EventQuery, ExportPage, Hold, OrderId,
    RedeemAttempt, Stamp, Verdict, VoidAttempt,
};
use crate::store::mongo::driver::DriverOps;

/// The commands a client sent, in order, each as the document on the wire.
pub(super) type Sent = Arc<Mutex<Vec<Document>>>;

pub(super) fn recording(
    sent: &Sent,
) -> mongodb::event::EventHandler<mongodb::event::command::CommandEvent> {
    let sent = Arc::clone(sent);
    mongodb::event::EventHandler::callback(move |event| {
        if let mongodb::event::command::CommandEvent::Started(started) = event {
            sent.lock().unwrap().push(started.command);
        }
    })
}

/// A URL asking for everything weaker than the store needs, which the store must override,
/// and naming the replica set when the server is a member of one: the driver puts a read
/// preference on the wire only for a replica set or a `mongos`, never for a standalone, so only
/// there does a read sent elsewhere than the primary show.
async fn weak(url: &str) -> String {
    let hello = mongodb::Client::with_uri_str(url)
        .await
        .unwrap()
        .database("admin")
        .run_command(mongodb::bson::doc! {"hello": 1})
        .await
        .unwrap();
    let set = match hello.get_str("setName") {
        Ok(name) => format!("&replicaSet={name}"),
        Err(_) => String::new(),
    };
    format!("{url}?w=1&journal=false&readConcernLevel=local&readPreference=secondaryPreferred{set}")
}

const WRITES: [&str; 6] = [
    "insert",
    "update",
    "delete",
    "findAndModify",
    "createIndexes",
    "dropIndexes",
];
const READS: [&str; 4] = ["find", "aggregate", "count", "distinct"];

/// A command's name (its first key) and collection (that key's value, when a string).
pub(super) fn name_of(command: &Document) -> (String, String) {
    let Some((name, value)) = command.iter().next() else {
        return (String::new(), String::new());
    };
    let collection = match value {
        Bson::String(collection) => collection.clone(),
        _ => String::new(),
    };
    (name.clone(), collection)
}

/// Whether `command` is a claim's reservation: an insert into `claims` of `reserving`
/// documents only.
fn is_reservation(command: &Document) -> bool {
    let (name, collection) = name_of(command);
    name == "insert"
        && collection == "claims"
        && command.get_array("documents").is_ok_and(|documents| {
            !documents.is_empty()
                && documents.iter().all(|document| {
                    document
                        .as_document()
                        .is_some_and(|d| d.get_str("status") == Ok("reserving"))
                })
        })
}

/// What is wrong with `command`, by the rules of the module comment; empty when nothing is.
fn violations(command: &Document) -> Vec<String> {
    let (name, collection) = name_of(command);
    let mut wrong = Vec::new();
    if WRITES.contains(&name.as_str()) && !is_reservation(command) {
        let concern = command.get_document("writeConcern").ok();
        let w = concern.and_then(|c| c.get("w"));
        let j = concern.and_then(|c| c.get("j"));
        if w != Some(&Bson::String("majority".into())) || j != Some(&Bson::Boolean(true)) {
            wrong.push(format!(
                "{name} on {collection}: write concern {concern:?}, not majority journaled"
            ));
        }
    }
    if READS.contains(&name.as_str()) {
        let level = command
            .get_document("readConcern")
            .ok()
            .and_then(|c| c.get_str("level").ok());
        if level != Some("majority") {
            wrong.push(format!(
                "{name} on {collection}: read concern {level:?}, not majority"
            ));
        }
    }
    // The driver ends its sessions on shutdown wherever it can reach; that reads nothing.
    if let Ok(preference) = command.get_document("$readPreference")
        && preference.get_str("mode") != Ok("primary")
        && name != "endSessions"
    {
        wrong.push(format!(
            "{name} on {collection}: read preference {preference}, not primary"
        ));
    }
    wrong
}

/// Every kind of store operation, one at a time, through `store`.
pub(super) async fn every_operation(store: &DocStore<DriverOps, SystemClock>) {
    let now = SystemClock.now();
    let stamp = |at| Stamp {
        actor: Actor::parse("operator").unwrap(),
        at,
    };
    let id = CampaignId::parse(ID).unwrap();
    let hold = Hold::from_seconds(60).unwrap();
    let with_hold = NewCampaign {
        hold: Some(hold),
        ..new_campaign(2, now)
    }
    .validate(now)
    .unwrap();
    assert_eq!(
        Store::create_campaign(store, &with_hold, &stamp(now))
            .await
            .unwrap(),
        None
    );
    Store::now(store, now).await.unwrap();
    Store::campaign(store, &id).await.unwrap().unwrap();
    assert_eq!(Store::campaigns(store).await.unwrap().len(), 1);
    Store::campaigns_ending_from(store, now).await.unwrap();

    // Claims: two granted, one replayed, one refused (sold out).
    let grant = async |user| match Store::claim(store, &attempt(user, now)).await.unwrap() {
        Decision::Grant(claim) => claim,
        other => panic!("user {user} was answered {other:?}"),
    };
    let first = grant(1).await;
    let second = grant(2).await;
    assert!(matches!(
        Store::claim(store, &attempt(1, now)).await.unwrap(),
        Decision::Replay(_)
    ));
    assert_eq!(
        Store::claim(store, &attempt(3, now)).await.unwrap(),
        Decision::Refuse(Refusal::SoldOut)
    );
    Store::claim_of(store, &id, &first.user_id)
        .await
        .unwrap()
        .unwrap();
    Store::claim_by_token(store, &id, &first.token)
        .await
        .unwrap()
        .unwrap();

    // The lifecycle: a redeem, a void, an operator's changes, an expiry.
    let redeem = RedeemAttempt {
        campaign_id: id.clone(),
        token: first.token.clone(),
        owner: Some(first.user_id.clone()),
        order_id: OrderId::parse("order-1").unwrap(),
        cart: "50".parse().unwrap(),
        stamp: stamp(now),
    };
    assert!(matches!(
        Store::redeem(store, &redeem).await.unwrap(),
        Verdict::Change { .. }
    ));
    let void = VoidAttempt {
        campaign_id: id.clone(),
        key: ClaimKey::User(second.user_id.clone()),
        reason: None,
        stamp: stamp(now),
    };
    assert!(matches!(
        Store::void(store, &void).await.unwrap(),
        Verdict::Change { .. }
    ));
    for change in [
        CampaignChange::AddInventory(Units::new(2).unwrap()),
        CampaignChange::RemoveInventory(Units::new(1).unwrap()),
        CampaignChange::Pause,
        CampaignChange::Resume,
        CampaignChange::ExtendBy(TimeDelta::minutes(5)),
    ] {
        Store::change_campaign(store, &id, &change, &stamp(now))
            .await
            .unwrap()
            .unwrap();
    }
    grant(3).await;
    let later = now + TimeDelta::seconds(61);
    assert_eq!(
        Store::expire_holds(store, &id, &stamp(later))
            .await
            .unwrap(),
        Some(1)
    );

    // Reconcile, dry and applied; the audit.
    for mode in [ReconcileMode::Report, ReconcileMode::Apply] {
        Store::reconcile(store, &id, mode, &stamp(now))
            .await
            .unwrap()
            .unwrap();
    }
    Store::audit(store, &id).await.unwrap().unwrap();

    // The events log, of one campaign and of all, and followed from a position.
    let query = |campaign: Option<CampaignId>, after_seq| EventQuery {
        campaign,
        after_seq,
        since: None,
        limit: 100,
    };
    let log = Store::events(store, &query(Some(id.clone()), 0))
        .await
        .unwrap();
    assert!(log.len() > 5, "{log:?}");
    Store::events(store, &query(None, 0)).await.unwrap();
    let last = log.last().unwrap().seq;
    Store::events(store, &query(Some(id.clone()), last))
        .await
        .unwrap();
    Store::events(store, &query(None, last)).await.unwrap();

    // Export (all, and one status, paged), the report; the end; the delete.
    for status in [None, Some(ClaimStatus::Redeemed)] {
        let page = ExportPage {
            campaign: id.clone(),
            status,
            after: None,
            limit: 1,
        };
        let claims = Store::export_page(store, &page).await.unwrap();
        let next = ExportPage {
            after: claims.last().map(|c| c.user_id.clone()),
            ..page
        };
        Store::export_page(store, &next).await.unwrap();
    }
    Store::report(store, &id, BucketWidth::Second)
        .await
        .unwrap()
        .unwrap();
    Store::change_campaign(store, &id, &CampaignChange::End, &stamp(now))
        .await
        .unwrap()
        .unwrap();
    assert!(Store::delete_campaign(store, &id).await.unwrap());
}

/// The rules of the module comment, over every command of every kind of operation and of
/// `doctor`, through a URL asking for `w=1`, no journal, local reads from a secondary.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn every_command_carries_the_required_concerns() {
    over_the_wire("concerns", |url| async move {
        let sent = Sent::default();
        let weak = weak(&url).await;
        let ops = DriverOps::connect_watched(&weak, Duration::from_secs(3), recording(&sent))
            .await
            .unwrap();
        let store = DocStore::new(ops, SystemClock, patient_lease());
        every_operation(&store).await;
        crate::store::mongo::doctor::diagnose_watched(
            &weak,
            crate::store::mongo::MongoSettings::default(),
            recording(&sent),
        )
        .await;
        let sent = sent.lock().unwrap().clone();
        let wrong: Vec<String> = sent.iter().flat_map(violations).collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Not vacuous: each collection was written and read.
        for collection in ["campaigns", "claims", "events"] {
            for kind in [&WRITES[..], &READS[..]] {
                assert!(
                    sent.iter()
                        .map(name_of)
                        .any(|(name, on)| on == collection && kind.contains(&name.as_str())),
                    "no {kind:?} on {collection}"
                );
            }
        }
    })
    .await;
}
