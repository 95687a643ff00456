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
    /// Write a starter .gate.yml from what ROOT contains (never overwrites a policy)
    Init {
        /// Repository folder
        #[arg(default_value = ".")]
        root: PathBuf,
    },
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
    #[command(flatten)]
    pub(crate) github: GithubArgs,
}

/// Side outputs and pull-request reporting; none of them changes the verdict.
#[derive(Debug, Args)]
pub(crate) struct GithubArgs {
    /// Also write the findings as SARIF 2.1.0 to FILE (for GitHub code scanning)
    #[arg(long, value_name = "FILE")]
    pub(crate) sarif: Option<PathBuf>,
    /// Create or update one sticky comment on the pull request (GITHUB_TOKEN, GITHUB_EVENT_PATH)
    #[arg(long)]
    pub(crate) pr_comment: bool,
    /// Create a check run with annotations on the pull request's head commit
    #[arg(long)]
    pub(crate) check_run: bool,
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
    /// Output format [default: github when GITHUB_ACTIONS=true, else human]
    #[arg(long, value_enum)]
    pub(crate) format: Option<OutputFormat>,
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
    /// SARIF 2.1.0
    Sarif,
    /// Workflow-command annotations, plus the job summary and step outputs when run in Actions
    Github,
}

impl OutputArgs {
    /// The format asked for, else `github` inside GitHub Actions, else `human`.
    pub(crate) fn format(&self) -> OutputFormat {
        self.format.unwrap_or_else(|| {
            if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                OutputFormat::Github
            } else {
                OutputFormat::Human
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
}
