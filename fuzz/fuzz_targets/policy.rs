//! The policy file: YAML parsing and validation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gate::fuzzing::policy(data);
});
