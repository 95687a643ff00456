//! pyproject.toml, uv.toml and Pipfile.
use super::{Facts, SourceFile};
pub(crate) fn read_pyproject(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_uv_toml(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_pipfile(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
