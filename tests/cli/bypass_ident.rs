//! The red team's identification findings (group `ident`): bytes that a weaker sniff claimed for
//! another format (HDF5 signature at a user-block offset, a `ustar` magic with no valid tar
//! checksum), a v7 tar, the `storage_views` pickle of legacy tar checkpoints, and `.npy` headers
//! whose `descr` makes numpy unpickle the body in a spelling the old reader missed. Each gives
//! the exact finding; the benign twins and real h5py / tar / numpy files give none
//! (`generate_bypasses_ident.py`).

use crate::common::{Gate, assert_folder_clean, assert_scan_findings, findings, fixture};

const DANGEROUS: &str = "pickle-dangerous-global";
const SYSTEM: Option<&str> = Some("posix.system");

#[test]
fn a_pickle_is_read_as_one_whatever_other_signature_it_carries() {
    // Named .pt, the HDF5 reading is also a format mismatch; the pickle reading finds the call.
    assert_scan_findings(
        "pickles/malicious/ident/hdf5-user-block.pt",
        &[
            ("format-mismatch", None, None, None),
            (DANGEROUS, None, Some(2), SYSTEM),
        ],
    );
    assert_scan_findings(
        "pickles/malicious/ident/tar-bad-checksum.pt",
        &[(DANGEROUS, None, Some(2), SYSTEM)],
    );
}

#[test]
fn legacy_tar_checkpoints_are_read_as_torch_reads_them() {
    for name in ["legacy-storage-views.pt", "legacy-v7.pt"] {
        assert_scan_findings(
            &format!("pickles/malicious/ident/{name}"),
            &[(DANGEROUS, Some("storages"), Some(7), SYSTEM)],
        );
        let out = Gate::new()
            .args(["scan", "--format", "json"])
            .arg(fixture(&format!("pickles/malicious/ident/{name}")))
            .run();
        assert_eq!(out.json()["artifacts"][0]["format"], "pytorch", "{out}");
    }
}

#[test]
fn npy_headers_are_read_as_numpy_reads_them() {
    for name in [
        "descr-object.npy",
        "descr-field-shape.npy",
        "descr-escaped.npy",
    ] {
        assert_scan_findings(
            &format!("pickles/malicious/ident/{name}"),
            &[(DANGEROUS, None, Some(130), SYSTEM)],
        );
    }
}

#[test]
fn benign_twins_and_real_files_give_no_findings() {
    assert_folder_clean("pickles/benign/ident", 14);
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(fixture("pickles/benign/ident/user-block.h5"))
        .run();
    assert_eq!(out.json()["artifacts"][0]["format"], "hdf5", "{out}");
    assert!(findings(&out.json()).is_empty());
}
