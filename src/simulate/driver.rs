//! The driver: creates and removes a run's campaign, fires the users at it, each in its own
//! task, and hands what it saw to the judgement.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::answer::Heard;
use super::checkout::checkout;
use super::http::HttpTarget;
use super::identities::{Credential, Identities};
use super::load::{Load, cents};
use super::progress::{Progress, bump};
use super::report::{GroupCommit, Lifecycle, Outcome, Report, Run, Timings, judge};
use crate::clock::Clock;
use crate::domain::{
    Actor, Campaign, CampaignId, CampaignState, Cents, ClaimStatus, ClaimToken, Currency,
    DiscountRule, Ends, EventQuery, Hold, NewCampaign, Percent, Units, UserId,
};
use crate::error::{Error, ErrorKind};
use crate::service::{CampaignService, ClaimService};
use crate::store::{Audit, Store};

/// Runs simulations on a store, reading time from a clock.
pub struct Simulator<S, C> {
    store: S,
    clock: C,
    identities: Identities,
    shared: bool,
    target: Option<HttpTarget>,
    actor: Actor,
}

impl<S: Store + Clone, C: Clock + Clone> Simulator<S, C> {
    /// A simulator whose users are asserted by the operator, its operator's actions logged as
    /// `flashsale simulate`.
    ///
    /// # Panics
    /// Never: that actor's name is a constant within [`Actor::parse`]'s rules.
    pub fn new(store: S, clock: C) -> Self {
        Simulator {
            store,
            clock,
            identities: Identities::Operator,
            shared: false,
            target: None,
            // A constant name within the rules of `Actor::parse`.
            actor: Actor::parse("flashsale simulate").expect("a valid actor name"),
        }
    }

    /// Logs the simulated operator's voids and expiry sweeps as `actor` (the default is
    /// `flashsale simulate`).
    #[must_use]
    pub fn acting_as(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// Tells the audit that others may claim on the campaign during the run (an existing
    /// campaign, not one the run created): claims the store gains beyond this run's `claimed`
    /// answers are reported as `claims_by_others` instead of breaking conservation. Without
    /// it, every claim added during the run must be one of the run's.
    #[must_use]
    pub fn sharing_the_campaign(mut self) -> Self {
        self.shared = true;
        self
    }

    /// Makes users prove who they are with `identities` instead.
    #[must_use]
    pub fn with_identities(mut self, identities: Identities) -> Self {
        self.identities = identities;
        self
    }

    /// Sends every shopper's request (claims, redemptions at checkout, the claim again after a
    /// void) to the server at `target` instead of the service in this process; the store (the
    /// server's) is still read directly, before and after the run and by each user checking its
    /// answer, and the operator's voids and expiry sweeps go to it directly, as the operator's
    /// own commands would. The users need JWTs the server accepts ([`Identities::Jwt`] with
    /// the server's key): the server verifies them, this process only mints them.
    #[must_use]
    pub fn through(mut self, target: HttpTarget) -> Self {
        self.target = Some(target);
        self
    }

    /// Creates a fresh live campaign for a run: `inventory` units, 10 % off capped at 5.00,
    /// carts of 20.00 or more, claims held for `hold` (none: they never expire), open from now
    /// for an hour, id `sim-<random>`.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn create_campaign(
        &self,
        inventory: Units,
        hold: Option<Hold>,
    ) -> Result<CampaignId, Error> {
        let service = CampaignService::new(self.store.clone(), self.clock.clone());
        let id = CampaignId::parse(&format!("sim-{}", random_tag()))?;
        let new = NewCampaign {
            id: id.clone(),
            name: "flashsale simulate".to_owned(),
            inventory,
            percent: Percent::from_bps(1_000)?,
            max_discount: cents(500), // 5.00
            min_cart: cents(2_000),   // 20.00
            currency: Currency::default(),
            starts_at: None,
            ends: Ends::After(TimeDelta::hours(1)),
            hold,
        };
        service.create(new, &self.actor).await?;
        Ok(id)
    }

    /// Creates a live throw-away copy of `model` for a rehearsal: the same discount rule,
    /// currency and hold, as many units as `model` has left, open for an hour from now. `model` itself
    /// is only read.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `model` has no unit left to rehearse with; [`Error::Store`].
    pub async fn create_campaign_like(&self, model: &Campaign) -> Result<CampaignId, Error> {
        let service = CampaignService::new(self.store.clone(), self.clock.clone());
        let id = CampaignId::parse(&format!("sim-{}", random_tag()))?;
        let inventory = Units::new(model.remaining()).map_err(|_| {
            crate::domain::Invalid::new(
                "campaign",
                format!("`{}` has no unit left to rehearse with", model.id),
            )
        })?;
        let new = NewCampaign {
            id: id.clone(),
            name: format!("flashsale simulate, like {}", model.id),
            inventory,
            percent: model.rule.percent,
            max_discount: model.rule.max_discount,
            min_cart: model.rule.min_cart,
            currency: model.currency.clone(),
            starts_at: None,
            ends: Ends::After(TimeDelta::hours(1)),
            hold: model.hold,
        };
        service.create(new, &self.actor).await?;
        Ok(id)
    }

    /// Deletes a campaign and its claims (the clean-up after a run). `false` when it was gone.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn remove_campaign(&self, id: &CampaignId) -> Result<bool, Error> {
        Ok(self.store.delete_campaign(id).await?)
    }

    /// Fires `load` at the live campaign `id`, then audits the store and returns the report.
    ///
    /// Claims others make on the campaign meanwhile are accounted for only with
    /// [`Simulator::sharing_the_campaign`].
    ///
    /// # Errors
    /// [`Error::Invalid`] for a load out of bounds, [`Error::NotFound`], [`Error::NotLive`] for
    /// a campaign that is not live now, [`Error::Store`] when the store cannot be read before
    /// the run. A broken invariant, too many errors, or a store that cannot be read after the
    /// run is not an error here: it fails the report.
    pub async fn run(
        &self,
        load: &Load,
        id: &CampaignId,
        progress: Arc<Progress>,
    ) -> Result<Report, Error> {
        load.validate()?;
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let state = campaign.state(self.clock.now());
        if state != CampaignState::Live {
            return Err(Error::NotLive {
                id: id.clone(),
                state,
            });
        }
        // The lifecycle first: what others do on a shared campaign once the audit has read the
        // store happens during the run, as far as the run can tell.
        let life_before = self.lifecycle(id).await?;
        let before = (self.audit(id).await?, life_before);
        let commits_before = self.store.commit_stats();
        let started = Instant::now();
        let shared = Arc::new(Shared {
            service: ClaimService::new(self.store.clone(), self.clock.clone()),
            campaigns: CampaignService::new(self.store.clone(), self.clock.clone()),
            actor: self.actor.clone(),
            store: self.store.clone(),
            campaign: id.clone(),
            rule: campaign.rule,
            identities: self.identities.clone(),
            target: self.target.clone(),
            load: load.clone(),
            prefix: format!("sim-{}", random_tag()),
            progress,
            started,
            returned: Mutex::default(),
        });

        // Only a campaign with a hold has anything to expire; sweeping one without would
        // only add writes to the run.
        let (stop_sweeps, stopped) = tokio::sync::watch::channel(false);
        let sweeps = campaign
            .hold
            .is_some()
            .then(|| tokio::spawn(expire_during_run(Arc::clone(&shared), stopped)));
        // The loop that starts the shoppers runs as a task of the runtime, not on the thread
        // that waits for the run: from a worker, each task it spawns goes on that worker's
        // own queue; from outside, every spawn goes through the shared queue and wakes a
        // sleeping worker, and those wake-ups were a quarter of a million-shopper
        // rehearsal's time.
        // A run given up (Ctrl-C drops this future) takes its shoppers with it: a `JoinSet`
        // aborts its tasks when dropped.
        let mut driving = JoinSet::new();
        driving.spawn({
            let shared = Arc::clone(&shared);
            async move { drive(&shared).await }
        });
        let timings = match driving.join_next().await {
            Some(Ok(timings)) => timings,
            Some(Err(err)) => std::panic::resume_unwind(err.into_panic()),
            None => unreachable!("the set holds the driving task"),
        };
        let _ = stop_sweeps.send(true);
        // A sweep task that panicked expired nothing this run can vouch for: an error.
        if let Some(sweeps) = sweeps
            && sweeps.await.is_err()
        {
            bump(&shared.progress.lifecycle_errors);
        }
        let elapsed = started.elapsed();
        let audit_started = Instant::now();
        // Every request has been answered, and the writer counts a batch before it answers,
        // so this snapshot holds every commit of the run.
        // Over HTTP the server's writer commits, not this process's: its counters say nothing.
        let group_commit = commits_before
            .filter(|_| self.target.is_none())
            .zip(self.store.commit_stats())
            .map(|(before, after)| GroupCommit::from_stats(after.since(before)));

        // A store error here fails the run in its report rather than hiding the report.
        let after = match self.audit(id).await {
            Ok(audit) => self
                .lifecycle(id)
                .await
                .map(|life| (audit, life))
                .map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        };
        let audit_elapsed = audit_started.elapsed();
        let run = Run {
            campaign: &shared.campaign,
            load: &shared.load,
            user_prefix: &shared.prefix,
            identity: shared.identities.kind(),
            progress: &shared.progress,
            timings: &timings,
            elapsed,
            audit_elapsed,
            target: self.target.as_ref().map(HttpTarget::url),
            group_commit,
            shared: self.shared,
        };
        Ok(judge(&run, before, after))
    }

    /// The campaign's claims by status and its events, read a page at a time (memory stays
    /// flat at any size).
    async fn lifecycle(&self, id: &CampaignId) -> Result<Lifecycle, Error> {
        const PAGE: usize = 1_000;
        let claims = ClaimService::new(self.store.clone(), self.clock.clone());
        let campaigns = CampaignService::new(self.store.clone(), self.clock.clone());
        let mut tally = Lifecycle::default();
        let mut pages = claims.export(id, None, PAGE);
        while let Some(page) = pages.next().await? {
            for claim in &page {
                *match claim.status {
                    ClaimStatus::Claimed => &mut tally.claimed,
                    ClaimStatus::Redeemed => &mut tally.redeemed,
                    ClaimStatus::Voided => &mut tally.voided,
                    ClaimStatus::Expired => &mut tally.expired,
                } += 1;
            }
        }
        let mut query = EventQuery {
            campaign: Some(id.clone()),
            after_seq: 0,
            since: None,
            limit: PAGE,
        };
        loop {
            let page = campaigns.events(&query).await?;
            for event in &page {
                query.after_seq = query.after_seq.max(event.seq);
                tally.events += 1;
                match event.action.as_str() {
                    "claim.voided" => tally.void_events += 1,
                    "claim.expired" => tally.expired_by_events += 1,
                    _ => {}
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(tally)
    }

    async fn audit(&self, id: &CampaignId) -> Result<Audit, Error> {
        self.store
            .audit(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }
}

/// How often the simulated operator expires holds during a run.
const SWEEP_EVERY: Duration = Duration::from_millis(25);

/// The operator's expiry sweeps, every [`SWEEP_EVERY`] while the users run, and once more
/// after the last user: what they expire is tallied, and the audit checks it against the store.
async fn expire_during_run<S: Store, C: Clock>(
    shared: Arc<Shared<S, C>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let stopping = *stop.borrow();
        match shared
            .campaigns
            .expire(&shared.campaign, &shared.actor)
            .await
        {
            Ok(expired) => {
                shared
                    .progress
                    .expired
                    .fetch_add(expired, std::sync::atomic::Ordering::Relaxed);
                if expired > 0 {
                    shared.returned(expired);
                }
            }
            Err(_) => bump(&shared.progress.lifecycle_errors),
        }
        if stopping {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }
}

/// Eight random hex digits: fresh campaign ids and user prefixes, so runs never collide.
fn random_tag() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// What every user task shares.
pub(super) struct Shared<S, C> {
    pub(super) service: ClaimService<S, C>,
    /// The operator's side: voids and expiry sweeps.
    pub(super) campaigns: CampaignService<S, C>,
    /// Who the operator's actions are logged as.
    pub(super) actor: Actor,
    /// Where each user reads back the claim it was told about.
    pub(super) store: S,
    pub(super) campaign: CampaignId,
    pub(super) rule: DiscountRule,
    pub(super) identities: Identities,
    /// The server claims go to, when not this process's service.
    pub(super) target: Option<HttpTarget>,
    pub(super) load: Load,
    pub(super) prefix: String,
    pub(super) progress: Arc<Progress>,
    /// When the run started: the timeline's seconds count from here.
    pub(super) started: Instant,
    /// Units handed back by voids and expiries, by second of the run.
    returned: Mutex<BTreeMap<u64, u64>>,
}

impl<S, C> Shared<S, C> {
    /// The time since the run started.
    pub(super) fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    /// Counts `units` handed back to the stock now.
    pub(super) fn returned(&self, units: u64) {
        let second = self.since_start().as_secs();
        // A poisoned lock only means another task panicked mid-increment; the tally stands.
        let mut returned = self
            .returned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *returned.entry(second).or_default() += units;
    }
}

/// How long one request took, in µs, when it was sent and how it was answered.
#[derive(Clone, Copy, Debug)]
struct Timing {
    /// The whole request, identity included.
    request: u64,
    /// Verifying its token, when one was verified.
    identity: Option<u64>,
    /// When it was sent, since the start of the run.
    sent: Duration,
    /// How it was answered.
    outcome: Outcome,
}

/// What one user's task hands back: its requests' timings, and when it finished.
struct UserRun {
    timings: Vec<Timing>,
    done: Duration,
}

/// Runs every user, in a closed loop of at most `concurrency` at a time, or in an open loop
/// at the instants of the load's arrivals; merges their timings.
///
/// Each user is its own task; this loop alone owns the histograms and the timeline, so
/// recording needs no lock. The live tasks (and unjoined results) never exceed the load's
/// bound: `concurrency`, or the open loop's cap.
async fn drive<S: Store, C: Clock>(shared: &Arc<Shared<S, C>>) -> Timings {
    let mut timings = Timings::new();
    let mut users = JoinSet::new();
    let progress = &shared.progress;
    let bound = shared.load.in_flight_bound();
    let merge = |timings: &mut Timings, joined: Result<UserRun, tokio::task::JoinError>| {
        match joined {
            Ok(run) => {
                timings.timeline.completed(run.done);
                for t in run.timings {
                    timings.record(t.request, t.identity);
                    let took = Duration::from_micros(t.request);
                    timings.timeline.answered(t.sent, took, t.outcome);
                }
            }
            // A user task that panicked answered nobody; count it so the run cannot pass
            // silently with fewer requests than it planned.
            Err(_) => bump(&progress.errors),
        }
    };
    for index in 0..shared.load.users {
        let due = shared.load.arrivals.map(|arrivals| {
            let offset = arrivals.offset(index, shared.load.users);
            timings.timeline.offered(offset);
            shared.started + offset
        });
        let mut waited = false;
        loop {
            while let Some(joined) = users.try_join_next() {
                merge(&mut timings, joined);
            }
            if users.len() >= bound {
                // Full: wait for a user to finish (in an open loop, this arrival may be late).
                waited = true;
                if let Some(joined) = users.join_next().await {
                    merge(&mut timings, joined);
                }
                continue;
            }
            match due {
                // Open loop: wait for the arrival instant, merging finished users meanwhile;
                // this user starts then whether or not the earlier ones have finished.
                Some(due) if Instant::now() < due => {
                    tokio::select! {
                        () = tokio::time::sleep_until(due) => break,
                        Some(joined) = users.join_next() => merge(&mut timings, joined),
                    }
                }
                _ => break,
            }
        }
        let now = shared.since_start();
        let late = due.map_or(Duration::ZERO, |due| {
            Instant::now().saturating_duration_since(due)
        });
        // Held by the cap: it waited for a slot and started past its instant.
        timings
            .timeline
            .arrived(now, late, waited && !late.is_zero());
        progress.started();
        users.spawn(simulate_user(Arc::clone(shared), index));
    }
    while let Some(joined) = users.join_next().await {
        merge(&mut timings, joined);
    }
    let returned = std::mem::take(
        &mut *shared
            .returned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for (second, units) in returned {
        timings
            .timeline
            .returned(Duration::from_secs(second), units);
    }
    timings
}

/// One answer a user received.
#[derive(Debug)]
enum Answer {
    Granted { fresh: bool, token: ClaimToken },
    Refused,
}

/// One user: it gets its credential, its tabs race each other, then it retries once if it
/// duplicates, then it checks what it was told against the store. Returns each request's
/// timing.
async fn simulate_user<S: Store, C: Clock>(shared: Arc<Shared<S, C>>, index: u64) -> UserRun {
    let plan = shared.load.plan(index);
    let progress = &shared.progress;
    if shared.rule.is_eligible(plan.cart) {
        bump(&progress.eligible_users);
    }
    if plan.retry {
        bump(&progress.duplicate_users);
    }
    let Ok(user) = UserId::parse(&format!("{}-{index}", shared.prefix)) else {
        // The prefix is ASCII and short, so this cannot happen; if it did, it is an error.
        bump(&progress.errors);
        progress.finished();
        return UserRun {
            timings: Vec::new(),
            done: shared.since_start(),
        };
    };

    // Handed out before the user's first request and outside its timing, as an identity
    // provider would have done before the sale.
    let credential = shared.identities.credential(&user);

    let mut answers = Vec::with_capacity(plan.tabs as usize + 1);
    if plan.tabs == 1 {
        answers.push(request(&shared, &user, &credential, plan.cart).await);
    } else {
        // Each tab is its own task, so they reach the store as concurrently as real tabs.
        let mut tabs = JoinSet::new();
        for _ in 0..plan.tabs {
            let (shared, user, credential) =
                (Arc::clone(&shared), user.clone(), credential.clone());
            tabs.spawn(async move { request(&shared, &user, &credential, plan.cart).await });
        }
        while let Some(joined) = tabs.join_next().await {
            match joined {
                Ok(answer) => answers.push(answer),
                Err(_) => bump(&progress.errors),
            }
        }
    }
    if plan.retry {
        answers.push(request(&shared, &user, &credential, plan.cart).await);
    }

    if let Some(token) = check_user(&shared, &user, &answers).await {
        // Boxed, as the HTTP client's request below: only the granted few get here, and
        // inlined, its state would make every shopper's task that much larger to spawn.
        Box::pin(checkout(&shared, &user, &credential, index, &token, plan)).await;
    }
    progress.finished();
    UserRun {
        timings: answers.into_iter().map(|(_, timing)| timing).collect(),
        done: shared.since_start(),
    }
}

/// Checks one user's answers among themselves and against the claim the store holds for them,
/// inside the user's task, so no token outlives its user. Returns the token the store holds
/// for the user, when the user was granted one and the store agrees.
async fn check_user<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    answers: &[(Answer, Timing)],
) -> Option<ClaimToken> {
    let progress = &shared.progress;
    let mut token: Option<&ClaimToken> = None;
    let mut fresh = 0;
    let mut mismatch = false;
    for (answer, _) in answers {
        if let Answer::Granted { fresh: f, token: t } = answer {
            fresh += usize::from(*f);
            match token {
                None => token = Some(t),
                Some(first) => mismatch |= first != t,
            }
        }
    }
    if fresh > 1 {
        bump(&progress.double_grants);
    }
    if mismatch {
        bump(&progress.token_mismatches);
    }
    let token = token?;
    match shared.store.claim_of(&shared.campaign, user).await {
        Ok(Some(held)) if &held.token == token => Some(held.token),
        Ok(_) => {
            bump(&progress.store_mismatches);
            None
        }
        Err(_) => {
            bump(&progress.unverified);
            None
        }
    }
}

/// Establishes the user's identity from `credential`, sends one claim and tallies its outcome;
/// returns the answer and its timing. A token that fails verification is an error, and no
/// claim is sent.
async fn request<S: Store, C: Clock>(
    shared: &Shared<S, C>,
    user: &UserId,
    credential: &Credential,
    cart: Cents,
) -> (Answer, Timing) {
    let progress = &shared.progress;
    let started = Instant::now();
    let (outcome, verifying) = if let Some(target) = &shared.target {
        // Boxed: the HTTP client's future is kilobytes, and inlined it would make every
        // shopper's task that large in-process too, copied whole when spawned.
        (
            Box::pin(over_the_wire(shared, target, credential, cart)).await,
            None,
        )
    } else {
        let (identity, verifying) = shared.identities.identify(user, credential);
        let outcome = match identity {
            Ok(identity) => {
                shared
                    .service
                    .claim(&identity, &shared.campaign, cart)
                    .await
            }
            Err(err) => Err(err),
        };
        (Heard::from(outcome), verifying)
    };
    let request_micros = micros(started.elapsed());
    bump(&progress.requests);
    let (answer, outcome) = match outcome {
        Heard::Made(claim) => {
            bump(&progress.claimed);
            let token = claim.token;
            (Answer::Granted { fresh: true, token }, Outcome::Claimed)
        }
        Heard::Replayed(claim) => {
            bump(&progress.replayed);
            let token = claim.token;
            (
                Answer::Granted {
                    fresh: false,
                    token,
                },
                Outcome::Replayed,
            )
        }
        Heard::Refused(kind) => {
            let (counter, outcome) = match kind {
                Some(ErrorKind::SoldOut) => (&progress.sold_out, Outcome::SoldOut),
                Some(ErrorKind::NotEligible) => (&progress.not_eligible, Outcome::Refused),
                Some(ErrorKind::NotLive) => (&progress.not_live, Outcome::Refused),
                _ => (&progress.errors, Outcome::Error),
            };
            bump(counter);
            (Answer::Refused, outcome)
        }
    };
    let timing = Timing {
        request: request_micros,
        identity: verifying.map(micros),
        sent: started.saturating_duration_since(shared.started),
        outcome,
    };
    (answer, timing)
}

/// One claim sent to the server with the user's token; its status is tallied (the claim
/// requests' statuses are the report's `http_status`).
async fn over_the_wire<S, C>(
    shared: &Shared<S, C>,
    target: &HttpTarget,
    credential: &Credential,
    cart: Cents,
) -> Heard {
    let (status, heard) = target
        .claim(&shared.campaign, bearer(credential), cart)
        .await;
    shared.progress.heard(status.map(|s| s.as_u16()));
    heard
}

/// The bearer token a user's requests carry over the wire. Without one the server refuses
/// the request as unauthenticated; it is sent anyway, as a browser would, so the refusal is
/// the server's.
pub(super) fn bearer(credential: &Credential) -> &str {
    match credential {
        Credential::Token(token) => token,
        Credential::Operator | Credential::Unminted => "",
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::JwtSigner;
    use crate::clock::SystemClock;
    use crate::simulate::IdentityKind;

    /// A token the server's verifier refuses is an error, never a claim, on every
    /// tab and retry, and the refused verifications are still timed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_user_whose_token_fails_verification_is_an_error_and_claims_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(&dir.path().join("sim.db"))
            .await
            .unwrap();
        // Tokens signed with one key, checked with another: every signature is bad.
        let identities = Identities::Jwt {
            signer: JwtSigner::random_hs256(),
            verifier: JwtSigner::random_hs256().verifier(),
        };
        let simulator = Simulator::new(store, SystemClock).with_identities(identities);
        let campaign = simulator
            .create_campaign(Units::new(10).unwrap(), None)
            .await
            .unwrap();
        let load = Load {
            tabs: 3,
            duplicate_ratio: 0.5,
            ..Load::new(40, 1)
        };
        let report = simulator
            .run(&load, &campaign, Arc::new(Progress::default()))
            .await
            .unwrap();
        assert!(report.duplicate_users > 0, "{report:?}");
        assert_eq!(report.requests, 40 + 3 * report.duplicate_users);
        assert_eq!(report.errors, report.requests, "{report:?}");
        assert_eq!((report.claimed, report.replayed), (0, 0));
        let after = report.store_after.unwrap();
        assert_eq!((after.claims, after.remaining), (0, 10));
        // Every request failed: the store kept its invariants, but the run fails.
        assert!(report.invariants.all_hold(), "{report:?}");
        assert!(!report.checks.errors_below_threshold, "{report:?}");
        assert!(!report.checks.claimed_when_possible, "{report:?}");
        assert!(!report.passed);
        assert_eq!(report.identity, IdentityKind::Jwt);
        assert!(
            report.identity_ms.is_some_and(|v| v.p50 > 0.0),
            "{report:?}"
        );
        // No request reached the store, so its writer committed nothing.
        assert_eq!(
            report.group_commit.map(|g| (g.commits, g.requests)),
            Some((0, 0))
        );
    }
}
