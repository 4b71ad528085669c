//! Policy evaluation: which findings fail the scan (exit code 1) and which are
//! only reported.

use serde::Serialize;

use crate::{Finding, FindingKind, Severity};

/// A `--soft-fail-on` entry that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Neither a severity, a kind, nor something shaped like a rule id.
    #[error("`{0}` is not a severity, a finding kind or a rule id")]
    BadSoftFail(String),
}

/// Findings that are reported but never fail the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftFail {
    /// Findings of this severity or lower (as Checkov's `--soft-fail-on`).
    AtOrBelow(Severity),
    /// Findings of this kind.
    Kind(FindingKind),
    /// Findings of this rule id.
    Rule(String),
}

impl SoftFail {
    /// Parses `high`, `secret`, or a rule id such as `SEC001`.
    pub fn parse(text: &str) -> Result<SoftFail, PolicyError> {
        let text = text.trim();
        if let Ok(severity) = text.parse::<Severity>() {
            return Ok(SoftFail::AtOrBelow(severity));
        }
        if let Some(kind) = FindingKind::parse(text) {
            return Ok(SoftFail::Kind(kind));
        }
        let looks_like_rule = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if looks_like_rule {
            Ok(SoftFail::Rule(text.to_owned()))
        } else {
            Err(PolicyError::BadSoftFail(text.to_owned()))
        }
    }

    fn covers(&self, kind: FindingKind, rule_id: &str, severity: Severity) -> bool {
        match self {
            SoftFail::AtOrBelow(threshold) => severity <= *threshold,
            SoftFail::Kind(excused) => kind == *excused,
            SoftFail::Rule(rule) => rule_id.eq_ignore_ascii_case(rule),
        }
    }
}

/// When a scan fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Findings at or above this severity fail the scan; `None` never fails.
    pub fail_on: Option<Severity>,
    /// Findings covered by any of these never fail the scan.
    pub soft_fail_on: Vec<SoftFail>,
}

impl Default for Policy {
    /// Fails on every finding of severity low or higher.
    fn default() -> Self {
        Policy { fail_on: Some(Severity::Low), soft_fail_on: Vec::new() }
    }
}

/// The result of applying a policy to a scan's findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Findings that fail the scan.
    pub failing: usize,
    /// Findings at or above the threshold that a soft-fail entry excused.
    pub soft_failed: usize,
    /// Findings below the threshold.
    pub below_threshold: usize,
}

impl Outcome {
    /// Whether the scan fails (exit code 1).
    pub fn failed(&self) -> bool {
        self.failing > 0
    }
}

impl Policy {
    /// Whether this one finding fails the scan.
    pub fn fails(&self, finding: &Finding) -> bool {
        self.fails_as(finding.kind, &finding.rule_id, finding.severity)
    }

    /// Whether a finding of this kind, rule and severity fails the scan
    /// (for records that hold these, such as stored issues).
    pub fn fails_as(&self, kind: FindingKind, rule_id: &str, severity: Severity) -> bool {
        self.fail_on.is_some_and(|threshold| severity >= threshold)
            && !self.soft_fail_on.iter().any(|soft| soft.covers(kind, rule_id, severity))
    }

    fn at_or_above_threshold(&self, finding: &Finding) -> bool {
        self.fail_on.is_some_and(|threshold| finding.severity >= threshold)
    }

    /// Counts failing, excused and below-threshold findings.
    pub fn evaluate(&self, findings: &[Finding]) -> Outcome {
        let mut outcome = Outcome::default();
        for finding in findings {
            if !self.at_or_above_threshold(finding) {
                outcome.below_threshold += 1;
            } else if self.fails(finding) {
                outcome.failing += 1;
            } else {
                outcome.soft_failed += 1;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding::new(
            FindingKind::Secret,
            rule,
            "t",
            severity,
            Location::line_span("a", 1, 1, 1, 2),
            rule,
        )
    }

    #[test]
    fn thresholds_and_soft_fails_decide_the_outcome() {
        let findings = [
            finding("SEC001", Severity::Critical),
            finding("SEC002", Severity::Medium),
            finding("SEC003", Severity::Info),
        ];
        let check = |fail_on, soft: &[&str]| {
            let soft_fail_on = soft.iter().map(|text| SoftFail::parse(text).unwrap()).collect();
            let outcome = Policy { fail_on, soft_fail_on }.evaluate(&findings);
            (outcome.failing, outcome.soft_failed, outcome.below_threshold)
        };
        assert_eq!(check(Some(Severity::Low), &[]), (2, 0, 1));
        assert_eq!(check(Some(Severity::High), &[]), (1, 0, 2));
        assert_eq!(check(None, &[]), (0, 0, 3));
        assert_eq!(check(Some(Severity::Info), &["medium"]), (1, 2, 0));
        assert_eq!(check(Some(Severity::Info), &["sec001", "secret"]), (0, 3, 0));
        assert_eq!(check(Some(Severity::Low), &["SEC001"]), (1, 1, 1));
    }

    #[test]
    fn soft_fail_entries_parse_or_say_why_not() {
        assert_eq!(SoftFail::parse("HIGH"), Ok(SoftFail::AtOrBelow(Severity::High)));
        assert_eq!(
            SoftFail::parse("operational-risk"),
            Ok(SoftFail::Kind(FindingKind::OperationalRisk))
        );
        assert_eq!(SoftFail::parse("CKV_AWS_20"), Ok(SoftFail::Rule("CKV_AWS_20".into())));
        assert_eq!(
            SoftFail::parse("a b").unwrap_err().to_string(),
            "`a b` is not a severity, a finding kind or a rule id"
        );
    }
}
