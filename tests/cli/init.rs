//! `gate init [ROOT]`: a starter policy from what ROOT contains, valid for `gate policy check`,
//! passing `gate check` on ROOT as it is, and never overwriting a policy.

use crate::common::{Gate, Repo, findings_of};

#[test]
fn init_writes_a_policy_that_passes_and_then_guards_formats() {
    let repo = Repo::new();
    repo.copy_fixture(
        "formats/safetensors/model.safetensors",
        "models/model.safetensors",
    );
    repo.copy_fixture("formats/text/notes.txt", "notes.txt");
    let out = repo.gate().arg("init").run();
    out.code(0);
    insta::assert_snapshot!(out.stdout, @r"
    wrote ./.gate.yml (model formats found: safetensors); datasets and dependencies are left as commented examples
    next: review it, then run `gate check .`
    ");
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    insta::assert_snapshot!("init_policy", policy);

    repo.gate().args(["policy", "check"]).run().code(0);
    let check = repo.check().run();
    check.code(0);
    assert!(check.stdout.contains("policy .gate.yml"), "{check}");

    // A pickle added later is a format the starter policy does not allow.
    repo.copy_fixture("formats/pickle/proto2.pkl", "models/new.pkl");
    let after = repo.check().args(["--format", "json"]).run();
    after.code(1);
    let report = after.json();
    let refused = findings_of(&report, "format-not-allowed");
    assert_eq!(refused.len(), 1, "{after}");
    assert_eq!(refused[0]["path"], "models/new.pkl");
}

#[test]
fn init_without_models_allows_only_formats_that_cannot_run_code() {
    let repo = Repo::new();
    repo.copy_fixture("formats/text/notes.txt", "notes.txt");
    Gate::new().arg("init").arg(repo.path()).run().code(0);
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    assert!(
        policy.contains("  allow-formats: [safetensors, gguf, onnx, numpy]\n"),
        "{policy}"
    );
    repo.check().run().code(0);
}

#[test]
fn init_never_overwrites_a_policy() {
    for existing in [".gate.yml", ".gate.yaml", ".github/gate.yml"] {
        let repo = Repo::new();
        repo.write(existing, "version: 1\n# mine\n");
        let out = repo.gate().arg("init").run();
        out.code(2);
        assert!(
            out.stderr
                .contains("exists; `gate init` never overwrites a policy"),
            "{out}"
        );
        assert_eq!(
            std::fs::read_to_string(repo.path().join(existing)).unwrap(),
            "version: 1\n# mine\n"
        );
        assert_eq!(
            repo.path().join(".gate.yml").exists(),
            existing == ".gate.yml"
        );
    }
    let out = Gate::new().args(["init", "/nonexistent/gate-init"]).run();
    out.code(2);
    assert!(out.stderr.contains("is not a folder"), "{out}");
}
