//! JSON output, version 1 (SPEC "JSON output"): one document, fields in a fixed order, findings
//! and artifacts sorted, nothing that varies between runs.

use super::{Artifact, Report};
use crate::finding::{Finding, Severity};
use serde::Serialize;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    root: &'a str,
    policy: &'a str,
    passed: bool,
    summary: Summary,
    findings: &'a [Finding],
    artifacts: &'a [Artifact],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    artifacts: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    waived: usize,
}

pub(crate) fn render(report: &Report) -> Result<String, serde_json::Error> {
    let document = Document {
        version: 1,
        tool: Tool {
            name: "gate",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &report.root,
        policy: &report.policy,
        passed: report.passed(),
        summary: Summary {
            files: report.files,
            artifacts: report.artifacts.len(),
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            notes: report.count(Severity::Note),
            waived: report.waived,
        },
        findings: &report.findings,
        artifacts: &report.artifacts,
    };
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    Ok(text)
}
