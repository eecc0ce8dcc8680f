//! `completions/` holds generated scripts; this keeps them equal to `flashsale completions`.
//! Regenerate with `FLASHSALE_BLESS=1 cargo test --test integration completions`.

use crate::support;

use flashsale::cli::completions::{SHELLS, file_name, render};

#[test]
fn committed_completion_scripts_match_the_command() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("FLASHSALE_BLESS").is_some();
    let mut stale = Vec::new();
    for shell in SHELLS {
        let path = dir.join(file_name(shell));
        let expected = render(shell);
        if bless {
            std::fs::write(&path, &expected).expect("write completion script");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != expected {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts {stale:?}: run `FLASHSALE_BLESS=1 cargo test --test integration completions`"
    );
}

#[test]
fn the_command_prints_exactly_the_rendered_script() {
    let env = support::TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = render(shell.parse().expect("shell"));
        assert!(script.contains("flashsale"), "{shell}");
        env.run(["completions", shell]).stdout(script).check();
    }
    let refused = env.run(["completions", "tcsh"]).code(2).run();
    assert_eq!(refused.stdout, "");
    assert!(
        env.store_bytes().is_empty(),
        "completions must not create a store"
    );
}
