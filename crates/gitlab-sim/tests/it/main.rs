//! The simulator on its own: webhook deliveries (headers, bodies shaped
//! like GitLab's documented payloads, order, recorded answers), archives of
//! any branch or commit, multipart forms, and python-gitlab as a second,
//! independent client. Calls through Vigil's client are tested in
//! vigil-gitlab's tests.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod python_gitlab;
mod repository;
mod webhooks;

use std::path::PathBuf;

use serde_json::Value;

/// ../shared/fixtures/gitlab.
fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/gitlab")
}

/// A recorded fixture body.
fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

/// Keys of `fixture` (recursively through objects, and the first element
/// of arrays) that `body` lacks; values are not compared.
fn missing_keys(fixture: &Value, body: &Value) -> Vec<String> {
    fn walk(fixture: &Value, body: &Value, at: &str, out: &mut Vec<String>) {
        match (fixture, body) {
            (Value::Object(expected), Value::Object(actual)) => {
                for (key, value) in expected {
                    match actual.get(key) {
                        Some(found) => walk(value, found, &format!("{at}/{key}"), out),
                        None => out.push(format!("{at}/{key}")),
                    }
                }
            }
            (Value::Array(expected), Value::Array(actual)) => {
                if let (Some(first), Some(found)) = (expected.first(), actual.first()) {
                    walk(first, found, &format!("{at}/0"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(fixture, body, "", &mut out);
    out
}
