//! Shared helpers for the black-box tests: a hermetic environment around the real binary.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub(crate) mod page;
pub(crate) mod server;

/// A temp dir with its own store; every command runs with a clean `FLASHSALE_*` environment.
pub(crate) struct TestEnv {
    dir: TempDir,
    store: String,
}

impl TestEnv {
    /// A fresh environment on an empty `SQLite` store (created, with no campaign) inside a
    /// temp dir. Only `campaign create` creates a store, so commands that read need one to
    /// exist; [`TestEnv::without_store`] is the environment where none does.
    pub(crate) fn new() -> Self {
        let env = Self::without_store();
        let file = env.sqlite_file().expect("sqlite");
        // On a thread of its own: a test may already be inside a Tokio runtime.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(flashsale::store::SqliteStore::open(&file))
                .expect("create the store");
        })
        .join()
        .expect("store creation thread");
        env
    }

    /// An environment whose `SQLite` store does not exist yet (nor its folder).
    pub(crate) fn without_store() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = format!(
            "sqlite:{}",
            dir.path().join("store").join("flashsale.db").display()
        );
        TestEnv { dir, store }
    }

    /// A fresh environment on `MongoDB` (a new database) on the server [`mongo_uri`] names.
    pub(crate) fn mongo(test: &str) -> Self {
        let uri = mongo_uri();
        let dir = tempfile::tempdir().expect("temp dir");
        TestEnv {
            dir,
            store: mongo_database_url(&uri, &unique_name(test)),
        }
    }

    /// The temp dir.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The `SQLite` file, when the store is `SQLite`.
    pub(crate) fn sqlite_file(&self) -> Option<PathBuf> {
        self.store.strip_prefix("sqlite:").map(PathBuf::from)
    }

    /// A run of the binary with `args`, to be told what it must answer: the builder checks
    /// the exit code, stdout and stderr exactly, and each is expected to be 0, empty and empty
    /// unless the test states otherwise.
    pub(crate) fn run<I, S>(&self, args: I) -> Run<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run {
            env: self,
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            envs: Vec::new(),
            stdin: None,
            code: 0,
            stdout: None,
            stderr: None,
        }
    }

    /// The binary with this environment's hermetic settings, as a plain command: only for tests
    /// that spawn processes, run them at once, and kill or interrupt them. Everything else uses
    /// [`TestEnv::run`].
    pub(crate) fn std_cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flashsale"));
        // No inherited `FLASHSALE_*`, no colour, HOME in the temp dir, and this store.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("FLASHSALE_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("FLASHSALE_STORE", &self.store)
            .env("NO_COLOR", "1")
            // Tables show local times: one zone, whatever the machine's.
            .env("TZ", "UTC")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"))
            .args(args);
        cmd
    }

    /// Creates a live campaign with `inventory` units, 10 % off capped at 5.00, min cart 20.00.
    pub(crate) fn create_campaign(&self, id: &str, inventory: u32) -> Value {
        self.run([
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
        ])
        .json()
    }

    /// `claim` for `user` with `cart`: a run to be told its code and to end in `.json()`.
    pub(crate) fn claim(&self, campaign: &str, user: &str, cart: &str) -> Run<'_> {
        self.run([
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
    pub(crate) fn store_bytes(&self) -> BTreeMap<PathBuf, (usize, u64)> {
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
    pub(crate) fn store_state(&self) -> Value {
        self.run(["campaign", "list"]).json()
    }
}

/// Whether `FLASHSALE_BLESS=1` asks the tests to rewrite the generated files they compare.
/// Any other value panics: a mistyped switch must not compare when it meant to rewrite, or
/// rewrite when it meant to compare.
pub(crate) fn bless() -> bool {
    match std::env::var_os("FLASHSALE_BLESS") {
        None => false,
        Some(value) if value == "1" => true,
        Some(value) => panic!(
            "FLASHSALE_BLESS={}: set it to 1 to rewrite, or unset it",
            value.display()
        ),
    }
}

/// A name unique to this test run, usable as a `MongoDB` database name.
pub(crate) fn unique_name(test: &str) -> String {
    let tag: u32 = rand::random();
    let test: String = test
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(30)
        .collect();
    format!("fs_{test}_{}_{tag:08x}", std::process::id())
}

/// The `MongoDB` to test against (`FLASHSALE_TEST_MONGODB_URI`). A test that calls this is
/// marked ignored when no `MongoDB` is configured (see `build.rs`), so reaching it without
/// one (`FLASHSALE_REQUIRE_MONGODB=1`, or `--include-ignored`) is a failure, never a skip.
pub(crate) fn mongo_uri() -> String {
    match std::env::var("FLASHSALE_TEST_MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => uri,
        _ => panic!(
            "this test needs a MongoDB server: set FLASHSALE_TEST_MONGODB_URI (see CONTRIBUTING.md)"
        ),
    }
}

/// `uri` with its path set to `database`, its query kept.
pub(crate) fn mongo_database_url(uri: &str, database: &str) -> String {
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

/// One run of the binary and what it must answer (see [`TestEnv::run`]).
#[must_use = "nothing runs until `.check()`, `.run()` or `.json()`"]
pub(crate) struct Run<'a> {
    env: &'a TestEnv,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    stdin: Option<String>,
    code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// What a run answered, once its stated expectations held.
#[derive(Debug)]
pub(crate) struct Output {
    /// The exit code.
    pub code: i32,
    /// Standard output (always valid UTF-8: the binary never prints anything else).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run<'_> {
    /// Sets an environment variable for this run.
    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes an environment variable the environment would set (e.g. `FLASHSALE_STORE`).
    pub(crate) fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.envs.push((key.as_ref().to_owned(), None));
        self
    }

    /// Appends one more argument (paths, non-UTF-8 values).
    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Feeds `text` on standard input (otherwise stdin is empty, never a terminal).
    pub(crate) fn stdin(mut self, text: impl Into<String>) -> Self {
        self.stdin = Some(text.into());
        self
    }

    /// The exit code the run must end with (0 unless stated).
    pub(crate) fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    /// Exactly what stdout must hold (empty unless stated).
    pub(crate) fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Some(text.into());
        self
    }

    /// Exactly what stderr must hold (empty unless stated).
    pub(crate) fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Some(text.into());
        self
    }

    /// Runs, and checks the code, stdout and stderr exactly.
    pub(crate) fn check(self) -> Output {
        let stdout = self.stdout.clone().unwrap_or_default();
        let stderr = self.stderr.clone().unwrap_or_default();
        let (shown, out) = self.execute();
        assert_eq!(out.stdout, stdout, "{shown}: stdout");
        assert_eq!(out.stderr, stderr, "{shown}: stderr");
        out
    }

    /// Runs, checks the code and whatever stdout or stderr was stated, and hands back the
    /// output for the caller to check the rest: for output that holds values no test can know
    /// in advance (timings, clap's usage text). Compare it whole after [`normalise`].
    pub(crate) fn run(self) -> Output {
        let (stdout, stderr) = (self.stdout.clone(), self.stderr.clone());
        let (shown, out) = self.execute();
        if let Some(stdout) = stdout {
            assert_eq!(out.stdout, stdout, "{shown}: stdout");
        }
        if let Some(stderr) = stderr {
            assert_eq!(out.stderr, stderr, "{shown}: stderr");
        }
        out
    }

    /// Runs with `--output json`, checks the code and stderr (empty unless stated), and
    /// returns stdout parsed as exactly one JSON document.
    pub(crate) fn json(mut self) -> Value {
        assert!(self.stdout.is_none(), "`.json()` checks stdout itself");
        self.args.extend(["--output".into(), "json".into()]);
        let stderr = self.stderr.clone().unwrap_or_default();
        let (shown, out) = self.execute();
        assert_eq!(out.stderr, stderr, "{shown}: stderr");
        assert!(
            out.stdout.ends_with('\n'),
            "{shown}: stdout does not end its document with a newline: {:?}",
            out.stdout
        );
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|err| panic!("{shown}: not one JSON document ({err}): {}", out.stdout))
    }

    /// Runs the command and checks its exit code; returns the command line as shown in
    /// failures, and the output.
    fn execute(self) -> (String, Output) {
        let shown = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().chars().take(40).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = self.env.std_cmd(&self.args);
        for (key, value) in &self.envs {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start flashsale");
        let mut stdin = child.stdin.take().expect("piped stdin");
        // Written before waiting, and dropped to close the pipe: the binary sees EOF.
        stdin
            .write_all(self.stdin.as_deref().unwrap_or_default().as_bytes())
            .expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().expect("wait for flashsale");
        let output = Output {
            code: out
                .status
                .code()
                .unwrap_or_else(|| panic!("{shown}: killed by a signal")),
            stdout: String::from_utf8(out.stdout)
                .unwrap_or_else(|err| panic!("{shown}: stdout is not UTF-8: {err}")),
            stderr: String::from_utf8(out.stderr)
                .unwrap_or_else(|err| panic!("{shown}: stderr is not UTF-8: {err}")),
        };
        assert_eq!(
            output.code, self.code,
            "{shown}: exit code\nstdout: {}\nstderr: {}",
            output.stdout, output.stderr
        );
        (shown, output)
    }
}

/// `text` with its dynamic parts made fixed, so whole tables and messages can be compared:
/// every RFC 3339 UTC timestamp as the binary prints it becomes `YYYY-MM-DDTHH:MM:SS.mmmZ`,
/// and each `(value, label)` of `known` (tokens, generated ids) becomes its label padded with
/// spaces to the value's width, so table borders stay aligned.
pub(crate) fn normalise(text: &str, known: &[(&str, &str)]) -> String {
    const SHAPE: &str = "dddd-dd-ddTdd:dd:dd.dddZ";
    let mut text = text.to_owned();
    for (value, label) in known {
        assert!(!value.is_empty(), "an empty value to normalise");
        let width = value.chars().count();
        text = text.replace(value, &format!("{label:<width$}"));
    }
    let chars: Vec<char> = text.chars().collect();
    let shape: Vec<char> = SHAPE.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let fits = chars.len() - i >= shape.len()
            && shape.iter().zip(&chars[i..]).all(|(want, got)| match want {
                'd' => got.is_ascii_digit(),
                other => other == got,
            });
        if fits {
            out.push_str("YYYY-MM-DDTHH:MM:SS.mmmZ");
            i += shape.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// [`normalise`], then local times as tables print them (`2026-11-25 20:53 +01:00`) become
/// `YYYY-MM-DD hh:mm +01:00`: the zone stays, since the test chose it with `TZ`.
pub(crate) fn normalise_local(text: &str, known: &[(&str, &str)]) -> String {
    const SHAPE: &str = "dddd-dd-dd dd:dd ";
    let chars: Vec<char> = normalise(text, known).chars().collect();
    let shape: Vec<char> = SHAPE.chars().collect();
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let fits = chars.len() - i >= shape.len()
            && shape.iter().zip(&chars[i..]).all(|(want, got)| match want {
                'd' => got.is_ascii_digit(),
                other => other == got,
            });
        if fits {
            out.push_str("YYYY-MM-DD hh:mm ");
            i += shape.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn normalise_local_fixes_local_times_and_keeps_the_zone() {
    assert_eq!(
        normalise_local("ends  2026-11-25 20:53 +05:30 (ends in 1h)", &[]),
        "ends  YYYY-MM-DD hh:mm +05:30 (ends in 1h)"
    );
}

#[test]
fn normalise_fixes_times_and_known_values_and_keeps_widths() {
    let table = "│ token ┆ abc123 │\n│ at    ┆ 2026-11-25T20:53:51.420Z │\n";
    assert_eq!(
        normalise(table, &[("abc123", "<t>")]),
        "│ token ┆ <t>    │\n│ at    ┆ YYYY-MM-DDTHH:MM:SS.mmmZ │\n"
    );
    // Not a timestamp as the binary prints one: left alone.
    assert_eq!(normalise("2026-11-25 20:53", &[]), "2026-11-25 20:53");
}

/// The (key, value) rows of a two-column table as the binary prints it into a pipe: plain
/// columns, no borders.
pub(crate) fn table_rows(table: &str) -> Vec<(String, String)> {
    assert!(table.ends_with('\n') && !table.contains('│'), "{table}");
    table
        .lines()
        .map(|line| {
            // The key column is padded, and two spaces part it from the value; keys hold
            // single spaces only.
            let (key, value) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not a key and a value: {line:?}"));
            (key.to_owned(), value.trim_start().to_owned())
        })
        .collect()
}

/// A signal a test sends to a flashsale process, as `kill` names it and as Linux numbers it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Signal {
    /// Ctrl-C.
    Int,
    /// What CI timeouts and orchestrators send.
    Term,
}

impl Signal {
    fn number(self) -> u32 {
        match self {
            Signal::Int => 2,
            Signal::Term => 15,
        }
    }

    /// Whether process `pid` has a handler for this signal installed, from the "caught signals"
    /// mask Linux shows in `/proc/PID/status` (signal N is bit N - 1). Before that, the signal
    /// would kill the process outright, which is not what a test of the handler wants.
    pub(crate) fn is_caught_by(self, pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            })
            .is_some_and(|mask| mask & (1 << (self.number() - 1)) != 0)
    }

    /// Sends this signal to `child`.
    pub(crate) fn send(self, child: &std::process::Child) {
        let name = match self {
            Signal::Int => "-INT",
            Signal::Term => "-TERM",
        };
        let sent = Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill {name} {}", child.id());
    }

    /// Waits until `child` handles this signal, sends it, and returns what the child printed;
    /// the child must end within 20 s of the signal.
    pub(crate) fn interrupt(self, child: std::process::Child) -> std::process::Output {
        let started = std::time::Instant::now();
        while !self.is_caught_by(child.id()) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "flashsale never listened for {self:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.send(&child);
        let sent_at = std::time::Instant::now();
        let out = child.wait_with_output().expect("wait");
        assert!(
            sent_at.elapsed() < std::time::Duration::from_secs(20),
            "{self:?} took {:?} to end the command",
            sent_at.elapsed()
        );
        out
    }
}

/// The HS256 secret the black-box tests configure: long and varied enough that no strength
/// check refuses it.
pub(crate) const JWT_SECRET: &str = "trust-secret-7f3a9c2e81d4b06f5e2a7c9d13b8f460";

/// The RSA public key of `tests/fixtures/jwt`, as a path for `--jwt-public-key-file`.
pub(crate) const RSA_PUBLIC_PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jwt/rsa_public.pem"
);

/// Now, in whole seconds since the Unix epoch (a JWT's `exp` and `nbf`).
pub(crate) fn unix_now() -> i64 {
    flashsale::clock::Clock::now(&flashsale::clock::SystemClock).timestamp()
}

/// A token carrying `claims`, signed HS256 with [`JWT_SECRET`].
pub(crate) fn hs256(claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &key,
    )
    .expect("signing a test token")
}

/// The Chromium binary, when this machine has one (Debian's `chromium` package).
pub(crate) fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        })
}
