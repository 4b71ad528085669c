//! The `licenses` engine on real lockfiles: npm 11's package-lock.json and
//! a real composer.lock (the dependency engine's fixtures), with the
//! recorded licenses changed where a test needs a failing one.

use vigil_core::{Engine as _, FileOutput, SourceFile};
use vigil_license::engine::LicenseEngine;
use vigil_license::policy::LicensePolicy;

fn fixture(relative: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-sca/tests/fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn scan(engine: &LicenseEngine, files: &[(&str, Vec<u8>)]) -> FileOutput {
    let sources: Vec<SourceFile<'_>> =
        files.iter().map(|(path, content)| SourceFile { path, content }).collect();
    let mut output = FileOutput::default();
    engine.scan_tree(&sources, &mut output);
    output
}

/// One line per finding: rule, severity, title, place, package, category.
fn summary(output: &FileOutput) -> Vec<String> {
    output
        .findings
        .iter()
        .map(|finding| {
            format!(
                "{} {} {} {}:{} {} [{}]",
                finding.rule_id,
                finding.severity.as_str(),
                finding.title,
                finding.location.path,
                finding.location.start_line,
                finding.package.as_ref().map_or("", |package| package.purl.as_str()),
                finding.license.as_ref().map_or("", |license| license.category.as_str()),
            )
        })
        .collect()
}

/// package-lock.json v3 with some packages' licenses changed.
fn npm(changes: &[(&str, Option<&str>)]) -> Vec<(&'static str, Vec<u8>)> {
    let mut lock: serde_json::Value =
        serde_json::from_slice(&fixture("package-lock/v3/package-lock.json")).unwrap();
    for (package, license) in changes {
        let entry = lock["packages"][format!("node_modules/{package}")].as_object_mut().unwrap();
        match license {
            Some(license) => entry.insert("license".into(), (*license).into()),
            None => entry.remove("license"),
        };
    }
    vec![
        ("package-lock.json", serde_json::to_vec_pretty(&lock).unwrap()),
        ("package.json", fixture("package-lock/v3/package.json")),
    ]
}

#[test]
fn permissive_lockfiles_give_no_finding() {
    let engine = LicenseEngine::default();
    let output = scan(&engine, &npm(&[]));
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
    let composer = [
        ("composer.lock", fixture("composer/symfony-app/composer.lock")),
        ("composer.json", fixture("composer/symfony-app/composer.json")),
    ];
    let output = scan(&engine, &composer);
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
}

#[test]
fn failing_licenses_are_findings_with_package_category_and_line() {
    let engine = LicenseEngine::default();
    let output = scan(
        &engine,
        &npm(&[
            ("accepts", Some("GPL-3.0-only")),
            ("array-flatten", None),
            ("body-parser", Some("MIT OR GPL-3.0-only")),
            ("bytes", Some("SSPL-1.0")),
        ]),
    );
    insta::assert_yaml_snapshot!(summary(&output));
}

#[test]
fn lockfiles_without_licenses_are_named_once() {
    let lock =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap();
    let output = scan(&LicenseEngine::default(), &[("Cargo.lock", lock)]);
    assert!(output.findings.is_empty());
    assert_eq!(output.diagnostics.len(), 1, "{:#?}", output.diagnostics);
    assert!(
        output.diagnostics[0].message.contains(
            "not checked: neither the lockfile nor the package-metadata cache records them"
        ),
        "{:#?}",
        output.diagnostics
    );
}

#[test]
fn the_policy_changes_what_is_reported() {
    let policy: LicensePolicy =
        toml::from_str("allow = [\"GPL-3.0-only\"]\nunknown = \"none\"").unwrap();
    let output = scan(
        &LicenseEngine::new(policy),
        &npm(&[("accepts", Some("GPL-3.0-only")), ("array-flatten", None)]),
    );
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
}

/// Packages whose lockfile records no license are judged from their
/// registry's answer in the metadata cache (recorded PyPI answers);
/// packages the cache does not hold are counted in one note.
#[test]
fn registry_licenses_from_the_metadata_cache_are_judged_too() {
    use std::sync::Arc;
    use vigil_sca::metadata_cache::MetadataCache;
    use vigil_sca::registry::pypi;

    let mut cache = MetadataCache::open(std::path::Path::new("/nonexistent/vigil-license-test"));
    for name in ["requests", "pycrypto", "urllib3", "pytest-runner"] {
        cache.insert(pypi::parse(&fixture(&format!("registry/pypi/{name}.json")), 0).unwrap());
    }
    let cache = Arc::new(cache);
    let requirements =
        "requests==2.32.0\npycrypto==2.6.1\nurllib3==2.8.0\npytest-runner==6.0.1\nnowhere==1.0\n";
    let files = [("requirements.txt", requirements.as_bytes().to_vec())];

    // Apache-2.0, public domain and MIT (two of them from classifiers or
    // PEP 639) all pass the default policy.
    let output = scan(&LicenseEngine::default().with_metadata(cache.clone()), &files);
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
    assert_eq!(output.diagnostics.len(), 1, "{:#?}", output.diagnostics);
    assert!(
        output.diagnostics[0].message.starts_with("licenses of 1 of its 5 packages not checked")
    );

    // A policy that denies Apache-2.0 finds requests by its registry's word.
    let policy: LicensePolicy = toml::from_str("deny = [\"Apache-2.0\"]").unwrap();
    let output = scan(&LicenseEngine::new(policy).with_metadata(cache), &files);
    let found: Vec<(&str, &str)> = output
        .findings
        .iter()
        .map(|finding| (finding.title.as_str(), finding.remediation.as_str()))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "requests 2.32.0: Apache-2.0 (permissive)");
    assert!(
        found[0].1.starts_with("Apache-2.0 is denied by the policy (as its registry gives it)."),
        "{}",
        found[0].1
    );
}

/// Cargo.lock packages are judged by the license their download's
/// Cargo.toml gives (recorded crates.io archives read into the cache as
/// `vigil metadata fetch` does); a crate the index lists but whose
/// download was not read yet is counted in the note, not called unknown.
#[test]
fn crate_licenses_come_from_their_downloads() {
    use std::sync::Arc;
    use vigil_sca::metadata_cache::MetadataCache;
    use vigil_sca::registry::crate_archive::{self, Progress};
    use vigil_sca::registry::{PackageMetadata, VersionMetadata, crates_index};

    let mut cache = MetadataCache::open(std::path::Path::new("/nonexistent/vigil-license-test"));
    cache.insert(crates_index::parse(&fixture("registry/crates-index/serde"), 0).unwrap());
    for (name, version, file) in [
        ("itoa", "1.0.11", "itoa-1.0.11.crate"),
        ("untrusted", "0.7.1", "untrusted-0.7.1.crate"),
        ("ring", "0.16.20", "ring-0.16.20.crate.first-64KiB"),
    ] {
        let bytes = fixture(&format!("registry/crates-archive/{file}"));
        let Progress::Found(license) = crate_archive::read(&bytes, false, name, version).unwrap()
        else {
            panic!("{file}: no Cargo.toml");
        };
        cache.insert(PackageMetadata {
            ecosystem: vigil_sca::Ecosystem::CratesIo,
            name: name.to_owned(),
            latest: None,
            versions: vec![VersionMetadata {
                version: version.to_owned(),
                released: None,
                prerelease: false,
                yanked: false,
                yanked_reason: None,
                deprecated: None,
                license: license.license,
                license_file: license.license_file,
            }],
            deprecated: None,
            inactive: false,
            maintainers: None,
            downloads: None,
            license: None,
            fetched_at: 0,
            not_found: false,
        });
    }
    let cache = Arc::new(cache);
    let mut lock = String::from("version = 4\n");
    for (name, version) in
        [("itoa", "1.0.11"), ("ring", "0.16.20"), ("serde", "1.0.200"), ("untrusted", "0.7.1")]
    {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    let files = [("Cargo.lock", lock.into_bytes())];

    let output = scan(&LicenseEngine::default().with_metadata(cache.clone()), &files);
    let found: Vec<(&str, &str, &str)> = output
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.title.as_str(), f.remediation.as_str()))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "LIC002");
    assert_eq!(found[0].1, "ring 0.16.20: license unknown");
    assert!(
        found[0].2.starts_with(
            "its Cargo.toml gives a license file (`LICENSE`) instead of an SPDX expression"
        ),
        "{}",
        found[0].2
    );
    assert_eq!(output.diagnostics.len(), 1, "{:#?}", output.diagnostics);
    assert!(
        output.diagnostics[0].message.starts_with("licenses of 1 of its 4 packages not checked"),
        "{}",
        output.diagnostics[0].message
    );

    // ISC and "MIT OR Apache-2.0" are judged: denying ISC finds untrusted.
    let policy: LicensePolicy = toml::from_str("deny = [\"ISC\"]").unwrap();
    let output = scan(&LicenseEngine::new(policy).with_metadata(cache), &files);
    let titles: Vec<&str> = output.findings.iter().map(|f| f.title.as_str()).collect();
    assert!(titles.contains(&"untrusted 0.7.1: ISC (permissive)"), "{titles:#?}");
    assert!(!titles.iter().any(|title| title.starts_with("itoa")), "{titles:#?}");
}

/// The SPDX list's text of `id`.
fn spdx_text(id: &str) -> Vec<u8> {
    let (_, text) = spdx::text::LICENSE_TEXTS.iter().find(|(name, _)| *name == id).unwrap();
    text.as_bytes().to_vec()
}

fn vendored_tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("LICENSE", spdx_text("MIT")),
        ("node_modules/gpl-thing/LICENSE", spdx_text("GPL-3.0-only")),
        ("packages/app/LICENSE", spdx_text("MIT")),
        ("tests/fixtures/agpl/LICENSE", spdx_text("AGPL-3.0-only")),
        ("third_party/mystery/LICENSE", b"Ask Bob before you use any of this.\n".to_vec()),
        ("third_party/readline/COPYING", spdx_text("GPL-3.0-only")),
        ("third_party/zlib/LICENSE", spdx_text("Zlib")),
        ("vendor/github.com/hashicorp/hcl/LICENSE", spdx_text("MPL-2.0")),
    ]
}

/// LIC003: license files below the root that are not the repository's own
/// terms are judged; the root's, tests' and node_modules' are not.
#[test]
fn vendored_license_files_are_judged_by_the_policy() {
    let output = scan(&LicenseEngine::default(), &vendored_tree());
    insta::assert_yaml_snapshot!(summary(&output));
    let readline = &output.findings[0];
    assert_eq!(
        (readline.location.end_line, readline.evidence.snippet.as_deref()),
        (232, Some("GNU GENERAL PUBLIC LICENSE")),
        "the finding spans the license text"
    );
    assert!(output.findings.iter().all(|finding| finding.package.is_none()));
    let notes: Vec<(&str, &str)> = output
        .diagnostics
        .iter()
        .map(|note| (note.path.as_deref().unwrap_or(""), note.message.as_str()))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(notes[0].0, "third_party/mystery/LICENSE");
    assert!(notes[0].1.contains("matches no license Vigil knows"), "{notes:#?}");
}

/// A nested license naming the root's own licenses is the project's own; a
/// directory or license the policy allows is not reported.
#[test]
fn vendored_code_under_the_repositorys_own_or_allowed_terms_is_not_reported() {
    let own = [
        ("COPYING", spdx_text("GPL-3.0-only")),
        ("LICENSE-MIT", spdx_text("MIT")),
        ("libs/core/COPYING", spdx_text("GPL-3.0-only")),
        ("libs/util/LICENSE", spdx_text("MIT")),
    ];
    let output = scan(&LicenseEngine::default(), &own);
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
    assert!(output.diagnostics.is_empty(), "{:#?}", output.diagnostics);

    let policy: LicensePolicy =
        toml::from_str("allow = [\"MPL-2.0\"]\nallow_packages = [\"third_party/readline\"]")
            .unwrap();
    let output = scan(&LicenseEngine::new(policy), &vendored_tree());
    assert!(output.findings.is_empty(), "{:#?}", output.findings);
}

/// Go modules vendored beside a real go.mod take their licenses from
/// `vendor/<module>/LICENSE` (the go.mod records none, and the Go proxy is
/// not read); the vendored directory is then not reported again as LIC003.
#[test]
fn vendored_go_modules_take_their_license_from_vendor() {
    let files = vec![
        ("LICENSE", spdx_text("MIT")),
        ("go.mod", fixture("go/gin-app/go.mod")),
        ("go.sum", fixture("go/gin-app/go.sum")),
        ("vendor/github.com/acme/gpl/COPYING", spdx_text("GPL-2.0-only")),
        ("vendor/github.com/gin-gonic/gin/LICENSE", spdx_text("MIT")),
        ("vendor/github.com/go-sql-driver/mysql/LICENSE", spdx_text("MPL-2.0")),
        ("vendor/gopkg.in/yaml.v2/LICENSE", spdx_text("Apache-2.0")),
        ("vendor/gopkg.in/yaml.v2/NOTICE", b"Copyright 2011-2016 Canonical Ltd.\n".to_vec()),
    ];
    let output = scan(&LicenseEngine::default(), &files);
    insta::assert_yaml_snapshot!(summary(&output));
    assert!(
        output.findings[0].remediation.starts_with(
            "MPL-2.0 is weak copyleft (as its vendored copy's vendor/github.com/go-sql-driver/mysql/LICENSE gives it)"
        ),
        "{:#?}",
        output.findings[0]
    );
    // 17 modules in go.mod, 3 of them vendored with a license.
    let note = output
        .diagnostics
        .iter()
        .find(|note| note.path.as_deref() == Some("go.mod"))
        .map(|note| note.message.as_str())
        .unwrap_or_default();
    assert!(note.starts_with("licenses of 14 of its 17 packages not checked"), "{note}");
    // A NOTICE with no terms in it is no note.
    assert_eq!(output.diagnostics.len(), 1, "{:#?}", output.diagnostics);
}

/// Many vendored directories are detected on several threads; every file is
/// judged once and the findings keep the paths' order.
#[test]
fn many_vendored_directories_are_all_judged() {
    let mut files = vec![("LICENSE".to_owned(), spdx_text("MIT"))];
    for index in 0..60 {
        let id = if index % 3 == 0 { "LGPL-2.1-only" } else { "BSD-3-Clause" };
        files.push((format!("third_party/lib{index:02}/LICENSE"), spdx_text(id)));
    }
    let sources: Vec<SourceFile<'_>> =
        files.iter().map(|(path, content)| SourceFile { path, content }).collect();
    let mut output = FileOutput::default();
    LicenseEngine::default().scan_tree(&sources, &mut output);
    let paths: Vec<&str> =
        output.findings.iter().map(|finding| finding.location.path.as_str()).collect();
    let expected: Vec<String> =
        (0..60).step_by(3).map(|index| format!("third_party/lib{index:02}/LICENSE")).collect();
    assert_eq!(paths, expected);
    assert!(output.diagnostics.is_empty(), "{:#?}", output.diagnostics);
}

/// `cargo vendor`'s copies beside Vigil's own Cargo.lock: a crate's license
/// is its vendored `Cargo.toml`'s `license` (num-cmp's `MIT/Apache-2.0`,
/// where its license file also quotes SQLite's blessing and CC0), else its
/// license files; license files deeper in a claimed crate are that
/// crate's, not vendored code of their own.
#[test]
fn cargo_vendored_crates_take_their_manifest_license() {
    let lock =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap();
    let manifest = |name: &str, license: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nlicense = \"{license}\"\n")
            .into_bytes()
    };
    let mut blessing = b"The author disclaims copyright to this source code. In place of a legal notice, here is a blessing:\n\n".to_vec();
    blessing.extend(spdx_text("MIT"));
    let files = vec![
        ("Cargo.lock", lock),
        ("vendor/num-cmp/Cargo.toml", manifest("num-cmp", "MIT/Apache-2.0")),
        ("vendor/num-cmp/LICENSE.txt", blessing),
        ("vendor/spdx/Cargo.toml", manifest("spdx", "MIT OR Apache-2.0")),
        ("vendor/spdx/src/text/licenses/Unlicense-libtelnet", spdx_text("GPL-3.0-only")),
        ("vendor/uluru/Cargo.toml", manifest("uluru", "MPL-2.0")),
        ("vendor/uluru/LICENSE", spdx_text("MPL-2.0")),
    ];
    // The `[[package]]` line of uluru's entry, wherever the lockfile has it.
    let line = String::from_utf8_lossy(&files[0].1)
        .lines()
        .position(|line| line == "name = \"uluru\"")
        .unwrap();
    let output = scan(&LicenseEngine::default(), &files);
    assert_eq!(
        summary(&output),
        [format!(
            "LIC001 medium uluru 3.1.0: MPL-2.0 (weak copyleft) Cargo.lock:{line} pkg:cargo/uluru@3.1.0 [weak_copyleft]"
        )],
        "{:#?}",
        output.findings
    );
    assert!(output.findings[0].remediation.contains("vendored copy's vendor/uluru/Cargo.toml"));
}

/// A lockfile package's vendored copy is judged with the package, by the
/// license the lockfile records: Composer's `vendor/<package>/LICENSE`
/// beside a real composer.lock is no vendored-code finding of its own,
/// while a directory no lockfile names still is.
#[test]
fn copies_of_lockfile_packages_are_not_judged_again() {
    let mut files = vec![
        ("LICENSE", spdx_text("MIT")),
        ("composer.json", fixture("composer/symfony-app/composer.json")),
        ("composer.lock", fixture("composer/symfony-app/composer.lock")),
        ("vendor/acme/gpl-helpers/LICENSE", spdx_text("GPL-3.0-only")),
        // guzzle 6.5.0 is pinned there, its license recorded.
        ("vendor/guzzlehttp/guzzle/LICENSE", spdx_text("GPL-3.0-only")),
    ];
    files.sort();
    let output = scan(&LicenseEngine::default(), &files);
    let paths: Vec<&str> =
        output.findings.iter().map(|finding| finding.location.path.as_str()).collect();
    assert_eq!(paths, ["vendor/acme/gpl-helpers/LICENSE"], "{:#?}", output.findings);
}
