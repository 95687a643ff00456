//! Hugging Face model folders: the JSON configuration files `transformers` reads
//! (`config.json`, `tokenizer_config.json`, `processor_config.json`, `preprocessor_config.json`,
//! …) for `auto_map` and `custom_pipelines` (code loaded with `trust_remote_code`), the
//! sentence-transformers `modules.json` for module types outside the library, the diffusers
//! `model_index.json` for custom pipeline and component code, and for chat
//! templates, and chat template files (`chat_template.jinja`, `chat_template.json`,
//! `additional_chat_templates/*.jinja`). A `config.json` that is a serialized Keras object (a
//! KerasHub preset) goes through the Keras configuration checks. These files are recognised by name: their content is
//! ordinary JSON or text, and the name is what makes `transformers` read them. JSON is read the
//! way Python's `json` reads it (`pyjson.rs`); a file that still cannot be read is reported.

use super::Fact;
use super::ModelFile;
use super::jinja;
use super::keras;
use super::model_facts::{HfConfig, ModelFact};
use serde_json::Value;
use std::io::{self, Read, Seek, SeekFrom};

/// The largest configuration or template file read (tokenizer configs with many added tokens
/// reach a few MiB).
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// JSON files `transformers` reads for `auto_map`.
const CONFIG_NAMES: &[&str] = &[
    "config.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "feature_extractor_config.json",
    "image_processor_config.json",
    "video_preprocessor_config.json",
];

/// KerasHub preset files besides `config.json` that hold serialized Keras objects.
const KERAS_PRESET_NAMES: &[&str] = &["task.json", "preprocessor.json"];

/// What a file name makes of a file, if it is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Config,
    TemplateJson,
    TemplateText,
}

pub(super) fn kind_of(path: &str, name: &str) -> Option<Kind> {
    if CONFIG_NAMES.contains(&name)
        || KERAS_PRESET_NAMES.contains(&name)
        || name == "modules.json"
        || name == "model_index.json"
    {
        return Some(Kind::Config);
    }
    if name == "chat_template.json" {
        return Some(Kind::TemplateJson);
    }
    let in_additional = path
        .rsplit('/')
        .nth(1)
        .is_some_and(|dir| dir == "additional_chat_templates");
    if name == "chat_template.jinja" || (in_additional && name.ends_with(".jinja")) {
        return Some(Kind::TemplateText);
    }
    None
}

pub(super) fn inspect(
    file: &mut ModelFile,
    size: u64,
    name: &str,
    kind: Kind,
) -> io::Result<Vec<Fact>> {
    let mut facts = Vec::new();
    if size > MAX_FILE {
        facts.push(malformed(format!(
            "{name} is larger than {MAX_FILE} bytes and was not analysed"
        )));
        return Ok(facts);
    }
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.by_ref().take(MAX_FILE).read_to_end(&mut bytes)?;
    let Ok(text) = String::from_utf8(bytes) else {
        facts.push(malformed(format!("{name} is not UTF-8 text")));
        return Ok(facts);
    };
    if kind == Kind::TemplateText {
        template(&text, name.to_owned(), true, &mut facts);
        return Ok(facts);
    }
    let value = match super::pyjson::parse(&text) {
        Ok(value) => value,
        Err(error) => {
            // The loaders read these files with Python's `json`, which `pyjson` follows; what
            // it still cannot read may hide `auto_map` or a chat template behind an escape, so
            // it is reported whatever its text (fail closed), and an unreadable `config.json`
            // keeps its folder a model folder so the Python files beside it are reported.
            facts.push(malformed(format!("{name} is not valid JSON: {error}")));
            if name == "config.json" {
                facts.push(Fact::Model(ModelFact::HfConfig(HfConfig {
                    kind: name.to_owned(),
                    declares_model: true,
                    ..HfConfig::default()
                })));
            }
            return Ok(facts);
        }
    };
    chat_templates(&value, &mut facts);
    // KerasHub presets keep a serialized Keras object in `config.json`; Keras deserializes it.
    if (name == "config.json" || KERAS_PRESET_NAMES.contains(&name))
        && keras::is_keras_object(&value)
    {
        keras::check_value(&value, None, &mut facts);
    }
    if kind == Kind::Config {
        let config = read_config(&value, name);
        if config.declares_model
            || !config.auto_map.is_empty()
            || !config.custom_pipelines.is_empty()
            || !config.custom_components.is_empty()
        {
            facts.push(Fact::Model(ModelFact::HfConfig(config)));
        }
    }
    Ok(facts)
}

fn malformed(problem: String) -> Fact {
    Fact::Model(ModelFact::Malformed {
        format: "hugging-face-config",
        problem,
        member: None,
        offset: None,
    })
}

fn template(text: &str, source: String, located_in_file: bool, facts: &mut Vec<Fact>) {
    let issues = jinja::analyse(text);
    if !issues.is_empty() {
        facts.push(Fact::Model(ModelFact::UnsafeTemplate {
            source,
            offset: None,
            located_in_file,
            issues,
        }));
    }
}

/// `chat_template`: a string, or a list of `{name, template}` (named templates).
fn chat_templates(value: &Value, facts: &mut Vec<Fact>) {
    match value.get("chat_template") {
        Some(Value::String(text)) => template(text, "chat_template".to_owned(), false, facts),
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                if let Some(text) = item.get("template").and_then(Value::as_str) {
                    let name = item
                        .get("name")
                        .and_then(Value::as_str)
                        .map_or_else(|| index.to_string(), str::to_owned);
                    template(text, format!("chat_template[{name}]"), false, facts);
                }
            }
        }
        _ => {}
    }
}

fn read_config(value: &Value, name: &str) -> HfConfig {
    let mut config = HfConfig {
        kind: name.to_owned(),
        ..HfConfig::default()
    };
    if name == "config.json" {
        config.declares_model = [
            "model_type",
            "architectures",
            "transformers_version",
            "auto_map",
        ]
        .iter()
        .any(|key| value.get(key).is_some());
    }
    if let Some(Value::Object(map)) = value.get("auto_map") {
        for (class, target) in map {
            // Tokenizers map to [slow, fast]; either may be null.
            let targets: Vec<&str> = match target {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for target in targets {
                config.auto_map.push((class.clone(), target.to_owned()));
            }
        }
    }
    // sentence-transformers `modules.json`: a module `type` outside the library is a local
    // `module.Class` it imports with trust_remote_code.
    if name == "modules.json"
        && let Value::Array(modules) = value
    {
        for module in modules {
            if let Some(kind) = module.get("type").and_then(Value::as_str)
                && !kind.starts_with("sentence_transformers.")
            {
                config
                    .auto_map
                    .push(("SentenceTransformer module".to_owned(), kind.to_owned()));
            }
        }
    }
    // diffusers `model_index.json`: `_class_name` as [module, class] is a custom pipeline file;
    // components are [library, class], and a library that is neither diffusers nor
    // transformers names `component/library.py` when that file exists.
    if name == "model_index.json"
        && let Value::Object(map) = value
    {
        for (key, entry) in map {
            let pair = entry
                .as_array()
                .filter(|items| items.len() == 2)
                .and_then(|items| Some((items[0].as_str()?, items[1].as_str()?)));
            let Some((library, class)) = pair else {
                continue;
            };
            if key == "_class_name" {
                config
                    .auto_map
                    .push(("pipeline".to_owned(), format!("{library}.{class}")));
            } else if !key.starts_with('_') && !matches!(library, "diffusers" | "transformers") {
                config
                    .custom_components
                    .push((key.clone(), library.to_owned(), class.to_owned()));
            }
        }
    }
    if let Some(Value::Object(map)) = value.get("custom_pipelines") {
        for (task, pipeline) in map {
            let implementation = pipeline
                .get("impl")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            config.custom_pipelines.push((task.clone(), implementation));
        }
    }
    config
}
