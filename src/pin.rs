//! `gate hash PATH...`: ready-to-paste `datasets.files` entries for files and folders, computed
//! by the same hasher and directory digest `gate check` uses. All or nothing: if one path cannot
//! be pinned, nothing is printed (a partial list pasted into a policy would look complete).

use crate::hash::{self, ProgressPolicy, Requests, hex};
use crate::inspect::datasets::{self, Observed};
use std::path::{Component, Path, PathBuf};

/// Why some paths cannot be pinned (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot pin {}:\n{}", if .problems.len() == 1 { "this path" } else { "these paths" }, .problems.iter().map(|(p, why)| format!("  {p}: {why}")).collect::<Vec<_>>().join("\n"))]
pub(crate) struct HashError {
    problems: Vec<(String, String)>,
}

/// The YAML list items for `paths`, indented to sit under `datasets:` / `  files:`.
pub(crate) fn entries(paths: &[PathBuf], progress: ProgressPolicy) -> Result<String, HashError> {
    let mut problems = Vec::new();
    let mut given = Vec::new();
    for path in paths {
        match policy_path(path) {
            Ok(display) => given.push((path.clone(), display)),
            Err(why) => problems.push((path.display().to_string(), why)),
        }
    }
    let mut text = String::new();
    for pinned in pin_each(&given, progress) {
        match pinned {
            Ok(pin) => text.push_str(&pin.yaml),
            Err(mut why) => problems.append(&mut why),
        }
    }
    if problems.is_empty() {
        Ok(text)
    } else {
        Err(HashError { problems })
    }
}

/// One path pinned: its YAML list item.
#[derive(Debug)]
pub(crate) struct Pin {
    pub(crate) yaml: String,
    /// For a folder, how many regular files its digest covers.
    pub(crate) folder_files: Option<usize>,
}

/// Pins each `(path to open, path as the policy spells it)`, hashed together; a path that cannot
/// be pinned gets every reason why (a folder, one per file it cannot vouch for).
pub(crate) fn pin_each(
    given: &[(PathBuf, String)],
    progress: ProgressPolicy,
) -> Vec<Result<Pin, Vec<(String, String)>>> {
    let mut requests = Requests::default();
    let plan = datasets::plan_given(given, &mut requests);
    let hashes = hash::hash_all(requests, progress);
    given
        .iter()
        .zip(plan.observe(&hashes))
        .map(|((_, display), observed)| pin_observed(display, observed))
        .collect()
}

fn pin_observed(display: &str, observed: Observed) -> Result<Pin, Vec<(String, String)>> {
    let key = yaml_string(display);
    let problem = |why: &str| Err(vec![(display.to_owned(), why.to_owned())]);
    match observed {
        Observed::File {
            sha256: Some(sha256),
            lfs_oid,
            ..
        } => Ok(Pin {
            yaml: match lfs_oid {
                Some(oid) if hash::is_sha256_hex(&oid) => format!(
                    "    # a Git LFS pointer: pinned by the oid of the content it names\n    - path: {key}\n      sha256: {}\n",
                    oid.to_ascii_lowercase()
                ),
                _ => format!("    - path: {key}\n      sha256: {}\n", hex(&sha256)),
            },
            folder_files: None,
        }),
        Observed::Directory {
            sha256,
            files,
            strays,
        } => {
            if strays.is_empty() {
                Ok(Pin {
                    yaml: format!(
                        "    - path: {key}  # folder digest over {files} file{}\n      sha256: {}\n",
                        if files == 1 { "" } else { "s" },
                        hex(&sha256)
                    ),
                    folder_files: Some(files),
                })
            } else {
                Err(strays
                    .into_iter()
                    .map(|stray| (stray.display, stray.reason))
                    .collect())
            }
        }
        Observed::Missing => problem("no such file or folder"),
        Observed::Unverifiable { reason } => problem(&reason),
        Observed::File { sha256: None, .. } => problem("was not hashed"),
    }
}

/// The path as a policy spells it: relative, `/`-separated, UTF-8, no `.` or `..` steps. An
/// absolute path is made relative to the current folder when it lies below it.
fn policy_path(path: &Path) -> Result<String, String> {
    let relative = if path.is_absolute() {
        let here =
            std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
        path.strip_prefix(&here)
            .map(Path::to_path_buf)
            .map_err(|_| "outside the current folder; run `gate hash` from the repository root with paths relative to it".to_owned())?
    } else {
        path.to_path_buf()
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or("not UTF-8; a policy path must be text")?
                    .to_owned(),
            ),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err("a policy path must stay inside the repository (no `..`); run `gate hash` from the repository root".to_owned());
            }
        }
    }
    if parts.is_empty() {
        return Err("pin the repository's folders or files, not the root itself".to_owned());
    }
    Ok(parts.join("/"))
}

/// A YAML scalar for `text`: plain when that is unambiguous, else a double-quoted string (JSON
/// string syntax is valid YAML).
fn yaml_string(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !text.starts_with('-');
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
    }
}
