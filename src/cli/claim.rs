//! `flashsale claim`.

use clap::Args;

use super::{Context, output};
use crate::auth::Identity;
use crate::domain::{CampaignId, Cents, UserId};

/// Arguments of `claim`.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Example:\n  flashsale claim --campaign spring --user ana@example.com --cart 64.90"
)]
pub struct ClaimArgs {
    /// The campaign to claim from.
    #[arg(long, value_name = "ID")]
    pub campaign: String,
    /// The user, asserted by the operator (1 to 128 characters).
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The shopper's cart, e.g. 64.90.
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    pub cart: String,
}

/// Runs `claim`: exit 0 for claimed or replayed, the refusal's code otherwise.
pub async fn run(args: ClaimArgs, ctx: &Context) -> anyhow::Result<()> {
    let campaign = CampaignId::parse(&args.campaign)?;
    let cart = Cents::parse_named(&args.cart, "cart")?;
    let identity = Identity::asserted_by_operator(UserId::parse(&args.user)?);
    let outcome = ctx
        .claims()
        .await?
        .claim(&identity, &campaign, cart)
        .await?;
    ctx.emit(&output::claim_json(&outcome), || {
        output::claim_table(&outcome)
    })
}
