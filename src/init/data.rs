//! The starter policy's `datasets.files` pins: data folders (named `data`, `datasets`, `corpus`,
//! … and holding no source code) pinned by their folder digest, and data files elsewhere
//! (Parquet, Arrow, CSV, JSON Lines, TFRecord, …) one by one, all by the hasher `gate check` uses.
//!
//! A folder is pinned whole only when its digest will hold in CI too: every regular file under
//! it is one `gate check` sees (a file git ignores would be on this disk but not in a checkout)
//! and none is a Git LFS pointer (its bytes change on `git lfs pull`; a pointer pinned alone is
//! pinned by its oid and holds either way). Otherwise its files are pinned one by one.

use crate::discover::Candidate;
use crate::hash::ProgressPolicy;
use crate::pin::{Pin, pin_each};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Folder names that mean "data" (compared case-insensitively).
const DATA_FOLDERS: [&str; 6] = [
    "data",
    "dataset",
    "datasets",
    "corpus",
    "corpora",
    "datasets-raw",
];

/// Extensions of files that are datasets wherever they are.
const DATA_EXTENSIONS: [&str; 14] = [
    "parquet",
    "arrow",
    "feather",
    "csv",
    "tsv",
    "jsonl",
    "ndjson",
    "tfrecord",
    "tfrecords",
    "avro",
    "orc",
    "lance",
    "sqlite",
    "db",
];

/// Extensions that make a folder code rather than data.
const CODE_EXTENSIONS: [&str; 14] = [
    "py", "pyx", "ipynb", "rs", "go", "js", "ts", "java", "c", "cc", "cpp", "h", "sh", "rb",
];

/// Files pinned one by one at most; past this the starter says what was left out.
const MAX_FILE_PINS: usize = 200;

/// The pins written, and what was left out and why.
#[derive(Default)]
pub(super) struct DataPins {
    pub(super) yaml: String,
    pub(super) folders: usize,
    pub(super) files: usize,
    pub(super) left_out: Vec<String>,
}

/// Pins ROOT's data. `files` are what `gate check` discovers; `lfs_pointers` the displays of
/// those that are Git LFS pointers.
pub(super) fn pins(root: &Path, files: &[Candidate], lfs_pointers: &BTreeSet<&str>) -> DataPins {
    let (folders, loose) = data_paths(files);
    let mut out = DataPins::default();
    let mut one_by_one: Vec<&str> = loose;
    let mut whole: Vec<(&str, usize)> = Vec::new();
    for (folder, inside) in &folders {
        if inside.iter().any(|f| lfs_pointers.contains(f)) {
            one_by_one.extend(inside.iter().copied());
        } else {
            whole.push((folder, inside.len()));
        }
    }
    let given: Vec<_> = whole
        .iter()
        .map(|(folder, _)| (root.join(folder), (*folder).to_owned()))
        .collect();
    for ((folder, seen), pinned) in whole
        .iter()
        .zip(pin_each(&given, ProgressPolicy::detect(false)))
    {
        match pinned {
            Ok(Pin {
                yaml,
                folder_files: Some(on_disk),
            }) if on_disk == *seen => {
                out.yaml.push_str(&yaml);
                out.folders += 1;
            }
            // Files a checkout would not have, or links and names the digest cannot cover.
            _ => one_by_one.extend(folders.get(*folder).into_iter().flatten().copied()),
        }
    }
    one_by_one.sort_unstable();
    one_by_one.dedup();
    if one_by_one.len() > MAX_FILE_PINS {
        out.left_out.push(format!(
            "{} more data files (pin their folders with `gate hash`)",
            one_by_one.len() - MAX_FILE_PINS
        ));
        one_by_one.truncate(MAX_FILE_PINS);
    }
    let given: Vec<_> = one_by_one
        .iter()
        .map(|display| (root.join(display), (*display).to_owned()))
        .collect();
    for ((_, display), pinned) in given
        .iter()
        .zip(pin_each(&given, ProgressPolicy::detect(false)))
    {
        match pinned {
            Ok(pin) => {
                out.yaml.push_str(&pin.yaml);
                out.files += 1;
            }
            Err(reasons) => out.left_out.extend(
                reasons
                    .into_iter()
                    .map(|(path, why)| format!("{path}: {why}"))
                    .chain(std::iter::once(format!("{display}: not pinned"))),
            ),
        }
    }
    out
}

/// The outermost data folders with the files in each, and data files outside them.
fn data_paths(files: &[Candidate]) -> (BTreeMap<String, Vec<&str>>, Vec<&str>) {
    let mut folders: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut loose = Vec::new();
    for file in files {
        let parts: Vec<&str> = file.display.split('/').collect();
        let Some((_, dirs)) = parts.split_last() else {
            continue;
        };
        if dirs.contains(&".git") {
            continue;
        }
        if let Some(at) = dirs
            .iter()
            .position(|d| DATA_FOLDERS.contains(&d.to_ascii_lowercase().as_str()))
        {
            folders
                .entry(parts[..=at].join("/"))
                .or_default()
                .push(file.display.as_str());
        } else if has_extension(&file.display, &DATA_EXTENSIONS) {
            loose.push(file.display.as_str());
        }
    }
    // A folder with code in it is a package that happens to be called `data`.
    folders.retain(|_, inside| !inside.iter().any(|f| has_extension(f, &CODE_EXTENSIONS)));
    (folders, loose)
}

fn has_extension(display: &str, extensions: &[&str]) -> bool {
    Path::new(display)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn candidates(paths: &[&str]) -> Vec<Candidate> {
        paths
            .iter()
            .map(|p| Candidate {
                display: (*p).to_owned(),
                path: PathBuf::from(p),
            })
            .collect()
    }

    #[test]
    fn outermost_data_folders_and_loose_data_files() {
        let files = candidates(&[
            "data/train/a.parquet",
            "data/readme.md",
            "src/pkg/data/__init__.py",
            "src/pkg/data/loader.py",
            "results/scores.csv",
            "Corpus/wiki.txt",
            "model.safetensors",
        ]);
        let (folders, loose) = data_paths(&files);
        assert_eq!(
            folders.keys().map(String::as_str).collect::<Vec<_>>(),
            ["Corpus", "data"]
        );
        assert_eq!(folders["data"].len(), 2);
        assert_eq!(loose, ["results/scores.csv"]);
    }
}
