//! Format rules: formats the policy does not allow, names that lie about the content, formats
//! this build cannot read, and LFS pointers standing where a model should be.

use crate::finding::{Finding, Rule, Severity};
use crate::format::Format;
use crate::inspect::{Fact, Inspection};
use crate::policy::Policy;

pub(crate) static FORMAT_NOT_ALLOWED: Rule = Rule {
    id: "format-not-allowed",
    summary: "a model file is in a format the policy does not allow",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Every file is identified by its bytes. A model file whose format is not listed in
`models.allow-formats` is reported, whatever its name.

## Why
Some formats run code when loaded (pickle, joblib, PyTorch checkpoints); a team that has moved to
safetensors wants a pickle to fail the pull request, not to be reviewed by eye.

## How to fix
Convert the model to an allowed format (safetensors for weights), or add the format to
`models.allow-formats` if the team accepts it.

## Example
```yaml
models:
  allow-formats: [safetensors, gguf, onnx]
```",
};

pub(crate) static FORMAT_MISMATCH: Rule = Rule {
    id: "format-mismatch",
    summary: "a file's name promises one format and its content is another",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
The extension of a file (`.safetensors`, `.onnx`, `.pkl`, `.pt`, `.npy`, …) is compared with the format
its content has. A pickle named `weights.safetensors`, a zip named `model.pkl`, or a file named
`.onnx` whose bytes are not ONNX is reported.

## Why
Reviewers, tools and scanners trust extensions. A pickle renamed `.safetensors` looks safe in a diff
and skips extension-based scanners, while `torch.load` or a custom loader still runs it.

## How to fix
Give the file the extension of what it is, or replace it with a file of the promised format. The
content is also judged on its own (a pickle is inspected as a pickle).",
};

pub(crate) static FORMAT_UNSUPPORTED: Rule = Rule {
    id: "format-unsupported",
    summary: "gate identified the file's format but has no reader for it, so it cannot vouch for it",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
A model file whose format gate recognises but that this version of gate cannot inspect (a format
whose reader has not landed yet).

## Why
Fail closed: a file that was not inspected is not known to be clean. Scanners that skip such files
silently are how nullifAI's 7z-wrapped models got through.

## How to fix
Replace the file with one in a format gate reads (safetensors for weights), or accept it knowingly:
waive it with its `sha256`, or lower the rule with `severity: {format-unsupported: warning}`.",
};

pub(crate) static LFS_POINTER_NOT_PULLED: Rule = Rule {
    id: "lfs-pointer-not-pulled",
    summary: "a Git LFS pointer stands where a model file should be",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs:
        "\
## What it checks
A file named like a model (`.safetensors`, `.pt`, `.onnx`, …) whose content is a Git LFS pointer
(`version https://git-lfs.github.com/spec/v1`, or the legacy `https://hawser.github.com/spec/v1`
and `http://git-media.io/v/2` git-lfs still accepts; `oid sha256:…`, `size …`).

## Why
The model itself was not checked out, so it was not inspected. Passing would mean passing a file
nobody looked at.

## How to fix
Check out LFS content before running gate (`actions/checkout` with `lfs: true`, or `git lfs pull`).",
};

pub(super) fn judge(policy: &Policy, inspection: &Inspection, out: &mut Vec<Finding>) {
    let path = inspection.display.as_str();
    let format = inspection.identity.format;
    if let (Some(format), true) = (format, format.is_some_and(Format::is_model))
        && !policy.models.allow_formats.contains(&format)
    {
        out.push(
                FORMAT_NOT_ALLOWED
                    .at(path, format!("{format} files are not allowed by the policy"))
                    .evidence("format", format.name())
                    .help("convert the model to an allowed format, or add the format to `models.allow-formats`"),
            );
    }
    // A file that could not be read has no known content to disagree with its name
    // (file-unreadable already fails it).
    let unreadable = inspection
        .facts
        .iter()
        .any(|fact| matches!(fact, Fact::Unreadable { .. }));
    if let Some(claimed) = inspection
        .claimed
        .filter(|_| !(unreadable && format.is_none()))
    {
        let extension = extension_of(path);
        match format {
            Some(Format::LfsPointer) if claimed.iter().any(|f| f.is_model()) => {
                out.push(
                        LFS_POINTER_NOT_PULLED
                            .at(path, "a Git LFS pointer, not the model: its content was not checked out")
                            .help("check out LFS content before gate runs (`git lfs pull`, or `lfs: true` in actions/checkout)"),
                    );
            }
            Some(actual) if !claimed.contains(&actual) => {
                let danger = if actual.can_carry_code() {
                    " (a format that can run code when loaded)"
                } else {
                    ""
                };
                out.push(
                    FORMAT_MISMATCH
                        .at(path, format!("named `{extension}` but the content is {actual}{danger}"))
                        .evidence("extension", extension.as_str())
                        .evidence("format", actual.name())
                        .help(format!("rename the file to match its content, or replace it with a real {} file", claimed[0])),
                );
            }
            // Named like a format the content does not have. safetensors explains itself;
            // `.pb` and `.h5` cover more layouts than gate tells apart.
            None if !matches!(
                claimed,
                [Format::Safetensors] | [Format::Tensorflow] | [Format::Keras, Format::Hdf5]
            ) =>
            {
                out.push(
                    FORMAT_MISMATCH
                        .at(
                            path,
                            format!("named `{extension}` but the content is not {}", claimed[0]),
                        )
                        .evidence("extension", extension.as_str())
                        .evidence("format", "unknown")
                        .help(format!(
                            "replace it with a real {} file, or rename it",
                            claimed[0]
                        )),
                );
            }
            _ => {}
        }
    }
    for fact in &inspection.facts {
        if let Fact::NoReader { format } = fact {
            out.push(
                FORMAT_UNSUPPORTED
                    .at(path, format!("{format} file not inspected: this version of gate has no {format} reader"))
                    .evidence("format", format.name())
                    .help("convert it to safetensors, or accept it knowingly with a waiver bound to its sha256"),
            );
        }
    }
}

fn extension_of(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .map(|(_, e)| format!(".{e}"))
        .unwrap_or_default()
}
