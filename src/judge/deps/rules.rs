//! The dependency-source rules and their documentation (`gate explain RULE`).

use crate::finding::{Rule, Severity};

pub(crate) static DEPENDENCY_CONFUSION: Rule = Rule {
    id: "dependency-confusion",
    summary: "a package the policy binds to one index could be served by another index",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
For every name the policy's `dependencies.packages` restricts, which indexes each install
configuration in the repository could take it from, modelled per tool: pip searches every
`--index-url`, `--extra-index-url` and `--find-links` location and takes the highest version; uv
asks indexes in priority order (`--index-url`/`default` last) and takes the first that has the name
(`unsafe-best-match` behaves like pip); Poetry merges primary sources and falls back to
supplemental ones; Pipenv uses the first source unless `index =` says otherwise (or
`install_search_all_sources` hands all of them to pip); PDM treats sources as equal unless
`include_packages` or `respect-source-order` says otherwise. Source pins (uv sources, Poetry
`source =`, Pipenv `index =`) cover the dependency they are written on, never its dependencies, so
restricted names that are not listed, and every name a glob such as `acme-*` covers, are checked
against the unpinned configuration too whenever the install uses an index the rule allows (a
package from there can depend on them) — even when that configuration searches only PyPI. A
lockfile of the tool beside the manifest (`uv.lock`, `poetry.lock`, `Pipfile.lock`, `pdm.lock`,
`pylock.toml`) records where each of those was really resolved from and is judged entry by entry
instead (`source-not-allowed`).

## Why
In December 2022 PyTorch nightly was installed with `--extra-index-url`; pip takes the highest
version across all indexes, so a `torchtriton` uploaded to PyPI replaced PyTorch's own and stole SSH
keys and credentials (https://pytorch.org/blog/compromised-nightly-dependency/). Nothing needs to
change in the repository for this to happen: someone registers the name on the other index.

## How to fix
Make the allowed index the only one that can answer for the name: with pip, use a single
`--index-url` (no `--extra-index-url`); with uv, an index with `explicit = true` and the names in
`[tool.uv.sources]`; with Poetry, `priority = \"explicit\"` and `source = \"NAME\"`; with Pipenv,
`index = \"NAME\"`; with PDM, `include_packages`. Hash pins (`==` + `--hash`) make pip refuse a
substituted file.

```text
--extra-index-url https://download.pytorch.org/whl/nightly/cu118   # pip also searches PyPI
torch                                                            # torch, torchtriton: confusable
```",
};

pub(crate) static SOURCE_NOT_ALLOWED: Rule = Rule {
    id: "source-not-allowed",
    summary: "a package comes from a source the policy does not allow for it",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Packages whose only possible source, or whose recorded source, is outside the indexes the policy
allows for the name: a lockfile entry (`uv.lock`, `poetry.lock`, `Pipfile.lock`, `pdm.lock`,
`pylock.toml`) resolved from another index or URL; a direct `name @ https://…` or VCS requirement
on a host no allowed index covers; a requirement pinned to another index; a project installed
with `pip install .` whose `[project] dependencies` pip would take from another index (pip ignores
`[tool.uv.sources]` and Poetry/PDM sources). URLs are compared by
scheme, host, port and path, without credentials; file URLs are covered by their index's host, and
files.pythonhosted.org counts as PyPI.

## Why
A lockfile is what CI installs: one resolved from the wrong index (often a transitive dependency the
manifest never pinned) installs whatever that index served.

## How to fix
Pin the package to an allowed index in the manifest and lock again, or change the policy if the
source is trusted.",
};

pub(crate) static INDEX_NOT_ALLOWED: Rule = Rule {
    id: "index-not-allowed",
    summary: "an install configuration uses an index the policy does not declare",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Every index, extra index and find-links URL in requirements files, `pip.conf`, `PIP_*`/`UV_*`
variables and `pip install` command lines, `[tool.uv]`, `uv.toml`, Poetry, Pipenv and PDM sources,
and every registry a lockfile recorded, against `dependencies.indexes` (PyPI is always declared as
`pypi`).

## Why
An undeclared index is a source nobody reviewed; the policy is the list of sources the team trusts.

## How to fix
Declare the index under `dependencies.indexes` if it is trusted, or remove it.",
};

pub(crate) static MIXED_INDEXES: Rule = Rule {
    id: "mixed-indexes",
    summary: "a tool merges several indexes; no restricted name is exposed today",
    default_severity: Severity::Warning,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Install configurations where the tool takes the highest version across several indexes (pip with
`--extra-index-url`/`--find-links`, Poetry with several primary sources, PDM without
`respect-source-order`, uv with `unsafe-best-match`, Pipenv with `install_search_all_sources`) when
no name the policy restricts is exposed (otherwise it is `dependency-confusion`). A pip install in
hash-checking mode (any `--hash`, or `--require-hashes`) whose restricted names are all `==`-pinned
with hashes lands here too: pip refuses a substituted file, and every transitive dependency must
be hashed as well.

## Why
Any package that later appears on both indexes can be shadowed by the other one.

## How to fix
Use one index, or bind names to indexes (explicit indexes and sources) and restrict them in the
policy.",
};

pub(crate) static INSECURE_INDEX: Rule = Rule {
    id: "insecure-index",
    summary: "packages are fetched without TLS verification or over plain http",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`http://` indexes and download URLs, `--trusted-host` (in requirements files, `pip.conf`,
`PIP_TRUSTED_HOST`, command lines) and Pipenv `verify_ssl = false`, unless the policy sets
`dependencies.allow-insecure: true`.

## Why
Without TLS verification anyone on the network path can serve a different package.

## How to fix
Use an https:// index with a valid certificate and drop `--trusted-host`.",
};

pub(crate) static MISSING_HASH: Rule = Rule {
    id: "missing-hash",
    summary: "a requirement or locked package carries no artifact hash",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
With `dependencies.require-hashes: true`: every registry or URL requirement of a requirements file
(or `pip install` command line) has a `--hash` (or a `#sha256=` URL fragment), and every lockfile
entry from a registry or URL records a hash. Manifests such as `pyproject.toml` are not asked for
hashes: their lockfiles are.

## Why
A hash pins the exact file: a substituted package (confusion, a compromised index, a re-upload)
fails to install instead of running.

## How to fix
`pip-compile --generate-hashes` (or `uv pip compile --generate-hashes`) for requirements files;
lock again with uv, Poetry, Pipenv or PDM, which record hashes.",
};

pub(crate) static UNPINNED_VERSION: Rule = Rule {
    id: "unpinned-version",
    summary: "a requirement does not pin exactly one version",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
With `dependencies.require-pinned: true`: every registry requirement in a requirements file (or a
`pip install` command line) is pinned with `==` (no wildcard) or `===`, directly or through a
constraints file.

## Why
An unpinned requirement installs whatever is newest at install time, including a version published
by an attacker a minute ago.

## How to fix
Pin with `==` (pip-compile or `uv pip compile` write exact pins), or install from a lockfile.",
};

pub(crate) static WEAK_HASH: Rule = Rule {
    id: "weak-hash",
    summary: "an artifact is pinned with a hash that can be forged (md5, sha1, sha224)",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`--hash` options and `#md5=`/`#sha1=` URL fragments in requirements files, and lockfile hashes,
that use md5, sha1 or sha224.

## Why
Collisions for md5 and sha1 are practical: a pin that can be matched by another file pins nothing.

## How to fix
Pin with sha256 (or sha384/sha512).",
};

pub(crate) static GIT_REF_UNPINNED: Rule = Rule {
    id: "git-ref-unpinned",
    summary: "a VCS dependency is not pinned to a full commit SHA",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
With `dependencies.git-refs: commit` (the default): `git+…@ref` requirements, editables, uv and
Poetry git sources, and lockfile VCS entries must name a full commit id (40 hex digits, or 64 for
SHA-256 repositories). Branches, tags, short SHAs and `refs/pull/…` can move.

## Why
A branch or tag is a pointer someone else can move: the next install gets different code, reviewed
by nobody.

## How to fix
`git+https://github.com/org/repo@<40-hex-sha>`; or set `git-refs: any` in the policy.",
};

pub(crate) static REMOTE_INCLUDE: Rule = Rule {
    id: "remote-include",
    summary: "a requirements file includes another one from a URL",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`-r https://…`, `-c https://…` (and `file:` URLs) in requirements files. gate never fetches them.

## Why
pip downloads and obeys the remote file at install time: its indexes and packages were never
reviewed in this repository and can change at any moment.

## How to fix
Copy the file into the repository and include it by relative path.",
};

pub(crate) static INCLUDE_NOT_FOUND: Rule = Rule {
    id: "include-not-found",
    summary: "a requirements file includes a file that is missing or outside the repository",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`-r`/`-c` paths, resolved relative to the including file as pip does. A missing file, or one that
resolves outside ROOT (through `..` or a symlink), is reported and not read.

## Why
pip would fail, or read a file that is not part of this review: its sources cannot be checked.

## How to fix
Fix the path or add the file to the repository.",
};

pub(crate) static UNRESOLVED_VARIABLE: Rule = Rule {
    id: "unresolved-variable",
    summary: "an index, include or download URL depends on an environment variable",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`${NAME}` (pip's and uv's syntax) in `--index-url`, `--extra-index-url`, `--find-links`, `-r`,
`-c` values and requirement URLs. gate never reads the environment of the run.

## Why
The source is decided by whoever sets the variable at install time; the review cannot see it.

## How to fix
Write the URL out and keep credentials in a keyring or `.netrc` (pip and uv read them), not in
the URL.",
};

pub(crate) static REQUIREMENTS_INVALID: Rule = Rule {
    id: "requirements-invalid",
    summary: "a dependency file says something its tool rejects or silently ignores",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
What pip (or the file's own tool) would reject: unknown options, requirements that are not valid
PEP 508 (for example `pkg==1.0\\` joined with the next `--hash` line into `pkg==1.0--hash=…`),
`--hash` with an algorithm other than sha256/sha384/sha512, include cycles, unparsable TOML, JSON or
YAML. Also what pip silently ignores: `--index-url` on a requirement line (it does not apply to that
requirement), `--hash` on a line without a requirement, a nested file's `--index-url` that replaces
the one set before. gate keeps reading after each problem and reports the rest.

## Why
A file that means something other than what it says hides where packages come from.

## How to fix
Follow the message: one option per line for global options, `\\` with a space before it to
continue a requirement, one `--index-url` per install.",
};
