//! Project manifests: `pyproject.toml` (PEP 621 `[project]`, `[dependency-groups]`, `[tool.uv]`,
//! `[tool.poetry]`, `[tool.pdm]`), `uv.toml` and `Pipfile`. Each becomes one [`Install`] in its
//! tool's terms: the sources in priority order (with the PyPI the tool adds unasked) and the
//! declared dependencies with their source pins.

use super::names::{self, parse_pep508};
use super::requirements::PYPI;
use super::text::variables;
use super::toml_tree::{self as tt, Doc, Value};
use super::{
    Facts, Index, Install, Location, Origin, Problem, ProblemKind, Requirement, Role, SourceFile,
    Tool,
};
use std::collections::BTreeMap;
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

/// PEP 621 dependencies, optional dependencies and PEP 735 dependency groups.
fn standard_requirements(doc: &Doc<'_>, facts: &mut Facts) -> Vec<Requirement> {
    let top = doc.top();
    let mut values: Vec<&Value<'_>> = Vec::new();
    if let Some(list) = tt::path(top, &["project", "dependencies"]) {
        values.extend(tt::array(list));
    }
    for key in [
        &["project", "optional-dependencies"][..],
        &["dependency-groups"][..],
    ] {
        if let Some(groups) = tt::path(top, key).and_then(tt::table) {
            for (_, list) in tt::entries(groups) {
                values.extend(tt::array(list));
            }
        }
    }
    if let Some(list) = tt::path(top, &["tool", "uv", "dev-dependencies"]) {
        values.extend(tt::array(list));
    }
    if let Some(groups) = tt::path(top, &["tool", "pdm", "dev-dependencies"]).and_then(tt::table) {
        for (_, list) in tt::entries(groups) {
            values.extend(tt::array(list));
        }
    }
    values
        .into_iter()
        .filter_map(|v| pep508(doc, v, facts))
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

/// Reads `pyproject.toml`.
pub(crate) fn read_pyproject(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    let top = doc.top();
    let tool = |name: &str| tt::path(top, &["tool", name]).and_then(tt::table);
    let mut requirements = standard_requirements(&doc, &mut facts);
    let at = Location::new(file.display, 1, 1);
    let install = if let Some(poetry) = tool("poetry") {
        poetry_install(&doc, poetry, &mut requirements, &mut facts, at)
    } else if let Some(pdm) = tool("pdm") {
        pdm_install(&doc, pdm, &mut facts, at)
    } else if let Some(uv) = tool("uv") {
        let mut install = uv_install(&doc, uv, &mut facts, at, "pyproject.toml [tool.uv]");
        uv_sources(&doc, uv, &mut requirements, &install, &mut facts);
        install.what = format!("{} [tool.uv]", file.display);
        install
    } else if requirements.is_empty() {
        return facts;
    } else {
        // Plain PEP 621: `pip install .` resolves the dependencies from pip's default index.
        Install {
            tool: Tool::Pip,
            what: file.display.to_owned(),
            at,
            indexes: vec![implicit_pypi("PyPI (pip's default)")],
            requirements: Vec::new(),
            pins_expected: false,
            require_hashes: false,
        }
    };
    let mut install = install;
    install.requirements.extend(requirements);
    facts.installs.push(install);
    facts
}

/// Reads `uv.toml` (the same settings as `[tool.uv]`, at the top level).
pub(crate) fn read_uv_toml(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    let at = Location::new(file.display, 1, 1);
    let install = uv_install(&doc, doc.top(), &mut facts, at, file.display);
    facts.installs.push(install);
    facts
}

/// uv's indexes in priority order: `[[index]]` and `extra-index-url` first, `find-links` merged,
/// the default index (`default = true`, `index-url`, else PyPI) last.
fn uv_install(
    doc: &Doc<'_>,
    uv: &DeTable<'_>,
    facts: &mut Facts,
    at: Location,
    what: &str,
) -> Install {
    let mut first = Vec::new();
    let mut default = None;
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
            default = Some(index(url, name, Role::Primary, url_at));
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
        && default.is_none()
    {
        let here = doc.at(value);
        variable_problems(url, &here, facts);
        default = Some(index(url, None, Role::Primary, here));
    }
    let no_index = uv.get("no-index").and_then(tt::boolean) == Some(true);
    let best_match = uv.get("index-strategy").and_then(tt::string) == Some("unsafe-best-match");
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

/// `[tool.uv.sources]`: binds direct dependencies to an index, a git repository, a URL or a path.
fn uv_sources(
    doc: &Doc<'_>,
    uv: &DeTable<'_>,
    requirements: &mut [Requirement],
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
            bind(requirements, &name, origin, at);
        }
    }
}

/// Applies a source binding to the matching declared dependencies; a binding for a name that is
/// not declared does nothing (the tool ignores it too).
fn bind(requirements: &mut [Requirement], name: &str, origin: Origin, at: Location) {
    for requirement in requirements
        .iter_mut()
        .filter(|r| r.name.as_deref() == Some(name))
    {
        if let (Origin::Registry { .. }, Origin::Registry { .. }) = (&requirement.origin, &origin) {
            requirement.origin = origin.clone();
        } else if matches!(requirement.origin, Origin::Registry { .. }) {
            requirement.origin = origin.clone();
            requirement.at = at.clone();
        }
    }
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
