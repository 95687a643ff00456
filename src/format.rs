//! The vocabulary of file formats gate knows, shared by identification, inspection, policy and
//! reports. Formats are named by what the bytes are, never by the file name.

use serde::Serialize;
use std::fmt;

/// What a file is, decided from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Format {
    // Model formats (the names `models.allow-formats` accepts).
    Safetensors,
    Gguf,
    Onnx,
    Numpy,
    Pytorch,
    Torchscript,
    Pickle,
    Joblib,
    Keras,
    Tensorflow,
    // Containers and data that are not models by themselves.
    Zip,
    Tar,
    #[serde(rename = "7z")]
    SevenZip,
    Hdf5,
    LfsPointer,
}

impl Format {
    /// Every model format, in the order the policy documentation lists them.
    pub(crate) const MODELS: [Self; 10] = [
        Self::Safetensors,
        Self::Gguf,
        Self::Onnx,
        Self::Numpy,
        Self::Pytorch,
        Self::Torchscript,
        Self::Pickle,
        Self::Joblib,
        Self::Keras,
        Self::Tensorflow,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Safetensors => "safetensors",
            Self::Gguf => "gguf",
            Self::Onnx => "onnx",
            Self::Numpy => "numpy",
            Self::Pytorch => "pytorch",
            Self::Torchscript => "torchscript",
            Self::Pickle => "pickle",
            Self::Joblib => "joblib",
            Self::Keras => "keras",
            Self::Tensorflow => "tensorflow",
            Self::Zip => "zip",
            Self::Tar => "tar",
            Self::SevenZip => "7z",
            Self::Hdf5 => "hdf5",
            Self::LfsPointer => "lfs-pointer",
        }
    }

    pub(crate) fn is_model(self) -> bool {
        Self::MODELS.contains(&self)
    }

    /// A model format by its policy name.
    pub(crate) fn model_by_name(name: &str) -> Option<Self> {
        Self::MODELS.into_iter().find(|f| f.name() == name)
    }

    /// Formats whose loaders can run code (pickle underneath, or arbitrary archives of them).
    pub(crate) fn can_carry_code(self) -> bool {
        matches!(
            self,
            Self::Pytorch
                | Self::Torchscript
                | Self::Pickle
                | Self::Joblib
                | Self::Zip
                | Self::Tar
                | Self::SevenZip
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
