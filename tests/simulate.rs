//! `flashsale simulate`: the black-box contract, and proof that its audit catches a
//! store that breaks the invariants.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use flashsale::clock::FixedClock;
use flashsale::domain::{
    Applied, BucketWidth, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimAttempt,
    ClaimToken, Decision, Ends, Event, EventQuery, ExportPage, RedeemAttempt, SaleReport,
    SaleTally, Stamp, Units, UserId, Verdict, VoidAttempt,
};
use flashsale::simulate::{Arrivals, CartRange, Load, MAX_IN_FLIGHT, Progress, Report, Simulator};
use flashsale::store::{Audit, ReconcileMode, Reconciliation, Store, StoreError};
use serde_json::Value;
use support::TestEnv;

const INVARIANTS: [&str; 5] = [
    "no_oversell",
    "one_claim_per_user",
    "replays_consistent",
    "inventory_conserved",
    "no_undersell",
];

fn n(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("`{field}` is not a count: {report}"))
}

fn assert_all_invariants_hold(report: &Value) {
    for name in INVARIANTS {
        assert_eq!(report["invariants"][name], true, "{name}: {report}");
    }
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["violations"], serde_json::json!([]), "{report}");
}

#[test]
fn a_run_with_tabs_and_duplicates_passes_and_its_numbers_add_up() {
    let env = TestEnv::new();
    let report = env
        .run([
            "simulate",
            "--users",
            "1500",
            "--inventory",
            "400",
            "--tabs",
            "3",
            "--duplicate-ratio",
            "0.3",
            "--seed",
            "5",
        ])
        .json();
    assert_all_invariants_hold(&report);

    let (users, eligible, duplicates) = (
        n(&report, "users"),
        n(&report, "eligible_users"),
        n(&report, "duplicate_users"),
    );
    assert_eq!(users, 1500);
    assert!(eligible > 400 && eligible < users, "{report}");
    assert!(duplicates > 300 && duplicates < 600, "{report}");
    // Every eligible user competes for a unit until they run out: exactly min(eligible, units).
    assert_eq!(n(&report, "claimed"), eligible.min(400));
    assert_eq!(n(&report, "inventory"), 400);
    // One request per user, plus 3 tabs - 1 + 1 retry per duplicating user.
    assert_eq!(n(&report, "requests"), users + 3 * duplicates);
    let outcomes: u64 = [
        "claimed",
        "replayed",
        "sold_out",
        "not_eligible",
        "not_live",
        "errors",
    ]
    .iter()
    .map(|field| n(&report, field))
    .sum();
    assert_eq!(outcomes, n(&report, "requests"));
    assert!(
        n(&report, "replayed") > 0 && n(&report, "sold_out") > 0,
        "{report}"
    );
    assert_eq!((n(&report, "not_live"), n(&report, "errors")), (0, 0));
    assert_eq!(report["store_after"]["claims"], 400);
    assert_eq!(report["store_after"]["remaining"], 0);
    for field in ["p50", "p95", "p99", "max"] {
        assert!(report["latency_ms"][field].as_f64().is_some(), "{report}");
    }
    assert!(report["latency_ms"]["p50"].as_f64() <= report["latency_ms"]["max"].as_f64());
    assert!(report["duration_ms"].is_u64() && report["claims_per_sec"].is_f64());
    // Every request reached the SQLite writer, and batching shared the commits;
    // so did every redemption.
    let group = &report["group_commit"];
    assert_eq!(
        n(group, "requests"),
        n(&report, "requests")
            + n(&report, "redeemed")
            + n(&report, "redeem_replayed")
            + n(&report, "redeem_conflicts"),
        "{report}"
    );
    assert!(
        (1..=n(group, "requests")).contains(&n(group, "commits")),
        "{report}"
    );
    assert!(
        group["requests_per_commit"].as_f64() >= Some(1.0),
        "{report}"
    );
    // The campaign the run created is gone again.
    assert_eq!(report["kept"], false);
    assert_eq!(env.store_state(), serde_json::json!([]));
}

/// With `--jwt` every user claims through its own token, verified on every request,
/// and the report times the verification; without it, users are asserted and nothing is timed.
#[test]
fn a_jwt_run_passes_and_reports_the_cost_of_verification() {
    let env = TestEnv::new();
    let args = [
        "simulate",
        "--users",
        "600",
        "--inventory",
        "100",
        "--tabs",
        "3",
        "--duplicate-ratio",
        "0.3",
        "--seed",
        "9",
    ];
    let jwt = env.run(args).arg("--jwt").json();
    assert_all_invariants_hold(&jwt);
    assert_eq!(jwt["identity"], "jwt", "{jwt}");
    assert_eq!(n(&jwt, "errors"), 0, "{jwt}");
    assert_eq!(n(&jwt, "claimed"), 100, "{jwt}");
    let verification = &jwt["identity_ms"];
    for field in ["p50", "p95", "p99", "max"] {
        assert!(verification[field].as_f64().is_some(), "{jwt}");
    }
    assert!(verification["p50"].as_f64() > Some(0.0), "{jwt}");
    assert!(verification["p50"].as_f64() <= verification["max"].as_f64());

    let operator = env.run(args).json();
    assert_eq!(operator["identity"], "operator", "{operator}");
    assert!(operator.get("identity_ms").is_none(), "{operator}");
    // The same seed makes the same load whichever way users prove who they are.
    for field in ["requests", "claimed", "not_eligible", "duplicate_users"] {
        assert_eq!(n(&jwt, field), n(&operator, field), "{field}");
    }
}

#[test]
fn a_jwt_run_with_a_weak_configured_secret_exits_2_before_the_store_is_touched() {
    let env = TestEnv::without_store();
    let key = env.path().join("jwt.key");
    std::fs::write(&key, "too short\n").expect("write key");
    env.run(["simulate", "--users", "5", "--inventory", "5", "--jwt"])
        .arg("--jwt-secret-file")
        .arg(&key)
        .code(2)
        .stderr(
            "error: the JWT secret is shorter than 32 bytes: use a random secret of at least \
             256 bits\n",
        )
        .check();
    assert!(env.sqlite_file().is_some_and(|file| !file.exists()));
}

/// `FerretDB`'s updates are not atomic under concurrency, so this run is
/// strictly sequential: one user at a time, one tab each; duplicating users still retry, which
/// exercises replays over the wire.
#[test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
fn a_sequential_run_passes_on_mongodb() {
    let env = TestEnv::mongo("simulate");
    let report = env
        .run([
            "simulate",
            "--users",
            "60",
            "--inventory",
            "20",
            "--tabs",
            "1",
            "--duplicate-ratio",
            "0.3",
            "--concurrency",
            "1",
            "--seed",
            "3",
        ])
        .json();
    assert_all_invariants_hold(&report);
    assert_eq!(n(&report, "claimed"), n(&report, "eligible_users").min(20));
    // MongoDB does not count commits, so the report has no group-commit figures.
    assert!(report.get("group_commit").is_none(), "{report}");
    assert_eq!(env.store_state(), serde_json::json!([]));
}

#[test]
fn keep_leaves_the_created_campaign_with_the_runs_claims() {
    let env = TestEnv::new();
    let report = env
        .run(["simulate", "--users", "300", "--inventory", "50", "--keep"])
        .json();
    assert_eq!(report["kept"], true);
    let list = env.store_state();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["id"], report["campaign_id"]);
    assert_eq!(list[0]["claimed"], report["claimed"]);
    assert_eq!(list[0]["total_inventory"], 50);
}

/// `--hold` gives the created campaign its hold (the simulated operator then sweeps expiries
/// during the run); it is a usage error with a campaign the run does not create, or below a
/// second.
#[test]
fn hold_gives_the_created_campaign_a_hold() {
    let env = TestEnv::new();
    let report = env
        .run([
            "simulate",
            "--users",
            "30",
            "--inventory",
            "10",
            "--hold",
            "90s",
            "--keep",
        ])
        .json();
    assert_all_invariants_hold(&report);
    let list = env.store_state();
    assert_eq!(list[0]["id"], report["campaign_id"]);
    assert_eq!(list[0]["hold_seconds"], 90, "{list}");
    for args in [
        ["--inventory", "10", "--hold", "0s"],
        ["--campaign", "spring", "--hold", "1m"],
    ] {
        let out = env
            .run(["simulate", "--users", "5"].into_iter().chain(args))
            .code(2);
        let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("--hold"), "{args:?}: {message}");
    }
}

#[test]
fn a_run_against_an_existing_campaign_uses_its_inventory_and_keeps_it() {
    let env = TestEnv::new();
    env.create_campaign("spring", 50);
    let args = [
        "simulate",
        "--campaign",
        "spring",
        "--yes",
        "--users",
        "120",
        "--cart-min",
        "20",
        "--cart-max",
        "80",
    ];
    let first = env.run(args).json();
    assert_all_invariants_hold(&first);
    assert_eq!(first["campaign_id"], "spring");
    assert_eq!(first["eligible_users"], 120);
    assert_eq!(first["claimed"], 50);
    assert_eq!(first["kept"], true);

    // A second run finds the campaign sold out: every request is refused, nothing changes.
    let second = env.run(args).code(5).json();
    assert_eq!(
        second,
        serde_json::json!({"error": {
            "kind": "not_live",
            "message": "campaign `spring` is not live: it is sold_out"
        }}),
        "a sold-out campaign is not live"
    );
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(
        (status["claimed"].as_u64(), status["remaining"].as_u64()),
        (Some(50), Some(0))
    );
}

#[test]
fn a_campaign_that_is_missing_or_ended_is_refused() {
    let env = TestEnv::new();
    env.run(["simulate", "--campaign", "nope", "--users", "5"])
        .code(3)
        .stderr("error: campaign `nope` not found\n")
        .check();
    env.create_campaign("spring", 5);
    env.run(["campaign", "end", "spring", "--yes"]).json();
    let json = env
        .run(["simulate", "--campaign", "spring", "--users", "5"])
        .code(5)
        .json();
    assert_eq!(
        json,
        serde_json::json!({"error": {
            "kind": "not_live",
            "message": "campaign `spring` is not live: it is ended"
        }})
    );
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(
        status["claimed"], 0,
        "a refused simulation claims nothing: {status}"
    );
}

#[test]
fn invalid_flags_exit_2_before_the_store_is_touched() {
    let env = TestEnv::without_store();
    let users = "invalid --users: must be from 1 to 1000000000";
    let inventory = "invalid --inventory: must be from 1 to 1000000000";
    let tabs = "invalid --tabs: must be from 1 to 64";
    let ratio = "invalid --duplicate-ratio: must be a number from 0 to 1, e.g. 0.2";
    let cases: &[(&[&str], &str)] = &[
        (&["--users", "0", "--inventory", "5"], users),
        (
            &["--users", "-1", "--inventory", "5"],
            "unexpected argument '-1' found",
        ),
        (
            &["--users", "ten", "--inventory", "5"],
            "invalid value 'ten' for '--users <N>': invalid digit found in string",
        ),
        (
            &["--users", "5"],
            "the following required arguments were not provided: --inventory <I>",
        ),
        (&["--users", "5", "--inventory", "0"], inventory),
        (&["--users", "5", "--inventory", "1000000001"], inventory),
        (&["--users", "5", "--inventory", "5", "--tabs", "0"], tabs),
        (&["--users", "5", "--inventory", "5", "--tabs", "65"], tabs),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--duplicate-ratio",
                "1.5",
            ],
            ratio,
        ),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--duplicate-ratio",
                "-0.1",
            ],
            ratio,
        ),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--duplicate-ratio",
                "NaN",
            ],
            ratio,
        ),
        (
            &["--users", "5", "--inventory", "5", "--concurrency", "0"],
            "invalid --concurrency: must be from 1 to 100000",
        ),
        (
            &["--users", "5", "--inventory", "5", "--cart-min", "10"],
            "the following required arguments were not provided: --cart-max <MONEY>",
        ),
        (
            &["--users", "5", "--inventory", "5", "--cart-max", "10"],
            "the following required arguments were not provided: --cart-min <MONEY>",
        ),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--cart-min",
                "30",
                "--cart-max",
                "20",
            ],
            "invalid --cart-min: the minimum 30.00 is above the maximum 20.00",
        ),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--cart-min",
                "1.234",
                "--cart-max",
                "20",
            ],
            "invalid --cart-min: `1.234` has more than 2 decimal places, as EUR has",
        ),
        (
            &[
                "--users",
                "5",
                "--inventory",
                "5",
                "--cart-min",
                "-1",
                "--cart-max",
                "20",
            ],
            "unexpected argument '-1' found",
        ),
        (
            &["--users", "5", "--inventory", "5", "--campaign", "spring"],
            "the argument '--inventory <I>' cannot be used with '--campaign <ID>'",
        ),
        (
            &["--users", "5", "--campaign", "spring", "--keep"],
            "the argument '--campaign <ID>' cannot be used with '--keep'",
        ),
        (
            &["--users", "5", "--campaign", "Not A Slug"],
            "invalid campaign id: `Not A Slug` must be 1 to 64 characters of a-z, 0-9 and -",
        ),
        (
            &["--users", "5", "--inventory", "5", "--seed", "x"],
            "invalid value 'x' for '--seed <S>': invalid digit found in string",
        ),
    ];
    for (args, message) in cases {
        let json = env
            .run(std::iter::once(&"simulate").chain(args.iter()))
            .code(2)
            .json();
        assert_eq!(
            json,
            serde_json::json!({"error": {"kind": "invalid_input", "message": message}}),
            "{args:?}"
        );
        assert!(
            env.sqlite_file().is_some_and(|file| !file.exists()),
            "{args:?} created the store"
        );
    }
}

#[test]
fn the_same_seed_repeats_the_run() {
    let env = TestEnv::new();
    let run = |seed: &str| {
        let report = env
            .run([
                "simulate",
                "--users",
                "400",
                "--inventory",
                "1000",
                "--duplicate-ratio",
                "0.5",
                "--seed",
                seed,
            ])
            .json();
        [
            "eligible_users",
            "duplicate_users",
            "requests",
            "claimed",
            "replayed",
            "not_eligible",
        ]
        .map(|field| n(&report, field))
    };
    assert_eq!(run("11"), run("11"));
    assert_ne!(run("11"), run("12"));
}

#[test]
fn the_table_report_goes_to_stdout_without_a_progress_bar_off_a_terminal() {
    let env = TestEnv::new();
    let out = env
        .run(["simulate", "--users", "50", "--inventory", "10"])
        .stderr("")
        .run();
    // The summary, then the run second by second.
    let (summary, seconds) = out.stdout.split_once("\n\n").expect("two tables");
    let rows = support::table_rows(&format!("{summary}\n"));
    assert_eq!(
        seconds
            .lines()
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec![
            "second",
            "arrived",
            "done",
            "in",
            "flight",
            "requests",
            "claimed",
            "sold",
            "out",
            "errors",
            "p50",
            "ms",
            "p90",
            "ms",
            "p99",
            "ms",
            "max",
            "ms",
            "remaining"
        ]),
        "{seconds}"
    );
    let keys: Vec<&str> = rows.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, REPORT_ROWS, "{}", out.stdout);
    let value = |key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    // The rows that do not depend on timing or on the random seed, whole.
    for (key, expected) in [
        ("inventory", "10"),
        ("concurrency", "1000"),
        ("claimed", "10"),
        ("not live", "0"),
        ("errors", "0"),
        ("identity", "operator (asserted, nothing verified)"),
        (
            "store after",
            "10 claims (10 users, 10 tokens), 0 of 10 remaining",
        ),
        ("no oversell", "ok"),
        ("one claim per user", "ok"),
        ("replays consistent", "ok"),
        ("inventory conserved", "ok"),
        ("no undersell", "ok"),
        ("one status per claim", "ok"),
        ("redeemed once", "ok"),
        ("final after void", "ok"),
        ("actions logged", "ok"),
        ("run checks", "ok"),
        ("result", "PASSED"),
    ] {
        assert_eq!(value(key), expected, "{key}: {}", out.stdout);
    }
    assert!(
        value("campaign").starts_with("sim-") && value("campaign").ends_with(" (removed)"),
        "{}",
        out.stdout
    );
}

/// Every row of the table report, in order.
const REPORT_ROWS: [&str; 35] = [
    "campaign",
    "users",
    "inventory",
    "seed",
    "concurrency",
    "requests",
    "claimed",
    "replayed",
    "sold out",
    "not eligible",
    "not live",
    "errors",
    "redeemed",
    "voided",
    "expired",
    "lifecycle errors",
    "duration",
    "claim rate",
    "peak in flight",
    "latency",
    "identity",
    "group commit",
    "store after",
    "no oversell",
    "one claim per user",
    "replays consistent",
    "inventory conserved",
    "no undersell",
    "one status per claim",
    "redeemed once",
    "final after void",
    "actions logged",
    "run checks",
    "peak memory",
    "result",
];

#[cfg(unix)]
#[test]
fn ctrl_c_exits_130_and_removes_the_created_campaign() {
    let env = TestEnv::new();
    let child = env
        .std_cmd(["simulate", "--users", "100000000", "--inventory", "10"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start flashsale");
    // Interrupt only once the run is under way (its campaign exists), when the handler is set.
    let started = std::time::Instant::now();
    while env.store_state().as_array().is_none_or(Vec::is_empty) {
        assert!(
            started.elapsed().as_secs() < 30,
            "the simulation never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    support::Signal::Int.send(&child);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: interrupted before the simulation finished\n"
    );
    assert_eq!(env.store_state(), serde_json::json!([]));
}

/// Breaks conservation behind the store's back: `remaining` lowered below `total - claims`,
/// the stranded units a crash between a reservation and its claim leaves on `MongoDB` until
/// `inventory reconcile` returns them. (`SQLite`'s CHECKs refuse the opposite drift, which
/// would oversell; the in-memory stores below cover that.)
fn corrupt_remaining(env: &TestEnv, id: &str, remaining: i64) {
    let file = env.sqlite_file().expect("sqlite store");
    let conn = rusqlite::Connection::open(file).expect("open store");
    conn.execute(
        "UPDATE campaigns SET remaining = ?2 WHERE id = ?1",
        rusqlite::params![id, remaining],
    )
    .expect("corrupt");
}

#[test]
fn stranded_units_exit_8_with_the_report_as_the_only_json_document() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    corrupt_remaining(&env, "spring", 5);
    let args = [
        "simulate",
        "--campaign",
        "spring",
        "--yes",
        "--users",
        "100",
        "--cart-min",
        "20",
        "--cart-max",
        "80",
    ];
    let report = env.run(args).code(8).json();
    assert_eq!(report["claimed"], 5);
    assert_eq!(
        report["invariants"]["inventory_conserved"], false,
        "{report}"
    );
    for held in [
        "no_oversell",
        "one_claim_per_user",
        "replays_consistent",
        "no_undersell",
    ] {
        assert_eq!(report["invariants"][held], true, "{held}: {report}");
    }
    assert_eq!(report["passed"], false);
    assert!(report.get("error").is_none(), "{report}");
    let violations = report["violations"].as_array().expect("violations");
    assert_eq!(violations.len(), 1, "{report}");
    assert!(
        violations[0]
            .as_str()
            .is_some_and(|v| v.starts_with("inventory_conserved"))
    );

    // In table mode the report is on stdout and the verdict on stderr.
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    corrupt_remaining(&env, "spring", 5);
    let out = env
        .run(args)
        .code(8)
        .stderr("error: invariant violated: inventory_conserved\n")
        .run();
    let (summary, _) = out.stdout.split_once("\n\n").expect("two tables");
    let rows = support::table_rows(&format!("{summary}\n"));
    let value = |key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    assert_eq!(value("result"), "FAILED", "{}", out.stdout);
    assert_eq!(value("inventory conserved"), "VIOLATED", "{}", out.stdout);
    assert_eq!(value("no oversell"), "ok", "{}", out.stdout);
}

// --- The audit against a deliberately broken store -------------------------------------------

/// How the in-memory store below misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// None: it keeps every invariant, which shows the fake itself is sound.
    Sound,
    /// Reserves with a read, a pause and a write: concurrent claims all see the same
    /// `remaining`, and each writes `seen - 1` (a lost update that oversells).
    NonAtomicReserve,
    /// Forgets to look for an existing claim: a second tab gets a second unit.
    NoReplay,
    /// Sound, but every claim takes [`SLOW_CLAIM`] on the clock.
    Slow,
}

/// How long a claim takes on a [`Fault::Slow`] store.
const SLOW_CLAIM: std::time::Duration = std::time::Duration::from_millis(500);

#[derive(Default)]
struct Data {
    campaigns: HashMap<CampaignId, Campaign>,
    claims: Vec<Claim>,
}

#[derive(Clone)]
struct FakeStore {
    data: Arc<Mutex<Data>>,
    fault: Fault,
}

impl FakeStore {
    fn new(fault: Fault) -> Self {
        FakeStore {
            data: Arc::default(),
            fault,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Data) -> T) -> T {
        f(&mut self.data.lock().expect("lock"))
    }
}

impl Store for FakeStore {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        _: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        Ok(self.with(|d| d.campaigns.insert(campaign.id.clone(), campaign.clone())))
    }

    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        Ok(self.with(|d| d.campaigns.get(id).cloned()))
    }

    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        Ok(self.with(|d| d.campaigns.values().cloned().collect()))
    }

    async fn change_campaign(
        &self,
        _: &CampaignId,
        _: &CampaignChange,
        _: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        unimplemented!("not used by the simulator")
    }

    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        if self.fault == Fault::Slow {
            tokio::time::sleep(SLOW_CLAIM).await;
        }
        let (id, user) = (&attempt.campaign_id, &attempt.user_id);
        // Sound: read, decide and write under one lock. The faults break the read (no replay)
        // or split the write from the read (a lost update).
        let decide = |d: &mut Data| -> Result<Decision, Box<(Campaign, Claim)>> {
            let held = d
                .claims
                .iter()
                .find(|c| &c.campaign_id == id && &c.user_id == user)
                .filter(|_| self.fault != Fault::NoReplay)
                .cloned();
            let decision = attempt.decide(
                held,
                d.campaigns.get(id),
                flashsale::random::token(attempt.now),
            );
            let Decision::Grant(claim) = &decision else {
                return Ok(decision);
            };
            let campaign = d.campaigns.get_mut(id).expect("a grant has a campaign");
            if self.fault == Fault::NonAtomicReserve {
                return Err(Box::new((campaign.clone(), claim.clone())));
            }
            campaign.take_unit();
            d.claims.push(claim.clone());
            Ok(decision)
        };
        let (mut seen, claim) = match self.with(decide) {
            Ok(decision) => return Ok(decision),
            Err(read) => *read,
        };
        // The broken path: the lock is released between the read and the write, which puts
        // back the copy read before the pause, minus one unit.
        tokio::task::yield_now().await;
        Ok(self.with(|d| {
            seen.take_unit();
            d.campaigns.insert(id.clone(), seen);
            d.claims.push(claim.clone());
            Decision::Grant(claim)
        }))
    }

    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        Ok(self.with(|d| {
            d.claims
                .iter()
                .find(|c| &c.campaign_id == id && &c.user_id == user)
                .cloned()
        }))
    }

    async fn claim_by_token(
        &self,
        _: &CampaignId,
        _: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        unimplemented!("not used by the simulator")
    }

    // The claim path is what these faults break; the runs below send no redemption or void.
    async fn redeem(&self, _: &RedeemAttempt) -> Result<Verdict, StoreError> {
        unimplemented!("the runs below redeem nothing")
    }

    async fn void(&self, _: &VoidAttempt) -> Result<Verdict, StoreError> {
        unimplemented!("the runs below void nothing")
    }

    /// No hold on the simulator's campaign: nothing ever expires.
    async fn expire_holds(&self, id: &CampaignId, _: &Stamp) -> Result<Option<u64>, StoreError> {
        Ok(self.with(|d| d.campaigns.contains_key(id).then_some(0)))
    }

    async fn reconcile(
        &self,
        _: &CampaignId,
        _: ReconcileMode,
        _: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        unimplemented!("not used by the simulator")
    }

    /// Nothing here is an operator's action: the log stays empty.
    async fn events(&self, _: &EventQuery) -> Result<Vec<Event>, StoreError> {
        Ok(Vec::new())
    }

    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        Ok(local)
    }

    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        Ok(self.with(|d| {
            let mut claims: Vec<Claim> = d
                .claims
                .iter()
                .filter(|c| c.campaign_id == page.campaign)
                .filter(|c| page.status.is_none_or(|s| c.status == s))
                .filter(|c| page.after.as_ref().is_none_or(|after| &c.user_id > after))
                .cloned()
                .collect();
            claims.sort_by(|a, b| a.user_id.as_str().cmp(b.user_id.as_str()));
            claims.truncate(page.limit);
            claims
        }))
    }

    async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<Option<SaleReport>, StoreError> {
        Ok(self.with(|d| {
            let campaign = d.campaigns.get(id)?.clone();
            let mut tally = SaleTally::new(width);
            for c in d.claims.iter().filter(|c| &c.campaign_id == id) {
                let redeemed = c
                    .redemption
                    .as_ref()
                    .map(|r| (r.redeemed_at, r.discount.get()));
                tally.add(c.status, c.claimed_at, c.discount.get(), redeemed);
            }
            Some(SaleReport {
                campaign,
                width,
                counts: tally.finish(),
            })
        }))
    }

    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        Ok(self.with(|d| {
            let campaign = d.campaigns.get(id)?;
            let claims: Vec<&Claim> = d.claims.iter().filter(|c| &c.campaign_id == id).collect();
            let count = |set: HashSet<&str>| i64::try_from(set.len()).expect("count");
            Some(Audit {
                total: campaign.total(),
                remaining: campaign.remaining(),
                claims: i64::try_from(claims.len()).expect("count"),
                distinct_users: count(claims.iter().map(|c| c.user_id.as_str()).collect()),
                distinct_tokens: count(claims.iter().map(|c| c.token.as_str()).collect()),
            })
        }))
    }

    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        Ok(self.with(|d| {
            d.claims.retain(|c| &c.campaign_id != id);
            d.campaigns.remove(id).is_some()
        }))
    }
}

/// 400 users, all eligible, half of them with 3 tabs and a retry, against `units` units.
async fn simulate_on(fault: Fault, units: i64) -> Report {
    let clock = Arc::new(FixedClock::new(
        DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
    ));
    let simulator = Simulator::new(FakeStore::new(fault), clock);
    let units = Units::new(units).expect("units");
    let campaign = simulator
        .create_campaign(units, None)
        .await
        .expect("campaign");
    let load = Load {
        tabs: 3,
        duplicate_ratio: 0.5,
        carts: CartRange {
            min: "50".parse().expect("cart"),
            max: "100".parse().expect("cart"),
        },
        redeem_ratio: 0.0,
        ..Load::new(400, 3)
    };
    simulator
        .run(&load, &campaign, Arc::new(Progress::default()))
        .await
        .expect("run")
}

/// 100 users, all eligible, one request each, against 10 units of a store whose every claim
/// takes [`SLOW_CLAIM`], arriving as `arrivals` says or, without, 10 at a time.
async fn simulate_slowly(arrivals: Option<Arrivals>) -> Report {
    simulate_slowly_under(arrivals, MAX_IN_FLIGHT).await
}

/// [`simulate_slowly`] with an open loop's in-flight cap of `cap`.
async fn simulate_slowly_under(arrivals: Option<Arrivals>, cap: usize) -> Report {
    let clock = Arc::new(FixedClock::new(
        DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
    ));
    let simulator = Simulator::new(FakeStore::new(Fault::Slow), clock);
    let units = Units::new(10).expect("units");
    let campaign = simulator
        .create_campaign(units, None)
        .await
        .expect("campaign");
    let load = Load {
        duplicate_ratio: 0.0,
        concurrency: 10,
        carts: CartRange {
            min: "50".parse().expect("cart"),
            max: "100".parse().expect("cart"),
        },
        redeem_ratio: 0.0,
        arrivals,
        max_in_flight: cap,
        ..Load::new(100, 3)
    };
    simulator
        .run(&load, &campaign, Arc::new(Progress::default()))
        .await
        .expect("run")
}

/// An open loop's cap holds a shopper only when it makes the shopper late. With 10 in flight
/// and claims of 500 ms, shoppers due every 10 ms wait for a slot and start late from the
/// eleventh on: user `10j + k` starts when user `10(j - 1) + k` finishes, at `500j + 10k` ms,
/// so user 99 is 3,600 ms late. Due every 120 ms against 5 slots, each shopper also waits for
/// a slot, but one frees (at `120i + 500` ms for user `i + 5`) before it is due (`120i +
/// 600`): on time, so none was held.
#[tokio::test(start_paused = true)]
#[expect(
    clippy::float_cmp,
    reason = "on the paused clock every figure is exact"
)]
async fn the_in_flight_cap_counts_the_shoppers_it_made_late() {
    let fast = Arrivals::parse("uniform:1s", "arrivals").expect("arrivals");
    let capped = simulate_slowly_under(Some(fast), 10).await;
    assert!(capped.passed, "{:?}", capped.violations);
    assert_eq!(capped.peak_in_flight, 10);
    let arrivals = capped.arrivals.expect("an open loop reports its arrivals");
    assert_eq!(arrivals.held_by_cap, 90);
    assert_eq!(arrivals.max_lag_ms, 3_600.0);
    let spread = Arrivals::parse("uniform:12s", "arrivals").expect("arrivals");
    let on_time = simulate_slowly_under(Some(spread), 5).await;
    assert!(on_time.passed, "{:?}", on_time.violations);
    assert_eq!(on_time.peak_in_flight, 5);
    let arrivals = on_time.arrivals.expect("an open loop reports its arrivals");
    assert_eq!(
        (arrivals.held_by_cap, arrivals.max_lag_ms),
        (0, 0.0),
        "shoppers who waited for a slot and still started on time were counted as held"
    );
}

/// On tokio's paused clock every claim takes exactly [`SLOW_CLAIM`]: in an open loop the
/// shoppers keep arriving on time while the store is slow, so far more are in flight than a
/// closed loop allows, and the run lasts the arrivals' span plus one claim, not the
/// shoppers' queue. The claims are timed over the window they were granted in.
#[tokio::test(start_paused = true)]
#[expect(
    clippy::float_cmp,
    reason = "on the paused clock every figure is exact"
)]
async fn an_open_loop_keeps_arriving_while_the_store_is_slow() {
    let uniform = Arrivals::parse("uniform:1s", "arrivals").expect("arrivals");
    let open = simulate_slowly(Some(uniform)).await;
    assert!(open.passed, "{:?}", open.violations);
    // User i arrives at 10i ms and finishes 500 ms later: 50 at once from 490 ms on.
    assert!(
        (50..=51).contains(&open.peak_in_flight),
        "{}",
        open.peak_in_flight
    );
    assert!(
        (1_490..1_510).contains(&open.duration_ms),
        "{}",
        open.duration_ms
    );
    let arrivals = open.arrivals.expect("an open loop reports its arrivals");
    assert_eq!(arrivals.max_lag_ms, 0.0);
    assert_eq!(arrivals.held_by_cap, 0);
    assert_eq!(arrivals.offered_per_sec, 100.0);
    let rows: Vec<(Option<u64>, u64, u64, u64)> = open
        .per_second
        .iter()
        .map(|s| (s.offered, s.arrived, s.completed, s.in_flight))
        .collect();
    // Every user arrived in the first second, while only half of them had finished.
    assert_eq!(rows, [(Some(100), 100, 50, 50), (Some(0), 0, 50, 0)]);
    let latency = open.per_second[0].latency_ms;
    assert_eq!((latency.p50, latency.max), (500.0, 500.0), "{latency:?}");
    assert_eq!(open.per_second[1].remaining, 0);
    // Users 0 to 9 were granted: sent from 0 ms, the last answered at 90 + 500 ms.
    assert_eq!(open.claimed, 10);
    assert_eq!(open.claims_window_ms, 590.0);
    assert_eq!(open.claims_per_sec, 16.9);

    // The same users in a closed loop of 10: never more than 10 in flight, a queue of ten
    // rounds of 500 ms, and no arrivals to report.
    let closed = simulate_slowly(None).await;
    assert!(closed.passed, "{:?}", closed.violations);
    assert_eq!(closed.peak_in_flight, 10);
    assert!(
        (5_000..5_020).contains(&closed.duration_ms),
        "{}",
        closed.duration_ms
    );
    assert!(closed.arrivals.is_none());
    assert!(closed.per_second.iter().all(|s| s.offered.is_none()));
    // The first ten were granted together, in the first 500 ms.
    assert_eq!(closed.claims_window_ms, 500.0);
    assert_eq!(closed.claims_per_sec, 20.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_passes_a_sound_store() {
    let report = simulate_on(Fault::Sound, 20).await;
    assert!(report.passed, "{:?}", report.violations);
    assert_eq!(report.claimed, 20);
    // Every user is eligible, so the units sell out, each to its own user with its own token.
    assert_eq!(
        report
            .store_after
            .expect("the store was read after the run"),
        Audit {
            total: 20,
            remaining: 0,
            claims: 20,
            distinct_users: 20,
            distinct_tokens: 20,
        }
    );
    assert_eq!(
        (report.store_before.claims, report.store_before.remaining),
        (0, 20)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_flags_oversell_on_a_store_whose_reserve_is_not_atomic() {
    let report = simulate_on(Fault::NonAtomicReserve, 20).await;
    assert!(
        report.claimed > 20,
        "the broken store did not oversell: {report:?}"
    );
    assert!(!report.invariants.no_oversell, "{report:?}");
    assert!(!report.invariants.inventory_conserved, "{report:?}");
    assert!(!report.passed);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.starts_with("no_oversell"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_flags_double_grants_on_a_store_that_forgets_replays() {
    // Units for every request, so each duplicating user's second tab is granted a second unit.
    let report = simulate_on(Fault::NoReplay, 2_000).await;
    assert!(report.claimed > 400, "{report:?}");
    assert!(!report.invariants.one_claim_per_user, "{report:?}");
    assert!(!report.invariants.replays_consistent, "{report:?}");
    assert!(!report.passed);
}

#[test]
fn the_require_jwt_policy_refuses_operator_asserted_simulations() {
    let env = TestEnv::without_store();
    env.run(["simulate", "--users", "5", "--inventory", "1"])
        .env("FLASHSALE_REQUIRE_JWT", "1")
        .code(7)
        .stderr(
            "error: simulated users asserted by the operator are refused by policy: verified \
             JWTs are required: FLASHSALE_REQUIRE_JWT is set: pass `--jwt`\n",
        )
        .check();
    assert!(
        env.store_bytes().is_empty(),
        "a refused run must not create the store"
    );
    // A typed store path's folder must exist for a store to be created in it.
    std::fs::create_dir_all(env.sqlite_file().unwrap().parent().unwrap()).unwrap();
    let report = env
        .run(["simulate", "--users", "5", "--inventory", "1", "--jwt"])
        .env("FLASHSALE_REQUIRE_JWT", "1")
        .stderr(format!(
            "created a new store at sqlite:{}\n",
            env.sqlite_file().unwrap().display()
        ))
        .json();
    assert_eq!(report["identity"], "jwt", "with --jwt the policy is met");
}

/// Shoppers redeem (some retry the same order, some try a second one) while an
/// operator voids claims and sweeps expiries; the audit checks I7-I10 as well, and passes.
#[test]
fn a_run_with_redemptions_and_voids_keeps_i7_to_i10() {
    let env = TestEnv::new();
    let report = env
        .run([
            "simulate",
            "--users",
            "300",
            "--inventory",
            "100",
            "--redeem-ratio",
            "0.6",
            "--void-ratio",
            "0.3",
            "--seed",
            "5",
            "--cart-min",
            "20",
            "--cart-max",
            "80",
        ])
        .json();
    assert_eq!(report["passed"], true, "{report:#}");
    for field in ["redeemed", "redeem_replayed", "redeem_conflicts", "voided"] {
        assert!(report[field].as_u64().unwrap() > 0, "{field}: {report:#}");
    }
    assert_eq!(report["lifecycle_errors"], 0, "{report:#}");
    for invariant in [
        "one_status_per_claim",
        "redeemed_once",
        "final_after_void",
        "actions_logged",
    ] {
        assert_eq!(report["invariants"][invariant], true, "{invariant}");
    }
    // Every voided unit went back: held and remaining add up to the total.
    let after = &report["lifecycle_after"];
    assert_eq!(after["voided"], report["voided"]);
    assert_eq!(after["void_events"], report["voided"]);
    let held = after["claimed"].as_i64().unwrap() + after["redeemed"].as_i64().unwrap();
    assert_eq!(
        held + report["store_after"]["remaining"].as_i64().unwrap(),
        100,
        "{report:#}"
    );
}

/// Out-of-range ratios are usage errors that name their flag; a negative one is read as a
/// value, not as an unknown flag `-0`.
#[test]
fn lifecycle_ratios_are_checked_before_the_store_is_touched() {
    let env = TestEnv::new();
    for (flag, value) in [
        ("--redeem-ratio", "1.5"),
        ("--void-ratio", "-0.1"),
        ("--duplicate-ratio", "-0.1"),
    ] {
        let json = env
            .run(["simulate", "--users", "10", "--inventory", "5", flag, value])
            .code(2)
            .json();
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("invalid {flag}: must be a number from 0 to 1")),
            "{message}"
        );
    }
}

/// A clock that reads `start` for its first `after` readings and two minutes later from then
/// on: a run's first claims are made before the jump and its last sweep after it, however fast
/// or loaded the machine is (a timer-driven jump raced the run and sometimes missed it).
struct JumpingClock {
    start: DateTime<chrono::Utc>,
    after: usize,
    readings: std::sync::atomic::AtomicUsize,
}

impl flashsale::clock::Clock for JumpingClock {
    fn now(&self) -> DateTime<chrono::Utc> {
        let reading = self
            .readings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if reading < self.after {
            self.start
        } else {
            self.start + chrono::TimeDelta::minutes(2)
        }
    }
}

/// On a campaign with a hold, the simulated operator's sweeps expire the claims whose
/// hold ran out during the run (the clock jumps past it mid-run); every expiry returns its unit
/// and leaves its event, and redemptions after it are refused: the audit says so and passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_expire_during_a_run_and_the_audit_accounts_for_them() {
    use flashsale::domain::{Currency, Hold, NewCampaign, Percent};
    let dir = tempfile::tempdir().expect("dir");
    let store = flashsale::store::SqliteStore::open(&dir.path().join("db"))
        .await
        .expect("store");
    let start = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
    // The campaign's creation reads the clock a few times, then the run's first hundred
    // readings (its first claims, redemptions and sweeps) are before the jump.
    let clock = Arc::new(JumpingClock {
        start,
        after: 100,
        readings: std::sync::atomic::AtomicUsize::new(0),
    });
    let model = NewCampaign {
        id: CampaignId::parse("held").expect("id"),
        name: "Held".into(),
        inventory: Units::new(200).expect("units"),
        percent: Percent::from_bps(1_000).expect("percent"),
        max_discount: "5".parse().expect("money"),
        min_cart: "20".parse().expect("money"),
        currency: Currency::default(),
        starts_at: Some(start),
        ends: Ends::At(start + chrono::TimeDelta::hours(2)),
        hold: Some(Hold::from_seconds(60).expect("hold")),
    }
    .validate(start)
    .expect("campaign");
    let simulator = Simulator::new(store, Arc::clone(&clock));
    let campaign = simulator
        .create_campaign_like(&model)
        .await
        .expect("rehearsal campaign");
    let load = Load {
        redeem_ratio: 0.3,
        concurrency: 20,
        carts: CartRange {
            min: "50".parse().expect("cart"),
            max: "100".parse().expect("cart"),
        },
        ..Load::new(400, 11)
    };
    let report = simulator
        .run(&load, &campaign, Arc::new(Progress::default()))
        .await
        .expect("run");
    assert!(report.passed, "{:?}", report.violations);
    assert!(report.expired > 0, "{report:?}");
    let after = report.lifecycle_after.expect("lifecycle");
    assert_eq!(u64::try_from(after.expired).ok(), Some(report.expired));
    assert_eq!(after.expired_by_events, after.expired);
    assert!(report.invariants.one_status_per_claim && report.invariants.actions_logged);
}
