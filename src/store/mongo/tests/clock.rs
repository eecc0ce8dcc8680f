//! Whose clock judges: the window, the leases and the stamps follow the server's clock.

use super::*;

/// An app server whose clock runs 2 minutes ahead of the
/// server's sees a campaign that starts 1 minute from now (server time) as live.
async fn claim_with_a_fast_local_clock(time: crate::store::mongo::ops::TimeSource) -> Decision {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::with_time(time), 1, now).await;
    ops.set_server_skew(TimeDelta::minutes(-2));
    claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_window_is_judged_on_the_servers_clock() {
    let answer = claim_with_a_fast_local_clock(crate::store::mongo::ops::TimeSource::Server).await;
    assert_eq!(
        answer,
        Decision::Refuse(Refusal::NotLive(CampaignState::Scheduled))
    );
}

#[tokio::test]
async fn on_the_app_servers_clock_a_skewed_server_opens_the_sale_early() {
    let answer = claim_with_a_fast_local_clock(crate::store::mongo::ops::TimeSource::Client).await;
    assert!(matches!(answer, Decision::Grant(_)), "{answer:?}");
}

/// This machine's clock, 2 minutes ahead of the server's.
#[derive(Clone, Copy)]
struct FastClock;

impl Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + TimeDelta::minutes(2)
    }
}

/// Ends a live sale through the operator's service from a machine running 2 minutes ahead of
/// the server (the model's server clock is held 2 minutes behind this one's); answers the
/// instant the end was recorded at and the server's clock then.
async fn end_from_a_fast_machine(
    time: crate::store::mongo::ops::TimeSource,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let server_now = SystemClock.now() - TimeDelta::minutes(2);
    let ops = MemoryOps::with_time(time);
    ops.set_server_skew(TimeDelta::minutes(-2));
    ops.insert_campaign(&CampaignDoc::new(&campaign(5, server_now)))
        .await
        .unwrap();
    let service = crate::service::CampaignService::new(
        DocStore::new(ops, SystemClock, patient_lease()),
        SystemClock,
    );
    let actor = crate::domain::Actor::parse("operator").unwrap();
    let ended = service
        .end(&CampaignId::parse(ID).unwrap(), &actor)
        .await
        .unwrap();
    (ended.value.campaign.ended_at.unwrap(), server_now)
}

/// Every stamp the services make (an operator's action, a redemption, a void, an expiry
/// sweep) is the server's clock through `Store::now`, the clock claims are judged on.
#[tokio::test]
async fn an_operator_action_is_stamped_with_the_servers_clock() {
    let (ended_at, server_now) =
        end_from_a_fast_machine(crate::store::mongo::ops::TimeSource::Server).await;
    assert!(
        (ended_at - server_now).num_seconds().abs() < 5,
        "ended at {ended_at}, the server's clock read {server_now}"
    );
}

/// The control, with the test-only client time (every service stamp before `Store::now`):
/// the end is recorded 2 minutes in the server's future.
#[tokio::test]
async fn on_the_machines_clock_an_action_is_stamped_with_its_skew() {
    let (ended_at, server_now) =
        end_from_a_fast_machine(crate::store::mongo::ops::TimeSource::Client).await;
    let skew = (ended_at - server_now).num_seconds();
    assert!((115..125).contains(&skew), "{ended_at} {server_now}");
}

/// Over the real driver: an expiry sweep by an app server whose clock runs 2 minutes fast
/// expires no hold early. A claim made now holds its unit for 90 s by the server's clock; by
/// the app server's it ran out 30 s ago. The sweep through the service is stamped with the
/// server's clock and expires nothing; stamped with the app server's own (as before
/// `Store::now`), the same sweep expires the claim.
#[tokio::test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
async fn a_sweep_by_a_fast_app_server_expires_no_hold_early() {
    over_the_wire("fast_sweep", |url| async move {
        let ops = crate::store::mongo::driver::DriverOps::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let now = SystemClock.now();
        let id = CampaignId::parse(ID).unwrap();
        let held = NewCampaign {
            hold: Some(crate::domain::Hold::from_seconds(90).unwrap()),
            ..new_campaign(1, now)
        }
        .validate(now)
        .unwrap();
        let store = DocStore::new(ops.clone(), SystemClock, patient_lease());
        let actor = crate::domain::Actor::parse("sweeper").unwrap();
        let stamp_at = |at| crate::domain::Stamp {
            actor: actor.clone(),
            at,
        };
        Store::create_campaign(&store, &held, &stamp_at(now))
            .await
            .unwrap();
        let granted = Store::claim(&store, &attempt(1, now)).await.unwrap();
        assert!(matches!(granted, Decision::Grant(_)), "{granted:?}");

        let fast = DocStore::new(ops, FastClock, patient_lease());
        let sweeps = crate::service::CampaignService::new(fast.clone(), FastClock);
        assert_eq!(sweeps.expire(&id, &actor).await.unwrap(), 0);
        assert_eq!(
            Store::expire_holds(&fast, &id, &stamp_at(FastClock.now()))
                .await
                .unwrap(),
            Some(1)
        );
    })
    .await;
}

/// An app server whose clock runs 40 s ahead of the server's
/// looks at another tab's reservation written 10 s ago (by the server's clock) with a 30 s
/// lease. Returns whether the reservation survived the look.
async fn reservation_survives_a_fast_app_server(
    time: crate::store::mongo::ops::TimeSource,
) -> bool {
    let now = SystemClock.now();
    let ops = seeded(MemoryOps::with_time(time), 1, now).await;
    ops.set_server_skew(TimeDelta::seconds(-40));
    let server_now = now - TimeDelta::seconds(40);
    let other_tab =
        attempt(1, server_now).grant("5".parse().unwrap(), crate::random::token(server_now));
    let reservation = ClaimDoc::reserving(&other_tab, server_now - TimeDelta::seconds(10));
    ops.put_claim(reservation.clone());
    // The other tab finishes a moment later, unless its reservation was taken from it.
    let finisher = {
        let ops = Arc::clone(&ops);
        let token = reservation.token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            ops.set_status(&token, Status::Claimed);
        })
    };
    let answer = claim::claim(
        &*ops,
        &clock(),
        &patient_lease(),
        Defects::NONE,
        &attempt(1, now),
    )
    .await
    .unwrap();
    finisher.await.unwrap();
    let survived =
        matches!(&answer, Decision::Replay(claim) if claim.token.as_str() == reservation.token);
    assert!(
        survived || matches!(answer, Decision::Grant(_)),
        "{answer:?}"
    );
    survived
}

#[tokio::test]
async fn leases_run_on_the_servers_clock() {
    assert!(
        reservation_survives_a_fast_app_server(crate::store::mongo::ops::TimeSource::Server).await
    );
}

#[tokio::test]
async fn on_the_app_servers_clock_a_fast_server_deletes_a_live_reservation() {
    assert!(
        !reservation_survives_a_fast_app_server(crate::store::mongo::ops::TimeSource::Client).await
    );
}
