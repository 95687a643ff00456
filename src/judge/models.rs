//! Rules for non-pickle model formats: unsafe chat templates (GGUF and Hugging Face), ONNX
//! external data and custom operator domains, unsafe Keras configurations, TensorFlow ops that
//! run Python or touch files, and model files that could not be read completely.

use super::formats::LFS_POINTER_NOT_PULLED;
use crate::finding::{Finding, Rule, Severity};
use crate::format::Format;
use crate::inspect::{Fact, Inspection, ModelFact};

pub(crate) static GGUF_TEMPLATE_UNSAFE: Rule = Rule {
    id: "gguf-template-unsafe",
    summary: "a chat template (GGUF or Hugging Face) reaches Python internals",
    default_severity: Severity::Error,
    waiver_needs_sha256: true,
    docs: "\
## What it checks
Chat templates are Jinja programs that inference servers render for every request: GGUF metadata
`tokenizer.chat_template` and `tokenizer.chat_template.*`, `chat_template` in Hugging Face
`tokenizer_config.json` (a string or a list of `{name, template}`), `chat_template.json`, and
`chat_template.jinja` files. gate parses each template statically — it never renders one — and
reports dunder names (`__class__`, `__globals__`, `__subclasses__`, `__builtins__`, `__import__`,
`__init__`), private attributes (`._module`), `mro`, references to `os`, `subprocess`, `popen`,
`eval`, `exec`, and the tricks used to build those names at run time (`|attr` with a computed
name, dunders cut into pieces or reversed, `%c` character codes, `\\x5f` escapes).

## Why
llama-cpp-python rendered GGUF templates in an unsandboxed Jinja environment: a template such as
`{{ ().__class__.__base__.__subclasses__() … popen('…') }}` ran shell commands on every chat
request (CVE-2024-34359; SGLang had the same class of bug, CVE-2026-5760). Ordinary templates
(ChatML, Llama, Mistral, Qwen, Gemma) only loop over messages and print strings; they never need
any of these names.

## How to fix
Replace the template with the one the model's publisher ships, or remove it. If the finding is
about a file you trust, read the reported construct first; waivers for this rule must name the
file's `sha256`.

## Example
```jinja
{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}
{{ x()._module.__builtins__['__import__']('os').popen('id').read() }}{% endif %}{% endfor %}
```",
};

pub(crate) static ONNX_EXTERNAL_DATA: Rule = Rule {
    id: "onnx-external-data",
    summary: "an ONNX tensor's external data points outside the model's folder",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Every tensor of an ONNX model — initializers of the main graph, of graphs nested in `If`/`Loop`/
`Scan` attributes, of model-local functions and training graphs, sparse initializers, and tensors
in attributes — whose `external_data` `location` is absolute (`/etc/passwd`, `C:\\…`, `\\\\server`),
starts at a home folder (`~`), contains a `..` component, holds a NUL byte, or is onnxruntime's
in-memory tag `*/_ORT_MEM_ADDR_/*` (its `offset` is then read as a memory address).

## Why
`onnx.load` reads external data relative to the model file. A location that leaves the folder
makes loading read any file the process can read into a tensor (CVE-2022-25882, CVE-2024-27318),
and saving such a model writes wherever it points (CVE-2025-51480).

## How to fix
Re-save the model with its external data beside it (`onnx.save_model(model, path,
save_as_external_data=True, location=\"model.onnx.data\")`), or inline the tensors.",
};

pub(crate) static ONNX_CUSTOM_OP: Rule = Rule {
    id: "onnx-custom-op",
    summary: "an ONNX model uses operators from a custom domain",
    default_severity: Severity::Note,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
ONNX nodes whose operator domain is neither standard ONNX (`\"\"`, `ai.onnx`, `ai.onnx.*`) nor
onnxruntime's own (`com.microsoft*`), and that are not functions defined inside the model.

## Why
Such operators only run when the loader registers a native custom-operator library
(`SessionOptions.register_custom_ops_library`), which is arbitrary native code. The model file
itself is data; this note tells reviewers which extra library it needs.

## How to fix
Nothing, if the library is known and trusted. Otherwise export the model with standard operators.
Raise the rule to `warning` or `error` with `severity:` to forbid custom domains.",
};

pub(crate) static KERAS_UNSAFE_LAYER: Rule = Rule {
    id: "keras-unsafe-layer",
    summary: "a Keras model configuration runs code or imports objects from outside Keras",
    default_severity: Severity::Error,
    waiver_needs_sha256: true,
    docs: "\
## What it checks
The configuration Keras deserializes when it loads a model: `config.json` in `.keras` files, the
`model_config` attribute of legacy `.h5` files, and `keras_metadata.pb` in SavedModels. Reported:
`Lambda` layers (their function is marshalled Python bytecode), objects whose `module` is outside
`keras`, `keras_hub`, `keras_nlp`, `keras_cv`, `tf_keras` and `tensorflow`, custom objects
registered under another package, any reference to `get_file`,
`enable_unsafe_deserialization`, `TorchModuleWrapper` (an embedded torch pickle), `TFSMLayer` (a
SavedModel from another path) and `StringLookup`/`IntegerLookup`/`TextVectorization` whose
`vocabulary` is a file path.

## Why
Loading runs these: Lambda bytecode runs on load and `safe_mode` does not cover legacy `.h5`
files (CVE-2024-3660, CVE-2025-9905); `config.json` could import an arbitrary module even under
`safe_mode` (CVE-2025-1550, Keras < 3.9); `keras.utils.get_file` fetches or reads files while the
model loads (CVE-2025-8747); a config can turn safe mode off (CVE-2025-9906);
`TorchModuleWrapper` unpickles its module with `weights_only=False` (CVE-2025-49655), `TFSMLayer`
runs whatever SavedModel sits at its path, and a lookup layer reads any file as its vocabulary
(CVE-2025-12058).

## How to fix
Rebuild the layer without `Lambda` (a registered subclass whose code lives in your repository),
save weights as safetensors, or remove the model. Waivers for this rule must name the file's
`sha256`.",
};

pub(crate) static TENSORFLOW_UNSAFE_OP: Rule = Rule {
    id: "tensorflow-unsafe-op",
    summary: "a TensorFlow SavedModel contains ops that run Python or touch the file system",
    default_severity: Severity::Error,
    waiver_needs_sha256: true,
    docs: "\
## What it checks
Every node of every meta graph in `saved_model.pb` and of every function in its function library:
`PyFunc`, `PyFuncStateless`, `EagerPyFunc`, `ReadFile`, `WriteFile`, `MatchingFiles`,
`DeleteFile`, `ImmutableConst`, file readers and file-backed datasets, dataset savers and
snapshots, CSV and SQL datasets, summary file and database writers, the `Debug*` ops that write
to debug URLs, `LoadAndRemapMatrix`, `PrintV2` to a `file://` stream, and proto ops with a
descriptor file. Checkpoint ops (`SaveV2`, `RestoreV2`, `MergeV2Checkpoints`, …) are expected
only where the graph's structure puts the saver — the functions the `SaverDef`'s save and
restore nodes call (TF2), or the `SaverDef`'s name scope (TF1) — and only if nothing else calls
those functions or consumes those nodes; they are reported anywhere else, whatever the names.

## Why
Serving a SavedModel runs its graph. `PyFunc` calls Python that ships beside the graph; file ops
read secrets (`/proc/self/environ`, SSH keys) into outputs or write files on the server; a
checkpoint op placed in a serving function writes or reads arbitrary paths.

## How to fix
Export the model again without `tf.py_function`/`tf.numpy_function` and file I/O in the serving
signatures, or remove it. Waivers for this rule must name the file's `sha256`.",
};

pub(crate) static MODEL_INVALID: Rule = Rule {
    id: "model-invalid",
    summary: "a GGUF, ONNX, Keras, TensorFlow or Hugging Face model file could not be read completely",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
Model files whose structure gate cannot walk to the end: GGUF headers whose counts, string or
array lengths run past the end of the file, unknown value types, misaligned tensor offsets; ONNX
and TensorFlow protobufs with lengths past their message, groups or nesting deeper than 64;
Keras archives without a readable `config.json`, or `.h5` files whose `model_config` cannot be
decoded; model configurations that are not JSON; chat templates over 1 MiB.

## Why
Fail closed: what was not read is not known to be clean, and a file the scanner reads
differently from the loader is the classic way past a scanner.

## How to fix
Re-export the model with its library; check where a truncated or corrupted file came from.",
};

/// Extensions of model files that do not name one format (so `format-mismatch` and the LFS check
/// in the format rules pass them by). `.bin` is also a common data extension, so it counts only in
/// names that say model (`pytorch_model.bin`, `adapter_model.bin`) or in `training_args.bin` (a
/// pickle the HF Trainer writes).
const MODEL_LIKE_EXTENSIONS: &[&str] = &[
    "msgpack",
    "tflite",
    "pte",
    "mar",
    "nemo",
    "ot",
    "pdparams",
    "mlmodel",
    "llamafile",
    "jinja",
];
/// Files gate must read to judge a model folder.
const MODEL_FOLDER_FILES: &[&str] = &[
    "config.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "chat_template.json",
    "keras_metadata.pb",
];

/// An LFS pointer standing for a model file whose name does not promise one format
/// (`pytorch_model.bin`) or for a file gate must read (`tokenizer_config.json`).
fn lfs_pointer_for_model_content(inspection: &Inspection, out: &mut Vec<Finding>) {
    if inspection.identity.format != Some(Format::LfsPointer)
        || inspection
            .claimed
            .is_some_and(|claimed| claimed.iter().any(|f| f.is_model()))
    {
        return;
    }
    let path = inspection.display.as_str();
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let lower = name.to_ascii_lowercase();
    let model_bin = extension.as_deref() == Some("bin")
        && (lower.contains("model") || lower == "training_args.bin");
    let model_like = model_bin
        || extension.is_some_and(|e| MODEL_LIKE_EXTENSIONS.contains(&e.as_str()))
        || MODEL_FOLDER_FILES.contains(&name);
    if model_like {
        out.push(
            LFS_POINTER_NOT_PULLED
                .at(path, "a Git LFS pointer, not the file: its content was not checked out")
                .help("check out LFS content before gate runs (`git lfs pull`, or `lfs: true` in actions/checkout)"),
        );
    }
}

pub(super) fn judge(inspection: &Inspection, out: &mut Vec<Finding>) {
    lfs_pointer_for_model_content(inspection, out);
    let path = inspection.display.as_str();
    for fact in &inspection.facts {
        let Fact::Model(fact) = fact else {
            continue;
        };
        match fact {
            ModelFact::Malformed {
                format,
                problem,
                member,
                offset,
            } => {
                let mut finding = MODEL_INVALID
                    .at(path, format!("{format} file not read completely: {problem}"))
                    .evidence("format", *format)
                    .help("re-export the model with its library, or remove it");
                finding.member.clone_from(member);
                finding.offset = *offset;
                out.push(finding);
            }
            ModelFact::UnsafeTemplate {
                source,
                offset,
                located_in_file,
                issues,
            } => {
                let reasons: Vec<&str> = issues.iter().map(|i| i.what.as_str()).collect();
                let mut finding = GGUF_TEMPLATE_UNSAFE
                    .at(
                        path,
                        format!(
                            "chat template `{source}` reaches Python internals: {}",
                            reasons.join(", ")
                        ),
                    )
                    .evidence("template", source.as_str())
                    .evidence("constructs", reasons)
                    .help("replace the template with the publisher's original, or remove it");
                if let Some(offset) = offset {
                    finding = finding.offset(*offset);
                }
                if *located_in_file && let Some(first) = issues.first() {
                    finding = finding.line_column(first.line, first.column);
                }
                out.push(finding);
            }
            ModelFact::OnnxExternalData {
                tensor,
                location,
                problem,
                offset,
            } => out.push(
                ONNX_EXTERNAL_DATA
                    .at(
                        path,
                        format!("tensor `{tensor}` reads external data from `{location}`, which {problem}"),
                    )
                    .offset(*offset)
                    .evidence("tensor", tensor.as_str())
                    .evidence("location", location.as_str())
                    .help("keep external data files beside the model and name them relatively"),
            ),
            ModelFact::OnnxCustomDomain {
                domain,
                op_types,
                nodes,
                offset,
            } => out.push(
                ONNX_CUSTOM_OP
                    .at(
                        path,
                        format!(
                            "{nodes} node(s) use operators from custom domain `{domain}` ({}); they need a native custom-operator library",
                            op_types.join(", ")
                        ),
                    )
                    .offset(*offset)
                    .evidence("domain", domain.as_str())
                    .evidence("op_types", op_types.clone())
                    .help("make sure the custom-operator library is known and trusted"),
            ),
            ModelFact::KerasUnsafe {
                member,
                pointer,
                kind,
                detail,
            } => {
                let mut finding = KERAS_UNSAFE_LAYER
                    .at(
                        path,
                        format!("{} at `{pointer}`: {detail}", kind.describe()),
                    )
                    .evidence("pointer", pointer.as_str())
                    .evidence("detail", detail.as_str())
                    .help("rebuild the model without Lambda layers or objects from outside Keras, or remove it");
                finding.member.clone_from(member);
                out.push(finding);
            }
            ModelFact::TensorflowOp {
                op,
                node,
                function,
                offset,
            } => {
                let place = match function {
                    Some(function) => format!("node `{node}` of function `{function}`"),
                    None => format!("graph node `{node}`"),
                };
                let mut finding = TENSORFLOW_UNSAFE_OP
                    .at(path, format!("{place} runs op `{op}`"))
                    .offset(*offset)
                    .evidence("op", op.as_str())
                    .evidence("node", node.as_str())
                    .help("export the model without Python or file-system ops, or remove it");
                if let Some(function) = function {
                    finding = finding.evidence("function", function.as_str());
                }
                out.push(finding);
            }
            ModelFact::HfConfig(_) => {}
        }
    }
}
