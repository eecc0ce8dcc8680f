//! The checker: the invariants over the history (every request and its answer, in real-time
//! order) and over the majority-committed data at rest.

use std::collections::BTreeMap;

use super::super::docs::{CampaignDoc, Status, holding};
use super::replica::Data;
use super::world::{Ans, Event, Held, Req, World};

/// The majority-committed state of the campaign at rest.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Rest {
    pub total: i64,
    pub remaining: i64,
    /// The campaign's held count, as a campaign read reports it (derived where not stored).
    pub held: i64,
    pub ended: bool,
    /// The claims (any status but `reserving`), by user id.
    pub claimed: BTreeMap<String, Held>,
    /// Each claim's status and order, by user id.
    pub status: BTreeMap<String, (Status, Option<String>)>,
    /// The claims holding a unit (`claimed`, `redeemed`).
    pub holding: i64,
    /// Voided or expired claims whose unit is not back yet.
    pub returning: usize,
    /// `reserving` documents left behind.
    pub reserving: usize,
    pub distinct_tokens: usize,
    /// Users whose claim lacks the instant of its transition (a voided one without
    /// `voided_at`, an expired one without `expired_at`) or carries one its status does not
    /// have: every claim here was made by this version, so each transition stamped it.
    pub unstamped: Vec<String>,
}

impl Rest {
    fn claims(&self) -> i64 {
        self.holding
    }
}

/// The campaign `id` as a majority read sees it now.
pub(super) fn rest(world: &mut World, id: &str) -> Rest {
    let data: Data = world.rs.majority().clone();
    let campaign = data.campaigns.get(id);
    let mut claimed = BTreeMap::new();
    let mut tokens = std::collections::BTreeSet::new();
    let mut reserving = 0;
    let mut status = BTreeMap::new();
    let (mut holding, mut returning) = (0, 0);
    let mut unstamped = Vec::new();
    for doc in data.claims.values().filter(|d| d.campaign_id == id) {
        tokens.insert(doc.token.clone());
        let stamps = (doc.voided_at.is_some(), doc.expired_at.is_some());
        let stamped = match doc.status {
            Status::Voided => stamps == (true, false),
            Status::Expired => stamps == (false, true),
            _ => stamps == (false, false) && doc.void_reason.is_none(),
        };
        if !stamped {
            unstamped.push(doc.user_id.clone());
        }
        status.insert(doc.user_id.clone(), (doc.status, doc.order_id.clone()));
        returning += usize::from(doc.returning);
        match doc.status {
            Status::Claimed | Status::Redeemed | Status::Voided | Status::Expired => {
                holding += i64::from(super::super::docs::holding(doc));
                let held = Held {
                    token: world.token(&doc.token),
                    discount: doc.discount_cents,
                    cart: doc.cart_cents,
                    claimed_at: doc.claimed_at.timestamp_millis(),
                };
                claimed.insert(doc.user_id.clone(), held);
            }
            Status::Reserving => reserving += 1,
        }
    }
    Rest {
        total: campaign.map_or(0, |c| c.total),
        remaining: campaign.map_or(0, |c| c.remaining),
        held: campaign.map_or(0, CampaignDoc::held),
        ended: campaign.is_some_and(|c| c.ended),
        claimed,
        status,
        holding,
        returning,
        reserving,
        distinct_tokens: tokens.len(),
        unstamped,
    }
}

/// I1 on any committed state: no more claims than units, never a negative counter.
pub(super) fn i1(data: &Data, id: &str) -> Option<String> {
    let campaign = data.campaigns.get(id)?;
    let claimed = i64::try_from(
        data.claims
            .values()
            .filter(|d| d.campaign_id == id && holding(d))
            .count(),
    )
    .unwrap_or(i64::MAX);
    if claimed + campaign.remaining > campaign.total || campaign.remaining < 0 {
        return Some(format!(
            "I1 (oversell): {claimed} claims + {} remaining > {} total",
            campaign.remaining, campaign.total
        ));
    }
    held(campaign.held(), campaign.remaining, campaign.total, claimed)
}

/// The campaign's held count against its counters and its claims, on any committed state:
/// every update moves it with `remaining` (so `held + remaining == total`), and a unit a claim
/// holds is always counted (so never fewer than the claims holding one; more only by the
/// units of claims in flight, stranded by a crash, or on their way back).
fn held(held: i64, remaining: i64, total: i64, claims: i64) -> Option<String> {
    if held + remaining != total {
        return Some(format!(
            "held count drift: held {held} + remaining {remaining} != total {total}"
        ));
    }
    (held < claims).then(|| format!("held count below the claims: held {held} < {claims} claims"))
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
    if let Some(drift) = held(rest.held, rest.remaining, rest.total, claims) {
        found.push(format!("{drift} {when}"));
    }
    if exact && rest.held != claims {
        found.push(format!(
            "held count {when}: the campaign reports {} held, {claims} claims hold a unit",
            rest.held
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
    // The operator's actions that can give units back (a void and an expiry return one).
    let operator = |c: &Call<'_>| {
        matches!(
            c.req,
            Req::Restock(_) | Req::Reconcile { .. } | Req::Void { .. } | Req::Expire
        )
    };
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
                Ans::Failed(_)
                | Ans::Done
                | Ans::Moved(_)
                | Ans::Same(_)
                | Ans::Swept(_)
                | Ans::Events(_) => continue,
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

/// The lifecycle's invariants over the history, the state at rest and the events log
/// (`events`: (user of a claim event, action), in order):
/// - I7: a claim's status moves at most once: at most one transition answered as carried out
///   per user, and it names the status at rest;
/// - a redeem replays only for the order it was redeemed for, and no other order is answered
///   as redeemed;
/// - I10: every change has exactly one event and nothing else has one: per user, one claim
///   event naming its status at rest if it left `claimed`, none otherwise; the sweeps' counts
///   add up to the expired claims when none of them failed;
/// - I7's stamps: a voided claim at rest has `voided_at`, an expired one `expired_at`, and no
///   other claim has either (nor a void's reason).
///
/// I8 and I9 (only `claimed` and `redeemed` hold a unit, a void or an expiry returns exactly
/// one) are the conservation checks at rest ([`at_rest`]) and the oversell monitor ([`i1`]).
pub(super) fn lifecycle(
    history: &[Event],
    rest: &Rest,
    events: &[(String, String)],
    faulted: bool,
) -> Vec<String> {
    let mut found = Vec::new();
    let calls = calls(history);
    let status_name = |s: Status| match s {
        Status::Reserving => "reserving",
        Status::Claimed => "claimed",
        Status::Redeemed => "redeemed",
        Status::Voided => "voided",
        Status::Expired => "expired",
    };
    let mut moved: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    let (mut swept, mut sweep_failed) = (0, false);
    for call in &calls {
        let Some((at, ans)) = call.end else {
            sweep_failed |= matches!(call.req, Req::Expire);
            continue;
        };
        match (call.req, ans) {
            (Req::Redeem { user, .. } | Req::Void { user }, Ans::Moved(to)) => {
                moved.entry(format!("user-{user}")).or_default().push(to);
            }
            (Req::Expire, Ans::Swept(n)) => swept += n,
            (Req::Expire, _) => sweep_failed = true,
            _ => {}
        }
        if let (Req::Redeem { user, order }, Ans::Moved(_) | Ans::Same(_)) = (call.req, ans) {
            let name = format!("user-{user}");
            let want = format!("order-{order}");
            match rest.status.get(&name) {
                Some((Status::Redeemed, Some(got))) if *got == want => {}
                other => found.push(format!(
                    "redeem: {name}'s redeem for {want} was answered {ans:?} at {at}, but at \
                     rest the claim is {other:?}"
                )),
            }
        }
    }
    let expired = rest
        .status
        .values()
        .filter(|(s, _)| *s == Status::Expired)
        .count();
    if !sweep_failed && !faulted && usize::try_from(swept).ok() != Some(expired) {
        found.push(format!(
            "I10: the sweeps answered {swept} expired, {expired} claims are expired at rest"
        ));
    }
    for (name, tos) in &moved {
        let at_rest = rest.status.get(name).map(|(s, _)| status_name(*s));
        if tos.len() > 1 {
            found.push(format!(
                "I7: {name}'s claim changed {} times: {tos:?}",
                tos.len()
            ));
        }
        if tos.iter().any(|to| Some(*to) != at_rest) {
            found.push(format!(
                "I7: {name}'s claim was answered as changed to {tos:?}, but is {at_rest:?} at rest"
            ));
        }
    }
    let mut per_user: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (user, action) in events {
        if action.starts_with("claim.") {
            per_user
                .entry(user.as_str())
                .or_default()
                .push(action.as_str());
        }
    }
    for (name, (status, _)) in &rest.status {
        let want: Vec<String> = match status {
            Status::Claimed | Status::Reserving => Vec::new(),
            other => vec![format!("claim.{}", status_name(*other))],
        };
        let got = per_user.remove(name.as_str()).unwrap_or_default();
        if got != want {
            found.push(format!(
                "I10: {name}'s claim is {status:?} at rest, and its events are {got:?}"
            ));
        }
    }
    for (name, got) in per_user {
        found.push(format!("I10: events {got:?} for {name}, who has no claim"));
    }
    if !rest.unstamped.is_empty() {
        found.push(format!(
            "I7: the claims of {:?} lack the instant of their void or expiry, or carry one \
             their status does not have",
            rest.unstamped
        ));
    }
    found
}
