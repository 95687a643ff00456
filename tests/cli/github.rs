//! `--format github` (automatic under `GITHUB_ACTIONS=true`): workflow-command annotations read
//! back with the runner's own parsing rules, hostile file names, the job summary and the step
//! outputs.

use crate::common::{Gate, Repo};
use std::path::PathBuf;
use tempfile::TempDir;

/// The files the runner hands a step, in a folder outside the repository.
pub(crate) struct StepFiles {
    dir: TempDir,
}

impl StepFiles {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }
    pub(crate) fn summary(&self) -> PathBuf {
        self.dir.path().join("step_summary.md")
    }
    pub(crate) fn output(&self) -> PathBuf {
        self.dir.path().join("output.txt")
    }
    /// The environment of a step in GitHub Actions.
    pub(crate) fn apply(&self, gate: Gate) -> Gate {
        gate.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", self.summary().to_str().unwrap())
            .env("GITHUB_OUTPUT", self.output().to_str().unwrap())
    }
    pub(crate) fn read_summary(&self) -> String {
        std::fs::read_to_string(self.summary()).unwrap_or_default()
    }
    pub(crate) fn read_output(&self) -> String {
        std::fs::read_to_string(self.output()).unwrap_or_default()
    }
}

/// A command as the runner sees it: name, properties (unescaped), message (unescaped).
#[derive(Debug, PartialEq)]
struct Command {
    name: String,
    properties: Vec<(String, String)>,
    data: String,
}

fn unescape(text: &str, property: bool) -> String {
    let mut text = text.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        text = text.replace("%3A", ":").replace("%2C", ",");
    }
    text.replace("%25", "%")
}

/// What actions/runner does with a step's standard output (`ActionCommand.TryParseV2` and the
/// `stop-commands` handling in `ActionCommandManager`): one command per line, the command info
/// ends at the first `::`, properties split on `,` then the first `=`; while stopped, only the
/// line `::TOKEN::` counts.
fn runner_commands(stdout: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut stopped: Option<String> = None;
    for line in stdout.lines() {
        let line = line.trim_start();
        if let Some(token) = &stopped {
            if line == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else {
            continue;
        };
        let Some(end) = rest.find("::") else {
            continue;
        };
        let (info, data) = (&rest[..end], &rest[end + 2..]);
        let (name, props) = info.split_once(' ').unwrap_or((info, ""));
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), unescape(v, true))
            })
            .collect();
        if name == "stop-commands" {
            stopped = Some(data.to_owned());
        }
        commands.push(Command {
            name: name.to_owned(),
            properties,
            data: unescape(data, false),
        });
    }
    commands
}

const TOKEN_FILTER: (&str, &str) = (r"gate-[0-9a-f]{32}", "[TOKEN]");

/// Names an attacker would pick: property separators, command delimiters, escapes, a line break.
const HOSTILE: [&str; 6] = [
    "a,line=99.gguf",
    "b::error title=x::y.gguf",
    "c%0A:d%25.gguf",
    "e\n::stop-commands::x.gguf",
    "::warning file=f::g.gguf",
    "h\r\n::add-mask::i.gguf",
];

fn hostile_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "ok.safetensors");
    for name in HOSTILE {
        // Real safetensors content under a `.gguf` name: one format-mismatch error each.
        repo.copy_fixture("formats/safetensors/model.safetensors", name);
    }
    repo.policy(
        "version: 1\nwaivers:\n  - rule: format-mismatch\n    path: nothing.bin\n    reason: test\n",
    );
    repo
}

#[test]
fn hostile_file_names_never_inject_workflow_commands() {
    let repo = hostile_repo();
    let steps = StepFiles::new();
    let out = steps.apply(repo.gate().arg("check")).run();
    out.code(1);
    let commands = runner_commands(&out.stdout);
    let annotations: Vec<&Command> = commands
        .iter()
        .filter(|c| !matches!(c.name.as_str(), "group" | "endgroup" | "stop-commands"))
        .collect();
    // Control characters in names are already spelled `\xNN` by discovery.
    let mut expected_files: Vec<String> = HOSTILE
        .iter()
        .map(|n| n.replace('\n', "\\x0a").replace('\r', "\\x0d"))
        .collect();
    expected_files.sort();
    let mut seen_files: Vec<String> = annotations
        .iter()
        .filter(|c| c.name == "error")
        .map(|c| {
            assert_eq!(c.properties.len(), 2, "{c:?}\n{out}");
            assert_eq!(c.properties[0].0, "file");
            assert_eq!(
                c.properties[1],
                ("title".into(), "gate: format-mismatch".into())
            );
            assert!(
                c.data
                    .starts_with("named `.gguf` but the content is safetensors\nhelp: ")
            );
            c.properties[0].1.clone()
        })
        .collect();
    seen_files.sort();
    assert_eq!(seen_files, expected_files, "{out}");
    // Errors first, then the one warning; nothing else became a command.
    assert_eq!(annotations.len(), HOSTILE.len() + 1, "{out}");
    let warning = annotations[HOSTILE.len()];
    assert_eq!(warning.name, "warning");
    assert_eq!(
        warning.properties,
        vec![
            ("file".to_owned(), ".gate.yml".to_owned()),
            ("line".to_owned(), "3".to_owned()),
            ("col".to_owned(), "5".to_owned()),
            ("title".to_owned(), "gate: waiver-unused".to_owned()),
        ]
    );
    let names: Vec<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        &names[HOSTILE.len() + 1..],
        ["group", "stop-commands", "endgroup"],
        "{out}"
    );
    insta::with_settings!({filters => vec![TOKEN_FILTER]}, {
        insta::assert_snapshot!("hostile_annotations", out.stdout);
    });
}

#[test]
fn summary_and_outputs_list_every_finding() {
    let repo = hostile_repo();
    repo.copy_fixture(
        "safetensors-invalid/offsets-gap.safetensors",
        "models/bad.safetensors",
    );
    repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "x|`<img src=y>@all.gguf",
    );
    let steps = StepFiles::new();
    std::fs::write(steps.summary(), "earlier step content\n").unwrap();
    let out = steps.apply(repo.gate().arg("check")).run();
    out.code(1);
    let summary = steps.read_summary();
    assert!(
        summary.starts_with("earlier step content\n"),
        "appended, not replaced"
    );
    assert_eq!(summary.matches("| error |").count(), HOSTILE.len() + 2);
    insta::assert_snapshot!("failing_summary", summary);
    insta::assert_snapshot!(steps.read_output(), @r"
    passed=false
    errors=8
    warnings=1
    sarif-file=
    ");
}

#[test]
fn a_passing_run_in_actions() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    let steps = StepFiles::new();
    let out = steps.apply(repo.gate().arg("check")).run();
    out.code(0);
    assert!(
        runner_commands(&out.stdout)
            .iter()
            .all(|c| matches!(c.name.as_str(), "group" | "endgroup" | "stop-commands")),
        "{out}"
    );
    assert!(out.stdout.contains("gate: passed"), "{out}");
    insta::assert_snapshot!(steps.read_summary(), @r"
    ## ✅ gate: passed

    0 errors, 0 warnings, 0 notes · 1 file checked, 1 artifact · policy `<built-in default>`

    No findings.
    ");
    insta::assert_snapshot!(steps.read_output(), @r"
    passed=true
    errors=0
    warnings=0
    sarif-file=
    ");
}

#[test]
fn annotations_point_into_a_checked_subfolder() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "sub/dir/x.gguf");
    let out = repo
        .gate()
        .args(["check", "sub", "--format", "github"])
        .run();
    out.code(1);
    let commands = runner_commands(&out.stdout);
    assert_eq!(commands[0].name, "error");
    assert_eq!(
        commands[0].properties[0],
        ("file".to_owned(), "sub/dir/x.gguf".to_owned()),
        "paths are relative to the repository, not to ROOT\n{out}"
    );
    // GITHUB_WORKSPACE, when set, is the repository root.
    let out = Gate::new()
        .args(["check", "--format", "github"])
        .arg(repo.path().join("sub"))
        .env("GITHUB_WORKSPACE", repo.path().to_str().unwrap())
        .run();
    let commands = runner_commands(&out.stdout);
    assert_eq!(
        commands[0].properties[0],
        ("file".to_owned(), "sub/dir/x.gguf".to_owned()),
        "{out}"
    );
}

#[test]
fn an_explicit_format_wins_and_more_than_ten_are_noted() {
    let repo = Repo::new();
    for i in 0..12 {
        repo.copy_fixture(
            "formats/safetensors/model.safetensors",
            format!("m{i:02}.gguf"),
        );
    }
    let steps = StepFiles::new();
    let out = steps
        .apply(repo.gate().args(["check", "--format", "json"]))
        .run();
    out.code(1);
    assert_eq!(out.json()["summary"]["errors"], 12);
    assert_eq!(
        steps.read_output(),
        "",
        "step files belong to --format github"
    );

    let out = steps.apply(repo.gate().arg("check")).run();
    let commands = runner_commands(&out.stdout);
    let notice = commands.iter().find(|c| c.name == "notice").unwrap();
    assert_eq!(
        notice.data,
        "2 more findings than GitHub shows as annotations (10 per level); the job summary lists all 12"
    );
}

#[test]
fn unwritable_step_files_warn_and_keep_the_verdict() {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "x.gguf");
    let out = repo
        .gate()
        .arg("check")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", "/nonexistent/gate/summary.md")
        .env("GITHUB_OUTPUT", "/nonexistent/gate/output")
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("cannot append to GITHUB_STEP_SUMMARY"),
        "{out}"
    );
    assert!(
        out.stderr.contains("cannot append to GITHUB_OUTPUT"),
        "{out}"
    );
}
