//! Project manifests: `pyproject.toml` (PEP 621 `[project]`, `[dependency-groups]`, `[tool.uv]`
//! with `[tool.uv.pip]`, `[tool.poetry]`, `[tool.pdm]`), `uv.toml` and `Pipfile`. Each front end
//! configured there becomes one [`Install`] in its tool's terms: the sources in priority order
//! (with the PyPI the tool adds unasked) and the declared dependencies with their source pins.
//! uv's `allow-insecure-host` is reported as a problem. `uv_view` gives a folder's uv
//! configuration (and project) as a uv command run there sees it, for `commands` to merge.

use super::names::{self, parse_pep508};
use super::requirements::PYPI;
use super::text::variables;
use super::toml_tree::{self as tt, Doc, Value};
use super::{
    Facts, Index, Install, Location, Origin, Problem, ProblemKind, Requirement, Role, SourceFile,
    Tool, inside_root,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

fn implicit_pypi(label: &str) -> Index {
    Index {
        url: PYPI.to_owned(),
        name: Some(label.to_owned()),
        role: Role::Primary,
        at: None,
        include: Vec::new(),
        exclude: Vec::new(),
    }
}

fn index(url: &str, name: Option<&str>, role: Role, at: Location) -> Index {
    Index {
        url: url.to_owned(),
        name: name.map(str::to_owned),
        role,
        at: Some(at),
        include: Vec::new(),
        exclude: Vec::new(),
    }
}

/// `${VAR}` in a source URL: the value is decided at install time.
fn variable_problems(url: &str, at: &Location, facts: &mut Facts) {
    for (_, name) in variables(url) {
        facts.problems.push(Problem {
            kind: ProblemKind::UnresolvedVariable,
            message: format!(
                "`${{{name}}}` in this source URL is only known at install time: the source cannot be checked"
            ),
            evidence: url.to_owned(),
            at: at.clone(),
        });
    }
}

fn invalid(facts: &mut Facts, message: String, evidence: &str, at: Location) {
    facts.problems.push(Problem {
        kind: ProblemKind::Invalid,
        message,
        evidence: evidence.to_owned(),
        at,
    });
}

/// A requirement from a PEP 508 string.
fn pep508(doc: &Doc<'_>, value: &Value<'_>, facts: &mut Facts) -> Option<Requirement> {
    let text = tt::string(value)?;
    let at = doc.at(value);
    match parse_pep508(text) {
        Ok(parsed) => {
            let name = Some(names::normalise(&parsed.name));
            let origin = match parsed.url {
                Some(url) => url_origin(&url),
                None => Origin::Registry { index: None },
            };
            Some(Requirement {
                name,
                origin,
                pinned: parsed.pinned,
                hashes: Vec::new(),
                constraint: false,
                manifest: true,
                at,
            })
        }
        Err(error) => {
            invalid(facts, format!("invalid dependency: {error}"), text, at);
            None
        }
    }
}

fn url_origin(url: &str) -> Origin {
    if names::is_vcs(url) {
        Origin::Vcs {
            url: url.to_owned(),
            reference: names::vcs_reference(url),
        }
    } else if url.to_ascii_lowercase().starts_with("file:") {
        Origin::Local
    } else {
        Origin::Url {
            url: url.to_owned(),
        }
    }
}

/// Where a dependency is declared: uv sources conditioned on an `extra` or `group` cover only
/// the dependencies declared in that extra or group.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Project,
    Extra(String),
    Group(String),
}

/// PEP 621 dependencies, optional dependencies and PEP 735 dependency groups, each with the
/// extra or group that declares it.
fn standard_requirements(doc: &Doc<'_>, facts: &mut Facts) -> Vec<(Scope, Requirement)> {
    let top = doc.top();
    let mut values: Vec<(Scope, &Value<'_>)> = Vec::new();
    if let Some(list) = tt::path(top, &["project", "dependencies"]) {
        values.extend(tt::array(list).iter().map(|v| (Scope::Project, v)));
    }
    let groups = |keys: &[&str], scope: fn(String) -> Scope, values: &mut Vec<_>| {
        if let Some(groups) = tt::path(top, keys).and_then(tt::table) {
            for (key, list) in tt::entries(groups) {
                let name = names::normalise(key.get_ref());
                values.extend(tt::array(list).iter().map(|v| (scope(name.clone()), v)));
            }
        }
    };
    groups(
        &["project", "optional-dependencies"],
        Scope::Extra,
        &mut values,
    );
    groups(&["dependency-groups"], Scope::Group, &mut values);
    if let Some(list) = tt::path(top, &["tool", "uv", "dev-dependencies"]) {
        values.extend(
            tt::array(list)
                .iter()
                .map(|v| (Scope::Group("dev".to_owned()), v)),
        );
    }
    groups(
        &["tool", "pdm", "dev-dependencies"],
        Scope::Group,
        &mut values,
    );
    values
        .into_iter()
        .filter_map(|(scope, v)| pep508(doc, v, facts).map(|r| (scope, r)))
        .collect()
}

/// What `pip install PROJECT` takes from a `pyproject.toml`: `[project] dependencies` only, with
/// no tool's source pins (pip ignores `[tool.uv.sources]`, Poetry and PDM sources). Syntax errors
/// are the pyproject reader's to report.
pub(crate) fn pip_view(file: &SourceFile<'_>, text: &str) -> Vec<Requirement> {
    let Ok(doc) = Doc::parse(file, text) else {
        return Vec::new();
    };
    let mut ignored = Facts::default();
    tt::path(doc.top(), &["project", "dependencies"])
        .map(tt::array)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| pep508(&doc, v, &mut ignored))
        .collect()
}

/// pdm-backend, a build backend any front end may use, reads `[tool.pdm.build]` and
/// `[tool.pdm.version]`. A `[tool.pdm]` holding nothing else configures no PDM project: reading
/// it as one would hide the `[tool.uv]` (or other) configuration the project is really installed
/// with, and invent PDM's PyPI default.
const PDM_BACKEND_KEYS: &[&str] = &["build", "version"];

/// Reads `pyproject.toml`. The file does not say which front end installs it, and several may
/// (a Poetry project with `[tool.uv]` for `uv pip`, a uv project that builds with pdm-backend):
/// every front end whose configuration is present becomes an install of its own, each with its
/// own sources applied to the dependencies. PDM counts when `[tool.pdm]` configures more than
/// the build backend, or a `pdm.lock` sits next to the file.
pub(crate) fn read_pyproject(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    let top = doc.top();
    let tool = |name: &str| tt::path(top, &["tool", name]).and_then(tt::table);
    let scoped = standard_requirements(&doc, &mut facts);
    let plain: Vec<Requirement> = scoped.iter().map(|(_, r)| r.clone()).collect();
    let at = Location::new(file.display, 1, 1);
    let mut installs = Vec::new();
    if let Some(poetry) = tool("poetry") {
        let mut requirements = plain.clone();
        let mut install = poetry_install(&doc, poetry, &mut requirements, &mut facts, at.clone());
        install.requirements = requirements;
        installs.push(install);
    }
    let pdm_lock = file.path.with_file_name("pdm.lock");
    if let Some(pdm) = tool("pdm")
        && (tt::entries(pdm).any(|(k, _)| !PDM_BACKEND_KEYS.contains(&k.get_ref().as_ref()))
            || std::fs::symlink_metadata(&pdm_lock).is_ok())
    {
        let mut install = pdm_install(&doc, pdm, &mut facts, at.clone());
        install.requirements.clone_from(&plain);
        installs.push(install);
    }
    if let Some(uv) = tool("uv") {
        // A `uv.toml` next to the project holds its uv settings too (uv prefers it to
        // `[tool.uv]`, but `[[tool.uv.index]]` still serves the sources): both are read, so
        // neither an index nor `index-strategy` is missed. Its own problems are reported by
        // `read_uv_toml`.
        let sibling = sibling_uv_toml(file);
        let sibling_path = file.path.with_file_name("uv.toml");
        let sibling_doc = sibling.as_ref().and_then(|(display, text)| {
            let sibling_file = SourceFile {
                display,
                path: &sibling_path,
                root: file.root,
            };
            Doc::parse(&sibling_file, text).ok()
        });
        let mut layers = Vec::new();
        if let Some(sibling) = &sibling_doc {
            layers.push(Layer {
                doc: sibling,
                table: sibling.top(),
            });
        }
        layers.push(Layer {
            doc: &doc,
            table: uv,
        });
        let what = format!("{} [tool.uv]", file.display);
        let mut install = uv_install(&layers, &mut facts, at.clone(), &what);
        let mut requirements = scoped.clone();
        uv_sources(&doc, uv, &mut requirements, &install, &mut facts);
        install.requirements = requirements.into_iter().map(|(_, r)| r).collect();
        insecure_hosts(&doc, uv, &mut facts);
        // `[tool.uv.pip]` (over the top-level settings) configures `uv pip` commands, which
        // resolve the project's requirements with it (`uv pip install -r pyproject.toml`, `.`).
        let pip_layers = pip_layers(&layers);
        if let Some(pip) = uv.get("pip").and_then(tt::table) {
            insecure_hosts(&doc, pip, &mut facts);
        }
        if pip_layers.len() > layers.len() {
            let what = format!("{} [tool.uv.pip]", file.display);
            let mut pip_install = uv_install(&pip_layers, &mut facts, at.clone(), &what);
            pip_install.requirements.clone_from(&install.requirements);
            installs.push(install);
            installs.push(pip_install);
        } else {
            installs.push(install);
        }
    }
    if installs.is_empty() {
        if plain.is_empty() {
            return facts;
        }
        // Plain PEP 621: `pip install .` resolves the dependencies from pip's default index.
        installs.push(Install {
            tool: Tool::Pip,
            what: file.display.to_owned(),
            at,
            indexes: vec![implicit_pypi("PyPI (pip's default)")],
            requirements: plain,
            pins_expected: false,
            require_hashes: false,
        });
    }
    facts.installs.extend(installs);
    facts
}

/// What a uv command run in a folder takes from the files there: which configuration tables it
/// reads and whether it installs the project.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UvView {
    /// `uv pip …`: `[tool.uv.pip]` / `[pip]` over the top-level settings, and no project.
    pub(crate) pip: bool,
    /// `--no-config`, `UV_NO_CONFIG`, `--isolated`: neither `uv.toml` nor `[tool.uv]` is read.
    pub(crate) config: bool,
    /// `--no-sources`, `UV_NO_SOURCES`: `[tool.uv.sources]` pins are ignored.
    pub(crate) sources: bool,
}

/// The uv configuration (a `uv.toml`, then `[tool.uv]`) in `dir`, a folder inside ROOT, as a uv
/// command run there sees it: its indexes in priority order and its strategy, plus, for project
/// commands (`uv sync`, `uv lock`, …), the project's dependencies with its source pins. `None`
/// when the folder has nothing for this view: for `uv pip`, no uv configuration (uv then keeps
/// looking in the parent folder); for a project command, no `pyproject.toml`. Problems in these
/// files are left to their own readers.
pub(crate) fn uv_view(root: &Path, dir: &Path, view: UvView) -> Option<Install> {
    let read = |name: &str| {
        let (canonical, display) = inside_root(root, &dir.join(name))?;
        let text = super::read_text(&canonical).ok()?;
        Some((canonical, display, text))
    };
    let pyproject = read("pyproject.toml");
    let uv_toml = if view.config { read("uv.toml") } else { None };
    if !view.pip && pyproject.is_none() {
        return None;
    }
    fn parse<'a>(
        root: &'a Path,
        (canonical, display, text): &'a (PathBuf, String, String),
    ) -> Option<Doc<'a>> {
        let file = SourceFile {
            display: display.as_str(),
            path: canonical.as_path(),
            root,
        };
        Doc::parse(&file, text.as_str()).ok()
    }
    let uv_doc = uv_toml.as_ref().and_then(|f| parse(root, f));
    let project_doc = pyproject.as_ref().and_then(|f| parse(root, f));
    let tool_uv = project_doc
        .as_ref()
        .and_then(|doc| tt::path(doc.top(), &["tool", "uv"]).and_then(tt::table));
    let mut layers = Vec::new();
    if let Some(doc) = &uv_doc {
        layers.push(Layer {
            doc,
            table: doc.top(),
        });
    }
    if view.config
        && let (Some(doc), Some(table)) = (&project_doc, tool_uv)
    {
        layers.push(Layer { doc, table });
    }
    if view.pip && layers.is_empty() {
        return None;
    }
    let layers = if view.pip {
        pip_layers(&layers)
    } else {
        layers
    };
    let mut ignored = Facts::default();
    let what = match (&uv_toml, &pyproject) {
        (Some((_, display, _)), _) | (None, Some((_, display, _))) => display.clone(),
        (None, None) => String::new(),
    };
    let mut install = uv_install(&layers, &mut ignored, Location::new(&what, 1, 1), &what);
    if !view.pip
        && let Some(doc) = &project_doc
    {
        let mut requirements = standard_requirements(doc, &mut ignored);
        if view.config
            && view.sources
            && let Some(uv) = tool_uv
        {
            uv_sources(doc, uv, &mut requirements, &install, &mut ignored);
        }
        install.requirements = requirements.into_iter().map(|(_, r)| r).collect();
    }
    Some(install)
}

/// The `uv.toml` in the same folder as `file`: (display path, text), when it can be read.
fn sibling_uv_toml(file: &SourceFile<'_>) -> Option<(String, String)> {
    let path = file.path.with_file_name("uv.toml");
    let text = super::read_text(&path).ok()?;
    let display = match file.display.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/uv.toml"),
        None => "uv.toml".to_owned(),
    };
    Some((display, text))
}

/// Reads `uv.toml` (the same settings as `[tool.uv]`, at the top level; `[pip]` for `uv pip`).
pub(crate) fn read_uv_toml(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    let at = Location::new(file.display, 1, 1);
    let layers = [Layer {
        doc: &doc,
        table: doc.top(),
    }];
    let install = uv_install(&layers, &mut facts, at.clone(), file.display);
    facts.installs.push(install);
    insecure_hosts(&doc, doc.top(), &mut facts);
    if let Some(pip) = doc.top().get("pip").and_then(tt::table) {
        insecure_hosts(&doc, pip, &mut facts);
        let what = format!("{} [pip]", file.display);
        let install = uv_install(&pip_layers(&layers), &mut facts, at, &what);
        facts.installs.push(install);
    }
    facts
}

/// One table of uv settings and the document it is written in.
#[derive(Clone, Copy)]
struct Layer<'a, 'i> {
    doc: &'a Doc<'i>,
    table: &'a DeTable<'i>,
}

/// The settings `uv pip` reads: each layer's `[pip]` table first (it overrides), then the
/// top-level settings. Has no more layers than `layers` when no `[pip]` table exists.
fn pip_layers<'a, 'i>(layers: &[Layer<'a, 'i>]) -> Vec<Layer<'a, 'i>> {
    let mut out: Vec<Layer<'a, 'i>> = layers
        .iter()
        .filter_map(|layer| {
            let pip = layer.table.get("pip").and_then(tt::table)?;
            Some(Layer {
                doc: layer.doc,
                table: pip,
            })
        })
        .collect();
    out.extend_from_slice(layers);
    out
}

/// `allow-insecure-host`: uv skips TLS certificate checks for these hosts, like pip's
/// `--trusted-host`.
fn insecure_hosts(doc: &Doc<'_>, table: &DeTable<'_>, facts: &mut Facts) {
    let Some(value) = table.get("allow-insecure-host") else {
        return;
    };
    let hosts: Vec<&Value<'_>> = match value.get_ref() {
        DeValue::Array(items) => items.iter().collect(),
        _ => vec![value],
    };
    for host in hosts {
        let Some(text) = tt::string(host) else {
            continue;
        };
        facts.problems.push(Problem {
            kind: ProblemKind::Insecure,
            message: format!(
                "`allow-insecure-host` turns off TLS certificate checks for `{text}`: anyone on the path can replace packages"
            ),
            evidence: text.to_owned(),
            at: doc.at(host),
        });
    }
}

/// uv's indexes in priority order: `[[index]]` and `extra-index-url` first, `find-links` merged,
/// the default index (`default = true`, `index-url`, else PyPI) last. `layers` are in precedence
/// order (the first that sets `index-url`/`index-strategy` wins); the lists of all layers are
/// kept, so an index is never missed.
fn uv_install(layers: &[Layer<'_, '_>], facts: &mut Facts, at: Location, what: &str) -> Install {
    let mut first = Vec::new();
    let mut default = None;
    let mut strategy = None;
    let mut no_index = false;
    for &Layer { doc, table: uv } in layers {
        for (value, entry) in tt::tables(uv, &["index"]) {
            let here = doc.at(value);
            let Some(url) = tt::field(entry, "url") else {
                invalid(
                    facts,
                    "a `[[tool.uv.index]]` needs a `url`".to_owned(),
                    "",
                    here,
                );
                continue;
            };
            let name = tt::field(entry, "name");
            let explicit = entry.get("explicit").and_then(tt::boolean) == Some(true);
            let is_default = entry.get("default").and_then(tt::boolean) == Some(true);
            let url_at = entry.get("url").map_or(here, |v| doc.at(v));
            variable_problems(url, &url_at, facts);
            if is_default {
                // The first default in precedence order is uv's; a later one is never asked.
                if default.is_none() {
                    default = Some(index(url, name, Role::Primary, url_at));
                }
            } else {
                let role = if explicit {
                    Role::Explicit
                } else {
                    Role::Extra
                };
                first.push(index(url, name, role, url_at));
            }
        }
        for value in uv.get("extra-index-url").map(tt::array).unwrap_or_default() {
            if let Some(url) = tt::string(value) {
                let here = doc.at(value);
                variable_problems(url, &here, facts);
                first.push(index(url, None, Role::Extra, here));
            }
        }
        for value in uv.get("find-links").map(tt::array).unwrap_or_default() {
            if let Some(url) = tt::string(value)
                && names::looks_like_url(url)
            {
                first.push(index(url, None, Role::FindLinks, doc.at(value)));
            }
        }
        if let Some(value) = uv.get("index-url")
            && let Some(url) = tt::string(value)
        {
            let here = doc.at(value);
            variable_problems(url, &here, facts);
            // A layer that takes precedence may have set the default already: uv then
            // never asks this one.
            if default.is_none() {
                default = Some(index(url, None, Role::Primary, here));
            }
        }
        no_index |= uv.get("no-index").and_then(tt::boolean) == Some(true);
        if strategy.is_none() {
            strategy = uv.get("index-strategy").and_then(tt::string);
        }
    }
    // `unsafe-first-match` also looks past the first index that has the name (when its versions
    // do not satisfy the request), so a later index can serve a restricted name: judged like
    // `unsafe-best-match`, failing closed.
    let best_match = matches!(strategy, Some("unsafe-best-match" | "unsafe-first-match"));
    let mut indexes = first;
    if !no_index {
        indexes.push(default.unwrap_or_else(|| implicit_pypi("PyPI (uv's default)")));
    }
    Install {
        tool: Tool::Uv { best_match },
        what: what.to_owned(),
        at,
        indexes,
        requirements: Vec::new(),
        pins_expected: false,
        require_hashes: false,
    }
}

/// One `[tool.uv.sources]` entry: where it binds the name, and the condition (`marker`,
/// `extra`, `group`) under which it applies, if any.
struct Binding {
    origin: Origin,
    at: Location,
    marker: Option<Location>,
    extra: Option<(String, Location)>,
    group: Option<(String, Location)>,
}

impl Binding {
    /// Does it apply wherever a dependency declared in `scope` is installed? A `marker` holds
    /// only on some platforms; an `extra`/`group` condition only when that extra or group is
    /// requested, which is always the case for a dependency declared in it.
    fn covers(&self, scope: &Scope) -> bool {
        self.marker.is_none()
            && self
                .extra
                .as_ref()
                .is_none_or(|(e, _)| *scope == Scope::Extra(e.clone()))
            && self
                .group
                .as_ref()
                .is_none_or(|(g, _)| *scope == Scope::Group(g.clone()))
    }

    /// Where its condition is written.
    fn condition_at(&self) -> Option<&Location> {
        self.marker
            .as_ref()
            .or(self.extra.as_ref().map(|(_, at)| at))
            .or(self.group.as_ref().map(|(_, at)| at))
    }
}

/// `[tool.uv.sources]`: binds direct dependencies to an index, a git repository, a URL or a path.
/// A binding with a `marker` (or an `extra`/`group` the dependency is not declared in) applies
/// only where it holds; elsewhere uv resolves the name from its default indexes as if unbound.
/// Such a dependency is therefore kept once per binding *and* once unbound (at the condition),
/// so the judge sees every place it can come from.
fn uv_sources(
    doc: &Doc<'_>,
    uv: &DeTable<'_>,
    requirements: &mut Vec<(Scope, Requirement)>,
    install: &Install,
    facts: &mut Facts,
) {
    let Some(sources) = uv.get("sources").and_then(tt::table) else {
        return;
    };
    for (key, value) in tt::entries(sources) {
        let name = names::normalise(key.get_ref());
        // A list of sources (one per platform marker): each entry applies somewhere.
        let entries: Vec<&Value<'_>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => vec![value],
        };
        let mut bindings = Vec::new();
        for entry_value in entries {
            let Some(entry) = tt::table(entry_value) else {
                continue;
            };
            let at = doc.at(entry_value);
            let origin = if let Some(index_name) = tt::field(entry, "index") {
                if !install
                    .indexes
                    .iter()
                    .any(|i| i.name.as_deref() == Some(index_name))
                {
                    invalid(
                        facts,
                        format!(
                            "`{name}` is bound to index `{index_name}`, which `[[tool.uv.index]]` does not define (uv rejects this)"
                        ),
                        index_name,
                        at.clone(),
                    );
                }
                Origin::Registry {
                    index: Some(index_name.to_owned()),
                }
            } else if let Some(git) = tt::field(entry, "git") {
                let reference = ["rev", "tag", "branch"]
                    .iter()
                    .find_map(|k| tt::field(entry, k))
                    .map(str::to_owned);
                Origin::Vcs {
                    url: format!("git+{git}"),
                    reference,
                }
            } else if let Some(url) = tt::field(entry, "url") {
                Origin::Url {
                    url: url.to_owned(),
                }
            } else {
                Origin::Local
            };
            // Any `marker` value, even one that is not a string, makes the entry conditional.
            let condition = |key: &str| {
                entry.get(key).map(|v| {
                    (
                        names::normalise(tt::string(v).unwrap_or_default()),
                        doc.at(v),
                    )
                })
            };
            bindings.push(Binding {
                origin,
                at,
                marker: entry.get("marker").map(|v| doc.at(v)),
                extra: condition("extra"),
                group: condition("group"),
            });
        }
        bind(requirements, &name, &bindings);
    }
}

/// Applies the source bindings of `name` to the matching declared dependencies that name no URL
/// themselves; a binding for a name that is not declared does nothing (the tool ignores it too).
fn bind(requirements: &mut Vec<(Scope, Requirement)>, name: &str, bindings: &[Binding]) {
    if bindings.is_empty() {
        return;
    }
    let mut out = Vec::with_capacity(requirements.len());
    for (scope, requirement) in requirements.drain(..) {
        if requirement.name.as_deref() != Some(name)
            || !matches!(requirement.origin, Origin::Registry { .. })
        {
            out.push((scope, requirement));
            continue;
        }
        let unbound = (!bindings.iter().any(|b| b.covers(&scope))).then(|| {
            let mut fallback = requirement.clone();
            fallback.origin = Origin::Registry { index: None };
            if let Some(at) = bindings.iter().find_map(Binding::condition_at) {
                fallback.at = at.clone();
            }
            fallback
        });
        for binding in bindings {
            let mut bound = requirement.clone();
            // An index pin is reported at the dependency; another kind of source at the entry
            // that names it.
            if !matches!(binding.origin, Origin::Registry { .. }) {
                bound.at = binding.at.clone();
            }
            bound.origin = binding.origin.clone();
            out.push((scope.clone(), bound));
        }
        out.extend(unbound.map(|r| (scope, r)));
    }
    *requirements = out;
}

/// `[tool.poetry]`: `[[tool.poetry.source]]` with priorities and per-dependency `source =`.
fn poetry_install(
    doc: &Doc<'_>,
    poetry: &DeTable<'_>,
    requirements: &mut Vec<Requirement>,
    facts: &mut Facts,
    at: Location,
) -> Install {
    let mut indexes = Vec::new();
    let mut has_primary = false;
    for (value, entry) in tt::tables(poetry, &["source"]) {
        let here = doc.at(value);
        let name = tt::field(entry, "name");
        let url = tt::field(entry, "url").or_else(|| {
            name.filter(|n| n.eq_ignore_ascii_case("pypi"))
                .map(|_| PYPI)
        });
        let Some(url) = url else {
            invalid(
                facts,
                "a `[[tool.poetry.source]]` needs a `url`".to_owned(),
                "",
                here,
            );
            continue;
        };
        let url_at = entry.get("url").map_or(here.clone(), |v| doc.at(v));
        variable_problems(url, &url_at, facts);
        let priority = tt::field(entry, "priority").unwrap_or("primary");
        let role = match priority {
            "primary" => Role::Primary,
            "supplemental" => Role::Supplemental,
            "explicit" => Role::Explicit,
            other => {
                invalid(
                    facts,
                    format!(
                        "Poetry 2 rejects source priority `{other}` (use primary, supplemental or explicit)"
                    ),
                    other,
                    here.clone(),
                );
                Role::Primary
            }
        };
        has_primary |= role == Role::Primary;
        indexes.push(index(url, name, role, url_at));
    }
    if !has_primary {
        // Poetry adds PyPI as the primary source unless a primary source is configured.
        indexes.insert(0, implicit_pypi("PyPI (Poetry's default)"));
    }
    let mut tables = vec![poetry.get("dependencies"), poetry.get("dev-dependencies")];
    if let Some(groups) = poetry.get("group").and_then(tt::table) {
        for (_, group) in tt::entries(groups) {
            tables.push(tt::table(group).and_then(|g| g.get("dependencies")));
        }
    }
    for deps in tables.into_iter().flatten().filter_map(tt::table) {
        for (key, value) in tt::entries(deps) {
            let raw = key.get_ref().as_ref();
            if raw.eq_ignore_ascii_case("python") {
                continue;
            }
            let name = names::normalise(raw);
            let at = doc.at_offset(key.span().start);
            let requirement = poetry_dependency(&name, value, at);
            // PEP 621 `[project]` dependencies are enriched by `[tool.poetry.dependencies]`.
            if let Some(existing) = requirements
                .iter_mut()
                .find(|r| r.name.as_deref() == Some(name.as_str()))
            {
                if !matches!(requirement.origin, Origin::Registry { index: None }) {
                    *existing = requirement;
                }
            } else {
                requirements.push(requirement);
            }
        }
    }
    Install {
        tool: Tool::Poetry,
        what: "pyproject.toml [tool.poetry]".to_owned(),
        at,
        indexes,
        requirements: Vec::new(),
        pins_expected: false,
        require_hashes: false,
    }
}

fn poetry_dependency(name: &str, value: &Value<'_>, at: Location) -> Requirement {
    let exact = |v: &str| {
        let v = v.trim();
        v.starts_with("==")
            || v.chars().next().is_some_and(|c| c.is_ascii_digit())
                && !v.contains(['*', ',', '<', '>', '^', '~', '|'])
    };
    let (origin, pinned) = match value.get_ref() {
        DeValue::String(version) => (Origin::Registry { index: None }, exact(version)),
        DeValue::Table(spec) => {
            let pinned = tt::field(spec, "version").is_some_and(exact);
            let origin = if let Some(git) = tt::field(spec, "git") {
                Origin::Vcs {
                    url: format!("git+{git}"),
                    reference: ["rev", "tag", "branch"]
                        .iter()
                        .find_map(|k| tt::field(spec, k))
                        .map(str::to_owned),
                }
            } else if let Some(url) = tt::field(spec, "url") {
                Origin::Url {
                    url: url.to_owned(),
                }
            } else if spec.get("path").is_some() {
                Origin::Local
            } else {
                Origin::Registry {
                    index: tt::field(spec, "source").map(str::to_owned),
                }
            };
            (origin, pinned)
        }
        _ => (Origin::Registry { index: None }, false),
    };
    Requirement {
        name: Some(name.to_owned()),
        origin,
        pinned,
        hashes: Vec::new(),
        constraint: false,
        manifest: true,
        at,
    }
}

/// `[tool.pdm]`: sources with `include_packages`/`exclude_packages`, `respect-source-order`.
fn pdm_install(doc: &Doc<'_>, pdm: &DeTable<'_>, facts: &mut Facts, at: Location) -> Install {
    let mut indexes = Vec::new();
    let mut replaces_pypi = false;
    for (value, entry) in tt::tables(pdm, &["source"]) {
        let here = doc.at(value);
        let name = tt::field(entry, "name");
        let Some(url) = tt::field(entry, "url") else {
            invalid(
                facts,
                "a `[[tool.pdm.source]]` needs a `url`".to_owned(),
                "",
                here,
            );
            continue;
        };
        let url_at = entry.get("url").map_or(here.clone(), |v| doc.at(v));
        variable_problems(url, &url_at, facts);
        if entry.get("verify_ssl").and_then(tt::boolean) == Some(false) {
            facts.problems.push(Problem {
                kind: ProblemKind::Insecure,
                message: format!(
                    "`verify_ssl = false` turns off TLS certificate checks for `{url}`"
                ),
                evidence: url.to_owned(),
                at: here.clone(),
            });
        }
        replaces_pypi |= name.is_some_and(|n| n.eq_ignore_ascii_case("pypi"));
        let role = if tt::field(entry, "type") == Some("find_links") {
            Role::FindLinks
        } else {
            Role::Primary
        };
        let globs = |key: &str| -> Vec<String> {
            entry
                .get(key)
                .map(tt::array)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| tt::string(v).map(str::to_owned))
                .collect()
        };
        let mut source = index(url, name, role, url_at);
        source.include = globs("include_packages");
        source.exclude = globs("exclude_packages");
        indexes.push(source);
    }
    if !replaces_pypi {
        indexes.insert(0, implicit_pypi("PyPI (PDM's default)"));
    }
    let respect_order =
        tt::path(pdm, &["resolution", "respect-source-order"]).and_then(tt::boolean) == Some(true);
    Install {
        tool: Tool::Pdm { respect_order },
        what: "pyproject.toml [tool.pdm]".to_owned(),
        at,
        indexes,
        requirements: Vec::new(),
        pins_expected: false,
        require_hashes: false,
    }
}

/// Reads a `Pipfile`: `[[source]]` in order (the first is the default), `[packages]` and
/// `[dev-packages]` with `index =`, `[pipenv] install_search_all_sources`.
pub(crate) fn read_pipfile(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    let top = doc.top();
    let mut indexes = Vec::new();
    for (value, entry) in tt::tables(top, &["source"]) {
        let here = doc.at(value);
        let Some(url) = tt::field(entry, "url") else {
            invalid(
                &mut facts,
                "a `[[source]]` needs a `url`".to_owned(),
                "",
                here,
            );
            continue;
        };
        let url_at = entry.get("url").map_or(here.clone(), |v| doc.at(v));
        variable_problems(url, &url_at, &mut facts);
        if entry.get("verify_ssl").and_then(tt::boolean) == Some(false) {
            facts.problems.push(Problem {
                kind: ProblemKind::Insecure,
                message: format!(
                    "`verify_ssl = false` turns off TLS certificate checks for `{url}`"
                ),
                evidence: url.to_owned(),
                at: entry.get("verify_ssl").map_or(here, |v| doc.at(v)),
            });
        }
        indexes.push(index(url, tt::field(entry, "name"), Role::Primary, url_at));
    }
    if indexes.is_empty() {
        indexes.push(implicit_pypi("PyPI (Pipenv's default)"));
    }
    let search_all = tt::path(top, &["pipenv", "install_search_all_sources"]).and_then(tt::boolean)
        == Some(true);
    let known: BTreeMap<String, ()> = indexes
        .iter()
        .filter_map(|i| i.name.clone().map(|n| (n, ())))
        .collect();
    let mut requirements = Vec::new();
    for section in ["packages", "dev-packages"] {
        let Some(packages) = top.get(section).and_then(tt::table) else {
            continue;
        };
        for (key, value) in tt::entries(packages) {
            let name = names::normalise(key.get_ref());
            let at = doc.at_offset(key.span().start);
            let (origin, pinned) = match value.get_ref() {
                DeValue::String(version) => (
                    Origin::Registry { index: None },
                    version.trim().starts_with("=="),
                ),
                DeValue::Table(spec) => {
                    let pinned =
                        tt::field(spec, "version").is_some_and(|v| v.trim().starts_with("=="));
                    let origin = if let Some(git) = tt::field(spec, "git") {
                        Origin::Vcs {
                            url: format!("git+{}", git.trim_start_matches("git+")),
                            reference: tt::field(spec, "ref").map(str::to_owned),
                        }
                    } else if let Some(url) = tt::field(spec, "file") {
                        url_origin(url)
                    } else if spec.get("path").is_some() {
                        Origin::Local
                    } else {
                        let pin = tt::field(spec, "index").map(str::to_owned);
                        if let Some(pin) = &pin
                            && !known.contains_key(pin)
                        {
                            invalid(
                                &mut facts,
                                format!(
                                    "`{name}` names index `{pin}`, which no `[[source]]` defines"
                                ),
                                pin,
                                at.clone(),
                            );
                        }
                        Origin::Registry { index: pin }
                    };
                    (origin, pinned)
                }
                _ => (Origin::Registry { index: None }, false),
            };
            requirements.push(Requirement {
                name: Some(name),
                origin,
                pinned,
                hashes: Vec::new(),
                constraint: false,
                manifest: true,
                at,
            });
        }
    }
    facts.installs.push(Install {
        tool: Tool::Pipenv { search_all },
        what: file.display.to_owned(),
        at: Location::new(file.display, 1, 1),
        indexes,
        requirements,
        pins_expected: false,
        require_hashes: false,
    });
    facts
}
