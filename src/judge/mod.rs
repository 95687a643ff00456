//! The judge: turns inspection facts and discovery obstacles into findings under the policy,
//! applies per-rule severities and waivers. It does no I/O: everything arrives as values.

pub(crate) mod datasets;
pub(crate) mod files;
pub(crate) mod formats;
pub(crate) mod safetensors;
pub(crate) mod waivers;

use crate::discover::Obstacle;
use crate::finding::Finding;
use crate::inspect::Inspection;
use crate::inspect::datasets::DatasetFacts;
use crate::policy::Policy;
use jiff::civil::Date;

/// The judge's conclusion.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    pub(crate) findings: Vec<Finding>,
    pub(crate) waived: usize,
}

/// Judges everything inspected and everything discovery could not inspect, as of `today`.
pub(crate) fn judge(
    policy: &Policy,
    inspections: &[Inspection],
    obstacles: &[Obstacle],
    dataset_facts: &DatasetFacts,
    today: Date,
) -> Verdict {
    let mut raw = Vec::new();
    for inspection in inspections {
        formats::judge(policy, inspection, &mut raw);
        safetensors::judge(inspection, &mut raw);
        files::judge_inspection(inspection, &mut raw);
    }
    for obstacle in obstacles {
        files::judge_obstacle(obstacle, &mut raw);
    }
    datasets::judge(policy, dataset_facts, &mut raw);
    let mut verdict = waivers::apply(policy, raw, inspections, today);
    verdict.findings = verdict
        .findings
        .into_iter()
        .filter_map(|mut finding| {
            crate::rules::find(finding.rule)?;
            // A finding starts at its rule's default severity unless the policy chose one for
            // it (`datasets.unlisted`); a `severity:` override beats both.
            finding.severity = policy.severity_of(finding.rule, finding.severity)?;
            Some(finding)
        })
        .collect();
    verdict
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    verdict
}
