//! `flashsale doctor`: is the store set up right? One line per check, ok / warn / fail.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::Context;
use crate::store::doctor::{Status, diagnose};

/// `doctor` takes no arguments of its own: it checks the store `--store` names.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  flashsale --store mongodb://db.internal/flashsale doctor")]
pub(crate) struct DoctorArgs {}

/// Runs every check; exit 1 when any check fails (a warning alone exits 0).
pub(crate) async fn run(_args: DoctorArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let checks = diagnose(&ctx.store_url, ctx.settings.mongo).await;
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    let document = json!({
        "store": ctx.store_url.to_string(),
        "ok": !failed,
        "checks": checks,
    });
    ctx.emit(&document, || {
        let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
        let mut text = format!("store: {}\n", ctx.store_url);
        for check in &checks {
            let _ = writeln!(
                text,
                "{:<4}  {:<width$}  {}",
                check.status.as_str(),
                check.check,
                check.detail
            );
        }
        text.trim_end().to_owned()
    })?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
