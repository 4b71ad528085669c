//! Tests of the `Cargo.lock` parser on the real lockfiles of
//! `../shared/data/advisories/samples` (formats v1 to v4).

use super::super::{Input, Scope};
use super::parse;
use crate::test_support::advisory_data;

fn sample(name: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(advisory_data(&format!("samples/{name}/{file}"))).ok()
}

#[test]
fn every_format_version_reads_with_its_package_count() {
    // Counts from samples/README.md (cargo-audit's "lockfile format vN, M packages"
    // counts workspace members too).
    let cases = [
        ("futures-util-0.3.32", 72),
        ("tracing-subscriber-0.3.23", 0),
        ("base64-0.22.1", 162),
        ("ripsecrets-0.1.11", 0),
        ("mixed-advisories", 46),
        ("old-deps", 45),
    ];
    for (name, total) in cases {
        let text = sample(name, "Cargo.lock").unwrap_or_else(|| panic!("{name}: sample missing"));
        let parsed = parse(Input { path: "Cargo.lock", text: &text }, None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(parsed.warnings.is_empty(), "{name}: {:?}", parsed.warnings);
        let members =
            text.matches("[[package]]").count() - parsed.packages.len() - parsed.unresolved.len();
        assert!(members >= 1, "{name}: the crate itself is a member");
        if total > 0 {
            assert_eq!(parsed.packages.len() + members, total, "{name}");
        }
        assert!(!parsed.roots.is_empty(), "{name}: the crate's own dependencies are roots");
    }
}

#[test]
fn entries_roots_and_lines_of_old_deps() {
    let lock = sample("old-deps", "Cargo.lock").expect("sample");
    let manifest = sample("old-deps", "Cargo.toml").expect("sample");
    let parsed = parse(
        Input { path: "Cargo.lock", text: &lock },
        Some(Input { path: "Cargo.toml", text: &manifest }),
    )
    .expect("parses");
    let chrono = parsed.packages.iter().find(|p| p.name == "chrono").expect("chrono");
    assert_eq!(chrono.version, "0.4.19");
    assert_eq!(lock.lines().nth(chrono.line as usize - 1), Some("[[package]]"));
    assert_eq!(lock.lines().nth(chrono.line as usize), Some("name = \"chrono\""));
    let edges: Vec<(&str, Option<&str>)> =
        chrono.dependencies.iter().map(|d| (d.name.as_str(), d.version.as_deref())).collect();
    assert!(edges.contains(&("time", Some("0.1.43"))), "{edges:?}");
    let root = parsed.roots.iter().find(|r| r.name == "chrono").expect("chrono is direct");
    let (path, line) = root.declared.clone().expect("declared in Cargo.toml");
    assert_eq!(path, "Cargo.toml");
    assert!(
        manifest.lines().nth(line as usize - 1).is_some_and(|l| l.starts_with("chrono")),
        "line {line}"
    );
    assert!(parsed.roots.iter().all(|r| r.scope == Scope::Normal));
    assert!(!parsed.roots.iter().any(|r| r.name == "h2"), "h2 comes through hyper");
    let names: Vec<&str> = parsed.roots.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["chrono", "hyper", "smallvec", "time"]);
}

#[test]
fn manifest_scopes_renames_and_tables() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\nrx = { package = \"regex\", version = \"1\" }\nopt = { version = \"1\", optional = true }\n\n[dev-dependencies]\ntempfile = \"3\"\n\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n\n[dependencies.tokio]\nversion = \"1\"\n";
    let lines = super::declared_lines(Input { path: "Cargo.toml", text: manifest });
    assert_eq!(lines.get("serde"), Some(&(Scope::Normal, 5)));
    assert_eq!(lines.get("regex"), Some(&(Scope::Normal, 6)));
    assert_eq!(lines.get("opt"), Some(&(Scope::Optional, 7)));
    assert_eq!(lines.get("tempfile"), Some(&(Scope::Dev, 10)));
    assert_eq!(lines.get("libc"), Some(&(Scope::Normal, 13)));
    assert_eq!(lines.get("tokio"), Some(&(Scope::Normal, 15)));
    assert_eq!(lines.get("version"), None);
}

#[test]
fn bad_input_is_named() {
    let newer = parse(
        Input { path: "Cargo.lock", text: "version = 9\n\n[[package]]\nname = \"a\"\n" },
        None,
    );
    let error = newer.expect_err("unknown version");
    assert_eq!(error.line, Some(1));
    assert!(error.message.contains("format version 9"), "{error}");

    let not_lock = parse(Input { path: "Cargo.lock", text: "hello world\n" }, None);
    assert!(not_lock.is_err());

    let text = "version = 3\n[[package]]\nname = \"a\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"git+https://example.com/b#abc\"\n";
    let parsed = parse(Input { path: "Cargo.lock", text }, None).expect("parses");
    assert_eq!(parsed.warnings, ["line 2: package `a` has no version; skipped"]);
    assert_eq!(parsed.unresolved.len(), 1);
    assert_eq!(parsed.unresolved[0].reason, "a git dependency");
    assert_eq!(parsed.unresolved[0].line, 6);
}

#[test]
fn truncations_never_panic() {
    let text = sample("base64-0.22.1", "Cargo.lock").expect("sample");
    for cut in (0..text.len()).step_by(97) {
        if text.is_char_boundary(cut) {
            let _ = parse(Input { path: "Cargo.lock", text: &text[..cut] }, None);
        }
    }
}
