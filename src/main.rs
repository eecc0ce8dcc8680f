//! The `flashsale` binary. [`flashsale::run`] parses, runs and reports, and returns the exit
//! code instead of exiting, so that destructors run: stores close and stdout is flushed.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    flashsale::run(std::env::args_os()).await
}
