//! Minting HS256 tokens: for tests, demos and simulations; a shop's identity provider mints
//! the real ones.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

use super::{AuthError, JwtVerifier, MIN_SECRET_BYTES, check_secret};
use crate::domain::{Invalid, UserId};

/// The longest lifetime [`JwtSigner::mint`] gives a token: minted tokens are for tests and
/// demos, and a long-lived bearer token is a liability.
pub const MAX_MINT_TTL_HOURS: i64 = 24;

/// A freshly minted token and what it asserts.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The compact JWT (a bearer credential: do not log it).
    pub token: String,
    /// Its `sub`.
    pub user_id: UserId,
    /// Its `exp`.
    pub expires_at: DateTime<Utc>,
}

/// Never shows the token.
impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Mints HS256 tokens: for tests, demos and simulations, whose shoppers need tokens a verifier
/// accepts.
#[derive(Clone)]
pub struct JwtSigner {
    secret: Vec<u8>,
    key: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
}

/// Never shows the secret.
impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSigner")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

impl JwtSigner {
    /// A signer with `secret`.
    ///
    /// # Errors
    /// [`AuthError::WeakSecret`] when the secret is shorter than [`MIN_SECRET_BYTES`].
    pub fn hs256(secret: &[u8]) -> Result<Self, AuthError> {
        check_secret(secret)?;
        Ok(JwtSigner {
            secret: secret.to_vec(),
            key: EncodingKey::from_secret(secret),
            issuer: None,
            audience: None,
        })
    }

    /// A signer with a fresh random 256-bit secret that exists only in this process: what a
    /// self-contained simulation (`simulate::Identities::jwt`) needs, pairing it with
    /// [`JwtSigner::verifier`].
    ///
    /// # Panics
    /// If the operating system cannot supply randomness (as [`crate::domain::ClaimToken`]).
    #[must_use]
    pub fn random_hs256() -> Self {
        let mut secret = [0u8; MIN_SECRET_BYTES];
        #[expect(
            clippy::expect_used,
            reason = "see # Panics: a guessable key is worse than no run"
        )]
        getrandom::fill(&mut secret).expect("the OS CSPRNG must be available to make a key");
        JwtSigner {
            secret: secret.to_vec(),
            key: EncodingKey::from_secret(&secret),
            issuer: None,
            audience: None,
        }
    }

    /// Puts `iss: issuer` in every minted token.
    #[must_use]
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Puts `aud: audience` in every minted token.
    #[must_use]
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    /// The verifier that accepts exactly what this signer mints (same secret, issuer and
    /// audience).
    #[must_use]
    pub fn verifier(&self) -> JwtVerifier {
        let mut verifier =
            JwtVerifier::new(DecodingKey::from_secret(&self.secret), Algorithm::HS256);
        if let Some(issuer) = &self.issuer {
            verifier = verifier.with_issuer(issuer);
        }
        if let Some(audience) = &self.audience {
            verifier = verifier.with_audience(audience);
        }
        verifier
    }

    /// Mints a token for `user`, valid from `now` for `ttl` (1 second to
    /// [`MAX_MINT_TTL_HOURS`]).
    ///
    /// # Errors
    /// [`Invalid`] naming the `token lifetime` for a lifetime out of range.
    pub fn mint(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<MintedToken, Invalid> {
        if ttl < TimeDelta::seconds(1) || ttl > TimeDelta::hours(MAX_MINT_TTL_HOURS) {
            return Err(Invalid::new(
                "token lifetime",
                format!("must be from 1s to {MAX_MINT_TTL_HOURS}h"),
            ));
        }
        let expires_at = now + ttl;
        let claims = MintClaims {
            sub: user.as_str(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.as_deref(),
            aud: self.audience.as_deref(),
        };
        // HMAC signing of a serialisable struct has no failure mode; the error type is
        // jsonwebtoken's general one.
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(|_| Invalid::new("token", "could not be signed"))?;
        Ok(MintedToken {
            token,
            user_id: user.clone(),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::fixtures::{SECRET, wall_clock};

    #[test]
    fn minted_tokens_verify_and_carry_the_user_and_expiry() {
        let signer = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_issuer("flashsale-demo")
            .with_audience("flashsale");
        let user = UserId::parse("ana@example.com").unwrap();
        let issued = wall_clock();
        let minted = signer.mint(&user, issued, TimeDelta::minutes(15)).unwrap();
        assert_eq!(minted.expires_at, issued + TimeDelta::minutes(15));
        assert!(!format!("{minted:?}").contains(&minted.token));
        let identity = signer.verifier().verify(&minted.token).unwrap();
        assert_eq!(identity.user(), &user);
        // A verifier told no audience ignores the token's; one told another
        // audience refuses it.
        assert!(
            JwtVerifier::hs256(SECRET)
                .unwrap()
                .verify(&minted.token)
                .is_ok()
        );
        assert_eq!(
            JwtVerifier::hs256(SECRET)
                .unwrap()
                .with_audience("elsewhere")
                .verify(&minted.token),
            Err(AuthError::WrongAudience)
        );
        // A random signer's tokens verify with its own verifier and nobody else's.
        let random = JwtSigner::random_hs256();
        let token = random.mint(&user, issued, TimeDelta::minutes(1)).unwrap();
        assert!(random.verifier().verify(&token.token).is_ok());
        assert_eq!(
            JwtVerifier::hs256(SECRET).unwrap().verify(&token.token),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn mint_refuses_lifetimes_out_of_range() {
        let signer = JwtSigner::hs256(SECRET).unwrap();
        let user = UserId::parse("ana").unwrap();
        let issued = wall_clock();
        for ttl in [
            TimeDelta::zero(),
            TimeDelta::seconds(-5),
            TimeDelta::hours(25),
        ] {
            assert!(signer.mint(&user, issued, ttl).is_err(), "{ttl}");
        }
    }

    #[test]
    fn an_expired_minted_token_is_refused() {
        let signer = JwtSigner::hs256(SECRET).unwrap();
        let user = UserId::parse("ana").unwrap();
        let long_ago = wall_clock() - TimeDelta::hours(2);
        let minted = signer.mint(&user, long_ago, TimeDelta::hours(1)).unwrap();
        assert_eq!(
            signer.verifier().verify(&minted.token),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn debug_output_never_shows_keys() {
        let signer = JwtSigner::hs256(SECRET).unwrap();
        let shown = format!("{signer:?} {:?}", signer.verifier());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
}
