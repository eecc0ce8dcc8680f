//! Ctrl-C ends any command with exit 130 and, in JSON mode, one `interrupted` error document
//! (simulate's own Ctrl-C test, which also checks that its campaign is removed, is in
//! `simulate.rs`). Linux only: the test reads when the process starts listening from `/proc`.
#![cfg(target_os = "linux")]

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestEnv;

/// Whether `pid` has a handler for SIGINT installed, from the "caught signals" mask that Linux
/// shows in `/proc/PID/status` (SIGINT is signal 2, bit 1).
fn catches_sigint(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << 1) != 0)
}

/// Sends SIGINT once `child` listens for it (before that, SIGINT would kill it outright), and
/// returns what it printed; it must end within seconds, long before its store would answer.
fn interrupt(child: Child) -> Output {
    let started = Instant::now();
    while !catches_sigint(child.id()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "flashsale never listened for Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "Ctrl-C took {:?} to end the command",
        started.elapsed()
    );
    out
}

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
    let out = interrupt(blocked_claim(&env, "table"));
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
    let out = interrupt(blocked_claim(&env, "json"));
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
