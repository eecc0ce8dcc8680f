//! `--yes` and `--dry-run` for the commands that change a store in a way the operator may
//! regret (`campaign end`, `inventory reconcile --apply`): a person on a terminal is asked, a
//! script says `--yes`, and anyone can look first with `--dry-run`.

use std::io::IsTerminal;

use clap::Args;

use super::{Interrupted, UsageError};

/// The flags of a destructive command.
#[derive(Debug, Args)]
pub(crate) struct ConfirmArgs {
    /// Do it without asking (scripts; needed when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Show what would change, and change nothing.
    #[arg(long, conflicts_with = "yes")]
    pub(crate) dry_run: bool,
}

/// Whether a person can be asked: stdin to read the answer, stderr to show the question.
fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

impl ConfirmArgs {
    /// Refuses, before the store is opened, a change no one approved: no `--yes`, no
    /// `--dry-run`, and no terminal to ask on. `command` names it, e.g. "`campaign end`".
    pub(crate) fn check(&self, command: &str) -> Result<(), UsageError> {
        if self.yes || self.dry_run || terminal() {
            return Ok(());
        }
        Err(UsageError(format!(
            "{command} changes the store and there is no terminal to confirm on: \
             pass --yes to go ahead, or --dry-run to see what would change"
        )))
    }

    /// Asks `question` on the terminal unless `--yes` was given; a "no" is an error that
    /// says nothing was changed.
    pub(crate) fn confirm(&self, question: &str) -> anyhow::Result<()> {
        if self.yes {
            return Ok(());
        }
        let yes = ask(question, false)?;
        if yes {
            Ok(())
        } else {
            Err(UsageError("not confirmed: nothing was changed".to_owned()).into())
        }
    }
}

/// Asks a yes/no `question` on the terminal, `default` on Enter; Ctrl-C is [`Interrupted`].
pub(crate) fn ask(question: &str, default: bool) -> anyhow::Result<bool> {
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(default)
        .interact()
        .map_err(|err| match err {
            // Ctrl-C at the prompt arrives as an interrupted read.
            dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
                anyhow::Error::new(Interrupted("the command"))
            }
            err @ dialoguer::Error::IO(_) => err.into(),
        })
}
