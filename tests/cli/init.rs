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
    wrote ./.gate.yml
      model formats: safetensors
      data pinned: 0 folders, 0 files
      dependency sources: no Python dependency files found
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

/// The `datasets.files` entries of a starter policy, as `(path, sha256)`.
fn pins(policy: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = policy.lines().skip_while(|l| *l != "datasets:");
    while let Some(line) = lines.next() {
        if let Some(path) = line.strip_prefix("    - path: ") {
            let path = path.split("  #").next().unwrap_or(path).trim();
            let sha = lines.next().unwrap_or_default();
            out.push((
                path.trim_matches('"').to_owned(),
                sha.trim().trim_start_matches("sha256: ").to_owned(),
            ));
        }
    }
    out
}

#[test]
fn init_pins_data_folders_and_data_files_then_a_changed_byte_fails() {
    let repo = Repo::new();
    repo.write("data/train/a.csv", "x,y\n1,2\n");
    repo.write("data/train/b c é.jsonl", "{}\n");
    repo.write("results/scores.parquet", "PAR1 not really PAR1");
    // A package named `data` is code, not data.
    repo.write("src/pkg/data/__init__.py", "");
    repo.write("src/pkg/data/loader.py", "import csv\n");
    let out = repo.gate().arg("init").run();
    out.code(0);
    assert!(
        out.stdout.contains("data pinned: 1 folder, 1 file"),
        "{out}"
    );
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    let pinned = pins(&policy);
    let paths: Vec<&str> = pinned.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["data", "results/scores.parquet"], "{policy}");
    // The same digests `gate hash` prints.
    let hashed = repo
        .gate()
        .args(["hash", "data", "results/scores.parquet"])
        .run();
    hashed.code(0);
    for (path, sha) in &pinned {
        assert!(hashed.stdout.contains(sha.as_str()), "{path}: {hashed}");
    }
    repo.check().run().code(0);

    repo.write("data/train/a.csv", "x,y\n1,3\n");
    let after = repo.check().args(["--format", "json"]).run();
    after.code(1);
    let report = after.json();
    let changed = findings_of(&report, "dataset-hash-mismatch");
    assert_eq!(changed.len(), 1, "{after}");
    assert_eq!(changed[0]["path"], "data");
}

#[test]
fn init_pins_one_by_one_a_data_folder_whose_digest_a_checkout_could_not_match() {
    let repo = Repo::new();
    repo.git_init();
    repo.write(".gitignore", "*.tmp\n");
    repo.write("data/a.csv", "1\n");
    repo.write("data/scratch.tmp", "on this disk only\n");
    let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    repo.write(
        "datasets/big.parquet",
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n"),
    );
    repo.write("datasets/small.csv", "2\n");
    repo.git(["add", "-A"]);
    repo.gate().arg("init").run().code(0);
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    let pinned = pins(&policy);
    let paths: Vec<&str> = pinned.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        ["data/a.csv", "datasets/big.parquet", "datasets/small.csv"],
        "{policy}"
    );
    // The LFS pointer is pinned by the oid of its content, which holds after `git lfs pull`.
    assert_eq!(pinned[1].1, oid);
    repo.check().run().code(0);
}

#[test]
fn init_declares_the_indexes_in_use_keeps_pinned_names_and_refuses_a_new_index() {
    let repo = Repo::new();
    repo.write(
        "pyproject.toml",
        r#"[project]
name = "demo"
version = "0.1.0"
dependencies = ["torch", "numpy"]

[[tool.uv.index]]
name = "pytorch"
url = "https://download.pytorch.org/whl/cu121"
explicit = true

[tool.uv.sources]
torch = { index = "pytorch" }
"#,
    );
    repo.write(
        "requirements.txt",
        format!(
            "--index-url https://ci:s3cret@pypi.acme.internal/simple\nacme-core==1.2.0 --hash=sha256:{}\n",
            "a".repeat(64)
        ),
    );
    let out = repo.gate().arg("init").run();
    out.code(0);
    assert!(
        out.stdout.contains(
            "dependency sources: 2 indexes besides PyPI (pytorch, pypi-acme-internal), 1 package kept to its index, requiring hashes, pins, commit refs"
        ),
        "{out}"
    );
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    assert!(
        !policy.contains("s3cret"),
        "a credential was written: {policy}"
    );
    let section: String = policy
        .lines()
        .skip_while(|l| !l.starts_with("dependencies:"))
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(section, @r#"
    dependencies:
      indexes:   # the indexes used here besides PyPI (`pypi` is predeclared)
        pytorch: "https://download.pytorch.org/whl/cu121"
        pypi-acme-internal: "https://pypi.acme.internal/simple"
      packages:  # first match wins
        # Pinned to one index by this repository's configuration:
        - names: ["torch"]
          allow: [pytorch]
        # Any other name may come from any index above. To stop dependency confusion, put your
        # private names first with only your own index allowed: `- names: ["acme-*"]` / `allow: [acme]`.
        - names: ["*"]
          allow: [pypi, pytorch, pypi-acme-internal]
      require-hashes: true  # every requirement here already has a hash
      require-pinned: true  # every requirement here is already pinned with ==
      git-refs: commit  # VCS requirements must name a full commit SHA
      allow-insecure: false  # http indexes and --trusted-host are errors
    "#);
    repo.gate().args(["policy", "check"]).run().code(0);
    repo.check().run().code(0);

    // A pull request that adds an index, or unpins torch from its own, fails.
    repo.write(
        "requirements.txt",
        format!(
            "--index-url https://pypi.acme.internal/simple\n--extra-index-url https://mirror.example/simple\nacme-core==1.2.0 --hash=sha256:{}\n",
            "a".repeat(64)
        ),
    );
    let after = repo.check().args(["--format", "json"]).run();
    after.code(1);
    let report = after.json();
    assert_eq!(
        findings_of(&report, "index-not-allowed").len(),
        1,
        "{after}"
    );
}

#[test]
fn init_loosens_only_the_hygiene_keys_the_repository_breaks_and_drops_rules_it_would_fail() {
    let repo = Repo::new();
    repo.write(
        "requirements.txt",
        "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.1.0\nrequests>=2\ngit+https://github.com/acme/tool@main#egg=tool\n",
    );
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\"torch\"]\n\n[[tool.uv.index]]\nname = \"pytorch\"\nurl = \"https://download.pytorch.org/whl/cu121\"\nexplicit = true\n\n[tool.uv.sources]\ntorch = { index = \"pytorch\" }\n",
    );
    repo.gate().arg("init").run().code(0);
    let policy = std::fs::read_to_string(repo.path().join(".gate.yml")).unwrap();
    for expected in [
        "  require-hashes: false  # not yet",
        "  require-pinned: false  # not yet",
        "  git-refs: any  # not yet",
        "  allow-insecure: false",
        "  # No rule for every name",
    ] {
        assert!(policy.contains(expected), "{expected}: {policy}");
    }
    // pip merges PyPI with the PyTorch index for torch, so keeping torch to its index would fail
    // this repository as it is: that rule is not written.
    assert!(!policy.contains("- names: [\"torch\"]"), "{policy}");
    repo.check().run().code(0);
}
