//! Discovery: which files under ROOT gate inspects.
//!
//! In a git work tree: every file git tracks plus the untracked files git does not ignore, asked of
//! git itself (`git ls-files`), because only git knows what is tracked — a `.gitignore` must never
//! hide a tracked file (an attacker can force-add `evil.pt` beside a `.gitignore` of `*.pt`).
//! Outside git, or when git cannot answer, every file (fail closed: more files, never fewer).
//! Then `paths.exclude`. Symlinks are never followed; special files are never opened (both are
//! reported as obstacles).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A regular file to inspect.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Path relative to ROOT with `/` separators, as reports print it.
    pub(crate) display: String,
    /// Where to open it.
    pub(crate) path: PathBuf,
}

/// Something found while discovering that is not a file to inspect but must be reported.
#[derive(Debug, Clone)]
pub(crate) enum Obstacle {
    /// A symlink whose target lies outside ROOT or cannot be resolved; not followed.
    SymlinkOutside { display: String, target: String },
    /// A path gate could not examine.
    Unreadable { display: String, error: String },
    /// A FIFO, socket or device: never opened (reading a FIFO could block the run forever), so
    /// never inspected.
    Special { display: String, kind: &'static str },
}

impl Obstacle {
    fn display_mut(&mut self) -> &mut String {
        match self {
            Obstacle::SymlinkOutside { display, .. }
            | Obstacle::Unreadable { display, .. }
            | Obstacle::Special { display, .. } => display,
        }
    }
}

/// What kind of special file `file_type` is, in words.
fn special_kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// What discovery hands to inspection.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    pub(crate) files: Vec<Candidate>,
    pub(crate) obstacles: Vec<Obstacle>,
    pub(crate) source: &'static str,
}

/// How discovery should treat ignore rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Also take untracked files that git ignores.
    pub(crate) no_ignore: bool,
}

/// Lists the files under `root` for `gate check`.
pub(crate) fn discover(
    root: &Path,
    options: Options,
    excluded: &dyn Fn(&str, bool) -> bool,
) -> Discovery {
    let mut discovery = Discovery::default();
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let listed = match git_listing(root, options.no_ignore) {
        Some(paths) => {
            discovery.source = "git";
            paths
        }
        None => {
            discovery.source = "walk";
            walk_all(root, &mut discovery)
        }
    };
    let mut seen = BTreeSet::new();
    for rel in listed {
        add_path(
            root,
            &canonical_root,
            &rel,
            excluded,
            &mut discovery,
            &mut seen,
        );
    }
    discovery.files.sort_by(|a, b| a.display.cmp(&b.display));
    discovery
}

/// Lists the given paths for `gate scan`: files as given, folders walked completely.
pub(crate) fn explicit(paths: &[PathBuf]) -> Discovery {
    let mut discovery = Discovery {
        source: "arguments",
        ..Discovery::default()
    };
    for given in paths {
        // Spelled as the user gave it (as ripgrep does), bytes that are not UTF-8 escaped.
        let display_base = escaped(given.as_os_str());
        match std::fs::symlink_metadata(given) {
            Ok(meta) if meta.is_dir() => {
                let canonical = std::fs::canonicalize(given).unwrap_or_else(|_| given.clone());
                let mut seen = BTreeSet::new();
                let obstacles_before = discovery.obstacles.len();
                let listed = walk_all(given, &mut discovery);
                for rel in listed {
                    let before = discovery.files.len();
                    add_path(
                        given,
                        &canonical,
                        &rel,
                        &|_, _| false,
                        &mut discovery,
                        &mut seen,
                    );
                    if let Some(file) = discovery.files.get_mut(before) {
                        file.display = join_display(&display_base, &file.display);
                    }
                }
                for obstacle in discovery.obstacles.iter_mut().skip(obstacles_before) {
                    let display = obstacle.display_mut();
                    *display = join_display(&display_base, display);
                }
            }
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(given) {
                Ok(target) if target.is_file() => discovery.files.push(Candidate {
                    display: display_base,
                    path: given.clone(),
                }),
                _ => discovery.obstacles.push(Obstacle::Unreadable {
                    display: display_base,
                    error: "a symlink that does not lead to a regular file".to_owned(),
                }),
            },
            Ok(meta) if meta.is_file() => discovery.files.push(Candidate {
                display: display_base,
                path: given.clone(),
            }),
            Ok(meta) => discovery.obstacles.push(Obstacle::Special {
                display: display_base,
                kind: special_kind(meta.file_type()),
            }),
            Err(error) => discovery.obstacles.push(Obstacle::Unreadable {
                display: display_base,
                error: error.to_string(),
            }),
        }
    }
    discovery.files.sort_by(|a, b| a.display.cmp(&b.display));
    discovery
}

fn join_display(base: &str, rel: &str) -> String {
    if base == "." {
        rel.to_owned()
    } else if rel.is_empty() || rel == "." {
        base.to_owned()
    } else {
        format!("{}/{rel}", base.trim_end_matches('/'))
    }
}

/// Asks git for tracked + untracked-not-ignored files (or all untracked with `no_ignore`).
/// `None` when ROOT is not in a work tree or git cannot answer.
fn git_listing(root: &Path, no_ignore: bool) -> Option<Vec<Vec<u8>>> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(root)
        // A repository's own configuration must not run anything (fsmonitor hooks) or
        // rewrite names (quotepath) on our behalf.
        .args(["-c", "core.fsmonitor=false", "-c", "core.quotepath=off"])
        .args(["ls-files", "-z", "--cached", "--others"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    if !no_ignore {
        command.arg("--exclude-standard");
    }
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => {
            tracing::debug!(%error, "git is not available; walking every file");
            return None;
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("not a git repository") {
            tracing::debug!("not a git work tree; walking every file");
        } else {
            tracing::warn!(
                "git could not list the files ({}); inspecting every file instead",
                stderr.trim()
            );
        }
        return None;
    }
    let mut paths = Vec::new();
    for entry in output.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = entry.strip_suffix(b"/").unwrap_or(entry);
        let path = root.join(OsStr::from_bytes(entry));
        // Submodules and nested repositories come back as folders: take everything in them.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            let mut nested = Discovery::default();
            for rel in walk_all(&path, &mut nested) {
                let mut joined = entry.to_vec();
                joined.push(b'/');
                joined.extend_from_slice(&rel);
                paths.push(joined);
            }
        } else {
            paths.push(entry.to_vec());
        }
    }
    Some(paths)
}

/// Every entry below `dir` (files, links, special files), relative, without `.git` folders and
/// without following links.
fn walk_all(dir: &Path, discovery: &mut Discovery) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_some_and(|t| t.is_dir()) {
                    continue;
                }
                if let Ok(rel) = entry.path().strip_prefix(dir) {
                    out.push(rel.as_os_str().as_bytes().to_vec());
                }
            }
            Err(error) => {
                let display = error_path(&error)
                    .and_then(|p| p.strip_prefix(dir).ok().map(display_path))
                    .unwrap_or_else(|| ".".to_owned());
                discovery.obstacles.push(Obstacle::Unreadable {
                    display,
                    error: error.to_string(),
                });
            }
        }
    }
    out
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn add_path(
    root: &Path,
    canonical_root: &Path,
    rel: &[u8],
    excluded: &dyn Fn(&str, bool) -> bool,
    discovery: &mut Discovery,
    seen: &mut BTreeSet<Vec<u8>>,
) {
    if !seen.insert(rel.to_vec()) {
        return;
    }
    let rel_path = Path::new(OsStr::from_bytes(rel));
    let display = display_path(rel_path);
    if excluded(&display, false) {
        return;
    }
    let path = root.join(rel_path);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        // Tracked but deleted in the work tree: nothing to inspect.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return,
        Err(error) => {
            discovery.obstacles.push(Obstacle::Unreadable {
                display,
                error: error.to_string(),
            });
            return;
        }
    };
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        match std::fs::canonicalize(&path) {
            // A link inside ROOT: its target is discovered (and judged) on its own.
            Ok(target) if target.starts_with(canonical_root) => {}
            Ok(target) => discovery.obstacles.push(Obstacle::SymlinkOutside {
                display,
                target: escaped(target.as_os_str()),
            }),
            Err(error) => discovery.obstacles.push(Obstacle::SymlinkOutside {
                display,
                target: format!("unresolvable ({error})"),
            }),
        }
    } else if file_type.is_file() {
        discovery.files.push(Candidate { display, path });
    } else if !file_type.is_dir() {
        discovery.obstacles.push(Obstacle::Special {
            display,
            kind: special_kind(file_type),
        });
    }
}

/// A relative path as reports print it: `/`-separated, and bytes that are not UTF-8 written as
/// `\xNN` so two different names never print alike.
pub(crate) fn display_path(path: &Path) -> String {
    let mut out = String::new();
    for (i, component) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        push_escaped(&mut out, component.as_os_str().as_bytes());
    }
    out
}

/// Appends a file name as text: bytes that are not UTF-8 become `\xNN`, and so do control
/// characters, so a name can never move a terminal's cursor, recolour it, or forge a line.
fn push_escaped(out: &mut String, mut bytes: &[u8]) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_visible(out, text);
                return;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                push_visible(out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = error.error_len().unwrap_or(rest.len());
                for byte in &rest[..bad] {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

/// A whole path or name as text, escaped like [`display_path`] but not re-joined.
pub(crate) fn escaped(text: &OsStr) -> String {
    let mut out = String::new();
    push_escaped(&mut out, text.as_bytes());
    out
}

fn push_visible(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            match u8::try_from(u32::from(c)) {
                Ok(byte) if byte < 0x80 => out.push_str(&format!("\\x{byte:02x}")),
                _ => out.push_str(&format!("\\u{{{:04x}}}", u32::from(c))),
            }
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_names_are_escaped() {
        let path = Path::new(OsStr::from_bytes(b"a\nb\x1b[31mc\xc2\x9bd.pt"));
        assert_eq!(display_path(path), "a\\x0ab\\x1b[31mc\\u{009b}d.pt");
    }

    #[test]
    fn non_utf8_names_are_escaped() {
        let path = Path::new(OsStr::from_bytes(b"dir/ev\xffil.pt"));
        assert_eq!(display_path(path), "dir/ev\\xffil.pt");
    }
}
