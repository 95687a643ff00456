//! Integration tests for the `gate` binary: they run the built executable in a scrubbed
//! environment against temporary repositories and the fixtures in `tests/fixtures`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "cli/check.rs"]
mod check;
#[path = "cli/datasets.rs"]
mod datasets;
#[path = "cli/discovery.rs"]
mod discovery;
#[path = "cli/explain.rs"]
mod explain;
#[path = "cli/json.rs"]
mod json;
#[path = "cli/policy.rs"]
mod policy;
#[path = "cli/scan.rs"]
mod scan;
#[path = "cli/waivers.rs"]
mod waivers;
