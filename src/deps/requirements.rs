//! pip requirements files (`requirements*.txt`, `*.in`, constraints), read with pip's own grammar
//! in pip's order (`pip/_internal/req/req_file.py`): line joins, then comments, then `${VAR}`,
//! then the split into requirement and options. `-r`/`-c` includes are followed relative to the
//! including file, never outside ROOT and never over the network, with cycle detection; every fact
//! carries the include chain that led to it.

use super::names::{self, parse_pep508};
use super::text::{Word, split_words, to_u32, variables};
use super::{
    Facts, Hash, Index, Install, Location, Origin, Problem, ProblemKind, Requirement, Role, Tool,
    inside_root, read_text,
};
use crate::discover::Candidate;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// PyPI's simple index, which pip uses unless told otherwise.
pub(crate) const PYPI: &str = "https://pypi.org/simple";
/// Includes nest no deeper than this (pip has no limit; a legitimate tree is a few levels).
const MAX_DEPTH: usize = 32;
/// One walk reads at most this many files: a file included twice at every level would otherwise
/// make the walk exponential.
const MAX_READS: usize = 2_000;

/// The options pip accepts in a requirements file (`SUPPORTED_OPTIONS` + per-requirement ones):
/// long name, short name, whether it takes a value.
const OPTIONS: &[(&str, Option<char>, bool)] = &[
    ("index-url", Some('i'), true),
    ("extra-index-url", None, true),
    ("no-index", None, false),
    ("constraint", Some('c'), true),
    ("requirement", Some('r'), true),
    ("editable", Some('e'), true),
    ("find-links", Some('f'), true),
    ("no-binary", None, true),
    ("only-binary", None, true),
    ("prefer-binary", None, false),
    ("require-hashes", None, false),
    ("no-require-hashes", None, false),
    ("pre", None, false),
    ("all-releases", None, true),
    ("only-final", None, true),
    ("trusted-host", None, true),
    ("use-feature", None, true),
    ("hash", None, true),
    ("config-settings", None, true),
];

/// Reads every requirements file among `candidates`. Files that another one includes are read
/// through their includer only (their indexes come from it), unless nothing includes them.
pub(crate) fn read_all(root: &Path, candidates: &[&Candidate]) -> Facts {
    use rayon::prelude::*;
    let results: Vec<(PathBuf, Vec<PathBuf>, Facts)> = candidates
        .par_iter()
        .map(|candidate| {
            let canonical =
                std::fs::canonicalize(&candidate.path).unwrap_or(candidate.path.clone());
            let mut walker = Walker::new(root, Tool::Pip, &candidate.display);
            walker.file(&canonical, &candidate.display, &[], false);
            let visited = walker.visited.iter().skip(1).cloned().collect();
            (canonical, visited, walker.finish())
        })
        .collect();
    let included: BTreeSet<&PathBuf> = results.iter().flat_map(|(_, v, _)| v).collect();
    let keep: Vec<bool> = results
        .iter()
        .map(|(canonical, _, _)| !included.contains(canonical))
        .collect();
    let mut facts = Facts::default();
    for ((_, _, found), keep) in results.into_iter().zip(keep) {
        if keep {
            facts.extend(found);
        }
    }
    facts
}

/// Reads requirements with pip's grammar into one install: a requirements file and its
/// includes, conda's `pip:` list, or a command line's options, arguments and `-r` files.
pub(crate) struct Walker<'r> {
    root: &'r Path,
    facts: Facts,
    install: Install,
    index_url: Option<Index>,
    /// Files read so far in this walk (includes may repeat a file without a cycle).
    reads: usize,
    extras: Vec<Index>,
    find_links: Vec<Index>,
    no_index: bool,
    /// `--no-require-hashes`: hash-checking mode only where a `--hash` is given.
    no_require_hashes: bool,
    stack: Vec<PathBuf>,
    visited: Vec<PathBuf>,
}

/// How to turn a byte offset of a logical line into a file position.
struct Segment {
    logical_start: usize,
    line: u32,
    column: u32,
}

impl<'r> Walker<'r> {
    pub(crate) fn new(root: &'r Path, tool: Tool, what: &str) -> Self {
        Self {
            root,
            facts: Facts::default(),
            install: Install {
                tool,
                what: what.to_owned(),
                at: Location::new(what, 1, 1),
                indexes: Vec::new(),
                requirements: Vec::new(),
                pins_expected: true,
                require_hashes: false,
            },
            index_url: None,
            reads: 0,
            extras: Vec::new(),
            find_links: Vec::new(),
            no_index: false,
            no_require_hashes: false,
            stack: Vec::new(),
            visited: Vec::new(),
        }
    }

    /// Where the install is declared (a command line, an environment file).
    pub(crate) fn declared_at(&mut self, at: Location) {
        self.install.at = at;
    }

    /// Sets indexes given outside the file (a command line, `PIP_*`), before the file is read.
    pub(crate) fn add_index(&mut self, url: &str, role: Role, at: Location) {
        let index = Index {
            url: url.to_owned(),
            name: None,
            role,
            at: Some(at),
            include: Vec::new(),
            exclude: Vec::new(),
        };
        match role {
            Role::Primary => self.index_url = Some(index),
            Role::FindLinks => self.find_links.push(index),
            _ => self.extras.push(index),
        }
    }

    pub(crate) fn set_no_index(&mut self) {
        self.no_index = true;
    }

    pub(crate) fn set_require_hashes(&mut self) {
        self.install.require_hashes = true;
    }

    /// Adds one requirement given directly (a command-line argument).
    pub(crate) fn add_requirement_text(&mut self, text: &str, at: &Location) {
        let segments = [Segment {
            logical_start: 0,
            line: at.line,
            column: at.column,
        }];
        let chain = at.chain.clone();
        self.requirement(text, 0, &[], &at.path, &chain, &segments, text, false);
    }

    /// Adds requirements read elsewhere (a project's `[project] dependencies` that
    /// `pip install .` resolves with this command's indexes).
    pub(crate) fn add_requirements(&mut self, requirements: Vec<Requirement>) {
        self.install.requirements.extend(requirements);
    }

    /// Reads the options and requirements of one requirements text given inline (conda's `pip:`
    /// list); `lines` are the entries with their positions.
    pub(crate) fn inline_lines(&mut self, display: &str, dir: &Path, lines: &[(String, u32, u32)]) {
        for (text, line, column) in lines {
            let segments = [Segment {
                logical_start: 0,
                line: *line,
                column: *column,
            }];
            self.logical_line(text, &segments, display, dir, &[], false);
        }
    }

    /// Reads a requirements file (canonical path inside ROOT), following includes.
    pub(crate) fn file(
        &mut self,
        canonical: &Path,
        display: &str,
        chain: &[String],
        constraint: bool,
    ) {
        if self.stack.iter().any(|p| p == canonical) {
            return;
        }
        let text = match read_text(canonical) {
            Ok(text) => text,
            Err(error) => {
                self.problem(
                    ProblemKind::Invalid,
                    format!("cannot read this requirements file: {error}"),
                    "",
                    at(display, 1, 1, chain),
                );
                return;
            }
        };
        self.reads += 1;
        self.stack.push(canonical.to_path_buf());
        if !self.visited.iter().any(|v| v == canonical) {
            self.visited.push(canonical.to_path_buf());
        }
        let dir = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for (text, segments) in logical_lines(&text) {
            self.logical_line(&text, &segments, display, &dir, chain, constraint);
        }
        self.stack.pop();
    }

    /// The install this walk describes, plus everything it found.
    pub(crate) fn finish(mut self) -> Facts {
        let mut indexes = Vec::new();
        if !self.no_index {
            match self.index_url.take() {
                Some(index) => indexes.push(index),
                None => indexes.push(Index {
                    url: PYPI.to_owned(),
                    name: Some("PyPI (pip's default)".to_owned()),
                    role: Role::Primary,
                    at: None,
                    include: Vec::new(),
                    exclude: Vec::new(),
                }),
            }
            indexes.append(&mut self.extras);
        }
        indexes.append(&mut self.find_links);
        self.install.indexes = indexes;
        // Any `--hash` turns on pip's hash-checking mode for every package, transitive ones too,
        // unless `--no-require-hashes` limits checking to the lines that carry one.
        if !self.no_require_hashes
            && self
                .install
                .requirements
                .iter()
                .any(|r| !r.hashes.is_empty())
        {
            self.install.require_hashes = true;
        }
        self.facts.installs.push(self.install);
        self.facts
    }

    fn problem(&mut self, kind: ProblemKind, message: String, evidence: &str, at: Location) {
        self.facts.problems.push(Problem {
            kind,
            message,
            evidence: evidence.to_owned(),
            at,
        });
    }

    fn logical_line(
        &mut self,
        raw: &str,
        segments: &[Segment],
        display: &str,
        dir: &Path,
        chain: &[String],
        constraint: bool,
    ) {
        let line = strip_comment(raw);
        let lead = line.len() - line.trim_start().len();
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        // pip splits on single spaces: the first word that starts with `-` begins the options.
        let mut args_end = None;
        let mut offset = 0;
        for word in line.split(' ') {
            if word.starts_with('-') {
                args_end = Some(offset);
                break;
            }
            offset += word.len() + 1;
        }
        let (args, options, options_start) = match args_end {
            Some(end) => (
                line.get(..end).unwrap_or_default().trim_end(),
                line.get(end..).unwrap_or_default(),
                lead + end,
            ),
            None => (line, "", lead + line.len()),
        };
        let words: Vec<Word> = split_words(options)
            .into_iter()
            .map(|w| Word {
                text: w.text,
                start: w.start + options_start,
            })
            .collect();
        let parsed = self.options(&words, raw, segments, display, chain);
        let has_requirement = !args.is_empty();
        // pip's ParsedLine: a line with a requirement, or else its first `-e`, is a requirement
        // line (per-requirement options only); a line with neither that names `-r`/`-c` is
        // followed into its first include and nothing else on it is read (_parse_and_recurse).
        let first = |name: &str| parsed.iter().position(|(o, _, _)| o == name);
        let editable = if has_requirement {
            None
        } else {
            first("editable")
        };
        let include = if has_requirement || editable.is_some() {
            None
        } else {
            first("requirement").or_else(|| first("constraint"))
        };
        let subject = match editable.and_then(|e| parsed.get(e)) {
            Some((_, Some(value), _)) => value.as_str(),
            _ => args,
        };
        let mut hashes = Vec::new();
        for (position, (option, value, start)) in parsed.iter().enumerate() {
            let here = position_in(segments, raw, *start, display, chain);
            let only = editable.or(include);
            if only == Some(position) {
                self.global_option(
                    option,
                    value.as_deref(),
                    here,
                    display,
                    dir,
                    chain,
                    constraint,
                );
                continue;
            }
            if include.is_some() {
                self.problem(
                    ProblemKind::Invalid,
                    format!(
                        "pip ignores `--{option}` on a line that includes another file: only the first `-r`/`-c` of the line is read"
                    ),
                    value.as_deref().unwrap_or(option),
                    here,
                );
                continue;
            }
            let has_requirement = has_requirement || editable.is_some();
            match (option.as_str(), value) {
                ("hash", Some(value)) => {
                    let algorithm = value
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if !matches!(algorithm.as_str(), "sha256" | "sha384" | "sha512") {
                        self.problem(
                            ProblemKind::Invalid,
                            format!(
                                "pip rejects the whole file: `--hash={value}` is not sha256, sha384 or sha512"
                            ),
                            value,
                            here.clone(),
                        );
                    }
                    if has_requirement {
                        hashes.push(Hash {
                            algorithm,
                            at: here,
                        });
                    } else {
                        self.problem(
                            ProblemKind::Invalid,
                            "`--hash` on a line without a requirement is ignored by pip (a missing `\\` at the end of the line before?)".to_owned(),
                            value,
                            here,
                        );
                    }
                }
                ("config-settings", _) => {}
                (other, value) if has_requirement => {
                    self.problem(
                        ProblemKind::Invalid,
                        format!(
                            "pip silently ignores `--{other}` on a requirement line (uv rejects it); only the file's global options decide where `{}` comes from",
                            subject.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))).next().unwrap_or(subject)
                        ),
                        value.as_deref().unwrap_or(other),
                        here,
                    );
                }
                (other, value) => {
                    self.global_option(
                        other,
                        value.as_deref(),
                        here,
                        display,
                        dir,
                        chain,
                        constraint,
                    );
                }
            }
        }
        if has_requirement {
            let start = lead;
            self.requirement(
                args, start, &hashes, display, chain, segments, raw, constraint,
            );
        }
    }

    /// Parses option words like optparse: long options by unique prefix, `--opt=value`,
    /// `--opt value`, `-xvalue`, `-x value`. Returns (long name, value, byte offset).
    fn options(
        &mut self,
        words: &[Word],
        raw: &str,
        segments: &[Segment],
        display: &str,
        chain: &[String],
    ) -> Vec<(String, Option<String>, usize)> {
        let mut out = Vec::new();
        let mut iter = words.iter();
        while let Some(word) = iter.next() {
            let here = || position_in(segments, raw, word.start, display, chain);
            let (spec, attached) = if let Some(long) = word.text.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                let exact = OPTIONS.iter().find(|o| o.0 == name);
                let prefixed: Vec<_> = OPTIONS.iter().filter(|o| o.0.starts_with(name)).collect();
                let unique = match prefixed.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                };
                match exact.or(unique) {
                    Some(spec) if !name.is_empty() => (*spec, value),
                    _ => {
                        self.problem(
                            ProblemKind::Invalid,
                            format!("pip rejects this file: no such option `--{name}`"),
                            &word.text,
                            here(),
                        );
                        continue;
                    }
                }
            } else if let Some(short) = word.text.strip_prefix('-') {
                let mut chars = short.chars();
                let letter = chars.next();
                let rest = chars.as_str();
                match OPTIONS.iter().find(|o| o.1.is_some() && o.1 == letter) {
                    Some(spec) => (*spec, (!rest.is_empty()).then(|| rest.to_owned())),
                    None => {
                        self.problem(
                            ProblemKind::Invalid,
                            format!("pip rejects this file: no such option `{}`", word.text),
                            &word.text,
                            here(),
                        );
                        continue;
                    }
                }
            } else {
                // optparse leaves stray words alone; pip ignores them on an option line.
                continue;
            };
            let (long, _, takes_value) = spec;
            let value = if takes_value {
                match attached {
                    Some(value) => Some((value, word.start)),
                    None => match iter.next() {
                        Some(next) => Some((next.text.clone(), next.start)),
                        None => {
                            self.problem(
                                ProblemKind::Invalid,
                                format!("pip rejects this file: `--{long}` needs a value"),
                                &word.text,
                                here(),
                            );
                            continue;
                        }
                    },
                }
            } else {
                None
            };
            out.push((long.to_owned(), value.map(|(v, _)| v), word.start));
        }
        out
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; the context of one option"
    )]
    fn global_option(
        &mut self,
        option: &str,
        value: Option<&str>,
        here: Location,
        display: &str,
        dir: &Path,
        chain: &[String],
        constraint: bool,
    ) {
        let value = value.unwrap_or_default();
        if matches!(
            option,
            "index-url" | "extra-index-url" | "find-links" | "requirement" | "constraint"
        ) {
            for (_, name) in variables(value) {
                self.problem(
                    ProblemKind::UnresolvedVariable,
                    format!(
                        "`${{{name}}}` in `--{option}` is only known when pip runs: the source cannot be checked"
                    ),
                    value,
                    here.clone(),
                );
            }
        }
        match option {
            "index-url" => {
                let index = Index {
                    url: value.to_owned(),
                    name: None,
                    role: Role::Primary,
                    at: Some(here.clone()),
                    include: Vec::new(),
                    exclude: Vec::new(),
                };
                if let Some(previous) = &self.index_url
                    && previous.url != value
                {
                    let before = previous
                        .at
                        .as_ref()
                        .map(|a| format!("{}:{}", a.path, a.line))
                        .unwrap_or_default();
                    self.problem(
                        ProblemKind::Invalid,
                        format!(
                            "this `--index-url` silently replaces `{}` set at {before}: pip uses only the last one (uv rejects the conflict)",
                            previous.url
                        ),
                        value,
                        here,
                    );
                }
                self.index_url = Some(index);
            }
            "extra-index-url" => self.add_index(value, Role::Extra, here),
            // A local folder of wheels is part of the repository, not a source to police.
            "find-links" if names::looks_like_url(value) && !value.starts_with("file:") => {
                self.add_index(value, Role::FindLinks, here);
            }
            "no-index" => self.no_index = true,
            "require-hashes" => self.install.require_hashes = true,
            "no-require-hashes" => self.no_require_hashes = true,
            "trusted-host" => self.problem(
                ProblemKind::Insecure,
                format!("`--trusted-host {value}` turns off TLS certificate checks for that host"),
                value,
                here,
            ),
            "requirement" | "constraint" => {
                self.include(
                    value,
                    option == "constraint" || constraint,
                    here,
                    display,
                    dir,
                    chain,
                );
            }
            "editable" => {
                let segments = [Segment {
                    logical_start: 0,
                    line: here.line,
                    column: here.column,
                }];
                self.editable(value, &segments, display, chain, constraint);
            }
            _ => {}
        }
    }

    fn include(
        &mut self,
        target: &str,
        constraint: bool,
        here: Location,
        display: &str,
        dir: &Path,
        chain: &[String],
    ) {
        let kind = if constraint { "-c" } else { "-r" };
        let lower = target.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("file:")
        {
            self.problem(
                ProblemKind::RemoteInclude,
                format!(
                    "`{kind} {target}` makes pip fetch requirements from the network: their content is not in this repository and was never reviewed"
                ),
                target,
                here,
            );
            return;
        }
        if !variables(target).is_empty() {
            // Reported as `unresolved-variable` with the option; the file cannot be known.
            return;
        }
        let path = dir.join(target);
        let Some((canonical, included_display)) = inside_root(self.root, &path) else {
            let why = if path.exists() {
                "lies outside the repository"
            } else {
                "does not exist"
            };
            self.problem(
                ProblemKind::IncludeNotFound,
                format!("`{kind} {target}` {why}: pip would fail, or read a file nobody reviewed"),
                target,
                here,
            );
            return;
        };
        if self.stack.contains(&canonical) {
            self.problem(
                ProblemKind::Invalid,
                format!("`{kind} {target}` includes a file that is already being read: an include cycle (pip rejects it)"),
                target,
                here,
            );
            return;
        }
        if self.stack.len() >= MAX_DEPTH || self.reads >= MAX_READS {
            self.problem(
                ProblemKind::Invalid,
                format!(
                    "includes nest deeper than {MAX_DEPTH} files or read more than {MAX_READS}: not read further"
                ),
                target,
                here,
            );
            return;
        }
        let mut nested = chain.to_vec();
        nested.push(format!("{display}:{}", here.line));
        self.file(&canonical, &included_display, &nested, constraint);
    }

    fn editable(
        &mut self,
        value: &str,
        segments: &[Segment],
        display: &str,
        chain: &[String],
        constraint: bool,
    ) {
        let at = position_in(segments, value, 0, display, chain);
        if names::is_vcs(value) || names::looks_like_url(value) {
            self.url_requirement(None, value, Vec::new(), at, constraint);
        } else {
            self.install.requirements.push(Requirement {
                name: None,
                origin: Origin::Local,
                pinned: true,
                hashes: Vec::new(),
                constraint,
                manifest: false,
                at,
            });
        }
    }

    #[expect(clippy::too_many_arguments, reason = "the context of one requirement")]
    fn requirement(
        &mut self,
        args: &str,
        start: usize,
        hashes: &[Hash],
        display: &str,
        chain: &[String],
        segments: &[Segment],
        raw: &str,
        constraint: bool,
    ) {
        let here = position_in(segments, raw, start, display, chain);
        let hashes = hashes.to_vec();
        if names::is_vcs(args) || names::looks_like_url(args) {
            self.url_requirement(None, args, hashes, here, constraint);
            return;
        }
        let is_path = args.starts_with('.')
            || args.starts_with('/')
            || args.starts_with('~')
            || [".whl", ".tar.gz", ".zip", ".tar.bz2"]
                .iter()
                .any(|ext| args.ends_with(ext));
        match parse_pep508(args) {
            Ok(parsed) => match parsed.url {
                Some(url) => {
                    self.url_requirement(Some(parsed.name), &url, hashes, here, constraint)
                }
                None => self.install.requirements.push(Requirement {
                    name: Some(names::normalise(&parsed.name)),
                    origin: Origin::Registry { index: None },
                    pinned: parsed.pinned,
                    hashes,
                    constraint,
                    manifest: false,
                    at: here,
                }),
            },
            Err(_) if is_path => self.install.requirements.push(Requirement {
                name: None,
                origin: Origin::Local,
                pinned: true,
                hashes,
                constraint,
                manifest: false,
                at: here,
            }),
            Err(error) => self.problem(
                ProblemKind::Invalid,
                format!("pip rejects this requirement: {error}"),
                args,
                here,
            ),
        }
    }

    fn url_requirement(
        &mut self,
        name: Option<String>,
        url: &str,
        mut hashes: Vec<Hash>,
        here: Location,
        constraint: bool,
    ) {
        for (_, variable) in variables(url) {
            self.problem(
                ProblemKind::UnresolvedVariable,
                format!("`${{{variable}}}` in this URL is only known when pip runs: the source cannot be checked"),
                url,
                here.clone(),
            );
        }
        let name = name
            .or_else(|| names::egg_name(url))
            .or_else(|| {
                (!names::is_vcs(url))
                    .then(|| names::archive_name(url))
                    .flatten()
            })
            .map(|n| names::normalise(&n));
        let origin = if names::is_vcs(url) {
            Origin::Vcs {
                url: url.to_owned(),
                reference: names::vcs_reference(url),
            }
        } else if url.to_ascii_lowercase().starts_with("file:") {
            Origin::Local
        } else {
            for algorithm in names::fragment_hashes(url) {
                hashes.push(Hash {
                    algorithm,
                    at: here.clone(),
                });
            }
            Origin::Url {
                url: url.to_owned(),
            }
        };
        self.install.requirements.push(Requirement {
            name,
            origin,
            pinned: true,
            hashes,
            constraint,
            manifest: false,
            at: here,
        });
    }
}

fn at(path: &str, line: u32, column: u32, chain: &[String]) -> Location {
    Location {
        path: path.to_owned(),
        line,
        column,
        chain: chain.to_vec(),
    }
}

/// The file position of byte `offset` in a logical line.
fn position_in(
    segments: &[Segment],
    logical: &str,
    offset: usize,
    display: &str,
    chain: &[String],
) -> Location {
    let index = segments
        .partition_point(|s| s.logical_start <= offset)
        .saturating_sub(1);
    match segments.get(index) {
        Some(segment) => {
            let chars = logical
                .get(segment.logical_start..offset.min(logical.len()))
                .map_or(0, |s| s.chars().count());
            at(
                display,
                segment.line,
                segment.column.saturating_add(to_u32(chars)),
                chain,
            )
        }
        None => at(display, 1, 1, chain),
    }
}

/// pip's `COMMENT_RE` (`(^|\s+)#.*$`) matched at the start of a line.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Removes a comment: `#` at the start or after whitespace, with the whitespace before it.
fn strip_comment(line: &str) -> &str {
    let mut previous_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_space {
            return line.get(..i).unwrap_or_default().trim_end();
        }
        previous_space = c.is_whitespace();
    }
    line
}

/// pip's `join_lines`: a line ending in `\` continues on the next one with nothing inserted
/// (`line.strip("\\")` also drops leading backslashes); a comment line ends a continuation.
fn logical_lines(text: &str) -> Vec<(String, Vec<Segment>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<Segment>)> = None;
    for (number, line) in text.lines().enumerate() {
        let number = to_u32(number + 1);
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            // A comment line is kept with a leading space so it still reads as a comment.
            match current.take() {
                Some((mut joined, mut segments)) => {
                    segments.push(Segment {
                        logical_start: joined.len(),
                        line: number,
                        column: 1,
                    });
                    if comment {
                        joined.push(' ');
                    }
                    joined.push_str(line);
                    out.push((joined, segments));
                }
                None => out.push((
                    line.to_owned(),
                    vec![Segment {
                        logical_start: 0,
                        line: number,
                        column: 1,
                    }],
                )),
            }
        } else {
            let leading = line.len() - line.trim_start_matches('\\').len();
            let stripped = line.trim_matches('\\');
            let (joined, segments) = current.get_or_insert_with(|| (String::new(), Vec::new()));
            segments.push(Segment {
                logical_start: joined.len(),
                line: number,
                column: to_u32(leading).saturating_add(1),
            });
            joined.push_str(stripped);
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_before_comments_like_pip() {
        let lines = logical_lines("a==1 \\\n  --hash=sha256:x\nb\\\n# c\nd\\\n");
        let texts: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, vec!["a==1   --hash=sha256:x", "b # c", "d"]);
        assert_eq!(
            strip_comment("x @ https://h/x.whl#sha256=1 # c"),
            "x @ https://h/x.whl#sha256=1"
        );
    }

    #[test]
    fn positions_follow_joins() {
        let lines = logical_lines("a==1 \\\n  --hash=sha256:x\n");
        let (text, segments) = &lines[0];
        let offset = text.find("--hash").unwrap_or(0);
        let here = position_in(segments, text, offset, "r.txt", &[]);
        assert_eq!((here.line, here.column), (2, 3));
    }
}
