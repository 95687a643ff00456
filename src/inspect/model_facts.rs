//! Facts the non-pickle model readers (GGUF, ONNX, Keras, TensorFlow, Hugging Face configs and
//! chat templates) state about a file. Kept in one enum so the shared [`super::Fact`] needs a
//! single variant for all of them.

use super::jinja::TemplateIssue;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ModelFact {
    /// A model file its loader would reject, or that gate could not read completely within its
    /// limits (so it is not known to be clean).
    Malformed {
        format: &'static str,
        problem: String,
        member: Option<String>,
        offset: Option<u64>,
    },
    /// A Jinja template (chat template) with constructs that reach Python internals.
    UnsafeTemplate {
        /// Where the template sits: a GGUF key, a JSON field, or the file itself.
        source: String,
        /// Byte offset of the template's value in the file, when it is stored as a binary value.
        offset: Option<u64>,
        /// Line/column inside the file, when the file is the template itself.
        located_in_file: bool,
        issues: Vec<TemplateIssue>,
    },
    /// An ONNX tensor whose external data lives outside the model's folder.
    OnnxExternalData {
        tensor: String,
        location: String,
        problem: &'static str,
        offset: u64,
    },
    /// ONNX nodes in an operator domain that needs a custom operator library.
    OnnxCustomDomain {
        domain: String,
        op_types: Vec<String>,
        nodes: usize,
        offset: u64,
    },
    /// A Keras configuration entry that runs code or loads objects from outside Keras.
    KerasUnsafe {
        member: Option<String>,
        /// JSON pointer to the entry inside the configuration.
        pointer: String,
        kind: KerasIssue,
        detail: String,
    },
    /// A TensorFlow graph or function node with an op that runs Python or touches files.
    TensorflowOp {
        op: String,
        node: String,
        function: Option<String>,
        offset: u64,
    },
    /// A Hugging Face configuration file (`config.json`, `tokenizer_config.json`, …).
    HfConfig(HfConfig),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KerasIssue {
    Lambda,
    ModuleOutsideKeras,
    CustomObject,
    GetFile,
    UnsafeDeserialization,
    /// `TorchModuleWrapper`: its config embeds a torch pickle loaded with `weights_only=False`.
    TorchModule,
    /// `TFSMLayer`: loads and runs a SavedModel from a path outside the file.
    ExternalModel,
    /// A lookup layer whose `vocabulary` (or `idf_weights`) is a path it reads.
    FileVocabulary,
}

impl KerasIssue {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Lambda => "a Lambda layer (Python bytecode that runs when the model loads)",
            Self::ModuleOutsideKeras => "an object imported from a module outside Keras/TensorFlow",
            Self::CustomObject => "a custom object registered outside Keras",
            Self::GetFile => "a call to `get_file` (downloads or reads files when the model loads)",
            Self::UnsafeDeserialization => {
                "a reference to `enable_unsafe_deserialization` (turns off safe mode)"
            }
            Self::TorchModule => {
                "a TorchModuleWrapper (an embedded torch pickle, unpickled with weights_only=False)"
            }
            Self::ExternalModel => "a TFSMLayer (loads and runs a SavedModel from another path)",
            Self::FileVocabulary => "a lookup layer whose vocabulary is a file path it reads",
        }
    }
}

/// What a Hugging Face configuration file asks the loader to do.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct HfConfig {
    /// The file name (`config.json`, `tokenizer_config.json`, …).
    pub(crate) kind: String,
    /// A `config.json` that describes a transformers model (`model_type`, `architectures`, …).
    pub(crate) declares_model: bool,
    /// `auto_map` entries: (auto class, `module.Class` or `org/repo--module.Class`).
    pub(crate) auto_map: Vec<(String, String)>,
    /// `custom_pipelines` entries: (task, implementation).
    pub(crate) custom_pipelines: Vec<(String, String)>,
    /// diffusers `model_index.json` components from a library other than diffusers or
    /// transformers: (component, library, class). Code only if `component/library.py` exists.
    pub(crate) custom_components: Vec<(String, String, String)>,
}
