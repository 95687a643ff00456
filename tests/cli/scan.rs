//! `gate scan`: paths spelled as given, the safetensors header checks, and format
//! identification by content for every fixture.

use crate::common::{Gate, Repo, artifacts, findings, findings_of, fixture, manifest_dir};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

#[test]
fn scan_without_paths_is_a_usage_error() {
    let out = Gate::new().arg("scan").run();
    out.code(2);
    assert!(out.stderr.contains("<PATH>"), "{out}");
    assert_eq!(out.stdout, "");
}

#[test]
fn relative_folder_paths_are_spelled_as_given() {
    let out = Gate::new()
        .args(["scan", "tests/fixtures/mismatch", "--format", "json"])
        .current_dir(manifest_dir())
        .run();
    out.code(1);
    let report = out.json();
    let mismatched: Vec<&str> = findings_of(&report, "format-mismatch")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        mismatched,
        [
            "tests/fixtures/mismatch/model.onnx",
            "tests/fixtures/mismatch/model.pkl",
            "tests/fixtures/mismatch/weights.safetensors",
        ],
        "{out}"
    );
    assert_eq!(
        artifacts(&report)
            .get("tests/fixtures/mismatch/weights.safetensors")
            .map(String::as_str),
        Some("pickle")
    );
}

#[test]
fn dot_slash_and_trailing_slash_are_kept() {
    let out = Gate::new()
        .args(["scan", "./tests/fixtures/mismatch/", "--format", "json"])
        .run();
    out.code(1);
    let report = out.json();
    assert!(
        artifacts(&report).contains_key("./tests/fixtures/mismatch/weights.safetensors"),
        "{out}"
    );
}

#[test]
fn absolute_file_path_is_spelled_as_given() {
    let path = fixture("mismatch/weights.safetensors");
    let out = Gate::new()
        .arg("scan")
        .arg(&path)
        .args(["--format", "json"])
        .current_dir("/")
        .run();
    out.code(1);
    let report = out.json();
    let expected = path.to_str().expect("a UTF-8 checkout path");
    for finding in findings(&report) {
        assert_eq!(finding["path"], expected, "{out}");
    }
    assert_eq!(findings_of(&report, "format-mismatch").len(), 1, "{out}");
    assert_eq!(
        artifacts(&report).into_keys().collect::<Vec<_>>(),
        [expected]
    );
}

#[test]
fn scan_uses_the_built_in_policy_even_beside_a_policy_file() {
    let repo = Repo::new();
    repo.copy_fixture("mismatch/model.onnx", "model.onnx");
    repo.policy("version: 1\nseverity:\n  format-mismatch: off\n");
    let out = repo.gate().args(["scan", ".", "--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(report["policy"], "<built-in default>");
    assert_eq!(
        findings_of(&report, "format-mismatch")[0]["path"],
        "model.onnx"
    );
}

#[test]
fn scan_human_output() {
    let out = Gate::new()
        .args(["scan", "tests/fixtures/mismatch/model.onnx"])
        .run();
    out.code(1);
    insta::assert_snapshot!(out.stdout, @r"
        tests/fixtures/mismatch/model.onnx (safetensors, 240 B)
          error[format-mismatch] named `.onnx` but the content is safetensors
            help: rename the file to match its content, or replace it with a real onnx file

        gate: failed — 1 file checked, 1 artifact (1 error, 0 warnings), policy <built-in default>
        ");
}

#[test]
fn every_invalid_safetensors_file_is_reported() {
    let dir = fixture("safetensors-invalid");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("the fixture folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 11, "every fixture of tests/fixtures/README.md");
    for name in names {
        let rel = format!(
            "tests/fixtures/safetensors-invalid/{}",
            name.to_string_lossy()
        );
        let out = Gate::new().args(["scan", &rel, "--format", "json"]).run();
        assert_eq!(out.code, 1, "{rel}: expected exit 1\n{out}");
        let report = out.json();
        let invalid = findings_of(&report, "safetensors-invalid");
        assert_eq!(
            invalid.len(),
            1,
            "{rel}: expected one safetensors-invalid finding\n{out}"
        );
        let finding = invalid[0];
        assert_eq!(finding["severity"], "error", "{rel}");
        assert_eq!(finding["path"], rel.as_str(), "{rel}");
        assert!(
            finding["offset"].is_u64(),
            "{rel}: the finding has a byte offset\n{out}"
        );
        if rel.ends_with("trailing-pickle.safetensors") {
            assert_eq!(finding["evidence"]["trailing"], "pickle", "{rel}\n{out}");
            assert_eq!(
                finding["offset"], 240,
                "{rel}: the pickle starts after the tensors"
            );
        } else {
            assert!(
                finding["evidence"].get("trailing").is_none(),
                "{rel}: no trailing pickle\n{out}"
            );
        }
    }
}

#[test]
fn valid_safetensors_files_pass() {
    let out = Gate::new()
        .args([
            "scan",
            "tests/fixtures/formats/safetensors",
            "--format",
            "json",
        ])
        .run();
    out.code(0);
    let report = out.json();
    assert_eq!(findings(&report).len(), 0, "{out}");
    assert_eq!(report["summary"]["artifacts"], 2);
}

#[test]
fn lfs_pointer_named_like_a_model_is_reported() {
    let out = Gate::new()
        .args([
            "scan",
            "tests/fixtures/formats/lfs/model.safetensors",
            "--format",
            "json",
        ])
        .run();
    out.code(1);
    let report = out.json();
    assert_eq!(
        findings_of(&report, "lfs-pointer-not-pulled").len(),
        1,
        "{out}"
    );
}

/// What every file under tests/fixtures/formats is, by content.
const FORMATS: &[(&str, &str)] = &[
    ("gguf/tiny.gguf", "gguf"),
    ("hdf5/data.h5", "hdf5"),
    ("joblib/plain.bz2.joblib", "joblib"),
    ("joblib/plain.gzip.joblib", "joblib"),
    ("joblib/plain.joblib", "joblib"),
    ("joblib/plain.lz4.joblib", "joblib"),
    ("joblib/plain.lzma.joblib", "joblib"),
    ("joblib/plain.xz.joblib", "joblib"),
    ("joblib/plain.zlib.joblib", "joblib"),
    ("keras/model.h5", "keras"),
    ("keras/model.keras", "keras"),
    ("lfs/model.safetensors", "lfs-pointer"),
    ("numpy/array.npy", "numpy"),
    ("numpy/arrays.npz", "numpy"),
    ("numpy/objects.npy", "numpy"),
    ("onnx/tiny.onnx", "onnx"),
    ("pickle/proto0.pkl", "pickle"),
    ("pickle/proto1.pkl", "pickle"),
    ("pickle/proto2.pkl", "pickle"),
    ("pickle/proto4.pkl", "pickle"),
    ("pickle/proto5.pkl", "pickle"),
    ("pytorch/legacy-tar.pt", "pytorch"),
    ("pytorch/legacy.pt", "pytorch"),
    ("pytorch/state_dict.pt", "pytorch"),
    ("safetensors/empty.safetensors", "safetensors"),
    ("safetensors/model.safetensors", "safetensors"),
    ("sevenzip/model.7z", "7z"),
    ("tensorflow/saved_model/saved_model.pb", "tensorflow"),
    ("torchscript/scripted.pt", "torchscript"),
    ("zip/plain.zip", "zip"),
];

/// Files under `dir`, relative, `/`-separated.
fn files_below(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a folder") {
        let entry = entry.expect("an entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("a type").is_dir() {
            files_below(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

#[test]
fn formats_are_identified_by_content() {
    let out = Gate::new()
        .args(["scan", "tests/fixtures/formats", "--format", "json"])
        .run();
    out.code(1);
    let found = artifacts(&out.json());
    for (rel, format) in FORMATS {
        let path = format!("tests/fixtures/formats/{rel}");
        assert_eq!(
            found.get(&path).map(String::as_str),
            Some(*format),
            "{path} should be identified as {format}"
        );
    }
    assert!(
        !found.contains_key("tests/fixtures/formats/text/notes.txt"),
        "plain text (even one that passes the zlib header check) is not an artifact"
    );
    let expected: BTreeMap<String, String> = FORMATS
        .iter()
        .map(|(rel, f)| (format!("tests/fixtures/formats/{rel}"), (*f).to_owned()))
        .collect();
    assert_eq!(found, expected, "exactly the expected artifacts");

    let mut on_disk = Vec::new();
    files_below(&fixture("formats"), "", &mut on_disk);
    on_disk.sort();
    let mut known: Vec<String> = FORMATS.iter().map(|(rel, _)| (*rel).to_owned()).collect();
    known.push("text/notes.txt".to_owned());
    known.sort();
    assert_eq!(on_disk, known, "every fixture has an expected format here");
}

#[test]
fn identification_ignores_the_name() {
    let repo = Repo::new();
    repo.copy_fixture("formats/gguf/tiny.gguf", "blob.bin");
    repo.copy_fixture("formats/pytorch/state_dict.pt", "noext");
    repo.copy_fixture("formats/numpy/array.npy", "array.dat");
    let out = repo.gate().args(["scan", ".", "--format", "json"]).run();
    let found = artifacts(&out.json());
    assert_eq!(
        found.get("blob.bin").map(String::as_str),
        Some("gguf"),
        "{out}"
    );
    assert_eq!(
        found.get("noext").map(String::as_str),
        Some("pytorch"),
        "{out}"
    );
    assert_eq!(
        found.get("array.dat").map(String::as_str),
        Some("numpy"),
        "{out}"
    );
}

#[test]
fn scan_a_missing_path_does_not_pass() {
    let out = Gate::new()
        .args(["scan", "tests/fixtures/no-such-file.pt", "--format", "json"])
        .run();
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stdout.contains("no-such-file.pt") || out.stderr.contains("no-such-file.pt"));
}

#[test]
fn scan_non_utf8_argument_is_escaped() {
    let repo = Repo::new();
    repo.copy_fixture(
        "mismatch/weights.safetensors",
        OsStr::from_bytes(b"ev\xffil.safetensors"),
    );
    repo.copy_fixture(
        "mismatch/weights.safetensors",
        OsStr::from_bytes(b"ev\xfeil.safetensors"),
    );
    let out = repo
        .gate()
        .arg("scan")
        .arg(OsStr::from_bytes(b"ev\xffil.safetensors"))
        .arg(OsStr::from_bytes(b"ev\xfeil.safetensors"))
        .args(["--format", "json"])
        .run();
    out.code(1);
    let found = artifacts(&out.json());
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        ["ev\\xfeil.safetensors", "ev\\xffil.safetensors"],
        "two different names never print alike\n{out}"
    );
}

#[test]
fn scan_folder_prefixes_obstacle_paths() {
    let repo = Repo::new();
    let outside = Repo::new();
    repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "dir/model.safetensors",
    );
    std::os::unix::fs::symlink(outside.path(), repo.path().join("dir/link")).unwrap();
    let out = repo.gate().args(["scan", "dir", "--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let links = findings_of(&report, "symlink-outside-root");
    assert_eq!(links.len(), 1, "{out}");
    assert_eq!(links[0]["path"], "dir/link", "{out}");
}
