//! gate: a CI gate that stops poisoned machine-learning supply chains at the pull request.
//! Data flows one way: discover → inspect → judge → report.

mod app;
mod cli;
mod deadline;
mod deps;
mod discover;
mod finding;
mod format;
pub mod fuzzing;
mod hash;
mod identify;
mod init;
mod inspect;
mod judge;
mod le;
mod pickle;
mod pin;
mod policy;
mod report;
mod rules;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Runs the command line; `main.rs` is only this call.
pub fn main() -> ExitCode {
    init_logging();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                app::ERROR
            } else {
                app::PASSED
            };
            // clap prints help/version to stdout and usage errors to stderr itself.
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match app::run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            let styled = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            anstream::eprintln!("{}", error.render(styled));
            ExitCode::from(app::ERROR)
        }
    }
}

/// Logs go to standard error only, filtered by `GATE_LOG` (default: warnings).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
