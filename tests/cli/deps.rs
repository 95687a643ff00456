//! Dependency sources: every front end in its failing shape and its safe shape, positions and
//! include chains, hygiene rules, and the torchtriton example.

use crate::common::{Gate, Repo, findings, findings_of, manifest_dir};
use crate::deps_support::{
    ACME, SHA_A, SHA_B, STRICT, assert_clean, place, places, repo_with, run_json,
};
use serde_json::Value;

/// acme-* only from the internal index; other names from either (it proxies PyPI).
const PROXY: &str = "\
version: 1
dependencies:
  indexes:
    acme: https://pypi.acme.internal/simple
  packages:
    - names: [\"acme-*\"]
      allow: [acme]
    - names: [\"*\"]
      allow: [pypi, acme]
  require-hashes: true
  require-pinned: true
";

// ---------------------------------------------------------------- pip requirements files

#[test]
fn pip_extra_index_url_is_dependency_confusion() {
    let repo = repo_with(
        STRICT,
        &[(
            "requirements.txt",
            "# internal packages\n--extra-index-url https://pypi.acme.internal/simple\nacme-utils==1.2.0\nnumpy==1.26.4\n",
        )],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("dependency-confusion", "requirements.txt", 2, 1),
            place("dependency-confusion", "requirements.txt", 3, 1),
            place("dependency-confusion", "requirements.txt", 4, 1),
        ],
        "{report:#}"
    );
    let confusion = findings_of(&report, "dependency-confusion");
    let acme = confusion
        .iter()
        .find(|f| f["evidence"]["package"] == "acme-utils")
        .unwrap();
    let message = acme["message"].as_str().unwrap();
    assert!(
        message.contains("`acme-utils` may only come from acme")
            && message.contains("PyPI (pip's default)"),
        "{message}"
    );
    // The unlisted restricted name is reported at the merge line: a transitive torchtriton.
    assert!(
        confusion[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`acme-*`, `torchtriton` may only come from acme"),
        "{report:#}"
    );
}

#[test]
fn pip_single_index_url_with_hashes_is_safe() {
    let requirements = format!(
        "--index-url https://pypi.acme.internal/simple\n--require-hashes\n\
         acme-utils==1.2.0 \\\n    --hash={SHA_A}\n\
         numpy==1.26.4 --hash={SHA_B}\n"
    );
    let repo = repo_with(PROXY, &[("requirements.txt", &requirements)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn pip_hygiene_rules_point_at_their_lines() {
    let requirements = "\
--index-url https://pypi.acme.internal/simple
acme-utils>=1.2
numpy==1.26.4
requests==2.31.0 --hash=sha256:aa --hash=md5:bb
tool @ https://files.example.com/tool-1.0.whl#md5=0123
lib @ git+https://github.com/acme/lib.git@main
pinned @ git+https://github.com/acme/pinned.git@0123456789abcdef0123456789abcdef01234567
";
    let policy = "version: 1\ndependencies:\n  indexes:\n    acme: https://pypi.acme.internal/simple\n  require-hashes: true\n  require-pinned: true\n";
    let repo = repo_with(policy, &[("requirements.txt", requirements)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("unpinned-version", "requirements.txt", 2, 1),
        place("missing-hash", "requirements.txt", 2, 1),
        place("missing-hash", "requirements.txt", 3, 1),
        place("requirements-invalid", "requirements.txt", 4, 35),
        place("weak-hash", "requirements.txt", 4, 35),
        place("weak-hash", "requirements.txt", 5, 1),
        place("git-ref-unpinned", "requirements.txt", 6, 1),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    assert!(
        !got.iter().any(|(_, _, line, _)| *line == 7),
        "a full commit SHA is pinned: {got:#?}"
    );
    assert!(
        !got.iter()
            .any(|(rule, _, line, _)| rule == "missing-hash" && *line == 4),
        "requests has a hash"
    );
}

#[test]
fn pip_grammar_join_comment_and_ignored_options() {
    let requirements = "\
-i https://pypi.org/simple
acme-utils==1.2.0\\
--hash=sha256:abc
torch --index-url https://pypi.acme.internal/simple
x @ https://h.example/x.whl#sha256=ab # a comment after a URL with a fragment
--bogus-option
--hash=sha256:abc
";
    let repo = repo_with("version: 1\n", &[("requirements.txt", requirements)]);
    let report = run_json(&repo, 1);
    let invalid = findings_of(&report, "requirements-invalid");
    let lines: Vec<(u64, u64)> = invalid
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, vec![(2, 1), (4, 7), (6, 1), (7, 1)], "{report:#}");
    let joined = invalid[0]["message"].as_str().unwrap();
    assert!(
        joined.contains("acme-utils==1.2.0--hash=sha256:abc"),
        "{joined}"
    );
    assert!(
        invalid[1]["message"]
            .as_str()
            .unwrap()
            .contains("pip silently ignores `--index-url` on a requirement line"),
        "{report:#}"
    );
}

#[test]
fn includes_carry_their_chain_and_are_read_with_the_includers_indexes() {
    let repo = repo_with(
        STRICT,
        &[
            (
                "requirements/dev.txt",
                "-r base.txt\n-c constraints.txt\npytest==8.0.0\n",
            ),
            (
                "requirements/base.txt",
                "--extra-index-url https://pypi.acme.internal/simple\nacme-utils==1.2.0\n",
            ),
            ("requirements/constraints.txt", "urllib3==2.2.0\n"),
        ],
    );
    let report = run_json(&repo, 1);
    let confusion = findings_of(&report, "dependency-confusion");
    let acme = confusion
        .iter()
        .find(|f| f["evidence"]["package"] == "acme-utils")
        .expect("acme-utils is confusable");
    assert_eq!(acme["path"], "requirements/base.txt");
    assert_eq!(
        (acme["line"].as_u64(), acme["column"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        acme["evidence"]["include-chain"],
        serde_json::json!(["requirements/dev.txt:1"])
    );
    assert!(
        acme["message"]
            .as_str()
            .unwrap()
            .ends_with("(via requirements/dev.txt:1)"),
        "{acme:#}"
    );
    // pytest, in the includer, is exposed by the included file's --extra-index-url.
    assert!(
        confusion
            .iter()
            .any(|f| f["evidence"]["package"] == "pytest" && f["path"] == "requirements/dev.txt"),
        "{report:#}"
    );
    // base.txt is not read on its own as well (its findings would double up).
    assert_eq!(
        confusion
            .iter()
            .filter(|f| f["evidence"]["package"] == "acme-utils")
            .count(),
        1
    );
}

#[test]
fn include_problems_are_reported_and_nothing_is_fetched() {
    let repo = repo_with(
        "version: 1\n",
        &[
            (
                "requirements.txt",
                "-r https://example.com/more.txt\n-r missing.txt\n-r ../../../etc/passwd\n-r loop.txt\n--extra-index-url ${PRIVATE_INDEX}\n",
            ),
            ("loop.txt", "-r requirements.txt\n"),
        ],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("remote-include", "requirements.txt", 1, 1),
        place("include-not-found", "requirements.txt", 2, 1),
        place("include-not-found", "requirements.txt", 3, 1),
        place("requirements-invalid", "loop.txt", 1, 1),
        place("unresolved-variable", "requirements.txt", 5, 1),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    let cycle = findings_of(&report, "requirements-invalid");
    assert_eq!(
        cycle[0]["evidence"]["include-chain"],
        serde_json::json!(["requirements.txt:4"])
    );
}

#[test]
fn insecure_and_undeclared_indexes() {
    let repo = repo_with(
        "version: 1\n",
        &[(
            "requirements.txt",
            "--index-url http://mirror.example.com/simple\n--trusted-host mirror.example.com\nnumpy\n",
        )],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("index-not-allowed", "requirements.txt", 1, 1),
            place("insecure-index", "requirements.txt", 1, 1),
            place("insecure-index", "requirements.txt", 2, 1),
        ]
    );
    let allowed = repo_with(
        "version: 1\ndependencies:\n  indexes:\n    mirror: http://mirror.example.com/simple/\n  allow-insecure: true\n",
        &[(
            "requirements.txt",
            "--index-url http://user:secret@mirror.example.com/simple\n--trusted-host mirror.example.com\nnumpy\n",
        )],
    );
    assert_clean(&run_json(&allowed, 0));
}

#[test]
fn merged_indexes_without_restricted_names_are_a_warning() {
    let repo = repo_with(
        "version: 1\ndependencies:\n  indexes:\n    acme: https://pypi.acme.internal/simple\n",
        &[(
            "requirements.txt",
            "--extra-index-url https://pypi.acme.internal/simple\nnumpy\n",
        )],
    );
    let report = run_json(&repo, 0);
    assert_eq!(
        places(&report),
        vec![place("mixed-indexes", "requirements.txt", 1, 1)]
    );
    assert_eq!(findings(&report)[0]["severity"], "warning");
}

#[test]
fn without_a_dependencies_section_plain_pypi_passes() {
    let repo = repo_with(
        "version: 1\n",
        &[("requirements.txt", "numpy>=1.0\ntorch\n")],
    );
    assert_clean(&run_json(&repo, 0));
}

// ---------------------------------------------------------------- uv

const UV_UNSAFE: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-models>=0.3", "numpy>=1.26"]

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"

[tool.uv]
index-strategy = "unsafe-best-match"
"#;

const UV_SAFE: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-models>=0.3", "numpy>=1.26"]

[[tool.uv.index]]
name = "acme"
url = "https://pypi.acme.internal/simple"
explicit = true

[tool.uv.sources]
acme-models = { index = "acme" }
"#;

/// UV_SAFE locked with acme-utils (acme-models' dependency) taken from `acme_utils_index`, at
/// the version that index serves: PyPI's 99.0.0 is the transitive leak uv really produced (lab
/// §7); the internal 1.2.0 is the lock of a safe setup.
fn uv_lock(acme_utils_index: &str) -> String {
    let (version, file_host) = if acme_utils_index == "https://pypi.org/simple" {
        ("99.0.0", "https://files.pythonhosted.org")
    } else {
        ("1.2.0", "https://pypi.acme.internal")
    };
    format!(
        r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "acme-models"
version = "0.3.0"
source = {{ registry = "https://pypi.acme.internal/simple" }}
dependencies = [{{ name = "acme-utils" }}]
wheels = [{{ url = "https://pypi.acme.internal/packages/acme_models-0.3.0-py3-none-any.whl", hash = "sha256:aa" }}]

[[package]]
name = "acme-utils"
version = "{version}"
source = {{ registry = "{acme_utils_index}" }}
wheels = [{{ url = "{file_host}/packages/acme_utils-{version}-py3-none-any.whl", hash = "sha256:bb" }}]

[[package]]
name = "numpy"
version = "1.26.4"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.pythonhosted.org/packages/numpy-1.26.4.tar.gz", hash = "sha256:cc" }}
"#
    )
}

#[test]
fn uv_best_match_is_dependency_confusion() {
    let repo = repo_with(STRICT, &[("pyproject.toml", UV_UNSAFE)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    assert!(
        got.contains(&place("dependency-confusion", "pyproject.toml", 4, 17)),
        "{got:#?}"
    );
    let message = findings_of(&report, "dependency-confusion")[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("unsafe-best-match"), "{message}");
}

#[test]
fn uv_explicit_index_with_sources_and_its_lock_is_safe() {
    let repo = repo_with(
        STRICT,
        &[
            ("pyproject.toml", UV_SAFE),
            ("uv.lock", uv_lock(ACME).as_str()),
        ],
    );
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn uv_explicit_index_without_a_lock_exposes_restricted_names_it_does_not_pin() {
    // uv sources pin acme-models only: a dependency of it named acme-utils (or torchtriton) is
    // resolved from the default index, PyPI (lab: uv.lock recorded acme-utils 99.0.0 from PyPI).
    let repo = repo_with(STRICT, &[("pyproject.toml", UV_SAFE)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place("dependency-confusion", "pyproject.toml", 1, 1)],
        "{report:#}"
    );
    let message = findings(&report)[0]["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("`acme-*`, `torchtriton` may only come from acme")
            && message.contains("PyPI (uv's default) is all that is searched"),
        "{message}"
    );
}

#[test]
fn uv_lock_shows_the_transitive_leak() {
    let repo = repo_with(
        STRICT,
        &[
            ("pyproject.toml", UV_SAFE),
            ("uv.lock", uv_lock("https://pypi.org/simple").as_str()),
        ],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "uv.lock", 12, 8)],
        "{report:#}"
    );
    let finding = &findings(&report)[0];
    assert_eq!(finding["evidence"]["package"], "acme-utils");
    assert_eq!(finding["evidence"]["source"], "https://pypi.org/simple");
}

#[test]
fn uv_index_url_is_the_last_resort() {
    // uv reads `index-url` as the default (lowest priority): the extra index is asked first.
    let repo = repo_with(
        STRICT,
        &[(
            "uv.toml",
            "index-url = \"https://pypi.acme.internal/simple\"\nextra-index-url = [\"https://pypi.org/simple\"]\n",
        )],
    );
    let report = run_json(&repo, 1);
    let confusion = findings_of(&report, "dependency-confusion");
    assert_eq!(confusion.len(), 1, "{report:#}");
    assert_eq!(confusion[0]["path"], "uv.toml");
    assert!(
        confusion[0]["message"]
            .as_str()
            .unwrap()
            .contains("an `--index-url`/default index last"),
        "{report:#}"
    );
}

// ---------------------------------------------------------------- Poetry

const POETRY_UNSAFE: &str = r#"[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
acme-utils = "^1.2"
numpy = "1.26.4"

[[tool.poetry.source]]
name = "acme"
url = "https://pypi.acme.internal/simple"
priority = "supplemental"
"#;

const POETRY_SAFE: &str = r#"[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
acme-utils = { version = "^1.2", source = "acme" }
numpy = "1.26.4"

[[tool.poetry.source]]
name = "acme"
url = "https://pypi.acme.internal/simple"
priority = "explicit"
"#;

const POETRY_LOCK: &str = r#"[[package]]
name = "acme-utils"
version = "1.2.0"
description = ""
optional = false
python-versions = "*"
files = [{ file = "acme_utils-1.2.0-py3-none-any.whl", hash = "sha256:aa" }]

[package.source]
type = "legacy"
url = "https://pypi.acme.internal/simple"
reference = "acme"

[[package]]
name = "numpy"
version = "1.26.4"
description = ""
optional = false
python-versions = ">=3.9"
files = [{ file = "numpy-1.26.4.tar.gz", hash = "sha256:bb" }]
"#;

#[test]
fn poetry_supplemental_source_is_dependency_confusion() {
    let repo = repo_with(STRICT, &[("pyproject.toml", POETRY_UNSAFE)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("dependency-confusion", "pyproject.toml", 7, 1),
            // torchtriton, restricted but not declared: a transitive dependency would merge too.
            place("dependency-confusion", "pyproject.toml", 12, 7),
        ],
        "{report:#}"
    );
}

#[test]
fn poetry_explicit_source_is_safe_and_its_lock_agrees() {
    let repo = repo_with(
        STRICT,
        &[
            ("pyproject.toml", POETRY_SAFE),
            ("poetry.lock", POETRY_LOCK),
        ],
    );
    assert_clean(&run_json(&repo, 0));
    let leaked = POETRY_LOCK.replace(
        "[package.source]\ntype = \"legacy\"\nurl = \"https://pypi.acme.internal/simple\"\nreference = \"acme\"\n",
        "",
    );
    let repo = repo_with(
        STRICT,
        &[("pyproject.toml", POETRY_SAFE), ("poetry.lock", &leaked)],
    );
    assert_eq!(
        places(&run_json(&repo, 1)),
        vec![place("source-not-allowed", "poetry.lock", 2, 8)]
    );
}

// ---------------------------------------------------------------- Pipenv

const PIPFILE_UNSAFE: &str = r#"[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[[source]]
name = "acme"
url = "https://pypi.acme.internal/simple"
verify_ssl = false

[packages]
acme-utils = "*"
numpy = "==1.26.4"
"#;

const PIPFILE_SAFE: &str = r#"[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[[source]]
name = "acme"
url = "https://pypi.acme.internal/simple"
verify_ssl = true

[packages]
acme-utils = { version = "==1.2.0", index = "acme" }
numpy = "==1.26.4"
"#;

const PIPFILE_LOCK: &str = r#"{
    "_meta": {
        "hash": {"sha256": "00"},
        "pipfile-spec": 6,
        "requires": {},
        "sources": [
            {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true},
            {"name": "acme", "url": "https://pypi.acme.internal/simple", "verify_ssl": true}
        ]
    },
    "default": {
        "acme-utils": {
            "hashes": ["sha256:aa"],
            "index": "pypi",
            "version": "==99.0.0"
        },
        "numpy": {
            "hashes": ["sha256:bb"],
            "index": "pypi",
            "version": "==1.26.4"
        }
    },
    "develop": {}
}
"#;

#[test]
fn pipenv_without_index_takes_the_first_source() {
    let repo = repo_with(
        STRICT,
        &[("Pipfile", PIPFILE_UNSAFE), ("Pipfile.lock", PIPFILE_LOCK)],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("insecure-index", "Pipfile", 9, 14),
            place("source-not-allowed", "Pipfile", 12, 1),
            place("source-not-allowed", "Pipfile.lock", 12, 9),
        ],
        "{report:#}"
    );
}

#[test]
fn pipenv_index_pin_is_safe() {
    let lock = PIPFILE_LOCK.replacen(
        "\"index\": \"pypi\",\n            \"version\": \"==99.0.0\"",
        "\"index\": \"acme\",\n            \"version\": \"==1.2.0\"",
        1,
    );
    let repo = repo_with(
        STRICT,
        &[("Pipfile", PIPFILE_SAFE), ("Pipfile.lock", &lock)],
    );
    assert_clean(&run_json(&repo, 0));
}

// ---------------------------------------------------------------- PDM

const PDM: &str = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-utils>=1.2", "numpy>=1.26"]

[[tool.pdm.source]]
name = "acme"
url = "https://pypi.acme.internal/simple"
INCLUDE
"#;

#[test]
fn pdm_equal_sources_are_dependency_confusion() {
    let repo = repo_with(STRICT, &[("pyproject.toml", &PDM.replace("INCLUDE", ""))]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    assert_eq!(
        got,
        vec![
            place("dependency-confusion", "pyproject.toml", 4, 17),
            place("dependency-confusion", "pyproject.toml", 4, 36),
            place("dependency-confusion", "pyproject.toml", 8, 7),
        ],
        "{report:#}"
    );
}

#[test]
fn pdm_include_packages_is_safe() {
    let repo = repo_with(
        STRICT,
        &[(
            "pyproject.toml",
            &PDM.replace(
                "INCLUDE",
                "include_packages = [\"acme-*\", \"torchtriton\"]",
            ),
        )],
    );
    assert_clean(&run_json(&repo, 0));
}

// ---------------------------------------------------------------- commands, config, conda, pylock

#[test]
fn workflow_pip_install_and_env() {
    let workflow = "\
name: ci
on: [pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      PIP_TRUSTED_HOST: pypi.acme.internal
    steps:
      - uses: actions/checkout@v4
      - run: |
          python -m pip install --upgrade pip
          pip install --extra-index-url https://pypi.acme.internal/simple \\
            acme-utils==1.2.0
";
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", workflow)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("insecure-index", ".github/workflows/ci.yml", 7, 25),
        place("dependency-confusion", ".github/workflows/ci.yml", 13, 13),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
}

#[test]
fn dockerfile_and_script_commands() {
    let dockerfile = "\
FROM python:3.12-slim
# pip install --extra-index-url https://ignored.example.com/simple  (a comment)
ENV PIP_EXTRA_INDEX_URL=https://pypi.acme.internal/simple
RUN pip install --no-cache-dir torch==2.1.0
";
    let script = "#!/bin/sh\nset -e\nuv pip install --index-url https://pypi.acme.internal/simple --extra-index-url https://pypi.org/simple acme-utils\n";
    let repo = repo_with(
        STRICT,
        &[("Dockerfile", dockerfile), ("scripts/setup.sh", script)],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        // torchtriton is restricted: pip merges PyPI and the ENV's extra index.
        place("dependency-confusion", "Dockerfile", 3, 5),
        // uv: the --index-url is asked last, so PyPI answers first for acme-utils.
        place("dependency-confusion", "scripts/setup.sh", 3, 104),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    assert!(
        !got.iter().any(|(_, _, line, _)| *line == 2),
        "comments are not commands: {got:#?}"
    );
}

#[test]
fn pip_conf_and_setup_cfg() {
    let repo = repo_with(
        STRICT,
        &[
            (
                "pip.conf",
                "[global]\ntimeout = 60\nextra-index-url =\n    https://pypi.acme.internal/simple\n    https://other.example.com/simple\n",
            ),
            (
                "setup.cfg",
                "[metadata]\nname = app\n\n[options]\ninstall_requires =\n    numpy>=1.26\n    acme-utils>=1.0\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("index-not-allowed", "pip.conf", 5, 5),
        place("dependency-confusion", "pip.conf", 5, 5),
        place("source-not-allowed", "setup.cfg", 7, 5),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
}

#[test]
fn conda_environment_pip_section() {
    let environment = "\
name: train
channels:
  - pytorch
  - nodefaults
dependencies:
  - python=3.11
  - pytorch::torchtriton
  - pip
  - pip:
      - --extra-index-url https://pypi.acme.internal/simple
      - acme-utils==1.2.0
";
    let repo = repo_with(STRICT, &[("environment.yml", environment)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    assert!(
        got.contains(&place("dependency-confusion", "environment.yml", 11, 9)),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|(_, _, line, _)| *line == 7),
        "conda packages are another namespace: {got:#?}"
    );
}

#[test]
fn invalid_yaml_dependency_files_point_at_the_syntax_error() {
    let repo = repo_with(
        STRICT,
        &[
            (
                "environment.yml",
                "name: x\ndependencies:\n  - pip:\n      - [unclosed\n",
            ),
            (
                ".github/workflows/ci.yml",
                "on: push\njobs:\n  a:\n    steps:\n      - run: \"pip install x\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    let invalid: Vec<(String, u64)> = findings_of(&report, "requirements-invalid")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        invalid,
        [
            (".github/workflows/ci.yml".to_owned(), 6),
            ("environment.yml".to_owned(), 4),
        ],
        "{report:#}"
    );
    for finding in findings_of(&report, "requirements-invalid") {
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(message.contains("not valid YAML, so "), "{message}");
    }
}

#[test]
fn pylock_sources_and_vcs_commits() {
    let pylock = r#"lock-version = "1.0"
created-by = "pip"

[[packages]]
name = "acme-utils"
version = "99.0.0"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/acme_utils-99.0.0-py3-none-any.whl", hashes = { sha256 = "aa" } }]

[[packages]]
name = "lib"
vcs = { type = "git", url = "https://github.com/acme/lib.git", requested-revision = "main" }

[[packages]]
name = "numpy"
version = "1.26.4"
index = "https://pypi.org/simple/"
sdist = { url = "https://files.pythonhosted.org/packages/numpy-1.26.4.tar.gz", hashes = { md5 = "bb" } }
"#;
    let repo = repo_with(STRICT, &[("pylock.toml", pylock)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("source-not-allowed", "pylock.toml", 5, 8),
            place("git-ref-unpinned", "pylock.toml", 11, 8),
            place("source-not-allowed", "pylock.toml", 11, 8),
            place("weak-hash", "pylock.toml", 15, 8),
        ],
        "{report:#}"
    );
}

// ---------------------------------------------------------------- the incident

#[test]
fn torchtriton_example_fails_before_and_passes_after() {
    let before = manifest_dir().join("examples/torchtriton/before");
    let out = Gate::new().arg("check").arg(&before).run();
    out.code(1);
    assert!(
        out.stdout.contains("error[dependency-confusion] `torchaudio`, `torchtriton`, `pytorch-triton` may only come from pytorch-nightly"),
        "{out}"
    );
    assert!(
        out.stdout.contains("as torchtriton was in December 2022"),
        "{out}"
    );
    let after = manifest_dir().join("examples/torchtriton/after");
    let out = Gate::new()
        .arg("check")
        .arg(&after)
        .args(["--format", "json"])
        .run();
    out.code(0);
    assert_clean(&out.json());
}

#[test]
fn explain_documents_the_dependency_rules() {
    for rule in [
        "dependency-confusion",
        "source-not-allowed",
        "index-not-allowed",
        "mixed-indexes",
        "insecure-index",
        "missing-hash",
        "weak-hash",
        "unpinned-version",
        "git-ref-unpinned",
        "remote-include",
        "include-not-found",
        "unresolved-variable",
        "requirements-invalid",
    ] {
        let out = Gate::new().args(["explain", rule]).run();
        out.code(0);
        assert!(out.stdout.starts_with(&format!("# {rule}\n")), "{out}");
    }
}

#[test]
fn repeated_includes_do_not_explode() {
    let repo = Repo::new();
    repo.policy("version: 1\n");
    for level in 0..24 {
        let next = level + 1;
        repo.write(
            format!("requirements/l{level}.txt"),
            format!("-r l{next}.txt\n-r l{next}.txt\n"),
        );
    }
    repo.write("requirements/l24.txt", "numpy\n");
    let report = run_json(&repo, 1);
    let invalid = findings_of(&report, "requirements-invalid");
    assert!(
        invalid
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("not read further")),
        "{report:#}"
    );
}

#[test]
fn manifest_and_lock_hygiene() {
    let pyproject = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["lib", "tool"]

[tool.uv.sources]
lib = { git = "https://github.com/acme/lib", branch = "main" }
tool = { git = "https://github.com/acme/tool", rev = "0123456789abcdef0123456789abcdef01234567" }
"#;
    let lock = r#"version = 1

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/numpy-1.26.4.tar.gz" }

[[package]]
name = "mirror-only"
version = "1.0"
source = { registry = "https://mirror.example.com/simple" }
wheels = [{ url = "https://mirror.example.com/m-1.0.whl", hash = "sha256:aa" }]

[[package]]
name = "lib"
version = "0.1.0"
source = { git = "https://github.com/acme/lib?branch=main" }
"#;
    let policy = "version: 1\ndependencies:\n  require-hashes: true\n";
    let repo = repo_with(
        policy,
        &[
            ("pyproject.toml", pyproject),
            ("uv.lock", lock),
            (
                "Pipfile",
                "[[source]]\nname = \"private\"\nurl = \"https://${USER}:${TOKEN}@pypi.example.com/${PATH}\"\n\n[packages]\nrequests = \"==2.31.0\"\n",
            ),
            (
                "requirements.txt",
                "--index-url https://${USER}:${TOKEN}@pypi.example.com/simple\nnumpy\n",
            ),
            ("broken/pyproject.toml", "[project\nname = \"x\"\n"),
        ],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("requirements-invalid", "broken/pyproject.toml", 1, 9),
        place("git-ref-unpinned", "pyproject.toml", 7, 7),
        place("missing-hash", "uv.lock", 4, 8),
        place("index-not-allowed", "uv.lock", 10, 8),
        place("git-ref-unpinned", "uv.lock", 16, 8),
        place("unresolved-variable", "Pipfile", 3, 7),
        // Variables in credentials do not hide the host: it is checked.
        place("index-not-allowed", "requirements.txt", 1, 1),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    assert!(
        !got.iter()
            .any(|(rule, path, line, _)| rule == "git-ref-unpinned"
                && path == "pyproject.toml"
                && *line == 8),
        "a full commit is pinned: {got:#?}"
    );
    assert_eq!(
        findings_of(&report, "unresolved-variable").len(),
        1,
        "{got:#?}"
    );
}

#[test]
fn hash_pins_downgrade_a_merge_to_a_warning() {
    // Lab E8: with `--extra-index-url` and a hash-pinned requirement pip installs the pinned file.
    let requirements = format!(
        "--extra-index-url https://pypi.acme.internal/simple\n\
         acme-utils==1.2.0 --hash={SHA_A}\n\
         numpy==1.26.4 --hash={SHA_B}\n"
    );
    let repo = repo_with(STRICT, &[("requirements.txt", &requirements)]);
    let report = run_json(&repo, 0);
    assert_eq!(
        places(&report),
        vec![place("mixed-indexes", "requirements.txt", 1, 1)],
        "{report:#}"
    );
    assert!(
        findings(&report)[0]["message"]
            .as_str()
            .unwrap()
            .contains("Hash pins make pip refuse a substituted file"),
        "{report:#}"
    );
}

#[test]
fn nested_index_url_override_uv_env_and_pdm_lock() {
    let repo = repo_with(
        STRICT,
        &[
            (
                "requirements.txt",
                "-i https://pypi.acme.internal/simple\n-r public.txt\nacme-utils==1.2.0\n",
            ),
            ("public.txt", "-i https://pypi.org/simple\nnumpy==1.26.4\n"),
            (
                ".github/workflows/release.yml",
                "on: push\nenv:\n  UV_EXTRA_INDEX_URL: https://pypi.acme.internal/simple\n  UV_INDEX_STRATEGY: unsafe-best-match\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: uv pip install numpy\n",
            ),
            (
                "pdm.lock",
                "[metadata]\nlock_version = \"4.5.0\"\n\n[[package]]\nname = \"acme-utils\"\nversion = \"99.0.0\"\nfiles = [\n    {url = \"https://files.pythonhosted.org/packages/acme_utils-99.0.0.whl\", hash = \"sha256:aa\"},\n]\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        // Lab E6: the nested file's -i silently replaces the parent's; acme-utils now comes from PyPI.
        place("requirements-invalid", "public.txt", 1, 1),
        place("source-not-allowed", "requirements.txt", 3, 1),
        // uv with unsafe-best-match merges the env's extra index with PyPI for numpy.
        place(
            "dependency-confusion",
            ".github/workflows/release.yml",
            9,
            29,
        ),
        place("source-not-allowed", "pdm.lock", 5, 8),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
}

#[test]
fn github_expressions_and_shell_variables_are_unknown_values() {
    let workflow = "\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install --extra-index-url ${{ secrets.PRIVATE_INDEX }} acme-utils==1.0
      - run: pip install --index-url https://$USER:$TOKEN@pypi.acme.internal/simple acme-utils==1.2.0
      - run: pip install -i \"$MIRROR\" scipy
";
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", workflow)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    for expected in [
        place("unresolved-variable", ".github/workflows/ci.yml", 6, 26),
        place("unresolved-variable", ".github/workflows/ci.yml", 8, 26),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:#?}");
    }
    assert!(
        !got.iter().any(|(_, _, line, _)| *line == 7),
        "credentials in a URL do not hide its host, which is declared: {got:#?}"
    );
    assert!(
        !got.iter().any(|(rule, ..)| rule == "requirements-invalid"),
        "an expression is one value, not requirements: {got:#?}"
    );
}

#[test]
fn poetry_primaries_merge_and_pdm_source_order() {
    let poetry = r#"[tool.poetry]
name = "app"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
acme-utils = "1.2.0"

[[tool.poetry.source]]
name = "acme"
url = "https://pypi.acme.internal/simple"

[[tool.poetry.source]]
name = "PyPI"
priority = "primary"
"#;
    let repo = repo_with(STRICT, &[("pyproject.toml", poetry)]);
    let report = run_json(&repo, 1);
    let confusion: Vec<&Value> = findings_of(&report, "dependency-confusion")
        .into_iter()
        .filter(|f| f["evidence"]["package"] == "acme-utils")
        .collect();
    assert_eq!(confusion.len(), 1, "{report:#}");
    assert_eq!(confusion[0]["line"], 7);
    assert!(
        confusion[0]["message"]
            .as_str()
            .unwrap()
            .contains("with a higher version wins"),
        "two primary sources are merged: {report:#}"
    );

    // PDM with respect-source-order and the private source first: acme answers first.
    let pdm = r#"[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-utils>=1.2"]

[[tool.pdm.source]]
name = "pypi"
url = "https://pypi.acme.internal/simple"

[[tool.pdm.source]]
name = "public"
url = "https://pypi.org/simple"

[tool.pdm.resolution]
respect-source-order = true
"#;
    let policy = STRICT.replace("allow: [pypi]", "allow: [pypi, acme]");
    let repo = repo_with(&policy, &[("pyproject.toml", pdm)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn workflow_env_applies_to_its_own_job_only() {
    let workflow = "\
on: push
jobs:
  internal:
    runs-on: ubuntu-latest
    env:
      PIP_EXTRA_INDEX_URL: https://pypi.acme.internal/simple
    steps:
      - run: pip install acme-utils==1.2.0
  public:
    runs-on: ubuntu-latest
    steps:
      - run: pip install numpy==1.26.4
      - run: make install
        env:
          PIP_INDEX_URL: http://mirror.example.com/simple
";
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", workflow)]);
    let report = run_json(&repo, 1);
    let got = places(&report);
    assert!(
        got.contains(&place(
            "dependency-confusion",
            ".github/workflows/ci.yml",
            8,
            26
        )),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|(_, _, line, _)| *line == 12),
        "the public job has no extra index: {got:#?}"
    );
    // A step's setting no pip command uses is judged on its own.
    assert!(
        got.contains(&place("insecure-index", ".github/workflows/ci.yml", 15, 26)),
        "{got:#?}"
    );
}

#[test]
fn pip_install_of_a_uv_project_ignores_its_sources() {
    // "Sources are only respected by uv": the same project installed with pip in CI takes
    // acme-models from PyPI.
    let workflow = "\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install -e .[dev]
";
    let policy = format!("{STRICT}  require-pinned: true\n");
    let repo = repo_with(
        &policy,
        &[
            ("pyproject.toml", UV_SAFE),
            ("uv.lock", uv_lock(ACME).as_str()),
            (".github/workflows/ci.yml", workflow),
        ],
    );
    let report = run_json(&repo, 1);
    let got = places(&report);
    assert_eq!(
        got,
        vec![place("source-not-allowed", "pyproject.toml", 4, 17)],
        "{report:#}"
    );
    let finding = &findings(&report)[0];
    assert_eq!(
        finding["evidence"]["include-chain"],
        serde_json::json!([".github/workflows/ci.yml:6"])
    );
}

// Red-team regressions: each is a shape a real tool installs from a source the policy does not
// allow (or a safe one gate failed), named after its case.

#[test]
fn transitive_restricted_names_leak_past_source_pins_in_every_tool_without_a_lock() {
    // torch pinned to its own index; torchtriton, its dependency, comes from PyPI (uv, Poetry
    // and Pipenv pin only the package the pin is written on).
    let policy = "\
version: 1
dependencies:
  indexes:
    pytorch-nightly: https://download.pytorch.org/whl/nightly/cu118
  packages:
    - names: [torch, torchtriton]
      allow: [pytorch-nightly]
    - names: [\"*\"]
      allow: [pypi]
";
    let uv = "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"torch==2.0.0.dev20221230\"]\n\n[[tool.uv.index]]\nname = \"pytorch-nightly\"\nurl = \"https://download.pytorch.org/whl/nightly/cu118\"\nexplicit = true\n\n[tool.uv.sources]\ntorch = { index = \"pytorch-nightly\" }\n";
    let poetry = "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\ntorch = { version = \"2.0.0.dev20221230\", source = \"pytorch-nightly\" }\n\n[[tool.poetry.source]]\nname = \"pytorch-nightly\"\nurl = \"https://download.pytorch.org/whl/nightly/cu118\"\npriority = \"explicit\"\n";
    let pipenv = "[[source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\n\n[[source]]\nname = \"pytorch-nightly\"\nurl = \"https://download.pytorch.org/whl/nightly/cu118\"\nverify_ssl = true\n\n[packages]\ntorch = { version = \"==2.0.0.dev20221230\", index = \"pytorch-nightly\" }\n";
    for (file, text) in [
        ("pyproject.toml", uv),
        ("pyproject.toml", poetry),
        ("Pipfile", pipenv),
    ] {
        let repo = repo_with(policy, &[(file, text)]);
        let report = run_json(&repo, 1);
        let confusion = findings_of(&report, "dependency-confusion");
        assert_eq!(confusion.len(), 1, "{file}: {report:#}");
        assert_eq!(confusion[0]["path"], file);
        assert!(
            confusion[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("`torchtriton` may only come from pytorch-nightly"),
            "{report:#}"
        );
    }
}

#[test]
fn req_include_line_index_url_is_ignored_by_pip() {
    // pip follows `-r` and drops every other option on that line: PyPI serves acme-core.
    let repo = repo_with(
        STRICT,
        &[
            ("common.txt", "numpy==1.26.4\n"),
            (
                "requirements.txt",
                "-r common.txt --index-url https://pypi.acme.internal/simple\nacme-core==1.0.0\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("requirements-invalid", "requirements.txt", 1, 15),
            place("source-not-allowed", "requirements.txt", 2, 1),
        ],
        "{report:#}"
    );
}

#[test]
fn req_editable_line_index_url_is_ignored_by_pip() {
    let repo = repo_with(
        STRICT,
        &[
            ("libs/acme-app/setup.py", ""),
            (
                "requirements.txt",
                "-e ./libs/acme-app --index-url https://pypi.acme.internal/simple\nacme-core==1.0.0\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("requirements-invalid", "requirements.txt", 1, 20),
            place("source-not-allowed", "requirements.txt", 2, 1),
        ],
        "{report:#}"
    );
}

#[test]
fn req_no_require_hashes_checks_only_hashed_lines() {
    // pip 26.2: hashes are verified where given; a transitive torchtriton is taken from the merge.
    let hash = "0b8f5f3e8e3b2e6c0e8a4e7c9d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";
    let text = format!(
        "--index-url https://pypi.org/simple\n--extra-index-url https://pypi.acme.internal/simple\n--no-require-hashes\nacme-core==1.0.0 \\\n    --hash=sha256:{hash}\n"
    );
    let repo = repo_with(STRICT, &[("requirements.txt", text.as_str())]);
    let report = run_json(&repo, 1);
    let confusion = findings_of(&report, "dependency-confusion");
    assert_eq!(confusion.len(), 1, "{report:#}");
    assert!(
        confusion[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`acme-*`, `torchtriton` may only come from acme"),
        "the hashed acme-core itself is safe: {report:#}"
    );
    // Without `--no-require-hashes` every package needs a hash: nothing can be substituted.
    let strict = text.replace("--no-require-hashes\n", "");
    let repo = repo_with(STRICT, &[("requirements.txt", strict.as_str())]);
    assert!(findings_of(&run_json(&repo, 0), "dependency-confusion").is_empty());
}

#[test]
fn direct_url_plus_is_part_of_the_url_not_a_vcs_scheme() {
    let repo = repo_with(
        STRICT,
        &[(
            "requirements.txt",
            "acme-core @ https://evil.example/dl+https://pypi.acme.internal/packages/acme_core-1.0.0-py3-none-any.whl\n",
        )],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "requirements.txt", 1, 1)],
        "{report:#}"
    );
    // A local version's `+` on the allowed index is fine.
    let policy = "version: 1\ndependencies:\n  indexes:\n    pytorch: https://download.pytorch.org/whl/cu118\n  packages:\n    - names: [torch]\n      allow: [pytorch]\n    - names: [\"*\"]\n      allow: [pypi]\n";
    let repo = repo_with(
        policy,
        &[(
            "requirements.txt",
            "torch @ https://download.pytorch.org/whl/cu118/torch-2.1.0+cu118-cp311-cp311-linux_x86_64.whl\n",
        )],
    );
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn bare_urls_are_named_by_their_file_or_judged_as_any_package() {
    let repo = repo_with(
        STRICT,
        &[(
            "requirements.txt",
            "https://github.com/evil/acme-core/releases/download/v9.9/acme_core-9.9.0-py3-none-any.whl\n-e git+https://github.com/evil/torchtriton.git@0123456789abcdef0123456789abcdef01234567\n",
        )],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("source-not-allowed", "requirements.txt", 1, 1),
            place("source-not-allowed", "requirements.txt", 2, 1),
        ],
        "{report:#}"
    );
    assert_eq!(findings(&report)[0]["evidence"]["package"], "acme-core");
}

#[test]
fn same_host_repositories_are_told_apart_by_path() {
    let policy = "\
version: 1
dependencies:
  indexes:
    acme-internal: https://artifacts.acme.internal/api/pypi/pypi-internal/simple
    pypi-proxy: https://artifacts.acme.internal/api/pypi/pypi-remote/simple
  packages:
    - names: [\"acme-*\"]
      allow: [acme-internal]
    - names: [\"*\"]
      allow: [pypi-proxy]
";
    let base =
        "--index-url https://artifacts.acme.internal/api/pypi/pypi-remote/simple\nnumpy==1.26.4\n";
    let remote = format!(
        "{base}acme-core @ https://artifacts.acme.internal/api/pypi/pypi-remote/packages/acme_core-99.0.0-py3-none-any.whl\n"
    );
    let repo = repo_with(policy, &[("requirements.txt", remote.as_str())]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "requirements.txt", 3, 1)],
        "{report:#}"
    );
    let internal = format!(
        "{base}acme-core @ https://artifacts.acme.internal/api/pypi/pypi-internal/packages/acme_core-1.0.0-py3-none-any.whl\n"
    );
    let repo = repo_with(policy, &[("requirements.txt", internal.as_str())]);
    assert!(findings_of(&run_json(&repo, 0), "source-not-allowed").is_empty());
}

#[test]
fn poetry_source_names_are_case_insensitive() {
    let pyproject = "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nacme-core = { version = \"1.0.0\", source = \"ACME\" }\n\n[[tool.poetry.source]]\nname = \"acme\"\nurl = \"https://pypi.acme.internal/simple\"\npriority = \"explicit\"\n";
    // (Without a lock, other `acme-*` names acme-core depends on are still exposed: exit 1.)
    let repo = repo_with(PROXY, &[("pyproject.toml", pyproject)]);
    assert!(
        findings_of(&run_json(&repo, 1), "source-not-allowed").is_empty(),
        "ACME names the source `acme`"
    );
}
