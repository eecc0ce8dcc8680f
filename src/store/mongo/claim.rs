//! The claim and reconcile algorithms of the `MongoDB` store, over [`DocOps`].
//!
//! # What the proofs assume
//!
//! Every operation runs with [`Consistency::REQUIRED`](super::ops::Consistency): writes are
//! acknowledged once majority-committed and journaled (no election rolls back a write we were
//! told about), but for the reservation insert of step c, which the primary alone acknowledges
//! (see "Why the reservation needs no majority" below); reads go to the primary with majority
//! read concern (a read never returns what a rollback may undo, and never a lagging
//! secondary's older state), and "now" is the primary's clock ([`ServerClock`]). So the
//! operations form one history of single-document atomic steps, the one the arguments below
//! reason about. Each weaker setting breaks a step of them: `w: 1` on the other writes lets a
//! decrement vanish under a confirmed claim; a secondary read lets reconcile count a lagging
//! member; a `local` read lets a replay show a token a rollback takes back; app server clocks
//! let a fast one delete a live reservation as stale.
//!
//! # Why the claim document is written first
//!
//! `MongoDB` gives us atomic single-document writes and unique indexes, nothing across two
//! documents without a transaction (and a transaction on one hot campaign document aborts on
//! every write conflict). A claim touches two documents: the campaign's `remaining` counter and
//! the claim. We write the claim document FIRST, as a reservation (`status: reserving`), and
//! only then take the unit. Every write on a claim document names it by (`campaign_id`,
//! `user_id`), the shard key, plus its token:
//!
//! ```text
//! a. find claim (c, u)        claimed   -> Replayed (I4), no write
//!    (together with b)        reserving -> another tab is in flight: poll until it is claimed
//!                                          (-> Replayed) or gone (-> a); past its lease it is
//!                                          a crashed request: delete it (c, u, token,
//!                                          reserving) and go to a
//! b. read campaign            missing / not live / not eligible / remaining == 0
//!                                       -> b'
//! b'. find claim (c, u) again none      -> refuse, no write (I6)
//!                             claimed   -> Replayed (another tab claimed since a)
//!                             reserving -> a (wait for the other tab)
//! c. insert claim (reserving) E11000    -> pause, then a (another tab of the same user got
//!    (w: 1)                                there first)
//! d. reserve a unit           ONE updateOne({_id, ended: false, starts_at <= now,
//!                             ends_at >= now, remaining > 0}, {$inc: {remaining: -1}})
//!                             no match  -> re-read the campaign, delete our reserving doc
//!                                          (it holds no unit): SoldOut / NotLive / NotFound;
//!                                          if the delete found no doc, first find claim (c, u):
//!                                          claimed -> Replayed, reserving -> a
//! e. confirm                  updateOne({c, u, token, status: reserving}, {$set: claimed})
//!                             matched   -> Claimed
//!                             no match  -> our doc was deleted as stale or rolled back: put
//!                                          it back (reserving), answer an error; the unit
//!                                          we took stays stranded (never handed back here)
//! ```
//!
//! `now` (the window at b and d, the lease start at c, staleness at a) is the server's.
//!
//! What to answer is never decided here: at b, and on the re-read after a missed decrement at
//! d, the domain decides ([`ClaimAttempt::decide`]) on what was read; this module only chooses
//! the reads and writes and their order.
//!
//! Every document but a `reserving` one is a claim (`claimed`, or later `redeemed`, `voided` or
//! `expired`: `lifecycle.rs`): replay and `claim_of` take any of them, so a voided or expired
//! user replays their claim and takes no unit; the `claimed` count and the audit take those
//! holding a unit (`claimed`, `redeemed`).
//!
//! **Duplicate tabs** are serialised by the unique index on (`campaign_id`, `user_id`) at step
//! c, BEFORE any unit is taken. So no claim request ever takes a second unit for a user, and
//! no claim request ever hands a unit back. That removes the I5 hazard of a
//! compensating design (another user told "sold out" while a duplicate tab is about to give its
//! unit back): `remaining` only goes down during a sale, so a request that read
//! `remaining == 0` (step b) or failed the guarded decrement (step d) saw a value that stays 0
//! until an operator restocks or reconciles.
//!
//! **I1 (no oversell)**: a unit is taken only by the guarded decrement, which never takes
//! `remaining` below 0; a document becomes `claimed` only at step e, after its own decrement
//! succeeded, and at most one document per (c, u) exists. So every claim holds a distinct unit.
//!
//! **I2, I4**: at most one document per (c, u) (unique index); a claim document is never
//! deleted and never goes back to `reserving` (every delete and the confirm filter on `status:
//! reserving`), and a lifecycle transition changes only its status and redemption, so every
//! later request of that user replays the same token, discount and cart.
//!
//! **A refusal is never given to a user holding a claim** (step b'). The reads
//! of a and b travel on two connections and are not one snapshot: between them another tab of
//! the same user may claim (taking the last unit, say), so "no claim at a" and "sold out at b"
//! can both be true while the user holds a claim when b is read. Step b' reads the user's
//! claim AFTER b answered. If it finds none at instant t', the user held no claim at the
//! instant t of the campaign read either (t < t', and a claim, once made, is never deleted),
//! so the refusal is what a request running alone at t would get: it is linearised at t. If
//! it finds a claim, that claim is replayed (I4). A reservation found at b' is another tab in
//! flight, which may yet become a claim: we wait for it as at a. A refusal after a missed
//! decrement at d needs no such look when the removal of our reservation finds it: that
//! removal is a majority write, so our document stood in the one history from its insert to
//! its removal, the unique index kept any other document of the user out all that time, and
//! the user held no claim at the re-read between. When the removal finds nothing, our
//! reservation went earlier (rolled back by an election, or deleted as stale by another tab
//! or reconcile), another tab may have claimed since, and the user's claim is read after the
//! campaign as at b'.
//!
//! # Why three writes, in this order
//!
//! A claim writes the claim document, takes a unit from the campaign document, and writes the
//! claim document again. None of the three can go, and their order is forced:
//!
//! - **The claim document is written before the unit is taken.** Two tabs of one user racing
//!   must be told apart before either takes a unit. The only thing that serialises them across
//!   app servers is the unique index on (`campaign_id`, `user_id`), which acts on a claim
//!   document write. Were the unit taken first, the losing tab would hold a unit it must
//!   hand back, and until it does, another shopper may be told "sold out" while a unit is about
//!   to return: the refusal would not be what any serial order of the requests gives (the I5
//!   hazard). No read can stand in for that write: two tabs may both read "no claim".
//! - **A write after the unit is taken.** A reservation left behind by a crashed request must
//!   be removable (or a user's other tabs would wait for it forever), and removing one that
//!   already holds a unit is harmless only while nobody was told they hold it. So a document
//!   must say, once its decrement succeeded and before the answer goes out, "this one holds a
//!   unit and was answered": the confirm. The decrement cannot say it instead: it writes the
//!   campaign document, and a campaign document cannot carry a mark per claim at a sale's
//!   scale (one document, a hundred thousand claims); the claim document is the only place.
//! - **So a new claim is three sequential writes at least**, plus the read that decides
//!   whether to write at all. Going without that read (inserting first) would save a round
//!   trip on a new claim but cost every refusal two writes and a look at the hot campaign
//!   document, and refusals are most of a sale's requests.
//!
//! **The read is two commands, not one.** One aggregate on `campaigns` joining the user's
//! claim (`$lookup`, or `$unionWith` from `claims`) would read both in one command and make
//! b' unnecessary. The server the store is tested against over the wire, FerretDB 1.24.2,
//! refuses every such form (`$lookup` with or without a sub-pipeline, `$unionWith`, `$facet`:
//! "`aggregate` stage ... is not implemented yet", code 238), so the two reads go out together
//! as two commands on one round trip, and b' restores what one snapshot would give.
//!
//! # Why the reservation needs no majority
//!
//! The reservation insert (step c) is acknowledged by the primary alone (`w: 1`, unjournaled),
//! and every later write of the request waits for a majority. What that can lose:
//!
//! - The request's next write after c is the decrement or the removal of the reservation,
//!   both majority writes. A majority write is acknowledged once it is committed, and an entry
//!   is committed only with every entry before it in the primary's oplog: so if that write was
//!   sent to the primary that took the insert, the insert is as durable as it, and if an
//!   election came between, the insert either reached the new primary (and stands) or was
//!   rolled back. So a reservation that matters is durable by the time it matters.
//! - A reservation rolled back before the decrement: the decrement still takes a unit, the
//!   confirm then matches no document, and the request answers an error. It inserts its
//!   reservation again first, so the stranded unit has the document a crash between d and e
//!   leaves, and reconcile `--apply` repairs it (without that document the drift would exceed
//!   the reservations and only `--force` would). No claim is granted without its document: a
//!   crash or an election may strand a unit, never grant one.
//! - A reservation rolled back before a missed decrement: the removal finds nothing, and the
//!   user's claim is read again before refusing (above).
//! - Another tab of the user hits `E11000` on a reservation that is not majority-committed
//!   yet, and its majority read at a finds nothing: it pauses and looks again, and the
//!   reservation is either committed (then seen and waited for) or rolled back (then the
//!   insert succeeds).
//! - Reconcile counts only what a majority read shows. A reservation whose decrement that
//!   count's campaign read reflects is committed with that decrement (above), so the argument
//!   of "Why a write never oversells" holds as it is.
//!
//! What it saves: a majority write on the path the shopper waits for, about a quarter of a
//! new claim's modelled latency (the simulation's model: a round trip 0.5 ms, a majority
//! write 2 ms; a new claim 6.5 ms with a majority reservation, 5.0 ms without).
//!
//! **What a crash leaves** (or a driver error whose outcome stays unknown after the driver's
//! one retry):
//! - before c, or a failed insert at c: nothing, or a reserving doc holding no unit (we try to
//!   delete it at once; if that fails too it is deleted when stale);
//! - an election after c rolls the reservation back: the confirm matches nothing, and the
//!   request puts its reservation back before answering an error, so the unit it took stays
//!   stranded with the reserving doc a crash between d and e leaves (below);
//! - between c and d: a reserving doc holding no unit; the user's other tabs wait for its lease
//!   to run out, then delete it. No unit is involved.
//! - at d with an unknown outcome, or between d and e: a reserving doc that may hold a unit. We
//!   never repeat the decrement to find out (that could take two units) and never hand the
//!   unit back (that could return a unit that was never taken): the doc stays `reserving`, is
//!   deleted once stale, and the unit stays stranded. That breaks I3 (undersell), never I1,
//!   until `inventory reconcile` recounts.
//! - at e with an unknown outcome: confirm is idempotent and we resolve it by reading the doc
//!   (majority, so what we read cannot be rolled back); if it is still not `claimed` we answer
//!   an error and the case above applies.
//!
//! A request that is merely slow (longer than the lease between c and e) may find its doc
//! deleted by a duplicate tab or by reconcile; its confirm then matches nothing, it puts its
//! (stale) reservation back and answers an error. The unit it took is stranded, never claimed
//! twice.
//!
//! # Reconcile (safe while claims arrive, exact at rest)
//!
//! 0. (`--apply`, in `lifecycle.rs`) finish the unit returns of voided or expired claims a
//!    crash left half done;
//! 1. delete stale `reserving` docs (older than the lease, by the server's clock);
//! 2. read `R = remaining`, `T = total`, `E = epoch`;
//! 3. `N` = count of the claim docs that hold or may hold a unit, in one query: `reserving`
//!    (it may hold one, so it is counted pessimistically), `claimed`, `redeemed`, and voided
//!    or expired docs still `returning` their unit; one query counts a doc once even if it is
//!    confirmed, voided or expired meanwhile;
//! 4. expected = max(0, T - N). Under `--apply`, only when expected > R (a raise):
//!    `updateOne({_id, remaining: R, total: T, epoch: E}, {$set: {remaining: expected},
//!    $inc: {epoch: 1}})`, and on no match start over. Expected < R is never written under
//!    `--apply` (only `--force` writes it).
//!
//! **Why a write never oversells.** Let `held` be the number of existing claim docs whose
//! decrement succeeded and whose unit has not gone back (every `claimed` and `redeemed` doc is
//! one of them, and a voided or expired one until its return). The invariant is
//! `remaining + held <= T`: a reserve adds 1 to `held` and takes 1 from `remaining`; a restock
//! adds the same to `T` and `remaining`, a removal takes the same from both (and only where
//! `remaining` has them); a return adds 1 to `remaining` and takes 1 from `held`; deleting a
//! doc only lowers `held`. Only the reconcile write could break it. `remaining` changes only
//! by a reserve (down), a restock or a removal (which also change `total`), a return (which
//! bumps `epoch`) or a reconcile write (which also bumps `epoch`: a filter on `remaining` and
//! `total` alone would be fooled by a second reconcile writing `R` back, the ABA case). So if
//! the write matches `{remaining: R, total: T, epoch: E}`, no return and no reconcile happened
//! since step 2 and the restocks and removals since cancel out (`total` is `T`), so the reserves
//! alone moved `remaining`, and since it is still `R`, no reserve happened either. Therefore every doc holding a unit at the write decremented
//! before step 2, so it was inserted before step 2 and, still existing at the write, existed
//! at step 3 (a majority read on the primary sees every acknowledged insert): it was counted,
//! `held <= N`. Also `held <= T`. Hence `expected + held <= T`. `claimed <= held` gives
//! `claimed + remaining <= T`, and `remaining >= 0` gives I1.
//!
//! **Why a plain repair only raises**. `N` also counts reservations that
//! have not decremented yet. Writing `T - N` when that is BELOW `R` takes their units: total
//! 10, 9 claims, X reserving but not yet decremented: `R = 1`, `N = 10`, and writing 0 makes
//! X's decrement miss; X is told sold out and the unit is lost until the next reconcile. A
//! raise takes nothing from anyone: every request that still decrements finds at least what it
//! would have found without the repair. And a raise is the only repair a crash ever needs: at
//! rest (no request in flight, so after step 1 no reservation is left and `held` = `N` =
//! claims) the invariant gives `R <= T - N`, so the drift is a shortfall (units stranded by
//! crashes), and the raise to `T - N` makes `remaining + claims = T` exactly. A count LOWER
//! than `R` says at rest that the invariant itself is broken: damage or an edit, never a crash.
//! Under `--apply` it is refused when beyond the reservations in flight
//! ([`StoreError::DriftTooLarge`]) and otherwise reported, never written: during a sale it is
//! exactly the units of reservations not yet decremented. `--force` writes it.
//!
//! While claims arrive a raise may still be one short per reservation counted before its
//! decrement (it takes its unit after the raise): undersell, never oversell, and the next
//! reconcile at rest repairs it.
//!
//! Without `apply`, reconcile writes nothing at all: stale reservations are not deleted but
//! counted like the rest, and the read and the count are not one snapshot, so under load the
//! report is an estimate. With `apply` the write is exact, by the argument above.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status, date};
use super::ops::{DocOps, Inserted, Seen, TimeSource};
use crate::clock::{Clock, truncate_to_millis};
use crate::domain::{CampaignId, Claim, ClaimAttempt, Decision, EventKind, Stamp};
use crate::store::{ReconcileMode, Reconciliation, StoreError};

/// How long a `reserving` document is trusted to belong to a live request, and how a
/// duplicate tab waits for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// A `reserving` document older than this (by the wall clock of whoever looks) is a crashed
    /// request's and may be deleted. Must exceed the slowest claim (c to e) by a wide margin:
    /// a live request whose document is deleted answers an error and strands its unit.
    pub stale_after: Duration,
    /// First pause of a duplicate tab waiting for the tab in flight.
    pub poll_min: Duration,
    /// Longest pause between two looks.
    pub poll_max: Duration,
}

impl Default for Lease {
    fn default() -> Self {
        Lease {
            stale_after: Duration::from_secs(30),
            poll_min: Duration::from_millis(2),
            poll_max: Duration::from_millis(100),
        }
    }
}

/// An algorithm defect a test can switch back on, named by its effect, to show that the checks
/// catch it. Production builds cannot switch any on ([`Defects::has`] is constant `false`
/// there). The app server's clock instead of the server's is not one of these: it is
/// [`TimeSource::Client`](super::ops::TimeSource) of the ops' consistency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Defect {
    /// Reconcile `--apply` writes `total - claim docs` even when that lowers `remaining`,
    /// taking the unit of a reservation counted before its decrement.
    ReconcileLowersRemaining,
    /// A refusal is answered on the campaign read alone, without re-reading the user's claim
    /// after it.
    RefusalWithoutRecheck,
    /// A claim's transition (redeem, void, expire) updates the claim without the status it
    /// read in the filter, so two racing transitions both match.
    TransitionWithoutStatus,
    /// A voided or expired claim's unit goes back to `remaining` but stays counted in the
    /// campaign's `held`, so the held count a campaign read reports drifts up by one per
    /// return.
    ReturnKeepsHeld,
    /// After a missed decrement, the refusal is answered without looking whether the
    /// request's own reservation was still there to keep the user's other tabs out.
    RefusalAfterLostReservation,
    /// A request whose confirm finds its reservation gone answers its error without putting
    /// the reservation back, so the unit it took is stranded without a document.
    LostReservationNotPutBack,
}

/// The defects switched on (none, outside tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Defects {
    #[cfg(test)]
    on: [bool; 6],
}

impl Defects {
    /// No defect: the algorithm as proved.
    pub(super) const NONE: Defects = Defects {
        #[cfg(test)]
        on: [false; 6],
    };

    /// `self` with `defect` switched on.
    #[cfg(test)]
    #[must_use]
    pub(super) fn with(mut self, defect: Defect) -> Self {
        self.on[defect as usize] = true;
        self
    }

    /// Whether `defect` is switched on.
    #[cfg_attr(
        not(test),
        expect(clippy::unused_self, reason = "only tests switch defects on")
    )]
    pub(super) fn has(self, defect: Defect) -> bool {
        #[cfg(test)]
        return self.on[defect as usize];
        #[cfg(not(test))]
        {
            let _ = defect;
            false
        }
    }
}

/// How many times a claim starts over (a duplicate insert, a stale doc deleted, a doc that
/// vanished while we waited) before giving up; each start-over means another request of the
/// same user changed things, so this is never reached in practice.
const MAX_ROUNDS: usize = 64;

fn gave_up(context: &str, why: &str) -> StoreError {
    StoreError::backend(context, std::io::Error::other(why.to_owned()))
}

fn lease_start_before(now: DateTime<Utc>, lease: &Lease) -> mongodb::bson::DateTime {
    let stale = TimeDelta::from_std(lease.stale_after).unwrap_or(TimeDelta::MAX);
    date(
        now.checked_sub_signed(stale)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC),
    )
}

/// How long a measured offset to the server's clock is trusted before it is measured again.
const REMEASURE_AFTER: TimeDelta = TimeDelta::seconds(60);

/// The primary's clock as this app server sees it: its own clock plus an offset measured with
/// [`DocOps::server_time`], re-measured every [`REMEASURE_AFTER`] and after any store error
/// ([`ServerClock::forget`]).
///
/// Why server time: the sale window and the leases must mean the same instant to every app
/// server. With each app server's own clock, one running 40 s fast deletes the 10 s old
/// reservation of a live request as stale (its unit is stranded) and opens the sale early.
/// Why an offset and not a round trip per claim: asking the server adds a sequential round trip
/// to every claim and every refusal (the expensive part of a claim), while the offset is off by
/// at most half the round trip it was measured with (a millisecond in a data centre) plus the
/// local clock's drift over a minute (microseconds); the lease is 30 s and the window is
/// judged to the millisecond, so that error never matters. A local clock stepped by NTP is
/// caught by the re-measure (at once if it stepped backwards past the measurement).
#[derive(Clone)]
pub(super) struct ServerClock<K> {
    local: K,
    offset: Arc<Mutex<Option<Offset>>>,
}

/// One measurement of the server's clock.
#[derive(Clone, Copy, Debug)]
struct Offset {
    /// The server's clock minus ours.
    ahead_by: TimeDelta,
    /// When (by our clock) it was taken.
    at: DateTime<Utc>,
}

impl<K: Clock> ServerClock<K> {
    /// The server's clock, seen from `local`.
    pub(super) fn new(local: K) -> Self {
        ServerClock {
            local,
            offset: Arc::new(Mutex::new(None)),
        }
    }

    /// Drops the measured offset, so the next look measures again (after an error: a failover
    /// may have moved the primary to a machine with another clock).
    pub(super) fn forget(&self) {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The instant a decision by a caller whose clock reads `local` is made at: the server's
    /// clock (as [`ServerClock::now`]) under [`TimeSource::Server`], `local` itself under the
    /// test-only `TimeSource::Client`.
    pub(super) async fn judging<O: DocOps>(
        &self,
        ops: &O,
        // Only the test-only client time reads it.
        #[cfg_attr(
            not(test),
            expect(unused_variables, reason = "only the test-only client time reads it")
        )]
        local: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        match ops.consistency().time {
            TimeSource::Server => self.now(ops).await,
            #[cfg(test)]
            TimeSource::Client => Ok(local),
        }
    }

    /// "Now" (to the millisecond, like every stored instant) as `ops` is to judge it: the server's clock under [`TimeSource::Server`], our own
    /// under the test-only `TimeSource::Client`.
    pub(super) async fn now<O: DocOps>(&self, ops: &O) -> Result<DateTime<Utc>, StoreError> {
        match ops.consistency().time {
            TimeSource::Server => {}
            #[cfg(test)]
            TimeSource::Client => return Ok(self.local.now()),
        }
        let local = self.local.now();
        let cached = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Offset { ahead_by, at }) = cached
            && at <= local
            && local - at < REMEASURE_AFTER
        {
            return Ok(truncate_to_millis(local + ahead_by));
        }
        let before = self.local.now();
        let server = ops.server_time().await?;
        let after = self.local.now();
        // The server read its clock somewhere in the round trip: assume the middle.
        let middle = before + (after - before) / 2;
        let ahead_by = server - middle;
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner) = Some(Offset {
            ahead_by,
            at: after,
        });
        Ok(truncate_to_millis(after + ahead_by))
    }
}

/// Carries out one claim (steps a to e above); the domain decides at b and again after a
/// missed decrement at d.
pub(super) async fn claim<O: DocOps, K: Clock>(
    ops: &O,
    clock: &ServerClock<K>,
    lease: &Lease,
    defects: Defects,
    attempt: &ClaimAttempt,
) -> Result<Decision, StoreError> {
    // The window is judged on the server's clock, like the leases, not on the caller's.
    let attempt = &ClaimAttempt {
        now: clock.now(ops).await?,
        ..attempt.clone()
    };
    let c = attempt.campaign_id.as_str();
    let u = attempt.user_id.as_str();
    let mut pause = lease.poll_min;
    // A wall-clock bound on waiting for another tab, so skewed clocks cannot make us wait
    // forever: past twice the lease the other request is treated as an error, not waited on.
    let give_up_at = tokio::time::Instant::now() + lease.stale_after * 2 + Duration::from_secs(5);
    let mut rounds = 0;
    loop {
        // a. An existing document of this user decides first.
        // The reads of a. and b. go out together: a new claim (the common case) then waits for
        // one round trip instead of two, and two separate reads were never one snapshot anyway.
        let (existing, campaign) = tokio::join!(ops.find_claim(c, u), ops.find_campaign(c));
        let held = match existing? {
            // Any claim, in whatever status: a voided or expired user replays it (I4).
            Some(doc) if doc.status != Status::Reserving => Some(doc.to_claim()?),
            Some(doc) => {
                if doc.created_at < lease_start_before(clock.now(ops).await?, lease) {
                    // A crashed request's reservation: remove it (never a claimed doc, never a
                    // newer doc: the filter is its token and status) and start over.
                    ops.delete_reserving(c, u, &doc.token).await?;
                    rounds += 1;
                    if rounds >= MAX_ROUNDS {
                        return Err(gave_up(
                            "claiming",
                            "too many concurrent claims of this user: try again",
                        ));
                    }
                    continue;
                }
                wait_for_another_tab(&mut pause, lease, give_up_at).await?;
                continue;
            }
            None => None,
        };
        // b. The domain decides: a held claim is replayed (I4) whatever the campaign read
        // gave; a refusal writes nothing (I6).
        let doc = match held {
            Some(_) => None,
            None => campaign?,
        };
        // A campaign document written before the held count was kept: its count is derived
        // until a write stores it (see `CampaignDoc::held`).
        let unheld = doc
            .as_ref()
            .filter(|d| d.held.is_none())
            .map(CampaignDoc::seen);
        let campaign = doc.map(CampaignDoc::into_domain).transpose()?;
        let claim = match attempt.decide(held, campaign.as_ref(), crate::random::token(attempt.now))
        {
            Decision::Grant(_) if unheld.is_some() => {
                // Our decrement will `$inc` the count, which on a missing field would count
                // from 0: store it first (conditional on the counters read) and read again.
                if let Some(seen) = unheld {
                    ops.store_held(c, seen).await?;
                }
                rounds += 1;
                if rounds >= MAX_ROUNDS {
                    return Err(gave_up("claiming", "the campaign kept changing: try again"));
                }
                continue;
            }
            Decision::Grant(claim) => claim,
            Decision::Refuse(refusal) if !defects.has(Defect::RefusalWithoutRecheck) => {
                // The two reads of a. and b. are not one snapshot: another tab may have
                // claimed between our claim read and our campaign read (taking the last
                // unit, say). Look at the user's claim again, AFTER the campaign read.
                match ops.find_claim(c, u).await? {
                    None => return Ok(Decision::Refuse(refusal)),
                    Some(doc) if doc.status != Status::Reserving => {
                        return Ok(Decision::Replay(doc.to_claim()?));
                    }
                    // Another tab in flight: wait for it like at a.
                    Some(_) => continue,
                }
            }
            other => return Ok(other),
        };
        // c. The reservation document: from here on, other tabs of this user wait for us.
        let doc = ClaimDoc::reserving(&claim, clock.now(ops).await?);
        match ops.insert_claim(&doc).await {
            Ok(Inserted::Yes) => {
                let outcome = reserve_and_confirm(ops, attempt, defects, claim, &doc).await?;
                if let Some(decision) = outcome {
                    return Ok(decision);
                }
                // Our reservation was gone and another tab's is in flight: wait for it at a.
            }
            // Another tab of this user inserted first (or, astronomically rarely, the token
            // was taken): look again, after a pause. Its reservation was acknowledged by the
            // primary alone, so our majority read at a may not see it yet; looking again at
            // once would only find the same nothing and hit the index again.
            Ok(Inserted::Duplicate) => {
                wait_for_another_tab(&mut pause, lease, give_up_at).await?;
            }
            Err(err) => {
                // Unknown outcome; if the doc exists it holds no unit, so deleting it is
                // always safe. If this fails as well, it is deleted when stale.
                let _ = ops.delete_reserving(c, u, &doc.token).await;
                return Err(err);
            }
        }
        rounds += 1;
        if rounds >= MAX_ROUNDS {
            return Err(gave_up(
                "claiming",
                "too many concurrent claims of this user: try again",
            ));
        }
    }
}

/// Pauses before a duplicate tab looks again at the tab in flight, each pause twice the last
/// up to the lease's longest; an error once past `give_up_at`.
async fn wait_for_another_tab(
    pause: &mut Duration,
    lease: &Lease,
    give_up_at: tokio::time::Instant,
) -> Result<(), StoreError> {
    if tokio::time::Instant::now() >= give_up_at {
        return Err(gave_up(
            "claiming",
            "another claim of this user is still in flight: try again",
        ));
    }
    tokio::time::sleep(*pause).await;
    *pause = (*pause * 2).min(lease.poll_max);
    Ok(())
}

/// Steps d and e, for the reserving document `doc` we inserted for `claim`: the decision, or
/// `None` when the claim is to start over at a (after a missed decrement, our reservation was
/// gone and another tab's is in flight).
async fn reserve_and_confirm<O: DocOps>(
    ops: &O,
    attempt: &ClaimAttempt,
    defects: Defects,
    claim: Claim,
    doc: &ClaimDoc,
) -> Result<Option<Decision>, StoreError> {
    let c = attempt.campaign_id.as_str();
    let u = attempt.user_id.as_str();
    let mut rounds = 0;
    // d. One guarded decrement. An error here leaves the outcome unknown: we neither repeat it
    // nor give anything back (see the module comment); the doc stays reserving.
    while !ops.reserve_unit(c, date(attempt.now)).await? {
        // No match: we hold no unit. Ask the domain why, on the campaign as it is now (our
        // reservation is not a claim, so nothing is held).
        let campaign = ops
            .find_campaign(c)
            .await?
            .map(CampaignDoc::into_domain)
            .transpose()?;
        let refusal = match attempt.decide(None, campaign.as_ref(), claim.token.clone()) {
            Decision::Grant(_) => {
                // Restocked or reconciled since the decrement missed: try again.
                rounds += 1;
                if rounds < MAX_ROUNDS {
                    continue;
                }
                ops.delete_reserving(c, u, &doc.token).await?;
                return Err(gave_up("claiming", "the campaign kept changing: try again"));
            }
            refusal => refusal,
        };
        // The reservation holds no unit: remove it so the refusal leaves nothing behind (I6).
        // If that fails the error is answered instead, and the doc goes once stale.
        if ops.delete_reserving(c, u, &doc.token).await?
            || defects.has(Defect::RefusalAfterLostReservation)
        {
            // Our reservation lived from its insert to this removal (a majority write: it
            // stands), so the unique index kept every other document of this user out all
            // along: the user held no claim at the campaign read.
            return Ok(Some(refusal));
        }
        // Our reservation was gone before the removal: rolled back by an election (it was
        // acknowledged by the primary alone) or deleted as stale. Another tab may have
        // claimed meanwhile: look at the user's claim AFTER the campaign read, as at b'.
        return Ok(match ops.find_claim(c, u).await? {
            None => Some(refusal),
            Some(found) if found.status != Status::Reserving => {
                Some(Decision::Replay(found.to_claim()?))
            }
            Some(_) => None,
        });
    }
    // e. Confirm. A miss means our doc was deleted as stale: the unit stays stranded.
    let confirmed = match ops.confirm_claim(c, u, &doc.token).await {
        Ok(matched) => matched,
        Err(err) => {
            // Unknown outcome: read it back instead of guessing.
            match ops.find_claim(c, u).await {
                Ok(Some(found)) if found.token == doc.token && found.status == Status::Claimed => {
                    true
                }
                _ => return Err(err),
            }
        }
    };
    if confirmed {
        return Ok(Some(Decision::Grant(claim)));
    }
    // Our reservation is gone although our decrement took a unit: rolled back by an election
    // (the primary alone acknowledged it) or deleted as stale. Put it back as it was, so the
    // stranded unit has the document a crash between d and e leaves: reconcile `--apply`
    // counts it, and it goes once stale. Best effort: should this fail too (or another tab of
    // the user hold the place now), the unit is stranded without a document, as when a retry
    // removed a crashed request's reservation.
    if !defects.has(Defect::LostReservationNotPutBack) {
        let _ = ops.insert_claim(doc).await;
    }
    Err(gave_up(
        "confirming a claim",
        "the reservation was lost before it was confirmed (an election, or a request too slow): \
         try again",
    ))
}

/// Recomputes `remaining` from the claim documents (see the module comment); writes it when
/// `mode` applies.
///
/// Before a repair, the drift is held to what a crash can explain: every unit a crash strands
/// belongs to a claim document left `reserving` (in flight, or stale once its lease ran out),
/// and every reservation counted before its decrement is one too, so under
/// [`ReconcileMode::Apply`] a drift larger than the reserving documents is refused before
/// anything is written (stale reservations included: deleting them first would erase the
/// evidence a second attempt needs). A unit stranded by a crashed request whose reservation a
/// retry of the same shopper already removed leaves no document behind; repairing it needs
/// [`ReconcileMode::Force`].
#[cfg(test)]
pub(super) async fn reconcile<O: DocOps, K: Clock>(
    ops: &O,
    clock: &ServerClock<K>,
    lease: &Lease,
    defects: Defects,
    id: &CampaignId,
    mode: ReconcileMode,
) -> Result<Option<Reconciliation>, StoreError> {
    reconcile_recorded(ops, clock, lease, defects, id, mode, None).await
}

/// `reconcile`, whose written repair carries its event (by `stamp`) in the same update.
pub(super) async fn reconcile_recorded<O: DocOps, K: Clock>(
    ops: &O,
    clock: &ServerClock<K>,
    lease: &Lease,
    defects: Defects,
    id: &CampaignId,
    mode: ReconcileMode,
    stamp: Option<&Stamp>,
) -> Result<Option<Reconciliation>, StoreError> {
    let c = id.as_str();
    let apply = mode.applies();
    // A plain repair only ever raises `remaining` (see the module comment); the defect
    // switch puts back the repair that also lowers it.
    let may_lower = mode == ReconcileMode::Force || defects.has(Defect::ReconcileLowersRemaining);
    let reserving = ops.count_claims(c, Some(Status::Reserving)).await?;
    if apply {
        let Some((_, found)) = recount(ops, id, reserving, false).await? else {
            return Ok(None);
        };
        if let Some(refusal) = found.refusal(mode) {
            return Err(refusal);
        }
    }
    for _ in 0..MAX_ROUNDS {
        if apply {
            ops.delete_stale(c, lease_start_before(clock.now(ops).await?, lease))
                .await?;
        }
        let Some((campaign, report)) = recount(ops, id, reserving, apply).await? else {
            return Ok(None);
        };
        // The held count is repaired with `remaining` (the one update writes both), and on its
        // own when only it is off: a document from before it was kept, or one an older
        // version's decrement moved without it.
        let held_right = campaign.held == Some(campaign.total - report.expected_remaining);
        if !apply || (report.drift() == 0 && held_right) {
            return Ok(Some(report));
        }
        if report.drift() < 0 && !may_lower {
            return Ok(Some(Reconciliation {
                applied: false,
                ..report
            }));
        }
        let seen = Seen {
            remaining: campaign.remaining,
            total: campaign.total,
            epoch: campaign.epoch,
        };
        // The event records a change of inventory; a repair of the held count alone moves no
        // unit, so it has none.
        let event = stamp.filter(|_| report.drift() != 0).map(|stamp| {
            let kind = EventKind::InventoryReconciled {
                remaining_before: campaign.remaining,
                remaining_after: report.expected_remaining,
            };
            PendingEvent::new(id, &kind, stamp)
        });
        if ops
            .set_remaining(c, seen, report.expected_remaining, event.as_ref())
            .await?
        {
            return Ok(Some(report));
        }
        tokio::task::yield_now().await;
    }
    Err(gave_up(
        "reconciling",
        "the campaign kept changing while it was recounted: try again when claims calm down",
    ))
}

/// Reads the campaign, then counts every claim document that holds or may hold a unit, as
/// reconcile compares them; `None` when the campaign does not exist.
async fn recount<O: DocOps>(
    ops: &O,
    id: &CampaignId,
    reserving: i64,
    applied: bool,
) -> Result<Option<(CampaignDoc, Reconciliation)>, StoreError> {
    let Some(campaign) = ops.find_campaign(id.as_str()).await? else {
        return Ok(None);
    };
    let held = ops.count_claims(id.as_str(), None).await?;
    let report = Reconciliation::new(
        id.clone(),
        campaign.total,
        held,
        campaign.remaining,
        reserving,
        applied,
    );
    Ok(Some((campaign, report)))
}
