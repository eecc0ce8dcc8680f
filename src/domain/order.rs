//! Checkout: the shop's order a claim is redeemed for, and the redemption it records.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Cents, Invalid, opaque};

/// The shop's order a claim is redeemed for: 1 to 128 characters, compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(pub(super) String);

impl OrderId {
    /// Checks an order id.
    ///
    /// # Errors
    /// [`Invalid`] (field `order id`) when empty, over 128 characters, holding a control
    /// character or white space at either end.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        opaque("order id", text).map(OrderId)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A claim's use at checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redemption {
    /// The order it paid for.
    pub order_id: OrderId,
    /// The checkout cart.
    pub cart: Cents,
    /// The discount re-priced on that cart with the campaign's rule.
    pub discount: Cents,
    /// When.
    pub redeemed_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use crate::domain::{Actor, ClaimStatus, Hold, OrderId};

    #[test]
    fn identifiers_are_checked() {
        assert!(OrderId::parse("o-1").is_ok());
        assert!(OrderId::parse("").is_err());
        assert!(OrderId::parse(" o").is_err());
        assert!(OrderId::parse(&"o".repeat(129)).is_err());
        assert!(Actor::parse("a\u{7}").is_err());
        assert!(Hold::from_seconds(0).is_err());
        assert!(Hold::from_seconds(Hold::MAX_SECONDS + 1).is_err());
        assert_eq!(ClaimStatus::parse("voided"), Ok(ClaimStatus::Voided));
        assert!(ClaimStatus::parse("Voided").is_err());
    }
}
