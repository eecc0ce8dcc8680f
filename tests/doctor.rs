//! `doctor`: ok, warn or fail per check, on a healthy, missing, incomplete or damaged store, and
//! on MongoDB; it never writes.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use serde_json::Value;

use crate::support::TestEnv;

/// `doctor --output json`'s checks as (check, status) pairs, and its exit code.
fn doctor(env: &TestEnv, code: i32) -> (Value, Vec<(String, String)>) {
    let json = env.run(["doctor"]).code(code).json();
    let checks = json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (json, checks)
}

/// The names in the store's folder: doctor is read-only and must leave no `-wal` or `-shm`
/// behind, not even on a file it finds damaged.
fn listing(env: &TestEnv) -> Vec<String> {
    let file = env.sqlite_file().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn doctor_passes_a_healthy_sqlite_store_and_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    let before = env.store_bytes();
    let names = listing(&env);
    let (json, checks) = doctor(&env, 0);
    assert_eq!(listing(&env), names, "doctor left files behind");
    assert_eq!(json["ok"], true);
    let free_disk = if json["checks"][7]["status"] == "warn" {
        "warn"
    } else {
        "ok"
    };
    assert_eq!(
        checks,
        pairs(&[
            ("reachable", "ok"),
            ("schema", "ok"),
            ("indexes", "ok"),
            ("integrity", "ok"),
            ("write concern", "ok"),
            ("topology", "ok"),
            ("clock skew", "ok"),
            ("free disk", free_disk),
        ])
    );
    assert_eq!(
        json["checks"][2]["detail"],
        "claims: primary key (campaign_id, user_id), unique (token)"
    );
    assert_eq!(env.store_bytes(), before, "doctor wrote to the store");
    // The table: one line per check, status first.
    let out = env.run(["doctor"]).run();
    let file = env.sqlite_file().unwrap();
    assert!(
        out.stdout.starts_with(&format!(
            "store: sqlite:{}\nok    reachable      flashsale store at {}\nok    schema         version 7\n",
            file.display(),
            file.display()
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_fails_a_missing_store_without_creating_it() {
    let env = TestEnv::without_store();
    let (json, checks) = doctor(&env, 1);
    assert_eq!(checks, pairs(&[("reachable", "fail")]));
    assert_eq!(json["ok"], false);
    assert!(!env.path().join("store").exists());
}

#[test]
fn doctor_fails_a_store_whose_unique_token_index_is_gone() {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    let file = env.sqlite_file().unwrap();
    {
        // The claims table rebuilt with the same columns but no UNIQUE on token: every command
        // still opens it, and only doctor tells that two claims could share a token.
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             BEGIN;
             CREATE TABLE claims2 (
                 campaign_id TEXT NOT NULL REFERENCES campaigns (id),
                 user_id TEXT NOT NULL, token TEXT NOT NULL,
                 discount_cents INTEGER NOT NULL, cart_cents INTEGER NOT NULL,
                 claimed_at INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
                 expires_at INTEGER, order_id TEXT, redeemed_cart_cents INTEGER,
                 redeemed_discount_cents INTEGER, redeemed_at INTEGER,
                 voided_at INTEGER, void_reason TEXT, expired_at INTEGER,
                 PRIMARY KEY (campaign_id, user_id)
             ) STRICT, WITHOUT ROWID;
             DROP TABLE claims;
             ALTER TABLE claims2 RENAME TO claims;
             COMMIT;",
        )
        .unwrap();
    }
    let (json, checks) = doctor(&env, 1);
    assert_eq!(checks[2], ("indexes".to_owned(), "fail".to_owned()));
    assert_eq!(
        json["checks"][2]["detail"],
        "claims lacks its unique index on (token)"
    );
    assert_eq!(
        checks.iter().filter(|(_, s)| s == "fail").count(),
        1,
        "{checks:?}"
    );
}

#[test]
fn doctor_fails_a_store_with_damaged_pages() {
    let env = TestEnv::new();
    env.run([
        "simulate",
        "--users",
        "3000",
        "--inventory",
        "3000",
        "--keep",
        "--seed",
        "1",
    ])
    .run();
    let file = env.sqlite_file().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(
        bytes.len() / page_size > 50,
        "{} pages",
        bytes.len() / page_size
    );
    // One bit inside the cells of every other page past the schema: the claims' rows and
    // index entries no longer agree.
    for page in (2..bytes.len() / page_size).step_by(2) {
        bytes[page * page_size + page_size - 37] ^= 0x04;
    }
    std::fs::write(&file, &bytes).unwrap();
    let names = listing(&env);
    let (json, checks) = doctor(&env, 1);
    assert_eq!(listing(&env), names, "doctor left files behind");
    assert_eq!(json["ok"], false);
    let integrity = checks.iter().find(|(c, _)| c == "integrity").unwrap();
    assert_eq!(integrity.1, "fail", "{json}");
}

#[test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]

fn doctor_checks_mongodb_indexes_topology_and_clock() {
    let env = TestEnv::mongo("doctor_checks_mongodb");
    env.create_campaign("spring", 3);
    let (json, checks) = doctor(&env, 0);
    // FerretDB is a standalone server: no retryable writes, a warning, not a failure.
    assert_eq!(
        checks,
        pairs(&[
            ("reachable", "ok"),
            ("schema", "ok"),
            ("indexes", "ok"),
            ("topology", "warn"),
            ("write concern", "ok"),
            ("clock skew", "ok"),
        ]),
        "{json}"
    );
    assert_eq!(
        json["checks"][2]["detail"],
        "claims: campaign_user unique (campaign_id, user_id), campaign_token (campaign_id, \
         token), campaign_claimed_at (campaign_id, claimed_at), campaign_status_user \
         (campaign_id, status, user_id); events: entry_1 unique (entry), campaign_id_1__id_1 \
         (campaign_id, _id); campaigns: ends_at_1 (ends_at), created_at_1__id_1 (created_at, _id)"
    );
}

/// A file cut short (a half-written copy) or with its schema page damaged: doctor fails it,
/// and, read-only, leaves no `-wal` or `-shm` beside it.
#[test]
fn doctor_leaves_nothing_beside_a_truncated_or_damaged_file() {
    for damage in ["truncated", "schema page"] {
        let env = TestEnv::new();
        env.run([
            "simulate",
            "--users",
            "500",
            "--inventory",
            "500",
            "--keep",
            "--seed",
            "1",
        ])
        .run();
        let file = env.sqlite_file().unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        if damage == "truncated" {
            bytes.truncate(bytes.len() / 2);
        } else {
            for at in (200..page_size).step_by(7) {
                bytes[at] ^= 0x55;
            }
        }
        std::fs::write(&file, &bytes).unwrap();
        let names = listing(&env);
        let (json, _) = doctor(&env, 1);
        assert_eq!(json["ok"], false, "{damage}: {json}");
        assert_eq!(listing(&env), names, "{damage}: doctor left files behind");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{damage}: doctor wrote"
        );
    }
}
