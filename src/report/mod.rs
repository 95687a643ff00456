//! Reporting: every output format renders the same [`Report`]. Reporters never change the verdict.

pub(crate) mod github;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod pull_request;
pub(crate) mod sarif;

use crate::finding::{Finding, Severity};
use crate::format::Format;
use crate::inspect::{Inspection, hex};
use serde::Serialize;

/// What a run concluded, ready to render.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) root: String,
    pub(crate) policy: String,
    pub(crate) fail_on: Severity,
    pub(crate) files: usize,
    pub(crate) artifacts: Vec<Artifact>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) waived: usize,
}

/// A file whose format gate identified.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Artifact {
    pub(crate) path: String,
    pub(crate) format: Format,
    pub(crate) size: u64,
    pub(crate) sha256: Option<String>,
}

impl Artifact {
    pub(crate) fn from_inspection(inspection: &Inspection) -> Option<Self> {
        Some(Self {
            path: inspection.display.clone(),
            format: inspection.identity.format?,
            size: inspection.size,
            sha256: inspection.sha256.map(|d| hex(&d)),
        })
    }
}

impl Report {
    pub(crate) fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Passed when no finding reaches `fail_on`.
    pub(crate) fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity >= self.fail_on)
    }
}
