//! Shared helpers for the CLI tests: a `Gate` command builder that runs the built binary in a
//! scrubbed environment, and `Repo`, a throwaway repository folder.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// Replaces the temporary folder in output, so snapshots do not depend on where it was made.
pub(crate) const ROOT_PLACEHOLDER: &str = "@@ROOT@@";

/// No single run may take longer than this (FIFOs and symlink loops must never hang gate).
const TIMEOUT: Duration = Duration::from_secs(20);

/// Variables that change what gate prints or where it logs; removed from every run.
const SCRUBBED: &[&str] = &[
    "GITHUB_ACTIONS",
    "CI",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "GATE_LOG",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "COLUMNS",
];

/// The crate folder (fixtures and policies are relative to it).
pub(crate) fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file or folder under `tests/fixtures`.
pub(crate) fn fixture(rel: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(rel)
}

/// Removes every variable that could leak the developer's or CI's environment into a child.
fn scrub(command: &mut Command) {
    for key in SCRUBBED {
        command.env_remove(key);
    }
    for (key, _) in std::env::vars_os() {
        let text = key.to_string_lossy();
        if text.starts_with("GIT_") || text.starts_with("GITHUB_") {
            command.env_remove(&key);
        }
    }
    // Nobody's global or system git configuration (excludes files, hooks) may change discovery.
    command.env("GIT_CONFIG_NOSYSTEM", "1");
    command.env("GIT_CONFIG_GLOBAL", "/dev/null");
}

/// Builds one run of the `gate` binary.
pub(crate) struct Gate {
    command: Command,
    replacements: Vec<(String, String)>,
}

impl Gate {
    /// `gate` with a scrubbed environment, `NO_COLOR=1`, run from the crate folder.
    pub(crate) fn new() -> Self {
        let mut command = Command::cargo_bin("gate").expect("the gate binary is built");
        scrub(&mut command);
        command
            .env("NO_COLOR", "1")
            .current_dir(manifest_dir())
            .timeout(TIMEOUT);
        Self {
            command,
            replacements: Vec::new(),
        }
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Prints `dir` (and its canonical spelling) as `@@ROOT@@` in the captured output.
    pub(crate) fn root(mut self, dir: &Path) -> Self {
        let mut spellings = vec![dir.to_string_lossy().into_owned()];
        if let Ok(canonical) = std::fs::canonicalize(dir) {
            spellings.push(canonical.to_string_lossy().into_owned());
        }
        for spelling in spellings {
            self.replacements
                .push((spelling, ROOT_PLACEHOLDER.to_owned()));
        }
        // Longest first, so a path never gets half-replaced by a shorter prefix.
        self.replacements
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        self
    }

    /// Runs gate to completion and captures everything.
    pub(crate) fn run(mut self) -> Output {
        let output = self.command.output().expect("gate could be started");
        let Some(code) = output.status.code() else {
            panic!(
                "gate did not exit normally ({}; killed after the {TIMEOUT:?} timeout?)\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let replace = |bytes: &[u8]| {
            let mut text = String::from_utf8_lossy(bytes).into_owned();
            for (from, to) in &self.replacements {
                text = text.replace(from.as_str(), to);
            }
            text
        };
        Output {
            code,
            stdout: replace(&output.stdout),
            stderr: replace(&output.stderr),
            raw_stdout: output.stdout,
        }
    }
}

/// What one run of gate produced.
pub(crate) struct Output {
    pub(crate) code: i32,
    /// Standard output with the root replaced.
    pub(crate) stdout: String,
    /// Standard error with the root replaced.
    pub(crate) stderr: String,
    /// Standard output exactly as written.
    pub(crate) raw_stdout: Vec<u8>,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Output {
    /// Asserts the exit code, showing everything gate printed if it differs.
    #[track_caller]
    pub(crate) fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "unexpected exit code\n{self}");
        self
    }

    /// Standard output (root replaced) parsed as exactly one JSON document: anything before or
    /// after the document fails.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        assert!(
            std::str::from_utf8(&self.raw_stdout).is_ok(),
            "stdout is not UTF-8\n{self}"
        );
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})\n{self}"))
    }
}

/// The findings of a JSON report.
pub(crate) fn findings(report: &Value) -> &Vec<Value> {
    report["findings"]
        .as_array()
        .expect("`findings` is an array")
}

/// The findings of one rule.
pub(crate) fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The artifacts of a JSON report as `path -> format`.
pub(crate) fn artifacts(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["artifacts"]
        .as_array()
        .expect("`artifacts` is an array")
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap_or_default().to_owned(),
                a["format"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The lowercase hex SHA-256 of a file, from coreutils' `sha256sum`.
pub(crate) fn sha256sum(path: &Path) -> String {
    let output = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    assert!(output.status.success(), "sha256sum failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let digest = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(digest.len(), 64, "unexpected sha256sum output {text:?}");
    digest
}

/// A throwaway repository folder (not a git work tree unless [`Repo::git_init`] is called).
pub(crate) struct Repo {
    dir: TempDir,
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gate-test-")
            .tempdir()
            .expect("a temporary folder");
        Self { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` at `rel`, creating folders.
    pub(crate) fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, contents).expect("write a file");
        path
    }

    /// Copies `tests/fixtures/<fixture_rel>` to `rel`.
    pub(crate) fn copy_fixture(&self, fixture_rel: &str, rel: impl AsRef<Path>) -> PathBuf {
        let bytes = std::fs::read(fixture(fixture_rel))
            .unwrap_or_else(|e| panic!("read fixture {fixture_rel}: {e}"));
        self.write(rel, bytes)
    }

    /// Writes the policy `.gate.yml`.
    pub(crate) fn policy(&self, yaml: &str) -> PathBuf {
        self.write(".gate.yml", yaml)
    }

    /// `gate check ROOT` with the root replaced in output.
    pub(crate) fn check(&self) -> Gate {
        Gate::new().arg("check").arg(self.path()).root(self.path())
    }

    /// `gate` run from inside the repository, with the root replaced in output.
    pub(crate) fn gate(&self) -> Gate {
        Gate::new().current_dir(self.path()).root(self.path())
    }

    /// Runs git in the repository (hermetic: no global or system configuration).
    pub(crate) fn git<I, S>(&self, args: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = std::process::Command::new("git");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                command.env_remove(&key);
            }
        }
        let output = command
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Makes the folder a git work tree.
    pub(crate) fn git_init(&self) {
        self.git(["init", "-q", "."]);
    }

    /// Whether git sees this folder as (part of) a work tree.
    pub(crate) fn inside_git_work_tree(&self) -> bool {
        std::process::Command::new("git")
            .args(["rev-parse", "--is-inside-work-tree"])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .current_dir(self.path())
            .output()
            .is_ok_and(|o| o.status.success())
    }
}

/// One finding of `gate scan` as `(rule, member, offset, global)`.
pub(crate) type Seen = (String, Option<String>, Option<u64>, Option<String>);

/// What [`assert_scan_findings`] expects, in report order.
pub(crate) type Expected<'a> = &'a [(&'a str, Option<&'a str>, Option<u64>, Option<&'a str>)];

/// `(rule, member, offset, global)` of every finding `gate scan` reports for `path`.
pub(crate) fn scan_findings(path: &Path) -> Vec<Seen> {
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(path)
        .run();
    findings(&out.json())
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["member"].as_str().map(str::to_owned),
                f["offset"].as_u64(),
                f["evidence"]["global"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Asserts the exact findings of the fixture `rel`.
#[track_caller]
pub(crate) fn assert_scan_findings(rel: &str, expected: Expected<'_>) {
    let actual = scan_findings(&fixture(rel));
    let expected: Vec<Seen> = expected
        .iter()
        .map(|(rule, member, offset, global)| {
            (
                (*rule).to_owned(),
                member.map(str::to_owned),
                *offset,
                global.map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(actual, expected, "findings of {rel}");
}

/// Asserts that every file in the fixture folder `rel` (at least `at_least` of them) passes
/// `gate scan` with no finding at all.
#[track_caller]
pub(crate) fn assert_folder_clean(rel: &str, at_least: usize) {
    let root = fixture(rel);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= at_least, "{} files in {rel}", files.len());
    for path in files {
        let out = Gate::new()
            .args(["scan", "--format", "json"])
            .arg(&path)
            .run();
        out.code(0);
        assert_eq!(findings(&out.json()).len(), 0, "{}\n{out}", path.display());
    }
}
