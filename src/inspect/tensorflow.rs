//! TensorFlow SavedModel (`saved_model.pb`): walks every meta graph's `GraphDef` nodes and every
//! function in its function library for ops that run Python or touch the file system. The
//! checkpoint ops (`SaveV2`, `RestoreV2`, …) every SavedModel carries are expected in the saver's
//! own places — graph nodes under the `SaverDef`'s name scope (or TF1's `save_N` scopes of extra
//! savers) and the `__inference__traced_save`/
//! `_restore` functions TF2 writes — and reported anywhere else (a graph that writes or reads
//! checkpoints at inference time can exfiltrate or plant files). Constant tensors are skipped.
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
    "DebugIdentityV2",
    "CreateSummaryFileWriter",
    "WriteFileSummary",
];

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

struct Node {
    name: String,
    op: String,
    function: Option<String>,
    offset: u64,
}

#[derive(Default)]
struct Walk {
    nodes: Vec<Node>,
    saver_scopes: Vec<String>,
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
    for node in walk.nodes {
        if CHECKPOINT_OPS.contains(&node.op.as_str()) && saver_owns(&node, &walk.saver_scopes) {
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

fn saver_owns(node: &Node, scopes: &[String]) -> bool {
    match &node.function {
        Some(function) => {
            function.starts_with("__inference__traced_save")
                || function.starts_with("__inference__traced_restore")
        }
        None => {
            let scope = node.name.split('/').next().unwrap_or("");
            let numbered_save = scope
                .strip_prefix("save_")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            node.name.contains('/')
                && (numbered_save
                    || scopes
                        .iter()
                        .any(|s| s == scope || node.name.starts_with(&format!("{s}/"))))
        }
    }
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
    while let Some(field) = wire.next_field(end)? {
        match (field.number, field.wire) {
            (1, WireType::Len) => name = wire.string(end, MAX_TEXT)?.0,
            (2, WireType::Len) => op = wire.string(end, MAX_TEXT)?.0,
            _ => wire.skip(field, end)?,
        }
    }
    if UNSAFE_OPS.contains(&op.as_str()) || CHECKPOINT_OPS.contains(&op.as_str()) {
        walk.nodes.push(Node {
            name,
            op,
            function,
            offset,
        });
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
