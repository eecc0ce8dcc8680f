//! Issue 5: a store that dies mid-run. `flashsale claim` processes are killed with SIGKILL at
//! arbitrary moments while claiming on `SQLite`; afterwards the file opens, I1-I4 hold, and
//! every claim a client was told succeeded is in the store with the token it was given.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail the test the same way

use crate::support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use flashsale::domain::{CampaignId, UserId};
use flashsale::store::{SqliteStore, Store};
use serde_json::Value;
use support::TestEnv;

const INVENTORY: u32 = 40;
const ROUNDS: u32 = 6;
const USERS_PER_ROUND: u32 = 12;

/// A small xorshift generator: kill moments vary per run without a dependency.
struct Jitter(u64);

impl Jitter {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn spawn_claim(env: &TestEnv, user: &str) -> Child {
    // assert_cmd runs to completion; killing needs a plain child with TestEnv's environment.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("FLASHSALE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("FLASHSALE_STORE", env.store())
        .env("HOME", env.path())
        .args([
            "claim",
            "--campaign",
            "drop",
            "--user",
            user,
            "--cart",
            "50",
        ])
        .args(["--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_claim_loses_no_acknowledged_claim_and_breaks_no_invariant() {
    let env = TestEnv::new();
    env.create_campaign("drop", INVENTORY);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::from(d.subsec_nanos()) ^ d.as_secs())
        | 1;
    eprintln!("crash test seed {seed}");
    let mut jitter = Jitter(seed);
    // user -> the token the client was told it holds.
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    let mut killed = 0;
    for round in 0..ROUNDS {
        let users: Vec<String> = (0..USERS_PER_ROUND)
            .map(|i| format!("u{round}-{i}"))
            .collect();
        // Several concurrent writers, as at a sale's opening second; each is its own process.
        let mut children: Vec<(String, Child)> = users
            .iter()
            .map(|u| (u.clone(), spawn_claim(&env, u)))
            .collect();
        let deadline = Instant::now() + Duration::from_millis(jitter.next_ms(60));
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        for (_, child) in &mut children {
            // SIGKILL: no destructor, no rollback handler, no flush gets to run.
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                killed += 1;
            }
        }
        for (user, child) in children {
            let out = child.wait_with_output().unwrap();
            if out.status.code() == Some(0) {
                let json: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(json["claim"]["user_id"], user.as_str());
                acknowledged.insert(user, json["claim"]["token"].as_str().unwrap().to_owned());
            }
        }
    }
    eprintln!("{} acknowledged, {killed} killed", acknowledged.len());

    let path = env.sqlite_file().unwrap();
    let integrity: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    let store = SqliteStore::open(&path).await.unwrap();
    let id = CampaignId::parse("drop").unwrap();
    let audit = store.audit(&id).await.unwrap().unwrap();
    assert!(audit.claims <= audit.total, "I1 oversold: {audit:?}");
    assert_eq!(audit.distinct_users, audit.claims, "I2: {audit:?}");
    assert_eq!(audit.distinct_tokens, audit.claims, "tokens: {audit:?}");
    assert_eq!(audit.remaining, audit.total - audit.claims, "I3: {audit:?}");
    assert_eq!(
        store.reconcile(&id, false).await.unwrap().unwrap().drift(),
        0
    );
    assert!(audit.claims >= i64::try_from(acknowledged.len()).unwrap());
    for (user, token) in &acknowledged {
        let claim = store
            .claim_of(&id, &UserId::parse(user).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged claim of {user} was lost"));
        assert_eq!(claim.token.as_str(), token, "{user}");
    }
    drop(store);

    // I4 through the real CLI after the crashes: a replay hands back the acknowledged token.
    if let Some((user, token)) = acknowledged.iter().next() {
        let (code, json) = env.claim("drop", user, "50");
        assert_eq!(code, 0, "{json}");
        assert_eq!(json["outcome"], "replayed");
        assert_eq!(json["claim"]["token"], token.as_str());
    }
}
