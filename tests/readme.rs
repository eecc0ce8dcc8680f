//! The README documents every subcommand and every exit code, as the binary's own `--help`
//! lists them.

use crate::support::{TestEnv, table_rows};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The `--help` output of `flashsale ARGS --help`.
fn help(args: &[&str]) -> String {
    TestEnv::new()
        .run(args.iter().chain(&["--help"]))
        .stderr("")
        .run()
        .stdout
}

/// The lines of the help section that starts with `heading`, up to the next blank line.
fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|line| !line.starts_with(heading))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .collect()
}

/// The subcommands `help` lists, without clap's own `help`.
fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .into_iter()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_is_in_the_readme() {
    let readme = readme();
    let mut leaves = Vec::new();
    for name in subcommands(&help(&[])) {
        let own = help(&[&name]);
        let nested = subcommands(&own);
        // `claim` both runs on its own and has subcommands: its first usage line says which.
        let runs_itself = own
            .lines()
            .find(|line| line.starts_with("Usage: "))
            .is_some_and(|usage| !usage.trim_end().ends_with("<COMMAND>"));
        if nested.is_empty() || runs_itself {
            leaves.push(format!("flashsale {name}"));
        }
        leaves.extend(nested.iter().map(|leaf| format!("flashsale {name} {leaf}")));
    }
    // The help was read: top-level commands and nested ones alike.
    for known in [
        "flashsale claim",
        "flashsale campaign create",
        "flashsale jwt mint",
    ] {
        assert!(
            leaves.iter().any(|leaf| leaf == known),
            "{known}: {leaves:?}"
        );
    }
    let missing: Vec<&String> = leaves
        .iter()
        .filter(|leaf| !readme.contains(*leaf))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks an example of: {missing:?}"
    );
}

/// `(code, meaning, JSON kind)` rows.
type ExitCodes = Vec<(String, String, String)>;

/// The rows of `--help`'s exit-code list: the code, what it means, the JSON kind (if any),
/// in columns two or more spaces apart.
fn help_exit_codes(help: &str) -> ExitCodes {
    section(help, "Exit codes")
        .into_iter()
        .map(|line| {
            let mut columns = line
                .trim()
                .split("  ")
                .map(str::trim)
                .filter(|column| !column.is_empty());
            let mut next = || columns.next().unwrap_or_default().to_owned();
            (next(), next(), next())
        })
        .collect()
}

/// The rows of the README's exit-code table, backticks dropped.
fn readme_exit_codes(readme: &str) -> ExitCodes {
    readme
        .lines()
        .skip_while(|line| *line != "## Exit codes")
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect();
            assert_eq!(cells.len(), 3, "{line}");
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

#[test]
fn the_readme_exit_code_table_is_the_one_help_renders() {
    let from_help = help_exit_codes(&help(&[]));
    // The table in `src/error.rs`: eleven kinds plus success, 130 among them.
    assert_eq!(from_help.len(), 12, "{from_help:?}");
    assert!(
        from_help.contains(&(
            "130".into(),
            "interrupted (Ctrl-C or SIGTERM)".into(),
            "interrupted".into()
        )),
        "{from_help:?}"
    );
    assert_eq!(readme_exit_codes(&readme()), from_help);
}

/// The lines of the README's first fenced block that holds `marker`, fences excluded.
fn block_with(readme: &str, marker: &str) -> Vec<String> {
    let mut block = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            if inside && block.iter().any(|l: &String| l.contains(marker)) {
                return block;
            }
            inside = !inside;
            block.clear();
        } else if inside {
            block.push(line.to_owned());
        }
    }
    panic!("README.md has no code block with {marker:?}");
}

/// The arguments of the README command that starts with `flashsale` + `head`: continuation
/// lines joined, the `# comment` dropped, double quotes honoured.
fn readme_command(block: &[String], head: &str) -> Vec<String> {
    let start = block
        .iter()
        .position(|line| {
            line.trim_start_matches("$ ")
                .starts_with(&format!("flashsale {head}"))
        })
        .unwrap_or_else(|| panic!("no `flashsale {head}` in {block:?}"));
    let mut text = String::new();
    for line in &block[start..] {
        let line = line.split("   #").next().unwrap_or_default().trim_end();
        if let Some(continued) = line.strip_suffix('\\') {
            text.push_str(continued);
        } else {
            text.push_str(line);
            break;
        }
    }
    let mut args = Vec::new();
    let mut quoted = false;
    let mut word = String::new();
    for c in text.trim_start_matches("$ ").chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    args.push(std::mem::take(&mut word));
                }
            }
            other => word.push(other),
        }
    }
    args.push(word);
    assert_eq!(args[0], "flashsale");
    args.split_off(1)
}

/// Issue 9: the claim example is what the binary prints for the quick start's campaign, token
/// and time aside.
#[test]
fn the_readme_claim_example_is_what_the_binary_prints() {
    let readme = readme();
    let env = TestEnv::new();
    let create = readme_command(
        &block_with(&readme, "campaign create --id spring"),
        "campaign create",
    );
    env.run(&create).stderr("").run();
    let example = block_with(&readme, "\"outcome\": \"claimed\"");
    let mut claim = readme_command(&example, "claim");
    let documented: serde_json::Value =
        serde_json::from_str(&example[1..].join("\n")).expect("the README's claim JSON parses");
    // `.json()` adds `--output json` itself.
    assert_eq!(claim.split_off(claim.len() - 2), ["--output", "json"]);
    let mut printed = env.run(&claim).json();
    for dynamic in ["token", "claimed_at"] {
        assert!(printed["claim"][dynamic].is_string(), "{printed}");
        printed["claim"][dynamic] = documented["claim"][dynamic].clone();
    }
    assert_eq!(printed, documented);
}

/// Issue 9: the simulate sample in the README has the rows the binary prints, in its order, and
/// the same values wherever a run with the same seed must repeat them (who wins a unit, and so
/// the replay and sold-out counts and the timings, depends on scheduling).
#[test]
fn the_readme_simulate_sample_is_what_the_binary_prints() {
    let readme = readme();
    let sample = table_rows(&(block_with(&readme, "result").join("\n") + "\n"));
    let command = readme_command(&block_with(&readme, "--seed 42"), "simulate");
    let env = TestEnv::new();
    let printed = env.run(&command).stderr("").run();
    let printed = table_rows(&printed.stdout);
    let keys = |rows: &[(String, String)]| rows.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&sample), keys(&printed));
    let repeatable = [
        "inventory",
        "seed",
        "concurrency",
        "requests",
        "claimed",
        "not eligible",
        "not live",
        "errors",
        "identity",
        "no oversell",
        "one claim per user",
        "replays consistent",
        "inventory conserved",
        "no undersell",
        "result",
    ];
    for ((key, documented), (_, actual)) in sample.iter().zip(&printed) {
        if repeatable.contains(&key.as_str()) {
            assert_eq!(documented, actual, "row `{key}`");
        }
    }
}

/// Issue 9: every field of simulate's JSON report is named in the README.
#[test]
fn every_simulate_report_field_is_in_the_readme() {
    let readme = readme();
    let env = TestEnv::new();
    let report = env
        .run([
            "simulate",
            "--users",
            "20",
            "--inventory",
            "5",
            "--seed",
            "1",
        ])
        .json();
    let fields = report.as_object().expect("a JSON object");
    assert!(fields.len() > 20, "{report}");
    let missing: Vec<&String> = fields
        .keys()
        .filter(|key| {
            !readme.contains(&format!("`{key}`")) && !readme.contains(&format!(" {key},"))
        })
        .collect();
    assert!(missing.is_empty(), "README.md does not name {missing:?}");
}

/// Issue 9: every `FLASHSALE_*` variable the binary reads is in the README's configuration
/// table, and every one `--help` shows for a flag sits in that flag's row.
#[test]
fn every_environment_variable_is_in_the_configuration_table() {
    let readme = readme();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| *line != "## Configuration")
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .collect();
    let mut shown = Vec::new();
    for command in [
        &[][..],
        &["claim"],
        &["simulate"],
        &["serve"],
        &["jwt", "mint"],
        &["campaign", "create"],
    ] {
        let help = help(command);
        for (_, rest) in help
            .match_indices("[env: ")
            .map(|(i, _)| help.split_at(i + 6))
        {
            let var: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            shown.push(var);
        }
    }
    assert!(
        shown.iter().any(|v| v == "FLASHSALE_JWT_SECRET_FILE"),
        "{shown:?}"
    );
    // And those the code reads without a flag: every `"FLASHSALE_…"` literal of the sources,
    // but those only the tests read (documented under Development).
    let mut sources = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(path) = sources.pop() {
        if path.is_dir() {
            sources.extend(
                std::fs::read_dir(&path)
                    .expect("src")
                    .map(|e| e.expect("entry").path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        for (_, rest) in text
            .match_indices("\"FLASHSALE_")
            .map(|(i, _)| text.split_at(i + 1))
        {
            let var: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let test_only = [
                "FLASHSALE_",
                "FLASHSALE_TEST_MONGODB_URI",
                "FLASHSALE_REQUIRE_MONGODB",
                "FLASHSALE_SIM_SEEDS",
                "FLASHSALE_SIM_SEED",
                "FLASHSALE_SIM_DEFECT",
            ];
            if rest[var.len()..].starts_with('"') && !test_only.contains(&var.as_str()) {
                shown.push(var);
            }
        }
    }
    assert!(
        shown.iter().any(|v| v == "FLASHSALE_MONGODB_TIMEOUT_MS"),
        "{shown:?}"
    );
    let missing: Vec<&String> = shown
        .iter()
        .filter(|var| !table.iter().any(|row| row.contains(&format!("`{var}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the configuration table: {missing:?}"
    );
}
