//! The shopper is who a verified JWT says, and a bad credential writes nothing.

use crate::support;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::{JWT_SECRET, RSA_PUBLIC_PEM, TestEnv, hs256, normalise, unix_now};

const RSA_PRIVATE: &[u8] = include_bytes!("fixtures/jwt/rsa_private.pem");

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A claim on `spring` presenting `token`, with the test secret configured.
fn claim_with<'a>(env: &'a TestEnv, token: &str) -> support::Run<'a> {
    env.run([
        "claim",
        "--campaign",
        "spring",
        "--jwt",
        token,
        "--cart",
        "50",
    ])
    .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
}

/// Whether `text` has the shape of a compact JWT: three non-empty base64url segments.
fn is_compact_jwt(text: &str) -> bool {
    let segments: Vec<&str> = text.split('.').collect();
    segments.len() == 3
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn refusal(message: &str) -> Value {
    json!({"error": {"kind": "unauthenticated", "message": message}})
}

#[test]
fn a_minted_token_claims_as_its_user_and_replays() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let minted = env
        .run(["jwt", "mint", "--user", "ana", "--ttl", "5m"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .json();
    let token = minted["token"].as_str().unwrap();
    assert!(is_compact_jwt(token), "{minted}");
    let expires_at = minted["expires_at"].as_str().unwrap();
    assert_eq!(normalise(expires_at, &[]), "YYYY-MM-DDTHH:MM:SS.mmmZ");
    let lifetime = chrono::DateTime::parse_from_rfc3339(expires_at)
        .unwrap()
        .timestamp()
        - unix_now();
    assert!((295..=300).contains(&lifetime), "{lifetime}");
    assert_eq!(
        minted,
        json!({"token": token, "user_id": "ana", "expires_at": expires_at})
    );
    let first = claim_with(&env, token).json();
    assert_eq!(
        (&first["outcome"], &first["claim"]["user_id"]),
        (&json!("claimed"), &json!("ana")),
        "{first}"
    );
    let again = claim_with(&env, token).json();
    assert_eq!(
        again,
        json!({"outcome": "replayed", "claim": first["claim"]})
    );
}

#[test]
fn jwt_mint_in_table_mode_prints_the_bare_token() {
    let env = TestEnv::without_store();
    let out = env
        .run(["jwt", "mint", "--user", "ana"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .stderr("")
        .run();
    let token = out.stdout.strip_suffix('\n').unwrap_or_default();
    assert!(is_compact_jwt(token), "{:?}", out.stdout);
    // Minting needs no store: none was created.
    assert!(!env.sqlite_file().unwrap().exists());
}

#[test]
fn the_token_comes_from_flashsale_jwt_too() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let token = hs256(&json!({"sub": "bo", "exp": unix_now() + 300}));
    let value = env
        .run(["claim", "--campaign", "spring", "--cart", "50"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .env("FLASHSALE_JWT", &token)
        .json();
    assert_eq!(
        (&value["outcome"], &value["claim"]["user_id"]),
        (&json!("claimed"), &json!("bo")),
        "{value}"
    );
}

#[test]
fn bad_tokens_are_unauthenticated_and_write_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let t = unix_now();
    let good = hs256(&json!({"sub": "ana", "exp": t + 300}));
    let (header, rest) = good.split_once('.').unwrap();
    let signature = rest.split_once('.').unwrap().1;
    let forged_key = EncodingKey::from_secret(b"some-other-secret-that-is-long-enough!!");
    let malformed = "token is not a well-formed JWT";
    let cases = [
        (
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&json!({"sub": "ana", "exp": t + 300}))
            ),
            "token algorithm `none` is not accepted: the configured key verifies HS256 only",
        ),
        (
            format!(
                "{header}.{}.{signature}",
                b64(&json!({"sub": "mallory", "exp": t + 300}))
            ),
            "token signature is invalid",
        ),
        (
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &json!({"sub": "ana", "exp": t + 300}),
                &forged_key,
            )
            .unwrap(),
            "token signature is invalid",
        ),
        (
            hs256(&json!({"sub": "ana", "exp": t - 3600})),
            "token has expired",
        ),
        (
            hs256(&json!({"sub": "ana", "exp": t + 7200, "nbf": t + 3600})),
            "token is not valid yet (its `nbf` is in the future)",
        ),
        (
            hs256(&json!({"exp": t + 300})),
            "token has no valid `sub` claim",
        ),
        (
            hs256(&json!({"sub": "a\u{1b}[31m", "exp": t + 300})),
            // The escape sequence is shown defused, never sent to the operator's terminal.
            "token `sub` is not a valid user id: invalid user id: `a\u{fffd}[31m` contains a control character",
        ),
        ("not-a-token".to_owned(), malformed),
        (String::new(), malformed),
    ];
    for (token, message) in cases {
        // The message names what failed and never echoes the token.
        assert_eq!(claim_with(&env, &token).code(7).json(), refusal(message));
        claim_with(&env, &token)
            .code(7)
            .stderr(format!("error: {message}\n"))
            .check();
    }
    assert_eq!(
        env.store_bytes(),
        before,
        "a refused token changed the store"
    );
}

#[test]
fn a_refused_token_does_not_even_create_the_store() {
    let env = TestEnv::without_store();
    let expired = hs256(&json!({"sub": "ana", "exp": unix_now() - 3600}));
    assert_eq!(
        claim_with(&env, &expired).code(7).json(),
        refusal("token has expired")
    );
    assert!(!env.sqlite_file().unwrap().exists());
}

/// The key-confusion attack: HS256 "signed" with the RSA public key's PEM bytes, presented to
/// a verifier configured with that public key.
#[test]
fn an_hs256_token_signed_with_the_public_key_is_refused_by_an_rs256_config() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let pem = std::fs::read(RSA_PUBLIC_PEM).unwrap();
    let claims = json!({"sub": "mallory", "exp": unix_now() + 300});
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
        RSA_PUBLIC_PEM,
    ];
    let value = env.run(args).arg("--jwt").arg(&forged).code(7).json();
    assert_eq!(
        value,
        refusal("token algorithm `HS256` is not accepted: the configured key verifies RS256 only")
    );
    assert_eq!(env.store_bytes(), before);
    // The genuine RS256 token is accepted by the same configuration.
    let genuine = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"sub": "ana", "exp": unix_now() + 300}),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
    )
    .unwrap();
    let value = env.run(args).arg("--jwt").arg(&genuine).json();
    assert_eq!(
        (&value["outcome"], &value["claim"]["user_id"]),
        (&json!("claimed"), &json!("ana")),
        "{value}"
    );
}

#[test]
fn issuer_and_audience_are_checked_when_configured() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let t = unix_now();
    let run = |token: &str| {
        claim_with(&env, token)
            .env("FLASHSALE_JWT_ISSUER", "https://id.shop")
            .env("FLASHSALE_JWT_AUDIENCE", "flashsale")
    };
    // Both configured claims are missing; the verifier reports whichever it checks first.
    let neither = run(&hs256(&json!({"sub": "ana", "exp": t + 300})))
        .code(7)
        .run();
    assert!(
        [
            "error: token has no valid `iss` claim\n",
            "error: token has no valid `aud` claim\n"
        ]
        .contains(&neither.stderr.as_str()),
        "{:?}",
        neither.stderr
    );
    assert_eq!(neither.stdout, "");
    run(&hs256(
        &json!({"sub": "ana", "exp": t + 300, "iss": "https://evil", "aud": "flashsale"}),
    ))
    .code(7)
    .stderr(
        "error: token issuer does not match the configured issuer: check FLASHSALE_JWT_ISSUER\n",
    )
    .check();
    run(&hs256(
        &json!({"sub": "ana", "exp": t + 300, "iss": "https://id.shop", "aud": "other"}),
    ))
    .code(7)
    .stderr(
        "error: token audience does not match the configured audience: check FLASHSALE_JWT_AUDIENCE\n",
    )
    .check();
    let accepted = run(&hs256(
        &json!({"sub": "ana", "exp": t + 300, "iss": "https://id.shop", "aud": "flashsale"}),
    ))
    .json();
    assert_eq!(accepted["claim"]["user_id"], "ana", "{accepted}");
}

#[test]
fn require_jwt_policy_refuses_operator_assertions() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let args = [
        "claim",
        "--campaign",
        "spring",
        "--user",
        "ana",
        "--cart",
        "50",
    ];
    env.run(args)
        .env("FLASHSALE_REQUIRE_JWT", "1")
        .code(7)
        .stderr(
            "error: an operator-asserted user is refused by policy: a verified JWT is required: \
             FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead of `--user`\n",
        )
        .check();
    assert_eq!(env.store_bytes(), before);
    let claimed = env.run(args).env("FLASHSALE_REQUIRE_JWT", "0").json();
    assert_eq!(claimed["outcome"], "claimed", "{claimed}");
}

#[test]
fn user_and_jwt_are_mutually_exclusive_and_one_is_required() {
    let env = TestEnv::new();
    let usage = "Usage: flashsale claim --campaign <ID> --cart <MONEY> --store <URL> \
                 <--user <ID>|--jwt <TOKEN>>\n\n\
                 For more information, try '--help'.\n";
    env.run(["claim", "--campaign", "spring", "--cart", "50"])
        .code(2)
        .stderr(format!(
            "error: the following required arguments were not provided:\n  \
             <--user <ID>|--jwt <TOKEN>>\n\n{usage}"
        ))
        .check();
    env.run([
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
    .code(2)
    .stderr(format!(
        "error: the argument '--user <ID>' cannot be used with '--jwt <TOKEN>'\n\n{usage}"
    ))
    .check();
}

#[test]
fn key_configuration_errors_are_usage_errors_and_name_the_fix() {
    let env = TestEnv::without_store();
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300}));
    let args = [
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ];
    env.run(args)
        .code(2)
        .stderr(
            "error: no JWT key configured: set FLASHSALE_JWT_SECRET, or pass \
             `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`\n",
        )
        .check();
    env.run(args)
        .env("FLASHSALE_JWT_SECRET", "short")
        .code(2)
        .stderr(
            "error: the JWT secret is shorter than 32 bytes: use a random secret of at least \
             256 bits\n",
        )
        .check();
    let missing = env.path().join("missing.key");
    env.run(args)
        .arg("--jwt-secret-file")
        .arg(&missing)
        .code(2)
        .stderr(format!(
            "error: cannot read JWT key file `{}`: No such file or directory (os error 2)\n",
            missing.display()
        ))
        .check();
    assert!(!env.sqlite_file().unwrap().exists());
}

#[test]
fn a_secret_file_with_a_trailing_newline_verifies_tokens() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let file = env.path().join("jwt.key");
    std::fs::write(&file, format!("{JWT_SECRET}\n")).unwrap();
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300}));
    let claimed = env
        .run([
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
        .json();
    assert_eq!(claimed["claim"]["user_id"], "ana", "{claimed}");
}

#[test]
fn tokens_never_show_in_help() {
    let env = TestEnv::new();
    let help = env
        .run(["claim", "--help"])
        .env("FLASHSALE_JWT", "secret-token-value")
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .stderr("")
        .run()
        .stdout;
    assert!(help.contains("--jwt <TOKEN>"), "{help}");
    assert!(
        !help.contains("secret-token-value") && !help.contains(JWT_SECRET),
        "{help}"
    );
}

/// ES256 verifies with P-256 keys only: a P-384 key is a configuration error (exit 2) for
/// `serve`, which would otherwise start and refuse every token, and for `claim` alike.
#[test]
fn an_ec_key_on_another_curve_than_p256_is_refused_at_start() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let p384 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jwt/ec_p384_public.pem"
    );
    let message = "the JWT public key is not usable: an EC key on a curve other than P-256; \
                   ES256 needs a P-256 (prime256v1) key";
    // Spawned and bounded: a server that starts despite the key would run until killed.
    let mut serve = env
        .std_cmd(["serve", "--listen", "127.0.0.1:0", "--output", "json"])
        .arg("--jwt-public-key-file")
        .arg(p384)
        .env_remove("FLASHSALE_JWT_SECRET")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while serve.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = serve.kill();
            let _ = serve.wait();
            panic!("serve started with a P-384 key");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = serve.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["error"]["message"], message, "{document}");
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300}));
    let claim = env
        .run(["claim", "--campaign", "spring", "--cart", "50"])
        .arg("--jwt-public-key-file")
        .arg(p384)
        .arg("--jwt")
        .arg(&token)
        .code(2)
        .json();
    assert_eq!(claim["error"]["message"], message, "{claim}");
    assert_eq!(env.store_bytes(), before);
}

/// `jwt mint --private-key-file`: the key's type gives the algorithm, `--kid` names the key,
/// and `serve`'s key set verifies the tokens (checked with the library's verifier here).
#[test]
fn jwt_mint_signs_with_a_private_key_of_each_type() {
    let env = TestEnv::without_store();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt");
    let jwks = std::fs::read(format!("{fixtures}/jwks.json")).unwrap();
    let verifier = flashsale::auth::JwtVerifier::from_jwks(&jwks).unwrap();
    for (file, kid, alg) in [
        ("rsa_private.pem", "rsa", "RS256"),
        ("ec_private.pem", "ec", "ES256"),
        ("ed25519_private.pem", "ed", "EdDSA"),
    ] {
        let out = env
            .run([
                "jwt",
                "mint",
                "--user",
                "ana",
                "--kid",
                kid,
                "--private-key-file",
            ])
            .arg(format!("{fixtures}/{file}"))
            .env_remove("FLASHSALE_JWT_SECRET")
            .run();
        let token = out.stdout.trim().to_owned();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg, "{file}");
        assert_eq!(header.kid.as_deref(), Some(kid));
        assert_eq!(verifier.verify(&token).unwrap().user().as_str(), "ana");
    }
    env.run(["jwt", "mint", "--user", "ana", "--private-key-file"])
        .arg(format!("{fixtures}/rsa_public.pem"))
        .code(2)
        .stderr(
            "error: the JWT private key is not usable: expected a PEM `BEGIN PRIVATE KEY` block\n",
        )
        .check();
}
