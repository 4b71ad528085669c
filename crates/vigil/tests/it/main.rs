//! End-to-end tests of the `vigil` binary: each test builds a real temporary
//! tree, runs the real binary as a separate process and checks its exit code,
//! standard output and standard error.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod corpus;
mod formats;
mod gitlab_e2e;
mod harness;
mod history;
mod iac;
mod licenses;
mod metadata;
mod pipeline_e2e;
mod scan;
mod server;
mod transporter_e2e;
mod ui_browser;
mod vulndb;
