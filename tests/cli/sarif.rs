//! `--sarif FILE` and `--format sarif`: SARIF 2.1.0 validated against the OASIS schema
//! (tests/schemas/sarif-schema-2.1.0.json, formats checked), plus what GitHub code scanning needs:
//! rules with help and security-severity, relative percent-encoded URIs, line regions on text
//! lines, stable fingerprints.

use crate::common::{Gate, Repo, manifest_dir};
use crate::github::StepFiles;
use serde_json::Value;
use std::collections::BTreeSet;

#[track_caller]
fn assert_valid_sarif(log: &Value) {
    let path = manifest_dir().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
}

/// Findings of every kind of place: a policy line (waiver), a byte offset, a whole file, and a
/// file name that needs percent-encoding.
fn busy_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.copy_fixture(
        "safetensors-invalid/offsets-gap.safetensors",
        "models/bad.safetensors",
    );
    repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "models/a b#%?,:é.gguf",
    );
    repo.policy(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: nothing.bin\n    reason: test\n",
    );
    repo
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn result_for<'a>(log: &'a Value, rule: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result"))
}

#[test]
fn sarif_side_output_validates_and_keeps_the_verdict() {
    let repo = busy_repo();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gate.sarif");
    let out = repo.gate().arg("check").arg("--sarif").arg(&file).run();
    out.code(1);
    assert!(
        out.stdout.contains("gate: failed"),
        "human stays the primary format\n{out}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let log: Value = serde_json::from_str(&text).unwrap();
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(results(&log).len(), 3);
    assert!(
        log["runs"][0].get("automationDetails").is_none(),
        "upload-sarif's `category` applies only when the log has none"
    );

    let stdout = repo.gate().args(["check", "--format", "sarif"]).run();
    stdout.code(1);
    assert_eq!(stdout.stdout, text, "--format sarif prints the same log");
}

#[test]
fn locations_are_relative_encoded_and_on_text_lines_where_they_exist() {
    let repo = busy_repo();
    let log = repo
        .gate()
        .args(["check", "--format", "sarif"])
        .run()
        .json();
    let waiver = result_for(&log, "waiver-unused");
    assert_eq!(waiver["level"], "warning");
    assert_eq!(
        waiver["locations"][0]["physicalLocation"],
        serde_json::json!({
            "artifactLocation": {"uri": ".gate.yml"},
            "region": {"startLine": 3, "startColumn": 5}
        })
    );
    let invalid = result_for(&log, "safetensors-invalid");
    assert_eq!(
        invalid["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": "models/bad.safetensors"}}),
        "a binary file gets a file-level location"
    );
    assert_eq!(invalid["properties"]["offset"], 8);
    let mismatch = result_for(&log, "format-mismatch");
    assert_eq!(
        mismatch["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "models/a%20b%23%25%3F%2C%3A%C3%A9.gguf"
    );
    assert_eq!(mismatch["level"], "error");
    assert!(
        mismatch["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("named `.gguf` but the content is safetensors")
    );

    // ROOT below the repository: URIs stay relative to the repository.
    let out = repo
        .gate()
        .args(["check", "models", "--format", "sarif"])
        .run();
    let log = out.json();
    let uris: BTreeSet<&str> = results(&log)
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        BTreeSet::from([
            "models/a%20b%23%25%3F%2C%3A%C3%A9.gguf",
            "models/bad.safetensors"
        ]),
        "{out}"
    );
}

#[test]
fn every_rule_is_described_for_code_scanning() {
    let log = busy_repo()
        .gate()
        .args(["check", "--format", "sarif"])
        .run()
        .json();
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "gate");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    let listed = Gate::new().arg("explain").run();
    let ids: Vec<&str> = listed
        .stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ids, "the registry, in order");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in ["shortDescription", "fullDescription"] {
            let text = rule[field]["text"].as_str().unwrap();
            assert!(
                !text.is_empty() && text.chars().count() <= 1024,
                "{id} {field}"
            );
        }
        assert!(
            rule["help"]["text"]
                .as_str()
                .unwrap()
                .contains("## How to fix"),
            "{id}"
        );
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Why"),
            "{id}"
        );
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .expect("security-severity is a string")
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&score), "{id}");
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&"security".into())
        );
    }
    for result in results(&log) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let repo = busy_repo();
    repo.copy_fixture("formats/safetensors/model.safetensors", "other.gguf");
    let run = || {
        repo.gate()
            .args(["check", "--format", "sarif"])
            .run()
            .json()
    };
    let prints = |log: &Value| -> Vec<String> {
        results(log)
            .iter()
            .map(|r| {
                let prints = &r["partialFingerprints"];
                let ours = prints["gate/v1"].as_str().unwrap().to_owned();
                // upload-sarif computes the line hash of text lines itself (and warns when a
                // given one differs); gate gives it only for file-level results.
                let has_region = r["locations"][0]["physicalLocation"]["region"].is_object();
                assert_eq!(
                    prints["primaryLocationLineHash"].is_string(),
                    !has_region,
                    "{r}"
                );
                if !has_region {
                    assert_eq!(
                        prints["primaryLocationLineHash"].as_str(),
                        Some(ours.as_str())
                    );
                }
                ours
            })
            .collect()
    };
    let first = prints(&run());
    assert_eq!(first, prints(&run()), "same repository, same fingerprints");
    assert_eq!(
        first.iter().collect::<BTreeSet<_>>().len(),
        first.len(),
        "one fingerprint per result: {first:?}"
    );
    // Another finding elsewhere does not move the existing ones.
    repo.copy_fixture("formats/safetensors/model.safetensors", "new.gguf");
    let after: BTreeSet<String> = prints(&run()).into_iter().collect();
    assert!(
        first.iter().all(|p| after.contains(p)),
        "{first:?} {after:?}"
    );
}

#[test]
fn scan_prints_sarif_too() {
    let out = Gate::new()
        .args([
            "scan",
            "tests/fixtures/safetensors-invalid",
            "--format",
            "sarif",
        ])
        .run();
    out.code(1);
    let log = out.json();
    assert_valid_sarif(&log);
    assert!(
        results(&log).iter().all(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("tests/fixtures/safetensors-invalid/")
        }),
        "{out}"
    );
}

#[test]
fn an_unwritable_sarif_file_warns_and_keeps_the_verdict() {
    let repo = busy_repo();
    let steps = StepFiles::new();
    let out = steps
        .apply(
            repo.gate()
                .args(["check", "--sarif", "/nonexistent/gate.sarif"]),
        )
        .run();
    out.code(1);
    assert!(
        out.stderr
            .contains("cannot write SARIF to /nonexistent/gate.sarif"),
        "{out}"
    );
    assert!(steps.read_output().contains("\nsarif-file=\n"));

    let ok = steps
        .apply(repo.gate().args(["check", "--sarif", "gate.sarif"]))
        .run();
    ok.code(1);
    assert!(
        steps.read_output().ends_with("sarif-file=gate.sarif\n"),
        "{ok}"
    );
}
