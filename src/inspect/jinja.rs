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
//! Strings are unescaped the way Jinja2 does (`\x5f` is `_`) before they are checked.

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
    Ident(String),
    Str(String),
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
    for (index, (at, token)) in tokens.iter().enumerate() {
        let previous = index
            .checked_sub(1)
            .and_then(|i| tokens.get(i))
            .map(|(_, t)| t);
        let before_previous = index
            .checked_sub(2)
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
                } else if name == "attr"
                    && previous == Some(&Token::Punct("|"))
                    && !matches!(
                        (next, tokens.get(index + 2).map(|(_, t)| t)),
                        (Some(Token::Punct("(")), Some(Token::Str(_)))
                    )
                {
                    push(
                        *at,
                        "`attr` filter with a computed attribute name".to_owned(),
                    );
                }
            }
            Token::Str(value) => {
                let subscript = previous == Some(&Token::Punct("["))
                    || (previous == Some(&Token::Punct("("))
                        && before_previous == Some(&Token::Ident("attr".to_owned())));
                let reversed: String = value.chars().rev().collect();
                if looks_like_dunder_piece(value) || looks_like_dunder_piece(&reversed) {
                    push(*at, format!("string {value:?} naming a dunder"));
                } else if subscript
                    && (value.starts_with('_') || DANGEROUS_ATTRIBUTES.contains(&value.as_str()))
                {
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
            Token::Punct(_) | Token::Other => {}
        }
    }
    issues
}

fn is_underscores(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == b'_')
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

/// The tokens of every expression and statement in the template, with byte offsets. Plain text,
/// comments and `{% raw %}` bodies are output verbatim by Jinja and are skipped.
fn tokenize(text: &str) -> Vec<(usize, Token)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(open) = find(bytes, at, b"{") else {
            break;
        };
        match bytes.get(open + 1) {
            Some(b'#') => {
                at = find(bytes, open + 2, b"#}").map_or(bytes.len(), |end| end + 2);
            }
            Some(b'{') | Some(b'%') => {
                let statement = bytes[open + 1] == b'%';
                let start = open + 2;
                let close: &[u8] = if statement { b"%}" } else { b"}}" };
                let (end, block) = expression(text, start, close);
                if statement && is_raw(&block) {
                    at = end_of_raw(bytes, end);
                } else {
                    at = end;
                }
                tokens.extend(block);
            }
            _ => at = open + 1,
        }
    }
    tokens
}

fn is_raw(block: &[(usize, Token)]) -> bool {
    let mut words = block
        .iter()
        .filter(|(_, t)| !matches!(t, Token::Punct("-" | "+")));
    matches!(words.next(), Some((_, Token::Ident(word))) if word == "raw")
}

/// After `{% raw %}`: the position after the matching `{% endraw %}`.
fn end_of_raw(bytes: &[u8], mut at: usize) -> usize {
    while let Some(open) = find(bytes, at, b"{%") {
        let mut inner = open + 2;
        while bytes
            .get(inner)
            .is_some_and(|b| matches!(b, b'-' | b'+' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            inner += 1;
        }
        if bytes[inner..].starts_with(b"endraw") {
            return find(bytes, inner, b"%}").map_or(bytes.len(), |end| end + 2);
        }
        at = open + 2;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Tokenizes one `{{ … }}` or `{% … %}` body starting at `at`; returns the position after the
/// closing delimiter (or the end of the text) and the tokens.
fn expression(text: &str, mut at: usize, close: &[u8]) -> (usize, Vec<(usize, Token)>) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    while at < bytes.len() {
        if bytes[at..].starts_with(close) {
            return (at + 2, tokens);
        }
        let c = bytes[at];
        if c.is_ascii_whitespace() {
            at += 1;
        } else if c == b'\'' || c == b'"' {
            let (end, value) = string_literal(text, at);
            tokens.push((at, Token::Str(value)));
            at = end;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = at;
            while at < bytes.len()
                && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] >= 0x80)
            {
                at += 1;
            }
            tokens.push((
                start,
                Token::Ident(String::from_utf8_lossy(&bytes[start..at]).into_owned()),
            ));
        } else if c.is_ascii_digit() {
            while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'.') {
                at += 1;
            }
            tokens.push((at, Token::Other));
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
            } else {
                let p = match c {
                    b'.' => ".",
                    b'[' => "[",
                    b']' => "]",
                    b'(' => "(",
                    b')' => ")",
                    b'|' => "|",
                    b'=' => "=",
                    b'~' => "~",
                    b'+' => "+",
                    b',' => ",",
                    b':' => ":",
                    b'%' => "%",
                    b'-' => "-",
                    b'*' => "*",
                    _ => "?",
                };
                tokens.push((at, Token::Punct(p)));
                at += 1;
            }
        }
    }
    (bytes.len(), tokens)
}

/// A quoted string starting at `at`, unescaped like Python's `unicode-escape` (which Jinja2
/// uses). Returns the position after the closing quote and the value.
fn string_literal(text: &str, at: usize) -> (usize, String) {
    let bytes = text.as_bytes();
    let quote = bytes[at];
    let mut value = String::new();
    let mut i = at + 1;
    let hex = |digits: &[u8]| -> Option<char> {
        let s = std::str::from_utf8(digits).ok()?;
        char::from_u32(u32::from_str_radix(s, 16).ok()?)
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c == quote {
            return (i + 1, value);
        }
        if c == b'\\' {
            let Some(&e) = bytes.get(i + 1) else {
                break;
            };
            let (consumed, ch) = match e {
                b'n' => (2, Some('\n')),
                b't' => (2, Some('\t')),
                b'r' => (2, Some('\r')),
                b'x' => (4, bytes.get(i + 2..i + 4).and_then(hex)),
                b'u' => (6, bytes.get(i + 2..i + 6).and_then(hex)),
                b'U' => (10, bytes.get(i + 2..i + 10).and_then(hex)),
                b'0'..=b'7' => {
                    let mut end = i + 1;
                    while end < bytes.len() && end < i + 4 && (b'0'..=b'7').contains(&bytes[end]) {
                        end += 1;
                    }
                    let digits = std::str::from_utf8(&bytes[i + 1..end]).unwrap_or("0");
                    (
                        end - i,
                        u32::from_str_radix(digits, 8).ok().and_then(char::from_u32),
                    )
                }
                _ => (2, char::from_u32(u32::from(e))),
            };
            if let Some(ch) = ch {
                value.push(ch);
            }
            i += consumed;
            continue;
        }
        // Copy one whole UTF-8 character.
        let width = text
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .map_or(1, char::len_utf8);
        if let Some(piece) = text.get(i..i + width) {
            value.push_str(piece);
        }
        i += width;
    }
    (bytes.len(), value)
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
