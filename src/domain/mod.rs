//! Pure types and rules of a flash sale: no I/O, no async, no clock reads.
//!
//! Time is always a parameter (`now`), so every rule here is tested at exact instants. Each
//! rule lives in one place: a claim's decision in [`Decision`] and [`Campaign::admit`], a
//! claim's later life and an operator's changes in [`Verdict`] and [`CampaignChange`], unit
//! counts in [`Units`], decimals in one fixed-point parser, stored values in [`CampaignRecord`] and [`ClaimRecord`].

mod actor;
mod campaign;
mod change;
mod claim;
mod conflict;
mod decimal;
mod decision;
mod discount;
mod event;
mod hold;
mod ident;
mod live;
mod money;
mod order;
pub mod parse;
mod percent;
mod query;
mod reason;
mod record;
mod report;
mod status;
mod transition;
mod units;

#[cfg(test)]
mod fixtures;

pub use actor::{Actor, Stamp};
pub use campaign::{Campaign, CampaignId, CampaignState, Currency, Ends, NewCampaign, Window};
pub use change::{Applied, CampaignChange, ChangeRefusal};
pub use claim::{Claim, ClaimAttempt, ClaimOutcome, ClaimToken, Refusal, UserId};
pub use conflict::Conflict;
pub use decision::Decision;
pub use discount::DiscountRule;
pub use event::{Event, EventKind};
pub use hold::Hold;
pub use live::{LiveSale, PACE_SECONDS, Pace, SoldOutIn};
pub use money::{Amount, Cents};
pub use order::{OrderId, Redemption};
pub use percent::Percent;
pub use query::{EventQuery, ExportPage};
pub use reason::VoidReason;
pub use record::{CampaignRecord, ClaimRecord, Corrupt};
pub use report::{Bucket, BucketWidth, SaleCounts, SaleReport, SaleTally};
pub use status::ClaimStatus;
pub use transition::{ClaimKey, ClaimRefusal, RedeemAttempt, Transition, Verdict, VoidAttempt};
pub use units::{MAX_INVENTORY, Units};

pub(crate) use money::shown;

use chrono::{DateTime, Utc};

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

/// Checks an opaque identifier: 1 to 128 characters, no control characters, no white space at
/// either end (it could not be told apart on a screen or in a log).
fn opaque(field: &'static str, text: &str) -> Result<String, Invalid> {
    if text.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if text.chars().count() > 128 {
        return Err(Invalid::new(
            field,
            format!("`{}` is longer than 128 characters", shown(text)),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            format!("`{}` contains a control character", shown(text)),
        ));
    }
    if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
        return Err(Invalid::new(
            field,
            format!("`{}` starts or ends with white space", shown(text)),
        ));
    }
    Ok(text.to_owned())
}

/// An instant as flashsale writes it everywhere (JSON, events, messages): RFC 3339, UTC,
/// millisecond precision, `Z`. One formatter, so no two places can disagree on a timestamp.
#[must_use]
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
