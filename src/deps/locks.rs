//! Lockfiles: `uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml` (PEP 751) and `Pipfile.lock`.
//! Each locked package becomes a [`Locked`] fact with the source the tool resolved it from (this is
//! where transitive dependencies show up) and the hash algorithms it recorded.

use super::requirements::PYPI;
use super::text::LineIndex;
use super::toml_tree::{self as tt, Doc};
use super::{Facts, Location, Locked, LockedSource, Problem, ProblemKind, SourceFile, names};
use toml::de::DeTable;

fn algorithm(hash: &str) -> Option<String> {
    hash.split_once(':')
        .map(|(algorithm, _)| algorithm.to_ascii_lowercase())
}

/// The TOML lockfiles share one shape: an array of package tables with `name` and `version`;
/// `origin` reads where one package was resolved from and which hash algorithms it recorded.
fn read_toml_lock(
    file: &SourceFile<'_>,
    text: &str,
    array: &str,
    origin: fn(&DeTable<'_>) -> (LockedSource, Vec<String>),
) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    for (value, package) in tt::tables(doc.top(), &[array]) {
        let Some(name) = tt::field(package, "name") else {
            continue;
        };
        let (source, hashes) = origin(package);
        facts.locked.push(Locked {
            name: names::normalise(name),
            version: tt::field(package, "version").map(str::to_owned),
            source,
            hashes,
            // Where the entry is written: its `name` value, else the table.
            at: package
                .get("name")
                .map_or_else(|| doc.at(value), |v| doc.at(v)),
        });
    }
    facts
}

/// `uv.lock`: `[[package]]` with `source = { registry | git | url | path | directory | editable
/// | virtual }` and `sdist`/`wheels` hashes.
pub(crate) fn read_uv_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", uv_package)
}

fn uv_package(package: &DeTable<'_>) -> (LockedSource, Vec<String>) {
    let source = package.get("source").and_then(tt::table);
    let field = |key: &str| source.and_then(|s| tt::field(s, key));
    let locked_source = if let Some(url) = field("registry") {
        if names::looks_like_url(url) {
            LockedSource::Registry {
                url: url.to_owned(),
            }
        } else {
            LockedSource::Local
        }
    } else if let Some(git) = field("git") {
        let commit = git.rsplit_once('#').map(|(_, c)| c.to_owned());
        LockedSource::Vcs {
            url: format!("git+{}", git.split('#').next().unwrap_or(git)),
            commit,
        }
    } else if let Some(url) = field("url") {
        LockedSource::Url {
            url: url.to_owned(),
        }
    } else {
        LockedSource::Local
    };
    let mut hashes = Vec::new();
    if let Some(sdist) = package.get("sdist").and_then(tt::table) {
        hashes.extend(tt::field(sdist, "hash").and_then(algorithm));
    }
    for wheel in package.get("wheels").map(tt::array).unwrap_or_default() {
        if let Some(wheel) = tt::table(wheel) {
            hashes.extend(tt::field(wheel, "hash").and_then(algorithm));
        }
    }
    (locked_source, hashes)
}

/// `poetry.lock`: `[[package]]` with `files = [{file, hash}]` and, for anything not from PyPI,
/// `[package.source] type, url, reference, resolved_reference`.
pub(crate) fn read_poetry_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", poetry_package)
}

fn poetry_package(package: &DeTable<'_>) -> (LockedSource, Vec<String>) {
    let source = package.get("source").and_then(tt::table);
    let field = |key: &str| source.and_then(|s| tt::field(s, key));
    let locked_source = match (field("type"), field("url")) {
        (None, _) => LockedSource::Registry {
            url: PYPI.to_owned(),
        },
        (Some("legacy"), Some(url)) => LockedSource::Registry {
            url: url.to_owned(),
        },
        (Some("git"), Some(url)) => LockedSource::Vcs {
            url: format!("git+{url}"),
            commit: field("resolved_reference").map(str::to_owned),
        },
        (Some("url"), Some(url)) => LockedSource::Url {
            url: url.to_owned(),
        },
        _ => LockedSource::Local,
    };
    let hashes = package
        .get("files")
        .map(tt::array)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| tt::table(f).and_then(|t| tt::field(t, "hash")))
        .filter_map(algorithm)
        .collect();
    (locked_source, hashes)
}

/// `pdm.lock`: `[[package]]` with `files = [{file|url, hash}]`; origins are recorded only with
/// `--strategy static_urls`, so without URLs the source is whatever the manifest says.
pub(crate) fn read_pdm_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", pdm_package)
}

fn pdm_package(package: &DeTable<'_>) -> (LockedSource, Vec<String>) {
    let files: Vec<&DeTable<'_>> = package
        .get("files")
        .map(tt::array)
        .unwrap_or_default()
        .iter()
        .filter_map(tt::table)
        .collect();
    let locked_source = if let Some(git) = tt::field(package, "git") {
        LockedSource::Vcs {
            url: format!("git+{git}"),
            commit: tt::field(package, "revision").map(str::to_owned),
        }
    } else if let Some(url) = files.iter().find_map(|f| tt::field(f, "url")) {
        LockedSource::Url {
            url: url.to_owned(),
        }
    } else if package.get("path").is_some() || files.is_empty() {
        LockedSource::Local
    } else {
        LockedSource::Unrecorded
    };
    let hashes = files
        .iter()
        .filter_map(|f| tt::field(f, "hash"))
        .filter_map(algorithm)
        .collect();
    (locked_source, hashes)
}

/// `pylock.toml` (PEP 751): `[[packages]]` with `index`, `vcs`, `archive`, `directory`, `sdist`
/// and `wheels`, hashes as tables `{ sha256 = … }`.
pub(crate) fn read_pylock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "packages", pylock_package)
}

fn pylock_package(package: &DeTable<'_>) -> (LockedSource, Vec<String>) {
    let mut artifacts: Vec<&DeTable<'_>> = Vec::new();
    for key in ["sdist", "archive"] {
        artifacts.extend(package.get(key).and_then(tt::table));
    }
    artifacts.extend(
        package
            .get("wheels")
            .map(tt::array)
            .unwrap_or_default()
            .iter()
            .filter_map(tt::table),
    );
    let vcs = package.get("vcs").and_then(tt::table);
    let locked_source = if let Some(vcs) = vcs {
        LockedSource::Vcs {
            url: format!("git+{}", tt::field(vcs, "url").unwrap_or_default()),
            commit: tt::field(vcs, "commit-id").map(str::to_owned),
        }
    } else if package.get("directory").is_some() {
        LockedSource::Local
    } else if let Some(index) = tt::field(package, "index") {
        LockedSource::Registry {
            url: index.to_owned(),
        }
    } else if let Some(url) = artifacts.iter().find_map(|a| tt::field(a, "url")) {
        LockedSource::Url {
            url: url.to_owned(),
        }
    } else {
        LockedSource::Local
    };
    let mut hashes = Vec::new();
    for artifact in &artifacts {
        if let Some(table) = artifact.get("hashes").and_then(tt::table) {
            hashes.extend(tt::entries(table).map(|(k, _)| k.get_ref().to_ascii_lowercase()));
        }
    }
    (locked_source, hashes)
}

/// `Pipfile.lock` (JSON): `_meta.sources`, then `default`/`develop` maps whose entries carry
/// `index` (a source name), `hashes`, or `git` + `ref`. JSON has no positions in serde_json, so
/// each entry is located by its key in the text.
pub(crate) fn read_pipfile_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let json: serde_json::Value = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(error) => {
            facts.problems.push(Problem {
                kind: ProblemKind::Invalid,
                message: format!("not valid JSON, so Pipenv rejects it: {error}"),
                evidence: String::new(),
                at: Location::new(
                    file.display,
                    u32::try_from(error.line()).unwrap_or(1).max(1),
                    u32::try_from(error.column()).unwrap_or(1).max(1),
                ),
            });
            return facts;
        }
    };
    let sources: Vec<(String, String)> = json
        .pointer("/_meta/sources")
        .and_then(|s| s.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|s| {
                    Some((
                        s.get("name")?.as_str()?.to_owned(),
                        s.get("url")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let lines = LineIndex::new(text);
    for section in ["default", "develop"] {
        let Some(packages) = json.get(section).and_then(|p| p.as_object()) else {
            continue;
        };
        let section_start = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, entry) in packages {
            let offset = text
                .get(section_start..)
                .and_then(|rest| rest.find(&format!("\"{name}\"")))
                .map_or(section_start, |i| section_start + i);
            let (line, column) = lines.position(offset);
            let at = Location::new(file.display, line, column);
            let field = |key: &str| entry.get(key).and_then(|v| v.as_str());
            let locked_source = if let Some(git) = field("git") {
                LockedSource::Vcs {
                    url: format!("git+{}", git.trim_start_matches("git+")),
                    commit: field("ref").map(str::to_owned),
                }
            } else if let Some(url) = field("file") {
                LockedSource::Url {
                    url: url.to_owned(),
                }
            } else if entry.get("path").is_some() {
                LockedSource::Local
            } else {
                let index = field("index");
                let url = match index {
                    Some(index) => sources.iter().find(|(n, _)| n == index).map(|(_, u)| u),
                    None => sources.first().map(|(_, u)| u),
                };
                match url {
                    Some(url) => LockedSource::Registry { url: url.clone() },
                    None => LockedSource::Unrecorded,
                }
            };
            let hashes = entry
                .get("hashes")
                .and_then(|h| h.as_array())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|h| h.as_str().and_then(algorithm))
                        .collect()
                })
                .unwrap_or_default();
            facts.locked.push(Locked {
                name: names::normalise(name),
                version: field("version").map(|v| v.trim_start_matches("==").to_owned()),
                source: locked_source,
                hashes,
                at,
            });
        }
    }
    facts
}
