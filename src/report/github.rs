//! GitHub Actions output: workflow-command annotations on standard output, the Markdown job
//! summary (`$GITHUB_STEP_SUMMARY`) and the step outputs (`$GITHUB_OUTPUT`).
//!
//! File names come from the pull request, so from whoever opened it. Every workflow-command
//! property and message is escaped exactly as the runner unescapes it (actions/toolkit
//! `escapeProperty` / `escapeData`), so no name can end a command early, add a property or start a
//! new command line. Hand-rolled: no crate implements the runner's escaping, and it is four
//! replacements.

use super::Report;
use crate::discover;
use crate::finding::{Finding, Severity};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The runner turns at most this many annotations of each level into visible annotations.
const VISIBLE_PER_LEVEL: usize = 10;
/// The runner refuses a step summary over 1 MiB; stay well below it.
pub(crate) const SUMMARY_BUDGET: usize = 900 * 1024;

/// Escapes a workflow-command message (`%` first, so nothing is escaped twice).
pub(crate) fn escape_data(text: &str) -> String {
    scrub_controls(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value: as data, plus the `:` and `,` that would end the
/// command or start another property.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Replaces control characters other than line breaks and tabs (ESC, NUL, …): they are no command
/// syntax, but they garble the log.
fn scrub_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// A path as the repository sees it: `prefix` (ROOT relative to the workspace, may be empty)
/// joined with the finding's path relative to ROOT.
pub(crate) fn repo_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{}/{path}", prefix.trim_end_matches('/'))
    }
}

/// Findings in the order annotations and tables use: errors first, then warnings, then notes;
/// the report's order (path, position, rule) within a level.
pub(crate) fn by_severity(report: &Report) -> Vec<&Finding> {
    let mut ordered: Vec<&Finding> = report.findings.iter().collect();
    ordered.sort_by_key(|f| std::cmp::Reverse(f.severity));
    ordered
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Where inside a file a finding is, for messages (`member data.pkl, byte 57`).
pub(crate) fn inner_place(finding: &Finding) -> Option<String> {
    match (&finding.member, finding.offset) {
        (Some(member), Some(offset)) => Some(format!("member {member}, byte {offset}")),
        (Some(member), None) => Some(format!("member {member}")),
        (None, Some(offset)) => Some(format!("byte {offset}")),
        (None, None) => None,
    }
}

/// The message with its inner place and help, as one text (may span lines).
pub(crate) fn full_message(finding: &Finding) -> String {
    let mut text = finding.message.clone();
    if let Some(place) = inner_place(finding) {
        let _ = write!(text, " ({place})");
    }
    if !finding.help.is_empty() {
        let _ = write!(text, "\nhelp: {}", finding.help);
    }
    text
}

/// One `::error file=…,line=…,col=…,title=…::message` line.
fn annotation(finding: &Finding, prefix: &str) -> String {
    let mut properties = vec![format!(
        "file={}",
        escape_property(&repo_path(prefix, &finding.path))
    )];
    if let Some(line) = finding.line {
        properties.push(format!("line={line}"));
        if let Some(column) = finding.column {
            properties.push(format!("col={column}"));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("gate: {}", finding.rule))
    ));
    format!(
        "::{} {}::{}\n",
        command(finding.severity),
        properties.join(","),
        escape_data(&full_message(finding))
    )
}

/// A token nobody can guess, for `::stop-commands::`. Hand-rolled to avoid a crate: std's
/// `RandomState` keys SipHash with bytes from the operating system's random source.
pub(crate) fn random_token() -> String {
    let mut token = String::from("gate-");
    for salt in 0..2u8 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(salt);
        let _ = write!(token, "{:016x}", hasher.finish());
    }
    token
}

/// Standard output for `--format github`: every annotation (errors first: the runner shows only
/// the first 10 of each level), a notice when some are beyond that, the human report inside a
/// collapsed group with workflow commands stopped, and the verdict.
pub(crate) fn render_annotations(report: &Report, prefix: &str, human: &str) -> String {
    let mut out = String::new();
    let ordered = by_severity(report);
    for finding in &ordered {
        out.push_str(&annotation(finding, prefix));
    }
    let hidden: usize = [Severity::Error, Severity::Warning, Severity::Note]
        .into_iter()
        .map(|s| report.count(s).saturating_sub(VISIBLE_PER_LEVEL))
        .sum();
    if hidden > 0 {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property("gate"),
            escape_data(&format!(
                "{hidden} more findings than GitHub shows as annotations (10 per level); the job summary lists all {}",
                report.findings.len()
            ))
        ));
    }
    // The human report repeats file names at line starts: a name beginning with `::` must not
    // become a command, so the runner is told to ignore commands until a token nobody can guess.
    let token = random_token();
    let _ = writeln!(out, "::group::gate report");
    let _ = writeln!(out, "::stop-commands::{token}");
    for line in human.lines() {
        let _ = writeln!(out, "{}", scrub_controls(line));
    }
    let _ = writeln!(out, "::{token}::");
    let _ = writeln!(out, "::endgroup::");
    out
}

/// The characters that start inline Markdown in a table cell: code, emphasis, links and images,
/// HTML and entities, strikethrough, mentions, emoji and autolinks (`:`), math (`$`), the cell
/// separator. Block syntax (`#`, `-`, `>` at a line start) cannot occur inside a cell.
const MARKDOWN_ACTIVE: &str = "\\`*_[]<>!|~&@:$";

/// Markdown text outside code spans: every character in [`MARKDOWN_ACTIVE`] is backslash-escaped
/// (CommonMark allows escaping any ASCII punctuation), so no tag, link, emphasis, table pipe or
/// mention can form; line breaks become spaces.
pub(crate) fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if MARKDOWN_ACTIVE.contains(c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// A Markdown code span inside a table cell: fenced with more backticks than any run inside it,
/// `|` escaped for the table (GFM unescapes it inside the span), line breaks as spaces.
pub(crate) fn md_code(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", clean.replace('|', "\\|"))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The headline and counts shared by the job summary and the PR comment.
fn headline(report: &Report) -> String {
    let verdict = if report.passed() {
        "✅ gate: passed"
    } else {
        "❌ gate: failed"
    };
    let mut counts = vec![
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Note), "note"),
    ];
    if report.waived > 0 {
        counts.push(format!("{} waived", report.waived));
    }
    format!(
        "## {verdict}\n\n{} · {} checked, {} · policy {}\n",
        counts.join(", "),
        plural(report.files, "file"),
        plural(report.artifacts.len(), "artifact"),
        md_code(&report.policy)
    )
}

fn row(finding: &Finding, prefix: &str) -> String {
    let mut place = repo_path(prefix, &finding.path);
    if let Some(line) = finding.line {
        let _ = write!(place, ":{line}");
        if let Some(column) = finding.column {
            let _ = write!(place, ":{column}");
        }
    }
    let mut location = md_code(&place);
    if let Some(inner) = inner_place(finding) {
        let _ = write!(location, " ({})", md_text(&inner));
    }
    let mut message = md_text(&finding.message);
    if !finding.help.is_empty() {
        let _ = write!(message, "<br>help: {}", md_text(&finding.help));
    }
    format!(
        "| {} | {} | {location} | {message} |\n",
        finding.severity,
        md_code(finding.rule)
    )
}

/// The Markdown report (job summary, PR comment): a headline and a table of every finding, cut
/// with a note so the whole stays within `budget` bytes.
pub(crate) fn render_summary(report: &Report, prefix: &str, budget: usize) -> String {
    let mut out = headline(report);
    if report.findings.is_empty() {
        out.push_str("\nNo findings.\n");
        return out;
    }
    out.push_str("\n| Severity | Rule | Location | Message |\n| --- | --- | --- | --- |\n");
    let ordered = by_severity(report);
    // Room for the truncation note, whose length barely varies.
    let reserve = 400;
    let mut shown = 0;
    for finding in &ordered {
        let line = row(finding, prefix);
        if out.len() + line.len() + reserve > budget {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    if shown < ordered.len() {
        let _ = write!(
            out,
            "\n> **{} more findings are not listed here**: this report is limited to {} KiB. \
             The SARIF file (`--sarif`) and `gate check --format json` list every finding.\n",
            ordered.len() - shown,
            budget / 1024
        );
    }
    out
}

/// The step outputs, one `name=value` line each. Every value is a single line by construction;
/// a SARIF path with a line break is left out (the caller warns).
pub(crate) fn render_outputs(report: &Report, sarif_file: Option<&str>) -> String {
    let sarif = sarif_file
        .filter(|p| !p.contains(['\n', '\r']))
        .unwrap_or_default();
    format!(
        "passed={}\nerrors={}\nwarnings={}\nsarif-file={sarif}\n",
        report.passed(),
        report.count(Severity::Error),
        report.count(Severity::Warning)
    )
}

/// ROOT as a path relative to the repository (`GITHUB_WORKSPACE`, else the working folder), with
/// `/`; empty when ROOT is the repository itself; absolute when ROOT lies outside it.
pub(crate) fn workspace_prefix(root: &Path) -> String {
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .filter(|w| !w.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .and_then(|w| std::fs::canonicalize(w).ok());
    let Ok(root) = std::fs::canonicalize(root) else {
        return String::new();
    };
    match workspace.as_deref().map(|w| root.strip_prefix(w)) {
        Some(Ok(relative)) => discover::display_path(relative),
        _ => discover::escaped(root.as_os_str()),
    }
}

/// Appends the job summary and the step outputs to the files the runner names. A failure is a
/// warning: the verdict never depends on reporting.
pub(crate) fn write_step_files(report: &Report, prefix: &str, sarif_file: Option<&str>) {
    if sarif_file.is_some_and(|p| p.contains(['\n', '\r'])) {
        tracing::warn!("the SARIF path contains a line break; output `sarif-file` is left empty");
    }
    let files = [
        (
            "GITHUB_STEP_SUMMARY",
            render_summary(report, prefix, SUMMARY_BUDGET),
        ),
        ("GITHUB_OUTPUT", render_outputs(report, sarif_file)),
    ];
    for (variable, text) in files {
        let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) else {
            continue;
        };
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(error) = appended {
            tracing::warn!(
                "cannot append to {variable} ({}): {error}",
                Path::new(&path).display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::rules;

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            root: ".".to_owned(),
            policy: ".gate.yml".to_owned(),
            fail_on: Severity::Error,
            files: findings.len(),
            artifacts: Vec::new(),
            findings,
            waived: 0,
        }
    }

    fn finding(path: &str, severity: Severity) -> Finding {
        let mut f = rules::ALL[0].at(path, "a message");
        f.severity = severity;
        f
    }

    /// The runner's parser (actions/runner `ActionCommand.TryParseV2`), re-implemented: command
    /// info ends at the first `::`, properties split on `,` then the first `=`, then unescaped.
    type Parsed = (String, Vec<(String, String)>, String);

    fn parse(line: &str) -> Option<Parsed> {
        let rest = line.trim_start().strip_prefix("::")?;
        let end = rest.find("::")?;
        let (info, data) = (&rest[..end], &rest[end + 2..]);
        let (name, props) = info.split_once(' ').unwrap_or((info, ""));
        let unescape = |s: &str| {
            s.replace("%0D", "\r")
                .replace("%0A", "\n")
                .replace("%3A", ":")
                .replace("%2C", ",")
                .replace("%25", "%")
        };
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), unescape(v))
            })
            .collect();
        Some((name.to_owned(), properties, unescape(data)))
    }

    #[test]
    fn escaping_matches_the_toolkit() {
        assert_eq!(escape_data("100% a\r\nb:c,d"), "100%25 a%0D%0Ab:c,d");
        assert_eq!(
            escape_property("100% a\r\nb:c,d"),
            "100%25 a%0D%0Ab%3Ac%2Cd"
        );
        assert_eq!(escape_property("%3A"), "%253A");
        assert_eq!(escape_data("\u{1b}[31m\0"), "\u{fffd}[31m\u{fffd}");
    }

    #[test]
    fn hostile_names_round_trip_through_the_runner_parser() {
        let names = [
            "models/a,line=99.bin",
            "b\n::stop-commands::x.yml",
            "c::error title=x::pwned",
            "d:1:2,col=3%0A%25",
            "e\r\n::add-mask::secret",
            "f%2C,g",
        ];
        for name in names {
            let mut f = finding(name, Severity::Error);
            f.message = format!("bad {name}\n::set-output name=x::y");
            f.help = "help: a,b:c".to_owned();
            let report = report(vec![f]);
            let out = render_annotations(&report, "", "");
            let first = out.lines().next().unwrap();
            assert_eq!(out.lines().filter(|l| l.starts_with("::error")).count(), 1);
            let (command, properties, data) = parse(first).unwrap();
            assert_eq!(command, "error");
            assert_eq!(
                properties,
                vec![
                    ("file".to_owned(), name.to_owned()),
                    ("title".to_owned(), format!("gate: {}", rules::ALL[0].id)),
                ],
                "{first}"
            );
            assert_eq!(
                data,
                format!("bad {name}\n::set-output name=x::y\nhelp: help: a,b:c")
            );
        }
    }

    #[test]
    fn errors_come_first_and_overflow_is_noted() {
        let mut findings: Vec<Finding> = (0..12)
            .map(|i| finding(&format!("w{i:02}"), Severity::Warning))
            .collect();
        findings.push(finding("z-error", Severity::Error));
        let out = render_annotations(&report(findings), "sub", "");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("::error file=sub/z-error,"), "{out}");
        assert!(lines[1].starts_with("::warning file=sub/w00,"), "{out}");
        assert!(lines[13].starts_with("::notice title=gate::2 more findings"));
    }

    #[test]
    fn human_text_cannot_issue_commands() {
        let out = render_annotations(&report(Vec::new()), "", "::error::x\nplain");
        let lines: Vec<&str> = out.lines().collect();
        let token = lines[1].strip_prefix("::stop-commands::").unwrap();
        assert!(token.len() > 30);
        assert_eq!(lines[2], "::error::x");
        assert_eq!(lines[4], format!("::{token}::"));
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn markdown_cells_are_inert() {
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(md_code("`x"), "`` `x ``");
        assert_eq!(
            md_text("<img src=x> @all | *y*\n"),
            "\\<img src=x\\> \\@all \\| \\*y\\* "
        );
    }

    #[test]
    fn summary_is_cut_within_budget() {
        let findings: Vec<Finding> = (0..5000)
            .map(|i| finding(&format!("models/{i:05}.pt"), Severity::Error))
            .collect();
        let report = report(findings);
        let text = render_summary(&report, "", 100 * 1024);
        assert!(text.len() <= 100 * 1024, "{}", text.len());
        assert!(text.contains("more findings are not listed here"));
        let full = render_summary(&report, "", SUMMARY_BUDGET);
        assert!(!full.contains("not listed"));
        assert_eq!(full.matches("| error |").count(), 5000);
    }

    #[test]
    fn outputs_are_single_lines() {
        let r = report(vec![finding("a", Severity::Warning)]);
        assert_eq!(
            render_outputs(&r, Some("out.sarif")),
            "passed=true\nerrors=0\nwarnings=1\nsarif-file=out.sarif\n"
        );
        assert_eq!(
            render_outputs(&r, Some("a\nerrors=0")).lines().count(),
            4,
            "a path with a line break never adds an output"
        );
    }
}
