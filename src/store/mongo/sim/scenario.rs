//! One seeded run: a flash sale on the simulated replica set, then the operator's actions at
//! rest, all checked.
//!
//! The seed draws everything: the units on sale, the shoppers and their tabs (some below the
//! minimum cart), when each tab and each operator action (restock, reconcile `--apply`, end)
//! starts, the clock skews of the servers (small: they are kept in sync) and of the app servers
//! (sometimes beyond the lease), the replication lag, the faults (lost requests, lost answers,
//! elections with rollbacks, client crashes), and every scheduling decision.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::super::claim::Defect;
use super::super::docs::{CampaignDoc, ClaimDoc, Status};
use super::super::ops::Consistency;
use super::super::{DocStore, Lease};
use super::check::{self, Rest};
use super::glue::{Shared, SimClock, SimOps, lock};
use super::replica::{Effect, NODES};
use super::sched::{Exec, block_on};
use super::world::{Ans, Cost, Event, Faults, Held, Req, World};
use crate::domain::{
    Actor, Campaign, CampaignChange, CampaignId, ClaimAttempt, ClaimKey, ClaimRefusal, Currency,
    Decision, EventQuery, Hold, NewCampaign, OrderId, RedeemAttempt, Refusal, Stamp, Units, UserId,
    Verdict, VoidAttempt,
};
use crate::store::{ReconcileMode, Store as _};

const ID: &str = "rush";

/// What a run is checked with: the store as configured, or with a defect put back.
#[derive(Clone, Copy, Debug)]
pub(super) struct Setup {
    pub consistency: Consistency,
    /// An algorithm defect switched back on.
    pub defect: Option<Defect>,
    /// Whose clock stamps the operator's actions.
    pub operator_clock: OperatorClock,
}

impl Setup {
    /// The store as it ships.
    pub(super) const REQUIRED: Setup = Setup {
        consistency: Consistency::REQUIRED,
        defect: None,
        operator_clock: OperatorClock::Server,
    };
}

/// Whose clock stamps an operator's action (and so decides a window given as "now").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OperatorClock {
    /// The server's, through `Store::now`, as the service stamps every action.
    Server,
    /// The operator's machine's own: the defect of stamping with a skewed clock, put back.
    Local,
}

/// What one run found.
pub(super) struct Outcome {
    pub violations: Vec<String>,
    pub history: Vec<Event>,
    /// Per claim request: its answer and its cost.
    pub costs: Vec<(Ans, Cost)>,
    pub faulted: bool,
    /// Oplog entries rolled back by elections.
    pub rolled_back: usize,
}

/// The lease the simulated app servers use: short, so that waiting for a stale reservation
/// takes few decisions; the skews are drawn against it.
const LEASE: Lease = Lease {
    stale_after: Duration::from_secs(2),
    poll_min: Duration::from_millis(5),
    poll_max: Duration::from_millis(50),
};

fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default() // 2026-01-01T00:00:00Z
}

fn campaign(total: i64, now: DateTime<Utc>) -> Option<Campaign> {
    held_campaign(total, now, None)
}

/// The campaign an operator creates at `now` with no start: it starts at `now`.
fn starting_when_created(now: DateTime<Utc>) -> Option<Campaign> {
    NewCampaign {
        starts_at: None,
        ends: crate::domain::Ends::After(TimeDelta::days(1)),
        ..new_rush(1)?
    }
    .validate(now)
    .ok()
}

fn held_campaign(total: i64, now: DateTime<Utc>, hold: Option<Hold>) -> Option<Campaign> {
    NewCampaign {
        starts_at: Some(now - TimeDelta::hours(1)),
        ends: crate::domain::Ends::At(now + TimeDelta::days(1)),
        hold,
        ..new_rush(total)?
    }
    .validate(now)
    .ok()
}

/// The campaign's terms, its window and hold aside.
fn new_rush(total: i64) -> Option<NewCampaign> {
    Some(NewCampaign {
        id: CampaignId::parse(ID).ok()?,
        name: "Rush".into(),
        inventory: Units::new(total).ok()?,
        percent: "10".parse().ok()?,
        max_discount: "5".parse().ok()?,
        min_cart: "10".parse().ok()?,
        currency: Currency::default(),
        starts_at: None,
        ends: crate::domain::Ends::After(TimeDelta::days(1)),
        hold: None,
    })
}

/// The campaign as written: every third seed's as a version before the held count wrote it
/// (no `held`) with one claim already made back then, so the derived count, its first store
/// by a claim, a return or a reconcile, all run under the same faults as the rest, and a
/// count that started from 0 instead would be off by that claim. Chosen by the seed, not
/// drawn, so every seed's draws stay what they were.
fn older(seed: u64, campaign: &Campaign) -> Vec<Effect> {
    let doc = CampaignDoc::new(campaign);
    if !seed.is_multiple_of(3) {
        return vec![Effect::PutCampaign(doc)];
    }
    let attempt = ClaimAttempt {
        campaign_id: campaign.id.clone(),
        user_id: UserId::parse("user-old").unwrap_or_else(|_| unreachable!("a valid user")),
        cart: "50"
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid cart")),
        now: epoch(),
    };
    let Decision::Grant(claim) =
        attempt.decide(None, Some(campaign), crate::random::token(epoch()))
    else {
        unreachable!("a live campaign with units grants a claim")
    };
    let claim = ClaimDoc {
        status: Status::Claimed,
        ..ClaimDoc::reserving(&claim, epoch())
    };
    let doc = CampaignDoc {
        total: doc.total + 1,
        held: None,
        ..doc
    };
    vec![Effect::PutCampaign(doc), Effect::PutClaim(claim)]
}

/// The hold of the lifecycle run's claims.
const HOLD_SECONDS: i64 = 5;

fn user_id(user: usize) -> UserId {
    UserId::parse(&format!("user-{user}")).unwrap_or_else(|_| unreachable!("a valid user"))
}

/// A transition's verdict as the history keeps it.
fn verdict(verdict: Verdict) -> Ans {
    match verdict {
        Verdict::Change { after, .. } => Ans::Moved(after.status.as_str()),
        Verdict::Replay(claim) => Ans::Same(claim.status.as_str()),
        Verdict::Refuse(refusal) => Ans::Refused(match refusal {
            ClaimRefusal::CampaignNotFound => "not_found",
            ClaimRefusal::ClaimNotFound => "no_claim",
            ClaimRefusal::NotEligible { .. } => "not_eligible",
            ClaimRefusal::Conflict(_) => "conflict",
        }),
    }
}

/// The operator's stamp.
fn stamp(at: DateTime<Utc>) -> Stamp {
    Stamp {
        actor: Actor::parse("operator").unwrap_or_else(|_| unreachable!("a valid actor")),
        at,
    }
}

fn held(world: &Shared, claim: &crate::domain::Claim) -> Held {
    Held {
        token: lock(world).token(claim.token.as_str()),
        discount: claim.discount.get(),
        cart: claim.cart.get(),
        claimed_at: claim.claimed_at.timestamp_millis(),
    }
}

fn refusal(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::NotFound => "not_found",
        Refusal::NotLive(_) => "not_live",
        Refusal::NotEligible { .. } => "not_eligible",
        Refusal::SoldOut => "sold_out",
    }
}

/// Everything one run needs to make a store for a task.
#[derive(Clone)]
struct Env {
    world: Shared,
    /// One store per app server: the tasks of one app server share its measured offset to the
    /// server's clock, as the requests of one process do.
    app_servers: Vec<DocStore<SimOps, SimClock>>,
    skews_ms: Vec<i64>,
    operator_clock: OperatorClock,
}

impl Env {
    fn new(world: Shared, setup: Setup, skews_ms: &[i64]) -> Self {
        let app_servers = skews_ms
            .iter()
            .map(|&skew_ms| {
                let store = DocStore::new(
                    SimOps {
                        world: Arc::clone(&world),
                        task: usize::MAX,
                        consistency: setup.consistency,
                    },
                    SimClock {
                        world: Arc::clone(&world),
                        skew_ms,
                    },
                    LEASE,
                );
                match setup.defect {
                    Some(defect) => store.with_defect(defect),
                    None => store,
                }
            })
            .collect();
        Env {
            world,
            app_servers,
            skews_ms: skews_ms.to_vec(),
            operator_clock: setup.operator_clock,
        }
    }

    /// The store of app server `server` as task `task` uses it.
    fn store(&self, task: usize, server: usize) -> DocStore<SimOps, SimClock> {
        let base = &self.app_servers[server];
        DocStore {
            ops: SimOps {
                task,
                ..base.ops.clone()
            },
            ..base.clone()
        }
    }

    fn record(&self, event: Event) {
        lock(&self.world).history.push(event);
    }

    /// A task that waits `delay`, then sends `req`.
    fn spawn(&self, exec: &mut Exec, crashable: bool, delay: u64, server: usize, req: Req) {
        let task = exec.next_id();
        let store = self.store(task, server);
        let clock = SimClock {
            world: Arc::clone(&self.world),
            skew_ms: self.skews_ms[server],
        };
        let env = self.clone();
        exec.spawn(crashable, async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            env.record(Event::Start {
                task,
                req: req.clone(),
            });
            let ans = env.request(&store, &clock, &req).await;
            env.record(Event::End { task, ans });
        });
    }

    async fn request(
        &self,
        store: &DocStore<SimOps, SimClock>,
        clock: &SimClock,
        req: &Req,
    ) -> Ans {
        use crate::clock::Clock as _;
        let now = clock.now();
        let id = CampaignId::parse(ID).unwrap_or_else(|_| unreachable!("a valid id"));
        let failed = |e: crate::store::StoreError| {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            Ans::Failed(why)
        };
        // An operator's action is stamped as the service stamps it: the server's clock, read
        // through the store, whatever this machine's says.
        let stamp = |local: DateTime<Utc>| async move {
            match self.operator_clock {
                OperatorClock::Server => store.now(local).await.map(stamp),
                OperatorClock::Local => Ok(stamp(local)),
            }
        };
        match req {
            Req::Claim { user, eligible } => {
                let attempt = ClaimAttempt {
                    campaign_id: id,
                    user_id: UserId::parse(&format!("user-{user}"))
                        .unwrap_or_else(|_| unreachable!("a valid user")),
                    cart: if *eligible { "50" } else { "5" }
                        .parse()
                        .unwrap_or_else(|_| unreachable!("a valid cart")),
                    now,
                };
                match store.claim(&attempt).await {
                    Ok(Decision::Grant(c)) => Ans::Claimed(held(&self.world, &c)),
                    Ok(Decision::Replay(c)) => Ans::Replayed(held(&self.world, &c)),
                    Ok(Decision::Refuse(r)) => Ans::Refused(refusal(&r)),
                    Err(e) => failed(e),
                }
            }
            Req::Restock(n) => {
                let units = Units::new(*n).unwrap_or_else(|_| unreachable!("a valid count"));
                let stamp = match stamp(now).await {
                    Ok(stamp) => stamp,
                    Err(e) => return failed(e),
                };
                store
                    .change_campaign(&id, &CampaignChange::AddInventory(units), &stamp)
                    .await
                    .map_or_else(failed, |_| Ans::Done)
            }
            Req::Create => {
                let stamp = match stamp(now).await {
                    Ok(stamp) => stamp,
                    Err(e) => return failed(e),
                };
                let Some(campaign) = starting_when_created(stamp.at) else {
                    unreachable!("a valid campaign")
                };
                store
                    .create_campaign(&campaign, &stamp)
                    .await
                    .map_or_else(failed, |_| Ans::Done)
            }
            Req::Reconcile { force } => {
                let mode = if *force {
                    ReconcileMode::Force
                } else {
                    ReconcileMode::Apply
                };
                match stamp(now).await {
                    Ok(stamp) => store
                        .reconcile(&id, mode, &stamp)
                        .await
                        .map_or_else(failed, |_| Ans::Done),
                    Err(e) => failed(e),
                }
            }
            Req::End => match stamp(now).await {
                Ok(stamp) => store
                    .change_campaign(&id, &CampaignChange::End, &stamp)
                    .await
                    .map_or_else(failed, |_| Ans::Done),
                Err(e) => failed(e),
            },
            Req::Redeem { user, order } => {
                let user = user_id(*user);
                match store.claim_of(&id, &user).await {
                    Err(e) => failed(e),
                    Ok(None) => Ans::Refused("no_claim"),
                    Ok(Some(claim)) => {
                        let stamp = match stamp(now).await {
                            Ok(stamp) => stamp,
                            Err(e) => return failed(e),
                        };
                        let attempt = RedeemAttempt {
                            campaign_id: id.clone(),
                            token: claim.token,
                            owner: Some(user),
                            order_id: OrderId::parse(&format!("order-{order}"))
                                .unwrap_or_else(|_| unreachable!("a valid order id")),
                            cart: "50"
                                .parse()
                                .unwrap_or_else(|_| unreachable!("a valid cart")),
                            stamp,
                        };
                        store.redeem(&attempt).await.map_or_else(failed, verdict)
                    }
                }
            }
            Req::Void { user } => {
                let stamp = match stamp(now).await {
                    Ok(stamp) => stamp,
                    Err(e) => return failed(e),
                };
                let attempt = VoidAttempt {
                    campaign_id: id.clone(),
                    key: ClaimKey::User(user_id(*user)),
                    reason: None,
                    stamp,
                };
                store.void(&attempt).await.map_or_else(failed, verdict)
            }
            Req::Expire => match stamp(now).await {
                Ok(at) => {
                    let past_every_hold = Stamp {
                        at: at.at + TimeDelta::seconds(HOLD_SECONDS + 1),
                        ..at
                    };
                    store
                        .expire_holds(&id, &past_every_hold)
                        .await
                        .map_or_else(failed, |n| Ans::Swept(n.unwrap_or_default()))
                }
                Err(e) => failed(e),
            },
            Req::ReadEvents => {
                let query = EventQuery {
                    campaign: Some(id.clone()),
                    after_seq: 0,
                    since: None,
                    limit: 100_000,
                };
                store.events(&query).await.map_or_else(failed, |events| {
                    // One campaign's log here, the only one: positions 1, 2, 3... no gap.
                    let positions: Vec<i64> = events.iter().map(|e| e.seq).collect();
                    if positions.iter().zip(1..).any(|(seq, want)| *seq != want) {
                        return Ans::Failed(format!("the events log has gaps: {positions:?}"));
                    }
                    Ans::Events(
                        events
                            .into_iter()
                            .map(|e| {
                                let user = e.details["user_id"].as_str().unwrap_or_default();
                                (user.to_owned(), e.action)
                            })
                            .collect(),
                    )
                })
            }
        }
    }
}

/// The draws of one run, before any decision.
struct Plan {
    total: i64,
    users: usize,
    tabs: Vec<usize>,
    ineligible: Option<usize>,
    client_skews: [i64; 2],
    server_skews: [i64; NODES],
    faults: Faults,
    operator: Vec<(u64, Req)>,
}

fn plan(rng: &mut StdRng) -> Plan {
    let total = rng.random_range(1..=4);
    let users = rng.random_range(2..=6);
    let tabs = (0..users).map(|_| rng.random_range(1..=3)).collect();
    let ineligible = rng.random_bool(0.25).then(|| rng.random_range(0..users));
    let lease = i64::try_from(LEASE.stale_after.as_millis()).unwrap_or(i64::MAX);
    let client_skew = match rng.random_range(0..3) {
        0 => 0,
        1 => 50,
        _ => lease * 3 / 2,
    };
    let mut skew = |bound: i64| {
        if bound == 0 {
            0
        } else {
            rng.random_range(-bound..=bound)
        }
    };
    let client_skews = [skew(client_skew), skew(client_skew)];
    let server_skews = [skew(20), skew(20), skew(20)];
    let faults = if rng.random_bool(0.4) {
        Faults {
            replication: rng.random_range(1..=12),
            ..Faults::default()
        }
    } else {
        Faults {
            lose_request: 0.02,
            lose_answer: 0.04,
            elections: rng.random_range(0..=2),
            crashes: rng.random_range(0..=2),
            replication: rng.random_range(1..=12),
        }
    };
    let mut operator = Vec::new();
    if rng.random_bool(0.3) {
        operator.push((
            rng.random_range(0..=60),
            Req::Restock(rng.random_range(1..=2)),
        ));
    }
    if rng.random_bool(0.4) {
        operator.push((rng.random_range(0..=60), Req::Reconcile { force: false }));
    }
    if rng.random_bool(0.15) {
        operator.push((rng.random_range(0..=60), Req::End));
    }
    Plan {
        total,
        users,
        tabs,
        ineligible,
        client_skews,
        server_skews,
        faults,
        operator,
    }
}

/// Runs seed `seed` with `setup`.
pub(super) fn run(seed: u64, setup: Setup) -> Outcome {
    block_on(run_async(seed, setup))
}

async fn run_async(seed: u64, setup: Setup) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let plan = plan(&mut rng);
    let start = tokio::time::Instant::now();
    let epoch_ms = epoch().timestamp_millis();
    let mut world = World::new(rng.random(), plan.server_skews, epoch_ms, plan.faults);
    let Some(campaign) = campaign(plan.total, epoch()) else {
        unreachable!("a valid campaign")
    };
    world.rs.write(0, older(seed, &campaign));
    world.rs.settle();
    world.watch = Some(ID.to_owned());
    let env = Env::new(Arc::new(Mutex::new(world)), setup, &plan.client_skews);
    let mut exec = Exec::default();
    let mut violations = Vec::new();

    // The sale.
    for user in 0..plan.users {
        for _ in 0..plan.tabs[user] {
            let delay = rng.random_range(0..=40);
            let server = rng.random_range(0..plan.client_skews.len());
            let req = Req::Claim {
                user,
                eligible: plan.ineligible != Some(user),
            };
            env.spawn(&mut exec, true, delay, server, req);
        }
    }
    for (delay, req) in &plan.operator {
        let server = rng.random_range(0..plan.client_skews.len());
        env.spawn(&mut exec, false, *delay, server, req.clone());
    }
    if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
        violations.push(stuck);
    }
    let faulted = {
        let mut w = lock(&env.world);
        w.faults = Faults {
            replication: 1,
            ..Faults::default()
        };
        w.rs.settle();
        w.any_fault()
    };
    let at_rest = |env: &Env, exact: bool, when: &str, violations: &mut Vec<String>| -> Rest {
        let mut w = lock(&env.world);
        w.rs.settle();
        let rest = check::rest(&mut w, ID);
        violations.extend(check::at_rest(&rest, exact, when));
        rest
    };
    let rest = at_rest(&env, !faulted, "after the sale", &mut violations);

    // At rest, one request at a time, no faults: every holder replays its claim...
    let mut once = async |req: Req, violations: &mut Vec<String>| -> Option<Ans> {
        env.spawn(&mut exec, false, 0, 0, req);
        if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
            violations.push(stuck);
        }
        match lock(&env.world).history.last() {
            Some(Event::End { ans, .. }) => Some(ans.clone()),
            _ => None,
        }
    };
    for user in (0..plan.users).filter(|u| rest.claimed.contains_key(&format!("user-{u}"))) {
        let req = Req::Claim {
            user,
            eligible: true,
        };
        once(req, &mut violations).await;
    }
    let replayed = at_rest(&env, !faulted, "after the replays", &mut violations);
    if replayed != rest {
        violations.push(format!("I4: replays wrote: {rest:?} -> {replayed:?}"));
    }
    // ... reconcile (once every lease ran out) makes the counter exact, a restock keeps it so...
    tokio::time::advance(LEASE.stale_after * 3).await;
    lock(&env.world).now_ms = epoch_ms + i64::try_from(start.elapsed().as_millis()).unwrap_or(0);
    if let Some(Ans::Failed(_)) = once(Req::Reconcile { force: false }, &mut violations).await {
        // A unit stranded without a reservation left to show for it needs --force.
        once(Req::Reconcile { force: true }, &mut violations).await;
    }
    at_rest(&env, true, "after reconcile --apply", &mut violations);
    once(Req::Restock(1), &mut violations).await;
    at_rest(&env, true, "after a restock", &mut violations);
    // ... ending keeps it, refuses newcomers without writing, and still replays holders.
    once(Req::End, &mut violations).await;
    let before = at_rest(&env, true, "after end", &mut violations);
    let newcomer = Req::Claim {
        user: plan.users,
        eligible: true,
    };
    let answer = once(newcomer, &mut violations).await;
    let after = at_rest(&env, true, "after a refused claim", &mut violations);
    if !before.ended {
        violations.push("end: the campaign is not ended".to_owned());
    }
    if answer != Some(Ans::Refused("not_live")) {
        violations.push(format!("a newcomer after the end was answered {answer:?}"));
    }
    if before != after {
        violations.push(format!(
            "I6: a refused claim wrote: {before:?} -> {after:?}"
        ));
    }
    if let Some(user) = (0..plan.users).find(|u| after.claimed.contains_key(&format!("user-{u}"))) {
        let req = Req::Claim {
            user,
            eligible: true,
        };
        let answer = once(req, &mut violations).await;
        if !matches!(answer, Some(Ans::Replayed(_))) {
            violations.push(format!("a holder after the end was answered {answer:?}"));
        }
    }

    let costs = costs(&env.world);
    let mut w = lock(&env.world);
    violations.append(&mut w.monitor);
    let history = std::mem::take(&mut w.history);
    let final_rest = check::rest(&mut w, ID);
    violations.extend(check::history(&history, &final_rest));
    Outcome {
        violations,
        history,
        costs,
        faulted,
        rolled_back: w.rs.rolled_back,
    }
}

/// How far ahead of or behind true time an operator's machine runs in
/// [`run_operator_create`]: minutes, as a machine without time sync drifts, far beyond the
/// servers' own (kept in sync) skews and beyond the claims' round trips.
const OPERATOR_SKEW_MS: std::ops::RangeInclusive<i64> = 30_000..=300_000;

/// Runs seed `seed` of an operator creating the campaign, with no start, from a machine whose
/// clock runs ahead or behind (the seed draws which, and by how much), then a shopper (on an
/// app server in sync) claiming right after: the campaign must start when the servers say it
/// was created, neither before (a sale opened early, its window claiming hours nobody could
/// claim in) nor after (shoppers refused as not live in a sale just announced), and the
/// shopper is granted a unit.
pub(super) fn run_operator_create(seed: u64, setup: Setup) -> Outcome {
    block_on(operator_create_async(seed, setup))
}

async fn operator_create_async(seed: u64, setup: Setup) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let skew = rng.random_range(OPERATOR_SKEW_MS);
    let operator_skew = if rng.random_bool(0.5) { skew } else { -skew };
    let server_skews = [0; NODES].map(|_| rng.random_range(-20..=20));
    let start = tokio::time::Instant::now();
    let epoch_ms = epoch().timestamp_millis();
    let faults = Faults {
        replication: rng.random_range(1..=12),
        ..Faults::default()
    };
    let mut world = World::new(rng.random(), server_skews, epoch_ms, faults);
    world.watch = Some(ID.to_owned());
    let env = Env::new(Arc::new(Mutex::new(world)), setup, &[operator_skew, 0]);
    let mut exec = Exec::default();
    let mut violations = Vec::new();
    let created_from = lock(&env.world).now_ms;
    env.spawn(&mut exec, false, 0, 0, Req::Create);
    if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
        violations.push(stuck);
    }
    let created_by = lock(&env.world).now_ms;
    let shopper = Req::Claim {
        user: 0,
        eligible: true,
    };
    env.spawn(&mut exec, false, rng.random_range(1..=50), 1, shopper);
    if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
        violations.push(stuck);
    }
    let mut w = lock(&env.world);
    w.rs.settle();
    let starts_at =
        w.rs.majority()
            .campaigns
            .get(ID)
            .map(|c| c.starts_at.timestamp_millis());
    // The servers' clocks are within 20 ms of true time.
    let (earliest, latest) = (created_from - 20, created_by + 20);
    match starts_at {
        None => violations.push("server time: the campaign was not created".to_owned()),
        Some(at) if at < earliest => violations.push(format!(
            "server time (start): the sale opened {} ms before it was created (operator skew {operator_skew} ms)",
            earliest - at
        )),
        Some(at) if at > latest => violations.push(format!(
            "server time (start): the sale opened {} ms after it was created (operator skew {operator_skew} ms)",
            at - latest
        )),
        Some(_) => {}
    }
    let answers: Vec<Ans> = w
        .history
        .iter()
        .filter_map(|e| match e {
            Event::End { ans, .. } => Some(ans.clone()),
            _ => None,
        })
        .collect();
    if !matches!(answers.as_slice(), [Ans::Done, Ans::Claimed(_)]) {
        violations.push(format!(
            "server time (live at once): the create and the claim right after it were answered {answers:?}"
        ));
    }
    violations.append(&mut w.monitor);
    Outcome {
        violations,
        history: std::mem::take(&mut w.history),
        costs: Vec::new(),
        faulted: w.faulted,
        rolled_back: w.rs.rolled_back,
    }
}

/// Runs seed `seed` of the lifecycle sale with `setup`: shoppers claim and redeem (some
/// twice, some for a second order), operators void (sometimes twice at once) and sweep expired
/// holds during the claims, under the same faults as the sale; then, at rest, voided and
/// expired shoppers claim again, reconcile repairs what faults stranded, and the events log is
/// read, all checked (I7 to I10, and I1 to I6 as for the sale).
pub(super) fn run_lifecycle(seed: u64, setup: Setup) -> Outcome {
    block_on(lifecycle_async(seed, setup))
}

async fn lifecycle_async(seed: u64, setup: Setup) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let plan = plan(&mut rng);
    let start = tokio::time::Instant::now();
    let epoch_ms = epoch().timestamp_millis();
    let mut world = World::new(rng.random(), plan.server_skews, epoch_ms, plan.faults);
    let hold = Hold::from_seconds(HOLD_SECONDS).ok();
    let Some(campaign) = held_campaign(plan.total, epoch(), hold) else {
        unreachable!("a valid campaign")
    };
    world.rs.write(0, older(seed, &campaign));
    world.rs.settle();
    world.watch = Some(ID.to_owned());
    let env = Env::new(Arc::new(Mutex::new(world)), setup, &plan.client_skews);
    let mut exec = Exec::default();
    let mut violations = Vec::new();
    let servers = plan.client_skews.len();

    for user in 0..plan.users {
        for _ in 0..plan.tabs[user] {
            let req = Req::Claim {
                user,
                eligible: true,
            };
            let (delay, server) = (rng.random_range(0..=40), rng.random_range(0..servers));
            env.spawn(&mut exec, true, delay, server, req);
        }
        let redeem = |order: usize, rng: &mut StdRng, exec: &mut Exec| {
            let (delay, server) = (rng.random_range(10..=90), rng.random_range(0..servers));
            env.spawn(exec, true, delay, server, Req::Redeem { user, order });
        };
        if rng.random_bool(0.5) {
            redeem(0, &mut rng, &mut exec);
            if rng.random_bool(0.3) {
                redeem(0, &mut rng, &mut exec);
            }
            if rng.random_bool(0.3) {
                redeem(1, &mut rng, &mut exec);
            }
        }
    }
    for _ in 0..rng.random_range(0..=2) {
        let user = rng.random_range(0..plan.users);
        let copies = if rng.random_bool(0.4) { 2 } else { 1 };
        for _ in 0..copies {
            let (delay, server) = (rng.random_range(10..=90), rng.random_range(0..servers));
            // Crashable: a void cut off between its two writes leaves a return half done.
            env.spawn(&mut exec, true, delay, server, Req::Void { user });
        }
    }
    for _ in 0..rng.random_range(0..=2) {
        let (delay, server) = (rng.random_range(10..=90), rng.random_range(0..servers));
        env.spawn(&mut exec, true, delay, server, Req::Expire);
    }
    if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
        violations.push(stuck);
    }
    let faulted = {
        let mut w = lock(&env.world);
        w.faults = Faults {
            replication: 1,
            ..Faults::default()
        };
        w.rs.settle();
        w.any_fault()
    };
    let at_rest = |env: &Env, exact: bool, when: &str, violations: &mut Vec<String>| -> Rest {
        let mut w = lock(&env.world);
        w.rs.settle();
        let rest = check::rest(&mut w, ID);
        violations.extend(check::at_rest(&rest, exact, when));
        rest
    };
    let rest = at_rest(&env, !faulted, "after the lifecycle sale", &mut violations);
    if !faulted && rest.returning != 0 {
        violations.push(format!(
            "I9: {} unit return(s) left half done with no fault to explain them",
            rest.returning
        ));
    }

    let mut once = async |req: Req, violations: &mut Vec<String>| -> Option<Ans> {
        env.spawn(&mut exec, false, 0, 0, req);
        if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
            violations.push(stuck);
        }
        match lock(&env.world).history.last() {
            Some(Event::End { ans, .. }) => Some(ans.clone()),
            _ => None,
        }
    };
    // A voided or expired shopper claims again: the old claim replays, no unit moves.
    for (name, (status, _)) in &rest.status {
        if !matches!(status, Status::Voided | Status::Expired) {
            continue;
        }
        let Some(user) = name.strip_prefix("user-").and_then(|u| u.parse().ok()) else {
            continue;
        };
        let before = at_rest(&env, false, "before a claim again", &mut violations);
        let answer = once(
            Req::Claim {
                user,
                eligible: true,
            },
            &mut violations,
        )
        .await;
        let after = at_rest(&env, false, "after a claim again", &mut violations);
        if answer != before.claimed.get(name).cloned().map(Ans::Replayed) {
            violations.push(format!(
                "I7: {name}, {status:?}, claimed again and was answered {answer:?}"
            ));
        }
        if before != after {
            violations.push(format!(
                "I7: {name}'s claim again wrote: {before:?} -> {after:?}"
            ));
        }
    }
    // Reconcile, once every lease ran out, makes the counter exact.
    tokio::time::advance(LEASE.stale_after * 3).await;
    lock(&env.world).now_ms = epoch_ms + i64::try_from(start.elapsed().as_millis()).unwrap_or(0);
    if let Some(Ans::Failed(_)) = once(Req::Reconcile { force: false }, &mut violations).await {
        once(Req::Reconcile { force: true }, &mut violations).await;
    }
    let repaired = at_rest(&env, true, "after reconcile --apply", &mut violations);
    if repaired.returning != 0 {
        violations.push(format!(
            "I9: {} unit return(s) left half done after reconcile --apply",
            repaired.returning
        ));
    }
    let events = match once(Req::ReadEvents, &mut violations).await {
        Some(Ans::Events(events)) => events,
        other => {
            violations.push(format!("reading the events log answered {other:?}"));
            Vec::new()
        }
    };

    let costs = costs(&env.world);
    let mut w = lock(&env.world);
    violations.append(&mut w.monitor);
    let history = std::mem::take(&mut w.history);
    let final_rest = check::rest(&mut w, ID);
    violations.extend(check::history(&history, &final_rest));
    violations.extend(check::lifecycle(&history, &final_rest, &events, faulted));
    Outcome {
        violations,
        history,
        costs,
        faulted,
        rolled_back: w.rs.rolled_back,
    }
}

/// What one campaign read (`Store::campaign`, as `GET /v1/campaigns/{id}` makes it) costs
/// with `claims` claims holding a unit of the campaign, the campaign's held count kept by
/// their decrements: the operations the read sent, and the campaign it answered.
pub(super) fn campaign_read_cost(claims: usize) -> (Cost, Option<Campaign>) {
    block_on(async move {
        let start = tokio::time::Instant::now();
        let epoch_ms = epoch().timestamp_millis();
        let mut world = World::new(0, [0; NODES], epoch_ms, Faults::default());
        let total = i64::try_from(claims).unwrap_or(i64::MAX) + 1;
        let Some(campaign) = campaign(total, epoch()) else {
            unreachable!("a valid campaign")
        };
        let doc = CampaignDoc::new(&campaign);
        let mut effects = Vec::with_capacity(claims + 1);
        for user in 0..claims {
            let attempt = ClaimAttempt {
                campaign_id: campaign.id.clone(),
                user_id: user_id(user),
                cart: "50"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a valid cart")),
                now: epoch(),
            };
            let token = crate::random::token(epoch());
            let Decision::Grant(claim) = attempt.decide(None, Some(&campaign), token) else {
                unreachable!("a live campaign with units grants a claim")
            };
            effects.push(Effect::PutClaim(ClaimDoc {
                status: Status::Claimed,
                ..ClaimDoc::reserving(&claim, epoch())
            }));
        }
        let taken = total - 1;
        effects.push(Effect::PutCampaign(CampaignDoc {
            remaining: doc.remaining - taken,
            held: Some(taken),
            ..doc
        }));
        world.rs.preload(&effects);
        let env = Env::new(Arc::new(Mutex::new(world)), Setup::REQUIRED, &[0]);
        let mut exec = Exec::default();
        let task = exec.next_id();
        let store = env.store(task, 0);
        let answer = Arc::new(Mutex::new(None));
        let read = Arc::clone(&answer);
        exec.spawn(false, async move {
            let id = CampaignId::parse(ID).unwrap_or_else(|_| unreachable!("a valid id"));
            let found = store.campaign(&id).await.ok().flatten();
            *read
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = found;
        });
        if let Err(stuck) = exec.drive(&env.world, start, epoch_ms).await {
            panic!("{stuck}");
        }
        let cost = lock(&env.world)
            .costs
            .get(&task)
            .copied()
            .unwrap_or_default();
        let found = answer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        (cost, found)
    })
}

/// The cost of each claim request, with its answer.
fn costs(world: &Shared) -> Vec<(Ans, Cost)> {
    let w = lock(world);
    let mut claims = std::collections::BTreeSet::new();
    let mut answers = Vec::new();
    for event in &w.history {
        match event {
            Event::Start {
                task,
                req: Req::Claim { .. },
            } => {
                claims.insert(*task);
            }
            Event::End { task, ans } if claims.contains(task) => {
                if let Some(cost) = w.costs.get(task) {
                    answers.push((ans.clone(), *cost));
                }
            }
            _ => {}
        }
    }
    answers
}
