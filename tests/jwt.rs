//! Issue 5: the shopper is who a verified JWT says, and a bad credential writes nothing.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail the test the same way

use crate::support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::TestEnv;

const SECRET: &str = "test-secret-0123456789abcdef-0123456789";
const RSA_PUBLIC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jwt/rsa_public.pem"
);
const RSA_PRIVATE: &[u8] = include_bytes!("fixtures/jwt/rsa_private.pem");

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

fn hs256(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `flashsale --output json ARGS` with the test secret configured.
fn json_with_secret(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let out = env
        .cmd(args)
        .args(["--output", "json"])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), value)
}

fn claim_with(env: &TestEnv, token: &str) -> (i32, Value) {
    json_with_secret(
        env,
        &[
            "claim",
            "--campaign",
            "spring",
            "--jwt",
            token,
            "--cart",
            "50",
        ],
    )
}

#[test]
fn a_minted_token_claims_as_its_user_and_replays() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let (code, minted) = json_with_secret(&env, &["jwt", "mint", "--user", "ana", "--ttl", "5m"]);
    assert_eq!(code, 0, "{minted}");
    assert_eq!(minted["user_id"], "ana");
    assert!(minted["expires_at"].as_str().unwrap().ends_with('Z'));
    let token = minted["token"].as_str().unwrap();
    let (code, first) = claim_with(&env, token);
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["outcome"], "claimed");
    assert_eq!(first["claim"]["user_id"], "ana");
    let (code, again) = claim_with(&env, token);
    assert_eq!(code, 0);
    assert_eq!(again["outcome"], "replayed");
    assert_eq!(again["claim"]["token"], first["claim"]["token"]);
}

#[test]
fn jwt_mint_in_table_mode_prints_the_bare_token() {
    let env = TestEnv::new();
    env.cmd(["jwt", "mint", "--user", "ana"])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .assert()
        .success()
        .stderr("")
        .stdout(predicates::str::is_match(r"^[\w-]+\.[\w-]+\.[\w-]+\n$").unwrap());
    // Minting needs no store: none was created.
    assert!(!env.sqlite_file().unwrap().exists());
}

#[test]
fn the_token_comes_from_flashsale_jwt_too() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let token = hs256(&json!({"sub": "bo", "exp": now() + 300}));
    let out = env
        .cmd([
            "claim",
            "--campaign",
            "spring",
            "--cart",
            "50",
            "--output",
            "json",
        ])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .env("FLASHSALE_JWT", &token)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["claim"]["user_id"], "bo");
}

#[test]
fn bad_tokens_are_unauthenticated_and_write_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let t = now();
    let good = hs256(&json!({"sub": "ana", "exp": t + 300}));
    let (header, rest) = good.split_once('.').unwrap();
    let signature = rest.split_once('.').unwrap().1;
    let forged_key = EncodingKey::from_secret(b"some-other-secret-that-is-long-enough!!");
    let cases = [
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&json!({"sub": "ana", "exp": t + 300}))
            ),
        ),
        (
            "tampered payload",
            format!(
                "{header}.{}.{signature}",
                b64(&json!({"sub": "mallory", "exp": t + 300}))
            ),
        ),
        (
            "wrong signature",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &json!({"sub": "ana", "exp": t + 300}),
                &forged_key,
            )
            .unwrap(),
        ),
        ("expired", hs256(&json!({"sub": "ana", "exp": t - 3600}))),
        (
            "not yet valid",
            hs256(&json!({"sub": "ana", "exp": t + 7200, "nbf": t + 3600})),
        ),
        ("missing sub", hs256(&json!({"exp": t + 300}))),
        (
            "control character in sub",
            hs256(&json!({"sub": "a\u{1b}[31m", "exp": t + 300})),
        ),
        ("garbage", "not-a-token".to_owned()),
        ("empty", String::new()),
    ];
    for (case, token) in cases {
        let (code, value) = claim_with(&env, &token);
        assert_eq!(code, 7, "{case}: {value}");
        assert_eq!(value["error"]["kind"], "unauthenticated", "{case}");
        if !token.is_empty() {
            assert!(
                !value.to_string().contains(&token),
                "{case}: the token was echoed"
            );
        }
    }
    assert_eq!(
        env.store_bytes(),
        before,
        "a refused token changed the store"
    );
}

#[test]
fn a_refused_token_does_not_even_create_the_store() {
    let env = TestEnv::new();
    let (code, _) = claim_with(&env, &hs256(&json!({"sub": "ana", "exp": now() - 3600})));
    assert_eq!(code, 7);
    assert!(!env.sqlite_file().unwrap().exists());
}

/// The key-confusion attack: HS256 "signed" with the RSA public key's PEM bytes, presented to
/// a verifier configured with that public key.
#[test]
fn an_hs256_token_signed_with_the_public_key_is_refused_by_an_rs256_config() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let pem = std::fs::read(RSA_PUBLIC).unwrap();
    let claims = json!({"sub": "mallory", "exp": now() + 300});
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&pem),
    )
    .unwrap();
    let args = [
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt-public-key-file",
        RSA_PUBLIC,
        "--output",
        "json",
    ];
    let out = env.cmd(args).arg("--jwt").arg(&forged).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["error"]["kind"], "unauthenticated");
    assert_eq!(env.store_bytes(), before);
    // The genuine RS256 token is accepted by the same configuration.
    let genuine = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": "ana", "exp": now() + 300}),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
    )
    .unwrap();
    let out = env.cmd(args).arg("--jwt").arg(&genuine).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn issuer_and_audience_are_checked_when_configured() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let t = now();
    let run = |token: &str| {
        env.cmd([
            "claim",
            "--campaign",
            "spring",
            "--cart",
            "50",
            "--jwt",
            token,
        ])
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .env("FLASHSALE_JWT_ISSUER", "https://id.shop")
        .env("FLASHSALE_JWT_AUDIENCE", "flashsale")
        .output()
        .unwrap()
        .status
        .code()
    };
    assert_eq!(run(&hs256(&json!({"sub": "ana", "exp": t + 300}))), Some(7));
    assert_eq!(
        run(&hs256(
            &json!({"sub": "ana", "exp": t + 300, "iss": "https://evil", "aud": "flashsale"})
        )),
        Some(7)
    );
    assert_eq!(
        run(&hs256(
            &json!({"sub": "ana", "exp": t + 300, "iss": "https://id.shop", "aud": "other"})
        )),
        Some(7)
    );
    assert_eq!(
        run(&hs256(
            &json!({"sub": "ana", "exp": t + 300, "iss": "https://id.shop", "aud": "flashsale"})
        )),
        Some(0)
    );
}

#[test]
fn require_jwt_policy_refuses_operator_assertions() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    env.cmd(["claim", "--campaign", "spring", "--user", "ana", "--cart", "50"])
        .env("FLASHSALE_REQUIRE_JWT", "1")
        .assert()
        .code(7)
        .stdout("")
        .stderr("error: `--user` is refused because FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead\n");
    assert_eq!(env.store_bytes(), before);
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--user",
        "ana",
        "--cart",
        "50",
    ])
    .env("FLASHSALE_REQUIRE_JWT", "0")
    .assert()
    .success();
}

#[test]
fn user_and_jwt_are_mutually_exclusive_and_one_is_required() {
    let env = TestEnv::new();
    env.cmd(["claim", "--campaign", "spring", "--cart", "50"])
        .assert()
        .code(2)
        .stdout("");
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--user",
        "ana",
        "--jwt",
        "x",
    ])
    .assert()
    .code(2)
    .stdout("");
}

#[test]
fn key_configuration_errors_are_usage_errors_and_name_the_fix() {
    let env = TestEnv::new();
    let token = hs256(&json!({"sub": "ana", "exp": now() + 300}));
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ])
    .assert()
    .code(2)
    .stdout("")
    .stderr(predicates::str::contains(
        "no JWT key configured: set FLASHSALE_JWT_SECRET",
    ));
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ])
    .env("FLASHSALE_JWT_SECRET", "short")
    .assert()
    .code(2)
    .stderr(predicates::str::contains("shorter than 32 bytes"));
    let missing = env.path().join("missing.key");
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ])
    .arg("--jwt-secret-file")
    .arg(&missing)
    .assert()
    .code(2)
    .stderr(predicates::str::contains("cannot read JWT key file"));
    assert!(!env.sqlite_file().unwrap().exists());
}

#[test]
fn a_secret_file_with_a_trailing_newline_verifies_tokens() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let file = env.path().join("jwt.key");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let token = hs256(&json!({"sub": "ana", "exp": now() + 300}));
    env.cmd([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ])
    .arg("--jwt-secret-file")
    .arg(&file)
    .assert()
    .success();
}

#[test]
fn tokens_never_show_in_help() {
    let env = TestEnv::new();
    let out = env
        .cmd(["claim", "--help"])
        .env("FLASHSALE_JWT", "secret-token-value")
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--jwt <TOKEN>"));
    assert!(
        !help.contains("secret-token-value") && !help.contains(SECRET),
        "{help}"
    );
}
