//! Findings: what the judge concludes about a file, in the one shape every reporter renders.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How bad a finding is. `Error` fails the run by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One conclusion about one place. Field order is the JSON v1 order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Finding {
    pub(crate) rule: &'static str,
    pub(crate) severity: Severity,
    pub(crate) path: String,
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
    pub(crate) member: Option<String>,
    pub(crate) offset: Option<u64>,
    pub(crate) message: String,
    pub(crate) evidence: BTreeMap<String, serde_json::Value>,
    pub(crate) help: String,
}

impl Finding {
    /// The order reports use: path, then offset or line, then rule.
    pub(crate) fn sort_key(&self) -> (&str, u64, u64, &str, &str) {
        (
            self.path.as_str(),
            self.offset.unwrap_or(0),
            u64::from(self.line.unwrap_or(0)),
            self.rule,
            self.message.as_str(),
        )
    }
}

/// A rule: its stable id, what it means, and its documentation (shown by `gate explain`).
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) id: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) default_severity: Severity,
    /// Markdown: what it checks, why it matters, how to fix, an example.
    pub(crate) docs: &'static str,
    /// Waivers for this rule must name the file's sha256 (known-dangerous content can only be
    /// accepted for one exact file, never for a path whose content may change).
    pub(crate) waiver_needs_sha256: bool,
}

impl Rule {
    /// Starts a finding of this rule at `path`; the judge fills in the rest.
    pub(crate) fn at(&'static self, path: &str, message: impl Into<String>) -> Finding {
        Finding {
            rule: self.id,
            severity: self.default_severity,
            path: path.to_owned(),
            line: None,
            column: None,
            member: None,
            offset: None,
            message: message.into(),
            evidence: BTreeMap::new(),
            help: String::new(),
        }
    }
}

impl Finding {
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }
    pub(crate) fn member(mut self, member: Option<String>) -> Self {
        self.member = member;
        self
    }
    pub(crate) fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    pub(crate) fn line_column(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
    pub(crate) fn evidence(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.insert(key.to_owned(), value.into());
        self
    }
}
