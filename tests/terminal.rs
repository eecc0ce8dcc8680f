//! What a person sees: help texts, tables, relative times, confirmations.

use crate::support::TestEnv;

/// Every command and subcommand, as the words that name it.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["campaign"],
    &["campaign", "create"],
    &["campaign", "status"],
    &["campaign", "list"],
    &["campaign", "end"],
    &["claim"],
    &["inventory"],
    &["inventory", "show"],
    &["inventory", "add"],
    &["inventory", "reconcile"],
    &["simulate"],
    &["completions"],
    &["man"],
    &["jwt"],
    &["jwt", "mint"],
    &["serve"],
];

/// The first words of a line that starts an example: a command, not a wrapped fragment.
const EXAMPLE_STARTS: &[&str] = &["flashsale ", "export ", "TOKEN=", "printf ", "# "];

#[test]
fn help_groups_global_flags_and_shows_whole_examples_on_every_command() {
    let env = TestEnv::new();
    for words in COMMANDS {
        let help = env
            .run(words.iter().chain(&["--help"]))
            .stderr("")
            .run()
            .stdout;
        let name = words.join(" ");
        // The command's own options first, the global ones under their own heading after.
        let own = help.find("\nOptions:\n").expect("an Options heading");
        let global = help
            .find("\nGlobal options:\n      --store <URL>")
            .unwrap_or_else(|| panic!("{name}: no global heading:\n{help}"));
        assert!(own < global, "{name}: {help}");
        assert!(help.contains("  -o, --output <OUTPUT>"), "{name}: {help}");
        assert!(!help.contains("FLASHSALE_OUTPUT="), "{name}: {help}");
        // Each example line starts a command or continues one after a `\`.
        let examples = help
            .split("\nExamples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no examples:\n{help}"));
        let mut continued = false;
        for line in examples.lines().take_while(|l| !l.is_empty()) {
            let ok = if continued {
                line.starts_with("      --")
            } else {
                line.strip_prefix("  ")
                    .is_some_and(|l| EXAMPLE_STARTS.iter().any(|s| l.starts_with(s)))
            };
            assert!(ok, "{name}: example line broken: {line:?}\n{help}");
            continued = line.ends_with('\\');
        }
    }
}

#[test]
fn output_has_a_short_flag() {
    let env = TestEnv::new();
    env.run(["-o", "json", "campaign", "list"])
        .stdout("[]\n")
        .stderr("")
        .check();
    // A usage error after `-o json` is one JSON document too.
    let refused = env.run(["-o", "json", "campaign", "lst"]).code(2).json();
    assert_eq!(refused["error"]["kind"], "invalid_input", "{refused}");
}

/// `text` with each number after the last `  in ` of a line replaced by `N` (the `ends`
/// column of `campaign list`).
fn list_relatives(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind("  in ") {
            Some(at) => format!("{}({})", &line[..at + 2], &line[at + 2..]),
            None => line.to_owned(),
        })
        .map(|line| relatives(&line).replace(['(', ')'], ""))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `text` with each number inside parentheses replaced by `N`: relative times
/// (`(starts in 1496d 20h)` becomes `(starts in Nd Nh)`) move with the clock, their shape not.
fn relatives(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut in_number = false;
    for ch in text.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth > 0 && ch.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    out
}

/// Creates campaign `id` with fixed times, so that local times can be checked whole.
fn create_scheduled(env: &TestEnv, id: &str, name: &str, currency: &str) {
    env.run([
        "campaign",
        "create",
        "--id",
        id,
        "--name",
        name,
        "--inventory",
        "40",
        "--percent-off",
        "15",
        "--max-discount",
        "20",
        "--min-cart",
        "10",
        "--currency",
        currency,
        "--starts-at",
        "2030-01-01T09:00:00Z",
        "--ends-at",
        "2030-01-01T12:00:00Z",
    ])
    .json();
}

#[test]
fn tables_show_local_times_with_the_zone_and_relative_times() {
    let env = TestEnv::new();
    create_scheduled(&env, "winter", "Winter sale", "usd");
    let out = env
        .run(["campaign", "status", "winter"])
        .env("TZ", "Asia/Kolkata")
        .stderr("")
        .run()
        .stdout;
    let created = relatives(&out).lines().last().map(str::to_owned);
    assert_eq!(
        relatives(&out),
        format!(
            "\
id            winter
name          Winter sale
state         scheduled
starts        2030-01-01 14:30 +05:30 (starts in Nd Nh)
ends          2030-01-01 17:30 +05:30 (ends in Nd Nh)
inventory     0 claimed, 40 remaining of 40
discount      15% off, at most 20.00 USD
minimum cart  10.00 USD
{}
",
            created.unwrap_or_default()
        )
    );
    assert!(
        out.lines()
            .last()
            .is_some_and(|l| l.starts_with("created       20") && l.ends_with("+05:30 (<1m ago)")),
        "{out}"
    );
    // JSON keeps RFC 3339 in UTC, whatever the zone.
    let json = env
        .run(["-o", "json", "campaign", "status", "winter"])
        .env("TZ", "Asia/Kolkata")
        .json();
    assert_eq!(json["starts_at"], "2030-01-01T09:00:00.000Z");
}

#[test]
fn claim_tables_give_every_amount_its_currency() {
    let env = TestEnv::new();
    env.run([
        "campaign",
        "create",
        "--id",
        "usd",
        "--name",
        "Dollars",
        "--inventory",
        "3",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--currency",
        "usd",
        "--duration",
        "1h",
    ])
    .json();
    let out = env.claim("usd", "ana", "30").stderr("").run().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"discount  3.00 USD"), "{out}");
    assert!(lines.contains(&"cart      30.00 USD"), "{out}");
}

#[test]
fn campaign_list_is_one_plain_line_per_campaign_and_filters_by_state() {
    let env = TestEnv::new();
    create_scheduled(&env, "later", "A name far too long to fit in a list", "eur");
    env.create_campaign("now", 5);
    let out = env.run(["campaign", "list"]).stderr("").run().stdout;
    assert_eq!(
        list_relatives(&out),
        "\
id     name                  state      left   off  ends
later  A name far too long…  scheduled  40/40  15%  in Nd Nh
now    Campaign now          live       5/5    10%  in Nm
"
    );
    assert!(!out.contains('\t') && !out.contains('│'), "{out:?}");
    env.run(["campaign", "list", "--state", "live"])
        .stdout("id   name          state  left  off  ends\nnow  Campaign now  live   5/5   10%  in 59m\n")
        .check();
    let ended = env
        .run(["-o", "json", "campaign", "list", "--state", "ended"])
        .json();
    assert_eq!(ended, serde_json::json!([]));
    env.run(["campaign", "list", "--state", "sold_out"])
        .stdout("no campaigns in that state\n")
        .check();
    let refused = env
        .run(["campaign", "list", "--state", "gone"])
        .code(2)
        .run();
    assert!(
        refused.stderr.contains("invalid value 'gone'"),
        "{}",
        refused.stderr
    );
}

/// `text` without ANSI styling sequences (`ESC [ ... m`).
fn unstyled(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(ch);
        }
    }
    out
}

#[test]
fn campaign_list_fits_80_columns_on_a_terminal() {
    let env = TestEnv::new();
    create_scheduled(
        &env,
        "black-friday-2030",
        "Black Friday with a long name",
        "eur",
    );
    env.create_campaign("spring", 500);
    let mut cmd = env.std_cmd(["campaign", "list"]);
    cmd.env_remove("NO_COLOR");
    let mut tty = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty");
    // rexpect hands over each byte as a char: back to UTF-8 to count columns.
    let bytes: Vec<u8> = tty
        .exp_eof()
        .expect("the command ends")
        .chars()
        .map(|c| u8::try_from(c).expect("a byte"))
        .collect();
    let out = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        out.contains("\u{1b}["),
        "a styled header on a terminal: {out:?}"
    );
    let plain = unstyled(&out);
    let lines: Vec<&str> = plain.lines().map(|l| l.trim_end_matches('\r')).collect();
    // A header and one line per campaign, none wider than 80 columns.
    assert_eq!(lines.len(), 3, "{plain}");
    for line in &lines {
        assert!(line.chars().count() <= 80, "{line:?} in\n{plain}");
    }
    assert!(
        lines[1].starts_with("black-friday-2030  Black Friday with a…  scheduled"),
        "{plain}"
    );
    assert!(lines[2].starts_with("spring"), "{plain}");
}

/// Runs `args` on a pseudo-terminal, answers `answer` to the question containing `question`,
/// and returns everything the terminal showed and the exit code.
fn answer_on_a_terminal(
    env: &TestEnv,
    args: &[&str],
    question: &str,
    answer: &str,
) -> (String, i32) {
    let cmd = env.std_cmd(args);
    let mut tty = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty");
    tty.exp_string(question).expect("the question");
    tty.send(answer).expect("type");
    tty.flush().expect("flush");
    let rest = tty.exp_eof().expect("the command ends");
    let code = match tty.process.wait().expect("exit status") {
        rexpect::process::wait::WaitStatus::Exited(_, code) => code,
        other => panic!("{other:?}"),
    };
    (rest, code)
}

#[test]
fn campaign_end_asks_on_a_terminal_and_needs_yes_in_a_pipe() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    let state = |env: &TestEnv| {
        env.run(["-o", "json", "campaign", "status", "spring"])
            .json()["state"]
            .clone()
    };

    // No terminal, no --yes: refused before anything changes, with the way out named.
    env.run(["campaign", "end", "spring"])
        .code(2)
        .stdout("")
        .stderr(
            "error: `campaign end` changes the store and there is no terminal to confirm on: \
             pass --yes to go ahead, or --dry-run to see what would change\n",
        )
        .check();
    let json = env
        .run(["-o", "json", "campaign", "end", "spring"])
        .code(2)
        .json();
    assert_eq!(json["error"]["kind"], "invalid_input", "{json}");
    assert_eq!(state(&env), "live");

    // --dry-run shows what would change and changes nothing.
    let dry = env
        .run(["campaign", "end", "spring", "--dry-run"])
        .stderr("")
        .run()
        .stdout;
    assert!(
        dry.ends_with(
            "\n\ndry run: `campaign end` would stop claims on `spring` now (live, 5 of 5 units \
             left); nothing was changed\n"
        ),
        "{dry}"
    );
    let dry = env
        .run(["-o", "json", "campaign", "end", "spring", "--dry-run"])
        .json();
    assert_eq!(
        (
            &dry["dry_run"],
            &dry["would_end"],
            &dry["campaign"]["state"]
        ),
        (&true.into(), &true.into(), &"live".into())
    );
    assert_eq!(state(&env), "live");
    env.run(["campaign", "end", "spring", "--dry-run", "--yes"])
        .code(2)
        .run();

    // On a terminal: "n" changes nothing, "y" ends it.
    let question =
        "End campaign `spring` now? It is live, 5 of 5 units left; no new claims will be accepted";
    let (shown, code) = answer_on_a_terminal(&env, &["campaign", "end", "spring"], question, "n");
    assert_eq!(code, 2, "{shown}");
    assert!(
        shown.contains("not confirmed: nothing was changed"),
        "{shown}"
    );
    assert_eq!(state(&env), "live");
    let (shown, code) = answer_on_a_terminal(&env, &["campaign", "end", "spring"], question, "y");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("state         ended"), "{shown}");
    assert_eq!(state(&env), "ended");
}

#[test]
fn reconcile_apply_asks_with_the_numbers_on_a_terminal() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    env.claim("spring", "ana", "30").json();
    // A claim deleted behind the store's back: one unit of drift.
    let conn =
        rusqlite::Connection::open(env.sqlite_file().expect("an SQLite store")).expect("open");
    conn.execute("DELETE FROM claims", []).expect("delete");
    drop(conn);
    let remaining = |env: &TestEnv| {
        env.run(["-o", "json", "inventory", "show", "spring"])
            .json()["remaining"]
            .clone()
    };

    env.run(["inventory", "reconcile", "spring", "--apply", "--force"])
        .code(2)
        .stderr(
            "error: `inventory reconcile --apply` changes the store and there is no terminal to \
             confirm on: pass --yes to go ahead, or --dry-run to see what would change\n",
        )
        .check();
    let dry = env
        .run([
            "-o",
            "json",
            "inventory",
            "reconcile",
            "spring",
            "--apply",
            "--dry-run",
        ])
        .json();
    assert_eq!(
        (&dry["drift"], &dry["applied"]),
        (&1.into(), &false.into()),
        "{dry}"
    );
    assert_eq!(remaining(&env), 4);

    let question = "Set remaining units of `spring` from 4 to 5 (drift of 1)?";
    let args = ["inventory", "reconcile", "spring", "--apply", "--force"];
    let (shown, code) = answer_on_a_terminal(&env, &args, question, "n");
    assert_eq!(code, 2, "{shown}");
    assert_eq!(remaining(&env), 4);
    let (shown, code) = answer_on_a_terminal(&env, &args, question, "y");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("drift of 1 repaired: remaining set to 5"),
        "{shown}"
    );
    assert_eq!(remaining(&env), 5);
}
