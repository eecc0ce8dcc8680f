//! Parsers for operator-typed values that clap does not know: durations and instants.
//!
//! They are public so the fuzz and property tests reach them; every failure is an
//! [`Invalid`] naming the flag.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{Invalid, shown};

/// The longest campaign a `--duration` may describe (a year): anything longer is a typo.
pub const MAX_DURATION_DAYS: i64 = 366;

/// Parses a duration such as `90s`, `30m`, `2h`, `1d` or `1h30m` (units s, m, h, d; at least
/// one second; at most [`MAX_DURATION_DAYS`]).
///
/// # Errors
/// [`Invalid`] naming `--duration` for anything else.
pub fn duration(text: &str) -> Result<TimeDelta, Invalid> {
    duration_named(text, "--duration")
}

/// [`duration`] for another flag (`--ttl`), named in its errors.
///
/// # Errors
/// [`Invalid`] naming `flag` for anything [`duration`] refuses.
pub fn duration_named(text: &str, flag: &'static str) -> Result<TimeDelta, Invalid> {
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
    DateTime::parse_from_rfc3339(text)
        .map(|t| crate::clock::truncate_to_millis(t.with_timezone(&Utc)))
        .map_err(|_| {
            let example = if allow_now {
                "an RFC 3339 time like 2026-12-01T09:00:00Z, or `now`"
            } else {
                "an RFC 3339 time like 2026-12-01T09:00:00Z"
            };
            Invalid::new(flag, format!("`{}` is not {example}", shown(text)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
                duration(text).unwrap(),
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
            assert!(duration(text).is_err(), "{text:?} parsed");
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
