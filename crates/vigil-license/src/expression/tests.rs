//! Unit tests of expression normalisation, through one `check` helper.

use super::*;

fn check(input: &str, expected: &str, expected_notes: &[&str]) {
    let normalized = normalize(input).unwrap_or_else(|error| panic!("{input}: {error}"));
    assert_eq!(normalized.expression, expected, "input: {input}");
    assert_eq!(normalized.notes, expected_notes, "input: {input}");
}

#[test]
fn current_ids_pass_through() {
    check("MIT OR Apache-2.0", "MIT OR Apache-2.0", &[]);
    check("(MIT AND BSD-3-Clause) OR Apache-2.0", "(MIT AND BSD-3-Clause) OR Apache-2.0", &[]);
    check(
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        &[],
    );
    check("LicenseRef-Proprietary", "LicenseRef-Proprietary", &[]);
}

#[test]
fn deprecated_gnu_ids_become_only_or_later() {
    check("GPL-2.0", "GPL-2.0-only", &["deprecated `GPL-2.0` written as `GPL-2.0-only`"]);
    check("GPL-2.0+", "GPL-2.0-or-later", &["deprecated `GPL-2.0+` written as `GPL-2.0-or-later`"]);
    check(
        "LGPL-2.1+ AND MIT",
        "LGPL-2.1-or-later AND MIT",
        &["deprecated `LGPL-2.1+` written as `LGPL-2.1-or-later`"],
    );
    check(
        "GPL-2.0-with-classpath-exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
        &[
            "deprecated `GPL-2.0-with-classpath-exception` written as `GPL-2.0-only WITH Classpath-exception-2.0`",
        ],
    );
}

#[test]
fn lax_syntax_is_accepted() {
    check("MIT/Apache-2.0", "MIT OR Apache-2.0", &[]);
}

#[test]
fn unknown_ids_become_license_refs() {
    check(
        "MIT OR Foo-Bar",
        "MIT OR LicenseRef-Foo-Bar",
        &["unknown license id `Foo-Bar` written as `LicenseRef-Foo-Bar`"],
    );
}

#[test]
fn malformed_expressions_are_errors() {
    assert_eq!(normalize("  "), Err(Error::Empty));
    for bad in ["MIT OR", "(MIT", "AND MIT", "MIT Apache-2.0 )"] {
        assert!(
            matches!(normalize(bad), Err(Error::Malformed { .. })),
            "{bad}: {:?}",
            normalize(bad)
        );
    }
}
