//! Rows to records and back: the columns of `campaigns` and `claims`, read into the shared
//! [`CampaignRecord`] / [`ClaimRecord`] whose checked conversion makes the domain values.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use crate::domain::{Campaign, CampaignId, CampaignRecord, Claim, ClaimRecord, Corrupt, UserId};

pub(super) const CAMPAIGN_COLUMNS: &str = "id, name, starts_at, ends_at, ended_at, total, claimed, \
     remaining, percent_bps, max_discount_cents, min_cart_cents, currency, created_at";

/// A stored value the domain refuses, as the rusqlite error every read already maps.
fn corrupt(err: Corrupt) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(err))
}

/// The campaign in a row of [`CAMPAIGN_COLUMNS`].
pub(super) fn campaign_from_row(row: &Row<'_>) -> rusqlite::Result<Campaign> {
    Campaign::try_from(CampaignRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        starts_at: row.get(2)?,
        ends_at: row.get(3)?,
        ended_at: row.get(4)?,
        total: row.get(5)?,
        claimed: row.get(6)?,
        remaining: row.get(7)?,
        percent_bps: row.get(8)?,
        max_discount_cents: row.get(9)?,
        min_cart_cents: row.get(10)?,
        currency: row.get(11)?,
        created_at: row.get(12)?,
    })
    .map_err(corrupt)
}

/// Inserts `campaign` as a new row; fails on a taken id (a constraint violation).
pub(super) fn insert_campaign(conn: &Connection, campaign: &Campaign) -> rusqlite::Result<()> {
    let r = CampaignRecord::from(campaign);
    let values: [&dyn ToSql; 13] = [
        &r.id,
        &r.name,
        &r.starts_at,
        &r.ends_at,
        &r.ended_at,
        &r.total,
        &r.claimed,
        &r.remaining,
        &r.percent_bps,
        &r.max_discount_cents,
        &r.min_cart_cents,
        &r.currency,
        &r.created_at,
    ];
    conn.execute(
        &format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ),
        values.as_slice(),
    )
    .map(drop)
}

pub(super) fn select_campaign(
    conn: &Connection,
    id: &CampaignId,
) -> rusqlite::Result<Option<Campaign>> {
    conn.prepare_cached(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?1"
    ))?
    .query_row([id.as_str()], campaign_from_row)
    .optional()
}

pub(super) fn select_claim(
    conn: &Connection,
    id: &CampaignId,
    user: &UserId,
) -> rusqlite::Result<Option<Claim>> {
    conn.prepare_cached(
        "SELECT token, discount_cents, cart_cents, claimed_at FROM claims \
         WHERE campaign_id = ?1 AND user_id = ?2",
    )?
    .query_row([id.as_str(), user.as_str()], |row| {
        Claim::try_from(ClaimRecord {
            campaign_id: id.as_str().to_owned(),
            user_id: user.as_str().to_owned(),
            token: row.get(0)?,
            discount_cents: row.get(1)?,
            cart_cents: row.get(2)?,
            claimed_at: row.get(3)?,
        })
        .map_err(corrupt)
    })
    .optional()
}

/// The statement that records a new claim; a conflict on (campaign, user) inserts nothing
/// (the user holds a claim), a taken token fails.
pub(super) const INSERT_CLAIM: &str = "INSERT INTO claims \
     (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (campaign_id, user_id) DO NOTHING";

/// Runs the cached [`INSERT_CLAIM`] for `claim`: `true` when it inserted a row.
pub(super) fn insert_claim(conn: &Connection, claim: &Claim) -> rusqlite::Result<bool> {
    let changed = conn.prepare_cached(INSERT_CLAIM)?.execute(params![
        claim.campaign_id.as_str(),
        claim.user_id.as_str(),
        claim.token.as_str(),
        claim.discount.get(),
        claim.cart.get(),
        claim.claimed_at.timestamp_millis(),
    ])?;
    Ok(changed == 1)
}
