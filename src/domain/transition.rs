//! A claim's life after it is granted, and the operator's changes to a campaign: every
//! transition is decided here, once, on what a store read inside its atomic step; the store
//! only carries the answer out (with its event, see [`EventKind`]).
//!
//! ```text
//! claimed --redeem--> redeemed          (holds its unit for good)
//!    |  \--void-----> voided            (unit back to inventory)
//!     \----expire---> expired           (past expires_at; unit back to inventory)
//! ```
//!
//! A claim changes status at most once (I7); a retried redeem with the same order id and a
//! retried void replay the first answer (I8); a voided or expired claim stays the user's claim
//! for the campaign, so a new claim by that user replays it (I9).

use chrono::{DateTime, Utc};

use super::{
    Campaign, CampaignId, Cents, Claim, ClaimStatus, ClaimToken, Conflict, EventKind, OrderId,
    Redemption, Stamp, UserId, VoidReason,
};

/// How an operator names a claim: by its user or by its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimKey {
    /// The claim of this user.
    User(UserId),
    /// The claim carrying this token.
    Token(ClaimToken),
}

/// Why a request on a claim is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// No campaign has that id.
    CampaignNotFound,
    /// The campaign has no such claim (an unknown token, another campaign's token, a user
    /// without a claim, or a token that is not the caller's).
    ClaimNotFound,
    /// The checkout cart is below the campaign's minimum.
    NotEligible {
        /// The minimum.
        min_cart: Cents,
    },
    /// The claim's state forbids it.
    Conflict(Conflict),
}

/// What a request on a claim comes to, decided by the domain, carried out by a store.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per request, moved a few times: boxing buys nothing"
)]
pub enum Verdict {
    /// Write the claim as it is now (`after`), with the event `kind`; the claim was `before`.
    Change {
        /// The claim as read.
        before: Claim,
        /// The claim to write.
        after: Claim,
        /// The event to append with it.
        kind: EventKind,
    },
    /// The same request already happened: answer this claim, write nothing.
    Replay(Claim),
    /// Write nothing and answer the refusal.
    Refuse(ClaimRefusal),
}

impl Verdict {
    /// Whether a unit goes back to inventory when this verdict is carried out.
    #[must_use]
    pub fn returns_unit(&self) -> bool {
        match self {
            Verdict::Change { before, after, .. } => {
                before.status.holds_unit() && !after.status.holds_unit()
            }
            _ => false,
        }
    }

    /// The answer a caller sees.
    ///
    /// # Errors
    /// The [`ClaimRefusal`] of a [`Verdict::Refuse`].
    pub fn into_outcome(self) -> Result<Transition, ClaimRefusal> {
        match self {
            Verdict::Change { after, .. } => Ok(Transition::Changed(after)),
            Verdict::Replay(claim) => Ok(Transition::Replayed(claim)),
            Verdict::Refuse(refusal) => Err(refusal),
        }
    }
}

/// A carried-out request on a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The claim changed; this is it now.
    Changed(Claim),
    /// The same request had already been carried out; this is the claim, unchanged.
    Replayed(Claim),
}

impl Transition {
    /// The claim.
    #[must_use]
    pub fn claim(&self) -> &Claim {
        match self {
            Transition::Changed(claim) | Transition::Replayed(claim) => claim,
        }
    }

    /// Whether it replayed.
    #[must_use]
    pub fn replayed(&self) -> bool {
        matches!(self, Transition::Replayed(_))
    }
}

/// A redeem at checkout.
#[derive(Clone, Debug)]
pub struct RedeemAttempt {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The token presented.
    pub token: ClaimToken,
    /// When a shopper redeems through the API, the verified user: a token of anyone else is
    /// answered as unknown. `None` for an operator.
    pub owner: Option<UserId>,
    /// The order.
    pub order_id: OrderId,
    /// The checkout cart.
    pub cart: Cents,
    /// Who and when.
    pub stamp: Stamp,
}

impl RedeemAttempt {
    /// Decides the redeem from the claim the token names on the campaign (if any) and the
    /// campaign. Order: not found, replay (same order), conflicts, eligibility, then redeem.
    #[must_use]
    pub fn decide(&self, claim: Option<&Claim>, campaign: Option<&Campaign>) -> Verdict {
        let Some(campaign) = campaign else {
            return Verdict::Refuse(ClaimRefusal::CampaignNotFound);
        };
        let Some(claim) = claim.filter(|c| {
            c.token == self.token
                && c.campaign_id == self.campaign_id
                && self.owner.as_ref().is_none_or(|owner| *owner == c.user_id)
        }) else {
            return Verdict::Refuse(ClaimRefusal::ClaimNotFound);
        };
        match (&claim.status, &claim.redemption) {
            (ClaimStatus::Redeemed, Some(r)) if r.order_id == self.order_id => {
                return Verdict::Replay(claim.clone());
            }
            (ClaimStatus::Redeemed, Some(r)) => {
                return Verdict::Refuse(ClaimRefusal::Conflict(
                    Conflict::RedeemedForAnotherOrder {
                        order_id: r.order_id.clone(),
                    },
                ));
            }
            (ClaimStatus::Claimed, _) => {}
            (status, _) => {
                return Verdict::Refuse(ClaimRefusal::Conflict(Conflict::NotRedeemable {
                    status: *status,
                }));
            }
        }
        if let Some(expires_at) = claim.expires_at.filter(|at| self.stamp.at > *at) {
            return Verdict::Refuse(ClaimRefusal::Conflict(Conflict::HoldRanOut { expires_at }));
        }
        let Some(discount) = campaign.rule.discount_for(self.cart) else {
            return Verdict::Refuse(ClaimRefusal::NotEligible {
                min_cart: campaign.rule.min_cart,
            });
        };
        let mut after = claim.clone();
        after.status = ClaimStatus::Redeemed;
        after.redemption = Some(Redemption {
            order_id: self.order_id.clone(),
            cart: self.cart,
            discount,
            redeemed_at: self.stamp.at,
        });
        let kind = EventKind::ClaimRedeemed {
            user_id: claim.user_id.clone(),
            order_id: self.order_id.clone(),
            cart: self.cart,
            discount,
        };
        Verdict::Change {
            before: claim.clone(),
            after,
            kind,
        }
    }
}

/// An operator's void.
#[derive(Clone, Debug)]
pub struct VoidAttempt {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Which claim.
    pub key: ClaimKey,
    /// Why (recorded on the claim and in the event).
    pub reason: Option<VoidReason>,
    /// Who and when.
    pub stamp: Stamp,
}

impl VoidAttempt {
    /// Decides the void from the claim the key names (if any) and whether the campaign exists.
    /// A voided claim replays (a retried void returns no second unit).
    #[must_use]
    pub fn decide(&self, claim: Option<&Claim>, campaign_exists: bool) -> Verdict {
        if !campaign_exists {
            return Verdict::Refuse(ClaimRefusal::CampaignNotFound);
        }
        let Some(claim) = claim.filter(|c| {
            c.campaign_id == self.campaign_id
                && match &self.key {
                    ClaimKey::User(user) => c.user_id == *user,
                    ClaimKey::Token(token) => c.token == *token,
                }
        }) else {
            return Verdict::Refuse(ClaimRefusal::ClaimNotFound);
        };
        match claim.status {
            ClaimStatus::Voided => Verdict::Replay(claim.clone()),
            ClaimStatus::Expired => Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidExpired)),
            ClaimStatus::Redeemed => {
                Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidRedeemed {
                    order_id: claim
                        .redemption
                        .as_ref()
                        .map_or_else(|| OrderId(String::from("?")), |r| r.order_id.clone()),
                }))
            }
            ClaimStatus::Claimed => {
                let mut after = claim.clone();
                after.status = ClaimStatus::Voided;
                after.voided_at = Some(self.stamp.at);
                after.void_reason.clone_from(&self.reason);
                Verdict::Change {
                    before: claim.clone(),
                    after,
                    kind: EventKind::ClaimVoided {
                        user_id: claim.user_id.clone(),
                        reason: self.reason.clone(),
                    },
                }
            }
        }
    }
}

impl Claim {
    /// The expiry sweep's decision on this claim at `now`: the expired claim and its event
    /// when it is `claimed` and past its hold, `None` otherwise (a sweep that finds nothing
    /// writes nothing, so running it twice is harmless).
    #[must_use]
    pub fn expire(&self, now: DateTime<Utc>) -> Option<Verdict> {
        let expires_at = self.expires_at?;
        if self.status != ClaimStatus::Claimed || now <= expires_at {
            return None;
        }
        let mut after = self.clone();
        after.status = ClaimStatus::Expired;
        after.expired_at = Some(now);
        Some(Verdict::Change {
            before: self.clone(),
            after,
            kind: EventKind::ClaimExpired {
                user_id: self.user_id.clone(),
                expires_at,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{at, campaign, claim, stamp};

    fn redeem(claim: &Claim, order: &str, cart: i64, now: i64) -> RedeemAttempt {
        RedeemAttempt {
            campaign_id: claim.campaign_id.clone(),
            token: claim.token.clone(),
            owner: None,
            order_id: OrderId::parse(order).unwrap(),
            cart: Cents::new(cart).unwrap(),
            stamp: stamp(now),
        }
    }

    fn after(verdict: Verdict) -> Claim {
        match verdict {
            Verdict::Change { after, .. } => after,
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn redeem_reprices_replays_the_same_order_and_refuses_another() {
        let c = campaign(None);
        let claimed = claim(&c);
        let redeemed = after(redeem(&claimed, "o-1", 40_00, 20).decide(Some(&claimed), Some(&c)));
        assert_eq!(redeemed.status, ClaimStatus::Redeemed);
        let r = redeemed.redemption.clone().unwrap();
        assert_eq!(
            (r.cart.get(), r.discount.get(), r.redeemed_at),
            (40_00, 4_00, at(20))
        );
        assert_eq!(
            redeem(&redeemed, "o-1", 99_00, 30).decide(Some(&redeemed), Some(&c)),
            Verdict::Replay(redeemed.clone())
        );
        assert_eq!(
            redeem(&redeemed, "o-2", 40_00, 30).decide(Some(&redeemed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::RedeemedForAnotherOrder {
                order_id: OrderId::parse("o-1").unwrap()
            }))
        );
        assert_eq!(
            redeem(&claimed, "o-1", 19_99, 20).decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::NotEligible {
                min_cart: Cents::new(20_00).unwrap()
            })
        );
    }

    #[test]
    fn redeem_refuses_unknown_foreign_and_released_claims() {
        let c = campaign(None);
        let claimed = claim(&c);
        let mut forged = redeem(&claimed, "o", 40_00, 20);
        forged.token = ClaimToken::from_stored("forged".into());
        assert_eq!(
            forged.decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        let mut stranger = redeem(&claimed, "o", 40_00, 20);
        stranger.owner = Some(UserId::parse("bob").unwrap());
        assert_eq!(
            stranger.decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            redeem(&claimed, "o", 40_00, 20).decide(None, Some(&c)),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            redeem(&claimed, "o", 40_00, 20).decide(Some(&claimed), None),
            Verdict::Refuse(ClaimRefusal::CampaignNotFound)
        );
        for status in [ClaimStatus::Voided, ClaimStatus::Expired] {
            let mut gone = claimed.clone();
            gone.status = status;
            assert_eq!(
                redeem(&gone, "o", 40_00, 20).decide(Some(&gone), Some(&c)),
                Verdict::Refuse(ClaimRefusal::Conflict(Conflict::NotRedeemable { status }))
            );
        }
    }

    #[test]
    fn a_hold_runs_out_after_its_last_instant_before_any_sweep() {
        let c = campaign(Some(60));
        let claimed = claim(&c);
        let expires_at = claimed.expires_at.unwrap();
        assert_eq!(expires_at, at(10 + 60_000));
        let last = 10 + 60_000;
        assert!(matches!(
            redeem(&claimed, "o", 40_00, last).decide(Some(&claimed), Some(&c)),
            Verdict::Change { .. }
        ));
        assert_eq!(
            redeem(&claimed, "o", 40_00, last + 1).decide(Some(&claimed), Some(&c)),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::HoldRanOut { expires_at }))
        );
        assert_eq!(claimed.expire(at(last)), None);
        let expired = after(claimed.expire(at(last + 1)).unwrap());
        assert_eq!(expired.status, ClaimStatus::Expired);
        assert_eq!(
            (expired.expired_at, expired.voided_at),
            (Some(at(last + 1)), None),
            "expired when the sweep ran, not when the hold ran out"
        );
        assert_eq!(
            expired.expire(at(last + 2)),
            None,
            "a second sweep does nothing"
        );
        assert_eq!(claim(&campaign(None)).expire(at(i64::from(i32::MAX))), None);
    }

    #[test]
    fn void_returns_one_unit_once_and_never_touches_a_redeemed_claim() {
        let c = campaign(None);
        let claimed = claim(&c);
        let void = |key: ClaimKey| VoidAttempt {
            campaign_id: c.id.clone(),
            key,
            reason: Some(VoidReason::parse("fraud").unwrap()),
            stamp: stamp(20),
        };
        let by_user = void(ClaimKey::User(claimed.user_id.clone()));
        let verdict = by_user.decide(Some(&claimed), true);
        assert!(verdict.returns_unit());
        let voided = after(verdict);
        assert_eq!(voided.status, ClaimStatus::Voided);
        assert_eq!(voided.voided_at, Some(at(20)));
        assert_eq!(
            voided.void_reason.as_ref().map(VoidReason::as_str),
            Some("fraud")
        );
        assert_eq!(voided.expired_at, None);
        let again = by_user.decide(Some(&voided), true);
        assert!(!again.returns_unit());
        assert_eq!(again, Verdict::Replay(voided));
        let redeemed = after(redeem(&claimed, "o-9", 40_00, 20).decide(Some(&claimed), Some(&c)));
        assert_eq!(
            void(ClaimKey::Token(claimed.token.clone())).decide(Some(&redeemed), true),
            Verdict::Refuse(ClaimRefusal::Conflict(Conflict::VoidRedeemed {
                order_id: OrderId::parse("o-9").unwrap()
            }))
        );
        assert_eq!(
            void(ClaimKey::Token(ClaimToken::from_stored("x".into()))).decide(Some(&claimed), true),
            Verdict::Refuse(ClaimRefusal::ClaimNotFound)
        );
        assert_eq!(
            by_user.decide(Some(&claimed), false),
            Verdict::Refuse(ClaimRefusal::CampaignNotFound)
        );
    }
}
