//! sha256sum-format manifests: `<64 hex>  name` (text) and `<64 hex> *name` (binary) lines, the
//! `\`-prefixed form whose name escapes `\\`, `\n` and `\r` (coreutils 9), and the BSD-style
//! `SHA256 (name) = <64 hex>` lines of `sha256sum --tag`. Hand-rolled: no crate reads this format,
//! and every line must be accounted for (fail closed), with the line and column of each problem.
//!
//! Blank lines are skipped; any other line that is not an entry is a problem, as with
//! `sha256sum --check --strict`.

use super::LineProblem;

/// One manifest line naming a file and its required SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManifestEntry {
    pub(crate) line: u32,
    pub(crate) sha256: [u8; 32],
    /// The file name (unescaped), relative to the manifest's folder.
    pub(crate) name: Vec<u8>,
    /// 1-based byte column where the name starts.
    pub(crate) name_column: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) entries: Vec<ManifestEntry>,
    pub(crate) problems: Vec<LineProblem>,
}

pub(crate) fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for (index, text) in lines.into_iter().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if text.iter().all(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        match parse_line(text) {
            Ok((sha256, name, name_column)) => parsed.entries.push(ManifestEntry {
                line,
                sha256,
                name,
                name_column,
            }),
            Err((column, message)) => parsed.problems.push(LineProblem {
                line,
                column: Some(column),
                message,
            }),
        }
    }
    parsed
}

type LineResult = Result<([u8; 32], Vec<u8>, u32), (u32, String)>;

fn parse_line(text: &[u8]) -> LineResult {
    let (escaped, body, offset) = match text.strip_prefix(b"\\") {
        Some(rest) => (true, rest, 1u32),
        None => (false, text, 0u32),
    };
    if body.last() == Some(&b'\r') {
        let column = u32::try_from(text.len()).unwrap_or(u32::MAX);
        return Err((
            column,
            "the line ends with a carriage return (CRLF line endings); sha256sum would look for a name ending in CR".to_owned(),
        ));
    }
    let (digest, raw_name, name_start) = if let Some(rest) = body.strip_prefix(b"SHA256 (") {
        let Some(split) = find_last(rest, b") = ") else {
            return Err((
                offset + 1,
                "a `SHA256 (name) = hash` line without `) = `".to_owned(),
            ));
        };
        let name = rest.get(..split).unwrap_or_default();
        let digest_at = split + 4;
        let digest = rest.get(digest_at..).unwrap_or_default();
        let column = offset + 9 + u32::try_from(digest_at).unwrap_or(u32::MAX);
        let sha256 = parse_hex(digest).ok_or_else(|| (column, expected_hex(digest)))?;
        (sha256, name, offset + 9)
    } else {
        let hex_len = body.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let hex = body.get(..hex_len).unwrap_or_default();
        if hex_len != 64 {
            if let Some(algorithm) = tag_algorithm(body) {
                return Err((
                    offset + 1,
                    format!("a {algorithm} line; only SHA-256 manifests are supported"),
                ));
            }
            return Err((offset + 1, expected_hex(hex)));
        }
        let sha256 = parse_hex(hex).ok_or_else(|| (offset + 1, expected_hex(hex)))?;
        if body.get(64) != Some(&b' ') {
            return Err((
                offset + 65,
                "expected two characters after the hash: a space, then a space (text) or `*` (binary)".to_owned(),
            ));
        }
        if !matches!(body.get(65), Some(b' ' | b'*')) {
            return Err((
                offset + 66,
                "expected a space (text) or `*` (binary) before the name".to_owned(),
            ));
        }
        (sha256, body.get(66..).unwrap_or_default(), offset + 67)
    };
    if raw_name.is_empty() {
        return Err((name_start, "no file name".to_owned()));
    }
    let name = if escaped {
        unescape(raw_name).map_err(|at| {
            (
                name_start + u32::try_from(at).unwrap_or(u32::MAX),
                "an unknown escape: a `\\` line may only use `\\\\`, `\\n` and `\\r` in its name"
                    .to_owned(),
            )
        })?
    } else {
        raw_name.to_vec()
    };
    Ok((digest, name, name_start))
}

fn tag_algorithm(body: &[u8]) -> Option<String> {
    let paren = body.iter().position(|b| *b == b'(')?;
    let head = body.get(..paren)?.strip_suffix(b" ")?;
    (!head.is_empty() && head.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'))
        .then(|| String::from_utf8_lossy(head).into_owned())
}

fn expected_hex(found: &[u8]) -> String {
    match found.len() {
        32 => "a 32-digit (MD5) hash; a SHA-256 manifest needs 64 hex digits".to_owned(),
        40 => "a 40-digit (SHA-1) hash; a SHA-256 manifest needs 64 hex digits".to_owned(),
        _ => "expected a SHA-256 hash: 64 hex digits".to_owned(),
    }
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn parse_hex(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Undoes sha256sum's name escaping; the error is the 0-based offset of a bad escape.
fn unescape(raw: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().enumerate();
    while let Some((at, byte)) = bytes.next() {
        if *byte != b'\\' {
            out.push(*byte);
            continue;
        }
        match bytes.next() {
            Some((_, b'\\')) => out.push(b'\\'),
            Some((_, b'n')) => out.push(b'\n'),
            Some((_, b'r')) => out.push(b'\r'),
            _ => return Err(at),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn names(parsed: &Parsed) -> Vec<(u32, String)> {
        parsed
            .entries
            .iter()
            .map(|e| (e.line, String::from_utf8_lossy(&e.name).into_owned()))
            .collect()
    }

    #[test]
    fn text_binary_escaped_and_tagged_lines() {
        let text = format!(
            "{HASH}  a b.txt\n{HASH} *bin.dat\n\n\\{HASH}  new\\nline\\\\x\nSHA256 (tag (1).csv) = {HASH}\n\\SHA256 (t\\\\) = {HASH}\n"
        );
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.problems, []);
        assert_eq!(
            names(&parsed),
            [
                (1, "a b.txt".to_owned()),
                (2, "bin.dat".to_owned()),
                (4, "new\nline\\x".to_owned()),
                (5, "tag (1).csv".to_owned()),
                (6, "t\\".to_owned()),
            ]
        );
        assert_eq!(parsed.entries.first().map(|e| e.name_column), Some(67));
    }

    #[test]
    fn problems_have_line_and_column() {
        let text = format!(
            "{HASH}  ok\nnot a hash line\n{HASH} -x\n{HASH}x name\nd41d8cd98f00b204e9800998ecf8427e  md5\n\\{HASH}  bad\\tescape\n{HASH}  crlf\r\nMD5 (x) = d41d8cd98f00b204e9800998ecf8427e\n{HASH}  \n"
        );
        let parsed = parse(text.as_bytes());
        let problems: Vec<(u32, Option<u32>)> =
            parsed.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            problems,
            [
                (2, Some(1)),
                (3, Some(66)),
                (4, Some(65)),
                (5, Some(1)),
                (6, Some(71)),
                (7, Some(71)),
                (8, Some(1)),
                (9, Some(67)),
            ],
            "{:#?}",
            parsed.problems
        );
        assert_eq!(names(&parsed), [(1, "ok".to_owned())]);
    }
}
