//! A spanned YAML document tree: every node keeps its line, column and byte range so that policy
//! validation can report *all* problems at once, each pointing at the exact text.
//!
//! serde stops at the first error; cargo-deny solves this with a spanned tree plus a hand-written
//! walker, and so do we. serde-saphyr parses (pure Rust, with budgets against billion-laughs and
//! deep nesting); this module only turns its events into a tree.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::fmt;

/// Where a node starts, as 1-based line/column plus a byte range into the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) start: usize,
    pub(crate) len: usize,
}

impl Span {
    fn from_location(location: &Location) -> Self {
        let span = location.span();
        Self {
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            column: u32::try_from(location.column()).unwrap_or(u32::MAX),
            start: span
                .byte_offset()
                .and_then(|o| usize::try_from(o).ok())
                .unwrap_or(0),
            len: span
                .byte_len()
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0),
        }
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) span: Span,
}

/// The value of a node. Scalars keep the type YAML resolved; [`Node::scalar_text`] recovers the
/// literal text for places that want a string whatever YAML thought it was.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(#[expect(dead_code, reason = "only the kind matters so far")] f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The node as text: strings as they are, other scalars as written in the source (so a
    /// sha256 made only of digits, or a key `n` that YAML 1.1 reads as `false`, stays text).
    pub(crate) fn scalar_text(&self, source: &str) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Null => {
                let raw = source.get(self.span.start..self.span.start + self.span.len)?;
                let raw = raw.trim();
                (!raw.is_empty()).then(|| raw.to_owned())
            }
            Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

/// Parses `source` into a tree. Budgets are serde-saphyr's defaults (they stop billion-laughs
/// aliasing and runaway nesting).
pub(crate) fn parse(source: &str) -> Result<Option<Node>, serde_saphyr::Error> {
    let node: Option<Spanned<RawValue>> = serde_saphyr::from_str(source)?;
    Ok(node.map(into_node))
}

/// Where a syntax error is (1-based line, and column when the parser knows it) and its message's
/// first line without the snippet.
pub(crate) fn error_position(error: &serde_saphyr::Error) -> (u32, Option<u32>, String) {
    let (line, column) = error.location().map_or((1, None), |l| {
        (
            u32::try_from(l.line()).unwrap_or(u32::MAX),
            u32::try_from(l.column()).ok(),
        )
    });
    (
        line,
        column,
        strip_position(&error.without_snippet().to_string()),
    )
}

/// A parser message without the position it repeats (the diagnostic states it once).
pub(crate) fn strip_position(message: &str) -> String {
    let message = message.trim().trim_start_matches("error: ");
    let first_line = message.lines().next().unwrap_or(message);
    let message = match first_line.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
        _ => first_line,
    };
    // The parser may also end its message with the position; the diagnostic states it once.
    match message.rsplit_once(" at line ") {
        Some((head, tail)) if is_position(tail) => head.to_owned(),
        _ => message.to_owned(),
    }
}

/// `N, column M`, as parsers spell a position.
fn is_position(text: &str) -> bool {
    text.split_once(", column ").is_some_and(|(line, column)| {
        !line.is_empty()
            && !column.is_empty()
            && line.bytes().all(|b| b.is_ascii_digit())
            && column.bytes().all(|b| b.is_ascii_digit())
    })
}

fn into_node(spanned: Spanned<RawValue>) -> Node {
    let span = Span::from_location(&spanned.referenced);
    let value = match spanned.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::Float(f) => Value::Float(f),
        RawValue::Str(s) => Value::Str(s),
        RawValue::Seq(items) => Value::Seq(items.into_iter().map(into_node).collect()),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (into_node(k), into_node(v)))
                .collect(),
        ),
    };
    Node { value, span }
}

enum RawValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<RawValue>, Spanned<RawValue>)>),
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, b: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<RawValue, E> {
        Ok(RawValue::Int(u.into()))
    }
    fn visit_i128<E>(self, i: i128) -> Result<RawValue, E> {
        Ok(RawValue::Int(i))
    }
    fn visit_u128<E>(self, u: u128) -> Result<RawValue, E> {
        Ok(i128::try_from(u).map_or(RawValue::Float(u as f64), RawValue::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Spanned<RawValue>, Spanned<RawValue>>()? {
            entries.push(entry);
        }
        Ok(RawValue::Map(entries))
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}
