//! Integration tests for the `gate` binary: they run the built executable in a scrubbed
//! environment against temporary repositories and the fixtures in `tests/fixtures`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "cli/action.rs"]
mod action;
#[path = "cli/bypass_compress.rs"]
mod bypass_compress;
#[path = "cli/bypass_formats.rs"]
mod bypass_formats;
#[path = "cli/bypass_ident.rs"]
mod bypass_ident;
#[path = "cli/bypass_machine.rs"]
mod bypass_machine;
#[path = "cli/bypass_zip.rs"]
mod bypass_zip;
#[path = "cli/check.rs"]
mod check;
#[path = "cli/datasets.rs"]
mod datasets;
#[path = "cli/deps.rs"]
mod deps;
#[path = "cli/deps_commands.rs"]
mod deps_commands;
#[path = "cli/deps_locks.rs"]
mod deps_locks;
#[path = "cli/deps_support.rs"]
mod deps_support;
#[path = "cli/deps_uv_env.rs"]
mod deps_uv_env;
#[path = "cli/discovery.rs"]
mod discovery;
#[path = "cli/explain.rs"]
mod explain;
#[path = "cli/github.rs"]
mod github;
#[path = "cli/init.rs"]
mod init;
#[path = "cli/json.rs"]
mod json;
#[path = "cli/models.rs"]
mod models;
#[path = "cli/pickle.rs"]
mod pickle;
#[path = "cli/policy.rs"]
mod policy;
#[path = "cli/pull_request.rs"]
mod pull_request;
#[path = "cli/sarif.rs"]
mod sarif;
#[path = "cli/scan.rs"]
mod scan;
#[path = "cli/waivers.rs"]
mod waivers;
