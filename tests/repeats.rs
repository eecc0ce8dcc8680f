//! One rule for repeating an operator action: already in effect succeeds unchanged
//! (`"changed": false`, exit 0, no event, nothing written); contradicting the state is
//! `conflict` (exit 9, nothing written); `--dry-run` answers what the real command would.

use serde_json::Value;

use crate::support::TestEnv;

/// A campaign create with an absolute window, so that repeating it names the same terms.
fn create_spring<'a>(env: &'a TestEnv, inventory: &str) -> crate::support::Run<'a> {
    env.run([
        "campaign",
        "create",
        "--id",
        "spring",
        "--name",
        "Spring",
        "--inventory",
        inventory,
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--starts-at",
        "2030-03-01T09:00:00Z",
        "--ends-at",
        "2030-03-01T18:00:00Z",
    ])
}

fn events(env: &TestEnv) -> usize {
    env.run(["events"])
        .run()
        .stdout
        .lines()
        .filter(|line| !line.is_empty())
        .count()
}

#[test]
fn a_create_repeated_with_the_same_terms_is_unchanged_and_with_others_a_conflict() {
    let env = TestEnv::new();
    let first = create_spring(&env, "5").json();
    assert_eq!(first["changed"], true);
    let (before, logged) = (env.store_bytes(), events(&env));
    let again = create_spring(&env, "5").json();
    assert_eq!(again["changed"], false);
    assert_eq!(again["created_at"], first["created_at"]);
    assert_eq!((env.store_bytes(), events(&env)), (before.clone(), logged));

    let other = create_spring(&env, "6").code(9).json();
    assert_eq!(other["error"]["kind"], "conflict");
    assert_eq!(
        other["error"]["message"],
        "campaign `spring` already exists with other terms (inventory 5, not 6); nothing was \
         written: choose another `--id`"
    );
    assert_eq!(env.store_bytes(), before);
}

/// A window named relative to the creation (no start, a duration) is compared as given, so
/// the same command run again later is a repeat, not a conflict.
#[test]
fn a_create_with_a_relative_window_repeated_later_is_unchanged() {
    let env = TestEnv::new();
    let first = env.create_campaign("spring", 5);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = env.create_campaign("spring", 5);
    assert_eq!(
        (&first["changed"], &again["changed"]),
        (&true.into(), &false.into())
    );
    assert_eq!(again["starts_at"], first["starts_at"]);
}

#[test]
fn pause_resume_and_end_already_in_effect_are_unchanged_and_append_no_event() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let action = |args: &[&str]| -> Value { env.run(args).json() };
    assert_eq!(action(&["campaign", "resume", "spring"])["changed"], false);
    assert_eq!(action(&["campaign", "pause", "spring"])["changed"], true);
    let (before, logged) = (env.store_bytes(), events(&env));
    let again = action(&["campaign", "pause", "spring"]);
    assert_eq!(
        (&again["changed"], &again["state"]),
        (&false.into(), &"paused".into())
    );
    assert_eq!((env.store_bytes(), events(&env)), (before, logged));
    assert_eq!(action(&["campaign", "resume", "spring"])["changed"], true);
    assert_eq!(
        action(&["campaign", "end", "spring", "--yes"])["changed"],
        true
    );
    let logged = events(&env);
    assert_eq!(
        action(&["campaign", "end", "spring", "--yes"])["changed"],
        false
    );
    assert_eq!(events(&env), logged);
}

#[test]
fn an_action_an_ended_campaign_contradicts_is_a_conflict_that_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    env.run(["campaign", "end", "spring", "--yes"]).json();
    let before = env.store_bytes();
    for (args, action) in [
        (&["campaign", "pause", "spring"][..], "paused"),
        (&["campaign", "resume", "spring"][..], "resumed"),
        (
            &["campaign", "extend", "spring", "--duration", "1h"][..],
            "extended",
        ),
        (&["inventory", "add", "spring", "3"][..], "restocked"),
    ] {
        let refused = env.run(args).code(9).json();
        assert_eq!(
            refused["error"]["message"],
            format!("campaign `spring` has ended and cannot be {action}; nothing was written"),
            "{args:?}"
        );
        assert_eq!(env.store_bytes(), before, "{args:?} wrote something");
    }
}

#[test]
fn extend_to_the_same_end_is_unchanged_and_extend_by_adds_to_the_stored_end() {
    let env = TestEnv::new();
    let created = env.create_campaign("spring", 5);
    let ends = created["ends_at"].as_str().unwrap().to_owned();
    let same = env
        .run(["campaign", "extend", "spring", "--ends-at", &ends])
        .json();
    assert_eq!(
        (&same["changed"], &same["ends_at"]),
        (&false.into(), &ends.clone().into())
    );
    let longer = env
        .run(["campaign", "extend", "spring", "--duration", "30m"])
        .json();
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        parse(&longer["ends_at"]) - parse(&ends.into()),
        chrono::TimeDelta::minutes(30)
    );
    let end = parse(&longer["ends_at"]);
    let earlier = (end - chrono::TimeDelta::minutes(1)).to_rfc3339();
    let refused = env
        .run(["campaign", "extend", "spring", "--ends-at", &earlier])
        .code(9)
        .json();
    assert_eq!(refused["error"]["kind"], "conflict");
}

#[test]
fn void_repeated_is_unchanged_and_dry_run_answers_what_the_void_would() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let ana = env.claim("spring", "ana", "30").json();
    let token = ana["claim"]["token"].as_str().unwrap().to_owned();
    let void = |user: &str| {
        env.run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            user,
            "--yes",
        ])
    };
    assert_eq!(void("ana").json()["changed"], true);
    let before = env.store_bytes();
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
    assert_eq!(
        (&preview["changed"], &preview["would_void"]),
        (&false.into(), &false.into())
    );
    let again = void("ana").json();
    assert_eq!(
        (&again["changed"], &again["status"]),
        (&false.into(), &"voided".into())
    );
    assert_eq!(env.store_bytes(), before);
    assert_eq!(again["token"], token.as_str());

    // A redeemed claim: the dry run is the same conflict as the void itself.
    let bo = env.claim("spring", "bo", "30").json();
    let bo_token = bo["claim"]["token"].as_str().unwrap();
    env.run([
        "claim",
        "redeem",
        "--campaign",
        "spring",
        "--token",
        bo_token,
        "--order",
        "o-1",
        "--cart",
        "30",
    ])
    .json();
    let before = env.store_bytes();
    let real = void("bo").code(9).json();
    let dry = env
        .run([
            "claim",
            "void",
            "--campaign",
            "spring",
            "--user",
            "bo",
            "--dry-run",
        ])
        .code(9)
        .json();
    assert_eq!(dry, real);
    assert_eq!(env.store_bytes(), before);
}

#[test]
fn dry_runs_refuse_what_the_real_command_refuses() {
    let env = TestEnv::new();
    env.create_campaign("spring", 2);
    env.claim("spring", "ana", "30").json();
    let remove = |flag: &str| {
        env.run(["inventory", "remove", "spring", "2", flag])
            .code(9)
            .json()
    };
    assert_eq!(remove("--dry-run"), remove("--yes"));
    env.run(["campaign", "end", "spring", "--yes"]).json();
    let preview = env.run(["campaign", "end", "spring", "--dry-run"]).json();
    assert_eq!(
        (&preview["changed"], &preview["would_end"]),
        (&false.into(), &false.into())
    );
}
