//! What a claim costs the server: round trips in sequence, operations and writes.

use super::intercepted::{Call, Hooks, Intercepted};
use super::*;

/// Counts what the algorithms ask of the store: round trips in sequence (operations started
/// while none of the same request was in flight; the joined reads of steps a and b are one),
/// all operations, and the writes that wait for a majority in production (all but the
/// reservation insert).
#[derive(Default)]
struct Counted {
    in_flight: std::sync::atomic::AtomicUsize,
    sequential: std::sync::atomic::AtomicUsize,
    operations: std::sync::atomic::AtomicUsize,
    writes: std::sync::atomic::AtomicUsize,
}

impl Counted {
    /// (round trips in sequence, operations, writes) since the last call.
    fn take(&self) -> (usize, usize, usize) {
        (
            self.sequential.swap(0, Ordering::SeqCst),
            self.operations.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

impl Hooks for Counted {
    async fn before(&self, call: Call) {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            self.sequential.fetch_add(1, Ordering::SeqCst);
        }
        self.operations.fetch_add(1, Ordering::SeqCst);
        if call.waits_for_majority() {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
    }
    async fn after(&self, _call: Call) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The cost of a claim, per kind of request, as (round trips in sequence, operations,
/// majority writes). The server's clock is measured once per minute per app server, so it is measured
/// before the counted requests, as in a running server.
#[tokio::test]
async fn round_trips_and_writes_per_claim() {
    let now = SystemClock.now();
    let ops = MemoryOps::default();
    let counted = Intercepted {
        inner: &ops,
        hooks: Counted::default(),
    };
    ops.insert_campaign(&CampaignDoc::new(&campaign(1, now)))
        .await
        .unwrap();
    let clock = clock();
    let lease = patient_lease();
    let attempts: Vec<ClaimAttempt> = (0..3).map(|user| attempt(user, now)).collect();
    let run = |user: usize| claim::claim(&counted, &clock, &lease, Defects::NONE, &attempts[user]);
    clock.now(&counted).await.unwrap();
    assert_eq!(
        counted.hooks.take(),
        (1, 1, 0),
        "measuring the server's clock"
    );

    assert!(matches!(run(1).await.unwrap(), Decision::Grant(_)));
    let new_claim = counted.hooks.take();
    assert!(matches!(run(1).await.unwrap(), Decision::Replay(_)));
    let replay = counted.hooks.take();
    assert_eq!(run(2).await.unwrap(), Decision::Refuse(Refusal::SoldOut));
    let after_sell_out = counted.hooks.take();

    // A loser before the sell-out: it read a unit left, and lost the decrement to another.
    ops.insert_campaign(&CampaignDoc {
        id: "late".into(),
        ..CampaignDoc::new(&campaign(1, now))
    })
    .await
    .unwrap();
    let racing = Intercepted {
        inner: &counted,
        hooks: OtherShopperTakesTheLastUnit {
            ops: &ops,
            campaign: "late",
            now,
            taken: AtomicBool::new(false),
        },
    };
    let late = ClaimAttempt {
        campaign_id: CampaignId::parse("late").unwrap(),
        ..attempt(3, now)
    };
    let answer = claim::claim(&racing, &clock, &lease, Defects::NONE, &late).await;
    assert_eq!(answer.unwrap(), Decision::Refuse(Refusal::SoldOut));
    let before_sell_out = counted.hooks.take();

    // A campaign written before the held count was kept: its first claim stores the count
    // (one conditional write, then the reads again), every later one costs what any claim does.
    ops.insert_campaign(&CampaignDoc {
        id: "older".into(),
        held: None,
        ..CampaignDoc::new(&campaign(2, now))
    })
    .await
    .unwrap();
    let older = |user: usize| ClaimAttempt {
        campaign_id: CampaignId::parse("older").unwrap(),
        ..attempt(user, now)
    };
    for user in [4, 5] {
        let answer = claim::claim(&counted, &clock, &lease, Defects::NONE, &older(user)).await;
        assert!(matches!(answer.unwrap(), Decision::Grant(_)));
    }
    let older_two = counted.hooks.take();
    assert_eq!(ops.snapshot().campaigns["older"].held, Some(2));

    eprintln!(
        "(round trips in sequence, operations, majority writes): new claim {new_claim:?}, \
         replay {replay:?}, loser before sell-out {before_sell_out:?}, loser after sell-out \
         {after_sell_out:?}, the first two claims on a campaign from before the held count \
         {older_two:?}"
    );
    // The first: the joined reads, the store, the joined reads again, then as a new claim;
    // the second: a new claim.
    assert_eq!(older_two, (1 + 1 + 4 + 4, 2 + 1 + 5 + 5, 1 + 2 + 2));
    // The reads, the reservation (acknowledged by the primary), the decrement, the confirm.
    assert_eq!(new_claim, (4, 5, 2));
    assert_eq!(replay, (1, 2, 0));
    // The reads, the reservation, the missed decrement, the campaign read again, the removal
    // of the reservation (which found it: no look at the user's claim).
    assert_eq!(before_sell_out, (5, 6, 2));
    assert_eq!(after_sell_out, (2, 3, 0));
}

/// Takes the last unit of the campaign just before the request's decrement (not counted).
struct OtherShopperTakesTheLastUnit<'a> {
    ops: &'a MemoryOps,
    campaign: &'a str,
    now: DateTime<Utc>,
    taken: AtomicBool,
}

impl Hooks for OtherShopperTakesTheLastUnit<'_> {
    async fn before(&self, call: Call) {
        if call == Call::ReserveUnit && !self.taken.swap(true, Ordering::SeqCst) {
            let taken = self.ops.reserve_unit(self.campaign, date(self.now)).await;
            assert!(taken.unwrap());
        }
    }
}
