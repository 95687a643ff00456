//! Discovery: which files `gate check` inspects (git-aware), `paths.exclude`, and hostile file
//! system entries (symlinks out of ROOT, symlink loops, FIFOs, unreadable files, non-UTF-8 names).

use crate::common::{Repo, artifacts, findings_of};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

/// A pickle that calls `posix.system`: every copy that discovery finds fails the run.
const PICKLE: &str = "pickles/malicious/plain-proto0.bin";
const SAFETENSORS: &str = "formats/safetensors/model.safetensors";

/// The artifact paths `gate check --format json` reports for `repo` (with extra arguments).
fn artifact_paths(repo: &Repo, extra: &[&str]) -> Vec<String> {
    let out = repo.check().args(["--format", "json"]).args(extra).run();
    assert!(out.code == 0 || out.code == 1, "a verdict\n{out}");
    artifacts(&out.json()).into_keys().collect()
}

/// A git repository with `.gitignore` = `*.pt`, a force-added tracked `evil.pt`, an untracked
/// ignored `ignored.pt` and an untracked, not ignored `untracked.pkl`.
fn git_repo() -> Repo {
    let repo = Repo::new();
    assert!(
        !repo.inside_git_work_tree(),
        "the temporary folder must not lie inside a git work tree"
    );
    repo.git_init();
    repo.write(".gitignore", "*.pt\n");
    repo.copy_fixture(PICKLE, "evil.pt");
    repo.git(["add", ".gitignore"]);
    repo.git(["add", "-f", "evil.pt"]);
    repo.git(["commit", "-q", "-m", "init"]);
    repo.copy_fixture(PICKLE, "ignored.pt");
    repo.copy_fixture(PICKLE, "untracked.pkl");
    repo
}

#[test]
fn gitignore_never_hides_a_tracked_file() {
    let repo = git_repo();
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let found = artifacts(&report);
    assert_eq!(
        found.get("evil.pt").map(String::as_str),
        Some("pickle"),
        "{out}"
    );
    assert!(
        report["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["path"] == "evil.pt")),
        "the tracked file is judged\n{out}"
    );
}

#[test]
fn untracked_ignored_files_are_skipped() {
    let paths = artifact_paths(&git_repo(), &[]);
    assert!(!paths.contains(&"ignored.pt".to_owned()), "{paths:?}");
}

#[test]
fn untracked_files_that_are_not_ignored_are_inspected() {
    let paths = artifact_paths(&git_repo(), &[]);
    assert_eq!(paths, ["evil.pt", "untracked.pkl"]);
}

#[test]
fn no_ignore_inspects_ignored_files_too() {
    let paths = artifact_paths(&git_repo(), &["--no-ignore"]);
    assert_eq!(paths, ["evil.pt", "ignored.pt", "untracked.pkl"]);
}

#[test]
fn gitignore_inside_an_ignored_nested_folder() {
    let repo = git_repo();
    repo.write("models/.gitignore", "*\n");
    repo.copy_fixture(PICKLE, "models/hidden.pkl");
    repo.copy_fixture(PICKLE, "models/tracked.pkl");
    repo.git(["add", "-f", "models/tracked.pkl"]);
    let paths = artifact_paths(&repo, &[]);
    assert!(
        paths.contains(&"models/tracked.pkl".to_owned()),
        "{paths:?}"
    );
    assert!(
        !paths.contains(&"models/hidden.pkl".to_owned()),
        "{paths:?}"
    );
}

#[test]
fn git_root_in_a_subfolder_lists_paths_relative_to_root() {
    let repo = git_repo();
    repo.copy_fixture("mismatch/weights.safetensors", "sub/weights.safetensors");
    let out = crate::common::Gate::new()
        .arg("check")
        .arg(repo.path().join("sub"))
        .args(["--format", "json"])
        .run();
    out.code(1);
    let report = out.json();
    assert_eq!(
        artifacts(&report).into_keys().collect::<Vec<_>>(),
        ["weights.safetensors"]
    );
}

#[test]
fn outside_git_every_file_is_inspected() {
    let repo = Repo::new();
    assert!(
        !repo.inside_git_work_tree(),
        "the temporary folder must not lie inside a git work tree"
    );
    repo.write(".gitignore", "*.pt\nsecret/\n");
    repo.copy_fixture(PICKLE, "evil.pt");
    repo.copy_fixture(PICKLE, "secret/model.pkl");
    repo.copy_fixture(SAFETENSORS, ".hidden/model.safetensors");
    let paths = artifact_paths(&repo, &[]);
    assert_eq!(
        paths,
        [".hidden/model.safetensors", "evil.pt", "secret/model.pkl"]
    );
}

#[test]
fn paths_exclude_removes_files() {
    let repo = Repo::new();
    repo.copy_fixture(PICKLE, "tests/fixtures/deep/evil.pt");
    repo.copy_fixture(PICKLE, "models/old.pkl");
    repo.copy_fixture(PICKLE, "top.pkl");
    repo.copy_fixture(PICKLE, "models/keep.pt");
    repo.copy_fixture(SAFETENSORS, "models/model.safetensors");
    repo.policy("version: 1\npaths:\n  exclude: [\"tests/fixtures/**\", \"*.pkl\"]\n");
    let out = repo.check().args(["--format", "json"]).run();
    let report = out.json();
    assert_eq!(
        artifacts(&report).into_keys().collect::<Vec<_>>(),
        ["models/keep.pt", "models/model.safetensors"],
        "{out}"
    );
    assert_eq!(
        report["summary"]["files"], 3,
        "excluded files are not counted (keep.pt, model.safetensors, .gate.yml)"
    );
}

#[test]
fn paths_exclude_folder_pattern() {
    let repo = Repo::new();
    repo.copy_fixture(PICKLE, "vendor/a/b.pkl");
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    repo.policy("version: 1\npaths:\n  exclude: [\"vendor/\"]\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(
        artifacts(&out.json()).into_keys().collect::<Vec<_>>(),
        ["model.safetensors"]
    );
}

#[test]
fn paths_exclude_applies_in_git_too() {
    let repo = git_repo();
    repo.policy("version: 1\npaths:\n  exclude: [\"*.pt\", \"*.pkl\"]\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(artifacts(&out.json()).len(), 0, "{out}");
}

#[test]
fn symlink_out_of_root_is_reported_and_not_followed() {
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    let outside = Repo::new();
    let target = outside.copy_fixture("mismatch/weights.safetensors", "weights.safetensors");
    std::os::unix::fs::symlink(&target, repo.path().join("linked.safetensors")).unwrap();
    let out = repo
        .check()
        .args(["--format", "json"])
        .root(outside.path())
        .run();
    out.code(1);
    let report = out.json();
    let links = findings_of(&report, "symlink-outside-root");
    assert_eq!(links.len(), 1, "{out}");
    assert_eq!(links[0]["severity"], "error");
    assert_eq!(links[0]["path"], "linked.safetensors");
    assert_eq!(
        links[0]["evidence"]["target"],
        "@@ROOT@@/weights.safetensors"
    );
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(1),
        "the pickle behind it was not read\n{out}"
    );
    assert_eq!(
        artifacts(&report).into_keys().collect::<Vec<_>>(),
        ["model.safetensors"]
    );
}

#[test]
fn symlink_inside_root_is_fine() {
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "models/model.safetensors");
    std::os::unix::fs::symlink(
        "models/model.safetensors",
        repo.path().join("alias.safetensors"),
    )
    .unwrap();
    std::os::unix::fs::symlink("models", repo.path().join("models-link")).unwrap();
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    let report = out.json();
    assert_eq!(report["findings"], serde_json::json!([]), "{out}");
    assert_eq!(
        artifacts(&report).into_keys().collect::<Vec<_>>(),
        ["models/model.safetensors"]
    );
}

#[test]
fn symlink_loops_do_not_hang() {
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    let root = repo.path();
    std::os::unix::fs::symlink("loop-b", root.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", root.join("loop-b")).unwrap();
    std::os::unix::fs::symlink("self", root.join("self")).unwrap();
    std::fs::create_dir(root.join("dir")).unwrap();
    std::os::unix::fs::symlink("..", root.join("dir/up")).unwrap();
    let started = Instant::now();
    let out = repo.check().args(["--format", "json"]).run();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    out.code(1);
    let report = out.json();
    let mut reported: Vec<&str> = findings_of(&report, "symlink-outside-root")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    reported.sort_unstable();
    assert_eq!(reported, ["loop-a", "loop-b", "self"], "{out}");
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn fifo_is_never_opened_and_is_reported() {
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    let status = std::process::Command::new("mkfifo")
        .arg(repo.path().join("pipe.safetensors"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let started = Instant::now();
    // Gate::run has a 20 s timeout and panics if gate had to be killed.
    let out = repo.check().args(["--format", "json"]).run();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    out.code(1);
    let report = out.json();
    assert_eq!(
        report["summary"]["files"], 1,
        "the FIFO is not a file to inspect"
    );
    let fifo = findings_of(&report, "file-unreadable");
    assert_eq!(fifo.len(), 1, "{out}");
    assert_eq!(fifo[0]["path"], "pipe.safetensors");
    assert_eq!(fifo[0]["severity"], "error");
    assert_eq!(fifo[0]["evidence"]["error"], "a FIFO");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(1),
        "{out}"
    );

    let out = crate::common::Gate::new()
        .args(["scan", "--format", "json"])
        .arg(repo.path().join("pipe.safetensors"))
        .run();
    out.code(1);
    assert_eq!(
        findings_of(&out.json(), "file-unreadable").len(),
        1,
        "{out}"
    );
}

#[test]
fn unreadable_file_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    let locked = repo.copy_fixture(PICKLE, "locked.pt");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        println!(
            "note: unreadable_file_is_an_error skipped its assertion: a file with mode 000 is \
             still readable here (running as root?)"
        );
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    let out = repo.check().args(["--format", "json"]).run();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    out.code(1);
    let report = out.json();
    let unreadable = findings_of(&report, "file-unreadable");
    assert_eq!(unreadable.len(), 1, "{out}");
    assert_eq!(unreadable[0]["path"], "locked.pt");
    assert_eq!(unreadable[0]["severity"], "error");
}

#[test]
fn unreadable_folder_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    repo.copy_fixture(PICKLE, "locked/evil.pt");
    let locked = repo.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        println!(
            "note: unreadable_folder_is_an_error skipped its assertion: a folder with mode 000 \
             is still readable here (running as root?)"
        );
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let out = repo.check().args(["--format", "json"]).run();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    out.code(1);
    let report = out.json();
    let unreadable = findings_of(&report, "file-unreadable");
    assert_eq!(unreadable.len(), 1, "{out}");
    assert_eq!(unreadable[0]["path"], "locked");
}

#[test]
fn non_utf8_file_name_is_reported_escaped() {
    let repo = Repo::new();
    repo.copy_fixture(SAFETENSORS, "model.safetensors");
    repo.copy_fixture(
        "mismatch/weights.safetensors",
        OsStr::from_bytes(b"ev\xffil.safetensors"),
    );
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let mismatches = findings_of(&report, "format-mismatch");
    assert_eq!(mismatches.len(), 1, "{out}");
    assert_eq!(mismatches[0]["path"], "ev\\xffil.safetensors");
    assert!(
        artifacts(&report).contains_key("ev\\xffil.safetensors"),
        "{out}"
    );

    let human = repo.check().run();
    human.code(1);
    assert!(
        human
            .stdout
            .contains("ev\\xffil.safetensors (pickle, 46 B)"),
        "{human}"
    );
}

#[test]
fn non_utf8_names_in_git_are_reported_escaped() {
    let repo = Repo::new();
    repo.git_init();
    repo.copy_fixture(
        "mismatch/weights.safetensors",
        OsStr::from_bytes(b"d\xfe/ev\xffil.safetensors"),
    );
    repo.git(["add", "-A"]);
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(
        findings_of(&report, "format-mismatch")[0]["path"],
        "d\\xfe/ev\\xffil.safetensors",
        "{out}"
    );
}

#[test]
fn without_git_on_path_every_file_is_inspected() {
    let repo = git_repo();
    let out = repo
        .check()
        .args(["--format", "json"])
        .env("PATH", "/nonexistent")
        .run();
    out.code(1);
    assert_eq!(
        artifacts(&out.json()).into_keys().collect::<Vec<_>>(),
        ["evil.pt", "ignored.pt", "untracked.pkl"],
        "fail closed: more files, never fewer\n{out}"
    );
}

#[test]
fn unreadable_file_is_not_also_a_format_mismatch() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    let locked = repo.write("locked.pt", b"not read");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        println!(
            "note: unreadable_file_is_not_also_a_format_mismatch skipped its assertion: a file \
             with mode 000 is still readable here (running as root?)"
        );
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    let out = repo.check().args(["--format", "json"]).run();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    out.code(1);
    let report = out.json();
    assert_eq!(findings_of(&report, "file-unreadable").len(), 1, "{out}");
    assert!(findings_of(&report, "format-mismatch").is_empty(), "{out}");
}
