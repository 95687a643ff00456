//! safetensors: validates the header only — length bounds, UTF-8 JSON object, dtypes, shapes and
//! offsets (through the `safetensors` crate's own `Metadata` validation) — and that the tensors
//! end exactly at the end of the file. Tensor bytes are never read; bytes after the last tensor
//! are looked at only to say whether they hide a pickle (a polyglot).

use super::Fact;
use super::ModelFile;
use crate::pickle::{self, Shape};
use std::io::{self, Read, Seek, SeekFrom};

/// The largest header the reference implementation accepts (100 MB, `MAX_HEADER_SIZE`).
const MAX_HEADER_LEN: u64 = 100_000_000;

pub(super) fn inspect(file: &mut ModelFile, size: u64) -> io::Result<Fact> {
    let invalid = |problem: String, offset: u64| Fact::SafetensorsInvalid {
        problem,
        offset,
        trailing_pickle: false,
    };
    if size < 8 {
        return Ok(invalid(
            format!(
                "the file has {size} bytes; a safetensors file starts with an 8-byte header length"
            ),
            0,
        ));
    }
    let mut len_bytes = [0u8; 8];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut len_bytes)?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_LEN {
        return Ok(invalid(
            format!(
                "header length {header_len} exceeds the {MAX_HEADER_LEN}-byte limit loaders enforce"
            ),
            0,
        ));
    }
    if header_len + 8 > size {
        return Ok(invalid(
            format!("header length {header_len} runs past the end of the file ({size} bytes)"),
            0,
        ));
    }
    let mut header = vec![0u8; usize::try_from(header_len).unwrap_or(0)];
    file.read_exact(&mut header)?;
    let Ok(text) = std::str::from_utf8(&header) else {
        return Ok(invalid("the header is not valid UTF-8".to_owned(), 8));
    };
    if !text.starts_with('{') {
        return Ok(invalid("the header does not start with `{`".to_owned(), 8));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => {}
        Ok(_) => {
            return Ok(invalid(
                "the header is JSON but not an object".to_owned(),
                8,
            ));
        }
        Err(error) => return Ok(invalid(format!("the header is not valid JSON: {error}"), 8)),
    }
    let metadata = match serde_json::from_str::<safetensors::tensor::Metadata>(text) {
        Ok(metadata) => metadata,
        Err(error) => return Ok(invalid(explain(&error.to_string()), 8)),
    };
    let data_start = 8 + header_len;
    let data_len = metadata.data_len() as u64;
    let expected = data_start.saturating_add(data_len);
    if expected > size {
        return Ok(invalid(
            format!(
                "tensor data needs {data_len} bytes after the header but the file holds {}",
                size - data_start
            ),
            data_start,
        ));
    }
    if expected < size {
        let trailing = size - expected;
        let mut sample = Vec::new();
        file.seek(SeekFrom::Start(expected))?;
        file.take(64 * 1024).read_to_end(&mut sample)?;
        let trailing_pickle = !matches!(pickle::shape(&sample), Shape::Invalid { .. });
        let what = if trailing_pickle {
            ", and they form a pickle stream"
        } else {
            ""
        };
        return Ok(Fact::SafetensorsInvalid {
            problem: format!("{trailing} bytes follow the last tensor{what}"),
            offset: expected,
            trailing_pickle,
        });
    }
    Ok(Fact::SafetensorsHeader {
        tensors: metadata.tensors().len(),
        header_len,
    })
}

/// The crate's validation messages, said in the reader's terms.
fn explain(message: &str) -> String {
    if let Some(name) = message
        .strip_prefix("invalid offset for tensor ")
        .or_else(|| {
            message
                .split("`")
                .nth(1)
                .filter(|_| message.contains("offset"))
        })
    {
        return format!(
            "tensor `{}` has data_offsets that overlap another tensor, leave a gap, or run backwards",
            name.trim_matches('`')
        );
    }
    if message.contains("invalid shape, data type, or offset") {
        return "a tensor's shape and dtype do not match the size of its data_offsets".to_owned();
    }
    format!("invalid header: {message}")
}
