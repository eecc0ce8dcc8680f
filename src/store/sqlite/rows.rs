//! Rows to records and back: the columns of `campaigns` and `claims`, read into the shared
//! [`CampaignRecord`] / [`ClaimRecord`] whose checked conversion makes the domain values.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use crate::domain::{
    Campaign, CampaignId, CampaignRecord, Claim, ClaimRecord, ClaimStatus, ClaimToken, Corrupt,
    EventKind, Stamp, UserId,
};

pub(super) const CAMPAIGN_COLUMNS: &str = "id, name, starts_at, ends_at, ended_at, total, claimed, \
     remaining, percent_bps, max_discount_cents, min_cart_cents, currency, created_at, paused, \
     hold_seconds";

pub(super) const CLAIM_COLUMNS: &str = "campaign_id, user_id, token, discount_cents, cart_cents, \
     claimed_at, currency, status, expires_at, order_id, redeemed_cart_cents, \
     redeemed_discount_cents, redeemed_at, voided_at, void_reason, expired_at";

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
        paused: row.get(13)?,
        hold_seconds: row.get(14)?,
    })
    .map_err(corrupt)
}

/// The claim in a row of [`CLAIM_COLUMNS`].
pub(super) fn claim_from_row(row: &Row<'_>) -> rusqlite::Result<Claim> {
    Claim::try_from(ClaimRecord {
        campaign_id: row.get(0)?,
        user_id: row.get(1)?,
        token: row.get(2)?,
        discount_cents: row.get(3)?,
        cart_cents: row.get(4)?,
        claimed_at: row.get(5)?,
        currency: row.get(6)?,
        status: row.get(7)?,
        expires_at: row.get(8)?,
        order_id: row.get(9)?,
        redeemed_cart_cents: row.get(10)?,
        redeemed_discount_cents: row.get(11)?,
        redeemed_at: row.get(12)?,
        voided_at: row.get(13)?,
        void_reason: row.get(14)?,
        expired_at: row.get(15)?,
    })
    .map_err(corrupt)
}

/// Inserts `campaign` as a new row; fails on a taken id (a constraint violation).
pub(super) fn insert_campaign(conn: &Connection, campaign: &Campaign) -> rusqlite::Result<()> {
    let r = CampaignRecord::from(campaign);
    let values: [&dyn ToSql; 15] = [
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
        &r.paused,
        &r.hold_seconds,
    ];
    conn.execute(
        &format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
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
    conn.prepare_cached(&format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE campaign_id = ?1 AND user_id = ?2"
    ))?
    .query_row([id.as_str(), user.as_str()], claim_from_row)
    .optional()
}

/// The claim carrying `token`, if it is one of campaign `id`'s.
pub(super) fn select_claim_by_token(
    conn: &Connection,
    id: &CampaignId,
    token: &ClaimToken,
) -> rusqlite::Result<Option<Claim>> {
    conn.prepare_cached(&format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE token = ?1 AND campaign_id = ?2"
    ))?
    .query_row([token.as_str(), id.as_str()], claim_from_row)
    .optional()
}

/// Writes a claim's lifecycle fields, on the condition that it is still as `before` left it
/// (status `claimed` or whatever it was): `false` when the row changed meanwhile.
pub(super) fn update_claim(
    conn: &Connection,
    before: &Claim,
    after: &Claim,
) -> rusqlite::Result<bool> {
    let r = ClaimRecord::from(after);
    let changed = conn
        .prepare_cached(
            "UPDATE claims SET status = ?3, order_id = ?4, redeemed_cart_cents = ?5, \
             redeemed_discount_cents = ?6, redeemed_at = ?7, voided_at = ?9, void_reason = ?10, \
             expired_at = ?11 \
             WHERE campaign_id = ?1 AND user_id = ?2 AND status = ?8",
        )?
        .execute(params![
            r.campaign_id,
            r.user_id,
            r.status,
            r.order_id,
            r.redeemed_cart_cents,
            r.redeemed_discount_cents,
            r.redeemed_at,
            before.status.as_str(),
            r.voided_at,
            r.void_reason,
            r.expired_at,
        ])?;
    Ok(changed == 1)
}

/// Appends one event to the log.
pub(super) fn insert_event(
    conn: &Connection,
    stamp: &Stamp,
    campaign: &CampaignId,
    kind: &EventKind,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (at, actor, campaign_id, action, details) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        stamp.at.timestamp_millis(),
        stamp.actor.as_str(),
        campaign.as_str(),
        kind.action(),
        kind.details().to_string(),
    ])
    .map(drop)
}

/// The statement that records a new claim; a conflict on (campaign, user) inserts nothing
/// (the user holds a claim), a taken token fails.
pub(super) const INSERT_CLAIM: &str = "INSERT INTO claims \
     (campaign_id, user_id, token, discount_cents, cart_cents, claimed_at, currency, status, \
     expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (campaign_id, user_id) DO NOTHING";

/// Runs the cached [`INSERT_CLAIM`] for `claim`: `true` when it inserted a row.
pub(super) fn insert_claim(conn: &Connection, claim: &Claim) -> rusqlite::Result<bool> {
    let changed = conn.prepare_cached(INSERT_CLAIM)?.execute(params![
        claim.campaign_id.as_str(),
        claim.user_id.as_str(),
        claim.token.as_str(),
        claim.discount.get(),
        claim.cart.get(),
        claim.claimed_at.timestamp_millis(),
        claim.currency.as_str(),
        claim.status.as_str(),
        claim.expires_at.map(|at| at.timestamp_millis()),
    ])?;
    Ok(changed == 1)
}

/// The SQL condition "this claim holds a unit", built from the domain's one list of holding
/// statuses ([`ClaimStatus::HOLDING`]).
pub(super) fn holding() -> &'static str {
    static CONDITION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let statuses: Vec<String> = ClaimStatus::HOLDING
            .iter()
            .map(|status| format!("'{}'", status.as_str()))
            .collect();
        format!("status IN ({})", statuses.join(", "))
    });
    &CONDITION
}
