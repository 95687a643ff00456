//! Lockfiles.
use super::{Facts, SourceFile};
pub(crate) fn read_uv_lock(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_poetry_lock(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_pdm_lock(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_pylock(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_pipfile_lock(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
