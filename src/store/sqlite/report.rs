//! The post-sale report on `SQLite`: aggregates over one campaign's claims, in one read
//! transaction with the campaign, through the time indexes of migration 4.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::rows::{holding, select_campaign};
use super::{StoreError, classify};
use crate::domain::{Bucket, BucketWidth, CampaignId, SaleCounts, SaleReport};

fn instant(millis: Option<i64>) -> Option<DateTime<Utc>> {
    millis.and_then(DateTime::from_timestamp_millis)
}

/// Counts per bucket of the instants `sql` selects in ascending order (through an index, so
/// `SQLite` sorts nothing): consecutive instants in one bucket are counted together as they
/// stream by. A `GROUP BY claimed_at / width` would instead feed every row to a sorter,
/// since `SQLite` does not know the quotient keeps the index's order.
fn buckets(
    conn: &Connection,
    sql: &str,
    id: &CampaignId,
    width: BucketWidth,
) -> rusqlite::Result<Vec<Bucket>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([id.as_str()])?;
    let mut all = Vec::new();
    let mut current: Option<(i64, i64)> = None;
    let mut close = |(start, count): (i64, i64)| {
        if let Some(start) = DateTime::from_timestamp_millis(start) {
            all.push(Bucket { start, count });
        }
    };
    while let Some(row) = rows.next()? {
        let start = width.floor(row.get(0)?);
        current = match current {
            Some((open, count)) if open == start => Some((open, count + 1)),
            Some(done) => {
                close(done);
                Some((start, 1))
            }
            None => Some((start, 1)),
        };
    }
    if let Some(done) = current {
        close(done);
    }
    Ok(all)
}

/// The report of campaign `id`, or `None` when it does not exist.
///
/// One pass over the campaign's claims counts statuses and sums money (no index narrows
/// "every claim of a campaign" further: it reads them where they lie, holding none); the
/// timelines and the sold-out instant come from the time indexes alone.
pub(super) fn report(
    conn: &Connection,
    id: &CampaignId,
    width: BucketWidth,
) -> Result<Option<SaleReport>, StoreError> {
    let run = || -> rusqlite::Result<Option<SaleReport>> {
        // One read transaction: the campaign and its counts are one snapshot.
        let tx = conn.unchecked_transaction()?;
        let Some(campaign) = select_campaign(&tx, id)? else {
            return Ok(None);
        };
        let mut counts = tx
            .prepare_cached(
                "SELECT coalesce(sum(status = 'claimed'), 0), coalesce(sum(status = 'redeemed'), 0),
                    coalesce(sum(status = 'voided'), 0), coalesce(sum(status = 'expired'), 0),
                    coalesce(sum(discount_cents), 0), coalesce(sum(redeemed_discount_cents), 0)
                 FROM claims WHERE campaign_id = ?1",
            )?
            .query_row([id.as_str()], |row| {
                Ok(SaleCounts {
                    open: row.get(0)?,
                    redeemed: row.get(1)?,
                    voided: row.get(2)?,
                    expired: row.get(3)?,
                    discount_granted: row.get(4)?,
                    discount_redeemed: row.get(5)?,
                    ..SaleCounts::default()
                })
            })?;
        let (first, last): (Option<i64>, Option<i64>) = tx
            .prepare_cached(
                "SELECT min(claimed_at), max(claimed_at) FROM claims INDEXED BY claims_by_time \
                 WHERE campaign_id = ?1",
            )?
            .query_row([id.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        counts.first_claim_at = instant(first);
        counts.last_claim_at = instant(last);
        // Backwards through the index, stopping at the first claim that still holds a unit.
        counts.last_held_claim_at = instant(
            tx.prepare_cached(&format!(
                "SELECT claimed_at FROM claims INDEXED BY claims_by_time \
                 WHERE campaign_id = ?1 AND {} ORDER BY claimed_at DESC LIMIT 1",
                holding()
            ))?
            .query_row([id.as_str()], |row| row.get(0))
            .optional()?,
        );
        counts.claims = buckets(
            &tx,
            "SELECT claimed_at FROM claims INDEXED BY claims_by_time \
             WHERE campaign_id = ?1 ORDER BY claimed_at",
            id,
            width,
        )?;
        counts.redemptions = buckets(
            &tx,
            "SELECT redeemed_at FROM claims INDEXED BY claims_redeemed \
             WHERE campaign_id = ?1 AND redeemed_at IS NOT NULL ORDER BY redeemed_at",
            id,
            width,
        )?;
        tx.commit()?;
        Ok(Some(SaleReport {
            campaign,
            width,
            counts,
        }))
    };
    run().map_err(|err| classify("reporting on a campaign", err))
}
