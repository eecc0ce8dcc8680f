//! Hostile input. Every command and flag given empty, huge, non-UTF-8, control-character,
//! negative, overflowing, malformed-date and wrong-type values, and store URLs that are
//! malformed or unreachable: each gets a short message, the documented exit code, no panic,
//! and leaves the store byte-for-byte unchanged.

use crate::support;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

type Snapshot = std::collections::BTreeMap<std::path::PathBuf, (usize, u64)>;
use support::TestEnv;

const SECRET: &str = "hostile-secret-0123456789abcdef-0123456789";

/// A value an attacker or a broken script might send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hostile {
    Empty,
    Huge,
    NonUtf8,
    Control,
    Negative,
    I64Max,
    TenToThe30,
    MalformedDate,
    WrongType,
}

use Hostile::{
    Control, Empty, Huge, I64Max, MalformedDate, Negative, NonUtf8, TenToThe30, WrongType,
};

const ALL: [Hostile; 9] = [
    Empty,
    Huge,
    NonUtf8,
    Control,
    Negative,
    I64Max,
    TenToThe30,
    MalformedDate,
    WrongType,
];

impl Hostile {
    fn value(self) -> OsString {
        match self {
            Empty => OsString::new(),
            // Digits, so a parser cannot reject it early for its first character.
            // Linux refuses any single argument over 128 KiB (E2BIG), so this is as huge as a command
            // line gets; the parsers see 1 MB inputs in tests/fuzz_parsers.rs.
            Huge => OsString::from("9".repeat(100_000)),
            NonUtf8 => OsString::from_vec(vec![b'a', 0xff, 0xfe, b'b']),
            Control => OsString::from("ab\u{7}\u{1b}[31m\ncd"),
            Negative => OsString::from("-5"),
            I64Max => OsString::from(i64::MAX.to_string()),
            TenToThe30 => OsString::from(format!("1{}", "0".repeat(30))),
            MalformedDate => OsString::from("2026-13-45T25:61:00Z"),
            WrongType => OsString::from("twelve"),
        }
    }
}

/// An environment with a live campaign `spring` that already holds one claim, so "unchanged"
/// covers campaigns and claims alike.
fn populated() -> TestEnv {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    env.claim("spring", "ana", "50").json();
    // A read closes the store cleanly, which checkpoints SQLite's WAL into the main file: the
    // baseline is then the at-rest layout, and a later read-only open changes no byte.
    env.store_state();
    env
}

/// Runs `args` in JSON and in table mode and checks the refusal contract for each: one JSON
/// document with a short one-line message, and in table mode that same message as the only
/// line on stderr (clap's usage errors add their usage paragraphs for a person).
fn assert_refused(env: &TestEnv, args: &[OsString], code: i32, kind: &str) {
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().chars().take(40).collect())
        .collect();
    let before = env.store_bytes();

    let json = env
        .run(args)
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .code(code)
        .json();
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        json,
        serde_json::json!({"error": {"kind": kind, "message": message}}),
        "{shown:?}"
    );
    assert!(
        !message.is_empty() && !message.contains('\n'),
        "{shown:?}: message {message:?}"
    );
    assert!(
        message.len() < 400,
        "{shown:?}: {}-byte message",
        message.len()
    );

    let table = env
        .run(args)
        .env("FLASHSALE_JWT_SECRET", SECRET)
        .code(code)
        .stdout("")
        .run();
    let ours = format!("error: {message}\n");
    if table.stderr != ours {
        // clap's usage error: the same message (clap wraps it), then usage lines, then the hint.
        let paragraphs: Vec<&str> = table.stderr.split("\n\n").collect();
        let first = paragraphs[0]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(first, ours.trim_end(), "{shown:?}: {:?}", table.stderr);
        assert_eq!(
            paragraphs.last(),
            Some(&"For more information, try '--help'.\n"),
            "{shown:?}: {:?}",
            table.stderr
        );
        for middle in &paragraphs[1..paragraphs.len() - 1] {
            assert!(
                middle.starts_with("Usage: flashsale ") || middle.starts_with("  tip: "),
                "{shown:?}: {:?}",
                table.stderr
            );
        }
    }

    assert_unchanged(&before, &env.store_bytes(), &shown);
}

/// Names the file that changed, rather than printing kilobytes of bytes.
fn assert_unchanged(before: &Snapshot, after: &Snapshot, what: &[String]) {
    for (path, old) in before {
        assert_eq!(
            after.get(path),
            Some(old),
            "{what:?}: {} changed (length, hash)",
            path.display()
        );
    }
    assert_eq!(
        before.len(),
        after.len(),
        "{what:?}: the store's files changed"
    );
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `template` with the `{}` argument replaced by `value`.
fn with(template: &[&str], value: &OsString) -> Vec<OsString> {
    template
        .iter()
        .map(|a| {
            if *a == "{}" {
                value.clone()
            } else {
                OsString::from(a)
            }
        })
        .collect()
}

const CREATE: [&str; 16] = [
    "campaign",
    "create",
    "--name",
    "N",
    "--inventory",
    "5",
    "--percent-off",
    "10",
    "--max-discount",
    "5",
    "--min-cart",
    "0",
    "--currency",
    "EUR",
    "--duration",
    "1h",
];

/// `campaign create` with `flag` set to `value` (appended or replacing the default).
fn create_with(flag: &str, value: &OsString) -> Vec<OsString> {
    let mut args: Vec<OsString> = os(&CREATE);
    if let Some(i) = args.iter().position(|a| a == flag) {
        args[i + 1].clone_from(value);
    } else {
        args.push(flag.into());
        args.push(value.clone());
    }
    args
}

#[test]
fn campaign_create_refuses_every_hostile_field_value() {
    let env = populated();
    let cases: &[(&str, &[Hostile])] = &[
        ("--name", &[Empty, Huge, NonUtf8, Control]),
        ("--inventory", &ALL),
        ("--percent-off", &ALL),
        (
            "--max-discount",
            &[
                Empty,
                Huge,
                NonUtf8,
                Control,
                Negative,
                TenToThe30,
                MalformedDate,
                WrongType,
            ],
        ),
        (
            "--min-cart",
            &[
                Empty,
                Huge,
                NonUtf8,
                Control,
                Negative,
                TenToThe30,
                MalformedDate,
                WrongType,
            ],
        ),
        (
            "--currency",
            &[
                Empty,
                Huge,
                NonUtf8,
                Control,
                Negative,
                I64Max,
                TenToThe30,
                MalformedDate,
            ],
        ),
        (
            "--id",
            // "twelve", "-5" and digits are valid slugs.
            &[Empty, Huge, NonUtf8, Control, MalformedDate],
        ),
        ("--starts-at", &ALL),
        ("--ends-at", &ALL),
        ("--duration", &ALL),
    ];
    for (flag, values) in cases {
        for value in *values {
            let mut args = create_with(flag, &value.value());
            if *flag == "--ends-at" {
                // --ends-at and --duration conflict; drop the duration.
                let i = args.iter().position(|a| a == "--duration").unwrap();
                args.drain(i..i + 2);
            }
            assert_refused(&env, &args, 2, "invalid_input");
        }
    }
}

#[test]
fn campaign_create_refuses_rule_breaking_values() {
    let env = populated();
    for (flag, value) in [
        ("--inventory", "0"),
        ("--percent-off", "0"),
        ("--percent-off", "100.01"),
        ("--max-discount", "0"),
        ("--max-discount", "1.234"),
        ("--max-discount", "92233720368547758.08"),
        ("--id", "UPPER"),
        ("--ends-at", "2000-01-01T00:00:00Z"),
        ("--duration", "367d"),
        ("--starts-at", "+262143-12-31T23:59:59Z"),
    ] {
        let mut args = create_with(flag, &OsString::from(value));
        if flag == "--ends-at" {
            let i = args.iter().position(|a| a == "--duration").unwrap();
            args.drain(i..i + 2);
        }
        assert_refused(&env, &args, 2, "invalid_input");
    }
}

/// A taken id can only be found in the store, so the store is opened: its content must not
/// change (the byte-level check does not apply, as `SQLite` may leave an empty WAL file behind).
#[test]
fn a_duplicate_campaign_id_changes_nothing() {
    let env = populated();
    let before = env.store_state();
    let json = env
        .run(create_with("--id", &OsString::from("spring")))
        .code(9)
        .json();
    assert_eq!(json["error"]["kind"], "conflict", "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("campaign `spring` already exists with other terms (")
            && message.ends_with("; nothing was written: choose another `--id`"),
        "{message}"
    );
    assert_eq!(env.store_state(), before);
}

#[test]
fn campaign_ids_are_refused_everywhere_they_are_taken() {
    let env = populated();
    let templates: [&[&str]; 16] = [
        &["campaign", "status", "{}"],
        &["campaign", "end", "{}", "--yes"],
        &["campaign", "pause", "{}"],
        &["campaign", "resume", "{}"],
        &["campaign", "extend", "{}", "--duration", "1h"],
        &["inventory", "show", "{}"],
        &["inventory", "add", "{}", "1"],
        &["inventory", "remove", "{}", "1", "--yes"],
        &["inventory", "expire", "{}"],
        &["inventory", "reconcile", "{}", "--apply", "--yes"],
        &["claim", "--campaign", "{}", "--user", "bo", "--cart", "50"],
        &["claim", "show", "--campaign", "{}", "--user", "bo"],
        &["claim", "void", "--campaign", "{}", "--user", "bo", "--yes"],
        &[
            "claim",
            "redeem",
            "--campaign",
            "{}",
            "--token",
            "t",
            "--order",
            "o",
            "--cart",
            "50",
        ],
        &["claim", "export", "--campaign", "{}", "--format", "csv"],
        &["events", "--campaign", "{}"],
    ];
    for template in templates {
        for value in [
            Empty.value(),
            Huge.value(),
            NonUtf8.value(),
            Control.value(),
            MalformedDate.value(),
            OsString::from("NOT-A-SLUG"),
        ] {
            assert_refused(&env, &with(template, &value), 2, "invalid_input");
        }
    }
}

/// Every value the lifecycle commands take, hostile, is refused before the store
/// is opened.
#[test]
fn lifecycle_commands_refuse_hostile_values() {
    let env = populated();
    let redeem = |order: &str, cart: &str| {
        vec![
            "claim",
            "redeem",
            "--campaign",
            "spring",
            "--token",
            "t",
            "--order",
            order,
            "--cart",
            cart,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let cases: Vec<(Vec<String>, Vec<Hostile>)> = vec![
        (redeem("{}", "50"), vec![Empty, Huge, NonUtf8, Control]),
        (
            redeem("o-1", "{}"),
            vec![
                Empty,
                Huge,
                NonUtf8,
                Control,
                Negative,
                TenToThe30,
                MalformedDate,
                WrongType,
            ],
        ),
        (
            ["claim", "show", "--campaign", "spring", "--user", "{}"]
                .map(str::to_owned)
                .to_vec(),
            vec![Empty, Huge, NonUtf8, Control],
        ),
        (
            ["campaign", "extend", "spring", "--duration", "{}"]
                .map(str::to_owned)
                .to_vec(),
            ALL.to_vec(),
        ),
        (
            ["campaign", "extend", "spring", "--ends-at", "{}"]
                .map(str::to_owned)
                .to_vec(),
            ALL.to_vec(),
        ),
        (
            ["inventory", "remove", "spring", "{}", "--yes"]
                .map(str::to_owned)
                .to_vec(),
            ALL.to_vec(),
        ),
        (
            ["events", "--since", "{}"].map(str::to_owned).to_vec(),
            ALL.to_vec(),
        ),
    ];
    for (template, values) in cases {
        let template: Vec<&str> = template.iter().map(String::as_str).collect();
        for value in values {
            assert_refused(&env, &with(&template, &value.value()), 2, "invalid_input");
        }
    }
    for value in ALL {
        assert_refused(
            &env,
            &create_with("--hold", &value.value()),
            2,
            "invalid_input",
        );
    }
    // A hostile actor names no one: refused before anything is written.
    for value in [Empty, Huge, Control] {
        let args = os(&["campaign", "pause", "spring"]);
        let before = env.store_bytes();
        let json = env
            .run(&args)
            .env("FLASHSALE_ACTOR", value.value())
            .code(2)
            .json();
        assert_eq!(json["error"]["kind"], "invalid_input", "{value:?}: {json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("invalid FLASHSALE_ACTOR: "),
            "{json}"
        );
        assert_unchanged(&before, &env.store_bytes(), &[format!("{value:?}")]);
    }
}

#[test]
fn claim_refuses_hostile_users_and_carts() {
    let env = populated();
    for value in [Empty, Huge, NonUtf8, Control] {
        assert_refused(
            &env,
            &with(
                &[
                    "claim",
                    "--campaign",
                    "spring",
                    "--user",
                    "{}",
                    "--cart",
                    "50",
                ],
                &value.value(),
            ),
            2,
            "invalid_input",
        );
    }
    for value in [
        Empty,
        Huge,
        NonUtf8,
        Control,
        Negative,
        TenToThe30,
        MalformedDate,
        WrongType,
    ] {
        assert_refused(
            &env,
            &with(
                &[
                    "claim",
                    "--campaign",
                    "spring",
                    "--user",
                    "bo",
                    "--cart",
                    "{}",
                ],
                &value.value(),
            ),
            2,
            "invalid_input",
        );
    }
    assert_refused(
        &env,
        &os(&[
            "claim",
            "--campaign",
            "spring",
            "--user",
            "bo",
            "--cart",
            "1.234",
        ]),
        2,
        "invalid_input",
    );
}

#[test]
fn claim_refuses_hostile_tokens_as_unauthenticated() {
    let env = populated();
    for value in [
        Empty,
        Huge,
        Control,
        I64Max,
        TenToThe30,
        MalformedDate,
        WrongType,
    ] {
        assert_refused(
            &env,
            &with(
                &[
                    "claim",
                    "--campaign",
                    "spring",
                    "--jwt",
                    "{}",
                    "--cart",
                    "50",
                ],
                &value.value(),
            ),
            7,
            "unauthenticated",
        );
    }
    // Not even text, or taken for a flag (no JWT starts with `-`): usage errors before any
    // verification.
    for value in [NonUtf8, Negative] {
        let args = with(
            &[
                "claim",
                "--campaign",
                "spring",
                "--jwt",
                "{}",
                "--cart",
                "50",
            ],
            &value.value(),
        );
        assert_refused(&env, &args, 2, "invalid_input");
    }
}

#[test]
fn inventory_add_refuses_hostile_unit_counts() {
    let env = populated();
    for value in ALL {
        assert_refused(
            &env,
            &with(&["inventory", "add", "spring", "{}"], &value.value()),
            2,
            "invalid_input",
        );
    }
    assert_refused(
        &env,
        &os(&["inventory", "add", "spring", "0"]),
        2,
        "invalid_input",
    );
    assert_refused(
        &env,
        &os(&["inventory", "add", "spring", "12.5"]),
        2,
        "invalid_input",
    );
}

#[test]
fn global_flags_and_other_commands_refuse_hostile_values() {
    let env = populated();
    for value in ALL {
        assert_refused(
            &env,
            &with(&["campaign", "list", "--output", "{}"], &value.value()),
            2,
            "invalid_input",
        );
        assert_refused(
            &env,
            &with(&["completions", "{}"], &value.value()),
            2,
            "invalid_input",
        );
        assert_refused(
            &env,
            &with(
                &["jwt", "mint", "--user", "ana", "--ttl", "{}"],
                &value.value(),
            ),
            2,
            "invalid_input",
        );
    }
    for value in [Empty, Huge, NonUtf8, Control] {
        assert_refused(
            &env,
            &with(&["jwt", "mint", "--user", "{}"], &value.value()),
            2,
            "invalid_input",
        );
    }
    assert_refused(
        &env,
        &os(&["jwt", "mint", "--user", "ana", "--ttl", "25h"]),
        2,
        "invalid_input",
    );
    assert_refused(&env, &os(&["campaign", "frobnicate"]), 2, "invalid_input");
    assert_refused(
        &env,
        &os(&[
            "claim",
            "--campaign",
            "spring",
            "--user",
            "bo",
            "--cart",
            "50",
            "--bogus",
        ]),
        2,
        "invalid_input",
    );
}

#[test]
fn malformed_store_urls_are_usage_errors() {
    let env = populated();
    for value in [
        Empty.value(),
        Huge.value(),
        NonUtf8.value(),
        Control.value(),
        "postgres://db/x".into(),
        "sqlite:".into(),
        "mongodb://".into(),
        "mongodb:///db".into(),
        "/tmp/x.db".into(),
    ] {
        assert_refused(
            &env,
            &with(&["--store", "{}", "campaign", "list"], &value),
            2,
            "invalid_input",
        );
        assert_refused(
            &env,
            &with(
                &[
                    "--store",
                    "{}",
                    "claim",
                    "--campaign",
                    "spring",
                    "--user",
                    "bo",
                    "--cart",
                    "50",
                ],
                &value,
            ),
            2,
            "invalid_input",
        );
    }
}

#[test]
fn unreachable_sqlite_stores_are_store_unavailable() {
    let env = populated();
    let file = env.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    // A folder that does not exist is not found (exit 3), not unavailable.
    assert_refused(
        &env,
        &os(&["--store", "sqlite:/proc/forbidden/x.db", "campaign", "list"]),
        3,
        "not_found",
    );
    for url in [
        format!("sqlite:{}/x.db", file.display()),
        format!("sqlite:{}", env.path().display()),
    ] {
        assert_refused(
            &env,
            &os(&["--store", &url, "campaign", "list"]),
            1,
            "store_unavailable",
        );
        assert_refused(
            &env,
            &os(&[
                "--store",
                &url,
                "claim",
                "--campaign",
                "spring",
                "--user",
                "bo",
                "--cart",
                "50",
            ]),
            1,
            "store_unavailable",
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
}

/// Nothing listens on port 1: the driver's server selection gives up and nothing is written.
#[test]
fn an_unreachable_mongodb_is_store_unavailable() {
    let env = populated();
    assert_refused(
        &env,
        &os(&[
            "--store",
            "mongodb://127.0.0.1:1/fs?serverSelectionTimeoutMS=500",
            "campaign",
            "list",
        ]),
        1,
        "store_unavailable",
    );
}
