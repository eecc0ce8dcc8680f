//! The guards of the driver's conditional writes over the wire, each on its own: a request at a
//! time never races, so a guard that only matters in a race (a pause landing between a claim's
//! read of the campaign and its decrement, say) is shown by calling the driver's step directly
//! on a document that breaks that guard alone.

use super::*;
use crate::domain::{Actor, Stamp};
use crate::store::mongo::driver::DriverOps;
use mongodb::bson;

/// A claim's decrement takes a unit only from a campaign that is not ended, not paused, started
/// (its start included), not past its end (its end included) and not sold out: each guard
/// refuses on its own, and leaves the document as it was.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn the_decrement_holds_each_guard_alone() {
    over_the_wire("guards", |url| async move {
        let ops = DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let now = SystemClock.now();
        let base = CampaignDoc::new(&campaign(2, now));
        let (starts, ends) = (base.starts_at, base.ends_at);
        let cases: [(&str, CampaignDoc, bson::DateTime, bool); 7] = [
            ("live", base.clone(), date(now), true),
            ("at its start", base.clone(), starts, true),
            ("at its end", base.clone(), ends, true),
            (
                "ended",
                CampaignDoc {
                    ended: true,
                    ..base.clone()
                },
                date(now),
                false,
            ),
            (
                "paused",
                CampaignDoc {
                    paused: true,
                    ..base.clone()
                },
                date(now),
                false,
            ),
            (
                "sold out",
                CampaignDoc {
                    remaining: 0,
                    held: Some(2),
                    ..base.clone()
                },
                date(now),
                false,
            ),
            (
                "past its end",
                base.clone(),
                bson::DateTime::from_millis(ends.timestamp_millis() + 1),
                false,
            ),
        ];
        for (i, (case, doc, at, takes)) in cases.into_iter().enumerate() {
            let id = format!("case-{i}");
            ops.insert_campaign(&CampaignDoc {
                id: id.clone(),
                ..doc
            })
            .await
            .unwrap();
            let before = ops.find_campaign(&id).await.unwrap().unwrap();
            assert_eq!(ops.reserve_unit(&id, at).await.unwrap(), takes, "{case}");
            let after = ops.find_campaign(&id).await.unwrap().unwrap();
            if takes {
                assert_eq!(after.remaining, before.remaining - 1, "{case}");
            } else {
                assert_eq!(after, before, "{case}");
            }
        }
        // Before its start: the same instant, a millisecond earlier.
        let early = bson::DateTime::from_millis(starts.timestamp_millis() - 1);
        assert!(!ops.reserve_unit("case-0", early).await.unwrap(), "early");
    })
    .await;
}

/// `inventory reconcile --apply` deletes the reservations left past the lease and nothing
/// else: claims made (claimed, redeemed) long before the lease began are kept, and so is a
/// reservation still within it.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn reconcile_deletes_only_reservations_past_the_lease() {
    over_the_wire("stale_only", |url| async move {
        let ops = DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let lease = Lease {
            stale_after: Duration::from_millis(300),
            ..patient_lease()
        };
        let store = DocStore::new(ops.clone(), SystemClock, lease);
        let now = SystemClock.now();
        let stamp = Stamp {
            actor: Actor::parse("ops").unwrap(),
            at: now,
        };
        let id = CampaignId::parse(ID).unwrap();
        Store::create_campaign(&store, &campaign(4, now), &stamp)
            .await
            .unwrap();
        for user in [1, 2] {
            assert!(matches!(
                Store::claim(&store, &attempt(user, now)).await.unwrap(),
                Decision::Grant(_)
            ));
        }
        // A reservation whose request crashed after its decrement, long ago...
        let grant =
            |user| attempt(user, now).grant("5".parse().unwrap(), crate::random::token(now));
        let stale = ClaimDoc::reserving(&grant(3), now - TimeDelta::minutes(5));
        ops.insert_claim(&stale).await.unwrap();
        assert!(ops.reserve_unit(ID, date(now)).await.unwrap());
        // ... while the claims age past the lease; then one still within it.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let fresh = ClaimDoc::reserving(&grant(4), SystemClock.now());
        ops.insert_claim(&fresh).await.unwrap();
        Store::reconcile(&store, &id, ReconcileMode::Apply, &stamp)
            .await
            .unwrap()
            .unwrap();
        for user in ["user-1", "user-2"] {
            let kept = ops.find_claim(ID, user).await.unwrap();
            assert_eq!(
                kept.map(|c| c.status),
                Some(Status::Claimed),
                "{user}'s claim"
            );
        }
        assert_eq!(ops.find_claim(ID, "user-3").await.unwrap(), None, "stale");
        assert!(
            ops.find_claim(ID, "user-4").await.unwrap().is_some(),
            "fresh"
        );
    })
    .await;
}
