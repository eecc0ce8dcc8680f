//! Keys an issuer publishes as a JSON Web Key Set (RFC 7517): read once from a file, or fetched
//! from a URL and cached by `kid`, so that an identity provider can rotate its signing keys
//! without restarting the server.
//!
//! Each key's one algorithm follows from its type (RSA: RS256, EC P-256: ES256, OKP Ed25519:
//! `EdDSA`), checked against the key's `alg` when it has one; a token's `alg` must be that
//! algorithm. Symmetric (`oct`) keys, encryption keys and other curves are skipped: a shared
//! secret published beside public keys is the key-confusion attack waiting to happen.
//!
//! The fetched set is kept for the issuer's cache lifetime (`Cache-Control: max-age`, bounded
//! by [`JwksPolicy`]). A token whose `kid` the set does not have causes one refetch, at most
//! once per [`JwksPolicy::refetch_interval`], so tokens with made-up key ids cannot turn the
//! server into a load generator against the issuer. While the issuer is unreachable, the last
//! good set stays in use.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::AuthError;

/// The largest key set read, in bytes: real sets are a few kilobytes, and a bound keeps a
/// broken or hostile issuer from filling the server's memory.
pub const MAX_KEY_SET_BYTES: usize = 256 * 1024;

/// How long a fetched key set is kept, and how often it may be fetched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksPolicy {
    /// How long a set is kept when the issuer's answer has no `max-age`.
    pub default_max_age: Duration,
    /// The shortest time a set is kept, whatever the issuer says (`max-age=0`, `no-store`):
    /// requests never wait on a fetch more often than this.
    pub min_max_age: Duration,
    /// The longest time a set is kept, whatever the issuer says: a key the issuer withdrew
    /// stops verifying within this time.
    pub max_max_age: Duration,
    /// The shortest time between two fetches caused by unknown key ids, and between two tries
    /// while the issuer is unreachable.
    pub refetch_interval: Duration,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        JwksPolicy {
            default_max_age: Duration::from_secs(300),
            min_max_age: Duration::from_secs(1),
            max_max_age: Duration::from_secs(24 * 3600),
            refetch_interval: Duration::from_secs(10),
        }
    }
}

/// One usable key of a set.
struct SetKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// The usable keys of a JSON Web Key Set.
pub(crate) struct KeySet {
    keys: Vec<SetKey>,
}

/// Never shows a key, only their ids and algorithms.
impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (&k.kid, k.algorithm)))
            .finish()
    }
}

impl KeySet {
    /// The usable keys of the set `json`.
    ///
    /// # Errors
    /// [`AuthError::BadKeySet`] for anything that is not a JSON object with a `keys` array, or
    /// a set without one usable key.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, AuthError> {
        if json.len() > MAX_KEY_SET_BYTES {
            return Err(AuthError::BadKeySet(format!(
                "larger than {MAX_KEY_SET_BYTES} bytes"
            )));
        }
        let document: Value =
            serde_json::from_slice(json).map_err(|_| AuthError::BadKeySet("not JSON".into()))?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err(AuthError::BadKeySet("no `keys` array".into()));
        };
        let mut keys: Vec<SetKey> = Vec::new();
        // A key jsonwebtoken cannot read, or one this verifier does not accept, is skipped:
        // issuers publish encryption keys and other algorithms beside their signing keys.
        for entry in entries {
            let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
                continue;
            };
            let Some(key) = usable(&jwk) else { continue };
            // Two keys under one id make the id useless; the first one stays.
            if key.kid.is_some() && keys.iter().any(|known| known.kid == key.kid) {
                continue;
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(AuthError::BadKeySet(
                "no RS256, ES256 (P-256) or EdDSA (Ed25519) signing key in it".into(),
            ));
        }
        Ok(KeySet { keys })
    }

    /// The key that verifies a token with key id `kid`: the one with that id, or without an
    /// id, the set's only key.
    pub(super) fn find(&self, kid: Option<&str>) -> Result<(&DecodingKey, Algorithm), AuthError> {
        let found = match kid {
            Some(kid) => self.keys.iter().find(|key| key.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => return Err(AuthError::KeyIdRequired),
        };
        found
            .map(|key| (&key.key, key.algorithm))
            .ok_or(AuthError::UnknownKey)
    }

    /// How many usable keys the set has.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The key and its one algorithm, if this verifier accepts it.
fn usable(jwk: &Jwk) -> Option<SetKey> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    let declared = jwk.common.key_algorithm;
    let agrees = match declared {
        None => true,
        Some(KeyAlgorithm::RS256) => algorithm == Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => algorithm == Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => algorithm == Algorithm::EdDSA,
        Some(_) => false,
    };
    if !agrees {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(SetKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        key,
    })
}

/// A fetched key set: the document and how long the issuer says to keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedKeys {
    /// The JSON Web Key Set document.
    pub body: Vec<u8>,
    /// The answer's `Cache-Control: max-age` (zero for `no-store` or `no-cache`), if any.
    pub max_age: Option<Duration>,
}

/// Where a key set comes from: the issuer over HTTP ([`HttpKeys`]), or a test's script.
pub trait FetchKeys: Send + Sync {
    /// Fetches the set once; the error says why not, in words fit for a log line.
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, String>>;
}

/// Fetches a key set from an HTTP URL with reqwest.
pub struct HttpKeys {
    client: reqwest::Client,
    url: reqwest::Url,
}

/// How long one fetch of a key set may take: a request waiting on a refetch waits this long
/// at most before the last good set answers it.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

impl HttpKeys {
    /// A fetcher of the set at `url`.
    ///
    /// # Errors
    /// [`AuthError::BadKeySet`] for a URL that is not `http://` or `https://`.
    pub fn new(url: &str) -> Result<Self, AuthError> {
        let url = reqwest::Url::parse(url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| AuthError::BadKeySet("its URL is not an http(s) URL".into()))?;
        let client = crate::outbound::client()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|err| AuthError::KeySetUnreachable(err.to_string()))?;
        Ok(HttpKeys { client, url })
    }
}

impl FetchKeys for HttpKeys {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, String>> {
        Box::pin(async move {
            let mut response = self
                .client
                .get(self.url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|err| with_causes(&err.without_url()))?;
            if !response.status().is_success() {
                return Err(format!("the issuer answered {}", response.status()));
            }
            let max_age = response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|value| value.to_str().ok())
                .and_then(max_age);
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|err| with_causes(&err.without_url()))?
            {
                if body.len() + chunk.len() > MAX_KEY_SET_BYTES {
                    return Err(format!(
                        "the key set is larger than {MAX_KEY_SET_BYTES} bytes"
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(FetchedKeys { body, max_age })
        })
    }
}

/// An error and its causes, `outer: inner`: reqwest's own words ("error sending request")
/// do not say that the certificate was not trusted or the connection refused.
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let words = cause.to_string();
        // hyper and reqwest repeat their inner error's words in their own.
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = cause.source();
    }
    text
}

/// The lifetime a `Cache-Control` value gives: its `max-age`, or zero for `no-store` and
/// `no-cache`.
fn max_age(cache_control: &str) -> Option<Duration> {
    let mut found = None;
    for directive in cache_control.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        match name.to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return Some(Duration::ZERO),
            "max-age" => {
                found = value
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs);
            }
            _ => {}
        }
    }
    found
}

/// What the cache holds: the last good set, when it goes stale, and when it was last fetched
/// (or tried).
struct State {
    set: Arc<KeySet>,
    stale_at: Instant,
    last_attempt: Instant,
}

/// A fetched key set, refreshed when stale or on an unknown key id (see the module comment).
pub(crate) struct JwksCache {
    fetcher: Box<dyn FetchKeys>,
    policy: JwksPolicy,
    clock: Box<dyn Fn() -> Instant + Send + Sync>,
    state: RwLock<State>,
    /// Held while fetching: concurrent requests that need a fresh set wait for one fetch.
    fetching: tokio::sync::Mutex<()>,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksCache")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache whose first set is fetched now: a server must not start without keys.
    ///
    /// # Errors
    /// [`AuthError::KeySetUnreachable`] when the fetch fails, [`AuthError::BadKeySet`] when the
    /// set has no usable key.
    pub(crate) async fn new(
        fetcher: Box<dyn FetchKeys>,
        policy: JwksPolicy,
        clock: Box<dyn Fn() -> Instant + Send + Sync>,
    ) -> Result<Self, AuthError> {
        let first = fetcher
            .fetch()
            .await
            .map_err(AuthError::KeySetUnreachable)?;
        let set = KeySet::parse(&first.body)?;
        let now = clock();
        let state = State {
            set: Arc::new(set),
            stale_at: now + lifetime(&policy, first.max_age),
            last_attempt: now,
        };
        Ok(JwksCache {
            fetcher,
            policy,
            clock,
            state: RwLock::new(state),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The set as it is now, without fetching.
    pub(crate) fn current(&self) -> Arc<KeySet> {
        Arc::clone(&self.read().set)
    }

    /// The set to verify a token with key id `kid`: refetched first when stale, or when it
    /// lacks `kid` and the last fetch is older than the refetch interval.
    pub(crate) async fn set_for(&self, kid: Option<&str>) -> Arc<KeySet> {
        if !self.needs_fetch(kid) {
            return self.current();
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        if self.needs_fetch(kid) {
            self.refresh().await;
        }
        self.current()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written (each write
        // replaces whole fields), so a poisoned lock's state is still good.
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn needs_fetch(&self, kid: Option<&str>) -> bool {
        let now = (self.clock)();
        let state = self.read();
        if now >= state.stale_at {
            return true;
        }
        matches!(state.set.find(kid), Err(AuthError::UnknownKey))
            && now >= state.last_attempt + self.policy.refetch_interval
    }

    async fn refresh(&self) {
        let result = self.fetcher.fetch().await;
        let parsed = result.and_then(|fetched| {
            let set = KeySet::parse(&fetched.body).map_err(|err| err.to_string())?;
            Ok((set, fetched.max_age))
        });
        let now = (self.clock)();
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.last_attempt = now;
        match parsed {
            Ok((set, max_age)) => {
                state.set = Arc::new(set);
                state.stale_at = now + lifetime(&self.policy, max_age);
            }
            Err(reason) => {
                // The last good set keeps verifying; the issuer is tried again after the
                // refetch interval, not on every request.
                state.stale_at = now + self.policy.refetch_interval;
                tracing::warn!(%reason, "the JWT key set could not be refreshed; keeping the last good set");
            }
        }
    }
}

/// How long a set fetched with `max_age` is kept.
fn lifetime(policy: &JwksPolicy, max_age: Option<Duration>) -> Duration {
    max_age
        .unwrap_or(policy.default_max_age)
        .clamp(policy.min_max_age, policy.max_max_age)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    /// An RSA public key as a JWK (which modulus does not matter here: only ids and fetch
    /// counts are checked).
    fn rsa_jwk(kid: &str) -> Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"})
    }

    fn set_of(kids: &[&str]) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"keys": kids.iter().map(|kid| rsa_jwk(kid)).collect::<Vec<_>>()}),
        )
        .unwrap()
    }

    /// A fetcher that answers from a script: the next answer, or the last one forever.
    struct Script {
        answers: Mutex<Vec<Result<FetchedKeys, String>>>,
        fetches: AtomicUsize,
    }

    impl FetchKeys for Arc<Script> {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedKeys, String>> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let mut answers = self.answers.lock().unwrap();
            let answer = if answers.len() > 1 {
                answers.remove(0)
            } else {
                answers[0].clone()
            };
            Box::pin(async move { answer })
        }
    }

    #[expect(
        clippy::unnecessary_wraps,
        reason = "a script's answer, beside failed ones"
    )]
    fn keys(kids: &[&str], max_age: Option<u64>) -> Result<FetchedKeys, String> {
        Ok(FetchedKeys {
            body: set_of(kids),
            max_age: max_age.map(Duration::from_secs),
        })
    }

    struct Fixture {
        script: Arc<Script>,
        now: Arc<Mutex<Instant>>,
        cache: JwksCache,
    }

    impl Fixture {
        async fn new(answers: Vec<Result<FetchedKeys, String>>) -> Self {
            let script = Arc::new(Script {
                answers: Mutex::new(answers),
                fetches: AtomicUsize::new(0),
            });
            let now = Arc::new(Mutex::new(Instant::now()));
            let clock = Arc::clone(&now);
            let cache = JwksCache::new(
                Box::new(Arc::clone(&script)),
                JwksPolicy::default(),
                Box::new(move || *clock.lock().unwrap()),
            )
            .await
            .unwrap();
            Fixture { script, now, cache }
        }

        fn advance(&self, seconds: u64) {
            *self.now.lock().unwrap() += Duration::from_secs(seconds);
        }

        fn fetches(&self) -> usize {
            self.script.fetches.load(Ordering::SeqCst)
        }

        async fn has(&self, kid: &str) -> bool {
            self.cache.set_for(Some(kid)).await.find(Some(kid)).is_ok()
        }
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_at_most_once_per_interval() {
        let fx = Fixture::new(vec![
            keys(&["a"], Some(3600)),
            keys(&["a", "b"], Some(3600)),
            keys(&["a", "b", "c"], Some(3600)),
        ])
        .await;
        assert_eq!(fx.fetches(), 1);
        assert!(fx.has("a").await);
        assert_eq!(fx.fetches(), 1, "a known kid fetches nothing");
        // Too soon after the first fetch: an unknown kid is refused without a fetch.
        assert!(!fx.has("b").await);
        assert_eq!(fx.fetches(), 1);
        fx.advance(10);
        assert!(fx.has("b").await, "one refetch finds the new key");
        assert_eq!(fx.fetches(), 2);
        // Made-up kids right after: no fetch each, whatever their number.
        for i in 0..100 {
            assert!(!fx.has(&format!("made-up-{i}")).await);
        }
        assert!(!fx.has("c").await);
        assert_eq!(fx.fetches(), 2);
        fx.advance(9);
        assert!(!fx.has("c").await);
        assert_eq!(fx.fetches(), 2);
        fx.advance(1);
        assert!(fx.has("c").await);
        assert_eq!(fx.fetches(), 3);
    }

    #[tokio::test]
    async fn the_last_good_set_is_kept_while_the_issuer_fails() {
        let fx = Fixture::new(vec![
            keys(&["a"], Some(60)),
            Err("connection refused".into()),
            Ok(FetchedKeys {
                body: b"<html>oops</html>".to_vec(),
                max_age: None,
            }),
            keys(&["b"], Some(60)),
        ])
        .await;
        fx.advance(61);
        // Stale: the fetch fails, and the old set still verifies.
        assert!(fx.has("a").await);
        assert_eq!(fx.fetches(), 2);
        // Not retried on every request while the issuer is down.
        assert!(fx.has("a").await);
        assert_eq!(fx.fetches(), 2);
        fx.advance(10);
        // A broken document is a failure too: the old set stays.
        assert!(fx.has("a").await);
        assert_eq!(fx.fetches(), 3);
        fx.advance(10);
        // The issuer is back with a rotated set: the removed key is gone.
        assert!(!fx.has("a").await);
        assert!(fx.has("b").await);
        assert_eq!(fx.fetches(), 4);
    }

    #[tokio::test]
    async fn the_issuers_max_age_is_respected_within_bounds() {
        let fx = Fixture::new(vec![
            keys(&["a"], Some(120)),
            keys(&["b"], None),
            keys(&["c"], Some(10 * 24 * 3600)),
            keys(&["d"], Some(0)),
        ])
        .await;
        fx.advance(119);
        assert!(fx.has("a").await);
        assert_eq!(fx.fetches(), 1, "fresh for its max-age");
        fx.advance(1);
        assert!(fx.has("b").await);
        assert_eq!(fx.fetches(), 2, "stale at its max-age");
        // No max-age: the default lifetime.
        fx.advance(299);
        assert!(fx.has("b").await);
        fx.advance(1);
        assert!(fx.has("c").await);
        assert_eq!(fx.fetches(), 3);
        // Ten days asked: kept one day at most.
        fx.advance(24 * 3600);
        assert!(fx.has("d").await);
        assert_eq!(fx.fetches(), 4);
        // `max-age=0`: still kept for the minimum, not fetched on every request.
        assert!(fx.has("d").await);
        assert_eq!(fx.fetches(), 4);
    }

    #[test]
    fn cache_control_gives_the_lifetime() {
        assert_eq!(
            max_age("public, max-age=3600"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            max_age("Max-Age=\"60\", must-revalidate"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("max-age=60, no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("private"), None);
        assert_eq!(max_age("max-age=-1"), None);
    }

    #[test]
    fn only_signing_keys_of_the_three_algorithms_are_kept() {
        let mut enc = rsa_jwk("enc");
        enc["use"] = json!("enc");
        let mut ps = rsa_jwk("ps");
        ps["alg"] = json!("PS256");
        let set = json!({"keys": [
            rsa_jwk("rs"),
            enc,
            ps,
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
            {"kty": "whatever", "kid": "x"},
            rsa_jwk("rs"),
        ]});
        let parsed = KeySet::parse(&serde_json::to_vec(&set).unwrap()).unwrap();
        assert_eq!(parsed.len(), 1, "{parsed:?}");
        assert_eq!(parsed.find(Some("rs")).unwrap().1, Algorithm::RS256);
        assert_eq!(parsed.find(None).unwrap().1, Algorithm::RS256);
        assert!(matches!(
            parsed.find(Some("hmac")),
            Err(AuthError::UnknownKey)
        ));
        let two = KeySet::parse(&set_of(&["a", "b"])).unwrap();
        assert!(matches!(two.find(None), Err(AuthError::KeyIdRequired)));
        for bad in [&b"[]"[..], b"{}", b"{\"keys\": []}", b"not json"] {
            assert!(matches!(KeySet::parse(bad), Err(AuthError::BadKeySet(_))));
        }
    }
}
