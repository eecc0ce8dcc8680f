//! `flashsale completions SHELL`: completion scripts rendered from the clap definitions.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `completions/` holds a script for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// Renders the completion script for `shell`; the command and the freshness test both use it.
pub fn render(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "flashsale", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The file name of `shell`'s script in `completions/`.
pub fn file_name(shell: Shell) -> String {
    match shell {
        Shell::Bash => "flashsale.bash".to_owned(),
        Shell::Zsh => "_flashsale".to_owned(),
        Shell::Fish => "flashsale.fish".to_owned(),
        Shell::PowerShell => "_flashsale.ps1".to_owned(),
        Shell::Elvish => "flashsale.elv".to_owned(),
        other => format!("flashsale.{other}"),
    }
}

/// Prints the script.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    super::output::write_stdout(&render(args.shell))?;
    Ok(())
}
