//! `serve --jwks-url` and `--jwks-file`: shoppers' tokens verified with an issuer's published
//! keys, which rotate while the server answers claims. The issuer is a tiny axum server the
//! test starts on 127.0.0.1 port 0; `flashsale serve` is stopped by pid.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::server::Server;
use support::{TestEnv, unix_now};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt");

/// One of the fixture key pairs, published under a key id of the test's choosing.
#[derive(Clone)]
struct Key {
    kid: String,
    algorithm: Algorithm,
    private: EncodingKey,
    /// The public key as a JWK, from tests/fixtures/jwt/jwks.json.
    public: Value,
}

impl Key {
    /// The fixture pair `name` (`rsa`, `ec` or `ed`) under key id `kid`.
    fn new(name: &str, kid: &str) -> Key {
        let jwks: Value =
            serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/jwks.json")).unwrap())
                .unwrap();
        let mut public = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|key| key["kid"] == name)
            .unwrap()
            .clone();
        public["kid"] = json!(kid);
        let pem = |file: &str| std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
        let (algorithm, private) = match name {
            "rsa" => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(&pem("rsa_private.pem")).unwrap(),
            ),
            "ec" => (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(&pem("ec_private.pem")).unwrap(),
            ),
            _ => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(&pem("ed25519_private.pem")).unwrap(),
            ),
        };
        Key {
            kid: kid.to_owned(),
            algorithm,
            private,
            public,
        }
    }

    fn token(&self, user: &str) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        let claims = json!({"sub": user, "exp": unix_now() + 600});
        jsonwebtoken::encode(&header, &claims, &self.private).unwrap()
    }
}

/// The issuer's key set endpoint: `GET /jwks` answers the published keys with
/// `Cache-Control: max-age=1`.
struct Issuer {
    published: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Issuer {
    async fn start(keys: &[&Key]) -> Issuer {
        Issuer::start_with(keys, None).await
    }

    /// The same endpoint over HTTPS, with the certificate and key `tls` holds.
    async fn start_with(keys: &[&Key], tls: Option<Arc<rustls::ServerConfig>>) -> Issuer {
        let published = Arc::new(Mutex::new(Vec::new()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (set, count) = (Arc::clone(&published), Arc::clone(&fetches));
        let router = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (set, count) = (Arc::clone(&set), Arc::clone(&count));
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    let keys = set.lock().unwrap().clone();
                    (
                        [("cache-control", "public, max-age=1")],
                        axum::Json(json!({"keys": keys})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (url, task) = match tls {
            None => (
                format!("http://{address}/jwks"),
                tokio::spawn(async move {
                    axum::serve(listener, router)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await
                        .unwrap();
                }),
            ),
            Some(config) => (
                format!("https://{address}/jwks"),
                tokio::spawn(serve_tls(listener, router, config, stopped)),
            ),
        };
        let issuer = Issuer {
            published,
            fetches,
            url,
            stop: Some(stop),
            task,
        };
        issuer.publish(keys);
        issuer
    }

    fn publish(&self, keys: &[&Key]) {
        *self.published.lock().unwrap() = keys.iter().map(|key| key.public.clone()).collect();
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

/// Serves `router` over TLS on `listener` until `stopped`, one connection at a time per task.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    config: Arc<rustls::ServerConfig>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted.unwrap(),
            _ = &mut stopped => return,
        };
        let (acceptor, router) = (acceptor.clone(), router.clone());
        tokio::spawn(async move {
            // A client that refuses the certificate ends its handshake: nothing to serve.
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(router);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A self-signed certificate for 127.0.0.1, made with the system's `openssl` in `dir`: the
/// server's TLS configuration, and the certificate's path for `SSL_CERT_FILE`.
fn self_signed(dir: &std::path::Path) -> (Arc<rustls::ServerConfig>, std::path::PathBuf) {
    use rustls::pki_types::pem::PemObject as _;
    let (cert, key) = (dir.join("issuer-cert.pem"), dir.join("issuer-key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        // An end entity, not a CA: webpki refuses a CA certificate as a server's own.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "openssl: {made:?}");
    let chain = vec![rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap()];
    let private = rustls::pki_types::PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, private)
    .unwrap();
    (Arc::new(config), cert)
}

/// A running `flashsale serve` verifying with the keys `key_args` name (no secret: the test
/// environment passes no `FLASHSALE_*` variable of its own).
fn start(env: &TestEnv, key_args: &[&str]) -> Server {
    Server::start_with(env, key_args, &[])
}

async fn claim(http: &reqwest::Client, base: &str, token: &str) -> u16 {
    http.post(format!("{base}/v1/campaigns/spring/claim"))
        .bearer_auth(token)
        .json(&json!({"cart_cents": 5000}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The key shoppers' tokens are signed with now, as the issuer would hand them out.
type Signing = Arc<Mutex<Key>>;

/// Claims from `clients` concurrent shoppers until `stop`, each token signed with the key
/// `signing` holds when it is minted; every fifth claim repeats the previous one (200).
/// Returns (answered 201 or 200, anything else).
async fn load(
    base: String,
    signing: Signing,
    clients: usize,
    stop: Arc<AtomicBool>,
) -> (usize, Vec<(String, u16)>) {
    let http = flashsale::outbound::client().build().unwrap();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (http, base, signing, stop) = (
                http.clone(),
                base.clone(),
                Arc::clone(&signing),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0, Vec::new());
                // Bounded: the rotations end long before.
                for n in 0..20_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let user = format!("c{client}-{}", n - usize::from(n % 5 == 4));
                    let key = signing.lock().unwrap().clone();
                    let status = claim(&http, &base, &key.token(&user)).await;
                    if matches!(status, 200 | 201) {
                        ok += 1;
                    } else {
                        failed.push((key.kid.clone(), status));
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (ok, failed)
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, Vec::new());
    for task in tasks {
        let (o, f) = task.await.unwrap();
        ok += o;
        failed.extend(f);
    }
    (ok, failed)
}

/// Longer than the set's max-age (1 s) with room for a loaded machine: after it, a server
/// that answers requests has fetched the set again.
const SEEN: Duration = Duration::from_millis(2_500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_under_load_and_no_valid_claim_is_lost() {
    let env = TestEnv::new();
    env.create_campaign("spring", 1_000_000);
    let mut keys = vec![Key::new("rsa", "k1")];
    let issuer = Issuer::start(&[&keys[0]]).await;
    let server = start(&env, &["--jwks-url", &issuer.url]);
    let http = flashsale::outbound::client().build().unwrap();
    let signing: Signing = Arc::new(Mutex::new(keys[0].clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let loader = tokio::spawn(load(
        server.base().to_owned(),
        Arc::clone(&signing),
        8,
        Arc::clone(&stop),
    ));
    let mut refused_after_removal = 0;
    // Rotations: k1 (RSA) -> k2 (EC) -> k3 (Ed25519) -> k4 (RSA again, a new id).
    let next = [("ec", "k2"), ("ed", "k3"), ("rsa", "k4")];
    for (name, kid) in next {
        tokio::time::sleep(SEEN).await;
        let old = keys.last().unwrap().clone();
        let new = Key::new(name, kid);
        // The issuer publishes the new key beside the old one, and signs with it once the
        // server has had time to see it.
        issuer.publish(&[&old, &new]);
        tokio::time::sleep(SEEN).await;
        *signing.lock().unwrap() = new.clone();
        // Tokens already handed out with the old key finish their requests; then the old
        // key is withdrawn.
        tokio::time::sleep(Duration::from_millis(500)).await;
        issuer.publish(&[&new]);
        tokio::time::sleep(SEEN).await;
        let status = claim(&http, server.base(), &old.token(&format!("late-{kid}"))).await;
        assert_eq!(status, 401, "a token of the withdrawn key {}", old.kid);
        refused_after_removal += 1;
        keys.push(new);
    }
    tokio::time::sleep(SEEN).await;
    stop.store(true, Ordering::SeqCst);
    let (ok, failed) = loader.await.unwrap();
    let rotations = next.len();
    let fetches = issuer.fetches.load(Ordering::SeqCst);
    println!(
        "rotations: {rotations}; claims answered 201/200: {ok}; failed: {}; tokens of withdrawn \
         keys refused 401: {refused_after_removal}; key set fetches: {fetches}",
        failed.len()
    );
    assert!(failed.is_empty(), "valid claims refused: {failed:?}");
    assert!(ok >= 200, "too little load to say anything: {ok}");
    assert!(server.stop().1.success());
    issuer.stop().await;
}

/// Issuers publish their keys over HTTPS only: the set is fetched over TLS, trusting what the
/// system trusts (here the test's own certificate, through `SSL_CERT_FILE`), and a certificate
/// the system does not trust is never a source of keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_is_fetched_over_https_from_an_issuer_the_system_trusts() {
    let env = TestEnv::new();
    env.create_campaign("spring", 100);
    let key = Key::new("ec", "k1");
    let (tls, cert) = self_signed(env.path());
    let issuer = Issuer::start_with(&[&key], Some(tls)).await;
    assert!(issuer.url.starts_with("https://"));
    let server = Server::start_with(
        &env,
        &["--jwks-url", &issuer.url],
        &[("SSL_CERT_FILE", cert.to_str().unwrap())],
    );
    let http = flashsale::outbound::client().build().unwrap();
    assert_eq!(claim(&http, server.base(), &key.token("ana")).await, 201);
    assert!(server.stop().1.success());

    // The same issuer, its certificate not trusted: no key is taken from it.
    let untrusted = env
        .std_cmd([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--jwks-url",
            &issuer.url,
        ])
        .env_remove("FLASHSALE_JWT_SECRET")
        .env("SSL_CERT_FILE", env.path().join("no-such-bundle.pem"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(!untrusted.status.success(), "{stderr}");
    assert!(stderr.contains("key set could not be fetched"), "{stderr}");
    assert!(
        stderr.contains("certificate"),
        "the cause is named: {stderr}"
    );
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_file_verifies_each_algorithm_and_needs_a_kid_for_several_keys() {
    let env = TestEnv::new();
    env.create_campaign("spring", 100);
    let file = format!("{FIXTURES}/jwks.json");
    let server = start(&env, &["--jwks-file", &file]);
    let http = flashsale::outbound::client().build().unwrap();
    for (name, user) in [("rsa", "ana"), ("ec", "bo"), ("ed", "cy")] {
        let key = Key::new(name, name);
        assert_eq!(
            claim(&http, server.base(), &key.token(user)).await,
            201,
            "{name}"
        );
    }
    // An RSA key's token presented under the EC key's id: refused, the id decides the key
    // and the key the algorithm.
    let wrong = Key {
        kid: "ec".into(),
        ..Key::new("rsa", "rsa")
    };
    assert_eq!(claim(&http, server.base(), &wrong.token("dee")).await, 401);
    // No kid, three keys: refused.
    let rsa = Key::new("rsa", "rsa");
    let no_kid = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": "eve", "exp": unix_now() + 600}),
        &rsa.private,
    )
    .unwrap();
    assert_eq!(claim(&http, server.base(), &no_kid).await, 401);
    assert_eq!(
        claim(&http, server.base(), &Key::new("rsa", "other").token("fay")).await,
        401
    );
    assert!(server.stop().1.success());
}

#[test]
fn unusable_or_ambiguous_key_sets_are_refused_with_exit_2() {
    let env = TestEnv::without_store();
    let garbage = env.path().join("garbage.json");
    std::fs::write(
        &garbage,
        "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}",
    )
    .unwrap();
    env.run(["serve", "--listen", "127.0.0.1:0", "--jwks-file"])
        .arg(&garbage)
        .env_remove("FLASHSALE_JWT_SECRET")
        .code(2)
        .stderr(
            "error: the JWT key set is not usable: no RS256, ES256 (P-256) or EdDSA (Ed25519) \
             signing key in it\n",
        )
        .check();
    env.run([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--jwks-file",
        "/nonexistent/jwks.json",
    ])
    .env_remove("FLASHSALE_JWT_SECRET")
    .code(2)
    .run();
    let file = format!("{FIXTURES}/jwks.json");
    env.run(["serve", "--listen", "127.0.0.1:0", "--jwks-file", &file])
        .env("FLASHSALE_JWT_SECRET", "serve-test-secret-0123456789abcdef")
        .code(2)
        .stderr(
            "error: more than one JWT key is configured: configure exactly one, the key decides \
             the algorithm: keep one of FLASHSALE_JWT_SECRET, `--jwt-secret-file`, \
             `--jwt-public-key-file`, `--jwks-url` and `--jwks-file`\n",
        )
        .check();
    env.run([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--jwks-url",
        "ftp://id.shop/jwks",
    ])
    .env_remove("FLASHSALE_JWT_SECRET")
    .code(2)
    .run();
    assert!(
        env.store_bytes().is_empty(),
        "a refused start created the store"
    );
}
