//! Tests of the engine: real lockfiles in, findings and diagnostics out.

use std::sync::OnceLock;

use super::*;
use crate::store::Importer;
use crate::test_support::advisory_data;
use vigil_core::Dependency;

fn store() -> Arc<Store> {
    static STORE: OnceLock<Arc<Store>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut importer = Importer::default();
            importer.import_path(&advisory_data("rustsec")).expect("imports");
            Arc::new(Store::from_advisories(importer.finish().0))
        })
        .clone()
}

fn scan(engine: &DependencyEngine, files: &[(&str, String)]) -> FileOutput {
    let sources: Vec<SourceFile<'_>> =
        files.iter().map(|(path, text)| SourceFile { path, content: text.as_bytes() }).collect();
    assert!(sources.iter().all(|file| engine.keeps(file.path)));
    let mut output = FileOutput::default();
    engine.scan_tree(&sources, &mut output);
    output
}

fn sample(name: &str, file: &str) -> String {
    std::fs::read_to_string(advisory_data(&format!("samples/{name}/{file}"))).expect("reads")
}

#[test]
fn a_lockfile_with_its_manifest_gives_findings_with_package_and_advisory() {
    let engine = DependencyEngine::with_store(store());
    let output = scan(
        &engine,
        &[
            ("svc/Cargo.lock", sample("old-deps", "Cargo.lock")),
            ("svc/Cargo.toml", sample("old-deps", "Cargo.toml")),
        ],
    );
    assert_eq!(output.diagnostics, Vec::<Diagnostic>::new());
    let summary: Vec<(String, &str, FindingKind)> = output
        .findings
        .iter()
        .map(|f| {
            (
                f.advisory.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
                f.rule_id.as_str(),
                f.kind,
            )
        })
        .collect();
    assert_eq!(summary.len(), 8, "{summary:?}");
    assert_eq!(summary.iter().filter(|s| s.2 == FindingKind::Vulnerability).count(), 6);

    let h2 = output
        .findings
        .iter()
        .find(|f| f.package.as_ref().is_some_and(|p| p.name == "h2"))
        .expect("h2 comes through hyper");
    let package = h2.package.as_ref().expect("package");
    assert_eq!(package.dependency, Dependency::Transitive);
    assert_eq!(package.dependency_path, ["hyper@0.14.9", "h2@0.3.27"]);
    assert_eq!(package.purl, "pkg:cargo/h2@0.3.27");
    assert_eq!(h2.location.path, "svc/Cargo.lock");
    assert_eq!(h2.evidence.snippet.as_deref(), Some("[[package]]"));
    assert!(h2.remediation.contains("It comes in through hyper@0.14.9"), "{}", h2.remediation);

    let time = output
        .findings
        .iter()
        .find(|f| f.advisory.as_ref().is_some_and(|a| a.id == "RUSTSEC-2020-0071"))
        .expect("time");
    let package = time.package.as_ref().expect("package");
    assert_eq!(package.dependency, Dependency::Direct);
    assert_eq!(package.fixed_versions.first().map(String::as_str), Some("0.2.23"));
    assert_eq!(time.remediation, "Upgrade time from 0.1.43 to 0.2.23 or later.");
    let advisory = time.advisory.as_ref().expect("advisory");
    assert!(advisory.aliases.contains(&"CVE-2020-26235".to_owned()));
    assert_eq!(
        advisory.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
    );
    assert_eq!(advisory.cvss_score_tenths, Some(62));
    assert_eq!(time.severity, Severity::Medium);
}

#[test]
fn unsound_and_unmaintained_crates_are_operational_risk() {
    let engine = DependencyEngine::with_store(store());
    let output = scan(&engine, &[("Cargo.lock", sample("mixed-advisories", "Cargo.lock"))]);
    let risk: Vec<(&str, &str)> = output
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::OperationalRisk)
        .map(|f| (f.rule_id.as_str(), f.package.as_ref().map_or("", |p| p.name.as_str())))
        .collect();
    assert!(risk.contains(&(UNMAINTAINED, "ansi_term")), "{risk:?}");
    assert!(risk.contains(&(UNSOUND, "openssl")), "{risk:?}");
    assert_eq!(risk.len(), 9);
}

#[test]
fn bad_lockfiles_are_named_and_the_rest_is_scanned() {
    let engine = DependencyEngine::with_store(store());
    let output = scan(
        &engine,
        &[
            ("a/Cargo.lock", "version = 9\n".to_owned()),
            ("b/Cargo.lock", sample("old-deps", "Cargo.lock")),
            ("c/Cargo.lock", "[[package]]\nname = \"x\"\n".to_owned()),
        ],
    );
    let messages: Vec<String> = output.diagnostics.iter().map(Diagnostic::describe).collect();
    assert_eq!(
        messages,
        [
            "a/Cargo.lock:1: dependencies not checked: Cargo.lock format version 9 is not one Vigil reads (1, 2, 3, 4)",
            "c/Cargo.lock: line 1: package `x` has no version; skipped",
        ]
    );
    assert_eq!(output.findings.len(), 8);
    assert!(output.findings.iter().all(|f| f.location.path == "b/Cargo.lock"));
}

#[test]
fn without_a_store_a_scan_says_so_once() {
    let engine = DependencyEngine::new();
    let output = scan(
        &engine,
        &[
            ("Cargo.lock", sample("old-deps", "Cargo.lock")),
            ("x/Cargo.lock", sample("base64-0.22.1", "Cargo.lock")),
        ],
    );
    assert!(output.findings.is_empty());
    assert_eq!(output.diagnostics.len(), 1, "{:?}", output.diagnostics);
    // The graphs are kept all the same, to be matched once there is a store.
    let kept: Vec<&str> = output.artifacts.iter().map(|artifact| artifact.path.as_str()).collect();
    assert_eq!(kept, ["Cargo.lock", "x/Cargo.lock"]);
    let message = &output.diagnostics[0].message;
    assert!(
        message.starts_with("dependencies of 2 lockfile(s) were not checked for vulnerabilities"),
        "{message}"
    );
    assert!(message.contains("vigil vulndb import DIR"), "{message}");
    // Nothing to say when there is no lockfile.
    let output = scan(&engine, &[("Cargo.toml", String::new())]);
    assert!(output.diagnostics.is_empty());
}

#[test]
fn a_kept_graph_matched_later_gives_the_findings_a_scan_gives() {
    let files = [
        ("svc/Cargo.lock", sample("old-deps", "Cargo.lock")),
        ("svc/Cargo.toml", sample("old-deps", "Cargo.toml")),
    ];
    let scanned = scan(&DependencyEngine::with_store(store()), &files);
    assert_eq!(scanned.artifacts.len(), 1);
    let artifact = &scanned.artifacts[0];
    assert_eq!((artifact.engine, artifact.path.as_str()), (ENGINE, "svc/Cargo.lock"));

    let mut expected = scanned.findings.clone();
    sort_findings(&mut expected);
    assign_occurrences(&mut expected);
    let later = rematch(&store(), None, &artifact.data).expect("the kept graph reads back");
    assert_eq!(later.len(), expected.len());
    for (later, scanned) in later.iter().zip(&expected) {
        // Everything but the code snippet, which needs the file.
        assert_eq!(later.fingerprint, scanned.fingerprint);
        assert_eq!(
            (
                &later.title,
                &later.package,
                &later.advisory,
                later.severity,
                later.location.start_line
            ),
            (
                &scanned.title,
                &scanned.package,
                &scanned.advisory,
                scanned.severity,
                scanned.location.start_line
            )
        );
        assert_eq!(later.remediation, scanned.remediation);
        assert_eq!(later.evidence.snippet, None);
    }
    // A store without those advisories finds nothing in the same graph.
    assert_eq!(rematch(&Store::from_advisories(Vec::new()), None, &artifact.data), Ok(Vec::new()));
    // What is not a graph is named, not matched.
    let error = rematch(&store(), None, "{\"file\": 3}").expect_err("not a graph");
    assert!(error.starts_with("the stored dependency graph cannot be read"), "{error}");
}

/// A lockfile inside a vendored copy of a package the outer lockfile pins
/// (base64's own development Cargo.lock under `vendor/base64-0.22.1/`,
/// recorded from the crate) is that package's, not this repository's
/// build: it is not read, and one note says so. The same file elsewhere is
/// a lockfile like any other.
#[test]
fn lockfiles_inside_vendored_copies_are_not_read() {
    let engine = DependencyEngine::with_store(store());
    let outer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"),
    )
    .expect("reads");
    let inner = sample("base64-0.22.1", "Cargo.lock");
    let vendored = scan(
        &engine,
        &[("Cargo.lock", outer.clone()), ("vendor/base64-0.22.1/Cargo.lock", inner.clone())],
    );
    let read: Vec<&str> =
        vendored.artifacts.iter().map(|artifact| artifact.path.as_str()).collect();
    assert_eq!(read, ["Cargo.lock"]);
    let notes: Vec<&str> = vendored.diagnostics.iter().map(|note| note.message.as_str()).collect();
    assert_eq!(
        notes,
        [
            "1 lockfile(s) inside vendored copies of packages were not read (vendor/base64-0.22.1/Cargo.lock): those packages are pinned by Cargo.lock, and their own lockfiles are not what this repository builds"
        ]
    );
    assert!(vendored.findings.iter().all(|finding| finding.location.path == "Cargo.lock"));

    let elsewhere =
        scan(&engine, &[("Cargo.lock", outer), ("tools/base64-0.22.1/Cargo.lock", inner)]);
    let read: Vec<&str> =
        elsewhere.artifacts.iter().map(|artifact| artifact.path.as_str()).collect();
    assert_eq!(read, ["Cargo.lock", "tools/base64-0.22.1/Cargo.lock"]);
    assert!(elsewhere.diagnostics.is_empty(), "{:#?}", elsewhere.diagnostics);
}
