//! Dataset rules: pinned files and folders (`datasets.files`), sha256sum manifests
//! (`datasets.manifests`, `datasets.unlisted`), Git LFS pointers and DVC files, compared with
//! what inspection observed on disk.

use crate::finding::{Finding, Rule, Severity};
use crate::hash::hex;
use crate::inspect::datasets::{DatasetFacts, Expected, Listing, Observed};
use crate::policy::Policy;

pub(crate) static DATASET_MISSING: Rule = Rule {
    id: "dataset-missing",
    summary: "a pinned dataset file, folder or manifest entry is not in the checkout",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Every path the policy pins in `datasets.files`, every manifest in `datasets.manifests`, every file
such a manifest lists, and every path a DVC file (`*.dvc`, `dvc.lock`) records with an `md5`
must exist in the checkout. Manifest entries are relative to the manifest's folder, DVC paths to
the DVC file's folder.

## Why
A required file that disappears is a change nobody reviewed: training would silently run on less
data, or a loader would fall back to a download. DVC data that was never pulled cannot be
verified either, so run `dvc pull` before `gate check`. Data a DVC file records but the checkout
lacks is a warning (CI checkouts rarely pull DVC data); a `severity:` override can make it an error.

## How to fix
Restore the file (`git lfs pull`, `dvc pull`), or remove its entry from the policy or manifest
after review. `gate hash PATH` prints a fresh entry.",
};

pub(crate) static DATASET_HASH_MISMATCH: Rule = Rule {
    id: "dataset-hash-mismatch",
    summary: "a pinned dataset's content differs from the hash the team reviewed",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
The SHA-256 of each file pinned in `datasets.files` or listed in a manifest, and the directory
digest of each pinned folder, must equal the recorded one (evidence: `expected`, `actual`). A Git
LFS pointer that was not pulled is verified by its `oid sha256:` instead of its bytes. DVC
entries are checked with the MD5 DVC records, a weaker hash (stated in the evidence): pin what
matters in `datasets.files` for a collision-resistant check. A DVC folder output is checked file
by file against DVC's listing in the local cache (`.dvc/cache`), whose own MD5 must be the
recorded `.dir` hash; files the listing does not name, and a listing missing from the cache, are
reported.

A folder's digest is SHA-256 over the lines `<sha256 of file>  <path relative to the folder>`
for every regular file below it on disk (ignored and excluded files too), sorted by path
bytes; coreutils reproduces it:
`(cd DIR && find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum`.
Entries the digest cannot cover are reported here as well: symlinks (never followed), special
files, and names with a backslash or line break (sha256sum escapes those, so gate refuses them).
A pinned path that is a symlink out of the checked folder, or cannot be read, is reported too.

## Why
A poisoned or swapped dataset looks like any other file. The hash is what the team reviewed;
anything else is unreviewed data.

## How to fix
If the change is intended, review it and update the pin (`gate hash PATH` prints the entry), the
manifest (`sha256sum FILE`) or the DVC file (`dvc commit`). Otherwise restore the reviewed file.",
};

pub(crate) static DATASET_UNLISTED_FILE: Rule = Rule {
    id: "dataset-unlisted-file",
    summary: "a file in a manifest's folder is not listed in the manifest",
    default_severity: Severity::Warning,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Files in the folder of a `datasets.manifests` manifest (and below it) that the manifest does not
list. \"Files\" are those gate discovers: tracked and untracked-but-not-ignored, minus
`paths.exclude`. The manifest itself, the policy's other manifests and files covered by a
`datasets.files` pin (the file or a folder above it) are not counted. The
severity is `datasets.unlisted` (`error`, `warning` or `allow`; default `warning`); a
`severity:` entry for this rule overrides it.

## Why
A file added beside reviewed data is picked up by loaders that read a whole folder, without
anyone having reviewed it.

## How to fix
Add the file to the manifest after review (`sha256sum FILE >> SHA256SUMS`), or remove it.",
};

pub(crate) static MANIFEST_INVALID: Rule = Rule {
    id: "manifest-invalid",
    summary: "a dataset manifest or DVC file cannot be read completely",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Manifests named in `datasets.manifests` must be sha256sum output: `<64 hex>  name` (text mode),
`<64 hex> *name` (binary mode), the `\\`-prefixed form whose name escapes `\\\\`, `\\n` and `\\r`, or
`SHA256 (name) = <64 hex>` (`sha256sum --tag`). Blank lines are skipped; any other line, a name
listed twice, or a name that leaves the manifest's folder is reported with its line and column.
DVC files must be YAML whose entries have a `path` and a 32-digit `md5`.

## Why
Fail closed: a line gate cannot read may be the entry for the file that was swapped.

## How to fix
Regenerate the manifest with `sha256sum` (or `sha256sum --tag`), or fix the line shown.",
};

/// Judges every dataset observation.
pub(super) fn judge(policy: &Policy, facts: &DatasetFacts, out: &mut Vec<Finding>) {
    let policy_path = policy
        .path_in_root
        .clone()
        .unwrap_or_else(|| policy.name.clone());
    for (pin, observed) in policy.datasets.files.iter().zip(&facts.pins) {
        let origin = Origin {
            key: "policy",
            place: format!("{policy_path}:{}", pin.span.line),
            what: "the policy",
        };
        compare(
            &pin.path,
            Expected::Sha256(pin.sha256),
            observed,
            &origin,
            out,
        );
    }
    for (manifest, listing) in policy.datasets.manifests.iter().zip(&facts.manifests) {
        let place = format!("{policy_path}:{}", manifest.span.line);
        match &listing.observed {
            Observed::Missing => out.push(
                DATASET_MISSING
                    .at(
                        &listing.display,
                        "the manifest named in `datasets.manifests` is missing",
                    )
                    .evidence("policy", place)
                    .help("restore the manifest, or remove it from `datasets.manifests`"),
            ),
            Observed::Unverifiable { reason } => out.push(
                MANIFEST_INVALID
                    .at(
                        &listing.display,
                        format!("cannot read the manifest: {reason}"),
                    )
                    .evidence("policy", place)
                    .help("make the manifest a readable regular file inside the repository"),
            ),
            Observed::File { .. } | Observed::Directory { .. } => {}
        }
        listing_findings(listing, "manifest", out);
        if let Some(severity) = policy.datasets.unlisted {
            for display in &listing.unlisted {
                let mut finding = DATASET_UNLISTED_FILE
                    .at(
                        display,
                        format!(
                            "not listed in the manifest {} that covers its folder",
                            listing.display
                        ),
                    )
                    .evidence("manifest", listing.display.as_str())
                    .help("add the file to the manifest after review, or remove it");
                finding.severity = severity;
                out.push(finding);
            }
        }
    }
    for listing in &facts.dvc {
        if let Observed::Unverifiable { reason } = &listing.observed {
            out.push(
                MANIFEST_INVALID
                    .at(
                        &listing.display,
                        format!("cannot read the DVC file: {reason}"),
                    )
                    .help("make the DVC file a readable regular file"),
            );
        }
        listing_findings(listing, "dvc-file", out);
    }
}

/// Where an expectation comes from, for evidence and messages.
struct Origin {
    key: &'static str,
    place: String,
    what: &'static str,
}

fn listing_findings(listing: &Listing, key: &'static str, out: &mut Vec<Finding>) {
    for problem in &listing.problems {
        let finding = MANIFEST_INVALID
            .at(&listing.display, problem.message.clone())
            .help("fix the line, or regenerate the file with its tool (sha256sum, dvc)");
        out.push(match problem.column {
            Some(column) => finding.line_column(problem.line, column),
            None => Finding {
                line: Some(problem.line),
                ..finding
            },
        });
    }
    let what = if key == "manifest" {
        "the manifest"
    } else {
        "the DVC file"
    };
    for entry in &listing.entries {
        let origin = Origin {
            key,
            place: format!("{}:{}", listing.display, entry.line),
            what,
        };
        let before = out.len();
        compare(
            &entry.display,
            entry.expected,
            &entry.observed,
            &origin,
            out,
        );
        if entry.stage_input {
            // A stage input that changed (often code) means the stage is out of date: what it
            // produced is pinned as an output and checked on its own.
            for finding in out.iter_mut().skip(before) {
                if finding.rule == DATASET_HASH_MISMATCH.id {
                    finding.severity = Severity::Warning;
                    finding.message = format!(
                        "{}; it is an input of a dvc.lock stage, so the stage is out of date",
                        finding.message
                    );
                    "run `dvc repro` and commit dvc.lock, or restore the input if the change was not intended"
                        .clone_into(&mut finding.help);
                }
            }
        }
    }
}

fn compare(
    display: &str,
    expected: Expected,
    observed: &Observed,
    origin: &Origin,
    out: &mut Vec<Finding>,
) {
    let expected_hex = match expected {
        Expected::Sha256(digest) => hex(&digest),
        Expected::Md5(digest) => hex(&digest),
    };
    let mismatch = |message: String| {
        let finding = DATASET_HASH_MISMATCH
            .at(display, message)
            .evidence(origin.key, origin.place.as_str())
            .evidence("expected", expected_hex.as_str());
        match expected {
            Expected::Sha256(_) => finding.evidence("algorithm", "sha256"),
            Expected::Md5(_) => finding.evidence(
                "algorithm",
                "md5 (as DVC records it; weaker than sha256: pin the file in datasets.files for a collision-resistant check)",
            ),
        }
    };
    match observed {
        // DVC data is usually not in a CI checkout (`dvc pull` fetches it); what is absent
        // cannot be poisoned here, so it is a warning. A pin or manifest entry promises the
        // file is in the repository: its absence is an error.
        Observed::Missing if origin.key == "dvc-file" => {
            let mut finding = DATASET_MISSING
                .at(
                    display,
                    "recorded by the DVC file but not in the checkout, so not verified",
                )
                .evidence(origin.key, origin.place.as_str())
                .evidence("expected", expected_hex.as_str())
                .help("run `dvc pull` before gate check to verify it (`severity: {dataset-missing: error}` makes this fail)");
            finding.severity = Severity::Warning;
            out.push(finding);
        }
        Observed::Missing => out.push(
            DATASET_MISSING
                .at(display, format!("required by {} but missing", origin.what))
                .evidence(origin.key, origin.place.as_str())
                .evidence("expected", expected_hex.as_str())
                .help("restore it (git lfs pull, dvc pull), or remove the entry after review"),
        ),
        Observed::Unverifiable { reason } => out.push(
            mismatch(format!("cannot verify the content: {reason}"))
                .evidence("reason", reason.as_str())
                .help("commit the file itself, readable, inside the repository"),
        ),
        Observed::File {
            sha256,
            md5,
            lfs_oid,
        } => {
            let actual = match expected {
                Expected::Sha256(_) => sha256.map(|d| hex(&d)),
                Expected::Md5(_) => md5.map(|d| hex(&d)),
            };
            let content_matches = actual.as_deref() == Some(expected_hex.as_str());
            let pointer_matches = matches!(expected, Expected::Sha256(_))
                && lfs_oid
                    .as_deref()
                    .is_some_and(|oid| oid.eq_ignore_ascii_case(&expected_hex));
            if content_matches || pointer_matches {
                return;
            }
            let finding = match lfs_oid {
                // The content was not pulled: what the pointer names is the content's hash.
                Some(oid) if matches!(expected, Expected::Sha256(_)) => mismatch(
                    "a Git LFS pointer whose `oid sha256:` differs from the recorded hash"
                        .to_owned(),
                )
                .evidence("actual", oid.to_ascii_lowercase())
                .evidence("lfs-pointer-sha256", actual.unwrap_or_default()),
                _ => mismatch("the content differs from the recorded hash".to_owned())
                    .evidence("actual", actual.unwrap_or_default()),
            };
            out.push(finding.help(
                "review the change; if intended, update the hash (gate hash PATH prints it), else restore the file",
            ));
        }
        Observed::Directory {
            sha256,
            files,
            strays,
        } => {
            let actual = hex(sha256);
            if !matches!(expected, Expected::Sha256(_)) || actual != expected_hex {
                out.push(
                    mismatch(format!(
                        "the folder's digest over its {files} file{} differs from the recorded hash (a file was added, removed, renamed or changed)",
                        if *files == 1 { "" } else { "s" }
                    ))
                    .evidence("actual", actual)
                    .evidence("files", *files)
                    .help("review the folder's changes; if intended, update the hash with `gate hash PATH`"),
                );
            }
            for stray in strays {
                out.push(
                    DATASET_HASH_MISMATCH
                        .at(&stray.display, stray.reason.as_str())
                        .evidence("pinned-folder", display)
                        .evidence(origin.key, origin.place.as_str())
                        .help("replace the entry with a regular file, or remove it"),
                );
            }
        }
    }
}
