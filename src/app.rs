//! Runs the subcommands: wires discover → inspect → judge → report and decides the exit code.

use crate::cli::{CheckArgs, Command, FailOn, OutputArgs, OutputFormat, PolicyCommand, ScanArgs};
use crate::discover::{self, Discovery};
use crate::finding::Severity;
use crate::hash::{self, ProgressPolicy, Want};
use crate::inspect::datasets;
use crate::inspect::{self, Inspection, Outcome};
use crate::judge;
use crate::policy::{Diagnostic, Policy, PolicyError, PolicySource};
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
    refuse_unenforced(&policy, &source)?;
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
    emit(&report, &args.output)
}

fn scan(args: &ScanArgs) -> Result<ExitCode, AppError> {
    let source = PolicySource::built_in();
    let policy = source.load()?;
    let discovery = discover::explicit(&args.paths);
    let report = evaluate(&policy, discovery, None, &args.output, ".".to_owned())?;
    emit(&report, &args.output)
}

/// Hashes what datasets and waivers need (each file once), inspects every discovered file in
/// parallel and judges the result. `dataset_root` is ROOT for `gate check`; `gate scan` has none
/// and checks no datasets.
fn evaluate(
    policy: &Policy,
    discovery: Discovery,
    dataset_root: Option<&Path>,
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
    let canonical_root =
        dataset_root.map(|root| std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()));
    let open_path = |candidate: &discover::Candidate| match (dataset_root, &canonical_root) {
        (Some(root), Some(canonical)) => datasets::open_path(root, canonical, candidate),
        _ => candidate.path.clone(),
    };
    let mut requests = hash::Requests::default();
    let plan = dataset_root.map(|root| {
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
    let progress = ProgressPolicy::detect(output.format == OutputFormat::Json);
    let hashes = if requests.is_empty() {
        hash::Hashes::default()
    } else {
        pool.install(|| hash::hash_all(requests, progress))
    };
    let dataset_facts = plan.map(|plan| plan.observe(&hashes)).unwrap_or_default();
    let outcomes: Vec<Outcome> = pool.install(|| {
        discovery
            .files
            .par_iter()
            .map(|candidate| {
                let mut outcome = inspect::inspect(candidate);
                if let Outcome::Inspected(inspection) = &mut outcome {
                    inspection.sha256 = hashes.sha256(&open_path(candidate));
                }
                outcome
            })
            .collect()
    });
    let mut special = discovery.special;
    let inspections: Vec<Inspection> = outcomes
        .into_iter()
        .filter_map(|outcome| match outcome {
            Outcome::Inspected(inspection) => Some(inspection),
            Outcome::NotRegular => {
                special += 1;
                None
            }
        })
        .collect();
    if special > 0 {
        tracing::info!(
            special,
            "special files (FIFOs, sockets, devices) passed over"
        );
    }
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let verdict = judge::judge(
        policy,
        &inspections,
        &discovery.obstacles,
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

fn emit(report: &Report, output: &OutputArgs) -> Result<ExitCode, AppError> {
    let text = match output.format {
        OutputFormat::Json => report::json::render(report)?,
        OutputFormat::Human => report::human::render(report),
    };
    write_output(&text, output.output.as_deref())?;
    Ok(ExitCode::from(if report.passed() {
        PASSED
    } else {
        VIOLATED
    }))
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

/// Sections the user filled in that this build cannot enforce make `gate check` stop: passing a
/// repository whose dependency sources were never checked would be a lie.
fn refuse_unenforced(policy: &Policy, source: &PolicySource) -> Result<(), PolicyError> {
    let unenforced = policy.unenforced();
    if unenforced.is_empty() {
        return Ok(());
    }
    Err(PolicyError::Invalid {
        path: source.name.clone(),
        source_text: source.text.clone(),
        diagnostics: unenforced
            .into_iter()
            .map(|u| Diagnostic {
                message: format!("`{}` is not enforced by this version of gate", u.what),
                span: u.span,
                label: "gate would pass without checking this".to_owned(),
                help: Some("remove the entry, or use a gate release that checks it".to_owned()),
            })
            .collect(),
    })
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
    let policy = source.load()?;
    for unenforced in policy.unenforced() {
        tracing::warn!(
            "{}:{}: `{}` is valid but not enforced by this version of gate; `gate check` refuses it",
            source.name,
            unenforced.span.line,
            unenforced.what
        );
    }
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
