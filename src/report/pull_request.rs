//! Reporting to the pull request through the GitHub REST API: a check run on the head commit
//! (annotations in batches of 50, the API's limit per request) and one sticky comment, found
//! again by a hidden marker *and* our own login and updated in place.
//!
//! octocrab gives the HTTP client, authentication, the API root (`GITHUB_API_URL`, so GitHub
//! Enterprise and local test servers work the same way), retries and GitHub's error bodies; the
//! few routes are called with plain JSON so gate reads only the fields it needs. Any failure, a
//! fork's read-only token (403) first of all, becomes one warning: the verdict never depends on
//! reporting. The token is never printed.

use super::Report;
use super::github::{SUMMARY_BUDGET, by_severity, full_message, render_summary, repo_path};
use crate::finding::{Finding, Severity};
use octocrab::Octocrab;
use serde_json::{Value, json};
use std::time::Duration;

/// Hidden in the comment body; a comment counts as ours only if it also has our author.
pub(crate) const MARKER: &str = "<!-- gate:report -->";
/// The check run's name in the pull request's checks list.
const CHECK_NAME: &str = "gate";
/// The Checks API takes at most this many annotations per request.
const ANNOTATIONS_PER_REQUEST: usize = 50;
/// Comment bodies and check-run summaries are limited to 65 536 characters.
const BODY_BUDGET: usize = 60_000;
/// Check-run annotation messages are limited to 64 KB; this many characters always fit.
const ANNOTATION_CHARS: usize = 16_000;
/// Who posts with an Actions `GITHUB_TOKEN` (an installation token cannot read `GET /user`).
const ACTIONS_BOT: &str = "github-actions[bot]";
/// Event payloads are a few KiB; refuse to read a huge one.
const MAX_EVENT_BYTES: u64 = 16 * 1024 * 1024;
/// Stop listing comments after this many pages of 100.
const MAX_COMMENT_PAGES: u32 = 100;

#[derive(Debug, thiserror::Error)]
enum ApiError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("GITHUB_REPOSITORY `{0}` is not `owner/name`")]
    Repository(String),
    #[error("cannot read the event payload: {0}")]
    Event(String),
    #[error("this is not a pull_request event (GITHUB_EVENT_PATH has no pull_request)")]
    NotPullRequest,
    #[error("GitHub answered 403 ({message}); a pull request from a fork gets a read-only token")]
    Forbidden { message: String },
    #[error("GitHub answered {status} ({message}){}", if matches!(.status, 401 | 404) {
        "; check the token and GITHUB_REPOSITORY"
    } else {
        ""
    })]
    Status { status: u16, message: String },
    #[error("{0}")]
    Client(String),
    #[error("unexpected answer: {0}")]
    Answer(&'static str),
}

impl From<octocrab::Error> for ApiError {
    fn from(error: octocrab::Error) -> Self {
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code.as_u16();
                let message = printable(&source.message);
                if status == 403 {
                    Self::Forbidden { message }
                } else {
                    Self::Status { status, message }
                }
            }
            other => Self::Client(printable(&other.to_string())),
        }
    }
}

/// Text from the server, cut short and without control characters before it reaches a log.
fn printable(text: &str) -> String {
    text.chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the workflow environment says about where to report.
struct Context {
    token: String,
    api_url: String,
    owner: String,
    repo: String,
    pull_request: Option<u64>,
    head_sha: Option<String>,
}

fn env(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Context {
    fn from_env() -> Result<Self, ApiError> {
        let token = env("GITHUB_TOKEN").ok_or(ApiError::Missing("GITHUB_TOKEN"))?;
        let api_url = env("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".to_owned());
        let repository = env("GITHUB_REPOSITORY").ok_or(ApiError::Missing("GITHUB_REPOSITORY"))?;
        let name_ok = |s: &str| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| name_ok(o) && name_ok(r))
            .ok_or_else(|| ApiError::Repository(printable(&repository)))?;
        let mut context = Self {
            token,
            api_url,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            pull_request: None,
            head_sha: env("GITHUB_SHA"),
        };
        if let Some(path) = env("GITHUB_EVENT_PATH") {
            let event = read_event(&path)?;
            if let Some(pr) = event.get("pull_request") {
                context.pull_request = pr.get("number").and_then(Value::as_u64);
                if let Some(sha) = pr.pointer("/head/sha").and_then(Value::as_str) {
                    context.head_sha = Some(sha.to_owned());
                }
            }
        }
        if let Some(sha) = &context.head_sha
            && !(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(ApiError::Event(format!(
                "head SHA `{}` is not 40 hex digits",
                printable(sha)
            )));
        }
        Ok(context)
    }

    fn client(&self) -> Result<Octocrab, ApiError> {
        Ok(Octocrab::builder()
            .personal_token(self.token.clone())
            .base_uri(self.api_url.as_str())?
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .build()?)
    }

    fn route(&self, rest: &str) -> String {
        format!("/repos/{}/{}/{rest}", self.owner, self.repo)
    }
}

fn read_event(path: &str) -> Result<Value, ApiError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| ApiError::Event(e.to_string()))?;
    let mut text = Vec::new();
    file.take(MAX_EVENT_BYTES)
        .read_to_end(&mut text)
        .map_err(|e| ApiError::Event(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| ApiError::Event(e.to_string()))
}

/// Posts what was asked for; every failure is one warning on standard error.
pub(crate) fn publish(report: &Report, prefix: &str, comment: bool, check_run: bool) {
    let context = match Context::from_env() {
        Ok(context) => context,
        Err(error) => {
            tracing::warn!(
                "pull request reporting skipped: {error}; the verdict and exit code are unchanged"
            );
            return;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::warn!(
                "pull request reporting skipped: cannot start the HTTP runtime: {error}"
            );
            return;
        }
    };
    runtime.block_on(async {
        let client = match context.client() {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!("pull request reporting skipped: {error}");
                return;
            }
        };
        // Failures are gathered so a fork's read-only token gives one warning, not one per call.
        let mut failures: Vec<(&str, String)> = Vec::new();
        if check_run {
            match post_check_run(&client, &context, report, prefix).await {
                Ok(id) => tracing::info!(id, "check run posted"),
                Err(error) => failures.push(("create the check run", error.to_string())),
            }
        }
        if comment {
            match upsert_comment(&client, &context, report, prefix).await {
                Ok(action) => tracing::info!("pull request comment {action}"),
                Err(error) => failures.push(("post the pull request comment", error.to_string())),
            }
        }
        if let Some(warning) = failure_warning(&failures) {
            tracing::warn!("{warning}");
        }
    });
}

/// One line for every failed request: "cannot A and B: reason", or "cannot A: reason; cannot B:
/// other reason", then that the verdict stands.
fn failure_warning(failures: &[(&str, String)]) -> Option<String> {
    let (_, first_reason) = failures.first()?;
    let parts = if failures.iter().all(|(_, reason)| reason == first_reason) {
        let actions: Vec<&str> = failures.iter().map(|(action, _)| *action).collect();
        format!("cannot {}: {first_reason}", actions.join(" and "))
    } else {
        failures
            .iter()
            .map(|(action, reason)| format!("cannot {action}: {reason}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Some(format!("{parts}; the verdict and exit code are unchanged"))
}

/// Our login: the token's user, or the Actions bot when the token is an installation token.
async fn own_login(client: &Octocrab) -> Result<String, ApiError> {
    match client.get::<Value, _, ()>("/user", None).await {
        Ok(user) => user
            .get("login")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(ApiError::Answer("GET /user has no login")),
        Err(error) => match ApiError::from(error) {
            ApiError::Forbidden { .. } => Ok(ACTIONS_BOT.to_owned()),
            other => Err(other),
        },
    }
}

/// Updates our earlier comment (marker and author both match) or creates one.
async fn upsert_comment(
    client: &Octocrab,
    context: &Context,
    report: &Report,
    prefix: &str,
) -> Result<&'static str, ApiError> {
    let number = context.pull_request.ok_or(ApiError::NotPullRequest)?;
    let login = own_login(client).await?;
    let body = format!(
        "{}\n{MARKER}\n",
        render_summary(report, prefix, BODY_BUDGET.min(SUMMARY_BUDGET))
    );
    let mut ours = None;
    'pages: for page in 1..=MAX_COMMENT_PAGES {
        let route = context.route(&format!(
            "issues/{number}/comments?per_page=100&page={page}"
        ));
        let comments: Vec<Value> = client.get(route, None::<&()>).await?;
        for comment in &comments {
            let author = comment.pointer("/user/login").and_then(Value::as_str);
            let text = comment.get("body").and_then(Value::as_str).unwrap_or("");
            if author.is_some_and(|a| a.eq_ignore_ascii_case(&login)) && text.contains(MARKER) {
                ours = comment.get("id").and_then(Value::as_u64);
                if ours.is_some() {
                    break 'pages;
                }
            }
        }
        if comments.len() < 100 {
            break;
        }
    }
    let payload = json!({ "body": body });
    match ours {
        Some(id) => {
            let _: Value = client
                .patch(
                    context.route(&format!("issues/comments/{id}")),
                    Some(&payload),
                )
                .await?;
            Ok("updated")
        }
        None => {
            let _: Value = client
                .post(
                    context.route(&format!("issues/{number}/comments")),
                    Some(&payload),
                )
                .await?;
            Ok("created")
        }
    }
}

fn annotation(finding: &Finding, prefix: &str) -> Value {
    let line = finding.line.filter(|l| *l > 0).unwrap_or(1);
    let mut value = json!({
        "path": repo_path(prefix, &finding.path),
        "start_line": line,
        "end_line": line,
        "annotation_level": match finding.severity {
            Severity::Error => "failure",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        },
        "title": finding.rule,
        "message": full_message(finding).chars().take(ANNOTATION_CHARS).collect::<String>(),
    });
    if let (Some(_), Some(column)) = (finding.line, finding.column.filter(|c| *c > 0)) {
        value["start_column"] = json!(column);
        value["end_column"] = json!(column);
    }
    value
}

/// Creates the check run with the first 50 annotations, then appends the rest 50 at a time; the
/// last request completes it with the verdict.
async fn post_check_run(
    client: &Octocrab,
    context: &Context,
    report: &Report,
    prefix: &str,
) -> Result<u64, ApiError> {
    let head_sha = context.head_sha.as_deref().ok_or(ApiError::Missing(
        "the pull request head SHA (or GITHUB_SHA)",
    ))?;
    let annotations: Vec<Value> = by_severity(report)
        .into_iter()
        .map(|f| annotation(f, prefix))
        .collect();
    let mut batches: Vec<&[Value]> = annotations.chunks(ANNOTATIONS_PER_REQUEST).collect();
    if batches.is_empty() {
        batches.push(&[]);
    }
    let title = if report.passed() {
        "gate: passed".to_owned()
    } else {
        format!(
            "gate: failed ({} errors, {} warnings)",
            report.count(Severity::Error),
            report.count(Severity::Warning)
        )
    };
    let summary = render_summary(report, prefix, BODY_BUDGET);
    let conclusion = if report.passed() {
        "success"
    } else {
        "failure"
    };
    let output =
        |batch: &[Value]| json!({ "title": title, "summary": summary, "annotations": batch });
    let last = batches.len() - 1;
    let mut create = json!({
        "name": CHECK_NAME,
        "head_sha": head_sha,
        "output": output(batches[0]),
    });
    if last == 0 {
        create["status"] = json!("completed");
        create["conclusion"] = json!(conclusion);
    } else {
        create["status"] = json!("in_progress");
    }
    let created: Value = client
        .post(context.route("check-runs"), Some(&create))
        .await?;
    let id = created
        .get("id")
        .and_then(Value::as_u64)
        .ok_or(ApiError::Answer("the created check run has no id"))?;
    for (index, batch) in batches.iter().enumerate().skip(1) {
        let mut update = json!({ "output": output(batch) });
        if index == last {
            update["status"] = json!("completed");
            update["conclusion"] = json!(conclusion);
        }
        let _: Value = client
            .patch(context.route(&format!("check-runs/{id}")), Some(&update))
            .await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_make_one_warning() {
        assert_eq!(failure_warning(&[]), None);
        let same = [("a", "403".to_owned()), ("b", "403".to_owned())];
        assert_eq!(
            failure_warning(&same).as_deref(),
            Some("cannot a and b: 403; the verdict and exit code are unchanged")
        );
        let different = [("a", "403".to_owned()), ("b", "500".to_owned())];
        assert_eq!(
            failure_warning(&different).as_deref(),
            Some("cannot a: 403; cannot b: 500; the verdict and exit code are unchanged")
        );
    }
}
