//! Unit tests of manifest readers, through one `check` helper.

use super::*;

fn check(file: &str, content: &str, expected: &[(&str, Option<&str>)]) {
    let found = declared_licenses(Path::new(file), content.as_bytes()).unwrap();
    let got: Vec<(&str, Option<&str>)> =
        found.iter().map(|d| (d.field.as_str(), d.expression.as_deref())).collect();
    assert_eq!(got, expected, "{file}: {found:?}");
}

#[test]
fn cargo_toml() {
    check(
        "Cargo.toml",
        "[package]\nlicense = \"MIT OR Apache-2.0\"\n",
        &[("package.license", Some("MIT OR Apache-2.0"))],
    );
    check(
        "Cargo.toml",
        "[package]\nlicense-file = \"LICENSE.txt\"\n",
        &[("package.license-file", None)],
    );
    check(
        "Cargo.toml",
        "[package]\nlicense = \"GPL-2.0+\"\n",
        &[("package.license", Some("GPL-2.0-or-later"))],
    );
}

#[test]
fn package_json_string_object_and_array() {
    check("package.json", r#"{"license": "ISC"}"#, &[("license", Some("ISC"))]);
    check(
        "package.json",
        r#"{"license": {"type": "MIT", "url": "x"}}"#,
        &[("license", Some("MIT"))],
    );
    check(
        "package.json",
        r#"{"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}"#,
        &[("licenses", Some("MIT OR Apache-2.0"))],
    );
    check("package.json", r#"{"license": "SEE LICENSE IN LICENSE.txt"}"#, &[("license", None)]);
}

#[test]
fn pyproject_setup_cfg_gemspec_composer_pom() {
    check(
        "pyproject.toml",
        "[project]\nlicense = \"BSD-3-Clause\"\n",
        &[("project.license", Some("BSD-3-Clause"))],
    );
    check(
        "pyproject.toml",
        "[project]\nlicense = {text = \"MIT License\"}\n",
        &[("project.license.text", Some("MIT"))],
    );
    check(
        "pyproject.toml",
        "[project]\nlicense-expression = \"Apache-2.0\"\n",
        &[("project.license-expression", Some("Apache-2.0"))],
    );
    check(
        "setup.cfg",
        "[metadata]\nname = x\nlicense = Apache Software License 2.0\n",
        &[("metadata.license", Some("Apache-2.0"))],
    );
    check(
        "x.gemspec",
        "Gem::Specification.new do |s|\n  s.licenses = ['MIT', 'Ruby']\nend\n",
        &[("licenses", Some("MIT OR Ruby"))],
    );
    check(
        "composer.json",
        r#"{"license": ["LGPL-2.1-only", "GPL-3.0-or-later"]}"#,
        &[("license", Some("LGPL-2.1-only OR GPL-3.0-or-later"))],
    );
    check(
        "pom.xml",
        "<project><licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses></project>",
        &[("licenses.license.name", Some("Apache-2.0"))],
    );
}

#[test]
fn malformed_manifests_are_errors() {
    assert!(matches!(declared_licenses(Path::new("package.json"), b"{"), Err(Error::Json { .. })));
    assert!(matches!(
        declared_licenses(Path::new("Cargo.toml"), b"[package"),
        Err(Error::Toml { .. })
    ));
    assert!(matches!(declared_licenses(Path::new("pom.xml"), b"<a>"), Err(Error::Xml { .. })));
}
