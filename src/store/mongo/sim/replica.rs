//! A three-node replica set: one oplog per node, replication one entry at a time, a majority
//! commit point, elections and the rollback of what a deposed primary wrote alone.
//!
//! Modelled on the Raft rules `MongoDB`'s replication protocol follows: an entry is committed
//! once a majority holds it and it belongs to the current primary's term (older entries are
//! committed with it); a node is elected only if its oplog is at least as new (last term, then
//! length) as a majority's, so it holds every committed entry; a node whose oplog diverges from
//! the new primary's truncates it back to the common prefix (the rollback), which never reaches
//! a committed entry (asserted: that would be a bug of the simulation, not of the store).
//!
//! One simplification: a newly elected primary starts from the highest commit point any node
//! knew, as if it had learnt it in the election, so majority reads never go back in time across
//! a failover.

use std::collections::BTreeMap;

use mongodb::bson;

use super::super::docs::{CampaignDoc, ClaimDoc, EventDoc};

/// The nodes of the set.
pub(super) const NODES: usize = 3;
const MAJORITY: usize = NODES / 2 + 1;

/// Both collections as one node holds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Data {
    pub campaigns: BTreeMap<String, CampaignDoc>,
    /// Keyed by the unique index (`campaign_id`, `user_id`), which also makes every scan
    /// deterministic (a token is random).
    pub claims: BTreeMap<(String, String), ClaimDoc>,
    /// The events log, by `_id` (the position).
    pub events: BTreeMap<i64, EventDoc>,
}

impl Data {
    fn apply(&mut self, effect: &Effect) {
        match effect {
            Effect::PutCampaign(doc) => {
                self.campaigns.insert(doc.id.clone(), doc.clone());
            }
            Effect::DelCampaign(id) => {
                self.campaigns.remove(id);
            }
            Effect::PutClaim(doc) => {
                self.claims
                    .insert((doc.campaign_id.clone(), doc.user_id.clone()), doc.clone());
            }
            Effect::DelClaim(key) => {
                self.claims.remove(key);
            }
            Effect::PutEvent(doc) => {
                self.events.insert(doc.seq, doc.clone());
            }
            Effect::Noop => {}
        }
    }

    /// The claim holding `token`, if any (the unique index on `token`).
    pub(super) fn claim_by_token(&self, token: &str) -> Option<&ClaimDoc> {
        self.claims.values().find(|d| d.token == token)
    }
}

/// What one oplog entry does: whole documents, so applying an entry twice is harmless.
#[derive(Clone, Debug)]
pub(super) enum Effect {
    PutCampaign(CampaignDoc),
    DelCampaign(String),
    PutClaim(ClaimDoc),
    DelClaim((String, String)),
    PutEvent(EventDoc),
    /// What a new primary writes first, so that entries of older terms can commit.
    Noop,
}

#[derive(Clone, Debug)]
struct Entry {
    term: u64,
    effect: Effect,
}

/// One node: its oplog, the data it gives, and what it knows to be majority-committed.
#[derive(Clone, Debug, Default)]
pub(super) struct Node {
    oplog: Vec<Entry>,
    /// The oplog applied: what a `local` read sees.
    pub data: Data,
    /// How much of the oplog this node knows to be committed.
    commit: usize,
    /// The oplog up to `commit` applied: what a `majority` read sees.
    pub committed: Data,
    /// This node's clock minus true time, in milliseconds.
    pub skew_ms: i64,
}

impl Node {
    fn last(&self) -> (u64, usize) {
        (self.oplog.last().map_or(0, |e| e.term), self.oplog.len())
    }

    fn term_at(&self, index: usize) -> Option<u64> {
        index
            .checked_sub(1)
            .and_then(|i| self.oplog.get(i))
            .map(|e| e.term)
    }

    fn learn_commit(&mut self, commit: usize) {
        let commit = commit.min(self.oplog.len());
        while self.commit < commit {
            self.committed.apply(&self.oplog[self.commit].effect);
            self.commit += 1;
        }
    }
}

/// Where a write landed, for its write concern to wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OpTime {
    pub term: u64,
    pub index: usize,
}

/// The replica set.
#[derive(Debug)]
pub(super) struct ReplicaSet {
    pub nodes: [Node; NODES],
    pub primary: Option<usize>,
    pub term: u64,
    /// Entries rolled back so far (for the report).
    pub rolled_back: usize,
    pub elections: usize,
}

impl ReplicaSet {
    pub(super) fn new(skews_ms: [i64; NODES]) -> Self {
        let mut nodes: [Node; NODES] = Default::default();
        for (node, skew) in nodes.iter_mut().zip(skews_ms) {
            node.skew_ms = skew;
        }
        ReplicaSet {
            nodes,
            primary: Some(0),
            term: 1,
            rolled_back: 0,
            elections: 0,
        }
    }

    /// The secondaries, in order.
    pub(super) fn secondaries(&self) -> Vec<usize> {
        (0..NODES).filter(|n| Some(*n) != self.primary).collect()
    }

    /// Applies `effects` on the primary as one oplog entry each; returns where the last landed
    /// (or the primary's last entry when nothing was written: a write concern then waits for
    /// what the primary had).
    pub(super) fn write(&mut self, primary: usize, effects: Vec<Effect>) -> OpTime {
        let term = self.term;
        let node = &mut self.nodes[primary];
        for effect in effects {
            node.data.apply(&effect);
            node.oplog.push(Entry { term, effect });
        }
        self.advance_commit();
        let node = &self.nodes[primary];
        OpTime {
            term: node.term_at(node.oplog.len()).unwrap_or(0),
            index: node.oplog.len(),
        }
    }

    /// Puts `effects` on every node as data committed before the run began, without oplog
    /// entries: a large starting state (many claims) without replicating it entry by entry.
    pub(super) fn preload(&mut self, effects: &[Effect]) {
        for node in &mut self.nodes {
            for effect in effects {
                node.data.apply(effect);
                node.committed.apply(effect);
            }
        }
    }

    /// Whether a write at `at` is majority-committed on the current primary's oplog, `false`
    /// while it is not yet, `None` when it never will be (rolled back or overwritten).
    pub(super) fn committed(&self, at: OpTime) -> Option<bool> {
        if at.index == 0 {
            return Some(true);
        }
        let primary = &self.nodes[self.primary?];
        match primary.term_at(at.index) {
            Some(term) if term == at.term => Some(primary.commit >= at.index),
            _ => None,
        }
    }

    fn matches(&self, node: usize, primary: usize, index: usize) -> bool {
        index == 0 || {
            let t = self.nodes[node].term_at(index);
            t.is_some() && t == self.nodes[primary].term_at(index)
        }
    }

    fn advance_commit(&mut self) {
        let Some(p) = self.primary else { return };
        let len = self.nodes[p].oplog.len();
        let mut commit = self.nodes[p].commit;
        for index in (commit + 1..=len).rev() {
            let holders = (0..NODES).filter(|&n| self.matches(n, p, index)).count();
            if holders >= MAJORITY && self.nodes[p].term_at(index) == Some(self.term) {
                commit = index;
                break;
            }
        }
        self.nodes[p].learn_commit(commit);
    }

    /// One replication step of secondary `node` from the primary: roll back a divergent
    /// suffix, or copy the next entry; then learn the commit point. `false` when there was
    /// nothing to do.
    pub(super) fn replicate(&mut self, node: usize) -> bool {
        let Some(p) = self.primary else { return false };
        if p == node {
            return false;
        }
        let (mine, theirs) = (self.nodes[node].oplog.len(), self.nodes[p].oplog.len());
        let common = (0..=mine.min(theirs))
            .rev()
            .find(|&i| self.matches(node, p, i))
            .unwrap_or(0);
        let did = if common < mine {
            let n = &mut self.nodes[node];
            assert!(
                common >= n.commit,
                "simulation bug: a committed entry would be rolled back"
            );
            self.rolled_back += mine - common;
            n.oplog.truncate(common);
            n.data = n.committed.clone();
            for e in &n.oplog[n.commit..] {
                n.data.apply(&e.effect);
            }
            true
        } else if mine < theirs {
            let entry = self.nodes[p].oplog[mine].clone();
            let n = &mut self.nodes[node];
            n.data.apply(&entry.effect);
            n.oplog.push(entry);
            true
        } else {
            false
        };
        let commit = self.nodes[p].commit;
        let learnt = commit.min(self.nodes[node].oplog.len()) > self.nodes[node].commit;
        self.nodes[node].learn_commit(commit);
        self.advance_commit();
        did || learnt
    }

    /// The secondaries that lag, diverge, or have yet to learn the commit point.
    pub(super) fn lagging(&self) -> Vec<usize> {
        let Some(p) = self.primary else {
            return Vec::new();
        };
        let primary = &self.nodes[p];
        self.secondaries()
            .into_iter()
            .filter(|&n| {
                let node = &self.nodes[n];
                node.oplog.len() != primary.oplog.len()
                    || !self.matches(n, p, node.oplog.len())
                    || node.commit < primary.commit
            })
            .collect()
    }

    /// The primary steps down and one of the nodes whose oplog is as new as a majority's is
    /// elected (`pick` chooses among them); the new primary writes a no-op in its term.
    pub(super) fn elect(&mut self, pick: impl FnOnce(usize) -> usize) {
        let old = self.primary;
        let eligible: Vec<usize> = (0..NODES)
            .filter(|&c| Some(c) != old)
            .filter(|&c| {
                let votes = (0..NODES)
                    .filter(|&v| self.nodes[c].last() >= self.nodes[v].last())
                    .count();
                votes >= MAJORITY
            })
            .collect();
        assert!(
            !eligible.is_empty(),
            "simulation bug: no node can be elected"
        );
        let new = eligible[pick(eligible.len())];
        let known = self.nodes.iter().map(|n| n.commit).max().unwrap_or(0);
        assert!(
            self.nodes[new].oplog.len() >= known,
            "simulation bug: the elected node lacks committed entries"
        );
        self.term += 1;
        self.elections += 1;
        self.primary = Some(new);
        self.nodes[new].learn_commit(known);
        self.write(new, vec![Effect::Noop]);
    }

    /// Replicates everything everywhere (the partitions heal, the lag drains).
    pub(super) fn settle(&mut self) {
        while let Some(n) = self.lagging().first().copied() {
            self.replicate(n);
        }
    }

    /// The majority-committed data, as a majority read on the primary gives it.
    pub(super) fn majority(&self) -> &Data {
        &self.nodes[self.primary.unwrap_or(0)].committed
    }

    /// A node's clock at true time `now`.
    pub(super) fn clock(&self, node: usize, now: bson::DateTime) -> bson::DateTime {
        bson::DateTime::from_millis(now.timestamp_millis() + self.nodes[node].skew_ms)
    }
}
