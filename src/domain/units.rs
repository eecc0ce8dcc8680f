//! Unit counts: how many units a campaign is created with or restocked by.

use std::fmt;
use std::str::FromStr;

use super::Invalid;
use super::money::shown;

/// The most units one campaign can hold; far above any real flash sale, and low enough that
/// restocks can never overflow the 64-bit counters of any store.
pub const MAX_INVENTORY: i64 = 1_000_000_000;

/// A count of units in `1..=MAX_INVENTORY`: a campaign's initial inventory or a restock.
///
/// Checked once where it enters (an operator's text or a caller's number), so nothing
/// downstream checks the range again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Units(i64);

impl Units {
    /// Checks a count of units.
    ///
    /// # Errors
    /// [`Invalid`] (field `units`) unless `count` is in `1..=MAX_INVENTORY`.
    pub fn new(count: i64) -> Result<Self, Invalid> {
        Self::checked(count, "units")
    }

    /// Parses an operator-typed whole number under the field name used in error messages.
    ///
    /// # Errors
    /// [`Invalid`] naming `field` when `text` is not a whole number in `1..=MAX_INVENTORY`.
    pub fn parse_named(text: &str, field: &'static str) -> Result<Self, Invalid> {
        let count = text
            .parse::<i64>()
            .map_err(|_| Invalid::new(field, format!("`{}` is not a whole number", shown(text))))?;
        Self::checked(count, field)
    }

    fn checked(count: i64, field: &'static str) -> Result<Self, Invalid> {
        if (1..=MAX_INVENTORY).contains(&count) {
            Ok(Units(count))
        } else {
            Err(Invalid::new(
                field,
                format!("must be from 1 to {MAX_INVENTORY}"),
            ))
        }
    }

    /// The count.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The largest total a campaign may have for this restock to be taken: a restock never
    /// takes a campaign past [`MAX_INVENTORY`]. Stores make it the condition of their one
    /// atomic update (`total <= ceiling`).
    #[must_use]
    pub const fn restock_ceiling(self) -> i64 {
        MAX_INVENTORY - self.0
    }
}

impl FromStr for Units {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_named(text, "units")
    }
}

impl fmt::Display for Units {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A restock is taken exactly while the total stays within the maximum.
        #[test]
        fn a_restock_fits_exactly_under_its_ceiling(units in 1..=MAX_INVENTORY, total in 0..=MAX_INVENTORY) {
            let units = Units::new(units).unwrap();
            prop_assert_eq!(total <= units.restock_ceiling(), total + units.get() <= MAX_INVENTORY);
        }

        /// Exactly the counts from 1 to the maximum are units, by number and by text.
        #[test]
        fn units_are_one_to_the_maximum(count in any::<i64>()) {
            let valid = (1..=MAX_INVENTORY).contains(&count);
            prop_assert_eq!(Units::new(count).is_ok(), valid);
            prop_assert_eq!(count.to_string().parse::<Units>().map(Units::get).ok(), valid.then_some(count));
        }

        /// The boundaries, whatever the neighbourhood: 0 and MAX + 1 are out, 1 and MAX in.
        #[test]
        fn near_the_bounds(offset in 0_i64..1_000) {
            prop_assert!(Units::new(1 + offset).is_ok());
            prop_assert!(Units::new(MAX_INVENTORY - offset).is_ok());
            prop_assert!(Units::new(-offset).is_err());
            prop_assert!(Units::new(MAX_INVENTORY + 1 + offset).is_err());
        }
    }

    #[test]
    fn refusals_name_the_field_and_the_rule() {
        let err = Units::parse_named("ten", "inventory").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid inventory: `ten` is not a whole number"
        );
        let err = Units::parse_named("0", "inventory").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid inventory: must be from 1 to 1000000000"
        );
        assert_eq!(Units::new(0).unwrap_err().field, "units");
        assert!("1.5".parse::<Units>().is_err());
    }
}
