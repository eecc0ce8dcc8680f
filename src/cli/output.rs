//! How results reach the operator: comfy-table for people, one JSON document for scripts.

use std::io::{self, IsTerminal, Write};

use chrono::{DateTime, Local, TimeDelta, Utc};
use comfy_table::presets::NOTHING;
use comfy_table::{Attribute, Cell, ContentArrangement, Table};
use serde_json::Value;

use crate::domain::{Campaign, Cents, Claim, ClaimOutcome, Currency, Transition, Units};
use crate::service::{Acted, CampaignView};
use crate::store::Reconciliation;

// The JSON documents are shared with the HTTP API.
pub(crate) use crate::domain::rfc3339;
pub(crate) use crate::json::{campaign_json, claim_json, inventory_json, reconciliation_json};

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

/// Writes `text` and a newline to stdout, for a command that streams (`events --follow`):
/// `false` when the reader has gone away, so the command can stop instead of writing on.
pub(crate) fn print_line(text: &str) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(err) => Err(err),
        Ok(()) => Ok(true),
    }
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

/// The one table style: columns separated by two spaces, no tabs and no box drawing (which
/// would not fit 80 columns, and are noise to `grep`, `cut` and `awk` when stdout is a pipe).
/// On a terminal, headers are bold unless `NO_COLOR` is set, and cells wrap to its width.
fn table() -> Table {
    let mut table = Table::new();
    table.load_preset(NOTHING);
    if io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    // A terminal that reports no usable width (a bare pseudo-terminal says 0) gets no wrapping.
    if io::stdout().is_terminal() && table.width().is_some_and(|w| w >= 40) {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

/// Header cells, bold where [`table`] styles.
fn header(names: &[&str]) -> Vec<Cell> {
    names
        .iter()
        .map(|name| Cell::new(name).add_attribute(Attribute::Bold))
        .collect()
}

/// `table` rendered: each column followed by two spaces instead of padded on both sides, and
/// no line ending in spaces.
fn render(mut table: Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rows of a key and its value, as a two-column table.
pub(crate) fn key_values(rows: &[(&str, String)]) -> String {
    let mut t = table();
    for (key, value) in rows {
        t.add_row(vec![(*key).to_owned(), value.clone()]);
    }
    render(t)
}

/// Rows under a header row, as a table.
pub(crate) fn rows_table(names: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = table();
    t.set_header(header(names));
    for row in rows {
        t.add_row(row);
    }
    render(t)
}

/// An amount with its currency, e.g. `20.00 EUR`.
fn money(cents: Cents, currency: &Currency) -> String {
    format!("{cents} {}", currency.as_str())
}

/// The time relative times are counted from.
fn now() -> DateTime<Utc> {
    crate::clock::Clock::now(&crate::clock::SystemClock)
}

/// `delta` for a person, at most two units, rounded down: `2d 3h`, `1h 59m`, `3m`, `<1m`.
fn span(delta: TimeDelta) -> String {
    let minutes = delta.num_minutes().abs();
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) if mins == 0 => "<1m".to_owned(),
        (0, 0) => format!("{mins}m"),
        (0, _) => format!("{hours}h {mins}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// `instant` relative to `now`, e.g. `in 1h 59m` or `3m ago`.
fn relative(instant: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let delta = instant - now;
    if delta > TimeDelta::zero() {
        format!("in {}", span(delta))
    } else {
        format!("{} ago", span(delta))
    }
}

/// `instant` in the local zone, to the minute, with the zone's offset: `2026-11-27 09:00 +01:00`.
fn local(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// `instant` in the local zone and relative to now, the verb in the right tense:
/// `2026-11-27 09:00 +01:00 (ends in 1h 59m)` or `(ended 3m ago)`.
fn when(instant: DateTime<Utc>, now: DateTime<Utc>, future: &str, past: &str) -> String {
    let verb = if instant > now { future } else { past };
    format!("{} ({verb} {})", local(instant), relative(instant, now))
}

/// A campaign as a two-column table.
pub(crate) fn campaign_table(view: &CampaignView) -> String {
    let c = &view.campaign;
    let now = now();
    let mut rows = vec![
        ("id", c.id.to_string()),
        ("name", c.name.clone()),
        ("state", view.state.to_string()),
        ("starts", when(c.window.starts_at, now, "starts", "started")),
        ("ends", ends(c, now)),
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
                money(c.rule.max_discount, &c.currency)
            ),
        ),
        ("minimum cart", money(c.rule.min_cart, &c.currency)),
    ];
    if let Some(hold) = c.hold {
        rows.push((
            "hold",
            format!(
                "{} to redeem a claim, then it expires",
                seconds(hold.seconds())
            ),
        ));
    }
    rows.push((
        "created",
        format!("{} ({})", local(c.created_at), relative(c.created_at, now)),
    ));
    key_values(&rows)
}

/// A hold for a person: `45s`, `15m`, `1h 30m`, `2d 3h`.
fn seconds(total: i64) -> String {
    if total < 60 {
        format!("{total}s")
    } else {
        span(TimeDelta::seconds(total))
    }
}

/// `live, 3 of 5 units left`: what a question about ending a campaign shows.
pub(crate) fn inventory_summary(view: &CampaignView) -> String {
    let c = &view.campaign;
    format!(
        "{}, {} of {} units left",
        view.state,
        c.remaining(),
        c.total()
    )
}

/// What an operator's action on a campaign prints: the campaign, and a last line when the
/// action was already in effect.
pub(crate) fn acted_table(acted: &Acted<CampaignView>) -> String {
    let table = campaign_table(&acted.value);
    if acted.changed {
        table
    } else {
        format!(
            "{table}

unchanged: it was already so; nothing was written"
        )
    }
}

/// What an operator's action on an inventory prints, like [`acted_table`].
pub(crate) fn acted_inventory_table(acted: &Acted<CampaignView>) -> String {
    let table = inventory_table(&acted.value);
    if acted.changed {
        table
    } else {
        format!(
            "{table}

unchanged: it was already so; nothing was written"
        )
    }
}

/// What `campaign end --dry-run` prints: the campaign, then what ending it would do.
pub(crate) fn end_preview(view: &CampaignView, would_end: bool) -> String {
    let verdict = if would_end {
        format!(
            "dry run: `campaign end` would stop claims on `{}` now ({}); nothing was changed",
            view.campaign.id,
            inventory_summary(view)
        )
    } else {
        "dry run: already ended, `campaign end` would change nothing".to_owned()
    };
    format!("{}\n\n{verdict}", campaign_table(view))
}

/// When claims stop (or stopped): the planned end, or an operator's earlier `campaign end`.
fn end_of(c: &Campaign) -> DateTime<Utc> {
    c.ended_at
        .map_or(c.window.ends_at, |ended| ended.min(c.window.ends_at))
}

/// The `ends` row: the end as [`end_of`] has it, and who ended it early.
fn ends(c: &Campaign, now: DateTime<Utc>) -> String {
    let end = end_of(c);
    let text = when(end, now, "ends", "ended");
    if end < c.window.ends_at {
        format!("{text}, by an operator")
    } else {
        text
    }
}

/// The longest name `campaign list` shows; longer ones end in `…` (status shows them whole).
const LIST_NAME_CHARS: usize = 20;

/// Campaigns as one short line each, to fit 80 columns: `campaign status` has the details.
pub(crate) fn campaigns_table(views: &[CampaignView], filtered: bool) -> String {
    if views.is_empty() {
        return if filtered {
            "no campaigns in that state".to_owned()
        } else {
            "no campaigns yet: create one with `flashsale campaign create`".to_owned()
        };
    }
    let now = now();
    let mut t = table();
    t.set_header(header(&["id", "name", "state", "left", "off", "ends"]));
    for view in views {
        let c = &view.campaign;
        let name = if c.name.chars().count() > LIST_NAME_CHARS {
            let head: String = c.name.chars().take(LIST_NAME_CHARS - 1).collect();
            format!("{}…", head.trim_end())
        } else {
            c.name.clone()
        };
        t.add_row(vec![
            c.id.to_string(),
            name,
            view.state.to_string(),
            format!("{}/{}", c.remaining(), c.total()),
            c.rule.percent.to_string(),
            relative(end_of(c), now),
        ]);
    }
    render(t)
}

/// A claim as a two-column table.
/// The amounts carry the campaign's currency when it is known (`None`: the campaign could not
/// be read after the claim was stored, and the claim is still shown).
pub(crate) fn claim_table(outcome: &ClaimOutcome, currency: Option<&Currency>) -> String {
    let c = outcome.claim();
    let amount = |cents: Cents| match currency {
        Some(currency) => money(cents, currency),
        None => cents.to_string(),
    };
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
        ("discount", amount(c.discount)),
        ("cart", amount(c.cart)),
        (
            "claimed",
            format!(
                "{} ({})",
                local(c.claimed_at),
                relative(c.claimed_at, now())
            ),
        ),
    ])
}

/// A claim as it is held, as a two-column table: what `claim show` and `claim void` print.
pub(crate) fn claim_record_table(c: &Claim) -> String {
    let now = now();
    let mut rows = vec![
        ("campaign", c.campaign_id.to_string()),
        ("user", c.user_id.to_string()),
        ("token", c.token.to_string()),
        ("status", c.status.to_string()),
        ("discount", money(c.discount, &c.currency)),
        ("cart", money(c.cart, &c.currency)),
        (
            "claimed",
            format!("{} ({})", local(c.claimed_at), relative(c.claimed_at, now)),
        ),
        (
            "expires",
            c.expires_at.map_or_else(
                || "never (no hold)".to_owned(),
                |at| when(at, now, "expires", "expired"),
            ),
        ),
    ];
    if let Some(r) = &c.redemption {
        rows.extend([
            ("order", r.order_id.to_string()),
            (
                "redeemed",
                format!(
                    "{} ({})",
                    local(r.redeemed_at),
                    relative(r.redeemed_at, now)
                ),
            ),
            ("checkout cart", money(r.cart, &c.currency)),
            ("checkout discount", money(r.discount, &c.currency)),
        ]);
    }
    key_values(&rows)
}

/// A redemption's answer: the outcome, then the claim.
pub(crate) fn redemption_table(outcome: &Transition) -> String {
    let verdict = match outcome {
        Transition::Changed(_) => "redeemed".to_owned(),
        Transition::Replayed(_) => {
            "replayed (this order already redeemed the token; nothing changed)".to_owned()
        }
    };
    format!(
        "{}\n{}",
        key_values(&[("outcome", verdict)]),
        claim_record_table(outcome.claim())
    )
}

/// What `claim void` prints: the claim, and a last line when it was voided already.
pub(crate) fn voided_table(outcome: &Transition) -> String {
    let table = claim_record_table(outcome.claim());
    if outcome.replayed() {
        format!("{table}\n\nunchanged: the claim was already voided; nothing was written")
    } else {
        table
    }
}

/// What `claim void --dry-run` prints: the claim, then what voiding it would do.
pub(crate) fn void_preview(c: &Claim, voidable: bool) -> String {
    let verdict = if voidable {
        format!(
            "dry run: `claim void` would void this claim and return its unit to `{}`; nothing \
             was changed",
            c.campaign_id
        )
    } else {
        format!(
            "dry run: the claim is {}, so `claim void` would change nothing",
            c.status
        )
    };
    format!("{}\n\n{verdict}", claim_record_table(c))
}

/// What `inventory remove --dry-run` prints.
pub(crate) fn remove_preview(view: &CampaignView, units: Units) -> String {
    format!(
        "{}\n\ndry run: `inventory remove` would take {units} units off sale (if no claim \
         holds them); nothing was changed",
        inventory_table(view)
    )
}

/// What `inventory expire` prints: how many claims expired, then the inventory.
pub(crate) fn expired_table(view: &CampaignView, expired: u64) -> String {
    format!(
        "{}\n{}",
        key_values(&[("expired", format!("{expired} claims"))]),
        inventory_table(view)
    )
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
