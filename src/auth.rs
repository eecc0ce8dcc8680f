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

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::{Invalid, UserId, shown};

/// Clock skew tolerated on `exp` and `nbf`, in seconds: enough for hosts whose clocks drift
/// apart, too little to keep a stolen token useful for long.
pub const LEEWAY_SECONDS: u64 = 30;

/// The longest token accepted, in bytes. Real tokens are a few hundred bytes; refusing
/// anything longer before decoding keeps a hostile megabyte from costing base64 and JSON work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The shortest HS256 secret accepted: RFC 7518 section 3.2 requires a key at least as long
/// as the hash output (256 bits), and a short secret can be brute-forced offline from any token.
pub const MIN_SECRET_BYTES: usize = 32;

/// The longest lifetime [`JwtSigner::mint`] gives a token: minted tokens are for tests and
/// demos, and a long-lived bearer token is a liability.
pub const MAX_MINT_TTL_HOURS: i64 = 24;

/// Why an identity could not be established, or a key could not be used.
///
/// Messages never contain the token or the key: they name what failed and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credential was presented where one is required.
    #[error("no identity given: pass `--jwt TOKEN` (or set FLASHSALE_JWT)")]
    Missing,
    /// Policy (`FLASHSALE_REQUIRE_JWT=1`) refuses operator assertions.
    #[error("`--user` is refused because FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead")]
    JwtRequired,
    /// Policy (`FLASHSALE_REQUIRE_JWT=1`) refuses a simulation whose users the operator asserts.
    #[error(
        "simulated users asserted by the operator are refused because FLASHSALE_REQUIRE_JWT is set: pass `--jwt`"
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
    #[error("token issuer does not match the configured issuer (FLASHSALE_JWT_ISSUER)")]
    WrongIssuer,
    /// `aud` is not the configured audience (or the token has one and none is configured).
    #[error("token audience does not match the configured audience (FLASHSALE_JWT_AUDIENCE)")]
    WrongAudience,
    /// A required claim (`sub`, `exp`, or a configured `iss` / `aud`) is absent or mistyped.
    #[error("token has no valid `{0}` claim")]
    MissingClaim(String),
    /// `sub` is not a valid user id.
    #[error("token `sub` is not a valid user id: {0}")]
    BadSubject(Invalid),
    /// No key is configured to verify or sign with.
    #[error(
        "no JWT key configured: set FLASHSALE_JWT_SECRET, or pass `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`"
    )]
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

/// How an identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// An operator asserted the user id on the command line (`--user`).
    OperatorAssertion,
    /// A JWT whose signature, algorithm, lifetime, issuer and audience were verified; the user
    /// is its `sub`.
    VerifiedJwt,
}

/// A shopper whose identity has been established; the only input a claim accepts for "who".
///
/// The fields are private and the only constructors are [`Identity::asserted_by_operator`]
/// and [`JwtVerifier::verify`], so holding an `Identity` proves one of the two happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    user: UserId,
    source: IdentitySource,
}

impl Identity {
    /// An operator vouches for `user` (the CLI's `--user`): a trusted caller, not a shopper.
    #[must_use]
    pub fn asserted_by_operator(user: UserId) -> Self {
        Identity {
            user,
            source: IdentitySource::OperatorAssertion,
        }
    }

    /// The user.
    #[must_use]
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// How the identity was established.
    #[must_use]
    pub fn source(&self) -> IdentitySource {
        self.source
    }
}

/// Verifies JWTs and turns a valid one into an [`Identity`]. Cheap to clone and `Send + Sync`,
/// so one verifier can serve many concurrent claims.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    algorithm: Algorithm,
    validation: Validation,
}

/// Never shows the key.
impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier of HS256 tokens signed with `secret`.
    ///
    /// # Errors
    /// [`AuthError::WeakSecret`] when the secret is shorter than [`MIN_SECRET_BYTES`].
    pub fn hs256(secret: &[u8]) -> Result<Self, AuthError> {
        check_secret(secret)?;
        Ok(Self::new(
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
        ))
    }

    /// A verifier for a PEM public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`): RS256
    /// for an RSA key, ES256 for an EC P-256 key, and nothing else.
    ///
    /// # Errors
    /// [`AuthError::BadPublicKey`] for a private key, or anything that is not an RSA or EC
    /// public key.
    pub fn from_public_key_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let text =
            std::str::from_utf8(pem).map_err(|_| AuthError::BadPublicKey("not a PEM file"))?;
        if text.contains("PRIVATE KEY-----") {
            // Refused rather than derived from: a private key has no business on a verifier.
            return Err(AuthError::BadPublicKey(
                "it is a private key; give the public key (`openssl pkey -pubout`)",
            ));
        }
        if !text.contains("-----BEGIN PUBLIC KEY-----")
            && !text.contains("-----BEGIN RSA PUBLIC KEY-----")
        {
            return Err(AuthError::BadPublicKey(
                "expected a PEM `BEGIN PUBLIC KEY` block",
            ));
        }
        // jsonwebtoken classifies the key by its algorithm OID; each constructor refuses the
        // other family, so exactly one of them succeeds for a well-formed key.
        if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            return Ok(Self::new(key, Algorithm::ES256));
        }
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Self::new(key, Algorithm::RS256));
        }
        Err(AuthError::BadPublicKey(
            "expected an RSA or EC (P-256) public key",
        ))
    }

    fn new(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "sub"].map(String::from).into();
        JwtVerifier {
            key,
            algorithm,
            validation,
        }
    }

    /// Also requires `iss` to be present and equal to `issuer`.
    #[must_use]
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self.validation.required_spec_claims.insert("iss".into());
        self
    }

    /// Also requires `aud` to be present and to contain `audience`.
    #[must_use]
    pub fn with_audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self.validation.required_spec_claims.insert("aud".into());
        self
    }

    /// The one algorithm this verifier accepts (`HS256`, `RS256` or `ES256`).
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        algorithm_name(self.algorithm)
    }

    /// Verifies `token` against the current system time and returns its `sub` as a verified
    /// [`Identity`].
    ///
    /// # Errors
    /// An [`AuthError`] naming the first check that failed.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TokenTooLong);
        }
        // Checked by hand first only for a clearer message (`none`, or HS256 against a public
        // key); jsonwebtoken enforces the same list again below.
        let alg = header_algorithm(token)?;
        if alg != self.algorithm() {
            return Err(AuthError::AlgorithmNotAllowed {
                alg: shown(&alg),
                expected: self.algorithm(),
            });
        }
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|err| verification_error(err.into_kind()))?;
        let sub = data
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthError::MissingClaim("sub".into()))?;
        let user = UserId::parse(sub).map_err(AuthError::BadSubject)?;
        Ok(Identity {
            user,
            source: IdentitySource::VerifiedJwt,
        })
    }
}

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

/// Mints HS256 tokens (`flashsale jwt mint`, tests, `simulate --jwt`).
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
    /// self-contained run (`simulate --jwt`) needs, pairing it with [`JwtSigner::verifier`].
    ///
    /// # Panics
    /// If the operating system cannot supply randomness (as [`crate::domain::ClaimToken`]).
    #[must_use]
    pub fn random_hs256() -> Self {
        let mut secret = [0u8; MIN_SECRET_BYTES];
        #[allow(clippy::expect_used)] // see # Panics: a guessable key is worse than no run
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
    /// [`Invalid`] naming `--ttl` for a lifetime out of range.
    pub fn mint(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<MintedToken, Invalid> {
        if ttl < TimeDelta::seconds(1) || ttl > TimeDelta::hours(MAX_MINT_TTL_HOURS) {
            return Err(Invalid::new(
                "--ttl",
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

fn check_secret(secret: &[u8]) -> Result<(), AuthError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(AuthError::WeakSecret);
    }
    Ok(())
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        // The verifier is only ever built with the three above.
        _ => "unsupported",
    }
}

/// The `alg` of a compact JWT's header, read without trusting anything else in it.
fn header_algorithm(token: &str) -> Result<String, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    match header.get("alg") {
        Some(Value::String(alg)) => Ok(alg.clone()),
        _ => Err(AuthError::Malformed),
    }
}

fn verification_error(kind: ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::Crypto(_) => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(shown(&claim)),
        ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::MissingAlgorithm => AuthError::AlgorithmNotAllowed {
            alg: "unknown".into(),
            expected: "the configured algorithm",
        },
        _ => AuthError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const RSA_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/jwt/rsa_private.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/jwt/rsa_public.pem");
    const EC_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/jwt/ec_private.pem");
    const EC_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/jwt/ec_public.pem");

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .try_into()
            .unwrap()
    }

    fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
    }

    fn hs(claims: &Value) -> String {
        sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET), claims)
    }

    fn valid_claims() -> Value {
        json!({"sub": "ana", "exp": now() + 600})
    }

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn a_valid_hs256_token_gives_a_verified_identity() {
        let identity = JwtVerifier::hs256(SECRET)
            .unwrap()
            .verify(&hs(&valid_claims()))
            .unwrap();
        assert_eq!(identity.user().as_str(), "ana");
        assert_eq!(identity.source(), IdentitySource::VerifiedJwt);
    }

    #[test]
    fn rs256_and_es256_tokens_verify_with_their_public_keys() {
        let rsa = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
        let ec = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
        let rs_verifier = JwtVerifier::from_public_key_pem(RSA_PUBLIC).unwrap();
        let es_verifier = JwtVerifier::from_public_key_pem(EC_PUBLIC).unwrap();
        assert_eq!(rs_verifier.algorithm(), "RS256");
        assert_eq!(es_verifier.algorithm(), "ES256");
        let rs = sign(Algorithm::RS256, &rsa, &valid_claims());
        let es = sign(Algorithm::ES256, &ec, &valid_claims());
        assert_eq!(rs_verifier.verify(&rs).unwrap().user().as_str(), "ana");
        assert_eq!(es_verifier.verify(&es).unwrap().user().as_str(), "ana");
        // Each key accepts its own algorithm only.
        assert!(matches!(
            rs_verifier.verify(&es),
            Err(AuthError::AlgorithmNotAllowed { .. })
        ));
        assert!(matches!(
            es_verifier.verify(&rs),
            Err(AuthError::AlgorithmNotAllowed { .. })
        ));
    }

    #[test]
    fn alg_none_tokens_are_refused() {
        let verifier = JwtVerifier::hs256(SECRET).unwrap();
        let payload = b64(&valid_claims());
        for header in [json!({"alg": "none"}), json!({"alg": "none", "typ": "JWT"})] {
            for signature in ["", "AAAA"] {
                let token = format!("{}.{payload}.{signature}", b64(&header));
                let err = verifier.verify(&token).unwrap_err();
                assert!(
                    matches!(&err, AuthError::AlgorithmNotAllowed { alg, .. } if alg == "none"),
                    "{err}"
                );
            }
        }
    }

    /// The classic key confusion: an attacker signs HS256 with the (public) PEM bytes as
    /// the HMAC secret and hopes the verifier picks the algorithm from the token.
    #[test]
    fn an_hs256_token_signed_with_the_public_key_is_refused_by_a_public_key_verifier() {
        let forged = sign(
            Algorithm::HS256,
            &EncodingKey::from_secret(RSA_PUBLIC),
            &valid_claims(),
        );
        let err = JwtVerifier::from_public_key_pem(RSA_PUBLIC)
            .unwrap()
            .verify(&forged)
            .unwrap_err();
        assert_eq!(
            err,
            AuthError::AlgorithmNotAllowed {
                alg: "HS256".into(),
                expected: "RS256"
            }
        );
    }

    #[test]
    fn tampered_payloads_and_wrong_secrets_are_refused() {
        let verifier = JwtVerifier::hs256(SECRET).unwrap();
        let token = hs(&valid_claims());
        let (header, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let tampered = format!(
            "{header}.{}.{signature}",
            b64(&json!({"sub": "mallory", "exp": now() + 600}))
        );
        assert_eq!(verifier.verify(&tampered), Err(AuthError::BadSignature));
        let other = sign(
            Algorithm::HS256,
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!"),
            &valid_claims(),
        );
        assert_eq!(verifier.verify(&other), Err(AuthError::BadSignature));
    }

    #[test]
    fn lifetime_is_checked_with_a_small_leeway() {
        let verifier = JwtVerifier::hs256(SECRET).unwrap();
        let at = |exp: i64, nbf: i64| hs(&json!({"sub": "ana", "exp": exp, "nbf": nbf}));
        let t = now();
        assert_eq!(
            verifier.verify(&at(t - 120, t - 600)),
            Err(AuthError::Expired)
        );
        assert_eq!(
            verifier.verify(&at(t + 600, t + 120)),
            Err(AuthError::NotYetValid)
        );
        // Within the leeway both ways: a few seconds of clock skew is tolerated.
        assert!(verifier.verify(&at(t - 5, t + 5)).is_ok());
    }

    #[test]
    fn sub_and_exp_are_required_and_sub_must_be_a_user_id() {
        let verifier = JwtVerifier::hs256(SECRET).unwrap();
        let t = now();
        assert_eq!(
            verifier.verify(&hs(&json!({"exp": t + 600}))),
            Err(AuthError::MissingClaim("sub".into()))
        );
        assert_eq!(
            verifier.verify(&hs(&json!({"sub": 42, "exp": t + 600}))),
            Err(AuthError::MissingClaim("sub".into()))
        );
        assert_eq!(
            verifier.verify(&hs(&json!({"sub": "ana"}))),
            Err(AuthError::MissingClaim("exp".into()))
        );
        for sub in ["", "a\u{7}b", &"x".repeat(129)] {
            assert!(matches!(
                verifier.verify(&hs(&json!({"sub": sub, "exp": t + 600}))),
                Err(AuthError::BadSubject(_))
            ));
        }
    }

    #[test]
    fn issuer_and_audience_are_enforced_when_configured() {
        let verifier = JwtVerifier::hs256(SECRET)
            .unwrap()
            .with_issuer("https://id.shop")
            .with_audience("flashsale");
        let t = now();
        let good =
            json!({"sub": "ana", "exp": t + 600, "iss": "https://id.shop", "aud": "flashsale"});
        assert!(verifier.verify(&hs(&good)).is_ok());
        let mut wrong_iss = good.clone();
        wrong_iss["iss"] = json!("https://evil");
        assert_eq!(
            verifier.verify(&hs(&wrong_iss)),
            Err(AuthError::WrongIssuer)
        );
        let mut wrong_aud = good.clone();
        wrong_aud["aud"] = json!(["other"]);
        assert_eq!(
            verifier.verify(&hs(&wrong_aud)),
            Err(AuthError::WrongAudience)
        );
        // Configured claims must be present, not merely correct when present.
        let mut no_iss = good.clone();
        no_iss.as_object_mut().unwrap().remove("iss");
        assert_eq!(
            verifier.verify(&hs(&no_iss)),
            Err(AuthError::MissingClaim("iss".into()))
        );
        let mut no_aud = good;
        no_aud.as_object_mut().unwrap().remove("aud");
        assert_eq!(
            verifier.verify(&hs(&no_aud)),
            Err(AuthError::MissingClaim("aud".into()))
        );
    }

    #[test]
    fn garbage_and_huge_tokens_are_refused_without_echoing_them() {
        let verifier = JwtVerifier::hs256(SECRET).unwrap();
        for token in [
            "",
            ".",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "\u{0}.\u{0}.\u{0}",
            "eyJ.eyJ.x",
        ] {
            assert_eq!(
                verifier.verify(token),
                Err(AuthError::Malformed),
                "{token:?}"
            );
        }
        let huge = "a".repeat(1_000_000);
        assert_eq!(verifier.verify(&huge), Err(AuthError::TokenTooLong));
        let token = hs(&valid_claims());
        let message = verifier
            .verify(&format!("{token}x"))
            .unwrap_err()
            .to_string();
        assert!(!message.contains(&token[..20]), "{message}");
    }

    #[test]
    fn weak_secrets_and_unusable_keys_are_configuration_errors() {
        let short = JwtVerifier::hs256(b"secret").unwrap_err();
        assert_eq!(short, AuthError::WeakSecret);
        assert!(short.is_configuration());
        assert!(JwtSigner::hs256(b"").is_err());
        for pem in [
            RSA_PRIVATE,
            EC_PRIVATE,
            b"not a key".as_slice(),
            b"\xff\xfe",
        ] {
            let err = JwtVerifier::from_public_key_pem(pem).unwrap_err();
            assert!(err.is_configuration(), "{err}");
        }
        assert!(!AuthError::Expired.is_configuration());
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
        // A verifier without the issuer/audience refuses the audience it was not told about.
        assert_eq!(
            JwtVerifier::hs256(SECRET).unwrap().verify(&minted.token),
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

    /// The wall clock: jsonwebtoken checks `exp` and `nbf` against the system time.
    fn wall_clock() -> DateTime<Utc> {
        DateTime::from_timestamp(now(), 0).unwrap()
    }
}
