//! Shared helpers for the black-box tests: a hermetic environment around the real binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A temp dir with its own store; every command runs with a clean `FLASHSALE_*` environment.
pub struct TestEnv {
    dir: TempDir,
    store: String,
}

impl TestEnv {
    /// A fresh environment on an `SQLite` file inside a temp dir.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = format!(
            "sqlite:{}",
            dir.path().join("store").join("flashsale.db").display()
        );
        TestEnv { dir, store }
    }

    /// A fresh environment on `MongoDB` (a new database), when [`mongo_uri`] names a server.
    pub fn mongo(test: &str) -> Option<Self> {
        let uri = mongo_uri(test)?;
        let dir = tempfile::tempdir().expect("temp dir");
        Some(TestEnv {
            dir,
            store: mongo_database_url(&uri, &unique_name(test)),
        })
    }

    /// The store URL every command of this environment uses.
    pub fn store(&self) -> &str {
        &self.store
    }

    /// The temp dir.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The `SQLite` file, when the store is `SQLite`.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.store.strip_prefix("sqlite:").map(PathBuf::from)
    }

    /// The binary with a hermetic environment: no inherited `FLASHSALE_*`, no colour, HOME in
    /// the temp dir, and this environment's store.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::from_std(self.std_cmd(args))
    }

    /// [`TestEnv::cmd`] as a plain `std::process::Command`, for tests that spawn processes and
    /// let them run at once.
    pub fn std_cmd<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("FLASHSALE_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("FLASHSALE_STORE", &self.store)
            .env("NO_COLOR", "1")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .args(args);
        cmd
    }

    /// Runs with `--output json`; returns the exit code and the single JSON document on
    /// stdout (asserting stderr is empty).
    pub fn json<I, S>(&self, args: I) -> (i32, Value)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let out = self
            .cmd(args)
            .arg("--output")
            .arg("json")
            .output()
            .expect("run flashsale");
        let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
        let value: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("not one JSON document ({err}): {stdout}"));
        (out.status.code().expect("exit code"), value)
    }

    /// Creates a live campaign with `inventory` units, 10 % off capped at 5.00, min cart 20.00.
    pub fn create_campaign(&self, id: &str, inventory: u32) -> Value {
        let (code, json) = self.json([
            "campaign",
            "create",
            "--id",
            id,
            "--name",
            &format!("Campaign {id}"),
            "--inventory",
            &inventory.to_string(),
            "--percent-off",
            "10",
            "--max-discount",
            "5",
            "--min-cart",
            "20",
            "--duration",
            "1h",
        ]);
        assert_eq!(code, 0, "{json}");
        json
    }

    /// Claims for `user` with `cart`; returns exit code and JSON.
    pub fn claim(&self, campaign: &str, user: &str, cart: &str) -> (i32, Value) {
        self.json([
            "claim",
            "--campaign",
            campaign,
            "--user",
            user,
            "--cart",
            cart,
        ])
    }

    /// Every file of the store's folder with its length and a hash of its bytes (minus
    /// SQLite's `-shm` index, which is shared memory, not data), to prove a command wrote
    /// nothing.
    pub fn store_bytes(&self) -> BTreeMap<PathBuf, (usize, u64)> {
        let Some(file) = self.sqlite_file() else {
            return BTreeMap::new();
        };
        let Some(dir) = file.parent().filter(|d| d.exists()) else {
            return BTreeMap::new();
        };
        std::fs::read_dir(dir)
            .expect("read store dir")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| !path.to_string_lossy().ends_with("-shm"))
            .map(|path| {
                let bytes = std::fs::read(&path).expect("read store file");
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(&bytes, &mut hasher);
                (path, (bytes.len(), std::hash::Hasher::finish(&hasher)))
            })
            .collect()
    }

    /// What the store holds, as the CLI reports it: every campaign and its inventory.
    pub fn store_state(&self) -> Value {
        let (code, list) = self.json(["campaign", "list"]);
        assert_eq!(code, 0, "{list}");
        list
    }
}

/// A name unique to this test run, usable as a `MongoDB` database name.
pub fn unique_name(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let test: String = test
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(30)
        .collect();
    format!("fs_{test}_{}_{nanos}", std::process::id())
}

/// The `MongoDB` to test against (`FLASHSALE_TEST_MONGODB_URI`), or `None` with a notice; a
/// panic instead when `FLASHSALE_REQUIRE_MONGODB=1`, so CI cannot skip silently.
pub fn mongo_uri(test: &str) -> Option<String> {
    match std::env::var("FLASHSALE_TEST_MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => Some(uri),
        _ => {
            assert!(
                std::env::var("FLASHSALE_REQUIRE_MONGODB").as_deref() != Ok("1"),
                "FLASHSALE_REQUIRE_MONGODB=1 but FLASHSALE_TEST_MONGODB_URI is unset"
            );
            eprintln!("skipping {test} on MongoDB: FLASHSALE_TEST_MONGODB_URI is unset");
            None
        }
    }
}

/// `uri` with its path set to `database`, its query kept.
pub fn mongo_database_url(uri: &str, database: &str) -> String {
    let (scheme, rest) = uri.split_once("://").expect("a MongoDB URI has a scheme");
    let (head, query) = rest
        .split_once('?')
        .map_or((rest, None), |(h, q)| (h, Some(q)));
    let authority = head.split_once('/').map_or(head, |(a, _)| a);
    match query {
        Some(query) => format!("{scheme}://{authority}/{database}?{query}"),
        None => format!("{scheme}://{authority}/{database}"),
    }
}
