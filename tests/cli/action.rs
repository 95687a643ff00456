//! The composite action (`action.yml`): its scripts run here with bash, as the runner would run
//! them, against the built binary — inputs reach gate only through the environment, and gate's
//! own step outputs come back.

use crate::common::{Repo, manifest_dir};
use crate::github::StepFiles;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

fn action() -> Value {
    let text = std::fs::read_to_string(manifest_dir().join("action.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("action.yml is YAML")
}

fn step<'a>(action: &'a Value, id: &str) -> &'a Value {
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The inputs' defaults, overridden by `given`.
fn inputs(action: &Value, given: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["default"].as_str().unwrap_or("").to_owned()))
        .collect();
    for (k, v) in given {
        assert!(values.contains_key(*k), "action.yml has no input {k}");
        values.insert((*k).to_owned(), (*v).to_owned());
    }
    values
}

/// Runs the `run` step's script the way the runner does: `env:` expressions resolved from the
/// inputs, the script itself passed to bash untouched.
fn run_step(repo: &Repo, steps: &StepFiles, given: &[(&str, &str)]) -> (i32, String, String) {
    let action = action();
    let step = step(&action, "run");
    let script = step["run"].as_str().unwrap();
    assert!(!script.contains("${{"), "no expression inside the script");
    let inputs = inputs(&action, given);
    let runner_temp = tempfile::tempdir().unwrap();
    let bin = runner_temp.path().join("gate-install/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("gate"), bin.join("gate")).unwrap();
    let mut command = Command::new("bash");
    command
        .args([
            "--noprofile",
            "--norc",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
        ])
        .current_dir(repo.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("RUNNER_TEMP", runner_temp.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", repo.path())
        .env("GITHUB_STEP_SUMMARY", steps.summary())
        .env("GITHUB_OUTPUT", steps.output());
    for (name, value) in step["env"].as_object().unwrap() {
        let expression = value.as_str().unwrap();
        let input = expression
            .strip_prefix("${{ inputs.")
            .and_then(|e| e.strip_suffix(" }}"))
            .unwrap_or_else(|| panic!("{name} is not an input: {expression}"));
        command.env(name, &inputs[input]);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_action_runs_gate_check_with_its_defaults() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    let steps = StepFiles::new();
    let (code, stdout, stderr) = run_step(&repo, &steps, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("gate: passed"), "{stdout}");
    assert_eq!(
        steps.read_output(),
        "passed=true\nerrors=0\nwarnings=0\nsarif-file=\n"
    );
    assert!(steps.read_summary().contains("gate: passed"));
}

#[test]
fn the_action_passes_inputs_as_data_only() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "sub/x.gguf");
    let steps = StepFiles::new();
    let (code, stdout, stderr) = run_step(
        &repo,
        &steps,
        &[
            ("path", "sub"),
            ("sarif-file", "out $(touch pwned).sarif"),
            ("fail-on", "warning"),
        ],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("::error file=sub/x.gguf,"), "{stdout}");
    assert!(repo.path().join("out $(touch pwned).sarif").is_file());
    assert!(
        !repo.path().join("pwned").exists(),
        "an input never runs as shell"
    );
    assert!(
        steps
            .read_output()
            .ends_with("sarif-file=out $(touch pwned).sarif\n")
    );

    let (code, _, stderr) = run_step(&repo, &steps, &[("policy", "--help; touch pwned")]);
    assert_eq!(
        code, 2,
        "a policy that does not exist is an error: {stderr}"
    );
    assert!(!repo.path().join("pwned").exists());
}

#[test]
fn the_cache_key_changes_with_the_sources() {
    let action = action();
    let script = step(&action, "key")["run"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    let key = |source: &str| {
        std::fs::write(dir.path().join("main.rs"), source).unwrap();
        std::fs::write(&out, "").unwrap();
        let status = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-c", script])
            .env("GITHUB_ACTION_PATH", dir.path())
            .env("GITHUB_OUTPUT", &out)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(&out).unwrap()
    };
    let first = key("fn main() {}");
    assert!(first.starts_with("key=gate-Linux-X64-rustc"), "{first}");
    assert_eq!(first, key("fn main() {}"));
    assert_ne!(first, key("fn main() { }"));
}
