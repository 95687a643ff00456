//! `--format json`: the version 1 document (validated against tests/schemas/report-v1.schema.json),
//! determinism, logs kept off stdout, and finding order.

use crate::common::{Gate, Repo, findings, manifest_dir, sha256sum};
use serde_json::Value;

fn schema() -> Value {
    let path = manifest_dir().join("tests/schemas/report-v1.schema.json");
    let text = std::fs::read_to_string(&path).expect("the schema exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

#[track_caller]
fn assert_valid(report: &Value) {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match the v1 schema:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(report).unwrap_or_default()
    );
}

/// A repository that exercises every nullable field: a waiver finding (line, column), a
/// safetensors finding (offset), a hashed artifact (sha256), an unused waiver (warning).
fn busy_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.copy_fixture("mismatch/weights.safetensors", "weights.safetensors");
    repo.copy_fixture(
        "safetensors-invalid/trailing-pickle.safetensors",
        "models/polyglot.safetensors",
    );
    let onnx = repo.copy_fixture("mismatch/model.onnx", "models/model.onnx");
    repo.copy_fixture("formats/text/notes.txt", "notes.txt");
    repo.policy(&format!(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: models/model.onnx\n    sha256: {}\n    reason: reviewed\n  - rule: format-mismatch\n    path: gone.pt\n    reason: stale\n",
        sha256sum(&onnx)
    ));
    repo
}

#[test]
fn reports_match_the_v1_schema() {
    let repo = busy_repo();
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_valid(&report);
    // The document exercises the nullable fields both ways, so the schema check means something.
    let all = findings(&report);
    assert!(all.iter().any(|f| f["line"].is_u64()), "{out}");
    assert!(all.iter().any(|f| f["offset"].is_u64()), "{out}");
    assert!(all.iter().any(|f| f["offset"].is_null()), "{out}");
    assert!(
        report["artifacts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["sha256"].is_string())),
        "{out}"
    );
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "gate");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["root"], ".");
    assert_eq!(report["policy"], ".gate.yml");
    assert_eq!(report["passed"], false);
    assert_eq!(report["summary"]["waived"], 1);
}

#[test]
fn passing_and_scan_reports_match_the_schema() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_valid(&report);
    assert_eq!(report["passed"], true);
    assert_eq!(
        report["summary"],
        serde_json::json!({"files": 1, "artifacts": 1, "errors": 0, "warnings": 0, "notes": 0, "waived": 0})
    );

    let out = Gate::new()
        .args(["scan", "tests/fixtures", "--format", "json"])
        .run();
    out.code(1);
    assert_valid(&out.json());
}

#[test]
fn the_schema_is_strict() {
    let repo = Repo::new();
    repo.copy_fixture("mismatch/weights.safetensors", "weights.safetensors");
    let report = repo.check().args(["--format", "json"]).run().json();
    assert_valid(&report);
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut copy = report.clone();
        edit(&mut copy);
        copy
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "extra top-level key",
            broken(&|r| r["extra"] = Value::Bool(true)),
        ),
        (
            "extra summary key",
            broken(&|r| r["summary"]["extra"] = 1.into()),
        ),
        (
            "extra finding key",
            broken(&|r| r["findings"][0]["extra"] = 1.into()),
        ),
        (
            "extra artifact key",
            broken(&|r| r["artifacts"][0]["extra"] = 1.into()),
        ),
        (
            "missing line",
            broken(&|r| {
                if let Some(f) = r["findings"][0].as_object_mut() {
                    f.remove("line");
                }
            }),
        ),
        (
            "bad severity",
            broken(&|r| r["findings"][0]["severity"] = "fatal".into()),
        ),
        (
            "string offset",
            broken(&|r| r["findings"][0]["offset"] = "12".into()),
        ),
        (
            "bad sha256",
            broken(&|r| r["artifacts"][0]["sha256"] = "xyz".into()),
        ),
        ("version 2", broken(&|r| r["version"] = 2.into())),
    ];
    for (what, instance) in cases {
        assert!(
            !validator.is_valid(&instance),
            "the schema rejects a report with {what}"
        );
    }
}

#[test]
fn two_runs_are_byte_identical() {
    let repo = busy_repo();
    let first = repo.check().args(["--format", "json"]).run();
    let second = repo.check().args(["--format", "json", "--jobs", "1"]).run();
    let third = repo.check().args(["--format", "json", "--jobs", "8"]).run();
    first.code(1);
    assert_eq!(first.raw_stdout, second.raw_stdout);
    assert_eq!(first.raw_stdout, third.raw_stdout);

    let human = repo.check().run();
    assert_eq!(human.raw_stdout, repo.check().run().raw_stdout);
}

#[test]
fn stdout_holds_only_the_document_even_with_debug_logs() {
    let repo = busy_repo();
    let quiet = repo.check().args(["--format", "json"]).run();
    let out = repo
        .check()
        .args(["--format", "json"])
        .env("GATE_LOG", "debug")
        .run();
    out.code(1);
    // `json()` parses the whole of stdout as exactly one document: nothing before or after it.
    out.json();
    assert!(
        out.stderr.contains("DEBUG"),
        "debug logs went to stderr\n{out}"
    );
    assert_eq!(
        out.raw_stdout, quiet.raw_stdout,
        "logging does not change stdout"
    );
    assert!(out.stdout.ends_with("}\n"));
}

#[test]
fn findings_are_sorted_by_path_then_offset_then_rule() {
    let repo = busy_repo();
    repo.copy_fixture(
        "safetensors-invalid/trailing-pickle.safetensors",
        "models/polyglot.onnx",
    );
    repo.copy_fixture("mismatch/weights.safetensors", "a.safetensors");
    let report = repo.check().args(["--format", "json"]).run().json();
    let keys: Vec<(String, u64, String)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["offset"].as_u64().unwrap_or(0),
                f["rule"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings sorted by path, offset, rule");
    let head: Vec<(&str, &str)> = keys
        .iter()
        .map(|(p, _, r)| (p.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        head,
        [
            (".gate.yml", "waiver-unused"),
            ("a.safetensors", "format-mismatch"),
            ("a.safetensors", "pickle-dangerous-global"),
            ("models/polyglot.onnx", "format-mismatch"),
            ("models/polyglot.onnx", "safetensors-invalid"),
            ("models/polyglot.safetensors", "safetensors-invalid"),
            ("weights.safetensors", "format-mismatch"),
            ("weights.safetensors", "pickle-dangerous-global"),
        ]
    );
}

#[test]
fn artifacts_are_sorted_by_path() {
    let report = busy_repo().check().args(["--format", "json"]).run().json();
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "model.safetensors",
            "models/model.onnx",
            "models/polyglot.safetensors",
            "weights.safetensors"
        ]
    );
}

#[test]
fn output_file_holds_the_json_and_stdout_nothing() {
    let repo = busy_repo();
    let elsewhere = Repo::new();
    let path = elsewhere.path().join("gate.json");
    let out = repo
        .check()
        .args(["--format", "json", "--output"])
        .arg(&path)
        .env("GATE_LOG", "debug")
        .run();
    out.code(1);
    assert_eq!(out.stdout, "");
    let text = std::fs::read_to_string(&path).expect("written");
    let report: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_valid(&report);
}
