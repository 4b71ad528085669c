//! Operational-risk scores: each signal on hand-built metadata (one case
//! that raises the risk, one that does not), the thresholds, unknown
//! metadata, and the finding messages (insta snapshots) of hand-built and
//! recorded packages.

use vigil_sca::Ecosystem;
use vigil_sca::registry::{Downloads, PackageMetadata, VersionMetadata, crates_index, npm, pypi};
use vigil_sca::risk::{Assessment, Risk, RiskLevel, ago, assess, message};

use crate::fixtures::dir;

/// 2026-12-07T00:00:00Z.
const NOW: i64 = 1_796_601_600;
const DAY: i64 = 86_400;

fn version(version: &str, days_ago: i64) -> VersionMetadata {
    VersionMetadata {
        version: version.to_owned(),
        released: Some(NOW - days_ago * DAY),
        prerelease: version.contains('-'),
        yanked: false,
        yanked_reason: None,
        deprecated: None,
        license: None,
        license_file: None,
    }
}

/// A healthy package: a release a month for two years, the last 10 days
/// ago, 4 maintainers, a million downloads a week.
fn healthy() -> PackageMetadata {
    PackageMetadata {
        ecosystem: Ecosystem::Npm,
        name: "healthy".to_owned(),
        latest: Some("1.24.0".to_owned()),
        versions: (0..25).map(|i| version(&format!("1.{i}.0"), 10 + (24 - i) * 30)).collect(),
        deprecated: None,
        inactive: false,
        maintainers: Some(4),
        downloads: Some(Downloads { count: 1_000_000, days: 7 }),
        license: None,
        fetched_at: NOW,
        not_found: false,
    }
}

fn assessed(metadata: &PackageMetadata, in_use: &str) -> Assessment {
    match assess(metadata, in_use, NOW) {
        Risk::Assessed(assessment) => *assessment,
        Risk::Unknown { reason } => panic!("unknown: {reason}"),
    }
}

#[test]
fn a_healthy_package_is_low_risk() {
    let assessment = assessed(&healthy(), "1.20.0");
    assert_eq!((assessment.score, assessment.level), (0, RiskLevel::Low));
    assert_eq!(assessment.signals.days_since_last_release, Some(10));
    assert_eq!(assessment.signals.last_release.as_deref(), Some("1.24.0"));
    assert_eq!(assessment.signals.releases_last_year, Some(12));
    assert_eq!(assessment.signals.median_gap_days, Some(30));
    assert!(assessment.signals.version_listed);
}

#[test]
fn deprecation_of_the_version_or_the_package_is_high() {
    let mut metadata = healthy();
    metadata.versions[20].deprecated = Some("use 2.x".to_owned());
    let assessment = assessed(&metadata, "1.20.0");
    assert_eq!((assessment.score, assessment.level), (70, RiskLevel::High));
    assert_eq!(assessment.reasons, [r#"deprecated ("use 2.x")"#]);
    // Another version's deprecation is not this one's.
    assert_eq!(assessed(&metadata, "1.21.0").level, RiskLevel::Low);

    let mut metadata = healthy();
    metadata.deprecated = Some("moved to @scope/healthy".to_owned());
    assert_eq!(assessed(&metadata, "1.0.0").level, RiskLevel::High);
}

#[test]
fn the_inactive_classifier_is_high() {
    let mut metadata = healthy();
    metadata.inactive = true;
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!((assessment.score, assessment.level), (70, RiskLevel::High));
    metadata.inactive = false;
    assert_eq!(assessed(&metadata, "1.0.0").level, RiskLevel::Low);
}

#[test]
fn a_yanked_version_in_use_is_high() {
    let mut metadata = healthy();
    metadata.versions[3].yanked = true;
    metadata.versions[3].yanked_reason = Some("broken build".to_owned());
    let assessment = assessed(&metadata, "1.3.0");
    assert_eq!(assessment.level, RiskLevel::High);
    assert_eq!(assessment.signals.yanked, Some(Some("broken build".to_owned())));
    assert_eq!(assessed(&metadata, "1.4.0").level, RiskLevel::Low);
}

#[test]
fn the_age_of_the_last_release() {
    let mut metadata = healthy();
    for entry in &mut metadata.versions {
        entry.released = entry.released.map(|time| time - 6 * 365 * DAY);
    }
    metadata.maintainers = None;
    metadata.downloads = None;
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!(assessment.points.maintenance, Some(50.0));
    assert_eq!(assessment.points.cadence, Some(15.0));
    assert_eq!((assessment.score, assessment.level), (100, RiskLevel::High));
    assert_eq!(assessment.reasons, ["last release 6 years ago"]);

    // A pre-release or a yanked release yesterday does not count as a
    // release (for age and cadence).
    metadata.versions.push(version("2.0.0-beta.1", 1));
    let mut yanked = version("1.99.0", 1);
    yanked.yanked = true;
    metadata.versions.push(yanked);
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!(assessment.signals.days_since_last_release, Some(6 * 365 + 10));
    assert_eq!(assessment.signals.releases_last_year, Some(0));

    // Up to a year old: no points.
    assert_eq!(assessed(&healthy(), "1.0.0").points.maintenance, Some(0.0));
}

#[test]
fn release_cadence() {
    let mut metadata = healthy();
    metadata.versions.truncate(2); // released 730 and 700 days ago
    metadata.versions.push(version("1.2.0", 200));
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!(assessment.signals.releases_last_year, Some(1));
    assert_eq!(assessment.points.cadence, Some(10.0));
    assert_eq!(assessment.points.maintenance, Some(0.0));
    assert_eq!(assessment.reasons, ["1 release in the last year"]);
    assert_eq!(assessed(&healthy(), "1.0.0").points.cadence, Some(0.0));
}

#[test]
fn few_maintainers() {
    let mut metadata = healthy();
    metadata.maintainers = Some(1);
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!(assessment.points.maintainers, Some(15.0));
    assert_eq!(assessment.score, 15);
    assert_eq!(assessment.reasons, ["1 maintainer"]);
    assert_eq!(assessed(&healthy(), "1.0.0").points.maintainers, Some(0.0));
}

#[test]
fn low_popularity() {
    let mut metadata = healthy();
    metadata.downloads = Some(Downloads { count: 40, days: 7 });
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!(assessment.points.popularity, Some(20.0));
    assert_eq!(assessment.reasons, ["40 downloads a week"]);
    assert_eq!(assessed(&healthy(), "1.0.0").points.popularity, Some(0.0));
}

#[test]
fn unknown_parts_are_left_out_of_the_score() {
    let mut metadata = healthy();
    metadata.maintainers = Some(1);
    metadata.downloads = None;
    // 15 of the 80 points possible without popularity.
    assert_eq!(assessed(&metadata, "1.0.0").score, 19);
    metadata.downloads = Some(Downloads { count: 1_000_000, days: 7 });
    assert_eq!(assessed(&metadata, "1.0.0").score, 15);
}

#[test]
fn medium_between_the_thresholds() {
    let mut metadata = healthy();
    for entry in &mut metadata.versions {
        entry.released = entry.released.map(|time| time - 3 * 365 * DAY + 10 * DAY);
    }
    // 25 (three years) + 15 (no release this year) of 100.
    let assessment = assessed(&metadata, "1.0.0");
    assert_eq!((assessment.score, assessment.level), (40, RiskLevel::Medium));
}

#[test]
fn no_signal_at_all_is_unknown_with_the_reason() {
    let metadata = PackageMetadata {
        ecosystem: Ecosystem::CratesIo,
        name: "old-index".to_owned(),
        latest: None,
        versions: vec![VersionMetadata { released: None, ..version("0.1.0", 0) }],
        deprecated: None,
        inactive: false,
        maintainers: None,
        downloads: None,
        license: None,
        fetched_at: NOW,
        not_found: false,
    };
    assert_eq!(
        assess(&metadata, "0.1.0", NOW),
        Risk::Unknown {
            reason:
                "the crates.io metadata of old-index has no release dates, maintainers or downloads"
                    .to_owned()
        }
    );
    // A yank is enough to judge.
    let mut yanked = metadata;
    yanked.versions[0].yanked = true;
    assert_eq!(assessed(&yanked, "0.1.0").level, RiskLevel::High);
}

#[test]
fn ages_in_words() {
    let cases = [
        (0, "today"),
        (1, "1 day ago"),
        (59, "59 days ago"),
        (60, "2 months ago"),
        (729, "24 months ago"),
        (730, "2 years ago"),
        (3300, "9 years ago"),
    ];
    for (days, words) in cases {
        assert_eq!(ago(days), words);
    }
}

#[test]
fn messages_of_hand_built_packages() {
    let mut left_pad = healthy();
    left_pad.name = "left-pad".to_owned();
    left_pad.versions = vec![version("1.2.0", 3000), version("1.3.0", 2800)];
    left_pad.versions[1].deprecated = Some("use String.prototype.padStart()".to_owned());
    left_pad.deprecated = left_pad.versions[1].deprecated.clone();
    left_pad.maintainers = Some(1);
    left_pad.downloads = None;

    let mut yanked = healthy();
    yanked.name = "requests".to_owned();
    yanked.versions[20].yanked = true;
    yanked.versions[20].yanked_reason =
        Some("Yanked due to conflicts with CVE-2024-35195 mitigation".to_owned());

    let mut medium = healthy();
    medium.name = "quiet".to_owned();
    medium.versions = vec![version("0.9.0", 1200), version("1.0.0", 1000)];
    medium.maintainers = Some(2);
    medium.downloads = Some(Downloads { count: 26_000, days: 30 });

    let mut text = String::new();
    for (metadata, in_use) in
        [(&left_pad, "1.3.0"), (&yanked, "1.20.0"), (&medium, "1.0.0"), (&healthy(), "1.24.0")]
    {
        let assessment = assessed(metadata, in_use);
        text.push_str(&format!(
            "{} (score {})\n",
            message(&metadata.name, in_use, &assessment),
            assessment.score
        ));
    }
    insta::assert_snapshot!("risk_messages_hand_built", text);
}

#[test]
fn messages_of_recorded_packages() {
    let read = |rel: &str| std::fs::read(dir(&format!("registry/{rel}"))).unwrap();
    let cases: [(PackageMetadata, &str); 11] = [
        (npm::parse(&read("npm/left-pad.json"), NOW).unwrap(), "1.3.0"),
        (npm::parse(&read("npm/lodash.json"), NOW).unwrap(), "3.10.1"),
        (npm::parse(&read("npm/request.json"), NOW).unwrap(), "2.88.2"),
        (npm::parse(&read("npm/node-uuid.json"), NOW).unwrap(), "1.4.8"),
        (npm::parse(&read("npm/react.trimmed.json"), NOW).unwrap(), "18.2.0"),
        (pypi::parse(&read("pypi/requests.json"), NOW).unwrap(), "2.32.0"),
        (pypi::parse(&read("pypi/urllib3.json"), NOW).unwrap(), "2.8.0"),
        (pypi::parse(&read("pypi/pycrypto.json"), NOW).unwrap(), "2.6.1"),
        (pypi::parse(&read("pypi/pytest-runner.json"), NOW).unwrap(), "6.0.1"),
        (crates_index::parse(&read("crates-index/serde"), NOW).unwrap(), "1.0.95"),
        (crates_index::parse(&read("crates-index/failure"), NOW).unwrap(), "0.1.8"),
    ];
    let mut text = String::new();
    for (metadata, in_use) in &cases {
        let line = match assess(metadata, in_use, NOW) {
            Risk::Assessed(assessment) => {
                format!(
                    "{} (score {})",
                    message(&metadata.name, in_use, &assessment),
                    assessment.score
                )
            }
            Risk::Unknown { reason } => format!("unknown: {reason}"),
        };
        text.push_str(&line);
        text.push('\n');
    }
    insta::assert_snapshot!("risk_messages_recorded", text);
}

#[test]
fn every_package_of_a_graph_from_the_cache() {
    use vigil_sca::graph::Graph;
    use vigil_sca::lockfile::{Entry, Parsed};
    use vigil_sca::metadata_cache::MetadataCache;
    use vigil_sca::risk::assess_graph;

    let temp = tempfile::tempdir().unwrap();
    let mut cache = MetadataCache::open(temp.path());
    let mut old = healthy();
    old.name = "old".to_owned();
    old.fetched_at = NOW - 30 * DAY;
    old.deprecated = Some("use new".to_owned());
    cache.insert(healthy());
    cache.insert(old);
    let entry = |name: &str, version: &str| Entry {
        name: name.to_owned(),
        version: version.to_owned(),
        ..Entry::default()
    };
    let parsed = Parsed {
        packages: vec![
            entry("healthy", "1.24.0"),
            entry("old", "1.0.0"),
            entry("never-fetched", "0.1.0"),
        ],
        ..Parsed::default()
    };
    let graph = Graph::build("package-lock.json", Ecosystem::Npm, parsed);
    let risks = assess_graph(&graph, &cache, NOW, 7 * DAY);
    let summary: Vec<(usize, String, bool)> = risks
        .iter()
        .map(|item| {
            let node = &graph.nodes[item.node];
            let said = match &item.risk {
                Risk::Assessed(assessment) => message(&node.name, &node.version, assessment),
                Risk::Unknown { reason } => format!("unknown: {reason}"),
            };
            (item.node, said, item.stale)
        })
        .collect();
    assert_eq!(
        summary,
        [
            (0, "Low operational risk in healthy 1.24.0: last release 10 days ago; 12 releases in the last year; 4 maintainers; 1,000,000 downloads a week".to_owned(), false),
            (1, "High operational risk in old 1.0.0: deprecated (\"use new\")".to_owned(), true),
            (2, "unknown: no npm registry metadata for never-fetched in the cache (not fetched yet, or its cache file was ignored)".to_owned(), false),
        ]
    );
}

/// The dependency engine reports SCA005 for the packages its metadata
/// cache scores High or Medium, on the lockfile line, and nothing for the
/// healthy ones or those the cache does not hold.
#[test]
fn the_engine_reports_risky_packages_from_the_cache() {
    use std::sync::Arc;
    use vigil_core::{Engine as _, FileOutput, SourceFile};
    use vigil_sca::engine::DependencyEngine;
    use vigil_sca::metadata_cache::MetadataCache;

    let read = |name: &str| std::fs::read(dir("registry").join(name)).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let mut cache = MetadataCache::open(temp.path());
    for name in ["requests", "urllib3", "pycrypto", "pytest-runner"] {
        cache.insert(pypi::parse(&read(&format!("pypi/{name}.json")), NOW).unwrap());
    }
    let engine = DependencyEngine::new().with_metadata(Arc::new(cache), NOW);
    let requirements = "requests==2.32.0\nurllib3==2.8.0\npycrypto==2.6.1\nnot-in-the-cache==1.0\n";
    let mut output = FileOutput::default();
    engine.scan_tree(
        &[SourceFile { path: "requirements.txt", content: requirements.as_bytes() }],
        &mut output,
    );
    let risky: Vec<String> = output
        .findings
        .iter()
        .filter(|finding| finding.rule_id == "SCA005")
        .map(|finding| {
            format!(
                "{} line {}: {}",
                finding.severity.as_str(),
                finding.location.start_line,
                finding.title
            )
        })
        .collect();
    insta::assert_yaml_snapshot!(risky);

    // An empty cache: no finding, and no note either.
    let empty = DependencyEngine::new()
        .with_metadata(Arc::new(MetadataCache::open(&temp.path().join("none"))), NOW);
    let mut output = FileOutput::default();
    empty.scan_tree(
        &[SourceFile { path: "requirements.txt", content: requirements.as_bytes() }],
        &mut output,
    );
    assert!(output.findings.iter().all(|finding| finding.rule_id != "SCA005"));
}

/// A package its registry answered 404 for is kept as such: unknown risk,
/// with that reason, never a score.
#[test]
fn a_package_unknown_to_its_registry_is_unknown_with_the_reason() {
    let metadata = PackageMetadata::unknown_to_registry(Ecosystem::Npm, "@acme/internal", NOW);
    assert_eq!(
        assess(&metadata, "1.0.0", NOW),
        Risk::Unknown {
            reason: "the npm registry does not know @acme/internal (a private package?)".into()
        }
    );
    // It survives the cache's JSON.
    let json = serde_json::to_string(&metadata).unwrap();
    assert!(json.contains("\"not_found\":true"), "{json}");
    assert_eq!(serde_json::from_str::<PackageMetadata>(&json).unwrap(), metadata);
    assert!(!serde_json::to_string(&healthy()).unwrap().contains("not_found"));
}
