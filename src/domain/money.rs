//! Integer money: every amount is a count of minor units (cents), never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::decimal::{DecimalError, parse_fixed};
use super::{Currency, Invalid};

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

impl Cents {
    /// The amount as a person reads it in `currency`, without the code: `500` yen, `5.00`
    /// euros, `1.250` dinars (the currency's own decimal places, [`Currency::minor_digits`]).
    #[must_use]
    pub fn shown_in(self, currency: &Currency) -> String {
        currency.shown(self.0)
    }
}

impl Currency {
    /// `minor_units` of this currency as a person reads them, without the code: a sum of
    /// amounts, which may exceed [`Cents::MAX`], as well as an amount.
    #[must_use]
    pub fn shown(&self, minor_units: i64) -> String {
        let digits = self.minor_digits();
        let width = usize::try_from(digits).unwrap_or(0);
        match 10_i64.checked_pow(digits) {
            Some(scale) if digits > 0 => {
                let sign = if minor_units < 0 { "-" } else { "" };
                let magnitude = minor_units.unsigned_abs();
                let scale = scale.unsigned_abs();
                format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
            }
            _ => minor_units.to_string(),
        }
    }
}

/// An amount as an operator types it (`500`, `12.50`, `1.250`), checked as a decimal before
/// its currency is known: on the command line a flag's value is read before the campaign (and
/// with it the currency) is, and whether `12.50` is allowed, and how many minor units it is,
/// depends on the currency. [`Amount::in_currency`] converts it once the currency is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    /// What was typed, for messages.
    text: String,
    /// The field it was typed for, for messages.
    field: &'static str,
    /// The amount times `10^places`.
    scaled: i64,
    /// How many fraction digits were typed.
    places: u32,
}

impl Amount {
    /// The most fraction digits any currency has (ISO 4217 has none beyond 4).
    const MAX_PLACES: u32 = 4;

    /// Checks `text` as a non-negative decimal amount typed for `field`.
    ///
    /// # Errors
    /// [`Invalid`] naming `field` when the text is negative, not a decimal like `12.50`, has
    /// more than 4 decimal places or is too large.
    pub fn parse_named(text: &str, field: &'static str) -> Result<Self, Invalid> {
        let bad = |reason: &str| Invalid::new(field, format!("`{}` {reason}", shown(text)));
        if text.starts_with('-') {
            return Err(bad("must not be negative"));
        }
        let places = text
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        let places = u32::try_from(places).unwrap_or(u32::MAX);
        let scaled = parse_fixed(text, places.min(Self::MAX_PLACES)).map_err(|err| match err {
            DecimalError::Malformed => bad("is not an amount like 12.50"),
            DecimalError::TooManyPlaces => bad("has more than 4 decimal places"),
            DecimalError::TooLarge => bad(&too_large()),
        })?;
        Ok(Amount {
            text: text.to_owned(),
            field,
            scaled,
            places,
        })
    }

    /// Whether the amount is more than zero.
    #[must_use]
    pub fn is_positive(&self) -> bool {
        self.scaled > 0
    }

    /// The amount in minor units of `currency`.
    ///
    /// # Errors
    /// [`Invalid`] naming the field when the amount has more decimal places than the
    /// currency (`500.5` yen) or is above [`Cents::MAX`] minor units.
    pub fn in_currency(&self, currency: &Currency) -> Result<Cents, Invalid> {
        let bad =
            |reason: String| Invalid::new(self.field, format!("`{}` {reason}", shown(&self.text)));
        let (digits, code) = (currency.minor_digits(), currency.as_str());
        if self.places > digits {
            return Err(bad(if digits == 0 {
                format!("has decimal places, and {code} has no minor unit")
            } else {
                format!("has more than {digits} decimal places, as {code} has")
            }));
        }
        10_i64
            .checked_pow(digits - self.places)
            .and_then(|scale| self.scaled.checked_mul(scale))
            .and_then(|minor_units| Cents::new(minor_units).ok())
            .ok_or_else(|| bad(too_large()))
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

    /// Typed amounts are read in the currency's own places, and shown back the same way.
    #[test]
    fn amounts_follow_the_currency_minor_unit() {
        let currency = |code: &str| Currency::parse(code).unwrap();
        for (text, code, minor) in [
            ("500", "JPY", 500),
            ("12.5", "EUR", 12_50),
            ("12", "EUR", 12_00),
            ("1.25", "KWD", 1_250),
            ("1.250", "KWD", 1_250),
            ("7", "XAU", 7),
        ] {
            let amount = Amount::parse_named(text, "cart").unwrap();
            let cents = amount.in_currency(&currency(code)).unwrap();
            assert_eq!(cents.get(), minor, "{text} {code}");
        }
        for (minor, code, shown) in [
            (500, "JPY", "500"),
            (12_50, "EUR", "12.50"),
            (5, "EUR", "0.05"),
            (1_250, "KWD", "1.250"),
            (-1_250, "KWD", "-1.250"),
        ] {
            assert_eq!(currency(code).shown(minor), shown);
        }
        let refused = |text: &str, code: &str| {
            Amount::parse_named(text, "cart")
                .and_then(|amount| amount.in_currency(&currency(code)))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("500.5", "JPY"),
            "invalid cart: `500.5` has decimal places, and JPY has no minor unit"
        );
        assert_eq!(
            refused("1.2345", "KWD"),
            "invalid cart: `1.2345` has more than 3 decimal places, as KWD has"
        );
        assert_eq!(
            refused("1.23456", "KWD"),
            "invalid cart: `1.23456` has more than 4 decimal places"
        );
        assert!(refused("90071992547410", "KWD").contains("is too large"));
    }

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
