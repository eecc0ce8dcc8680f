//! The live counters of a run: filled by the user tasks, polled by whoever shows progress, and
//! read once more by the judgement after every task has ended.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of a running simulation; the caller may poll them from another task (e.g.
/// for a progress bar) while [`Simulator::run`](super::Simulator::run) fills them.
#[derive(Debug, Default)]
pub struct Progress {
    pub(super) users_done: AtomicU64,
    pub(super) requests: AtomicU64,
    pub(super) claimed: AtomicU64,
    pub(super) replayed: AtomicU64,
    pub(super) sold_out: AtomicU64,
    pub(super) not_eligible: AtomicU64,
    pub(super) not_live: AtomicU64,
    pub(super) errors: AtomicU64,
    pub(super) eligible_users: AtomicU64,
    pub(super) duplicate_users: AtomicU64,
    /// Users who got more than one `claimed` answer (I2 broken in front of their eyes).
    pub(super) double_grants: AtomicU64,
    /// Users whose answers carried different tokens (I4).
    pub(super) token_mismatches: AtomicU64,
    /// Users holding a token the store does not hold for them (I4).
    pub(super) store_mismatches: AtomicU64,
    /// Users whose claim could not be read back, so nothing proves it (I4 unproven).
    pub(super) unverified: AtomicU64,
    /// Redemptions granted (`redeemed`, a user's first for its order).
    pub(super) redeemed: AtomicU64,
    /// Redemptions retried with the same order and answered `replayed` with the first one.
    pub(super) redeem_replayed: AtomicU64,
    /// Redemptions refused as a conflict: a second order, or a claim voided or expired first.
    pub(super) redeem_conflicts: AtomicU64,
    /// Claims an operator voided during the run.
    pub(super) voided: AtomicU64,
    /// Voids refused as a conflict (the user redeemed first).
    pub(super) void_conflicts: AtomicU64,
    /// Claims the operator's expiry sweeps expired during the run.
    pub(super) expired: AtomicU64,
    /// Lifecycle requests that failed otherwise (store errors).
    pub(super) lifecycle_errors: AtomicU64,
    /// Claims both redeemed and voided, as their answers said (I7 broken before the user).
    pub(super) double_transitions: AtomicU64,
    /// Tokens redeemed for two orders, or a retry answered with another redemption (I8).
    pub(super) double_redemptions: AtomicU64,
    /// Users who claimed again after a void and got a unit or another claim (I9).
    pub(super) reclaims_not_final: AtomicU64,
    /// Users started and not yet finished.
    pub(super) in_flight: AtomicU64,
    /// The most users that were in flight at once.
    pub(super) peak_in_flight: AtomicU64,
    /// Over HTTP: answers by status; `0` counts requests that got no answer at all.
    pub(super) http_status: Mutex<BTreeMap<u16, u64>>,
}

/// Counts one more.
pub(super) fn bump(counter: &AtomicU64) {
    // Relaxed: each counter is an independent tally; the report reads them only after every
    // task has been joined, which orders all the increments before the reads.
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The count so far.
pub(super) fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Progress {
    /// One more user in flight.
    pub(super) fn started(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
    }

    /// One user fewer in flight; it is done.
    pub(super) fn finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        bump(&self.users_done);
    }

    /// Tallies one HTTP answer's status (`None`: no answer came back).
    pub(super) fn heard(&self, status: Option<u16>) {
        // A poisoned lock only means another user's task panicked mid-increment; the tally is
        // still a tally.
        let mut counts = self
            .http_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.entry(status.unwrap_or(0)).or_default() += 1;
    }

    /// The HTTP statuses tallied so far.
    pub(super) fn http_statuses(&self) -> BTreeMap<u16, u64> {
        self.http_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Users who have finished (all their requests answered and checked).
    pub fn users_done(&self) -> u64 {
        read(&self.users_done)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        read(&self.requests)
    }

    /// `claimed` answers so far.
    pub fn claimed(&self) -> u64 {
        read(&self.claimed)
    }
}
