//! The claim's lifecycle, the operator's changes and the events log on `MongoDB`.
//!
//! No transaction, as for claims (`claim.rs`): `MongoDB` makes one document's update atomic and
//! nothing across two. Every step below is one such update, the domain decides every verdict
//! on what was read (never this module), and the update's filter is what keeps the verdict true
//! at the instant of the write.
//!
//! # A claim's transition (redeem, void, expire)
//!
//! ```text
//! 1. read the claim (by (campaign_id, user_id), or by token through the non-unique
//!    (campaign_id, token) index) and the campaign; the domain decides: Change, Replay, Refuse
//! 2. Change: ONE updateOne({campaign_id, user_id, token, status: <as read>},
//!    {$set: {status, redemption, returning: <a unit goes back>}, $push: {pending: event}})
//!    no match -> someone else changed the claim since 1: read and decide again (the
//!    domain now answers Replay or a conflict)
//! 3. a unit goes back (void, expire): updateOne({_id: campaign, returns != token},
//!    {$inc: {remaining: 1, epoch: 1}, $push: {returns: token}}), then
//!    updateOne({campaign_id, user_id, token}, {$set: {returning: false}})
//! 4. copy the event to the log (below)
//! ```
//!
//! **One winner** (I7): two voids, a void and a redeem, a redeem and the sweep all filter on
//! the status they read, `claimed`; the first update to run changes it, so every later one
//! matches nothing, writes nothing, and re-reads: a second void replays (and returns no unit),
//! a redeem of a voided claim is a conflict, a redeem with the same order id replays and one
//! with another is a conflict. A status changes at most once because every transition starts
//! from `claimed`.
//!
//! **A unit goes back exactly once** (I9). The transition sets `returning` in the same update
//! that changes the status, so from that instant until the unit is back the claim is counted
//! as holding it (reconcile's count takes `reserving`, `claimed`, `redeemed` and `returning`
//! documents). The return records the token in the campaign's own update and refuses a token
//! it recorded, so finishing a return twice (the voider and reconcile, or a retry after a lost
//! answer) adds one unit. It also bumps `epoch`, so a reconcile that read the campaign before
//! it cannot write over it (`claim.rs`, "Why a write never oversells": `remaining` now also
//! goes up by a return, which the epoch makes visible to the repair's filter exactly like a
//! restock's `total`).
//!
//! **What a crash leaves.** Between 2 and 3: a voided or expired claim with `returning` set and
//! its unit not back: undersell, never oversell. A later void of it (which replays) finishes
//! the return, and so does `inventory reconcile --apply` before it counts. Between the two
//! writes of 3: the unit is back and `returning` still set: finishing again matches nothing
//! (the token is recorded) and clears the flag. The campaign keeps the last 256 returned tokens:
//! a return is finished again seconds after it began, never 256 returns later.
//!
//! **Only `claimed` and `redeemed` hold a unit** (I8): the campaign's `claimed` counts those two;
//! a voided or expired claim stays the user's claim (one document per (campaign, user), never
//! deleted), so a new claim replays it, with its status, and takes no unit (`claim.rs`, step a).
//!
//! The expiry sweep reads the due claims (`claimed`, `expires_at` before the sweep's instant) a
//! chunk at a time and carries each one out as above: a redeem racing the sweep wins or loses
//! the claim as a whole.
//!
//! # An operator's change of a campaign
//!
//! Read, the domain decides ([`CampaignChange::apply`]), then one conditional update of the
//! campaign document carrying the event: pause, resume and extend filter on the `paused` and
//! `ends_at` they read and on `ended: false`; end on `ended: false`; a restock on its
//! `total` ceiling; a removal on `remaining >= units` and `total > units`, so a claim taking a
//! unit after the read makes it miss and decide again, never go below what claims hold. A
//! restock and a removal carry one operation id for the whole request, recorded by their own
//! update and refused where recorded: repeated after an unknown outcome it cannot apply twice,
//! and a re-read finds the id when an earlier try took effect. A claim's reservation filters on
//! `paused` too, so a pause is a point after which no unit is taken.
//!
//! # The events log (I10)
//!
//! An event is written INSIDE the update that carries out its change, as a pending entry of
//! that same document (`pending`), so it cannot be recorded for an action that did not happen
//! (the update did not match, or never ran) nor lost for one that did (same atomic write). Then
//! it is copied to the `events` collection: read the log's last position (majority), insert the
//! event at the next one, and pull the entry from its document. The position is the event's
//! `_id` and the entry's id is a unique `entry`, so the insert is refused when another event
//! took the position (try the next) or when the entry was copied already (a retried or racing
//! copy: one entry, one event). A crash anywhere in the copy leaves the entry pending; every
//! read of the log, reconcile and a campaign's deletion copy the pending entries first, so the
//! log a reader sees holds every change that happened.
//!
//! **The log has no gap and grows only at its end**, which `events --follow` relies on (it
//! asks for the events after the last position it saw): an event is inserted at position
//! `n + 1` only by a copy that read position `n` majority-committed, so whatever a majority
//! read returns is a prefix of the final log; a reader never sees `n + 1` while `n` is still
//! to come.

use super::DocStore;
use super::claim;
use super::docs::{CampaignDoc, ClaimDoc, PendingEvent, Status, date};
use super::lifecycle_ops::{Appended, EventFilter, LifecycleOps, Schedule, Source};
use super::ops::Inserted;
use crate::clock::Clock;
use crate::domain::{
    Applied, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimKey, ClaimToken,
    Event, EventKind, EventQuery, ExportPage, RedeemAttempt, Stamp, Units, UserId, Verdict,
    VoidAttempt,
};
use crate::store::{ReconcileMode, Reconciliation, StoreError};

/// How often a transition re-reads and decides again after its conditional update matched
/// nothing. Each miss means another caller changed the document; a claim's status moves at
/// most once, so two rounds settle it, and a campaign changes only by an operator's hand.
const MAX_ROUNDS: usize = 64;

/// How often a copy of an event tries the next position after another copy took it: each try
/// lost means another event was appended, so this bounds the copies racing one.
const MAX_COPY_ROUNDS: usize = 1_000;

/// How many due claims the expiry sweep reads at a time (memory stays bounded however many
/// holds ran out), and how many unfinished returns reconcile finishes at a time.
const SWEEP_CHUNK: i64 = 1_000;

fn kept_changing(doing: &str) -> StoreError {
    StoreError::backend(
        doing,
        std::io::Error::other("it kept changing while this ran: try again"),
    )
}

/// A claim document as the domain sees it: a reservation is no claim.
fn claim_doc(doc: Option<ClaimDoc>) -> Option<ClaimDoc> {
    doc.filter(|d| d.status != Status::Reserving)
}

impl<O: LifecycleOps, K: Clock> DocStore<O, K> {
    /// Creates a campaign; its `campaign.created` event rides in the inserted document.
    pub(super) async fn create_recorded(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        let kind = EventKind::CampaignCreated {
            total: campaign.total(),
        };
        let event = PendingEvent::new(&campaign.id, &kind, stamp);
        let mut doc = CampaignDoc::new(campaign);
        doc.pending.push(event.clone());
        match self.ops.insert_campaign(&doc).await? {
            Inserted::Yes => {
                self.publish(&Source::Campaign(doc.id), &event).await;
                Ok(None)
            }
            // Campaigns are deleted only by a simulation's clean-up; one deleted in between
            // reads as a creation that lost a race, which the caller may simply retry.
            Inserted::Duplicate => match self.read(&campaign.id).await? {
                Some(existing) => Ok(Some(existing)),
                None => Err(kept_changing("creating a campaign")),
            },
        }
    }

    /// An operator's change: read, the domain decides, one conditional update on the campaign
    /// document carries the decision out with its event; a miss (someone changed the campaign
    /// since the read) reads and decides again.
    pub(super) async fn change(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        let c = id.as_str();
        // One operation id per request, kept across rounds and retries: a restock or a
        // removal is applied at most once whatever the network does.
        let op = crate::random::token(stamp.at);
        let mut change = change.clone();
        let mut decided = None;
        for _ in 0..MAX_ROUNDS {
            let Some(doc) = self.ops.find_campaign(c).await? else {
                return Ok(Err(ChangeRefusal::CampaignNotFound));
            };
            if doc.ops.iter().any(|o| o == op.as_str()) {
                // Our own restock or removal took effect in an earlier round.
                let campaign = doc.into_domain()?;
                return Ok(Ok(Applied {
                    campaign,
                    event: decided,
                }));
            }
            let seen = Schedule {
                paused: doc.paused,
                ends_at: doc.ends_at,
            };
            let campaign = doc.into_domain()?;
            if let CampaignChange::ExtendBy(by) = change {
                // Resolved to an instant on the first read and kept: a round repeated after a
                // miss or an unknown outcome then finds its own extension already in effect,
                // instead of adding the time twice.
                match campaign.window.ends_at.checked_add_signed(by) {
                    Some(ends_at) => change = CampaignChange::Extend { ends_at },
                    None => return Ok(Err(ChangeRefusal::EndOutOfRange)),
                }
            }
            let applied = match change.apply(&campaign, stamp.at) {
                Ok(applied) => applied,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let Some(kind) = applied.event.clone() else {
                return Ok(Ok(applied));
            };
            let after = &applied.campaign;
            let event = PendingEvent::new(id, &kind, stamp);
            decided = Some(kind);
            let done = match &change {
                CampaignChange::Pause
                | CampaignChange::Resume
                | CampaignChange::Extend { .. }
                | CampaignChange::ExtendBy(_) => {
                    let to = Schedule {
                        paused: after.paused,
                        ends_at: date(after.window.ends_at),
                    };
                    self.ops.reschedule(c, seen, to, &event).await?
                }
                CampaignChange::End => self.ops.end_campaign(c, date(stamp.at), &event).await?,
                CampaignChange::AddInventory(units) => {
                    self.add_inventory(id, *units, op.as_str(), &event).await?
                }
                CampaignChange::RemoveInventory(units) => {
                    self.remove_inventory(c, *units, op.as_str(), &event)
                        .await?
                }
            };
            if done {
                self.publish(&Source::Campaign(c.to_owned()), &event).await;
                let Some(campaign) = self.read(id).await? else {
                    return Ok(Err(ChangeRefusal::CampaignNotFound));
                };
                return Ok(Ok(Applied {
                    campaign,
                    event: decided,
                }));
            }
        }
        Err(kept_changing("changing a campaign"))
    }

    /// Restocks once, whatever the network does: the update carries the request's operation
    /// id and refuses to run where that id is already recorded, so after an unknown outcome
    /// it is repeated with the same id (never applied twice). `false` when it matched
    /// nothing: the caller reads again, and finds the id if an earlier try took effect.
    async fn add_inventory(
        &self,
        id: &CampaignId,
        units: Units,
        op: &str,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let restock = || {
            self.ops
                .add_inventory(id.as_str(), units.get(), units.restock_ceiling(), op, event)
        };
        let answer = match restock().await {
            Ok(answer) => answer,
            // Unknown outcome: once more with the same id, which cannot apply it twice.
            Err(_) => restock().await?,
        };
        Ok(answer.is_some())
    }

    /// Takes units off sale once, like [`DocStore::add_inventory`]; the update's filter
    /// (`remaining >= units`, `total > units`) keeps the domain's verdict true at the write,
    /// so a claim taking a unit between the read and the write makes it miss, never go below
    /// what claims hold.
    async fn remove_inventory(
        &self,
        c: &str,
        units: Units,
        op: &str,
        event: &PendingEvent,
    ) -> Result<bool, StoreError> {
        let remove = || self.ops.remove_inventory(c, units.get(), op, event);
        let answer = match remove().await {
            Ok(answer) => answer,
            Err(_) => remove().await?,
        };
        Ok(answer.is_some())
    }

    /// Reconciles; first finishes the unit returns a crash left half done (so their units
    /// are counted where they are), and a written repair carries its event.
    pub(super) async fn reconcile_recorded(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        let result = async {
            if mode.applies() {
                if self.campaign_held(id.as_str()).await?.is_none() {
                    return Ok(None);
                }
                self.finish_returns(id.as_str()).await?;
            }
            claim::reconcile_recorded(
                &self.ops,
                &self.clock,
                &self.lease,
                self.defects,
                id,
                mode,
                Some(stamp),
            )
            .await
        }
        .await;
        if result.is_err() {
            self.clock.forget();
        }
        let report = result?;
        self.copy_pending(Some(id.as_str())).await?;
        Ok(report)
    }

    /// The campaign document, its held count stored first if it was written before the count
    /// was kept: a return about to run `$inc`s it, which on a missing field would count from
    /// 0 (see `CampaignDoc::held`). `None` when the campaign does not exist.
    async fn campaign_held(&self, c: &str) -> Result<Option<CampaignDoc>, StoreError> {
        for _ in 0..MAX_ROUNDS {
            let Some(doc) = self.ops.find_campaign(c).await? else {
                return Ok(None);
            };
            if doc.held.is_some() {
                return Ok(Some(doc));
            }
            // Conditional on the counters read: a miss means a unit moved; read again.
            self.ops.store_held(c, doc.seen()).await?;
        }
        Err(kept_changing("storing a campaign's held count"))
    }

    /// Finishes every return of the campaign left half done (the claim voided or expired, its
    /// unit maybe not back).
    async fn finish_returns(&self, c: &str) -> Result<(), StoreError> {
        loop {
            let docs = self.ops.returning(c, SWEEP_CHUNK).await?;
            if docs.is_empty() {
                return Ok(());
            }
            for doc in &docs {
                self.finish_return(doc).await?;
            }
        }
    }

    /// Gives the unit of a voided or expired claim back, once: the campaign's update records
    /// the token and refuses a token it recorded, then the claim's flag goes.
    async fn finish_return(&self, doc: &ClaimDoc) -> Result<(), StoreError> {
        let keep_held = self.defects.has(claim::Defect::ReturnKeepsHeld);
        self.ops
            .return_unit(&doc.campaign_id, &doc.token, keep_held)
            .await?;
        self.ops
            .returned(&doc.campaign_id, &doc.user_id, &doc.token)
            .await
    }

    /// Carries a verdict out: one conditional update of the claim (status as read in the
    /// filter) carrying its event; then, where a unit moves, its return. `false` when the
    /// update matched nothing (the claim changed since it was read).
    async fn carry_out(
        &self,
        doc: &ClaimDoc,
        verdict: &Verdict,
        stamp: &Stamp,
    ) -> Result<bool, StoreError> {
        let Verdict::Change { after, kind, .. } = verdict else {
            return Ok(true);
        };
        let event = PendingEvent::new(&after.campaign_id, kind, stamp);
        let after_doc = doc.changed_to(after);
        // The status read is what makes exactly one of racing callers match.
        let before = if self.defects.has(claim::Defect::TransitionWithoutStatus) {
            None
        } else {
            Some(doc.status)
        };
        if !self.ops.move_claim(doc, before, &after_doc, &event).await? {
            return Ok(false);
        }
        if verdict.returns_unit() {
            self.finish_return(&after_doc).await?;
        }
        self.publish(
            &Source::Claim(doc.campaign_id.clone(), doc.user_id.clone()),
            &event,
        )
        .await;
        Ok(true)
    }

    pub(super) async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        claim_doc(
            self.ops
                .find_claim_by_token(id.as_str(), token.as_str())
                .await?,
        )
        .map(|doc| doc.to_claim())
        .transpose()
    }

    pub(super) async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        let c = attempt.campaign_id.as_str();
        for _ in 0..MAX_ROUNDS {
            let doc = claim_doc(
                self.ops
                    .find_claim_by_token(c, attempt.token.as_str())
                    .await?,
            );
            // The domain prices the redeem with the campaign's rule; the `claimed` count is
            // not needed, so not counted (a checkout is one round trip shorter).
            let campaign = self
                .ops
                .find_campaign(c)
                .await?
                .map(CampaignDoc::into_domain)
                .transpose()?;
            let claim = doc.as_ref().map(ClaimDoc::to_claim).transpose()?;
            let verdict = attempt.decide(claim.as_ref(), campaign.as_ref());
            let Some(doc) = doc else {
                return Ok(verdict);
            };
            if self.carry_out(&doc, &verdict, &attempt.stamp).await? {
                return Ok(verdict);
            }
        }
        Err(kept_changing("redeeming a claim"))
    }

    pub(super) async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        let c = attempt.campaign_id.as_str();
        for _ in 0..MAX_ROUNDS {
            let exists = self.campaign_held(c).await?.is_some();
            let doc = claim_doc(match &attempt.key {
                ClaimKey::User(user) => self.ops.find_claim(c, user.as_str()).await?,
                ClaimKey::Token(token) => self.ops.find_claim_by_token(c, token.as_str()).await?,
            });
            let claim = doc.as_ref().map(ClaimDoc::to_claim).transpose()?;
            let verdict = attempt.decide(claim.as_ref(), exists);
            let Some(doc) = doc else {
                return Ok(verdict);
            };
            if doc.returning {
                // An earlier void (or expiry) whose answer was lost left its return half
                // done: finish it, as reconcile would.
                self.finish_return(&doc).await?;
            }
            if self.carry_out(&doc, &verdict, &attempt.stamp).await? {
                return Ok(verdict);
            }
        }
        Err(kept_changing("voiding a claim"))
    }

    /// The expiry sweep: each due claim expires by its own conditional update (a redeem or
    /// a void racing it wins or loses as a whole), returning its unit. Reads the due claims
    /// a chunk at a time.
    pub(super) async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        let c = id.as_str();
        if self.campaign_held(c).await?.is_none() {
            return Ok(None);
        }
        let mut expired = 0;
        loop {
            let due = self.ops.due(c, date(stamp.at), SWEEP_CHUNK).await?;
            let mut moved = false;
            for doc in &due {
                let Some(verdict) = doc.to_claim()?.expire(stamp.at) else {
                    continue;
                };
                if self.carry_out(doc, &verdict, stamp).await? {
                    expired += 1;
                    moved = true;
                }
            }
            // A chunk that moved nothing was all taken by others (or not due by the domain's
            // reckoning): reading it again would find the same.
            if !moved || due.len() < usize::try_from(SWEEP_CHUNK).unwrap_or(usize::MAX) {
                return Ok(Some(expired));
            }
        }
    }

    /// Copies the pending events (of one campaign, or all) to the log.
    pub(super) async fn copy_pending(&self, campaign: Option<&str>) -> Result<(), StoreError> {
        for (source, event) in self.ops.pending(campaign).await? {
            self.copy(&source, &event).await?;
        }
        Ok(())
    }

    /// Copies one pending event to the log, then takes it off its document. Copying twice
    /// stores it once (its id is the copy's `_id`).
    async fn copy(&self, source: &Source, event: &PendingEvent) -> Result<(), StoreError> {
        for _ in 0..MAX_COPY_ROUNDS {
            let seq = self.ops.next_seq().await?;
            match self.ops.insert_event(&event.numbered(seq)).await? {
                Appended::Yes | Appended::AlreadyCopied => {
                    return self.ops.unpend(source, &event.id).await;
                }
                // Another copy took the position: read the end of the log again.
                Appended::PositionTaken => {}
            }
        }
        Err(kept_changing("recording an event"))
    }

    /// [`DocStore::copy`] right after the change: a failure leaves the event pending in its
    /// document, where the next reader or reconcile copies it, so the change's answer stands.
    async fn publish(&self, source: &Source, event: &PendingEvent) {
        let _ = self.copy(source, event).await;
    }

    pub(super) async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let campaign = query.campaign.as_ref().map(CampaignId::as_str);
        self.copy_pending(campaign).await?;
        let filter = EventFilter {
            campaign: campaign.map(str::to_owned),
            after_seq: query.after_seq,
            since: query.since.map(date),
            limit: i64::try_from(query.limit).unwrap_or(i64::MAX),
        };
        self.ops
            .events(&filter)
            .await?
            .iter()
            .map(super::docs::EventDoc::to_event)
            .collect()
    }

    pub(super) async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        self.ops
            .claims_page(
                page.campaign.as_str(),
                page.status.map(Status::of),
                page.after.as_ref().map(UserId::as_str),
                i64::try_from(page.limit).unwrap_or(i64::MAX),
            )
            .await?
            .iter()
            .map(ClaimDoc::to_claim)
            .collect()
    }
}
