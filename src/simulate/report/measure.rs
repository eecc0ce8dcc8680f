//! What a run measures besides its answers: latency, group commit, memory.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::store::CommitStats;

/// Upper bound of the latency histograms (an hour, in microseconds); slower requests are
/// recorded at the bound rather than dropped.
const LATENCY_MAX_MICROS: u64 = 3_600_000_000;

/// Latency percentiles of every request, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest request.
    pub max: f64,
}

/// How the store grouped the run's writes into transactions: what group commit gains.
///
/// Only for a store that counts its commits (the embedded `SQLite` store); read from the
/// store's own counters before and after the run, so other writes by this process during the
/// run would be included (a simulation makes none).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GroupCommit {
    /// Write transactions committed during the run; each costs one fsync of the log.
    pub commits: u64,
    /// Claim requests those transactions decided: every request that reached the store is
    /// one, whether it was granted, replayed or refused.
    pub requests: u64,
    /// `requests / commits`, to one decimal: how many requests shared each fsync (1 would
    /// mean no batching at all).
    pub requests_per_commit: f64,
}

impl GroupCommit {
    /// The batching of the writes counted in `run`.
    pub(in crate::simulate) fn from_stats(run: CommitStats) -> Self {
        GroupCommit {
            commits: run.commits,
            requests: run.jobs,
            requests_per_commit: ratio(run.jobs, run.commits),
        }
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts stay far below 2^52, where f64 is exact"
)]
fn ratio(count: u64, per: u64) -> f64 {
    if per == 0 {
        return 0.0;
    }
    (count as f64 / per as f64 * 10.0).round() / 10.0
}

/// The run's latencies in µs, in fixed-size histograms whatever the number of requests.
pub(in crate::simulate) struct Timings {
    /// Every request.
    pub(super) requests: Histogram<u64>,
    /// Every token verification (empty without JWTs).
    pub(super) identity: Histogram<u64>,
    /// The run second by second.
    pub(in crate::simulate) timeline: super::timeline::Timeline,
}

impl Timings {
    pub(in crate::simulate) fn new() -> Self {
        Timings {
            requests: new_histogram(),
            identity: new_histogram(),
            timeline: super::timeline::Timeline::default(),
        }
    }

    /// Records one request: its whole time, and its token verification when one was verified.
    pub(in crate::simulate) fn record(
        &mut self,
        request_micros: u64,
        identity_micros: Option<u64>,
    ) {
        self.requests.saturating_record(request_micros.max(1));
        if let Some(micros) = identity_micros {
            self.identity.saturating_record(micros.max(1));
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Three significant digits from 1 µs to an hour: about 200 KB, fixed whatever the run.
    Histogram::new_with_bounds(1, LATENCY_MAX_MICROS, 3)
        .expect("1 µs to an hour at 3 significant digits is a valid histogram")
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts stay far below 2^52, where f64 is exact"
)]
pub(super) fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64().max(1e-6);
    (count as f64 / seconds * 10.0).round() / 10.0
}

#[expect(
    clippy::cast_precision_loss,
    reason = "microseconds below an hour are exact in f64"
)]
pub(super) fn latency(histogram: &Histogram<u64>) -> Latency {
    let ms = |micros: u64| (micros as f64 / 1_000.0 * 1_000.0).round() / 1_000.0;
    if histogram.is_empty() {
        return Latency {
            p50: 0.0,
            p95: 0.0,
            p99: 0.0,
            max: 0.0,
        };
    }
    Latency {
        p50: ms(histogram.value_at_quantile(0.50)),
        p95: ms(histogram.value_at_quantile(0.95)),
        p99: ms(histogram.value_at_quantile(0.99)),
        max: ms(histogram.max()),
    }
}

/// The process's peak resident set size in MiB (`VmHWM` on Linux), if the platform says.
pub(super) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kib / 1_024.0 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_rounds_requests_per_commit_to_one_decimal() {
        let batched = GroupCommit::from_stats(CommitStats {
            commits: 3,
            jobs: 10,
        });
        assert_eq!(
            batched,
            GroupCommit {
                commits: 3,
                requests: 10,
                requests_per_commit: 3.3,
            }
        );
        let idle = GroupCommit::from_stats(CommitStats::default());
        assert_eq!((idle.commits, idle.requests_per_commit), (0, 0.0));
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_mb().is_some_and(|mb| mb > 0.0));
        }
    }
}
