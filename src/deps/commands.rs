//! Installs written as commands and settings: `pip install` / `pip3.11 install` / `python -m pip
//! install` / `uv pip install|sync|compile` lines (with pip's general options before the
//! subcommand, pip's abbreviated long options, Make's `@-+` recipe prefixes and Dockerfile JSON
//! exec form), `pip config set`, and `PIP_*`/`UV_*` variables (`PIP_CONFIG_FILE` naming a
//! committed file) in shell scripts, Dockerfiles/Containerfiles, Makefiles and GitHub workflow or
//! composite-action `run:` steps (with their `env:`, and what earlier steps of the job wrote to
//! `$GITHUB_ENV`), plus committed `pip.conf` / `pip.ini` and `setup.cfg` (`install_requires`).
//! A `-r FILE` on a command line is read with the command's indexes, as pip would: after every
//! command-line option, so the file's own `--index-url` wins.
//! uv commands (`uv pip …` and the project commands `uv sync|lock|run|add|remove|export|tree`)
//! also read the uv configuration found from the folder they run in (a workflow step's
//! `working-directory`, `--directory`/`--project`), merged under their flags and `UV_*`
//! variables as uv merges them; a project command installs that project's dependencies.

use super::pyproject::{UvView, uv_view};
use super::requirements::{PYPI, Walker};
use super::text::{LineIndex, Word, mask_github_expressions, shell_expands, split_words, to_u32};
use super::{
    Facts, Index, Install, Location, Origin, Problem, ProblemKind, Requirement, Role, SourceFile,
    Tool, inside_root, names,
};
use crate::policy::yaml::{Node, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Where a setting comes from. pip reads its configuration files, then the environment over
/// them, then the command line over both (`docs/html/topics/configuration.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// `pip config set`: written to a pip.conf that every later pip of that machine reads.
    /// `user` unless `--global`/`--site` chose another file: pip skips the user file under
    /// `--isolated` or when `PIP_CONFIG_FILE` names an existing file.
    ConfigSet { user: bool },
    /// A pip configuration file: named by `PIP_CONFIG_FILE`, or a committed pip.conf read alone.
    ConfigFile,
    /// An environment variable (YAML `env:`, `export`, Dockerfile `ENV`, `$GITHUB_ENV`).
    Env,
}

/// A setting that changes where pip or uv look, as the environment variable it amounts to.
#[derive(Debug, Clone)]
struct Setting {
    key: String,
    value: String,
    at: Location,
    from: From,
}

impl Setting {
    /// Identifies a setting within one file, to know whether some command used it.
    fn id(&self) -> (u32, u32) {
        (self.at.line, self.at.column)
    }
}

const ENV_KEYS: &[&str] = &[
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_TRUSTED_HOST",
    "PIP_NO_INDEX",
    "PIP_CONFIG_FILE",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_INDEX",
    "UV_FIND_LINKS",
    "UV_INDEX_STRATEGY",
    "UV_NO_INDEX",
    "UV_INSECURE_HOST",
    "UV_NO_CONFIG",
    "UV_NO_SOURCES",
    "UV_LOCKED",
    "UV_FROZEN",
];

/// uv variables that say how a command reads the project, not where it looks: they matter to
/// the commands that see them, and describe no install on their own.
const UV_CONTROL_KEYS: &[&str] = &["UV_NO_CONFIG", "UV_NO_SOURCES", "UV_LOCKED", "UV_FROZEN"];

/// What an option on a pip or uv command line means to gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    /// uv `--index [name=]url`.
    UvIndex,
    FindLinks,
    TrustedHost,
    NoIndex,
    RequireHashes,
    IndexStrategy,
    /// pip `--isolated`: environment variables and the user's configuration are ignored. uv's
    /// deprecated global `--isolated` means `--no-config`.
    Isolated,
    /// uv `--no-config`: no `uv.toml` or `[tool.uv]` is read.
    NoConfig,
    /// uv `--no-sources`: `[tool.uv.sources]` pins are ignored.
    NoSources,
    /// uv `--locked` / `--frozen`: the project installs what `uv.lock` records.
    Locked,
    /// uv run `--no-sync` / `--no-project`: the project is not installed.
    NoSync,
    /// uv `--directory` / `--project`: where the project and its configuration are found.
    Directory,
    /// Takes a value that does not concern sources.
    Value,
    /// Takes no value.
    Flag,
}

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Self::NoIndex
                | Self::RequireHashes
                | Self::Isolated
                | Self::NoConfig
                | Self::NoSources
                | Self::Locked
                | Self::NoSync
                | Self::Flag
        )
    }
}

/// Which of pip's parsers knows an option: the main parser (before the subcommand) knows only
/// the general options; `install`/`download`/`wheel` and `config` add their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    General,
    Install,
    Config,
}

use Opt as O;
use Scope as S;

/// pip's options (`pip/_internal/cli/cmdoptions.py` and the commands' own), as long name, short
/// name, meaning, and parser. optparse accepts any unambiguous prefix of a long option among
/// those its parser knows, so whether a prefix is ambiguous depends on this list being complete:
/// a value option wrongly listed as a flag would make gate read its value as a requirement
/// (noisy, never silent), and a flag listed as a value would hide the next word, so only
/// options known to take a value are listed as such.
const PIP_OPTIONS: &[(&str, Option<char>, Opt, Scope)] = &[
    ("help", Some('h'), O::Flag, S::General),
    ("debug", None, O::Flag, S::General),
    ("isolated", None, O::Isolated, S::General),
    ("require-virtualenv", None, O::Flag, S::General),
    ("require-venv", None, O::Flag, S::General),
    ("python", None, O::Value, S::General),
    ("verbose", Some('v'), O::Flag, S::General),
    ("version", Some('V'), O::Flag, S::General),
    ("quiet", Some('q'), O::Flag, S::General),
    ("log", None, O::Value, S::General),
    ("log-file", None, O::Value, S::General),
    ("local-log", None, O::Value, S::General),
    ("no-input", None, O::Flag, S::General),
    ("keyring-provider", None, O::Value, S::General),
    ("proxy", None, O::Value, S::General),
    ("retries", None, O::Value, S::General),
    ("timeout", None, O::Value, S::General),
    ("exists-action", None, O::Value, S::General),
    ("trusted-host", None, O::TrustedHost, S::General),
    ("cert", None, O::Value, S::General),
    ("client-cert", None, O::Value, S::General),
    ("cache-dir", None, O::Value, S::General),
    ("no-cache-dir", None, O::Flag, S::General),
    ("disable-pip-version-check", None, O::Flag, S::General),
    ("no-color", None, O::Flag, S::General),
    ("no-python-version-warning", None, O::Flag, S::General),
    ("use-feature", None, O::Value, S::General),
    ("use-deprecated", None, O::Value, S::General),
    ("resume-retries", None, O::Value, S::General),
    // The index group, shared by install, download and wheel.
    ("index-url", Some('i'), O::IndexUrl, S::Install),
    ("extra-index-url", None, O::ExtraIndexUrl, S::Install),
    ("no-index", None, O::NoIndex, S::Install),
    ("find-links", Some('f'), O::FindLinks, S::Install),
    // install, download and wheel.
    ("requirement", Some('r'), O::Requirement, S::Install),
    ("constraint", Some('c'), O::Constraint, S::Install),
    ("build-constraint", None, O::Value, S::Install),
    ("editable", Some('e'), O::Editable, S::Install),
    ("no-deps", None, O::Flag, S::Install),
    ("pre", None, O::Flag, S::Install),
    ("dry-run", None, O::Flag, S::Install),
    ("target", Some('t'), O::Value, S::Install),
    ("platform", None, O::Value, S::Install),
    ("python-version", None, O::Value, S::Install),
    ("implementation", None, O::Value, S::Install),
    ("abi", None, O::Value, S::Install),
    ("user", None, O::Flag, S::Install),
    ("root", None, O::Value, S::Install),
    ("prefix", None, O::Value, S::Install),
    ("src", None, O::Value, S::Install),
    ("source", None, O::Value, S::Install),
    ("source-dir", None, O::Value, S::Install),
    ("source-directory", None, O::Value, S::Install),
    ("upgrade", Some('U'), O::Flag, S::Install),
    ("upgrade-strategy", None, O::Value, S::Install),
    ("force-reinstall", None, O::Flag, S::Install),
    ("ignore-installed", Some('I'), O::Flag, S::Install),
    ("ignore-requires-python", None, O::Flag, S::Install),
    ("no-build-isolation", None, O::Flag, S::Install),
    ("use-pep517", None, O::Flag, S::Install),
    ("no-use-pep517", None, O::Flag, S::Install),
    ("check-build-dependencies", None, O::Flag, S::Install),
    ("break-system-packages", None, O::Flag, S::Install),
    ("config-settings", Some('C'), O::Value, S::Install),
    ("global-option", None, O::Value, S::Install),
    ("build-option", None, O::Value, S::Install),
    ("compile", None, O::Flag, S::Install),
    ("no-compile", None, O::Flag, S::Install),
    ("no-warn-script-location", None, O::Flag, S::Install),
    ("no-warn-conflicts", None, O::Flag, S::Install),
    ("no-binary", None, O::Value, S::Install),
    ("only-binary", None, O::Value, S::Install),
    ("prefer-binary", None, O::Flag, S::Install),
    ("require-hashes", None, O::RequireHashes, S::Install),
    ("no-require-hashes", None, O::Flag, S::Install),
    ("progress-bar", None, O::Value, S::Install),
    ("root-user-action", None, O::Value, S::Install),
    ("report", None, O::Value, S::Install),
    ("no-clean", None, O::Flag, S::Install),
    ("group", None, O::Value, S::Install),
    ("all-releases", None, O::Value, S::Install),
    ("only-final", None, O::Value, S::Install),
    ("uploaded-prior-to", None, O::Value, S::Install),
    ("dest", Some('d'), O::Value, S::Install),
    ("wheel-dir", Some('w'), O::Value, S::Install),
    ("no-verify", None, O::Flag, S::Install),
    // pip config.
    ("editor", None, O::Value, S::Config),
    ("global", None, O::Flag, S::Config),
    ("user", None, O::Flag, S::Config),
    ("site", None, O::Flag, S::Config),
];

/// uv's options that matter or take a value. clap matches long options exactly (uv does not
/// infer prefixes); an option missing here is read as a flag, so its value, if it has one, is
/// read as a requirement: noisy, never silent.
const UV_OPTIONS: &[(&str, Option<char>, Opt)] = &[
    ("requirements", Some('r'), O::Requirement),
    ("requirement", None, O::Requirement),
    ("constraints", Some('c'), O::Constraint),
    ("constraint", None, O::Constraint),
    ("overrides", None, O::Constraint),
    ("override", None, O::Constraint),
    ("editable", Some('e'), O::Editable),
    ("index-url", Some('i'), O::IndexUrl),
    ("default-index", None, O::IndexUrl),
    ("extra-index-url", None, O::ExtraIndexUrl),
    ("index", None, O::UvIndex),
    ("find-links", Some('f'), O::FindLinks),
    ("no-index", None, O::NoIndex),
    ("index-strategy", None, O::IndexStrategy),
    ("allow-insecure-host", None, O::TrustedHost),
    ("trusted-host", None, O::TrustedHost),
    ("require-hashes", None, O::RequireHashes),
    ("target", Some('t'), O::Value),
    ("prefix", None, O::Value),
    ("python", Some('p'), O::Value),
    ("python-version", None, O::Value),
    ("python-platform", None, O::Value),
    ("upgrade-package", Some('P'), O::Value),
    ("reinstall-package", None, O::Value),
    ("no-binary", None, O::Value),
    ("only-binary", None, O::Value),
    ("no-build-package", None, O::Value),
    ("no-binary-package", None, O::Value),
    ("config-setting", Some('C'), O::Value),
    ("config-settings", None, O::Value),
    ("build-constraints", Some('b'), O::Value),
    ("build-constraint", None, O::Value),
    ("output-file", Some('o'), O::Value),
    ("extra", None, O::Value),
    ("group", None, O::Value),
    ("prerelease", None, O::Value),
    ("resolution", None, O::Value),
    ("keyring-provider", None, O::Value),
    ("link-mode", None, O::Value),
    ("exclude-newer", None, O::Value),
    ("cache-dir", None, O::Value),
    ("directory", None, O::Directory),
    ("project", None, O::Directory),
    ("no-config", None, O::NoConfig),
    ("isolated", None, O::Isolated),
    ("no-sources", None, O::NoSources),
    ("locked", None, O::Locked),
    ("frozen", None, O::Locked),
    ("no-sync", None, O::NoSync),
    ("no-project", None, O::NoSync),
    ("package", None, O::Value),
    ("no-group", None, O::Value),
    ("env-file", None, O::Value),
    ("with", None, O::Value),
    ("with-editable", None, O::Value),
    ("with-requirements", None, O::Value),
    ("optional", None, O::Value),
    ("bounds", None, O::Value),
    // uv add's `--marker`; `-m` is uv run's `--module` flag, so it stays unlisted.
    ("marker", None, O::Value),
    ("rev", None, O::Value),
    ("tag", None, O::Value),
    ("branch", None, O::Value),
    ("format", None, O::Value),
    ("no-emit-package", None, O::Value),
    ("only-emit-package", None, O::Value),
    ("config-file", None, O::Value),
    ("color", None, O::Value),
    ("python-preference", None, O::Value),
    ("torch-backend", None, O::Value),
    ("refresh-package", None, O::Value),
    ("src", None, O::Value),
    ("log", None, O::Value),
    ("timeout", None, O::Value),
    ("retries", None, O::Value),
    ("proxy", None, O::Value),
    ("cert", None, O::Value),
    ("client-cert", None, O::Value),
    ("upgrade-strategy", None, O::Value),
    ("exists-action", None, O::Value),
    ("only-group", None, O::Value),
    ("annotation-style", None, O::Value),
    ("custom-compile-command", None, O::Value),
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
                from: From::Env,
            });
        } else if word.text.eq_ignore_ascii_case("ENV")
            && i == 0
            && let (Some(key), Some(value)) = (words.get(1), words.get(2))
            && ENV_KEYS.contains(&key.text.as_str())
        {
            out.push(Setting {
                key: key.text.clone(),
                value: value.text.clone(),
                at: line.at(display, key.start),
                from: From::Env,
            });
        }
    }
}

/// The file name of a command word (`/usr/bin/pip3` is `pip3`).
fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `pip`, `pip3`, `pip3.11`.
fn is_pip(name: &str) -> bool {
    name.strip_prefix("pip")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Ends a simple command: what follows is another command.
fn is_separator(text: &str) -> bool {
    matches!(
        text,
        "&&" | "||" | ";" | ";;" | "|" | "|&" | "&" | "(" | ")" | "{" | "}"
    )
}

/// A redirection word (`>`, `2>>`, `&>`, `2>&1`, `>log`) and whether its target is the next word.
fn redirection(text: &str) -> Option<bool> {
    let operator = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
    let rest = operator
        .strip_prefix(">>")
        .or_else(|| operator.strip_prefix(">|"))
        .or_else(|| operator.strip_prefix('>'))
        .or_else(|| operator.strip_prefix('<'))?;
    Some(rest.is_empty())
}

/// What a command-line option or argument said.
#[derive(Debug, Clone)]
enum Event {
    Option {
        opt: Opt,
        /// As written (`--extra-index`, `-i`), for messages.
        written: String,
        value: String,
        start: usize,
    },
    Argument {
        text: String,
        start: usize,
    },
    Invalid {
        message: String,
        evidence: String,
        start: usize,
    },
}

/// A `pip`/`uv pip` command found in a line.
#[derive(Debug, Clone)]
struct Command {
    tool: Tool,
    /// `uv pip sync|compile`: the arguments are requirements files.
    file_arguments: bool,
    /// A uv project command (`sync`, `lock`, `run`, …): it installs the project found from its
    /// folder, with that project's uv configuration under the command's settings.
    project: Option<String>,
    /// Byte offset of the `pip` word (of `uv` for a project command).
    start: usize,
    /// For uv, the global options written before the subcommand too.
    events: Vec<Event>,
}

/// What a line does that gate models.
#[derive(Debug, Clone)]
enum Found {
    Install(Command),
    /// `pip config set` (or a pip option on a command that is not an install): settings for
    /// every later pip, and problems to report as they are.
    Config(Vec<Setting>, Vec<Event>),
}

/// Reads the options of one command like the tool's parser: pip's optparse (unique prefixes of
/// long options, `--opt=value`, clustered short options `-qUiURL`), or uv's clap (exact names).
struct Parser<'w> {
    words: &'w [Word],
    next: usize,
    uv: bool,
    /// After `--`: everything is an argument.
    arguments_only: bool,
    /// A separator or a word glued to `;` ended the command; `next` is past it.
    done: bool,
}

impl Parser<'_> {
    /// The next event among options of `scopes`, or `None` at the end of the command.
    fn event(&mut self, scopes: &[Scope]) -> Option<Event> {
        loop {
            if self.done {
                return None;
            }
            let word = self.words.get(self.next)?;
            self.next += 1;
            let text = word.text.as_str();
            // A word glued to `;` (or closing `$(…)`, `` `…` ``) ends the command after itself.
            let closing = || {
                text.strip_suffix(')')
                    .filter(|rest| !rest.contains('('))
                    .or_else(|| text.strip_suffix('`'))
            };
            let text = match text.strip_suffix(';').or_else(closing) {
                Some(rest) if !rest.is_empty() => {
                    self.done = true;
                    rest
                }
                _ => text,
            };
            if is_separator(text) {
                self.done = true;
                return None;
            }
            if let Some(target_follows) = redirection(text) {
                if target_follows {
                    self.next += 1;
                }
                continue;
            }
            if self.arguments_only || text == "-" || !text.starts_with('-') {
                return Some(Event::Argument {
                    text: text.to_owned(),
                    start: word.start,
                });
            }
            if text == "--" {
                self.arguments_only = true;
                continue;
            }
            if let Some(long) = text.strip_prefix("--") {
                return self.long(long, text, word.start, scopes);
            }
            if let Some(event) = self.short(text, word.start, scopes) {
                return Some(event);
            }
        }
    }

    fn value_after(&mut self) -> String {
        if self.done {
            return String::new();
        }
        let Some(word) = self.words.get(self.next) else {
            return String::new();
        };
        self.next += 1;
        match word.text.strip_suffix(';') {
            Some(value) => {
                self.done = true;
                value.to_owned()
            }
            None => word.text.clone(),
        }
    }

    fn long(&mut self, long: &str, written: &str, start: usize, scopes: &[Scope]) -> Option<Event> {
        let (name, attached) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (long, None),
        };
        let opt = if self.uv {
            UV_OPTIONS
                .iter()
                .find(|(long, ..)| *long == name)
                .map_or(O::Flag, |(_, _, opt)| *opt)
        } else {
            let known = PIP_OPTIONS
                .iter()
                .filter(|(.., scope)| scopes.contains(scope));
            let exact = known.clone().find(|(long, ..)| *long == name);
            let matching: Vec<&str> = known
                .filter(|(long, ..)| long.starts_with(name))
                .map(|(long, ..)| *long)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            match (exact, matching.as_slice()) {
                (Some((_, _, opt, _)), _) => *opt,
                (None, [only]) => PIP_OPTIONS
                    .iter()
                    .find(|(long, ..)| long == only)
                    .map_or(O::Flag, |(_, _, opt, _)| *opt),
                // Not an option pip knows: pip stops with an error. Read as a flag, so the
                // words after it are still read (an unknown value option's value would be
                // read as a requirement: noisy, never silent).
                (None, []) => O::Flag,
                (None, several) => {
                    let listed: Vec<String> = several.iter().map(|o| format!("--{o}")).collect();
                    // pip refuses the command, but a later pip may know fewer options and
                    // accept it: report it, and read on as a flag.
                    return Some(Event::Invalid {
                        message: format!(
                            "pip rejects `--{name}`: it abbreviates several options ({}), so gate cannot tell which one is meant",
                            listed.join(", ")
                        ),
                        evidence: written.to_owned(),
                        start,
                    });
                }
            }
        };
        let value = if opt.takes_value() {
            attached.unwrap_or_else(|| self.value_after())
        } else {
            String::new()
        };
        Some(Event::Option {
            opt,
            written: written.split('=').next().unwrap_or(written).to_owned(),
            value,
            start,
        })
    }

    /// A cluster of short options: each letter is a flag until one takes a value, which is the
    /// rest of the word or the next word.
    fn short(&mut self, text: &str, start: usize, scopes: &[Scope]) -> Option<Event> {
        let cluster = text.strip_prefix('-').unwrap_or(text);
        for (offset, letter) in cluster.char_indices() {
            let opt = if self.uv {
                UV_OPTIONS
                    .iter()
                    .find(|(_, short, _)| *short == Some(letter))
                    .map(|(_, _, opt)| *opt)
            } else {
                PIP_OPTIONS
                    .iter()
                    .find(|(_, short, _, scope)| *short == Some(letter) && scopes.contains(scope))
                    .map(|(_, _, opt, _)| *opt)
            };
            // An unknown letter: the tool stops with an error; read on, which only adds facts.
            let Some(opt) = opt else { continue };
            if !opt.takes_value() {
                if opt != O::Flag {
                    return Some(Event::Option {
                        opt,
                        written: format!("-{letter}"),
                        value: String::new(),
                        start,
                    });
                }
                continue;
            }
            let rest = cluster
                .get(offset + letter.len_utf8()..)
                .unwrap_or_default();
            let value = if rest.is_empty() {
                self.value_after()
            } else {
                rest.to_owned()
            };
            return Some(Event::Option {
                opt,
                written: format!("-{letter}"),
                value,
                start,
            });
        }
        None
    }
}

/// The pip-configuration key `pip config set` writes, as the `PIP_*` variable that means the
/// same, for the sections an install reads (`[global]`, and the commands' own sections).
fn config_key(name: &str) -> Option<&'static str> {
    let (section, key) = name.split_once('.')?;
    let section = section.to_ascii_lowercase();
    if !matches!(
        section.as_str(),
        "global" | "install" | "download" | "wheel"
    ) {
        return None;
    }
    match key.to_ascii_lowercase().replace('_', "-").as_str() {
        "index-url" | "index" | "i" => Some("PIP_INDEX_URL"),
        "extra-index-url" => Some("PIP_EXTRA_INDEX_URL"),
        "find-links" | "f" => Some("PIP_FIND_LINKS"),
        "trusted-host" => Some("PIP_TRUSTED_HOST"),
        "no-index" => Some("PIP_NO_INDEX"),
        _ => None,
    }
}

/// Is `pip` uv's subcommand: `uv [global options] pip`? (`uv run pip …` runs pip itself.)
/// Gives the position of the `uv` word in `before`.
fn uv_before(before: &[Word]) -> Option<usize> {
    let mut j = before.len();
    while j > 0 {
        j -= 1;
        let Some(word) = before.get(j) else { break };
        let text = word.text.as_str();
        if base(text).trim_start_matches(['@', '-', '+']) == "uv" {
            return Some(j);
        }
        if text.starts_with('-') {
            continue;
        }
        // The value of a uv option that takes one (`uv --directory app pip …`).
        let option = j
            .checked_sub(1)
            .and_then(|k| before.get(k))
            .and_then(|w| w.text.strip_prefix("--"));
        let takes_value = option.is_some_and(|o| {
            !o.contains('=')
                && UV_OPTIONS
                    .iter()
                    .any(|(long, _, opt)| *long == o && opt.takes_value())
        });
        if !takes_value {
            return None;
        }
    }
    None
}

/// uv's subcommands that resolve the project (and, but for `lock`, `export` and `tree`, install
/// it): each reads the project's uv configuration under the command's own settings.
const UV_PROJECT_COMMANDS: &[&str] = &["sync", "lock", "run", "add", "remove", "export", "tree"];

/// `uv [global options] SUBCOMMAND …` for a project subcommand, its words from `next` (just after
/// `uv`): the command and where reading the line resumes. `uv run` stops at the command it
/// runs, which is read as a command of its own (`uv run pip install …` is pip).
fn uv_project_command(words: &[Word], next: usize, start: usize) -> Option<(Command, usize)> {
    let mut parser = Parser {
        words,
        next,
        uv: true,
        arguments_only: false,
        done: false,
    };
    let mut events = Vec::new();
    let subcommand = loop {
        match parser.event(&[S::General]) {
            Some(Event::Argument { text, .. }) => break text,
            Some(event) => events.push(event),
            None => return None,
        }
    };
    if !UV_PROJECT_COMMANDS.contains(&subcommand.as_str()) {
        return None;
    }
    let mut resume = None;
    while let Some(event) = parser.event(&[S::General, S::Install]) {
        match event {
            Event::Argument { .. } if subcommand == "run" => {
                resume = Some(parser.next.saturating_sub(1));
                break;
            }
            // `uv remove NAME` names what to drop, not what to install.
            Event::Argument { .. } if subcommand != "add" => {}
            other => events.push(other),
        }
    }
    let resume = resume.unwrap_or(parser.next);
    let command = Command {
        tool: Tool::Uv { best_match: false },
        file_arguments: false,
        project: Some(subcommand),
        start,
        events,
    };
    Some((command, resume))
}

/// Finds the pip and uv commands of one line: `pip [general options] SUBCOMMAND …` wherever a
/// word names pip (`pip3.11`, `python -m pip`, `.venv/bin/pip`), `uv [options] pip …`, after
/// Make's recipe prefixes (`@`, `-`, `+`).
fn commands_in(line: &ShellLine, words: &[Word], display: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut segment_start = 0;
    let mut i = 0;
    while let Some(word) = words.get(i) {
        i += 1;
        if is_separator(&word.text) {
            segment_start = i;
            continue;
        }
        // `$(pip …)`, `X=$(pip …)`, `` `pip …` ``, `(pip …)`.
        let inner = word.text.rsplit(['(', '`']).next().unwrap_or(&word.text);
        let mut name = base(inner);
        if i - 1 == segment_start {
            // Make runs a recipe line after removing `@` (silent), `-` (ignore errors) and `+`.
            name = name.trim_start_matches(['@', '-', '+']);
        }
        if name == "uv"
            && let Some((command, resume)) = uv_project_command(words, i, word.start)
        {
            found.push(Found::Install(command));
            i = resume;
            segment_start = i;
            continue;
        }
        if !is_pip(name) {
            if word.text.ends_with(';') {
                segment_start = i;
            }
            continue;
        }
        let uv_at = uv_before(words.get(segment_start..i - 1).unwrap_or_default());
        let uv = uv_at.is_some();
        let mut parser = Parser {
            words,
            next: i,
            uv,
            arguments_only: false,
            done: false,
        };
        let mut events = Vec::new();
        // uv's global options before `pip` (`uv --no-config --directory app pip …`).
        if let Some(at) = uv_at {
            let from = segment_start + at + 1;
            let before = words.get(..i - 1).unwrap_or_default();
            let mut globals = Parser {
                words: before,
                next: from,
                uv: true,
                arguments_only: false,
                done: false,
            };
            while let Some(event) = globals.event(&[S::General]) {
                if matches!(event, Event::Option { .. }) {
                    events.push(event);
                }
            }
        }
        // General options first; the first argument is the subcommand.
        let subcommand = loop {
            match parser.event(&[S::General]) {
                Some(Event::Argument { text, .. }) => break Some(text),
                Some(event) => events.push(event),
                None => break None,
            }
        };
        let tool = if uv {
            Tool::Uv { best_match: false }
        } else {
            Tool::Pip
        };
        match subcommand.as_deref() {
            Some("install" | "download" | "wheel") => {
                while let Some(event) = parser.event(&[S::General, S::Install]) {
                    events.push(event);
                }
                found.push(Found::Install(Command {
                    tool,
                    file_arguments: false,
                    project: None,
                    start: word.start,
                    events,
                }));
            }
            Some("sync" | "compile") if uv => {
                while let Some(event) = parser.event(&[S::General, S::Install]) {
                    events.push(event);
                }
                found.push(Found::Install(Command {
                    tool,
                    file_arguments: true,
                    project: None,
                    start: word.start,
                    events,
                }));
            }
            Some("config") if !uv => {
                let mut user = true;
                let mut arguments = Vec::new();
                while let Some(event) = parser.event(&[S::General, S::Config]) {
                    match event {
                        Event::Argument { text, start } => arguments.push((text, start)),
                        Event::Option { written, .. }
                            if written.starts_with("--g") || written.starts_with("--s") =>
                        {
                            user = false;
                        }
                        other => events.push(other),
                    }
                }
                let mut settings = Vec::new();
                if let [(action, _), (name, _), (value, value_start), ..] = arguments.as_slice()
                    && action == "set"
                    && let Some(key) = config_key(name)
                {
                    settings.push(Setting {
                        key: key.to_owned(),
                        value: value.clone(),
                        at: line.at(display, *value_start),
                        from: From::ConfigSet { user },
                    });
                }
                found.push(Found::Config(settings, events));
            }
            // Another subcommand: only its general options can matter (`--trusted-host`).
            _ => found.push(Found::Config(Vec::new(), events)),
        }
        i = parser.next;
        segment_start = i;
    }
    found
}

/// The words of a Dockerfile `RUN`/`CMD`/`ENTRYPOINT` in JSON exec form (`RUN ["pip",
/// "install", …]`), each starting at its text; `sh -c SCRIPT` reads SCRIPT as shell. `None`
/// when the line is not valid exec form, which Docker then runs as a shell command.
fn exec_form(text: &str) -> Option<Vec<Word>> {
    let lead = text.len() - text.trim_start().len();
    let rest = text.get(lead..)?;
    let instruction_len = rest.find(char::is_whitespace)?;
    let instruction = rest.get(..instruction_len)?;
    if !["run", "cmd", "entrypoint"].contains(&instruction.to_ascii_lowercase().as_str()) {
        return None;
    }
    let mut words = vec![Word {
        text: instruction.to_owned(),
        start: lead,
    }];
    let mut chars = text
        .char_indices()
        .skip_while(|(i, _)| *i < lead + instruction_len)
        .peekable();
    // `RUN --mount=… --network=… [ … ]`: flags come before the array.
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.peek().is_some_and(|(_, c)| *c == '-') {
            while chars.next_if(|(_, c)| !c.is_whitespace()).is_some() {}
        } else {
            break;
        }
    }
    if chars.next()?.1 != '[' {
        return None;
    }
    let mut strings: Vec<Word> = Vec::new();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let (quote, c) = chars.next()?;
        match c {
            ']' if strings.is_empty() => break,
            '"' => {}
            _ => return None,
        }
        let mut value = String::new();
        loop {
            let (_, c) = chars.next()?;
            match c {
                '"' => break,
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => {
                            let hex: String = (0..4)
                                .filter_map(|_| chars.next())
                                .map(|(_, c)| c)
                                .collect();
                            u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .unwrap_or('\u{fffd}')
                        }
                        other => other,
                    });
                }
                c => value.push(c),
            }
        }
        strings.push(Word {
            text: value,
            start: quote + 1,
        });
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        match chars.next()?.1 {
            ',' => {}
            ']' => break,
            _ => return None,
        }
    }
    if chars.any(|(_, c)| !c.is_whitespace()) {
        return None;
    }
    let shell = strings.iter().position(|w| w.text == "-c");
    match shell {
        Some(flag) => {
            let script = strings.get(flag + 1)?;
            words.extend(strings.get(..flag).unwrap_or_default().iter().cloned());
            words.extend(split_words(&script.text).into_iter().map(|w| Word {
                text: w.text,
                start: script.start + w.start,
            }));
        }
        None => words.extend(strings),
    }
    Some(words)
}

/// What kind of script a file is: which affects how settings reach commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    /// A shell script or a workflow step: a setting reaches the commands after it.
    Shell,
    /// A setting reaches the later `RUN`s of its stage (and stages built `FROM` it).
    Dockerfile,
    /// Variables exported anywhere reach every recipe, and recipes run in any order.
    Makefile,
}

/// The flavour of a script file by its name (see `deps::classify`).
pub(crate) fn is_dockerfile(lower_name: &str) -> bool {
    lower_name.starts_with("dockerfile")
        || lower_name.starts_with("containerfile")
        || lower_name.ends_with(".dockerfile")
        || lower_name.ends_with(".containerfile")
}

struct Context<'a> {
    root: &'a Path,
    display: &'a str,
    dir: &'a Path,
    flavour: Flavour,
    /// Dockerfile `COPY`/`ADD`: (destination in the image, source in the build context).
    copies: Vec<(String, String)>,
}

/// Builds the install one command describes. pip parses the whole command line before it
/// reads any requirements file, then reads constraints files, the arguments, and requirements
/// files, each file's options changing the same finder: a file's `--index-url` replaces the
/// command line's (research §2.1.7, `handle_option_line`). uv reads them in the order given, and
/// merges the configuration it finds from the command's folder under them (`uv_configuration`).
/// Returns whether the command used the settings it sees: a uv project command that finds no
/// project leaves them to be judged on their own.
fn command_install(
    cx: &Context<'_>,
    line: &ShellLine,
    command: &Command,
    settings: &[Setting],
    facts: &mut Facts,
) -> bool {
    let at = line.at(cx.display, command.start);
    let tool = command.tool;
    let mut walker = Walker::new(cx.root, tool, cx.display);
    walker.declared_at(at.clone());
    let mut best_match = None;
    let isolated = command.events.iter().any(|e| {
        matches!(
            e,
            Event::Option {
                opt: O::Isolated,
                ..
            }
        )
    });
    apply_settings(
        cx,
        &mut walker,
        tool,
        settings,
        isolated,
        &mut best_match,
        facts,
    );
    let deferred = matches!(tool, Tool::Pip);
    let mut constraints = Vec::new();
    let mut arguments = Vec::new();
    let mut files = Vec::new();
    for event in &command.events {
        match event {
            Event::Invalid {
                message,
                evidence,
                start,
            } => facts.problems.push(Problem {
                kind: ProblemKind::Invalid,
                message: message.clone(),
                evidence: evidence.clone(),
                at: line.at(cx.display, *start),
            }),
            Event::Option {
                opt: O::Constraint, ..
            } if deferred => constraints.push(event),
            Event::Option {
                opt: O::Requirement,
                ..
            } if deferred => files.push(event),
            Event::Option {
                opt: O::Editable, ..
            }
            | Event::Argument { .. }
                if deferred =>
            {
                arguments.push(event);
            }
            _ => command_event(
                cx,
                line,
                &mut walker,
                command,
                event,
                &mut best_match,
                facts,
            ),
        }
    }
    for event in constraints.into_iter().chain(arguments).chain(files) {
        command_event(
            cx,
            line,
            &mut walker,
            command,
            event,
            &mut best_match,
            facts,
        );
    }
    let mut found = walker.finish();
    let mut used = true;
    if let Tool::Uv { .. } = tool {
        let keep = match found.installs.last_mut() {
            Some(install) => {
                install.tool = Tool::Uv {
                    best_match: best_match.unwrap_or(false),
                };
                uv_order(install);
                uv_configuration(cx, &at, command, settings, best_match, install)
            }
            None => Keep::Install,
        };
        match keep {
            Keep::Install => {}
            Keep::Nothing => found.installs.clear(),
            Keep::NoProject => {
                found.installs.clear();
                used = false;
            }
        }
    }
    facts.extend(found);
    used
}

/// What becomes of a uv command's install once its configuration is known.
enum Keep {
    Install,
    /// The project's own install (or its lockfile) already says everything.
    Nothing,
    /// A project command that finds no project: its settings are judged on their own.
    NoProject,
}

/// Whether a command line option is given.
fn has_option(command: &Command, wanted: &[Opt]) -> bool {
    command
        .events
        .iter()
        .any(|e| matches!(e, Event::Option { opt, .. } if wanted.contains(opt)))
}

/// Whether a uv variable the command sees is set to true.
fn uv_flag(settings: &[Setting], key: &str) -> bool {
    settings
        .iter()
        .rfind(|s| s.key == key)
        .is_some_and(|s| truthy(&s.value))
}

/// A uv command's install as uv sees it: uv finds its configuration (`uv.toml`, else
/// `[tool.uv]`; `[tool.uv.pip]`/`[pip]` over them for `uv pip`) from the folder it runs in,
/// upwards, and merges it under the command line and the `UV_*` environment: their indexes are
/// asked before the configuration's, their default index replaces it, their `index-strategy`
/// wins (`uv-settings` `Combine`: lists are concatenated, command first; a single value is
/// taken from the command when given). A project command (`uv sync`, …) installs the project
/// found there: when its settings change nothing, the pyproject reader's install already says
/// it; with `--locked`/`--frozen` and a `uv.lock`, the lock decides and is judged itself.
fn uv_configuration(
    cx: &Context<'_>,
    at: &Location,
    command: &Command,
    settings: &[Setting],
    strategy: Option<bool>,
    install: &mut Install,
) -> Keep {
    let run = command.project.as_deref() == Some("run");
    // `uv run --isolated` runs in a fresh environment; elsewhere `--isolated` is `--no-config`.
    let no_config = has_option(command, &[O::NoConfig])
        || (!run && has_option(command, &[O::Isolated]))
        || uv_flag(settings, "UV_NO_CONFIG");
    let view = UvView {
        pip: command.project.is_none(),
        config: !no_config,
        sources: !(has_option(command, &[O::NoSources]) || uv_flag(settings, "UV_NO_SOURCES")),
    };
    let start = command_folder(cx, command);
    if command.project.is_none() {
        // `uv pip`: the first folder upwards with uv configuration.
        if no_config {
            return Keep::Install;
        }
        if let Some(config) = start
            .as_deref()
            .and_then(|dir| upwards(cx.root, dir, |d| uv_view(cx.root, d, view)))
        {
            merge_configuration(install, &config, strategy);
        }
        return Keep::Install;
    }
    // A project command: the nearest `pyproject.toml` upwards is the project.
    let Some((dir, config)) = start.as_deref().and_then(|dir| {
        upwards(cx.root, dir, |d| {
            uv_view(cx.root, d, view).map(|c| (d.to_path_buf(), c))
        })
    }) else {
        return Keep::NoProject;
    };
    if run && has_option(command, &[O::NoSync]) {
        return Keep::Nothing;
    }
    let locked = has_option(command, &[O::Locked])
        || uv_flag(settings, "UV_LOCKED")
        || uv_flag(settings, "UV_FROZEN");
    if locked && dir.join("uv.lock").is_file() {
        return Keep::Nothing;
    }
    let changes = settings.iter().any(|s| s.key.starts_with("UV_"))
        || !install.requirements.is_empty()
        || has_option(
            command,
            &[
                O::IndexUrl,
                O::ExtraIndexUrl,
                O::UvIndex,
                O::FindLinks,
                O::NoIndex,
                O::IndexStrategy,
                O::NoConfig,
                O::NoSources,
                O::Requirement,
                O::Constraint,
                O::Editable,
            ],
        )
        || (!run && has_option(command, &[O::Isolated]));
    if !changes {
        return Keep::Nothing;
    }
    merge_configuration(install, &config, strategy);
    // The project's dependencies, as the command installs them: located in the pyproject, with
    // the command that installs them as the way there.
    let chain = vec![format!("{}:{}", at.path, at.line)];
    install
        .requirements
        .extend(config.requirements.into_iter().map(|mut r| {
            r.at.chain.clone_from(&chain);
            r
        }));
    // Like the manifest it reads: its pins and hashes live in the lockfile.
    install.pins_expected = false;
    Keep::Install
}

/// The folder a command runs in: the script's (a workflow step's `working-directory`), moved by
/// uv's `--directory`/`--project`; `None` when that is not a folder of this repository.
fn command_folder(cx: &Context<'_>, command: &Command) -> Option<std::path::PathBuf> {
    let mut dir = cx.dir.to_path_buf();
    for event in &command.events {
        if let Event::Option {
            opt: O::Directory,
            value,
            ..
        } = event
        {
            if shell_expands(value) {
                return None;
            }
            let (canonical, _) = inside_root(cx.root, &dir.join(value))?;
            dir = canonical;
        }
    }
    Some(dir)
}

/// The first folder from `dir` up to ROOT for which `find` finds something.
fn upwards<T>(root: &Path, dir: &Path, mut find: impl FnMut(&Path) -> Option<T>) -> Option<T> {
    let mut current = Some(dir);
    while let Some(folder) = current {
        if !folder.starts_with(root) {
            return None;
        }
        if let Some(found) = find(folder) {
            return Some(found);
        }
        if folder == root {
            return None;
        }
        current = folder.parent();
    }
    None
}

/// Merges a uv configuration's indexes and strategy under a command's (see
/// `uv_configuration`). `install.indexes` is the command's, in uv's order (default last).
fn merge_configuration(install: &mut Install, config: &Install, strategy: Option<bool>) {
    let command = std::mem::take(&mut install.indexes);
    // `--no-index` (on the command line or in the configuration) leaves only `--find-links`.
    let no_index = !command.iter().any(|i| i.role == Role::Primary)
        || !config.indexes.iter().any(|i| i.role == Role::Primary);
    let (command_default, mut indexes): (Vec<Index>, Vec<Index>) =
        command.into_iter().partition(|i| i.role == Role::Primary);
    let (config_default, config_rest): (Vec<Index>, Vec<Index>) = config
        .indexes
        .iter()
        .cloned()
        .partition(|i| i.role == Role::Primary);
    indexes.extend(config_rest);
    if no_index {
        indexes.retain(|i| i.role == Role::FindLinks);
    } else {
        // The command's default index when it names one, else the configuration's (PyPI when
        // neither does).
        let default = command_default
            .into_iter()
            .find(|i| i.at.is_some())
            .into_iter()
            .chain(config_default)
            .next();
        indexes.extend(default);
    }
    install.indexes = indexes;
    let config_best = matches!(config.tool, Tool::Uv { best_match: true });
    install.tool = Tool::Uv {
        best_match: strategy.unwrap_or(config_best),
    };
}

/// Applies one option or argument of a command to its install.
fn command_event(
    cx: &Context<'_>,
    line: &ShellLine,
    walker: &mut Walker<'_>,
    command: &Command,
    event: &Event,
    best_match: &mut Option<bool>,
    facts: &mut Facts,
) {
    match event {
        Event::Invalid { .. } => {}
        Event::Argument { text, start } => {
            let here = line.at(cx.display, *start);
            if text.is_empty() || text.contains('$') || text.contains('`') {
                return;
            }
            if command.file_arguments {
                // `uv pip sync|compile FILE`: the argument is a requirements file.
                requirement_file(cx, walker, text, &here, facts);
            } else {
                walker.add_requirement_text(text, &here);
                project_dependencies(cx, walker, text, &here);
            }
        }
        Event::Option {
            opt,
            written,
            value,
            start,
        } => {
            let here = line.at(cx.display, *start);
            match opt {
                O::Requirement | O::Constraint => {
                    requirement_file(cx, walker, value, &here, facts);
                }
                O::IndexUrl => {
                    index_variables(value, &here, facts);
                    walker.add_index(value, Role::Primary, here);
                }
                O::ExtraIndexUrl | O::UvIndex => {
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
                O::FindLinks if names::looks_like_url(value) => {
                    walker.add_index(value, Role::FindLinks, here);
                }
                O::TrustedHost => facts.problems.push(Problem {
                    kind: ProblemKind::Insecure,
                    message: format!(
                        "`{written} {value}` turns off TLS certificate checks for that host"
                    ),
                    evidence: value.clone(),
                    at: here,
                }),
                O::NoIndex => walker.set_no_index(),
                O::RequireHashes => walker.set_require_hashes(),
                O::IndexStrategy => *best_match = Some(merging_strategy(value)),
                O::Editable => {
                    walker.add_requirement_text(value, &here);
                    project_dependencies(cx, walker, value, &here);
                }
                O::FindLinks
                | O::Isolated
                | O::NoConfig
                | O::NoSources
                | O::Locked
                | O::NoSync
                | O::Directory
                | O::Value
                | O::Flag => {}
            }
        }
    }
}

/// Where settings written to `$GITHUB_ENV` are: lines that name it (`echo "K=v" >>
/// "$GITHUB_ENV"`, `… | tee -a $GITHUB_ENV`), the body of a heredoc redirected to it, and the
/// lines of a `{ …; }` group redirected to it.
fn github_env_lines(lines: &[ShellLine], words: &[Vec<Word>]) -> Vec<bool> {
    let mut marked = vec![false; lines.len()];
    let mut heredoc: Option<String> = None;
    let mut group: Option<usize> = None;
    for (k, (line, words)) in lines.iter().zip(words).enumerate() {
        if let Some(delimiter) = &heredoc {
            if line.text.trim() == delimiter {
                heredoc = None;
            } else if let Some(mark) = marked.get_mut(k) {
                *mark = true;
            }
            continue;
        }
        let first = words.first().map_or("", |w| w.text.as_str());
        let mentions = line.text.contains("GITHUB_ENV");
        if mentions {
            if let Some(mark) = marked.get_mut(k) {
                *mark = true;
            }
            heredoc = heredoc_delimiter(words);
            if (first.starts_with('}') || first.starts_with(')'))
                && let Some(open) = group
            {
                for mark in marked.get_mut(open..k).unwrap_or_default() {
                    *mark = true;
                }
            }
        }
        if first == "{" || first == "(" {
            group = Some(k);
        } else if first.starts_with('}') || first.starts_with(')') {
            group = None;
        }
    }
    marked
}

/// The delimiter of a heredoc started on this line (`<<EOF`, `<<-'EOF'`, `<< "EOF"`).
fn heredoc_delimiter(words: &[Word]) -> Option<String> {
    let position = words
        .iter()
        .position(|w| w.text.starts_with("<<") && !w.text.starts_with("<<<"))?;
    let word = words.get(position)?;
    let rest = word.text.trim_start_matches("<<").trim_start_matches('-');
    let delimiter = if rest.is_empty() {
        words.get(position + 1)?.text.clone()
    } else {
        rest.to_owned()
    };
    Some(delimiter)
}

/// GitHub's multi-line form in `$GITHUB_ENV` (`KEY<<DELIM`, value lines, `DELIM`): the value's
/// words, with `echo`/`printf` and redirections dropped.
fn multiline_settings(
    lines: &[ShellLine],
    words: &[Vec<Word>],
    env_lines: &[bool],
    display: &str,
) -> Vec<Setting> {
    let mut out = Vec::new();
    for (k, line_words) in words.iter().enumerate() {
        if !env_lines.get(k).copied().unwrap_or(false) {
            continue;
        }
        for word in line_words {
            let Some((key, delimiter)) = word.text.split_once("<<") else {
                continue;
            };
            if !ENV_KEYS.contains(&key) || delimiter.is_empty() {
                continue;
            }
            let mut value = Vec::new();
            let mut at = None;
            for (line, value_words) in lines.iter().zip(words).skip(k + 1) {
                let texts: Vec<&Word> = value_words
                    .iter()
                    .filter(|w| {
                        !matches!(w.text.as_str(), "echo" | "printf" | "-e" | "-n")
                            && redirection(&w.text).is_none()
                            && !w.text.contains("GITHUB_ENV")
                    })
                    .collect();
                if texts.iter().any(|w| w.text == delimiter) {
                    break;
                }
                for w in texts {
                    at.get_or_insert_with(|| line.at(display, w.start));
                    value.push(w.text.clone());
                }
            }
            if let Some(at) = at {
                out.push(Setting {
                    key: key.to_owned(),
                    value: value.join(" "),
                    at,
                    from: From::Env,
                });
            }
        }
    }
    out
}

/// An option of a pip command that installs nothing (`pip --trusted-host h config set …`):
/// only a `--trusted-host` or a rejected abbreviation is worth reporting.
fn general_event(cx: &Context<'_>, line: &ShellLine, event: Event, facts: &mut Facts) {
    match event {
        Event::Option {
            opt: O::TrustedHost,
            written,
            value,
            start,
        } => facts.problems.push(Problem {
            kind: ProblemKind::Insecure,
            message: format!("`{written} {value}` turns off TLS certificate checks for that host"),
            evidence: value,
            at: line.at(cx.display, start),
        }),
        Event::Invalid {
            message,
            evidence,
            start,
        } => facts.problems.push(Problem {
            kind: ProblemKind::Invalid,
            message,
            evidence,
            at: line.at(cx.display, start),
        }),
        _ => {}
    }
}

/// What reading one script found, beyond the installs it added to the facts.
#[derive(Default)]
struct ShellRead {
    /// Settings of this script that no command used (judged on their own by the caller).
    unused: Vec<Setting>,
    /// Settings that outlive the script: written to `$GITHUB_ENV`, or by `pip config set`.
    exported: Vec<Setting>,
}

/// Reads one script (a file, or a workflow step's `run:`), adding an install per command. A
/// command sees `inherited` and the settings of its script that come before it (all of them in
/// a Makefile); `used` collects the positions of settings some command used.
fn read_shell(
    cx: &Context<'_>,
    script: &str,
    place: &dyn Fn(usize, usize) -> (u32, u32),
    inherited: &[Setting],
    used: &mut BTreeSet<(u32, u32)>,
    facts: &mut Facts,
) -> ShellRead {
    let lines = shell_lines(script, place);
    let words: Vec<Vec<Word>> = lines
        .iter()
        .map(|line| {
            let exec = (cx.flavour == Flavour::Dockerfile)
                .then(|| exec_form(&line.text))
                .flatten();
            exec.unwrap_or_else(|| split_words(&line.text))
        })
        .collect();
    let env_lines = github_env_lines(&lines, &words);
    let mut read = ShellRead::default();
    let mut mine: Vec<Setting> = Vec::new();
    let mut visible: Vec<Setting> = Vec::new();
    let mut stages: BTreeMap<String, Vec<Setting>> = BTreeMap::new();
    let mut stage: Option<String> = None;
    let mut planned: Vec<(usize, Command, Vec<Setting>)> = Vec::new();
    for (k, (line, line_words)) in lines.iter().zip(&words).enumerate() {
        if cx.flavour == Flavour::Dockerfile
            && line_words
                .first()
                .is_some_and(|w| w.text.eq_ignore_ascii_case("FROM"))
        {
            // A new stage starts from its base image's environment: another stage's, or none
            // that this repository shows.
            if let Some(name) = stage.take() {
                stages.insert(name, visible.clone());
            }
            let rest: Vec<&Word> = line_words
                .iter()
                .skip(1)
                .filter(|w| !w.text.starts_with("--"))
                .collect();
            let image = rest.first().map(|w| w.text.to_ascii_lowercase());
            visible = image
                .and_then(|image| stages.get(&image).cloned())
                .unwrap_or_default();
            stage = rest
                .iter()
                .position(|w| w.text.eq_ignore_ascii_case("AS"))
                .and_then(|p| rest.get(p + 1))
                .map(|w| w.text.to_ascii_lowercase());
        }
        let mut found = Vec::new();
        settings_in(line, line_words, cx.display, &mut found);
        if env_lines.get(k).copied().unwrap_or(false) {
            // `echo "PIP_…=…" >> $GITHUB_ENV` sets nothing in this shell: later steps see it.
            read.exported.extend(found.iter().cloned());
        } else {
            visible.extend(found.iter().cloned());
        }
        mine.extend(found);
        for command in commands_in(line, line_words, cx.display) {
            match command {
                Found::Install(command) => planned.push((k, command, visible.clone())),
                Found::Config(settings, events) => {
                    for event in events {
                        general_event(cx, line, event, facts);
                    }
                    visible.extend(settings.iter().cloned());
                    read.exported.extend(settings.iter().cloned());
                    mine.extend(settings);
                }
            }
        }
    }
    let multiline = multiline_settings(&lines, &words, &env_lines, cx.display);
    read.exported.extend(multiline.iter().cloned());
    mine.extend(multiline);
    for (k, command, seen) in planned {
        let seen = if cx.flavour == Flavour::Makefile {
            visible.clone()
        } else {
            seen
        };
        let mut settings = inherited.to_vec();
        settings.extend(seen);
        let prefix = match command.tool {
            Tool::Uv { .. } => "UV_",
            _ => "PIP_",
        };
        let Some(line) = lines.get(k) else { continue };
        if command_install(cx, line, &command, &settings, facts) {
            used.extend(
                settings
                    .iter()
                    .filter(|s| s.key.starts_with(prefix))
                    .map(Setting::id),
            );
        }
    }
    read.unused = mine;
    read
}

/// Judges settings that no command used on their own: they still reach whatever installs
/// later (a make target, a composite action, the next job step).
fn settings_only(cx: &Context<'_>, settings: &[Setting], facts: &mut Facts) {
    for (prefix, tool) in [("PIP_", Tool::Pip), ("UV_", Tool::Uv { best_match: false })] {
        let mine: Vec<Setting> = settings
            .iter()
            .filter(|s| s.key.starts_with(prefix) && !UV_CONTROL_KEYS.contains(&s.key.as_str()))
            .cloned()
            .collect();
        let Some(first) = mine.first() else { continue };
        let mut walker = Walker::new(cx.root, tool, cx.display);
        walker.declared_at(first.at.clone());
        let mut best_match = None;
        apply_settings(cx, &mut walker, tool, &mine, false, &mut best_match, facts);
        let mut found = walker.finish();
        if let Some(install) = found.installs.last_mut()
            && let Tool::Uv { .. } = install.tool
        {
            install.tool = Tool::Uv {
                best_match: best_match.unwrap_or(false),
            };
            uv_order(install);
        }
        facts.extend(found);
    }
}

/// Dockerfile `COPY`/`ADD` lines (not `--from` another stage): where each source lands in the
/// image, so that `ENV PIP_CONFIG_FILE=/etc/pip.conf` finds the committed file it copied.
fn copies(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words = split_words(line);
        let Some(first) = words.first() else { continue };
        if !(first.text.eq_ignore_ascii_case("COPY") || first.text.eq_ignore_ascii_case("ADD")) {
            continue;
        }
        let rest: Vec<&str> = words.iter().skip(1).map(|w| w.text.as_str()).collect();
        if rest.iter().any(|w| w.starts_with("--from")) {
            continue;
        }
        let paths: Vec<&str> = rest.into_iter().filter(|w| !w.starts_with("--")).collect();
        let Some((destination, sources)) = paths.split_last() else {
            continue;
        };
        for source in sources {
            let file = source.rsplit('/').next().unwrap_or(source);
            if destination.ends_with('/') {
                out.push((format!("{destination}{file}"), (*source).to_owned()));
            } else {
                out.push(((*destination).to_owned(), (*source).to_owned()));
            }
        }
    }
    out
}

/// Reads a shell script, Dockerfile/Containerfile or Makefile.
pub(crate) fn read_script(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let dir = file.path.parent().unwrap_or(file.root);
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = file
        .display
        .rsplit('/')
        .next()
        .unwrap_or(file.display)
        .to_ascii_lowercase();
    let flavour = if is_dockerfile(&name) {
        Flavour::Dockerfile
    } else if name == "makefile" || name == "gnumakefile" || name.ends_with(".mk") {
        Flavour::Makefile
    } else {
        Flavour::Shell
    };
    let cx = Context {
        root: file.root,
        display: file.display,
        dir: &dir,
        flavour,
        copies: if flavour == Flavour::Dockerfile {
            copies(text)
        } else {
            Vec::new()
        },
    };
    let mut used = BTreeSet::new();
    let read = read_shell(
        &cx,
        text,
        &|line, column| (to_u32(line + 1), to_u32(column + 1)),
        &[],
        &mut used,
        &mut facts,
    );
    let unused: Vec<Setting> = read
        .unused
        .into_iter()
        .filter(|s| !used.contains(&s.id()))
        .collect();
    settings_only(&cx, &unused, &mut facts);
    facts
}

/// Reads a GitHub workflow or composite action: every `run:` step, with the `env:` settings in
/// scope for it (the workflow's, its job's, its step's) and what earlier steps of the same job
/// wrote to `$GITHUB_ENV` or configured with `pip config set`.
pub(crate) fn read_workflow(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let Some(tree) = facts.parse_yaml(file, text, "GitHub") else {
        return facts;
    };
    let mut runs = Vec::new();
    let mut settings = Vec::new();
    let outer = Inherited {
        settings: Vec::new(),
        dir: None,
    };
    collect_workflow(
        &tree,
        text,
        file.display,
        &outer,
        0,
        &mut runs,
        &mut settings,
    );
    // A step runs in its `working-directory` (relative to the checkout, which gate takes to be
    // ROOT); one outside the repository or only known at run time leaves ROOT.
    let folders: Vec<Option<std::path::PathBuf>> = runs
        .iter()
        .map(|(.., working)| {
            working
                .as_deref()
                .filter(|dir| !shell_expands(dir))
                .and_then(|dir| inside_root(file.root, &file.root.join(dir)))
                .map(|(canonical, _)| canonical)
        })
        .collect();
    let mut cx = Context {
        root: file.root,
        display: file.display,
        dir: file.root,
        flavour: Flavour::Shell,
        copies: Vec::new(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut used = BTreeSet::new();
    let mut exported: BTreeMap<usize, Vec<Setting>> = BTreeMap::new();
    let mut unused_in_runs = Vec::new();
    for ((script, node, scope, job, _), folder) in runs.iter().zip(&folders) {
        cx.dir = folder.as_deref().unwrap_or(file.root);
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
        let mut inherited = scope.clone();
        inherited.extend(exported.get(job).cloned().unwrap_or_default());
        let read = read_shell(&cx, script, &place, &inherited, &mut used, &mut facts);
        exported.entry(*job).or_default().extend(read.exported);
        unused_in_runs.push(read.unused);
    }
    cx.dir = file.root;
    // Settings no pip or uv command of this workflow used still reach whatever installs (a make
    // target, a composite action): judged on their own.
    let unused: Vec<Setting> = settings
        .into_iter()
        .filter(|s| !used.contains(&s.id()))
        .collect();
    settings_only(&cx, &unused, &mut facts);
    for run in unused_in_runs {
        let unused: Vec<Setting> = run
            .into_iter()
            .filter(|s| !used.contains(&s.id()))
            .collect();
        settings_only(&cx, &unused, &mut facts);
    }
    facts
}

/// A `run:` script with the `env:` settings in scope for it (workflow, job, step), its job (0
/// outside `jobs:`, as in a composite action, whose steps share one environment) and its
/// `working-directory`.
type Run<'n> = (String, &'n Node, Vec<Setting>, usize, Option<String>);

/// What a workflow's level passes to the levels inside it: `env:` and the
/// `defaults.run.working-directory` (or a step's own `working-directory`).
#[derive(Clone)]
struct Inherited {
    settings: Vec<Setting>,
    dir: Option<String>,
}

fn collect_workflow<'n>(
    node: &'n Node,
    text: &str,
    display: &str,
    inherited: &Inherited,
    job: usize,
    runs: &mut Vec<Run<'n>>,
    all: &mut Vec<Setting>,
) {
    match &node.value {
        Value::Map(entries) => {
            let mut scope = inherited.clone();
            for (key, value) in entries {
                match (key.scalar_text(text).as_deref(), &value.value) {
                    (Some("env"), Value::Map(vars)) => {
                        for (name, setting) in vars {
                            let name = name.scalar_text(text).unwrap_or_default();
                            if ENV_KEYS.contains(&name.as_str())
                                && let Some(value_text) = setting.scalar_text(text)
                            {
                                let setting = Setting {
                                    key: name,
                                    value: mask_github_expressions(&value_text),
                                    at: Location::new(
                                        display,
                                        setting.span.line,
                                        setting.span.column,
                                    ),
                                    from: From::Env,
                                };
                                all.push(setting.clone());
                                scope.settings.push(setting);
                            }
                        }
                    }
                    (Some("working-directory"), _) => {
                        scope.dir = value.scalar_text(text).map(|d| mask_github_expressions(&d));
                    }
                    (Some("defaults"), Value::Map(defaults)) => {
                        let dir = defaults
                            .iter()
                            .find(|(k, _)| k.scalar_text(text).as_deref() == Some("run"))
                            .and_then(|(_, run)| match &run.value {
                                Value::Map(run) => run.iter().find(|(k, _)| {
                                    k.scalar_text(text).as_deref() == Some("working-directory")
                                }),
                                _ => None,
                            })
                            .and_then(|(_, dir)| dir.scalar_text(text));
                        if let Some(dir) = dir {
                            scope.dir = Some(mask_github_expressions(&dir));
                        }
                    }
                    _ => {}
                }
            }
            for (key, value) in entries {
                match (key.scalar_text(text).as_deref(), &value.value) {
                    (Some("run"), Value::Str(script)) => {
                        runs.push((
                            mask_github_expressions(script),
                            value,
                            scope.settings.clone(),
                            job,
                            scope.dir.clone(),
                        ));
                    }
                    (Some("env" | "defaults" | "working-directory"), _) => {}
                    (Some("jobs"), Value::Map(jobs)) => {
                        for (name, body) in jobs {
                            // Each job runs on its own machine: its own `$GITHUB_ENV`.
                            let id = name.span.start.saturating_add(1);
                            collect_workflow(body, text, display, &scope, id, runs, all);
                        }
                    }
                    _ => collect_workflow(value, text, display, &scope, job, runs, all),
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_workflow(item, text, display, inherited, job, runs, all);
            }
        }
        _ => {}
    }
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

/// Applies `PIP_*` / `UV_*` settings to a command's walker in pip's order of precedence: the
/// configuration files (`pip config set`'s, then `PIP_CONFIG_FILE`'s), then the environment
/// (`--isolated` ignores the environment and the user's file). The command line comes after.
fn apply_settings(
    cx: &Context<'_>,
    walker: &mut Walker<'_>,
    tool: Tool,
    settings: &[Setting],
    isolated: bool,
    best_match: &mut Option<bool>,
    facts: &mut Facts,
) {
    if let Tool::Uv { .. } = tool {
        for setting in settings.iter().filter(|s| s.key.starts_with("UV_")) {
            apply_setting(walker, setting, best_match, facts);
        }
        return;
    }
    let pip: Vec<&Setting> = settings
        .iter()
        .filter(|s| s.key.starts_with("PIP_"))
        .collect();
    let mut from_file = Vec::new();
    let mut file_found = false;
    let mut devnull = false;
    for setting in pip
        .iter()
        .filter(|s| s.key == "PIP_CONFIG_FILE" && s.from == From::Env)
    {
        index_variables(&setting.value, &setting.at, facts);
        // `os.devnull` switches every configuration file off (`Configuration._load_config_files`).
        devnull = matches!(setting.value.as_str(), "/dev/null" | "nul" | "NUL");
        if devnull || shell_expands(&setting.value) {
            continue;
        }
        if let Some(found) = config_file(cx, setting, facts) {
            file_found = true;
            from_file.extend(found);
        }
    }
    let mut ordered: Vec<&Setting> = Vec::new();
    if !devnull {
        // pip skips the user's file under `--isolated` or when `PIP_CONFIG_FILE` exists.
        ordered.extend(pip.iter().copied().filter(|s| match s.from {
            From::ConfigSet { user } => !(user && (isolated || file_found)),
            _ => false,
        }));
        ordered.extend(from_file.iter());
    }
    if !isolated {
        ordered.extend(
            pip.iter()
                .copied()
                .filter(|s| s.from == From::Env && s.key != "PIP_CONFIG_FILE"),
        );
    }
    for setting in ordered {
        apply_setting(walker, setting, best_match, facts);
    }
}

/// The settings of the pip configuration file `PIP_CONFIG_FILE` names, read from the repository
/// (relative to the script's folder, then ROOT; in a Dockerfile, through the `COPY` that put it
/// there). A file gate cannot find is reported as `include-not-found`: pip would read settings
/// nobody reviewed, which can add any index, so passing it silently would fail open.
fn config_file(cx: &Context<'_>, setting: &Setting, facts: &mut Facts) -> Option<Vec<Setting>> {
    let value = setting.value.as_str();
    let mut targets = vec![value.to_owned()];
    targets.extend(
        cx.copies
            .iter()
            .filter(|(destination, _)| destination == value)
            .map(|(_, source)| source.clone()),
    );
    for target in &targets {
        for base in [cx.dir, cx.root] {
            let path = base.join(target.trim_start_matches("./"));
            if target.starts_with('/') && target == value {
                // An absolute path in the image or runner, not in the repository.
                continue;
            }
            let Some((canonical, display)) = inside_root(cx.root, &path) else {
                continue;
            };
            if !canonical.is_file() {
                continue;
            }
            let Ok(text) = super::read_text(&canonical) else {
                continue;
            };
            return Some(pip_conf_settings(&display, &text));
        }
    }
    facts.problems.push(Problem {
        kind: ProblemKind::IncludeNotFound,
        message: format!(
            "`PIP_CONFIG_FILE={value}` makes pip read a configuration file that is not in this repository: its settings can add any index and were never reviewed"
        ),
        evidence: value.to_owned(),
        at: setting.at.clone(),
    });
    None
}

/// Applies one setting (space-separated lists, as pip and uv split them).
fn apply_setting(
    walker: &mut Walker<'_>,
    setting: &Setting,
    best_match: &mut Option<bool>,
    facts: &mut Facts,
) {
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
        "PIP_TRUSTED_HOST" | "UV_INSECURE_HOST" => {
            let written = match setting.from {
                From::Env => format!("{}={}", setting.key, setting.value),
                From::ConfigFile => format!("trusted-host = {}", setting.value),
                From::ConfigSet { .. } => format!("pip config set … {}", setting.value),
            };
            facts.problems.push(Problem {
                kind: ProblemKind::Insecure,
                message: format!("`{written}` turns off TLS certificate checks for that host"),
                evidence: setting.value.clone(),
                at,
            });
        }
        "PIP_NO_INDEX" | "UV_NO_INDEX" if truthy(&setting.value) => walker.set_no_index(),
        "UV_INDEX_STRATEGY" => *best_match = Some(merging_strategy(&setting.value)),
        _ => {}
    }
}

/// Does uv's `index-strategy` look past the first index that has a name? `unsafe-first-match`
/// does when that index's versions do not satisfy the request, so a later index can still serve
/// a restricted name: judged like `unsafe-best-match`, failing closed (as `pyproject.rs` does).
fn merging_strategy(value: &str) -> bool {
    matches!(value.trim(), "unsafe-best-match" | "unsafe-first-match")
}

fn truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
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

/// The index settings of a pip configuration file, as the `PIP_*` variables they amount to:
/// `[global]`, then `[install]` overriding it key by key; within a section the last value wins.
fn pip_conf_settings(display: &str, text: &str) -> Vec<Setting> {
    let mut effective: BTreeMap<String, Vec<(String, u32, u32)>> = BTreeMap::new();
    for wanted in ["global", "install"] {
        for (section, key, values) in ini(text) {
            if section == wanted {
                effective.insert(key.replace('_', "-"), values);
            }
        }
    }
    let mut out = Vec::new();
    for (key, values) in &effective {
        let Some(variable) = config_key(&format!("global.{key}")) else {
            continue;
        };
        for (value, line, column) in values {
            out.push(Setting {
                key: variable.to_owned(),
                value: value.clone(),
                at: Location::new(display, *line, *column),
                from: From::ConfigFile,
            });
        }
    }
    out
}

/// Reads a committed `pip.conf` / `pip.ini` on its own (whatever pip runs with it).
pub(crate) fn read_pip_conf(file: &SourceFile<'_>, text: &str) -> Facts {
    let mut facts = Facts::default();
    let mut walker = Walker::new(file.root, Tool::Pip, file.display);
    let settings = pip_conf_settings(file.display, text);
    // Only a file that says something about indexes describes an install.
    let any = settings.iter().any(|s| match s.key.as_str() {
        "PIP_INDEX_URL" | "PIP_EXTRA_INDEX_URL" => true,
        "PIP_FIND_LINKS" => s.value.split_whitespace().any(names::looks_like_url),
        "PIP_NO_INDEX" => truthy(&s.value),
        _ => false,
    });
    let mut best_match = None;
    for setting in &settings {
        apply_setting(&mut walker, setting, &mut best_match, &mut facts);
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
