//! `simulate --arrivals` and `--html`: an open loop at the offered rate, the run second by
//! second in the report, and the run as a self-contained page, in process and through a
//! running `serve`.

use serde_json::Value;

use crate::support::page::{assert_renders, assert_self_contained, assert_well_formed};
use crate::support::server::Server;
use crate::support::{JWT_SECRET, TestEnv};

fn n(json: &Value, field: &str) -> u64 {
    json[field]
        .as_u64()
        .unwrap_or_else(|| panic!("`{field}` is not a count: {json}"))
}

/// `simulate` with 200 single-tab users against 50 units and `flags`; its JSON report.
fn simulate(env: &TestEnv, flags: &[&str]) -> Value {
    let mut args = vec![
        "simulate",
        "--users",
        "200",
        "--inventory",
        "50",
        "--duplicate-ratio",
        "0",
        "--seed",
        "9",
    ];
    args.extend_from_slice(flags);
    let report = env.run(args).json();
    assert_eq!(report["passed"], true, "{report}");
    report
}

/// `field` of every per-second row.
fn column(report: &Value, field: &str) -> Vec<u64> {
    report["per_second"]
        .as_array()
        .expect("per_second")
        .iter()
        .map(|row| n(row, field))
        .collect()
}

#[test]
fn arrivals_follow_their_shape_second_by_second() {
    let env = TestEnv::new();
    // Shopper i of 200 arrives at 2s x F^-1(i/200): the first second holds half the uniform
    // arrivals, three quarters of a burst's and a quarter of a ramp's.
    for (shape, first_second) in [("uniform", 100), ("burst", 150), ("ramp", 50)] {
        let report = simulate(&env, &["--arrivals", &format!("{shape}:2s")]);
        let arrivals = &report["arrivals"];
        assert_eq!(arrivals["shape"], shape, "{report}");
        assert_eq!(arrivals["over_ms"], 2_000);
        assert_eq!(arrivals["offered_per_sec"], 100.0);
        let offered = column(&report, "offered");
        assert_eq!(offered[..2], [first_second, 200 - first_second], "{shape}");
        assert!(offered[2..].iter().all(|&o| o == 0), "{shape}: {offered:?}");
        assert_eq!(column(&report, "arrived").iter().sum::<u64>(), 200);
        // A shopper starts at its instant, give or take the scheduler: never a second late.
        assert!(
            arrivals["max_lag_ms"].as_f64().unwrap() < 1_000.0,
            "{report}"
        );
        assert_eq!(report["concurrency"], 100_000, "the open loop's cap");
    }
    // The last uniform shopper arrives at 1.99 s, the last of a one-second burst before 1 s.
    let uniform = simulate(&env, &["--arrivals", "uniform:2s"]);
    let burst = simulate(&env, &["--arrivals", "burst:1s"]);
    assert!(n(&uniform, "duration_ms") >= 1_990, "{uniform}");
    assert!(
        n(&burst, "duration_ms") < n(&uniform, "duration_ms"),
        "burst {} ms, uniform {} ms",
        burst["duration_ms"],
        uniform["duration_ms"]
    );
    assert!(column(&uniform, "arrived").len() >= 2);
}

#[test]
fn the_report_counts_each_second_of_the_run() {
    let env = TestEnv::new();
    let report = simulate(&env, &["--arrivals", "uniform:2s", "--tabs", "3"]);
    let rows = report["per_second"].as_array().unwrap();
    assert!(rows.len() >= 2, "{report}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(n(row, "second"), i as u64);
        let answers: u64 = ["claimed", "replayed", "sold_out", "refused", "errors"]
            .iter()
            .map(|field| n(row, field))
            .sum();
        assert_eq!(answers, n(row, "requests"), "{row}");
        let latency = &row["latency_ms"];
        let [p50, p90, p99, max] =
            ["p50", "p90", "p99", "max"].map(|p| latency[p].as_f64().unwrap());
        assert!(p50 <= p90 && p90 <= p99 && p99 <= max * 1.01, "{row}");
        if n(row, "requests") > 0 {
            assert!(max > 0.0, "{row}");
        }
        assert_eq!(n(row, "returned"), 0, "no void, no hold");
    }
    // Every column adds up to the run's totals.
    for (column_name, total) in [
        ("requests", "requests"),
        ("claimed", "claimed"),
        ("replayed", "replayed"),
        ("sold_out", "sold_out"),
        ("errors", "errors"),
        ("arrived", "users"),
        ("completed", "users"),
    ] {
        assert_eq!(
            column(&report, column_name).iter().sum::<u64>(),
            n(&report, total),
            "{column_name}: {report}"
        );
    }
    let last = rows.last().unwrap();
    assert_eq!(n(last, "in_flight"), 0);
    assert_eq!(last["remaining"], report["store_after"]["remaining"]);
    assert!(n(&report, "peak_in_flight") >= 1);

    // A closed loop reports the same rows, without an offered load.
    let closed = simulate(&env, &[]);
    assert!(closed.get("arrivals").is_none(), "{closed}");
    assert_eq!(closed["concurrency"], 1_000);
    assert!(n(&closed, "peak_in_flight") <= 1_000);
    let rows = closed["per_second"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.get("offered").is_none()));
    assert_eq!(column(&closed, "arrived").iter().sum::<u64>(), 200);
}

/// The units go to the first 50 eligible shoppers, who arrive in the first quarter of a
/// uniform spread: the claim rate is over that window, not the whole run's two seconds.
#[test]
fn claims_per_second_are_measured_over_the_granting_window() {
    let env = TestEnv::new();
    let report = simulate(&env, &["--arrivals", "uniform:2s"]);
    assert_eq!(n(&report, "claimed"), 50);
    let claimed = 50.0;
    let window = report["claims_window_ms"].as_f64().unwrap();
    let duration = report["duration_ms"].as_f64().unwrap();
    let rate = report["claims_per_sec"].as_f64().unwrap();
    assert!(window > 0.0 && window < duration / 2.0, "{report}");
    let expected = claimed / (window / 1_000.0);
    assert!((rate - expected).abs() <= expected * 0.01, "{report}");
    assert!(rate > 2.0 * claimed / (duration / 1_000.0), "{report}");
}

#[test]
fn bad_arrivals_and_pages_exit_2_before_anything_is_written() {
    let env = TestEnv::without_store();
    let dir = env.path().join("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let link = env.path().join("link.html");
    std::os::unix::fs::symlink(dir.join("elsewhere.html"), &link).unwrap();
    let base = ["simulate", "--users", "5", "--inventory", "5"];
    let link = link.display().to_string();
    let folder = dir.display().to_string();
    let cases: &[(&[&str], String)] = &[
        (
            &["--arrivals", "poisson:1s"],
            "invalid --arrivals: `poisson` is not a kind of arrivals: uniform, burst or ramp"
                .into(),
        ),
        (
            &["--arrivals", "burst"],
            "invalid --arrivals: `burst` is not KIND:DURATION, e.g. uniform:10s, burst:1s or \
             ramp:30s"
                .into(),
        ),
        (
            &["--arrivals", "burst:0s"],
            "invalid --arrivals: `0s` must be at least 1s".into(),
        ),
        (
            &["--arrivals", "burst:-1s"],
            "invalid --arrivals: `-1s` is not a duration like 30m, 2h or 1h30m".into(),
        ),
        (
            &["--arrivals", "ramp:soon"],
            "invalid --arrivals: `soon` is not a duration like 30m, 2h or 1h30m".into(),
        ),
        (
            &["--arrivals", "ramp:2h"],
            "invalid --arrivals: `ramp:2h` spreads arrivals over more than 3600s (an hour)".into(),
        ),
        (
            &["--arrivals", "uniform:10s", "--concurrency", "5"],
            "the argument '--arrivals <KIND:DURATION>' cannot be used with '--concurrency <C>'"
                .into(),
        ),
        (
            &["--html", &link],
            format!(
                "invalid --html: `{link}` is a symbolic link; name the file it points to instead"
            ),
        ),
        (
            &["--html", &folder],
            format!(
                "invalid --html: `{folder}` is not a regular file, a device or a pipe; name a \
                 file to write"
            ),
        ),
    ];
    for (flags, message) in cases {
        let json = env.run(base.iter().chain(flags.iter())).code(2).json();
        assert_eq!(
            json,
            serde_json::json!({"error": {"kind": "invalid_input", "message": message}}),
            "{flags:?}"
        );
        assert!(
            env.sqlite_file().is_some_and(|file| !file.exists()),
            "{flags:?} created the store"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "{flags:?} wrote a file"
        );
    }
}

/// The page of a run: well-formed, fetching nothing, with its four charts; written whole.
fn check_page(env: &TestEnv, path: &std::path::Path, report: &Value) -> String {
    assert_eq!(report["html"], path.display().to_string());
    let page = std::fs::read_to_string(path).expect("the page");
    assert_well_formed(&page);
    assert_self_contained(&page);
    assert_eq!(page.matches("<svg").count(), 4, "{page}");
    for heading in [
        "Users per second",
        "Claim requests answered per second, by outcome",
        "Latency per second (ms)",
        "Remaining units",
    ] {
        assert!(page.contains(&format!("<h2>{heading}</h2>")), "{heading}");
    }
    let campaign = report["campaign_id"].as_str().expect("a campaign id");
    assert!(page.contains(&format!("Simulation: {campaign}")));
    assert!(page.contains("<polyline class=\"line p99\""), "latency p99");
    assert!(page.contains("class=\"bar sold-out\""), "sold-out bars");
    let names: Vec<_> = std::fs::read_dir(path.parent().expect("a folder"))
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "only the page: {names:?}");
    assert_renders(env, path);
    page
}

#[test]
fn html_writes_the_run_as_a_self_contained_page() {
    let env = TestEnv::new();
    let dir = env.path().join("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.html");
    let args = |path: &std::path::Path| {
        vec![
            "--arrivals".to_owned(),
            "burst:1s".to_owned(),
            "--html".to_owned(),
            path.display().to_string(),
        ]
    };
    let flags = args(&path);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let report = simulate(&env, &flags);
    let page = check_page(&env, &path, &report);
    assert!(page.contains("arrivals burst:1s"));
    assert!(page.contains("PASSED"));
    // Again over it: replaced whole, nothing left beside it.
    let again = simulate(&env, &flags);
    let page = check_page(&env, &path, &again);
    assert!(page.contains(again["campaign_id"].as_str().unwrap()));
}

#[test]
fn html_pages_a_run_through_a_running_server() {
    let env = TestEnv::new();
    // serve serves an existing store.
    env.create_campaign("open", 1);
    let server = Server::start(&env, &[]);
    let dir = env.path().join("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("served.html");
    let base = server.url("");
    let report = env
        .run([
            "simulate",
            "--users",
            "200",
            "--inventory",
            "50",
            "--arrivals",
            "uniform:1s",
            "--target",
            &base,
            "--html",
        ])
        .arg(&path)
        .env("FLASHSALE_JWT_SECRET", JWT_SECRET)
        .json();
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["target"], base);
    let page = check_page(&env, &path, &report);
    let address = base.trim_start_matches("http://");
    assert!(
        page.contains(&format!("flashsale serve at {address}")),
        "{page}"
    );
    assert!(server.stop().1.success());
}
