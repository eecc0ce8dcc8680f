//! The write concern each command of a claim carries over the wire: the reservation insert
//! acknowledged by the primary alone, every other write by a journaled majority.

use super::concerns::{Sent, name_of, recording};
use super::*;

/// A command as (its name, its collection, its `writeConcern` as `w`/`j`, or "none" for a
/// command without one).
fn summary(command: &mongodb::bson::Document) -> (String, String, String) {
    let (name, collection) = name_of(command);
    let concern = command.get_document("writeConcern").map_or_else(
        |_| "none".to_owned(),
        |wc| {
            let shown = |key| {
                wc.get(key)
                    .map_or_else(|| "-".to_owned(), ToString::to_string)
            };
            format!("w={} j={}", shown("w"), shown("j"))
        },
    );
    (name, collection, concern)
}

/// A new claim over the real driver: its reads carry no write concern, its reservation
/// insert `w: 1` unjournaled, its decrement and confirm a journaled majority; a replay and a
/// refusal write nothing.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn each_claim_write_carries_its_own_write_concern() {
    over_the_wire("concerns", |url| async move {
        let sent = Sent::default();
        let ops = crate::store::mongo::driver::DriverOps::connect_watched(
            &url,
            Duration::from_secs(3),
            recording(&sent),
        )
        .await
        .unwrap();
        let now = SystemClock.now();
        ops.insert_campaign(&CampaignDoc::new(&campaign(1, now)))
            .await
            .unwrap();
        let (clock, lease) = (clock(), patient_lease());
        clock.now(&ops).await.unwrap();
        let taken = || -> Vec<_> {
            std::mem::take(&mut *sent.lock().unwrap())
                .iter()
                .map(summary)
                .collect()
        };
        taken();
        let mut answers = Vec::new();
        let mut costs = Vec::new();
        for user in [1, 1, 2] {
            let shopper = attempt(user, now);
            let answer = claim::claim(&ops, &clock, &lease, Defects::NONE, &shopper).await;
            answers.push(answer.unwrap());
            let mut cost = taken();
            // The two reads of a and b go out together, in either order.
            cost[..2].sort();
            costs.push(cost);
        }
        assert!(matches!(answers[0], Decision::Grant(_)), "{answers:?}");
        assert!(matches!(answers[1], Decision::Replay(_)), "{answers:?}");
        assert_eq!(answers[2], Decision::Refuse(Refusal::SoldOut));
        let sent = |name: &str, collection: &str, concern: &str| {
            (name.to_owned(), collection.to_owned(), concern.to_owned())
        };
        let reads = [
            sent("find", "campaigns", "none"),
            sent("find", "claims", "none"),
        ];
        let majority = "w=\"majority\" j=true";
        let mut new_claim = reads.to_vec();
        new_claim.extend([
            sent("insert", "claims", "w=1 j=false"),
            sent("update", "campaigns", majority),
            sent("update", "claims", majority),
        ]);
        assert_eq!(costs[0], new_claim, "a new claim");
        assert_eq!(costs[1], reads.to_vec(), "a replay");
        let mut refusal = reads.to_vec();
        refusal.push(sent("find", "claims", "none"));
        assert_eq!(costs[2], refusal, "a refusal");
    })
    .await;
}
