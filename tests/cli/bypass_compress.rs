//! The red team's compressed-stream findings (group `compress`): files joblib, or a Python file
//! object another loader uses, reads as a compressed pickle — the `ZF` z-file, `.lzma` headers
//! with any dictionary size, empty streams before the payload, padding and skippable frames
//! between streams, more than the identification prefix of empty streams — give the exact
//! finding; real `joblib.dump` outputs with every `compress=` option and the benign twins give
//! none (fixtures from `generate_bypasses_compress.py`).

use crate::common::{Expected, Repo, assert_folder_clean, assert_scan_findings, findings};

#[track_caller]
fn assert_findings(name: &str, expected: Expected<'_>) {
    assert_scan_findings(&format!("pickles/malicious/compress/{name}"), expected);
}

const DANGEROUS: &str = "pickle-dangerous-global";
const SYSTEM: Option<&str> = Some("posix.system");

#[test]
fn joblib_z_files_are_read() {
    for name in ["compat-zfile.bin", "compat-zfile-wide.bin"] {
        assert_findings(name, &[(DANGEROUS, None, Some(2), SYSTEM)]);
    }
}

#[test]
fn lzma_headers_with_any_dictionary_or_properties_are_read() {
    for name in ["lzma-dict4k.bin", "lzma-props-lc0.bin"] {
        assert_findings(name, &[(DANGEROUS, None, Some(2), SYSTEM)]);
    }
}

#[test]
fn empty_streams_before_the_payload_are_read_through() {
    for name in [
        "bz2-empty-first.bin",
        "gzip-empty-first.bin",
        "xz-empty-first.bin",
        "lzma-empty-first.bin",
        "lzma-then-xz.bin",
        "lz4-empty-first.bin",
        "gzip-zero-padding.bin",
        "lz4-skippable.bin",
        // More than the 64 KiB identification reads first, before the first decompressed byte.
        "bz2-many-empty.bin",
        "zlib-empty-blocks.bin",
    ] {
        assert_findings(name, &[(DANGEROUS, None, Some(2), SYSTEM)]);
    }
}

#[test]
fn a_first_argument_longer_than_the_window_is_followed() {
    assert_findings(
        "long-first-argument.bin",
        &[(DANGEROUS, None, Some(10006), SYSTEM)],
    );
    assert_findings(
        "long-first-argument-big.bin",
        &[(DANGEROUS, None, Some(70006), SYSTEM)],
    );
}

#[test]
fn compressed_members_are_read() {
    assert_findings(
        "members.zip",
        &[
            (DANGEROUS, Some("compat-zfile.bin"), Some(2), SYSTEM),
            (DANGEROUS, Some("lzma-dict4k.bin"), Some(2), SYSTEM),
            (DANGEROUS, Some("bz2-many-empty.bin"), Some(2), SYSTEM),
        ],
    );
}

#[test]
fn a_full_compression_magic_that_cannot_be_read_is_reported() {
    // liblz4 (Python's lz4) reads a frame that names a dictionary it does not use; gate cannot.
    assert_findings(
        "lz4-dict-id.bin",
        &[("archive-unreadable", None, None, None)],
    );
    assert_findings(
        "gzip-garbage.bin",
        &[("archive-unreadable", None, None, None)],
    );
}

#[test]
fn compressed_content_that_is_no_pickle_fails_a_pickle_name() {
    let repo = Repo::new();
    repo.copy_fixture("pickles/benign/compress/text.gz.bin", "model.pkl");
    repo.copy_fixture("pickles/benign/compress/text.xz.bin", "model.joblib");
    repo.copy_fixture(
        "pickles/malicious/compress/gzip-garbage.bin",
        "broken.joblib",
    );
    repo.copy_fixture("pickles/benign/compress/text.bz2.bin", "data.bin");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let mut seen: Vec<(String, String)> = findings(&out.json())
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let expected = [
        ("broken.joblib", "archive-unreadable"),
        ("model.joblib", "format-mismatch"),
        ("model.pkl", "format-mismatch"),
    ]
    .map(|(path, rule)| (path.to_owned(), rule.to_owned()));
    assert_eq!(seen, expected, "{out}");
}

#[test]
fn real_joblib_outputs_and_benign_twins_give_no_findings() {
    // Every compress= option in plain and array flavours, the z-file, twins, texts, noise.
    assert_folder_clean("pickles/benign/compress", 60);
}
