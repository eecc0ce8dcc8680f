//! The run second by second: what was offered, what started, what the store answered and how
//! fast, and the units left at the end of each second.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::simulate::load::{Arrivals, Shape};

/// How one claim request was answered, as the timeline tallies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::simulate) enum Outcome {
    Claimed,
    Replayed,
    SoldOut,
    /// Not eligible or not live: a refusal that is not about the stock.
    Refused,
    Error,
}

/// One second's tallies while the run goes on; a small auto-sized histogram of the latencies
/// answered in it (two significant digits: a few KB per second of the run).
#[derive(Default)]
struct Tally {
    offered: u64,
    arrived: u64,
    completed: u64,
    requests: u64,
    claimed: u64,
    replayed: u64,
    sold_out: u64,
    refused: u64,
    errors: u64,
    returned: u64,
    latency: Option<Histogram<u32>>,
    /// The slowest answer, exact (the histogram keeps two digits).
    slowest: Duration,
}

/// The run's timeline, one [`Tally`] per second from its start; grows only with the run's
/// length, never with its number of requests.
#[derive(Default)]
pub(in crate::simulate) struct Timeline {
    seconds: Vec<Tally>,
    /// When the first granted request was sent, and when the last grant was answered.
    first_grant_sent: Option<Duration>,
    last_grant: Option<Duration>,
    /// How late an open loop's shoppers started past their arrival instants, at most.
    max_lag: Duration,
    /// Shoppers whose arrival waited for a slot under the in-flight cap.
    held_by_cap: u64,
}

impl Timeline {
    fn at(&mut self, offset: Duration) -> &mut Tally {
        let second = usize::try_from(offset.as_secs()).unwrap_or(usize::MAX);
        if self.seconds.len() <= second {
            self.seconds.resize_with(second + 1, Tally::default);
        }
        &mut self.seconds[second]
    }

    /// A shopper due at `offset` by the arrivals' shape.
    pub(in crate::simulate) fn offered(&mut self, offset: Duration) {
        self.at(offset).offered += 1;
    }

    /// A shopper started at `offset`, `late` past its arrival instant (zero in a closed loop).
    pub(in crate::simulate) fn arrived(&mut self, offset: Duration, late: Duration, held: bool) {
        self.at(offset).arrived += 1;
        self.max_lag = self.max_lag.max(late);
        self.held_by_cap += u64::from(held);
    }

    /// A shopper finished at `offset`.
    pub(in crate::simulate) fn completed(&mut self, offset: Duration) {
        self.at(offset).completed += 1;
    }

    /// `units` handed back (voids, expiries) at `offset`.
    pub(in crate::simulate) fn returned(&mut self, offset: Duration, units: u64) {
        self.at(offset).returned += units;
    }

    /// A request sent at `sent` and answered `took` later, with `outcome`.
    pub(in crate::simulate) fn answered(
        &mut self,
        sent: Duration,
        took: Duration,
        outcome: Outcome,
    ) {
        let answered = sent + took;
        if outcome == Outcome::Claimed {
            self.first_grant_sent = Some(self.first_grant_sent.map_or(sent, |at| at.min(sent)));
            self.last_grant = Some(self.last_grant.map_or(answered, |at| at.max(answered)));
        }
        let tally = self.at(answered);
        tally.requests += 1;
        *match outcome {
            Outcome::Claimed => &mut tally.claimed,
            Outcome::Replayed => &mut tally.replayed,
            Outcome::SoldOut => &mut tally.sold_out,
            Outcome::Refused => &mut tally.refused,
            Outcome::Error => &mut tally.errors,
        } += 1;
        tally.slowest = tally.slowest.max(took);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let histogram = tally
            .latency
            .get_or_insert_with(|| Histogram::new(2).expect("two significant digits are valid"));
        // An auto-sized histogram grows to the value; only one it cannot grow to is clamped.
        if histogram.record(micros).is_err() {
            histogram.saturating_record(micros);
        }
    }

    /// The span the claims were made over: from sending the first request that was granted to
    /// the answer of the last grant (zero without a grant).
    pub(in crate::simulate) fn claims_window(&self) -> Duration {
        match (self.first_grant_sent, self.last_grant) {
            (Some(first), Some(last)) => last.saturating_sub(first),
            _ => Duration::ZERO,
        }
    }

    /// The per-second rows of the report; `remaining` is the units left before the run.
    pub(in crate::simulate) fn seconds(&self, remaining: i64, open_loop: bool) -> Vec<Second> {
        let (mut arrived, mut completed, mut left) = (0u64, 0u64, remaining);
        self.seconds
            .iter()
            .enumerate()
            .map(|(second, t)| {
                arrived += t.arrived;
                completed += t.completed;
                let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                left = left - signed(t.claimed) + signed(t.returned);
                Second {
                    second: second as u64,
                    offered: open_loop.then_some(t.offered),
                    arrived: t.arrived,
                    completed: t.completed,
                    in_flight: arrived.saturating_sub(completed),
                    requests: t.requests,
                    claimed: t.claimed,
                    replayed: t.replayed,
                    sold_out: t.sold_out,
                    refused: t.refused,
                    errors: t.errors,
                    returned: t.returned,
                    remaining: left,
                    latency_ms: t
                        .latency
                        .as_ref()
                        .map_or_else(Percentiles::default, |h| percentiles(h, t.slowest)),
                }
            })
            .collect()
    }

    /// What the report says of an open loop's arrivals.
    pub(in crate::simulate) fn arrivals(&self, arrivals: Arrivals, users: u64) -> ArrivalsReport {
        ArrivalsReport {
            shape: arrivals.shape,
            over_ms: u64::try_from(arrivals.over.as_millis()).unwrap_or(u64::MAX),
            offered_per_sec: super::measure::per_second(users, arrivals.over),
            max_lag_ms: millis(self.max_lag),
            held_by_cap: self.held_by_cap,
        }
    }
}

/// Milliseconds to the microsecond.
#[expect(
    clippy::cast_precision_loss,
    reason = "microseconds below an hour are exact in f64"
)]
pub(super) fn millis(span: Duration) -> f64 {
    let micros = u64::try_from(span.as_micros()).unwrap_or(u64::MAX);
    micros as f64 / 1_000.0
}

/// Latency percentiles of the requests answered in one second, in milliseconds (two
/// significant digits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest request.
    pub max: f64,
}

/// The percentiles of `histogram` to its two significant digits (more would be noise it
/// does not hold), and the exact `slowest`.
fn percentiles(histogram: &Histogram<u32>, slowest: Duration) -> Percentiles {
    let at = |q: f64| {
        two_digits(millis(Duration::from_micros(
            histogram.value_at_quantile(q),
        )))
    };
    if histogram.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: millis(slowest),
    }
}

/// `value` rounded to two significant digits: 501.759 reads 500, 0.2251 reads 0.23.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the decimal exponent of a latency in ms is a small integer"
)]
fn two_digits(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 0.0;
    }
    let shift = 1 - value.log10().floor() as i32;
    if shift >= 0 {
        let scale = 10f64.powi(shift);
        (value * scale).round() / scale
    } else {
        let scale = 10f64.powi(-shift);
        (value / scale).round() * scale
    }
}

/// One second of the run, counted from its start: shoppers and requests by the instant they
/// started or were answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Second {
    /// Seconds since the start of the run: this row covers `[second, second + 1)`.
    pub second: u64,
    /// With arrivals: shoppers due in this second by the arrivals' shape (the offered load).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered: Option<u64>,
    /// Shoppers who started in this second.
    pub arrived: u64,
    /// Shoppers who finished in this second (every request answered and checked): the rate
    /// the store kept up with.
    pub completed: u64,
    /// Shoppers started and not yet finished at the end of this second.
    pub in_flight: u64,
    /// Claim requests answered in this second.
    pub requests: u64,
    /// Of those, `claimed` answers.
    pub claimed: u64,
    /// `replayed` answers.
    pub replayed: u64,
    /// `sold out` refusals.
    pub sold_out: u64,
    /// `not eligible` and `not live` refusals.
    pub refused: u64,
    /// Requests that failed with an error.
    pub errors: u64,
    /// Units this run's voids and expiry sweeps handed back in this second.
    pub returned: u64,
    /// Units left at the end of this second: those left before the run, less this run's
    /// grants so far, plus the units its voids and expiries returned (claims by others on a
    /// shared campaign are not in it).
    pub remaining: i64,
    /// Latency of the requests answered in this second.
    pub latency_ms: Percentiles,
}

/// How an open loop's shoppers arrived.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ArrivalsReport {
    /// `uniform`, `burst` or `ramp`.
    #[serde(serialize_with = "shape_name")]
    pub shape: Shape,
    /// The span the arrivals were spread over.
    pub over_ms: u64,
    /// Shoppers offered per second on average: users over the span.
    pub offered_per_sec: f64,
    /// The latest any shopper started past its arrival instant: the scheduler's slack, or a
    /// wait for a slot under the in-flight cap.
    pub max_lag_ms: f64,
    /// Shoppers who had to wait for a slot under the in-flight cap.
    pub held_by_cap: u64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with hands the field by reference"
)]
fn shape_name<S: serde::Serializer>(shape: &Shape, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(shape.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::float_cmp, reason = "rounded values are exact")]
    fn per_second_latency_keeps_two_digits_and_the_exact_maximum() {
        assert_eq!(
            [501.759, 0.2251, 1.503, 12.49, 1_234.0, 0.0].map(two_digits),
            [500.0, 0.23, 1.5, 12.0, 1_200.0, 0.0]
        );
        let mut timeline = Timeline::default();
        let second = Duration::from_secs(1);
        for ms in [1, 2, 3, 400] {
            timeline.answered(second, Duration::from_millis(ms), Outcome::SoldOut);
        }
        timeline.answered(
            Duration::ZERO,
            Duration::from_micros(1_234),
            Outcome::Claimed,
        );
        let rows = timeline.seconds(5, false);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].latency_ms.max, 1.234);
        assert_eq!((rows[0].claimed, rows[0].remaining), (1, 4));
        assert_eq!((rows[1].requests, rows[1].sold_out), (4, 4));
        assert_eq!(rows[1].latency_ms.p50, 2.0);
        assert_eq!(rows[1].latency_ms.max, 400.0);
        assert_eq!(timeline.claims_window(), Duration::from_micros(1_234));
    }
}
