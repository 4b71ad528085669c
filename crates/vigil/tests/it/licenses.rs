//! `vigil licenses` (the inventory of a tree's own licenses) and license
//! findings of `vigil scan --only license` with a `[licenses]` policy, on
//! real lockfiles (npm 11's, from the dependency engine's fixtures) and real
//! license texts (the SPDX list's, as the `spdx` crate ships them).

use crate::harness::Project;

/// A real npm 11 lockfile (every package MIT, ISC or BSD-3-Clause, one
/// `(BSD-3-Clause OR GPL-2.0)`), with its manifest.
fn npm_project() -> Project {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-sca/tests/fixtures/package-lock/v3");
    let project = Project::new();
    for name in ["package-lock.json", "package.json"] {
        project.write(name, std::fs::read(fixtures.join(name)).unwrap());
    }
    project
}

/// Sets the recorded license of lockfile packages (`None` removes it).
fn relicense(project: &Project, changes: &[(&str, Option<&str>)]) {
    let path = project.path("package-lock.json");
    let mut lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for (package, license) in changes {
        let entry = &mut lock["packages"][format!("node_modules/{package}")];
        assert!(entry.is_object(), "{package} is in the lockfile");
        match license {
            Some(license) => entry["license"] = (*license).into(),
            None => {
                entry.as_object_mut().unwrap().remove("license");
            }
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
}

#[test]
fn a_lockfile_of_permissive_licenses_passes() {
    let project = npm_project();
    let run = project.vigil(&["scan", "--only", "license", "--format", "json", "."]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["findings"].as_array().unwrap().len(), 0, "{run:?}");
}

#[test]
fn copyleft_unknown_and_denied_licenses_are_findings_by_category() {
    let project = npm_project();
    relicense(
        &project,
        &[
            ("accepts", Some("GPL-3.0-only")),
            ("axios", Some("AGPL-3.0-or-later")),
            ("array-flatten", None),
            ("body-parser", Some("MIT OR GPL-3.0-only")),
            ("bytes", Some("MPL-2.0")),
        ],
    );
    let run = project.vigil(&["scan", "--only", "license", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let summary: Vec<(String, String, String, String)> = findings
        .iter()
        .map(|finding| {
            (
                finding["rule_id"].as_str().unwrap().to_owned(),
                finding["package"]["name"].as_str().unwrap().to_owned(),
                finding["severity"].as_str().unwrap().to_owned(),
                finding["license"]["category"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("LIC001", "accepts", "high", "strong_copyleft"),
        ("LIC002", "array-flatten", "medium", "unknown"),
        ("LIC001", "axios", "high", "network_copyleft"),
        ("LIC001", "bytes", "medium", "weak_copyleft"),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect();
    let mut sorted = summary.clone();
    sorted.sort_by(|left, right| left.1.cmp(&right.1));
    assert_eq!(sorted, expected, "MIT OR GPL-3.0-only complies: {run:?}");
    let accepts = findings.iter().find(|f| f["package"]["name"] == "accepts").unwrap();
    assert_eq!(accepts["title"], "accepts 1.3.8: GPL-3.0-only (strong copyleft)");
    assert_eq!(accepts["license"]["expression"], "GPL-3.0-only");
    assert_eq!(accepts["location"]["path"], "package-lock.json");
    assert!(
        accepts["remediation"].as_str().unwrap().starts_with("GPL-3.0-only is strong copyleft.")
    );

    // The repository's policy: GPL-3.0-only accepted, weak copyleft fine,
    // unknown licenses not reported, one package denied by name.
    project.write(
        "vigil.toml",
        "[licenses]\nallow = [\"GPL-3.0-only\"]\ndeny_packages = [\"ms\"]\nunknown = \"none\"\n[licenses.categories]\nweak_copyleft = \"none\"\n",
    );
    let run = project.vigil(&["scan", "--only", "license", "--format", "json", "."]);
    let mut names: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["package"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["axios", "ms"], "{run:?}");
}

#[test]
fn a_policy_that_is_not_valid_is_named_with_its_line() {
    let project = npm_project();
    project.write("vigil.toml", "[licenses]\nunknown = \"severe\"\n");
    let run = project.vigil(&["scan", "--only", "license", "."]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("vigil.toml:2"), "{run:?}");
    assert!(run.stderr.contains("unknown severity `severe`"), "{run:?}");
}

#[test]
fn the_inventory_lists_license_files_and_manifest_fields() {
    let project = Project::new();
    let text = spdx_text;
    project
        .write("LICENSE-MIT", text("MIT"))
        .write("LICENSE-APACHE", text("Apache-2.0"))
        .write("package.json", r#"{"name": "app", "version": "1.0.0", "license": "GPL-2.0+"}"#)
        .write(
            "debian/copyright",
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2026 Example\nLicense: Expat\n",
        )
        .write("vendor/blob/LICENSE", [0u8, 159, 146, 150, 0, 1, 2])
        .write("src/main.rs", "fn main() {}\n");
    let run = project.vigil(&["licenses", "--format", "json", "."]);
    assert_eq!(run.code, 0, "{run:?}");
    let rows: Vec<(String, Option<String>)> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["path"].as_str().unwrap().to_owned(),
                row["expression"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("LICENSE-APACHE".to_owned(), Some("Apache-2.0".to_owned())),
            ("LICENSE-MIT".to_owned(), Some("MIT".to_owned())),
            ("debian/copyright".to_owned(), Some("MIT".to_owned())),
            ("package.json".to_owned(), Some("GPL-2.0-or-later".to_owned())),
            ("vendor/blob/LICENSE".to_owned(), None),
        ],
        "{run:?}"
    );
    let table = project.vigil(&["licenses", "."]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(table.stdout.starts_with("PATH"), "{table:?}");
    assert!(table.stderr.contains("5 files examined, a license found in 4."), "{table:?}");
    let missing = project.vigil(&["licenses", "no-such-dir"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(missing.stderr.contains("no-such-dir is not a directory"), "{missing:?}");
}

/// The license's text as the SPDX list has it.
fn spdx_text(id: &str) -> String {
    spdx::text::LICENSE_TEXTS
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, text)| (*text).to_owned())
        .unwrap_or_else(|| panic!("{id} is on the SPDX list"))
}

/// LIC003 through the CLI: a vendored GPL directory under an MIT project is
/// a finding naming the directory, and `allow_packages` takes its path.
#[test]
fn vendored_code_under_a_rejected_license_is_a_finding() {
    let project = Project::new();
    project
        .write("LICENSE", spdx_text("MIT"))
        .write("third_party/readline/COPYING", spdx_text("GPL-3.0-only"))
        .write("third_party/readline/readline.c", "int main(void) { return 0; }\n")
        .write("packages/app/LICENSE", spdx_text("MIT"));
    let run = project.vigil(&["scan", "--only", "license", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{run:?}");
    assert_eq!(findings[0]["rule_id"], "LIC003");
    assert_eq!(
        findings[0]["title"],
        "Vendored code in third_party/readline/: GPL-3.0-only (strong copyleft)"
    );
    assert_eq!(findings[0]["location"]["path"], "third_party/readline/COPYING");
    assert_eq!(findings[0]["license"]["category"], "strong_copyleft");

    project.write("vigil.toml", "[licenses]\nallow_packages = [\"third_party/readline\"]\n");
    let run = project.vigil(&["scan", "--only", "license", "--format", "json", "."]);
    assert_eq!(run.code, 0, "{run:?}");
}
