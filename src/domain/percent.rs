//! Percentages in basis points (1/100 of a percent), so `12.5%` is exact.

use std::fmt;
use std::str::FromStr;

use super::Invalid;
use super::decimal::{DecimalError, parse_fixed};
use super::money::shown;

/// A discount percentage in basis points: `1500` is 15 %, `1250` is 12.5 %.
///
/// Only percentages in (0, 100] exist: a zero discount is no campaign, and more than 100 %
/// would pay the shopper.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u16);

impl Percent {
    /// 100 %, in basis points.
    pub const FULL_BPS: u16 = 10_000;

    /// Builds a percentage from basis points.
    ///
    /// # Errors
    /// [`Invalid`] unless `bps` is in `1..=10000`.
    pub fn from_bps(bps: u16) -> Result<Self, Invalid> {
        if bps == 0 || bps > Self::FULL_BPS {
            return Err(Invalid::new(
                "percent off",
                "must be more than 0 and at most 100",
            ));
        }
        Ok(Percent(bps))
    }

    /// The percentage in basis points.
    #[must_use]
    pub const fn bps(self) -> u16 {
        self.0
    }

    /// The percentage as a JSON number: an integer when whole (`15`), else a decimal (`12.5`).
    #[must_use]
    pub fn to_json_number(self) -> serde_json::Number {
        if self.0.is_multiple_of(100) {
            serde_json::Number::from(self.0 / 100)
        } else {
            serde_json::Number::from_f64(f64::from(self.0) / 100.0)
                .unwrap_or_else(|| serde_json::Number::from(0))
        }
    }
}

impl FromStr for Percent {
    type Err = Invalid;

    /// Parses `15`, `12.5` or `12.25` (at most two decimal places, which is one basis point).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| Invalid::new("percent off", format!("`{}` {reason}", shown(text)));
        let out_of_range = || bad("must be more than 0 and at most 100");
        match parse_fixed(text, 2) {
            Ok(bps) => u16::try_from(bps)
                .ok()
                .and_then(|bps| Percent::from_bps(bps).ok())
                .ok_or_else(out_of_range),
            Err(DecimalError::Malformed) => Err(bad("is not a percentage like 15 or 12.5")),
            Err(DecimalError::TooManyPlaces) => Err(bad("has more than 2 decimal places")),
            Err(DecimalError::TooLarge) => Err(out_of_range()),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => write!(f, "{whole}%"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}%", f10 / 10),
            _ => write!(f, "{whole}.{fraction:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// What a percentage displays as (without its `%`) parses back to the same percentage.
        #[test]
        fn display_round_trips(bps in 1_u16..=Percent::FULL_BPS) {
            let percent = Percent(bps);
            let shown = percent.to_string();
            prop_assert_eq!(shown.trim_end_matches('%').parse::<Percent>(), Ok(percent));
        }
    }

    #[test]
    fn percentages_parse_to_basis_points() {
        for (text, bps) in [
            ("15", 1500),
            ("12.5", 1250),
            ("12.25", 1225),
            ("0.01", 1),
            ("100", 10_000),
            ("100.00", 10_000),
        ] {
            assert_eq!(text.parse::<Percent>().unwrap().bps(), bps, "{text}");
        }
    }

    #[test]
    fn percentages_outside_zero_to_hundred_are_refused() {
        for text in [
            "0",
            "0.00",
            "100.01",
            "101",
            "-5",
            "",
            "abc",
            "1.234",
            "99999999999999999999",
        ] {
            assert!(text.parse::<Percent>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn percentages_render_as_json_numbers() {
        assert_eq!(Percent(1500).to_json_number().to_string(), "15");
        assert_eq!(Percent(1250).to_json_number().to_string(), "12.5");
        assert_eq!(Percent(1225).to_json_number().to_string(), "12.25");
        assert_eq!(Percent(1250).to_string(), "12.5%");
    }
}
