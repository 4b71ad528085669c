//! Tests of matching: cargo-audit's own results on the six real lockfiles of
//! `../shared/data/advisories/samples`, and OSV's range semantics.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::*;
use crate::advisory::{Event, Range};
use crate::lockfile::{Input, format_for};
use crate::store::Importer;
use crate::test_support::advisory_data;

fn rustsec() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut importer = Importer::default();
        importer.import_path(&advisory_data("rustsec")).expect("imports");
        Store::from_advisories(importer.finish().0)
    })
}

fn graph_of(lockfile: &str, text: &str) -> Graph {
    let format = format_for(lockfile).expect("format");
    let parsed = (format.parse)(Input { path: lockfile, text }, None).expect("parses");
    Graph::build(lockfile, format.ecosystem, parsed)
}

/// (id, package, version) of cargo-audit's vulnerabilities and of its
/// warnings (kind: unmaintained, unsound, ...).
fn cargo_audit(sample: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let text =
        std::fs::read_to_string(advisory_data(&format!("samples/{sample}/cargo-audit.json")))
            .expect("reads");
    let report: serde_json::Value = serde_json::from_str(&text).expect("json");
    let key = |item: &serde_json::Value| {
        format!(
            "{} {}@{}",
            item["advisory"]["id"].as_str().unwrap_or("?"),
            item["package"]["name"].as_str().unwrap_or("?"),
            item["package"]["version"].as_str().unwrap_or("?")
        )
    };
    let vulnerabilities =
        report["vulnerabilities"]["list"].as_array().expect("list").iter().map(key).collect();
    let mut warnings = BTreeSet::new();
    for (_, list) in report["warnings"].as_object().expect("warnings") {
        for item in list.as_array().expect("list") {
            if !item["advisory"].is_null() {
                warnings.insert(key(item));
            }
        }
    }
    (vulnerabilities, warnings)
}

#[test]
fn the_same_results_as_cargo_audit_on_every_sample() {
    let samples = [
        "base64-0.22.1",
        "futures-util-0.3.32",
        "mixed-advisories",
        "old-deps",
        "ripsecrets-0.1.11",
        "tracing-subscriber-0.3.23",
    ];
    for sample in samples {
        let text = std::fs::read_to_string(advisory_data(&format!("samples/{sample}/Cargo.lock")))
            .expect("reads");
        let graph = graph_of("Cargo.lock", &text);
        let (matches, warnings) = match_graph(rustsec(), &graph);
        assert_eq!(warnings, Vec::<String>::new(), "{sample}");
        let key = |m: &Match<'_>| format!("{} {}", m.advisory.id, graph.label(m.node));
        let ours_vulnerabilities: BTreeSet<String> =
            matches.iter().filter(|m| m.advisory.informational.is_none()).map(key).collect();
        let ours_warnings: BTreeSet<String> =
            matches.iter().filter(|m| m.advisory.informational.is_some()).map(key).collect();
        let (theirs_vulnerabilities, theirs_warnings) = cargo_audit(sample);
        assert_eq!(ours_vulnerabilities, theirs_vulnerabilities, "{sample}: vulnerabilities");
        assert_eq!(ours_warnings, theirs_warnings, "{sample}: warnings");
    }
}

#[test]
fn remedies_stay_on_the_major_line() {
    let text =
        std::fs::read_to_string(advisory_data("samples/old-deps/Cargo.lock")).expect("reads");
    let graph = graph_of("Cargo.lock", &text);
    let (matches, _) = match_graph(rustsec(), &graph);
    let hyper = matches.iter().find(|m| m.advisory.id == "RUSTSEC-2021-0078").expect("hyper");
    assert_eq!(graph.label(hyper.node), "hyper@0.14.9");
    assert_eq!(hyper.remedy.as_deref(), Some("0.14.10"));
    assert!(hyper.aliases.contains(&"CVE-2021-32715".to_owned()), "{:?}", hyper.aliases);
}

fn events(list: &[(&str, &str)]) -> Affected {
    Affected {
        ecosystem: Ecosystem::Npm,
        name: "a".into(),
        ranges: vec![Range::Events {
            semver: true,
            events: list
                .iter()
                .map(|(kind, v)| match *kind {
                    "introduced" => Event::Introduced((*v).into()),
                    "fixed" => Event::Fixed((*v).into()),
                    "last_affected" => Event::LastAffected((*v).into()),
                    _ => Event::Limit((*v).into()),
                })
                .collect(),
        }],
        versions: vec![],
    }
}

#[test]
fn osv_event_semantics() {
    let two_ranges = events(&[
        ("introduced", "0"),
        ("fixed", "1.2.0"),
        ("introduced", "2.0.0"),
        ("fixed", "2.0.5"),
    ]);
    let last = events(&[("introduced", "1.0.0"), ("last_affected", "1.4.0")]);
    let limit = events(&[("introduced", "0"), ("limit", "3.0.0")]);
    let cases: [(&Affected, &str, bool); 11] = [
        (&two_ranges, "0.1.0", true),
        (&two_ranges, "1.1.9", true),
        (&two_ranges, "1.2.0", false),
        (&two_ranges, "1.9.0", false),
        (&two_ranges, "2.0.0", true),
        (&two_ranges, "2.0.5", false),
        (&last, "0.9.0", false),
        (&last, "1.4.0", true),
        (&last, "1.4.1", false),
        (&limit, "2.9.9", true),
        (&limit, "3.0.0", false),
    ];
    for (affected, version, expected) in cases {
        let got = affects(Ecosystem::Npm, affected, version, &mut Vec::new());
        assert_eq!(got, Ok(expected), "{version} in {:?}", affected.ranges);
    }
    let listed = Affected { versions: vec!["1.0.1".into()], ranges: vec![], ..events(&[]) };
    assert_eq!(affects(Ecosystem::Npm, &listed, "1.0.1", &mut Vec::new()), Ok(true));
    assert_eq!(affects(Ecosystem::Npm, &listed, "1.0.2", &mut Vec::new()), Ok(false));
    let broken = events(&[("introduced", "0"), ("fixed", "not a version")]);
    let error =
        affects(Ecosystem::Npm, &broken, "1.0.0", &mut Vec::new()).expect_err("unreadable range");
    assert!(error.contains("not a version"), "{error}");
}

#[test]
fn aliases_make_one_match() {
    let advisory = |id: &str, aliases: &[&str]| Advisory {
        id: id.into(),
        aliases: aliases.iter().map(|a| (*a).into()).collect(),
        modified: String::new(),
        summary: String::new(),
        details: String::new(),
        cvss: vec![],
        rated: None,
        informational: None,
        url: String::new(),
        affected: vec![events(&[("introduced", "0"), ("fixed", "2.0.0")])],
    };
    let store = Store::from_advisories(vec![
        advisory("GHSA-aaaa", &["CVE-2020-1"]),
        advisory("CVE-2020-1", &[]),
        advisory("GHSA-bbbb", &["CVE-2020-2"]),
    ]);
    let parsed = crate::lockfile::Parsed {
        packages: vec![crate::lockfile::Entry {
            name: "a".into(),
            version: "1.0.0".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let graph = Graph::build("package-lock.json", Ecosystem::Npm, parsed);
    let (matches, _) = match_graph(&store, &graph);
    let got: Vec<(&str, Vec<String>)> =
        matches.iter().map(|m| (m.advisory.id.as_str(), m.aliases.clone())).collect();
    assert_eq!(
        got,
        [
            ("GHSA-aaaa", vec!["CVE-2020-1".to_owned()]),
            ("GHSA-bbbb", vec!["CVE-2020-2".to_owned()])
        ]
    );
    assert_eq!(matches[0].remedy.as_deref(), Some("2.0.0"));
}

#[test]
fn only_the_entries_naming_the_package_count() {
    let entry = |name: &str, fixed: &str| {
        serde_json::json!({
            "ecosystem": "PyPI",
            "name": name,
            "ranges": [{"type": "events", "semver": false,
                        "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        })
    };
    let affected = [entry("Foo_Bar", "1.5"), entry("other", "9.0"), entry("foo.bar", "2.1")];
    let advisory = serde_json::json!({"id": "PYSEC-1", "affected": affected});
    let store = Store::from_advisories(vec![serde_json::from_value(advisory).expect("advisory")]);
    let graph = graph_of("requirements.txt", "foo-bar==2.0\n");
    // Twice: the second match reads the ranges the first one prepared.
    for _ in 0..2 {
        let (matches, warnings) = match_graph(&store, &graph);
        assert_eq!(warnings, Vec::<String>::new());
        assert_eq!(matches.len(), 1);
        assert_eq!(matches[0].fixed, ["1.5", "2.1"]);
        assert_eq!(matches[0].remedy.as_deref(), Some("2.1"));
    }
}
