//! Non-pickle model formats and Hugging Face remote code: the fixtures in
//! `tests/fixtures/models` (made by `generate_formats.py` with gguf, onnx and h5py) through the
//! binary — every finding exactly, zero findings on the benign files, policy-driven severity for
//! remote code, and no crash on mutated files.

use crate::common::{Gate, Repo, artifacts, findings, findings_of, fixture};
use serde_json::Value;
use std::collections::BTreeMap;

const MODELS: &str = "tests/fixtures/models";

/// Benign files (made by the real libraries, or laid out as the libraries lay them out): each
/// must pass the default policy with no finding at all, and be read as the format it is.
const BENIGN: &[(&str, Option<&str>)] = &[
    ("gguf/chatml.gguf", Some("gguf")),
    ("gguf/llama3.gguf", Some("gguf")),
    ("gguf/gemma-big-endian.gguf", Some("gguf")),
    ("gguf/mistral.gguf", Some("gguf")),
    ("gguf/llama2-v1.gguf", Some("gguf")),
    ("onnx/external/model.onnx", Some("onnx")),
    ("onnx/subgraphs.onnx", Some("onnx")),
    ("keras/functional.keras", Some("keras")),
    ("keras/tf-keras.h5", Some("keras")),
    ("keras/keras3-legacy.h5", Some("keras")),
    ("tensorflow/tf1/saved_model.pb", Some("tensorflow")),
    ("tensorflow/tf2/saved_model.pb", Some("tensorflow")),
    ("tensorflow/tf2/keras_metadata.pb", None),
    ("keras/real/functional.keras", Some("keras")),
    ("keras/real/functional.h5", Some("keras")),
    ("hf/real/llama", None),
    ("keras/keras-hub", None),
    ("hf/sentence-transformers", None),
    ("hf/diffusers-sd", None),
    ("hf/llama", None),
    ("hf/qwen", None),
    ("hf/project", None),
];

/// Every finding over the whole fixture folder: (path below MODELS, rule, member, offset).
/// Offsets were checked against the files with the libraries' own readers: the GGUF value
/// (`GGUFReader` field offset + key + type), the ONNX `TensorProto`/`NodeProto` and the
/// TensorFlow `NodeDef` message starts.
const EXPECTED: &[(&str, &str, Option<&str>, Option<u64>)] = &[
    (
        "gguf/invalid/huge-count.gguf",
        "model-invalid",
        None,
        Some(16),
    ),
    (
        "gguf/invalid/huge-string.gguf",
        "model-invalid",
        None,
        Some(24),
    ),
    (
        "gguf/invalid/truncated.gguf",
        "model-invalid",
        None,
        Some(184),
    ),
    (
        "gguf/ssti-named.gguf",
        "gguf-template-unsafe",
        None,
        Some(944),
    ),
    ("gguf/ssti.gguf", "gguf-template-unsafe", None, Some(698)),
    ("hf/custom-pipeline/config.json", "remote-code", None, None),
    (
        "hf/diffusers-custom/model_index.json",
        "remote-code",
        None,
        None,
    ),
    ("hf/real/remote/config.json", "remote-code", None, None),
    ("hf/real/remote/modeling_gate.py", "remote-code", None, None),
    (
        "hf/remote-hub/processor_config.json",
        "remote-code",
        None,
        None,
    ),
    (
        "hf/remote-hub/tokenizer_config.json",
        "remote-code",
        None,
        None,
    ),
    ("hf/remote-local/config.json", "remote-code", None, None),
    (
        "hf/remote-local/configuration_gate.py",
        "remote-code",
        None,
        None,
    ),
    (
        "hf/remote-local/modeling_gate.py",
        "remote-code",
        None,
        None,
    ),
    (
        "hf/ssti/chat_template.jinja",
        "gguf-template-unsafe",
        None,
        None,
    ),
    (
        "hf/ssti/tokenizer_config.json",
        "gguf-template-unsafe",
        None,
        None,
    ),
    ("hf/st-custom/custom_st.py", "remote-code", None, None),
    ("hf/st-custom/modules.json", "remote-code", None, None),
    (
        "keras/get-file.keras",
        "keras-unsafe-layer",
        Some("config.json"),
        None,
    ),
    // A zip cut short: the container reader cannot open it completely, and its name claims Keras.
    (
        "keras/invalid/truncated.keras",
        "archive-unreadable",
        None,
        None,
    ),
    (
        "keras/invalid/truncated.keras",
        "format-mismatch",
        None,
        None,
    ),
    (
        "keras/keras-hub-module/task.json",
        "keras-unsafe-layer",
        None,
        None,
    ),
    (
        "keras/lambda-dense-storage.h5",
        "keras-unsafe-layer",
        None,
        None,
    ),
    ("keras/lambda-vlen.h5", "keras-unsafe-layer", None, None),
    ("keras/lambda.h5", "keras-unsafe-layer", None, None),
    (
        "keras/lambda.keras",
        "keras-unsafe-layer",
        Some("config.json"),
        None,
    ),
    (
        "keras/module.keras",
        "keras-unsafe-layer",
        Some("config.json"),
        None,
    ),
    ("keras/real/lambda.h5", "keras-unsafe-layer", None, None),
    (
        "keras/real/lambda.keras",
        "keras-unsafe-layer",
        Some("config.json"),
        None,
    ),
    ("lfs/model.gguf", "lfs-pointer-not-pulled", None, None),
    ("lfs/model.keras", "lfs-pointer-not-pulled", None, None),
    ("lfs/model.onnx", "lfs-pointer-not-pulled", None, None),
    (
        "lfs/pytorch_model.bin",
        "lfs-pointer-not-pulled",
        None,
        None,
    ),
    (
        "lfs/tokenizer_config.json",
        "lfs-pointer-not-pulled",
        None,
        None,
    ),
    ("onnx/custom-op.onnx", "onnx-custom-op", None, Some(21)),
    (
        "onnx/invalid/nested-length.onnx",
        "model-invalid",
        None,
        Some(12),
    ),
    ("onnx/invalid/truncated.onnx", "format-mismatch", None, None),
    (
        "onnx/nested-absolute.onnx",
        "onnx-external-data",
        None,
        Some(192),
    ),
    (
        "onnx/sparse-traversal.onnx",
        "onnx-external-data",
        None,
        Some(113),
    ),
    ("onnx/traversal.onnx", "onnx-external-data", None, Some(50)),
    (
        "tensorflow/exfil/saved_model.pb",
        "tensorflow-unsafe-op",
        None,
        Some(407),
    ),
    (
        "tensorflow/exfil/saved_model.pb",
        "tensorflow-unsafe-op",
        None,
        Some(481),
    ),
    (
        "tensorflow/invalid-nested/saved_model.pb",
        "model-invalid",
        None,
        Some(8),
    ),
    (
        "tensorflow/invalid/saved_model.pb",
        "model-invalid",
        None,
        Some(5),
    ),
    (
        "tensorflow/lambda-metadata/keras_metadata.pb",
        "keras-unsafe-layer",
        Some("root.layer-1"),
        None,
    ),
    (
        "tensorflow/pyfunc/saved_model.pb",
        "tensorflow-unsafe-op",
        None,
        Some(470),
    ),
    (
        "tensorflow/pyfunc/saved_model.pb",
        "tensorflow-unsafe-op",
        None,
        Some(506),
    ),
];

fn scan(paths: &[String]) -> Value {
    let out = Gate::new()
        .arg("scan")
        .args(paths)
        .args(["--format", "json"])
        .run();
    assert!(out.code == 0 || out.code == 1, "{out}");
    out.json()
}

fn finding<'a>(report: &'a Value, path: &str, rule: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["path"] == path && f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding on {path}: {report:#}"))
}

#[test]
fn benign_models_pass_with_no_finding() {
    let paths: Vec<String> = BENIGN
        .iter()
        .map(|(rel, _)| format!("{MODELS}/{rel}"))
        .collect();
    let out = Gate::new()
        .arg("scan")
        .args(&paths)
        .args(["--format", "json"])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(findings(&report).len(), 0, "{out}");
    let found = artifacts(&report);
    for (rel, format) in BENIGN {
        if let Some(format) = format {
            let path = format!("{MODELS}/{rel}");
            assert_eq!(
                found.get(&path).map(String::as_str),
                Some(*format),
                "{path} is read as {format}"
            );
        }
    }
}

#[test]
fn every_finding_over_the_model_fixtures_is_exactly_the_expected_one() {
    let report = scan(&[MODELS.to_owned()]);
    // `bypass/` holds the red team's samples, asserted one by one in `bypass_formats.rs`.
    let actual: Vec<(String, String, Option<String>, Option<u64>)> = findings(&report)
        .iter()
        .filter(|f| {
            !f["path"]
                .as_str()
                .unwrap_or_default()
                .starts_with(&format!("{MODELS}/bypass/"))
        })
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches(&format!("{MODELS}/"))
                    .to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["member"].as_str().map(str::to_owned),
                f["offset"].as_u64(),
            )
        })
        .collect();
    let expected: Vec<(String, String, Option<String>, Option<u64>)> = EXPECTED
        .iter()
        .map(|(p, r, m, o)| ((*p).to_owned(), (*r).to_owned(), m.map(str::to_owned), *o))
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn gguf_template_findings_name_the_key_and_the_constructs() {
    let report = scan(&[format!("{MODELS}/gguf")]);
    let ssti = finding(
        &report,
        &format!("{MODELS}/gguf/ssti.gguf"),
        "gguf-template-unsafe",
    );
    assert_eq!(ssti["severity"], "error");
    assert_eq!(ssti["evidence"]["template"], "tokenizer.chat_template");
    let constructs: Vec<&str> = ssti["evidence"]["constructs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "dunder name `__class__`",
        "dunder name `__subclasses__`",
        "dunder name `__builtins__`",
        "string \"__import__\" naming a dunder",
        "attribute `.popen`",
    ] {
        assert!(
            constructs.contains(&expected),
            "{expected} in {constructs:?}"
        );
    }
    // A named template hidden behind a benign default, built from escaped pieces.
    let named = finding(
        &report,
        &format!("{MODELS}/gguf/ssti-named.gguf"),
        "gguf-template-unsafe",
    );
    assert_eq!(named["evidence"]["template"], "tokenizer.chat_template.rag");
}

#[test]
fn hugging_face_templates_are_located() {
    let report = scan(&[format!("{MODELS}/hf/ssti")]);
    let file = finding(
        &report,
        &format!("{MODELS}/hf/ssti/chat_template.jinja"),
        "gguf-template-unsafe",
    );
    assert_eq!(
        (file["line"].as_u64(), file["column"].as_u64()),
        (Some(5), Some(42))
    );
    let listed = finding(
        &report,
        &format!("{MODELS}/hf/ssti/tokenizer_config.json"),
        "gguf-template-unsafe",
    );
    assert_eq!(listed["evidence"]["template"], "chat_template[tool_use]");
}

#[test]
fn onnx_and_tensorflow_findings_carry_their_evidence() {
    let report = scan(&[format!("{MODELS}/onnx"), format!("{MODELS}/tensorflow")]);
    let nested = finding(
        &report,
        &format!("{MODELS}/onnx/nested-absolute.onnx"),
        "onnx-external-data",
    );
    assert_eq!(nested["evidence"]["location"], "/etc/passwd");
    assert_eq!(nested["evidence"]["tensor"], "H");
    let custom = finding(
        &report,
        &format!("{MODELS}/onnx/custom-op.onnx"),
        "onnx-custom-op",
    );
    assert_eq!(custom["severity"], "note");
    assert_eq!(custom["evidence"]["domain"], "com.example.ops");
    let ops: Vec<(&str, Option<&str>)> = findings_of(&report, "tensorflow-unsafe-op")
        .iter()
        .map(|f| {
            (
                f["evidence"]["op"].as_str().unwrap(),
                f["evidence"]["function"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("WriteFile", None),
            ("SaveV2", Some("__inference_serving_default_80")),
            ("EagerPyFunc", Some("__inference_serving_default_80")),
            ("ReadFile", Some("__inference_serving_default_80")),
        ],
        "checkpoint ops in the saver's own functions and scope are not reported"
    );
}

#[test]
fn keras_findings_point_into_the_configuration() {
    let report = scan(&[format!("{MODELS}/keras")]);
    let pointer = |file: &str| {
        finding(
            &report,
            &format!("{MODELS}/keras/{file}"),
            "keras-unsafe-layer",
        )["evidence"]["pointer"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(pointer("lambda.keras"), "/config/layers/2");
    assert_eq!(pointer("lambda.h5"), "/config/layers/2");
    assert_eq!(pointer("lambda-vlen.h5"), "/config/layers/2");
    assert_eq!(pointer("lambda-dense-storage.h5"), "/config/layers/2");
    assert_eq!(
        pointer("module.keras"),
        "/config/layers/1/config/activation"
    );
    assert_eq!(
        pointer("get-file.keras"),
        "/config/layers/1/config/kernel_initializer"
    );
}

fn remote_repo() -> Repo {
    let repo = Repo::new();
    for name in [
        "config.json",
        "configuration_gate.py",
        "modeling_gate.py",
        "model.safetensors",
    ] {
        repo.copy_fixture(
            &format!("models/hf/remote-local/{name}"),
            format!("model/{name}"),
        );
    }
    // Ordinary source code elsewhere in the repository is not model code.
    repo.copy_fixture("models/hf/project/train.py", "train.py");
    repo.copy_fixture("models/hf/project/config.json", "config.json");
    repo.copy_fixture(
        "models/hf/llama/scripts/convert_checkpoint.py",
        "model/scripts/convert.py",
    );
    repo
}

fn remote_code_paths(report: &Value) -> BTreeMap<String, String> {
    findings_of(report, "remote-code")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn remote_code_severity_follows_the_policy() {
    let expected_paths = [
        "model/config.json",
        "model/configuration_gate.py",
        "model/modeling_gate.py",
    ];
    for (setting, exit, severity) in [
        ("error", 1, Some("error")),
        ("warning", 0, Some("warning")),
        ("allow", 0, None),
    ] {
        let repo = remote_repo();
        repo.policy(&format!("version: 1\nmodels:\n  remote-code: {setting}\n"));
        let out = repo.check().args(["--format", "json"]).run();
        out.code(exit);
        let found = remote_code_paths(&out.json());
        match severity {
            Some(severity) => {
                let expected: BTreeMap<String, String> = expected_paths
                    .iter()
                    .map(|p| ((*p).to_owned(), severity.to_owned()))
                    .collect();
                assert_eq!(found, expected, "remote-code: {setting}\n{out}");
            }
            None => assert!(found.is_empty(), "allow reports nothing\n{out}"),
        }
    }
    // `severity:` overrides still win over the setting.
    let repo = remote_repo();
    repo.policy("version: 1\nmodels:\n  remote-code: error\nseverity:\n  remote-code: note\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert!(
        remote_code_paths(&out.json()).values().all(|s| s == "note"),
        "{out}"
    );
}

#[test]
fn remote_code_names_the_module_and_the_other_repository() {
    let report = scan(&[format!("{MODELS}/hf")]);
    let local = finding(
        &report,
        &format!("{MODELS}/hf/remote-local/config.json"),
        "remote-code",
    );
    let message = local["message"].as_str().unwrap();
    assert!(
        message.contains("AutoModel → modeling_gate.GateModel (`tests/fixtures/models/hf/remote-local/modeling_gate.py`)"),
        "{message}"
    );
    let hub = finding(
        &report,
        &format!("{MODELS}/hf/remote-hub/tokenizer_config.json"),
        "remote-code",
    );
    assert_eq!(
        hub["evidence"]["repositories"][0],
        "gate-org/gate-tokenizer"
    );
    let diffusers = finding(
        &report,
        &format!("{MODELS}/hf/diffusers-custom/model_index.json"),
        "remote-code",
    );
    assert_eq!(
        diffusers["evidence"]["entries"],
        serde_json::json!([
            "pipeline → pipeline_gate.GatePipeline (`tests/fixtures/models/hf/diffusers-custom/pipeline_gate.py`)",
            "component `unet` → unet_gate.GateUNet (`tests/fixtures/models/hf/diffusers-custom/unet/unet_gate.py`)"
        ])
    );
    let st = finding(
        &report,
        &format!("{MODELS}/hf/st-custom/modules.json"),
        "remote-code",
    );
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .contains("custom_st.Transformer"),
        "{st}"
    );
}

#[test]
fn auto_map_without_the_module_still_reports() {
    let repo = Repo::new();
    repo.copy_fixture("models/hf/remote-local/config.json", "m/config.json");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let remote = findings_of(&report, "remote-code");
    assert_eq!(remote.len(), 1, "{out}");
    assert!(
        remote[0]["message"]
            .as_str()
            .unwrap()
            .contains("`m/modeling_gate.py`, not among the checked files"),
        "{out}"
    );
}

#[test]
fn lfs_pointers_standing_for_model_content_are_reported() {
    let repo = Repo::new();
    for name in [
        "m/pytorch_model-00001-of-00002.bin",
        "m/training_args.bin",
        "m/chat_template.jinja",
        "m/config.json",
        "m/flax_model.msgpack",
        "data/train.bin",
        "data/notes.txt",
    ] {
        repo.copy_fixture("models/lfs/pytorch_model.bin", name);
    }
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let paths: Vec<&str> = findings_of(&report, "lfs-pointer-not-pulled")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "m/chat_template.jinja",
            "m/config.json",
            "m/flax_model.msgpack",
            "m/pytorch_model-00001-of-00002.bin",
            "m/training_args.bin",
        ],
        "a data `.bin` or a text file is not model content\n{out}"
    );
}

#[test]
fn unsafe_content_waivers_must_name_the_hash() {
    let repo = Repo::new();
    repo.copy_fixture("models/gguf/ssti.gguf", "ssti.gguf");
    repo.policy(
        "version: 1\nwaivers:\n  - rule: gguf-template-unsafe\n    path: ssti.gguf\n    reason: reviewed\n",
    );
    repo.check().run().code(2);
}

#[test]
fn new_rules_are_explained() {
    for (rule, needle) in [
        ("gguf-template-unsafe", "CVE-2024-34359"),
        ("onnx-external-data", "CVE-2022-25882"),
        ("onnx-custom-op", "custom-operator library"),
        ("keras-unsafe-layer", "CVE-2025-1550"),
        ("tensorflow-unsafe-op", "PyFunc"),
        ("remote-code", "trust_remote_code"),
        ("model-invalid", "Fail closed"),
    ] {
        let out = Gate::new().args(["explain", rule]).run();
        out.code(0);
        for section in ["## What it checks", "## Why", "## How to fix", needle] {
            assert!(out.stdout.contains(section), "{rule}: {section}\n{out}");
        }
    }
}

/// Truncations and byte flips of every model fixture, written under their own names, all in one
/// folder: gate must finish with a verdict (0 or 1) and one JSON document, never crash.
#[test]
fn mutated_model_files_never_crash_gate() {
    let repo = Repo::new();
    let mut sources = Vec::new();
    collect(&fixture("models"), &mut sources);
    for rel in [
        "formats/gguf/tiny.gguf",
        "formats/onnx/tiny.onnx",
        "formats/keras/model.keras",
        "formats/keras/model.h5",
    ] {
        sources.push(fixture(rel));
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut count = 0usize;
    for (index, source) in sources.iter().enumerate() {
        let bytes = std::fs::read(source).unwrap();
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        if bytes.is_empty() {
            continue;
        }
        for variant in 0..12 {
            let mut mutated = bytes.clone();
            match variant % 3 {
                0 => mutated.truncate((next() as usize) % bytes.len()),
                1 => {
                    for _ in 0..4 {
                        let at = (next() as usize) % mutated.len();
                        mutated[at] = next() as u8;
                    }
                }
                _ => {
                    // Large lengths where small ones were: set 8 bytes to 0xff.
                    let at = (next() as usize) % mutated.len();
                    for byte in mutated.iter_mut().skip(at).take(8) {
                        *byte = 0xff;
                    }
                }
            }
            repo.write(format!("m{index}-{variant}/{name}"), &mutated);
            count += 1;
        }
    }
    assert!(count > 500, "{count} mutants");
    let out = repo.gate().args(["scan", ".", "--format", "json"]).run();
    assert!(out.code == 0 || out.code == 1, "{out}");
    out.json();
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            collect(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
    out.sort();
}
