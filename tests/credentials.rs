//! Keys and tokens: an audience without a configured one, a JWT policy that cannot be
//! bypassed, weak or ambiguous keys refused, tokens from stdin or the environment rather than
//! argv, and secrets that never reach the output.

use crate::support;

use std::process::Stdio;

use serde_json::json;
use support::{JWT_SECRET, RSA_PUBLIC_PEM, TestEnv, hs256, unix_now};

#[test]
fn a_token_with_an_audience_is_accepted_when_none_is_configured() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300, "aud": "any-shop"}));
    let claim = env
        .run([
            "claim",
            "--campaign",
            "spring",
            "--jwt",
            &token,
            "--cart",
            "50",
        ])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .json();
    assert_eq!(
        (
            claim["outcome"].as_str(),
            claim["claim"]["user_id"].as_str()
        ),
        (Some("claimed"), Some("ana"))
    );
    env.run([
        "claim",
        "--campaign",
        "spring",
        "--jwt",
        &token,
        "--cart",
        "50",
    ])
    .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
    .env("FLASHSALE_JWT_AUDIENCE", "flashsale")
    .code(7)
    .stderr(
        "error: token audience does not match the configured audience: check \
             FLASHSALE_JWT_AUDIENCE\n",
    )
    .check();
}

#[test]
fn the_policy_refuses_a_throwaway_key_on_a_real_campaign() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_state();
    let refusal = "error: a simulation on an existing campaign is refused by policy without the \
                   configured JWT key: tokens signed with a throw-away key prove nothing: \
                   FLASHSALE_REQUIRE_JWT is set: set FLASHSALE_JWT_SECRET or pass \
                   `--jwt-secret-file PATH`\n";
    env.run([
        "simulate",
        "--campaign",
        "spring",
        "--yes",
        "--users",
        "5",
        "--jwt",
    ])
    .env("FLASHSALE_REQUIRE_JWT", "1")
    .code(7)
    .stderr(refusal)
    .check();
    // A kept run's campaign outlives the process with its claims: the same rule.
    env.run([
        "simulate",
        "--inventory",
        "3",
        "--users",
        "5",
        "--jwt",
        "--keep",
    ])
    .env("FLASHSALE_REQUIRE_JWT", "1")
    .code(7)
    .stderr(refusal)
    .check();
    assert_eq!(env.store_state(), before, "a refused run writes nothing");
    // With the deployment's key, the run is what the policy asks for.
    let report = env
        .run([
            "simulate",
            "--campaign",
            "spring",
            "--yes",
            "--users",
            "5",
            "--jwt",
        ])
        .arg("--cart-min")
        .arg("20")
        .arg("--cart-max")
        .arg("80")
        .env("FLASHSALE_REQUIRE_JWT", "1")
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .json();
    assert_eq!(
        (report["identity"].as_str(), report["claimed"].as_u64()),
        (Some("jwt"), Some(5))
    );
}

#[test]
fn a_uniform_secret_is_refused_as_weak() {
    let env = TestEnv::new();
    for weak in ["a".repeat(32), "abcdefgh".repeat(4)] {
        env.run(["jwt", "mint", "--user", "ana"])
            .env("FLASHSALE_JWT_SECRET", &weak)
            .code(2)
            .stderr(
                "error: the JWT secret is too uniform to be random (fewer than 8 distinct bytes, \
                 or one block repeated): use a random secret of at least 256 bits\n",
            )
            .check();
    }
    let token = env
        .run(["jwt", "mint", "--user", "ana"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .run()
        .stdout;
    assert_eq!(token.matches('.').count(), 2, "{token}");
}

#[test]
fn a_secret_and_a_public_key_together_are_refused_as_ambiguous() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let before = env.store_bytes();
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300}));
    let secret_file = env.path().join("secret.key");
    std::fs::write(&secret_file, JWT_SECRET).unwrap();
    let message = "error: more than one JWT key is configured: configure exactly one, the key \
                   decides the algorithm: keep one of FLASHSALE_JWT_SECRET, `--jwt-secret-file`, \
                   `--jwt-public-key-file`, `--jwks-url` and `--jwks-file`\n";
    let claim = [
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        &token,
    ];
    env.run(claim)
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .env("FLASHSALE_JWT_PUBLIC_KEY_FILE", RSA_PUBLIC_PEM)
        .code(2)
        .stderr(message)
        .check();
    // A secret file beside a key file was already a usage error (clap's conflict).
    env.run(claim)
        .env("FLASHSALE_JWT_SECRET_FILE", &secret_file)
        .env("FLASHSALE_JWT_PUBLIC_KEY_FILE", RSA_PUBLIC_PEM)
        .code(2)
        .run();
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn a_shopper_token_can_come_from_stdin_or_the_environment() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let token = hs256(&json!({"sub": "ana", "exp": unix_now() + 300}));
    let from_stdin = env
        .run([
            "claim",
            "--campaign",
            "spring",
            "--cart",
            "50",
            "--jwt",
            "-",
        ])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .stdin(format!("{token}\n"))
        .json();
    assert_eq!(
        (
            from_stdin["outcome"].as_str(),
            from_stdin["claim"]["user_id"].as_str()
        ),
        (Some("claimed"), Some("ana"))
    );
    let from_env = env
        .run(["claim", "--campaign", "spring", "--cart", "50"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .env("FLASHSALE_JWT", &token)
        .json();
    assert_eq!(from_env["outcome"], "replayed");
    env.run([
        "claim",
        "--campaign",
        "spring",
        "--cart",
        "50",
        "--jwt",
        "-",
    ])
    .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
    .code(2)
    .stderr("error: invalid --jwt: `-` read no token from stdin\n")
    .check();
}

/// Secrets never print: the secret (from the environment or a file) never appears in any
/// output, and a token only where it is the output (`jwt mint`'s stdout).
#[test]
fn secrets_and_tokens_never_reach_output() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let secret_file = env.path().join("secret.key");
    let file_secret = "file-secret-9d2c4b7a1e8f3065c2d9a7b4e1f80c35";
    std::fs::write(&secret_file, format!("{file_secret}\n")).unwrap();
    let minted = env
        .run(["jwt", "mint", "--user", "ana"])
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .run();
    let token = minted.stdout.trim_end().to_owned();
    let foreign = hs256(&json!({"sub": "bob", "exp": unix_now() - 3_600}));
    let mut outputs = vec![("mint stderr", minted.stderr.clone())];
    let runs = [
        // Good and bad tokens, with the secret from the environment and from a file, a key
        // file beside a secret (ambiguous), a weak secret, and JSON mode.
        (
            vec![
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "50",
                "--jwt",
                &token,
            ],
            None,
        ),
        (
            vec![
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "50",
                "--jwt",
                &foreign,
            ],
            None,
        ),
        (
            vec![
                "claim",
                "--campaign",
                "nope",
                "--cart",
                "50",
                "--jwt",
                &token,
            ],
            None,
        ),
        (
            vec![
                "--output",
                "json",
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "5",
                "--jwt",
                &token,
            ],
            None,
        ),
        (
            vec![
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "50",
                "--jwt",
                &token,
            ],
            Some(RSA_PUBLIC_PEM),
        ),
        (
            vec!["jwt", "mint", "--user", "bob", "--ttl", "forever"],
            None,
        ),
    ];
    for (args, key) in &runs {
        for from_file in [false, true] {
            // Some of these fail, each with its own code: only what they print matters here.
            let mut cmd = env.std_cmd(args);
            if from_file {
                cmd.env("FLASHSALE_JWT_SECRET_FILE", &secret_file);
            } else {
                cmd.env("FLASHSALE_JWT_SECRET", JWT_SECRET);
            }
            if let Some(key) = key {
                cmd.env("FLASHSALE_JWT_PUBLIC_KEY_FILE", key);
            }
            let out = cmd.stdin(Stdio::null()).output().unwrap();
            outputs.push(("stderr", String::from_utf8_lossy(&out.stderr).into_owned()));
            outputs.push((
                "claim stdout",
                String::from_utf8_lossy(&out.stdout).into_owned(),
            ));
        }
    }
    let weak = env
        .run(["jwt", "mint", "--user", "ana"])
        .env("FLASHSALE_JWT_SECRET", "s3cr3t-but-short")
        .code(2)
        .run();
    outputs.push(("weak stderr", weak.stderr));
    let pem_line = std::fs::read_to_string(RSA_PUBLIC_PEM)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    for (what, text) in outputs {
        for secret in [JWT_SECRET, file_secret, "s3cr3t-but-short", &pem_line] {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
        for t in [&token, &foreign] {
            // Any third of a token (its signature, its payload) is as telling as the whole.
            for part in t.split('.') {
                assert!(!text.contains(part), "{what} shows a token: {text}");
            }
        }
    }
}
