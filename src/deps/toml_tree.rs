//! Navigation in a spanned TOML tree (`toml::de::DeTable`): typed lookups and positions, so the
//! TOML readers (pyproject, uv.toml, Pipfile, lockfiles) state facts with line and column.

use super::{Location, Problem, ProblemKind, SourceFile, text::LineIndex};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// A parsed TOML document with its line index.
pub(crate) struct Doc<'i> {
    pub(crate) root: Spanned<DeTable<'i>>,
    lines: LineIndex<'i>,
    display: &'i str,
}

impl<'i> Doc<'i> {
    /// Parses, or records the problem in `facts` and returns `None`.
    pub(crate) fn parse_into(
        file: &SourceFile<'i>,
        text: &'i str,
        facts: &mut super::Facts,
    ) -> Option<Self> {
        Self::parse(file, text)
            .map_err(|problem| facts.problems.push(problem))
            .ok()
    }

    /// Parses, or returns the problem pointing at the syntax error.
    pub(crate) fn parse(file: &SourceFile<'i>, text: &'i str) -> Result<Self, Problem> {
        let lines = LineIndex::new(text);
        match DeTable::parse(text) {
            Ok(root) => Ok(Self {
                root,
                lines,
                display: file.display,
            }),
            Err(error) => {
                let (line, column) = error
                    .span()
                    .map_or((1, 1), |span| lines.position(span.start));
                Err(Problem {
                    kind: ProblemKind::Invalid,
                    message: format!(
                        "not valid TOML, so its tool rejects it and gate cannot check its sources: {}",
                        error.message()
                    ),
                    evidence: String::new(),
                    at: Location::new(file.display, line, column),
                })
            }
        }
    }

    pub(crate) fn at(&self, value: &Value<'_>) -> Location {
        self.at_offset(value.span().start)
    }

    pub(crate) fn at_offset(&self, offset: usize) -> Location {
        let (line, column) = self.lines.position(offset);
        Location::new(self.display, line, column)
    }

    pub(crate) fn top(&self) -> &DeTable<'i> {
        self.root.get_ref()
    }
}

/// The value at a dotted path of keys under `table`.
pub(crate) fn path<'a, 'i>(table: &'a DeTable<'i>, keys: &[&str]) -> Option<&'a Value<'i>> {
    let (first, rest) = keys.split_first()?;
    let value = table.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    match value.get_ref() {
        DeValue::Table(inner) => path(inner, rest),
        _ => None,
    }
}

pub(crate) fn table<'a, 'i>(value: &'a Value<'i>) -> Option<&'a DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

pub(crate) fn array<'a, 'i>(value: &'a Value<'i>) -> &'a [Value<'i>] {
    match value.get_ref() {
        DeValue::Array(items) => items.as_ref(),
        _ => &[],
    }
}

pub(crate) fn string<'a>(value: &'a Value<'_>) -> Option<&'a str> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

pub(crate) fn boolean(value: &Value<'_>) -> Option<bool> {
    match value.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => None,
    }
}

/// A string field of a table.
pub(crate) fn field<'a>(table: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    table.get(key).and_then(|v| string(v))
}

/// The tables of an array of tables at `keys`.
pub(crate) fn tables<'a, 'i>(
    root: &'a DeTable<'i>,
    keys: &[&str],
) -> Vec<(&'a Value<'i>, &'a DeTable<'i>)> {
    path(root, keys)
        .map(array)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| table(v).map(|t| (v, t)))
        .collect()
}

/// Entries of a table with their key spans.
pub(crate) fn entries<'a, 'i>(
    table: &'a DeTable<'i>,
) -> impl Iterator<Item = (&'a Spanned<std::borrow::Cow<'i, str>>, &'a Value<'i>)> {
    table.iter()
}
