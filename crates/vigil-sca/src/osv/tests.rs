//! Tests of the advisory readers on real advisories from
//! `../shared/data/advisories`.

use super::*;
use crate::test_support::read_advisory_data;

fn expect_advisory(read: Result<Read, AdvisoryError>) -> (Advisory, Vec<String>) {
    match read {
        Ok(Read::Advisory(advisory, problems)) => (*advisory, problems),
        other => panic!("not an advisory: {other:?}"),
    }
}

#[test]
fn rustsec_front_matter_and_title() {
    let text = read_advisory_data("rustsec/crates/tokio/RUSTSEC-2021-0072.md");
    let (advisory, problems) = expect_advisory(rustsec("tokio/RUSTSEC-2021-0072.md", &text));
    assert!(problems.is_empty());
    assert_eq!(advisory.id, "RUSTSEC-2021-0072");
    assert_eq!(advisory.aliases, ["CVE-2021-38191", "GHSA-2grh-hm3w-w7hv"]);
    assert_eq!(advisory.summary, "Task dropped in wrong thread when aborting `LocalSet` task");
    assert!(advisory.details.starts_with("When aborting a task"));
    assert_eq!(advisory.url, "https://rustsec.org/advisories/RUSTSEC-2021-0072.html");
    assert_eq!(advisory.informational, None);
    assert_eq!(
        advisory.affected,
        [Affected {
            ecosystem: Ecosystem::CratesIo,
            name: "tokio".into(),
            ranges: vec![Range::Requirements {
                patched: vec![
                    ">= 1.5.1, < 1.6.0".into(),
                    ">= 1.6.3, < 1.7.0".into(),
                    ">= 1.7.2, < 1.8.0".into(),
                    ">= 1.8.1".into()
                ],
                unaffected: vec!["< 0.3.0".into()],
            }],
            versions: vec![],
        }]
    );
}

#[test]
fn rustsec_notices_and_withdrawals() {
    let text = read_advisory_data("rustsec/crates/badge/RUSTSEC-2022-0057.md");
    let (advisory, _) = expect_advisory(rustsec("badge", &text));
    assert_eq!(advisory.informational.as_deref(), Some("unmaintained"));
    let text = read_advisory_data("rustsec/crates/markdown/RUSTSEC-2022-0044.md");
    assert_eq!(rustsec("markdown", &text), Ok(Read::Skip(Skip::Withdrawn)));
}

#[test]
fn pypa_yaml_keeps_versions_as_text() {
    let text = read_advisory_data("pypa/vulns/django/PYSEC-2007-1.yaml");
    let (advisory, problems) = expect_advisory(osv_yaml("PYSEC-2007-1.yaml", &text));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(advisory.id, "PYSEC-2007-1");
    assert_eq!(advisory.aliases, ["CVE-2007-5712"]);
    assert_eq!(advisory.url, "http://secunia.com/advisories/27435");
    let affected = &advisory.affected[0];
    assert_eq!((affected.ecosystem, affected.name.as_str()), (Ecosystem::PyPI, "django"));
    assert_eq!(
        affected.ranges,
        [Range::Events {
            semver: false,
            events: vec![Event::Introduced("0".into()), Event::Fixed("1.1".into())]
        }]
    );
    assert_eq!(affected.versions, ["1.0.1", "1.0.2", "1.0.3", "1.0.4"]);

    let unquoted =
        "id: X-1\naffected:\n- package: {name: a, ecosystem: PyPI}\n  versions: [1.10, 2]\n";
    let (advisory, _) = expect_advisory(osv_yaml("x.yaml", unquoted));
    assert_eq!(advisory.affected[0].versions, ["1.10", "2"]);
}

#[test]
fn ghsa_json_with_cvss_and_rating() {
    let text = read_advisory_data("ghsa-sample/npm/GHSA-27h2-hvpr-p74q.json");
    let (advisory, _) = expect_advisory(osv_json("GHSA-27h2-hvpr-p74q.json", text.as_bytes()));
    assert_eq!(advisory.cvss, ["CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:H/A:L"]);
    assert_eq!(advisory.cvss_score().map(|(_, score, _)| score), Some(7.6));
    assert_eq!(advisory.affected[0].name, "jsonwebtoken");
    assert!(advisory.rated.is_some());
}

#[test]
fn withdrawn_and_foreign_advisories_are_skipped() {
    let text = read_advisory_data("pypa/vulns/redis/PYSEC-2023-73.yaml");
    assert_eq!(osv_yaml("PYSEC-2023-73.yaml", &text), Ok(Read::Skip(Skip::Withdrawn)));
    let debian = br#"{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"versions":["1"]}]}"#;
    assert_eq!(osv_json("DSA-1.json", debian), Ok(Read::Skip(Skip::OtherEcosystem)));
}

#[test]
fn malformed_advisories_are_named() {
    let cases: [(&[u8], &str); 5] = [
        (b"{", "x.json: not an OSV advisory: EOF while parsing"),
        (br#"{"id":""}"#, "x.json: the advisory has no id"),
        (
            br#"{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}"#,
            "x.json: a: a range without `introduced`; ignored",
        ),
        (
            br#"{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"WEIRD","events":[]}]}]}"#,
            "x.json: a: a range of unknown type `WEIRD`; ignored",
        ),
        (br#"{"id":"A","affected":"nope"}"#, "x.json: not an OSV advisory: invalid type"),
    ];
    for (input, expected) in cases {
        let error = osv_json("x.json", input).expect_err("malformed");
        assert!(error.to_string().starts_with(expected), "{error}");
    }
    // One bad range among good ones: the advisory stays, the problem is named.
    let mixed = br#"{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"WEIRD","events":[]},{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#;
    let (advisory, problems) = expect_advisory(osv_json("x.json", mixed));
    assert_eq!(advisory.affected[0].ranges.len(), 1);
    assert_eq!(problems, ["a: a range of unknown type `WEIRD`; ignored"]);

    let bad_req = "```toml\n[advisory]\nid = \"RUSTSEC-1\"\npackage = \"a\"\n[versions]\npatched = [\">= nope\"]\n```\n# T\n";
    let error = rustsec("a.md", bad_req).expect_err("invalid requirement");
    assert!(error.message.starts_with("version requirement `>= nope` is not valid"), "{error}");
    assert!(rustsec("a.md", "# no front matter").is_err());
    assert!(osv_yaml("a.yaml", "a: [").is_err());
    let deep = format!("id: A\nx: {}{}", "[".repeat(200), "]".repeat(200));
    assert!(osv_yaml("a.yaml", &deep).is_err());
}
