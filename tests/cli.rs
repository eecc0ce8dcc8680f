//! Black-box tests of the `flashsale` binary: every command, every refusal and its exit code,
//! and proof that refused or invalid requests leave the store unchanged (I6).

use crate::support;

use serde_json::Value;
use support::TestEnv;

#[test]
fn campaign_create_prints_the_contract_json() {
    let env = TestEnv::new();
    let (code, c) = env.json([
        "campaign",
        "create",
        "--id",
        "spring",
        "--name",
        "Spring sale",
        "--inventory",
        "500",
        "--percent-off",
        "12.5",
        "--max-discount",
        "20",
        "--min-cart",
        "50.5",
        "--currency",
        "usd",
        "--starts-at",
        "2030-01-01T10:00:00+01:00",
        "--ends-at",
        "2030-01-01T12:00:00Z",
    ]);
    assert_eq!(code, 0, "{c}");
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "id",
        "name",
        "state",
        "starts_at",
        "ends_at",
        "total_inventory",
        "claimed",
        "remaining",
        "percent_off",
        "max_discount_cents",
        "min_cart_cents",
        "currency",
        "created_at",
    ];
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(c["id"], "spring");
    assert_eq!(c["state"], "scheduled");
    assert_eq!(c["starts_at"], "2030-01-01T09:00:00.000Z");
    assert_eq!(c["ends_at"], "2030-01-01T12:00:00.000Z");
    assert_eq!(c["total_inventory"], 500);
    assert_eq!(c["claimed"], 0);
    assert_eq!(c["remaining"], 500);
    assert_eq!(c["percent_off"], 12.5);
    assert_eq!(c["max_discount_cents"], 2000);
    assert_eq!(c["min_cart_cents"], 5050);
    assert_eq!(c["currency"], "USD");
}

#[test]
fn campaign_create_derives_an_id_and_defaults() {
    let env = TestEnv::new();
    let (code, c) = env.json([
        "campaign",
        "create",
        "--name",
        "Black Friday!",
        "--inventory",
        "3",
        "--percent-off",
        "15",
        "--max-discount",
        "9.99",
        "--duration",
        "30m",
    ]);
    assert_eq!(code, 0, "{c}");
    let id = c["id"].as_str().unwrap();
    assert!(
        id.starts_with("black-friday-") && id.len() > "black-friday-".len(),
        "{id}"
    );
    assert_eq!(c["state"], "live");
    assert_eq!(c["percent_off"], 15);
    assert_eq!(c["min_cart_cents"], 0);
    assert_eq!(c["currency"], "EUR");
    let starts = chrono::DateTime::parse_from_rfc3339(c["starts_at"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(c["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends - starts, chrono::TimeDelta::minutes(30));
}

#[test]
fn campaign_create_refuses_invalid_fields_and_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("taken", 1);
    let before = env.store_bytes();
    let base = [
        "campaign",
        "create",
        "--name",
        "X",
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
    ];
    let (long_name, long_id) = ("n".repeat(201), "a".repeat(65));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--name", ""], "invalid name: must not be empty"),
        (
            vec!["--name", &long_name],
            "invalid name: must be at most 200 characters",
        ),
        (vec!["--inventory", "0"], "invalid inventory"),
        (vec!["--inventory", "-3"], "invalid inventory"),
        (vec!["--percent-off", "0"], "invalid percent off"),
        (vec!["--percent-off", "100.5"], "invalid percent off"),
        (
            vec!["--max-discount", "0"],
            "invalid max discount: must be more than 0",
        ),
        (vec!["--min-cart", "-1"], "invalid min cart"),
        (
            vec![
                "--starts-at",
                "2030-01-01T10:00:00Z",
                "--ends-at",
                "2030-01-01T09:00:00Z",
            ],
            "invalid ends at: must be after the start",
        ),
        (
            vec![
                "--starts-at",
                "2020-01-01T10:00:00Z",
                "--ends-at",
                "2020-01-02T09:00:00Z",
            ],
            "invalid ends at: is in the past",
        ),
        (vec!["--id", "Not A Slug"], "invalid campaign id"),
        (vec!["--id", &long_id], "invalid campaign id"),
        (vec!["--id", "taken"], "campaign `taken` already exists"),
        (vec!["--currency", "EURO"], "invalid currency"),
        (vec!["--duration", "soon"], "invalid --duration"),
        (vec!["--starts-at", "tomorrow"], "invalid --starts-at"),
    ];
    for (overrides, message) in cases {
        let mut args: Vec<&str> = base.to_vec();
        // A later flag would be a clap duplicate: drop the base value the case overrides.
        for flag in overrides.iter().filter(|a| a.starts_with("--")) {
            if let Some(i) = args.iter().position(|a| a == flag) {
                args.drain(i..i + 2);
            }
            if *flag == "--ends-at"
                && let Some(i) = args.iter().position(|a| *a == "--duration")
            {
                args.drain(i..i + 2);
            }
        }
        args.extend(overrides.iter().copied());
        let (code, json) = env.json(&args);
        assert_eq!(code, 2, "{args:?}: {json}");
        assert_eq!(json["error"]["kind"], "invalid_input", "{args:?}");
        let got = json["error"]["message"].as_str().unwrap();
        assert!(got.contains(message), "{args:?}: {got}");
        assert_eq!(env.store_bytes(), before, "{args:?} changed the store");
    }
}

#[test]
fn campaign_create_without_a_terminal_reports_missing_fields() {
    let env = TestEnv::new();
    env.cmd(["campaign", "create", "--name", "X"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: missing --inventory, --percent-off, --max-discount, --ends-at or --duration (no terminal to ask on)\n");
    assert!(
        env.store_bytes().is_empty(),
        "an invalid command created the store"
    );
}

#[test]
fn campaign_status_list_and_end() {
    let env = TestEnv::new();
    env.create_campaign("a", 2);
    env.create_campaign("b", 3);
    let (code, list) = env.json(["campaign", "list"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);

    let (code, status) = env.json(["campaign", "status", "b"]);
    assert_eq!(
        (code, &status["state"], &status["total_inventory"]),
        (0, &Value::from("live"), &Value::from(3))
    );

    let (code, ended) = env.json(["campaign", "end", "b"]);
    assert_eq!((code, &ended["state"]), (0, &Value::from("ended")));
    let (code, again) = env.json(["campaign", "end", "b"]);
    assert_eq!(
        (code, &again["state"]),
        (0, &Value::from("ended")),
        "ending twice is harmless"
    );
    let (code, err) = env.claim("b", "ana", "50");
    assert_eq!((code, &err["error"]["kind"]), (5, &Value::from("not_live")));
}

#[test]
fn table_output_is_for_people() {
    let env = TestEnv::new();
    env.cmd(["campaign", "list"])
        .assert()
        .success()
        .stdout("no campaigns yet: create one with `flashsale campaign create`\n")
        .stderr("");
    env.create_campaign("spring", 1);
    let out = env
        .cmd(["campaign", "status", "spring"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for needle in [
        "spring",
        "Campaign spring",
        "live",
        "0 claimed, 1 remaining of 1",
        "10% off, at most 5.00 EUR",
        "20.00 EUR",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn claim_then_replay_returns_the_same_claim() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let (code, first) = env.claim("spring", "ana", "64.90");
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["outcome"], "claimed");
    let claim = &first["claim"];
    assert_eq!(claim["campaign_id"], "spring");
    assert_eq!(claim["user_id"], "ana");
    assert_eq!(
        claim["discount_cents"], 500,
        "10 % of 64.90 is 6.49, capped at 5.00"
    );
    assert_eq!(claim["cart_cents"], 6490);
    let token = claim["token"].as_str().unwrap();
    assert!(token.len() >= 22, "{token}");

    // A retry with another cart, even below the minimum, replays the first claim unchanged.
    let (code, replay) = env.claim("spring", "ana", "1");
    assert_eq!(code, 0, "{replay}");
    assert_eq!(replay["outcome"], "replayed");
    assert_eq!(replay["claim"], first["claim"]);
    let (_, inventory) = env.json(["inventory", "show", "spring"]);
    assert_eq!(
        inventory,
        serde_json::json!({"campaign_id": "spring", "total": 5, "claimed": 1, "remaining": 4})
    );
}

#[test]
fn replay_survives_sell_out_and_end() {
    let env = TestEnv::new();
    env.create_campaign("one", 1);
    let (_, first) = env.claim("one", "ana", "30");
    let (code, sold_out) = env.claim("one", "bo", "30");
    assert_eq!(
        (code, &sold_out["error"]["kind"]),
        (4, &Value::from("sold_out"))
    );
    assert_eq!(env.claim("one", "ana", "30").1["claim"], first["claim"]);
    env.json(["campaign", "end", "one"]);
    let (code, replay) = env.claim("one", "ana", "99");
    assert_eq!((code, &replay["outcome"]), (0, &Value::from("replayed")));
    assert_eq!(replay["claim"], first["claim"]);
}

#[test]
fn every_refusal_has_its_exit_code_and_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("one", 1);
    env.json([
        "campaign",
        "create",
        "--id",
        "later",
        "--name",
        "Later",
        "--inventory",
        "1",
        "--percent-off",
        "10",
        "--max-discount",
        "1",
        "--starts-at",
        "2099-01-01T00:00:00Z",
        "--duration",
        "1h",
    ]);
    env.create_campaign("stopped", 1);
    env.json(["campaign", "end", "stopped"]);
    env.claim("one", "ana", "30");
    let before = env.store_bytes();
    let before_state = env.store_state();
    let cases = [
        (
            ["claim", "--campaign", "one", "--user", "bo", "--cart", "30"],
            4,
            "sold_out",
            "campaign `one` is sold out",
        ),
        (
            [
                "claim",
                "--campaign",
                "later",
                "--user",
                "bo",
                "--cart",
                "30",
            ],
            5,
            "not_live",
            "campaign `later` is not live: it is scheduled",
        ),
        (
            [
                "claim",
                "--campaign",
                "stopped",
                "--user",
                "bo",
                "--cart",
                "30",
            ],
            5,
            "not_live",
            "campaign `stopped` is not live: it is ended",
        ),
        (
            [
                "claim",
                "--campaign",
                "nope",
                "--user",
                "bo",
                "--cart",
                "30",
            ],
            3,
            "not_found",
            "campaign `nope` not found",
        ),
        (
            [
                "claim",
                "--campaign",
                "one",
                "--user",
                "bo",
                "--cart",
                "12.345",
            ],
            2,
            "invalid_input",
            "invalid cart: `12.345` has more than 2 decimal places",
        ),
        (
            ["claim", "--campaign", "one", "--user", "", "--cart", "30"],
            2,
            "invalid_input",
            "invalid user id: must not be empty",
        ),
        (
            ["claim", "--campaign", "BAD", "--user", "bo", "--cart", "30"],
            2,
            "invalid_input",
            "invalid campaign id",
        ),
    ];
    for (args, code, kind, message) in cases {
        let (got, json) = env.json(args);
        assert_eq!(got, code, "{args:?}: {json}");
        assert_eq!(
            json,
            serde_json::json!({"error": {"kind": kind, "message": json["error"]["message"]}})
        );
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(message),
            "{json}"
        );
        // Table mode: nothing on stdout, one line on stderr, same code.
        let out = env.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(code));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!("error: {message}")) && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
    assert_eq!(env.store_state(), before_state);
    assert_eq!(
        env.store_bytes(),
        before,
        "a refusal changed the store's bytes"
    );
}

#[test]
fn cart_below_minimum_is_not_eligible() {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    let (code, json) = env.claim("spring", "ana", "19.99");
    assert_eq!(code, 6);
    assert_eq!(json["error"]["kind"], "not_eligible");
    assert_eq!(
        json["error"]["message"],
        "cart 19.99 is below the minimum of 20.00 for campaign `spring`"
    );
    let (code, ok) = env.claim("spring", "ana", "20");
    assert_eq!(
        (code, &ok["claim"]["discount_cents"]),
        (0, &Value::from(200)),
        "exactly the minimum is eligible"
    );
}

#[test]
fn inventory_show_add_and_reconcile() {
    let env = TestEnv::new();
    env.create_campaign("spring", 1);
    env.claim("spring", "ana", "30");
    assert_eq!(env.claim("spring", "bo", "30").0, 4);
    let (code, added) = env.json(["inventory", "add", "spring", "2"]);
    assert_eq!(code, 0);
    assert_eq!(
        added,
        serde_json::json!({"campaign_id": "spring", "total": 3, "claimed": 1, "remaining": 2})
    );
    assert_eq!(
        env.claim("spring", "bo", "30").0,
        0,
        "the restock is claimable"
    );
    let (code, report) = env.json(["inventory", "reconcile", "spring"]);
    assert_eq!(code, 0);
    assert_eq!(
        report,
        serde_json::json!({"campaign_id": "spring", "total": 3, "claimed": 2, "remaining": 1, "expected_remaining": 1, "drift": 0, "applied": false})
    );
    let (code, applied) = env.json(["inventory", "reconcile", "spring", "--apply"]);
    assert_eq!(
        (code, &applied["drift"], &applied["applied"]),
        (0, &Value::from(0), &Value::from(true))
    );

    let before = env.store_bytes();
    for (args, code) in [
        (vec!["inventory", "add", "spring", "0"], 2),
        (vec!["inventory", "add", "spring", "-1"], 2),
        (vec!["inventory", "add", "spring", "x"], 2),
        (vec!["inventory", "add", "spring", "1000000000"], 2),
        (vec!["inventory", "add", "nope", "1"], 3),
        (vec!["inventory", "show", "nope"], 3),
        (vec!["inventory", "reconcile", "nope"], 3),
    ] {
        let (got, json) = env.json(&args);
        assert_eq!(got, code, "{args:?}: {json}");
    }
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn usage_errors_exit_2_with_one_json_document() {
    let env = TestEnv::new();
    let (code, json) = env.json(["claim", "--campaign", "x"]);
    assert_eq!(code, 2);
    assert_eq!(json["error"]["kind"], "invalid_input");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--user"),
        "{json}"
    );
    env.cmd(["frobnicate"]).assert().code(2).stdout("");
    let (code, json) = env.json(["--store", "postgres://x", "campaign", "list"]);
    assert_eq!(
        (code, &json["error"]["kind"]),
        (2, &Value::from("invalid_input"))
    );
}

#[test]
fn help_lists_exit_codes_and_version_works() {
    let env = TestEnv::new();
    let out = env
        .cmd(["--help"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for needle in [
        "campaign",
        "claim",
        "inventory",
        "completions",
        "Exit codes:",
        "4  sold out",
        "8  invariant violation",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
    env.cmd(["--version"])
        .assert()
        .success()
        .stdout(format!("flashsale {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn default_store_lives_in_the_data_dir() {
    let env = TestEnv::new();
    env.cmd(["campaign", "list", "--output", "json"])
        .env_remove("FLASHSALE_STORE")
        .assert()
        .success()
        .stdout("[]\n");
    assert!(
        env.path()
            .join("xdg")
            .join("flashsale")
            .join("flashsale.db")
            .exists()
    );
}

#[test]
fn output_can_come_from_the_environment() {
    let env = TestEnv::new();
    env.cmd(["campaign", "list"])
        .env("FLASHSALE_OUTPUT", "json")
        .assert()
        .success()
        .stdout("[]\n")
        .stderr("");
}

/// The operator's whole day through the binary, on any store: the same story runs on SQLite
/// always and on MongoDB when `FLASHSALE_TEST_MONGODB_URI` is set (CI runs it on FerretDB).
fn operator_story(env: &TestEnv) {
    let created = env.create_campaign("story", 2);
    assert_eq!(
        (&created["state"], &created["remaining"]),
        (&Value::from("live"), &Value::from(2))
    );
    let (code, dup) = env.json([
        "campaign",
        "create",
        "--id",
        "story",
        "--name",
        "Again",
        "--inventory",
        "1",
        "--percent-off",
        "5",
        "--max-discount",
        "1",
        "--duration",
        "1h",
    ]);
    assert_eq!(
        (code, &dup["error"]["kind"]),
        (2, &Value::from("invalid_input")),
        "{dup}"
    );

    let (code, ana) = env.claim("story", "ana", "64.90");
    assert_eq!(
        (code, &ana["outcome"], &ana["claim"]["discount_cents"]),
        (0, &Value::from("claimed"), &Value::from(500))
    );
    let (code, again) = env.claim("story", "ana", "10");
    assert_eq!((code, &again["outcome"]), (0, &Value::from("replayed")));
    assert_eq!(again["claim"], ana["claim"]);
    assert_eq!(env.claim("story", "bo", "19.99").0, 6, "below the minimum");
    assert_eq!(env.claim("story", "bo", "20").0, 0);
    let (code, sold) = env.claim("story", "cy", "50");
    assert_eq!(
        (code, &sold["error"]["kind"]),
        (4, &Value::from("sold_out"))
    );
    assert_eq!(env.claim("nope", "cy", "50").0, 3);

    let (_, status) = env.json(["campaign", "status", "story"]);
    assert_eq!(
        (&status["state"], &status["claimed"], &status["remaining"]),
        (&Value::from("sold_out"), &Value::from(2), &Value::from(0))
    );
    let (code, added) = env.json(["inventory", "add", "story", "1"]);
    assert_eq!(
        (code, added),
        (
            0,
            serde_json::json!({"campaign_id": "story", "total": 3, "claimed": 2, "remaining": 1})
        )
    );
    assert_eq!(
        env.claim("story", "cy", "50").0,
        0,
        "the restock is claimable"
    );
    let (code, report) = env.json(["inventory", "reconcile", "story", "--apply"]);
    assert_eq!(
        (code, &report["drift"], &report["expected_remaining"]),
        (0, &Value::from(0), &Value::from(0)),
        "{report}"
    );
    let (code, shown) = env.json(["inventory", "show", "story"]);
    assert_eq!(
        (code, shown),
        (
            0,
            serde_json::json!({"campaign_id": "story", "total": 3, "claimed": 3, "remaining": 0})
        )
    );

    let (_, ended) = env.json(["campaign", "end", "story"]);
    assert_eq!(ended["state"], "ended");
    assert_eq!(env.claim("story", "dee", "50").0, 5, "ended");
    assert_eq!(
        env.claim("story", "ana", "50").1["claim"],
        ana["claim"],
        "replay after the end"
    );
    let (_, list) = env.json(["campaign", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[test]
fn operator_story_on_sqlite() {
    operator_story(&TestEnv::new());
}

#[test]
fn operator_story_on_mongodb() {
    if let Some(env) = TestEnv::mongo("operator_story") {
        operator_story(&env);
    }
}
