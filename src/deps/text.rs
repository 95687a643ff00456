//! Text helpers shared by the dependency readers: byte offsets to line/column, `${VAR}` spotting,
//! and a POSIX-shell-like word splitter that remembers where each word starts.
//!
//! Hand-rolled because the crates that split shell words (shlex, shell-words) drop positions, and
//! findings must point at the column of the option they concern.

/// Maps byte offsets of one text to 1-based line and column (columns count characters).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (to_u32(line), to_u32(column + 1))
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Byte offsets and names of `${NAME}` references with pip's grammar (`[A-Z0-9_]+`) that can
/// change where packages come from: a variable inside a URL's credentials (`https://${USER}:
/// ${TOKEN}@host/simple`, the documented way to keep secrets out of files) does not.
pub(crate) fn variables(text: &str) -> Vec<(usize, String)> {
    let credentials = credentials(text);
    all_variables(text)
        .into_iter()
        .filter(|(offset, _)| !credentials.as_ref().is_some_and(|c| c.contains(offset)))
        .collect()
}

/// Does a shell word expand to something unknown at check time (`$VAR`, `${VAR}`, `$(cmd)`)
/// outside a URL's credentials?
pub(crate) fn shell_expands(text: &str) -> bool {
    let credentials = credentials(text);
    text.match_indices('$')
        .any(|(offset, _)| !credentials.as_ref().is_some_and(|c| c.contains(&offset)))
}

/// The byte range of `user:password` in `scheme://user:password@host/…`.
fn credentials(text: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = text.find("://")? + 3;
    let rest = text.get(authority_start..)?;
    let authority_len = rest.find('/').unwrap_or(rest.len());
    let at = rest.get(..authority_len)?.rfind('@')?;
    Some(authority_start..authority_start + at)
}

/// Replaces GitHub expressions (`${{ secrets.X }}`) with a `${EEE…}` variable of the same
/// length, so they read as unknown values and positions do not move.
pub(crate) fn mask_github_expressions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let Some(len) = rest
            .get(start..)
            .and_then(|r| r.find("}}"))
            .map(|end| end + 2)
        else {
            break;
        };
        out.push_str(rest.get(..start).unwrap_or_default());
        let chars = rest
            .get(start..start + len)
            .map_or(0, |e| e.chars().count());
        let width = chars.saturating_sub(3).max(1);
        let name: String = "GITHUB_EXPRESSION"
            .chars()
            .chain(std::iter::repeat('_'))
            .take(width)
            .collect();
        out.push_str("${");
        out.push_str(&name);
        out.push('}');
        rest = rest.get(start + len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

fn all_variables(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text.get(i..).and_then(|rest| rest.find("${")) {
        let start = i + found;
        let name_start = start + 2;
        let mut end = name_start;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        {
            end += 1;
        }
        if end > name_start && bytes.get(end) == Some(&b'}') {
            out.push((start, text.get(name_start..end).unwrap_or("").to_owned()));
            i = end + 1;
        } else {
            i = name_start;
        }
    }
    out
}

/// A shell word and the byte offset where it starts in the text that was split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) start: usize,
}

/// Splits like POSIX `shlex.split`: whitespace separates, quotes group, backslash escapes.
/// Unbalanced quotes end the text (the caller reports what it can).
pub(crate) fn split_words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<Word> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(word) = current.take() {
                    words.push(word);
                }
            }
            '\'' => {
                let word = current.get_or_insert_with(|| Word {
                    text: String::new(),
                    start: i,
                });
                for (_, c) in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.text.push(c);
                }
            }
            '"' => {
                let word = current.get_or_insert_with(|| Word {
                    text: String::new(),
                    start: i,
                });
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(&(_, next)) = chars.peek()
                                && matches!(next, '"' | '\\' | '$' | '`')
                            {
                                word.text.push(next);
                                chars.next();
                            } else {
                                word.text.push('\\');
                            }
                        }
                        c => word.text.push(c),
                    }
                }
            }
            '\\' => {
                let word = current.get_or_insert_with(|| Word {
                    text: String::new(),
                    start: i,
                });
                if let Some((_, next)) = chars.next() {
                    word.text.push(next);
                }
            }
            c => current
                .get_or_insert_with(|| Word {
                    text: String::new(),
                    start: i,
                })
                .text
                .push(c),
        }
    }
    if let Some(word) = current {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let index = LineIndex::new("ab\ncé d\n");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(7), (2, 4));
    }

    #[test]
    fn variables_follow_pips_grammar() {
        let found = variables("a ${IDX} ${lower} ${A_1}x $NOPE ${");
        assert_eq!(found, vec![(2, "IDX".to_owned()), (18, "A_1".to_owned())]);
        let credentials = variables("https://${USER}:${TOKEN}@${HOST}/simple");
        assert_eq!(credentials, vec![(25, "HOST".to_owned())]);
        assert!(!shell_expands("https://$USER:$TOKEN@host/simple"));
        assert!(shell_expands("$INDEX"));
        assert_eq!(
            mask_github_expressions("a ${{ secrets.X }} b"),
            "a ${GITHUB_EXPRES} b"
        );
    }

    #[test]
    fn words_keep_their_start() {
        let words = split_words("pip install  'a b' --x=\"q\\\"\" c\\ d");
        let texts: Vec<_> = words.iter().map(|w| (w.text.as_str(), w.start)).collect();
        assert_eq!(
            texts,
            vec![
                ("pip", 0),
                ("install", 4),
                ("a b", 13),
                ("--x=q\"", 19),
                ("c d", 29)
            ]
        );
    }
}
