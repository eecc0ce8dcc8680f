//! The `flashsale` operator CLI: clap definitions, prompts, tables, JSON and exit codes.
//!
//! Nothing below this module knows about clap, comfy-table, indicatif or dialoguer. The flow
//! is atuin's: parse, handle the commands that need no store, then let each subcommand check
//! its arguments *before* it asks [`Context::store`] to open the store, so that invalid input
//! never creates or touches a store.

pub mod campaign;
pub mod claim;
pub mod completions;
pub mod inventory;
pub mod jwt;
pub mod output;
pub mod parse;
pub mod simulate;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;
use tokio::sync::OnceCell;

use crate::Error;
use crate::auth::AuthError;
use crate::clock::SystemClock;
use crate::service::{CampaignService, ClaimService};
use crate::store::{AnyStore, MongoSettings, StoreUrl};
pub use output::OutputFormat;

const EXIT_CODES: &str = "\
Exit codes:
  0  ok (claimed or replayed)      5  not live (scheduled or ended)
  1  internal or store error       6  not eligible (cart below minimum)
  2  invalid input or usage        7  unauthenticated (bad or missing JWT)
  3  not found                     8  invariant violation (simulate)
  4  sold out";

/// Claim flash-sale discounts without ever overselling.
#[derive(Debug, Parser)]
#[command(name = "flashsale", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// Where campaigns and claims live (`sqlite:PATH` or `mongodb://HOST/DB`).
    #[arg(
        help = "Where campaigns and claims live: sqlite:PATH or mongodb://HOST/DB \
                [default: sqlite:DATA_DIR/flashsale/flashsale.db, e.g. ~/.local/share/flashsale/flashsale.db]",
        long,
        global = true,
        env = "FLASHSALE_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<String>,

    /// How to print results: `table` for people, `json` for scripts (one document, errors too).
    #[arg(long, global = true, env = "FLASHSALE_OUTPUT", value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, inspect, list and end campaigns.
    #[command(subcommand)]
    Campaign(campaign::CampaignCmd),
    /// Claim a discount for a user.
    Claim(claim::ClaimArgs),
    /// Show, restock and reconcile a campaign's inventory.
    #[command(subcommand)]
    Inventory(inventory::InventoryCmd),
    /// Fire N concurrent users at a campaign and prove the store kept every invariant.
    Simulate(simulate::SimulateArgs),
    /// Print a shell completion script to stdout.
    Completions(completions::CompletionsArgs),
    /// Mint JWTs for tests and demos (no store needed).
    #[command(subcommand)]
    Jwt(jwt::JwtCmd),
}

/// Settings that come only from the environment, read once in [`run`]: secrets never come
/// from a flag's value, and a security policy is not a flag a caller could leave out.
#[derive(Default, Clone)]
pub struct Settings {
    /// The HS256 secret (`FLASHSALE_JWT_SECRET`), as bytes.
    jwt_secret: Option<Vec<u8>>,
    /// Whether claims must carry a JWT (`FLASHSALE_REQUIRE_JWT=1`).
    require_jwt: bool,
    /// How a `MongoDB` store is opened (`FLASHSALE_MONGODB_TIMEOUT_MS`).
    mongo: MongoSettings,
}

/// Never shows the secret.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("require_jwt", &self.require_jwt)
            .field("mongo", &self.mongo)
            .finish()
    }
}

impl Settings {
    /// Reads `FLASHSALE_JWT_SECRET`, `FLASHSALE_REQUIRE_JWT` and
    /// `FLASHSALE_MONGODB_TIMEOUT_MS`.
    ///
    /// # Errors
    /// [`Invalid`](crate::domain::Invalid) when `FLASHSALE_REQUIRE_JWT` is neither on nor off
    /// (a mistyped policy must not silently fall back to the permissive default), or the
    /// timeout is not a whole number of milliseconds from 1 to 600000.
    pub fn from_env() -> Result<Self, crate::domain::Invalid> {
        let mut settings = Self::from_values(
            std::env::var_os("FLASHSALE_JWT_SECRET"),
            std::env::var_os("FLASHSALE_REQUIRE_JWT").as_deref(),
        )?;
        if let Some(text) = std::env::var_os("FLASHSALE_MONGODB_TIMEOUT_MS") {
            settings.mongo.operation_timeout = mongo_timeout(&text)?;
        }
        Ok(settings)
    }

    fn from_values(
        secret: Option<OsString>,
        require: Option<&std::ffi::OsStr>,
    ) -> Result<Self, crate::domain::Invalid> {
        let require_jwt = match require.map(std::ffi::OsStr::to_str) {
            None | Some(Some("" | "0" | "false" | "no")) => false,
            Some(Some("1" | "true" | "yes")) => true,
            Some(_) => {
                return Err(crate::domain::Invalid::new(
                    "FLASHSALE_REQUIRE_JWT",
                    "must be 1 (require a JWT for claims) or 0",
                ));
            }
        };
        Ok(Settings {
            jwt_secret: secret.map(OsString::into_encoded_bytes),
            require_jwt,
            mongo: MongoSettings::default(),
        })
    }

    /// Whether claims must carry a JWT.
    #[must_use]
    pub fn require_jwt(&self) -> bool {
        self.require_jwt
    }
}

/// Parses `FLASHSALE_MONGODB_TIMEOUT_MS`: a bound on each `MongoDB` operation, in milliseconds.
fn mongo_timeout(text: &std::ffi::OsStr) -> Result<std::time::Duration, crate::domain::Invalid> {
    text.to_str()
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|ms| (1..=600_000).contains(ms))
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| {
            crate::domain::Invalid::new(
                "FLASHSALE_MONGODB_TIMEOUT_MS",
                "must be a whole number of milliseconds from 1 to 600000",
            )
        })
}

/// A usage mistake the parser cannot see (e.g. a missing field without a terminal): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// An error whose JSON document the command already printed (simulate's report on a violated
/// invariant): [`report`] maps the exit code of the wrapped error and prints nothing more, so
/// stdout holds exactly one document.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AlreadyPrinted(#[source] pub Error);

/// The operator pressed Ctrl-C: exit 130, the shell's convention for SIGINT.
#[derive(Debug, thiserror::Error)]
#[error("interrupted before the simulation finished")]
pub struct Interrupted;

/// What every subcommand gets: the output format and the store, opened on first use.
pub struct Context {
    /// The chosen output format.
    pub output: OutputFormat,
    /// Settings read from the environment.
    pub settings: Settings,
    store_url: StoreUrl,
    store: OnceCell<AnyStore>,
}

impl Context {
    /// The store, opened (and its schema created) on the first call.
    pub async fn store(&self) -> anyhow::Result<&AnyStore> {
        self.store
            .get_or_try_init(|| async {
                AnyStore::open_with(&self.store_url, self.settings.mongo)
                    .await
                    .map_err(Error::from)
                    .with_context(|| format!("opening store {}", self.store_url))
            })
            .await
    }

    /// A campaign service over the store.
    pub async fn campaigns(&self) -> anyhow::Result<CampaignService<AnyStore, SystemClock>> {
        Ok(CampaignService::new(
            self.store().await?.clone(),
            SystemClock,
        ))
    }

    /// A claim service over the store.
    pub async fn claims(&self) -> anyhow::Result<ClaimService<AnyStore, SystemClock>> {
        Ok(ClaimService::new(self.store().await?.clone(), SystemClock))
    }

    /// Prints `json` in JSON mode, else `table`.
    pub fn emit(
        &self,
        json: &serde_json::Value,
        table: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        match self.output {
            OutputFormat::Json => output::print_json(json)?,
            OutputFormat::Table => output::print(&table())?,
        }
        Ok(())
    }
}

impl Cli {
    /// Parses the process arguments. Help and version print and exit 0; a usage error is
    /// reported like any other error (one JSON document in JSON mode) and exits 2.
    pub fn parse_args() -> Result<Cli, ExitCode> {
        Self::parse_from_args(std::env::args_os())
    }

    /// [`Cli::parse_args`] over explicit arguments.
    pub fn parse_from_args(args: impl IntoIterator<Item = OsString>) -> Result<Cli, ExitCode> {
        let args: Vec<OsString> = args.into_iter().collect();
        Cli::try_parse_from(&args).map_err(|err| {
            if !err.use_stderr() {
                // --help / --version: clap prints them to stdout and they are not failures.
                let _ = err.print();
                return ExitCode::SUCCESS;
            }
            let output = requested_output(&args);
            let rendered = err.render().to_string();
            // clap quotes the offending value whole: a 100 kB argument would make a 100 kB
            // message, so such errors get the short one-line form below in table mode too.
            let quotes_huge_value = rendered.lines().any(|line| line.len() > MAX_MESSAGE_CHARS);
            if output == OutputFormat::Table && !quotes_huge_value {
                // clap's own rendering keeps the usage line and suggestions for a person.
                let _ = err.print();
                return ExitCode::from(2);
            }
            // The first paragraph is the message; clap's usage lines follow it on a terminal.
            let first = rendered.split("\n\n").next().unwrap_or_default();
            let message = first
                .trim_start_matches("error: ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            report(&anyhow::Error::new(UsageError(clip(&message))), output)
        })
    }
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
        if pair[0] == "--output" {
            json = pair[1] == "json";
        }
    }
    for arg in args {
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--output=")) {
            json = value == "json";
        }
    }
    if json {
        OutputFormat::Json
    } else {
        OutputFormat::Table
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// Any failure, with context; [`report`] turns it into a message and an exit code.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let settings = Settings::from_env()?;
    if let Command::Jwt(cmd) = &cli.command {
        return jwt::run(cmd, cli.output, &settings);
    }
    let store_url = match &cli.store {
        Some(url) => url.parse::<StoreUrl>().map_err(Error::from)?,
        None => StoreUrl::default_location().map_err(Error::from)?,
    };
    let ctx = Context {
        output: cli.output,
        settings,
        store_url,
        store: OnceCell::new(),
    };
    match cli.command {
        Command::Campaign(cmd) => campaign::run(cmd, &ctx).await,
        Command::Claim(args) => claim::run(args, &ctx).await,
        Command::Inventory(cmd) => inventory::run(cmd, &ctx).await,
        Command::Simulate(args) => simulate::run(args, &ctx).await,
        Command::Completions(_) | Command::Jwt(_) => Ok(()),
    }
}

/// Prints `err` (to stderr, or as one JSON document on stdout in JSON mode) and returns the
/// documented exit code.
pub fn report(err: &anyhow::Error, output: OutputFormat) -> ExitCode {
    let (code, kind) = classify(err);
    if output == OutputFormat::Json && err.downcast_ref::<AlreadyPrinted>().is_some() {
        return ExitCode::from(code);
    }
    let message = match auth_hint(err) {
        Some(hint) => format!("{err:#}: {hint}"),
        None => format!("{err:#}"),
    };
    match output {
        OutputFormat::Json => {
            let _ = output::print_json(&json!({"error": {"kind": kind, "message": message}}));
        }
        OutputFormat::Table => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            if colour {
                eprintln!("\x1b[1;31merror\x1b[0m: {message}");
            } else {
                eprintln!("error: {message}");
            }
        }
    }
    ExitCode::from(code)
}

/// How the operator fixes an authentication error with this CLI's flags and environment: the
/// library's message names only what failed.
fn auth_hint(err: &anyhow::Error) -> Option<&'static str> {
    let auth = err.chain().find_map(|cause| {
        cause
            .downcast_ref::<AuthError>()
            .or_else(|| match cause.downcast_ref::<Error>() {
                Some(Error::Unauthenticated(auth)) => Some(auth),
                _ => None,
            })
    })?;
    Some(match auth {
        AuthError::Missing => "pass `--jwt TOKEN` (or set FLASHSALE_JWT)",
        AuthError::JwtRequired => {
            "FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead of `--user`"
        }
        AuthError::SimulationWithoutJwt => "FLASHSALE_REQUIRE_JWT is set: pass `--jwt`",
        AuthError::NoKey => {
            "set FLASHSALE_JWT_SECRET, or pass `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`"
        }
        AuthError::WrongIssuer => "check FLASHSALE_JWT_ISSUER",
        AuthError::WrongAudience => "check FLASHSALE_JWT_AUDIENCE",
        _ => return None,
    })
}

/// The exit code and JSON kind of an error anywhere in the chain.
fn classify(err: &anyhow::Error) -> (u8, &'static str) {
    for cause in err.chain() {
        if cause.downcast_ref::<Interrupted>().is_some() {
            return (130, "internal");
        }
        if let Some(err) = cause.downcast_ref::<Error>() {
            return (err.exit_code(), err.kind());
        }
        if cause.downcast_ref::<UsageError>().is_some()
            || cause.downcast_ref::<crate::domain::Invalid>().is_some()
        {
            return (2, "invalid_input");
        }
    }
    (1, "internal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_jwt_policy_fails_closed_on_unknown_values() {
        let policy = |value: Option<&str>| {
            Settings::from_values(None, value.map(std::ffi::OsStr::new)).map(|s| s.require_jwt())
        };
        assert_eq!(policy(None), Ok(false));
        assert_eq!(policy(Some("0")), Ok(false));
        assert_eq!(policy(Some("1")), Ok(true));
        assert_eq!(policy(Some("true")), Ok(true));
        assert!(policy(Some("maybe")).is_err());
        assert!(policy(Some("on ")).is_err());
    }

    #[test]
    fn mongo_timeout_is_whole_milliseconds_in_range() {
        let parse = |t: &str| mongo_timeout(std::ffi::OsStr::new(t));
        assert_eq!(parse("1500"), Ok(std::time::Duration::from_millis(1500)));
        for bad in ["0", "-1", "1.5", "", "600001", "ten"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn settings_debug_never_shows_the_secret() {
        let settings = Settings::from_values(
            Some(OsString::from("hunter2-hunter2-hunter2-hunter2!")),
            None,
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
