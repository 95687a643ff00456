//! Inspection: opens each discovered file safely, identifies it by content, and runs the reader
//! for its format. Readers turn bytes into neutral [`Fact`]s; nothing here knows the policy.

pub(crate) mod datasets;
mod gguf;
mod hdf5;
mod hf;
pub(crate) mod jinja;
mod keras;
mod lfs;
pub(crate) mod model_facts;
mod npy_header;
mod onnx;
mod pickles;
mod protowire;
mod pyjson;
mod safetensors;
mod tensorflow;
pub(crate) mod zip;

use crate::discover::Candidate;
use crate::format::Format;
use crate::identify::{self, Identity};
pub(crate) use model_facts::ModelFact;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;

/// Everything inspection learned about one file.
#[derive(Debug)]
pub(crate) struct Inspection {
    pub(crate) display: String,
    pub(crate) size: u64,
    pub(crate) identity: Identity,
    /// The formats the file name promises, if it promises any.
    pub(crate) claimed: Option<&'static [Format]>,
    pub(crate) sha256: Option<[u8; 32]>,
    pub(crate) facts: Vec<Fact>,
}

/// A neutral statement about a file's content.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fact {
    /// The file could not be read to the end.
    Unreadable { error: String },
    /// A well-formed safetensors header.
    SafetensorsHeader { tensors: usize, header_len: u64 },
    /// A safetensors file that a loader would reject or misread.
    SafetensorsInvalid {
        problem: String,
        offset: u64,
        trailing_pickle: bool,
    },
    /// A Git LFS pointer in place of the content.
    LfsPointer {
        oid: Option<String>,
        size: Option<u64>,
    },
    /// The format was identified but this build has no reader for it.
    #[expect(
        dead_code,
        reason = "every format gate identifies has a reader today; kept so a new format fails closed"
    )]
    NoReader { format: Format },
    /// A global a pickle stream names (`module`/`name` are `None` when the stream computes them).
    PickleGlobal {
        member: Option<String>,
        offset: u64,
        module: Option<String>,
        name: Option<String>,
        invoked: bool,
        /// Only a plain `pickle.load` of a joblib file would read it (inline-array bytes).
        plain_loader_only: bool,
    },
    /// A pickle stream a loader would stop on with an error (what came before it still ran).
    PickleMalformed {
        member: Option<String>,
        offset: u64,
        problem: String,
    },
    /// A container (or a member of one) that could not be opened completely.
    ArchiveUnreadable {
        member: Option<String>,
        problem: String,
    },
    /// A container limit was reached before the content was read completely.
    ArchiveLimit {
        member: Option<String>,
        offset: Option<u64>,
        problem: String,
    },
    /// What a GGUF, ONNX, Keras, TensorFlow or Hugging Face configuration reader found.
    Model(ModelFact),
}

pub(crate) use pickles::ContainerLimits;

/// Inspects one file. Whole-file digests come from the run's one hashing pass (`crate::hash`).
pub(crate) fn inspect(candidate: &Candidate, limits: ContainerLimits) -> Inspection {
    let name = candidate
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let claimed = identify::claimed_by_name(&name);
    let mut inspection = Inspection {
        display: candidate.display.clone(),
        size: 0,
        identity: Identity {
            format: None,
            detail: None,
        },
        claimed,
        sha256: None,
        facts: Vec::new(),
    };
    let mut file = match open_regular(candidate) {
        Ok(Some(file)) => ModelFile::new(file),
        // It was a regular file when discovered and is something else now: never opened.
        Ok(None) => {
            inspection.facts.push(Fact::Unreadable {
                error: "no longer a regular file; not opened".to_owned(),
            });
            return inspection;
        }
        Err(error) => {
            inspection.facts.push(Fact::Unreadable {
                error: error.to_string(),
            });
            return inspection;
        }
    };
    let _deadline = crate::deadline::Deadline::start(limits.max_seconds);
    match read_file(&mut file, &name, limits, &mut inspection) {
        Ok(()) => {}
        // The per-file time budget ran out inside a reader: a limit, named in the problem.
        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
            inspection.facts.push(Fact::ArchiveLimit {
                member: None,
                offset: None,
                problem: error.to_string(),
            });
        }
        Err(error) => inspection.facts.push(Fact::Unreadable {
            error: error.to_string(),
        }),
    }
    inspection
}

/// Opens without following a symlink and without blocking on a FIFO, then makes sure what was
/// opened is a regular file (the path could have changed since discovery).
fn open_regular(candidate: &Candidate) -> io::Result<Option<File>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(&candidate.path)?;
    let meta = file.metadata()?;
    Ok(meta.is_file().then_some(file))
}

/// The file a reader reads: every read fails once the file's time budget is spent.
pub(crate) type ModelFile = crate::deadline::Timed<File>;

fn read_file(
    file: &mut ModelFile,
    name: &str,
    limits: pickles::ContainerLimits,
    inspection: &mut Inspection,
) -> io::Result<()> {
    let size = file.get_ref().metadata()?.len();
    inspection.size = size;
    let mut prefix =
        Vec::with_capacity(identify::PREFIX_LEN.min(usize::try_from(size).unwrap_or(usize::MAX)));
    file.by_ref()
        .take(identify::PREFIX_LEN as u64)
        .read_to_end(&mut prefix)?;
    inspection.identity = identify::identify(file, size, &prefix, name)?;
    let format = inspection.identity.format;
    let claims_safetensors = inspection.claimed == Some(&[Format::Safetensors]);
    match format {
        Some(Format::Safetensors) => inspection.facts.push(safetensors::inspect(file, size)?),
        // Named .safetensors but not recognisable as one: the reader says exactly why.
        None if claims_safetensors => inspection.facts.push(safetensors::inspect(file, size)?),
        Some(Format::LfsPointer) => inspection.facts.push(lfs::inspect(&prefix)),
        Some(Format::Gguf) => inspection.facts.extend(gguf::inspect(file, size)?),
        Some(Format::Onnx) => inspection.facts.extend(onnx::inspect(file, size)?),
        Some(Format::Tensorflow) => inspection.facts.extend(tensorflow::inspect(file, size)?),
        Some(Format::Keras) if prefix.starts_with(b"PK") => {
            inspection.facts.extend(keras::inspect_zip(file, size)?);
        }
        Some(Format::Keras | Format::Hdf5) => {
            inspection.facts.extend(keras::inspect_h5(file, size)?);
        }
        // Named like a SavedModel but not recognisable as one: fail closed.
        None if name == "saved_model.pb" => {
            inspection
                .facts
                .extend(tensorflow::inspect_unidentified(file, size)?);
        }
        None if name == "keras_metadata.pb" => {
            inspection
                .facts
                .extend(tensorflow::inspect_keras_metadata(file, size)?);
        }
        None => {
            if let Some(kind) = hf::kind_of(&inspection.display, name) {
                inspection
                    .facts
                    .extend(hf::inspect(file, size, name, kind)?);
            }
        }
        Some(
            Format::Numpy
            | Format::Pytorch
            | Format::Torchscript
            | Format::Pickle
            | Format::Joblib
            | Format::SevenZip
            | Format::Zip
            | Format::Tar,
        ) => inspection.facts.extend(pickles::inspect(
            file.get_mut(),
            inspection.size,
            &inspection.identity,
            limits,
        )),
    }
    // Bytes that start as a pickle are read as one too, whatever else they are (HDF5 with a user
    // block, a tar header torch's tarfile rejects, …): torch.load and pickle.load unpickle what
    // they do not recognise. Zip and `.npy` are recognised by their magic before any unpickling.
    let recognised_first = prefix.starts_with(b"PK") || prefix.starts_with(b"\x93NUMPY");
    if !recognised_first
        && !format.is_some_and(|f| matches!(f, Format::Pickle | Format::Joblib | Format::Pytorch))
        && let Some(as_pickle) = identify::sniff_pickle(&prefix)
    {
        inspection.facts.extend(pickles::inspect(
            file.get_mut(),
            inspection.size,
            &as_pickle,
            limits,
        ));
    }
    Ok(())
}

pub(crate) use crate::hash::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reader_stops_when_the_time_budget_is_spent() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let limits = ContainerLimits {
            max_seconds: 0,
            ..ContainerLimits::DEFAULT
        };
        for rel in [
            "formats/gguf/tiny.gguf",
            "formats/onnx/tiny.onnx",
            "formats/safetensors/model.safetensors",
            "formats/pickle/proto2.pkl",
        ] {
            let candidate = Candidate {
                display: rel.to_owned(),
                path: root.join(rel),
            };
            let inspection = inspect(&candidate, limits);
            let limited = inspection.facts.iter().any(|fact| {
                matches!(fact, Fact::ArchiveLimit { problem, .. }
                    if problem.contains("`models.max-seconds-per-file`: 0s"))
            });
            assert!(limited, "{rel}: {:?}", inspection.facts);
        }
    }
}
