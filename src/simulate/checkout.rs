//! A granted user's checkout: a redemption (once, retried, or for a second order) racing an
//! operator's void, then a claim again after a void. Exactly one of a redemption and a void
//! may win, and a voided claim stays the user's (I9).

use std::sync::atomic::AtomicU64;

use super::answer::Heard;
use super::driver::{Shared, bearer};
use super::identities::Credential;
use super::load::{Redeem, UserPlan};
use super::progress::{Progress, bump};
use crate::auth::Identity;
use crate::clock::Clock;
use crate::domain::{Actor, Cents, ClaimKey, ClaimStatus, ClaimToken, OrderId, UserId, VoidReason};
use crate::error::ErrorKind;
use crate::store::Store;

/// What a granted user does next, by its plan: redeems at checkout (once, retrying the same
/// order, or trying a second order) while an operator may void the claim at the same moment;
/// exactly one of a redemption and a void may win. A user whose claim was voided then claims
/// again and must get the voided claim back, with no unit (I9).
pub(super) async fn checkout<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    credential: &Credential,
    index: u64,
    token: &ClaimToken,
    plan: UserPlan,
) {
    let p = &shared.progress;
    let order = |n: u8| OrderId::parse(&format!("{}-{index}-{n}", shared.prefix));
    let (Ok(first), Ok(second)) = (order(1), order(2)) else {
        // The prefix is ASCII and short, so this cannot happen; if it did, it is an error.
        bump(&p.lifecycle_errors);
        return;
    };
    let cart = plan.cart;
    // The shopper checks out as themself: the owner the domain requires, and the actor.
    let Ok(shopper) = Actor::parse(user.as_str()) else {
        bump(&p.lifecycle_errors);
        return;
    };
    let redeem_for = async |order: &OrderId| match &shared.target {
        // The server takes the owner and the actor from the shopper's verified token.
        Some(target) => {
            target
                .redeem(&shared.campaign, bearer(credential), token, order, cart)
                .await
        }
        None => Heard::from(
            shared
                .service
                .redeem(&shared.campaign, token, order, cart, Some(user), &shopper)
                .await,
        ),
    };
    let redeem = async {
        if plan.redeem == Redeem::Never {
            return None;
        }
        Some(redeem_for(&first).await)
    };
    let which = ClaimKey::User(user.clone());
    let void = async {
        if !plan.voided {
            return None;
        }
        Some(
            shared
                .service
                .void(
                    &shared.campaign,
                    &which,
                    VoidReason::parse("simulated fraud").ok(),
                    &shared.actor,
                )
                .await,
        )
    };
    let (redeemed, voided) = tokio::join!(redeem, void);
    let redemption = match redeemed {
        None => None,
        Some(Heard::Made(claim)) => {
            bump(&p.redeemed);
            claim.redemption
        }
        // The first redemption of an order can only be new.
        Some(Heard::Replayed(_)) => {
            bump(&p.double_redemptions);
            None
        }
        Some(Heard::Refused(kind)) => {
            lifecycle_refusal(p, kind, &p.redeem_conflicts);
            None
        }
    };
    let voided = match voided {
        None => false,
        Some(Ok(_)) => {
            bump(&p.voided);
            shared.returned(1);
            true
        }
        Some(Err(err)) => {
            lifecycle_refusal(p, Some(err.kind()), &p.void_conflicts);
            false
        }
    };
    if voided && redemption.is_some() {
        bump(&p.double_transitions);
    }
    if let Some(first_redemption) = &redemption {
        match plan.redeem {
            Redeem::Retry => match redeem_for(&first).await {
                Heard::Replayed(claim) if claim.redemption.as_ref() == Some(first_redemption) => {
                    bump(&p.redeem_replayed);
                }
                Heard::Refused(kind) => lifecycle_refusal(p, kind, &p.double_redemptions),
                Heard::Made(_) | Heard::Replayed(_) => bump(&p.double_redemptions),
            },
            Redeem::SecondOrder => match redeem_for(&second).await {
                Heard::Refused(kind) => lifecycle_refusal(p, kind, &p.redeem_conflicts),
                Heard::Made(_) | Heard::Replayed(_) => bump(&p.double_redemptions),
            },
            Redeem::Never | Redeem::Once => {}
        }
    }
    if voided {
        claim_again_after_void(shared, user, credential, token, cart).await;
    }
}

/// A voided user claims again: the answer must be the voided claim, replayed, and no unit.
async fn claim_again_after_void<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    credential: &Credential,
    token: &ClaimToken,
    cart: Cents,
) {
    let p = &shared.progress;
    let again = if let Some(target) = &shared.target {
        let (_, heard) = target
            .claim(&shared.campaign, bearer(credential), cart)
            .await;
        heard
    } else {
        let identity = Identity::asserted_by_operator(user.clone());
        Heard::from(
            shared
                .service
                .claim(&identity, &shared.campaign, cart)
                .await,
        )
    };
    match again {
        Heard::Replayed(claim)
            if &claim.token == token && claim.status == Some(ClaimStatus::Voided) => {}
        Heard::Refused(_) => bump(&p.lifecycle_errors),
        Heard::Made(_) | Heard::Replayed(_) => bump(&p.reclaims_not_final),
    }
}

/// Tallies a refused lifecycle request: a conflict in `conflicts`, anything else as an error.
fn lifecycle_refusal(p: &Progress, kind: Option<ErrorKind>, conflicts: &AtomicU64) {
    if kind == Some(ErrorKind::Conflict) {
        bump(conflicts);
    } else {
        bump(&p.lifecycle_errors);
    }
}
