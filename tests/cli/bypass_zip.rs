//! The red team's zip findings (group `zip`): archives whose central directory a loader reads
//! differently from the first one found — a zip64 record beside a regular end record, an entry
//! count smaller than the directory, a decoy directory at the declared offset — give the exact
//! finding under every reading; their benign twins give none (`generate_bypasses_zip.py`).

use crate::common::{assert_folder_clean, assert_scan_findings};

const DANGEROUS: &str = "pickle-dangerous-global";
const SYSTEM: Option<&str> = Some("posix.system");

#[test]
fn a_zip64_record_is_followed_even_when_no_field_is_saturated() {
    assert_scan_findings(
        "pickles/malicious/zip/torch-zip64-shadow.pt",
        &[(DANGEROUS, Some("archive/data.pkl"), Some(2), SYSTEM)],
    );
    assert_scan_findings(
        "pickles/malicious/zip/npz-zip64-shadow.npz",
        &[(DANGEROUS, Some("arr_0.npy"), Some(130), SYSTEM)],
    );
}

#[test]
fn every_directory_entry_is_read_whatever_the_count_claims() {
    assert_scan_findings(
        "pickles/malicious/zip/npz-count-trick.npz",
        &[(DANGEROUS, Some("arr_0.npy"), Some(130), SYSTEM)],
    );
}

#[test]
fn the_directory_before_the_end_record_is_read_with_zipfiles_shift() {
    assert_scan_findings(
        "pickles/malicious/zip/npz-decoy-directory.npz",
        &[(DANGEROUS, Some("arr_0.npy"), Some(130), SYSTEM)],
    );
}

#[test]
fn benign_twins_give_no_findings() {
    assert_folder_clean("pickles/benign/zip", 4);
}
