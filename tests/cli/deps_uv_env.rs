//! uv settings combined from several places: a uv command reads the project's configuration
//! (`uv.toml`, `[tool.uv]`, `[tool.uv.pip]`) found from the folder it runs in, under its own
//! flags and the `UV_*` environment. `uv sync` under `UV_INDEX_STRATEGY`, `uv pip install
//! --index-url` under a project `extra-index-url`: each case in its failing shape (exact rule
//! and place) and its safe shapes (`--no-config`, `--locked` with a lock, nothing to merge).

use crate::deps_support::{self as support, ACME, EXACT, SHA_B, assert_clean, check, places_with};
use serde_json::Value;

const SHA: &str = SHA_B;

fn run(files: &[(&str, &str)], code: i32) -> Value {
    check(EXACT, files, code)
}

/// (rule, path, line) of every finding, with its include chain.
fn places(report: &Value) -> Vec<(String, String, u64, Vec<String>)> {
    places_with(report, |f| {
        f["evidence"]["include-chain"]
            .as_array()
            .map(|links| {
                links
                    .iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn place(rule: &str, path: &str, line: u64, chain: &[&str]) -> (String, String, u64, Vec<String>) {
    support::place(
        rule,
        path,
        line,
        chain.iter().map(|c| (*c).to_owned()).collect(),
    )
}

// ---------------------------------------------------------------- uv project commands

/// A uv project with a non-explicit internal index and no lock: first-index keeps acme-core on
/// the internal index, which is asked before PyPI.
const PROJECT: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core>=1.0"]

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"
"#;

fn workflow(env: &str, run: &str) -> String {
    format!(
        "name: ci
on: [push]
{env}jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: {run}
"
    )
}

const STRATEGY_ENV: &str = "env:\n  UV_INDEX_STRATEGY: unsafe-best-match\n";

#[test]
fn uv_sync_under_index_strategy_env_merges_pypi() {
    let report = run(
        &[
            ("pyproject.toml", PROJECT),
            (
                ".github/workflows/ci.yml",
                &workflow(STRATEGY_ENV, "uv sync"),
            ),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place(
            "dependency-confusion",
            "pyproject.toml",
            4,
            &[".github/workflows/ci.yml:10"]
        )],
        "{report:#}"
    );
}

#[test]
fn uv_sync_without_settings_is_the_project_itself() {
    let report = run(
        &[
            ("pyproject.toml", PROJECT),
            (".github/workflows/ci.yml", &workflow("", "uv sync")),
        ],
        0,
    );
    assert_clean(&report);
}

#[test]
fn uv_run_and_lock_flags_and_shell_env_reach_the_project() {
    // `--index-strategy` on the command line, and `UV_INDEX_STRATEGY` exported in a script.
    let report = run(
        &[
            ("pyproject.toml", PROJECT),
            (
                ".github/workflows/ci.yml",
                &workflow("", "uv run --index-strategy unsafe-best-match pytest"),
            ),
            (
                "ci.sh",
                "#!/bin/sh\nexport UV_INDEX_STRATEGY=unsafe-best-match\nuv lock\n",
            ),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![
            place(
                "dependency-confusion",
                "pyproject.toml",
                4,
                &[".github/workflows/ci.yml:8"]
            ),
            place("dependency-confusion", "pyproject.toml", 4, &["ci.sh:3"]),
        ],
        "{report:#}"
    );
}

#[test]
fn uv_sync_with_an_extra_index_from_env_is_asked_first() {
    // `UV_INDEX` adds PyPI before the project's internal index: first-index takes PyPI's.
    let env = "env:\n  UV_INDEX: https://pypi.org/simple\n";
    let report = run(
        &[
            ("pyproject.toml", PROJECT),
            (".github/workflows/ci.yml", &workflow(env, "uv sync")),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place(
            "dependency-confusion",
            "pyproject.toml",
            4,
            &[".github/workflows/ci.yml:10"]
        )],
        "{report:#}"
    );
}

#[test]
fn uv_sync_in_a_working_directory_reads_that_project() {
    let workflow = "name: ci
on: [push]
env:
  UV_INDEX_STRATEGY: unsafe-best-match
jobs:
  test:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: backend
    steps:
      - run: uv sync
";
    let report = run(
        &[
            ("backend/pyproject.toml", PROJECT),
            (".github/workflows/ci.yml", workflow),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place(
            "dependency-confusion",
            "backend/pyproject.toml",
            4,
            &[".github/workflows/ci.yml:12"]
        )],
        "{report:#}"
    );
}

fn uv_lock() -> String {
    format!(
        r#"version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "acme-core"
version = "1.0.0"
source = {{ registry = "https://pypi.acme.internal/simple" }}
sdist = {{ url = "https://pypi.acme.internal/packages/acme_core-1.0.0.tar.gz", hash = "{SHA}", size = 99 }}

[[package]]
name = "app"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [
    {{ name = "acme-core" }},
]
"#
    )
}

#[test]
fn uv_sync_locked_with_a_lock_installs_the_lock() {
    let lock = uv_lock();
    for run_line in ["uv sync --locked", "uv sync --frozen"] {
        let report = run(
            &[
                ("pyproject.toml", PROJECT),
                ("uv.lock", &lock),
                (
                    ".github/workflows/ci.yml",
                    &workflow(STRATEGY_ENV, run_line),
                ),
            ],
            0,
        );
        assert_clean(&report);
    }
}

#[test]
fn uv_sync_no_config_ignores_the_project_indexes() {
    // The project's internal index is not read: acme-core is asked of PyPI alone.
    let report = run(
        &[
            ("pyproject.toml", PROJECT),
            (
                ".github/workflows/ci.yml",
                &workflow("", "uv sync --no-config"),
            ),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place(
            "source-not-allowed",
            "pyproject.toml",
            4,
            &[".github/workflows/ci.yml:8"]
        )],
        "{report:#}"
    );
}

// ---------------------------------------------------------------- uv pip and project settings

fn pip_workflow(flags: &str) -> String {
    workflow(
        "",
        &format!("uv pip install --system {flags}--index-url {ACME} acme-core==1.0.0"),
    )
}

#[test]
fn uv_pip_install_merges_the_project_pip_extra_index() {
    let pyproject = "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.uv.pip]\nextra-index-url = [\"https://pypi.org/simple\"]\n";
    let report = run(
        &[
            ("pyproject.toml", pyproject),
            (".github/workflows/ci.yml", &pip_workflow("")),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place(
            "dependency-confusion",
            ".github/workflows/ci.yml",
            8,
            &[]
        )],
        "{report:#}"
    );
}

#[test]
fn uv_pip_install_merges_top_level_and_uv_toml_indexes() {
    let top_level = "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.uv]\nextra-index-url = [\"https://pypi.org/simple\"]\n";
    let index = "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[tool.uv.index]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\n";
    let uv_toml = "[pip]\nextra-index-url = [\"https://pypi.org/simple\"]\n";
    for files in [
        vec![("pyproject.toml", top_level)],
        vec![("pyproject.toml", index)],
        vec![("uv.toml", uv_toml)],
    ] {
        let wf = pip_workflow("");
        let mut all = files.clone();
        all.push((".github/workflows/ci.yml", &wf));
        let report = run(&all, 1);
        assert_eq!(
            places(&report),
            vec![place(
                "dependency-confusion",
                ".github/workflows/ci.yml",
                8,
                &[]
            )],
            "{files:?}: {report:#}"
        );
    }
}

#[test]
fn uv_pip_install_without_a_project_extra_index_is_safe() {
    let plain = "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.uv]\nindex-url = \"https://pypi.org/simple\"\n";
    let report = run(
        &[
            ("pyproject.toml", plain),
            (".github/workflows/ci.yml", &pip_workflow("")),
        ],
        0,
    );
    assert_clean(&report);
}

#[test]
fn uv_pip_install_no_config_reads_no_project_settings() {
    let pyproject = "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.uv.pip]\nextra-index-url = [\"https://pypi.org/simple\"]\n";
    for flags in ["--no-config ", "--isolated "] {
        let report = run(
            &[
                ("pyproject.toml", pyproject),
                (".github/workflows/ci.yml", &pip_workflow(flags)),
            ],
            0,
        );
        assert_clean(&report);
    }
    let env = workflow(
        "env:\n  UV_NO_CONFIG: \"1\"\n",
        &format!("uv pip install --system --index-url {ACME} acme-core==1.0.0"),
    );
    let report = run(
        &[
            ("pyproject.toml", pyproject),
            (".github/workflows/ci.yml", &env),
        ],
        0,
    );
    assert_clean(&report);
}
