//! The rule registry: every rule gate can report, in one list. Each rule's documentation lives
//! beside the code that emits it; `gate explain` prints it from here.

use crate::finding::Rule;
use crate::judge::{datasets, files, formats, safetensors, waivers};

/// Every rule, sorted by id.
pub(crate) static ALL: &[&Rule] = &[
    &datasets::DATASET_HASH_MISMATCH,
    &datasets::DATASET_MISSING,
    &datasets::DATASET_UNLISTED_FILE,
    &files::FILE_UNREADABLE,
    &formats::FORMAT_MISMATCH,
    &formats::FORMAT_NOT_ALLOWED,
    &formats::FORMAT_UNSUPPORTED,
    &formats::LFS_POINTER_NOT_PULLED,
    &datasets::MANIFEST_INVALID,
    &safetensors::SAFETENSORS_INVALID,
    &files::SYMLINK_OUTSIDE_ROOT,
    &waivers::WAIVER_EXPIRED,
    &waivers::WAIVER_UNUSED,
];

/// A rule by id.
pub(crate) fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_sorted_kebab_case_and_documented() {
        let mut seen = BTreeSet::new();
        for rule in ALL {
            assert!(seen.insert(rule.id), "rule id {} appears twice", rule.id);
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "rule id {} is not kebab-case",
                rule.id
            );
            assert!(!rule.summary.is_empty(), "{} has no summary", rule.id);
            for section in ["## What it checks", "## Why", "## How to fix"] {
                assert!(
                    rule.docs.contains(section),
                    "{} docs lack `{section}`",
                    rule.id
                );
            }
        }
        let ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "keep ALL sorted by id");
    }
}
