//! The finding model shared by every Vigil engine, and what is done with findings
//! once they exist: policy evaluation, baselines and report writers.
//!
//! An engine (secrets, IaC, dependencies, licenses) implements [`Engine`]: it is
//! handed one [`SourceFile`] at a time and pushes [`Finding`]s and [`Diagnostic`]s
//! into a [`FileOutput`]. The scanner collects them into a [`ScanReport`], the
//! [`Policy`] decides the exit status, and [`report`] renders it as JSON, SARIF
//! 2.1.0, GitLab security reports or JUnit XML.
//!
//! **Architecture invariant:** this crate does no I/O of its own (writers take a
//! `std::io::Write`), reads no environment and knows nothing of HTTP or storage.
//! **Architecture invariant:** no secret value is ever stored in a [`Finding`]:
//! [`SecretEvidence`] keeps a masked preview and a SHA-256 only.
//!
//! ```
//! use vigil_core::{Finding, FindingKind, Location, Severity};
//! let finding = Finding::new(
//!     FindingKind::Secret, "SEC001", "AWS access key ID", Severity::High,
//!     Location::line_span("config/prod.env", 3, 10, 3, 30), "AKIA...",
//! );
//! assert_eq!(finding.fingerprint.len(), 32);
//! ```
#![deny(missing_docs)]

mod baseline;
mod engine;
mod finding;
mod issue;
mod policy;
mod redact;
pub mod report;
mod rule;
mod severity;

pub use baseline::{Baseline, BaselineEntry, BaselineError, parse_ignore_file};
pub use engine::{Artifact, Diagnostic, DiagnosticLevel, Engine, FileOutput, SourceFile};
pub use finding::{
    AdvisoryInfo, Dependency, Evidence, Finding, FindingKind, Introduction, LicenseInfo, Location,
    Package, Resource, SecretEvidence, assign_occurrences, sort_findings,
};
pub use issue::{
    IssueStatus, MAX_SUPPRESSION_MS, ParseIssueStatusError, SuppressionError, Transition,
    check_suppression, on_absent, on_seen,
};
pub use policy::{Outcome, Policy, PolicyError, SoftFail};
pub use redact::{mask_secret, sha256_hex};
pub use report::{ScanReport, ScanStats, ToolInfo};
pub use rule::{Rule, RuleStatus};
pub use severity::{ParseSeverityError, Severity};
