//! conda `environment.yml`: the `pip:` sub-list is handed to pip as a requirements file, so it is
//! read with pip's grammar (options such as `--extra-index-url` included). Conda packages and
//! `channels:` are a separate namespace (PyTorch's conda channel still ships `torchtriton`) and
//! are not judged against the PyPI policy.

use super::requirements::Walker;
use super::{Facts, Location, SourceFile, Tool};
use crate::policy::yaml::Value;

pub(crate) fn read_environment(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(tree) = facts.parse_yaml(file, text, "conda") else {
        return facts;
    };
    let Value::Map(top) = &tree.value else {
        return facts;
    };
    let dependencies = top
        .iter()
        .find(|(k, _)| k.scalar_text(text).as_deref() == Some("dependencies"))
        .map(|(_, v)| v);
    let Some(Value::Seq(items)) = dependencies.map(|d| &d.value) else {
        return facts;
    };
    let dir = file.path.parent().unwrap_or(file.root);
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for item in items {
        let Value::Map(entries) = &item.value else {
            continue;
        };
        for (key, value) in entries {
            if key.scalar_text(text).as_deref() != Some("pip") {
                continue;
            }
            let Value::Seq(lines) = &value.value else {
                continue;
            };
            let entries: Vec<(String, u32, u32)> = lines
                .iter()
                .filter_map(|line| {
                    let quoted = text
                        .get(line.span.start..)
                        .is_some_and(|raw| raw.starts_with('"') || raw.starts_with('\''));
                    line.scalar_text(text).map(|t| {
                        (
                            t,
                            line.span.line,
                            line.span.column.saturating_add(u32::from(quoted)),
                        )
                    })
                })
                .collect();
            let mut walker = Walker::new(file.root, Tool::Pip, file.display);
            walker.declared_at(Location::new(file.display, key.span.line, key.span.column));
            walker.inline_lines(file.display, &dir, &entries);
            facts.extend(walker.finish());
        }
    }
    facts
}
