//! Lockfiles: `uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml` (PEP 751) and `Pipfile.lock`.
//! Each locked package becomes a [`Locked`] fact with the source the tool resolved it from (this is
//! where transitive dependencies show up) and the hash algorithms it recorded, plus one
//! [`LockedSource::Url`] fact per artifact URL it lists (what the installer actually downloads).

use super::requirements::PYPI;
use super::text::LineIndex;
use super::toml_tree::{self as tt, Doc, Value};
use super::{Facts, Location, Locked, LockedSource, Problem, ProblemKind, SourceFile, names};
use toml::de::DeTable;

fn algorithm(hash: &str) -> Option<String> {
    hash.split_once(':')
        .map(|(algorithm, _)| algorithm.to_ascii_lowercase())
}

/// Where one locked package comes from: the source the lockfile records for it (at its `name`)
/// and, separately, every artifact URL it lists. Installers download the listed URLs, which need
/// not lie on the recorded index, so each one is a fact of its own at its `url` value.
struct Origins<'a, 'i> {
    source: LockedSource,
    /// Algorithms of every hash recorded for the package.
    hashes: Vec<String>,
    /// (URL, its hash algorithms, the `url` value).
    artifacts: Vec<(String, Vec<String>, &'a Value<'i>)>,
}

/// A downloadable artifact URL the recorded source does not already account for: not a local
/// `file:` URL (nothing is fetched) and not served by `source` (see [`served_by`]).
fn remote_artifact(url: &str, source: &LockedSource) -> bool {
    names::looks_like_url(url)
        && !url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("file:"))
        && !served_by(source, url)
}

/// Whether `source` serves the file at `url`, so the fact for the source already judges it:
/// PyPI's files live on files.pythonhosted.org; another index's files lie under the index's
/// tree (its path without the final `simple`), and a URL source's siblings under its folder.
/// Only the path tree counts, not the host: one Artifactory or Nexus host serves several
/// repositories, and a file from a sibling repository is a source of its own.
fn served_by(source: &LockedSource, url: &str) -> bool {
    let (base, index) = match source {
        LockedSource::Registry { url } => (url.as_str(), true),
        LockedSource::Url { url } => (url.as_str(), false),
        _ => return false,
    };
    let (Ok(base), Ok(file)) = (url::Url::parse(base.trim()), url::Url::parse(url.trim())) else {
        return false;
    };
    let host = |u: &url::Url| u.host_str().map(str::to_ascii_lowercase);
    if index
        && matches!(host(&base).as_deref(), Some("pypi.org" | "pypi.python.org"))
        && base.scheme() == "https"
        && file.scheme() == "https"
        && host(&file).as_deref() == Some("files.pythonhosted.org")
    {
        return true;
    }
    if base.scheme() != file.scheme()
        || host(&base) != host(&file)
        || base.port_or_known_default() != file.port_or_known_default()
    {
        return false;
    }
    let mut tree: Vec<&str> = base
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if index {
        if tree
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("simple"))
        {
            tree.pop();
        }
    } else {
        tree.pop();
    }
    let path: Vec<&str> = file
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    path.len() > tree.len() && path.starts_with(&tree)
}

/// The TOML lockfiles share one shape: an array of package tables with `name` and `version`;
/// `origin` reads where one package was resolved from, which artifact URLs it downloads and
/// which hash algorithms it recorded.
fn read_toml_lock(
    file: &SourceFile<'_>,
    text: &str,
    array: &str,
    origin: for<'a, 'i> fn(&'a DeTable<'i>) -> Origins<'a, 'i>,
) -> Facts {
    let mut facts = Facts::default();
    let Some(doc) = Doc::parse_into(file, text, &mut facts) else {
        return facts;
    };
    for (value, package) in tt::tables(doc.top(), &[array]) {
        let Some(name) = tt::field(package, "name") else {
            continue;
        };
        let name = names::normalise(name);
        let version = tt::field(package, "version").map(str::to_owned);
        let Origins {
            source,
            hashes,
            artifacts,
        } = origin(package);
        for (url, hashes, at) in artifacts {
            if remote_artifact(&url, &source) {
                facts.locked.push(Locked {
                    name: name.clone(),
                    version: version.clone(),
                    source: LockedSource::Url { url },
                    hashes,
                    at: doc.at(at),
                });
            }
        }
        facts.locked.push(Locked {
            name,
            version,
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

/// The artifact tables of a package: the single tables under `single` and the arrays of tables
/// under `many`.
fn artifact_tables<'a, 'i>(
    package: &'a DeTable<'i>,
    single: &[&str],
    many: &[&str],
) -> Vec<&'a DeTable<'i>> {
    let mut out: Vec<&DeTable<'_>> = Vec::new();
    for key in single {
        out.extend(package.get(*key).and_then(tt::table));
    }
    for key in many {
        out.extend(
            package
                .get(*key)
                .map(tt::array)
                .unwrap_or_default()
                .iter()
                .filter_map(tt::table),
        );
    }
    out
}

/// (URL, hash algorithms, `url` value) of the artifacts that name a URL; `hashes` reads one
/// artifact's hash algorithms.
fn artifact_urls<'a, 'i>(
    artifacts: &[&'a DeTable<'i>],
    hashes: fn(&DeTable<'_>) -> Vec<String>,
) -> Vec<(String, Vec<String>, &'a Value<'i>)> {
    artifacts
        .iter()
        .filter_map(|a| {
            let value = a.get("url")?;
            Some((tt::string(value)?.to_owned(), hashes(a), value))
        })
        .collect()
}

/// `hash = "sha256:…"` (uv.lock, poetry.lock, pdm.lock).
fn prefixed_hash(artifact: &DeTable<'_>) -> Vec<String> {
    tt::field(artifact, "hash")
        .and_then(algorithm)
        .into_iter()
        .collect()
}

/// `hashes = { sha256 = "…" }` (pylock.toml).
fn hash_table(artifact: &DeTable<'_>) -> Vec<String> {
    artifact
        .get("hashes")
        .and_then(tt::table)
        .map(|t| {
            tt::entries(t)
                .map(|(k, _)| k.get_ref().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// `uv.lock`: `[[package]]` with `source = { registry | git | url | path | directory | editable
/// | virtual }` and `sdist`/`wheels` entries, each with a `url` uv downloads and a hash.
pub(crate) fn read_uv_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", uv_package)
}

fn uv_package<'a, 'i>(package: &'a DeTable<'i>) -> Origins<'a, 'i> {
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
    let artifacts = artifact_tables(package, &["sdist"], &["wheels"]);
    Origins {
        source: locked_source,
        hashes: artifacts.iter().flat_map(|a| prefixed_hash(a)).collect(),
        artifacts: artifact_urls(&artifacts, prefixed_hash),
    }
}

/// `poetry.lock`: `[[package]]` with `files = [{file, hash}]` and, for anything not from PyPI,
/// `[package.source] type, url, reference, resolved_reference`.
pub(crate) fn read_poetry_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", poetry_package)
}

fn poetry_package<'a, 'i>(package: &'a DeTable<'i>) -> Origins<'a, 'i> {
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
    let files = artifact_tables(package, &[], &["files"]);
    Origins {
        source: locked_source,
        hashes: files.iter().flat_map(|f| prefixed_hash(f)).collect(),
        // Poetry records file names only; the source's index serves them.
        artifacts: Vec::new(),
    }
}

/// `pdm.lock`: `[[package]]` with `files = [{file|url, hash}]`; origins are recorded only with
/// `--strategy static_urls`, so without URLs the source is whatever the manifest says. With them,
/// PDM downloads each file from its own URL: every one is judged.
pub(crate) fn read_pdm_lock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "package", pdm_package)
}

fn pdm_package<'a, 'i>(package: &'a DeTable<'i>) -> Origins<'a, 'i> {
    let files = artifact_tables(package, &[], &["files"]);
    let artifacts = artifact_urls(&files, prefixed_hash);
    let locked_source = if let Some(git) = tt::field(package, "git") {
        LockedSource::Vcs {
            url: format!("git+{git}"),
            commit: tt::field(package, "revision").map(str::to_owned),
        }
    } else if let Some((url, _, _)) = artifacts.first() {
        // The first URL stands for the package; the others are facts of their own unless they
        // lie beside it (see `read_toml_lock`).
        LockedSource::Url { url: url.clone() }
    } else if package.get("path").is_some() || files.is_empty() {
        LockedSource::Local
    } else {
        LockedSource::Unrecorded
    };
    Origins {
        source: locked_source,
        hashes: files.iter().flat_map(|f| prefixed_hash(f)).collect(),
        artifacts,
    }
}

/// `pylock.toml` (PEP 751): `[[packages]]` with `index`, `vcs`, `archive`, `directory`, `sdist`
/// and `wheels`, hashes as tables `{ sha256 = … }`. An artifact with a `url` is downloaded from
/// that URL whatever `index` says (the index only serves artifacts given without one).
pub(crate) fn read_pylock(file: &SourceFile<'_>, text: &str) -> Facts {
    read_toml_lock(file, text, "packages", pylock_package)
}

fn pylock_package<'a, 'i>(package: &'a DeTable<'i>) -> Origins<'a, 'i> {
    let artifacts = artifact_tables(package, &["sdist", "archive"], &["wheels"]);
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
    } else if artifacts.iter().any(|a| a.get("url").is_some()) {
        // Every artifact URL is its own fact; no index is recorded.
        LockedSource::Unrecorded
    } else {
        LockedSource::Local
    };
    Origins {
        source: locked_source,
        hashes: artifacts.iter().flat_map(|a| hash_table(a)).collect(),
        artifacts: artifact_urls(&artifacts, hash_table),
    }
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
