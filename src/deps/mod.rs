//! Python dependency declarations: finds the files through which this repository installs Python
//! packages, reads each with its front end's own grammar, and states neutral facts (which indexes a
//! tool would consult, which names it installs from where, what a lockfile resolved) with the
//! exact file, line and column. Nothing here knows the policy; `judge::deps` decides.

pub(crate) mod commands;
pub(crate) mod conda;
pub(crate) mod locks;
pub(crate) mod names;
pub(crate) mod pyproject;
pub(crate) mod requirements;
pub(crate) mod text;
mod toml_tree;

use crate::discover::Candidate;
use std::path::{Path, PathBuf};

/// The largest dependency file gate reads; real ones are kilobytes, lockfiles a few megabytes.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Where something was written: a file relative to ROOT, 1-based line and column, and the chain
/// of `-r`/`-c` includes that led there (outermost first, each `path:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) path: String,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) chain: Vec<String>,
}

impl Location {
    pub(crate) fn new(path: &str, line: u32, column: u32) -> Self {
        Self {
            path: path.to_owned(),
            line,
            column,
            chain: Vec::new(),
        }
    }
}

/// How a tool combines several indexes when it looks for a name (see `judge::deps` for the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// pip: every index and find-links location is searched and the highest version wins.
    Pip,
    /// uv: indexes in priority order; `best_match` when `index-strategy` is `unsafe-best-match`
    /// (pip-like), otherwise the first index that has the name wins.
    Uv { best_match: bool },
    /// Poetry: primary sources merged, supplemental sources only when no primary has the name.
    Poetry,
    /// Pipenv: a package without `index=` comes from the first source, unless
    /// `install_search_all_sources` hands every source to pip.
    Pipenv { search_all: bool },
    /// PDM: all sources equal (highest version wins) unless `respect-source-order`.
    Pdm { respect_order: bool },
}

impl Tool {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pip => "pip",
            Self::Uv { .. } => "uv",
            Self::Poetry => "Poetry",
            Self::Pipenv { .. } => "Pipenv",
            Self::Pdm { .. } => "PDM",
        }
    }
}

/// What part an index plays for its tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// pip `--index-url`, uv's default index, a Poetry primary source, a Pipenv or PDM source.
    Primary,
    /// pip `--extra-index-url`, a uv `[[tool.uv.index]]` that is not explicit.
    Extra,
    /// pip `--find-links` / PDM `type = "find_links"`: merged like an extra index.
    FindLinks,
    /// Used only for names pinned to it (uv `explicit = true`, Poetry `priority = "explicit"`).
    Explicit,
    /// Poetry `priority = "supplemental"`: consulted only when no primary source has the name.
    Supplemental,
}

/// One index a tool would consult.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Index {
    /// The URL as written (it may contain `${VAR}`).
    pub(crate) url: String,
    /// The name the configuration gives it (uv/Poetry/Pipenv/PDM), if any.
    pub(crate) name: Option<String>,
    pub(crate) role: Role,
    /// Where it is declared; `None` for PyPI when the tool adds it without being told.
    pub(crate) at: Option<Location>,
    /// PDM `include_packages`: names matching these globs come only from this source.
    pub(crate) include: Vec<String>,
    /// PDM `exclude_packages`: names matching these globs never come from this source.
    pub(crate) exclude: Vec<String>,
}

/// How a requirement says where its distribution comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// Resolved by name from the tool's indexes; `index` names the one it is pinned to
    /// (uv sources, Poetry `source =`, Pipenv `index =`), if any.
    Registry { index: Option<String> },
    /// `name @ https://…/x.whl` or a bare archive URL.
    Url { url: String },
    /// `git+https://…@ref` and the other VCS schemes; `reference` is what follows `@`.
    Vcs {
        url: String,
        reference: Option<String>,
    },
    /// A local path or a workspace member: nothing is downloaded.
    Local,
}

/// A hash that pins a requirement's artifact.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hash {
    pub(crate) algorithm: String,
    pub(crate) at: Location,
}

/// A Python package a configuration installs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Requirement {
    /// PEP 503-normalised name; `None` when the line names no package (a bare URL without `#egg=`).
    pub(crate) name: Option<String>,
    pub(crate) origin: Origin,
    /// Exactly one version (`==` without wildcard, or `===`).
    pub(crate) pinned: bool,
    pub(crate) hashes: Vec<Hash>,
    /// From a constraints file (`-c`): restricts versions, installs nothing by itself.
    pub(crate) constraint: bool,
    /// Declared in a manifest (pyproject, Pipfile, setup.cfg), whose lockfile holds pins and
    /// hashes; not asked for `==` or `--hash`.
    pub(crate) manifest: bool,
    pub(crate) at: Location,
}

/// One way this repository installs packages: a tool, the indexes it would consult, and the
/// requirements it installs with them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Install {
    pub(crate) tool: Tool,
    /// What declares it, for messages (e.g. `requirements.txt`, `pyproject.toml [tool.uv]`).
    pub(crate) what: String,
    pub(crate) at: Location,
    /// In the tool's priority order. Includes PyPI when the tool would add it unasked.
    pub(crate) indexes: Vec<Index>,
    pub(crate) requirements: Vec<Requirement>,
    /// Requirements files and command lines are where pins and hashes live; manifests
    /// (pyproject, Pipfile, setup.cfg) leave them to their lockfiles.
    pub(crate) pins_expected: bool,
    /// `--require-hashes` was given: pip refuses anything without `==` and a hash.
    pub(crate) require_hashes: bool,
}

/// Where a lockfile says a package was resolved from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LockedSource {
    Registry {
        url: String,
    },
    Url {
        url: String,
    },
    Vcs {
        url: String,
        commit: Option<String>,
    },
    Local,
    /// From an index the lockfile does not name (pdm.lock without static URLs): the manifest's
    /// sources decide, and are judged there.
    Unrecorded,
}

/// One package pinned by a lockfile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Locked {
    pub(crate) name: String,
    pub(crate) version: Option<String>,
    pub(crate) source: LockedSource,
    /// Algorithms of the artifact hashes recorded for it.
    pub(crate) hashes: Vec<String>,
    pub(crate) at: Location,
}

/// What kind of problem a reader met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    /// `-r`/`-c` naming a URL: its content is unreviewable and never fetched.
    RemoteInclude,
    /// `-r`/`-c` naming a file that is missing or lies outside ROOT.
    IncludeNotFound,
    /// `${VAR}` where the value decides a source: unknown at check time.
    UnresolvedVariable,
    /// Something the tool itself would reject, or silently misread.
    Invalid,
    /// TLS verification switched off (`--trusted-host`, `verify_ssl = false`).
    Insecure,
}

/// A problem found while reading, reported as it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) kind: ProblemKind,
    pub(crate) message: String,
    /// The offending text (an option, a URL, a variable).
    pub(crate) evidence: String,
    pub(crate) at: Location,
}

/// Everything the dependency readers found.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub(crate) installs: Vec<Install>,
    pub(crate) locked: Vec<Locked>,
    pub(crate) problems: Vec<Problem>,
}

impl Facts {
    /// Parses a YAML file, or records where and why `tool` rejects it and returns `None` (also
    /// for an empty file, which declares nothing).
    pub(crate) fn parse_yaml(
        &mut self,
        file: &SourceFile<'_>,
        text: &str,
        tool: &str,
    ) -> Option<crate::policy::yaml::Node> {
        match crate::policy::yaml::parse(text) {
            Ok(tree) => tree,
            Err(error) => {
                let (line, column, message) = crate::policy::yaml::error_position(&error);
                self.problems.push(Problem {
                    kind: ProblemKind::Invalid,
                    message: format!("not valid YAML, so {tool} rejects it: {message}"),
                    evidence: String::new(),
                    at: Location::new(file.display, line, column.unwrap_or(1)),
                });
                None
            }
        }
    }

    fn extend(&mut self, other: Facts) {
        self.installs.extend(other.installs);
        self.locked.extend(other.locked);
        self.problems.extend(other.problems);
    }
}

/// A file under ROOT as the readers see it.
pub(crate) struct SourceFile<'a> {
    pub(crate) display: &'a str,
    pub(crate) path: &'a Path,
    /// ROOT, canonical: what a file may include is bounded by it.
    pub(crate) root: &'a Path,
}

/// Reads every dependency declaration among the discovered files. `root` bounds includes.
pub(crate) fn collect(root: &Path, files: &[Candidate]) -> Facts {
    use rayon::prelude::*;
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let classified: Vec<(&Candidate, Kind)> = files
        .iter()
        .filter_map(|c| classify(&c.display, &file_name(&c.display)).map(|k| (c, k)))
        .collect();
    let requirement_roots: Vec<&Candidate> = classified
        .iter()
        .filter(|(_, kind)| *kind == Kind::Requirements)
        .map(|(c, _)| *c)
        .collect();
    let found: Vec<Facts> = classified
        .par_iter()
        .filter(|(_, kind)| *kind != Kind::Requirements)
        .map(|(candidate, kind)| read_one(&canonical_root, candidate, *kind))
        .collect();
    let mut facts = Facts::default();
    for one in found {
        facts.extend(one);
    }
    facts.extend(requirements::read_all(&canonical_root, &requirement_roots));
    facts
}

/// Reads one dependency file that is not a requirements file.
fn read_one(root: &Path, candidate: &Candidate, kind: Kind) -> Facts {
    let file = SourceFile {
        display: &candidate.display,
        path: &candidate.path,
        root,
    };
    let text = match read_text(&candidate.path) {
        Ok(text) => text,
        Err(error) => {
            let mut facts = Facts::default();
            facts.problems.push(Problem {
                kind: ProblemKind::Invalid,
                message: format!("cannot read this dependency file: {error}"),
                evidence: String::new(),
                at: Location::new(&candidate.display, 1, 1),
            });
            return facts;
        }
    };
    match kind {
        Kind::Requirements => Facts::default(),
        Kind::Pyproject => pyproject::read_pyproject(&file, &text),
        Kind::UvToml => pyproject::read_uv_toml(&file, &text),
        Kind::Pipfile => pyproject::read_pipfile(&file, &text),
        Kind::UvLock => locks::read_uv_lock(&file, &text),
        Kind::PoetryLock => locks::read_poetry_lock(&file, &text),
        Kind::PdmLock => locks::read_pdm_lock(&file, &text),
        Kind::Pylock => locks::read_pylock(&file, &text),
        Kind::PipfileLock => locks::read_pipfile_lock(&file, &text),
        Kind::PipConf => commands::read_pip_conf(&file, &text),
        Kind::SetupCfg => commands::read_setup_cfg(&file, &text),
        Kind::Script => commands::read_script(&file, &text),
        Kind::Workflow => commands::read_workflow(&file, &text),
        Kind::Conda => conda::read_environment(&file, &text),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requirements,
    Pyproject,
    UvToml,
    Pipfile,
    UvLock,
    PoetryLock,
    PdmLock,
    Pylock,
    PipfileLock,
    PipConf,
    SetupCfg,
    Script,
    Workflow,
    Conda,
}

fn file_name(display: &str) -> String {
    display.rsplit('/').next().unwrap_or(display).to_owned()
}

/// Which reader a file needs, by its name and place (these files have no magic bytes).
fn classify(display: &str, name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    let in_requirements_dir = display
        .rsplit('/')
        .nth(1)
        .is_some_and(|dir| dir.eq_ignore_ascii_case("requirements"));
    let kind = match lower.as_str() {
        "pyproject.toml" => Kind::Pyproject,
        "uv.toml" => Kind::UvToml,
        "pipfile" => Kind::Pipfile,
        "pipfile.lock" => Kind::PipfileLock,
        "uv.lock" => Kind::UvLock,
        "poetry.lock" => Kind::PoetryLock,
        "pdm.lock" => Kind::PdmLock,
        "pylock.toml" => Kind::Pylock,
        "pip.conf" | "pip.ini" => Kind::PipConf,
        "setup.cfg" => Kind::SetupCfg,
        "environment.yml" | "environment.yaml" => Kind::Conda,
        _ if lower.starts_with("pylock.") && lower.ends_with(".toml") => Kind::Pylock,
        // `Dockerfile-gpu`, `gpu.Dockerfile`, `Containerfile.cuda`: what `docker build -f`
        // and `podman build` are commonly given.
        _ if commands::is_dockerfile(&lower)
            || lower.ends_with(".sh")
            || lower.ends_with(".bash")
            || lower.ends_with(".mk")
            || lower == "makefile"
            || lower == "gnumakefile" =>
        {
            Kind::Script
        }
        // Composite actions (`runs.steps[].run`) run in the calling job like its own steps;
        // `uses: ./path` can name any folder, so every `action.yml` is read.
        "action.yml" | "action.yaml" => Kind::Workflow,
        _ if (lower.ends_with(".yml") || lower.ends_with(".yaml"))
            && display.starts_with(".github/workflows/") =>
        {
            Kind::Workflow
        }
        _ if (lower.ends_with(".txt") || lower.ends_with(".in"))
            && (lower.contains("requirements")
                || lower.contains("constraints")
                || in_requirements_dir) =>
        {
            Kind::Requirements
        }
        _ => return None,
    };
    Some(kind)
}

/// Reads a text file: BOM-aware UTF-8, bytes that are not UTF-8 replaced (pip falls back to the
/// locale's encoding; the ASCII that carries options and names reads the same either way).
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// `path` resolved and checked to lie inside `root` (includes never leave the repository).
pub(crate) fn inside_root(root: &Path, path: &Path) -> Option<(PathBuf, String)> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let rel = canonical.strip_prefix(root).ok()?;
    let display: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some((canonical, display.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile and truncated inputs: every reader returns facts or problems, never panics.
    #[test]
    #[allow(clippy::expect_used, reason = "a test's setup may stop the test")]
    fn readers_survive_hostile_input() {
        let pieces = [
            "-r",
            "-c",
            "-i",
            "--hash",
            "--hash=",
            "--index-url=",
            "-e",
            "\\",
            "\\\\",
            "#",
            " #",
            "'",
            "\"",
            "${",
            "${A}",
            "$",
            "@",
            "@ ",
            "git+",
            "git+https://h/r@",
            "://",
            "[",
            "]",
            ";",
            "==",
            "===",
            "~=1",
            "\n",
            "\r\n",
            "\t",
            "é",
            "\u{0}",
            "x",
            "a[b",
            "--",
            "-",
            "[[tool.uv.index]]",
            "[tool.poetry]",
            "[[package]]",
            "name = \"a\"",
            "source = {",
            "pip install",
            "uv pip install",
            "ENV PIP_INDEX_URL",
            "run: |",
            "- pip:",
            "  - ",
            "=",
            "[global]",
            "extra-index-url =",
            "    http://x",
            "-rx",
            "-ihttp://",
            "--extra",
            "RUN [\"pip\", ",
            "\"install\",",
            "\"-c\", \"",
            ">> \"$GITHUB_ENV\"",
            "PIP_EXTRA_INDEX_URL<<EOF",
            "<<EOF",
            "EOF",
            "pip --log",
            "config set global.index-url",
            "PIP_CONFIG_FILE=pip.conf",
            "--isolated",
            "@-pip",
            "{",
            "}",
            "FROM x AS y",
        ];
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = std::fs::canonicalize(dir.path()).unwrap_or_else(|_| dir.path().to_path_buf());
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let names = [
            "requirements.txt",
            "pyproject.toml",
            "uv.lock",
            "Pipfile",
            "Pipfile.lock",
            "poetry.lock",
            "pylock.toml",
            "pip.conf",
            "setup.cfg",
            "Dockerfile",
            "environment.yml",
            ".github/workflows/ci.yml",
            "Containerfile",
            "Makefile",
            "action.yml",
            "setup.sh",
        ];
        std::fs::create_dir_all(root.join(".github/workflows")).unwrap_or_default();
        for round in 0..300 {
            let mut text = String::new();
            for _ in 0..40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % pieces.len() as u64).unwrap_or(0);
                text.push_str(pieces.get(index).copied().unwrap_or(""));
                if state.is_multiple_of(3) {
                    text.push(' ');
                }
            }
            let name = names
                .get(round % names.len())
                .copied()
                .unwrap_or("requirements.txt");
            std::fs::write(root.join(name), &text).unwrap_or_default();
            let candidates = vec![Candidate {
                display: name.to_owned(),
                path: root.join(name),
            }];
            let _ = collect(&root, &candidates);
        }
    }
}
