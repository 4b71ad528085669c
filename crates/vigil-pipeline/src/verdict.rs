//! What a plan does to findings once the engines are done (the kinds asked
//! for, the rules switched off, severity overrides, the baseline), as data.
//! [`Plan::scan`](crate::Plan::scan) applies it; the server keeps it beside
//! each dependency graph, so that findings matched after an advisory sync
//! are judged as the scan that read the lockfile judged them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use vigil_core::{Finding, FindingKind, Severity};

/// A plan's judgement of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The finding kinds reported.
    pub kinds: Vec<FindingKind>,
    /// Rules switched off (`[rules] disable`, `enable`, `--skip-rule`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub disabled_rules: BTreeSet<String>,
    /// Per-rule severities (`[rules] severity`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Fingerprints the baseline holds back.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub baseline: BTreeSet<String>,
}

impl Verdict {
    /// The findings reported (of a kind asked for, from a rule that runs,
    /// with its severity override) and, apart, those the baseline holds.
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
        let mut reported = Vec::with_capacity(findings.len());
        let mut held = Vec::new();
        for mut finding in findings {
            if !self.kinds.contains(&finding.kind) || self.disabled_rules.contains(&finding.rule_id)
            {
                continue;
            }
            if let Some(severity) = self.severity_overrides.get(&finding.rule_id) {
                finding.severity = *severity;
            }
            if self.baseline.contains(&finding.fingerprint) {
                held.push(finding);
            } else {
                reported.push(finding);
            }
        }
        (reported, held)
    }
}

#[cfg(test)]
mod tests {
    use vigil_core::Location;

    use super::*;

    fn finding(kind: FindingKind, rule: &str, identity: &str) -> Finding {
        Finding::new(
            kind,
            rule,
            rule,
            Severity::High,
            Location::line_span("a", 1, 1, 1, 2),
            identity,
        )
    }

    #[test]
    fn kinds_rules_severities_and_the_baseline_apply_in_one_pass() {
        let vulnerable = finding(FindingKind::Vulnerability, "SCA001", "x");
        let held = finding(FindingKind::Vulnerability, "SCA001", "y");
        let unmaintained = finding(FindingKind::OperationalRisk, "SCA002", "z");
        let secret = finding(FindingKind::Secret, "SEC001", "s");
        let verdict = Verdict {
            kinds: vec![FindingKind::Vulnerability, FindingKind::OperationalRisk],
            disabled_rules: BTreeSet::from(["SCA002".to_owned()]),
            severity_overrides: BTreeMap::from([("SCA001".to_owned(), Severity::Low)]),
            baseline: BTreeSet::from([held.fingerprint.clone()]),
        };
        let (reported, baselined) =
            verdict.apply(vec![vulnerable.clone(), held.clone(), unmaintained, secret]);
        assert_eq!(
            reported.iter().map(|f| (&f.fingerprint, f.severity)).collect::<Vec<_>>(),
            [(&vulnerable.fingerprint, Severity::Low)]
        );
        assert_eq!(
            baselined.iter().map(|f| &f.fingerprint).collect::<Vec<_>>(),
            [&held.fingerprint]
        );
        // As the server keeps it, and back.
        let json = serde_json::to_string(&verdict).unwrap();
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
        assert_eq!(serde_json::from_str::<Verdict>(r#"{"kinds":[]}"#).unwrap(), Verdict::default());
    }
}
