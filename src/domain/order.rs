//! Checkout: the shop's order a claim is redeemed for, and the redemption it records.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ident::{self, Separators};
use super::{Cents, Invalid};

/// The shop's order a claim is redeemed for: 1 to 128 characters, compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrderId(pub(super) String);

impl OrderId {
    /// Checks an order id by the rule of user ids (the `ident` module): a shop's order
    /// `A\u{200b}1` must not redeem a token a second time as another order than `A1`.
    ///
    /// # Errors
    /// [`Invalid`] (field `order id`) when empty, over 128 characters, holding a separator, a
    /// control or format character, or not in NFC.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        ident::check("order id", text, Separators::Refused)?;
        Ok(OrderId(text.to_owned()))
    }

    /// Checks an order id read back from a store, which may hold ids with inner spaces taken
    /// before separators were refused.
    ///
    /// # Errors
    /// [`Invalid`] as [`OrderId::parse`], spaces inside excepted.
    pub fn parse_stored(text: &str) -> Result<Self, Invalid> {
        ident::check("order id", text, Separators::StoredInside)?;
        Ok(OrderId(text.to_owned()))
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
        for spelling in ["A\u{200b}1", "A 1", "A\u{a0}1", "A\u{2009}1", "A\u{3000}1"] {
            let err = OrderId::parse(spelling).unwrap_err().to_string();
            assert!(err.starts_with("invalid order id: "), "{err}");
        }
        assert!(OrderId::parse(&"o".repeat(129)).is_err());
        assert!(Actor::parse("a\u{7}").is_err());
        assert!(Hold::from_seconds(0).is_err());
        assert!(Hold::from_seconds(Hold::MAX_SECONDS + 1).is_err());
        assert_eq!(ClaimStatus::parse("voided"), Ok(ClaimStatus::Voided));
        assert!(ClaimStatus::parse("Voided").is_err());
    }
}
