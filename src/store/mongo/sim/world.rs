//! Everything the simulation decides: the replica set, the requests on the wire, the seeded
//! random source, true time, the faults, and the history the checker reads.
//!
//! A request travels in four steps, each a separate scheduling decision: sent (on the wire),
//! executed on a server (it may be lost before), waiting for its write concern (a `majority`
//! write is answered only once the commit point covers it, and fails with an unknown outcome if
//! the primary steps down first), then answered (the answer may be lost: the client gets an
//! error, the write stands).

use std::collections::BTreeMap;
use std::task::Waker;

use mongodb::bson;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::super::docs::{
    CampaignDoc, ClaimDoc, EventDoc, PendingEvent, Status, TallyRow, holding, inc_held, may_hold,
};
use super::super::lifecycle_ops::{Appended, EventFilter, Schedule, Source};
use super::super::ops::{Consistency, ReadFrom, ReadLevel, WriteLevel};
use super::super::ops::{Inserted, Seen};
use super::replica::{Data, Effect, NODES, OpTime, ReplicaSet};
use crate::domain::{BucketWidth, SaleCounts, SaleTally};

/// One server operation, as the client sent it.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a few hundred per run: boxing buys nothing"
)]
pub(super) enum Op {
    FindCampaign(String),
    ReserveUnit(String, bson::DateTime),
    SetRemaining(String, Seen, i64, Option<PendingEvent>),
    StoreHeld(String, Seen),
    FindClaim(String, String),
    InsertClaim(ClaimDoc),
    ConfirmClaim(String, String, String),
    DeleteReserving(String, String, String),
    DeleteStale(String, bson::DateTime),
    CountClaims(String, Option<Status>),
    InsertCampaign(CampaignDoc),
    ListCampaigns,
    ListCampaignsEndingFrom(bson::DateTime),
    EndCampaign(String, bson::DateTime, PendingEvent),
    AddInventory(String, i64, i64, String, PendingEvent),
    DeleteCampaign(String),
    ClaimedPairs(String),
    ServerTime,
    FindClaimByToken(String, String),
    MoveClaim(ClaimDoc, Option<Status>, ClaimDoc, PendingEvent),
    ReturnUnit(String, String, bool),
    Returned(String, String, String),
    Returning(String),
    Due(String, bson::DateTime),
    Reschedule(String, Schedule, Schedule, PendingEvent),
    RemoveInventory(String, i64, String, PendingEvent),
    ClaimsPage(String, Option<Status>, Option<String>, usize),
    Tally(String, BucketWidth),
    Pending(Option<String>),
    NextSeq,
    InsertEvent(EventDoc),
    Unpend(Source, String),
    Events(EventFilter),
}

impl Op {
    /// Whether the operation reads or writes the `claims` collection.
    fn on_claims(&self) -> bool {
        matches!(
            self,
            Op::FindClaim(..)
                | Op::InsertClaim(_)
                | Op::ConfirmClaim(..)
                | Op::DeleteReserving(..)
                | Op::DeleteStale(..)
                | Op::CountClaims(..)
                | Op::DeleteCampaign(_)
                | Op::ClaimedPairs(_)
                | Op::FindClaimByToken(..)
                | Op::MoveClaim(..)
                | Op::Returned(..)
                | Op::Returning(_)
                | Op::Due(..)
                | Op::ClaimsPage(..)
                | Op::Tally(..)
                | Op::Pending(_)
                | Op::Unpend(..)
        )
    }

    /// How a write is acknowledged: the reservation insert as the consistency's `reservation`
    /// says, every other write as its `write`.
    fn write_level(&self, consistency: Consistency) -> WriteLevel {
        match self {
            Op::InsertClaim(_) => consistency.reservation,
            _ => consistency.write,
        }
    }

    fn is_write(&self) -> bool {
        !matches!(
            self,
            Op::FindCampaign(_)
                | Op::FindClaim(..)
                | Op::CountClaims(..)
                | Op::ListCampaigns
                | Op::ListCampaignsEndingFrom(_)
                | Op::ClaimedPairs(_)
                | Op::ServerTime
                | Op::FindClaimByToken(..)
                | Op::Returning(_)
                | Op::Due(..)
                | Op::ClaimsPage(..)
                | Op::Tally(..)
                | Op::Pending(_)
                | Op::Events(_)
                | Op::NextSeq
        )
    }
}

/// A server's answer.
#[derive(Clone, Debug)]
pub(super) enum Reply {
    Campaign(Option<CampaignDoc>),
    Campaigns(Vec<CampaignDoc>),
    Claim(Option<ClaimDoc>),
    Matched(bool),
    Inserted(Inserted),
    Count(i64),
    Pairs(Vec<(String, String)>),
    Time(bson::DateTime),
    Claims(Vec<ClaimDoc>),
    Tally(SaleCounts),
    Pending(Vec<(Source, PendingEvent)>),
    Events(Vec<EventDoc>),
    Appended(Appended),
}

/// Where a request is.
#[derive(Debug)]
enum Phase {
    Sent,
    Waiting(OpTime, Reply),
    Answered(Result<Reply, String>),
    Delivered(Result<Reply, String>),
}

#[derive(Debug)]
struct Request {
    task: usize,
    op: Op,
    consistency: Consistency,
    phase: Phase,
    waker: Option<Waker>,
    /// How likely this request is to move on at each decision: some travel slowly, which
    /// is what reorders requests sent at once.
    speed: u32,
}

/// How often each fault strikes (probabilities per decision) and how many at most.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Faults {
    /// A request is lost before any server executes it.
    pub lose_request: f64,
    /// An answer is lost after the server executed the request.
    pub lose_answer: f64,
    /// Elections in one run, at most.
    pub elections: usize,
    /// Client crashes in one run, at most.
    pub crashes: usize,
    /// Relative weight of replicating against everything else: lower is more lag.
    pub replication: u32,
}

/// What the history records; an event's index in the history is its time.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Event {
    /// A task sent a request to the store.
    Start { task: usize, req: Req },
    /// A task's request ended with this answer.
    End { task: usize, ans: Ans },
    /// A task was dropped mid-flight.
    Crash { task: usize },
    /// One scheduling decision, for the determinism check and for reading a failure.
    Step(String),
}

/// A request to the store.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Req {
    /// A claim by user `user` (whose cart meets the minimum when `eligible`).
    Claim {
        user: usize,
        eligible: bool,
    },
    Restock(i64),
    /// `inventory reconcile --apply` (`--force` when `force`).
    Reconcile {
        force: bool,
    },
    End,
    /// A shopper redeems their claim (looked up by user) for order `order`.
    Redeem {
        user: usize,
        order: usize,
    },
    /// An operator voids a user's claim.
    Void {
        user: usize,
    },
    /// The expiry sweep, judged past every hold granted so far.
    Expire,
    /// Reads the whole events log.
    ReadEvents,
    /// An operator creates the campaign with no start (it starts when created) and an end a
    /// day after its start.
    Create,
}

/// A claim as the history keeps it: tokens by their order of first appearance, so that two
/// runs of one seed compare equal although tokens are random.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Held {
    pub token: usize,
    pub discount: i64,
    pub cart: i64,
    pub claimed_at: i64,
}

/// The store's answer.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ans {
    Claimed(Held),
    Replayed(Held),
    /// A refusal, by kind (`sold_out`, `not_live`, `not_eligible`, `not_found`).
    Refused(&'static str),
    Failed(String),
    Done,
    /// A transition carried out: the claim's status now.
    Moved(&'static str),
    /// A transition replayed: the claim's status, unchanged.
    Same(&'static str),
    /// The sweep expired this many claims.
    Swept(u64),
    /// The events log as (user of a claim event or "", action), in order.
    Events(Vec<(String, String)>),
}

/// Per task: the server operations it sent.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Cost {
    /// Operations sent.
    pub ops: u32,
    /// Operations sent while none other of the task's was outstanding: sequential round trips.
    pub round_trips: u32,
    /// Writes sent with write concern `majority`.
    pub majority_writes: u32,
    /// Reads of the server's clock.
    pub clock_reads: u32,
    /// Operations on the `claims` collection (each may examine claim documents; the others
    /// examine none).
    pub claim_ops: u32,
    /// The latency a task waits for its operations under the latency model
    /// ([`modelled_us`]), in microseconds: the sum over its sequential round trips of the
    /// slowest operation of each.
    pub modelled_us: u32,
    /// The slowest operation of the round trip in flight, in microseconds.
    round_us: u32,
}

/// The modelled latency of a round trip that answers without waiting for other members (a
/// read, or a write acknowledged by the primary alone), in microseconds: half a millisecond,
/// a round trip within one data centre plus the server's work on one document.
pub(super) const ROUND_TRIP_US: u32 = 500;

/// The modelled latency of a `majority` write, in microseconds: the primary's round trip plus
/// the replication of the write to a second member and the commit point coming back with a
/// secondary's next report, with journaling on each (`j: true`): 2 ms, the order a replica set
/// spread over one region's zones gives.
pub(super) const MAJORITY_WRITE_US: u32 = 2_000;

/// What `op` sent with `consistency` waits for under the latency model, in microseconds.
fn modelled_us(op: &Op, consistency: Consistency) -> u32 {
    if op.is_write() && op.write_level(consistency) == WriteLevel::MajorityJournaled {
        MAJORITY_WRITE_US
    } else {
        ROUND_TRIP_US
    }
}

/// The simulation's state.
pub(super) struct World {
    pub rs: ReplicaSet,
    pub rng: StdRng,
    requests: BTreeMap<u64, Request>,
    next: u64,
    /// True time, in milliseconds since the epoch (the simulation's clocks add their skew).
    pub now_ms: i64,
    pub faults: Faults,
    pub history: Vec<Event>,
    pub costs: BTreeMap<usize, Cost>,
    /// Whether any client saw an injected fault (an error, a crash): only then may a unit be
    /// stranded at rest.
    pub faulted: bool,
    pub crashes: usize,
    tokens: Vec<String>,
    /// Where the writes the primary alone acknowledged landed: one of them rolled back is a
    /// fault the client was not told of ([`World::any_fault`]).
    acknowledged_alone: Vec<OpTime>,
    /// The campaign whose committed state is checked for I1 after every decision.
    pub watch: Option<String>,
    /// What that check found.
    pub monitor: Vec<String>,
}

/// One scheduling decision the simulation can take now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    Execute(u64),
    Answer(u64),
    Replicate(usize),
    Elect,
    Crash(usize),
    Tick,
}

impl World {
    pub(super) fn new(seed: u64, skews_ms: [i64; NODES], now_ms: i64, faults: Faults) -> Self {
        World {
            rs: ReplicaSet::new(skews_ms),
            rng: StdRng::seed_from_u64(seed),
            requests: BTreeMap::new(),
            next: 0,
            now_ms,
            faults,
            history: Vec::new(),
            costs: BTreeMap::new(),
            faulted: false,
            crashes: 0,
            tokens: Vec::new(),
            acknowledged_alone: Vec::new(),
            watch: None,
            monitor: Vec::new(),
        }
    }

    /// The index of `token` in the order tokens first appeared.
    pub(super) fn token(&mut self, token: &str) -> usize {
        if let Some(i) = self.tokens.iter().position(|t| t == token) {
            return i;
        }
        self.tokens.push(token.to_owned());
        self.tokens.len() - 1
    }

    /// True time.
    pub(super) fn now(&self) -> bson::DateTime {
        bson::DateTime::from_millis(self.now_ms)
    }

    /// A task sends `op`; returns the request's id.
    pub(super) fn send(&mut self, task: usize, op: Op, consistency: Consistency) -> u64 {
        let outstanding = self
            .requests
            .values()
            .any(|r| r.task == task && !matches!(r.phase, Phase::Delivered(_)));
        let cost = self.costs.entry(task).or_default();
        cost.ops += 1;
        cost.round_trips += u32::from(!outstanding);
        cost.majority_writes += u32::from(
            op.is_write() && op.write_level(consistency) == WriteLevel::MajorityJournaled,
        );
        cost.clock_reads += u32::from(matches!(op, Op::ServerTime));
        cost.claim_ops += u32::from(op.on_claims());
        // Operations sent together overlap: a round trip takes as long as its slowest.
        let latency = modelled_us(&op, consistency);
        if outstanding {
            cost.modelled_us += latency.saturating_sub(cost.round_us);
            cost.round_us = cost.round_us.max(latency);
        } else {
            cost.modelled_us += latency;
            cost.round_us = latency;
        }
        let speed = match self.rng.random_range(0..10) {
            0 => 1,
            1 | 2 => 3,
            _ => 10,
        };
        let id = self.next;
        self.next += 1;
        self.requests.insert(
            id,
            Request {
                task,
                op,
                consistency,
                phase: Phase::Sent,
                waker: None,
                speed,
            },
        );
        id
    }

    /// The answer to request `id` once it arrived; otherwise `waker` is woken when it does.
    pub(super) fn receive(&mut self, id: u64, waker: &Waker) -> Option<Result<Reply, String>> {
        let request = self.requests.get_mut(&id)?;
        if matches!(request.phase, Phase::Delivered(_)) {
            let Some(Request {
                phase: Phase::Delivered(answer),
                ..
            }) = self.requests.remove(&id)
            else {
                unreachable!("just matched")
            };
            return Some(answer);
        }
        request.waker = Some(waker.clone());
        None
    }

    /// Forgets the requests of a crashed task that no server will ever see answered to it;
    /// those still on the wire are executed all the same.
    pub(super) fn crash(&mut self, task: usize) {
        self.crashes += 1;
        self.faulted = true;
        self.history.push(Event::Crash { task });
        for r in self.requests.values_mut().filter(|r| r.task == task) {
            r.waker = None;
        }
    }

    /// Whether a fault struck that may leave a unit stranded at rest: one a client saw (an
    /// error, a crash), or an election that rolled back a write the primary alone had
    /// acknowledged (its client was told it stands).
    pub(super) fn any_fault(&self) -> bool {
        self.faulted
            || self
                .acknowledged_alone
                .iter()
                .any(|at| self.rs.committed(*at).is_none())
    }

    /// Whether a request of anyone is still travelling.
    pub(super) fn in_flight(&self) -> bool {
        self.requests
            .values()
            .any(|r| !matches!(r.phase, Phase::Delivered(_)))
    }

    /// Releases the write-concern waits that can be decided now.
    fn release(&mut self) {
        let term = self.rs.term;
        for r in self.requests.values_mut() {
            if let Phase::Waiting(at, reply) = &r.phase {
                let answer = if at.term != term && self.rs.committed(*at) != Some(true) {
                    // MongoDB interrupts write-concern waits when the primary steps down.
                    Some(Err("the primary stepped down: outcome unknown".to_owned()))
                } else {
                    match self.rs.committed(*at) {
                        Some(true) => Some(Ok(reply.clone())),
                        Some(false) => None,
                        None => Some(Err("the write was rolled back: outcome unknown".to_owned())),
                    }
                };
                if let Some(answer) = answer {
                    r.phase = Phase::Answered(answer);
                }
            }
        }
    }

    /// Every decision possible now, each with its weight.
    pub(super) fn actions(&self, crashable: &[usize]) -> Vec<(Action, u32)> {
        let mut all = Vec::new();
        for (id, r) in &self.requests {
            match r.phase {
                Phase::Sent => all.push((Action::Execute(*id), r.speed)),
                Phase::Answered(_) => all.push((Action::Answer(*id), r.speed)),
                _ => {}
            }
        }
        for n in self.rs.lagging() {
            all.push((Action::Replicate(n), self.faults.replication));
        }
        if self.rs.elections < self.faults.elections {
            all.push((Action::Elect, 1));
        }
        if self.crashes < self.faults.crashes {
            all.extend(crashable.iter().map(|&t| (Action::Crash(t), 1)));
        }
        all.push((Action::Tick, 3));
        all
    }

    /// Picks one of `actions` by weight with the seeded source.
    pub(super) fn pick(&mut self, actions: &[(Action, u32)]) -> Action {
        let total: u32 = actions.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (action, weight) in actions {
            if roll < *weight {
                return *action;
            }
            roll -= weight;
        }
        unreachable!("the roll is below the total weight")
    }

    /// Takes a decision other than time passing or a crash (the conductor does those).
    pub(super) fn act(&mut self, action: Action) {
        match action {
            Action::Execute(id) => self.execute(id),
            Action::Answer(id) => self.answer(id),
            Action::Replicate(n) => {
                self.rs.replicate(n);
            }
            Action::Elect => {
                let r = self.rng.random_range(0..NODES);
                self.rs.elect(|n| r % n);
            }
            Action::Crash(_) | Action::Tick => {}
        }
        self.release();
        if let Some(id) = &self.watch
            && self.monitor.is_empty()
            && let Some(found) = super::check::i1(self.rs.majority(), id)
        {
            let at = self.history.len();
            self.monitor
                .push(format!("{found} in the committed data at {at}"));
        }
    }

    fn answer(&mut self, id: u64) {
        let lose = self.rng.random_bool(self.faults.lose_answer);
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        let Phase::Answered(answer) = std::mem::replace(&mut r.phase, Phase::Sent) else {
            unreachable!("only answered requests are delivered")
        };
        let answer = if lose && answer.is_ok() {
            self.faulted = true;
            Err("the answer was lost: outcome unknown".to_owned())
        } else {
            answer
        };
        if answer.is_err() {
            self.faulted = true;
        }
        r.phase = Phase::Delivered(answer);
        match r.waker.take() {
            Some(waker) => waker.wake(),
            // Nobody waits any more (a crashed task): forget it.
            None => {
                self.requests.remove(&id);
            }
        }
    }

    fn execute(&mut self, id: u64) {
        let lose = self.rng.random_bool(self.faults.lose_request);
        let pick = self.rng.random_range(0..NODES);
        let now = self.now();
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        if lose {
            r.phase = Phase::Answered(Err("the request was lost".to_owned()));
            return;
        }
        let Some(primary) = self.rs.primary else {
            r.phase = Phase::Answered(Err("no primary".to_owned()));
            return;
        };
        let c = r.consistency;
        if !r.op.is_write() {
            let node = match c.read_from {
                ReadFrom::Primary => primary,
                ReadFrom::Secondary => {
                    let s = self.rs.secondaries();
                    s[pick % s.len()]
                }
            };
            let data = match c.read_level {
                ReadLevel::Local => &self.rs.nodes[node].data,
                ReadLevel::Majority => &self.rs.nodes[node].committed,
            };
            let clock = self.rs.clock(primary, now);
            r.phase = Phase::Answered(Ok(read(data, &r.op, clock)));
            return;
        }
        let (reply, effects) = write(&self.rs.nodes[primary].data, &r.op);
        let wrote = !effects.is_empty();
        let at = self.rs.write(primary, effects);
        r.phase = match r.op.write_level(c) {
            WriteLevel::MajorityJournaled => Phase::Waiting(at, reply),
            WriteLevel::Primary => {
                if wrote {
                    self.acknowledged_alone.push(at);
                }
                Phase::Answered(Ok(reply))
            }
        };
    }

    /// `action` in words, for the step log.
    pub(super) fn describe(&self, action: Action) -> String {
        let op = |id: &u64| {
            self.requests.get(id).map_or_else(String::new, |r| {
                let name = format!("{:?}", r.op);
                let name = name.split(['(', ' ']).next().unwrap_or_default().to_owned();
                format!("{name} of task {}", r.task)
            })
        };
        match action {
            Action::Execute(id) => format!("execute {}", op(&id)),
            Action::Answer(id) => format!("answer {}", op(&id)),
            other => format!("{other:?}"),
        }
    }
}

fn read(data: &Data, op: &Op, clock: bson::DateTime) -> Reply {
    match op {
        Op::FindCampaign(id) => Reply::Campaign(data.campaigns.get(id).cloned()),
        Op::FindClaim(c, u) => Reply::Claim(data.claims.get(&(c.clone(), u.clone())).cloned()),
        Op::CountClaims(c, status) => Reply::Count(
            i64::try_from(
                data.claims
                    .values()
                    .filter(|d| {
                        &d.campaign_id == c && status.map_or_else(|| may_hold(d), |s| d.status == s)
                    })
                    .count(),
            )
            .unwrap_or(i64::MAX),
        ),
        Op::FindClaimByToken(c, token) => Reply::Claim(
            data.claims
                .values()
                .find(|d| &d.campaign_id == c && &d.token == token && d.status != Status::Reserving)
                .cloned(),
        ),
        Op::Returning(c) => Reply::Claims(
            data.claims
                .values()
                .filter(|d| &d.campaign_id == c && d.returning)
                .cloned()
                .collect(),
        ),
        Op::Due(c, now) => Reply::Claims(
            data.claims
                .values()
                .filter(|d| {
                    &d.campaign_id == c
                        && d.status == Status::Claimed
                        && d.expires_at.is_some_and(|at| at < *now)
                })
                .cloned()
                .collect(),
        ),
        Op::Tally(c, width) => {
            let mut tally = SaleTally::new(*width);
            for doc in data.claims.values().filter(|d| &d.campaign_id == c) {
                TallyRow::from(doc).add_to(&mut tally);
            }
            Reply::Tally(tally.finish())
        }
        Op::ClaimsPage(c, status, after, limit) => Reply::Claims(
            data.claims
                .values()
                .filter(|d| {
                    &d.campaign_id == c
                        && status.map_or(d.status != Status::Reserving, |s| d.status == s)
                        && after.as_ref().is_none_or(|a| d.user_id > *a)
                })
                .take(*limit)
                .cloned()
                .collect(),
        ),
        Op::Pending(c) => {
            let mut all = Vec::new();
            for doc in data.campaigns.values() {
                if c.as_ref().is_none_or(|c| *c == doc.id) {
                    let source = Source::Campaign(doc.id.clone());
                    all.extend(doc.pending.iter().map(|e| (source.clone(), e.clone())));
                }
            }
            for doc in data.claims.values() {
                if c.as_ref().is_none_or(|c| *c == doc.campaign_id) {
                    let source = Source::Claim(doc.campaign_id.clone(), doc.user_id.clone());
                    all.extend(doc.pending.iter().map(|e| (source.clone(), e.clone())));
                }
            }
            Reply::Pending(all)
        }
        Op::Events(f) => {
            let mut all: Vec<EventDoc> = data
                .events
                .values()
                .filter(|e| {
                    e.seq > f.after_seq
                        && f.campaign.as_ref().is_none_or(|c| *c == e.campaign_id)
                        && f.since.is_none_or(|at| e.at >= at)
                })
                .cloned()
                .collect();
            all.sort_by_key(|e| e.seq);
            all.truncate(usize::try_from(f.limit).unwrap_or(usize::MAX));
            Reply::Events(all)
        }
        Op::NextSeq => Reply::Count(data.events.keys().next_back().map_or(1, |seq| seq + 1)),
        Op::ListCampaignsEndingFrom(since) => {
            let mut all: Vec<CampaignDoc> = data
                .campaigns
                .values()
                .filter(|d| d.ends_at >= *since)
                .cloned()
                .collect();
            all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Reply::Campaigns(all)
        }
        Op::ListCampaigns => {
            let mut all: Vec<CampaignDoc> = data.campaigns.values().cloned().collect();
            all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            Reply::Campaigns(all)
        }
        Op::ClaimedPairs(c) => Reply::Pairs(
            data.claims
                .values()
                .filter(|d| &d.campaign_id == c && holding(d))
                .map(|d| (d.user_id.clone(), d.token.clone()))
                .collect(),
        ),
        Op::ServerTime => Reply::Time(clock),
        _ => unreachable!("not a read: {op:?}"),
    }
}

fn live(doc: &CampaignDoc, now: bson::DateTime) -> bool {
    !doc.ended && !doc.paused && doc.starts_at <= now && doc.ends_at >= now && doc.remaining > 0
}

/// A write's answer and its effects, as one single-document operation on the primary.
fn write(data: &Data, op: &Op) -> (Reply, Vec<Effect>) {
    let campaign = |id: &str| data.campaigns.get(id).cloned();
    let reserving = |c: &str, u: &str, token: &str| {
        data.claims
            .get(&(c.to_owned(), u.to_owned()))
            .filter(|d| d.token == token && d.status == Status::Reserving)
            .cloned()
    };
    match op {
        Op::ReserveUnit(id, now) => match campaign(id).filter(|d| live(d, *now)) {
            Some(mut doc) => {
                doc.remaining -= 1;
                inc_held(&mut doc, 1);
                (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::SetRemaining(id, seen, remaining, event) => match campaign(id).filter(|d| {
            d.remaining == seen.remaining && d.total == seen.total && d.epoch == seen.epoch
        }) {
            Some(mut doc) => {
                doc.remaining = *remaining;
                doc.held = Some(seen.total - remaining);
                doc.epoch += 1;
                doc.pending.extend(event.clone());
                (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::StoreHeld(id, seen) => match campaign(id).filter(|d| {
            d.held.is_none()
                && d.remaining == seen.remaining
                && d.total == seen.total
                && d.epoch == seen.epoch
        }) {
            Some(mut doc) => {
                doc.held = Some(seen.total - seen.remaining);
                (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::InsertClaim(doc) => {
            let key = (doc.campaign_id.clone(), doc.user_id.clone());
            if data.claims.contains_key(&key) || data.claim_by_token(&doc.token).is_some() {
                (Reply::Inserted(Inserted::Duplicate), vec![])
            } else {
                (
                    Reply::Inserted(Inserted::Yes),
                    vec![Effect::PutClaim(doc.clone())],
                )
            }
        }
        Op::ConfirmClaim(c, u, token) => match reserving(c, u, token) {
            Some(mut doc) => {
                doc.status = Status::Claimed;
                (Reply::Matched(true), vec![Effect::PutClaim(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::DeleteReserving(c, u, token) => match reserving(c, u, token) {
            Some(doc) => (
                Reply::Matched(true),
                vec![Effect::DelClaim((doc.campaign_id, doc.user_id))],
            ),
            None => (Reply::Matched(false), vec![]),
        },
        Op::DeleteStale(c, before) => {
            let stale: Vec<Effect> = data
                .claims
                .iter()
                .filter(|(_, d)| {
                    &d.campaign_id == c && d.status == Status::Reserving && d.created_at < *before
                })
                .map(|(key, _)| Effect::DelClaim(key.clone()))
                .collect();
            (
                Reply::Count(i64::try_from(stale.len()).unwrap_or(i64::MAX)),
                stale,
            )
        }
        Op::InsertCampaign(doc) => {
            if data.campaigns.contains_key(&doc.id) {
                (Reply::Inserted(Inserted::Duplicate), vec![])
            } else {
                (
                    Reply::Inserted(Inserted::Yes),
                    vec![Effect::PutCampaign(doc.clone())],
                )
            }
        }
        Op::EndCampaign(id, now, event) => match campaign(id).filter(|d| !d.ended) {
            Some(mut doc) => {
                doc.ended = true;
                doc.ended_at = Some(*now);
                doc.pending.push(event.clone());
                (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::AddInventory(id, units, max_total, op, event) => {
            match campaign(id).filter(|d| d.total <= *max_total && !d.ops.contains(op)) {
                Some(mut doc) => {
                    doc.total += units;
                    doc.remaining += units;
                    doc.ops.push(op.clone());
                    let keep = doc.ops.len().saturating_sub(16);
                    doc.ops.drain(..keep);
                    doc.pending.push(event.clone());
                    (
                        Reply::Campaign(Some(doc.clone())),
                        vec![Effect::PutCampaign(doc)],
                    )
                }
                None => (Reply::Campaign(None), vec![]),
            }
        }
        Op::DeleteCampaign(id) => {
            let mut effects: Vec<Effect> = data
                .claims
                .keys()
                .filter(|(c, _)| c == id)
                .map(|key| Effect::DelClaim(key.clone()))
                .collect();
            let existed = data.campaigns.contains_key(id);
            if existed {
                effects.push(Effect::DelCampaign(id.clone()));
            }
            (Reply::Matched(existed), effects)
        }
        Op::MoveClaim(before, status, after, event) => match data
            .claims
            .get(&(before.campaign_id.clone(), before.user_id.clone()))
            .filter(|d| d.token == before.token && status.is_none_or(|s| d.status == s))
        {
            Some(doc) => {
                let mut doc = doc.clone();
                doc.status = after.status;
                doc.order_id.clone_from(&after.order_id);
                doc.redeemed_cart_cents = after.redeemed_cart_cents;
                doc.redeemed_discount_cents = after.redeemed_discount_cents;
                doc.redeemed_at = after.redeemed_at;
                doc.voided_at = after.voided_at;
                doc.void_reason.clone_from(&after.void_reason);
                doc.expired_at = after.expired_at;
                doc.returning = after.returning;
                doc.pending.push(event.clone());
                (Reply::Matched(true), vec![Effect::PutClaim(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::ReturnUnit(id, token, keep_held) => {
            match campaign(id).filter(|d| !d.returns.contains(token)) {
                Some(mut doc) => {
                    doc.remaining += 1;
                    if !keep_held {
                        inc_held(&mut doc, -1);
                    }
                    doc.epoch += 1;
                    doc.returns.push(token.clone());
                    let keep = doc.returns.len().saturating_sub(256);
                    doc.returns.drain(..keep);
                    (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
                }
                None => (Reply::Matched(false), vec![]),
            }
        }
        Op::Returned(c, u, token) => match data
            .claims
            .get(&(c.clone(), u.clone()))
            .filter(|d| d.token == *token)
        {
            Some(doc) => {
                let mut doc = doc.clone();
                doc.returning = false;
                (Reply::Matched(true), vec![Effect::PutClaim(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::Reschedule(id, seen, to, event) => match campaign(id)
            .filter(|d| !d.ended && d.paused == seen.paused && d.ends_at == seen.ends_at)
        {
            Some(mut doc) => {
                doc.paused = to.paused;
                doc.ends_at = to.ends_at;
                doc.pending.push(event.clone());
                (Reply::Matched(true), vec![Effect::PutCampaign(doc)])
            }
            None => (Reply::Matched(false), vec![]),
        },
        Op::RemoveInventory(id, units, op, event) => match campaign(id)
            .filter(|d| d.remaining >= *units && d.total > *units && !d.ops.contains(op))
        {
            Some(mut doc) => {
                doc.total -= units;
                doc.remaining -= units;
                doc.ops.push(op.clone());
                let keep = doc.ops.len().saturating_sub(16);
                doc.ops.drain(..keep);
                doc.pending.push(event.clone());
                (
                    Reply::Campaign(Some(doc.clone())),
                    vec![Effect::PutCampaign(doc)],
                )
            }
            None => (Reply::Campaign(None), vec![]),
        },
        Op::InsertEvent(doc) => {
            if data.events.values().any(|e| e.entry == doc.entry) {
                (Reply::Appended(Appended::AlreadyCopied), vec![])
            } else if data.events.contains_key(&doc.seq) {
                (Reply::Appended(Appended::PositionTaken), vec![])
            } else {
                (
                    Reply::Appended(Appended::Yes),
                    vec![Effect::PutEvent(doc.clone())],
                )
            }
        }
        Op::Unpend(source, id) => {
            let effect = match source {
                Source::Campaign(c) => campaign(c).map(|mut doc| {
                    doc.pending.retain(|e| e.id != *id);
                    Effect::PutCampaign(doc)
                }),
                Source::Claim(c, u) => data.claims.get(&(c.clone(), u.clone())).map(|doc| {
                    let mut doc = doc.clone();
                    doc.pending.retain(|e| e.id != *id);
                    Effect::PutClaim(doc)
                }),
            };
            (
                Reply::Matched(effect.is_some()),
                effect.into_iter().collect(),
            )
        }
        _ => unreachable!("not a write: {op:?}"),
    }
}
