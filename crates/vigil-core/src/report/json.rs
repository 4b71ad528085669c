//! Vigil's own JSON report format (documented in `docs/json-report.md`).
//! Fields are only ever added within a format version; a removal or change of
//! meaning bumps `version`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ScanReport;

/// The JSON report format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// The report as a JSON value.
pub fn render(report: &ScanReport) -> Value {
    let outcome = report.outcome();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &report.findings {
        *by_kind.entry(finding.kind.as_str()).or_default() += 1;
    }
    let by_severity: BTreeMap<&str, usize> = report
        .count_by_severity()
        .into_iter()
        .map(|(severity, count)| (severity.as_str(), count))
        .collect();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let mut value = serde_json::to_value(finding).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("fails".into(), Value::Bool(report.policy.fails(finding)));
                map.insert(
                    "remediation".into(),
                    Value::String(report.remediation_of(finding).to_owned()),
                );
            }
            value
        })
        .collect();
    json!({
        "format": "vigil-report",
        "version": FORMAT_VERSION,
        "tool": report.tool,
        "target": report.target,
        "commit": report.commit,
        "started_at": report.started_at.to_string(),
        "finished_at": report.finished_at.to_string(),
        "duration_ms": report.duration_ms(),
        "kinds": report.kinds,
        "stats": report.stats,
        "policy": report.policy,
        "outcome": {
            "failed": outcome.failed(),
            "failing": outcome.failing,
            "soft_failed": outcome.soft_failed,
            "below_threshold": outcome.below_threshold,
        },
        "summary": { "total": report.findings.len(), "by_severity": by_severity, "by_kind": by_kind },
        "findings": findings,
        "diagnostics": report.diagnostics,
    })
}

/// Writes the report as pretty JSON followed by a newline.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &render(report))?;
    out.write_all(b"\n")
}
