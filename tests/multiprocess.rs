//! Several flashsale processes claiming on one SQLite file at once stay correct: I1, I2, I4
//! and I5, checked afterwards against the store itself.

use crate::support;

use std::collections::HashMap;
use std::process::{Child, Stdio};

use flashsale::domain::{CampaignId, UserId};
use flashsale::store::{SqliteStore, Store};
use serde_json::Value;
use support::TestEnv;

const INVENTORY: u32 = 25;
const USERS: usize = 40;

#[test]
fn concurrent_processes_never_oversell_or_double_claim() {
    let env = TestEnv::new();
    env.create_campaign("rush", INVENTORY);

    // Every user claims from two processes at once (two tabs); a third of them a third time.
    let mut children: Vec<(String, Child)> = Vec::new();
    for round in 0..3 {
        for user in (0..USERS).filter(|u| round < 2 || u % 3 == 0) {
            let user = format!("user-{user}");
            let child = env
                .std_cmd([
                    "--output",
                    "json",
                    "claim",
                    "--campaign",
                    "rush",
                    "--user",
                    &user,
                    "--cart",
                    "50",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn flashsale");
            children.push((user, child));
        }
    }
    let mut tokens: HashMap<String, Vec<String>> = HashMap::new();
    let (mut claimed, mut replayed, mut sold_out) = (0, 0, 0);
    for (user, child) in children {
        let out = child.wait_with_output().expect("wait for claim");
        let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        assert!(
            out.stderr.is_empty(),
            "{user}: stderr in JSON mode: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        match (out.status.code(), json["outcome"].as_str()) {
            (Some(0), Some("claimed")) => claimed += 1,
            (Some(0), Some("replayed")) => replayed += 1,
            (Some(4), None) => {
                assert_eq!(
                    json,
                    serde_json::json!({"error": {
                        "kind": "sold_out",
                        "message": "campaign `rush` is sold out"
                    }})
                );
                sold_out += 1;
                continue;
            }
            other => panic!(
                "unexpected {other:?}: {json} {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
        tokens
            .entry(user)
            .or_default()
            .push(json["claim"]["token"].as_str().expect("token").to_owned());
    }

    assert_eq!(
        claimed, INVENTORY as usize,
        "exactly the inventory is claimed (I1 and I5)"
    );
    assert_eq!(tokens.len(), INVENTORY as usize, "one claim per user (I2)");
    assert!(
        sold_out > 0 && replayed > 0,
        "the race had sold-out users and replays: {sold_out} {replayed}"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = SqliteStore::open(&env.sqlite_file().expect("sqlite"))
            .await
            .expect("open store");
        let id = CampaignId::parse("rush").expect("id");
        let audit = store.audit(&id).await.expect("audit").expect("campaign");
        assert_eq!(
            audit.claims,
            i64::from(INVENTORY),
            "I1: claims == total, never more"
        );
        assert_eq!(
            audit.remaining, 0,
            "I5: someone was refused, so nothing is left"
        );
        assert_eq!(
            (audit.distinct_users, audit.distinct_tokens),
            (audit.claims, audit.claims),
            "I2"
        );
        for (user, seen) in &tokens {
            let held = store
                .claim_of(&id, &UserId::parse(user).expect("user"))
                .await
                .expect("read");
            let held = held.expect("the store holds every acknowledged claim");
            assert!(
                seen.iter().all(|t| t == held.token.as_str()),
                "I4: {user} saw {seen:?}, store has {}",
                held.token
            );
        }
    });
}

/// Several group-committing writers on one file (each `SqliteStore` has its own writer thread
/// and connections, exactly as separate processes would): thousands of concurrent claims, with
/// duplicate users across writers, still give exactly the inventory, one claim per user and
/// one token per user. This is the cross-writer test of the batch's hot-row write-back.
#[test]
fn several_group_committing_writers_on_one_file_stay_exact() {
    const WRITERS: usize = 3;
    const USERS: usize = 2_500;
    const INVENTORY: i64 = 1_000;
    let env = TestEnv::new();
    env.create_campaign("shared", u32::try_from(INVENTORY).expect("fits"));
    let file = env.sqlite_file().expect("sqlite");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut stores = Vec::new();
        for _ in 0..WRITERS {
            stores.push(SqliteStore::open(&file).await.expect("open store"));
        }
        let id = CampaignId::parse("shared").expect("id");
        let now = flashsale::clock::Clock::now(&flashsale::clock::SystemClock);
        let mut tasks = tokio::task::JoinSet::new();
        // Every user claims through two writers, a fifth of them through all three.
        for user in 0..USERS {
            let tabs = if user % 5 == 0 { WRITERS } else { 2 };
            for tab in 0..tabs {
                let store = stores[(user + tab) % WRITERS].clone();
                let attempt = flashsale::domain::ClaimAttempt {
                    campaign_id: id.clone(),
                    user_id: UserId::parse(&format!("u{user}")).expect("user"),
                    cart: "50".parse().expect("cart"),
                    now,
                };
                tasks.spawn(async move {
                    (
                        user,
                        store.claim(&attempt).await.expect("claim").into_outcome(),
                    )
                });
            }
        }
        let mut granted: HashMap<usize, Vec<String>> = HashMap::new();
        let (mut claimed, mut sold_out) = (0, 0);
        while let Some(joined) = tasks.join_next().await {
            let (user, decision) = joined.expect("task");
            match decision {
                Ok(flashsale::domain::ClaimOutcome::Claimed(c)) => {
                    claimed += 1;
                    granted.entry(user).or_default().push(c.token.to_string());
                }
                Ok(flashsale::domain::ClaimOutcome::Replayed(c)) => {
                    granted.entry(user).or_default().push(c.token.to_string());
                }
                Err(flashsale::domain::Refusal::SoldOut) => sold_out += 1,
                Err(other) => panic!("unexpected refusal {other:?}"),
            }
        }
        assert_eq!(claimed, INVENTORY, "exactly the inventory is claimed");
        assert!(sold_out > 0);
        assert!(
            granted
                .values()
                .all(|tokens| tokens.iter().all(|t| t == &tokens[0])),
            "I4"
        );
        let audit = stores[0]
            .audit(&id)
            .await
            .expect("audit")
            .expect("campaign");
        assert_eq!(
            (audit.claims, audit.remaining, audit.total),
            (INVENTORY, 0, INVENTORY)
        );
        assert_eq!(
            (audit.distinct_users, audit.distinct_tokens),
            (INVENTORY, INVENTORY)
        );
    });
}
