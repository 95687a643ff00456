//! Human output: findings grouped by file, most severe first within a file, then a one-line
//! verdict. Styled with ANSI; the caller strips styles when not writing to a colour terminal.

use super::Report;
use crate::finding::{Finding, Severity};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
const PATH: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const PASS: Style = AnsiColor::Green.on_default().bold();

fn style(severity: Severity) -> Style {
    match severity {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Note => NOTE,
    }
}

pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut index = 0;
    while index < report.findings.len() {
        let path = report.findings[index].path.as_str();
        let end = report.findings[index..]
            .iter()
            .position(|f| f.path != path)
            .map_or(report.findings.len(), |n| index + n);
        let group = &report.findings[index..end];
        let artifact = report.artifacts.iter().find(|a| a.path == path);
        let _ = write!(out, "{PATH}{path}{PATH:#}");
        if let Some(artifact) = artifact {
            let _ = write!(
                out,
                " {DIM}({}, {}){DIM:#}",
                artifact.format,
                size(artifact.size)
            );
        }
        out.push('\n');
        let mut ordered: Vec<&Finding> = group.iter().collect();
        ordered.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for finding in ordered {
            let s = style(finding.severity);
            let _ = writeln!(
                out,
                "  {s}{}[{}]{s:#} {}",
                finding.severity, finding.rule, finding.message
            );
            if let Some(place) = place(finding) {
                let _ = writeln!(out, "    {DIM}at{DIM:#} {place}");
            }
            if !finding.help.is_empty() {
                let _ = writeln!(out, "    {DIM}help:{DIM:#} {}", finding.help);
            }
        }
        out.push('\n');
        index = end;
    }
    out.push_str(&verdict(report));
    out.push('\n');
    out
}

fn place(finding: &Finding) -> Option<String> {
    match (&finding.member, finding.offset, finding.line) {
        (_, _, Some(line)) => Some(format!(
            "{}:{line}:{}",
            finding.path,
            finding.column.unwrap_or(1)
        )),
        (Some(member), Some(offset), None) => Some(format!("member {member}, byte {offset}")),
        (Some(member), None, None) => Some(format!("member {member}")),
        (None, Some(offset), None) => Some(format!("byte {offset}")),
        (None, None, None) => None,
    }
}

fn verdict(report: &Report) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let notes = report.count(Severity::Note);
    let mut counts = vec![plural(errors, "error"), plural(warnings, "warning")];
    if notes > 0 {
        counts.push(plural(notes, "note"));
    }
    if report.waived > 0 {
        counts.push(format!("{} waived", report.waived));
    }
    let context = format!(
        "{} checked, {} ({}), policy {}",
        plural(report.files, "file"),
        plural(report.artifacts.len(), "artifact"),
        counts.join(", "),
        report.policy
    );
    if report.passed() {
        format!("{PASS}gate: passed{PASS:#} — {context}")
    } else {
        let at = if report.fail_on == Severity::Warning {
            " (--fail-on warning)"
        } else {
            ""
        };
        format!("{ERROR}gate: failed{ERROR:#}{at} — {context}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
