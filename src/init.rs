//! `gate init [ROOT]`: writes a commented starter `.gate.yml` from what ROOT contains — the model
//! formats present become the allowed formats — that `gate policy check` accepts and that
//! `gate check` enforces on ROOT as it is. Never overwrites a policy.
//!
//! Dataset pins and dependency sources are left out as commented examples: this build does not
//! enforce those sections yet (`gate check` refuses a policy that fills them in), and pinning
//! needs `gate hash`.

use crate::app::{AppError, PASSED};
use crate::discover;
use crate::format::Format;
use crate::inspect;
use crate::policy::{DISCOVERY_PATHS, PolicySource};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Formats whose loaders never run code: the allowed list when ROOT holds no model yet.
const SAFE_FORMATS: [Format; 4] = [
    Format::Safetensors,
    Format::Gguf,
    Format::Onnx,
    Format::Numpy,
];

pub(crate) fn run(root: &Path) -> Result<ExitCode, AppError> {
    if !root.is_dir() {
        return Err(AppError::RootNotFolder {
            path: root.display().to_string(),
        });
    }
    for candidate in DISCOVERY_PATHS {
        let path = root.join(candidate);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(AppError::PolicyExists {
                path: path.display().to_string(),
            });
        }
    }
    let formats = model_formats(root);
    let text = policy_text(&formats);
    // The starter must be a valid policy; a failure here is a bug in gate, not in ROOT.
    PolicySource {
        name: ".gate.yml (generated)".to_owned(),
        path_in_root: Some(".gate.yml".to_owned()),
        text: text.clone(),
    }
    .load()?;
    let path = root.join(".gate.yml");
    let output_error = |source| AppError::Output {
        path: path.display().to_string(),
        source,
    };
    // create_new: a policy that appeared since the check above is still never overwritten.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(output_error)?;
    file.write_all(text.as_bytes()).map_err(output_error)?;
    let found = if formats.is_empty() {
        "no model files found".to_owned()
    } else {
        format!(
            "model formats found: {}",
            formats
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let message = format!(
        "wrote {} ({found}); datasets and dependencies are left as commented examples\n\
         next: review it, then run `gate check {}`\n",
        path.display(),
        root.display()
    );
    let mut stdout = anstream::stdout().lock();
    stdout
        .write_all(message.as_bytes())
        .map_err(|source| AppError::Output {
            path: "standard output".to_owned(),
            source,
        })?;
    Ok(ExitCode::from(PASSED))
}

/// The model formats of every file `gate check` would inspect under ROOT.
fn model_formats(root: &Path) -> BTreeSet<Format> {
    let discovery = discover::discover(root, discover::Options { no_ignore: false }, &|_, _| false);
    discovery
        .files
        .par_iter()
        .filter_map(|candidate| {
            inspect::inspect(candidate, inspect::ContainerLimits::DEFAULT)
                .identity
                .format
        })
        .filter(|format| format.is_model())
        .collect::<BTreeSet<_>>()
}

fn policy_text(found: &BTreeSet<Format>) -> String {
    let (allowed, why): (Vec<Format>, String) = if found.is_empty() {
        (
            SAFE_FORMATS.to_vec(),
            "No model files were found; these formats cannot run code when loaded.".to_owned(),
        )
    } else {
        (
            Format::MODELS
                .into_iter()
                .filter(|f| found.contains(f))
                .collect(),
            "The model formats found in this repository when `gate init` ran.".to_owned(),
        )
    };
    let names: Vec<&str> = allowed.iter().map(|f| f.name()).collect();
    let mut text = String::new();
    let _ = write!(
        text,
        "\
# gate policy, written by `gate init`. Check it with `gate policy check`, run it with
# `gate check`; `gate explain` lists every rule. Paths are relative to this repository's root.
version: 1

# Files gate never inspects (gitignore-style globs):
# paths:
#   exclude: [\"tests/fixtures/**\"]

models:
  # {why}
  # A model in any other format is reported as `format-not-allowed`. Every model format:
  # {all}.
  allow-formats: [{names}]
  pickle:
    # Pickle-based files (pytorch, pickle, joblib, numpy object arrays) pass only if every global
    # they reference is on these shipped allowlists or in allow-globals (\"module.qualname\").
    allow-presets: [pytorch, numpy, joblib]
  # Hugging Face remote code (config.json auto_map): error | warning | allow
  remote-code: error

# Datasets: require the SHA-256 of files or whole folders (`gate hash PATH` prints entries).
# Not written by `gate init`: this version of gate does not enforce the section yet.
# datasets:
#   files:
#     - path: data/train.parquet
#       sha256: <64 hex digits>

# Python dependency sources (dependency confusion): which index each package may come from.
# Left for you to fill in: gate cannot guess which names are private (`gate explain dependency-confusion`).
# dependencies:
#   indexes:
#     pypi: https://pypi.org/simple
#   packages:
#     - names: [\"*\"]
#       allow: [pypi]

# Accepted findings, each with a reason (and a sha256 for known-dangerous content):
# waivers:
#   - rule: pickle-global-not-allowed
#     path: models/legacy.pt
#     reason: \"reviewed: plain state dict saved by an old torch\"
#     expires: 2027-03-01
",
        all = Format::MODELS.map(Format::name).join(", "),
        names = names.join(", "),
    );
    text
}
