//! A byte source for the pickle machine: reads forward through any `Read` with a small window,
//! skips long arguments without holding them, peeks ahead for parser-differential checks, and
//! counts every byte it pulls against a budget (decompression bombs end as a limit, not as memory).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

/// Where the bytes come from.
pub(crate) enum Inner<'a> {
    /// Any reader (decompressors, zip members).
    Reader(Box<dyn Read + 'a>),
    /// A range of a file, read with `pread` so long skips cost nothing.
    File { file: &'a File, at: u64, end: u64 },
    /// Bytes already in memory.
    Slice(&'a [u8]),
}

/// Why a read stopped early.
#[derive(Debug)]
pub(crate) enum SourceError {
    Io(io::Error),
    /// More bytes than the budget allows were pulled from the underlying stream.
    Budget,
}

impl From<io::Error> for SourceError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// A forward-only byte source with a window for peeking.
pub(crate) struct Source<'a> {
    inner: Inner<'a>,
    window: Vec<u8>,
    start: usize,
    /// Absolute offset of `window[start]`.
    offset: u64,
    eof: bool,
    budget: u64,
}

const CHUNK: usize = 64 * 1024;

fn pull(inner: &mut Inner<'_>, budget: &mut u64, buf: &mut [u8]) -> Result<usize, SourceError> {
    if let Some(late) = crate::deadline::check() {
        return Err(late.into());
    }
    let read = match inner {
        Inner::Reader(reader) => loop {
            match reader.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        },
        Inner::File { file, at, end } => {
            let want = usize::try_from((*end - *at).min(buf.len() as u64)).unwrap_or(0);
            if want == 0 {
                0
            } else {
                let n = file.read_at(&mut buf[..want], *at)?;
                *at += n as u64;
                n
            }
        }
        Inner::Slice(bytes) => {
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            *bytes = &bytes[n..];
            n
        }
    };
    if read as u64 > *budget {
        return Err(SourceError::Budget);
    }
    *budget -= read as u64;
    Ok(read)
}

impl<'a> Source<'a> {
    pub(crate) fn new(inner: Inner<'a>, budget: u64) -> Self {
        Self::at(inner, budget, 0)
    }

    /// A source whose first byte sits at `offset` of the enclosing stream (for reports).
    pub(crate) fn at(inner: Inner<'a>, budget: u64, offset: u64) -> Self {
        Self {
            inner,
            window: Vec::new(),
            start: 0,
            offset,
            eof: false,
            budget,
        }
    }

    /// What is left of the byte budget.
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    fn buffered(&self) -> usize {
        self.window.len() - self.start
    }

    fn pull(&mut self, buf: &mut [u8]) -> Result<usize, SourceError> {
        pull(&mut self.inner, &mut self.budget, buf)
    }

    /// Makes at least `want` bytes available in the window unless the stream ends first.
    fn fill(&mut self, want: usize) -> Result<(), SourceError> {
        while self.buffered() < want && !self.eof {
            if self.start > 0 {
                self.window.drain(..self.start);
                self.start = 0;
            }
            let old = self.window.len();
            // Small members and files get a window their size, not a whole chunk.
            let left = match &self.inner {
                Inner::Reader(_) => CHUNK,
                Inner::File { at, end, .. } => usize::try_from(end - at).unwrap_or(CHUNK),
                Inner::Slice(bytes) => bytes.len(),
            };
            let grow = CHUNK.min(left.max(1)).max(want - old);
            self.window.resize(old + grow, 0);
            let read = pull(&mut self.inner, &mut self.budget, &mut self.window[old..]);
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    self.window.truncate(old);
                    return Err(e);
                }
            };
            self.window.truncate(old + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// True when no byte is left.
    pub(crate) fn at_end(&mut self) -> Result<bool, SourceError> {
        self.fill(1)?;
        Ok(self.buffered() == 0)
    }

    /// The next byte, or `None` at the end.
    pub(crate) fn byte(&mut self) -> Result<Option<u8>, SourceError> {
        self.fill(1)?;
        let Some(byte) = self.window.get(self.start).copied() else {
            return Ok(None);
        };
        self.start += 1;
        self.offset += 1;
        Ok(Some(byte))
    }

    /// Exactly `n` bytes (small `n`), or `None` if the stream ends first.
    pub(crate) fn exact(&mut self, n: usize) -> Result<Option<Vec<u8>>, SourceError> {
        self.fill(n)?;
        if self.buffered() < n {
            return Ok(None);
        }
        let out = self.window[self.start..self.start + n].to_vec();
        self.start += n;
        self.offset += n as u64;
        Ok(Some(out))
    }

    /// Up to 8 bytes into a little array (opcode arguments and lengths), without allocating.
    pub(crate) fn small(&mut self, n: usize) -> Result<Option<[u8; 8]>, SourceError> {
        let n = n.min(8);
        self.fill(n)?;
        if self.buffered() < n {
            return Ok(None);
        }
        let mut out = [0u8; 8];
        out[..n].copy_from_slice(&self.window[self.start..self.start + n]);
        self.start += n;
        self.offset += n as u64;
        Ok(Some(out))
    }

    /// Reads `n` bytes keeping at most `keep` of them; `None` if the stream ends first.
    pub(crate) fn counted(&mut self, n: u64, keep: usize) -> Result<Option<Vec<u8>>, SourceError> {
        match usize::try_from(n) {
            Ok(small) if small <= keep => self.exact(small),
            _ => Ok(self.skip(n)?.then(Vec::new)),
        }
    }

    /// Skips `n` bytes; false if the stream ends first.
    pub(crate) fn skip(&mut self, mut n: u64) -> Result<bool, SourceError> {
        let buffered = self.buffered() as u64;
        let from_window = buffered.min(n);
        self.start += from_window as usize;
        self.offset += from_window;
        n -= from_window;
        if n == 0 {
            return Ok(true);
        }
        self.window.clear();
        self.start = 0;
        if let Inner::File { at, end, .. } = &mut self.inner {
            let left = *end - *at;
            let step = left.min(n);
            *at += step;
            self.offset += step;
            return Ok(step == n);
        }
        let mut scratch = vec![0u8; CHUNK];
        while n > 0 {
            let want = usize::try_from(n.min(CHUNK as u64)).unwrap_or(CHUNK);
            let got = self.pull(&mut scratch[..want])?;
            if got == 0 {
                self.eof = true;
                return Ok(false);
            }
            n -= got as u64;
            self.offset += got as u64;
        }
        Ok(true)
    }

    /// One newline-terminated line: the first `keep` bytes of it (without the newline) and
    /// whether a newline was found before the end. Long lines are scanned, not held.
    pub(crate) fn line(&mut self, keep: usize) -> Result<(Vec<u8>, bool), SourceError> {
        let mut kept = Vec::new();
        loop {
            self.fill(1)?;
            if self.buffered() == 0 {
                return Ok((kept, false));
            }
            let window = &self.window[self.start..];
            let (part, found) = match window.iter().position(|b| *b == b'\n') {
                Some(i) => (&window[..i], Some(i)),
                None => (window, None),
            };
            let room = keep.saturating_sub(kept.len());
            kept.extend_from_slice(&part[..part.len().min(room)]);
            let used = found.map_or(window.len(), |i| i + 1);
            self.start += used;
            self.offset += used as u64;
            if found.is_some() {
                return Ok((kept, true));
            }
        }
    }

    /// Up to `n` upcoming bytes without consuming them.
    pub(crate) fn peek(&mut self, n: usize) -> Result<&[u8], SourceError> {
        self.fill(n)?;
        let end = self.window.len().min(self.start + n);
        Ok(&self.window[self.start..end])
    }
}
