//! The generated reference: `docs/reference.md` (every command's `--help`) and `man/` (one
//! page per command) are what the binary prints, and cover every command it has.
//! Regenerate both with `FLASHSALE_BLESS=1 cargo test --test integration reference`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{TestEnv, bless};

/// The command to run when a generated file is stale.
const BLESS: &str = "FLASHSALE_BLESS=1 cargo test --test integration reference";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The long help of `flashsale WORDS --help`, at a fixed width whatever the terminal.
pub(crate) fn help(env: &TestEnv, words: &[String]) -> String {
    env.run(words.iter().map(String::as_str).chain(["--help"]))
        .env("COLUMNS", "100")
        .stderr("")
        .run()
        .stdout
}

/// The lines of the help section that starts with `heading`, up to the next blank line.
pub(crate) fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|line| !line.starts_with(heading))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .collect()
}

/// The subcommands a help text lists, without clap's own `help`.
fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .into_iter()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command the binary has, as the words that name it (`[]` is `flashsale` itself),
/// depth first in `--help`'s order, each with its help.
pub(crate) fn commands(env: &TestEnv) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    let mut pending = vec![Vec::new()];
    while let Some(words) = pending.pop() {
        let help = help(env, &words);
        let nested = subcommands(&help);
        pending.extend(nested.iter().rev().map(|name| {
            let mut deeper = words.clone();
            deeper.push(name.clone());
            deeper
        }));
        found.push((words, help));
    }
    found
}

/// Writes `text` to `path` when blessing; the paths whose content differs from `text`.
fn compare(path: &Path, text: &str, stale: &mut Vec<String>) {
    if bless() {
        std::fs::write(path, text).expect("write a generated file");
    }
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        stale.push(path.display().to_string());
    }
}

#[test]
fn the_command_reference_is_every_commands_help() {
    let env = TestEnv::without_store();
    let commands = commands(&env);
    let name = |words: &[String]| {
        std::iter::once("flashsale")
            .chain(words.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The walk reached the nested commands, `claim`'s own among them.
    for known in [
        "flashsale campaign create",
        "flashsale claim redeem",
        "flashsale jwt mint",
    ] {
        assert!(
            commands.iter().any(|(words, _)| name(words) == known),
            "{known}"
        );
    }
    let mut text = String::from(
        "# Command reference\n\n\
         What `flashsale COMMAND --help` prints, for every command. This file is generated from the\n\
         same definitions as the binary and a test keeps it current: after changing a command's\n\
         help, run `FLASHSALE_BLESS=1 cargo test --test integration reference`. The same text, as\n\
         manual pages, is in [`man/`](../man) (`flashsale man campaign create`).\n\n",
    );
    for (words, _) in &commands {
        let name = name(words);
        let _ = writeln!(text, "- [`{name}`](#{})", name.replace(' ', "-"));
    }
    for (words, help) in &commands {
        let _ = write!(text, "\n## {}\n\n```text\n{help}```\n", name(words));
    }
    let mut stale = Vec::new();
    compare(&root().join("docs/reference.md"), &text, &mut stale);
    assert!(stale.is_empty(), "stale {stale:?}: run `{BLESS}`");
    assert!(env.store_bytes().is_empty(), "help must not create a store");
}

/// The page `flashsale man WORDS` prints is committed as `man/flashsale-WORDS.1`.
fn page_path(words: &[String]) -> PathBuf {
    let mut name = String::from("flashsale");
    for word in words {
        name.push('-');
        name.push_str(word);
    }
    root().join("man").join(format!("{name}.1"))
}

#[test]
fn committed_man_pages_are_every_commands_page() {
    let env = TestEnv::without_store();
    let mut stale = Vec::new();
    let mut expected = Vec::new();
    let mut pages = Vec::new();
    for (words, _) in commands(&env) {
        let page = env
            .run(std::iter::once("man").chain(words.iter().map(String::as_str)))
            .stderr("")
            .run()
            .stdout;
        let path = page_path(&words);
        let title = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("a page name")
            .to_owned();
        assert!(
            page.replace("\\-", "-")
                .contains(&format!("\n.TH {title} 1 ")),
            "{title}: {page}"
        );
        assert!(page.contains("GLOBAL OPTIONS"), "{title}: {page}");
        compare(&path, &page, &mut stale);
        expected.push(path);
        pages.push(page);
    }
    assert!(stale.is_empty(), "stale {stale:?}: run `{BLESS}`");
    // No page is left over from a command that is gone...
    let mut committed: Vec<PathBuf> = std::fs::read_dir(root().join("man"))
        .expect("man/")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    committed.sort();
    expected.sort();
    assert_eq!(committed, expected, "man/ holds a page no command prints");
    // ... and every page another one points to exists.
    let mut references = 0;
    for page in &pages {
        for line in page.lines() {
            let Some(name) = line.strip_suffix("(1)") else {
                continue;
            };
            if !name.starts_with("flashsale\\-") || name.contains(' ') {
                continue;
            }
            references += 1;
            let file = format!("{}.1", name.replace("\\-", "-"));
            assert!(
                root().join("man").join(&file).is_file(),
                "a page points to {file}, which does not exist"
            );
        }
    }
    assert!(references > 10, "only {references} pages point to others");
    assert!(env.store_bytes().is_empty(), "man must not create a store");
}

#[test]
fn man_refuses_a_command_that_does_not_exist() {
    let env = TestEnv::without_store();
    env.run(["man", "campaign", "frobnicate"])
        .code(2)
        .stdout("")
        .stderr(
            "error: invalid command: `campaign frobnicate` is not a flashsale command; \
             see `flashsale --help`\n",
        )
        .check();
}
