//! The finding: what an engine reports about one place in one file, and the
//! fingerprint that identifies it across scans.
//!
//! A fingerprint hashes the rule, the path and the normalised matched content,
//! never the line number, so a finding keeps its identity when unrelated lines
//! above it move. Identical matches in one file are told apart by their order
//! of occurrence ([`assign_occurrences`]).

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Severity;

/// What kind of problem a finding is; each engine produces one or more kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An exposed credential.
    Secret,
    /// An infrastructure-as-code misconfiguration.
    Iac,
    /// A dependency with a known vulnerability.
    Vulnerability,
    /// A license that the policy does not allow.
    License,
    /// A package that is deprecated, yanked, unmaintained or unpopular.
    OperationalRisk,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 5] = [
        FindingKind::Secret,
        FindingKind::Iac,
        FindingKind::Vulnerability,
        FindingKind::License,
        FindingKind::OperationalRisk,
    ];

    /// The snake_case name used in flags, config files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Secret => "secret",
            FindingKind::Iac => "iac",
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::License => "license",
            FindingKind::OperationalRisk => "operational_risk",
        }
    }

    /// Parses a kind name; `-` and `_` are interchangeable, case is ignored.
    pub fn parse(text: &str) -> Option<FindingKind> {
        let normalised = text.trim().to_ascii_lowercase().replace('-', "_");
        FindingKind::ALL.into_iter().find(|kind| kind.as_str() == normalised)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is: a path relative to the scan root (always `/`-separated)
/// and a 1-based line/column range. Columns count Unicode code points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// First line, 1-based.
    pub start_line: u32,
    /// First column, 1-based.
    pub start_column: u32,
    /// Last line, 1-based, inclusive.
    pub end_line: u32,
    /// Column just past the end, 1-based (exclusive, as in SARIF).
    pub end_column: u32,
}

impl Location {
    /// A location from explicit coordinates.
    pub fn line_span(
        path: impl Into<String>,
        start_line: u32,
        start_column: u32,
        end_line: u32,
        end_column: u32,
    ) -> Location {
        Location { path: path.into(), start_line, start_column, end_line, end_column }
    }

    /// The location of the byte range `start..end` of `content`, computed by
    /// counting newlines and code points. Offsets past the end are clamped.
    pub fn from_byte_range(
        path: impl Into<String>,
        content: &[u8],
        start: usize,
        end: usize,
    ) -> Location {
        let end = end.min(content.len());
        let start = start.min(end);
        let (start_line, start_column) = line_column(content, start, 1);
        // Continue counting from the start line rather than rescanning the file.
        let line_start = start - column_bytes(content, start);
        let (end_line, end_column) =
            line_column(&content[line_start..], end - line_start, start_line);
        Location { path: path.into(), start_line, start_column, end_line, end_column }
    }
}

/// Bytes between the start of the line holding `offset` and `offset`.
fn column_bytes(content: &[u8], offset: usize) -> usize {
    match content[..offset].iter().rposition(|&byte| byte == b'\n') {
        Some(newline) => offset - newline - 1,
        None => offset,
    }
}

/// Line and column (1-based) of `offset` in `content`, where `content` starts at
/// line `first_line`. Columns count UTF-8 lead bytes, i.e. code points for
/// valid UTF-8 and one per byte for invalid sequences.
fn line_column(content: &[u8], offset: usize, first_line: u32) -> (u32, u32) {
    let before = &content[..offset];
    let newlines = before.iter().filter(|&&byte| byte == b'\n').count();
    let line_start =
        before.iter().rposition(|&byte| byte == b'\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].iter().filter(|&&byte| (byte & 0xC0) != 0x80).count();
    (first_line.saturating_add(saturating_u32(newlines)), saturating_u32(column).saturating_add(1))
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Whether a dependency is declared by the project or pulled in by another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dependency {
    /// Declared in the project's own manifest.
    Direct,
    /// Required by another dependency.
    Transitive,
}

impl Dependency {
    /// `direct` or `transitive`, as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dependency::Direct => "direct",
            Dependency::Transitive => "transitive",
        }
    }
}

/// The package a vulnerability, license or operational-risk finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem as OSV names it: `crates.io`, `npm`, `PyPI`, `Go`, ...
    #[serde(default)]
    pub ecosystem: String,
    /// Package URL, e.g. `pkg:cargo/regex@1.5.4`.
    pub purl: String,
    /// Package name as its ecosystem spells it.
    pub name: String,
    /// The resolved version.
    pub version: String,
    /// Direct or transitive.
    pub dependency: Dependency,
    /// Versions that fix the problem, lowest first; empty when none is known.
    pub fixed_versions: Vec<String>,
    /// How it is reached: the direct dependency first, this package last
    /// (`["actix-web@4.0.0", "regex@1.5.4"]`); empty for a direct one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_path: Vec<String>,
}

/// The infrastructure resource an IaC finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resource {
    /// Its address in its framework: `aws_s3_bucket.logs`,
    /// `module.net.aws_vpc.main`, `Deployment/web`, `stage:build`.
    pub address: String,
    /// `terraform`, `terraform_plan`, `cloudformation`, `kubernetes`,
    /// `dockerfile` or `gitlab_ci`.
    pub framework: String,
    /// The offending attribute (`server_side_encryption_configuration`,
    /// `spec.template.spec.containers.0.securityContext`), when the policy
    /// points at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The 1-based line of that attribute, when it is present in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_line: Option<u32>,
}

/// The license a license finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LicenseInfo {
    /// The SPDX expression found (`MIT OR GPL-3.0-only`), or `unknown`.
    pub expression: String,
    /// The policy category that decided: `permissive`, `weak_copyleft`,
    /// `strong_copyleft`, `network_copyleft`, `non_permissive`, `unknown`.
    pub category: String,
}

/// The advisory a vulnerability (or a RustSec notice) finding comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AdvisoryInfo {
    /// The advisory reported (`RUSTSEC-2021-0124`, `GHSA-...`, `PYSEC-...`).
    pub id: String,
    /// Every other id of the same vulnerability (`CVE-...`, other
    /// databases' ids), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The advisory's page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// The CVSS vector the severity comes from (`CVSS:3.1/AV:N/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Its base score, in tenths (98 for 9.8), so that findings stay `Eq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_score_tenths: Option<u8>,
}

impl AdvisoryInfo {
    /// The CVSS base score as people read it (`9.8`), when there is one.
    pub fn cvss_score(&self) -> Option<String> {
        self.cvss_score_tenths.map(|score| format!("{}.{}", score / 10, score % 10))
    }
}

/// What a secret looked like, without the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretEvidence {
    /// First four characters followed by the length, e.g. `AKIA…(20 chars)`.
    pub preview: String,
    /// Length of the secret in characters.
    pub length: usize,
    /// Lower-case hex SHA-256 of the secret, for de-duplication across files.
    pub sha256: String,
}

/// Evidence shown to the person triaging a finding. Never contains a whole secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// The matched line (trimmed, at most 200 characters), with any secret masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// For secrets: the masked preview and hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretEvidence>,
}

/// Where a finding from git history entered the repository: the oldest commit
/// (by commit time) whose tree first held the content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Introduction {
    /// Full commit id.
    pub commit: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339 in UTC.
    pub date: String,
    /// True when no file at any ref's tip still holds it: deleted, but still
    /// readable in history.
    pub deleted: bool,
}

/// One problem found at one place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// Stable identity across scans: 32 hex characters (see the module docs).
    pub fingerprint: String,
    /// What kind of problem this is.
    pub kind: FindingKind,
    /// The rule's stable code, e.g. `SEC001`.
    pub rule_id: String,
    /// One-line human title.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// The package concerned, for dependency findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// The resource concerned, for IaC findings.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resource: Option<Resource>,
    /// The license concerned, for license findings.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub license: Option<LicenseInfo>,
    /// The advisory, for vulnerability findings.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub advisory: Option<AdvisoryInfo>,
    /// What was matched, redacted.
    pub evidence: Evidence,
    /// How to fix it; empty when the rule's own remediation applies.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub remediation: String,
    /// SHA-256 of the normalised matched content; input to the fingerprint.
    /// Serialised so that baselines and stores can recompute fingerprints.
    pub content_digest: String,
    /// For findings from git history: where the content was introduced.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub introduced: Option<Introduction>,
    /// 0 for the first identical match (same rule, path, content) in a file,
    /// 1 for the second, and so on.
    #[serde(default)]
    pub occurrence: u32,
}

impl Finding {
    /// A finding whose identity is `rule_id` + `location.path` + `matched`.
    /// `matched` is normalised (whitespace collapsed) and hashed; it is not kept.
    pub fn new(
        kind: FindingKind,
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        location: Location,
        matched: &str,
    ) -> Finding {
        let rule_id = rule_id.into();
        let content_digest = crate::sha256_hex(normalise(matched).as_bytes());
        let fingerprint = fingerprint(&rule_id, &location.path, &content_digest, 0);
        Finding {
            fingerprint,
            kind,
            rule_id,
            title: title.into(),
            severity,
            location,
            package: None,
            resource: None,
            license: None,
            advisory: None,
            evidence: Evidence::default(),
            remediation: String::new(),
            content_digest,
            introduced: None,
            occurrence: 0,
        }
    }

    /// Sets the occurrence index and recomputes the fingerprint.
    pub fn set_occurrence(&mut self, occurrence: u32) {
        self.occurrence = occurrence;
        self.fingerprint =
            fingerprint(&self.rule_id, &self.location.path, &self.content_digest, occurrence);
    }

    /// The deterministic report order: path, line, column, rule, digest.
    pub fn report_order(&self, other: &Finding) -> Ordering {
        let left = &self.location;
        let right = &other.location;
        left.path
            .cmp(&right.path)
            .then(left.start_line.cmp(&right.start_line))
            .then(left.start_column.cmp(&right.start_column))
            .then_with(|| self.rule_id.cmp(&other.rule_id))
            .then(left.end_line.cmp(&right.end_line))
            .then(left.end_column.cmp(&right.end_column))
            .then_with(|| self.content_digest.cmp(&other.content_digest))
    }
}

/// Collapses runs of whitespace to one space and trims, so that reformatting
/// does not change a fingerprint.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fingerprint(rule_id: &str, path: &str, content_digest: &str, occurrence: u32) -> String {
    let mut hasher = Sha256::new();
    for part in [rule_id, path, content_digest, &occurrence.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Sorts findings into the deterministic report order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(Finding::report_order);
}

/// Numbers identical matches (same rule, path and content digest) in report
/// order and recomputes their fingerprints. Call after [`sort_findings`].
pub fn assign_occurrences(findings: &mut [Finding]) {
    let mut seen: std::collections::HashMap<(String, String, String), u32> =
        std::collections::HashMap::new();
    for finding in findings.iter_mut() {
        let key = (
            finding.rule_id.clone(),
            finding.location.path.clone(),
            finding.content_digest.clone(),
        );
        let counter = seen.entry(key).or_insert(0);
        if *counter != finding.occurrence {
            finding.set_occurrence(*counter);
        }
        *counter += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_at(line: u32, matched: &str) -> Finding {
        Finding::new(
            FindingKind::Secret,
            "SEC001",
            "t",
            Severity::High,
            Location::line_span("a.env", line, 1, line, 5),
            matched,
        )
    }

    #[test]
    fn fingerprint_ignores_line_numbers_and_whitespace_but_not_content() {
        assert_eq!(
            secret_at(3, "key = abc").fingerprint,
            secret_at(90, "key   =\tabc").fingerprint
        );
        assert_ne!(secret_at(3, "key = abc").fingerprint, secret_at(3, "key = abd").fingerprint);
    }

    #[test]
    fn identical_matches_in_one_file_get_distinct_stable_fingerprints() {
        let mut findings = vec![secret_at(9, "x"), secret_at(2, "x"), secret_at(5, "y")];
        sort_findings(&mut findings);
        assign_occurrences(&mut findings);
        let lines: Vec<_> =
            findings.iter().map(|f| (f.location.start_line, f.occurrence)).collect();
        assert_eq!(lines, [(2, 0), (5, 0), (9, 1)]);
        assert_ne!(findings[0].fingerprint, findings[2].fingerprint);
        assert_eq!(findings[0].fingerprint, secret_at(40, "x").fingerprint);
    }

    #[test]
    fn byte_ranges_become_one_based_code_point_columns() {
        let content = "first\nsé = \"AKIA\"\nlast".as_bytes();
        let start = content.windows(4).position(|w| w == b"AKIA").unwrap();
        let location = Location::from_byte_range("f", content, start, start + 4);
        assert_eq!((location.start_line, location.start_column), (2, 7));
        assert_eq!((location.end_line, location.end_column), (2, 11));
        let multi = Location::from_byte_range("f", content, 2, content.len());
        assert_eq!(
            (multi.start_line, multi.start_column, multi.end_line, multi.end_column),
            (1, 3, 3, 5)
        );
    }
}
