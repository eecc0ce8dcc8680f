//! The README documents every subcommand and every exit code, as the binary's own `--help`
//! lists them.

use crate::support::TestEnv;

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
        let nested = subcommands(&help(&[&name]));
        if nested.is_empty() {
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
    // The table in `src/error.rs`: nine kinds plus success, 130 among them.
    assert_eq!(from_help.len(), 11, "{from_help:?}");
    assert!(
        from_help.contains(&(
            "130".into(),
            "interrupted (Ctrl-C)".into(),
            "interrupted".into()
        )),
        "{from_help:?}"
    );
    assert_eq!(readme_exit_codes(&readme()), from_help);
}
