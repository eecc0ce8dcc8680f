//! The claim decision, owned here once: replay first, then admission (live, eligible, a unit
//! left). Stores read what the decision needs, ask for it, and carry it out atomically; none
//! of them re-implements a rule.

use super::{Campaign, Claim, ClaimAttempt, ClaimOutcome, ClaimToken, Refusal};

/// What a claim attempt comes to. The domain decides it from what a store read; the store
/// carries it out in one atomic read-decide-write and answers with the decision it carried
/// out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Take one unit and record this new claim (its token drawn by the store's caller).
    Grant(Claim),
    /// The user already holds this claim: answer it unchanged, write nothing (I4).
    Replay(Claim),
    /// Write nothing and answer the refusal (I6).
    Refuse(Refusal),
}

impl Decision {
    /// Replay precedence, for a store that decided before it knew whether the user holds a
    /// claim (`SQLite` looks only when the decision is not a grant, or when its insert
    /// conflicts): a held claim overrides any other decision.
    #[must_use]
    pub fn unless_held(self, held: Option<Claim>) -> Decision {
        match held {
            Some(claim) => Decision::Replay(claim),
            None => self,
        }
    }

    /// The answer a caller sees: a new or replayed claim, or the refusal.
    ///
    /// # Errors
    /// The [`Refusal`] of a [`Decision::Refuse`].
    pub fn into_outcome(self) -> Result<ClaimOutcome, Refusal> {
        match self {
            Decision::Grant(claim) => Ok(ClaimOutcome::Claimed(claim)),
            Decision::Replay(claim) => Ok(ClaimOutcome::Replayed(claim)),
            Decision::Refuse(refusal) => Err(refusal),
        }
    }
}

impl ClaimAttempt {
    /// Decides this attempt from what the store read: the claim the user `held` on the
    /// campaign, if any, and the `campaign` as the store holds it at this moment, if it
    /// exists. A held claim is replayed whatever else is true; otherwise the campaign decides
    /// admission ([`Campaign::admit`]), and a grant becomes a claim carrying `token`.
    #[must_use]
    pub fn decide(
        &self,
        held: Option<Claim>,
        campaign: Option<&Campaign>,
        token: ClaimToken,
    ) -> Decision {
        if let Some(claim) = held {
            return Decision::Replay(claim);
        }
        let Some(campaign) = campaign else {
            return Decision::Refuse(Refusal::NotFound);
        };
        match campaign.admit(self.now, self.cart) {
            Ok(discount) => Decision::Grant(self.grant_in(campaign, discount, token)),
            Err(refusal) => Decision::Refuse(refusal),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{
        CampaignId, CampaignState, Cents, Currency, NewCampaign, Percent, Units, UserId,
    };

    const START: i64 = 1_800_000_000_000;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(START + millis).unwrap()
    }

    /// A campaign live from `at(0)` to `at(length)`, with `units` units of which `taken` are
    /// claimed, carts from `min_cart` cents, stopped by an operator at `ended` if set.
    fn campaign(
        length: i64,
        units: i64,
        taken: i64,
        min_cart: i64,
        ended: Option<i64>,
    ) -> Campaign {
        let mut campaign = NewCampaign {
            id: CampaignId::parse("spring").unwrap(),
            name: "Spring".into(),
            inventory: Units::new(units).unwrap(),
            percent: Percent::from_bps(1_500).unwrap(),
            max_discount: Cents::new(10_00).unwrap(),
            min_cart: Cents::new(min_cart).unwrap(),
            currency: Currency::default(),
            starts_at: Some(at(0)),
            ends: crate::domain::Ends::At(at(length)),
            hold: None,
        }
        .validate(at(-1))
        .unwrap();
        for _ in 0..taken {
            campaign.take_unit();
        }
        campaign.ended_at = ended.map(at);
        campaign
    }

    fn attempt(cart: i64, now: i64) -> ClaimAttempt {
        ClaimAttempt {
            campaign_id: CampaignId::parse("spring").unwrap(),
            user_id: UserId::parse("ana").unwrap(),
            cart: Cents::new(cart).unwrap(),
            now: at(now),
        }
    }

    fn decide(campaign: Option<&Campaign>, attempt: &ClaimAttempt) -> Decision {
        attempt.decide(None, campaign, crate::domain::fixtures::token(1))
    }

    fn held_claim() -> Claim {
        attempt(1, -5).grant_in(
            &campaign(1_000, 1, 0, 0, None),
            Cents::new(7).unwrap(),
            crate::domain::fixtures::token(1),
        )
    }

    proptest! {
        /// The window includes both of its ends, to the millisecond, and nothing outside.
        #[test]
        fn the_window_is_inclusive_at_both_ends(length in 1_i64..10_000_000, inside in 0.0..=1.0_f64, outside in 1_i64..10_000_000) {
            let c = campaign(length, 3, 0, 0, None);
            #[expect(clippy::cast_possible_truncation, clippy::cast_precision_loss, reason = "an instant inside a window of at most 10^7 ms")]
            let now = ((length as f64) * inside) as i64;
            for now in [0, now, length] {
                prop_assert!(matches!(decide(Some(&c), &attempt(50_00, now)), Decision::Grant(_)));
            }
            prop_assert_eq!(decide(Some(&c), &attempt(50_00, -outside)), Decision::Refuse(Refusal::NotLive(CampaignState::Scheduled)));
            prop_assert_eq!(decide(Some(&c), &attempt(50_00, length + outside)), Decision::Refuse(Refusal::NotLive(CampaignState::Ended)));
        }

        /// An operator's stop ends admission from that instant, inside the window too, and
        /// whatever stock is left.
        #[test]
        fn an_operator_stop_ends_admission(stop in 0_i64..1_000, after in 0_i64..1_000) {
            let c = campaign(10_000, 3, 0, 0, Some(stop));
            prop_assert_eq!(decide(Some(&c), &attempt(50_00, stop + after)), Decision::Refuse(Refusal::NotLive(CampaignState::Ended)));
        }

        /// Eligibility switches exactly at the minimum cart, and a granted claim carries the
        /// rule's discount for its cart.
        #[test]
        fn eligibility_starts_at_the_minimum(min_cart in 1_i64..1_000_000, over in 0_i64..1_000_000) {
            let c = campaign(1_000, 3, 0, min_cart, None);
            prop_assert_eq!(decide(Some(&c), &attempt(min_cart - 1, 10)), Decision::Refuse(Refusal::NotEligible { min_cart: Cents::new(min_cart).unwrap() }));
            let Decision::Grant(claim) = decide(Some(&c), &attempt(min_cart + over, 10)) else {
                return Err(TestCaseError::fail("an eligible cart was refused"));
            };
            prop_assert_eq!(Some(claim.discount), c.rule.discount_for(claim.cart));
            prop_assert_eq!((claim.cart.get(), claim.claimed_at), (min_cart + over, at(10)));
        }

        /// Sold out exactly when every unit is taken; the last unit is still granted.
        #[test]
        fn sold_out_when_no_unit_is_left(units in 1_i64..50, taken in 0_i64..50) {
            let taken = taken.min(units);
            let c = campaign(1_000, units, taken, 0, None);
            let decision = decide(Some(&c), &attempt(50_00, 10));
            if taken < units {
                prop_assert!(matches!(decision, Decision::Grant(_)));
            } else {
                prop_assert_eq!(decision, Decision::Refuse(Refusal::SoldOut));
            }
        }

        /// A held claim is replayed unchanged over every refusal (not found, not live, not
        /// eligible, sold out) and over a grant, and `unless_held` gives it the same
        /// precedence after the fact.
        #[test]
        fn replay_wins_over_every_other_decision(now in -2_000_i64..2_000, cart in 0_i64..10_000, units in 1_i64..3, taken in 0_i64..3, stopped in any::<bool>(), exists in any::<bool>()) {
            let c = campaign(1_000, units, taken.min(units), 20_00, stopped.then_some(0));
            let c = exists.then_some(&c);
            let a = attempt(cart, now);
            let held = held_claim();
            prop_assert_eq!(a.decide(Some(held.clone()), c, crate::domain::fixtures::token(1)), Decision::Replay(held.clone()));
            let without = a.decide(None, c, crate::domain::fixtures::token(1));
            prop_assert_eq!(without.clone().unless_held(Some(held.clone())), Decision::Replay(held));
            prop_assert_eq!(without.clone().unless_held(None), without);
        }
    }

    #[test]
    fn a_missing_campaign_is_not_found_and_checks_come_in_order() {
        assert_eq!(
            decide(None, &attempt(50_00, 0)),
            Decision::Refuse(Refusal::NotFound)
        );
        // Not live before not eligible, not eligible before sold out.
        let sold_out = campaign(1_000, 1, 1, 20_00, None);
        assert_eq!(
            decide(Some(&sold_out), &attempt(1, 2_000)),
            Decision::Refuse(Refusal::NotLive(CampaignState::Ended))
        );
        assert!(matches!(
            decide(Some(&sold_out), &attempt(1, 0)),
            Decision::Refuse(Refusal::NotEligible { .. })
        ));
    }

    #[test]
    fn outcomes_follow_decisions() {
        let claim = held_claim();
        assert_eq!(
            Decision::Grant(claim.clone()).into_outcome(),
            Ok(ClaimOutcome::Claimed(claim.clone()))
        );
        assert_eq!(
            Decision::Replay(claim.clone()).into_outcome(),
            Ok(ClaimOutcome::Replayed(claim))
        );
        assert_eq!(
            Decision::Refuse(Refusal::SoldOut).into_outcome(),
            Err(Refusal::SoldOut)
        );
    }
}
