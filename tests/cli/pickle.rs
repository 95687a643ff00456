//! The pickle engine end to end: real `torch.save` / `numpy` / `joblib` outputs pass the default
//! policy; one sample per published scanner bypass (shared/research/model-scanners.md §3) gives
//! the exact finding (rule, member, offset, global); policy presets, allow-globals, waivers and
//! container limits behave as documented.

use crate::common::{Gate, Repo, findings, fixture, sha256sum};
use serde_json::Value;

/// `(rule, member, offset, global)` of every finding except `format-mismatch` (extensions are
/// judged elsewhere), as `gate scan` reports them for one fixture.
/// One finding as `(rule, member, offset, global)`.
type Seen = (String, Option<String>, Option<u64>, Option<String>);

fn pickle_findings(rel: &str) -> Vec<Seen> {
    let out = Gate::new()
        .args(["scan", "--format", "json"])
        .arg(fixture(rel))
        .run();
    let report = out.json();
    findings(&report)
        .iter()
        .filter(|f| f["rule"] != "format-mismatch")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["member"].as_str().map(str::to_owned),
                f["offset"].as_u64(),
                f["evidence"]["global"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

type Expected<'a> = &'a [(&'a str, Option<&'a str>, Option<u64>, Option<&'a str>)];

#[track_caller]
fn assert_findings(rel: &str, expected: Expected<'_>) {
    let actual = pickle_findings(&format!("pickles/malicious/{rel}"));
    let expected: Vec<_> = expected
        .iter()
        .map(|(rule, member, offset, global)| {
            (
                (*rule).to_owned(),
                member.map(str::to_owned),
                *offset,
                global.map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(actual, expected, "findings of {rel}");
}

const DANGEROUS: &str = "pickle-dangerous-global";
const NOT_ALLOWED: &str = "pickle-global-not-allowed";
const MALFORMED: &str = "pickle-malformed";
const UNREADABLE: &str = "archive-unreadable";

fn benign_files(folder: &str) -> Vec<String> {
    let root = fixture("pickles/benign").join(folder);
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| {
            format!(
                "pickles/benign/{folder}/{}",
                e.expect("entry").file_name().to_string_lossy()
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn real_torch_numpy_joblib_and_builtin_pickles_pass_the_default_policy() {
    for folder in ["torch", "numpy", "joblib", "builtins"] {
        for rel in benign_files(folder) {
            let out = Gate::new()
                .args(["scan", "--format", "json"])
                .arg(fixture(&rel))
                .run();
            out.code(0);
            assert_eq!(findings(&out.json()).len(), 0, "{rel}\n{out}");
        }
    }
}

#[test]
fn sklearn_models_pass_with_the_sklearn_preset_only() {
    let repo = Repo::new();
    for rel in benign_files("sklearn") {
        let name = rel.rsplit('/').next().unwrap_or_default().to_owned();
        repo.copy_fixture(&rel, name);
    }
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert!(
        findings(&report).iter().all(|f| f["rule"] == NOT_ALLOWED
            && f["evidence"]["global"]
                .as_str()
                .is_some_and(|g| g.starts_with("sklearn."))),
        "{out}"
    );
    repo.policy(
        "version: 1\nmodels:\n  pickle:\n    allow-presets: [pytorch, numpy, joblib, sklearn]\n",
    );
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(findings(&out.json()).len(), 0, "{out}");
}

#[test]
fn training_args_pass_with_the_transformers_preset() {
    let repo = Repo::new();
    for rel in benign_files("transformers") {
        let name = rel.rsplit('/').next().unwrap_or_default().to_owned();
        repo.copy_fixture(&rel, name);
    }
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    repo.policy(
        "version: 1\nmodels:\n  pickle:\n    allow-presets: [pytorch, numpy, transformers]\n",
    );
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(findings(&out.json()).len(), 0, "{out}");
}

#[test]
fn a_policy_without_presets_rejects_a_torch_state_dict() {
    let repo = Repo::new();
    repo.copy_fixture("pickles/benign/torch/state_dict.pt", "model.pt");
    repo.policy("version: 1\nmodels:\n  pickle:\n    allow-presets: []\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let globals: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["rule"] == NOT_ALLOWED)
        .filter_map(|f| f["evidence"]["global"].as_str())
        .collect();
    assert!(
        globals.contains(&"torch._utils._rebuild_tensor_v2"),
        "{out}"
    );
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["member"] == "archive/data.pkl"),
        "{out}"
    );
}

// ---- §3a container and parser-differential bypasses ------------------------------------------

#[test]
fn nullifai_payload_before_a_broken_stream() {
    assert_findings(
        "nullifai-broken.pkl",
        &[
            (DANGEROUS, None, Some(2), Some("posix.system")),
            (MALFORMED, None, Some(39), None),
        ],
    );
    assert_findings(
        "nullifai-broken-proto0.bin",
        &[
            (DANGEROUS, None, Some(0), Some("posix.system")),
            (MALFORMED, None, Some(35), None),
        ],
    );
}

#[test]
fn sevenzip_containers_are_unreadable_not_skipped() {
    for rel in ["nullifai-7z.pt", "sevenzip-member-bin.7z"] {
        assert_findings(rel, &[(UNREADABLE, None, None, None)]);
    }
}

#[test]
fn zip_members_are_pickles_by_content_whatever_their_name() {
    assert_findings(
        "zip-member-txt.pt",
        &[(
            DANGEROUS,
            Some("archive/data.txt"),
            Some(2),
            Some("posix.system"),
        )],
    );
    assert_findings(
        "zip-member-proto0.zip",
        &[(
            DANGEROUS,
            Some("model/payload.txt"),
            Some(0),
            Some("posix.system"),
        )],
    );
    assert_findings(
        "zip-member-proto-zero.zip",
        &[(DANGEROUS, Some("model"), Some(2), Some("posix.system"))],
    );
}

#[test]
fn zips_are_read_as_torch_reads_them() {
    // CVE-2025-1944 (local name differs), CVE-2025-1945 (flag bits), CVE-2025-10156 (bad CRC).
    for rel in ["zip-local-name.pt", "zip-flag-bits.pt", "zip-bad-crc.pt"] {
        assert_findings(
            rel,
            &[(
                DANGEROUS,
                Some("archive/data.pkl"),
                Some(2),
                Some("posix.system"),
            )],
        );
    }
}

#[test]
fn a_plain_pickle_named_like_a_checkpoint_is_still_read() {
    // CVE-2025-10155 / T02.
    assert_findings(
        "plain-proto0.bin",
        &[(DANGEROUS, None, Some(0), Some("posix.system"))],
    );
    // Identification follows a valid stream past its prefix.
    assert_findings(
        "long-first-string.bin",
        &[(DANGEROUS, None, Some(70003), Some("posix.system"))],
    );
}

#[test]
fn legacy_checkpoints_are_read_completely() {
    // GHSA-97f8: the magic number comes from eval; the payload sits in a later pickle.
    assert_findings(
        "legacy-magic-eval.pt",
        &[
            (DANGEROUS, None, Some(2), Some("__builtin__.eval")),
            (DANGEROUS, None, Some(174), Some("posix.system")),
        ],
    );
    // modelscan's blind spot: the payload in the 4th stacked pickle.
    assert_findings(
        "legacy-fourth-pickle.pt",
        &[(DANGEROUS, None, Some(139), Some("posix.system"))],
    );
    // The legacy tar format.
    assert_findings(
        "legacy.tar.pt",
        &[(DANGEROUS, Some("pickle"), Some(2), Some("posix.system"))],
    );
}

#[test]
fn zips_inside_zips_are_opened() {
    assert_findings(
        "nested.zip",
        &[(
            DANGEROUS,
            Some("inner.pt!archive/data.pkl"),
            Some(2),
            Some("posix.system"),
        )],
    );
    assert_findings(
        "tar-in-zip.zip",
        &[(
            DANGEROUS,
            Some("bundle.tar!payload.bin"),
            Some(0),
            Some("posix.system"),
        )],
    );
}

#[test]
fn every_joblib_compressor_is_read() {
    for kind in ["zlib", "gzip", "bz2", "xz", "lzma", "lz4"] {
        assert_findings(
            &format!("compressed.{kind}.joblib"),
            &[(DANGEROUS, None, Some(2), Some("posix.system"))],
        );
    }
}

#[test]
fn joblib_inline_arrays_are_skipped_exactly_and_read_both_ways() {
    // T33: the payload after an inline array is seen.
    assert_findings(
        "joblib-after-array.joblib",
        &[(DANGEROUS, None, Some(776), Some("posix.system"))],
    );
    // Bytes joblib skips as padding, which plain pickle.load reads as opcodes.
    assert_findings(
        "joblib-padding-opcodes.joblib",
        &[(DANGEROUS, None, Some(225), Some("posix.system"))],
    );
    // A plain loader skipping a long argument out of the padding into the array data.
    assert_findings(
        "joblib-plain-loader-skip.joblib",
        &[(DANGEROUS, None, Some(5291), Some("posix.system"))],
    );
    // Array bytes that pickle.load runs as a call: judged like any call, dangerous or not.
    assert_findings(
        "side-reading-exec.pkl",
        &[(
            DANGEROUS,
            None,
            Some(165),
            Some("torch.fx.graph_module._exec_with_source"),
        )],
    );
    assert_findings(
        "side-reading-unlisted.pkl",
        &[(NOT_ALLOWED, None, Some(165), Some("textwrap.dedent"))],
    );
}

#[test]
fn numpy_object_arrays_are_unpickled_content() {
    assert_findings(
        "object-array.npy",
        &[(DANGEROUS, None, Some(69), Some("posix.system"))],
    );
    assert_findings(
        "object-array.npz",
        &[(DANGEROUS, Some("arr_0.npy"), Some(69), Some("posix.system"))],
    );
}

#[test]
fn stack_global_operands_are_resolved_however_they_are_pushed() {
    // T31: operands at opcode 0 (no PROTO); T32: operands via STRING; escapes decoded.
    assert_findings(
        "stack-global-at-zero.pkl",
        &[(DANGEROUS, None, Some(15), Some("posix.system"))],
    );
    assert_findings(
        "stack-global-string.pkl",
        &[(DANGEROUS, None, Some(21), Some("posix.system"))],
    );
    assert_findings(
        "stack-global-escapes.pkl",
        &[(DANGEROUS, None, Some(24), Some("os.system"))],
    );
}

#[test]
fn memo_tricks_resolve_or_fail_closed() {
    // T11: names stored in the memo, decoys pushed last.
    assert_findings(
        "memo-decoy.pkl",
        &[(DANGEROUS, None, Some(45), Some("posix.system"))],
    );
    // A memo key never stored: what ran before is reported, and the break.
    assert_findings(
        "memo-missing-key.pkl",
        &[
            (DANGEROUS, None, Some(2), Some("posix.system")),
            (MALFORMED, None, Some(39), None),
        ],
    );
    // A non-string operand: a global nobody can check.
    assert_findings(
        "memo-type-confusion.pkl",
        &[(NOT_ALLOWED, None, Some(15), Some("system.?"))],
    );
}

#[test]
fn an_opcode_crossing_its_frame_is_malformed() {
    assert_findings("frame-straddle.pkl", &[(MALFORMED, None, Some(11), None)]);
}

#[test]
fn dotted_names_are_walked_to_what_they_reach() {
    assert_findings(
        "dotted-name.pkl",
        &[(DANGEROUS, None, Some(22), Some("pathlib.os.system"))],
    );
    assert_findings(
        "numpy-builtins.pkl",
        &[(DANGEROUS, None, Some(23), Some("numpy.__builtins__"))],
    );
}

// ---- §3b denylist gaps: allowlist-first catches what no list names ---------------------------

#[test]
fn resolvers_and_gadgets_are_caught() {
    assert_findings(
        "pkgutil-resolve-name.pkl",
        &[(DANGEROUS, None, Some(25), Some("pkgutil.resolve_name"))],
    );
    assert_findings(
        "importlib-inspect.pkl",
        &[
            (DANGEROUS, None, Some(27), Some("inspect.getattr_static")),
            (DANGEROUS, None, Some(54), Some("importlib.import_module")),
        ],
    );
    assert_findings(
        "asyncio-subprocess.pkl",
        &[(
            DANGEROUS,
            None,
            Some(56),
            Some("asyncio.unix_events._UnixSubprocessTransport._start"),
        )],
    );
    assert_findings(
        "codeop-functiontype.pkl",
        &[
            (DANGEROUS, None, Some(23), Some("types.FunctionType")),
            (DANGEROUS, None, Some(49), Some("codeop.compile_command")),
        ],
    );
    assert_findings(
        "pip-main.pkl",
        &[(DANGEROUS, None, Some(13), Some("pip.main"))],
    );
    assert_findings(
        "torch-collect-env.pkl",
        &[(
            DANGEROUS,
            None,
            Some(32),
            Some("torch.utils.collect_env.run"),
        )],
    );
    assert_findings(
        "spawnv-passfds.pkl",
        &[(
            DANGEROUS,
            None,
            Some(40),
            Some("multiprocessing.util.spawnv_passfds"),
        )],
    );
    assert_findings(
        "methodcaller.pkl",
        &[
            (DANGEROUS, None, Some(26), Some("operator.methodcaller")),
            (DANGEROUS, None, Some(68), Some("pydoc.locate")),
        ],
    );
    assert_findings(
        "pickle-loads.pkl",
        &[(DANGEROUS, None, Some(17), Some("pickle.loads"))],
    );
    assert_findings(
        "http-server-dos.pkl",
        &[(DANGEROUS, None, Some(27), Some("http.server.HTTPServer"))],
    );
}

#[test]
fn callables_on_no_list_are_not_allowed() {
    assert_findings(
        "unlisted-callable.pkl",
        &[(NOT_ALLOWED, None, Some(20), Some("getpass.getuser"))],
    );
    assert_findings(
        "mlflow-entry-point.pkl",
        &[(
            NOT_ALLOWED,
            None,
            Some(51),
            Some("mlflow.projects.backend.local._run_entry_point"),
        )],
    );
    assert_findings(
        "ext-code.pkl",
        &[(NOT_ALLOWED, None, Some(2), Some("?.<extension code 1>"))],
    );
}

// ---- §3c fickling ----------------------------------------------------------------------------

#[test]
fn calls_whose_result_is_discarded_or_built_on_are_seen() {
    assert_findings(
        "obj-pop.pkl",
        &[(DANGEROUS, None, Some(18), Some("smtplib.SMTP"))],
    );
    assert_findings(
        "reduce-build.pkl",
        &[(DANGEROUS, None, Some(17), Some("signal.alarm"))],
    );
    assert_findings(
        "import-getattr.pkl",
        &[
            (DANGEROUS, None, Some(21), Some("builtins.getattr")),
            (DANGEROUS, None, Some(44), Some("builtins.__import__")),
        ],
    );
}

#[test]
fn every_module_fickling_had_to_add_is_dangerous() {
    let repo = Repo::new();
    let modules = [
        ("pty", "spawn"),
        ("marshal", "loads"),
        ("types", "CodeType"),
        ("runpy", "run_path"),
        ("importlib", "import_module"),
        ("code", "interact"),
        ("multiprocessing", "Process"),
        ("cProfile", "run"),
        ("ctypes", "CDLL"),
        ("pydoc", "pipepager"),
        ("uuid", "_get_command_stdout"),
        ("_aix_support", "_read_cmd_output"),
        ("_osx_support", "_read_output"),
        ("platform", "popen"),
        ("linecache", "getline"),
        ("difflib", "restore"),
        ("gc", "get_objects"),
        ("_posixsubprocess", "fork_exec"),
        ("site", "addpackage"),
        ("atexit", "register"),
        ("doctest", "debug_script"),
        ("unittest.mock", "patch"),
        ("_interpreters", "run_string"),
        ("_xxsubinterpreters", "run_string"),
        ("venv", "create"),
        ("torch._inductor.codecache", "compile_file"),
        ("functools", "partial"),
        ("weakref", "finalize"),
        ("logging.config", "fileConfig"),
        ("yaml", "load"),
        ("distutils.file_util", "write_file"),
        ("numpy.f2py.crackfortran", "getlincoef"),
        ("_io", "FileIO"),
        ("urllib.request", "urlopen"),
        ("cloudpickle.cloudpickle", "_make_function"),
        ("subprocess", "Popen"),
        ("nt", "system"),
        ("__builtin__", "apply"),
        ("commands", "getoutput"),
    ];
    for (i, (module, name)) in modules.iter().enumerate() {
        let mut bytes = b"\x80\x02c".to_vec();
        bytes.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        bytes.extend_from_slice(b")R.");
        repo.write(format!("m{i:02}.pkl"), bytes);
    }
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    for (i, (module, name)) in modules.iter().enumerate() {
        let path = format!("m{i:02}.pkl");
        let found: Vec<&Value> = findings(&report)
            .iter()
            .filter(|f| f["path"] == path.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{module}.{name}\n{out}");
        assert_eq!(found[0]["rule"], DANGEROUS, "{module}.{name}");
        assert_eq!(found[0]["offset"], 2);
        assert_eq!(found[0]["message"], format!("pickle calls {module}.{name}"));
    }
}

// ---- policy ------------------------------------------------------------------------------------

#[test]
fn allow_globals_admit_a_reviewed_global_but_never_a_dangerous_one() {
    let repo = Repo::new();
    repo.copy_fixture("pickles/malicious/unlisted-callable.pkl", "a.pkl");
    repo.copy_fixture("pickles/malicious/pip-main.pkl", "b.pkl");
    repo.policy(
        "version: 1\nmodels:\n  pickle:\n    allow-globals: [getpass.getuser, pip.main, \"pip.*\"]\n",
    );
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let rules: Vec<(&str, &str)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default(),
                f["rule"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(rules, [("b.pkl", DANGEROUS)], "{out}");
}

#[test]
fn dangerous_globals_are_waived_only_by_file_hash() {
    let repo = Repo::new();
    let file = repo.copy_fixture("pickles/malicious/pip-main.pkl", "legacy.pkl");
    repo.policy(
        "version: 1\nwaivers:\n  - rule: pickle-dangerous-global\n    path: legacy.pkl\n    reason: reviewed\n",
    );
    let out = repo.check().run();
    out.code(2);
    assert!(
        out.stderr.contains("must name the file's `sha256`"),
        "{out}"
    );
    repo.policy(&format!(
        "version: 1\nwaivers:\n  - rule: pickle-dangerous-global\n    path: legacy.pkl\n    sha256: {}\n    reason: reviewed\n",
        sha256sum(&file)
    ));
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    assert_eq!(out.json()["summary"]["waived"], 1, "{out}");
}

#[test]
fn container_limits_are_findings() {
    let repo = Repo::new();
    repo.copy_fixture("pickles/benign/torch/state_dict.pt", "model.pt");
    repo.copy_fixture("pickles/benign/joblib/arrays.gzip.joblib", "arrays.joblib");
    repo.policy("version: 1\nmodels:\n  max-archive-members: 2\n  max-uncompressed-size: 100\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    let limits: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["rule"] == "archive-limit")
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(limits, ["arrays.joblib", "model.pt"], "{out}");
}

#[test]
fn hostile_lengths_and_expansions_finish_quickly() {
    let repo = Repo::new();
    // BINBYTES8 claiming 2^62 bytes, a FRAME claiming 2^63, a billion-laughs of DUP/GET.
    repo.write(
        "huge-bytes.pkl",
        [&b"\x80\x04\x8e"[..], &(1u64 << 62).to_le_bytes()[..], b"."].concat(),
    );
    repo.write(
        "huge-frame.pkl",
        [&b"\x80\x04\x95"[..], &(1u64 << 63).to_le_bytes()[..], b"N."].concat(),
    );
    let mut laughs = b"\x80\x02]q\x00".to_vec();
    for i in 0..200u8 {
        laughs.extend_from_slice(b"(");
        for _ in 0..10 {
            laughs.extend_from_slice(&[b'h', i]);
        }
        laughs.extend_from_slice(&[b'l', b'q', i + 1]);
    }
    laughs.push(b'.');
    repo.write("laughs.pkl", laughs);
    let started = std::time::Instant::now();
    let out = repo.check().args(["--format", "json"]).run();
    assert!(started.elapsed().as_secs() < 10, "{out}");
    let report = out.json();
    let rules: Vec<(&str, &str)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default(),
                f["rule"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [("huge-bytes.pkl", MALFORMED), ("huge-frame.pkl", MALFORMED),],
        "{out}"
    );
}

#[test]
fn tensor_storages_are_never_opened_or_counted() {
    // state_dict.pt: data.pkl, 5 small metadata members, and 10 storages data.pkl names.
    let repo = Repo::new();
    repo.copy_fixture("pickles/benign/torch/state_dict.pt", "model.pt");
    repo.policy("version: 1\nmodels:\n  max-archive-members: 6\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(0);
    repo.policy("version: 1\nmodels:\n  max-archive-members: 5\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert_eq!(findings(&report).len(), 1, "{out}");
    assert_eq!(findings(&report)[0]["rule"], "archive-limit", "{out}");
}

#[test]
fn every_pickle_limit_is_a_policy_key_named_with_its_value() {
    // protocol 2: four short strings pushed and memoized, a tuple of them, STOP.
    let pickle = b"\x80\x02X\x01\x00\x00\x00aq\x00X\x01\x00\x00\x00bq\x01X\x01\x00\x00\x00cq\x02X\x01\x00\x00\x00dq\x03(h\x00h\x01h\x02h\x03tq\x04.";
    let cases = [
        (
            "max-pickle-opcodes: 5",
            "opcodes per pickle (`models.max-pickle-opcodes`: 5)",
        ),
        (
            "max-pickle-stack: 2",
            "pickle stack size (`models.max-pickle-stack`: 2)",
        ),
        (
            "max-pickle-memo: 2",
            "pickle memo size (`models.max-pickle-memo`: 2)",
        ),
    ];
    for (setting, named) in cases {
        let repo = Repo::new();
        repo.write("data.pkl", pickle);
        repo.policy(&format!("version: 1\nmodels:\n  {setting}\n"));
        let out = repo.check().args(["--format", "json"]).run();
        out.code(1);
        let report = out.json();
        let messages: Vec<&str> = findings(&report)
            .iter()
            .filter(|f| f["rule"] == "archive-limit")
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert_eq!(
            messages,
            [format!("stopped reading: limit reached: {named}")],
            "{setting}\n{out}"
        );
    }

    // Under the defaults the same pickle is clean.
    let repo = Repo::new();
    repo.write("data.pkl", pickle);
    repo.check().args(["--format", "json"]).run().code(0);

    // Archives inside archives: nested.zip holds a zip inside a zip.
    let repo = Repo::new();
    repo.copy_fixture("pickles/malicious/nested.zip", "nested.zip");
    repo.policy("version: 1\nmodels:\n  max-nesting-depth: 1\n");
    let out = repo.check().args(["--format", "json"]).run();
    out.code(1);
    let report = out.json();
    assert!(
        findings(&report)
            .iter()
            .any(|f| f["rule"] == "archive-limit"
                && f["message"].as_str().is_some_and(
                    |m| m.ends_with("limit reached: nesting depth (`models.max-nesting-depth`: 1)")
                )),
        "{out}"
    );
}

#[test]
fn nesting_depth_past_its_cap_is_a_policy_error() {
    let repo = Repo::new();
    repo.policy("version: 1\nmodels:\n  max-nesting-depth: 99\n");
    let out = repo.check().run();
    out.code(2);
    assert!(
        out.stderr
            .contains("`models.max-nesting-depth` must be a positive whole number, found 99"),
        "{out}"
    );
}
