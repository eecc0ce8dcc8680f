//! Pure types and rules of a flash sale: no I/O, no async, no clock reads.
//!
//! Time is always a parameter (`now`), so every rule here is tested at exact instants. Each
//! rule lives in one place: a claim's decision in [`Decision`] and [`Campaign::admit`], a
//! claim's later life and an operator's changes in [`Verdict`] and [`CampaignChange`], unit
//! counts in [`Units`], decimals in one fixed-point parser, stored values in [`CampaignRecord`] and [`ClaimRecord`].

mod campaign;
mod claim;
mod decimal;
mod decision;
mod discount;
mod lifecycle;
mod money;
mod percent;
mod record;
mod units;

pub use campaign::{Campaign, CampaignId, CampaignState, Currency, NewCampaign, Window};
pub use claim::{Claim, ClaimAttempt, ClaimOutcome, ClaimToken, Refusal, UserId};
pub use decision::Decision;
pub use discount::DiscountRule;
pub use lifecycle::{
    Actor, CampaignChange, ChangeRefusal, ClaimKey, ClaimRefusal, ClaimStatus, Conflict, Event,
    EventKind, EventQuery, ExportPage, Hold, OrderId, RedeemAttempt, Redemption, Stamp, Transition,
    Verdict, VoidAttempt,
};
pub use money::Cents;
pub use percent::Percent;
pub use record::{CampaignRecord, ClaimRecord, Corrupt};
pub use units::{MAX_INVENTORY, Units};

pub(crate) use money::shown;

/// A value from outside that breaks a domain rule; the message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct Invalid {
    /// The field, in the words an operator knows it by (`percent off`, `user id`).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl Invalid {
    /// Names the broken rule of `field`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Invalid {
            field,
            reason: reason.into(),
        }
    }
}
