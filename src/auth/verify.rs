//! Verifying a JWT into an [`Identity`]: the algorithm is fixed by the key, never read from
//! the token.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::jwks::{FetchKeys, HttpKeys, JwksCache, JwksPolicy, KeySet};
use super::{AuthError, Identity, check_secret};
use crate::domain::{UserId, shown};

/// Clock skew tolerated on `exp` and `nbf`, in seconds: enough for hosts whose clocks drift
/// apart, too little to keep a stolen token useful for long.
pub const LEEWAY_SECONDS: u64 = 30;

/// The longest token accepted, in bytes. Real tokens are a few hundred bytes; refusing
/// anything longer before decoding keeps a hostile megabyte from costing base64 and JSON work.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies JWTs and turns a valid one into an [`Identity`]. Cheap to clone and `Send + Sync`,
/// so one verifier can serve many concurrent claims.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Keys,
    validation: Validation,
}

/// The key, or keys, a verifier checks signatures with.
#[derive(Clone)]
enum Keys {
    /// One key, and the one algorithm it verifies.
    One {
        key: DecodingKey,
        algorithm: Algorithm,
    },
    /// A key set read once (a file).
    Set(Arc<KeySet>),
    /// A key set fetched from the issuer and refreshed (see [`super::jwks`]).
    Fetched(Arc<JwksCache>),
}

/// Never shows the key.
impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.algorithm())
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier of HS256 tokens signed with `secret`.
    ///
    /// # Errors
    /// [`AuthError::WeakSecret`] when the secret is shorter than [`super::MIN_SECRET_BYTES`].
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
            // jsonwebtoken takes an EC key on any curve, but ES256 is P-256 only: a P-384 key
            // would start a server that refuses every token, so it is refused here instead.
            if !is_p256(text) {
                return Err(AuthError::BadPublicKey(
                    "an EC key on a curve other than P-256; ES256 needs a P-256 (prime256v1) key",
                ));
            }
            return Ok(Self::new(key, Algorithm::ES256));
        }
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Ok(Self::new(key, Algorithm::RS256));
        }
        Err(AuthError::BadPublicKey(
            "expected an RSA or EC (P-256) public key",
        ))
    }

    pub(super) fn new(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "sub"].map(String::from).into();
        // An `aud` the operator did not ask about is not checked: most identity providers
        // always set one, and refusing it would refuse every real token (RFC 7519 section
        // 4.1.3 leaves the check to a recipient that identifies itself). `with_audience`
        // turns the check on.
        validation.validate_aud = false;
        JwtVerifier {
            keys: Keys::One { key, algorithm },
            validation,
        }
    }

    /// A verifier for the keys of a JSON Web Key Set document (a file an operator keeps):
    /// RS256, ES256 (P-256) and `EdDSA` (Ed25519) keys, each verifying its one algorithm.
    ///
    /// # Errors
    /// [`AuthError::BadKeySet`] for a document that is not a key set, or has no usable key.
    pub fn from_jwks(json: &[u8]) -> Result<Self, AuthError> {
        let set = KeySet::parse(json)?;
        Ok(Self::with_keys(Keys::Set(Arc::new(set))))
    }

    /// A verifier for the key set published at `url`, fetched now and then kept and
    /// refreshed as `policy` says.
    ///
    /// # Errors
    /// [`AuthError::BadKeySet`] for a URL that is not http(s) or a set without a usable key,
    /// [`AuthError::KeySetUnreachable`] when the first fetch fails.
    pub async fn from_jwks_url(url: &str, policy: JwksPolicy) -> Result<Self, AuthError> {
        Self::from_key_fetcher(
            Box::new(HttpKeys::new(url)?),
            policy,
            Box::new(Instant::now),
        )
        .await
    }

    /// A verifier for the key set `fetcher` fetches, with the time read from `clock`.
    ///
    /// # Errors
    /// As [`JwtVerifier::from_jwks_url`].
    pub async fn from_key_fetcher(
        fetcher: Box<dyn FetchKeys>,
        policy: JwksPolicy,
        clock: Box<dyn Fn() -> Instant + Send + Sync>,
    ) -> Result<Self, AuthError> {
        let cache = JwksCache::new(fetcher, policy, clock).await?;
        Ok(Self::with_keys(Keys::Fetched(Arc::new(cache))))
    }

    fn with_keys(keys: Keys) -> Self {
        // The algorithm list is replaced by each key's one algorithm before decoding.
        let mut verifier = Self::new(DecodingKey::from_secret(&[]), Algorithm::RS256);
        verifier.keys = keys;
        verifier
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
        self.validation.validate_aud = true;
        self.validation.required_spec_claims.insert("aud".into());
        self
    }

    /// The one algorithm this verifier accepts (`HS256`, `RS256` or `ES256`), or for a key
    /// set, `key set` (each key verifies its own algorithm).
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        match &self.keys {
            Keys::One { algorithm, .. } => algorithm_name(*algorithm),
            Keys::Set(_) | Keys::Fetched(_) => "key set",
        }
    }

    /// Verifies `token` against the current system time and returns its `sub` as a verified
    /// [`Identity`]. A fetched key set is used as it is now, never refreshed: a server
    /// verifies with [`JwtVerifier::verify_fresh`].
    ///
    /// # Errors
    /// An [`AuthError`] naming the first check that failed.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TokenTooLong);
        }
        match &self.keys {
            Keys::One { key, algorithm } => self.verify_with(token, key, *algorithm),
            Keys::Set(set) => self.verify_in(token, set, &header_of(token)?),
            Keys::Fetched(cache) => self.verify_in(token, &cache.current(), &header_of(token)?),
        }
    }

    /// As [`JwtVerifier::verify`], but a fetched key set that is stale, or lacks the token's
    /// `kid`, is fetched again first (at most once per refetch interval for unknown ids).
    ///
    /// # Errors
    /// An [`AuthError`] naming the first check that failed.
    pub async fn verify_fresh(&self, token: &str) -> Result<Identity, AuthError> {
        let Keys::Fetched(cache) = &self.keys else {
            return self.verify(token);
        };
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TokenTooLong);
        }
        let header = header_of(token)?;
        let set = cache.set_for(header.kid.as_deref()).await;
        self.verify_in(token, &set, &header)
    }

    /// Verifies `token` with the key of `set` its header names, whose algorithm it must use.
    fn verify_in(&self, token: &str, set: &KeySet, header: &Header) -> Result<Identity, AuthError> {
        let (key, algorithm) = set.find(header.kid.as_deref())?;
        if header.alg != algorithm_name(algorithm) {
            return Err(AuthError::AlgorithmNotAllowed {
                alg: shown(&header.alg),
                expected: algorithm_name(algorithm),
            });
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![algorithm];
        decode(token, key, &validation, algorithm)
    }

    fn verify_with(
        &self,
        token: &str,
        key: &DecodingKey,
        algorithm: Algorithm,
    ) -> Result<Identity, AuthError> {
        decode(token, key, &self.validation, algorithm)
    }
}

/// Decodes and checks `token` with `key`, which verifies `algorithm` only.
fn decode(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
    algorithm: Algorithm,
) -> Result<Identity, AuthError> {
    let data = jsonwebtoken::decode::<Subject>(token, key, validation).map_err(|err| {
        // A token refused for its algorithm (`none`, or HS256 against a public key) is
        // named by its header's `alg`; jsonwebtoken checks the algorithm before
        // anything else, so reading the header only on failure keeps that message and
        // spares every valid token a second decode of its header.
        match header_of(token) {
            Err(malformed) => malformed,
            Ok(header) if header.alg != algorithm_name(algorithm) => {
                AuthError::AlgorithmNotAllowed {
                    alg: shown(&header.alg),
                    expected: algorithm_name(algorithm),
                }
            }
            Ok(_) => verification_error(err.into_kind()),
        }
    })?;
    let sub = data
        .claims
        .sub
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| AuthError::MissingClaim("sub".into()))?;
    let user = UserId::parse(sub).map_err(AuthError::BadSubject)?;
    // A `scope` that is not a string grants nothing: a route that needs a scope refuses it
    // (403), and one that needs none does not care.
    let scope = match data.claims.scope {
        Some(Value::String(scope)) => Some(scope.into_boxed_str()),
        _ => None,
    };
    Ok(Identity::verified_jwt(user, scope))
}

/// The claims read from a verified token; jsonwebtoken checks `exp`, `nbf`, `iss` and `aud`
/// itself, and every other claim is skipped unread.
#[derive(serde::Deserialize)]
struct Subject {
    /// Kept as JSON so that a `sub` that is not a string is reported as missing, not malformed.
    sub: Option<Value>,
    /// The OAuth 2 `scope` claim, space-separated; kept as JSON for the same reason.
    scope: Option<Value>,
}

/// The DER encoding of P-256's object identifier (1.2.840.10045.3.1.7, `prime256v1`), which an
/// EC public key's `SubjectPublicKeyInfo` names as its curve.
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Whether the PEM `BEGIN PUBLIC KEY` block in `text` names the P-256 curve.
fn is_p256(text: &str) -> bool {
    let body: String = text
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN PUBLIC KEY-----"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .is_ok_and(|der| der.windows(P256_OID.len()).any(|w| w == P256_OID))
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        // The verifier is only ever built with the four above.
        _ => "unsupported",
    }
}

/// What a compact JWT's header says about its key: `alg` and `kid`.
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The `alg` and `kid` of a compact JWT's header, read without trusting anything else in it.
fn header_of(token: &str) -> Result<Header, AuthError> {
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
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(AuthError::Malformed),
    };
    match header.get("alg") {
        Some(Value::String(alg)) => Ok(Header {
            alg: alg.clone(),
            kid,
        }),
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
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey};
    use serde_json::{Value, json};

    use super::*;
    use crate::auth::fixtures::{
        EC_PRIVATE, EC_PUBLIC, RSA_PRIVATE, RSA_PUBLIC, SECRET, hs, now, sign, valid_claims,
    };
    use crate::auth::{IdentitySource, JwtSigner};

    /// A P-384 public key: an EC key ES256 cannot verify with.
    const EC_P384_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/ec_p384_public.pem");

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

    /// Identity providers set `aud` on every token; without a configured
    /// audience it is not checked, with one it must match.
    #[test]
    fn an_audience_is_checked_only_when_one_is_configured() {
        let t = now();
        let token = hs(&json!({"sub": "ana", "exp": t + 600, "aud": "some-shop"}));
        let listed = hs(&json!({"sub": "ana", "exp": t + 600, "aud": ["a", "b"]}));
        let open = JwtVerifier::hs256(SECRET).unwrap();
        assert_eq!(open.verify(&token).unwrap().user().as_str(), "ana");
        assert_eq!(open.verify(&listed).unwrap().user().as_str(), "ana");
        let strict = JwtVerifier::hs256(SECRET)
            .unwrap()
            .with_audience("flashsale");
        assert_eq!(strict.verify(&token), Err(AuthError::WrongAudience));
        assert_eq!(strict.verify(&listed), Err(AuthError::WrongAudience));
        let right = hs(&json!({"sub": "ana", "exp": t + 600, "aud": ["x", "flashsale"]}));
        assert!(strict.verify(&right).is_ok());
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
        assert_eq!(
            crate::Error::from(short).kind(),
            crate::ErrorKind::InvalidInput
        );
        assert!(JwtSigner::hs256(b"").is_err());
        for pem in [
            RSA_PRIVATE,
            EC_PRIVATE,
            EC_P384_PUBLIC,
            b"not a key".as_slice(),
            b"\xff\xfe",
        ] {
            let err = JwtVerifier::from_public_key_pem(pem).unwrap_err();
            assert_eq!(
                crate::Error::from(err).kind(),
                crate::ErrorKind::InvalidInput
            );
        }
        assert_eq!(
            crate::Error::from(AuthError::Expired).kind(),
            crate::ErrorKind::Unauthenticated
        );
    }
}
