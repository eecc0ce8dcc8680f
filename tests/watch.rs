//! `campaign watch`: a line or a JSON document per read while claims land in the store between
//! reads, refusals of bad arguments, and the full-screen view in a real terminal (tmux).

use std::io::{BufRead as _, BufReader, Lines};
use std::path::Path;
use std::process::{ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::TestEnv;

/// A `campaign watch` reading every 200 ms for at most `ticks` reads, its stdout a pipe.
fn spawn_watch(
    env: &TestEnv,
    extra: &[&str],
    ticks: u32,
) -> (std::process::Child, Lines<BufReader<ChildStdout>>) {
    let mut cmd = env.std_cmd(["campaign", "watch", "--interval", "200ms"]);
    cmd.args(["--ticks", &ticks.to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn watch");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    (child, lines)
}

/// Reads lines until one satisfies `done`; panics when the stream ends first.
fn read_until(
    lines: &mut Lines<BufReader<ChildStdout>>,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if done(&line) {
            return line;
        }
    }
    panic!("the watch ended before a line with {what}");
}

/// Redeems `user`'s claim at checkout.
fn redeem(env: &TestEnv, user: &str) {
    let claim = env
        .run(["claim", "show", "--campaign", "spring", "--user", user])
        .json();
    let token = claim["token"].as_str().expect("a token").to_owned();
    env.run([
        "claim",
        "redeem",
        "--campaign",
        "spring",
        "--token",
        &token,
        "--order",
        "o-1",
        "--cart",
        "30",
    ])
    .json();
}

#[test]
fn json_mode_prints_one_document_per_read_and_follows_the_store() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    let (mut child, mut lines) = spawn_watch(&env, &["spring", "--output", "json"], 100);
    let first: Value = serde_json::from_str(&read_until(&mut lines, "a document", |_| true))
        .expect("one JSON document on one line");
    let sale = &first["campaigns"][0];
    assert_eq!(sale["campaign_id"], "spring");
    assert_eq!(sale["state"], "live");
    assert_eq!(
        (sale["remaining"].as_i64(), sale["claimed"].as_i64()),
        (Some(10), Some(0))
    );
    assert_eq!(first["refusals"]["recorded"], false);
    assert_eq!(sale["sold_out"]["estimate"], "stalled");

    // Another process claims, redeems and voids while the watch runs.
    for user in ["ana", "bo", "cy"] {
        env.claim("spring", user, "30").json();
    }
    redeem(&env, "ana");
    env.run([
        "claim",
        "void",
        "--campaign",
        "spring",
        "--user",
        "bo",
        "--yes",
    ])
    .json();
    let moved = read_until(&mut lines, "claimed 3", |line| {
        let doc: Value = serde_json::from_str(line).expect("one JSON document per line");
        doc["campaigns"][0]["voided"] == 1
    });
    let doc: Value = serde_json::from_str(&moved).unwrap();
    let sale = &doc["campaigns"][0];
    let count = |name: &str| sale[name].as_i64().unwrap();
    assert_eq!(
        [
            "claimed",
            "open",
            "redeemed",
            "voided",
            "expired",
            "remaining"
        ]
        .map(count),
        [3, 1, 1, 1, 0, 8],
        "{sale}"
    );
    // The three claims are in the last minute's seconds and in the pace.
    let recent: u64 = sale["claims_per_second"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let pace = sale["pace"]["claims"].as_i64().unwrap();
    assert!(recent <= 3 && pace <= 3, "{sale}");
    child.kill().expect("stop the watch");
    child.wait().expect("reap the watch");
}

#[test]
fn line_mode_prints_a_line_per_read_and_stops_after_ticks() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let (mut child, mut lines) = spawn_watch(&env, &["spring"], 25);
    let first = read_until(&mut lines, "a line", |_| true);
    assert!(
        first.contains(" spring live remaining=5/5 claimed=0 "),
        "{first}"
    );
    for user in ["ana", "bo"] {
        env.claim("spring", user, "30").json();
    }
    let moved = read_until(&mut lines, "remaining=3/5", |line| {
        line.contains("remaining=3/5")
    });
    assert!(
        moved.contains(" claimed=2 ") && moved.contains(" open=2 "),
        "{moved}"
    );
    let rest: Vec<String> = lines.map(|l| l.expect("a line")).collect();
    let status = child
        .wait()
        .expect("the watch ends by itself after --ticks");
    assert!(status.success(), "{status}");
    // 25 reads in all: the two already read, and one line per remaining read.
    let read_so_far = 25 - rest.len();
    assert!(
        read_so_far >= 2,
        "{} lines after the first ones",
        rest.len()
    );
    assert!(rest.iter().all(|l| l.contains("remaining=3/5")), "{rest:?}");
}

#[test]
fn watch_all_follows_campaigns_inside_their_window() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    env.create_campaign("autumn", 7);
    env.run(["campaign", "end", "autumn", "--yes"]).json();
    let out = env
        .run(["campaign", "watch", "--all", "--ticks", "1"])
        .run();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(
        lines[0].contains(" spring live remaining=5/5 "),
        "{}",
        lines[0]
    );
    // With nothing inside its window a read still says when it was made.
    env.run(["campaign", "end", "spring", "--yes"]).json();
    let none = env
        .run(["campaign", "watch", "--all", "--ticks", "1"])
        .json();
    assert!(
        none["at"].as_str().is_some_and(|at| at.ends_with('Z')),
        "{none}"
    );
    assert_eq!(none["campaigns"], serde_json::json!([]));
    let out = env
        .run(["campaign", "watch", "--all", "--ticks", "1"])
        .run();
    assert!(
        out.stdout.ends_with("Z no campaign inside its window\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn watch_refuses_bad_arguments_before_reading_anything() {
    let env = TestEnv::new();
    env.run(["campaign", "watch", "nope", "--ticks", "1"])
        .code(3)
        .stderr("error: campaign `nope` not found\n")
        .check();
    let err = env
        .run(["campaign", "watch", "spring", "--interval", "10ms"])
        .code(2)
        .json();
    assert_eq!(err["error"]["kind"], "invalid_input");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--interval"),
        "{err}"
    );
    let err = env
        .run(["campaign", "watch", "spring", "--ticks", "0"])
        .code(2)
        .json();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--ticks"),
        "{err}"
    );
}

/// tmux on a socket of its own, without the user's configuration.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 from tmux")
    }

    fn capture(&self, session: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", session])
    }

    /// Starts `script` in a new session of 100 x 30.
    fn start(&self, session: &str, script: &str) {
        self.run(&[
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            "-c",
            script,
        ]);
    }

    /// Captures `session` until its screen satisfies `done`, for up to 20 s.
    fn wait_for(&self, session: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.capture(session);
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

/// Quotes `text` for the shell tmux runs the command with.
fn quoted(text: &Path) -> String {
    format!("'{}'", text.display().to_string().replace('\'', r"'\''"))
}

#[test]
#[cfg_attr(
    no_tmux,
    ignore = "needs tmux on the PATH (apt-get install tmux); under CI=true it runs and fails without"
)]
fn the_terminal_view_follows_a_sale_resizes_and_gives_the_terminal_back() {
    let env = TestEnv::new();
    env.create_campaign("spring", 200);
    let tmux = Tmux {
        socket: format!("flashsale-watch-{}", std::process::id()),
    };
    // The watch in a pane of fixed size; after it, its exit code and the terminal's modes, so
    // the test sees whether raw mode (no `icanon`, no `echo`) was left behind.
    let store = env
        .sqlite_file()
        .expect("an SQLite store")
        .display()
        .to_string();
    let script = format!(
        "FLASHSALE_STORE=sqlite:{} NO_COLOR=1 TZ=UTC {} campaign watch spring --interval 200ms; \
         echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo \
         | tr '\\n' ' '; echo; sleep 60",
        quoted(Path::new(&store)),
        quoted(Path::new(env!("CARGO_BIN_EXE_flashsale"))),
    );
    tmux.start("watch", &script);
    let before = tmux.wait_for("watch", "the full gauge", |s| {
        s.contains("remaining 200 of 200")
    });
    assert!(before.contains("spring (Campaign spring)"), "{before}");
    assert!(before.contains("claims per second, last"), "{before}");

    // A simulation claims 50 units from another process, then single claims 5 more.
    let sim = env
        .run([
            "simulate",
            "--campaign",
            "spring",
            "--yes",
            "--users",
            "50",
            "--tabs",
            "1",
            "--duplicate-ratio",
            "0",
            "--cart-min",
            "30",
            "--cart-max",
            "60",
            "--redeem-ratio",
            "0",
            "--void-ratio",
            "0",
        ])
        .run();
    assert_eq!(sim.code, 0, "{}", sim.stderr);
    let during = tmux.wait_for("watch", "150 units left", |s| {
        s.contains("remaining 150 of 200")
    });
    assert!(during.contains("claimed 50"), "{during}");
    assert!(
        during.contains('█'),
        "the gauge and the sparkline draw bars:\n{during}"
    );
    for n in 0..5 {
        env.claim("spring", &format!("late-{n}"), "30").json();
    }
    tmux.wait_for("watch", "145 units left", |s| {
        s.contains("remaining 145 of 200")
    });

    // Narrower and shorter: the view redraws to the new size.
    tmux.run(&["resize-window", "-t", "watch", "-x", "60", "-y", "18"]);
    let small = tmux.wait_for("watch", "the view at 60 columns", |s| {
        s.contains("remaining 145 of 200") && s.lines().all(|l| l.chars().count() <= 60)
    });
    assert!(
        small.lines().next().is_some_and(|l| l.starts_with('┌')),
        "{small}"
    );

    tmux.run(&["send-keys", "-t", "watch", "q"]);
    let after = tmux.wait_for("watch", "the exit code and the modes", |s| {
        s.contains("EXIT=") && s.contains("icanon")
    });
    assert!(after.contains("EXIT=0"), "{after}");
    // The alternate screen is gone and the terminal is cooked again.
    assert!(!after.contains("remaining 145 of 200"), "{after}");
    assert_eq!(modes(&after), ["icanon", "echo"], "{after}");

    // Ctrl-C reaches the raw-mode view as a key: it leaves like `q`, exit 0.
    tmux.start("ctrl-c", &script);
    tmux.wait_for("ctrl-c", "the view", |s| s.contains("remaining 145 of 200"));
    tmux.run(&["send-keys", "-t", "ctrl-c", "C-c"]);
    let after = tmux.wait_for("ctrl-c", "the exit code and the modes", |s| {
        s.contains("EXIT=") && s.contains("icanon")
    });
    assert!(after.contains("EXIT=0"), "{after}");
    assert_eq!(modes(&after), ["icanon", "echo"], "{after}");

    // SIGTERM (a closing terminal emulator, `kill`) ends the view with 130, and the terminal
    // is given back all the same.
    tmux.start("term", &script);
    tmux.wait_for("term", "the view", |s| s.contains("remaining 145 of 200"));
    let shell = tmux.run(&["display-message", "-p", "-t", "term", "#{pane_pid}"]);
    let ps = Command::new("ps")
        .args(["-o", "pid=", "--ppid", shell.trim()])
        .output()
        .expect("ps");
    let watch = String::from_utf8(ps.stdout).expect("UTF-8 from ps");
    let watch = watch.trim();
    assert!(
        !watch.is_empty() && !watch.contains('\n'),
        "children of the pane's shell: {watch:?}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", watch])
        .status()
        .expect("kill");
    assert!(killed.success());
    let after = tmux.wait_for("term", "the exit code and the modes", |s| {
        s.contains("EXIT=") && s.contains("icanon")
    });
    assert!(after.contains("EXIT=130"), "{after}");
    assert_eq!(modes(&after), ["icanon", "echo"], "{after}");
}

/// The terminal modes the pane's script printed after the watch (`-icanon` while raw).
fn modes(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .find(|l| l.contains("icanon"))
        .unwrap_or_else(|| panic!("no terminal modes printed:\n{screen}"))
        .split_whitespace()
        .collect()
}
