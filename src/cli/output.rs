//! How results reach the operator: comfy-table for people, one JSON document for scripts.

use std::io::{self, IsTerminal, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde_json::{Value, json};

use crate::domain::ClaimOutcome;
use crate::service::CampaignView;
use crate::store::Reconciliation;

// The JSON documents are shared with the HTTP API.
pub(crate) use crate::json::{campaign_json, claim_json, rfc3339};

/// `--output`: a table for people (default) or exactly one JSON document on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable tables.
    Table,
    /// One JSON document per command, errors included.
    Json,
}

/// Writes `text` and a newline to stdout. A closed pipe (`flashsale … | head`) means the reader
/// went away, which is not an error.
pub(crate) fn print(text: &str) -> io::Result<()> {
    write_stdout(&format!("{text}\n"))
}

/// Writes `text` to stdout exactly as given; a closed pipe is not an error (see [`print()`]).
pub(crate) fn write_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints `value` as one pretty JSON document.
pub(crate) fn print_json(value: &Value) -> io::Result<()> {
    print(&serde_json::to_string_pretty(value).map_err(io::Error::other)?)
}

/// Whether the process was started with stdout closed (`flashsale … >&-`).
///
/// Rust's runtime reopens a closed standard descriptor on `/dev/null` before `main`, so every
/// write "succeeds" and the answer vanishes. It opens it read-write, which a shell's
/// `>/dev/null` never does: that is how the two are told apart. Linux only (it reads
/// `/proc`); elsewhere this answers `false`.
pub(crate) fn stdout_closed() -> bool {
    // `O_ACCMODE` and `O_RDWR` on Linux, as `fdinfo` shows them.
    const ACCESS_MODE: u32 = 0o3;
    const READ_WRITE: u32 = 0o2;
    if !cfg!(target_os = "linux") {
        return false;
    }
    let target = std::fs::read_link("/proc/self/fd/1");
    if !target.is_ok_and(|path| path == std::path::Path::new("/dev/null")) {
        return false;
    }
    std::fs::read_to_string("/proc/self/fdinfo/1")
        .ok()
        .and_then(|info| {
            let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
            u32::from_str_radix(flags.trim(), 8).ok()
        })
        .is_some_and(|flags| flags & ACCESS_MODE == READ_WRITE)
}

/// Whether stderr is a terminal a person watches (progress bars and colour go there only).
pub(crate) fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// The one table style: condensed UTF-8 borders, plain when stdout is no terminal or
/// `NO_COLOR` is set.
fn table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if std::env::var_os("NO_COLOR").is_some() || !io::stdout().is_terminal() {
        table.force_no_tty();
    }
    table
}

/// Rows of a key and its value, as a two-column table.
pub(crate) fn key_values(rows: &[(&str, String)]) -> String {
    let mut t = table();
    for (key, value) in rows {
        t.add_row(vec![(*key).to_owned(), value.clone()]);
    }
    t.to_string()
}

/// A campaign as a two-column table.
pub(crate) fn campaign_table(view: &CampaignView) -> String {
    let c = &view.campaign;
    let money = |cents: crate::domain::Cents| format!("{cents} {}", c.currency.as_str());
    key_values(&[
        ("id", c.id.to_string()),
        ("name", c.name.clone()),
        ("state", view.state.to_string()),
        ("starts at", rfc3339(c.window.starts_at)),
        ("ends at", rfc3339(c.window.ends_at)),
        (
            "inventory",
            format!(
                "{} claimed, {} remaining of {}",
                c.claimed(),
                c.remaining(),
                c.total()
            ),
        ),
        (
            "discount",
            format!(
                "{} off, at most {}",
                c.rule.percent,
                money(c.rule.max_discount)
            ),
        ),
        ("minimum cart", money(c.rule.min_cart)),
        ("created at", rfc3339(c.created_at)),
    ])
}

/// Campaigns as one row each.
pub(crate) fn campaigns_table(views: &[CampaignView]) -> String {
    if views.is_empty() {
        return "no campaigns yet: create one with `flashsale campaign create`".to_owned();
    }
    let mut t = table();
    t.set_header(vec![
        "id",
        "name",
        "state",
        "claimed",
        "remaining",
        "total",
        "discount",
        "ends at",
    ]);
    for view in views {
        let c = &view.campaign;
        t.add_row(vec![
            c.id.to_string(),
            c.name.clone(),
            view.state.to_string(),
            c.claimed().to_string(),
            c.remaining().to_string(),
            c.total().to_string(),
            format!(
                "{} (max {} {})",
                c.rule.percent,
                c.rule.max_discount,
                c.currency.as_str()
            ),
            rfc3339(c.window.ends_at),
        ]);
    }
    t.to_string()
}

/// A claim as a two-column table.
pub(crate) fn claim_table(outcome: &ClaimOutcome) -> String {
    let c = outcome.claim();
    let outcome = match outcome {
        ClaimOutcome::Claimed(_) => "claimed".to_owned(),
        ClaimOutcome::Replayed(_) => {
            "replayed (the user already held this claim; nothing was consumed)".to_owned()
        }
    };
    key_values(&[
        ("outcome", outcome),
        ("campaign", c.campaign_id.to_string()),
        ("user", c.user_id.to_string()),
        ("token", c.token.to_string()),
        ("discount", c.discount.to_string()),
        ("cart", c.cart.to_string()),
        ("claimed at", rfc3339(c.claimed_at)),
    ])
}

/// The contract's inventory JSON.
pub(crate) fn inventory_json(view: &CampaignView) -> Value {
    let c = &view.campaign;
    json!({"campaign_id": c.id, "total": c.total(), "claimed": c.claimed(), "remaining": c.remaining()})
}

/// Inventory as a two-column table.
pub(crate) fn inventory_table(view: &CampaignView) -> String {
    let c = &view.campaign;
    key_values(&[
        ("campaign", c.id.to_string()),
        ("total", c.total().to_string()),
        ("claimed", c.claimed().to_string()),
        ("remaining", c.remaining().to_string()),
    ])
}

/// `inventory reconcile`'s JSON.
pub(crate) fn reconciliation_json(r: &Reconciliation) -> Value {
    json!({
        "campaign_id": r.campaign_id,
        "total": r.total,
        "claimed": r.claimed,
        "remaining": r.remaining,
        "expected_remaining": r.expected_remaining,
        "drift": r.drift(),
        "applied": r.applied,
    })
}

/// `inventory reconcile` as a two-column table.
pub(crate) fn reconciliation_table(r: &Reconciliation) -> String {
    let verdict = match (r.drift(), r.applied) {
        (0, _) => "no drift".to_owned(),
        (drift, true) => format!(
            "drift of {drift} repaired: remaining set to {}",
            r.expected_remaining
        ),
        (drift, false) => format!(
            "drift of {drift} found: run again with --apply to set remaining to {}",
            r.expected_remaining
        ),
    };
    key_values(&[
        ("campaign", r.campaign_id.to_string()),
        ("total", r.total.to_string()),
        ("claims", r.claimed.to_string()),
        ("remaining", r.remaining.to_string()),
        ("expected remaining", r.expected_remaining.to_string()),
        ("result", verdict),
    ])
}
