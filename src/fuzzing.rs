//! Entry points for the fuzz targets in `fuzz/`: each hands arbitrary bytes to the real reader,
//! through the same path a scan takes (the file is written to a scratch folder, then inspected).
//! Not part of gate's interface; hidden from documentation.
#![doc(hidden)]

use crate::discover::Candidate;
use crate::inspect::{self, ContainerLimits};
use crate::policy::PolicySource;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A scratch folder for this process, in memory when `/dev/shm` exists.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = PathBuf::from("/dev/shm");
        let base = if base.is_dir() {
            base
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("gate-fuzz-{}", std::process::id()));
        // A fuzz harness cannot go on without its scratch folder; failing loudly is the point.
        #[expect(clippy::expect_used, reason = "harness setup, not input-dependent")]
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch folder");
        dir
    })
}

fn write_candidate(file_name: &str, bytes: &[u8]) -> Option<Candidate> {
    let path = scratch().join(file_name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).ok()?;
    }
    std::fs::write(&path, bytes).ok()?;
    Some(Candidate {
        display: file_name.to_owned(),
        path,
    })
}

/// Inspects `bytes` as a file named `file_name` (the name picks what the file claims to be;
/// the content decides which reader runs, as in a scan).
pub fn inspect_file(file_name: &str, bytes: &[u8]) {
    if let Some(candidate) = write_candidate(file_name, bytes) {
        let _ = inspect::inspect(&candidate, ContainerLimits::DEFAULT);
    }
}

/// Reads `bytes` as the dependency declaration `file_name` (requirements, pyproject, lockfiles).
pub fn dependency_file(file_name: &str, bytes: &[u8]) {
    if let Some(candidate) = write_candidate(file_name, bytes) {
        let _ = crate::deps::collect(scratch(), std::slice::from_ref(&candidate));
    }
}

/// Parses and validates `bytes` as a policy file.
pub fn policy(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let source = PolicySource {
        name: "fuzz.gate.yml".to_owned(),
        path_in_root: None,
        text: text.to_owned(),
    };
    let _ = source.load();
}

/// Analyses `bytes` as a Hugging Face chat template.
pub fn chat_template(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = inspect::jinja::analyse(text);
    }
}

/// Parses `bytes` as a checksum manifest (`sha256sum` style).
pub fn dataset_manifest(bytes: &[u8]) {
    let _ = inspect::datasets::manifest::parse(bytes);
}

/// Parses `bytes` as a DVC file (`.dvc`, `dvc.lock`).
pub fn dvc_file(bytes: &[u8]) {
    let _ = inspect::datasets::dvc::parse(bytes);
}
