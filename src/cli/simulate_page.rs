//! `simulate --html FILE`: the report as a self-contained page, the run drawn second by
//! second with the same charts as the post-sale report's page.

use super::html::{Axis, Series, bars, document, float, lines};
use crate::simulate::Report;

/// What the page says of how its charts read.
const SECONDS_NOTE: &str = "seconds count from the start of the run; a request and its \
     latency are counted in the second it was answered, a shopper in the second it started \
     (arrived) or finished (done)";

/// What the remaining units leave out.
const REMAINING_NOTE: &str = "remaining units are the units left before the run, less this \
     run's grants, plus the units its voids and expiries returned; claims by others on a shared \
     campaign are not drawn";

/// A count as a chart value.
fn value(n: u64) -> f64 {
    float(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The page of a run's report.
pub(super) fn page(report: &Report, kept: bool) -> String {
    let seconds = &report.per_second;
    let end = i64::try_from(seconds.len()).unwrap_or(i64::MAX);
    let axis = Axis {
        from: 0,
        to: end * 1_000,
        from_label: "0 s".to_owned(),
        to_label: format!("{end} s"),
    };
    // Rates at the middle of their second; counts as bars over the whole second.
    let at = |second: u64| i64::try_from(second).unwrap_or(i64::MAX) * 1_000;
    let mid = |second: u64| at(second) + 500;
    let series = |name,
                  class,
                  pick: &dyn Fn(&crate::simulate::Second) -> f64,
                  x: &dyn Fn(u64) -> i64| Series {
        name,
        class,
        points: seconds.iter().map(|s| (x(s.second), pick(s))).collect(),
    };

    let mut users = Vec::new();
    if report.arrivals.is_some() {
        users.push(series(
            "offered",
            "line offered",
            &|s| value(s.offered.unwrap_or(0)),
            &mid,
        ));
    }
    users.push(series("arrived", "line", &|s| value(s.arrived), &mid));
    users.push(series(
        "done",
        "line completed",
        &|s| value(s.completed),
        &mid,
    ));
    let users = lines(&axis, &users, 0.0, "Users per second", "no user ran.");

    let outcomes = bars(
        &axis,
        1_000,
        &[
            series("claimed", "bar", &|s| value(s.claimed), &at),
            series("replayed", "bar replayed", &|s| value(s.replayed), &at),
            series("sold out", "bar sold-out", &|s| value(s.sold_out), &at),
            series(
                "not eligible or not live",
                "bar refused",
                &|s| value(s.refused),
                &at,
            ),
            series("errors", "bar errors", &|s| value(s.errors), &at),
        ],
        "Claim requests answered per second, by outcome",
    );

    let latency = lines(
        &axis,
        &[
            series("p50", "line", &|s| s.latency_ms.p50, &mid),
            series("p90", "line p90", &|s| s.latency_ms.p90, &mid),
            series("p99", "line p99", &|s| s.latency_ms.p99, &mid),
            series("max", "line max", &|s| s.latency_ms.max, &mid),
        ],
        0.0,
        "Latency per second, ms",
        "no request was answered.",
    );

    let remaining = remaining(report, &axis);

    let summary = summary(report, kept);
    let shape = report.arrivals.map_or_else(
        || format!("a closed loop of {} users in flight", report.concurrency),
        |a| format!("arrivals {}:{}s", a.shape.as_str(), a.over_ms / 1_000),
    );
    document(
        &format!("Simulation: {}", report.campaign_id),
        &format!(
            "{} users against {} units, {shape}; {}",
            report.users,
            report.store_before.remaining,
            if report.passed { "PASSED" } else { "FAILED" }
        ),
        &summary,
        &[
            ("Users per second".to_owned(), users),
            (
                "Claim requests answered per second, by outcome".to_owned(),
                outcomes,
            ),
            ("Latency per second (ms)".to_owned(), latency),
            ("Remaining units".to_owned(), remaining),
        ],
        &[SECONDS_NOTE, REMAINING_NOTE],
    )
}

/// The report's rows, as the table shows them, with no URL at all, not even as text: the
/// page fetches nothing and links nowhere.
fn summary(report: &Report, kept: bool) -> Vec<(&'static str, String)> {
    let mut rows = super::simulate::run_rows(report, kept);
    rows.extend(super::simulate::verdict_rows(report));
    for (key, value) in &mut rows {
        if *key == "target" {
            *value = format!("flashsale serve at {}", value.trim_start_matches("http://"));
        }
    }
    rows
}

/// The units left before the run, then at the end of each second.
fn remaining(report: &Report, axis: &Axis) -> String {
    let at = |second: u64| i64::try_from(second).unwrap_or(i64::MAX) * 1_000;
    let mut left = vec![(0, float(report.store_before.remaining))];
    left.extend(
        report
            .per_second
            .iter()
            .map(|s| (at(s.second) + 1_000, float(s.remaining))),
    );
    lines(
        axis,
        &[Series {
            name: "remaining units",
            class: "line",
            points: left,
        }],
        float(report.store_before.remaining),
        "Remaining units",
        "no second recorded.",
    )
}
