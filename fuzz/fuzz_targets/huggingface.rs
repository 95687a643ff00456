//! Hugging Face configuration, auto_map and chat templates.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so one target covers every name its readers claim.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = [
        "config.json",
        "tokenizer_config.json",
        "model_index.json",
        "chat_template.jinja",
        "modeling_custom.py",
    ];
    gate::fuzzing::inspect_file(names[usize::from(pick) % names.len()], rest);
});
