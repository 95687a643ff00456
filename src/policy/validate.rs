//! Turns the spanned YAML tree into a [`Policy`], collecting every problem (unknown key, wrong
//! type, bad hash, glob, date, URL, rule id, unsupported version) instead of stopping at the first.

use super::yaml::{self, Node, Span, Value};
use super::{
    DatasetPin, Datasets, Dependencies, Diagnostic, GitRefs, Located, Models, PackageRule, Pickle,
    Policy, PolicyError, PolicySource, RemoteCode, SeverityOverride, Waiver,
};
use crate::finding::Severity;
use crate::format::Format;
use crate::rules;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::{BTreeMap, BTreeSet};

const TOP_KEYS: &[&str] = &[
    "version",
    "paths",
    "models",
    "datasets",
    "dependencies",
    "severity",
    "waivers",
];
const PATHS_KEYS: &[&str] = &["exclude"];
const MODELS_KEYS: &[&str] = &[
    "allow-formats",
    "pickle",
    "remote-code",
    "max-archive-members",
    "max-uncompressed-size",
    "max-seconds-per-file",
    "max-nesting-depth",
    "max-pickle-opcodes",
    "max-pickle-stack",
    "max-pickle-memo",
];
const PICKLE_KEYS: &[&str] = &["allow-presets", "allow-globals"];
const DATASETS_KEYS: &[&str] = &["files", "manifests", "unlisted"];
const DATASET_FILE_KEYS: &[&str] = &["path", "sha256"];
const DEPENDENCIES_KEYS: &[&str] = &[
    "indexes",
    "packages",
    "require-hashes",
    "require-pinned",
    "git-refs",
    "allow-insecure",
];
const PACKAGE_RULE_KEYS: &[&str] = &["names", "allow"];
const WAIVER_KEYS: &[&str] = &["rule", "path", "sha256", "reason", "expires"];

/// The pickle allowlist presets this version ships.
pub(crate) const PICKLE_PRESETS: &[&str] =
    &["pytorch", "numpy", "joblib", "sklearn", "transformers"];
/// PyPI, which `dependencies.packages` may name without declaring it.
const PYPI_SIMPLE: &str = "https://pypi.org/simple";

/// Defaults for what a policy leaves out (the values SPEC documents).
const DEFAULT_PRESETS: &[&str] = &["pytorch", "numpy", "joblib"];
const DEFAULT_MAX_ARCHIVE_MEMBERS: u64 = 10_000;
const DEFAULT_MAX_UNCOMPRESSED: u64 = 64 * 1024 * 1024 * 1024;
const DEFAULT_MAX_SECONDS_PER_FILE: u64 = 120;
const DEFAULT_MAX_NESTING_DEPTH: u64 = 4;
/// Deeper nesting than this is never a real model; the cap keeps the key from disabling the limit.
const MOST_NESTING_DEPTH: u64 = 32;
const DEFAULT_MAX_PICKLE_OPCODES: u64 = 100_000_000;
const DEFAULT_MAX_PICKLE_STACK: u64 = 1_000_000;
const DEFAULT_MAX_PICKLE_MEMO: u64 = 8_000_000;

pub(super) fn validate(source: &PolicySource) -> Result<Policy, PolicyError> {
    let mut cx = Cx {
        text: &source.text,
        diagnostics: Vec::new(),
    };
    let policy = match yaml::parse(&source.text) {
        Ok(Some(root)) => cx.policy(&root, source),
        Ok(None) => {
            cx.error(
                Span {
                    line: 1,
                    column: 1,
                    start: 0,
                    len: 0,
                },
                "the policy is empty",
                "expected `version: 1` here",
                None,
            );
            None
        }
        Err(error) => {
            cx.syntax_error(&error);
            None
        }
    };
    cx.diagnostics.sort_by_key(|d| (d.span.line, d.span.column));
    match policy {
        Some(policy) if cx.diagnostics.is_empty() => Ok(policy),
        _ => Err(PolicyError::Invalid {
            path: source.name.clone(),
            source_text: source.text.clone(),
            diagnostics: cx.diagnostics,
        }),
    }
}

struct Cx<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    fn error(
        &mut self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            message: message.into(),
            span,
            label: label.into(),
            help,
        });
    }

    fn syntax_error(&mut self, error: &serde_saphyr::Error) {
        let (span, message) = match error.location() {
            Some(location) => {
                let byte = location
                    .span()
                    .byte_offset()
                    .and_then(|b| usize::try_from(b).ok());
                (
                    Span {
                        line: u32::try_from(location.line()).unwrap_or(u32::MAX),
                        column: u32::try_from(location.column()).unwrap_or(u32::MAX),
                        start: byte.unwrap_or_else(|| {
                            offset_of(self.text, location.line(), location.column())
                        }),
                        len: 1,
                    },
                    yaml::strip_position(&error.without_snippet().to_string()),
                )
            }
            None => (
                Span {
                    line: 1,
                    column: 1,
                    start: 0,
                    len: 0,
                },
                yaml::strip_position(&error.without_snippet().to_string()),
            ),
        };
        let message = message.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
        self.error(span, format!("invalid YAML: {message}"), message, None);
    }

    /// Checks that `node` is a mapping whose keys are all in `allowed`; returns key → value.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        section: &str,
        allowed: &[&str],
    ) -> Option<BTreeMap<String, &'n Node>> {
        let Value::Map(entries) = &node.value else {
            if matches!(node.value, Value::Null) {
                return Some(BTreeMap::new());
            }
            self.error(
                node.span,
                format!("`{section}` must be a mapping, found {}", node.value.kind()),
                "expected a mapping",
                None,
            );
            return None;
        };
        let mut out = BTreeMap::new();
        for (key, value) in entries {
            let Some(name) = key.scalar_text(self.text) else {
                self.error(
                    key.span,
                    format!("keys in `{section}` must be plain names"),
                    "not a name",
                    None,
                );
                continue;
            };
            if allowed.contains(&name.as_str()) {
                out.insert(name, value);
            } else {
                let help = suggest(&name, allowed)
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("`{section}` accepts: {}", allowed.join(", "))));
                let place = if section == "policy" {
                    "at the top level".to_owned()
                } else {
                    format!("in `{section}`")
                };
                self.error(
                    key.span,
                    format!("unknown key `{name}` {place}"),
                    "unknown key",
                    help,
                );
            }
        }
        Some(out)
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            // YAML 1.1 reads a bare `off`, `no` or `on` as a boolean; where a string is expected
            // the user meant the word they wrote (`severity: {rule: off}` is documented).
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => node.scalar_text(self.text),
            other => {
                self.error(
                    node.span,
                    format!("`{what}` must be a string, found {}", other.kind()),
                    "expected a string",
                    None,
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            other => {
                self.error(
                    node.span,
                    format!("`{what}` must be true or false, found {}", other.kind()),
                    "expected true or false",
                    None,
                );
                None
            }
        }
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            other => {
                self.error(
                    node.span,
                    format!("`{what}` must be a list, found {}", other.kind()),
                    "expected a list",
                    None,
                );
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, what: &str) -> Vec<Located<String>> {
        let Some(items) = self.list(node, what) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                self.string(item, &format!("{what}[]"))
                    .map(|value| Located {
                        value,
                        span: item.span,
                    })
            })
            .collect()
    }

    fn one_of<T: Copy>(&mut self, node: &Node, what: &str, choices: &[(&str, T)]) -> Option<T> {
        let text = self.string(node, what)?;
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        self.error(
            node.span,
            format!(
                "`{what}` must be one of {}, found `{text}`",
                names.join(", ")
            ),
            "not an accepted value",
            suggest(&text, &names).map(|s| format!("did you mean `{s}`?")),
        );
        None
    }

    fn sha256(&mut self, node: &Node, what: &str) -> Option<[u8; 32]> {
        let text = self.string(node, what)?;
        match parse_sha256(&text) {
            Some(digest) => Some(digest),
            None => {
                self.error(
                    node.span,
                    format!(
                        "`{what}` must be 64 hexadecimal digits, found `{}`",
                        ellipsize(&text)
                    ),
                    format!("{} characters, not a SHA-256", text.chars().count()),
                    Some("`gate hash PATH` or `sha256sum PATH` prints it".to_owned()),
                );
                None
            }
        }
    }

    /// A gitignore-style glob list.
    fn globs(&mut self, node: &Node, what: &str) -> Gitignore {
        let mut builder = GitignoreBuilder::new("");
        for pattern in self.strings(node, what) {
            if let Err(error) = check_glob(&pattern.value)
                .and_then(|()| builder.add_line(None, &pattern.value).map(|_| ()))
            {
                self.error(
                    pattern.span,
                    format!(
                        "invalid glob `{}` in `{what}`: {}",
                        pattern.value,
                        glob_error(&error)
                    ),
                    "invalid glob",
                    None,
                );
            }
        }
        build_gitignore(builder)
    }

    fn policy(&mut self, root: &Node, source: &PolicySource) -> Option<Policy> {
        let fields = self.fields(root, "policy", TOP_KEYS)?;
        match fields.get("version") {
            None => self.error(
                root.span,
                "the policy has no `version`",
                "expected `version: 1` at the top",
                Some("add `version: 1` as the first line".to_owned()),
            ),
            Some(node) => match &node.value {
                Value::Int(1) => {}
                Value::Int(n) => self.error(
                    node.span,
                    format!("unsupported policy version {n}"),
                    "this gate reads version 1",
                    Some("write `version: 1`, or upgrade gate".to_owned()),
                ),
                other => self.error(
                    node.span,
                    format!("`version` must be the number 1, found {}", other.kind()),
                    "expected 1",
                    None,
                ),
            },
        }
        let exclude = match fields
            .get("paths")
            .and_then(|n| self.fields(n, "paths", PATHS_KEYS))
        {
            Some(paths) => match paths.get("exclude") {
                Some(node) => self.globs(node, "paths.exclude"),
                None => Gitignore::empty(),
            },
            None => Gitignore::empty(),
        };
        let models = self.models(fields.get("models").copied());
        let datasets = self.datasets(fields.get("datasets").copied());
        let dependencies = self.dependencies(fields.get("dependencies").copied());
        let severity = fields
            .get("severity")
            .map(|n| self.severity(n))
            .unwrap_or_default();
        let waivers = fields
            .get("waivers")
            .map(|n| self.waivers(n))
            .unwrap_or_default();
        Some(Policy {
            name: source.name.clone(),
            path_in_root: source.path_in_root.clone(),
            exclude,
            models,
            datasets,
            dependencies,
            severity,
            waivers,
        })
    }

    fn models(&mut self, node: Option<&Node>) -> Models {
        let mut models = Models {
            allow_formats: Format::MODELS.into_iter().collect(),
            pickle: Pickle {
                allow_presets: DEFAULT_PRESETS.iter().map(|s| (*s).to_owned()).collect(),
                allow_globals: Vec::new(),
            },
            remote_code: RemoteCode::Error,
            max_archive_members: DEFAULT_MAX_ARCHIVE_MEMBERS,
            max_uncompressed_size: DEFAULT_MAX_UNCOMPRESSED,
            max_seconds_per_file: DEFAULT_MAX_SECONDS_PER_FILE,
            max_nesting_depth: DEFAULT_MAX_NESTING_DEPTH,
            max_pickle_opcodes: DEFAULT_MAX_PICKLE_OPCODES,
            max_pickle_stack: DEFAULT_MAX_PICKLE_STACK,
            max_pickle_memo: DEFAULT_MAX_PICKLE_MEMO,
        };
        let Some(fields) = node.and_then(|n| self.fields(n, "models", MODELS_KEYS)) else {
            return models;
        };
        if let Some(node) = fields.get("allow-formats") {
            let mut formats = BTreeSet::new();
            for name in self.strings(node, "models.allow-formats") {
                match Format::model_by_name(&name.value) {
                    Some(format) => {
                        formats.insert(format);
                    }
                    None => {
                        let names: Vec<&str> = Format::MODELS.iter().map(|f| f.name()).collect();
                        self.error(
                            name.span,
                            format!("unknown model format `{}`", name.value),
                            "not a format gate knows",
                            Some(suggest(&name.value, &names).map_or_else(
                                || format!("formats: {}", names.join(", ")),
                                |s| format!("did you mean `{s}`?"),
                            )),
                        );
                    }
                }
            }
            models.allow_formats = formats;
        }
        if let Some(pickle) = fields
            .get("pickle")
            .and_then(|n| self.fields(n, "models.pickle", PICKLE_KEYS))
        {
            if let Some(node) = pickle.get("allow-presets") {
                let mut presets = Vec::new();
                for preset in self.strings(node, "models.pickle.allow-presets") {
                    if PICKLE_PRESETS.contains(&preset.value.as_str()) {
                        presets.push(preset.value);
                    } else {
                        self.error(
                            preset.span,
                            format!("unknown pickle preset `{}`", preset.value),
                            "no such preset",
                            Some(suggest(&preset.value, PICKLE_PRESETS).map_or_else(
                                || format!("presets: {}", PICKLE_PRESETS.join(", ")),
                                |s| format!("did you mean `{s}`?"),
                            )),
                        );
                    }
                }
                models.pickle.allow_presets = presets;
            }
            if let Some(node) = pickle.get("allow-globals") {
                for global in self.strings(node, "models.pickle.allow-globals") {
                    if is_global_pattern(&global.value) {
                        models.pickle.allow_globals.push(global.value);
                    } else {
                        self.error(
                            global.span,
                            format!("`{}` is not a global name", global.value),
                            "expected `module.qualname` or `module.*`",
                            Some("write the module and the qualified name separated by dots, e.g. `collections.OrderedDict`".to_owned()),
                        );
                    }
                }
            }
        }
        if let Some(node) = fields.get("remote-code")
            && let Some(level) = self.one_of(
                node,
                "models.remote-code",
                &[
                    ("error", RemoteCode::Error),
                    ("warning", RemoteCode::Warning),
                    ("allow", RemoteCode::Allow),
                ],
            )
        {
            models.remote_code = level;
        }
        if let Some(n) = self.positive_whole(&fields, "max-archive-members", "", u64::MAX) {
            models.max_archive_members = n;
        }
        if let Some(node) = fields.get("max-uncompressed-size") {
            let text = self.string(node, "models.max-uncompressed-size");
            match text.as_deref().map(parse_size) {
                Some(Some(size)) if size > 0 => models.max_uncompressed_size = size,
                Some(_) => self.error(node.span, "`models.max-uncompressed-size` must be a size such as `64GiB`, `500MB` or a number of bytes", "not a size", None),
                None => {}
            }
        }
        if let Some(n) =
            self.positive_whole(&fields, "max-seconds-per-file", " of seconds", u64::MAX)
        {
            models.max_seconds_per_file = n;
        }
        if let Some(n) = self.positive_whole(&fields, "max-nesting-depth", "", MOST_NESTING_DEPTH) {
            models.max_nesting_depth = n;
        }
        if let Some(n) = self.positive_whole(&fields, "max-pickle-opcodes", "", u64::MAX) {
            models.max_pickle_opcodes = n;
        }
        if let Some(n) = self.positive_whole(&fields, "max-pickle-stack", "", u64::MAX) {
            models.max_pickle_stack = n;
        }
        if let Some(n) = self.positive_whole(&fields, "max-pickle-memo", "", u64::MAX) {
            models.max_pickle_memo = n;
        }
        models
    }

    /// `models.KEY` as a whole number from 1 to `most`; an error pointing at the value otherwise.
    fn positive_whole(
        &mut self,
        fields: &BTreeMap<String, &Node>,
        key: &str,
        unit: &str,
        most: u64,
    ) -> Option<u64> {
        let node = fields.get(key)?;
        match &node.value {
            Value::Int(n) if *n > 0 && u64::try_from(*n).is_ok_and(|n| n <= most) => {
                u64::try_from(*n).ok()
            }
            other => {
                let range = if most == u64::MAX {
                    "expected a number above 0".to_owned()
                } else {
                    format!("expected a number from 1 to {most}")
                };
                let found = match other {
                    Value::Int(n) => n.to_string(),
                    other => other.kind().to_owned(),
                };
                self.error(
                    node.span,
                    format!("`models.{key}` must be a positive whole number{unit}, found {found}"),
                    range,
                    None,
                );
                None
            }
        }
    }

    fn datasets(&mut self, node: Option<&Node>) -> Datasets {
        let mut datasets = Datasets::default();
        let Some(fields) = node.and_then(|n| self.fields(n, "datasets", DATASETS_KEYS)) else {
            return datasets;
        };
        if let Some(items) = fields
            .get("files")
            .and_then(|n| self.list(n, "datasets.files"))
        {
            for item in items {
                let Some(entry) = self.fields(item, "datasets.files[]", DATASET_FILE_KEYS) else {
                    continue;
                };
                let path = match entry.get("path") {
                    Some(node) => self.relative_path(node, "datasets.files[].path"),
                    None => {
                        self.error(
                            item.span,
                            "a `datasets.files` entry needs a `path`",
                            "no `path`",
                            None,
                        );
                        None
                    }
                };
                let sha256 = match entry.get("sha256") {
                    Some(node) => self.sha256(node, "datasets.files[].sha256"),
                    None => {
                        self.error(
                            item.span,
                            "a `datasets.files` entry needs a `sha256`",
                            "no `sha256`",
                            Some("`gate hash PATH` prints a ready entry".to_owned()),
                        );
                        None
                    }
                };
                if let (Some(path), Some(sha256)) = (path, sha256) {
                    datasets.files.push(DatasetPin {
                        path,
                        sha256,
                        span: item.span,
                    });
                }
            }
        }
        if let Some(node) = fields.get("manifests") {
            for manifest in self.strings(node, "datasets.manifests") {
                let span = manifest.span;
                if let Some(value) =
                    self.check_relative(&manifest.value, span, "datasets.manifests[]")
                {
                    datasets.manifests.push(Located { value, span });
                }
            }
        }
        if let Some(node) = fields.get("unlisted") {
            if let Some(level) = self.one_of(
                node,
                "datasets.unlisted",
                &[
                    ("error", Some(Severity::Error)),
                    ("warning", Some(Severity::Warning)),
                    ("allow", None),
                ],
            ) {
                datasets.unlisted = level;
            }
        } else {
            datasets.unlisted = Some(Severity::Warning);
        }
        datasets
    }

    fn dependencies(&mut self, node: Option<&Node>) -> Dependencies {
        let mut deps = Dependencies {
            indexes: BTreeMap::new(),
            packages: Vec::new(),
            require_hashes: false,
            require_pinned: false,
            git_refs: GitRefs::Commit,
            allow_insecure: false,
        };
        let Some(node) = node else { return deps };
        let Some(fields) = self.fields(node, "dependencies", DEPENDENCIES_KEYS) else {
            return deps;
        };
        if let Some(node) = fields.get("indexes") {
            if let Value::Map(entries) = &node.value {
                for (key, value) in entries {
                    let Some(name) = key.scalar_text(self.text) else {
                        continue;
                    };
                    let Some(text) = self.string(value, &format!("dependencies.indexes.{name}"))
                    else {
                        continue;
                    };
                    match url::Url::parse(&text) {
                        Ok(parsed)
                            if matches!(parsed.scheme(), "http" | "https" | "file")
                                && (parsed.scheme() == "file" || parsed.host_str().is_some()) =>
                        {
                            deps.indexes.insert(
                                name,
                                Located {
                                    value: parsed,
                                    span: value.span,
                                },
                            );
                        }
                        Ok(parsed) => self.error(
                            value.span,
                            format!(
                                "index `{name}` has an unsupported URL scheme `{}`",
                                parsed.scheme()
                            ),
                            "expected an http(s) or file URL",
                            None,
                        ),
                        Err(error) => self.error(
                            value.span,
                            format!("index `{name}` is not a valid URL: {error}"),
                            "invalid URL",
                            None,
                        ),
                    }
                }
            } else if !matches!(node.value, Value::Null) {
                self.error(
                    node.span,
                    format!(
                        "`dependencies.indexes` must map names to URLs, found {}",
                        node.value.kind()
                    ),
                    "expected a mapping",
                    None,
                );
            }
        }
        if !deps.indexes.contains_key("pypi")
            && let Ok(pypi) = url::Url::parse(PYPI_SIMPLE)
        {
            deps.indexes.insert(
                "pypi".to_owned(),
                Located {
                    value: pypi,
                    span: Span::default(),
                },
            );
        }
        if let Some(items) = fields
            .get("packages")
            .and_then(|n| self.list(n, "dependencies.packages"))
        {
            for item in items {
                let Some(entry) = self.fields(item, "dependencies.packages[]", PACKAGE_RULE_KEYS)
                else {
                    continue;
                };
                let names = entry
                    .get("names")
                    .map(|n| self.strings(n, "dependencies.packages[].names"))
                    .unwrap_or_default();
                let allow = entry
                    .get("allow")
                    .map(|n| self.strings(n, "dependencies.packages[].allow"))
                    .unwrap_or_default();
                if names.is_empty() {
                    self.error(
                        item.span,
                        "a `dependencies.packages` entry needs `names`",
                        "no `names`",
                        None,
                    );
                }
                for name in &names {
                    if let Err(error) = globset::Glob::new(&name.value) {
                        self.error(
                            name.span,
                            format!("invalid name glob `{}`: {}", name.value, error.kind()),
                            "invalid glob",
                            None,
                        );
                    }
                }
                for index in &allow {
                    if !deps.indexes.contains_key(&index.value) {
                        let known: Vec<&str> = deps.indexes.keys().map(String::as_str).collect();
                        self.error(
                            index.span,
                            format!("unknown index `{}`", index.value),
                            "not declared in `dependencies.indexes`",
                            Some(format!("declared indexes: {}", known.join(", "))),
                        );
                    }
                }
                deps.packages.push(PackageRule {
                    names: names.into_iter().map(|l| l.value).collect(),
                    allow: allow.into_iter().map(|l| l.value).collect(),
                    span: item.span,
                });
            }
        }
        if let Some(node) = fields.get("require-hashes") {
            deps.require_hashes = self
                .boolean(node, "dependencies.require-hashes")
                .unwrap_or(false);
        }
        if let Some(node) = fields.get("require-pinned") {
            deps.require_pinned = self
                .boolean(node, "dependencies.require-pinned")
                .unwrap_or(false);
        }
        if let Some(node) = fields.get("git-refs")
            && let Some(refs) = self.one_of(
                node,
                "dependencies.git-refs",
                &[("commit", GitRefs::Commit), ("any", GitRefs::Any)],
            )
        {
            deps.git_refs = refs;
        }
        if let Some(node) = fields.get("allow-insecure") {
            deps.allow_insecure = self
                .boolean(node, "dependencies.allow-insecure")
                .unwrap_or(false);
        }
        deps
    }

    fn severity(&mut self, node: &Node) -> BTreeMap<&'static str, SeverityOverride> {
        let mut out = BTreeMap::new();
        let Value::Map(entries) = &node.value else {
            if !matches!(node.value, Value::Null) {
                self.error(
                    node.span,
                    format!(
                        "`severity` must map rule ids to levels, found {}",
                        node.value.kind()
                    ),
                    "expected a mapping",
                    None,
                );
            }
            return out;
        };
        for (key, value) in entries {
            let Some(rule) = key.scalar_text(self.text) else {
                continue;
            };
            let Some(rule) = self.rule_id(&rule, key.span) else {
                continue;
            };
            let level = self.one_of(
                value,
                &format!("severity.{rule}"),
                &[
                    ("error", SeverityOverride::Set(Severity::Error)),
                    ("warning", SeverityOverride::Set(Severity::Warning)),
                    ("note", SeverityOverride::Set(Severity::Note)),
                    ("off", SeverityOverride::Off),
                ],
            );
            if let Some(level) = level {
                out.insert(rule, level);
            }
        }
        out
    }

    fn rule_id(&mut self, id: &str, span: Span) -> Option<&'static str> {
        if let Some(rule) = rules::find(id) {
            return Some(rule.id);
        }
        let ids: Vec<&str> = rules::ALL.iter().map(|r| r.id).collect();
        self.error(
            span,
            format!("unknown rule `{id}`"),
            "no such rule",
            Some(suggest(id, &ids).map_or_else(
                || "`gate explain` lists every rule".to_owned(),
                |s| format!("did you mean `{s}`?"),
            )),
        );
        None
    }

    fn waivers(&mut self, node: &Node) -> Vec<Waiver> {
        let mut out = Vec::new();
        let Some(items) = self.list(node, "waivers") else {
            return out;
        };
        for item in items {
            let Some(fields) = self.fields(item, "waivers[]", WAIVER_KEYS) else {
                continue;
            };
            let mut complete = true;
            let mut required = |cx: &mut Self, key: &str| {
                let found = fields.get(key).copied();
                if found.is_none() {
                    cx.error(
                        item.span,
                        format!("a waiver needs `{key}`"),
                        format!("no `{key}`"),
                        None,
                    );
                    complete = false;
                }
                found
            };
            let rule = required(self, "rule").and_then(|n| {
                let text = self.string(n, "waivers[].rule")?;
                self.rule_id(&text, n.span)
            });
            let path_node = required(self, "path");
            let reason_node = required(self, "reason");
            let path = path_node.and_then(|n| self.relative_path(n, "waivers[].path"));
            let matcher = match (&path, path_node) {
                (Some(path), Some(node)) => {
                    let mut builder = GitignoreBuilder::new("");
                    if let Err(error) =
                        check_glob(path).and_then(|()| builder.add_line(None, path).map(|_| ()))
                    {
                        self.error(
                            node.span,
                            format!(
                                "invalid glob `{path}` in `waivers[].path`: {}",
                                glob_error(&error)
                            ),
                            "invalid glob",
                            None,
                        );
                    }
                    Some(build_gitignore(builder))
                }
                _ => None,
            };
            let reason = reason_node.and_then(|n| self.string(n, "waivers[].reason"));
            if let (Some(reason), Some(node)) = (&reason, reason_node)
                && reason.trim().is_empty()
            {
                self.error(
                    node.span,
                    "a waiver's `reason` must say why the finding is accepted",
                    "empty reason",
                    None,
                );
            }
            let sha256 = fields
                .get("sha256")
                .and_then(|n| self.sha256(n, "waivers[].sha256"));
            let expires = fields.get("expires").and_then(|node| {
                let text = self.string(node, "waivers[].expires")?;
                match text.parse::<jiff::civil::Date>() {
                    Ok(date) => Some(date),
                    Err(_) => {
                        self.error(
                            node.span,
                            format!(
                                "`waivers[].expires` must be a date like 2027-03-01, found `{}`",
                                ellipsize(&text)
                            ),
                            "not a YYYY-MM-DD date",
                            None,
                        );
                        None
                    }
                }
            });
            if let Some(rule) = rule.and_then(rules::find)
                && rule.waiver_needs_sha256
                && !fields.contains_key("sha256")
            {
                self.error(
                    item.span,
                    format!("a waiver for `{}` must name the file's `sha256`", rule.id),
                    "no `sha256`",
                    Some(
                        "known-dangerous content can only be accepted for one exact file"
                            .to_owned(),
                    ),
                );
                complete = false;
            }
            if let (true, Some(rule), Some(path), Some(matcher), Some(reason)) =
                (complete, rule, path, matcher, reason)
            {
                out.push(Waiver {
                    rule,
                    path,
                    matcher,
                    sha256,
                    reason,
                    expires,
                    span: item.span,
                });
            }
        }
        out
    }

    fn relative_path(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node, what)?;
        self.check_relative(&text, node.span, what)
    }

    fn check_relative(&mut self, text: &str, span: Span, what: &str) -> Option<String> {
        let bad = text.is_empty()
            || text.starts_with('/')
            || text.contains('\\')
            || text.split('/').any(|part| part == "..");
        if bad {
            self.error(
                span,
                format!(
                    "`{what}` must be a path relative to ROOT using `/`, found `{}`",
                    ellipsize(text)
                ),
                "not a relative path",
                None,
            );
            return None;
        }
        Some(text.trim_end_matches('/').to_owned())
    }
}

/// gitignore matching accepts some malformed globs (an unclosed `[`) and then never matches;
/// a policy glob that can never match is a mistake worth an error, so check it with globset too.
fn check_glob(pattern: &str) -> Result<(), ignore::Error> {
    let body = pattern.strip_prefix('!').unwrap_or(pattern);
    let body = body.strip_prefix('/').unwrap_or(body);
    globset::Glob::new(body)
        .map(|_| ())
        .map_err(|error| ignore::Error::Glob {
            glob: Some(pattern.to_owned()),
            err: error.kind().to_string(),
        })
}

fn build_gitignore(builder: GitignoreBuilder) -> Gitignore {
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

fn glob_error(error: &ignore::Error) -> String {
    let text = error.to_string();
    // ignore's messages repeat the glob; keep the reason only.
    text.rsplit(": ").next().unwrap_or(&text).to_owned()
}

/// `module.qualname` or `module.*`: dotted Python identifiers.
fn is_global_pattern(text: &str) -> bool {
    let (body, wildcard) = match text.strip_suffix(".*") {
        Some(body) => (body, true),
        None => (text, false),
    };
    let parts: Vec<&str> = body.split('.').collect();
    let identifiers = parts.iter().all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    });
    identifiers && (wildcard || parts.len() >= 2)
}

pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// `64GiB`, `500MB`, `1024`: binary (KiB…TiB) and decimal (KB…TB) units, bytes by default.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

fn suggest<'s>(word: &str, choices: &[&'s str]) -> Option<&'s str> {
    choices
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(distance, c)| *distance <= 2.max(c.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn ellipsize(text: &str) -> String {
    if text.chars().count() > 72 {
        format!("{}…", text.chars().take(72).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            return offset + (column.saturating_sub(1) as usize).min(l.len());
        }
        offset += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64GiB"), Some(64 << 30));
        assert_eq!(parse_size("500MB"), Some(500_000_000));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("12 XB"), None);
        assert_eq!(parse_size("99999999999TiB"), None);
    }

    #[test]
    fn global_patterns() {
        assert!(is_global_pattern("collections.OrderedDict"));
        assert!(is_global_pattern("torch._utils._rebuild_tensor_v2"));
        assert!(is_global_pattern("numpy.*"));
        assert!(!is_global_pattern("numpy"));
        assert!(!is_global_pattern("os system"));
        assert!(!is_global_pattern("a..b"));
    }

    #[test]
    fn hashes() {
        assert!(parse_sha256(&"ab".repeat(32)).is_some());
        assert!(parse_sha256(&"ab".repeat(31)).is_none());
        assert!(parse_sha256(&"zz".repeat(32)).is_none());
    }
}
