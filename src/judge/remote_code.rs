//! The remote-code rule: Hugging Face model folders that make `transformers` import Python code
//! (`trust_remote_code=True`). Judged across files, because whether a `.py` file is model code
//! depends on the folder it sits in.
//!
//! A *model folder* is a folder whose `config.json` describes a transformers model (it has
//! `model_type`, `architectures`, `transformers_version` or `auto_map`). Python files directly in
//! such a folder are what `trust_remote_code` imports (transformers resolves a module and its
//! relative imports among its siblings only); Python files anywhere else — a repository's own
//! source tree, scripts in subfolders — are not model code and are not reported.

use crate::finding::{Finding, Rule, Severity};
use crate::inspect::{Fact, Inspection, ModelFact};
use crate::policy::{Policy, RemoteCode};
use std::collections::BTreeSet;

pub(crate) static REMOTE_CODE: Rule = Rule {
    id: "remote-code",
    summary: "a Hugging Face model folder ships or references Python code that loading would run",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
`auto_map` entries in `config.json`, `tokenizer_config.json`, `processor_config.json`,
`preprocessor_config.json` and the other processor configs (a local `module.Class`, with or
without a `module.py` beside it, or `org/repo--module.Class` in another repository);
`custom_pipelines` in `config.json`; sentence-transformers `modules.json` entries whose `type`
is not a `sentence_transformers.` class; diffusers `model_index.json` with a custom pipeline
(`_class_name` as `[module, class]`) or a component whose `component/library.py` is in the
repository; and `.py` files directly inside a model folder (a folder
whose `config.json` describes a transformers model). The severity comes from the policy's
`models.remote-code` (`error`, `warning`, or `allow` to report nothing).

## Why
With `trust_remote_code=True`, `from_pretrained` imports these modules: any code in them runs with
the user's rights, before a single weight is read. Code fetched from another repository
(`org/repo--…`) changes whenever that repository does. No pickle scanner looks at it.

## How to fix
Prefer architectures built into `transformers` (drop `auto_map` and the `.py` files). If the team
reviews and accepts the code, set `models.remote-code: warning` or waive the file, and pin the
revision you load (`revision=` a commit SHA).

## Example
```yaml
models:
  remote-code: warning
```",
};

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_owned()
    } else {
        format!("{folder}/{name}")
    }
}

pub(super) fn judge(policy: &Policy, inspections: &[Inspection], out: &mut Vec<Finding>) {
    let severity = match policy.models.remote_code {
        RemoteCode::Allow => return,
        RemoteCode::Error => Severity::Error,
        RemoteCode::Warning => Severity::Warning,
    };
    let files: BTreeSet<&str> = inspections.iter().map(|i| i.display.as_str()).collect();
    let mut model_folders = BTreeSet::new();
    for inspection in inspections {
        for fact in &inspection.facts {
            let Fact::Model(ModelFact::HfConfig(config)) = fact else {
                continue;
            };
            let folder = folder_of(&inspection.display);
            if config.declares_model {
                model_folders.insert(folder.to_owned());
            }
            let components: Vec<String> = config
                .custom_components
                .iter()
                .filter_map(|(component, library, class)| {
                    let file = join(folder, &format!("{component}/{library}.py"));
                    files
                        .contains(file.as_str())
                        .then(|| format!("component `{component}` → {library}.{class} (`{file}`)"))
                })
                .collect();
            if config.auto_map.is_empty()
                && config.custom_pipelines.is_empty()
                && components.is_empty()
            {
                continue;
            }
            let mut entries = Vec::new();
            let mut repositories = BTreeSet::new();
            for (class, target) in &config.auto_map {
                match target.split_once("--") {
                    Some((repository, reference)) => {
                        repositories.insert(repository.to_owned());
                        entries.push(format!(
                            "{class} → {reference} from repository `{repository}`"
                        ));
                    }
                    None => {
                        let module = target.rsplit_once('.').map_or(target.as_str(), |(m, _)| m);
                        let file = join(folder, &format!("{}.py", module.replace('.', "/")));
                        let beside = if files.contains(file.as_str()) {
                            format!("`{file}`")
                        } else {
                            format!("`{file}`, not among the checked files")
                        };
                        entries.push(format!("{class} → {target} ({beside})"));
                    }
                }
            }
            for (task, implementation) in &config.custom_pipelines {
                entries.push(format!("pipeline `{task}` → {implementation}"));
            }
            entries.extend(components);
            let mut finding = REMOTE_CODE
                .at(
                    &inspection.display,
                    format!(
                        "{} makes the loader import Python code with trust_remote_code: {}",
                        config.kind,
                        entries.join("; ")
                    ),
                )
                .evidence("entries", entries.clone())
                .help("use an architecture built into transformers, or review the code and set `models.remote-code: warning`");
            if !repositories.is_empty() {
                finding =
                    finding.evidence("repositories", repositories.into_iter().collect::<Vec<_>>());
            }
            finding.severity = severity;
            out.push(finding);
        }
    }
    for inspection in inspections {
        let path = inspection.display.as_str();
        if !path.ends_with(".py") || !model_folders.contains(folder_of(path)) {
            continue;
        }
        let mut finding = REMOTE_CODE
            .at(
                path,
                "Python code in a model folder: what `trust_remote_code` imports and custom inference handlers (`handler.py`) run",
            )
            .help("remove the code and use an architecture built into transformers, or review it and set `models.remote-code: warning`");
        finding.severity = severity;
        out.push(finding);
    }
}
