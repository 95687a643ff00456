//! `gate init [ROOT]`: writes a commented starter `.gate.yml` from what ROOT contains — the model
//! formats present, its data pinned by SHA-256, the indexes its dependency files use — that
//! `gate policy check` accepts and that `gate check` passes on ROOT as it is, so that a pull
//! request changing any of it is reported. Never overwrites a policy.

mod data;
mod dependencies;

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
    let survey = survey(root);
    let text = policy_text(&survey);
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
    let message = format!(
        "wrote {}\n{}next: review it, then run `gate check {}`\n",
        path.display(),
        survey.summary(),
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

/// What ROOT holds, as the starter policy pins it.
struct Survey {
    formats: BTreeSet<Format>,
    data: data::DataPins,
    dependencies: Option<dependencies::Section>,
}

impl Survey {
    fn summary(&self) -> String {
        let mut lines = String::new();
        let formats = if self.formats.is_empty() {
            "none found".to_owned()
        } else {
            self.formats
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(lines, "  model formats: {formats}");
        let _ = writeln!(
            lines,
            "  data pinned: {} folder{}, {} file{}{}",
            self.data.folders,
            if self.data.folders == 1 { "" } else { "s" },
            self.data.files,
            if self.data.files == 1 { "" } else { "s" },
            if self.data.left_out.is_empty() {
                String::new()
            } else {
                format!(" ({} left out: see the policy)", self.data.left_out.len())
            }
        );
        let _ = writeln!(
            lines,
            "  dependency sources: {}",
            self.dependencies
                .as_ref()
                .map_or("no Python dependency files found", |d| d.summary.as_str())
        );
        lines
    }
}

/// Inspects every file `gate check` would inspect under ROOT, reads its dependency files and
/// hashes its data.
fn survey(root: &Path) -> Survey {
    let discovery = discover::discover(root, discover::Options { no_ignore: false }, &|_, _| false);
    let formats: Vec<(&str, Option<Format>)> = discovery
        .files
        .par_iter()
        .map(|candidate| {
            let format = inspect::inspect(candidate, inspect::ContainerLimits::DEFAULT)
                .identity
                .format;
            (candidate.display.as_str(), format)
        })
        .collect();
    let lfs_pointers: BTreeSet<&str> = formats
        .iter()
        .filter(|(_, format)| *format == Some(Format::LfsPointer))
        .map(|(display, _)| *display)
        .collect();
    Survey {
        formats: formats
            .iter()
            .filter_map(|(_, format)| *format)
            .filter(|format| format.is_model())
            .collect(),
        data: data::pins(root, &discovery.files, &lfs_pointers),
        dependencies: dependencies::section(&crate::deps::collect(root, &discovery.files)),
    }
}

fn policy_text(survey: &Survey) -> String {
    let found = &survey.formats;
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

{datasets}
{dependencies}
# Accepted findings, each with a reason (and a sha256 for known-dangerous content):
# waivers:
#   - rule: pickle-global-not-allowed
#     path: models/legacy.pt
#     reason: \"reviewed: plain state dict saved by an old torch\"
#     expires: 2027-03-01
",
        all = Format::MODELS.map(Format::name).join(", "),
        names = names.join(", "),
        datasets = datasets_text(&survey.data),
        dependencies = survey
            .dependencies
            .as_ref()
            .map_or(DEPENDENCIES_EXAMPLE, |d| d.text.as_str()),
    );
    text
}

const DEPENDENCIES_EXAMPLE: &str = "\
# Python dependency sources (dependency confusion): which index each package may come from.
# No Python dependency files were found when `gate init` ran.
# dependencies:
#   indexes:
#     acme: https://pypi.acme.internal/simple
#   packages:
#     - names: [\"acme-*\"]
#       allow: [acme]
#     - names: [\"*\"]
#       allow: [pypi]
";

fn datasets_text(pins: &data::DataPins) -> String {
    let mut text = String::from(
        "# Datasets: the SHA-256 of data files and whole folders (`gate hash PATH` prints entries).\n",
    );
    for left_out in &pins.left_out {
        let _ = writeln!(text, "# not pinned: {}", left_out.replace('\n', " "));
    }
    if pins.yaml.is_empty() {
        text.push_str(
            "# No data folders (data/, datasets/, corpus/, …) or data files (Parquet, CSV, …) were found.\n\
             # datasets:\n\
             #   files:\n\
             #     - path: data/train.parquet\n\
             #       sha256: <64 hex digits>\n",
        );
    } else {
        text.push_str(
            "# Pinned when `gate init` ran; after a reviewed change, update them with `gate hash`.\n\
             datasets:\n  files:\n",
        );
        text.push_str(&pins.yaml);
    }
    text
}
