//! Dataset integrity: `datasets.files` (files and folder digests), `datasets.manifests`,
//! `datasets.unlisted`, Git LFS pointers, DVC files, and `gate hash`.

use crate::common::{Gate, Output, Repo, findings, findings_of, sha256sum};
use serde_json::Value;
use std::path::Path;

const LFS_OID: &str = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

fn lfs_pointer(oid: &str) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 1048576\n")
}

/// `gate hash ARGS` run inside the repository; must succeed.
#[track_caller]
fn gate_hash(repo: &Repo, paths: &[&str]) -> String {
    let out = repo.gate().arg("hash").args(paths).run();
    out.code(0);
    out.stdout
}

/// A repository whose datasets are all pinned by `gate hash` output, a manifest, an LFS pointer and
/// a DVC file; it passes.
fn pristine() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "models/model.safetensors",
    );
    repo.write("data/train.csv", "id,label\n1,cat\n2,dog\n");
    repo.write("data/images/cat.png", b"\x89PNG cat");
    repo.write("data/images/sub dir/dög ü.png", b"\x89PNG dog");
    repo.write("data/images/a-b", "dash sorts before slash");
    repo.write("data/images/a/b", "nested");
    repo.write("data/weights.bin", lfs_pointer(LFS_OID));
    repo.write("corpus/one.txt", "one\n");
    repo.write("corpus/two.txt", "two\n");
    let sums = std::process::Command::new("sha256sum")
        .args(["one.txt", "-b", "two.txt"])
        .current_dir(repo.path().join("corpus"))
        .output()
        .expect("sha256sum runs");
    assert!(sums.status.success());
    repo.write("corpus/SHA256SUMS", sums.stdout);
    repo.write("dvc/table.csv", "a,b\n");
    repo.write(
        "dvc/table.csv.dvc",
        "outs:\n- md5: f69f5b72bc79a92dc70c63c9aa142e36\n  size: 4\n  hash: md5\n  path: table.csv\n",
    );
    let entries = gate_hash(
        &repo,
        &["data/train.csv", "data/images", "data/weights.bin"],
    );
    repo.policy(&format!(
        "version: 1\ndatasets:\n  files:\n{entries}  manifests: [corpus/SHA256SUMS]\n  unlisted: error\n"
    ));
    repo
}

#[track_caller]
fn json(out: &Output) -> Value {
    out.json()
}

/// The only findings of a failing run, as (rule, path).
#[track_caller]
fn failures(repo: &Repo) -> (Vec<(String, String)>, Value) {
    outcome(repo, 1)
}

/// What a run that passes with warnings reports.
fn warnings(repo: &Repo) -> (Vec<(String, String)>, Value) {
    let (list, report) = outcome(repo, 0);
    assert!(
        findings(&report).iter().all(|f| f["severity"] == "warning"),
        "{report}"
    );
    (list, report)
}

fn outcome(repo: &Repo, code: i32) -> (Vec<(String, String)>, Value) {
    let out = repo.check().args(["--format", "json"]).run();
    out.code(code);
    let report = json(&out);
    let list = findings(&report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (list, report)
}

fn pair(rule: &str, path: &str) -> (String, String) {
    (rule.to_owned(), path.to_owned())
}

#[test]
fn dvc_fixture_md5_is_right() {
    // The pristine DVC entry above must be the real MD5 of "a,b\n" (checked with coreutils).
    let repo = Repo::new();
    let path = repo.write("t.csv", "a,b\n");
    let out = std::process::Command::new("md5sum")
        .arg(&path)
        .output()
        .expect("md5sum runs");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("f69f5b72bc79a92dc70c63c9aa142e36"));
}

#[test]
fn pristine_repository_passes() {
    let repo = pristine();
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = json(&out);
    assert_eq!(findings(&report).len(), 0, "{out}");
    let human = repo.check().run();
    human.code(0);
}

#[test]
fn one_byte_change_is_a_hash_mismatch_on_that_file() {
    let repo = pristine();
    repo.write("data/train.csv", "id,label\n1,cat\n2,dot\n");
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "data/train.csv")]);
    let finding = &findings_of(&report, "dataset-hash-mismatch")[0];
    let evidence = &finding["evidence"];
    assert_eq!(
        evidence["actual"].as_str(),
        Some(sha256sum(&repo.path().join("data/train.csv")).as_str())
    );
    assert_eq!(evidence["expected"].as_str().map(str::len), Some(64));
    assert_ne!(evidence["expected"], evidence["actual"]);
    assert_eq!(evidence["policy"], ".gate.yml:4", "{finding}");
}

#[test]
fn deleted_file_is_missing() {
    let repo = pristine();
    std::fs::remove_file(repo.path().join("data/train.csv")).unwrap();
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-missing", "data/train.csv")]);
}

#[test]
fn deleted_manifest_entry_file_is_missing() {
    let repo = pristine();
    std::fs::remove_file(repo.path().join("corpus/two.txt")).unwrap();
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-missing", "corpus/two.txt")]);
    assert_eq!(
        findings(&report)[0]["evidence"]["manifest"],
        "corpus/SHA256SUMS:2"
    );
}

#[test]
fn file_added_to_a_pinned_folder_changes_its_digest() {
    let repo = pristine();
    repo.write("data/images/sub dir/new.png", "added");
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "data/images")]);
    assert_eq!(findings(&report)[0]["evidence"]["files"], 5);
}

#[test]
fn ignored_and_excluded_files_still_count_in_a_folder_digest() {
    let repo = pristine();
    repo.git_init();
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    repo.policy(&format!(
        "{policy}paths:\n  exclude: [\"data/images/a/**\"]\n"
    ));
    repo.write(".gitignore", "*.tmp\n");
    repo.write("data/images/junk.tmp", "ignored by git, still on disk");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "data/images")]);
    std::fs::remove_file(repo.path().join("data/images/junk.tmp")).unwrap();
    repo.check().run().code(0);
}

#[test]
fn changed_manifest_entry_fails_on_the_listed_file() {
    let repo = pristine();
    let manifest = repo.path().join("corpus/SHA256SUMS");
    let text = std::fs::read_to_string(&manifest).unwrap();
    // Line 2 (`*two.txt`) now expects the hash of `one.txt`.
    let first_hash = text.get(..64).unwrap().to_owned();
    let second = text.lines().nth(1).unwrap();
    let changed = text.replace(second, &format!("{first_hash} *two.txt"));
    std::fs::write(&manifest, changed).unwrap();
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "corpus/two.txt")]);
    let evidence = &findings(&report)[0]["evidence"];
    assert_eq!(evidence["manifest"], "corpus/SHA256SUMS:2");
    assert_eq!(evidence["expected"].as_str(), Some(first_hash.as_str()));
}

#[test]
fn wrong_lfs_oid_fails_on_the_pointer() {
    let repo = pristine();
    let wrong = format!("5{}", &LFS_OID[1..]);
    repo.write("data/weights.bin", lfs_pointer(&wrong));
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "data/weights.bin")]);
    let evidence = &findings(&report)[0]["evidence"];
    assert_eq!(evidence["expected"], LFS_OID);
    assert_eq!(evidence["actual"].as_str(), Some(wrong.as_str()));
}

#[test]
fn pulled_lfs_content_matching_the_oid_passes() {
    let repo = pristine();
    // The pin holds the content's sha256 (the pointer's oid); after `git lfs pull` the file
    // is the content itself and is hashed as such.
    let content = b"pulled content";
    let path = repo.write("content.bin", content);
    let oid = sha256sum(&path);
    std::fs::remove_file(&path).unwrap();
    repo.write("data/weights.bin", lfs_pointer(&oid));
    let entries = gate_hash(&repo, &["data/weights.bin"]);
    assert!(
        entries.contains(&oid),
        "gate hash pins a pointer by its oid: {entries}"
    );
    repo.policy(&format!("version: 1\ndatasets:\n  files:\n{entries}"));
    repo.check().run().code(0);
    repo.write("data/weights.bin", content);
    repo.check().run().code(0);
    repo.write("data/weights.bin", b"pulled contenT");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "data/weights.bin")]);
}

#[test]
fn unlisted_file_in_a_manifest_folder_follows_the_policy() {
    let repo = pristine();
    repo.write("corpus/three.txt", "three\n");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-unlisted-file", "corpus/three.txt")]);

    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    repo.policy(&policy.replace("unlisted: error", "unlisted: warning"));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = json(&out);
    let warnings = findings_of(&report, "dataset-unlisted-file");
    assert_eq!(warnings.len(), 1, "{out}");
    assert_eq!(warnings[0]["severity"], "warning");

    repo.policy(&policy.replace("unlisted: error", "unlisted: allow"));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(findings(&json(&out)).len(), 0, "{out}");

    // A severity override beats `datasets.unlisted`.
    repo.policy(&format!(
        "{policy}severity:\n  dataset-unlisted-file: note\n"
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(
        findings_of(&json(&out), "dataset-unlisted-file")[0]["severity"],
        "note"
    );
}

#[test]
fn invalid_manifest_lines_have_line_and_column() {
    let repo = pristine();
    let manifest = repo.path().join("corpus/SHA256SUMS");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("d41d8cd98f00b204e9800998ecf8427e  md5.txt\n");
    text.push_str(&format!("{} -three.txt\n", "0".repeat(64)));
    std::fs::write(&manifest, text).unwrap();
    let (list, report) = failures(&repo);
    assert_eq!(
        list,
        [
            pair("manifest-invalid", "corpus/SHA256SUMS"),
            pair("manifest-invalid", "corpus/SHA256SUMS")
        ]
    );
    let places: Vec<(Value, Value)> = findings(&report)
        .iter()
        .map(|f| (f["line"].clone(), f["column"].clone()))
        .collect();
    assert_eq!(
        places,
        [
            (Value::from(3), Value::from(1)),
            (Value::from(4), Value::from(66))
        ]
    );
    assert!(
        findings(&report)[0]["message"]
            .as_str()
            .unwrap()
            .contains("MD5")
    );
}

#[test]
fn escaped_manifest_names_are_read_like_sha256sum() {
    let repo = Repo::new();
    repo.write("d/back\\slash.txt", "b");
    repo.write("d/new\nline.txt", "n");
    let sums = std::process::Command::new("sha256sum")
        .args(["back\\slash.txt", "new\nline.txt"])
        .current_dir(repo.path().join("d"))
        .output()
        .expect("sha256sum runs");
    let text = String::from_utf8(sums.stdout).unwrap();
    assert!(
        text.starts_with('\\'),
        "coreutils escapes these names: {text:?}"
    );
    repo.write("d/SUMS", &text);
    repo.policy("version: 1\ndatasets:\n  manifests: [d/SUMS]\n  unlisted: error\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    repo.write("d/new\nline.txt", "changed");
    let (list, _) = failures(&repo);
    // Reports escape control characters in names, so a name cannot forge a line of output.
    assert_eq!(list, [pair("dataset-hash-mismatch", "d/new\\x0aline.txt")]);
}

#[test]
fn missing_manifest_is_reported_at_the_manifest() {
    let repo = pristine();
    std::fs::remove_file(repo.path().join("corpus/SHA256SUMS")).unwrap();
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-missing", "corpus/SHA256SUMS")]);
    assert_eq!(findings(&report)[0]["evidence"]["policy"], ".gate.yml:11");
}

#[test]
fn dvc_md5_is_verified_when_present_and_missing_data_is_reported() {
    let repo = pristine();
    repo.write("dvc/table.csv", "a,c\n");
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "dvc/table.csv")]);
    let evidence = &findings(&report)[0]["evidence"];
    assert!(
        evidence["algorithm"].as_str().unwrap().starts_with("md5"),
        "{evidence}"
    );
    assert_eq!(evidence["dvc-file"], "dvc/table.csv.dvc:5");
    // DVC data that was not pulled is not verified: a warning, not a failure.
    std::fs::remove_file(repo.path().join("dvc/table.csv")).unwrap();
    let (list, _) = warnings(&repo);
    assert_eq!(list, [pair("dataset-missing", "dvc/table.csv")]);
}

#[test]
fn dvc_lock_entries_are_verified() {
    let repo = Repo::new();
    repo.write("data/raw.csv", "a,b\n");
    repo.write("models/out.bin", "x");
    repo.write(
        "dvc.lock",
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/raw.csv\n      md5: f69f5b72bc79a92dc70c63c9aa142e36\n      size: 4\n    outs:\n    - path: models/out.bin\n      md5: 00000000000000000000000000000000\n      size: 1\n    - path: models/gone.bin\n      md5: 00000000000000000000000000000000\n",
    );
    let (list, _) = failures(&repo);
    assert_eq!(
        list,
        [
            pair("dataset-missing", "models/gone.bin"),
            pair("dataset-hash-mismatch", "models/out.bin"),
        ]
    );
    repo.write("dvc.lock", "stages: [broken\n");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("manifest-invalid", "dvc.lock")]);
}

fn md5sum(bytes: &[u8]) -> String {
    let repo = Repo::new();
    let path = repo.write("x", bytes);
    let out = std::process::Command::new("md5sum")
        .arg(&path)
        .output()
        .expect("md5sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn dvc_folder_outputs_are_verified_through_the_cache_listing() {
    let repo = Repo::new();
    repo.write("images/a.png", "a");
    repo.write("images/b/c.png", "c");
    let listing = format!(
        "[{{\"md5\": \"{}\", \"relpath\": \"a.png\"}}, {{\"md5\": \"{}\", \"relpath\": \"b/c.png\"}}]",
        md5sum(b"a"),
        md5sum(b"c")
    );
    let name = md5sum(listing.as_bytes());
    let cache = format!(".dvc/cache/files/md5/{}/{}.dir", &name[..2], &name[2..]);
    repo.write(&cache, &listing);
    repo.write(
        "images.dvc",
        format!("outs:\n- md5: {name}.dir\n  size: 2\n  nfiles: 2\n  hash: md5\n  path: images\n"),
    );
    repo.check().run().code(0);

    repo.write("images/b/c.png", "C");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "images/b/c.png")]);
    repo.write("images/b/c.png", "c");

    repo.write("images/new.png", "n");
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "images/new.png")]);
    std::fs::remove_file(repo.path().join("images/new.png")).unwrap();

    std::fs::remove_file(repo.path().join("images/a.png")).unwrap();
    let (list, _) = warnings(&repo);
    assert_eq!(list, [pair("dataset-missing", "images/a.png")]);
    repo.write("images/a.png", "a");

    // A listing that does not hash to its name proves nothing.
    repo.write(&cache, listing.replace("a.png", "z.png"));
    let (list, _) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "images")]);
    std::fs::remove_file(repo.path().join(&cache)).unwrap();
    let (list, report) = failures(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "images")]);
    assert!(
        findings(&report)[0]["message"]
            .as_str()
            .unwrap()
            .contains("dvc pull"),
        "{report}"
    );
}

#[test]
fn symlink_inside_a_pinned_folder_is_reported_not_followed() {
    let repo = pristine();
    std::os::unix::fs::symlink("../train.csv", repo.path().join("data/images/link.csv")).unwrap();
    let (list, _) = failures(&repo);
    // The digest is unchanged (coreutils' `find -type f` skips links too), but the link is
    // data the digest does not vouch for.
    assert_eq!(
        list,
        [pair("dataset-hash-mismatch", "data/images/link.csv")]
    );
}

#[test]
fn pinned_symlink_out_of_root_is_not_followed() {
    let outside = Repo::new();
    let target = outside.write("secret.csv", "outside");
    let repo = Repo::new();
    std::fs::create_dir_all(repo.path().join("data")).unwrap();
    std::os::unix::fs::symlink(&target, repo.path().join("data/train.csv")).unwrap();
    repo.policy(&format!(
        "version: 1\ndatasets:\n  files:\n    - path: data/train.csv\n      sha256: {}\n",
        sha256sum(&target)
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = json(&out);
    let mismatch = findings_of(&report, "dataset-hash-mismatch");
    assert_eq!(mismatch.len(), 1, "{out}");
    assert!(
        mismatch[0]["message"]
            .as_str()
            .unwrap()
            .contains("outside the checked folder"),
        "{out}"
    );
}

/// The coreutils command from the SPEC, run by the shell in `dir`.
fn coreutils_digest(dir: &Path) -> String {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("(cd \"$1\" && find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum")
        .arg("sh")
        .arg(dir)
        .output()
        .expect("sh runs");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn folder_digest_equals_the_coreutils_command() {
    let repo = Repo::new();
    repo.write("set/plain.txt", "plain");
    repo.write("set/with space.txt", "space");
    repo.write("set/ünïcödé/日本語.bin", b"\x00\x01\xff");
    repo.write("set/a-b", "dash");
    repo.write("set/a/b", "slash");
    repo.write("set/A", "upper");
    repo.write("set/.hidden", "dot");
    repo.write("set/empty", "");
    {
        use std::os::unix::ffi::OsStrExt;
        repo.write(
            Path::new(std::ffi::OsStr::from_bytes(b"set/non-utf8-\xff.bin")),
            "raw bytes",
        );
    }
    let expected = coreutils_digest(&repo.path().join("set"));
    let entries = gate_hash(&repo, &["set"]);
    assert!(
        entries.contains(&format!("sha256: {expected}")),
        "gate: {entries}\ncoreutils: {expected}"
    );
    repo.policy(&format!("version: 1\ndatasets:\n  files:\n{entries}"));
    repo.check().run().code(0);
}

#[test]
fn gate_hash_output_round_trips_for_awkward_names() {
    let repo = Repo::new();
    repo.write("data/with space/ü: #x.csv", "1");
    repo.write("data/-dash", "2");
    repo.write("data/quote\"d", "3");
    let entries = gate_hash(
        &repo,
        &[
            "data/with space/ü: #x.csv",
            "./data/-dash",
            "data/quote\"d",
            "data/",
        ],
    );
    repo.policy(&format!("version: 1\ndatasets:\n  files:\n{entries}"));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let absolute = repo.path().join("data/-dash");
    let again = repo.gate().arg("hash").arg(&absolute).run();
    again.code(0);
    assert!(again.stdout.contains("path: data/-dash\n"), "{again}");
}

#[test]
fn gate_hash_refuses_what_it_cannot_pin() {
    let repo = Repo::new();
    repo.write("d/ok.txt", "ok");
    repo.write("d/new\nline", "x");
    let out = repo.gate().args(["hash", "d", "missing.csv", "../x"]).run();
    out.code(2);
    assert_eq!(out.stdout, "", "all or nothing");
    for expected in ["d/new\\x0aline", "missing.csv", "../x"] {
        assert!(out.stderr.contains(expected), "{out}");
    }
    let out = Gate::new().arg("hash").run();
    out.code(2);
}

#[test]
fn every_file_is_hashed_once_and_reported_in_artifacts() {
    let repo = Repo::new();
    let model = repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "data/model.safetensors",
    );
    let digest = sha256sum(&model);
    repo.write("data/SUMS", format!("{digest}  model.safetensors\n"));
    repo.policy(&format!(
        "version: 1\ndatasets:\n  files:\n    - path: data/model.safetensors\n      sha256: {digest}\n  manifests: [data/SUMS]\nwaivers:\n  - rule: dataset-unlisted-file\n    path: data/model.safetensors\n    sha256: {digest}\n    reason: test\n"
    ));
    let out = repo
        .check()
        .args(["--format", "json"])
        .env("GATE_LOG", "info")
        .run();
    out.code(0);
    assert!(
        out.stderr.contains("files=1"),
        "one file hashed once: {out}"
    );
    let report = json(&out);
    let artifact = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "data/model.safetensors")
        .cloned()
        .unwrap_or_default();
    assert_eq!(artifact["sha256"].as_str(), Some(digest.as_str()), "{out}");
}

#[test]
fn explain_documents_the_dataset_rules() {
    for rule in [
        "dataset-missing",
        "dataset-hash-mismatch",
        "dataset-unlisted-file",
        "manifest-invalid",
    ] {
        let out = Gate::new().args(["explain", rule]).run();
        out.code(0);
        assert!(out.stdout.contains("## How to fix"), "{out}");
    }
    let out = Gate::new().args(["explain", "dataset-hash-mismatch"]).run();
    assert!(out.stdout.contains("LC_ALL=C sort -z"), "{out}");
}

#[test]
fn a_changed_dvc_lock_input_is_a_stale_stage_warning() {
    let repo = Repo::new();
    repo.write("train.py", "print('v2')\n");
    repo.write("models/out.bin", "x");
    repo.write(
        "dvc.lock",
        // md5("x") = 9dd4e461268c8034f5c8564e155c67a6; the train.py hash is of another version.
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: train.py\n      md5: 00000000000000000000000000000000\n    outs:\n    - path: models/out.bin\n      md5: 9dd4e461268c8034f5c8564e155c67a6\n",
    );
    let (list, report) = warnings(&repo);
    assert_eq!(list, [pair("dataset-hash-mismatch", "train.py")]);
    let message = findings(&report)[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("stage is out of date"), "{message}");

    // An output that changed is tampered data, whatever the stage says.
    repo.write("models/out.bin", "y");
    let (list, _) = failures(&repo);
    assert_eq!(
        list,
        [
            pair("dataset-hash-mismatch", "models/out.bin"),
            pair("dataset-hash-mismatch", "train.py"),
        ]
    );
}
