//! Runs the subcommands: wires discover → inspect → judge → report and decides the exit code.

use crate::cli::{
    CheckArgs, Command, FailOn, GithubArgs, OutputArgs, OutputFormat, PolicyCommand, ScanArgs,
};
use crate::deps;
use crate::discover::{self, Discovery};
use crate::finding::Severity;
use crate::hash::{self, ProgressPolicy, Want};
use crate::inspect::datasets;
use crate::inspect::{self, Inspection};
use crate::judge;
use crate::policy::{Policy, PolicyError, PolicySource};
use crate::report::{self, Artifact, Report};
use crate::rules;
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Exit codes (SPEC): nothing else is ever returned.
pub(crate) const PASSED: u8 = 0;
pub(crate) const VIOLATED: u8 = 1;
pub(crate) const ERROR: u8 = 2;

/// Errors that end a run with exit code 2: nothing was judged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("{path} is not a folder")]
    RootNotFolder { path: String },
    #[error("{path} exists; `gate init` never overwrites a policy")]
    PolicyExists { path: String },
    #[error("cannot write the report to {path}: {source}")]
    Output {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render the report: {0}")]
    Render(#[from] serde_json::Error),
    #[error("cannot start {jobs} worker threads: {source}")]
    Threads {
        jobs: u16,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    #[error(transparent)]
    Hash(#[from] crate::pin::HashError),
    #[error("unknown rule `{id}`{}", .suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownRule {
        id: String,
        suggestion: Option<String>,
    },
}

impl AppError {
    /// The message for standard error, with snippets for policy errors.
    pub(crate) fn render(&self, styled: bool) -> String {
        match self {
            Self::Policy(error) => error.render(styled),
            other => format!("error: {other}"),
        }
    }
}

pub(crate) fn run(command: Command) -> Result<ExitCode, AppError> {
    match command {
        Command::Check(args) => check(&args),
        Command::Scan(args) => scan(&args),
        Command::Explain { rule } => explain(rule.as_deref()),
        Command::Hash(args) => hash_paths(&args.paths),
        Command::Policy(PolicyCommand::Check { file }) => policy_check(file.as_deref()),
        Command::Init { root } => crate::init::run(&root),
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode, AppError> {
    let root = args.root.as_path();
    if !root.is_dir() {
        return Err(AppError::RootNotFolder {
            path: root.display().to_string(),
        });
    }
    let source = PolicySource::find(root, args.policy.as_deref())?;
    let policy = source.load()?;
    let discovery = discover::discover(
        root,
        discover::Options {
            no_ignore: args.no_ignore,
        },
        &|path, is_dir| policy.excludes(path, is_dir),
    );
    tracing::debug!(
        files = discovery.files.len(),
        source = discovery.source,
        "discovered"
    );
    let report = evaluate(&policy, discovery, Some(root), &args.output, ".".to_owned())?;
    let prefix = report::github::workspace_prefix(root);
    emit(&report, &args.output, &prefix, Some(&args.github))
}

fn scan(args: &ScanArgs) -> Result<ExitCode, AppError> {
    let source = PolicySource::built_in();
    let policy = source.load()?;
    let discovery = discover::explicit(&args.paths);
    let report = evaluate(&policy, discovery, None, &args.output, ".".to_owned())?;
    emit(&report, &args.output, "", None)
}

/// Hashes what datasets and waivers need (each file once), inspects every discovered file in
/// parallel and judges the result. `check_root` is ROOT for `gate check`, where datasets and
/// Python dependency declarations are read too; `gate scan` has none.
fn evaluate(
    policy: &Policy,
    discovery: Discovery,
    check_root: Option<&Path>,
    output: &OutputArgs,
    root: String,
) -> Result<Report, AppError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = output.jobs {
        builder = builder.num_threads(usize::from(jobs));
    }
    let pool = builder.build().map_err(|source| AppError::Threads {
        jobs: output.jobs.unwrap_or(0),
        source,
    })?;
    let needs_hash = |display: &str| {
        policy
            .waivers
            .iter()
            .any(|w| w.sha256.is_some() && w.matches_path(display))
    };
    let limits = inspect::ContainerLimits {
        max_members: policy.models.max_archive_members,
        max_uncompressed: policy.models.max_uncompressed_size,
        max_seconds: policy.models.max_seconds_per_file,
        pickle: crate::pickle::machine::Limits {
            opcodes: policy.models.max_pickle_opcodes,
            stack: usize::try_from(policy.models.max_pickle_stack).unwrap_or(usize::MAX),
            memo: usize::try_from(policy.models.max_pickle_memo).unwrap_or(usize::MAX),
            depth: u8::try_from(policy.models.max_nesting_depth).unwrap_or(u8::MAX),
            ..crate::pickle::machine::Limits::DEFAULT
        },
    };
    let canonical_root =
        check_root.map(|root| std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()));
    let open_path = |candidate: &discover::Candidate| match (check_root, &canonical_root) {
        (Some(root), Some(canonical)) => datasets::open_path(root, canonical, candidate),
        _ => candidate.path.clone(),
    };
    let mut requests = hash::Requests::default();
    let plan = check_root.map(|root| {
        let request = datasets::Request {
            pins: policy
                .datasets
                .files
                .iter()
                .map(|p| p.path.as_str())
                .collect(),
            manifests: policy
                .datasets
                .manifests
                .iter()
                .map(|m| m.value.as_str())
                .collect(),
        };
        datasets::plan(root, &request, &discovery.files, &mut requests)
    });
    for candidate in &discovery.files {
        if needs_hash(&candidate.display) {
            requests.add(&open_path(candidate), Want::SHA256);
        }
    }
    let progress = ProgressPolicy::detect(output.format() != OutputFormat::Human);
    let hashes = if requests.is_empty() {
        hash::Hashes::default()
    } else {
        pool.install(|| hash::hash_all(requests, progress))
    };
    let dataset_facts = plan.map(|plan| plan.observe(&hashes)).unwrap_or_default();
    let inspections: Vec<Inspection> = pool.install(|| {
        discovery
            .files
            .par_iter()
            .map(|candidate| {
                let mut inspection = inspect::inspect(candidate, limits);
                inspection.sha256 = hashes.sha256(&open_path(candidate));
                inspection
            })
            .collect()
    });
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let dependencies = check_root
        .map(|root| pool.install(|| deps::collect(root, &discovery.files)))
        .unwrap_or_default();
    let verdict = judge::judge(
        policy,
        &inspections,
        &discovery.obstacles,
        &dependencies,
        &dataset_facts,
        today,
    );
    let mut artifacts: Vec<Artifact> = inspections
        .iter()
        .filter_map(Artifact::from_inspection)
        .collect();
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Report {
        root,
        policy: policy.name.clone(),
        fail_on: match output.fail_on {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        },
        files: inspections.len(),
        artifacts,
        findings: verdict.findings,
        waived: verdict.waived,
    })
}

/// Renders the report, writes the side outputs, then reports to the pull request. Only the
/// primary output can fail the run; side outputs and the GitHub API only warn.
fn emit(
    report: &Report,
    output: &OutputArgs,
    prefix: &str,
    github: Option<&GithubArgs>,
) -> Result<ExitCode, AppError> {
    let format = output.format();
    let text = match format {
        OutputFormat::Json => report::json::render(report)?,
        OutputFormat::Human => report::human::render(report),
        OutputFormat::Sarif => report::sarif::render(report, prefix)?,
        OutputFormat::Github => {
            let human = report::human::render(report);
            let plain = anstream::adapter::strip_str(&human).to_string();
            report::github::render_annotations(report, prefix, &plain)
        }
    };
    write_output(&text, output.output.as_deref())?;
    let sarif_file = github
        .and_then(|g| g.sarif.as_deref())
        .and_then(|path| write_sarif(report, prefix, path));
    if format == OutputFormat::Github {
        report::github::write_step_files(report, prefix, sarif_file.as_deref());
    }
    if let Some(github) = github
        && (github.pr_comment || github.check_run)
    {
        report::pull_request::publish(report, prefix, github.pr_comment, github.check_run);
    }
    Ok(ExitCode::from(if report.passed() {
        PASSED
    } else {
        VIOLATED
    }))
}

/// Writes the SARIF side output; returns its path as given, or warns and returns nothing.
fn write_sarif(report: &Report, prefix: &str, path: &Path) -> Option<String> {
    let written = report::sarif::render(report, prefix)
        .map_err(|e| e.to_string())
        .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
    match written {
        Ok(()) => Some(path.display().to_string()),
        Err(error) => {
            tracing::warn!(
                "cannot write SARIF to {}: {error}; the verdict is unchanged",
                path.display()
            );
            None
        }
    }
}

/// Writes to the file (without colour) or to standard output (colour only on a terminal that
/// wants it: anstream honours NO_COLOR, CLICOLOR and CLICOLOR_FORCE).
fn write_output(text: &str, file: Option<&Path>) -> Result<(), AppError> {
    match file {
        Some(path) => {
            let plain = anstream::adapter::strip_str(text).to_string();
            std::fs::write(path, plain).map_err(|source| AppError::Output {
                path: path.display().to_string(),
                source,
            })
        }
        None => {
            let mut stdout = anstream::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|source| AppError::Output {
                    path: "standard output".to_owned(),
                    source,
                })
        }
    }
}

fn hash_paths(paths: &[std::path::PathBuf]) -> Result<ExitCode, AppError> {
    let text = crate::pin::entries(paths, ProgressPolicy::detect(false))?;
    write_output(&text, None)?;
    Ok(ExitCode::from(PASSED))
}

fn explain(rule: Option<&str>) -> Result<ExitCode, AppError> {
    let text = match rule {
        None => {
            let width = rules::ALL.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut text = String::new();
            for rule in rules::ALL {
                text.push_str(&format!(
                    "{:width$}  {:7}  {}\n",
                    rule.id,
                    rule.default_severity.name(),
                    rule.summary
                ));
            }
            text.push_str("\n`gate explain RULE` shows one rule's documentation.\n");
            text
        }
        Some(id) => {
            let Some(rule) = rules::find(id) else {
                let suggestion = rules::ALL
                    .iter()
                    .map(|r| (strsim::levenshtein(id, r.id), r.id))
                    .filter(|(d, _)| *d <= 3)
                    .min()
                    .map(|(_, s)| s.to_owned());
                return Err(AppError::UnknownRule {
                    id: id.to_owned(),
                    suggestion,
                });
            };
            format!(
                "# {}\n\n{}.\n\nDefault severity: {}.{}\n\n{}\n",
                rule.id,
                capitalise(rule.summary),
                rule.default_severity,
                if rule.waiver_needs_sha256 {
                    " Waivers must name the file's sha256."
                } else {
                    ""
                },
                rule.docs
            )
        }
    };
    write_output(&text, None)?;
    Ok(ExitCode::from(PASSED))
}

fn policy_check(file: Option<&Path>) -> Result<ExitCode, AppError> {
    let source = match file {
        Some(path) => PolicySource::read(path, None)?,
        None => PolicySource::find(Path::new("."), None)?,
    };
    source.load()?;
    write_output(&format!("ok: {}\n", source.name), None)?;
    Ok(ExitCode::from(PASSED))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
