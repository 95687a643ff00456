//! ONNX: walks the `ModelProto` (main graph, training graphs, model-local functions, and every
//! graph nested in node attributes) for tensors stored as external data and for nodes in operator
//! domains that need a custom operator library. Initializers in sparse tensors and tensors in
//! attributes count too. Tensor bytes are skipped, never read.

use super::Fact;
use super::ModelFile;
use super::model_facts::ModelFact;
use super::protowire::{Wire, WireError, WireType};
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// Graphs nested deeper than this (If/Loop bodies inside bodies …) are refused.
const MAX_DEPTH: u32 = 64;
/// Names and locations are kept up to this many bytes.
const MAX_TEXT: usize = 4096;

/// Operator domains that onnxruntime and onnx implement themselves.
fn is_standard_domain(domain: &str) -> bool {
    domain.is_empty()
        || domain == "ai.onnx"
        || domain.starts_with("ai.onnx.")
        || domain == "com.microsoft"
        || domain.starts_with("com.microsoft.")
}

#[derive(Default)]
struct Walk {
    external: Vec<ModelFact>,
    /// domain → (op types, node count, first offset).
    custom: BTreeMap<String, (BTreeSet<String>, usize, u64)>,
    /// (domain, name) of functions defined in the model itself.
    local_functions: BTreeSet<(String, String)>,
}

pub(super) fn inspect(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let mut wire = Wire::new(file)?;
    let mut walk = Walk::default();
    let mut facts = Vec::new();
    if let Err(error) = model(&mut wire, size, &mut walk) {
        match error {
            WireError::Io(error) => return Err(error),
            WireError::Malformed { offset, problem } => {
                facts.push(Fact::Model(ModelFact::Malformed {
                    format: "onnx",
                    problem: problem.to_owned(),
                    member: None,
                    offset: Some(offset),
                }));
            }
        }
    }
    facts.extend(walk.external.into_iter().map(Fact::Model));
    for (domain, (op_types, nodes, offset)) in walk.custom {
        let op_types: Vec<String> = op_types
            .into_iter()
            .filter(|op| !walk.local_functions.contains(&(domain.clone(), op.clone())))
            .collect();
        if !op_types.is_empty() {
            facts.push(Fact::Model(ModelFact::OnnxCustomDomain {
                domain,
                op_types,
                nodes,
                offset,
            }));
        }
    }
    Ok(facts)
}

fn model(wire: &mut Wire<&mut ModelFile>, end: u64, walk: &mut Walk) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (7, WireType::Len) => {
                let sub = wire.len_end(end)?;
                graph(wire, sub, walk, 0)?;
            }
            // TrainingInfoProto: initialization (1) and algorithm (2) graphs.
            (20, WireType::Len) => {
                let sub = wire.len_end(end)?;
                while let Some(inner) = wire.next_field(sub)? {
                    match (inner.number, inner.wire) {
                        (1 | 2, WireType::Len) => {
                            let g = wire.len_end(sub)?;
                            graph(wire, g, walk, 1)?;
                        }
                        _ => wire.skip(inner, sub)?,
                    }
                }
            }
            (25, WireType::Len) => {
                let sub = wire.len_end(end)?;
                function(wire, sub, walk)?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

fn function(wire: &mut Wire<&mut ModelFile>, end: u64, walk: &mut Walk) -> Result<(), WireError> {
    let mut name = String::new();
    let mut domain = String::new();
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => name = wire.string(end, MAX_TEXT)?.0,
            (10, WireType::Len) => domain = wire.string(end, MAX_TEXT)?.0,
            (7, WireType::Len) => {
                let sub = wire.len_end(end)?;
                node(wire, sub, walk, 1)?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    walk.local_functions.insert((domain, name));
    Ok(())
}

fn graph(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
    depth: u32,
) -> Result<(), WireError> {
    if depth > MAX_DEPTH {
        return Err(WireError::Malformed {
            offset: wire.position(),
            problem: "graphs nested deeper than 64 levels",
        });
    }
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => {
                let sub = wire.len_end(end)?;
                node(wire, sub, walk, depth)?;
            }
            (5, WireType::Len) => tensor_field(wire, end, walk)?,
            (15, WireType::Len) => sparse_field(wire, end, walk)?,
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

fn node(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
    depth: u32,
) -> Result<(), WireError> {
    let at = wire.position();
    let mut op_type = String::new();
    let mut domain = String::new();
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (4, WireType::Len) => op_type = wire.string(end, MAX_TEXT)?.0,
            (7, WireType::Len) => domain = wire.string(end, MAX_TEXT)?.0,
            (5, WireType::Len) => {
                let sub = wire.len_end(end)?;
                attribute(wire, sub, walk, depth)?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    if !is_standard_domain(&domain) {
        let entry = walk
            .custom
            .entry(domain)
            .or_insert_with(|| (BTreeSet::new(), 0, at));
        if entry.0.len() < 64 {
            entry.0.insert(op_type);
        }
        entry.1 += 1;
    }
    Ok(())
}

fn attribute(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
    depth: u32,
) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (5 | 10, WireType::Len) => tensor_field(wire, end, walk)?,
            (6 | 11, WireType::Len) => {
                let sub = wire.len_end(end)?;
                graph(wire, sub, walk, depth + 1)?;
            }
            (22 | 23, WireType::Len) => sparse_field(wire, end, walk)?,
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

fn sparse_field(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
) -> Result<(), WireError> {
    let sub = wire.len_end(end)?;
    while let Some(field) = wire.next_field(sub)? {
        match (field.number, field.wire) {
            (1 | 2, WireType::Len) => tensor_field(wire, sub, walk)?,
            _ => wire.skip(field, sub)?,
        }
    }
    Ok(())
}

/// A `TensorProto` field: its name and `external_data` `location`.
fn tensor_field(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
) -> Result<(), WireError> {
    let sub = wire.len_end(end)?;
    let at = wire.position();
    let mut name = String::new();
    let mut locations = Vec::new();
    while let Some(field) = wire.next_field(sub)? {
        match (field.number, field.wire) {
            (8, WireType::Len) => name = wire.string(sub, MAX_TEXT)?.0,
            (13, WireType::Len) => {
                if let Some(location) = location_entry(wire, sub)? {
                    locations.push(location);
                }
            }
            _ => wire.skip(field, sub)?,
        }
    }
    for location in locations {
        if let Some(problem) = location_problem(&location) {
            walk.external.push(ModelFact::OnnxExternalData {
                tensor: name.clone(),
                location,
                problem,
                offset: at,
            });
        }
    }
    Ok(())
}

/// A `StringStringEntryProto`; the value when the key is `location`.
fn location_entry(wire: &mut Wire<&mut ModelFile>, end: u64) -> Result<Option<String>, WireError> {
    let sub = wire.len_end(end)?;
    let mut key = String::new();
    let mut value = None;
    while let Some(field) = wire.next_field(sub)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => key = wire.string(sub, MAX_TEXT)?.0,
            (2, WireType::Len) => {
                let (text, cut) = wire.string(sub, MAX_TEXT)?;
                // A cut location is judged on what was kept, marked so nobody mistakes it.
                value = Some(if cut { format!("{text}…") } else { text });
            }
            _ => wire.skip(field, sub)?,
        }
    }
    Ok(value.filter(|_| key == "location"))
}

/// Why an external data location would leave the model's folder (onnx resolves it relative to
/// the model file; CVE-2022-25882 and CVE-2024-27318 are traversals through it).
pub(crate) fn location_problem(location: &str) -> Option<&'static str> {
    let bytes = location.as_bytes();
    if location.contains('\0') {
        return Some("contains a NUL byte");
    }
    // onnxruntime's in-memory tag (`kTensorProtoMemoryAddressTag`, `*/_ORT_MEM_ADDR_/*`) makes
    // it skip path resolution and read `offset` as a raw memory address.
    if location.contains("_ORT_MEM_ADDR_") {
        return Some("is onnxruntime's in-memory address tag (reads process memory)");
    }
    if location.starts_with('/') || location.starts_with('\\') {
        return Some("is an absolute path");
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("is an absolute Windows path");
    }
    if location.starts_with('~') {
        return Some("starts at a home folder");
    }
    if location.split(['/', '\\']).any(|part| part == "..") {
        return Some("climbs out of the model's folder with `..`");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::location_problem;

    #[test]
    fn locations_leaving_the_folder_are_refused() {
        for bad in [
            "/etc/passwd",
            "\\\\server\\share",
            "C:\\x",
            "../x",
            "a/../../x",
            "a\\..\\x",
            "~/.ssh/id_rsa",
            "a\0b",
        ] {
            assert!(location_problem(bad).is_some(), "{bad}");
        }
        for good in ["weights.bin", "data/model.onnx.data", "a..b", "..data"] {
            assert!(location_problem(good).is_none(), "{good}");
        }
    }
}
