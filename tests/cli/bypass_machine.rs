//! The red team's joblib desync findings (group `machine`): where joblib's reads of inline array
//! bytes depend on what the engine must predict — whether an object is a `NumpyArrayWrapper`
//! (joblib asks `isinstance`), the element size numpy takes from a dtype's state, and the plain
//! unpickler joblib uses for an object array's nested pickle — the call joblib runs is reported
//! as joblib runs it (`generate_bypasses_machine.py`). The bytes after it, which the other reading
//! parses, are also reported as broken (fail closed).

use crate::common::{Gate, assert_scan_findings, findings, fixture};

const DANGEROUS: &str = "pickle-dangerous-global";
const MALFORMED: &str = "pickle-malformed";
const SYSTEM: Option<&str> = Some("posix.system");

#[test]
fn a_wrapper_made_by_another_constructor_is_still_a_wrapper() {
    assert_scan_findings(
        "pickles/malicious/machine/reconstructor-wrapper.joblib",
        &[
            (DANGEROUS, None, Some(215), SYSTEM),
            (MALFORMED, None, Some(251), None),
        ],
    );
}

#[test]
fn flexible_dtypes_take_their_element_size_from_the_state() {
    assert_scan_findings(
        "pickles/malicious/machine/state-elsize.joblib",
        &[
            (DANGEROUS, None, Some(170), SYSTEM),
            (MALFORMED, None, Some(206), None),
        ],
    );
}

#[test]
fn an_object_arrays_nested_pickle_is_read_by_a_plain_unpickler() {
    let rel = "pickles/malicious/machine/nested-plain.joblib";
    assert_scan_findings(
        rel,
        &[
            (DANGEROUS, None, Some(327), SYSTEM),
            (MALFORMED, None, Some(364), None),
        ],
    );
    // Seen by the reading joblib itself takes, not only by the plain-pickle.load side reading.
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(fixture(rel))
        .run();
    let report = out.json();
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["evidence"].get("loader").is_none()),
        "{out}"
    );
}
