//! `flashsale claim`.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::{Context, Settings, jwt::SecretArgs, output};
use crate::Error;
use crate::auth::{AuthError, Identity};
use crate::domain::{CampaignId, Cents, UserId};

/// Arguments of `claim`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("who").required(true).args(["user", "jwt"])),
    after_long_help = "Examples:\n  flashsale claim --campaign spring --user ana@example.com --cart 64.90\n  \
flashsale claim --campaign spring --jwt \"$TOKEN\" --jwt-secret-file /etc/flashsale/jwt.key --cart 64.90"
)]
pub(crate) struct ClaimArgs {
    /// The campaign to claim from.
    #[arg(long, value_name = "ID")]
    campaign: String,
    /// The user, asserted by the operator (1 to 128 characters). Refused when
    /// `FLASHSALE_REQUIRE_JWT=1`.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// The shopper's JWT: the user is its verified `sub`.
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
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    cart: String,
}

/// Runs `claim`: exit 0 for claimed or replayed, the refusal's code otherwise.
pub(crate) async fn run(args: ClaimArgs, ctx: &Context) -> anyhow::Result<()> {
    // Who comes first: an unauthenticated caller learns nothing about the campaign or the
    // validity of the rest of the request, and the store is not even opened for them.
    let identity = identity(&args, &ctx.settings)?;
    let campaign = CampaignId::parse(&args.campaign)?;
    let cart = Cents::parse_named(&args.cart, "cart")?;
    let outcome = ctx
        .claims()
        .await?
        .claim(&identity, &campaign, cart)
        .await?;
    ctx.emit(&output::claim_json(&outcome), || {
        output::claim_table(&outcome)
    })
}

/// The verified JWT's subject, or the operator's assertion when policy allows it.
fn identity(args: &ClaimArgs, settings: &Settings) -> Result<Identity, Error> {
    match (&args.jwt, &args.user) {
        (Some(token), _) => {
            let verifier = args
                .key
                .verifier(args.jwt_public_key_file.as_deref(), settings)?;
            Ok(verifier.verify(token)?)
        }
        (None, Some(_)) if settings.require_jwt() => Err(AuthError::JwtRequired.into()),
        (None, Some(user)) => Ok(Identity::asserted_by_operator(UserId::parse(user)?)),
        // clap's required group rules this out; refusing keeps the library's promise anyway.
        (None, None) => Err(AuthError::Missing.into()),
    }
}
