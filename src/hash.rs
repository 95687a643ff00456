//! The hasher: whole-file SHA-256 (and MD5 for DVC) at hardware speed, each file read once per
//! run whatever asks for it (dataset pins, manifests, DVC files, waivers bound to a hash).
//!
//! Speed comes from three places: the `sha2` crate picks the CPU's SHA extensions at run time
//! (`cpufeatures` detects SHA-NI / ARMv8 SHA2; no build flag needed), files are hashed in parallel
//! across the rayon pool, and reads go through one buffer of at most [`BUFFER`] bytes per file,
//! so memory is bounded by workers × buffer whatever the file sizes. Plain `read` into a large
//! buffer measured as fast as memory-mapping here (`benches/hash.sh`) and needs no `unsafe`.

use md5::Md5;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Bytes read per system call (and the most memory one file being hashed takes).
const BUFFER: usize = 1 << 20;
/// Below this much work no progress bar is shown: it would only flicker.
const PROGRESS_MIN_BYTES: u64 = 512 << 20;

/// Which digests a caller needs of a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Want {
    pub(crate) sha256: bool,
    pub(crate) md5: bool,
}

impl Want {
    pub(crate) const SHA256: Self = Self {
        sha256: true,
        md5: false,
    };
    pub(crate) const MD5: Self = Self {
        sha256: false,
        md5: true,
    };

    fn union(self, other: Self) -> Self {
        Self {
            sha256: self.sha256 || other.sha256,
            md5: self.md5 || other.md5,
        }
    }
}

/// The digests of one file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digests {
    pub(crate) size: u64,
    pub(crate) sha256: Option<[u8; 32]>,
    pub(crate) md5: Option<[u8; 16]>,
}

/// What the hasher needs to do: files (by the path it opens) and the digests each needs.
/// Asking twice for the same path merges the requests, so the file is read once.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    wanted: HashMap<PathBuf, Want>,
}

impl Requests {
    pub(crate) fn add(&mut self, path: &Path, want: Want) {
        let entry = self.wanted.entry(path.to_path_buf()).or_default();
        *entry = entry.union(want);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }
}

/// The results of one hashing pass, by path. Errors are kept as text: they become findings.
#[derive(Debug, Default)]
pub(crate) struct Hashes {
    results: HashMap<PathBuf, Result<Digests, String>>,
}

impl Hashes {
    pub(crate) fn get(&self, path: &Path) -> Option<&Result<Digests, String>> {
        self.results.get(path)
    }

    pub(crate) fn sha256(&self, path: &Path) -> Option<[u8; 32]> {
        self.get(path)
            .and_then(|r| r.as_ref().ok())
            .and_then(|d| d.sha256)
    }
}

/// Whether a progress bar may be drawn: standard error is a terminal, not in CI, not JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgressPolicy {
    pub(crate) allowed: bool,
}

impl ProgressPolicy {
    pub(crate) fn detect(machine_output: bool) -> Self {
        Self {
            allowed: !machine_output
                && std::io::stderr().is_terminal()
                && std::env::var_os("CI").is_none(),
        }
    }
}

/// Hashes every requested file in parallel on the current rayon pool, largest first so that the
/// big files start early and the small ones fill in around them.
pub(crate) fn hash_all(requests: Requests, progress: ProgressPolicy) -> Hashes {
    let mut jobs: Vec<(PathBuf, Want, u64)> = requests
        .wanted
        .into_iter()
        .map(|(path, want)| {
            let size = std::fs::symlink_metadata(&path).map_or(0, |m| m.len());
            (path, want, size)
        })
        .collect();
    jobs.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let total: u64 = jobs.iter().map(|j| j.2).sum();
    let bar = progress_bar(total, progress);
    let results: HashMap<PathBuf, Result<Digests, String>> = jobs
        .into_par_iter()
        .map(|(path, want, _)| {
            let result = hash_path(&path, want, &|n| bar.inc(n)).map_err(|e| e.to_string());
            (path, result)
        })
        .collect();
    bar.finish_and_clear();
    let hashed: u64 = results
        .values()
        .filter_map(|r| r.as_ref().ok())
        .map(|d| d.size)
        .sum();
    tracing::info!(files = results.len(), bytes = hashed, "hashed");
    Hashes { results }
}

fn progress_bar(total: u64, progress: ProgressPolicy) -> indicatif::ProgressBar {
    if !progress.allowed || total < PROGRESS_MIN_BYTES {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "hashing {bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Opens a path for hashing: never through a symlink at the last component, never blocking on
/// a FIFO, and only if what was opened is a regular file.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// Hashes one file; `progress` hears of every block read.
pub(crate) fn hash_path(path: &Path, want: Want, progress: &dyn Fn(u64)) -> io::Result<Digests> {
    let mut file = open_regular(path)?;
    // Small files get a small buffer: zeroing a full one would cost more than reading them.
    let size = file.metadata()?.len();
    let buffer = usize::try_from(size.saturating_add(1)).map_or(BUFFER, |s| s.clamp(4096, BUFFER));
    hash_with_buffer(&mut file, want, progress, buffer)
}

/// Streams a reader through the wanted digests, one buffer of `buffer_len` bytes at a time.
fn hash_with_buffer(
    reader: &mut dyn Read,
    want: Want,
    progress: &dyn Fn(u64),
    buffer_len: usize,
) -> io::Result<Digests> {
    let mut sha256 = want.sha256.then(Sha256::new);
    let mut md5 = want.md5.then(Md5::new);
    let mut buffer = vec![0u8; buffer_len];
    let mut size = 0u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let block = buffer.get(..read).unwrap_or_default();
        if let Some(hasher) = sha256.as_mut() {
            hasher.update(block);
        }
        if let Some(hasher) = md5.as_mut() {
            hasher.update(block);
        }
        size += read as u64;
        progress(read as u64);
    }
    Ok(Digests {
        size,
        sha256: sha256.map(|h| h.finalize().into()),
        md5: md5.map(|h| h.finalize().into()),
    })
}

/// The SPEC's directory digest: SHA-256 over `<hex sha256>  <path>\n` lines sorted by path
/// bytes, which is what `find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum`
/// prints for names without backslashes or line breaks (callers refuse those names).
pub(crate) fn directory_digest(files: &mut [(Vec<u8>, [u8; 32])]) -> [u8; 32] {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (name, digest) in files.iter() {
        hasher.update(hex(digest).as_bytes());
        hasher.update(b"  ");
        hasher.update(name);
        hasher.update(b"\n");
    }
    hasher.finalize().into()
}

/// The MD5 of a small buffer (DVC's folder listings name themselves by it).
pub(crate) fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// Whether `text` is 64 hex digits (a SHA-256 written out).
pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let digests =
            hash_with_buffer(&mut &b"abc"[..], Want::SHA256.union(Want::MD5), &|_| {}, 2).ok();
        assert_eq!(digests.map(|d| d.size), Some(3));
        let digests = digests.unwrap_or(Digests {
            size: 0,
            sha256: None,
            md5: None,
        });
        assert_eq!(
            digests.sha256.map(|d| hex(&d)).as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            digests.md5.map(|d| hex(&d)).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
    }

    #[test]
    fn empty_directory_digest_is_the_empty_string_digest() {
        assert_eq!(
            hex(&directory_digest(&mut [])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
