//! Names and requirement strings: PEP 503 normalisation, a PEP 508 requirement parser that keeps
//! what the gate needs (name, whether one version is pinned, direct URL), and VCS URL anatomy.
//!
//! Hand-rolled: the Rust PEP 508 crates (pep508_rs) pull a large dependency tree and normalise
//! away the raw text; the gate needs only the name, whether exactly one version is allowed, and the
//! URL, plus a clear reason when pip would reject the line.

/// PEP 503: runs of `-`, `_`, `.` become one `-`, lowercase.
pub(crate) fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// A parsed PEP 508 requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pep508 {
    pub(crate) name: String,
    pub(crate) url: Option<String>,
    pub(crate) pinned: bool,
}

const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

/// Parses `name[extras] specifiers ; marker` or `name[extras] @ url ; marker`.
pub(crate) fn parse_pep508(text: &str) -> Result<Pep508, String> {
    let text = text.trim();
    let name_len = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map_or(text.len(), |(i, _)| i);
    let name = text.get(..name_len).unwrap_or_default();
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid_name {
        return Err(format!("`{text}` does not start with a valid package name"));
    }
    let mut rest = text.get(name_len..).unwrap_or_default().trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        let Some(close) = after.find(']') else {
            return Err(format!("`{text}`: extras are not closed with `]`"));
        };
        rest = after.get(close + 1..).unwrap_or_default().trim_start();
    }
    if let Some(after) = rest.strip_prefix('@') {
        let after = after.trim_start();
        // PEP 508: a marker after a URL needs whitespace before `;`.
        let url_end = after
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(after.len(), |(i, _)| i);
        let url = after.get(..url_end).unwrap_or_default();
        let tail = after.get(url_end..).unwrap_or_default().trim_start();
        if url.is_empty() {
            return Err(format!("`{text}`: `@` must be followed by a URL"));
        }
        if !tail.is_empty() && !tail.starts_with(';') {
            return Err(format!("`{text}`: unexpected `{tail}` after the URL"));
        }
        return Ok(Pep508 {
            name: name.to_owned(),
            url: Some(url.to_owned()),
            pinned: true,
        });
    }
    let specifier = rest.split(';').next().unwrap_or_default().trim();
    let specifier = specifier
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(specifier);
    let mut pinned = false;
    if !specifier.is_empty() {
        for clause in specifier.split(',') {
            let clause = clause.trim();
            let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
                return Err(format!(
                    "`{text}`: `{clause}` is not a version specifier (expected ==, >=, ~=, …)"
                ));
            };
            let version = clause.get(op.len()..).unwrap_or_default().trim();
            let version_ok = !version.is_empty()
                && version.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '_' | '-')
                });
            if !version_ok {
                return Err(format!("`{text}`: `{version}` is not a valid version"));
            }
            if *op == "===" || (*op == "==" && !version.contains('*')) {
                pinned = true;
            }
        }
    }
    Ok(Pep508 {
        name: name.to_owned(),
        url: None,
        pinned,
    })
}

/// Is `url` a VCS URL pip understands (`git+https://…`, `hg+…`, `svn+…`, `bzr+…`, `git://…`)?
pub(crate) fn is_vcs(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["git+", "hg+", "svn+", "bzr+", "git://"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The revision after `@` in a VCS URL's path (pip's `get_url_rev_and_auth`), if any.
pub(crate) fn vcs_reference(url: &str) -> Option<String> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let without_query = without_fragment
        .split('?')
        .next()
        .unwrap_or(without_fragment);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .and_then(|i| after_scheme.get(i..))
        .unwrap_or("");
    let (_, reference) = path.rsplit_once('@')?;
    (!reference.is_empty()).then(|| reference.to_owned())
}

/// A full commit id: 40 (SHA-1) or 64 (SHA-256) hex digits.
pub(crate) fn is_full_commit(reference: &str) -> bool {
    matches!(reference.len(), 40 | 64) && reference.chars().all(|c| c.is_ascii_hexdigit())
}

/// `#egg=name` in a URL fragment (how a bare URL names its package).
pub(crate) fn egg_name(url: &str) -> Option<String> {
    let (_, fragment) = url.split_once('#')?;
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix("egg="))
        .map(|name| name.split('[').next().unwrap_or(name).to_owned())
        .filter(|name| !name.is_empty())
}

/// The distribution name a bare archive URL carries in its file name, as pip reads it: a wheel's
/// is everything before the first `-` (the wheel spec escapes `-` in names); an sdist's
/// (`name-version.tar.gz`, `.zip`) is everything before the last `-` that starts a version.
pub(crate) fn archive_name(url: &str) -> Option<String> {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    let file = path.rsplit('/').next().unwrap_or(path);
    let file = percent_decoded(file);
    let lower = file.to_ascii_lowercase();
    let name = if lower.ends_with(".whl") {
        file.split('-').next()?.to_owned()
    } else {
        let stem = [".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"]
            .iter()
            .find_map(|ext| {
                lower
                    .ends_with(ext)
                    .then(|| &file[..file.len() - ext.len()])
            })?;
        let (name, version) = stem.rsplit_once('-')?;
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        name.to_owned()
    };
    (!name.is_empty()).then_some(name)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes.get(i),
            bytes.get(i + 1).and_then(|b| hex(*b)),
            bytes.get(i + 2).and_then(|b| hex(*b)),
        ) {
            (Some(b'%'), Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                i += 3;
            }
            (Some(byte), _, _) => {
                out.push(*byte);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hash algorithms named in a URL fragment (`#sha256=…`, `#md5=…`).
pub(crate) fn fragment_hashes(url: &str) -> Vec<String> {
    let Some((_, fragment)) = url.split_once('#') else {
        return Vec::new();
    };
    fragment
        .split('&')
        .filter_map(|part| part.split_once('='))
        .map(|(key, _)| key.to_ascii_lowercase())
        .filter(|key| {
            matches!(
                key.as_str(),
                "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512"
            )
        })
        .collect()
}

/// Does `url` look like a URL (scheme://) rather than a name or a path?
pub(crate) fn looks_like_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalise("Acme_Utils"), "acme-utils");
        assert_eq!(normalise("torch.triton--x"), "torch-triton-x");
    }

    #[test]
    fn pep508_shapes() {
        let p = parse_pep508("acme-utils[x] ==1.2.0 ; python_version < '3.9'");
        assert_eq!(
            p,
            Ok(Pep508 {
                name: "acme-utils".into(),
                url: None,
                pinned: true
            })
        );
        assert!(parse_pep508("numpy>=1.0,<2").is_ok_and(|p| !p.pinned));
        assert!(parse_pep508("numpy==1.*").is_ok_and(|p| !p.pinned));
        assert!(parse_pep508("acme-utils==1.2.0--hash=sha256:ab").is_err());
        assert!(
            parse_pep508("x @ https://h/x.whl ; os_name == 'nt'").is_ok_and(|p| p.url.is_some())
        );
        assert!(parse_pep508("-bad").is_err());
    }

    #[test]
    fn vcs_anatomy() {
        assert_eq!(
            vcs_reference("git+ssh://git@github.com/a/b.git@v1.0#egg=b"),
            Some("v1.0".into())
        );
        assert_eq!(vcs_reference("git+https://github.com/a/b.git"), None);
        assert!(is_full_commit("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_full_commit("0123456"));
        assert_eq!(egg_name("https://h/x.zip#egg=foo[bar]"), Some("foo".into()));
        assert_eq!(
            archive_name("https://h/d/acme_core-9.9.0-py3-none-any.whl#sha256=00"),
            Some("acme_core".into())
        );
        assert_eq!(
            archive_name("https://h/torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl"),
            Some("torch".into())
        );
        assert_eq!(
            archive_name("https://h/acme-core-1.2.tar.gz"),
            Some("acme-core".into())
        );
        assert_eq!(archive_name("https://h/archive/main.zip"), None);
    }
}
