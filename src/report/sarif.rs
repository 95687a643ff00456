//! SARIF 2.1.0 output for GitHub code scanning: every registered rule with its documentation as
//! help and a `security-severity`, one result per finding with a relative, percent-encoded URI, a
//! line region where the finding sits on a text line (else a file-level location), and a fingerprint that stays the same
//! between runs. A hand-written model of the few objects used (as zizmor and cargo-deny do): the
//! full SARIF crates add a large dependency for fields gate never writes.

use super::Report;
use super::github::{by_severity, full_message, repo_path};
use crate::finding::{Finding, Rule, Severity};
use crate::rules;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// GitHub caps descriptions at 1024 characters.
const MAX_DESCRIPTION: usize = 1024;

/// Everything but unreserved characters and `/` is percent-encoded in a URI path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub ranks security alerts by this score: > 9 critical, 7–8.9 high, 4–6.9 medium, else low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The first paragraph of the rule's "What it checks" section, else its summary.
fn full_description(rule: &Rule) -> String {
    let paragraph = rule
        .docs
        .split("## What it checks")
        .nth(1)
        .and_then(|rest| {
            rest.split("\n\n")
                .map(str::trim)
                .find(|p| !p.is_empty() && !p.starts_with('#'))
        })
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| rule.summary.to_owned());
    truncate(&paragraph, MAX_DESCRIPTION)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn rule_descriptor(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": { "text": truncate(&capitalised(rule.summary), MAX_DESCRIPTION) },
        "fullDescription": { "text": full_description(rule) },
        "help": {
            "text": rule.docs,
            "markdown": format!("{}\n\nRun `gate explain {}` for this text locally.", rule.docs, rule.id),
        },
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": {
            "tags": ["security", "supply-chain"],
            "precision": "high",
            "security-severity": security_severity(rule.default_severity),
        }
    })
}

/// The URI of a path relative to the repository root (absolute paths, from `gate scan`, stay
/// absolute references).
pub(crate) fn uri(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// A digest of what the finding is about (rule, path, member, evidence, and the offset of a
/// binary finding), without its message text or line number, so rewording keeps the alert.
fn fingerprint(finding: &Finding, path: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        finding.rule,
        path,
        finding.member.as_deref().unwrap_or(""),
        &serde_json::to_string(&finding.evidence).unwrap_or_default(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    if finding.line.is_none() {
        hasher.update(finding.offset.unwrap_or(0).to_le_bytes());
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn result(
    finding: &Finding,
    prefix: &str,
    rule_index: Option<usize>,
    fingerprint: &str,
    occurrence: usize,
) -> Value {
    let path = repo_path(prefix, &finding.path);
    // A finding about a whole (binary) file has no region: upload-sarif then leaves it alone
    // instead of reading the whole, possibly multi-GB, file to hash a "line" of it.
    let mut physical = json!({ "artifactLocation": { "uri": uri(&path) } });
    if let Some(line) = finding.line.filter(|l| *l > 0) {
        physical["region"] = match finding.column.filter(|c| *c > 0) {
            Some(column) => json!({ "startLine": line, "startColumn": column }),
            None => json!({ "startLine": line }),
        };
    }
    let physical_has_no_region = physical.get("region").is_none();
    let mut properties = serde_json::Map::new();
    if let Some(member) = &finding.member {
        properties.insert("member".to_owned(), json!(member));
    }
    if let Some(offset) = finding.offset {
        properties.insert("offset".to_owned(), json!(offset));
    }
    if !finding.evidence.is_empty() {
        properties.insert("evidence".to_owned(), json!(finding.evidence));
    }
    let mut value = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        "kind": "fail",
        "message": { "text": full_message(finding) },
        "locations": [ { "physicalLocation": physical } ],
        "partialFingerprints": { "gate/v1": format!("{fingerprint}:{occurrence}") },
    });
    // Code scanning matches alerts by `primaryLocationLineHash`. upload-sarif computes it from the
    // text line for results with a region (and warns if one given differs), so gate supplies it
    // only for file-level results, which upload-sarif skips.
    if physical_has_no_region {
        value["partialFingerprints"]["primaryLocationLineHash"] =
            json!(format!("{fingerprint}:{occurrence}"));
    }
    if let Some(index) = rule_index {
        value["ruleIndex"] = json!(index);
    }
    if !properties.is_empty() {
        value["properties"] = Value::Object(properties);
    }
    value
}

/// The SARIF log, pretty-printed. `prefix` is ROOT relative to the repository root.
pub(crate) fn render(report: &Report, prefix: &str) -> Result<String, serde_json::Error> {
    let rules: Vec<Value> = rules::ALL.iter().map(|r| rule_descriptor(r)).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let results: Vec<Value> = by_severity(report)
        .into_iter()
        .map(|finding| {
            let path = repo_path(prefix, &finding.path);
            let print = fingerprint(finding, &path);
            let occurrence = seen.entry(print.clone()).or_insert(0);
            *occurrence += 1;
            let index = rules::ALL.iter().position(|r| r.id == finding.rule);
            result(finding, prefix, index, &print, *occurrence)
        })
        .collect();
    // No `automationDetails`: upload-sarif only fills it from its `category` input when absent.
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "gate",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": { "passed": report.passed(), "policy": report.policy },
        }]
    });
    let mut text = serde_json::to_string_pretty(&log)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn uris_are_percent_encoded_paths() {
        assert_eq!(uri("models/a b%c#d?.pt"), "models/a%20b%25c%23d%3F.pt");
        assert_eq!(uri("dé/ü"), "d%C3%A9/%C3%BC");
        assert_eq!(uri("a\\x0Ab"), "a%5Cx0Ab");
    }

    #[test]
    fn every_rule_has_short_descriptions() {
        for rule in rules::ALL {
            let d = rule_descriptor(rule);
            let full = d["fullDescription"]["text"].as_str().unwrap();
            assert!(!full.is_empty() && full.chars().count() <= MAX_DESCRIPTION);
        }
    }
}
