//! The MongoDB store's tests: the claim algorithm over the in-memory model (rushes, single
//! stories, forced interleavings, clocks, costs), and the driver over the wire against
//! `FLASHSALE_TEST_MONGODB_URI`. The helpers every file shares live here.
mod claim_concerns;
mod clock;
mod concerns;
mod cost;
mod guards;
mod in_flight;
mod indexes;
mod intercepted;
mod interleavings;
mod rush;
mod served;
mod stories;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::SliceRandom as _;

use super::DocStore;
use super::claim::{self, Defects, Lease, ServerClock};
use super::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status, date};
use super::model::{CrashOps, Faults, MemoryOps, Snapshot};
use super::ops::{CampaignOps as _, DocOps as _, Seen};
use crate::clock::{Clock, SystemClock};
use crate::domain::{
    Campaign, CampaignChange, CampaignId, CampaignState, ChangeRefusal, ClaimAttempt, ClaimOutcome,
    Conflict, Currency, Decision, MAX_INVENTORY, NewCampaign, Refusal, Units, UserId,
};
use crate::store::{ReconcileMode, Store, StoreError};

/// A claim's answer as a caller sees it.
type Answer = Result<Result<ClaimOutcome, Refusal>, StoreError>;

const ID: &str = "rush";

fn campaign(total: i64, now: DateTime<Utc>) -> Campaign {
    new_campaign(total, now).validate(now).unwrap()
}

/// Campaign [`ID`] with `total` units, opened a minute before `now` for an hour, no hold.
fn new_campaign(total: i64, now: DateTime<Utc>) -> NewCampaign {
    NewCampaign {
        id: CampaignId::parse(ID).unwrap(),
        name: "Rush".into(),
        inventory: Units::new(total).unwrap(),
        percent: "10".parse().unwrap(),
        max_discount: "5".parse().unwrap(),
        min_cart: "10".parse().unwrap(),
        currency: Currency::default(),
        starts_at: Some(now - TimeDelta::minutes(1)),
        ends: crate::domain::Ends::At(now + TimeDelta::hours(1)),
        hold: None,
    }
}

async fn seeded(ops: MemoryOps, total: i64, now: DateTime<Utc>) -> Arc<MemoryOps> {
    ops.insert_campaign(&CampaignDoc::new(&campaign(total, now)))
        .await
        .unwrap();
    Arc::new(ops)
}

fn attempt(user: usize, now: DateTime<Utc>) -> ClaimAttempt {
    ClaimAttempt {
        campaign_id: CampaignId::parse(ID).unwrap(),
        user_id: UserId::parse(&format!("user-{user}")).unwrap(),
        cart: "50".parse().unwrap(),
        now,
    }
}

/// The server's clock as the model keeps it, measured from this machine's.
fn clock() -> ServerClock<SystemClock> {
    ServerClock::new(SystemClock)
}

fn quick_lease() -> Lease {
    Lease {
        stale_after: Duration::from_millis(20),
        poll_min: Duration::from_millis(1),
        poll_max: Duration::from_millis(4),
    }
}

fn patient_lease() -> Lease {
    Lease {
        stale_after: Duration::from_secs(30),
        poll_min: Duration::from_millis(1),
        poll_max: Duration::from_millis(10),
    }
}

/// Runs `test` with the URL of a fresh database on the server named by
/// `FLASHSALE_TEST_MONGODB_URI`, and drops the database afterwards, whatever the test did.
/// A test that calls this is marked ignored when no `MongoDB` is configured (see `build.rs`),
/// so reaching it without one is a failure, never a skip.
async fn over_the_wire<F, Fut>(name: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let uri = match std::env::var("FLASHSALE_TEST_MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => uri,
        _ => panic!(
            "the {name} test needs a MongoDB server: set FLASHSALE_TEST_MONGODB_URI \
             (see CONTRIBUTING.md)"
        ),
    };
    let database = format!("fs_{name}_{}_{}", std::process::id(), rand::random::<u32>());
    let base = uri.split('?').next().unwrap().trim_end_matches('/');
    let base = match base.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap()),
        None => base.to_owned(),
    };
    let url = format!("{base}/{database}");
    let outcome =
        futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(test(url.clone()))).await;
    mongodb::Client::with_uri_str(&url)
        .await
        .unwrap()
        .database(&database)
        .drop()
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
