//! The policy: finding and loading the YAML file (or the built-in default), validating it into
//! typed settings with every error reported at once, and the settings the judge reads.

mod diagnostic;
mod validate;
pub(crate) mod yaml;

pub(crate) use diagnostic::{Diagnostic, PolicyError};

use crate::finding::Severity;
use crate::format::Format;
use ignore::gitignore::Gitignore;
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use yaml::Span;

/// The built-in default policy, used when a repository has none.
pub(crate) const DEFAULT_POLICY: &str = include_str!("../../policies/default.yml");
/// What reports call the built-in policy.
pub(crate) const DEFAULT_POLICY_NAME: &str = "<built-in default>";
/// Where `gate check` looks for a policy under ROOT, in order.
pub(crate) const DISCOVERY_PATHS: [&str; 3] = [".gate.yml", ".gate.yaml", ".github/gate.yml"];
/// The largest policy file gate reads (a policy is a few KiB; this stops a hostile one early).
const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// A validated policy.
#[derive(Debug)]
pub(crate) struct Policy {
    /// How reports name the policy: its path as given or found, or [`DEFAULT_POLICY_NAME`].
    pub(crate) name: String,
    /// The policy file relative to ROOT, when it lies inside ROOT (findings about waivers point there).
    pub(crate) path_in_root: Option<String>,
    pub(crate) exclude: Gitignore,
    pub(crate) models: Models,
    pub(crate) datasets: Datasets,
    pub(crate) dependencies: Dependencies,
    pub(crate) severity: BTreeMap<&'static str, SeverityOverride>,
    pub(crate) waivers: Vec<Waiver>,
}

#[derive(Debug)]
pub(crate) struct Models {
    pub(crate) allow_formats: BTreeSet<Format>,
    pub(crate) pickle: Pickle,
    pub(crate) remote_code: RemoteCode,
    pub(crate) max_archive_members: u64,
    pub(crate) max_uncompressed_size: u64,
    pub(crate) max_seconds_per_file: u64,
    /// Archives inside archives, and pickles nested in pickles (joblib object arrays).
    pub(crate) max_nesting_depth: u64,
    pub(crate) max_pickle_opcodes: u64,
    pub(crate) max_pickle_stack: u64,
    pub(crate) max_pickle_memo: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Pickle {
    pub(crate) allow_presets: Vec<String>,
    pub(crate) allow_globals: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RemoteCode {
    Error,
    Warning,
    Allow,
}

#[derive(Debug, Default)]
pub(crate) struct Datasets {
    pub(crate) files: Vec<DatasetPin>,
    pub(crate) manifests: Vec<Located<String>>,
    pub(crate) unlisted: Option<Severity>,
}

#[derive(Debug)]
pub(crate) struct DatasetPin {
    pub(crate) path: String,
    pub(crate) sha256: [u8; 32],
    pub(crate) span: Span,
}

#[derive(Debug)]
pub(crate) struct Dependencies {
    pub(crate) indexes: BTreeMap<String, Located<url::Url>>,
    pub(crate) packages: Vec<PackageRule>,
    pub(crate) require_hashes: bool,
    pub(crate) require_pinned: bool,
    pub(crate) git_refs: GitRefs,
    pub(crate) allow_insecure: bool,
}

#[derive(Debug)]
pub(crate) struct PackageRule {
    pub(crate) names: Vec<String>,
    pub(crate) allow: Vec<String>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GitRefs {
    Commit,
    Any,
}

/// A per-rule severity override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeverityOverride {
    Set(Severity),
    Off,
}

/// An accepted finding: rule + path (+ content hash), with a reason and an optional expiry.
#[derive(Debug)]
pub(crate) struct Waiver {
    pub(crate) rule: &'static str,
    pub(crate) path: String,
    pub(crate) matcher: Gitignore,
    pub(crate) sha256: Option<[u8; 32]>,
    pub(crate) reason: String,
    pub(crate) expires: Option<Date>,
    pub(crate) span: Span,
}

impl Waiver {
    pub(crate) fn matches_path(&self, path: &str) -> bool {
        self.matcher
            .matched_path_or_any_parents(path, false)
            .is_ignore()
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone)]
pub(crate) struct Located<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

impl Policy {
    /// Is `path` (relative to ROOT, `/`-separated) excluded by `paths.exclude`?
    pub(crate) fn excludes(&self, path: &str, is_dir: bool) -> bool {
        self.exclude
            .matched_path_or_any_parents(path, is_dir)
            .is_ignore()
    }

    /// The effective severity of a rule, or `None` when the policy turns it off.
    pub(crate) fn severity_of(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.severity.get(rule) {
            Some(SeverityOverride::Off) => None,
            Some(SeverityOverride::Set(severity)) => Some(*severity),
            None => Some(default),
        }
    }
}

/// Where the policy text came from.
#[derive(Debug, Clone)]
pub(crate) struct PolicySource {
    pub(crate) name: String,
    pub(crate) path_in_root: Option<String>,
    pub(crate) text: String,
}

impl PolicySource {
    pub(crate) fn built_in() -> Self {
        Self {
            name: DEFAULT_POLICY_NAME.to_owned(),
            path_in_root: None,
            text: DEFAULT_POLICY.to_owned(),
        }
    }

    /// Reads a policy file. `root` lets findings point at the policy when it lies inside ROOT.
    pub(crate) fn read(path: &Path, root: Option<&Path>) -> Result<Self, PolicyError> {
        let name = path.display().to_string();
        let io = |source| PolicyError::Io {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_POLICY_BYTES + 1),
            &mut bytes,
        )
        .map_err(io)?;
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(io(std::io::Error::other(format!(
                "larger than {MAX_POLICY_BYTES} bytes"
            ))));
        }
        let text =
            String::from_utf8(bytes).map_err(|_| PolicyError::NotUtf8 { path: name.clone() })?;
        let path_in_root = root.and_then(|root| relative_inside(root, path));
        Ok(Self {
            name,
            path_in_root,
            text,
        })
    }

    /// Finds the policy for ROOT: `explicit` if given, else the first of [`DISCOVERY_PATHS`],
    /// else the built-in default.
    pub(crate) fn find(root: &Path, explicit: Option<&Path>) -> Result<Self, PolicyError> {
        if let Some(path) = explicit {
            return Self::read(path, Some(root));
        }
        for candidate in DISCOVERY_PATHS {
            let path = root.join(candidate);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            // A policy that exists in any form is never silently replaced by the default: a
            // symlink is followed only while it stays inside ROOT, and what it reaches must be a
            // regular file (opening a FIFO would block the run).
            let refuse = |why: &str| PolicyError::Io {
                path: candidate.to_owned(),
                source: std::io::Error::other(why.to_owned()),
            };
            let is_link = meta.file_type().is_symlink();
            if is_link && relative_inside(root, &path).is_none() {
                return Err(refuse("a symlink that does not lead to a file inside ROOT"));
            }
            if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                return Err(refuse("not a regular file"));
            }
            let mut source = Self::read(&path, Some(root))?;
            source.name = candidate.to_owned();
            if !is_link {
                source.path_in_root = Some(candidate.to_owned());
            }
            return Ok(source);
        }
        Ok(Self::built_in())
    }

    /// Validates the text into a [`Policy`], reporting every problem at once.
    pub(crate) fn load(&self) -> Result<Policy, PolicyError> {
        validate::validate(self)
    }
}

fn relative_inside(root: &Path, path: &Path) -> Option<String> {
    let root = std::fs::canonicalize(root).ok()?;
    let path: PathBuf = std::fs::canonicalize(path).ok()?;
    let rel = path.strip_prefix(&root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}
