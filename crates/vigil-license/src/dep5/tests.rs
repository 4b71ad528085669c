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
    check("permissive", "LicenseRef-permissive", true);
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

#[test]
fn comma_and_binds_loosest() {
    check(
        "GPL-1+ or Artistic, and Unicode-DFS-2016",
        "(GPL-1.0-or-later OR Artistic-1.0-Perl) AND Unicode-DFS-2016",
        true,
    );
    check("GPL-2+ or AFL-2.1, and Expat", "(GPL-2.0-or-later OR AFL-2.1) AND MIT", true);
}

#[test]
fn variants_of_common_licenses_map_to_their_family() {
    check("BSD-3-clause-Regents", "BSD-3-Clause", true);
    check("BSD-2-Clause-netbsd", "BSD-2-Clause", true);
    check("BSD3", "BSD-3-Clause", true);
    check("BSD-3", "BSD-3-Clause", true);
    check("MIT/X11", "MIT", true);
    check("Expat-ISC", "MIT", true);
    check("ISC-Original", "ISC", true);
    check("zlib/libpng", "Zlib", true);
    check("GPLv3+", "GPL-3.0-or-later", true);
    check("LGPLv2.1+", "LGPL-2.1-or-later", true);
    check("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later", true);
    check("BSDish", "LicenseRef-BSDish", false);
    check("mitre", "LicenseRef-mitre", false);
}

#[test]
fn debian_exception_names_map_to_spdx_exceptions() {
    // The SPDX id as written, or with the `exception` the field adds.
    check("GPL-2+ with Libtool exception", "GPL-2.0-or-later WITH Libtool-exception", true);
    check("GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note", true);
    // Debian's short names: the Autoconf exception's version follows the GPL's.
    check(
        "GPL-2+ with Autoconf exception",
        "GPL-2.0-or-later WITH Autoconf-exception-generic",
        true,
    );
    check("GPL-3+ with autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0", true);
    check("GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2", true);
    // Unknown exceptions stay additions of their own.
    check(
        "GPL-3+ with Autoconf-data exception",
        "GPL-3.0-or-later WITH AdditionRef-Autoconf-data-exception",
        true,
    );
}

#[test]
fn a_bsd_family_name_in_another_spelling_is_not_a_variant() {
    // `BSD-3` and `BSD3` are `BSD-3-Clause` itself: a look-alike text under
    // them is read as the field says.
    for name in ["BSD-3", "BSD3", "bsd-2", "BSD-3-clause"] {
        assert!(!is_variant_name(name), "{name}");
    }
    // A holder or a nickname after the family: a text like the family's.
    for name in ["BSD-3-clause-Regents", "BSD-2-Clause-netbsd", "BSD-2-Clause-alike", "MIT/X11"] {
        assert!(is_variant_name(name), "{name}");
    }
}

/// An empty `License:` line whose only continuation line is a known short
/// name (GnuTLS's older copyright file: `License:` then ` Public domain.`)
/// names that license; an empty field over a text, or over an unknown
/// name, is no field.
#[test]
fn an_empty_license_field_over_a_known_name() {
    let fields =
        license_fields("Copyright:\n * Jane Doe, 2009.\nLicense:\n Public domain.\n\n====\n");
    let found: Vec<(&str, bool, u32, u32)> =
        fields.iter().map(|f| (f.expression.as_str(), f.known, f.start_line, f.end_line)).collect();
    assert_eq!(found, vec![("LicenseRef-public-domain", true, 3, 4)]);
    for other in [
        "License:\n Redistribution and use in source and binary forms, with or without\n modification, are permitted.\n",
        "License:\n Ask the author.\n",
        "License:\n\n Public domain.\n",
    ] {
        assert!(license_fields(other).is_empty(), "{other}");
    }
}

/// A short name that is an SPDX id as written (`BSD-4-Clause-UC`,
/// `MIT-CMU`) names that license, not the family a Debian variant name of
/// the same shape is read as (`BSD-3-clause-Regents` stays `BSD-3-Clause`).
#[test]
fn an_spdx_id_as_a_short_name_names_itself() {
    check("BSD-4-Clause-UC", "BSD-4-Clause-UC", true);
    check("MIT-CMU", "MIT-CMU", true);
    check("bsd-4-clause-uc", "BSD-4-Clause-UC", true);
    check("BSD-3-clause-Regents", "BSD-3-Clause", true);
}
