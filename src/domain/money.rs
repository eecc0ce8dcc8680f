//! Integer money: every amount is a count of minor units (cents), never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::decimal::{DecimalError, parse_fixed};

/// An amount of money in minor units of the campaign's currency (cents for EUR/USD).
///
/// Amounts are never negative: carts, caps and minimums are all zero or more, so the type
/// refuses negative values at every entry point and the discount arithmetic can rely on it.
/// Nor are they above [`Cents::MAX`] (2^53 - 1 minor units): JSON clients read numbers as
/// IEEE doubles, which hold every integer only up to there, so a larger amount would reach a
/// shop's checkout silently rounded.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Cents(i64);

impl Cents {
    /// No money.
    pub const ZERO: Cents = Cents(0);

    /// The largest amount: 2^53 - 1 minor units (90,071,992,547,409.91 in a two-decimal
    /// currency), the largest integer every JSON client reads exactly.
    pub const MAX: Cents = Cents((1 << 53) - 1);

    /// Wraps a count of minor units, refusing negative amounts and amounts above
    /// [`Cents::MAX`].
    ///
    /// # Errors
    /// [`Invalid`] when `minor_units` is negative or above [`Cents::MAX`].
    pub fn new(minor_units: i64) -> Result<Self, Invalid> {
        if minor_units < 0 {
            return Err(Invalid::new("amount", "must not be negative"));
        }
        if minor_units > Self::MAX.0 {
            return Err(Invalid::new("amount", too_large()));
        }
        Ok(Cents(minor_units))
    }

    /// The count of minor units.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses an operator-typed decimal amount (`12`, `12.5`, `12.50`) under the field name used
    /// in error messages.
    ///
    /// # Errors
    /// [`Invalid`] naming `field` when the text is not a non-negative decimal with at most two
    /// fraction digits, or does not fit in 64-bit minor units.
    pub fn parse_named(text: &str, field: &'static str) -> Result<Self, Invalid> {
        let bad = |reason: &str| Invalid::new(field, format!("`{}` {reason}", shown(text)));
        if text.starts_with('-') {
            return Err(bad("must not be negative"));
        }
        parse_fixed(text, 2)
            .map_err(|err| match err {
                DecimalError::Malformed => bad("is not an amount like 12.50"),
                DecimalError::TooManyPlaces => bad("has more than 2 decimal places"),
                DecimalError::TooLarge => bad(&too_large()),
            })
            .and_then(|minor_units| Cents::new(minor_units).map_err(|_| bad(&too_large())))
    }
}

/// The one wording of the upper bound, for typed and stored amounts alike.
fn too_large() -> String {
    format!(
        "is too large: at most {} (2^53 - 1 minor units, the largest amount JSON clients read exactly)",
        Cents::MAX
    )
}

impl TryFrom<i64> for Cents {
    type Error = Invalid;

    fn try_from(minor_units: i64) -> Result<Self, Invalid> {
        Cents::new(minor_units)
    }
}

impl From<Cents> for i64 {
    fn from(amount: Cents) -> i64 {
        amount.0
    }
}

impl FromStr for Cents {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_named(text, "amount")
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Shortens user text quoted back in an error, so a 1 MB argument gives a one-line message.
pub(crate) fn shown(text: &str) -> String {
    const LIMIT: usize = 40;
    let printable: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if printable.chars().count() <= LIMIT {
        printable
    } else {
        let head: String = printable.chars().take(LIMIT).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// What an amount displays as parses back to the same amount.
        #[test]
        fn display_round_trips(minor_units in 0_i64..=Cents::MAX.0) {
            let amount = Cents(minor_units);
            prop_assert_eq!(amount.to_string().parse::<Cents>(), Ok(amount));
        }
    }

    #[test]
    fn decimal_amounts_parse_to_exact_cents() {
        for (text, cents) in [
            ("0", 0),
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("0.05", 5),
            ("90071992547409.91", (1 << 53) - 1),
        ] {
            assert_eq!(text.parse::<Cents>().unwrap(), Cents(cents), "{text}");
        }
    }

    #[test]
    fn malformed_amounts_are_refused_with_the_reason() {
        for (text, reason) in [
            ("", "is not an amount"),
            ("-1", "must not be negative"),
            ("1.234", "more than 2 decimal places"),
            ("1.", "is not an amount"),
            (".5", "is not an amount"),
            ("1e3", "is not an amount"),
            ("+5", "is not an amount"),
            (" 5", "is not an amount"),
            ("92233720368547758.08", "too large"),
            ("90071992547409.92", "too large: at most 90071992547409.91"),
            ("92233720368547758.07", "too large"),
            ("1000000000000000000000000000000", "too large"),
        ] {
            let err = text.parse::<Cents>().unwrap_err().to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }

    /// An amount a JSON client would round is refused, at every entry point.
    #[test]
    fn amounts_are_bounded_where_json_numbers_stay_exact() {
        let max = (1_i64 << 53) - 1;
        for (minor_units, accepted) in [
            (0, true),
            (max - 1, true),
            (max, true),
            (max + 1, false),
            (i64::MAX, false),
        ] {
            assert_eq!(Cents::new(minor_units).is_ok(), accepted, "{minor_units}");
            let typed = Cents(minor_units).to_string().parse::<Cents>();
            assert_eq!(typed.is_ok(), accepted, "{minor_units}");
            let json = serde_json::from_str::<Cents>(&minor_units.to_string());
            assert_eq!(json.is_ok(), accepted, "{minor_units}");
            if !accepted {
                let err = Cents::new(minor_units).unwrap_err().to_string();
                assert_eq!(
                    err,
                    "invalid amount: is too large: at most 90071992547409.91 (2^53 - 1 minor \
                     units, the largest amount JSON clients read exactly)"
                );
            }
        }
        // 2^53 - 1 survives a trip through an IEEE double, as a JSON client makes it.
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            reason = "the round trip through a double is what the test checks"
        )]
        let through_double = (Cents::MAX.get() as f64) as i64;
        assert_eq!(through_double, Cents::MAX.get());
    }

    #[test]
    fn amounts_display_with_two_decimals() {
        assert_eq!(Cents(1250).to_string(), "12.50");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(0).to_string(), "0.00");
    }

    #[test]
    fn huge_inputs_are_shortened_in_messages() {
        let huge = "9".repeat(1_000_000);
        let err = huge.parse::<Cents>().unwrap_err().to_string();
        assert!(err.len() < 200, "{}", err.len());
    }
}
