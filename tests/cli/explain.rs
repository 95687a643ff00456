//! `gate explain`: the rule list and each rule's documentation.

use crate::common::Gate;

/// Rule ids this version of gate reports; ids never change, so each must stay explainable.
const KNOWN_RULES: &[&str] = &[
    "file-unreadable",
    "format-mismatch",
    "format-not-allowed",
    "format-unsupported",
    "gguf-template-unsafe",
    "keras-unsafe-layer",
    "lfs-pointer-not-pulled",
    "model-invalid",
    "onnx-custom-op",
    "onnx-external-data",
    "remote-code",
    "safetensors-invalid",
    "symlink-outside-root",
    "tensorflow-unsafe-op",
    "waiver-expired",
    "waiver-unused",
];

/// The ids in `gate explain`'s list (the first word of each rule line).
fn listed_ids() -> Vec<String> {
    let out = Gate::new().arg("explain").run();
    out.code(0);
    let (list, footer) = out
        .stdout
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("a list then a footer\n{out}"));
    assert_eq!(
        footer,
        "`gate explain RULE` shows one rule's documentation.\n"
    );
    list.lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next().unwrap_or_default().to_owned();
            let severity = words.next().unwrap_or_default();
            assert!(
                ["error", "warning", "note"].contains(&severity),
                "a default severity on {line:?}"
            );
            assert!(words.next().is_some(), "a summary on {line:?}");
            id
        })
        .collect()
}

#[test]
fn explain_lists_every_rule() {
    let ids = listed_ids();
    for known in KNOWN_RULES {
        assert!(
            ids.iter().any(|id| id == known),
            "`{known}` listed in {ids:?}"
        );
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "listed once each, sorted by id");
    for id in &ids {
        assert!(
            !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "`{id}` is a kebab-case id"
        );
    }
}

#[test]
fn every_listed_rule_has_documentation() {
    for id in listed_ids() {
        let out = Gate::new().args(["explain", &id]).run();
        out.code(0);
        assert!(out.stdout.starts_with(&format!("# {id}\n")), "{out}");
        assert!(out.stdout.contains("Default severity: "), "{out}");
        for section in ["## What it checks", "## Why", "## How to fix"] {
            assert!(
                out.stdout.contains(section),
                "`{id}` documents {section}\n{out}"
            );
        }
    }
}

#[test]
fn explain_format_mismatch() {
    let out = Gate::new().args(["explain", "format-mismatch"]).run();
    out.code(0);
    assert_eq!(out.stderr, "");
    let head: Vec<&str> = out.stdout.lines().take(5).collect();
    assert_eq!(
        head,
        [
            "# format-mismatch",
            "",
            "A file's name promises one format and its content is another.",
            "",
            "Default severity: error.",
        ]
    );
    assert!(out.stdout.contains("weights.safetensors"), "{out}");
}

#[test]
fn explain_an_unknown_rule_exits_2() {
    let out = Gate::new().args(["explain", "nope"]).run();
    out.code(2);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "error: unknown rule `nope`\n");
}

#[test]
fn explain_suggests_a_close_rule() {
    let out = Gate::new().args(["explain", "format-mismatc"]).run();
    out.code(2);
    assert_eq!(
        out.stderr,
        "error: unknown rule `format-mismatc`; did you mean `format-mismatch`?\n"
    );
}
