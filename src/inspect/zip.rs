//! A tolerant zip reader, hand-rolled because the `zip` crate refuses archives that PyTorch's
//! miniz-based reader accepts: entries with the encryption flag bit set, CRC mismatches, and
//! local headers whose name disagrees with the central directory (CVE-2025-1944/1945/10156 are
//! exactly those gaps). Like torch, it trusts the central directory for names and sizes and the
//! local header only for where the data starts. Stored and deflated members are read;
//! anything else is reported as unreadable.

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
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) compressed: u64,
    pub(crate) uncompressed: u64,
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

/// Lists the central directory (zip64 aware).
pub(crate) fn entries(blob: &Blob<'_>) -> Result<Vec<Entry>, ZipError> {
    let size = blob.len();
    let tail_len = size.min(65_557);
    let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(0)];
    blob.read_exact_at(&mut tail, size - tail_len)?;
    let eocd = tail
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or(ZipError::NoDirectory)?;
    let record = &tail[eocd..];
    if record.len() < 22 {
        return Err(ZipError::NoDirectory);
    }
    let mut count = u64::from(u16_le(record, 10));
    let mut cd_size = u64::from(u32_le(record, 12));
    let mut cd_offset = u64::from(u32_le(record, 16));
    if count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
        let locator = eocd
            .checked_sub(20)
            .map(|at| &tail[at..eocd])
            .filter(|l| l.starts_with(b"PK\x06\x07"))
            .ok_or(ZipError::NoDirectory)?;
        let mut record = [0u8; 56];
        blob.read_exact_at(&mut record, u64_le(locator, 8))?;
        if !record.starts_with(b"PK\x06\x06") {
            return Err(ZipError::NoDirectory);
        }
        count = u64_le(&record, 32);
        cd_size = u64_le(&record, 40);
        cd_offset = u64_le(&record, 48);
    }
    if cd_size > MAX_CENTRAL_DIRECTORY {
        return Err(ZipError::DirectoryTooLarge);
    }
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > size) {
        return Err(ZipError::DirectoryOutside);
    }
    let mut directory = vec![0u8; usize::try_from(cd_size).unwrap_or(0)];
    blob.read_exact_at(&mut directory, cd_offset)?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 46 <= directory.len() && (out.len() as u64) < count.max(1).saturating_mul(2) {
        let header = &directory[at..];
        if !header.starts_with(b"PK\x01\x02") {
            break;
        }
        let name_len = usize::from(u16_le(header, 28));
        let extra_len = usize::from(u16_le(header, 30));
        let comment_len = usize::from(u16_le(header, 32));
        let Some(name) = header.get(46..46 + name_len) else {
            break;
        };
        let mut entry = Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: u16_le(header, 10),
            compressed: u64::from(u32_le(header, 20)),
            uncompressed: u64::from(u32_le(header, 24)),
            local_offset: u64::from(u32_le(header, 42)),
        };
        if let Some(extra) = header.get(46 + name_len..46 + name_len + extra_len) {
            zip64_extra(extra, &mut entry);
        }
        out.push(entry);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// Applies the zip64 extended-information field to the fields saturated at 0xffffffff.
fn zip64_extra(mut extra: &[u8], entry: &mut Entry) {
    while extra.len() >= 4 {
        let id = u16_le(extra, 0);
        let len = usize::from(u16_le(extra, 2));
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
                    *field = u64_le(body, at);
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
    let start =
        entry.local_offset + 30 + u64::from(u16_le(&local, 26)) + u64::from(u16_le(&local, 28));
    blob.slice(start, entry.compressed).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "member data runs past the end of the archive",
        )
    })
}

fn u16_le(bytes: &[u8], at: usize) -> u16 {
    bytes
        .get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}
fn u32_le(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}
fn u64_le(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 8).map_or(0, |b| {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        u64::from_le_bytes(raw)
    })
}
