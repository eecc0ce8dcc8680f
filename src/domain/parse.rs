//! Parsers for operator-typed values: durations (`2h`, `1h30m`) and RFC 3339 instants, the
//! same for a command-line flag and a field of an HTTP body.
//!
//! Every failure is an [`Invalid`] naming the field the caller gives (a flag, a JSON field).

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};

use super::{Hold, Invalid, Window, shown};

/// The longest duration accepted (a year): anything longer is a typo.
pub const MAX_DURATION_DAYS: i64 = 366;

/// Parses a duration such as `90s`, `30m`, `2h`, `1d` or `1h30m` (units s, m, h, d; at least
/// one second; at most [`MAX_DURATION_DAYS`]).
///
/// # Errors
/// [`Invalid`] naming `flag` for anything else.
pub fn duration(text: &str, flag: &'static str) -> Result<TimeDelta, Invalid> {
    let bad = |reason: &str| Invalid::new(flag, format!("`{}` {reason}", shown(text)));
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            if digits.len() > 9 {
                return Err(bad("is too long"));
            }
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad("is not a duration like 30m, 2h or 1h30m")),
        };
        let value: i64 = digits
            .parse()
            .map_err(|_| bad("is not a duration like 30m, 2h or 1h30m"))?;
        total = value
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| bad("is too long"))?;
        digits.clear();
        parts += 1;
    }
    if parts == 0 || !digits.is_empty() {
        return Err(bad(
            "is not a duration like 30m, 2h or 1h30m (a unit is required)",
        ));
    }
    if total == 0 {
        return Err(bad("must be at least 1s"));
    }
    if total > MAX_DURATION_DAYS * 86_400 {
        return Err(bad(&format!("is longer than {MAX_DURATION_DAYS} days")));
    }
    Ok(TimeDelta::seconds(total))
}

/// Parses an RFC 3339 instant (any offset, converted to UTC), or `now` when `allow_now`.
///
/// # Errors
/// [`Invalid`] naming `flag` for anything else.
pub fn instant(
    text: &str,
    flag: &'static str,
    now: DateTime<Utc>,
    allow_now: bool,
) -> Result<DateTime<Utc>, Invalid> {
    if allow_now && text == "now" {
        return Ok(now);
    }
    let instant = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            let example = if allow_now {
                "an RFC 3339 time like 2026-12-01T09:00:00Z, or `now`"
            } else {
                "an RFC 3339 time like 2026-12-01T09:00:00Z"
            };
            Invalid::new(flag, format!("`{}` is not {example}", shown(text)))
        })?;
    // Checked before truncation, which would turn a leap second into 23:59:59.999 + 1 s.
    Window::check_instant(flag, instant)?;
    // Stored instants have millisecond precision: what is compared later is what is stored.
    Ok(instant
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(instant))
}

/// Parses a claim's hold (`campaign create`, `simulate`): a duration such as 15m, at least one
/// second, named `field` in errors.
///
/// # Errors
/// [`Invalid`] naming `field` for anything else, or a hold out of range.
pub fn hold(text: &str, field: &'static str) -> Result<Hold, Invalid> {
    let hold = duration(text, field)?;
    Hold::from_seconds(hold.num_seconds()).map_err(|err| Invalid { field, ..err })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// An error a person can read: one line, and short even when the input was a megabyte.
    fn assert_short_one_line(message: &str) {
        assert!(
            !message.contains('\n') && !message.contains('\r'),
            "{message:?}"
        );
        assert!(
            message.chars().count() <= 200,
            "{} chars: {message:.80}",
            message.chars().count()
        );
    }

    fn epoch() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    /// Text shaped like durations and instants, mixed with anything at all.
    fn near_miss() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9.\\-+e ]{0,30}",
            "[0-9]{0,12}[smhdw]{0,2}[0-9]{0,6}[smhd]?",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})",
        ]
    }

    proptest! {
        /// Any text is either a duration of 1 s to 366 days or a short one-line refusal.
        #[test]
        fn duration_parsing_never_panics(text in near_miss()) {
            match duration(&text, "--duration") {
                Ok(d) => prop_assert!(d >= TimeDelta::seconds(1) && d <= TimeDelta::days(MAX_DURATION_DAYS)),
                Err(err) => assert_short_one_line(&err.to_string()),
            }
        }

        /// Hours and minutes add up exactly.
        #[test]
        fn durations_add_their_parts(h in 0i64..100, m in 0i64..1000, s in 1i64..1000) {
            let parsed = duration(&format!("{h}h{m}m{s}s"), "--duration");
            prop_assert_eq!(parsed.ok(), Some(TimeDelta::seconds(h * 3600 + m * 60 + s)));
        }

        /// Any text is either an instant or a short one-line refusal.
        #[test]
        fn instant_parsing_never_panics(text in near_miss()) {
            if let Err(err) = instant(&text, "--ends-at", epoch(), true) {
                assert_short_one_line(&err.to_string());
            }
        }

        /// Every millisecond instant from year 1 to 9999 prints as RFC 3339 that parses back.
        #[test]
        fn instants_round_trip(millis in -62_135_596_800_000i64..253_402_300_799_000) {
            let parsed = DateTime::from_timestamp_millis(millis).unwrap_or_default();
            let text = parsed.to_rfc3339();
            prop_assert_eq!(instant(&text, "--ends-at", epoch(), false), Ok(parsed));
        }
    }

    /// A megabyte of anything gets a short one-line refusal.
    #[test]
    fn megabyte_inputs_get_short_one_line_errors() {
        for unit in ["9", "a", "\u{7}", "é", "1.", "-", "9h", "\n"] {
            let huge = unit.repeat(1_000_000 / unit.len());
            let refusals = [
                duration(&huge, "--duration").err(),
                instant(&huge, "--ends-at", epoch(), true).err(),
            ];
            for (i, refusal) in refusals.into_iter().enumerate() {
                let refusal =
                    refusal.unwrap_or_else(|| panic!("parser {i} accepted a megabyte of {unit:?}"));
                assert_short_one_line(&refusal.to_string());
            }
        }
    }

    #[test]
    fn durations_parse_in_seconds_minutes_hours_days() {
        for (text, seconds) in [
            ("90s", 90),
            ("30m", 1_800),
            ("2h", 7_200),
            ("1d", 86_400),
            ("1h30m", 5_400),
            ("366d", 366 * 86_400),
        ] {
            assert_eq!(
                duration(text, "--duration").unwrap(),
                TimeDelta::seconds(seconds),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_durations_are_refused() {
        for text in [
            "",
            "30",
            "m",
            "0m",
            "-5m",
            "1.5h",
            "2w",
            "367d",
            "99999999999h",
            "1h 30m",
            "１h",
        ] {
            assert!(duration(text, "--duration").is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn instants_are_rfc3339_and_normalised_to_utc() {
        let now = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(instant("now", "--starts-at", now, true).unwrap(), now);
        assert!(instant("now", "--ends-at", now, false).is_err());
        let t = instant("2026-12-01T10:00:00+01:00", "--ends-at", now, false).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-01T09:00:00+00:00");
        for bad in [
            "",
            "2026-12-01",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-12-01 09:00:00",
        ] {
            assert!(instant(bad, "--ends-at", now, false).is_err(), "{bad:?}");
        }
    }
}
