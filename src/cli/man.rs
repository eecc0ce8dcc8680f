//! `flashsale man [COMMAND]...`: the manual pages, rendered from the clap definitions by
//! `clap_mangen`, so that they cannot drift from `--help` (`man/` holds committed copies, one
//! page per command, named as the main page's SEE ALSO entries name them).

use clap::CommandFactory;

use super::Cli;
use crate::domain::Invalid;

/// Examples shown by `flashsale man --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale man > /usr/local/share/man/man1/flashsale.1
  flashsale man campaign create | man -l -";

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// The command whose page to print, e.g. `campaign create`; the main page without one.
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
}

/// Prints the page of the command `args` names.
pub(crate) fn run(args: &ManArgs) -> anyhow::Result<()> {
    // Built as a whole, so that every subcommand knows its full name (`flashsale-campaign`);
    // without clap's `help` subcommand, which has no page of its own.
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let mut command = &top;
    for word in &args.command {
        command = command
            .get_subcommands()
            .find(|sub| sub.get_name() == word && !sub.is_hide_set())
            .ok_or_else(|| {
                Invalid::new(
                    "command",
                    format!(
                        "`{}` is not a flashsale command; see `flashsale --help`",
                        args.command.join(" ")
                    ),
                )
            })?;
    }
    let mut page = Vec::new();
    // Every page names the program and its version, as the main page does.
    clap_mangen::Man::new(command.clone())
        .source(format!("flashsale {}", env!("CARGO_PKG_VERSION")))
        .render(&mut page)?;
    super::output::write_stdout(&String::from_utf8_lossy(&page))?;
    Ok(())
}
