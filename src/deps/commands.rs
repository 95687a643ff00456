//! Installs written as commands and settings: `pip install` / `pip3 install` / `python -m pip
//! install` / `uv pip install` lines and `PIP_*`/`UV_*` variables in shell scripts, Dockerfiles,
//! Makefiles and GitHub workflow `run:` steps (with their `env:`), plus committed `pip.conf` /
//! `pip.ini` and `setup.cfg` (`install_requires`). A `-r FILE` on a command line is read with the
//! command's indexes, as pip would.

use super::requirements::{PYPI, Walker};
use super::text::{LineIndex, Word, mask_github_expressions, shell_expands, split_words, to_u32};
use super::{
    Facts, Index, Install, Location, Origin, Problem, ProblemKind, Requirement, Role, SourceFile,
    Tool, inside_root, names,
};
use crate::policy::yaml::{Node, Value};
use std::path::Path;

/// An environment setting that changes where pip or uv look.
#[derive(Debug, Clone)]
struct Setting {
    key: String,
    value: String,
    at: Location,
}

const ENV_KEYS: &[&str] = &[
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_TRUSTED_HOST",
    "PIP_NO_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_INDEX",
    "UV_FIND_LINKS",
    "UV_INDEX_STRATEGY",
    "UV_NO_INDEX",
];

/// pip/uv options that take a value but do not concern sources (skipped with their value).
const VALUE_OPTIONS: &[&str] = &[
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--src",
    "--log",
    "--timeout",
    "--retries",
    "--python",
    "-p",
    "--only-binary",
    "--no-binary",
    "--config-settings",
    "-C",
    "--global-option",
    "--report",
    "--exists-action",
    "--proxy",
    "--cert",
    "--client-cert",
    "--use-feature",
    "--extra",
    "--group",
    "--prerelease",
    "--resolution",
    "--keyring-provider",
    "--link-mode",
    "--exclude-newer",
];

/// One shell line after `\` joins, with the position of each joined piece.
struct ShellLine {
    text: String,
    /// (offset in `text`, line, column) of each physical piece.
    pieces: Vec<(usize, u32, u32)>,
}

impl ShellLine {
    fn at(&self, display: &str, offset: usize) -> Location {
        let index = self
            .pieces
            .partition_point(|(start, _, _)| *start <= offset)
            .saturating_sub(1);
        let (start, line, column) = self.pieces.get(index).copied().unwrap_or((0, 1, 1));
        let chars = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        Location::new(display, line, column.saturating_add(to_u32(chars)))
    }
}

/// Joins `\`-continued lines and drops comment lines. `place` maps (0-based line of `script`,
/// 0-based char column) to a file position.
fn shell_lines(script: &str, place: &dyn Fn(usize, usize) -> (u32, u32)) -> Vec<ShellLine> {
    let mut out = Vec::new();
    let mut current: Option<ShellLine> = None;
    for (number, line) in script.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') && current.is_none() {
            continue;
        }
        let indent = line.chars().count() - trimmed.chars().count();
        let (line_no, column) = place(number, indent);
        let body = trimmed.strip_suffix('\\');
        let piece = body.unwrap_or(trimmed);
        let shell = current.get_or_insert_with(|| ShellLine {
            text: String::new(),
            pieces: Vec::new(),
        });
        shell.pieces.push((shell.text.len(), line_no, column));
        shell.text.push_str(piece);
        if body.is_some() {
            shell.text.push(' ');
        } else if let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out
}

/// Settings (`KEY=value`, `export KEY=value`, Dockerfile `ENV KEY value`) in a shell line.
fn settings_in(line: &ShellLine, words: &[Word], display: &str, out: &mut Vec<Setting>) {
    for (i, word) in words.iter().enumerate() {
        if let Some((key, value)) = word.text.split_once('=')
            && ENV_KEYS.contains(&key)
        {
            out.push(Setting {
                key: key.to_owned(),
                value: value.to_owned(),
                at: line.at(display, word.start),
            });
        } else if word.text == "ENV"
            && i == 0
            && let (Some(key), Some(value)) = (words.get(1), words.get(2))
            && ENV_KEYS.contains(&key.text.as_str())
        {
            out.push(Setting {
                key: key.text.clone(),
                value: value.text.clone(),
                at: line.at(display, key.start),
            });
        }
    }
}

/// Finds `pip install`, `python -m pip install`, `uv pip install` (also `sync`/`compile`) and
/// returns (tool, index of the first argument, whether arguments are requirements files).
fn install_commands(words: &[Word]) -> Vec<(Tool, usize, bool)> {
    let mut found = Vec::new();
    let base = |w: &Word| w.text.rsplit('/').next().unwrap_or(&w.text).to_owned();
    let is_pip = |name: &str| {
        name == "pip"
            || name
                .strip_prefix("pip")
                .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    for i in 0..words.len() {
        let Some(word) = words.get(i) else { continue };
        let name = base(word);
        let next = |k: usize| words.get(i + k).map(|w| w.text.as_str());
        if is_pip(&name) && matches!(next(1), Some("install" | "download" | "wheel")) {
            let uv = i > 0 && words.get(i - 1).is_some_and(|w| base(w) == "uv");
            let tool = if uv {
                Tool::Uv { best_match: false }
            } else {
                Tool::Pip
            };
            found.push((tool, i + 2, false));
        } else if name == "uv"
            && next(1) == Some("pip")
            && matches!(next(2), Some("sync" | "compile"))
        {
            found.push((Tool::Uv { best_match: false }, i + 3, true));
        }
    }
    found
}

fn is_separator(text: &str) -> bool {
    matches!(text, "&&" | "||" | ";" | "|" | ">" | ">>" | "2>&1" | "&")
}

struct Context<'a> {
    root: &'a Path,
    display: &'a str,
    dir: &'a Path,
}

/// Builds the install one command describes.
fn command_install(
    cx: &Context<'_>,
    line: &ShellLine,
    words: &[Word],
    (tool, start, file_arguments): (Tool, usize, bool),
    settings: &[Setting],
    facts: &mut Facts,
) {
    let at = line.at(
        cx.display,
        words.get(start.saturating_sub(2)).map_or(0, |w| w.start),
    );
    let mut walker = Walker::new(cx.root, tool, cx.display);
    walker.declared_at(at.clone());
    let mut best_match = false;
    apply_settings(&mut walker, tool, settings, &mut best_match, facts);
    let mut i = start;
    while let Some(word) = words.get(i) {
        i += 1;
        let text = word.text.trim_end_matches(';');
        if is_separator(text) {
            break;
        }
        let here = line.at(cx.display, word.start);
        let (flag, attached) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ if text.len() > 2
                && text.starts_with('-')
                && !text.starts_with("--")
                && "rcief".contains(text.chars().nth(1).unwrap_or(' ')) =>
            {
                (
                    text.get(..2).unwrap_or(text),
                    text.get(2..).map(str::to_owned),
                )
            }
            _ => (text, None),
        };
        let takes_value = matches!(
            flag,
            "-r" | "--requirement"
                | "-c"
                | "--constraint"
                | "-i"
                | "--index-url"
                | "--extra-index-url"
                | "-f"
                | "--find-links"
                | "--trusted-host"
                | "-e"
                | "--editable"
                | "--index"
                | "--default-index"
                | "--index-strategy"
        ) || VALUE_OPTIONS.contains(&flag);
        let value = if takes_value {
            match attached {
                Some(value) => Some(value),
                None => {
                    let value = words.get(i).map(|w| w.text.clone());
                    i += 1;
                    value
                }
            }
        } else {
            None
        };
        let value = value.unwrap_or_default();
        match flag {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                requirement_file(cx, &mut walker, &value, &here, facts);
            }
            "-i" | "--index-url" | "--default-index" => {
                index_variables(&value, &here, facts);
                walker.add_index(&value, Role::Primary, here);
            }
            "--extra-index-url" | "--index" => {
                let url = value.split_once('=').map_or(value.as_str(), |(name, url)| {
                    if names::looks_like_url(name) {
                        value.as_str()
                    } else {
                        url
                    }
                });
                index_variables(url, &here, facts);
                walker.add_index(url, Role::Extra, here);
            }
            "-f" | "--find-links" if names::looks_like_url(&value) => {
                walker.add_index(&value, Role::FindLinks, here);
            }
            "--trusted-host" => facts.problems.push(Problem {
                kind: ProblemKind::Insecure,
                message: format!(
                    "`--trusted-host {value}` turns off TLS certificate checks for that host"
                ),
                evidence: value.clone(),
                at: here,
            }),
            "--no-index" => walker.set_no_index(),
            "--require-hashes" => walker.set_require_hashes(),
            "--index-strategy" => best_match = value == "unsafe-best-match",
            "-e" | "--editable" => {
                walker.add_requirement_text(&value, &here);
                project_dependencies(cx, &mut walker, &value, &here);
            }
            _ if text.starts_with('-') || text.is_empty() => {}
            _ if text.contains('$') || text.contains('`') => {}
            _ if file_arguments => {
                // `uv pip sync|compile FILE`: the argument is a requirements file.
                requirement_file(cx, &mut walker, text, &here, facts);
            }
            _ => {
                walker.add_requirement_text(text, &here);
                project_dependencies(cx, &mut walker, text, &here);
            }
        }
    }
    let mut found = walker.finish();
    if let Some(install) = found.installs.last_mut()
        && let Tool::Uv { .. } = install.tool
    {
        install.tool = Tool::Uv { best_match };
        uv_order(install);
    }
    facts.extend(found);
}

/// `pip install .` (or `-e path[extra]`) installs the project's `[project] dependencies` with
/// the command's indexes: tool source pins (`[tool.uv.sources]`, Poetry and PDM sources) do not
/// apply. They are added to the command's install, located in the pyproject with the command as
/// the chain.
fn project_dependencies(
    cx: &Context<'_>,
    walker: &mut Walker<'_>,
    argument: &str,
    here: &Location,
) {
    let path = argument.split('[').next().unwrap_or(argument);
    let local = path == "." || path.starts_with("./") || path.starts_with("../");
    if !local || path.contains('$') {
        return;
    }
    for base in [cx.dir, cx.root] {
        let Some((canonical, display)) =
            inside_root(cx.root, &base.join(path).join("pyproject.toml"))
        else {
            continue;
        };
        let Ok(text) = super::read_text(&canonical) else {
            return;
        };
        let file = SourceFile {
            display: &display,
            path: &canonical,
            root: cx.root,
        };
        let chain = vec![format!("{}:{}", here.path, here.line)];
        let requirements = super::pyproject::pip_view(&file, &text)
            .into_iter()
            .map(|mut r| {
                r.at.chain.clone_from(&chain);
                r
            })
            .collect();
        walker.add_requirements(requirements);
        return;
    }
}

/// uv asks `--index-url`/`--default-index` (or PyPI) last.
fn uv_order(install: &mut Install) {
    if let Some(position) = install.indexes.iter().position(|i| i.role == Role::Primary) {
        let default = install.indexes.remove(position);
        install.indexes.push(default);
    }
}

/// A shell expansion in an index URL: its value is only known when the command runs.
fn index_variables(url: &str, at: &Location, facts: &mut Facts) {
    if shell_expands(url) {
        facts.problems.push(Problem {
            kind: ProblemKind::UnresolvedVariable,
            message: format!(
                "`{url}` is only known when the command runs: the source cannot be checked"
            ),
            evidence: url.to_owned(),
            at: at.clone(),
        });
    }
}

/// `-r FILE` on a command line: read with the command's indexes when the file is in the
/// repository (relative to the script's folder or ROOT); a URL is a remote include.
fn requirement_file(
    cx: &Context<'_>,
    walker: &mut Walker<'_>,
    target: &str,
    here: &Location,
    facts: &mut Facts,
) {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        facts.problems.push(Problem {
            kind: ProblemKind::RemoteInclude,
            message: format!("`-r {target}` makes pip fetch requirements from the network: their content was never reviewed"),
            evidence: target.to_owned(),
            at: here.clone(),
        });
        return;
    }
    if target.contains('$') {
        return;
    }
    for base in [cx.dir, cx.root] {
        if let Some((canonical, display)) = inside_root(cx.root, &base.join(target)) {
            if canonical.is_file() {
                walker.file(
                    &canonical,
                    &display,
                    &[format!("{}:{}", here.path, here.line)],
                    false,
                );
            }
            return;
        }
    }
}

/// Applies `PIP_*` / `UV_*` settings to a command's walker (space-separated lists).
fn apply_settings(
    walker: &mut Walker<'_>,
    tool: Tool,
    settings: &[Setting],
    best_match: &mut bool,
    facts: &mut Facts,
) {
    let uv = matches!(tool, Tool::Uv { .. });
    for setting in settings {
        let applies = if uv {
            setting.key.starts_with("UV_")
        } else {
            setting.key.starts_with("PIP_")
        };
        if !applies {
            continue;
        }
        let at = setting.at.clone();
        index_variables(&setting.value, &at, facts);
        let values = setting.value.split_whitespace();
        match setting.key.as_str() {
            "PIP_INDEX_URL" | "UV_INDEX_URL" | "UV_DEFAULT_INDEX" => {
                walker.add_index(&setting.value, Role::Primary, at);
            }
            "PIP_EXTRA_INDEX_URL" | "UV_EXTRA_INDEX_URL" | "UV_INDEX" => {
                for value in values {
                    let url = value
                        .split_once('=')
                        .filter(|(name, _)| !names::looks_like_url(name))
                        .map_or(value, |(_, url)| url);
                    walker.add_index(url, Role::Extra, at.clone());
                }
            }
            "PIP_FIND_LINKS" | "UV_FIND_LINKS" => {
                for value in values.filter(|v| names::looks_like_url(v)) {
                    walker.add_index(value, Role::FindLinks, at.clone());
                }
            }
            "PIP_TRUSTED_HOST" => facts.problems.push(Problem {
                kind: ProblemKind::Insecure,
                message: format!(
                    "`PIP_TRUSTED_HOST={}` turns off TLS certificate checks for that host",
                    setting.value
                ),
                evidence: setting.value.clone(),
                at,
            }),
            "PIP_NO_INDEX" | "UV_NO_INDEX"
                if matches!(
                    setting.value.to_ascii_lowercase().as_str(),
                    "1" | "true" | "yes" | "on"
                ) =>
            {
                walker.set_no_index();
            }
            "UV_INDEX_STRATEGY" => *best_match = setting.value == "unsafe-best-match",
            _ => {}
        }
    }
}

/// Reads one script (a file, or a workflow step's `run:`), adding an install per command.
/// Settings that no command in the script uses still describe an install (they apply to every
/// later `pip`/`uv` in the job), so they are judged on their own.
fn read_shell(
    cx: &Context<'_>,
    script: &str,
    place: &dyn Fn(usize, usize) -> (u32, u32),
    inherited: &[Setting],
    facts: &mut Facts,
) -> usize {
    let lines = shell_lines(script, place);
    let mut settings = inherited.to_vec();
    let mut parsed = Vec::new();
    for line in &lines {
        let words = split_words(&line.text);
        settings_in(line, &words, cx.display, &mut settings);
        parsed.push(words);
    }
    let mut commands = 0;
    for (line, words) in lines.iter().zip(&parsed) {
        for command in install_commands(words) {
            commands += 1;
            command_install(cx, line, words, command, &settings, facts);
        }
    }
    if commands == 0 {
        settings_only(
            cx,
            settings.get(inherited.len()..).unwrap_or_default(),
            facts,
        );
    }
    commands
}

fn settings_only(cx: &Context<'_>, settings: &[Setting], facts: &mut Facts) {
    for (prefix, tool) in [("PIP_", Tool::Pip), ("UV_", Tool::Uv { best_match: false })] {
        let mine: Vec<Setting> = settings
            .iter()
            .filter(|s| s.key.starts_with(prefix))
            .cloned()
            .collect();
        let Some(first) = mine.first() else { continue };
        let mut walker = Walker::new(cx.root, tool, cx.display);
        walker.declared_at(first.at.clone());
        let mut best_match = false;
        apply_settings(&mut walker, tool, &mine, &mut best_match, facts);
        let mut found = walker.finish();
        if let Some(install) = found.installs.last_mut()
            && let Tool::Uv { .. } = install.tool
        {
            install.tool = Tool::Uv { best_match };
            uv_order(install);
        }
        facts.extend(found);
    }
}

/// Reads a shell script, Dockerfile or Makefile.
pub(crate) fn read_script(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let dir = file.path.parent().unwrap_or(file.root);
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let cx = Context {
        root: file.root,
        display: file.display,
        dir: &dir,
    };
    read_shell(
        &cx,
        text,
        &|line, column| (to_u32(line + 1), to_u32(column + 1)),
        &[],
        &mut facts,
    );
    facts
}

/// Reads a GitHub workflow: every `run:` step, with the `env:` settings in scope for it (the
/// workflow's, its job's, its step's).
pub(crate) fn read_workflow(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(tree) = facts.parse_yaml(file, text, "GitHub") else {
        return facts;
    };
    let mut runs = Vec::new();
    let mut settings = Vec::new();
    collect_workflow(&tree, text, file.display, &[], &mut runs, &mut settings);
    let cx = Context {
        root: file.root,
        display: file.display,
        dir: file.root,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut used = std::collections::BTreeSet::new();
    for (script, node, scope) in &runs {
        let raw = text.get(node.span.start..).unwrap_or_default();
        let block = raw.starts_with('|') || raw.starts_with('>');
        let quoted = raw.starts_with('"') || raw.starts_with('\'');
        let first_line = if block {
            node.span.line.saturating_add(1)
        } else {
            node.span.line
        };
        let indent = lines
            .get(usize::try_from(first_line).unwrap_or(1).saturating_sub(1))
            .map_or(0, |l| l.chars().count() - l.trim_start().chars().count());
        let base_column = node.span.column.saturating_add(u32::from(quoted));
        let place = |line: usize, column: usize| {
            if block {
                (
                    first_line.saturating_add(to_u32(line)),
                    to_u32(indent + column + 1),
                )
            } else {
                (
                    first_line.saturating_add(to_u32(line)),
                    base_column.saturating_add(to_u32(column)),
                )
            }
        };
        if read_shell(&cx, script, &place, scope, &mut facts) > 0 {
            used.extend(scope.iter().map(|s| (s.at.line, s.at.column)));
        }
    }
    // Settings no pip or uv command of this workflow used still reach whatever installs (a make
    // target, a composite action): judged on their own.
    let unused: Vec<Setting> = settings
        .into_iter()
        .filter(|s| !used.contains(&(s.at.line, s.at.column)))
        .collect();
    settings_only(&cx, &unused, &mut facts);
    facts
}

/// A `run:` script with the `env:` settings in scope for it (workflow, job, step).
type Run<'n> = (String, &'n Node, Vec<Setting>);

fn collect_workflow<'n>(
    node: &'n Node,
    text: &str,
    display: &str,
    inherited: &[Setting],
    runs: &mut Vec<Run<'n>>,
    all: &mut Vec<Setting>,
) {
    match &node.value {
        Value::Map(entries) => {
            let mut scope = inherited.to_vec();
            for (key, value) in entries {
                let (Some("env"), Value::Map(vars)) =
                    (key.scalar_text(text).as_deref(), &value.value)
                else {
                    continue;
                };
                for (name, setting) in vars {
                    let name = name.scalar_text(text).unwrap_or_default();
                    if ENV_KEYS.contains(&name.as_str())
                        && let Some(value_text) = setting.scalar_text(text)
                    {
                        let setting = Setting {
                            key: name,
                            value: mask_github_expressions(&value_text),
                            at: Location::new(display, setting.span.line, setting.span.column),
                        };
                        all.push(setting.clone());
                        scope.push(setting);
                    }
                }
            }
            for (key, value) in entries {
                match (key.scalar_text(text).as_deref(), &value.value) {
                    (Some("run"), Value::Str(script)) => {
                        runs.push((mask_github_expressions(script), value, scope.clone()));
                    }
                    (Some("env"), _) => {}
                    _ => collect_workflow(value, text, display, &scope, runs, all),
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_workflow(item, text, display, inherited, runs, all);
            }
        }
        _ => {}
    }
}

/// A minimal INI reader for pip.conf and setup.cfg: `[section]`, `key = value` or `key: value`,
/// indented continuation lines, `#`/`;` comments. Yields (section, key, values with positions).
/// One `key = value` of an INI file: section, key, and each value line with its position.
type IniEntry = (String, String, Vec<(String, u32, u32)>);

fn ini(text: &str) -> Vec<IniEntry> {
    let mut out: Vec<IniEntry> = Vec::new();
    let mut section = String::new();
    let lines = LineIndex::new(text);
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let (line_no, column) = lines.position(line_start + indent);
        if indent > 0
            && let Some((_, _, values)) = out.last_mut()
        {
            values.push((trimmed.to_owned(), line_no, column));
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed
            .get(..split)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let value = trimmed.get(split + 1..).unwrap_or_default();
        let value_trimmed = value.trim();
        let mut values = Vec::new();
        if !value_trimmed.is_empty() {
            let value_offset =
                line_start + indent + split + 1 + (value.len() - value.trim_start().len());
            let (vl, vc) = lines.position(value_offset);
            values.push((value_trimmed.to_owned(), vl, vc));
        }
        out.push((section.clone(), key, values));
    }
    out
}

/// Reads a committed `pip.conf` / `pip.ini` (`[global]`, then `[install]` overriding it).
pub(crate) fn read_pip_conf(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let mut walker = Walker::new(file.root, Tool::Pip, file.display);
    // `[install]` overrides `[global]` key by key; within a section the last value wins.
    let mut effective: std::collections::BTreeMap<String, Vec<(String, u32, u32)>> =
        std::collections::BTreeMap::new();
    for wanted in ["global", "install"] {
        for (section, key, values) in ini(text) {
            if section == wanted {
                effective.insert(key.replace('_', "-"), values);
            }
        }
    }
    let mut any = false;
    for (key, values) in &effective {
        for (value, line, column) in values {
            let at = Location::new(file.display, *line, *column);
            let items: Vec<&str> = value.split_whitespace().collect();
            match key.as_str() {
                "index-url" | "index" | "i" => {
                    any = true;
                    index_variables(value, &at, &mut facts);
                    walker.add_index(value, Role::Primary, at);
                }
                "extra-index-url" => {
                    any = true;
                    for item in items {
                        index_variables(item, &at, &mut facts);
                        walker.add_index(item, Role::Extra, at.clone());
                    }
                }
                "find-links" | "f" => {
                    for item in items.into_iter().filter(|i| names::looks_like_url(i)) {
                        any = true;
                        walker.add_index(item, Role::FindLinks, at.clone());
                    }
                }
                "trusted-host" => facts.problems.push(Problem {
                    kind: ProblemKind::Insecure,
                    message: format!(
                        "`trusted-host = {value}` turns off TLS certificate checks for that host"
                    ),
                    evidence: value.clone(),
                    at,
                }),
                "no-index" if matches!(value.as_str(), "true" | "1" | "yes" | "on") => {
                    any = true;
                    walker.set_no_index();
                }
                _ => {}
            }
        }
    }
    if any {
        facts.extend(walker.finish());
    }
    facts
}

/// Reads `setup.cfg` `[options] install_requires` and `[options.extras_require]`: PEP 508 strings
/// that `pip install .` resolves from pip's default index.
pub(crate) fn read_setup_cfg(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let mut requirements = Vec::new();
    for (section, key, values) in ini(text) {
        let wanted = (section == "options" && key == "install_requires")
            || section == "options.extras_require";
        if !wanted {
            continue;
        }
        for (value, line, column) in values {
            let at = Location::new(file.display, line, column);
            match names::parse_pep508(&value) {
                Ok(parsed) => requirements.push(Requirement {
                    name: Some(names::normalise(&parsed.name)),
                    origin: match parsed.url {
                        Some(url) if names::is_vcs(&url) => Origin::Vcs {
                            reference: names::vcs_reference(&url),
                            url,
                        },
                        Some(url) => Origin::Url { url },
                        None => Origin::Registry { index: None },
                    },
                    pinned: parsed.pinned,
                    hashes: Vec::new(),
                    constraint: false,
                    manifest: true,
                    at,
                }),
                Err(error) => facts.problems.push(Problem {
                    kind: ProblemKind::Invalid,
                    message: format!("invalid requirement in setup.cfg: {error}"),
                    evidence: value.clone(),
                    at,
                }),
            }
        }
    }
    if !requirements.is_empty() {
        facts.installs.push(Install {
            tool: Tool::Pip,
            what: file.display.to_owned(),
            at: Location::new(file.display, 1, 1),
            pins_expected: false,
            require_hashes: false,
            indexes: vec![Index {
                url: PYPI.to_owned(),
                name: Some("PyPI (pip's default)".to_owned()),
                role: Role::Primary,
                at: None,
                include: Vec::new(),
                exclude: Vec::new(),
            }],
            requirements,
        });
    }
    facts
}
