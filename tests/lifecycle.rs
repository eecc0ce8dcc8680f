//! A claim's whole life from the command line (look up, redeem, void, expire), the
//! campaign's (pause, resume, extend, end) and the inventory's (remove, expire), with every
//! hostile case refused with its exit code and message, writing nothing.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use serde_json::{Value, json};

use crate::support::TestEnv;

/// Everything a refused command could have changed: the campaign, its inventory, every claim
/// (as an export) and the audit log.
fn state(env: &TestEnv, campaign: &str) -> (Value, Value, String, String) {
    let status = env.run(["campaign", "status", campaign]).json();
    let inventory = env.run(["inventory", "show", campaign]).json();
    let claims = env
        .run([
            "claim",
            "export",
            "--campaign",
            campaign,
            "--format",
            "jsonl",
        ])
        .run()
        .stdout;
    let events = env.run(["-o", "json", "events"]).run().stdout;
    (status, inventory, claims, events)
}

/// Runs `args` in JSON mode expecting a refusal with `code` and `kind`; checks that the same
/// refusal in table mode is the message alone on stderr, and that neither wrote anything.
/// Returns the message.
fn refused(env: &TestEnv, campaign: &str, args: &[&str], code: i32, kind: &str) -> String {
    let before = state(env, campaign);
    let json = env.run(args).code(code).json();
    assert_eq!(json["error"]["kind"], kind, "{args:?}: {json}");
    let message = json["error"]["message"].as_str().unwrap().to_owned();
    env.run(args)
        .code(code)
        .stderr(format!("error: {message}\n"))
        .check();
    assert_eq!(state(env, campaign), before, "{args:?} wrote something");
    message
}

/// A live campaign `spring` (10 % off, at most 5.00, carts from 20.00) with ana's claim on
/// a cart of 30.00; returns ana's token.
fn spring_with_ana(env: &TestEnv) -> String {
    env.create_campaign("spring", 5);
    let claimed = env.claim("spring", "ana", "30").json();
    claimed["claim"]["token"].as_str().unwrap().to_owned()
}

fn redeem<'a>(env: &'a TestEnv, token: &str, order: &str, cart: &str) -> crate::support::Run<'a> {
    env.run([
        "claim",
        "redeem",
        "--campaign",
        "spring",
        "--token",
        token,
        "--order",
        order,
        "--cart",
        cart,
    ])
}

#[test]
fn claim_show_finds_a_claim_by_user_or_token_and_never_writes() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    let before = state(&env, "spring");
    let by_user = env
        .run(["claim", "show", "--campaign", "spring", "--user", "ana"])
        .json();
    let by_token = env
        .run(["claim", "show", "--campaign", "spring", "--token", &token])
        .json();
    assert_eq!(by_user, by_token);
    assert_eq!(by_user["token"], token.as_str());
    assert_eq!(by_user["status"], "claimed");
    assert_eq!(by_user["expires_at"], Value::Null);
    assert_eq!(by_user["currency"], "EUR");
    assert_eq!(by_user["discount_cents"], 300);
    assert_eq!(by_user["cart_cents"], 3000);
    assert!(by_user.get("order_id").is_none(), "{by_user}");
    assert_eq!(state(&env, "spring"), before);
}

#[test]
fn claim_show_of_nobodys_claim_is_not_found() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    let message = refused(
        &env,
        "spring",
        &["claim", "show", "--campaign", "spring", "--user", "bo"],
        3,
        "not_found",
    );
    assert_eq!(message, "campaign `spring` has no claim for user `bo`");
}

#[test]
fn redeem_reprices_on_the_checkout_cart_and_a_retry_with_the_same_order_replays() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    let redeemed = redeem(&env, &token, "order-1042", "80").json();
    assert_eq!(redeemed["outcome"], "redeemed");
    let claim = &redeemed["claim"];
    assert_eq!(claim["status"], "redeemed");
    assert_eq!(claim["order_id"], "order-1042");
    assert_eq!(claim["redeemed_cart_cents"], 8000);
    // 10 % of 80.00 is 8.00, capped at 5.00; the claim's own discount stays as granted.
    assert_eq!(claim["redeemed_discount_cents"], 500);
    assert_eq!(claim["discount_cents"], 300);
    let replayed = redeem(&env, &token, "order-1042", "80").json();
    assert_eq!(replayed["outcome"], "replayed");
    assert_eq!(replayed["claim"], *claim);
    // A redeemed claim still holds its unit.
    let inventory = env.run(["inventory", "show", "spring"]).json();
    assert_eq!(inventory["remaining"], 4);
}

#[test]
fn redeem_for_a_second_order_is_a_conflict_and_writes_nothing() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    redeem(&env, &token, "order-1042", "80").json();
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "redeem",
            "--campaign",
            "spring",
            "--token",
            &token,
            "--order",
            "order-9",
            "--cart",
            "80",
        ],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        "the claim was already redeemed for another order (`order-1042`); nothing was written"
    );
}

#[test]
fn redeem_below_the_minimum_cart_is_not_eligible_and_writes_nothing() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "redeem",
            "--campaign",
            "spring",
            "--token",
            &token,
            "--order",
            "o-1",
            "--cart",
            "19.99",
        ],
        6,
        "not_eligible",
    );
    assert_eq!(
        message,
        "cart 19.99 is below the minimum of 20.00 for campaign `spring`"
    );
}

#[test]
fn unknown_forged_and_foreign_tokens_are_refused_and_write_nothing() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    env.create_campaign("autumn", 5);
    let bo = env.claim("autumn", "bo", "30").json();
    let foreign = bo["claim"]["token"].as_str().unwrap().to_owned();
    // A token shaped like a real one, and one altered by a character.
    let mut forged = token.clone();
    forged.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for bad in [
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        forged.as_str(),
        foreign.as_str(),
    ] {
        let message = refused(
            &env,
            "spring",
            &[
                "claim",
                "redeem",
                "--campaign",
                "spring",
                "--token",
                bad,
                "--order",
                "o-1",
                "--cart",
                "30",
            ],
            3,
            "not_found",
        );
        assert_eq!(
            message, "campaign `spring` has no claim with that token",
            "{bad}"
        );
        refused(
            &env,
            "spring",
            &[
                "claim",
                "void",
                "--campaign",
                "spring",
                "--token",
                bad,
                "--yes",
            ],
            3,
            "not_found",
        );
    }
}

#[test]
fn void_returns_the_unit_and_the_users_next_claim_replays_it_voided() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    let voided = env
        .run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--reason",
            "fraud",
            "--yes",
        ])
        .json();
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["token"], token.as_str());
    assert_eq!(
        env.run(["inventory", "show", "spring"]).json()["remaining"],
        5
    );
    // I9: the user's claim is final; a new claim replays it and takes no unit.
    let again = env.claim("spring", "ana", "30").json();
    assert_eq!(again["outcome"], "replayed");
    assert_eq!(again["claim"]["status"], "voided");
    assert_eq!(again["claim"]["token"], token.as_str());
    assert_eq!(
        env.run(["inventory", "show", "spring"]).json()["remaining"],
        5
    );
    // A voided token cannot be redeemed.
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "redeem",
            "--campaign",
            "spring",
            "--token",
            &token,
            "--order",
            "o-1",
            "--cart",
            "30",
        ],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        "the claim is voided and can no longer be redeemed; nothing was written"
    );
}

/// A void records when and why on the claim itself: its JSON, `claim show`, the audit
/// event and the export's last columns (a reason that looks like a formula made inert). A
/// repeat with another reason keeps the first void as it was.
#[test]
fn a_void_records_when_and_why_on_the_claim_and_in_the_export() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    env.claim("spring", "bo", "30").json();
    let void = |reason: &str| {
        env.run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--reason",
            reason,
            "--yes",
        ])
        .json()
    };
    let voided = void("=refund, order 1042");
    assert_eq!(voided["changed"], true);
    assert_eq!(voided["void_reason"], "=refund, order 1042");
    let at = voided["voided_at"].as_str().unwrap().to_owned();
    let events = env.run(["-o", "json", "events"]).run().stdout;
    let event: Value = serde_json::from_str(events.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&event["action"], &event["at"], &event["details"]["reason"]),
        (
            &json!("claim.voided"),
            &json!(at),
            &json!("=refund, order 1042")
        )
    );
    let shown = env
        .run(["claim", "show", "--campaign", "spring", "--user", "ana"])
        .json();
    assert_eq!(
        (&shown["voided_at"], &shown["void_reason"]),
        (&json!(at), &json!("=refund, order 1042"))
    );
    assert!(shown.get("expired_at").is_none(), "{shown}");
    let again = void("another reason");
    assert_eq!(again["changed"], false);
    assert_eq!(
        (&again["voided_at"], &again["void_reason"]),
        (&json!(at), &json!("=refund, order 1042"))
    );
    let csv = env
        .run(["claim", "export", "--campaign", "spring", "--format", "csv"])
        .run()
        .stdout;
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].ends_with(",voided_at,void_reason,expired_at"),
        "{csv}"
    );
    assert_eq!(
        rows[1],
        format!(
            "spring,ana,{token},voided,300,3000,EUR,{},,,,,,{at},\"'=refund, order 1042\",",
            shown["claimed_at"].as_str().unwrap()
        )
    );
    assert!(
        rows[2].starts_with("spring,bo,") && rows[2].ends_with(",,,"),
        "{csv}"
    );
}

/// A reason is one line of 1 to 200 visible characters; anything else is refused before
/// anything is written, naming the rule.
#[test]
fn a_void_with_a_bad_reason_is_refused_and_writes_nothing() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    let long = "x".repeat(201);
    for (reason, expected) in [
        (
            "",
            "invalid reason: must not be empty: leave it out for no reason",
        ),
        (
            "two\nlines",
            "invalid reason: contains U+000A, a control, format or line separator character: \
             a reason is one line of visible text",
        ),
        (
            long.as_str(),
            "invalid reason: is 201 characters long; at most 200 are kept",
        ),
        (
            " fraud",
            "invalid reason: ` fraud` starts or ends with white space",
        ),
    ] {
        let message = refused(
            &env,
            "spring",
            &[
                "claim",
                "void",
                "--campaign",
                "spring",
                "--user",
                "ana",
                "--reason",
                reason,
                "--yes",
            ],
            2,
            "invalid_input",
        );
        assert_eq!(message, expected, "{reason:?}");
    }
}

#[test]
fn void_of_a_redeemed_claim_is_a_conflict_and_writes_nothing() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    redeem(&env, &token, "order-1042", "80").json();
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "void",
            "--campaign",
            "spring",
            "--token",
            &token,
            "--yes",
        ],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        "the claim was redeemed for order `order-1042` and cannot be voided; nothing was written"
    );
}

#[test]
fn void_needs_yes_off_a_terminal_and_dry_run_changes_nothing() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    let message = refused(
        &env,
        "spring",
        &["claim", "void", "--campaign", "spring", "--user", "ana"],
        2,
        "invalid_input",
    );
    assert_eq!(
        message,
        "`claim void` changes the store and there is no terminal to confirm on: pass --yes \
         to go ahead, or --dry-run to see what would change"
    );
    let before = state(&env, "spring");
    let preview = env
        .run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--dry-run",
        ])
        .json();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["would_void"], true);
    assert_eq!(preview["claim"]["status"], "claimed");
    assert_eq!(state(&env, "spring"), before);
}

#[test]
fn a_paused_campaign_refuses_new_claims_but_replays_and_redeems() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    let paused = env.run(["campaign", "pause", "spring"]).json();
    assert_eq!(paused["state"], "paused");
    assert_eq!(paused["paused"], true);
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "--campaign",
            "spring",
            "--user",
            "bo",
            "--cart",
            "30",
        ],
        5,
        "not_live",
    );
    assert_eq!(message, "campaign `spring` is not live: it is paused");
    assert_eq!(
        env.claim("spring", "ana", "30").json()["outcome"],
        "replayed"
    );
    assert_eq!(
        redeem(&env, &token, "o-1", "30").json()["outcome"],
        "redeemed"
    );
    let resumed = env.run(["campaign", "resume", "spring"]).json();
    assert_eq!(
        (resumed["state"].clone(), resumed["paused"].clone()),
        (json!("live"), json!(false))
    );
    assert_eq!(env.claim("spring", "bo", "30").json()["outcome"], "claimed");
}

/// `paused` is a state of its own wherever a state is shown: it wins over `scheduled`,
/// `live` and `sold_out` (the operator's stop lasts until a resume), and `--state paused`
/// lists exactly the paused campaigns.
#[test]
fn paused_is_a_state_of_its_own_in_json_tables_and_lists() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    env.create_campaign("autumn", 5);
    env.run([
        "campaign",
        "create",
        "--id",
        "later",
        "--name",
        "Later",
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--starts-at",
        "2999-01-01T00:00:00Z",
        "--ends-at",
        "2999-01-02T00:00:00Z",
    ])
    .json();
    for id in ["spring", "later"] {
        let paused = env.run(["campaign", "pause", id]).json();
        assert_eq!(
            (&paused["state"], &paused["paused"]),
            (&json!("paused"), &json!(true))
        );
        let status = env.run(["campaign", "status", id]).json();
        assert_eq!(status["state"], "paused", "{status}");
    }
    let listed = env.run(["campaign", "list", "--state", "paused"]).json();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["spring", "later"], "{listed}");
    let table = env.run(["campaign", "list"]).run().stdout;
    let states: Vec<(&str, &str)> = table
        .lines()
        .skip(1)
        .map(|line| {
            let mut cells = line.split_whitespace();
            let id = cells.next().unwrap();
            (
                id,
                line.split("  ")
                    .filter(|c| !c.is_empty())
                    .nth(2)
                    .unwrap()
                    .trim(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("spring", "paused"),
            ("autumn", "live"),
            ("later", "paused")
        ],
        "{table}"
    );
    let resumed = env.run(["campaign", "resume", "later"]).json();
    assert_eq!(resumed["state"], "scheduled", "{resumed}");
}

#[test]
fn pause_of_an_ended_campaign_is_refused_and_writes_nothing() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    let ended = env.run(["campaign", "end", "spring", "--yes"]).json();
    assert!(ended["ended_at"].is_string(), "{ended}");
    let message = refused(
        &env,
        "spring",
        &["campaign", "pause", "spring"],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        "campaign `spring` has ended and cannot be paused; nothing was written"
    );
}

#[test]
fn extend_moves_the_end_later_and_never_earlier() {
    let env = TestEnv::new();
    let created = env.create_campaign("spring", 5);
    let ends_at = chrono::DateTime::parse_from_rfc3339(created["ends_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let extended = env
        .run(["campaign", "extend", "spring", "--duration", "30m"])
        .json();
    let later = ends_at + chrono::TimeDelta::minutes(30);
    assert_eq!(
        extended["ends_at"],
        later.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let earlier = (ends_at - chrono::TimeDelta::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let message = refused(
        &env,
        "spring",
        &["campaign", "extend", "spring", "--ends-at", &earlier],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        format!(
            "campaign `spring` ends at {}: an extension must end later; nothing was written",
            extended["ends_at"].as_str().unwrap()
        )
    );
}

#[test]
fn a_hold_expires_unredeemed_claims_and_returns_their_units() {
    let env = TestEnv::new();
    let created = env
        .run([
            "campaign",
            "create",
            "--id",
            "spring",
            "--name",
            "Spring",
            "--inventory",
            "3",
            "--percent-off",
            "10",
            "--max-discount",
            "5",
            "--duration",
            "1h",
            "--hold",
            "1s",
        ])
        .json();
    assert_eq!(created["hold_seconds"], 1);
    let ana = env.claim("spring", "ana", "30").json();
    let token = ana["claim"]["token"].as_str().unwrap().to_owned();
    assert!(ana["claim"]["expires_at"].is_string(), "{ana}");
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    // Past its hold a claim cannot be redeemed, even before any sweep ran.
    let message = refused(
        &env,
        "spring",
        &[
            "claim",
            "redeem",
            "--campaign",
            "spring",
            "--token",
            &token,
            "--order",
            "o-1",
            "--cart",
            "30",
        ],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        format!(
            "the claim's hold ran out at {} and it can no longer be redeemed; nothing was written",
            ana["claim"]["expires_at"].as_str().unwrap()
        )
    );
    let expired = env.run(["inventory", "expire", "spring"]).json();
    assert_eq!(expired["expired"], 1);
    assert_eq!(expired["remaining"], 3);
    // Idempotent: nothing more to expire.
    let again = env.run(["inventory", "expire", "spring"]).json();
    assert_eq!(
        (again["expired"].clone(), again["remaining"].clone()),
        (json!(0), json!(3))
    );
    let shown = env
        .run(["claim", "show", "--campaign", "spring", "--user", "ana"])
        .json();
    assert_eq!(shown["status"], "expired");
    // Expired by the sweep, after its hold ran out.
    let (swept, hold_end) = (
        shown["expired_at"].as_str().unwrap(),
        shown["expires_at"].as_str().unwrap(),
    );
    assert!(swept > hold_end, "{shown}");
    assert!(shown.get("voided_at").is_none(), "{shown}");
}

#[test]
fn inventory_remove_never_goes_below_what_claims_hold() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    let removed = env
        .run(["inventory", "remove", "spring", "2", "--yes"])
        .json();
    assert_eq!(
        (removed["total"].clone(), removed["remaining"].clone()),
        (json!(3), json!(2))
    );
    let message = refused(
        &env,
        "spring",
        &["inventory", "remove", "spring", "3", "--yes"],
        9,
        "conflict",
    );
    assert_eq!(
        message,
        "campaign `spring` cannot lose 3 units: only 2 are not held by claims; nothing was written"
    );
}

#[test]
fn claim_export_streams_csv_and_json_lines_in_a_stable_order() {
    let env = TestEnv::new();
    let token = spring_with_ana(&env);
    for user in ["bo", "cy"] {
        env.claim("spring", user, "30").json();
    }
    redeem(&env, &token, "order-1", "30").json();
    let jsonl = env
        .run([
            "claim",
            "export",
            "--campaign",
            "spring",
            "--format",
            "jsonl",
        ])
        .run()
        .stdout;
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let shown = env
        .run(["claim", "show", "--campaign", "spring", "--user", "ana"])
        .json();
    assert!(lines.contains(&shown), "{jsonl}");
    let redeemed = env
        .run([
            "claim",
            "export",
            "--campaign",
            "spring",
            "--format",
            "csv",
            "--status",
            "redeemed",
        ])
        .run()
        .stdout;
    let rows: Vec<&str> = redeemed.lines().collect();
    assert_eq!(
        rows[0],
        "campaign_id,user_id,token,status,discount_cents,cart_cents,currency,claimed_at,\
         expires_at,order_id,redeemed_at,redeemed_cart_cents,redeemed_discount_cents,\
         voided_at,void_reason,expired_at"
    );
    assert_eq!(rows.len(), 2, "{redeemed}");
    assert!(rows[1].starts_with(&format!("spring,ana,{token},redeemed,300,3000,EUR,")));
    // To a file: the same rows, and a summary on stdout.
    let out = env.path().join("claims.csv");
    let summary = env
        .run([
            "claim",
            "export",
            "--campaign",
            "spring",
            "--format",
            "csv",
            "--out",
        ])
        .arg(&out)
        .json();
    assert_eq!(summary["claims"], 3);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
    // The same export twice gives the same bytes: a stable order.
    let again = env
        .run([
            "claim",
            "export",
            "--campaign",
            "spring",
            "--format",
            "jsonl",
        ])
        .run()
        .stdout;
    assert_eq!(again, jsonl);
}

#[test]
fn commands_on_an_unknown_campaign_are_not_found_and_write_nothing() {
    let env = TestEnv::new();
    spring_with_ana(&env);
    for args in [
        vec!["campaign", "pause", "nope"],
        vec!["campaign", "resume", "nope"],
        vec!["campaign", "extend", "nope", "--duration", "1h"],
        vec!["inventory", "remove", "nope", "1", "--yes"],
        vec!["inventory", "expire", "nope"],
        vec!["claim", "show", "--campaign", "nope", "--user", "ana"],
        vec!["claim", "export", "--campaign", "nope", "--format", "csv"],
        vec!["events", "--campaign", "nope"],
    ] {
        let message = refused(&env, "spring", &args, 3, "not_found");
        assert_eq!(message, "campaign `nope` not found", "{args:?}");
    }
}
