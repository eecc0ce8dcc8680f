//! `flashsale inventory show | add | reconcile`.

use clap::{Args, Subcommand};

use super::{Context, output};
use crate::domain::{CampaignId, Units};

/// Inventory subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCmd {
    /// Show total, claimed and remaining units.
    Show(ShowArgs),
    /// Restock: add N units to the total and to what remains.
    Add(AddArgs),
    /// Recompute `remaining` from the claims and report drift (repair it with --apply).
    #[command(
        after_long_help = "Safe to run while claims are arriving. On SQLite it should always find no drift; on \
MongoDB a crash between reserving a unit and recording its claim strands the unit until this runs."
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

/// Arguments of `inventory reconcile`.
#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// The campaign id.
    id: String,
    /// Write the repaired `remaining` (without it, only report).
    #[arg(long)]
    apply: bool,
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
            let view = ctx.campaigns().await?.add_inventory(&id, units).await?;
            ctx.emit(&output::inventory_json(&view), || {
                output::inventory_table(&view)
            })
        }
        InventoryCmd::Reconcile(ReconcileArgs { id, apply }) => {
            let id = CampaignId::parse(&id)?;
            let report = ctx.campaigns().await?.reconcile(&id, apply).await?;
            ctx.emit(&output::reconciliation_json(&report), || {
                output::reconciliation_table(&report)
            })
        }
    }
}
