//! joblib files, plain and compressed (zlib, gzip, bz2, xz, lzma, lz4).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so one target covers every name its readers claim.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = [
        "model.joblib",
        "model.joblib.gz",
        "model.joblib.xz",
        "model.joblib.bz2",
        "model.joblib.lz4",
    ];
    gate::fuzzing::inspect_file(names[usize::from(pick) % names.len()], rest);
});
