//! The command line's names for the shared parsers of [`crate::domain::parse`]: each flag is
//! named in its errors.

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{Hold, Invalid, parse};

/// Parses `--duration` (see [`parse::duration`]).
pub(crate) fn duration(text: &str) -> Result<TimeDelta, Invalid> {
    parse::duration(text, "--duration")
}

/// Parses a duration for another flag (`--ttl`), named in its errors.
pub(crate) fn duration_named(text: &str, flag: &'static str) -> Result<TimeDelta, Invalid> {
    parse::duration(text, flag)
}

/// Parses an RFC 3339 instant (or `now` when `allow_now`) for `flag`.
pub(crate) fn instant(
    text: &str,
    flag: &'static str,
    now: DateTime<Utc>,
    allow_now: bool,
) -> Result<DateTime<Utc>, Invalid> {
    parse::instant(text, flag, now, allow_now)
}

/// Parses `--hold` (`campaign create`, `simulate`): a duration such as 15m.
pub(crate) fn hold(text: &str) -> Result<Hold, Invalid> {
    parse::hold(text, "--hold")
}
