//! A tolerant zip reader, hand-rolled because the `zip` crate refuses archives that PyTorch's
//! miniz-based reader accepts: entries with the encryption flag bit set, CRC mismatches, and
//! local headers whose name disagrees with the central directory (CVE-2025-1944/1945/10156 are
//! exactly those gaps). Like torch, it trusts the central directory for names and sizes and the
//! local header only for where the data starts. Stored and deflated members are read;
//! anything else is reported as unreadable.

use crate::le;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

/// Central directories larger than this are refused (a limit, not a parse).
const MAX_CENTRAL_DIRECTORY: u64 = 256 * 1024 * 1024;

/// Random-access bytes: a range of a file, or memory.
#[derive(Clone, Copy)]
pub(crate) enum Blob<'a> {
    File { file: &'a File, base: u64, len: u64 },
    Memory(&'a [u8]),
}

impl<'a> Blob<'a> {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Self::File { len, .. } => *len,
            Self::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// Reads exactly `buf.len()` bytes at `offset` (relative to the blob).
    pub(crate) fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|end| *end <= self.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "past the end"))?;
        match self {
            Self::File { file, base, .. } => file.read_exact_at(buf, base + offset),
            Self::Memory(bytes) => {
                let (Ok(from), Ok(to)) = (usize::try_from(offset), usize::try_from(end)) else {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "past the end"));
                };
                buf.copy_from_slice(&bytes[from..to]);
                Ok(())
            }
        }
    }

    /// A sub-range.
    pub(crate) fn slice(&self, offset: u64, len: u64) -> Option<Blob<'a>> {
        let end = offset.checked_add(len)?;
        if end > self.len() {
            return None;
        }
        Some(match self {
            Self::File { file, base, .. } => Self::File {
                file,
                base: base + offset,
                len,
            },
            Self::Memory(bytes) => {
                Self::Memory(bytes.get(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)?)
            }
        })
    }

    /// A sequential reader over the whole blob.
    pub(crate) fn reader(&self) -> Box<dyn Read + 'a> {
        match *self {
            Self::File { file, base, len } => Box::new(FileRange {
                file,
                at: base,
                end: base + len,
            }),
            Self::Memory(bytes) => Box::new(bytes),
        }
    }
}

struct FileRange<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for FileRange<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from((self.end - self.at).min(buf.len() as u64)).unwrap_or(0);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// One central-directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) flags: u16,
    pub(crate) compressed: u64,
    pub(crate) uncompressed: u64,
    /// Where the local header is, after the shift the reading that listed it applies.
    pub(crate) local_offset: u64,
}

/// Why a zip could not be listed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ZipError {
    #[error("no end of central directory record")]
    NoDirectory,
    #[error("the central directory lies outside the file")]
    DirectoryOutside,
    #[error("the central directory is larger than {MAX_CENTRAL_DIRECTORY} bytes")]
    DirectoryTooLarge,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// End records considered at most (an archive comment could hold many decoys).
const MAX_END_RECORDS: usize = 16;

/// A central directory some loader could read: `size` bytes at `offset`, whose local-header
/// offsets are shifted by `shift` (Python's `concat`, for data prepended to the archive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Directory {
    offset: u64,
    size: u64,
    shift: i128,
}

/// Lists the entries of every central directory a real loader could read, in the order found,
/// without duplicates:
/// - each end record in the last 64 KiB (Python's `zipfile` and miniz take the last one; a
///   decoy could sit before it in the comment);
/// - the zip64 end record whenever a locator precedes the end record, whether or not a field is
///   saturated (miniz and `zipfile` both prefer it), at the locator's offset (miniz) and right
///   before the locator (`zipfile`);
/// - for each, the directory at its declared offset (miniz) and the one ending where the end
///   records start, with every local offset shifted by the difference (`zipfile`'s `concat`);
/// - every entry of a directory up to its declared size, whatever count the end record claims
///   (`zipfile` reads by size; where names repeat, the last wins there, so all are kept);
/// - a name holding a NUL twice: cut at the NUL (how `zipfile` and torch's record list name
///   it) and whole (how miniz's lookup matches it).
///
/// Fails only when no interpretation yields a directory.
pub(crate) fn entries(blob: &Blob<'_>) -> Result<Vec<Entry>, ZipError> {
    list(blob.len(), &mut |buf, at| blob.read_exact_at(buf, at))
}

/// [`entries`] over any random-access reader of `size` bytes.
pub(crate) fn list(
    size: u64,
    read_at: &mut dyn FnMut(&mut [u8], u64) -> io::Result<()>,
) -> Result<Vec<Entry>, ZipError> {
    let tail_len = size.min(65_557);
    let tail_start = size - tail_len;
    let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(0)];
    read_at(&mut tail, tail_start)?;
    let mut directories = Vec::new();
    let ends = tail
        .windows(4)
        .enumerate()
        .rev()
        .filter(|(at, w)| *w == b"PK\x05\x06" && at + 22 <= tail.len())
        .map(|(at, _)| at)
        .take(MAX_END_RECORDS);
    for end in ends {
        let record = &tail[end..];
        let end_at = tail_start + end as u64;
        let mut candidates = vec![(
            u64::from(le::u32_at(record, 12)),
            u64::from(le::u32_at(record, 16)),
            end_at,
        )];
        if let Some(locator) = end.checked_sub(20).and_then(|at| tail.get(at..end))
            && locator.starts_with(b"PK\x06\x07")
        {
            let locator_at = end_at - 20;
            let declared = le::u64_at(locator, 8);
            for record_at in [declared, locator_at.saturating_sub(56)] {
                let mut zip64 = [0u8; 56];
                if record_at.checked_add(56).is_some_and(|e| e <= size)
                    && read_at(&mut zip64, record_at).is_ok()
                    && zip64.starts_with(b"PK\x06\x06")
                {
                    candidates.push((le::u64_at(&zip64, 40), le::u64_at(&zip64, 48), record_at));
                }
            }
        }
        for (cd_size, cd_offset, ends_at) in candidates {
            let declared = Directory {
                offset: cd_offset,
                size: cd_size,
                shift: 0,
            };
            let before_end = ends_at.checked_sub(cd_size).map(|offset| Directory {
                offset,
                size: cd_size,
                shift: i128::from(offset) - i128::from(cd_offset),
            });
            for directory in std::iter::once(declared).chain(before_end) {
                if !directories.contains(&directory) {
                    directories.push(directory);
                }
            }
        }
    }
    if directories.is_empty() {
        return Err(ZipError::NoDirectory);
    }
    let mut out: Vec<Entry> = Vec::new();
    let mut seen = HashSet::new();
    let mut first_error = None;
    let mut listed_any = false;
    let mut read_budget = MAX_CENTRAL_DIRECTORY;
    for directory in directories {
        if directory.size > read_budget {
            first_error.get_or_insert(ZipError::DirectoryTooLarge);
            continue;
        }
        if directory
            .offset
            .checked_add(directory.size)
            .is_none_or(|end| end > size)
        {
            first_error.get_or_insert(ZipError::DirectoryOutside);
            continue;
        }
        let mut bytes = vec![0u8; usize::try_from(directory.size).unwrap_or(0)];
        if let Err(error) = read_at(&mut bytes, directory.offset) {
            first_error.get_or_insert(ZipError::Io(error));
            continue;
        }
        read_budget -= directory.size;
        let listed = parse_directory(&bytes, directory.shift);
        // A directory that does not start with an entry is no directory (unless it is empty,
        // as an empty archive's is).
        if listed.is_empty() && !bytes.is_empty() {
            first_error.get_or_insert(ZipError::NoDirectory);
            continue;
        }
        listed_any = true;
        for entry in listed {
            if seen.insert((entry.name.clone(), entry.local_offset, entry.compressed)) {
                out.push(entry);
            }
        }
    }
    match first_error {
        Some(error) if !listed_any => Err(error),
        _ => Ok(out),
    }
}

/// Every entry of one central directory, read until its bytes end.
fn parse_directory(directory: &[u8], shift: i128) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(header) = directory.get(at..).filter(|h| h.len() >= 46) {
        if !header.starts_with(b"PK\x01\x02") {
            break;
        }
        let name_len = usize::from(le::u16_at(header, 28));
        let extra_len = usize::from(le::u16_at(header, 30));
        let comment_len = usize::from(le::u16_at(header, 32));
        let Some(name) = header.get(46..46 + name_len) else {
            break;
        };
        let mut entry = Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: le::u16_at(header, 10),
            flags: le::u16_at(header, 8),
            compressed: u64::from(le::u32_at(header, 20)),
            uncompressed: u64::from(le::u32_at(header, 24)),
            local_offset: u64::from(le::u32_at(header, 42)),
        };
        if let Some(extra) = header.get(46 + name_len..46 + name_len + extra_len) {
            zip64_extra(extra, &mut entry);
        }
        if let Ok(shifted) = u64::try_from(i128::from(entry.local_offset) + shift) {
            entry.local_offset = shifted;
            // Python's `zipfile` cuts a name at its first NUL (`ZipInfo.__init__`), and so does
            // torch when it lists records (`mz_zip_reader_get_filename` into a C string), while
            // miniz's lookup by name compares the full stored bytes. The member is listed under
            // both names so every consumer sees it where some loader would find it.
            if let Some(nul) = name.iter().position(|&b| b == 0) {
                let mut cut = entry.clone();
                cut.name = String::from_utf8_lossy(&name[..nul]).into_owned();
                out.push(cut);
            }
            out.push(entry);
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    out
}

/// Applies the zip64 extended-information field to the fields saturated at 0xffffffff.
fn zip64_extra(mut extra: &[u8], entry: &mut Entry) {
    while extra.len() >= 4 {
        let id = le::u16_at(extra, 0);
        let len = usize::from(le::u16_at(extra, 2));
        let Some(body) = extra.get(4..4 + len) else {
            return;
        };
        if id == 1 {
            let mut at = 0;
            for field in [
                &mut entry.uncompressed,
                &mut entry.compressed,
                &mut entry.local_offset,
            ] {
                if *field == 0xffff_ffff && at + 8 <= body.len() {
                    *field = le::u64_at(body, at);
                    at += 8;
                }
            }
        }
        extra = &extra[4 + len..];
    }
}

/// Where a member's data lies: after the local header, sized by the central directory.
pub(crate) fn data<'a>(blob: &Blob<'a>, entry: &Entry) -> io::Result<Blob<'a>> {
    let mut local = [0u8; 30];
    blob.read_exact_at(&mut local, entry.local_offset)?;
    if !local.starts_with(b"PK\x03\x04") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no local header where the central directory points",
        ));
    }
    let start = entry.local_offset
        + 30
        + u64::from(le::u16_at(&local, 26))
        + u64::from(le::u16_at(&local, 28));
    blob.slice(start, entry.compressed).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "member data runs past the end of the archive",
        )
    })
}
