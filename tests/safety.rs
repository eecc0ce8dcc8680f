//! Commands do only what they are asked: reading never creates a store, store URLs mean only
//! what the README documents, a file that is not a flashsale store is left untouched, and a
//! simulation spends a real campaign's units only when told to.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::TestEnv;

/// `campaign create` arguments for a campaign `id` on `store`, live for an hour.
fn create_args(store: &str, id: &str) -> Vec<String> {
    [
        "--store",
        store,
        "campaign",
        "create",
        "--id",
        id,
        "--name",
        "x",
        "--inventory",
        "3",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Every entry under `dir`, recursively, so a test sees any folder or file a command made.
fn tree(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        found.push(path.display().to_string());
        if path.is_dir() {
            found.extend(tree(&path));
        }
    }
    found.sort();
    found
}

/// The answer for a store path whose file is missing, in a folder that exists.
fn missing_store(path: &Path) -> Value {
    json!({"error": {"kind": "not_found", "message": format!(
        "opening store sqlite:{0}: there is no store at `{0}`; a store is created by creating a \
         campaign in it: check `--store` (or FLASHSALE_STORE); `flashsale campaign create` \
         creates a new store",
        path.display()
    )}})
}

/// The answer for a store path whose folder is missing.
fn missing_folder(path: &Path) -> Value {
    json!({"error": {"kind": "not_found", "message": format!(
        "opening store sqlite:{0}: there is no store at `{0}`: its folder `{1}` does not exist: \
         check `--store` (or FLASHSALE_STORE); for a new store at this path, create its folder \
         first",
        path.display(),
        path.parent().expect("a folder").display()
    )}})
}

/// A mistyped store path is not found (exit 3, which scripts do not retry on, unlike the
/// `store_unavailable` of exit 1) and nothing is created: every command refuses a missing
/// folder, even those that create a store; reading commands also refuse a missing file.
#[test]
fn reading_commands_never_create_a_store() {
    let env = TestEnv::without_store();
    let typo = env.path().join("nonexistent").join("dir").join("x.db");
    let absent = env.path().join("x.db");
    let before = tree(env.path());
    let reading = [
        vec!["campaign", "list"],
        vec!["campaign", "status", "spring"],
        vec!["campaign", "end", "spring", "--yes"],
        vec![
            "claim",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--cart",
            "10",
        ],
        vec!["inventory", "show", "spring"],
        vec!["inventory", "add", "spring", "5"],
        vec!["inventory", "reconcile", "spring", "--apply", "--yes"],
        vec!["events"],
        vec!["simulate", "--users", "2", "--campaign", "spring"],
    ];
    for (path, answer) in [
        (&typo, missing_folder(&typo)),
        (&absent, missing_store(&absent)),
    ] {
        let store = format!("sqlite:{}", path.display());
        for args in &reading {
            let mut argv = vec!["--store", store.as_str()];
            argv.extend(args.iter().copied());
            let json = env.run(&argv).code(3).json();
            assert_eq!(json, answer, "{args:?}");
        }
    }
    let store = format!("sqlite:{}", typo.display());
    let json = env.run(create_args(&store, "spring")).code(3).json();
    assert_eq!(json, missing_folder(&typo));
    let json = env
        .run([
            "--store",
            &store,
            "simulate",
            "--users",
            "2",
            "--inventory",
            "1",
        ])
        .code(3)
        .json();
    assert_eq!(json, missing_folder(&typo));
    assert_eq!(
        tree(env.path()),
        before,
        "a command created something for a mistyped path"
    );

    std::fs::create_dir_all(typo.parent().unwrap()).unwrap();
    // Creating a campaign creates the store, and says where, once, on stderr only.
    let created = env
        .run(create_args(&store, "spring"))
        .stderr(format!("created a new store at {store}\n"))
        .json();
    assert_eq!(created["id"], "spring");
    env.run(create_args(&store, "autumn")).json();
    env.run(["--store", store.as_str(), "campaign", "list"])
        .run();
}

#[test]
fn a_tilde_is_the_home_directory() {
    let env = TestEnv::without_store();
    // The harness sets HOME to the temp dir.
    let created = env
        .run(create_args("sqlite:~/sale.db", "spring"))
        .stderr(format!(
            "created a new store at sqlite:{}\n",
            env.path().join("sale.db").display()
        ))
        .json();
    assert_eq!(created["id"], "spring");
    assert!(env.path().join("sale.db").is_file());
    assert!(!env.path().join("~").exists());
    assert!(
        !Path::new("~").exists(),
        "a literal `~` folder in the working directory"
    );
}

#[test]
fn undocumented_url_forms_are_refused_not_reinterpreted() {
    let env = TestEnv::without_store();
    let forms = "use `sqlite:PATH` (`~/` expands) or `mongodb://HOST/DB`";
    for (url, reason) in [
        (
            "sqlite://tmp/x.db".to_owned(),
            format!("is not a supported form (`sqlite://` has no meaning here); {forms}"),
        ),
        (
            "sqlite:///tmp/x.db".to_owned(),
            format!("is not a supported form (`sqlite://` has no meaning here); {forms}"),
        ),
        (
            format!("sqlite:{}/x.db?mode=ro", env.path().display()),
            format!("has a `?query`, which sqlite: store URLs do not take; {forms}"),
        ),
        (
            "sqlite:~bob/x.db".to_owned(),
            format!("starts with `~user`, which is not expanded; {forms}"),
        ),
        (
            "file:x.db".to_owned(),
            format!("is not a store URL; {forms}"),
        ),
    ] {
        let json = env.run(create_args(&url, "spring")).code(2).json();
        let shown: String = url.chars().take(40).collect();
        let shown = if url.chars().count() > 40 {
            format!("{shown}…")
        } else {
            shown
        };
        assert_eq!(
            json,
            json!({"error": {"kind": "invalid_input", "message":
                format!("invalid store URL: `{shown}` {reason}")}}),
            "{url}"
        );
    }
    assert!(tree(env.path()).is_empty(), "{:?}", tree(env.path()));
}

/// The bytes of every file in `dir`.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|p| Path::new(p).is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect()
}

#[test]
fn a_file_that_is_not_a_flashsale_store_is_refused_untouched() {
    let env = TestEnv::without_store();
    let other = env.path().join("other").join("app.db");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ana');")
            .unwrap();
    }
    let text = env.path().join("other").join("notes.txt");
    std::fs::write(&text, "not a database at all\n").unwrap();
    let folder = env.path().join("other").join("folder.db");
    std::fs::create_dir(&folder).unwrap();
    let before = contents(&env.path().join("other"));
    for (path, reason) in [
        (
            other.as_path(),
            "it is another application's database, with tables `users`",
        ),
        (text.as_path(), "it is not an SQLite database"),
        (folder.as_path(), "it is a folder"),
        (
            Path::new("/dev/null"),
            "it is not a regular file but a device, pipe or socket",
        ),
    ] {
        let store = format!("sqlite:{}", path.display());
        let message = format!(
            "opening store {store}: store unavailable: `{}` is not a flashsale store ({reason}); \
             it was left untouched: point `--store` at a flashsale store",
            path.display()
        );
        // Neither creating a campaign (which may create a store) nor reading touches it.
        for args in [
            create_args(&store, "spring"),
            vec![
                "--store".into(),
                store.clone(),
                "campaign".into(),
                "list".into(),
            ],
        ] {
            let json = env.run(&args).code(1).json();
            assert_eq!(
                json,
                json!({"error": {"kind": "store_unavailable", "message": message}}),
                "{args:?}"
            );
        }
    }
    assert_eq!(contents(&env.path().join("other")), before, "bytes changed");
    assert!(!env.path().join("other").join("app.db-wal").exists());
    assert!(!Path::new("/dev/null-journal").exists());
}

#[test]
fn currency_takes_iso_4217_codes_only() {
    let env = TestEnv::new();
    let before = env.store_bytes();
    let store = env
        .sqlite_file()
        .map(|f| format!("sqlite:{}", f.display()))
        .unwrap();
    let mut args = create_args(&store, "spring");
    args.extend(["--currency".into(), "XYZ".into()]);
    env.run(&args)
        .code(2)
        .stderr(
            "error: invalid currency: `XYZ` is not an ISO 4217 currency code (like EUR, USD or \
             JPY)\n",
        )
        .check();
    assert_eq!(
        env.store_bytes(),
        before,
        "a refused currency wrote something"
    );
    let mut args = create_args(&store, "spring");
    args.extend(["--currency".into(), "jpy".into()]);
    assert_eq!(env.run(&args).json()["currency"], "JPY");
}

#[test]
fn simulate_spends_a_real_campaigns_units_only_when_told_to() {
    let env = TestEnv::new();
    env.create_campaign("spring", 50);
    let before = env.store_bytes();
    env.run(["simulate", "--campaign", "spring", "--users", "20"])
        .code(2)
        .stderr(
            "error: simulate may hand up to 20 of campaign `spring`'s 50 remaining units to \
             simulated users, for good: pass `--yes` to allow it, or rehearse on a throw-away \
             copy with `--like spring`\n",
        )
        .check();
    assert_eq!(
        env.store_bytes(),
        before,
        "an unconfirmed run wrote something"
    );
    let report = env
        .run(["simulate", "--campaign", "spring", "--users", "20", "--yes"])
        .json();
    let claimed = report["claimed"].as_i64().unwrap();
    assert!(claimed > 0 && claimed <= 20, "{report}");
    let shown = env.run(["inventory", "show", "spring"]).json();
    assert_eq!(shown["remaining"], 50 - claimed);
}

#[test]
fn simulate_like_rehearses_on_a_copy_and_leaves_the_campaign_alone() {
    let env = TestEnv::new();
    env.create_campaign("spring", 7);
    let before = env.run(["campaign", "list"]).json();
    let report = env
        .run([
            "simulate", "--like", "spring", "--users", "30", "--seed", "3",
        ])
        .json();
    assert_eq!(report["inventory"], 7, "{report}");
    assert_eq!(report["kept"], false);
    assert_ne!(report["campaign_id"], "spring");
    assert_eq!(
        env.run(["campaign", "list"]).json(),
        before,
        "the campaign or the copy changed the store"
    );
    // --keep leaves the copy, with the same rule and currency.
    let kept = env
        .run(["simulate", "--like", "spring", "--users", "3", "--keep"])
        .json();
    let copy = env
        .run(["campaign", "status", kept["campaign_id"].as_str().unwrap()])
        .json();
    let original = env.run(["campaign", "status", "spring"]).json();
    for field in [
        "percent_off",
        "max_discount_cents",
        "min_cart_cents",
        "currency",
        "total_inventory",
    ] {
        assert_eq!(copy[field], original[field], "{field}");
    }
    assert_eq!(original["claimed"], 0);
}

#[test]
fn inventory_add_refuses_an_ended_campaign_and_writes_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    env.run(["campaign", "end", "spring", "--yes"]).json();
    let before = env.store_bytes();
    env.run(["inventory", "add", "spring", "5"])
        .code(9)
        .stderr("error: campaign `spring` has ended and cannot be restocked; nothing was written\n")
        .check();
    assert_eq!(env.store_bytes(), before);
    // A live campaign still takes a restock.
    env.create_campaign("autumn", 3);
    assert_eq!(
        env.run(["inventory", "add", "autumn", "5"]).json()["total"],
        8
    );
}

/// On a terminal, `simulate --campaign` asks, defaulting to no: "n" spends nothing, "y" runs.
#[test]
fn simulate_campaign_asks_on_a_terminal() {
    let env = TestEnv::new();
    env.create_campaign("spring", 50);
    let before = env.store_bytes();
    let ask = || {
        let cmd = env.std_cmd([
            "simulate",
            "--campaign",
            "spring",
            "--users",
            "5",
            "--cart-min",
            "20",
            "--cart-max",
            "80",
        ]);
        let mut tty = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty");
        tty.exp_string("simulate may hand up to 5 of campaign `spring`'s 50 remaining units")
            .expect("the question names the units");
        tty.exp_string("Go ahead?").expect("prompt");
        tty
    };
    let mut tty = ask();
    tty.send_line("n").expect("type");
    tty.exp_string("not confirmed: nothing was spent")
        .expect("refused");
    tty.exp_eof().expect("the command ends");
    assert_eq!(env.store_bytes(), before, "a declined run wrote something");
    let mut tty = ask();
    tty.send_line("y").expect("type");
    tty.exp_string("PASSED").expect("the run's report");
    tty.exp_eof().expect("the command ends");
    let remaining = env.run(["inventory", "show", "spring"]).json()["remaining"]
        .as_i64()
        .unwrap();
    assert_eq!(remaining, 45);
}
