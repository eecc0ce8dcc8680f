//! Uses the library directly on the embedded store: create a campaign, claim, replay.
//!
//! Run with `cargo run --example claim`.

use chrono::TimeDelta;
use flashsale::auth::Identity;
use flashsale::clock::{Clock, SystemClock};
use flashsale::domain::{
    Actor, CampaignId, Cents, ClaimOutcome, Currency, Ends, NewCampaign, Units, UserId,
};
use flashsale::service::{CampaignService, ClaimService};
use flashsale::store::SqliteStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("flashsale-example-{}", std::process::id()));
    let store = SqliteStore::open(&dir.join("flashsale.db")).await?;
    let campaigns = CampaignService::new(store.clone(), SystemClock);
    let claims = ClaimService::new(store, SystemClock);

    let now = SystemClock.now();
    let spring = campaigns
        .create(
            NewCampaign {
                id: CampaignId::parse("spring")?,
                name: "Spring sale".into(),
                inventory: Units::new(100)?,
                percent: "15".parse()?,
                max_discount: "20.00".parse()?,
                min_cart: "50.00".parse()?,
                currency: Currency::default(),
                starts_at: Some(now),
                ends: Ends::At(now + TimeDelta::hours(2)),
                hold: None,
            },
            &Actor::parse("example")?,
        )
        .await?
        .value;
    println!(
        "created `{}`: {} units, state {}",
        spring.campaign.id,
        spring.campaign.total(),
        spring.state
    );

    let ana = Identity::asserted_by_operator(UserId::parse("ana")?);
    let cart: Cents = "64.90".parse()?;
    let first = claims.claim(&ana, &spring.campaign.id, cart).await?;
    let again = claims.claim(&ana, &spring.campaign.id, cart).await?;
    assert!(
        matches!(first, ClaimOutcome::Claimed(_)) && matches!(again, ClaimOutcome::Replayed(_))
    );
    assert_eq!(
        first.claim(),
        again.claim(),
        "a retry returns the same claim"
    );
    println!(
        "ana {}: {} off a cart of {}, token {}; the retry was {} with the same token",
        first.as_str(),
        first.claim().discount,
        first.claim().cart,
        first.claim().token,
        again.as_str()
    );

    let left = campaigns.status(&spring.campaign.id).await?;
    println!(
        "{} of {} units left",
        left.campaign.remaining(),
        left.campaign.total()
    );
    drop((campaigns, claims));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
