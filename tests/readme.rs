//! The documentation tells the truth about the binary: the README's exit codes and examples,
//! `docs/operations.md`'s variables and report fields, and every relative link in the docs.

use std::path::Path;

use crate::reference::{help, section};
use crate::support::{TestEnv, table_rows};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn readme() -> String {
    read("README.md")
}

/// The pages written by hand for readers (`docs/ARCHITECTURE.md` and the generated reference
/// aside).
const PAGES: &[&str] = &[
    "README.md",
    "CONTRIBUTING.md",
    "docs/operations.md",
    "docs/http-api.md",
    "docs/performance.md",
];

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

/// The rows of the Markdown table under the heading `heading`, header rows dropped, each
/// cell trimmed of spaces and backticks.
fn table_under(text: &str, heading: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|line| *line != heading)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_exit_code_table_is_the_one_help_renders() {
    let from_help = help_exit_codes(&help(&TestEnv::without_store(), &[]));
    // The table in `src/error.rs`: twelve kinds plus success, 130 among them.
    assert_eq!(from_help.len(), 13, "{from_help:?}");
    assert!(
        from_help.contains(&(
            "130".into(),
            "interrupted (Ctrl-C or SIGTERM)".into(),
            "interrupted".into()
        )),
        "{from_help:?}"
    );
    let readme: ExitCodes = table_under(&readme(), "## Exit codes")
        .into_iter()
        .map(|cells| {
            assert_eq!(cells.len(), 3, "{cells:?}");
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect();
    assert_eq!(readme, from_help);
}

/// The lines of the first fenced block of `text` that holds `marker`, fences excluded.
fn block_with(text: &str, marker: &str) -> Vec<String> {
    let mut block = Vec::new();
    let mut inside = false;
    for line in text.lines() {
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
    panic!("no code block with {marker:?}");
}

/// The arguments of the first command in `block` that starts with `head` (after an optional
/// `$ `): continuation lines joined, the `# comment` dropped, double quotes honoured, `head`'s
/// own words removed.
fn command_after(block: &[String], head: &str) -> Vec<String> {
    let start = block
        .iter()
        .position(|line| line.trim_start_matches("$ ").starts_with(head))
        .unwrap_or_else(|| panic!("no `{head}` in {block:?}"));
    let mut text = String::new();
    for line in &block[start..] {
        let line = line.split("  #").next().unwrap_or_default().trim_end();
        if let Some(continued) = line.strip_suffix('\\') {
            text.push_str(continued);
        } else {
            text.push_str(line);
            break;
        }
    }
    let text = text.trim_start_matches("$ ").trim_start_matches(head);
    let mut args = Vec::new();
    let mut quoted = false;
    let mut word = String::new();
    for c in text.chars() {
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
    if !word.is_empty() {
        args.push(word);
    }
    args
}

/// The quick start's claim prints the JSON the README shows, token and time aside.
#[test]
fn the_readme_claim_example_is_what_the_binary_prints() {
    let readme = readme();
    let env = TestEnv::new();
    let quick_start = block_with(&readme, "flashsale campaign create --id spring");
    let create = command_after(&quick_start, "flashsale ");
    env.run(&create).stderr("").run();
    let example = block_with(&readme, "\"outcome\": \"claimed\"");
    let mut claim = command_after(&example, "flashsale ");
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

/// The set-up's simulation prints the rows the README shows, in its order, with the values
/// every run repeats (the seed is random: who wins a unit, and so most counts, is not).
#[test]
fn the_readme_simulate_sample_is_what_the_binary_prints() {
    let readme = readme();
    // The README abridges the report with `...` lines.
    let sample: Vec<String> = block_with(&readme, "PASSED")
        .into_iter()
        .filter(|line| line != "...")
        .collect();
    let sample = table_rows(&(sample.join("\n") + "\n"));
    let command = command_after(
        &block_with(&readme, "-- simulate --users"),
        "cargo run --release -- ",
    );
    assert_eq!(command[0], "simulate", "{command:?}");
    let printed = TestEnv::new().run(&command).stderr("").run();
    // The summary; the seconds of the run follow it after a blank line.
    let summary = printed
        .stdout
        .split_once("\n\n")
        .map_or("", |(summary, _)| summary);
    let printed = table_rows(&format!("{summary}\n"));
    let mut rest = printed.iter();
    for (key, documented) in &sample {
        let (_, actual) = rest
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("row `{key}` not printed, or out of order: {printed:?}"));
        let repeated = [
            "inventory",
            "concurrency",
            "claimed",
            "errors",
            "no oversell",
            "one claim per user",
            "no undersell",
            "result",
        ];
        if repeated.contains(&key.as_str()) {
            assert_eq!(documented, actual, "row `{key}`");
        }
    }
    assert!(sample.len() >= 8, "{sample:?}");
}

/// Every field of simulate's JSON report is named in `docs/operations.md`.
#[test]
fn every_simulate_report_field_is_documented() {
    let operations = read("docs/operations.md");
    let report = TestEnv::new()
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
        .filter(|key| !operations.contains(&format!("`{key}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/operations.md does not name {missing:?}"
    );
}

/// The `FLASHSALE_*` names in `text`.
fn variables(text: &str) -> Vec<String> {
    text.match_indices("FLASHSALE_")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.ends_with('_'))
        .collect()
}

/// The text of every file under `dir`.
fn texts(dir: &str) -> Vec<String> {
    let mut pending = vec![root().join(dir)];
    let mut texts = Vec::new();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("a folder")
                    .map(|entry| entry.expect("an entry").path()),
            );
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            texts.push(text);
        }
    }
    texts
}

/// Variables only development reads (tests, the replica-set simulation), documented in
/// CONTRIBUTING.md rather than with the operator's.
const DEVELOPMENT: &[&str] = &[
    "FLASHSALE_TEST_MONGODB_URI",
    "FLASHSALE_REQUIRE_MONGODB",
    "FLASHSALE_SIM_SEEDS",
    "FLASHSALE_SIM_SEED",
    "FLASHSALE_SIM_DEFECT",
];

/// Every variable the binary reads is a row of `docs/operations.md`'s configuration table,
/// once; every other one a test, a benchmark or a script reads is documented for developers.
#[test]
fn every_environment_variable_is_documented_once() {
    let env = TestEnv::without_store();
    let mut read_by_binary: Vec<String> = Vec::new();
    for (_, help) in crate::reference::commands(&env) {
        for (at, _) in help.match_indices("[env: ") {
            read_by_binary.extend(variables(&help[at..]).into_iter().next());
        }
    }
    assert!(
        read_by_binary
            .iter()
            .any(|v| v == "FLASHSALE_JWT_SECRET_FILE"),
        "{read_by_binary:?}"
    );
    // And those the code reads without a flag: every `"FLASHSALE_…"` literal of the sources.
    for text in texts("src") {
        for (at, _) in text.match_indices("\"FLASHSALE_") {
            let name = variables(&text[at + 1..]).into_iter().next();
            let whole = |n: &String| text[at + 1 + n.len()..].starts_with('"');
            read_by_binary.extend(name.filter(|n| whole(n) && !DEVELOPMENT.contains(&n.as_str())));
        }
    }
    assert!(
        read_by_binary
            .iter()
            .any(|v| v == "FLASHSALE_MONGODB_TIMEOUT_MS"),
        "{read_by_binary:?}"
    );
    read_by_binary.sort();
    read_by_binary.dedup();
    let table = table_under(&read("docs/operations.md"), "## Configuration");
    let rows = |var: &String| table.iter().filter(|cells| cells[0] == *var).count();
    let wrong: Vec<(&String, usize)> = read_by_binary
        .iter()
        .map(|var| (var, rows(var)))
        .filter(|(_, count)| *count != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "docs/operations.md's configuration table should have one row each for: {wrong:?}"
    );
    // Development's variables: in the tests, benchmarks, scripts and CI.
    let mut development: Vec<String> = ["src", "tests", "benches", "scripts", ".ci"]
        .iter()
        .flat_map(|dir| texts(dir))
        .flat_map(|text| variables(&text))
        .filter(|var| !read_by_binary.contains(var))
        .collect();
    development.sort();
    development.dedup();
    assert!(
        development.iter().any(|v| v == "FLASHSALE_BLESS"),
        "{development:?}"
    );
    let documented = variables(&(read("CONTRIBUTING.md") + &read("docs/performance.md")));
    let missing: Vec<&String> = development
        .iter()
        .filter(|var| !documented.contains(var))
        .collect();
    assert!(
        missing.is_empty(),
        "neither CONTRIBUTING.md nor docs/performance.md documents {missing:?}"
    );
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings, code blocks skipped.
fn anchors(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            inside = !inside;
        } else if !inside && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The targets of the inline links `[text](target)` in `text`.
fn links(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            rest.find(')').map(|end| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut pages: Vec<String> = PAGES.iter().map(|page| (*page).to_owned()).collect();
    pages.push("docs/reference.md".to_owned());
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        let folder = Path::new(page).parent().expect("a folder");
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                root().join(page)
            } else {
                root().join(folder).join(file)
            };
            checked += 1;
            if !path.exists() {
                broken.push(format!("{page}: {target}"));
            } else if !fragment.is_empty()
                && path.extension().is_some_and(|ext| ext == "md")
                && !anchors(&std::fs::read_to_string(&path).expect("a page"))
                    .contains(&fragment.to_owned())
            {
                broken.push(format!("{page}: {target} (no such heading)"));
            }
        }
    }
    assert!(checked > 20, "only {checked} links found");
    assert!(broken.is_empty(), "broken links: {broken:?}");
}

/// The docs speak for themselves: no issue numbers, no commit hashes, no documents outside the
/// repository.
#[test]
fn the_docs_carry_no_tracker_history() {
    for page in PAGES {
        let text = read(page);
        for (at, _) in text.to_lowercase().match_indices("issue ") {
            let next = text[at + 6..].chars().next();
            assert!(
                !next.is_some_and(|c| c.is_ascii_digit()),
                "{page} names an issue number: {}",
                &text[at..at + 12]
            );
        }
        // Spelled in pieces, so that this file does not name the documents it forbids.
        let outside_docs = [
            concat!("../", "shared"),
            concat!("DESIGN", ".md"),
            concat!("STYLE", ".md"),
            "commit `",
        ];
        for outside in outside_docs {
            assert!(!text.contains(outside), "{page} mentions {outside}");
        }
    }
}
