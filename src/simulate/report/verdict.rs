//! The verdicts a report carries: the store's invariants and the run's own checks.

use serde::Serialize;

/// The verdict on each invariant; `true` means it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per invariant is the report's contract"
)]
pub struct Invariants {
    /// I1: the store holds no more claims than units, and no more `claimed` answers went out.
    pub no_oversell: bool,
    /// I2: one claim record per user, one token per claim, one `claimed` answer per user.
    pub one_claim_per_user: bool,
    /// I4: every answer a user got carries the one token the store holds for that user.
    pub replays_consistent: bool,
    /// I3: `remaining == total - claims`, and the run added exactly one claim per `claimed`
    /// answer.
    pub inventory_conserved: bool,
    /// I5: nobody was told "sold out" while a unit was left (units handed back by voids and
    /// expiries during the run may remain).
    pub no_undersell: bool,
    /// I7: every claim has one status, only `claimed` and `redeemed` hold a unit, each void
    /// and expiry returned exactly one, and no claim was both redeemed and voided.
    pub one_status_per_claim: bool,
    /// I8: no token was redeemed twice; a retry of the same order replayed the first
    /// redemption and a second order was refused.
    pub redeemed_once: bool,
    /// I9: a user whose claim was voided got it back, voided, when claiming again, and no unit.
    pub final_after_void: bool,
    /// I10: every void and expiry of the run appended its event, and nothing else did.
    pub actions_logged: bool,
}

impl Invariants {
    /// Whether every invariant held.
    #[must_use]
    pub fn all_hold(&self) -> bool {
        self.broken().next().is_none()
    }

    /// The names of the invariants that did not hold, as the report's JSON spells them.
    pub fn broken(&self) -> impl Iterator<Item = &'static str> {
        [
            ("no_oversell", self.no_oversell),
            ("one_claim_per_user", self.one_claim_per_user),
            ("replays_consistent", self.replays_consistent),
            ("inventory_conserved", self.inventory_conserved),
            ("no_undersell", self.no_undersell),
            ("one_status_per_claim", self.one_status_per_claim),
            ("redeemed_once", self.redeemed_once),
            ("final_after_void", self.final_after_void),
            ("actions_logged", self.actions_logged),
        ]
        .into_iter()
        .filter_map(|(name, held)| (!held).then_some(name))
    }
}

/// The largest share of requests that may fail with an error (neither an answer nor a
/// refusal) before the run fails: 1 %. A sound store answers every request, so errors mean a
/// store that is full, read-only, unreachable or overloaded, and a pre-sale gate must not pass
/// it; the 1 % leaves room for a rare timeout on a busy shared store.
pub const MAX_ERROR_RATIO: f64 = 0.01;

/// The verdicts on the run itself, beside the store's invariants: a store that answers every
/// request with an error keeps every invariant, and must still fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RunChecks {
    /// At most [`MAX_ERROR_RATIO`] of the requests failed with an error.
    pub errors_below_threshold: bool,
    /// Some user got a claim, or none could have: no eligible user, no unit left after the
    /// run, or the campaign was not live for some request.
    pub claimed_when_possible: bool,
    /// The store could be read after the run (the audit, and every user's claim).
    pub audit_complete: bool,
}

impl RunChecks {
    /// The names of the checks that failed, as the report's JSON spells them.
    pub fn failed(&self) -> impl Iterator<Item = &'static str> {
        [
            ("errors_below_threshold", self.errors_below_threshold),
            ("claimed_when_possible", self.claimed_when_possible),
            ("audit_complete", self.audit_complete),
        ]
        .into_iter()
        .filter_map(|(name, held)| (!held).then_some(name))
    }
}
