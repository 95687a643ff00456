//! Python dependency declarations: requirements, pyproject, lockfiles, conda, pip.conf, scripts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The first byte picks the file name, so one target covers every name its readers claim.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = [
        "requirements.txt",
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "pylock.toml",
        "Pipfile",
        "Pipfile.lock",
        "environment.yml",
        "setup.cfg",
        "pip.conf",
        "uv.toml",
        "Dockerfile",
        ".github/workflows/ci.yml",
    ];
    gate::fuzzing::dependency_file(names[usize::from(pick) % names.len()], rest);
});
