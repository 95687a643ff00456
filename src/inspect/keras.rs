//! Keras: the model configuration Keras deserializes when it loads a model — `config.json` inside a
//! `.keras` zip, the `model_config` attribute of a legacy `.h5` file, and the node metadata of
//! `keras_metadata.pb` (see `tensorflow.rs`) — checked for `Lambda` layers (marshalled Python
//! bytecode), objects whose `module`/`registered_name` lie outside Keras and TensorFlow
//! (CVE-2025-1550), `get_file` (CVE-2025-8747), `enable_unsafe_deserialization` (CVE-2025-9906),
//! and built-in layers that load code or files: `TorchModuleWrapper` (an embedded torch pickle,
//! CVE-2025-49655), `TFSMLayer` (an outside SavedModel) and lookup layers whose `vocabulary` is a
//! file path (CVE-2025-12058).
//!
//! **HDF5 without libhdf5.** The root group's `model_config` attribute is located by `hdf5.rs`,
//! which walks the superblock, the root object header and, for dense attribute storage, the
//! attribute heap's direct blocks — metadata only, never dataset bytes. The attribute message is
//! then decoded here: versions 1–3 of the HDF5 attribute message, a fixed-length string (how
//! tf.keras writes it) or a variable-length string whose bytes sit in a global heap collection
//! (how h5py writes a Python `str`). When the layout is outside what the walk handles (filtered
//! or huge heap objects, deeper heaps, unknown versions), the fallback scans the whole file (in
//! 1 MiB windows, so memory stays constant) and decodes every attribute message named
//! `model_config` wherever it sits, which covers whichever one Keras would read.
//! Limits: a `model_config` stored with a filter, or as another type than a string, cannot be
//! decoded; then the file is reported as unreadable rather than passed. A file with no
//! `model_config` at all (weights saved with `save_weights`) has no configuration to check and
//! passes; a file that names `model_config` but holds no decodable attribute fails closed. Cost: the scan reads the
//! whole file once (`.h5` files are where legacy Keras keeps its config; there is no index).

use super::Fact;
use super::ModelFile;
use super::hdf5;
use super::model_facts::{KerasIssue, ModelFact};
use super::zip::{Entry as ZipEntry, ZipError};
use crate::le::{u16_at, u32_at};
use serde_json::Value;
use std::io::{self, Read, Seek, SeekFrom};

/// The largest configuration gate analyses (real ones are well under a few MiB).
const MAX_CONFIG: u64 = 64 * 1024 * 1024;
/// How many issues one file reports.
const MAX_ISSUES: usize = 64;
/// Top-level packages whose objects Keras may import from a configuration.
const KERAS_PACKAGES: &[&str] = &[
    "keras",
    "keras_hub",
    "keras_nlp",
    "keras_cv",
    "tf_keras",
    "tensorflow",
];

/// Checks a configuration held as JSON text, read as Python's `json` reads it (Keras writes
/// `Infinity` for unbounded values); text Python would not read is reported as malformed.
pub(super) fn check_json_text(text: &str, member: Option<&str>, facts: &mut Vec<Fact>) {
    match super::pyjson::parse(text) {
        Ok(value) => check_value(&value, member, facts),
        Err(error) => facts.push(Fact::Model(ModelFact::Malformed {
            format: "keras",
            problem: format!("the model configuration is not valid JSON: {error}"),
            member: member.map(str::to_owned),
            offset: None,
        })),
    }
}

/// Checks a parsed configuration.
pub(super) fn check_value(value: &Value, member: Option<&str>, facts: &mut Vec<Fact>) {
    let mut pointer = String::new();
    let mut found = 0usize;
    walk(value, &mut pointer, member, facts, &mut found);
}

/// Whether a JSON document is a serialized Keras object (`{"module": …, "class_name": …}`), as
/// KerasHub presets keep in their `config.json`.
pub(super) fn is_keras_object(value: &Value) -> bool {
    value.get("class_name").is_some_and(Value::is_string)
        && (value.get("module").is_some() || value.get("registered_name").is_some())
}

fn allowed_module(module: &str) -> bool {
    let package = module.split('.').next().unwrap_or(module);
    KERAS_PACKAGES.contains(&package)
}

fn is_get_file(text: &str) -> bool {
    text == "get_file" || text.ends_with(".get_file") || text.ends_with(">get_file")
}

fn walk(
    value: &Value,
    pointer: &mut String,
    member: Option<&str>,
    facts: &mut Vec<Fact>,
    found: &mut usize,
) {
    if *found >= MAX_ISSUES {
        return;
    }
    let mut report = |kind: KerasIssue, detail: String, pointer: &str, found: &mut usize| {
        *found += 1;
        facts.push(Fact::Model(ModelFact::KerasUnsafe {
            member: member.map(str::to_owned),
            pointer: if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.to_owned()
            },
            kind,
            detail,
        }));
    };
    match value {
        Value::Object(map) => {
            let class_name = map.get("class_name").and_then(Value::as_str);
            let layer_name = map
                .get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Some(class) = class_name
                && matches!(class, "Lambda" | "__lambda__")
            {
                let detail = if layer_name.is_empty() {
                    class.to_owned()
                } else {
                    format!("{class} layer `{layer_name}`")
                };
                report(KerasIssue::Lambda, detail, pointer, found);
                // Its contents (the bytecode, `module: __main__`) are the same finding.
                return;
            }
            // Built-in layers that load code or files from their config (Keras 3 refuses them
            // under `safe_mode` only since 3.11/3.12; older Keras and `safe_mode=False` load them).
            // The wrapper's pickle is base64 inside a JSON string, out of the pickle engine's
            // reach, so the layer itself is reported.
            if let Some(class) = class_name {
                let config = map.get("config");
                let is_path = |key: &str| {
                    config
                        .and_then(|c| c.get(key))
                        .is_some_and(Value::is_string)
                };
                let issue = match class {
                    "TorchModuleWrapper" => Some(KerasIssue::TorchModule),
                    "TFSMLayer" => Some(KerasIssue::ExternalModel),
                    "StringLookup" | "IntegerLookup" | "TextVectorization" | "IndexLookup"
                        if is_path("vocabulary") || is_path("idf_weights") =>
                    {
                        Some(KerasIssue::FileVocabulary)
                    }
                    _ => None,
                };
                if let Some(issue) = issue {
                    let detail = if layer_name.is_empty() {
                        class.to_owned()
                    } else {
                        format!("{class} layer `{layer_name}`")
                    };
                    report(issue, detail, pointer, found);
                }
            }
            let names_get_file = ["class_name", "config", "registered_name"]
                .iter()
                .any(|key| {
                    map.get(*key)
                        .and_then(Value::as_str)
                        .is_some_and(is_get_file)
                });
            if names_get_file {
                let origin = map
                    .values()
                    .find_map(|v| v.get("origin").and_then(Value::as_str))
                    .map(|url| format!(" (origin {url})"))
                    .unwrap_or_default();
                report(
                    KerasIssue::GetFile,
                    format!("{}{origin}", class_name.unwrap_or("get_file")),
                    pointer,
                    found,
                );
            }
            if let Some(class) = class_name {
                let module = map.get("module").and_then(Value::as_str);
                let registered = map.get("registered_name").and_then(Value::as_str);
                if let Some(module) = module
                    && !allowed_module(module)
                {
                    report(
                        KerasIssue::ModuleOutsideKeras,
                        format!("{module}.{class}"),
                        pointer,
                        found,
                    );
                } else if let Some((package, _)) = registered.and_then(|r| r.split_once('>'))
                    && !allowed_module(package)
                    && module.is_none_or(|m| !allowed_module(m))
                {
                    report(
                        KerasIssue::CustomObject,
                        registered.unwrap_or_default().to_owned(),
                        pointer,
                        found,
                    );
                }
            }
            for (key, child) in map {
                if names_get_file
                    && child.is_string()
                    && matches!(key.as_str(), "class_name" | "config" | "registered_name")
                {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                walk(child, pointer, member, facts, found);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                walk(child, pointer, member, facts, found);
                pointer.truncate(len);
            }
        }
        Value::String(text) => {
            if is_get_file(text) {
                report(KerasIssue::GetFile, text.clone(), pointer, found);
            } else if text.contains("enable_unsafe_deserialization") {
                report(
                    KerasIssue::UnsafeDeserialization,
                    text.chars().take(120).collect(),
                    pointer,
                    found,
                );
            }
        }
        _ => {}
    }
}

/// A `.keras` zip: every member named `config.json` (Keras reads the root one; duplicates are
/// all checked, since Python's zipfile picks the last).
pub(super) fn inspect_zip(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let mut facts = Vec::new();
    let bad = |problem: String, member: Option<&str>| {
        Fact::Model(ModelFact::Malformed {
            format: "keras",
            problem,
            member: member.map(str::to_owned),
            offset: None,
        })
    };
    let configs = match zip_entries(file, size, "config.json")? {
        Ok(entries) => entries,
        Err(problem) => {
            facts.push(bad(problem.to_owned(), None));
            return Ok(facts);
        }
    };
    if configs.is_empty() {
        facts.push(bad("the archive has no config.json".to_owned(), None));
    }
    for entry in &configs {
        match read_member(file, size, entry)? {
            Ok(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => check_json_text(text, Some(&entry.name), &mut facts),
                Err(_) => facts.push(bad(
                    "config.json is not UTF-8".to_owned(),
                    Some(&entry.name),
                )),
            },
            Err(problem) => facts.push(bad(problem, Some(&entry.name))),
        }
    }
    Ok(facts)
}

/// The central directory entries named `wanted`, as any loader could list them (the shared
/// zip reader); only matching entries are kept.
fn zip_entries(
    file: &mut ModelFile,
    size: u64,
    wanted: &str,
) -> io::Result<Result<Vec<ZipEntry>, &'static str>> {
    let mut read_at = |buf: &mut [u8], at: u64| {
        file.seek(SeekFrom::Start(at))?;
        file.read_exact(buf)
    };
    Ok(match super::zip::list(size, &mut read_at) {
        Ok(entries) => Ok(entries.into_iter().filter(|e| e.name == wanted).collect()),
        Err(ZipError::Io(error)) if error.kind() == io::ErrorKind::TimedOut => return Err(error),
        Err(ZipError::NoDirectory) => Err("no zip end-of-central-directory record"),
        Err(ZipError::DirectoryOutside) => Err("a central directory out of bounds"),
        Err(ZipError::DirectoryTooLarge) => Err("a central directory too large to read"),
        Err(ZipError::Io(_)) => Err("a central directory that cannot be read"),
    })
}

fn read_member(
    file: &mut ModelFile,
    size: u64,
    entry: &ZipEntry,
) -> io::Result<Result<Vec<u8>, String>> {
    if entry.flags & 1 != 0 {
        return Ok(Err("config.json is encrypted".to_owned()));
    }
    if entry.uncompressed > MAX_CONFIG {
        return Ok(Err(format!(
            "config.json is larger than {MAX_CONFIG} bytes and was not analysed"
        )));
    }
    let mut local = [0u8; 30];
    file.seek(SeekFrom::Start(entry.local_offset))?;
    if file.read_exact(&mut local).is_err() || !local.starts_with(b"PK\x03\x04") {
        return Ok(Err("config.json has no local header".to_owned()));
    }
    let data_at =
        entry.local_offset + 30 + u64::from(u16_at(&local, 26)) + u64::from(u16_at(&local, 28));
    if data_at.saturating_add(entry.compressed) > size {
        return Ok(Err(
            "config.json runs past the end of the archive".to_owned()
        ));
    }
    file.seek(SeekFrom::Start(data_at))?;
    let raw = file.by_ref().take(entry.compressed);
    let mut out = Vec::new();
    let limit = MAX_CONFIG + 1;
    let result = match entry.method {
        0 => raw.take(limit).read_to_end(&mut out),
        8 => flate2::read::DeflateDecoder::new(raw)
            .take(limit)
            .read_to_end(&mut out),
        other => {
            return Ok(Err(format!(
                "config.json uses compression method {other}, which Keras cannot read"
            )));
        }
    };
    if let Err(error) = result {
        return Ok(Err(format!("config.json cannot be decompressed: {error}")));
    }
    if out.len() as u64 > MAX_CONFIG {
        return Ok(Err(format!(
            "config.json is larger than {MAX_CONFIG} bytes and was not analysed"
        )));
    }
    Ok(Ok(out))
}

/// HDF5: checks the root group's `model_config` attribute, found by walking the file's metadata;
/// when the layout is outside what that walk handles, by scanning the whole file.
pub(super) fn inspect_h5(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let sizes = hdf5::superblock(file, size)?.map(|(sizes, _)| sizes);
    match (hdf5::root_model_config(file, size)?, sizes) {
        (hdf5::Root::Names(names), Some(sizes)) => {
            let mut facts = Vec::new();
            for at in names {
                match decode_attribute(file, size, at, (sizes.offsets, sizes.lengths, sizes.base))?
                {
                    Decoded::Text(text) => check_json_text(&text, None, &mut facts),
                    Decoded::Unreadable(problem) => facts.push(Fact::Model(ModelFact::Malformed {
                        format: "keras",
                        problem: format!(
                            "the `model_config` attribute cannot be decoded: {problem}"
                        ),
                        member: None,
                        offset: Some(at),
                    })),
                    Decoded::NotAnAttribute => facts.push(Fact::Model(ModelFact::Malformed {
                        format: "keras",
                        problem: "the `model_config` attribute message is malformed".to_owned(),
                        member: None,
                        offset: Some(at),
                    })),
                }
            }
            Ok(facts)
        }
        (root, _) => {
            tracing::debug!(?root, "HDF5 metadata walk gave up; scanning the whole file");
            scan_h5(file, size)
        }
    }
}

/// The complete fallback: every `model_config` attribute message anywhere in the file.
fn scan_h5(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    const NAME: &[u8] = b"model_config\0";
    const WINDOW: usize = 1024 * 1024;
    const MAX_CANDIDATES: usize = 256;
    let finder = memchr::memmem::Finder::new(NAME);
    let mut hits = Vec::new();
    let mut too_many = false;
    let mut buffer = vec![0u8; WINDOW + NAME.len()];
    let mut kept = 0usize;
    let mut base = 0u64;
    file.seek(SeekFrom::Start(0))?;
    loop {
        let read = file.read(&mut buffer[kept..])?;
        let filled = kept + read;
        for at in finder.find_iter(&buffer[..filled]) {
            let absolute = base + at as u64;
            if hits.last() != Some(&absolute) {
                if hits.len() < MAX_CANDIDATES {
                    hits.push(absolute);
                } else {
                    too_many = true;
                }
            }
        }
        if read == 0 {
            break;
        }
        // Keep the last bytes so a name cut by the window edge is still found.
        let keep = (NAME.len() - 1).min(filled);
        buffer.copy_within(filled - keep..filled, 0);
        base += (filled - keep) as u64;
        kept = keep;
    }
    let first_hit = hits.first().copied();
    let mut facts = Vec::new();
    if too_many {
        facts.push(Fact::Model(ModelFact::Malformed {
            format: "keras",
            problem: format!(
                "the name `model_config` appears more than {MAX_CANDIDATES} times; not all were decoded"
            ),
            member: None,
            offset: first_hit,
        }));
    }
    let sizes = superblock_sizes(file)?;
    let mut decoded = 0usize;
    let mut failures = Vec::new();
    for at in hits {
        match decode_attribute(file, size, at, sizes)? {
            Decoded::NotAnAttribute => {}
            Decoded::Text(text) => {
                decoded += 1;
                check_json_text(&text, None, &mut facts);
            }
            Decoded::Unreadable(problem) => failures.push((at, problem)),
        }
    }
    for (at, problem) in failures {
        facts.push(Fact::Model(ModelFact::Malformed {
            format: "keras",
            problem: format!("the `model_config` attribute cannot be decoded: {problem}"),
            member: None,
            offset: Some(at),
        }));
    }
    if decoded == 0
        && !facts
            .iter()
            .any(|f| matches!(f, Fact::Model(ModelFact::Malformed { .. })))
        && let Some(first) = first_hit
    {
        facts.push(Fact::Model(ModelFact::Malformed {
            format: "keras",
            problem: "the name `model_config` appears but no attribute holding it could be decoded"
                .to_owned(),
            member: None,
            offset: Some(first),
        }));
    }
    Ok(facts)
}

/// (size of offsets, size of lengths, base address) from the superblock.
fn superblock_sizes(file: &mut ModelFile) -> io::Result<(u8, u8, u64)> {
    const SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
    for base in [0u64, 512, 1024, 2048, 4096, 8192, 16384, 32768] {
        let mut head = [0u8; 16];
        file.seek(SeekFrom::Start(base))?;
        if file.read_exact(&mut head).is_err() || !head.starts_with(SIGNATURE) {
            continue;
        }
        return Ok(match head[8] {
            0 | 1 => (head[13], head[14], base),
            _ => (head[9], head[10], base),
        });
    }
    Ok((8, 8, 0))
}

enum Decoded {
    NotAnAttribute,
    Text(String),
    Unreadable(String),
}

fn read_at(file: &mut ModelFile, at: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
    let mut out = vec![0u8; len];
    file.seek(SeekFrom::Start(at))?;
    Ok(file.read_exact(&mut out).ok().map(|()| out))
}

/// Decodes the attribute message whose name starts at `name_at`, if the bytes before it are an
/// attribute message header for a 13-byte name.
fn decode_attribute(
    file: &mut ModelFile,
    size: u64,
    name_at: u64,
    (offset_size, length_size, base): (u8, u8, u64),
) -> io::Result<Decoded> {
    const NAME_LEN: u64 = 13;
    let pad8 = |n: u64| n.div_ceil(8) * 8;
    // Try the v3 layout (9 header bytes) then v1/v2 (8 header bytes).
    let mut header = None;
    for (back, version) in [(9u64, 3u8), (8, 1), (8, 2)] {
        let Some(start) = name_at.checked_sub(back) else {
            continue;
        };
        let Some(raw) = read_at(file, start, 8)? else {
            continue;
        };
        if raw[0] == version && u16_at(&raw, 2) == NAME_LEN as u16 && (version != 1 || raw[1] == 0)
        {
            header = Some((
                version,
                u64::from(u16_at(&raw, 4)),
                u64::from(u16_at(&raw, 6)),
            ));
            break;
        }
    }
    let Some((version, datatype_len, dataspace_len)) = header else {
        return Ok(Decoded::NotAnAttribute);
    };
    let (datatype_at, dataspace_at, data_at) = if version == 1 {
        let dt = name_at + pad8(NAME_LEN);
        let ds = dt + pad8(datatype_len);
        (dt, ds, ds + pad8(dataspace_len))
    } else {
        let dt = name_at + NAME_LEN;
        let ds = dt + datatype_len;
        (dt, ds, ds + dataspace_len)
    };
    if !(8..=4096).contains(&datatype_len) || dataspace_len > 4096 {
        return Ok(Decoded::Unreadable(
            "an attribute header out of range".to_owned(),
        ));
    }
    let (Some(datatype), Some(dataspace)) = (
        read_at(
            file,
            datatype_at,
            usize::try_from(datatype_len).unwrap_or(0),
        )?,
        read_at(
            file,
            dataspace_at,
            usize::try_from(dataspace_len).unwrap_or(0),
        )?,
    ) else {
        return Ok(Decoded::Unreadable(
            "the attribute runs past the end of the file".to_owned(),
        ));
    };
    // Dataspace: version 1 (8-byte header) or 2 (4-byte header); rank must be 0 (scalar) or 1
    // with one element.
    let rank = dataspace.get(1).copied().unwrap_or(0);
    let elements = if rank == 0 {
        1
    } else {
        let dims_at = if dataspace[0] == 1 { 8 } else { 4 };
        let mut product = 1u64;
        for d in 0..usize::from(rank) {
            let at = dims_at + d * usize::from(length_size);
            product = product.saturating_mul(read_uint(&dataspace, at, length_size));
        }
        product
    };
    if elements != 1 {
        return Ok(Decoded::Unreadable(format!(
            "an array of {elements} elements, not one string"
        )));
    }
    let class = datatype[0] & 0x0f;
    let element_size = u64::from(u32_at(&datatype, 4));
    match class {
        // Fixed-length string.
        3 => {
            if element_size > MAX_CONFIG || data_at.saturating_add(element_size) > size {
                return Ok(Decoded::Unreadable(
                    "a string past the end of the file".to_owned(),
                ));
            }
            let Some(raw) = read_at(file, data_at, usize::try_from(element_size).unwrap_or(0))?
            else {
                return Ok(Decoded::Unreadable(
                    "a string past the end of the file".to_owned(),
                ));
            };
            let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
            Ok(text_of(&raw[..end]))
        }
        // Variable-length string: length, global heap collection address, object index.
        9 => {
            let reference_len = 4 + usize::from(offset_size) + 4;
            let Some(reference) = read_at(file, data_at, reference_len)? else {
                return Ok(Decoded::Unreadable(
                    "a reference past the end of the file".to_owned(),
                ));
            };
            let length = u64::from(u32_at(&reference, 0));
            let collection = read_uint(&reference, 4, offset_size).saturating_add(base);
            let index = u32_at(&reference, 4 + usize::from(offset_size));
            global_heap_object(file, size, collection, index, length, length_size)
        }
        other => Ok(Decoded::Unreadable(format!(
            "stored as HDF5 datatype class {other}, not a string"
        ))),
    }
}

fn read_uint(bytes: &[u8], at: usize, width: u8) -> u64 {
    let mut value = 0u64;
    for i in 0..usize::from(width.min(8)) {
        value |= u64::from(bytes.get(at + i).copied().unwrap_or(0)) << (8 * i);
    }
    value
}

fn text_of(bytes: &[u8]) -> Decoded {
    match std::str::from_utf8(bytes) {
        Ok(text) => Decoded::Text(text.to_owned()),
        Err(_) => Decoded::Unreadable("not UTF-8 text".to_owned()),
    }
}

/// Reads object `index` of the global heap collection at `collection`.
fn global_heap_object(
    file: &mut ModelFile,
    size: u64,
    collection: u64,
    index: u32,
    length: u64,
    length_size: u8,
) -> io::Result<Decoded> {
    let unreadable = |p: &str| Ok(Decoded::Unreadable(p.to_owned()));
    if length > MAX_CONFIG {
        return unreadable("a string larger than gate analyses");
    }
    let Some(head) = read_at(file, collection, 8 + usize::from(length_size))? else {
        return unreadable("a global heap past the end of the file");
    };
    if !head.starts_with(b"GCOL") {
        return unreadable("no global heap collection where the string points");
    }
    let collection_size = read_uint(&head, 8, length_size);
    let end = collection.saturating_add(collection_size).min(size);
    let mut at = collection.saturating_add(8 + u64::from(length_size));
    let object_head = 8 + usize::from(length_size);
    let mut visited = 0u32;
    while at.saturating_add(object_head as u64) <= end && visited < 65_536 {
        visited += 1;
        let Some(raw) = read_at(file, at, object_head)? else {
            break;
        };
        let object_index = u16_at(&raw, 0);
        let object_size = read_uint(&raw, 8, length_size);
        if object_index == 0 {
            break;
        }
        let data_at = at + object_head as u64;
        if u32::from(object_index) == index {
            if object_size < length || data_at.saturating_add(length) > end {
                return unreadable("a heap object shorter than its string");
            }
            let Some(bytes) = read_at(file, data_at, usize::try_from(length).unwrap_or(0))? else {
                return unreadable("a heap object past the end of the file");
            };
            return Ok(text_of(&bytes));
        }
        // A size claim near 2^64 must end the walk, not wrap it back.
        at = data_at.saturating_add(object_size.div_ceil(8).saturating_mul(8));
    }
    unreadable("the string's heap object is missing")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Inspects a file the fuzzer found (`tests/fixtures/fuzz/`): it must end, not panic.
    fn inspect_fuzz_input(name: &str) -> Vec<Fact> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz")
            .join(name);
        let size = std::fs::metadata(&path).unwrap().len();
        let mut file = ModelFile::new(std::fs::File::open(path).unwrap());
        inspect_h5(&mut file, size).unwrap_or_default()
    }

    /// A global heap object whose size is near 2^64 overflowed the walk to the next object.
    #[test]
    fn keras_crash_0a6f66e8_heap_object_size_near_2_pow_64() {
        let _ = inspect_fuzz_input("keras-crash-0a6f66e8.h5");
    }

    #[test]
    fn keras_crash_55394914_heap_object_size_near_2_pow_64() {
        let _ = inspect_fuzz_input("keras-crash-55394914.h5");
    }

    fn kinds(json: &str) -> Vec<(KerasIssue, String)> {
        let mut facts = Vec::new();
        check_json_text(json, None, &mut facts);
        facts
            .into_iter()
            .filter_map(|f| match f {
                Fact::Model(ModelFact::KerasUnsafe { kind, pointer, .. }) => Some((kind, pointer)),
                _ => None,
            })
            .collect()
    }

    fn h5(bytes: &[u8]) -> Vec<Fact> {
        use std::io::Write;
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        let mut file = ModelFile::new(file);
        inspect_h5(&mut file, bytes.len() as u64).unwrap()
    }

    fn problems(facts: &[Fact]) -> Vec<String> {
        facts
            .iter()
            .filter_map(|f| match f {
                Fact::Model(ModelFact::Malformed { problem, .. }) => Some(problem.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn h5_names_that_cannot_be_decoded_fail_closed() {
        let mut decoys = b"\x89HDF\r\n\x1a\n".to_vec();
        decoys.extend([0u8; 64]);
        let one = [decoys.clone(), b"model_config\0".to_vec(), vec![0; 32]].concat();
        assert_eq!(
            problems(&h5(&one)),
            ["the name `model_config` appears but no attribute holding it could be decoded"]
        );
        for _ in 0..300 {
            decoys.extend(b"xxmodel_config\0");
        }
        assert!(problems(&h5(&decoys))[0].contains("more than 256 times"));
        // No `model_config` at all (weights only): nothing to check.
        assert!(h5(b"\x89HDF\r\n\x1a\n plain data").is_empty());
    }

    #[test]
    fn configurations_are_judged() {
        let lambda = r#"{"class_name":"Sequential","config":{"layers":[{"class_name":"Lambda","config":{"name":"l","function":["4wEA",null,null],"module":"__main__"}}]}}"#;
        assert_eq!(
            kinds(lambda),
            [(KerasIssue::Lambda, "/config/layers/0".to_owned())]
        );
        let module = r#"{"module":"keras.layers","class_name":"Dense","config":{"activation":{"module":"os","class_name":"function","config":"system","registered_name":null}}}"#;
        assert_eq!(
            kinds(module),
            [(
                KerasIssue::ModuleOutsideKeras,
                "/config/activation".to_owned()
            )]
        );
        let get_file = r#"{"module":"keras.utils","class_name":"function","config":"get_file"}"#;
        assert_eq!(kinds(get_file)[0].0, KerasIssue::GetFile);
        let custom = r#"{"module":null,"class_name":"MyLayer","config":{},"registered_name":"Custom>MyLayer"}"#;
        assert_eq!(kinds(custom)[0].0, KerasIssue::CustomObject);
        let benign = r#"{"module":"keras","class_name":"Sequential","config":{"layers":[{"module":"keras.layers","class_name":"Dense","config":{"name":"dense"},"registered_name":null}]},"registered_name":null}"#;
        assert!(kinds(benign).is_empty());
    }
}
