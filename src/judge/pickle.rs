//! Pickle rules: every global a pickle names must be allowed by the policy (presets and
//! `allow-globals`); known-dangerous ones can never be allowed, only waived for one file hash.
//! Broken streams and containers that cannot be read completely fail closed.

use super::presets::{self, is_dangerous, python3_name};
use crate::finding::{Finding, Rule, Severity};
use crate::inspect::{Fact, Inspection};
use crate::policy::Policy;

pub(crate) static PICKLE_DANGEROUS_GLOBAL: Rule = Rule {
    id: "pickle-dangerous-global",
    summary: "a pickle names a global known to run code or touch the system",
    default_severity: Severity::Error,
    waiver_needs_sha256: true,
    docs: "\
## What it checks
Every global (`module.name`) that a pickle stream names — in raw pickles, joblib files, PyTorch
and TorchScript archives (every member that is a pickle), legacy checkpoints, numpy object
arrays — resolved through the memo, stack tricks, dotted names (`pathlib` + `os.system`) and
Python 2 names, whether or not it is called. Globals on gate's known-dangerous list (`os.system`,
`builtins.eval`, `subprocess.*`, `importlib.*`, `pkgutil.resolve_name`, attribute escapes such as
`__builtins__`, …; merged from picklescan, modelscan, fickling and ModelAudit) are reported here.

## Why
Unpickling calls these with attacker-chosen arguments: loading the file runs the attacker's code.
No allowlist entry can admit them.

## How to fix
Do not load the file. Convert the weights to safetensors from a trusted copy. If the file is
reviewed and must stay, waive it for its exact content:
```yaml
waivers:
  - rule: pickle-dangerous-global
    path: models/legacy.pkl
    sha256: <sha256 of the file>
    reason: \"reviewed by …\"
```",
};

pub(crate) static PICKLE_GLOBAL_NOT_ALLOWED: Rule = Rule {
    id: "pickle-global-not-allowed",
    summary: "a pickle names a global that the policy's allowlist does not admit",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Every global a pickle names (see `pickle-dangerous-global`) must be admitted by
`models.pickle.allow-presets` or `models.pickle.allow-globals`. A global the stream computes
(a non-string STACK_GLOBAL operand, an extension code) is never admitted.

Presets (version 1 each): `pytorch` (what `torch.save` writes for tensors, parameters, state
dicts, optimizer states and checkpoints: torch's `weights_only` allowlist, TorchScript helpers),
`numpy` (arrays, dtypes, scalars, random states), `joblib` (its inline array wrapper), `sklearn`
(estimator classes), `transformers` (`training_args.bin`).

## Why
Allowlist, not denylist: every published scanner bypass was a callable missing from a denylist.
A global nobody reviewed can run code when the file is loaded.

## How to fix
Convert to safetensors, or admit the global after reviewing what calling it does:
```yaml
models:
  pickle:
    allow-presets: [pytorch, numpy, sklearn]
    allow-globals: [\"mypackage.layers.CustomBlock\"]
```",
};

pub(crate) static PICKLE_MALFORMED: Rule = Rule {
    id: "pickle-malformed",
    summary: "a pickle stream is broken: a loader would run part of it, then stop",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Pickle streams read with CPython's rules: an invalid opcode, a truncated stream, a missing STOP,
memo keys never stored, stack underflow, an opcode crossing its FRAME, bytes after the last
pickle, or bytes of a joblib inline array that a plain unpickler would read as opcodes.

## Why
Loaders execute a stream opcode by opcode and only fail when they reach the damage: everything
before it has already run. nullifAI hid its payload in front of a deliberately broken stream,
and scanners that discard broken streams called it clean. Globals seen before the damage are
reported as well.

## How to fix
Re-save the file with the library that made it, from a trusted copy.",
};

pub(crate) static ARCHIVE_UNREADABLE: Rule = Rule {
    id: "archive-unreadable",
    summary: "a container that can carry pickles could not be opened completely",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Zip, tar, 7z, compressed and numpy containers, and their members: a missing central directory,
an unsupported compression method, a member running past the end of the archive, a 7z archive
(not opened by this version), an unreadable header.

## Why
Fail closed: nullifAI shipped PyTorch models as 7z archives that scanners skipped. What gate
cannot read completely is not known to be clean.

## How to fix
Re-create the archive with the standard tool (`torch.save`, `joblib.dump`, `numpy.savez`), or
convert the model to safetensors.",
};

pub(crate) static ARCHIVE_LIMIT: Rule = Rule {
    id: "archive-limit",
    summary: "reading a container or pickle stopped at a safety limit",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Limits that keep a hostile file from exhausting memory or time. Each is a policy key, and the
finding names the key and its value:
- archive members gate opens (`models.max-archive-members`, 10000; the tensor storages a
  checkpoint's pickle names are never opened and do not count);
- decompressed bytes per file (`models.max-uncompressed-size`, 64GiB);
- the time budget of one file (`models.max-seconds-per-file`, 120);
- archives inside archives and pickles inside pickles (`models.max-nesting-depth`, 4);
- per pickle: opcodes (`models.max-pickle-opcodes`, 100000000), stack entries and marks
  (`models.max-pickle-stack`, 1000000) and memo entries (`models.max-pickle-memo`, 8000000).

## Why
Zip bombs, decompression bombs and billion-laughs pickles are denial-of-service attacks on the
scanner; a scan that gave up is not a clean scan.

## How to fix
If the file is legitimate, raise the policy limit:
```yaml
models:
  max-archive-members: 50000
  max-uncompressed-size: 200GiB
  max-pickle-opcodes: 500000000
```",
};

pub(super) fn judge(policy: &Policy, inspection: &Inspection, out: &mut Vec<Finding>) {
    let path = inspection.display.as_str();
    for fact in &inspection.facts {
        let finding = match fact {
            Fact::PickleGlobal {
                member,
                offset,
                module,
                name,
                invoked,
                plain_loader_only,
            } => match global_finding(policy, path, module.as_deref(), name.as_deref(), *invoked)
            {
                // A second reading of joblib array bytes (what plain `pickle.load` would do).
                // There a benign object array's nested stream reads the outer memo and names
                // `NumpyArrayWrapper.dtype`, whose import fails before anything runs. So, beside
                // the known-dangerous, that reading reports what it calls from an importable
                // package (the standard library, torch, numpy, …): `find_class` imports the
                // module, and only a module that exists can run code.
                Some(finding)
                    if *plain_loader_only
                        && finding.rule != PICKLE_DANGEROUS_GLOBAL.id
                        && !(*invoked
                            && module.as_deref().is_some_and(presets::is_importable)) =>
                {
                    continue;
                }
                Some(mut finding) if *plain_loader_only => {
                    finding.message.push_str(
                        " when plain `pickle.load` reads it (these bytes are array data to joblib)",
                    );
                    finding
                        .member(member.clone())
                        .offset(*offset)
                        .evidence("loader", "pickle.load")
                }
                Some(finding) => finding.member(member.clone()).offset(*offset),
                None => continue,
            },
            Fact::PickleMalformed {
                member,
                offset,
                problem,
            } => PICKLE_MALFORMED
                .at(path, format!("broken pickle stream: {problem}"))
                .member(member.clone())
                .offset(*offset)
                .evidence("problem", problem.as_str())
                .help("a loader runs everything before the damage; re-save the file from a trusted copy, or convert it to safetensors"),
            Fact::ArchiveUnreadable { member, problem } => ARCHIVE_UNREADABLE
                .at(path, format!("cannot read the container completely: {problem}"))
                .member(member.clone())
                .evidence("problem", problem.as_str())
                .help("re-create the archive with the standard tool, or convert the model to safetensors"),
            Fact::ArchiveLimit {
                member,
                offset,
                problem,
            } => {
                let finding = ARCHIVE_LIMIT
                    .at(path, format!("stopped reading: {problem}"))
                    .member(member.clone())
                    .evidence("problem", problem.as_str())
                    .help("if the file is legitimate, raise the `models.max-*` limit the message names");
                match offset {
                    Some(offset) => finding.offset(*offset),
                    None => finding,
                }
            }
            _ => continue,
        };
        out.push(finding);
    }
}

/// The finding for one global, or `None` when the policy allows it.
fn global_finding(
    policy: &Policy,
    path: &str,
    module: Option<&str>,
    name: Option<&str>,
    invoked: bool,
) -> Option<Finding> {
    let shown = format!("{}.{}", module.unwrap_or("?"), name.unwrap_or("?"));
    let verb = if invoked { "calls" } else { "references" };
    let (Some(module), Some(name)) = (module, name) else {
        return Some(
            PICKLE_GLOBAL_NOT_ALLOWED
                .at(
                    path,
                    format!("pickle {verb} a global it computes while loading ({shown}), which cannot be checked"),
                )
                .evidence("global", shown)
                .help("a stream that hides the names it imports is not a plain model; do not load it"),
        );
    };
    let (module3, name3) = python3_name(module, name);
    if is_dangerous(module, name) || is_dangerous(&module3, &name3) {
        return Some(
            PICKLE_DANGEROUS_GLOBAL
                .at(path, format!("pickle {verb} {shown}"))
                .evidence("global", shown)
                .help(
                    "do not load this file; convert the model to safetensors from a trusted copy",
                ),
        );
    }
    if allowed(policy, &module3, &name3) {
        return None;
    }
    Some(
        PICKLE_GLOBAL_NOT_ALLOWED
            .at(path, format!("pickle {verb} {shown}, which the policy does not allow"))
            .evidence("global", shown.clone())
            .help(format!(
                "convert the model to safetensors, or after review add `{shown}` to `models.pickle.allow-globals` (presets in use: {})",
                presets_in_use(policy)
            )),
    )
}

fn presets_in_use(policy: &Policy) -> String {
    let names: Vec<String> = policy
        .models
        .pickle
        .allow_presets
        .iter()
        .filter_map(|name| presets::preset(name))
        .map(|p| format!("{} v{}", p.name, p.version))
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Whether the policy admits `module.name` (already in its Python 3 spelling).
pub(crate) fn allowed(policy: &Policy, module: &str, name: &str) -> bool {
    let full = format!("{module}.{name}");
    let matches = |entry: &str| match entry.strip_suffix(".*") {
        Some(prefix) => {
            !name.contains('.')
                && (module == prefix
                    || module
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('.')))
        }
        None => entry == full,
    };
    if policy
        .models
        .pickle
        .allow_globals
        .iter()
        .any(|e| matches(e))
    {
        return true;
    }
    policy
        .models
        .pickle
        .allow_presets
        .iter()
        .filter_map(|name| presets::preset(name))
        .any(|preset| {
            preset.globals.iter().any(|e| matches(e))
                || preset.rule.is_some_and(|rule| rule(module, name))
        })
}
