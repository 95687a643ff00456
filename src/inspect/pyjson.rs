//! JSON read the way Python's `json` module reads it, for the configuration files Python loaders
//! parse (`transformers`, sentence-transformers, diffusers, Keras): Python accepts `NaN`,
//! `Infinity` and `-Infinity` (Keras writes `Infinity` for `ReLU(max_value=inf)`), lone
//! surrogate escapes (`"\ud800"`), and nesting far deeper than serde_json's 128 levels; duplicate
//! keys keep the last value. serde_json refuses all of these, which let a config hide from gate
//! while the loader read it.
//!
//! The parser is iterative (an explicit stack, so hostile nesting cannot overflow the thread's
//! stack) and stops at [`MAX_DEPTH`] levels with an error, which callers report: CPython's own
//! decoder gives up near its recursion limit (1000), and no real configuration nests past a few
//! dozen levels. Non-finite numbers become `null` (no check here depends on a number's value);
//! lone surrogates become U+FFFD. Everything else Python rejects (control characters in strings,
//! trailing data, a leading BOM, single quotes) is an error here too.

use serde_json::{Map, Number, Value};

/// Deepest nesting read; deeper documents are an error (reported, never passed).
pub(crate) const MAX_DEPTH: usize = 512;

enum Frame {
    Array(Vec<Value>),
    Object(Map<String, Value>, Option<String>),
}

/// Parses `text` as Python's `json.loads` would; the error names the byte offset.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let bytes = text.as_bytes();
    let mut at = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    let err = |at: usize, what: &str| Err(format!("{what} at byte {at}"));
    loop {
        at = skip_space(bytes, at);
        // Where a key is expected, read it and its colon first.
        if let Some(Frame::Object(map, key @ None)) = stack.last_mut() {
            match bytes.get(at) {
                Some(b'}') if map.is_empty() => {
                    at += 1;
                    let Some(Frame::Object(map, _)) = stack.pop() else {
                        return err(at, "internal state");
                    };
                    if let Some(done) = finish(&mut stack, Value::Object(map)) {
                        return end(bytes, at, done);
                    }
                    match after_value(bytes, at, &mut stack)? {
                        Next::More(next) => at = next,
                        Next::Done(next, done) => return end(bytes, next, done),
                    }
                    continue;
                }
                Some(b'"') => {
                    let (next, name) = string(bytes, at)?;
                    at = skip_space(bytes, next);
                    if bytes.get(at) != Some(&b':') {
                        return err(at, "expected ':'");
                    }
                    at = skip_space(bytes, at + 1);
                    *key = Some(name);
                }
                _ => return err(at, "expected a property name"),
            }
        }
        let value = match bytes.get(at) {
            Some(b'{') | Some(b'[') => {
                if stack.len() >= MAX_DEPTH {
                    return err(at, &format!("nesting deeper than {MAX_DEPTH} levels"));
                }
                let open = bytes[at];
                at += 1;
                if open == b'{' {
                    stack.push(Frame::Object(Map::new(), None));
                    continue;
                }
                let next = skip_space(bytes, at);
                if bytes.get(next) == Some(&b']') {
                    at = next + 1;
                    Value::Array(Vec::new())
                } else {
                    stack.push(Frame::Array(Vec::new()));
                    continue;
                }
            }
            Some(b'"') => {
                let (next, s) = string(bytes, at)?;
                at = next;
                Value::String(s)
            }
            _ => {
                let (next, value) = scalar(bytes, at)?;
                at = next;
                value
            }
        };
        if let Some(done) = finish(&mut stack, value) {
            return end(bytes, at, done);
        }
        match after_value(bytes, at, &mut stack)? {
            Next::More(next) => at = next,
            Next::Done(next, done) => return end(bytes, next, done),
        }
    }
}

/// Puts a finished value into its container; the value itself when there is none.
fn finish(stack: &mut [Frame], value: Value) -> Option<Value> {
    match stack.last_mut() {
        None => Some(value),
        Some(Frame::Array(items)) => {
            items.push(value);
            None
        }
        Some(Frame::Object(map, key)) => {
            // Python's dict keeps the last value of a duplicated key.
            map.insert(key.take().unwrap_or_default(), value);
            None
        }
    }
}

/// What follows a value inside a container.
enum Next {
    /// A comma: the next element or member starts here.
    More(usize),
    /// The outermost container closed: the document, and where it ended.
    Done(usize, Value),
}

/// After a value inside a container: a comma, or the closing bracket(s).
fn after_value(bytes: &[u8], mut at: usize, stack: &mut Vec<Frame>) -> Result<Next, String> {
    loop {
        at = skip_space(bytes, at);
        let close = match stack.last() {
            Some(Frame::Array(_)) => b']',
            Some(Frame::Object(..)) => b'}',
            None => return Err(format!("internal state at byte {at}")),
        };
        match bytes.get(at) {
            Some(b',') => return Ok(Next::More(at + 1)),
            Some(&c) if c == close => {
                at += 1;
                let value = match stack.pop() {
                    Some(Frame::Array(items)) => Value::Array(items),
                    Some(Frame::Object(map, _)) => Value::Object(map),
                    None => return Err(format!("internal state at byte {at}")),
                };
                if let Some(done) = finish(stack, value) {
                    return Ok(Next::Done(at, done));
                }
            }
            _ => return Err(format!("expected ',' or '{}' at byte {at}", close as char)),
        }
    }
}

fn end(bytes: &[u8], at: usize, value: Value) -> Result<Value, String> {
    let at = skip_space(bytes, at);
    if at < bytes.len() {
        return Err(format!("extra data at byte {at}"));
    }
    Ok(value)
}

/// JSON whitespace as Python's decoder skips it (no other characters).
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// A string literal at `at` (the opening quote); strict like Python's default decoder.
fn string(bytes: &[u8], at: usize) -> Result<(usize, String), String> {
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::new();
    let mut i = at + 1;
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|r| r.unwrap_or('\u{fffd}')));
    };
    loop {
        let Some(&c) = bytes.get(i) else {
            return Err(format!("unterminated string starting at byte {at}"));
        };
        match c {
            b'"' => {
                flush(&mut units, &mut out);
                return Ok((i + 1, out));
            }
            b'\\' => {
                let Some(&e) = bytes.get(i + 1) else {
                    return Err(format!("unterminated string starting at byte {at}"));
                };
                if e == b'u' {
                    let unit = bytes
                        .get(i + 2..i + 6)
                        .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
                        .and_then(|d| std::str::from_utf8(d).ok())
                        .and_then(|d| u16::from_str_radix(d, 16).ok())
                        .ok_or_else(|| format!("invalid \\u escape at byte {i}"))?;
                    units.push(unit);
                    i += 6;
                    continue;
                }
                flush(&mut units, &mut out);
                out.push(match e {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => return Err(format!("invalid escape at byte {i}")),
                });
                i += 2;
            }
            c if c < 0x20 => return Err(format!("invalid control character at byte {i}")),
            _ => {
                flush(&mut units, &mut out);
                // Copy the run of plain bytes up to the next quote, backslash or control.
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
                {
                    i += 1;
                }
                out.push_str(&String::from_utf8_lossy(&bytes[start..i]));
            }
        }
    }
}

/// `true`, `false`, `null`, `NaN`, `Infinity`, `-Infinity` or a number.
fn scalar(bytes: &[u8], at: usize) -> Result<(usize, Value), String> {
    let rest = bytes.get(at..).unwrap_or(&[]);
    for (word, value) in [
        (&b"true"[..], Value::Bool(true)),
        (b"false", Value::Bool(false)),
        (b"null", Value::Null),
        (b"NaN", Value::Null),
        (b"Infinity", Value::Null),
        (b"-Infinity", Value::Null),
    ] {
        if rest.starts_with(word) {
            return Ok((at + word.len(), value));
        }
    }
    // Python's NUMBER_RE: -?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?
    let mut i = at;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = |i: usize| {
        let mut j = i;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return Err(format!("expected a value at byte {at}")),
    }
    let mut float = false;
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
        float = true;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
            float = true;
        }
    }
    let text = std::str::from_utf8(&bytes[at..i]).unwrap_or("0");
    let number = if float {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    } else if let Ok(n) = text.parse::<i64>() {
        Some(Number::from(n))
    } else if let Ok(n) = text.parse::<u64>() {
        Some(Number::from(n))
    } else {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    };
    Ok((i, number.map_or(Value::Null, Value::Number)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_python_reads() {
        assert_eq!(
            parse(r#"{"a": [1, -2.5e3, NaN, Infinity, -Infinity, true, null], "b": {}, "c": []}"#)
                .unwrap(),
            json!({"a": [1, -2500.0, null, null, null, true, null], "b": {}, "c": []})
        );
        assert_eq!(
            parse(r#"{"auto\u005fmap": "\ud800x\ud83d\ude00", "k": 1, "k": 2}"#).unwrap(),
            json!({"auto_map": "\u{fffd}x\u{1f600}", "k": 2})
        );
        let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
        assert!(parse(&deep).is_ok());
        assert_eq!(parse(" [ [ ] , { } ] ").unwrap(), json!([[], {}]));
        assert_eq!(parse("\"x\"").unwrap(), json!("x"));
    }

    #[test]
    fn refuses_what_python_refuses() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "'x'",
            "01",
            "1.",
            "-NaN",
            "[1] x",
            "\u{feff}{}",
            "\"a\nb\"",
            "{\"a\" 1}",
            "[1 2]",
            "\"\\x\"",
            deep.as_str(),
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
