//! The safetensors rule: headers a loader would reject, misread, or that hide extra bytes.

use crate::finding::{Finding, Rule, Severity};
use crate::inspect::{Fact, Inspection};

pub(crate) static SAFETENSORS_INVALID: Rule = Rule {
    id: "safetensors-invalid",
    summary: "a safetensors file is malformed or carries bytes outside its tensors",
    default_severity: Severity::Error,
    waiver_needs_sha256: false,
    docs: "\
## What it checks
The header of every safetensors file, without reading tensor data: the 8-byte header length
(bounded by the file size and the 100 MB limit loaders use), UTF-8 JSON object, known dtypes,
string-only `__metadata__`, each tensor's shape × dtype equal to its `data_offsets` span, offsets
that start at 0, never overlap, leave no gap and end exactly at the end of the file.

## Why
safetensors is safe because loaders read only what the header describes. A malformed header is a
parser-differential risk between libraries; bytes after the last tensor are invisible to
safetensors but can make the file a polyglot — a pickle that `torch.load` would run.

## How to fix
Re-export the model with the `safetensors` library (`save_file`), and check where the file came
from if it carried trailing bytes.",
};

pub(super) fn judge(inspection: &Inspection, out: &mut Vec<Finding>) {
    for fact in &inspection.facts {
        if let Fact::SafetensorsInvalid {
            problem,
            offset,
            trailing_pickle,
        } = fact
        {
            let mut finding = SAFETENSORS_INVALID
                .at(&inspection.display, format!("invalid safetensors file: {problem}"))
                .offset(*offset)
                .help(if *trailing_pickle {
                    "the file is a polyglot hiding a pickle after its tensors; re-export it with the safetensors library and find out where it came from"
                } else {
                    "re-export the model with the safetensors library"
                });
            if *trailing_pickle {
                finding = finding.evidence("trailing", "pickle");
            }
            out.push(finding);
        }
    }
}
