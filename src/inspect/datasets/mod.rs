//! Dataset observations: what is on disk at the paths a policy pins, in the manifests it names and
//! in DVC files, as neutral facts (digests, listings, parse problems). The judge compares them
//! with what was expected; nothing here decides pass or fail.
//!
//! Work happens in two steps so that every file is hashed once per run: [`plan`] locates paths,
//! reads manifests and DVC files and walks pinned folders, and adds every file it needs to the
//! run's hash [`Requests`]; after the one hashing pass, [`Plan::observe`] turns the digests into
//! [`DatasetFacts`].
//!
//! Paths are never followed out of ROOT: a pinned path (or manifest/DVC entry) that is a symlink
//! is resolved only when its target lies inside ROOT; inside a pinned *folder* no link is followed
//! at all (coreutils' `find -type f` skips links too), and each link found there is reported,
//! because the folder's digest cannot vouch for what it points at.

pub(crate) mod dvc;
pub(crate) mod manifest;

use super::{Fact, lfs};
use crate::discover::{Candidate, display_path};
use crate::hash::{self, Digests, Hashes, Requests, Want};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The largest manifest or DVC file gate reads.
const MAX_LISTING_BYTES: u64 = 64 << 20;

/// What the run asks about datasets: paths relative to ROOT, `/`-separated.
#[derive(Debug, Default)]
pub(crate) struct Request<'a> {
    /// Paths whose content (file or whole folder) is pinned.
    pub(crate) pins: Vec<&'a str>,
    /// sha256sum-format manifests.
    pub(crate) manifests: Vec<&'a str>,
}

/// The content found at a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Observed {
    Missing,
    File {
        sha256: Option<[u8; 32]>,
        md5: Option<[u8; 16]>,
        /// The `oid sha256:` when the file is a Git LFS pointer (the content was not pulled).
        lfs_oid: Option<String>,
    },
    Directory {
        /// The SPEC's directory digest over the regular files below.
        sha256: [u8; 32],
        files: usize,
        /// Entries the digest cannot cover (links, special files, names coreutils escapes).
        strays: Vec<Stray>,
    },
    /// There is something, but its content cannot be known (unreadable, a link out of ROOT, a FIFO).
    Unverifiable {
        reason: String,
    },
}

/// An entry below a pinned folder that its digest does not cover.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stray {
    pub(crate) display: String,
    pub(crate) reason: String,
}

/// A problem in a manifest or DVC file, at a line (and column where one makes sense).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineProblem {
    pub(crate) line: u32,
    pub(crate) column: Option<u32>,
    pub(crate) message: String,
}

/// A file a manifest or DVC file lists, and what is there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) display: String,
    pub(crate) line: u32,
    pub(crate) expected: Expected,
    /// A `dvc.lock` stage input: a mismatch means the stage is out of date, not tampered data.
    pub(crate) stage_input: bool,
    pub(crate) observed: Observed,
}

/// The digest a listing expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    Sha256([u8; 32]),
    Md5([u8; 16]),
}

/// One listing file (manifest or DVC) and what it lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listing {
    pub(crate) display: String,
    /// The listing file itself: `File` when it was read, else why not (missing, unreadable).
    pub(crate) observed: Observed,
    pub(crate) problems: Vec<LineProblem>,
    pub(crate) entries: Vec<Entry>,
    /// Files discovered in the manifest's folder that it does not list (manifests only).
    pub(crate) unlisted: Vec<String>,
}

/// Everything observed about datasets in one run.
#[derive(Debug, Default)]
pub(crate) struct DatasetFacts {
    /// One per requested pin, in request order.
    pub(crate) pins: Vec<Observed>,
    /// One per requested manifest, in request order.
    pub(crate) manifests: Vec<Listing>,
    /// One per DVC file (`*.dvc`, `dvc.lock`) discovered.
    pub(crate) dvc: Vec<Listing>,
}

/// Where a path leads, before hashing.
#[derive(Debug)]
enum Target {
    Missing,
    File(PathBuf),
    Directory(Tree),
    Unverifiable(String),
}

/// The regular files below a folder, by name relative to it, plus what the digest cannot cover.
#[derive(Debug, Default)]
struct Tree {
    files: Vec<(Vec<u8>, PathBuf)>,
    strays: Vec<Stray>,
    /// Set when the folder could not be listed completely.
    error: Option<String>,
}

/// A listing file whose entries have been located.
#[derive(Debug)]
struct PlannedListing {
    display: String,
    state: Result<(), Observed>,
    problems: Vec<LineProblem>,
    entries: Vec<(String, u32, Expected, Target, bool)>,
    unlisted: Vec<String>,
}

/// Located targets waiting for their digests.
#[derive(Debug)]
pub(crate) struct Plan {
    pins: Vec<Target>,
    manifests: Vec<PlannedListing>,
    dvc: Vec<PlannedListing>,
}

/// The path gate opens for a discovered file, the same key [`plan`] uses for hashing.
pub(crate) fn open_path(root: &Path, canonical_root: &Path, candidate: &Candidate) -> PathBuf {
    match candidate.path.strip_prefix(root) {
        Ok(rel) => canonical_root.join(rel),
        Err(_) => candidate.path.clone(),
    }
}

/// Locates everything `request` and the discovered DVC files name and asks `hashes` for the
/// digests it will need.
pub(crate) fn plan(
    root: &Path,
    request: &Request<'_>,
    discovered: &[Candidate],
    hashes: &mut Requests,
) -> Plan {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let locate = |rel: &Path, display: &str| locate(root, &canonical_root, rel, display);
    let pins: Vec<Target> = request
        .pins
        .iter()
        .map(|pin| locate(Path::new(pin), pin))
        .collect();
    for target in &pins {
        request_target(target, Want::SHA256, hashes);
    }
    let mut manifests = Vec::new();
    for manifest in &request.manifests {
        let planned = plan_manifest(manifest, request, discovered, &locate);
        for entry in &planned.entries {
            request_target(&entry.3, Want::SHA256, hashes);
        }
        manifests.push(planned);
    }
    let mut dvc_listings = Vec::new();
    for candidate in discovered.iter().filter(|c| dvc::is_dvc_file(&c.display)) {
        let folder = candidate
            .path
            .strip_prefix(root)
            .ok()
            .and_then(Path::parent)
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .unwrap_or_default();
        let planned = plan_dvc(
            candidate,
            &open_path(root, &canonical_root, candidate),
            &folder,
            &locate,
        );
        for entry in &planned.entries {
            request_target(&entry.3, Want::MD5, hashes);
        }
        dvc_listings.push(planned);
    }
    Plan {
        pins,
        manifests,
        dvc: dvc_listings,
    }
}

fn request_target(target: &Target, want: Want, hashes: &mut Requests) {
    match target {
        Target::File(path) => hashes.add(path, want),
        Target::Directory(tree) => {
            for (_, path) in &tree.files {
                hashes.add(path, Want::SHA256);
            }
        }
        Target::Missing | Target::Unverifiable(_) => {}
    }
}

fn plan_manifest(
    manifest: &str,
    request: &Request<'_>,
    discovered: &[Candidate],
    locate: &dyn Fn(&Path, &str) -> Target,
) -> PlannedListing {
    let mut planned = PlannedListing {
        display: manifest.to_owned(),
        state: Ok(()),
        problems: Vec::new(),
        entries: Vec::new(),
        unlisted: Vec::new(),
    };
    let bytes = match read_listing(locate(Path::new(manifest), manifest)) {
        Ok(bytes) => bytes,
        Err(observed) => {
            planned.state = Err(observed);
            return planned;
        }
    };
    let folder: Vec<u8> = match manifest.rsplit_once('/') {
        Some((folder, _)) => folder.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let parsed = manifest::parse(&bytes);
    planned.problems = parsed.problems;
    let mut listed = std::collections::BTreeSet::new();
    for entry in parsed.entries {
        let Some(rel) = join_inside(&folder, &entry.name) else {
            planned.problems.push(LineProblem {
                line: entry.line,
                column: Some(entry.name_column),
                message: "the name leaves the manifest's folder (absolute or `..`)".to_owned(),
            });
            continue;
        };
        let display = display_path(Path::new(OsStr::from_bytes(&rel)));
        if !listed.insert(display.clone()) {
            planned.problems.push(LineProblem {
                line: entry.line,
                column: Some(entry.name_column),
                message: format!("`{display}` is listed more than once"),
            });
            continue;
        }
        let target = locate(Path::new(OsStr::from_bytes(&rel)), &display);
        planned.entries.push((
            display,
            entry.line,
            Expected::Sha256(entry.sha256),
            target,
            false,
        ));
    }
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{}/", display_path(Path::new(OsStr::from_bytes(&folder))))
    };
    planned.unlisted = discovered
        .iter()
        .map(|c| &c.display)
        .filter(|d| d.starts_with(&prefix))
        .filter(|d| !listed.contains(*d) && !request.manifests.contains(&d.as_str()))
        .filter(|d| !pinned(request, d))
        .cloned()
        .collect();
    planned
}

/// Whether a `datasets.files` entry covers `display` (the file itself or a folder above it).
fn pinned(request: &Request<'_>, display: &str) -> bool {
    request.pins.iter().any(|pin| {
        display == *pin
            || display
                .strip_prefix(pin)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

fn plan_dvc(
    candidate: &Candidate,
    open: &Path,
    folder: &[u8],
    locate: &dyn Fn(&Path, &str) -> Target,
) -> PlannedListing {
    let mut planned = PlannedListing {
        display: candidate.display.clone(),
        state: Ok(()),
        problems: Vec::new(),
        entries: Vec::new(),
        unlisted: Vec::new(),
    };
    let bytes = match read_listing(Target::File(open.to_path_buf())) {
        Ok(bytes) => bytes,
        Err(observed) => {
            planned.state = Err(observed);
            return planned;
        }
    };
    let parsed = dvc::parse(&bytes);
    planned.problems = parsed.problems;
    for entry in parsed.entries {
        let Some(rel) = join_inside(folder, entry.path.as_bytes()) else {
            planned.problems.push(LineProblem {
                line: entry.line,
                column: Some(entry.column),
                message: format!("`{}` leaves the repository (absolute or `..`)", entry.path),
            });
            continue;
        };
        let display = display_path(Path::new(OsStr::from_bytes(&rel)));
        match locate(Path::new(OsStr::from_bytes(&rel)), &display) {
            Target::Directory(tree) if entry.directory => {
                let listing = dvc_folder(&rel, &display, entry.md5, tree, locate);
                for (display, expected, target) in listing {
                    planned.entries.push((
                        display,
                        entry.line,
                        Expected::Md5(expected),
                        target,
                        entry.stage_input,
                    ));
                }
            }
            Target::Directory(_) => planned.entries.push((
                display,
                entry.line,
                Expected::Md5(entry.md5),
                Target::Unverifiable(
                    "a folder, but DVC recorded a file (no `.dir` hash)".to_owned(),
                ),
                entry.stage_input,
            )),
            target => {
                planned.entries.push((
                    display,
                    entry.line,
                    Expected::Md5(entry.md5),
                    target,
                    entry.stage_input,
                ));
            }
        }
    }
    planned
}

/// The files of a DVC folder output, each with the MD5 DVC's listing gives it. The listing is
/// the `<md5>.dir` object in the local cache (`.dvc/cache/files/md5/` for DVC 3, `.dvc/cache/`
/// for DVC 2): a JSON list of `{"md5", "relpath"}` whose own MD5 is the recorded hash. Files on
/// disk the listing does not name are reported; without the listing nothing can be verified.
fn dvc_folder(
    rel: &[u8],
    display: &str,
    md5: [u8; 16],
    tree: Tree,
    locate: &dyn Fn(&Path, &str) -> Target,
) -> Vec<(String, [u8; 16], Target)> {
    let name = hash::hex(&md5);
    let (head, tail) = name.split_at(2);
    let candidates = [
        format!(".dvc/cache/files/md5/{head}/{tail}.dir"),
        format!(".dvc/cache/{head}/{tail}.dir"),
    ];
    let unverifiable =
        |reason: String| vec![(display.to_owned(), md5, Target::Unverifiable(reason))];
    let Some((cache_path, bytes)) = candidates.iter().find_map(|path| {
        read_listing(locate(Path::new(path), path))
            .ok()
            .map(|bytes| (path, bytes))
    }) else {
        return unverifiable(format!(
            "a DVC folder output whose listing `{}` is not in the local cache (run `dvc pull`)",
            candidates[0]
        ));
    };
    if hash::md5(&bytes) != md5 {
        return unverifiable(format!(
            "DVC's cache listing `{cache_path}` does not match its name"
        ));
    }
    #[derive(serde::Deserialize)]
    struct Item {
        md5: String,
        relpath: String,
    }
    let Ok(items) = serde_json::from_slice::<Vec<Item>>(&bytes) else {
        return unverifiable(format!(
            "DVC's cache listing `{cache_path}` is not a JSON list of {{md5, relpath}}"
        ));
    };
    let mut out = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for item in items {
        let (Some(file_rel), Some(expected)) = (
            join_inside(rel, item.relpath.as_bytes()),
            dvc::parse_md5(&item.md5),
        ) else {
            return unverifiable(format!(
                "DVC's cache listing `{cache_path}` names `{}` badly",
                item.relpath
            ));
        };
        let shown = display_path(Path::new(OsStr::from_bytes(&file_rel)));
        listed.insert(file_rel.clone());
        let target = locate(Path::new(OsStr::from_bytes(&file_rel)), &shown);
        out.push((shown, expected, target));
    }
    for (name, _) in tree.files {
        let mut file_rel = rel.to_vec();
        file_rel.push(b'/');
        file_rel.extend_from_slice(&name);
        if !listed.contains(&file_rel) {
            let shown = display_path(Path::new(OsStr::from_bytes(&file_rel)));
            out.push((
                shown,
                md5,
                Target::Unverifiable(format!(
                    "in the DVC folder output {display} but not in DVC's listing of it (added after `dvc add`?)"
                )),
            ));
        }
    }
    for stray in tree.strays {
        out.push((stray.display, md5, Target::Unverifiable(stray.reason)));
    }
    out
}

/// Reads a manifest or DVC file, bounded.
fn read_listing(target: Target) -> Result<Vec<u8>, Observed> {
    let path = match target {
        Target::Missing => return Err(Observed::Missing),
        Target::Unverifiable(reason) => return Err(Observed::Unverifiable { reason }),
        Target::Directory(_) => {
            return Err(Observed::Unverifiable {
                reason: "a folder, not a file".to_owned(),
            });
        }
        Target::File(path) => path,
    };
    let unreadable = |e: std::io::Error| Observed::Unverifiable {
        reason: format!("cannot read: {e}"),
    };
    let file = hash::open_regular(&path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_LISTING_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_LISTING_BYTES {
        return Err(Observed::Unverifiable {
            reason: format!("larger than {MAX_LISTING_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

/// `folder/name` as a normalised path relative to ROOT; `None` when it would leave ROOT.
fn join_inside(folder: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let name_path = Path::new(OsStr::from_bytes(name));
    if name.is_empty() || name_path.is_absolute() {
        return None;
    }
    let mut parts: Vec<&[u8]> = folder
        .split(|b| *b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    for component in name_path.components() {
        match component {
            Component::Normal(part) => parts.push(part.as_bytes()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.join(&b'/'))
}

/// Where `rel` leads under ROOT, never out of it.
fn locate(root: &Path, canonical_root: &Path, rel: &Path, display: &str) -> Target {
    let path = root.join(rel);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                || error.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            return Target::Missing;
        }
        Err(error) => return Target::Unverifiable(format!("cannot examine: {error}")),
    };
    let canonical = match std::fs::canonicalize(&path) {
        Ok(canonical) => canonical,
        Err(error) => {
            return Target::Unverifiable(format!("a symlink that leads nowhere ({error})"));
        }
    };
    if !canonical.starts_with(canonical_root) {
        return Target::Unverifiable(format!(
            "leads outside the checked folder (to {}); not followed",
            canonical.display()
        ));
    }
    let meta = if meta.file_type().is_symlink() {
        match std::fs::metadata(&canonical) {
            Ok(meta) => meta,
            Err(error) => return Target::Unverifiable(format!("cannot examine: {error}")),
        }
    } else {
        meta
    };
    if meta.is_file() {
        Target::File(canonical)
    } else if meta.is_dir() {
        Target::Directory(walk(&canonical, display))
    } else {
        Target::Unverifiable("not a regular file or folder".to_owned())
    }
}

/// Lists every regular file below `dir` without following links, as coreutils' `find -type f`.
fn walk(dir: &Path, display: &str) -> Tree {
    let mut tree = Tree::default();
    let mut pending: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = pending.pop() {
        let here = dir.join(OsStr::from_bytes(&rel));
        let entries = match std::fs::read_dir(&here) {
            Ok(entries) => entries,
            Err(error) => {
                tree.error = Some(format!(
                    "cannot list {}: {error}",
                    join_display(display, &rel)
                ));
                return tree;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    tree.error = Some(format!(
                        "cannot list {}: {error}",
                        join_display(display, &rel)
                    ));
                    return tree;
                }
            };
            let mut child = rel.clone();
            if !child.is_empty() {
                child.push(b'/');
            }
            child.extend_from_slice(entry.file_name().as_bytes());
            let shown = join_display(display, &child);
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(error) => {
                    tree.error = Some(format!("cannot examine {shown}: {error}"));
                    return tree;
                }
            };
            if file_type.is_dir() {
                pending.push(child);
            } else if file_type.is_symlink() {
                tree.strays.push(Stray {
                    display: shown,
                    reason: "a symlink inside a pinned folder: not followed, so the folder's digest does not cover what it points at".to_owned(),
                });
            } else if !file_type.is_file() {
                tree.strays.push(Stray {
                    display: shown,
                    reason: "a special file (FIFO, socket or device) inside a pinned folder"
                        .to_owned(),
                });
            } else if child.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r')) {
                tree.strays.push(Stray {
                    display: shown,
                    reason: "a name with a backslash or line break: sha256sum escapes such names, so gate refuses to digest it".to_owned(),
                });
            } else {
                let path = dir.join(OsStr::from_bytes(&child));
                tree.files.push((child, path));
            }
        }
    }
    tree
}

fn join_display(base: &str, rel: &[u8]) -> String {
    let rel = display_path(Path::new(OsStr::from_bytes(rel)));
    match (base.is_empty() || base == ".", rel.is_empty()) {
        (_, true) => base.to_owned(),
        (true, false) => rel,
        (false, false) => format!("{}/{rel}", base.trim_end_matches('/')),
    }
}

impl Plan {
    /// Turns located targets into observations with the digests of the run's hashing pass.
    pub(crate) fn observe(self, hashes: &Hashes) -> DatasetFacts {
        let listing = |planned: PlannedListing| Listing {
            display: planned.display,
            observed: match planned.state {
                Ok(()) => Observed::File {
                    sha256: None,
                    md5: None,
                    lfs_oid: None,
                },
                Err(observed) => observed,
            },
            problems: planned.problems,
            entries: planned
                .entries
                .into_iter()
                .map(|(display, line, expected, target, stage_input)| Entry {
                    display,
                    line,
                    expected,
                    stage_input,
                    observed: observe(target, hashes),
                })
                .collect(),
            unlisted: planned.unlisted,
        };
        DatasetFacts {
            pins: self
                .pins
                .into_iter()
                .map(|target| observe(target, hashes))
                .collect(),
            manifests: self.manifests.into_iter().map(listing).collect(),
            dvc: self.dvc.into_iter().map(listing).collect(),
        }
    }
}

fn observe(target: Target, hashes: &Hashes) -> Observed {
    match target {
        Target::Missing => Observed::Missing,
        Target::Unverifiable(reason) => Observed::Unverifiable { reason },
        Target::File(path) => match hashes.get(&path) {
            Some(Ok(digests)) => Observed::File {
                sha256: digests.sha256,
                md5: digests.md5,
                lfs_oid: lfs_oid(&path, digests),
            },
            Some(Err(error)) => Observed::Unverifiable {
                reason: format!("cannot read: {error}"),
            },
            None => Observed::Unverifiable {
                reason: "was not hashed".to_owned(),
            },
        },
        Target::Directory(tree) => {
            if let Some(reason) = tree.error {
                return Observed::Unverifiable { reason };
            }
            let mut lines = Vec::with_capacity(tree.files.len());
            for (name, path) in tree.files {
                match hashes.get(&path) {
                    Some(Ok(Digests {
                        sha256: Some(digest),
                        ..
                    })) => lines.push((name, *digest)),
                    Some(Err(error)) => {
                        return Observed::Unverifiable {
                            reason: format!(
                                "cannot read {}: {error}",
                                String::from_utf8_lossy(&name)
                            ),
                        };
                    }
                    _ => {
                        return Observed::Unverifiable {
                            reason: format!("{} was not hashed", String::from_utf8_lossy(&name)),
                        };
                    }
                }
            }
            Observed::Directory {
                files: lines.len(),
                sha256: hash::directory_digest(&mut lines),
                strays: tree.strays,
            }
        }
    }
}

/// The `oid` of a Git LFS pointer (pointers are small, so this reads under a KiB).
fn lfs_oid(path: &Path, digests: &Digests) -> Option<String> {
    if digests.size >= 1024 {
        return None;
    }
    let mut prefix = Vec::new();
    hash::open_regular(path)
        .ok()?
        .take(1024)
        .read_to_end(&mut prefix)
        .ok()?;
    if !crate::identify::is_lfs_pointer(&prefix) {
        return None;
    }
    match lfs::inspect(&prefix) {
        Fact::LfsPointer { oid, .. } => oid,
        _ => None,
    }
}

/// Paths named on the command line (`gate hash`), located and waiting for their digests.
#[derive(Debug)]
pub(crate) struct GivenPlan {
    targets: Vec<Target>,
}

/// Locates paths the user named: a link given by name is followed (the user chose it), links
/// inside a given folder are not, exactly as for pins.
pub(crate) fn plan_given(paths: &[(PathBuf, String)], hashes: &mut Requests) -> GivenPlan {
    let targets = paths
        .iter()
        .map(|(path, display)| {
            let target = match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() => match std::fs::canonicalize(path) {
                    Ok(canonical) => Target::File(canonical),
                    Err(error) => Target::Unverifiable(format!("cannot examine: {error}")),
                },
                Ok(meta) if meta.is_dir() => Target::Directory(walk(path, display)),
                Ok(_) => Target::Unverifiable("not a regular file or folder".to_owned()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Target::Missing,
                Err(error) => Target::Unverifiable(format!("cannot examine: {error}")),
            };
            request_target(&target, Want::SHA256, hashes);
            target
        })
        .collect();
    GivenPlan { targets }
}

impl GivenPlan {
    pub(crate) fn observe(self, hashes: &Hashes) -> Vec<Observed> {
        self.targets
            .into_iter()
            .map(|target| observe(target, hashes))
            .collect()
    }
}
