//! The rule registry: every rule gate can report, in one list. Each rule's documentation lives
//! beside the code that emits it; `gate explain` prints it from here.

use crate::finding::Rule;
use crate::judge::{
    datasets, deps, files, formats, models, pickle, remote_code, safetensors, waivers,
};

/// Every rule, sorted by id.
pub(crate) static ALL: &[&Rule] = &[
    &pickle::ARCHIVE_LIMIT,
    &pickle::ARCHIVE_UNREADABLE,
    &datasets::DATASET_HASH_MISMATCH,
    &datasets::DATASET_MISSING,
    &datasets::DATASET_UNLISTED_FILE,
    &deps::DEPENDENCY_CONFUSION,
    &files::FILE_UNREADABLE,
    &formats::FORMAT_MISMATCH,
    &formats::FORMAT_NOT_ALLOWED,
    &formats::FORMAT_UNSUPPORTED,
    &models::GGUF_TEMPLATE_UNSAFE,
    &deps::GIT_REF_UNPINNED,
    &deps::INCLUDE_NOT_FOUND,
    &deps::INDEX_NOT_ALLOWED,
    &deps::INSECURE_INDEX,
    &models::KERAS_UNSAFE_LAYER,
    &formats::LFS_POINTER_NOT_PULLED,
    &datasets::MANIFEST_INVALID,
    &deps::MISSING_HASH,
    &deps::MIXED_INDEXES,
    &models::MODEL_INVALID,
    &models::ONNX_CUSTOM_OP,
    &models::ONNX_EXTERNAL_DATA,
    &pickle::PICKLE_DANGEROUS_GLOBAL,
    &pickle::PICKLE_GLOBAL_NOT_ALLOWED,
    &pickle::PICKLE_MALFORMED,
    &remote_code::REMOTE_CODE,
    &deps::REMOTE_INCLUDE,
    &deps::REQUIREMENTS_INVALID,
    &safetensors::SAFETENSORS_INVALID,
    &deps::SOURCE_NOT_ALLOWED,
    &files::SYMLINK_OUTSIDE_ROOT,
    &models::TENSORFLOW_UNSAFE_OP,
    &deps::UNPINNED_VERSION,
    &deps::UNRESOLVED_VARIABLE,
    &waivers::WAIVER_EXPIRED,
    &waivers::WAIVER_UNUSED,
    &deps::WEAK_HASH,
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
