//! GitLab security reports (schema 15.2.1): `secret_detection` for secrets,
//! `sast` for IaC misconfigurations and `dependency_scanning` for vulnerable
//! dependencies, so that findings appear in GitLab's merge-request security
//! widget. License and operational-risk findings have no GitLab report type.

use serde_json::{Value, json};

use super::{ScanReport, uuid_from_fingerprint};
use crate::{DiagnosticLevel, Finding, FindingKind};

/// The GitLab report schema version written.
pub const SCHEMA_VERSION: &str = "15.2.1";

/// One GitLab report type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportType {
    /// `secret_detection`, from secret findings.
    SecretDetection,
    /// `sast`, from IaC findings (GitLab's own IaC scanning uses `sast`).
    Sast,
    /// `dependency_scanning`, from vulnerability findings.
    DependencyScanning,
}

impl ReportType {
    /// The report type carrying findings of `kind`, if GitLab has one.
    pub fn for_kind(kind: FindingKind) -> Option<ReportType> {
        match kind {
            FindingKind::Secret => Some(ReportType::SecretDetection),
            FindingKind::Iac => Some(ReportType::Sast),
            FindingKind::Vulnerability => Some(ReportType::DependencyScanning),
            FindingKind::License | FindingKind::OperationalRisk => None,
        }
    }

    /// The `scan.type` value and `artifacts:reports` key.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportType::SecretDetection => "secret_detection",
            ReportType::Sast => "sast",
            ReportType::DependencyScanning => "dependency_scanning",
        }
    }

    /// The conventional artifact file name, as GitLab's own analyzers write it.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportType::SecretDetection => "gl-secret-detection-report.json",
            ReportType::Sast => "gl-sast-report.json",
            ReportType::DependencyScanning => "gl-dependency-scanning-report.json",
        }
    }
}

/// The report types this scan can fill: one per scanned kind that GitLab has a
/// type for, even when it holds no finding (an empty report tells GitLab that
/// earlier findings are fixed).
pub fn report_types(report: &ScanReport) -> Vec<ReportType> {
    let mut types: Vec<ReportType> =
        report.kinds.iter().filter_map(|&kind| ReportType::for_kind(kind)).collect();
    types.sort();
    types.dedup();
    types
}

/// One GitLab report of the given type.
pub fn render(report: &ScanReport, report_type: ReportType) -> Value {
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .filter(|finding| ReportType::for_kind(finding.kind) == Some(report_type))
        .map(|finding| vulnerability(report, finding, report_type))
        .collect();
    let messages: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let level = if diagnostic.level == DiagnosticLevel::Note { "info" } else { "warn" };
            let value = match &diagnostic.path {
                Some(path) => format!("{path}: {}", diagnostic.message),
                None => diagnostic.message.clone(),
            };
            json!({ "level": level, "value": value })
        })
        .collect();
    let identity = json!({
        "id": "vigil",
        "name": "Vigil",
        "version": report.tool.version,
        "vendor": { "name": "Vigil" },
    });
    json!({
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": identity,
            "scanner": identity,
            "type": report_type.as_str(),
            "start_time": gitlab_time(report.started_at),
            "end_time": gitlab_time(report.finished_at),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": vulnerabilities,
    })
}

/// Writes one report as pretty JSON followed by a newline.
pub fn write(
    report: &ScanReport,
    report_type: ReportType,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &render(report, report_type))?;
    out.write_all(b"\n")
}

/// GitLab's identifier type for an advisory id (`cve`, `ghsa`, ...).
fn advisory_id_type(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "CVE" => "cve",
        "GHSA" => "ghsa",
        "RUSTSEC" => "rustsec",
        "PYSEC" => "pysec",
        "GO" => "go",
        _ => "osv",
    }
}

/// A page for an advisory id: the advisory's own for its id, osv.dev's for
/// the others.
fn advisory_url(id: &str, advisory: &crate::AdvisoryInfo) -> Option<String> {
    if id == advisory.id && !advisory.url.is_empty() {
        return Some(advisory.url.clone());
    }
    let safe = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    safe.then(|| format!("https://osv.dev/vulnerability/{id}"))
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, the only form the schema accepts.
fn gitlab_time(timestamp: jiff::Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

fn vulnerability(report: &ScanReport, finding: &Finding, report_type: ReportType) -> Value {
    let rule = report.rule(&finding.rule_id);
    let path = &finding.location.path;
    let location = match report_type {
        ReportType::SecretDetection => json!({
            "file": path,
            "start_line": finding.location.start_line,
            "end_line": finding.location.end_line,
            "commit": match &finding.introduced {
                Some(introduced) => json!({
                    "sha": introduced.commit,
                    "author": format!("{} <{}>", introduced.author, introduced.email),
                    "date": introduced.date,
                }),
                // GitLab's own secret analyzer uses this placeholder outside git.
                None => json!({ "sha": report.commit.as_deref().unwrap_or("0000000") }),
            },
        }),
        ReportType::Sast => json!({
            "file": path,
            "start_line": finding.location.start_line,
            "end_line": finding.location.end_line,
        }),
        ReportType::DependencyScanning => {
            let (name, version, direct) =
                finding.package.as_ref().map_or(("", "", None), |package| {
                    (
                        package.name.as_str(),
                        package.version.as_str(),
                        Some(package.dependency == crate::Dependency::Direct),
                    )
                });
            let mut dependency = json!({ "package": { "name": name }, "version": version });
            if let (Some(direct), Value::Object(map)) = (direct, &mut dependency) {
                map.insert("direct".into(), Value::Bool(direct));
            }
            json!({ "file": path, "dependency": dependency })
        }
    };
    let mut identifier = json!({
        "type": "vigil_rule_id",
        "name": format!("Vigil {}", finding.rule_id),
        "value": finding.rule_id,
    });
    if let (Some(url), Value::Object(map)) =
        (rule.and_then(|rule| rule.references.first()), &mut identifier)
    {
        if url.starts_with("http://") || url.starts_with("https://") {
            map.insert("url".into(), Value::String(url.clone()));
        }
    }
    let mut identifiers = Vec::new();
    if let Some(advisory) = &finding.advisory {
        // The advisory's ids come first: GitLab tells vulnerabilities of one
        // file apart by the primary identifier, and deduplicates with its
        // own dependency scanner by CVE and GHSA ids.
        for id in std::iter::once(&advisory.id).chain(&advisory.aliases) {
            let kind = advisory_id_type(id);
            let mut entry = json!({ "type": kind, "name": id, "value": id });
            if let (Some(url), Value::Object(map)) = (advisory_url(id, advisory), &mut entry) {
                map.insert("url".into(), Value::String(url));
            }
            identifiers.push(entry);
        }
    }
    identifiers.push(identifier);
    for alias in rule.map(|rule| rule.aliases.as_slice()).unwrap_or_default() {
        // GitLab deduplicates vulnerabilities across analyzers by identifier,
        // so Checkov's id ties a Vigil IaC finding to the same check.
        let kind = if alias.starts_with("CKV") { "checkov" } else { "alias" };
        identifiers
            .push(json!({ "type": kind, "name": format!("{kind} {alias}"), "value": alias }));
    }
    let mut value = json!({
        "id": uuid_from_fingerprint(&finding.fingerprint),
        "name": finding.title,
        "description": rule.map_or(finding.title.as_str(), |rule| rule.description.as_str()),
        "severity": finding.severity.gitlab_name(),
        "solution": report.remediation_of(finding),
        "identifiers": identifiers,
        "location": location,
    });
    if let Value::Object(map) = &mut value {
        let extract = finding
            .evidence
            .secret
            .as_ref()
            .map(|secret| secret.preview.clone())
            .or_else(|| finding.evidence.snippet.clone());
        if let (Some(extract), ReportType::SecretDetection | ReportType::Sast) =
            (extract, report_type)
        {
            map.insert("raw_source_code_extract".into(), Value::String(extract));
        }
    }
    value
}
