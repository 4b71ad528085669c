//! The registry parsers on answers recorded from the registries
//! (`tests/fixtures/registry/`, see its README), and on bad answers:
//! malformed, cut short, empty, of the wrong shape, too large.

use vigil_sca::Ecosystem;
use vigil_sca::registry::{MetadataError, PackageMetadata, Registry, crates_index, npm, pypi};

use crate::fixtures::dir;

/// 2026-12-07T11:30:00Z, when the fixtures were recorded.
const FETCHED: i64 = 1_796_643_000;

fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(dir(&format!("registry/{rel}"))).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn time(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap_or_else(|e| panic!("{text}: {e}")).as_second()
}

fn released(metadata: &PackageMetadata, version: &str) -> Option<i64> {
    metadata.version(version).unwrap_or_else(|| panic!("no {version}")).released
}

#[test]
fn npm_left_pad() {
    let left_pad = npm::parse(&bytes("npm/left-pad.json"), FETCHED).unwrap();
    assert_eq!(left_pad.ecosystem, Ecosystem::Npm);
    assert_eq!(left_pad.name, "left-pad");
    assert_eq!(left_pad.latest.as_deref(), Some("1.3.0"));
    assert_eq!(left_pad.versions.len(), 15);
    // The registry's order, not sorted.
    assert_eq!(left_pad.versions[0].version, "0.0.0");
    assert_eq!(left_pad.versions[14].version, "1.3.0");
    assert_eq!(released(&left_pad, "1.3.0"), Some(time("2024-09-05T00:40:51.026Z")));
    // The mirror keeps no top-level maintainers: the latest version's one.
    assert_eq!(left_pad.maintainers, Some(1));
    // The mirror drops `deprecated` (README): nothing is deprecated here.
    assert_eq!(left_pad.deprecated, None);
    assert!(left_pad.versions.iter().all(|v| v.deprecated.is_none() && !v.yanked));
    assert_eq!(left_pad.fetched_at, FETCHED);
}

#[test]
fn npm_lodash_request_node_uuid_and_react() {
    let lodash = npm::parse(&bytes("npm/lodash.json"), FETCHED).unwrap();
    assert_eq!((lodash.versions.len(), lodash.latest.as_deref()), (117, Some("4.18.1")));
    assert_eq!(released(&lodash, "3.10.1"), Some(time("2024-11-22T23:22:36.254Z")));
    assert_eq!(lodash.maintainers, None);

    let request = npm::parse(&bytes("npm/request.json"), FETCHED).unwrap();
    assert_eq!((request.versions.len(), request.latest.as_deref()), (126, Some("2.88.2")));

    let node_uuid = npm::parse(&bytes("npm/node-uuid.json"), FETCHED).unwrap();
    assert_eq!((node_uuid.latest.as_deref(), node_uuid.maintainers), (Some("1.4.8"), Some(1)));

    let react = npm::parse(&bytes("npm/react.trimmed.json"), FETCHED).unwrap();
    assert_eq!((react.versions.len(), react.latest.as_deref()), (2963, Some("19.3.1")));
    assert_eq!(react.versions.iter().filter(|v| !v.prerelease).count(), 143);
    assert_eq!(released(&react, "19.3.1"), Some(time("2026-10-14T16:47:15Z")));
}

/// npm's documented shape for deprecations (the mirror drops them, so this
/// packument is hand-written, not recorded).
#[test]
fn npm_deprecations_hand_written() {
    let packument = br#"{
        "name": "left-pad",
        "dist-tags": {"latest": "1.3.0"},
        "maintainers": [{"name": "stevemao"}, {"name": "azer"}],
        "time": {"created": "2014-03-13T20:47:42.137Z", "1.2.0": "2017-11-29T08:10:32.545Z", "1.3.0": "2018-04-09T01:13:49.539Z"},
        "versions": {
            "1.2.0": {"name": "left-pad", "version": "1.2.0", "deprecated": ""},
            "1.3.0": {"name": "left-pad", "version": "1.3.0", "deprecated": "use String.prototype.padStart()"}
        }
    }"#;
    let metadata = npm::parse(packument, FETCHED).unwrap();
    assert_eq!(metadata.deprecated.as_deref(), Some("use String.prototype.padStart()"));
    assert_eq!(metadata.version("1.2.0").unwrap().deprecated, None, "an empty message lifts it");
    assert_eq!(metadata.maintainers, Some(2));
    assert_eq!(released(&metadata, "1.3.0"), Some(time("2018-04-09T01:13:49.539Z")));

    let unpublished = br#"{"name": "gone", "time": {"created": "2015-01-01T00:00:00Z", "unpublished": {"time": "2016-01-01T00:00:00Z", "versions": ["1.0.0"]}}}"#;
    let metadata = npm::parse(unpublished, FETCHED).unwrap();
    assert_eq!(metadata.deprecated.as_deref(), Some("unpublished from the npm registry"));
    assert!(metadata.versions.is_empty());
}

#[test]
fn pypi_requests_and_urllib3_yanked_releases() {
    let requests = pypi::parse(&bytes("pypi/requests.json"), FETCHED).unwrap();
    assert_eq!(requests.ecosystem, Ecosystem::PyPI);
    assert_eq!(requests.name, "requests");
    assert_eq!(requests.latest.as_deref(), Some("2.34.2"));
    assert_eq!(requests.versions.len(), 163);
    assert_eq!(released(&requests, "2.34.2"), Some(time("2026-05-14T19:25:26.443Z")));
    assert_eq!(requests.maintainers, Some(3));
    assert!(!requests.inactive);
    let yanked: Vec<(&str, Option<&str>)> = requests
        .versions
        .iter()
        .filter(|v| v.yanked)
        .map(|v| (v.version.as_str(), v.yanked_reason.as_deref()))
        .collect();
    let reason = Some("Yanked due to conflicts with CVE-2024-35195 mitigation");
    assert_eq!(yanked, [("2.32.0", reason), ("2.32.1", reason)]);
    // A release without files has no date.
    assert_eq!(released(&requests, "0.0.1"), None);

    let urllib3 = pypi::parse(&bytes("pypi/urllib3.json"), FETCHED).unwrap();
    let yanked: Vec<&str> =
        urllib3.versions.iter().filter(|v| v.yanked).map(|v| v.version.as_str()).collect();
    assert_eq!(yanked, ["1.25", "1.25.1", "2.0.0", "2.0.1"]);
    assert_eq!(urllib3.version("1.25").unwrap().yanked_reason.as_deref(), Some("Broken release"));
}

#[test]
fn pypi_pycrypto_unmaintained_and_pytest_runner_inactive() {
    let pycrypto = pypi::parse(&bytes("pypi/pycrypto.json"), FETCHED).unwrap();
    assert_eq!((pycrypto.latest.as_deref(), pycrypto.versions.len()), (Some("2.6.1"), 13));
    assert_eq!(released(&pycrypto, "2.6.1"), Some(time("2014-06-20T08:10:20.813938Z")));
    assert_eq!(pycrypto.maintainers, Some(2));
    assert!(pycrypto.version("1.9a6").unwrap().prerelease);

    let runner = pypi::parse(&bytes("pypi/pytest-runner.json"), FETCHED).unwrap();
    assert!(runner.inactive);
    assert_eq!((runner.latest.as_deref(), runner.maintainers), (Some("6.0.1"), Some(1)));
}

#[test]
fn crates_index_serde_and_failure() {
    let serde = crates_index::parse(&bytes("crates-index/serde"), FETCHED).unwrap();
    assert_eq!(serde.ecosystem, Ecosystem::CratesIo);
    assert_eq!((serde.name.as_str(), serde.versions.len()), ("serde", 316));
    let yanked: Vec<&str> =
        serde.versions.iter().filter(|v| v.yanked).map(|v| v.version.as_str()).collect();
    assert_eq!(yanked, ["0.7.6", "1.0.31", "1.0.95"]);
    assert_eq!(serde.versions.last().unwrap().version, "1.0.229");
    assert_eq!((serde.maintainers, serde.downloads), (None, None));

    let failure = crates_index::parse(&bytes("crates-index/failure"), FETCHED).unwrap();
    assert_eq!(failure.versions.len(), 10);
    assert_eq!(released(&failure, "0.1.8"), Some(time("2020-05-02T18:13:11Z")));
}

type Parser = fn(&[u8], i64) -> Result<PackageMetadata, MetadataError>;

const PARSERS: [(Registry, Parser, &str); 3] = [
    (Registry::Npm, npm::parse, "npm/left-pad.json"),
    (Registry::PyPI, pypi::parse, "pypi/pycrypto.json"),
    (Registry::CratesIndex, crates_index::parse, "crates-index/failure"),
];

#[test]
fn empty_answers_are_errors_naming_the_registry() {
    for (registry, parse, _) in PARSERS {
        for empty in [&b""[..], b"  \n"] {
            assert_eq!(parse(empty, FETCHED), Err(MetadataError::Empty { registry }));
        }
    }
    assert_eq!(npm::parse(b"", 0).unwrap_err().to_string(), "npm registry answer is empty");
}

#[test]
fn oversized_answers_are_refused_before_reading() {
    for (registry, parse, _) in PARSERS {
        let limit = registry.max_bytes();
        let error = parse(&vec![b' '; limit + 1], FETCHED).unwrap_err();
        assert_eq!(error, MetadataError::TooLarge { registry, size: limit + 1, limit });
    }
    assert_eq!(
        npm::parse(&vec![b' '; npm::MAX_BYTES + 1], 0).unwrap_err().to_string(),
        "npm registry answer not read: 33554433 bytes, more than the 33554432 allowed"
    );
}

#[test]
fn malformed_and_cut_short_answers_are_errors() {
    for (registry, parse, rel) in PARSERS {
        let whole = bytes(rel);
        for cut in [1, whole.len() / 3, whole.len() / 2, whole.len() - 2] {
            match parse(&whole[..cut], FETCHED) {
                Err(MetadataError::Malformed { registry: said, .. }) => assert_eq!(said, registry),
                other => panic!("{rel} cut at {cut}: {other:?}"),
            }
        }
        // Every prefix: an error or metadata, never a panic.
        for cut in (0..whole.len()).step_by(997) {
            let _ = parse(&whole[..cut], FETCHED);
        }
    }
    let error = pypi::parse(b"<html>502 Bad Gateway</html>", 0).unwrap_err();
    assert_eq!(
        error.to_string(),
        "PyPI JSON API answer is not valid JSON: expected value at line 1 column 1"
    );
}

#[test]
fn answers_of_the_wrong_shape_are_errors() {
    let cases: [(Parser, &[u8], &str); 9] = [
        (
            npm::parse,
            b"42",
            "invalid type: integer `42`, expected struct Packument at line 1 column 2",
        ),
        (npm::parse, br#"{"versions": {"1.0.0": {}}}"#, "no `name`"),
        (npm::parse, br#"{"name": "x"}"#, "no `versions`"),
        (
            npm::parse,
            br#"{"name": "x", "versions": []}"#,
            "invalid type: sequence, expected an object at line 1 column 26",
        ),
        (pypi::parse, br#"{"releases": {}}"#, "no `info`"),
        (pypi::parse, br#"{"info": {"name": "x"}}"#, "no `releases`"),
        (
            pypi::parse,
            br#"{"info": {"name": "x"}, "releases": {"1.0": {}}}"#,
            "invalid type: map, expected a sequence at line 1 column 44",
        ),
        (
            crates_index::parse,
            b"{\"name\":\"a\",\"vers\":\"1.0.0\"}\n{\"name\":\"b\",\"vers\":\"1.0.0\"}\n",
            "line 2 is for `b`, the first line for `a`",
        ),
        (
            crates_index::parse,
            b"{\"name\":\"a\"}",
            "line 1: missing field `vers` at line 1 column 12",
        ),
    ];
    for (parse, answer, expected) in cases {
        match parse(answer, FETCHED) {
            Err(MetadataError::Shape { message, .. }) => assert_eq!(message, expected),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(answer)),
        }
    }
}

#[test]
fn http_failures_become_reasons() {
    let cases = [
        (404, None, "the npm registry does not know the package (HTTP 404)"),
        (429, Some(30), "the npm registry is rate limiting requests (HTTP 429); retry after 30 s"),
        (429, None, "the npm registry is rate limiting requests (HTTP 429)"),
        (503, None, "the npm registry did not answer: HTTP 503"),
    ];
    for (status, retry_after, expected) in cases {
        let error = MetadataError::from_status(Registry::Npm, status, retry_after);
        assert_eq!(error.to_string(), expected);
    }
    let slow = MetadataError::Unavailable {
        registry: Registry::PyPI,
        message: "no answer within 10 s".to_owned(),
    };
    assert_eq!(slow.to_string(), "the PyPI JSON API did not answer: no answer within 10 s");
}

/// The license each registry gives: npm's latest version's `license`,
/// PyPI's PEP 639 expression, short `license` field or classifier.
#[test]
fn licenses_are_read_from_each_registry() {
    let cases = [
        (npm::parse(&bytes("npm/left-pad.json"), FETCHED).unwrap(), Some("WTFPL")),
        (npm::parse(&bytes("npm/lodash.json"), FETCHED).unwrap(), Some("MIT")),
        (pypi::parse(&bytes("pypi/requests.json"), FETCHED).unwrap(), Some("Apache-2.0")),
        (pypi::parse(&bytes("pypi/urllib3.json"), FETCHED).unwrap(), Some("MIT")),
        (pypi::parse(&bytes("pypi/pytest-runner.json"), FETCHED).unwrap(), Some("MIT")),
        (crates_index::parse(&bytes("crates-index/serde"), FETCHED).unwrap(), None),
    ];
    for (metadata, license) in cases {
        assert_eq!(metadata.license.as_deref(), license, "{}", metadata.name);
    }
    // npm gives each version its own; an unknown version falls back on the
    // package's (the latest version's).
    let left_pad = npm::parse(&bytes("npm/left-pad.json"), FETCHED).unwrap();
    assert_eq!(left_pad.license_of("1.3.0"), Some("WTFPL"));
    assert_eq!(left_pad.license_of("9.9.9"), Some("WTFPL"));
    let first = left_pad.versions.first().unwrap();
    assert_eq!(left_pad.license_of(&first.version), first.license.as_deref().or(Some("WTFPL")));
}
