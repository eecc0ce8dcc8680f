//! Who is claiming: an [`Identity`] exists only as the result of a verified JWT
//! ([`JwtVerifier::verify`]) or of an operator's explicit assertion
//! ([`Identity::asserted_by_operator`]), so the library cannot claim for an unverified user.
//!
//! The accepted signature algorithm is fixed by the key, never read from the token: a secret
//! verifies HS256 only, an RSA public key RS256 only, an EC (P-256) public key ES256 only.
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
mod mint;
mod verify;

pub use identity::{Identity, IdentitySource};
pub use mint::{JwtSigner, MAX_MINT_TTL_HOURS, MintedToken};
pub use verify::{JwtVerifier, LEEWAY_SECONDS, MAX_TOKEN_BYTES};

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
    /// No key is configured to verify or sign with.
    #[error("no JWT key configured")]
    NoKey,
    /// The HS256 secret is shorter than [`MIN_SECRET_BYTES`].
    #[error(
        "the JWT secret is shorter than {MIN_SECRET_BYTES} bytes: use a random secret of at least 256 bits"
    )]
    WeakSecret,
    /// The public key is not a PEM RSA or EC public key.
    #[error("the JWT public key is not usable: {0}")]
    BadPublicKey(&'static str),
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
    /// Whether the operator's key configuration is at fault rather than the credential
    /// presented: such errors are usage errors (exit 2), not refusals of a shopper (exit 7).
    #[must_use]
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            AuthError::NoKey
                | AuthError::WeakSecret
                | AuthError::BadPublicKey(_)
                | AuthError::KeyFile { .. }
        )
    }
}

fn check_secret(secret: &[u8]) -> Result<(), AuthError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(AuthError::WeakSecret);
    }
    Ok(())
}

#[cfg(test)]
mod fixtures {
    //! Keys and tokens the unit tests of the verifier and the signer share.
    #![allow(clippy::unwrap_used)]

    use chrono::{DateTime, Utc};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{Value, json};

    pub(super) const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    pub(super) const RSA_PRIVATE: &[u8] =
        include_bytes!("../../tests/fixtures/jwt/rsa_private.pem");
    pub(super) const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/rsa_public.pem");
    pub(super) const EC_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt/ec_private.pem");
    pub(super) const EC_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/ec_public.pem");

    pub(super) fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .try_into()
            .unwrap()
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
            AuthError::TokenTooLong,
            AuthError::Malformed,
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
            AuthError::NoKey,
            AuthError::WeakSecret,
            AuthError::BadPublicKey("expected a PEM `BEGIN PUBLIC KEY` block"),
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
}
