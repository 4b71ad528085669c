//! Tests of the JavaScript lockfile parsers (`package-lock`, `yarn`,
//! `pnpm`) on fixtures written by the real tools (see each format's
//! `tests/fixtures/<format>/README.md`), and on hostile input.

use std::collections::BTreeSet;

use vigil_sca::lockfile::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

use crate::fixtures;

/// The one project, locked by every tool.
const BASIC: [&str; 8] = [
    "package-lock/v1/package-lock.json",
    "package-lock/v2/package-lock.json",
    "package-lock/v3/package-lock.json",
    "yarn/v1/yarn.lock",
    "yarn/berry/yarn.lock",
    "pnpm/v5/pnpm-lock.yaml",
    "pnpm/v6/pnpm-lock.yaml",
    "pnpm/v9/pnpm-lock.yaml",
];

/// The workspace project (workspaces, a `file:` dependency, an alias).
const WORKSPACE: [&str; 4] = [
    "package-lock/workspace/package-lock.json",
    "yarn/workspace-v1/yarn.lock",
    "yarn/workspace-berry/yarn.lock",
    "pnpm/workspace-v9/pnpm-lock.yaml",
];

fn parse(rel: &str) -> Parsed {
    fixtures::parse(rel).unwrap_or_else(|error| panic!("{rel}: {error}"))
}

fn parse_text(
    file_name: &str,
    text: &str,
    companion: Option<&str>,
) -> Result<Parsed, LockfileError> {
    let format = fixtures::format(file_name);
    let companion = companion.map(|text| Input { path: "package.json", text });
    (format.parse)(Input { path: file_name, text }, companion)
}

fn entry<'a>(parsed: &'a Parsed, name: &str, version: &str) -> &'a Entry {
    let mut found = parsed.packages.iter().filter(|e| e.name == name && e.version == version);
    let entry = found.next().unwrap_or_else(|| panic!("no {name}@{version}"));
    assert!(found.next().is_none(), "{name}@{version} twice");
    entry
}

fn edge(name: &str, version: &str) -> Req {
    Req { name: name.into(), version: Some(version.into()), ..Req::default() }
}

fn root(name: &str, version: &str, scope: Scope, path: &str, line: u32) -> Req {
    Req {
        name: name.into(),
        version: Some(version.into()),
        scope,
        declared: Some((path.into(), line)),
    }
}

fn package_set(parsed: &Parsed) -> BTreeSet<(String, String, Scope)> {
    parsed.packages.iter().map(|e| (e.name.clone(), e.version.clone(), e.scope)).collect()
}

#[test]
fn every_format_locks_the_same_packages() {
    let sets: Vec<_> = BASIC.iter().map(|rel| (rel, package_set(&parse(rel)))).collect();
    let (_, npm) = &sets[0];
    let (_, yarn) = &sets[3];
    assert_eq!(npm.len(), 79);
    assert_eq!(yarn.len(), 80);
    for (rel, set) in &sets {
        let expected = if rel.starts_with("package-lock") { npm } else { yarn };
        assert_eq!(set, expected, "{rel}");
    }
    // The one real difference: npm dedupes glob's `inherits@2` onto 2.0.3,
    // yarn and pnpm take the newest 2.x for it.
    let extra: Vec<_> = yarn.difference(npm).collect();
    assert_eq!(extra, [&("inherits".to_owned(), "2.0.4".to_owned(), Scope::Dev)]);
    assert!(npm.is_subset(yarn));
    // Scopes: said by npm and pnpm 5/6, derived from the roots for yarn and
    // pnpm 9, and the same everywhere.
    for (name, version, scope) in [
        ("lodash", "4.17.15", Scope::Normal),
        ("minimist", "1.2.0", Scope::Normal),
        ("minimist", "0.0.8", Scope::Dev),
        ("mocha", "5.0.0", Scope::Dev),
        ("node-forge", "0.9.0", Scope::Optional),
        ("ms", "2.0.0", Scope::Normal),
        ("debug", "3.1.0", Scope::Dev),
    ] {
        assert!(npm.contains(&(name.into(), version.into(), scope)), "{name}@{version}");
    }
}

#[test]
fn every_format_gives_the_roots_with_their_package_json_lines() {
    for rel in BASIC {
        let parsed = parse(rel);
        let manifest = format!("{}/package.json", rel.rsplit_once('/').map_or("", |(d, _)| d));
        let m = manifest.as_str();
        assert_eq!(
            parsed.roots,
            [
                root("axios", "0.21.0", Scope::Normal, m, 6),
                root("express", "4.16.0", Scope::Normal, m, 7),
                root("lodash", "4.17.15", Scope::Normal, m, 8),
                root("minimist", "1.2.0", Scope::Normal, m, 9),
                root("@types/lodash", "4.14.150", Scope::Dev, m, 12),
                root("mocha", "5.0.0", Scope::Dev, m, 13),
                root("node-forge", "0.9.0", Scope::Optional, m, 16),
            ],
            "{rel}"
        );
        assert_eq!(parsed.unresolved, [], "{rel}");
        assert_eq!(parsed.warnings, Vec::<String>::new(), "{rel}");
    }
}

#[test]
fn entries_start_at_their_key_lines() {
    // (fixture, lodash, minimist 1.2.0, minimist 0.0.8, node-forge, @types/lodash)
    let table: [(&str, [u32; 5]); 8] = [
        ("package-lock/v1/package-lock.json", [268, 307, 319, 361, 7]),
        ("package-lock/v2/package-lock.json", [406, 471, 488, 0, 24]),
        ("package-lock/v3/package-lock.json", [406, 471, 488, 0, 24]),
        ("yarn/v1/yarn.lock", [302, 351, 346, 389, 5]),
        ("yarn/berry/yarn.lock", [396, 465, 458, 518, 8]),
        ("pnpm/v5/pnpm-lock.yaml", [329, 374, 370, 410, 27]),
        ("pnpm/v6/pnpm-lock.yaml", [338, 383, 379, 419, 36]),
        ("pnpm/v9/pnpm-lock.yaml", [205, 237, 234, 256, 37]),
    ];
    for (rel, lines) in table {
        let parsed = parse(rel);
        let found = [
            entry(&parsed, "lodash", "4.17.15").line,
            entry(&parsed, "minimist", "1.2.0").line,
            entry(&parsed, "minimist", "0.0.8").line,
            entry(&parsed, "node-forge", "0.9.0").line,
            entry(&parsed, "@types/lodash", "4.14.150").line,
        ];
        if lines[3] == 0 {
            // v2/v3 node-forge: checked against the text below.
            assert_eq!(
                [found[0], found[1], found[2], found[4]],
                [lines[0], lines[1], lines[2], lines[4]],
                "{rel}"
            );
        } else {
            assert_eq!(found, lines, "{rel}");
        }
        // Entries come in file order.
        assert!(parsed.packages.windows(2).all(|pair| pair[0].line < pair[1].line), "{rel}");
    }
    let text = std::fs::read_to_string(fixtures::dir("package-lock/v3/package-lock.json")).unwrap();
    let forge = text.lines().position(|line| line.contains("\"node_modules/node-forge\"")).unwrap();
    let parsed = parse("package-lock/v3/package-lock.json");
    assert_eq!(entry(&parsed, "node-forge", "0.9.0").line as usize, forge + 1);
}

#[test]
fn edges_resolve_to_the_versions_installed_for_each_dependent() {
    for rel in BASIC {
        let parsed = parse(rel);
        // mkdirp 0.5.1 (under mocha) gets its own minimist 0.0.8.
        assert_eq!(
            entry(&parsed, "mkdirp", "0.5.1").dependencies,
            [edge("minimist", "0.0.8")],
            "{rel}"
        );
        let express = &entry(&parsed, "express", "4.16.0").dependencies;
        assert_eq!(express.len(), 30, "{rel}");
        assert!(express.contains(&edge("debug", "2.6.9")), "{rel}");
        assert!(express.contains(&edge("depd", "1.1.2")), "{rel}");
        assert!(express.contains(&edge("statuses", "1.3.1")), "{rel}");
        let mocha = &entry(&parsed, "mocha", "5.0.0").dependencies;
        assert!(mocha.contains(&edge("debug", "3.1.0")), "{rel}");
        assert_eq!(
            entry(&parsed, "axios", "0.21.0").dependencies,
            [edge("follow-redirects", "1.16.3")]
        );
        // raw-body 2.3.2 pins http-errors 1.6.2, which takes depd 1.1.1
        // (npm nests both under raw-body).
        assert!(
            entry(&parsed, "raw-body", "2.3.2")
                .dependencies
                .contains(&edge("http-errors", "1.6.2")),
            "{rel}"
        );
        assert!(
            entry(&parsed, "http-errors", "1.6.2").dependencies.contains(&edge("depd", "1.1.1")),
            "{rel}"
        );
        assert!(
            entry(&parsed, "http-errors", "1.6.3").dependencies.contains(&edge("depd", "1.1.2")),
            "{rel}"
        );
        // Every edge of these lockfiles resolves.
        for package in &parsed.packages {
            for dependency in &package.dependencies {
                assert!(
                    dependency.version.is_some(),
                    "{rel}: {} -> {}",
                    package.name,
                    dependency.name
                );
            }
        }
    }
    // pnpm and yarn record debug 3.1.0's optional peer supports-color;
    // npm's lockfile keeps it as a peer of mocha's tree.
    let pnpm = parse("pnpm/v6/pnpm-lock.yaml");
    assert_eq!(
        entry(&pnpm, "debug", "3.1.0").dependencies,
        [edge("ms", "2.0.0"), edge("supports-color", "4.4.0")]
    );
    // npm: http-errors 1.6.3 (top level) finds the nested statuses 1.5.0
    // under itself, not the top-level 1.3.1.
    let npm = parse("package-lock/v3/package-lock.json");
    assert!(entry(&npm, "http-errors", "1.6.3").dependencies.contains(&edge("statuses", "1.5.0")));
}

#[test]
fn workspace_projects() {
    for rel in WORKSPACE {
        let parsed = parse(rel);
        let mut names: Vec<String> =
            parsed.packages.iter().map(|e| format!("{}@{}", e.name, e.version)).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "is-number@7.0.0",
                "left-pad@1.3.0",
                "lodash@4.17.15",
                "minimist@1.2.0",
                "minimist@1.2.6",
                "ms@2.1.3"
            ],
            "{rel}"
        );
        // The `file:` dependency is unresolved, once, at its manifest line.
        let manifest = format!("{}/package.json", rel.rsplit_once('/').map_or("", |(d, _)| d));
        assert_eq!(
            parsed.unresolved,
            [Unresolved { name: "local-lib".into(), line: 9, reason: "a local path".into() }],
            "{rel}"
        );
        // The alias `old-minimist` is minimist 1.2.0. (yarn 4 sorted the
        // manifest's dependencies when it wrote it.)
        let (alias_line, ms_line) = if rel.contains("berry") { (11, 10) } else { (10, 11) };
        let mut roots: Vec<_> = parsed.roots.iter().take(3).cloned().collect();
        roots.sort_by_key(|root| root.declared.clone());
        let mut expected = [
            root("minimist", "1.2.0", Scope::Normal, &manifest, alias_line),
            root("ms", "2.1.3", Scope::Normal, &manifest, ms_line),
            root("left-pad", "1.3.0", Scope::Dev, &manifest, 14),
        ];
        expected.sort_by_key(|root| root.declared.clone());
        assert_eq!(roots, expected, "{rel}");
        assert_eq!(entry(&parsed, "left-pad", "1.3.0").scope, Scope::Dev, "{rel}");
        assert_eq!(parsed.warnings, Vec::<String>::new(), "{rel}");
    }
    // Workspace members' own dependencies are roots declared in the
    // lockfile (yarn v1 does not record workspaces, so it cannot say).
    let npm = parse("package-lock/workspace/package-lock.json");
    let lock = "package-lock/workspace/package-lock.json";
    assert_eq!(
        npm.roots[3..],
        [
            root("lodash", "4.17.15", Scope::Normal, lock, 80),
            root("minimist", "1.2.6", Scope::Normal, lock, 87)
        ]
    );
    let berry = parse("yarn/workspace-berry/yarn.lock");
    let lock = "yarn/workspace-berry/yarn.lock";
    assert_eq!(
        berry.roots[3..],
        [
            root("lodash", "4.17.15", Scope::Normal, lock, 13),
            root("minimist", "1.2.6", Scope::Normal, lock, 21)
        ]
    );
    let pnpm = parse("pnpm/workspace-v9/pnpm-lock.yaml");
    let lock = "pnpm/workspace-v9/pnpm-lock.yaml";
    assert_eq!(
        pnpm.roots[3..],
        [
            root("lodash", "4.17.15", Scope::Normal, lock, 30),
            root("minimist", "1.2.6", Scope::Normal, lock, 36)
        ]
    );
    assert_eq!(parse("yarn/workspace-v1/yarn.lock").roots.len(), 3);
}

#[test]
fn without_package_json_the_lockfile_declares_the_roots() {
    let rel = "package-lock/v3/package-lock.json";
    let text = std::fs::read_to_string(fixtures::dir(rel)).unwrap();
    let parsed = parse_text("package-lock.json", &text, None).unwrap();
    let at = |line| ("package-lock.json".to_owned(), line);
    let declared: Vec<_> = parsed
        .roots
        .iter()
        .map(|r| (r.name.as_str(), r.scope, r.declared.clone().unwrap()))
        .collect();
    assert_eq!(
        declared,
        [
            ("axios", Scope::Normal, at(11)),
            ("express", Scope::Normal, at(12)),
            ("lodash", Scope::Normal, at(13)),
            ("minimist", Scope::Normal, at(14)),
            ("@types/lodash", Scope::Dev, at(17)),
            ("mocha", Scope::Dev, at(18)),
            ("node-forge", Scope::Optional, at(21)),
        ]
    );
    // v1 has no list of its own.
    let text = std::fs::read_to_string(fixtures::dir("package-lock/v1/package-lock.json")).unwrap();
    assert_eq!(parse_text("package-lock.json", &text, None).unwrap().roots, []);
    // Berry: the root workspace's entry.
    let text = std::fs::read_to_string(fixtures::dir("yarn/berry/yarn.lock")).unwrap();
    let parsed = parse_text("yarn.lock", &text, None).unwrap();
    assert_eq!(parsed.roots.len(), 7);
    assert_eq!(parsed.roots[0], root("@types/lodash", "4.14.150", Scope::Normal, "yarn.lock", 712));
    // pnpm: the lockfile's own sections.
    let text = std::fs::read_to_string(fixtures::dir("pnpm/v5/pnpm-lock.yaml")).unwrap();
    let parsed = parse_text("pnpm-lock.yaml", &text, None).unwrap();
    assert_eq!(parsed.roots[0], root("axios", "0.21.0", Scope::Normal, "pnpm-lock.yaml", 13));
    assert_eq!(parsed.roots[4], root("node-forge", "0.9.0", Scope::Optional, "pnpm-lock.yaml", 19));
    assert_eq!(parsed.roots[6], root("mocha", "5.0.0", Scope::Dev, "pnpm-lock.yaml", 23));
}

#[test]
fn truncated_files_never_panic() {
    for rel in BASIC.iter().chain(&WORKSPACE) {
        fixtures::truncations_never_panic(rel, 97);
    }
}

#[test]
fn unknown_format_versions_are_errors_naming_the_versions_read() {
    let error = parse_text("package-lock.json", r#"{"lockfileVersion": 9, "packages": {}}"#, None)
        .unwrap_err();
    assert_eq!(error.message, "lockfileVersion 9 is not one Vigil reads (1, 2, 3)");
    let error = parse_text("pnpm-lock.yaml", "lockfileVersion: '4.0'\n", None).unwrap_err();
    assert_eq!(error.message, "lockfileVersion 4.0 is not one Vigil reads (5.x, 6.x, 9.x)");
    let error = parse_text("yarn.lock", "__metadata:\n  version: 99\n", None).unwrap_err();
    assert_eq!(error.message, "yarn lockfile metadata version 99 is not one Vigil reads (4–10)");
    let error =
        parse_text("yarn.lock", "# yarn lockfile v2\n\na@1:\n  version \"1\"\n", None).unwrap_err();
    assert_eq!(
        error.message,
        "yarn lockfile v2 is not one Vigil reads (v1, or Berry metadata 4–10)"
    );
}

#[test]
fn unreadable_files_are_errors_naming_the_line() {
    let error =
        parse_text("package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {,\n", None)
            .unwrap_err();
    assert_eq!(error.line, Some(3));
    assert!(error.message.starts_with("not valid JSON at line 3: "), "{}", error.message);
    let error = parse_text("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1: [\n", None)
        .unwrap_err();
    assert!(error.message.starts_with("not valid YAML at line "), "{}", error.message);
    let error = parse_text("package-lock.json", "[1, 2]", None).unwrap_err();
    assert_eq!(error.message, "not a package-lock: the top level is not a JSON object");
    let error =
        parse_text("yarn.lock", "# yarn lockfile v1\n\n  version \"1\"\n", None).unwrap_err();
    assert_eq!(error.line, Some(3));
    let error = parse_text("pnpm-lock.yaml", "packages: {}\n", None).unwrap_err();
    assert_eq!(error.message, "not a pnpm lockfile: it has no lockfileVersion");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep_json = format!("{{\"lockfileVersion\": 2, \"packages\": {}", "[".repeat(200_000));
    assert!(parse_text("package-lock.json", &deep_json, None).is_err());
    let deep_yaml = format!("lockfileVersion: '9.0'\npackages: {}", "[".repeat(200_000));
    // yaml-rust2's scanner has its own bound, met before ours.
    let error = parse_text("pnpm-lock.yaml", &deep_yaml, None).unwrap_err();
    assert_eq!(error.message, "not valid YAML at line 2: recursion limit exceeded");
    let deep_block = format!(
        "lockfileVersion: '9.0'\npackages:\n{}",
        (1..100).map(|depth| format!("{}k:\n", " ".repeat(depth * 2))).collect::<String>()
    );
    let error = parse_text("pnpm-lock.yaml", &deep_block, None).unwrap_err();
    assert!(
        error.message.starts_with("YAML nested more than 64 levels deep at line "),
        "{}",
        error.message
    );
    let berry = format!("__metadata:\n  version: 8\nx: {}", "{a: ".repeat(100_000));
    assert!(parse_text("yarn.lock", &berry, None).is_err());
    // v1 nests 200 levels of `dependencies`: over serde_json's limit.
    let mut v1 = String::from("{\"lockfileVersion\": 1, \"dependencies\": ");
    for _ in 0..200 {
        v1.push_str("{\"a\": {\"version\": \"1.0.0\", \"dependencies\": ");
    }
    v1.push_str("{}");
    v1.push_str(&"}}".repeat(200));
    v1.push('}');
    assert!(parse_text("package-lock.json", &v1, None).is_err());
}

#[test]
fn entries_without_a_version_are_skipped_with_a_warning() {
    let npm3 = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"dependencies\": {\"a\": \"1\"}},\n    \"node_modules/a\": {\n      \"resolved\": \"https://registry.npmjs.org/a/-/a-1.tgz\"\n    },\n    \"node_modules/b\": {\"version\": \"2.0.0\", \"dependencies\": {\"a\": \"1\"}}\n  }\n}\n";
    let parsed = parse_text("package-lock.json", npm3, None).unwrap();
    assert_eq!(parsed.warnings, ["line 5: package `a` has no version; skipped"]);
    assert_eq!(parsed.packages.len(), 1);
    assert_eq!(parsed.packages[0].line, 8);

    let npm1 = "{\n  \"lockfileVersion\": 1,\n  \"dependencies\": {\n    \"a\": {\n      \"resolved\": \"x\"\n    },\n    \"b\": {\"version\": \"1.0.0\"}\n  }\n}\n";
    let parsed = parse_text("package-lock.json", npm1, None).unwrap();
    assert_eq!(parsed.warnings, ["line 4: package `a` has no version; skipped"]);
    assert_eq!(parsed.packages[0].line, 7);

    let yarn1 = "# yarn lockfile v1\n\n\na@^1.0.0:\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.0.tgz\"\n\nb@^2:\n  version \"2.0.0\"\n";
    let parsed = parse_text("yarn.lock", yarn1, None).unwrap();
    assert_eq!(parsed.warnings, ["line 4: package `a` has no version; skipped"]);
    assert_eq!(parsed.packages[0].line, 7);

    let berry = "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  resolution: \"a@npm:1.0.0\"\n\n\"b@npm:^2\":\n  version: 2.0.0\n";
    let parsed = parse_text("yarn.lock", berry, None).unwrap();
    assert_eq!(
        parsed.warnings,
        [
            "line 4: package `a` has no version; skipped",
            "line 7: package `b` has no resolution; skipped"
        ]
    );

    let pnpm = "lockfileVersion: '9.0'\n\npackages:\n\n  a@:\n    resolution: {integrity: x}\n\n  '@s/b@1.0.0':\n    resolution: {integrity: y}\n";
    let parsed = parse_text("pnpm-lock.yaml", pnpm, None).unwrap();
    assert_eq!(parsed.warnings, ["line 5: package `a` has no version; skipped"]);
    assert_eq!((parsed.packages[0].name.as_str(), parsed.packages[0].line), ("@s/b", 8));
}

#[test]
fn git_path_and_url_dependencies_are_unresolved() {
    // Hand-written in npm 9's v3 shape: a git dependency resolves to a
    // commit, a tarball URL to itself, and neither has a registry version.
    let lock = r#"{
  "name": "p",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "dependencies": {
        "from-git": "github:acme/from-git",
        "from-url": "https://example.com/from-url-1.0.0.tgz",
        "lodash": "^4.17.0"
      }
    },
    "node_modules/from-git": {
      "version": "1.0.0",
      "resolved": "git+ssh://git@github.com/acme/from-git.git#5f3c1b2a9d",
      "dependencies": {"lodash": "^4.17.0"}
    },
    "node_modules/from-url": {
      "version": "1.0.0",
      "resolved": "https://example.com/from-url-1.0.0.tgz"
    },
    "node_modules/lodash": {
      "version": "4.17.15",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz"
    }
  }
}
"#;
    let parsed = parse_text("package-lock.json", lock, None).unwrap();
    assert_eq!(
        parsed.unresolved,
        [
            Unresolved { name: "from-git".into(), line: 8, reason: "a git dependency".into() },
            Unresolved { name: "from-url".into(), line: 9, reason: "a URL".into() },
        ]
    );
    assert_eq!(parsed.roots, [root("lodash", "4.17.15", Scope::Normal, "package-lock.json", 10)]);
    assert_eq!(parsed.packages.len(), 1);

    // pnpm 9: a git package and a tarball; yarn v1: a git resolution.
    let pnpm = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      g:\n        specifier: github:acme/g\n        version: https://codeload.github.com/acme/g/tar.gz/5f3c1b2\n\npackages:\n\n  g@https://codeload.github.com/acme/g/tar.gz/5f3c1b2:\n    resolution: {tarball: https://codeload.github.com/acme/g/tar.gz/5f3c1b2}\n    version: 1.0.0\n";
    let parsed = parse_text("pnpm-lock.yaml", pnpm, None).unwrap();
    assert_eq!(
        parsed.unresolved,
        [Unresolved { name: "g".into(), line: 7, reason: "a git dependency".into() }]
    );
    assert_eq!(parsed.packages, []);
    let yarn1 = "# yarn lockfile v1\n\n\n\"g@github:acme/g\":\n  version \"1.0.0\"\n  resolved \"https://codeload.github.com/acme/g/tar.gz/5f3c1b2\"\n";
    let parsed = parse_text("yarn.lock", yarn1, None).unwrap();
    assert_eq!(
        parsed.unresolved,
        [Unresolved { name: "g".into(), line: 4, reason: "a git dependency".into() }]
    );
}

#[test]
fn peer_suffixes_are_stripped() {
    let v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  a: ^1.0.0\n\ndependencies:\n  a: 1.0.0_react@18.0.0\n\npackages:\n\n  /a/1.0.0_react@18.0.0:\n    resolution: {integrity: x}\n    dependencies:\n      react: 18.0.0\n    dev: false\n\n  /react/18.0.0:\n    resolution: {integrity: y}\n    dev: false\n";
    let parsed = parse_text("pnpm-lock.yaml", v5, None).unwrap();
    assert_eq!(parsed.packages[0].version, "1.0.0");
    assert_eq!(parsed.packages[0].dependencies, [edge("react", "18.0.0")]);
    assert_eq!(parsed.roots, [root("a", "1.0.0", Scope::Normal, "pnpm-lock.yaml", 7)]);
    let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  a:\n    specifier: ^1.0.0\n    version: 1.0.0(react@18.0.0)\n\npackages:\n\n  /a@1.0.0(react@18.0.0):\n    resolution: {integrity: x}\n    dependencies:\n      react: 18.0.0\n    dev: true\n\n  /react@18.0.0:\n    resolution: {integrity: y}\n    dev: true\n";
    let parsed = parse_text("pnpm-lock.yaml", v6, None).unwrap();
    assert_eq!(
        (parsed.packages[0].version.as_str(), parsed.packages[0].scope),
        ("1.0.0", Scope::Dev)
    );
    assert_eq!(parsed.roots, [root("a", "1.0.0", Scope::Normal, "pnpm-lock.yaml", 4)]);
}

#[test]
fn a_5000_package_lockfile_parses_quickly() {
    let mut text = String::from(
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"dependencies\": {\"p0\": \"1\"}},\n",
    );
    for index in 0..5000 {
        text.push_str(&format!(
            "    \"node_modules/p{index}\": {{\n      \"version\": \"1.0.{index}\",\n      \"resolved\": \"https://registry.npmjs.org/p{index}/-/p{index}-1.0.{index}.tgz\",\n      \"integrity\": \"sha512-abc\",\n      \"dependencies\": {{\"p{}\": \"^1\"}}\n    }},\n",
            (index + 1) % 5000
        ));
    }
    text.push_str("    \"node_modules/zz\": {\"version\": \"1.0.0\"}\n  }\n}\n");
    let started = std::time::Instant::now();
    let parsed = parse_text("package-lock.json", &text, None).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(parsed.packages.len(), 5001);
    assert_eq!(parsed.packages[1].dependencies, [edge("p2", "1.0.2")]);
    // A guard against quadratic work, generous for an unoptimised test
    // build on a loaded machine (an optimised build takes a few ms).
    assert!(elapsed.as_millis() < 2_000, "{elapsed:?}");
}

#[test]
fn a_damaged_yarn_entry_is_skipped() {
    let yarn1 = "# yarn lockfile v1\n\n\na@^1:\n  version \"1.0.0\"\n\nthis line is damaged\n  version \"9.9.9\"\n\nb@^2:\n  version \"2.0.0\"\n";
    let parsed = parse_text("yarn.lock", yarn1, None).unwrap();
    assert_eq!(parsed.warnings, ["line 7: not an entry header; skipped"]);
    let found: Vec<_> =
        parsed.packages.iter().map(|e| (e.name.as_str(), e.version.as_str(), e.line)).collect();
    assert_eq!(found, [("a", "1.0.0", 4), ("b", "2.0.0", 10)]);
}

#[test]
fn pnpm_non_registry_keys() {
    // pnpm 8 (v6) shapes for a git dependency and a tarball URL.
    let v6 = "lockfileVersion: '6.0'\n\ndependencies:\n  g:\n    specifier: github:acme/g\n    version: github.com/acme/g/5f3c1b2\n  t:\n    specifier: https://example.com/t-1.0.0.tgz\n    version: '@example.com/t-1.0.0.tgz'\n\npackages:\n\n  github.com/acme/g/5f3c1b2:\n    resolution: {tarball: https://codeload.github.com/acme/g/tar.gz/5f3c1b2}\n    name: g\n    version: 1.0.0\n    dev: false\n\n  '@example.com/t-1.0.0.tgz':\n    resolution: {tarball: https://example.com/t-1.0.0.tgz}\n    name: t\n    version: 1.0.0\n    dev: false\n";
    let parsed = parse_text("pnpm-lock.yaml", v6, None).unwrap();
    assert_eq!(parsed.packages, []);
    assert_eq!(parsed.warnings, Vec::<String>::new());
    assert_eq!(
        parsed.unresolved,
        [
            Unresolved { name: "g".into(), line: 4, reason: "a git dependency".into() },
            Unresolved { name: "t".into(), line: 7, reason: "a URL".into() },
        ]
    );
    assert_eq!(parsed.roots, []);
}

#[test]
fn npm_shrinkwrap_is_read_as_a_package_lock() {
    let text = std::fs::read_to_string(fixtures::dir("package-lock/v3/package-lock.json")).unwrap();
    let companion = std::fs::read_to_string(fixtures::dir("package-lock/v3/package.json")).unwrap();
    let parsed = parse_text("npm-shrinkwrap.json", &text, Some(&companion)).unwrap();
    assert_eq!(parsed.packages.len(), 79);
    assert_eq!(parsed.roots[0], root("axios", "0.21.0", Scope::Normal, "package.json", 6));
}

#[test]
fn npm_fields_of_the_wrong_type_only_cost_their_entry() {
    let lock = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": 5,\n    \"node_modules/b\": {\"version\": 5},\n    \"node_modules/c\": {\"version\": \"1.0.0\", \"dev\": \"yes\", \"dependencies\": \"oops\"},\n    \"node_modules/d\": {\"version\": \"2.0.0\", \"dependencies\": {\"c\": 1, \"e\": \"^1\"}}\n  }\n}\n";
    let parsed = parse_text("package-lock.json", lock, None).unwrap();
    assert_eq!(
        parsed.warnings,
        [
            "line 4: `node_modules/a` is not an object; skipped",
            "line 5: package `b` has no version; skipped"
        ]
    );
    assert_eq!(parsed.packages.len(), 2);
    assert_eq!(
        (parsed.packages[0].scope, parsed.packages[0].dependencies.len()),
        (Scope::Normal, 0)
    );
    // `e` is not installed: an edge without a version.
    assert_eq!(
        parsed.packages[1].dependencies,
        [edge("c", "1.0.0"), Req { name: "e".into(), ..Req::default() }]
    );
}
