//! `flashsale simulate`: fire N concurrent users at a campaign, then prove from the store that
//! nothing oversold, nothing was handed out twice and nothing was left unsold.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use futures::FutureExt as _;
use indicatif::{ProgressBar, ProgressStyle};

use super::jwt::SecretArgs;
use super::out_file::OutFile;
use super::{Context, Interrupted, OutputFormat, Settings, hint, output, parse};
use crate::Error;
use crate::auth::AuthError;
use crate::clock::SystemClock;
use crate::domain::{Amount, CampaignId, Currency, Hold, Invalid, Units};
use crate::simulate::{
    self, Arrivals, CartRange, HttpTarget, Identities, IdentityKind, Load, Progress, Report,
    Simulator,
};

const EXAMPLES: &str = "\
Examples:
  flashsale simulate --users 10000 --inventory 1000 --tabs 3 --duplicate-ratio 0.2
  flashsale simulate --users 500 --like spring --cart-min 20 --cart-max 80 --seed 7
  flashsale --output json simulate --users 10000 --inventory 1000 --seed 1   # CI
  flashsale simulate --users 10000 --inventory 1000 --jwt   # time token verification too
  flashsale --store sqlite:shop.db simulate --users 10000 --inventory 1000 \\
      --target http://127.0.0.1:8080   # through `flashsale serve` on that store
  flashsale simulate --users 20000 --inventory 5000 --arrivals burst:1s --html sale.html

--arrivals runs an open loop: each shopper starts at its own instant, whether or not the
earlier ones have finished, as real shoppers do (at most 100000 in flight; a shopper due
while that many are in flight starts late, and the report says how late). Shopper i of N
arrives at DURATION x F^-1(i/N): uniform spreads them evenly; burst is the opening rush, the
rate highest at the start and falling linearly to nothing at DURATION (three quarters arrive
in the first half); ramp rises linearly from nothing (a quarter arrive in the first half).

Without --campaign, a fresh live campaign is created (10 % off, at most 5.00, carts from
20.00, open for an hour) and removed afterwards unless --keep. --like ID rehearses on a
throw-away copy of campaign ID's rule and remaining inventory instead (ID is only read).
With --campaign, the users claim that live campaign's real units: it asks first on a
terminal and needs --yes otherwise; --inventory is refused there.
Exit 8 when an invariant is violated; the report says which and with what numbers.";

/// Arguments of `simulate`.
#[derive(Debug, Args)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct SimulateArgs {
    /// Simulated users, each a concurrent task with its own user id.
    #[arg(long, value_name = "N")]
    users: u64,
    /// Units of the campaign to create (required unless --campaign).
    #[arg(
        long,
        value_name = "I",
        required_unless_present_any = ["campaign", "like"],
        conflicts_with_all = ["campaign", "like"]
    )]
    inventory: Option<i64>,
    /// Concurrent requests (tabs) a duplicating user sends before one retry.
    #[arg(long, value_name = "T", default_value_t = simulate::DEFAULT_TABS)]
    tabs: u32,
    /// Share of users, from 0 to 1, who send tabs and a retry.
    #[arg(
        long,
        value_name = "R",
        default_value_t = simulate::DEFAULT_DUPLICATE_RATIO,
        allow_hyphen_values = true
    )]
    duplicate_ratio: f64,
    /// Share of users, from 0 to 1, who redeem their claim at checkout (a third of them retry
    /// the same order, a third try a second order).
    #[arg(
        long,
        value_name = "R",
        default_value_t = simulate::DEFAULT_REDEEM_RATIO,
        allow_hyphen_values = true
    )]
    redeem_ratio: f64,
    /// Share of users, from 0 to 1, whose claim an operator voids during the run (racing
    /// their redemption); each then claims again and must get the voided claim back.
    #[arg(
        long,
        value_name = "R",
        default_value_t = simulate::DEFAULT_VOID_RATIO,
        allow_hyphen_values = true
    )]
    void_ratio: f64,
    /// Users in flight at once (a closed loop: each starts when another finishes).
    #[arg(long, value_name = "C", default_value_t = simulate::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// An open loop instead: the users arrive over DURATION, each starting at its instant
    /// whether or not earlier ones finished. KIND is uniform (evenly), burst (most at the
    /// opening, thinning out) or ramp (rising); e.g. burst:1s, uniform:10s, ramp:30s.
    #[arg(long, value_name = "KIND:DURATION", conflicts_with = "concurrency")]
    arrivals: Option<String>,
    /// Also write the report as a self-contained HTML page with charts over the run (requests
    /// and outcomes, latency, offered and completed users, remaining units). Replaced whole;
    /// a symbolic link or a directory is refused.
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Seed of the users' carts and tabs; the report shows it so a run can be repeated
    /// [default: random].
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Claim from this existing live campaign instead of creating one: spends its real units
    /// (asks first; --yes for scripts). Prefer --like.
    #[arg(long, value_name = "ID", conflicts_with = "like")]
    campaign: Option<String>,
    /// Rehearse on a throw-away copy of this campaign's rule and remaining inventory (the
    /// campaign itself is only read; the copy is removed unless --keep).
    #[arg(long, value_name = "ID")]
    like: Option<String>,
    /// With --campaign: spend the campaign's units without asking.
    #[arg(long, requires = "campaign")]
    yes: bool,
    /// Smallest cart drawn, e.g. 10.00 (with --cart-max) [default: 10.00].
    #[arg(long, value_name = "MONEY", requires = "cart_max")]
    cart_min: Option<String>,
    /// Largest cart drawn, e.g. 150.00 (with --cart-min) [default: 150.00].
    #[arg(long, value_name = "MONEY", requires = "cart_min")]
    cart_max: Option<String>,
    /// Keep the campaign the simulation created (it is removed by default).
    #[arg(long, conflicts_with = "campaign")]
    keep: bool,
    /// Give the created campaign a hold, e.g. 2s: unredeemed claims expire that long after
    /// they were made, and the simulated operator's sweeps return their units during the run
    /// [default: no hold]. --like copies its campaign's hold.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["campaign", "like"])]
    hold: Option<String>,
    /// Claim through JWTs: each user gets one HS256 token, minted before its first request,
    /// and every request (each tab and the retry) verifies it; the report times verification.
    /// Signed with `FLASHSALE_JWT_SECRET` or `--jwt-secret-file` when given, else with a
    /// random key that exists only in this process.
    #[arg(long)]
    jwt: bool,
    /// Claim through a running `flashsale serve` at this URL (http://HOST:PORT) instead of in
    /// this process: one keep-alive HTTP client pool, one JWT per user signed with the
    /// server's key (`FLASHSALE_JWT_SECRET` or `--jwt-secret-file`); the users' redemptions and
    /// claims again after a void go to the server too. `--store` must name the server's store:
    /// the audit reads it, and the simulated operator's voids and sweeps write to it.
    #[arg(long, value_name = "URL")]
    target: Option<String>,
    /// Key settings for --jwt.
    #[command(flatten)]
    key: SecretArgs,
}

impl SimulateArgs {
    /// Whether the simulation creates its own campaign (and so may create the store).
    pub(super) fn creates_campaign(&self) -> bool {
        self.campaign.is_none() && self.like.is_none()
    }
}

/// Which campaign the users claim from.
enum Target {
    Create {
        inventory: Units,
        hold: Option<Hold>,
        keep: bool,
    },
    Like {
        model: CampaignId,
        keep: bool,
    },
    Existing(CampaignId),
}

/// The cart range as typed, read in the campaign's currency once it is known.
type TypedCarts = Option<(Amount, Amount)>;

/// Turns the flags into a load and a target, checking everything before any store is touched;
/// the carts, whose decimal places depend on the campaign's currency, are checked as decimals
/// here and converted by [`carts_in`].
fn plan(args: &SimulateArgs) -> Result<(Load, Target, TypedCarts), Invalid> {
    let typed = match (&args.cart_min, &args.cart_max) {
        (Some(min), Some(max)) => Some((
            Amount::parse_named(min, "--cart-min")?,
            Amount::parse_named(max, "--cart-max")?,
        )),
        _ => None,
    };
    let carts = CartRange::default();
    let load = Load {
        users: args.users,
        tabs: args.tabs,
        duplicate_ratio: args.duplicate_ratio,
        concurrency: args.concurrency,
        seed: args.seed.unwrap_or_else(rand_seed),
        carts,
        redeem_ratio: args.redeem_ratio,
        void_ratio: args.void_ratio,
        arrivals: args
            .arrivals
            .as_deref()
            .map(|text| Arrivals::parse(text, "--arrivals"))
            .transpose()?,
        max_in_flight: simulate::MAX_IN_FLIGHT,
    };
    load.validate().map_err(hint::name_load_flag)?;
    let target = match (&args.campaign, &args.like, args.inventory) {
        (Some(id), _, _) => Target::Existing(CampaignId::parse(id)?),
        (None, Some(model), _) => Target::Like {
            model: CampaignId::parse(model)?,
            keep: args.keep,
        },
        (None, None, inventory) => Target::Create {
            inventory: Units::new(inventory.unwrap_or(0))
                .map_err(|err| Invalid::new("--inventory", err.reason))?,
            hold: args.hold.as_deref().map(parse::hold).transpose()?,
            keep: args.keep,
        },
    };
    Ok((load, target, typed))
}

/// Sets `load`'s carts to the typed range in the currency of the campaign `target` runs on
/// (read before anything is created, so a range the currency cannot hold creates nothing).
async fn carts_in(
    ctx: &Context,
    target: &Target,
    typed: TypedCarts,
    load: &mut Load,
) -> anyhow::Result<()> {
    use crate::store::Store as _;
    let Some((min, max)) = typed else {
        return Ok(());
    };
    let currency = match target {
        Target::Existing(id) | Target::Like { model: id, .. } => ctx
            .store()
            .await?
            .campaign(id)
            .await?
            .map_or_else(Currency::default, |campaign| campaign.currency),
        Target::Create { .. } => Currency::default(),
    };
    load.carts = CartRange {
        min: min.in_currency(&currency)?,
        max: max.in_currency(&currency)?,
    };
    load.validate().map_err(hint::name_load_flag)?;
    Ok(())
}

fn rand_seed() -> u64 {
    // Seeds below 2^53 survive a round trip through any JSON reader (JavaScript included).
    rand::random::<u64>() >> 11
}

/// Runs `simulate`: exit 0 when every invariant held, 8 (after printing the report) when one
/// did not, 130 on Ctrl-C or SIGTERM.
pub(crate) async fn run(args: SimulateArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    // Listening from the start: Ctrl-C or SIGTERM while the store opens or the campaign is created ends
    // the run as soon as it starts, and the campaign is still removed.
    let mut interrupted = std::pin::pin!(super::shutdown_requested());
    if interrupted.as_mut().now_or_never().is_some() {
        return Err(Interrupted("the simulation").into());
    }
    let (mut load, target, typed) = plan(&args)?;
    let server = args
        .target
        .as_deref()
        .map(HttpTarget::parse)
        .transpose()
        .map_err(|err| Invalid::new("--target", err.reason))?;
    // Before the store is opened: a bad key is a usage error that must touch nothing.
    if !args.jwt && server.is_none() && ctx.settings.require_jwt() {
        return Err(Error::from(AuthError::SimulationWithoutJwt).into());
    }
    let identities = identities(&args, &target, server.is_some(), &ctx.settings)?;
    let actor = super::actor()?;
    // Before the store is opened: a page that cannot be written is a usage error that runs
    // nothing. Dropped unwritten (an interruption, an error), it leaves nothing behind.
    let page = args
        .html
        .as_deref()
        .map(|path| OutFile::open(path, "--html"))
        .transpose()?;
    carts_in(ctx, &target, typed, &mut load).await?;
    let mut simulator = Simulator::new(ctx.store().await?.clone(), SystemClock)
        .with_identities(identities)
        .acting_as(actor);
    if let Some(server) = server {
        simulator = simulator.through(server);
    }
    if matches!(target, Target::Existing(_)) {
        // Anyone may claim on a real campaign while the run is under way.
        simulator = simulator.sharing_the_campaign();
    }
    let (campaign, remove) = match target {
        Target::Existing(id) => {
            confirm_spending(ctx, &id, load.users, args.yes).await?;
            (id, false)
        }
        Target::Like { model, keep } => {
            let service = ctx.campaigns().await?;
            let model = service.status(&model).await?;
            (
                simulator
                    .create_campaign_like(&model.campaign)
                    .await
                    .context("creating the rehearsal's campaign")?,
                !keep,
            )
        }
        Target::Create {
            inventory,
            hold,
            keep,
        } => (
            simulator
                .create_campaign(inventory, hold)
                .await
                .context("creating the simulation's campaign")?,
            !keep,
        ),
    };

    let progress = Arc::new(Progress::default());
    let bar = progress_bar(load.users, &progress);
    let outcome = tokio::select! {
        report = simulator.run(&load, &campaign, Arc::clone(&progress)) => Some(report),
        () = interrupted => None,
    };
    if let Some((bar, ticker)) = bar {
        ticker.abort();
        bar.finish_and_clear();
    }

    // Clean up whatever happened: an interrupted or failed run leaves no campaign behind.
    if remove {
        simulator
            .remove_campaign(&campaign)
            .await
            .with_context(|| format!("removing the simulation's campaign `{campaign}`"))?;
    }
    let Some(report) = outcome else {
        return Err(Interrupted("the simulation").into());
    };
    let report = report?;

    let verdict = (!report.passed).then(|| {
        let broken = report.invariants.broken().chain(report.checks.failed());
        Error::InvariantViolation(broken.collect::<Vec<_>>().join(", "))
    });
    emit(ctx, &report, !remove, page.zip(args.html.as_deref()))?;
    let Some(violation) = verdict else {
        return Ok(ExitCode::SUCCESS);
    };
    // In JSON mode the report is the one document; a person also reads the verdict on stderr.
    if ctx.output == OutputFormat::Table {
        super::print_error(&violation.to_string());
    }
    Ok(ExitCode::from(violation.kind().exit_code()))
}

/// Prints the report, after writing its page when one was asked for.
fn emit(
    ctx: &Context,
    report: &Report,
    kept: bool,
    page: Option<(OutFile, &std::path::Path)>,
) -> anyhow::Result<()> {
    let mut json = report_json(report, kept);
    let written = match page {
        Some((file, path)) => {
            file.write_whole(super::simulate_page::page(report, kept).as_bytes())?;
            Some(path.display().to_string())
        }
        None => None,
    };
    if let Some(path) = &written {
        json["html"] = path.clone().into();
    }
    ctx.emit(&json, || {
        let mut text = report_table(report, kept);
        if let Some(path) = &written {
            let _ = write!(text, "\nwrote {path}");
        }
        text
    })
}

/// How the simulated users prove who they are: through a server, tokens of its own key; with
/// `--jwt`, tokens of the deployment's key or a throw-away one; else as the operator.
fn identities(
    args: &SimulateArgs,
    target: &Target,
    through_server: bool,
    settings: &Settings,
) -> anyhow::Result<Identities> {
    // Under the policy, a throw-away key may only sign for a throw-away campaign: its units
    // and claims exist for this run alone and are removed with it, and nothing outside the
    // process accepts the key. A real campaign (`--campaign`), or a run's campaign that
    // `--keep` leaves behind with its claims, needs the deployment's own key.
    let throwaway = matches!(
        target,
        Target::Create { keep: false, .. } | Target::Like { keep: false, .. }
    );
    Ok(if through_server {
        // The server verifies every token: only its own key signs tokens it accepts.
        Identities::jwt(args.key.signer(settings).map_err(Error::from)?)
    } else if args.jwt {
        Identities::jwt(
            args.key
                .signer_or_random(settings, throwaway || !settings.require_jwt())
                .map_err(Error::from)?,
        )
    } else {
        Identities::Operator
    })
}

/// Refuses to hand a real campaign's units to simulated users unless the operator agreed:
/// `--yes`, or "yes" at a prompt on a terminal. Says how many units the run may spend: one
/// per user at most, never more than are left. A campaign that is missing or not live spends
/// nothing, and the run reports why itself.
async fn confirm_spending(
    ctx: &Context,
    id: &CampaignId,
    users: u64,
    yes: bool,
) -> anyhow::Result<()> {
    use crate::store::Store as _;
    use std::io::IsTerminal as _;
    let Some(campaign) = ctx.store().await?.campaign(id).await? else {
        return Ok(());
    };
    let now = crate::clock::Clock::now(&SystemClock);
    if yes || campaign.state(now) != crate::domain::CampaignState::Live {
        return Ok(());
    }
    let may_spend = u64::try_from(campaign.remaining()).unwrap_or(0).min(users);
    let question = format!(
        "simulate may hand up to {may_spend} of campaign `{id}`'s {} remaining units to \
         simulated users, for good",
        campaign.remaining()
    );
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let agreed = dialoguer::Confirm::new()
            .with_prompt(format!("{question}. Go ahead?"))
            .default(false)
            .interact()
            .map_err(|err| anyhow::anyhow!("reading the confirmation: {err}"))?;
        if agreed {
            return Ok(());
        }
        return Err(super::UsageError(format!(
            "not confirmed: nothing was spent; `--like {id}` rehearses on a copy instead"
        ))
        .into());
    }
    Err(super::UsageError(format!(
        "{question}: pass `--yes` to allow it, or rehearse on a throw-away copy with \
         `--like {id}`"
    ))
    .into())
}

/// A bar on stderr, redrawn from the counters every 100 ms, only when a person watches.
fn progress_bar(
    users: u64,
    progress: &Arc<Progress>,
) -> Option<(ProgressBar, tokio::task::JoinHandle<()>)> {
    if !output::stderr_is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(users);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} users ({per_sec}) {msg}",
    ) {
        bar.set_style(style);
    }
    let (shown, progress) = (bar.clone(), Arc::clone(progress));
    let ticker = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            shown.set_position(progress.users_done());
            shown.set_message(format!(
                "{} requests, {} claimed",
                progress.requests(),
                progress.claimed()
            ));
        }
    });
    Some((bar, ticker))
}

/// The report as one JSON document (the contract's fields, plus `kept`).
fn report_json(report: &Report, kept: bool) -> serde_json::Value {
    let mut json = serde_json::to_value(report).unwrap_or_default();
    if let Some(fields) = json.as_object_mut() {
        fields.insert("kept".to_owned(), kept.into());
    }
    json
}

/// How many seconds the table lists before pointing at `-o json` and `--html`.
const TABLE_SECONDS: usize = 60;

/// The report as a table for a person: the summary, then the run second by second.
fn report_table(r: &Report, kept: bool) -> String {
    let mut rows = run_rows(r, kept);
    rows.extend(verdict_rows(r));
    let mut text = output::key_values(&rows);
    text.push_str("\n\n");
    text.push_str(&seconds_table(r));
    text
}

/// One row per second of the run: users offered (open loop), started and finished, answers,
/// latency percentiles of the answers in that second, and units left at its end.
fn seconds_table(r: &Report) -> String {
    let open = r.arrivals.is_some();
    let mut header = vec!["second"];
    if open {
        header.push("offered");
    }
    header.extend([
        "arrived",
        "done",
        "in flight",
        "requests",
        "claimed",
        "sold out",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "remaining",
    ]);
    let rows = r
        .per_second
        .iter()
        .take(TABLE_SECONDS)
        .map(|s| {
            let mut row = vec![s.second.to_string()];
            if open {
                row.push(s.offered.unwrap_or(0).to_string());
            }
            row.extend([
                s.arrived.to_string(),
                s.completed.to_string(),
                s.in_flight.to_string(),
                s.requests.to_string(),
                s.claimed.to_string(),
                s.sold_out.to_string(),
                s.errors.to_string(),
                s.latency_ms.p50.to_string(),
                s.latency_ms.p90.to_string(),
                s.latency_ms.p99.to_string(),
                s.latency_ms.max.to_string(),
                s.remaining.to_string(),
            ]);
            row
        })
        .collect();
    let mut text = output::rows_table(&header, rows);
    let more = r.per_second.len().saturating_sub(TABLE_SECONDS);
    if more > 0 {
        let _ = write!(
            text,
            "\n… {more} more seconds: see `-o json` or `--html FILE`"
        );
    }
    text
}

/// The report's rows about the run: what was sent, what came back, how fast.
#[expect(
    clippy::too_many_lines,
    reason = "one row per figure of the run, in the table's order"
)]
pub(super) fn run_rows(r: &Report, kept: bool) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        (
            "campaign",
            format!(
                "{} ({})",
                r.campaign_id,
                if kept { "kept" } else { "removed" }
            ),
        ),
        (
            "users",
            format!(
                "{} ({} eligible, {} with {} tabs and a retry; ids {}-N)",
                r.users, r.eligible_users, r.duplicate_users, r.tabs, r.user_prefix
            ),
        ),
        ("inventory", r.inventory.to_string()),
        ("seed", r.seed.to_string()),
        (
            "concurrency",
            match &r.arrivals {
                None => r.concurrency.to_string(),
                Some(_) => format!("open loop, at most {} in flight", r.concurrency),
            },
        ),
        ("requests", r.requests.to_string()),
        ("claimed", r.claimed.to_string()),
        ("replayed", r.replayed.to_string()),
        ("sold out", r.sold_out.to_string()),
        ("not eligible", r.not_eligible.to_string()),
        ("not live", r.not_live.to_string()),
        ("errors", r.errors.to_string()),
        (
            "redeemed",
            format!(
                "{} ({} retries replayed, {} refused as conflicts)",
                r.redeemed, r.redeem_replayed, r.redeem_conflicts
            ),
        ),
        (
            "voided",
            format!(
                "{} ({} refused: already redeemed)",
                r.voided, r.void_conflicts
            ),
        ),
        ("expired", r.expired.to_string()),
        ("lifecycle errors", r.lifecycle_errors.to_string()),
        (
            "duration",
            format!(
                "{} ms ({} requests/s); audit {} ms",
                r.duration_ms, r.requests_per_sec, r.audit_ms
            ),
        ),
        (
            "claim rate",
            format!(
                "{} claims/s over {} ms, from the first granted request to the last grant",
                r.claims_per_sec, r.claims_window_ms
            ),
        ),
        ("peak in flight", r.peak_in_flight.to_string()),
        (
            "latency",
            format!(
                "p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
                r.latency_ms.p50, r.latency_ms.p95, r.latency_ms.p99, r.latency_ms.max
            ),
        ),
        (
            "identity",
            match r.identity {
                IdentityKind::Operator => "operator (asserted, nothing verified)",
                IdentityKind::Jwt => "jwt (one token per user, verified on every request)",
            }
            .to_owned(),
        ),
    ];
    if let Some(a) = &r.arrivals {
        let mut text = format!(
            "{}:{}s ({} users/s offered on average; the latest started {} ms past its instant",
            a.shape.as_str(),
            a.over_ms / 1_000,
            a.offered_per_sec,
            a.max_lag_ms
        );
        if a.held_by_cap > 0 {
            let _ = write!(text, "; {} waited for a slot under the cap", a.held_by_cap);
        }
        text.push(')');
        let at = rows
            .iter()
            .position(|(key, _)| *key == "concurrency")
            .map_or(0, |i| i + 1);
        rows.insert(at, ("arrivals", text));
    }
    if let Some(url) = &r.target {
        rows.push(("target", url.clone()));
    }
    if let Some(statuses) = &r.http_status {
        let counts = statuses
            .iter()
            .map(|(status, n)| match status {
                0 => format!("no answer: {n}"),
                _ => format!("{status}: {n}"),
            })
            .collect::<Vec<_>>();
        rows.push(("http status", counts.join(", ")));
    }
    if let Some(v) = &r.identity_ms {
        rows.push((
            "jwt verification",
            format!(
                "p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
                v.p50, v.p95, v.p99, v.max
            ),
        ));
    }
    if let Some(g) = &r.group_commit {
        rows.push((
            "group commit",
            format!(
                "{} requests in {} transactions ({} per commit)",
                g.requests, g.commits, g.requests_per_commit
            ),
        ));
    }
    rows
}

/// The report's rows about the verdicts: what the store holds, each invariant, each check.
pub(super) fn verdict_rows(r: &Report) -> Vec<(&'static str, String)> {
    let verdict = |ok: bool| if ok { "ok" } else { "VIOLATED" };
    let i = &r.invariants;
    let mut rows = vec![
        (
            "store after",
            r.store_after.map_or_else(
                || "unreadable".to_owned(),
                |after| {
                    format!(
                        "{} claims ({} users, {} tokens), {} of {} remaining",
                        after.claims,
                        after.distinct_users,
                        after.distinct_tokens,
                        after.remaining,
                        after.total
                    )
                },
            ),
        ),
        ("no oversell", verdict(i.no_oversell).to_owned()),
        (
            "one claim per user",
            verdict(i.one_claim_per_user).to_owned(),
        ),
        (
            "replays consistent",
            verdict(i.replays_consistent).to_owned(),
        ),
        (
            "inventory conserved",
            verdict(i.inventory_conserved).to_owned(),
        ),
        ("no undersell", verdict(i.no_undersell).to_owned()),
        (
            "one status per claim",
            verdict(i.one_status_per_claim).to_owned(),
        ),
        ("redeemed once", verdict(i.redeemed_once).to_owned()),
        ("final after void", verdict(i.final_after_void).to_owned()),
        ("actions logged", verdict(i.actions_logged).to_owned()),
    ];
    if r.claims_by_others > 0 {
        rows.push(("claims by others", r.claims_by_others.to_string()));
    }
    let failed = r.checks.failed().collect::<Vec<_>>();
    rows.push((
        "run checks",
        if failed.is_empty() {
            "ok".to_owned()
        } else {
            format!("FAILED: {}", failed.join(", "))
        },
    ));
    if let Some(mb) = r.peak_rss_mb {
        rows.push(("peak memory", format!("{mb} MiB")));
    }
    rows.push((
        "result",
        if r.passed {
            "PASSED".to_owned()
        } else {
            format!("FAILED\n{}", r.violations.join("\n"))
        },
    ));
    rows
}
