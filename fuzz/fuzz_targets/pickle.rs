//! A bare pickle stream (the pickle machine).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so one target covers every name its readers claim.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = ["model.pkl", "data.pickle", "model.pt"];
    gate::fuzzing::inspect_file(names[usize::from(pick) % names.len()], rest);
});
