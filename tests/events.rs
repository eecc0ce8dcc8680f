//! The audit log. Every operator action that changes a campaign, its inventory or a
//! claim appends one event with who did it; a refused action appends none; `events` reads
//! the log, filtered, and `--follow` prints new events until SIGTERM or Ctrl-C (exit 130).
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Signal, TestEnv};

/// The log as `events` prints it in JSON mode: one document per line.
fn events(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let mut command = vec!["-o", "json", "events"];
    command.extend(args);
    env.run(&command)
        .run()
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn actions(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|event| event["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_operator_action_appends_one_event_with_its_actor() {
    let env = TestEnv::new();
    env.run([
        "campaign",
        "create",
        "--id",
        "spring",
        "--name",
        "Spring",
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
    ])
    .env("FLASHSALE_ACTOR", "ops-ana")
    .json();
    env.claim("spring", "bo", "30").json();
    let by = |args: &[&str]| {
        env.run(args).env("FLASHSALE_ACTOR", "ops-ana").json();
    };
    by(&["inventory", "add", "spring", "2"]);
    by(&["inventory", "remove", "spring", "1", "--yes"]);
    by(&["campaign", "pause", "spring"]);
    by(&["campaign", "resume", "spring"]);
    by(&["campaign", "extend", "spring", "--duration", "10m"]);
    by(&[
        "claim",
        "void",
        "--campaign",
        "spring",
        "--user",
        "bo",
        "--reason",
        "fraud",
        "--yes",
    ]);
    by(&["campaign", "end", "spring", "--yes"]);
    let log = events(&env, &[]);
    let operator: Vec<&Value> = log
        .iter()
        .filter(|event| event["actor"] == "ops-ana")
        .collect();
    assert_eq!(operator.len(), 8, "{log:#?}");
    assert_eq!(
        actions(&log),
        [
            "campaign.created",
            "inventory.added",
            "inventory.removed",
            "campaign.paused",
            "campaign.resumed",
            "campaign.extended",
            "claim.voided",
            "campaign.ended",
        ]
    );
    // Sequence numbers increase, times are RFC 3339 UTC, every event names its campaign.
    for pair in log.windows(2) {
        assert!(
            pair[0]["seq"].as_u64() < pair[1]["seq"].as_u64(),
            "{pair:?}"
        );
    }
    for event in &log {
        assert_eq!(event["campaign_id"], "spring");
        assert!(event["at"].as_str().unwrap().ends_with('Z'), "{event}");
        assert!(event["details"].is_object(), "{event}");
    }
    // --campaign and --since filter; an unknown campaign is an error (tests/lifecycle.rs).
    env.create_campaign("autumn", 1);
    assert_eq!(events(&env, &["--campaign", "spring"]).len(), log.len());
    let last = log.last().unwrap()["at"].as_str().unwrap().to_owned();
    let since = events(&env, &["--since", &last]);
    assert!(
        since.len() >= 2 && since.len() < log.len() + 1,
        "{since:#?}"
    );
}

#[test]
fn the_actor_is_the_os_user_without_flashsale_actor() {
    let env = TestEnv::new();
    env.create_campaign("spring", 1);
    let user = whoami::username().unwrap();
    let log = events(&env, &[]);
    assert_eq!(log[0]["actor"], user.as_str(), "{log:#?}");
}

#[test]
fn a_refused_action_appends_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 1);
    env.claim("spring", "ana", "30").json();
    let before = events(&env, &[]);
    env.run(["inventory", "remove", "spring", "1", "--yes"])
        .code(9)
        .json();
    env.run([
        "campaign",
        "extend",
        "spring",
        "--ends-at",
        "2000-01-01T00:00:00Z",
    ])
    .code(9)
    .json();
    env.run([
        "claim",
        "void",
        "--campaign",
        "spring",
        "--user",
        "zed",
        "--yes",
    ])
    .code(3)
    .json();
    assert_eq!(events(&env, &[]), before);
}

#[test]
fn events_in_table_mode_are_one_line_each() {
    let env = TestEnv::new();
    env.run([
        "campaign",
        "create",
        "--id",
        "spring",
        "--name",
        "Spring",
        "--inventory",
        "1",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
    ])
    .env("FLASHSALE_ACTOR", "ops")
    .json();
    let out = env.run(["events"]).run().stdout;
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("  ops  spring  "), "{out}");
}

/// `--follow` prints what is there, then each new event as it is written, and stops on
/// SIGTERM with exit 130 and one `interrupted` document.
#[test]
fn follow_prints_new_events_until_sigterm() {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    let mut child = env
        .std_cmd(["-o", "json", "events", "--follow"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["campaign_id"], "spring");
    env.run(["campaign", "pause", "spring"]).json();
    let second: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(second["seq"].as_u64() > first["seq"].as_u64(), "{second}");
    assert_eq!(second["campaign_id"], "spring");
    // The handler is installed once the command runs; the signal ends it cleanly.
    let rest = std::thread::spawn(move || lines.map(Result::unwrap).collect::<Vec<_>>());
    let out = Signal::Term.interrupt(child);
    assert_eq!(out.status.code(), Some(130));
    // Nothing more was written: what follows is the one `interrupted` document, on one line
    // like every other line of the stream.
    let rest = rest.join().unwrap();
    assert_eq!(rest.len(), 1, "{rest:?}");
    let last: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(last["error"]["kind"], "interrupted");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
}

/// `--follow` on a store file that is deleted or replaced while it runs stops by itself with
/// `store_unavailable` (exit 1) and a message that says so, rather than following a log that
/// no longer grows.
#[test]
fn follow_stops_when_the_store_file_is_deleted_or_replaced() {
    for replaced in [false, true] {
        let env = TestEnv::new();
        env.create_campaign("spring", 3);
        let child = env
            .std_cmd(["-o", "json", "events", "--follow"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut child = child;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        assert_eq!(first["campaign_id"], "spring");
        let file = env.sqlite_file().unwrap();
        if replaced {
            let copy = file.with_extension("copy");
            std::fs::copy(&file, &copy).unwrap();
            std::fs::rename(&copy, &file).unwrap();
        } else {
            std::fs::remove_file(&file).unwrap();
        }
        // The command ends by itself; a watchdog stops it by its pid if it does not.
        let (done, waited) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if waited
                .recv_timeout(std::time::Duration::from_secs(20))
                .is_err()
            {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        });
        let rest: Vec<String> = lines.map(Result::unwrap).collect();
        let out = child.wait_with_output().unwrap();
        let _ = done.send(());
        watchdog.join().unwrap();
        assert_eq!(out.status.code(), Some(1), "replaced: {replaced}, {rest:?}");
        assert_eq!(rest.len(), 1, "{rest:?}");
        let last: Value = serde_json::from_str(&rest[0]).unwrap();
        assert_eq!(last["error"]["kind"], "store_unavailable", "{last}");
        let what = if replaced {
            "replaced by another file"
        } else {
            "deleted"
        };
        let message = last["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "the store file was {what} after this process opened it"
            )),
            "{message}"
        );
    }
}
