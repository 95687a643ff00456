//! Hostile inputs end to end: every attack file is built at run time in a temporary folder, and the
//! built `gate` binary runs on it under a 2 GiB address-space limit (`prlimit --as`) and a
//! wall-clock timeout. Each attack must end as a finding with exit code 1 (fail closed), a hostile
//! policy as exit code 2 — never a crash, a hang, an out-of-memory kill, or a pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Address space each run may use.
const ADDRESS_SPACE: u64 = 2 * 1024 * 1024 * 1024;
/// Wall-clock bound of one run.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `echo gate-test` through `posix.system`: GLOBAL, BINUNICODE, TUPLE1, REDUCE, STOP.
fn payload_body() -> Vec<u8> {
    let mut body = b"cposix\nsystem\nX".to_vec();
    let arg = b"echo gate-test";
    body.extend_from_slice(&(arg.len() as u32).to_le_bytes());
    body.extend_from_slice(arg);
    body.extend_from_slice(b"\x85R.");
    body
}

fn payload() -> Vec<u8> {
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(payload_body());
    bytes
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn report(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.stderr))
    }

    /// Asserts exit 1 and at least one finding of one of `rules`; returns the matching findings.
    #[track_caller]
    fn fails_with(&self, rules: &[&str]) -> Vec<Value> {
        assert_eq!(
            self.code, 1,
            "expected exit 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        let report = self.report();
        let found: Vec<Value> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| rules.iter().any(|r| f["rule"] == *r))
            .cloned()
            .collect();
        assert!(
            !found.is_empty(),
            "no finding of {rules:?}\nstdout:\n{}",
            self.stdout
        );
        found
    }
}

/// Runs `gate ARGS` under the address-space limit and the timeout.
fn gate(args: &[&std::ffi::OsStr]) -> Run {
    let binary = assert_cmd::cargo::cargo_bin("gate");
    let mut child = Command::new("prlimit")
        .arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(binary)
        .args(args)
        .env_remove("GATE_LOG")
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs gate");
    let start = Instant::now();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gate ran longer than {TIMEOUT:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    let Some(code) = status.code() else {
        panic!("gate was killed ({status}): a crash or out of memory\nstderr:\n{stderr}");
    };
    assert!(
        !stderr.contains("panicked"),
        "gate panicked\nstderr:\n{stderr}"
    );
    Run {
        code,
        stdout,
        stderr,
        elapsed,
    }
}

fn scan(root: &Path) -> Run {
    gate(&[
        "scan".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        root.as_os_str(),
    ])
}

fn check_with_policy(root: &Path, policy: &Path) -> Run {
    gate(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--policy".as_ref(),
        policy.as_os_str(),
        root.as_os_str(),
    ])
}

fn tempdir() -> TempDir {
    tempfile::Builder::new()
        .prefix("gate-hostile-")
        .tempdir()
        .expect("a temporary folder")
}

// ---------------------------------------------------------------------------------------------
// Builders

/// A pickle that holds `zeros` bytes in one BINBYTES8 argument, pops it, then runs the payload:
/// returned as (head, tail) around the zeros.
fn padded_pickle(zeros: u64) -> (Vec<u8>, Vec<u8>) {
    let mut head = b"\x80\x04\x8e".to_vec();
    head.extend_from_slice(&zeros.to_le_bytes());
    let mut tail = b"0".to_vec();
    tail.extend(payload_body());
    (head, tail)
}

/// A raw deflate stream of `head`, `copies` × `chunk` zeros, `tail`, built by repeating one
/// byte-aligned compressed chunk (gigabytes of output from megabytes of work).
fn deflate_bomb(head: &[u8], chunk: usize, copies: usize, tail: &[u8]) -> (Vec<u8>, u32) {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    let mut compress = Compress::new(Compression::best(), false);
    let mut run = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(input.len() / 100 + 1024);
        let before = compress.total_in();
        loop {
            let consumed = (compress.total_in() - before) as usize;
            out.reserve(64 * 1024);
            compress
                .compress_vec(&input[consumed..], &mut out, flush)
                .expect("deflate");
            let done = (compress.total_in() - before) as usize == input.len();
            if done && out.len() < out.capacity() {
                break;
            }
        }
        out
    };
    let zeros = vec![0u8; chunk];
    let mut stream = run(head, FlushCompress::Sync);
    let block = run(&zeros, FlushCompress::Sync);
    for _ in 0..copies {
        stream.extend_from_slice(&block);
    }
    stream.extend(run(tail, FlushCompress::Finish));
    let mut crc = Crc::new();
    crc.update(head);
    let mut zeros_crc = Crc::new();
    zeros_crc.update(&zeros);
    for _ in 0..copies {
        crc.combine(&zeros_crc);
    }
    crc.update(tail);
    (stream, crc.sum())
}

struct ZipMember<'a> {
    name: &'a str,
    method: u16,
    data: &'a [u8],
    crc: u32,
    uncompressed: u32,
}

/// A zip archive of `members` (no zip64: every size fits in 32 bits).
fn zip(members: &[ZipMember<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&m.method.to_le_bytes());
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&m.crc.to_le_bytes());
            h.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&m.uncompressed.to_le_bytes());
            h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                h.extend_from_slice(&[0; 8]);
                h.extend_from_slice(&0u32.to_le_bytes());
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(m.name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(m.data);
        central.extend(header(0x0201_4b50, true));
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn stored<'a>(name: &'a str, data: &'a [u8]) -> ZipMember<'a> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    ZipMember {
        name,
        method: 0,
        data,
        crc: crc.sum(),
        uncompressed: data.len() as u32,
    }
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(path, bytes).expect("write");
}

const PICKLE_RULES: &[&str] = &[
    "pickle-dangerous-global",
    "pickle-malformed",
    "archive-unreadable",
    "archive-limit",
];

// ---------------------------------------------------------------------------------------------
// Archives and compressors

const GIB: u64 = 1024 * 1024 * 1024;

#[test]
fn zip_bomb_pickle_member_inflating_to_gigabytes() {
    let dir = tempdir();
    let chunk = 4 * 1024 * 1024;
    let copies = (3 * GIB + GIB / 2) as usize / chunk;
    let (head, tail) = padded_pickle((chunk * copies) as u64);
    let (data, crc) = deflate_bomb(&head, chunk, copies, &tail);
    let uncompressed = (head.len() + chunk * copies + tail.len()) as u32;
    let bytes = zip(&[ZipMember {
        name: "archive/data.pkl",
        method: 8,
        data: &data,
        crc,
        uncompressed,
    }]);
    assert!(
        bytes.len() < 8 * 1024 * 1024,
        "the bomb stays small on disk"
    );
    write(dir.path(), "model.pt", &bytes);
    let run = scan(dir.path());
    run.fails_with(PICKLE_RULES);
}

/// A joblib file compressed as one stream for the header, `copies` streams of `chunk` zeros, one
/// stream for the payload: decoders that read concatenated streams see gigabytes.
fn joblib_bomb(compress: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let chunk = 32 * 1024 * 1024;
    let copies = (2 * GIB + GIB / 2) as usize / chunk;
    let (head, tail) = padded_pickle((chunk * copies) as u64);
    let zeros = compress(&vec![0u8; chunk]);
    let mut bytes = compress(&head);
    for _ in 0..copies {
        bytes.extend_from_slice(&zeros);
    }
    bytes.extend(compress(&tail));
    bytes
}

#[test]
fn joblib_gzip_bomb() {
    let dir = tempdir();
    let bytes = joblib_bomb(|data| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    });
    write(dir.path(), "model.joblib", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn joblib_xz_bomb() {
    let dir = tempdir();
    let bytes = joblib_bomb(|data| {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
        e.write_all(data).expect("xz");
        e.finish().expect("xz")
    });
    write(dir.path(), "model.joblib", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn joblib_bz2_bomb() {
    let dir = tempdir();
    let bytes = joblib_bomb(|data| {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(data).expect("bz2");
        e.finish().expect("bz2")
    });
    write(dir.path(), "model.joblib", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn a_file_past_its_time_budget_is_a_finding_naming_the_limit() {
    let dir = tempdir();
    let bytes = joblib_bomb(|data| {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 0);
        e.write_all(data).expect("xz");
        e.finish().expect("xz")
    });
    write(dir.path(), "model.joblib", &bytes);
    write(
        dir.path(),
        "policy.yml",
        b"version: 1\nmodels:\n  max-seconds-per-file: 1\n",
    );
    let run = check_with_policy(dir.path(), &dir.path().join("policy.yml"));
    let found = run.fails_with(&["archive-unreadable", "archive-limit"]);
    assert!(
        found.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("`models.max-seconds-per-file`: 1s"))),
        "the limit is named with its value\n{}",
        run.stdout
    );
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);

    write(
        dir.path(),
        "policy.yml",
        b"version: 1\nmodels:\n  max-seconds-per-file: 0\n",
    );
    let run = check_with_policy(dir.path(), &dir.path().join("policy.yml"));
    assert_eq!(
        run.code, 2,
        "a zero budget is a policy error\n{}",
        run.stderr
    );
}

#[test]
fn truncated_zip_holding_a_payload() {
    let dir = tempdir();
    let payload = payload();
    let whole = zip(&[stored("archive/data.pkl", &payload)]);
    // Cut inside the central directory: the local header and the payload are intact.
    let cut = whole.len() - 30;
    write(dir.path(), "model.pt", &whole[..cut]);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn nested_archives_past_the_depth_limit() {
    let dir = tempdir();
    let payload = payload();
    let mut inner = zip(&[stored("archive/data.pkl", &payload)]);
    for level in 0..8 {
        let name = format!("level{level}.zip");
        inner = zip(&[stored(&name, &inner)]);
    }
    write(dir.path(), "model.pt", &inner);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

// ---------------------------------------------------------------------------------------------
// Pickle streams

#[test]
fn a_million_marks_before_a_payload() {
    let dir = tempdir();
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(std::iter::repeat_n(b'(', 1_000_000));
    bytes.extend(payload_body());
    write(dir.path(), "model.pkl", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn a_million_nested_lists_before_a_payload() {
    let dir = tempdir();
    let mut bytes = b"\x80\x02".to_vec();
    bytes.extend(std::iter::repeat_n(b']', 1_000_000));
    bytes.extend(payload_body());
    write(dir.path(), "model.pkl", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

#[test]
fn a_2_pow_62_length_claim_in_a_truncated_stream() {
    let dir = tempdir();
    let mut bytes = payload();
    bytes.pop();
    bytes.extend_from_slice(b"\x8e");
    bytes.extend_from_slice(&(1u64 << 62).to_le_bytes());
    bytes.extend_from_slice(b"only a few bytes follow");
    write(dir.path(), "model.pkl", &bytes);
    scan(dir.path()).fails_with(PICKLE_RULES);
}

// ---------------------------------------------------------------------------------------------
// safetensors

#[test]
fn safetensors_header_length_of_2_pow_63() {
    let dir = tempdir();
    let mut bytes = (1u64 << 63).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    write(dir.path(), "model.safetensors", &bytes);
    scan(dir.path()).fails_with(&["safetensors-invalid"]);
}

#[test]
fn safetensors_50_mib_junk_header() {
    let dir = tempdir();
    let len = 50 * 1024 * 1024u64;
    let mut bytes = len.to_le_bytes().to_vec();
    bytes.push(b'{');
    bytes.extend((1..len).map(|i| b"\"junk\x01\xff:["[(i % 9) as usize]));
    write(dir.path(), "model.safetensors", &bytes);
    scan(dir.path()).fails_with(&["safetensors-invalid"]);
}

// ---------------------------------------------------------------------------------------------
// Policies

#[test]
fn billion_laughs_policy() {
    let dir = tempdir();
    let mut yaml =
        String::from("version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let prev = level - 1;
        yaml.push_str(&format!(
            "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    write(dir.path(), "policy.yml", yaml.as_bytes());
    let run = check_with_policy(dir.path(), &dir.path().join("policy.yml"));
    assert_eq!(run.code, 2, "a hostile policy is an error\n{}", run.stderr);
}

#[test]
fn deeply_nested_policy() {
    let dir = tempdir();
    let depth = 100_000;
    let yaml = format!(
        "version: 1\nx: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    write(dir.path(), "policy.yml", yaml.as_bytes());
    let run = check_with_policy(dir.path(), &dir.path().join("policy.yml"));
    assert_eq!(run.code, 2, "a hostile policy is an error\n{}", run.stderr);
    let yaml = format!(
        "version: 1\nx:\n{}",
        (0..20_000)
            .map(|i| format!("{}- \n", " ".repeat(i % 200)))
            .collect::<String>()
    );
    write(dir.path(), "policy.yml", yaml.as_bytes());
    let run = check_with_policy(dir.path(), &dir.path().join("policy.yml"));
    assert_eq!(run.code, 2, "a hostile policy is an error\n{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// The file system

#[test]
fn symlink_loops_and_links_out_of_the_root() {
    let dir = tempdir();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("models")).expect("folders");
    std::os::unix::fs::symlink("b.pkl", root.join("models/a.pkl")).expect("link");
    std::os::unix::fs::symlink("a.pkl", root.join("models/b.pkl")).expect("link");
    std::os::unix::fs::symlink("..", root.join("models/up")).expect("link");
    std::os::unix::fs::symlink(".", root.join("models/self")).expect("link");
    write(dir.path(), "outside/evil.pkl", &payload());
    std::os::unix::fs::symlink("../outside/evil.pkl", root.join("models/out.pkl")).expect("link");
    std::os::unix::fs::symlink("/etc", root.join("etc")).expect("link");
    let run = scan(&root);
    assert!(run.elapsed < TIMEOUT);
    // gate never follows such a link; the run ends, every link is reported, and the loop and the
    // links out of the root fail closed.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let links: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "symlink-outside-root")
        .filter_map(|f| f["path"].as_str())
        .collect();
    for link in ["models/out.pkl", "models/a.pkl", "models/b.pkl", "etc"] {
        assert!(
            links.iter().any(|path| path.ends_with(link)),
            "{link} is reported\n{}",
            run.stdout
        );
    }
}

#[test]
fn fifo_named_like_a_model_does_not_block() {
    let dir = tempdir();
    let fifo = dir.path().join("model.pkl");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let run = scan(dir.path());
    assert!(run.elapsed < TIMEOUT);
    run.fails_with(&["file-unreadable"]);
    write(dir.path(), "evil.pkl", &payload());
    let run = scan(dir.path());
    run.fails_with(&["file-unreadable"]);
    run.fails_with(&["pickle-dangerous-global"]);
}

#[test]
fn unreadable_file_fails_closed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    write(dir.path(), "model.pkl", &payload());
    let path = dir.path().join("model.pkl");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&path).is_ok() {
        // Running as root (or with CAP_DAC_OVERRIDE): permissions do not bite, and the payload
        // is read and found instead, which is also fail-closed.
        scan(dir.path()).fails_with(&["pickle-dangerous-global"]);
        return;
    }
    scan(dir.path()).fails_with(&["file-unreadable"]);
}

#[test]
fn non_utf8_name_holding_a_payload() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    let name = std::ffi::OsStr::from_bytes(b"model-\xff\xfe.pkl");
    std::fs::write(dir.path().join(name), payload()).expect("write");
    scan(dir.path()).fails_with(&["pickle-dangerous-global"]);
}

#[test]
fn fifty_thousand_files_in_one_folder() {
    let dir = tempdir();
    let folder = dir.path().join("many");
    std::fs::create_dir_all(&folder).expect("folder");
    for i in 0..50_000 {
        std::fs::write(folder.join(format!("f{i:05}.txt")), b"x").expect("write");
    }
    std::fs::write(folder.join("z-model.pkl"), payload()).expect("write");
    let run = scan(dir.path());
    run.fails_with(&["pickle-dangerous-global"]);
}
