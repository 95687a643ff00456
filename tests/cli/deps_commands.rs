//! Dependency sources written as commands: pip's command-line grammar (general options before
//! the subcommand, abbreviations, attached values, a requirements file's `-i` winning), settings
//! that outlive a step (`$GITHUB_ENV`, `pip config set`, `PIP_CONFIG_FILE`), and the files
//! commands hide in (JSON exec form, Make recipe prefixes, composite actions, Dockerfile names).
//! Each failing shape is asserted by rule, path and line; each safe shape has no findings.

use crate::common::findings;
use crate::deps_support::{
    self as support, ACME, STRICT, assert_clean, places_with, repo_with, run_json, workflow,
};
use serde_json::Value;

/// STRICT, with other names allowed from either index (the internal one proxies PyPI).
const PROXY: &str = "\
version: 1
dependencies:
  indexes:
    acme: https://pypi.acme.internal/simple
  packages:
    - names: [\"acme-*\", torchtriton]
      allow: [acme]
    - names: [\"*\"]
      allow: [pypi, acme]
";

/// The package a finding is about: the first name in backticks of a source finding's message
/// (an unlisted name such as torchtriton has no `package` evidence).
fn package(finding: &Value) -> String {
    if !matches!(
        finding["rule"].as_str(),
        Some("dependency-confusion" | "source-not-allowed")
    ) {
        return String::new();
    }
    let message = finding["message"].as_str().unwrap_or_default();
    message.split('`').nth(1).unwrap_or_default().to_owned()
}

/// (rule, path, line, package) of every finding, sorted.
fn places(report: &Value) -> Vec<(String, String, u64, String)> {
    let mut out = places_with(report, package);
    out.sort();
    out
}

fn place(rule: &str, path: &str, line: u64, package: &str) -> (String, String, u64, String) {
    support::place(rule, path, line, package.to_owned())
}

/// The two findings of a pip install that merges PyPI into the internal index: acme-core, and
/// the restricted names it does not list (the `acme-*` glob first, then torchtriton), which a
/// dependency could bring in.
fn merged(path: &str, line: u64) -> [(String, String, u64, String); 2] {
    [
        place("dependency-confusion", path, line, "acme-*"),
        place("dependency-confusion", path, line, "acme-core"),
    ]
}

// ---------------------------------------------------------------- the command line

#[test]
fn cli_requirements_file_index_url_replaces_the_command_lines() {
    // pip reads every command-line option before any requirements file; the file's `-i` then
    // replaces the index list, so acme-core comes from PyPI.
    let dockerfile = format!(
        "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(
        PROXY,
        &[
            ("Dockerfile", &dockerfile),
            (
                "requirements.txt",
                "--index-url https://pypi.org/simple\nnumpy==1.26.4\n",
            ),
        ],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![
            place("requirements-invalid", "requirements.txt", 1, ""),
            place("source-not-allowed", "Dockerfile", 3, "acme-core"),
        ],
        "{report:#}"
    );
    assert_eq!(findings(&report)[0]["column"], 74, "{report:#}");

    // Safe: the file names no index; the command line's applies to everything.
    let repo = repo_with(
        PROXY,
        &[
            ("Dockerfile", &dockerfile),
            ("requirements.txt", "numpy==1.26.4\n"),
        ],
    );
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn cli_general_options_before_the_subcommand() {
    let tail = format!("-i {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0");
    let dockerfile = format!(
        "FROM python:3.12\n\
         RUN pip --no-cache-dir install {tail}\n\
         RUN python -m pip --log /tmp/pip.log --proxy http://proxy:3128 -v install {tail}\n\
         RUN python3.11 -m pip --isolated --timeout=60 install {tail}\n\
         RUN pip3.11 -q --cache-dir /tmp/c download {tail}\n"
    );
    let repo = repo_with(STRICT, &[("Dockerfile", &dockerfile)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = (2..=5)
        .flat_map(|line| merged("Dockerfile", line))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    // `--isolated` makes pip ignore PIP_INDEX_URL: acme-core comes from PyPI.
    let dockerfile = format!(
        "FROM python:3.12\nENV PIP_INDEX_URL={ACME}\nRUN pip --isolated install acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("Dockerfile", &dockerfile)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place("source-not-allowed", "Dockerfile", 3, "acme-core")],
        "{report:#}"
    );

    // Safe: general options and one internal index.
    let dockerfile = format!(
        "FROM python:3.12\nRUN python3 -m pip --no-cache-dir --log x.log install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("Dockerfile", &dockerfile)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn cli_abbreviated_options_and_attached_values() {
    let script = format!(
        "#!/bin/sh\n\
         pip install -i {ACME} --extra-index https://pypi.org/simple acme-core==1.0.0\n\
         pip install --index-url={ACME} --extra-index-url=https://pypi.org/simple acme-core==1.0.0\n\
         pip install -Ui{ACME} --extra https://pypi.org/simple acme-core==1.0.0\n\
         pip install --e https://pypi.org/simple -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("setup.sh", &script)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = (2..=4).flat_map(|line| merged("setup.sh", line)).collect();
    // `--e` abbreviates --editable, --exists-action and --extra-index-url: pip refuses it.
    expected.push(place("requirements-invalid", "setup.sh", 5, ""));
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    // Safe: `--index` is a unique prefix of `--index-url`, and `-i` takes an attached value.
    let script = format!(
        "pip install --index {ACME} acme-core==1.0.0\npip install -i{ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("setup.sh", &script)]);
    assert_clean(&run_json(&repo, 0));
}

// ---------------------------------------------------------------- settings that outlive a step

#[test]
fn workflow_github_env_reaches_later_steps_of_its_job() {
    let steps = format!(
        "      - run: echo \"PIP_EXTRA_INDEX_URL=https://pypi.org/simple\" >> \"$GITHUB_ENV\"\n\
         \x20     - run: pip install -i {ACME} acme-core==1.0.0\n"
    );
    let mut text = workflow(&steps);
    // A heredoc into $GITHUB_ENV in another job, and a job that sees neither.
    text.push_str(&format!(
        "  heredoc:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - run: |\n\
         \x20         cat >> $GITHUB_ENV <<EOF\n\
         \x20         PIP_EXTRA_INDEX_URL=https://pypi.org/simple\n\
         \x20         EOF\n\
         \x20     - run: pip install -i {ACME} acme-core==1.0.0\n\
         \x20 other:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - run: pip install -i {ACME} acme-core==1.0.0\n"
    ));
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", &text)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = merged(".github/workflows/ci.yml", 7)
        .into_iter()
        .chain(merged(".github/workflows/ci.yml", 15))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    // `$GITHUB_ENV` is read by later steps only: the same step still uses PyPI.
    let steps = format!(
        "      - run: echo \"PIP_INDEX_URL={ACME}\" >> $GITHUB_ENV && pip install acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", &workflow(&steps))]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place(
            "source-not-allowed",
            ".github/workflows/ci.yml",
            6,
            "acme-core"
        )],
        "{report:#}"
    );

    // Safe: the internal index written for later steps, which install from it.
    let steps = format!(
        "      - run: echo \"PIP_INDEX_URL={ACME}\" >> \"$GITHUB_ENV\"\n\
         \x20     - run: pip install acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", &workflow(&steps))]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn workflow_pip_config_set_configures_later_installs() {
    let steps = format!(
        "      - run: pip config set global.extra-index-url https://pypi.org/simple\n\
         \x20     - run: pip install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", &workflow(&steps))]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        merged(".github/workflows/ci.yml", 7).to_vec(),
        "{report:#}"
    );

    // Flags before `set`, the `install` section, underscores, in a script.
    let script = format!(
        "pip config --user set install.extra_index_url https://pypi.org/simple\n\
         pip install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("setup.sh", &script)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        merged("setup.sh", 2).to_vec(),
        "{report:#}"
    );

    // Safe: the internal index configured, then used.
    let script =
        format!("pip config --global set global.index-url {ACME}\npip install acme-core==1.0.0\n");
    let repo = repo_with(STRICT, &[("setup.sh", &script)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn pip_config_file_env_reads_the_committed_file() {
    let text = format!(
        "on: push\nenv:\n  PIP_CONFIG_FILE: ci/pip-ci.ini\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n\
         \x20     - run: pip install -i {ACME} acme-core==1.0.0\n"
    );
    let ini = format!("[global]\nindex-url = {ACME}\nextra-index-url = https://pypi.org/simple\n");
    let repo = repo_with(
        STRICT,
        &[(".github/workflows/ci.yml", &text), ("ci/pip-ci.ini", &ini)],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        merged(".github/workflows/ci.yml", 8).to_vec(),
        "{report:#}"
    );

    // Through a Dockerfile COPY to an absolute path.
    let dockerfile = format!(
        "FROM python:3.12\nCOPY ci/pip-ci.ini /etc/pip-ci.ini\nENV PIP_CONFIG_FILE=/etc/pip-ci.ini\nRUN pip install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(
        STRICT,
        &[("Dockerfile", &dockerfile), ("ci/pip-ci.ini", &ini)],
    );
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        merged("Dockerfile", 4).to_vec(),
        "{report:#}"
    );

    // A file that is not in the repository: its settings were never reviewed.
    let repo = repo_with(STRICT, &[(".github/workflows/ci.yml", &text)]);
    let report = run_json(&repo, 1);
    assert_eq!(
        places(&report),
        vec![place(
            "include-not-found",
            ".github/workflows/ci.yml",
            3,
            ""
        )],
        "{report:#}"
    );

    // Safe: the committed file names only the internal index.
    let ini = format!("[global]\nindex-url = {ACME}\n");
    let text = text.replace(&format!("-i {ACME} "), "");
    let repo = repo_with(
        STRICT,
        &[(".github/workflows/ci.yml", &text), ("ci/pip-ci.ini", &ini)],
    );
    assert_clean(&run_json(&repo, 0));
}

// ---------------------------------------------------------------- where commands hide

#[test]
fn dockerfile_json_exec_form() {
    let dockerfile = format!(
        "FROM python:3.12\n\
         RUN [\"pip\", \"install\", \"--index-url\", \"{ACME}\", \"--extra-index-url\", \"https://pypi.org/simple\", \"acme-core==1.0.0\"]\n\
         RUN [\"/bin/sh\", \"-c\", \"pip install -i {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0\"]\n"
    );
    let repo = repo_with(STRICT, &[("Dockerfile", &dockerfile)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = merged("Dockerfile", 2)
        .into_iter()
        .chain(merged("Dockerfile", 3))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    let dockerfile = format!(
        "FROM python:3.12\nRUN [\"python\", \"-m\", \"pip\", \"install\", \"-i\", \"{ACME}\", \"acme-core==1.0.0\"]\n"
    );
    let repo = repo_with(STRICT, &[("Dockerfile", &dockerfile)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn makefile_recipe_prefixes() {
    let tail =
        format!("--index-url {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0");
    let makefile = format!(
        "a:\n\t@pip install {tail}\nb:\n\t-pip install {tail}\nc:\n\t+@-python -m pip install {tail}\n"
    );
    let repo = repo_with(STRICT, &[("Makefile", &makefile)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = [2, 4, 6]
        .into_iter()
        .flat_map(|line| merged("Makefile", line))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    let makefile = format!("install:\n\t@pip install --index-url {ACME} acme-core==1.0.0\n");
    let repo = repo_with(STRICT, &[("Makefile", &makefile)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn composite_action_steps_are_read() {
    let action = format!(
        "name: setup\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: pip install --index-url {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0\n"
    );
    let root_action = format!(
        "name: root\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      env:\n        PIP_EXTRA_INDEX_URL: https://pypi.org/simple\n      run: pip install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(
        STRICT,
        &[
            (".github/actions/setup/action.yml", &action),
            ("action.yaml", &root_action),
            (
                ".github/workflows/ci.yml",
                &workflow("      - uses: ./.github/actions/setup\n"),
            ),
        ],
    );
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = merged(".github/actions/setup/action.yml", 6)
        .into_iter()
        .chain(merged("action.yaml", 8))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");

    let action = format!(
        "name: setup\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: pip install --index-url {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[(".github/actions/setup/action.yml", &action)]);
    assert_clean(&run_json(&repo, 0));
}

#[test]
fn dockerfile_and_containerfile_names() {
    let dockerfile = format!(
        "FROM python:3.12\nRUN pip install --index-url {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0\n"
    );
    let names = [
        "Containerfile",
        "Containerfile.cuda",
        "Dockerfile-gpu",
        "Dockerfile.gpu",
        "docker/gpu.Dockerfile",
    ];
    let files: Vec<(&str, &str)> = names.iter().map(|n| (*n, dockerfile.as_str())).collect();
    let repo = repo_with(STRICT, &files);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = names.iter().flat_map(|n| merged(n, 2)).collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");
}

#[test]
fn cli_every_command_of_a_line_is_read() {
    // After `&&`, `;` and inside `$(…)`; `uv run pip` is pip, so PIP_* settings reach it.
    let tail = format!("-i {ACME} --extra-index-url https://pypi.org/simple acme-core==1.0.0");
    let script = format!(
        "pip install -U pip && pip install {tail}\n\
         pip install -U pip; pip install {tail}\n\
         OUT=$(pip install {tail})\n\
         export PIP_EXTRA_INDEX_URL=https://pypi.org/simple\n\
         uv run pip install -i {ACME} acme-core==1.0.0\n\
         uv --directory app pip install -i {ACME} acme-core==1.0.0\n"
    );
    let repo = repo_with(STRICT, &[("setup.sh", &script)]);
    let report = run_json(&repo, 1);
    let mut expected: Vec<_> = [1, 2, 3, 5]
        .into_iter()
        .flat_map(|line| merged("setup.sh", line))
        .collect();
    expected.sort();
    assert_eq!(places(&report), expected, "{report:#}");
}
