//! Keras v3 zip archives and HDF5 (legacy Keras) files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so one target covers every name its readers claim.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = ["model.keras", "model.h5", "weights.hdf5"];
    gate::fuzzing::inspect_file(names[usize::from(pick) % names.len()], rest);
});
