//! The `flashsale` binary: parse, run, map the error to an exit code. Nothing else.

use std::process::ExitCode;

use flashsale::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let output = cli.output;
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => cli::report(&err, output),
    }
}
