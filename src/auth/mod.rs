//! Who is claiming: an [`Identity`] exists only as the result of a verified JWT
//! ([`JwtVerifier::verify`]) or of an operator's explicit assertion
//! ([`Identity::asserted_by_operator`]), so the library cannot claim for an unverified user.
//!
//! The accepted signature algorithm is fixed by the key, never read from the token: a secret
//! verifies HS256 only, an RSA public key RS256 only, an EC (P-256) public key ES256 only, and
//! each key of an issuer's key set ([`JwksPolicy`], fetched or read from a file) the one
//! algorithm its type gives (RS256, ES256 or `EdDSA`).
//! That one rule defeats `alg: none` tokens and the key-confusion attack (an HS256 token
//! "signed" with the public key's bytes presented to an RS256 verifier).
//!
//! [`JwtSigner`] mints HS256 tokens for tests, demos and `simulate`; a shop's identity
//! provider mints the real ones. Nothing here ever prints or logs a token or a key.

//!
//! Errors here name what failed in the domain's words, never a command-line flag or an
//! environment variable: an embedding service answers its own callers with them, and the CLI
//! adds its own hint on how to fix them.

mod identity;
mod jwks;
mod mint;
mod verify;

pub use identity::{Identity, IdentitySource};
pub use jwks::{FetchKeys, FetchedKeys, HttpKeys, JwksPolicy, MAX_KEY_SET_BYTES};
pub use mint::{JwtSigner, KeyPairSigner, MAX_MINT_TTL_HOURS, MintedToken};
pub use verify::{JwtVerifier, LEEWAY_SECONDS, MAX_TOKEN_BYTES};

/// The scope a token's `scope` claim must grant for the admin API (OAuth 2 style: the claim
/// is a space-separated list of scopes).
pub const ADMIN_SCOPE: &str = "flashsale:admin";

use crate::domain::Invalid;

/// The shortest HS256 secret accepted: RFC 7518 section 3.2 requires a key at least as long
/// as the hash output (256 bits), and a short secret can be brute-forced offline from any token.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why an identity could not be established, or a key could not be used.
///
/// Messages never contain the token or the key, nor a flag or an environment variable: they
/// name what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credential was presented where one is required.
    #[error("no identity given")]
    Missing,
    /// Policy refuses operator assertions: every shopper must present a verified JWT.
    #[error("an operator-asserted user is refused by policy: a verified JWT is required")]
    JwtRequired,
    /// Policy refuses a simulation whose users the operator asserts rather than proves.
    #[error(
        "simulated users asserted by the operator are refused by policy: verified JWTs are required"
    )]
    SimulationWithoutJwt,
    /// Policy refuses a simulation on a real campaign whose tokens a throw-away key signs: the
    /// policy means "verified by the deployment's key", which a key made up for the run is not.
    #[error(
        "a simulation on an existing campaign is refused by policy without the configured JWT \
         key: tokens signed with a throw-away key prove nothing"
    )]
    SimulationWithoutKey,
    /// A request carries more than one `Authorization` header.
    #[error("more than one `Authorization` header; send one")]
    TwoCredentials,
    /// The token is longer than [`MAX_TOKEN_BYTES`].
    #[error("token is longer than {MAX_TOKEN_BYTES} bytes")]
    TokenTooLong,
    /// The token is not three base64url segments with a JSON header and payload.
    #[error("token is not a well-formed JWT")]
    Malformed,
    /// The token's `alg` is not the one algorithm the configured key verifies.
    #[error("token algorithm `{alg}` is not accepted: the configured key verifies {expected} only")]
    AlgorithmNotAllowed {
        /// The algorithm the token claims (shortened, control characters replaced).
        alg: String,
        /// The only algorithm the key verifies.
        expected: &'static str,
    },
    /// The signature does not match the header and payload.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet (its `nbf` is in the future)")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("token issuer does not match the configured issuer")]
    WrongIssuer,
    /// `aud` is not the configured audience (or the token has one and none is configured).
    #[error("token audience does not match the configured audience")]
    WrongAudience,
    /// A required claim (`sub`, `exp`, or a configured `iss` / `aud`) is absent or mistyped.
    #[error("token has no valid `{0}` claim")]
    MissingClaim(String),
    /// `sub` is not a valid user id.
    #[error("token `sub` is not a valid user id: {0}")]
    BadSubject(Invalid),
    /// The token was verified, but its `scope` claim does not grant this scope.
    #[error("the token does not grant the `{0}` scope")]
    MissingScope(&'static str),
    /// No key is configured to verify or sign with.
    #[error("no JWT key configured")]
    NoKey,
    /// The HS256 secret is shorter than [`MIN_SECRET_BYTES`].
    #[error(
        "the JWT secret is shorter than {MIN_SECRET_BYTES} bytes: use a random secret of at least 256 bits"
    )]
    WeakSecret,
    /// The HS256 secret is long enough but not random: too few distinct bytes, or one short
    /// block repeated.
    #[error(
        "the JWT secret is too uniform to be random (fewer than {MIN_SECRET_DISTINCT_BYTES} \
         distinct bytes, or one block repeated): use a random secret of at least 256 bits"
    )]
    LowDiversitySecret,
    /// More than one key source (an HS256 secret, a public key, a key set) is configured:
    /// which one verifies is ambiguous, and the algorithm follows from the key.
    #[error(
        "more than one JWT key is configured: configure exactly one, the key decides the \
         algorithm"
    )]
    AmbiguousKey,
    /// The token's `kid` is not in the issuer's key set.
    #[error("token key id is not in the issuer's key set")]
    UnknownKey,
    /// The token has no `kid`, and the key set has more than one key to choose from.
    #[error("token has no key id (`kid`) and the issuer's key set has more than one key")]
    KeyIdRequired,
    /// A JSON Web Key Set is not usable (not a set, or no key this verifier accepts).
    #[error("the JWT key set is not usable: {0}")]
    BadKeySet(String),
    /// The issuer's key set could not be fetched.
    #[error("the JWT key set could not be fetched: {0}")]
    KeySetUnreachable(String),
    /// The public key is not a PEM RSA or EC public key.
    #[error("the JWT public key is not usable: {0}")]
    BadPublicKey(&'static str),
    /// The private key is not a PEM RSA, EC P-256 or Ed25519 private key.
    #[error("the JWT private key is not usable: {0}")]
    BadPrivateKey(&'static str),
    /// A key file could not be read.
    #[error("cannot read JWT key file `{path}`: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
}

impl AuthError {
    /// The stable reason a client can branch on, finer than its kind: a client refreshes an
    /// `token_expired` token, but not one with a `bad_signature`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "token_missing",
            AuthError::JwtRequired | AuthError::SimulationWithoutJwt => "jwt_required",
            AuthError::SimulationWithoutKey => "key_required",
            AuthError::TwoCredentials => "two_credentials",
            AuthError::TokenTooLong | AuthError::Malformed => "token_malformed",
            AuthError::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid => "token_not_yet_valid",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::BadSubject(_) => "bad_subject",
            AuthError::UnknownKey => "unknown_key",
            AuthError::KeyIdRequired => "key_id_required",
            AuthError::MissingScope(_) => "scope_required",
            AuthError::NoKey
            | AuthError::WeakSecret
            | AuthError::LowDiversitySecret
            | AuthError::AmbiguousKey
            | AuthError::BadKeySet(_)
            | AuthError::KeySetUnreachable(_)
            | AuthError::BadPublicKey(_)
            | AuthError::BadPrivateKey(_)
            | AuthError::KeyFile { .. } => "key_configuration",
        }
    }
}

/// The fewest distinct byte values an HS256 secret may have. Length alone lets `aaaa…` (32
/// times one character) through; a random secret of 32 or more bytes, even one written as hex
/// (16 symbols), has about 14 distinct bytes or more, and fewer than 8 is a chance below one in
/// ten million, so real random hex and base64 secrets always pass.
pub const MIN_SECRET_DISTINCT_BYTES: usize = 8;

/// Refuses a secret too short or too uniform to be random: shorter than
/// [`MIN_SECRET_BYTES`], made of fewer than [`MIN_SECRET_DISTINCT_BYTES`] distinct bytes, or one
/// block repeated (`abcdefgh` four times, a password typed twice). Such a secret can be guessed
/// or brute-forced offline from any token.
fn check_secret(secret: &[u8]) -> Result<(), AuthError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(AuthError::WeakSecret);
    }
    let distinct = secret
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    let repeats_a_block = (1..=secret.len() / 2)
        .any(|period| secret.iter().zip(&secret[period..]).all(|(a, b)| a == b));
    if distinct < MIN_SECRET_DISTINCT_BYTES || repeats_a_block {
        return Err(AuthError::LowDiversitySecret);
    }
    Ok(())
}

#[cfg(test)]
mod fixtures {
    //! Keys and tokens the unit tests of the verifier and the signer share.

    use chrono::{DateTime, Utc};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{Value, json};

    pub(super) const SECRET: &[u8] = b"7f3a9c2e81d4b06f5e2a7c9d13b8f460";
    pub(super) const RSA_PRIVATE: &[u8] =
        include_bytes!("../../tests/fixtures/jwt/rsa_private.pem");
    pub(super) const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/rsa_public.pem");
    pub(super) const EC_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt/ec_private.pem");
    pub(super) const EC_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/ec_public.pem");

    pub(super) fn now() -> i64 {
        crate::clock::Clock::now(&crate::clock::SystemClock).timestamp()
    }

    /// The wall clock: jsonwebtoken checks `exp` and `nbf` against the system time.
    pub(super) fn wall_clock() -> DateTime<Utc> {
        DateTime::from_timestamp(now(), 0).unwrap()
    }

    pub(super) fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
    }

    pub(super) fn hs(claims: &Value) -> String {
        sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET), claims)
    }

    pub(super) fn valid_claims() -> Value {
        json!({"sub": "ana", "exp": now() + 600})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's callers are not only the CLI: a message that names a flag or an
    /// environment variable would send an HTTP client to a command line it does not have.
    #[test]
    fn no_message_names_a_flag_or_an_environment_variable() {
        let every = [
            AuthError::Missing,
            AuthError::JwtRequired,
            AuthError::SimulationWithoutJwt,
            AuthError::SimulationWithoutKey,
            AuthError::TokenTooLong,
            AuthError::Malformed,
            AuthError::TwoCredentials,
            AuthError::AlgorithmNotAllowed {
                alg: "none".into(),
                expected: "HS256",
            },
            AuthError::BadSignature,
            AuthError::Expired,
            AuthError::NotYetValid,
            AuthError::WrongIssuer,
            AuthError::WrongAudience,
            AuthError::MissingClaim("sub".into()),
            AuthError::BadSubject(Invalid::new("user id", "must not be empty")),
            AuthError::MissingScope(ADMIN_SCOPE),
            AuthError::NoKey,
            AuthError::WeakSecret,
            AuthError::LowDiversitySecret,
            AuthError::AmbiguousKey,
            AuthError::BadPublicKey("expected a PEM `BEGIN PUBLIC KEY` block"),
            AuthError::UnknownKey,
            AuthError::KeyIdRequired,
            AuthError::BadPrivateKey("expected a PEM `BEGIN PRIVATE KEY` block"),
            AuthError::BadKeySet("no `keys` array".into()),
            AuthError::KeySetUnreachable("connection refused".into()),
            AuthError::KeyFile {
                path: "/etc/key".into(),
                reason: "No such file or directory".into(),
            },
        ];
        for err in every {
            let message = err.to_string();
            assert!(
                !message.contains("--") && !message.contains("FLASHSALE_"),
                "{err:?}: {message}"
            );
        }
        assert_eq!(AuthError::Missing.to_string(), "no identity given");
        assert_eq!(AuthError::NoKey.to_string(), "no JWT key configured");
    }

    /// Length is not strength. Uniform or repeated secrets are refused;
    /// random hex and base64 secrets of 256 bits, and random 32-character hex, still pass.
    #[test]
    fn secrets_are_judged_on_diversity_not_only_length() {
        use base64::Engine as _;

        for weak in [
            "a".repeat(32),
            "ab".repeat(20),
            "abcdefgh".repeat(4),
            "0123456789abcdef0123456789abcdef".to_owned(),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcdef".to_owned(),
        ] {
            assert_eq!(
                check_secret(weak.as_bytes()),
                Err(AuthError::LowDiversitySecret),
                "{weak}"
            );
        }
        assert_eq!(check_secret(b"short"), Err(AuthError::WeakSecret));
        for _ in 0..2_000 {
            let bytes: [u8; 32] = rand::random();
            let hex = bytes
                .iter()
                .fold(String::new(), |hex, b| hex + &format!("{b:02x}"));
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            let short_hex = &hex[..32];
            for secret in [hex.as_str(), b64.as_str(), short_hex] {
                assert_eq!(check_secret(secret.as_bytes()), Ok(()), "{secret}");
            }
            assert_eq!(check_secret(&bytes), Ok(()));
        }
    }
}
