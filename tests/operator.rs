//! Issue 13: operator safety. Commands that only read never create a store, store URLs mean
//! only what the README documents, and a file that is not a flashsale store is left untouched.

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

fn missing_store(path: &Path) -> Value {
    json!({"error": {"kind": "store_unavailable", "message": format!(
        "opening store sqlite:{0}: store unavailable: there is no store at `{0}`; a store is \
         created by creating a campaign in it: check `--store` (or FLASHSALE_STORE); \
         `flashsale campaign create` creates a new store",
        path.display()
    )}})
}

#[test]
fn reading_commands_never_create_a_store() {
    let env = TestEnv::without_store();
    let typo = env.path().join("nonexistent").join("dir").join("x.db");
    let store = format!("sqlite:{}", typo.display());
    let before = tree(env.path());
    for args in [
        vec!["campaign", "list"],
        vec!["campaign", "status", "spring"],
        vec!["campaign", "end", "spring"],
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
        vec!["inventory", "reconcile", "spring", "--apply"],
        vec!["simulate", "--users", "2", "--campaign", "spring"],
    ] {
        let mut argv = vec!["--store", store.as_str()];
        argv.extend(args.iter().copied());
        let json = env.run(&argv).code(1).json();
        assert_eq!(json, missing_store(&typo), "{args:?}");
    }
    assert_eq!(
        tree(env.path()),
        before,
        "a reading command created something"
    );

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
