//! Static analysis of Jinja chat templates (GGUF `tokenizer.chat_template*`, Hugging Face
//! `chat_template`): tokenizes the expressions inside `{{ }}` and `{% %}` and reports what reaches
//! Python internals. Templates are never rendered.
//!
//! Hand-rolled because no Rust crate parses Jinja2 with a stable public AST (`minijinja` keeps its
//! parser behind `unstable_machinery` and refuses Jinja2 extensions such as `{% generation %}`
//! that real templates use, so it would fail on benign files). A tokenizer is enough here: the
//! escapes from a template into Python (CVE-2024-34359, and the classic SSTI chains) all need a
//! name, attribute or string that no chat template has reason to contain — dunders
//! (`__class__`, `__globals__`, `__subclasses__`, `__builtins__`, `__import__`, `__init__`),
//! private attributes (`_module`, `_TemplateReference__context`), `mro`, `os`, `subprocess`,
//! `popen`, `eval` — or a way to build one at run time (`|attr` with a computed name, dunders cut
//! into pieces, `%c` character codes). Jinja2's own sandbox refuses the same attributes, so
//! templates written for `transformers` (which renders in that sandbox) never use them.
//! Strings are unescaped exactly the way Jinja2 does (`\x5f`, `\137` and `\u005f` are `_`;
//! `\N{…}` is reported rather than guessed) before they are checked. The tokenizer follows
//! Jinja2's lexer (bracket balancing, raw-block ends, Python whitespace), and attribute lookups
//! whose name is computed at run time (subscripts with built keys, `attr`/`map(attribute=…)` with
//! non-literal names, `str.format` fields) fail closed, since no list of names can follow every
//! way a string can be put together.

/// One reason a template is unsafe, with where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateIssue {
    /// Byte offset in the template text.
    pub(crate) at: usize,
    pub(crate) line: u32,
    pub(crate) column: u32,
    pub(crate) what: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Start of a `{{ … }}` or `{% … %}` tag.
    Open,
    /// End of a tag.
    Close,
    Ident(String),
    Str(String),
    /// A string literal gate does not decode (a `\N{…}` escape).
    Undecoded,
    Num,
    Punct(&'static str),
    Other,
}

/// Attribute names (after `.`) and subscript strings that lead out of the template's data.
const DANGEROUS_ATTRIBUTES: &[&str] = &[
    "mro",
    "os",
    "sys",
    "subprocess",
    "popen",
    "system",
    "spawn",
    "eval",
    "exec",
    "execfile",
    "builtins",
    "import_module",
    "func_globals",
    "func_code",
    "f_globals",
    "f_locals",
    "f_back",
    "f_builtins",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "ag_frame",
    "tb_frame",
    "co_code",
    "load_module",
    "getattr",
];

/// Free names that only mean Python internals.
const DANGEROUS_NAMES: &[&str] = &[
    "os",
    "sys",
    "subprocess",
    "eval",
    "exec",
    "importlib",
    "builtins",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "compile",
    "open",
    "breakpoint",
];

/// How many distinct issues one template reports (the first ones say enough).
const MAX_ISSUES: usize = 16;

/// Filters that turn a string argument into an attribute lookup (`attr`, and the filters built
/// on Jinja's `make_attrgetter`), with which positional argument is the attribute name.
const ATTRIBUTE_FILTERS: &[(&str, Option<usize>)] = &[
    ("attr", Some(0)),
    ("map", None),
    ("selectattr", Some(0)),
    ("rejectattr", Some(0)),
    ("groupby", Some(0)),
    ("sort", None),
    ("sum", None),
    ("unique", None),
    ("min", None),
    ("max", None),
];

/// Filters whose result is a number, so a subscript through them cannot name an attribute.
const NUMERIC_FILTERS: &[&str] = &["length", "count", "int", "float", "abs", "round"];

/// Words that end an expression, after which `[` opens a list rather than a subscript.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "for",
    "set",
    "with",
    "import",
    "from",
    "as",
    "recursive",
    "do",
    "print",
    "return",
    "macro",
    "call",
    "filter",
    "include",
    "extends",
];

/// Analyses a template; an empty result means nothing reaching Python internals was found.
pub(crate) fn analyse(template: &str) -> Vec<TemplateIssue> {
    let tokens = tokenize(template);
    let mut issues: Vec<TemplateIssue> = Vec::new();
    let mut push = |at: usize, what: String| {
        if issues.len() < MAX_ISSUES && !issues.iter().any(|i| i.what == what) {
            let (line, column) = line_column(template, at);
            issues.push(TemplateIssue {
                at,
                line,
                column,
                what,
            });
        }
    };
    names_and_literals(&tokens, &mut push);
    let tainted = Tainted::collect(&tokens);
    computed_lookups(&tokens, &tainted, &mut push);
    issues
}

/// Names, attributes and string literals that are unsafe whatever the code around them.
fn names_and_literals(tokens: &[(usize, Token)], push: &mut impl FnMut(usize, String)) {
    for (index, (at, token)) in tokens.iter().enumerate() {
        let previous = index
            .checked_sub(1)
            .and_then(|i| tokens.get(i))
            .map(|(_, t)| t);
        let next = tokens.get(index + 1).map(|(_, t)| t);
        match token {
            Token::Ident(name) => {
                let after_dot = previous == Some(&Token::Punct("."));
                if is_dunder(name) {
                    push(*at, format!("dunder name `{name}`"));
                } else if after_dot && name.starts_with('_') {
                    push(*at, format!("private attribute `.{name}`"));
                } else if after_dot && DANGEROUS_ATTRIBUTES.contains(&name.as_str()) {
                    push(*at, format!("attribute `.{name}`"));
                } else if !after_dot
                    && next != Some(&Token::Punct("="))
                    && DANGEROUS_NAMES.contains(&name.as_str())
                {
                    push(*at, format!("name `{name}`"));
                }
            }
            Token::Str(value) => {
                let subscript =
                    previous == Some(&Token::Punct("[")) && next == Some(&Token::Punct("]"));
                let reversed: String = value.chars().rev().collect();
                if looks_like_dunder_piece(value)
                    || looks_like_dunder_piece(&reversed)
                    || contains_dunder(value)
                {
                    push(*at, format!("string {value:?} naming a dunder"));
                } else if subscript && unsafe_attribute(value) {
                    push(*at, format!("lookup of {value:?}"));
                } else if is_underscores(value)
                    && (value.len() >= 2
                        || next == Some(&Token::Punct("*"))
                        || tokens
                            .iter()
                            .skip(index + 1)
                            .take(6)
                            .any(|(_, t)| matches!(t, Token::Str(other) if is_underscores(other))))
                {
                    push(
                        *at,
                        format!("underscores {value:?} put together (building a dunder name)"),
                    );
                } else if value.contains("%c") || value.contains(":c}") {
                    push(
                        *at,
                        format!("string {value:?} building text from character codes"),
                    );
                }
            }
            Token::Undecoded => push(
                *at,
                "string with a `\\N{…}` named escape (gate does not decode it)".to_owned(),
            ),
            _ => {}
        }
    }
}

/// An attribute name that leads out of the template's data.
fn unsafe_attribute(name: &str) -> bool {
    name.starts_with('_') || DANGEROUS_ATTRIBUTES.contains(&name)
}

/// Attribute lookups whose name is computed at run time. Jinja's subscript falls back to
/// `getattr`, so `x[key]` with a key built from strings (`u ~ u`, `'a__b'[1:3]`, a `{% set %}`
/// alias of `'_'`, a macro's output, an object's `|string` text) reaches any attribute; so do
/// `attr`, `map(attribute=…)` and the other attribute getters, and `str.format` fields. A
/// denylist of names cannot follow every way to build one, so these fail closed: a lookup name
/// must be a string literal (checked above) or a value that cannot be a built string — numbers,
/// loop counters, data reached by literal keys, variables never assigned from string-building
/// code. Ordinary chat templates index only that way (`message['role']`, `messages[0]`,
/// `messages[loop.index0 - 1]`, `tool[key]` over data).
fn computed_lookups(
    tokens: &[(usize, Token)],
    tainted: &Tainted,
    push: &mut impl FnMut(usize, String),
) {
    for (index, (at, token)) in tokens.iter().enumerate() {
        let next = tokens.get(index + 1).map(|(_, t)| t);
        match token {
            Token::Punct("[") if is_subscript(tokens, index) => {
                // No closing bracket in reach: Jinja refuses an unbalanced tag, and a huge key
                // is no ordinary one, so either way it counts as computed.
                let computed = match matching(tokens, index) {
                    Some(close) => {
                        let key = &tokens[index + 1..close];
                        !(lone_literal(key) || is_slice(key) || tainted.plain(key))
                    }
                    None => true,
                };
                if computed {
                    push(
                        *at,
                        "subscript with a computed key (a built attribute name)".to_owned(),
                    );
                }
            }
            Token::Punct("|") => {
                let Some(Token::Ident(filter)) = next else {
                    continue;
                };
                let Some((_, name_position)) = ATTRIBUTE_FILTERS.iter().find(|(f, _)| f == filter)
                else {
                    continue;
                };
                if tokens.get(index + 2).map(|(_, t)| t) != Some(&Token::Punct("(")) {
                    if filter == "attr" {
                        push(
                            *at,
                            "`attr` filter with a computed attribute name".to_owned(),
                        );
                    }
                    continue;
                }
                let Some(arguments) = call_arguments(tokens, index + 2) else {
                    push(
                        *at,
                        format!("`{filter}` filter with a computed attribute name"),
                    );
                    continue;
                };
                let mut positional = 0usize;
                let mut map_attr = false;
                for argument in &arguments {
                    let keyword = match argument {
                        [(_, Token::Ident(k)), (_, Token::Punct("=")), ..] => Some(k.as_str()),
                        _ => None,
                    };
                    let value = if keyword.is_some() {
                        &argument[2..]
                    } else {
                        argument
                    };
                    let names_attribute = match keyword {
                        Some(k) => k == "attribute",
                        None => {
                            let names = *name_position == Some(positional)
                                || (filter == "map" && (positional == 0 || map_attr));
                            if filter == "map" && positional == 0 {
                                map_attr = matches!(value, [(_, Token::Str(s))] if s == "attr");
                            }
                            positional += 1;
                            names
                        }
                    };
                    if !names_attribute {
                        continue;
                    }
                    match value {
                        [(_, Token::Str(path))] => {
                            if path
                                .split('.')
                                .any(|piece| unsafe_attribute(piece) || piece.starts_with("format"))
                            {
                                push(*at, format!("`{filter}` reaching attribute {path:?}"));
                            }
                        }
                        [(_, Token::Num)] => {}
                        _ => push(
                            *at,
                            format!("`{filter}` filter with a computed attribute name"),
                        ),
                    }
                }
            }
            Token::Punct(".") if matches!(next, Some(Token::Ident(m)) if m == "format" || m == "format_map") => {
                match index.checked_sub(1).and_then(|i| tokens.get(i)) {
                    Some((_, Token::Str(text))) => {
                        if format_field_walks(text) {
                            push(
                                *at,
                                format!("`str.format` field reaching attributes in {text:?}"),
                            );
                        }
                    }
                    _ => push(*at, "`str.format` on a computed string".to_owned()),
                }
            }
            _ => {}
        }
    }
}

/// `[` right after a value (a name, literal, call or subscript) indexes it; otherwise it opens
/// a list.
fn is_subscript(tokens: &[(usize, Token)], open: usize) -> bool {
    match open
        .checked_sub(1)
        .and_then(|i| tokens.get(i))
        .map(|(_, t)| t)
    {
        Some(Token::Ident(word)) => !KEYWORDS.contains(&word.as_str()),
        Some(Token::Str(_) | Token::Undecoded | Token::Punct(")" | "]")) => true,
        _ => false,
    }
}

/// The longest bracketed span followed, in tokens; a longer one is treated as computed, which
/// keeps hostile nesting (`a[a[a[…]]]`) linear. Real subscripts and filter arguments are short.
const MAX_SPAN: usize = 4096;

/// The index of the bracket closing the one at `open`, within the same tag and [`MAX_SPAN`].
fn matching(tokens: &[(usize, Token)], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, (_, token)) in tokens.iter().enumerate().skip(open).take(MAX_SPAN) {
        match token {
            Token::Punct("[" | "(" | "{") => depth += 1,
            Token::Punct("]" | ")" | "}") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(index);
                }
            }
            Token::Close => return None,
            _ => {}
        }
    }
    None
}

/// The comma-separated arguments of the call whose `(` is at `open`.
fn call_arguments(tokens: &[(usize, Token)], open: usize) -> Option<Vec<&[(usize, Token)]>> {
    let close = matching(tokens, open)?;
    Some(split_top_level(&tokens[open + 1..close], ","))
}

/// Splits tokens at `separator` outside brackets.
fn split_top_level<'t>(tokens: &'t [(usize, Token)], separator: &str) -> Vec<&'t [(usize, Token)]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (index, (_, token)) in tokens.iter().enumerate() {
        match token {
            Token::Punct("[" | "(" | "{") => depth += 1,
            Token::Punct("]" | ")" | "}") => depth = depth.saturating_sub(1),
            Token::Punct(p) if depth == 0 && *p == separator => {
                parts.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

/// A subscript whose key has a `:` outside brackets is a slice (`text[:n]`, `xs[a:b:c]`): Jinja
/// passes a `slice` object, never a string, so its `getattr` fallback cannot name an attribute
/// whatever the bounds are. (Subscripts inside the bounds are checked on their own.)
fn is_slice(key: &[(usize, Token)]) -> bool {
    split_top_level(key, ":").len() > 1
        || matches!(key.first(), Some((_, Token::Punct(":"))))
        || matches!(key.last(), Some((_, Token::Punct(":"))))
}

fn lone_literal(tokens: &[(usize, Token)]) -> bool {
    matches!(tokens, [(_, Token::Str(_))])
}

/// `str.format` replacement fields whose name walks attributes or items (`{0.__globals__}`,
/// `{0[os]}`), anywhere in the string, nested specs included.
fn format_field_walks(text: &str) -> bool {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            rest = stripped;
            continue;
        }
        // An unterminated field makes `str.format` raise; reporting it keeps this linear.
        let Some(field_end) = after.find(['}', '!', ':']) else {
            return true;
        };
        if after[..field_end].contains(['.', '[']) {
            return true;
        }
        // Nested fields in a format spec (`{0:{1.x}}`) come after `:`, so scanning goes on there.
        rest = &after[field_end..];
    }
    false
}

/// Variables and namespace attributes that may hold a string the template built.
#[derive(Default)]
struct Tainted {
    names: std::collections::BTreeSet<String>,
    attributes: std::collections::BTreeSet<String>,
    /// `range` is the global (never assigned, nor a macro), so `range(…)` is a list of numbers.
    range_is_global: bool,
    /// Slice subscripts (`x[a:b]`): byte offset of the `[` to that of its `]`.
    slices: std::collections::HashMap<usize, usize>,
    /// A mutating call too long to follow: any variable may hold a built string.
    everything: bool,
}

/// Every slice subscript in one linear pass (see [`Tainted::slices`]).
fn slice_spans(tokens: &[(usize, Token)]) -> std::collections::HashMap<usize, usize> {
    let mut spans = std::collections::HashMap::new();
    // (index of an opening bracket, whether it is a subscript `[` with a top-level `:`)
    let mut stack: Vec<(usize, bool)> = Vec::new();
    for (index, (at, token)) in tokens.iter().enumerate() {
        match token {
            Token::Punct("[" | "(" | "{") => stack.push((index, false)),
            Token::Punct(":") => {
                if let Some((open, colon)) = stack.last_mut()
                    && tokens[*open].1 == Token::Punct("[")
                {
                    *colon = true;
                }
            }
            Token::Punct("]" | ")" | "}") => {
                if let Some((open, true)) = stack.pop()
                    && *token == Token::Punct("]")
                    && is_subscript(tokens, open)
                {
                    spans.insert(tokens[open].0, *at);
                }
            }
            Token::Open | Token::Close => stack.clear(),
            _ => {}
        }
    }
    spans
}

/// Passes over the assignments before giving up and treating every assigned name as built.
const TAINT_ROUNDS: usize = 32;

impl Tainted {
    /// Follows `{% set %}` (also block sets and namespace attributes), `{% for %}` targets,
    /// `{% with %}` and macro parameters to a fixed point: a name is tainted when a value
    /// assigned to it is not [`Tainted::plain`].
    fn collect(tokens: &[(usize, Token)]) -> Tainted {
        let statements = statements(tokens);
        let mut all: Vec<Assignment<'_>> = statements
            .iter()
            .flat_map(|statement| assignments(statement))
            .collect();
        all.extend(namespace_attributes(tokens));
        all.extend(macro_parameters(tokens));
        let mut tainted = Tainted {
            // A macro's extra arguments: whatever a caller passed.
            names: ["varargs", "kwargs"].map(str::to_owned).into(),
            slices: slice_spans(tokens),
            range_is_global: !all
                .iter()
                .any(|(name, attribute, _)| !attribute && *name == "range")
                && !macro_definitions(tokens)
                    .iter()
                    .any(|(name, _)| *name == "range"),
            ..Tainted::default()
        };
        let (mutations, readable) = mutations(tokens);
        if !readable {
            tainted.everything = true;
            return tainted;
        }
        // Where each variable's (or attribute's) value came from, to find what a mutated
        // container may be shared with.
        let mut sources: std::collections::HashMap<Key<'_>, Vec<&[(usize, Token)]>> =
            std::collections::HashMap::new();
        for (name, attribute, value) in &all {
            if let Some(value) = value {
                sources.entry((*name, *attribute)).or_default().push(value);
            }
        }
        for _ in 0..TAINT_ROUNDS {
            let mut changed = false;
            for (name, attribute, value) in &all {
                let built = value.is_none_or(|v| !tainted.plain(v));
                if built {
                    changed |= tainted.insert((*name, *attribute));
                }
            }
            // `x.append(v)` and the like store `v` in `x`: a built `v` makes `x` built, and
            // everything `x` may share its value with (what it was assigned from, transitively).
            let mut queue: Vec<Key<'_>> = Vec::new();
            for mutation in &mutations {
                if mutation.values.iter().any(|v| !tainted.plain(v)) {
                    for target in &mutation.targets {
                        changed |= tainted.insert(*target);
                    }
                    queue.extend(mutation.shared.iter().copied());
                }
            }
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = queue.pop() {
                if !seen.insert(key) {
                    continue;
                }
                for value in sources.get(&key).into_iter().flatten() {
                    for reference in references(value) {
                        changed |= tainted.insert(reference);
                        queue.push(reference);
                    }
                }
            }
            if !changed {
                return tainted;
            }
        }
        // Too many chained assignments to follow: fail closed.
        for (name, attribute, _) in &all {
            tainted.insert((*name, *attribute));
        }
        for mutation in &mutations {
            for key in mutation.targets.iter().chain(&mutation.shared) {
                tainted.insert(*key);
            }
        }
        tainted
    }

    /// Marks a variable (or, with `true`, an attribute) as built; whether that is new.
    fn insert(&mut self, (name, attribute): Key<'_>) -> bool {
        let set = if attribute {
            &mut self.attributes
        } else {
            &mut self.names
        };
        !set.contains(name) && set.insert(name.to_owned())
    }

    /// A value that cannot be a string the template built: no string literal except as a
    /// literal subscript key, no `~`, no call (a macro returns its text), no filter but numeric
    /// ones, no dict literal, no tainted name.
    fn plain(&self, tokens: &[(usize, Token)]) -> bool {
        let mut index = 0usize;
        while let Some((_, token)) = tokens.get(index) {
            let previous = index
                .checked_sub(1)
                .and_then(|i| tokens.get(i))
                .map(|(_, t)| t);
            let next = tokens.get(index + 1).map(|(_, t)| t);
            if matches!(token, Token::Ident(f) if f == "namespace" || (f == "range" && self.range_is_global))
                && next == Some(&Token::Punct("("))
                && previous != Some(&Token::Punct("."))
            {
                // `range(…)` is numbers (or an error) whatever its arguments.
                // `namespace(a=…)` is an object, not text; its arguments are judged as the
                // attributes they become (see `assignments`).
                match matching(tokens, index + 1) {
                    Some(close) => index = close + 1,
                    None => return false,
                }
                continue;
            }
            if token == &Token::Punct("[")
                && let Some(close) = self.slices.get(&tokens[index].0)
            {
                // A slice of a value is part of that value; its bounds are numbers or fail.
                while tokens.get(index).is_some_and(|(at, _)| at != close) {
                    index += 1;
                }
                index += 1;
                continue;
            }
            let ok = match token {
                Token::Str(key) => {
                    // A literal key (`x['k']`, `x.get('k')`, `x.get('k', default)`) reads data,
                    // unless a built value was stored under that name (`ns.k.append(…)`; Jinja's
                    // `x['k']` falls back to `x.k` and `x.k` to `x['k']`).
                    (((previous == Some(&Token::Punct("["))
                        && next == Some(&Token::Punct("]"))
                        && is_subscript(tokens, index - 1))
                        || literal_get_key(tokens, index))
                        && !self.attributes.contains(key)
                        && !self.everything)
                        || compared(tokens, index)
                }
                Token::Ident(name) => {
                    let after_dot = previous == Some(&Token::Punct("."));
                    let filtered = previous == Some(&Token::Punct("|"));
                    if filtered {
                        NUMERIC_FILTERS.contains(&name.as_str())
                    } else if next == Some(&Token::Punct("(")) {
                        // Method calls on data (`.items()`, `.strip()`) return data; free
                        // calls are macros or globals (`lipsum`, `cycler`, `joiner`).
                        after_dot && !name.starts_with("format")
                    } else if after_dot {
                        !self.attributes.contains(name) && !self.everything
                    } else {
                        !self.names.contains(name) && !self.everything
                    }
                }
                Token::Punct("~" | "{") | Token::Undecoded | Token::Other => false,
                _ => true,
            };
            if !ok {
                return false;
            }
            index += 1;
        }
        true
    }
}

/// The literal at `index` is the key of `x.get('k')` or `x.get('k', default)`.
fn literal_get_key(tokens: &[(usize, Token)], index: usize) -> bool {
    let at = |i: usize| tokens.get(i).map(|(_, t)| t);
    index >= 3
        && at(index - 1) == Some(&Token::Punct("("))
        && matches!(at(index - 2), Some(Token::Ident(m)) if m == "get")
        && at(index - 3) == Some(&Token::Punct("."))
        && matches!(at(index + 1), Some(Token::Punct(")" | ",")))
}

/// The literal at `index` is an operand of a comparison (`role == 'user'`, `'x' in s`,
/// `k not in ['a']`): comparisons bind more loosely than every operator that builds a string
/// (`~`, `+`, `*`, `%`, filters), so the literal only decides a boolean.
fn compared(tokens: &[(usize, Token)], index: usize) -> bool {
    let at = |i: usize| tokens.get(i).map(|(_, t)| t);
    let comparison = |t: Option<&Token>| {
        matches!(t, Some(Token::Punct("==" | "!=" | "<" | ">" | "<=" | ">=")))
            || matches!(t, Some(Token::Ident(w)) if w == "in")
    };
    let before = index.checked_sub(1).and_then(at);
    let after = at(index + 1);
    comparison(before)
        || comparison(after)
        || (matches!(after, Some(Token::Ident(w)) if w == "not") && comparison(at(index + 2)))
}

/// A variable name, or with `true` an attribute (namespace attribute, or item) name.
type Key<'t> = (&'t str, bool);

/// Methods that store their arguments in the object they are called on.
const MUTATING_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "update",
    "setdefault",
    "add",
    "__setitem__",
];

/// Most tokens walked back over receivers of mutating calls (`a[0].append(…)[0].append(…)…`
/// repeats its receivers); past it every variable counts as built.
const MAX_RECEIVER_TOKENS: usize = 1 << 16;

/// One call of a [`MUTATING_METHODS`] method.
struct Mutation<'t> {
    /// The arguments (keyword values without their keywords).
    values: Vec<&'t [(usize, Token)]>,
    /// What holds the stored value afterwards: the last attribute or literal key of the
    /// receiver (`ns.items`, `x['k']`), else its root variable (`l`, `l[i]`), else the names in
    /// a bracketed receiver (`(l).append`, `[l][0].append`).
    targets: Vec<Key<'t>>,
    /// Every name and attribute on the receiver's path, whose sources may share the container.
    shared: Vec<Key<'t>>,
}

/// The names and attributes an expression refers to (not calls, filters or keywords).
fn references(value: &[(usize, Token)]) -> Vec<Key<'_>> {
    let at = |i: usize| value.get(i).map(|(_, t)| t);
    value
        .iter()
        .enumerate()
        .filter_map(|(i, (_, t))| {
            let Token::Ident(name) = t else { return None };
            let previous = i.checked_sub(1).and_then(at);
            let next = at(i + 1);
            if matches!(next, Some(Token::Punct("(" | "=")))
                || matches!(previous, Some(Token::Punct("|")))
                || KEYWORDS.contains(&name.as_str())
            {
                return None;
            }
            Some((name.as_str(), previous == Some(&Token::Punct("."))))
        })
        .collect()
}

/// Every mutating method call, anywhere (`{% set _ = l.append(v) %}`, `{{ l.append(v) }}`,
/// `{% do … %}`), with the receiver walked back to its root; `false` when the receivers are
/// too long to follow.
fn mutations(tokens: &[(usize, Token)]) -> (Vec<Mutation<'_>>, bool) {
    // The opening bracket of each closing one, within a tag.
    let mut opening: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut stack: Vec<usize> = Vec::new();
    for (index, (_, token)) in tokens.iter().enumerate() {
        match token {
            Token::Punct("[" | "(" | "{") => stack.push(index),
            Token::Punct("]" | ")" | "}") => {
                if let Some(open) = stack.pop() {
                    opening.insert(index, open);
                }
            }
            Token::Open | Token::Close => stack.clear(),
            _ => {}
        }
    }
    let at = |i: usize| tokens.get(i).map(|(_, t)| t);
    let mut out = Vec::new();
    let mut budget = MAX_RECEIVER_TOKENS;
    for (index, (_, token)) in tokens.iter().enumerate() {
        let Token::Ident(method) = token else {
            continue;
        };
        if !MUTATING_METHODS.contains(&method.as_str())
            || index < 2
            || at(index - 1) != Some(&Token::Punct("."))
            || at(index + 1) != Some(&Token::Punct("("))
        {
            continue;
        }
        let values = match call_arguments(tokens, index + 1) {
            Some(arguments) => arguments
                .into_iter()
                .map(|argument| match argument {
                    [(_, Token::Ident(_)), (_, Token::Punct("=")), value @ ..] => value,
                    other => other,
                })
                .collect(),
            // An unreadable call: judge everything up to the end of the tag.
            None => {
                let end = tokens[index..]
                    .iter()
                    .position(|(_, t)| t == &Token::Close)
                    .map_or(tokens.len(), |p| index + p);
                vec![&tokens[index + 2..end]]
            }
        };
        let mut targets: Vec<Key<'_>> = Vec::new();
        let mut shared: Vec<Key<'_>> = Vec::new();
        // The receiver ends just before the `.`.
        let mut p = index - 2;
        loop {
            if budget == 0 {
                return (out, false);
            }
            budget -= 1;
            match at(p) {
                Some(Token::Ident(name)) => {
                    if p > 0 && at(p - 1) == Some(&Token::Punct(".")) {
                        shared.push((name.as_str(), true));
                        if targets.is_empty() {
                            targets.push((name.as_str(), true));
                        }
                        if p < 2 {
                            break;
                        }
                        p -= 2;
                    } else {
                        shared.push((name.as_str(), false));
                        if targets.is_empty() {
                            targets.push((name.as_str(), false));
                        }
                        break;
                    }
                }
                Some(Token::Punct("]" | ")" | "}")) => {
                    let Some(&open) = opening.get(&p) else {
                        break;
                    };
                    let inside = &tokens[open + 1..p];
                    budget = budget.saturating_sub(inside.len());
                    let postfix = open > 0 && is_subscript(tokens, open);
                    if !postfix {
                        // A bracketed receiver (`(l)`, `[l][0]`): whatever it names.
                        let group_targets = targets.is_empty();
                        for key in references(inside) {
                            shared.push(key);
                            if group_targets {
                                targets.push(key);
                            }
                        }
                        break;
                    }
                    let method = (open >= 2 && at(open - 2) == Some(&Token::Punct(".")))
                        .then(|| at(open - 1))
                        .flatten();
                    match (at(open), method) {
                        (Some(Token::Punct("[")), _) => {
                            if let [(_, Token::Str(key))] = inside
                                && targets.is_empty()
                            {
                                targets.push((key.as_str(), true));
                            }
                            p = open - 1;
                        }
                        (Some(Token::Punct("(")), Some(Token::Ident(m))) => {
                            if m == "get"
                                && let Some((_, Token::Str(key))) = inside.first()
                                && targets.is_empty()
                            {
                                targets.push((key.as_str(), true));
                            }
                            // Past the method name and its `.`.
                            if open < 3 {
                                break;
                            }
                            p = open - 3;
                        }
                        _ => p = open - 1,
                    }
                }
                _ => break,
            }
        }
        out.push(Mutation {
            values,
            targets,
            shared,
        });
    }
    (out, true)
}

/// Each `{% … %}` tag's tokens (without its delimiters).
fn statements(tokens: &[(usize, Token)]) -> Vec<&[(usize, Token)]> {
    let mut out = Vec::new();
    let mut start = None;
    for (index, (_, token)) in tokens.iter().enumerate() {
        match token {
            Token::Open => start = Some(index + 1),
            Token::Close => {
                if let Some(s) = start.take() {
                    out.push(&tokens[s..index]);
                }
            }
            _ => {}
        }
    }
    out
}

/// A name, whether it is a namespace attribute, and its value expression if there is one.
type Assignment<'t> = (&'t str, bool, Option<&'t [(usize, Token)]>);

/// What one tag assigns: (name, whether it is a namespace attribute, the value when there is
/// one expression for it). A block `{% set x %}…{% endset %}` and macro parameters have no
/// value expression (their text or arguments can be anything).
fn assignments(statement: &[(usize, Token)]) -> Vec<Assignment<'_>> {
    let mut out = Vec::new();
    let Some((_, Token::Ident(keyword))) = statement.first() else {
        return out;
    };
    let body = &statement[1..];
    let position = |word: &str| {
        body.iter()
            .position(|(_, t)| matches!(t, Token::Ident(w) if w == word))
    };
    let target_names = |tokens: &'_ [(usize, Token)]| -> Vec<(usize, bool)> {
        tokens
            .iter()
            .enumerate()
            .filter_map(|(i, (_, t))| {
                let Token::Ident(_) = t else { return None };
                if tokens.get(i + 1).map(|(_, t)| t) == Some(&Token::Punct(".")) {
                    return None;
                }
                let attribute =
                    i > 0 && tokens.get(i - 1).map(|(_, t)| t) == Some(&Token::Punct("."));
                Some((i, attribute))
            })
            .collect()
    };
    fn name_of(tokens: &[(usize, Token)], i: usize) -> &str {
        match tokens.get(i) {
            Some((_, Token::Ident(n))) => n.as_str(),
            _ => "",
        }
    }
    match keyword.as_str() {
        "set" => {
            let equals = split_top_level(body, "=");
            let (lhs, value) = match equals.as_slice() {
                [lhs, value, ..] => (*lhs, Some(*value)),
                _ => {
                    // Block set: the targets end at a filter bar.
                    let end = body
                        .iter()
                        .position(|(_, t)| t == &Token::Punct("|"))
                        .unwrap_or(body.len());
                    (&body[..end], None)
                }
            };
            for (i, attribute) in target_names(lhs) {
                out.push((name_of(lhs, i), attribute, value));
            }
        }
        "for" => {
            if let Some(in_at) = position("in") {
                let iterable = &body[in_at + 1..];
                let end = iterable
                    .iter()
                    .position(
                        |(_, t)| matches!(t, Token::Ident(w) if w == "if" || w == "recursive"),
                    )
                    .unwrap_or(iterable.len());
                let lhs = &body[..in_at];
                for (i, attribute) in target_names(lhs) {
                    out.push((name_of(lhs, i), attribute, Some(&iterable[..end])));
                }
            }
        }
        "with" => {
            for part in split_top_level(body, ",") {
                if let [(_, Token::Ident(name)), (_, Token::Punct("=")), value @ ..] = part {
                    out.push((name.as_str(), false, Some(value)));
                }
            }
        }
        "macro"
            if matches!(body, [(_, Token::Ident(_)), (_, Token::Punct("(")), ..])
                && call_arguments(body, 1).is_some() =>
        {
            // Parameters take their callers' arguments (see `macro_parameters`).
        }
        "macro" | "call" => {
            for (i, (_, t)) in body.iter().enumerate() {
                if let Token::Ident(name) = t
                    && matches!(
                        body.get(i + 1).map(|(_, t)| t),
                        Some(Token::Punct("," | ")" | "="))
                    )
                {
                    out.push((name.as_str(), false, None));
                }
            }
        }
        _ => {}
    }
    out
}

/// `namespace(a=…)` arguments, anywhere (a namespace can also be built inside `{{ }}`, say as a
/// macro argument), become attributes; a built value taints the attribute.
fn namespace_attributes(tokens: &[(usize, Token)]) -> Vec<Assignment<'_>> {
    let mut out = Vec::new();
    for (i, (_, t)) in tokens.iter().enumerate() {
        if matches!(t, Token::Ident(f) if f == "namespace")
            && tokens.get(i + 1).map(|(_, t)| t) == Some(&Token::Punct("("))
        {
            for argument in call_arguments(tokens, i + 1).unwrap_or_default() {
                if let [(_, Token::Ident(name)), (_, Token::Punct("=")), value @ ..] = argument {
                    out.push((name.as_str(), true, Some(value)));
                }
            }
        }
    }
    out
}

/// Each `{% macro name(…) %}`: its name and the token index of its `(`.
fn macro_definitions(tokens: &[(usize, Token)]) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    for (i, window) in tokens.windows(4).enumerate() {
        if let [
            (_, Token::Open),
            (_, Token::Ident(keyword)),
            (_, Token::Ident(name)),
            (_, Token::Punct("(")),
        ] = window
            && keyword == "macro"
        {
            out.push((name.as_str(), i + 3));
        }
    }
    out
}

/// Most argument tokens followed across all macro calls before every parameter is treated as
/// built (nested calls repeat their arguments; this keeps hostile nesting linear).
const MAX_ARGUMENT_TOKENS: usize = 1 << 16;

/// Macro parameters as assignments: a parameter holds its default and whatever each call passes
/// for it (by position or keyword), so it is built only when one of those is. A macro used
/// other than by a direct call (`{% set f = m %}`, `m(*xs)`, `m(**kw)`, a call that cannot be
/// read) may get anything, so each of its parameters counts as built; so do all of them when the
/// calls are too many to follow.
fn macro_parameters(tokens: &[(usize, Token)]) -> Vec<Assignment<'_>> {
    let definitions = macro_definitions(tokens);
    let mut out = Vec::new();
    // (macro name, parameter names in order) for every definition that can be read.
    let mut signatures: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(name, open) in &definitions {
        let Some(parameters) = call_arguments(tokens, open) else {
            continue;
        };
        let mut names = Vec::new();
        for parameter in parameters {
            match parameter {
                [(_, Token::Ident(p))] => names.push(p.as_str()),
                [(_, Token::Ident(p)), (_, Token::Punct("=")), default @ ..] => {
                    names.push(p.as_str());
                    out.push((p.as_str(), false, Some(default)));
                }
                other => {
                    for (_, t) in other {
                        if let Token::Ident(p) = t {
                            out.push((p.as_str(), false, None));
                        }
                    }
                }
            }
        }
        signatures.push((name, names));
    }
    fn taint_all<'t>(out: &mut Vec<Assignment<'t>>, signature: &[&'t str]) {
        out.extend(signature.iter().map(|p| (*p, false, None)));
    }
    let mut budget = MAX_ARGUMENT_TOKENS;
    for (i, (_, token)) in tokens.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        let matching_signatures: Vec<&Vec<&str>> = signatures
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| s)
            .collect();
        if matching_signatures.is_empty()
            || i.checked_sub(1).and_then(|p| tokens.get(p)).map(|(_, t)| t)
                == Some(&Token::Punct("."))
            || definitions.iter().any(|&(_, open)| open == i + 1)
        {
            continue;
        }
        let arguments = (tokens.get(i + 1).map(|(_, t)| t) == Some(&Token::Punct("(")))
            .then(|| call_arguments(tokens, i + 1))
            .flatten();
        let readable = arguments.as_ref().is_some_and(|arguments| {
            !arguments
                .iter()
                .any(|a| matches!(a.first(), Some((_, Token::Punct("*" | "**")))))
        });
        let used = arguments
            .as_ref()
            .map_or(0, |a| a.iter().map(|x| x.len()).sum());
        let (Some(arguments), true, Some(rest)) = (arguments, readable, budget.checked_sub(used))
        else {
            for signature in matching_signatures {
                taint_all(&mut out, signature);
            }
            if budget < used {
                budget = 0;
            }
            continue;
        };
        budget = rest;
        for signature in matching_signatures {
            let mut positional = 0usize;
            for argument in &arguments {
                if let [(_, Token::Ident(k)), (_, Token::Punct("=")), value @ ..] = argument {
                    if let Some(p) = signature.iter().find(|p| **p == k.as_str()) {
                        out.push((p, false, Some(value)));
                    }
                } else {
                    if let Some(p) = signature.get(positional) {
                        out.push((p, false, Some(argument)));
                    }
                    positional += 1;
                }
            }
        }
    }
    if budget == 0 {
        for (_, signature) in &signatures {
            taint_all(&mut out, signature);
        }
    }
    out
}

fn is_underscores(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == b'_')
}

/// A dunder name anywhere in the text (`{0.__globals__[os]}`).
fn contains_dunder(value: &str) -> bool {
    value
        .split("__")
        .collect::<Vec<_>>()
        .windows(3)
        .any(|w| !w[1].is_empty() && w[1].chars().all(|c| c.is_ascii_alphanumeric()))
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// `__class__`, or a piece of one cut to dodge a name check (`'__cla' ~ 'ss__'`).
fn looks_like_dunder_piece(value: &str) -> bool {
    let has_word = value.chars().any(|c| c.is_ascii_alphabetic());
    has_word
        && (value.starts_with("__") || value.ends_with("__"))
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn line_column(text: &str, at: usize) -> (u32, u32) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Python's `str.isspace`, which is what `\s` matches in Jinja2's `re` patterns: Unicode
/// `White_Space` plus the information separators U+001C..U+001F that Python also counts.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The character at byte `at` (text is UTF-8, `at` on a boundary) and its width.
fn char_at(text: &str, at: usize) -> Option<(char, usize)> {
    let c = text.get(at..)?.chars().next()?;
    Some((c, c.len_utf8()))
}

/// The position after any Python whitespace starting at `at`.
fn skip_py_space(text: &str, mut at: usize) -> usize {
    while let Some((c, width)) = char_at(text, at) {
        if !is_py_space(c) {
            break;
        }
        at += width;
    }
    at
}

/// The tokens of every expression and statement in the template, with byte offsets, each block
/// between `Open` and `Close`. Follows Jinja2's lexer (default delimiters, no line statements,
/// which is what `transformers` and llama-cpp-python's `Environment` use): the first of `{{`,
/// `{%` or `{#` opens a tag; `}}`/`%}` close it only while no bracket is open (Jinja's
/// balancing stack); string literals end at the first unescaped quote. Plain text, comments
/// and `{% raw %}` bodies are output verbatim by Jinja and are skipped. Where Jinja would
/// raise a syntax error (an unclosed comment, raw block or string) the template never renders,
/// so what follows is not read.
fn tokenize(text: &str) -> Vec<(usize, Token)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0usize;
    while let Some(open) = find_open(bytes, at) {
        match bytes.get(open + 1) {
            Some(b'#') => match find(bytes, open + 2, b"#}") {
                Some(end) => at = end + 2,
                None => break,
            },
            Some(b'%') => {
                if let Some(body) = raw_begin(text, open) {
                    match raw_end(text, body) {
                        Some(end) => at = end,
                        None => break,
                    }
                } else {
                    match block(text, open, true, &mut tokens) {
                        Some(end) => at = end,
                        None => break,
                    }
                }
            }
            _ => match block(text, open, false, &mut tokens) {
                Some(end) => at = end,
                None => break,
            },
        }
    }
    tokens
}

/// The first `{{`, `{%` or `{#` at or after `from`.
fn find_open(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let open = find(bytes, from, b"{")?;
        if matches!(bytes.get(open + 1), Some(b'{' | b'%' | b'#')) {
            return Some(open);
        }
        from = open + 1;
    }
}

/// Jinja's `raw_begin`: `{%` `[-+]?` `\s*raw\s*` then `-%}` or `%}`; the body's start.
fn raw_begin(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = open + 2;
    if matches!(bytes.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    at = skip_py_space(text, at);
    if !bytes.get(at..)?.starts_with(b"raw") {
        return None;
    }
    at = skip_py_space(text, at + 3);
    let rest = bytes.get(at..)?;
    if rest.starts_with(b"-%}") {
        Some(at + 3)
    } else if rest.starts_with(b"%}") {
        Some(at + 2)
    } else {
        None
    }
}

/// Jinja's raw-block end: the first `{%` `[-+]?` `\s*endraw\s*` then `+%}`, `-%}` or `%}`;
/// the position after it. `None` when there is none (Jinja refuses the template).
fn raw_end(text: &str, mut from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        let open = find(bytes, from, b"{%")?;
        from = open + 1;
        let mut at = open + 2;
        if matches!(bytes.get(at), Some(b'-' | b'+')) {
            at += 1;
        }
        at = skip_py_space(text, at);
        if !bytes.get(at..).is_some_and(|r| r.starts_with(b"endraw")) {
            continue;
        }
        at = skip_py_space(text, at + 6);
        let rest = bytes.get(at..).unwrap_or(&[]);
        if rest.starts_with(b"+%}") || rest.starts_with(b"-%}") {
            return Some(at + 3);
        }
        if rest.starts_with(b"%}") {
            return Some(at + 2);
        }
    }
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Tokenizes one `{{ … }}` or `{% … %}` opened at `open`; returns the position after the
/// closing delimiter, or `None` when the tag never closes (a Jinja syntax error).
fn block(
    text: &str,
    open: usize,
    statement: bool,
    tokens: &mut Vec<(usize, Token)>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    tokens.push((open, Token::Open));
    let mut at = open + 2;
    // The whitespace-control marker belongs to the opening delimiter.
    if matches!(bytes.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    let mut balance: Vec<u8> = Vec::new();
    while at < bytes.len() {
        let rest = &bytes[at..];
        if balance.is_empty() {
            let end = if statement {
                if rest.starts_with(b"+%}") || rest.starts_with(b"-%}") {
                    Some(3)
                } else if rest.starts_with(b"%}") {
                    Some(2)
                } else {
                    None
                }
            } else if rest.starts_with(b"-}}") {
                Some(3)
            } else if rest.starts_with(b"}}") {
                Some(2)
            } else {
                None
            };
            if let Some(width) = end {
                tokens.push((at, Token::Close));
                return Some(at + width);
            }
        }
        let (c, width) = char_at(text, at)?;
        if is_py_space(c) {
            at += width;
        } else if c.is_ascii_digit() {
            let previous_dot = at > 0 && bytes[at - 1] == b'.';
            let end = number_end(bytes, at, previous_dot);
            tokens.push((at, Token::Num));
            at = end;
        } else if c == '_' || c.is_alphanumeric() || !c.is_ascii() {
            // Jinja's names are runs of `\w`; other non-ASCII characters are syntax errors, so
            // gluing them into the name changes nothing that could render.
            let start = at;
            while let Some((n, w)) = char_at(text, at) {
                let name_char =
                    n == '_' || n.is_alphanumeric() || (!n.is_ascii() && !is_py_space(n));
                if !name_char {
                    break;
                }
                at += w;
            }
            tokens.push((start, Token::Ident(text[start..at].to_owned())));
        } else if c == '\'' || c == '"' {
            let end = string_end(bytes, at)?;
            let token = match decode_string(&text[at + 1..end - 1]) {
                Some(value) => Token::Str(value),
                None => Token::Undecoded,
            };
            tokens.push((at, token));
            at = end;
        } else {
            let two = bytes.get(at..at + 2).unwrap_or(&[]);
            let punct = match two {
                b"==" => Some("=="),
                b"!=" => Some("!="),
                b"<=" => Some("<="),
                b">=" => Some(">="),
                b"//" => Some("//"),
                b"**" => Some("**"),
                _ => None,
            };
            if let Some(p) = punct {
                tokens.push((at, Token::Punct(p)));
                at += 2;
                continue;
            }
            let p = match c {
                '.' => ".",
                '[' => "[",
                ']' => "]",
                '(' => "(",
                ')' => ")",
                '{' => "{",
                '}' => "}",
                '|' => "|",
                '=' => "=",
                '~' => "~",
                '+' => "+",
                ',' => ",",
                ':' => ":",
                ';' => ";",
                '%' => "%",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '<' => "<",
                '>' => ">",
                _ => "?",
            };
            match c {
                '(' | '[' | '{' => balance.push(c as u8),
                ')' | ']' | '}' => {
                    balance.pop();
                }
                _ => {}
            }
            tokens.push((
                at,
                if p == "?" {
                    Token::Other
                } else {
                    Token::Punct(p)
                },
            ));
            at += width;
        }
    }
    None
}

/// `D(_?D)*` (or `(_?D)+` when `leading` allows an underscore first) from `at`.
fn digit_run(bytes: &[u8], at: usize, digit: fn(u8) -> bool, leading: bool) -> Option<usize> {
    let mut i = at;
    let mut matched = false;
    loop {
        let underscore = bytes.get(i) == Some(&b'_') && (matched || leading);
        let d = if underscore { i + 1 } else { i };
        if bytes.get(d).copied().is_some_and(digit) {
            i = d + 1;
            matched = true;
        } else {
            break;
        }
    }
    matched.then_some(i)
}

/// The end of Jinja's float or integer token at `at` (its `float_re`, then `integer_re`), so
/// that no name characters are swallowed (`0x__class__` is `0` then a name in Jinja too).
fn number_end(bytes: &[u8], at: usize, previous_dot: bool) -> usize {
    let dec = |b: u8| b.is_ascii_digit();
    let Some(whole) = digit_run(bytes, at, dec, false) else {
        return at + 1;
    };
    if !previous_dot {
        let fraction = (bytes.get(whole) == Some(&b'.'))
            .then(|| digit_run(bytes, whole + 1, dec, false))
            .flatten();
        let base = fraction.unwrap_or(whole);
        if matches!(bytes.get(base), Some(b'e' | b'E')) {
            let mut e = base + 1;
            if matches!(bytes.get(e), Some(b'+' | b'-')) {
                e += 1;
            }
            if let Some(end) = digit_run(bytes, e, dec, false) {
                return end;
            }
        }
        if let Some(end) = fraction {
            return end;
        }
    }
    if bytes[at] == b'0' {
        let radix: Option<fn(u8) -> bool> = match bytes.get(at + 1) {
            Some(b'b' | b'B') => Some(|b| matches!(b, b'0' | b'1')),
            Some(b'o' | b'O') => Some(|b| (b'0'..=b'7').contains(&b)),
            Some(b'x' | b'X') => Some(|b| b.is_ascii_hexdigit()),
            _ => None,
        };
        if let Some(end) = radix.and_then(|digit| digit_run(bytes, at + 2, digit, true)) {
            return end;
        }
        return digit_run(bytes, at, |b| b == b'0', false).unwrap_or(at + 1);
    }
    whole
}

/// Jinja's `string_re`: the position after the closing quote (a backslash escapes any one
/// character), or `None` for an unterminated string.
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let quote = *bytes.get(at)?;
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A string literal's value exactly as Jinja2 computes it: newlines normalized, then
/// `.encode("ascii", "backslashreplace").decode("unicode-escape")`. `None` when the literal
/// holds a `\N{…}` escape (decoding it needs the Unicode name table, which gate does not carry;
/// no chat template needs one, so such a literal is reported instead of guessed at).
/// Escapes Python refuses make Jinja refuse the template; they decode to nothing here.
fn decode_string(raw: &str) -> Option<String> {
    let mut ascii = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                ascii.push('\n');
            }
            c if c.is_ascii() => ascii.push(c),
            c if u32::from(c) <= 0xff => ascii.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) <= 0xffff => ascii.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => ascii.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    let bytes = ascii.as_bytes();
    let mut value = String::with_capacity(bytes.len());
    let hex = |digits: Option<&[u8]>| -> Option<char> {
        let digits = digits?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        char::from_u32(u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?)
    };
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'\\' {
            value.push(char::from(c));
            i += 1;
            continue;
        }
        let Some(&e) = bytes.get(i + 1) else {
            break;
        };
        let (consumed, ch) = match e {
            b'\n' => (2, None),
            b'\\' | b'\'' | b'"' => (2, Some(char::from(e))),
            b'a' => (2, Some('\u{7}')),
            b'b' => (2, Some('\u{8}')),
            b'f' => (2, Some('\u{c}')),
            b'n' => (2, Some('\n')),
            b'r' => (2, Some('\r')),
            b't' => (2, Some('\t')),
            b'v' => (2, Some('\u{b}')),
            b'x' => (4, hex(bytes.get(i + 2..i + 4))),
            b'u' => (6, hex(bytes.get(i + 2..i + 6))),
            b'U' => (10, hex(bytes.get(i + 2..i + 10))),
            b'N' => return None,
            b'0'..=b'7' => {
                let mut end = i + 1;
                let mut code = 0u32;
                while end < bytes.len() && end < i + 4 && (b'0'..=b'7').contains(&bytes[end]) {
                    code = code * 8 + u32::from(bytes[end] - b'0');
                    end += 1;
                }
                (end - i, char::from_u32(code))
            }
            // Python keeps unknown escapes as they are.
            _ => {
                value.push('\\');
                (2, Some(char::from(e)))
            }
        };
        if let Some(ch) = ch {
            value.push(ch);
        }
        i += consumed;
    }
    Some(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn reasons(template: &str) -> Vec<String> {
        analyse(template).into_iter().map(|i| i.what).collect()
    }

    #[test]
    fn the_cve_2024_34359_payload_is_caught() {
        let payload = "{% for x in ().__class__.__base__.__subclasses__() %}{% if \"warning\" in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen(\"echo gate-test\")}}{%endif%}{% endfor %}";
        let found = reasons(payload);
        assert!(
            found.contains(&"dunder name `__class__`".to_owned()),
            "{found:?}"
        );
        assert!(found.contains(&"private attribute `._module`".to_owned()));
        assert!(found.contains(&"attribute `.popen`".to_owned()));
        let first = &analyse(payload)[0];
        assert_eq!((first.line, first.column), (1, 16));
    }

    #[test]
    fn disguised_names_are_caught() {
        assert!(!reasons("{{ self['__in' ~ 'it__'] }}").is_empty());
        assert!(!reasons("{{ lipsum|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}").is_empty());
        assert!(!reasons("{{ x|attr(name) }}").is_empty());
        assert!(!reasons("{{ ('%c%c' % (95, 95)) }}").is_empty());
        assert!(!reasons("{{ '__ssalc__'|reverse }}").is_empty());
        assert!(!reasons("{{ cycler.next.__globals__.os }}").is_empty());
        assert!(!reasons("{{ a.mro() }}").is_empty());
        assert!(!reasons("{{ x['os'] }}").is_empty());
        assert!(!reasons("{%- set y = eval -%}").is_empty());
        assert!(!reasons("{% set u = '_' * 2 %}{{ ()[u ~ 'class' ~ u] }}").is_empty());
        assert!(!reasons("{{ ()[['_', '_', 'class', '_', '_']|join] }}").is_empty());
        assert!(!reasons("{{ ()['\\137\\137class\\137\\137'] }}").is_empty());
        assert!(!reasons("{{ '{:c}'.format(95) }}").is_empty());
    }

    #[test]
    fn text_comments_and_raw_blocks_are_not_code() {
        assert!(reasons("__class__ os.popen {# __globals__ #}").is_empty());
        assert!(reasons("{% raw %}{{ x.__class__ }}{% endraw %}{{ y }}").is_empty());
        assert!(!reasons("{% raw %}{% endraw %}{{ y.__class__ }}").is_empty());
    }

    #[test]
    fn ordinary_templates_pass() {
        let chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        assert!(reasons(chatml).is_empty());
        let kwargs = "{% set ns = namespace(open=false, system='') %}{{ messages|selectattr('role', 'equalto', 'system')|map(attribute='content')|join }}{{ x|tojson(indent=4) }}";
        assert_eq!(reasons(kwargs), Vec::<String>::new());
        let replace = "{{ tool.name|replace('-', '_') }}{{ '**bold**' }}{{ x * 2 }}";
        assert_eq!(reasons(replace), Vec::<String>::new());
    }

    #[test]
    fn the_lexer_follows_jinja() {
        // `}}` inside open brackets does not end the expression.
        assert!(!reasons("{{ {'a': {'b': 1}} and lipsum.__globals__ }}").is_empty());
        // Nor inside a string.
        assert!(!reasons("{{ '}}' ~ x.__class__ }}").is_empty());
        // A raw block ends at `{%` + any Python whitespace + `endraw`.
        for end in [
            "{%\u{c}endraw %}",
            "{%\u{b}endraw\u{a0}%}",
            "{%-endraw-%}",
            "{%+ endraw +%}",
        ] {
            let t = format!("{{% raw %}}x{end}{{{{ y.__class__ }}}}");
            assert!(!reasons(&t).is_empty(), "{t:?}");
        }
        // Not an end: Jinja keeps the raw block open.
        assert!(reasons("{% raw %}{% endraw x %}{{ y.__class__ }}").is_empty());
        // Numbers do not swallow names.
        assert!(!reasons("{{ 1__class__ }}").is_empty());
        assert!(!reasons("{{ 0x_1__class__ }}").is_empty());
        // Comments end at the first `#}`.
        assert!(!reasons("{# x #}{{ y.__class__ }}").is_empty());
    }

    #[test]
    fn built_names_are_caught() {
        for t in [
            "{% set u = '_' %}{% set d = u ~ u %}{{ lipsum[d ~ 'globals' ~ d] }}",
            "{% set d = '\\N{LOW LINE}\\N{LOW LINE}' %}{{ lipsum[d] }}",
            "{% set d = 'a__b'[1:3] %}{{ lipsum[d] }}",
            "{% set d = 'x_'[1] * 2 %}{{ ([lipsum]|map(attribute=d ~ 'globals' ~ d)|first) }}",
            "{{ '{0.__globals__[os].environ}'.format(lipsum) }}",
            "{{ '{0.a}'.format(lipsum) }}",
            "{% set f = '{0.x}' %}{{ f.format(lipsum) }}",
            "{% set d = (lipsum|string)[18] %}{{ lipsum[d] }}",
            "{% macro d() %}__globals__{% endmacro %}{{ lipsum[d()] }}",
            "{% set d %}__globals__{% endset %}{{ lipsum[d] }}",
            "{% set ns = namespace(d='x_'[1]) %}{{ lipsum[ns.d] }}",
            "{% for d in ['a' ~ 'b'] %}{{ lipsum[d] }}{% endfor %}",
            "{{ [lipsum]|map('attr', x)|list }}",
            "{{ x|selectattr('_private')|list }}",
            "{{ x|map(attribute='a.__class__')|list }}",
            "{{ x['\\u005f\\u005fclass\\u005f\\u005f'] }}",
            "{{ x['\\137\\137class\\137\\137'] }}",
            // Macro parameters are as built as what their callers pass.
            "{% macro m(k) %}{{ lipsum[k] }}{% endmacro %}{{ m('globals'|center(11, '_')) }}",
            "{% macro m(k='x'|center(3, '_')) %}{{ lipsum[k] }}{% endmacro %}{{ m() }}",
            "{% macro m(a, k) %}{{ lipsum[k] }}{% endmacro %}{{ m(1, k=u ~ u) }}",
            "{% macro m(k) %}{{ lipsum[k] }}{% endmacro %}{% set f = m %}{{ f(u ~ u) }}",
            "{% macro m(k) %}{{ lipsum[k] }}{% endmacro %}{{ m(*[u ~ u]) }}",
            "{% macro m(k) %}{{ lipsum[k] }}{% endmacro %}{{ m(**{'k': u ~ u}) }}",
            "{% macro m() %}{{ lipsum[varargs[0]] }}{% endmacro %}{{ m(u ~ u) }}",
            "{% macro m() %}{{ lipsum[kwargs.k] }}{% endmacro %}{{ m(k=u ~ u) }}",
            "{% macro m(n) %}{{ lipsum[n.d] }}{% endmacro %}{{ m(namespace(d='x_'[1])) }}",
            "{% macro m(s) %}{{ lipsum[s.k] }}{% endmacro %}{{ m({'k': u ~ u}) }}",
            // `range` only counts as numbers while it is the global.
            "{% macro range(a) %}__globals__{% endmacro %}{{ lipsum[range(1)] }}",
            "{% set range = r %}{% for d in range(u ~ u) %}{{ lipsum[d] }}{% endfor %}",
            // A literal beside a comparison decides a boolean only; `or` returns it.
            "{% set d = x == 'a' or 'x'|center(3, '_') %}{{ lipsum[d] }}",
            "{% set d = 'a' if x == 'b' else 'c' %}{{ lipsum[d] }}",
            // A slice of a built string is still built.
            "{% set d = ('x'|center(3, '_'))[0:3] %}{{ lipsum[d] }}",
            "{{ lipsum[(u ~ u)[0:2]] }}",
            // Mutating calls store their argument in the receiver.
            "{% set l = [] %}{% set _ = l.append('class'|center(9,'_')) %}{{ ()[l[0]] }}",
            "{% set l = [] %}{{ l.append('class'|ljust(7,'_')) }}{{ ()[l[0]] }}",
            "{% set l = [] %}{% set _ = l.extend(['class'|rjust(7,'_')]) %}{{ ()[l[0]] }}",
            "{% set l = [] %}{% set _ = l.insert(0, ['', 'class', '']|join('__')) %}{{ ()[l[0]] }}",
            "{% set l = [] %}{% set _ = l.insert(0, '-class-'|replace('-','_')) %}{{ ()[l[0]] }}",
            "{% set d = {} %}{% set _ = d.update({'k': '%sclass%s'|format('_','_')}) %}{{ ()[d.k] }}",
            "{% set d = {} %}{% set _ = d.update(k='class'|center(9,'_')) %}{{ ()[d['k']] }}",
            "{% set d = {} %}{% set _ = d.setdefault('k', 'class'|center(9,'_')) %}{{ ()[d.k] }}",
            "{% set ns = namespace(items=[]) %}{% set _ = ns.items.append('class'|center(9,'_')) %}{{ ()[ns.items[0]] }}",
            "{% set ns = namespace(items=[]) %}{% set _ = ns.items.append('class'|center(9,'_')) %}{{ ()[ns['items'][0]] }}",
            "{% set d = {'k': []} %}{% set _ = d['k'].append('class'|center(9,'_')) %}{{ ()[d.k[0]] }}",
            "{% set d = {'k': []} %}{% set _ = d.get('k').append('class'|center(9,'_')) %}{{ ()[d.get('k')[0]] }}",
            // Aliases of the mutated container.
            "{% set l = [] %}{% set m = l %}{% set _ = m.append('class'|center(9,'_')) %}{{ ()[l[0]] }}",
            "{% set l = [] %}{% for x in [l] %}{% set _ = x.append('class'|center(9,'_')) %}{% endfor %}{{ ()[l[0]] }}",
            "{% set l = [] %}{% set _ = (l).append('class'|center(9,'_')) %}{{ ()[l[0]] }}",
            "{% set l = [] %}{% set ns = namespace(v=l) %}{% set _ = ns.v.append('class'|center(9,'_')) %}{{ ()[l[0]] }}",
            // A literal `.get` default is as built as any literal.
            "{{ ()[x.get('k', 'class'|center(9,'_'))] }}",
        ] {
            assert!(!reasons(t).is_empty(), "{t:?}");
        }
    }

    /// Minimal reductions of constructs in real templates (llama.cpp `models/templates`).
    #[test]
    fn real_template_constructs_pass() {
        for t in [
            // Slices with bounds computed from text lengths (LFM2.5, MiroThinker, GigaChat3).
            "{% set tag = 'END' %}{% set n = (content|length) - (tag|length) %}{{ content[:n] }}",
            "{% macro ts(s, indent='', f=2) %}{{ indent[:-f] + '}' }}{% endmacro %}{{ ts(x, '  ') }}",
            "{% set start = '<r>'|length %}{{ text[start:] }}{{ text[::-1] }}",
            // Indices from `range` (Kimi-K2-Thinking, DeepSeek-V3.2).
            "{% set ns = namespace(last=-1) %}{% for i in range(messages|length - 1, -1, -1) %}{% if messages[i]['role'] == 'assistant' %}{% set ns.last = i %}{% endif %}{% endfor %}{{ messages[ns.last] }}{{ messages[:ns.last + 1] }}",
            // A namespace passed to macros and indexed through (Kimi-K3).
            "{% macro next_image(state) %}{{ image_prompts[state.image_index] }}{% set state.image_index = state.image_index + 1 %}{% endmacro %}{% macro render(text, state) %}{{ next_image(state) }}{% endmacro %}{% set state = namespace(image_index=0, tool_index=0) %}{{ render(m.content, state) }}{{ state.tool_calls[state.tool_index - 1] }}",
            // Flags from comparisons with literals feeding a slice and the loop variable
            // (DeepSeek-V3.2).
            // Lists filled from data by literal-key lookups (DeepSeek-V3.2, Kimi-K2-Thinking).
            "{% set tools = namespace(value=[]) %}{% for message in messages %}{% if message.get('tools') %}{% for tool in message.tools %}{% set _ = tools.value.append(tool.function if tool.get('function') else tool) %}{% endfor %}{% endif %}{% endfor %}{% set tools = tools.value %}{% for tool in tools %}{% for key in tool.get('parameters', none).get('properties') %}{{ tool['parameters']['properties'][key] }}{% endfor %}{% endfor %}{{ tools[0] }}",
            "{% set q = namespace(ids=[]) %}{% set _ = q.ids.append(tool_call['id']) %}{{ messages[q.ids|length] }}{{ q.ids.pop(0) }}",
            "{% set has_system = messages|length > 0 and messages[0].role == 'system' %}{% set start = 1 if has_system else 0 %}{% set rf = namespace(value=none) %}{% for message in messages[start:] %}{% if message.role not in ['tool'] %}{% set rf.value = message.response_format %}{% endif %}{% endfor %}{{ messages[rf.value] }}",
        ] {
            assert_eq!(reasons(t), Vec::<String>::new(), "{t:?}");
        }
    }

    #[test]
    fn real_templates_pass() {
        let qwen3 = r#"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and not(message.content.startswith('<tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- set content = message.content if message.content is string else '' %}
    {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
    {%- if loop.index0 > ns.last_query_index %}{{ content }}{% endif %}
    {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
    {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- '<|im_end|>\n' }}{%- endif %}
    {{- '<tool_call>\n{"name": "' }}{{ tool_call.arguments | tojson }}
{%- endfor %}
{%- for key, value in tool['function']['parameters']['properties'].items() %}{{ tool['function']['parameters']['properties'][key] }}{% endfor %}
{%- set last = messages|length - 1 %}{{ messages[last]['content'] }}{{ messages[-1] }}{{ messages[1:] }}
{{ messages|selectattr('role', 'equalto', 'system')|map(attribute='content')|first }}"#;
        assert_eq!(reasons(qwen3), Vec::<String>::new());
    }

    #[test]
    fn hostile_nesting_stays_linear() {
        let deep = format!("{{{{ a{}0{} }}}}", "[a".repeat(50_000), "]".repeat(50_000));
        let started = std::time::Instant::now();
        assert!(!reasons(&deep).is_empty());
        let braces = format!("{{{{ '{}'.format(x) }}}}", "{a".repeat(50_000));
        assert!(!reasons(&braces).is_empty());
        let filters = format!("{{{{ x{} }}}}", "|map(attribute='a'".repeat(20_000));
        let _ = reasons(&filters);
        let chain = format!("{{{{ ()[a{}] }}}}", ".append(u ~ u)[0]".repeat(20_000));
        assert!(!reasons(&chain).is_empty());
        let calls = format!("{{{{ ()[l[0]] }}}}{}", "{{ l.append(x) }}".repeat(20_000));
        assert_eq!(reasons(&calls), Vec::<String>::new());
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in [
            "{{",
            "{%",
            "{#",
            "{{ '\\",
            "{{ '\\x5",
            "{{ \"\\u12",
            "{{ 'é",
            "{% raw %}",
            "}}{{",
        ] {
            let _ = analyse(text);
        }
    }
}
