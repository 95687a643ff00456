//! The red team's non-pickle findings (group `formats`): Jinja templates that gate's tokenizer
//! split differently from Jinja's lexer or that build attribute names at run time, JSON that
//! Python reads and serde_json refuses, zip member names as Python cuts them, Keras layers that
//! load code or files, TensorFlow file ops, ONNX's in-memory location tag, legacy Git LFS
//! pointers and ONNX files with a long leading field. Each malicious sample gives the exact rule
//! on the exact file; each benign twin gives none (`generate_bypasses_formats.py`).

use crate::common::{Gate, findings, fixture};

const BYPASS: &str = "models/bypass";

/// `(rule, path relative to the scanned folder)` of every finding, sorted.
fn rules_and_paths(rel: &str) -> Vec<(String, String)> {
    let root = fixture(&format!("{BYPASS}/{rel}"));
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(&root)
        .run();
    let prefix = format!("{}/", root.display());
    let mut seen: Vec<(String, String)> = findings(&out.json())
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap_or_default();
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                path.strip_prefix(&prefix).unwrap_or(path).to_owned(),
            )
        })
        .collect();
    seen.sort();
    seen
}

#[track_caller]
fn assert_findings(rel: &str, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(rules_and_paths(rel), expected, "findings of {rel}");
}

const TEMPLATE: &str = "gguf-template-unsafe";

#[test]
fn jinja_brackets_and_raw_ends_follow_jinjas_lexer() {
    for case in ["brace", "raw-formfeed"] {
        assert_findings(
            &format!("jinja/desync/{case}"),
            &[(TEMPLATE, "chat_template.jinja"), (TEMPLATE, "model.gguf")],
        );
    }
}

#[test]
fn jinja_attribute_names_built_at_run_time_are_caught() {
    for case in [
        "set-single-underscore",
        "named-escape",
        "slice",
        "map-attribute",
        "format-leak",
        "macro-output",
    ] {
        assert_findings(
            &format!("jinja/built/{case}"),
            &[(TEMPLATE, "chat_template.jinja")],
        );
    }
}

#[test]
fn jinja_benign_brackets_raw_blocks_and_numeric_subscripts_pass() {
    assert_findings("jinja/benign", &[]);
}

#[test]
fn json_that_python_reads_is_read() {
    assert_findings(
        "json/nan-config",
        &[
            ("remote-code", "config.json"),
            ("remote-code", "modeling_gate.py"),
        ],
    );
    assert_findings("json/remote-infinity", &[("remote-code", "config.json")]);
    for case in ["inf-tokenizer", "surrogate", "deep"] {
        assert_findings(
            &format!("json/{case}"),
            &[(TEMPLATE, "tokenizer_config.json")],
        );
    }
}

#[test]
fn json_gate_cannot_read_fails_closed_and_keeps_the_folder_a_model_folder() {
    assert_findings(
        "json/too-deep",
        &[
            ("model-invalid", "config.json"),
            ("remote-code", "modeling_gate.py"),
        ],
    );
}

#[test]
fn keras_infinity_passes() {
    assert_findings("json/keras-infinity", &[]);
}

#[test]
fn zip_names_are_cut_at_nul_as_python_cuts_them() {
    let root = fixture(&format!("{BYPASS}/zip-nul"));
    let keras = crate::common::scan_findings(&root.join("nul-name.keras"));
    assert_eq!(
        keras,
        vec![(
            "keras-unsafe-layer".to_owned(),
            Some("config.json".to_owned()),
            None,
            None
        )]
    );
    // torch lists the record as `archive/data.pkl` (cut) and miniz finds it whole: both readings
    // are inspected.
    let torch = crate::common::scan_findings(&root.join("nul-name.pt"));
    let members: Vec<(&str, Option<&str>, Option<&str>)> = torch
        .iter()
        .map(|(rule, member, _, global)| (rule.as_str(), member.as_deref(), global.as_deref()))
        .collect();
    assert_eq!(
        members,
        vec![
            (
                "pickle-dangerous-global",
                Some("archive/data.pkl"),
                Some("posix.system")
            ),
            (
                "pickle-dangerous-global",
                Some("archive/data.pkl\0"),
                Some("posix.system")
            ),
        ]
    );
}

#[test]
fn keras_layers_that_load_code_or_files_are_reported() {
    let root = fixture(&format!("{BYPASS}/keras-layers"));
    for case in ["torch-wrapper", "stringlookup-file", "tfsm"] {
        let seen = crate::common::scan_findings(&root.join(format!("{case}.keras")));
        assert_eq!(
            seen,
            vec![(
                "keras-unsafe-layer".to_owned(),
                Some("config.json".to_owned()),
                None,
                None
            )],
            "{case}"
        );
    }
    assert_findings("keras-layers/benign", &[]);
}

const TF_OP: &str = "tensorflow-unsafe-op";

/// `(op, function)` of every `tensorflow-unsafe-op` finding of a SavedModel fixture.
fn tensorflow_ops(rel: &str) -> Vec<(String, Option<String>)> {
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(fixture(&format!("{BYPASS}/{rel}/saved_model.pb")))
        .run();
    findings(&out.json())
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], TF_OP, "{f}");
            (
                f["evidence"]["op"].as_str().unwrap_or_default().to_owned(),
                f["evidence"]["function"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[test]
fn tensorflow_checkpoint_ops_are_trusted_by_structure_not_by_name() {
    let fake = Some("__inference__traced_save_x_9".to_owned());
    assert_eq!(
        tensorflow_ops("tensorflow/ckpt-name"),
        vec![("SaveV2".to_owned(), fake)]
    );
    // The real saver function called from serving code is no longer the saver's alone.
    let ops: Vec<String> = tensorflow_ops("tensorflow/saver-called")
        .into_iter()
        .map(|(op, _)| op)
        .collect();
    assert_eq!(ops, ["SaveV2", "MergeV2Checkpoints", "RestoreV2"]);
    let ops: Vec<String> = tensorflow_ops("tensorflow/tf1-scope-consumed")
        .into_iter()
        .map(|(op, _)| op)
        .collect();
    assert_eq!(ops, ["SaveV2", "RestoreV2"]);
}

#[test]
fn tensorflow_file_touching_ops_are_reported() {
    let serve = Some("__inference_serve_80".to_owned());
    assert_eq!(
        tensorflow_ops("tensorflow/file-ops"),
        vec![
            ("PrintV2".to_owned(), serve.clone()),
            ("CSVDatasetV2".to_owned(), serve)
        ]
    );
    assert_findings("tensorflow/benign", &[]);
}

#[test]
fn onnx_runtime_memory_address_locations_are_reported() {
    let seen = crate::common::scan_findings(&fixture(&format!("{BYPASS}/onnx/ort-mem-addr.onnx")));
    assert_eq!(
        seen,
        vec![("onnx-external-data".to_owned(), None, Some(32), None)]
    );
}

#[test]
fn onnx_is_identified_past_a_long_leading_doc_string() {
    let path = fixture(&format!("{BYPASS}/onnx/long-doc/long-doc.onnx"));
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(&path)
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(findings(&report).len(), 0, "{out}");
    let formats = crate::common::artifacts(&report);
    assert_eq!(
        formats.get(&path.display().to_string()).map(String::as_str),
        Some("onnx")
    );
}

#[test]
fn legacy_lfs_pointer_versions_are_pointers() {
    for folder in ["hawser", "git-media"] {
        let expected: Vec<(&str, String)> = [
            "chat_template.jinja",
            "config.json",
            "model.gguf",
            "tokenizer_config.json",
        ]
        .iter()
        .map(|name| ("lfs-pointer-not-pulled", format!("{folder}/{name}")))
        .collect();
        let expected: Vec<(&str, &str)> = expected.iter().map(|(r, p)| (*r, p.as_str())).collect();
        let seen = rules_and_paths("lfs");
        let seen: Vec<(&str, &str)> = seen
            .iter()
            .filter(|(_, p)| p.starts_with(folder))
            .map(|(r, p)| (r.as_str(), p.as_str()))
            .collect();
        assert_eq!(seen, expected);
    }
}
