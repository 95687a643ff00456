//! Waivers and severity overrides.

use crate::common::{Repo, findings, findings_of, sha256sum};

/// Acceptance B: a clean safetensors file plus a pickle named `weights.safetensors`.
fn pickle_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.copy_fixture("mismatch/weights.safetensors", "weights.safetensors");
    repo
}

/// A repository whose only problem is a format mismatch: a real safetensors file named
/// `models/model.onnx` (nothing else about its content is wrong).
fn onnx_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.copy_fixture("mismatch/model.onnx", "models/model.onnx");
    repo
}

fn waiver(rule: &str, path: &str, extra: &str) -> String {
    format!(
        "version: 1\n# accepted risks\nwaivers:\n  - rule: {rule}\n    path: {path}\n    reason: reviewed by the security team\n{extra}"
    )
}

#[test]
fn onnx_repo_fails_without_a_waiver() {
    let out = onnx_repo().check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let keys: Vec<&str> = findings(&report)
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(keys, ["format-mismatch"], "{out}");
}

#[test]
fn waiver_covers_the_mismatch_on_acceptance_b() {
    let repo = pickle_repo();
    repo.policy(&waiver("format-mismatch", "weights.safetensors", ""));
    let out = repo.check().args(["--format", "json"]).run();
    let report = out.json();
    assert_eq!(report["summary"]["waived"], 1, "{out}");
    assert!(findings_of(&report, "format-mismatch").is_empty(), "{out}");
    assert!(findings_of(&report, "waiver-unused").is_empty(), "{out}");
    // The waiver covers the name, not the content: the pickle is still judged on its own, so the
    // run fails for whatever the pickle itself is (today: it cannot be inspected).
    out.code(1);
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["path"] == "weights.safetensors" && f["rule"] != "format-mismatch"),
        "{out}"
    );
}

#[test]
fn waiver_turns_a_failure_into_a_pass() {
    let repo = onnx_repo();
    repo.policy(&waiver("format-mismatch", "models/model.onnx", ""));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["passed"], true);
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(findings(&report).len(), 0, "{out}");

    let human = repo.check().run();
    human.code(0);
    insta::assert_snapshot!(human.stdout, @r"gate: passed — 3 files checked, 2 artifacts (0 errors, 0 warnings, 1 waived), policy .gate.yml");
}

#[test]
fn waiver_path_is_a_glob() {
    let repo = onnx_repo();
    repo.policy(&waiver("format-mismatch", "\"models/*.onnx\"", ""));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(out.json()["summary"]["waived"], 1);
}

#[test]
fn waiver_for_another_rule_or_path_does_not_apply() {
    let repo = onnx_repo();
    repo.policy(&waiver("format-not-allowed", "models/model.onnx", ""));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(report["summary"]["waived"], 0);
    assert_eq!(findings_of(&report, "format-mismatch").len(), 1, "{out}");
    assert_eq!(findings_of(&report, "waiver-unused").len(), 1, "{out}");

    repo.policy(&waiver("format-mismatch", "other/model.onnx", ""));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    assert_eq!(out.json()["summary"]["waived"], 0);
}

#[test]
fn waiver_with_a_wrong_sha256_does_not_apply() {
    let repo = onnx_repo();
    let wrong = "0".repeat(64);
    repo.policy(&waiver(
        "format-mismatch",
        "models/model.onnx",
        &format!("    sha256: {wrong}\n"),
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(report["summary"]["waived"], 0);
    assert_eq!(findings_of(&report, "format-mismatch").len(), 1, "{out}");
    let unused = findings_of(&report, "waiver-unused");
    assert_eq!(unused.len(), 1, "{out}");
    assert_eq!(unused[0]["severity"], "warning");
    assert_eq!(unused[0]["path"], ".gate.yml");
    assert_eq!(unused[0]["line"], 4, "the waiver's line in the policy");
    assert_eq!(unused[0]["column"], 5);
    assert_eq!(unused[0]["evidence"]["rule"], "format-mismatch");
    assert_eq!(unused[0]["evidence"]["path"], "models/model.onnx");
}

#[test]
fn waiver_with_the_right_sha256_applies() {
    let repo = onnx_repo();
    let digest = sha256sum(&repo.path().join("models/model.onnx"));
    repo.policy(&waiver(
        "format-mismatch",
        "models/model.onnx",
        &format!("    sha256: {digest}\n"),
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(findings(&report).len(), 0, "{out}");
    let artifact = report["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["path"] == "models/model.onnx"))
        .expect("the artifact");
    assert_eq!(
        artifact["sha256"],
        digest.as_str(),
        "the hash gate computed is reported"
    );
}

#[test]
fn waiver_sha256_binds_the_content() {
    let repo = onnx_repo();
    let digest = sha256sum(&repo.path().join("models/model.onnx"));
    repo.policy(&waiver(
        "format-mismatch",
        "models/model.onnx",
        &format!("    sha256: {}\n", digest.to_uppercase()),
    ));
    repo.check().run().code(0);
    // Same name, other content: the waiver no longer applies.
    repo.copy_fixture("formats/safetensors/empty.safetensors", "models/model.onnx");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(findings_of(&report, "format-mismatch").len(), 1, "{out}");
    assert_eq!(findings_of(&report, "waiver-unused").len(), 1, "{out}");
}

#[test]
fn expired_waiver_does_not_apply() {
    let repo = onnx_repo();
    repo.policy(&waiver(
        "format-mismatch",
        "models/model.onnx",
        "    expires: 2020-01-01\n",
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(report["summary"]["waived"], 0);
    assert_eq!(findings_of(&report, "format-mismatch").len(), 1, "{out}");
    assert!(findings_of(&report, "waiver-unused").is_empty(), "{out}");
    let expired = findings_of(&report, "waiver-expired");
    assert_eq!(expired.len(), 1, "{out}");
    let finding = expired[0];
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["path"], ".gate.yml");
    assert_eq!(finding["line"], 4, "the waiver's line in the policy\n{out}");
    assert_eq!(finding["column"], 5);
    assert_eq!(finding["evidence"]["expired"], "2020-01-01");

    let human = repo.check().run();
    assert!(human.stdout.contains("at .gate.yml:4:5"), "{human}");
}

#[test]
fn waiver_that_has_not_expired_applies() {
    let repo = onnx_repo();
    repo.policy(&waiver(
        "format-mismatch",
        "models/model.onnx",
        "    expires: 2999-12-31\n",
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(out.json()["summary"]["waived"], 1);
}

#[test]
fn expired_waiver_in_an_explicit_policy_names_that_file() {
    let repo = onnx_repo();
    let elsewhere = Repo::new();
    let policy = elsewhere.write(
        "policy.yml",
        waiver(
            "format-mismatch",
            "models/model.onnx",
            "    expires: 2020-01-01\n",
        ),
    );
    let out = repo
        .check()
        .args(["--format", "json", "--policy"])
        .arg(&policy)
        .root(elsewhere.path())
        .run();
    out.code(1);
    let report = out.json();
    let expired = findings_of(&report, "waiver-expired");
    assert_eq!(expired.len(), 1, "{out}");
    assert_eq!(expired[0]["path"], "@@ROOT@@/policy.yml");
    assert_eq!(expired[0]["line"], 4);
}

#[test]
fn severity_warning_lets_the_mismatch_pass() {
    let repo = onnx_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: warning\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    let mismatch = findings_of(&report, "format-mismatch");
    assert_eq!(mismatch.len(), 1, "{out}");
    assert_eq!(mismatch[0]["severity"], "warning");
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["errors"], 0);

    repo.check().args(["--fail-on", "warning"]).run().code(1);
}

#[test]
fn severity_warning_on_acceptance_b() {
    let repo = pickle_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: warning\n");
    let out = repo.check().args(["--format", "json"]).run();
    let report = out.json();
    let mismatch = findings_of(&report, "format-mismatch");
    assert_eq!(mismatch.len(), 1, "{out}");
    assert_eq!(mismatch[0]["severity"], "warning");
    repo.check().args(["--fail-on", "warning"]).run().code(1);
}

#[test]
fn severity_note_passes_even_with_fail_on_warning() {
    let repo = onnx_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: note\n");
    let out = repo
        .check()
        .args(["--format", "json", "--fail-on", "warning"])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["summary"]["notes"], 1);
    assert_eq!(
        findings_of(&report, "format-mismatch")[0]["severity"],
        "note"
    );
}

#[test]
fn severity_off_drops_the_finding() {
    // Quoted: YAML 1.1 reads a bare `off` as `false` (see the ignored test below).
    let repo = onnx_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: \"off\"\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(findings(&report).len(), 0, "{out}");
    assert_eq!(report["summary"]["waived"], 0);

    let repo = pickle_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: \"off\"\n");
    let out = repo.check().args(["--format", "json"]).run();
    let report = out.json();
    assert!(findings_of(&report, "format-mismatch").is_empty(), "{out}");
}

#[test]
fn severity_off_unquoted_drops_the_finding() {
    let repo = onnx_repo();
    repo.policy("version: 1\nseverity:\n  format-mismatch: off\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(findings(&out.json()).len(), 0, "{out}");
}

#[test]
fn severity_error_can_raise_a_warning() {
    let repo = onnx_repo();
    repo.policy(&format!(
        "{}severity:\n  waiver-unused: error\n",
        waiver("format-mismatch", "gone.pt", "")
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(
        findings_of(&report, "waiver-unused")[0]["severity"],
        "error"
    );
}

#[test]
fn human_output_puts_the_most_severe_first_within_a_file() {
    let repo = onnx_repo();
    repo.policy(&format!(
        "{}  - rule: format-mismatch\n    path: gone.pt\n    reason: stale\nseverity:\n  waiver-unused: error\n",
        waiver("format-mismatch", "models/model.onnx", "    expires: 2020-01-01\n")
    ));
    let out = repo.check().args(["--fail-on", "warning"]).run();
    out.code(1);
    insta::assert_snapshot!(out.stdout, @r"
        .gate.yml
          error[waiver-unused] waiver for format-mismatch on `gone.pt` matched no finding
            at .gate.yml:8:5
            help: delete the waiver, or correct its rule, path or sha256
          warning[waiver-expired] waiver for format-mismatch on `models/model.onnx` expired on 2020-01-01
            at .gate.yml:4:5
            help: fix what it covered and delete the waiver, or review it and move `expires` forward

        models/model.onnx (safetensors, 240 B)
          error[format-mismatch] named `.onnx` but the content is safetensors
            help: rename the file to match its content, or replace it with a real onnx file

        gate: failed (--fail-on warning) — 3 files checked, 2 artifacts (2 errors, 1 warning), policy .gate.yml
        ");
}
