//! Git LFS pointer files: the `oid` and `size` a pointer names in place of the content.

use super::Fact;

pub(super) fn inspect(text: &[u8]) -> Fact {
    let text = String::from_utf8_lossy(text);
    let mut oid = None;
    let mut size = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("oid sha256:") {
            oid = Some(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("size ") {
            size = rest.trim().parse().ok();
        }
    }
    Fact::LfsPointer { oid, size }
}
