//! A claim inside the writer's transaction, and the batch's copies of the campaign rows that
//! claims read and decrement.

use std::collections::HashMap;

use rusqlite::{Connection, ErrorCode, params};

use super::rows::{insert_claim, select_campaign, select_claim};
use super::{classify, writer};
use crate::domain::{Campaign, CampaignId, ClaimAttempt, ClaimToken, Decision};

/// The batch's copies of the campaign rows its claims read and decrement (see the
/// write-back note in [`writer`]). A copy is read on a campaign's first claim in the batch and
/// written back once; `taken` is what the batch's claims took from it so far.
#[derive(Default)]
pub(super) struct HotRows {
    rows: HashMap<CampaignId, HotRow>,
}

struct HotRow {
    campaign: Campaign,
    taken: i64,
}

impl HotRows {
    /// The batch's copy of campaign `id`, read from the database on first use.
    fn get(&mut self, conn: &Connection, id: &CampaignId) -> rusqlite::Result<Option<&mut HotRow>> {
        if !self.rows.contains_key(id) {
            let Some(campaign) = select_campaign(conn, id)? else {
                return Ok(None);
            };
            self.rows.insert(id.clone(), HotRow { campaign, taken: 0 });
        }
        Ok(self.rows.get_mut(id))
    }

    /// Writes every copy's decrement back and forgets the copies, so the next reader sees the
    /// database. The update is guarded like a single claim's (`remaining >= n`): it cannot
    /// fail while the batch holds the write lock, and if it ever did, the batch would not
    /// commit rather than oversell.
    pub(super) fn write_back(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for (id, row) in self.rows.drain() {
            if row.taken == 0 {
                continue;
            }
            let changed = conn
                .prepare_cached(
                    "UPDATE campaigns SET remaining = remaining - ?2, claimed = claimed + ?2 \
                     WHERE id = ?1 AND remaining >= ?2",
                )?
                .execute(params![id.as_str(), row.taken])?;
            if changed != 1 {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("campaign `{id}` changed under the batch's write lock").into(),
                ));
            }
        }
        Ok(())
    }
}

/// Carries out the domain's decision on a claim, inside the writer's transaction, on the
/// batch's copy of the campaign row (as the claims before this one in the batch left it).
///
/// Insert first: the domain decides on the campaign alone, as if the user held no claim. A
/// grant goes straight to an `INSERT ... ON CONFLICT (campaign_id, user_id) DO NOTHING`, and a
/// conflict means the user holds a claim, which is then replayed; any other decision looks
/// for a held claim, which takes precedence ([`Decision::unless_held`]). So a new claim costs
/// one index probe, not two, and a held claim is replayed whatever the campaign's state (I4).
/// The unit is taken from the copy only once the insert succeeded, and the copy is written
/// back before COMMIT, so a claim and its decrement commit together or not at all: a claim
/// never exists without its unit.
///
/// `token` is drawn by the caller, before the job is queued: the draw then runs on
/// the caller's thread instead of the single writer thread every claim waits for.
fn claim_in_transaction(
    tx: &mut writer::Tx<'_>,
    attempt: &ClaimAttempt,
    token: ClaimToken,
) -> rusqlite::Result<Decision> {
    let conn = tx.conn;
    let held = || select_claim(conn, &attempt.campaign_id, &attempt.user_id);
    let mut row = tx.hot.get(conn, &attempt.campaign_id)?;
    let decision = attempt.decide(None, row.as_ref().map(|row| &row.campaign), token);
    let Decision::Grant(mut claim) = decision else {
        return Ok(decision.unless_held(held()?));
    };
    // A token collision (144 random bits) is astronomically unlikely; drawing again is the
    // whole remedy, and the bounded loop keeps a broken RNG from spinning forever.
    let mut attempts_left = 3;
    loop {
        match insert_claim(conn, &claim) {
            Ok(true) => {
                if let Some(row) = row.as_mut() {
                    row.campaign.take_unit();
                    row.taken += 1;
                }
                return Ok(Decision::Grant(claim));
            }
            Ok(false) => {
                let existing = held()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                return Ok(Decision::Replay(existing));
            }
            Err(err)
                if attempts_left > 0
                    && err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
            {
                attempts_left -= 1;
                claim.token = crate::random::token(attempt.now);
            }
            Err(err) => return Err(err),
        }
    }
}

/// A claim as a writer job, with its token drawn here, on the caller's thread.
pub(super) fn claim_job(attempt: ClaimAttempt) -> (Box<dyn writer::Job>, writer::Reply<Decision>) {
    let token = crate::random::token(attempt.now);
    writer::hot_job(move |tx| {
        claim_in_transaction(tx, &attempt, token).map_err(|err| classify("claiming", err))
    })
}
