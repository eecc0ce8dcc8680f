//! `flashsale events`: the audit log, oldest first, and with `--follow` as it grows.

use clap::Args;

use super::{Context, OutputFormat, output, parse};
use crate::domain::{CampaignId, Event, EventQuery};

/// Arguments of `events`.
#[derive(Debug, Args)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct EventsArgs {
    /// Only this campaign's events.
    #[arg(long, value_name = "ID")]
    campaign: Option<String>,
    /// Only events at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339")]
    since: Option<String>,
    /// Keep printing new events as they are written, until Ctrl-C or SIGTERM (exit 130).
    #[arg(long)]
    follow: bool,
}

/// Examples of `flashsale events --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale events --campaign spring
  flashsale events --since 2026-11-27T08:00:00Z
  flashsale -o json events --follow | jq -c 'select(.action == \"claim.voided\")'

With -o json, one JSON document per event per line: {seq, at, actor, campaign_id, action, \
details}. The actor is FLASHSALE_ACTOR, or the operating system's user name.";

/// Events read per store call: a page, so memory stays flat however long the log is.
const PAGE: usize = 500;

/// How often `--follow` asks the store for new events.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs `events`: every matching event, oldest first; with `--follow`, then every new one
/// until the command is interrupted (the caller turns Ctrl-C and SIGTERM into exit 130).
pub(crate) async fn run(args: EventsArgs, ctx: &Context) -> anyhow::Result<()> {
    let campaign = args
        .campaign
        .as_deref()
        .map(CampaignId::parse)
        .transpose()?;
    let now = crate::clock::Clock::now(&crate::clock::SystemClock);
    let since = args
        .since
        .as_deref()
        .map(|text| parse::instant(text, "--since", now, false))
        .transpose()?;
    let campaigns = ctx.campaigns().await?;
    if let Some(id) = &campaign {
        // An unknown campaign is an error, not an empty log: a typo must not look like quiet.
        campaigns.status(id).await?;
    }
    let mut query = EventQuery {
        campaign,
        after_seq: 0,
        since,
        limit: PAGE,
    };
    loop {
        let page = campaigns.events(&query).await?;
        for event in &page {
            query.after_seq = query.after_seq.max(event.seq);
            if !print_event(ctx, event)? {
                // The reader went away (`| head`): done, and not an error.
                return Ok(());
            }
        }
        if page.len() == PAGE {
            continue;
        }
        if !args.follow {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Prints one event: a JSON line in JSON mode, a line of columns for a person otherwise.
/// `false` when stdout's reader has gone away.
fn print_event(ctx: &Context, event: &Event) -> anyhow::Result<bool> {
    let line = match ctx.output {
        OutputFormat::Json => crate::json::event_json(event).to_string(),
        OutputFormat::Table => format!(
            "{:>6}  {}  {}  {}  {}  {}",
            event.seq,
            output::rfc3339(event.at),
            event.actor,
            event.campaign_id,
            event.action,
            event.details
        ),
    };
    Ok(output::print_line(&line)?)
}
