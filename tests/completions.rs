//! `completions/` holds generated scripts; this keeps them equal to `flashsale completions`.
//! Regenerate with `FLASHSALE_BLESS=1 cargo test --test integration completions`.

use clap::ValueEnum;
use clap_complete::{Generator, Shell};

use crate::support::{self, TestEnv};

#[test]
fn committed_completion_scripts_match_the_command() {
    let env = TestEnv::without_store();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = support::bless();
    let mut stale = Vec::new();
    // Every shell clap_complete knows: one it gains shows up here as a missing script.
    for shell in Shell::value_variants() {
        let name = shell.to_possible_value().expect("a named shell");
        let script = env
            .run(["completions", name.get_name()])
            .stderr("")
            .run()
            .stdout;
        assert!(script.contains("flashsale"), "{shell}: {script}");
        let path = dir.join(shell.file_name("flashsale"));
        if bless {
            std::fs::write(&path, &script).expect("write completion script");
        }
        if std::fs::read_to_string(&path).ok() != Some(script) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts {stale:?}: run `FLASHSALE_BLESS=1 cargo test --test integration completions`"
    );
    assert!(
        env.store_bytes().is_empty(),
        "completions must not create a store"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let env = TestEnv::new();
    let refused = env.run(["completions", "tcsh"]).code(2).stdout("").run();
    assert!(
        refused.stderr.contains("invalid value 'tcsh'"),
        "{}",
        refused.stderr
    );
}
