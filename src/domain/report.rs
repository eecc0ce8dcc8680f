//! The post-sale report: what a store counts about a campaign's claims, and what those counts
//! mean (rates, money, the sold-out instant, remaining units over time).
//!
//! A store reads the counts through its indexes without holding claims in memory: the
//! timeline comes from the claims' own timestamps (`claimed_at`, `redeemed_at`) grouped into
//! buckets, so no event per claim is ever written. Every derived figure is computed here, from
//! the counts, in integers.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Campaign, ClaimStatus};

/// How wide one bucket of a sale's timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketWidth {
    /// One second: the rush of a flash sale.
    Second,
    /// One minute: a sale that lasts hours.
    Minute,
}

impl BucketWidth {
    /// The width in milliseconds, the unit stores keep instants in.
    #[must_use]
    pub fn millis(self) -> i64 {
        match self {
            BucketWidth::Second => 1_000,
            BucketWidth::Minute => 60_000,
        }
    }

    /// `second` or `minute`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            BucketWidth::Second => "second",
            BucketWidth::Minute => "minute",
        }
    }

    /// The start of the bucket holding the instant `millis` (milliseconds since the epoch).
    #[must_use]
    pub fn floor(self, millis: i64) -> i64 {
        millis.div_euclid(self.millis()) * self.millis()
    }
}

/// How many claims (or redemptions) fell in one bucket of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's first instant.
    pub start: DateTime<Utc>,
    /// How many fell in it.
    pub count: i64,
}

/// What a store counts about one campaign's claims, every status included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaleCounts {
    /// Claims still `claimed` (holding a unit, not redeemed yet).
    pub open: i64,
    /// Claims redeemed at checkout.
    pub redeemed: i64,
    /// Claims voided by an operator.
    pub voided: i64,
    /// Claims expired past their hold.
    pub expired: i64,
    /// The discounts granted at claim time, every claim's, in minor units.
    pub discount_granted: i64,
    /// The discounts redeemed at checkout (re-priced on the checkout cart), in minor units.
    pub discount_redeemed: i64,
    /// The earliest claim.
    pub first_claim_at: Option<DateTime<Utc>>,
    /// The latest claim.
    pub last_claim_at: Option<DateTime<Utc>>,
    /// The latest claim among those holding a unit now (`claimed`, `redeemed`): when the
    /// campaign has no unit left, the claim that took its last one.
    pub last_held_claim_at: Option<DateTime<Utc>>,
    /// Claims per bucket of `claimed_at`, oldest first, empty buckets left out.
    pub claims: Vec<Bucket>,
    /// Redemptions per bucket of `redeemed_at`, oldest first, empty buckets left out.
    pub redemptions: Vec<Bucket>,
}

impl SaleCounts {
    /// Every claim granted, whatever became of it.
    #[must_use]
    pub fn claimed(&self) -> i64 {
        self.open + self.redeemed + self.voided + self.expired
    }
}

/// Folds claims one at a time into [`SaleCounts`], for a store that reads them through a
/// cursor: memory grows with the number of buckets, never with the number of claims.
#[derive(Debug, Clone)]
pub struct SaleTally {
    width: BucketWidth,
    counts: SaleCounts,
    claims: BTreeMap<i64, i64>,
    redemptions: BTreeMap<i64, i64>,
}

impl SaleTally {
    /// An empty tally with buckets of `width`.
    #[must_use]
    pub fn new(width: BucketWidth) -> Self {
        SaleTally {
            width,
            counts: SaleCounts::default(),
            claims: BTreeMap::new(),
            redemptions: BTreeMap::new(),
        }
    }

    /// Counts one claim: its status, when it was claimed, its granted discount and, once
    /// redeemed, when and with what discount.
    pub fn add(
        &mut self,
        status: ClaimStatus,
        claimed_at: DateTime<Utc>,
        discount: i64,
        redeemed: Option<(DateTime<Utc>, i64)>,
    ) {
        let c = &mut self.counts;
        match status {
            ClaimStatus::Claimed => c.open += 1,
            ClaimStatus::Redeemed => c.redeemed += 1,
            ClaimStatus::Voided => c.voided += 1,
            ClaimStatus::Expired => c.expired += 1,
        }
        c.discount_granted = c.discount_granted.saturating_add(discount);
        c.first_claim_at = Some(c.first_claim_at.map_or(claimed_at, |at| at.min(claimed_at)));
        c.last_claim_at = Some(c.last_claim_at.map_or(claimed_at, |at| at.max(claimed_at)));
        if status.holds_unit() {
            c.last_held_claim_at = Some(
                c.last_held_claim_at
                    .map_or(claimed_at, |at| at.max(claimed_at)),
            );
        }
        *self
            .claims
            .entry(self.width.floor(claimed_at.timestamp_millis()))
            .or_default() += 1;
        if let Some((at, discount)) = redeemed {
            c.discount_redeemed = c.discount_redeemed.saturating_add(discount);
            *self
                .redemptions
                .entry(self.width.floor(at.timestamp_millis()))
                .or_default() += 1;
        }
    }

    /// The counts, buckets oldest first.
    #[must_use]
    pub fn finish(self) -> SaleCounts {
        let buckets = |map: BTreeMap<i64, i64>| -> Vec<Bucket> {
            map.into_iter()
                .filter_map(|(start, count)| {
                    DateTime::from_timestamp_millis(start).map(|start| Bucket { start, count })
                })
                .collect()
        };
        SaleCounts {
            claims: buckets(self.claims),
            redemptions: buckets(self.redemptions),
            ..self.counts
        }
    }
}

/// A campaign's post-sale report: the campaign as it stands and the counts of its claims,
/// read by the store in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleReport {
    /// The campaign.
    pub campaign: Campaign,
    /// The width of the timeline's buckets.
    pub width: BucketWidth,
    /// What the store counted.
    pub counts: SaleCounts,
}

impl SaleReport {
    /// Redeemed claims per claim granted, in basis points rounded down; `None` before any
    /// claim.
    #[must_use]
    pub fn redemption_rate_bps(&self) -> Option<i64> {
        let claimed = self.counts.claimed();
        (claimed > 0).then(|| {
            let bps = i128::from(self.counts.redeemed) * 10_000 / i128::from(claimed);
            i64::try_from(bps).unwrap_or(i64::MAX)
        })
    }

    /// When the campaign sold out: with no unit left now, the instant of the claim that took
    /// the last one (the latest claim still holding a unit; a voided or expired claim gave its
    /// unit back, so it cannot be the one that emptied the stock). `None` while units remain:
    /// a restock or a returned unit reopens the sale, and the instant would no longer hold.
    #[must_use]
    pub fn sold_out_at(&self) -> Option<DateTime<Utc>> {
        if self.campaign.remaining() == 0 {
            self.counts.last_held_claim_at
        } else {
            None
        }
    }

    /// From the first claim to the sold-out instant.
    #[must_use]
    pub fn time_to_sell_out(&self) -> Option<TimeDelta> {
        Some(self.sold_out_at()? - self.counts.first_claim_at?)
    }

    /// The busiest bucket of claims (the earliest of equals).
    #[must_use]
    pub fn peak(&self) -> Option<Bucket> {
        self.counts
            .claims
            .iter()
            .copied()
            .reduce(|best, b| if b.count > best.count { b } else { best })
    }

    /// Units not yet taken at the end of each bucket of claims: today's total less every
    /// claim up to then. A timeline of the rush as the claims tell it: units that voids and
    /// expiries returned, and restocks, carry no timestamp in the counts and are not drawn.
    #[must_use]
    pub fn remaining_over_time(&self) -> Vec<Bucket> {
        let mut taken = 0_i64;
        self.counts
            .claims
            .iter()
            .map(|b| {
                taken = taken.saturating_add(b.count);
                Bucket {
                    start: b.start,
                    count: (self.campaign.total() - taken).max(0),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    /// A report on the fixture's campaign of 3 units, `taken` of them taken.
    fn report(taken: usize, tally: SaleTally) -> SaleReport {
        let mut campaign = fixtures::campaign(None);
        for _ in 0..taken {
            campaign.take_unit();
        }
        SaleReport {
            campaign,
            width: BucketWidth::Second,
            counts: tally.finish(),
        }
    }

    #[test]
    fn buckets_floor_instants_to_their_second_or_minute() {
        assert_eq!(BucketWidth::Second.floor(1_999), 1_000);
        assert_eq!(BucketWidth::Minute.floor(119_999), 60_000);
        assert_eq!(BucketWidth::Second.floor(-1), -1_000);
    }

    #[test]
    fn a_tally_counts_statuses_money_and_buckets() {
        let mut tally = SaleTally::new(BucketWidth::Second);
        tally.add(
            ClaimStatus::Redeemed,
            at(1_100),
            500,
            Some((at(9_000), 400)),
        );
        tally.add(ClaimStatus::Claimed, at(1_900), 300, None);
        tally.add(ClaimStatus::Voided, at(2_500), 200, None);
        tally.add(ClaimStatus::Expired, at(4_000), 100, None);
        let c = tally.finish();
        assert_eq!((c.open, c.redeemed, c.voided, c.expired), (1, 1, 1, 1));
        assert_eq!(c.claimed(), 4);
        assert_eq!((c.discount_granted, c.discount_redeemed), (1_100, 400));
        assert_eq!(c.first_claim_at, Some(at(1_100)));
        assert_eq!(c.last_claim_at, Some(at(4_000)));
        assert_eq!(c.last_held_claim_at, Some(at(1_900)));
        let counts: Vec<(i64, i64)> = c
            .claims
            .iter()
            .map(|b| (b.start.timestamp_millis(), b.count))
            .collect();
        assert_eq!(counts, [(1_000, 2), (2_000, 1), (4_000, 1)]);
        assert_eq!(
            c.redemptions,
            [Bucket {
                start: at(9_000),
                count: 1
            }]
        );
    }

    #[test]
    fn the_redemption_rate_is_redeemed_per_claim_in_basis_points_rounded_down() {
        let mut tally = SaleTally::new(BucketWidth::Second);
        for _ in 0..2 {
            tally.add(ClaimStatus::Claimed, at(0), 0, None);
        }
        tally.add(ClaimStatus::Redeemed, at(0), 0, Some((at(1), 0)));
        assert_eq!(report(3, tally).redemption_rate_bps(), Some(3_333));
        let empty = report(0, SaleTally::new(BucketWidth::Second));
        assert_eq!(empty.redemption_rate_bps(), None);
    }

    #[test]
    fn a_sale_sold_out_when_its_last_held_unit_was_taken() {
        let mut tally = SaleTally::new(BucketWidth::Second);
        tally.add(ClaimStatus::Claimed, at(1_000), 0, None);
        tally.add(ClaimStatus::Redeemed, at(3_000), 0, Some((at(5_000), 0)));
        tally.add(ClaimStatus::Voided, at(7_000), 0, None);
        let sold_out = report(3, tally.clone());
        assert_eq!(sold_out.sold_out_at(), Some(at(3_000)));
        assert_eq!(sold_out.time_to_sell_out(), Some(TimeDelta::seconds(2)));
        let open = report(2, tally);
        assert_eq!(open.sold_out_at(), None);
        assert_eq!(open.time_to_sell_out(), None);
    }

    #[test]
    fn remaining_units_fall_with_each_bucket_of_claims_and_stop_at_zero() {
        let mut tally = SaleTally::new(BucketWidth::Second);
        for ms in [0, 1_000, 1_001, 2_000] {
            tally.add(ClaimStatus::Claimed, at(ms), 0, None);
        }
        let r = report(3, tally);
        let left: Vec<i64> = r.remaining_over_time().iter().map(|b| b.count).collect();
        assert_eq!(left, [2, 0, 0]);
        assert_eq!(r.peak().map(|b| b.count), Some(2));
    }
}
