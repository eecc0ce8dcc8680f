//! A claim's later life and an operator's changes, each one writer job: read what the domain
//! needs, have it decide, write the change, its unit and its event, all in the job's savepoint
//! of the batch's `BEGIN IMMEDIATE` transaction. A refusal returns before any write (and an
//! error rolls the savepoint back), so a refused or failed action leaves no row and no event.
//!
//! Atomicity comes from the writer: one thread runs the jobs one after another inside a
//! transaction that holds `SQLite`'s write lock, so no other job or process can change the
//! claim between the read and the write. The conditional `UPDATE ... AND status = <before>`
//! is a second line of defence: if it ever matched nothing, the job fails and writes nothing,
//! rather than returning a unit twice.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::classify;
use super::rows::{
    CLAIM_COLUMNS, claim_from_row, insert_event, select_campaign, select_claim,
    select_claim_by_token, update_claim,
};
use crate::domain::{
    Applied, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimKey, Event,
    EventKind, EventQuery, ExportPage, RedeemAttempt, Stamp, Verdict, VoidAttempt,
};
use crate::store::StoreError;

/// How many due claims the expiry sweep reads at a time (memory stays bounded however many
/// holds ran out).
const SWEEP_CHUNK: i64 = 1_000;

fn changed_elsewhere(what: &str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(
        format!("{what} changed under the writer's lock").into(),
    )
}

/// Writes a verdict's change: the claim, the unit it returns, the event.
fn carry_out(conn: &Connection, verdict: &Verdict, stamp: &Stamp) -> rusqlite::Result<()> {
    let Verdict::Change {
        before,
        after,
        kind,
    } = verdict
    else {
        return Ok(());
    };
    if !update_claim(conn, before, after)? {
        return Err(changed_elsewhere("a claim"));
    }
    if verdict.returns_unit() {
        let changed = conn
            .prepare_cached(
                "UPDATE campaigns SET remaining = remaining + 1, claimed = claimed - 1 \
                 WHERE id = ?1 AND claimed > 0",
            )?
            .execute([after.campaign_id.as_str()])?;
        if changed != 1 {
            return Err(changed_elsewhere("a campaign"));
        }
    }
    insert_event(conn, stamp, &after.campaign_id, kind)
}

pub(super) fn redeem(conn: &Connection, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
    let run = || -> rusqlite::Result<Verdict> {
        let campaign = select_campaign(conn, &attempt.campaign_id)?;
        let claim = select_claim_by_token(conn, &attempt.campaign_id, &attempt.token)?;
        let verdict = attempt.decide(claim.as_ref(), campaign.as_ref());
        carry_out(conn, &verdict, &attempt.stamp)?;
        Ok(verdict)
    };
    run().map_err(|err| classify("redeeming a claim", err))
}

pub(super) fn void(conn: &Connection, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
    let run = || -> rusqlite::Result<Verdict> {
        let exists = select_campaign(conn, &attempt.campaign_id)?.is_some();
        let claim = match &attempt.key {
            ClaimKey::User(user) => select_claim(conn, &attempt.campaign_id, user)?,
            ClaimKey::Token(token) => select_claim_by_token(conn, &attempt.campaign_id, token)?,
        };
        let verdict = attempt.decide(claim.as_ref(), exists);
        carry_out(conn, &verdict, &attempt.stamp)?;
        Ok(verdict)
    };
    run().map_err(|err| classify("voiding a claim", err))
}

pub(super) fn expire_holds(
    conn: &Connection,
    id: &CampaignId,
    stamp: &Stamp,
) -> Result<Option<u64>, StoreError> {
    let run = || -> rusqlite::Result<Option<u64>> {
        if select_campaign(conn, id)?.is_none() {
            return Ok(None);
        }
        let now = stamp.at.timestamp_millis();
        let mut expired = 0_u64;
        loop {
            // Each chunk's claims leave the partial index as they expire, so the next query
            // starts with the ones still due.
            let due: Vec<Claim> = conn
                .prepare_cached(&format!(
                    "SELECT {CLAIM_COLUMNS} FROM claims INDEXED BY claims_due \
                     WHERE campaign_id = ?1 AND status = 'claimed' AND expires_at IS NOT NULL \
                     AND expires_at < ?2 LIMIT ?3"
                ))?
                .query_map(params![id.as_str(), now, SWEEP_CHUNK], claim_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            if due.is_empty() {
                return Ok(Some(expired));
            }
            let mut progressed = false;
            for claim in &due {
                if let Some(verdict) = claim.expire(stamp.at) {
                    carry_out(conn, &verdict, stamp)?;
                    expired += 1;
                    progressed = true;
                }
            }
            if !progressed {
                // The query and the domain disagree on what is due: stop rather than loop.
                return Ok(Some(expired));
            }
        }
    };
    run().map_err(|err| classify("expiring holds", err))
}

pub(super) fn create_campaign(
    conn: &Connection,
    campaign: &Campaign,
    stamp: &Stamp,
) -> Result<Option<Campaign>, StoreError> {
    let context = "creating a campaign";
    match super::rows::insert_campaign(conn, campaign) {
        Ok(()) => {}
        Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            // Read under the same write lock: the campaign that took the id, as it is now.
            let existing = select_campaign(conn, &campaign.id)
                .and_then(|found| found.ok_or_else(|| changed_elsewhere("a campaign")))
                .map_err(|err| classify(context, err))?;
            return Ok(Some(existing));
        }
        Err(err) => return Err(classify(context, err)),
    }
    let kind = EventKind::CampaignCreated {
        total: campaign.total(),
    };
    insert_event(conn, stamp, &campaign.id, &kind).map_err(|err| classify(context, err))?;
    Ok(None)
}

pub(super) fn change_campaign(
    conn: &Connection,
    id: &CampaignId,
    change: &CampaignChange,
    stamp: &Stamp,
) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
    let context = "changing a campaign";
    let Some(before) = select_campaign(conn, id).map_err(|err| classify(context, err))? else {
        return Ok(Err(ChangeRefusal::CampaignNotFound));
    };
    let stamp = &after_last_claim(conn, id, stamp).map_err(|err| classify(context, err))?;
    let applied = match change.apply(&before, stamp.at) {
        Ok(applied) => applied,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let Some(kind) = &applied.event else {
        return Ok(Ok(applied));
    };
    let after = &applied.campaign;
    let write = || -> rusqlite::Result<()> {
        // Conditional on the counters read: they cannot move under the writer's lock, so a
        // mismatch is a bug, and the job fails rather than write over a claim's unit.
        let changed = conn
            .prepare_cached(
                "UPDATE campaigns SET ends_at = ?2, ended_at = ?3, total = ?4, remaining = ?5, \
                 paused = ?6 WHERE id = ?1 AND total = ?7 AND remaining = ?8",
            )?
            .execute(params![
                id.as_str(),
                after.window.ends_at.timestamp_millis(),
                after.ended_at.map(|at| at.timestamp_millis()),
                after.total(),
                after.remaining(),
                after.paused,
                before.total(),
                before.remaining(),
            ])?;
        if changed != 1 {
            return Err(changed_elsewhere("a campaign"));
        }
        insert_event(conn, stamp, id, kind)
    };
    write().map_err(|err| classify(context, err))?;
    Ok(Ok(applied))
}

/// `stamp`, moved no earlier than the last claim granted on campaign `id`.
///
/// A change takes effect when its job runs, under the write lock: after every claim granted
/// so far (this batch's included) and before every later one. Its stamp was taken before it
/// was queued, and it may wait behind a group commit (hundreds of milliseconds on a busy
/// store) while claims stamped after it are granted ahead of it; recorded as it was, a pause
/// would be logged before claims it did not stop. The claims' (`campaign_id`, `claimed_at`)
/// index answers this from its last entry.
fn after_last_claim(conn: &Connection, id: &CampaignId, stamp: &Stamp) -> rusqlite::Result<Stamp> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT MAX(claimed_at) FROM claims WHERE campaign_id = ?1")?
        .query_row([id.as_str()], |row| row.get(0))?;
    let at = last
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .filter(|last| *last > stamp.at)
        .unwrap_or(stamp.at);
    Ok(Stamp {
        actor: stamp.actor.clone(),
        at,
    })
}

pub(super) fn events(conn: &Connection, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
    let run = || -> rusqlite::Result<Vec<Event>> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        conn.prepare_cached(
            "SELECT seq, at, actor, campaign_id, action, details FROM events \
             WHERE seq > ?1 AND (?2 IS NULL OR campaign_id = ?2) AND (?3 IS NULL OR at >= ?3) \
             ORDER BY seq LIMIT ?4",
        )?
        .query_map(
            params![
                query.after_seq,
                query.campaign.as_ref().map(CampaignId::as_str),
                query.since.map(|at| at.timestamp_millis()),
                limit,
            ],
            |row| {
                let at: i64 = row.get(1)?;
                let details: String = row.get(5)?;
                Ok(Event {
                    seq: row.get(0)?,
                    at: DateTime::<Utc>::from_timestamp_millis(at)
                        .ok_or_else(|| corrupt("event time"))?,
                    actor: row.get(2)?,
                    campaign_id: row.get(3)?,
                    action: row.get(4)?,
                    details: serde_json::from_str(&details)
                        .map_err(|_| corrupt("event details"))?,
                })
            },
        )?
        .collect()
    };
    run().map_err(|err| classify("reading events", err))
}

fn corrupt(what: &'static str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(crate::domain::Corrupt(what)))
}

pub(super) fn export_page(conn: &Connection, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
    let run = || -> rusqlite::Result<Vec<Claim>> {
        let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
        // Keyset paging on the primary key (campaign_id, user_id): each page is one range scan
        // from where the last one stopped, so a page costs the same at any depth.
        conn.prepare_cached(&format!(
            "SELECT {CLAIM_COLUMNS} FROM claims \
             WHERE campaign_id = ?1 AND user_id > ?2 AND (?3 IS NULL OR status = ?3) \
             ORDER BY user_id LIMIT ?4"
        ))?
        .query_map(
            params![
                page.campaign.as_str(),
                page.after.as_ref().map_or("", |user| user.as_str()),
                page.status.map(crate::domain::ClaimStatus::as_str),
                limit,
            ],
            claim_from_row,
        )?
        .collect()
    };
    run().map_err(|err| classify("exporting claims", err))
}
