//! Policy validation: every kind of policy error ends the run with exit code 2 and names the
//! policy line; all errors are reported at once; `gate policy check`.

use crate::common::{Gate, Output, Repo, findings_of, manifest_dir};

/// Runs `gate check` on a repository holding only a clean safetensors file and `.gate.yml` =
/// `yaml`; the policy must be rejected (exit 2, nothing on stdout).
#[track_caller]
fn rejected(yaml: &str) -> Output {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.policy(yaml);
    let out = repo.check().run();
    out.code(2);
    assert_eq!(
        out.stdout, "",
        "no report when the policy is invalid\n{out}"
    );
    out
}

/// Asserts that stderr holds `message`, placed at `line`:`column` of `.gate.yml`.
#[track_caller]
fn assert_error(out: &Output, message: &str, line: u32, column: u32) {
    let title = format!("error: {message} (line {line}, column {column})");
    assert!(
        out.stderr.lines().any(|l| l == title),
        "expected the line {title:?}\n{out}"
    );
    assert!(
        out.stderr
            .contains(&format!(" --> .gate.yml:{line}:{column}\n")),
        "expected a snippet pointing at .gate.yml:{line}:{column}\n{out}"
    );
}

/// Asserts the final summary line `error: N error(s) in policy .gate.yml`.
#[track_caller]
fn assert_count(out: &Output, n: usize) {
    let expected = if n == 1 {
        "error: 1 error in policy .gate.yml".to_owned()
    } else {
        format!("error: {n} errors in policy .gate.yml")
    };
    assert_eq!(
        out.stderr.trim_end().lines().last(),
        Some(expected.as_str()),
        "{out}"
    );
}

#[test]
fn unknown_key_at_top_level() {
    let out = rejected("version: 1\nmodel:\n  allow-formats: [onnx]\n");
    assert_error(&out, "unknown key `model` at the top level", 2, 1);
    assert!(out.stderr.contains("help: did you mean `models`?"), "{out}");
    assert_count(&out, 1);
}

#[test]
fn unknown_key_nested() {
    let out = rejected("version: 1\nmodels:\n  pickle:\n    allow-preset: [pytorch]\n");
    assert_error(&out, "unknown key `allow-preset` in `models.pickle`", 4, 5);
    assert!(
        out.stderr.contains("did you mean `allow-presets`?"),
        "{out}"
    );
    assert_count(&out, 1);
}

#[test]
fn unknown_key_in_a_list_entry() {
    let out = rejected(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: a.pt\n    reason: ok\n    owner: me\n",
    );
    assert_error(&out, "unknown key `owner` in `waivers[]`", 6, 5);
}

#[test]
fn keys_are_kebab_case() {
    let out = rejected("version: 1\nmodels:\n  allow_formats: [onnx]\n");
    assert_error(&out, "unknown key `allow_formats` in `models`", 3, 3);
}

#[test]
fn wrong_type_list_expected() {
    let out = rejected("version: 1\nmodels:\n  allow-formats: 3\n");
    assert_error(
        &out,
        "`models.allow-formats` must be a list, found an integer",
        3,
        18,
    );
}

#[test]
fn wrong_type_boolean_expected() {
    let out = rejected("version: 1\ndependencies:\n  require-hashes: \"yes\"\n");
    assert_error(
        &out,
        "`dependencies.require-hashes` must be true or false, found a string",
        3,
        19,
    );
}

#[test]
fn wrong_type_mapping_expected() {
    let out = rejected("version: 1\nmodels: [safetensors]\n");
    assert_error(&out, "`models` must be a mapping, found a list", 2, 9);
}

#[test]
fn wrong_type_number_expected() {
    let out = rejected("version: 1\nmodels:\n  max-archive-members: lots\n");
    assert_error(
        &out,
        "`models.max-archive-members` must be a positive whole number, found a string",
        3,
        24,
    );
}

#[test]
fn bad_sha256_in_a_waiver() {
    let out = rejected(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: a.pt\n    reason: ok\n    sha256: abc123\n",
    );
    assert_error(
        &out,
        "`waivers[].sha256` must be 64 hexadecimal digits, found `abc123`",
        6,
        13,
    );
    assert!(out.stderr.contains("6 characters, not a SHA-256"), "{out}");
}

#[test]
fn bad_sha256_in_datasets_files() {
    let not_hex = "g".repeat(64);
    let out = rejected(&format!(
        "version: 1\ndatasets:\n  files:\n    - path: data/train.csv\n      sha256: {not_hex}\n"
    ));
    assert_error(
        &out,
        &format!("`datasets.files[].sha256` must be 64 hexadecimal digits, found `{not_hex}`"),
        5,
        15,
    );
}

#[test]
fn bad_glob_in_paths_exclude() {
    let out = rejected("version: 1\npaths:\n  exclude: [\"a/[b\"]\n");
    assert_error(
        &out,
        "invalid glob `a/[b` in `paths.exclude`: unclosed character class; missing ']'",
        3,
        13,
    );
}

#[test]
fn bad_date_in_waiver_expires() {
    let out = rejected(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: a.pt\n    reason: ok\n    expires: 2027-02-30\n",
    );
    assert_error(
        &out,
        "`waivers[].expires` must be a date like 2027-03-01, found `2027-02-30`",
        6,
        14,
    );
}

#[test]
fn bad_date_format_in_waiver_expires() {
    let out = rejected(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: a.pt\n    reason: ok\n    expires: next year\n",
    );
    assert_error(
        &out,
        "`waivers[].expires` must be a date like 2027-03-01, found `next year`",
        6,
        14,
    );
}

#[test]
fn unsupported_version() {
    let out = rejected("version: 2\n");
    assert_error(&out, "unsupported policy version 2", 1, 10);
    assert!(out.stderr.contains("this gate reads version 1"), "{out}");
}

#[test]
fn version_must_be_a_number() {
    let out = rejected("version: \"1\"\n");
    assert_error(
        &out,
        "`version` must be the number 1, found a string",
        1,
        10,
    );
}

#[test]
fn missing_version() {
    let out = rejected("# no version here\nmodels:\n  remote-code: error\n");
    assert!(
        out.stderr.contains("error: the policy has no `version`"),
        "{out}"
    );
    assert!(out.stderr.contains("add `version: 1`"), "{out}");
    assert_count(&out, 1);
}

#[test]
fn empty_file() {
    let out = rejected("");
    assert_error(&out, "the policy is empty", 1, 1);
    assert_count(&out, 1);
}

#[test]
fn comments_only_file_is_empty() {
    let out = rejected("# just a comment\n\n");
    assert!(out.stderr.contains("error: the policy is empty"), "{out}");
}

#[test]
fn invalid_yaml_syntax() {
    let out = rejected("version: 1\nmodels: [safetensors\n");
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: invalid YAML: "), "{out}");
    assert!(first.contains("(line 2, column"), "{out}");
    assert!(out.stderr.contains(" --> .gate.yml:2:"), "{out}");
    assert_count(&out, 1);
}

#[test]
fn invalid_yaml_syntax_states_its_position_once() {
    let out = rejected("version: 1\nmodels: [safetensors\n");
    let first = out.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first.matches("line 2").count(),
        1,
        "the title names the position once\n{out}"
    );
}

#[test]
fn duplicate_key() {
    let out = rejected("version: 1\nmodels:\n  remote-code: error\n  remote-code: warning\n");
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: invalid YAML: duplicate"), "{out}");
    assert!(first.contains("remote-code"), "{out}");
    assert!(first.contains("(line 4, column 3)"), "{out}");
    assert!(out.stderr.contains(" --> .gate.yml:4:3"), "{out}");
}

#[test]
fn unknown_rule_in_severity() {
    let out = rejected("version: 1\nseverity:\n  format-missmatch: warning\n");
    assert_error(&out, "unknown rule `format-missmatch`", 3, 3);
    assert!(
        out.stderr.contains("did you mean `format-mismatch`?"),
        "{out}"
    );
}

#[test]
fn unknown_level_in_severity() {
    let out = rejected("version: 1\nseverity:\n  format-mismatch: fatal\n");
    assert_error(
        &out,
        "`severity.format-mismatch` must be one of error, warning, note, off, found `fatal`",
        3,
        20,
    );
}

#[test]
fn unknown_rule_in_a_waiver() {
    let out =
        rejected("version: 1\nwaivers:\n  - rule: no-such-rule\n    path: a.pt\n    reason: ok\n");
    assert_error(&out, "unknown rule `no-such-rule`", 3, 11);
}

#[test]
fn waiver_without_a_reason() {
    let out = rejected("version: 1\nwaivers:\n  - rule: format-mismatch\n    path: a.pt\n");
    assert_error(&out, "a waiver needs `reason`", 3, 5);
}

#[test]
fn waiver_path_must_be_relative() {
    let out = rejected(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: ../outside.pt\n    reason: ok\n",
    );
    assert_error(
        &out,
        "`waivers[].path` must be a path relative to ROOT using `/`, found `../outside.pt`",
        4,
        11,
    );
}

#[test]
fn unknown_pickle_preset() {
    let out = rejected("version: 1\nmodels:\n  pickle:\n    allow-presets: [pytorch, tensorflw]\n");
    assert_error(&out, "unknown pickle preset `tensorflw`", 4, 30);
}

#[test]
fn unknown_model_format() {
    let out = rejected("version: 1\nmodels:\n  allow-formats: [onnx, safetensor]\n");
    assert_error(&out, "unknown model format `safetensor`", 3, 25);
    assert!(out.stderr.contains("did you mean `safetensors`?"), "{out}");
}

#[test]
fn unknown_index_in_package_rules() {
    let out = rejected(
        "version: 1\ndependencies:\n  indexes:\n    acme: https://pypi.acme.internal/simple\n  packages:\n    - names: [\"acme-*\"]\n      allow: [acme, internal]\n",
    );
    assert_error(&out, "unknown index `internal`", 7, 21);
    assert!(out.stderr.contains("declared indexes: acme, pypi"), "{out}");
    assert_count(&out, 1);
}

#[test]
fn invalid_index_url() {
    let out =
        rejected("version: 1\ndependencies:\n  indexes:\n    acme: ftp://acme.internal/simple\n");
    assert_error(
        &out,
        "index `acme` has an unsupported URL scheme `ftp`",
        4,
        11,
    );
}

#[test]
fn policy_not_utf8() {
    let repo = Repo::new();
    repo.write(".gate.yml", b"version: 1\n# \xff\xfe\n");
    let out = repo.check().run();
    out.code(2);
    assert!(out.stderr.starts_with("error: policy "), "{out}");
    assert!(out.stderr.contains(".gate.yml is not valid UTF-8"), "{out}");
}

const MANY_ERRORS: &str = "\
version: 1
colour: always
paths:
  exclude: [\"a/[b\"]
models:
  allow-formats: [safetensors, pickel]
  pickle:
    allow-presets: [pytorch, nope]
  max-archive-members: -1
dependencies:
  require-hashes: \"yes\"
severity:
  format-missmatch: warning
waivers:
  - rule: format-mismatch
    path: weights.safetensors
    reason: reviewed
    sha256: 1234
    expires: 2027-13-01
";

#[test]
fn every_error_is_reported_at_once() {
    let out = rejected(MANY_ERRORS);
    let titles: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && l.contains("(line "))
        .collect();
    assert_eq!(titles.len(), 9, "one title per problem\n{out}");
    for line in [2, 4, 6, 8, 9, 11, 13, 18, 19] {
        assert!(
            titles
                .iter()
                .any(|t| t.contains(&format!("(line {line}, "))),
            "an error on line {line}\n{out}"
        );
    }
    assert_count(&out, 9);
    insta::assert_snapshot!(out.stderr, @r#"
        error: unknown key `colour` at the top level (line 2, column 1)
         --> .gate.yml:2:1
          |
        2 | colour: always
          | ^^^^^^ unknown key
          |
          = help: `policy` accepts: version, paths, models, datasets, dependencies, severity, waivers

        error: invalid glob `a/[b` in `paths.exclude`: unclosed character class; missing ']' (line 4, column 13)
         --> .gate.yml:4:13
          |
        4 |   exclude: ["a/[b"]
          |             ^^^^^^ invalid glob

        error: unknown model format `pickel` (line 6, column 32)
         --> .gate.yml:6:32
          |
        6 |   allow-formats: [safetensors, pickel]
          |                                ^^^^^^ not a format gate knows
          |
          = help: did you mean `pickle`?

        error: unknown pickle preset `nope` (line 8, column 30)
         --> .gate.yml:8:30
          |
        8 |     allow-presets: [pytorch, nope]
          |                              ^^^^ no such preset
          |
          = help: presets: pytorch, numpy, joblib, sklearn, transformers

        error: `models.max-archive-members` must be a positive whole number, found -1 (line 9, column 24)
         --> .gate.yml:9:24
          |
        9 |   max-archive-members: -1
          |                        ^^ expected a number above 0

        error: `dependencies.require-hashes` must be true or false, found a string (line 11, column 19)
          --> .gate.yml:11:19
           |
        11 |   require-hashes: "yes"
           |                   ^^^^^ expected true or false

        error: unknown rule `format-missmatch` (line 13, column 3)
          --> .gate.yml:13:3
           |
        13 |   format-missmatch: warning
           |   ^^^^^^^^^^^^^^^^ no such rule
           |
           = help: did you mean `format-mismatch`?

        error: `waivers[].sha256` must be 64 hexadecimal digits, found `1234` (line 18, column 13)
          --> .gate.yml:18:13
           |
        18 |     sha256: 1234
           |             ^^^^ 4 characters, not a SHA-256
           |
           = help: `gate hash PATH` or `sha256sum PATH` prints it

        error: `waivers[].expires` must be a date like 2027-03-01, found `2027-13-01` (line 19, column 14)
          --> .gate.yml:19:14
           |
        19 |     expires: 2027-13-01
           |              ^^^^^^^^^^ not a YYYY-MM-DD date

        error: 9 errors in policy .gate.yml
        "#);
}

#[test]
fn policy_check_accepts_the_shipped_policies() {
    for name in ["default.yml", "strict.yml"] {
        let path = manifest_dir().join("policies").join(name);
        let out = Gate::new().args(["policy", "check"]).arg(&path).run();
        out.code(0);
        assert_eq!(out.stdout, format!("ok: {}\n", path.display()));
    }
}

#[test]
fn policy_check_relative_path() {
    let out = Gate::new()
        .args(["policy", "check", "policies/default.yml"])
        .run();
    out.code(0);
    assert_eq!(out.stdout, "ok: policies/default.yml\n");
}

#[test]
fn policy_check_without_a_file_uses_the_discovered_policy() {
    let repo = Repo::new();
    let out = repo.gate().args(["policy", "check"]).run();
    out.code(0);
    assert_eq!(out.stdout, "ok: <built-in default>\n");

    repo.write(".github/gate.yml", "version: 1\n");
    let out = repo.gate().args(["policy", "check"]).run();
    out.code(0);
    assert_eq!(out.stdout, "ok: .github/gate.yml\n");
}

#[test]
fn policy_check_reports_errors() {
    let repo = Repo::new();
    let path = repo.write(
        "bad.yml",
        "version: 1\nmodels:\n  allow-formats: [pickel]\n",
    );
    let out = repo.gate().args(["policy", "check", "bad.yml"]).run();
    out.code(2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("error: unknown model format `pickel` (line 3, column 19)"),
        "{out}"
    );
    assert!(out.stderr.contains(" --> bad.yml:3:19"), "{out}");
    assert!(
        out.stderr
            .trim_end()
            .ends_with("error: 1 error in policy bad.yml"),
        "{out}"
    );
    assert!(path.exists());
}

#[test]
fn policy_check_missing_file() {
    let out = Gate::new()
        .args(["policy", "check", "no-such-policy.yml"])
        .run();
    out.code(2);
    assert!(
        out.stderr.contains("cannot read policy no-such-policy.yml"),
        "{out}"
    );
}

fn pinned_dataset_policy() -> String {
    format!(
        "version: 1\ndatasets:\n  files:\n    - path: data/train.csv\n      sha256: {}\n",
        "a".repeat(64)
    )
}

#[test]
fn check_enforces_dataset_pins_now() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.write("data/train.csv", "a,b\n1,2\n");
    repo.policy(&pinned_dataset_policy());
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let mismatches = findings_of(&report, "dataset-hash-mismatch");
    assert_eq!(mismatches.len(), 1, "{out}");
    assert_eq!(mismatches[0]["path"], "data/train.csv", "{out}");
    assert_eq!(mismatches[0]["evidence"]["policy"], ".gate.yml:4", "{out}");
}

#[test]
fn policy_check_is_quiet_about_every_section() {
    let repo = Repo::new();
    repo.write(
        "full.yml",
        "version: 1\ndatasets:\n  manifests: [data/SHA256SUMS]\ndependencies:\n  require-hashes: true\n",
    );
    let out = repo.gate().args(["policy", "check", "full.yml"]).run();
    out.code(0);
    assert_eq!(out.stdout, "ok: full.yml\n");
    assert!(!out.stderr.contains("not enforced"), "{out}");
}

#[test]
fn symlinked_policy_is_not_silently_replaced_by_the_default() {
    let repo = Repo::new();
    repo.copy_fixture("mismatch/model.onnx", "model.onnx");
    repo.write("policies/gate.yml", "version: 1\nbogus-key: 1\n");
    std::os::unix::fs::symlink("policies/gate.yml", repo.path().join(".gate.yml")).unwrap();
    let out = repo.check().args(["--format", "json"]).run();
    // Either following the link (and rejecting the invalid policy) or refusing the link is
    // fine; judging the repository with a policy nobody wrote is not.
    out.code(2);
}

#[test]
fn symlinked_policy_inside_root_is_followed() {
    let repo = Repo::new();
    repo.copy_fixture("mismatch/model.onnx", "model.onnx");
    repo.write(
        "policies/gate.yml",
        "version: 1\nseverity:\n  format-mismatch: off\n",
    );
    std::os::unix::fs::symlink("policies/gate.yml", repo.path().join(".gate.yml")).unwrap();
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(out.json()["policy"], ".gate.yml", "{out}");
}

#[test]
fn symlinked_policy_leaving_root_is_refused() {
    let repo = Repo::new();
    let elsewhere = Repo::new();
    elsewhere.write("gate.yml", "version: 1\n");
    std::os::unix::fs::symlink(
        elsewhere.path().join("gate.yml"),
        repo.path().join(".gate.yml"),
    )
    .unwrap();
    let out = repo.check().run();
    out.code(2);
    assert!(out.stderr.contains(".gate.yml"), "{out}");
    assert!(out.stderr.contains("inside ROOT"), "{out}");
}

#[test]
fn policy_that_is_a_fifo_is_refused_without_blocking() {
    let repo = Repo::new();
    let status = std::process::Command::new("mkfifo")
        .arg(repo.path().join(".gate.yml"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = repo.check().run();
    out.code(2);
    assert!(out.stderr.contains("not a regular file"), "{out}");
}
