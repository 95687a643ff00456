//! Commands.
use super::{Facts, SourceFile};
pub(crate) fn read_pip_conf(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_script(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
pub(crate) fn read_workflow(_file: &SourceFile<'_>, _text: &str) -> Facts { Facts::default() }
