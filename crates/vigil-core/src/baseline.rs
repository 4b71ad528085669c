//! Baselines: a recorded set of fingerprints, so that later scans report only
//! findings that are new since the baseline was written.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Finding;

/// The baseline file format version this build writes and reads.
const BASELINE_VERSION: u32 = 1;

/// A baseline file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// Not JSON of the expected shape.
    #[error("not a vigil baseline: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A line of an ignore file that is not a fingerprint.
    #[error("line {line}: `{text}` is not a fingerprint (32 hex characters)")]
    BadIgnoreLine {
        /// 1-based line number.
        line: usize,
        /// The offending text.
        text: String,
    },
    /// Written by a newer or unknown format version.
    #[error("unsupported baseline version {found} (this build reads version {BASELINE_VERSION})")]
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
    },
}

/// One recorded finding. Only the fingerprint matters for matching; rule, path
/// and line are there so that people can read and review the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Its rule, for readers.
    pub rule_id: String,
    /// Its path, for readers.
    pub path: String,
    /// Its line when recorded, for readers.
    pub line: u32,
}

/// A set of accepted findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// File format version.
    pub version: u32,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// The accepted findings, in report order.
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    /// A baseline accepting every finding in `findings`.
    pub fn from_findings(findings: &[Finding], created_at: jiff::Timestamp) -> Baseline {
        Baseline {
            version: BASELINE_VERSION,
            created_at: created_at.to_string(),
            findings: findings
                .iter()
                .map(|finding| BaselineEntry {
                    fingerprint: finding.fingerprint.clone(),
                    rule_id: finding.rule_id.clone(),
                    path: finding.location.path.clone(),
                    line: finding.location.start_line,
                })
                .collect(),
        }
    }

    /// Parses a baseline file's text.
    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let baseline: Baseline = serde_json::from_str(text)?;
        if baseline.version != BASELINE_VERSION {
            return Err(BaselineError::UnsupportedVersion { found: baseline.version });
        }
        Ok(baseline)
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The set of accepted fingerprints.
    pub fn fingerprints(&self) -> HashSet<&str> {
        self.findings.iter().map(|entry| entry.fingerprint.as_str()).collect()
    }

    /// Removes the findings the baseline accepts; returns how many were removed.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let accepted = self.fingerprints();
        let before = findings.len();
        findings.retain(|finding| !accepted.contains(finding.fingerprint.as_str()));
        before - findings.len()
    }
}

/// Parses an ignore file of fingerprints (`.vigilignore-secrets`): one
/// fingerprint per line, optionally followed by a comment; `#` starts a
/// comment; blank lines are allowed.
pub fn parse_ignore_file(text: &str) -> Result<HashSet<String>, BaselineError> {
    let mut fingerprints = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("").trim();
        let Some(first) = content.split_whitespace().next() else { continue };
        if first.len() != 32 || !first.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(BaselineError::BadIgnoreLine { line: index + 1, text: first.to_owned() });
        }
        fingerprints.insert(first.to_ascii_lowercase());
    }
    Ok(fingerprints)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FindingKind, Location, Severity};

    fn finding(matched: &str) -> Finding {
        Finding::new(
            FindingKind::Secret,
            "SEC001",
            "t",
            Severity::High,
            Location::line_span("a", 1, 1, 1, 2),
            matched,
        )
    }

    #[test]
    fn round_trips_and_filters_only_recorded_fingerprints() {
        let baseline = Baseline::from_findings(&[finding("old")], jiff::Timestamp::UNIX_EPOCH);
        let parsed = Baseline::parse(&baseline.to_json()).unwrap();
        assert_eq!(parsed, baseline);
        let mut findings = vec![finding("old"), finding("new")];
        assert_eq!(parsed.filter(&mut findings), 1);
        assert_eq!(findings, vec![finding("new")]);
    }

    #[test]
    fn ignore_files_hold_fingerprints_and_comments() {
        let text = "# accepted\n0123456789abcdef0123456789ABCDEF  old test key\n\n";
        let parsed = parse_ignore_file(text).unwrap();
        assert!(parsed.contains("0123456789abcdef0123456789abcdef"));
        let error = parse_ignore_file("abc\n").unwrap_err();
        assert_eq!(error.to_string(), "line 1: `abc` is not a fingerprint (32 hex characters)");
    }

    #[test]
    fn rejects_other_files_with_a_reason() {
        let error = Baseline::parse("{\"version\": 7, \"created_at\": \"x\", \"findings\": []}")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "unsupported baseline version 7 (this build reads version 1)"
        );
        let error = Baseline::parse("[1, 2]").unwrap_err();
        assert!(error.to_string().starts_with("not a vigil baseline: invalid type"), "{error}");
    }
}
