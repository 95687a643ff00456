//! File rules: what could not be read, and symlinks that lead out of ROOT.

use crate::discover::Obstacle;
use crate::finding::{Finding, Rule, Severity};
use crate::inspect::{Fact, Inspection};

pub(crate) static FILE_UNREADABLE: Rule = Rule {
    id: "file-unreadable",
    summary: "a file in the repository could not be read",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Files gate found but could not open or read to the end (permissions, I/O errors, a file that
changed while it was read), and FIFOs, sockets and devices, which gate never opens (reading a FIFO
can block forever).

## Why
Fail closed: an unread file could be the malicious one, and a FIFO named `model.pkl` hands a
loader whatever its writer sends.

## How to fix
Make the file readable by the user running gate, or remove it (or the special file) from the
repository; `paths.exclude` skips a path on purpose.",
};

pub(crate) static SYMLINK_OUTSIDE_ROOT: Rule = Rule {
    id: "symlink-outside-root",
    summary: "a symlink points outside the checked folder (or nowhere) and was not followed",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Symbolic links in the repository whose target lies outside ROOT, or cannot be resolved. gate never
follows them: what they point to is not part of the repository and was not inspected.

## Why
A link named `model.pt` that points at `../../cache/model.pt` makes code load a file nobody
reviewed: fail closed. Links inside ROOT are fine: their targets are inspected on their own.

## How to fix
Commit the file itself instead of a link, or remove the link. A link that is meant to stay (a
development convenience) can be skipped with `paths.exclude`, or the rule lowered with
`severity: {symlink-outside-root: warning}`.",
};

pub(super) fn judge_inspection(inspection: &Inspection, out: &mut Vec<Finding>) {
    for fact in &inspection.facts {
        if let Fact::Unreadable { error } = fact {
            out.push(
                FILE_UNREADABLE
                    .at(
                        &inspection.display,
                        format!("cannot read the file: {error}"),
                    )
                    .evidence("error", error.as_str())
                    .help("make the file readable by gate, or remove it"),
            );
        }
    }
}

pub(super) fn judge_obstacle(obstacle: &Obstacle, out: &mut Vec<Finding>) {
    match obstacle {
        Obstacle::Unreadable { display, error } => out.push(
            FILE_UNREADABLE
                .at(display, format!("cannot read: {error}"))
                .evidence("error", error.as_str())
                .help("make the path readable by gate, or remove it"),
        ),
        Obstacle::Special { display, kind } => out.push(
            FILE_UNREADABLE
                .at(
                    display,
                    format!("{kind}, not a regular file: never opened, so not inspected"),
                )
                .evidence("error", *kind)
                .help("remove it, or exclude the path in `paths.exclude`"),
        ),
        Obstacle::SymlinkOutside { display, target } => out.push(
            SYMLINK_OUTSIDE_ROOT
                .at(
                    display,
                    format!("symlink to {target}, outside the checked folder; not followed"),
                )
                .evidence("target", target.as_str())
                .help("commit the file itself instead of a link"),
        ),
    }
}
