//! Unit tests of version ordering: per scheme, tables of `(a, b, expected)`
//! through one `check` helper and ascending chains through `check_chain`;
//! property tests (antisymmetry, transitivity, `parse(display(v)) == v`,
//! no panic on any string) with `proptest`.

use std::cmp::Ordering::{self, Equal, Greater, Less};

use proptest::prelude::*;

use super::{Version, compare};
use crate::Ecosystem;

/// Each `(a, b, expected)`: `a` compared with `b` is `expected`, and `b`
/// with `a` the reverse.
#[track_caller]
fn check(ecosystem: Ecosystem, cases: &[(&str, &str, Ordering)]) {
    let mut failures = Vec::new();
    for &(a, b, expected) in cases {
        match (compare(ecosystem, a, b), compare(ecosystem, b, a)) {
            (Ok(forward), Ok(backward))
                if forward == expected && backward == expected.reverse() => {}
            (forward, backward) => failures.push(format!(
                "{a} vs {b}: expected {expected:?}, got {forward:?} (and reversed {backward:?})"
            )),
        }
    }
    assert!(failures.is_empty(), "{ecosystem}:\n{}", failures.join("\n"));
}

/// `groups` ascend; versions inside a group are equal. Every pair is checked.
#[track_caller]
fn check_chain(ecosystem: Ecosystem, groups: &[&[&str]]) {
    let mut cases = Vec::new();
    for (i, left) in groups.iter().enumerate() {
        for (j, right) in groups.iter().enumerate() {
            for a in left.iter() {
                for b in right.iter() {
                    cases.push((*a, *b, i.cmp(&j)));
                }
            }
        }
    }
    check(ecosystem, &cases);
}

/// Each text is refused, and the error names the scheme and the text.
#[track_caller]
fn check_invalid(ecosystem: Ecosystem, texts: &[&str]) {
    for text in texts {
        match Version::parse(ecosystem, text) {
            Ok(version) => panic!("{ecosystem}: `{text}` parsed as {version:?}"),
            Err(error) => assert!(
                error.to_string().contains(error.scheme) && error.version == *text,
                "{error}"
            ),
        }
    }
}

/// Each `(text, normal form, is_prerelease, major)`.
#[track_caller]
fn check_properties(ecosystem: Ecosystem, cases: &[(&str, &str, bool, Option<u64>)]) {
    for &(text, display, prerelease, major) in cases {
        let version = Version::parse(ecosystem, text).unwrap();
        assert_eq!(
            (version.to_string().as_str(), version.is_prerelease(), version.major()),
            (display, prerelease, major),
            "{ecosystem} `{text}`"
        );
    }
}

#[test]
fn semver_orders_as_the_spec_and_reads_leniently() {
    check_chain(
        Ecosystem::Npm,
        &[
            &["0.0.0-0"],
            &["0.0.0"],
            &["0.9.99"],
            &["1.0.0-0"],
            &["1.0.0-1"],
            &["1.0.0-2"],
            &["1.0.0-10"],
            &["1.0.0-alpha"],
            &["1.0.0-alpha.1"],
            &["1.0.0-alpha.beta"],
            &["1.0.0-beta"],
            &["1.0.0-beta.2"],
            &["1.0.0-beta.11"],
            &["1.0.0-rc.1"],
            &[
                "1.0.0",
                "1",
                "1.0",
                "v1.0.0",
                "=1.0.0",
                " = v1.0.0 ",
                "1.0.0+build.5",
                "1.0.0+other",
                "V1",
            ],
            &["1.0.1"],
            &["1.2.3-beta.1"],
            &["1.2.3"],
            &["1.9.0"],
            &["1.10.0", "1.10"],
            &["2.0.0-rc.1"],
            &["18446744073709551615.0.0"],
        ],
    );
    // Upper-case sorts before lower-case in identifiers (ASCII order).
    check(
        Ecosystem::CratesIo,
        &[("1.0.0-Beta", "1.0.0-alpha", Less), ("1.0.0-a-b", "1.0.0-a", Greater)],
    );
    check(Ecosystem::Pub, &[("2.1.0+1", "2.1.0+2", Equal), ("2.1.0+1", "2.1.0", Equal)]);
    check(Ecosystem::SwiftURL, &[("v5.2", "5.2.0", Equal), ("5.10", "5.9.1", Greater)]);
    check(Ecosystem::Hex, &[("0.10.0", "0.9.0", Greater)]);
}

#[test]
fn semver_refuses_what_is_not_semver() {
    check_invalid(
        Ecosystem::CratesIo,
        &[
            "",
            "   ",
            "v",
            "1.2.3.4",
            "a.b.c",
            "1.2.x",
            "1.2.3-",
            "1.2.3-beta..1",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3+a+b",
            "18446744073709551616.0.0",
            "-1.0.0",
            "1.0.0 beta",
            "latest",
            "1.0.0-β",
        ],
    );
}

#[test]
fn semver_properties() {
    check_properties(
        Ecosystem::Npm,
        &[
            ("v1.2", "1.2.0", false, Some(1)),
            ("=0.3.0-beta.1+sha.5", "0.3.0-beta.1", true, Some(0)),
            ("10.0.0", "10.0.0", false, Some(10)),
        ],
    );
    assert_eq!(Version::parse_semver("v2.0.0-rc.1").unwrap().to_string(), "2.0.0-rc.1");
    // OSV `SEMVER` ranges are SemVer in every ecosystem.
    assert_eq!(
        Version::parse_semver("1.0.0").unwrap(),
        Version::parse(Ecosystem::CratesIo, "1.0").unwrap()
    );
}

#[test]
fn pep440_orders_as_the_spec() {
    // PEP 440's own example order, and its normalisation.
    check_chain(
        Ecosystem::PyPI,
        &[
            &["0.9"],
            &["1.0.dev456", "1.0-dev456", "1.0dev456", "1.0.DEV456"],
            &["1.0a1", "1.0alpha1", "1.0-a.1", "1.0_a_1", "1.0A1", "v1.0a1"],
            &["1.0a2.dev456"],
            &["1.0a12.dev456"],
            &["1.0a12"],
            &["1.0b1.dev456"],
            &["1.0b2", "1.0beta2"],
            &["1.0b2.post345.dev456"],
            &["1.0b2.post345"],
            &["1.0rc1.dev456"],
            &["1.0rc1", "1.0c1", "1.0pre1", "1.0preview1", "1.0-RC1"],
            &["1.0", "1.0.0", "v1.0", " 1.0 ", "0!1.0"],
            &["1.0+abc.5"],
            &["1.0+abc.7"],
            &["1.0+5"],
            &["1.0.post456.dev34"],
            &["1.0.post456", "1.0-456", "1.0post456", "1.0-post456", "1.0.r456", "1.0rev456"],
            &["1.0.15"],
            &["1.1.dev1"],
            &["1.10"],
            &["2.0"],
            &["1!0.1"],
        ],
    );
    check(
        Ecosystem::PyPI,
        &[
            ("1.0a", "1.0a0", Equal),
            ("1.0.post", "1.0.post0", Equal),
            ("1.0-1", "1.0.post1", Equal),
        ],
    );
}

#[test]
fn pep440_refuses_what_is_not_pep440() {
    check_invalid(
        Ecosystem::PyPI,
        &["", "abc", "1.0.0-foo", "1..0", "1.0+", "1.0+a..b", "1.0.*", "==1.0", "1.0 beta"],
    );
}

#[test]
fn pep440_properties() {
    check_properties(
        Ecosystem::PyPI,
        &[
            ("1.0-1", "1.0.post1", false, Some(1)),
            ("V2.0RC1", "2.0rc1", true, Some(2)),
            ("3.2.dev0", "3.2.dev0", true, Some(3)),
            ("1!2.0_alpha", "1!2.0a0", true, Some(2)),
            ("1.0+Ubuntu-1", "1.0+ubuntu.1", false, Some(1)),
        ],
    );
}

/// Maven's order as `maven-artifact` 3.8.7's `ComparableVersion` gives it:
/// every pair of this chain was compared by Java (`compareTo`), except four
/// versions on which Maven contradicts itself (see `maven_deviations`).
const MAVEN_ORDER: &[&[&str]] = &[
    &["alpha"],
    &["a"],
    &["-1"],
    &[".1"],
    &["0.9"],
    &["0.9.9-SNAPSHOT"],
    &["1-alpha", "1.0.0-alpha"],
    &["1.0.0-alpha-1-SNAPSHOT"],
    &["1-a1", "1-alpha-1", "1-alpha1", "1.0.0.Alpha1", "1.0a1"],
    &["1-alpha2", "1-alpha-2", "1.0alpha2"],
    &["1-beta"],
    &["1-b1", "1-beta-1", "1.0.0.Beta1"],
    &["1.0b2"],
    &["1-milestone-1", "1-m1"],
    &["1.0m3"],
    &["1-rc"],
    &["1-rc1", "1-RC1", "1.0.RC1", "1.0-RC1", "1-cr1", "1-CR-1", "1.0.0.CR1", "1.0rc1"],
    &["1.0.0.CR2"],
    &["1-snapshot", "1.0-SNAPSHOT", "1.0.0-SNAPSHOT"],
    &[
        "1",
        "1.0",
        "1.0.0",
        "1-0",
        "1.0-0",
        "1-ga",
        "1-final",
        "1-release",
        "1.0.GA",
        "1.0.",
        "1.0.0.Final",
    ],
    &["1-sp"],
    &["1-sp1", "1.0-sp1", "1.0.0.SP1"],
    &["1-abc"],
    &["1.0ea", "1.0-ea"],
    &["1.0.0.foo", "1-foo", "1.foo"],
    &["1.0-hotfix1"],
    &["1.0-jdk8"],
    &["1.0-jdk11"],
    &["1-x", "1.0.x", "1.x"],
    &["1.0.x1"],
    &["1-xyz"],
    &["1--1"],
    &["1-0.1", "1-.1"],
    &["1-1", "1.0-1"],
    &["1-1.foo-bar1baz-.1"],
    &["1.0.0-1-1"],
    &["1.0.0-20200101"],
    &["1.0.0.1"],
    &["1.0.0.20200101"],
    &["1.0.1", "1..1"],
    &["1.1-alpha1"],
    &["1.1-SNAPSHOT"],
    &["1.1"],
    &["1.2.3-SNAPSHOT"],
    &["1.2.3"],
    &["1.2.3-20200101.120000-1"],
    &["1.2.3.4.5"],
    &["1.2.17"],
    &["1.2147483648"],
    &["1.123456789012"],
    &["1.12345678901234567890"],
    &["2.0.0.M1"],
    &["2.0.0.RC1"],
    &["2", "2.0.0.RELEASE"],
    &["2.0.0-dev"],
    &["2.0-jre"],
    &["2.0.0-preview"],
    &["2.0.0.BUILD-SNAPSHOT"],
    &["2.13.4"],
    &["2.13.4.1"],
    &["2.13.4.2"],
    &["2.14.0-rc1"],
    &["2.14.0-rc2"],
    &["2.14.0"],
    &["3.0.0-alpha-1"],
    &["3.0.0-beta-1"],
    &["3.0.0-M1"],
    &["3.0.0-M2"],
    &["3.0.0-M10"],
    &["5.3.18", "5.3.18.RELEASE"],
    &["9.4.9.v20180320"],
    &["9.4.43.v20210629"],
    &["9.4.44.v20210927"],
    &["31.1"],
    &["31.1-android"],
    &["31.1-jre"],
    &["12345678901234567890"],
];

/// `(version, ComparableVersion.getCanonical())` from Maven 3.8.7.
const MAVEN_CANONICAL: &[(&str, &str)] = &[
    ("1", "1"),
    ("1.0", "1"),
    ("1.0.0", "1"),
    ("1-0", "1"),
    ("1.0-0", "1"),
    ("1-alpha", "1-alpha"),
    ("1-a1", "1-alpha-1"),
    ("1-alpha-1", "1-alpha-1"),
    ("1-alpha1", "1-alpha-1"),
    ("1-alpha2", "1-alpha-2"),
    ("1-alpha-2", "1-alpha-2"),
    ("1.0alpha2", "1-alpha-2"),
    ("1.0.0-alpha", "1-alpha"),
    ("1-beta", "1-beta"),
    ("1-b1", "1-beta-1"),
    ("1-beta-1", "1-beta-1"),
    ("1-milestone-1", "1-milestone-1"),
    ("1-m1", "1-milestone-1"),
    ("1-rc", "1-rc"),
    ("1-rc1", "1-rc-1"),
    ("1-RC1", "1-rc-1"),
    ("1.0.RC1", "1-rc-1"),
    ("1.0-RC1", "1-rc-1"),
    ("1-cr1", "1-rc-1"),
    ("1-CR-1", "1-rc-1"),
    ("1-snapshot", "1-snapshot"),
    ("1.0-SNAPSHOT", "1-snapshot"),
    ("1.0.0-SNAPSHOT", "1-snapshot"),
    ("1-ga", "1"),
    ("1-final", "1"),
    ("1-release", "1"),
    ("1.0.GA", "1"),
    ("1-sp", "1-sp"),
    ("1-sp1", "1-sp-1"),
    ("1.0-sp1", "1-sp-1"),
    ("1-abc", "1-abc"),
    ("1-xyz", "1-xyz"),
    ("1.0.0.foo", "1-foo"),
    ("1-1", "1-1"),
    ("1.0-1", "1-1"),
    ("1.1", "1.1"),
    ("1.0.1", "1.0.1"),
    ("1.0.0.1", "1.0.0.1"),
    ("1.1-SNAPSHOT", "1.1-snapshot"),
    ("1.1-alpha1", "1.1-alpha-1"),
    ("2", "2"),
    ("2.0-jre", "2-jre"),
    ("31.1-jre", "31.1-jre"),
    ("31.1-android", "31.1-android"),
    ("31.1", "31.1"),
    ("1.2.3.4.5", "1.2.3.4.5"),
    ("1.0.0-20200101", "1-20200101"),
    ("1.0.0.20200101", "1.0.0.20200101"),
    ("0.9", "0.9"),
    ("0.9.9-SNAPSHOT", "0.9.9-snapshot"),
    ("1.0.0-alpha-1-SNAPSHOT", "1-alpha-1-snapshot"),
    ("1-1.foo-bar1baz-.1", "1-1.foo-bar-1-baz-0.1"),
    ("2.0.0.RELEASE", "2"),
    ("2.0.0.M1", "2-milestone-1"),
    ("2.0.0.RC1", "2-rc-1"),
    ("2.0.0.BUILD-SNAPSHOT", "2.0.0.build-snapshot"),
    ("1-0.1", "1-0.1"),
    ("1-foo", "1-foo"),
    ("1.foo", "1-foo"),
    ("1-x", "1-x"),
    ("1.0.x", "1-x"),
    ("1.0.x1", "1-x-1"),
    ("1.x", "1-x"),
    ("1.0.0-1-1", "1-1-1"),
    ("1..1", "1.0.1"),
    ("1-.1", "1-0.1"),
    ("1--1", "1-1"),
    ("1.0.", "1"),
    ("-1", "1"),
    (".1", "0.1"),
    ("a", "a"),
    ("alpha", "alpha"),
    ("12345678901234567890", "12345678901234567890"),
    ("1.12345678901234567890", "1.12345678901234567890"),
    ("1.123456789012", "1.123456789012"),
    ("1.2147483648", "1.2147483648"),
    ("1.0.0.Final", "1"),
    ("1.0.0.CR1", "1-rc-1"),
    ("1.0.0.CR2", "1-rc-2"),
    ("1.0.0.Beta1", "1-beta-1"),
    ("1.0.0.Alpha1", "1-alpha-1"),
    ("1.0.0.SP1", "1-sp-1"),
    ("5.3.18", "5.3.18"),
    ("5.3.18.RELEASE", "5.3.18"),
    ("2.13.4.2", "2.13.4.2"),
    ("2.13.4", "2.13.4"),
    ("2.13.4.1", "2.13.4.1"),
    ("2.14.0-rc1", "2.14-rc-1"),
    ("2.14.0-rc2", "2.14-rc-2"),
    ("2.14.0", "2.14"),
    ("1.2.17", "1.2.17"),
    ("1.2.3-SNAPSHOT", "1.2.3-snapshot"),
    ("1.2.3-20200101.120000-1", "1.2.3-20200101.120000-1"),
    ("1.2.3", "1.2.3"),
    ("3.0.0-M1", "3-milestone-1"),
    ("3.0.0-M10", "3-milestone-10"),
    ("3.0.0-M2", "3-milestone-2"),
    ("3.0.0-beta-1", "3-beta-1"),
    ("3.0.0-alpha-1", "3-alpha-1"),
    ("9.4.43.v20210629", "9.4.43-v-20210629"),
    ("9.4.44.v20210927", "9.4.44-v-20210927"),
    ("9.4.9.v20180320", "9.4.9-v-20180320"),
    ("1.0-jdk8", "1-jdk-8"),
    ("1.0-jdk11", "1-jdk-11"),
    ("2.0.0-preview", "2-preview"),
    ("2.0.0-dev", "2-dev"),
    ("1.0b2", "1-beta-2"),
    ("1.0a1", "1-alpha-1"),
    ("1.0m3", "1-milestone-3"),
    ("1.0rc1", "1-rc-1"),
    ("1.0ea", "1-ea"),
    ("1.0-ea", "1-ea"),
    ("1.0-hotfix1", "1-hotfix-1"),
];

#[test]
fn maven_orders_as_comparable_version() {
    check_chain(Ecosystem::Maven, MAVEN_ORDER);
}

#[test]
fn maven_canonical_forms_match_maven() {
    let mut failures = Vec::new();
    for &(text, canonical) in MAVEN_CANONICAL {
        let shown = Version::parse(Ecosystem::Maven, text).unwrap().to_string();
        if shown != canonical {
            failures.push(format!("{text}: Maven {canonical}, Vigil {shown}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn maven_deviations_make_the_order_total() {
    // Maven 3.8.7 says 1.0.alpha.1 < 1 < 1.sp.1 < 1.0.alpha.1 (a cycle);
    // Vigil drops the 0 before the pre-release word and breaks the last
    // edge: a pre-release stays below its release.
    check(
        Ecosystem::Maven,
        &[
            ("1", "1.sp.1", Less),
            ("1.0.alpha.1", "1", Less),
            ("1.0.0.beta.2", "1.0.0", Less),
            ("1.0.0.beta.2", "1.0.0.beta.1", Greater),
            ("1.0.alpha.1", "1.sp.1", Less),
            // Zeros before other words weigh as numbers, as in Maven.
            ("1.0.0.build.1", "1", Greater),
            // Maven: 1.0-0.alpha ([1, [[alpha]]]) < 1 < 1-sp < 1.0-0.alpha.
            ("1.0-0.alpha", "1", Less),
            ("1-sp", "1", Greater),
            ("1.0-0.alpha", "1-sp", Less),
            ("1.0-0.alpha", "1-alpha", Greater),
        ],
    );
}

#[test]
fn maven_properties() {
    check_properties(
        Ecosystem::Maven,
        &[
            ("1.0-SNAPSHOT", "1-snapshot", true, Some(1)),
            ("2.0.0.RELEASE", "2", false, Some(2)),
            ("31.1-jre", "31.1-jre", false, Some(31)),
            ("1.0.0.M1", "1-milestone-1", true, Some(1)),
            ("1.0-sp1", "1-sp-1", false, Some(1)),
            ("9.4.43.v20210629", "9.4.43-v-20210629", false, Some(9)),
            ("0", "", false, Some(0)),
            ("final", "", false, Some(0)),
            ("rc1", "rc-1", true, None),
        ],
    );
    check_invalid(Ecosystem::Maven, &["", "   "]);
}

#[test]
fn rubygems_orders_as_gem_version() {
    check_chain(
        Ecosystem::RubyGems,
        &[
            &["0.9"],
            &["1.0.A"],
            &["1.0.a", "1.a", "1.0a", "1.0.0.a", "1.a.0"],
            &["1.0.a.1"],
            &["1.0.a2"],
            &["1.0.a10"],
            &["1.0.b1"],
            // A missing segment weighs as 0, above any string.
            &["1.0.0-rc1", "1.0.0.pre.rc1", "1.0.0.pre.rc.1"],
            &["1.0.0.pre"],
            &["1.0.0.rc1"],
            &["1", "1.0", "1.0.0", " 1.0 "],
            &["1.0.0.1"],
            &["1.1.a"],
            &["1.1"],
            &["1.10"],
            &["2.0.0.alpha"],
            &["18446744073709551615"],
        ],
    );
}

#[test]
fn rubygems_refuses_what_gem_version_refuses() {
    check_invalid(
        Ecosystem::RubyGems,
        &[
            "",
            "a.1",
            "1..0",
            "1.0-",
            "1.0 beta",
            "-1",
            "1.0.",
            "1.0.0-beta..1",
            "1_0",
            "v1.0",
            "99999999999999999999",
        ],
    );
}

#[test]
fn rubygems_properties() {
    check_properties(
        Ecosystem::RubyGems,
        &[
            ("1.0.0", "1", false, Some(1)),
            ("1.0.0-rc1", "1.pre.rc.1", true, Some(1)),
            ("0.a", "0.a", true, Some(0)),
            ("4.2.11.1", "4.2.11.1", false, Some(4)),
        ],
    );
}

#[test]
fn go_orders_pseudo_versions_and_ignores_incompatible() {
    check_chain(
        Ecosystem::Go,
        &[
            &["v0.0.0-20191109021931-daa7c04131f5"],
            &["v0.0.0-20200101000000-abcdef123456", "0.0.0-20200101000000-abcdef123456"],
            &["v0.0.1"],
            &["v1.2.3", "1.2.3", "v1.2.3+meta"],
            &["v1.2.4-0.20200101000000-abcdef123456"],
            &["v1.2.4-pre"],
            &["v1.2.4-pre.0.20200101000000-abcdef123456"],
            &["v1.2.4"],
            &["v1.3", "v1.3.0"],
            &["v2", "v2.0.0", "v2.0.0+incompatible", "2.0.0+incompatible"],
            &["v2.0.1-0.20210101000000-abcdef123456+incompatible"],
            &["v2.0.1+incompatible"],
            &["v10.0.0"],
        ],
    );
}

#[test]
fn go_refuses_what_x_mod_semver_refuses() {
    check_invalid(
        Ecosystem::Go,
        &[
            "",
            "v",
            "v01.2.3",
            "v1.02.3",
            "v1.2-pre",
            "v1-pre",
            "v1.2+meta",
            "v1.2.3.4",
            "latest",
            "v1.2.3-01",
            "vv1.2.3",
            "v1.2.3-",
        ],
    );
}

#[test]
fn go_properties() {
    check_properties(
        Ecosystem::Go,
        &[
            ("1.2.3", "v1.2.3", false, Some(1)),
            (
                "v0.0.0-20200101000000-abcdef123456",
                "v0.0.0-20200101000000-abcdef123456",
                true,
                Some(0),
            ),
            ("v2.0.0+incompatible", "v2.0.0", false, Some(2)),
            ("v1.2", "v1.2.0", false, Some(1)),
        ],
    );
}

#[test]
fn nuget_orders_four_parts_and_labels_without_case() {
    check_chain(
        Ecosystem::NuGet,
        &[
            &["0.9"],
            &["1.0.0-1"],
            &["1.0.0-alpha", "1.0.0-ALPHA", "1.0.0-Alpha+build"],
            &["1.0.0-alpha.1"],
            &["1.0.0-beta"],
            &["1.0.0-beta.2"],
            &["1.0.0-beta.10", "1.0.0-beta.010"],
            &["1.0.0-beta01"],
            &["1.0.0-beta02"],
            &["1.0.0-rc.1", "1.0.0-RC.1"],
            &["1", "1.0", "1.0.0", "1.0.0.0", "1.0.0+meta", " 1.0 ", "01.00"],
            &["1.0.0.1"],
            &["1.0.1-preview"],
            &["1.0.1"],
            &["1.1", "1.01"],
            &["1.10"],
            &["4.3.0.10"],
        ],
    );
}

#[test]
fn nuget_refuses_what_nuget_refuses() {
    check_invalid(
        Ecosystem::NuGet,
        &["", "1.2.3.4.5", "1.0.0-", "1.0.0-beta..1", "a", "1.0.0+", "1.0.0-be ta", "v1.0", "1..0"],
    );
}

#[test]
fn nuget_properties() {
    check_properties(
        Ecosystem::NuGet,
        &[
            ("1.0.0.0", "1.0.0", false, Some(1)),
            ("2.1.0.3-Preview.1", "2.1.0.3-preview.1", true, Some(2)),
            ("1", "1.0.0", false, Some(1)),
        ],
    );
}

#[test]
fn composer_normalises_as_version_parser_and_orders_as_version_compare() {
    check_chain(
        Ecosystem::Packagist,
        &[
            &["0.9.9"],
            &["1.0.0-dev", "1.0-dev", "1.0.0.0-dev", "v1.0.0-dev"],
            &["1.0.0-alpha", "1.0.0a", "1.0.0-a", "1.0.0.alpha", "1.0.0-ALPHA"],
            &["1.0.0-alpha2", "1.0.0-a2", "1.0.0alpha.2"],
            &["1.0.0-beta-dev"],
            &["1.0.0-beta", "1.0.0b", "1.0.0-BETA"],
            &["1.0.0-beta2", "1.0.0-b2", "1.0.0-beta.2", "1.0.0-beta-2"],
            &["1.0.0-beta2.1"],
            &["1.0.0-beta10"],
            &["1.0.0-RC1-dev"],
            &["1.0.0-RC1", "1.0.0-rc1", "1.0.0.RC1", "1.0.0-rc.1"],
            &[
                "1.0.0",
                "1.0",
                "1",
                "v1.0.0",
                "1.0.0.0",
                "1.0.0-stable",
                "1.0.0+build.1",
                "1.0@dev",
                "1.0.0 as 2.0.0",
            ],
            &["1.0.0-patch1", "1.0.0-p1", "1.0.0-pl1", "1.0.0.p1"],
            &["1.0.0-patch2"],
            &["1.0.0.1"],
            &["1.0.1"],
            &["2010-01-02"],
            &["2010.01.03", "2010.1.3"],
            &["99999.0.0"],
            &["201001-02", "201001.02"],
            &["20100102"],
        ],
    );
}

#[test]
fn composer_refuses_branches_and_garbage() {
    for branch in
        ["dev-master", "master", "DEV-feature/foo", "1.x-dev", "1.0.x-dev", "trunk", "default"]
    {
        let error = Version::parse(Ecosystem::Packagist, branch).unwrap_err();
        assert_eq!(error.reason, "a branch, not a version", "{branch}");
    }
    check_invalid(
        Ecosystem::Packagist,
        &["", "abc", "1.0.0.0.0", "v", "1.0-foo", "1.0.0-beta-foo", "x1.0"],
    );
}

#[test]
fn composer_properties() {
    check_properties(
        Ecosystem::Packagist,
        &[
            ("v1.2.3", "1.2.3.0", false, Some(1)),
            ("1.0.0-beta.2", "1.0.0.0-beta2", true, Some(1)),
            ("1.0-p1", "1.0.0.0-patch1", false, Some(1)),
            ("1.0.0-RC1-dev", "1.0.0.0-RC1-dev", true, Some(1)),
            ("2010-01-02", "2010.1.2", false, Some(2010)),
        ],
    );
}

#[test]
fn conan_orders_items_and_prereleases() {
    check_chain(
        Ecosystem::ConanCenter,
        &[
            &["0.1"],
            &["1.0-rc1"],
            &["1.0-rc2"],
            &["1", "1.0", "1.0.0", " 1.0 "],
            &["1.0+1", "1.0+1.0"],
            &["1.0+2"],
            &["1.1.1"],
            &["1.1.1k"],
            &["1.1.1l"],
            &["1.1.2"],
            &["1.1.10"],
            &["1.2.13"],
            &["cci.20210118"],
            &["cci.20220101"],
        ],
    );
    check(
        Ecosystem::ConanCenter,
        &[
            ("1.0-rc.1+2", "1.0-rc.1+1", Greater),
            ("1.0-rc.1", "1.0-rc.1+1", Less),
            ("1.0-pre+5", "1.0", Less),
        ],
    );
}

#[test]
fn conan_refuses_empty_and_spaces() {
    check_invalid(Ecosystem::ConanCenter, &["", "1 0", "1.0\u{7}", "99999999999999999999999"]);
}

#[test]
fn conan_properties() {
    check_properties(
        Ecosystem::ConanCenter,
        &[
            ("1.2.0", "1.2", false, Some(1)),
            ("3.0.0-beta.1+b2", "3-beta.1+b2", true, Some(3)),
            ("cci.20210118", "cci.20210118", false, None),
            ("0", "0", false, Some(0)),
        ],
    );
}

#[test]
fn osv_introduced_zero_reads_in_every_ecosystem() {
    for ecosystem in Ecosystem::ALL {
        let zero = Version::parse(ecosystem, "0").unwrap();
        assert_eq!(zero.major(), Some(0), "{ecosystem}");
        assert!(!zero.is_prerelease(), "{ecosystem}");
        let one = if ecosystem == Ecosystem::Go { "v1.0.0" } else { "1.0" };
        assert!(zero < Version::parse(ecosystem, one).unwrap(), "{ecosystem}");
    }
}

#[test]
fn overlong_input_is_refused_and_cut_in_the_error() {
    let long = "1.".repeat(1000) + "0";
    for ecosystem in Ecosystem::ALL {
        let error = Version::parse(ecosystem, &long).unwrap_err();
        assert_eq!(error.reason, "longer than 256 characters");
        assert_eq!(error.version.len(), 256);
    }
}

fn pattern(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::CratesIo
        | Ecosystem::Npm
        | Ecosystem::Hex
        | Ecosystem::Pub
        | Ecosystem::SwiftURL => {
            "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-(alpha|beta|rc|Beta|0|[1-9][0-9]?|x-y)(\\.(alpha|0|[1-9][0-9]?)){0,2})?(\\+[a-z0-9]{1,3})?"
        }
        Ecosystem::PyPI => {
            "v?([0-9]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}((a|b|rc|alpha|c)[0-9]?)?(\\.post[0-9]|-[0-9])?(\\.dev[0-9]?)?(\\+[a-z0-9]{1,3}(\\.[0-9]{1,2})?)?"
        }
        Ecosystem::Maven => {
            "[0-9]{1,2}([.-]{1,2}([0-9]{1,2}|alpha|beta|RC|sp|ga|final|snapshot|foo|a1|m2|x|0)){0,5}"
        }
        Ecosystem::RubyGems => {
            "[0-9]{1,2}(\\.([0-9]{1,2}|a|b|pre|rc[0-9]|[A-Z]|0)){0,4}(-[a-z0-9]{1,3})?"
        }
        Ecosystem::Go => {
            "v[0-9]\\.[0-9]\\.[0-9](-(pre|0\\.2020010100000[0-9]-abcdef123456|rc\\.[0-9]|[0-9]))?(\\+incompatible)?"
        }
        Ecosystem::NuGet => {
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-(alpha|Beta|RC|[0-9]{1,2})(\\.(alpha|[0-9]{1,2})){0,2})?(\\+[a-z]{1,3})?"
        }
        Ecosystem::Packagist => {
            "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,3}([-.]?(alpha|beta|RC|a|b|p|pl|patch|stable)([.-]?[0-9]){0,2})?(-dev)?"
        }
        Ecosystem::ConanCenter => {
            "[0-9a-z]{1,3}(\\.[0-9a-z]{1,3}){0,3}(-[0-9a-z]{1,3}(\\.[0-9a-z]{1,2})?)?(\\+[0-9a-z]{1,3})?"
        }
    }
}

fn ecosystem() -> impl Strategy<Value = Ecosystem> {
    proptest::sample::select(Ecosystem::ALL.to_vec())
}

/// An ecosystem and three versions of it.
fn triple() -> impl Strategy<Value = (Ecosystem, String, String, String)> {
    ecosystem().prop_flat_map(|ecosystem| {
        let text = || proptest::string::string_regex(pattern(ecosystem)).unwrap();
        (Just(ecosystem), text(), text(), text())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_versions_parse((ecosystem, a, _b, _c) in triple()) {
        prop_assert!(Version::parse(ecosystem, &a).is_ok(), "{ecosystem} `{a}`: {:?}", Version::parse(ecosystem, &a));
    }

    #[test]
    fn order_is_antisymmetric_transitive_and_agrees_with_eq((ecosystem, a, b, c) in triple()) {
        let a = Version::parse(ecosystem, &a).unwrap();
        let b = Version::parse(ecosystem, &b).unwrap();
        let c = Version::parse(ecosystem, &c).unwrap();
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a == b, a.cmp(&b) == Equal);
        prop_assert_eq!(a.cmp(&a), Equal);
        for (x, y, z) in [(&a, &b, &c), (&a, &c, &b), (&b, &a, &c), (&b, &c, &a), (&c, &a, &b), (&c, &b, &a)] {
            if x <= y && y <= z {
                prop_assert!(x <= z, "{:?} <= {:?} <= {:?} but not {:?} <= {:?}", x, y, z, x, z);
            }
        }
    }

    #[test]
    fn display_parses_back_to_the_same_version((ecosystem, a, _b, _c) in triple()) {
        // Maven's canonical form, like Maven's own, does not always read
        // back the same (`0-1` is shown `1`, `0` is shown empty).
        prop_assume!(ecosystem != Ecosystem::Maven);
        let version = Version::parse(ecosystem, &a).unwrap();
        let shown = version.to_string();
        let again = Version::parse(ecosystem, &shown);
        prop_assert_eq!(again, Ok(version), "`{}` shown as `{}`", a, shown);
    }

    #[test]
    fn any_string_parses_or_errs_without_panic(ecosystem in ecosystem(), text in any::<String>()) {
        if let Ok(version) = Version::parse(ecosystem, &text) {
            prop_assert_eq!(version.cmp(&version), Equal);
            let _ = (version.to_string(), version.is_prerelease(), version.major());
        }
    }

    #[test]
    fn version_like_strings_parse_or_err_without_panic(
        ecosystem in ecosystem(),
        text in "[0-9a-zA-Z.+_:@ -]{0,30}",
    ) {
        if let Ok(version) = Version::parse(ecosystem, &text) {
            prop_assert_eq!(version.cmp(&version), Equal);
            let _ = (version.to_string(), version.is_prerelease(), version.major());
        }
    }
}
