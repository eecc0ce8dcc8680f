//! `flashsale claim`.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{ArgGroup, Args, Subcommand};

use super::confirm::ConfirmArgs;
use super::{Context, Settings, UsageError, jwt::SecretArgs, output};
use crate::Error;
use crate::auth::{AuthError, Identity, MAX_TOKEN_BYTES};
use crate::domain::{
    Amount, CampaignId, Cents, ClaimKey, ClaimToken, Invalid, OrderId, UserId, VoidReason,
};
use crate::json;

/// Arguments of `claim`: a claim of a unit, or one of the subcommands that look up, redeem,
/// void or export claims.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    group(ArgGroup::new("who").required(true).args(["user", "jwt"])),
    after_long_help = "Examples:\n  flashsale claim --campaign spring --user ana@example.com --cart 64.90\n  \
flashsale claim --campaign spring --jwt \"$TOKEN\" \\\n      \
--jwt-secret-file /etc/flashsale/jwt.key --cart 64.90\n  \
# the token read from stdin, so that it is not in the process list:\n  \
printf '%s' \"$TOKEN\" | flashsale claim --campaign spring --jwt - --cart 64.90\n  \
flashsale claim show --campaign spring --user ana@example.com\n  \
flashsale claim redeem --campaign spring --token \"$CODE\" --order 1042 --cart 64.90"
)]
pub(crate) struct ClaimArgs {
    /// Look up, redeem, void or export claims instead of claiming.
    #[command(subcommand)]
    action: Option<ClaimCmd>,
    /// The campaign to claim from.
    #[arg(long, value_name = "ID", required = true)]
    campaign: Option<String>,
    /// The user, asserted by the operator (1 to 128 characters). Refused when
    /// `FLASHSALE_REQUIRE_JWT=1`.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// The shopper's JWT: the user is its verified `sub`. `-` reads it from stdin; the
    /// environment variable keeps it out of argv too.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FLASHSALE_JWT",
        hide_env_values = true
    )]
    jwt: Option<String>,
    /// PEM public key verifying `--jwt` (RSA: RS256, EC P-256: ES256) instead of the secret.
    #[arg(
        long,
        env = "FLASHSALE_JWT_PUBLIC_KEY_FILE",
        value_name = "PATH",
        hide_env_values = true,
        conflicts_with = "jwt_secret_file"
    )]
    jwt_public_key_file: Option<PathBuf>,
    /// Key settings for `--jwt`.
    #[command(flatten)]
    key: SecretArgs,
    /// The shopper's cart, e.g. 64.90.
    #[arg(
        long,
        value_name = "MONEY",
        allow_hyphen_values = true,
        required = true
    )]
    cart: Option<String>,
}

/// Runs `claim`: exit 0 for claimed or replayed, the refusal's code otherwise.
pub(crate) async fn run(args: ClaimArgs, ctx: &Context) -> anyhow::Result<()> {
    if let Some(action) = args.action {
        return run_action(action, ctx).await;
    }
    // clap requires both without a subcommand.
    let (Some(campaign), Some(cart)) = (&args.campaign, &args.cart) else {
        return Err(UsageError("claim needs --campaign and --cart".to_owned()).into());
    };
    // Who comes first: an unauthenticated caller learns nothing about the campaign or the
    // validity of the rest of the request, and the store is not even opened for them.
    let identity = identity(&args, &ctx.settings)?;
    let campaign = CampaignId::parse(campaign)?;
    let cart = Amount::parse_named(cart, "cart")?;
    if output::stdout_closed() {
        // The answer (the claim's token) could not be delivered; refusing before the store
        // is touched leaves nothing behind that the caller cannot know about.
        return Err(UsageError(
            "stdout is closed, so the claim's answer could not be delivered: nothing was claimed"
                .to_owned(),
        )
        .into());
    }
    let cart = in_currency_of(ctx, &campaign, &cart).await?;
    let outcome = ctx
        .claims()
        .await?
        .claim(&identity, &campaign, cart)
        .await?;
    // The claim is stored now: a failure to print it must say so, or the operator cannot
    // tell a lost answer from a lost claim. The token stays out of the message.
    // The claim does not record its currency: a table reads it from the campaign, and still
    // prints the claim (amounts without a currency) if that read fails.
    let currency = if ctx.output == output::OutputFormat::Table {
        match ctx.campaigns().await {
            Ok(campaigns) => campaigns
                .status(&campaign)
                .await
                .ok()
                .map(|view| view.campaign.currency),
            Err(_) => None,
        }
    } else {
        None
    };
    ctx.emit(&output::claim_json(&outcome), || {
        output::claim_table(&outcome, currency.as_ref())
    })
    .with_context(|| {
        format!(
            "the claim on campaign `{campaign}` was made and is stored, but printing it \
             failed (claiming again with the same user safely replays it)"
        )
    })
}

/// The token `--jwt` names: its value, or stdin's first line for `-`, so the token need not
/// appear in argv (and so in `ps` and shell history).
fn token(value: &str) -> Result<String, Invalid> {
    if value != "-" {
        return Ok(value.to_owned());
    }
    let mut text = String::new();
    // One byte more than the longest token (plus a newline) is enough to refuse a longer one.
    std::io::stdin()
        .take(MAX_TOKEN_BYTES as u64 + 3)
        .read_to_string(&mut text)
        .map_err(|err| {
            Invalid::new(
                "--jwt",
                format!("cannot read the token from stdin: {}", err.kind()),
            )
        })?;
    let token = text.trim_end_matches(['\n', '\r']);
    if token.is_empty() {
        return Err(Invalid::new("--jwt", "`-` read no token from stdin"));
    }
    Ok(token.to_owned())
}

/// The verified JWT's subject, or the operator's assertion when policy allows it.
fn identity(args: &ClaimArgs, settings: &Settings) -> Result<Identity, Error> {
    match (&args.jwt, &args.user) {
        (Some(token), _) => {
            let verifier = args
                .key
                .verifier(args.jwt_public_key_file.as_deref(), settings)?;
            Ok(verifier.verify(&self::token(token)?)?)
        }
        (None, Some(_)) if settings.require_jwt() => Err(AuthError::JwtRequired.into()),
        (None, Some(user)) => Ok(Identity::asserted_by_operator(UserId::parse(user)?)),
        // clap's required group rules this out; refusing keeps the library's promise anyway.
        (None, None) => Err(AuthError::Missing.into()),
    }
}

/// `claim show | redeem | void | export`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClaimCmd {
    /// Show one claim: its status, discount and redemption. Never creates or changes one.
    #[command(after_long_help = SHOW_EXAMPLES)]
    Show(ShowArgs),
    /// Redeem a claim's token at checkout, for one order (a retry with the same order replays).
    #[command(after_long_help = REDEEM_EXAMPLES)]
    Redeem(RedeemArgs),
    /// Void a claim (fraud, a refund): its unit returns to the inventory.
    #[command(after_long_help = VOID_EXAMPLES)]
    Void(VoidArgs),
    /// Stream every claim of a campaign as CSV or JSON lines, in a stable order.
    #[command(after_long_help = EXPORT_EXAMPLES)]
    Export(super::export::ExportArgs),
}

const SHOW_EXAMPLES: &str = "\
Examples:
  flashsale claim show --campaign spring --user ana@example.com
  flashsale -o json claim show --campaign spring --token \"$CODE\"";

const REDEEM_EXAMPLES: &str = "\
Examples:
  flashsale claim redeem --campaign spring --token \"$CODE\" --order 1042 --cart 64.90

The discount is priced again on the checkout cart with the campaign's rule. The same order \
again replays the first redemption; another order is refused (exit 9). A claim can be \
redeemed after the campaign ended, but not once it was voided or its hold expired.";

const VOID_EXAMPLES: &str = "\
Examples:
  flashsale claim void --campaign spring --user ana@example.com --reason refund
  flashsale claim void --campaign spring --token \"$CODE\" --dry-run
  flashsale claim void --campaign spring --token \"$CODE\" --yes   # scripts

A voided claim is final: the user cannot claim again on this campaign. A redeemed claim \
cannot be voided (exit 9).";

const EXPORT_EXAMPLES: &str = "\
Examples:
  flashsale claim export --campaign spring --format csv --out spring.csv
  flashsale claim export --campaign spring --format jsonl --status redeemed | jq .order_id";

/// Which claim: by its user or by its token.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Which {
    /// The claim's user.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// The claim's token (it may start with `-`).
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    token: Option<String>,
}

/// Arguments of `claim show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The campaign.
    #[arg(long, value_name = "ID")]
    campaign: String,
    #[command(flatten)]
    which: Which,
}

/// Arguments of `claim redeem`.
#[derive(Debug, Args)]
pub(crate) struct RedeemArgs {
    /// The campaign.
    #[arg(long, value_name = "ID")]
    campaign: String,
    /// The token the shopper presents at checkout (it may start with `-`).
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    token: String,
    /// The shop's order id (1 to 128 characters); a retry with the same order replays.
    #[arg(long, value_name = "ORDER", allow_hyphen_values = true)]
    order: String,
    /// The checkout cart, e.g. 64.90: the discount is priced again on it.
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    cart: String,
}

/// Arguments of `claim void`.
#[derive(Debug, Args)]
pub(crate) struct VoidArgs {
    /// The campaign.
    #[arg(long, value_name = "ID")]
    campaign: String,
    #[command(flatten)]
    which: Which,
    /// Why, for the audit log and the export (e.g. fraud, refund): one line of 1 to 200
    /// characters.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    confirm: ConfirmArgs,
}

/// Runs `claim show | redeem | void | export`.
async fn run_action(action: ClaimCmd, ctx: &Context) -> anyhow::Result<()> {
    match action {
        ClaimCmd::Show(ShowArgs { campaign, which }) => {
            let campaign = CampaignId::parse(&campaign)?;
            let which = which.parse()?;
            let claim = ctx.claims().await?.show(&campaign, &which).await?;
            ctx.emit(&json::claim_record_json(&claim), || {
                output::claim_record_table(&claim)
            })
        }
        ClaimCmd::Redeem(args) => {
            let campaign = CampaignId::parse(&args.campaign)?;
            let token = ClaimToken::from_stored(args.token);
            let order = OrderId::parse(&args.order)?;
            let cart = Amount::parse_named(&args.cart, "cart")?;
            let actor = super::actor()?;
            let cart = in_currency_of(ctx, &campaign, &cart).await?;
            let outcome = ctx
                .claims()
                .await?
                .redeem(&campaign, &token, &order, cart, None, &actor)
                .await?;
            ctx.emit(&json::redemption_json(&outcome), || {
                output::redemption_table(&outcome)
            })
            .with_context(|| {
                format!(
                    "the redemption for order `{order}` was made and is stored, but printing it \
                     failed (redeeming again with the same order safely replays it)"
                )
            })
        }
        ClaimCmd::Void(VoidArgs {
            campaign,
            which,
            reason,
            confirm,
        }) => {
            let campaign = CampaignId::parse(&campaign)?;
            let which = which.parse()?;
            let reason = reason.as_deref().map(VoidReason::parse).transpose()?;
            let actor = super::actor()?;
            confirm.check("`claim void`")?;
            let claims = ctx.claims().await?;
            // The same decision the real void makes, on the claim as it reads now: a redeemed
            // claim is the same conflict here, a voided one the same "unchanged".
            let would = claims.preview_void(&campaign, &which, &actor).await?;
            let voidable = !would.replayed();
            let claim = &claims.show(&campaign, &which).await?;
            if confirm.dry_run {
                let json = serde_json::json!({
                    "dry_run": true,
                    "changed": voidable,
                    "would_void": voidable,
                    "claim": json::claim_record_json(claim),
                });
                return ctx.emit(&json, || output::void_preview(claim, voidable));
            }
            if voidable {
                confirm.confirm(&format!(
                    "Void the claim of `{}` on `{campaign}`? Its unit returns to the inventory, \
                     and the user cannot claim again on this campaign",
                    claim.user_id
                ))?;
            }
            let voided = claims.void(&campaign, &which, reason, &actor).await?;
            ctx.emit(&json::voided_json(&voided), || {
                output::voided_table(&voided)
            })
        }
        ClaimCmd::Export(args) => super::export::run(args, ctx).await,
    }
}

impl Which {
    /// The claim these flags name, checked.
    fn parse(self) -> Result<ClaimKey, Invalid> {
        match (self.user, self.token) {
            (Some(user), _) => Ok(ClaimKey::User(UserId::parse(&user)?)),
            (None, Some(token)) => Ok(ClaimKey::Token(ClaimToken::from_stored(token))),
            // clap's required group rules this out.
            (None, None) => Err(Invalid::new("claim", "name it with --user or --token")),
        }
    }
}

/// `amount` in minor units of `campaign`'s currency, which only the store knows: `500` is
/// 500 yen on a JPY campaign and 500.00 euros on a EUR one.
async fn in_currency_of(
    ctx: &Context,
    campaign: &CampaignId,
    amount: &Amount,
) -> anyhow::Result<Cents> {
    let view = ctx.campaigns().await?.status(campaign).await?;
    Ok(amount.in_currency(&view.campaign.currency)?)
}
