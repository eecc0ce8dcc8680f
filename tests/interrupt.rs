//! Ctrl-C and SIGTERM end any command with exit 130 and, in JSON mode, one `interrupted` error document
//! (simulate's own Ctrl-C test, which also checks that its campaign is removed, is in
//! `simulate.rs`). Linux only: the test reads when the process starts listening from `/proc`.
#![cfg(target_os = "linux")]

use std::process::{Child, Stdio};

use crate::support::{Signal, TestEnv};

/// A claim against a `MongoDB` that never answers: nothing listens on the discard port, and
/// the driver is told to look for a server for a minute.
fn blocked_claim(env: &TestEnv, output: &str) -> Child {
    env.std_cmd([
        "--output",
        output,
        "claim",
        "--campaign",
        "spring",
        "--user",
        "ana",
        "--cart",
        "50",
    ])
    .env(
        "FLASHSALE_STORE",
        "mongodb://127.0.0.1:9/flashsale?serverSelectionTimeoutMS=60000",
    )
    .env("FLASHSALE_MONGODB_TIMEOUT_MS", "60000")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start flashsale")
}

#[test]
fn ctrl_c_ends_a_blocked_claim_with_exit_130() {
    let env = TestEnv::new();
    let out = Signal::Int.interrupt(blocked_claim(&env, "table"));
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: interrupted before the command finished\n"
    );
}

#[test]
fn ctrl_c_in_json_mode_prints_one_interrupted_document() {
    let env = TestEnv::new();
    let out = Signal::Int.interrupt(blocked_claim(&env, "json"));
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let document: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(
        document,
        serde_json::json!({"error": {
            "kind": "interrupted",
            "message": "interrupted before the command finished",
        }})
    );
}

#[test]
fn sigterm_ends_a_blocked_claim_like_ctrl_c() {
    let env = TestEnv::new();
    let out = Signal::Term.interrupt(blocked_claim(&env, "table"));
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: interrupted before the command finished\n"
    );
}
