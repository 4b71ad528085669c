//! Version ordering against the reference implementations: every PyPI
//! version string in the PyPA advisory database, sorted by Vigil and by
//! Python's `packaging` (the library pip uses). Per-scheme tables are unit
//! tests in `src/version/tests.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vigil_sca::Ecosystem;
use vigil_sca::version::Version;

/// Ranks each version it reads on stdin (one a line) by
/// `packaging.version.Version`: `rank<TAB>version`, equal versions sharing a
/// rank; versions `packaging` refuses as `invalid<TAB>version`.
const PACKAGING_SCRIPT: &str = r#"
import sys
from packaging.version import Version, InvalidVersion
valid, invalid = [], []
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    try:
        valid.append((Version(line), line))
    except InvalidVersion:
        invalid.append(line)
valid.sort(key=lambda pair: pair[0])
rank, previous = -1, None
for version, text in valid:
    if previous is None or version != previous:
        rank, previous = rank + 1, version
    print(f"{rank}\t{text}")
for text in invalid:
    print(f"invalid\t{text}")
"#;

/// Strings `packaging` refuses that Vigil (`pep440_rs`) accepts, with why.
/// Empty: Vigil refuses every one `packaging` refuses in the database.
const ACCEPTED_BEYOND_PACKAGING: &[(&str, &str)] = &[];

fn advisories() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories/pypa/vulns")
}

/// Skips the test (returns true) with a reason, or fails when
/// `VIGIL_REQUIRE_PACKAGING=1` asks for the comparison to run.
#[expect(
    clippy::disallowed_methods,
    reason = "a test, not the library, reads whether CI requires the comparison"
)]
fn skip(reason: &str) -> bool {
    assert!(
        std::env::var("VIGIL_REQUIRE_PACKAGING").as_deref() != Ok("1"),
        "VIGIL_REQUIRE_PACKAGING=1 but {reason}"
    );
    eprintln!("skipped: {reason} (set VIGIL_REQUIRE_PACKAGING=1 to make this an error)");
    true
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "yaml") {
            out.push(path);
        }
    }
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return inner.to_owned();
    }
    value.to_owned()
}

/// The version strings of one OSV YAML file: items of `versions:` lists and
/// `introduced`/`fixed`/`last_affected` events of `ECOSYSTEM` ranges (GIT
/// ranges hold commit hashes). A line scan: the files are machine-written
/// with one layout.
fn versions_in(text: &str, out: &mut BTreeSet<String>) {
    let mut versions_indent: Option<usize> = None;
    let mut range_type = "";
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_start();
        if let Some(indent_of_list) = versions_indent {
            if indent == indent_of_list && content.starts_with("- ") {
                out.insert(unquote(&content[2..]));
                continue;
            }
            versions_indent = None;
        }
        if content == "versions:" {
            versions_indent = Some(indent);
            continue;
        }
        let field = content.strip_prefix("- ").unwrap_or(content);
        if let Some(kind) = field.strip_prefix("type: ") {
            range_type = if kind.trim() == "ECOSYSTEM" { "ECOSYSTEM" } else { "other" };
            continue;
        }
        for key in ["introduced: ", "fixed: ", "last_affected: "] {
            if let Some(value) = field.strip_prefix(key) {
                if range_type == "ECOSYSTEM" {
                    out.insert(unquote(value));
                }
            }
        }
    }
}

#[test]
fn pypi_order_matches_packaging_on_every_pypa_advisory_version() {
    let dir = advisories();
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    if files.is_empty() && skip(&format!("no advisories under {}", dir.display())) {
        return;
    }
    let mut texts = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        versions_in(&text, &mut texts);
    }
    texts.retain(|text| !text.contains('\n'));

    let child = Command::new("python3")
        .args(["-c", PACKAGING_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        skip("python3 cannot be run");
        return;
    };
    let input = texts.iter().map(|text| format!("{text}\n")).collect::<String>();
    // Python without `packaging` exits before reading: the status says so.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("packaging"), "python3 failed: {stderr}");
        skip("the Python `packaging` library is not installed");
        return;
    }

    let mut python_rank: BTreeMap<&str, usize> = BTreeMap::new();
    let mut python_invalid = Vec::new();
    for line in std::str::from_utf8(&output.stdout).unwrap().lines() {
        let (rank, text) = line.split_once('\t').unwrap();
        let text = texts.get(text).unwrap().as_str();
        match rank {
            "invalid" => python_invalid.push(text),
            rank => {
                python_rank.insert(text, rank.parse().unwrap());
            }
        }
    }

    // Vigil's ranks of the versions `packaging` accepts.
    let mut refused_by_vigil = Vec::new();
    let mut parsed = Vec::new();
    for &text in python_rank.keys() {
        match Version::parse(Ecosystem::PyPI, text) {
            Ok(version) => parsed.push((version, text)),
            Err(error) => refused_by_vigil.push(error.to_string()),
        }
    }
    parsed.sort();
    let mut vigil_rank = BTreeMap::new();
    let mut rank = 0;
    for (index, (version, text)) in parsed.iter().enumerate() {
        if index > 0 && parsed.get(index - 1).is_some_and(|(previous, _)| previous != version) {
            rank += 1;
        }
        vigil_rank.insert(*text, rank);
    }
    let differences: Vec<String> = vigil_rank
        .iter()
        .filter(|(text, rank)| python_rank.get(**text) != Some(*rank))
        .map(|(text, rank)| {
            format!("{text}: Vigil rank {rank}, packaging rank {:?}", python_rank.get(text))
        })
        .collect();

    // Versions `packaging` refuses: Vigil refuses them too, or says why not.
    let accepted_beyond: Vec<&str> = python_invalid
        .iter()
        .copied()
        .filter(|text| Version::parse(Ecosystem::PyPI, text).is_ok())
        .filter(|text| !ACCEPTED_BEYOND_PACKAGING.iter().any(|(known, _)| known == text))
        .collect();

    eprintln!(
        "{} files, {} distinct version strings: {} compared with packaging ({} distinct versions), \
         {} refused by packaging, {} differences",
        files.len(),
        texts.len(),
        vigil_rank.len(),
        rank + 1,
        python_invalid.len(),
        differences.len(),
    );
    assert!(
        refused_by_vigil.is_empty(),
        "packaging accepts, Vigil refuses:\n{refused_by_vigil:#?}"
    );
    assert!(differences.is_empty(), "order differs:\n{}", differences.join("\n"));
    assert!(
        accepted_beyond.is_empty(),
        "packaging refuses, Vigil accepts (refuse them, or list them with a reason in \
         ACCEPTED_BEYOND_PACKAGING): {accepted_beyond:?}"
    );
    // The database is large: a scan that found almost nothing is broken.
    assert!(vigil_rank.len() > 10_000, "only {} versions found", vigil_rank.len());
}

#[test]
fn the_line_scan_reads_lists_and_ecosystem_events_only() {
    let yaml = "affected:\n- package:\n    name: x\n  ranges:\n  - type: GIT\n    events:\n    - introduced: abcdef\n    - fixed: 123456\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - fixed: '1.0.post1'\n  versions:\n  - 0.1\n  - \"0.2\"\nseverity:\n- type: CVSS_V3\n";
    let mut found = BTreeSet::new();
    versions_in(yaml, &mut found);
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["0", "0.1", "0.2", "1.0.post1"]);
}

fn shared_advisories(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories").join(rel)
}

/// Every version of the GHSA sample (Go, Maven, npm, in OSV JSON) reads in
/// its ecosystem, including OSV's `introduced: "0"` and Go versions written
/// without `v`.
#[test]
fn every_ghsa_sample_version_parses_in_its_ecosystem() {
    let mut files = Vec::new();
    for ecosystem in ["go", "maven", "npm"] {
        let Ok(entries) = std::fs::read_dir(shared_advisories("ghsa-sample").join(ecosystem))
        else {
            continue;
        };
        files.extend(entries.flatten().map(|entry| entry.path()));
    }
    if files.is_empty() && skip("no GHSA sample advisories") {
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let advisory: serde_json::Value = serde_json::from_str(&text).unwrap();
        for affected in advisory["affected"].as_array().into_iter().flatten() {
            let name = affected["package"]["ecosystem"].as_str().unwrap();
            let ecosystem = Ecosystem::from_osv(name).unwrap();
            let events = affected["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|range| range["type"] == "ECOSYSTEM" || range["type"] == "SEMVER")
                .flat_map(|range| range["events"].as_array().into_iter().flatten())
                .flat_map(|event| event.as_object().into_iter().flatten())
                .filter(|(key, _)| *key != "limit")
                .filter_map(|(_, value)| value.as_str());
            let listed = affected["versions"].as_array().into_iter().flatten();
            for version in events.chain(listed.filter_map(|value| value.as_str())) {
                checked += 1;
                if let Err(error) = Version::parse(ecosystem, version) {
                    failures.push(format!("{}: {error}", file.display()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked > 30, "only {checked} versions found");
}

/// Every version in RustSec's `patched`/`unaffected` requirements
/// (`>= 1.2`, `^0.3.0-rc.1`) reads as SemVer, padding `1.2` to `1.2.0`.
#[test]
fn every_rustsec_requirement_version_parses_as_semver() {
    let mut files = Vec::new();
    let Ok(crates) = std::fs::read_dir(shared_advisories("rustsec/crates")) else {
        skip("no RustSec advisories");
        return;
    };
    for directory in crates.flatten() {
        if let Ok(entries) = std::fs::read_dir(directory.path()) {
            files.extend(entries.flatten().map(|entry| entry.path()));
        }
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Some(front) = text.split("```toml").nth(1).and_then(|rest| rest.split("```").next())
        else {
            continue;
        };
        let front: toml::Value = toml::from_str(front).unwrap();
        for key in ["patched", "unaffected"] {
            let requirements = front.get("versions").and_then(|versions| versions.get(key));
            for requirement in requirements.and_then(toml::Value::as_array).into_iter().flatten() {
                for part in requirement.as_str().unwrap().split(',') {
                    let version = part.trim().trim_start_matches(['>', '<', '=', '^', '~', ' ']);
                    checked += 1;
                    if let Err(error) = Version::parse(Ecosystem::CratesIo, version) {
                        failures.push(format!("{}: {error}", file.display()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked > 1000, "only {checked} versions found");
}
