//! TensorFlow SavedModel (`saved_model.pb`): walks every meta graph's `GraphDef` nodes and every
//! function in its function library for ops that run Python or touch the file system (including
//! `PrintV2` to a `file://` stream and proto ops with a descriptor file). The checkpoint ops
//! (`SaveV2`, `RestoreV2`, …) every SavedModel carries are trusted only where the graph's
//! structure puts the saver, never because of a name the author chose:
//! - TF2: the functions called (through `f` attributes, or as the op itself) by the graph nodes
//!   the `SaverDef` names as its save tensor and restore op, and what those functions call — as
//!   long as nothing else calls them and nothing consumes those nodes;
//! - TF1: graph nodes under the `SaverDef`'s name scope (or a `save_N` scope of an extra saver),
//!   as long as no node outside the scope consumes one of them and no signature fetches one.
//!
//! Anywhere else they are reported (a graph that writes or reads checkpoints at inference time can
//! exfiltrate or plant files). Constant tensors are skipped.
//!
//! `keras_metadata.pb` (Keras objects saved with TF): each node's metadata JSON goes through the
//! Keras configuration checks.

use super::Fact;
use super::ModelFile;
use super::keras;
use super::model_facts::ModelFact;
use super::protowire::{Wire, WireError, WireType};
use std::io;

/// Ops that run Python or read, write or list files, whatever the graph does with them.
const UNSAFE_OPS: &[&str] = &[
    "PyFunc",
    "PyFuncStateless",
    "EagerPyFunc",
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "DeleteFile",
    "ShellExecute",
    "ImmutableConst",
    "WholeFileReader",
    "WholeFileReaderV2",
    "TextLineReader",
    "TextLineReaderV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "LMDBReader",
    "TextLineDataset",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "ExperimentalLMDBDataset",
    "LMDBDataset",
    "DatasetToTFRecord",
    "ExperimentalDatasetToTFRecord",
    "SaveDataset",
    "SaveDatasetV2",
    "LoadDataset",
    "SnapshotDataset",
    "SnapshotDatasetV2",
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    "DebugNanCount",
    "DebugNumericSummary",
    "CreateSummaryFileWriter",
    "CreateSummaryDbWriter",
    "WriteFileSummary",
    "CSVDataset",
    "CSVDatasetV2",
    "ExperimentalCSVDataset",
    "SqlDataset",
    "ExperimentalSqlDataset",
    "MatchingFilesDataset",
    "ExperimentalMatchingFilesDataset",
    "LoadAndRemapMatrix",
    "DistributedSave",
];

/// Ops that touch files only with some attribute values: (op, attribute, whether the value
/// reaches a file).
type AttributeCheck = (&'static str, &'static str, fn(&str) -> bool);

const FILE_ATTRIBUTES: &[AttributeCheck] = &[
    // `tf.print(output_stream="file://…")` appends to any file.
    ("PrintV2", "output_stream", |v| v.starts_with("file://")),
    // A descriptor source other than the built-in pool or inline bytes is a file read.
    ("DecodeProtoV2", "descriptor_source", reads_descriptor),
    ("EncodeProto", "descriptor_source", reads_descriptor),
];

fn reads_descriptor(value: &str) -> bool {
    !(value.is_empty() || value == "local://" || value.starts_with("bytes://"))
}

/// Checkpoint ops, expected only where the saver puts them.
const CHECKPOINT_OPS: &[&str] = &[
    "Save",
    "SaveV2",
    "SaveSlices",
    "Restore",
    "RestoreV2",
    "RestoreSlice",
    "MergeV2Checkpoints",
];

const MAX_TEXT: usize = 4096;
const MAX_METADATA: usize = 16 * 1024 * 1024;

/// Upper bound on nodes remembered for the saver's structure (each is a few short strings).
const MAX_NODES: usize = 1 << 20;

struct Node {
    name: String,
    op: String,
    function: Option<String>,
    offset: u64,
    /// Whether the op (or its attributes) touches files or runs Python.
    flagged: bool,
    /// Graph nodes only: the nodes it consumes (`name`, `name:1`, `^name` → `name`).
    inputs: Vec<String>,
    /// Functions it references in attributes (`f`, lists of functions).
    calls: Vec<String>,
}

#[derive(Default)]
struct Walk {
    nodes: Vec<Node>,
    functions: std::collections::HashSet<String>,
    saver_scopes: Vec<String>,
    /// The graph nodes the `SaverDef` names (save tensor, restore op, filename tensor).
    saver_nodes: Vec<String>,
    /// Nodes that signatures fetch or feed.
    signature_nodes: Vec<String>,
    /// More nodes than remembered: the saver's structure cannot be checked.
    overflow: bool,
}

/// The node a tensor or control-input name refers to.
fn node_of(tensor: &str) -> &str {
    let name = tensor.strip_prefix('^').unwrap_or(tensor);
    name.split(':').next().unwrap_or(name)
}

pub(super) fn inspect(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let mut wire = Wire::new(file)?;
    let mut walk = Walk::default();
    let mut facts = Vec::new();
    if let Err(error) = saved_model(&mut wire, size, &mut walk) {
        facts.push(malformed("tensorflow", error)?);
    }
    if walk.saver_scopes.is_empty() {
        walk.saver_scopes.push("save".to_owned());
    }
    let trusted = saver_owned(&walk);
    for (index, node) in walk.nodes.into_iter().enumerate() {
        if !node.flagged || (CHECKPOINT_OPS.contains(&node.op.as_str()) && trusted.contains(&index))
        {
            continue;
        }
        facts.push(Fact::Model(ModelFact::TensorflowOp {
            op: node.op,
            node: node.name,
            function: node.function,
            offset: node.offset,
        }));
    }
    Ok(facts)
}

/// A file named `saved_model.pb` that identification did not recognise: the walker says where it
/// breaks, or else that it is not a SavedModel.
pub(super) fn inspect_unidentified(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let mut facts = inspect(file, size)?;
    if !facts
        .iter()
        .any(|f| matches!(f, Fact::Model(ModelFact::Malformed { .. })))
    {
        facts.push(Fact::Model(ModelFact::Malformed {
            format: "tensorflow",
            problem: "named saved_model.pb but not a SavedModel protobuf".to_owned(),
            member: None,
            offset: None,
        }));
    }
    Ok(facts)
}

fn malformed(format: &'static str, error: WireError) -> io::Result<Fact> {
    match error {
        WireError::Io(error) => Err(error),
        WireError::Malformed { offset, problem } => Ok(Fact::Model(ModelFact::Malformed {
            format,
            problem: problem.to_owned(),
            member: None,
            offset: Some(offset),
        })),
    }
}

/// The indices of the checkpoint nodes that belong to the saver, by the graph's structure.
fn saver_owned(walk: &Walk) -> std::collections::HashSet<usize> {
    use std::collections::HashSet;
    let mut trusted = HashSet::new();
    if walk.overflow {
        return trusted;
    }
    let calls_of = |node: &Node| -> Vec<String> {
        let mut calls = node.calls.clone();
        if walk.functions.contains(&node.op) {
            calls.push(node.op.clone());
        }
        calls
    };
    let consumed: HashSet<&str> = walk
        .nodes
        .iter()
        .filter(|n| n.function.is_none())
        .flat_map(|n| n.inputs.iter().map(String::as_str))
        .chain(walk.signature_nodes.iter().map(String::as_str))
        .collect();
    // TF2: the functions the saver's own graph nodes call, and what they call in turn.
    let roots: Vec<usize> = walk
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.function.is_none() && walk.saver_nodes.contains(&n.name))
        .filter(|(_, n)| !consumed.contains(n.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let mut saver_functions: HashSet<String> = roots
        .iter()
        .flat_map(|&i| calls_of(&walk.nodes[i]))
        .collect();
    loop {
        let more: Vec<String> = walk
            .nodes
            .iter()
            .filter(|n| {
                n.function
                    .as_ref()
                    .is_some_and(|f| saver_functions.contains(f))
            })
            .flat_map(calls_of)
            .filter(|f| !saver_functions.contains(f))
            .collect();
        if more.is_empty() {
            break;
        }
        saver_functions.extend(more);
    }
    // A saver function that anything else calls runs outside the saver (with the caller's path).
    let called_elsewhere = walk.nodes.iter().enumerate().any(|(i, n)| {
        let inside = n
            .function
            .as_ref()
            .is_some_and(|f| saver_functions.contains(f));
        !inside && !roots.contains(&i) && calls_of(n).iter().any(|f| saver_functions.contains(f))
    });
    if !called_elsewhere {
        for (i, node) in walk.nodes.iter().enumerate() {
            if node
                .function
                .as_ref()
                .is_some_and(|f| saver_functions.contains(f))
            {
                trusted.insert(i);
            }
        }
    }
    // TF1: graph nodes under a saver scope that nothing outside the scope consumes.
    let scope_of = |name: &str| -> Option<String> {
        let (scope, _) = name.split_once('/')?;
        let numbered = scope
            .strip_prefix("save_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered {
            return Some(scope.to_owned());
        }
        walk.saver_scopes
            .iter()
            .filter(|s| name.starts_with(&format!("{s}/")))
            .max_by_key(|s| s.len())
            .cloned()
    };
    let mut leaked: HashSet<String> = HashSet::new();
    for node in walk.nodes.iter().filter(|n| n.function.is_none()) {
        let own = scope_of(&node.name);
        for input in &node.inputs {
            if let Some(scope) = scope_of(input)
                && own.as_ref() != Some(&scope)
            {
                leaked.insert(scope);
            }
        }
    }
    for fetched in &walk.signature_nodes {
        if let Some(scope) = scope_of(fetched) {
            leaked.insert(scope);
        }
    }
    for (i, node) in walk.nodes.iter().enumerate() {
        if node.function.is_none()
            && scope_of(&node.name).is_some_and(|scope| !leaked.contains(&scope))
        {
            trusted.insert(i);
        }
    }
    trusted
}

fn saved_model(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (2, WireType::Len) => {
                let sub = wire.len_end(end)?;
                meta_graph(wire, sub, walk)?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

fn meta_graph(wire: &mut Wire<&mut ModelFile>, end: u64, walk: &mut Walk) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (2, WireType::Len) => {
                let sub = wire.len_end(end)?;
                graph_def(wire, sub, walk)?;
            }
            (3, WireType::Len) => {
                // SaverDef.filename_tensor_name (1), e.g. `save/Const:0`: its scope is the saver's.
                let sub = wire.len_end(end)?;
                while let Some(inner) = wire.next_field(sub)? {
                    match (inner.number, inner.wire) {
                        (1, WireType::Len) => {
                            let name = wire.string(sub, MAX_TEXT)?.0;
                            if let Some((scope, _)) = name.rsplit_once('/') {
                                walk.saver_scopes.push(scope.to_owned());
                            }
                            walk.saver_nodes.push(node_of(&name).to_owned());
                        }
                        // save_tensor_name (2), restore_op_name (3).
                        (2 | 3, WireType::Len) => {
                            let name = wire.string(sub, MAX_TEXT)?.0;
                            walk.saver_nodes.push(node_of(&name).to_owned());
                        }
                        _ => wire.skip(inner, sub)?,
                    }
                }
            }
            (5, WireType::Len) => {
                // signature_def map entry → SignatureDef (2) → outputs (2) → TensorInfo (2) →
                // name (1): the tensors a signature fetches.
                let entry = wire.len_end(end)?;
                for_each_len(wire, entry, 2, &mut |wire, signature| {
                    for_each_len(wire, signature, 2, &mut |wire, output| {
                        for_each_len(wire, output, 2, &mut |wire, info| {
                            while let Some(f) = wire.next_field(info)? {
                                match (f.number, f.wire) {
                                    (1, WireType::Len) => {
                                        let name = wire.string(info, MAX_TEXT)?.0;
                                        walk.signature_nodes.push(node_of(&name).to_owned());
                                    }
                                    _ => wire.skip(f, info)?,
                                }
                            }
                            Ok(())
                        })
                    })
                })?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

type Visit<'v> = dyn FnMut(&mut Wire<&mut ModelFile>, u64) -> Result<(), WireError> + 'v;

/// Calls `visit` with the end of each length-delimited field `number` up to `end`.
fn for_each_len(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    number: u64,
    visit: &mut Visit<'_>,
) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        if field.number == number && field.wire == WireType::Len {
            let sub = wire.len_end(end)?;
            visit(wire, sub)?;
            wire.seek_to(sub)?;
        } else {
            wire.skip(field, end)?;
        }
    }
    Ok(())
}

fn graph_def(wire: &mut Wire<&mut ModelFile>, end: u64, walk: &mut Walk) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => {
                let sub = wire.len_end(end)?;
                node_def(wire, sub, walk, None)?;
            }
            (2, WireType::Len) => {
                let sub = wire.len_end(end)?;
                while let Some(inner) = wire.next_field(sub)? {
                    match (inner.number, inner.wire) {
                        (1, WireType::Len) => {
                            let f = wire.len_end(sub)?;
                            function_def(wire, f, walk)?;
                        }
                        _ => wire.skip(inner, sub)?,
                    }
                }
            }
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

fn function_def(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
) -> Result<(), WireError> {
    let first = walk.nodes.len();
    let mut name = String::new();
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => {
                // OpDef.name (1) is the function's name.
                let sub = wire.len_end(end)?;
                while let Some(inner) = wire.next_field(sub)? {
                    match (inner.number, inner.wire) {
                        (1, WireType::Len) => name = wire.string(sub, MAX_TEXT)?.0,
                        _ => wire.skip(inner, sub)?,
                    }
                }
            }
            (3, WireType::Len) => {
                let sub = wire.len_end(end)?;
                node_def(wire, sub, walk, Some(String::new()))?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    for node in walk.nodes.iter_mut().skip(first) {
        node.function = Some(name.clone());
    }
    walk.functions.insert(name);
    Ok(())
}

fn node_def(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    walk: &mut Walk,
    function: Option<String>,
) -> Result<(), WireError> {
    let offset = wire.position();
    let mut name = String::new();
    let mut op = String::new();
    let mut inputs = Vec::new();
    let mut calls = Vec::new();
    let mut attributes: Vec<(String, String)> = Vec::new();
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => name = wire.string(end, MAX_TEXT)?.0,
            (2, WireType::Len) => op = wire.string(end, MAX_TEXT)?.0,
            (3, WireType::Len) if function.is_none() => {
                let input = wire.string(end, MAX_TEXT)?.0;
                inputs.push(node_of(&input).to_owned());
            }
            (5, WireType::Len) => {
                let entry = wire.len_end(end)?;
                attribute(wire, entry, &mut calls, &mut attributes)?;
                wire.seek_to(entry)?;
            }
            _ => wire.skip(field, end)?,
        }
    }
    let by_attribute = FILE_ATTRIBUTES.iter().any(|(o, key, touches)| {
        *o == op && attributes.iter().any(|(k, v)| k == key && touches(v))
    });
    let flagged =
        by_attribute || UNSAFE_OPS.contains(&op.as_str()) || CHECKPOINT_OPS.contains(&op.as_str());
    if !flagged && walk.nodes.len() >= MAX_NODES {
        walk.overflow = true;
        return Ok(());
    }
    walk.nodes.push(Node {
        name,
        op,
        function,
        offset,
        flagged,
        inputs,
        calls,
    });
    Ok(())
}

/// One `NodeDef.attr` map entry: functions it names (`AttrValue.func` (10), `list.func` (1/9))
/// and its string value (`AttrValue.s` (2)).
fn attribute(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    calls: &mut Vec<String>,
    attributes: &mut Vec<(String, String)>,
) -> Result<(), WireError> {
    let mut key = String::new();
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => key = wire.string(end, MAX_TEXT)?.0,
            (2, WireType::Len) => {
                let value = wire.len_end(end)?;
                while let Some(f) = wire.next_field(value)? {
                    match (f.number, f.wire) {
                        (2, WireType::Len) => {
                            let text = wire.string(value, MAX_TEXT)?.0;
                            attributes.push((key.clone(), text));
                        }
                        (10, WireType::Len) => {
                            let list = wire.len_end(value)?;
                            function_name(wire, list, calls)?;
                        }
                        (1, WireType::Len) => {
                            let list = wire.len_end(value)?;
                            for_each_len(wire, list, 9, &mut |wire, f| {
                                function_name(wire, f, calls)
                            })?;
                        }
                        _ => wire.skip(f, value)?,
                    }
                }
            }
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

/// `NameAttrList.name` (1).
fn function_name(
    wire: &mut Wire<&mut ModelFile>,
    end: u64,
    calls: &mut Vec<String>,
) -> Result<(), WireError> {
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => calls.push(wire.string(end, MAX_TEXT)?.0),
            _ => wire.skip(field, end)?,
        }
    }
    Ok(())
}

/// `keras_metadata.pb` (`SavedMetadata`): nodes (1) whose `metadata` (5) is Keras JSON.
pub(super) fn inspect_keras_metadata(file: &mut ModelFile, size: u64) -> io::Result<Vec<Fact>> {
    let mut wire = Wire::new(file)?;
    let mut facts = Vec::new();
    let mut metadata = Vec::new();
    let result = (|| -> Result<(), WireError> {
        while let Some(field) = wire.next_field(size)? {
            match (field.number, field.wire) {
                (1, WireType::Len) => {
                    let sub = wire.len_end(size)?;
                    let mut node_path = String::new();
                    let mut text = None;
                    while let Some(inner) = wire.next_field(sub)? {
                        match (inner.number, inner.wire) {
                            (3, WireType::Len) => node_path = wire.string(sub, MAX_TEXT)?.0,
                            (5, WireType::Len) => {
                                let at = wire.position();
                                text = Some((at, wire.string(sub, MAX_METADATA)?));
                            }
                            _ => wire.skip(inner, sub)?,
                        }
                    }
                    if let Some((at, text)) = text {
                        metadata.push((at, node_path, text));
                    }
                }
                _ => wire.skip(field, size)?,
            }
        }
        Ok(())
    })();
    if let Err(error) = result {
        facts.push(malformed("keras", error)?);
    }
    for (at, node_path, (text, cut)) in metadata {
        let member = (!node_path.is_empty()).then_some(node_path.as_str());
        if cut {
            facts.push(Fact::Model(ModelFact::Malformed {
                format: "keras",
                problem: format!("node metadata longer than {MAX_METADATA} bytes was not analysed"),
                member: member.map(str::to_owned),
                offset: Some(at),
            }));
            continue;
        }
        keras::check_json_text(&text, member, &mut facts);
    }
    Ok(facts)
}
