//! Unit tests of Debian short-name mapping, through one `check` helper.

use super::*;

fn check(value: &str, expected: &str, expected_known: bool) {
    assert_eq!(debian_expression(value), (expected.to_owned(), expected_known), "value: {value}");
}

#[test]
fn debian_short_names_map_to_spdx() {
    check("GPL-2+", "GPL-2.0-or-later", true);
    check("GPL-2", "GPL-2.0-only", true);
    check("LGPL-2.1+", "LGPL-2.1-or-later", true);
    check("Expat", "MIT", true);
    check("BSD-3-clause", "BSD-3-Clause", true);
    check("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0-Perl", true);
    check("Apache-2.0", "Apache-2.0", true);
    check("GPL", "GPL-1.0-or-later", true);
    check("Perl", "Artistic-1.0-Perl OR GPL-1.0-or-later", true);
}

#[test]
fn unknown_short_names_become_license_refs() {
    check("permissive-foo", "LicenseRef-permissive-foo", false);
    check("MIT and other", "MIT AND LicenseRef-other", false);
}

#[test]
fn dep5_is_recognised_by_its_format_field() {
    assert!(is_dep5(
        "\nFormat: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    ));
    assert!(!is_dep5("This package was debianized by ..."));
}
