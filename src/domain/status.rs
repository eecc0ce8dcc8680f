//! Where a claim stands in its life, and which statuses hold a unit.

use std::fmt;

use serde::Serialize;

use super::Invalid;
use super::money::shown;

/// Where a claim stands. Only [`ClaimStatus::Claimed`] and [`ClaimStatus::Redeemed`] hold a
/// unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Granted, holding a unit, not yet used at checkout.
    Claimed,
    /// Used at checkout for one order; holds its unit for good.
    Redeemed,
    /// Cancelled by an operator; its unit went back to inventory.
    Voided,
    /// Not redeemed within the campaign's hold; its unit went back to inventory.
    Expired,
}

impl ClaimStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Claimed,
        ClaimStatus::Redeemed,
        ClaimStatus::Voided,
        ClaimStatus::Expired,
    ];

    /// The contract's name (`claimed`, `redeemed`, `voided`, `expired`); also what stores keep.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Claimed => "claimed",
            ClaimStatus::Redeemed => "redeemed",
            ClaimStatus::Voided => "voided",
            ClaimStatus::Expired => "expired",
        }
    }

    /// The statuses that hold a unit of the campaign (I7). Every store builds its held-count
    /// queries from this one list, so no store can count a unit the domain does not.
    pub const HOLDING: [ClaimStatus; 2] = [ClaimStatus::Claimed, ClaimStatus::Redeemed];

    /// Whether a claim in this status holds a unit of the campaign (I7).
    #[must_use]
    pub fn holds_unit(self) -> bool {
        Self::HOLDING.contains(&self)
    }

    /// Reads a status by its contract name.
    ///
    /// # Errors
    /// [`Invalid`] (field `status`) for any other text.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                Invalid::new(
                    "status",
                    format!(
                        "`{}` is not one of claimed, redeemed, voided, expired",
                        shown(text)
                    ),
                )
            })
    }
}

impl fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
