//! `flashsale jwt mint`, and the key flags `claim` shares with it.
//!
//! Keys come from the environment or from files, never from a flag's value: a secret typed on
//! the command line lands in shell history and in every `ps` listing.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{OutputFormat, Settings, output, parse};
use crate::Error;
use crate::auth::{AuthError, JwksPolicy, JwtSigner, JwtVerifier, KeyPairSigner};
use crate::clock::{Clock, SystemClock};
use crate::domain::{UserId, shown};

/// The largest key file read: real PEM keys and secrets are a few kilobytes, and a bound keeps
/// `--jwt-secret-file /dev/zero` from reading forever.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Examples of `flashsale jwt --help`.
pub(crate) const EXAMPLES: &str = MINT_EXAMPLES;

/// JWT subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum JwtCmd {
    /// Mint a token for a user (tests and demos): HS256 with the configured secret, or RS256,
    /// ES256 or `EdDSA` with `--private-key-file`.
    #[command(after_long_help = MINT_EXAMPLES)]
    Mint(MintArgs),
}

const MINT_EXAMPLES: &str = "\
Examples:
  export FLASHSALE_JWT_SECRET=\"$(openssl rand -hex 32)\"
  TOKEN=$(flashsale jwt mint --user ana@example.com --ttl 15m)
  flashsale claim --campaign spring --jwt \"$TOKEN\" --cart 64.90
  flashsale jwt mint --user ana@example.com --private-key-file issuer.pem --kid 2026-12
  flashsale jwt mint --user ops@example.com --scope flashsale:admin  # admin API";

/// Arguments of `jwt mint`.
#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    /// The user the token speaks for (its `sub`).
    #[arg(long, value_name = "ID")]
    user: String,
    /// How long the token is valid, e.g. 90s, 15m, 1h (at most 24h).
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    ttl: String,
    /// PEM private key to sign with instead of the secret: RSA signs RS256, EC P-256 ES256,
    /// Ed25519 `EdDSA` (to try `serve --jwt-public-key-file` or a key set locally).
    #[arg(long, value_name = "PATH", conflicts_with = "jwt_secret_file")]
    private_key_file: Option<PathBuf>,
    /// Key id (`kid`) put in the token's header, naming the key in a key set.
    #[arg(long, value_name = "KID", requires = "private_key_file")]
    kid: Option<String>,
    /// Scopes the token grants (its `scope` claim, space-separated): `flashsale:admin` for
    /// the admin API of `serve`.
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// Key settings.
    #[command(flatten)]
    key: SecretArgs,
}

/// Where the HS256 secret comes from, and the issuer and audience to sign or require.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_field_names,
    reason = "clap names each flag after its field: --jwt-secret-file, --jwt-issuer, ..."
)]
pub(crate) struct SecretArgs {
    /// File holding the HS256 secret (at least 32 bytes; one trailing newline is ignored)
    /// [default: the value of `FLASHSALE_JWT_SECRET`].
    #[arg(
        long,
        env = "FLASHSALE_JWT_SECRET_FILE",
        value_name = "PATH",
        hide_env_values = true
    )]
    jwt_secret_file: Option<PathBuf>,
    /// Issuer (`iss`) that tokens must carry; `jwt mint` puts it in the token.
    #[arg(
        long,
        env = "FLASHSALE_JWT_ISSUER",
        value_name = "ISSUER",
        hide_env_values = true
    )]
    jwt_issuer: Option<String>,
    /// Audience (`aud`) that tokens must carry; `jwt mint` puts it in the token.
    #[arg(
        long,
        env = "FLASHSALE_JWT_AUDIENCE",
        value_name = "AUDIENCE",
        hide_env_values = true
    )]
    jwt_audience: Option<String>,
}

impl SecretArgs {
    /// The HS256 secret: the file when given, else `FLASHSALE_JWT_SECRET`, else none.
    fn secret(&self, settings: &Settings) -> Result<Option<Vec<u8>>, AuthError> {
        match &self.jwt_secret_file {
            Some(path) => {
                let mut bytes = read_key_file(path)?;
                // `echo "$SECRET" > file` adds a newline that is not part of the secret.
                if bytes.last() == Some(&b'\n') {
                    bytes.pop();
                    if bytes.last() == Some(&b'\r') {
                        bytes.pop();
                    }
                }
                Ok(Some(bytes))
            }
            None => Ok(settings.jwt_secret.clone()),
        }
    }

    /// The signer `jwt mint` uses.
    ///
    /// # Errors
    /// [`AuthError::NoKey`] without a secret, or the secret's own error.
    pub(crate) fn signer(&self, settings: &Settings) -> Result<JwtSigner, AuthError> {
        let secret = self.secret(settings)?.ok_or(AuthError::NoKey)?;
        Ok(self.stamped(JwtSigner::hs256(&secret)?))
    }

    /// The signer `simulate --jwt` uses: the configured secret when there is one (so its
    /// tokens are the ones a real deployment would accept), else a random key that exists only
    /// in this process (a self-contained run needs no setup) unless `random_allowed` is false.
    ///
    /// # Errors
    /// The secret's own error (an unreadable file, a weak secret);
    /// [`AuthError::SimulationWithoutKey`] without a secret when a random key is not allowed.
    pub(crate) fn signer_or_random(
        &self,
        settings: &Settings,
        random_allowed: bool,
    ) -> Result<JwtSigner, AuthError> {
        let signer = match self.secret(settings)? {
            Some(secret) => JwtSigner::hs256(&secret)?,
            None if random_allowed => JwtSigner::random_hs256(),
            None => return Err(AuthError::SimulationWithoutKey),
        };
        Ok(self.stamped(signer))
    }

    /// `signer` with the configured issuer and audience.
    fn stamped(&self, mut signer: JwtSigner) -> JwtSigner {
        if let Some(issuer) = &self.jwt_issuer {
            signer = signer.with_issuer(issuer);
        }
        if let Some(audience) = &self.jwt_audience {
            signer = signer.with_audience(audience);
        }
        signer
    }

    /// The verifier `claim --jwt` uses: the public key when given (RS256 or ES256 by its
    /// type), else the secret (HS256). Never both: the key decides the one algorithm.
    ///
    /// # Errors
    /// [`AuthError::NoKey`] without any key, or the key's own error.
    pub(crate) fn verifier(
        &self,
        public_key_file: Option<&Path>,
        settings: &Settings,
    ) -> Result<JwtVerifier, AuthError> {
        let verifier = match public_key_file {
            // A secret beside the key would be silently ignored, and the operator may believe
            // HS256 tokens are checked against it: refused, so exactly one key decides.
            Some(_) if self.jwt_secret_file.is_some() || settings.jwt_secret.is_some() => {
                return Err(AuthError::AmbiguousKey);
            }
            Some(path) => JwtVerifier::from_public_key_pem(&read_key_file(path)?)?,
            None => JwtVerifier::hs256(&self.secret(settings)?.ok_or(AuthError::NoKey)?)?,
        };
        Ok(self.checking(verifier))
    }

    /// The verifier `serve` uses: exactly one of the secret, a public key file, a key set file
    /// or a key set URL.
    ///
    /// # Errors
    /// [`AuthError::AmbiguousKey`] for more than one, [`AuthError::NoKey`] for none, or the
    /// key's own error.
    pub(crate) async fn server_verifier(
        &self,
        keys: &ServerKeys,
        settings: &Settings,
    ) -> Result<JwtVerifier, AuthError> {
        let has_secret = self.jwt_secret_file.is_some() || settings.jwt_secret.is_some();
        let sources = [
            has_secret,
            keys.public_key_file.is_some(),
            keys.jwks_file.is_some(),
            keys.jwks_url.is_some(),
        ];
        if sources.into_iter().filter(|&given| given).count() > 1 {
            return Err(AuthError::AmbiguousKey);
        }
        let verifier = if let Some(path) = &keys.jwks_file {
            JwtVerifier::from_jwks(&read_key_file(path)?)?
        } else if let Some(url) = &keys.jwks_url {
            JwtVerifier::from_jwks_url(url, JwksPolicy::default()).await?
        } else {
            return self.verifier(keys.public_key_file.as_deref(), settings);
        };
        Ok(self.checking(verifier))
    }

    /// `verifier` requiring the configured issuer and audience.
    fn checking(&self, mut verifier: JwtVerifier) -> JwtVerifier {
        if let Some(issuer) = &self.jwt_issuer {
            verifier = verifier.with_issuer(issuer);
        }
        if let Some(audience) = &self.jwt_audience {
            verifier = verifier.with_audience(audience);
        }
        verifier
    }
}

/// The public keys `serve` may verify with, besides the secret of [`SecretArgs`].
#[derive(Debug, Default)]
pub(crate) struct ServerKeys {
    /// A PEM public key file.
    pub(crate) public_key_file: Option<PathBuf>,
    /// A JSON Web Key Set file, read once.
    pub(crate) jwks_file: Option<PathBuf>,
    /// A JSON Web Key Set URL, fetched and refreshed.
    pub(crate) jwks_url: Option<String>,
}

fn read_key_file(path: &Path) -> Result<Vec<u8>, AuthError> {
    let failed = |reason: String| AuthError::KeyFile {
        path: shown(&path.display().to_string()),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|err| failed(err.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| failed(err.to_string()))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(failed(format!(
            "larger than {MAX_KEY_FILE_BYTES} bytes, not a key"
        )));
    }
    Ok(bytes)
}

/// Runs a JWT subcommand; it needs no store.
pub(crate) fn run(cmd: &JwtCmd, output: OutputFormat, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        JwtCmd::Mint(args) => {
            let user = UserId::parse(&args.user)?;
            let ttl = parse::duration_named(&args.ttl, "--ttl")?;
            // The private key named on the command line signs: a secret in the environment
            // stays for the commands that verify with it.
            let minted = if let Some(path) = &args.private_key_file {
                let pem = read_key_file(path).map_err(Error::from)?;
                let mut signer = KeyPairSigner::from_private_key_pem(&pem).map_err(Error::from)?;
                if let Some(kid) = &args.kid {
                    signer = signer.with_key_id(kid);
                }
                if let Some(issuer) = &args.key.jwt_issuer {
                    signer = signer.with_issuer(issuer);
                }
                if let Some(audience) = &args.key.jwt_audience {
                    signer = signer.with_audience(audience);
                }
                if let Some(scope) = &args.scope {
                    signer = signer.with_scope(scope);
                }
                signer.mint(&user, SystemClock.now(), ttl)
            } else {
                let mut signer = args.key.signer(settings).map_err(Error::from)?;
                if let Some(scope) = &args.scope {
                    signer = signer.with_scope(scope);
                }
                signer.mint(&user, SystemClock.now(), ttl)
            };
            // The library names the lifetime; the operator set it with `--ttl`.
            let minted = minted.map_err(|err| crate::domain::Invalid {
                field: "--ttl",
                ..err
            })?;
            match output {
                OutputFormat::Json => output::print_json(&json!({
                    "token": minted.token,
                    "user_id": minted.user_id,
                    "expires_at": output::rfc3339(minted.expires_at),
                }))?,
                // The bare token, so `TOKEN=$(flashsale jwt mint ...)` just works.
                OutputFormat::Table => output::print(&minted.token)?,
            }
            Ok(())
        }
    }
}
