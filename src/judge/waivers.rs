//! Waivers: accepted findings, bound to a rule, a path (a gitignore-style glob) and optionally the
//! file's SHA-256, with a reason and an expiry. Expired and unused waivers are findings themselves.

use super::Verdict;
use crate::finding::{Finding, Rule, Severity};
use crate::inspect::{Inspection, hex};
use crate::policy::{Policy, Waiver};
use jiff::civil::Date;
use std::collections::BTreeMap;

pub(crate) static WAIVER_EXPIRED: Rule = Rule {
    id: "waiver-expired",
    summary: "a waiver in the policy is past its expiry date and no longer applies",
    default_severity: Severity::Warning,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Waivers whose `expires` date is before today (UTC). An expired waiver stops applying: the finding
it covered is reported again.

## Why
Accepting a risk is a decision with a shelf life; expiry makes the team decide again.

## How to fix
Fix what the waiver covered and delete the waiver, or review it and move `expires` forward.",
};

pub(crate) static WAIVER_UNUSED: Rule = Rule {
    id: "waiver-unused",
    summary: "a waiver in the policy matched no finding",
    default_severity: Severity::Warning,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Waivers that covered no finding in this run: the file is gone, was fixed, its content changed (a
waiver with `sha256` covers only that exact content), or the path has a typo.

## Why
Stale waivers are silent permissions: a later file at the same path would be accepted unreviewed.

## How to fix
Delete the waiver, or correct its `rule`, `path` or `sha256`.",
};

pub(super) fn apply(
    policy: &Policy,
    findings: Vec<Finding>,
    inspections: &[Inspection],
    today: Date,
) -> Verdict {
    let hashes: BTreeMap<&str, [u8; 32]> = inspections
        .iter()
        .filter_map(|i| i.sha256.map(|h| (i.display.as_str(), h)))
        .collect();
    let active: Vec<bool> = policy
        .waivers
        .iter()
        .map(|w| w.expires.is_none_or(|d| d >= today))
        .collect();
    let mut used = vec![false; policy.waivers.len()];
    let mut verdict = Verdict::default();
    for finding in findings {
        let waiver = policy.waivers.iter().enumerate().find(|(i, waiver)| {
            active[*i] && covers(waiver, &finding, hashes.get(finding.path.as_str()))
        });
        match waiver {
            Some((index, _)) => {
                used[index] = true;
                verdict.waived += 1;
            }
            None => verdict.findings.push(finding),
        }
    }
    let policy_path = policy
        .path_in_root
        .clone()
        .unwrap_or_else(|| policy.name.clone());
    for (index, waiver) in policy.waivers.iter().enumerate() {
        let finding = if !active[index] {
            let expired = waiver.expires.map(|d| d.to_string()).unwrap_or_default();
            WAIVER_EXPIRED
                .at(&policy_path, format!("waiver for {} on `{}` expired on {expired}", waiver.rule, waiver.path))
                .evidence("expired", expired)
                .help("fix what it covered and delete the waiver, or review it and move `expires` forward")
        } else if !used[index] {
            WAIVER_UNUSED
                .at(
                    &policy_path,
                    format!(
                        "waiver for {} on `{}` matched no finding",
                        waiver.rule, waiver.path
                    ),
                )
                .help("delete the waiver, or correct its rule, path or sha256")
        } else {
            continue;
        };
        verdict.findings.push(
            finding
                .line_column(waiver.span.line, waiver.span.column)
                .evidence("rule", waiver.rule)
                .evidence("path", waiver.path.as_str())
                .evidence("reason", waiver.reason.as_str()),
        );
    }
    verdict
}

fn covers(waiver: &Waiver, finding: &Finding, sha256: Option<&[u8; 32]>) -> bool {
    if waiver.rule != finding.rule || !waiver.matches_path(&finding.path) {
        return false;
    }
    match (&waiver.sha256, sha256) {
        (None, _) => true,
        (Some(expected), Some(actual)) => expected == actual,
        (Some(expected), None) => {
            tracing::debug!(path = %finding.path, expected = %hex(expected), "waiver needs a hash that was not computed");
            false
        }
    }
}
