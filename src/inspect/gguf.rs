//! GGUF (v1–v3, either byte order): walks the header, every metadata key/value and the tensor
//! infos with each count and length checked against the bytes left in the file, and analyses the
//! chat templates (`tokenizer.chat_template`, `tokenizer.chat_template.*`) as Jinja. Values are
//! skipped by seeking; only keys and chat templates are kept, and tensor data is never read.

use super::Fact;
use super::ModelFile;
use super::jinja;
use super::model_facts::ModelFact;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Templates longer than this are not analysed (real ones are a few KiB): fail closed instead.
const MAX_TEMPLATE: u64 = 1024 * 1024;
/// Keys longer than this are nonsense (llama.cpp's own keys are under 64 bytes).
const MAX_KEY: u64 = 64 * 1024;
/// Arrays of arrays are allowed by the format; deeper nesting than this is refused.
const MAX_ARRAY_DEPTH: u32 = 4;
/// GGML_MAX_DIMS.
const MAX_DIMS: u32 = 4;

struct Malformed {
    problem: String,
    offset: u64,
}

type Result<T> = std::result::Result<T, Malformed>;

struct Reader<'a> {
    inner: BufReader<&'a mut ModelFile>,
    position: u64,
    size: u64,
    big_endian: bool,
    /// v1 stores counts and lengths as u32.
    wide: bool,
}

impl Reader<'_> {
    fn bad(&self, problem: impl Into<String>) -> Malformed {
        Malformed {
            problem: problem.into(),
            offset: self.position,
        }
    }

    fn left(&self) -> u64 {
        self.size.saturating_sub(self.position)
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut raw = [0u8; N];
        if self.left() < N as u64 {
            return Err(self.bad("the file ends inside the header"));
        }
        self.inner
            .read_exact(&mut raw)
            .map_err(|e| self.bad(format!("read error: {e}")))?;
        self.position += N as u64;
        Ok(raw)
    }

    fn u32(&mut self) -> Result<u32> {
        let raw = self.bytes::<4>()?;
        Ok(if self.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        })
    }

    fn u64(&mut self) -> Result<u64> {
        let raw = self.bytes::<8>()?;
        Ok(if self.big_endian {
            u64::from_be_bytes(raw)
        } else {
            u64::from_le_bytes(raw)
        })
    }

    /// A count or length: u32 in v1, u64 later.
    fn count(&mut self) -> Result<u64> {
        if self.wide {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    fn skip(&mut self, len: u64) -> Result<()> {
        if len > self.left() {
            return Err(self.bad(format!(
                "a value of {len} bytes runs past the end of the file"
            )));
        }
        let delta = i64::try_from(len).map_err(|_| self.bad("a length out of range"))?;
        self.inner
            .seek_relative(delta)
            .map_err(|e| self.bad(format!("seek error: {e}")))?;
        self.position += len;
        Ok(())
    }

    /// A string: its length checked against the file, at most `cap` bytes kept (`None` when
    /// longer, having skipped it).
    fn string(&mut self, cap: u64) -> Result<Option<String>> {
        let at = self.position;
        let len = self.count()?;
        if len > self.left() {
            return Err(Malformed {
                problem: format!(
                    "a string length of {len} bytes exceeds the {} bytes left in the file",
                    self.left()
                ),
                offset: at,
            });
        }
        if len > cap {
            self.skip(len)?;
            return Ok(None);
        }
        let mut raw = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        (&mut self.inner)
            .take(len)
            .read_to_end(&mut raw)
            .map_err(|e| self.bad(format!("read error: {e}")))?;
        if raw.len() as u64 != len {
            return Err(self.bad("the file ends inside a string"));
        }
        self.position += len;
        Ok(Some(String::from_utf8_lossy(&raw).into_owned()))
    }

    /// Skips one value of `kind`, checking array counts against the bytes left.
    fn skip_value(&mut self, kind: u32, depth: u32) -> Result<()> {
        match fixed_size(kind) {
            Some(size) => self.skip(size),
            None if kind == STRING => self.string(0).map(|_| ()),
            None if kind == ARRAY => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(self.bad(format!(
                        "arrays nested deeper than {MAX_ARRAY_DEPTH} levels"
                    )));
                }
                let item = self.u32()?;
                let at = self.position;
                let count = self.count()?;
                let least = fixed_size(item).unwrap_or(if self.wide { 8 } else { 4 });
                if item != STRING && item != ARRAY && fixed_size(item).is_none() {
                    return Err(self.bad(format!("unknown array item type {item}")));
                }
                if count.saturating_mul(least) > self.left() {
                    return Err(Malformed {
                        problem: format!(
                            "an array of {count} items cannot fit in the {} bytes left in the file",
                            self.left()
                        ),
                        offset: at,
                    });
                }
                match fixed_size(item) {
                    Some(size) => self.skip(count * size),
                    None => {
                        for _ in 0..count {
                            self.skip_value(item, depth + 1)?;
                        }
                        Ok(())
                    }
                }
            }
            None => Err(self.bad(format!("unknown value type {kind}"))),
        }
    }
}

const STRING: u32 = 8;
const ARRAY: u32 = 9;

fn fixed_size(kind: u32) -> Option<u64> {
    Some(match kind {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        10..=12 => 8,
        _ => return None,
    })
}

pub(super) fn inspect(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = Reader {
        inner: BufReader::with_capacity(64 * 1024, file),
        position: 0,
        size,
        big_endian: false,
        wide: true,
    };
    let mut facts = Vec::new();
    if let Err(malformed) = walk(&mut reader, &mut facts) {
        facts.push(Fact::Model(ModelFact::Malformed {
            format: "gguf",
            problem: malformed.problem,
            member: None,
            offset: Some(malformed.offset),
        }));
    }
    Ok(facts)
}

fn walk(reader: &mut Reader<'_>, facts: &mut Vec<Fact>) -> Result<()> {
    let magic = reader.bytes::<4>()?;
    if &magic != b"GGUF" {
        return Err(reader.bad("no GGUF magic"));
    }
    let raw = reader.bytes::<4>()?;
    let version = match (u32::from_le_bytes(raw), u32::from_be_bytes(raw)) {
        (v @ 1..=3, _) => v,
        (_, v @ 1..=3) => {
            reader.big_endian = true;
            v
        }
        (v, _) => return Err(reader.bad(format!("unsupported GGUF version {v}"))),
    };
    reader.wide = version >= 2;
    let tensors = reader.count()?;
    let count_at = reader.position;
    let kvs = reader.count()?;
    // The smallest key/value: an empty key (length field), a type, a one-byte value.
    let least_kv = if reader.wide { 8 + 4 + 1 } else { 4 + 4 + 1 };
    if kvs.saturating_mul(least_kv) > reader.left() {
        return Err(Malformed {
            problem: format!(
                "{kvs} metadata entries cannot fit in the {} bytes left in the file",
                reader.left()
            ),
            offset: count_at,
        });
    }
    let least_tensor = if reader.wide {
        8 + 4 + 4 + 8
    } else {
        4 + 4 + 4 + 8
    };
    if tensors.saturating_mul(least_tensor) > reader.left() {
        return Err(Malformed {
            problem: format!(
                "{tensors} tensor infos cannot fit in the {} bytes left in the file",
                reader.left()
            ),
            offset: count_at,
        });
    }
    let mut alignment = 32u64;
    for _ in 0..kvs {
        let key_at = reader.position;
        let Some(key) = reader.string(MAX_KEY)? else {
            return Err(Malformed {
                problem: format!("a metadata key longer than {MAX_KEY} bytes"),
                offset: key_at,
            });
        };
        let kind = reader.u32()?;
        let value_at = reader.position;
        if key.starts_with("tokenizer.chat_template") && kind == STRING {
            match reader.string(MAX_TEMPLATE)? {
                Some(template) => {
                    let issues = jinja::analyse(&template);
                    if !issues.is_empty() {
                        facts.push(Fact::Model(ModelFact::UnsafeTemplate {
                            source: key,
                            offset: Some(value_at),
                            located_in_file: false,
                            issues,
                        }));
                    }
                }
                None => {
                    return Err(Malformed {
                        problem: format!(
                            "chat template `{key}` is longer than {MAX_TEMPLATE} bytes and was not analysed"
                        ),
                        offset: value_at,
                    });
                }
            }
        } else if key == "general.alignment" && kind == 4 {
            alignment = u64::from(reader.u32()?);
            if alignment == 0 || !alignment.is_power_of_two() {
                return Err(Malformed {
                    problem: format!("general.alignment {alignment} is not a power of two"),
                    offset: value_at,
                });
            }
        } else {
            reader.skip_value(kind, 0)?;
        }
    }
    let mut ends = Vec::new();
    for _ in 0..tensors {
        let info_at = reader.position;
        reader.string(MAX_KEY)?.ok_or_else(|| Malformed {
            problem: format!("a tensor name longer than {MAX_KEY} bytes"),
            offset: info_at,
        })?;
        let dims = reader.u32()?;
        if dims > MAX_DIMS {
            return Err(Malformed {
                problem: format!("a tensor with {dims} dimensions (at most {MAX_DIMS})"),
                offset: info_at,
            });
        }
        for _ in 0..dims {
            reader.count()?;
        }
        reader.u32()?;
        let offset = reader.u64()?;
        ends.push((info_at, offset));
    }
    let data_start = reader
        .position
        .div_ceil(alignment)
        .saturating_mul(alignment);
    for (info_at, offset) in ends {
        if offset % alignment != 0 || data_start.saturating_add(offset) > reader.size {
            return Err(Malformed {
                problem: format!(
                    "a tensor's data offset {offset} is misaligned or past the end of the file"
                ),
                offset: info_at,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A little-endian GGUF of `version` with the given raw key/value bytes.
    fn gguf(version: u32, kvs: u64, body: &[u8]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(version.to_le_bytes());
        if version == 1 {
            out.extend(0u32.to_le_bytes());
            out.extend(u32::try_from(kvs).unwrap().to_le_bytes());
        } else {
            out.extend(0u64.to_le_bytes());
            out.extend(kvs.to_le_bytes());
        }
        out.extend(body);
        out
    }

    fn string(wide: bool, text: &str) -> Vec<u8> {
        let mut out = if wide {
            (text.len() as u64).to_le_bytes().to_vec()
        } else {
            u32::try_from(text.len()).unwrap().to_le_bytes().to_vec()
        };
        out.extend(text.as_bytes());
        out
    }

    fn kv_string(wide: bool, key: &str, value: &str) -> Vec<u8> {
        let mut out = string(wide, key);
        out.extend(STRING.to_le_bytes());
        out.extend(string(wide, value));
        out
    }

    fn run(bytes: &[u8]) -> Vec<Fact> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        let mut file = ModelFile::new(file);
        inspect(&mut file, bytes.len() as u64).unwrap()
    }

    fn problem(facts: &[Fact]) -> Option<&str> {
        facts.iter().find_map(|f| match f {
            Fact::Model(ModelFact::Malformed { problem, .. }) => Some(problem.as_str()),
            _ => None,
        })
    }

    #[test]
    fn every_version_reads_its_templates() {
        for version in 1..=3u32 {
            let wide = version > 1;
            let body = [
                kv_string(wide, "general.name", "x"),
                kv_string(wide, "tokenizer.chat_template", "{{ x.__class__ }}"),
            ]
            .concat();
            let facts = run(&gguf(version, 2, &body));
            assert!(problem(&facts).is_none(), "v{version}: {facts:?}");
            assert!(
                matches!(&facts[..], [Fact::Model(ModelFact::UnsafeTemplate { source, .. })] if source == "tokenizer.chat_template"),
                "v{version}: {facts:?}"
            );
        }
    }

    #[test]
    fn nested_arrays_are_walked_and_bounded() {
        // An array of 2 arrays of 1 u32 each.
        let mut body = string(true, "a");
        body.extend(ARRAY.to_le_bytes());
        body.extend(ARRAY.to_le_bytes());
        body.extend(2u64.to_le_bytes());
        for _ in 0..2 {
            body.extend(4u32.to_le_bytes());
            body.extend(1u64.to_le_bytes());
            body.extend(7u32.to_le_bytes());
        }
        assert!(problem(&run(&gguf(3, 1, &body))).is_none());

        // Arrays nested deeper than the limit.
        let mut deep = string(true, "a");
        deep.extend(ARRAY.to_le_bytes());
        for _ in 0..8 {
            deep.extend(ARRAY.to_le_bytes());
            deep.extend(1u64.to_le_bytes());
        }
        deep.extend([0u8; 64]);
        let facts = run(&gguf(3, 1, &deep));
        assert!(
            problem(&facts).unwrap().contains("nested deeper"),
            "{facts:?}"
        );
    }

    #[test]
    fn nonsense_is_reported_not_trusted() {
        let mut unknown = string(true, "a");
        unknown.extend(99u32.to_le_bytes());
        unknown.extend([0u8; 16]);
        assert!(
            problem(&run(&gguf(3, 1, &unknown)))
                .unwrap()
                .contains("unknown value type 99")
        );

        let mut huge_array = string(true, "a");
        huge_array.extend(ARRAY.to_le_bytes());
        huge_array.extend(10u32.to_le_bytes());
        huge_array.extend(u64::MAX.to_le_bytes());
        assert!(
            problem(&run(&gguf(3, 1, &huge_array)))
                .unwrap()
                .contains("cannot fit")
        );

        let facts = run(b"GGUF\x07\x00\x00\x00");
        assert!(problem(&facts).unwrap().contains("version 7"));
        for len in 0..24 {
            let bytes = gguf(3, 1, &kv_string(true, "k", "v"));
            let _ = run(&bytes[..len.min(bytes.len())]);
        }
    }
}
