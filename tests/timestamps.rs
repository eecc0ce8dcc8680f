//! Time edges: a leap second is refused, and every printed instant is RFC 3339 up to the
//! year 9999.

use crate::support;

use chrono::DateTime;
use support::TestEnv;

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
