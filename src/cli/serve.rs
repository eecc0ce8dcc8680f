//! `flashsale serve`: the HTTP API (see [`crate::http`]) on a listening address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use tokio::net::TcpListener;

use super::jwt::{SecretArgs, ServerKeys};
use super::{Context, OutputFormat, output, parse};
use crate::Error;
use crate::domain::Invalid;
use crate::http::{self, App, Limits};

/// Arguments of `serve`.
#[derive(Debug, Args)]
// One key at a time: the public-key example comes before the secret is exported, since a
// secret and a public key configured together are refused as ambiguous.
#[command(after_long_help = "Examples:\n  \
flashsale serve --jwt-public-key-file /etc/flashsale/issuer.pem --output json\n  \
export FLASHSALE_JWT_SECRET=\"$(openssl rand -hex 32)\"   # or an HS256 secret instead\n  \
flashsale serve --listen 0.0.0.0:8080")]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(
        long,
        env = "FLASHSALE_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    listen: String,
    /// PEM public key verifying shoppers' JWTs (RSA: RS256, EC P-256: ES256) instead of the
    /// secret.
    #[arg(
        long,
        env = "FLASHSALE_JWT_PUBLIC_KEY_FILE",
        value_name = "PATH",
        hide_env_values = true,
        conflicts_with = "jwt_secret_file"
    )]
    jwt_public_key_file: Option<PathBuf>,
    /// URL of the issuer's JSON Web Key Set (RS256, ES256 and `EdDSA` keys by `kid`), fetched at
    /// start and again when its Cache-Control max-age runs out or a token names an unknown
    /// `kid` (at most every 10s); the last good set is kept while the issuer is unreachable.
    #[arg(
        long,
        env = "FLASHSALE_JWKS_URL",
        value_name = "URL",
        conflicts_with_all = ["jwt_public_key_file", "jwt_secret_file"]
    )]
    jwks_url: Option<String>,
    /// JSON Web Key Set file verifying shoppers' JWTs (RS256, ES256 and `EdDSA` keys by `kid`),
    /// read at start.
    #[arg(
        long,
        env = "FLASHSALE_JWKS_FILE",
        value_name = "PATH",
        conflicts_with_all = ["jwt_public_key_file", "jwt_secret_file", "jwks_url"]
    )]
    jwks_file: Option<PathBuf>,
    /// Key settings for verifying shoppers' JWTs.
    #[command(flatten)]
    key: SecretArgs,
    /// Longest time one request may take before it is answered 503.
    #[arg(
        long,
        env = "FLASHSALE_REQUEST_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s"
    )]
    request_timeout: String,
    /// Longest time a client may take to send a request's headers (and then its body), or stay
    /// idle between requests, before it is disconnected.
    #[arg(
        long,
        env = "FLASHSALE_HEADER_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s"
    )]
    header_timeout: String,
    /// Requests served at once; more are answered 503 with Retry-After at once.
    #[arg(
        long,
        env = "FLASHSALE_MAX_IN_FLIGHT",
        value_name = "N",
        default_value_t = Limits::default().max_in_flight
    )]
    max_in_flight: usize,
    /// Connections open at once; more wait in the listen backlog until one closes.
    #[arg(
        long,
        env = "FLASHSALE_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = Limits::default().max_connections
    )]
    max_connections: usize,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish.
    #[arg(
        long,
        env = "FLASHSALE_GRACE",
        value_name = "DURATION",
        default_value = "30s"
    )]
    grace: String,
    /// How often claims past their campaign's hold are expired and their units returned
    /// (short against any sensible hold; each sweep is one query per campaign with a hold).
    #[arg(
        long,
        env = "FLASHSALE_EXPIRE_EVERY",
        value_name = "DURATION",
        default_value = "15s"
    )]
    expire_every: String,
    /// A web origin whose pages may call the API from the browser (`https://shop.example`),
    /// repeatable; none by default. In the variable, origins are separated by commas.
    #[arg(
        long = "cors-origin",
        env = "FLASHSALE_CORS_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// The log's format on stderr: `text`, or `json` (one JSON object per line). By default,
    /// `json` with `--output json` and `text` otherwise.
    #[arg(long, env = "FLASHSALE_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<LogFormat>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// For people: a time, a level and `key=value` fields.
    Text,
    /// For log pipelines: one JSON object per line.
    Json,
}

/// The environment variable that sets which log lines are written, in `tracing`'s filter
/// syntax: `warn` for warnings and errors only, `info` (the default) adds a line per request.
const LOG_FILTER_VAR: &str = "FLASHSALE_LOG";

/// The log filter `FLASHSALE_LOG` asks for, `info` when it is unset.
fn log_filter() -> Result<tracing_subscriber::EnvFilter, Invalid> {
    let text = std::env::var(LOG_FILTER_VAR).unwrap_or_default();
    let text = if text.trim().is_empty() {
        "info"
    } else {
        text.as_str()
    };
    tracing_subscriber::EnvFilter::builder()
        .parse(text)
        .map_err(|err| {
            Invalid::new(
                LOG_FILTER_VAR,
                format!(
                    "`{}` is not a log filter like `info`, `warn` or `flashsale=debug`: {err}",
                    crate::domain::shown(text)
                ),
            )
        })
}

/// The origins `--cors-origin` names, checked: `scheme://host[:port]` as a browser sends it in
/// `Origin`, or `*` for any.
fn cors_origins(origins: &[String]) -> Result<Vec<String>, Invalid> {
    origins
        .iter()
        .map(|origin| {
            let origin = origin.trim();
            let refused = || {
                Invalid::new(
                    "--cors-origin",
                    format!(
                        "`{}` is not an origin like https://shop.example or                          http://localhost:3000 (a scheme and a host, no path)",
                        crate::domain::shown(origin)
                    ),
                )
            };
            if origin == "*" {
                return Ok(origin.to_owned());
            }
            let (scheme, rest) = origin.split_once("://").ok_or_else(refused)?;
            let host_ok = !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if matches!(scheme, "http" | "https") && host_ok {
                Ok(origin.to_owned())
            } else {
                Err(refused())
            }
        })
        .collect()
}

fn seconds(text: &str, flag: &'static str) -> Result<Duration, Invalid> {
    let delta = parse::duration_named(text, flag)?;
    Ok(Duration::from_secs(delta.num_seconds().unsigned_abs()))
}

/// Runs `serve` until SIGTERM or Ctrl-C, then shuts down gracefully (exit 0).
pub(crate) async fn run(args: ServeArgs, ctx: &Context) -> anyhow::Result<()> {
    // The key first: without one, no shopper could ever be verified, so the server refuses to
    // start (exit 2) before it binds or opens anything.
    let keys = ServerKeys {
        public_key_file: args.jwt_public_key_file.clone(),
        jwks_file: args.jwks_file.clone(),
        jwks_url: args.jwks_url.clone(),
    };
    let verifier = args
        .key
        .server_verifier(&keys, &ctx.settings)
        .await
        .map_err(Error::from)?;
    let not_an_address = || {
        Invalid::new(
            "--listen",
            format!(
                "`{}` is not an address like 127.0.0.1:8080 or localhost:8080",
                crate::domain::shown(&args.listen)
            ),
        )
    };
    // An IP address as it is; a host name (`localhost:8080`) resolved, its first address taken.
    let listen: SocketAddr = match args.listen.parse() {
        Ok(address) => address,
        Err(_) => tokio::net::lookup_host(args.listen.as_str())
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .ok_or_else(not_an_address)?,
    };
    if args.max_in_flight == 0 {
        return Err(Invalid::new("--max-in-flight", "must be at least 1").into());
    }
    if args.max_connections == 0 {
        return Err(Invalid::new("--max-connections", "must be at least 1").into());
    }
    let limits = Limits {
        request_timeout: seconds(&args.request_timeout, "--request-timeout")?,
        header_timeout: seconds(&args.header_timeout, "--header-timeout")?,
        max_in_flight: args.max_in_flight,
        max_connections: args.max_connections,
        grace: seconds(&args.grace, "--grace")?,
    };
    let expire_every = seconds(&args.expire_every, "--expire-every")?;
    let cors = cors_origins(&args.cors_origins)?;
    let filter = log_filter()?;
    let log_format = args.log_format.unwrap_or(match ctx.output {
        OutputFormat::Json => LogFormat::Json,
        OutputFormat::Table => LogFormat::Text,
    });
    let actor = super::actor()?;
    // Held to the end of `run`: dropping it writes out the lines still queued.
    let (_log_writer, log_drops) = init_logging(log_format, filter);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let shutdown = shutdown_signal()?;
    let store = ctx.store().await?.clone();
    let app = App::new(store, verifier)
        .with_log_drops(move || u64::try_from(log_drops.dropped_lines()).unwrap_or(u64::MAX))
        .with_cors_origins(&cors);
    let transitions = app.transitions();
    // Live event streams never end by themselves: the shutdown ends them, so that they do
    // not hold it for the whole grace period.
    let close_streams = app.stream_closer();
    let shutdown = async move {
        shutdown.await;
        close_streams.close();
    };
    let router = http::router(app, &limits);
    // The one line on stdout: scripts and tests read the address (with port 0, the port).
    match ctx.output {
        OutputFormat::Json => output::print(&json!({"listening": bound.to_string()}).to_string())?,
        OutputFormat::Table => output::print(&format!("listening on http://{bound}"))?,
    }
    let (stop_sweep, stopped) = tokio::sync::watch::channel(false);
    let sweep = tokio::spawn(http::expire_periodically(
        ctx.campaigns().await?,
        actor,
        expire_every,
        transitions,
        stopped,
    ));
    let drained = http::serve(listener, router, &limits, shutdown).await;
    // The sweep finishes the campaign it is on, then stops.
    let _ = stop_sweep.send(true);
    let _ = sweep.await;
    if drained {
        tracing::info!("stopped");
    } else {
        tracing::warn!(
            grace_seconds = limits.grace.as_secs(),
            "stopped with requests still in flight after the grace period"
        );
    }
    Ok(())
}

/// One log line per event on stderr, in `format`, those `filter` lets through.
///
/// The lines are written by a logging thread, not by the worker that served the request: a line
/// per request is tens of thousands of writes a second in a flash sale, and a worker blocked on
/// a slow stderr (a full pipe, a busy journal) would stall every connection it serves. The
/// thread takes whatever lines are queued and writes them together (a `BufWriter` flushed each
/// time the queue is empty), one write where there were hundreds. Up to 128k lines wait; past
/// that a line is dropped rather than stall the server (the requests themselves are counted in
/// `/metrics` whatever happens to their log lines, and so are the dropped lines). Returned: the
/// guard, which writes out what is still queued when it is dropped, and the count of dropped
/// lines.
fn init_logging(
    format: LogFormat,
    filter: tracing_subscriber::EnvFilter,
) -> (
    tracing_appender::non_blocking::WorkerGuard,
    tracing_appender::non_blocking::ErrorCounter,
) {
    let (writer, guard) =
        tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stderr()));
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_target(false);
    // A second `serve` in one process (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.event_format(http::JsonLines).try_init(),
        LogFormat::Text => builder
            .with_ansi(output::stderr_is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .try_init(),
    };
    (guard, dropped)
}

/// Completes on SIGTERM (how service managers and orchestrators stop a server) or Ctrl-C.
///
/// The handlers are installed when this is called, not when the future is first polled: a
/// signal that arrives right after the listening line must stop the server gracefully, not
/// kill it.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server is configured by its environment in containers: every flag of `serve` has a
    /// variable.
    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        let command = <super::super::Cli as clap::CommandFactory>::command();
        let serve = command
            .get_subcommands()
            .find(|sub| sub.get_name() == "serve")
            .expect("serve is a command");
        let without: Vec<_> = serve
            .get_arguments()
            .filter(|arg| !arg.is_global_set() && arg.get_long().is_some())
            .filter(|arg| !matches!(arg.get_id().as_str(), "help"))
            .filter(|arg| arg.get_env().is_none())
            .map(|arg| arg.get_id().to_string())
            .collect();
        assert!(
            without.is_empty(),
            "serve flags without a variable: {without:?}"
        );
    }

    #[test]
    fn origins_are_a_scheme_and_a_host() {
        let good = [
            "https://shop.example",
            "http://localhost:3000",
            "*",
            "http://[::1]:8080",
        ];
        let good: Vec<String> = good.iter().map(|&o| o.to_owned()).collect();
        assert_eq!(cors_origins(&good).unwrap(), good);
        for bad in [
            "shop.example",
            "https://shop.example/",
            "ftp://x",
            "https://",
            "https://a b",
        ] {
            let err = cors_origins(&[bad.to_owned()]).unwrap_err();
            assert_eq!(err.field, "--cors-origin", "{bad}");
        }
    }
}
