//! `flashsale campaign report`: the post-sale summary as a table, one JSON document, and with
//! `--html FILE` a self-contained page with charts.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::out_file::OutFile;
use super::{html, output};
use crate::domain::{Bucket, CampaignState, SaleReport, rfc3339};

/// Why the report has no refusals by kind: said in the table, the JSON and the page alike.
pub(crate) const REFUSALS_NOTE: &str = "refusals are not recorded by the store: a refused claim \
     writes nothing (sold out, not live, not eligible); `flashsale serve` counts them by kind in \
     /metrics (flashsale_claims_total)";

/// What the timeline leaves out: voids, expiries and restocks carry no timestamp in the counts.
pub(crate) const TIMELINE_NOTE: &str = "remaining units over time are the units less the claims \
     made so far: units returned by voids and expiries, and restocks, are not drawn";

/// How many buckets the table lists before pointing at `-o json` and `--html`.
const TABLE_BUCKETS: usize = 60;

fn percent(bps: i64) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

/// A percentage as a JSON number, like `percent_off`: an integer when whole (`50`), else a
/// decimal (`33.33`).
fn percent_json(bps: i64) -> Value {
    if bps % 100 == 0 {
        return Value::from(bps / 100);
    }
    i32::try_from(bps)
        .ok()
        .and_then(|bps| serde_json::Number::from_f64(f64::from(bps) / 100.0))
        .map_or(Value::Null, Value::Number)
}

fn money(minor: i64, report: &SaleReport) -> String {
    let currency = &report.campaign.currency;
    format!("{} {}", currency.shown(minor), currency.as_str())
}

fn instant(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::String(rfc3339(at)))
}

fn buckets_json(buckets: &[Bucket]) -> Value {
    buckets
        .iter()
        .map(|b| json!({"at": rfc3339(b.start), "count": b.count}))
        .collect()
}

/// The report as one JSON document (money in minor units, times RFC 3339 UTC).
pub(crate) fn json(report: &SaleReport, state: CampaignState) -> Value {
    let c = &report.campaign;
    let n = &report.counts;
    json!({
        "campaign_id": c.id,
        "name": c.name,
        "state": state.to_string(),
        "currency": c.currency.as_str(),
        "units": c.total(),
        "remaining": c.remaining(),
        "claimed": n.claimed(),
        "open": n.open,
        "redeemed": n.redeemed,
        "voided": n.voided,
        "expired": n.expired,
        "redemption_rate_percent": report.redemption_rate_bps().map_or(Value::Null, percent_json),
        "discount_granted_cents": n.discount_granted,
        "discount_redeemed_cents": n.discount_redeemed,
        "first_claim_at": instant(n.first_claim_at),
        "last_claim_at": instant(n.last_claim_at),
        "sold_out_at": instant(report.sold_out_at()),
        "sell_out_ms": report.time_to_sell_out().map(|d| d.num_milliseconds()),
        "per": report.width.as_str(),
        "claims_per_bucket": buckets_json(&n.claims),
        "redemptions_per_bucket": buckets_json(&n.redemptions),
        "refusals": {"recorded": false, "note": REFUSALS_NOTE},
    })
}

/// The summary as (key, value) rows: the table's and the page's.
pub(crate) fn summary(report: &SaleReport, state: CampaignState) -> Vec<(&'static str, String)> {
    let c = &report.campaign;
    let n = &report.counts;
    let at = |at: Option<DateTime<Utc>>| at.map_or_else(|| "-".to_owned(), rfc3339);
    let mut rows = vec![
        ("campaign", format!("{} ({})", c.id, c.name)),
        ("state", state.to_string()),
        ("units", c.total().to_string()),
        (
            "claimed",
            format!("{} ({} remaining)", n.claimed(), c.remaining()),
        ),
        ("open", n.open.to_string()),
        ("redeemed", n.redeemed.to_string()),
        ("voided", n.voided.to_string()),
        ("expired", n.expired.to_string()),
        (
            "redemption rate",
            report
                .redemption_rate_bps()
                .map_or_else(|| "-".to_owned(), percent),
        ),
        ("discount granted", money(n.discount_granted, report)),
        ("discount redeemed", money(n.discount_redeemed, report)),
        ("first claim", at(n.first_claim_at)),
        ("sold out", at(report.sold_out_at())),
    ];
    if let Some(took) = report.time_to_sell_out() {
        let ms = took.num_milliseconds();
        rows.push(("sold out in", format!("{}.{:03} s", ms / 1000, ms % 1000)));
    }
    if let Some(peak) = report.peak() {
        rows.push((
            "peak",
            format!(
                "{} claims in the {} from {}",
                peak.count,
                report.width.as_str(),
                rfc3339(peak.start)
            ),
        ));
    }
    rows.push((
        "refusals",
        "not recorded by the store (see below)".to_owned(),
    ));
    rows
}

/// The report for people: the summary, then claims per bucket with the units left after each.
pub(crate) fn table(report: &SaleReport, state: CampaignState) -> String {
    let mut text = output::key_values(&summary(report, state));
    let remaining = report.remaining_over_time();
    if !remaining.is_empty() {
        let rows: Vec<Vec<String>> = report
            .counts
            .claims
            .iter()
            .zip(&remaining)
            .take(TABLE_BUCKETS)
            .map(|(b, left)| {
                vec![
                    rfc3339(b.start),
                    b.count.to_string(),
                    left.count.to_string(),
                ]
            })
            .collect();
        text.push_str("\n\n");
        text.push_str(&output::rows_table(
            &[report.width.as_str(), "claims", "remaining"],
            rows,
        ));
        let more = remaining.len().saturating_sub(TABLE_BUCKETS);
        if more > 0 {
            let _ = write!(
                text,
                "\n… {more} more {}s: see `-o json` or `--html FILE`",
                report.width.as_str()
            );
        }
    }
    let _ = write!(text, "\n\nnote: {REFUSALS_NOTE}.\nnote: {TIMELINE_NOTE}.");
    text
}

/// Writes the page to `path` (see [`OutFile`]): a reader never sees half a page and a
/// failure leaves any earlier page as it was.
pub(crate) fn write_html(
    report: &SaleReport,
    state: CampaignState,
    path: &Path,
) -> anyhow::Result<()> {
    let page = html::page(
        report,
        &summary(report, state),
        &[REFUSALS_NOTE, TIMELINE_NOTE],
    );
    OutFile::open(path, "--html")?.write_whole(page.as_bytes())
}
