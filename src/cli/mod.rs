//! The `flashsale` operator CLI: clap definitions, prompts, tables, JSON and exit codes.
//!
//! Nothing below this module knows about clap, comfy-table, indicatif or dialoguer. The flow
//! is atuin's: parse, handle the commands that need no store, then let each subcommand check
//! its arguments *before* it asks [`Context::store`] to open the store, so that invalid input
//! never creates or touches a store.

mod campaign;
mod claim;
mod completions;
mod confirm;
mod doctor;
mod events;
mod export;
mod hint;
mod html;
mod inventory;
mod jwt;
mod man;
mod out_file;
mod output;
mod parse;
mod sale_report;
mod serve;
mod settings;
mod simulate;
mod simulate_page;
mod watch;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::sync::OnceCell;

use crate::clock::SystemClock;
use crate::domain::Invalid;
use crate::error::{Error, ErrorKind};
use crate::service::{CampaignService, ClaimService};
use crate::store::{AnyStore, OpenMode, StoreUrl};
use output::OutputFormat;
pub(crate) use settings::{Settings, actor};

/// `--help`'s list of exit codes, rendered from [`ErrorKind`]: the code, what it means, and
/// the `kind` of the JSON error document.
fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:");
    // The kinds' column starts two spaces after the longest meaning.
    let width = ErrorKind::ALL
        .iter()
        .map(|kind| kind.help().chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let mut row = |code: u8, meaning: &str, kind: &str| {
        let line = format!("{code:>5}  {meaning:<width$}{kind}");
        let _ = write!(text, "\n{}", line.trim_end());
    };
    row(0, "ok (claimed or replayed)", "");
    for kind in ErrorKind::ALL {
        row(kind.exit_code(), kind.help(), kind.as_str());
    }
    text
}

/// What `flashsale --help` shows after the commands: a few first steps, then the exit codes.
fn top_level_after_help() -> String {
    format!("{TOP_EXAMPLES}\n\n{}", exit_codes_help())
}

/// First steps, each example one whole command line shorter than 80 columns (clap would
/// otherwise wrap it mid-command).
const TOP_EXAMPLES: &str = "\
Examples:
  flashsale campaign create --name 'Spring sale' --inventory 500 \\
      --percent-off 15 --max-discount 20 --duration 2h
  flashsale campaign list --state live
  flashsale claim --campaign spring --user ana@example.com --cart 64.90
  flashsale -o json campaign status spring";

/// The heading the flags every command takes are listed under, apart from its own.
const GLOBAL: &str = "Global options";

/// Claim flash-sale discounts without ever overselling.
#[derive(Debug, Parser)]
#[command(
    name = "flashsale",
    version,
    after_help = exit_codes_help(),
    after_long_help = top_level_after_help(),
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// Where campaigns and claims live (`sqlite:PATH` or `mongodb://HOST/DB`).
    #[arg(
        help = "Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB \
                [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]",
        long,
        global = true,
        help_heading = GLOBAL,
        env = "FLASHSALE_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    store: Option<String>,

    /// How to print results: `table` for people, `json` for scripts (one document, errors too).
    // The value is hidden: clap would otherwise print `[env: FLASHSALE_OUTPUT=]` when unset.
    #[arg(
        short = 'o',
        long,
        global = true,
        help_heading = GLOBAL,
        env = "FLASHSALE_OUTPUT",
        hide_env_values = true,
        value_enum,
        default_value_t = OutputFormat::Table
    )]
    output: OutputFormat,

    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Create, inspect, list, pause, resume, extend and end campaigns.
    #[command(subcommand, after_long_help = campaign::EXAMPLES)]
    Campaign(campaign::CampaignCmd),
    /// Claim a discount for a user; show, redeem, void or export claims.
    Claim(claim::ClaimArgs),
    /// Show, restock, remove, expire and reconcile a campaign's inventory.
    #[command(subcommand, after_long_help = inventory::EXAMPLES)]
    Inventory(inventory::InventoryCmd),
    /// Print the audit log: who changed which campaign, claim or inventory, and when.
    Events(events::EventsArgs),
    /// Fire N concurrent users at a campaign and prove the store kept every invariant.
    Simulate(simulate::SimulateArgs),
    /// Print a shell completion script to stdout.
    #[command(after_long_help = completions::EXAMPLES)]
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) of flashsale or one of its commands to stdout.
    #[command(after_long_help = man::EXAMPLES)]
    Man(man::ManArgs),
    /// Mint JWTs for tests and demos (no store needed).
    #[command(subcommand, after_long_help = jwt::EXAMPLES)]
    Jwt(jwt::JwtCmd),
    /// Serve the claim flow as an HTTP API (shoppers authenticate with JWTs).
    Serve(serve::ServeArgs),
    /// Check that the store is set up right: ok / warn / fail per check; exit 1 on a fail.
    Doctor(doctor::DoctorArgs),
}

/// A usage mistake the parser cannot see (e.g. a missing field without a terminal).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// The operator pressed Ctrl-C, or SIGTERM arrived, before the work it names (e.g. "the
/// simulation") finished.
#[derive(Debug, thiserror::Error)]
#[error("interrupted before {0} finished")]
pub(crate) struct Interrupted(pub(crate) &'static str);

/// What every subcommand gets: the output format and the store, opened on first use.
pub(crate) struct Context {
    /// The chosen output format.
    output: OutputFormat,
    /// Settings read from the environment.
    settings: Settings,
    store_url: StoreUrl,
    /// Whether the command may create the store: only `campaign create` and a simulation
    /// that creates its own campaign do; every other command needs an existing store.
    mode: OpenMode,
    store: OnceCell<AnyStore>,
}

impl Context {
    /// Reads the settings and the store URL; opens nothing yet.
    fn new(store: Option<&str>, output: OutputFormat, mode: OpenMode) -> anyhow::Result<Context> {
        let settings = Settings::from_env()?;
        let (store_url, mode) = match store {
            Some(url) => (url.parse::<StoreUrl>().map_err(Error::from)?, mode),
            // Nobody typed the default location, so its folders cannot be a typo: they are
            // made on first use. A typed path's folder must exist.
            None => (
                StoreUrl::default_location().map_err(Error::from)?,
                match mode {
                    OpenMode::Create => OpenMode::CreateWithFolders,
                    other => other,
                },
            ),
        };
        Ok(Context {
            output,
            settings,
            store_url,
            mode,
            store: OnceCell::new(),
        })
    }

    /// The store, opened on the first call (and created, when the command may create it:
    /// said once on stderr, never on stdout, so JSON mode still prints one document).
    async fn store(&self) -> anyhow::Result<&AnyStore> {
        self.store
            .get_or_try_init(|| async {
                let store = AnyStore::open_as(&self.store_url, self.settings.mongo, self.mode)
                    .await
                    .map_err(Error::from)
                    .with_context(|| format!("opening store {}", self.store_url))?;
                if store.created() {
                    eprintln!("created a new store at {}", self.store_url);
                }
                Ok(store)
            })
            .await
    }

    /// Closes the store if a command opened it, before the runtime shuts down (see
    /// [`AnyStore::close`]).
    async fn close(&self) {
        if let Some(store) = self.store.get() {
            store.close().await;
        }
    }

    /// A campaign service over the store.
    async fn campaigns(&self) -> anyhow::Result<CampaignService<AnyStore, SystemClock>> {
        Ok(CampaignService::new(
            self.store().await?.clone(),
            SystemClock,
        ))
    }

    /// A claim service over the store.
    async fn claims(&self) -> anyhow::Result<ClaimService<AnyStore, SystemClock>> {
        Ok(ClaimService::new(self.store().await?.clone(), SystemClock))
    }

    /// Prints `json` in JSON mode, else `table`.
    fn emit(&self, json: &serde_json::Value, table: impl FnOnce() -> String) -> anyhow::Result<()> {
        match self.output {
            OutputFormat::Json => output::print_json(json)?,
            OutputFormat::Table => output::print(&table())?,
        }
        Ok(())
    }
}

impl Cli {
    /// Parses `args`. Help and version print and exit 0; a usage error is reported like any
    /// other error (one JSON document in JSON mode) and exits 2.
    fn parse_from_args(args: impl IntoIterator<Item = OsString>) -> Result<Cli, ExitCode> {
        let args: Vec<OsString> = args.into_iter().collect();
        Cli::try_parse_from(&args).map_err(|err| {
            if !err.use_stderr() {
                // --help / --version: clap prints them to stdout and they are not failures.
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            let output = requested_output(&args);
            // A missing subcommand (`--output json campaign`) renders the whole help as the
            // "error", whose first paragraph is the command's description: a script gets one
            // line naming what is missing instead, wherever `--output` stands.
            let missing = matches!(
                err.kind(),
                clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    | clap::error::ErrorKind::MissingSubcommand
            );
            if output == OutputFormat::Json && missing {
                let message = missing_subcommand(&args);
                return report(
                    &anyhow::Error::new(UsageError(message)),
                    output,
                    JsonLayout::Pretty,
                );
            }
            let rendered = err.render().to_string();
            // clap quotes the offending value whole: a 100 kB argument would make a 100 kB
            // message, so such errors get the short one-line form below in table mode too.
            let quotes_huge_value = rendered.lines().any(|line| line.len() > MAX_MESSAGE_CHARS);
            if output == OutputFormat::Table && !quotes_huge_value {
                // clap's own rendering keeps the usage line and suggestions for a person.
                let _ = err.print();
                return ExitCode::from(ErrorKind::InvalidInput.exit_code());
            }
            // The first paragraph is the message; clap's usage lines follow it on a terminal.
            let first = rendered.split("\n\n").next().unwrap_or_default();
            let message = first
                .trim_start_matches("error: ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            report(
                &anyhow::Error::new(UsageError(clip(&message))),
                output,
                JsonLayout::Pretty,
            )
        })
    }
}

/// "`flashsale campaign` needs a subcommand: create, ...", for the deepest command `args`
/// name.
fn missing_subcommand(args: &[OsString]) -> String {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut path = vec![command.get_name().to_owned()];
    for arg in args.iter().skip(1).filter_map(|a| a.to_str()) {
        let Some(sub) = command.find_subcommand(arg).cloned() else {
            continue;
        };
        path.push(sub.get_name().to_owned());
        command = sub;
    }
    let choices = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(clap::Command::get_name)
        .filter(|name| *name != "help")
        .collect::<Vec<_>>()
        .join(", ");
    format!("`{}` needs a subcommand: one of {choices}", path.join(" "))
}

/// The longest usage message shown; longer ones are cut (they quote hostile input).
const MAX_MESSAGE_CHARS: usize = 300;

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters, marked with an ellipsis when cut.
fn clip(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let head: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{head}…")
}

/// The output format asked for, read without clap (which just refused the arguments).
fn requested_output(args: &[OsString]) -> OutputFormat {
    let mut json = std::env::var("FLASHSALE_OUTPUT").is_ok_and(|v| v == "json");
    for pair in args.windows(2) {
        if pair[0] == "--output" || pair[0] == "-o" {
            json = pair[1] == "json";
        }
    }
    for arg in args {
        let value = arg.to_str().and_then(|a| {
            a.strip_prefix("--output=")
                .or_else(|| a.strip_prefix("-o=").or_else(|| a.strip_prefix("-o")))
        });
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            json = value == "json";
        }
    }
    if json {
        OutputFormat::Json
    } else {
        OutputFormat::Table
    }
}

/// The whole command line: parse `args`, run, report any error; returns the exit code.
pub(crate) async fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::parse_from_args(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let output = cli.output;
    // `events` prints JSON lines, so its closing error (`interrupted` after `--follow`) must be
    // one line too: a reader that parses the stream line by line would choke on a pretty one.
    let layout = if matches!(cli.command, Command::Events(_)) {
        JsonLayout::Line
    } else {
        JsonLayout::Pretty
    };
    match run(cli).await {
        Ok(code) => code,
        Err(err) => report(&err, output, layout),
    }
}

/// How an error document is laid out in JSON mode: like the command's other output.
#[derive(Clone, Copy)]
enum JsonLayout {
    /// One pretty document, as every single-answer command prints.
    Pretty,
    /// One line, for a command whose output is JSON lines.
    Line,
}

/// Runs a parsed command line and returns its exit code: success, or an outcome that is not an
/// error but still fails (simulate's report of a broken invariant).
///
/// Ctrl-C or SIGTERM ends any command with [`Interrupted`] (exit 130). Serve stops gracefully
/// instead (exit 0); simulate listens itself,
/// because it must remove the campaign it created before it returns.
///
/// # Errors
/// Any failure, with context; [`report`] turns it into a message and an exit code.
async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = match cli.command {
        Command::Completions(args) => return completions::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Man(args) => return man::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Jwt(cmd) => {
            return jwt::run(&cmd, cli.output, &Settings::from_env()?).map(|()| ExitCode::SUCCESS);
        }
        Command::Campaign(campaign::CampaignCmd::Create(_)) => {
            Context::new(cli.store.as_deref(), cli.output, OpenMode::Create)?
        }
        Command::Simulate(ref args) if args.creates_campaign() => {
            Context::new(cli.store.as_deref(), cli.output, OpenMode::Create)?
        }
        _ => Context::new(cli.store.as_deref(), cli.output, OpenMode::Existing)?,
    };
    // Simulate and serve listen for Ctrl-C themselves: one must clean up, the other must
    // finish the requests in flight and exit 0.
    let own_signals = matches!(cli.command, Command::Simulate(_) | Command::Serve(_));
    let command = dispatch(cli.command, &ctx);
    let result = if own_signals {
        command.await
    } else {
        tokio::select! {
            // Listening first, so that the handler is in place before any command starts (a
            // prompt blocks its thread, and raises SIGINT itself when Ctrl-C is typed).
            biased;
            () = shutdown_requested() => Err(Interrupted("the command").into()),
            result = command => result,
        }
    };
    // Interrupted or not, the store is closed before the runtime shuts down (see
    // `AnyStore::close`).
    ctx.close().await;
    result
}

/// Resolves when the operator or an orchestrator asks the process to stop: Ctrl-C (SIGINT)
/// or, on Unix, SIGTERM (what CI timeouts, `kill` and container runtimes send). Both end a
/// command the same way: its clean-up runs, exit 130 and, in JSON mode, one `interrupted`
/// document. The handlers are installed on the first poll.
pub(crate) async fn shutdown_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C alone; a failure to listen ends the command, as
    // before, rather than leaving it unstoppable.
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs one command that needs the store, on `ctx`.
async fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
    match command {
        Command::Campaign(cmd) => done(campaign::run(cmd, ctx).await),
        Command::Claim(args) => done(claim::run(args, ctx).await),
        Command::Inventory(cmd) => done(inventory::run(cmd, ctx).await),
        Command::Simulate(args) => simulate::run(args, ctx).await,
        Command::Serve(args) => done(serve::run(args, ctx).await),
        Command::Doctor(args) => doctor::run(args, ctx).await,
        Command::Events(args) => done(events::run(args, ctx).await),
        // Answered in `run` before a context exists.
        Command::Completions(_) | Command::Man(_) | Command::Jwt(_) => Ok(ExitCode::SUCCESS),
    }
}

/// Prints `err` (to stderr, or as one JSON document on stdout in JSON mode), with the flag or
/// variable that fixes it when there is one, and returns its kind's exit code.
fn report(err: &anyhow::Error, output: OutputFormat, layout: JsonLayout) -> ExitCode {
    let kind = kind_of(err);
    let message = match hint::hint(err) {
        Some(hint) => format!("{err:#}: {hint}"),
        None => format!("{err:#}"),
    };
    // With stdout closed a JSON document would vanish: the error goes where it is seen.
    let output = if output::stdout_closed() {
        OutputFormat::Table
    } else {
        output
    };
    match output {
        OutputFormat::Json => {
            let document = crate::json::error_json(kind, &message);
            // When stdout itself is what failed (a full disk), the error must still be seen.
            let printed = match layout {
                JsonLayout::Pretty => output::print_json(&document),
                JsonLayout::Line => output::print(&document.to_string()),
            };
            if printed.is_err() {
                print_error(&message);
            }
        }
        OutputFormat::Table => print_error(&message),
    }
    ExitCode::from(kind.exit_code())
}

/// Prints `error: message` to stderr, `error` in bold red when stderr is a terminal and
/// `NO_COLOR` is unset.
fn print_error(message: &str) {
    const ERROR: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();
    anstream::eprintln!("{ERROR}error{ERROR:#}: {message}");
}

/// The kind of the first error in the chain that has one.
fn kind_of(err: &anyhow::Error) -> ErrorKind {
    for cause in err.chain() {
        if cause.is::<Interrupted>() {
            return ErrorKind::Interrupted;
        }
        if let Some(err) = cause.downcast_ref::<Error>() {
            return err.kind();
        }
        if cause.is::<UsageError>() || cause.is::<Invalid>() {
            return ErrorKind::InvalidInput;
        }
    }
    ErrorKind::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
