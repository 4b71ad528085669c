//! Scan reports and their machine-readable renderings.
//!
//! [`ScanReport`] is everything one scan produced. The writers in this module
//! turn it into Vigil's stable JSON ([`json`]), SARIF 2.1.0 ([`sarif`]), GitLab
//! security reports ([`gitlab`]) and JUnit XML ([`junit`]). Writers are pure
//! functions of the report: the same report always renders to the same bytes.

pub mod gitlab;
pub mod json;
pub mod junit;
pub mod sarif;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Diagnostic, Finding, FindingKind, Outcome, Policy, Rule, Severity};

/// The program that produced a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolInfo {
    /// `vigil`.
    pub name: String,
    /// The program version.
    pub version: String,
    /// Where to read about it.
    pub information_uri: String,
}

/// Counters of one scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Files handed to at least one engine.
    pub files_scanned: u64,
    /// Bytes of those files.
    pub bytes_scanned: u64,
    /// Files seen but not scanned (too large, binary, unreadable, symlinks).
    pub files_skipped: u64,
    /// Findings dropped because the baseline accepts them.
    pub baselined: u64,
    /// Findings dropped by an ignore file of fingerprints (`.vigilignore-secrets`).
    pub ignored: u64,
    /// Findings dropped by a disabled or skipped rule.
    pub rule_skipped: u64,
}

/// Everything one scan produced, ready for rendering.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// The program.
    pub tool: ToolInfo,
    /// What was scanned, as the user named it.
    pub target: String,
    /// The commit scanned, when known (GitLab secret-detection reports need one).
    pub commit: Option<String>,
    /// When the scan started.
    pub started_at: jiff::Timestamp,
    /// When it finished.
    pub finished_at: jiff::Timestamp,
    /// The kinds the engines that ran can produce.
    pub kinds: Vec<FindingKind>,
    /// Every rule that ran.
    pub rules: Vec<Rule>,
    /// Findings in report order.
    pub findings: Vec<Finding>,
    /// Problems with the scan itself.
    pub diagnostics: Vec<Diagnostic>,
    /// Counters.
    pub stats: ScanStats,
    /// The policy the outcome was computed with.
    pub policy: Policy,
}

impl ScanReport {
    /// The policy's verdict on the findings.
    pub fn outcome(&self) -> Outcome {
        self.policy.evaluate(&self.findings)
    }

    /// Wall time in milliseconds.
    pub fn duration_ms(&self) -> i64 {
        (self.finished_at.as_millisecond() - self.started_at.as_millisecond()).max(0)
    }

    /// Number of findings per severity, every severity present (highest first).
    pub fn count_by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut counts: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|&s| (s, 0)).collect();
        for finding in &self.findings {
            *counts.entry(finding.severity).or_default() += 1;
        }
        counts
    }

    /// The rule with this id, if it ran.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }

    /// The remediation text of a finding: its own, else its rule's.
    pub fn remediation_of<'a>(&'a self, finding: &'a Finding) -> &'a str {
        if finding.remediation.is_empty() {
            self.rule(&finding.rule_id).map_or("", |rule| rule.remediation.as_str())
        } else {
            &finding.remediation
        }
    }
}

/// A deterministic UUID-shaped identifier derived from a fingerprint, for
/// formats that want UUIDs (GitLab) without making the output random.
pub(crate) fn uuid_from_fingerprint(fingerprint: &str) -> String {
    let hex: String = crate::sha256_hex(fingerprint.as_bytes()).chars().take(32).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
