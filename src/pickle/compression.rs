//! The compressed streams loaders unpickle from (joblib's compressors and its pre-0.10 `ZF`
//! z-file), recognised by the loaders' own prefix checks and decompressed the way the loaders'
//! file objects read them.
//!
//! joblib's `_detect_compressor` chooses a decompressor from a two-to-five byte prefix (`ZF`,
//! `\x78`, `\x1f\x8b`, `BZ`, `\x5d\x00`, `\xfd7zXZ`, `\x04\x22\x4d\x18`) and lets the file object
//! do the rest: Python's `BZ2File`, `LZMAFile` (format auto-detected per stream, so `.lzma` and
//! `.xz` streams may follow one another) and `LZ4FrameFile` read every concatenated stream, empty
//! ones included, and stop at trailing bytes that do not start a stream; `gzip.GzipFile` (pandas,
//! plain `gzip.open`) reads every member and skips zero padding between them, while joblib's own
//! zlib/gzip reader reads the first stream only. The per-stream loop is written here because the
//! crates' multi-stream readers differ from Python's in exactly those places (`lz4_flex` ends at an
//! empty frame and rejects skippable frames, `flate2` rejects zero padding, `liblzma` has no
//! per-stream format detection); the streams themselves are decoded by the crates.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// A compression a loader recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// joblib ≤ 0.9: `ZF`, the data length in hex padded to 19 bytes, one zlib stream.
    ZFile,
    Zlib,
    Gzip,
    Bz2,
    Xz,
    /// `.lzma` ("LZMA alone"), read by `LZMAFile` with format auto-detection.
    Lzma,
    Lz4,
}

impl Compression {
    /// The name reports and identification details use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ZFile => "zfile",
            Self::Zlib => "zlib",
            Self::Gzip => "gzip",
            Self::Bz2 => "bz2",
            Self::Xz => "xz",
            Self::Lzma => "lzma",
            Self::Lz4 => "lz4",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "zfile" => Self::ZFile,
            "zlib" => Self::Zlib,
            "gzip" => Self::Gzip,
            "bz2" => Self::Bz2,
            "xz" => Self::Xz,
            "lzma" => Self::Lzma,
            "lz4" => Self::Lz4,
            _ => return None,
        })
    }
}

/// What a file's first bytes say about its compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Detected {
    pub(crate) compression: Compression,
    /// The loader's prefix matched and the header around it is that format's full magic (not a
    /// two-byte coincidence): a file like this that cannot be read is reported, not ignored.
    pub(crate) certain: bool,
}

/// The compression a loader would read a file starting with `prefix` with: joblib's prefixes,
/// and `.lzma` headers with any properties byte and dictionary size that `LZMAFile` accepts.
pub(crate) fn detect(prefix: &[u8]) -> Option<Detected> {
    let found = |compression, certain| {
        Some(Detected {
            compression,
            certain,
        })
    };
    if prefix.starts_with(b"ZF") {
        let certain = prefix.get(2..21).is_some_and(python_hex_int);
        return found(Compression::ZFile, certain);
    }
    if prefix.starts_with(b"\x78") {
        return found(Compression::Zlib, false);
    }
    if prefix.starts_with(b"\x1f\x8b") {
        return found(Compression::Gzip, prefix.get(2) == Some(&8));
    }
    if prefix.starts_with(b"BZ") {
        let certain = prefix.get(2) == Some(&b'h')
            && prefix
                .get(3)
                .is_some_and(|level| (b'1'..=b'9').contains(level));
        return found(Compression::Bz2, certain);
    }
    if prefix.starts_with(b"\xfd7zXZ") {
        return found(Compression::Xz, prefix.get(5) == Some(&0));
    }
    if prefix.starts_with(b"\x5d\x00") {
        return found(Compression::Lzma, lzma_alone_header(prefix));
    }
    if prefix.starts_with(b"\x04\x22\x4d\x18") {
        return found(Compression::Lz4, true);
    }
    if lzma_alone_header(prefix) {
        return found(Compression::Lzma, false);
    }
    None
}

/// Whether `field` parses as Python's `int(field, 16)` does (joblib reads the z-file length so).
fn python_hex_int(field: &[u8]) -> bool {
    let text = field.trim_ascii();
    let text = text
        .strip_prefix(b"+")
        .or_else(|| text.strip_prefix(b"-"))
        .unwrap_or(text);
    let digits = text
        .strip_prefix(b"0x")
        .or_else(|| text.strip_prefix(b"0X"))
        .map_or(text, |rest| rest.strip_prefix(b"_").unwrap_or(rest));
    !digits.is_empty()
        && digits
            .split(|b| *b == b'_')
            .all(|group| !group.is_empty() && group.iter().all(u8::is_ascii_hexdigit))
}

/// A `.lzma` header liblzma's format auto-detection accepts (what `LZMAFile` uses): a valid
/// lc/lp/pb byte, a dictionary size of 2^n or 2^n + 2^(n-1) (or all ones), and an uncompressed
/// size that is unknown or below 256 GiB.
fn lzma_alone_header(prefix: &[u8]) -> bool {
    let Some(header) = prefix.get(..13) else {
        return false;
    };
    let props = header[0];
    if props > (4 * 5 + 4) * 9 + 8 {
        return false;
    }
    let lc = props % 9;
    let lp = (props / 9) % 5;
    if lc + lp > 4 {
        return false;
    }
    let dict = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
    let dict_ok = dict == u32::MAX || {
        let mut d = dict.wrapping_sub(1);
        d |= d >> 2;
        d |= d >> 3;
        d |= d >> 4;
        d |= d >> 8;
        d |= d >> 16;
        d.wrapping_add(1) == dict
    };
    let mut size = [0u8; 8];
    size.copy_from_slice(&header[5..13]);
    let size = u64::from_le_bytes(size);
    dict_ok && (size == u64::MAX || size < 1 << 38)
}

/// The decompressed stream a loader unpickles from `input`.
pub(crate) fn decoder<'a>(
    compression: Compression,
    input: Box<dyn Read + 'a>,
) -> Box<dyn Read + 'a> {
    counted_decoder(compression, input, Rc::default())
}

fn counted_decoder<'a>(
    compression: Compression,
    input: Box<dyn Read + 'a>,
    ended: Rc<Cell<u64>>,
) -> Box<dyn Read + 'a> {
    match compression {
        Compression::ZFile => Box::new(ZFile::Header(input)),
        // joblib's zlib and gzip readers never get past the first stream; gzip is read as
        // `gzip.GzipFile` reads it, every member, because other loaders open it so.
        Compression::Zlib => Box::new(flate2::read::ZlibDecoder::new(input)),
        Compression::Gzip
        | Compression::Bz2
        | Compression::Xz
        | Compression::Lzma
        | Compression::Lz4 => Box::new(Streams {
            compression,
            state: State::Between(Input::new(input)),
            first: true,
            produced: false,
            ended,
            started_at: 0,
        }),
    }
}

/// The first decompressed bytes of an input, and the decompressor, ready to go on.
pub(crate) struct Peek<'a> {
    /// Up to the limit asked for.
    pub(crate) out: Vec<u8>,
    /// The decoder stopped with an error (at a cut-off end, or on bad data).
    pub(crate) failed: bool,
    used_up: Rc<Cell<bool>>,
    streams_ended: Rc<Cell<u64>>,
    /// The rest of the decompressed stream.
    pub(crate) rest: Box<dyn Read + 'a>,
}

impl Peek<'_> {
    /// Whether the decoder read its input to the end.
    pub(crate) fn used_up(&self) -> bool {
        self.used_up.get()
    }

    /// How many concatenated streams ended within what was read.
    pub(crate) fn streams_ended(&self) -> u64 {
        self.streams_ended.get()
    }
}

/// Decompresses the start of `input` (often only the first bytes of a file), up to `limit`
/// output bytes.
pub(crate) fn peek<'a>(
    compression: Compression,
    input: Box<dyn Read + 'a>,
    limit: u64,
) -> Peek<'a> {
    let used_up = Rc::new(Cell::new(false));
    let watched = Watched {
        inner: input,
        used_up: Rc::clone(&used_up),
    };
    let streams_ended = Rc::new(Cell::new(0));
    let mut rest = counted_decoder(compression, Box::new(watched), Rc::clone(&streams_ended));
    let mut out = Vec::new();
    let failed = (&mut rest).take(limit).read_to_end(&mut out).is_err();
    Peek {
        out,
        failed,
        used_up,
        streams_ended,
        rest,
    }
}

/// A reader that remembers whether it got to its end.
struct Watched<'a> {
    inner: Box<dyn Read + 'a>,
    used_up: Rc<Cell<bool>>,
}

impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.used_up.set(true);
        }
        Ok(n)
    }
}

/// joblib's `read_zfile`: a 21-byte header, one optional space (joblib ≤ 0.8.4 wrote a wider
/// header), then one zlib stream. The length field is not checked: the stream is read whatever
/// it claims.
enum ZFile<'a> {
    Header(Box<dyn Read + 'a>),
    Body(Box<dyn Read + 'a>),
    Failed,
}

impl Read for ZFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Self::Header(_) = self {
            let Self::Header(mut input) = std::mem::replace(self, Self::Failed) else {
                return Ok(0);
            };
            let mut header = [0u8; 21];
            input.read_exact(&mut header).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the z-file header is truncated",
                )
            })?;
            let mut next = [0u8; 1];
            let got = input.read(&mut next)?;
            let back = if got == 1 && next[0] != b' ' {
                vec![next[0]]
            } else {
                Vec::new()
            };
            *self = Self::Body(Box::new(flate2::read::ZlibDecoder::new(
                io::Cursor::new(back).chain(input),
            )));
        }
        match self {
            Self::Body(body) => body.read(buf),
            Self::Header(_) | Self::Failed => Ok(0),
        }
    }
}

/// The compressed input, buffered, with room to look ahead between streams.
struct Input<'a> {
    inner: BufReader<Box<dyn Read + 'a>>,
    ahead: Vec<u8>,
    at: usize,
    /// Bytes consumed so far.
    position: u64,
}

impl<'a> Input<'a> {
    fn new(inner: Box<dyn Read + 'a>) -> Self {
        Self {
            inner: BufReader::new(inner),
            ahead: Vec::new(),
            at: 0,
            position: 0,
        }
    }

    /// Up to `n` next bytes, not consumed.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.at > 0 {
            self.ahead.drain(..self.at);
            self.at = 0;
        }
        while self.ahead.len() < n {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(n - self.ahead.len());
            self.ahead.extend_from_slice(&buf[..take]);
            self.inner.consume(take);
        }
        Ok(&self.ahead[..self.ahead.len().min(n)])
    }
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Input<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.at < self.ahead.len() {
            return Ok(&self.ahead[self.at..]);
        }
        self.ahead.clear();
        self.at = 0;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.position += amount as u64;
        if self.at < self.ahead.len() {
            self.at = (self.at + amount).min(self.ahead.len());
        } else {
            self.inner.consume(amount);
        }
    }
}

/// One compressed stream; it hands the input back, positioned after itself, when it ends.
trait Single<'a>: Read {
    fn into_input(self: Box<Self>) -> Input<'a>;
}

impl<'a> Single<'a> for flate2::bufread::GzDecoder<Input<'a>> {
    fn into_input(self: Box<Self>) -> Input<'a> {
        self.into_inner()
    }
}

impl<'a> Single<'a> for bzip2::bufread::BzDecoder<Input<'a>> {
    fn into_input(self: Box<Self>) -> Input<'a> {
        self.into_inner()
    }
}

impl<'a> Single<'a> for liblzma::bufread::XzDecoder<Input<'a>> {
    fn into_input(self: Box<Self>) -> Input<'a> {
        self.into_inner()
    }
}

impl<'a> Single<'a> for lz4_flex::frame::FrameDecoder<Input<'a>> {
    fn into_input(self: Box<Self>) -> Input<'a> {
        self.into_inner()
    }
}

enum State<'a> {
    Between(Input<'a>),
    In(Box<dyn Single<'a> + 'a>),
    Done,
}

/// Concatenated streams, read as Python's file objects read them.
struct Streams<'a> {
    compression: Compression,
    state: State<'a>,
    /// The current stream is the file's first.
    first: bool,
    /// The current stream has produced output.
    produced: bool,
    /// Streams that ended (read back by `Peek`).
    ended: Rc<Cell<u64>>,
    /// Where in the input the current stream started.
    started_at: u64,
}

/// lz4 frames a reader skips (`0x184D2A50`–`0x184D2A5F`, then a 4-byte length).
const LZ4_SKIPPABLE: std::ops::RangeInclusive<u32> = 0x184D_2A50..=0x184D_2A5F;

impl<'a> Streams<'a> {
    /// Moves past what may sit between streams; `None` when nothing follows. The stream comes
    /// with where in the input it starts.
    fn next_stream(
        &mut self,
        mut input: Input<'a>,
    ) -> io::Result<Option<(Box<dyn Single<'a> + 'a>, u64)>> {
        if let Some(late) = crate::deadline::check() {
            return Err(late);
        }
        match self.compression {
            // `GzipFile` consumes zero padding after every member.
            Compression::Gzip => loop {
                let buf = input.fill_buf()?;
                let zeros = buf.iter().take_while(|b| **b == 0).count();
                if zeros == 0 {
                    break;
                }
                input.consume(zeros);
            },
            Compression::Lz4 => loop {
                let head = input.peek(8)?;
                let Some(magic) = head.get(..4) else {
                    break;
                };
                let magic = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
                if !LZ4_SKIPPABLE.contains(&magic) {
                    break;
                }
                let Some(len) = head.get(4..8) else {
                    return Ok(None);
                };
                let len = u64::from(u32::from_le_bytes([len[0], len[1], len[2], len[3]]));
                input.consume(8);
                let skipped = io::copy(&mut (&mut input).take(len), &mut io::sink())?;
                if skipped < len {
                    return Ok(None);
                }
            },
            _ => {}
        }
        if input.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let at = input.position;
        let stream: Box<dyn Single<'a> + 'a> = match self.compression {
            Compression::Gzip => Box::new(flate2::bufread::GzDecoder::new(input)),
            Compression::Bz2 => Box::new(bzip2::bufread::BzDecoder::new(input)),
            Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(input)),
            // `LZMAFile` detects the format of every stream anew (`.xz` or `.lzma`), with no
            // memory limit.
            _ => {
                let stream = liblzma::stream::Stream::new_auto_decoder(u64::MAX, 0)
                    .map_err(io::Error::other)?;
                Box::new(liblzma::bufread::XzDecoder::new_stream(input, stream))
            }
        };
        Ok(Some((stream, at)))
    }
}

impl Read for Streams<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Ok(0),
                State::Between(input) => match self.next_stream(input)? {
                    Some((stream, at)) => {
                        self.started_at = at;
                        self.state = State::In(stream);
                        self.produced = false;
                    }
                    None => return Ok(0),
                },
                State::In(mut stream) => match stream.read(buf) {
                    Ok(0) => {
                        self.first = false;
                        self.ended.set(self.ended.get() + 1);
                        let input = stream.into_input();
                        // A stream that ends without reading anything would end the same way
                        // forever.
                        if input.position == self.started_at {
                            return Ok(0);
                        }
                        self.state = State::Between(input);
                    }
                    Ok(n) => {
                        self.produced = true;
                        self.state = State::In(stream);
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        self.state = State::In(stream);
                    }
                    // Bytes after a stream that do not start one: Python's readers stop there
                    // (or raise), and the unpickler gets nothing more either way.
                    Err(_) if !self.first && !self.produced => return Ok(0),
                    Err(e) => return Err(e),
                },
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decode(compression: Compression, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(compression, Box::new(data)).read_to_end(&mut out)?;
        Ok(out)
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn bz2(data: &[u8]) -> Vec<u8> {
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn lz4(data: &[u8]) -> Vec<u8> {
        let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        liblzma::read::XzEncoder::new(data, 1)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn lzma_alone(data: &[u8], dict_size: u32) -> Vec<u8> {
        let mut options = liblzma::stream::LzmaOptions::new_preset(1).unwrap();
        options.dict_size(dict_size);
        let stream = liblzma::stream::Stream::new_lzma_encoder(&options).unwrap();
        let mut out = Vec::new();
        liblzma::read::XzEncoder::new_stream(data, stream)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn empty_streams_before_the_content_are_read_through() {
        type Compress = fn(&[u8]) -> Vec<u8>;
        let cases: [(Compression, Compress); 4] = [
            (Compression::Gzip, gzip),
            (Compression::Bz2, bz2),
            (Compression::Xz, xz),
            (Compression::Lz4, lz4),
        ];
        for (compression, compress) in cases {
            let mut data = compress(b"");
            data.extend(compress(b""));
            data.extend(compress(b"second"));
            assert_eq!(
                decode(compression, &data).unwrap(),
                b"second",
                "{compression:?}"
            );
        }
        let mut data = lzma_alone(b"", 1 << 16);
        data.extend(xz(b"-xz"));
        data.extend(lzma_alone(b"-alone", 4096));
        assert_eq!(decode(Compression::Lzma, &data).unwrap(), b"-xz-alone");
    }

    #[test]
    fn trailing_bytes_end_the_content_as_python_reads_it() {
        let mut data = gzip(b"a");
        data.extend([0u8; 7]);
        data.extend(gzip(b"b"));
        data.extend([0u8; 3]);
        assert_eq!(decode(Compression::Gzip, &data).unwrap(), b"ab");
        let mut data = bz2(b"a");
        data.extend(b"garbage");
        assert_eq!(decode(Compression::Bz2, &data).unwrap(), b"a");
        let mut data = lz4(b"a");
        data.extend(0x184D_2A53u32.to_le_bytes());
        data.extend(3u32.to_le_bytes());
        data.extend(b"xyz");
        data.extend(lz4(b"b"));
        assert_eq!(decode(Compression::Lz4, &data).unwrap(), b"ab");
        // The first stream's errors are errors.
        assert!(decode(Compression::Bz2, b"BZh9garbage").is_err());
    }

    #[test]
    fn a_z_file_skips_its_header_and_one_optional_space() {
        let mut stream = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        stream.write_all(b"content").unwrap();
        let stream = stream.finish().unwrap();
        for pad in [&b""[..], b" "] {
            let mut data = b"ZF0x7                ".to_vec();
            data.extend(pad);
            data.extend(&stream);
            assert_eq!(decode(Compression::ZFile, &data).unwrap(), b"content");
            assert_eq!(detect(&data).map(|d| d.certain), Some(true));
        }
        assert!(decode(Compression::ZFile, b"ZF0x").is_err());
    }

    #[test]
    fn detection_follows_the_loaders_prefixes() {
        let alone = lzma_alone(b"x", 4096);
        assert_eq!(&alone[..3], b"\x5d\x00\x10");
        assert_eq!(
            detect(&alone),
            Some(Detected {
                compression: Compression::Lzma,
                certain: true
            })
        );
        // Other properties bytes are `.lzma` too, for `LZMAFile` (pandas, `lzma.open`).
        let mut other = alone.clone();
        other[0] = 0x00;
        assert_eq!(
            detect(&other).map(|d| d.compression),
            Some(Compression::Lzma)
        );
        other[1] = 0x01;
        assert_eq!(detect(&other), None);
        assert_eq!(detect(b"BZ").map(|d| d.certain), Some(false));
        assert_eq!(detect(b"BZh1").map(|d| d.certain), Some(true));
        assert_eq!(
            detect(b"ZFnot a number at all").map(|d| d.certain),
            Some(false)
        );
        assert!(python_hex_int(b" 0x_1f_0 "));
        assert!(python_hex_int(b"+1F\t"));
        assert!(!python_hex_int(b"0x"));
        assert!(!python_hex_int(b"1__2"));
    }

    #[test]
    fn mutated_streams_never_panic_or_hang() {
        let mut seeds: Vec<(Compression, Vec<u8>)> = Vec::new();
        for (compression, compress) in [
            (Compression::Gzip, gzip as fn(&[u8]) -> Vec<u8>),
            (Compression::Bz2, bz2),
            (Compression::Xz, xz),
            (Compression::Lz4, lz4),
        ] {
            let mut data = compress(b"");
            data.extend(compress(b"\x80\x02N."));
            seeds.push((compression, data));
        }
        let mut alone = lzma_alone(b"", 4096);
        alone.extend(xz(b"\x80\x02N."));
        seeds.push((Compression::Lzma, alone));
        let mut zfile = b"ZF0x4                ".to_vec();
        let mut stream = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        stream.write_all(b"\x80\x02N.").unwrap();
        zfile.extend(stream.finish().unwrap());
        seeds.push((Compression::ZFile, zfile));
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let (compression, seed) = &seeds[round % seeds.len()];
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.truncate(at.max(1)),
                    _ => {
                        let extra = bytes.clone();
                        bytes.extend(extra);
                    }
                }
            }
            let mut out = Vec::new();
            let _ = decoder(*compression, Box::new(&bytes[..]))
                .take(1 << 20)
                .read_to_end(&mut out);
            let _ = peek(*compression, Box::new(&bytes[..]), 4096);
        }
    }
}
