//! A store that dies mid-run. `flashsale claim` processes are killed with SIGKILL at
//! arbitrary moments while claiming on `SQLite`; afterwards the file opens, I1-I4 hold, and
//! every claim a client was told succeeded is in the store with the token it was given.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use flashsale::domain::{CampaignId, UserId};
use flashsale::store::{ReconcileMode, SqliteStore, Store};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::Value;
use support::TestEnv;

const INVENTORY: u32 = 40;
const ROUNDS: u32 = 6;
const USERS_PER_ROUND: u32 = 12;
const SIGKILL: i32 = 9;

fn spawn_claim(env: &TestEnv, user: &str) -> Child {
    env.std_cmd([
        "claim",
        "--campaign",
        "drop",
        "--user",
        user,
        "--cart",
        "50",
        "--output",
        "json",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// The seed of the kill moments: `FLASHSALE_TEST_CRASH_SEED` to repeat a run, else random.
fn seed() -> u64 {
    let seed = std::env::var("FLASHSALE_TEST_CRASH_SEED")
        .ok()
        .map_or_else(rand::random, |text| {
            text.parse().expect("FLASHSALE_TEST_CRASH_SEED is a u64")
        });
    eprintln!("crash test seed {seed} (repeat with FLASHSALE_TEST_CRASH_SEED={seed})");
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_claim_loses_no_acknowledged_claim_and_breaks_no_invariant() {
    let env = TestEnv::new();
    env.create_campaign("drop", INVENTORY);
    let mut rng = StdRng::seed_from_u64(seed());
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
        // Kill once one of the round has answered, so that however slow the machine, the
        // round both acknowledges a claim and catches the others at a random point after it:
        // mid-transaction, mid-commit, or still starting.
        let started = Instant::now();
        while !children
            .iter_mut()
            .any(|(_, child)| child.try_wait().unwrap().is_some())
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no claim of round {round} answered"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..15)));
        for (_, child) in &mut children {
            // SIGKILL: no destructor, no rollback handler, no flush gets to run.
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
            }
        }
        for (user, child) in children {
            let out = child.wait_with_output().unwrap();
            // Counted from how each process ended: one that exited on its own just before
            // the kill was not killed.
            if out.status.signal() == Some(SIGKILL) {
                killed += 1;
                continue;
            }
            let stdout = String::from_utf8(out.stdout).unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(stderr, "", "{user}: JSON mode prints nothing on stderr");
            let json: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|err| panic!("{user}: not one JSON document ({err}): {stdout}"));
            match out.status.code() {
                Some(0) => {
                    assert_eq!(json["outcome"], "claimed", "{user}: {json}");
                    assert_eq!(json["claim"]["user_id"], user.as_str(), "{json}");
                    let token = json["claim"]["token"].as_str().unwrap().to_owned();
                    acknowledged.insert(user, token);
                }
                Some(4) => assert_eq!(json["error"]["kind"], "sold_out", "{user}: {json}"),
                other => panic!("{user}: exit {other:?}: {json}"),
            }
        }
    }
    eprintln!("{} acknowledged, {killed} killed", acknowledged.len());
    assert!(killed > 0, "no process was killed: the test proved nothing");
    assert!(
        !acknowledged.is_empty(),
        "no claim was acknowledged: the test proved nothing"
    );

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
        store
            .reconcile(
                &id,
                ReconcileMode::Report,
                &flashsale::domain::Stamp {
                    actor: flashsale::domain::Actor::parse("test").unwrap(),
                    at: flashsale::clock::Clock::now(&flashsale::clock::SystemClock),
                },
            )
            .await
            .unwrap()
            .unwrap()
            .drift(),
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
    for (user, token) in acknowledged.iter().take(3) {
        let json = env.claim("drop", user, "50").json();
        assert_eq!(json["outcome"], "replayed", "{json}");
        assert_eq!(json["claim"]["token"], token.as_str(), "{json}");
    }
}
