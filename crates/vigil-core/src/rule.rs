//! Rule metadata: what every engine publishes about each of its rules, so that
//! reports (SARIF `tool.driver.rules`), docs and the UI can describe them.

use serde::{Deserialize, Serialize};

use crate::{FindingKind, Severity};

/// Where a rule stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// New; may change or be noisy.
    Preview,
    /// Stable.
    #[default]
    Stable,
    /// Still runs but will be removed.
    Deprecated,
}

/// The description of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rule {
    /// Stable code, never reused (`SEC001`, `IAC104`).
    pub id: String,
    /// Kebab-case name of the bad pattern (`aws-access-key-id`).
    pub name: String,
    /// The kind of the findings it produces.
    pub kind: FindingKind,
    /// One-line title used as the finding title.
    pub title: String,
    /// Default severity.
    pub severity: Severity,
    /// What it finds and why it matters.
    pub description: String,
    /// How to fix a finding.
    pub remediation: String,
    /// Links to provider documentation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Other tools' ids for the same check (`CKV_AWS_20` for an IaC policy
    /// that mirrors Checkov's), which skips and reports also accept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Life-cycle status.
    #[serde(default)]
    pub status: RuleStatus,
}
