//! Dataset pins: sha256sum-style manifests and DVC files (`.dvc`, `dvc.lock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    if pick % 2 == 0 {
        gate::fuzzing::dataset_manifest(rest);
    } else {
        gate::fuzzing::dvc_file(rest);
    }
});
