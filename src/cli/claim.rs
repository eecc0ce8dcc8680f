//! `flashsale claim`.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{ArgGroup, Args};

use super::{Context, Settings, UsageError, jwt::SecretArgs, output};
use crate::Error;
use crate::auth::{AuthError, Identity, MAX_TOKEN_BYTES};
use crate::domain::{CampaignId, Cents, Invalid, UserId};

/// Arguments of `claim`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("who").required(true).args(["user", "jwt"])),
    after_long_help = "Examples:\n  flashsale claim --campaign spring --user ana@example.com --cart 64.90\n  \
flashsale claim --campaign spring --jwt \"$TOKEN\" \\\n      \
--jwt-secret-file /etc/flashsale/jwt.key --cart 64.90\n  \
# the token read from stdin, so that it is not in the process list:\n  \
printf '%s' \"$TOKEN\" | flashsale claim --campaign spring --jwt - --cart 64.90"
)]
pub(crate) struct ClaimArgs {
    /// The campaign to claim from.
    #[arg(long, value_name = "ID")]
    campaign: String,
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
    if output::stdout_closed() {
        // The answer (the claim's token) could not be delivered; refusing before the store
        // is touched leaves nothing behind that the caller cannot know about.
        return Err(UsageError(
            "stdout is closed, so the claim's answer could not be delivered: nothing was claimed"
                .to_owned(),
        )
        .into());
    }
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
