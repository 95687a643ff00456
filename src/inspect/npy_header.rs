//! The header dictionary of a `.npy` file, read as numpy reads it (`ast.literal_eval` of a Python
//! literal), and whether its `descr` makes numpy unpickle the array body (`dtype.hasobject`).
//! Hand-rolled: the literal subset is small, and a string search for keys is exactly what a
//! field named `shape` or an escaped `'\x4f'` defeats.

/// A Python literal, as far as a numpy header uses one.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Int,
    Other,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// Whether numpy reads the body of a `.npy` with this header as a pickle: `Some(true)` for an
/// object dtype anywhere in `descr` (fields and subarrays included), `Some(false)` for a dtype
/// numpy reads as raw bytes, `None` when the header or its `descr` is not understood.
pub(crate) fn has_object(header: &str) -> Option<bool> {
    let mut parser = Parser {
        text: header.as_bytes(),
        at: 0,
        depth: 0,
    };
    let Literal::Dict(pairs) = parser.value()? else {
        return None;
    };
    parser.skip_space();
    if parser.at != parser.text.len() {
        return None;
    }
    let descr = pairs
        .iter()
        .rev()
        .find(|(key, _)| *key == Literal::Str("descr".to_owned()))
        .map(|(_, value)| value)?;
    descr_has_object(descr, 0)
}

fn descr_has_object(descr: &Literal, depth: u32) -> Option<bool> {
    if depth > 32 {
        return None;
    }
    match descr {
        Literal::Str(code) => code_has_object(code),
        // (descr, shape): a subarray.
        Literal::Tuple(items) => descr_has_object(items.first()?, depth + 1),
        // [(name, descr) | (name, descr, shape), ...]: fields.
        Literal::List(fields) => {
            let mut any = false;
            for field in fields {
                let (Literal::Tuple(parts) | Literal::List(parts)) = field else {
                    return None;
                };
                if !(2..=3).contains(&parts.len()) {
                    return None;
                }
                any |= descr_has_object(&parts[1], depth + 1)?;
            }
            Some(any)
        }
        _ => None,
    }
}

/// `numpy.dtype(code).hasobject` for the type strings numpy writes and accepts; `None` for a
/// string it is not known to accept.
fn code_has_object(code: &str) -> Option<bool> {
    if matches!(code, "object" | "object_") {
        return Some(true);
    }
    let bare = code.strip_prefix(['<', '>', '|', '=']).unwrap_or(code);
    let (kind, rest) = bare.split_at_checked(1)?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match kind {
        // Objects (`O`, `O4`, `O8`) and StringDType (`T`), which numpy also pickles.
        "O" => (rest.is_empty() || rest == "4" || rest == "8").then_some(true),
        "T" => rest.is_empty().then_some(true),
        "b" | "i" | "u" | "f" | "c" | "S" | "U" | "V" | "a" | "?" | "e" | "g" | "G" | "l" | "q"
        | "L" | "Q" | "n" | "N" | "h" | "H" | "B" | "I" | "d" | "D" | "F" | "p" | "P" => {
            digits(rest).then_some(false)
        }
        // Datetimes and timedeltas: `M8[ns]`, `m8`.
        "M" | "m" => {
            let unit_free = rest.split('[').next().unwrap_or(rest);
            digits(unit_free).then_some(false)
        }
        _ => match code {
            "bool" | "str" | "bytes" | "int" | "float" | "complex" => Some(false),
            _ => {
                let names = [
                    "int8",
                    "int16",
                    "int32",
                    "int64",
                    "uint8",
                    "uint16",
                    "uint32",
                    "uint64",
                    "float16",
                    "float32",
                    "float64",
                    "complex64",
                    "complex128",
                ];
                names.contains(&code).then_some(false)
            }
        },
    }
}

struct Parser<'t> {
    text: &'t [u8],
    at: usize,
    depth: u32,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Literal> {
        self.depth += 1;
        if self.depth > 64 {
            return None;
        }
        let value = match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut pairs = Vec::new();
                while !self.eat(b'}') {
                    let key = self.value()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    pairs.push((key, self.value()?));
                    if !self.eat(b',') && self.peek() != Some(b'}') {
                        return None;
                    }
                }
                Literal::Dict(pairs)
            }
            open @ (b'(' | b'[') => {
                self.at += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                let mut trailing_comma = false;
                while !self.eat(close) {
                    items.push(self.value()?);
                    trailing_comma = self.eat(b',');
                    if !trailing_comma && self.peek() != Some(close) {
                        return None;
                    }
                }
                if open == b'(' {
                    // `(x)` is x itself; `(x,)` and `()` are tuples.
                    if items.len() == 1 && !trailing_comma {
                        items.pop()?
                    } else {
                        Literal::Tuple(items)
                    }
                } else {
                    Literal::List(items)
                }
            }
            b'\'' | b'"' | b'b' | b'B' | b'r' | b'R' | b'u' | b'U' if self.starts_string() => {
                // Adjacent literals concatenate, as in Python source.
                let mut text = String::new();
                while self.starts_string() {
                    text.push_str(&self.string()?);
                }
                Literal::Str(text)
            }
            b'-' | b'+' | b'0'..=b'9' => {
                self.at += 1;
                while self
                    .text
                    .get(self.at)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
                {
                    self.at += 1;
                }
                Literal::Int
            }
            _ => {
                let start = self.at;
                while self
                    .text
                    .get(self.at)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    self.at += 1;
                }
                match &self.text[start..self.at] {
                    b"True" | b"False" | b"None" => Literal::Other,
                    _ => return None,
                }
            }
        };
        self.depth -= 1;
        Some(value)
    }

    fn starts_string(&mut self) -> bool {
        let Some(first) = self.peek() else {
            return false;
        };
        let rest = &self.text[self.at..];
        let prefix_len = rest
            .iter()
            .take_while(|b| matches!(b, b'b' | b'B' | b'r' | b'R' | b'u' | b'U'))
            .count();
        matches!(first, b'\'' | b'"')
            || (prefix_len <= 2 && matches!(rest.get(prefix_len), Some(b'\'' | b'"')))
    }

    /// One string literal (prefixes `b`, `r`, `u`; single or triple quotes; escapes decoded).
    fn string(&mut self) -> Option<String> {
        self.skip_space();
        let mut raw = false;
        while let Some(prefix) = self.text.get(self.at).filter(|b| b.is_ascii_alphabetic()) {
            raw |= matches!(prefix, b'r' | b'R');
            self.at += 1;
        }
        let quote = *self.text.get(self.at)?;
        let triple = self.text.get(self.at..self.at + 3) == Some(&[quote; 3][..]);
        self.at += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let byte = *self.text.get(self.at)?;
            if byte == quote
                && (!triple || self.text.get(self.at..self.at + 3) == Some(&[quote; 3][..]))
            {
                self.at += if triple { 3 } else { 1 };
                break;
            }
            if byte == b'\\' && !raw {
                self.at += 1;
                let escaped = *self.text.get(self.at)?;
                self.at += 1;
                match escaped {
                    b'\n' => {}
                    b'\\' | b'\'' | b'"' => out.push(escaped),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'0'..=b'7' => {
                        let mut value = u32::from(escaped - b'0');
                        for _ in 0..2 {
                            match self.text.get(self.at) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    self.at += 1;
                                }
                                _ => break,
                            }
                        }
                        push_char(&mut out, value)?;
                    }
                    b'x' | b'u' | b'U' => {
                        let len = match escaped {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex =
                            std::str::from_utf8(self.text.get(self.at..self.at + len)?).ok()?;
                        push_char(&mut out, u32::from_str_radix(hex, 16).ok()?)?;
                        self.at += len;
                    }
                    // \N{...}, \a, \b, \f, \v and the rest: not in any header numpy writes.
                    _ => return None,
                }
                continue;
            }
            if byte == b'\n' && !triple {
                return None;
            }
            out.push(byte);
            self.at += 1;
        }
        String::from_utf8(out).ok()
    }
}

fn push_char(out: &mut Vec<u8>, value: u32) -> Option<()> {
    let c = char::from_u32(value)?;
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::has_object;

    #[test]
    fn object_dtypes_in_every_spelling_numpy_accepts() {
        for descr in [
            "'|O'",
            "'O'",
            "'<O8'",
            "'object'",
            "'object_'",
            "'T'",
            "'\\x4f'",
            "'O' ''",
            "[('shape', '<i4'), ('x', '|O')]",
            "[(('title', 'a'), '<f8'), ('b', 'O', (2,))]",
            "('|O', (3,))",
            "\"O\"",
        ] {
            let header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}");
            assert_eq!(has_object(&header), Some(true), "{header}");
        }
    }

    #[test]
    fn plain_dtypes_are_raw_bytes() {
        for descr in [
            "'<f4'",
            "'|u1'",
            "'<M8[ns]'",
            "'|S3'",
            "'<U5'",
            "'|V8'",
            "'?'",
            "'|b1'",
            "[('a', '<i4'), ('shape', '<f8')]",
            "('<f8', (2, 2))",
        ] {
            let header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (3, 4), }}");
            assert_eq!(has_object(&header), Some(false), "{header}");
        }
    }

    #[test]
    fn what_is_not_understood_is_none() {
        for header in [
            "{'descr': 'Q7z', 'fortran_order': False, 'shape': (1,)}",
            "{'descr': __import__('os'), 'shape': (1,)}",
            "{'fortran_order': False, 'shape': (1,)}",
            "{'descr': '<f4', 'shape': (1,)} trailing",
            "{'descr': '\\N{LATIN CAPITAL LETTER O}', 'shape': (1,)}",
        ] {
            assert_eq!(has_object(header), None, "{header}");
        }
    }
}
