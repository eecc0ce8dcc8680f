//! What a person sees: help texts, the manual page, tables, relative times, confirmations.

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

/// `man/flashsale.1` is `flashsale man`, kept equal like the completion scripts.
/// Regenerate with `FLASHSALE_BLESS=1 cargo test --test integration human`.
#[test]
fn committed_man_page_matches_the_command() {
    let env = TestEnv::new();
    let page = env.run(["man"]).stderr("").run().stdout;
    for needle in [
        ".TH flashsale 1",
        "GLOBAL OPTIONS",
        "campaign",
        "\\-\\-output",
    ] {
        assert!(page.contains(needle), "{needle}: {page}");
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/flashsale.1");
    if std::env::var_os("FLASHSALE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create man/");
        std::fs::write(&path, &page).expect("write the man page");
    }
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(page.as_str()),
        "stale man/flashsale.1: run `FLASHSALE_BLESS=1 cargo test --test integration human`"
    );
    assert!(env.store_bytes().is_empty(), "man must not create a store");
}
