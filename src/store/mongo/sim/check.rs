//! The checker: the invariants over the history (every request and its answer, in real-time
//! order) and over the majority-committed data at rest.

use std::collections::BTreeMap;

use super::super::docs::Status;
use super::replica::Data;
use super::world::{Ans, Event, Held, Req, World};

/// The majority-committed state of the campaign at rest.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Rest {
    pub total: i64,
    pub remaining: i64,
    pub ended: bool,
    /// The `claimed` documents, by user id.
    pub claimed: BTreeMap<String, Held>,
    /// `reserving` documents left behind.
    pub reserving: usize,
    pub distinct_tokens: usize,
}

impl Rest {
    fn claims(&self) -> i64 {
        i64::try_from(self.claimed.len()).unwrap_or(i64::MAX)
    }
}

/// The campaign `id` as a majority read sees it now.
pub(super) fn rest(world: &mut World, id: &str) -> Rest {
    let data: Data = world.rs.majority().clone();
    let campaign = data.campaigns.get(id);
    let mut claimed = BTreeMap::new();
    let mut tokens = std::collections::BTreeSet::new();
    let mut reserving = 0;
    for doc in data.claims.values().filter(|d| d.campaign_id == id) {
        tokens.insert(doc.token.clone());
        match doc.status {
            Status::Claimed | Status::Redeemed => {
                let held = Held {
                    token: world.token(&doc.token),
                    discount: doc.discount_cents,
                    cart: doc.cart_cents,
                    claimed_at: doc.claimed_at.timestamp_millis(),
                };
                claimed.insert(doc.user_id.clone(), held);
            }
            Status::Reserving => reserving += 1,
            Status::Voided | Status::Expired => {}
        }
    }
    Rest {
        total: campaign.map_or(0, |c| c.total),
        remaining: campaign.map_or(0, |c| c.remaining),
        ended: campaign.is_some_and(|c| c.ended),
        claimed,
        reserving,
        distinct_tokens: tokens.len(),
    }
}

/// I1 on any committed state: no more claims than units, never a negative counter.
pub(super) fn i1(data: &Data, id: &str) -> Option<String> {
    let campaign = data.campaigns.get(id)?;
    let claimed = i64::try_from(
        data.claims
            .values()
            .filter(|d| d.campaign_id == id && d.status == Status::Claimed)
            .count(),
    )
    .unwrap_or(i64::MAX);
    (claimed + campaign.remaining > campaign.total || campaign.remaining < 0).then(|| {
        format!(
            "I1 (oversell): {claimed} claims + {} remaining > {} total",
            campaign.remaining, campaign.total
        )
    })
}

/// The invariants at rest; `exact` when nothing could have stranded a unit (no client saw an
/// error and none crashed), or right after a reconcile repaired it.
pub(super) fn at_rest(rest: &Rest, exact: bool, when: &str) -> Vec<String> {
    let mut found = Vec::new();
    let claims = rest.claims();
    if claims + rest.remaining > rest.total || rest.remaining < 0 {
        found.push(format!(
            "I1 (oversell) {when}: {claims} claims + {} remaining > {} total",
            rest.remaining, rest.total
        ));
    }
    if rest.distinct_tokens != rest.claimed.len() + rest.reserving {
        found.push(format!("I2 {when}: two claim documents share a token"));
    }
    if exact && rest.remaining != rest.total - claims {
        found.push(format!(
            "I3 (conservation) {when}: remaining {} != total {} - claims {claims}",
            rest.remaining, rest.total
        ));
    }
    if exact && rest.reserving != 0 {
        found.push(format!(
            "I6 {when}: {} reservation(s) left behind with no fault to explain them",
            rest.reserving
        ));
    }
    found
}

/// One request and its answer; times are indices in the history.
struct Call<'a> {
    req: &'a Req,
    start: usize,
    end: Option<(usize, &'a Ans)>,
}

fn calls(history: &[Event]) -> Vec<Call<'_>> {
    let mut open: BTreeMap<usize, usize> = BTreeMap::new();
    let mut calls: Vec<Call<'_>> = Vec::new();
    for (at, event) in history.iter().enumerate() {
        match event {
            Event::Start { task, req } => {
                open.insert(*task, calls.len());
                calls.push(Call {
                    req,
                    start: at,
                    end: None,
                });
            }
            Event::End { task, ans } => {
                if let Some(i) = open.remove(task) {
                    calls[i].end = Some((at, ans));
                }
            }
            Event::Crash { task } => {
                open.remove(task);
            }
            Event::Step(_) => {}
        }
    }
    calls
}

/// The invariants over the history, against the state at rest.
pub(super) fn history(history: &[Event], rest: &Rest) -> Vec<String> {
    let mut found = Vec::new();
    let calls = calls(history);
    let operator = |c: &Call<'_>| matches!(c.req, Req::Restock(_) | Req::Reconcile { .. });
    let overlaps_operator = |start: usize, end: usize| {
        calls
            .iter()
            .filter(|c| operator(c))
            .any(|c| c.start < end && c.end.is_none_or(|(e, _)| e > start))
    };
    let mut by_user: BTreeMap<usize, Vec<&Call<'_>>> = BTreeMap::new();
    for call in &calls {
        if let Req::Claim { user, .. } = call.req {
            by_user.entry(*user).or_default().push(call);
        }
    }
    for (user, calls) in &by_user {
        let name = format!("user-{user}");
        let mut first: Option<&Held> = None;
        let mut granted = 0;
        for call in calls {
            let Some((end, ans)) = call.end else { continue };
            let held = match ans {
                Ans::Claimed(h) => {
                    granted += 1;
                    h
                }
                Ans::Replayed(h) => h,
                Ans::Refused(kind) => {
                    let holding = calls.iter().find_map(|c| match c.end {
                        Some((e, Ans::Claimed(_) | Ans::Replayed(_))) if e < end => Some(e),
                        _ => None,
                    });
                    if let Some(acked) = holding
                        && !overlaps_operator(call.start, end)
                    {
                        found.push(format!(
                            "I4 (refused while holding a claim): {name} was answered {kind} at \
                             {end} after a claim of theirs was acknowledged at {acked}"
                        ));
                    }
                    continue;
                }
                Ans::Failed(_) | Ans::Done => continue,
            };
            match first {
                None => first = Some(held),
                Some(f) if f != held => found.push(format!(
                    "I4 (replay): {name} was answered two different claims: {f:?} and {held:?}"
                )),
                Some(_) => {}
            }
            if rest.claimed.get(&name) != Some(held) {
                found.push(format!(
                    "I4 (durability): {name} was answered {held:?} (at {end}), but at rest holds \
                     {:?}",
                    rest.claimed.get(&name)
                ));
            }
        }
        if granted > 1 {
            found.push(format!("I2: {name} was granted {granted} claims"));
        }
    }
    // I5: a sold-out answer after the last restock or reconcile means no unit is left at rest.
    let last_sold_out = calls
        .iter()
        .filter(|c| matches!(c.req, Req::Claim { eligible: true, .. }))
        .filter_map(|c| c.end.filter(|(_, a)| **a == Ans::Refused("sold_out")))
        .map(|(at, _)| at)
        .max();
    if let Some(sold_out) = last_sold_out {
        let restocked_after = calls
            .iter()
            .filter(|c| operator(c))
            .any(|c| c.end.is_none_or(|(e, _)| e > sold_out));
        if !restocked_after && rest.remaining != 0 {
            found.push(format!(
                "I5 (undersell): answered sold out at {sold_out}, yet {} unit(s) remain at rest",
                rest.remaining
            ));
        }
    }
    found
}
