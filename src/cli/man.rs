//! `flashsale man`: the manual page, rendered from the clap definitions by `clap_mangen`, so
//! that it cannot drift from `--help` (`man/flashsale.1` is a committed copy).

use clap::CommandFactory;

use super::Cli;

/// Examples shown by `flashsale man --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  flashsale man > /usr/local/share/man/man1/flashsale.1
  flashsale man | man -l -";

/// Prints the page.
pub(crate) fn run() -> anyhow::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    super::output::write_stdout(&String::from_utf8_lossy(&page))?;
    Ok(())
}
