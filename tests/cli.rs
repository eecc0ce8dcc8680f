//! Black-box tests of the `flashsale` binary: every command, every refusal and its exit code,
//! and proof that refused or invalid requests leave the store unchanged (I6).

use crate::support;

use std::fmt::Write as _;

use serde_json::{Value, json};
use support::{TestEnv, normalise, normalise_local};

#[test]
fn campaign_create_prints_the_contract_json() {
    let env = TestEnv::new();
    let c = env
        .run([
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
        ])
        .json();
    let created_at = c["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );
    assert_eq!(
        c,
        json!({
            "id": "spring",
            "name": "Spring sale",
            "state": "scheduled",
            "starts_at": "2030-01-01T09:00:00.000Z",
            "ends_at": "2030-01-01T12:00:00.000Z",
            "total_inventory": 500,
            "claimed": 0,
            "remaining": 500,
            "percent_off": 12.5,
            "max_discount_cents": 2000,
            "min_cart_cents": 5050,
            "currency": "USD",
            "created_at": created_at,
            "paused": false,
            "ended_at": null,
            "hold_seconds": null,
            "changed": true,
        })
    );
}

#[test]
fn campaign_create_derives_an_id_and_defaults() {
    let env = TestEnv::new();
    let c = env
        .run([
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
        ])
        .json();
    let id = c["id"].as_str().unwrap();
    let suffix = id.strip_prefix("black-friday-").unwrap_or_default();
    assert!(
        !suffix.is_empty()
            && suffix
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()),
        "{id}"
    );
    let starts = chrono::DateTime::parse_from_rfc3339(c["starts_at"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(c["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends - starts, chrono::TimeDelta::minutes(30));
    assert_eq!(
        c,
        json!({
            "id": id,
            "name": "Black Friday!",
            "state": "live",
            "starts_at": c["starts_at"],
            "ends_at": c["ends_at"],
            "total_inventory": 3,
            "claimed": 0,
            "remaining": 3,
            "percent_off": 15,
            "max_discount_cents": 999,
            "min_cart_cents": 0,
            "currency": "EUR",
            "created_at": c["created_at"],
            "paused": false,
            "ended_at": null,
            "hold_seconds": null,
            "changed": true,
        })
    );
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
    let slug_rule = "must be 1 to 64 characters of a-z, 0-9 and -";
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--name", ""], "invalid name: must not be empty".into()),
        (
            vec!["--name", &long_name],
            "invalid name: must be at most 200 characters".into(),
        ),
        (
            vec!["--inventory", "0"],
            "invalid inventory: must be from 1 to 1000000000".into(),
        ),
        (
            vec!["--inventory", "-3"],
            "invalid inventory: must be from 1 to 1000000000".into(),
        ),
        (
            vec!["--percent-off", "0"],
            "invalid percent off: `0` must be more than 0 and at most 100".into(),
        ),
        (
            vec!["--percent-off", "100.5"],
            "invalid percent off: `100.5` must be more than 0 and at most 100".into(),
        ),
        (
            vec!["--max-discount", "0"],
            "invalid max discount: must be more than 0".into(),
        ),
        (
            vec!["--min-cart", "-1"],
            "invalid min cart: `-1` must not be negative".into(),
        ),
        (
            vec![
                "--starts-at",
                "2030-01-01T10:00:00Z",
                "--ends-at",
                "2030-01-01T09:00:00Z",
            ],
            "invalid ends at: must be after the start".into(),
        ),
        (
            vec![
                "--starts-at",
                "2020-01-01T10:00:00Z",
                "--ends-at",
                "2020-01-02T09:00:00Z",
            ],
            "invalid ends at: is in the past".into(),
        ),
        (
            vec!["--id", "Not A Slug"],
            format!("invalid campaign id: `Not A Slug` {slug_rule}"),
        ),
        (
            vec!["--id", &long_id],
            format!("invalid campaign id: `{}…` {slug_rule}", "a".repeat(40)),
        ),
        (
            vec!["--currency", "EURO"],
            "invalid currency: `EURO` must be a 3-letter code like EUR".into(),
        ),
        (
            vec!["--duration", "soon"],
            "invalid --duration: `soon` is not a duration like 30m, 2h or 1h30m".into(),
        ),
        (
            vec!["--starts-at", "tomorrow"],
            "invalid --starts-at: `tomorrow` is not an RFC 3339 time like 2026-12-01T09:00:00Z, or `now`".into(),
        ),
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
        let got = env.run(&args).code(2).json();
        assert_eq!(
            got,
            json!({"error": {"kind": "invalid_input", "message": message}}),
            "{args:?}"
        );
        env.run(&args)
            .code(2)
            .stderr(format!("error: {message}\n"))
            .check();
        assert_eq!(env.store_bytes(), before, "{args:?} changed the store");
    }
}

#[test]
fn campaign_create_without_a_terminal_reports_missing_fields() {
    let env = TestEnv::without_store();
    // Answers piped in are not a person at a terminal: nothing is asked or read.
    env.run(["campaign", "create", "--name", "X"])
        .stdin("5\n10\n5\n1h\n")
        .code(2)
        .stderr("error: missing --inventory, --percent-off, --max-discount, --ends-at or --duration (no terminal to ask on)\n")
        .check();
    assert!(
        env.store_bytes().is_empty(),
        "an invalid command created the store"
    );
}

/// The whole JSON of a campaign made by [`TestEnv::create_campaign`], with its times taken
/// from `got` once they are checked to be timestamps.
/// `doc`, the answer to an operator's action, with whether the action changed anything.
fn changed(mut doc: Value, changed: bool) -> Value {
    doc["changed"] = changed.into();
    doc
}

fn campaign_doc(got: &Value, id: &str, state: &str, total: u32, claimed: u32) -> Value {
    let ended = (state == "ended").then_some("ended_at");
    for field in ["starts_at", "ends_at", "created_at"]
        .into_iter()
        .chain(ended)
    {
        let time = got[field].as_str().unwrap_or_default();
        assert_eq!(
            normalise(time, &[]),
            "YYYY-MM-DDTHH:MM:SS.mmmZ",
            "{field}: {got}"
        );
    }
    json!({
        "id": id,
        "name": format!("Campaign {id}"),
        "state": state,
        "starts_at": got["starts_at"],
        "ends_at": got["ends_at"],
        "total_inventory": total,
        "claimed": claimed,
        "remaining": total - claimed,
        "percent_off": 10,
        "max_discount_cents": 500,
        "min_cart_cents": 2000,
        "currency": "EUR",
        "created_at": got["created_at"],
        "paused": false,
        // Set by `campaign end` (its time checked above with the others), null before.
        "ended_at": if state == "ended" { got["ended_at"].clone() } else { Value::Null },
        "hold_seconds": null,
    })
}

/// The table `campaign status` and `campaign end` print for a campaign of
/// [`TestEnv::create_campaign`], times normalised.
fn campaign_table(id: &str, state: &str, claimed: u32, total: u32) -> String {
    // Made an hour long, and ended (by `campaign end`) just now if not live.
    let ends = if state == "live" {
        "(ends in 59m)"
    } else {
        "(ended <1m ago), by an operator"
    };
    let rows = [
        ("id", id.to_owned()),
        ("name", format!("Campaign {id}")),
        ("state", state.to_owned()),
        (
            "starts",
            "YYYY-MM-DD hh:mm +00:00 (started <1m ago)".to_owned(),
        ),
        ("ends", format!("YYYY-MM-DD hh:mm +00:00 {ends}")),
        (
            "inventory",
            format!(
                "{claimed} claimed, {} remaining of {total}",
                total - claimed
            ),
        ),
        ("discount", "10% off, at most 5.00 EUR".to_owned()),
        ("minimum cart", "20.00 EUR".to_owned()),
        ("created", "YYYY-MM-DD hh:mm +00:00 (<1m ago)".to_owned()),
    ];
    key_value_table(&rows)
}

/// A two-column table as the binary prints it into a pipe: a key column and a value column,
/// two spaces apart, no header, no borders.
fn key_value_table(rows: &[(&str, String)]) -> String {
    let key = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut table = String::new();
    for (k, v) in rows {
        writeln!(table, "{k:<key$}  {v}").expect("write to a String");
    }
    table
}

#[test]
fn campaign_status_list_and_end() {
    let env = TestEnv::new();
    env.create_campaign("a", 2);
    env.create_campaign("b", 3);
    let list = env.run(["campaign", "list"]).json();
    assert_eq!(
        list,
        json!([
            campaign_doc(&list[0], "a", "live", 2, 0),
            campaign_doc(&list[1], "b", "live", 3, 0)
        ])
    );
    let table = env.run(["campaign", "list"]).run();
    assert_eq!(
        (table.stdout.as_str(), table.stderr.as_str()),
        (
            "\
id  name        state  left  off  ends
a   Campaign a  live   2/2   10%  in 59m
b   Campaign b  live   3/3   10%  in 59m
",
            ""
        )
    );

    let status = env.run(["campaign", "status", "b"]).json();
    assert_eq!(status, campaign_doc(&status, "b", "live", 3, 0));

    let ended = env.run(["campaign", "end", "b", "--yes"]).json();
    assert_eq!(
        ended,
        changed(campaign_doc(&ended, "b", "ended", 3, 0), true)
    );
    let again = env.run(["campaign", "end", "b", "--yes"]).run();
    assert_eq!(
        (normalise_local(&again.stdout, &[]), again.stderr),
        (
            format!(
                "{}\nunchanged: it was already so; nothing was written\n",
                campaign_table("b", "ended", 0, 3)
            ),
            String::new()
        ),
        "ending twice is harmless"
    );
    let again = env.run(["campaign", "end", "b", "--yes"]).json();
    assert_eq!(
        again,
        changed(campaign_doc(&again, "b", "ended", 3, 0), false)
    );
    let err = env.claim("b", "ana", "50").code(5).json();
    assert_eq!(
        err,
        json!({"error": {"kind": "not_live", "message": "campaign `b` is not live: it is ended"}})
    );
}

#[test]
fn table_output_is_for_people() {
    let env = TestEnv::new();
    env.run(["campaign", "list"])
        .stdout("no campaigns yet: create one with `flashsale campaign create`\n")
        .check();
    env.create_campaign("spring", 1);
    let out = env.run(["campaign", "status", "spring"]).run();
    assert_eq!(
        (normalise_local(&out.stdout, &[]), out.stderr),
        (campaign_table("spring", "live", 0, 1), String::new())
    );
}

/// The table a claim prints, its token and time normalised.
fn claim_table(outcome: &str, campaign: &str, user: &str, discount: &str, cart: &str) -> String {
    key_value_table(&[
        ("outcome", outcome.to_owned()),
        ("campaign", campaign.to_owned()),
        ("user", user.to_owned()),
        // The table pads the replaced token to its width: 32 characters.
        ("token", format!("{:32}", "<token>")),
        ("discount", discount.to_owned()),
        ("cart", cart.to_owned()),
        ("claimed", "YYYY-MM-DD hh:mm +00:00 (<1m ago)".to_owned()),
    ])
}

/// The JSON of a claim, with the token and time taken from `got` once checked.
fn claim_doc(
    got: &Value,
    outcome: &str,
    campaign: &str,
    user: &str,
    discount: u32,
    cart: u32,
) -> Value {
    let claim = &got["claim"];
    let token = claim["token"].as_str().unwrap_or_default();
    assert!(
        token.len() == 32
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a time prefix and 144 random bits, URL-safe: {got}"
    );
    assert_eq!(
        normalise(claim["claimed_at"].as_str().unwrap_or_default(), &[]),
        "YYYY-MM-DDTHH:MM:SS.mmmZ",
        "{got}"
    );
    json!({
        "outcome": outcome,
        "claim": {
            "campaign_id": campaign,
            "user_id": user,
            "token": token,
            "discount_cents": discount,
            "cart_cents": cart,
            "claimed_at": claim["claimed_at"],
            "status": "claimed",
            "currency": "EUR",
            "expires_at": null,
        }
    })
}

#[test]
fn claim_then_replay_returns_the_same_claim() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let first = env.claim("spring", "ana", "64.90").json();
    // 10 % of 64.90 is 6.49, capped at 5.00.
    assert_eq!(
        first,
        claim_doc(&first, "claimed", "spring", "ana", 500, 6490)
    );

    // A retry with another cart, even below the minimum, replays the first claim unchanged.
    let replay = env.claim("spring", "ana", "1").json();
    assert_eq!(replay["outcome"], "replayed");
    assert_eq!(replay["claim"], first["claim"]);
    let token = first["claim"]["token"].as_str().unwrap();
    let table = env.claim("spring", "ana", "1").run();
    assert_eq!(
        (
            normalise_local(&table.stdout, &[(token, "<token>")]),
            table.stderr
        ),
        (
            claim_table(
                "replayed (the user already held this claim; nothing was consumed)",
                "spring",
                "ana",
                "5.00 EUR",
                "64.90 EUR"
            ),
            String::new()
        )
    );
    let inventory = env.run(["inventory", "show", "spring"]).json();
    assert_eq!(
        inventory,
        json!({"campaign_id": "spring", "total": 5, "claimed": 1, "remaining": 4})
    );
    let table = env.run(["inventory", "show", "spring"]).run();
    assert_eq!(
        (table.stdout, table.stderr),
        (
            key_value_table(&[
                ("campaign", "spring".into()),
                ("total", "5".into()),
                ("claimed", "1".into()),
                ("remaining", "4".into()),
            ]),
            String::new()
        )
    );
}

#[test]
fn a_claim_prints_its_table() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let out = env.claim("spring", "bo", "30").run();
    let token = env.claim("spring", "bo", "30").json()["claim"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        (
            normalise_local(&out.stdout, &[(&token, "<token>")]),
            out.stderr
        ),
        (
            claim_table("claimed", "spring", "bo", "3.00 EUR", "30.00 EUR"),
            String::new()
        )
    );
}

#[test]
fn replay_survives_sell_out_and_end() {
    let env = TestEnv::new();
    env.create_campaign("one", 1);
    let first = env.claim("one", "ana", "30").json();
    let sold_out = env.claim("one", "bo", "30").code(4).json();
    assert_eq!(
        sold_out,
        json!({"error": {"kind": "sold_out", "message": "campaign `one` is sold out"}})
    );
    assert_eq!(
        env.claim("one", "ana", "30").json()["claim"],
        first["claim"]
    );
    env.run(["campaign", "end", "one", "--yes"]).json();
    let replay = env.claim("one", "ana", "99").json();
    assert_eq!(
        replay,
        json!({"outcome": "replayed", "claim": first["claim"]})
    );
}

#[test]
fn every_refusal_has_its_exit_code_and_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("one", 1);
    env.run([
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
    ])
    .json();
    env.create_campaign("stopped", 1);
    env.run(["campaign", "end", "stopped", "--yes"]).json();
    env.claim("one", "ana", "30").json();
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
            "invalid cart: `12.345` has more than 2 decimal places, as EUR has",
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
            "invalid campaign id: `BAD` must be 1 to 64 characters of a-z, 0-9 and -",
        ),
    ];
    for (args, code, kind, message) in cases {
        let json = env.run(args).code(code).json();
        assert_eq!(
            json,
            json!({"error": {"kind": kind, "message": message}}),
            "{args:?}"
        );
        // Table mode: nothing on stdout, one line on stderr, same code.
        env.run(args)
            .code(code)
            .stderr(format!("error: {message}\n"))
            .check();
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
    let json = env.claim("spring", "ana", "19.99").code(6).json();
    assert_eq!(
        json,
        json!({"error": {
            "kind": "not_eligible",
            "message": "cart 19.99 is below the minimum of 20.00 for campaign `spring`"
        }})
    );
    let ok = env.claim("spring", "ana", "20").json();
    assert_eq!(
        ok,
        claim_doc(&ok, "claimed", "spring", "ana", 200, 2000),
        "exactly the minimum is eligible"
    );
}

/// The table `inventory reconcile` prints.
fn reconcile_table(total: u32, claims: u32, remaining: u32, expected: u32, result: &str) -> String {
    key_value_table(&[
        ("campaign", "spring".into()),
        ("total", total.to_string()),
        ("claims", claims.to_string()),
        ("remaining", remaining.to_string()),
        ("expected remaining", expected.to_string()),
        ("result", result.into()),
    ])
}

#[test]
fn inventory_show_add_and_reconcile() {
    let env = TestEnv::new();
    env.create_campaign("spring", 1);
    env.claim("spring", "ana", "30").json();
    env.claim("spring", "bo", "30").code(4).json();
    let added = env.run(["inventory", "add", "spring", "2"]).json();
    assert_eq!(
        added,
        json!({"campaign_id": "spring", "total": 3, "claimed": 1, "remaining": 2, "changed": true})
    );
    env.claim("spring", "bo", "30").json(); // the restock is claimable
    let report = env.run(["inventory", "reconcile", "spring"]).json();
    assert_eq!(
        report,
        json!({"campaign_id": "spring", "total": 3, "claimed": 2, "remaining": 1, "expected_remaining": 1, "drift": 0, "applied": false})
    );
    env.run(["inventory", "reconcile", "spring"])
        .stdout(reconcile_table(3, 2, 1, 1, "no drift"))
        .check();
    let applied = env
        .run(["inventory", "reconcile", "spring", "--apply", "--yes"])
        .json();
    assert_eq!(
        applied,
        json!({"campaign_id": "spring", "total": 3, "claimed": 2, "remaining": 1, "expected_remaining": 1, "drift": 0, "applied": true})
    );
    env.run(["inventory", "add", "spring", "1"])
        .stdout(key_value_table(&[
            ("campaign", "spring".into()),
            ("total", "4".into()),
            ("claimed", "2".into()),
            ("remaining", "2".into()),
        ]))
        .check();

    let before = env.store_bytes();
    for (args, code, message) in [
        (
            vec!["inventory", "add", "spring", "0"],
            2,
            "invalid units: must be from 1 to 1000000000",
        ),
        (
            vec!["inventory", "add", "spring", "-1"],
            2,
            "invalid units: must be from 1 to 1000000000",
        ),
        (
            vec!["inventory", "add", "spring", "x"],
            2,
            "invalid units: `x` is not a whole number",
        ),
        (
            vec!["inventory", "add", "spring", "1000000000"],
            2,
            "campaign `spring` would exceed the inventory limit of 1000000000",
        ),
        (
            vec!["inventory", "add", "nope", "1"],
            3,
            "campaign `nope` not found",
        ),
        (
            vec!["inventory", "show", "nope"],
            3,
            "campaign `nope` not found",
        ),
        (
            vec!["inventory", "reconcile", "nope"],
            3,
            "campaign `nope` not found",
        ),
    ] {
        let kind = if code == 2 {
            "invalid_input"
        } else {
            "not_found"
        };
        let json = env.run(&args).code(code).json();
        assert_eq!(
            json,
            json!({"error": {"kind": kind, "message": message}}),
            "{args:?}"
        );
        env.run(&args)
            .code(code)
            .stderr(format!("error: {message}\n"))
            .check();
    }
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn usage_errors_exit_2_with_one_json_document() {
    let env = TestEnv::without_store();
    let json = env.run(["claim", "--campaign", "x"]).code(2).json();
    assert_eq!(
        json,
        json!({"error": {
            "kind": "invalid_input",
            "message": "the following required arguments were not provided: --cart <MONEY> <--user <ID>|--jwt <TOKEN>>"
        }})
    );
    env.run(["frobnicate"])
        .code(2)
        .stderr(
            "error: unrecognized subcommand 'frobnicate'\n\n\
             Usage: flashsale [OPTIONS] <COMMAND>\n\n\
             For more information, try '--help'.\n",
        )
        .check();
    let json = env
        .run(["--store", "postgres://x", "campaign", "list"])
        .code(2)
        .json();
    assert_eq!(
        json,
        json!({"error": {
            "kind": "invalid_input",
            "message": "invalid store URL: `postgres://x` is not a store URL; use `sqlite:PATH` (`~/` expands) or `mongodb://HOST/DB`"
        }})
    );
    assert!(
        env.store_bytes().is_empty(),
        "a usage error created the store"
    );
}

/// The help's exit-code list is rendered from the error table and checked whole by the README
/// test; here only that the help reaches the operator and names the commands.
#[test]
fn help_lists_exit_codes_and_version_works() {
    let env = TestEnv::new();
    let help = env.run(["--help"]).stderr("").run().stdout;
    for needle in [
        "campaign",
        "claim",
        "inventory",
        "completions",
        "Exit codes:",
        "4  sold out",
        "8  invariant violation",
        "9  conflict (state forbids it)",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    env.run(["--version"])
        .stdout(format!("flashsale {}\n", env!("CARGO_PKG_VERSION")))
        .check();
}

#[test]
fn default_store_lives_in_the_data_dir() {
    let env = TestEnv::without_store();
    let default = env
        .path()
        .join("xdg")
        .join("flashsale")
        .join("flashsale.db");
    // Reading never creates the store: the default one is named and left absent.
    let refused = env
        .run(["campaign", "list"])
        .env_remove("FLASHSALE_STORE")
        .code(3)
        .json();
    assert_eq!(
        refused,
        json!({"error": {"kind": "not_found", "message": format!(
            "opening store sqlite:{0}: there is no store at `{0}`: its folder `{1}` does not \
             exist: check `--store` (or FLASHSALE_STORE); for a new store at this path, create \
             its folder first",
            default.display(),
            default.parent().unwrap().display()
        )}})
    );
    assert!(!default.exists());
    env.run([
        "campaign",
        "create",
        "--name",
        "x",
        "--inventory",
        "1",
        "--percent-off",
        "10",
        "--max-discount",
        "1",
        "--duration",
        "1h",
        "--output",
        "json",
    ])
    .env_remove("FLASHSALE_STORE")
    .stderr(format!(
        "created a new store at sqlite:{}\n",
        default.display()
    ))
    .run();
    assert!(default.exists());
}

#[test]
fn output_can_come_from_the_environment() {
    let env = TestEnv::new();
    env.run(["campaign", "list"])
        .env("FLASHSALE_OUTPUT", "json")
        .stdout("[]\n")
        .check();
}

/// The operator's whole day through the binary, on any store: the same story runs on SQLite
/// and on MongoDB (CI runs it on FerretDB).
fn operator_story(env: &TestEnv) {
    let created = env.create_campaign("story", 2);
    assert_eq!(
        created,
        changed(campaign_doc(&created, "story", "live", 2, 0), true)
    );
    let dup = env
        .run([
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
        ])
        .code(9)
        .json();
    let message = dup["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "campaign `story` already exists with other terms (name Campaign story, not Again, "
        ) && message.ends_with("); nothing was written: choose another `--id`"),
        "{dup}"
    );
    assert_eq!(dup["error"]["kind"], "conflict");

    let ana = env.claim("story", "ana", "64.90").json();
    assert_eq!(ana, claim_doc(&ana, "claimed", "story", "ana", 500, 6490));
    let again = env.claim("story", "ana", "10").json();
    assert_eq!(again, json!({"outcome": "replayed", "claim": ana["claim"]}));
    // Below the minimum.
    env.claim("story", "bo", "19.99").code(6).json();
    let bo = env.claim("story", "bo", "20").json();
    assert_eq!(bo, claim_doc(&bo, "claimed", "story", "bo", 200, 2000));
    let sold = env.claim("story", "cy", "50").code(4).json();
    assert_eq!(
        sold,
        json!({"error": {"kind": "sold_out", "message": "campaign `story` is sold out"}})
    );
    env.claim("nope", "cy", "50").code(3).json();

    let status = env.run(["campaign", "status", "story"]).json();
    assert_eq!(status, campaign_doc(&status, "story", "sold_out", 2, 2));
    let added = env.run(["inventory", "add", "story", "1"]).json();
    assert_eq!(
        added,
        json!({"campaign_id": "story", "total": 3, "claimed": 2, "remaining": 1, "changed": true})
    );
    env.claim("story", "cy", "50").json(); // the restock is claimable
    let report = env
        .run(["inventory", "reconcile", "story", "--apply", "--yes"])
        .json();
    assert_eq!(
        report,
        json!({"campaign_id": "story", "total": 3, "claimed": 3, "remaining": 0, "expected_remaining": 0, "drift": 0, "applied": true})
    );
    let shown = env.run(["inventory", "show", "story"]).json();
    assert_eq!(
        shown,
        json!({"campaign_id": "story", "total": 3, "claimed": 3, "remaining": 0})
    );

    let ended = env.run(["campaign", "end", "story", "--yes"]).json();
    assert_eq!(
        ended,
        changed(campaign_doc(&ended, "story", "ended", 3, 3), true)
    );
    env.claim("story", "dee", "50").code(5).json();
    let replay = env.claim("story", "ana", "50").json();
    assert_eq!(replay["claim"], ana["claim"], "replay after the end");
    let list = env.run(["campaign", "list"]).json();
    assert_eq!(
        list,
        json!([campaign_doc(&list[0], "story", "ended", 3, 3)])
    );
}

#[test]
fn operator_story_on_sqlite() {
    operator_story(&TestEnv::new());
}

#[test]
#[cfg_attr(
    no_mongodb,
    ignore = "needs FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
)]
fn operator_story_on_mongodb() {
    operator_story(&TestEnv::mongo("operator_story"));
}
