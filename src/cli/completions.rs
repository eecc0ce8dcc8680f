//! `flashsale completions SHELL`: completion scripts rendered from the clap definitions.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Examples shown by `flashsale completions --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale completions bash > ~/.local/share/bash-completion/completions/flashsale
  flashsale completions zsh > ~/.zfunc/_flashsale
  flashsale completions fish > ~/.config/fish/completions/flashsale.fish";

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the script.
pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "flashsale", &mut script);
    super::output::write_stdout(&String::from_utf8_lossy(&script))?;
    Ok(())
}
