//! The claims' lifecycle as the store tallies it.

use serde::Serialize;

/// What the store holds of the claims' lifecycle and its audit log, read from its
/// own records before and after a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Claims holding a unit, not redeemed.
    pub claimed: i64,
    /// Claims redeemed at checkout (they still hold their unit).
    pub redeemed: i64,
    /// Claims voided by an operator (their unit returned).
    pub voided: i64,
    /// Claims expired past their hold (their unit returned).
    pub expired: i64,
    /// Events the log holds for the campaign's voids.
    pub void_events: i64,
    /// Claims the log's expiry events say were expired.
    pub expired_by_events: i64,
    /// Every event the log holds for the campaign.
    pub events: i64,
}

impl Lifecycle {
    /// Claims that hold a unit (I7): `claimed` and `redeemed`.
    #[must_use]
    pub fn held(&self) -> i64 {
        self.claimed + self.redeemed
    }

    /// Every claim record, whatever its status.
    #[must_use]
    pub fn claims(&self) -> i64 {
        self.held() + self.voided + self.expired
    }
}
