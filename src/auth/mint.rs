//! Minting tokens (HS256 with a secret; RS256, ES256 or `EdDSA` with a private key): for tests,
//! demos and simulations; a shop's identity provider mints the real ones.

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
    scope: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
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
            scope: None,
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
            scope: None,
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

    /// Puts `scope: scope` (space-separated scopes, e.g. `flashsale:admin`) in every minted
    /// token.
    #[must_use]
    pub fn with_scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.to_owned());
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
        let stamp = Stamp {
            issuer: self.issuer.as_deref(),
            audience: self.audience.as_deref(),
            scope: self.scope.as_deref(),
        };
        mint(
            &Header::new(Algorithm::HS256),
            &self.key,
            &stamp,
            user,
            now,
            ttl,
        )
    }
}

/// The `iss`, `aud` and `scope` a minted token carries.
struct Stamp<'a> {
    issuer: Option<&'a str>,
    audience: Option<&'a str>,
    scope: Option<&'a str>,
}

/// Mints a token for `user` with `header`, signed by `key` (the lifetime already checked).
fn mint(
    header: &Header,
    key: &EncodingKey,
    stamp: &Stamp<'_>,
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
        iss: stamp.issuer,
        aud: stamp.audience,
        scope: stamp.scope,
    };
    // Signing a serialisable struct with a key jsonwebtoken accepted fails only for a key of
    // the wrong family; the error type is jsonwebtoken's general one.
    let token = jsonwebtoken::encode(header, &claims, key)
        .map_err(|_| Invalid::new("token", "could not be signed"))?;
    Ok(MintedToken {
        token,
        user_id: user.clone(),
        expires_at,
    })
}

/// Mints RS256, ES256 or `EdDSA` tokens with a private key, the algorithm following from the
/// key's type: so that public-key verification (`--jwt-public-key-file`, a key set) can be
/// tried without an identity provider.
#[derive(Clone)]
pub struct KeyPairSigner {
    key: EncodingKey,
    header: Header,
    issuer: Option<String>,
    audience: Option<String>,
    scope: Option<String>,
}

/// Never shows the key.
impl fmt::Debug for KeyPairSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairSigner")
            .field("algorithm", &self.header.alg)
            .field("kid", &self.header.kid)
            .finish_non_exhaustive()
    }
}

impl KeyPairSigner {
    /// A signer with the PEM private key `pem`: RSA signs RS256, EC P-256 ES256, Ed25519
    /// `EdDSA`.
    ///
    /// # Errors
    /// [`AuthError::BadPrivateKey`] for a public key, or anything that is not one of the three.
    pub fn from_private_key_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let text =
            std::str::from_utf8(pem).map_err(|_| AuthError::BadPrivateKey("not a PEM file"))?;
        if !text.contains("PRIVATE KEY-----") {
            return Err(AuthError::BadPrivateKey(
                "expected a PEM `BEGIN PRIVATE KEY` block",
            ));
        }
        // Each constructor refuses the other families, so at most one of them succeeds.
        let (key, algorithm) = if let Ok(key) = EncodingKey::from_ec_pem(pem) {
            (key, Algorithm::ES256)
        } else if let Ok(key) = EncodingKey::from_ed_pem(pem) {
            (key, Algorithm::EdDSA)
        } else if let Ok(key) = EncodingKey::from_rsa_pem(pem) {
            (key, Algorithm::RS256)
        } else {
            return Err(AuthError::BadPrivateKey(
                "expected an RSA, EC (P-256) or Ed25519 private key",
            ));
        };
        Ok(KeyPairSigner {
            key,
            header: Header::new(algorithm),
            issuer: None,
            audience: None,
            scope: None,
        })
    }

    /// Names the key in every minted token's header (`kid`), as a key set requires when it
    /// holds more than one key.
    #[must_use]
    pub fn with_key_id(mut self, kid: &str) -> Self {
        self.header.kid = Some(kid.to_owned());
        self
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

    /// Puts `scope: scope` (space-separated scopes, e.g. `flashsale:admin`) in every minted
    /// token.
    #[must_use]
    pub fn with_scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.to_owned());
        self
    }

    /// The algorithm the key signs (`RS256`, `ES256` or `EdDSA`).
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.header.alg
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
        let stamp = Stamp {
            issuer: self.issuer.as_deref(),
            audience: self.audience.as_deref(),
            scope: self.scope.as_deref(),
        };
        mint(&self.header, &self.key, &stamp, user, now, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::fixtures::{SECRET, wall_clock};

    /// A scope put in a minted token is granted by the identity its verifier makes; without
    /// one, none is.
    #[test]
    fn a_minted_scope_is_granted_once_verified() {
        let signer = JwtSigner::hs256(SECRET).unwrap();
        let user = UserId::parse("ops").unwrap();
        let verify = |signer: &JwtSigner| {
            let minted = signer
                .mint(&user, wall_clock(), TimeDelta::minutes(1))
                .unwrap();
            signer.verifier().verify(&minted.token).unwrap()
        };
        assert!(!verify(&signer).grants(crate::auth::ADMIN_SCOPE));
        let admin = signer.with_scope("openid flashsale:admin");
        assert!(verify(&admin).grants(crate::auth::ADMIN_SCOPE));
    }

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
    fn key_pair_tokens_carry_the_keys_algorithm_and_id_and_verify_with_the_public_key() {
        use crate::auth::fixtures::{EC_PRIVATE, EC_PUBLIC, RSA_PRIVATE, RSA_PUBLIC};
        let user = UserId::parse("ana").unwrap();
        for (private, public, alg) in [
            (RSA_PRIVATE, RSA_PUBLIC, "RS256"),
            (EC_PRIVATE, EC_PUBLIC, "ES256"),
        ] {
            let signer = KeyPairSigner::from_private_key_pem(private)
                .unwrap()
                .with_key_id("k1");
            let minted = signer
                .mint(&user, wall_clock(), TimeDelta::minutes(1))
                .unwrap();
            let header = jsonwebtoken::decode_header(&minted.token).unwrap();
            assert_eq!(format!("{:?}", header.alg), alg);
            assert_eq!(header.kid.as_deref(), Some("k1"));
            let verifier = JwtVerifier::from_public_key_pem(public).unwrap();
            assert_eq!(verifier.verify(&minted.token).unwrap().user(), &user);
        }
        let ed = KeyPairSigner::from_private_key_pem(include_bytes!(
            "../../tests/fixtures/jwt/ed25519_private.pem"
        ))
        .unwrap();
        assert_eq!(ed.algorithm(), Algorithm::EdDSA);
        let jwks = include_bytes!("../../tests/fixtures/jwt/jwks.json");
        let minted = ed
            .with_key_id("ed")
            .mint(&user, wall_clock(), TimeDelta::minutes(1))
            .unwrap();
        let verifier = JwtVerifier::from_jwks(jwks).unwrap();
        assert_eq!(verifier.verify(&minted.token).unwrap().user(), &user);
        for bad in [RSA_PUBLIC, b"not a key".as_slice()] {
            assert!(matches!(
                KeyPairSigner::from_private_key_pem(bad),
                Err(AuthError::BadPrivateKey(_))
            ));
        }
    }

    #[test]
    fn debug_output_never_shows_keys() {
        let signer = JwtSigner::hs256(SECRET).unwrap();
        let shown = format!("{signer:?} {:?}", signer.verifier());
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
}
