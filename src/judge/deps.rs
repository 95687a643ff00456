//! Dependency sources: turns the dependency readers' facts into findings under the policy's
//! `dependencies` section. Holds the model of each tool's index semantics (which indexes could
//! serve a name) and the URL comparison rules. No I/O.

use crate::deps::{
    Facts, Index, Install, Location, Locked, LockedSource, Origin, ProblemKind, Requirement, Role,
    Tool,
};
use crate::finding::{Finding, Rule};
use crate::policy::{GitRefs, Policy};
use globset::{Glob, GlobMatcher};
use std::collections::BTreeSet;

mod rules;
pub(crate) use rules::*;

/// The policy's package rules, compiled: PEP 503-normalised globs → allowed index names.
struct Restrictions<'p> {
    rules: Vec<CompiledRule<'p>>,
}

struct CompiledRule<'p> {
    patterns: Vec<(String, GlobMatcher)>,
    allow: &'p [String],
    line: u32,
}

impl<'p> Restrictions<'p> {
    fn new(policy: &'p Policy) -> Self {
        let rules = policy
            .dependencies
            .packages
            .iter()
            .map(|rule| CompiledRule {
                patterns: rule
                    .names
                    .iter()
                    .filter_map(|name| {
                        let normal = crate::deps::names::normalise(name);
                        Glob::new(&normal)
                            .ok()
                            .map(|g| (normal, g.compile_matcher()))
                    })
                    .collect(),
                allow: &rule.allow,
                line: rule.span.line,
            })
            .collect();
        Self { rules }
    }

    /// The first rule that matches a (normalised) name: first match wins.
    fn for_name(&self, name: &str) -> Option<(usize, &CompiledRule<'p>)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.patterns.iter().any(|(_, m)| m.is_match(name)))
    }
}

impl CompiledRule<'_> {
    fn allow_text(&self) -> String {
        self.allow.join(", ")
    }
}

/// A URL reduced to what identifies a source: scheme, host, port, path segments. Credentials,
/// query, fragment and a trailing slash do not count; PyPI's aliases are PyPI.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UrlKey {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: Vec<String>,
}

fn url_key(text: &str) -> Option<UrlKey> {
    let parsed = url::Url::parse(text.trim()).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let host = match host.as_str() {
        "pypi.python.org" | "www.pypi.org" => "pypi.org".to_owned(),
        _ => host,
    };
    let path = parsed
        .path_segments()
        .map(|segments| {
            segments
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(UrlKey {
        scheme: parsed.scheme().to_ascii_lowercase(),
        port: parsed.port_or_known_default(),
        host,
        path,
    })
}

/// The host that serves an index's files (PyPI's live on files.pythonhosted.org).
fn file_host(key: &UrlKey) -> (&str, &str, Option<u16>) {
    let host = if key.host == "files.pythonhosted.org" {
        "pypi.org"
    } else {
        key.host.as_str()
    };
    (key.scheme.as_str(), host, key.port)
}

/// The policy's indexes, parsed once.
struct PolicyIndexes<'p> {
    indexes: Vec<(&'p str, UrlKey)>,
}

impl<'p> PolicyIndexes<'p> {
    fn new(policy: &'p Policy) -> Self {
        Self {
            indexes: policy
                .dependencies
                .indexes
                .iter()
                .filter_map(|(name, url)| url_key(url.value.as_str()).map(|k| (name.as_str(), k)))
                .collect(),
        }
    }

    /// The policy name of an index URL: same scheme, host, port and path.
    fn index_name(&self, url: &str) -> Option<&'p str> {
        let key = url_key(url)?;
        self.indexes
            .iter()
            .find(|(_, k)| *k == key)
            .map(|(name, _)| *name)
    }

    /// Policy indexes that serve a file URL. A host with one policy index covers every file on
    /// it; a host shared by several (Artifactory, Nexus, GitLab, devpi repositories side by
    /// side) covers a file only below an index's own folder — its path without the final
    /// `simple`/`+simple` — so one repository's files never pass as another's.
    fn hosts_of_file(&self, url: &str) -> Vec<&'p str> {
        let Some(key) = url_key(url) else {
            return Vec::new();
        };
        let same_host: Vec<&(&'p str, UrlKey)> = self
            .indexes
            .iter()
            .filter(|(_, k)| file_host(k) == file_host(&key))
            .collect();
        let distinct_paths: BTreeSet<&Vec<String>> =
            same_host.iter().map(|(_, k)| &k.path).collect();
        if distinct_paths.len() <= 1 {
            return same_host.iter().map(|(name, _)| *name).collect();
        }
        same_host
            .iter()
            .filter(|(_, k)| {
                let folder = match k.path.split_last() {
                    Some((last, rest)) if last == "simple" || last == "+simple" => rest,
                    _ => k.path.as_slice(),
                };
                key.path.starts_with(folder)
            })
            .map(|(name, _)| *name)
            .collect()
    }
}

/// The policy's name for an index URL (same scheme, host, port and path), if it declares it.
pub(crate) fn declared_index<'p>(policy: &'p Policy, url: &str) -> Option<&'p str> {
    PolicyIndexes::new(policy).index_name(url)
}

/// Whether two index URLs name the same index (scheme, host, port and path; credentials and a
/// trailing slash aside).
pub(crate) fn same_index(a: &str, b: &str) -> bool {
    url_key(a).is_some_and(|key| url_key(b) == Some(key))
}

/// How reports name an index: the policy's name, else its URL.
fn describe(index: &Index, known: &PolicyIndexes<'_>) -> String {
    match (&index.at, &index.name, known.index_name(&index.url)) {
        (None, Some(label), _) => label.clone(),
        (_, _, Some(name)) => name.to_owned(),
        (_, _, None) => format!("`{}`", index.url),
    }
}

/// Which of `install`'s indexes could serve `name` (a name or a policy glob), under the tool's
/// semantics. `pin` is the index a source entry binds the name to; `allowed` tells whether an
/// index is one the policy allows for the name.
fn candidates<'a>(
    install: &'a Install,
    name: &str,
    pin: Option<&str>,
    allowed: &dyn Fn(&Index) -> bool,
) -> Vec<&'a Index> {
    let all = &install.indexes;
    if let Some(pin) = pin {
        return all
            .iter()
            .filter(|i| {
                i.name
                    .as_deref()
                    .is_some_and(|n| same_source_name(install.tool, n, pin))
            })
            .collect();
    }
    let searchable: Vec<&Index> = all.iter().filter(|i| i.role != Role::Explicit).collect();
    // Up to and including the first allowed index: the earlier ones are asked first, so an
    // attacker who publishes the name there wins.
    let first_match = |ordered: Vec<&'a Index>| -> Vec<&'a Index> {
        let mut out = Vec::new();
        for index in ordered {
            let stop = allowed(index);
            out.push(index);
            if stop {
                break;
            }
        }
        out
    };
    match install.tool {
        Tool::Pip => searchable,
        Tool::Uv { best_match: true } => searchable,
        Tool::Uv { best_match: false } => first_match(searchable),
        Tool::Poetry => {
            let primaries: Vec<&Index> = searchable
                .iter()
                .copied()
                .filter(|i| i.role != Role::Supplemental)
                .collect();
            if primaries.iter().any(|i| allowed(i)) {
                primaries
            } else {
                searchable
            }
        }
        Tool::Pipenv { search_all: true } => searchable,
        Tool::Pipenv { search_all: false } => searchable.into_iter().take(1).collect(),
        Tool::Pdm { respect_order } => {
            let matches = |globs: &[String]| {
                globs.iter().any(|g| {
                    Glob::new(&crate::deps::names::normalise(g))
                        .is_ok_and(|g| g.compile_matcher().is_match(name))
                })
            };
            let included: Vec<&Index> = searchable
                .iter()
                .copied()
                .filter(|i| matches(&i.include))
                .collect();
            let pool: Vec<&Index> = if included.is_empty() {
                searchable
                    .into_iter()
                    .filter(|i| i.include.is_empty() && !matches(&i.exclude))
                    .collect()
            } else {
                included
            };
            if respect_order {
                first_match(pool)
            } else {
                pool
            }
        }
    }
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Whether the tool's own lockfile sits beside this manifest (uv.lock beside a uv project's
/// pyproject.toml, poetry.lock, Pipfile.lock, pdm.lock; pylock.toml for any of them).
fn locks_its_resolution(install: &Install, lockfiles: &BTreeSet<&str>) -> bool {
    let lock_name = match install.tool {
        Tool::Uv { .. } => "uv.lock",
        Tool::Poetry => "poetry.lock",
        Tool::Pipenv { .. } => "Pipfile.lock",
        Tool::Pdm { .. } => "pdm.lock",
        Tool::Pip => return false,
    };
    if install.pins_expected {
        return false;
    }
    let folder = install
        .at
        .path
        .rsplit_once('/')
        .map_or("", |(folder, _)| folder);
    let beside = |name: &str| {
        if folder.is_empty() {
            name.to_owned()
        } else {
            format!("{folder}/{name}")
        }
    };
    lockfiles.contains(beside(lock_name).as_str())
        || lockfiles.contains(beside("pylock.toml").as_str())
}

/// Whether a dependency's `source =`/`index =` names a declared source: Poetry lowercases
/// source names, the other tools compare them as written.
fn same_source_name(tool: Tool, declared: &str, pinned: &str) -> bool {
    match tool {
        Tool::Poetry => declared.eq_ignore_ascii_case(pinned),
        _ => declared == pinned,
    }
}

/// The URL a VCS requirement fetches: `git+https://…` → `https://…`. Only a VCS scheme prefix
/// is removed; a `+` anywhere else (a local version like `2.1.0+cu118`, a path) is part of the
/// URL and never a place to split it.
fn without_vcs_scheme(url: &str) -> &str {
    match url.split_once('+') {
        Some((scheme, rest))
            if ["git", "hg", "svn", "bzr"].contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            rest
        }
        _ => url,
    }
}

/// Does the tool merge several indexes for one name and take the highest version?
fn merges(tool: Tool) -> bool {
    match tool {
        Tool::Pip | Tool::Poetry => true,
        Tool::Uv { best_match } => best_match,
        Tool::Pipenv { search_all } => search_all,
        Tool::Pdm { respect_order } => !respect_order,
    }
}

fn how_tool_picks(tool: Tool) -> &'static str {
    match tool {
        Tool::Pip => {
            "pip searches every index and installs the highest version found on any of them"
        }
        Tool::Uv { best_match: true } => {
            "uv's `unsafe-best-match` strategy takes the highest version across indexes"
        }
        Tool::Uv { best_match: false } => {
            "uv asks indexes in priority order (an `--index-url`/default index last) and takes the first that has the name"
        }
        Tool::Poetry => {
            "Poetry merges all primary sources (highest version wins) and falls back to supplemental ones"
        }
        Tool::Pipenv { search_all: true } => {
            "`install_search_all_sources` hands every source to pip, which takes the highest version"
        }
        Tool::Pipenv { search_all: false } => {
            "Pipenv takes a package without `index =` from the first source"
        }
        Tool::Pdm {
            respect_order: false,
        } => "PDM treats all sources as equal and takes the highest version",
        Tool::Pdm {
            respect_order: true,
        } => "PDM (`respect-source-order`) takes the first source that has the name",
    }
}

fn locate(finding: Finding, at: &Location) -> Finding {
    let mut finding = finding.line_column(at.line, at.column);
    if !at.chain.is_empty() {
        finding.message = format!("{} (via {})", finding.message, at.chain.join(" → "));
        finding = finding.evidence("include-chain", at.chain.clone());
    }
    finding
}

/// Judges every dependency fact.
pub(crate) fn judge(policy: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    let restrictions = Restrictions::new(policy);
    let known = PolicyIndexes::new(policy);
    let deps = &policy.dependencies;
    let mut emitted = BTreeSet::new();
    let mut push = |finding: Finding, out: &mut Vec<Finding>| {
        let key = (
            finding.rule,
            finding.path.clone(),
            finding.line,
            finding.column,
            finding.message.clone(),
        );
        if emitted.insert(key) {
            out.push(finding);
        }
    };
    let unresolved: BTreeSet<(&str, u32, u32)> = facts
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::UnresolvedVariable)
        .map(|p| (p.at.path.as_str(), p.at.line, p.at.column))
        .collect();
    let lockfiles: BTreeSet<&str> = facts.locked.iter().map(|l| l.at.path.as_str()).collect();
    for install in &facts.installs {
        let mut found = Vec::new();
        let locked = locks_its_resolution(install, &lockfiles);
        judge_install(
            policy,
            &restrictions,
            &known,
            install,
            &unresolved,
            locked,
            &mut found,
        );
        for finding in found {
            push(finding, out);
        }
    }
    let mut found = Vec::new();
    for locked in &facts.locked {
        judge_locked(policy, &restrictions, &known, locked, &mut found);
    }
    for problem in &facts.problems {
        let rule: &'static Rule = match problem.kind {
            ProblemKind::RemoteInclude => &REMOTE_INCLUDE,
            ProblemKind::IncludeNotFound => &INCLUDE_NOT_FOUND,
            ProblemKind::UnresolvedVariable => &UNRESOLVED_VARIABLE,
            ProblemKind::Invalid => &REQUIREMENTS_INVALID,
            ProblemKind::Insecure if deps.allow_insecure => continue,
            ProblemKind::Insecure => &INSECURE_INDEX,
        };
        let mut finding = rule
            .at(&problem.at.path, problem.message.clone())
            .help(rule_help(rule.id));
        if !problem.evidence.is_empty() {
            finding = finding.evidence("text", problem.evidence.clone());
        }
        found.push(locate(finding, &problem.at));
    }
    for finding in found {
        push(finding, out);
    }
}

fn rule_help(id: &str) -> &'static str {
    match id {
        "remote-include" => "vendor the file into the repository and include it by path",
        "include-not-found" => {
            "fix the path (it is relative to the including file), or add the file"
        }
        "unresolved-variable" => {
            "write the URL out: gate cannot check a source whose value is only known at install time"
        }
        "insecure-index" => "use an https:// index with a valid certificate",
        _ => "fix the line so that pip (and uv) read it as intended",
    }
}

fn judge_install(
    policy: &Policy,
    restrictions: &Restrictions<'_>,
    known: &PolicyIndexes<'_>,
    install: &Install,
    unresolved: &BTreeSet<(&str, u32, u32)>,
    locked: bool,
    out: &mut Vec<Finding>,
) {
    let deps = &policy.dependencies;
    for index in &install.indexes {
        let Some(at) = &index.at else { continue };
        // Its value is only known at install time: reported as `unresolved-variable` there.
        if unresolved.contains(&(at.path.as_str(), at.line, at.column)) {
            continue;
        }
        if known.index_name(&index.url).is_none() {
            let finding = INDEX_NOT_ALLOWED
                .at(
                    &at.path,
                    format!(
                        "{} would use the index `{}`, which the policy does not declare",
                        install.tool.name(),
                        index.url
                    ),
                )
                .evidence("index", index.url.clone())
                .help("add it to `dependencies.indexes` if it is trusted, or remove it");
            out.push(locate(finding, at));
        }
        if !deps.allow_insecure && index.url.trim().to_ascii_lowercase().starts_with("http://") {
            let finding = INSECURE_INDEX
                .at(
                    &at.path,
                    format!(
                        "the index `{}` is plain http: anyone on the path can replace packages",
                        index.url
                    ),
                )
                .evidence("index", index.url.clone())
                .help(rule_help("insecure-index"));
            out.push(locate(finding, at));
        }
    }
    let index_names: std::collections::BTreeMap<&str, Option<&str>> = install
        .indexes
        .iter()
        .map(|i| (i.url.as_str(), known.index_name(&i.url)))
        .collect();
    let allowed_for = |rule: &CompiledRule<'_>, index: &Index| {
        index_names
            .get(index.url.as_str())
            .copied()
            .flatten()
            .is_some_and(|name| rule.allow.iter().any(|a| a == name))
    };
    let mut confused_rules = BTreeSet::new();
    // pip's hash-checking mode (any `--hash`) requires `==` and a hash for every package,
    // transitive ones included: a substituted file fails to install instead of running.
    // The readers set `require_hashes` for `--require-hashes` and for any `--hash` (unless
    // `--no-require-hashes` limits checking to the lines that carry one).
    let hash_mode = install.pins_expected && install.tool == Tool::Pip && install.require_hashes;
    let pinned_by_constraint: BTreeSet<&str> = install
        .requirements
        .iter()
        .filter(|r| r.constraint && r.pinned)
        .filter_map(|r| r.name.as_deref())
        .collect();
    for requirement in &install.requirements {
        hygiene(policy, install, requirement, &pinned_by_constraint, out);
        let Some(name) = requirement.name.as_deref() else {
            nameless_download(restrictions, known, requirement, out);
            continue;
        };
        let Some((rule_index, rule)) = restrictions.for_name(name) else {
            continue;
        };
        match &requirement.origin {
            Origin::Registry { index: pin } => {
                let cands = candidates(install, name, pin.as_deref(), &|i| allowed_for(rule, i));
                let (good, bad): (Vec<&Index>, Vec<&Index>) =
                    cands.iter().partition(|i| allowed_for(rule, i));
                // pip checks a line's own `--hash` in every mode (with `--no-require-hashes`
                // too): a substituted file for this requirement fails to install.
                let hash_pinned = install.pins_expected
                    && install.tool == Tool::Pip
                    && requirement.pinned
                    && !requirement.hashes.is_empty();
                if !good.is_empty() && (bad.is_empty() || hash_pinned) {
                    continue;
                }
                let bad_text = bad
                    .iter()
                    .map(|i| describe(i, known))
                    .collect::<Vec<_>>()
                    .join(", ");
                let finding = if good.is_empty() {
                    SOURCE_NOT_ALLOWED
                        .at(
                            &requirement.at.path,
                            format!(
                                "`{name}` may only come from {} (policy line {}), but {} would fetch it from {}",
                                rule.allow_text(),
                                rule.line,
                                install.tool.name(),
                                if bad_text.is_empty() { "no configured index".to_owned() } else { bad_text.clone() }
                            ),
                        )
                        .help(format!(
                            "install `{name}` from {} only (pin it to that index), or change the policy",
                            rule.allow_text()
                        ))
                } else {
                    if pin.is_none() {
                        confused_rules.insert(rule_index);
                    }
                    let merging =
                        merges(install.tool) && good.iter().all(|g| g.role != Role::Supplemental);
                    DEPENDENCY_CONFUSION
                        .at(
                            &requirement.at.path,
                            format!(
                                "`{name}` may only come from {} (policy line {}), but {bad_text} can serve it too: {}. Anyone who publishes `{name}` there{} wins",
                                rule.allow_text(),
                                rule.line,
                                how_tool_picks(install.tool),
                                if merging { " with a higher version" } else { "" }
                            ),
                        )
                        .help(confusion_help(install.tool))
                };
                let finding = finding
                    .evidence("package", name)
                    .evidence("allowed", rule.allow.to_vec())
                    .evidence(
                        "indexes",
                        cands.iter().map(|i| i.url.clone()).collect::<Vec<_>>(),
                    );
                out.push(locate(finding, &requirement.at));
            }
            Origin::Url { url } | Origin::Vcs { url, .. } => {
                let hosts = known.hosts_of_file(without_vcs_scheme(url));
                if !hosts.iter().any(|h| rule.allow.iter().any(|a| a == h)) {
                    let finding = SOURCE_NOT_ALLOWED
                        .at(
                            &requirement.at.path,
                            format!(
                                "`{name}` may only come from {} (policy line {}), but this line downloads it from `{url}`",
                                rule.allow_text(),
                                rule.line
                            ),
                        )
                        .evidence("package", name)
                        .evidence("url", url.clone())
                        .help(format!("install `{name}` from {} instead", rule.allow_text()));
                    out.push(locate(finding, &requirement.at));
                }
            }
            Origin::Local => {}
        }
    }
    // Names the policy restricts that this install does not list can still arrive as transitive
    // dependencies (torchtriton did), and source pins never cover those.
    let mut reported_merge = !confused_rules.is_empty();
    let listed: Vec<&str> = install
        .requirements
        .iter()
        .filter_map(|r| r.name.as_deref())
        .collect();
    // A lockfile beside the manifest records where every transitive package was resolved from,
    // and is judged entry by entry: it, not this guess, is what CI installs.
    for rule in restrictions.rules.iter().filter(|_| !hash_mode && !locked) {
        // A glob (`acme-*`) names packages nobody has listed yet: one pulled in as a dependency
        // of a listed one is not covered by that one's pin.
        let unlisted: Vec<&str> = rule
            .patterns
            .iter()
            .filter(|(text, matcher)| {
                text != "*" && (is_glob(text) || !listed.iter().any(|n| matcher.is_match(n)))
            })
            .map(|(text, _)| text.as_str())
            .collect();
        let Some(pattern) = unlisted.first() else {
            continue;
        };
        let cands = candidates(install, pattern, None, &|i| allowed_for(rule, i));
        let (good, bad): (Vec<&Index>, Vec<&Index>) =
            cands.iter().partition(|i| allowed_for(rule, i));
        // An install that never consults an allowed index has nothing to pull the name in from
        // there; one that does (a package pinned to it, whose dependencies are not) exposes the
        // name to whatever the unpinned configuration searches, even when that is only PyPI.
        let consults_allowed = install.indexes.iter().any(|i| allowed_for(rule, i));
        if bad.is_empty() || (good.is_empty() && !consults_allowed) {
            continue;
        }
        let anchor = bad
            .iter()
            .chain(good.iter())
            .filter_map(|i| i.at.as_ref())
            .max_by_key(|at| (at.line, at.column))
            .unwrap_or(&install.at);
        let bad_text = bad
            .iter()
            .map(|i| describe(i, known))
            .collect::<Vec<_>>()
            .join(", ");
        let finding = DEPENDENCY_CONFUSION
            .at(
                &anchor.path,
                format!(
                    "{} may only come from {} (policy line {}), but {bad_text} {}: {}. A dependency pulled in under such a name (as torchtriton was in December 2022) can be taken from there",
                    unlisted.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                    rule.allow_text(),
                    rule.line,
                    if good.is_empty() {
                        "is all that is searched for names not pinned to an index (source pins cover only the dependency they are written on)"
                    } else {
                        "is searched too"
                    },
                    how_tool_picks(install.tool)
                ),
            )
            .evidence("allowed", rule.allow.to_vec())
            .evidence("indexes", cands.iter().map(|i| i.url.clone()).collect::<Vec<_>>())
            .help(if good.is_empty() {
                "commit the tool's lockfile beside the manifest (gate then judges where each package was really resolved from), or declare these names as direct dependencies pinned to the allowed index"
            } else {
                confusion_help(install.tool)
            });
        out.push(locate(finding, anchor));
        reported_merge = true;
    }
    if !reported_merge && merges(install.tool) {
        let merged: Vec<&Index> = install
            .indexes
            .iter()
            .filter(|i| !matches!(i.role, Role::Explicit | Role::Supplemental))
            .filter(|i| i.include.is_empty())
            .collect();
        if merged.len() > 1 {
            let anchor = merged
                .iter()
                .filter_map(|i| i.at.as_ref())
                .max_by_key(|at| (at.line, at.column))
                .unwrap_or(&install.at);
            let finding = MIXED_INDEXES
                .at(
                    &anchor.path,
                    format!(
                        "{} merges {}: {}. {}",
                        install.tool.name(),
                        merged
                            .iter()
                            .map(|i| describe(i, known))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        how_tool_picks(install.tool),
                        if hash_mode {
                            "Hash pins make pip refuse a substituted file today; a requirement added without them would not be protected"
                        } else {
                            "No name the policy restricts is affected today"
                        }
                    ),
                )
                .evidence(
                    "indexes",
                    merged.iter().map(|i| i.url.clone()).collect::<Vec<_>>(),
                )
                .help(
                    "use one index, or pin names to an index so a new package cannot be shadowed",
                );
            out.push(locate(finding, anchor));
        }
    }
}

/// A URL or VCS requirement gate cannot name (no `#egg=`, no wheel or sdist file name) could be
/// any package, a restricted one included: it passes only if some policy rule allows a download
/// from its host.
fn nameless_download(
    restrictions: &Restrictions<'_>,
    known: &PolicyIndexes<'_>,
    requirement: &Requirement,
    out: &mut Vec<Finding>,
) {
    let (Origin::Url { url } | Origin::Vcs { url, .. }) = &requirement.origin else {
        return;
    };
    if restrictions.rules.is_empty() {
        return;
    }
    let hosts = known.hosts_of_file(without_vcs_scheme(url));
    if restrictions
        .rules
        .iter()
        .any(|rule| hosts.iter().any(|h| rule.allow.iter().any(|a| a == h)))
    {
        return;
    }
    let finding = SOURCE_NOT_ALLOWED
        .at(
            &requirement.at.path,
            format!(
                "this line installs a package gate cannot name from `{url}`, a host no policy rule allows: it could be any package, one the policy restricts included"
            ),
        )
        .evidence("url", url.clone())
        .help("name the package (`NAME @ URL`, or `#egg=NAME` on a VCS URL) so the policy can judge it, or install it from an allowed index");
    out.push(locate(finding, &requirement.at));
}

fn confusion_help(tool: Tool) -> &'static str {
    match tool {
        Tool::Pip => {
            "use a single `--index-url` that serves everything these packages need (no `--extra-index-url`/`--find-links`), or pin `==` versions with `--hash`"
        }
        Tool::Uv { .. } => {
            "declare the index with `explicit = true` and bind the names to it in `[tool.uv.sources]`; keep the default `first-index` strategy"
        }
        Tool::Poetry => {
            "give the source `priority = \"explicit\"` and add `source = \"NAME\"` to the dependency"
        }
        Tool::Pipenv { .. } => {
            "add `index = \"NAME\"` to the package in the Pipfile and do not set `install_search_all_sources`"
        }
        Tool::Pdm { .. } => "list the names in the source's `include_packages`",
    }
}

fn hygiene(
    policy: &Policy,
    install: &Install,
    requirement: &Requirement,
    pinned_by_constraint: &BTreeSet<&str>,
    out: &mut Vec<Finding>,
) {
    let deps = &policy.dependencies;
    let label = requirement
        .name
        .as_deref()
        .map_or_else(|| "this requirement".to_owned(), |n| format!("`{n}`"));
    for hash in &requirement.hashes {
        if matches!(hash.algorithm.as_str(), "md5" | "sha1" | "sha224") {
            let finding = WEAK_HASH
                .at(
                    &hash.at.path,
                    format!(
                        "{label} is pinned with {}, which can be forged",
                        hash.algorithm
                    ),
                )
                .evidence("algorithm", hash.algorithm.clone())
                .help("pin with sha256 (pip-compile --generate-hashes writes them)");
            out.push(locate(finding, &hash.at));
        }
    }
    // Manifests (pyproject, Pipfile) keep pins and hashes in their lockfiles, judged there.
    let is_pip = install.pins_expected && !requirement.manifest;
    if requirement.constraint {
        return;
    }
    match &requirement.origin {
        Origin::Registry { .. } | Origin::Url { .. } => {
            let pinned = requirement.pinned
                || requirement
                    .name
                    .as_deref()
                    .is_some_and(|n| pinned_by_constraint.contains(n));
            if is_pip && deps.require_pinned && !pinned {
                let finding = UNPINNED_VERSION
                    .at(
                        &requirement.at.path,
                        format!("{label} is not pinned to one version (`==`)"),
                    )
                    .help("pin it with `==` (pip-compile writes exact pins)");
                out.push(locate(finding, &requirement.at));
            }
            if is_pip && deps.require_hashes && requirement.hashes.is_empty() {
                let finding = MISSING_HASH
                    .at(
                        &requirement.at.path,
                        format!("{label} has no `--hash`: any file with that name and version would be installed"),
                    )
                    .help("add `--hash=sha256:…` for every artifact (pip-compile --generate-hashes)");
                out.push(locate(finding, &requirement.at));
            }
        }
        Origin::Vcs { url, reference } => {
            if deps.git_refs == GitRefs::Commit
                && !reference
                    .as_deref()
                    .is_some_and(crate::deps::names::is_full_commit)
            {
                let what = reference.as_deref().map_or_else(
                    || "no revision (the default branch)".to_owned(),
                    |r| format!("`{r}`"),
                );
                let finding = GIT_REF_UNPINNED
                    .at(
                        &requirement.at.path,
                        format!("{label} comes from `{url}` at {what}, which can move; the policy requires a full commit SHA"),
                    )
                    .evidence("url", url.clone())
                    .help("pin the full 40-character commit: `git+https://host/repo@<sha>`");
                out.push(locate(finding, &requirement.at));
            }
        }
        Origin::Local => {}
    }
    if let Origin::Url { url } = &requirement.origin
        && !deps.allow_insecure
        && url.to_ascii_lowercase().starts_with("http://")
    {
        let finding = INSECURE_INDEX
            .at(
                &requirement.at.path,
                format!("{label} is downloaded over plain http: anyone on the path can replace it"),
            )
            .evidence("url", url.clone())
            .help(rule_help("insecure-index"));
        out.push(locate(finding, &requirement.at));
    }
}

fn judge_locked(
    policy: &Policy,
    restrictions: &Restrictions<'_>,
    known: &PolicyIndexes<'_>,
    locked: &Locked,
    out: &mut Vec<Finding>,
) {
    let deps = &policy.dependencies;
    let name = locked.name.as_str();
    let rule = restrictions.for_name(name).map(|(_, r)| r);
    let (source_names, where_from) = match &locked.source {
        LockedSource::Registry { url } => (
            known.index_name(url).into_iter().collect::<Vec<_>>(),
            url.clone(),
        ),
        LockedSource::Url { url } => (known.hosts_of_file(url), url.clone()),
        LockedSource::Vcs { url, .. } => {
            (known.hosts_of_file(without_vcs_scheme(url)), url.clone())
        }
        LockedSource::Local | LockedSource::Unrecorded => (Vec::new(), String::new()),
    };
    let version = locked
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    if !matches!(
        locked.source,
        LockedSource::Local | LockedSource::Unrecorded
    ) {
        if let Some(rule) = rule
            && !source_names
                .iter()
                .any(|s| rule.allow.iter().any(|a| a == s))
        {
            let finding = SOURCE_NOT_ALLOWED
                .at(
                    &locked.at.path,
                    format!(
                        "the lockfile resolved `{name}`{version} from `{where_from}`, but it may only come from {} (policy line {})",
                        rule.allow_text(),
                        rule.line
                    ),
                )
                .evidence("package", name)
                .evidence("source", where_from.clone())
                .evidence("allowed", rule.allow.to_vec())
                .help("declare it as a direct dependency pinned to an allowed index (source pins never cover transitive dependencies) and lock again");
            out.push(locate(finding, &locked.at));
        } else if rule.is_none()
            && matches!(locked.source, LockedSource::Registry { .. })
            && source_names.is_empty()
        {
            let finding = INDEX_NOT_ALLOWED
                .at(
                    &locked.at.path,
                    format!("the lockfile resolved `{name}`{version} from `{where_from}`, an index the policy does not declare"),
                )
                .evidence("index", where_from.clone())
                .help("add the index to `dependencies.indexes` if it is trusted, or lock from a declared one");
            out.push(locate(finding, &locked.at));
        }
        if !deps.allow_insecure && where_from.to_ascii_lowercase().starts_with("http://") {
            let finding = INSECURE_INDEX
                .at(
                    &locked.at.path,
                    format!("`{name}` was locked from plain-http `{where_from}`"),
                )
                .help(rule_help("insecure-index"));
            out.push(locate(finding, &locked.at));
        }
    }
    for algorithm in &locked.hashes {
        if matches!(algorithm.as_str(), "md5" | "sha1" | "sha224") {
            let finding = WEAK_HASH
                .at(
                    &locked.at.path,
                    format!("`{name}` is locked with a {algorithm} hash, which can be forged"),
                )
                .help("lock again with a tool that records sha256");
            out.push(locate(finding, &locked.at));
            break;
        }
    }
    match &locked.source {
        LockedSource::Registry { .. } | LockedSource::Url { .. } | LockedSource::Unrecorded => {
            if deps.require_hashes && locked.hashes.is_empty() {
                let finding = MISSING_HASH
                    .at(
                        &locked.at.path,
                        format!("the lockfile records no hash for `{name}`{version}"),
                    )
                    .help(
                        "lock again with hashes (they are on by default in uv, Poetry and Pipenv)",
                    );
                out.push(locate(finding, &locked.at));
            }
        }
        LockedSource::Vcs { url, commit } => {
            if deps.git_refs == GitRefs::Commit
                && !commit
                    .as_deref()
                    .is_some_and(crate::deps::names::is_full_commit)
            {
                let finding = GIT_REF_UNPINNED
                    .at(
                        &locked.at.path,
                        format!(
                            "the lockfile pins `{name}` from `{url}` without a full commit SHA"
                        ),
                    )
                    .help("lock again so the resolved commit is recorded");
                out.push(locate(finding, &locked.at));
            }
        }
        LockedSource::Local => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_by_scheme_host_port_and_path_segments() {
        let key = |u: &str| url_key(u);
        assert_eq!(
            key("https://user:secret@PyPI.org:443/simple/"),
            key("https://pypi.org/simple")
        );
        assert_eq!(
            key("https://pypi.python.org/simple"),
            key("https://pypi.org/simple")
        );
        assert_ne!(
            key("http://pypi.org/simple"),
            key("https://pypi.org/simple")
        );
        assert_ne!(
            key("https://h.example/repos-evil"),
            key("https://h.example/repos")
        );
        assert_ne!(
            key("https://h.example:8443/simple"),
            key("https://h.example/simple")
        );
        let (Some(files), Some(pypi)) = (
            key("https://files.pythonhosted.org/packages/x.whl"),
            key("https://pypi.org/simple"),
        ) else {
            unreachable!("both parse")
        };
        assert_eq!(file_host(&files), file_host(&pypi));
    }
}
