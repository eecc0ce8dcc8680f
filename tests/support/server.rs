//! A running `flashsale serve` for the black-box tests: started on 127.0.0.1 port 0 (it prints
//! the bound address), verifying tokens signed with [`super::JWT_SECRET`] unless told
//! otherwise, stopped by pid.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::TestEnv;

/// A running `flashsale serve`, killed by pid when dropped (a failed test leaves none behind).
pub(crate) struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `serve --output json` with `args` and the variables `envs`, and waits for the
    /// line that gives its address. Logs go to a file in the temp dir: a full pipe nobody
    /// reads would block the server.
    pub(crate) fn start_with(env: &TestEnv, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let log = std::fs::File::create(
            env.path()
                .join(format!("serve-{}.log", super::unique_name("log"))),
        )
        .expect("log file");
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

    /// SIGTERM to the server's pid; how long it took to exit, and its status (at most 30 s).
    pub(crate) fn stop(mut self) -> (Duration, ExitStatus) {
        super::Signal::Term.send(&self.child);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for serve") {
                return (started.elapsed(), status);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not stop in 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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
