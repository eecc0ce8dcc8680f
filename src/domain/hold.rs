//! How long a granted claim holds its unit without being redeemed.

use chrono::{DateTime, TimeDelta, Utc};

use super::Invalid;

/// How long a granted claim holds its unit without being redeemed: from 1 second to 366 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hold(i64);

impl Hold {
    /// The longest hold, in seconds (366 days).
    pub const MAX_SECONDS: i64 = 366 * 24 * 3600;

    /// A hold of `seconds`.
    ///
    /// # Errors
    /// [`Invalid`] (field `hold`) outside 1 second to 366 days.
    pub fn from_seconds(seconds: i64) -> Result<Self, Invalid> {
        if (1..=Self::MAX_SECONDS).contains(&seconds) {
            Ok(Hold(seconds))
        } else {
            Err(Invalid::new("hold", "must be from 1 second to 366 days"))
        }
    }

    /// The hold in seconds.
    #[must_use]
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// When a claim granted at `claimed_at` expires.
    #[must_use]
    pub fn expiry(self, claimed_at: DateTime<Utc>) -> DateTime<Utc> {
        claimed_at
            .checked_add_signed(TimeDelta::seconds(self.0))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}
