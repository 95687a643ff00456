//! The starter policy's `dependencies` section: the indexes ROOT's dependency files use, the
//! names its configuration already pins to an index, and hygiene settings as strict as ROOT
//! already satisfies. Every choice is proven with the judge itself on ROOT's facts, so the
//! section never fails the repository it was written from.

use crate::deps::{Facts, Origin};
use crate::finding::Severity;
use crate::judge::deps::{declared_index, judge, same_index};
use crate::policy::{Policy, PolicySource};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The rules that say a package could come from somewhere the section does not allow.
const SOURCE_RULES: [&str; 3] = [
    "dependency-confusion",
    "source-not-allowed",
    "index-not-allowed",
];

/// A written section and what it says, for `gate init`'s message.
pub(super) struct Section {
    pub(super) text: String,
    pub(super) summary: String,
}

/// An index ROOT uses that the built-in policy does not declare.
struct SeenIndex {
    /// The policy's name for it.
    name: String,
    /// As written in ROOT, credentials removed.
    url: String,
}

/// How strict the hygiene keys are.
#[derive(Clone, Copy)]
struct Hygiene {
    require_hashes: bool,
    require_pinned: bool,
    commit_refs: bool,
    allow_insecure: bool,
}

impl Hygiene {
    const STRICTEST: Self = Self {
        require_hashes: true,
        require_pinned: true,
        commit_refs: true,
        allow_insecure: false,
    };

    /// Loosens exactly the keys behind `rules`; false when nothing changed.
    fn loosen(&mut self, rules: &BTreeSet<&str>) -> bool {
        let before = (
            self.require_hashes,
            self.require_pinned,
            self.commit_refs,
            self.allow_insecure,
        );
        self.require_hashes &= !rules.contains("missing-hash");
        self.require_pinned &= !rules.contains("unpinned-version");
        self.commit_refs &= !rules.contains("git-ref-unpinned");
        self.allow_insecure |= rules.contains("insecure-index");
        before
            != (
                self.require_hashes,
                self.require_pinned,
                self.commit_refs,
                self.allow_insecure,
            )
    }
}

/// Which package rules the section writes, from the tightest down.
#[derive(Clone, Copy, PartialEq)]
enum Packages {
    /// Names pinned to an index keep to it; every other name may come from any index seen.
    PinnedThenAny,
    /// Names pinned to an index keep to it; other names are not restricted.
    PinnedOnly,
    /// Every name may come from any index seen.
    Any,
    /// No package rules.
    None,
}

impl Packages {
    fn keeps_pins(self) -> bool {
        matches!(self, Self::PinnedThenAny | Self::PinnedOnly)
    }

    fn any_rule(self) -> bool {
        matches!(self, Self::PinnedThenAny | Self::Any)
    }
}

/// The section for ROOT, or `None` when ROOT installs no Python packages.
pub(super) fn section(facts: &Facts) -> Option<Section> {
    if facts.installs.is_empty() && facts.locked.is_empty() {
        return None;
    }
    let builtin = load("")?;
    let seen = seen_indexes(&builtin, facts);
    let pinned = pinned_names(facts, &seen);
    for packages in [
        Packages::PinnedThenAny,
        Packages::PinnedOnly,
        Packages::Any,
        Packages::None,
    ] {
        if packages.keeps_pins() && pinned.is_empty() {
            continue;
        }
        let mut hygiene = Hygiene::STRICTEST;
        loop {
            let text = render(&seen, &pinned, packages, hygiene);
            let errors = error_rules(&load(&text)?, facts);
            if hygiene.loosen(&errors) {
                continue;
            }
            if packages == Packages::None || SOURCE_RULES.iter().all(|r| !errors.contains(r)) {
                let summary = summary(&seen, &pinned, packages, hygiene);
                return Some(Section { text, summary });
            }
            break;
        }
    }
    None
}

/// A policy of nothing but `section` (with the built-in defaults for everything else).
fn load(section: &str) -> Option<Policy> {
    let source = PolicySource {
        name: ".gate.yml (generated)".to_owned(),
        path_in_root: Some(".gate.yml".to_owned()),
        text: format!("version: 1\n{section}"),
    };
    match source.load() {
        Ok(policy) => Some(policy),
        Err(error) => {
            // A section gate wrote but cannot read is gate's bug: leave the example instead.
            tracing::warn!("gate init: the generated dependencies section is invalid: {error}");
            None
        }
    }
}

/// The rules of the error findings `policy` gives on ROOT's dependency facts.
fn error_rules(policy: &Policy, facts: &Facts) -> BTreeSet<&'static str> {
    let mut findings = Vec::new();
    judge(policy, facts, &mut findings);
    findings
        .into_iter()
        .filter(|f| policy.severity_of(f.rule, f.severity) == Some(Severity::Error))
        .map(|f| f.rule)
        .collect()
}

/// Every index URL ROOT's installs and lockfiles use that `builtin` does not declare, named.
fn seen_indexes(builtin: &Policy, facts: &Facts) -> Vec<SeenIndex> {
    let urls = facts
        .installs
        .iter()
        .flat_map(|install| {
            install
                .indexes
                .iter()
                .filter(|i| i.at.is_some())
                .map(|i| (i.url.as_str(), i.name.as_deref()))
        })
        .chain(
            facts
                .locked
                .iter()
                .filter_map(|locked| match &locked.source {
                    crate::deps::LockedSource::Registry { url } => Some((url.as_str(), None)),
                    _ => None,
                }),
        );
    let mut seen: Vec<SeenIndex> = Vec::new();
    for (url, configured_name) in urls {
        // `${VAR}` is only known at install time: `gate check` reports it as unresolved.
        if url.contains('$') || declared_index(builtin, url).is_some() {
            continue;
        }
        if seen.iter().any(|s| same_index(&s.url, url)) {
            continue;
        }
        let Some(clean) = without_credentials(url) else {
            continue;
        };
        let taken: BTreeSet<&str> = seen.iter().map(|s| s.name.as_str()).collect();
        let name = index_name(configured_name, &clean, &taken);
        seen.push(SeenIndex { name, url: clean });
    }
    seen
}

/// The URL as a policy may hold it: parsed, http(s) or file, user and password removed (a
/// policy is committed; a token in it would leak).
fn without_credentials(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https" | "file")
        || (parsed.scheme() != "file" && parsed.host_str().is_none())
    {
        return None;
    }
    parsed.set_username("").ok()?;
    parsed.set_password(None).ok()?;
    Some(parsed.to_string())
}

/// The configuration's own name for the index when it has one, else one made from its host;
/// never `pypi` (predeclared) and never one already taken.
fn index_name(configured: Option<&str>, url: &str, taken: &BTreeSet<&str>) -> String {
    let slug = |text: &str| {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let from_host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(|h| slug(h.trim_start_matches("www."))))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "index".to_owned());
    let base = configured
        .map(slug)
        .filter(|s| !s.is_empty() && s != "pypi")
        .unwrap_or(from_host);
    let mut name = base.clone();
    let mut n = 2;
    while name == "pypi" || taken.contains(name.as_str()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Names ROOT's configuration pins to one index (uv sources, Poetry `source =`, Pipenv
/// `index =`), by the policy name of that index.
fn pinned_names(facts: &Facts, seen: &[SeenIndex]) -> BTreeMap<String, BTreeSet<String>> {
    let mut pinned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for install in &facts.installs {
        for requirement in install.requirements.iter().filter(|r| !r.constraint) {
            let (Some(name), Origin::Registry { index: Some(pin) }) =
                (requirement.name.as_deref(), &requirement.origin)
            else {
                continue;
            };
            let Some(index) = install
                .indexes
                .iter()
                .find(|i| i.name.as_deref() == Some(pin.as_str()))
            else {
                continue;
            };
            let Some(policy_name) = seen
                .iter()
                .find(|s| same_index(&s.url, &index.url))
                .map(|s| s.name.clone())
            else {
                continue;
            };
            pinned
                .entry(policy_name)
                .or_default()
                .insert(name.to_owned());
        }
    }
    pinned
}

fn yaml_list(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|item| serde_json::to_string(item.as_ref()).unwrap_or_default())
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn render(
    seen: &[SeenIndex],
    pinned: &BTreeMap<String, BTreeSet<String>>,
    packages: Packages,
    hygiene: Hygiene,
) -> String {
    let mut text = String::from(
        "# Python dependency sources: which index each package may come from (`gate explain\n\
         # dependency-confusion`). Written from this repository's dependency files.\n\
         dependencies:\n",
    );
    if seen.is_empty() {
        text.push_str(
            "  # Only PyPI is used here (`pypi` is predeclared); any other index is reported.\n",
        );
    } else {
        text.push_str(
            "  indexes:   # the indexes used here besides PyPI (`pypi` is predeclared)\n",
        );
        for index in seen {
            let _ = writeln!(
                text,
                "    {}: {}",
                index.name,
                serde_json::to_string(&index.url).unwrap_or_default()
            );
        }
    }
    let every_index: Vec<&str> = std::iter::once("pypi")
        .chain(seen.iter().map(|s| s.name.as_str()))
        .collect();
    if packages != Packages::None {
        text.push_str("  packages:  # first match wins\n");
    }
    if packages.keeps_pins() {
        text.push_str("    # Pinned to one index by this repository's configuration:\n");
        for (index, names) in pinned {
            let _ = writeln!(
                text,
                "    - names: {}\n      allow: [{index}]",
                yaml_list(names)
            );
        }
    }
    if packages.any_rule() {
        let _ = writeln!(
            text,
            "    # Any other name may come from any index above. To stop dependency confusion, put your\n    \
             # private names first with only your own index allowed: `- names: [\"acme-*\"]` / `allow: [acme]`.\n    \
             - names: [\"*\"]\n      allow: [{}]",
            every_index.join(", ")
        );
    } else {
        text.push_str(
            "  # No rule for every name (`*`): limiting all names to the indexes above would already fail\n  \
             # here (a direct URL or VCS requirement from another host, or a pinned name another tool\n  \
             # could take from elsewhere). Add rules for the names that must come from one index.\n",
        );
    }
    let setting = |key: &str, value: &str, why: &str| format!("  {key}: {value}  # {why}\n");
    text.push_str(&setting(
        "require-hashes",
        &hygiene.require_hashes.to_string(),
        if hygiene.require_hashes {
            "every requirement here already has a hash"
        } else {
            "not yet: some requirements here have no hash"
        },
    ));
    text.push_str(&setting(
        "require-pinned",
        &hygiene.require_pinned.to_string(),
        if hygiene.require_pinned {
            "every requirement here is already pinned with =="
        } else {
            "not yet: some requirements here are not pinned with =="
        },
    ));
    text.push_str(&setting(
        "git-refs",
        if hygiene.commit_refs { "commit" } else { "any" },
        if hygiene.commit_refs {
            "VCS requirements must name a full commit SHA"
        } else {
            "not yet: some VCS requirements here name a branch or tag"
        },
    ));
    text.push_str(&setting(
        "allow-insecure",
        &hygiene.allow_insecure.to_string(),
        if hygiene.allow_insecure {
            "for now: an index here is plain http or trusted without TLS checks"
        } else {
            "http indexes and --trusted-host are errors"
        },
    ));
    text
}

fn summary(
    seen: &[SeenIndex],
    pinned: &BTreeMap<String, BTreeSet<String>>,
    packages: Packages,
    hygiene: Hygiene,
) -> String {
    let mut parts = vec![match seen.len() {
        0 => "dependencies from PyPI only".to_owned(),
        n => format!(
            "{n} index{} besides PyPI ({})",
            if n == 1 { "" } else { "es" },
            seen.iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }];
    if packages.keeps_pins() {
        let count: usize = pinned.values().map(BTreeSet::len).sum();
        parts.push(format!(
            "{count} package{} kept to {} index",
            if count == 1 { "" } else { "s" },
            if count == 1 { "its" } else { "their" }
        ));
    }
    let strict: Vec<&str> = [
        (hygiene.require_hashes, "hashes"),
        (hygiene.require_pinned, "pins"),
        (hygiene.commit_refs, "commit refs"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    if !strict.is_empty() {
        parts.push(format!("requiring {}", strict.join(", ")));
    }
    parts.join(", ")
}
