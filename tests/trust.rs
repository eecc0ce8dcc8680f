//! Issue 14 (the CLI, simulate and auth half): audits that cannot pass a broken store, a
//! policy that cannot be bypassed, SIGTERM handled like Ctrl-C, time edges, and secrets that
//! never print.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns fail the test the same way

use crate::support;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use flashsale::clock::{Clock as _, SystemClock};
use flashsale::domain::{
    Applied, Campaign, CampaignChange, CampaignId, ChangeRefusal, Claim, ClaimAttempt, ClaimToken,
    Decision, Event, EventQuery, ExportPage, RedeemAttempt, Stamp, Units, UserId, Verdict,
    VoidAttempt,
};
use flashsale::simulate::{CartRange, Load, Progress, Report, Simulator};
use flashsale::store::{Audit, CommitStats, Reconciliation, SqliteStore, Store, StoreError};
use serde_json::{Value, json};
use support::{JWT_SECRET, RSA_PUBLIC_PEM, Signal, TestEnv, hs256, unix_now};

// --- Item 2: the run is judged, not only the store -------------------------------------------

/// How the store below misbehaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Every claim fails, as on a full disk or a read-only file: reads still work.
    FailingWrites,
    /// The audit after the run fails (the first audit, before the run, works).
    UnreadableAfter,
    /// Someone else claims on the campaign during the run (item 3).
    ClaimsBeside,
}

/// A real `SQLite` store with one fault injected.
#[derive(Clone)]
struct Faulty {
    inner: SqliteStore,
    fault: Fault,
    audits: Arc<AtomicUsize>,
}

fn failure(what: &str) -> StoreError {
    StoreError::unavailable(
        what,
        std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"),
    )
}

impl Store for Faulty {
    async fn create_campaign(
        &self,
        campaign: &Campaign,
        stamp: &Stamp,
    ) -> Result<Option<Campaign>, StoreError> {
        self.inner.create_campaign(campaign, stamp).await
    }
    async fn campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        self.inner.campaign(id).await
    }
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        self.inner.campaigns().await
    }
    async fn change_campaign(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        stamp: &Stamp,
    ) -> Result<Result<Applied, ChangeRefusal>, StoreError> {
        self.inner.change_campaign(id, change, stamp).await
    }
    async fn claim(&self, attempt: &ClaimAttempt) -> Result<Decision, StoreError> {
        match self.fault {
            Fault::FailingWrites => Err(failure("claiming")),
            Fault::UnreadableAfter | Fault::ClaimsBeside => self.inner.claim(attempt).await,
        }
    }
    async fn claim_of(&self, id: &CampaignId, user: &UserId) -> Result<Option<Claim>, StoreError> {
        self.inner.claim_of(id, user).await
    }
    async fn claim_by_token(
        &self,
        id: &CampaignId,
        token: &ClaimToken,
    ) -> Result<Option<Claim>, StoreError> {
        self.inner.claim_by_token(id, token).await
    }
    // A redemption and a void are writes: they fail as claims do.
    async fn redeem(&self, attempt: &RedeemAttempt) -> Result<Verdict, StoreError> {
        match self.fault {
            Fault::FailingWrites => Err(failure("redeeming")),
            Fault::UnreadableAfter | Fault::ClaimsBeside => self.inner.redeem(attempt).await,
        }
    }
    async fn void(&self, attempt: &VoidAttempt) -> Result<Verdict, StoreError> {
        match self.fault {
            Fault::FailingWrites => Err(failure("voiding")),
            Fault::UnreadableAfter | Fault::ClaimsBeside => self.inner.void(attempt).await,
        }
    }
    async fn expire_holds(
        &self,
        id: &CampaignId,
        stamp: &Stamp,
    ) -> Result<Option<u64>, StoreError> {
        self.inner.expire_holds(id, stamp).await
    }
    async fn reconcile(
        &self,
        id: &CampaignId,
        mode: flashsale::store::ReconcileMode,
        stamp: &Stamp,
    ) -> Result<Option<Reconciliation>, StoreError> {
        self.inner.reconcile(id, mode, stamp).await
    }
    async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.inner.events(query).await
    }
    async fn export_page(&self, page: &ExportPage) -> Result<Vec<Claim>, StoreError> {
        self.inner.export_page(page).await
    }
    async fn now(&self, local: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        self.inner.now(local).await
    }
    async fn audit(&self, id: &CampaignId) -> Result<Option<Audit>, StoreError> {
        let first = self.audits.fetch_add(1, Ordering::SeqCst) == 0;
        if self.fault == Fault::UnreadableAfter && !first {
            return Err(failure("auditing"));
        }
        let audit = self.inner.audit(id).await;
        if self.fault == Fault::ClaimsBeside && first {
            // Three shoppers outside the run claim once the run has read the store's state
            // before it: to the run, they claim during it.
            for n in 0..3 {
                let other = ClaimAttempt {
                    campaign_id: id.clone(),
                    user_id: UserId::parse(&format!("someone-else-{n}")).unwrap(),
                    cart: "50".parse().unwrap(),
                    now: SystemClock.now(),
                };
                let decision = self.inner.claim(&other).await?;
                assert!(matches!(decision, Decision::Grant(_)), "{decision:?}");
            }
        }
        audit
    }
    async fn delete_campaign(&self, id: &CampaignId) -> Result<bool, StoreError> {
        self.inner.delete_campaign(id).await
    }
    fn commit_stats(&self) -> Option<CommitStats> {
        self.inner.commit_stats()
    }
}

/// 200 eligible users, a quarter with 3 tabs and a retry, against 50 units of a store with
/// `fault`; `shared` tells the audit others may claim.
async fn simulate_with(fault: Fault, shared: bool) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let inner = SqliteStore::open(&dir.path().join("trust.db"))
        .await
        .unwrap();
    let store = Faulty {
        inner,
        fault,
        audits: Arc::default(),
    };
    let mut simulator = Simulator::new(store, SystemClock);
    if shared {
        simulator = simulator.sharing_the_campaign();
    }
    let campaign = simulator
        .create_campaign(Units::new(50).unwrap(), None)
        .await
        .unwrap();
    let load = Load {
        tabs: 3,
        duplicate_ratio: 0.25,
        carts: CartRange {
            min: "50".parse().unwrap(),
            max: "100".parse().unwrap(),
        },
        ..Load::new(200, 9)
    };
    simulator
        .run(&load, &campaign, Arc::new(Progress::default()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_fails_every_claim_fails_the_run() {
    let report = simulate_with(Fault::FailingWrites, false).await;
    assert_eq!(report.errors, report.requests, "{report:?}");
    assert_eq!(report.claimed, 0);
    // The store kept every invariant (it did nothing): the run itself is what failed.
    assert!(report.invariants.all_hold(), "{report:?}");
    assert!(!report.checks.errors_below_threshold);
    assert!(!report.checks.claimed_when_possible);
    assert!(report.checks.audit_complete);
    assert!(!report.passed);
    assert_eq!(
        report.violations,
        [
            format!(
                "errors_below_threshold: {0} of {0} requests failed with an error (at most 1 % \
                 may)",
                report.requests
            ),
            "claimed_when_possible: no claim was granted although 200 users were eligible and \
             50 units remained"
                .to_owned(),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_unreadable_after_the_run_fails_it_with_the_report() {
    let report = simulate_with(Fault::UnreadableAfter, false).await;
    assert_eq!(report.claimed, 50, "{report:?}");
    assert_eq!(report.store_after, None);
    assert!(!report.checks.audit_complete);
    assert!(
        report
            .audit_error
            .as_deref()
            .is_some_and(|e| e.contains("auditing"))
    );
    // Nothing was proven, so no invariant is reported as holding.
    assert_eq!(report.invariants.broken().count(), 9);
    assert!(!report.passed);
    assert!(
        report.violations[0]
            .starts_with("audit_complete: the store could not be read after the run: "),
        "{:?}",
        report.violations
    );
}

#[test]
fn a_failing_store_exits_8_with_the_report_black_box() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    // Every insert of a claim fails, as on a full disk: reads still work, writes do not.
    let file = env.sqlite_file().unwrap();
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_claims BEFORE INSERT ON claims \
         BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END;",
    )
    .unwrap();
    drop(conn);
    let args = [
        "simulate",
        "--campaign",
        "spring",
        "--yes",
        "--users",
        "20",
        "--cart-min",
        "20",
        "--cart-max",
        "80",
    ];
    let report = env.run(args).code(8).json();
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["claimed"], 0, "{report}");
    assert_eq!(report["errors"], report["requests"], "{report}");
    assert_eq!(
        report["checks"]["errors_below_threshold"], false,
        "{report}"
    );
    assert_eq!(report["max_error_ratio"], 0.01, "{report}");
    env.run(args)
        .code(8)
        .stderr("error: invariant violated: errors_below_threshold, claimed_when_possible\n")
        .run();
}

// --- Item 3: claims by others during a `--campaign` run --------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_beside_a_shared_run_are_counted_not_a_violation() {
    let report = simulate_with(Fault::ClaimsBeside, true).await;
    assert!(report.passed, "{:?}", report.violations);
    assert_eq!(report.claims_by_others, 3);
    assert_eq!(report.claimed, 47);
    assert_eq!(report.store_after.unwrap().claims, 50);
    // On a campaign the run owns, the same extra claims break conservation, and the message
    // names only what failed (`remaining` does equal total - claims here).
    let owned = simulate_with(Fault::ClaimsBeside, false).await;
    assert!(!owned.passed);
    assert_eq!(
        owned.violations,
        ["inventory_conserved: the run added 50 claims for 47 `claimed` answers"]
    );
}

#[test]
fn simulations_at_once_on_one_campaign_all_pass() {
    let env = TestEnv::new();
    // Enough units for every shopper of the three runs: a run that starts after the others
    // sold the campaign out is refused before it claims anything, which is right but is not
    // what this test is about (on a loaded machine the runs do not start together).
    env.create_campaign("spring", 450);
    let runs: Vec<_> = (0..3)
        .map(|seed| {
            env.std_cmd([
                "--output",
                "json",
                "simulate",
                "--campaign",
                "spring",
                "--yes",
                "--users",
                "150",
                "--cart-min",
                "20",
                "--cart-max",
                "80",
                "--seed",
                &seed.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut claimed = 0;
    for child in runs {
        let out = child.wait_with_output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{report}");
        assert_eq!(report["passed"], true, "{report}");
        claimed += report["claimed"].as_i64().unwrap();
    }
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(status["claimed"], claimed, "{status}");
}

// --- Item 4: `aud` without a configured audience ---------------------------------------------

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

// --- Item 5: the JWT policy is never bypassed -------------------------------------------------

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

// --- Item 8: SIGTERM is Ctrl-C ----------------------------------------------------------------

/// The campaigns in the store's file, read as a plain WAL reader: a reader never waits for
/// the simulation's writer (`campaign list` would open the store and may wait on its lock).
#[cfg(target_os = "linux")]
fn campaigns_in(env: &TestEnv) -> i64 {
    let file = env.sqlite_file().unwrap();
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(&file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM campaigns", [], |row| row.get(0))
        .unwrap_or(0)
}

#[cfg(target_os = "linux")]
#[test]
fn sigterm_ends_a_simulation_like_ctrl_c_and_removes_its_campaign() {
    let env = TestEnv::new();
    let child = env
        .std_cmd([
            "--output",
            "json",
            "simulate",
            "--users",
            "100000000",
            "--inventory",
            "10",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while campaigns_in(&env) == 0 || !Signal::Term.is_caught_by(child.id()) {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    Signal::Term.send(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let document: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(
        document,
        json!({"error": {
            "kind": "interrupted",
            "message": "interrupted before the simulation finished",
        }})
    );
    assert_eq!(campaigns_in(&env), 0, "the campaign was removed");
    assert_eq!(env.store_state(), json!([]));
}

// SIGTERM on a blocked claim: `interrupt.rs`, beside Ctrl-C.

// --- Item 9: time edges -------------------------------------------------------------------------

fn create_at<'a>(env: &'a TestEnv, starts_at: &str, end: [&str; 2]) -> support::Run<'a> {
    env.run([
        "campaign",
        "create",
        "--id",
        "edge",
        "--name",
        "Edge",
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--min-cart",
        "0",
        "--starts-at",
        starts_at,
        end[0],
        end[1],
    ])
}

#[test]
fn a_leap_second_is_refused_and_writes_nothing() {
    let env = TestEnv::without_store();
    for (start, end) in [
        ("2030-06-30T23:59:60Z", ["--duration", "1h"]),
        ("now", ["--ends-at", "2030-12-31T23:59:60Z"]),
    ] {
        let flag = if start == "now" {
            "--ends-at"
        } else {
            "--starts-at"
        };
        create_at(&env, start, end)
            .code(2)
            .stderr(format!(
                "error: invalid {flag}: is a leap second (:60): give :59 or the next minute's :00\n"
            ))
            .check();
    }
    assert!(
        env.store_bytes().is_empty(),
        "a refused create writes nothing"
    );
}

#[test]
fn every_printed_instant_is_rfc3339_up_to_year_9999() {
    let env = TestEnv::new();
    create_at(&env, "9999-12-31T23:00:00Z", ["--duration", "2h"])
        .code(2)
        .stderr(
            "error: invalid ends at: must be from year 0000 to 9999 (RFC 3339 writes no other \
             year)\n",
        )
        .check();
    create_at(&env, "now", ["--ends-at", "+10000-01-01T00:00:00Z"])
        .code(2)
        .run();
    let created = create_at(&env, "now", ["--ends-at", "9999-12-31T23:59:59Z"]).json();
    assert_eq!(created["ends_at"], "9999-12-31T23:59:59.000Z");
    let status = env.run(["campaign", "status", "edge"]).json();
    for field in ["starts_at", "ends_at"] {
        let text = status[field].as_str().unwrap();
        assert!(
            DateTime::parse_from_rfc3339(text).is_ok(),
            "{field}: {text}"
        );
        assert_eq!(status[field], created[field]);
    }
}

// --- Item 11: keys, stdout failures, usage errors, tokens outside argv -----------------------

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

#[cfg(target_os = "linux")]
#[test]
fn a_claim_whose_output_cannot_be_written_says_it_was_made() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    for output in ["table", "json"] {
        let user = format!("ana-{output}");
        let out = env
            .std_cmd([
                "--output",
                output,
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "50",
            ])
            .args(["--user", &user])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{output}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: the claim on campaign `spring` was made and is stored, but printing it \
             failed (claiming again with the same user safely replays it): No space left on \
             device (os error 28)\n",
            "{output}"
        );
        // It was made: claiming again replays it.
        let replay = env.claim("spring", &user, "50").json();
        assert_eq!(replay["outcome"], "replayed", "{replay}");
    }
}

/// With stdout closed, Rust's runtime points it at `/dev/null` and every answer vanishes: a
/// claim is refused before the store is touched, on stderr, in both output modes.
#[cfg(target_os = "linux")]
#[test]
fn a_claim_with_stdout_closed_is_refused_and_claims_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    for output in ["table", "json"] {
        let inner = env.std_cmd(["--output", output, "claim", "--campaign", "spring"]);
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "exec \"$@\" >&-", "sh"])
            .arg(inner.get_program())
            .args(inner.get_args())
            .args(["--user", "ana", "--cart", "50"]);
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let out = cmd.stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{output}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: stdout is closed, so the claim's answer could not be delivered: nothing \
             was claimed\n"
        );
    }
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(status["claimed"], 0, "{status}");
    // A shell's `>/dev/null` is a choice, not a closed stdout: the claim is made.
    let out = env
        .std_cmd([
            "claim",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--cart",
            "50",
        ])
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/null")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_missing_subcommand_in_json_mode_is_one_line() {
    let env = TestEnv::new();
    for (args, message) in [
        (
            vec!["campaign"],
            "`flashsale campaign` needs a subcommand: one of create, status, list, end, pause, \
             resume, extend",
        ),
        (
            vec!["jwt"],
            "`flashsale jwt` needs a subcommand: one of mint",
        ),
        (
            vec!["inventory"],
            "`flashsale inventory` needs a subcommand: one of show, add, remove, expire, \
             reconcile",
        ),
        (
            vec![],
            "`flashsale` needs a subcommand: one of campaign, claim, inventory, events, \
             simulate, completions, man, jwt, serve, doctor",
        ),
    ] {
        let document = json!({"error": {"kind": "invalid_input", "message": message}});
        // `--output json` before the subcommand (where clap renders the help) and after it.
        let expected = format!("{}\n", serde_json::to_string_pretty(&document).unwrap());
        let mut first = vec!["--output", "json"];
        first.extend(&args);
        env.run(first).code(2).stdout(expected).check();
        assert_eq!(env.run(args).code(2).json(), document);
    }
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
