//! HDF5 without libhdf5: finds where the root group's attribute messages named `model_config`
//! sit, reading metadata only — the superblock (versions 0–3), the root object header (versions
//! 1 and 2, following continuation blocks) and, for attributes kept in dense storage, the direct
//! blocks of the attribute fractal heap. Dataset bytes are never read.
//!
//! Hand-rolled because the Rust HDF5 crates bind libhdf5 (a C library gate would have to ship and
//! trust with hostile input). Anything outside that subset — filtered or huge heap objects,
//! indirect blocks below the root, unknown versions, structures that point outside the file — is
//! returned as [`Root::Unsupported`] so the caller falls back to a complete (slower) scan rather
//! than pass a file it did not read.

use super::ModelFile;
use std::io::{self, Read, Seek, SeekFrom};

const SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
/// Object header message types.
const ATTRIBUTE: u16 = 0x000c;
const CONTINUATION: u16 = 0x0010;
const ATTRIBUTE_INFO: u16 = 0x0015;
/// Bounds on what one root group may need.
const MAX_CHUNKS: usize = 256;
const MAX_CHUNK_BYTES: u64 = 4 * 1024 * 1024;
const MAX_MESSAGES: usize = 65_536;
const MAX_HEAP_ENTRIES: u64 = 65_536;
const MAX_HEAP_BYTES: u64 = 64 * 1024 * 1024;

/// Where the root group's `model_config` attribute messages are.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Root {
    /// File offsets of each attribute name `model_config\0` (inside a well-formed message).
    Names(Vec<u64>),
    /// The walk left the subset this reader handles; the reason says where.
    Unsupported(String),
}

/// Sizes the superblock declares: (size of offsets, size of lengths, base address).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) offsets: u8,
    pub(crate) lengths: u8,
    pub(crate) base: u64,
}

struct Reader<'a> {
    file: &'a mut ModelFile,
    size: u64,
    sizes: Sizes,
}

fn uint(bytes: &[u8], at: usize, width: u8) -> Option<u64> {
    let raw = bytes.get(at..at + usize::from(width))?;
    Some(
        raw.iter()
            .enumerate()
            .fold(0u64, |v, (i, b)| v | (u64::from(*b) << (8 * i))),
    )
}

impl Reader<'_> {
    fn read(&mut self, at: u64, len: u64) -> io::Result<Option<Vec<u8>>> {
        if at.checked_add(len).is_none_or(|end| end > self.size) {
            return Ok(None);
        }
        let mut out = vec![0u8; usize::try_from(len).unwrap_or(0)];
        self.file.seek(SeekFrom::Start(at))?;
        self.file.read_exact(&mut out)?;
        Ok(Some(out))
    }

    /// An address field: `None` when undefined (all ones), relative to the base address.
    fn address(&self, bytes: &[u8], at: usize) -> Option<Option<u64>> {
        let raw = uint(bytes, at, self.sizes.offsets)?;
        let undefined = if self.sizes.offsets >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * u32::from(self.sizes.offsets))) - 1
        };
        Some((raw != undefined).then(|| raw.saturating_add(self.sizes.base)))
    }
}

/// Reads the superblock at the first signature position; `None` if there is none.
pub(crate) fn superblock(file: &mut ModelFile, size: u64) -> io::Result<Option<(Sizes, u64)>> {
    for start in [0u64, 512, 1024, 2048, 4096, 8192, 16384, 32768] {
        if start + 96 > size {
            break;
        }
        let mut head = [0u8; 96];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut head)?;
        if !head.starts_with(SIGNATURE) {
            continue;
        }
        let version = head[8];
        let (offsets, lengths, fixed) = match version {
            0 => (head[13], head[14], 24usize),
            1 => (head[13], head[14], 28),
            2 | 3 => (head[9], head[10], 12),
            _ => return Ok(None),
        };
        if !matches!(offsets, 2 | 4 | 8) || !matches!(lengths, 2 | 4 | 8) {
            return Ok(None);
        }
        let o = usize::from(offsets);
        let base = uint(&head, fixed, offsets).unwrap_or(start);
        let root_at = match version {
            // base, free space, end of file, driver info, then the root symbol table entry:
            // link name offset, object header address.
            0 | 1 => fixed + 4 * o + o,
            // base, superblock extension, end of file, root object header address.
            _ => fixed + 3 * o,
        };
        let Some(root) = uint(&head, root_at, offsets) else {
            return Ok(None);
        };
        let sizes = Sizes {
            offsets,
            lengths,
            base,
        };
        return Ok(Some((sizes, root.saturating_add(base))));
    }
    Ok(None)
}

/// Finds the root group's `model_config` attribute names.
pub(crate) fn root_model_config(file: &mut ModelFile, size: u64) -> io::Result<Root> {
    let Some((sizes, root)) = superblock(file, size)? else {
        return Ok(Root::Unsupported(
            "no superblock this reader knows".to_owned(),
        ));
    };
    let mut reader = Reader { file, size, sizes };
    let mut names = Vec::new();
    match walk_object_header(&mut reader, root, &mut names)? {
        Ok(()) => Ok(Root::Names(names)),
        Err(reason) => Ok(Root::Unsupported(reason)),
    }
}

type Walked = Result<(), String>;

fn walk_object_header(
    reader: &mut Reader<'_>,
    at: u64,
    names: &mut Vec<u64>,
) -> io::Result<Walked> {
    let Some(prefix) = reader.read(at, 16)? else {
        return Ok(Err("root object header past the end of the file".to_owned()));
    };
    // (start, end, version, continuation) of each chunk of messages still to read.
    let mut chunks: Vec<(u64, u64, u8, bool)> = Vec::new();
    let mut creation_order = false;
    if prefix.starts_with(b"OHDR") {
        if prefix[4] != 2 {
            return Ok(Err(format!("object header version {}", prefix[4])));
        }
        let flags = prefix[5];
        creation_order = flags & 0x04 != 0;
        let mut cursor = 6u64;
        if flags & 0x20 != 0 {
            cursor += 16;
        }
        if flags & 0x10 != 0 {
            cursor += 4;
        }
        let width = 1u8 << (flags & 0x03);
        let Some(raw) = reader.read(at + cursor, u64::from(width))? else {
            return Ok(Err("object header past the end of the file".to_owned()));
        };
        let chunk = uint(&raw, 0, width).unwrap_or(0);
        let start = at + cursor + u64::from(width);
        // The first chunk's size counts its messages only; its checksum follows.
        chunks.push((start, start.saturating_add(chunk), 2, false));
    } else if prefix[0] == 1 {
        let header_size = u64::from(u32::from_le_bytes([
            prefix[8], prefix[9], prefix[10], prefix[11],
        ]));
        chunks.push((at + 16, (at + 16).saturating_add(header_size), 1, false));
    } else {
        return Ok(Err(format!("object header version {}", prefix[0])));
    }
    let mut seen_chunks = 0usize;
    let mut messages = 0usize;
    while let Some((start, end, version, continuation)) = chunks.pop() {
        seen_chunks += 1;
        if seen_chunks > MAX_CHUNKS
            || end > reader.size
            || end < start
            || end - start > MAX_CHUNK_BYTES
        {
            return Ok(Err("object header chunks out of bounds".to_owned()));
        }
        let Some(chunk) = reader.read(start, end - start)? else {
            return Ok(Err(
                "object header chunk past the end of the file".to_owned()
            ));
        };
        // v2 continuation blocks are "OCHK", messages, checksum.
        let (mut cursor, limit) = if version == 2 && continuation {
            if !chunk.starts_with(b"OCHK") {
                return Ok(Err("no continuation block where the header says".to_owned()));
            }
            (4, chunk.len().saturating_sub(4))
        } else {
            (0, chunk.len())
        };
        loop {
            let header_len = match version {
                2 => 4 + if creation_order { 2 } else { 0 },
                _ => 8,
            };
            if cursor + header_len > limit {
                break;
            }
            messages += 1;
            if messages > MAX_MESSAGES {
                return Ok(Err("too many object header messages".to_owned()));
            }
            let (kind, len) = match version {
                2 => (
                    u16::from(chunk[cursor]),
                    usize::from(u16::from_le_bytes([chunk[cursor + 1], chunk[cursor + 2]])),
                ),
                _ => (
                    u16::from_le_bytes([chunk[cursor], chunk[cursor + 1]]),
                    usize::from(u16::from_le_bytes([chunk[cursor + 2], chunk[cursor + 3]])),
                ),
            };
            let data_at = cursor + header_len;
            let Some(data) = chunk.get(data_at..data_at + len) else {
                return Ok(Err(
                    "an object header message runs past its chunk".to_owned()
                ));
            };
            let data_file_at = start + data_at as u64;
            match kind {
                ATTRIBUTE => {
                    if let Some(name_at) = model_config_name(data) {
                        names.push(data_file_at + name_at as u64);
                    }
                }
                CONTINUATION => {
                    let (Some(Some(address)), Some(length)) = (
                        reader.address(data, 0),
                        uint(
                            data,
                            usize::from(reader.sizes.offsets),
                            reader.sizes.lengths,
                        ),
                    ) else {
                        return Ok(Err("an undefined continuation block".to_owned()));
                    };
                    chunks.push((address, address.saturating_add(length), version, true));
                }
                ATTRIBUTE_INFO => {
                    if let Err(reason) = dense_attributes(reader, data, names)? {
                        return Ok(Err(reason));
                    }
                }
                _ => {}
            }
            cursor = data_at + len;
        }
    }
    Ok(Ok(()))
}

/// Where the name starts inside an attribute message, if the name is `model_config`.
fn model_config_name(data: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"model_config\0";
    let version = *data.first()?;
    let name_len = usize::from(u16::from_le_bytes([*data.get(2)?, *data.get(3)?]));
    let at = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return None,
    };
    (name_len == NAME.len() && data.get(at..at + NAME.len())? == NAME).then_some(at)
}

/// Dense attribute storage: the attribute info message names a fractal heap whose managed
/// objects are attribute messages. Their direct blocks are searched for the name.
fn dense_attributes(
    reader: &mut Reader<'_>,
    info: &[u8],
    names: &mut Vec<u64>,
) -> io::Result<Walked> {
    let flags = info.get(1).copied().unwrap_or(0);
    let heap_field = 2 + if flags & 0x01 != 0 { 2 } else { 0 };
    let Some(heap) = reader.address(info, heap_field) else {
        return Ok(Err("a short attribute info message".to_owned()));
    };
    let Some(heap) = heap else {
        return Ok(Ok(()));
    };
    let o = usize::from(reader.sizes.offsets);
    let l = usize::from(reader.sizes.lengths);
    let header_len = 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8 * l + 2 + l + l + 2 + 2 + o + 2;
    let Some(header) = reader.read(heap, header_len as u64)? else {
        return Ok(Err("attribute heap past the end of the file".to_owned()));
    };
    if !header.starts_with(b"FRHP") || header[4] != 0 {
        return Ok(Err("no fractal heap where attributes should be".to_owned()));
    }
    let filters_len = u16::from_le_bytes([header[7], header[8]]);
    if filters_len != 0 {
        return Ok(Err("a filtered attribute heap".to_owned()));
    }
    let checksummed = header[9] & 0x02 != 0;
    let mut at = 14 + l; // after max managed size (4) and next huge id (L)
    at += o + l + o + l + l + l + l; // huge tree, free space, manager, managed, allocated, iterator, count
    let huge_objects = uint(&header, at + l, reader.sizes.lengths).unwrap_or(0);
    at += 4 * l; // huge size, huge count, tiny size, tiny count
    if huge_objects != 0 {
        return Ok(Err("attributes stored as huge heap objects".to_owned()));
    }
    let width = u64::from(u16::from_le_bytes([header[at], header[at + 1]]));
    at += 2;
    let start_size = uint(&header, at, reader.sizes.lengths).unwrap_or(0);
    at += l;
    let max_direct = uint(&header, at, reader.sizes.lengths).unwrap_or(0);
    at += l;
    let max_heap_bits = u16::from_le_bytes([header[at], header[at + 1]]);
    at += 2 + 2; // max heap size, starting rows
    let root = reader.address(&header, at).flatten();
    at += o;
    let rows = u16::from_le_bytes([header[at], header[at + 1]]);
    let Some(root) = root else {
        return Ok(Ok(()));
    };
    let offset_bytes = u64::from(max_heap_bits.div_ceil(8));
    let block_header = 5 + o as u64 + offset_bytes + if checksummed { 4 } else { 0 };
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    if rows == 0 {
        blocks.push((root, start_size));
    } else {
        // Root indirect block: rows × width child addresses, direct rows first.
        let direct_rows = {
            let mut size = start_size;
            let mut count = 0u64;
            for row in 0..u64::from(rows) {
                if row >= 2 {
                    size = size.saturating_mul(2);
                }
                if size > max_direct {
                    break;
                }
                count += 1;
            }
            count
        };
        if direct_rows < u64::from(rows) {
            return Ok(Err(
                "an attribute heap with indirect child blocks".to_owned()
            ));
        }
        let entries = u64::from(rows).saturating_mul(width);
        if entries > MAX_HEAP_ENTRIES {
            return Ok(Err(
                "an attribute heap index larger than gate reads".to_owned()
            ));
        }
        let table_at = 5 + o as u64 + offset_bytes;
        let Some(block) = reader.read(root, table_at + entries.saturating_mul(o as u64))? else {
            return Ok(Err(
                "attribute heap index past the end of the file".to_owned()
            ));
        };
        if !block.starts_with(b"FHIB") {
            return Ok(Err("no indirect block where the heap says".to_owned()));
        }
        for index in 0..entries {
            let row = index / width.max(1);
            let size = if row < 2 {
                start_size
            } else {
                start_size.saturating_mul(1u64 << (row - 1).min(62))
            };
            let field = usize::try_from(table_at + index * o as u64).unwrap_or(usize::MAX);
            if let Some(Some(address)) = reader.address(&block, field) {
                blocks.push((address, size));
            }
        }
    }
    let total = blocks
        .iter()
        .fold(0u64, |sum, (_, size)| sum.saturating_add(*size));
    if total > MAX_HEAP_BYTES {
        return Ok(Err("an attribute heap larger than gate reads".to_owned()));
    }
    for (address, size) in blocks {
        let Some(block) = reader.read(address, size)? else {
            return Ok(Err(
                "an attribute heap block past the end of the file".to_owned()
            ));
        };
        if !block.starts_with(b"FHDB") {
            return Ok(Err("no direct block where the heap says".to_owned()));
        }
        let body = usize::try_from(block_header)
            .unwrap_or(usize::MAX)
            .min(block.len());
        for found in memchr::memmem::find_iter(&block[body..], b"model_config\0") {
            names.push(address + (body + found) as u64);
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn root_of(rel: &str) -> Root {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        let size = std::fs::metadata(&path).unwrap().len();
        let mut file = ModelFile::new(std::fs::File::open(&path).unwrap());
        root_model_config(&mut file, size).unwrap()
    }

    #[test]
    fn the_walk_finds_the_root_attribute_in_every_layout() {
        for rel in [
            "formats/keras/model.h5",
            "models/keras/tf-keras.h5",
            "models/keras/keras3-legacy.h5",
            "models/keras/lambda.h5",
            "models/keras/lambda-vlen.h5",
            // libver latest: version 2 object header, attributes in a fractal heap.
            "models/keras/lambda-dense-storage.h5",
            "models/keras/real/functional.h5",
            "models/keras/real/lambda.h5",
        ] {
            match root_of(rel) {
                Root::Names(names) => assert_eq!(names.len(), 1, "{rel}"),
                Root::Unsupported(reason) => panic!("{rel}: {reason}"),
            }
        }
        assert_eq!(root_of("formats/hdf5/data.h5"), Root::Names(Vec::new()));
    }

    #[test]
    fn garbage_is_unsupported_not_trusted() {
        use std::io::Write;
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend([2u8, 8, 8, 0]);
        bytes.extend([0u8; 24]);
        bytes.extend(0xffff_u64.to_le_bytes());
        bytes.extend([0u8; 64]);
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let mut file = ModelFile::new(file);
        let root = root_model_config(&mut file, bytes.len() as u64).unwrap();
        assert!(matches!(root, Root::Unsupported(_)), "{root:?}");
    }
}
