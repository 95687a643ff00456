//! Dependency sources read from lockfiles, pyproject tool tables and uv settings: artifact URLs
//! in `uv.lock`/`pylock.toml`/`pdm.lock`, conditional `[tool.uv.sources]`, `[tool.uv.pip]` and
//! `uv.toml`, `index-strategy`, `allow-insecure-host`, and which front ends a pyproject
//! configures. Each case in its failing shape (exact rule and place) and its safe shape.

use crate::common::{findings, findings_of};
use crate::deps_support::{EXACT, SHA_B, STRICT, assert_clean, check, place, places};
use serde_json::Value;

/// torch only from the PyTorch cu118 index. (Restricting torchtriton too would also report, in
/// every unlocked uv project here, that the transitive torchtriton is taken from PyPI: these
/// tests are about the pin of torch itself.)
const TORCH: &str = "\
version: 1
dependencies:
  indexes:
    pytorch-cu118: https://download.pytorch.org/whl/cu118
  packages:
    - names: [torch]
      allow: [pytorch-cu118]
    - names: [\"*\"]
      allow: [pypi]
";

const SHA: &str = SHA_B;

fn run(policy: &str, files: &[(&str, &str)], code: i32) -> Value {
    check(policy, files, code)
}

// ---------------------------------------------------------------- lockfile artifact URLs

const UV_PROJECT: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core==1.0.0"]

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"
explicit = true

[tool.uv.sources]
acme-core = { index = "acme" }
"#;

fn uv_lock(wheel_host: &str) -> String {
    format!(
        r#"version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "acme-core"
version = "1.0.0"
source = {{ registry = "https://pypi.acme.internal/simple" }}
sdist = {{ url = "https://pypi.acme.internal/packages/acme_core-1.0.0.tar.gz", hash = "{SHA}", size = 99 }}
wheels = [
    {{ url = "https://{wheel_host}/packages/ab/cd/acme_core-1.0.0-py3-none-any.whl", hash = "{SHA}", size = 1234 }},
]

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
fn uv_lock_wheel_url_off_the_registry_is_judged() {
    let lock = uv_lock("files.pythonhosted.org");
    let report = run(
        STRICT,
        &[("pyproject.toml", UV_PROJECT), ("uv.lock", &lock)],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "uv.lock", 11, 13)],
        "{report:#}"
    );
    let finding = findings_of(&report, "source-not-allowed")[0];
    assert_eq!(
        finding["evidence"]["source"],
        "https://files.pythonhosted.org/packages/ab/cd/acme_core-1.0.0-py3-none-any.whl"
    );
}

#[test]
fn uv_lock_artifacts_on_the_registry_host_are_clean() {
    let lock = uv_lock("pypi.acme.internal");
    let report = run(
        STRICT,
        &[("pyproject.toml", UV_PROJECT), ("uv.lock", &lock)],
        0,
    );
    assert_clean(&report);
}

fn pylock(wheel_url: &str) -> String {
    format!(
        r#"lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "acme-core"
version = "1.0.0"
index = "https://pypi.acme.internal/simple"

[[packages.wheels]]
url = "{wheel_url}"
hashes = {{ sha256 = "1c9f6f4f9f4c3f7d1f9b5f8d0e2f3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c" }}

[[packages.wheels]]
name = "acme_core-1.0.0-py3-none-manylinux_2_17_x86_64.whl"
hashes = {{ sha256 = "1c9f6f4f9f4c3f7d1f9b5f8d0e2f3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c" }}
"#
    )
}

#[test]
fn pylock_wheel_url_wins_over_index() {
    let lock = pylock("https://evil.example/acme_core-1.0.0-py3-none-any.whl");
    let report = run(STRICT, &[("pylock.toml", &lock)], 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pylock.toml", 10, 7)],
        "{report:#}"
    );
}

#[test]
fn pylock_wheel_url_on_the_index_host_is_clean() {
    let lock = pylock("https://pypi.acme.internal/packages/acme_core-1.0.0-py3-none-any.whl");
    let report = run(STRICT, &[("pylock.toml", &lock)], 0);
    assert_clean(&report);
}

fn pdm_lock(second_host: &str) -> String {
    format!(
        r#"[metadata]
groups = ["default"]
strategy = ["static_urls"]
lock_version = "4.5.0"

[[package]]
name = "acme-core"
version = "1.0.0"
files = [
    {{url = "https://pypi.acme.internal/packages/acme_core-1.0.0.tar.gz", hash = "{SHA}"}},
    {{url = "https://{second_host}/packages/acme_core-1.0.0-py3-none-any.whl", hash = "{SHA}"}},
]
"#
    )
}

#[test]
fn pdm_lock_every_file_url_is_judged_not_only_the_first() {
    let lock = pdm_lock("evil.example");
    let report = run(STRICT, &[("pdm.lock", &lock)], 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pdm.lock", 11, 12)],
        "{report:#}"
    );
}

#[test]
fn pdm_lock_file_urls_on_the_allowed_host_are_clean() {
    let lock = pdm_lock("pypi.acme.internal");
    let report = run(STRICT, &[("pdm.lock", &lock)], 0);
    assert_clean(&report);
}

// ---------------------------------------------------------------- conditional uv sources

fn torch_project(source: &str) -> String {
    format!(
        r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["torch==2.0.0"]

[[tool.uv.index]]
name = "pytorch-cu118"
url = "https://download.pytorch.org/whl/cu118"
explicit = true

[tool.uv.sources]
{source}
"#
    )
}

#[test]
fn uv_source_with_marker_falls_back_to_the_default_index() {
    let project = torch_project(
        r#"torch = [{ index = "pytorch-cu118", marker = "sys_platform == 'linux'" }]"#,
    );
    let report = run(TORCH, &[("pyproject.toml", &project)], 1);
    // Reported at the marker: where it does not hold, uv takes torch from PyPI.
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pyproject.toml", 12, 46)],
        "{report:#}"
    );
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("PyPI (uv's default)"), "{message}");
}

#[test]
fn uv_source_list_with_markers_still_falls_back() {
    let project = torch_project(
        r#"torch = [
    { index = "pytorch-cu118", marker = "sys_platform == 'linux'" },
    { index = "pytorch-cu118", marker = "sys_platform == 'win32'" },
]"#,
    );
    let report = run(TORCH, &[("pyproject.toml", &project)], 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pyproject.toml", 13, 41)],
        "{report:#}"
    );
}

#[test]
fn uv_source_without_marker_pins_everywhere() {
    let project = torch_project(r#"torch = [{ index = "pytorch-cu118" }]"#);
    let report = run(TORCH, &[("pyproject.toml", &project)], 0);
    assert_clean(&report);
}

#[test]
fn uv_source_for_the_extra_that_declares_the_dependency_pins_it() {
    let project = r#"[project]
name = "app"
version = "0.1.0"

[project.optional-dependencies]
cu118 = ["torch==2.0.0"]

[[tool.uv.index]]
name = "pytorch-cu118"
url = "https://download.pytorch.org/whl/cu118"
explicit = true

[tool.uv.sources]
torch = [{ index = "pytorch-cu118", extra = "cu118" }]
"#;
    let report = run(TORCH, &[("pyproject.toml", project)], 0);
    assert_clean(&report);
    // The same source for a dependency of the project itself applies only with the extra.
    let base = project.replace(
        "version = \"0.1.0\"\n\n[project.optional-dependencies]\ncu118 = [\"torch==2.0.0\"]",
        "version = \"0.1.0\"\ndependencies = [\"torch==2.0.0\"]\n\n[project.optional-dependencies]\ncu118 = []",
    );
    let report = run(TORCH, &[("pyproject.toml", &base)], 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pyproject.toml", 15, 45)],
        "{report:#}"
    );
}

// ---------------------------------------------------------------- uv pip settings

#[test]
fn uv_pip_extra_index_in_pyproject_is_an_index_uv_uses() {
    let project = r#"[project]
name = "app"
version = "0.1.0"

[tool.uv.pip]
extra-index-url = ["https://mirror.example/simple"]
"#;
    let report = run(STRICT, &[("pyproject.toml", project)], 1);
    assert_eq!(
        places(&report),
        vec![place("index-not-allowed", "pyproject.toml", 6, 20)],
        "{report:#}"
    );
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("uv would use"), "{message}");
}

#[test]
fn uv_pip_extra_index_is_searched_before_the_index_url() {
    // `uv sync` uses the internal index only; `uv pip` commands also get the extra index, which
    // uv asks before the default one: PyPI is asked for acme-core first.
    let project = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core==1.0.0"]

[tool.uv]
index-url = "https://pypi.acme.internal/simple"

[tool.uv.pip]
extra-index-url = ["https://pypi.org/simple"]
"#;
    let report = run(STRICT, &[("pyproject.toml", project)], 1);
    assert_eq!(
        places(&report),
        vec![
            place("dependency-confusion", "pyproject.toml", 4, 17),
            place("dependency-confusion", "pyproject.toml", 10, 20),
        ],
        "{report:#}"
    );
}

#[test]
fn uv_toml_pip_section_is_read() {
    let report = run(
        STRICT,
        &[(
            "uv.toml",
            "[pip]\nfind-links = [\"https://mirror.example/wheels/\"]\n",
        )],
        1,
    );
    assert_eq!(
        places(&report),
        vec![place("index-not-allowed", "uv.toml", 2, 15)],
        "{report:#}"
    );
}

#[test]
fn uv_pip_settings_on_allowed_indexes_are_clean() {
    let project = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core==1.0.0"]

[tool.uv]
index-url = "https://pypi.acme.internal/simple"

[tool.uv.pip]
index-url = "https://pypi.acme.internal/simple"
"#;
    let report = run(STRICT, &[("pyproject.toml", project)], 0);
    assert_clean(&report);
}

// ---------------------------------------------------------------- index strategy

const ACME_EXTRA: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core>=1.0"]

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"
"#;

#[test]
fn uv_toml_index_strategy_applies_to_the_project() {
    let report = run(STRICT, &[("pyproject.toml", ACME_EXTRA)], 0);
    assert_clean(&report);
    let report = run(
        STRICT,
        &[
            ("pyproject.toml", ACME_EXTRA),
            ("uv.toml", "index-strategy = \"unsafe-best-match\"\n"),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![
            place("dependency-confusion", "pyproject.toml", 4, 17),
            place("dependency-confusion", "pyproject.toml", 8, 7),
        ],
        "{report:#}"
    );
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("unsafe-best-match"), "{message}");
}

#[test]
fn tool_uv_unsafe_strategies_merge_indexes() {
    for strategy in ["unsafe-best-match", "unsafe-first-match"] {
        let project = format!("{ACME_EXTRA}\n[tool.uv]\nindex-strategy = \"{strategy}\"\n");
        let report = run(STRICT, &[("pyproject.toml", &project)], 1);
        assert_eq!(
            places(&report),
            vec![
                place("dependency-confusion", "pyproject.toml", 4, 17),
                place("dependency-confusion", "pyproject.toml", 8, 7),
            ],
            "{strategy}: {report:#}"
        );
    }
}

// ---------------------------------------------------------------- allow-insecure-host

#[test]
fn uv_allow_insecure_host_is_insecure_index() {
    let project = r#"[project]
name = "app"
version = "0.1.0"

[tool.uv]
allow-insecure-host = ["pypi.acme.internal"]

[tool.uv.pip]
allow-insecure-host = ["mirror.acme.internal"]
"#;
    let report = run(
        STRICT,
        &[
            ("pyproject.toml", project),
            (
                "uv.toml",
                "allow-insecure-host = [\"other.acme.internal\"]\n",
            ),
        ],
        1,
    );
    assert_eq!(
        places(&report),
        vec![
            place("insecure-index", "pyproject.toml", 6, 24),
            place("insecure-index", "pyproject.toml", 9, 24),
            place("insecure-index", "uv.toml", 1, 24),
        ],
        "{report:#}"
    );
    let report = run(
        STRICT,
        &[(
            "pyproject.toml",
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.uv]\nnative-tls = true\n",
        )],
        0,
    );
    assert_clean(&report);
}

// ---------------------------------------------------------------- which front end

const PDM_BACKEND_UV: &str = r#"[build-system]
requires = ["pdm-backend"]
build-backend = "pdm.backend"

[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-core==1.0.0"]

[tool.pdm.build]
includes = ["src/app"]

[tool.pdm.version]
source = "scm"

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"
explicit = true

[tool.uv.sources]
acme-core = { index = "acme" }
"#;

#[test]
fn pdm_backend_build_table_is_not_a_pdm_project() {
    let report = run(EXACT, &[("pyproject.toml", PDM_BACKEND_UV)], 0);
    assert_clean(&report);
}

#[test]
fn pdm_front_end_config_is_read_alongside_uv() {
    // `[tool.pdm.resolution]` configures PDM itself: `pdm install` would take acme-core from
    // PyPI, whatever `[tool.uv.sources]` says.
    let project = format!("{PDM_BACKEND_UV}\n[tool.pdm.resolution]\nrespect-source-order = true\n");
    let report = run(EXACT, &[("pyproject.toml", &project)], 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "pyproject.toml", 8, 17)],
        "{report:#}"
    );
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("PDM"), "{message}");
}

#[test]
fn poetry_table_does_not_hide_tool_uv() {
    let project = r#"[project]
name = "app"
version = "0.1.0"

[tool.poetry]
packages = [{ include = "app" }]

[tool.uv]
extra-index-url = ["https://mirror.example/simple"]
"#;
    let report = run(STRICT, &[("pyproject.toml", project)], 1);
    assert_eq!(
        places(&report),
        vec![place("index-not-allowed", "pyproject.toml", 9, 20)],
        "{report:#}"
    );
}
