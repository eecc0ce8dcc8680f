//! `flashsale campaign create | status | list | end | pause | resume | extend | report | watch`.

use std::fmt::Write as _;
use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use rand::Rng as _;

use crate::clock::{Clock as _, SystemClock};

use super::confirm::ConfirmArgs;
use super::{Context, Interrupted, UsageError, output, parse};
use crate::domain::{
    Amount, BucketWidth, CampaignChange, CampaignId, CampaignState, Cents, Currency, Ends, Invalid,
    NewCampaign, Percent, Units, rfc3339,
};
use crate::service::{Acted, CampaignView};

/// Campaign subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CampaignCmd {
    /// Create a campaign (prompts for missing fields on a terminal).
    #[command(after_long_help = CREATE_EXAMPLES)]
    Create(Box<CreateArgs>),
    /// Show one campaign and its state now.
    #[command(after_long_help = STATUS_EXAMPLES)]
    Status(IdArgs),
    /// List every campaign, oldest first.
    #[command(after_long_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Stop a campaign now: no new claims are accepted (existing claims still replay).
    #[command(after_long_help = END_EXAMPLES)]
    End(EndArgs),
    /// Pause a campaign: new claims are refused until it resumes (replays and redeems work).
    #[command(after_long_help = PAUSE_EXAMPLES)]
    Pause(IdArgs),
    /// Resume a paused campaign: claims are accepted again inside its window.
    #[command(after_long_help = RESUME_EXAMPLES)]
    Resume(IdArgs),
    /// Move a campaign's end later (never earlier).
    #[command(after_long_help = EXTEND_EXAMPLES)]
    Extend(ExtendArgs),
    /// The post-sale report: claims, redemptions, money, the sold-out instant, claims per
    /// second or minute; `--html FILE` also writes a page with charts.
    #[command(after_long_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Watch a running sale, read from the store every second: units left, claims per
    /// second, redemptions, voids, expiries, when it sells out. Full screen on a terminal;
    /// one line (or, with `-o json`, one JSON document) per read otherwise.
    #[command(after_long_help = WATCH_EXAMPLES)]
    Watch(super::watch::WatchArgs),
}

const WATCH_EXAMPLES: &str = "\
Examples:
  flashsale campaign watch spring
  flashsale campaign watch --all
  flashsale campaign watch spring --interval 5s --ticks 3 | tee spring.log
  flashsale -o json campaign watch spring --ticks 10";

const REPORT_EXAMPLES: &str = "\
Examples:
  flashsale campaign report spring
  flashsale campaign report spring --per minute
  flashsale campaign report spring --html spring-report.html
  flashsale -o json campaign report spring";

/// Arguments of `campaign report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    id: String,
    /// The timeline's bucket: claims per second (a rush) or per minute (a sale of hours).
    #[arg(long, value_enum, default_value_t = Per::Second)]
    per: Per,
    /// Also write the report to FILE as one self-contained HTML page with charts (no script,
    /// nothing fetched: it opens offline).
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
}

/// The width of `campaign report`'s buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Per {
    /// One bucket per second.
    Second,
    /// One bucket per minute.
    Minute,
}

/// Examples of `flashsale campaign --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale campaign create --name 'Spring sale' --inventory 500 \\
      --percent-off 15 --max-discount 20 --duration 2h
  flashsale campaign list
  flashsale campaign status spring
  flashsale campaign pause spring
  flashsale campaign resume spring
  flashsale campaign extend spring --duration 30m
  flashsale campaign end spring
  flashsale campaign report spring --html spring-report.html";

const PAUSE_EXAMPLES: &str = "\
Examples:
  flashsale campaign pause spring
  flashsale campaign resume spring";

const RESUME_EXAMPLES: &str = PAUSE_EXAMPLES;

const EXTEND_EXAMPLES: &str = "\
Examples:
  flashsale campaign extend spring --duration 30m          # the end moves 30 minutes later
  flashsale campaign extend bf-2030 --ends-at 2030-11-29T22:00:00Z";

const STATUS_EXAMPLES: &str = "\
Examples:
  flashsale campaign status spring
  flashsale -o json campaign status spring";

const LIST_EXAMPLES: &str = "\
Examples:
  flashsale campaign list
  flashsale campaign list --state live
  flashsale -o json campaign list --state ended";

const END_EXAMPLES: &str = "\
Examples:
  flashsale campaign end spring             # on a terminal: asks first
  flashsale campaign end spring --dry-run   # what would change; changes nothing
  flashsale campaign end spring --yes       # scripts: no question";

const CREATE_EXAMPLES: &str = "\
Examples:
  flashsale campaign create --name 'Spring sale' --inventory 500 \\
      --percent-off 15 --max-discount 20 --min-cart 50 --duration 2h
  flashsale campaign create --id bf-2030 --name 'Black Friday' \\
      --inventory 10000 --percent-off 12.5 --max-discount 30 \\
      --starts-at 2030-11-29T08:00:00Z --ends-at 2030-11-29T20:00:00Z
  flashsale campaign create --name 'Checkout hold' --inventory 100 \\
      --percent-off 10 --max-discount 5 --duration 2h --hold 15m
  flashsale campaign create   # on a terminal: asks for each field";

/// Arguments of `campaign create`. Money is a decimal in the currency's own decimal places
/// (`500` yen, `20.00` euros, `1.250` dinars).
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Campaign name (1 to 200 characters).
    #[arg(long)]
    name: Option<String>,
    /// Units on sale (how many claims can succeed).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    inventory: Option<String>,
    /// Percent off the cart, in (0, 100], e.g. 15 or 12.5.
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    percent_off: Option<String>,
    /// Cap on one discount, e.g. 20.00.
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    max_discount: Option<String>,
    /// Smallest eligible cart [default: 0].
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    min_cart: Option<String>,
    /// Currency code [default: EUR].
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Campaign id, a slug of [a-z0-9-]{1,64} [default: derived from the name].
    #[arg(long, value_name = "SLUG")]
    id: Option<String>,
    /// When claims open: RFC 3339 time or `now` [default: now].
    #[arg(long, value_name = "RFC3339|now")]
    starts_at: Option<String>,
    /// When claims close: RFC 3339 time.
    #[arg(long, value_name = "RFC3339", conflicts_with = "duration")]
    ends_at: Option<String>,
    /// How long claims stay open after the start, e.g. 30m, 2h, 1d, 1h30m.
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// How long a claim holds its unit before it must be redeemed, e.g. 15m; an unredeemed
    /// claim then expires and its unit returns [default: no hold, claims never expire].
    #[arg(long, value_name = "DURATION")]
    hold: Option<String>,
}

/// Arguments of `campaign extend`.
#[derive(Debug, Args)]
pub(crate) struct ExtendArgs {
    /// The campaign id.
    id: String,
    /// The new end: an RFC 3339 time after the current end.
    #[arg(
        long,
        value_name = "RFC3339",
        conflicts_with = "duration",
        required_unless_present = "duration"
    )]
    ends_at: Option<String>,
    /// How much later the campaign ends, e.g. 30m or 1h.
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
}

/// Arguments of `campaign end`.
#[derive(Debug, Args)]
pub(crate) struct EndArgs {
    /// The campaign id.
    id: String,
    #[command(flatten)]
    confirm: ConfirmArgs,
}

/// Arguments of `campaign list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only the campaigns in this state now.
    #[arg(long, value_enum)]
    state: Option<StateFilter>,
}

/// A campaign state, as `--state` takes it (the JSON names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StateFilter {
    /// Before its start.
    Scheduled,
    /// Accepting claims.
    Live,
    /// Stopped by an operator until resumed, before or inside its window.
    Paused,
    /// Inside its window, no unit left.
    #[value(name = "sold_out", alias = "sold-out")]
    SoldOut,
    /// Past its end, or ended by an operator.
    Ended,
}

impl StateFilter {
    fn state(self) -> CampaignState {
        match self {
            StateFilter::Scheduled => CampaignState::Scheduled,
            StateFilter::Live => CampaignState::Live,
            StateFilter::Paused => CampaignState::Paused,
            StateFilter::SoldOut => CampaignState::SoldOut,
            StateFilter::Ended => CampaignState::Ended,
        }
    }
}

/// A campaign id argument.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// The campaign id.
    id: String,
}

/// Runs a campaign subcommand.
pub(crate) async fn run(cmd: CampaignCmd, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        CampaignCmd::Create(args) => {
            let actor = super::actor()?;
            let (new, now) = complete(*args)?;
            // Checked here too, before the store is opened: a refused campaign must not create
            // or touch a store (the service checks again with its own clock).
            new.clone().validate(now)?;
            let acted = ctx.campaigns().await?.create(new, &actor).await?;
            emit_acted(ctx, &acted)
        }
        CampaignCmd::Status(IdArgs { id }) => {
            let id = CampaignId::parse(&id)?;
            let view = ctx.campaigns().await?.status(&id).await?;
            ctx.emit(&output::campaign_json(&view), || {
                output::campaign_table(&view)
            })
        }
        CampaignCmd::List(ListArgs { state }) => {
            let mut views = ctx.campaigns().await?.list().await?;
            if let Some(state) = state {
                views.retain(|view| view.state == state.state());
            }
            let json = serde_json::Value::Array(views.iter().map(output::campaign_json).collect());
            ctx.emit(&json, || output::campaigns_table(&views, state.is_some()))
        }
        CampaignCmd::End(args) => end(args, ctx).await,
        CampaignCmd::Pause(IdArgs { id }) => {
            let id = CampaignId::parse(&id)?;
            let actor = super::actor()?;
            let acted = ctx.campaigns().await?.pause(&id, &actor).await?;
            emit_acted(ctx, &acted)
        }
        CampaignCmd::Resume(IdArgs { id }) => {
            let id = CampaignId::parse(&id)?;
            let actor = super::actor()?;
            let acted = ctx.campaigns().await?.resume(&id, &actor).await?;
            emit_acted(ctx, &acted)
        }
        CampaignCmd::Extend(ExtendArgs {
            id,
            ends_at,
            duration,
        }) => {
            let id = CampaignId::parse(&id)?;
            let actor = super::actor()?;
            let change = match (ends_at, duration) {
                (Some(text), _) => CampaignChange::Extend {
                    ends_at: parse::instant(&text, "--ends-at", SystemClock.now(), false)?,
                },
                (None, Some(text)) => CampaignChange::ExtendBy(parse::duration(&text)?),
                (None, None) => {
                    return Err(UsageError("missing --ends-at or --duration".into()).into());
                }
            };
            let acted = ctx.campaigns().await?.change(&id, &change, &actor).await?;
            emit_acted(ctx, &acted)
        }
        CampaignCmd::Watch(args) => super::watch::run(args, ctx).await,
        CampaignCmd::Report(ReportArgs { id, per, html }) => {
            let id = CampaignId::parse(&id)?;
            let width = match per {
                Per::Second => BucketWidth::Second,
                Per::Minute => BucketWidth::Minute,
            };
            let (report, state) = ctx.campaigns().await?.report(&id, width).await?;
            let mut json = super::sale_report::json(&report, state);
            if let Some(path) = &html {
                super::sale_report::write_html(&report, state, path)?;
                json["html"] = path.display().to_string().into();
            }
            ctx.emit(&json, || {
                let mut text = super::sale_report::table(&report, state);
                if let Some(path) = &html {
                    let _ = write!(text, "\nwrote {}", path.display());
                }
                text
            })
        }
    }
}

/// `campaign end`: asks first on a terminal (not for an ended campaign, which it leaves as it
/// is), previews with `--dry-run`.
async fn end(EndArgs { id, confirm }: EndArgs, ctx: &Context) -> anyhow::Result<()> {
    let id = CampaignId::parse(&id)?;
    let actor = super::actor()?;
    confirm.check("`campaign end`")?;
    let campaigns = ctx.campaigns().await?;
    let view = campaigns.status(&id).await?;
    // The same decision the real command makes, on the campaign as it reads now.
    let would = campaigns.preview(&id, &CampaignChange::End).await?;
    if confirm.dry_run {
        let json = serde_json::json!({
            "dry_run": true,
            "changed": would.changed,
            "would_end": would.changed,
            "campaign": output::campaign_json(&view),
        });
        return ctx.emit(&json, || output::end_preview(&view, would.changed));
    }
    // Ending an ended campaign changes nothing, so it needs no question.
    if would.changed {
        confirm.confirm(&format!(
            "End campaign `{id}` now? It is {}; no new claims will be accepted",
            output::inventory_summary(&view)
        ))?;
    }
    let acted = campaigns.end(&id, &actor).await?;
    emit_acted(ctx, &acted)
}

/// Prints what an operator's action on a campaign came to: the campaign, and whether the
/// action changed it (`"changed": false` for an action already in effect).
fn emit_acted(ctx: &Context, acted: &Acted<CampaignView>) -> anyhow::Result<()> {
    ctx.emit(&crate::json::acted_campaign_json(acted), || {
        output::acted_table(acted)
    })
}

/// Turns the flags into a [`NewCampaign`] and the instant "now" meant, prompting for missing
/// fields when stdin and stderr are terminals; without a terminal a missing field is a usage
/// error. After prompts, the operator confirms a summary, and "now" is read only then, so
/// that time spent answering does not shorten the sale.
fn complete(mut args: CreateArgs) -> anyhow::Result<(NewCampaign, DateTime<Utc>)> {
    let missing: Vec<&str> = [
        ("--name", args.name.is_none()),
        ("--inventory", args.inventory.is_none()),
        ("--percent-off", args.percent_off.is_none()),
        ("--max-discount", args.max_discount.is_none()),
        (
            "--ends-at or --duration",
            args.ends_at.is_none() && args.duration.is_none(),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, missing)| missing.then_some(flag))
    .collect();
    if !missing.is_empty() {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            return Err(UsageError(format!(
                "missing {} (no terminal to ask on)",
                missing.join(", ")
            ))
            .into());
        }
        prompt_missing(&mut args)?;
        // The answers are checked together (e.g. the end after the start) before the question.
        let preview = build(&args, SystemClock.now(), false)?;
        preview.clone().validate(SystemClock.now())?;
        anstream::eprintln!("{}", summary(&args, &preview));
        if !super::confirm::ask("Create?", true)? {
            return Err(UsageError("not confirmed: nothing was created".to_owned()).into());
        }
    }
    let now = SystemClock.now();
    Ok((build(&args, now, true)?, now))
}

/// What the operator is asked to confirm after the prompts.
fn summary(args: &CreateArgs, new: &NewCampaign) -> String {
    let money = |cents: Cents| {
        format!(
            "{} {}",
            cents.shown_in(&new.currency),
            new.currency.as_str()
        )
    };
    let starts = new
        .starts_at
        .map_or_else(|| "now (when you confirm)".to_owned(), rfc3339);
    let ends = match (new.ends, &args.duration) {
        (Ends::At(at), _) => rfc3339(at),
        (Ends::After(_), Some(duration)) => format!("{duration} after the start"),
        (Ends::After(duration), None) => format!("{}s after the start", duration.num_seconds()),
    };
    let rows = [
        ("id", new.id.to_string()),
        ("name", new.name.clone()),
        ("inventory", format!("{} units", new.inventory)),
        (
            "discount",
            format!("{} off, at most {}", new.percent, money(new.max_discount)),
        ),
        ("minimum cart", money(new.min_cart)),
        ("starts", starts),
        ("ends", ends),
    ];
    let mut text = String::from("\nThe campaign:");
    for (key, value) in rows {
        let _ = write!(text, "\n  {key:<13}{value}");
    }
    text
}

/// The campaign the flags and answers describe, "now" being `now`. `flags` says whether the
/// fields came from flags (named in errors as `--starts-at`) or could have been answers.
fn build(args: &CreateArgs, now: DateTime<Utc>, flags: bool) -> anyhow::Result<NewCampaign> {
    let (start_field, end_field) = if flags {
        ("--starts-at", "--ends-at")
    } else {
        ("start", "end")
    };
    // Each required field was either given or prompted for.
    let field = |value: &Option<String>| value.clone().unwrap_or_default();
    let name = field(&args.name);
    // "now" (or no start) is left to the store's clock, the instant the campaign is created.
    let starts_at = match args.starts_at.as_deref() {
        None | Some("now") => None,
        Some(text) => Some(parse::instant(text, start_field, now, true)?),
    };
    let ends = match (&args.ends_at, &args.duration) {
        (Some(text), _) => Ends::At(parse::instant(text, end_field, now, false)?),
        (None, Some(text)) => Ends::After(parse::duration(text)?),
        (None, None) => return Err(UsageError("missing --ends-at or --duration".into()).into()),
    };
    let id = match &args.id {
        Some(id) => CampaignId::parse(id)?,
        None => CampaignId::from_name(&name, &random_suffix()),
    };
    // The amounts are read in the currency's own decimal places, so the currency comes first.
    let currency = args
        .currency
        .as_deref()
        .map_or_else(|| Ok(Currency::default()), Currency::parse)?;
    Ok(NewCampaign {
        id,
        name,
        inventory: parse_inventory(&field(&args.inventory))?,
        percent: field(&args.percent_off).parse::<Percent>()?,
        max_discount: parse_max_discount(&field(&args.max_discount))?.in_currency(&currency)?,
        min_cart: args.min_cart.as_deref().map_or(Ok(Cents::ZERO), |m| {
            Amount::parse_named(m, "min cart")?.in_currency(&currency)
        })?,
        currency,
        starts_at,
        ends,
        hold: args.hold.as_deref().map(parse::hold).transpose()?,
    })
}

/// Parses a unit count, so a prompt can refuse a bad answer at once.
fn parse_inventory(text: &str) -> Result<Units, Invalid> {
    Units::parse_named(text, "inventory")
}

/// Parses the cap on one discount, which must be more than zero, so a prompt can refuse a bad
/// answer at once (the currency's decimal places are checked once it is known).
fn parse_max_discount(text: &str) -> Result<Amount, Invalid> {
    let cap = Amount::parse_named(text, "max discount")?;
    if cap.is_positive() {
        Ok(cap)
    } else {
        Err(Invalid::new("max discount", "must be more than 0"))
    }
}

/// Six random characters that keep ids derived from the same name apart.
fn random_suffix() -> String {
    const SLUG_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(SLUG_CHARS[rng.random_range(0..SLUG_CHARS.len())]))
        .collect()
}

/// Asks for every field no flag gave: the required ones, then the optional ones with their
/// defaults shown (Enter keeps the default). A refused answer names the field, not a flag.
fn prompt_missing(args: &mut CreateArgs) -> anyhow::Result<()> {
    use dialoguer::Input;
    fn ask<T: Send>(
        prompt: &str,
        default: Option<String>,
        check: impl Fn(&String) -> Result<T, Invalid>,
    ) -> anyhow::Result<String> {
        let mut input = Input::<String>::new().with_prompt(prompt);
        if let Some(default) = default {
            input = input.default(default).show_default(true);
        }
        input
            .validate_with(|text: &String| check(text).map(|_| ()).map_err(|err| err.to_string()))
            .interact_text()
            .map_err(|err| match err {
                // A prompt reads a raw terminal: Ctrl-C arrives as a key, an interrupted read.
                dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
                    Interrupted("the command").into()
                }
                err @ dialoguer::Error::IO(_) => err.into(),
            })
    }
    if args.name.is_none() {
        args.name = Some(ask("Name", None, |t| {
            if t.trim().is_empty() {
                Err(Invalid::new("name", "must not be empty"))
            } else {
                Ok(())
            }
        })?);
    }
    if args.id.is_none() {
        let derived =
            CampaignId::from_name(args.name.as_deref().unwrap_or_default(), &random_suffix());
        args.id = Some(ask("Id", Some(derived.to_string()), |t| {
            CampaignId::parse(t)
        })?);
    }
    if args.inventory.is_none() {
        args.inventory = Some(ask("Inventory (units)", None, |t| parse_inventory(t))?);
    }
    if args.percent_off.is_none() {
        args.percent_off = Some(ask("Percent off (e.g. 15 or 12.5)", None, |t| {
            t.parse::<Percent>()
        })?);
    }
    if args.max_discount.is_none() {
        args.max_discount = Some(ask("Max discount (e.g. 20.00)", None, |t| {
            parse_max_discount(t)
        })?);
    }
    if args.min_cart.is_none() {
        args.min_cart = Some(ask("Minimum cart", Some("0.00".to_owned()), |t| {
            Amount::parse_named(t, "min cart")
        })?);
    }
    if args.currency.is_none() {
        args.currency = Some(ask(
            "Currency",
            Some(Currency::default().as_str().to_owned()),
            |t| Currency::parse(t),
        )?);
    }
    if args.starts_at.is_none() {
        args.starts_at = Some(ask(
            "Start (RFC 3339 time, or now)",
            Some("now".to_owned()),
            |t| parse::instant(t, "start", SystemClock.now(), true),
        )?);
    }
    if args.ends_at.is_none() && args.duration.is_none() {
        args.duration = Some(ask("Duration (e.g. 30m, 2h)", None, |t| {
            parse::duration_named(t, "duration")
        })?);
    }
    Ok(())
}
