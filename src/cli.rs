//! The command line (SPEC "CLI"): subcommands, flags and their help.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// gate: stops poisoned machine-learning supply chains at the pull request.
#[derive(Debug, Parser)]
#[command(name = "gate", version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check a repository against its policy (exit 0 passed, 1 violated, 2 error)
    Check(CheckArgs),
    /// Inspect files or folders with the built-in default policy
    Scan(ScanArgs),
    /// Print ready-to-paste `datasets.files` policy entries (sha256) for files and folders
    Hash(HashArgs),
    /// Show a rule's documentation, or list every rule
    Explain {
        /// Rule id, e.g. format-mismatch
        rule: Option<String>,
    },
    /// Policy file commands
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate a policy file (default: the one `gate check` would use here) and print "ok"
    Check {
        /// Policy file
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Repository folder to check
    #[arg(default_value = ".")]
    pub(crate) root: PathBuf,
    /// Policy file (default: .gate.yml, .gate.yaml or .github/gate.yml under ROOT, else built-in)
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Also inspect untracked files that git ignores
    #[arg(long)]
    pub(crate) no_ignore: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or folders to inspect
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct HashArgs {
    /// Files or folders to pin (relative to the repository root, where the policy lives)
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub(crate) format: OutputFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Lowest severity that fails the run
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub(crate) fail_on: FailOn,
    /// Worker threads for inspection (default: one per core)
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) jobs: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
}
