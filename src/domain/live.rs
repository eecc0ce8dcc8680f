//! A sale as it stands at one instant, for a person or a script watching it run: how fast
//! claims arrive now, claims per second over the last minutes, and when the stock runs out
//! at the current pace.
//!
//! Every figure comes from what the store read (a [`SaleReport`] with one-second buckets,
//! taken from the claims' own `claimed_at`) and the store's "now", so the answer is the same
//! whichever process made the claims: a watcher needs no feed from the servers. The
//! arithmetic is in integers, like the report's.

use chrono::{DateTime, TimeDelta, Utc};

use super::{BucketWidth, CampaignState, SaleReport};

/// How many whole seconds the current pace is measured over: long enough that one busy second
/// does not swing it, short enough that a stall shows within seconds.
pub const PACE_SECONDS: i64 = 10;

/// A campaign's sale read at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSale {
    /// The campaign and its claim counts, with one-second buckets ([`LiveSale::WIDTH`]).
    pub report: SaleReport,
    /// When the store read it, by the store's clock (the one that stamped the claims).
    pub at: DateTime<Utc>,
}

/// Claims over a span of whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Claims granted in the span.
    pub claims: i64,
    /// The span, in seconds (never 0).
    pub seconds: i64,
}

impl Pace {
    /// Claims per second in tenths, rounded down (`123` is 12.3 claims/s).
    #[must_use]
    pub fn tenths_per_second(self) -> i64 {
        self.claims.saturating_mul(10) / self.seconds.max(1)
    }
}

impl std::fmt::Display for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = self.tenths_per_second();
        write!(f, "{}.{}/s", tenths / 10, tenths % 10)
    }
}

/// When the stock runs out, at the current pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoldOutIn {
    /// No unit is left.
    Now,
    /// After this long, if claims keep arriving at the current pace (rounded up to a second).
    After(TimeDelta),
    /// Not while the campaign is not live (scheduled, paused or ended).
    NotLive,
    /// Not at the current pace: no claim arrived in the last [`PACE_SECONDS`].
    Stalled,
}

impl LiveSale {
    /// The bucket width a live sale's report must be read with.
    pub const WIDTH: BucketWidth = BucketWidth::Second;

    /// The campaign's state at [`LiveSale::at`].
    #[must_use]
    pub fn state(&self) -> CampaignState {
        self.report.campaign.state(self.at)
    }

    /// Claims in each of the `seconds` whole seconds before the current one, oldest first,
    /// quiet seconds as zeros. The current second is left out: it is not over, and its
    /// partial count would read as a drop.
    #[must_use]
    pub fn claims_per_second(&self, seconds: usize) -> Vec<u64> {
        let width = Self::WIDTH.millis();
        let end = Self::WIDTH.floor(self.at.timestamp_millis());
        let span = i64::try_from(seconds).unwrap_or(i64::MAX);
        let start = end.saturating_sub(span.saturating_mul(width));
        let mut counts = vec![0_u64; seconds];
        for bucket in self.report.counts.claims.iter().rev() {
            let at = bucket.start.timestamp_millis();
            if at < start {
                break;
            }
            if at >= end {
                continue;
            }
            if let Ok(slot) = usize::try_from((at - start) / width) {
                counts[slot] = u64::try_from(bucket.count).unwrap_or(0);
            }
        }
        counts
    }

    /// The current pace: claims over the last [`PACE_SECONDS`] whole seconds.
    #[must_use]
    pub fn pace(&self) -> Pace {
        let claims = self
            .claims_per_second(usize::try_from(PACE_SECONDS).unwrap_or(10))
            .iter()
            .map(|&n| i64::try_from(n).unwrap_or(i64::MAX))
            .fold(0_i64, i64::saturating_add);
        Pace {
            claims,
            seconds: PACE_SECONDS,
        }
    }

    /// When the remaining units run out at the current [`pace`](LiveSale::pace).
    #[must_use]
    pub fn sold_out_in(&self) -> SoldOutIn {
        let remaining = self.report.campaign.remaining();
        if remaining == 0 {
            return SoldOutIn::Now;
        }
        if self.state() != CampaignState::Live {
            return SoldOutIn::NotLive;
        }
        let pace = self.pace();
        if pace.claims == 0 {
            return SoldOutIn::Stalled;
        }
        // remaining / (claims / seconds), rounded up: "sold out in 0 s" while units remain
        // would be wrong.
        let numerator = i128::from(remaining) * i128::from(pace.seconds);
        let denominator = i128::from(pace.claims);
        let seconds = (numerator + denominator - 1) / denominator;
        SoldOutIn::After(TimeDelta::seconds(
            i64::try_from(seconds).unwrap_or(i64::MAX / 1_000),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{self, at};

    use crate::domain::{ClaimStatus, SaleTally};

    /// The fixture's campaign (3 units, live from `at(0)` to `at(100_000)`) read at `now_ms`, with one
    /// claim at each of `claims_ms` and `taken` units taken.
    fn live(now_ms: i64, claims_ms: &[i64], taken: usize) -> LiveSale {
        let mut tally = SaleTally::new(LiveSale::WIDTH);
        for &ms in claims_ms {
            tally.add(ClaimStatus::Claimed, at(ms), 0, None);
        }
        let mut campaign = fixtures::campaign(None);
        for _ in 0..taken {
            campaign.take_unit();
        }
        LiveSale {
            report: SaleReport {
                campaign,
                width: LiveSale::WIDTH,
                counts: tally.finish(),
            },
            at: at(now_ms),
        }
    }

    #[test]
    fn claims_per_second_covers_the_whole_seconds_before_now_with_zeros_for_quiet_ones() {
        // Now is 10.5 s: the last four whole seconds are 6, 7, 8 and 9; the claim at 10.2 s is
        // in the current second, and the one at 5.9 s before the span.
        let sale = live(10_500, &[5_900, 6_000, 6_999, 8_100, 10_200], 0);
        assert_eq!(sale.claims_per_second(4), [2, 0, 1, 0]);
        assert_eq!(sale.claims_per_second(0), Vec::<u64>::new());
    }

    #[test]
    fn the_pace_is_the_claims_of_the_last_ten_whole_seconds_in_tenths() {
        // 7 claims between 1 s and 11 s, read at 11.0 s: 0.7 claims/s.
        let claims: Vec<i64> = (1..=7).map(|s| s * 1_000 + 500).collect();
        let pace = live(11_000, &claims, 0).pace();
        assert_eq!(
            pace,
            Pace {
                claims: 7,
                seconds: 10
            }
        );
        assert_eq!(pace.tenths_per_second(), 7);
        assert_eq!(pace.to_string(), "0.7/s");
        let busy = Pace {
            claims: 1_234,
            seconds: 10,
        };
        assert_eq!(busy.to_string(), "123.4/s");
    }

    #[test]
    fn sold_out_in_divides_what_remains_by_the_pace_rounding_up() {
        // Fixture: 3 units; 1 taken leaves 2; 3 claims in 10 s is 0.3/s: 2 / 0.3 = 6.67 s -> 7 s.
        let sale = live(20_000, &[11_000, 12_000, 13_000], 1);
        assert_eq!(sale.sold_out_in(), SoldOutIn::After(TimeDelta::seconds(7)));
    }

    #[test]
    fn sold_out_in_is_now_without_stock_and_unknown_without_claims() {
        assert_eq!(
            live(20_000, &[19_000, 19_100, 19_200], 3).sold_out_in(),
            SoldOutIn::Now
        );
        // The last claim is 11 s old: nothing in the pace's window.
        assert_eq!(live(20_000, &[9_000], 1).sold_out_in(), SoldOutIn::Stalled);
    }

    #[test]
    fn a_paused_campaign_has_no_sold_out_estimate() {
        let mut sale = live(20_000, &[19_000], 1);
        sale.report.campaign.paused = true;
        assert_eq!(sale.state(), CampaignState::Paused);
        assert_eq!(sale.sold_out_in(), SoldOutIn::NotLive);
    }
}
