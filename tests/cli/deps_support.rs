//! What the dependency-source tests share: the policies they judge against, a repository made
//! from a policy and files, the JSON report checked against the v1 schema, and findings reduced
//! to the places they point at.

use crate::common::{Repo, findings, manifest_dir};
use serde_json::Value;

pub(crate) const ACME: &str = "https://pypi.acme.internal/simple";

/// acme-* and torchtriton only from the internal index, everything else from PyPI.
pub(crate) const STRICT: &str = "\
version: 1
dependencies:
  indexes:
    acme: https://pypi.acme.internal/simple
  packages:
    - names: [\"acme-*\", torchtriton]
      allow: [acme]
    - names: [\"*\"]
      allow: [pypi]
";

/// acme-core only from the internal index, everything else from PyPI. Exact names only, so that
/// the transitive-name check (restricted names or globs a manifest does not list) stays out of
/// the way of tests about how a front end is read: their projects list acme-core.
pub(crate) const EXACT: &str = "\
version: 1
dependencies:
  indexes:
    acme: https://pypi.acme.internal/simple
  packages:
    - names: [acme-core]
      allow: [acme]
    - names: [\"*\"]
      allow: [pypi]
";

pub(crate) const SHA_A: &str =
    "sha256:0b8f5f3e8e3b2e6c0e8a4e7c9d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";
pub(crate) const SHA_B: &str =
    "sha256:1c9f6f4f9f4c3f7d1f9b5f8d0e2f3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c";

pub(crate) fn repo_with(policy: &str, files: &[(&str, &str)]) -> Repo {
    let repo = Repo::new();
    repo.policy(policy);
    for (path, contents) in files {
        repo.write(path, contents);
    }
    repo
}

/// Runs `gate check --format json`, checks the exit code and the v1 schema, returns the report.
pub(crate) fn run_json(repo: &Repo, code: i32) -> Value {
    let out = repo.check().args(["--format", "json"]).run();
    out.code(code);
    let report = out.json();
    let path = manifest_dir().join("tests/schemas/report-v1.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "not a v1 report: {errors:?}\n{report:#}");
    report
}

/// `run_json` on a new repository holding `policy` and `files`.
pub(crate) fn check(policy: &str, files: &[(&str, &str)], code: i32) -> Value {
    run_json(&repo_with(policy, files), code)
}

/// (rule, path, line, what `detail` reads off the finding) of every finding, as reported.
pub(crate) fn places_with<T>(
    report: &Value,
    detail: impl Fn(&Value) -> T,
) -> Vec<(String, String, u64, T)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or(0),
                detail(f),
            )
        })
        .collect()
}

/// (rule, path, line, column) of every finding, as reported.
pub(crate) fn places(report: &Value) -> Vec<(String, String, u64, u64)> {
    places_with(report, |f| f["column"].as_u64().unwrap_or(0))
}

pub(crate) fn place<T>(rule: &str, path: &str, line: u64, detail: T) -> (String, String, u64, T) {
    (rule.to_owned(), path.to_owned(), line, detail)
}

pub(crate) fn assert_clean(report: &Value) {
    assert!(
        findings(report).is_empty(),
        "a safe configuration has no findings: {report:#}"
    );
}

/// A workflow running `steps` (YAML list items indented for `steps:`) in one job.
pub(crate) fn workflow(steps: &str) -> String {
    format!("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")
}
