//! The judge: turns inspection facts and discovery obstacles into findings under the policy,
//! applies per-rule severities and waivers. It does no I/O: everything arrives as values.

pub(crate) mod datasets;
pub(crate) mod deps;
pub(crate) mod files;
pub(crate) mod formats;
pub(crate) mod models;
pub(crate) mod pickle;
pub(crate) mod presets;
pub(crate) mod remote_code;
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
    dependencies: &crate::deps::Facts,
    dataset_facts: &DatasetFacts,
    today: Date,
) -> Verdict {
    let mut raw = Vec::new();
    deps::judge(policy, dependencies, &mut raw);
    for inspection in inspections {
        formats::judge(policy, inspection, &mut raw);
        safetensors::judge(inspection, &mut raw);
        pickle::judge(policy, inspection, &mut raw);
        models::judge(inspection, &mut raw);
        files::judge_inspection(inspection, &mut raw);
    }
    remote_code::judge(policy, inspections, &mut raw);
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
            // A rule may set a finding's severity itself (remote-code follows its policy key,
            // `datasets.unlisted` its own); a `severity:` override beats both.
            finding.severity = policy.severity_of(finding.rule, finding.severity)?;
            Some(finding)
        })
        .collect();
    verdict
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    verdict
}
