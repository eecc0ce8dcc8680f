//! Values the domain's unit tests share: a campaign, a claim on it, instants near a fixed
//! origin.

use chrono::{DateTime, Utc};

use super::{
    Actor, Campaign, CampaignId, Cents, Claim, ClaimAttempt, ClaimToken, Currency, Hold,
    NewCampaign, Percent, Stamp, Units, UserId,
};

const START: i64 = 1_800_000_000_000;

/// `millis` after a fixed origin.
pub(super) fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(START + millis).unwrap()
}

/// The operator `ops` at `at(now)`.
pub(super) fn stamp(now: i64) -> Stamp {
    Stamp {
        actor: Actor::parse("ops").unwrap(),
        at: at(now),
    }
}

/// `spring`: 3 units, 10 % off up to 50.00 from a cart of 20.00, live from `at(0)` to
/// `at(100_000)`, with a hold of `hold` seconds.
pub(super) fn campaign(hold: Option<i64>) -> Campaign {
    NewCampaign {
        id: CampaignId::parse("spring").unwrap(),
        name: "Spring".into(),
        inventory: Units::new(3).unwrap(),
        percent: Percent::from_bps(1_000).unwrap(),
        max_discount: Cents::new(50_00).unwrap(),
        min_cart: Cents::new(20_00).unwrap(),
        currency: Currency::default(),
        starts_at: Some(at(0)),
        ends: crate::domain::Ends::At(at(100_000)),
        hold: hold.map(|s| Hold::from_seconds(s).unwrap()),
    }
    .validate(at(-1))
    .unwrap()
}

/// `ana`'s claim on `campaign`, granted at `at(10)`.
pub(super) fn claim(campaign: &Campaign) -> Claim {
    let attempt = ClaimAttempt {
        campaign_id: campaign.id.clone(),
        user_id: UserId::parse("ana").unwrap(),
        cart: Cents::new(30_00).unwrap(),
        now: at(10),
    };
    attempt.grant_in(campaign, Cents::new(3_00).unwrap(), token(1))
}

/// A token drawn at the origin with every random byte `n`: the domain's tests draw no
/// randomness, like the domain itself.
pub(super) fn token(n: u8) -> ClaimToken {
    ClaimToken::from_parts(at(0), &[n; ClaimToken::RANDOM_BYTES])
}
