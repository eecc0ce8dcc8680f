//! A running `flashsale serve` for the black-box tests: started on 127.0.0.1 port 0 (it prints
//! the bound address), verifying tokens signed with [`super::JWT_SECRET`] unless told
//! otherwise, stopped by pid.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::TestEnv;

/// A running `flashsale serve`, killed by pid when dropped (a failed test leaves none behind).
pub(crate) struct Server {
    child: Child,
    base: String,
    /// Where its log lines go.
    log: PathBuf,
}

impl Server {
    /// Starts `serve --output json` with `args` and the variables `envs`, and waits for the
    /// line that gives its address. Logs go to a file in the temp dir: a full pipe nobody
    /// reads would block the server.
    pub(crate) fn start_with(env: &TestEnv, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let log_path = env
            .path()
            .join(format!("serve-{}.log", super::unique_name("log")));
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut cmd = env.std_cmd(["serve", "--listen", "127.0.0.1:0", "--output", "json"]);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        for (key, value) in envs {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().expect("start flashsale serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        let json: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("not the listening line ({err}): {line:?}"));
        let address = json["listening"].as_str().expect("an address").to_owned();
        Server {
            child,
            base: format!("http://{address}"),
            log: log_path,
        }
    }

    /// Starts `serve` verifying HS256 tokens signed with [`super::JWT_SECRET`].
    pub(crate) fn start(env: &TestEnv, args: &[&str]) -> Server {
        Self::start_with(env, args, &[("FLASHSALE_JWT_SECRET", super::JWT_SECRET)])
    }

    /// The URL of `path` on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Its URL, `http://127.0.0.1:PORT`.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The address it listens on, `127.0.0.1:PORT`.
    pub(crate) fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The file its log lines go to.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Sends `signal` to the server's pid.
    pub(crate) fn signal(&self, signal: super::Signal) {
        signal.send(&self.child);
    }

    /// SIGKILL to the server's pid.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("kill serve");
    }

    /// Waits for the server to exit, at most `within`: its status.
    pub(crate) fn wait(&mut self, within: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for serve") {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "the server did not stop in {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to the server's pid; how long it took to exit, and its status (at most 30 s).
    pub(crate) fn stop(mut self) -> (Duration, ExitStatus) {
        self.signal(super::Signal::Term);
        let started = Instant::now();
        let status = self.wait(Duration::from_secs(30));
        (started.elapsed(), status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A token for `sub` signed with [`super::JWT_SECRET`], valid for 10 minutes, with the
/// `scope` claim `scope` (none when `None`).
pub(crate) fn token(sub: &str, scope: Option<&str>) -> String {
    let mut claims = json!({"sub": sub, "exp": super::unix_now() + 600});
    if let Some(scope) = scope {
        claims["scope"] = scope.into();
    }
    super::hs256(&claims)
}
