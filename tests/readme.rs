//! The README documents every subcommand and every exit code.

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn every_subcommand_is_in_the_readme() {
    let readme = readme();
    let cli = flashsale::cli::Cli::command();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        let nested: Vec<&str> = sub
            .get_subcommands()
            .map(clap::Command::get_name)
            .filter(|n| *n != "help")
            .collect();
        if nested.is_empty() {
            if !readme.contains(&format!("flashsale {name}")) {
                missing.push(name.to_owned());
            }
        } else {
            for leaf in nested {
                if !readme.contains(&format!("flashsale {name} {leaf}")) {
                    missing.push(format!("{name} {leaf}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md lacks an example of: {missing:?}"
    );
}

#[test]
fn every_exit_code_is_in_the_readme() {
    let readme = readme();
    for code in 0..=8 {
        assert!(
            readme.contains(&format!("| {code} |")),
            "exit code {code} missing from README.md"
        );
    }
}
