//! The one fixed-point decimal parser behind money ([`Cents`](super::Cents)) and percentages
//! ([`Percent`](super::Percent)): both are written by operators as `12`, `12.5` or `12.50` and
//! kept as an exact integer count of hundredths.

/// Why a text is not a fixed-point decimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecimalError {
    /// Not digits, optionally followed by `.` and digits (signs, exponents, spaces included).
    Malformed,
    /// More fraction digits than the caller's precision.
    TooManyPlaces,
    /// Does not fit in an `i64` of the caller's unit.
    TooLarge,
}

/// Parses `text` as a non-negative decimal with at most `places` fraction digits, scaled by
/// `10^places` (so `"12.5"` with 2 places is `1250`).
pub(crate) fn parse_fixed(text: &str, places: u32) -> Result<i64, DecimalError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) {
        return Err(DecimalError::Malformed);
    }
    let places_usize = usize::try_from(places).unwrap_or(usize::MAX);
    if fraction.len() > places_usize {
        return Err(DecimalError::TooManyPlaces);
    }
    let scale = 10_i64.checked_pow(places).ok_or(DecimalError::TooLarge)?;
    let mut scaled_fraction = 0_i64;
    for position in 0..places_usize {
        let digit = fraction.as_bytes().get(position).map_or(0, |b| b - b'0');
        scaled_fraction = scaled_fraction * 10 + i64::from(digit);
    }
    whole
        .parse::<i64>()
        .ok()
        .and_then(|units| units.checked_mul(scale))
        .and_then(|scaled| scaled.checked_add(scaled_fraction))
        .ok_or(DecimalError::TooLarge)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn malformed_texts_are_named_for_what_is_wrong() {
        for text in ["", ".5", "1.", "+5", "-5", " 5", "1e3", "1.2.3", "1,5"] {
            assert_eq!(
                parse_fixed(text, 2),
                Err(DecimalError::Malformed),
                "{text:?}"
            );
        }
        assert_eq!(parse_fixed("1.234", 2), Err(DecimalError::TooManyPlaces));
        assert_eq!(
            parse_fixed("92233720368547758.08", 2),
            Err(DecimalError::TooLarge)
        );
        assert_eq!(parse_fixed(&"9".repeat(40), 2), Err(DecimalError::TooLarge));
    }

    proptest! {
        /// Every scaled value prints back to a text that parses to it, with 0 to 2 fraction
        /// digits (trailing zeros dropped or kept).
        #[test]
        fn round_trip(value in 0_i64..=i64::MAX, keep_zeros in any::<bool>()) {
            let (whole, hundredths) = (value / 100, value % 100);
            let text = if keep_zeros {
                format!("{whole}.{hundredths:02}")
            } else if hundredths == 0 {
                format!("{whole}")
            } else if hundredths % 10 == 0 {
                format!("{whole}.{}", hundredths / 10)
            } else {
                format!("{whole}.{hundredths:02}")
            };
            prop_assert_eq!(parse_fixed(&text, 2), Ok(value));
        }

        /// Leading zeros change nothing, and one more fraction digit than allowed is refused.
        #[test]
        fn precision_is_exact(whole in 0_u32..1_000_000, fraction in 0_u32..100, zeros in 0_usize..5) {
            let text = format!("{}{whole}.{fraction:02}", "0".repeat(zeros));
            prop_assert_eq!(parse_fixed(&text, 2), Ok(i64::from(whole) * 100 + i64::from(fraction)));
            prop_assert_eq!(parse_fixed(&format!("{text}0"), 2), Err(DecimalError::TooManyPlaces));
        }
    }
}
