//! `gate check`: the acceptance scenarios, exit codes and `--output`.

use crate::common::{Gate, Repo, findings_of};

/// A repository whose only artifact is a valid safetensors file.
fn clean_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo
}

/// Acceptance B: the clean repository plus a pickle renamed `weights.safetensors`.
fn mismatch_repo() -> Repo {
    let repo = clean_repo();
    repo.copy_fixture("mismatch/weights.safetensors", "weights.safetensors");
    repo
}

#[test]
fn acceptance_a_valid_safetensors_passes() {
    let repo = clean_repo();
    let out = repo.check().run();
    out.code(0);
    assert_eq!(out.stderr, "", "nothing on stderr when passing");
    insta::assert_snapshot!(out.stdout, @r"gate: passed — 1 file checked, 1 artifact (0 errors, 0 warnings), policy <built-in default>");
}

#[test]
fn acceptance_b_pickle_named_safetensors_fails() {
    let repo = mismatch_repo();
    let json = repo.check().args(["--format", "json"]).run();
    json.code(1);
    let report = json.json();
    assert_eq!(report["passed"], false);
    let mismatches = findings_of(&report, "format-mismatch");
    assert_eq!(mismatches.len(), 1, "one format-mismatch finding\n{json}");
    let finding = mismatches[0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["path"], "weights.safetensors");
    assert_eq!(finding["evidence"]["format"], "pickle");
    assert_eq!(finding["evidence"]["extension"], ".safetensors");
    assert!(
        findings_of(&report, "format-mismatch")
            .iter()
            .all(|f| f["path"] != "model.safetensors"),
        "the real safetensors file is fine"
    );

    let human = repo.check().run();
    human.code(1);
    insta::assert_snapshot!(human.stdout, @r"
        weights.safetensors (pickle, 46 B)
          error[format-mismatch] named `.safetensors` but the content is pickle (a format that can run code when loaded)
            help: rename the file to match its content, or replace it with a real safetensors file
          error[pickle-dangerous-global] pickle calls posix.system
            at byte 2
            help: do not load this file; convert the model to safetensors from a trusted copy

        gate: failed — 2 files checked, 2 artifacts (2 errors, 0 warnings), policy <built-in default>
        ");
}

#[test]
fn acceptance_c_unknown_key_names_its_line() {
    let repo = clean_repo();
    repo.policy("version: 1\nmodels:\n  allow-fromats: [safetensors]\n");
    let out = repo.check().run();
    out.code(2);
    assert_eq!(out.stdout, "", "nothing is judged, nothing is reported");
    assert!(out.stderr.contains("line 3"), "{out}");
    assert!(out.stderr.contains("allow-fromats"), "{out}");
    assert!(out.stderr.contains(".gate.yml:3:3"), "{out}");
    assert!(
        out.stderr.contains("did you mean `allow-formats`?"),
        "{out}"
    );
}

#[test]
fn exit_0_when_passed() {
    clean_repo().check().run().code(0);
}

#[test]
fn exit_1_when_an_error_finding_remains() {
    mismatch_repo().check().run().code(1);
}

#[test]
fn exit_2_for_an_unknown_flag() {
    let repo = clean_repo();
    let out = repo.check().arg("--no-such-flag").run();
    out.code(2);
    assert!(out.stderr.contains("--no-such-flag"), "{out}");
    assert_eq!(out.stdout, "");
}

#[test]
fn exit_2_for_an_unknown_subcommand() {
    let out = Gate::new().arg("frobnicate").run();
    out.code(2);
    assert!(out.stderr.contains("frobnicate"), "{out}");
}

#[test]
fn exit_2_for_a_bad_flag_value() {
    let repo = clean_repo();
    repo.check().args(["--format", "xml"]).run().code(2);
    repo.check().args(["--fail-on", "note"]).run().code(2);
    repo.check().args(["--jobs", "0"]).run().code(2);
}

#[test]
fn help_exits_0() {
    let out = Gate::new().arg("--help").run();
    out.code(0);
    assert!(out.stdout.contains("Usage"), "{out}");
    for command in ["check", "scan", "explain", "policy"] {
        assert!(
            out.stdout.contains(command),
            "help lists `{command}`\n{out}"
        );
    }
    let out = Gate::new().args(["check", "--help"]).run();
    out.code(0);
    assert!(out.stdout.contains("--fail-on"), "{out}");
}

#[test]
fn version_exits_0() {
    let out = Gate::new().arg("--version").run();
    out.code(0);
    assert_eq!(
        out.stdout.trim(),
        concat!("gate ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn exit_2_for_a_missing_root() {
    let repo = Repo::new();
    let missing = repo.path().join("does-not-exist");
    let out = Gate::new()
        .arg("check")
        .arg(&missing)
        .root(repo.path())
        .run();
    out.code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr.trim(),
        "error: @@ROOT@@/does-not-exist is not a folder"
    );
}

#[test]
fn exit_2_when_root_is_a_file() {
    let repo = clean_repo();
    let out = Gate::new()
        .arg("check")
        .arg(repo.path().join("model.safetensors"))
        .run();
    out.code(2);
    assert!(out.stderr.contains("is not a folder"), "{out}");
}

#[test]
fn exit_2_for_a_missing_policy_file() {
    let repo = clean_repo();
    let out = repo.check().args(["--policy", "no-such-policy.yml"]).run();
    out.code(2);
    assert!(
        out.stderr.contains("cannot read policy no-such-policy.yml"),
        "{out}"
    );
}

#[test]
fn fail_on_warning_fails_a_warning_only_result() {
    let repo = clean_repo();
    repo.policy(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: nothing-here.bin\n    reason: stale\n",
    );
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(findings_of(&report, "waiver-unused").len(), 1);

    let out = repo.check().args(["--fail-on", "warning"]).run();
    out.code(1);
    assert!(
        out.stdout.contains("gate: failed (--fail-on warning)"),
        "{out}"
    );
    assert!(out.stdout.contains("warning[waiver-unused]"), "{out}");
}

#[test]
fn fail_on_warning_still_passes_a_clean_repository() {
    clean_repo()
        .check()
        .args(["--fail-on", "warning"])
        .run()
        .code(0);
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let repo = mismatch_repo();
    let out_dir = Repo::new();
    let report_path = out_dir.path().join("report.json");
    let out = repo
        .check()
        .args(["--format", "json", "--output"])
        .arg(&report_path)
        .run();
    out.code(1);
    assert_eq!(out.stdout, "", "the report goes to the file only");
    let written = std::fs::read(&report_path).expect("the report file exists");
    let direct = repo.check().args(["--format", "json"]).run();
    assert_eq!(
        written, direct.raw_stdout,
        "the file holds exactly what stdout would"
    );

    let human_path = out_dir.path().join("report.txt");
    let out = repo.check().arg("--output").arg(&human_path).run();
    out.code(1);
    assert_eq!(out.stdout, "");
    let written = std::fs::read_to_string(&human_path).expect("the report file exists");
    assert!(!written.contains('\x1b'), "no colour in files");
    assert!(written.contains("error[format-mismatch]"), "{written}");
    assert!(written.contains("gate: failed"), "{written}");
}

#[test]
fn output_file_ignores_colour_requests() {
    let repo = mismatch_repo();
    let out_dir = Repo::new();
    let path = out_dir.path().join("report.txt");
    let out = repo
        .check()
        .env("CLICOLOR_FORCE", "1")
        .arg("--output")
        .arg(&path)
        .run();
    out.code(1);
    let written = std::fs::read_to_string(&path).expect("the report file exists");
    assert!(!written.contains('\x1b'), "{written:?}");
}

#[test]
fn exit_2_when_the_output_file_cannot_be_written() {
    let repo = clean_repo();
    let out = repo
        .check()
        .arg("--output")
        .arg(repo.path().join("no/such/folder/report.json"))
        .run();
    out.code(2);
    assert!(out.stderr.contains("cannot write the report"), "{out}");
}

#[test]
fn policy_is_found_at_every_discovery_path() {
    for place in [".gate.yml", ".gate.yaml", ".github/gate.yml"] {
        let repo = clean_repo();
        repo.write(place, "version: 1\nbogus-key: 1\n");
        let out = repo.check().run();
        out.code(2);
        assert!(
            out.stderr.contains(&format!("{place}:2:1")),
            "policy at {place} is read\n{out}"
        );
    }
}

#[test]
fn explicit_policy_outside_root_is_used() {
    let repo = clean_repo();
    repo.copy_fixture("mismatch/model.onnx", "model.onnx");
    repo.check().run().code(1);
    let elsewhere = Repo::new();
    let policy = elsewhere.write(
        "lenient.yml",
        "version: 1\nseverity:\n  format-mismatch: \"off\"\n",
    );
    let out = repo
        .check()
        .args(["--format", "json", "--policy"])
        .arg(&policy)
        .root(elsewhere.path())
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["policy"], "@@ROOT@@/lenient.yml");
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[test]
fn built_in_policy_without_a_policy_file() {
    let out = clean_repo().check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(out.json()["policy"], "<built-in default>");
}

#[test]
fn colour_only_when_asked() {
    let repo = mismatch_repo();
    let plain = repo.check().run();
    assert!(
        !plain.stdout.contains('\x1b'),
        "NO_COLOR=1 and a pipe: plain"
    );
    let forced = repo
        .check()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .run();
    forced.code(1);
    assert!(
        forced.stdout.contains('\x1b'),
        "CLICOLOR_FORCE=1 colours\n{forced}"
    );
    let both = repo.check().env("CLICOLOR_FORCE", "1").run();
    assert!(!both.stdout.contains('\x1b'), "NO_COLOR wins\n{both}");
}
