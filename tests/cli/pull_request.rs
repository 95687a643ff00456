//! `--pr-comment` and `--check-run` against a local mock of the GitHub API (wiremock): every
//! request gate sends is read back in full — method, path, token, JSON body.

use crate::common::{Gate, Repo};
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_t0k3n-never-printed";
const HEAD_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const MARKER: &str = "<!-- gate:report -->";
const COMMENTS: &str = "/repos/octo/repo/issues/7/comments";

/// A pull_request event payload (number 7) in a folder of its own.
fn event() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let payload = json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": HEAD_SHA, "ref": "feature"}, "base": {"sha": "f".repeat(40)}}
    });
    std::fs::write(dir.path().join("event.json"), payload.to_string()).unwrap();
    dir
}

fn with_api(gate: Gate, server: &MockServer, event: &TempDir) -> Gate {
    gate.env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "octo/repo")
        .env("GITHUB_API_URL", &server.uri())
        .env(
            "GITHUB_EVENT_PATH",
            event.path().join("event.json").to_str().unwrap(),
        )
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GATE_LOG", "trace")
}

/// Runs gate on a worker thread (the mock server keeps serving on the runtime).
async fn run(gate: Gate) -> crate::common::Output {
    tokio::task::spawn_blocking(move || gate.run())
        .await
        .unwrap()
}

fn user(login: &str, id: u64) -> Value {
    json!({"login": login, "id": id, "type": if login.ends_with("[bot]") { "Bot" } else { "User" }})
}

fn comment(id: u64, login: &str, body: &str) -> Value {
    json!({"id": id, "user": user(login, id * 10), "body": body})
}

/// The Actions token cannot read `/user`; comments as given; creation and updates succeed.
async fn mount_api(server: &MockServer, comments: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(comments)))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            100,
            "github-actions[bot]",
            "created",
        )))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/repo/issues/comments/100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            100,
            "github-actions[bot]",
            "updated",
        )))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/octo/repo/check-runs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 555, "name": "gate"})))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/repo/check-runs/555"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 555, "name": "gate"})))
        .mount(server)
        .await;
}

/// Every request the server saw that changes something: (method, path, body).
async fn sent(server: &MockServer) -> Vec<(String, String, Value)> {
    let requests: Vec<Request> = server.received_requests().await.unwrap();
    for request in &requests {
        assert_eq!(
            request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{} {}",
            request.method,
            request.url
        );
    }
    requests
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                serde_json::from_slice(&r.body).unwrap(),
            )
        })
        .collect()
}

fn failing_repo() -> Repo {
    let repo = Repo::new();
    repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
    repo.copy_fixture("formats/safetensors/model.safetensors", "models/x.gguf");
    repo
}

#[track_caller]
fn assert_token_hidden(out: &crate::common::Output) {
    assert!(
        !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
        "the token leaked\n{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_creates_the_comment_and_the_check_run_second_run_updates_the_comment() {
    let repo = failing_repo();
    let event = event();
    let server = MockServer::start().await;
    mount_api(&server, Vec::new()).await;
    let gate =
        with_api(repo.gate(), &server, &event).args(["check", "--pr-comment", "--check-run"]);
    let out = run(gate).await;
    out.code(1);
    assert_token_hidden(&out);
    assert!(!out.stderr.contains("WARN"), "{out}");

    let writes = sent(&server).await;
    assert_eq!(writes.len(), 2, "{writes:#?}");
    let (verb, route, check) = &writes[0];
    assert_eq!(
        (verb.as_str(), route.as_str()),
        ("POST", "/repos/octo/repo/check-runs")
    );
    let summary = check["output"]["summary"].as_str().unwrap().to_owned();
    assert!(
        summary.contains("| error | `format-mismatch` | `models/x.gguf` |"),
        "{summary}"
    );
    assert_eq!(
        *check,
        json!({
            "name": "gate",
            "head_sha": HEAD_SHA,
            "status": "completed",
            "conclusion": "failure",
            "output": {
                "title": "gate: failed (1 errors, 0 warnings)",
                "summary": summary,
                "annotations": [{
                    "path": "models/x.gguf",
                    "start_line": 1,
                    "end_line": 1,
                    "annotation_level": "failure",
                    "title": "format-mismatch",
                    "message": "named `.gguf` but the content is safetensors\nhelp: rename the file to match its content, or replace it with a real gguf file"
                }]
            }
        })
    );
    let (verb, route, created) = &writes[1];
    assert_eq!((verb.as_str(), route.as_str()), ("POST", COMMENTS));
    let body = created["body"].as_str().unwrap();
    assert_eq!(created, &json!({"body": body}));
    assert!(body.starts_with("## ❌ gate: failed\n"), "{body}");
    assert!(body.ends_with(&format!("\n{MARKER}\n")), "{body}");
    assert_eq!(body.trim_end_matches(&format!("\n{MARKER}\n")), summary);

    // Second run: GitHub now lists the comment gate made; it is updated, not duplicated.
    server.reset().await;
    mount_api(
        &server,
        vec![
            comment(90, "alice", "LGTM"),
            comment(
                100,
                "github-actions[bot]",
                &format!("old report\n{MARKER}\n"),
            ),
        ],
    )
    .await;
    let gate = with_api(repo.gate(), &server, &event).args(["check", "--pr-comment"]);
    run(gate).await.code(1);
    let writes = sent(&server).await;
    assert_eq!(writes.len(), 1, "{writes:#?}");
    let (verb, route, updated) = &writes[0];
    assert_eq!(
        (verb.as_str(), route.as_str()),
        ("PATCH", "/repos/octo/repo/issues/comments/100")
    );
    assert_eq!(updated["body"].as_str().unwrap(), body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_by_someone_else_carrying_the_marker_is_left_alone() {
    let repo = failing_repo();
    let event = event();
    let server = MockServer::start().await;
    mount_api(
        &server,
        vec![comment(
            99,
            "mallory",
            &format!("{MARKER} ✅ gate: passed, nothing to see"),
        )],
    )
    .await;
    let gate = with_api(repo.gate(), &server, &event).args(["check", "--pr-comment"]);
    run(gate).await.code(1);
    let writes = sent(&server).await;
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].0, "POST");
    assert_eq!(writes[0].1, COMMENTS, "a new comment, never an edit of #99");

    // With a personal token, `GET /user` names us; the Actions bot's marker comment is not ours.
    server.reset().await;
    mount_api(
        &server,
        vec![
            comment(100, "github-actions[bot]", MARKER),
            comment(101, "gate-bot", MARKER),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user("gate-bot", 5)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/repo/issues/comments/101"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(101, "gate-bot", "x")))
        .mount(&server)
        .await;
    let gate = with_api(repo.gate(), &server, &event).args(["check", "--pr-comment"]);
    run(gate).await.code(1);
    let writes = sent(&server).await;
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(
        (writes[0].0.as_str(), writes[0].1.as_str()),
        ("PATCH", "/repos/octo/repo/issues/comments/101")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_fifty_annotations_go_in_batches() {
    let repo = Repo::new();
    for i in 0..120 {
        repo.copy_fixture(
            "formats/safetensors/model.safetensors",
            format!("m/{i:03}.gguf"),
        );
    }
    let event = event();
    let server = MockServer::start().await;
    mount_api(&server, Vec::new()).await;
    let gate = with_api(repo.gate(), &server, &event).args(["check", "--check-run"]);
    run(gate).await.code(1);
    let writes = sent(&server).await;
    // (verb, route, annotations, status, conclusion) of each request.
    type Shape<'a> = (&'a str, &'a str, usize, Option<&'a str>, Option<&'a str>);
    let shape: Vec<Shape> = writes
        .iter()
        .map(|(verb, route, body)| {
            (
                verb.as_str(),
                route.as_str(),
                body["output"]["annotations"].as_array().map_or(0, Vec::len),
                body["status"].as_str(),
                body["conclusion"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "POST",
                "/repos/octo/repo/check-runs",
                50,
                Some("in_progress"),
                None
            ),
            ("PATCH", "/repos/octo/repo/check-runs/555", 50, None, None),
            (
                "PATCH",
                "/repos/octo/repo/check-runs/555",
                20,
                Some("completed"),
                Some("failure")
            ),
        ]
    );
    let paths: Vec<&str> = writes
        .iter()
        .flat_map(|(_, _, body)| body["output"]["annotations"].as_array().unwrap())
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..120).map(|i| format!("m/{i:03}.gguf")).collect();
    assert_eq!(paths, expected, "every annotation once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_changes_neither_verdict_nor_exit_code() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest"
        })))
        .mount(&server)
        .await;
    let event = event();
    for (repo, code) in [(failing_repo(), 1), (Repo::new(), 0)] {
        if code == 0 {
            repo.copy_fixture("formats/safetensors/model.safetensors", "model.safetensors");
        }
        let plain = run(repo.gate().args(["check", "--format", "json"])).await;
        plain.code(code);
        let gate = with_api(repo.gate(), &server, &event)
            .env("GATE_LOG", "warn")
            .args(["check", "--format", "json", "--pr-comment", "--check-run"]);
        let out = run(gate).await;
        out.code(code);
        assert_eq!(out.stdout, plain.stdout, "same verdict, same report");
        assert_token_hidden(&out);
        assert_eq!(
            out.stderr.trim_end(),
            " WARN cannot create the check run and post the pull request comment: GitHub answered 403 (Resource not accessible by integration); a pull request from a fork gets a read-only token; the verdict and exit code are unchanged",
            "exactly one warning\n{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_settings_or_an_unreachable_api_are_one_warning_each() {
    let repo = failing_repo();
    let out = run(repo.gate().args(["check", "--pr-comment"])).await;
    out.code(1);
    assert!(
        out.stderr
            .contains("pull request reporting skipped: GITHUB_TOKEN is not set"),
        "{out}"
    );
    // Nothing listens on port 9 of localhost; a bad repository name is refused before any request.
    let event = event();
    let server = MockServer::start().await;
    let gate = with_api(repo.gate(), &server, &event)
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GATE_LOG", "warn")
        .args(["check", "--check-run"]);
    let out = run(gate).await;
    out.code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.contains("cannot create the check run"), "{out}");
    assert_token_hidden(&out);
    let gate = with_api(repo.gate(), &server, &event)
        .env("GITHUB_REPOSITORY", "octo/../../user")
        .args(["check", "--check-run"]);
    let out = run(gate).await;
    out.code(1);
    assert!(out.stderr.contains("is not `owner/name`"), "{out}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_api_root_with_a_path_is_honoured() {
    let repo = failing_repo();
    let event = event();
    let server = MockServer::start().await;
    let ok = |status: u16, body: Value| ResponseTemplate::new(status).set_body_json(body);
    for (verb, route, response) in [
        (
            "GET",
            "/api/v3/user",
            ok(
                403,
                json!({"message": "Resource not accessible by integration"}),
            ),
        ),
        (
            "GET",
            "/api/v3/repos/octo/repo/issues/7/comments",
            ok(200, json!([])),
        ),
        (
            "POST",
            "/api/v3/repos/octo/repo/issues/7/comments",
            ok(201, json!({"id": 1})),
        ),
        (
            "POST",
            "/api/v3/repos/octo/repo/check-runs",
            ok(201, json!({"id": 2})),
        ),
    ] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
    }
    let gate = with_api(repo.gate(), &server, &event)
        .env("GITHUB_API_URL", &format!("{}/api/v3", server.uri()))
        .env("GATE_LOG", "warn")
        .args(["check", "--pr-comment", "--check-run"]);
    let out = run(gate).await;
    out.code(1);
    assert_eq!(out.stderr, "", "{out}");
    server.verify().await;
    assert_eq!(sent(&server).await.len(), 2, "both writes carry the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_event_gets_a_check_run_on_its_commit_but_no_comment() {
    let repo = failing_repo();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("event.json"),
        r#"{"ref": "refs/heads/main"}"#,
    )
    .unwrap();
    let server = MockServer::start().await;
    mount_api(&server, Vec::new()).await;
    let gate = with_api(repo.gate(), &server, &dir)
        .env("GITHUB_SHA", &"a".repeat(40))
        .env("GATE_LOG", "warn")
        .args(["check", "--pr-comment", "--check-run"]);
    let out = run(gate).await;
    out.code(1);
    assert!(
        out.stderr
            .contains("cannot post the pull request comment: this is not a pull_request event"),
        "{out}"
    );
    let writes = sent(&server).await;
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].1, "/repos/octo/repo/check-runs");
    assert_eq!(writes[0].2["head_sha"], "a".repeat(40));
}
