//! `flashsale inventory show | add | reconcile`.

use clap::{Args, Subcommand};

use super::confirm::ConfirmArgs;
use super::{Context, output};
use crate::domain::{CampaignChange, CampaignId, Units};
use crate::service::{Acted, CampaignView};
use crate::store::ReconcileMode;

/// Examples of `flashsale inventory --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale inventory show spring
  flashsale inventory add spring 250
  flashsale inventory remove spring 50 --yes
  flashsale inventory expire spring
  flashsale inventory reconcile spring --apply --yes";

/// Inventory subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCmd {
    /// Show total, claimed and remaining units.
    #[command(after_long_help = "Examples:\n  flashsale inventory show spring\n  \
flashsale -o json inventory show spring")]
    Show(ShowArgs),
    /// Restock: add N units to the total and to what remains.
    #[command(after_long_help = "Examples:\n  flashsale inventory add spring 250")]
    Add(AddArgs),
    /// Take N unclaimed units off sale (never below what claims hold).
    #[command(
        after_long_help = "Examples:\n  flashsale inventory remove spring 50\n  \
flashsale inventory remove spring 50 --dry-run\n  \
flashsale inventory remove spring 50 --yes    # scripts: no question\n\n\
Only units no claim holds can be removed: asking for more is refused (exit 9) and removes nothing."
    )]
    Remove(RemoveArgs),
    /// Expire the claims whose hold ran out now, returning their units (safe during a sale).
    #[command(after_long_help = "Examples:\n  flashsale inventory expire spring\n\n\
Idempotent: a second run finds nothing more to expire. `flashsale serve` does this by itself \
periodically (--expire-every).")]
    Expire(ShowArgs),
    /// Recompute `remaining` from the claims and report drift (repair it with --apply).
    #[command(
        after_long_help = "Examples:\n  flashsale inventory reconcile spring\n  \
flashsale inventory reconcile spring --apply          # on a terminal: asks first\n  \
flashsale inventory reconcile spring --apply --yes    # scripts: no question\n\n\
Safe to run while claims are arriving. On SQLite it should always find no drift; on \
MongoDB a crash between reserving a unit and recording its claim strands the unit until this runs.\n\n\
--apply first checks the whole store (SQLite: PRAGMA integrity_check, and the campaign's claims, tokens \
and counters) and writes nothing if it is damaged: restore it from a backup. It also refuses a drift \
larger than a crash can strand (none on SQLite; the reservations still in flight on MongoDB), since \
that means the claims or the counter were damaged or edited; --force repairs it anyway."
    )]
    Reconcile(ReconcileArgs),
}

/// Arguments of `inventory show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The campaign id.
    id: String,
}

/// Arguments of `inventory add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The campaign id.
    id: String,
    /// Units to add (at least 1).
    #[arg(allow_hyphen_values = true)]
    units: String,
}

/// Arguments of `inventory remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// The campaign id.
    id: String,
    /// Units to take off sale (at least 1).
    #[arg(allow_hyphen_values = true)]
    units: String,
    #[command(flatten)]
    confirm: ConfirmArgs,
}

/// Arguments of `inventory reconcile`.
#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// The campaign id.
    id: String,
    /// Write the repaired `remaining` (without it, only report). Checks the store's
    /// integrity first, and refuses a drift larger than a crash can strand.
    #[arg(long)]
    apply: bool,
    #[command(flatten)]
    confirm: ConfirmArgs,
    /// With --apply: repair even a drift larger than a crash can strand (after a restored
    /// backup or a manual edit you know about). A damaged store is still refused.
    #[arg(long, requires = "apply")]
    force: bool,
}

/// Runs an inventory subcommand.
pub(crate) async fn run(cmd: InventoryCmd, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        InventoryCmd::Show(ShowArgs { id }) => {
            let id = CampaignId::parse(&id)?;
            let view = ctx.campaigns().await?.status(&id).await?;
            ctx.emit(&output::inventory_json(&view), || {
                output::inventory_table(&view)
            })
        }
        InventoryCmd::Add(AddArgs { id, units }) => {
            let id = CampaignId::parse(&id)?;
            // Checked before the store is opened, so a refused restock never touches it.
            let units: Units = units.parse()?;
            let actor = super::actor()?;
            let acted = ctx
                .campaigns()
                .await?
                .add_inventory(&id, units, &actor)
                .await?;
            emit_acted(ctx, &acted)
        }
        InventoryCmd::Reconcile(ReconcileArgs {
            id,
            apply,
            confirm,
            force,
        }) => {
            let id = CampaignId::parse(&id)?;
            let actor = super::actor()?;
            // `--apply --dry-run` reports what the repair would do, like no `--apply`.
            let apply = apply && !confirm.dry_run;
            if apply {
                confirm.check("`inventory reconcile --apply`")?;
            }
            let campaigns = ctx.campaigns().await?;
            let mut report = campaigns
                .reconcile(&id, ReconcileMode::Report, &actor)
                .await?;
            if apply {
                // A repair is asked about with its numbers; with no drift, --apply still runs
                // (its store checks) but has nothing to ask about.
                if report.drift() != 0 {
                    confirm.confirm(&format!(
                        "Set remaining units of `{id}` from {} to {} (drift of {})?",
                        report.remaining,
                        report.expected_remaining,
                        report.drift()
                    ))?;
                }
                let mode = if force {
                    ReconcileMode::Force
                } else {
                    ReconcileMode::Apply
                };
                report = campaigns.reconcile(&id, mode, &actor).await?;
            }
            ctx.emit(&output::reconciliation_json(&report), || {
                output::reconciliation_table(&report)
            })
        }
        InventoryCmd::Remove(RemoveArgs { id, units, confirm }) => {
            let id = CampaignId::parse(&id)?;
            let units: Units = units.parse()?;
            let actor = super::actor()?;
            confirm.check("`inventory remove`")?;
            let campaigns = ctx.campaigns().await?;
            let view = campaigns.status(&id).await?;
            // The same decision the real command makes: a removal below what is held is the
            // same conflict here.
            campaigns
                .preview(&id, &CampaignChange::RemoveInventory(units))
                .await?;
            if confirm.dry_run {
                let json = serde_json::json!({
                    "dry_run": true,
                    "changed": true,
                    "would_remove": units.get(),
                    "inventory": output::inventory_json(&view),
                });
                return ctx.emit(&json, || output::remove_preview(&view, units));
            }
            confirm.confirm(&format!(
                "Remove {units} units from `{id}`? It is {}",
                output::inventory_summary(&view)
            ))?;
            let acted = campaigns.remove_inventory(&id, units, &actor).await?;
            emit_acted(ctx, &acted)
        }
        InventoryCmd::Expire(ShowArgs { id }) => {
            let id = CampaignId::parse(&id)?;
            let actor = super::actor()?;
            let campaigns = ctx.campaigns().await?;
            let expired = campaigns.expire(&id, &actor).await?;
            let view = campaigns.status(&id).await?;
            ctx.emit(&crate::json::expired_json(&view, expired), || {
                output::expired_table(&view, expired)
            })
        }
    }
}

/// Prints what an operator's action on an inventory came to, and whether it changed it.
fn emit_acted(ctx: &Context, acted: &Acted<CampaignView>) -> anyhow::Result<()> {
    ctx.emit(&crate::json::acted_inventory_json(acted), || {
        output::acted_inventory_table(acted)
    })
}
