//! DVC files: the `md5` each `.dvc` file's `outs` and each `dvc.lock` stage's `deps` and `outs`
//! record for a path (relative to the file's folder). Read with the spanned YAML tree the policy
//! uses (serde-saphyr, with its budgets), so every problem has a line and column.
//!
//! Entries that carry no `md5` but a remote checksum (`etag`, `checksum`: imports from URLs and
//! cloud storage) and paths that are URLs name nothing in the checkout and are passed over.

use super::LineProblem;
use crate::policy::yaml::{self, Node, Value};

/// A path and the MD5 DVC recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DvcEntry {
    pub(crate) path: String,
    pub(crate) md5: [u8; 16],
    /// A folder output: `md5` names DVC's listing of the folder (`<md5>.dir`).
    pub(crate) directory: bool,
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// A `dvc.lock` stage's `deps` entry: an input the stage read (often code), not an output.
    pub(crate) stage_input: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) entries: Vec<DvcEntry>,
    pub(crate) problems: Vec<LineProblem>,
}

/// `*.dvc` and `dvc.lock` files (not `.dvcignore`, not the `.dvc` folder's contents).
pub(crate) fn is_dvc_file(display: &str) -> bool {
    let mut parts = display.rsplit('/');
    let name = parts.next().unwrap_or(display);
    let in_dvc_folder = parts.any(|p| p == ".dvc");
    !in_dvc_folder && (name == "dvc.lock" || (name.len() > 4 && name.ends_with(".dvc")))
}

pub(crate) fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let Ok(text) = std::str::from_utf8(bytes) else {
        parsed.problems.push(problem(1, None, "not UTF-8 text"));
        return parsed;
    };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => return parsed,
        Err(error) => {
            let (line, column, first) = yaml::error_position(&error);
            parsed
                .problems
                .push(problem(line, column, &format!("invalid YAML: {first}")));
            return parsed;
        }
    };
    let Value::Map(fields) = &root.value else {
        parsed
            .problems
            .push(at(&root, "a DVC file must be a mapping"));
        return parsed;
    };
    let stages = get(fields, "stages");
    if let Some(outs) = get(fields, "outs") {
        entries(text, outs, false, &mut parsed);
    } else if let Some(stages) = stages {
        each_stage(text, stages, &mut parsed);
    } else if !fields.iter().any(|(k, _)| is_str(&k.value, "schema")) {
        // dvc.lock schema 1: stages at the top level.
        each_stage(text, &root, &mut parsed);
    }
    parsed
}

fn each_stage(text: &str, stages: &Node, parsed: &mut Parsed) {
    let Value::Map(stages) = &stages.value else {
        parsed
            .problems
            .push(at(stages, "`stages` must be a mapping"));
        return;
    };
    for (_, stage) in stages {
        let Value::Map(stage_fields) = &stage.value else {
            continue;
        };
        for (key, stage_input) in [("deps", true), ("outs", false)] {
            if let Some(list) = get(stage_fields, key) {
                entries(text, list, stage_input, parsed);
            }
        }
    }
}

fn entries(text: &str, list: &Node, stage_input: bool, parsed: &mut Parsed) {
    let Value::Seq(items) = &list.value else {
        parsed.problems.push(at(list, "expected a list of entries"));
        return;
    };
    for item in items {
        let Value::Map(fields) = &item.value else {
            parsed
                .problems
                .push(at(item, "an entry must be a mapping with `path`"));
            continue;
        };
        let Some(path_node) = get(fields, "path") else {
            parsed.problems.push(at(item, "an entry without `path`"));
            continue;
        };
        let Some(path) = path_node.scalar_text(text) else {
            parsed.problems.push(at(path_node, "`path` must be text"));
            continue;
        };
        if path.contains("://") {
            continue;
        }
        let Some(md5_node) = get(fields, "md5") else {
            if get(fields, "etag").is_some() || get(fields, "checksum").is_some() {
                continue;
            }
            parsed.problems.push(at(
                item,
                &format!("`{path}` has no `md5`; gate cannot verify it"),
            ));
            continue;
        };
        let md5_text = md5_node.scalar_text(text).unwrap_or_default();
        let directory = md5_text.ends_with(".dir");
        let md5 = parse_md5(md5_text.strip_suffix(".dir").unwrap_or(&md5_text));
        let Some(md5) = md5 else {
            parsed
                .problems
                .push(at(md5_node, "`md5` must be 32 hex digits"));
            continue;
        };
        parsed.entries.push(DvcEntry {
            path,
            md5,
            directory,
            line: path_node.span.line,
            column: path_node.span.column,
            stage_input,
        });
    }
}

fn get<'n>(fields: &'n [(Node, Node)], key: &str) -> Option<&'n Node> {
    fields
        .iter()
        .find(|(k, _)| is_str(&k.value, key))
        .map(|(_, v)| v)
}

fn is_str(value: &Value, text: &str) -> bool {
    matches!(value, Value::Str(s) if s == text)
}

pub(crate) fn parse_md5(text: &str) -> Option<[u8; 16]> {
    let text = text.trim();
    if text.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn at(node: &Node, message: &str) -> LineProblem {
    problem(node.span.line, Some(node.span.column), message)
}

fn problem(line: u32, column: Option<u32>, message: &str) -> LineProblem {
    LineProblem {
        line,
        column,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dvc_file_outs() {
        let text = "outs:\n- md5: 900150983cd24fb0d6963f7d28e17f72\n  size: 3\n  hash: md5\n  path: data.csv\n- md5: 00000000000000000000000000000000.dir\n  path: images\n";
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.problems, []);
        let paths: Vec<(&str, u32)> = parsed
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.line))
            .collect();
        assert_eq!(paths, [("data.csv", 5), ("images", 7)]);
    }

    #[test]
    fn dvc_lock_stages_deps_and_outs() {
        let text = "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/raw.csv\n      md5: 900150983cd24fb0d6963f7d28e17f72\n    - path: s3://bucket/x\n      etag: abc\n    outs:\n    - path: model.pkl\n      md5: 900150983cd24fb0d6963f7d28e17f72\n    - path: bad\n      md5: nothex\n";
        let parsed = parse(text.as_bytes());
        let paths: Vec<&str> = parsed.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["data/raw.csv", "model.pkl"]);
        let problems: Vec<u32> = parsed.problems.iter().map(|p| p.line).collect();
        assert_eq!(problems, [14]);
    }

    #[test]
    fn broken_yaml_is_a_problem_with_a_line() {
        let parsed = parse(b"outs:\n- path: [unclosed\n");
        assert_eq!(parsed.problems.len(), 1);
        assert!(
            parsed.problems.iter().all(|p| p.line >= 2),
            "{:?}",
            parsed.problems
        );
    }

    #[test]
    fn recognises_dvc_files() {
        assert!(is_dvc_file("data.csv.dvc"));
        assert!(is_dvc_file("pipelines/dvc.lock"));
        assert!(!is_dvc_file(".dvcignore"));
        assert!(!is_dvc_file(".dvc"));
        assert!(!is_dvc_file(".dvc/config.dvc"));
    }
}
